/*
 * sk-reconcile.c - plans and applies through libsnapkeep.a alone: no
 * command-line code of snapkeep (cli/) is linked in, so this proves the
 * library stands on its own (tests/e2e/t0740-library.py)
 *
 *   sk-reconcile --repo R [--ref REF] [--path DIR] --state-dir D
 *                [--endpoint URL] [--region R] [--now TIME] [--concurrency N]
 *                [--no-wait] [--runs plan,apply,...]
 *
 * Each run (default "plan,apply": plan only, then apply) is one
 * sk_reconcile() with this program's own callbacks and no confirm.  Each
 * prints, one JSON object per line on stdout:
 *
 *   {"event": "plan", "run": 1, "mode": "plan", "plan": {...the plan JSON...}}   (when a plan was made)
 *   {"event": "summary", "run": 1, "mode": "plan", "ok": true, "changes": true, "stage": "done",
 *    "planned": {"create": 1, "change": 0, "delete": 2}, "created": 0, ..., "outcomes": {"done": 3},
 *    "actions": [{"action": "create", "target": "...", "region": "...", "outcome": "done", "detail": "..."}]}
 *
 * "outcomes" and "actions" are what the outcome callback saw.  Exit 0 when
 * every run was ok, 1 when one was not, 2 for usage or session errors.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "reconciler/engine/reconcile.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/render.h"
#include "specs/policy.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* what the callbacks of one run saw; outcome() runs on apply's worker threads */
struct seen {
	pthread_mutex_t lock;
	int run;
	const char *mode;
	json_t *outcomes; /* {"done": n, ...} */
	json_t *actions;  /* one object per outcome, in the order they came */
	size_t diags;
};

static void emit(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

	if (s) {
		printf("%s\n", s);
		fflush(stdout);
	}
	free(s);
	json_decref(o);
}

static void on_diags(void *ud, const struct sk_policyset *set)
{
	struct seen *w = ud;
	struct sk_buf line = SK_BUF_INIT;
	size_t i;

	w->diags = set->n_diags;
	for (i = 0; i < set->n_diags; i++) {
		sk_buf_reset(&line);
		sk_policy_diag_format(&line, &set->diags[i]);
		fprintf(stderr, "sk-reconcile: %s\n", sk_buf_cstr(&line));
	}
	sk_buf_free(&line);
}

static void on_planned(void *ud, const struct sk_policyset *set, const struct sk_inventory *inv,
		       const struct sk_plan *plan, const struct sk_plan *todo)
{
	struct seen *w = ud;
	json_t *j = sk_plan_to_json(todo, false);

	(void)set;
	(void)inv;
	(void)plan;
	if (!j) {
		fprintf(stderr, "sk-reconcile: cannot render the plan as JSON\n");
		return;
	}
	emit(json_pack("{s:s, s:i, s:s, s:o}", "event", "plan", "run", w->run, "mode", w->mode, "plan", j));
}

static void on_outcome(void *ud, const struct sk_action *a, enum sk_outcome o, const char *detail)
{
	struct seen *w = ud;
	const char *name = sk_outcome_name(o);
	json_t *n;

	pthread_mutex_lock(&w->lock);
	n = json_object_get(w->outcomes, name);
	json_object_set_new(w->outcomes, name, json_integer((n ? json_integer_value(n) : 0) + 1));
	json_array_append_new(w->actions,
			      json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?}", "action", sk_action_kind_name(a->kind), "target",
					a->target, "region", a->region, "instance", a->instance, "outcome", name, "detail",
					detail));
	pthread_mutex_unlock(&w->lock);
}

static json_t *summary(const struct seen *w, const struct sk_reconcile_report *rep)
{
	json_t *o = json_object();

	json_object_set_new(o, "event", json_string("summary"));
	json_object_set_new(o, "run", json_integer(w->run));
	json_object_set_new(o, "mode", json_string(w->mode));
	json_object_set_new(o, "ok", json_boolean(rep->ok));
	json_object_set_new(o, "changes", json_boolean(rep->changes));
	json_object_set_new(o, "stage", json_string(rep->stage ? rep->stage : ""));
	json_object_set_new(o, "error", json_string(rep->error));
	json_object_set_new(o, "commit", json_string(rep->commit));
	json_object_set_new(o, "interrupted", json_boolean(rep->interrupted));
	json_object_set_new(o, "cancelled", json_boolean(rep->cancelled));
	json_object_set_new(o, "refused", json_boolean(rep->refused));
	json_object_set_new(o, "planned", json_pack("{s:I, s:I, s:I}", "create", (json_int_t)rep->planned.create,
						     "change", (json_int_t)rep->planned.change, "delete",
						     (json_int_t)rep->planned.remove));
	json_object_set_new(o, "created", json_integer((json_int_t)rep->created));
	json_object_set_new(o, "copied", json_integer((json_int_t)rep->copied));
	json_object_set_new(o, "changed", json_integer((json_int_t)rep->changed));
	json_object_set_new(o, "deleted", json_integer((json_int_t)rep->deleted));
	json_object_set_new(o, "failed", json_integer((json_int_t)rep->failed));
	json_object_set_new(o, "deferred", json_integer((json_int_t)rep->deferred));
	json_object_set_new(o, "skipped", json_integer((json_int_t)rep->skipped));
	json_object_set_new(o, "pending", json_integer((json_int_t)rep->pending));
	json_object_set_new(o, "diags", json_integer((json_int_t)w->diags));
	json_object_set_new(o, "outcomes", json_incref(w->outcomes));
	json_object_set_new(o, "actions", json_incref(w->actions));
	return o;
}

static int usage(void)
{
	fprintf(stderr, "usage: sk-reconcile --repo R [--ref REF] [--path DIR] --state-dir D [--endpoint URL]\n"
			"                    [--region R] [--now TIME] [--concurrency N] [--no-wait] [--runs plan,apply]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repo", required_argument, NULL, 'r' },      { "ref", required_argument, NULL, 'f' },
		{ "path", required_argument, NULL, 'p' },      { "state-dir", required_argument, NULL, 's' },
		{ "endpoint", required_argument, NULL, 'e' },  { "region", required_argument, NULL, 'g' },
		{ "now", required_argument, NULL, 'n' },       { "concurrency", required_argument, NULL, 'c' },
		{ "no-wait", no_argument, NULL, 'w' },         { "runs", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct sk_session_opts so = SK_SESSION_OPTS_INIT;
	struct sk_session session;
	struct sigaction sa;
	const char *repo = NULL, *ref = NULL, *path = NULL, *state_dir = NULL, *runs = "plan,apply";
	int64_t now = 0;
	int concurrency = 0, opt, run = 0, rc = 0;
	bool wait = true;
	char *list = NULL, *mode, *save = NULL;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': repo = optarg; break;
		case 'f': ref = optarg; break;
		case 'p': path = optarg; break;
		case 's': state_dir = optarg; break;
		case 'e': so.endpoint = optarg; break;
		case 'g': so.region = optarg; break;
		case 'n':
			if (sk_time_parse_rfc3339(&now, optarg) < 0) {
				fprintf(stderr, "sk-reconcile: --now: %s\n", sk_error_message());
				return 2;
			}
			break;
		case 'c': concurrency = atoi(optarg); break;
		case 'w': wait = false; break;
		case 'u': runs = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc || !repo || !state_dir)
		return usage();

	sk_log_init_from_env();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	so.cancel = &interrupted;
	if (sk_session_open(&session, &so) < 0) {
		fprintf(stderr, "sk-reconcile: %s\n", sk_error_message());
		return 2;
	}
	list = strdup(runs);
	if (!list) {
		sk_session_close(&session);
		return 2;
	}
	for (mode = strtok_r(list, ",", &save); mode; mode = strtok_r(NULL, ",", &save)) {
		struct sk_reconcile_opts o = SK_RECONCILE_OPTS_INIT;
		struct sk_reconcile_report rep;
		struct seen w;

		if (strcmp(mode, "plan") && strcmp(mode, "apply")) {
			fprintf(stderr, "sk-reconcile: --runs: '%s' is neither plan nor apply\n", mode);
			rc = 2;
			break;
		}
		memset(&w, 0, sizeof(w));
		pthread_mutex_init(&w.lock, NULL);
		w.run = ++run;
		w.mode = mode;
		w.outcomes = json_object();
		w.actions = json_array();

		o.command = "apply";
		o.apply = !strcmp(mode, "apply");
		o.source.repo = repo;
		o.source.ref = ref;
		o.source.path = path;
		o.source.state_dir = state_dir;
		o.session = &session;
		o.now = now;
		o.concurrency = concurrency;
		o.wait = wait;
		o.cancel = &interrupted;
		o.cb.diags = on_diags;
		o.cb.planned = on_planned;
		o.cb.confirm = NULL; /* no prompt: a library caller decides for itself */
		o.cb.outcome = on_outcome;
		o.cb.ud = &w;

		if (sk_reconcile(&rep, &o) < 0) {
			fprintf(stderr, "sk-reconcile: %s run %d: %s\n", mode, run,
				rep.error[0] ? rep.error : sk_error_message());
			rc = 1;
		}
		emit(summary(&w, &rep));
		sk_reconcile_report_free(&rep);
		json_decref(w.outcomes);
		json_decref(w.actions);
		pthread_mutex_destroy(&w.lock);
		if (interrupted)
			break;
	}
	free(list);
	sk_session_close(&session);
	return rc;
}
