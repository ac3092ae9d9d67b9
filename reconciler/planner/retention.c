/*
 * retention.c - restic's `forget` rules (see retention.h)
 *
 * Follows restic's ApplyPolicy (internal/restic/snapshot_policy.go) as of
 * restic 0.16.0, commit 1257c2c0 (pull request #4366, "keep oldest
 * snapshot when there are not enough snapshots"); the count rules have
 * not changed since (0.17 only renamed the reason shown for that oldest
 * snapshot, "oldest daily snapshot").  In short:
 *
 *   sort newest first;
 *   for each snapshot, at position nr:
 *     within:  keep if time > newest.AddDate(-y, -m, -d) - hours;
 *     for each count rule with count left (or unlimited):
 *       if its bucket differs from the bucket it last kept, or nr is the
 *       oldest snapshot: keep, remember the bucket, use up one count.
 *
 * Where snapkeep differs on purpose: equal times are ordered by id, the
 * greater first (restic keeps its input order); `within` is measured from
 * the newest snapshot (restic skips snapshots dated in the future, we have
 * no clock here); every rule that keeps a snapshot sets its bit, as restic
 * lists every reason; with no rule at all everything is kept
 * (SK_KEEP_NO_RULES), where restic's forget refuses an empty policy ("no
 * policy was specified, no snapshots will be removed").  A within of zero
 * length is no rule, as restic's Duration.Zero().  Counts below -1 are
 * refused with SK_ERR_INVALID (restic's command line refuses them too; its
 * ApplyPolicy would silently ignore such a rule).
 */
#include "reconciler/planner/retention.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/timeutil.h"

#define SECS_PER_HOUR 3600
#define SECS_PER_DAY 86400

enum rule { R_LAST, R_HOURLY, R_DAILY, R_WEEKLY, R_MONTHLY, R_YEARLY, R_COUNT };

static const unsigned rule_bit[R_COUNT] = {
	SK_KEEP_LAST, SK_KEEP_HOURLY, SK_KEEP_DAILY, SK_KEEP_WEEKLY, SK_KEEP_MONTHLY, SK_KEEP_YEARLY,
};

static const char *const rule_name[R_COUNT] = {
	"last", "hourly", "daily", "weekly", "monthly", "yearly",
};

/* one snapshot in newest-first order */
struct ord {
	int64_t time;
	const char *id;
	size_t idx;
};

/* a count rule while it walks the snapshots */
struct counter {
	int left;        /* counts left; SK_RETAIN_UNLIMITED never runs out */
	bool has_last;   /* has it kept anything yet? */
	int64_t last;    /* the bucket of what it kept last */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int newest_first(const void *pa, const void *pb)
{
	const struct ord *a = pa, *b = pb;
	int c;

	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	c = strcmp(a->id, b->id);
	if (c)
		return c > 0 ? -1 : 1;
	/* the same time and id: only the position is left to tell them apart */
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* ISO 8601 year and week of a day (days since the epoch), as Go's ISOWeek */
static void iso_week(int64_t days, int64_t *year, int64_t *week)
{
	int64_t monday_based = floor_div(days + 3, 7) * 7 - 3; /* this week's Monday; 1970-01-01 was a Thursday */
	int64_t thursday = monday_based + 3;                   /* its Thursday decides the year */
	unsigned m, d;

	sk_time_civil_from_days(thursday, year, &m, &d);
	*week = (thursday - sk_time_days_from_civil(*year, 1, 1)) / 7 + 1;
}

/* the bucket a snapshot falls in for a rule; any value, only equality matters */
static int64_t bucket(enum rule r, int64_t t, size_t nr)
{
	int64_t days = floor_div(t, SECS_PER_DAY), y, w;
	unsigned m, d;

	switch (r) {
	case R_LAST:
		return (int64_t)nr;
	case R_HOURLY:
		return floor_div(t, SECS_PER_HOUR);
	case R_DAILY:
		return days;
	case R_WEEKLY:
		iso_week(days, &y, &w);
		return y * 100 + w;
	case R_MONTHLY:
		sk_time_civil_from_days(days, &y, &m, &d);
		return y * 12 + (int64_t)m - 1;
	case R_YEARLY:
		sk_time_civil_from_days(days, &y, &m, &d);
		return y;
	default:
		return 0;
	}
}

/*
 * Go's t.AddDate(-years, -months, -days).Add(-hours): the fields are
 * subtracted and the date then normalised, so 2024-03-31 minus one month is
 * "2024-02-31", i.e. 2024-03-02.  All in UTC, so no daylight saving.
 */
static int64_t within_threshold(int64_t newest, const struct sk_duration *w)
{
	int64_t days = floor_div(newest, SECS_PER_DAY), sod = newest - days * SECS_PER_DAY;
	int64_t y, month0, first;
	unsigned m, d;

	sk_time_civil_from_days(days, &y, &m, &d);
	month0 = (y - w->years) * 12 + ((int64_t)m - 1) - w->months;
	y = floor_div(month0, 12);
	month0 -= y * 12;
	first = sk_time_days_from_civil(y, (unsigned)month0 + 1, 1);
	days = first + ((int64_t)d - 1) - w->days;
	return days * SECS_PER_DAY + sod - (int64_t)w->hours * SECS_PER_HOUR;
}

static int check_rules(const struct sk_retain *r, int count[R_COUNT])
{
	int i;

	count[R_LAST] = r->last;
	count[R_HOURLY] = r->hourly;
	count[R_DAILY] = r->daily;
	count[R_WEEKLY] = r->weekly;
	count[R_MONTHLY] = r->monthly;
	count[R_YEARLY] = r->yearly;
	for (i = 0; i < R_COUNT; i++)
		if (count[i] < SK_RETAIN_UNLIMITED)
			return sk_error_set(SK_ERR_INVALID, "retain '%s': must be a count or unlimited (-1), got %d",
					    rule_name[i], count[i]);
	if (r->has_within && (r->within.years < 0 || r->within.months < 0 || r->within.days < 0 ||
			      r->within.hours < 0))
		return sk_error_set(SK_ERR_INVALID, "retain 'within': must not be negative");
	return 0;
}

int sk_retention_apply(const struct sk_retain *r, struct sk_retention_item *items, size_t n)
{
	struct counter c[R_COUNT];
	struct ord *ord = NULL;
	int count[R_COUNT];
	bool within, any = false;
	int64_t threshold = 0;
	size_t i, nr;
	int k, error;

	if ((error = check_rules(r, count)) < 0)
		return error;
	for (i = 0; i < n; i++)
		items[i].keep = 0;

	within = r->has_within && (r->within.years || r->within.months || r->within.days || r->within.hours);
	for (k = 0; k < R_COUNT; k++)
		any |= count[k] != 0;
	if (!any && !within) {
		for (i = 0; i < n; i++)
			items[i].keep = SK_KEEP_NO_RULES;
		return 0;
	}
	if (n == 0)
		return 0;

	if (n > SIZE_MAX / sizeof(*ord) || !(ord = malloc(n * sizeof(*ord))))
		return sk_error_set_oom();
	for (i = 0; i < n; i++) {
		ord[i].time = items[i].time;
		ord[i].id = items[i].id;
		ord[i].idx = i;
	}
	qsort(ord, n, sizeof(*ord), newest_first);

	if (within)
		threshold = within_threshold(ord[0].time, &r->within);
	for (k = 0; k < R_COUNT; k++) {
		c[k].left = count[k];
		c[k].has_last = false;
		c[k].last = 0;
	}

	for (nr = 0; nr < n; nr++) {
		struct sk_retention_item *it = &items[ord[nr].idx];
		int64_t t = ord[nr].time;

		if (within && t > threshold)
			it->keep |= SK_KEEP_WITHIN;
		for (k = 0; k < R_COUNT; k++) {
			int64_t b;

			if (c[k].left == 0)
				continue;
			b = bucket((enum rule)k, t, nr);
			/* restic 0.16+: a rule with count left also keeps the oldest snapshot */
			if (!c[k].has_last || b != c[k].last || nr == n - 1) {
				it->keep |= rule_bit[k];
				c[k].has_last = true;
				c[k].last = b;
				if (c[k].left > 0)
					c[k].left--;
			}
		}
	}
	free(ord);
	return 0;
}

static const struct {
	unsigned bit;
	const char *name;
} reason_names[] = {
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

const char *sk_keep_reason_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]); i++)
		if (reason_names[i].bit == bit)
			return reason_names[i].name;
	return "unknown";
}

int sk_keep_reasons_format(struct sk_buf *out, unsigned keep)
{
	unsigned bit;
	bool first = true;
	int error;

	if (!keep)
		return sk_buf_adds(out, "none");
	for (bit = 1; bit; bit <<= 1) {
		if (!(keep & bit))
			continue;
		if (!first && (error = sk_buf_adds(out, ", ")) < 0)
			return error;
		if ((error = sk_buf_adds(out, sk_keep_reason_name(bit))) < 0)
			return error;
		first = false;
	}
	return 0;
}
