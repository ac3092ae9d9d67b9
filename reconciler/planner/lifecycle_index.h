/*
 * lifecycle_index.h - which copies came from which source
 *
 * A copy names its source by ARN (tag snapkeep:source, else its
 * SourceDBSnapshotIdentifier), "arn:aws:rds:REGION:ACCOUNT:snapshot:ID";
 * copies are matched to sources by (REGION, ID), so a source read without
 * its ARN (a hand-written inventory) still finds its copies.  The index
 * holds every copy of the inventory by its source, and counts the copies
 * on their way into each region (sk_diff_region's copies_inflight,
 * arriving).  Private to the planner: the lifecycle reads it.
 */
#ifndef SK_LIFECYCLE_INDEX_H
#define SK_LIFECYCLE_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "reconciler/planner/context.h"

struct sk_lc_index {
	size_t *slots; /* open addressing over snapshot indexes, by source */
	size_t n_slots;
	size_t *next;  /* next copy of the same source, per snapshot index; SIZE_MAX ends */
};

/* the ARN of the snapshot a copy came from, or NULL when it is no copy */
const char *sk_lc_copy_source(const struct sk_inv_snapshot *s);
/* the region a copy came from is region: its SourceRegion, else its source's ARN says so */
bool sk_lc_copy_from_region(const struct sk_inv_snapshot *s, const char *region);

/*
 * Counts the copies on their way into each region of d's inventory (not
 * available yet) and lists their identifiers in the plan's arena; then
 * indexes the inventory's copies by source.  Free with sk_lc_index_free().
 */
int sk_lc_index_build(struct sk_lc_index *ix, struct sk_diff *d);
void sk_lc_index_free(struct sk_lc_index *ix);
/* the first copy (snapshot index) of the source (region, id), then ix->next[]; SIZE_MAX: none */
size_t sk_lc_index_first(const struct sk_lc_index *ix, const struct sk_inventory *inv, const char *region,
			 const char *id);

#endif
