/*
 * policy_verify.h - spec.verify of a BackupPolicy: what `snapkeep verify`
 * holds the backups to (RPOs, the point-in-time window's tolerance, the
 * expected KMS keys per region, how old the last restore drill may be)
 *
 * Private to the policy parser (policy_spec.c calls it).  What is left out
 * stays 0 / -1 and is derived from the schedule by the planner
 * (reconciler/planner/verify.h).
 */
#ifndef SK_POLICY_VERIFY_H
#define SK_POLICY_VERIFY_H

#include "specs/policy_parse.h"

/*
 * Fills pol->verify from n, the value of key "verify"; pol's regions and
 * snapshots (its copy regions) must be read already.
 */
void sk_policy_verify_parse(struct sk_pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			    struct sk_policy *pol);

#endif
