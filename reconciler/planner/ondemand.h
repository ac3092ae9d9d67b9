/*
 * ondemand.h - the plan of an on-demand backup (`snapkeep backup`)
 *
 * One owned snapshot of one instance, now, for the runbook's "before the
 * migration" snapshots: named by naming.h (sk_naming_ondemand), tagged as
 * the deciding policy's (ownership.h) and, with a keep-until time, with
 * snapkeep:keep-until so that retention holds it until then and treats it
 * as any other owned snapshot after.  With copy, one copy to each of the
 * policy's copy regions, each waiting for the snapshot (depends_on).
 *
 * The policy is the one with snapshots that selects the instance (or the
 * one named, which must).  A plan like any other: apply checks each
 * action against live state and the policies (engine/guard.h) and
 * journals it.
 */
#ifndef SK_ONDEMAND_H
#define SK_ONDEMAND_H

#include <stdbool.h>
#include <stdint.h>

#include "reconciler/planner/plan.h"

struct sk_backup_request {
	const char *instance; /* required */
	const char *policy;   /* NULL: the one policy with snapshots that selects the instance */
	int64_t keep_until;   /* 0: none (an ordinary owned snapshot at once) */
	bool copy;            /* also copy it to the policy's copy regions */
};

/*
 * 0 with *out; or SK_ERROR (SK_ERR_POLICY) naming what is missing: the
 * instance in no observed region (or in several), no policy with
 * snapshots selecting it (or several, without a name), the named policy
 * not selecting it, a suspended policy, a keep-until not after now.
 */
int sk_plan_backup(struct sk_plan **out, const struct sk_policyset *set, const struct sk_inventory *inv,
		   const struct sk_backup_request *req, int64_t now);

#endif
