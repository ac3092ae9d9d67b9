/*
 * policy_settings.h - the Settings document: quotas, price, concurrency,
 * fleet-wide alerts
 *
 * Private to the policy parser: policy.c hands each kind: Settings
 * document here.  The defaults are set when the set is made (policy.c).
 */
#ifndef SK_POLICY_SETTINGS_H
#define SK_POLICY_SETTINGS_H

#include "specs/policy_parse.h"

/*
 * Reads spec (NULL: none) of the Settings document at root into
 * p->set->settings, its per-region quotas into p->quotas; a second
 * Settings document in the set is an error.
 */
void sk_policy_settings_parse(struct sk_pctx *p, const struct sk_ynode *root, const struct sk_ynode *spec);

/* every account a policy's spec.accounts names must be one of Settings' (run once all files were read) */
void sk_policy_settings_check_accounts(struct sk_pctx *p, const struct sk_policy *pols, size_t n);

/* an account id: a quoted string of 12 digits (an unquoted one is a YAML number, said so); the copy in *out */
bool sk_pctx_want_account(struct sk_pctx *p, const struct sk_ynode *n, const char *label, char **out);

#endif
