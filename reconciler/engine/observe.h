/*
 * observe.h - read the live inventory from AWS, with list calls only
 *
 * Per region: DescribeDBInstances and DescribeDBSnapshots pages (tags come
 * in TagList); DescribeDBSnapshots pages alone in the regions policies only
 * copy to; and DescribeDBInstanceAutomatedBackups pages only in the regions
 * where some policy replicates automated backups to.  Aurora only where a
 * policy selects clusters: DescribeDBClusters and DescribeDBClusterSnapshots
 * pages in its regions, DescribeDBClusterSnapshots pages in its copy regions;
 * a region no cluster policy names gets no cluster call.  Never a call per
 * instance or per snapshot.  Regions are observed in parallel, at most
 * max_parallel at a time.
 */
#ifndef SK_OBSERVE_H
#define SK_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/client.h"
#include "reconciler/engine/parallel.h"
#include "reconciler/planner/inventory.h"

struct sk_plan_region_lists;

struct sk_observe_opts {
	/*
	 * the regions and what to observe in each: full (instances and
	 * snapshots), snapshots only, automated backups too, Aurora clusters
	 * and their snapshots, cluster snapshots only (sk_plan_regions)
	 */
	const struct sk_plan_region_lists *regions;
	bool skip_snapshots; /* instances only */
	int64_t now;         /* observedAt */
	int max_parallel;    /* regions observed at once; 0: SK_OBSERVE_PARALLEL */
	struct sk_slots *slots; /* a bound shared with other observations (several accounts), or NULL */
};

#define SK_OBSERVE_PARALLEL 8

#define SK_OBSERVE_OPTS_INIT \
	{ .regions = NULL, .skip_snapshots = false, .now = 0, .max_parallel = 0, .slots = NULL }

struct sk_observe_stats {
	size_t calls;
	double seconds;
};

int sk_observe(struct sk_inventory **out, struct sk_aws_client *c, const struct sk_observe_opts *o,
	       struct sk_observe_stats *stats);

#endif
