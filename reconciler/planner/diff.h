/*
 * diff.h - the plan: the difference between a policy set and an inventory
 *
 * For every instance a policy selects: the automated-backup settings and
 * their replication (one modify action, replication starts and stops),
 * then each policy's schedule, retention and copies (lifecycle.c).
 * Instances no policy selects are reported, never touched.  Pure: the
 * same policies, inventory and time make the same plan.
 */
#ifndef SK_DIFF_H
#define SK_DIFF_H

#include <stddef.h>

#include "reconciler/planner/plan.h"

struct sk_inventory;
struct sk_policyset;

/*
 * Computes the plan at opts->now (required: the planner reads no clock,
 * so the same inputs and time make the same plan).  The policy set's
 * commit, subject and ref are copied into the plan.  Policy errors the inventory
 * reveals (a named instance missing, two policies selecting one instance
 * with conflicting settings) fail it with class SK_ERR_POLICY, one line per
 * problem, each with file:line:col.
 */
int sk_plan_compute(struct sk_plan **out, const struct sk_policyset *policies, const struct sk_inventory *inv,
		    const struct sk_plan_opts *opts);

/* the regions, in order, that observing for this policy set needs */
int sk_plan_regions(const struct sk_policyset *policies, const char *const *only, size_t n_only,
		    const char ***out_regions, size_t *n_out, const char ***out_backup_regions, size_t *n_backup);

#endif
