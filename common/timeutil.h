/*
 * timeutil.h - UTC instants as seconds since the epoch
 *
 * Every time snapkeep reasons about is an int64_t count of seconds (or
 * milliseconds where named) since 1970-01-01T00:00:00Z.  These helpers read
 * and write RFC 3339 and SigV4's basic ISO 8601 form.
 */
#ifndef SK_TIMEUTIL_H
#define SK_TIMEUTIL_H

#include <stdint.h>

#define SK_TIME_RFC3339_MAX 40

/* "2026-01-01T03:00:00Z", "2014-10-31T20:13:18.384Z", "2026-01-01T04:00:00+01:00";
 * fractions are dropped (rounded down) */
int sk_time_parse_rfc3339(int64_t *out, const char *s);
/* as above, keeping milliseconds */
int sk_time_parse_rfc3339_ms(int64_t *out_ms, const char *s);
/* "2026-01-01T03:00:00Z" */
void sk_time_format_rfc3339(char out[SK_TIME_RFC3339_MAX], int64_t t);
/* "2026-01-01T03:00:00.123Z" */
void sk_time_format_rfc3339_ms(char out[SK_TIME_RFC3339_MAX], int64_t t_ms);
/* SigV4: "20150830T123600Z" and "20150830" */
void sk_time_format_amz(char out[17], int64_t t);
void sk_time_format_amz_date(char out[9], int64_t t);
/* wall clock */
int64_t sk_time_now(void);
int64_t sk_time_now_ms(void);
/* monotonic milliseconds, for latencies and timeouts */
int64_t sk_time_mono_ms(void);
/* days since the epoch for a civil date, and back (proleptic Gregorian, any year) */
int64_t sk_time_days_from_civil(int64_t y, unsigned m, unsigned d);
void sk_time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
