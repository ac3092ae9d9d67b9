/*
 * budget.h - the deletions runs made, between the state file and the
 * planner's deletion budgets (planner/guardrails.h)
 *
 * apply records each deletion of an owned snapshot it made (done or
 * already done) in the state file with the plan's time; the next plan,
 * in this process or after a restart, reads them back, so a budget holds
 * across runs.  Records older than the longest budget window (at least
 * two days) are forgotten.
 */
#ifndef SK_BUDGET_H
#define SK_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "reconciler/engine/apply.h"
#include "reconciler/planner/plan.h"

struct sk_guardrails;
struct sk_state;

/* the state's deletions as the planner reads them (pointing into st); free *out */
int sk_budget_deletions(struct sk_plan_deletion **out, size_t *n_out, const struct sk_state *st);

/*
 * The deletions of all[0..n) made in account (Settings' accounts), copied
 * to out (room for n): the budgets of one account's plan count its own
 * deletions, never another account's instance of the same name.  Returns
 * how many.
 */
size_t sk_budget_of_account(struct sk_plan_deletion *out, const struct sk_plan_deletion *all, size_t n,
			    const char *account);

/* records the deletions apply made of plan p (res), at `at`, and forgets what no budget of g needs */
int sk_budget_record(struct sk_state *st, const struct sk_plan *p, const struct sk_apply_result *res, int64_t at,
		     const struct sk_guardrails *g);

#endif
