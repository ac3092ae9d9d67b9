/*
 * cron.h - 5-field cron schedules in UTC, as Vixie cron reads them
 *
 * "minute hour day-of-month month day-of-week", each a list of values,
 * ranges (a-b), steps (*\/n, a-b/n) or *; month and weekday names (jan,
 * mon; case-insensitive); day-of-week 0-7 with 0 and 7 both Sunday.  When
 * both day-of-month and day-of-week are restricted, a day matches if
 * either does (Vixie cron).  Shorthands: @yearly (@annually), @monthly,
 * @weekly, @daily (@midnight), @hourly.  Every time is UTC.
 *
 * A schedule slot is a fire time: the reconciler takes a snapshot for the
 * latest slot at or before "now" (sk_cron_prev).
 */
#ifndef SK_CRON_H
#define SK_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sk_cron {
	uint64_t minutes;  /* bit m for minute 0..59 */
	uint32_t hours;    /* bit h for 0..23 */
	uint32_t mdays;    /* bit d for 1..31 */
	uint16_t months;   /* bit m for 1..12 */
	uint8_t wdays;     /* bit w for 0..6, Sunday = 0 */
	bool mday_star;    /* day-of-month was '*' (or a '*' step) */
	bool wday_star;
	bool valid;
};

/*
 * 0, or SK_ERROR (class SK_ERR_POLICY) with a message naming the field and
 * what was wrong: "cron field 2 (hour): 24 is out of range 0..23".  col, when
 * not NULL, receives the 0-based offset in text where the problem is.
 */
int sk_cron_parse(struct sk_cron *out, const char *text, size_t *col);
/* the latest fire time <= t (a whole minute), or -1 when none in the 8 years before t */
int64_t sk_cron_prev(const struct sk_cron *c, int64_t t);
/* the earliest fire time > t, or -1 when none in the 8 years after t */
int64_t sk_cron_next(const struct sk_cron *c, int64_t t);

#endif
