/*
 * guard.h - apply's last check before each call: is this action one the
 * plan's policies and the live state allow, whoever made the plan?
 *
 * Plans come from the planner, from a saved file made again, or from a
 * library caller; none is trusted.  Against the inventory the plan was made
 * from and the policies at its commit:
 *
 *   delete   the snapshot is in the inventory in that region, a manual
 *            snapshot the action's policy owns as the action's instance's
 *            (planner/ownership.h), and not the newest available one the
 *            policy owns of it there (copies and snapshots apart)
 *   modify, start-replication, stop-replication, create
 *            the instance exists and the named policy selects it
 *            (specs/policy.h sk_policy_selects); a replication's source ARN
 *            is the instance's
 *   copy     the same of its source instance, and its source is the
 *            policy's: an owned snapshot in the inventory, or the one this
 *            plan creates first, with the ARN the call will copy
 *   create, copy: the tags put on name the policy and the instance
 *
 * The action's policy must exist and must not be suspended (spec.suspend).  Without an inventory or policies
 * nothing can be checked, and every action is refused.
 *
 * With the deployment's guardrails (specs/guardrails.h), the action must
 * also pass those that need only it and the live state
 * (planner/guardrails.h sk_guardrails_check): the planner already left
 * out what they refuse, so this refuses only a plan made without them.
 */
#ifndef SK_GUARD_H
#define SK_GUARD_H

#include "reconciler/planner/plan.h"

struct sk_guardrails;
struct sk_inventory;
struct sk_policyset;

/*
 * 0, or SK_ERROR with class SK_ERR_SAFETY and one line naming the action,
 * the policy and what is wrong: "refused delete of snapshot 'x' in
 * us-east-1: it is not owned by policy 'orders' for instance 'db-a': it
 * carries no snapkeep:policy tag; no call was made".  Thread-safe.
 */
int sk_guard_action(const struct sk_plan *plan, const struct sk_action *a, const struct sk_inventory *inv,
		    const struct sk_policyset *set, const struct sk_guardrails *guardrails);

#endif
