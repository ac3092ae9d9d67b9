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

/* what observing for a policy set needs: each list sorted, without repeats */
struct sk_plan_region_lists {
	const char **full;      /* instances and snapshots: the regions policies select instances in */
	size_t n_full;
	const char **snapshots; /* snapshots only: regions policies only copy to (not in full) */
	size_t n_snapshots;
	const char **backups;   /* automated backups too: the regions policies replicate them to */
	size_t n_backups;
	/* Aurora: clusters and their snapshots where policies select clusters; cluster snapshots where they copy */
	const char **clusters;
	size_t n_clusters;
	const char **cluster_snapshots; /* not in clusters */
	size_t n_cluster_snapshots;
};

/*
 * The regions to observe for the policy set: with only (--region), those
 * of them alone, else every region the policies name.  With shard
 * (sk_plan_opts.shard), only names the instances' regions, and the copy
 * and replication regions of the policies there are observed wherever
 * they are.  The names point into the set.  Free the lists with
 * sk_plan_region_lists_free().
 */
int sk_plan_regions(struct sk_plan_region_lists *out, const struct sk_policyset *policies, const char *const *only,
		    size_t n_only, bool shard);
void sk_plan_region_lists_free(struct sk_plan_region_lists *l);

#endif
