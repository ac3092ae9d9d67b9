/*
 * lifecycle.h - scheduled snapshots, their cross-region copies and their
 * retention, for one (policy, instance) at a time.  Private to the planner:
 * diff.c calls it while it builds a plan.  Its parts: lifecycle_group.h
 * (the rules and safety over a group of snapshots), lifecycle_copies.h
 * (the copies), lifecycle_index.h (which copies came from which source).
 */
#ifndef SK_LIFECYCLE_H
#define SK_LIFECYCLE_H

#include "reconciler/planner/context.h"

int sk_lifecycle_begin(struct sk_diff *d);
int sk_lifecycle_instance(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in);
/* a policy without snapshots: the summary of what keeps the instance restorable, its automated snapshots */
int sk_lifecycle_automated(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in);
/*
 * The copies in a region in --region whose source region is not: kept or
 * deleted by their copy rules; no new copy is made (a note says why).
 */
int sk_lifecycle_copies_only(struct sk_diff *d);
/* after every instance: the notes that sum up regions (quota refusals, copies in turn, copies outside --region) */
void sk_lifecycle_finish(struct sk_diff *d);
void sk_lifecycle_end(struct sk_diff *d);

#endif
