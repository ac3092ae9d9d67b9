/*
 * test_alerts.c - alert states (fire, repeat, resolve, routing, persistence)
 * and what a cycle, its plan and its apply raise
 *
 * test_alerts_summary.c has the messages and metrics of a cycle's report.
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
#include "reconciler/service/alerts.h"
#include "reconciler/service/alertset.h"
#include "reconciler/service/cycle.h"
#include "reconciler/planner/plan.h"
#include "specs/policy.h"
#include "state/docs.h"

#define JAN1_0300 1767236400000LL /* 2026-01-01T03:00:00Z in ms */

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
		cmocka_unit_test(test_failure_before_the_policy_was_read),
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
