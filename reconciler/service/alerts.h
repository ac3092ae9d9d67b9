/*
 * alerts.h - what a cycle of `snapkeep run` tells people and CloudWatch
 *
 * A finished cycle is described by a plain struct sk_cycle_report
 * (cycle.h), which the service fills.  From it, and from the plan and apply results the
 * cycle had, this module finds the alert conditions (alertset.h keeps them
 * as states), accumulates and formats the daily summary (with the month's
 * drills, read from the journal), and builds the CloudWatch datums of the
 * cycle.  Nothing here calls AWS: the caller sends
 * the messages with sk_sns_publish() and the datums with
 * sk_cloudwatch_put_metric_data() (aws/sns.h, aws/cloudwatch.h).
 */
#ifndef SK_ALERTS_H
#define SK_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aws/cloudwatch.h"
#include "common/buf.h"
#include "common/timeutil.h"
#include "reconciler/service/alertset.h"
#include "reconciler/service/cycle.h"

struct sk_policyset;
struct sk_plan;
struct sk_apply_result;

/*
 * A failed cycle: summary "cycle failed in apply (policy commit 3f2a9c1d)"
 * and detail lines naming what failed, the watched ref, the plan summary,
 * what was done before the failure and the times.  Appended to both.
 */
int sk_alert_describe_failure(struct sk_buf *summary, struct sk_buf *detail, const struct sk_cycle_report *r);

/*
 * The alert conditions a cycle found, added to c:
 * - find_cycle: "cycle", firing when the cycle failed and the failure was
 *   not blamed on policies (blamed: only actions failed, each policy's
 *   are its own alert), found OK otherwise;
 * - find_apply: "policy:<name>:apply", firing, for each policy with a
 *   failed action (its topic), listing them;
 * - find_plan: "instance:<region>/<id>:blocked", firing, for each instance
 *   whose deletions a failed or unknown snapshot holds (the plan's
 *   blocked_by), naming the snapshot, its status and the fix; and
 *   "policy:<name>:selects-nothing" for every policy, firing when it
 *   selects no instance, not looked at when --region leaves out its
 *   regions, OK otherwise.
 */
int sk_alert_find_cycle(struct sk_alert_conds *c, const struct sk_cycle_report *r, bool blamed);
int sk_alert_find_apply(struct sk_alert_conds *c, const struct sk_plan *plan, const struct sk_apply_result *res);
int sk_alert_find_plan(struct sk_alert_conds *c, const struct sk_policyset *set, const struct sk_plan *plan);

/* s as an SNS subject, appended: printable ASCII only (line breaks become spaces), at most max bytes */
int sk_alert_add_subject(struct sk_buf *out, const char *s, size_t max);
/* the subject printed from fmt, added as sk_alert_add_subject() adds it, at most SNS's 99 bytes */
int sk_alert_subjectf(struct sk_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "Policy commit: <40 hex> "subject" (ref R)\n", or "Policy commit: unknown (the policy could not be read)\n" */
int sk_alert_add_commit_line(struct sk_buf *b, const char *commit, const char *subject, const char *ref);
/* "250ms", "5s", "1m5s", "4h2m" */
void sk_alert_format_elapsed(char out[48], int64_t ms);
/* "2026-01-01T03:00:00Z" (the second ms falls in), or "unknown" when ms is 0 */
void sk_alert_format_time(char out[SK_TIME_RFC3339_MAX], int64_t ms);

/* the restore drills of one calendar month (UTC), as the journal records them */
struct sk_alert_drills {
	int64_t year;
	unsigned month;           /* 1..12; 0: not counted */
	size_t passed, failed;
	char last_failure[400];   /* "orders-db (us-east-1): <the drill's detail>" of the month's last failed drill */
};

/* the cycles of one day, added up for the daily summary */
struct sk_alert_summary {
	int64_t period_start; /* seconds: when the period began (the last summary sent, or the first cycle) */
	int64_t since_ms; /* the first cycle's start; 0 when empty */
	int64_t until_ms; /* the last cycle's end */
	size_t cycles, failed;
	size_t created, copied, deleted;
	size_t pending;   /* of the last cycle */
	char commit[41];  /* of the last cycle that read one */
	char subject[200];
	char last_error[600]; /* "stage: message" of the last failed cycle */
	int64_t last_failure_ms;
	int64_t last_success_ms;
	/* the instance whose newest snapshot is oldest, at the last cycle */
	char oldest_instance[160]; /* "region/instance", "" when none */
	int64_t oldest_age;
	size_t n_instances;
	/* filled by sk_alert_summary_drills() before formatting, never saved */
	bool drills_declared;               /* a policy declares spec.drill */
	struct sk_alert_drills drills_now;  /* the month the summary is sent in, so far */
	struct sk_alert_drills drills_prev; /* the month before, when the period began in it or earlier */
};

void sk_alert_summary_reset(struct sk_alert_summary *s);
void sk_alert_summary_add(struct sk_alert_summary *s, const struct sk_cycle_report *r);
/* "snapkeep: daily summary 2026-01-02: 96 cycles, 0 failed" and a body; now_ms names the day */
int sk_alert_format_summary(struct sk_buf *subject, struct sk_buf *body, const struct sk_alert_summary *s,
			    int64_t now_ms);
/*
 * Counts the "drill" records of the journal (`snapkeep drill` and the
 * loop's alike: <state_dir>/journal.jsonl, or the journal of the state
 * backend `backend` names when it is not NULL, e.g. PostgreSQL's table, as
 * `history` reads it) in the month of now_ms and, when the summary's
 * period began before that month (its first summary), in the month before.
 * The summary then has a line per counted month:
 *   Drills in 2026-12 (so far): 3 passed, 0 failed: all drills passed
 *   Drills in 2026-11: 2 passed, 1 failed: NOT all passed; the last failure: orders-db (us-east-1): ...
 *   Drills in 2026-12 (so far): none ran
 * (the last only when `declared`: a fleet without drills gets no line).  A
 * missing journal counts nothing; an unreadable one is -1 and counts nothing.
 */
int sk_alert_summary_drills(struct sk_alert_summary *s, const char *state_dir, const char *backend, bool declared,
			    int64_t now_ms);
/* true when a daily minute (UTC) has passed since the period began: the summary is due */
bool sk_alert_summary_due(const struct sk_alert_summary *s, int minute, int64_t now);

/*
 * The summary as JSON, so that it outlives the process (`run --once` from
 * cron or a timer adds one cycle per process):
 *   {"format": "snapkeep-summary/v1", "periodStart": RFC 3339, "cycles": N,
 *    "failed": N, "created": N, "copied": N, "deleted": N, "pending": N,
 *    "since"/"until"/"lastSuccess"/"lastFailure": RFC 3339 (when known),
 *    "commit", "subject", "lastError", "oldestInstance", "oldestAgeSeconds",
 *    "instances"}
 * from_json refuses another format, a wrong type or a missing periodStart
 * (SK_ERR_STATE, naming the key) and leaves *s reset then.
 */
json_t *sk_alert_summary_to_json(const struct sk_alert_summary *s);
int sk_alert_summary_from_json(struct sk_alert_summary *s, const json_t *j);

/* --summary-at "HH:MM" (UTC) into minutes after midnight */
int sk_alert_parse_time_of_day(int *minute, const char *s);
/* the first instant strictly after now (seconds) that is minute-of-day UTC */
int64_t sk_alert_next_daily(int64_t now, int minute);

/*
 * CloudWatch datums for one cycle, stamped with its end: SnapshotsCreated,
 * SnapshotsCopied, SnapshotsDeleted, PendingActions (Count), CycleFailed
 * (Count, 0 or 1), AlertsFiring (Count), and NewestSnapshotAgeSeconds (Seconds) for each instance
 * with dimensions Region and Instance.  The datums point into r's strings
 * and into memory of d: free with sk_cycle_datums_free() after sending.
 */
struct sk_cycle_datums {
	struct sk_metric_datum *data;
	size_t n;
	struct sk_metric_dimension *dims;
};

int sk_alert_cycle_datums(struct sk_cycle_datums *d, const struct sk_cycle_report *r);
void sk_cycle_datums_free(struct sk_cycle_datums *d);

#endif
