/*
 * summary.h - the daily summary's running totals (summary.json in the
 * state directory)
 *
 * `snapkeep run --summary-at` adds every cycle up until the summary is
 * sent; the totals survive restarts here.  This module stores and reads
 * the document as it is given (the service decides what is in it).
 * Written atomically, mode 0600.
 */
#ifndef SK_SUMMARY_H
#define SK_SUMMARY_H

#include <jansson.h>

#define SK_SUMMARY_FILE "summary.json"

/* the document, or SK_ENOTFOUND (no error recorded) when there is none yet */
int sk_summary_load(json_t **out, const char *dir);
int sk_summary_save(const char *dir, const json_t *j);

#endif
