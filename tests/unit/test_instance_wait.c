/*
 * test_instance_wait.c - waiting for an instance to be available or gone
 * (reconciler/engine/instance_wait.c) against the real emulator
 *
 * The emulator's clock is frozen, so a restored instance becomes available
 * only on the Nth DescribeDBInstances (restoreDescribes): the tests count
 * polls, never sleep on a timer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/rds.h"
#include "common/error.h"
#include "reconciler/engine/instance_wait.h"
#include "reconciler/engine/session.h"
#include "tests/unit/emulator_fixture.h"

#define NOW "2026-03-10T05:00:00Z"

struct fx {
	struct sk_session s;
	size_t polls;
	char statuses[512]; /* every status the callback saw, comma-separated */
	bool saw_done;
	char endpoint_class[64];
	volatile sig_atomic_t cancel;
	size_t cancel_after; /* set cancel on this poll (0: never) */
};

static json_t *seed(void)
{
	return json_pack("{s:b, s:{s:{s:[{s:s, s:i, s:s, s:s, s:s}, {s:s, s:i, s:s}]}}}", "automatedHistory", 0,
			 "regions", "us-east-1", "instances", "id", "db-a", "backupRetentionPeriod", 7,
			 "preferredBackupWindow", "03:00-04:00", "preferredMaintenanceWindow", "sun:05:00-sun:06:00",
			 "created", "2026-03-01T00:00:00Z", "id", "db-broken", "backupRetentionPeriod", 1, "status",
			 "incompatible-restore");
}

static int group_setup(void **state)
{
	(void)state;
	return emu_group_start(NOW);
}

static int setup(void **state)
{
	struct sk_session_opts so = SK_SESSION_OPTS_INIT;
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	if (emu_reset_quick(&emu) < 0 || emu_try_post(&emu, "seed", seed()) < 0 ||
	    emu_try_post(&emu, "config", json_pack("{s:n, s:i}", "restoreSeconds", "restoreDescribes", 3)) < 0)
		return -1;
	return emu_session_open(&f->s, &so);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sk_session_close(&f->s);
	free(f);
	return 0;
}

static void on_poll(void *ud, const struct sk_instance_poll *p)
{
	struct fx *f = ud;
	size_t n = strlen(f->statuses);

	f->polls++;
	assert_string_equal(p->region, "us-east-1");
	snprintf(f->statuses + n, sizeof(f->statuses) - n, "%s%s", n ? "," : "", p->status ? p->status : "?");
	if (p->done)
		f->saw_done = true;
	if (p->inst)
		snprintf(f->endpoint_class, sizeof(f->endpoint_class), "%s", p->inst->instance_class);
	if (f->cancel_after && f->polls == f->cancel_after)
		f->cancel = SIGTERM;
}

static void opts_for(struct fx *f, struct sk_instance_wait_opts *o)
{
	o->poll_ms = 5;
	o->max_poll_ms = 20;
	o->timeout = 30;
	o->cancel = &f->cancel;
	o->on_poll = on_poll;
	o->ud = f;
}

static void restore_db_b(struct fx *f)
{
	struct sk_rds_restore r;
	struct sk_aws_error err;

	memset(&r, 0, sizeof(r));
	r.instance_id = "db-b";
	r.source_instance = "db-a";
	r.instance_class = "db.t3.micro";
	if (sk_rds_restore_to_point_in_time(f->s.client, "us-east-1", &r, NULL, NULL, &err) < 0)
		fail_msg("restore: %s", sk_error_message());
}

/* db-b restored, and creating for as long as the test waits */
static void restore_stuck(struct fx *f, struct sk_instance_wait_opts *o)
{
	emu_post(&emu, "config", json_pack("{s:i}", "restoreDescribes", 0));
	restore_db_b(f);
	opts_for(f, o);
}

static void test_instance_wait_available_after_creating(void **state)
{
	struct fx *f = *state;
	struct sk_instance_wait_opts o = SK_INSTANCE_WAIT_OPTS_INIT;
	struct sk_instance_wait_result res;

	restore_db_b(f);
	opts_for(f, &o);
	assert_int_equal(sk_instance_wait(&res, f->s.client, "us-east-1", "db-b", SK_INSTANCE_WANT_AVAILABLE, &o), 0);
	assert_int_equal(res.end, SK_INSTANCE_WAIT_REACHED);
	assert_string_equal(res.status, "available");
	/* the third describe makes it available: two polls saw it creating */
	assert_string_equal(f->statuses, "creating,creating,available");
	assert_true(f->saw_done);
	assert_string_equal(f->endpoint_class, "db.t3.micro");
}

static void test_instance_wait_deleted(void **state)
{
	struct fx *f = *state;
	struct sk_instance_wait_opts o = SK_INSTANCE_WAIT_OPTS_INIT;
	struct sk_instance_wait_result res;
	struct sk_aws_error err;

	opts_for(f, &o);
	assert_int_equal(sk_rds_delete_db_instance(f->s.client, "us-east-1", "db-a", true, NULL, true, &err), 0);
	assert_int_equal(sk_instance_wait(&res, f->s.client, "us-east-1", "db-a", SK_INSTANCE_WANT_DELETED, &o), 0);
	assert_int_equal(res.end, SK_INSTANCE_WAIT_REACHED);
	assert_string_equal(res.status, "deleted");
	assert_true(f->saw_done);
}

static void test_instance_wait_deleted_waits_while_it_is_there(void **state)
{
	struct fx *f = *state;
	struct sk_instance_wait_opts o = SK_INSTANCE_WAIT_OPTS_INIT;
	struct sk_instance_wait_result res;

	opts_for(f, &o);
	o.timeout = 1;
	assert_int_equal(sk_instance_wait(&res, f->s.client, "us-east-1", "db-a", SK_INSTANCE_WANT_DELETED, &o), SK_ERROR);
	assert_int_equal(res.end, SK_INSTANCE_WAIT_TIMEOUT);
	assert_string_equal(sk_error_message(), "gave up waiting for db instance 'db-a' in us-east-1 to be deleted after "
						"1 s (it is available)");
	assert_false(f->saw_done);
	assert_true(f->polls >= 2);
}

static void test_instance_wait_times_out_naming_the_status(void **state)
{
	struct fx *f = *state;
	struct sk_instance_wait_opts o = SK_INSTANCE_WAIT_OPTS_INIT;
	struct sk_instance_wait_result res;

	restore_stuck(f, &o);
	o.timeout = 1;
	assert_int_equal(sk_instance_wait(&res, f->s.client, "us-east-1", "db-b", SK_INSTANCE_WANT_AVAILABLE, &o),
			 SK_ERROR);
	assert_int_equal(res.end, SK_INSTANCE_WAIT_TIMEOUT);
	assert_string_equal(res.status, "creating");
	assert_string_equal(sk_error_message(), "gave up waiting for db instance 'db-b' in us-east-1 to be available "
						"after 1 s (it is creating)");
	assert_true(res.elapsed_ms >= 1000 && res.elapsed_ms < 5000);
}

static void test_instance_wait_cancelled(void **state)
{
	struct fx *f = *state;
	struct sk_instance_wait_opts o = SK_INSTANCE_WAIT_OPTS_INIT;
	struct sk_instance_wait_result res;

	restore_stuck(f, &o);
	o.poll_ms = o.max_poll_ms = 60000; /* the cancel flag, not the interval, ends the nap */
	f->cancel_after = 1;
	assert_int_equal(sk_instance_wait(&res, f->s.client, "us-east-1", "db-b", SK_INSTANCE_WANT_AVAILABLE, &o),
			 SK_EINTERRUPTED);
	assert_int_equal(res.end, SK_INSTANCE_WAIT_CANCELLED);
	assert_int_equal(f->polls, 1);
	assert_true(res.elapsed_ms < 5000);
	assert_string_equal(sk_error_message(), "interrupted while waiting for db instance 'db-b' in us-east-1 to be "
						"available");
}

static void test_instance_wait_stops_at_a_dead_end_status(void **state)
{
	struct fx *f = *state;
	struct sk_instance_wait_opts o = SK_INSTANCE_WAIT_OPTS_INIT;
	struct sk_instance_wait_result res;

	opts_for(f, &o);
	assert_int_equal(sk_instance_wait(&res, f->s.client, "us-east-1", "db-broken", SK_INSTANCE_WANT_AVAILABLE, &o),
			 SK_ERROR);
	assert_int_equal(res.end, SK_INSTANCE_WAIT_FAILED);
	assert_int_equal(f->polls, 1);
	assert_string_equal(sk_error_message(),
			    "db instance 'db-broken' in us-east-1 is incompatible-restore: it will not become available");
}

static void test_instance_wait_gives_up_on_a_failing_describe(void **state)
{
	struct fx *f = *state;
	struct sk_instance_wait_opts o = SK_INSTANCE_WAIT_OPTS_INIT;
	struct sk_instance_wait_result res;

	restore_db_b(f);
	emu_post(&emu, "faults", json_pack("{s:f, s:[s]}", "error500", 1.0, "actions", "DescribeDBInstances"));
	opts_for(f, &o);
	assert_int_equal(sk_instance_wait(&res, f->s.client, "us-east-1", "db-b", SK_INSTANCE_WANT_AVAILABLE, &o),
			 SK_ERROR);
	assert_int_equal(res.end, SK_INSTANCE_WAIT_ERROR);
	assert_int_equal(f->polls, 3);
	assert_non_null(strstr(sk_error_message(), "while waiting for db instance 'db-b' in us-east-1 to be available: "));
	emu_post(&emu, "faults", json_object());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_instance_wait_available_after_creating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instance_wait_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instance_wait_deleted_waits_while_it_is_there, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instance_wait_times_out_naming_the_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instance_wait_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instance_wait_stops_at_a_dead_end_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instance_wait_gives_up_on_a_failing_describe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, emu_group_teardown);
}
