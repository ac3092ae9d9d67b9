/*
 * alerts.c - SNS messages and CloudWatch datums for `snapkeep run`
 *
 * SNS subjects must be printable ASCII without line breaks, at most 100
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
#include "common/timeutil.h"
#include "common/utf8.h"
#include "specs/policy.h"

#define SUBJECT_MAX 100
#define ERROR_MAX 8000

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static bool has_commit(const char *c)
{
	return c && *c;
}

/* printable ASCII only (no line breaks), cut at max bytes, appended to out */
static int add_subject(struct sk_buf *out, const char *s, size_t max)
{
	size_t start = out->len, i;
	int rc = 0;

	for (i = 0; s[i] && rc == 0 && out->len - start < max; i++) {
		unsigned char c = (unsigned char)s[i];
		rc = sk_buf_addc(out, c >= 0x20 && c < 0x7f ? (char)c : ' ');
	}
	return rc;
}

static void format_time_ms(char out[SK_TIME_RFC3339_MAX], int64_t ms)
{
	if (ms > 0)
		sk_time_format_rfc3339(out, ms / 1000);
	else
		strcpy(out, "unknown");
}

/* "1m5s", "250ms" */
static void format_elapsed(char out[48], int64_t ms)
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

static int add_commit_line(struct sk_buf *b, const char *commit, const char *subject, const char *ref)
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

int sk_alert_format_failure(struct sk_buf *subject, struct sk_buf *body, const struct sk_cycle_report *r)
{
	char started[SK_TIME_RFC3339_MAX], finished[SK_TIME_RFC3339_MAX], took[48];
	struct sk_buf subj = SK_BUF_INIT;
	const char *stage = r->stage && *r->stage ? r->stage : NULL;
	int rc;

	if (has_commit(r->commit))
		rc = sk_buf_printf(&subj, "snapkeep: cycle failed%s%s (policy commit %.8s)", stage ? " in " : "",
				   stage ? stage : "", r->commit);
	else
		rc = sk_buf_printf(&subj, "snapkeep: cycle failed%s%s (policy commit unknown)", stage ? " in " : "",
				   stage ? stage : "");
	if (rc == 0)
		rc = add_subject(subject, subj.ptr, SUBJECT_MAX);
	sk_buf_free(&subj);
	if (rc < 0)
		return rc;

	format_time_ms(started, r->started_ms);
	format_time_ms(finished, r->finished_ms);
	format_elapsed(took, r->finished_ms - r->started_ms);
	rc = sk_buf_printf(body, "A snapkeep reconcile cycle failed.\n\nWhat failed: %s%s", stage ? stage : "",
			   stage ? ": " : "");
	if (rc == 0)
		rc = add_bounded(body, r->error && *r->error ? r->error : "(no message)", ERROR_MAX);
	if (rc == 0)
		rc = sk_buf_addc(body, '\n');
	if (rc == 0)
		rc = add_commit_line(body, r->commit, r->subject, r->ref);
	if (rc == 0)
		rc = sk_buf_printf(body, "Plan: %zu to create, %zu to change, %zu to delete (%zu pending)\n",
				   r->to_create, r->to_change, r->to_delete, r->pending);
	if (rc == 0)
		rc = sk_buf_printf(body, "Done before the failure: %zu created, %zu copied, %zu deleted%s\n", r->created,
				   r->copied, r->deleted, r->applied ? "" : " (report only: --auto-apply is off)");
	if (rc == 0)
		rc = sk_buf_printf(body, "Started: %s\nFinished: %s (after %s)\n", started, finished, took);
	if (rc == 0)
		rc = sk_buf_adds(body, "\n`snapkeep history` shows what earlier cycles applied.\n");
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
	struct sk_buf subj = SK_BUF_INIT;
	int rc;

	sk_time_format_rfc3339(day, now_ms / 1000);
	day[10] = '\0';
	rc = sk_buf_printf(&subj, "snapkeep: daily summary %s: %zu cycle%s, %zu failed", day, s->cycles,
			   s->cycles == 1 ? "" : "s", s->failed);
	if (rc == 0)
		rc = add_subject(subject, subj.ptr, SUBJECT_MAX);
	sk_buf_free(&subj);
	if (rc < 0)
		return rc;

	format_time_ms(since, s->since_ms);
	format_time_ms(until, s->until_ms);
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
		rc = add_commit_line(body, s->commit, s->subject, NULL);
	if (rc == 0 && s->last_success_ms) {
		format_time_ms(when, s->last_success_ms);
		rc = sk_buf_printf(body, "Last success: %s\n", when);
	} else if (rc == 0) {
		rc = sk_buf_adds(body, "Last success: none in this period\n");
	}
	if (rc == 0 && s->failed) {
		format_time_ms(when, s->last_failure_ms);
		rc = sk_buf_printf(body, "Last failure: %s: %s\n", when, s->last_error);
	}
	if (rc == 0 && s->oldest_instance[0]) {
		char age[48];
		format_age(age, s->oldest_age);
		rc = sk_buf_printf(body, "Instances watched: %zu; the oldest newest snapshot: %s, %s old\n",
				   s->n_instances, s->oldest_instance, age);
	}
	return rc;
}

bool sk_alert_summary_due(const struct sk_alert_summary *s, int minute, int64_t now)
{
	return s->period_start && sk_alert_next_daily(s->period_start, minute) <= now;
}

#define SUMMARY_FORMAT "snapkeep-summary/v1"

static int set_time_ms(json_t *o, const char *key, int64_t ms)
{
	char t[SK_TIME_RFC3339_MAX];

	if (ms <= 0)
		return 0;
	sk_time_format_rfc3339_ms(t, ms);
	return json_object_set_new(o, key, json_string(t));
}

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
	if (!o || set_time_ms(o, "since", s->since_ms) < 0 || set_time_ms(o, "until", s->until_ms) < 0 ||
	    set_time_ms(o, "lastSuccess", s->last_success_ms) < 0 ||
	    set_time_ms(o, "lastFailure", s->last_failure_ms) < 0) {
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

int sk_alert_cycle_datums(struct sk_cycle_datums *d, const struct sk_cycle_report *r)
{
	static const char *const names[] = { "SnapshotsCreated", "SnapshotsCopied", "SnapshotsDeleted",
					     "PendingActions", "CycleFailed" };
	double values[5];
	int64_t stamp = r->finished_ms / 1000;
	size_t i, n;

	memset(d, 0, sizeof(*d));
	values[0] = (double)r->created;
	values[1] = (double)r->copied;
	values[2] = (double)r->deleted;
	values[3] = (double)r->pending;
	values[4] = r->ok ? 0 : 1;
	if (r->n_ages > (SIZE_MAX / sizeof(*d->data)) - 5 || r->n_ages > SIZE_MAX / (2 * sizeof(*d->dims)))
		return sk_error_set_oom();
	n = 5 + r->n_ages;
	d->data = calloc(n, sizeof(*d->data));
	d->dims = r->n_ages ? calloc(2 * r->n_ages, sizeof(*d->dims)) : NULL;
	if (!d->data || (r->n_ages && !d->dims)) {
		sk_cycle_datums_free(d);
		return sk_error_set_oom();
	}
	for (i = 0; i < 5; i++) {
		d->data[i].name = names[i];
		d->data[i].value = values[i];
		d->data[i].unit = "Count";
		d->data[i].timestamp = stamp;
	}
	for (i = 0; i < r->n_ages; i++) {
		struct sk_metric_datum *m = &d->data[5 + i];
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int sk_alert_topics(const char ***out, size_t *n, const struct sk_policyset *set)
{
	const char **v;
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	if (!set || !set->n_policies)
		return 0;
	if (!(v = calloc(set->n_policies, sizeof(*v))))
		return sk_error_set_oom();
	for (i = 0; i < set->n_policies; i++)
		if (set->policies[i].sns_topic_arn && *set->policies[i].sns_topic_arn)
			v[k++] = set->policies[i].sns_topic_arn;
	if (!k) {
		free(v);
		return 0;
	}
	qsort(v, k, sizeof(*v), cmp_str);
	for (i = 1, *n = 1; i < k; i++)
		if (strcmp(v[i], v[*n - 1]))
			v[(*n)++] = v[i];
	*out = v;
	return 0;
}
