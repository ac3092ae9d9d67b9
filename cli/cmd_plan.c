/*
 * cmd_plan.c - snapkeep plan: what apply would do
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "aws/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "state/backend.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/engine/load.h"
#include "reconciler/engine/observe.h"
#include "reconciler/engine/saved.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/render.h"
#include "reconciler/engine/session.h"
#include "specs/policy.h"
#include "state/backend.h"
#include "state/lock.h"
#include "state/planfile.h"
#include "state/statedir.h"

/* the process's peak resident memory so far, for --debug's phase figures */
static long peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

/*
 * An apply or run holding the state directory may change what is live while
 * this plan observes it: say so, and plan all the same
 */
static void note_held_lock(const struct sk_cli *cli)
{
	struct sk_lock_holder h;
	struct sk_backend *b = NULL;
	char *dir = NULL, who[768];

	if (!cli->state_backend) {
		if (sk_statedir_resolve(&dir, cli->state_dir) == 0 && sk_lock_peek(&h, dir) == 1) {
			sk_lock_holder_describe(who, sizeof(who), &h);
			sk_warn("%s holds the state directory '%s': this plan may change when it finishes", who, dir);
		}
	} else if (sk_cli_open_backend(&b, cli, false) == 0 && sk_backend_lock_peek(&h, b) == 1) {
		sk_lock_holder_describe(who, sizeof(who), &h);
		sk_warn("%s holds %s: this plan may change when it finishes", who, sk_backend_name(b));
	}
	sk_error_clear();
	sk_backend_close(b);
	free(dir);
}

/* plan -out FILE: the plan and how it was made, so `apply FILE` needs nothing else */
static int save_plan(struct sk_cli *cli, const struct sk_session *s, const struct sk_policyset *set,
		     const struct sk_inventory *inv, const struct sk_plan *plan)
{
	struct sk_aws_config_opts co = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;
	struct sk_planfile_origin origin;
	struct sk_saved_how how;
	struct sk_load_opts lo;
	json_t *j = NULL;
	int rc = -1;

	memset(&origin, 0, sizeof(origin));
	sk_cli_saved_how(cli, &how, &lo, s->config);
	if (!how.aws) {
		/* an offline plan (--inventory) records the endpoint and profile apply will use */
		co.profile = cli->profile;
		co.endpoint_url = cli->endpoint;
		co.region = cli->n_regions ? cli->regions[0] : NULL;
		if (sk_aws_config_load(&cfg, &co) < 0)
			goto done;
		how.aws = cfg;
	}
	if (sk_saved_origin(&origin, &how, set, inv, plan) < 0)
		goto done;
	if (!(j = sk_plan_to_json(plan, false))) {
		sk_error_set_oom();
		goto done;
	}
	rc = sk_planfile_write(cli->out_file, j, &origin);
	if (rc == 0 && cli->state_backend && plan->fingerprint[0]) {
		/* the database keeps the saved plans' fingerprints, for auditors (a warning when it cannot) */
		struct sk_backend *b = NULL;
		if (sk_cli_open_backend(&b, cli, true) < 0 || sk_backend_plan_record(b, plan->fingerprint, plan->commit) < 0)
			sk_warn("the saved plan's fingerprint was not recorded: %s", sk_error_message());
		sk_error_clear();
		sk_backend_close(b);
	}
done:
	json_decref(j);
	sk_planfile_origin_free(&origin);
	sk_aws_config_free(cfg);
	return rc;
}

/* the hint is true from anywhere: a relative path is named absolutely too */
static void print_saved(const char *file)
{
	char abs[PATH_MAX];

	printf("\nSaved the plan to %s. To apply exactly these actions: snapkeep apply %s\n", file, file);
	if (file[0] != '/' && realpath(file, abs))
		printf("(%s is relative to this directory; from anywhere: snapkeep apply %s)\n", file, abs);
}

/* -out FILE's saved plan (without -out, none), then the plan and the hint: SK_EXIT_OK, or a failure's exit code */
static int save_and_print(struct sk_cli *cli, const struct sk_session *s, const struct sk_policyset *set,
			  const struct sk_inventory *inv, const struct sk_plan *plan)
{
	if (cli->out_file && save_plan(cli, s, set, inv, plan) < 0)
		return sk_cli_fail();
	if (sk_cli_print_plan(cli, plan, stdout) < 0 && sk_cli_stdout_status() != SK_CLI_STDOUT_CLOSED)
		return sk_cli_fail();
	if (cli->out_file && !cli->json)
		print_saved(cli->out_file);
	return SK_EXIT_OK;
}

/* 0, or with --detailed-exitcode 3 when a guardrail refused an action, 2 when there are changes */
static int exit_code(const struct sk_cli *cli, const struct sk_plan *plan)
{
	return !cli->detailed_exitcode ? SK_EXIT_OK
	       : plan->n_refused      ? SK_EXIT_REFUSED
	       : sk_plan_has_changes(plan) ? SK_EXIT_CHANGES
					   : SK_EXIT_OK;
}

/*
 * Several accounts (Settings' accounts): each observed with its role, all
 * in one plan; the accounts not observed are named, and exit 4 says so.
 * A saved plan covers every account it plans: with one not observed it is
 * not written (exit 1).  An inventory file speaks for one account only.
 */
static int plan_accounts(struct sk_cli *cli, const struct sk_policyset *set)
{
	struct sk_accounts accts;
	struct sk_plan *plan = NULL;
	struct sk_session s;
	int rc = SK_EXIT_ERROR;

	memset(&s, 0, sizeof(s));
	memset(&accts, 0, sizeof(accts));
	if (cli->inventory)
		return sk_cli_usage(cli, "--inventory: an inventory file is one account's; the policies list several "
					 "(Settings' accounts)");
	if (sk_cli_plan_accounts(cli, &s, &accts, set, cli->out_file != NULL, &plan) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	if (cli->out_file && plan->n_unobserved) {
		sk_cli_error("saved plan '%s' not written: account %s was not observed (%s), and a saved plan covers "
			     "every account it plans; make it once each account can be observed, or narrow it with "
			     "--account",
			     cli->out_file, plan->unobserved[0].account, plan->unobserved[0].error);
		goto done;
	}
	if ((rc = save_and_print(cli, &s, set, NULL, plan)) != SK_EXIT_OK)
		goto done;
	if (plan->n_unobserved)
		rc = sk_cli_unobserved(plan->n_unobserved, accts.n, plan->unobserved[0].account, plan->unobserved[0].error,
				       "plan");
	else
		rc = exit_code(cli, plan);
done:
	sk_plan_free(plan);
	sk_accounts_close(&accts);
	sk_session_close(&s);
	return rc;
}

int cmd_plan(struct sk_cli *cli)
{
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_plan *plan = NULL;
	struct sk_session s;
	int64_t t0, t1;
	long rss1;
	int rc = SK_EXIT_ERROR;

	if (cli->argc)
		return sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
	if (!cli->inventory)
		note_held_lock(cli);
	t0 = sk_time_mono_ms();
	memset(&s, 0, sizeof(s));
	if (sk_cli_load_policies(cli, &set, false) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	if (set->settings.n_accounts) {
		rc = plan_accounts(cli, set);
		goto done;
	}
	if (cli->n_accounts) {
		rc = sk_cli_usage(cli, "--account '%s': Settings lists no accounts (the plan is the caller's own "
				       "account)", cli->accounts[0]);
		goto done;
	}
	if ((!cli->inventory && sk_cli_open_session(cli, &s) < 0) || sk_cli_observe(cli, &s, set, &inv, NULL) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	t1 = sk_time_mono_ms();
	rss1 = peak_rss_kib();
	if (sk_cli_compute_plan(cli, set, inv, cli->out_file != NULL, &plan) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	sk_debug("%s %zu instances and %zu snapshots in %.3f s (peak RSS %ld MiB); planned in %.3f s (%zu actions, "
		 "%zu decisions; peak RSS %ld MiB)",
		 cli->inventory ? "read" : "observed", inv->n_instances, inv->n_snapshots, (double)(t1 - t0) / 1000.0,
		 rss1 / 1024, (double)(sk_time_mono_ms() - t1) / 1000.0, plan->n_actions, plan->n_decisions,
		 peak_rss_kib() / 1024);
	if ((rc = save_and_print(cli, &s, set, inv, plan)) == SK_EXIT_OK)
		rc = exit_code(cli, plan);
done:
	sk_plan_free(plan);
	sk_inventory_free(inv);
	sk_policyset_free(set);
	sk_session_close(&s);
	return rc;
}
