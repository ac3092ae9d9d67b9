/*
 * cmd_drill.c - snapkeep drill [--instance ID] [--policy NAME]: restore
 * drills, one line per step and per check
 *
 * The AWS session is opened without the signal flag: after SIGINT/SIGTERM
 * the wait and the checks stop, but the drill instance's delete must still
 * be sent (engine/drill.c).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "reconciler/engine/drill.h"
#include "reconciler/engine/load.h"
#include "reconciler/engine/session.h"

struct show {
	bool json;
	bool tty;
	bool waiting_line; /* a "waiting" line is on screen, to be rewritten (tty) */
	bool checks_shown; /* this drill's check lines are printed */
	char last_status[64];
};

static void end_waiting(struct show *sh)
{
	if (sh->waiting_line) {
		fputc('\n', stdout);
		sh->waiting_line = false;
	}
}

/* each check's line, once they were answered */
static void print_checks(struct show *sh, const struct sk_drill_result *r)
{
	if (sh->checks_shown || !r->checks_ran)
		return;
	sh->checks_shown = true;
	for (size_t i = 0; i < r->n_checks; i++)
		printf("  %-7s %s: %s\n", r->checks[i].passed ? "ok" : "FAILED", r->checks[i].name ? r->checks[i].name : "",
		       r->checks[i].message ? r->checks[i].message : "");
}

static void print_done(const struct sk_drill_result *r)
{
	char rto[32], rpo[32], restore[32];

	sk_drill_format_seconds(rto, r->rto_ms >= 0 ? r->rto_ms / 1000 : -1);
	sk_drill_format_seconds(rpo, r->rpo);
	sk_drill_format_seconds(restore, r->restore_ms >= 0 ? r->restore_ms / 1000 : -1);
	if (r->passed)
		printf("PASSED %s (%s%s%s): %zu/%zu checks, RTO %s (restore %s), RPO %s, %d GiB restored\n", r->instance,
		       r->region, r->account[0] ? ", account " : "", r->account, r->n_passed, r->n_checks, rto, restore,
		       rpo, r->restored_gib ? r->restored_gib : r->source_gib);
	else
		printf("FAILED %s (%s%s%s): %s\n", r->instance, r->region, r->account[0] ? ", account " : "", r->account,
		       r->error);
	fflush(stdout);
}

static void on_event(void *ud, const struct sk_drill_event *ev)
{
	struct show *sh = ud;
	const struct sk_drill_result *r = ev->r;
	char when[SK_TIME_RFC3339_MAX], el[32];

	if (sh->json)
		return;
	switch (ev->kind) {
	case SK_DRILL_EV_CLEANUP:
		end_waiting(sh);
		printf("Deleting %s: a drill instance left by an interrupted drill\n", ev->message);
		break;
	case SK_DRILL_EV_START:
		end_waiting(sh);
		sk_time_format_rfc3339(when, r->source_time);
		if (r->point_in_time)
			printf("Drill of %s (%s%s%s, policy '%s'): restoring the point in time %s into '%s'\n",
			       r->instance, r->region, r->account[0] ? ", account " : "", r->account, r->policy,
			       r->source_time ? when : "latest restorable", r->drill_instance);
		else
			printf("Drill of %s (%s%s%s, policy '%s'): restoring snapshot %s (%s) into '%s'\n", r->instance,
			       r->region, r->account[0] ? ", account " : "", r->account, r->policy, r->source, when,
			       r->drill_instance);
		sh->last_status[0] = '\0';
		sh->checks_shown = false;
		break;
	case SK_DRILL_EV_WAIT:
		sk_drill_format_seconds(el, ev->elapsed_ms / 1000);
		if (sh->tty) {
			printf("\r  waiting for %s: %s (%s)\033[K", r->drill_instance, ev->status ? ev->status : "?", el);
			sh->waiting_line = true;
		} else if (ev->status && strcmp(ev->status, sh->last_status)) {
			printf("  waiting for %s: %s (%s)\n", r->drill_instance, ev->status, el);
		}
		snprintf(sh->last_status, sizeof(sh->last_status), "%s", ev->status ? ev->status : "");
		break;
	case SK_DRILL_EV_CHECKS:
		end_waiting(sh);
		sk_drill_format_seconds(el, ev->elapsed_ms / 1000);
		printf("  available after %s; running %zu check%s\n", el, r->n_checks, r->n_checks == 1 ? "" : "s");
		break;
	case SK_DRILL_EV_DELETE:
		end_waiting(sh);
		print_checks(sh, r);
		printf("  deleting %s\n", r->drill_instance);
		break;
	case SK_DRILL_EV_DONE:
		end_waiting(sh);
		print_checks(sh, r);
		print_done(r);
		break;
	}
	fflush(stdout);
}

static int print_json(const struct sk_drill_report *rep)
{
	json_t *drills = json_array(), *root;
	int rc;

	for (size_t i = 0; drills && i < rep->n_results; i++)
		json_array_append_new(drills, sk_drill_result_json(&rep->results[i]));
	root = json_pack("{s:o, s:I, s:I, s:I, s:b, s:s?}", "drills", drills ? drills : json_array(), "passed",
			 (json_int_t)rep->passed, "failed", (json_int_t)rep->failed, "cleaned", (json_int_t)rep->cleaned,
			 "interrupted", rep->interrupted, "error", rep->error[0] ? rep->error : NULL);
	if (!root)
		return sk_error_set_oom();
	rc = sk_cli_print_json(root, stdout);
	json_decref(root);
	return rc;
}

int cmd_drill(struct sk_cli *cli)
{
	struct sk_drill_opts o = SK_DRILL_OPTS_INIT;
	struct sk_drill_report rep;
	struct sk_session_opts so;
	struct sk_session s;
	struct show sh;
	const char *instances[1];
	int rc;

	memset(&s, 0, sizeof(s));
	memset(&sh, 0, sizeof(sh));
	memset(&rep, 0, sizeof(rep));
	if (cli->argc > 0)
		return sk_cli_usage(cli, "unexpected argument '%s'. See 'snapkeep drill --help'.", cli->argv[0]);
	sh.json = cli->json;
	sh.tty = !sh.json && isatty(fileno(stdout));
	sk_cli_session_opts(cli, &so);
	so.cancel = NULL; /* the drill instance's delete goes out after a signal */
	if (sk_session_open(&s, &so) < 0)
		return sk_cli_fail();
	sk_cli_load_opts(cli, &o.source);
	o.session = &s;
	if (cli->instance) {
		instances[0] = cli->instance;
		o.instances = instances;
		o.n_instances = 1;
	}
	o.policy = cli->policy;
	o.accounts = cli->accounts;
	o.n_accounts = cli->n_accounts;
	o.regions = cli->regions;
	o.n_regions = cli->n_regions;
	o.lock_timeout = cli->lock_timeout;
	o.now = cli->now;
	o.cancel = &sk_cli_interrupted;
	o.on_event = on_event;
	o.ud = &sh;
	rc = sk_drill(&rep, &o);
	end_waiting(&sh);
	if (sh.json) {
		if (print_json(&rep) < 0)
			rc = -1;
	} else if (rep.n_results || rep.cleaned) {
		printf("\nDrills: %zu passed, %zu failed%s", rep.passed, rep.failed, rep.cleaned ? "" : ".\n");
		if (rep.cleaned)
			printf("; %zu drill instance%s left by earlier drills deleted.\n", rep.cleaned,
			       rep.cleaned == 1 ? "" : "s");
	}
	if (rc < 0 && rep.error[0] && !rep.interrupted && (!rep.failed || rep.unobserved))
		sk_cli_error("%s", rep.error);
	if (rep.interrupted)
		rc = sk_cli_interrupted == SIGTERM ? SK_EXIT_SIGTERM : SK_EXIT_SIGINT;
	else if (rep.unobserved && !rep.failed && rep.n_results)
		rc = SK_EXIT_PARTIAL; /* drilled where it could: as plan, exit 4 names the accounts it could not */
	else
		rc = rc < 0 ? SK_EXIT_ERROR : SK_EXIT_OK;
	sk_drill_report_free(&rep);
	sk_session_close(&s);
	return rc;
}
