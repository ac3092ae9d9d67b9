/*
 * sk-aws.c - drives every call of aws/ from the command line, for the
 * end-to-end tests against the emulator (and by hand against AWS).
 *
 *   sk-aws [--region R] [--endpoint URL] [--profile P] CALL ARGS...
 *
 * Results are printed one JSON object per line; a failure prints one
 * "sk-aws: <message>" line on stderr, then "aws-error: <code> <http> <request id>"
 * when AWS answered, and exits 1.  The default credentials chain and
 * configuration are used, as snapkeep does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/cloudwatch.h"
#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/rds.h"
#include "aws/sns.h"
#include "aws/sts.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"

static void print(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

static json_t *tags_json(const struct sk_aws_tag *t, size_t n)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_set_new(o, t[i].key, json_string(t[i].value));
	return o;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *time_json(int64_t t)
{
	char buf[SK_TIME_RFC3339_MAX];

	if (!t)
		return json_null();
	sk_time_format_rfc3339(buf, t);
	return json_string(buf);
}

static int on_instance(void *ud, const struct sk_rds_instance *d)
{
	json_t *reps = json_array();
	size_t i;

	(void)ud;
	for (i = 0; i < d->n_replications; i++)
		json_array_append_new(reps, json_string(d->replication_arns[i]));
	print(json_pack("{s:s, s:o, s:s, s:i, s:b, s:i, s:o, s:b, s:b, s:o, s:o, s:o, s:o}", "id", d->id, "arn",
			str_or_null(d->arn), "status", d->status, "retention", d->backup_retention_period, "pending",
			d->has_pending_retention, "pendingRetention", d->pending_retention, "window",
			str_or_null(d->preferred_backup_window), "copyTags", d->copy_tags_to_snapshot,
			"deletionProtection", d->deletion_protection, "latestRestorable",
			time_json(d->latest_restorable_time), "replications", reps, "tags", tags_json(d->tags, d->n_tags),
			"awsBackup", str_or_null(d->aws_backup_recovery_point_arn)));
	return 0;
}

static int on_snapshot(void *ud, const struct sk_rds_snapshot *s)
{
	(void)ud;
	print(json_pack("{s:s, s:o, s:o, s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:o}", "id", s->id, "arn",
			str_or_null(s->arn), "instance", str_or_null(s->instance_id), "status", s->status, "type",
			s->type, "created", time_json(s->created), "originalCreated", time_json(s->original_created),
			"encrypted", s->encrypted, "kmsKeyId", str_or_null(s->kms_key_id), "sourceRegion",
			str_or_null(s->source_region), "source", str_or_null(s->source_snapshot), "tags",
			tags_json(s->tags, s->n_tags)));
	return 0;
}

static int on_backup(void *ud, const struct sk_rds_automated_backup *b)
{
	(void)ud;
	print(json_pack("{s:o, s:o, s:o, s:o, s:s, s:i, s:o, s:o}", "arn", str_or_null(b->arn), "instance",
			str_or_null(b->instance_id), "instanceArn", str_or_null(b->instance_arn), "region",
			str_or_null(b->region), "status", b->status, "retention", b->backup_retention_period, "earliest",
			time_json(b->earliest), "latest", time_json(b->latest)));
	return 0;
}

/* "k=v" arguments into tags */
static size_t parse_tags(char **argv, int argc, struct sk_aws_tag *out, size_t max)
{
	size_t n = 0;
	int i;

	for (i = 0; i < argc && n < max; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			continue;
		*eq = '\0';
		out[n].key = argv[i];
		out[n].value = eq + 1;
		n++;
	}
	return n;
}

static const char *opt(char **argv, int argc, const char *key)
{
	size_t n = strlen(key);
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

static int usage(void)
{
	fputs("usage: sk-aws [--region R] [--endpoint URL] [--profile P] [--debug] CALL ARGS...\n"
	      "calls: describe-instances [ID] | describe-snapshots [instance=ID] [type=T] [id=ID] [page=N]\n"
	      "       describe-automated-backups | modify ID [retention=N] [window=W] [copy-tags=B]\n"
	      "       [deletion-protection=B] [apply-immediately=B] | create-snapshot ID INSTANCE [K=V...]\n"
	      "       copy-snapshot SOURCE-REGION SOURCE-ARN TARGET [kms=K] [copy-tags=B] [K=V...]\n"
	      "       delete-snapshot ID | add-tags ARN K=V... | remove-tags ARN KEY...\n"
	      "       start-replication SOURCE-REGION SOURCE-ARN [retention=N] [kms=K]\n"
	      "       stop-replication SOURCE-ARN | restore-snapshot NEW SNAPSHOT\n"
	      "       restore-pitr NEW SOURCE [time=T] | delete-instance ID [final=SNAP]\n"
	      "       publish TOPIC-ARN SUBJECT MESSAGE | put-metric NAMESPACE NAME VALUE [DIM=V...]\n"
	      "       whoami | credentials [count=N]\n",
	      stderr);
	return 64;
}

int main(int argc, char **argv)
{
	struct sk_aws_config_opts copts = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_client_opts o = SK_AWS_CLIENT_OPTS_INIT, so = SK_AWS_CLIENT_OPTS_INIT;
	struct sk_credentials_chain_opts cc = SK_CREDENTIALS_CHAIN_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;
	struct sk_credentials_provider *creds = NULL;
	struct sk_aws_client *c = NULL, *sts = NULL;
	struct sk_aws_error err;
	const char *call, *region;
	struct sk_aws_tag tags[32];
	int i = 1, rc = 1, n;
	char **a;

	sk_log_init_from_env();
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--region") && i + 1 < argc)
			copts.region = argv[++i];
		else if (!strcmp(argv[i], "--endpoint") && i + 1 < argc)
			copts.endpoint_url = argv[++i];
		else if (!strcmp(argv[i], "--profile") && i + 1 < argc)
			copts.profile = argv[++i];
		else if (!strcmp(argv[i], "--debug"))
			sk_log_set_level(SK_LOG_DEBUG);
		else
			return usage();
	}
	if (i >= argc)
		return usage();
	call = argv[i++];
	a = argv + i;
	n = argc - i;
	memset(&err, 0, sizeof(err));
	if (sk_aws_config_load(&cfg, &copts) < 0)
		goto fail;
	/* as snapkeep's session: the chain is handed an STS client for web identity */
	so.config = cfg;
	so.call_timeout_ms = 10000;
	cc.config = cfg;
	cc.web_identity = sk_sts_web_identity;
	if (sk_aws_client_new(&sts, &so) < 0)
		goto fail;
	cc.web_identity_ud = sts;
	if (sk_credentials_provider_chain_new(&creds, &cc) < 0)
		goto fail;
	o.config = cfg;
	o.credentials = creds;
	if (sk_aws_client_new(&c, &o) < 0)
		goto fail;
	region = cfg->region ? cfg->region : "us-east-1";

	if (!strcmp(call, "credentials")) {
		/* count=N: N get()s in a row, one line each (the refresh tests); never the secret */
		int k, times = opt(a, n, "count") ? atoi(opt(a, n, "count")) : 1;
		for (k = 0; k < (times > 0 ? times : 1); k++) {
			struct sk_credentials cr = SK_CREDENTIALS_INIT;
			if (sk_credentials_provider_get(creds, &cr) < 0)
				goto fail;
			print(json_pack("{s:s, s:s, s:b, s:o, s:i}", "source", cr.source ? cr.source : "?", "accessKeyId",
					cr.access_key_id, "sessionToken", cr.session_token != NULL, "expiration",
					time_json(cr.expiration), "fetches", (int)sk_credentials_provider_fetches(creds)));
			sk_credentials_clear(&cr);
		}
		rc = 0;
	} else if (!strcmp(call, "describe-instances")) {
		struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
		d.instance_id = n > 0 ? a[0] : NULL;
		rc = sk_rds_describe_dbs(c, region, false, &d, on_instance, NULL, &err);
	} else if (!strcmp(call, "describe-snapshots")) {
		struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
		d.instance_id = opt(a, n, "instance");
		d.snapshot_type = opt(a, n, "type");
		d.snapshot_id = opt(a, n, "id");
		d.page_size = opt(a, n, "page") ? atoi(opt(a, n, "page")) : 0;
		rc = sk_rds_describe_snapshots(c, region, false, &d, on_snapshot, NULL, &err);
	} else if (!strcmp(call, "describe-automated-backups")) {
		rc = sk_rds_describe_db_instance_automated_backups(c, region, NULL, on_backup, NULL, &err);
	} else if (!strcmp(call, "modify") && n >= 1) {
		struct sk_rds_modify m = SK_RDS_MODIFY_INIT;
		m.instance_id = a[0];
		if (opt(a, n, "retention"))
			m.backup_retention_period = atoi(opt(a, n, "retention"));
		m.preferred_backup_window = opt(a, n, "window");
		if (opt(a, n, "copy-tags"))
			m.copy_tags_to_snapshot = !strcmp(opt(a, n, "copy-tags"), "true");
		if (opt(a, n, "deletion-protection"))
			m.deletion_protection = !strcmp(opt(a, n, "deletion-protection"), "true");
		m.apply_immediately = opt(a, n, "apply-immediately") && !strcmp(opt(a, n, "apply-immediately"), "true");
		rc = sk_rds_modify_db(c, region, false, &m, on_instance, NULL, &err);
	} else if (!strcmp(call, "create-snapshot") && n >= 2) {
		size_t nt = parse_tags(a + 2, n - 2, tags, 32);
		rc = sk_rds_create_snapshot(c, region, false, a[0], a[1], tags, nt, on_snapshot, NULL, &err);
	} else if (!strcmp(call, "copy-snapshot") && n >= 3) {
		struct sk_rds_copy cp;
		size_t nt;
		memset(&cp, 0, sizeof(cp));
		cp.source_region = a[0];
		cp.source_arn = a[1];
		cp.target_id = a[2];
		cp.kms_key_id = opt(a, n, "kms");
		cp.copy_tags = opt(a, n, "copy-tags") && !strcmp(opt(a, n, "copy-tags"), "true");
		nt = parse_tags(a + 3, n - 3, tags, 32);
		/* kms= and copy-tags= are options, not tags */
		for (size_t k = 0; k < nt;) {
			if (!strcmp(tags[k].key, "kms") || !strcmp(tags[k].key, "copy-tags")) {
				memmove(&tags[k], &tags[k + 1], (nt - k - 1) * sizeof(tags[0]));
				nt--;
			} else {
				k++;
			}
		}
		cp.tags = tags;
		cp.n_tags = nt;
		rc = sk_rds_copy_snapshot(c, region, false, &cp, on_snapshot, NULL, &err);
	} else if (!strcmp(call, "delete-snapshot") && n >= 1) {
		rc = sk_rds_delete_snapshot(c, region, false, a[0], &err);
	} else if (!strcmp(call, "add-tags") && n >= 2) {
		size_t nt = parse_tags(a + 1, n - 1, tags, 32);
		rc = sk_rds_add_tags(c, region, a[0], tags, nt, &err);
	} else if (!strcmp(call, "remove-tags") && n >= 2) {
		rc = sk_rds_remove_tags(c, region, a[0], (const char *const *)(a + 1), (size_t)(n - 1), &err);
	} else if (!strcmp(call, "start-replication") && n >= 2) {
		struct sk_rds_replication r;
		r.source_region = a[0];
		r.source_instance_arn = a[1];
		r.backup_retention_period = opt(a, n, "retention") ? atoi(opt(a, n, "retention")) : 0;
		r.kms_key_id = opt(a, n, "kms");
		rc = sk_rds_start_automated_backups_replication(c, region, &r, &err);
	} else if (!strcmp(call, "stop-replication") && n >= 1) {
		rc = sk_rds_stop_automated_backups_replication(c, region, a[0], &err);
	} else if (!strcmp(call, "restore-snapshot") && n >= 2) {
		struct sk_rds_restore r;
		memset(&r, 0, sizeof(r));
		r.instance_id = a[0];
		r.snapshot_id = a[1];
		rc = sk_rds_restore_from_snapshot(c, region, &r, on_instance, NULL, &err);
	} else if (!strcmp(call, "restore-pitr") && n >= 2) {
		struct sk_rds_restore r;
		memset(&r, 0, sizeof(r));
		r.instance_id = a[0];
		r.source_instance = a[1];
		if (opt(a, n, "time") && sk_time_parse_rfc3339(&r.restore_time, opt(a, n, "time")) < 0)
			goto fail;
		rc = sk_rds_restore_to_point_in_time(c, region, &r, on_instance, NULL, &err);
	} else if (!strcmp(call, "delete-instance") && n >= 1) {
		const char *final = opt(a, n, "final");
		rc = sk_rds_delete_db_instance(c, region, a[0], final == NULL, final, false, &err);
	} else if (!strcmp(call, "publish") && n >= 3) {
		char id[128];
		rc = sk_sns_publish(c, a[0], a[1], a[2], id, sizeof(id), &err);
		if (rc == 0)
			print(json_pack("{s:s}", "messageId", id));
	} else if (!strcmp(call, "put-metric") && n >= 3) {
		struct sk_metric_dimension dims[8];
		struct sk_metric_datum m;
		size_t nd = 0;
		int k;
		for (k = 3; k < n && nd < 8; k++) {
			char *eq = strchr(a[k], '=');
			if (!eq)
				continue;
			*eq = '\0';
			dims[nd].name = a[k];
			dims[nd].value = eq + 1;
			nd++;
		}
		memset(&m, 0, sizeof(m));
		m.name = a[1];
		m.value = atof(a[2]);
		m.unit = "Count";
		m.dimensions = dims;
		m.n_dimensions = nd;
		rc = sk_cloudwatch_put_metric_data(c, region, a[0], &m, 1, &err);
	} else if (!strcmp(call, "whoami")) {
		struct sk_caller_identity id;
		rc = sk_sts_get_caller_identity(c, region, &id, &err);
		if (rc == 0)
			print(json_pack("{s:s, s:s, s:s}", "account", id.account, "arn", id.arn, "userId", id.user_id));
	} else {
		rc = usage();
		goto done;
	}
	if (rc == 0)
		goto done;
fail:
	fprintf(stderr, "sk-aws: %s\n", sk_error_message());
	if (err.code[0])
		fprintf(stderr, "aws-error: %s %ld %s\n", err.code, err.http_status, err.request_id[0] ? err.request_id : "-");
	rc = 1;
done:
	sk_aws_client_free(c);
	sk_credentials_provider_free(creds);
	sk_aws_client_free(sts);
	sk_aws_config_free(cfg);
	return rc;
}
