/*
 * test_apply.c - apply's steps against the real emulator (apply_fixture.h):
 * their order and what depends on what, the outcomes and their details,
 * at most so many calls at once per region, and a cancel
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aws/rds.h"
#include "tests/unit/apply_fixture.h"

static const char *const BILLING = "---\n"
				   "apiVersion: snapkeep/v1\n"
				   "kind: BackupPolicy\n"
				   "metadata: {name: billing}\n"
				   "spec:\n"
				   "  regions: [us-east-1]\n"
				   "  selector: {instances: [db-b]}\n"
				   "  automated:\n"
				   "    replicate: false\n";

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
	snprintf(both, sizeof(both), "%s%s", EMU_ORDERS, BILLING);
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

	plan_orders(f, 6, 9);
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

	plan_orders(f, 6, 9);
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

	plan_orders(f, 6, 9);
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

	plan_orders(f, 6, 9);
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

	plan_orders(f, 6, 9);
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
		cmocka_unit_test_setup_teardown(test_apply_runs_changes_then_replication_then_creates_copies_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_skips_a_copy_whose_create_failed_and_defers_its_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_defers_deletes_when_a_foreign_snapshot_holds_the_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_outcomes_are_done_then_already_done_on_a_second_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_failure_detail_has_the_aws_code_message_and_request_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_keeps_at_most_concurrency_calls_in_flight_per_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_cancelled_after_the_first_action_calls_nothing_more, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, emu_group_teardown);
}
