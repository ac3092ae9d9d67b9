/*
 * report_chart.c - the HTML report's charts, as inline SVG (common/svg.h)
 */
#include "reconciler/planner/report_chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/svg.h"
#include "common/timeutil.h"
#include "reconciler/planner/retention.h"

#define DAY 86400

/* timeline geometry (viewBox units, about CSS pixels at full width) */
#define TL_WIDTH 760.0
#define TL_LEFT 132.0 /* the row labels' column */
#define TL_RIGHT 14.0
#define TL_TOP 4.0
#define TL_LANE_HEAD 18.0
#define TL_ROW 14.0
#define TL_LANE_GAP 6.0
#define TL_AXIS 26.0
#define TL_MARK_R 4.5

static const struct {
	const char *key;
	const char *label;
	const char *rule; /* the model's rule name for the ladder's rows */
} ROWS[SK_CHART_ROWS] = {
	[SK_ROW_YEARLY] = { "yearly", "yearly", "yearly" },
	[SK_ROW_MONTHLY] = { "monthly", "monthly", "monthly" },
	[SK_ROW_WEEKLY] = { "weekly", "weekly", "weekly" },
	[SK_ROW_DAILY] = { "daily", "daily", "daily" },
	[SK_ROW_HOURLY] = { "hourly", "hourly", "hourly" },
	[SK_ROW_LAST] = { "last", "last", "last" },
	[SK_ROW_WITHIN] = { "within", "within", "within" },
	[SK_ROW_ALL] = { "all", "no rules: all kept", "all" },
	[SK_ROW_SAFETY] = { "safety", "kept for safety", NULL },
	[SK_ROW_DELETED] = { "deleted", "next apply deletes", NULL },
	[SK_ROW_AUTOMATED] = { "automated", "automated (RDS)", NULL },
	[SK_ROW_AWS_BACKUP] = { "aws-backup", "AWS Backup", NULL },
	[SK_ROW_MANUAL] = { "manual", "other manual", NULL },
};

enum sk_chart_row sk_chart_row_of(const struct sk_report_snapshot *s)
{
	size_t i;

	if (s->deleted)
		return SK_ROW_DELETED;
	switch (s->owner) {
	case SK_OWNER_AUTOMATED:
		return SK_ROW_AUTOMATED;
	case SK_OWNER_AWS_BACKUP:
		return SK_ROW_AWS_BACKUP;
	case SK_OWNER_MANUAL:
		return SK_ROW_MANUAL;
	case SK_OWNER_SNAPKEEP:
	default:
		break;
	}
	for (i = 0; s->rule && i < SK_CHART_ROWS; i++)
		if (ROWS[i].rule && !strcmp(ROWS[i].rule, s->rule))
			return (enum sk_chart_row)i;
	return SK_ROW_SAFETY;
}

const char *sk_chart_row_key(enum sk_chart_row row)
{
	return (unsigned)row < SK_CHART_ROWS ? ROWS[row].key : "unknown";
}

const char *sk_chart_row_label(enum sk_chart_row row)
{
	return (unsigned)row < SK_CHART_ROWS ? ROWS[row].label : "unknown";
}

/* ---- timelines ---- */

static struct sk_svg_scale time_scale(const struct sk_report *r)
{
	int64_t to = r->now, from = r->timeline_from;
	double pad;

	if (from <= 0 || from >= to)
		from = to - 30 * DAY;
	pad = (double)(to - from) * 0.015;
	return (struct sk_svg_scale){ .d0 = (double)from - pad, .d1 = (double)to + pad, .r0 = TL_LEFT,
				      .r1 = TL_WIDTH - TL_RIGHT };
}

int sk_chart_timeline_axis(struct sk_buf *out, const struct sk_report *r)
{
	struct sk_svg_scale x = time_scale(r);

	if (sk_buf_adds(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"defs\" width=\"0\" height=\"0\" "
			     "aria-hidden=\"true\"><defs><g id=\"tl-axis\">") < 0 ||
	    sk_svg_axis_time(out, &x, 0, 0, 8) < 0)
		return -1;
	return sk_buf_adds(out, "</g></defs></svg>");
}

/* the snapshots of instance in region: [*b, *e) of r->snapshots (they are grouped by region) */
static void lane_range(const struct sk_report *r, const struct sk_report_instance *in, const char *region, size_t *b,
		       size_t *e)
{
	size_t i = in->first_snapshot, end = in->first_snapshot + in->n_snapshots;

	while (i < end && strcmp(r->snapshots[i].region, region))
		i++;
	*b = i;
	while (i < end && !strcmp(r->snapshots[i].region, region))
		i++;
	*e = i;
}

static double mark_x(const struct sk_svg_scale *x, const struct sk_report *r, const struct sk_report_snapshot *s)
{
	return sk_svg_scale_map(x, (double)(s->created ? s->created : r->now));
}

static int mark_title(struct sk_buf *t, const struct sk_report_snapshot *s, enum sk_chart_row row)
{
	char when[SK_TIME_RFC3339_MAX];

	sk_buf_reset(t);
	if (s->created)
		sk_time_format_rfc3339(when, s->created);
	else
		snprintf(when, sizeof(when), "creating");
	if (sk_buf_printf(t, "%s · %s · %u GiB%s%s · ", s->id, when, s->gib, s->copy ? " · copy" : "",
			  s->encrypted ? "" : " · unencrypted") < 0)
		return -1;
	if (row == SK_ROW_DELETED)
		return sk_buf_adds(t, "deleted by next apply");
	if (s->owner != SK_OWNER_SNAPKEEP)
		return sk_buf_printf(t, "%s, not snapkeep's", sk_report_owner_name(s->owner));
	if (sk_buf_adds(t, "kept by ") < 0)
		return -1;
	if (s->keep)
		return sk_keep_reasons_format(t, s->keep);
	return sk_buf_adds(t, s->rule ? s->rule : "no rule");
}

/* one circle per snapshot of the row, each with its title */
static int detail_marks(struct sk_buf *out, struct sk_buf *t, const struct sk_report *r, const struct sk_svg_scale *x,
			size_t b, size_t e, enum sk_chart_row row, double y)
{
	char cls[40];
	size_t i;

	snprintf(cls, sizeof(cls), "mk k-%s", ROWS[row].key);
	for (i = b; i < e; i++) {
		const struct sk_report_snapshot *s = &r->snapshots[i];

		if (sk_chart_row_of(s) != row)
			continue;
		if (mark_title(t, s, row) < 0 || sk_svg_open(out, "circle") < 0 ||
		    sk_svg_attr_num(out, "cx", mark_x(x, r, s)) < 0 || sk_svg_attr_num(out, "cy", y) < 0 ||
		    sk_svg_attr_num(out, "r", TL_MARK_R) < 0 || sk_svg_attr(out, "class", cls) < 0 ||
		    sk_buf_printf(out, " data-n=\"1\" data-rule=\"%s\"", ROWS[row].key) < 0 ||
		    sk_svg_close(out, "circle", sk_buf_cstr(t)) < 0)
			return -1;
	}
	return 0;
}

/*
 * One path for the row's n snapshots: a round dot per pixel column, the
 * first placed ("M141 28h0"), each next one moved to from the last ("m6 0h0").
 */
static int dense_marks(struct sk_buf *out, struct sk_buf *t, const struct sk_report *r, const struct sk_svg_scale *x,
		       size_t b, size_t e, enum sk_chart_row row, double y, size_t n)
{
	char first[SK_TIME_RFC3339_MAX], last[SK_TIME_RFC3339_MAX];
	long px, last_px = 0;
	bool any = false;
	int64_t t0 = 0, t1 = 0;
	size_t i;

	if (sk_buf_printf(out, "<path class=\"mk k-%s\" data-n=\"%zu\" data-rule=\"%s\" d=\"", ROWS[row].key, n,
			  ROWS[row].key) < 0)
		return -1;
	for (i = b; i < e; i++) {
		const struct sk_report_snapshot *s = &r->snapshots[i];
		int64_t when = s->created ? s->created : r->now;

		if (sk_chart_row_of(s) != row)
			continue;
		if (!t0 || when < t0)
			t0 = when;
		if (when > t1)
			t1 = when;
		px = lround(mark_x(x, r, s));
		if (any && px == last_px)
			continue;
		if ((any ? sk_buf_printf(out, "m%ld 0h0", px - last_px) : sk_buf_printf(out, "M%ld %ldh0", px, lround(y))) < 0)
			return -1;
		any = true;
		last_px = px;
	}
	sk_time_format_rfc3339(first, t0);
	sk_time_format_rfc3339(last, t1);
	first[10] = last[10] = '\0';
	sk_buf_reset(t);
	if (sk_buf_printf(t, "%s: %zu snapshot%s, %s to %s", ROWS[row].label, n, n == 1 ? "" : "s", first, last) < 0 ||
	    sk_buf_addc(out, '"') < 0)
		return -1;
	return sk_svg_close(out, "path", sk_buf_cstr(t));
}

/* how many of [b, e) fall in each row */
static void count_rows(const struct sk_report *r, size_t b, size_t e, size_t counts[SK_CHART_ROWS])
{
	size_t i;

	memset(counts, 0, SK_CHART_ROWS * sizeof(counts[0]));
	for (i = b; i < e; i++)
		counts[sk_chart_row_of(&r->snapshots[i])]++;
}

static size_t used_rows(const size_t counts[SK_CHART_ROWS])
{
	size_t k, n = 0;

	for (k = 0; k < SK_CHART_ROWS; k++)
		n += counts[k] != 0;
	return n;
}

/* the used rows' labels, in one group, and their guide lines, in one path, from y down */
static int lane_rows(struct sk_buf *out, const size_t counts[SK_CHART_ROWS], double y)
{
	double cy = y + TL_ROW / 2;
	size_t k;

	if (sk_buf_adds(out, "<g class=\"rl\" text-anchor=\"end\">") < 0)
		return -1;
	for (k = 0; k < SK_CHART_ROWS; k++) {
		if (!counts[k])
			continue;
		if (sk_svg_text(out, TL_LEFT - 8, cy + 4, NULL, NULL, ROWS[k].label) < 0)
			return -1;
		cy += TL_ROW;
	}
	if (sk_buf_adds(out, "</g><path class=\"rowline\" d=\"") < 0)
		return -1;
	for (k = 0, cy = y + TL_ROW / 2; k < SK_CHART_ROWS; k++) {
		if (!counts[k])
			continue;
		if (sk_buf_printf(out, "M%ld %ldH%ld", lround(TL_LEFT), lround(cy), lround(TL_WIDTH - TL_RIGHT)) < 0)
			return -1;
		cy += TL_ROW;
	}
	return sk_buf_adds(out, "\"/>");
}

int sk_chart_timeline(struct sk_buf *out, const struct sk_report *r, size_t idx, bool dense)
{
	const struct sk_report_instance *in = &r->instances[idx];
	struct sk_svg_scale x = time_scale(r);
	struct sk_buf title = SK_BUF_INIT, label = SK_BUF_INIT;
	size_t counts[SK_CHART_ROWS], li, k, b, e, rows;
	double height = TL_TOP, y, now_x;
	int rc = -1;

	/* the height: each lane's head and used rows (an empty lane says so in one row) */
	for (li = 0; li < in->n_regions; li++) {
		lane_range(r, in, in->regions[li], &b, &e);
		count_rows(r, b, e, counts);
		rows = used_rows(counts);
		height += TL_LANE_HEAD + (double)(rows ? rows : 1) * TL_ROW + TL_LANE_GAP;
	}
	height += TL_AXIS;

	if (sk_buf_printf(&label, "snapshots of %s by region and rule", in->instance) < 0 ||
	    sk_svg_start(out, TL_WIDTH, height) < 0 || sk_svg_attr(out, "class", "timeline") < 0 ||
	    sk_svg_attr(out, "role", "img") < 0 || sk_svg_attr(out, "aria-label", sk_buf_cstr(&label)) < 0 ||
	    sk_svg_attr(out, "data-instance", in->instance) < 0 || sk_svg_attr(out, "data-policy", in->policy) < 0 ||
	    sk_buf_printf(out, " data-snapshots=\"%zu\"", in->n_snapshots) < 0 || sk_svg_body(out) < 0)
		goto done;

	y = TL_TOP;
	for (li = 0; li < in->n_regions; li++) {
		const char *region = in->regions[li];

		lane_range(r, in, region, &b, &e);
		count_rows(r, b, e, counts);
		rows = used_rows(counts);
		sk_buf_reset(&label);
		if (sk_buf_printf(&label, "%s%s · %zu snapshot%s", region, li ? " (copies)" : "", e - b,
				  e - b == 1 ? "" : "s") < 0 ||
		    sk_svg_open(out, "g") < 0 || sk_svg_attr(out, "class", "lane") < 0 ||
		    sk_svg_attr(out, "data-region", region) < 0 || sk_svg_body(out) < 0 ||
		    sk_svg_rect(out, 0, y, TL_WIDTH, TL_LANE_HEAD + (double)(rows ? rows : 1) * TL_ROW, "lane-bg", NULL) < 0 ||
		    sk_svg_text(out, 4, y + 13, NULL, "lane-head", sk_buf_cstr(&label)) < 0)
			goto done;
		y += TL_LANE_HEAD;
		if (rows && lane_rows(out, counts, y) < 0)
			goto done;
		if (!rows) {
			if (sk_svg_text(out, TL_LEFT, y + 9, NULL, "none", "no snapshots here") < 0)
				goto done;
			y += TL_ROW;
		}
		for (k = 0; k < SK_CHART_ROWS; k++) {
			double cy = y + TL_ROW / 2; /* whole pixels: shorter paths */

			if (!counts[k])
				continue;
			if (dense ? dense_marks(out, &title, r, &x, b, e, (enum sk_chart_row)k, cy, counts[k]) :
				    detail_marks(out, &title, r, &x, b, e, (enum sk_chart_row)k, cy))
				goto done;
			y += TL_ROW;
		}
		if (sk_svg_end(out, "g") < 0)
			goto done;
		y += TL_LANE_GAP;
	}
	/* now, and the shared axis */
	now_x = sk_svg_scale_map(&x, (double)r->now);
	if (sk_svg_line(out, now_x, TL_TOP, now_x, y, "now") < 0 ||
	    sk_svg_open(out, "use") < 0 || sk_svg_attr(out, "href", "#tl-axis") < 0 || sk_svg_attr_num(out, "y", y) < 0 ||
	    sk_svg_close(out, "use", NULL) < 0 || sk_svg_end(out, "svg") < 0)
		goto done;
	rc = 0;
done:
	sk_buf_free(&title);
	sk_buf_free(&label);
	return rc;
}

int sk_chart_legend(struct sk_buf *out)
{
	size_t k;

	if (sk_buf_adds(out, "<ul class=\"legend\">") < 0)
		return -1;
	for (k = 0; k < SK_CHART_ROWS; k++)
		if (sk_buf_printf(out,
				  "<li><svg viewBox=\"0 0 12 12\" aria-hidden=\"true\"><circle cx=\"6\" cy=\"6\" r=\"4.5\" "
				  "class=\"mk k-%s\"/></svg>%s</li>",
				  ROWS[k].key, ROWS[k].label) < 0)
			return -1;
	return sk_buf_adds(out, "</ul>");
}

/* ---- storage and cost over time ---- */

#define ST_WIDTH 760.0
#define ST_HEIGHT 240.0
#define ST_LEFT 64.0
#define ST_RIGHT 110.0 /* the lines' labels */
#define ST_TOP 12.0
#define ST_BOTTOM 28.0

static double series_at(const struct sk_report *r, bool cost, size_t d, size_t k)
{
	size_t at = d * r->n_regions + k;

	return cost ? r->storage_cost[at] : (double)r->storage_gib[at];
}

int sk_chart_storage(struct sk_buf *out, const struct sk_report *r, bool cost)
{
	struct sk_svg_scale x, y;
	double hi = 0, *xs = NULL, *ys = NULL, v;
	char cls[16], num[SK_SVG_NUM_MAX];
	struct sk_buf t = SK_BUF_INIT;
	size_t d, k;
	int rc = -1;

	if (!r->n_days || !r->n_regions || (cost ? !r->storage_cost : !r->storage_gib))
		return sk_buf_adds(out, "<p class=\"none\">No history: the state directory has no journal for this window.</p>");
	for (d = 0; d < r->n_days; d++)
		for (k = 0; k < r->n_regions; k++)
			hi = fmax(hi, series_at(r, cost, d, k));
	if (hi <= 0)
		hi = 1;
	hi = ceil(hi / sk_svg_nice_step(hi, 5)) * sk_svg_nice_step(hi, 5);
	x = (struct sk_svg_scale){ .d0 = (double)r->days[0].day + DAY, .d1 = (double)r->days[r->n_days - 1].day + DAY,
				   .r0 = ST_LEFT, .r1 = ST_WIDTH - ST_RIGHT };
	y = (struct sk_svg_scale){ .d0 = 0, .d1 = hi, .r0 = ST_HEIGHT - ST_BOTTOM, .r1 = ST_TOP };
	xs = calloc(r->n_days, sizeof(*xs));
	ys = calloc(r->n_days, sizeof(*ys));
	if (!xs || !ys) {
		sk_error_set_oom();
		goto done;
	}
	if (sk_svg_start(out, ST_WIDTH, ST_HEIGHT) < 0 ||
	    sk_svg_attr(out, "class", cost ? "series cost" : "series storage") < 0 ||
	    sk_svg_attr(out, "role", "img") < 0 ||
	    sk_svg_attr(out, "aria-label", cost ? "snapshot storage cost per region, USD per month, day by day" :
						  "snapshot storage per region, GiB, day by day") < 0 ||
	    sk_svg_body(out) < 0 ||
	    sk_svg_axis_value(out, &y, ST_LEFT, ST_WIDTH - ST_RIGHT, 5, cost ? "$" : "", cost ? "" : " GiB") < 0 ||
	    sk_svg_axis_time(out, &x, ST_HEIGHT - ST_BOTTOM, ST_TOP, 8) < 0)
		goto done;
	for (k = 0; k < r->n_regions; k++) {
		for (d = 0; d < r->n_days; d++) {
			xs[d] = sk_svg_scale_map(&x, (double)r->days[d].day + DAY);
			ys[d] = sk_svg_scale_map(&y, series_at(r, cost, d, k));
		}
		v = series_at(r, cost, r->n_days - 1, k);
		snprintf(cls, sizeof(cls), "line c%zu", k % 8);
		sk_buf_reset(&t);
		if (sk_buf_printf(&t, cost ? "%s: $%s per month at the end of the window" : "%s: %s GiB at the end of the window",
				  r->regions[k].region, sk_svg_num(num, v)) < 0 ||
		    sk_svg_open(out, "g") < 0 || sk_svg_attr(out, "class", "region") < 0 ||
		    sk_svg_attr(out, "data-region", r->regions[k].region) < 0 || sk_svg_body(out) < 0 ||
		    (r->n_days == 1 ? sk_svg_circle(out, xs[0], ys[0], 3, cls, sk_buf_cstr(&t)) :
				      sk_svg_polyline(out, xs, ys, r->n_days, cls, sk_buf_cstr(&t))) < 0)
			goto done;
		sk_buf_reset(&t);
		if (sk_buf_printf(&t, cost ? "%s $%s" : "%s %s GiB", r->regions[k].region, sk_svg_num(num, v)) < 0)
			goto done;
		snprintf(cls, sizeof(cls), "end c%zu", k % 8);
		/* the label at the line's end, nudged down for each region so labels of equal values stay apart */
		if (sk_svg_text(out, ST_WIDTH - ST_RIGHT + 6, ys[r->n_days - 1] + 4 + (double)(k % 4) * 11, NULL, cls,
				sk_buf_cstr(&t)) < 0 ||
		    sk_svg_end(out, "g") < 0)
			goto done;
	}
	if (sk_svg_end(out, "svg") < 0)
		goto done;
	rc = 0;
done:
	free(xs);
	free(ys);
	sk_buf_free(&t);
	return rc;
}

/* ---- quota ---- */

#define QB_WIDTH 760.0
#define QB_LEFT 110.0
#define QB_RIGHT 16.0
#define QB_ROW 34.0

int sk_chart_quota(struct sk_buf *out, const struct sk_report *r)
{
	struct sk_buf t = SK_BUF_INIT;
	double w = QB_WIDTH - QB_LEFT - QB_RIGHT, y, full, now, after;
	size_t k;
	int rc = -1;

	if (!r->n_regions)
		return sk_buf_adds(out, "<p class=\"none\">No regions observed.</p>");
	if (sk_svg_start(out, QB_WIDTH, (double)r->n_regions * QB_ROW + 8) < 0 || sk_svg_attr(out, "class", "quota") < 0 ||
	    sk_svg_attr(out, "role", "img") < 0 ||
	    sk_svg_attr(out, "aria-label", "manual snapshots per region against the quota, now and after the plan") < 0 ||
	    sk_svg_body(out) < 0)
		goto done;
	for (k = 0; k < r->n_regions; k++) {
		const struct sk_report_region *g = &r->regions[k];
		double quota = g->quota > 0 ? g->quota : 1;

		y = 4 + (double)k * QB_ROW;
		full = fmax((double)g->manual, (double)g->manual_after);
		now = fmin((double)g->manual / quota, 1.0) * w;
		after = fmin((double)g->manual_after / quota, 1.0) * w;
		sk_buf_reset(&t);
		if (sk_buf_printf(&t, "%zu of %d manual snapshots (%.0f%%) · after the plan %zu%s", g->manual, g->quota,
				  100.0 * (double)g->manual / quota, g->manual_after, g->over_quota ? " · OVER QUOTA" : "") < 0 ||
		    sk_svg_open(out, "g") < 0 || sk_svg_attr(out, "class", g->over_quota ? "qrow over" : "qrow") < 0 ||
		    sk_svg_attr(out, "data-region", g->region) < 0 ||
		    sk_buf_printf(out, " data-used=\"%zu\" data-quota=\"%d\"", g->manual, g->quota) < 0 || sk_svg_body(out) < 0 ||
		    sk_svg_text(out, QB_LEFT - 8, y + 15, "end", "rl", g->region) < 0 ||
		    sk_svg_rect(out, QB_LEFT, y + 4, w, 14, "qtrack", NULL) < 0 ||
		    sk_svg_rect(out, QB_LEFT, y + 4, now, 14, full > quota ? "qbar over" : "qbar", sk_buf_cstr(&t)) < 0 ||
		    sk_svg_line(out, QB_LEFT + after, y + 1, QB_LEFT + after, y + 21, "qafter") < 0 ||
		    sk_svg_text(out, QB_LEFT, y + 30, NULL, "qtext", sk_buf_cstr(&t)) < 0 || sk_svg_end(out, "g") < 0)
			goto done;
	}
	if (sk_svg_end(out, "svg") < 0)
		goto done;
	rc = 0;
done:
	sk_buf_free(&t);
	return rc;
}
