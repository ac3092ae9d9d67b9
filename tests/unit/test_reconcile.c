/*
 * test_reconcile.c - one reconciliation (reconciler/engine/reconcile.c)
 * against the real emulator, with policies from a real git repository
 *
 * The repository's main branch holds policy 'orders' (emulator_fixture.h's
 * world, as in test_apply*.c: modify, start-replication, create, copy and
 * 6 deletes); its 'bad' branch an invalid one.  Each test gets the
 * emulator back at its seed, a new state directory and its own callbacks,
 * and looks at what reconcile reported, what the emulator's call log
 * shows, the state file and the journal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/sh_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "aws/rds.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/engine/load.h"
#include "reconciler/engine/reconcile.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/diff.h"
#include "reconciler/planner/render.h"
#include "specs/policy.h"
#include "state/journal.h"
#include "state/lock.h"
#include "state/planfile.h"
#include "state/state.h"
#include "state/statedir.h"
#include "tests/unit/emulator_fixture.h"

#define NOW "2026-03-10T05:00:00Z"
#define N_ACTIONS 10

static char repo[320];
static char main_commit[41], bad_commit[41];
static int n_state_dirs;

struct fx {
	struct sk_session s;
	char state[352];
	pthread_mutex_t lock;
	int confirm_answer;
	size_t diags, planned, confirms, applying, outcomes, applied;
	size_t n_diag_lines;
	char first_diag[512];
	size_t todo_actions;
	bool todo_is_plan;
};

/* ---- the world ---- */

static json_t *orders_seed(void)
{
	json_t *east = json_array(), *west = json_array();
	int d;

	for (d = 2; d <= 9; d++)
		json_array_append_new(east, emu_owned("db-a", "orders", d, NULL));
	for (d = 6; d <= 9; d++)
		json_array_append_new(west, emu_owned("db-a", "orders", d, "us-east-1"));
	return json_pack("{s:b, s:{s:{s:[{s:s, s:i, s:s, s:s}], s:o}, s:{s:[], s:o}}}", "automatedHistory", 0,
			 "regions", "us-east-1", "instances", "id", "db-a", "backupRetentionPeriod", 7,
			 "preferredBackupWindow", "03:00-04:00", "preferredMaintenanceWindow", "sun:05:00-sun:06:00",
			 "snapshots", east, "us-west-2", "instances", "snapshots", west);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int rev_parse(char out[41], const char *rev)
{
	char cmd[512];
	FILE *p;
	int ok;

	snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse '%s'", repo, rev);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	ok = fscanf(p, "%40s", out) == 1;
	pclose(p);
	return ok && strlen(out) == 40 ? 0 : -1;
}

/* main: 'orders'; bad: 'orders' with an out-of-range retentionDays */
static int make_repo(void)
{
	char path[400], *bad;
	const char *at = strstr(EMU_ORDERS, "retentionDays: 14");
	size_t n = strlen(EMU_ORDERS);

	setenv("GIT_AUTHOR_NAME", "Test", 1);
	setenv("GIT_AUTHOR_EMAIL", "test@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "Test", 1);
	setenv("GIT_COMMITTER_EMAIL", "test@example.com", 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", emu.dir, 1);
	snprintf(repo, sizeof(repo), "%s/policies-repo", emu.dir);
	if (sh_run("git init -q -b main '%s' && mkdir -p '%s/policies'", repo, repo) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/policies/orders.yaml", repo);
	if (write_file(path, EMU_ORDERS) < 0 ||
	    sh_run("cd '%s' && git add -A && git commit -q -m 'orders: 14-day PITR, daily snapshots'", repo) < 0)
		return -1;
	bad = malloc(n + 1);
	if (!bad)
		return -1;
	memcpy(bad, EMU_ORDERS, n + 1);
	memcpy(bad + (at - EMU_ORDERS), "retentionDays: 40", 17);
	n = write_file(path, bad) == 0 &&
	    sh_run("cd '%s' && git checkout -q -b bad && git commit -q -am 'orders: keep 40 days' && git checkout -q main",
	       repo) == 0;
	free(bad);
	if (!n)
		return -1;
	return rev_parse(main_commit, "main") < 0 || rev_parse(bad_commit, "bad") < 0 ? -1 : 0;
}

/* ---- callbacks ---- */

static void on_diags(void *ud, const struct sk_policyset *set)
{
	struct fx *f = ud;
	struct sk_buf line = SK_BUF_INIT;

	f->diags++;
	f->n_diag_lines = set->n_diags;
	if (set->n_diags) {
		sk_policy_diag_format(&line, &set->diags[0]);
		snprintf(f->first_diag, sizeof(f->first_diag), "%s", sk_buf_cstr(&line));
	}
	sk_buf_free(&line);
}

static void on_planned(void *ud, const struct sk_policyset *set, const struct sk_inventory *inv,
		       const struct sk_plan *plan, const struct sk_plan *todo)
{
	struct fx *f = ud;

	(void)set;
	(void)inv;
	f->planned++;
	f->todo_actions = todo->n_actions;
	f->todo_is_plan = todo == plan;
}

static int on_confirm(void *ud, const struct sk_plan *todo)
{
	struct fx *f = ud;

	f->confirms++;
	f->todo_actions = todo->n_actions;
	return f->confirm_answer;
}

static void on_applying(void *ud, const struct sk_plan *todo)
{
	struct fx *f = ud;

	(void)todo;
	f->applying++;
}

static void on_outcome(void *ud, const struct sk_action *a, enum sk_outcome o, const char *detail)
{
	struct fx *f = ud;

	(void)a;
	(void)o;
	(void)detail;
	pthread_mutex_lock(&f->lock);
	f->outcomes++;
	pthread_mutex_unlock(&f->lock);
}

static void on_applied(void *ud, const struct sk_plan *todo, const struct sk_apply_result *res,
		       const struct sk_reconcile_report *rep)
{
	struct fx *f = ud;

	(void)todo;
	(void)res;
	(void)rep;
	f->applied++;
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	int rc = emu_group_start(NOW);

	(void)state;
	if (rc == 0 && make_repo() < 0) {
		fprintf(stderr, "# cannot make the policy repository\n");
		rc = -1;
	}
	return rc;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sk_session_opts so = SK_SESSION_OPTS_INIT;

	if (!f)
		return -1;
	pthread_mutex_init(&f->lock, NULL);
	f->confirm_answer = 1;
	*state = f;
	snprintf(f->state, sizeof(f->state), "%s/state-%d", emu.dir, ++n_state_dirs);
	if (emu_reset_quick(&emu) < 0 || emu_try_post(&emu, "seed", orders_seed()) < 0)
		return -1;
	return emu_session_open(&f->s, &so);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sk_session_close(&f->s);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}

static void opts(struct fx *f, struct sk_reconcile_opts *o, bool apply)
{
	struct sk_reconcile_opts init = SK_RECONCILE_OPTS_INIT;

	*o = init;
	o->command = "apply";
	o->apply = apply;
	o->source.repo = repo;
	o->source.path = "policies";
	o->source.state_dir = f->state;
	o->session = &f->s;
	assert_int_equal(sk_time_parse_rfc3339(&o->now, NOW), 0);
	o->cb.diags = on_diags;
	o->cb.planned = on_planned;
	o->cb.confirm = on_confirm;
	o->cb.applying = on_applying;
	o->cb.outcome = on_outcome;
	o->cb.applied = on_applied;
	o->cb.ud = f;
}

static struct sk_state *load_state(const struct fx *f)
{
	struct sk_state *st = NULL;

	if (sk_state_load(&st, f->state) < 0)
		fail_msg("%s", sk_error_message());
	return st;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}

static size_t n_calls(long since)
{
	json_t *c = emu_calls(&emu, since);
	size_t n = json_array_size(c);

	json_decref(c);
	return n;
}

static size_t n_mutating(long since)
{
	json_t *c = emu_mutating(&emu, since);
	size_t n = json_array_size(c);

	json_decref(c);
	return n;
}

/* ---- plan only, apply ---- */

static void test_reconcile_plan_only_calls_nothing_mutating_and_records_drift(void **state)
{
	struct fx *f = *state;
	struct sk_reconcile_opts o;
	struct sk_reconcile_report rep;
	struct sk_state *st;
	long since = emu_mark(&emu);

	opts(f, &o, false);
	assert_int_equal(sk_reconcile(&rep, &o), 0);
	assert_true(rep.ok);
	assert_true(rep.changes);
	assert_string_equal(rep.stage, "done");
	assert_string_equal(rep.commit, main_commit);
	assert_int_equal(rep.planned.create, 2);
	assert_int_equal(rep.planned.change, 2);
	assert_int_equal(rep.planned.remove, 6);
	assert_int_equal(f->planned, 1);
	assert_true(f->todo_is_plan);
	assert_int_equal(f->todo_actions, N_ACTIONS);
	assert_int_equal(f->confirms + f->applying + f->outcomes + f->applied, 0);
	assert_true(n_calls(since) > 0); /* it observed */
	assert_int_equal(n_mutating(since), 0);
	sk_reconcile_report_free(&rep);

	st = load_state(f);
	assert_string_equal(st->last_run.outcome, "drift");
	assert_string_equal(st->last_run.commit, main_commit);
	assert_int_equal(st->last_run.summary.actions, N_ACTIONS);
	assert_string_equal(st->last_applied.commit, ""); /* nothing was applied */
	sk_state_free(st);
}

/* the journal's records, copied */
static int collect(void *ud, const struct sk_journal_record *r)
{
	json_array_append_new(ud, json_deep_copy(r->json));
	return 0;
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static const char *api_of(const char *action)
{
	static const char *const map[][2] = {
		{ "modify", "ModifyDBInstance" },
		{ "start-replication", "StartDBInstanceAutomatedBackupsReplication" },
		{ "stop-replication", "StopDBInstanceAutomatedBackupsReplication" },
		{ "create", "CreateDBSnapshot" },
		{ "copy", "CopyDBSnapshot" },
		{ "delete", "DeleteDBSnapshot" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], action))
			return map[i][1];
	return "";
}

static void test_reconcile_apply_records_success_and_journals_every_call(void **state)
{
	struct fx *f = *state;
	struct sk_reconcile_opts o;
	struct sk_reconcile_report rep;
	struct sk_state *st;
	json_t *records = json_array(), *mut, *rec, *call;
	size_t i, j, intents = 0, outcomes = 0;
	long since = emu_mark(&emu);

	opts(f, &o, true);
	assert_int_equal(sk_reconcile(&rep, &o), 0);
	assert_true(rep.ok);
	assert_true(rep.changes);
	assert_string_equal(rep.stage, "done");
	assert_int_equal(rep.created, 1);
	assert_int_equal(rep.copied, 1);
	assert_int_equal(rep.changed, 2);
	assert_int_equal(rep.deleted, 6);
	assert_int_equal(rep.failed + rep.deferred + rep.skipped + rep.pending, 0);
	assert_int_equal(f->confirms, 1);
	assert_int_equal(f->applying, 1);
	assert_int_equal(f->outcomes, N_ACTIONS);
	assert_int_equal(f->applied, 1);
	sk_reconcile_report_free(&rep);

	st = load_state(f);
	assert_string_equal(st->last_run.outcome, "success");
	assert_int_equal(st->last_run.summary.done, N_ACTIONS);
	assert_string_equal(st->last_applied.commit, main_commit);
	sk_state_free(st);

	/* an intent and an outcome per mutating call; the outcome carries the call's RequestId */
	mut = emu_mutating(&emu, since);
	assert_int_equal(json_array_size(mut), N_ACTIONS);
	assert_int_equal(sk_journal_read(f->state, NULL, collect, records, NULL), 0);
	json_array_foreach(records, i, rec) {
		const json_t *r2;
		size_t matched = 0;
		if (!strcmp(str(rec, "type"), "outcome"))
			outcomes++;
		if (strcmp(str(rec, "type"), "intent"))
			continue;
		intents++;
		json_array_foreach(records, j, r2) {
			const json_t *c;
			size_t k, same = 0;
			if (strcmp(str(r2, "type"), "outcome") || strcmp(str(r2, "intent"), str(rec, "id")))
				continue;
			matched++;
			assert_string_equal(str(r2, "result"), "done");
			json_array_foreach(mut, k, c)
				if (!strcmp(str(c, "requestId"), str(r2, "requestId"))) {
					assert_string_equal(str(c, "action"), api_of(str(rec, "action")));
					assert_string_equal(str(c, "region"), str(rec, "region"));
					same++;
				}
			assert_int_equal(same, 1);
		}
		assert_int_equal(matched, 1);
	}
	assert_int_equal(intents, N_ACTIONS);
	assert_int_equal(outcomes, N_ACTIONS);
	/* and every call was journaled */
	json_array_foreach(mut, i, call) {
		size_t seen = 0;
		json_array_foreach(records, j, rec)
			seen += !strcmp(str(rec, "type"), "outcome") && !strcmp(str(rec, "requestId"), str(call, "requestId"));
		assert_int_equal(seen, 1);
	}
	json_decref(mut);
	json_decref(records);
}

/* a commit subject in any encoding, or cut inside a character by the 255-byte field, is still recorded */
static void test_reconcile_records_a_subject_of_any_bytes(void **state)
{
	struct fx *f = *state;
	struct sk_reconcile_opts o;
	struct sk_reconcile_report rep;
	struct sk_state *st;
	char msg[400], want[300], path[400];

	/* Latin-1 "caf\xe9", then a 2-byte UTF-8 character at bytes 254 and 255 */
	snprintf(msg, sizeof(msg), "caf\xe9 %.*s\xc3\xa9 the rest\n", 249,
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	snprintf(want, sizeof(want), "caf? %.249s", msg + 5);
	snprintf(path, sizeof(path), "%s/subject-msg", emu.dir);
	assert_int_equal(write_file(path, msg), 0);
	assert_int_equal(sh_run("cd '%s' && git checkout -q -B subjects main && git -c i18n.commitEncoding=ISO-8859-1 "
			    "commit -q --allow-empty -F '%s' && git checkout -q main",
			    repo, path),
			 0);

	opts(f, &o, true);
	o.source.ref = "subjects";
	assert_int_equal(sk_reconcile(&rep, &o), 0);
	assert_true(rep.ok);
	assert_string_equal(rep.stage, "done");
	assert_string_equal(rep.subject, want);
	sk_reconcile_report_free(&rep);
	st = load_state(f);
	assert_string_equal(st->last_run.outcome, "success");
	assert_string_equal(st->last_applied.subject, want);
	sk_state_free(st);
}

/* ---- refusals ---- */

static void test_reconcile_fails_at_lock_while_another_holds_it(void **state)
{
	struct fx *f = *state;
	struct sk_reconcile_opts o;
	struct sk_reconcile_report rep;
	struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
	struct sk_lock *held = NULL;
	long since = emu_mark(&emu);

	assert_int_equal(sk_statedir_prepare(f->state), 0);
	lo.command = "run";
	lo.run_id = "20260310T050000Z-0000beef";
	assert_int_equal(sk_lock_acquire(&held, f->state, &lo), 0);
	opts(f, &o, true);
	assert_true(sk_reconcile(&rep, &o) < 0);
	assert_false(rep.ok);
	assert_string_equal(rep.stage, "lock");
	assert_contains(rep.error, "is locked by run");
	assert_contains(rep.error, "20260310T050000Z-0000beef");
	assert_int_equal(f->planned + f->confirms + f->outcomes, 0);
	assert_int_equal(n_calls(since), 0); /* not even a describe */
	sk_reconcile_report_free(&rep);

	/* the lock was the reason: released, the same reconcile goes through */
	sk_lock_release(held);
	opts(f, &o, false);
	assert_int_equal(sk_reconcile(&rep, &o), 0);
	assert_string_equal(rep.stage, "done");
	sk_reconcile_report_free(&rep);
}

static void test_reconcile_policy_error_reports_diagnostics_at_fetch_naming_the_commit(void **state)
{
	struct fx *f = *state;
	struct sk_reconcile_opts o;
	struct sk_reconcile_report rep;
	struct sk_state *st;
	long since = emu_mark(&emu);

	opts(f, &o, true);
	o.source.ref = "bad";
	assert_true(sk_reconcile(&rep, &o) < 0);
	assert_false(rep.ok);
	assert_string_equal(rep.stage, "fetch");
	assert_string_equal(rep.commit, bad_commit);
	assert_string_equal(rep.subject, "orders: keep 40 days");
	assert_int_equal(f->diags, 1);
	assert_true(f->n_diag_lines >= 1);
	assert_contains(f->first_diag, "policies/orders.yaml:");
	assert_contains(f->first_diag, "retentionDays");
	assert_true(rep.error[0] != '\0');
	assert_int_equal(f->planned + f->confirms + f->outcomes, 0);
	assert_int_equal(n_calls(since), 0);
	sk_reconcile_report_free(&rep);

	st = load_state(f);
	assert_string_equal(st->last_run.outcome, "failed");
	assert_string_equal(st->last_run.commit, bad_commit);
	assert_string_equal(st->last_applied.commit, "");
	sk_state_free(st);
}

static void test_reconcile_confirm_no_applies_nothing_and_sets_cancelled(void **state)
{
	struct fx *f = *state;
	struct sk_reconcile_opts o;
	struct sk_reconcile_report rep;
	struct sk_state *st;
	long since = emu_mark(&emu);

	opts(f, &o, true);
	f->confirm_answer = 0;
	assert_true(sk_reconcile(&rep, &o) < 0);
	assert_true(rep.cancelled);
	assert_false(rep.ok);
	assert_true(rep.changes);
	assert_int_equal(f->confirms, 1);
	assert_int_equal(f->todo_actions, N_ACTIONS);
	assert_int_equal(f->applying + f->outcomes + f->applied, 0);
	assert_int_equal(rep.created + rep.copied + rep.changed + rep.deleted, 0);
	assert_true(n_calls(since) > 0);
	assert_int_equal(n_mutating(since), 0);
	sk_reconcile_report_free(&rep);
	st = load_state(f);
	assert_string_equal(st->last_applied.commit, "");
	sk_state_free(st);
}

/* plan -out, as the command line does it: the live state it depends on goes with it */
static void save_plan(struct fx *f, const char *path, size_t *n_actions)
{
	struct sk_load_opts lo = SK_LOAD_OPTS_INIT;
	struct sk_load_observe_opts oo = SK_LOAD_OBSERVE_OPTS_INIT;
	struct sk_plan_opts po = SK_PLAN_OPTS_INIT;
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_plan *plan = NULL;
	json_t *j;
	int64_t now;

	assert_int_equal(sk_time_parse_rfc3339(&now, NOW), 0);
	lo.repo = repo;
	lo.path = "policies";
	lo.state_dir = f->state;
	if (sk_load_policies(&set, &lo) < 0)
		fail_msg("%s", sk_error_message());
	oo.now = now;
	if (sk_load_observe(&inv, f->s.client, set, &oo, NULL) < 0)
		fail_msg("%s", sk_error_message());
	po.now = now;
	po.basis = true;
	if (sk_plan_compute(&plan, set, inv, &po) < 0)
		fail_msg("%s", sk_error_message());
	assert_true(plan->fingerprint[0] != '\0');
	*n_actions = plan->n_actions;
	j = sk_plan_to_json(plan, false);
	assert_non_null(j);
	assert_int_equal(sk_planfile_write(path, j, NULL), 0);
	json_decref(j);
	sk_plan_free(plan);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

static void test_reconcile_refuses_a_saved_plan_whose_live_state_changed(void **state)
{
	struct fx *f = *state;
	struct sk_reconcile_opts o;
	struct sk_reconcile_report rep;
	struct sk_rds_modify m = SK_RDS_MODIFY_INIT;
	struct sk_aws_error err;
	char stale[400], fresh[400];
	size_t n_stale, n_fresh;
	long since;

	snprintf(stale, sizeof(stale), "%s/stale.plan", emu.dir);
	snprintf(fresh, sizeof(fresh), "%s/fresh.plan", emu.dir);
	save_plan(f, stale, &n_stale);
	assert_int_equal(n_stale, N_ACTIONS);
	/* someone changes the instance after the plan was saved */
	m.instance_id = "db-a";
	m.backup_retention_period = 10;
	if (sk_rds_modify_db(f->s.client, "us-east-1", false, &m, NULL, NULL, &err) < 0)
		fail_msg("%s", sk_error_message());

	since = emu_mark(&emu);
	opts(f, &o, true);
	o.plan_file = stale;
	assert_true(sk_reconcile(&rep, &o) < 0);
	assert_true(rep.refused);
	assert_false(rep.ok);
	assert_string_equal(rep.stage, "plan");
	assert_contains(rep.error, "live state changed since saved plan");
	assert_contains(rep.error, "retention=10");
	assert_int_equal(f->applying + f->outcomes, 0);
	assert_int_equal(n_mutating(since), 0);
	sk_reconcile_report_free(&rep);

	/* a plan saved from the state as it is now applies, exactly, without asking */
	save_plan(f, fresh, &n_fresh);
	assert_true(n_fresh > 0);
	since = emu_mark(&emu);
	f->confirms = 0;
	o.plan_file = fresh;
	assert_int_equal(sk_reconcile(&rep, &o), 0);
	assert_false(rep.refused);
	assert_true(rep.ok);
	assert_int_equal(f->confirms, 0);
	assert_int_equal(n_mutating(since), n_fresh);
	sk_reconcile_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reconcile_plan_only_calls_nothing_mutating_and_records_drift, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_apply_records_success_and_journals_every_call, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_records_a_subject_of_any_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_fails_at_lock_while_another_holds_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_policy_error_reports_diagnostics_at_fetch_naming_the_commit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_confirm_no_applies_nothing_and_sets_cancelled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_refuses_a_saved_plan_whose_live_state_changed, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, emu_group_teardown);
}
