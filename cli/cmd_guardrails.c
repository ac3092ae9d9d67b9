/*
 * cmd_guardrails.c - a plan made under the deployment's guardrails: the
 * deletions earlier runs made (for deletion budgets) come from the state
 * directory's state file, read without the lock (a plan changes nothing)
 */
#include <stdlib.h>

#include "cli/cli.h"
#include "common/error.h"
#include "reconciler/engine/budget.h"
#include "reconciler/planner/diff.h"
#include "specs/guardrails.h"
#include "state/state.h"
#include "state/statedir.h"

static bool has_budget(const struct sk_guardrails *g)
{
	size_t i;

	for (i = 0; g && i < g->n_rules; i++)
		if (g->rules[i].has[SK_GR_DELETION_BUDGET])
			return true;
	return false;
}

int sk_cli_plan_guarded(struct sk_cli *cli, const struct sk_policyset *set, const struct sk_inventory *inv,
			struct sk_plan_opts *po, struct sk_plan **out)
{
	struct sk_plan_deletion *dels = NULL;
	struct sk_state *st = NULL;
	char *dir = NULL;
	int rc = -1;

	po->guardrails = cli->guardrails;
	if (has_budget(cli->guardrails)) {
		if (sk_statedir_resolve(&dir, cli->state_dir) < 0 || sk_state_load(&st, dir) < 0 ||
		    sk_budget_deletions(&dels, &po->n_deletions, st) < 0)
			goto done;
		po->deletions = dels;
	}
	rc = sk_plan_compute(out, set, inv, po);
done:
	free(dels);
	sk_state_free(st);
	free(dir);
	return rc;
}
