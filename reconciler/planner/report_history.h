/*
 * report_history.h - the history part of a report: the window day by
 * day, the notable events, and each region's storage at the end of each
 * day (report.h, "Storage over time").  Private to the report.
 */
#ifndef SK_REPORT_HISTORY_H
#define SK_REPORT_HISTORY_H

#include "reconciler/planner/report_context.h"

/*
 * Fills c->r's days, totals, events and storage over [since, until) from
 * c->in->journal (NULL: no journal, every count 0), the regions' storage
 * now (their cost.gib) walked back through the journal's changes.  The
 * regions must be built first.  0, or -1: out of memory, or the window
 * empty or longer than ten years (SK_ERR_INVALID).
 */
int sk_report_history(struct sk_report_ctx *c);

#endif
