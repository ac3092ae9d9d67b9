/*
 * cron.c - 5-field cron schedules in UTC (Vixie cron semantics)
 *
 * A schedule is five bit sets; the search for the previous or next fire
 * time walks whole days (skipping whole months that do not match) and
 * picks the hour and minute inside a day with bit operations, so it costs
 * at most a few thousand steps for the 8 years it looks at.
 */
#include "specs/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/timeutil.h"

#define SEARCH_DAYS (8 * 366 + 2)

struct field {
	const char *name;
	int min, max;
	const char *const *names; /* names for min.. (or NULL) */
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
					   "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day-of-week", 0, 7, day_names },
};

struct cursor {
	const char *text; /* the whole schedule, for offsets */
	const char *p;
	const char *end;
	size_t *col;
};

static int fail(struct cursor *c, const char *at, int idx, const char *detail)
{
	if (c->col)
		*c->col = (size_t)(at - c->text);
	return sk_error_set(SK_ERR_POLICY, "cron field %d (%s): %s", idx, fields[idx - 1].name, detail);
}

/* a number or a name at c->p; *at receives where it started */
static int read_value(struct cursor *c, const struct field *f, int idx, int *out)
{
	const char *s = c->p;
	char tok[32];
	size_t n = 0;

	if (s < c->end && isdigit((unsigned char)*s)) {
		long v = 0;

		while (s < c->end && isdigit((unsigned char)*s)) {
			if (v < 100000)
				v = v * 10 + (*s - '0');
			s++;
		}
		if (v < f->min || v > f->max) {
			char detail[96];

			snprintf(detail, sizeof(detail), "%.*s is out of range %d..%d", (int)(s - c->p > 20 ? 20 : s - c->p),
				 c->p, f->min, f->max);
			return fail(c, c->p, idx, detail);
		}
		*out = (int)v;
		c->p = s;
		return 0;
	}
	while (s < c->end && isalpha((unsigned char)*s)) {
		if (n + 1 < sizeof(tok))
			tok[n++] = (char)*s;
		s++;
	}
	tok[n] = '\0';
	if (n == 0) {
		char detail[96];

		if (c->p >= c->end)
			snprintf(detail, sizeof(detail), "a value is missing at the end");
		else
			snprintf(detail, sizeof(detail), "unexpected '%c'", isprint((unsigned char)*c->p) ? *c->p : '?');
		return fail(c, c->p, idx, detail);
	}
	if (f->names) {
		for (int i = 0; f->names[i]; i++) {
			if (n == 3 && !strcasecmp(tok, f->names[i])) {
				*out = f->min + i;
				c->p = s;
				return 0;
			}
		}
	}
	{
		char detail[128];

		if (f->names)
			snprintf(detail, sizeof(detail), "unknown name '%s' (expected %s)", tok,
				 f->names == month_names ? "jan..dec" : "sun..sat");
		else
			snprintf(detail, sizeof(detail), "'%s' is not a number", tok);
		return fail(c, c->p, idx, detail);
	}
}

/* one comma-separated field into bits; *star when it starts with '*' */
static int parse_field(struct cursor *c, const struct field *f, int idx, uint64_t *bits, bool *star)
{
	*bits = 0;
	*star = c->p < c->end && *c->p == '*';
	for (;;) {
		const char *elem = c->p;
		int lo, hi, step = 1;
		bool range = false;

		if (c->p < c->end && *c->p == '*') {
			lo = f->min;
			hi = f->max;
			c->p++;
			range = true;
		} else {
			if (read_value(c, f, idx, &lo) < 0)
				return SK_ERROR;
			hi = lo;
			if (c->p < c->end && *c->p == '-') {
				c->p++;
				if (read_value(c, f, idx, &hi) < 0)
					return SK_ERROR;
				if (hi < lo) {
					char detail[96];

					snprintf(detail, sizeof(detail), "range %.*s goes backwards", (int)(c->p - elem),
						 elem);
					return fail(c, elem, idx, detail);
				}
				range = true;
			}
		}
		if (c->p < c->end && *c->p == '/') {
			const char *st = ++c->p;
			long v = 0;

			while (c->p < c->end && isdigit((unsigned char)*c->p)) {
				if (v < 100000)
					v = v * 10 + (*c->p - '0');
				c->p++;
			}
			if (c->p == st || v == 0) {
				char detail[64];

				snprintf(detail, sizeof(detail), "a step must be a number of at least 1");
				return fail(c, st, idx, detail);
			}
			if (!range)
				hi = f->max; /* "5/15" is "5-max/15", as cronie reads it */
			step = v > f->max + 1 ? f->max + 1 : (int)v;
		}
		for (int v = lo; v <= hi; v += step)
			*bits |= (uint64_t)1 << v;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p != ' ' && *c->p != '\t') {
			char detail[64];

			snprintf(detail, sizeof(detail), "unexpected '%c'", isprint((unsigned char)*c->p) ? *c->p : '?');
			return fail(c, c->p, idx, detail);
		}
		return 0;
	}
}

static const struct {
	const char *name;
	const char *expansion;
} shorthands[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" },    { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static int parse_fields(struct sk_cron *out, const char *text, size_t len, size_t *col)
{
	struct cursor c = { text, text, text + len, col };
	uint64_t bits[5];
	bool star[5];
	int n = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		while (c.p < c.end && (*c.p == ' ' || *c.p == '\t'))
			c.p++;
		if (c.p >= c.end)
			break;
		if (n == 5) {
			if (col)
				*col = (size_t)(c.p - text);
			return sk_error_set(SK_ERR_POLICY,
					    "cron schedule has more than 5 fields (minute hour day-of-month month day-of-week)");
		}
		if (parse_field(&c, &fields[n], n + 1, &bits[n], &star[n]) < 0)
			return SK_ERROR;
		n++;
	}
	if (n < 5) {
		if (col)
			*col = len;
		if (n == 0)
			return sk_error_set(SK_ERR_POLICY, "cron schedule is empty");
		return sk_error_set(SK_ERR_POLICY,
				    "cron schedule has %d field%s, expected 5 (minute hour day-of-month month day-of-week)",
				    n, n == 1 ? "" : "s");
	}
	out->minutes = bits[0];
	out->hours = (uint32_t)bits[1];
	out->mdays = (uint32_t)bits[2];
	out->months = (uint16_t)bits[3];
	/* 7 is Sunday too */
	out->wdays = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f);
	out->mday_star = star[2];
	out->wday_star = star[4];
	out->valid = true;
	return 0;
}

int sk_cron_parse(struct sk_cron *out, const char *text, size_t *col)
{
	const char *s = text, *e;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!text)
		return sk_error_set(SK_ERR_POLICY, "cron schedule is empty");
	len = strlen(text);
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '@') {
		e = s;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]); i++) {
			size_t n = strlen(shorthands[i].name);

			if ((size_t)(e - s) == n && !strncasecmp(s, shorthands[i].name, n)) {
				const char *rest = e;

				while (*rest == ' ' || *rest == '\t')
					rest++;
				if (*rest) {
					if (col)
						*col = (size_t)(rest - text);
					return sk_error_set(SK_ERR_POLICY, "cron schedule: nothing may follow '%s'",
							    shorthands[i].name);
				}
				return parse_fields(out, shorthands[i].expansion, strlen(shorthands[i].expansion),
						    NULL);
			}
		}
		if (col)
			*col = (size_t)(s - text);
		return sk_error_set(SK_ERR_POLICY,
				    "cron schedule: unknown shorthand '%.*s' (expected @yearly, @monthly, @weekly, @daily or @hourly)",
				    (int)((e - s) > 32 ? 32 : (e - s)), s);
	}
	return parse_fields(out, text, len, col);
}

/* ---- searching ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* highest set bit <= x, or -1 */
static int bit_at_or_below(uint64_t mask, int x)
{
	if (x < 0)
		return -1;
	if (x < 63)
		mask &= ((uint64_t)2 << x) - 1;
	return mask ? 63 - __builtin_clzll(mask) : -1;
}

/* lowest set bit >= x, or -1 */
static int bit_at_or_above(uint64_t mask, int x)
{
	if (x > 63)
		return -1;
	if (x > 0)
		mask &= ~(((uint64_t)1 << x) - 1);
	return mask ? __builtin_ctzll(mask) : -1;
}

static bool day_matches(const struct sk_cron *c, unsigned mday, int64_t days)
{
	int wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	bool dom = (c->mdays >> mday) & 1;
	bool dow = (c->wdays >> wday) & 1;

	if (c->mday_star || c->wday_star)
		return dom && dow;
	return dom || dow;
}

/* the set bit of mask nearest x, at x or beyond it in dir's direction (-1: down, 1: up), or -1 */
static int nearest_bit(uint64_t mask, int x, int dir)
{
	return dir < 0 ? bit_at_or_below(mask, x) : bit_at_or_above(mask, x);
}

/* the matching minute nearest t, at or before it (dir -1) or after it (dir 1), in seconds; -1 when none */
static int64_t search(const struct sk_cron *c, int64_t t, int dir)
{
	int64_t minute = floor_div(t, 60) + (dir > 0);
	int64_t days = floor_div(minute, 1440), stop = days + dir * SEARCH_DAYS;
	int h = (int)((minute - days * 1440) / 60), m = (int)((minute - days * 1440) % 60);
	int day_h = dir < 0 ? 23 : 0, day_m = dir < 0 ? 59 : 0; /* where the search enters a day */

	if (!c || !c->valid || !c->minutes || !c->hours)
		return -1;
	while (dir < 0 ? days >= stop : days <= stop) {
		int64_t y;
		unsigned mo, d;

		sk_time_civil_from_days(days, &y, &mo, &d);
		if (!((c->months >> mo) & 1)) {
			/* the last day of the month before, or the first day of the month after */
			if (dir < 0)
				days = sk_time_days_from_civil(y, mo, 1) - 1;
			else
				days = mo == 12 ? sk_time_days_from_civil(y + 1, 1, 1)
						: sk_time_days_from_civil(y, mo + 1, 1);
		} else {
			if (day_matches(c, d, days)) {
				int hh = nearest_bit(c->hours, h, dir);

				if (hh == h) {
					int mm = nearest_bit(c->minutes, m, dir);

					if (mm >= 0)
						return (days * 1440 + hh * 60 + mm) * 60;
					hh = nearest_bit(c->hours, h + dir, dir);
				}
				if (hh >= 0 && hh <= 23)
					return (days * 1440 + hh * 60 + nearest_bit(c->minutes, day_m, dir)) * 60;
			}
			days += dir;
		}
		h = day_h;
		m = day_m;
	}
	return -1;
}

int64_t sk_cron_prev(const struct sk_cron *c, int64_t t)
{
	return search(c, t, -1);
}

int64_t sk_cron_next(const struct sk_cron *c, int64_t t)
{
	return search(c, t, 1);
}
