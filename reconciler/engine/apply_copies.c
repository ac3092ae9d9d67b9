/*
 * apply_copies.c - what apply waits for: the creates its copies need, and
 * the copies, at most copies_at_once in progress per destination region
 */
#include "reconciler/engine/apply_copies.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/rds.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "reconciler/engine/apply_action.h"
#include "specs/policy.h"

/* ---- waiting for new snapshots ---- */

/* the snapshots of one region still waited for, at most 100 (one filtered describe) */
struct waiter {
	const char *ids[100];
	size_t action[100];
	size_t n;
	int *state; /* per action: 0 waiting, 1 available, -1 failed */
	int64_t *available_at;
};

static int on_poll(void *ud, const struct sk_rds_snapshot *s)
{
	struct waiter *w = ud;
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (strcmp(w->ids[i], s->id))
			continue;
		if (!strcmp(s->status, "available")) {
			w->state[w->action[i]] = 1;
			w->available_at[w->action[i]] = s->created;
		}
		else if (!strcmp(s->status, "failed") || !strcmp(s->status, "error") || !strncmp(s->status, "incompatible", 12))
			w->state[w->action[i]] = -1;
	}
	return 0;
}

static void nap_ms(long ms, const struct sk_apply_run *r)
{
	while (ms > 0 && !sk_apply_cancelled(r)) {
		long step = ms > 100 ? 100 : ms;
		struct timespec ts = { 0, step * 1000000L };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* a snapshot waited for: its create's region, kind and index, sorted by region and kind */
struct waited {
	const char *region;
	bool cluster;
	size_t action;
};

static int cmp_waited(const void *pa, const void *pb)
{
	const struct waited *a = pa, *b = pb;
	int c = strcmp(a->region, b->region);

	if (!c)
		c = (int)a->cluster - (int)b->cluster;
	return c ? c : (a->action > b->action) - (a->action < b->action);
}

/* polls each region's waiting snapshots once, 100 at a time; how many are still waiting */
static size_t poll_once(struct sk_apply_run *r, const struct waited *wait, size_t n, int *state)
{
	const struct sk_plan *p = r->plan;
	size_t i = 0, waiting = 0;

	while (i < n) {
		const char *region = wait[i].region;
		bool cluster = wait[i].cluster;
		struct waiter w;
		size_t j = i;

		w.n = 0;
		w.state = state;
		w.available_at = r->res->available_at;
		for (; j < n && !strcmp(wait[j].region, region) && wait[j].cluster == cluster && w.n < 100; j++) {
			if (state[wait[j].action] != 0)
				continue;
			w.ids[w.n] = p->actions[wait[j].action].target;
			w.action[w.n++] = wait[j].action;
		}
		if (w.n) {
			struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
			struct sk_rds_filter f = { cluster ? "db-cluster-snapshot-id" : "db-snapshot-id", w.ids, w.n };
			d.filters = &f;
			d.n_filters = 1;
			if (sk_rds_describe_snapshots(r->o->client, region, cluster, &d, on_poll, &w, NULL) < 0)
				sk_warn("while waiting for snapshots in %s: %s", region, sk_error_message());
		}
		i = j;
	}
	for (i = 0; i < n; i++)
		waiting += state[wait[i].action] == 0;
	return waiting;
}

/* a line of progress: with JSON logs every line on stderr is a JSON record, so it becomes one */
static void progress_line(const struct sk_apply_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress_line(const struct sk_apply_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sk_log_vprint(r->o->progress, SK_LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void sk_apply_wait_for_creates(struct sk_apply_run *r)
{
	const struct sk_plan *p = r->plan;
	int *state = calloc(p->n_actions + 1, sizeof(*state));
	bool *needed = calloc(p->n_actions + 1, sizeof(*needed));
	struct waited *wait = calloc(p->n_actions + 1, sizeof(*wait));
	size_t n = 0, i, waiting, ready;
	int64_t start, last_line = 0;
	long interval = r->o->poll_ms > 0 ? r->o->poll_ms : 2000;
	int timeout = r->o->wait_timeout > 0 ? r->o->wait_timeout : 7200;

	if (!state || !needed || !wait)
		goto done;
	/* the creates some pending copy needs, and that were made */
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *c = &p->actions[i];
		size_t k = c->depends_on;
		if (c->kind != SK_ACTION_COPY || !k || r->res->outcomes[i] != SK_OUTCOME_PENDING)
			continue;
		if (!needed[k - 1] && sk_apply_made(r->res->outcomes[k - 1])) {
			needed[k - 1] = true;
			wait[n].region = p->actions[k - 1].region;
			wait[n].cluster = p->actions[k - 1].cluster;
			wait[n++].action = k - 1;
		}
	}
	if (!n)
		goto done;
	if (!r->wait_start)
		r->wait_start = sk_time_mono_ms();
	start = r->wait_start;
	qsort(wait, n, sizeof(*wait), cmp_waited);
	if (r->o->progress && !r->o->progress_tty)
		progress_line(r, "waiting for %zu new snapshot%s to become available", n, n == 1 ? "" : "s");
	while (!sk_apply_cancelled(r)) {
		int64_t elapsed = (sk_time_mono_ms() - start) / 1000;
		waiting = poll_once(r, wait, n, state);
		ready = 0;
		for (i = 0; i < n; i++)
			ready += state[wait[i].action] > 0;
		if (r->o->progress) {
			if (r->o->progress_tty) {
				fprintf(r->o->progress, "\rwaiting for new snapshots: %zu of %zu available (%llds) ", ready, n,
					(long long)elapsed);
				fflush(r->o->progress);
			} else if (elapsed - last_line >= 60) {
				progress_line(r, "waiting for new snapshots: %zu of %zu available (%llds)", ready, n,
					      (long long)elapsed);
				last_line = elapsed;
			}
		}
		if (!waiting)
			break;
		if (elapsed >= timeout) {
			sk_warn("gave up waiting after %d s; the copies are left for the next run", timeout);
			break;
		}
		nap_ms(interval, r);
		if (interval < 30000)
			interval = interval * 3 / 2;
	}
	if (r->o->progress && r->o->progress_tty)
		fputc('\n', r->o->progress);
	/* copies of snapshots that are not available go to a later run */
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *c = &p->actions[i];
		size_t k = c->depends_on;
		if (c->kind != SK_ACTION_COPY || !k || !needed[k - 1] || r->res->outcomes[i] != SK_OUTCOME_PENDING)
			continue;
		if (state[k - 1] < 0)
			sk_apply_finish(r, i, SK_OUTCOME_SKIPPED, "its source snapshot failed");
		else if (state[k - 1] == 0)
			sk_apply_finish(r, i, SK_OUTCOME_DEFERRED, "its source snapshot is not available yet");
	}
done:
	free(state);
	free(needed);
	free(wait);
}

void sk_apply_settle_copies_of_creates(struct sk_apply_run *r)
{
	const struct sk_plan *p = r->plan;
	size_t i;

	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *c = &p->actions[i];
		enum sk_outcome src;
		if (c->kind != SK_ACTION_COPY || !c->depends_on || r->res->outcomes[i] != SK_OUTCOME_PENDING)
			continue;
		src = r->res->outcomes[c->depends_on - 1];
		if (src == SK_OUTCOME_FAILED || src == SK_OUTCOME_SKIPPED)
			sk_apply_finish(r, i, SK_OUTCOME_SKIPPED, "its source snapshot was not created");
		else if (!r->o->wait)
			sk_apply_finish(r, i, SK_OUTCOME_DEFERRED, "--no-wait: copied on a later run");
	}
}

/* ---- copies: at most copies_at_once in progress per destination region ---- */

/* one destination region: its copies in progress, and the plan's copies to start there */
struct dest {
	const char *region;
	const struct sk_region_summary *rs; /* the plan's summary of the region (the copies arriving there), or NULL */
	size_t limit;       /* copies in progress at once here (lowered when AWS refuses one) */
	const char **watch; /* copies in progress here: the ones arriving before the run, then the ones started */
	size_t n_watch;
	size_t *queue;      /* the copy actions to start here, newest source first */
	size_t n_queue;
	bool clusters;      /* some are Aurora cluster snapshot copies: their describe too */
};

struct copies {
	struct dest *d;
	size_t n;
	bool *started; /* per action */
	const char **watch_mem;
	size_t *queue_mem;
};

struct by_source {
	int64_t time; /* the source's creation time; a source taken in this run is the newest of all */
	size_t action;
};

static int cmp_newest_source(const void *pa, const void *pb)
{
	const struct by_source *a = pa, *b = pb;

	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return (a->action > b->action) - (a->action < b->action);
}

/* orders d's queue newest source first: the freshest restore point reaches the destination first */
static int sort_queue(const struct sk_plan *p, struct dest *d)
{
	struct by_source *v = calloc(d->n_queue + 1, sizeof(*v));
	size_t i;

	if (!v)
		return sk_error_set_oom();
	for (i = 0; i < d->n_queue; i++) {
		const struct sk_action *a = &p->actions[d->queue[i]];
		v[i].time = a->source_created ? a->source_created : INT64_MAX;
		v[i].action = d->queue[i];
	}
	qsort(v, d->n_queue, sizeof(*v), cmp_newest_source);
	for (i = 0; i < d->n_queue; i++)
		d->queue[i] = v[i].action;
	free(v);
	return 0;
}

/* the plan's pending copies by destination, each with the copies arriving there before the run */
static int copies_init(struct copies *c, const struct sk_apply_run *r)
{
	const struct sk_plan *p = r->plan;
	size_t i, k, n_copies = 0, n_watch = 0, q = 0, w = 0, limit;

	memset(c, 0, sizeof(*c));
	limit = (size_t)(p->copies_at_once > 0 ? p->copies_at_once : SK_COPIES_IN_FLIGHT_MAX);
	for (i = 0; i < p->n_actions; i++)
		n_copies += p->actions[i].kind == SK_ACTION_COPY;
	c->d = calloc(n_copies + 1, sizeof(*c->d));
	c->started = calloc(p->n_actions + 1, sizeof(*c->started));
	c->queue_mem = calloc(n_copies + 1, sizeof(*c->queue_mem));
	if (!c->d || !c->started || !c->queue_mem)
		return sk_error_set_oom();
	/* the destinations, and how many copies each starts */
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *a = &p->actions[i];
		if (a->kind != SK_ACTION_COPY || r->res->outcomes[i] != SK_OUTCOME_PENDING)
			continue;
		for (k = 0; k < c->n && strcmp(c->d[k].region, a->region); k++)
			;
		if (k == c->n) {
			c->d[c->n].region = a->region;
			c->d[c->n++].limit = limit;
		}
		c->d[k].n_queue++;
		c->d[k].clusters |= a->cluster;
	}
	/* the copies arriving in each destination before the run: the plan's summary of its region says */
	for (i = 0; i < p->n_regions; i++)
		for (k = 0; k < c->n; k++)
			if (!c->d[k].rs && !strcmp(c->d[k].region, p->regions[i].region))
				c->d[k].rs = &p->regions[i];
	for (k = 0; k < c->n; k++)
		n_watch += c->d[k].n_queue + (c->d[k].rs ? c->d[k].rs->n_arriving : 0);
	c->watch_mem = calloc(n_watch + 1, sizeof(*c->watch_mem));
	if (!c->watch_mem)
		return sk_error_set_oom();
	/* each destination's queue and watch list in one block each */
	for (k = 0; k < c->n; k++) {
		struct dest *d = &c->d[k];
		d->queue = c->queue_mem + q;
		q += d->n_queue;
		d->watch = c->watch_mem + w;
		w += d->n_queue + (d->rs ? d->rs->n_arriving : 0);
		d->n_queue = 0;
		for (i = 0; d->rs && i < d->rs->n_arriving; i++)
			d->watch[d->n_watch++] = d->rs->arriving[i];
	}
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *a = &p->actions[i];
		if (a->kind != SK_ACTION_COPY || r->res->outcomes[i] != SK_OUTCOME_PENDING)
			continue;
		for (k = 0; strcmp(c->d[k].region, a->region); k++)
			;
		c->d[k].queue[c->d[k].n_queue++] = i;
	}
	for (k = 0; k < c->n; k++)
		if (sort_queue(p, &c->d[k]) < 0)
			return -1;
	return 0;
}

static void copies_free(struct copies *c)
{
	free(c->d);
	free(c->started);
	free(c->queue_mem);
	free(c->watch_mem);
}

static void unwatch(struct dest *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->n_watch; i++)
		if (!strcmp(d->watch[i], id)) {
			memmove(d->watch + i, d->watch + i + 1, (d->n_watch - i - 1) * sizeof(*d->watch));
			d->n_watch--;
			return;
		}
}

/* how many of d's copies are still to start */
static size_t to_start(const struct sk_apply_run *r, const struct copies *c, const struct dest *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_queue; i++)
		n += !c->started[d->queue[i]] && r->res->outcomes[d->queue[i]] == SK_OUTCOME_PENDING;
	return n;
}

/* d's copies not started: deferred, saying why */
static void defer_rest(struct sk_apply_run *r, const struct copies *c, const struct dest *d, const char *why)
{
	size_t i;

	for (i = 0; i < d->n_queue; i++)
		if (!c->started[d->queue[i]] && r->res->outcomes[d->queue[i]] == SK_OUTCOME_PENDING)
			sk_apply_finish(r, d->queue[i], SK_OUTCOME_DEFERRED, why);
}

/* starts, side by side, the copies that fit in each destination; then what is in progress there */
static int start_copies(struct sk_apply_run *r, struct copies *c)
{
	size_t k, i;
	int rc;

	r->n_idx = 0;
	for (k = 0; k < c->n; k++) {
		struct dest *d = &c->d[k];
		for (i = 0; i < d->n_queue && d->n_watch < d->limit; i++) {
			size_t a = d->queue[i];
			if (c->started[a] || r->res->outcomes[a] != SK_OUTCOME_PENDING)
				continue;
			c->started[a] = true;
			d->watch[d->n_watch++] = r->plan->actions[a].target;
			r->idx[r->n_idx++] = a;
		}
	}
	if (!r->n_idx)
		return 0;
	rc = sk_apply_actions(r);
	for (i = 0; i < r->n_idx; i++) {
		size_t a = r->idx[i];
		struct dest *d = c->d;
		while (strcmp(d->region, r->plan->actions[a].region))
			d++;
		if (r->refused[a]) {
			/* AWS counts more in progress there than this run knows of: no more than it knows, from now */
			r->refused[a] = false;
			c->started[a] = false;
			unwatch(d, r->plan->actions[a].target);
			d->limit = d->n_watch;
		} else if (!sk_apply_made(r->res->outcomes[a])) {
			unwatch(d, r->plan->actions[a].target); /* it failed, or was not attempted */
		}
	}
	return rc;
}

/* which of the identifiers asked about are still in progress */
struct watched {
	const char *const *ids;
	size_t n;
	bool *busy;
};

static int on_watched(void *ud, const struct sk_rds_snapshot *s)
{
	struct watched *w = ud;
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!strcasecmp(w->ids[i], s->id) &&
		    (!strcmp(s->status, "creating") || !strcmp(s->status, "pending") || !strcmp(s->status, "copying")))
			w->busy[i] = true;
	return 0;
}

/* polls d's copies in progress, 100 a call: the ones available (or failed, or gone) stop counting */
static void poll_copies(struct sk_apply_run *r, struct dest *d)
{
	bool busy[100];
	size_t at = 0, i, keep;

	while (at < d->n_watch && !sk_apply_cancelled(r)) {
		struct sk_rds_describe_opts o = SK_RDS_DESCRIBE_OPTS_INIT;
		struct sk_rds_filter f = { "db-snapshot-id", d->watch + at, 0 };
		struct watched w = { d->watch + at, 0, busy };
		size_t n = d->n_watch - at < 100 ? d->n_watch - at : 100;
		bool failed;
		/* an identifier missing from the answer is gone: not in progress either */
		for (i = 0; i < n; i++)
			busy[i] = false;
		f.n_values = w.n = n;
		o.filters = &f;
		o.n_filters = 1;
		failed = sk_rds_describe_snapshots(r->o->client, d->region, false, &o, on_watched, &w, NULL) < 0;
		if (!failed && d->clusters) {
			f.name = "db-cluster-snapshot-id";
			failed = sk_rds_describe_snapshots(r->o->client, d->region, true, &o, on_watched, &w, NULL) < 0;
		}
		if (failed) {
			sk_warn("while waiting for copies in %s: %s", d->region, sk_error_message());
			at += n;
			continue;
		}
		for (i = 0, keep = at; i < n; i++)
			if (busy[i])
				d->watch[keep++] = d->watch[at + i];
		memmove(d->watch + keep, d->watch + at + n, (d->n_watch - at - n) * sizeof(*d->watch));
		d->n_watch -= at + n - keep;
		at = keep;
	}
}

int sk_apply_copies(struct sk_apply_run *r)
{
	struct copies c;
	long interval = r->o->poll_ms > 0 ? r->o->poll_ms : 2000;
	int timeout = r->o->wait_timeout > 0 ? r->o->wait_timeout : 7200;
	int64_t last_line = 0;
	bool shown = false;
	size_t k;
	int rc = -1;

	if (copies_init(&c, r) < 0)
		goto done;
	for (;;) {
		size_t left = 0, busy = 0;
		int64_t elapsed;
		if (start_copies(r, &c) < 0)
			goto done;
		for (k = 0; k < c.n; k++) {
			struct dest *d = &c.d[k];
			size_t n = to_start(r, &c, d);
			char why[256];
			if (n && !d->n_watch) {
				/* AWS refused with none of this run's copies in progress there: nothing to wait for */
				defer_rest(r, &c, d,
					   "AWS refused a copy: the destination region has as many copies in progress as it "
					   "allows; left for the next run");
				n = 0;
			} else if (n && !r->o->wait) {
				snprintf(why, sizeof(why),
					 "--no-wait: %zu cop%s in progress into %s, at most %zu at once; left for a later run",
					 d->n_watch, d->n_watch == 1 ? "y is" : "ies are", d->region, d->limit);
				defer_rest(r, &c, d, why);
				n = 0;
			}
			left += n;
			busy += n ? d->n_watch : 0;
		}
		if (!left || sk_apply_cancelled(r))
			break;
		if (!r->wait_start)
			r->wait_start = sk_time_mono_ms();
		elapsed = (sk_time_mono_ms() - r->wait_start) / 1000;
		if (elapsed >= timeout) {
			char why[256];
			sk_warn("gave up waiting after %d s; %zu cop%s left for the next run", timeout, left,
				left == 1 ? "y is" : "ies are");
			snprintf(why, sizeof(why),
				 "gave up waiting after %d s for copies in progress to become available; left for the next "
				 "run",
				 timeout);
			for (k = 0; k < c.n; k++)
				defer_rest(r, &c, &c.d[k], why);
			break;
		}
		if (r->o->progress) {
			if (r->o->progress_tty) {
				fprintf(r->o->progress, "\rcopies: %zu in progress, %zu waiting to start (%llds) ", busy, left,
					(long long)elapsed);
				fflush(r->o->progress);
				shown = true;
			} else if (!shown || elapsed - last_line >= 60) {
				fprintf(r->o->progress, "copies: %zu in progress, %zu waiting to start (%llds)\n", busy, left,
					(long long)elapsed);
				last_line = elapsed;
				shown = true;
			}
		}
		nap_ms(interval, r);
		if (interval < 30000)
			interval = interval * 3 / 2;
		for (k = 0; k < c.n && !sk_apply_cancelled(r); k++)
			if (to_start(r, &c, &c.d[k]))
				poll_copies(r, &c.d[k]);
	}
	if (r->o->progress && r->o->progress_tty && shown)
		fputc('\n', r->o->progress);
	rc = 0;
done:
	copies_free(&c);
	return rc;
}

