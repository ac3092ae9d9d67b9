/*
 * test_alerts.c - alert states (fire, repeat, resolve, routing, persistence),
 * what a cycle's plan and apply raise, the daily summary and CloudWatch
 * datums of a cycle
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/error.h"
#include "reconciler/engine/apply.h"
#include "reconciler/engine/reconcile.h"
#include "reconciler/service/alerts.h"
#include "reconciler/service/alertset.h"
#include "reconciler/service/cycle.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/plan.h"
#include "specs/policy.h"
#include "state/docs.h"

#define JAN1_0300 1767236400000LL /* 2026-01-01T03:00:00Z in ms */

static const struct sk_instance_age two_ages[] = {
	{ "us-east-1", "orders", 3600 },
	{ "eu-west-1", "billing", 90000 },
};

static void failed_apply(struct sk_cycle_report *r)
{
	memset(r, 0, sizeof(*r));
	r->commit = "3f2a9c1d4e5f60718293a4b5c6d7e8f901234567";
	r->subject = "Tighten prod retention";
	r->ref = "main";
	r->started_ms = JAN1_0300;
	r->finished_ms = JAN1_0300 + 65000;
	r->ok = false;
	r->applied = true;
	r->stage = "apply";
	r->error = "rds DeleteDBSnapshot in us-east-1: InvalidDBSnapshotState: snapshot is being copied "
		   "(HTTP 400, RequestId 5f1e)";
	r->to_create = 2;
	r->to_change = 1;
	r->to_delete = 3;
	r->pending = 4;
	r->created = 1;
}

static void test_failure_message_names_what_failed(void **state)
{
	struct sk_buf summary = SK_BUF_INIT, detail = SK_BUF_INIT;
	struct sk_cycle_report r;

	(void)state;
	failed_apply(&r);
	assert_int_equal(sk_alert_describe_failure(&summary, &detail, &r), 0);
	assert_string_equal(summary.ptr, "cycle failed in apply (policy commit 3f2a9c1d)");
	assert_string_equal(detail.ptr,
			    "What failed: apply: rds DeleteDBSnapshot in us-east-1: InvalidDBSnapshotState: snapshot is "
			    "being copied (HTTP 400, RequestId 5f1e)\n"
			    "Watched ref: main\n"
			    "Plan: 2 to create, 1 to change, 3 to delete (4 pending)\n"
			    "Done before the failure: 1 created, 0 copied, 0 deleted\n"
			    "Started: 2026-01-01T03:00:00Z\n"
			    "Finished: 2026-01-01T03:01:05Z (after 1m5s)\n"
			    "`snapkeep history` shows what earlier cycles applied.\n");
	sk_buf_free(&summary);
	sk_buf_free(&detail);
}

/* a cycle that failed before reading a commit is still an alert, which names no commit */
static void test_failure_before_the_policy_was_read(void **state)
{
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;
	struct sk_alert_conds found = SK_ALERT_CONDS_INIT;
	struct sk_alertset set = SK_ALERTSET_INIT;
	struct sk_alert_cycle cy = { JAN1_0300 + 250, NULL, NULL, NULL };
	struct sk_cycle_report r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.started_ms = JAN1_0300;
	r.finished_ms = JAN1_0300 + 250;
	r.stage = "fetch";
	r.error = "git fetch 'https://git.example.com/policies.git': could not resolve host";
	assert_int_equal(sk_alert_find_cycle(&found, &r, false), 0);
	assert_int_equal(found.n, 1);
	assert_string_equal(found.v[0].key, "cycle");
	assert_int_equal(found.v[0].found, SK_FOUND_FIRING);
	assert_int_equal(sk_alertset_update(&set, &found, SK_ALERT_BIT(SK_ALERT_CYCLE), &cy), 0);
	assert_int_equal(sk_alert_format(&subject, &body, &set.v[0], SK_NOTICE_FIRING, cy.now_ms, 3600000), 0);
	assert_string_equal(subject.ptr, "snapkeep: cycle failed in fetch (policy commit unknown)");
	assert_non_null(strstr(body.ptr, "\nWhat failed: fetch: git fetch 'https://git.example.com/policies.git': "
					 "could not resolve host\n"));
	assert_non_null(strstr(body.ptr, "\nPolicy commit: unknown (the policy could not be read)\n"));
	assert_non_null(strstr(body.ptr, "\nPlan: 0 to create, 0 to change, 0 to delete (0 pending)\n"));
	assert_non_null(strstr(body.ptr, "(report only: --auto-apply is off)"));
	assert_non_null(strstr(body.ptr, "(after 250ms)"));
	assert_non_null(strstr(body.ptr, "\nAlert: cycle (fleet-wide)\n"));
	assert_non_null(strstr(body.ptr, "every 1h0m while it fires"));

	/* only actions failed: each policy's are its own alert, and the cycle's is found OK */
	sk_alert_conds_reset(&found);
	assert_int_equal(sk_alert_find_cycle(&found, &r, true), 0);
	assert_int_equal(found.v[0].found, SK_FOUND_OK);
	assert_null(found.v[0].summary);
	sk_alert_conds_free(&found);
	sk_alertset_free(&set);
	sk_buf_free(&subject);
	sk_buf_free(&body);
}

static void test_subjects_are_short_printable_ascii(void **state)
{
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT, summary = SK_BUF_INIT, detail = SK_BUF_INIT;
	struct sk_alert a;
	struct sk_cycle_report r;
	enum sk_alert_notice n;
	size_t i;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.key = "cycle";
	a.firing = true;
	a.cycles = 1;
	a.summary = "a very long summary\nwith a line break and \xc3\xa9 accents that goes on and on and on and on "
		    "and on and on and on";
	for (n = SK_NOTICE_FIRING; n <= SK_NOTICE_RESOLVED; n++) {
		assert_int_equal(sk_alert_format(&subject, &body, &a, n, JAN1_0300, 3600000), 0);
		assert_int_equal(subject.len, 99); /* SNS wants fewer than 100 */
		for (i = 0; i < subject.len; i++)
			assert_true(subject.ptr[i] >= 0x20 && subject.ptr[i] < 0x7f);
		assert_int_equal(strncmp(subject.ptr,
					 n == SK_NOTICE_FIRING   ? "snapkeep: a very long summary with"
					 : n == SK_NOTICE_REPEAT ? "snapkeep: still firing: a very long summary with"
								 : "snapkeep: resolved: a very long summary with",
					 n == SK_NOTICE_FIRING ? 34 : n == SK_NOTICE_REPEAT ? 48 : 44),
				 0);
		sk_buf_reset(&subject);
		sk_buf_reset(&body);
	}

	/* a huge error is cut, and says by how much */
	{
		char *big = malloc(20001);
		assert_non_null(big);
		memset(big, 'x', 20000);
		big[20000] = '\0';
		failed_apply(&r);
		r.error = big;
		assert_int_equal(sk_alert_describe_failure(&summary, &detail, &r), 0);
		assert_true(detail.len < 9000);
		assert_non_null(strstr(detail.ptr, "x... (12000 more bytes)\n"));
		free(big);
	}
	sk_buf_free(&subject);
	sk_buf_free(&body);
	sk_buf_free(&summary);
	sk_buf_free(&detail);
}

/* fuzz_summary: a commit subject git took in any encoding, or cut inside a character, still saves */
static void test_summary_with_any_subject_bytes_can_be_saved(void **state)
{
	struct sk_alert_summary s, back;
	struct sk_cycle_report r;
	char subject[400], error[900];
	json_t *j;

	(void)state;
	/* 198 bytes then a 2-byte character: a 200-byte field cuts it in two */
	memset(subject, 'x', 198);
	strcpy(subject + 198, "\xc3\xa9 and more");
	memset(error, 'e', 598);
	strcpy(error + 598, "\xe6\x97\xa5");
	memset(&r, 0, sizeof(r));
	r.commit = "3f2a9c1d4e5f60718293a4b5c6d7e8f901234567";
	r.subject = subject;
	r.ok = false;
	r.stage = "";
	r.error = error;
	r.started_ms = JAN1_0300;
	r.finished_ms = JAN1_0300 + 60000;
	sk_alert_summary_reset(&s);
	sk_alert_summary_add(&s, &r);
	assert_int_equal(strlen(s.subject), 198);
	assert_int_equal(strlen(s.last_error), 598);
	j = sk_alert_summary_to_json(&s);
	assert_non_null(j);
	assert_int_equal(sk_alert_summary_from_json(&back, j), 0);
	assert_string_equal(back.subject, s.subject);
	json_decref(j);

	/* Latin-1, as git keeps a subject committed with i18n.commitEncoding=ISO-8859-1 */
	r.subject = "prod: caf\xe9 retention";
	sk_alert_summary_add(&s, &r);
	assert_string_equal(s.subject, "prod: caf? retention");
	j = sk_alert_summary_to_json(&s);
	assert_non_null(j);
	json_decref(j);

	/* a summary file whose subject is longer than the field reads back cut at a whole character */
	memset(subject, 'y', 199);
	strcpy(subject + 199, "\xc3\xa9");
	j = json_pack("{s:s, s:s, s:s}", "format", "snapkeep-summary/v1", "periodStart", "2026-01-01T00:00:00Z",
		      "subject", subject);
	assert_non_null(j);
	assert_int_equal(sk_alert_summary_from_json(&back, j), 0);
	json_decref(j);
	assert_int_equal(strlen(back.subject), 199);
	j = sk_alert_summary_to_json(&back);
	assert_non_null(j);
	json_decref(j);
}

static void test_daily_summary_adds_up_cycles(void **state)
{
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;
	struct sk_alert_summary s;
	struct sk_cycle_report r;

	(void)state;
	sk_alert_summary_reset(&s);
	memset(&r, 0, sizeof(r));
	r.commit = "3f2a9c1d4e5f60718293a4b5c6d7e8f901234567";
	r.subject = "Tighten prod retention";
	r.ok = true;
	r.started_ms = JAN1_0300;
	r.finished_ms = JAN1_0300 + 60000;
	r.created = 2;
	r.copied = 1;
	r.ages = two_ages;
	r.n_ages = 2;
	sk_alert_summary_add(&s, &r);

	failed_apply(&r);
	r.started_ms = JAN1_0300 + 900000;
	r.finished_ms = JAN1_0300 + 960000;
	r.stage = "observe";
	r.error = "rds DescribeDBSnapshots in eu-west-1: no answer";
	r.created = 0;
	sk_alert_summary_add(&s, &r);

	memset(&r, 0, sizeof(r));
	r.commit = "4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a";
	r.subject = "Add billing";
	r.ok = true;
	r.started_ms = JAN1_0300 + 1800000;
	r.finished_ms = JAN1_0300 + 1830000;
	r.deleted = 1;
	r.pending = 1;
	r.ages = two_ages;
	r.n_ages = 1; /* billing gone: the oldest newest snapshot is orders' */
	sk_alert_summary_add(&s, &r);

	assert_int_equal(s.cycles, 3);
	assert_int_equal(s.failed, 1);
	assert_int_equal(sk_alert_format_summary(&subject, &body, &s, 1767312000000LL), 0);
	assert_string_equal(subject.ptr, "snapkeep: daily summary 2026-01-02: 3 cycles, 1 failed");
	assert_string_equal(body.ptr,
			    "snapkeep daily summary for 2026-01-02 (cycles from 2026-01-01T03:00:00Z to "
			    "2026-01-01T03:30:30Z)\n"
			    "\n"
			    "Cycles: 3 (2 succeeded, 1 failed)\n"
			    "Snapshots: 2 created, 1 copied, 1 deleted\n"
			    "Pending actions after the last cycle: 1\n"
			    "Policy commit: 4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a \"Add billing\"\n"
			    "Last success: 2026-01-01T03:30:30Z\n"
			    "Last failure: 2026-01-01T03:16:00Z: observe: rds DescribeDBSnapshots in eu-west-1: no answer\n"
			    "Instances watched: 1; the oldest newest snapshot: us-east-1/orders, 1h0m old\n");
	sk_buf_free(&subject);
	sk_buf_free(&body);

	/* an empty day says so */
	sk_alert_summary_reset(&s);
	assert_int_equal(sk_alert_format_summary(&subject, &body, &s, 1767312000000LL), 0);
	assert_string_equal(subject.ptr, "snapkeep: daily summary 2026-01-02: 0 cycles, 0 failed");
	assert_non_null(strstr(body.ptr, "no cycle ran since the last summary"));
	assert_non_null(strstr(body.ptr, "Last success: none in this period\n"));
	assert_null(strstr(body.ptr, "Last failure"));
	sk_buf_free(&subject);
	sk_buf_free(&body);
}

static void test_summary_times(void **state)
{
	int minute;

	(void)state;
	assert_int_equal(sk_alert_parse_time_of_day(&minute, "07:30"), 0);
	assert_int_equal(minute, 450);
	assert_int_equal(sk_alert_parse_time_of_day(&minute, "00:00"), 0);
	assert_int_equal(minute, 0);
	assert_int_equal(sk_alert_parse_time_of_day(&minute, "23:59"), 0);
	assert_int_equal(minute, 1439);
	assert_int_equal(sk_alert_parse_time_of_day(&minute, "24:00"), SK_ERROR);
	assert_int_equal(sk_alert_parse_time_of_day(&minute, "7:30"), SK_ERROR);
	assert_int_equal(sk_alert_parse_time_of_day(&minute, "07:60"), SK_ERROR);
	assert_int_equal(sk_alert_parse_time_of_day(&minute, "0730"), SK_ERROR);
	assert_int_equal(sk_alert_parse_time_of_day(&minute, ""), SK_ERROR);
	assert_string_equal(sk_error_message(), "time of day '': want HH:MM (UTC, 00:00..23:59)");
	/* 03:00 on Jan 1: 07:30 the same day; 03:00 itself the next day; 02:59 the next day */
	assert_int_equal(sk_alert_next_daily(1767236400, 450), 1767236400 + 4 * 3600 + 1800);
	assert_int_equal(sk_alert_next_daily(1767236400, 180), 1767236400 + 86400);
	assert_int_equal(sk_alert_next_daily(1767236400, 179), 1767236400 + 86400 - 60);
}

/* the summary outlives the process: JSON and back gives the same message; a bad file is refused */
static void test_summary_survives_a_restart(void **state)
{
	struct sk_buf s1 = SK_BUF_INIT, b1 = SK_BUF_INIT, s2 = SK_BUF_INIT, b2 = SK_BUF_INIT;
	struct sk_alert_summary s, back;
	struct sk_cycle_report r;
	json_t *j, *bad;

	(void)state;
	sk_alert_summary_reset(&s);
	failed_apply(&r);
	r.started_ms = JAN1_0300 + 123;
	r.finished_ms = JAN1_0300 + 60456;
	r.ages = two_ages;
	r.n_ages = 2;
	sk_alert_summary_add(&s, &r);
	assert_int_equal(s.period_start, JAN1_0300 / 1000); /* the first cycle starts the period */

	j = sk_alert_summary_to_json(&s);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "periodStart")), "2026-01-01T03:00:00Z");
	assert_int_equal(sk_alert_summary_from_json(&back, j), 0);
	assert_int_equal(back.period_start, s.period_start);
	assert_int_equal(back.since_ms, s.since_ms);
	assert_int_equal(back.until_ms, s.until_ms);
	assert_int_equal(back.oldest_age, 90000);
	assert_int_equal(sk_alert_format_summary(&s1, &b1, &s, JAN1_0300 + 86400000), 0);
	assert_int_equal(sk_alert_format_summary(&s2, &b2, &back, JAN1_0300 + 86400000), 0);
	assert_string_equal(s1.ptr, s2.ptr);
	assert_string_equal(b1.ptr, b2.ptr);

	/* not due before the next 07:30 after the period began, due from then on */
	assert_false(sk_alert_summary_due(&back, 450, JAN1_0300 / 1000 + 4 * 3600 + 1799));
	assert_true(sk_alert_summary_due(&back, 450, JAN1_0300 / 1000 + 4 * 3600 + 1800));
	assert_true(sk_alert_summary_due(&back, 450, JAN1_0300 / 1000 + 3 * 86400));

	/* an empty summary (no instance, no cycle) round-trips too */
	sk_alert_summary_reset(&s);
	s.period_start = JAN1_0300 / 1000;
	json_decref(j);
	j = sk_alert_summary_to_json(&s);
	assert_int_equal(sk_alert_summary_from_json(&back, j), 0);
	assert_int_equal(back.oldest_age, -1);
	assert_int_equal(back.cycles, 0);

	bad = json_deep_copy(j);
	json_object_set_new(bad, "cycles", json_string("3"));
	assert_int_equal(sk_alert_summary_from_json(&back, bad), SK_ERROR);
	assert_string_equal(sk_error_message(), "daily summary: 'cycles' must be a whole number");
	assert_int_equal(back.cycles, 0);
	json_object_set_new(bad, "cycles", json_integer(1));
	json_object_set_new(bad, "failed", json_integer(2));
	assert_int_equal(sk_alert_summary_from_json(&back, bad), SK_ERROR);
	assert_string_equal(sk_error_message(), "daily summary: more failed cycles than cycles");
	json_object_del(bad, "periodStart");
	assert_int_equal(sk_alert_summary_from_json(&back, bad), SK_ERROR);
	json_object_set_new(bad, "format", json_string("snapkeep-state/v1"));
	assert_int_equal(sk_alert_summary_from_json(&back, bad), SK_ERROR);
	assert_string_equal(sk_error_message(), "daily summary: not a snapkeep-summary/v1 document");
	json_decref(bad);
	json_decref(j);
	sk_buf_free(&s1);
	sk_buf_free(&b1);
	sk_buf_free(&s2);
	sk_buf_free(&b2);
}

static void test_cloudwatch_datums_of_a_cycle(void **state)
{
	struct sk_cycle_datums d;
	struct sk_cycle_report r;
	size_t i;

	(void)state;
	failed_apply(&r);
	r.copied = 5;
	r.deleted = 6;
	r.ages = two_ages;
	r.n_ages = 2;
	r.alerts_firing = 3;
	assert_int_equal(sk_alert_cycle_datums(&d, &r), 0);
	assert_int_equal(d.n, 8);
	{
		static const char *const names[] = { "SnapshotsCreated", "SnapshotsCopied", "SnapshotsDeleted",
						     "PendingActions", "CycleFailed", "AlertsFiring" };
		static const double values[] = { 1, 5, 6, 4, 1, 3 };
		for (i = 0; i < 6; i++) {
			assert_string_equal(d.data[i].name, names[i]);
			assert_true(d.data[i].value == values[i]);
			assert_string_equal(d.data[i].unit, "Count");
			assert_int_equal(d.data[i].timestamp, (JAN1_0300 + 65000) / 1000);
			assert_int_equal(d.data[i].n_dimensions, 0);
		}
	}
	for (i = 0; i < 2; i++) {
		const struct sk_metric_datum *m = &d.data[6 + i];
		assert_string_equal(m->name, "NewestSnapshotAgeSeconds");
		assert_string_equal(m->unit, "Seconds");
		assert_true(m->value == (double)two_ages[i].seconds);
		assert_int_equal(m->n_dimensions, 2);
		assert_string_equal(m->dimensions[0].name, "Region");
		assert_string_equal(m->dimensions[0].value, two_ages[i].region);
		assert_string_equal(m->dimensions[1].name, "Instance");
		assert_string_equal(m->dimensions[1].value, two_ages[i].instance);
	}
	sk_cycle_datums_free(&d);
	assert_null(d.data);
	sk_cycle_datums_free(NULL);

	/* a good cycle without instances: six datums, CycleFailed 0, AlertsFiring 0 */
	memset(&r, 0, sizeof(r));
	r.ok = true;
	assert_int_equal(sk_alert_cycle_datums(&d, &r), 0);
	assert_int_equal(d.n, 6);
	assert_true(d.data[4].value == 0);
	assert_true(d.data[5].value == 0);
	sk_cycle_datums_free(&d);
}

static void place(struct sk_reconcile_place *p, const char *region, const char *newest, int64_t t)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->region, sizeof(p->region), "%s", region);
	snprintf(p->newest, sizeof(p->newest), "%s", newest);
	p->newest_time = t;
}

static void test_newest_of_each_place_the_run_left(void **state)
{
	const int64_t now = 1767236400;
	struct sk_reconcile_instance in[3];
	struct sk_reconcile_place orders_copies[2];
	struct sk_reconcile_report rep;
	struct sk_newest *nw;
	size_t n;

	(void)state;
	memset(in, 0, sizeof(in));
	memset(&rep, 0, sizeof(rep));
	/* orders: its region and one copy region; the other copy region has none yet */
	snprintf(in[0].instance, sizeof(in[0].instance), "orders");
	snprintf(in[0].policy, sizeof(in[0].policy), "prod");
	place(&in[0].own, "us-east-1", "snapkeep-orders-1", now - 600);
	place(&orders_copies[0], "eu-west-1", "snapkeep-orders-0-us-east-1", now - 86400);
	place(&orders_copies[1], "us-west-2", "", 0);
	in[0].copies = orders_copies;
	in[0].n_copies = 2;
	/* a second policy of orders with a newer snapshot: the newer counts */
	snprintf(in[1].instance, sizeof(in[1].instance), "orders");
	snprintf(in[1].policy, sizeof(in[1].policy), "hourly");
	place(&in[1].own, "us-east-1", "hourly-orders-1", now - 60);
	/* billing: nothing available yet, so no age at all */
	snprintf(in[2].instance, sizeof(in[2].instance), "billing");
	place(&in[2].own, "eu-west-1", "", 0);
	rep.instances = in;
	rep.n_instances = 3;

	assert_int_equal(sk_cycle_newest(&nw, &n, &rep), 0);
	assert_int_equal(n, 2);
	assert_string_equal(nw[0].region, "eu-west-1");
	assert_string_equal(nw[0].instance, "orders");
	assert_int_equal(nw[0].time, now - 86400);
	assert_string_equal(nw[1].region, "us-east-1");
	assert_string_equal(nw[1].instance, "orders");
	assert_int_equal(nw[1].time, now - 60);
	free(nw);

	rep.n_instances = 0;
	assert_int_equal(sk_cycle_newest(&nw, &n, &rep), 0);
	assert_int_equal(n, 0);
	assert_null(nw);
}

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)

static void add_cond(struct sk_alert_conds *c, const char *key, enum sk_alert_kind kind, enum sk_alert_finding found,
		     const char *policy)
{
	struct sk_alert_cond cond = { key, kind, found, "it broke", "what broke, and the fix\n", NULL, 0 };

	if (policy) {
		cond.policies = &policy;
		cond.n_policies = 1;
	}
	assert_int_equal(sk_alert_conds_add(c, &cond), 0);
}

/* one cycle at now: cond found as given; returns what its receivers hear, and records it as heard */
static enum sk_alert_notice cycle_at(struct sk_alertset *set, int64_t now, enum sk_alert_finding found,
				     int64_t repeat)
{
	struct sk_alert_conds c = SK_ALERT_CONDS_INIT;
	struct sk_alert_cycle cy = { now, "3f2a9c1d4e5f60718293a4b5c6d7e8f901234567", "Tighten prod retention", NULL };
	enum sk_alert_notice n = SK_NOTICE_NONE;
	struct sk_alert *a;

	add_cond(&c, "cycle", SK_ALERT_CYCLE, found, NULL);
	assert_int_equal(sk_alertset_update(set, &c, SK_ALERT_BIT(SK_ALERT_CYCLE), &cy), 0);
	if ((a = sk_alertset_find(set, "cycle"))) {
		n = sk_alertset_due(a, now, repeat);
		sk_alertset_sent(a, n, now);
	}
	sk_alertset_prune(set);
	sk_alert_conds_free(&c);
	return n;
}

/* Alertmanager's manner: a message when it fires, at most every repeat while it fires, one when it resolves */
static void test_alert_fires_once_repeats_after_the_interval_and_resolves_once(void **state)
{
	struct sk_alertset set = SK_ALERTSET_INIT;
	const int64_t t0 = JAN1_0300, repeat = 4 * HOUR_MS;
	size_t firing = 0, repeats = 0, resolved = 0, k;
	int64_t t;

	(void)state;
	/* 9 failed cycles 5 s apart: one message */
	for (k = 0; k < 9; k++) {
		enum sk_alert_notice n = cycle_at(&set, t0 + (int64_t)k * 5000, SK_FOUND_FIRING, repeat);
		firing += n == SK_NOTICE_FIRING;
		repeats += n == SK_NOTICE_REPEAT;
	}
	assert_int_equal(firing, 1);
	assert_int_equal(repeats, 0);
	assert_int_equal(set.n, 1);
	assert_true(set.v[0].firing);
	assert_int_equal(set.v[0].cycles, 9);
	assert_int_equal(set.v[0].since_ms, t0);
	assert_string_equal(set.v[0].commit, "3f2a9c1d4e5f60718293a4b5c6d7e8f901234567");
	assert_int_equal(sk_alertset_firing(&set, SK_ALERT_CYCLE), 1);
	assert_int_equal(sk_alertset_firing(&set, SK_ALERT_APPLY), 0);
	assert_int_equal(sk_alertset_firing(&set, SK_ALERT_KINDS), 1);

	/* a repeat only once the interval has passed since the last message, then not again before the next one */
	assert_int_equal(cycle_at(&set, t0 + repeat - 1, SK_FOUND_FIRING, repeat), SK_NOTICE_NONE);
	assert_int_equal(cycle_at(&set, t0 + repeat, SK_FOUND_FIRING, repeat), SK_NOTICE_REPEAT);
	for (t = t0 + repeat + 15 * MIN_MS; t < t0 + 2 * repeat; t += 15 * MIN_MS)
		assert_int_equal(cycle_at(&set, t, SK_FOUND_FIRING, repeat), SK_NOTICE_NONE);
	assert_int_equal(cycle_at(&set, t0 + 2 * repeat, SK_FOUND_FIRING, repeat), SK_NOTICE_REPEAT);
	assert_int_equal(set.v[0].since_ms, t0);

	/* recovered: one "resolved", then nothing; the alert is forgotten */
	for (k = 0; k < 5; k++)
		resolved += cycle_at(&set, t0 + 2 * repeat + (int64_t)(k + 1) * 5000, SK_FOUND_OK, repeat) ==
			    SK_NOTICE_RESOLVED;
	assert_int_equal(resolved, 1);
	assert_int_equal(set.n, 0);

	/* firing again later is a new alert: a new message, a new start */
	assert_int_equal(cycle_at(&set, t0 + 3 * repeat, SK_FOUND_FIRING, repeat), SK_NOTICE_FIRING);
	assert_int_equal(set.v[0].since_ms, t0 + 3 * repeat);
	assert_int_equal(set.v[0].cycles, 1);
	sk_alertset_free(&set);
}

/* a message no topic took is tried again; one that resolves before anybody heard of it says nothing */
static void test_alert_not_taken_is_tried_again(void **state)
{
	struct sk_alertset set = SK_ALERTSET_INIT;
	struct sk_alert_conds c = SK_ALERT_CONDS_INIT;
	struct sk_alert_cycle cy = { JAN1_0300, NULL, NULL, NULL };
	struct sk_alert *a;

	(void)state;
	add_cond(&c, "cycle", SK_ALERT_CYCLE, SK_FOUND_FIRING, NULL);
	assert_int_equal(sk_alertset_update(&set, &c, 0, &cy), 0);
	a = sk_alertset_find(&set, "cycle");
	assert_int_equal(sk_alertset_due(a, JAN1_0300, HOUR_MS), SK_NOTICE_FIRING);
	/* SNS refused it: not sent, so the next cycle tries again */
	cy.now_ms += 5000;
	assert_int_equal(sk_alertset_update(&set, &c, 0, &cy), 0);
	assert_int_equal(sk_alertset_due(a, cy.now_ms, HOUR_MS), SK_NOTICE_FIRING);
	/* resolved before anybody heard of it: nothing to say, and forgotten */
	sk_alert_conds_reset(&c);
	add_cond(&c, "cycle", SK_ALERT_CYCLE, SK_FOUND_OK, NULL);
	cy.now_ms += 5000;
	assert_int_equal(sk_alertset_update(&set, &c, 0, &cy), 0);
	assert_false(a->firing);
	assert_int_equal(a->resolved_ms, cy.now_ms);
	assert_int_equal(sk_alertset_due(a, cy.now_ms, HOUR_MS), SK_NOTICE_NONE);
	sk_alertset_prune(&set);
	assert_int_equal(set.n, 0);

	/* heard firing, resolved, but the resolution was not taken: firing again goes on from the old start */
	sk_alert_conds_reset(&c);
	add_cond(&c, "cycle", SK_ALERT_CYCLE, SK_FOUND_FIRING, NULL);
	cy.now_ms = JAN1_0300;
	assert_int_equal(sk_alertset_update(&set, &c, 0, &cy), 0);
	sk_alertset_sent(&set.v[0], SK_NOTICE_FIRING, cy.now_ms);
	c.v[0].found = SK_FOUND_OK;
	cy.now_ms += MIN_MS;
	assert_int_equal(sk_alertset_update(&set, &c, 0, &cy), 0);
	assert_int_equal(sk_alertset_due(&set.v[0], cy.now_ms, HOUR_MS), SK_NOTICE_RESOLVED);
	c.v[0].found = SK_FOUND_FIRING;
	cy.now_ms += MIN_MS;
	assert_int_equal(sk_alertset_update(&set, &c, 0, &cy), 0);
	assert_true(set.v[0].firing);
	assert_int_equal(set.v[0].since_ms, JAN1_0300);
	assert_int_equal(set.v[0].cycles, 2);
	assert_int_equal(sk_alertset_due(&set.v[0], cy.now_ms, HOUR_MS), SK_NOTICE_NONE);
	sk_alert_conds_free(&c);
	sk_alertset_free(&set);
}

/* a kind the cycle looked at resolves alerts no finding names; what it could not look at stays */
static void test_what_a_cycle_looked_at_resolves_what_is_gone(void **state)
{
	struct sk_alertset set = SK_ALERTSET_INIT;
	struct sk_alert_conds c = SK_ALERT_CONDS_INIT;
	struct sk_alert_cycle cy = { JAN1_0300, NULL, NULL, NULL };

	(void)state;
	add_cond(&c, "instance:us-east-1/orders:blocked", SK_ALERT_BLOCKED, SK_FOUND_FIRING, "prod");
	add_cond(&c, "policy:prod:apply", SK_ALERT_APPLY, SK_FOUND_FIRING, "prod");
	add_cond(&c, "policy:west:selects-nothing", SK_ALERT_SELECTS_NOTHING, SK_FOUND_FIRING, "west");
	assert_int_equal(sk_alertset_update(&set, &c, 0, &cy), 0);
	assert_int_equal(sk_alertset_firing(&set, SK_ALERT_KINDS), 3);

	/* the next plan: no instance blocked, west not looked at (--region); apply did not run */
	sk_alert_conds_reset(&c);
	add_cond(&c, "policy:west:selects-nothing", SK_ALERT_SELECTS_NOTHING, SK_FOUND_UNKNOWN, "west");
	cy.now_ms += MIN_MS;
	assert_int_equal(sk_alertset_update(&set, &c,
					    SK_ALERT_BIT(SK_ALERT_BLOCKED) | SK_ALERT_BIT(SK_ALERT_SELECTS_NOTHING), &cy),
			 0);
	assert_false(sk_alertset_find(&set, "instance:us-east-1/orders:blocked")->firing);
	assert_true(sk_alertset_find(&set, "policy:prod:apply")->firing);
	assert_true(sk_alertset_find(&set, "policy:west:selects-nothing")->firing);
	assert_int_equal(sk_alertset_find(&set, "policy:west:selects-nothing")->cycles, 1);

	/* a cycle that applied and found no failed action */
	sk_alert_conds_reset(&c);
	cy.now_ms += MIN_MS;
	assert_int_equal(sk_alertset_update(&set, &c, SK_ALERT_BIT(SK_ALERT_APPLY), &cy), 0);
	assert_false(sk_alertset_find(&set, "policy:prod:apply")->firing);
	assert_int_equal(sk_alertset_firing(&set, SK_ALERT_KINDS), 1);
	sk_alert_conds_free(&c);
	sk_alertset_free(&set);
}

static struct sk_policyset *parse(const char *text)
{
	struct sk_policyset *set = NULL;

	assert_int_equal(sk_policyset_parse_buffer(&set, "p.yaml", text, strlen(text)), 0);
	return set;
}

#define POLICY(name, topic)                                                                                     \
	"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: " name "}\nspec:\n  regions: [us-east-1]\n" \
	"  selector: {instances: [" name "-db]}\n  automated: {retentionDays: 7}\n" topic "---\n"
#define TOPIC_A "arn:aws:sns:us-east-1:123456789012:a"
#define TOPIC_B "arn:aws:sns:us-east-1:123456789012:b"
#define TOPIC_F "arn:aws:sns:us-east-1:123456789012:fleet"
#define SETTINGS_F                                                 \
	"apiVersion: snapkeep/v1\nkind: Settings\nmetadata: {name: s}\n" \
	"spec:\n  alerts: {snsTopicArn: " TOPIC_F "}\n"

static void expect_route(const struct sk_alert_routes *r, const char *policy, const char *want1, const char *want2)
{
	const char **t = NULL;
	size_t n = 0;

	assert_int_equal(sk_alert_route(&t, &n, r, policy ? &policy : NULL, policy ? 1 : 0), 0);
	assert_int_equal(n, want2 ? 2 : want1 ? 1 : 0);
	if (want1)
		assert_string_equal(t[0], want1);
	if (want2)
		assert_string_equal(t[1], want2);
	free(t);
}

/* a policy's alerts reach its own topic only; fleet-wide ones the Settings topic, else every policy's */
static void test_routes_policy_alerts_to_their_own_topic(void **state)
{
	struct sk_policyset *set = parse(POLICY("b", "  alerts: {snsTopicArn: " TOPIC_B "}\n")
						 POLICY("a", "  alerts: {snsTopicArn: " TOPIC_A "}\n") POLICY("c", "")
							 POLICY("d", "  alerts: {snsTopicArn: " TOPIC_B "}\n"));
	struct sk_alert_routes r = SK_ALERT_ROUTES_INIT;
	struct sk_alertset alerts = SK_ALERTSET_INIT;
	struct sk_alert_conds c = SK_ALERT_CONDS_INIT;
	struct sk_alert_cycle cy = { JAN1_0300, NULL, NULL, &r };
	const char *const both[] = { "d", "a" };
	const char **t = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sk_alert_routes_learn(&r, set), 0);
	assert_string_equal(r.commit, set->commit);
	expect_route(&r, "a", TOPIC_A, NULL);
	expect_route(&r, "b", TOPIC_B, NULL);
	expect_route(&r, "c", NULL, NULL); /* no topic of its own, no Settings topic: nowhere */
	expect_route(&r, NULL, TOPIC_A, TOPIC_B); /* fleet-wide: every policy's, distinct and sorted */
	assert_int_equal(sk_alert_route(&t, &n, &r, both, 2), 0);
	assert_int_equal(n, 2);
	assert_string_equal(t[0], TOPIC_A);
	assert_string_equal(t[1], TOPIC_B);
	free(t);

	/* an alert keeps the topics it fired to, so its resolution reaches them, whatever the routes say later */
	add_cond(&c, "policy:a:apply", SK_ALERT_APPLY, SK_FOUND_FIRING, "a");
	assert_int_equal(sk_alertset_update(&alerts, &c, 0, &cy), 0);
	assert_int_equal(alerts.v[0].n_topics, 1);
	assert_string_equal(alerts.v[0].topics[0], TOPIC_A);
	sk_alertset_sent(&alerts.v[0], SK_NOTICE_FIRING, cy.now_ms);
	sk_policyset_free(set);

	/* with a Settings topic: fleet-wide alerts and those of a policy without a topic go there */
	set = parse(POLICY("a", "  alerts: {snsTopicArn: " TOPIC_B "}\n") POLICY("c", "") SETTINGS_F);
	assert_int_equal(sk_alert_routes_learn(&r, set), 0);
	assert_string_equal(r.fleet, TOPIC_F);
	expect_route(&r, NULL, TOPIC_F, NULL);
	expect_route(&r, "c", TOPIC_F, NULL);
	expect_route(&r, "a", TOPIC_B, NULL);
	expect_route(&r, "gone", TOPIC_F, NULL);
	assert_int_equal(sk_alertset_update(&alerts, &c, 0, &cy), 0);
	assert_string_equal(alerts.v[0].topics[0], TOPIC_A);
	sk_alert_conds_free(&c);
	sk_alertset_free(&alerts);
	sk_alert_routes_free(&r);
	sk_policyset_free(set);
}

/* `run --once` from cron: the states go to alerts.json and come back the same; a bad file is refused */
static void test_alert_states_survive_a_restart(void **state)
{
	struct sk_alertset set = SK_ALERTSET_INIT, back = SK_ALERTSET_INIT;
	struct sk_alert_conds c = SK_ALERT_CONDS_INIT;
	struct sk_alert_routes r = SK_ALERT_ROUTES_INIT;
	struct sk_alert_cycle cy = { JAN1_0300 + 123, "3f2a9c1d4e5f60718293a4b5c6d7e8f901234567", "Tighten", &r };
	struct sk_buf s1 = SK_BUF_INIT, b1 = SK_BUF_INIT, s2 = SK_BUF_INIT, b2 = SK_BUF_INIT;
	struct sk_policyset *ps = parse(POLICY("a", "  alerts: {snsTopicArn: " TOPIC_A "}\n") SETTINGS_F);
	char dir[] = "/tmp/sk-test-alerts-XXXXXX", path[64];
	json_t *j = NULL, *bad;
	struct stat st;
	size_t i;

	(void)state;
	assert_int_equal(sk_alert_routes_learn(&r, ps), 0);
	add_cond(&c, "cycle", SK_ALERT_CYCLE, SK_FOUND_FIRING, NULL);
	add_cond(&c, "policy:a:apply", SK_ALERT_APPLY, SK_FOUND_FIRING, "a");
	assert_int_equal(sk_alertset_update(&set, &c, 0, &cy), 0);
	sk_alertset_sent(&set.v[0], SK_NOTICE_FIRING, cy.now_ms + 5);
	c.v[1].found = SK_FOUND_OK;
	cy.now_ms += 60000;
	assert_int_equal(sk_alertset_update(&set, &c, 0, &cy), 0);

	assert_non_null(mkdtemp(dir));
	j = sk_alertset_to_json(&set);
	assert_non_null(j);
	assert_int_equal(sk_doc_save(dir, SK_DOC_ALERTS, j), 0);
	json_decref(j);
	snprintf(path, sizeof(path), "%s/alerts.json", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sk_doc_load(&j, dir, SK_DOC_ALERTS), 0);
	assert_int_equal(sk_alertset_from_json(&back, j), 0);
	assert_int_equal(back.n, 2);
	for (i = 0; i < 2; i++) {
		const struct sk_alert *a = &set.v[i], *b = &back.v[i];
		assert_string_equal(a->key, b->key);
		assert_int_equal(a->kind, b->kind);
		assert_int_equal(a->firing, b->firing);
		assert_int_equal(a->since_ms, b->since_ms);
		assert_int_equal(a->resolved_ms, b->resolved_ms);
		assert_int_equal(a->last_sent_ms, b->last_sent_ms);
		assert_int_equal(a->heard, b->heard);
		assert_int_equal(a->cycles, b->cycles);
		assert_int_equal(a->n_topics, b->n_topics);
		assert_string_equal(a->topics[0], b->topics[0]);
		assert_string_equal(a->commit, b->commit);
		assert_int_equal(sk_alert_format(&s1, &b1, a, a->firing ? SK_NOTICE_REPEAT : SK_NOTICE_RESOLVED,
						 cy.now_ms, HOUR_MS),
				 0);
		assert_int_equal(sk_alert_format(&s2, &b2, b, b->firing ? SK_NOTICE_REPEAT : SK_NOTICE_RESOLVED,
						 cy.now_ms, HOUR_MS),
				 0);
		assert_string_equal(s1.ptr, s2.ptr);
		assert_string_equal(b1.ptr, b2.ptr);
	}
	assert_string_equal(back.v[0].topics[0], TOPIC_F);
	assert_int_equal(back.v[0].last_sent_ms, JAN1_0300 + 128);
	/* the restarted process does not repeat early, and the one nobody heard of resolves quietly */
	assert_int_equal(sk_alertset_due(&back.v[0], cy.now_ms, HOUR_MS), SK_NOTICE_NONE);
	assert_int_equal(sk_alertset_due(&back.v[1], cy.now_ms, HOUR_MS), SK_NOTICE_NONE);
	assert_non_null(strstr(b1.ptr, "RESOLVED at 2026-01-01T03:01:00Z: it broke\nIt fired from 2026-01-01T03:00:00Z "
					"for 1m0s (found in 1 cycle).\n\nWhat it was:\nwhat broke, and the fix\n\n"
					"Alert: policy:a:apply (apply)\nResolved at Policy commit: 3f2a9c1d"));

	bad = json_deep_copy(j);
	json_object_set_new(json_array_get(json_object_get(bad, "alerts"), 1), "kind", json_string("panic"));
	assert_int_equal(sk_alertset_from_json(&back, bad), SK_ERROR);
	assert_int_equal(back.n, 0);
	assert_non_null(strstr(sk_error_message(), "alert 'policy:a:apply': 'kind', 'state'"));
	json_decref(bad);
	bad = json_deep_copy(j);
	json_array_append(json_object_get(bad, "alerts"), json_array_get(json_object_get(bad, "alerts"), 0));
	assert_int_equal(sk_alertset_from_json(&back, bad), SK_ERROR);
	assert_string_equal(sk_error_message(), "alert states: alert 'cycle' is listed twice");
	json_object_set_new(bad, "format", json_string("snapkeep-summary/v1"));
	assert_int_equal(sk_alertset_from_json(&back, bad), SK_ERROR);
	assert_string_equal(sk_error_message(), "alert states: not a snapkeep-alerts/v1 document");
	json_decref(bad);
	json_decref(j);
	unlink(path);
	assert_int_equal(sk_doc_load(&j, dir, SK_DOC_ALERTS), SK_ENOTFOUND);
	rmdir(dir);
	sk_buf_free(&s1);
	sk_buf_free(&b1);
	sk_buf_free(&s2);
	sk_buf_free(&b2);
	sk_alertset_free(&set);
	sk_alertset_free(&back);
	sk_alert_conds_free(&c);
	sk_alert_routes_free(&r);
	sk_policyset_free(ps);
}

static const struct sk_alert_cond *cond_of(const struct sk_alert_conds *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].key, key))
			return &c->v[i];
	return NULL;
}

/* the blocked instance (one alert for two policies, naming the snapshot, its status and the fix) and empty policies */
static void test_alerts_found_in_a_plan(void **state)
{
	struct sk_policyset *set = parse(
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: prod}\nspec:\n  regions: [us-east-1]\n"
		"  selector: {tags: {env: prod}}\n  snapshots: {schedule: \"@daily\", copies: [{region: us-west-2}]}\n"
		"---\napiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: hourly}\nspec:\n"
		"  regions: [us-east-1]\n  selector: {tags: {env: prod}}\n  snapshots: {schedule: \"@hourly\", prefix: h}\n"
		"---\napiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: ghost}\nspec:\n"
		"  regions: [us-east-1]\n  selector: {tags: {team: ghost}}\n  automated: {retentionDays: 7}\n"
		"---\napiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: west}\nspec:\n"
		"  regions: [us-west-2]\n  selector: {tags: {team: west}}\n  automated: {retentionDays: 7}\n");
	struct sk_plan *p = NULL;
	struct sk_alert_conds c = SK_ALERT_CONDS_INIT;
	const struct sk_alert_cond *b, *e;
	static const char *const east[] = { "us-east-1" };
	static struct sk_plan_selected orders = { "us-east-1", "orders" };
	size_t i, k;

	(void)state;
	assert_int_equal(sk_plan_new(&p), 0);
	for (k = 0; k < 2; k++) {
		i = sk_plan_add_instance(p, k ? "hourly" : "prod", "orders", k ? 0 : 1);
		assert_int_equal(i, k);
		p->instances[i].own.region = "us-east-1";
		p->instances[i].own.blocked_by.snapshot = "rds-orders-manual-1";
		p->instances[i].own.blocked_by.region = "us-east-1";
		p->instances[i].own.blocked_by.status = "failed";
	}
	p->instances[0].copies[0].region = "us-west-2";
	p->instances[0].copies[0].blocked_by = p->instances[0].own.blocked_by;
	i = sk_plan_add_instance(p, "prod", "billing", 0);
	p->instances[i].own.region = "us-east-1";
	p->policies = sk_arena_calloc(&p->arena, 4, sizeof(*p->policies));
	p->n_policies = 4;
	for (k = 0; k < 4; k++) {
		p->policies[k].name = set->policies[k].name;
		p->policies[k].regions = (const char **)east;
		p->policies[k].n_regions = k == 3 ? 0 : 1;
		p->policies[k].instances = k < 2 ? &orders : NULL;
		p->policies[k].n_instances = k < 2;
	}

	assert_int_equal(sk_alert_find_plan(&c, set, p), 0);
	assert_int_equal(c.n, 5);
	b = cond_of(&c, "instance:us-east-1/orders:blocked");
	assert_non_null(b);
	assert_null(cond_of(&c, "instance:us-east-1/billing:blocked"));
	assert_int_equal(b->kind, SK_ALERT_BLOCKED);
	assert_int_equal(b->found, SK_FOUND_FIRING);
	assert_string_equal(b->summary, "deletions of orders in us-east-1 blocked by 'rds-orders-manual-1' (failed)");
	assert_int_equal(b->n_policies, 2);
	assert_string_equal(b->policies[0], "prod");
	assert_string_equal(b->policies[1], "hourly");
	assert_non_null(strstr(b->detail, "Snapshot 'rds-orders-manual-1' in us-east-1 is 'failed'."));
	assert_non_null(strstr(b->detail, "  policy 'prod': its snapshots in us-east-1, its copies in us-west-2\n"
					  "  policy 'hourly': its snapshots in us-east-1\n"));
	assert_non_null(strstr(b->detail, "aws rds delete-db-snapshot --region us-east-1 --db-snapshot-identifier "
					  "rds-orders-manual-1\n"));
	assert_non_null(strstr(b->detail, "No tag and no policy change unblocks the deletions"));

	assert_int_equal(cond_of(&c, "policy:prod:selects-nothing")->found, SK_FOUND_OK);
	assert_int_equal(cond_of(&c, "policy:west:selects-nothing")->found, SK_FOUND_UNKNOWN);
	e = cond_of(&c, "policy:ghost:selects-nothing");
	assert_int_equal(e->found, SK_FOUND_FIRING);
	assert_int_equal(e->kind, SK_ALERT_SELECTS_NOTHING);
	assert_string_equal(e->summary, "policy 'ghost' selects no instance");
	assert_string_equal(e->detail, "policy 'ghost' selects no instance in us-east-1: no instance there carries the "
				       "tags team=ghost, so the policy protects no database.\nCheck its spec.selector "
				       "(p.yaml:22:3), or tag the instances it should protect; the alert resolves once it "
				       "selects one.\n");
	assert_int_equal(e->n_policies, 1);
	assert_string_equal(e->policies[0], "ghost");
	sk_alert_conds_free(&c);
	sk_plan_free(p);
	sk_policyset_free(set);
}

/* a policy's failed actions are its alert, listed; another policy's successes raise nothing */
static void test_alerts_found_in_apply_outcomes(void **state)
{
	struct sk_plan *p = NULL;
	struct sk_apply_result res;
	struct sk_alert_conds c = SK_ALERT_CONDS_INIT;
	struct sk_action a;
	enum sk_outcome outcomes[3] = { SK_OUTCOME_FAILED, SK_OUTCOME_DONE, SK_OUTCOME_FAILED };
	char *details[3] = { "InternalFailure: boom (HTTP 500)", NULL, "SnapshotQuotaExceeded: no room" };

	(void)state;
	assert_int_equal(sk_plan_new(&p), 0);
	snprintf(p->commit, sizeof(p->commit), "3f2a9c1d4e5f60718293a4b5c6d7e8f901234567");
	memset(&a, 0, sizeof(a));
	a.kind = SK_ACTION_CREATE;
	a.region = "us-east-1";
	a.policy = "a";
	a.target = "snapkeep-a-db-1";
	assert_non_null(sk_plan_add_action(p, &a));
	a.kind = SK_ACTION_DELETE;
	a.policy = "b";
	a.target = "snapkeep-b-db-0";
	assert_non_null(sk_plan_add_action(p, &a));
	a.kind = SK_ACTION_COPY;
	a.region = "us-west-2";
	a.policy = "a";
	a.target = "snapkeep-a-db-0-us-east-1";
	assert_non_null(sk_plan_add_action(p, &a));
	memset(&res, 0, sizeof(res));
	res.n = 3;
	res.outcomes = outcomes;
	res.details = details;
	res.failed = 2;

	assert_int_equal(sk_alert_find_apply(&c, p, &res), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].key, "policy:a:apply");
	assert_int_equal(c.v[0].kind, SK_ALERT_APPLY);
	assert_int_equal(c.v[0].n_policies, 1);
	assert_string_equal(c.v[0].policies[0], "a");
	assert_string_equal(c.v[0].summary, "policy 'a': 2 actions failed in apply (policy commit 3f2a9c1d)");
	assert_non_null(strstr(c.v[0].detail, "  create snapkeep-a-db-1 (us-east-1): InternalFailure: boom (HTTP 500)\n"
					      "  copy snapkeep-a-db-0-us-east-1 (us-west-2): SnapshotQuotaExceeded: no room\n"));
	sk_alert_conds_free(&c);
	sk_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failure_message_names_what_failed),
		cmocka_unit_test(test_failure_before_the_policy_was_read),
		cmocka_unit_test(test_subjects_are_short_printable_ascii),
		cmocka_unit_test(test_daily_summary_adds_up_cycles),
		cmocka_unit_test(test_summary_with_any_subject_bytes_can_be_saved),
		cmocka_unit_test(test_summary_times),
		cmocka_unit_test(test_summary_survives_a_restart),
		cmocka_unit_test(test_cloudwatch_datums_of_a_cycle),
		cmocka_unit_test(test_newest_of_each_place_the_run_left),
		cmocka_unit_test(test_alert_fires_once_repeats_after_the_interval_and_resolves_once),
		cmocka_unit_test(test_alert_not_taken_is_tried_again),
		cmocka_unit_test(test_what_a_cycle_looked_at_resolves_what_is_gone),
		cmocka_unit_test(test_routes_policy_alerts_to_their_own_topic),
		cmocka_unit_test(test_alert_states_survive_a_restart),
		cmocka_unit_test(test_alerts_found_in_a_plan),
		cmocka_unit_test(test_alerts_found_in_apply_outcomes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
