/*
 * apply.c - execute a plan's actions against AWS
 */
#include "reconciler/engine/apply.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "aws/rds.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "reconciler/engine/guard.h"
#include "reconciler/engine/journal_glue.h"
#include "reconciler/engine/parallel.h"
#include "reconciler/planner/ownership.h"
#include "specs/policy.h"

static const char *const outcome_names[] = { "pending", "done", "already-done", "deferred", "failed", "skipped" };

const char *sk_outcome_name(enum sk_outcome o)
{
	return (size_t)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o] : "unknown";
}

struct run {
	const struct sk_plan *plan;
	const struct sk_apply_opts *o;
	struct sk_apply_result *res;
	pthread_mutex_t lock;
	unsigned kinds; /* bit per enum sk_action_kind in this phase */
	size_t *idx;    /* the actions of this phase */
	size_t n_idx;
	bool *refused;      /* copies AWS refused for its limit of copies in progress: back in their queue */
	int64_t wait_start; /* when apply began to wait (monotonic ms), 0: not yet; the timeout counts from it */
};

static bool cancelled(const struct run *r)
{
	return r->o->cancel && *r->o->cancel;
}

static void finish(struct run *r, size_t i, enum sk_outcome oc, const char *detail)
{
	const struct sk_action *a = &r->plan->actions[i];

	pthread_mutex_lock(&r->lock);
	r->res->outcomes[i] = oc;
	free(r->res->details[i]);
	r->res->details[i] = detail ? strdup(detail) : NULL;
	pthread_mutex_unlock(&r->lock);
	if (oc == SK_OUTCOME_FAILED)
		sk_log(SK_LOG_ERROR, "%s %s (%s): %s", sk_action_kind_name(a->kind), a->target, a->region,
		       detail ? detail : "failed");
	else
		sk_info("%s %s (%s): %s", sk_action_kind_name(a->kind), a->target, a->region, sk_outcome_name(oc));
	if (r->o->on_outcome)
		r->o->on_outcome(r->o->on_outcome_ud, a, oc, detail);
}

/* does the existing snapshot carry our ownership tags for this policy and instance? */
struct owner_check {
	const char *policy;
	const char *instance;
	bool ours;
	bool seen;
};

static int check_owner(void *ud, const struct sk_rds_snapshot *s)
{
	struct owner_check *c = ud;

	c->seen = true;
	c->ours = sk_tags_owned_by(s->tags, s->n_tags, c->policy, c->instance);
	return 0;
}

/*
 * After DBSnapshotAlreadyExists for our identifier: 1 when the snapshot is
 * ours (an earlier attempt or run made it), 0 when it is someone else's, -1
 * when the describe failed (interrupted, no answer): then nobody knows.
 */
static int exists_and_ours(struct run *r, const struct sk_action *a)
{
	struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
	struct owner_check c = { a->policy, a->instance, false, false };

	d.snapshot_id = a->target;
	if (sk_rds_describe_db_snapshots(r->o->client, a->region, &d, check_owner, &c, NULL) < 0)
		return -1;
	return c.seen && c.ours;
}

/* DBSnapshotAlreadyExists for a create or copy: already made, someone else's, or unknown */
static int settle_exists(struct run *r, const struct sk_action *a, enum sk_outcome *oc, bool *unknown)
{
	int ours = exists_and_ours(r, a);

	if (ours > 0) {
		*oc = SK_OUTCOME_ALREADY;
		return 0;
	}
	if (ours < 0) {
		*unknown = true;
		return sk_error_prefix("snapshot '%s' exists in %s but who owns it could not be checked", a->target,
				       a->region);
	}
	return sk_error_set(SK_ERR_SAFETY, "snapshot '%s' exists in %s and is not owned by policy '%s'", a->target,
			    a->region, a->policy ? a->policy : "");
}

/*
 * Was a call that did not succeed perhaps made all the same?  When no
 * answer came (the connection failed, or AWS answered 5xx), or when an
 * earlier attempt's answer was lost before a retry, or when something other
 * than AWS answered (a proxy may have passed the call on), AWS may have made
 * the change.  Such a call is journaled "unknown", which leaves its intent
 * open for the next run to resolve against live state.
 */
static bool maybe_made(const struct sk_aws_error *err)
{
	if (err->attempts <= 0)
		return false; /* never sent */
	return err->attempts > 1 || err->http_status == 0 || err->http_status >= 500 ||
	       !strcmp(err->code, SK_AWS_CODE_UNEXPECTED);
}

/* is the instance's automated-backup replication live in the action's (destination) region? */
struct replica_check {
	const char *source_arn;
	bool live;
};

static int check_replica(void *ud, const struct sk_rds_automated_backup *b)
{
	struct replica_check *c = ud;

	if (b->instance_arn && c->source_arn && !strcmp(b->instance_arn, c->source_arn) && b->status &&
	    strcmp(b->status, "retained") && strcmp(b->status, "deleting"))
		c->live = true;
	return 0;
}

/*
 * RDS answers a second start (or a stop of nothing) with
 * InvalidDBInstanceState, the same code as for an instance that is busy:
 * only the destination's automated backups tell a retry from a failure.
 */
static bool replication_is(struct run *r, const struct sk_action *a, bool live)
{
	struct replica_check c = { a->source_arn, false };

	if (sk_rds_describe_db_instance_automated_backups(r->o->client, a->region, NULL, check_replica, &c, NULL) < 0)
		return false;
	return c.live == live;
}

static void exec_action(void *ud, size_t k)
{
	struct run *r = ud;
	size_t i = r->idx[k];
	const struct sk_action *a = &r->plan->actions[i];
	struct sk_aws_error err;
	char intent[64] = "";
	char why[1024];
	enum sk_outcome oc = SK_OUTCOME_DONE;
	const char *detail = NULL, *recorded;
	bool unknown = false; /* the call may have been made: its intent stays open */
	bool at_limit = false; /* a copy AWS refused: its destination has as many in progress as AWS allows */
	int rc = 0;

	if (cancelled(r)) {
		finish(r, i, SK_OUTCOME_SKIPPED, "interrupted before it started");
		return;
	}
	memset(&err, 0, sizeof(err));
	if (sk_journal_glue_intent(r->o->journal, r->o->run_id, r->plan, a, intent, sizeof(intent)) < 0) {
		/* no durable intent, no mutation */
		finish(r, i, SK_OUTCOME_FAILED, sk_error_message());
		return;
	}
	if (sk_guard_action(r->plan, a, r->o->inv, r->o->set) < 0) {
		/* journaled as failed with no RequestId: the intent is closed, no call was made */
		detail = sk_error_message();
		sk_journal_glue_outcome(r->o->journal, intent, a, SK_OUTCOME_FAILED, sk_outcome_name(SK_OUTCOME_FAILED),
					NULL, detail);
		finish(r, i, SK_OUTCOME_FAILED, detail);
		return;
	}
	switch (a->kind) {
	case SK_ACTION_MODIFY: {
		struct sk_rds_modify m = SK_RDS_MODIFY_INIT;
		m.instance_id = a->target;
		m.backup_retention_period = a->retention;
		m.preferred_backup_window = a->window;
		m.copy_tags_to_snapshot = a->copy_tags;
		m.deletion_protection = a->deletion_protection;
		m.apply_immediately = a->apply_immediately;
		rc = sk_rds_modify_db_instance(r->o->client, a->region, &m, NULL, NULL, &err);
		break;
	}
	case SK_ACTION_START_REPLICATION: {
		struct sk_rds_replication rep;
		rep.source_region = a->source_region;
		rep.source_instance_arn = a->source_arn;
		rep.backup_retention_period = a->replica_retention;
		rep.kms_key_id = a->kms_key_id;
		rc = sk_rds_start_automated_backups_replication(r->o->client, a->region, &rep, &err);
		if (rc < 0 && !strcmp(err.code, "InvalidDBInstanceState") && replication_is(r, a, true)) {
			rc = 0;
			oc = SK_OUTCOME_ALREADY;
		}
		break;
	}
	case SK_ACTION_STOP_REPLICATION:
		rc = sk_rds_stop_automated_backups_replication(r->o->client, a->region, a->source_arn, &err);
		if (rc < 0 && (!strcmp(err.code, "DBInstanceAutomatedBackupNotFound") ||
			       (!strcmp(err.code, "InvalidDBInstanceState") && replication_is(r, a, false)))) {
			rc = 0;
			oc = SK_OUTCOME_ALREADY;
		}
		break;
	case SK_ACTION_CREATE:
		rc = sk_rds_create_db_snapshot(r->o->client, a->region, a->target, a->instance,
					       a->tags, a->n_tags, NULL, NULL, &err);
		if (rc < 0 && !strcmp(err.code, "DBSnapshotAlreadyExists"))
			rc = settle_exists(r, a, &oc, &unknown);
		break;
	case SK_ACTION_COPY: {
		struct sk_rds_copy cp;
		memset(&cp, 0, sizeof(cp));
		cp.source_region = a->source_region;
		cp.source_arn = a->source_arn;
		cp.target_id = a->target;
		cp.kms_key_id = a->kms_key_id;
		cp.copy_tags = false; /* our tags are explicit; aws: tags are never copied */
		cp.tags = a->tags;
		cp.n_tags = a->n_tags;
		rc = sk_rds_copy_db_snapshot(r->o->client, a->region, &cp, NULL, NULL, &err);
		if (rc < 0 && !strcmp(err.code, "DBSnapshotAlreadyExists")) {
			rc = settle_exists(r, a, &oc, &unknown);
		} else if (rc < 0 && !strcmp(err.code, "SnapshotQuotaExceeded") && strstr(err.message, "copy")) {
			rc = 0;
			oc = SK_OUTCOME_DEFERRED;
			at_limit = true;
			detail = "AWS refused it: the destination region has as many copies in progress as it allows; "
				 "left for the next run";
		}
		break;
	}
	case SK_ACTION_DELETE:
		rc = sk_rds_delete_db_snapshot(r->o->client, a->region, a->target, &err);
		if (rc < 0 && !strcmp(err.code, "DBSnapshotNotFound")) {
			rc = 0;
			oc = SK_OUTCOME_ALREADY;
		}
		break;
	}
	if (rc < 0 && !unknown && maybe_made(&err))
		unknown = true;
	if (rc < 0 && (rc == SK_EINTERRUPTED || sk_error_last()->klass == SK_ERR_INTERRUPTED)) {
		oc = SK_OUTCOME_SKIPPED;
		detail = unknown ? "interrupted after the call was sent; whether it was made is checked by the next run"
				 : "interrupted";
	} else if (rc < 0) {
		oc = SK_OUTCOME_FAILED;
		detail = sk_error_message();
		if (unknown) {
			snprintf(why, sizeof(why), "%s; whether it was made is checked by the next run", detail);
			detail = why;
		}
	}
	if (!detail && err.request_id[0])
		detail = err.request_id;
	/* err carries the RequestId of a successful call too */
	recorded = rc < 0 && unknown ? "unknown" : sk_outcome_name(oc);
	sk_journal_glue_outcome(r->o->journal, intent, a, oc, recorded, &err, rc < 0 ? detail : NULL);
	if (at_limit && r->refused) {
		r->refused[i] = true; /* tried again once a copy in progress there becomes available (run_copies) */
		return;
	}
	finish(r, i, oc, detail);
}

static const char *phase_region(void *ud, size_t k)
{
	struct run *r = ud;
	return r->plan->actions[r->idx[k]].region;
}

static int run_phase(struct run *r, unsigned kinds)
{
	size_t i;

	r->n_idx = 0;
	for (i = 0; i < r->plan->n_actions; i++)
		if ((kinds & (1u << r->plan->actions[i].kind)) && r->res->outcomes[i] == SK_OUTCOME_PENDING)
			r->idx[r->n_idx++] = i;
	return sk_parallel_by_region(r->n_idx, phase_region, r->o->concurrency > 0 ? r->o->concurrency : 4, exec_action,
				     r);
}

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

static void nap_ms(long ms, const struct run *r)
{
	while (ms > 0 && !cancelled(r)) {
		long step = ms > 100 ? 100 : ms;
		struct timespec ts = { 0, step * 1000000L };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* a snapshot waited for: its create's region and index, sorted by region */
struct waited {
	const char *region;
	size_t action;
};

static int cmp_waited(const void *pa, const void *pb)
{
	const struct waited *a = pa, *b = pb;
	int c = strcmp(a->region, b->region);

	return c ? c : (a->action > b->action) - (a->action < b->action);
}

static bool made(enum sk_outcome o)
{
	return o == SK_OUTCOME_DONE || o == SK_OUTCOME_ALREADY;
}

/* polls each region's waiting snapshots once, 100 at a time; how many are still waiting */
static size_t poll_once(struct run *r, const struct waited *wait, size_t n, int *state)
{
	const struct sk_plan *p = r->plan;
	size_t i = 0, waiting = 0;

	while (i < n) {
		const char *region = wait[i].region;
		struct waiter w;
		size_t j = i;

		w.n = 0;
		w.state = state;
		w.available_at = r->res->available_at;
		for (; j < n && !strcmp(wait[j].region, region) && w.n < 100; j++) {
			if (state[wait[j].action] != 0)
				continue;
			w.ids[w.n] = p->actions[wait[j].action].target;
			w.action[w.n++] = wait[j].action;
		}
		if (w.n) {
			struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
			struct sk_rds_filter f = { "db-snapshot-id", w.ids, w.n };
			d.filters = &f;
			d.n_filters = 1;
			if (sk_rds_describe_db_snapshots(r->o->client, region, &d, on_poll, &w, NULL) < 0)
				sk_warn("while waiting for snapshots in %s: %s", region, sk_error_message());
		}
		i = j;
	}
	for (i = 0; i < n; i++)
		waiting += state[wait[i].action] == 0;
	return waiting;
}

/* a line of progress: with JSON logs every line on stderr is a JSON record, so it becomes one */
static void progress_line(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress_line(const struct run *r, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (sk_log_is_json())
		sk_log(SK_LOG_INFO, "%s", line);
	else
		fprintf(r->o->progress, "%s\n", line);
}

/* waits for the snapshots this plan created and its copies depend on */
static void wait_for_creates(struct run *r)
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
		if (!needed[k - 1] && made(r->res->outcomes[k - 1])) {
			needed[k - 1] = true;
			wait[n].region = p->actions[k - 1].region;
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
	while (!cancelled(r)) {
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
			finish(r, i, SK_OUTCOME_SKIPPED, "its source snapshot failed");
		else if (state[k - 1] == 0)
			finish(r, i, SK_OUTCOME_DEFERRED, "its source snapshot is not available yet");
	}
done:
	free(state);
	free(needed);
	free(wait);
}

/* copies whose source this plan creates wait for that create; without --wait they are deferred */
static void settle_copies_of_creates(struct run *r)
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
			finish(r, i, SK_OUTCOME_SKIPPED, "its source snapshot was not created");
		else if (!r->o->wait)
			finish(r, i, SK_OUTCOME_DEFERRED, "--no-wait: copied on a later run");
	}
}

/* ---- copies: at most copies_at_once in progress per destination region ---- */

/* one destination region: its copies in progress, and the plan's copies to start there */
struct dest {
	const char *region;
	size_t limit;       /* copies in progress at once here (lowered when AWS refuses one) */
	const char **watch; /* copies in progress here: the ones arriving before the run, then the ones started */
	size_t n_watch;
	size_t *queue;      /* the copy actions to start here, newest source first */
	size_t n_queue;
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

static const struct sk_region_summary *region_summary(const struct sk_plan *p, const char *region)
{
	size_t i;

	for (i = 0; i < p->n_regions; i++)
		if (!strcmp(p->regions[i].region, region))
			return &p->regions[i];
	return NULL;
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
static int copies_init(struct copies *c, const struct run *r)
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
	}
	for (k = 0; k < c->n; k++) {
		const struct sk_region_summary *rs = region_summary(p, c->d[k].region);
		n_watch += c->d[k].n_queue + (rs ? rs->n_arriving : 0);
	}
	c->watch_mem = calloc(n_watch + 1, sizeof(*c->watch_mem));
	if (!c->watch_mem)
		return sk_error_set_oom();
	/* each destination's queue and watch list in one block each */
	for (k = 0; k < c->n; k++) {
		struct dest *d = &c->d[k];
		const struct sk_region_summary *rs = region_summary(p, d->region);
		d->queue = c->queue_mem + q;
		q += d->n_queue;
		d->watch = c->watch_mem + w;
		w += d->n_queue + (rs ? rs->n_arriving : 0);
		d->n_queue = 0;
		for (i = 0; rs && i < rs->n_arriving; i++)
			d->watch[d->n_watch++] = rs->arriving[i];
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
static size_t to_start(const struct run *r, const struct copies *c, const struct dest *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_queue; i++)
		n += !c->started[d->queue[i]] && r->res->outcomes[d->queue[i]] == SK_OUTCOME_PENDING;
	return n;
}

/* d's copies not started: deferred, saying why */
static void defer_rest(struct run *r, const struct copies *c, const struct dest *d, const char *why)
{
	size_t i;

	for (i = 0; i < d->n_queue; i++)
		if (!c->started[d->queue[i]] && r->res->outcomes[d->queue[i]] == SK_OUTCOME_PENDING)
			finish(r, d->queue[i], SK_OUTCOME_DEFERRED, why);
}

/* starts, side by side, the copies that fit in each destination; then what is in progress there */
static int start_copies(struct run *r, struct copies *c)
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
	rc = sk_parallel_by_region(r->n_idx, phase_region, r->o->concurrency > 0 ? r->o->concurrency : 4, exec_action,
				   r);
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
		} else if (!made(r->res->outcomes[a])) {
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
		if (!strcasecmp(w->ids[i], s->id))
			w->busy[i] = !strcmp(s->status, "creating") || !strcmp(s->status, "pending") ||
				     !strcmp(s->status, "copying");
	return 0;
}

/* polls d's copies in progress, 100 a call: the ones available (or failed, or gone) stop counting */
static void poll_copies(struct run *r, struct dest *d)
{
	bool busy[100];
	size_t at = 0, i, keep;

	while (at < d->n_watch && !cancelled(r)) {
		struct sk_rds_describe_opts o = SK_RDS_DESCRIBE_OPTS_INIT;
		struct sk_rds_filter f = { "db-snapshot-id", d->watch + at, 0 };
		struct watched w = { d->watch + at, 0, busy };
		size_t n = d->n_watch - at < 100 ? d->n_watch - at : 100;
		/* an identifier missing from the answer is gone: not in progress either */
		for (i = 0; i < n; i++)
			busy[i] = false;
		f.n_values = w.n = n;
		o.filters = &f;
		o.n_filters = 1;
		if (sk_rds_describe_db_snapshots(r->o->client, d->region, &o, on_watched, &w, NULL) < 0) {
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

/*
 * The copies, at most the plan's copies_at_once in progress per destination
 * region, counting the ones arriving there before the run.  While apply
 * waits, the next copies start as earlier ones become available (polled
 * with filtered DescribeDBSnapshots, 100 identifiers a call) until all have
 * started or the wait times out; without waiting, or after the timeout,
 * the copies that did not fit are deferred to a later run.
 */
static int run_copies(struct run *r)
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
		if (!left || cancelled(r))
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
		for (k = 0; k < c.n && !cancelled(r); k++)
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

/*
 * The plan decided each group's deletions (policy, instance, region)
 * against the snapshots and copies it was going to make.  When one of
 * those was not made, the group's deletions wait for a run that sees what
 * really exists.
 */
static int hold_deletes_of_unmade(struct run *r)
{
	const struct sk_plan *p = r->plan;
	bool *unmade = calloc(p->n_groups + 1, sizeof(*unmade));
	size_t i;

	if (!unmade)
		return sk_error_set_oom();
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *a = &p->actions[i];
		if ((a->kind == SK_ACTION_CREATE || a->kind == SK_ACTION_COPY) && a->group && a->group <= p->n_groups &&
		    !made(r->res->outcomes[i]))
			unmade[a->group] = true;
	}
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *del = &p->actions[i];
		if (del->kind == SK_ACTION_DELETE && del->group && del->group <= p->n_groups && unmade[del->group] &&
		    r->res->outcomes[i] == SK_OUTCOME_PENDING)
			finish(r, i, SK_OUTCOME_DEFERRED,
			       "left for the next run: the snapshot this deletion made room for was not made");
	}
	free(unmade);
	return 0;
}

int sk_apply(const struct sk_plan *plan, const struct sk_apply_opts *o, struct sk_apply_result *res)
{
	struct run r;
	size_t i;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	res->n = plan->n_actions;
	res->outcomes = calloc(plan->n_actions + 1, sizeof(*res->outcomes));
	res->details = calloc(plan->n_actions + 1, sizeof(*res->details));
	res->available_at = calloc(plan->n_actions + 1, sizeof(*res->available_at));
	r.idx = calloc(plan->n_actions + 1, sizeof(*r.idx));
	r.refused = calloc(plan->n_actions + 1, sizeof(*r.refused));
	if (!res->outcomes || !res->details || !res->available_at || !r.idx || !r.refused) {
		sk_error_set_oom();
		goto done;
	}
	r.plan = plan;
	r.o = o;
	r.res = res;
	pthread_mutex_init(&r.lock, NULL);

	if (run_phase(&r, 1u << SK_ACTION_MODIFY | 1u << SK_ACTION_STOP_REPLICATION) < 0 ||
	    run_phase(&r, 1u << SK_ACTION_START_REPLICATION) < 0 || run_phase(&r, 1u << SK_ACTION_CREATE) < 0)
		goto unlock;
	settle_copies_of_creates(&r);
	if (o->wait && !cancelled(&r))
		wait_for_creates(&r);
	if (run_copies(&r) < 0)
		goto unlock;
	if (hold_deletes_of_unmade(&r) < 0)
		goto unlock;
	if (run_phase(&r, 1u << SK_ACTION_DELETE) < 0)
		goto unlock;
	rc = 0;
unlock:
	pthread_mutex_destroy(&r.lock);
done:
	for (i = 0; res->outcomes && i < plan->n_actions; i++) {
		switch (res->outcomes[i]) {
		case SK_OUTCOME_DONE: res->done++; break;
		case SK_OUTCOME_ALREADY: res->already++; break;
		case SK_OUTCOME_DEFERRED: res->deferred++; break;
		case SK_OUTCOME_FAILED: res->failed++; break;
		case SK_OUTCOME_PENDING:
			res->outcomes[i] = SK_OUTCOME_SKIPPED;
			res->skipped++;
			break;
		case SK_OUTCOME_SKIPPED: res->skipped++; break;
		}
	}
	res->interrupted = o->cancel && *o->cancel;
	free(r.idx);
	free(r.refused);
	return rc;
}

void sk_apply_result_free(struct sk_apply_result *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; res->details && i < res->n; i++)
		free(res->details[i]);
	free(res->details);
	free(res->outcomes);
	free(res->available_at);
	memset(res, 0, sizeof(*res));
}
