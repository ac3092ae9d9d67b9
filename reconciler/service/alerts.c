/*
 * alerts.c - SNS messages and CloudWatch datums for `snapkeep run`
 *
 * SNS subjects must be printable ASCII without line breaks, fewer than 100
 * characters; anything else in a commit subject or an error is replaced
 * before it reaches one.  Bodies are plain text, bounded so a huge error
 * cannot exceed SNS's 256 KiB message limit.
 */
#include "reconciler/service/alerts.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "common/utf8.h"
#include "reconciler/engine/apply.h"
#include "reconciler/planner/plan.h"
#include "specs/policy.h"
#include "state/backend.h"
#include "state/journal.h"

#define SUBJECT_MAX 99 /* SNS: "must be less than 100 characters long" */
#define ERROR_MAX 8000

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static bool has_commit(const char *c)
{
	return c && *c;
}

int sk_alert_add_subject(struct sk_buf *out, const char *s, size_t max)
{
	size_t start = out->len, i;
	int rc = 0;

	for (i = 0; s[i] && rc == 0 && out->len - start < max; i++) {
		unsigned char c = (unsigned char)s[i];
		rc = sk_buf_addc(out, c >= 0x20 && c < 0x7f ? (char)c : ' ');
	}
	return rc;
}

int sk_alert_subjectf(struct sk_buf *out, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	s = sk_buf_vstrfmt(fmt, ap);
	va_end(ap);
	rc = s ? sk_alert_add_subject(out, s, SUBJECT_MAX) : -1;
	free(s);
	return rc;
}

void sk_alert_format_time(char out[SK_TIME_RFC3339_MAX], int64_t ms)
{
	if (ms > 0)
		sk_time_format_rfc3339(out, ms / 1000);
	else
		strcpy(out, "unknown");
}

void sk_alert_format_elapsed(char out[48], int64_t ms)
{
	int64_t s;

	if (ms < 0)
		ms = 0;
	s = ms / 1000;
	if (ms < 1000)
		snprintf(out, 48, "%lldms", (long long)ms);
	else if (s < 60)
		snprintf(out, 48, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, 48, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, 48, "%lldh%lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
}

static int add_bounded(struct sk_buf *b, const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return sk_buf_adds(b, s);
	if (sk_buf_add(b, s, max) < 0)
		return SK_ERROR;
	return sk_buf_printf(b, "... (%zu more bytes)", len - max);
}

int sk_alert_add_commit_line(struct sk_buf *b, const char *commit, const char *subject, const char *ref)
{
	int rc;

	if (!has_commit(commit))
		rc = sk_buf_adds(b, "Policy commit: unknown (the policy could not be read)");
	else if (subject && *subject)
		rc = sk_buf_printf(b, "Policy commit: %s \"%s\"", commit, subject);
	else
		rc = sk_buf_printf(b, "Policy commit: %s", commit);
	if (rc == 0 && ref && *ref)
		rc = sk_buf_printf(b, " (ref %s)", ref);
	if (rc == 0)
		rc = sk_buf_addc(b, '\n');
	return rc;
}

int sk_alert_describe_failure(struct sk_buf *summary, struct sk_buf *detail, const struct sk_cycle_report *r)
{
	char started[SK_TIME_RFC3339_MAX], finished[SK_TIME_RFC3339_MAX], took[48];
	const char *stage = r->stage && *r->stage ? r->stage : NULL;
	int rc;

	if (has_commit(r->commit))
		rc = sk_buf_printf(summary, "cycle failed%s%s (policy commit %.8s)", stage ? " in " : "",
				   stage ? stage : "", r->commit);
	else
		rc = sk_buf_printf(summary, "cycle failed%s%s (policy commit unknown)", stage ? " in " : "",
				   stage ? stage : "");
	if (rc < 0)
		return rc;

	sk_alert_format_time(started, r->started_ms);
	sk_alert_format_time(finished, r->finished_ms);
	sk_alert_format_elapsed(took, r->finished_ms - r->started_ms);
	rc = sk_buf_printf(detail, "What failed: %s%s", stage ? stage : "", stage ? ": " : "");
	if (rc == 0)
		rc = add_bounded(detail, r->error && *r->error ? r->error : "(no message)", ERROR_MAX);
	if (rc == 0)
		rc = sk_buf_addc(detail, '\n');
	if (rc == 0 && r->ref && *r->ref)
		rc = sk_buf_printf(detail, "Watched ref: %s\n", r->ref);
	if (rc == 0)
		rc = sk_buf_printf(detail, "Plan: %zu to create, %zu to change, %zu to delete (%zu pending)\n",
				   r->to_create, r->to_change, r->to_delete, r->pending);
	if (rc == 0)
		rc = sk_buf_printf(detail, "Done before the failure: %zu created, %zu copied, %zu deleted%s\n", r->created,
				   r->copied, r->deleted, r->applied ? "" : " (report only: --auto-apply is off)");
	if (rc == 0)
		rc = sk_buf_printf(detail, "Started: %s\nFinished: %s (after %s)\n", started, finished, took);
	if (rc == 0)
		rc = sk_buf_adds(detail, "`snapkeep history` shows what earlier cycles applied.\n");
	return rc;
}

void sk_alert_summary_reset(struct sk_alert_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->oldest_age = -1;
}

void sk_alert_summary_add(struct sk_alert_summary *s, const struct sk_cycle_report *r)
{
	size_t i;

	if (!s->period_start)
		s->period_start = (r->started_ms ? r->started_ms : r->finished_ms) / 1000;
	if (!s->since_ms || (r->started_ms && r->started_ms < s->since_ms))
		s->since_ms = r->started_ms;
	if (r->finished_ms > s->until_ms)
		s->until_ms = r->finished_ms;
	s->cycles++;
	s->created += r->created;
	s->copied += r->copied;
	s->deleted += r->deleted;
	s->pending = r->pending;
	/* whole UTF-8 characters only: the totals are saved as JSON (sk_alert_summary_to_json) */
	if (has_commit(r->commit)) {
		sk_utf8_copy(s->commit, sizeof(s->commit), r->commit);
		sk_utf8_copy(s->subject, sizeof(s->subject), r->subject);
	}
	if (r->ok) {
		s->last_success_ms = r->finished_ms;
	} else {
		s->failed++;
		s->last_failure_ms = r->finished_ms;
		char why[sizeof(s->last_error) * 2];
		snprintf(why, sizeof(why), "%s%s%s", or_empty(r->stage), r->stage && *r->stage ? ": " : "",
			 r->error ? r->error : "(no message)");
		sk_utf8_copy(s->last_error, sizeof(s->last_error), why);
	}
	if (r->ok || r->n_ages) {
		s->n_instances = r->n_ages;
		s->oldest_age = -1;
		s->oldest_instance[0] = '\0';
		for (i = 0; i < r->n_ages; i++)
			if (r->ages[i].seconds > s->oldest_age) {
				char where[sizeof(s->oldest_instance) * 2];
				s->oldest_age = r->ages[i].seconds;
				snprintf(where, sizeof(where), "%s/%s", or_empty(r->ages[i].region),
					 or_empty(r->ages[i].instance));
				sk_utf8_copy(s->oldest_instance, sizeof(s->oldest_instance), where);
			}
	}
}

/* ---- the month's drills ---- */

/* the month (UTC) second t falls in */
static void month_of(int64_t t, int64_t *year, unsigned *month)
{
	unsigned day;

	sk_time_civil_from_days(t / 86400 - (t % 86400 < 0), year, month, &day);
}

/* the first second of month m of year y, m 1..12 */
static int64_t month_start(int64_t y, unsigned m)
{
	return sk_time_days_from_civil(y, m, 1) * 86400;
}

static bool in_month(const struct sk_alert_drills *d, int64_t t)
{
	int64_t y;
	unsigned m;

	month_of(t, &y, &m);
	return d->month && d->year == y && d->month == m;
}

static int count_drill(void *ud, const struct sk_journal_record *r)
{
	struct sk_alert_summary *s = ud;
	struct sk_alert_drills *d = in_month(&s->drills_now, r->time_ms / 1000)    ? &s->drills_now
				    : in_month(&s->drills_prev, r->time_ms / 1000) ? &s->drills_prev
										   : NULL;

	if (!d || !r->result)
		return 0;
	if (!strcmp(r->result, "passed")) {
		d->passed++;
	} else {
		char what[sizeof(d->last_failure) * 2];

		d->failed++;
		snprintf(what, sizeof(what), "%s (%s): %s", or_empty(r->instance), or_empty(r->region),
			 r->detail ? r->detail : r->result);
		sk_utf8_copy(d->last_failure, sizeof(d->last_failure), what);
	}
	return 0;
}

int sk_alert_summary_drills(struct sk_alert_summary *s, const char *state_dir, const char *backend, bool declared,
			    int64_t now_ms)
{
	struct sk_journal_filter f = SK_JOURNAL_FILTER_INIT;
	struct sk_backend *b = NULL;
	int64_t now = now_ms / 1000;
	int rc;

	memset(&s->drills_now, 0, sizeof(s->drills_now));
	memset(&s->drills_prev, 0, sizeof(s->drills_prev));
	s->drills_declared = declared;
	month_of(now, &s->drills_now.year, &s->drills_now.month);
	f.since_ms = month_start(s->drills_now.year, s->drills_now.month) * 1000;
	if (s->period_start && s->period_start < f.since_ms / 1000) {
		s->drills_prev.year = s->drills_now.year - (s->drills_now.month == 1);
		s->drills_prev.month = s->drills_now.month == 1 ? 12 : s->drills_now.month - 1;
		f.since_ms = month_start(s->drills_prev.year, s->drills_prev.month) * 1000;
	}
	f.type = "drill";
	/* read only: no state directory to name, or no schema yet, reads as no journal */
	rc = sk_backend_open_read(&b, backend, state_dir);
	if (rc == 0)
		rc = b ? sk_backend_journal_read(b, &f, count_drill, s, NULL) : SK_ENOTFOUND;
	sk_backend_close(b);
	if (rc == SK_ENOTFOUND)
		return 0;
	if (rc < 0) {
		memset(&s->drills_now, 0, sizeof(s->drills_now));
		memset(&s->drills_prev, 0, sizeof(s->drills_prev));
		return -1;
	}
	return 0;
}

/* "Drills in 2026-12 (so far): 3 passed, 0 failed: all drills passed" */
static int format_drills(struct sk_buf *body, const struct sk_alert_drills *d, bool so_far, bool declared)
{
	if (!d->month || (!declared && !d->passed && !d->failed))
		return 0;
	if (sk_buf_printf(body, "Drills in %04lld-%02u%s: ", (long long)d->year, d->month, so_far ? " (so far)" : "") <
	    0)
		return -1;
	if (!d->passed && !d->failed)
		return sk_buf_adds(body, "none ran\n");
	if (!d->failed)
		return sk_buf_printf(body, "%zu passed, 0 failed: all drills passed\n", d->passed);
	return sk_buf_printf(body, "%zu passed, %zu failed: NOT all passed; the last failure: %s\n", d->passed,
			     d->failed, d->last_failure);
}

/* "3d4h", "5h12m", "12m" */
static void format_age(char out[48], int64_t s)
{
	if (s >= 86400)
		snprintf(out, 48, "%lldd%lldh", (long long)(s / 86400), (long long)(s / 3600 % 24));
	else if (s >= 3600)
		snprintf(out, 48, "%lldh%lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else
		snprintf(out, 48, "%lldm", (long long)(s / 60));
}

int sk_alert_format_summary(struct sk_buf *subject, struct sk_buf *body, const struct sk_alert_summary *s,
			    int64_t now_ms)
{
	char day[SK_TIME_RFC3339_MAX], since[SK_TIME_RFC3339_MAX], until[SK_TIME_RFC3339_MAX], when[SK_TIME_RFC3339_MAX];
	int rc;

	sk_time_format_rfc3339(day, now_ms / 1000);
	day[10] = '\0';
	rc = sk_alert_subjectf(subject, "snapkeep: daily summary %s: %zu cycle%s, %zu failed", day, s->cycles,
			       s->cycles == 1 ? "" : "s", s->failed);
	if (rc < 0)
		return rc;

	sk_alert_format_time(since, s->since_ms);
	sk_alert_format_time(until, s->until_ms);
	if (s->cycles)
		rc = sk_buf_printf(body, "snapkeep daily summary for %s (cycles from %s to %s)\n\n", day, since, until);
	else
		rc = sk_buf_printf(body, "snapkeep daily summary for %s: no cycle ran since the last summary\n\n", day);
	if (rc == 0)
		rc = sk_buf_printf(body, "Cycles: %zu (%zu succeeded, %zu failed)\n", s->cycles, s->cycles - s->failed,
				   s->failed);
	if (rc == 0)
		rc = sk_buf_printf(body, "Snapshots: %zu created, %zu copied, %zu deleted\n", s->created, s->copied,
				   s->deleted);
	if (rc == 0)
		rc = sk_buf_printf(body, "Pending actions after the last cycle: %zu\n", s->pending);
	if (rc == 0 && s->commit[0])
		rc = sk_alert_add_commit_line(body, s->commit, s->subject, NULL);
	if (rc == 0 && s->last_success_ms) {
		sk_alert_format_time(when, s->last_success_ms);
		rc = sk_buf_printf(body, "Last success: %s\n", when);
	} else if (rc == 0) {
		rc = sk_buf_adds(body, "Last success: none in this period\n");
	}
	if (rc == 0 && s->failed) {
		sk_alert_format_time(when, s->last_failure_ms);
		rc = sk_buf_printf(body, "Last failure: %s: %s\n", when, s->last_error);
	}
	if (rc == 0 && s->oldest_instance[0]) {
		char age[48];
		format_age(age, s->oldest_age);
		rc = sk_buf_printf(body, "Instances watched: %zu; the oldest newest snapshot: %s, %s old\n",
				   s->n_instances, s->oldest_instance, age);
	}
	if (rc == 0)
		rc = format_drills(body, &s->drills_prev, false, s->drills_declared);
	if (rc == 0)
		rc = format_drills(body, &s->drills_now, true, s->drills_declared);
	return rc;
}

bool sk_alert_summary_due(const struct sk_alert_summary *s, int minute, int64_t now)
{
	return s->period_start && sk_alert_next_daily(s->period_start, minute) <= now;
}

#define SUMMARY_FORMAT "snapkeep-summary/v1"

json_t *sk_alert_summary_to_json(const struct sk_alert_summary *s)
{
	char start[SK_TIME_RFC3339_MAX];
	json_t *o;

	sk_time_format_rfc3339(start, s->period_start);
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I}", "format",
		      SUMMARY_FORMAT, "periodStart", start, "cycles", (json_int_t)s->cycles, "failed",
		      (json_int_t)s->failed, "created", (json_int_t)s->created, "copied", (json_int_t)s->copied,
		      "deleted", (json_int_t)s->deleted, "pending", (json_int_t)s->pending, "commit", s->commit,
		      "subject", s->subject, "lastError", s->last_error, "oldestInstance", s->oldest_instance,
		      "oldestAgeSeconds", (json_int_t)s->oldest_age, "instances", (json_int_t)s->n_instances);
	if (!o || sk_json_set_time_ms(o, "since", s->since_ms) < 0 ||
	    sk_json_set_time_ms(o, "until", s->until_ms) < 0 ||
	    sk_json_set_time_ms(o, "lastSuccess", s->last_success_ms) < 0 ||
	    sk_json_set_time_ms(o, "lastFailure", s->last_failure_ms) < 0) {
		json_decref(o);
		sk_error_set_oom();
		return NULL;
	}
	return o;
}

static int get_count(size_t *out, const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return sk_error_set(SK_ERR_STATE, "daily summary: '%s' must be a whole number", key);
	*out = (size_t)json_integer_value(v);
	return 0;
}

static int get_text(char *out, size_t size, const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return sk_error_set(SK_ERR_STATE, "daily summary: '%s' must be a string", key);
	sk_utf8_copy(out, size, json_string_value(v)); /* a longer one is cut at a whole character */
	return 0;
}

static int get_time_ms(int64_t *out, const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || sk_time_parse_rfc3339_ms(out, json_string_value(v)) < 0)
		return sk_error_set(SK_ERR_STATE, "daily summary: '%s' must be an RFC 3339 time", key);
	return 0;
}

int sk_alert_summary_from_json(struct sk_alert_summary *s, const json_t *j)
{
	const json_t *f = json_object_get(j, "format"), *v;
	size_t age = 0;
	int64_t start_ms = 0;
	bool oldest;

	sk_alert_summary_reset(s);
	if (!json_is_object(j) || !json_is_string(f) || strcmp(json_string_value(f), SUMMARY_FORMAT))
		return sk_error_set(SK_ERR_STATE, "daily summary: not a %s document", SUMMARY_FORMAT);
	if (!json_object_get(j, "periodStart"))
		return sk_error_set(SK_ERR_STATE, "daily summary: 'periodStart' is missing");
	v = json_object_get(j, "oldestAgeSeconds");
	oldest = v && !(json_is_integer(v) && json_integer_value(v) < 0); /* -1: no instance */
	if (get_time_ms(&start_ms, j, "periodStart") < 0 || get_count(&s->cycles, j, "cycles") < 0 ||
	    get_count(&s->failed, j, "failed") < 0 || get_count(&s->created, j, "created") < 0 ||
	    get_count(&s->copied, j, "copied") < 0 || get_count(&s->deleted, j, "deleted") < 0 ||
	    get_count(&s->pending, j, "pending") < 0 || get_count(&s->n_instances, j, "instances") < 0 ||
	    (oldest && get_count(&age, j, "oldestAgeSeconds") < 0) ||
	    get_text(s->commit, sizeof(s->commit), j, "commit") < 0 ||
	    get_text(s->subject, sizeof(s->subject), j, "subject") < 0 ||
	    get_text(s->last_error, sizeof(s->last_error), j, "lastError") < 0 ||
	    get_text(s->oldest_instance, sizeof(s->oldest_instance), j, "oldestInstance") < 0 ||
	    get_time_ms(&s->since_ms, j, "since") < 0 || get_time_ms(&s->until_ms, j, "until") < 0 ||
	    get_time_ms(&s->last_success_ms, j, "lastSuccess") < 0 ||
	    get_time_ms(&s->last_failure_ms, j, "lastFailure") < 0)
		goto bad;
	if (s->failed > s->cycles) {
		sk_error_set(SK_ERR_STATE, "daily summary: more failed cycles than cycles");
		goto bad;
	}
	s->period_start = start_ms / 1000;
	s->oldest_age = oldest ? (int64_t)age : -1;
	return 0;
bad:
	sk_alert_summary_reset(s);
	return SK_ERROR;
}

int sk_alert_parse_time_of_day(int *minute, const char *s)
{
	*minute = -1;
	if (!s || strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9' || (s[0] - '0') * 10 + (s[1] - '0') > 23)
		return sk_error_set(SK_ERR_INVALID, "time of day '%s': want HH:MM (UTC, 00:00..23:59)", s ? s : "");
	*minute = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
	return 0;
}

int64_t sk_alert_next_daily(int64_t now, int minute)
{
	int64_t day = now >= 0 ? now / 86400 : -((-now + 86399) / 86400);
	int64_t t = day * 86400 + (int64_t)minute * 60;

	return t > now ? t : t + 86400;
}

#define NFIXED 6 /* the datums every cycle has, before the ages */

int sk_alert_cycle_datums(struct sk_cycle_datums *d, const struct sk_cycle_report *r)
{
	static const char *const names[] = { "SnapshotsCreated", "SnapshotsCopied", "SnapshotsDeleted",
					     "PendingActions", "CycleFailed", "AlertsFiring" };
	double values[NFIXED];
	int64_t stamp = r->finished_ms / 1000;
	size_t i, n;

	memset(d, 0, sizeof(*d));
	values[0] = (double)r->created;
	values[1] = (double)r->copied;
	values[2] = (double)r->deleted;
	values[3] = (double)r->pending;
	values[4] = r->ok ? 0 : 1;
	values[5] = (double)r->alerts_firing;
	if (r->n_ages > (SIZE_MAX / sizeof(*d->data)) - NFIXED || r->n_ages > SIZE_MAX / (2 * sizeof(*d->dims)))
		return sk_error_set_oom();
	n = NFIXED + r->n_ages;
	d->data = calloc(n, sizeof(*d->data));
	d->dims = r->n_ages ? calloc(2 * r->n_ages, sizeof(*d->dims)) : NULL;
	if (!d->data || (r->n_ages && !d->dims)) {
		sk_cycle_datums_free(d);
		return sk_error_set_oom();
	}
	for (i = 0; i < NFIXED; i++) {
		d->data[i].name = names[i];
		d->data[i].value = values[i];
		d->data[i].unit = "Count";
		d->data[i].timestamp = stamp;
	}
	for (i = 0; i < r->n_ages; i++) {
		struct sk_metric_datum *m = &d->data[NFIXED + i];
		d->dims[2 * i].name = "Region";
		d->dims[2 * i].value = or_empty(r->ages[i].region);
		d->dims[2 * i + 1].name = "Instance";
		d->dims[2 * i + 1].value = or_empty(r->ages[i].instance);
		m->name = "NewestSnapshotAgeSeconds";
		m->value = (double)r->ages[i].seconds;
		m->unit = "Seconds";
		m->timestamp = stamp;
		m->dimensions = &d->dims[2 * i];
		m->n_dimensions = 2;
	}
	d->n = n;
	return 0;
}

void sk_cycle_datums_free(struct sk_cycle_datums *d)
{
	if (!d)
		return;
	free(d->data);
	free(d->dims);
	memset(d, 0, sizeof(*d));
}

/* ---- what a cycle found, as alert conditions (alertset.h) ---- */

/* the texts of the condition a finder is making, reused from one to the next */
struct texts {
	struct sk_buf key, summary, detail;
};

#define TEXTS_INIT { SK_BUF_INIT, SK_BUF_INIT, SK_BUF_INIT }

static void texts_reset(struct texts *t)
{
	sk_buf_reset(&t->key);
	sk_buf_reset(&t->summary);
	sk_buf_reset(&t->detail);
}

static void texts_free(struct texts *t)
{
	sk_buf_free(&t->key);
	sk_buf_free(&t->summary);
	sk_buf_free(&t->detail);
}

int sk_alert_find_cycle(struct sk_alert_conds *c, const struct sk_cycle_report *r, bool blamed)
{
	struct texts t = TEXTS_INIT;
	struct sk_alert_cond cond = { .key = "cycle", .kind = SK_ALERT_CYCLE, .found = SK_FOUND_OK };
	int rc = 0;

	if (!r->ok && !blamed) {
		cond.found = SK_FOUND_FIRING;
		rc = sk_alert_describe_failure(&t.summary, &t.detail, r);
		cond.summary = sk_buf_cstr(&t.summary);
		cond.detail = sk_buf_cstr(&t.detail);
	}
	if (rc == 0)
		rc = sk_alert_conds_add(c, &cond);
	texts_free(&t);
	return rc;
}

#define FAILED_LISTED 20

int sk_alert_find_apply(struct sk_alert_conds *c, const struct sk_plan *plan, const struct sk_apply_result *res)
{
	struct texts t = TEXTS_INIT;
	size_t i, k, failed, listed;
	int rc = 0;

	for (i = 0; rc == 0 && i < plan->n_actions && i < res->n; i++) {
		const char *policy = plan->actions[i].policy ? plan->actions[i].policy : "";
		struct sk_alert_cond cond = { .kind = SK_ALERT_APPLY, .found = SK_FOUND_FIRING };
		bool seen = false;
		if (res->outcomes[i] != SK_OUTCOME_FAILED)
			continue;
		/* one alert per policy, made at its first failed action */
		for (k = 0; k < i && !seen; k++)
			seen = res->outcomes[k] == SK_OUTCOME_FAILED && !strcmp(or_empty(plan->actions[k].policy), policy);
		if (seen)
			continue;
		for (k = i, failed = 0; k < plan->n_actions && k < res->n; k++)
			failed += res->outcomes[k] == SK_OUTCOME_FAILED && !strcmp(or_empty(plan->actions[k].policy), policy);
		texts_reset(&t);
		rc = sk_buf_printf(&t.key, "policy:%s:apply", policy);
		if (rc == 0 && has_commit(plan->commit))
			rc = sk_buf_printf(&t.summary, "policy '%s': %zu action%s failed in apply (policy commit %.8s)",
					   policy, failed, failed == 1 ? "" : "s", plan->commit);
		else if (rc == 0)
			rc = sk_buf_printf(&t.summary, "policy '%s': %zu action%s failed in apply", policy, failed,
					   failed == 1 ? "" : "s");
		if (rc == 0)
			rc = sk_buf_printf(&t.detail, "What failed: %zu of policy '%s''s planned actions:\n", failed,
					   policy);
		for (k = i, listed = 0; rc == 0 && k < plan->n_actions && k < res->n && listed < FAILED_LISTED; k++) {
			const struct sk_action *a = &plan->actions[k];
			if (res->outcomes[k] != SK_OUTCOME_FAILED || strcmp(or_empty(a->policy), policy))
				continue;
			rc = sk_buf_printf(&t.detail, "  %s %s (%s): ", sk_action_kind_name(a->kind),
					   or_empty(a->target), or_empty(a->region));
			if (rc == 0)
				rc = add_bounded(&t.detail, res->details[k] ? res->details[k] : "failed",
						 ERROR_MAX / 8);
			if (rc == 0)
				rc = sk_buf_addc(&t.detail, '\n');
			listed++;
		}
		if (rc == 0 && failed > listed)
			rc = sk_buf_printf(&t.detail, "  ... and %zu more\n", failed - listed);
		if (rc == 0)
			rc = sk_buf_adds(&t.detail, "The other actions were applied. The next cycle plans these again; "
						  "`snapkeep history` shows every call.\n");
		cond.key = sk_buf_cstr(&t.key);
		cond.summary = sk_buf_cstr(&t.summary);
		cond.detail = sk_buf_cstr(&t.detail);
		cond.policies = &policy;
		cond.n_policies = 1;
		if (rc == 0)
			rc = sk_alert_conds_add(c, &cond);
	}
	texts_free(&t);
	return rc;
}

static const struct sk_plan_blocker *first_blocker(const struct sk_plan_instance *pi)
{
	size_t k;

	if (pi->own.blocked_by.snapshot)
		return &pi->own.blocked_by;
	for (k = 0; k < pi->n_copies; k++)
		if (pi->copies[k].blocked_by.snapshot)
			return &pi->copies[k].blocked_by;
	return NULL;
}

static bool same_instance(const struct sk_plan_instance *a, const struct sk_plan_instance *b)
{
	return !strcmp(or_empty(a->instance), or_empty(b->instance)) &&
	       !strcmp(or_empty(a->own.region), or_empty(b->own.region));
}

/* "  policy 'prod': its snapshots in us-east-1, its copies in us-west-2\n" */
static int add_held_places(struct sk_buf *b, const struct sk_plan_instance *pi)
{
	size_t k, n = 0;
	int rc = sk_buf_printf(b, "  policy '%s': ", or_empty(pi->policy));

	if (rc == 0 && pi->own.blocked_by.snapshot) {
		rc = sk_buf_printf(b, "its snapshots in %s", or_empty(pi->own.region));
		n++;
	}
	for (k = 0; rc == 0 && k < pi->n_copies; k++)
		if (pi->copies[k].blocked_by.snapshot) {
			rc = sk_buf_printf(b, "%sits copies in %s", n ? ", " : "", or_empty(pi->copies[k].region));
			n++;
		}
	return rc == 0 ? sk_buf_addc(b, '\n') : rc;
}

/* instance:<region>/<id>:blocked, one per instance whatever the number of its policies and places */
static int find_blocked(struct sk_alert_conds *c, const struct sk_plan *plan)
{
	struct texts t = TEXTS_INIT;
	const char **policies = NULL;
	size_t i, k, n;
	int rc = 0;

	if (plan->n_instances && !(policies = calloc(plan->n_instances, sizeof(*policies))))
		return sk_error_set_oom();
	for (i = 0; rc == 0 && i < plan->n_instances; i++) {
		const struct sk_plan_instance *pi = &plan->instances[i];
		const struct sk_plan_blocker *b = first_blocker(pi);
		struct sk_alert_cond cond = { .kind = SK_ALERT_BLOCKED, .found = SK_FOUND_FIRING };
		bool seen = false;
		if (!b)
			continue;
		for (k = 0; k < i && !seen; k++)
			seen = same_instance(&plan->instances[k], pi) && first_blocker(&plan->instances[k]);
		if (seen)
			continue;
		texts_reset(&t);
		rc = sk_buf_printf(&t.key, "instance:%s/%s:blocked", or_empty(pi->own.region), or_empty(pi->instance));
		if (rc == 0)
			rc = sk_buf_printf(&t.summary, "deletions of %s in %s blocked by '%s' (%s)",
					   or_empty(pi->instance), or_empty(pi->own.region), or_empty(b->snapshot),
					   or_empty(b->status));
		if (rc == 0)
			rc = sk_buf_printf(&t.detail,
					   "Snapshot '%s' in %s is '%s'. While it is, snapkeep deletes none of the snapshots "
					   "of %s that the retention rules let go (the failed-sibling safety rule):\n",
					   or_empty(b->snapshot), or_empty(b->region), or_empty(b->status),
					   or_empty(pi->instance));
		for (k = i, n = 0; rc == 0 && k < plan->n_instances; k++) {
			if (!same_instance(&plan->instances[k], pi) || !first_blocker(&plan->instances[k]))
				continue;
			policies[n++] = or_empty(plan->instances[k].policy);
			rc = add_held_places(&t.detail, &plan->instances[k]);
		}
		if (rc == 0)
			rc = sk_buf_printf(
				&t.detail,
				"New snapshots and copies are still made, so %s keeps more snapshots than the retain rules "
				"say, and they cost storage.\n"
				"To unblock it: delete the snapshot '%s' in %s once you know nothing needs it:\n"
				"  aws rds delete-db-snapshot --region %s --db-snapshot-identifier %s\n"
				"snapkeep never deletes it itself: it deletes only available snapshots it owns. No tag and no "
				"policy change unblocks the deletions: any failed or unknown-status snapshot of the instance, "
				"in its region or among its copies, holds them, whoever owns it. (A snapshot in a status AWS "
				"is still working on unblocks them once it is available.)\n",
				or_empty(pi->instance), or_empty(b->snapshot), or_empty(b->region), or_empty(b->region),
				or_empty(b->snapshot));
		cond.key = sk_buf_cstr(&t.key);
		cond.summary = sk_buf_cstr(&t.summary);
		cond.detail = sk_buf_cstr(&t.detail);
		cond.policies = policies;
		cond.n_policies = n;
		if (rc == 0)
			rc = sk_alert_conds_add(c, &cond);
	}
	free(policies);
	texts_free(&t);
	return rc;
}

/* policy:<name>:selects-nothing for every policy: firing, resolved, or not looked at (--region) */
static int find_empty(struct sk_alert_conds *c, const struct sk_policyset *set, const struct sk_plan *plan)
{
	struct texts t = TEXTS_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < plan->n_policies; i++) {
		const struct sk_plan_policy *pp = &plan->policies[i];
		const struct sk_policy *p = i < set->n_policies ? &set->policies[i] : NULL;
		struct sk_alert_cond cond = { .kind = SK_ALERT_SELECTS_NOTHING };
		texts_reset(&t);
		rc = sk_buf_printf(&t.key, "policy:%s:selects-nothing", or_empty(pp->name));
		cond.found = !pp->n_regions ? SK_FOUND_UNKNOWN
			     : sk_plan_policy_selects_nothing(pp) && p ? SK_FOUND_FIRING
									: SK_FOUND_OK;
		if (rc == 0 && cond.found == SK_FOUND_FIRING) {
			rc = sk_buf_printf(&t.summary, "policy '%s' selects no instance", or_empty(pp->name));
			if (rc == 0)
				rc = sk_plan_describe_empty_policy(&t.detail, pp, p);
			if (rc == 0 && p->selector_pos.file)
				rc = sk_buf_printf(&t.detail,
						   ".\nCheck its spec.selector (%s:%d:%d), or tag the instances it "
						   "should protect; the alert resolves once it selects one.\n",
						   p->selector_pos.file, p->selector_pos.line, p->selector_pos.col);
			else if (rc == 0)
				rc = sk_buf_adds(&t.detail, ".\nCheck its spec.selector, or tag the instances it should "
							    "protect; the alert resolves once it selects one.\n");
			cond.summary = sk_buf_cstr(&t.summary);
			cond.detail = sk_buf_cstr(&t.detail);
			cond.policies = &pp->name;
			cond.n_policies = 1;
		}
		cond.key = sk_buf_cstr(&t.key);
		if (rc == 0)
			rc = sk_alert_conds_add(c, &cond);
	}
	texts_free(&t);
	return rc;
}

int sk_alert_find_plan(struct sk_alert_conds *c, const struct sk_policyset *set, const struct sk_plan *plan)
{
	if (find_blocked(c, plan) < 0)
		return -1;
	return find_empty(c, set, plan);
}
