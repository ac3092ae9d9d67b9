/*
 * test_report.c - the report model (reconciler/planner/report.c, its checks
 * in report_checks.c, its history in report_history.c), its journal digest
 * (report_journal.c) and its CSV (report_render.c)
 *
 * One instance, db-1 in us-east-1, 100 GiB, with ten daily snapshots the
 * policy owns (retain last 6: the next apply deletes four), copies of the
 * newest two in us-west-2, a week of automated snapshots
 * and one unmanaged manual snapshot; knobs break one thing at a time.
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
#include "reconciler/planner/diff.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/report.h"
#include "reconciler/planner/report_journal.h"
#include "reconciler/planner/report_json.h"
#include "reconciler/planner/report_render.h"
#include "reconciler/planner/retention.h"
#include "specs/policy.h"
#include "state/journal.h"

#define ACCT "123456789012"
#define H ((int64_t)3600)
#define D ((int64_t)86400)

static const int64_t NOW = 1796119200; /* 2026-12-01T10:00:00Z */

static const char *const POLICY = "apiVersion: snapkeep/v1\n"
				  "kind: BackupPolicy\n"
				  "metadata: {name: prod}\n"
				  "spec:\n"
				  "  regions: [us-east-1]\n"
				  "  selector: {instances: [db-1]}\n"
				  "  automated: {retentionDays: 7, deletionProtection: true%s}\n"
				  "  snapshots:\n"
				  "    schedule: \"0 3 * * *\"\n"
				  "    retain: {last: 6}\n"
				  "    copies: [{region: us-west-2, retain: {last: 2}}]\n"
				  "---\n"
				  "apiVersion: snapkeep/v1\n"
				  "kind: Settings\n"
				  "metadata: {name: settings}\n"
				  "spec:\n"
				  "  pricePerGBMonth: {default: 0.1, us-west-2: 0.2}\n"
				  "  transferPricePerGB: 0.05\n"
				  "  snapshotQuota: %d\n";

struct knobs {
	int retention;       /* the instance's */
	bool protect;        /* its deletion protection */
	int quota;
	bool unencrypted;    /* the newest snapshot */
	int64_t newest_age;  /* of the newest owned snapshot */
	const char *automated; /* more of the policy's automated settings (", window: ..."), or NULL */
	const char *window;  /* the instance's backup window, or NULL */
	bool copy_tags;      /* its CopyTagsToSnapshot */
};

static struct knobs fine(void)
{
	return (struct knobs){ .retention = 7, .protect = true, .quota = 100, .newest_age = 7 * H };
}

static void snapshot(struct sk_inventory *inv, const char *region, const char *id, int64_t created, const char *type,
		     bool owned, bool copy, bool encrypted)
{
	struct sk_inv_snapshot s;
	struct sk_aws_tag tags[4] = { { "snapkeep:policy", "prod" }, { "snapkeep:instance", "db-1" }, { "snapkeep:slot", NULL },
				      { "snapkeep:source", NULL } };
	char arn[200], src[200], slot[SK_TIME_RFC3339_MAX];

	memset(&s, 0, sizeof(s));
	snprintf(arn, sizeof(arn), "arn:aws:rds:%s:" ACCT ":snapshot:%s", region, id);
	snprintf(src, sizeof(src), "arn:aws:rds:us-east-1:" ACCT ":snapshot:%s", id);
	sk_time_format_rfc3339(slot, copy ? created - 600 : created); /* the schedule's 03:00 */
	tags[2].value = slot;
	tags[3].value = src;
	s.id = id;
	s.arn = arn;
	s.instance = "db-1";
	s.region = region;
	s.status_text = "available";
	s.status = SK_SNAP_AVAILABLE;
	s.type = (uint8_t)sk_snap_type_from(type);
	s.created = created;
	s.original_created = created;
	s.encrypted = encrypted;
	s.allocated_gib = 100;
	s.source_region = copy ? "us-east-1" : NULL;
	s.tags = owned ? tags : NULL;
	s.n_tags = owned ? (copy ? 4 : 3) : 0;
	assert_non_null(sk_inventory_add_snapshot(inv, &s));
}

struct fixture {
	struct sk_policyset *set;
	struct sk_inventory *inv;
	struct sk_plan *plan;
	struct sk_report *r;
};

static void build(struct fixture *f, const struct knobs *k, const struct sk_report_journal *j)
{
	struct sk_plan_opts po = SK_PLAN_OPTS_INIT;
	struct sk_report_input in = SK_REPORT_INPUT_INIT;
	struct sk_inv_instance inst;
	char text[2048], id[64];
	int i;

	memset(f, 0, sizeof(*f));
	snprintf(text, sizeof(text), POLICY, k->automated ? k->automated : "", k->quota);
	if (sk_policyset_parse_buffer(&f->set, "prod.yaml", text, strlen(text)) != 0)
		fail_msg("policy: %s", sk_error_message());
	assert_int_equal(sk_inventory_new(&f->inv), 0);
	f->inv->observed_at = NOW;
	assert_int_equal(sk_inventory_add_region(f->inv, "us-east-1"), 0);
	assert_int_equal(sk_inventory_add_region(f->inv, "us-west-2"), 0);
	memset(&inst, 0, sizeof(inst));
	inst.id = "db-1";
	inst.region = "us-east-1";
	inst.arn = "arn:aws:rds:us-east-1:" ACCT ":db:db-1";
	inst.engine = "postgres";
	inst.status = "available";
	inst.encrypted = true;
	inst.allocated_gib = 100;
	inst.retention = k->retention;
	inst.deletion_protection = k->protect;
	inst.backup_window = k->window;
	inst.copy_tags = k->copy_tags;
	inst.latest_restorable = NOW - 300;
	assert_non_null(sk_inventory_add_instance(f->inv, &inst));
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "snapkeep-db-1-%02d", i);
		snapshot(f->inv, "us-east-1", id, NOW - k->newest_age - (9 - i) * D, "manual", true, false,
			 !(k->unencrypted && i == 9));
		if (i >= 8)
			snapshot(f->inv, "us-west-2", id, NOW - k->newest_age - (9 - i) * D + 600, "manual", true, true, true);
	}
	for (i = 0; i < 7; i++) {
		snprintf(id, sizeof(id), "rds:db-1-%d", i);
		snapshot(f->inv, "us-east-1", id, NOW - 6 * H - i * D, "automated", false, false, true);
	}
	snapshot(f->inv, "us-east-1", "before-upgrade", NOW - 90 * D, "manual", false, false, true);
	sk_inventory_sort(f->inv);
	po.now = NOW;
	assert_int_equal(sk_plan_compute(&f->plan, f->set, f->inv, &po), 0);
	in.set = f->set;
	in.inv = f->inv;
	in.plan = f->plan;
	in.journal = j;
	in.now = NOW;
	in.since = NOW - 30 * D;
	if (sk_report_build(&f->r, &in) != 0)
		fail_msg("report: %s", sk_error_message());
}

static void teardown_fixture(struct fixture *f)
{
	sk_report_free(f->r);
	sk_plan_free(f->plan);
	sk_inventory_free(f->inv);
	sk_policyset_free(f->set);
}

static const struct sk_report_check *check(const struct sk_report *r, const char *name, const char *region)
{
	const struct sk_report_instance *ri = &r->instances[0];
	size_t i;

	for (i = ri->first_check; i < ri->first_check + ri->n_checks; i++)
		if (!strcmp(r->checks[i].name, name) && (!region || !strcmp(r->checks[i].region, region)))
			return &r->checks[i];
	fail_msg("no check %s in %s", name, region ? region : "any region");
	return NULL;
}

static void test_report_compliant_instance(void **state)
{
	struct knobs k = fine();
	struct fixture f;
	const struct sk_report_instance *ri;
	size_t i, deleted = 0, kept = 0;

	(void)state;
	build(&f, &k, NULL);
	assert_int_equal(f.r->n_instances, 1);
	ri = &f.r->instances[0];
	assert_string_equal(ri->instance, "db-1");
	if (ri->verdict != SK_REPORT_COMPLIANT)
		fail_msg("not compliant: %s", ri->reason);
	assert_int_equal(f.r->verdict, SK_REPORT_COMPLIANT);
	assert_int_equal(f.r->counts[SK_REPORT_COMPLIANT], 1);
	assert_string_equal(check(f.r, "backup-retention", NULL)->desired, "7 days");
	assert_string_equal(check(f.r, "deletion-protection", NULL)->live, "yes");
	assert_string_equal(check(f.r, "copy", "us-west-2")->live, "up to date");
	assert_string_equal(check(f.r, "quota", "us-east-1")->live, "11 manual (7 after the plan)");
	/* lanes: its region, then the copy region; snapshots by lane, oldest first */
	assert_int_equal(ri->n_regions, 2);
	assert_string_equal(ri->regions[1], "us-west-2");
	assert_int_equal(ri->n_snapshots, 10 + 2 + 7 + 1);
	for (i = ri->first_snapshot; i + 1 < ri->first_snapshot + ri->n_snapshots; i++)
		if (!strcmp(f.r->snapshots[i].region, f.r->snapshots[i + 1].region))
			assert_true(f.r->snapshots[i].created <= f.r->snapshots[i + 1].created);
	for (i = ri->first_snapshot; i < ri->first_snapshot + ri->n_snapshots; i++) {
		const struct sk_report_snapshot *s = &f.r->snapshots[i];
		if (s->owner != SK_OWNER_SNAPKEEP || s->copy)
			continue;
		if (s->deleted) {
			deleted++;
			assert_null(s->rule);
		} else {
			kept++;
			assert_string_equal(s->rule, "last");
			assert_true(s->keep & SK_KEEP_LAST);
		}
	}
	assert_int_equal(kept, 6);
	assert_int_equal(deleted, 4);
	assert_int_equal(ri->deleting, 4);
	assert_int_equal(ri->creating, 0);
	assert_int_equal(ri->by_owner[SK_OWNER_AUTOMATED], 7);
	assert_int_equal(ri->by_owner[SK_OWNER_MANUAL], 1);
	assert_int_equal(ri->newest, NOW - 7 * H);
	teardown_fixture(&f);
}

static void test_report_cost_per_region_price_and_transfer(void **state)
{
	struct knobs k = fine();
	struct fixture f;
	const struct sk_report_instance *ri;
	const struct sk_report_region *east, *west;

	(void)state;
	build(&f, &k, NULL);
	ri = &f.r->instances[0];
	east = sk_report_region(f.r, "us-east-1");
	west = sk_report_region(f.r, "us-west-2");
	assert_non_null(east);
	assert_non_null(west);
	/* 18 snapshots of 100 GiB at 0.1 in us-east-1, 2 copies at 0.2 in us-west-2 */
	assert_int_equal(ri->cost.gib, 2000);
	assert_true(ri->cost.storage > 219.999 && ri->cost.storage < 220.001);
	/* a daily schedule copies 30 times a month, 100 GiB each at 0.05: an upper bound */
	assert_true(ri->cost.transfer > 149.999 && ri->cost.transfer < 150.001);
	assert_true(west->cost.transfer > 149.999 && west->cost.transfer < 150.001);
	assert_true(east->cost.transfer == 0);
	/* the plan deletes four in us-east-1 */
	assert_int_equal(ri->cost.gib_delta, -400);
	assert_true(ri->cost.delta < -39.999 && ri->cost.delta > -40.001);
	assert_int_equal(east->cost.gib_delta, -400);
	assert_true(east->price == 0.1 && west->price == 0.2);
	assert_true(f.r->total.storage > 219.999 && f.r->total.storage < 220.001);
	assert_true(f.r->policies[0].cost.transfer > 149.999);
	teardown_fixture(&f);
}

static void test_report_drift_is_what_the_plan_modifies(void **state)
{
	struct knobs k = fine();
	struct fixture f;
	const struct sk_report_check *c;

	(void)state;
	k.retention = 3;
	k.protect = false;
	build(&f, &k, NULL);
	assert_int_equal(f.r->instances[0].verdict, SK_REPORT_DRIFT);
	c = check(f.r, "backup-retention", NULL);
	assert_int_equal(c->verdict, SK_REPORT_DRIFT);
	assert_string_equal(c->live, "3 days");
	assert_non_null(strstr(c->reason, "backup retention is 3 days, the policy wants 7 days"));
	assert_int_equal(check(f.r, "deletion-protection", NULL)->verdict, SK_REPORT_DRIFT);
	assert_string_equal(f.r->instances[0].reason, c->reason);
	teardown_fixture(&f);
}

/* the plain settings a modify changes (report_checks.c setting_check): each names what is live and what is wanted */
static void test_report_settings_drift_names_live_and_wanted(void **state)
{
	struct knobs k = fine();
	struct fixture f;
	const struct sk_report_check *c;

	(void)state;
	k.automated = ", window: \"03:00-03:30\", copyTagsToSnapshot: true";
	build(&f, &k, NULL);
	assert_int_equal(f.r->instances[0].verdict, SK_REPORT_DRIFT);
	c = check(f.r, "backup-window", NULL);
	assert_int_equal(c->verdict, SK_REPORT_DRIFT);
	assert_string_equal(c->desired, "03:00-03:30");
	assert_string_equal(c->live, "none");
	assert_string_equal(c->reason, "backup window is none, the policy wants 03:00-03:30");
	c = check(f.r, "copy-tags", NULL);
	assert_int_equal(c->verdict, SK_REPORT_DRIFT);
	assert_string_equal(c->live, "no");
	assert_string_equal(c->reason, "CopyTagsToSnapshot is no, the policy wants yes");
	c = check(f.r, "deletion-protection", NULL);
	assert_int_equal(c->verdict, SK_REPORT_COMPLIANT);
	assert_null(c->reason);
	teardown_fixture(&f);

	/* as the policy wants: compliant, no reason; the PITR checks put their limits in words */
	k.window = "03:00-03:30";
	k.copy_tags = true;
	build(&f, &k, NULL);
	c = check(f.r, "backup-window", NULL);
	assert_int_equal(c->verdict, SK_REPORT_COMPLIANT);
	assert_string_equal(c->live, "03:00-03:30");
	assert_null(c->reason);
	assert_int_equal(check(f.r, "copy-tags", NULL)->verdict, SK_REPORT_COMPLIANT);
	c = check(f.r, "pitr-latest", NULL);
	assert_string_equal(c->live, "5m behind");
	assert_true(!strncmp(c->desired, "at most ", 8) && strstr(c->desired, " behind"));
	assert_true(!strncmp(check(f.r, "pitr-window", NULL)->desired, "short by at most ", 17));
	assert_int_equal(f.r->instances[0].verdict, SK_REPORT_COMPLIANT);
	teardown_fixture(&f);
}

static void test_report_retention_off_is_at_risk(void **state)
{
	struct knobs k = fine();
	struct fixture f;

	(void)state;
	k.retention = 0;
	build(&f, &k, NULL);
	assert_int_equal(check(f.r, "backup-retention", NULL)->verdict, SK_REPORT_AT_RISK);
	assert_int_equal(f.r->verdict, SK_REPORT_AT_RISK);
	teardown_fixture(&f);
}

static void test_report_stale_unencrypted_over_quota_are_at_risk(void **state)
{
	struct knobs k = fine();
	struct fixture f;

	(void)state;
	k.newest_age = 3 * D;
	build(&f, &k, NULL);
	assert_int_equal(check(f.r, "snapshot-age", "us-east-1")->verdict, SK_REPORT_AT_RISK);
	assert_int_equal(f.r->instances[0].verdict, SK_REPORT_AT_RISK);
	teardown_fixture(&f);

	k = fine();
	k.unencrypted = true;
	build(&f, &k, NULL);
	assert_string_equal(check(f.r, "encryption", "us-east-1")->live, "unencrypted");
	assert_int_equal(f.r->instances[0].verdict, SK_REPORT_AT_RISK);
	teardown_fixture(&f);

	k = fine();
	k.quota = 5;
	build(&f, &k, NULL);
	assert_true(sk_report_region(f.r, "us-east-1")->over_quota);
	assert_false(sk_report_region(f.r, "us-west-2")->over_quota);
	assert_int_equal(check(f.r, "quota", "us-east-1")->verdict, SK_REPORT_AT_RISK);
	assert_int_equal(check(f.r, "quota", "us-west-2")->verdict, SK_REPORT_COMPLIANT);
	assert_non_null(strstr(f.r->instances[0].reason, "over its quota of 5"));
	teardown_fixture(&f);
}

static void add_line(struct sk_report_journal *j, const char *line)
{
	struct sk_journal_record rec;
	json_t *json = NULL;

	assert_int_equal(sk_journal_parse_line(&rec, &json, line, strlen(line)), 0);
	assert_int_equal(sk_report_journal_add(j, &rec), 0);
	json_decref(json);
}

static void test_report_history_counts_days_and_walks_storage_back(void **state)
{
	struct sk_report_journal *j = NULL;
	struct knobs k = fine();
	struct fixture f;
	size_t d, east, last;

	(void)state;
	assert_int_equal(sk_report_journal_new(&j, NOW - 30 * D), 0);
	/* 2026-11-28: a create of 100 GiB, done; 2026-11-29: a delete of 100 GiB, done, and a failed copy */
	add_line(j, "{\"type\":\"intent\",\"id\":\"r1.1\",\"time\":\"2026-11-28T03:00:00Z\",\"action\":\"create\","
		    "\"region\":\"us-east-1\",\"target\":\"s1\",\"instance\":\"db-1\",\"call\":{\"allocatedGiB\":100}}");
	add_line(j, "{\"type\":\"outcome\",\"id\":\"r1.2\",\"intent\":\"r1.1\",\"time\":\"2026-11-28T03:00:01Z\","
		    "\"action\":\"create\",\"region\":\"us-east-1\",\"target\":\"s1\",\"result\":\"done\"}");
	add_line(j, "{\"type\":\"intent\",\"id\":\"r2.1\",\"time\":\"2026-11-29T03:00:00Z\",\"action\":\"delete\","
		    "\"region\":\"us-east-1\",\"target\":\"s0\",\"instance\":\"db-1\",\"call\":{\"allocatedGiB\":100}}");
	add_line(j, "{\"type\":\"intent\",\"id\":\"r2.2\",\"time\":\"2026-11-29T03:00:00Z\",\"action\":\"copy\","
		    "\"region\":\"us-west-2\",\"target\":\"s1\",\"instance\":\"db-1\",\"call\":{\"allocatedGiB\":100}}");
	add_line(j, "{\"type\":\"outcome\",\"id\":\"r2.3\",\"intent\":\"r2.1\",\"time\":\"2026-11-29T03:00:02Z\","
		    "\"action\":\"delete\",\"region\":\"us-east-1\",\"target\":\"s0\",\"result\":\"done\"}");
	add_line(j, "{\"type\":\"outcome\",\"id\":\"r2.4\",\"intent\":\"r2.2\",\"time\":\"2026-11-29T03:00:03Z\","
		    "\"action\":\"copy\",\"region\":\"us-west-2\",\"target\":\"s1\",\"result\":\"failed\","
		    "\"errorCode\":\"Throttling\",\"errorMessage\":\"Rate exceeded\"}");
	/* before the window: not counted */
	add_line(j, "{\"type\":\"drill\",\"id\":\"r0.1\",\"time\":\"2026-10-01T03:00:00Z\",\"action\":\"drill\","
		    "\"result\":\"failed\"}");
	add_line(j, "{\"type\":\"drill\",\"id\":\"r3.1\",\"time\":\"2026-11-30T05:00:00Z\",\"action\":\"drill\","
		    "\"region\":\"us-east-1\",\"instance\":\"db-1\",\"result\":\"passed\",\"detail\":\"3 of 3 checks\"}");
	build(&f, &k, j);
	assert_true(f.r->has_journal);
	assert_int_equal(f.r->totals[SK_EVENT_CREATED], 1);
	assert_int_equal(f.r->totals[SK_EVENT_DELETED], 1);
	assert_int_equal(f.r->totals[SK_EVENT_COPIED], 0);
	assert_int_equal(f.r->totals[SK_EVENT_FAILED], 1);
	assert_int_equal(f.r->totals[SK_EVENT_DRILL], 1);
	assert_int_equal(f.r->n_events, 2);
	assert_int_equal(f.r->events[0].kind, SK_EVENT_FAILED);
	assert_string_equal(f.r->events[0].detail, "Throttling: Rate exceeded");
	assert_int_equal(f.r->events[1].kind, SK_EVENT_DRILL);
	/* the window: 2026-11-01 (since's day) .. 2026-12-01, one entry a day */
	assert_int_equal(f.r->n_days, 31);
	last = f.r->n_days - 1;
	assert_int_equal(f.r->days[last].day, NOW - 10 * H);
	for (d = 0; d < f.r->n_days && f.r->days[d].day != NOW - 10 * H - 3 * D; d++)
		;
	assert_true(d < f.r->n_days);
	assert_int_equal(f.r->days[d].counts[SK_EVENT_CREATED], 1);
	assert_int_equal(f.r->days[d + 1].counts[SK_EVENT_DELETED], 1);
	assert_int_equal(f.r->days[d + 1].counts[SK_EVENT_FAILED], 1);
	/*
	 * us-east-1 holds 18 x 100 GiB now: at the end of the 29th (after the
	 * delete) as now, of the 28th 100 more (the delete had not happened),
	 * of the 27th as now again (nor the create)
	 */
	east = (size_t)(sk_report_region(f.r, "us-east-1") - f.r->regions);
	assert_int_equal(f.r->storage_gib[last * f.r->n_regions + east], 1800);
	assert_int_equal(f.r->storage_gib[(d + 1) * f.r->n_regions + east], 1800);
	assert_int_equal(f.r->storage_gib[d * f.r->n_regions + east], 1900);
	assert_int_equal(f.r->storage_gib[(d - 1) * f.r->n_regions + east], 1800);
	assert_true(f.r->storage_cost[d * f.r->n_regions + east] > 189.999);
	teardown_fixture(&f);
	sk_report_journal_free(j);
}

static void test_report_month_range(void **state)
{
	int64_t since, until;
	char month[8];

	(void)state;
	assert_int_equal(sk_report_month_range(&since, &until, "2026-11"), 0);
	assert_int_equal(since, NOW - 10 * H - 30 * D); /* 2026-11-01T00:00:00Z */
	assert_int_equal(until, NOW - 10 * H);
	assert_int_equal(sk_report_month_range(&since, &until, "2026-12"), 0);
	assert_int_equal(until - since, 31 * D);
	assert_int_equal(sk_report_month_range(&since, &until, "2026-13"), -1);
	assert_non_null(strstr(sk_error_message(), "'2026-13' is not a month"));
	assert_int_equal(sk_report_month_range(&since, &until, "2026-1"), -1);
	assert_int_equal(sk_report_month_range(&since, &until, "2026-11x"), -1);
	sk_report_month_before(month, NOW);
	assert_string_equal(month, "2026-11");
	sk_report_month_before(month, NOW + 35 * D); /* 2027-01-05 */
	assert_string_equal(month, "2026-12");
}

static void test_report_csv_quotes_what_needs_it(void **state)
{
	const char *row[] = { "plain", "a,b", "say \"hi\"", "two\nlines", NULL, "" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(sk_report_csv_row(f, row, 6), 0);
	fclose(f);
	assert_string_equal(text, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\r\n");
	free(text);
}

/* two accounts' reports joined: rows carry their account, regions and verdicts sum, the unobserved named */
static void test_report_join_accounts(void **state)
{
	struct knobs ka = fine(), kb = fine();
	struct fixture a, b;
	struct sk_report_input in = SK_REPORT_INPUT_INIT;
	struct sk_report *parts[2], *r = NULL;
	const char *const accounts[] = { "111111111111", "222222222222" };
	const struct sk_report_unobserved un = { "333333333333", "AccessDenied: not authorized" };
	const struct sk_report_region *g;
	char *text = NULL;
	size_t len = 0;
	FILE *mf;

	(void)state;
	kb.retention = 1; /* drift in the second account */
	build(&a, &ka, NULL);
	build(&b, &kb, NULL);
	parts[0] = a.r;
	parts[1] = b.r;
	in.set = a.set;
	in.now = NOW;
	in.since = NOW - 30 * D;
	if (sk_report_join(&r, parts, accounts, 2, &un, 1, &in) != 0)
		fail_msg("join: %s", sk_error_message());
	a.r = b.r = NULL; /* the joined report's now */
	assert_int_equal(r->n_instances, 2);
	assert_string_equal(r->instances[0].account, "111111111111");
	assert_string_equal(r->instances[1].account, "222222222222");
	assert_string_equal(r->instances[0].instance, "db-1");
	assert_string_equal(r->instances[1].instance, "db-1");
	assert_int_equal(r->instances[0].verdict, SK_REPORT_COMPLIANT);
	assert_int_equal(r->instances[1].verdict, SK_REPORT_DRIFT);
	assert_int_equal(r->verdict, SK_REPORT_DRIFT);
	assert_int_equal(r->counts[SK_REPORT_COMPLIANT], 1);
	assert_int_equal(r->counts[SK_REPORT_DRIFT], 1);
	assert_int_equal(r->n_policies, 1);
	assert_int_equal(r->policies[0].n_instances, 2);
	/* each instance's checks and snapshots are its own after the join */
	assert_int_equal(r->instances[1].first_check, r->instances[0].n_checks);
	assert_int_equal(r->instances[1].first_snapshot, r->instances[0].n_snapshots);
	assert_int_equal(r->n_checks, r->instances[0].n_checks + r->instances[1].n_checks);
	assert_non_null(g = sk_report_region(r, "us-east-1"));
	assert_int_equal(g->manual, 2 * 11);
	assert_int_equal(r->total.gib, 2 * r->parts[0]->total.gib);
	assert_int_equal(r->n_unobserved, 1);
	assert_string_equal(r->unobserved[0].account, "333333333333");
	assert_non_null(mf = open_memstream(&text, &len));
	assert_int_equal(sk_report_render_json(mf, r), 0);
	fclose(mf);
	assert_non_null(strstr(text, "\"account\":\"222222222222\""));
	assert_non_null(strstr(text, "\"notObserved\":[{\"account\":\"333333333333\""));
	free(text);
	text = NULL;
	assert_non_null(mf = open_memstream(&text, &len));
	assert_int_equal(sk_report_render_csv(mf, r), 0);
	fclose(mf);
	assert_non_null(strstr(text, ",account\r\n"));
	assert_non_null(strstr(text, ",222222222222\r\n"));
	free(text);
	sk_report_free(r);
	teardown_fixture(&a);
	teardown_fixture(&b);
}

static void test_report_needs_its_inputs(void **state)
{
	struct sk_report_input in = SK_REPORT_INPUT_INIT;
	struct sk_report *r = (struct sk_report *)1;

	(void)state;
	assert_int_equal(sk_report_build(&r, &in), -1);
	assert_null(r);
	assert_non_null(strstr(sk_error_message(), "a report needs"));
	sk_report_free(NULL);
	sk_report_journal_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_compliant_instance),
		cmocka_unit_test(test_report_cost_per_region_price_and_transfer),
		cmocka_unit_test(test_report_drift_is_what_the_plan_modifies),
		cmocka_unit_test(test_report_settings_drift_names_live_and_wanted),
		cmocka_unit_test(test_report_retention_off_is_at_risk),
		cmocka_unit_test(test_report_stale_unencrypted_over_quota_are_at_risk),
		cmocka_unit_test(test_report_history_counts_days_and_walks_storage_back),
		cmocka_unit_test(test_report_month_range),
		cmocka_unit_test(test_report_csv_quotes_what_needs_it),
		cmocka_unit_test(test_report_join_accounts),
		cmocka_unit_test(test_report_needs_its_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
