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

struct sk_inventory;
struct sk_plan;

/* the age of the newest available snapshot of one instance, in its own region */
struct sk_instance_age {
	const char *region;
	const char *instance;
	int64_t seconds;
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
};

/*
 * The newest available snapshot (manual or automated, in the instance's
 * own region) of every instance in the inventory that a policy selects
 * (the plan has no "unmanaged" note about it), as ages at now (seconds).
 * Instances without any available snapshot are left out.  *out (free()
 * it) points into inv's strings.
 */
int sk_cycle_newest_ages(struct sk_instance_age **out, size_t *n, const struct sk_inventory *inv,
			 const struct sk_plan *plan, int64_t now);

#endif
