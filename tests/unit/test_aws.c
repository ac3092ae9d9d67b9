/*
 * test_aws.c - Query encoding, reading RDS answers, what an answer is, error classification, retry policy
 *
 * The XML samples in tests/data/rds-xml/ are AWS's published sample
 * responses (see that folder's README).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/query.h"
#include "aws/rds_xml.h"
#include "aws/sns.h"
#include "aws/xml.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct sk_buf b = SK_BUF_INIT;
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(sk_buf_add(&b, chunk, n), 0);
	fclose(f);
	*len = b.len;
	return sk_buf_detach(&b);
}

static void test_query_encodes_lists_filters_and_tags(void **state)
{
	struct sk_query q = SK_QUERY_INIT;
	struct sk_buf out = SK_BUF_INIT;
	const char *vals[] = { "db-1", "db 2" };
	struct sk_aws_tag tags[] = { { "snapkeep:policy", "prod" }, { "Team", "a/b" } };

	(void)state;
	assert_int_equal(sk_query_add_filter(&q, 1, "db-instance-id", vals, 2), 0);
	assert_int_equal(sk_query_add_tags(&q, "Tags", "Tag", tags, 2), 0);
	assert_int_equal(sk_query_add_int(&q, "MaxRecords", 100), 0);
	assert_int_equal(sk_query_add_bool(&q, "CopyTags", true), 0);
	assert_int_equal(sk_query_encode(&q, &out), 0);
	assert_string_equal(out.ptr,
			    "Filters.Filter.1.Name=db-instance-id"
			    "&Filters.Filter.1.Values.Value.1=db-1"
			    "&Filters.Filter.1.Values.Value.2=db%202"
			    "&Tags.Tag.1.Key=snapkeep%3Apolicy&Tags.Tag.1.Value=prod"
			    "&Tags.Tag.2.Key=Team&Tags.Tag.2.Value=a%2Fb"
			    "&MaxRecords=100&CopyTags=true");
	assert_string_equal(sk_query_get(&q, "Tags.Tag.2.Value"), "a/b");
	assert_null(sk_query_get(&q, "Nope"));
	sk_buf_free(&out);
	sk_query_free(&q);
}

static void test_query_escapes_all_but_unreserved(void **state)
{
	struct sk_buf out = SK_BUF_INIT;
	const char *in = "AZaz09-._~ +=&%\xc3\xa9";

	(void)state;
	assert_int_equal(sk_query_escape(&out, in, strlen(in)), 0);
	assert_string_equal(out.ptr, "AZaz09-._~%20%2B%3D%26%25%C3%A9");
	sk_buf_free(&out);
}

struct snaps {
	int n;
	char ids[8][128];
	char types[8][32];
	int64_t created[8];
	int64_t original[8];
	char status[8][32];
};

static int collect_snapshot(void *ud, const struct sk_rds_snapshot *s)
{
	struct snaps *c = ud;

	if (c->n >= 8)
		return -1;
	snprintf(c->ids[c->n], sizeof(c->ids[0]), "%s", s->id);
	snprintf(c->types[c->n], sizeof(c->types[0]), "%s", s->type);
	snprintf(c->status[c->n], sizeof(c->status[0]), "%s", s->status);
	c->created[c->n] = s->created;
	c->original[c->n] = s->original_created;
	c->n++;
	return 0;
}

static void test_rds_reads_describe_snapshots_sample(void **state)
{
	size_t len;
	char *xml = slurp("tests/data/rds-xml/DescribeDBSnapshots.xml", &len);
	struct snaps c;
	int64_t t;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sk_rds_parse_snapshot_xml(xml, len, collect_snapshot, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.ids[0], "my-test-restore-snapshot");
	assert_string_equal(c.types[0], "manual");
	assert_string_equal(c.ids[1], "rds:my-mysqlexampledb-2021-04-19-10-08");
	assert_string_equal(c.types[1], "automated");
	assert_string_equal(c.status[2], "available");
	assert_int_equal(sk_time_parse_rfc3339(&t, "2021-03-28T19:57:16Z"), 0);
	assert_int_equal(c.created[0], t);
	free(xml);
}

static void test_rds_copy_sample_keeps_original_create_time(void **state)
{
	size_t len;
	char *xml = slurp("tests/data/rds-xml/CopyDBSnapshot.xml", &len);
	struct snaps c;
	int64_t orig, created;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sk_rds_parse_snapshot_xml(xml, len, collect_snapshot, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.ids[0], "mysqldb-copy");
	assert_int_equal(sk_time_parse_rfc3339(&orig, "2021-04-27T08:16:05Z"), 0);
	assert_int_equal(sk_time_parse_rfc3339(&created, "2021-05-11T06:02:03Z"), 0);
	assert_int_equal(c.original[0], orig);
	assert_int_equal(c.created[0], created);
	free(xml);
}

static void test_rds_create_and_delete_samples_report_status(void **state)
{
	size_t len;
	char *xml = slurp("tests/data/rds-xml/CreateDBSnapshot.xml", &len);
	struct snaps c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sk_rds_parse_snapshot_xml(xml, len, collect_snapshot, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.status[0], "creating");
	free(xml);
	xml = slurp("tests/data/rds-xml/DeleteDBSnapshot.xml", &len);
	memset(&c, 0, sizeof(c));
	assert_int_equal(sk_rds_parse_snapshot_xml(xml, len, collect_snapshot, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.status[0], "deleted");
	assert_string_equal(c.ids[0], "mysqldb-snap-02");
	free(xml);
}

struct backups {
	int n;
	char status[4][32];
	int64_t earliest[4];
	int64_t latest[4];
	char region[4][32];
};

static int collect_backup(void *ud, const struct sk_rds_automated_backup *b)
{
	struct backups *c = ud;

	if (c->n >= 4)
		return -1;
	snprintf(c->status[c->n], sizeof(c->status[0]), "%s", b->status);
	snprintf(c->region[c->n], sizeof(c->region[0]), "%s", b->region ? b->region : "");
	c->earliest[c->n] = b->earliest;
	c->latest[c->n] = b->latest;
	c->n++;
	return 0;
}

static void test_rds_automated_backups_sample_ignores_stray_text(void **state)
{
	size_t len;
	char *xml = slurp("tests/data/rds-xml/DescribeDBInstanceAutomatedBackups.xml", &len);
	struct backups c;
	int64_t t;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sk_rds_parse_automated_backups_xml(xml, len, collect_backup, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.status[0], "creating");
	assert_int_equal(c.earliest[0], 0);
	assert_string_equal(c.region[1], "us-east-1");
	assert_int_equal(sk_time_parse_rfc3339(&t, "2018-08-21T00:33:32Z"), 0);
	assert_int_equal(c.earliest[1], t);
	assert_int_equal(sk_time_parse_rfc3339(&t, "2018-08-28T20:16:27Z"), 0);
	assert_int_equal(c.latest[1], t);
	free(xml);
}

struct inst {
	int n;
	char id[64];
	int retention;
	char window[32];
	bool pending;
};

static int collect_instance(void *ud, const struct sk_rds_instance *d)
{
	struct inst *c = ud;

	c->n++;
	snprintf(c->id, sizeof(c->id), "%s", d->id);
	snprintf(c->window, sizeof(c->window), "%s", d->preferred_backup_window ? d->preferred_backup_window : "");
	c->retention = d->backup_retention_period;
	c->pending = d->has_pending_retention;
	return 0;
}

static void test_rds_modify_sample_reads_backup_settings(void **state)
{
	size_t len;
	char *xml = slurp("tests/data/rds-xml/ModifyDBInstance.xml", &len);
	struct inst c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sk_rds_parse_instances_xml(xml, len, collect_instance, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.id, "myawsuser-dbi04");
	assert_int_equal(c.retention, 7);
	assert_string_equal(c.window, "10:03-10:33");
	assert_false(c.pending);
	free(xml);
}

static void test_rds_pending_retention_is_read(void **state)
{
	const char *xml =
		"<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances><DBInstance>"
		"<DBInstanceIdentifier>db1</DBInstanceIdentifier><BackupRetentionPeriod>0</BackupRetentionPeriod>"
		"<PendingModifiedValues><BackupRetentionPeriod>7</BackupRetentionPeriod></PendingModifiedValues>"
		"</DBInstance></DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>";
	struct inst c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sk_rds_parse_instances_xml(xml, strlen(xml), collect_instance, &c), 0);
	assert_true(c.pending);
	assert_int_equal(c.retention, 0);
}

/* Aurora: a DBCluster reads into sk_rds_instance, a DBClusterSnapshot into sk_rds_snapshot, with the cluster's names */
struct cluster_seen {
	int n;
	bool is_cluster;
	char id[64], arn[128], window[32], endpoint[128], kms[128];
	int retention, allocated, port;
	bool copy_tags, protect, encrypted;
};

static int collect_cluster(void *ud, const struct sk_rds_instance *d)
{
	struct cluster_seen *c = ud;

	c->n++;
	c->is_cluster = d->is_cluster;
	snprintf(c->id, sizeof(c->id), "%s", d->id);
	snprintf(c->arn, sizeof(c->arn), "%s", d->arn ? d->arn : "");
	snprintf(c->window, sizeof(c->window), "%s", d->preferred_backup_window ? d->preferred_backup_window : "");
	snprintf(c->endpoint, sizeof(c->endpoint), "%s", d->endpoint_address ? d->endpoint_address : "");
	snprintf(c->kms, sizeof(c->kms), "%s", d->kms_key_id ? d->kms_key_id : "");
	c->retention = d->backup_retention_period;
	c->allocated = d->allocated_gib;
	c->port = d->endpoint_port;
	c->copy_tags = d->copy_tags_to_snapshot;
	c->protect = d->deletion_protection;
	c->encrypted = d->storage_encrypted;
	return 0;
}

struct csnap_seen {
	int n;
	bool is_cluster[2];
	char id[2][64], cluster[2][64], source[2][128], region[2][32], type[2][16];
	int64_t created[2], original[2];
};

static int collect_csnap(void *ud, const struct sk_rds_snapshot *s)
{
	struct csnap_seen *c = ud;
	int i = c->n++;

	if (i >= 2)
		return 0;
	c->is_cluster[i] = s->is_cluster;
	snprintf(c->id[i], sizeof(c->id[i]), "%s", s->id);
	snprintf(c->cluster[i], sizeof(c->cluster[i]), "%s", s->instance_id ? s->instance_id : "");
	snprintf(c->source[i], sizeof(c->source[i]), "%s", s->source_snapshot ? s->source_snapshot : "");
	snprintf(c->region[i], sizeof(c->region[i]), "%s", s->source_region ? s->source_region : "");
	snprintf(c->type[i], sizeof(c->type[i]), "%s", s->type);
	c->created[i] = s->created;
	c->original[i] = s->original_created;
	return 0;
}

static void test_rds_reads_clusters_and_cluster_snapshots(void **state)
{
	const char *clusters =
		"<DescribeDBClustersResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><DescribeDBClustersResult>"
		"<DBClusters><DBCluster><AllocatedStorage>1</AllocatedStorage><BackupRetentionPeriod>7</BackupRetentionPeriod>"
		"<DBClusterIdentifier>ledger</DBClusterIdentifier><Status>available</Status>"
		"<Endpoint>ledger.cluster-c0ffee.us-east-1.rds.amazonaws.com</Endpoint><Engine>aurora-postgresql</Engine>"
		"<Port>5432</Port><PreferredBackupWindow>07:00-07:30</PreferredBackupWindow>"
		"<DBClusterMembers><DBClusterMember><DBInstanceIdentifier>ledger-1</DBInstanceIdentifier>"
		"<IsClusterWriter>true</IsClusterWriter></DBClusterMember></DBClusterMembers>"
		"<StorageEncrypted>true</StorageEncrypted><KmsKeyId>arn:aws:kms:us-east-1:123456789012:key/k</KmsKeyId>"
		"<DBClusterArn>arn:aws:rds:us-east-1:123456789012:cluster:ledger</DBClusterArn>"
		"<DeletionProtection>true</DeletionProtection><CopyTagsToSnapshot>true</CopyTagsToSnapshot>"
		"<TagList/></DBCluster></DBClusters></DescribeDBClustersResult></DescribeDBClustersResponse>";
	const char *snaps =
		"<DescribeDBClusterSnapshotsResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">"
		"<DescribeDBClusterSnapshotsResult><DBClusterSnapshots>"
		"<DBClusterSnapshot><DBClusterSnapshotIdentifier>s1-dr</DBClusterSnapshotIdentifier>"
		"<DBClusterIdentifier>ledger</DBClusterIdentifier><SnapshotCreateTime>2026-06-01T03:30:00Z</SnapshotCreateTime>"
		"<Status>copying</Status><SnapshotType>manual</SnapshotType>"
		"<DBClusterSnapshotArn>arn:aws:rds:us-west-2:123456789012:cluster-snapshot:s1-dr</DBClusterSnapshotArn>"
		"<SourceDBClusterSnapshotArn>arn:aws:rds:us-east-1:123456789012:cluster-snapshot:s1</SourceDBClusterSnapshotArn>"
		"</DBClusterSnapshot>"
		"<DBClusterSnapshot><DBClusterSnapshotIdentifier>s1-same</DBClusterSnapshotIdentifier>"
		"<DBClusterIdentifier>ledger</DBClusterIdentifier><SnapshotCreateTime>2026-06-01T03:30:00Z</SnapshotCreateTime>"
		"<Status>available</Status><SnapshotType>manual</SnapshotType>"
		"<DBClusterSnapshotArn>arn:aws:rds:us-east-1:123456789012:cluster-snapshot:s1-same</DBClusterSnapshotArn>"
		"<SourceDBClusterSnapshotArn>arn:aws:rds:us-east-1:123456789012:cluster-snapshot:s1</SourceDBClusterSnapshotArn>"
		"</DBClusterSnapshot></DBClusterSnapshots></DescribeDBClusterSnapshotsResult>"
		"</DescribeDBClusterSnapshotsResponse>";
	struct cluster_seen c;
	struct csnap_seen s;
	int64_t t;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sk_rds_parse_clusters_xml(clusters, strlen(clusters), collect_cluster, &c), 0);
	assert_int_equal(c.n, 1);
	assert_true(c.is_cluster);
	assert_string_equal(c.id, "ledger");
	assert_string_equal(c.arn, "arn:aws:rds:us-east-1:123456789012:cluster:ledger");
	assert_string_equal(c.window, "07:00-07:30");
	assert_string_equal(c.endpoint, "ledger.cluster-c0ffee.us-east-1.rds.amazonaws.com");
	assert_string_equal(c.kms, "arn:aws:kms:us-east-1:123456789012:key/k");
	assert_int_equal(c.retention, 7);
	assert_int_equal(c.allocated, 1);
	assert_int_equal(c.port, 5432);
	assert_true(c.copy_tags && c.protect && c.encrypted);
	/* a member's DBInstanceIdentifier inside the cluster is not read as an instance of its own */
	memset(&c, 0, sizeof(c));
	assert_int_equal(sk_rds_parse_instances_xml(clusters, strlen(clusters), collect_cluster, &c), 0);
	assert_int_equal(c.n, 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(sk_rds_parse_cluster_snapshots_xml(snaps, strlen(snaps), collect_csnap, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(s.is_cluster[0] && s.is_cluster[1]);
	assert_string_equal(s.id[0], "s1-dr");
	assert_string_equal(s.cluster[0], "ledger");
	assert_string_equal(s.type[0], "manual");
	assert_string_equal(s.source[0], "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:s1");
	/* a copy from another region names it (from its source's ARN); one in the same region does not */
	assert_string_equal(s.region[0], "us-east-1");
	assert_string_equal(s.region[1], "");
	assert_int_equal(sk_time_parse_rfc3339(&t, "2026-06-01T03:30:00Z"), 0);
	assert_int_equal(s.created[0], t);
	assert_int_equal(s.original[0], t);
}

static void test_error_response_gives_code_message_and_request_id(void **state)
{
	size_t len;
	char *xml = slurp("tests/data/rds-xml/ErrorResponse-awsQuery.xml", &len);
	struct sk_aws_error e;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(sk_aws_parse_error(&e, xml, len), 0);
	assert_string_equal(e.code, "InvalidGreeting");
	assert_string_equal(e.message, "Hi");
	assert_string_equal(e.request_id, "foo-id");
	free(xml);
}

static void test_error_response_that_is_not_xml_is_not_an_aws_error(void **state)
{
	struct sk_aws_error e;
	const char *html = "<html><body>502 Bad Gateway";

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(sk_aws_parse_error(&e, html, strlen(html)), SK_ENOTFOUND);
	assert_int_equal(sk_aws_parse_error(&e, "", 0), SK_ENOTFOUND);
	assert_string_equal(e.code, "");
}

static void test_throttling_and_server_errors_are_retryable(void **state)
{
	(void)state;
	assert_true(sk_aws_code_is_throttle("Throttling"));
	assert_true(sk_aws_code_is_throttle("ThrottlingException"));
	assert_true(sk_aws_code_is_throttle("RequestLimitExceeded"));
	assert_true(sk_aws_code_is_throttle("TooManyRequestsException"));
	assert_false(sk_aws_code_is_throttle("DBSnapshotNotFound"));
	assert_true(sk_aws_is_retryable(400, "Throttling"));
	assert_true(sk_aws_is_retryable(429, ""));
	assert_true(sk_aws_is_retryable(500, "InternalFailure"));
	assert_true(sk_aws_is_retryable(503, "ServiceUnavailable"));
	assert_true(sk_aws_is_retryable(0, NULL));
	assert_false(sk_aws_is_retryable(404, "DBSnapshotNotFound"));
	assert_false(sk_aws_is_retryable(400, "DBSnapshotAlreadyExists"));
	assert_false(sk_aws_is_retryable(400, "SnapshotQuotaExceeded"));
	assert_false(sk_aws_is_retryable(400, "InvalidDBInstanceState"));
	assert_false(sk_aws_is_retryable(403, "SignatureDoesNotMatch"));
}

static void test_a_failed_call_was_maybe_made_unless_aws_refused_it_at_once(void **state)
{
	struct sk_aws_error e;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_false(sk_aws_error_maybe_made(&e)); /* never sent */
	e.attempts = 1;
	e.http_status = 400;
	snprintf(e.code, sizeof(e.code), "DBSnapshotAlreadyExists");
	assert_false(sk_aws_error_maybe_made(&e)); /* AWS answered no */
	e.attempts = 2;
	assert_true(sk_aws_error_maybe_made(&e)); /* the first answer was lost */
	e.attempts = 1;
	e.http_status = 0;
	e.code[0] = '\0';
	assert_true(sk_aws_error_maybe_made(&e)); /* no answer */
	e.http_status = 503;
	assert_true(sk_aws_error_maybe_made(&e));
	e.http_status = 403;
	snprintf(e.code, sizeof(e.code), "%s", SK_AWS_CODE_UNEXPECTED);
	assert_true(sk_aws_error_maybe_made(&e)); /* something not AWS answered */
}

static void test_backoff_is_full_jitter_under_a_doubling_cap(void **state)
{
	uint64_t r;
	int attempt;

	(void)state;
	for (attempt = 1; attempt <= 12; attempt++) {
		long cap = 100L << (attempt - 1);
		if (cap > 5000)
			cap = 5000;
		for (r = 0; r < 20000; r += 37) {
			long d = sk_aws_backoff_ms(attempt, 100, 5000, r * 2654435761u);
			assert_true(d >= 0 && d <= cap);
		}
		/* the top of the range is reachable */
		assert_int_equal(sk_aws_backoff_ms(attempt, 100, 5000, (uint64_t)cap), cap);
	}
}

static void test_snapshot_identifier_rules(void **state)
{
	char long_id[300];

	(void)state;
	assert_true(sk_rds_valid_snapshot_id("snapkeep-db1-20260101-0300"));
	assert_true(sk_rds_valid_snapshot_id("a"));
	assert_false(sk_rds_valid_snapshot_id(""));
	assert_false(sk_rds_valid_snapshot_id("1abc"));
	assert_false(sk_rds_valid_snapshot_id("ab--c"));
	assert_false(sk_rds_valid_snapshot_id("abc-"));
	assert_false(sk_rds_valid_snapshot_id("ab_c"));
	memset(long_id, 'a', 255);
	long_id[255] = '\0';
	assert_true(sk_rds_valid_snapshot_id(long_id));
	long_id[255] = 'a';
	long_id[256] = '\0';
	assert_false(sk_rds_valid_snapshot_id(long_id));
}

static int count_any(void *ud, const struct sk_rds_snapshot *s)
{
	(void)s;
	(*(int *)ud)++;
	return 0;
}

static void test_truncated_answers_fail_cleanly(void **state)
{
	const char *files[] = { "tests/data/rds-xml/DescribeDBSnapshots.xml", "tests/data/rds-xml/CopyDBSnapshot.xml",
				"tests/data/rds-xml/ErrorResponse-awsQuery.xml" };
	size_t f, cut, len;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char *xml = slurp(files[f], &len);
		for (cut = 0; cut < len - 20; cut++) {
			int n = 0;
			struct sk_aws_error e;
			int rc = sk_rds_parse_snapshot_xml(xml, cut, count_any, &n);
			assert_int_equal(rc, SK_ERROR);
			assert_int_equal(sk_error_last()->klass, cut ? SK_ERR_XML : SK_ERR_XML);
			memset(&e, 0, sizeof(e));
			sk_aws_parse_error(&e, xml, cut);
		}
		free(xml);
	}
}

static void test_arn_region_is_read(void **state)
{
	char r[32];

	(void)state;
	assert_int_equal(sk_arn_region("arn:aws:sns:us-east-1:123456789012:backup-alerts", r, sizeof(r)), 0);
	assert_string_equal(r, "us-east-1");
	assert_int_equal(sk_arn_region("arn:aws:sns::123:x", r, sizeof(r)), SK_ERROR);
	assert_int_equal(sk_arn_region("not-an-arn", r, sizeof(r)), SK_ERROR);
}


/* ---- what an answer is: sk_aws_classify_response ---- */

static const char *const RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/";

static struct sk_aws_answer answer(const char *action, long status, const char *ctype, const char *body, size_t len)
{
	struct sk_aws_answer a;

	memset(&a, 0, sizeof(a));
	a.service = "rds";
	a.action = action;
	a.host = "rds.us-east-1.amazonaws.com";
	a.status = status;
	a.content_type = ctype;
	a.body = body;
	a.len = len;
	return a;
}

/* classifies and expects a refusal of class klass; returns the message (static storage) */
static const char *refused(const struct sk_aws_answer *a, int klass, struct sk_aws_error *e)
{
	struct sk_aws_response r = SK_AWS_RESPONSE_INIT;

	memset(e, 0, sizeof(*e));
	assert_int_equal(sk_aws_classify_response(&r, e, a), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, klass);
	assert_null(r.doc);
	assert_null(r.result);
	if (klass == SK_ERR_RESPONSE)
		assert_string_equal(sk_error_message(), e->message);
	return sk_error_message();
}

static void test_classify_accepts_every_published_sample_as_its_action(void **state)
{
	static const char *const actions[] = { "DescribeDBSnapshots", "CreateDBSnapshot", "CopyDBSnapshot",
						"DeleteDBSnapshot", "ModifyDBInstance",
						"DescribeDBInstanceAutomatedBackups" };
	size_t i, len;
	char path[256], result[128];

	(void)state;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		struct sk_aws_response r = SK_AWS_RESPONSE_INIT;
		struct sk_aws_error e;
		struct sk_aws_answer a;
		char *xml;

		snprintf(path, sizeof(path), "tests/data/rds-xml/%s.xml", actions[i]);
		xml = slurp(path, &len);
		a = answer(actions[i], 200, "text/xml", xml, len);
		memset(&e, 0, sizeof(e));
		assert_int_equal(sk_aws_classify_response(&r, &e, &a), 0);
		snprintf(result, sizeof(result), "%sResult", actions[i]);
		assert_non_null(r.result);
		assert_string_equal((const char *)r.result->name, result);
		assert_true(strlen(r.request_id) > 8);
		assert_string_equal(r.host, "rds.us-east-1.amazonaws.com");
		sk_aws_response_free(&r);
		assert_null(r.doc);
		free(xml);
	}
}

static void test_classify_refuses_an_html_page_naming_status_type_and_first_bytes(void **state)
{
	static const char page[] = "<!DOCTYPE html>\n<html><head><title>Hotel Wi-Fi</title></head>"
				   "<body><p>Please accept the terms</p></body></html>";
	struct sk_aws_answer a = answer("DescribeDBInstances", 200, "text/html; charset=utf-8", page, strlen(page));
	struct sk_aws_error e;
	const char *m;

	(void)state;
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_string_equal(e.code, SK_AWS_CODE_UNEXPECTED);
	assert_int_equal(e.http_status, 200);
	assert_false(e.retryable);
	assert_non_null(strstr(m, "rds.us-east-1.amazonaws.com"));
	assert_non_null(strstr(m, "HTTP 200"));
	assert_non_null(strstr(m, "Content-Type text/html; charset=utf-8"));
	assert_non_null(strstr(m, "<title>Hotel Wi-Fi</title>"));
	assert_non_null(strstr(m, "\\n<html>"));
	assert_non_null(strstr(m, "expected <DescribeDBInstancesResponse> in http://rds.amazonaws.com/doc/2014-10-31/"));
	assert_non_null(strstr(m, "not retried"));
	assert_null(strchr(m, '\n'));
}

static void test_classify_refuses_an_empty_body_and_text_that_is_not_xml(void **state)
{
	struct sk_aws_answer a = answer("DescribeDBSnapshots", 200, NULL, "", 0);
	struct sk_aws_error e;
	const char *m;

	(void)state;
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_non_null(strstr(m, "no Content-Type, 0 bytes): an empty body"));
	assert_false(e.retryable);
	a = answer("DescribeDBSnapshots", 204, "text/plain", "ok {", 4);
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_non_null(strstr(m, "HTTP 204, Content-Type text/plain, 4 bytes): not XML"));
	assert_non_null(strstr(m, ": \"ok {\""));
}

static void test_classify_refuses_another_actions_valid_answer(void **state)
{
	size_t len;
	char *xml = slurp("tests/data/rds-xml/DescribeDBSnapshots.xml", &len);
	struct sk_aws_answer a = answer("DescribeDBInstances", 200, "text/xml", xml, len);
	struct sk_aws_error e;
	const char *m;

	(void)state;
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_non_null(strstr(m, "root element <DescribeDBSnapshotsResponse>, expected <DescribeDBInstancesResponse>"));
	assert_false(e.retryable);
	/* and an error document with status 200 is not an answer either */
	free(xml);
	xml = slurp("tests/data/rds-xml/ErrorResponse-awsQuery.xml", &len);
	a = answer("DescribeDBInstances", 200, "text/xml", xml, len);
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_non_null(strstr(m, "root element <ErrorResponse>"));
	free(xml);
}

static void test_classify_wants_the_services_namespace_and_a_request_id(void **state)
{
	static const char *const bodies[] = {
		/* no namespace */
		"<DescribeDBInstancesResponse><DescribeDBInstancesResult/><ResponseMetadata><RequestId>r1</RequestId>"
		"</ResponseMetadata></DescribeDBInstancesResponse>",
		/* SNS's namespace */
		"<DescribeDBInstancesResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><DescribeDBInstancesResult/>"
		"<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeDBInstancesResponse>",
		/* no RequestId */
		"<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><DescribeDBInstancesResult/>"
		"<ResponseMetadata></ResponseMetadata></DescribeDBInstancesResponse>",
		/* an empty RequestId */
		"<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><DescribeDBInstancesResult/>"
		"<ResponseMetadata><RequestId/></ResponseMetadata></DescribeDBInstancesResponse>",
	};
	static const char *const why[] = { "<DescribeDBInstancesResponse> without a namespace",
					   "<DescribeDBInstancesResponse> in namespace http://sns.amazonaws.com/doc/2010-03-31/",
					   "<DescribeDBInstancesResponse> without a RequestId",
					   "<DescribeDBInstancesResponse> without a RequestId" };
	static const char good[] = "<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">"
				   "<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>"
				   "</DescribeDBInstancesResponse>";
	struct sk_aws_response r = SK_AWS_RESPONSE_INIT;
	struct sk_aws_answer a;
	struct sk_aws_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		a = answer("DescribeDBInstances", 200, "text/xml", bodies[i], strlen(bodies[i]));
		assert_non_null(strstr(refused(&a, SK_ERR_RESPONSE, &e), why[i]));
	}
	/* well-formed, in the namespace, with a RequestId, but no result element: an answer, result NULL */
	a = answer("DescribeDBInstances", 200, "text/xml", good, strlen(good));
	memset(&e, 0, sizeof(e));
	assert_int_equal(sk_aws_classify_response(&r, &e, &a), 0);
	assert_null(r.result);
	assert_non_null(r.root);
	assert_string_equal(r.request_id, "r1");
	sk_aws_response_free(&r);
	assert_string_equal(sk_aws_service_namespace("rds"), RDS_NS);
	assert_string_equal(sk_aws_service_namespace("sts"), "https://sts.amazonaws.com/doc/2011-06-15/");
	assert_null(sk_aws_service_namespace("s3"));
}

static void test_classify_reads_aws_errors_and_retries_non_aws_errors_by_status(void **state)
{
	size_t len;
	char *xml = slurp("tests/data/rds-xml/ErrorResponse-awsQuery.xml", &len);
	struct sk_aws_answer a = answer("DescribeDBInstances", 400, "text/xml", xml, len);
	struct sk_aws_error e;
	const char *m;

	(void)state;
	m = refused(&a, SK_ERR_AWS, &e);
	assert_string_equal(e.code, "InvalidGreeting");
	assert_string_equal(e.request_id, "foo-id");
	assert_false(e.retryable);
	assert_non_null(strstr(m, "InvalidGreeting: Hi (HTTP 400, RequestId foo-id)"));
	free(xml);
	/* a load balancer's 503 page: not AWS's, retried as a 503 is */
	a = answer("DescribeDBInstances", 503, "text/html", "<html>busy</html>", 17);
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_true(e.retryable);
	assert_false(e.throttled);
	assert_non_null(strstr(m, "HTTP 503, Content-Type text/html, 17 bytes): not an AWS error: \"<html>busy</html>\""));
	assert_null(strstr(m, "not retried"));
	/* a proxy's 407: not retried */
	a = answer("DescribeDBInstances", 407, "text/html", "<html>proxy login</html>", 24);
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_false(e.retryable);
	assert_non_null(strstr(m, "not retried"));
	/* 429 without an AWS body: throttled */
	a = answer("DescribeDBInstances", 429, NULL, "", 0);
	refused(&a, SK_ERR_RESPONSE, &e);
	assert_true(e.retryable);
	assert_true(e.throttled);
}

static void test_classify_excerpt_is_bounded_escaped_and_never_a_credential(void **state)
{
	static const char sts[] = "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
				  "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId>"
				  "<SecretAccessKey>wJalrXUtnFEMI-secret</SecretAccessKey><SessionToken>tok-123</SessionToken>"
				  "</Credentials></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r</RequestId>"
				  "</ResponseMetadata></AssumeRoleWithWebIdentityResponse>";
	char big[4096], bin[8] = { 'a', 1, (char)0xff, '"', '\\', '\t', 'z', 0 };
	struct sk_aws_answer a;
	struct sk_aws_error e;
	const char *m, *q;

	(void)state;
	a = answer("GetCallerIdentity", 200, "text/xml", sts, strlen(sts));
	a.service = "sts";
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_null(strstr(m, "ASIAEXAMPLE"));
	assert_null(strstr(m, "wJalrXUtnFEMI"));
	assert_null(strstr(m, "tok-123"));
	assert_non_null(strstr(m, "<AssumeRoleWithWebIdentityResult><...\""));
	a = answer("DescribeDBInstances", 200, "text/plain", "Token=abc123", 12);
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_null(strstr(m, "abc123"));
	/* at most 120 bytes of a long body */
	memset(big, 'x', sizeof(big));
	a = answer("DescribeDBInstances", 200, "text/plain", big, sizeof(big));
	m = refused(&a, SK_ERR_RESPONSE, &e);
	q = strchr(m, '"');
	assert_non_null(q);
	assert_int_equal(strspn(q + 1, "x"), 120);
	assert_memory_equal(q + 121, "...\"", 4);
	/* control bytes, quotes and high bytes escaped */
	a = answer("DescribeDBInstances", 200, "text/plain", bin, 7);
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_non_null(strstr(m, "\"a\\x01\\xff\\\"\\\\\\tz\""));
}

/* fuzz_response: the longest refusal (every quoted byte escaped) is whole, its reason and closing quote kept */
static void test_classify_message_has_room_for_the_worst_excerpts(void **state)
{
	char ctype[200], body[600];
	struct sk_aws_answer a;
	struct sk_aws_error e;
	const char *m;
	size_t n;

	(void)state;
	memset(ctype, 0x7f, sizeof(ctype) - 1);
	ctype[sizeof(ctype) - 1] = '\0';
	n = (size_t)snprintf(body, sizeof(body), "<DescribeDBInstancesResponse xmlns=\"");
	memset(body + n, 0x7f, 150);
	n += 150;
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\"><ResponseMetadata/></DescribeDBInstancesResponse>");
	a = answer("DescribeDBInstances", 200, ctype, body, n);
	a.host = "a-very-long-private-endpoint-name.vpce-0123456789abcdef0-abcdefgh.rds.us-east-1.vpce.amazonaws.com:443";
	m = refused(&a, SK_ERR_RESPONSE, &e);
	assert_true(strlen(m) > 1100); /* longer than the 1023 bytes it was cut to */
	assert_non_null(strstr(m, "\\x7f...\"; not retried: the same endpoint would answer the same (a captive portal, a "
				  "proxy or a wrong endpoint?)"));
}

static void test_timeouts_are_checked_against_their_bounds(void **state)
{
	(void)state;
	assert_int_equal(sk_aws_check_timeout("--call-timeout", SK_AWS_TIMEOUT_MIN_MS), 0);
	assert_int_equal(sk_aws_check_timeout("--call-timeout", 30000), 0);
	assert_int_equal(sk_aws_check_timeout("--call-timeout", SK_AWS_TIMEOUT_MAX_MS), 0);
	assert_int_equal(sk_aws_check_timeout("--connect-timeout", 99), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "--connect-timeout must be between 100 ms and 1 h, got 99 ms"));
	assert_int_equal(sk_aws_check_timeout("SNAPKEEP_CALL_TIMEOUT", SK_AWS_TIMEOUT_MAX_MS + 1), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "SNAPKEEP_CALL_TIMEOUT"));
	assert_int_equal(sk_aws_check_timeout("x", 0), SK_ERROR);
}

static void test_xml_child_values_and_copies(void **state)
{
	static const char doc[] = "<R><Id>abc-123</Id><Long>0123456789</Long><Empty/><N> 42 </N><B>maybe</B>"
				  "<T>2026-01-01T03:00:00Z</T></R>";
	xmlDocPtr d;
	xmlNodePtr r;
	char small[5], big[64];
	int64_t n = 7, t = 0;
	bool b = false;

	(void)state;
	assert_int_equal(sk_xml_parse(&d, doc, sizeof(doc) - 1, "test"), 0);
	r = xmlDocGetRootElement(d);
	sk_xml_child_copy(big, sizeof(big), r, "Id");
	assert_string_equal(big, "abc-123");
	sk_xml_child_copy(small, sizeof(small), r, "Long");
	assert_string_equal(small, "0123");
	memset(big, 'x', sizeof(big));
	sk_xml_child_copy(big, sizeof(big), r, "Missing");
	assert_string_equal(big, "");
	assert_int_equal(sk_xml_child_int(r, "N", &n), 0);
	assert_int_equal(n, 42);
	assert_int_equal(sk_xml_child_int(r, "Empty", &n), SK_ERROR);
	assert_string_equal(sk_error_message(), "element 'Empty' is empty where a number was expected");
	assert_int_equal(sk_xml_child_int(r, "Missing", &n), SK_ENOTFOUND);
	assert_int_equal(sk_xml_child_bool(r, "B", &b), SK_ERROR);
	assert_string_equal(sk_error_message(), "element 'B' holds 'maybe' where true or false was expected");
	assert_int_equal(sk_xml_child_time(r, "T", &t), 0);
	assert_int_equal(t, 1767236400);
	sk_xml_free(d);
}

static void test_url_host_keeps_the_port_and_path(void **state)
{
	struct sk_buf h = SK_BUF_INIT;
	char *path = NULL;

	(void)state;
	assert_int_equal(sk_aws_url_host(&h, &path, "http://127.0.0.1:4566/base"), 0);
	assert_string_equal(h.ptr, "127.0.0.1:4566");
	assert_string_equal(path, "/base");
	free(path);
	sk_buf_reset(&h);
	assert_int_equal(sk_aws_url_host(&h, &path, "https://rds.eu-west-1.amazonaws.com"), 0);
	assert_string_equal(h.ptr, "rds.eu-west-1.amazonaws.com");
	assert_string_equal(path, "/");
	free(path);
	sk_buf_reset(&h);
	assert_int_equal(sk_aws_url_host(&h, NULL, "not a url"), SK_ENOTFOUND);
	assert_int_equal(h.len, 0);
	sk_buf_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_encodes_lists_filters_and_tags),
		cmocka_unit_test(test_query_escapes_all_but_unreserved),
		cmocka_unit_test(test_rds_reads_describe_snapshots_sample),
		cmocka_unit_test(test_rds_copy_sample_keeps_original_create_time),
		cmocka_unit_test(test_rds_create_and_delete_samples_report_status),
		cmocka_unit_test(test_rds_automated_backups_sample_ignores_stray_text),
		cmocka_unit_test(test_rds_modify_sample_reads_backup_settings),
		cmocka_unit_test(test_rds_pending_retention_is_read),
		cmocka_unit_test(test_rds_reads_clusters_and_cluster_snapshots),
		cmocka_unit_test(test_error_response_gives_code_message_and_request_id),
		cmocka_unit_test(test_error_response_that_is_not_xml_is_not_an_aws_error),
		cmocka_unit_test(test_throttling_and_server_errors_are_retryable),
		cmocka_unit_test(test_a_failed_call_was_maybe_made_unless_aws_refused_it_at_once),
		cmocka_unit_test(test_backoff_is_full_jitter_under_a_doubling_cap),
		cmocka_unit_test(test_snapshot_identifier_rules),
		cmocka_unit_test(test_truncated_answers_fail_cleanly),
		cmocka_unit_test(test_arn_region_is_read),
		cmocka_unit_test(test_classify_accepts_every_published_sample_as_its_action),
		cmocka_unit_test(test_classify_refuses_an_html_page_naming_status_type_and_first_bytes),
		cmocka_unit_test(test_classify_refuses_an_empty_body_and_text_that_is_not_xml),
		cmocka_unit_test(test_classify_refuses_another_actions_valid_answer),
		cmocka_unit_test(test_classify_wants_the_services_namespace_and_a_request_id),
		cmocka_unit_test(test_classify_reads_aws_errors_and_retries_non_aws_errors_by_status),
		cmocka_unit_test(test_classify_excerpt_is_bounded_escaped_and_never_a_credential),
		cmocka_unit_test(test_classify_message_has_room_for_the_worst_excerpts),
		cmocka_unit_test(test_timeouts_are_checked_against_their_bounds),
		cmocka_unit_test(test_xml_child_values_and_copies),
		cmocka_unit_test(test_url_host_keeps_the_port_and_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
