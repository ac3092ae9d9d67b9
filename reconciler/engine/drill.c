/*
 * drill.c - restore drills: pick a backup, restore it into a throw-away
 * instance, wait, query, measure, delete, record
 *
 * The delete is the one thing a drill never skips: after the restore call
 * succeeded, every path (failed checks, a wait that timed out, a signal)
 * goes through delete_drill_instance().  The client the drill deletes with
 * must not be the one a signal cancels (cmd_drill.c opens its session
 * without the cancel flag); the wait and the checks stop on the signal.
 */
#include "reconciler/engine/drill.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/rds.h"
#include "aws/sns.h"
#include "common/array.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/engine/instance_wait.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/naming.h"
#include "reconciler/planner/ownership.h"
#include "specs/policy.h"
#include "state/backend.h"
#include "state/journal.h"
#include "state/lock.h"
#include "state/state.h"
#include "state/statedir.h"

#define CONNECT_TIMEOUT 10
#define LEFTOVER_GONE_TIMEOUT 1800

struct drill_ctx {
	const struct sk_drill_opts *o;
	struct sk_aws_client *c;     /* the account's: restores, waits, deletes */
	struct sk_aws_client *sns;   /* the session's own: alerts go where the loop's go */
	const char *account;         /* one of Settings' accounts; NULL: the caller's own */
	const struct sk_policyset *set;
	const struct sk_inventory *inv;
	struct sk_journal *journal;
	struct sk_state *st;
	struct sk_backend *backend;
	const char *run_id;
	int64_t now;
};

static void emit(const struct sk_drill_opts *o, enum sk_drill_event_kind kind, const struct sk_drill_result *r,
		 const char *status, int64_t elapsed_ms, const char *message)
{
	struct sk_drill_event ev = { .kind = kind, .r = r, .status = status, .elapsed_ms = elapsed_ms,
				     .message = message };

	if (o && o->on_event)
		o->on_event(o->ud, &ev);
}

static bool cancelled(const struct sk_drill_opts *o)
{
	return o->cancel && *o->cancel;
}

static void fail(struct sk_drill_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* the first failure is the drill's error; later ones are added after "; " */
static void fail(struct sk_drill_result *r, const char *fmt, ...)
{
	size_t n = strlen(r->error);
	va_list ap;

	r->passed = false;
	if (n && n + 2 < sizeof(r->error)) {
		memcpy(r->error + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->error + n, sizeof(r->error) - n, fmt, ap);
	va_end(ap);
}

static void copy(char *dst, size_t len, const char *src)
{
	sk_strlcpy(dst, src ? src : "", len);
}

/* ---- leftovers ---- */

static void journal_cleanup(struct sk_journal *j, const char *account, const struct sk_inv_instance *in, const char *of,
			    const char *result, const char *detail, const char *run_id)
{
	json_t *f;

	if (!j)
		return;
	f = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s?, s:s?, s:s?}", "action", "drill-cleanup", "region",
		      in->region, "target", in->id, "instance", of, "policy",
		      sk_tag_get(in->tags, in->n_tags, SK_TAG_POLICY), "result", result, "detail", detail, "runId", run_id,
		      "account", account);
	if (!f || sk_journal_append(NULL, 0, j, "drill-cleanup", f, true) < 0)
		sk_warn("cannot journal the deletion of drill instance '%s': %s", in->id,
			f ? sk_error_message() : "out of memory");
	json_decref(f);
}

/* the call's error is "it is gone or going": nothing left to delete */
static bool already_gone(const struct sk_aws_error *err)
{
	return !strcmp(err->code, "DBInstanceNotFound") || !strcmp(err->code, "DBInstanceNotFoundFault") ||
	       (!strcmp(err->code, "InvalidDBInstanceState") && strstr(err->message, "deleting"));
}

int sk_drill_cleanup(size_t *deleted, struct sk_aws_client *c, const struct sk_inventory *inv, struct sk_journal *j,
		     const char *run_id, sk_drill_event_cb on_event, void *ud)
{
	struct sk_drill_opts eo = SK_DRILL_OPTS_INIT;
	int rc = 0;

	eo.on_event = on_event;
	eo.ud = ud;
	*deleted = 0;
	for (size_t i = 0; inv && i < inv->n_instances; i++) {
		const struct sk_inv_instance *in = &inv->instances[i];
		const char *of = sk_tags_drill_of(in->tags, in->n_tags);
		struct sk_aws_error err;
		char where[128];

		if (!of || (in->status && !strcmp(in->status, "deleting")))
			continue;
		snprintf(where, sizeof(where), "%s/%s", in->region, in->id);
		emit(&eo, SK_DRILL_EV_CLEANUP, NULL, in->status, 0, where);
		memset(&err, 0, sizeof(err));
		if (sk_rds_delete_db_instance(c, in->region, in->id, true, NULL, true, &err) < 0 && !already_gone(&err)) {
			sk_warn("cannot delete drill instance '%s' in %s left by an earlier drill: %s", in->id, in->region,
				sk_error_message());
			journal_cleanup(j, inv->account, in, of, "failed", sk_error_message(), run_id);
			rc = -1;
			continue;
		}
		sk_info("deleted drill instance '%s' in %s, left by an interrupted drill of '%s'", in->id, in->region, of);
		journal_cleanup(j, inv->account, in, of, "done", "left by an interrupted drill", run_id);
		(*deleted)++;
	}
	return rc;
}

/* ---- choosing what a drill restores ---- */

static const struct sk_inv_snapshot *newest_owned(const struct sk_inventory *inv, const struct sk_policy *p,
						  const struct sk_inv_instance *in)
{
	const struct sk_inv_snapshot *best = NULL;
	size_t b, e;

	sk_inventory_snapshot_range(inv, in->region, in->id, &b, &e);
	for (size_t k = b; k < e; k++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[k];

		if (s->status != SK_SNAP_AVAILABLE || !sk_snapshot_owned_by(s, p->name, in->id))
			continue;
		if (!best || s->created > best->created)
			best = s;
	}
	return best;
}

static bool wanted(const struct sk_drill_opts *o, const struct sk_policy *p, const struct sk_inv_instance *in)
{
	bool any = o->n_instances == 0, region = o->n_regions == 0;

	if (o->policy && strcmp(o->policy, p->name))
		return false;
	for (size_t i = 0; i < o->n_instances && !any; i++)
		any = !strcmp(o->instances[i], in->id);
	for (size_t i = 0; i < o->n_regions && !region; i++)
		region = !strcmp(o->regions[i], in->region);
	return any && region;
}

/* the loop: has the schedule fired since the last drill?  Never drilled: due. */
static bool due(const struct drill_ctx *x, const struct sk_policy *p, const struct sk_inv_instance *in)
{
	const struct sk_state_drill *d = sk_state_last_drill(x->st, x->account, in->region, in->id);
	int64_t next;

	if (!x->o->only_due || !d)
		return true;
	next = sk_cron_next(&p->drill.schedule, d->at);
	return next >= 0 && next <= x->now;
}

/* ---- one drill ---- */

struct wait_ud {
	struct drill_ctx *x;
	struct sk_drill_result *r;
	char address[256];
	int port;
};

static void on_poll(void *ud, const struct sk_instance_poll *p)
{
	struct wait_ud *w = ud;

	if (p->inst) {
		if (p->inst->endpoint_address)
			copy(w->address, sizeof(w->address), p->inst->endpoint_address);
		if (p->inst->endpoint_port)
			w->port = p->inst->endpoint_port;
		if (p->inst->allocated_gib)
			w->r->restored_gib = p->inst->allocated_gib;
	}
	emit(w->x->o, SK_DRILL_EV_WAIT, w->r, p->status, p->elapsed_ms, NULL);
}

static int restore(struct drill_ctx *x, const struct sk_policy *p, const struct sk_inv_instance *in,
		   struct sk_drill_result *r)
{
	struct sk_aws_tag tags[3] = { { SK_TAG_DRILL, in->id }, { SK_TAG_POLICY, p->name },
				      { SK_TAG_SOURCE, r->point_in_time ? "point-in-time" : r->source } };
	struct sk_rds_restore rr;
	struct sk_aws_error err;
	char when[SK_TIME_RFC3339_MAX];
	int rc;

	memset(&rr, 0, sizeof(rr));
	memset(&err, 0, sizeof(err));
	rr.instance_id = r->drill_instance;
	rr.instance_class = p->drill.instance_class;
	rr.tags = tags;
	rr.n_tags = 3;
	if (r->point_in_time) {
		rr.source_instance = in->id;
		rr.restore_time = p->drill.lag ? r->source_time : 0;
		rc = sk_rds_restore_to_point_in_time(x->c, in->region, &rr, NULL, NULL, &err);
	} else {
		rr.snapshot_id = r->source;
		rc = sk_rds_restore_from_snapshot(x->c, in->region, &rr, NULL, NULL, &err);
	}
	if (rc < 0) {
		if (r->point_in_time)
			sk_time_format_rfc3339(when, r->source_time);
		fail(r, "restoring %s%s into '%s' failed: %s", r->point_in_time ? "the point in time " : "snapshot ",
		     r->point_in_time ? (r->source_time ? when : "latest") : r->source, r->drill_instance,
		     sk_error_message());
		/* a drill instance of that name is there already: it is ours to delete */
		return !strcmp(err.code, "DBInstanceAlreadyExists") ? 1 : -1;
	}
	return 0;
}

/* every check failed with one message (the password could not be read) */
static int fail_checks(struct sk_drill_result *r, const struct sk_policy_drill *d, const char *why)
{
	for (size_t i = 0; i < d->n_checks; i++) {
		r->checks[i].rpo = -1;
		if (!(r->checks[i].name = sk_strdup(d->checks[i].name)) || !(r->checks[i].message = sk_strdup(why)))
			return sk_error_set_oom();
	}
	return 0;
}

static void run_checks(struct drill_ctx *x, const struct sk_policy_drill *d, const struct wait_ud *w,
		       struct sk_drill_result *r)
{
	struct sk_drill_conn conn = SK_DRILL_CONN_INIT;
	char *password = NULL;
	int n;

	if (!r->checks)
		return; /* out of memory, said by run_one */
	r->checks_ran = true;
	if (sk_drill_password(&password, d) < 0) {
		char why[600];

		snprintf(why, sizeof(why), "%s", sk_error_message());
		if (fail_checks(r, d, why) < 0)
			fail(r, "out of memory");
		return;
	}
	conn.host = w->address[0] ? w->address : NULL;
	conn.port = w->port ? w->port : 5432;
	conn.database = d->database;
	conn.user = d->user;
	conn.password = password;
	conn.connect_timeout = CONNECT_TIMEOUT;
	conn.statement_timeout = d->statement_timeout;
	n = sk_drill_sql_run(r->checks, &conn, d->checks, d->n_checks, r->source_time ? r->source_time : x->now);
	sk_str_cleanse_free(password);
	if (n < 0)
		fail(r, "%s", sk_error_message());
}

/* the drill's verdict from its checks: the first failed one names the failure */
static void judge(struct sk_drill_result *r)
{
	size_t failed = 0;
	const struct sk_drill_check_result *first = NULL;

	for (size_t i = 0; i < r->n_checks; i++) {
		const struct sk_drill_check_result *c = &r->checks[i];

		if (c->passed)
			r->n_passed++;
		else if (!failed++)
			first = c;
		if (c->rpo > r->rpo)
			r->rpo = c->rpo;
	}
	if (first)
		fail(r, "check '%s' failed: %s%s", first->name, first->message ? first->message : "",
		     failed > 1 ? " (and more checks failed)" : "");
}

static void delete_drill_instance(struct drill_ctx *x, struct sk_drill_result *r)
{
	struct sk_aws_error err;

	emit(x->o, SK_DRILL_EV_DELETE, r, NULL, 0, NULL);
	memset(&err, 0, sizeof(err));
	if (sk_rds_delete_db_instance(x->c, r->region, r->drill_instance, true, NULL, true, &err) < 0 &&
	    !already_gone(&err)) {
		fail(r, "the drill instance '%s' could not be deleted (the next drill, apply or run deletes it): %s",
		     r->drill_instance, sk_error_message());
		return;
	}
	r->deleted = true;
}

/* "passed: 3/3 checks, RTO 4m12s, RPO 1h05m" (history's detail, the alert's first line) */
static void summary_line(char *out, size_t len, const struct sk_drill_result *r)
{
	char rto[32], rpo[32];

	sk_drill_format_seconds(rto, r->rto_ms >= 0 ? r->rto_ms / 1000 : -1);
	sk_drill_format_seconds(rpo, r->rpo);
	if (r->passed)
		snprintf(out, len, "%zu/%zu checks passed, RTO %s, RPO %s", r->n_passed, r->n_checks, rto, rpo);
	else
		snprintf(out, len, "%s", r->error);
}

json_t *sk_drill_result_json(const struct sk_drill_result *r)
{
	json_t *checks = json_array(), *o;
	char detail[1100];

	for (size_t i = 0; checks && i < r->n_checks; i++) {
		const struct sk_drill_check_result *c = &r->checks[i];
		json_t *cj = json_pack("{s:s, s:b, s:s?, s:I}", "name", c->name ? c->name : "", "passed", c->passed,
				       "message", c->message, "ms", (json_int_t)c->ms);

		if (cj && c->rpo >= 0)
			json_object_set_new(cj, "rpoSeconds", json_integer(c->rpo));
		json_array_append_new(checks, cj);
	}
	summary_line(detail, sizeof(detail), r);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:i, s:i, s:b, s:o}", "action",
		      "drill", "region", r->region, "target", r->drill_instance, "instance", r->instance, "policy",
		      r->policy, "result", r->passed ? "passed" : "failed", "detail", detail, "source",
		      r->point_in_time ? "point-in-time" : r->source, "sourceTime", sk_json_time(r->source_time),
		      "rtoSeconds", r->rto_ms >= 0 ? json_integer(r->rto_ms / 1000) : json_null(), "restoreSeconds",
		      r->restore_ms >= 0 ? json_integer(r->restore_ms / 1000) : json_null(), "rpoSeconds",
		      r->rpo >= 0 ? json_integer(r->rpo) : json_null(), "sourceGiB", r->source_gib, "restoredGiB",
		      r->restored_gib, "deleted", r->deleted, "checks", checks ? checks : json_array());
	/* only over several accounts: one account's records are as they were */
	if (o && r->account[0])
		json_object_set_new(o, "account", json_string(r->account));
	return o;
}

static void record_journal(struct drill_ctx *x, const struct sk_drill_result *r)
{
	json_t *f = sk_drill_result_json(r);

	if (f && x->run_id)
		json_object_set_new(f, "runId", json_string(x->run_id));
	if (!f || sk_journal_append(NULL, 0, x->journal, "drill", f, true) < 0)
		sk_warn("cannot journal the drill of '%s': %s", r->instance, f ? sk_error_message() : "out of memory");
	json_decref(f);
}

static void record_state(struct drill_ctx *x, const struct sk_drill_result *r)
{
	struct sk_state_instance *si;
	struct sk_state_drill *d;

	if (!x->st || sk_state_instance_in(&si, x->st, x->account, r->region, r->instance, true) < 0) {
		sk_warn("cannot record the drill of '%s' in the state: %s", r->instance, sk_error_message());
		return;
	}
	if (!si->policy[0])
		copy(si->policy, sizeof(si->policy), r->policy);
	d = &si->last_drill;
	memset(d, 0, sizeof(*d));
	d->at = r->finished;
	copy(d->outcome, sizeof(d->outcome), r->passed ? "passed" : "failed");
	copy(d->policy, sizeof(d->policy), r->policy);
	copy(d->source, sizeof(d->source), r->source);
	d->source_time = r->source_time;
	d->rto_seconds = r->rto_ms >= 0 ? (uint64_t)(r->rto_ms / 1000) : 0;
	d->rpo_seconds = r->rpo;
	d->checks = r->n_checks;
	d->checks_passed = r->n_passed;
	copy(d->error, sizeof(d->error), r->error);
	if (sk_backend_state_save(x->st, x->backend, NULL) < 0)
		sk_warn("cannot save the drill of '%s' in the state: %s", r->instance, sk_error_message());
}

static void notify(struct drill_ctx *x, const struct sk_policy *p, const struct sk_drill_result *r)
{
	const char *topic = p->sns_topic_arn ? p->sns_topic_arn : x->set->settings.sns_topic_arn;
	struct sk_buf body = SK_BUF_INIT;
	struct sk_aws_error err;
	char subject[101], when[SK_TIME_RFC3339_MAX], rto[32];

	if (r->passed || !topic || !x->o->notify)
		return;
	snprintf(subject, sizeof(subject), "snapkeep: restore drill of %.40s failed", r->instance);
	sk_time_format_rfc3339(when, r->source_time);
	sk_drill_format_seconds(rto, r->rto_ms >= 0 ? r->rto_ms / 1000 : -1);
	sk_buf_printf(&body,
		      "The restore drill of instance '%s' (%s%s%s, policy '%s') failed: %s\n\n"
		      "Restored: %s%s%s (%s) into '%s'; RTO %s; the drill instance was %sdeleted.\n",
		      r->instance, r->region, r->account[0] ? ", account " : "", r->account, r->policy, r->error,
		      r->point_in_time ? "point in time" : "snapshot ",
		      r->point_in_time ? "" : r->source, "", r->source_time ? when : "latest", r->drill_instance, rto,
		      r->deleted ? "" : "NOT ");
	for (size_t i = 0; i < r->n_checks; i++)
		sk_buf_printf(&body, "  %s  %s: %s\n", r->checks[i].passed ? "ok    " : "FAILED", r->checks[i].name,
			      r->checks[i].message ? r->checks[i].message : "");
	memset(&err, 0, sizeof(err));
	if (sk_sns_publish(x->sns, topic, subject, sk_buf_cstr(&body), NULL, 0, &err) < 0)
		sk_warn("cannot send the drill alert to %s: %s", topic, sk_error_message());
	sk_buf_free(&body);
}

static void run_one(struct drill_ctx *x, const struct sk_policy *p, const struct sk_inv_instance *in,
		    struct sk_drill_result *r)
{
	const struct sk_policy_drill *d = &p->drill;
	struct sk_instance_wait_opts wo = SK_INSTANCE_WAIT_OPTS_INIT;
	struct sk_instance_wait_result wr;
	struct wait_ud w;
	int64_t t0, left;
	int rc;

	memset(&w, 0, sizeof(w));
	w.x = x;
	w.r = r;
	copy(r->account, sizeof(r->account), x->account);
	copy(r->policy, sizeof(r->policy), p->name);
	copy(r->region, sizeof(r->region), in->region);
	copy(r->instance, sizeof(r->instance), in->id);
	r->rto_ms = r->restore_ms = r->rpo = -1;
	r->started = sk_time_now();
	r->passed = true;
	r->point_in_time = d->point_in_time;
	if (sk_naming_drill_instance(r->drill_instance, in->id) < 0) {
		fail(r, "%s", sk_error_message());
		r->deleted = true;
		goto record;
	}
	if (d->point_in_time) {
		r->source_time = d->lag ? x->now - d->lag : in->latest_restorable;
		r->source_gib = in->allocated_gib;
	} else {
		const struct sk_inv_snapshot *s = newest_owned(x->inv, p, in);

		if (!s) {
			fail(r, "no available snapshot of '%s' owned by policy '%s' in %s to restore", in->id, p->name,
			     in->region);
			r->deleted = true;
			goto record;
		}
		copy(r->source, sizeof(r->source), s->id);
		r->source_time = s->created;
		r->source_gib = (int)s->allocated_gib;
	}
	emit(x->o, SK_DRILL_EV_START, r, NULL, 0, NULL);
	/* a drill instance of this name that a crash left is being deleted: it must be gone first */
	if (sk_inventory_find_instance(x->inv, in->region, r->drill_instance)) {
		wo.timeout = LEFTOVER_GONE_TIMEOUT;
		wo.cancel = x->o->cancel;
		wo.poll_ms = x->o->poll_ms;
		if (sk_instance_wait(NULL, x->c, in->region, r->drill_instance, SK_INSTANCE_WANT_DELETED, &wo) < 0) {
			fail(r, "the drill instance '%s' of an earlier drill is still there: %s", r->drill_instance,
			     sk_error_message());
			r->interrupted = cancelled(x->o);
			r->deleted = false;
			goto record;
		}
	}
	t0 = sk_time_mono_ms();
	rc = restore(x, p, in, r);
	if (rc < 0) {
		r->deleted = true; /* nothing was made */
		goto record;
	}
	if (rc > 0)
		goto cleanup;
	/* the drill's time limit counts from the restore request */
	left = d->timeout - (sk_time_mono_ms() - t0) / 1000;
	wo = (struct sk_instance_wait_opts)SK_INSTANCE_WAIT_OPTS_INIT;
	wo.timeout = left > 0 ? (int)left : 1;
	wo.poll_ms = x->o->poll_ms;
	wo.cancel = x->o->cancel;
	wo.on_poll = on_poll;
	wo.ud = &w;
	if (sk_instance_wait(&wr, x->c, in->region, r->drill_instance, SK_INSTANCE_WANT_AVAILABLE, &wo) < 0) {
		r->interrupted = cancelled(x->o);
		if (r->interrupted)
			fail(r, "interrupted by signal %d while '%s' was being restored", (int)*x->o->cancel,
			     r->drill_instance);
		else if (wr.end == SK_INSTANCE_WAIT_TIMEOUT)
			fail(r, "the drill's timeout (%llds, drill.timeout) ran out while '%s' was being restored (it is %s)",
			     (long long)d->timeout, r->drill_instance, wr.status[0] ? wr.status : "not listed");
		else
			fail(r, "%s", sk_error_message());
		goto cleanup;
	}
	r->restore_ms = sk_time_mono_ms() - t0;
	if (!(r->checks = calloc(d->n_checks ? d->n_checks : 1, sizeof(*r->checks)))) {
		fail(r, "out of memory");
		goto cleanup;
	}
	r->n_checks = d->n_checks;
	emit(x->o, SK_DRILL_EV_CHECKS, r, "available", r->restore_ms, NULL);
	run_checks(x, d, &w, r);
	r->rto_ms = sk_time_mono_ms() - t0;
	judge(r);
	if (cancelled(x->o) && !r->interrupted) {
		r->interrupted = true;
		fail(r, "interrupted by signal %d", (int)*x->o->cancel);
	}
cleanup:
	delete_drill_instance(x, r);
record:
	r->finished = sk_time_now();
	record_journal(x, r);
	record_state(x, r);
	notify(x, p, r);
	emit(x->o, SK_DRILL_EV_DONE, r, NULL, 0, NULL);
}

/* ---- the run ---- */

/* the drills of x's account (its policies, its inventory); *any_drill: some policy there has one */
static int drill_all(struct sk_drill_report *rep, struct drill_ctx *x, bool *any_drill)
{
	const struct sk_policyset *set = x->set;

	for (size_t pi = 0; pi < set->n_policies; pi++) {
		const struct sk_policy *p = &set->policies[pi];

		if (!p->has_drill || (x->o->policy && strcmp(x->o->policy, p->name)))
			continue;
		*any_drill = true;
		for (size_t i = 0; i < x->inv->n_instances; i++) {
			const struct sk_inv_instance *in = &x->inv->instances[i];
			struct sk_drill_result *r;

			if (!sk_policy_selects_instance(p, in) || !wanted(x->o, p, in))
				continue;
			rep->selected++;
			if (!due(x, p, in))
				continue;
			if (cancelled(x->o)) {
				rep->interrupted = true;
				return -1;
			}
			if (!(r = SK_ARRAY_PUSH(rep->results, rep->n_results, rep->cap_results)))
				return sk_error_set_oom();
			memset(r, 0, sizeof(*r));
			run_one(x, p, in, r);
			if (r->passed)
				rep->passed++;
			else
				rep->failed++;
			if (r->interrupted) {
				rep->interrupted = true;
				return -1;
			}
		}
	}
	return 0;
}

/* after every account: --policy, --instance or the policies chose nothing, said */
static int chose_nothing(const struct sk_drill_report *rep, const struct sk_drill_opts *o, bool any_drill)
{
	if (o->policy && !any_drill)
		return sk_error_set(SK_ERR_INVALID, "policy '%s' has no drill (or does not exist)", o->policy);
	if (!o->only_due && rep->selected == 0) {
		if (o->n_instances)
			return sk_error_set(SK_ERR_INVALID, "instance '%s' is not selected by a policy with a drill%s",
					    o->instances[0], o->n_regions ? " in the regions asked for" : "");
		if (!any_drill)
			return sk_error_set(SK_ERR_INVALID, "no policy has a drill (add a 'drill:' block, see specs/README.md)");
		return sk_error_set(SK_ERR_INVALID, "the policies with a drill select no instance that was observed");
	}
	return 0;
}

/*
 * Several accounts (Settings' accounts): each observed with its role, its
 * leftovers cleaned and its drills run with its own client, policies and
 * inventory; one that cannot be observed is counted and named in
 * rep->error, and the others go on.
 */
static int drill_accounts(struct sk_drill_report *rep, struct drill_ctx *x, const struct sk_load_observe_opts *oo,
			  bool *any_drill)
{
	const struct sk_drill_opts *o = x->o;
	const struct sk_policyset *set = x->set;
	struct sk_accounts accts;
	struct sk_buf why = SK_BUF_INIT;
	int rc = -1;

	memset(&accts, 0, sizeof(accts));
	if (sk_accounts_open(&accts, o->session, set, o->accounts, o->n_accounts) < 0 ||
	    sk_accounts_observe(&accts, oo, set->settings.parallel) < 0)
		goto done;
	for (size_t i = 0; i < accts.n; i++) {
		struct sk_account_run *run = &accts.v[i];
		size_t cleaned = 0;

		if (!run->observed) {
			sk_buf_printf(&why, "%s%s (%s)", rep->unobserved++ ? "; " : "", run->target->id, run->error);
			continue;
		}
		x->c = run->client;
		x->set = &run->set;
		x->inv = run->inv;
		x->account = run->target->id;
		if (sk_drill_cleanup(&cleaned, x->c, x->inv, x->journal, x->run_id, o->on_event, o->ud) < 0)
			sk_warn("account %s: some drill instances left by earlier drills could not be deleted; the next run "
				"tries again", run->target->id);
		rep->cleaned += cleaned;
		if (drill_all(rep, x, any_drill) < 0)
			goto done;
	}
	rc = 0;
done:
	if (rep->unobserved)
		snprintf(rep->error, sizeof(rep->error), "%zu account%s not observed, nothing drilled there: %s",
			 rep->unobserved, rep->unobserved == 1 ? "" : "s", sk_buf_cstr(&why));
	/* the runs' clients, policies and inventories go with them */
	x->c = NULL;
	x->set = set;
	x->inv = NULL;
	x->account = NULL;
	sk_accounts_close(&accts);
	sk_buf_free(&why);
	return rc;
}

int sk_drill(struct sk_drill_report *rep, const struct sk_drill_opts *o)
{
	struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
	struct sk_load_observe_opts oo = SK_LOAD_OBSERVE_OPTS_INIT;
	struct sk_backend_lock *lock = NULL;
	struct sk_backend_opts bo = SK_BACKEND_OPTS_INIT;
	struct sk_backend *backend = NULL;
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = NULL;
	struct drill_ctx x;
	char run_id[SK_JOURNAL_ID_MAX] = "";
	bool any_drill = false;
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&x, 0, sizeof(x));
	if (!o->session || !o->session->client) {
		sk_error_set(SK_ERR_INVALID, "a drill needs an AWS session");
		goto done;
	}
	bo.spec = o->source.state_backend;
	bo.state_dir = o->source.state_dir;
	if (sk_backend_open(&backend, &bo) < 0 || sk_journal_new_run_id(run_id) < 0)
		goto done;
	lo.command = o->command ? o->command : "drill";
	lo.run_id = run_id;
	lo.timeout = o->lock_timeout;
	lo.cancel = o->cancel;
	if (sk_backend_lock(&lock, backend, &lo) < 0)
		goto done;
	x.o = o;
	x.c = x.sns = o->session->client;
	x.backend = backend;
	x.run_id = run_id;
	x.now = o->now ? o->now : sk_time_now();
	if (sk_backend_state_load(&x.st, backend, NULL) < 0 || sk_backend_journal_open(&x.journal, backend) < 0)
		goto done;
	if (sk_load_policies(&set, &o->source) < 0)
		goto done;
	x.set = set;
	oo.regions = o->regions;
	oo.n_regions = o->n_regions;
	oo.now = x.now;
	if (set->settings.n_accounts) {
		if (drill_accounts(rep, &x, &oo, &any_drill) < 0)
			goto done;
	} else {
		if (o->n_accounts) {
			sk_error_set(SK_ERR_INVALID, "--account '%s': Settings lists no accounts (drills are in the "
						     "caller's own account)", o->accounts[0]);
			goto done;
		}
		if (sk_load_observe(&inv, x.c, set, &oo, NULL) < 0)
			goto done;
		x.inv = inv;
		if (sk_drill_cleanup(&rep->cleaned, x.c, inv, x.journal, run_id, o->on_event, o->ud) < 0)
			sk_warn("some drill instances left by earlier drills could not be deleted; the next run tries again");
		if (drill_all(rep, &x, &any_drill) < 0)
			goto done;
	}
	/* nothing chosen where every account that could have had it was not observed: that is the error */
	rc = rep->unobserved && !rep->selected ? -1 : chose_nothing(rep, o, any_drill);
	if (rc == 0 && (rep->failed || rep->unobserved))
		rc = -1;
done:
	if (rc < 0 && !rep->failed && !rep->error[0])
		copy(rep->error, sizeof(rep->error), rep->interrupted ? "interrupted" : sk_error_message());
	sk_inventory_free(inv);
	sk_policyset_free(set);
	sk_journal_close(x.journal);
	sk_state_free(x.st);
	sk_backend_unlock(lock);
	sk_backend_close(backend);
	return rc;
}

void sk_drill_report_free(struct sk_drill_report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; i < rep->n_results; i++) {
		for (size_t k = 0; k < rep->results[i].n_checks; k++)
			sk_drill_check_result_clear(&rep->results[i].checks[k]);
		free(rep->results[i].checks);
	}
	free(rep->results);
	memset(rep, 0, sizeof(*rep));
}
