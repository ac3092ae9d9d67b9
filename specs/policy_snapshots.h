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

/*
 * A cron schedule (a string node): the parsed schedule in *out and its text
 * in *text; false, with a diagnostic pointing into the value, when it is
 * not one or never fires.  spec.drill's schedule is read the same way.
 */
bool sk_policy_want_schedule(struct sk_pctx *p, const struct sk_ynode *v, struct sk_cron *out, char **text);

#endif
