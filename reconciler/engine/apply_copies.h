/*
 * apply_copies.h - what apply waits for: the creates its copies need, and
 * the copies, at most the plan's copies_at_once in progress per region
 *
 * Private to the engine: apply.c calls these between its creates and its
 * deletes.
 */
#ifndef SK_APPLY_COPIES_H
#define SK_APPLY_COPIES_H

struct sk_apply_run;

/* copies whose source this plan creates wait for that create; without --wait they are deferred */
void sk_apply_settle_copies_of_creates(struct sk_apply_run *r);
/*
 * Waits for the snapshots this plan created and its copies depend on;
 * copies of the ones that did not become available are deferred (or
 * skipped, when their source failed).
 */
void sk_apply_wait_for_creates(struct sk_apply_run *r);
/*
 * The copies, at most the plan's copies_at_once in progress per destination
 * region, counting the ones arriving there before the run.  While apply
 * waits, the next copies start as earlier ones become available (polled
 * with filtered DescribeDBSnapshots, 100 identifiers a call) until all have
 * started or the wait times out; without waiting, or after the timeout,
 * the copies that did not fit are deferred to a later run.
 */
int sk_apply_copies(struct sk_apply_run *r);

#endif
