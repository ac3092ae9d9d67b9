/*
 * cmd_common.c - what several commands do the same way: read the policies
 * from git, open an AWS session, observe (or read an inventory file), plan,
 * print
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "state/backend.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/engine/saved.h"
#include "reconciler/engine/load.h"
#include "reconciler/engine/observe.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/diff.h"
#include "reconciler/planner/render.h"
#include "reconciler/planner/render_markdown.h"
#include "reconciler/engine/reconcile.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/inventory_json.h"
#include "specs/policy.h"
#include "specs/source.h"

int64_t sk_cli_now(const struct sk_cli *cli)
{
	return cli->now ? cli->now : sk_time_now();
}

/* a line of diagnostics; with JSON logs (run --log-format json) every line on stderr is a JSON object */
static void diag_line(FILE *f, const char *text)
{
	if (f == stderr && sk_log_is_json())
		sk_log(SK_LOG_ERROR, "%s", text);
	else
		fprintf(f, "%s\n", text);
}

void sk_cli_print_diags(const struct sk_policyset *set, FILE *f)
{
	struct sk_buf line = SK_BUF_INIT;
	size_t i;

	for (i = 0; set && i < set->n_diags && i < SK_CLI_DIAGS_SHOWN; i++) {
		sk_buf_reset(&line);
		sk_policy_diag_format(&line, &set->diags[i]);
		diag_line(f, sk_buf_cstr(&line));
	}
	if (set && set->n_diags > SK_CLI_DIAGS_SHOWN) {
		size_t more = set->n_diags - SK_CLI_DIAGS_SHOWN;
		sk_buf_reset(&line);
		sk_buf_printf(&line, "… and %zu more problem%s (snapkeep validate --output json lists every one)", more,
			      more == 1 ? "" : "s");
		diag_line(f, sk_buf_cstr(&line));
	}
	sk_buf_free(&line);
}

/* every fetch over plain http (or git://) says so, once */
static void warn_insecure_fetch(void *ud, const char *url)
{
	(void)ud;
	sk_warn("fetching policies over plain %s from %s: anyone on the path can change them; use https",
		!strncasecmp(url, "git:", 4) ? "git://" : "http", url);
}

#define UNCOMMITTED_NAMED 3

/*
 * "policies/prod.yaml has uncommitted changes; snapkeep reads commit
 * cafa02a66f39 (HEAD), not the working tree": a few files by name, then
 * how many more.
 */
void sk_cli_warn_uncommitted(void *ud, const struct sk_source *src)
{
	struct sk_buf line = SK_BUF_INIT;
	size_t n = src->n_uncommitted, i;

	(void)ud;
	if (!n)
		return;
	if (n == 1) {
		const struct sk_source_uncommitted *u = &src->uncommitted[0];

		sk_buf_printf(&line, "%s %s", u->path,
			      u->change == SK_SOURCE_UNTRACKED ? "is untracked"
			      : u->change == SK_SOURCE_DELETED ? "is deleted but not committed"
							       : "has uncommitted changes");
	} else {
		for (i = 0; i < n && i < UNCOMMITTED_NAMED; i++) {
			const struct sk_source_uncommitted *u = &src->uncommitted[i];

			sk_buf_printf(&line, "%s%s", i ? ", " : "", u->path);
			if (u->change == SK_SOURCE_UNTRACKED || u->change == SK_SOURCE_DELETED)
				sk_buf_printf(&line, " (%s)", sk_source_change_name(u->change));
		}
		if (n > UNCOMMITTED_NAMED)
			sk_buf_printf(&line, " and %zu more", n - UNCOMMITTED_NAMED);
		sk_buf_adds(&line, " have uncommitted changes");
	}
	sk_warn("%s; snapkeep reads commit %.12s (%s), not the working tree", sk_buf_cstr(&line), src->commit,
		src->ref);
	sk_buf_free(&line);
}

int sk_cli_open_backend(struct sk_backend **out, const struct sk_cli *cli, bool create)
{
	struct sk_backend_opts o = SK_BACKEND_OPTS_INIT;

	o.spec = cli->state_backend;
	o.state_dir = cli->state_dir;
	o.create = create;
	return sk_backend_open(out, &o);
}

void sk_cli_load_opts(const struct sk_cli *cli, struct sk_load_opts *o)
{
	*o = (struct sk_load_opts){
		.repo = cli->repo,
		.ref = cli->ref,
		.path = cli->path,
		.state_dir = cli->state_dir,
		.state_backend = cli->state_backend,
		.allow_insecure_git = cli->allow_insecure_git,
		.signing = { .required = cli->require_signed_commits,
			     .gpg_keyring = cli->gpg_keyring,
			     .allowed_signers = cli->allowed_signers },
		.on_insecure_fetch = warn_insecure_fetch,
		.on_source = sk_cli_warn_uncommitted,
	};
}

void sk_cli_saved_how(const struct sk_cli *cli, struct sk_saved_how *how, struct sk_load_opts *lo,
		      const struct sk_aws_config *aws)
{
	sk_cli_load_opts(cli, lo);
	*how = (struct sk_saved_how){
		.source = lo,
		.regions = cli->regions,
		.n_regions = cli->n_regions,
		.allow_mass_delete = cli->allow_mass_delete,
		.aws = aws,
		.accounts = cli->accounts,
		.n_accounts = cli->n_accounts,
	};
}

int sk_cli_load_policies(struct sk_cli *cli, struct sk_policyset **out, bool quiet)
{
	struct sk_load_opts lo;

	sk_cli_load_opts(cli, &lo);
	return sk_cli_load_policies_from(&lo, out, quiet);
}

int sk_cli_load_policies_from(const struct sk_load_opts *lo, struct sk_policyset **out, bool quiet)
{
	int rc;

	rc = sk_load_policies(out, lo);
	if (rc < 0 && !quiet) {
		/* every problem, one per line, then the summary the caller prints; nobody needs the set after that */
		sk_cli_print_diags(*out, stderr);
		sk_policyset_free(*out);
		*out = NULL;
	}
	return rc;
}

void sk_cli_session_opts(const struct sk_cli *cli, struct sk_session_opts *so)
{
	*so = (struct sk_session_opts){
		.profile = cli->profile,
		.region = cli->n_regions ? cli->regions[0] : NULL,
		.endpoint = cli->endpoint,
		.connect_timeout_ms = cli->connect_timeout_ms,
		.call_timeout_ms = cli->call_timeout_ms,
		.cancel = &sk_cli_interrupted,
	};
}

int sk_cli_open_session(struct sk_cli *cli, struct sk_session *s)
{
	struct sk_session_opts so;

	sk_cli_session_opts(cli, &so);
	return sk_session_open(s, &so);
}

/* --inventory FILE ("-": standard input); the planner reads the stream it is given */
static int read_inventory(struct sk_inventory **out, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	int rc;

	*out = NULL;
	if (!f)
		return sk_error_set_errno(SK_ERR_OS, "cannot open inventory '%s'", path);
	rc = sk_inventory_read_stream(out, f, path);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* --region and --now; "Observing N regions..." on a terminal, unless stderr takes JSON */
static void observe_opts(struct sk_load_observe_opts *oo, const struct sk_cli *cli)
{
	*oo = (struct sk_load_observe_opts){
		.regions = cli->regions,
		.n_regions = cli->n_regions,
		.now = sk_cli_now(cli),
		.progress = isatty(STDERR_FILENO) && !cli->json && !sk_log_is_json() ? stderr : NULL,
	};
}

int sk_cli_observe(struct sk_cli *cli, struct sk_session *s, const struct sk_policyset *set,
		   struct sk_inventory **out, struct sk_observe_stats *stats)
{
	struct sk_load_observe_opts oo;
	int rc;

	*out = NULL;
	if (cli->inventory) {
		rc = read_inventory(out, cli->inventory);
		if (rc < 0)
			sk_error_prefix("--inventory");
		return rc;
	}
	/* one inventory is one account's: the caller's own would be read for every account the policies name */
	if (set->settings.n_accounts)
		return sk_error_set(SK_ERR_INVALID, "%s over several accounts (Settings' accounts) is not supported: it "
						    "observes one account; `plan` and `apply` cover them all",
				    cli->command);
	observe_opts(&oo, cli);
	return sk_load_observe(out, s->client, set, &oo, stats);
}

int sk_cli_load_and_observe(struct sk_cli *cli, struct sk_session *s, struct sk_policyset **set,
			    struct sk_inventory **inv)
{
	memset(s, 0, sizeof(*s));
	*inv = NULL;
	if (sk_cli_load_policies(cli, set, false) < 0)
		return -1;
	if (!cli->inventory && sk_cli_open_session(cli, s) < 0)
		return -1;
	return sk_cli_observe(cli, s, *set, inv, NULL);
}

/* --now, --region and --allow-mass-delete */
static void plan_opts(struct sk_plan_opts *po, const struct sk_cli *cli)
{
	*po = (struct sk_plan_opts){
		.now = sk_cli_now(cli),
		.regions = cli->regions,
		.n_regions = cli->n_regions,
		.allow_mass_delete = cli->allow_mass_delete,
	};
}

int sk_cli_compute_plan(struct sk_cli *cli, const struct sk_policyset *set, const struct sk_inventory *inv,
			bool basis, struct sk_plan **out)
{
	struct sk_plan_opts po;

	plan_opts(&po, cli);
	po.basis = basis;
	return sk_cli_plan_guarded(cli, set, inv, NULL, &po, out);
}

int sk_cli_observe_accounts(struct sk_cli *cli, struct sk_session *s, struct sk_accounts *accts,
			    const struct sk_policyset *set)
{
	struct sk_load_observe_opts oo;

	observe_opts(&oo, cli);
	if (sk_cli_open_session(cli, s) < 0 || sk_accounts_open(accts, s, set, cli->accounts, cli->n_accounts) < 0)
		return -1;
	return sk_accounts_observe(accts, &oo, set->settings.parallel);
}

int sk_cli_plan_accounts(struct sk_cli *cli, struct sk_session *s, struct sk_accounts *accts,
			 const struct sk_policyset *set, bool basis, struct sk_plan **out)
{
	struct sk_plan_opts po;

	plan_opts(&po, cli);
	po.basis = basis;
	if (sk_cli_observe_accounts(cli, s, accts, set) < 0)
		return -1;
	return sk_cli_plan_guarded(cli, set, NULL, accts, &po, out);
}

int sk_cli_unobserved(size_t n, size_t n_accounts, const char *account, const char *error, const char *where)
{
	sk_cli_error("%zu of %zu account%s not observed: %s (%s)%s%s%s", n, n_accounts, n_accounts == 1 ? "" : "s",
		     account, error, n > 1 ? "; see the " : "", n > 1 ? where : "", n > 1 ? " for the others" : "");
	return SK_EXIT_PARTIAL;
}

int sk_cli_print_json(json_t *j, FILE *f)
{
	char *text;

	if (!j)
		return sk_error_set_oom();
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return sk_error_set_oom();
	fprintf(f, "%s\n", text);
	free(text);
	return 0;
}

int sk_cli_print_plan(struct sk_cli *cli, const struct sk_plan *p, FILE *f)
{
	struct sk_render_opts ro;

	if (cli->json)
		return sk_plan_write_json(p, f, true);
	if (cli->output && !strcmp(cli->output, "markdown"))
		return sk_plan_render_markdown(p, f);
	memset(&ro, 0, sizeof(ro));
	ro.color = sk_cli_use_color(cli, f);
	ro.verbose = cli->verbose;
	sk_plan_render_text(p, f, &ro);
	return 0;
}

/* ---- what apply and run show of a reconciliation ---- */

/* asks on the terminal; true only for "yes" */
static bool confirmed(FILE *out)
{
	char answer[32];

	fprintf(out, "\nDo you want to perform these actions?\n"
		     "  snapkeep will perform the actions described above.\n"
		     "  Only 'yes' will be accepted to approve.\n\n"
		     "  Enter a value: ");
	fflush(out);
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	answer[strcspn(answer, "\r\n")] = '\0';
	return !strcmp(answer, "yes");
}

static void show_diags(void *ud, const struct sk_policyset *set)
{
	struct sk_cli_printer *p = ud;

	if (!p->cli->json)
		sk_cli_print_diags(set, stderr);
}

static void show_plan(void *ud, const struct sk_policyset *set, const struct sk_inventory *inv,
		      const struct sk_plan *plan, const struct sk_plan *todo)
{
	struct sk_cli_printer *p = ud;
	bool changes = sk_plan_has_changes(todo);

	(void)set;
	(void)inv;
	(void)plan;
	/* with JSON, an applied plan is printed with its outcomes */
	if (!p->out || (!changes && p->quiet_no_changes) || (p->cli->json && p->apply && changes))
		return;
	sk_cli_print_plan(p->cli, todo, p->out);
	/* out now, not when a pipe's buffer fills (journald, kubectl logs) */
	fflush(p->out);
}

static int ask(void *ud, const struct sk_plan *todo)
{
	struct sk_cli_printer *p = ud;

	(void)todo;
	if (!isatty(STDIN_FILENO))
		return sk_error_set(SK_ERR_INVALID, "apply needs a terminal to ask for approval; pass --auto-approve to "
						    "apply without asking");
	if (confirmed(p->out ? p->out : stdout))
		return 1;
	if (p->out)
		fprintf(p->out, "\nApply cancelled.\n");
	return 0;
}

static void applying(void *ud, const struct sk_plan *todo)
{
	struct sk_cli_printer *p = ud;

	(void)todo;
	if (p->out && !p->cli->json)
		fprintf(p->out, "\n");
}

static void show_outcome(void *ud, const struct sk_action *a, enum sk_outcome o, const char *detail)
{
	struct sk_cli_printer *p = ud;
	bool why = detail && o != SK_OUTCOME_DONE && o != SK_OUTCOME_ALREADY;

	if (!p->out || p->cli->json)
		return;
	pthread_mutex_lock(&p->lock);
	fprintf(p->out, "  %s %s (%s%s%s): %s%s%s\n", sk_action_kind_name(a->kind), a->target, a->region,
		a->account ? ", account " : "", a->account ? a->account : "", sk_outcome_name(o), why ? ": " : "",
		why ? detail : "");
	fflush(p->out);
	pthread_mutex_unlock(&p->lock);
}

static void print_result(FILE *f, const struct sk_reconcile_report *rep, const struct sk_plan *plan,
			 const struct sk_apply_result *res)
{
	size_t i;

	fprintf(f, "\nApply %s! %zu created, %zu copied, %zu changed, %zu deleted",
		rep->interrupted ? "interrupted" : res->failed ? "finished with errors" : "complete", rep->created,
		rep->copied, rep->changed, rep->deleted);
	if (res->deferred)
		fprintf(f, "; %zu deferred to a later run", res->deferred);
	if (res->failed)
		fprintf(f, "; %zu failed", res->failed);
	if (res->skipped)
		fprintf(f, "; %zu skipped", res->skipped);
	if (res->suspended)
		fprintf(f, "; %zu suspended (spec.suspend), not made", res->suspended);
	fprintf(f, ".\n");
	for (i = 0; i < plan->n_actions; i++)
		if (res->outcomes[i] == SK_OUTCOME_FAILED)
			fprintf(f, "  failed: %s %s (%s%s%s): %s\n", sk_action_kind_name(plan->actions[i].kind),
				plan->actions[i].target, plan->actions[i].region,
				plan->actions[i].account ? ", account " : "",
				plan->actions[i].account ? plan->actions[i].account : "",
				res->details[i] ? res->details[i] : "unknown error");
}

static json_t *result_json(const struct sk_plan *plan, const struct sk_apply_result *res,
			   const struct sk_reconcile_report *rep)
{
	json_t *root = json_object(), *outs = json_array();
	size_t i;

	json_object_set_new(root, "plan", sk_plan_to_json(plan, false));
	for (i = 0; res && i < plan->n_actions; i++) {
		json_t *one = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "action", sk_action_kind_name(plan->actions[i].kind),
					"target", plan->actions[i].target, "region", plan->actions[i].region, "outcome",
					sk_outcome_name(res->outcomes[i]), "detail", res->details[i]);
		/* over several accounts only: the output of one account's apply is as it was */
		if (one && plan->actions[i].account)
			json_object_set_new(one, "account", json_string(plan->actions[i].account));
		json_array_append_new(outs, one);
	}
	json_object_set_new(root, "outcomes", outs);
	json_object_set_new(root, "summary",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "created", (json_int_t)rep->created,
				      "copied", (json_int_t)rep->copied, "changed", (json_int_t)rep->changed, "deleted",
				      (json_int_t)rep->deleted, "deferred", (json_int_t)rep->deferred, "failed",
				      (json_int_t)rep->failed, "skipped", (json_int_t)rep->skipped, "interrupted",
				      rep->interrupted));
	return root;
}

static void show_result(void *ud, const struct sk_plan *todo, const struct sk_apply_result *res,
			const struct sk_reconcile_report *rep)
{
	struct sk_cli_printer *p = ud;

	if (!p->out)
		return;
	if (p->cli->json) {
		json_t *j = result_json(todo, res, rep);
		sk_cli_print_json(j, p->out);
		json_decref(j);
	} else {
		print_result(p->out, rep, todo, res);
	}
	fflush(p->out);
}

void sk_cli_reconcile_opts(struct sk_cli *cli, struct sk_reconcile_opts *o, struct sk_cli_printer *p,
			   struct sk_session *s, bool apply, FILE *out)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->cli = cli;
	p->out = out;
	p->apply = apply;
	*o = (struct sk_reconcile_opts){
		.command = cli->command,
		.apply = apply,
		.lock_timeout = cli->lock_timeout,
		.session = s,
		.regions = cli->regions,
		.n_regions = cli->n_regions,
		.accounts = cli->accounts,
		.n_accounts = cli->n_accounts,
		.now = cli->now,
		.allow_mass_delete = cli->allow_mass_delete,
		.guardrails = cli->guardrails,
		.allow_destructive = cli->allow_destructive,
		.concurrency = cli->concurrency,
		.wait = !cli->no_wait,
		.cancel = &sk_cli_interrupted,
		.progress = cli->json ? NULL : stderr,
		/* a line rewritten in place is no JSON record: with JSON logs, progress comes as records (log.h) */
		.progress_tty = isatty(STDERR_FILENO) && !sk_log_is_json(),
		.cb = { .diags = show_diags,
			.planned = show_plan,
			.confirm = apply && !cli->auto_approve ? ask : NULL,
			.applying = applying,
			.outcome = show_outcome,
			.applied = show_result,
			.ud = p },
	};
	sk_cli_load_opts(cli, &o->source);
}

void sk_cli_printer_free(struct sk_cli_printer *p)
{
	pthread_mutex_destroy(&p->lock);
}

int sk_cli_reconcile(struct sk_reconcile_opts *o, struct sk_cli_printer *p)
{
	struct sk_reconcile_report rep;
	int rc;

	if (sk_reconcile(&rep, o) < 0 && rep.error[0] && !rep.failed)
		sk_cli_error("%s", rep.error);
	if (rep.interrupted)
		rc = rep.signal == SIGTERM ? SK_EXIT_SIGTERM : SK_EXIT_SIGINT;
	else
		rc = rep.ok ? SK_EXIT_OK : rep.partial ? SK_EXIT_PARTIAL : SK_EXIT_ERROR;
	sk_reconcile_report_free(&rep);
	sk_cli_printer_free(p);
	return rc;
}
