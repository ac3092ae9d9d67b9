/*
 * test_apply_copies.c - what apply waits for, against the real emulator
 * (apply_fixture.h): copies of new snapshots without --wait, and at most
 * copiesInFlight copies in progress per destination region, the next
 * starting as earlier ones become available
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aws/rds.h"
#include "tests/unit/apply_fixture.h"

/* ---- copies of new snapshots ---- */

static void test_apply_without_wait_defers_copies_of_new_snapshots_only(void **state)
{
	struct fx *f = *state;
	json_t *mut;
	size_t copy_new, copy_old;

	/* copies of 6..8 exist: the 9th is copied from an existing snapshot, today's from a new one */
	plan_orders(f, 6, 8);
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

/* ---- copies in progress per destination region ---- */

static const char *const AT_ONCE_1 = "---\n"
				     "apiVersion: snapkeep/v1\n"
				     "kind: Settings\n"
				     "metadata: {name: settings}\n"
				     "spec: {copiesInFlight: 1}\n";

static void emu_config(json_t *cfg)
{
	json_t *j = emu_admin(&emu, "POST", "config", cfg);

	json_decref(cfg);
	assert_non_null(j);
	json_decref(j);
}

/* the index in calls of the first call of action in region (NULL: any), from index from; -1: none */
static long first_call(const json_t *calls, size_t from, const char *action, const char *region)
{
	size_t i;

	for (i = from; i < json_array_size(calls); i++) {
		const json_t *c = json_array_get(calls, i);
		if (!strcmp(json_string_value(json_object_get(c, "action")), action) &&
		    (!region || !strcmp(json_string_value(json_object_get(c, "region")), region)))
			return (long)i;
	}
	return -1;
}

static void test_apply_starts_the_next_copy_when_aws_refuses_one(void **state)
{
	struct fx *f = *state;
	json_t *calls;
	const json_t *c;
	size_t i, made = 0, refused = 0, last_ok = 0;

	/* copies of 6 and 7 exist: 8, 9 and today's are copied; AWS takes one copy at a time into us-west-2 */
	plan_orders(f, 6, 7);
	assert_int_equal(count_kind(f->plan, SK_ACTION_COPY), 3);
	assert_int_equal(f->plan->copies_at_once, 20);
	emu_config(json_pack("{s:i}", "copyLimit", 1));
	assert_int_equal(apply(f, 4, true), 0);

	/* one apply made the three, one after the other */
	assert_outcome_of_kind(f, SK_ACTION_COPY, SK_OUTCOME_DONE);
	assert_outcome_of_kind(f, SK_ACTION_DELETE, SK_OUTCOME_DONE);
	calls = emu_calls(&emu, f->since);
	json_array_foreach(calls, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "action")), "CopyDBSnapshot"))
			continue;
		if (json_integer_value(json_object_get(c, "status")) == 200) {
			/* each copy after the first started once a describe in us-west-2 saw the one before available */
			if (made++)
				assert_true(first_call(calls, last_ok + 1, "DescribeDBSnapshots", "us-west-2") < (long)i &&
					    first_call(calls, last_ok + 1, "DescribeDBSnapshots", "us-west-2") >= 0);
			last_ok = i;
		} else {
			assert_string_equal(json_string_value(json_object_get(c, "error")), "SnapshotQuotaExceeded");
			refused++;
		}
	}
	assert_int_equal(made, 3);
	assert_true(refused >= 1);
	/* once refused, the run keeps to what AWS allows: no more refusals than the first round's */
	assert_true(refused <= 2);
	json_decref(calls);
}

static void test_apply_gives_up_waiting_for_copies_and_defers_the_rest(void **state)
{
	struct fx *f = *state;
	char yaml[2048];
	json_t *mut;
	size_t i, copy_today;

	seed_orders(6, 7, false);
	snprintf(yaml, sizeof(yaml), "%s%s", EMU_ORDERS, AT_ONCE_1);
	make_plan(f, yaml, false);
	assert_int_equal(f->plan->copies_at_once, 1);
	assert_int_equal(count_kind(f->plan, SK_ACTION_COPY), 3);
	copy_today = find(f->plan, SK_ACTION_COPY, TODAY);
	/* copies never finish */
	emu_config(json_pack("{s:n, s:i}", "copySeconds", "copyDescribes", 0));
	f->wait_timeout = 1;
	assert_int_equal(apply(f, 4, true), 0);

	/* the newest source's copy went first; the other two waited for it, then the wait timed out */
	assert_outcome(f, copy_today, SK_OUTCOME_DONE);
	for (i = 0; i < f->plan->n_actions; i++)
		if (f->plan->actions[i].kind == SK_ACTION_COPY && i != copy_today) {
			assert_outcome(f, i, SK_OUTCOME_DEFERRED);
			assert_contains(f->res.details[i], "gave up waiting after 1 s");
		}
	/* the us-west-2 deletions made room for copies that were not made: held */
	for (i = 0; i < f->plan->n_actions; i++)
		if (f->plan->actions[i].kind == SK_ACTION_DELETE && !strcmp(f->plan->actions[i].region, "us-west-2"))
			assert_outcome(f, i, SK_OUTCOME_DEFERRED);
	assert_false(f->res.interrupted);
	mut = emu_mutating(&emu, f->since);
	assert_int_equal(count_calls(mut, "CopyDBSnapshot"), 1);
	json_decref(mut);
}

static void test_apply_counts_copies_arriving_before_the_run(void **state)
{
	struct fx *f = *state;
	struct sk_rds_copy cp;
	struct sk_aws_error err;
	char yaml[2048];
	json_t *calls, *mut;
	const json_t *poll;
	size_t copy_today, copy_9, k;
	long first_copy, polled = -1;

	/* copies of 6..8 exist; someone's copy is on its way into us-west-2 (available on its 2nd describe there) */
	seed_orders(6, 8, false);
	emu_config(json_pack("{s:n, s:i}", "copySeconds", "copyDescribes", 2));
	memset(&cp, 0, sizeof(cp));
	cp.source_region = "us-east-1";
	cp.source_arn = "arn:aws:rds:us-east-1:" EMU_ACCOUNT ":snapshot:snapkeep-db-a-20260305-0430";
	cp.target_id = "operator-copy";
	if (sk_rds_copy_snapshot(f->s.client, "us-west-2", false, &cp, NULL, NULL, &err) < 0)
		fail_msg("%s", sk_error_message());
	snprintf(yaml, sizeof(yaml), "%s%s", EMU_ORDERS, AT_ONCE_1);
	make_plan(f, yaml, false);
	copy_today = find(f->plan, SK_ACTION_COPY, TODAY);
	copy_9 = find(f->plan, SK_ACTION_COPY, "snapkeep-db-a-20260309-0430");
	for (k = 0; k < f->plan->n_regions && strcmp(f->plan->regions[k].region, "us-west-2"); k++)
		;
	assert_true(k < f->plan->n_regions);
	assert_int_equal(f->plan->regions[k].n_arriving, 1);
	assert_string_equal(f->plan->regions[k].arriving[0], "operator-copy");

	/* without waiting: the one in progress fills us-west-2, nothing is copied */
	assert_int_equal(apply(f, 4, false), 0);
	assert_outcome(f, copy_9, SK_OUTCOME_DEFERRED);
	assert_contains(f->res.details[copy_9], "--no-wait: 1 copy is in progress into us-west-2, at most 1 at once");
	assert_outcome(f, copy_today, SK_OUTCOME_DEFERRED);
	mut = emu_mutating(&emu, f->since);
	assert_int_equal(count_calls(mut, "CopyDBSnapshot"), 0);
	json_decref(mut);

	/* waiting: the copies start once that one is available, the newest source first */
	assert_int_equal(apply(f, 4, true), 0);
	assert_outcome(f, copy_today, SK_OUTCOME_DONE);
	assert_outcome(f, copy_9, SK_OUTCOME_DONE);
	calls = emu_calls(&emu, f->since);
	first_copy = first_call(calls, 0, "CopyDBSnapshot", NULL);
	assert_true(first_copy >= 0);
	assert_string_equal(emu_call_target(json_array_get(calls, (size_t)first_copy)),
			    f->plan->actions[copy_today].target);
	/* before it, apply asked us-west-2 about the copy in progress, by its identifier */
	for (k = 0; k < (size_t)first_copy; k++) {
		poll = json_array_get(calls, k);
		if (!strcmp(json_string_value(json_object_get(poll, "action")), "DescribeDBSnapshots") &&
		    !strcmp(json_string_value(json_object_get(poll, "region")), "us-west-2") &&
		    json_object_get(json_object_get(poll, "params"), "Filters.Filter.1.Values.Value.1") &&
		    !strcmp(json_string_value(json_object_get(json_object_get(poll, "params"),
							     "Filters.Filter.1.Values.Value.1")),
			    "operator-copy"))
			polled = (long)k;
	}
	assert_true(polled >= 0 && polled < first_copy);
	json_decref(calls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_without_wait_defers_copies_of_new_snapshots_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_starts_the_next_copy_when_aws_refuses_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_gives_up_waiting_for_copies_and_defers_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_counts_copies_arriving_before_the_run, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, emu_group_teardown);
}
