/*
 * cycle.h - what one cycle of `snapkeep run` did, as plain data
 *
 * The service fills a struct sk_cycle_report after each reconciliation;
 * the alerts (alerts.h), the Prometheus registry (metrics.h) and CloudWatch
 * read it.  Nothing here calls AWS or prints.
 */
#ifndef SK_CYCLE_H
#define SK_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the age of the newest available snapshot of one instance, in its own region */
struct sk_instance_age {
	const char *region;
	const char *instance;
	int64_t seconds;
	const char *account; /* "" or NULL: the caller's own */
};

struct sk_cycle_report {
	const char *commit;  /* the policy commit (40 hex), or NULL / "" when it could not be read */
	const char *subject; /* its subject line, or NULL */
	const char *ref;     /* the watched ref, or NULL */
	int64_t started_ms;  /* wall clock, milliseconds since the epoch */
	int64_t finished_ms;
	bool ok;
	bool applied;        /* --auto-apply: the plan was applied (otherwise drift was reported) */
	const char *stage;   /* failed cycles: "fetch", "observe", "plan", "apply", "record", ... */
	const char *error;   /* failed cycles: the error message */
	/* the plan (sk_plan_count), NULL-plan cycles leave them 0 */
	size_t to_create, to_change, to_delete;
	size_t pending;      /* actions not done when the cycle ended (all of them without --auto-apply) */
	/* what this cycle did */
	size_t created, copied, deleted;
	const struct sk_instance_age *ages;
	size_t n_ages;
	size_t alerts_firing; /* alerts firing after the cycle (alertset.h) */
};

struct sk_reconcile_report;

/* the newest available snapshot of one instance in one region (its own, or a copy region) */
struct sk_newest {
	const char *account; /* "": the caller's own */
	const char *region;
	const char *instance;
	int64_t time; /* its creation time (a copy's: its source's) */
};

/*
 * The newest available snapshot the policies own of each instance the
 * report's plan manages, in the instance's region and in each copy region
 * (for a policy that takes no snapshots: its newest automated snapshot),
 * as the run left them (made snapshots count once available), sorted by
 * region and instance, one per place (two policies of one instance: the
 * newer).  Places with none are left out.  *out (free() it) points into rep.
 */
int sk_cycle_newest(struct sk_newest **out, size_t *n, const struct sk_reconcile_report *rep);

#endif
