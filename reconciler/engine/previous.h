/*
 * previous.h - the policies at the last applied commit (the state file's
 * lastApplied), for the plan's warnings about what the repository dropped
 * since (planner/warnings.h), and who allowed a destructive plan
 */
#ifndef SK_PREVIOUS_H
#define SK_PREVIOUS_H

#include <stddef.h>

#include "reconciler/engine/load.h"

struct sk_plan;
struct sk_policyset;

/*
 * The policy set at commit, read as lo reads (without fetching), or *out
 * NULL when commit is "" or current's: never an error (a commit rewritten
 * away or invalid there is warned about, and nothing is compared).
 */
void sk_previous_load(struct sk_policyset **out, const struct sk_load_opts *lo, const char *commit,
		      const struct sk_policyset *current);

/* the kinds (1u << SK_WARN_*) of p's warnings that allowed (a mask of them) does not cover */
unsigned sk_previous_unallowed(const struct sk_plan *p, unsigned allowed);

/*
 * "apply refused: the plan is destructive (retention-zero: <its first
 * message>; ...); review it, then name each kind: --allow-destructive=
 * retention-zero,replication-off; nothing was applied" (SK_ERR_SAFETY)
 */
int sk_previous_refuse(const struct sk_plan *p, unsigned unallowed);

/* who runs this: $USER, else the effective user's name, else "uid N" */
const char *sk_previous_user(char *buf, size_t len);

#endif
