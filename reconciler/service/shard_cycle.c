/*
 * shard_cycle.c - a `snapkeep run` cycle over shards (PostgreSQL)
 */
#include "reconciler/service/shard_cycle.h"

#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/engine/reconcile.h"
#include "reconciler/service/metrics.h"
#include "reconciler/service/metrics_http.h"
#include "reconciler/service/shards.h"
#include "specs/policy.h"
#include "state/backend.h"
#include "state/state.h"

/* the backend reachable, or the cycle fails at stage "state" with /healthz saying why */
static int backend_ready(struct sk_shard_cycle *c)
{
	struct sk_backend_opts bo = SK_BACKEND_OPTS_INIT;
	bool lost = false;
	int rc;

	if (!c->backend) {
		bo.spec = c->state_backend;
		bo.state_dir = c->state_dir;
		rc = sk_backend_open(&c->backend, &bo);
	} else {
		rc = sk_backend_check(c->backend, &lost);
	}
	sk_metrics_set(c->metrics, SK_METRIC_BACKEND_UP, NULL, rc < 0 ? 0 : 1);
	if (rc < 0) {
		sk_metrics_server_set_problem(c->server, sk_error_message());
		return -1;
	}
	if (lost)
		sk_warn("%s: the connection was lost and opened again; the shards it held are gone and are taken "
			"again as they come", sk_backend_name(c->backend));
	sk_metrics_server_set_problem(c->server, NULL);
	return 0;
}

/* part's results added to total; part's instances move to total */
static int merge_report(struct sk_reconcile_report *total, struct sk_reconcile_report *part)
{
	size_t cap;

	if (!part->ok && total->ok) {
		total->ok = false;
		total->stage = part->stage;
		memcpy(total->error, part->error, sizeof(total->error));
	}
	total->changes |= part->changes;
	total->interrupted |= part->interrupted;
	if (part->signal)
		total->signal = part->signal;
	total->cancelled |= part->cancelled;
	total->refused |= part->refused;
	total->destructive |= part->destructive;
	total->guardrail_refused += part->guardrail_refused;
	if (part->commit[0]) {
		memcpy(total->commit, part->commit, sizeof(total->commit));
		memcpy(total->subject, part->subject, sizeof(total->subject));
	}
	total->planned.create += part->planned.create;
	total->planned.change += part->planned.change;
	total->planned.remove += part->planned.remove;
	total->planned.suspended += part->planned.suspended;
	total->created += part->created;
	total->copied += part->copied;
	total->changed += part->changed;
	total->deleted += part->deleted;
	total->failed += part->failed;
	total->deferred += part->deferred;
	total->skipped += part->skipped;
	total->pending += part->pending;
	if (!part->n_instances)
		return 0;
	cap = total->n_instances; /* the report keeps no capacity */
	if (sk_array_reserve(&total->instances, &cap, total->n_instances + part->n_instances, sizeof(*total->instances)) < 0)
		return -1;
	memcpy(total->instances + total->n_instances, part->instances, part->n_instances * sizeof(*total->instances));
	total->n_instances += part->n_instances;
	free(part->instances); /* the copies arrays now belong to total */
	part->instances = NULL;
	part->n_instances = 0;
	return 0;
}

/*
 * Did some replica reconcile the shard less than half an interval ago, and
 * well?  Then this one gives it back: N replicas reconcile each shard about
 * once an interval between them, not N times.  A shard whose last holder
 * died (stale) is always reconciled: its journal waits to be resolved.
 */
static bool shard_fresh(struct sk_shard_cycle *c, const struct sk_shard *sh, int64_t *ago)
{
	struct sk_state *st = NULL;
	bool fresh = false;
	int64_t now = sk_time_now();

	if (c->once || sk_backend_state_load(&st, c->backend, sh->key) < 0) {
		sk_state_free(st);
		return false;
	}
	if (st->last_run.finished_at > 0 && (!strcmp(st->last_run.outcome, "success") ||
					     !strcmp(st->last_run.outcome, "no-changes"))) {
		*ago = now - st->last_run.finished_at;
		fresh = *ago >= 0 && *ago * 1000 < c->interval_ms / 2;
	}
	sk_state_free(st);
	return fresh;
}

static void shard_metric(struct sk_shard_cycle *c, const char *family, const struct sk_shard *sh, const char *outcome,
			 double v)
{
	const char *labels[] = { sh->account, sh->region, outcome };

	if (!strcmp(family, SK_METRIC_SHARD_HELD))
		sk_metrics_set(c->metrics, family, labels, v);
	else
		sk_metrics_add(c->metrics, family, labels, v);
}

/* one shard this replica holds: reconciled alone, then its drills that are due */
static int reconcile_one(struct sk_shard_cycle *c, const struct sk_reconcile_opts *o, const struct sk_shard *sh,
			 struct sk_reconcile_report *total)
{
	struct sk_reconcile_opts so = *o;
	struct sk_reconcile_report part;
	int rc;

	so.shard_account = sh->account;
	so.shard_region = sh->region;
	so.backend = c->backend;
	so.shard = sh->key;
	rc = sk_reconcile(&part, &so);
	if (rc == 0 && so.apply && c->after && !(o->cancel && *o->cancel))
		c->after(c->ud, &so);
	if (merge_report(total, &part) < 0)
		rc = -1;
	sk_reconcile_report_free(&part);
	return rc;
}

int sk_shard_cycle_run(struct sk_reconcile_report *rep, struct sk_shard_cycle *c, const struct sk_reconcile_opts *o)
{
	struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
	struct sk_policyset *set = NULL;
	struct sk_shard *v = NULL;
	size_t n = 0, i, taken = 0, skipped = 0, fresh = 0;
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	rep->ok = true;
	rep->started = sk_time_now();
	rep->stage = "state";
	if (backend_ready(c) < 0)
		goto fail;
	rep->stage = "fetch";
	if (sk_load_policies(&set, &o->source) < 0) {
		if (set) {
			sk_strlcpy(rep->commit, set->commit, sizeof(rep->commit));
			if (o->cb.diags)
				o->cb.diags(o->cb.ud, set);
		}
		goto fail;
	}
	sk_strlcpy(rep->commit, set->commit, sizeof(rep->commit));
	sk_strlcpy(rep->subject, set->subject ? set->subject : "", sizeof(rep->subject));
	if (sk_shards_list(&v, &n, set, o->regions, o->n_regions, o->accounts, o->n_accounts) < 0)
		goto fail;
	sk_shards_rotate(v, n, c->replica);
	sk_metrics_clear(c->metrics, SK_METRIC_SHARD_HELD);
	lo.command = "run";
	lo.run_id = c->replica;
	for (i = 0; i < n && !(o->cancel && *o->cancel); i++) {
		const struct sk_shard *sh = &v[i];
		struct sk_lock_holder stale;
		bool held = false;
		int64_t ago = 0;

		memset(&stale, 0, sizeof(stale));
		if (sk_backend_shard_trylock(&held, &stale, c->backend, sh->account, sh->region, &lo) < 0) {
			rep->stage = "lock";
			sk_metrics_set(c->metrics, SK_METRIC_BACKEND_UP, NULL, 0);
			sk_metrics_server_set_problem(c->server, sk_error_message());
			goto fail;
		}
		if (!held) {
			skipped++;
			shard_metric(c, SK_METRIC_SHARDS_SKIPPED, sh, NULL, 1);
			sk_debug("shard %s is held by another replica: skipped this cycle", sh->name);
			continue;
		}
		if (!stale.known && shard_fresh(c, sh, &ago)) {
			fresh++;
			shard_metric(c, SK_METRIC_SHARD_CYCLES, sh, "fresh", 1);
			sk_debug("shard %s was reconciled %llds ago: given back", sh->name, (long long)ago);
			sk_backend_shard_unlock(c->backend, sh->account, sh->region);
			continue;
		}
		taken++;
		shard_metric(c, SK_METRIC_SHARD_HELD, sh, NULL, 1);
		if (stale.known) {
			char who[512];
			sk_lock_holder_describe(who, sizeof(who), &stale);
			sk_warn("took shard %s from a holder that died: %s; its journal is resolved against live state",
				sh->name, who);
		}
		sk_info("took shard %s (replica %s)", sh->name, c->replica);
		if (reconcile_one(c, o, sh, rep) < 0) {
			shard_metric(c, SK_METRIC_SHARD_CYCLES, sh, "failure", 1);
			sk_log(SK_LOG_ERROR, "shard %s failed: %s", sh->name, sk_error_message());
		} else {
			shard_metric(c, SK_METRIC_SHARD_CYCLES, sh, "success", 1);
		}
		/* a lost connection already gave it back; the next cycle finds out (backend_ready) */
		if (sk_backend_shard_unlock(c->backend, sh->account, sh->region) < 0)
			sk_warn("giving back shard %s: %s", sh->name, sk_error_message());
		shard_metric(c, SK_METRIC_SHARD_HELD, sh, NULL, 0);
		sk_info("released shard %s (replica %s)", sh->name, c->replica);
	}
	sk_info("shards: %zu reconciled, %zu held by other replicas, %zu reconciled lately by some replica (of %zu)",
		taken, skipped, fresh, n);
	if (o->cancel && *o->cancel && i < n) {
		rep->interrupted = true;
		rep->signal = *o->cancel;
		rep->ok = false;
	}
	rc = rep->ok ? 0 : -1;
	if (rep->ok)
		rep->stage = "done";
	else if (!rep->error[0])
		sk_strlcpy(rep->error, "interrupted", sizeof(rep->error));
	goto done;
fail:
	rep->ok = false;
	sk_strlcpy(rep->error, sk_error_message(), sizeof(rep->error));
	if (o->cancel && *o->cancel) {
		rep->interrupted = true;
		rep->signal = *o->cancel;
	}
done:
	rep->finished = sk_time_now();
	if (!rep->ok && rep->error[0])
		sk_error_set(SK_ERR_STATE, "%s", rep->error);
	free(v);
	sk_policyset_free(set);
	return rc;
}

void sk_shard_cycle_close(struct sk_shard_cycle *c)
{
	sk_backend_close(c->backend);
	c->backend = NULL;
}
