/*
 * metrics.c - a thread-safe metrics registry and its Prometheus text format
 * (metrics_http.c serves it)
 *
 * Families live in an array sorted by name, and the series of a family in
 * an array sorted by label values, so lookups are binary searches and the
 * exposition comes out sorted without a sort.  One mutex guards the whole
 * registry: updates are a few hundred per cycle, scrapes one every few
 * seconds, so there is nothing to gain from finer locks.
 */
#include "reconciler/service/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "common/array.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "reconciler/service/cycle.h"

struct series {
	char **values;
	double value; /* counter, gauge; histogram: the sum */
	uint64_t count;
	uint64_t *buckets; /* histogram: observations per bucket (not cumulative) */
};

struct family {
	char *name;
	char *help;
	enum sk_metric_type type;
	char **labels;
	size_t n_labels;
	double *bounds;
	size_t n_bounds;
	struct series *series;
	size_t n_series, cap_series;
};

struct sk_metrics {
	pthread_mutex_t lock;
	struct family *fams;
	size_t n_fams, cap_fams;
	int consecutive_failures;
};

int sk_metrics_new(struct sk_metrics **out)
{
	struct sk_metrics *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return sk_error_set_oom();
	if (pthread_mutex_init(&m->lock, NULL)) {
		free(m);
		return sk_error_set(SK_ERR_OS, "cannot create a mutex");
	}
	*out = m;
	return 0;
}

static void series_free(struct series *s, size_t n_labels)
{
	sk_strv_free(s->values, n_labels);
	free(s->buckets);
}

static void family_free(struct family *f)
{
	size_t i;

	for (i = 0; i < f->n_series; i++)
		series_free(&f->series[i], f->n_labels);
	free(f->series);
	sk_strv_free(f->labels, f->n_labels);
	free(f->bounds);
	free(f->name);
	free(f->help);
}

void sk_metrics_free(struct sk_metrics *m)
{
	if (!m)
		return;
	SK_ARRAY_CLEAR(m->fams, m->n_fams, m->cap_fams, family_free);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static bool valid_name(const char *s, bool colon)
{
	const char *p;

	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (p = s; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      (colon && c == ':')))
			return false;
	}
	return true;
}

/*
 * Binary search of the n items of size bytes at base, sorted as cmp(item,
 * key) says: the item, or NULL; *at (when not NULL) is where key is or
 * would go.
 */
static void *search(void *base, size_t n, size_t size, const void *key, int (*cmp)(const void *, const void *),
		    size_t *at)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		void *item = (char *)base + mid * size;
		int c = cmp(item, key);
		if (c == 0) {
			if (at)
				*at = mid;
			return item;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at)
		*at = lo;
	return NULL;
}

/*
 * Makes room at index at of the array *itemsp points to, moving the items
 * from there up one: the slot (not cleared), or NULL with the error set
 */
static void *insert_slot(void *itemsp, size_t *n, size_t *cap, size_t size, size_t at)
{
	char *items;

	if (sk_array_reserve(itemsp, cap, *n + 1, size) < 0)
		return NULL;
	memcpy(&items, itemsp, sizeof(items));
	memmove(items + (at + 1) * size, items + at * size, (*n - at) * size);
	(*n)++;
	return items + at * size;
}

static int cmp_family(const void *item, const void *name)
{
	return strcmp(((const struct family *)item)->name, name);
}

static struct family *find_family(struct sk_metrics *m, const char *name, size_t *at)
{
	return search(m->fams, m->n_fams, sizeof(*m->fams), name, cmp_family, at);
}

struct series_key {
	const char *const *values;
	size_t n;
};

static int cmp_series(const void *item, const void *key)
{
	const struct series *s = item;
	const struct series_key *k = key;
	size_t i;
	int c;

	for (i = 0; i < k->n; i++)
		if ((c = strcmp(s->values[i], k->values[i] ? k->values[i] : "")) != 0)
			return c;
	return 0;
}

static struct series *find_series(struct family *f, const char *const *values, size_t *at)
{
	struct series_key k = { values, f->n_labels };

	return search(f->series, f->n_series, sizeof(*f->series), &k, cmp_series, at);
}

/* the series for values, created (zero) when absent; NULL on allocation failure */
static struct series *get_series(struct family *f, const char *const *values)
{
	struct series s, *found;
	size_t at, i;

	if ((found = find_series(f, values, &at)))
		return found;
	memset(&s, 0, sizeof(s));
	if (f->n_labels && !(s.values = calloc(f->n_labels, sizeof(char *))))
		goto oom;
	for (i = 0; i < f->n_labels; i++)
		if (!(s.values[i] = sk_strdup(values[i])))
			goto oom;
	if (f->type == SK_METRIC_HISTOGRAM && !(s.buckets = calloc(f->n_bounds + 1, sizeof(uint64_t))))
		goto oom;
	if (!(found = insert_slot(&f->series, &f->n_series, &f->cap_series, sizeof(s), at)))
		goto oom;
	*found = s;
	return found;
oom:
	series_free(&s, f->n_labels);
	sk_error_set_oom();
	return NULL;
}

static int define_locked(struct sk_metrics *m, enum sk_metric_type type, const char *name, const char *help,
			 const char *const *labels, size_t n_labels, const double *buckets, size_t n_buckets)
{
	struct family f, *slot;
	size_t at, i;

	if (!valid_name(name, true))
		return sk_error_set(SK_ERR_INVALID, "metric name '%s' is not valid", name ? name : "");
	if (n_labels > SK_METRICS_MAX_LABELS)
		return sk_error_set(SK_ERR_INVALID, "metric '%s': at most %d labels", name, SK_METRICS_MAX_LABELS);
	for (i = 0; i < n_labels; i++)
		if (!valid_name(labels[i], false) || !strncmp(labels[i], "__", 2) ||
		    (type == SK_METRIC_HISTOGRAM && !strcmp(labels[i], "le")))
			return sk_error_set(SK_ERR_INVALID, "metric '%s': label name '%s' is not valid", name,
					    labels[i] ? labels[i] : "");
	if (type == SK_METRIC_HISTOGRAM) {
		if (n_buckets == 0 || n_buckets > SK_METRICS_MAX_BUCKETS)
			return sk_error_set(SK_ERR_INVALID, "histogram '%s' needs 1..%d buckets", name,
					    SK_METRICS_MAX_BUCKETS);
		for (i = 0; i < n_buckets; i++)
			if (isnan(buckets[i]) || isinf(buckets[i]) || (i && buckets[i] <= buckets[i - 1]))
				return sk_error_set(SK_ERR_INVALID,
						    "histogram '%s': buckets must be finite and increasing", name);
	} else if (n_buckets) {
		return sk_error_set(SK_ERR_INVALID, "metric '%s': only histograms have buckets", name);
	}
	if (find_family(m, name, &at))
		return sk_error_set(SK_ERR_INVALID, "metric '%s' is defined twice", name);
	memset(&f, 0, sizeof(f));
	f.type = type;
	f.n_labels = n_labels;
	f.n_bounds = type == SK_METRIC_HISTOGRAM ? n_buckets : 0;
	if (!(f.name = sk_strdup(name)) || !(f.help = sk_strdup(help)))
		goto oom;
	if (n_labels && !(f.labels = calloc(n_labels, sizeof(char *))))
		goto oom;
	for (i = 0; i < n_labels; i++)
		if (!(f.labels[i] = sk_strdup(labels[i])))
			goto oom;
	if (f.n_bounds) {
		if (!(f.bounds = malloc(f.n_bounds * sizeof(double))))
			goto oom;
		memcpy(f.bounds, buckets, f.n_bounds * sizeof(double));
	}
	/* a family without labels has its one series from the start, so it shows as 0 */
	if (n_labels == 0 && !get_series(&f, NULL))
		goto oom;
	if (!(slot = insert_slot(&m->fams, &m->n_fams, &m->cap_fams, sizeof(f), at)))
		goto oom;
	*slot = f;
	return 0;
oom:
	family_free(&f);
	return sk_error_set_oom();
}

int sk_metrics_define(struct sk_metrics *m, enum sk_metric_type type, const char *name, const char *help,
		      const char *const *labels, size_t n_labels, const double *buckets, size_t n_buckets)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = define_locked(m, type, name, help, labels, n_labels, buckets, n_buckets);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

enum op { OP_ADD, OP_SET, OP_OBSERVE };

static int update_locked(struct sk_metrics *m, enum op op, const char *name, const char *const *values, double v)
{
	struct family *f = find_family(m, name, NULL);
	struct series *s;
	size_t i;

	if (!f) {
		sk_error_set(SK_ERR_INVALID, "no metric '%s'", name);
		return SK_ENOTFOUND;
	}
	if ((op == OP_OBSERVE) != (f->type == SK_METRIC_HISTOGRAM) || (op == OP_SET && f->type != SK_METRIC_GAUGE))
		return sk_error_set(SK_ERR_INVALID, "metric '%s': wrong kind of update", name);
	if (isnan(v) || (f->type == SK_METRIC_COUNTER && v < 0))
		return sk_error_set(SK_ERR_INVALID, "metric '%s': value not allowed", name);
	if (f->n_labels && !values)
		return sk_error_set(SK_ERR_INVALID, "metric '%s' needs %zu label values", name, f->n_labels);
	if (!(s = get_series(f, values)))
		return SK_ERROR;
	switch (op) {
	case OP_ADD: s->value += v; break;
	case OP_SET: s->value = v; break;
	case OP_OBSERVE:
		for (i = 0; i < f->n_bounds && v > f->bounds[i]; i++)
			;
		s->buckets[i]++;
		s->count++;
		s->value += v;
		break;
	}
	return 0;
}

static int update(struct sk_metrics *m, enum op op, const char *name, const char *const *values, double v)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = update_locked(m, op, name, values, v);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int sk_metrics_add(struct sk_metrics *m, const char *name, const char *const *values, double v)
{
	return update(m, OP_ADD, name, values, v);
}

int sk_metrics_set(struct sk_metrics *m, const char *name, const char *const *values, double v)
{
	return update(m, OP_SET, name, values, v);
}

int sk_metrics_observe(struct sk_metrics *m, const char *name, const char *const *values, double v)
{
	return update(m, OP_OBSERVE, name, values, v);
}

static int clear_locked(struct sk_metrics *m, const char *name)
{
	struct family *f = find_family(m, name, NULL);
	size_t i;

	if (!f) {
		sk_error_set(SK_ERR_INVALID, "no metric '%s'", name);
		return SK_ENOTFOUND;
	}
	if (f->n_labels == 0)
		return 0; /* its one series stays */
	for (i = 0; i < f->n_series; i++)
		series_free(&f->series[i], f->n_labels);
	f->n_series = 0;
	return 0;
}

int sk_metrics_clear(struct sk_metrics *m, const char *name)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = clear_locked(m, name);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

double sk_metrics_get(struct sk_metrics *m, const char *name, const char *const *values)
{
	struct family *f;
	struct series *s = NULL;
	double v = NAN;

	pthread_mutex_lock(&m->lock);
	f = find_family(m, name, NULL);
	if (f && (f->n_labels == 0 || values))
		s = find_series(f, values, NULL);
	if (s)
		v = f->type == SK_METRIC_HISTOGRAM ? (double)s->count : s->value;
	pthread_mutex_unlock(&m->lock);
	return v;
}

/* ---- the text exposition format ---- */

/*
 * Integers print without a fraction ("3", "1767225600"), other values with
 * the fewest digits that read back as the same double, as Go's
 * strconv.FormatFloat(v, 'g', -1, 64) does for Prometheus' own clients.
 */
static void format_value(char out[40], double v)
{
	int prec;

	if (isnan(v)) {
		strcpy(out, "NaN");
		return;
	}
	if (isinf(v)) {
		strcpy(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		strcpy(out, "0");
		return;
	}
	if (fabs(v) < 1e15 && v == trunc(v)) {
		snprintf(out, 40, "%.0f", v);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static int add_escaped(struct sk_buf *b, const char *s, bool quote)
{
	const char *p;
	int rc = 0;

	for (p = s; *p && rc == 0; p++) {
		if (*p == '\\')
			rc = sk_buf_adds(b, "\\\\");
		else if (*p == '\n')
			rc = sk_buf_adds(b, "\\n");
		else if (quote && *p == '"')
			rc = sk_buf_adds(b, "\\\"");
		else
			rc = sk_buf_addc(b, *p);
	}
	return rc;
}

/* name{a="x",b="y"[,le="..."]} value\n */
static int add_sample(struct sk_buf *b, const struct family *f, const char *suffix, const struct series *s,
		      const char *le, double v)
{
	char num[40];
	size_t i;
	int rc;

	rc = sk_buf_printf(b, "%s%s", f->name, suffix);
	if (rc == 0 && (f->n_labels || le)) {
		rc = sk_buf_addc(b, '{');
		bool any = false;
		for (i = 0; rc == 0 && i < f->n_labels; i++) {
			/* an empty value is no label, as Prometheus reads it (the caller's own account) */
			if (!s->values[i][0])
				continue;
			rc = sk_buf_printf(b, "%s%s=\"", any ? "," : "", f->labels[i]);
			if (rc == 0)
				rc = add_escaped(b, s->values[i], true);
			if (rc == 0)
				rc = sk_buf_addc(b, '"');
			any = true;
		}
		if (rc == 0 && le)
			rc = sk_buf_printf(b, "%sle=\"%s\"", any ? "," : "", le);
		if (rc == 0)
			rc = sk_buf_addc(b, '}');
	}
	format_value(num, v);
	if (rc == 0)
		rc = sk_buf_printf(b, " %s\n", num);
	return rc;
}

static const char *type_name(enum sk_metric_type t)
{
	switch (t) {
	case SK_METRIC_COUNTER: return "counter";
	case SK_METRIC_GAUGE: return "gauge";
	case SK_METRIC_HISTOGRAM: return "histogram";
	}
	return "untyped";
}

static int render_family(struct sk_buf *b, const struct family *f)
{
	size_t i, k;
	int rc;

	if (f->n_series == 0)
		return 0;
	rc = sk_buf_printf(b, "# HELP %s ", f->name);
	if (rc == 0)
		rc = add_escaped(b, f->help, false);
	if (rc == 0)
		rc = sk_buf_printf(b, "\n# TYPE %s %s\n", f->name, type_name(f->type));
	for (i = 0; rc == 0 && i < f->n_series; i++) {
		const struct series *s = &f->series[i];
		uint64_t cum = 0;

		if (f->type != SK_METRIC_HISTOGRAM) {
			rc = add_sample(b, f, "", s, NULL, s->value);
			continue;
		}
		for (k = 0; rc == 0 && k <= f->n_bounds; k++) {
			char le[40];

			if (k < f->n_bounds)
				format_value(le, f->bounds[k]);
			else
				strcpy(le, "+Inf");
			cum += s->buckets[k];
			rc = add_sample(b, f, "_bucket", s, le, (double)cum);
		}
		if (rc == 0)
			rc = add_sample(b, f, "_sum", s, NULL, s->value);
		if (rc == 0)
			rc = add_sample(b, f, "_count", s, NULL, (double)s->count);
	}
	return rc;
}

int sk_metrics_render(struct sk_metrics *m, struct sk_buf *out)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	for (i = 0; rc == 0 && i < m->n_fams; i++)
		rc = render_family(out, &m->fams[i]);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* ---- the snapkeep families ---- */

#define M_BUILD "snapkeep_build_info"
#define M_CYCLES "snapkeep_cycles_total"
#define M_DURATION "snapkeep_cycle_duration_seconds"
#define M_CALLS "snapkeep_aws_calls_total"
#define M_THROTTLES "snapkeep_aws_throttles_total"
#define M_PENDING "snapkeep_pending_actions"
#define M_LAST_SUCCESS "snapkeep_last_success_timestamp_seconds"
#define M_FAILURES "snapkeep_consecutive_failures"
#define M_AGE "snapkeep_newest_snapshot_age_seconds"
#define M_CREATED "snapkeep_snapshots_created_total"
#define M_COPIED "snapkeep_snapshots_copied_total"
#define M_DELETED "snapkeep_snapshots_deleted_total"

int sk_metrics_new_snapkeep(struct sk_metrics **out, const char *version)
{
	static const double duration_buckets[] = { 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600 };
	static const char *const outcome[] = { "outcome" };
	static const char *const call_labels[] = { "service", "action", "outcome" };
	static const char *const age_labels[] = { "account", "region", "instance" };
	static const char *const version_label[] = { "version" };
	static const char *const kind_label[] = { "kind" };
	static const char *const policy_label[] = { "policy" };
	static const char *const drill_labels[] = { "policy", "region", "instance" };
	struct sk_metrics *m = NULL;
	int rc;

	*out = NULL;
	if ((rc = sk_metrics_new(&m)) < 0)
		return rc;
	if ((rc = sk_metrics_define(m, SK_METRIC_GAUGE, M_BUILD, "The running snapkeep's version, always 1.",
				    version_label, 1, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_COUNTER, M_CYCLES, "Reconcile cycles run, by outcome.", outcome, 1,
				    NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_HISTOGRAM, M_DURATION, "How long reconcile cycles took.", NULL, 0,
				    duration_buckets, sizeof(duration_buckets) / sizeof(duration_buckets[0]))) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_COUNTER, M_CALLS,
				    "AWS API call attempts, by service, action and outcome "
				    "(success, throttled, error, no-answer).",
				    call_labels, 3, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_COUNTER, M_THROTTLES, "AWS API call attempts that were throttled.",
				    NULL, 0, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_GAUGE, M_PENDING,
				    "Plan actions not done at the end of the last cycle.", NULL, 0, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_GAUGE, M_LAST_SUCCESS,
				    "When the last successful cycle ended, in seconds since the epoch.", NULL, 0, NULL,
				    0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_GAUGE, M_FAILURES, "Failed cycles since the last successful one.",
				    NULL, 0, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_GAUGE, M_AGE,
				    "Age of the newest available snapshot of each managed instance, in seconds (account: "
				    "one of Settings' accounts, none for the caller's own).",
				    age_labels, 3, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_COUNTER, M_CREATED, "Snapshots created.", NULL, 0, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_COUNTER, M_COPIED, "Snapshots copied to another region.", NULL, 0,
				    NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_COUNTER, M_DELETED, "Snapshots deleted.", NULL, 0, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_ALERTS_FIRING,
				    "Alerts firing, by kind (cycle, apply, blocked, selects-nothing, verify).", kind_label, 1,
				    NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_POLICY_SELECTED,
				    "Instances each policy selects, as the last plan found them (0: it protects nothing).",
				    policy_label, 1, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_DRILL_SUCCESS,
				    "Whether the last restore drill of each instance passed (1) or failed (0).",
				    drill_labels, 3, NULL, 0)) < 0 ||
	    (rc = sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_DRILL_RTO,
				    "The last restore drill's RTO (restore request to checks answered), in seconds.",
				    drill_labels, 3, NULL, 0)) < 0)
		goto fail;
	if ((rc = sk_metrics_set(m, M_BUILD, (const char *[]){ version ? version : "unknown" }, 1)) < 0 ||
	    (rc = sk_metrics_add(m, M_CYCLES, (const char *[]){ "success" }, 0)) < 0 ||
	    (rc = sk_metrics_add(m, M_CYCLES, (const char *[]){ "failure" }, 0)) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	sk_metrics_free(m);
	return rc;
}

static const char *outcome_of(const struct sk_aws_call_info *info)
{
	if (info->throttled)
		return "throttled";
	if (info->status == 0)
		return "no-answer";
	if (info->status >= 200 && info->status < 300 && !info->code)
		return "success";
	return "error";
}

void sk_metrics_on_attempt(void *ud, const struct sk_aws_call_info *info)
{
	struct sk_metrics *m = ud;
	const char *values[3];

	if (!m || !info)
		return;
	values[0] = info->service ? info->service : "unknown";
	values[1] = info->action ? info->action : "unknown";
	values[2] = outcome_of(info);
	pthread_mutex_lock(&m->lock);
	/* errors here (out of memory) lose one count; a callback has nobody to tell */
	update_locked(m, OP_ADD, M_CALLS, values, 1);
	if (info->throttled)
		update_locked(m, OP_ADD, M_THROTTLES, NULL, 1);
	pthread_mutex_unlock(&m->lock);
}

int sk_metrics_record_cycle(struct sk_metrics *m, const struct sk_cycle_report *r)
{
	double seconds = (double)(r->finished_ms - r->started_ms) / 1000.0;
	const char *outcome = r->ok ? "success" : "failure";
	size_t i;
	int rc;

	if (seconds < 0)
		seconds = 0;
	pthread_mutex_lock(&m->lock);
	m->consecutive_failures = r->ok ? 0 : m->consecutive_failures + 1;
	if ((rc = update_locked(m, OP_ADD, M_CYCLES, &outcome, 1)) < 0 ||
	    (rc = update_locked(m, OP_OBSERVE, M_DURATION, NULL, seconds)) < 0 ||
	    (rc = update_locked(m, OP_SET, M_PENDING, NULL, (double)r->pending)) < 0 ||
	    (rc = update_locked(m, OP_SET, M_FAILURES, NULL, m->consecutive_failures)) < 0 ||
	    (rc = update_locked(m, OP_ADD, M_CREATED, NULL, (double)r->created)) < 0 ||
	    (rc = update_locked(m, OP_ADD, M_COPIED, NULL, (double)r->copied)) < 0 ||
	    (rc = update_locked(m, OP_ADD, M_DELETED, NULL, (double)r->deleted)) < 0)
		goto done;
	if (r->ok && (rc = update_locked(m, OP_SET, M_LAST_SUCCESS, NULL, (double)r->finished_ms / 1000.0)) < 0)
		goto done;
	/* a failed cycle that observed nothing keeps the last ages it knew */
	if (r->ok || r->n_ages) {
		if ((rc = clear_locked(m, M_AGE)) < 0)
			goto done;
		for (i = 0; i < r->n_ages; i++) {
			const char *v[3] = { r->ages[i].account ? r->ages[i].account : "", r->ages[i].region,
					     r->ages[i].instance };
			if ((rc = update_locked(m, OP_SET, M_AGE, v, (double)r->ages[i].seconds)) < 0)
				goto done;
		}
	}
done:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int sk_metrics_consecutive_failures(struct sk_metrics *m)
{
	int n;

	pthread_mutex_lock(&m->lock);
	n = m->consecutive_failures;
	pthread_mutex_unlock(&m->lock);
	return n;
}
