/*
 * test_loop.c - the run loop's schedule, on a fake clock
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "reconciler/service/loop.h"

#define MAX_CYCLES 256

struct fake {
	int64_t now;
	int64_t starts[MAX_CYCLES];
	int n_cycles;
	int results[MAX_CYCLES]; /* what cycle i returns */
	int fail_all;
	int stop_after;       /* set cancel inside this cycle (1-based); 0: never */
	int64_t cycle_ms;     /* how long a cycle takes */
	int64_t cancel_at;    /* set cancel once the clock reaches it; 0: never */
	int64_t hup_at;
	int64_t ref_moves_at; /* the ref's commit changes then; 0: never */
	int64_t ref_fails_until;
	int polls, reloads, sleeps;
	int64_t longest_sleep;
	int64_t new_interval; /* reload sets this interval */
	struct sk_loop_opts *opts;
	volatile sig_atomic_t cancel, hup;
};

static int64_t fake_now(void *ud)
{
	return ((struct fake *)ud)->now;
}

static void fire(struct fake *f)
{
	if (f->cancel_at && f->now >= f->cancel_at)
		f->cancel = 1;
	if (f->hup_at && f->now >= f->hup_at) {
		f->hup = 1;
		f->hup_at = 0;
	}
}

static void fake_sleep(void *ud, int64_t ms)
{
	struct fake *f = ud;

	assert_true(ms > 0);
	f->sleeps++;
	if (ms > f->longest_sleep)
		f->longest_sleep = ms;
	f->now += ms;
	fire(f);
}

static int fake_cycle(void *ud)
{
	struct fake *f = ud;
	int i = f->n_cycles;

	assert_true(i < MAX_CYCLES);
	f->starts[f->n_cycles++] = f->now;
	f->now += f->cycle_ms;
	fire(f);
	if (f->stop_after && f->n_cycles >= f->stop_after)
		f->cancel = 1;
	return f->fail_all ? -1 : f->results[i];
}

static int fake_poll(void *ud, char commit[41])
{
	struct fake *f = ud;

	f->polls++;
	if (f->now < f->ref_fails_until)
		return sk_error_set(SK_ERR_GIT, "remote unreachable");
	memset(commit, f->ref_moves_at && f->now >= f->ref_moves_at ? 'b' : 'a', 40);
	commit[40] = '\0';
	return 0;
}

static void fake_reload(void *ud)
{
	struct fake *f = ud;

	f->reloads++;
	if (f->new_interval)
		f->opts->interval_ms = f->new_interval;
}

static void setup(struct fake *f, struct sk_loop_opts *o, int64_t interval)
{
	struct sk_loop_opts init = SK_LOOP_OPTS_INIT;

	memset(f, 0, sizeof(*f));
	f->now = 1000000;
	*o = init;
	o->cycle = fake_cycle;
	o->poll_ref = fake_poll;
	o->reload = fake_reload;
	o->ud = f;
	o->interval_ms = interval;
	o->jitter = 0;
	o->seed = 42;
	o->cancel = &f->cancel;
	o->reload_flag = &f->hup;
	o->now_ms = fake_now;
	o->sleep_ms = fake_sleep;
	o->clock_ud = f;
	f->opts = o;
}

static void test_backoff_doubles_and_is_capped_at_the_interval(void **state)
{
	struct sk_loop_opts o;
	struct fake f;
	int i;

	(void)state;
	setup(&f, &o, 16 * 60000); /* base = interval/16 = 60 s */
	f.fail_all = 1;
	f.stop_after = 8;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.n_cycles, 8);
	{
		static const int64_t gaps[] = { 60000, 120000, 240000, 480000, 960000, 960000, 960000 };
		for (i = 0; i < 7; i++)
			assert_int_equal(f.starts[i + 1] - f.starts[i], gaps[i]);
	}
	/* cycles never overlap, and a sleep never outlasts a slice */
	assert_true(f.longest_sleep <= 500);

	/* a success resets the backoff */
	setup(&f, &o, 16 * 60000);
	f.results[0] = -1;
	f.results[1] = -1;
	f.stop_after = 5;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.starts[1] - f.starts[0], 60000);
	assert_int_equal(f.starts[2] - f.starts[1], 120000);
	assert_int_equal(f.starts[3] - f.starts[2], 960000);
	assert_int_equal(f.starts[4] - f.starts[3], 960000);
}

static void test_backoff_base_has_a_floor_and_can_be_set(void **state)
{
	struct sk_loop_opts o = SK_LOOP_OPTS_INIT;

	(void)state;
	o.interval_ms = 2000; /* interval/16 is 125 ms: the floor of 1 s applies */
	assert_int_equal(sk_loop_base_wait_ms(&o, 0), 2000);
	assert_int_equal(sk_loop_base_wait_ms(&o, 1), 1000);
	assert_int_equal(sk_loop_base_wait_ms(&o, 2), 2000);
	assert_int_equal(sk_loop_base_wait_ms(&o, 1000), 2000);
	o.interval_ms = 500; /* the base never exceeds the interval */
	assert_int_equal(sk_loop_base_wait_ms(&o, 1), 500);
	o.interval_ms = 15 * 60000;
	assert_int_equal(sk_loop_base_wait_ms(&o, 1), 56250);
	assert_int_equal(sk_loop_base_wait_ms(&o, 4), 450000);
	assert_int_equal(sk_loop_base_wait_ms(&o, 5), 900000);
	assert_int_equal(sk_loop_base_wait_ms(&o, 70), 900000);
	o.backoff_base_ms = 10;
	assert_int_equal(sk_loop_base_wait_ms(&o, 1), 10);
	assert_int_equal(sk_loop_base_wait_ms(&o, 3), 40);
}

static void test_jitter_stays_within_bounds_and_follows_the_seed(void **state)
{
	struct sk_loop_opts o;
	struct fake f;
	int64_t first[100], lo = INT64_MAX, hi = 0;
	int i;

	(void)state;
	setup(&f, &o, 100000);
	o.jitter = 0.1;
	o.git_poll_ms = 0;
	f.stop_after = 101;
	assert_int_equal(sk_loop_run(&o), 0);
	for (i = 0; i < 100; i++) {
		int64_t gap = f.starts[i + 1] - f.starts[i];
		assert_true(gap >= 90000 && gap <= 110000);
		if (gap < lo)
			lo = gap;
		if (gap > hi)
			hi = gap;
		first[i] = gap;
	}
	/* spread over the range, not stuck at one value */
	assert_true(lo < 93000);
	assert_true(hi > 107000);

	/* the same seed gives the same schedule; another seed another */
	setup(&f, &o, 100000);
	o.jitter = 0.1;
	f.stop_after = 101;
	assert_int_equal(sk_loop_run(&o), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(f.starts[i + 1] - f.starts[i], first[i]);
	setup(&f, &o, 100000);
	o.jitter = 0.1;
	o.seed = 43;
	f.stop_after = 101;
	assert_int_equal(sk_loop_run(&o), 0);
	for (i = 0; i < 100; i++)
		if (f.starts[i + 1] - f.starts[i] != first[i])
			break;
	assert_true(i < 100);

	/* jitter applies to backoff too, and never makes a wait negative */
	setup(&f, &o, 16 * 60000);
	o.jitter = 0.5;
	f.fail_all = 1;
	f.stop_after = 3;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_true(f.starts[1] - f.starts[0] >= 30000 && f.starts[1] - f.starts[0] <= 90000);
	assert_true(f.starts[2] - f.starts[1] >= 60000 && f.starts[2] - f.starts[1] <= 180000);
}

static void test_a_ref_move_starts_the_next_cycle_early(void **state)
{
	struct sk_loop_opts o;
	struct fake f;

	(void)state;
	setup(&f, &o, 15 * 60000);
	o.git_poll_ms = 10000;
	f.ref_moves_at = f.now + 95000;
	f.stop_after = 3;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.n_cycles, 3);
	/* polls at 10 s steps after the first cycle: the move at 95 s is seen at 100 s */
	assert_int_equal(f.starts[1] - f.starts[0], 100000);
	/* the commit does not move again: a full interval */
	assert_int_equal(f.starts[2] - f.starts[1], 15 * 60000);
	assert_true(f.polls >= 10);

	/* a move during a (long) cycle is noticed at the first poll after it */
	setup(&f, &o, 15 * 60000);
	o.git_poll_ms = 10000;
	f.cycle_ms = 30000;
	f.ref_moves_at = f.now + 10000;
	f.stop_after = 2;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.starts[1] - f.starts[0], 30000 + 10000);

	/* without git_poll the ref is never checked */
	setup(&f, &o, 60000);
	f.ref_moves_at = f.now + 1000;
	f.stop_after = 2;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.polls, 0);
	assert_int_equal(f.starts[1] - f.starts[0], 60000);

	/* failing polls start nothing early */
	setup(&f, &o, 60000);
	o.git_poll_ms = 1000;
	f.ref_fails_until = f.now + 1000000;
	f.stop_after = 2;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.starts[1] - f.starts[0], 60000);
	assert_true(f.polls >= 50);
}

static void test_cancel_ends_a_wait_at_once(void **state)
{
	struct sk_loop_opts o;
	struct fake f;
	int64_t t0;

	(void)state;
	setup(&f, &o, 15 * 60000);
	o.git_poll_ms = 60000;
	t0 = f.now;
	f.cancel_at = t0 + 5 * 60000;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.n_cycles, 1);
	assert_true(f.now >= f.cancel_at && f.now <= f.cancel_at + 500);

	/* a cancel during a cycle lets the cycle finish, then returns without waiting */
	setup(&f, &o, 15 * 60000);
	f.cycle_ms = 20000;
	f.fail_all = 1;
	f.cancel_at = f.now + 5000;
	t0 = f.now;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.n_cycles, 1);
	assert_int_equal(f.now, t0 + 20000);
	assert_int_equal(f.sleeps, 0);

	/* already cancelled: no cycle at all */
	setup(&f, &o, 60000);
	f.cancel = 1;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.n_cycles, 0);
}

static void test_once_runs_one_cycle_and_returns_its_result(void **state)
{
	struct sk_loop_opts o;
	struct fake f;

	(void)state;
	setup(&f, &o, 60000);
	o.once = true;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.n_cycles, 1);
	assert_int_equal(f.sleeps, 0);
	assert_int_equal(f.polls, 0);

	setup(&f, &o, 0); /* the interval does not matter with once */
	o.once = true;
	f.results[0] = SK_ERROR;
	assert_int_equal(sk_loop_run(&o), SK_ERROR);
	assert_int_equal(f.n_cycles, 1);

	setup(&f, &o, 60000);
	o.once = true;
	f.cancel = 1;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.n_cycles, 0);
}

static void test_sighup_reloads_and_starts_a_cycle(void **state)
{
	struct sk_loop_opts o;
	struct fake f;

	(void)state;
	setup(&f, &o, 15 * 60000);
	f.hup_at = f.now + 60000;
	f.new_interval = 30000;
	f.stop_after = 3;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.reloads, 1);
	assert_int_equal(f.hup, 0); /* the loop cleared the flag */
	assert_true(f.starts[1] - f.starts[0] >= 60000 && f.starts[1] - f.starts[0] <= 60500);
	/* the reloaded interval applies from then on */
	assert_int_equal(f.starts[2] - f.starts[1], 30000);

	/* a SIGHUP during a cycle is handled when the cycle ends */
	setup(&f, &o, 15 * 60000);
	f.cycle_ms = 10000;
	f.hup_at = f.now + 1;
	f.stop_after = 2;
	assert_int_equal(sk_loop_run(&o), 0);
	assert_int_equal(f.reloads, 1);
	assert_int_equal(f.starts[1] - f.starts[0], 10000);

	/* a reload that breaks the options stops the loop with an error */
	setup(&f, &o, 15 * 60000);
	f.hup_at = f.now + 1000;
	f.new_interval = -5;
	assert_int_equal(sk_loop_run(&o), SK_ERROR);
}

static void test_invalid_options_are_refused(void **state)
{
	struct sk_loop_opts o;
	struct fake f;

	(void)state;
	setup(&f, &o, 0);
	assert_int_equal(sk_loop_run(&o), SK_ERROR);
	setup(&f, &o, 60000);
	o.jitter = 0.9;
	assert_int_equal(sk_loop_run(&o), SK_ERROR);
	setup(&f, &o, 60000);
	o.cycle = NULL;
	assert_int_equal(sk_loop_run(&o), SK_ERROR);
	assert_int_equal(f.n_cycles, 0);
}

static void test_durations_parse_and_format(void **state)
{
	static const struct {
		const char *text;
		int64_t ms;
		const char *back;
	} good[] = {
		{ "15m", 900000, "15m" },    { "2s", 2000, "2s" },		 { "1h30m", 5400000, "1h30m" },
		{ "500ms", 500, "500ms" },   { "1h2m3s4ms", 3723004, "1h2m3s4ms" }, { "90s", 90000, "1m30s" },
		{ "744h", 2678400000, "744h" }, { "1m500ms", 60500, "1m500ms" },
	};
	static const char *const bad[] = { "",	   "15",   "m",	   "1.5h", "-1s", " 1s", "1s ", "30m1h",
					   "1m1m", "15min", "1d",  "1hm",  "s1",  "1ms1s", "745h",
					   "99999999999h", "1h-1m" };
	char out[48];
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(sk_loop_parse_duration(&ms, good[i].text, false), 0);
		assert_int_equal(ms, good[i].ms);
		sk_loop_format_duration(out, ms);
		assert_string_equal(out, good[i].back);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sk_loop_parse_duration(&ms, bad[i], true) == 0)
			fail_msg("'%s' was accepted as %lld ms", bad[i], (long long)ms);
		assert_non_null(strstr(sk_error_message(), "duration"));
	}
	assert_int_equal(sk_loop_parse_duration(&ms, "0s", true), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(sk_loop_parse_duration(&ms, "0s", false), SK_ERROR);
	assert_string_equal(sk_error_message(), "duration '0s' must be more than zero");
	assert_int_equal(sk_loop_parse_duration(&ms, "15", false), SK_ERROR);
	assert_string_equal(sk_error_message(), "invalid duration '15': want e.g. 15m, 1h30m, 30s or 500ms");
	sk_loop_format_duration(out, 0);
	assert_string_equal(out, "0s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_and_is_capped_at_the_interval),
		cmocka_unit_test(test_backoff_base_has_a_floor_and_can_be_set),
		cmocka_unit_test(test_jitter_stays_within_bounds_and_follows_the_seed),
		cmocka_unit_test(test_a_ref_move_starts_the_next_cycle_early),
		cmocka_unit_test(test_cancel_ends_a_wait_at_once),
		cmocka_unit_test(test_once_runs_one_cycle_and_returns_its_result),
		cmocka_unit_test(test_sighup_reloads_and_starts_a_cycle),
		cmocka_unit_test(test_invalid_options_are_refused),
		cmocka_unit_test(test_durations_parse_and_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
