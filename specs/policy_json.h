/*
 * policy_json.h - a policy set as JSON, for tools and tests
 *
 * What tests/tools/sk-policy prints and the policy tests and fuzz target
 * compare: the policy format's names, defaults filled in, unset automated
 * settings left out (the reconciler leaves them alone), with the set's
 * diagnostics.  `validate --output json` makes its own report
 * (cli/cmd_validate.c).
 */
#ifndef SK_POLICY_JSON_H
#define SK_POLICY_JSON_H

#include "common/buf.h"

struct sk_policyset;

/* flags: SK_POLICY_JSON_PRETTY indents.  Keys are sorted, so the text is stable. */
#define SK_POLICY_JSON_PRETTY 1u
int sk_policyset_format_json(struct sk_buf *out, const struct sk_policyset *set, unsigned flags);

#endif
