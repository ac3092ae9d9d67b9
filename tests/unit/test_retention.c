/*
 * test_retention.c - restic's forget rules (reconciler/planner/retention.c)
 *
 * Table tests run every table twice, in the given order and reversed, so
 * each also shows that input order does not matter.  The restic_* tests
 * port cases of restic's own TestApplyPolicy (internal/restic/
 * snapshot_policy_test.go and testdata/policy_keep_snapshots_N).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/retention.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define LAST SK_KEEP_LAST
#define HOURLY SK_KEEP_HOURLY
#define DAILY SK_KEEP_DAILY
#define WEEKLY SK_KEEP_WEEKLY
#define MONTHLY SK_KEEP_MONTHLY
#define YEARLY SK_KEEP_YEARLY
#define WITHIN SK_KEEP_WITHIN

/* one snapshot of a table: its time, id (NULL: the time) and the keep bits it must get */
struct snap {
	const char *when;
	const char *id;
	unsigned want;
};

static int64_t at(const char *when)
{
	int64_t t = 0;

	assert_int_equal(sk_time_parse_rfc3339(&t, when), 0);
	return t;
}

static char *reasons(unsigned keep)
{
	struct sk_buf b = SK_BUF_INIT;

	assert_int_equal(sk_keep_reasons_format(&b, keep), 0);
	return sk_buf_detach(&b);
}

static void check_table(const struct sk_retain *r, const struct snap *s, size_t n)
{
	struct sk_retention_item *items = calloc(n ? n : 1, sizeof(*items));
	size_t i, pass;
	int bad = 0;

	assert_non_null(items);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			const struct snap *x = &s[pass ? n - 1 - i : i];
			items[i].time = at(x->when);
			items[i].id = x->id ? x->id : x->when;
			items[i].keep = 0xdead; /* must be overwritten */
		}
		assert_int_equal(sk_retention_apply(r, items, n), 0);
		for (i = 0; i < n; i++) {
			const struct snap *x = &s[pass ? n - 1 - i : i];
			assert_ptr_equal(items[i].id, x->id ? x->id : x->when); /* not reordered */
			if (items[i].keep != x->want) {
				char *got = reasons(items[i].keep), *want = reasons(x->want);
				print_message("%s %s (%s order): got %s, want %s\n", x->when, x->id ? x->id : "",
					      pass ? "reversed" : "given", got, want);
				free(got);
				free(want);
				bad++;
			}
		}
	}
	free(items);
	assert_int_equal(bad, 0);
}

static void test_retention_no_rules_keeps_every_snapshot(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2024-01-01T00:00:00Z", NULL, SK_KEEP_NO_RULES },
		{ "2023-01-01T00:00:00Z", NULL, SK_KEEP_NO_RULES },
		{ "2010-06-01T00:00:00Z", NULL, SK_KEEP_NO_RULES },
	};

	(void)state;
	check_table(&r, s, N(s));
	/* a within of zero length is no rule, as restic's Duration.Zero() */
	r.has_within = true;
	check_table(&r, s, N(s));
}

static void test_retention_empty_inventory_is_fine(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;

	(void)state;
	assert_int_equal(sk_retention_apply(&r, NULL, 0), 0);
	r.daily = 7;
	r.has_within = true;
	r.within.days = 3;
	assert_int_equal(sk_retention_apply(&r, NULL, 0), 0);
}

static void test_retention_last_keeps_the_n_newest(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2024-01-03T00:00:00Z", NULL, LAST },
		{ "2024-01-05T00:00:00Z", NULL, LAST },
		{ "2024-01-01T00:00:00Z", NULL, 0 },
		{ "2024-01-04T00:00:00Z", NULL, LAST },
		{ "2024-01-02T00:00:00Z", NULL, 0 },
	};

	(void)state;
	r.last = 3;
	check_table(&r, s, N(s));
}

static void test_retention_last_only_keeps_all_when_fewer_than_n(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2024-01-01T00:00:00Z", "a", LAST },
		{ "2024-01-01T00:00:00Z", "b", LAST },
		{ "2023-01-01T00:00:00Z", NULL, LAST },
	};

	(void)state;
	r.last = 10;
	check_table(&r, s, N(s));
	r.last = SK_RETAIN_UNLIMITED;
	check_table(&r, s, N(s));
}

static void test_retention_equal_times_keep_the_greater_id_first(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	struct snap s[] = {
		{ "2024-01-01T10:00:00Z", "snap-a", 0 },
		{ "2024-01-01T10:00:00Z", "snap-c", LAST },
		{ "2024-01-01T10:00:00Z", "snap-b", 0 },
	};

	(void)state;
	r.last = 1;
	check_table(&r, s, N(s));
	/* daily 2: snap-c opens the day; snap-a is the oldest (smallest id) and
	 * daily still has a count left, so it is kept too; snap-b is not */
	r.last = 0;
	r.daily = 2;
	s[0].want = DAILY;
	s[1].want = DAILY;
	check_table(&r, s, N(s));
}

/* a small deterministic generator, so the test needs no seed handling */
static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

static void test_retention_input_order_does_not_matter(void **state)
{
	enum { COUNT = 500 };
	struct sk_retain r = SK_RETAIN_INIT;
	struct sk_retention_item a[COUNT], b[COUNT];
	char ids[COUNT][8];
	uint64_t x = 42;
	size_t i, j;

	(void)state;
	r.last = 3;
	r.hourly = 10;
	r.daily = 7;
	r.weekly = 4;
	r.monthly = SK_RETAIN_UNLIMITED;
	r.yearly = 2;
	r.has_within = true;
	r.within.days = 2;
	for (i = 0; i < COUNT; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%03zu", i);
		a[i].id = ids[i];
		/* three years around 2021-01-01, many equal times */
		a[i].time = at("2021-01-01T00:00:00Z") + (int64_t)(lcg(&x) % 2000) * 47000 - 47000000;
	}
	memcpy(b, a, sizeof(a));
	for (i = COUNT - 1; i > 0; i--) { /* Fisher-Yates */
		struct sk_retention_item tmp;
		j = lcg(&x) % (i + 1);
		tmp = b[i];
		b[i] = b[j];
		b[j] = tmp;
	}
	assert_int_equal(sk_retention_apply(&r, a, COUNT), 0);
	assert_int_equal(sk_retention_apply(&r, b, COUNT), 0);
	for (i = 0; i < COUNT; i++) {
		assert_ptr_equal(a[i].id, ids[i]); /* items stay where they were */
		for (j = 0; j < COUNT; j++)
			if (b[j].id == a[i].id)
				break;
		assert_true(j < COUNT);
		assert_int_equal(a[i].keep, b[j].keep);
	}
}

static void test_retention_keeps_newest_per_iso_week_53(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2021-01-04T00:00:00Z", NULL, WEEKLY }, /* Monday: 2021-W01 */
		{ "2021-01-03T23:59:59Z", NULL, WEEKLY }, /* Sunday: the end of 2020-W53 */
		{ "2021-01-01T12:00:00Z", NULL, 0 },      /* Friday: 2020-W53 */
		{ "2020-12-31T12:00:00Z", NULL, 0 },      /* Thursday: 2020-W53 */
		{ "2020-12-28T00:00:00Z", NULL, 0 },      /* Monday: the start of 2020-W53 */
		{ "2020-12-27T23:59:59Z", NULL, WEEKLY }, /* Sunday: 2020-W52 (count 3 used up here) */
		{ "2020-12-21T12:00:00Z", NULL, 0 },
	};

	(void)state;
	r.weekly = 3;
	check_table(&r, s, N(s));
}

static void test_retention_iso_weeks_cross_calendar_years(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2020-01-05T23:59:59Z", NULL, WEEKLY }, /* 2020-W01 ... */
		{ "2019-12-30T00:00:00Z", NULL, 0 },      /* ... began on Monday 2019-12-30 */
		{ "2019-12-29T23:59:59Z", NULL, WEEKLY }, /* 2019-W52 */
		{ "2016-01-03T12:00:00Z", NULL, WEEKLY }, /* 2015-W53 ... */
		{ "2016-01-01T12:00:00Z", NULL, 0 },
		{ "2015-12-28T00:00:00Z", NULL, 0 },      /* ... began on Monday 2015-12-28 */
		{ "2015-12-27T12:00:00Z", NULL, WEEKLY }, /* 2015-W52 */
		{ "2015-12-21T12:00:00Z", NULL, 0 },      /* 2015-W52, not the oldest: count used up */
		{ "2015-12-20T12:00:00Z", NULL, 0 },      /* the oldest, 2015-W51: count used up */
	};
	const struct snap s2026[] = {
		{ "2027-01-04T00:00:00Z", NULL, WEEKLY }, /* 2027-W01 */
		{ "2027-01-03T12:00:00Z", NULL, WEEKLY }, /* 2026-W53 */
		{ "2026-12-28T12:00:00Z", NULL, 0 },      /* 2026-W53 too */
		{ "2026-12-20T12:00:00Z", NULL, WEEKLY }, /* 2026-W51 */
		{ "2026-12-10T12:00:00Z", NULL, 0 },
	};

	(void)state;
	r.weekly = 4;
	check_table(&r, s, N(s));
	r.weekly = 3;
	check_table(&r, s2026, N(s2026));
}

static void test_retention_daily_across_leap_days(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap leap[] = {
		{ "2024-03-01T00:00:00Z", NULL, DAILY },
		{ "2024-02-29T23:59:59Z", NULL, DAILY },
		{ "2024-02-29T00:00:00Z", NULL, 0 },
		{ "2024-02-28T12:00:00Z", NULL, DAILY },
		{ "2024-02-27T12:00:00Z", NULL, 0 },
		{ "2024-02-26T12:00:00Z", NULL, 0 },
	};
	const struct snap noleap[] = { /* 2100 is not a leap year: February has 28 days */
		{ "2100-03-01T00:00:00Z", NULL, DAILY | MONTHLY },
		{ "2100-02-28T23:59:59Z", NULL, DAILY | MONTHLY },
		{ "2100-02-28T00:00:00Z", NULL, 0 },
		{ "2100-02-27T00:00:00Z", NULL, DAILY },
		{ "2100-01-31T00:00:00Z", NULL, 0 },
		{ "2100-01-30T00:00:00Z", NULL, 0 },
	};

	(void)state;
	r.daily = 3;
	check_table(&r, leap, N(leap));
	r.monthly = 2;
	check_table(&r, noleap, N(noleap));
}

static void test_retention_monthly_and_yearly_split_at_the_last_second(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2024-01-01T00:00:00Z", NULL, MONTHLY | YEARLY },
		{ "2023-12-31T23:59:59Z", NULL, MONTHLY | YEARLY },
		{ "2023-12-01T00:00:00Z", NULL, 0 },
		{ "2023-11-30T23:59:59Z", NULL, MONTHLY },
		{ "2023-02-01T00:00:00Z", NULL, MONTHLY },
		{ "2023-01-31T23:59:59Z", NULL, 0 },
		{ "2022-12-31T23:59:59Z", NULL, 0 },
		{ "2022-06-01T00:00:00Z", NULL, 0 },
	};

	(void)state;
	r.monthly = 4;
	r.yearly = 2;
	check_table(&r, s, N(s));
}

static void test_retention_hourly_splits_at_the_hour(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2024-06-01T10:00:00Z", NULL, HOURLY },
		{ "2024-06-01T09:59:59Z", NULL, HOURLY },
		{ "2024-06-01T09:00:00Z", NULL, 0 },
		{ "2024-06-01T08:59:59Z", NULL, HOURLY },
		{ "2024-06-01T08:30:00Z", NULL, 0 },
		{ "2024-06-01T07:00:00Z", NULL, 0 },
	};

	(void)state;
	r.hourly = 3;
	check_table(&r, s, N(s));
}

static void test_retention_times_before_1970_use_floor_division(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "1970-01-01T00:00:00Z", NULL, DAILY | HOURLY },
		{ "1969-12-31T23:59:59Z", NULL, DAILY | HOURLY },
		{ "1969-12-31T23:00:00Z", NULL, 0 },
		{ "1969-12-31T00:00:00Z", NULL, 0 },
		{ "1969-12-30T00:00:00Z", NULL, 0 },
	};

	(void)state;
	r.daily = 2;
	r.hourly = 2;
	check_table(&r, s, N(s));
}

static void test_retention_unlimited_keeps_every_bucket(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2024-04-20T00:00:00Z", NULL, MONTHLY },
		{ "2024-04-02T00:00:00Z", NULL, 0 },
		{ "2024-03-20T00:00:00Z", NULL, MONTHLY },
		{ "2024-03-02T00:00:00Z", NULL, 0 },
		{ "2023-12-20T00:00:00Z", NULL, MONTHLY },
		{ "2023-12-02T00:00:00Z", NULL, 0 },
		{ "2023-11-20T00:00:00Z", NULL, MONTHLY },
		{ "2023-11-02T00:00:00Z", NULL, MONTHLY }, /* the oldest: unlimited never runs out */
	};

	(void)state;
	r.monthly = SK_RETAIN_UNLIMITED;
	check_table(&r, s, N(s));
}

static void test_retention_keeps_the_oldest_while_a_rule_has_count_left(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	struct snap years[] = {
		{ "2024-06-01T00:00:00Z", NULL, YEARLY },
		{ "2023-12-01T00:00:00Z", NULL, YEARLY },
		{ "2023-01-01T00:00:00Z", NULL, YEARLY }, /* the oldest: same year, kept as count is left */
	};
	const struct snap day[] = {
		{ "2024-06-01T20:00:00Z", NULL, DAILY },
		{ "2024-06-01T12:00:00Z", NULL, 0 },
		{ "2024-06-01T04:00:00Z", NULL, DAILY }, /* the oldest */
	};

	(void)state;
	r.yearly = 10;
	check_table(&r, years, N(years));
	/* with the count used up before the oldest, it goes */
	r.yearly = 2;
	years[2].want = 0;
	check_table(&r, years, N(years));
	r.yearly = 0;
	r.daily = 5;
	check_table(&r, day, N(day));
}

/* within: the newest snapshot, the threshold (out) and a second after it (in) */
static void check_within(const char *newest, struct sk_duration d, const char *threshold)
{
	struct sk_retain r = SK_RETAIN_INIT;
	char after[SK_TIME_RFC3339_MAX], before[SK_TIME_RFC3339_MAX];
	struct snap s[] = {
		{ newest, "newest", WITHIN },
		{ after, "after", WITHIN },
		{ threshold, "threshold", 0 },
		{ before, "before", 0 },
	};

	r.has_within = true;
	r.within = d;
	sk_time_format_rfc3339(after, at(threshold) + 1);
	sk_time_format_rfc3339(before, at(threshold) - 86400);
	check_table(&r, s, N(s));
}

static void test_retention_within_uses_go_adddate_across_short_months(void **state)
{
	(void)state;
	/* 2024-02-31 does not exist: Go normalises it to 2024-03-02 */
	check_within("2024-03-31T00:00:00Z", (struct sk_duration){ 0, 1, 0, 0 }, "2024-03-02T00:00:00Z");
	check_within("2023-03-31T12:00:00Z", (struct sk_duration){ 0, 1, 0, 0 }, "2023-03-03T12:00:00Z");
	check_within("2024-05-31T06:30:00Z", (struct sk_duration){ 0, 3, 0, 0 }, "2024-03-02T06:30:00Z");
	check_within("2024-01-31T00:00:00Z", (struct sk_duration){ 0, 2, 0, 0 }, "2023-12-01T00:00:00Z");
	check_within("2025-01-15T00:00:00Z", (struct sk_duration){ 0, 13, 0, 0 }, "2023-12-15T00:00:00Z");
	/* a leap day minus a year: 2023-02-29 is 2023-03-01 */
	check_within("2024-02-29T06:00:00Z", (struct sk_duration){ 1, 0, 0, 0 }, "2023-03-01T06:00:00Z");
	/* months first, then days: 2024-02-31 minus 31 days is "2024-02-00", 2024-01-31 */
	check_within("2024-03-31T00:00:00Z", (struct sk_duration){ 0, 1, 31, 0 }, "2024-01-31T00:00:00Z");
	/* hours after the date arithmetic, across the leap day */
	check_within("2024-03-01T00:00:00Z", (struct sk_duration){ 0, 0, 1, 12 }, "2024-02-28T12:00:00Z");
	check_within("2024-03-01T00:00:00Z", (struct sk_duration){ 0, 0, 0, 1 }, "2024-02-29T23:00:00Z");
	/* restic's own test duration 1y1m1d */
	check_within("2016-01-18T12:02:03Z", (struct sk_duration){ 1, 1, 1, 0 }, "2014-12-17T12:02:03Z");
}

static void test_retention_within_far_back_keeps_everything(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2024-01-01T00:00:00Z", NULL, WITHIN },
		{ "1970-01-01T00:00:00Z", NULL, WITHIN },
		{ "1900-01-01T00:00:00Z", NULL, WITHIN },
	};

	(void)state;
	r.has_within = true;
	r.within.years = 9999;
	check_table(&r, s, N(s));
}

static void test_retention_several_rules_set_every_bit(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct snap s[] = {
		{ "2024-06-10T12:00:00Z", NULL, LAST | DAILY | WEEKLY | MONTHLY | YEARLY | WITHIN },
		{ "2024-06-10T06:00:00Z", NULL, WITHIN },
		{ "2024-06-09T12:00:00Z", NULL, DAILY | WEEKLY }, /* exactly 1d back: not within */
		{ "2024-06-08T12:00:00Z", NULL, 0 },
		{ "2024-05-01T00:00:00Z", NULL, 0 }, /* the oldest, every count used up */
	};

	(void)state;
	r.last = 1;
	r.daily = 2;
	r.weekly = 2;
	r.monthly = 1;
	r.yearly = 1;
	r.has_within = true;
	r.within.days = 1;
	check_table(&r, s, N(s));
}

static void test_retention_refuses_counts_below_unlimited(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	struct sk_retention_item it = { 0, "a", 0 };

	(void)state;
	r.weekly = -2;
	assert_int_equal(sk_retention_apply(&r, &it, 1), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_message(), "'weekly'"));
	r.weekly = 0;
	r.has_within = true;
	r.within.days = -1;
	assert_int_equal(sk_retention_apply(&r, &it, 1), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "within"));
}

/*
 * restic's TestApplyPolicy snapshots (internal/restic/snapshot_policy_test.go).
 * Times are whole seconds here: "x.1" marks restic's x+0.1 s twins, and the
 * ids make our order (time, then greater id) restic's (time, then input order).
 */
static const char *const restic_snaps[] = {
	"2014-09-01 10:20:30", "2014-09-02 10:20:30", "2014-09-05 10:20:30", "2014-09-06 10:20:30",
	"2014-09-08 10:20:30", "2014-09-09 10:20:30", "2014-09-10 10:20:30", "2014-09-11 10:20:30",
	"2014-09-20 10:20:30", "2014-09-22 10:20:30", "2014-08-08 10:20:30", "2014-08-10 10:20:30",
	"2014-08-12 10:20:30", "2014-08-13 10:20:30", "2014-08-13 10:20:30.1", "2014-08-15 10:20:30",
	"2014-08-18 10:20:30", "2014-08-20 10:20:30", "2014-08-21 10:20:30", "2014-08-22 10:20:30",
	"2014-10-01 10:20:30", "2014-10-02 10:20:30", "2014-10-05 10:20:30", "2014-10-06 10:20:30",
	"2014-10-08 10:20:30", "2014-10-09 10:20:30", "2014-10-10 10:20:30", "2014-10-11 10:20:30",
	"2014-10-20 10:20:30", "2014-10-22 10:20:30", "2014-11-08 10:20:30", "2014-11-10 10:20:30",
	"2014-11-12 10:20:30", "2014-11-13 10:20:30", "2014-11-13 10:20:30.1", "2014-11-15 10:20:30",
	"2014-11-18 10:20:30", "2014-11-20 10:20:30", "2014-11-21 10:20:30", "2014-11-22 10:20:30",
	"2015-09-01 10:20:30", "2015-09-02 10:20:30", "2015-09-05 10:20:30", "2015-09-06 10:20:30",
	"2015-09-08 10:20:30", "2015-09-09 10:20:30", "2015-09-10 10:20:30", "2015-09-11 10:20:30",
	"2015-09-20 10:20:30", "2015-09-22 10:20:30", "2015-08-08 10:20:30", "2015-08-10 10:20:30",
	"2015-08-12 10:20:30", "2015-08-13 10:20:30", "2015-08-13 10:20:30.1", "2015-08-15 10:20:30",
	"2015-08-18 10:20:30", "2015-08-20 10:20:30", "2015-08-21 10:20:30", "2015-08-22 10:20:30",
	"2015-10-01 10:20:30", "2015-10-02 10:20:30", "2015-10-05 10:20:30", "2015-10-06 10:20:30",
	"2015-10-08 10:20:30", "2015-10-09 10:20:30", "2015-10-10 10:20:30", "2015-10-11 10:20:30",
	"2015-10-20 10:20:30", "2015-10-22 10:20:30", "2015-10-22 10:20:30", "2015-10-22 10:20:30",
	"2015-10-22 10:20:30", "2015-10-22 10:20:30", "2015-11-08 10:20:30", "2015-11-10 10:20:30",
	"2015-11-12 10:20:30", "2015-11-13 10:20:30", "2015-11-13 10:20:30.1", "2015-11-15 10:20:30",
	"2015-11-18 10:20:30", "2015-11-20 10:20:30", "2015-11-21 10:20:30", "2015-11-22 10:20:30",
	"2016-01-01 01:02:03", "2016-01-01 01:03:03", "2016-01-01 07:08:03", "2016-01-03 07:02:03",
	"2016-01-04 10:23:03", "2016-01-04 11:23:03", "2016-01-04 12:23:03", "2016-01-04 12:24:03",
	"2016-01-04 12:28:03", "2016-01-04 12:30:03", "2016-01-04 16:23:03", "2016-01-05 09:02:03",
	"2016-01-06 08:02:03", "2016-01-07 10:02:03", "2016-01-08 20:02:03", "2016-01-09 21:02:03",
	"2016-01-12 21:02:03", "2016-01-12 21:08:03", "2016-01-18 12:02:03",
};

static struct sk_retention_item restic_items[N(restic_snaps)];
static char restic_ids[N(restic_snaps)][32];

static void restic_setup(void)
{
	size_t i;
	char buf[24];

	for (i = 0; i < N(restic_snaps); i++) {
		const char *s = restic_snaps[i];
		snprintf(buf, sizeof(buf), "%.10sT%.8sZ", s, s + 11);
		restic_items[i].time = at(buf);
		/* ".1" sorts after ".0": the later twin first; #999-i: the first of equal times first */
		snprintf(restic_ids[i], sizeof(restic_ids[i]), "%.19s%s#%03zu", s, strlen(s) > 19 ? ".1" : ".0",
			 999 - i);
		restic_items[i].id = restic_ids[i];
		restic_items[i].keep = 0;
	}
}

struct restic_keep {
	const char *when; /* the first snapshot of restic_snaps with this time */
	unsigned want;
};

static void check_restic(const struct sk_retain *r, const struct restic_keep *k, size_t nk)
{
	size_t i, j;
	int bad = 0;

	restic_setup();
	assert_int_equal(sk_retention_apply(r, restic_items, N(restic_items)), 0);
	for (i = 0; i < N(restic_snaps); i++) {
		unsigned want = 0;
		for (j = 0; j < nk; j++) {
			size_t first;
			for (first = 0; first < N(restic_snaps); first++)
				if (!strcmp(restic_snaps[first], k[j].when))
					break;
			assert_true(first < N(restic_snaps));
			if (first == i)
				want = k[j].want;
		}
		if (restic_items[i].keep != want) {
			char *got = reasons(restic_items[i].keep), *w = reasons(want);
			print_message("%s: got %s, want %s\n", restic_snaps[i], got, w);
			free(got);
			free(w);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* testdata/policy_keep_snapshots_39 (restic 0.16.0+): {Daily: 3, Weekly: 2, Monthly: unlimited, Yearly: unlimited} */
static void test_retention_restic_daily_weekly_and_unlimited_monthly_yearly(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct restic_keep k[] = {
		{ "2016-01-18 12:02:03", DAILY | WEEKLY | MONTHLY | YEARLY },
		{ "2016-01-12 21:08:03", DAILY | WEEKLY },
		{ "2016-01-09 21:02:03", DAILY },
		{ "2015-11-22 10:20:30", MONTHLY | YEARLY },
		{ "2015-10-22 10:20:30", MONTHLY },
		{ "2015-09-22 10:20:30", MONTHLY },
		{ "2015-08-22 10:20:30", MONTHLY },
		{ "2014-11-22 10:20:30", MONTHLY | YEARLY },
		{ "2014-10-22 10:20:30", MONTHLY },
		{ "2014-09-22 10:20:30", MONTHLY },
		{ "2014-08-22 10:20:30", MONTHLY },
		{ "2014-08-08 10:20:30", MONTHLY | YEARLY }, /* the oldest */
	};

	(void)state;
	r.daily = 3;
	r.weekly = 2;
	r.monthly = SK_RETAIN_UNLIMITED;
	r.yearly = SK_RETAIN_UNLIMITED;
	check_restic(&r, k, N(k));
}

/* testdata/policy_keep_snapshots_17: {Daily: 7, Weekly: 2, Monthly: 3, Yearly: 10}.  The stored
 * golden file predates restic 0.16.0; since then yearly, with 7 counts left, also keeps the oldest. */
static void test_retention_restic_daily_weekly_monthly_yearly(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct restic_keep k[] = {
		{ "2016-01-18 12:02:03", DAILY | WEEKLY | MONTHLY | YEARLY },
		{ "2016-01-12 21:08:03", DAILY | WEEKLY },
		{ "2016-01-09 21:02:03", DAILY },
		{ "2016-01-08 20:02:03", DAILY },
		{ "2016-01-07 10:02:03", DAILY },
		{ "2016-01-06 08:02:03", DAILY },
		{ "2016-01-05 09:02:03", DAILY },
		{ "2015-11-22 10:20:30", MONTHLY | YEARLY },
		{ "2015-10-22 10:20:30", MONTHLY },
		{ "2014-11-22 10:20:30", YEARLY },
		{ "2014-08-08 10:20:30", YEARLY }, /* restic 0.16.0+: the oldest */
	};

	(void)state;
	r.daily = 7;
	r.weekly = 2;
	r.monthly = 3;
	r.yearly = 10;
	check_restic(&r, k, N(k));
}

/* testdata/policy_keep_snapshots_16: {Yearly: 10}; the oldest added as above */
static void test_retention_restic_yearly(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	const struct restic_keep k[] = {
		{ "2016-01-18 12:02:03", YEARLY },
		{ "2015-11-22 10:20:30", YEARLY },
		{ "2014-11-22 10:20:30", YEARLY },
		{ "2014-08-08 10:20:30", YEARLY }, /* restic 0.16.0+: the oldest */
	};

	(void)state;
	r.yearly = 10;
	check_restic(&r, k, N(k));
}

/* testdata/policy_keep_snapshots_26: {Within: 1y1d1m}: the 63 snapshots after 2014-12-17 12:02:03,
 * all five equal 2015-10-22 ones included */
static void test_retention_restic_within(void **state)
{
	struct sk_retain r = SK_RETAIN_INIT;
	size_t i, kept = 0;

	(void)state;
	r.has_within = true;
	r.within = (struct sk_duration){ 1, 1, 1, 0 };
	restic_setup();
	assert_int_equal(sk_retention_apply(&r, restic_items, N(restic_items)), 0);
	for (i = 0; i < N(restic_snaps); i++) {
		unsigned want = strcmp(restic_snaps[i], "2015-08-08 10:20:30") >= 0 ? WITHIN : 0;
		if (restic_items[i].keep != want)
			print_message("%s: got %x, want %x\n", restic_snaps[i], restic_items[i].keep, want);
		assert_int_equal(restic_items[i].keep, want);
		kept += want != 0;
	}
	assert_int_equal(kept, 63);
}

static void test_keep_reason_names(void **state)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ SK_KEEP_LAST, "last" },
		{ SK_KEEP_HOURLY, "hourly" },
		{ SK_KEEP_DAILY, "daily" },
		{ SK_KEEP_WEEKLY, "weekly" },
		{ SK_KEEP_MONTHLY, "monthly" },
		{ SK_KEEP_YEARLY, "yearly" },
		{ SK_KEEP_WITHIN, "within" },
		{ SK_KEEP_NO_RULES, "no-rules" },
		{ SK_KEEP_NEWEST, "newest-available" },
		{ SK_KEEP_MIN_AVAILABLE, "min-available" },
		{ SK_KEEP_NOT_AVAILABLE, "not-available" },
		{ SK_KEEP_COPY_PENDING, "copy-pending" },
		{ SK_KEEP_FAILED_SIBLING, "failed-sibling" },
		{ SK_KEEP_MAX_DELETIONS, "max-deletions" },
		{ SK_KEEP_MASS_DELETE, "mass-delete" },
		{ SK_KEEP_CREATE_PENDING, "create-pending" },
		{ SK_KEEP_UNTIL, "keep-until" },
		{ SK_KEEP_GUARDRAIL, "guardrail" },
	};
	unsigned seen = 0;
	size_t i;

	(void)state;
	for (i = 0; i < N(names); i++) {
		assert_string_equal(sk_keep_reason_name(names[i].bit), names[i].name);
		seen |= names[i].bit;
	}
	assert_int_equal(seen, SK_KEEP_RULE_MASK | SK_KEEP_SAFETY_MASK); /* every bit has a name */
	assert_string_equal(sk_keep_reason_name(0), "unknown");
	assert_string_equal(sk_keep_reason_name(1u << 20), "unknown");
	assert_string_equal(sk_keep_reason_name(SK_KEEP_DAILY | SK_KEEP_WEEKLY), "unknown");
}

static void test_keep_reasons_format(void **state)
{
	struct sk_buf b = SK_BUF_INIT;

	(void)state;
	assert_int_equal(sk_keep_reasons_format(&b, 0), 0);
	assert_string_equal(sk_buf_cstr(&b), "none");
	sk_buf_reset(&b);
	assert_int_equal(sk_keep_reasons_format(&b, SK_KEEP_DAILY), 0);
	assert_string_equal(sk_buf_cstr(&b), "daily");
	sk_buf_reset(&b);
	assert_int_equal(sk_keep_reasons_format(&b, SK_KEEP_MAX_DELETIONS | SK_KEEP_WITHIN | SK_KEEP_LAST |
							   SK_KEEP_NEWEST | SK_KEEP_WEEKLY),
			 0);
	assert_string_equal(sk_buf_cstr(&b), "last, weekly, within, newest-available, max-deletions");
	/* appends to what is there, as render.c expects */
	sk_buf_reset(&b);
	assert_int_equal(sk_buf_adds(&b, "kept: "), 0);
	assert_int_equal(sk_keep_reasons_format(&b, SK_KEEP_NO_RULES | (1u << 20)), 0);
	assert_string_equal(sk_buf_cstr(&b), "kept: no-rules, unknown");
	sk_buf_free(&b);
	/* a full buffer is an error, not a crash */
	sk_buf_init(&b, 8);
	assert_int_equal(sk_keep_reasons_format(&b, SK_KEEP_DAILY | SK_KEEP_MONTHLY), SK_ERROR);
	sk_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retention_no_rules_keeps_every_snapshot),
		cmocka_unit_test(test_retention_empty_inventory_is_fine),
		cmocka_unit_test(test_retention_last_keeps_the_n_newest),
		cmocka_unit_test(test_retention_last_only_keeps_all_when_fewer_than_n),
		cmocka_unit_test(test_retention_equal_times_keep_the_greater_id_first),
		cmocka_unit_test(test_retention_input_order_does_not_matter),
		cmocka_unit_test(test_retention_keeps_newest_per_iso_week_53),
		cmocka_unit_test(test_retention_iso_weeks_cross_calendar_years),
		cmocka_unit_test(test_retention_daily_across_leap_days),
		cmocka_unit_test(test_retention_monthly_and_yearly_split_at_the_last_second),
		cmocka_unit_test(test_retention_hourly_splits_at_the_hour),
		cmocka_unit_test(test_retention_times_before_1970_use_floor_division),
		cmocka_unit_test(test_retention_unlimited_keeps_every_bucket),
		cmocka_unit_test(test_retention_keeps_the_oldest_while_a_rule_has_count_left),
		cmocka_unit_test(test_retention_within_uses_go_adddate_across_short_months),
		cmocka_unit_test(test_retention_within_far_back_keeps_everything),
		cmocka_unit_test(test_retention_several_rules_set_every_bit),
		cmocka_unit_test(test_retention_refuses_counts_below_unlimited),
		cmocka_unit_test(test_retention_restic_daily_weekly_and_unlimited_monthly_yearly),
		cmocka_unit_test(test_retention_restic_daily_weekly_monthly_yearly),
		cmocka_unit_test(test_retention_restic_yearly),
		cmocka_unit_test(test_retention_restic_within),
		cmocka_unit_test(test_keep_reason_names),
		cmocka_unit_test(test_keep_reasons_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
