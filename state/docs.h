/*
 * docs.h - the run loop's documents in the state directory
 *
 * alerts.json holds the alert states of `snapkeep run`: which alerts fire,
 * since when, and what their receivers last heard, so that `run --once`
 * from cron and a restarted loop neither repeat a firing alert's message
 * early nor forget to say it resolved (reconciler/service/alertset.h
 * decides what is in it).  summary.json holds the daily summary's running
 * totals: `snapkeep run --summary-at` adds every cycle up until the summary
 * is sent, and the totals survive restarts here (the service decides what
 * is in it).
 *
 * This module stores and reads each document as it is given.  Written
 * atomically, mode 0600.
 */
#ifndef SK_DOCS_H
#define SK_DOCS_H

#include <jansson.h>

#define SK_ALERTS_FILE "alerts.json"
#define SK_SUMMARY_FILE "summary.json"

enum sk_doc {
	SK_DOC_ALERTS,  /* SK_ALERTS_FILE */
	SK_DOC_SUMMARY, /* SK_SUMMARY_FILE */
};

/* the document, or SK_ENOTFOUND (no error recorded) when there is none yet */
int sk_doc_load(json_t **out, const char *dir, enum sk_doc doc);
int sk_doc_save(const char *dir, enum sk_doc doc, const json_t *j);

#endif
