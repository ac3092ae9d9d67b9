/*
 * test_apply.c - apply (reconciler/engine/apply.c) against the real emulator
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
 * us-east-1 and 2 in us-west-2.  'billing' stops db-b's replication.
 * New snapshots and copies become available on the next describe in their
 * region, so no test waits on a timer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aws/rds.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/engine/apply.h"
#include "reconciler/engine/load.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/diff.h"
#include "specs/policy.h"
#include "specs/source.h"
#include "tests/unit/emulator_fixture.h"

#define NOW "2026-03-10T05:00:00Z"
#define TODAY "snapkeep-db-a-20260310-0430"

static const char *const ORDERS = "apiVersion: snapkeep/v1\n"
				  "kind: BackupPolicy\n"
				  "metadata: {name: orders}\n"
				  "spec:\n"
				  "  regions: [us-east-1]\n"
				  "  selector: {instances: [db-a]}\n"
				  "  automated:\n"
				  "    retentionDays: 14\n"
				  "    window: \"03:00-04:00\"\n"
				  "    replicate: {region: us-west-2, retentionDays: 7}\n"
				  "  snapshots:\n"
				  "    schedule: \"30 4 * * *\"\n"
				  "    retain: {daily: 5}\n"
				  "    copies:\n"
				  "      - {region: us-west-2, retain: {daily: 3}}\n";

static const char *const BILLING = "---\n"
				   "apiVersion: snapkeep/v1\n"
				   "kind: BackupPolicy\n"
				   "metadata: {name: billing}\n"
				   "spec:\n"
				   "  regions: [us-east-1]\n"
				   "  selector: {instances: [db-b]}\n"
				   "  automated:\n"
				   "    replicate: false\n";

/* db-c in two regions, 7 owned snapshots each, keep the newest: 6 deletes per region */
static const char *const FLEET = "apiVersion: snapkeep/v1\n"
				 "kind: BackupPolicy\n"
				 "metadata: {name: fleet}\n"
				 "spec:\n"
				 "  regions: [us-east-1, eu-west-1]\n"
				 "  selector: {instances: [db-c]}\n"
				 "  snapshots:\n"
				 "    schedule: \"30 4 * * *\"\n"
				 "    retain: {last: 1}\n";

static struct emu emu;

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
};

/* ---- the world ---- */

static json_t *instance(const char *id)
{
	return json_pack("{s:s, s:i, s:s, s:s}", "id", id, "backupRetentionPeriod", 7, "preferredBackupWindow",
			 "03:00-04:00", "preferredMaintenanceWindow", "sun:05:00-sun:06:00");
}

/* an owned snapshot of day d (March 2026, 04:30); copy_of: the source region of a copy, or NULL */
static json_t *owned(const char *inst, const char *policy, int d, const char *copy_of)
{
	char id[128], slot[32], arn[256];
	json_t *s, *tags;

	snprintf(id, sizeof(id), "snapkeep-%s-202603%02d-0430", inst, d);
	snprintf(slot, sizeof(slot), "2026-03-%02dT04:30:00Z", d);
	tags = json_pack("{s:s, s:s, s:s}", "snapkeep:policy", policy, "snapkeep:instance", inst, "snapkeep:slot", slot);
	s = json_pack("{s:s, s:s, s:s, s:s, s:s}", "instance", inst, "type", "manual", "created", slot, "status",
		      "available", "id", id);
	if (copy_of) {
		snprintf(arn, sizeof(arn), "arn:aws:rds:%s:" EMU_ACCOUNT ":snapshot:%s", copy_of, id);
		json_object_set_new(tags, "snapkeep:source", json_string(arn));
		json_object_set_new(s, "sourceRegion", json_string(copy_of));
		json_object_set_new(s, "sourceSnapshot", json_string(arn));
		json_object_set_new(s, "originalCreated", json_string(slot));
		snprintf(id + strlen(id), sizeof(id) - strlen(id), "-%s", copy_of);
		json_object_set_new(s, "id", json_string(id));
	}
	json_object_set_new(s, "tags", tags);
	return s;
}

/* db-a with snapshots 2..9 in us-east-1 and copies first..last in us-west-2; db-b too when asked */
static void seed_orders(int first, int last, bool with_b)
{
	json_t *east = json_array(), *west = json_array(), *insts = json_array();
	int d;

	for (d = 2; d <= 9; d++)
		json_array_append_new(east, owned("db-a", "orders", d, NULL));
	for (d = first; d <= last; d++)
		json_array_append_new(west, owned("db-a", "orders", d, "us-east-1"));
	json_array_append_new(insts, instance("db-a"));
	if (with_b)
		json_array_append_new(insts, instance("db-b"));
	emu_post(&emu, "seed",
		 json_pack("{s:b, s:{s:{s:o, s:o}, s:{s:[], s:o}}}", "automatedHistory", 0, "regions", "us-east-1",
			   "instances", insts, "snapshots", east, "us-west-2", "instances", "snapshots", west));
}

static void seed_fleet(void)
{
	json_t *regions = json_object();
	const char *names[] = { "us-east-1", "eu-west-1" };
	int r, d;

	for (r = 0; r < 2; r++) {
		json_t *snaps = json_array();
		for (d = 4; d <= 10; d++)
			json_array_append_new(snaps, owned("db-c", "fleet", d, NULL));
		json_object_set_new(regions, names[r],
				    json_pack("{s:[o], s:o}", "instances", instance("db-c"), "snapshots", snaps));
	}
	emu_post(&emu, "seed", json_pack("{s:b, s:o}", "automatedHistory", 0, "regions", regions));
}

/* ---- fixtures ---- */

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the client's view of every attempt: when it ended, how long it took */
static void on_attempt(void *ud, const struct sk_aws_call_info *info)
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

static void on_outcome(void *ud, const struct sk_action *a, enum sk_outcome o, const char *detail)
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

static int group_setup(void **state)
{
	json_t *seed = json_pack("{s:s, s:s, s:b}", "account", EMU_ACCOUNT, "clock", NOW, "automatedHistory", 0);
	int rc;

	(void)state;
	emu_client_env();
	rc = emu_start(&emu, seed);
	json_decref(seed);
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	emu_stop(&emu);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sk_session_opts so = SK_SESSION_OPTS_INIT;
	json_t *j, *cfg;

	if (!f)
		return -1;
	pthread_mutex_init(&f->lock, NULL);
	*state = f;
	cfg = json_object();
	j = emu_admin(&emu, "POST", "reset", cfg);
	json_decref(j);
	json_decref(cfg);
	/* new snapshots and copies become available on the next describe in their region */
	cfg = json_pack("{s:n, s:i, s:n, s:i}", "createSeconds", "createDescribes", 1, "copySeconds", "copyDescribes", 1);
	j = j ? emu_admin(&emu, "POST", "config", cfg) : NULL;
	json_decref(cfg);
	if (!j)
		return -1;
	json_decref(j);
	so.endpoint = emu.url;
	so.region = "us-east-1";
	so.cancel = &f->cancel;
	so.on_attempt = on_attempt;
	so.on_attempt_ud = f;
	if (sk_session_open(&f->s, &so) < 0) {
		fprintf(stderr, "# %s\n", sk_error_message());
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

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
static void make_plan(struct fx *f, const char *yaml, bool allow_mass_delete)
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

static int apply(struct fx *f, int concurrency, bool wait)
{
	struct sk_apply_opts ao = SK_APPLY_OPTS_INIT;

	sk_apply_result_free(&f->res);
	f->since = emu_mark(&emu);
	ao.client = f->s.client;
	ao.run_id = "test-apply";
	ao.concurrency = concurrency;
	ao.wait = wait;
	ao.poll_ms = 50;
	ao.wait_timeout = 60;
	ao.cancel = &f->cancel;
	ao.on_outcome = on_outcome;
	ao.on_outcome_ud = f;
	return sk_apply(f->plan, &ao, &f->res);
}

static size_t count_kind(const struct sk_plan *p, enum sk_action_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_actions; i++)
		n += p->actions[i].kind == k;
	return n;
}

/* the index of the first action of kind k whose target contains text (NULL: any), or fails */
static size_t find(const struct sk_plan *p, enum sk_action_kind k, const char *text)
{
	size_t i;

	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == k && (!text || strstr(p->actions[i].target, text)))
			return i;
	fail_msg("no %s action for '%s' in the plan", sk_action_kind_name(k), text ? text : "*");
	return 0;
}

static size_t count_calls(const json_t *calls, const char *action)
{
	const json_t *c;
	size_t i, n = 0;

	json_array_foreach(calls, i, c)
		n += !strcmp(json_string_value(json_object_get(c, "action")), action);
	return n;
}

/* the call of action on target in the list, or NULL */
static const json_t *call_of(const json_t *calls, const char *action, const char *target)
{
	const json_t *c;
	size_t i;

	json_array_foreach(calls, i, c)
		if (!strcmp(json_string_value(json_object_get(c, "action")), action) &&
		    !strcmp(emu_call_target(c), target))
			return c;
	return NULL;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}

static void assert_outcome(const struct fx *f, size_t i, enum sk_outcome want)
{
	if (f->res.outcomes[i] != want)
		fail_msg("%s %s (%s): %s, expected %s (%s)", sk_action_kind_name(f->plan->actions[i].kind),
			 f->plan->actions[i].target, f->plan->actions[i].region, sk_outcome_name(f->res.outcomes[i]),
			 sk_outcome_name(want), f->res.details[i] ? f->res.details[i] : "no detail");
}

/* every action of kind k ended as want */
static void assert_outcome_of_kind(const struct fx *f, enum sk_action_kind k, enum sk_outcome want)
{
	size_t i;

	for (i = 0; i < f->plan->n_actions; i++)
		if (f->plan->actions[i].kind == k)
			assert_outcome(f, i, want);
}

/* db-b's automated backups replicate to us-west-2 before the plan is made */
static void replicate_b(struct fx *f)
{
	struct sk_rds_replication rep;
	struct sk_aws_error err;

	memset(&rep, 0, sizeof(rep));
	rep.source_region = "us-east-1";
	rep.source_instance_arn = "arn:aws:rds:us-east-1:" EMU_ACCOUNT ":db:db-b";
	rep.backup_retention_period = 7;
	if (sk_rds_start_automated_backups_replication(f->s.client, "us-west-2", &rep, &err) < 0)
		fail_msg("%s", sk_error_message());
}

/* ---- order and dependencies ---- */

static int phase_of(const char *action)
{
	static const char *const phases[][2] = {
		{ "ModifyDBInstance", "StopDBInstanceAutomatedBackupsReplication" },
		{ "StartDBInstanceAutomatedBackupsReplication", NULL },
		{ "CreateDBSnapshot", NULL },
		{ "CopyDBSnapshot", NULL },
		{ "DeleteDBSnapshot", NULL },
	};
	int i;

	for (i = 0; i < 5; i++)
		if (!strcmp(phases[i][0], action) || (phases[i][1] && !strcmp(phases[i][1], action)))
			return i;
	fail_msg("unexpected mutating call %s", action);
	return -1;
}

static void test_apply_runs_changes_then_replication_then_creates_copies_deletes(void **state)
{
	struct fx *f = *state;
	json_t *calls, *mut, *c;
	size_t i, create_at = 0, copy_at = 0, describe_between = 0;
	int last = -1;
	char both[2048];

	seed_orders(6, 9, true);
	replicate_b(f);
	snprintf(both, sizeof(both), "%s%s", ORDERS, BILLING);
	make_plan(f, both, false);
	assert_int_equal(count_kind(f->plan, SK_ACTION_MODIFY), 1);
	assert_int_equal(count_kind(f->plan, SK_ACTION_STOP_REPLICATION), 1);
	assert_int_equal(count_kind(f->plan, SK_ACTION_START_REPLICATION), 1);
	assert_int_equal(count_kind(f->plan, SK_ACTION_CREATE), 1);
	assert_int_equal(count_kind(f->plan, SK_ACTION_COPY), 1);
	assert_int_equal(count_kind(f->plan, SK_ACTION_DELETE), 6);

	assert_int_equal(apply(f, 4, true), 0);
	assert_int_equal(f->res.done, f->plan->n_actions);
	calls = emu_calls(&emu, f->since);
	mut = emu_mutating(&emu, f->since);
	assert_int_equal(json_array_size(mut), f->plan->n_actions);
	/* the log is in the order the calls were answered: each phase ends before the next starts */
	json_array_foreach(mut, i, c) {
		const char *action = json_string_value(json_object_get(c, "action"));
		int ph = phase_of(action);
		if (ph < last)
			fail_msg("%s (call %zu) came after a call of a later phase", action, i);
		last = ph;
		assert_int_equal(json_integer_value(json_object_get(c, "status")), 200);
	}
	/* the copy waited for its source: a describe in us-east-1 saw it available in between */
	json_array_foreach(calls, i, c) {
		const char *a = json_string_value(json_object_get(c, "action"));
		if (!strcmp(a, "CreateDBSnapshot"))
			create_at = i + 1;
		else if (!strcmp(a, "CopyDBSnapshot"))
			copy_at = i + 1;
		else if (!strcmp(a, "DescribeDBSnapshots") && create_at && !copy_at &&
			 !strcmp(json_string_value(json_object_get(c, "region")), "us-east-1"))
			describe_between++;
	}
	assert_true(create_at && copy_at && create_at < copy_at);
	assert_true(describe_between >= 1);
	json_decref(calls);
	json_decref(mut);
}

static void test_apply_skips_a_copy_whose_create_failed_and_defers_its_deletes(void **state)
{
	struct fx *f = *state;
	json_t *mut, *calls, *snap;
	size_t create;

	seed_orders(6, 9, false);
	make_plan(f, ORDERS, false);
	create = find(f->plan, SK_ACTION_CREATE, TODAY);
	emu_post(&emu, "faults", json_pack("{s:f, s:[s]}", "error500", 1.0, "actions", "CreateDBSnapshot"));
	assert_int_equal(apply(f, 4, true), 0);

	assert_outcome(f, create, SK_OUTCOME_FAILED);
	assert_contains(f->res.details[create], "InternalFailure");
	assert_outcome_of_kind(f, SK_ACTION_COPY, SK_OUTCOME_SKIPPED);
	assert_contains(f->res.details[find(f->plan, SK_ACTION_COPY, TODAY)], "source");
	/* the deletions made room for snapshots that were not made */
	assert_int_equal(count_kind(f->plan, SK_ACTION_DELETE), 6);
	assert_outcome_of_kind(f, SK_ACTION_DELETE, SK_OUTCOME_DEFERRED);
	/* what does not depend on the snapshot goes ahead */
	assert_outcome_of_kind(f, SK_ACTION_MODIFY, SK_OUTCOME_DONE);
	assert_outcome_of_kind(f, SK_ACTION_START_REPLICATION, SK_OUTCOME_DONE);
	assert_int_equal(f->res.failed, 1);
	assert_int_equal(f->res.skipped, 1);
	assert_int_equal(f->res.deferred, 6);

	mut = emu_mutating(&emu, f->since);
	assert_true(count_calls(mut, "CreateDBSnapshot") >= 1);
	assert_int_equal(count_calls(mut, "CopyDBSnapshot"), 0);
	assert_int_equal(count_calls(mut, "DeleteDBSnapshot"), 0);
	calls = emu_calls(&emu, f->since);
	assert_non_null(call_of(calls, "CreateDBSnapshot", TODAY));
	json_decref(calls);
	json_decref(mut);
	snap = emu_snapshot(&emu, "us-east-1", "snapkeep-db-a-20260302-0430");
	assert_non_null(snap);
	json_decref(snap);
}

static void test_apply_defers_deletes_when_a_foreign_snapshot_holds_the_name(void **state)
{
	struct fx *f = *state;
	json_t *mut, *snap;
	size_t create;

	seed_orders(6, 9, false);
	make_plan(f, ORDERS, false);
	create = find(f->plan, SK_ACTION_CREATE, TODAY);
	/* someone takes today's identifier after the plan was made */
	emu_post(&emu, "seed",
		 json_pack("{s:b, s:{s:{s:[{s:s, s:s, s:s, s:{s:s}}]}}}", "automatedHistory", 0, "regions", "us-east-1",
			   "snapshots", "id", TODAY, "instance", "db-a", "type", "manual", "tags", "Owner", "sre"));
	assert_int_equal(apply(f, 4, true), 0);

	assert_outcome(f, create, SK_OUTCOME_FAILED);
	assert_contains(f->res.details[create], "not owned by policy 'orders'");
	assert_outcome_of_kind(f, SK_ACTION_COPY, SK_OUTCOME_SKIPPED);
	assert_outcome_of_kind(f, SK_ACTION_DELETE, SK_OUTCOME_DEFERRED);
	mut = emu_mutating(&emu, f->since);
	assert_int_equal(count_calls(mut, "CopyDBSnapshot"), 0);
	assert_int_equal(count_calls(mut, "DeleteDBSnapshot"), 0);
	json_decref(mut);
	/* the other snapshot is left as it was */
	snap = emu_snapshot(&emu, "us-east-1", TODAY);
	assert_non_null(snap);
	assert_string_equal(json_string_value(json_object_get(json_object_get(snap, "tags"), "Owner")), "sre");
	assert_null(json_object_get(json_object_get(snap, "tags"), "snapkeep:policy"));
	json_decref(snap);
}

/* ---- outcomes and details ---- */

static const char *const API_OF[] = {
	[SK_ACTION_MODIFY] = "ModifyDBInstance",
	[SK_ACTION_START_REPLICATION] = "StartDBInstanceAutomatedBackupsReplication",
	[SK_ACTION_STOP_REPLICATION] = "StopDBInstanceAutomatedBackupsReplication",
	[SK_ACTION_CREATE] = "CreateDBSnapshot",
	[SK_ACTION_COPY] = "CopyDBSnapshot",
	[SK_ACTION_DELETE] = "DeleteDBSnapshot",
};

static void test_apply_outcomes_are_done_then_already_done_on_a_second_apply(void **state)
{
	struct fx *f = *state;
	json_t *mut;
	size_t i;

	seed_orders(6, 9, false);
	make_plan(f, ORDERS, false);
	assert_int_equal(f->plan->n_actions, 10);
	assert_int_equal(apply(f, 4, true), 0);
	assert_int_equal(f->res.done, 10);
	assert_int_equal(f->n_outcomes, 10);
	assert_false(f->res.interrupted);
	/* a done action's detail is the RequestId of its call */
	mut = emu_mutating(&emu, f->since);
	for (i = 0; i < f->plan->n_actions; i++) {
		const struct sk_action *a = &f->plan->actions[i];
		const char *target = a->kind == SK_ACTION_START_REPLICATION ? "db-a" : a->target;
		const json_t *c = call_of(mut, API_OF[a->kind], target);
		if (!c)
			fail_msg("no %s call for %s", API_OF[a->kind], target);
		assert_non_null(f->res.details[i]);
		assert_string_equal(f->res.details[i], json_string_value(json_object_get(c, "requestId")));
	}
	json_decref(mut);

	/* the same plan again: every change is there already */
	assert_int_equal(apply(f, 4, true), 0);
	assert_outcome_of_kind(f, SK_ACTION_CREATE, SK_OUTCOME_ALREADY);
	assert_outcome_of_kind(f, SK_ACTION_COPY, SK_OUTCOME_ALREADY);
	assert_outcome_of_kind(f, SK_ACTION_DELETE, SK_OUTCOME_ALREADY);
	assert_outcome_of_kind(f, SK_ACTION_START_REPLICATION, SK_OUTCOME_ALREADY);
	assert_int_equal(f->res.failed, 0);
	assert_int_equal(f->res.already, 9);
	mut = emu_mutating(&emu, f->since);
	assert_string_equal(json_string_value(json_object_get(call_of(mut, "CreateDBSnapshot", TODAY), "error")),
			    "DBSnapshotAlreadyExists");
	json_decref(mut);
}

static void test_apply_failure_detail_has_the_aws_code_message_and_request_id(void **state)
{
	struct fx *f = *state;
	json_t *calls;
	const json_t *c;
	char rid[200];
	size_t create;

	seed_orders(6, 9, false);
	make_plan(f, ORDERS, false);
	create = find(f->plan, SK_ACTION_CREATE, TODAY);
	/* the region's quota shrinks to what it holds after the plan was made */
	emu_post(&emu, "config", json_pack("{s:{s:i, s:i}}", "snapshotQuota", "us-east-1", 8, "default", 100));
	assert_int_equal(apply(f, 4, true), 0);

	assert_outcome(f, create, SK_OUTCOME_FAILED);
	calls = emu_calls(&emu, f->since);
	assert_int_equal(count_calls(calls, "CreateDBSnapshot"), 1); /* a 400 is not retried */
	c = call_of(calls, "CreateDBSnapshot", TODAY);
	assert_non_null(c);
	assert_int_equal(json_integer_value(json_object_get(c, "status")), 400);
	assert_contains(f->res.details[create], "SnapshotQuotaExceeded");
	assert_contains(f->res.details[create], "Cannot create more than 8 manual snapshots");
	snprintf(rid, sizeof(rid), "RequestId %s", json_string_value(json_object_get(c, "requestId")));
	assert_contains(f->res.details[create], rid);
	json_decref(calls);
	assert_outcome_of_kind(f, SK_ACTION_COPY, SK_OUTCOME_SKIPPED);
	assert_outcome_of_kind(f, SK_ACTION_DELETE, SK_OUTCOME_DEFERRED);
}

static void test_apply_without_wait_defers_copies_of_new_snapshots_only(void **state)
{
	struct fx *f = *state;
	json_t *mut;
	size_t copy_new, copy_old;

	/* copies of 6..8 exist: the 9th is copied from an existing snapshot, today's from a new one */
	seed_orders(6, 8, false);
	make_plan(f, ORDERS, false);
	assert_int_equal(count_kind(f->plan, SK_ACTION_COPY), 2);
	copy_new = find(f->plan, SK_ACTION_COPY, TODAY);
	copy_old = find(f->plan, SK_ACTION_COPY, "snapkeep-db-a-20260309-0430");
	assert_int_equal(apply(f, 4, false), 0);

	assert_outcome_of_kind(f, SK_ACTION_CREATE, SK_OUTCOME_DONE);
	assert_outcome(f, copy_old, SK_OUTCOME_DONE);
	assert_outcome(f, copy_new, SK_OUTCOME_DEFERRED);
	assert_non_null(f->res.details[copy_new]);
	mut = emu_mutating(&emu, f->since);
	assert_int_equal(count_calls(mut, "CopyDBSnapshot"), 1);
	assert_non_null(call_of(mut, "CopyDBSnapshot", "snapkeep-db-a-20260309-0430-us-east-1"));
	json_decref(mut);
}

/* ---- concurrency and cancel ---- */

/*
 * The most DeleteDBSnapshot attempts in flight at once in region (NULL:
 * anywhere), from the client's own timings.  These are in milliseconds and
 * taken around the call, so an attempt's interval is trimmed by TRIM at
 * both ends: one thread's consecutive calls never seem to overlap, while
 * calls that really ran side by side (300 ms each) still do.
 */
#define TRIM 0.005

static bool counted(const struct attempt *a, const char *region)
{
	return !strcmp(a->action, "DeleteDBSnapshot") && (!region || !strcmp(a->region, region));
}

static size_t max_overlap(const struct fx *f, const char *region)
{
	size_t i, j, best = 0;

	for (i = 0; i < f->n_att; i++) {
		double at = f->att[i].start + TRIM;
		size_t n = 0;
		if (!counted(&f->att[i], region))
			continue;
		/* the attempts in flight just after attempt i started */
		for (j = 0; j < f->n_att; j++)
			if (counted(&f->att[j], region) && f->att[j].start + TRIM <= at && f->att[j].end - TRIM > at)
				n++;
		if (n > best)
			best = n;
	}
	return best;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The emulator's view: each DeleteDBSnapshot is held 300 ms after it
 * arrives ("wall"), so with at most 2 in flight the (k+2)th arrival comes
 * at least 300 ms after the kth.  The smallest such gap in region, in ms.
 */
static int64_t min_gap_of_third(const json_t *calls, const char *region)
{
	int64_t t[64], best = INT64_MAX;
	const json_t *c;
	size_t i, n = 0;

	json_array_foreach(calls, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "action")), "DeleteDBSnapshot") ||
		    strcmp(json_string_value(json_object_get(c, "region")), region) || n == 64)
			continue;
		assert_int_equal(sk_time_parse_rfc3339_ms(&t[n], json_string_value(json_object_get(c, "wall"))), 0);
		n++;
	}
	qsort(t, n, sizeof(t[0]), cmp_i64);
	for (i = 0; i + 2 < n; i++)
		if (t[i + 2] - t[i] < best)
			best = t[i + 2] - t[i];
	return best;
}

static void test_apply_keeps_at_most_concurrency_calls_in_flight_per_region(void **state)
{
	struct fx *f = *state;
	json_t *mut;
	const json_t *c;
	size_t i, east = 0, eu = 0;

	seed_fleet();
	make_plan(f, FLEET, true);
	assert_int_equal(count_kind(f->plan, SK_ACTION_DELETE), 12);
	assert_int_equal(f->plan->n_actions, 12);
	emu_post(&emu, "faults", json_pack("{s:i, s:[s]}", "latencyMs", 300, "actions", "DeleteDBSnapshot"));
	f->n_att = 0;
	assert_int_equal(apply(f, 2, true), 0);
	assert_int_equal(f->res.done, 12);

	mut = emu_mutating(&emu, f->since);
	json_array_foreach(mut, i, c) {
		assert_int_equal(json_integer_value(json_object_get(c, "status")), 200);
		east += !strcmp(json_string_value(json_object_get(c, "region")), "us-east-1");
		eu += !strcmp(json_string_value(json_object_get(c, "region")), "eu-west-1");
	}
	assert_int_equal(east, 6);
	assert_int_equal(eu, 6);
	/* as the emulator saw them (its stamps are in ms) */
	assert_true(min_gap_of_third(mut, "us-east-1") >= 299);
	assert_true(min_gap_of_third(mut, "eu-west-1") >= 299);
	json_decref(mut);
	/* as the client saw them */
	/* never more than 2 in flight in a region; with 300 ms each, 2 did overlap */
	assert_int_equal(max_overlap(f, "us-east-1"), 2);
	assert_int_equal(max_overlap(f, "eu-west-1"), 2);
	/* the bound is per region: the two regions ran side by side */
	assert_true(max_overlap(f, NULL) >= 3);
}

static void test_apply_cancelled_after_the_first_action_calls_nothing_more(void **state)
{
	struct fx *f = *state;
	json_t *calls;
	size_t i, modify;

	seed_orders(6, 9, false);
	make_plan(f, ORDERS, false);
	modify = find(f->plan, SK_ACTION_MODIFY, "db-a");
	f->cancel_after_first = true;
	assert_int_equal(apply(f, 1, true), 0);

	assert_true(f->res.interrupted);
	assert_outcome(f, modify, SK_OUTCOME_DONE);
	/* the rest were never attempted: skipped (deletes whose snapshot was not made: deferred) */
	for (i = 0; i < f->plan->n_actions; i++) {
		if (i == modify)
			continue;
		if (f->res.outcomes[i] != SK_OUTCOME_SKIPPED && f->res.outcomes[i] != SK_OUTCOME_DEFERRED)
			assert_outcome(f, i, SK_OUTCOME_SKIPPED);
		assert_non_null(f->res.details[i]);
	}
	assert_outcome_of_kind(f, SK_ACTION_START_REPLICATION, SK_OUTCOME_SKIPPED);
	assert_outcome_of_kind(f, SK_ACTION_CREATE, SK_OUTCOME_SKIPPED);
	assert_contains(f->res.details[find(f->plan, SK_ACTION_CREATE, TODAY)], "interrupted");
	assert_outcome_of_kind(f, SK_ACTION_COPY, SK_OUTCOME_SKIPPED);
	assert_int_equal(f->res.done, 1);
	assert_int_equal(f->res.skipped + f->res.deferred, f->plan->n_actions - 1);
	/* the modify was the last call of all: no other change, no waiting */
	calls = emu_calls(&emu, f->since);
	assert_int_equal(json_array_size(calls), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(calls, 0), "action")), "ModifyDBInstance");
	json_decref(calls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_runs_changes_then_replication_then_creates_copies_deletes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_skips_a_copy_whose_create_failed_and_defers_its_deletes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply_defers_deletes_when_a_foreign_snapshot_holds_the_name, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply_outcomes_are_done_then_already_done_on_a_second_apply, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply_failure_detail_has_the_aws_code_message_and_request_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply_without_wait_defers_copies_of_new_snapshots_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply_keeps_at_most_concurrency_calls_in_flight_per_region, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply_cancelled_after_the_first_action_calls_nothing_more, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
