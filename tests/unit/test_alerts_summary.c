/*
 * test_alerts_summary.c - a cycle's report as messages and metrics: the
 * failure message and its subject, the daily summary (and its file), the
 * CloudWatch datums and the newest snapshot of each place
 *
 * test_alerts.c has the alert states and what raises them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/error.h"
#include "reconciler/engine/reconcile.h"
#include "reconciler/service/alerts.h"
#include "reconciler/service/alertset.h"
#include "reconciler/service/cycle.h"
#include "state/journal.h"
#include "common/timeutil.h"
#include "backend_fixture.h"

#define JAN1_0300 1767236400000LL /* 2026-01-01T03:00:00Z in ms */

static const struct sk_instance_age two_ages[] = {
	{ "us-east-1", "orders", 3600, NULL },
	{ "eu-west-1", "billing", 90000, NULL },
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

/* journal lines as `snapkeep drill` writes them (the fields the summary reads) */
static void write_journal(const char *dir, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/journal.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static const char *summary_body(struct sk_buf *body, const struct sk_alert_summary *s, int64_t now_ms)
{
	struct sk_buf subject = SK_BUF_INIT;

	sk_buf_reset(body);
	assert_int_equal(sk_alert_format_summary(&subject, body, s, now_ms), 0);
	sk_buf_free(&subject);
	return sk_buf_cstr(body);
}

#define DEC3_0900 1796288400000LL /* 2026-12-03T09:00:00Z in ms */
#define DEC1_0900 1796115600000LL /* 2026-12-01T09:00:00Z in ms */

/* the month's drills from the journal: "all drills passed", or the last failure; the month before on its first summary */
static void test_summary_counts_the_months_drills(void **state)
{
	char dir[] = "/tmp/sk-summary-drills-XXXXXX", path[300];
	struct sk_alert_summary s;
	struct sk_buf body = SK_BUF_INIT;
	const char *b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sk_alert_summary_reset(&s);
	s.period_start = DEC3_0900 / 1000 - 86400;

	/* no journal: a fleet with drills hears that none ran; one without gets no line */
	assert_int_equal(sk_alert_summary_drills(&s, dir, NULL, true, DEC3_0900), 0);
	assert_non_null(strstr(summary_body(&body, &s, DEC3_0900), "Drills in 2026-12 (so far): none ran\n"));
	assert_int_equal(sk_alert_summary_drills(&s, dir, NULL, false, DEC3_0900), 0);
	assert_null(strstr(summary_body(&body, &s, DEC3_0900), "Drills"));

	write_journal(dir,
		      "{\"type\":\"drill\",\"id\":\"a.1\",\"time\":\"2026-11-01T06:20:00Z\",\"action\":\"drill\","
		      "\"region\":\"us-east-1\",\"instance\":\"orders-db\",\"result\":\"failed\","
		      "\"detail\":\"check 'books present' failed: 0 rows\"}\n"
		      "{\"type\":\"drill\",\"id\":\"a.2\",\"time\":\"2026-11-30T23:59:59Z\",\"action\":\"drill\","
		      "\"region\":\"us-east-1\",\"instance\":\"orders-db\",\"result\":\"passed\"}\n"
		      "{\"type\":\"intent\",\"id\":\"a.3\",\"time\":\"2026-12-01T06:00:00Z\",\"action\":\"create\","
		      "\"region\":\"us-east-1\",\"instance\":\"orders-db\",\"result\":\"failed\"}\n"
		      "{\"type\":\"drill\",\"id\":\"b.1\",\"time\":\"2026-12-01T06:20:00Z\",\"action\":\"drill\","
		      "\"region\":\"us-east-1\",\"instance\":\"orders-db\",\"result\":\"passed\"}\n"
		      "{\"type\":\"drill\",\"id\":\"b.2\",\"time\":\"2026-12-01T06:25:00Z\",\"action\":\"drill\","
		      "\"region\":\"eu-west-1\",\"instance\":\"billing-db\",\"result\":\"passed\"}\n");
	/* mid-month: this month so far, every drill passed; November is not repeated */
	assert_int_equal(sk_alert_summary_drills(&s, dir, NULL, true, DEC3_0900), 0);
	assert_int_equal(s.drills_now.passed, 2);
	assert_int_equal(s.drills_now.failed, 0);
	b = summary_body(&body, &s, DEC3_0900);
	assert_non_null(strstr(b, "Drills in 2026-12 (so far): 2 passed, 0 failed: all drills passed\n"));
	assert_null(strstr(b, "2026-11"));

	/* the first summary of December (its period began in November) also closes November, with its failure */
	s.period_start = DEC1_0900 / 1000 - 86400;
	assert_int_equal(sk_alert_summary_drills(&s, dir, NULL, false, DEC1_0900), 0);
	b = summary_body(&body, &s, DEC1_0900);
	assert_non_null(strstr(b, "Drills in 2026-11: 1 passed, 1 failed: NOT all passed; the last failure: orders-db "
				  "(us-east-1): check 'books present' failed: 0 rows\n"));
	assert_non_null(strstr(b, "Drills in 2026-12 (so far): 2 passed, 0 failed: all drills passed\n"));
	assert_true(strstr(b, "2026-11:") < strstr(b, "2026-12 (so far)"));

	/* not saved with the summary: a reloaded one counts afresh */
	{
		json_t *j = sk_alert_summary_to_json(&s);
		struct sk_alert_summary back;

		assert_non_null(j);
		assert_null(json_object_get(j, "drills"));
		assert_int_equal(sk_alert_summary_from_json(&back, j), 0);
		assert_int_equal(back.drills_now.month, 0);
		json_decref(j);
	}

	snprintf(path, sizeof(path), "%s/journal.jsonl", dir);
	unlink(path);
	rmdir(dir);
	sk_buf_free(&body);
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

/* one drill record written through the backend's journal, as `snapkeep drill` writes it */
static void journal_drill(struct sk_journal *j, const char *instance, const char *result, const char *detail)
{
	char id[SK_JOURNAL_ID_MAX];
	json_t *fields = json_pack("{s:s, s:s, s:s, s:s}", "action", "drill", "region", "us-east-1", "instance",
				   instance, "result", result);

	assert_non_null(fields);
	if (detail)
		json_object_set_new(fields, "detail", json_string(detail));
	assert_int_equal(sk_journal_append(id, sizeof(id), j, "drill", fields, true), 0);
	json_decref(fields);
}

/* the drill count reads the journal of the backend in use: the directory's, or PostgreSQL's table */
static void test_summary_counts_drills_on_the_backend(void **state)
{
	struct bfx *f = bfx_get(state);
	struct sk_alert_summary s;
	struct sk_buf body = SK_BUF_INIT;
	struct sk_backend *b;
	struct sk_journal *j = NULL;
	int64_t now = sk_time_now_ms();

	sk_alert_summary_reset(&s);
	s.period_start = now / 1000 - 3600;
	/* nothing written yet (PostgreSQL: no schema): no drill, and no error */
	assert_int_equal(sk_alert_summary_drills(&s, f->dir, f->spec, true, now), 0);
	assert_int_equal(s.drills_now.passed + s.drills_now.failed, 0);

	b = bfx_open(f);
	assert_int_equal(sk_backend_journal_open(&j, b), 0);
	journal_drill(j, "orders-db", "passed", NULL);
	journal_drill(j, "billing-db", "failed", "check 'books present' failed: 0 rows");
	journal_drill(j, "orders-db", "passed", NULL);
	sk_journal_close(j);
	sk_backend_close(b);

	now = sk_time_now_ms();
	assert_int_equal(sk_alert_summary_drills(&s, f->dir, f->spec, true, now), 0);
	assert_int_equal(s.drills_now.passed, 2);
	assert_int_equal(s.drills_now.failed, 1);
	assert_non_null(strstr(summary_body(&body, &s, now), "2 passed, 1 failed: NOT all passed; the last failure: "
							     "billing-db (us-east-1): check 'books present' failed"));
	if (f->pg) {
		/* the directory holds no journal: what is counted came from PostgreSQL */
		assert_int_equal(sk_alert_summary_drills(&s, f->dir, NULL, true, now), 0);
		assert_int_equal(s.drills_now.passed + s.drills_now.failed, 0);
	}
	sk_buf_free(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failure_message_names_what_failed),
		cmocka_unit_test(test_subjects_are_short_printable_ascii),
		cmocka_unit_test(test_daily_summary_adds_up_cycles),
		cmocka_unit_test(test_summary_with_any_subject_bytes_can_be_saved),
		cmocka_unit_test(test_summary_times),
		cmocka_unit_test(test_summary_survives_a_restart),
		cmocka_unit_test(test_summary_counts_the_months_drills),
		cmocka_unit_test(test_cloudwatch_datums_of_a_cycle),
		cmocka_unit_test(test_newest_of_each_place_the_run_left),
	};

	const struct CMUnitTest on_backends[] = {
		cmocka_unit_test_setup_teardown(test_summary_counts_drills_on_the_backend, bfx_setup, bfx_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed + bfx_run_both(on_backends, sizeof(on_backends) / sizeof(on_backends[0]));
}
