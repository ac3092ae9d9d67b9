/*
 * report_html.h - a report (report.h) as ONE self-contained HTML page
 *
 * Inline CSS and SVG (report_chart.h), no script, no font, no image, no
 * link to anything outside: the file opens the same from a laptop, a phone,
 * a mail attachment or a printer.  It is also well-formed XML (void
 * elements closed, only XML's entities), so tests read it with an XML
 * parser.  What it holds:
 *
 *   a header      the verdict counts, the cost, the commit, the times
 *   compliance    a table, one row per (policy, instance) (tr.row with
 *                 data-verdict, data-instance), the verdict as a word and a
 *                 colour, worst first; by instance or by cost through the
 *                 header links, without script: each row carries its ranks
 *                 (--n, --c) and the CSS grid orders the cells by the rank
 *                 whose anchor is the :target
 *   snapshots     per instance a section (section.instance) with its
 *                 checks and its timeline (report_chart.h), the legend once
 *   storage       storage and cost per region over the history window,
 *                 the cost table, the quota bars
 *   history       events per kind, the failures and drills
 *
 * Pages with many snapshots (more than SK_REPORT_HTML_DETAIL_MAX, or one
 * instance with more than SK_REPORT_HTML_DETAIL_INSTANCE_MAX) draw dense
 * timelines: marks merged per pixel column, counted by data-n all the same.
 */
#ifndef SK_REPORT_HTML_H
#define SK_REPORT_HTML_H

#include <stdio.h>

#include "common/buf.h"
#include "reconciler/planner/report.h"

#define SK_REPORT_HTML_DETAIL_MAX 20000
#define SK_REPORT_HTML_DETAIL_INSTANCE_MAX 400

/* the page into out; 0, or -1 with the error set (out of memory) */
int sk_report_html(struct sk_buf *out, const struct sk_report *r);
/* the page written to f; 0, or -1 with the error set ("cannot write the report: ...") */
int sk_report_render_html(FILE *f, const struct sk_report *r);

#endif
