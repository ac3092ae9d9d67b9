/*
 * test_windows.c - backup windows against maintenance windows (reconciler/planner/windows.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "reconciler/planner/windows.h"

static void test_maintenance_windows_parse_to_minutes_of_the_week(void **state)
{
	int start, len;

	(void)state;
	assert_int_equal(sk_windows_parse_maintenance("mon:00:00-mon:00:30", &start, &len), 0);
	assert_int_equal(start, 0);
	assert_int_equal(len, 30);
	assert_int_equal(sk_windows_parse_maintenance("Sun:05:00-sun:06:00", &start, &len), 0);
	assert_int_equal(start, 6 * 1440 + 300);
	assert_int_equal(len, 60);
	/* wraps the week: Sunday night into Monday */
	assert_int_equal(sk_windows_parse_maintenance("sun:23:30-mon:00:30", &start, &len), 0);
	assert_int_equal(start, 6 * 1440 + 1410);
	assert_int_equal(len, 60);
	/* wraps midnight inside the week */
	assert_int_equal(sk_windows_parse_maintenance("tue:23:45-wed:00:15", &start, &len), 0);
	assert_int_equal(start, 1440 + 1425);
	assert_int_equal(len, 30);
	assert_int_equal(sk_windows_parse_maintenance("sun:25:00-sun:26:00", &start, &len), SK_ERROR);
	assert_int_equal(sk_windows_parse_maintenance("xyz:05:00-sun:06:00", &start, &len), SK_ERROR);
	assert_int_equal(sk_windows_parse_maintenance("sun:05:00-sun:06:0", &start, &len), SK_ERROR);
	assert_int_equal(sk_windows_parse_maintenance(NULL, &start, &len), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "ddd:hh24:mi-ddd:hh24:mi"));
}

static void test_a_daily_window_meets_a_weekly_one_on_any_day(void **state)
{
	(void)state;
	/* 03:00-04:00 daily vs wed:03:30-wed:04:30 */
	assert_true(sk_windows_overlap(180, 60, 2 * 1440 + 210, 60));
	/* inside one another, either way */
	assert_true(sk_windows_overlap(180, 60, 4 * 1440 + 190, 30));
	assert_true(sk_windows_overlap(170, 120, 4 * 1440 + 180, 30));
	/* apart */
	assert_false(sk_windows_overlap(180, 60, 6 * 1440 + 300, 60));
}

static void test_touching_windows_do_not_overlap(void **state)
{
	(void)state;
	/* backup 03:00-04:00, maintenance sun:04:00-sun:05:00: they touch */
	assert_false(sk_windows_overlap(180, 60, 6 * 1440 + 240, 60));
	/* maintenance sun:02:00-sun:03:00 ends where the backup starts */
	assert_false(sk_windows_overlap(180, 60, 6 * 1440 + 120, 60));
	/* one minute more is an overlap */
	assert_true(sk_windows_overlap(180, 60, 6 * 1440 + 239, 60));
	assert_true(sk_windows_overlap(180, 60, 6 * 1440 + 120, 61));
}

static void test_windows_wrapping_midnight_and_the_week(void **state)
{
	(void)state;
	/* backup 23:30-00:30 wraps midnight: meets mon:00:00-mon:00:30 */
	assert_true(sk_windows_overlap(1410, 60, 0, 30));
	/* ... and sun:23:00-sun:23:45, at the end of the week */
	assert_true(sk_windows_overlap(1410, 60, 6 * 1440 + 1380, 45));
	/* maintenance wrapping the week (sun:23:50-mon:00:20) meets a backup at 00:10-00:40 */
	assert_true(sk_windows_overlap(10, 30, 6 * 1440 + 1430, 30));
	/* touching across midnight: backup 23:00-00:00, maintenance mon:00:00-mon:00:30 */
	assert_false(sk_windows_overlap(1380, 60, 0, 30));
	/* touching across the week: backup 00:30-01:30, maintenance sun:23:30-mon:00:30 */
	assert_false(sk_windows_overlap(30, 60, 6 * 1440 + 1410, 60));
}

static void test_check_names_both_windows(void **state)
{
	(void)state;
	assert_int_equal(sk_windows_check("03:00-04:00", "sun:05:00-sun:06:00"), 0);
	assert_int_equal(sk_windows_check("03:00-04:00", "sun:04:00-sun:05:00"), 0);
	assert_int_equal(sk_windows_check("05:30-06:30", "sun:06:00-sun:07:00"), SK_ERROR);
	assert_string_equal(sk_error_message(),
			    "backup window '05:30-06:30' overlaps maintenance window 'sun:06:00-sun:07:00'");
	assert_int_equal(sk_windows_check("23:45-00:15", "sat:23:59-sun:00:29"), SK_ERROR);
	/* shorter than 30 minutes (wrapping midnight: 23:50-00:10 is 20 minutes) */
	assert_int_equal(sk_windows_check("23:50-00:10", "sun:05:00-sun:06:00"), SK_ERROR);
	assert_string_equal(sk_error_message(), "backup window '23:50-00:10' must be at least 30 minutes "
						"(maintenance window 'sun:05:00-sun:06:00')");
	assert_int_equal(sk_windows_check("03:00-03:30", "sun:05:00-sun:06:00"), 0);
	/* nothing to check against */
	assert_int_equal(sk_windows_check("03:00-04:00", NULL), 0);
	assert_int_equal(sk_windows_check(NULL, "sun:05:00-sun:06:00"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maintenance_windows_parse_to_minutes_of_the_week),
		cmocka_unit_test(test_a_daily_window_meets_a_weekly_one_on_any_day),
		cmocka_unit_test(test_touching_windows_do_not_overlap),
		cmocka_unit_test(test_windows_wrapping_midnight_and_the_week),
		cmocka_unit_test(test_check_names_both_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
