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

struct sk_observe_opts {
	const char *const *regions; /* observed fully */
	size_t n_regions;
	const char *const *snapshot_regions; /* only their snapshots (the inventory knows nothing of their instances) */
	size_t n_snapshot_regions;
	const char *const *backup_regions; /* also DescribeDBInstanceAutomatedBackups */
	size_t n_backup_regions;
	/* Aurora: also DescribeDBClusters + DescribeDBClusterSnapshots; DescribeDBClusterSnapshots alone */
	const char *const *cluster_regions;
	size_t n_cluster_regions;
	const char *const *cluster_snapshot_regions;
	size_t n_cluster_snapshot_regions;
	bool skip_snapshots; /* instances only */
	int64_t now;         /* observedAt */
	int max_parallel;    /* regions observed at once; 0: SK_OBSERVE_PARALLEL */
	struct sk_slots *slots; /* a bound shared with other observations (several accounts), or NULL */
};

#define SK_OBSERVE_PARALLEL 8

#define SK_OBSERVE_OPTS_INIT                                                                          \
	{ .regions = NULL, .n_regions = 0, .snapshot_regions = NULL, .n_snapshot_regions = 0, .backup_regions = NULL, \
	  .n_backup_regions = 0, .cluster_regions = NULL, .n_cluster_regions = 0, .cluster_snapshot_regions = NULL,   \
	  .n_cluster_snapshot_regions = 0, .skip_snapshots = false, .now = 0, .max_parallel = 0, .slots = NULL }

struct sk_observe_stats {
	size_t calls;
	double seconds;
};

int sk_observe(struct sk_inventory **out, struct sk_aws_client *c, const struct sk_observe_opts *o,
	       struct sk_observe_stats *stats);

#endif
