/*
 * fuzz_scalars.c - the hand-written readers of one-line values
 *
 * The input, cut at its first NUL, goes to each reader of a value that
 * comes from outside: RFC 3339 times (answers, state files), cron
 * schedules, retention durations and windows (policies), and the `run`
 * options (--interval durations, --summary-at, --metrics-addr); ARNs have
 * fuzz_arn.  What a reader accepts must be what it says: a time or a
 * duration formats back to itself, a schedule's previous and next fire
 * times bracket the time asked about.  A refusal always says why.
 * Seeds: corpus/scalars/, one value per file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/service/alerts.h"
#include "reconciler/service/loop.h"
#include "reconciler/service/metrics_http.h"
#include "specs/cron.h"
#include "specs/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused(void)
{
	if (!sk_error_message()[0])
		abort();
}

static void check_time(const char *s)
{
	char text[SK_TIME_RFC3339_MAX], again[SK_TIME_RFC3339_MAX];
	int64_t t, ms, t2, ms2;

	sk_error_clear();
	if (sk_time_parse_rfc3339_ms(&ms, s) < 0) {
		refused();
		if (sk_time_parse_rfc3339(&t, s) == 0)
			abort();
		return;
	}
	if (sk_time_parse_rfc3339(&t, s) < 0 || t != (ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)))
		abort();
	/* what was read writes out in a form that reads back the same */
	sk_time_format_rfc3339_ms(text, ms);
	if (sk_time_parse_rfc3339_ms(&ms2, text) < 0 || ms2 != ms)
		abort();
	sk_time_format_rfc3339_ms(again, ms2);
	if (strcmp(text, again))
		abort();
	sk_time_format_rfc3339(text, t);
	if (sk_time_parse_rfc3339(&t2, text) < 0 || t2 != t)
		abort();
}

static void check_cron(const char *s)
{
	/* a few instants: now-ish, a leap day, the epoch, a century's last second */
	static const int64_t at[] = { 1767236400, 1835440496, 0, 4133980799 };
	struct sk_cron c;
	size_t col = (size_t)-1, i;

	sk_error_clear();
	if (sk_cron_parse(&c, s, &col) < 0) {
		refused();
		if (col != (size_t)-1 && col > strlen(s))
			abort(); /* the problem's offset is inside the text */
		return;
	}
	if (!c.valid)
		abort();
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		int64_t t = at[i], p = sk_cron_prev(&c, t), n = sk_cron_next(&c, t);

		if (p != -1 && (p > t || p % 60 || sk_cron_prev(&c, p) != p))
			abort();
		if (n != -1 && (n <= t || n % 60 || sk_cron_prev(&c, n) != n))
			abort();
		/* nothing fires between the two: each is the other's neighbour */
		if (p != -1 && n != -1 && n - p < 4 * 366 * 86400LL &&
		    (sk_cron_next(&c, p) != n || sk_cron_prev(&c, n - 1) != p))
			abort();
	}
}

static void check_policy_values(const char *s)
{
	struct sk_duration d, d2;
	char text[48];
	int start = -1, end = -1;

	sk_error_clear();
	if (sk_duration_parse(&d, s) == 0) {
		sk_duration_format(text, &d);
		if (sk_duration_parse(&d2, text) < 0 || memcmp(&d, &d2, sizeof(d)))
			abort();
	} else {
		refused();
	}
	sk_error_clear();
	if (sk_window_parse(s, &start, &end) == 0) {
		if (start < 0 || start >= 1440 || end < 0 || end >= 1440)
			abort();
	} else {
		refused();
	}
}

static void check_run_options(const char *s)
{
	char text[48];
	int64_t ms, ms2;
	int minute, port;
	char *host = NULL;

	sk_error_clear();
	if (sk_loop_parse_duration(&ms, s, true) == 0) {
		if (ms < 0)
			abort();
		sk_loop_format_duration(text, ms);
		if (sk_loop_parse_duration(&ms2, text, true) < 0 || ms2 != ms)
			abort();
		if ((sk_loop_parse_duration(&ms2, s, false) == 0) != (ms > 0))
			abort();
	} else {
		refused();
	}
	sk_error_clear();
	if (sk_alert_parse_time_of_day(&minute, s) == 0) {
		if (minute < 0 || minute >= 1440)
			abort();
	} else {
		refused();
	}
	sk_error_clear();
	if (sk_metrics_parse_addr(s, &host, &port) == 0) {
		if (!host || port < 0 || port > 65535 || strlen(host) >= strlen(s))
			abort();
		free(host);
	} else {
		if (host)
			abort();
		refused();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	check_time(s);
	check_cron(s);
	check_policy_values(s);
	check_run_options(s);
	free(s);
	return 0;
}
