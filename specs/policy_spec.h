/*
 * policy_spec.h - the spec of a BackupPolicy document: what it selects and
 * the automated backups it sets
 *
 * Private to the policy parser: policy.c hands each BackupPolicy document
 * here once its kind, apiVersion and name are known.
 */
#ifndef SK_POLICY_SPEC_H
#define SK_POLICY_SPEC_H

#include "specs/policy_parse.h"

/*
 * Parses spec (NULL: missing; spec_key its key) of the document at root
 * and adds the policy to p->policies, with what could be read of it.
 * name (in the set's arena; NULL when there is none) and name_node are
 * metadata.name's.
 */
void sk_policy_spec_parse(struct sk_pctx *p, const struct sk_ynode *root, const struct sk_ynode *spec_key,
			  const struct sk_ynode *spec, char *name, const struct sk_ynode *name_node);

#endif
