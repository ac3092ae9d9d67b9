/*
 * policy_check.h - checks across the documents of a policy set
 *
 * Private to the policy parser: run by policy.c once every file was read.
 * Names are unique; two policies that may select one instance in one
 * region agree on its automated settings, and their snapshot identifiers
 * cannot collide.
 */
#ifndef SK_POLICY_CHECK_H
#define SK_POLICY_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "specs/policy_parse.h"

/* every problem between two of the n policies, as diagnostics */
void sk_policy_check_set(struct sk_pctx *p, const struct sk_policy *pols, size_t n);

/*
 * Do the automated settings of a and b disagree?  why (may be NULL) says
 * how, as sk_policy_conflicts() does; *bpos (may be NULL) is set to b's
 * first disagreeing setting.
 */
bool sk_policy_check_conflicts(const struct sk_policy *a, const struct sk_policy *b, struct sk_buf *why,
			       struct sk_pos *bpos);

#endif
