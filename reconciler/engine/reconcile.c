/*
 * reconcile.c - one reconciliation under the state directory's lock
 */
#include "reconciler/engine/reconcile.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/utf8.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/engine/apply.h"
#include "reconciler/engine/budget.h"
#include "reconciler/engine/previous.h"
#include "reconciler/engine/drill.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/diff.h"
#include "reconciler/planner/ondemand.h"
#include "reconciler/planner/render.h"
#include "reconciler/engine/journal_glue.h"
#include "reconciler/engine/saved.h"
#include "reconciler/engine/session.h"
#include "specs/policy.h"
#include "state/backend.h"
#include "state/journal.h"
#include "state/lock.h"
#include "state/planfile.h"
#include "state/state.h"
#include "state/statedir.h"

/* whole UTF-8 characters only (a commit subject is any bytes): the state file is JSON */
static void copy_text(char *dst, size_t len, const char *src)
{
	sk_utf8_copy(dst, len, src);
}

/* lines of a that are not in b ("+" or "-" in front), at most max */
static void basis_diff(struct sk_buf *out, const char *a, const char *b, char mark, size_t max, size_t *shown)
{
	const char *p = a ? a : "";

	while (*p && *shown < max) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *q = b ? b : "";
		bool found = false;
		while (*q) {
			const char *qn = strchr(q, '\n');
			size_t ql = qn ? (size_t)(qn - q) : strlen(q);
			if (ql == len && !memcmp(p, q, len)) {
				found = true;
				break;
			}
			q = qn ? qn + 1 : q + ql;
		}
		if (!found) {
			sk_buf_printf(out, "\n  %c %.*s", mark, (int)len, p);
			(*shown)++;
		}
		p = nl ? nl + 1 : p + len;
	}
}

/* a saved plan applies only to the commit, accounts and live state it was made from */
static int check_saved_plan(const struct sk_plan *saved, const struct sk_plan *fresh, const char *file,
			    const struct sk_planfile_origin *origin)
{
	struct sk_buf why = SK_BUF_INIT;
	size_t shown = 0;
	int rc;

	if (strcmp(saved->commit, fresh->commit))
		return sk_error_set(SK_ERR_PLAN,
				    "saved plan '%s' was made from policy commit %.12s, but the policies are now at "
				    "%.12s; make a new plan",
				    file, saved->commit, fresh->commit);
	if (saved->signer.format[0] &&
	    (strcmp(saved->signer.format, fresh->signer.format) || strcmp(saved->signer.key, fresh->signer.key))) {
		char was[512], now[512];
		sk_signer_describe(was, sizeof(was), &saved->signer);
		sk_signer_describe(now, sizeof(now), &fresh->signer);
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s' was made from a commit signed by %s, but its signature "
						 "now verifies as %s%s; make a new plan", file, was, now,
				    fresh->signer.format[0] ? "" : " (no --require-signed-commits)");
	}
	if (sk_saved_check_accounts(origin, file, saved, fresh) < 0)
		return -1;
	if (!saved->fingerprint[0])
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s' records no fingerprint of live state", file);
	if (!strcmp(saved->fingerprint, fresh->fingerprint))
		return 0;
	basis_diff(&why, saved->basis, fresh->basis, '-', 20, &shown);
	basis_diff(&why, fresh->basis, saved->basis, '+', 20, &shown);
	rc = sk_error_set(SK_ERR_PLAN, "live state changed since saved plan '%s' was made; make a new plan:%s%s", file,
			  why.len ? " (- as planned, + now)" : "", why.len ? sk_buf_cstr(&why) : " (the fingerprint differs)");
	sk_buf_free(&why);
	return rc;
}

/*
 * The saved plan's actions, as its file lists them, must be exactly the
 * ones made again from its commit and live state: an edited action (a
 * delete added, a target swapped, a value changed) is refused, whatever
 * the file's fingerprint says.
 */
static int check_saved_actions(const json_t *saved, const struct sk_plan *fresh, const char *file)
{
	size_t i, n = json_array_size(saved);
	int rc = 0;

	if (!json_is_array(saved))
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s' lists no actions", file);
	for (i = 0; i < n || i < fresh->n_actions; i++) {
		json_t *mine = i < fresh->n_actions ? sk_action_to_json(&fresh->actions[i]) : NULL;
		const json_t *theirs = json_array_get(saved, i);
		if (i < fresh->n_actions && !mine)
			return sk_error_set_oom();
		if (!mine || !theirs || !json_equal(mine, (json_t *)theirs)) {
			const json_t *show = theirs ? theirs : mine;
			rc = sk_error_set(SK_ERR_PLAN,
					  "saved plan '%s' does not match the plan its commit and live state make: action %zu "
					  "(%s %s in %s) %s; it was changed after it was saved, make a new plan",
					  file, i + 1, json_string_value(json_object_get(show, "action")),
					  json_string_value(json_object_get(show, "target")),
					  json_string_value(json_object_get(show, "region")),
					  !theirs ? "is missing from the file" : !mine ? "is not in the plan" : "differs");
			json_decref(mine);
			break;
		}
		json_decref(mine);
	}
	return rc;
}

static void set_place(struct sk_reconcile_place *rp, const struct sk_plan_place *pp)
{
	copy_text(rp->region, sizeof(rp->region), pp->region);
	rp->owned = pp->kept;
	copy_text(rp->newest, sizeof(rp->newest), pp->newest);
	rp->newest_time = pp->newest ? pp->newest_time : 0;
}

/*
 * The plan's summary of each managed instance, with what apply made: a
 * snapshot or copy made counts as owned, and a create seen available while
 * apply waited is the newest.
 */
static int summarize_instances(struct sk_reconcile_report *rep, const struct sk_plan *plan,
			       const struct sk_apply_result *res)
{
	size_t i, k;

	if (!plan->n_instances)
		return 0;
	rep->instances = calloc(plan->n_instances, sizeof(*rep->instances));
	if (!rep->instances)
		return sk_error_set_oom();
	for (i = 0; i < plan->n_instances; i++) {
		const struct sk_plan_instance *pi = &plan->instances[i];
		struct sk_reconcile_instance *ri = &rep->instances[rep->n_instances++];
		copy_text(ri->account, sizeof(ri->account), pi->account ? pi->account : "");
		copy_text(ri->instance, sizeof(ri->instance), pi->instance);
		copy_text(ri->policy, sizeof(ri->policy), pi->policy);
		ri->automated_only = pi->automated_only;
		set_place(&ri->own, &pi->own);
		if (pi->n_copies && !(ri->copies = calloc(pi->n_copies, sizeof(*ri->copies))))
			return sk_error_set_oom();
		for (k = 0; k < pi->n_copies; k++)
			set_place(&ri->copies[ri->n_copies++], &pi->copies[k]);
	}
	for (i = 0; res && i < plan->n_actions; i++) {
		const struct sk_action *a = &plan->actions[i];
		const struct sk_plan_instance *pi = NULL;
		const struct sk_plan_place *pp;
		struct sk_reconcile_place *rp;
		size_t at;
		if ((a->kind != SK_ACTION_CREATE && a->kind != SK_ACTION_COPY) ||
		    (res->outcomes[i] != SK_OUTCOME_DONE && res->outcomes[i] != SK_OUTCOME_ALREADY) ||
		    !(pp = sk_plan_group_place(plan, a->group, &pi)))
			continue;
		at = (size_t)(pi - plan->instances);
		rp = pp == &pi->own ? &rep->instances[at].own : &rep->instances[at].copies[pp - pi->copies];
		rp->owned++;
		if (res->available_at[i] && res->available_at[i] >= rp->newest_time) {
			copy_text(rp->newest, sizeof(rp->newest), a->target);
			rp->newest_time = res->available_at[i];
		}
	}
	return 0;
}

static void record_state(struct sk_state *st, const struct sk_reconcile_report *rep, const struct sk_reconcile_opts *o,
			 const char *run_id, const char *ref, const struct sk_apply_result *res, bool refused)
{
	struct sk_state_run *r = &st->last_run;
	size_t i;

	memset(r, 0, sizeof(*r));
	copy_text(r->command, sizeof(r->command), o->command);
	copy_text(r->run_id, sizeof(r->run_id), run_id);
	copy_text(r->commit, sizeof(r->commit), rep->commit);
	r->started_at = rep->started;
	r->finished_at = rep->finished;
	copy_text(r->outcome, sizeof(r->outcome),
		  rep->interrupted ? "interrupted"
		  : refused	  ? "refused"
		  : rep->partial  ? "partial"
		  : !rep->ok	  ? "failed"
		  : !rep->changes ? "no-changes"
		  : !o->apply	  ? "drift"
				  : "success");
	r->summary.actions = rep->planned.create + rep->planned.change + rep->planned.remove;
	if (res) {
		r->summary.done = res->done;
		r->summary.already = res->already;
		r->summary.deferred = res->deferred;
		r->summary.failed = res->failed;
		r->summary.skipped = res->skipped;
	}
	copy_text(r->error, sizeof(r->error), rep->error);
	if (rep->ok && !rep->destructive && (o->apply || !rep->changes) && rep->commit[0]) {
		copy_text(st->last_applied.commit, sizeof(st->last_applied.commit), rep->commit);
		copy_text(st->last_applied.subject, sizeof(st->last_applied.subject), rep->subject);
		copy_text(st->last_applied.ref, sizeof(st->last_applied.ref), ref ? ref : "HEAD");
		st->last_applied.at = rep->finished;
	}
	for (i = 0; i < rep->n_instances; i++) {
		const struct sk_reconcile_instance *ri = &rep->instances[i];
		const struct sk_reconcile_place *newest_copy = NULL;
		struct sk_state_instance *si;
		size_t k, owned = ri->own.owned;
		/* the state file is about the snapshots snapkeep owns */
		if (ri->automated_only || sk_state_instance_in(&si, st, ri->account, ri->own.region, ri->instance, true) < 0)
			continue;
		for (k = 0; k < ri->n_copies; k++) {
			owned += ri->copies[k].owned;
			if (ri->copies[k].newest[0] && (!newest_copy || ri->copies[k].newest_time > newest_copy->newest_time))
				newest_copy = &ri->copies[k];
		}
		copy_text(si->policy, sizeof(si->policy), ri->policy);
		/* an instance whose snapshots are all gone keeps the last newest it had */
		if (ri->own.newest[0]) {
			copy_text(si->newest_snapshot, sizeof(si->newest_snapshot), ri->own.newest);
			si->newest_snapshot_time = ri->own.newest_time;
		}
		if (newest_copy) {
			copy_text(si->newest_copy, sizeof(si->newest_copy), newest_copy->newest);
			copy_text(si->newest_copy_region, sizeof(si->newest_copy_region), newest_copy->region);
			si->newest_copy_time = newest_copy->newest_time;
		}
		si->owned_snapshots = owned;
		copy_text(si->last_outcome, sizeof(si->last_outcome), rep->ok ? (rep->changes ? "changed" : "ok") : "failed");
		if (rep->changes && o->apply)
			si->last_change = rep->finished;
	}
}

static void count_outcomes(struct sk_reconcile_report *rep, const struct sk_plan *plan,
			   const struct sk_apply_result *res)
{
	size_t i;

	for (i = 0; i < plan->n_actions; i++) {
		enum sk_outcome o = res->outcomes[i];
		if (o == SK_OUTCOME_DONE || o == SK_OUTCOME_ALREADY) {
			switch (plan->actions[i].kind) {
			case SK_ACTION_CREATE: rep->created++; break;
			case SK_ACTION_COPY: rep->copied++; break;
			case SK_ACTION_DELETE: rep->deleted++; break;
			default: rep->changed++; break;
			}
		}
	}
	rep->failed = res->failed;
	rep->deferred = res->deferred;
	rep->skipped = res->skipped;
	rep->pending = res->failed + res->deferred + res->skipped;
}

/* an allowed destructive plan: who allowed which warnings, at which commit, before any call */
static int journal_allowed(struct sk_journal *j, const char *run_id, const struct sk_plan *plan)
{
	json_t *f = json_object(), *kinds = json_array(), *warnings = json_array();
	unsigned seen = 0;
	char user[256];
	size_t i;
	int rc;

	for (i = 0; f && kinds && warnings && i < plan->n_warnings; i++) {
		const struct sk_warning *w = &plan->warnings[i];
		if (!(seen & (1u << w->kind)))
			json_array_append_new(kinds, json_string(sk_warning_kind_name(w->kind)));
		seen |= 1u << w->kind;
		json_array_append_new(warnings, json_pack("{s:s, s:s}", "kind", sk_warning_kind_name(w->kind), "message",
							  w->message));
	}
	if (!f || !kinds || !warnings) {
		json_decref(f);
		json_decref(kinds);
		json_decref(warnings);
		return sk_error_set_oom();
	}
	json_object_set_new(f, "runId", json_string(run_id));
	json_object_set_new(f, "commit", plan->commit[0] ? json_string(plan->commit) : json_null());
	json_object_set_new(f, "user", json_string(sk_previous_user(user, sizeof(user))));
	json_object_set_new(f, "kinds", kinds);
	json_object_set_new(f, "warnings", warnings);
	rc = j ? sk_journal_append(NULL, 0, j, "allow-destructive", f, true) : 0;
	json_decref(f);
	return rc;
}

/*
 * The intents earlier runs left open; a shard's alone when reconciling one
 * (other shards' may be in flight in another replica)
 */
static int resolve_intents(const struct sk_reconcile_opts *o, struct sk_journal *journal, const struct sk_inventory *inv,
			   const char *run_id, struct sk_journal_glue_counts *counts)
{
	if (o->shard_region)
		return sk_journal_glue_resolve_shard(journal, inv, run_id, o->shard_region, counts);
	return sk_journal_glue_resolve(journal, inv, run_id, counts);
}

static bool cancelled(const struct sk_reconcile_opts *o)
{
	return o->cancel && *o->cancel;
}

/* --account picks among Settings' accounts: an error when Settings lists none, said before anything is observed */
static int check_accounts(const struct sk_reconcile_opts *o, const struct sk_policyset *set)
{
	if (!set->settings.n_accounts && o->n_accounts)
		return sk_error_set(SK_ERR_INVALID, "--account '%s': Settings lists no accounts (the run is the caller's "
						    "own account)", o->accounts[0]);
	return 0;
}

/* the accounts not observed, as the run's error: the rest was planned (and applied) */
static void partial_error(struct sk_reconcile_report *rep, const struct sk_plan *plan)
{
	struct sk_buf b = SK_BUF_INIT;
	size_t i;

	rep->unobserved = plan->n_unobserved;
	if (!plan->n_unobserved)
		return;
	sk_buf_printf(&b, "%zu account%s not observed, nothing planned or applied there:", plan->n_unobserved,
		      plan->n_unobserved == 1 ? "" : "s");
	for (i = 0; i < plan->n_unobserved; i++)
		sk_buf_printf(&b, "%s %s (%s)", i ? ";" : "", plan->unobserved[i].account, plan->unobserved[i].error);
	if (!rep->error[0])
		copy_text(rep->error, sizeof(rep->error), sk_buf_cstr(&b));
	sk_buf_free(&b);
	rep->partial = rep->ok;
	rep->ok = false;
}

int sk_reconcile(struct sk_reconcile_report *rep, const struct sk_reconcile_opts *o)
{
	const struct sk_reconcile_callbacks *cb = &o->cb;
	struct sk_backend *opened = NULL, *backend = o->backend;
	struct sk_backend_opts bo = SK_BACKEND_OPTS_INIT;
	char run_id[SK_JOURNAL_ID_MAX] = "";
	struct sk_backend_lock *lock = NULL;
	bool locked = false;
	struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
	char shard[160] = "";
	struct sk_state *st = NULL;
	struct sk_journal *journal = NULL;
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_plan *plan = NULL, *saved = NULL;
	const struct sk_plan *todo = NULL, *shown = NULL; /* todo is applied; shown is what people saw */
	struct sk_apply_result res;
	struct sk_apply_opts ao = SK_APPLY_OPTS_INIT;
	struct sk_load_observe_opts oo = SK_LOAD_OBSERVE_OPTS_INIT;
	struct sk_plan_opts po = SK_PLAN_OPTS_INIT;
	struct sk_plan_deletion *deletions = NULL;
	struct sk_policyset *previous = NULL;
	struct sk_journal_glue_counts rc_counts;
	json_t *saved_json = NULL;
	struct sk_planfile_origin read_origin;
	const struct sk_planfile_origin *origin = NULL;
	struct sk_saved_how how;
	const char *const *regions = o->shard_region ? &o->shard_region : o->regions;
	size_t n_regions = o->shard_region ? 1 : o->n_regions;
	/* a shard of one of Settings' accounts: that account alone */
	bool one_account = o->shard_region && o->shard_account && *o->shard_account;
	const char *const *accounts = one_account ? &o->shard_account : o->accounts;
	size_t n_accounts = one_account ? 1 : o->n_accounts;
	struct sk_accounts accts;
	bool multi = false;
	int parallel;
	bool applied = false;
	size_t n_drill_left = 0;
	int rc_load;

	memset(rep, 0, sizeof(*rep));
	memset(&res, 0, sizeof(res));
	memset(&read_origin, 0, sizeof(read_origin));
	memset(&accts, 0, sizeof(accts));
	rep->started = sk_time_now();

	/* an unusable state directory or database is reported before anything else happens */
	rep->stage = "state";
	bo.spec = o->source.state_backend;
	bo.state_dir = o->source.state_dir;
	if ((!backend && sk_backend_open(&opened, &bo) < 0) || sk_journal_new_run_id(run_id) < 0)
		goto fail;
	if (!backend)
		backend = opened;
	lo.command = o->command;
	lo.run_id = run_id;
	lo.timeout = o->lock_timeout;
	lo.cancel = o->cancel;
	rep->stage = "lock";
	/* a shard's lock is the caller's: it excludes the whole-state lock */
	if (o->shard)
		snprintf(shard, sizeof(shard), "%s", o->shard);
	else if (o->shard_region)
		snprintf(shard, sizeof(shard), "%s/%s", o->shard_account ? o->shard_account : "", o->shard_region);
	if (!shard[0]) {
		if (sk_backend_lock(&lock, backend, &lo) < 0)
			goto fail;
		if (sk_backend_lock_stale_holder(lock)) {
			char who[768];
			sk_lock_holder_describe(who, sizeof(who), sk_backend_lock_stale_holder(lock));
			sk_warn("the previous run did not finish: %s; its journal is resolved against live state", who);
		}
	}
	locked = true; /* the whole state, or the caller's shard */
	rep->stage = "state";
	if (sk_backend_state_load(&st, backend, shard[0] ? shard : NULL) < 0 ||
	    sk_backend_journal_open(&journal, backend) < 0)
		goto fail;
	rep->stage = "fetch";

	if (o->plan_file) {
		if (o->saved_plan) {
			saved_json = json_incref((json_t *)o->saved_plan);
			origin = o->saved_origin;
		} else if (sk_planfile_read(&saved_json, &read_origin, o->plan_file) < 0) {
			goto fail;
		} else {
			origin = &read_origin;
		}
		if (sk_plan_from_json(&saved, saved_json) < 0) {
			sk_error_prefix("saved plan '%s'", o->plan_file);
			goto fail;
		}
		if (!saved->commit[0]) {
			sk_error_set(SK_ERR_PLAN, "saved plan '%s' records no policy commit; make a new plan", o->plan_file);
			goto fail;
		}
		/* it is made again as it was made: the same source, regions and options */
		how.source = &o->source;
		how.regions = regions;
		how.n_regions = n_regions;
		how.allow_mass_delete = o->allow_mass_delete;
		how.aws = o->session ? o->session->config : NULL;
		how.accounts = accounts;
		how.n_accounts = n_accounts;
		if (origin && origin->present && origin->commit && strcmp(origin->commit, saved->commit)) {
			sk_error_set(SK_ERR_PLAN,
				     "saved plan '%s' names commit %.12s in its origin but %.12s in its plan: it was "
				     "changed after it was saved; make a new plan",
				     o->plan_file, origin->commit, saved->commit);
			rep->refused = true;
			goto fail;
		}
		if (sk_saved_check(origin, o->plan_file, &how) < 0) {
			rep->refused = sk_error_last()->klass == SK_ERR_INVALID;
			goto fail;
		}
	}
	/* an invalid commit is still named in the state file and the alerts */
	rc_load = sk_load_policies(&set, &o->source);
	if (set) {
		copy_text(rep->commit, sizeof(rep->commit), set->commit);
		copy_text(rep->subject, sizeof(rep->subject), set->subject);
	}
	if (rc_load < 0) {
		if (set && cb->diags)
			cb->diags(cb->ud, set);
		/* a commit no allowed key signed: nothing is planned, and the run says it refused */
		if (sk_error_last()->klass == SK_ERR_SIGNATURE) {
			rep->stage = "verify";
			rep->refused = true;
		}
		goto fail;
	}
	rep->stage = "observe";
	if (!o->session || !o->session->client) {
		sk_error_set(SK_ERR_INVALID, "reconciling needs an AWS session");
		goto fail;
	}
	if (check_accounts(o, set) < 0)
		goto fail;
	multi = set->settings.n_accounts > 0;
	parallel = o->parallel > 0 ? o->parallel : set->settings.parallel;
	oo.regions = regions;
	oo.n_regions = n_regions;
	oo.shard = o->shard_region != NULL;
	oo.now = o->now ? o->now : sk_time_now();
	oo.progress = o->progress_tty ? o->progress : NULL;
	if (multi ? sk_accounts_open(&accts, o->session, set, accounts, n_accounts) < 0 ||
			    sk_accounts_observe(&accts, &oo, parallel) < 0
		  : sk_load_observe(&inv, o->session->client, set, &oo, NULL) < 0)
		goto fail;
	if (saved && sk_saved_check_account(origin, o->plan_file, inv) < 0) {
		rep->refused = true;
		goto fail;
	}
	rep->stage = "plan";
	memset(&rc_counts, 0, sizeof(rc_counts));
	for (size_t k = 0; o->apply && k < accts.n; k++) {
		/* each account's intents against its own inventory; a crashed drill's instances likewise */
		struct sk_account_run *r = &accts.v[k];
		struct sk_journal_glue_counts one;
		if (!r->observed)
			continue;
		if (resolve_intents(o, journal, r->inv, run_id, &one) < 0)
			goto fail;
		rc_counts.completed += one.completed;
		rc_counts.not_made += one.not_made;
		rc_counts.unknown += one.unknown;
		if (sk_drill_cleanup(&n_drill_left, r->client, r->inv, journal, run_id, NULL, NULL) < 0)
			sk_warn("account %s: some drill instances left by interrupted drills could not be deleted",
				r->target->id);
	}
	if (o->apply) {
		if (!multi && resolve_intents(o, journal, inv, run_id, &rc_counts) < 0)
			goto fail;
		if (rc_counts.completed + rc_counts.not_made + rc_counts.unknown)
			sk_info("resolved %zu interrupted call%s of an earlier run: %zu completed, %zu not made, %zu unknown",
				rc_counts.completed + rc_counts.not_made + rc_counts.unknown,
				rc_counts.completed + rc_counts.not_made + rc_counts.unknown == 1 ? "" : "s",
				rc_counts.completed, rc_counts.not_made, rc_counts.unknown);
		/* drill instances a crashed drill left: ours, and costly; a failed delete is retried next run */
		if (!multi && sk_drill_cleanup(&n_drill_left, o->session->client, inv, journal, run_id, NULL, NULL) < 0)
			sk_warn("some drill instances left by interrupted drills could not be deleted");
	}
	/* a saved plan is made again as it was made: at its time, from the live state it recorded */
	po.now = saved ? saved->now : o->now ? o->now : sk_time_now();
	po.regions = regions;
	po.n_regions = n_regions;
	po.shard = o->shard_region != NULL;
	po.allow_mass_delete = o->allow_mass_delete;
	po.basis = saved != NULL;
	po.guardrails = o->guardrails;
	if (sk_budget_deletions(&deletions, &po.n_deletions, st) < 0)
		goto fail;
	po.deletions = deletions;
	sk_previous_load(&previous, &o->source, st->last_applied.commit, set);
	po.previous = previous;
	if (o->backup ? (multi ? sk_accounts_backup(&plan, &accts, set, o->backup, po.now)
			       : sk_plan_backup(&plan, set, inv, o->backup, po.now)) < 0
	    : (multi ? sk_accounts_plan(&plan, &accts, set, &po) : sk_plan_compute(&plan, set, inv, &po)) < 0)
		goto fail;
	rep->guardrail_refused = plan->n_refused;
	rep->destructive = sk_previous_unallowed(plan, o->apply ? o->allow_destructive : 0) != 0;
	if (saved && (check_saved_plan(saved, plan, o->plan_file, origin) < 0 ||
		      check_saved_actions(json_object_get(saved_json, "actions"), plan, o->plan_file) < 0)) {
		rep->refused = true;
		goto fail;
	}
	/* what apply executes is always the plan made here, with its dependencies: never the file's */
	todo = plan;
	shown = saved ? saved : plan;
	sk_plan_count(todo, &rep->planned);
	rep->changes = sk_plan_has_changes(todo);
	rep->pending = todo->n_actions;
	if (multi && cb->planned_accounts)
		cb->planned_accounts(cb->ud, &accts);
	if (cb->planned)
		cb->planned(cb->ud, set, inv, plan, shown);
	if (o->apply && rep->destructive) {
		sk_previous_refuse(plan, sk_previous_unallowed(plan, o->allow_destructive));
		rep->refused = true;
		goto fail;
	}
	if (o->apply && plan->n_warnings && journal_allowed(journal, run_id, plan) < 0)
		goto fail;
	if (!rep->changes || !o->apply) {
		rep->ok = true;
		partial_error(rep, plan);
		goto record;
	}
	if (cb->confirm && !saved) {
		int yes = cb->confirm(cb->ud, shown);
		if (yes < 0)
			goto fail;
		if (yes == 0) {
			rep->cancelled = true;
			copy_text(rep->error, sizeof(rep->error), "apply cancelled");
			goto record;
		}
	}
	if (cb->applying)
		cb->applying(cb->ud, shown);
	rep->stage = "apply";
	ao.client = o->session->client;
	ao.journal = journal;
	ao.run_id = run_id;
	ao.concurrency = o->concurrency ? o->concurrency : set->settings.concurrency;
	ao.wait = o->wait;
	ao.cancel = o->cancel;
	ao.progress = o->progress;
	ao.progress_tty = o->progress_tty;
	ao.on_outcome = cb->outcome;
	ao.on_outcome_ud = cb->ud;
	ao.inv = inv;
	ao.set = set;
	ao.guardrails = o->guardrails;
	if (multi ? sk_accounts_apply(todo, &accts, &ao, parallel, &res) < 0 : sk_apply(todo, &ao, &res) < 0)
		goto fail;
	applied = true;
	if (saved && saved->fingerprint[0] && sk_backend_plan_mark_applied(backend, saved->fingerprint, run_id) < 0) {
		sk_warn("the saved plan was not marked applied: %s", sk_error_message());
		sk_error_clear();
	}
	if (sk_budget_record(st, todo, &res, po.now, o->guardrails) < 0)
		goto fail;
	count_outcomes(rep, todo, &res);
	rep->interrupted = res.interrupted;
	if (res.interrupted)
		rep->signal = o->cancel ? *o->cancel : 0;
	rep->ok = !res.failed && !res.interrupted;
	if (!rep->ok) {
		size_t i;
		for (i = 0; i < todo->n_actions; i++)
			if (res.outcomes[i] == SK_OUTCOME_FAILED) {
				snprintf(rep->error, sizeof(rep->error), "%s %s (%s): %s",
					 sk_action_kind_name(todo->actions[i].kind), todo->actions[i].target,
					 todo->actions[i].region, res.details[i] ? res.details[i] : "failed");
				break;
			}
		if (!rep->error[0])
			copy_text(rep->error, sizeof(rep->error), "interrupted");
	}
	partial_error(rep, plan);
	if (cb->applied)
		cb->applied(cb->ud, shown, &res, rep);
	goto record;

fail:
	copy_text(rep->error, sizeof(rep->error), sk_error_message());
	rep->ok = false;
	if (sk_error_last()->klass == SK_ERR_INTERRUPTED || cancelled(o)) {
		rep->interrupted = true;
		rep->signal = o->cancel ? *o->cancel : 0;
	}
record:
	if (rep->ok)
		rep->stage = "done";
	rep->finished = sk_time_now();
	if (todo)
		summarize_instances(rep, todo, applied ? &res : NULL);
	if (st && locked) {
		struct sk_error keep = *sk_error_last();
		record_state(st, rep, o, run_id, o->source.ref, applied ? &res : NULL, rep->refused);
		if (sk_backend_state_save(st, backend, shard[0] ? shard : NULL) < 0) {
			sk_warn("%s", sk_error_message());
			if (rep->ok) {
				rep->stage = "record";
				rep->ok = false;
				copy_text(rep->error, sizeof(rep->error), sk_error_message());
			}
		} else {
			sk_error_set(keep.klass, "%s", keep.message);
		}
	}
	if (!rep->ok && rep->error[0])
		sk_error_set(sk_error_last()->klass ? sk_error_last()->klass : SK_ERR_PLAN, "%s", rep->error);
	sk_apply_result_free(&res);
	free(deletions);
	sk_policyset_free(previous);
	sk_plan_free(plan);
	sk_plan_free(saved);
	json_decref(saved_json);
	sk_planfile_origin_free(&read_origin);
	sk_inventory_free(inv);
	sk_accounts_close(&accts);
	sk_policyset_free(set);
	sk_journal_close(journal);
	sk_state_free(st);
	sk_backend_unlock(lock);
	sk_backend_close(opened);
	return rep->ok ? 0 : -1;
}

void sk_reconcile_report_free(struct sk_reconcile_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_instances; i++)
		free(r->instances[i].copies);
	free(r->instances);
	r->instances = NULL;
	r->n_instances = 0;
}
