/*
 * policy_snapshots.h - spec.snapshots of a BackupPolicy: schedule, prefix,
 * tags, retention rules and cross-region copies
 *
 * Private to the policy parser (policy_spec.c calls it).
 */
#ifndef SK_POLICY_SNAPSHOTS_H
#define SK_POLICY_SNAPSHOTS_H

#include "specs/policy_parse.h"

/*
 * Fills pol's snapshot settings from n, the value of key "snapshots";
 * pol's regions must be read already (copies must go elsewhere).  {} means
 * "not managed yet": has_snapshots stays false.
 */
void sk_policy_snapshots_parse(struct sk_pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			       struct sk_policy *pol);

#endif
