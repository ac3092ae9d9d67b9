/*
 * metrics.h - counters, gauges and histograms, served to Prometheus
 *
 * A registry holds metric families (a name, a type, a help line and the
 * names of its labels) and, in each, one series per set of label values.
 * It is safe to use from several threads: the AWS client reports every
 * call attempt from the per-region workers (sk_metrics_on_attempt) while
 * the HTTP server renders it.
 *
 * sk_metrics_render() writes the Prometheus text exposition format 0.0.4:
 * "# HELP" and "# TYPE" lines, families sorted by name, series sorted by
 * label values, label values escaped (\\, \" and \n), histograms as
 * _bucket{le=...} (cumulative, ending with +Inf), _sum and _count.
 *
 * sk_metrics_new_snapkeep() defines the families `snapkeep run` exports;
 * sk_metrics_record_cycle() updates them from a finished cycle.
 */
#ifndef SK_METRICS_H
#define SK_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct sk_aws_call_info;
struct sk_cycle_report;
struct sk_metrics;

enum sk_metric_type {
	SK_METRIC_COUNTER = 0,
	SK_METRIC_GAUGE,
	SK_METRIC_HISTOGRAM,
};

#define SK_METRICS_MAX_LABELS 8
#define SK_METRICS_MAX_BUCKETS 32

int sk_metrics_new(struct sk_metrics **out);
void sk_metrics_free(struct sk_metrics *m);

/*
 * Defines a family.  name: [a-zA-Z_:][a-zA-Z0-9_:]*; labels: up to
 * SK_METRICS_MAX_LABELS names ([a-zA-Z_][a-zA-Z0-9_]*, not "le" for a
 * histogram); buckets: the upper bounds of a histogram, strictly increasing
 * (+Inf is implied).  Defining a name twice is an error.
 */
int sk_metrics_define(struct sk_metrics *m, enum sk_metric_type type, const char *name, const char *help,
		      const char *const *labels, size_t n_labels, const double *buckets, size_t n_buckets);

/*
 * Updating a series: values holds one value per label of the family, in
 * order (NULL when it has none); the series is created on first use.
 * add: counters (v >= 0) and gauges; set: gauges; observe: histograms.
 * SK_ENOTFOUND for an unknown name, SK_ERROR for a wrong type or value.
 */
int sk_metrics_add(struct sk_metrics *m, const char *name, const char *const *values, double v);
int sk_metrics_set(struct sk_metrics *m, const char *name, const char *const *values, double v);
int sk_metrics_observe(struct sk_metrics *m, const char *name, const char *const *values, double v);
/* forgets every series of a family (gauges whose label sets come and go) */
int sk_metrics_clear(struct sk_metrics *m, const char *name);
/* the value of a counter or gauge series (NAN when absent), the count of a histogram's */
double sk_metrics_get(struct sk_metrics *m, const char *name, const char *const *values);

/* appends the text exposition format to out */
int sk_metrics_render(struct sk_metrics *m, struct sk_buf *out);

/*
 * The registry `snapkeep run` exports, every family prefixed snapkeep_:
 *   build_info{version} (gauge, 1), cycles_total{outcome="success|failure"},
 *   cycle_duration_seconds (histogram; buckets 1 5 15 30 60 120 300 600 1800 3600),
 *   aws_calls_total{service,action,outcome="success|throttled|error|no-answer"} (attempts),
 *   aws_throttles_total, pending_actions, last_success_timestamp_seconds,
 *   consecutive_failures, newest_snapshot_age_seconds{region,instance},
 *   snapshots_created_total, snapshots_copied_total, snapshots_deleted_total,
 *   alerts_firing{kind} (gauge: firing alerts of each kind, alertset.h; set by the service),
 *   policy_selected_instances{policy} (gauge: instances each policy selects at the last plan).
 */
#define SK_METRIC_ALERTS_FIRING "snapkeep_alerts_firing"
#define SK_METRIC_POLICY_SELECTED "snapkeep_policy_selected_instances"
/* restore drills, per {policy, region, instance}: 1 the last drill passed, 0 it failed; its RTO */
#define SK_METRIC_DRILL_SUCCESS "snapkeep_drill_success"
#define SK_METRIC_DRILL_RTO "snapkeep_drill_rto_seconds"
int sk_metrics_new_snapkeep(struct sk_metrics **out, const char *version);

/*
 * The AWS client's on_attempt callback (struct sk_aws_client_opts): ud is
 * a registry from sk_metrics_new_snapkeep().  Counts one attempt in
 * aws_calls_total, and throttled ones in aws_throttles_total too.
 */
void sk_metrics_on_attempt(void *ud, const struct sk_aws_call_info *info);

/*
 * A finished cycle (service/cycle.h): cycles_total, the duration,
 * pending actions, snapshot counters, consecutive failures (reset by a
 * success), the last success time, and newest snapshot ages (replaced as a
 * whole: instances no longer reported disappear).
 */
int sk_metrics_record_cycle(struct sk_metrics *m, const struct sk_cycle_report *r);
/* the number of failed cycles since the last success */
int sk_metrics_consecutive_failures(struct sk_metrics *m);

#endif
