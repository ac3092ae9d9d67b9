/*
 * guardrails.h - the deployment's guardrails (specs/guardrails.h) held
 * against a plan's actions
 *
 * Every rule whose selector matches an action's instance applies to it:
 *
 *   modify             minRetentionDays: backup_retention_period is not
 *                      lowered below the floor; requireDeletionProtection:
 *                      deletion protection is not turned off
 *   stop-replication   requireReplication: not stopped, unless the plan
 *                      starts replication of the instance again
 *   delete             minRetention: the snapshot is at least that old;
 *                      minSnapshots / minCopies: at least that many owned
 *                      snapshots stay in the instance's region / in each
 *                      copy region; deletionBudget: the instance's
 *                      deletions in the window (earlier runs' from the
 *                      state file, opts.deletions, and this plan's) stay
 *                      within count, or within percent of the owned
 *                      snapshots at the window's start (those owned now
 *                      plus those deleted in the window), rounded up
 *
 * A refused action leaves the plan's actions for p->refused, with the
 * guardrail named; a refused deletion's snapshot is kept (SK_KEEP_GUARDRAIL).
 */
#ifndef SK_PLAN_GUARDRAILS_H
#define SK_PLAN_GUARDRAILS_H

#include <stddef.h>
#include <stdint.h>

#include "reconciler/planner/plan.h"

struct sk_diff;
struct sk_guardrails;

/* sk_plan_compute's last step: moves what the guardrails refuse to p->refused.  0, or SK_ERROR (allocation) */
int sk_guardrails_enforce(struct sk_diff *d);

/*
 * The guardrails that need only the action, the plan and the live state
 * (every one but minSnapshots, minCopies and deletionBudget): 1 when one
 * refuses a, with why ("guardrail minRetention (g.yaml:7:5): ..."), else 0.
 * apply's guard (engine/guard.c) calls it before each call.
 */
int sk_guardrails_check(char *why, size_t len, const struct sk_guardrails *g, const struct sk_plan *p,
			const struct sk_action *a, const struct sk_inventory *inv, int64_t now);

#endif
