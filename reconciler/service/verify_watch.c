/*
 * verify_watch.c - verify's results as gauges and alert conditions
 */
#include "reconciler/service/verify_watch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "reconciler/engine/verify_state.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/service/metrics.h"
#include "specs/policy.h"

static const char *const status_labels[] = { "instance", "region", "check" };
static const char *const place_labels[] = { "instance", "region" };

/* the drills and regions of o in vo, the drills kept in d */
static void watch_opts(struct sk_verify_drills *d, struct sk_verify_opts *vo, const struct sk_verify_watch_opts *o)
{
	if (sk_verify_drills_load(d, o->state_dir, o->state_backend) < 0) {
		sk_warn("verify: the drill check is UNKNOWN: %s", sk_error_message());
		sk_error_clear();
	}
	sk_verify_drills_opts(d, vo);
	vo->regions = o->regions;
	vo->n_regions = o->n_regions;
}

int sk_verify_watch_run(struct sk_verify_report **out, const struct sk_policyset *set, const struct sk_inventory *inv,
			const struct sk_verify_watch_opts *o)
{
	struct sk_verify_opts vo = SK_VERIFY_OPTS_INIT;
	struct sk_verify_drills drills = SK_VERIFY_DRILLS_INIT;
	int rc;

	watch_opts(&drills, &vo, o);
	vo.now = inv->observed_at;
	rc = sk_verify_run(out, set, inv, &vo);
	sk_verify_drills_free(&drills);
	return rc < 0 ? -1 : 0;
}

int sk_verify_watch_run_accounts(struct sk_verify_report **out, const struct sk_accounts *a,
				 const struct sk_verify_watch_opts *o)
{
	struct sk_verify_opts vo = SK_VERIFY_OPTS_INIT;
	struct sk_verify_drills drills = SK_VERIFY_DRILLS_INIT;
	int64_t observed_at;
	int rc;

	watch_opts(&drills, &vo, o);
	rc = sk_verify_accounts(out, a, &vo, NULL, &observed_at);
	sk_verify_drills_free(&drills);
	return rc;
}

int sk_verify_watch_define(struct sk_metrics *m)
{
	if (sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_VERIFY_STATUS,
			      "snapkeep verify's result per instance, region and check: 0 OK, 1 WARNING, 2 CRITICAL, "
			      "3 UNKNOWN.",
			      status_labels, 3, NULL, 0) < 0 ||
	    sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_VERIFY_AGE,
			      "Age of the newest available snapshot verify found, per instance and region, in seconds.",
			      place_labels, 2, NULL, 0) < 0 ||
	    sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_VERIFY_COPY_WAIT,
			      "How long the oldest source snapshot without a copy in a copy region has waited, in "
			      "seconds (0: every source is copied).",
			      place_labels, 2, NULL, 0) < 0 ||
	    sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_VERIFY_PITR_LAG,
			      "How far LatestRestorableTime is behind, per instance, in seconds.", place_labels, 2, NULL,
			      0) < 0)
		return -1;
	return 0;
}

/* CRITICAL over UNKNOWN over WARNING over OK */
static int severity(enum sk_verify_status s)
{
	return s == SK_VERIFY_CRITICAL ? 3 : s == SK_VERIFY_UNKNOWN ? 2 : s == SK_VERIFY_WARNING ? 1 : 0;
}

/* sets name{values} to v unless it holds a worse (higher) value already */
static int set_max(struct sk_metrics *m, const char *name, const char *const *values, double v, bool by_severity)
{
	double old = sk_metrics_get(m, name, values);

	if (!isnan(old) && (by_severity ? severity((enum sk_verify_status)old) >= severity((enum sk_verify_status)v)
					: old >= v))
		return 0;
	return sk_metrics_set(m, name, values, v);
}

/* the instance label: over several accounts "<account>/<instance>", as report and history name it */
static const char *instance_label(char out[96], const struct sk_verify_result *v)
{
	if (!v->account)
		return v->instance;
	snprintf(out, 96, "%s/%s", v->account, v->instance);
	return out;
}

/* results without an account (one account's) sort and compare as "" */
static int cmp_account(const struct sk_verify_result *a, const struct sk_verify_result *b)
{
	return strcmp(a->account ? a->account : "", b->account ? b->account : "");
}

int sk_verify_watch_metrics(struct sk_metrics *m, const struct sk_verify_report *r)
{
	static const char *const families[] = { SK_METRIC_VERIFY_STATUS, SK_METRIC_VERIFY_AGE,
						SK_METRIC_VERIFY_COPY_WAIT, SK_METRIC_VERIFY_PITR_LAG };
	size_t i;

	for (i = 0; i < 4; i++)
		if (sk_metrics_clear(m, families[i]) < 0)
			return -1;
	for (i = 0; i < r->n; i++) {
		const struct sk_verify_result *v = &r->results[i];
		char instance[96];
		const char *labels[3] = { instance_label(instance, v), v->region, sk_verify_check_name(v->check) };
		const char *gauge = v->check == SK_CHECK_SNAPSHOT_AGE ? SK_METRIC_VERIFY_AGE
				    : v->check == SK_CHECK_COPY        ? SK_METRIC_VERIFY_COPY_WAIT
				    : v->check == SK_CHECK_PITR_LATEST ? SK_METRIC_VERIFY_PITR_LAG
								       : NULL;

		if (set_max(m, SK_METRIC_VERIFY_STATUS, labels, (double)v->status, true) < 0)
			return -1;
		if (gauge && v->value >= 0 && set_max(m, gauge, labels, (double)v->value, false) < 0)
			return -1;
	}
	return 0;
}

static int cmp_place(const void *pa, const void *pb)
{
	const struct sk_verify_result *a = *(const struct sk_verify_result *const *)pa;
	const struct sk_verify_result *b = *(const struct sk_verify_result *const *)pb;
	int c = cmp_account(a, b);

	if (!c)
		c = strcmp(a->region, b->region);
	if (!c)
		c = strcmp(a->instance, b->instance);
	if (!c)
		c = (int)a->check - (int)b->check;
	return c;
}

static bool same_place(const struct sk_verify_result *a, const struct sk_verify_result *b)
{
	return !cmp_account(a, b) && !strcmp(a->region, b->region) && !strcmp(a->instance, b->instance) &&
	       a->check == b->check;
}

/* the condition of results g[0..n), one (instance, region, check) checked by one or more policies */
static int add_cond(struct sk_alert_conds *c, const struct sk_verify_result *const *g, size_t n, const char **policies,
		    struct sk_buf *key, struct sk_buf *summary, struct sk_buf *detail)
{
	struct sk_alert_cond cond = { .kind = SK_ALERT_VERIFY, .found = SK_FOUND_OK };
	const struct sk_verify_result *first = g[0];
	char instance[96];
	size_t i, np = 0;
	int rc;

	sk_buf_reset(key);
	sk_buf_reset(summary);
	sk_buf_reset(detail);
	for (i = 0; i < n; i++)
		if (g[i]->status == SK_VERIFY_CRITICAL)
			policies[np++] = g[i]->policy;
	if (np)
		cond.found = SK_FOUND_FIRING;
	else
		for (i = 0; i < n; i++)
			if (g[i]->status == SK_VERIFY_UNKNOWN)
				cond.found = SK_FOUND_UNKNOWN;
	/* over several accounts the key and the summary name the account: "verify:<account>/<region>/<instance>:<check>" */
	rc = sk_buf_printf(key, "verify:%s%s%s/%s:%s", first->account ? first->account : "", first->account ? "/" : "",
			   first->region, first->instance, sk_verify_check_name(first->check));
	if (rc == 0 && np)
		rc = sk_buf_printf(summary, "verify CRITICAL: %s of %s in %s", sk_verify_check_name(first->check),
				   instance_label(instance, first), first->region);
	for (i = 0; rc == 0 && i < n; i++)
		if (g[i]->status == SK_VERIFY_CRITICAL)
			rc = sk_buf_printf(detail, "CRITICAL %s: %s (policy '%s'%s%s)\n", sk_verify_check_name(g[i]->check),
					   g[i]->message, g[i]->policy, g[i]->account ? ", account " : "",
					   g[i]->account ? g[i]->account : "");
	if (rc == 0 && np)
		rc = sk_buf_adds(detail, "`snapkeep verify` shows every check; the alert resolves when this one is OK or "
					 "WARNING again.\n");
	if (rc < 0)
		return rc;
	cond.key = sk_buf_cstr(key);
	cond.summary = np ? sk_buf_cstr(summary) : NULL;
	cond.detail = np ? sk_buf_cstr(detail) : NULL;
	cond.policies = policies;
	cond.n_policies = np;
	return sk_alert_conds_add(c, &cond);
}

/* does the policy let its checks alert (every one does unless spec.verify.alerts is false)? */
static bool alerting(const struct sk_policyset *set, const char *policy)
{
	size_t i;

	for (i = 0; i < set->n_policies; i++)
		if (!strcmp(set->policies[i].name, policy))
			return !set->policies[i].verify.alerts_off;
	return false;
}

int sk_verify_watch_conds(struct sk_alert_conds *c, const struct sk_verify_report *r, const struct sk_policyset *set)
{
	const struct sk_verify_result **by = NULL;
	const char **policies = NULL;
	struct sk_buf key = SK_BUF_INIT, summary = SK_BUF_INIT, detail = SK_BUF_INIT;
	size_t i, j, n = 0;
	int rc = 0;

	if (!r->n)
		return 0;
	by = calloc(r->n, sizeof(*by));
	policies = calloc(r->n, sizeof(*policies));
	if (!by || !policies) {
		rc = sk_error_set_oom();
		goto done;
	}
	for (i = 0; i < r->n; i++)
		if (alerting(set, r->results[i].policy))
			by[n++] = &r->results[i];
	if (n)
		qsort(by, n, sizeof(*by), cmp_place);
	for (i = 0; rc == 0 && i < n; i = j) {
		for (j = i + 1; j < n && same_place(by[i], by[j]); j++)
			;
		rc = add_cond(c, by + i, j - i, policies, &key, &summary, &detail);
	}
done:
	free(by);
	free(policies);
	sk_buf_free(&key);
	sk_buf_free(&summary);
	sk_buf_free(&detail);
	return rc;
}
