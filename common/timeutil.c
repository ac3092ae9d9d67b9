/*
 * timeutil.c - UTC instants
 *
 * Civil-date arithmetic uses Howard Hinnant's days_from_civil algorithm so
 * no time zone or libc table is involved.
 */
#include "common/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"

int64_t sk_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void sk_time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n--) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 29 : days[m - 1];
}

int sk_time_parse_rfc3339_ms(int64_t *out_ms, const char *s)
{
	const char *p = s;
	int Y, M, D, h, mi, sec, ms = 0, oh = 0, om = 0, sign = 0;
	int64_t t;

	if (!s)
		return sk_error_set(SK_ERR_INVALID, "missing time");
	if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
	    digits(&p, 2, &D) || (*p != 'T' && *p != 't' && *p != ' '))
		goto bad;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec))
		goto bad;
	if (*p == '.') {
		int scale = 100;
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p)) {
			ms += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
			goto bad;
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
	if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || mi > 59 || sec > 60 || oh > 23 ||
	    om > 59)
		goto bad;
	t = sk_time_days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	/* an offset or a leap second may leave years 0000..9999, which could not be written back */
	if (t < sk_time_days_from_civil(0, 1, 1) * 86400 || t >= sk_time_days_from_civil(10000, 1, 1) * 86400)
		goto bad;
	*out_ms = t * 1000 + ms;
	return 0;
bad:
	return sk_error_set(SK_ERR_INVALID, "'%s' is not an RFC 3339 time (as 2026-01-01T03:00:00Z)", s);
}

int sk_time_parse_rfc3339(int64_t *out, const char *s)
{
	int64_t ms;

	if (sk_time_parse_rfc3339_ms(&ms, s) < 0)
		return -1;
	*out = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	return 0;
}

static void split(int64_t t, int64_t *y, unsigned *m, unsigned *d, int *h, int *mi, int *s)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;

	sk_time_civil_from_days(days, y, m, d);
	*h = (int)(rem / 3600);
	*mi = (int)(rem / 60 % 60);
	*s = (int)(rem % 60);
}

void sk_time_format_rfc3339(char out[SK_TIME_RFC3339_MAX], int64_t t)
{
	int64_t y;
	unsigned m, d;
	int h, mi, s;

	split(t, &y, &m, &d, &h, &mi, &s);
	snprintf(out, SK_TIME_RFC3339_MAX, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, h, mi, s);
}

void sk_time_format_rfc3339_ms(char out[SK_TIME_RFC3339_MAX], int64_t t_ms)
{
	int64_t t = t_ms >= 0 ? t_ms / 1000 : -((-t_ms + 999) / 1000);
	int ms = (int)(t_ms - t * 1000);
	int64_t y;
	unsigned m, d;
	int h, mi, s;

	split(t, &y, &m, &d, &h, &mi, &s);
	snprintf(out, SK_TIME_RFC3339_MAX, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d, h,
		 mi, s, ms);
}

void sk_time_format_amz(char out[17], int64_t t)
{
	int64_t y;
	unsigned m, d;
	int h, mi, s;
	char tmp[64];

	split(t, &y, &m, &d, &h, &mi, &s);
	snprintf(tmp, sizeof(tmp), "%04d%02u%02uT%02d%02d%02dZ", (int)(y % 10000), m, d, h, mi, s);
	memcpy(out, tmp, 16);
	out[16] = '\0';
}

void sk_time_format_amz_date(char out[9], int64_t t)
{
	char full[17];

	sk_time_format_amz(full, t);
	memcpy(out, full, 8);
	out[8] = '\0';
}

int64_t sk_time_now(void)
{
	return (int64_t)time(NULL);
}

int64_t sk_time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sk_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
