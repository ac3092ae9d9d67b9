/*
 * test_cron.c - cron schedules: parsing, Vixie's rules, and fire times in UTC
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "specs/cron.h"

static int64_t T(const char *s)
{
	int64_t t = 0;

	assert_int_equal(sk_time_parse_rfc3339(&t, s), 0);
	return t;
}

static const char *fmt(int64_t t)
{
	static char buf[4][SK_TIME_RFC3339_MAX];
	static int i;

	i = (i + 1) % 4;
	if (t < 0)
		return "none";
	sk_time_format_rfc3339(buf[i], t);
	return buf[i];
}

static struct sk_cron parse_ok(const char *text)
{
	struct sk_cron c;
	size_t col = 99;

	if (sk_cron_parse(&c, text, &col) < 0)
		fail_msg("'%s' did not parse: %s", text, sk_error_message());
	assert_true(c.valid);
	return c;
}

static void parse_fails(const char *text, const char *message, size_t want_col)
{
	struct sk_cron c;
	size_t col = 999;

	assert_int_equal(sk_cron_parse(&c, text, &col), SK_ERROR);
	assert_false(c.valid);
	assert_int_equal(sk_error_last()->klass, SK_ERR_POLICY);
	assert_string_equal(sk_error_message(), message);
	assert_int_equal(col, want_col);
}

static void test_out_of_range_names_the_field_and_column(void **state)
{
	(void)state;
	parse_fails("30 24 * * *", "cron field 2 (hour): 24 is out of range 0..23", 3);
	parse_fails("60 * * * *", "cron field 1 (minute): 60 is out of range 0..59", 0);
	parse_fails("0 0 0 * *", "cron field 3 (day-of-month): 0 is out of range 1..31", 4);
	parse_fails("0 0 1 13 *", "cron field 4 (month): 13 is out of range 1..12", 6);
	parse_fails("0 0 * * 8", "cron field 5 (day-of-week): 8 is out of range 0..7", 8);
	parse_fails("0 0 * * 1-9", "cron field 5 (day-of-week): 9 is out of range 0..7", 10);
}

static void test_field_count_and_syntax_errors(void **state)
{
	(void)state;
	parse_fails("", "cron schedule is empty", 0);
	parse_fails("0 0 * *", "cron schedule has 4 fields, expected 5 (minute hour day-of-month month day-of-week)", 7);
	parse_fails("0 0 * * * *", "cron schedule has more than 5 fields (minute hour day-of-month month day-of-week)",
		    10);
	parse_fails("*/0 * * * *", "cron field 1 (minute): a step must be a number of at least 1", 2);
	parse_fails("5-2 * * * *", "cron field 1 (minute): range 5-2 goes backwards", 0);
	parse_fails("0 0 * foo *", "cron field 4 (month): unknown name 'foo' (expected jan..dec)", 6);
	parse_fails("0 0 * * funday", "cron field 5 (day-of-week): unknown name 'funday' (expected sun..sat)", 8);
	parse_fails("0 mon * * *", "cron field 2 (hour): 'mon' is not a number", 2);
	parse_fails("0,,5 * * * *", "cron field 1 (minute): unexpected ','", 2);
	parse_fails("0 0 * * 1#2", "cron field 5 (day-of-week): unexpected '#'", 9);
	parse_fails("@reboot", "cron schedule: unknown shorthand '@reboot' (expected @yearly, @monthly, @weekly, @daily or @hourly)",
		    0);
	parse_fails("@daily 5", "cron schedule: nothing may follow '@daily'", 7);
}

static void test_lists_ranges_steps_and_names(void **state)
{
	struct sk_cron c;

	(void)state;
	c = parse_ok("*/15 1-10/3,23 * jan-mar,DEC mon-fri");
	assert_true(c.minutes == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45)));
	assert_true(c.hours == ((1u << 1) | (1u << 4) | (1u << 7) | (1u << 10) | (1u << 23)));
	assert_true(c.months == ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 12)));
	assert_true(c.wdays == 0x3e);
	assert_true(c.mday_star);
	assert_false(c.wday_star);
	/* "5/20" is "5-59/20", as cronie reads it */
	c = parse_ok("5/20 0 1 * *");
	assert_true(c.minutes == ((1ULL << 5) | (1ULL << 25) | (1ULL << 45)));
	assert_false(c.mday_star);
	/* surrounding blanks and tabs */
	c = parse_ok("  0\t0  * * *  ");
	assert_true(c.minutes == 1 && c.hours == 1);
}

static void test_sunday_is_both_0_and_7(void **state)
{
	struct sk_cron a = parse_ok("0 0 * * 0"), b = parse_ok("0 0 * * 7"), c = parse_ok("0 0 * * 5-7");

	(void)state;
	assert_int_equal(a.wdays, 1);
	assert_int_equal(b.wdays, 1);
	assert_int_equal(c.wdays, (1 << 0) | (1 << 5) | (1 << 6));
	assert_int_equal(parse_ok("0 0 * * 0-7").wdays, 0x7f);
	assert_int_equal(parse_ok("0 0 * * sun").wdays, 1);
}

static void test_shorthands_expand_as_vixie_cron(void **state)
{
	(void)state;
	assert_string_equal(fmt(sk_cron_next(&(struct sk_cron){ 0 }, 0)), "none");
	{
		struct sk_cron c = parse_ok("@hourly");

		assert_string_equal(fmt(sk_cron_next(&c, T("2024-05-05T10:00:00Z"))), "2024-05-05T11:00:00Z");
	}
	{
		struct sk_cron c = parse_ok("@daily"), m = parse_ok("@midnight");

		assert_memory_equal(&c, &m, sizeof(c));
		assert_string_equal(fmt(sk_cron_next(&c, T("2024-05-05T10:00:00Z"))), "2024-05-06T00:00:00Z");
	}
	{
		struct sk_cron c = parse_ok("@monthly");

		assert_string_equal(fmt(sk_cron_next(&c, T("2024-05-05T10:00:00Z"))), "2024-06-01T00:00:00Z");
	}
	{
		struct sk_cron c = parse_ok("@yearly"), a = parse_ok("@annually");

		assert_memory_equal(&c, &a, sizeof(c));
		assert_string_equal(fmt(sk_cron_next(&c, T("2024-05-05T10:00:00Z"))), "2025-01-01T00:00:00Z");
	}
	assert_true(parse_ok("@DAILY").valid);
}

static void test_weekly_fires_on_sunday_midnight(void **state)
{
	struct sk_cron c = parse_ok("@weekly");

	(void)state;
	/* 2024-05-08 is a Wednesday */
	assert_string_equal(fmt(sk_cron_next(&c, T("2024-05-08T12:00:00Z"))), "2024-05-12T00:00:00Z");
	assert_string_equal(fmt(sk_cron_prev(&c, T("2024-05-08T12:00:00Z"))), "2024-05-05T00:00:00Z");
	assert_string_equal(fmt(sk_cron_next(&c, T("2024-05-12T00:00:00Z"))), "2024-05-19T00:00:00Z");
}

static void test_leap_day_fires_every_four_years(void **state)
{
	struct sk_cron c = parse_ok("0 0 29 2 *");

	(void)state;
	assert_string_equal(fmt(sk_cron_next(&c, T("2025-01-01T00:00:00Z"))), "2028-02-29T00:00:00Z");
	assert_string_equal(fmt(sk_cron_prev(&c, T("2027-06-01T00:00:00Z"))), "2024-02-29T00:00:00Z");
	assert_string_equal(fmt(sk_cron_prev(&c, T("2024-02-29T00:00:00Z"))), "2024-02-29T00:00:00Z");
	/* 2100 is not a leap year: 2096, then 2104 */
	assert_string_equal(fmt(sk_cron_next(&c, T("2096-03-01T00:00:00Z"))), "2104-02-29T00:00:00Z");
	assert_string_equal(fmt(sk_cron_prev(&c, T("2103-12-31T00:00:00Z"))), "2096-02-29T00:00:00Z");
}

static void test_day_31_skips_short_months(void **state)
{
	struct sk_cron c = parse_ok("0 0 31 * *");

	(void)state;
	assert_string_equal(fmt(sk_cron_next(&c, T("2024-03-31T00:00:00Z"))), "2024-05-31T00:00:00Z");
	assert_string_equal(fmt(sk_cron_prev(&c, T("2024-07-30T00:00:00Z"))), "2024-05-31T00:00:00Z");
	assert_string_equal(fmt(sk_cron_next(&c, T("2024-07-31T00:00:00Z"))), "2024-08-31T00:00:00Z");
}

static void test_schedule_that_never_fires_gives_none(void **state)
{
	struct sk_cron c = parse_ok("0 0 30 2 *"), d = parse_ok("0 0 31 4,6,9,11 *");

	(void)state;
	assert_int_equal(sk_cron_next(&c, T("2024-01-01T00:00:00Z")), -1);
	assert_int_equal(sk_cron_prev(&c, T("2024-01-01T00:00:00Z")), -1);
	assert_int_equal(sk_cron_next(&d, 0), -1);
}

static void test_prev_is_t_when_t_fires_and_next_is_after(void **state)
{
	struct sk_cron c = parse_ok("30 3 * * *");
	int64_t t = T("2024-05-05T03:30:00Z");

	(void)state;
	assert_int_equal(sk_cron_prev(&c, t), t);
	assert_int_equal(sk_cron_prev(&c, t + 59), t);
	assert_string_equal(fmt(sk_cron_prev(&c, t - 1)), "2024-05-04T03:30:00Z");
	assert_string_equal(fmt(sk_cron_next(&c, t)), "2024-05-06T03:30:00Z");
	assert_string_equal(fmt(sk_cron_next(&c, t - 1)), "2024-05-05T03:30:00Z");
	assert_string_equal(fmt(sk_cron_next(&c, t - 60)), "2024-05-05T03:30:00Z");
}

static void test_dom_and_dow_both_restricted_match_either(void **state)
{
	/* the 13th, or any Friday */
	struct sk_cron c = parse_ok("0 12 13 * fri");
	int64_t t = T("2024-09-01T00:00:00Z");
	const char *want[] = { "2024-09-06T12:00:00Z", "2024-09-13T12:00:00Z", "2024-09-20T12:00:00Z",
			       "2024-09-27T12:00:00Z", "2024-10-04T12:00:00Z", "2024-10-11T12:00:00Z",
			       "2024-10-13T12:00:00Z", "2024-10-18T12:00:00Z" };

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		t = sk_cron_next(&c, t);
		assert_string_equal(fmt(t), want[i]);
	}
}

static void test_star_step_in_dom_counts_as_star(void **state)
{
	/* "*\/2" starts with '*': both fields must match (Vixie), odd days that are Mondays */
	struct sk_cron c = parse_ok("0 0 */2 * mon");

	(void)state;
	assert_true(c.mday_star);
	/* 2024-09-02 (Mon, even) no; 2024-09-09 (Mon, odd) yes */
	assert_string_equal(fmt(sk_cron_next(&c, T("2024-09-01T00:00:00Z"))), "2024-09-09T00:00:00Z");
}

static void test_year_end_and_start(void **state)
{
	struct sk_cron c = parse_ok("59 23 31 12 *"), n = parse_ok("0 0 1 1 *");

	(void)state;
	assert_string_equal(fmt(sk_cron_prev(&c, T("2025-01-01T00:00:00Z"))), "2024-12-31T23:59:00Z");
	assert_string_equal(fmt(sk_cron_next(&c, T("2024-12-31T23:59:00Z"))), "2025-12-31T23:59:00Z");
	assert_string_equal(fmt(sk_cron_next(&n, T("2024-12-31T23:59:59Z"))), "2025-01-01T00:00:00Z");
	assert_string_equal(fmt(sk_cron_prev(&n, T("2024-12-31T23:59:59Z"))), "2024-01-01T00:00:00Z");
}

static void test_dst_days_are_ordinary_in_utc(void **state)
{
	/* 2024-03-10 and 2024-11-03: US clocks changed; UTC did not */
	struct sk_cron c = parse_ok("30 2 * * *");

	(void)state;
	assert_string_equal(fmt(sk_cron_next(&c, T("2024-03-09T03:00:00Z"))), "2024-03-10T02:30:00Z");
	assert_string_equal(fmt(sk_cron_next(&c, T("2024-11-02T03:00:00Z"))), "2024-11-03T02:30:00Z");
	assert_int_equal(sk_cron_next(&c, T("2024-03-10T02:30:00Z")) - T("2024-03-10T02:30:00Z"), 86400);
}

static void test_before_1970_works(void **state)
{
	struct sk_cron c = parse_ok("0 0 1 1 *");

	(void)state;
	assert_string_equal(fmt(sk_cron_next(&c, T("1969-06-01T00:00:00Z"))), "1970-01-01T00:00:00Z");
	assert_int_equal(sk_cron_prev(&c, T("1969-06-01T00:00:00Z")), T("1969-01-01T00:00:00Z"));
}

/* the reference: minute by minute (whole days at a time when the day cannot match), with gmtime_r */
static bool day_fires(const struct sk_cron *c, const struct tm *tm)
{
	bool dom = (c->mdays >> tm->tm_mday) & 1, dow = (c->wdays >> tm->tm_wday) & 1;

	if (!((c->months >> (tm->tm_mon + 1)) & 1))
		return false;
	return (c->mday_star || c->wday_star) ? dom && dow : dom || dow;
}

static int64_t reference(const struct sk_cron *c, int64_t t, int dir)
{
	int64_t m = dir > 0 ? (t / 60 + 1) * 60 : (t / 60) * 60;

	while (m > t - 1500LL * 86400 && m < t + 1500LL * 86400) {
		time_t tt = (time_t)m;
		struct tm tm;

		gmtime_r(&tt, &tm);
		if (!day_fires(c, &tm)) {
			int64_t day = m - (m % 86400);

			m = dir > 0 ? day + 86400 : day - 60;
			continue;
		}
		if (((c->minutes >> tm.tm_min) & 1) && ((c->hours >> tm.tm_hour) & 1))
			return m;
		m += dir * 60;
	}
	return -1;
}

static void test_search_agrees_with_minute_by_minute_reference(void **state)
{
	const char *exprs[] = { "*/7 * * * *",	  "0 */5 * * *",  "15,45 1-3 * * *", "0 0 * * 1-5",
				"0 6 1,15 * *",	  "30 12 10 * 2", "0 0 */3 * *",     "59 23 * * 0",
				"0 0 28-31 * *", "5 4 * feb,mar *", "0 0 29 2 *", "0 0 31 * 1" };
	uint64_t rng = 0x2545f4914f6cdd1dULL;

	(void)state;
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct sk_cron c = parse_ok(exprs[e]);

		for (int k = 0; k < 50; k++) {
			int64_t t, want_next, want_prev;

			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			t = T("2023-01-01T00:00:00Z") + (int64_t)(rng % (3ULL * 365 * 86400));
			want_next = reference(&c, t, 1);
			want_prev = reference(&c, t, -1);
			if (want_next < 0 || want_prev < 0)
				fail_msg("reference found nothing for '%s' near %s", exprs[e], fmt(t));
			if (sk_cron_next(&c, t) != want_next || sk_cron_prev(&c, t) != want_prev)
				fail_msg("'%s' at %s: next %s (want %s), prev %s (want %s)", exprs[e], fmt(t),
					 fmt(sk_cron_next(&c, t)), fmt(want_next), fmt(sk_cron_prev(&c, t)),
					 fmt(want_prev));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_range_names_the_field_and_column),
		cmocka_unit_test(test_field_count_and_syntax_errors),
		cmocka_unit_test(test_lists_ranges_steps_and_names),
		cmocka_unit_test(test_sunday_is_both_0_and_7),
		cmocka_unit_test(test_shorthands_expand_as_vixie_cron),
		cmocka_unit_test(test_weekly_fires_on_sunday_midnight),
		cmocka_unit_test(test_leap_day_fires_every_four_years),
		cmocka_unit_test(test_day_31_skips_short_months),
		cmocka_unit_test(test_schedule_that_never_fires_gives_none),
		cmocka_unit_test(test_prev_is_t_when_t_fires_and_next_is_after),
		cmocka_unit_test(test_dom_and_dow_both_restricted_match_either),
		cmocka_unit_test(test_star_step_in_dom_counts_as_star),
		cmocka_unit_test(test_year_end_and_start),
		cmocka_unit_test(test_dst_days_are_ordinary_in_utc),
		cmocka_unit_test(test_before_1970_works),
		cmocka_unit_test(test_search_agrees_with_minute_by_minute_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
