/*
 * restore.c - `snapkeep restore`: the checks, the call, the journal, the wait
 * (see restore.h)
 */
#include "reconciler/engine/restore.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aws/arn.h"
#include "aws/rds.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/planner/ownership.h"
#include "state/backend.h"
#include "state/lock.h"
#include "state/statedir.h"

/* the one message for every refusal: what was asked, where, why, and that nothing was changed */
static int refuse(const struct sk_restore_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void what_text(char *out, size_t len, const struct sk_restore_request *r)
{
	char t[SK_TIME_RFC3339_MAX];

	switch (r->source) {
	case SK_RESTORE_TO_TIME:
		sk_time_format_rfc3339(t, r->restore_time);
		snprintf(out, len, "'%s' to %s", r->instance, t);
		break;
	case SK_RESTORE_LATEST:
		snprintf(out, len, "'%s' to its latest restorable time", r->instance);
		break;
	case SK_RESTORE_FROM_SNAPSHOT:
		snprintf(out, len, "'%s' from snapshot '%s'", r->instance, r->snapshot);
		break;
	}
}

static int refuse(const struct sk_restore_request *r, const char *fmt, ...)
{
	char what[600], why[1024];
	va_list ap;

	what_text(what, sizeof(what), r);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return sk_error_set(SK_ERR_SAFETY, "refused restore of %s in %s: %s; no call was made", what, r->region, why);
}

void sk_restore_window_text(char *out, size_t len, const struct sk_restore_plan *p)
{
	char e[SK_TIME_RFC3339_MAX] = "?", l[SK_TIME_RFC3339_MAX] = "?";

	if (!p->earliest && !p->latest) {
		snprintf(out, len, "none");
		return;
	}
	if (p->earliest)
		sk_time_format_rfc3339(e, p->earliest);
	if (p->latest)
		sk_time_format_rfc3339(l, p->latest);
	snprintf(out, len, "%s .. %s", e, l);
}

/* ---- what live state says ---- */

/* a describe of one thing by its identifier: its absence (AWS's not_found code) is an answer, not an error */
static int found_or_absent(int rc, const struct sk_aws_error *err, const char *not_found)
{
	if (rc == 0)
		return 0;
	if (!strcmp(err->code, not_found)) {
		sk_error_clear();
		return 0;
	}
	return -1;
}

struct found_instance {
	const char *id;
	bool found;
	char arn[SK_RESTORE_TEXT_MAX];
	char status[32];
	int retention;
	int64_t latest;
};

static int on_instance(void *ud, const struct sk_rds_instance *in)
{
	struct found_instance *f = ud;

	if (strcasecmp(in->id, f->id))
		return 0;
	f->found = true;
	sk_strlcpy(f->arn, in->arn ? in->arn : "", sizeof(f->arn));
	sk_strlcpy(f->status, in->status ? in->status : "", sizeof(f->status));
	f->retention = in->backup_retention_period;
	f->latest = in->latest_restorable_time;
	return 0;
}

/* the instance id in region into f: 0 (f->found says whether it is there), or -1 */
static int find_instance(struct found_instance *f, struct sk_aws_client *c, const char *region, const char *id)
{
	struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
	struct sk_aws_error err;

	memset(f, 0, sizeof(*f));
	memset(&err, 0, sizeof(err));
	f->id = id;
	d.instance_id = id;
	return found_or_absent(sk_rds_describe_db_instances(c, region, &d, on_instance, f, &err), &err,
			       "DBInstanceNotFound");
}

/* the automated backup a point-in-time restore reads: the instance's own, or one in a DR region */
struct found_backup {
	const char *instance_id;
	const char *instance_arn; /* the live instance's (its own record), or NULL: any of that id */
	const char *region;       /* the region asked in */
	bool found;
	int rank;
	char arn[SK_RESTORE_TEXT_MAX];
	char source_region[64];
	char status[32];
	int retention;
	int64_t earliest, latest;
};

/* replicating (live) before retained, active (the instance's own) first of all; deleting never */
static int backup_rank(const char *status)
{
	if (!strcmp(status, "active"))
		return 3;
	if (!strcmp(status, "replicating"))
		return 2;
	if (!strcmp(status, "retained"))
		return 1;
	return 0;
}

static int on_backup(void *ud, const struct sk_rds_automated_backup *b)
{
	struct found_backup *f = ud;
	int rank = backup_rank(b->status);

	if (!b->instance_id || strcasecmp(b->instance_id, f->instance_id) || !rank)
		return 0;
	if (f->instance_arn && (!b->instance_arn || strcmp(b->instance_arn, f->instance_arn)))
		return 0;
	if (f->found && (rank < f->rank || (rank == f->rank && b->latest <= f->latest)))
		return 0;
	f->found = true;
	f->rank = rank;
	sk_strlcpy(f->arn, b->arn ? b->arn : "", sizeof(f->arn));
	sk_strlcpy(f->source_region, b->region ? b->region : f->region, sizeof(f->source_region));
	sk_strlcpy(f->status, b->status, sizeof(f->status));
	f->retention = b->backup_retention_period;
	f->earliest = b->earliest;
	f->latest = b->latest;
	return 0;
}

static int find_backup(struct found_backup *f, struct sk_aws_client *c, const char *region, const char *id,
		       const char *instance_arn)
{
	struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
	const char *ids[1] = { id };
	struct sk_rds_filter filter = { "db-instance-id", ids, 1 };

	memset(f, 0, sizeof(*f));
	f->instance_id = id;
	f->instance_arn = instance_arn;
	f->region = region;
	d.filters = &filter;
	d.n_filters = 1;
	return sk_rds_describe_db_instance_automated_backups(c, region, &d, on_backup, f, NULL);
}

struct found_snapshot {
	const char *id;
	bool found;
	char arn[SK_RESTORE_TEXT_MAX];
	char instance[64];
	char status[32];
	char source_region[64];
	int64_t created;
};

static int on_snapshot(void *ud, const struct sk_rds_snapshot *s)
{
	struct found_snapshot *f = ud;

	if (strcasecmp(s->id, f->id))
		return 0;
	f->found = true;
	sk_strlcpy(f->arn, s->arn ? s->arn : "", sizeof(f->arn));
	sk_strlcpy(f->instance, s->instance_id ? s->instance_id : "", sizeof(f->instance));
	sk_strlcpy(f->status, s->status ? s->status : "", sizeof(f->status));
	sk_strlcpy(f->source_region, s->source_region ? s->source_region : "", sizeof(f->source_region));
	f->created = s->original_created ? s->original_created : s->created;
	return 0;
}

static int find_snapshot(struct found_snapshot *f, struct sk_aws_client *c, const char *region, const char *id)
{
	struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
	struct sk_aws_error err;

	memset(f, 0, sizeof(*f));
	memset(&err, 0, sizeof(err));
	f->id = id;
	d.snapshot_id = id;
	return found_or_absent(sk_rds_describe_db_snapshots(c, region, &d, on_snapshot, f, &err), &err,
			       "DBSnapshotNotFound");
}

/* ---- the checks ---- */

/* the restore window of a live instance into p: LatestRestorableTime, and the earliest from its backup record */
static int read_window(struct sk_restore_plan *p, struct sk_aws_client *c, const char *region,
		       const struct found_instance *in)
{
	struct found_backup b;

	p->retention_days = in->retention;
	p->latest = in->latest;
	if (find_backup(&b, c, region, in->id, in->arn) < 0)
		return -1;
	if (b.found) {
		p->earliest = b.earliest;
		sk_strlcpy(p->backup_status, b.status, sizeof(p->backup_status));
		if (!p->latest)
			p->latest = b.latest;
	}
	return 0;
}

static int check_point_in_time(struct sk_restore_plan *p, struct sk_aws_client *c, const struct sk_restore_request *r)
{
	struct found_instance in;
	struct found_backup b;
	char window[128];

	if (find_instance(&in, c, r->region, r->instance) < 0)
		return -1;
	if (in.found) {
		if (in.retention <= 0)
			return refuse(r, "instance '%s' keeps no automated backups (BackupRetentionPeriod 0), so it has "
					 "no restore window", r->instance);
		p->via = SK_RESTORE_VIA_INSTANCE;
		sk_strlcpy(p->source_arn, in.arn, sizeof(p->source_arn));
		sk_strlcpy(p->source_region, r->region, sizeof(p->source_region));
		if (read_window(p, c, r->region, &in) < 0)
			return -1;
	} else {
		/* the DR path: an automated backup of it replicated into this region (or retained here) */
		if (find_backup(&b, c, r->region, r->instance, NULL) < 0)
			return -1;
		if (!b.found)
			return refuse(r, "there is no instance '%s' there, nor an automated backup of it (replicated or "
					 "retained)", r->instance);
		p->via = SK_RESTORE_VIA_AUTOMATED_BACKUP;
		sk_strlcpy(p->source_arn, b.arn, sizeof(p->source_arn));
		sk_strlcpy(p->source_region, b.source_region, sizeof(p->source_region));
		sk_strlcpy(p->backup_status, b.status, sizeof(p->backup_status));
		p->retention_days = b.retention;
		p->earliest = b.earliest;
		p->latest = b.latest;
	}
	sk_restore_window_text(window, sizeof(window), p);
	if (!p->latest)
		return refuse(r, "'%s' has no restorable time yet (restore window %s)", r->instance, window);
	if (r->source == SK_RESTORE_TO_TIME) {
		if (!p->earliest)
			return refuse(r, "the earliest restorable time of '%s' is not known (no automated-backup record), "
					 "so the time cannot be checked; use --latest or a snapshot", r->instance);
		if (r->restore_time < p->earliest || r->restore_time > p->latest)
			return refuse(r, "the time is outside its restore window %s", window);
		p->restore_time = r->restore_time;
	}
	return 0;
}

static int check_snapshot(struct sk_restore_plan *p, struct sk_aws_client *c, const struct sk_restore_request *r)
{
	struct found_snapshot s;
	struct found_instance in;
	struct sk_arn arn;
	char arn_region[64] = "", id[256];

	if (sk_arn_parse(&arn, r->snapshot) == 0) {
		if (!sk_arn_part_is(arn.service, "rds") || !sk_arn_part_is(arn.resource_type, "snapshot") ||
		    sk_arn_part_copy(id, sizeof(id), arn.resource_id) < 0)
			return sk_error_set(SK_ERR_INVALID, "--from-snapshot: '%s' is not the ARN of an RDS snapshot",
					    r->snapshot);
		sk_arn_part_copy(arn_region, sizeof(arn_region), arn.region);
		if (strcmp(arn_region, r->region))
			return refuse(r, "the snapshot is in %s, not in %s: restore there (--region %s), or copy it here "
					 "first", arn_region, r->region, arn_region);
	} else {
		sk_strlcpy(id, r->snapshot, sizeof(id));
	}
	if (find_snapshot(&s, c, r->region, id) < 0)
		return -1;
	if (!s.found)
		return refuse(r, "there is no snapshot '%s' there", id);
	if (strcasecmp(s.instance, r->instance))
		return refuse(r, "snapshot '%s' is of instance '%s', not '%s'", id, s.instance, r->instance);
	if (strcmp(s.status, "available"))
		return refuse(r, "snapshot '%s' is %s, not available", id, s.status);
	/* the instance's window too, when it lives here: what a point-in-time restore could reach instead */
	if (find_instance(&in, c, r->region, r->instance) < 0 ||
	    (in.found && in.retention > 0 && read_window(p, c, r->region, &in) < 0))
		return -1;
	p->via = SK_RESTORE_VIA_SNAPSHOT;
	sk_strlcpy(p->snapshot_id, id, sizeof(p->snapshot_id));
	sk_strlcpy(p->snapshot_status, s.status, sizeof(p->snapshot_status));
	sk_strlcpy(p->source_arn, s.arn, sizeof(p->source_arn));
	sk_strlcpy(p->source_region, s.source_region[0] ? s.source_region : r->region, sizeof(p->source_region));
	p->snapshot_created = s.created;
	return 0;
}

/* an instance identifier as RDS takes it: 1..63 letters, digits and hyphens, a letter first, no "--", no '-' last */
static bool valid_instance_id(const char *id)
{
	return strlen(id) <= 63 && sk_rds_valid_snapshot_id(id);
}

static void add_param(struct sk_restore_plan *p, const char *name, const char *value)
{
	if (p->n_params < SK_RESTORE_MAX_PARAMS) {
		p->params[p->n_params].name = name;
		sk_strlcpy(p->params[p->n_params++].value, value, SK_RESTORE_TEXT_MAX);
	}
}

static void add_tag(struct sk_restore_plan *p, const char *key, const char *value)
{
	size_t i = p->n_tags++;

	sk_strlcpy(p->tag_values[i], value, SK_RESTORE_TEXT_MAX);
	p->tags[i].key = key;
	p->tags[i].value = p->tag_values[i];
}

/* a tag value RDS accepts: letters, digits, spaces and _ . : / = + - @ (others become '_'), at most 256 */
static void tag_safe(char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr(" _.:/=+-@", s[i])))
			s[i] = '_';
	if (i > 256)
		s[256] = '\0';
}

static void build_call(struct sk_restore_plan *p, const struct sk_restore_request *r)
{
	char t[SK_TIME_RFC3339_MAX], text[SK_RESTORE_TEXT_MAX], tags[4 * SK_RESTORE_TEXT_MAX];
	size_t i, n = 0;

	if (r->source == SK_RESTORE_FROM_SNAPSHOT) {
		snprintf(text, sizeof(text), "snapshot/%s", p->snapshot_id);
		snprintf(p->summary, sizeof(p->summary), "snapshot '%s' of '%s'", p->snapshot_id, p->instance);
	} else if (r->source == SK_RESTORE_LATEST) {
		snprintf(text, sizeof(text), "%s@latest", p->instance);
		snprintf(p->summary, sizeof(p->summary), "'%s' at its latest restorable time", p->instance);
	} else {
		sk_time_format_rfc3339(t, p->restore_time);
		snprintf(text, sizeof(text), "%s@%s", p->instance, t);
		snprintf(p->summary, sizeof(p->summary), "'%s' at %s", p->instance, t);
	}
	if (p->via == SK_RESTORE_VIA_AUTOMATED_BACKUP)
		snprintf(p->summary + strlen(p->summary), sizeof(p->summary) - strlen(p->summary),
			 " from its automated backup replicated from %s", p->source_region);
	tag_safe(text);
	add_tag(p, SK_TAG_RESTORE, text);
	sk_strlcpy(text, p->source_arn, sizeof(text));
	tag_safe(text);
	add_tag(p, SK_TAG_RESTORED_FROM, text);
	sk_strlcpy(text, r->requested_by && *r->requested_by ? r->requested_by : "snapkeep", sizeof(text));
	tag_safe(text);
	add_tag(p, SK_TAG_RESTORED_BY, text);
	sk_time_format_rfc3339(t, r->now ? r->now : sk_time_now());
	add_tag(p, SK_TAG_RESTORED_AT, t);

	if (r->source == SK_RESTORE_FROM_SNAPSHOT) {
		p->action = "RestoreDBInstanceFromDBSnapshot";
		p->journal_action = "restore-snapshot";
		add_param(p, "DBInstanceIdentifier", p->target);
		add_param(p, "DBSnapshotIdentifier", p->snapshot_id);
	} else {
		p->action = "RestoreDBInstanceToPointInTime";
		p->journal_action = "restore-pitr";
		if (p->via == SK_RESTORE_VIA_AUTOMATED_BACKUP)
			add_param(p, "SourceDBInstanceAutomatedBackupsArn", p->source_arn);
		else
			add_param(p, "SourceDBInstanceIdentifier", p->instance);
		add_param(p, "TargetDBInstanceIdentifier", p->target);
		if (r->source == SK_RESTORE_LATEST) {
			add_param(p, "UseLatestRestorableTime", "true");
		} else {
			sk_time_format_rfc3339(t, p->restore_time);
			add_param(p, "RestoreTime", t);
		}
	}
	if (r->instance_class)
		add_param(p, "DBInstanceClass", r->instance_class);
	tags[0] = '\0';
	for (i = 0; i < p->n_tags; i++)
		n += (size_t)snprintf(tags + n, n < sizeof(tags) ? sizeof(tags) - n : 0, "%s%s=%s", i ? ", " : "",
				      p->tags[i].key, p->tags[i].value);
	add_param(p, "Tags", tags);
}

int sk_restore_check(struct sk_restore_plan **out, struct sk_aws_client *c, const struct sk_restore_request *r)
{
	struct sk_restore_plan *p;
	struct found_instance target;
	int rc;

	*out = NULL;
	if (!r->instance || !*r->instance || !r->target || !*r->target || !r->region || !*r->region)
		return sk_error_set(SK_ERR_INVALID, "a restore needs an instance, a target and a region");
	if (r->source == SK_RESTORE_FROM_SNAPSHOT && (!r->snapshot || !*r->snapshot))
		return sk_error_set(SK_ERR_INVALID, "a restore from a snapshot needs the snapshot");
	if (!valid_instance_id(r->target))
		return sk_error_set(SK_ERR_INVALID, "target '%s' is not an instance identifier: 1 to 63 letters, digits "
				    "and hyphens, a letter first, no two hyphens in a row, none last", r->target);
	if (!strcasecmp(r->target, r->instance))
		return sk_error_set(SK_ERR_INVALID, "the target must be a new instance, not '%s' itself", r->instance);
	if (!(p = calloc(1, sizeof(*p))))
		return sk_error_set_oom();
	p->source = r->source;
	sk_strlcpy(p->region, r->region, sizeof(p->region));
	sk_strlcpy(p->instance, r->instance, sizeof(p->instance));
	sk_strlcpy(p->target, r->target, sizeof(p->target));
	rc = r->source == SK_RESTORE_FROM_SNAPSHOT ? check_snapshot(p, c, r) : check_point_in_time(p, c, r);
	if (rc == 0 && (rc = find_instance(&target, c, r->region, r->target)) == 0 && target.found)
		rc = refuse(r, "db instance '%s' already exists there (%s); name a new target", r->target, target.status);
	if (rc < 0) {
		free(p);
		return rc;
	}
	build_call(p, r);
	*out = p;
	return 0;
}

void sk_restore_plan_free(struct sk_restore_plan *p)
{
	free(p);
}

/* ---- the call, journaled ---- */

/* the call's parameters as the intent records them (the tags as an object) */
static json_t *call_json(const struct sk_restore_plan *p)
{
	json_t *j = json_object(), *tags = json_object();
	size_t i;
	bool ok = j && tags;

	for (i = 0; ok && i < p->n_params; i++)
		if (strcmp(p->params[i].name, "Tags"))
			ok = json_object_set_new(j, p->params[i].name, json_string(p->params[i].value)) == 0;
	for (i = 0; ok && i < p->n_tags; i++)
		ok = json_object_set_new(tags, p->tags[i].key, json_string(p->tags[i].value)) == 0;
	ok = ok && json_object_set_new(j, "action", json_string(p->action)) == 0 &&
	     json_object_set(j, "Tags", tags) == 0;
	json_decref(tags);
	return sk_json_built(j, ok);
}

/* the instance a describe finds carries every tag of this plan (who, when to the second, from what) */
struct tag_check {
	const struct sk_restore_plan *p;
	bool ours;
};

static int on_target(void *ud, const struct sk_rds_instance *in)
{
	struct tag_check *t = ud;
	size_t i;

	if (strcasecmp(in->id, t->p->target))
		return 0;
	for (i = 0; i < t->p->n_tags; i++) {
		const char *v = sk_tag_get(in->tags, in->n_tags, t->p->tags[i].key);
		if (!v || strcmp(v, t->p->tags[i].value))
			return 0;
	}
	t->ours = true;
	return 0;
}

/*
 * DBInstanceAlreadyExists, although the target was checked to be free: is it
 * the instance this very call made, its answer lost (a retry, or libcurl
 * sending again on a connection that died)?  The tags say so.
 */
static bool made_by_this_call(struct sk_aws_client *c, const struct sk_restore_plan *p)
{
	struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
	struct tag_check t = { p, false };
	char saved[SK_ERROR_MAX];
	int klass = sk_error_last()->klass;

	/* the call's error stays the one reported, whatever this describe meets */
	sk_strlcpy(saved, sk_error_message(), sizeof(saved));
	d.instance_id = p->target;
	if (sk_rds_describe_db_instances(c, p->region, &d, on_target, &t, NULL) < 0)
		sk_error_set(klass, "%s", saved);
	return t.ours;
}

static int call(struct sk_aws_client *c, const struct sk_restore_plan *p, struct sk_aws_error *err)
{
	struct sk_rds_restore rr;

	memset(&rr, 0, sizeof(rr));
	rr.instance_id = p->target;
	rr.instance_class = NULL;
	for (size_t i = 0; i < p->n_params; i++)
		if (!strcmp(p->params[i].name, "DBInstanceClass"))
			rr.instance_class = p->params[i].value;
	rr.tags = p->tags;
	rr.n_tags = p->n_tags;
	if (p->source == SK_RESTORE_FROM_SNAPSHOT) {
		rr.snapshot_id = p->snapshot_id;
		return sk_rds_restore_from_snapshot(c, p->region, &rr, NULL, NULL, err);
	}
	if (p->via == SK_RESTORE_VIA_AUTOMATED_BACKUP)
		rr.source_automated_backup_arn = p->source_arn;
	else
		rr.source_instance = p->instance;
	rr.restore_time = p->source == SK_RESTORE_LATEST ? 0 : p->restore_time;
	return sk_rds_restore_to_point_in_time(c, p->region, &rr, NULL, NULL, err);
}

static bool cancelled(const struct sk_restore_opts *o)
{
	return o->cancel && *o->cancel;
}

/* intent, call, outcome, under the lock; the intent's id to intent_id */
static int request(struct sk_restore_report *rep, const struct sk_restore_plan *p, const struct sk_restore_opts *o,
		   struct sk_journal *journal, char *intent_id, size_t intent_len)
{
	struct sk_journal_call jc = { .run_id = rep->run_id, .action = p->journal_action, .region = p->region,
				      .target = p->target, .instance = p->instance };
	struct sk_journal_result jr = SK_JOURNAL_RESULT_INIT;
	struct sk_aws_error err;
	json_t *params = call_json(p);
	char why[SK_ERROR_MAX + 128];
	int rc;

	if (!params)
		return -1;
	if (o->account && json_object_set_new(params, "account", json_string(o->account)) < 0) {
		json_decref(params);
		return sk_error_set_oom();
	}
	jc.call = params;
	rc = sk_journal_intent(intent_id, intent_len, journal, &jc);
	json_decref(params);
	if (rc < 0)
		return sk_error_prefix("not making the call %s in %s: cannot record the intent", p->action, p->region);
	memset(&err, 0, sizeof(err));
	rep->stage = "call";
	rc = call(o->client, p, &err);
	if (rc < 0 && !strcmp(err.code, "DBInstanceAlreadyExists") && made_by_this_call(o->client, p))
		rc = 0; /* an earlier attempt's answer was lost: the instance is this call's */
	jr.request_id = err.request_id;
	if (rc == 0) {
		jr.result = "done";
		jr.detail = p->summary;
		sk_strlcpy(rep->request_id, err.request_id, sizeof(rep->request_id));
		rep->requested = true;
	} else {
		bool unknown = sk_aws_error_maybe_made(&err);
		snprintf(why, sizeof(why), "%s%s", sk_error_message(),
			 unknown ? "; whether it was made is checked by the next apply" : "");
		jr.result = unknown ? SK_RESULT_UNKNOWN : "failed";
		jr.error_code = err.code;
		jr.error_message = err.message;
		jr.detail = why;
	}
	if (sk_journal_outcome(journal, intent_id, &jr) < 0) {
		if (rc == 0)
			sk_warn("the restore was requested, but its outcome could not be recorded: %s", sk_error_message());
		else
			sk_error_prefix("%s (and recording it failed)", why);
	}
	return rc;
}

/* the lock (waiting up to timeout s), the journal, a record, and both given back; a failure is a warning */
static void record_wait(const struct sk_restore_report *rep, const struct sk_restore_plan *p,
			const struct sk_restore_opts *o, struct sk_backend *backend, const char *intent_id)
{
	struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
	struct sk_journal_restore jr = { .run_id = rep->run_id, .action = p->journal_action, .region = p->region,
					 .target = p->target, .instance = p->instance };
	struct sk_backend_lock *lock = NULL;
	struct sk_journal *journal = NULL;
	char detail[SK_ERROR_MAX];

	switch (rep->wait.end) {
	case SK_INSTANCE_WAIT_REACHED:
		jr.result = "available";
		snprintf(detail, sizeof(detail), "available after %lld s", (long long)(rep->wait.elapsed_ms / 1000));
		break;
	case SK_INSTANCE_WAIT_TIMEOUT:
		jr.result = "timeout";
		snprintf(detail, sizeof(detail), "%s", sk_error_message());
		break;
	case SK_INSTANCE_WAIT_CANCELLED:
		jr.result = "interrupted";
		snprintf(detail, sizeof(detail), "interrupted while it was %s; the restore goes on in AWS",
			 rep->wait.status[0] ? rep->wait.status : "not listed yet");
		break;
	default:
		jr.result = "failed";
		snprintf(detail, sizeof(detail), "%s", sk_error_message());
		break;
	}
	jr.detail = detail;
	jr.seconds = rep->wait.elapsed_ms / 1000;
	lo.command = "restore";
	lo.run_id = rep->run_id;
	lo.timeout = o->lock_timeout > 60 ? o->lock_timeout : 60;
	if (sk_backend_lock(&lock, backend, &lo) < 0 || sk_backend_journal_open(&journal, backend) < 0 ||
	    sk_journal_restore(journal, intent_id, &jr) < 0)
		sk_warn("could not record how restore %s ended (%s): %s", p->target, jr.result, sk_error_message());
	sk_journal_close(journal);
	sk_backend_unlock(lock);
}

int sk_restore(struct sk_restore_report *out, const struct sk_restore_request *r, const struct sk_restore_opts *o)
{
	struct sk_restore_report local;
	struct sk_restore_report *rep = out ? out : &local;
	struct sk_restore_plan *p = NULL;
	struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
	struct sk_backend_lock *lock = NULL;
	struct sk_backend_opts bo = SK_BACKEND_OPTS_INIT;
	struct sk_backend *backend = NULL;
	struct sk_journal *journal = NULL;
	struct sk_instance_wait_opts wo = SK_INSTANCE_WAIT_OPTS_INIT;
	char intent_id[SK_JOURNAL_ID_MAX] = "", saved[SK_ERROR_MAX];
	int rc = -1, klass;

	memset(rep, 0, sizeof(*rep));
	rep->stage = "check";
	if (sk_restore_check(&p, o->client, r) < 0) {
		rep->refused = sk_error_last()->klass == SK_ERR_SAFETY;
		goto done;
	}
	if (o->on_plan)
		o->on_plan(o->ud, p);
	if (!o->apply) {
		rep->stage = "done";
		rc = 0;
		goto done;
	}
	if (cancelled(o)) {
		sk_error_set(SK_ERR_INTERRUPTED, "interrupted before the restore call; none was made");
		rc = SK_EINTERRUPTED;
		goto done;
	}
	rep->stage = "state";
	bo.spec = o->state_backend;
	bo.state_dir = o->state_dir;
	if (sk_backend_open(&backend, &bo) < 0 || sk_journal_new_run_id(rep->run_id) < 0)
		goto done;
	rep->stage = "lock";
	lo.command = "restore";
	lo.run_id = rep->run_id;
	lo.timeout = o->lock_timeout;
	lo.cancel = o->cancel;
	if ((rc = sk_backend_lock(&lock, backend, &lo)) < 0)
		goto done;
	rc = -1;
	rep->stage = "state";
	if (sk_backend_journal_open(&journal, backend) < 0)
		goto done;
	rc = request(rep, p, o, journal, intent_id, sizeof(intent_id));
	/* the lock is held only for the call: a wait of an hour must not stop `snapkeep run` */
	sk_journal_close(journal);
	journal = NULL;
	sk_backend_unlock(lock);
	lock = NULL;
	if (rc < 0)
		goto done;
	if (o->on_requested)
		o->on_requested(o->ud, p, rep->request_id);
	if (!o->wait) {
		rep->stage = "done";
		goto done;
	}
	rep->stage = "wait";
	wo.timeout = o->wait_timeout;
	wo.poll_ms = o->poll_ms;
	wo.cancel = o->cancel;
	wo.on_poll = o->on_poll;
	wo.ud = o->ud;
	rc = sk_instance_wait(&rep->wait, o->client, p->region, p->target, SK_INSTANCE_WANT_AVAILABLE, &wo);
	rep->waited = true;
	/* recording must not lose the wait's message */
	klass = sk_error_last()->klass;
	sk_strlcpy(saved, sk_error_message(), sizeof(saved));
	record_wait(rep, p, o, backend, intent_id);
	if (rc < 0)
		sk_error_set(klass, "%s", saved);
	else
		rep->stage = "done";
done:
	if (rc < 0 && cancelled(o))
		rep->signal = (int)*o->cancel;
	sk_journal_close(journal);
	sk_backend_unlock(lock);
	sk_backend_close(backend);
	sk_restore_plan_free(p);
	return rc;
}
