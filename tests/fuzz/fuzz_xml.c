/*
 * fuzz_xml.c - the RDS answer readers and the error reader on any input
 *
 * Every byte string goes through sk_rds_parse_snapshot_xml,
 * sk_rds_parse_instances_xml, sk_rds_parse_automated_backups_xml and
 * sk_aws_parse_error.  The callbacks read every string they are handed, so
 * a dangling or unterminated one is caught by AddressSanitizer; an error's
 * fields stay valid UTF-8 when cut to their size.  Seeds:
 * corpus/xml/ (AWS's published sample responses).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "aws/client.h"
#include "aws/rds_xml.h"

static volatile size_t sink;

static int utf8(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

static void touch(const char *s)
{
	if (s)
		sink += strlen(s);
}

static void touch_tags(const struct sk_aws_tag *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		touch(t[i].key);
		touch(t[i].value);
	}
}

static int on_snapshot(void *ud, const struct sk_rds_snapshot *s)
{
	(void)ud;
	touch(s->id);
	touch(s->arn);
	touch(s->instance_id);
	touch(s->dbi_resource_id);
	touch(s->status);
	touch(s->type);
	touch(s->engine);
	touch(s->kms_key_id);
	touch(s->source_region);
	touch(s->source_snapshot);
	touch_tags(s->tags, s->n_tags);
	sink += (size_t)(s->created + s->original_created + s->percent_progress + s->allocated_gib);
	return 0;
}

static int on_instance(void *ud, const struct sk_rds_instance *d)
{
	size_t i;

	(void)ud;
	touch(d->id);
	touch(d->arn);
	touch(d->dbi_resource_id);
	touch(d->status);
	touch(d->engine);
	touch(d->engine_version);
	touch(d->instance_class);
	touch(d->preferred_backup_window);
	touch(d->preferred_maintenance_window);
	touch(d->kms_key_id);
	touch(d->aws_backup_recovery_point_arn);
	for (i = 0; i < d->n_replications; i++)
		touch(d->replication_arns[i]);
	touch_tags(d->tags, d->n_tags);
	sink += (size_t)(d->backup_retention_period + d->pending_retention + d->created + d->latest_restorable_time);
	return 0;
}

static int on_backup(void *ud, const struct sk_rds_automated_backup *b)
{
	(void)ud;
	touch(b->arn);
	touch(b->instance_id);
	touch(b->instance_arn);
	touch(b->dbi_resource_id);
	touch(b->region);
	touch(b->status);
	touch(b->kms_key_id);
	sink += (size_t)(b->backup_retention_period + b->earliest + b->latest);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	const char *xml = (const char *)data;
	struct sk_aws_error err;

	if (!initialised) {
		xmlInitParser();
		initialised = 1;
	}
	sk_rds_parse_snapshot_xml(xml, size, on_snapshot, NULL);
	sk_rds_parse_instances_xml(xml, size, on_instance, NULL);
	sk_rds_parse_automated_backups_xml(xml, size, on_backup, NULL);
	memset(&err, 0, sizeof(err));
	if (sk_aws_parse_error(&err, xml, size) == 0) {
		/* a found error has its code, and every field is terminated */
		if (!err.code[0] || strlen(err.message) >= sizeof(err.message) ||
		    strlen(err.request_id) >= sizeof(err.request_id))
			abort();
		/* and valid UTF-8: the journal records them as JSON strings */
		if (!utf8(err.code) || !utf8(err.message) || !utf8(err.request_id))
			abort();
	}
	return 0;
}
