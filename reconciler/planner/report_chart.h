/*
 * report_chart.h - the HTML report's charts, as inline SVG (common/svg.h)
 *
 * Drawn from the report model (report.h) alone:
 *
 *   timeline   per instance, its snapshots over [r->timeline_from, r->now]:
 *              a lane per region (the instance's regions[] order), and in
 *              each lane a row per rung of the retention ladder that keeps
 *              some of them (yearly, monthly, weekly, daily, hourly, last,
 *              within, all, a safety rule), a row for what the next apply
 *              deletes and a row per other owner (automated, AWS Backup,
 *              other manual).  Position says the rule and each row is
 *              labelled, so colour is never the only clue.
 *   storage    per region, GiB held (or USD per month) at the end of each
 *              day of the history window, a line per region, labelled
 *   quota      per region, manual snapshots now against the quota, and
 *              after the plan
 *
 * Marks are counted the same way in both densities: every element of class
 * "mk" carries data-n, the snapshots it stands for, and data-rule, its
 * row's key.  In detail each snapshot is one circle with a <title> (id,
 * time, size, what keeps it); dense (many snapshots) one path per (lane,
 * row) whose sub-paths are the snapshots, points closer than a pixel
 * merged, titled with the row's count and span.  Each function returns 0,
 * or -1 when the buffer cannot grow.
 */
#ifndef SK_REPORT_CHART_H
#define SK_REPORT_CHART_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "reconciler/planner/report.h"

/* the timeline rows, top down */
enum sk_chart_row {
	SK_ROW_YEARLY = 0,
	SK_ROW_MONTHLY,
	SK_ROW_WEEKLY,
	SK_ROW_DAILY,
	SK_ROW_HOURLY,
	SK_ROW_LAST,
	SK_ROW_WITHIN,
	SK_ROW_ALL,
	SK_ROW_SAFETY,
	SK_ROW_DELETED,
	SK_ROW_AUTOMATED,
	SK_ROW_AWS_BACKUP,
	SK_ROW_MANUAL,
};
#define SK_CHART_ROWS 13

/* the row a snapshot is drawn in */
enum sk_chart_row sk_chart_row_of(const struct sk_report_snapshot *s);
/* "daily", "deleted", "automated", ...: data-rule and the class k-<key> */
const char *sk_chart_row_key(enum sk_chart_row row);
/* what the legend and the row label say: "daily", "next apply deletes", ... */
const char *sk_chart_row_label(enum sk_chart_row row);

/*
 * The time axis every timeline shares (they have one time scale), drawn
 * once in a hidden <svg> as <g id="tl-axis">; timelines <use> it.
 */
int sk_chart_timeline_axis(struct sk_buf *out, const struct sk_report *r);
/* instance i's timeline: <svg class="timeline" data-instance=... data-snapshots=N> */
int sk_chart_timeline(struct sk_buf *out, const struct sk_report *r, size_t i, bool dense);
/* the legend, as an HTML list with a swatch and the words for each row */
int sk_chart_legend(struct sk_buf *out);

/* storage (GiB) or, with cost, USD per month per region over the history window */
int sk_chart_storage(struct sk_buf *out, const struct sk_report *r, bool cost);
/* manual snapshots per region against the quota */
int sk_chart_quota(struct sk_buf *out, const struct sk_report *r);

#endif
