/*
 * cmd_guardrails.c - a plan made under the deployment's guardrails: the
 * deletions earlier runs made (for deletion budgets) and the last applied
 * commit (for what the repository dropped since) come from the state
 * directory's state file, read without the lock (a plan changes nothing);
 * and apply's --allow-destructive
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "state/backend.h"
#include "common/error.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/engine/budget.h"
#include "reconciler/engine/previous.h"
#include "reconciler/planner/diff.h"
#include "reconciler/planner/plan.h"
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

/* the state, from the directory or the backend the options name (nothing is written) */
static int load_state(struct sk_state **st, char **dir, const struct sk_cli *cli)
{
	struct sk_backend *b = NULL;
	int rc;

	if (!cli->state_backend)
		return sk_statedir_resolve(dir, cli->state_dir) < 0 || sk_state_load(st, *dir) < 0 ? -1 : 0;
	rc = sk_cli_open_backend(&b, cli, false) < 0 || sk_backend_state_load(st, b, NULL) < 0 ? -1 : 0;
	sk_backend_close(b);
	return rc;
}

int sk_cli_plan_guarded(struct sk_cli *cli, const struct sk_policyset *set, const struct sk_inventory *inv,
			struct sk_accounts *accounts, struct sk_plan_opts *po, struct sk_plan **out)
{
	struct sk_plan_deletion *dels = NULL;
	struct sk_policyset *prev = NULL;
	struct sk_state *st = NULL;
	struct sk_load_opts lo;
	char *dir = NULL;
	int rc = -1;

	po->guardrails = cli->guardrails;
	if (has_budget(cli->guardrails)) {
		/* a budget needs what was deleted: no state, no plan */
		if (load_state(&st, &dir, cli) < 0 ||
		    sk_budget_deletions(&dels, &po->n_deletions, st) < 0)
			goto done;
		po->deletions = dels;
	} else if (!cli->inventory && load_state(&st, &dir, cli) < 0) {
		/* the last applied commit only names what the repository dropped: plan on without it */
		sk_error_clear();
	}
	if (st && !cli->inventory) {
		sk_cli_load_opts(cli, &lo);
		sk_previous_load(&prev, &lo, st->last_applied.commit, set);
		po->previous = prev;
	}
	rc = accounts ? sk_accounts_plan(out, accounts, set, po) : sk_plan_compute(out, set, inv, po);
done:
	free(dels);
	sk_policyset_free(prev);
	sk_state_free(st);
	free(dir);
	return rc;
}

int sk_cli_allow_destructive(struct sk_cli *cli)
{
	const char *s = cli->allow_destructive_text;
	enum sk_warning_kind k;
	char word[64];

	while (s && *s) {
		size_t n = strcspn(s, ",");
		if (n >= sizeof(word) || (memcpy(word, s, n), word[n] = '\0', sk_warning_kind_from_name(&k, word) < 0)) {
			sk_cli_usage(cli, "--allow-destructive: unknown kind '%.*s' (retention-zero, replication-off, "
					  "deletion-protection-off, delete-many, policy-removed, instance-removed)",
				     (int)(n < 64 ? n : 64), s);
			return -1;
		}
		cli->allow_destructive |= 1u << k;
		s += n + (s[n] == ',');
	}
	return 0;
}
