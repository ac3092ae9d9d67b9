/*
 * alerts.h - the alert states of `snapkeep run` (alerts.json in the state
 * directory)
 *
 * Which alerts fire, since when, and what their receivers last heard, so
 * that `run --once` from cron and a restarted loop neither repeat a firing
 * alert's message early nor forget to say it resolved.  This module stores
 * and reads the document as it is given (reconciler/service/alertset.h
 * decides what is in it).  Written atomically, mode 0600.
 */
#ifndef SK_STATE_ALERTS_H
#define SK_STATE_ALERTS_H

#include <jansson.h>

#define SK_ALERTS_FILE "alerts.json"

/* the document, or SK_ENOTFOUND (no error recorded) when there is none yet */
int sk_alerts_load(json_t **out, const char *dir);
int sk_alerts_save(const char *dir, const json_t *j);

#endif
