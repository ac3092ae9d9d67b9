/*
 * apply_fixture.h - apply (reconciler/engine/apply*.c) against the real
 * emulator: the world, the fixture and the checks test_apply.c,
 * test_apply_copies.c and test_apply_guard.c share
 *
 * Plans are made the real way: policies from YAML, the inventory observed
 * from the emulator, sk_plan_compute.  The emulator's call log then shows
 * what apply called and in which order; its faults make calls fail or
 * slow.  The world (emulator clock frozen at NOW, every run planned at NOW):
 *
 *   us-east-1  db-a: owned daily snapshots 2..9 March ('orders'), retention 7
 *              db-b: replicating its automated backups to us-west-2 (some tests)
 *   us-west-2  owned copies of db-a's snapshots (6..9 March, or fewer)
 *
 * 'orders' wants retention 14 and replication to us-west-2, today's
 * snapshot (10 March 04:30) copied to us-west-2, 5 daily snapshots and 3
 * daily copies: modify, start-replication, create, copy, 4 deletes in
 * us-east-1 and 2 in us-west-2.  FLEET is db-c in us-east-1 and eu-west-1,
 * deletes only.  New snapshots and copies become available on the next
 * describe in their region, so no test waits on a timer.
 *
 * Header-only (static functions): each unit test is one .c file.  Include
 * it after <cmocka.h>: the helpers that must succeed fail the test.
 */
#ifndef SK_TEST_APPLY_FIXTURE_H
#define SK_TEST_APPLY_FIXTURE_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/engine/apply.h"
#include "reconciler/engine/load.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/diff.h"
#include "reconciler/planner/plan.h"
#include "specs/policy.h"
#include "specs/source.h"
#include "state/journal.h"
#include "tests/unit/emulator_fixture.h"

/* every helper is static; a test file uses some of them */
#define APPLY_FN static __attribute__((unused))

#define NOW "2026-03-10T05:00:00Z"
#define TODAY "snapkeep-db-a-20260310-0430"

/* db-c in two regions, 7 owned snapshots each, keep the newest: 6 deletes per region */
APPLY_FN const char *const FLEET = "apiVersion: snapkeep/v1\n"
				   "kind: BackupPolicy\n"
				   "metadata: {name: fleet}\n"
				   "spec:\n"
				   "  regions: [us-east-1, eu-west-1]\n"
				   "  selector: {instances: [db-c]}\n"
				   "  snapshots:\n"
				   "    schedule: \"30 4 * * *\"\n"
				   "    retain: {last: 1}\n";

struct attempt {
	char region[32];
	char action[64];
	double start, end; /* seconds, monotonic */
};

struct fx {
	struct sk_session s;
	struct sk_policyset *set;
	struct sk_inventory *inv;
	struct sk_plan *plan;
	struct sk_apply_result res;
	long since; /* the call log before the apply */
	pthread_mutex_t lock;
	struct attempt att[256];
	size_t n_att;
	volatile sig_atomic_t cancel;
	bool cancel_after_first;
	size_t n_outcomes;
	int wait_timeout; /* seconds; 0: 60 */
	struct sk_journal *journal; /* NULL: apply journals nothing */
	bool no_inventory;          /* apply is given no inventory to check against */
};

/* ---- the world ---- */

APPLY_FN json_t *instance(const char *id)
{
	return json_pack("{s:s, s:i, s:s, s:s}", "id", id, "backupRetentionPeriod", 7, "preferredBackupWindow",
			 "03:00-04:00", "preferredMaintenanceWindow", "sun:05:00-sun:06:00");
}

/* db-a with snapshots 2..9 in us-east-1 and copies first..last in us-west-2; db-b too when asked */
APPLY_FN void seed_orders(int first, int last, bool with_b)
{
	json_t *east = json_array(), *west = json_array(), *insts = json_array();
	int d;

	for (d = 2; d <= 9; d++)
		json_array_append_new(east, emu_owned("db-a", "orders", d, NULL));
	for (d = first; d <= last; d++)
		json_array_append_new(west, emu_owned("db-a", "orders", d, "us-east-1"));
	json_array_append_new(insts, instance("db-a"));
	if (with_b)
		json_array_append_new(insts, instance("db-b"));
	emu_post(&emu, "seed",
		 json_pack("{s:b, s:{s:{s:o, s:o}, s:{s:[], s:o}}}", "automatedHistory", 0, "regions", "us-east-1",
			   "instances", insts, "snapshots", east, "us-west-2", "instances", "snapshots", west));
}

APPLY_FN void seed_fleet(void)
{
	json_t *regions = json_object();
	const char *names[] = { "us-east-1", "eu-west-1" };
	int r, d;

	for (r = 0; r < 2; r++) {
		json_t *snaps = json_array();
		for (d = 4; d <= 10; d++)
			json_array_append_new(snaps, emu_owned("db-c", "fleet", d, NULL));
		json_object_set_new(regions, names[r],
				    json_pack("{s:[o], s:o}", "instances", instance("db-c"), "snapshots", snaps));
	}
	emu_post(&emu, "seed", json_pack("{s:b, s:o}", "automatedHistory", 0, "regions", regions));
}

/* ---- fixtures ---- */

APPLY_FN double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the client's view of every attempt: when it ended, how long it took */
APPLY_FN void on_attempt(void *ud, const struct sk_aws_call_info *info)
{
	struct fx *f = ud;
	double end = mono();

	pthread_mutex_lock(&f->lock);
	if (f->n_att < sizeof(f->att) / sizeof(f->att[0])) {
		struct attempt *a = &f->att[f->n_att++];
		snprintf(a->region, sizeof(a->region), "%s", info->region ? info->region : "");
		snprintf(a->action, sizeof(a->action), "%s", info->action ? info->action : "");
		a->end = end;
		a->start = end - info->seconds;
	}
	pthread_mutex_unlock(&f->lock);
}

APPLY_FN void on_outcome(void *ud, const struct sk_action *a, enum sk_outcome o, const char *detail)
{
	struct fx *f = ud;

	(void)a;
	(void)o;
	(void)detail;
	pthread_mutex_lock(&f->lock);
	if (++f->n_outcomes == 1 && f->cancel_after_first)
		f->cancel = SIGINT;
	pthread_mutex_unlock(&f->lock);
}

APPLY_FN int group_setup(void **state)
{
	(void)state;
	return emu_group_start(NOW);
}

APPLY_FN int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sk_session_opts so = SK_SESSION_OPTS_INIT;

	if (!f)
		return -1;
	pthread_mutex_init(&f->lock, NULL);
	*state = f;
	if (emu_reset_quick(&emu) < 0)
		return -1;
	so.cancel = &f->cancel;
	so.on_attempt = on_attempt;
	so.on_attempt_ud = f;
	return emu_session_open(&f->s, &so);
}

APPLY_FN int teardown(void **state)
{
	struct fx *f = *state;

	sk_journal_close(f->journal);
	sk_apply_result_free(&f->res);
	sk_plan_free(f->plan);
	sk_inventory_free(f->inv);
	sk_policyset_free(f->set);
	sk_session_close(&f->s);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}

/* policies from YAML, the inventory observed from the emulator, the plan at NOW */
APPLY_FN void make_plan(struct fx *f, const char *yaml, bool allow_mass_delete)
{
	struct sk_source_file file = { (char *)"policies/test.yaml", (char *)yaml, strlen(yaml) };
	struct sk_source *src = NULL;
	struct sk_load_observe_opts oo = SK_LOAD_OBSERVE_OPTS_INIT;
	struct sk_plan_opts po = SK_PLAN_OPTS_INIT;
	int64_t now;

	assert_int_equal(sk_time_parse_rfc3339(&now, NOW), 0);
	assert_int_equal(sk_source_from_files(&src, &file, 1), 0);
	if (sk_policyset_load(&f->set, src) < 0)
		fail_msg("policies: %s", sk_error_message());
	sk_source_free(src);
	oo.now = now;
	if (sk_load_observe(&f->inv, f->s.client, f->set, &oo, NULL) < 0)
		fail_msg("observe: %s", sk_error_message());
	po.now = now;
	po.allow_mass_delete = allow_mass_delete;
	if (sk_plan_compute(&f->plan, f->set, f->inv, &po) < 0)
		fail_msg("plan: %s", sk_error_message());
}

/* db-a with copies first..last in us-west-2 (seed_orders, without db-b), and the plan of 'orders' for it */
APPLY_FN void plan_orders(struct fx *f, int first, int last)
{
	seed_orders(first, last, false);
	make_plan(f, EMU_ORDERS, false);
}

APPLY_FN int apply(struct fx *f, int concurrency, bool wait)
{
	struct sk_apply_opts ao = SK_APPLY_OPTS_INIT;

	sk_apply_result_free(&f->res);
	f->since = emu_mark(&emu);
	ao.client = f->s.client;
	ao.run_id = "test-apply";
	ao.concurrency = concurrency;
	ao.wait = wait;
	ao.poll_ms = 50;
	ao.wait_timeout = f->wait_timeout ? f->wait_timeout : 60;
	ao.cancel = &f->cancel;
	ao.on_outcome = on_outcome;
	ao.on_outcome_ud = f;
	ao.journal = f->journal;
	ao.inv = f->no_inventory ? NULL : f->inv;
	ao.set = f->set;
	return sk_apply(f->plan, &ao, &f->res);
}

APPLY_FN size_t count_kind(const struct sk_plan *p, enum sk_action_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_actions; i++)
		n += p->actions[i].kind == k;
	return n;
}

/* the index of the first action of kind k whose target contains text (NULL: any), or fails */
APPLY_FN size_t find(const struct sk_plan *p, enum sk_action_kind k, const char *text)
{
	size_t i;

	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == k && (!text || strstr(p->actions[i].target, text)))
			return i;
	fail_msg("no %s action for '%s' in the plan", sk_action_kind_name(k), text ? text : "*");
	return 0;
}

APPLY_FN size_t count_calls(const json_t *calls, const char *action)
{
	const json_t *c;
	size_t i, n = 0;

	json_array_foreach(calls, i, c)
		n += !strcmp(json_string_value(json_object_get(c, "action")), action);
	return n;
}

/* the call of action on target in the list, or NULL */
APPLY_FN const json_t *call_of(const json_t *calls, const char *action, const char *target)
{
	const json_t *c;
	size_t i;

	json_array_foreach(calls, i, c)
		if (!strcmp(json_string_value(json_object_get(c, "action")), action) &&
		    !strcmp(emu_call_target(c), target))
			return c;
	return NULL;
}

APPLY_FN void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}

APPLY_FN void assert_outcome(const struct fx *f, size_t i, enum sk_outcome want)
{
	if (f->res.outcomes[i] != want)
		fail_msg("%s %s (%s): %s, expected %s (%s)", sk_action_kind_name(f->plan->actions[i].kind),
			 f->plan->actions[i].target, f->plan->actions[i].region, sk_outcome_name(f->res.outcomes[i]),
			 sk_outcome_name(want), f->res.details[i] ? f->res.details[i] : "no detail");
}

/* every action of kind k ended as want */
APPLY_FN void assert_outcome_of_kind(const struct fx *f, enum sk_action_kind k, enum sk_outcome want)
{
	size_t i;

	for (i = 0; i < f->plan->n_actions; i++)
		if (f->plan->actions[i].kind == k)
			assert_outcome(f, i, want);
}

#endif
