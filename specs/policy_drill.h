/*
 * policy_drill.h - spec.drill of a BackupPolicy: when to restore a backup
 * into a throw-away instance, how to connect to it and which queries must
 * answer what
 *
 * Private to the policy parser (policy_spec.c calls it).
 */
#ifndef SK_POLICY_DRILL_H
#define SK_POLICY_DRILL_H

#include "specs/policy_parse.h"

/* fills pol->drill from n, the value of key "drill"; has_drill set when it is a mapping */
void sk_policy_drill_parse(struct sk_pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			   struct sk_policy *pol);

/* "1d2h30m15s" (d h m s, each at most once, in that order; m is minutes): seconds, or -1 */
int64_t sk_policy_drill_duration(const char *s);

#endif
