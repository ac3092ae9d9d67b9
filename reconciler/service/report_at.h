/*
 * report_at.h - `run --report-at CRON`: the monthly compliance report
 *
 * When the schedule fires ("0 7 1 * *": 07:00 UTC on the 1st), the run loop
 * makes the report of the calendar month before the fire (its history is
 * that month; its compliance is the cycle's, as observed and planned),
 * writes it as one HTML page to <state dir>/reports/YYYY-MM.html (the last
 * SK_REPORT_AT_KEEP months are kept, older pages removed) and publishes
 * a short summary (a subject and a few lines, no links) to the alerts
 * topic.  The page on disk is what says a month was reported: a loop that
 * was down over the fire time, or `run --once` from cron, reports at its
 * next cycle, and never twice.
 */
#ifndef SK_REPORT_AT_H
#define SK_REPORT_AT_H

#include <stdint.h>

#include "reconciler/planner/report.h"
#include "specs/cron.h"

#define SK_REPORT_AT_KEEP 24
#define SK_REPORT_AT_DIR "reports"

/*
 * Is a report due at now?  1 with month ("2026-11") set when the schedule
 * fired at or before now and reports/<month>.html is not there yet, 0 when
 * it is not due, -1 on a filesystem error (set).
 */
int sk_report_at_due(char month[8], const struct sk_cron *c, const char *state_dir, int64_t now);

/*
 * Writes the page to <state_dir>/reports/<month>.html (the folder made
 * 0700, the file replaced atomically, 0600), then removes all but the
 * newest SK_REPORT_AT_KEEP pages named YYYY-MM.html.  0, or -1 (set).
 */
int sk_report_at_write(const char *state_dir, const char *month, const struct sk_report *r);

#endif
