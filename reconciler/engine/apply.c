/*
 * apply.c - execute a plan's actions against AWS: its steps in order
 *
 * Instance changes, replication stops then starts, creates; then what the
 * copies wait for and the copies themselves (apply_copies.c); then the
 * deletes, but not those of a group whose create or copy was not made.
 * Each action runs in apply_action.c.
 */
#include "reconciler/engine/apply.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "reconciler/engine/apply_action.h"
#include "common/log.h"
#include "reconciler/engine/apply_copies.h"
#include "reconciler/engine/journal_glue.h"

static const char *const outcome_names[] = { "pending", "done",	"already-done", "deferred",
					     "failed",	"skipped", "suspended" };

const char *sk_outcome_name(enum sk_outcome o)
{
	return (size_t)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o] : "unknown";
}

static int run_phase(struct sk_apply_run *r, unsigned kinds)
{
	size_t i;

	r->n_idx = 0;
	for (i = 0; i < r->plan->n_actions; i++)
		if ((kinds & (1u << r->plan->actions[i].kind)) && r->res->outcomes[i] == SK_OUTCOME_PENDING)
			r->idx[r->n_idx++] = i;
	return sk_apply_actions(r);
}

/* a suspended policy's actions: recorded as such in the journal and the log, never called */
static void hold_suspended(struct sk_apply_run *r)
{
	const struct sk_plan *p = r->plan;
	char intent[64];
	size_t i;

	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *a = &p->actions[i];
		const char *why = "its policy is suspended (spec.suspend: true): no call was made";

		if (!a->suspended)
			continue;
		if (sk_journal_glue_intent(r->o->journal, r->o->run_id, p, a, intent, sizeof(intent)) < 0)
			sk_warn("%s", sk_error_message());
		else
			sk_journal_glue_outcome(r->o->journal, intent, a, SK_OUTCOME_SUSPENDED,
						sk_outcome_name(SK_OUTCOME_SUSPENDED), NULL, why);
		sk_apply_finish(r, i, SK_OUTCOME_SUSPENDED, why);
	}
}

/*
 * The plan decided each group's deletions (policy, instance, region)
 * against the snapshots and copies it was going to make.  When one of
 * those was not made, the group's deletions wait for a run that sees what
 * really exists.
 */
static int hold_deletes_of_unmade(struct sk_apply_run *r)
{
	const struct sk_plan *p = r->plan;
	bool *unmade = calloc(p->n_groups + 1, sizeof(*unmade));
	size_t i;

	if (!unmade)
		return sk_error_set_oom();
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *a = &p->actions[i];
		if ((a->kind == SK_ACTION_CREATE || a->kind == SK_ACTION_COPY) && a->group && a->group <= p->n_groups &&
		    !sk_apply_made(r->res->outcomes[i]))
			unmade[a->group] = true;
	}
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *del = &p->actions[i];
		if (del->kind == SK_ACTION_DELETE && del->group && del->group <= p->n_groups && unmade[del->group] &&
		    r->res->outcomes[i] == SK_OUTCOME_PENDING)
			sk_apply_finish(r, i, SK_OUTCOME_DEFERRED,
					"left for the next run: the snapshot this deletion made room for was not made");
	}
	free(unmade);
	return 0;
}

int sk_apply(const struct sk_plan *plan, const struct sk_apply_opts *o, struct sk_apply_result *res)
{
	struct sk_apply_run r;
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
	hold_suspended(&r);

	if (run_phase(&r, 1u << SK_ACTION_MODIFY | 1u << SK_ACTION_STOP_REPLICATION) < 0 ||
	    run_phase(&r, 1u << SK_ACTION_START_REPLICATION) < 0 || run_phase(&r, 1u << SK_ACTION_CREATE) < 0)
		goto unlock;
	sk_apply_settle_copies_of_creates(&r);
	if (o->wait && !sk_apply_cancelled(&r))
		sk_apply_wait_for_creates(&r);
	if (sk_apply_copies(&r) < 0)
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
		case SK_OUTCOME_SUSPENDED: res->suspended++; break;
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
