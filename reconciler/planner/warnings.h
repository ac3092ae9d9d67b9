/*
 * warnings.h - loud plans: the dangerous changes in a plan, each a warning
 * that apply wants allowed by kind (--allow-destructive=KIND)
 *
 *   retention-zero           a modify setting backup_retention_period to 0
 *                            (AWS deletes the automated backups and the
 *                            point-in-time window)
 *   replication-off          a stop-replication the plan does not follow
 *                            with a start for the instance
 *   deletion-protection-off  a modify turning deletion protection off
 *   delete-many              a (policy, instance, region) whose retention
 *                            rules changed since the last applied commit
 *                            losing more than SK_WARN_DELETE_PERCENT of its
 *                            owned snapshots, and more than
 *                            SK_WARN_DELETE_MIN of them (a day's rotation
 *                            is never loud)
 *   policy-removed           a policy of the last applied commit
 *                            (opts.previous) is not in this one: its
 *                            snapshots are orphaned, not deleted
 *   instance-removed         an instance a policy selected at the last
 *                            applied commit that it selects no more (the
 *                            policy still there): the same
 *
 * Pure: computed from the plan's actions, the inventory and the two policy
 * sets, after the guardrails (what they refused is not warned about).
 */
#ifndef SK_PLAN_WARNINGS_H
#define SK_PLAN_WARNINGS_H

#define SK_WARN_DELETE_PERCENT 25
#define SK_WARN_DELETE_MIN 2

struct sk_diff;

/* sk_plan_compute's step after the guardrails: fills p->warnings.  0, or SK_ERROR (allocation) */
int sk_warnings_compute(struct sk_diff *d);

#endif
