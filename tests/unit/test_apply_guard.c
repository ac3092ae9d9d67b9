/*
 * test_apply_guard.c - apply checks every action against live state and
 * the policies, whoever made the plan (engine/guard.c), against the real
 * emulator (apply_fixture.h): what it refuses calls nothing and is journaled
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/stat.h>

#include "tests/unit/apply_fixture.h"

/* a manual snapshot of db-a in us-east-1 with these tags (policy, instance: NULL leaves the tag out) */
static void seed_foreign(const char *id, const char *policy, const char *inst)
{
	json_t *tags = json_pack("{s:s}", "Owner", "dba");

	if (policy)
		json_object_set_new(tags, "snapkeep:policy", json_string(policy));
	if (inst)
		json_object_set_new(tags, "snapkeep:instance", json_string(inst));
	emu_post(&emu, "seed",
		 json_pack("{s:b, s:{s:{s:[{s:s, s:s, s:s, s:s, s:s, s:o}]}}}", "automatedHistory", 0, "regions",
			   "us-east-1", "snapshots", "id", id, "instance", "db-a", "type", "manual", "created",
			   "2026-03-01T01:00:00Z", "status", "available", "tags", tags));
}

/* the journal's records, copied */
static int collect(void *ud, const struct sk_journal_record *r)
{
	json_array_append_new(ud, json_deep_copy(r->json));
	return 0;
}

/* no mutating call at all was about target */
static void assert_no_call_on(const struct fx *f, const char *target)
{
	json_t *mut = emu_mutating(&emu, f->since), *c;
	size_t i;

	json_array_foreach(mut, i, c)
		if (!strcmp(emu_call_target(c), target))
			fail_msg("%s was called on '%s'", json_string_value(json_object_get(c, "action")), target);
	json_decref(mut);
}

static void assert_refused(const struct fx *f, size_t i, const char *why)
{
	assert_outcome(f, i, SK_OUTCOME_FAILED);
	assert_contains(f->res.details[i], "refused ");
	assert_contains(f->res.details[i], why);
	assert_contains(f->res.details[i], "no call was made");
}

static void test_apply_refuses_a_delete_of_a_snapshot_nobody_owns_and_journals_it(void **state)
{
	struct fx *f = *state;
	char dir[320];
	json_t *records, *r, *snap;
	size_t del, i, intents = 0, outcomes = 0;

	seed_orders(6, 9, false);
	seed_foreign("precious-manual-keep", NULL, NULL);
	make_plan(f, EMU_ORDERS, false);
	del = find(f->plan, SK_ACTION_DELETE, "snapkeep-db-a-20260302");
	f->plan->actions[del].target = "precious-manual-keep";
	snprintf(dir, sizeof(dir), "%s/journal-refused", emu.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(sk_journal_open(&f->journal, dir), 0);
	assert_int_equal(apply(f, 4, true), 0);

	assert_refused(f, del, "snapshot 'precious-manual-keep' in us-east-1: it is not owned by policy 'orders' for "
			       "instance 'db-a': it carries no snapkeep:policy tag");
	assert_int_equal(f->res.failed, 1);
	assert_no_call_on(f, "precious-manual-keep");
	snap = emu_snapshot(&emu, "us-east-1", "precious-manual-keep");
	assert_non_null(snap);
	json_decref(snap);
	/* the rest of the plan went ahead: the check is per action */
	assert_int_equal(f->res.done, f->plan->n_actions - 1);
	/* the journal has the intent and its closing outcome: failed, no RequestId, the reason */
	records = json_array();
	assert_int_equal(sk_journal_read(dir, NULL, collect, records, NULL), 0);
	json_array_foreach(records, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "target")), "precious-manual-keep"))
			continue;
		if (!strcmp(json_string_value(json_object_get(r, "type")), "intent")) {
			intents++;
		} else {
			outcomes++;
			assert_string_equal(json_string_value(json_object_get(r, "result")), "failed");
			assert_null(json_object_get(r, "requestId"));
			assert_contains(json_string_value(json_object_get(r, "detail")), "not owned by policy 'orders'");
		}
	}
	assert_int_equal(intents, 1);
	assert_int_equal(outcomes, 1);
	json_decref(records);
}

static void test_apply_refuses_a_delete_of_another_policys_snapshot_and_of_the_newest(void **state)
{
	struct fx *f = *state;
	size_t del, del2;

	seed_orders(6, 9, false);
	seed_foreign("snapkeep-db-a-20260301-0430", "billing", "db-a");
	make_plan(f, EMU_ORDERS, false);
	del = find(f->plan, SK_ACTION_DELETE, "snapkeep-db-a-20260302");
	del2 = find(f->plan, SK_ACTION_DELETE, "snapkeep-db-a-20260303");
	f->plan->actions[del].target = "snapkeep-db-a-20260301-0430";
	/* the newest available snapshot 'orders' owns of db-a in us-east-1 */
	f->plan->actions[del2].target = "snapkeep-db-a-20260309-0430";
	assert_int_equal(apply(f, 4, true), 0);

	assert_refused(f, del, "its tags name policy 'billing' and instance 'db-a'");
	assert_refused(f, del2, "it is the newest available snapshot of instance 'db-a' that policy 'orders' owns in "
				"us-east-1");
	assert_no_call_on(f, "snapkeep-db-a-20260301-0430");
	assert_no_call_on(f, "snapkeep-db-a-20260309-0430");
	assert_int_equal(f->res.failed, 2);
}

static void test_apply_refuses_a_modify_of_an_instance_no_policy_selects(void **state)
{
	struct fx *f = *state;
	json_t *mut;
	size_t mod;

	seed_orders(6, 9, true); /* db-b exists; 'orders' selects only db-a */
	make_plan(f, EMU_ORDERS, false);
	mod = find(f->plan, SK_ACTION_MODIFY, "db-a");
	f->plan->actions[mod].target = "db-b";
	f->plan->actions[mod].instance = "db-b";
	f->plan->actions[mod].retention = 0;
	assert_int_equal(apply(f, 4, true), 0);

	assert_refused(f, mod, "refused modify of instance 'db-b' in us-east-1: policy 'orders' does not select "
			       "instance 'db-b' in us-east-1");
	mut = emu_mutating(&emu, f->since);
	assert_int_equal(count_calls(mut, "ModifyDBInstance"), 0);
	json_decref(mut);
	assert_no_call_on(f, "db-b");
}

static void test_apply_refuses_a_create_for_a_policy_that_does_not_exist(void **state)
{
	struct fx *f = *state;
	json_t *mut;
	size_t create;

	plan_orders(f, 6, 9);
	create = find(f->plan, SK_ACTION_CREATE, TODAY);
	f->plan->actions[create].policy = "ghost";
	assert_int_equal(apply(f, 4, true), 0);

	assert_refused(f, create, "policy 'ghost' is not among the policies");
	mut = emu_mutating(&emu, f->since);
	assert_int_equal(count_calls(mut, "CreateDBSnapshot"), 0);
	/* its copy had nothing to copy, and the deletes it made room for wait */
	assert_int_equal(count_calls(mut, "CopyDBSnapshot"), 0);
	assert_int_equal(count_calls(mut, "DeleteDBSnapshot"), 0);
	json_decref(mut);
	assert_outcome_of_kind(f, SK_ACTION_COPY, SK_OUTCOME_SKIPPED);
}

static void test_apply_refuses_a_copy_of_a_snapshot_the_policy_does_not_own(void **state)
{
	struct fx *f = *state;
	size_t copy, copy_new;

	seed_orders(6, 8, false); /* the 9th is copied from an existing snapshot */
	seed_foreign("precious-manual-keep", NULL, NULL);
	make_plan(f, EMU_ORDERS, false);
	copy = find(f->plan, SK_ACTION_COPY, "snapkeep-db-a-20260309-0430");
	f->plan->actions[copy].source_snapshot = "precious-manual-keep";
	f->plan->actions[copy].source_arn = "arn:aws:rds:us-east-1:" EMU_ACCOUNT ":snapshot:precious-manual-keep";
	/* the copy of today's new snapshot keeps its source's name but would copy another ARN */
	copy_new = find(f->plan, SK_ACTION_COPY, TODAY);
	assert_true(f->plan->actions[copy_new].depends_on > 0);
	f->plan->actions[copy_new].source_arn = "arn:aws:rds:us-east-1:" EMU_ACCOUNT ":snapshot:precious-manual-keep";
	assert_int_equal(apply(f, 4, true), 0);

	assert_refused(f, copy, "its source is not a snapshot of instance 'db-a' that policy 'orders' owns: it carries "
				"no snapkeep:policy tag");
	assert_refused(f, copy_new, "its source ARN 'arn:aws:rds:us-east-1:" EMU_ACCOUNT ":snapshot:precious-manual-keep' "
				    "is not the ARN of snapshot '" TODAY "' in us-east-1");
	assert_no_call_on(f, f->plan->actions[copy].target);
	assert_no_call_on(f, f->plan->actions[copy_new].target);
	/* today's snapshot itself was made: only the copies were refused */
	assert_outcome_of_kind(f, SK_ACTION_CREATE, SK_OUTCOME_DONE);
}

static void test_apply_makes_no_suspended_action_and_journals_each(void **state)
{
	struct fx *f = *state;
	char dir[320];
	json_t *records, *r, *mut;
	size_t i, outcomes = 0;

	plan_orders(f, 6, 9);
	assert_true(f->plan->n_actions > 2);
	for (i = 0; i < f->plan->n_actions; i++)
		f->plan->actions[i].suspended = true; /* as the planner marks a suspended policy's actions */
	snprintf(dir, sizeof(dir), "%s/journal-suspended", emu.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(sk_journal_open(&f->journal, dir), 0);
	assert_int_equal(apply(f, 4, true), 0);

	assert_int_equal(f->res.suspended, f->plan->n_actions);
	assert_int_equal(f->res.done + f->res.failed + f->res.skipped + f->res.deferred, 0);
	for (i = 0; i < f->plan->n_actions; i++) {
		assert_outcome(f, i, SK_OUTCOME_SUSPENDED);
		assert_contains(f->res.details[i], "its policy is suspended (spec.suspend: true): no call was made");
	}
	mut = emu_mutating(&emu, f->since);
	assert_int_equal(json_array_size(mut), 0);
	json_decref(mut);
	records = json_array();
	assert_int_equal(sk_journal_read(dir, NULL, collect, records, NULL), 0);
	json_array_foreach(records, i, r) {
		if (!strcmp(json_string_value(json_object_get(r, "type")), "intent"))
			continue;
		outcomes++;
		assert_string_equal(json_string_value(json_object_get(r, "result")), "suspended");
	}
	assert_int_equal(outcomes, f->plan->n_actions);
	json_decref(records);
}

static void test_apply_refuses_an_unmarked_action_of_a_suspended_policy(void **state)
{
	struct fx *f = *state;
	json_t *mut;
	size_t i;

	plan_orders(f, 6, 9);
	/* a plan made elsewhere that does not say its policy is suspended */
	f->set->policies[0].suspend = true;
	assert_int_equal(apply(f, 4, true), 0);

	for (i = 0; i < f->plan->n_actions; i++)
		if (f->plan->actions[i].kind != SK_ACTION_COPY && f->plan->actions[i].kind != SK_ACTION_DELETE)
			assert_refused(f, i, "policy 'orders' is suspended (spec.suspend: true)");
	assert_int_equal(f->res.done + f->res.already, 0);
	mut = emu_mutating(&emu, f->since);
	assert_int_equal(json_array_size(mut), 0);
	json_decref(mut);
}

static void test_apply_without_an_inventory_refuses_every_action(void **state)
{
	struct fx *f = *state;
	json_t *mut;
	size_t i;

	plan_orders(f, 6, 9);
	f->no_inventory = true;
	assert_int_equal(apply(f, 4, true), 0);

	mut = emu_mutating(&emu, f->since);
	assert_int_equal(json_array_size(mut), 0);
	json_decref(mut);
	for (i = 0; i < f->plan->n_actions; i++) {
		const struct sk_action *a = &f->plan->actions[i];
		/* a copy of a create that was refused is skipped; the deletes wait for what they made room for */
		if (a->kind == SK_ACTION_COPY || a->kind == SK_ACTION_DELETE)
			continue;
		assert_refused(f, i, "apply was given no live inventory and policies to check it against");
	}
	assert_int_equal(f->res.done, 0);
}

static void test_apply_without_an_inventory_deletes_nothing(void **state)
{
	struct fx *f = *state;
	json_t *mut;

	/* no creates and no copies: only deletes, so they are not held back for anything */
	seed_fleet();
	make_plan(f, FLEET, true);
	assert_int_equal(count_kind(f->plan, SK_ACTION_DELETE), f->plan->n_actions);
	f->no_inventory = true;
	assert_int_equal(apply(f, 4, true), 0);

	mut = emu_mutating(&emu, f->since);
	assert_int_equal(count_calls(mut, "DeleteDBSnapshot"), 0);
	json_decref(mut);
	assert_int_equal(f->res.failed, f->plan->n_actions);
	assert_refused(f, 0, "no live inventory and policies to check it against (nothing is deleted unchecked)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_refuses_a_delete_of_a_snapshot_nobody_owns_and_journals_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_refuses_a_delete_of_another_policys_snapshot_and_of_the_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_refuses_a_modify_of_an_instance_no_policy_selects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_makes_no_suspended_action_and_journals_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_refuses_an_unmarked_action_of_a_suspended_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_refuses_a_create_for_a_policy_that_does_not_exist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_refuses_a_copy_of_a_snapshot_the_policy_does_not_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_without_an_inventory_refuses_every_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_without_an_inventory_deletes_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, emu_group_teardown);
}
