/*
 * lifecycle.h - scheduled snapshots, their cross-region copies and their
 * retention, for one (policy, instance) at a time.  Private to the planner:
 * diff.c calls it while it builds a plan.
 */
#ifndef SK_LIFECYCLE_H
#define SK_LIFECYCLE_H

#include "reconciler/planner/context.h"

int sk_lifecycle_begin(struct sk_diff *d);
int sk_lifecycle_instance(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in);
/* a policy without snapshots: the summary of what keeps the instance restorable, its automated snapshots */
int sk_lifecycle_automated(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in);
/* after every instance: the notes that sum up regions (quota refusals) */
void sk_lifecycle_finish(struct sk_diff *d);
void sk_lifecycle_end(struct sk_diff *d);

#endif
