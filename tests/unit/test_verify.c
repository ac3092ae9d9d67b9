/*
 * test_verify.c - `snapkeep verify`'s checks (reconciler/planner/verify.c)
 *
 * One instance, db-1 in us-east-1, with daily snapshots the policy owns,
 * their copies in us-west-2, a week of automated snapshots, and knobs that
 * break one thing at a time; each threshold is tried at its edges: at warn
 * (OK), a second past it (WARNING), at crit (WARNING), a second past it
 * (CRITICAL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/verify.h"
#include "specs/policy.h"

#define ACCT "123456789012"
#define H ((int64_t)3600)
#define D ((int64_t)86400)
#define KEY1 "arn:aws:kms:us-east-1:" ACCT ":key/11111111-1111-1111-1111-111111111111"
#define KEY2 "arn:aws:kms:us-west-2:" ACCT ":key/22222222-2222-2222-2222-222222222222"
#define OTHER "arn:aws:kms:us-east-1:" ACCT ":key/99999999-9999-9999-9999-999999999999"

static const int64_t NOW = 1767240000; /* 2026-01-01T04:00:00Z */

static const char *const POLICY = "apiVersion: snapkeep/v1\n"
				  "kind: BackupPolicy\n"
				  "metadata: {name: prod}\n"
				  "spec:\n"
				  "  regions: [us-east-1]\n"
				  "  selector: {instances: [db-1]}\n"
				  "  automated: {retentionDays: 7%s}\n"
				  "  snapshots:\n"
				  "    schedule: \"0 3 * * *\"\n"
				  "    copies: [{region: us-west-2, kmsKeyId: \"" KEY2 "\"}]\n"
				  "%s";

/* what to break */
struct knobs {
	int64_t newest_age;    /* of the newest owned snapshot (the others a day apart before it) */
	int64_t copy_behind;   /* copies cover sources up to this much before the newest (-1: no copies) */
	bool unencrypted;      /* the newest snapshot */
	const char *key;       /* the newest snapshot's key (NULL: KEY1) */
	uint32_t gib;          /* the newest snapshot's (0: the instance's 100) */
	int64_t lrt_age;       /* now - LatestRestorableTime (-1: none) */
	int autos;             /* automated snapshots, one a day, the oldest (autos - 1) days + 1h ago */
	int retention;         /* the instance's */
	bool failed;           /* one more snapshot, failed */
	bool replicating;
};

static struct knobs fine(void)
{
	return (struct knobs){ .newest_age = 1 * H, .copy_behind = 0, .key = NULL, .gib = 0, .lrt_age = 300,
			       .autos = 7, .retention = 7 };
}

static struct sk_policyset *policy(const char *automated_extra, const char *verify)
{
	struct sk_policyset *set = NULL;
	char text[2048];

	snprintf(text, sizeof(text), POLICY, automated_extra, verify);
	if (sk_policyset_parse_buffer(&set, "prod.yaml", text, strlen(text)) != 0)
		fail_msg("policy: %s", sk_error_message());
	return set;
}

static void snapshot(struct sk_inventory *inv, const char *region, const char *id, int64_t created, bool copy,
		     const char *type, const char *status, bool encrypted, const char *key, uint32_t gib)
{
	struct sk_inv_snapshot s;
	struct sk_aws_tag tags[3] = { { "snapkeep:policy", "prod" }, { "snapkeep:instance", "db-1" }, { "snapkeep:source", NULL } };
	char arn[200], src[200];

	memset(&s, 0, sizeof(s));
	snprintf(arn, sizeof(arn), "arn:aws:rds:%s:" ACCT ":snapshot:%s", region, id);
	snprintf(src, sizeof(src), "arn:aws:rds:us-east-1:" ACCT ":snapshot:%s", id);
	tags[2].value = src;
	s.id = id;
	s.arn = arn;
	s.instance = "db-1";
	s.region = region;
	s.status_text = status;
	s.status = (uint8_t)sk_snap_status_from(status);
	s.type = (uint8_t)sk_snap_type_from(type);
	s.created = created;
	s.original_created = created;
	s.encrypted = encrypted;
	s.kms_key_id = encrypted ? key : NULL;
	s.allocated_gib = gib;
	s.source_region = copy ? "us-east-1" : NULL;
	s.tags = strcmp(type, "manual") ? NULL : tags;
	s.n_tags = strcmp(type, "manual") ? 0 : copy ? 3 : 2;
	assert_non_null(sk_inventory_add_snapshot(inv, &s));
}

static struct sk_inventory *inventory(const struct knobs *k)
{
	struct sk_inventory *inv = NULL;
	struct sk_inv_instance in;
	const char *repl = "arn:aws:rds:us-west-2:" ACCT ":auto-backup:ab-1";
	char id[64];
	int i;

	assert_int_equal(sk_inventory_new(&inv), 0);
	inv->observed_at = NOW;
	assert_int_equal(sk_inventory_add_region(inv, "us-east-1"), 0);
	assert_int_equal(sk_inventory_add_region(inv, "us-west-2"), 0);
	memset(&in, 0, sizeof(in));
	in.id = "db-1";
	in.region = "us-east-1";
	in.arn = "arn:aws:rds:us-east-1:" ACCT ":db:db-1";
	in.status = "available";
	in.encrypted = true;
	in.kms_key_id = KEY1;
	in.allocated_gib = 100;
	in.retention = k->retention;
	in.latest_restorable = k->lrt_age < 0 ? 0 : NOW - k->lrt_age;
	in.replications = &repl;
	in.n_replications = k->replicating ? 1 : 0;
	assert_non_null(sk_inventory_add_instance(inv, &in));
	for (i = 0; i < 3; i++) {
		int64_t t = NOW - k->newest_age - i * D;
		bool newest = i == 0;

		snprintf(id, sizeof(id), "snapkeep-db-1-%d", i);
		snapshot(inv, "us-east-1", id, t, false, "manual", "available", !(newest && k->unencrypted),
			 newest && k->key ? k->key : KEY1, newest && k->gib ? k->gib : 100);
		if (k->copy_behind >= 0 && t <= NOW - k->newest_age - k->copy_behind)
			snapshot(inv, "us-west-2", id, t + 600, true, "manual", "available", true, KEY2, 100);
	}
	if (k->failed)
		snapshot(inv, "us-east-1", "snapkeep-db-1-failed", 0, false, "manual", "failed", true, KEY1, 100);
	for (i = 0; i < k->autos; i++) {
		snprintf(id, sizeof(id), "rds:db-1-auto-%d", i);
		snapshot(inv, "us-east-1", id, NOW - H - i * D, false, "automated", "available", true, KEY1, 100);
	}
	sk_inventory_sort(inv);
	return inv;
}

static struct sk_verify_report *run_opts(const struct knobs *k, const char *verify, const char *auto_extra,
					 struct sk_verify_opts *o)
{
	struct sk_policyset *set = policy(auto_extra ? auto_extra : "", verify ? verify : "");
	struct sk_inventory *inv = inventory(k);
	struct sk_verify_report *r = NULL;

	o->now = NOW;
	assert_int_equal(sk_verify_run(&r, set, inv, o), 0);
	sk_inventory_free(inv);
	sk_policyset_free(set);
	return r;
}

static struct sk_verify_report *run(const struct knobs *k, const char *verify)
{
	struct sk_verify_opts o = SK_VERIFY_OPTS_INIT;

	return run_opts(k, verify, NULL, &o);
}

/* the one result of a check in a region */
static const struct sk_verify_result *find(const struct sk_verify_report *r, const char *region,
					   enum sk_verify_check c)
{
	const struct sk_verify_result *found = NULL;

	for (size_t i = 0; i < r->n; i++)
		if (r->results[i].check == c && !strcmp(r->results[i].region, region)) {
			assert_null(found);
			found = &r->results[i];
		}
	if (!found)
		fail_msg("no %s result in %s", sk_verify_check_name(c), region);
	return found;
}

static void expect(const struct sk_verify_report *r, const char *region, enum sk_verify_check c,
		   enum sk_verify_status st, const char *in_message)
{
	const struct sk_verify_result *res = find(r, region, c);

	if (res->status != st)
		fail_msg("%s %s: %s, want %s: %s", region, sk_verify_check_name(c), sk_verify_status_name(res->status),
			 sk_verify_status_name(st), res->message);
	if (in_message && !strstr(res->message, in_message))
		fail_msg("%s %s: '%s' lacks '%s'", region, sk_verify_check_name(c), res->message, in_message);
	/* every line names the instance and the region */
	assert_non_null(strstr(res->message, "instance 'db-1' in "));
	assert_non_null(strstr(res->message, region));
}

static void age_is(int64_t age, enum sk_verify_status st)
{
	struct knobs k = fine();
	struct sk_verify_report *r;

	k.newest_age = age;
	k.copy_behind = 0;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_SNAPSHOT_AGE, st, "snapkeep-db-1-0");
	assert_int_equal(find(r, "us-east-1", SK_CHECK_SNAPSHOT_AGE)->value, age);
	sk_verify_report_free(r);
}

static void test_verify_fresh_is_ok_everywhere(void **state)
{
	struct knobs k = fine();
	struct sk_verify_report *r;

	(void)state;
	k.replicating = true;
	r = run(&k, "  verify: {drillMaxAge: 35d}\n");
	for (size_t i = 0; i < r->n; i++)
		if (r->results[i].status != SK_VERIFY_OK && r->results[i].check != SK_CHECK_DRILL)
			fail_msg("%s %s: %s", sk_verify_check_name(r->results[i].check),
				 sk_verify_status_name(r->results[i].status), r->results[i].message);
	expect(r, "us-east-1", SK_CHECK_SNAPSHOT_AGE, SK_VERIFY_OK, "newest available snapshot 'snapkeep-db-1-0' is 1h old");
	expect(r, "us-west-2", SK_CHECK_COPY, SK_VERIFY_OK, "copy 'snapkeep-db-1-0'");
	expect(r, "us-east-1", SK_CHECK_ENCRYPTION, SK_VERIFY_OK, KEY1);
	expect(r, "us-west-2", SK_CHECK_ENCRYPTION, SK_VERIFY_OK, KEY2);
	expect(r, "us-east-1", SK_CHECK_STORAGE, SK_VERIFY_OK, NULL);
	expect(r, "us-east-1", SK_CHECK_PITR_RETENTION, SK_VERIFY_OK, NULL);
	expect(r, "us-east-1", SK_CHECK_PITR_LATEST, SK_VERIFY_OK, "5m old");
	expect(r, "us-east-1", SK_CHECK_PITR_WINDOW, SK_VERIFY_OK, "rds:db-1-auto-6");
	/* no drill results known: UNKNOWN, and it ranks above the OKs */
	expect(r, "us-east-1", SK_CHECK_DRILL, SK_VERIFY_UNKNOWN, "no drill results");
	assert_int_equal(r->worst, SK_VERIFY_UNKNOWN);
	assert_int_equal(r->n_instances, 1);
	sk_verify_report_free(r);
	/* without a drill asked for, all is OK */
	r = run(&k, "");
	assert_int_equal(r->worst, SK_VERIFY_OK);
	assert_int_equal(r->counts[SK_VERIFY_OK], r->n);
	sk_verify_report_free(r);
}

static void test_verify_snapshot_age_edges(void **state)
{
	(void)state;
	/* a daily schedule: warn 26h, crit 50h */
	age_is(26 * H, SK_VERIFY_OK);
	age_is(26 * H + 1, SK_VERIFY_WARNING);
	age_is(50 * H, SK_VERIFY_WARNING);
	age_is(50 * H + 1, SK_VERIFY_CRITICAL);
}

static void test_verify_snapshot_age_given_thresholds(void **state)
{
	struct knobs k = fine();
	struct sk_verify_report *r;

	(void)state;
	k.newest_age = 3 * H;
	r = run(&k, "  verify: {rpo: {warn: 2h, crit: 4h}}\n");
	expect(r, "us-east-1", SK_CHECK_SNAPSHOT_AGE, SK_VERIFY_WARNING, "(warn 2h, crit 4h)");
	sk_verify_report_free(r);
	k.newest_age = 4 * H + 1;
	r = run(&k, "  verify: {rpo: {warn: 2h, crit: 4h}}\n");
	expect(r, "us-east-1", SK_CHECK_SNAPSHOT_AGE, SK_VERIFY_CRITICAL, "is 4h old");
	assert_int_equal(r->worst, SK_VERIFY_CRITICAL);
	sk_verify_report_free(r);
}

static void test_verify_missing_copy(void **state)
{
	struct knobs k = fine();
	struct sk_verify_report *r;

	(void)state;
	/* no copies at all: a source that waited past copyRpo's warn is CRITICAL */
	k.copy_behind = -1;
	k.newest_age = 27 * H;
	r = run(&k, "");
	expect(r, "us-west-2", SK_CHECK_COPY, SK_VERIFY_CRITICAL, "no copy at all; source 'snapkeep-db-1-2'");
	sk_verify_report_free(r);
	/* a source made an hour ago with no copy yet is not late */
	k.newest_age = 1 * H;
	r = run(&k, "  verify: {copyRpo: {warn: 2h, crit: 3h}}\n");
	expect(r, "us-west-2", SK_CHECK_COPY, SK_VERIFY_CRITICAL, NULL); /* the older sources have waited days */
	sk_verify_report_free(r);
}

static void copy_wait_is(int64_t wait, enum sk_verify_status st)
{
	struct knobs k = fine();
	struct sk_verify_report *r;

	/* the newest source has no copy; the one before it (a day older) has */
	k.newest_age = wait;
	k.copy_behind = 1;
	r = run(&k, "  verify: {copyRpo: {warn: 6h, crit: 26h}}\n");
	expect(r, "us-west-2", SK_CHECK_COPY, st, "source 'snapkeep-db-1-0' in us-east-1 has waited");
	assert_int_equal(find(r, "us-west-2", SK_CHECK_COPY)->value, wait);
	sk_verify_report_free(r);
}

static void test_verify_copy_wait_edges(void **state)
{
	(void)state;
	copy_wait_is(6 * H, SK_VERIFY_OK);
	copy_wait_is(6 * H + 1, SK_VERIFY_WARNING);
	copy_wait_is(26 * H, SK_VERIFY_WARNING);
	copy_wait_is(26 * H + 1, SK_VERIFY_CRITICAL);
}

/* what counts is the copy of the newest source, not the copy made last */
static void test_verify_copy_of_newest_source_counts(void **state)
{
	struct knobs k = fine();
	struct sk_inventory *inv;
	struct sk_policyset *set = policy("", "  verify: {copyRpo: {warn: 30m, crit: 1h}}\n");
	struct sk_verify_opts o = SK_VERIFY_OPTS_INIT;
	struct sk_verify_report *r = NULL;

	(void)state;
	k.newest_age = 2 * H;
	k.copy_behind = 1; /* the newest source has no copy... */
	inv = inventory(&k);
	/* ... until this one, created (by its own clock) before the others' copies */
	snapshot(inv, "us-west-2", "snapkeep-db-1-0", NOW - 2 * H, true, "manual", "available", true, KEY2, 100);
	inv->snapshots[inv->n_snapshots - 1].created = NOW - 5 * D;
	sk_inventory_sort(inv);
	o.now = NOW;
	assert_int_equal(sk_verify_run(&r, set, inv, &o), 0);
	expect(r, "us-west-2", SK_CHECK_COPY, SK_VERIFY_OK, "copy 'snapkeep-db-1-0' is of the newest source");
	sk_verify_report_free(r);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

static void test_verify_unencrypted_and_wrong_key(void **state)
{
	struct knobs k = fine();
	struct sk_verify_report *r;

	(void)state;
	k.unencrypted = true;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_ENCRYPTION, SK_VERIFY_CRITICAL, "snapshot 'snapkeep-db-1-0' is not encrypted");
	assert_string_equal(find(r, "us-east-1", SK_CHECK_ENCRYPTION)->snapshot, "snapkeep-db-1-0");
	sk_verify_report_free(r);

	k = fine();
	k.key = OTHER;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_ENCRYPTION, SK_VERIFY_CRITICAL,
	       "is encrypted with " OTHER ", not the expected key " KEY1);
	sk_verify_report_free(r);

	/* verify.kmsKeys wins over the instance's key; a bare key id matches the ARN's */
	r = run(&k, "  verify: {kmsKeys: {us-east-1: 99999999-9999-9999-9999-999999999999}}\n");
	expect(r, "us-east-1", SK_CHECK_ENCRYPTION, SK_VERIFY_CRITICAL, "snapkeep-db-1-1"); /* the others have KEY1 */
	sk_verify_report_free(r);
	k = fine();
	r = run(&k, "  verify: {kmsKeys: {us-east-1: 11111111-1111-1111-1111-111111111111}}\n");
	expect(r, "us-east-1", SK_CHECK_ENCRYPTION, SK_VERIFY_OK, NULL);
	sk_verify_report_free(r);

	/* an alias cannot be compared without KMS: encrypted is checked, and the line says why the key is not */
	r = run(&k, "  verify: {kmsKeys: {us-east-1: alias/prod}}\n");
	expect(r, "us-east-1", SK_CHECK_ENCRYPTION, SK_VERIFY_OK, "not compared with alias/prod");
	sk_verify_report_free(r);

	/* encrypted: false turns the check off */
	k.unencrypted = true;
	r = run(&k, "  verify: {encrypted: false}\n");
	expect(r, "us-east-1", SK_CHECK_ENCRYPTION, SK_VERIFY_OK, "not checked");
	sk_verify_report_free(r);
}

static void test_verify_shrunken_snapshot(void **state)
{
	struct knobs k = fine();
	struct sk_verify_report *r;

	(void)state;
	k.gib = 99;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_STORAGE, SK_VERIFY_WARNING, "'snapkeep-db-1-0' has 99 GiB allocated, below the instance's 100 GiB");
	assert_int_equal(r->worst, SK_VERIFY_WARNING);
	sk_verify_report_free(r);
	k.gib = 100;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_STORAGE, SK_VERIFY_OK, NULL);
	sk_verify_report_free(r);
}

static void window_is(int autos, const char *verify, enum sk_verify_status st)
{
	struct knobs k = fine();
	struct sk_verify_report *r;

	k.autos = autos;
	r = run(&k, verify);
	expect(r, "us-east-1", SK_CHECK_PITR_WINDOW, st, "short of 7 days");
	sk_verify_report_free(r);
}

static void test_verify_short_pitr_window(void **state)
{
	(void)state;
	/*
	 * retention 7 days; the oldest automated snapshot is (autos - 1) days + 1h old:
	 * 7 of them reach back 6d1h, 23h short; 6: 1d23h short; 5: 2d23h short
	 */
	window_is(7, "", SK_VERIFY_OK);
	window_is(6, "", SK_VERIFY_WARNING);
	window_is(5, "", SK_VERIFY_CRITICAL);
	/* the edges, with thresholds set on them: 1d23h short */
	window_is(6, "  verify: {pitrWindow: {warn: 1d23h, crit: 2d}}\n", SK_VERIFY_OK);
	window_is(6, "  verify: {pitrWindow: {warn: 1d22h59m59s, crit: 2d}}\n", SK_VERIFY_WARNING);
	window_is(6, "  verify: {pitrWindow: {warn: 1h, crit: 1d23h}}\n", SK_VERIFY_WARNING);
	window_is(6, "  verify: {pitrWindow: {warn: 1h, crit: 1d22h59m59s}}\n", SK_VERIFY_CRITICAL);
}

static void test_verify_pitr_latest_and_retention(void **state)
{
	struct knobs k = fine();
	struct sk_verify_report *r;
	const int64_t ages[] = { 15 * 60, 15 * 60 + 1, H, H + 1 };
	const enum sk_verify_status want[] = { SK_VERIFY_OK, SK_VERIFY_WARNING, SK_VERIFY_WARNING, SK_VERIFY_CRITICAL };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		k.lrt_age = ages[i];
		r = run(&k, "");
		expect(r, "us-east-1", SK_CHECK_PITR_LATEST, want[i], "LatestRestorableTime is");
		sk_verify_report_free(r);
	}
	k.lrt_age = -1;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_PITR_LATEST, SK_VERIFY_CRITICAL, "no LatestRestorableTime");
	sk_verify_report_free(r);

	k = fine();
	k.retention = 3;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_PITR_RETENTION, SK_VERIFY_WARNING, "retention is 3 days, the policy wants 7");
	sk_verify_report_free(r);
	k.retention = 0;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_PITR_RETENTION, SK_VERIFY_CRITICAL, "retention is 0 days");
	sk_verify_report_free(r);

	/* no automated snapshot at all: the window has no start */
	k = fine();
	k.autos = 0;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_PITR_WINDOW, SK_VERIFY_CRITICAL, "no automated snapshot");
	sk_verify_report_free(r);
}

static void test_verify_replication_and_status(void **state)
{
	struct knobs k = fine();
	struct sk_verify_opts o = SK_VERIFY_OPTS_INIT;
	struct sk_verify_report *r;

	(void)state;
	r = run_opts(&k, "", ", replicate: {region: us-west-2, kmsKeyId: \"" KEY2 "\"}", &o);
	expect(r, "us-east-1", SK_CHECK_REPLICATION, SK_VERIFY_CRITICAL, "not replicated (the policy asks for us-west-2)");
	sk_verify_report_free(r);
	k.replicating = true;
	r = run_opts(&k, "", ", replicate: {region: us-west-2, kmsKeyId: \"" KEY2 "\"}", &o);
	expect(r, "us-east-1", SK_CHECK_REPLICATION, SK_VERIFY_OK, "replicated");
	sk_verify_report_free(r);

	k = fine();
	k.failed = true;
	r = run(&k, "");
	expect(r, "us-east-1", SK_CHECK_STATUS, SK_VERIFY_WARNING, "snapshot 'snapkeep-db-1-failed' is failed");
	sk_verify_report_free(r);
}

/* the drill check of db-1 in us-east-1 with drillMaxAge 35d and o's drills: status st, its message holding text */
static void expect_drill(const struct knobs *k, struct sk_verify_opts *o, enum sk_verify_status st, const char *text)
{
	struct sk_verify_report *r = run_opts(k, "  verify: {drillMaxAge: 35d}\n", NULL, o);

	expect(r, "us-east-1", SK_CHECK_DRILL, st, text);
	sk_verify_report_free(r);
}

static void test_verify_drill(void **state)
{
	struct knobs k = fine();
	struct sk_verify_drill d = { .region = "us-east-1", .instance = "db-1", .at = NOW - 10 * D, .passed = true };
	struct sk_verify_opts o = SK_VERIFY_OPTS_INIT;

	(void)state;
	o.drills = &d;
	o.n_drills = 1;
	o.drills_known = true;
	expect_drill(&k, &o, SK_VERIFY_OK, "the last drill passed 10d ago");
	d.at = NOW - 36 * D;
	expect_drill(&k, &o, SK_VERIFY_WARNING, "36d ago");
	d.passed = false;
	d.detail = "check 'books present' failed";
	expect_drill(&k, &o, SK_VERIFY_CRITICAL, "failed: check 'books present' failed");
	o.n_drills = 0;
	expect_drill(&k, &o, SK_VERIFY_CRITICAL, "no restore drill recorded");
}

/* over several accounts a drill counts only in the account it was made in: the same name elsewhere is another instance */
static void test_verify_drill_of_its_account(void **state)
{
	struct knobs k = fine();
	struct sk_verify_drill d = { .region = "us-east-1", .instance = "db-1", .at = NOW - 10 * D, .passed = true,
				     .account = "111111111111" };
	struct sk_verify_opts o = SK_VERIFY_OPTS_INIT;

	(void)state;
	o.drills = &d;
	o.n_drills = 1;
	o.drills_known = true;
	expect_drill(&k, &o, SK_VERIFY_CRITICAL, "no restore drill recorded");
	o.account = "222222222222";
	expect_drill(&k, &o, SK_VERIFY_CRITICAL, "no restore drill recorded");
	o.account = "111111111111";
	expect_drill(&k, &o, SK_VERIFY_OK, "the last drill passed 10d ago");
	/* "" and NULL both say the caller's own account */
	d.account = "";
	o.account = NULL;
	assert_non_null(sk_verify_drill_find(&d, 1, NULL, "us-east-1", "db-1"));
	assert_non_null(sk_verify_drill_find(&d, 1, "", "us-east-1", "db-1"));
	assert_null(sk_verify_drill_find(&d, 1, "111111111111", "us-east-1", "db-1"));
	assert_null(sk_verify_drill_find(&d, 1, NULL, "us-west-2", "db-1"));
}

/* one report of several accounts' reports: each result names its account, counts add, the worst wins */
static void test_verify_report_absorb(void **state)
{
	struct knobs ok = fine(), stale = fine();
	struct sk_verify_report *a, *b, *all = NULL;
	size_t i, n_b;

	(void)state;
	stale.newest_age = 30 * H;
	a = run(&ok, "");
	b = run(&stale, "");
	assert_int_equal(a->worst, SK_VERIFY_OK);
	assert_int_equal(b->worst, SK_VERIFY_WARNING);
	assert_int_equal(sk_verify_report_new(&all, NOW), 0);
	assert_int_equal(all->worst, SK_VERIFY_OK);
	assert_int_equal(sk_verify_report_absorb(all, a, "111111111111"), 0);
	assert_int_equal(all->worst, SK_VERIFY_OK);
	assert_int_equal(sk_verify_report_absorb(all, b, "222222222222"), 0);
	assert_int_equal(all->n, a->n + b->n);
	assert_int_equal(all->n_instances, a->n_instances + b->n_instances);
	assert_int_equal(all->counts[SK_VERIFY_OK], a->counts[SK_VERIFY_OK] + b->counts[SK_VERIFY_OK]);
	assert_int_equal(all->counts[SK_VERIFY_WARNING], b->counts[SK_VERIFY_WARNING]);
	assert_int_equal(all->worst, SK_VERIFY_WARNING);
	assert_int_equal(all->n_accounts, 2);
	assert_string_equal(all->accounts[1].id, "222222222222");
	assert_null(all->accounts[1].error);
	for (i = 0; i < a->n; i++) {
		assert_null(a->results[i].account); /* one account's own results name none */
		assert_string_equal(all->results[i].account, "111111111111");
		assert_string_equal(all->results[i].message, a->results[i].message);
	}
	n_b = b->n;
	for (i = 0; i < n_b; i++)
		assert_string_equal(all->results[a->n + i].account, "222222222222");
	/* the parts may go: the joined report keeps its own copies */
	sk_verify_report_free(a);
	sk_verify_report_free(b);
	assert_string_equal(all->results[0].policy, "prod");
	/* an account not observed is an UNKNOWN, ranked above WARNING and below CRITICAL */
	n_b = all->n;
	assert_int_equal(sk_verify_report_unobserved(all, "333333333333", "AccessDenied: no"), 0);
	assert_int_equal(all->worst, SK_VERIFY_UNKNOWN);
	assert_int_equal(all->counts[SK_VERIFY_UNKNOWN], 1);
	assert_int_equal(all->n_unobserved, 1);
	assert_int_equal(all->n_accounts, 3);
	assert_string_equal(all->accounts[2].id, "333333333333");
	assert_string_equal(all->accounts[2].error, "AccessDenied: no");
	assert_int_equal(all->n, n_b); /* no result of its own: the accounts list names it */

	/* joined as they are: the loop's shards of one cycle keep their own accounts (or none) */
	{
		struct sk_verify_report *cycle = NULL, *own = run(&ok, "");

		assert_int_equal(sk_verify_report_new(&cycle, NOW), 0);
		assert_int_equal(sk_verify_report_join(cycle, all), 0);
		assert_int_equal(sk_verify_report_join(cycle, own), 0);
		assert_int_equal(cycle->n, all->n + own->n);
		assert_string_equal(cycle->results[0].account, "111111111111");
		assert_null(cycle->results[all->n].account);
		assert_int_equal(cycle->n_accounts, 0); /* results only */
		assert_int_equal(cycle->worst, SK_VERIFY_UNKNOWN); /* all's counts came with it */
		sk_verify_report_free(own);
		sk_verify_report_free(cycle);
	}
	sk_verify_report_free(all);
}

static void test_verify_filters_and_unknown_instance(void **state)
{
	struct knobs k = fine();
	struct sk_policyset *set = policy("", "");
	struct sk_inventory *inv = inventory(&k);
	struct sk_verify_opts o = SK_VERIFY_OPTS_INIT;
	struct sk_verify_report *r = NULL;

	(void)state;
	o.now = NOW;
	o.policy = "nope";
	assert_int_equal(sk_verify_run(&r, set, inv, &o), SK_ENOTFOUND);
	assert_string_equal(sk_error_message(), "no policy named 'nope'");
	o.policy = "prod";
	o.instance = "db-2";
	assert_int_equal(sk_verify_run(&r, set, inv, &o), SK_ENOTFOUND);
	assert_string_equal(sk_error_message(), "no policy ('prod') selects instance 'db-2'");
	o.instance = "db-1";
	assert_int_equal(sk_verify_run(&r, set, inv, &o), 0);
	assert_int_equal(r->n_instances, 1);
	sk_verify_report_free(r);
	/* --region us-east-1: the copy region is left out */
	{
		const char *only[] = { "us-east-1" };
		o.regions = only;
		o.n_regions = 1;
		assert_int_equal(sk_verify_run(&r, set, inv, &o), 0);
		for (size_t i = 0; i < r->n; i++)
			assert_string_equal(r->results[i].region, "us-east-1");
		sk_verify_report_free(r);
	}
	sk_inventory_free(inv);
	sk_policyset_free(set);

	/* a named instance that is not there: UNKNOWN, naming it */
	{
		const char *text = "apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: prod}\nspec:\n"
				   "  regions: [us-east-1]\n  selector: {instances: [gone-db]}\n";
		struct sk_verify_opts o2 = SK_VERIFY_OPTS_INIT;

		assert_int_equal(sk_policyset_parse_buffer(&set, "p.yaml", text, strlen(text)), 0);
		inv = inventory(&k);
		o2.now = NOW;
		assert_int_equal(sk_verify_run(&r, set, inv, &o2), 0);
		assert_int_equal(r->n, 1);
		assert_int_equal(r->results[0].status, SK_VERIFY_UNKNOWN);
		assert_string_equal(r->results[0].message,
				    "instance 'gone-db' in us-east-1: not found: nothing to verify (deleted, or named wrong "
				    "in policy 'prod')");
		assert_int_equal(r->worst, SK_VERIFY_UNKNOWN);
		sk_verify_report_free(r);
		sk_inventory_free(inv);
		sk_policyset_free(set);
	}
}

static void test_verify_limits_derived_from_schedule(void **state)
{
	struct sk_policyset *set = NULL;
	struct sk_verify_limits l;
	const struct {
		const char *snapshots;
		int64_t warn, crit;
	} cases[] = {
		{ "  snapshots: {schedule: \"0 3 * * *\"}\n", 26 * H, 50 * H },
		{ "  snapshots: {schedule: \"0 * * * *\"}\n", 3 * H, 4 * H },
		{ "  snapshots: {schedule: \"0 6 * * 1\"}\n", 7 * D + 2 * H, 14 * D + 2 * H },
		{ "  snapshots: {schedule: \"0 6 1 * *\"}\n", 31 * D + 2 * H, 62 * D + 2 * H },
		{ "", 26 * H, 50 * H },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text),
			 "apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n"
			 "  regions: [us-east-1]\n  selector: {instances: [db-1]}\n%s",
			 cases[i].snapshots);
		assert_int_equal(sk_policyset_parse_buffer(&set, "p.yaml", text, strlen(text)), 0);
		sk_verify_limits(&l, &set->policies[0], NOW);
		if (l.rpo.warn != cases[i].warn || l.rpo.crit != cases[i].crit)
			fail_msg("%s: rpo %lld/%lld", cases[i].snapshots, (long long)l.rpo.warn, (long long)l.rpo.crit);
		assert_int_equal(l.copy_rpo.warn, l.rpo.warn);
		assert_int_equal(l.pitr_rpo.warn, 15 * 60);
		assert_int_equal(l.pitr_rpo.crit, H);
		assert_int_equal(l.pitr_window.warn, 26 * H);
		assert_int_equal(l.pitr_window.crit, 50 * H);
		assert_int_equal(l.drill_max_age, 0);
		sk_policyset_free(set);
	}
}

/* a spec.drill's monthly schedule allows a drill up to 31 days + 1 day old */
static void test_verify_drill_max_age_from_drill_schedule(void **state)
{
	struct sk_policyset *set = NULL;
	struct sk_verify_limits l;
	const char *text = "apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n"
			   "  regions: [us-east-1]\n  selector: {instances: [db-1]}\n"
			   "  drill:\n    schedule: \"0 6 1 * *\"\n"
			   "    connect: {database: app, user: drill, passwordEnv: PW}\n"
			   "    checks: [{name: rows, sql: \"SELECT count(*) FROM t\", atLeast: 1}]\n";

	(void)state;
	if (sk_policyset_parse_buffer(&set, "p.yaml", text, strlen(text)) != 0)
		fail_msg("%s", sk_error_message());
	sk_verify_limits(&l, &set->policies[0], NOW);
	assert_int_equal(l.drill_max_age, 32 * D);
	sk_policyset_free(set);
}

static void test_verify_format_duration(void **state)
{
	char b[48];

	(void)state;
	sk_verify_format_duration(b, 26 * H);
	assert_string_equal(b, "1d2h");
	sk_verify_format_duration(b, 3 * H + 25 * 60 + 3);
	assert_string_equal(b, "3h25m");
	sk_verify_format_duration(b, 900);
	assert_string_equal(b, "15m");
	sk_verify_format_duration(b, 45);
	assert_string_equal(b, "45s");
	sk_verify_format_duration(b, 35 * D);
	assert_string_equal(b, "35d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_fresh_is_ok_everywhere),
		cmocka_unit_test(test_verify_snapshot_age_edges),
		cmocka_unit_test(test_verify_snapshot_age_given_thresholds),
		cmocka_unit_test(test_verify_missing_copy),
		cmocka_unit_test(test_verify_copy_wait_edges),
		cmocka_unit_test(test_verify_copy_of_newest_source_counts),
		cmocka_unit_test(test_verify_unencrypted_and_wrong_key),
		cmocka_unit_test(test_verify_shrunken_snapshot),
		cmocka_unit_test(test_verify_short_pitr_window),
		cmocka_unit_test(test_verify_pitr_latest_and_retention),
		cmocka_unit_test(test_verify_replication_and_status),
		cmocka_unit_test(test_verify_drill),
		cmocka_unit_test(test_verify_drill_of_its_account),
		cmocka_unit_test(test_verify_report_absorb),
		cmocka_unit_test(test_verify_filters_and_unknown_instance),
		cmocka_unit_test(test_verify_limits_derived_from_schedule),
		cmocka_unit_test(test_verify_drill_max_age_from_drill_schedule),
		cmocka_unit_test(test_verify_format_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
