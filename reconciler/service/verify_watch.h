/*
 * verify_watch.h - `snapkeep verify` in the run loop: its results as
 * Prometheus gauges and as alert conditions
 *
 * Each cycle that plans runs the checks (planner/verify.h) on the
 * inventory the plan was made from: no call more than the plan's.  The
 * gauges (families of sk_verify_watch_define):
 *
 *   snapkeep_verify_status{instance,region,check}            0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
 *   snapkeep_verify_newest_snapshot_age_seconds{instance,region}
 *   snapkeep_verify_copy_wait_seconds{instance,region}       a copy region's oldest source waiting for its copy
 *   snapkeep_verify_pitr_lag_seconds{instance,region}        now - LatestRestorableTime
 *
 * (over several accounts the instance label is <account>/<instance>)
 * are replaced as a whole each time (the sharded loop: once a cycle, with
 * every shard the replica reconciled in it; an instance no longer checked
 * disappears); where two policies check one instance, the worse value
 * counts.  Every policy's results alert unless it opts out with
 * spec.verify.alerts: false (say, a fleet known to have unencrypted
 * snapshots it does not mean to be paged about).  Each (instance, region,
 * check) is one alert condition, verify:<region>/<instance>:<check>
 * (verify:<account>/<region>/<instance>:<check> over several accounts),
 * firing while CRITICAL, resolved when OK or WARNING, left as it is when
 * UNKNOWN (alertset.h), to the topics of the policies that found it
 * CRITICAL: one SNS message when it becomes CRITICAL and one when it
 * recovers, never a repeat while it stays (the gauge says so meanwhile).
 */
#ifndef SK_VERIFY_WATCH_H
#define SK_VERIFY_WATCH_H

#include "reconciler/planner/verify.h"
#include "reconciler/service/alertset.h"

struct sk_accounts;
struct sk_inventory;
struct sk_metrics;
struct sk_policyset;

#define SK_METRIC_VERIFY_STATUS "snapkeep_verify_status"
#define SK_METRIC_VERIFY_AGE "snapkeep_verify_newest_snapshot_age_seconds"
#define SK_METRIC_VERIFY_COPY_WAIT "snapkeep_verify_copy_wait_seconds"
#define SK_METRIC_VERIFY_PITR_LAG "snapkeep_verify_pitr_lag_seconds"

/* where the loop's checks read the last drills (engine/verify_state.h), and the cycle's regions */
struct sk_verify_watch_opts {
	const char *state_dir;
	const char *state_backend;
	const char *const *regions;
	size_t n_regions;
};

/*
 * The checks of inv as of its observation, with the state's drills (one
 * the state cannot give is UNKNOWN, with a warning); _accounts: of each
 * observed account of a (engine/accounts.h), with its policies, inventory
 * and drills, joined (sk_verify_report_absorb: each result names its
 * account).  0, or -1 with the error set.
 */
int sk_verify_watch_run(struct sk_verify_report **out, const struct sk_policyset *set, const struct sk_inventory *inv,
			const struct sk_verify_watch_opts *o);
int sk_verify_watch_run_accounts(struct sk_verify_report **out, const struct sk_accounts *a,
				 const struct sk_verify_watch_opts *o);

/* defines the families above in m */
int sk_verify_watch_define(struct sk_metrics *m);
/* replaces their series with the report's */
int sk_verify_watch_metrics(struct sk_metrics *m, const struct sk_verify_report *r);
/* one condition per (instance, region, check) of the policies of set that alert, added to c */
int sk_verify_watch_conds(struct sk_alert_conds *c, const struct sk_verify_report *r, const struct sk_policyset *set);

#endif
