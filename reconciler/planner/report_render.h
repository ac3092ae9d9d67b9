/*
 * report_render.h - a report (report.h) for people and spreadsheets: text
 * for terminals, markdown for tickets and pull requests, CSV (RFC 4180);
 * and the short summary the run loop publishes each month
 *
 * The JSON (specs/report.schema.json, snapkeep-report/v1) is
 * report_json.h's; the HTML page is report_html.h's (sk_report_render_html(), same shape:
 * int (FILE *f, const struct sk_report *r), 0 or -1 with the error set).
 */
#ifndef SK_REPORT_RENDER_H
#define SK_REPORT_RENDER_H

#include <stdio.h>

#include "common/buf.h"
#include "reconciler/planner/report.h"

/* each returns 0, or -1 when writing to f failed (error set: "cannot write the report: ...") */
int sk_report_render_text(FILE *f, const struct sk_report *r);
int sk_report_render_markdown(FILE *f, const struct sk_report *r);
/*
 * One row per instance-check, with a header row: policy, instance, region,
 * verdict (the instance's), check, check_region, desired, live,
 * check_verdict, reason.  RFC 4180: CRLF line ends, a field with a comma, a
 * quote, CR or LF in quotes, its quotes doubled.
 */
int sk_report_render_csv(FILE *f, const struct sk_report *r);
/* one RFC 4180 row of n fields (NULL: empty); 0, or -1 when f has an error (`inventory --output csv`) */
int sk_report_csv_row(FILE *f, const char *const *fields, size_t n);

/*
 * The monthly compliance summary for SNS: a subject ("snapkeep report
 * 2026-11: 2 of 14 instances AT RISK") and a short body (counts, each
 * instance that is not compliant with its reason, cost), no links.
 * month is "2026-11".
 */
int sk_report_summary(struct sk_buf *subject, struct sk_buf *body, const struct sk_report *r, const char *month);

#endif
