/*
 * budget.c - the deletions runs made, between the state file and the planner
 */
#include "reconciler/engine/budget.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "specs/guardrails.h"
#include "state/state.h"

#define KEEP_AT_LEAST (2 * 86400)

int sk_budget_deletions(struct sk_plan_deletion **out, size_t *n_out, const struct sk_state *st)
{
	size_t i;

	*out = NULL;
	*n_out = 0;
	if (!st || !st->n_deletions)
		return 0;
	if (!(*out = calloc(st->n_deletions, sizeof(**out))))
		return sk_error_set_oom();
	for (i = 0; i < st->n_deletions; i++) {
		(*out)[i].instance = st->deletions[i].instance;
		(*out)[i].at = st->deletions[i].at;
		(*out)[i].account = st->deletions[i].account[0] ? st->deletions[i].account : NULL;
	}
	*n_out = st->n_deletions;
	return 0;
}

size_t sk_budget_of_account(struct sk_plan_deletion *out, const struct sk_plan_deletion *all, size_t n,
			    const char *account)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (all[i].account && account && !strcmp(all[i].account, account))
			out[k++] = all[i];
	return k;
}

int sk_budget_record(struct sk_state *st, const struct sk_plan *p, const struct sk_apply_result *res, int64_t at,
		     const struct sk_guardrails *g)
{
	int64_t keep = g && g->longest_window > KEEP_AT_LEAST ? g->longest_window : KEEP_AT_LEAST;
	size_t i;

	for (i = 0; res && res->outcomes && i < p->n_actions && i < res->n; i++) {
		const struct sk_action *a = &p->actions[i];
		if (a->kind == SK_ACTION_DELETE && (res->outcomes[i] == SK_OUTCOME_DONE || res->outcomes[i] == SK_OUTCOME_ALREADY) &&
		    sk_state_add_deletion(st, a->account, a->region, a->instance, a->target, at) < 0)
			return -1;
	}
	sk_state_forget_deletions(st, at - keep);
	return 0;
}
