/*
 * test_verify_watch.c - verify's results in the run loop
 * (reconciler/service/verify_watch.c): gauges, and one alert condition per
 * (instance, region, check) whatever the number of policies checking it
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/error.h"
#include "reconciler/planner/verify.h"
#include "reconciler/service/metrics.h"
#include "reconciler/service/verify_watch.h"
#include "specs/policy.h"

static void result(struct sk_verify_report *r, const char *policy, const char *instance, enum sk_verify_check check,
		   enum sk_verify_status st, int64_t value)
{
	struct sk_verify_result *v;

	r->results = realloc(r->results, (r->n + 1) * sizeof(*r->results));
	assert_non_null(r->results);
	v = &r->results[r->n++];
	memset(v, 0, sizeof(*v));
	v->policy = policy;
	v->instance = instance;
	v->region = "us-east-1";
	v->check = check;
	v->status = st;
	v->value = value;
	v->message = "instance 'x' in us-east-1: what was found";
}

/* prod, a and b have spec.verify; plain has none (it alerts all the same); quiet says alerts: false */
static struct sk_policyset *policies(void)
{
	static const char *const text =
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: prod}\nspec:\n"
		"  regions: [us-east-1]\n  selector: {instances: [db-1]}\n  verify: {}\n---\n"
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: a}\nspec:\n"
		"  regions: [us-east-1]\n  selector: {instances: [db-2]}\n  verify: {}\n---\n"
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: b}\nspec:\n"
		"  regions: [us-east-1]\n  selector: {instances: [db-2]}\n  verify: {}\n---\n"
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: plain}\nspec:\n"
		"  regions: [us-east-1]\n  selector: {instances: [db-4]}\n---\n"
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: quiet}\nspec:\n"
		"  regions: [us-east-1]\n  selector: {instances: [db-3]}\n  verify: {alerts: false}\n";
	struct sk_policyset *set = NULL;

	if (sk_policyset_parse_buffer(&set, "p.yaml", text, strlen(text)) != 0)
		fail_msg("%s", sk_error_message());
	return set;
}

static const struct sk_alert_cond *cond(const struct sk_alert_conds *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].key, key))
			return &c->v[i];
	fail_msg("no condition %s", key);
	return NULL;
}

static void test_verify_watch_conds_fire_on_critical_only(void **state)
{
	struct sk_verify_report r;
	struct sk_alert_conds c = SK_ALERT_CONDS_INIT;
	const struct sk_alert_cond *a;
	struct sk_policyset *set;

	(void)state;
	memset(&r, 0, sizeof(r));
	set = policies();
	result(&r, "prod", "db-1", SK_CHECK_SNAPSHOT_AGE, SK_VERIFY_CRITICAL, 200000);
	result(&r, "prod", "db-1", SK_CHECK_STORAGE, SK_VERIFY_WARNING, -1);
	result(&r, "prod", "db-1", SK_CHECK_DRILL, SK_VERIFY_UNKNOWN, -1);
	/* two policies on db-2's age: one finds it CRITICAL, the other OK: it fires, to the first one's topic */
	result(&r, "a", "db-2", SK_CHECK_SNAPSHOT_AGE, SK_VERIFY_OK, 10);
	result(&r, "b", "db-2", SK_CHECK_SNAPSHOT_AGE, SK_VERIFY_CRITICAL, 10);
	/* plain, without spec.verify, alerts by default; quiet, with alerts: false, has no condition */
	result(&r, "plain", "db-4", SK_CHECK_ENCRYPTION, SK_VERIFY_CRITICAL, -1);
	result(&r, "quiet", "db-3", SK_CHECK_ENCRYPTION, SK_VERIFY_CRITICAL, -1);
	assert_int_equal(sk_verify_watch_conds(&c, &r, set), 0);
	assert_int_equal(c.n, 5);
	a = cond(&c, "verify:us-east-1/db-4:encryption");
	assert_int_equal(a->found, SK_FOUND_FIRING);
	assert_string_equal(a->policies[0], "plain");
	a = cond(&c, "verify:us-east-1/db-1:snapshot-age");
	assert_int_equal(a->kind, SK_ALERT_VERIFY);
	assert_int_equal(a->found, SK_FOUND_FIRING);
	assert_string_equal(a->summary, "verify CRITICAL: snapshot-age of db-1 in us-east-1");
	assert_non_null(strstr(a->detail, "CRITICAL snapshot-age: instance 'x' in us-east-1: what was found (policy 'prod')"));
	assert_int_equal(a->n_policies, 1);
	assert_int_equal(cond(&c, "verify:us-east-1/db-1:storage")->found, SK_FOUND_OK);
	assert_int_equal(cond(&c, "verify:us-east-1/db-1:drill")->found, SK_FOUND_UNKNOWN);
	a = cond(&c, "verify:us-east-1/db-2:snapshot-age");
	assert_int_equal(a->found, SK_FOUND_FIRING);
	assert_int_equal(a->n_policies, 1);
	assert_string_equal(a->policies[0], "b");
	for (size_t i = 0; i < c.n; i++)
		assert_null(strstr(c.v[i].key, "db-3"));
	sk_alert_conds_free(&c);
	sk_policyset_free(set);
	free(r.results);
}

static void test_verify_watch_gauges_take_the_worse(void **state)
{
	struct sk_verify_report r;
	struct sk_metrics *m = NULL;

	(void)state;
	memset(&r, 0, sizeof(r));
	result(&r, "a", "db-2", SK_CHECK_SNAPSHOT_AGE, SK_VERIFY_CRITICAL, 500);
	result(&r, "b", "db-2", SK_CHECK_SNAPSHOT_AGE, SK_VERIFY_UNKNOWN, 100);
	result(&r, "b", "db-2", SK_CHECK_PITR_LATEST, SK_VERIFY_OK, 300);
	assert_int_equal(sk_metrics_new(&m), 0);
	assert_int_equal(sk_verify_watch_define(m), 0);
	assert_int_equal(sk_verify_watch_metrics(m, &r), 0);
	assert_true(sk_metrics_get(m, SK_METRIC_VERIFY_STATUS, (const char *[]){ "db-2", "us-east-1", "snapshot-age" }) ==
		    2.0);
	assert_true(sk_metrics_get(m, SK_METRIC_VERIFY_AGE, (const char *[]){ "db-2", "us-east-1" }) == 500.0);
	assert_true(sk_metrics_get(m, SK_METRIC_VERIFY_PITR_LAG, (const char *[]){ "db-2", "us-east-1" }) == 300.0);
	/* the next report replaces the series: db-2 is gone */
	r.n = 1;
	r.results[0].instance = "db-3";
	r.results[0].status = SK_VERIFY_OK;
	assert_int_equal(sk_verify_watch_metrics(m, &r), 0);
	assert_true(isnan(sk_metrics_get(m, SK_METRIC_VERIFY_AGE, (const char *[]){ "db-2", "us-east-1" })));
	assert_true(sk_metrics_get(m, SK_METRIC_VERIFY_STATUS, (const char *[]){ "db-3", "us-east-1", "snapshot-age" }) ==
		    0.0);
	sk_metrics_free(m);
	free(r.results);
}

/* a verify alert is told once when it fires and once when it resolves, never repeated; others repeat */
static void test_verify_watch_alert_never_repeats(void **state)
{
	const int64_t repeat = 4 * 3600 * 1000LL, t0 = 1800000000000LL;
	struct sk_alert a;
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;
	int64_t t;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.key = "verify:us-east-1/db-1:encryption";
	a.kind = SK_ALERT_VERIFY;
	a.firing = true;
	a.since_ms = t0;
	a.cycles = 1;
	assert_int_equal(sk_alertset_due(&a, t0, repeat), SK_NOTICE_FIRING);
	sk_alertset_sent(&a, SK_NOTICE_FIRING, t0);
	for (t = t0 + 60000; t < t0 + 10 * repeat; t += repeat / 3)
		assert_int_equal(sk_alertset_due(&a, t, repeat), SK_NOTICE_NONE);
	assert_int_equal(sk_alert_format(&subject, &body, &a, SK_NOTICE_FIRING, t0, repeat), 0);
	assert_non_null(strstr(sk_buf_cstr(&body), "once more when it is resolved, and not again while it fires"));
	assert_null(strstr(sk_buf_cstr(&body), "again every"));
	a.firing = false;
	a.resolved_ms = t0 + 10 * repeat;
	assert_int_equal(sk_alertset_due(&a, a.resolved_ms, repeat), SK_NOTICE_RESOLVED);
	/* the same history for an apply alert repeats */
	a.kind = SK_ALERT_APPLY;
	a.firing = true;
	assert_int_equal(sk_alertset_due(&a, t0 + repeat, repeat), SK_NOTICE_REPEAT);
	sk_buf_free(&subject);
	sk_buf_free(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_watch_conds_fire_on_critical_only),
		cmocka_unit_test(test_verify_watch_gauges_take_the_worse),
		cmocka_unit_test(test_verify_watch_alert_never_repeats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
