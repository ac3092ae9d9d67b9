/*
 * lifecycle_copies.h - cross-region copies of a policy's snapshots
 *
 * Per copy region of one (policy, instance): copy the sources the region's
 * rules keep, newest first within its quota (apply keeps at most
 * copiesInFlight in progress there), and delete the copies the rules let
 * go.  A copy region in --region whose source region is not: its copies
 * are kept or deleted by their rules, and none is made.  A copy region
 * outside --region: nothing is planned there, and the sources a copy there
 * may still need are kept.  Private to the planner: lifecycle.c calls it.
 */
#ifndef SK_LIFECYCLE_COPIES_H
#define SK_LIFECYCLE_COPIES_H

#include <stddef.h>

#include "reconciler/planner/context.h"
#include "reconciler/planner/lifecycle_group.h"

struct sk_lc_index;
struct sk_policy;
struct sk_policy_copy;
struct sk_lc_outside;

struct sk_lc_copies {
	const struct sk_lc_index *index; /* the inventory's copies by source */
	int *budget;                     /* deletions left per policy (the set's order) */
	struct sk_lc_group dst;          /* the copies of one (policy, instance) in one region */
	/* copies not planned because their region is not in --region: per (policy, region), for one note each */
	struct sk_lc_outside *outside;
	size_t n_outside, cap_outside;
};

/* one (policy, instance) whose snapshots are copied */
struct sk_lc_source {
	const struct sk_policy *policy;
	const struct sk_inv_instance *in;
	struct sk_lc_group *snapshots;     /* its own, planned ones included, after the rules and the safety */
	const struct sk_inv_snapshot *bad; /* a failed/unknown snapshot of the instance (no deletions), or NULL */
	size_t instance;                   /* its summary: d->plan->instances[instance] */
};

/*
 * A source whose copy is still on its way (creating) is kept: the sources
 * in g, snapshots of the instance in region.
 */
void sk_lc_copies_hold_pending(const struct sk_lc_copies *cs, struct sk_diff *d, const char *region,
			       struct sk_lc_group *g);
/*
 * A copy region of the policy outside --region: nothing there is observed,
 * so a copy of any of the instance's snapshots may still be in progress
 * there, and deleting its source could make it fail.  The snapshots in g
 * the rules let go are kept (copy-pending) until a run that includes it.
 */
int sk_lc_copies_hold_outside(struct sk_lc_copies *cs, struct sk_diff *d, const struct sk_policy *p,
			      const struct sk_inv_instance *in, struct sk_lc_group *g);
/* the copies of src in its policy's copy region c, the plan's place (1 + c's index) of the instance's summary */
int sk_lc_copies_plan(struct sk_lc_copies *cs, struct sk_diff *d, const struct sk_lc_source *src,
		      const struct sk_policy_copy *c, size_t place);
/*
 * The copies in a region in --region whose source region is not: kept or
 * deleted by their copy rules; no new copy is made (a note says why).
 */
int sk_lc_copies_only(struct sk_lc_copies *cs, struct sk_diff *d);
/* the notes that sum up the copies: the ones that run in turn, the ones --region leaves out */
void sk_lc_copies_notes(const struct sk_lc_copies *cs, struct sk_diff *d);
void sk_lc_copies_free(struct sk_lc_copies *cs);

#endif
