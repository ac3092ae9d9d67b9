/*
 * report_json.h - a report (report.h) as the JSON document of
 * specs/report.schema.json: format "snapkeep-report/v1", documented in
 * specs/report.md
 *
 * Written instance by instance, so a report of 100,000 snapshots never
 * becomes one tree in memory.
 */
#ifndef SK_REPORT_JSON_H
#define SK_REPORT_JSON_H

#include <stdio.h>

#include "reconciler/planner/report.h"

/* 0, or -1 when out of memory or writing to f failed (error set) */
int sk_report_render_json(FILE *f, const struct sk_report *r);

#endif
