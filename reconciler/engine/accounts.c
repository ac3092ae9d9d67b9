/*
 * accounts.c - several AWS accounts in one run
 */
#include "reconciler/engine/accounts.h"

#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "common/error.h"
#include "common/log.h"
#include "common/utf8.h"
#include "reconciler/engine/budget.h"
#include "reconciler/engine/iam.h"
#include "reconciler/engine/parallel.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/diff.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/ondemand.h"
#include "reconciler/planner/ownership.h"

int sk_accounts_narrow(struct sk_policyset *view, struct sk_policy **policies, const struct sk_policyset *set,
		       const char *account)
{
	size_t i;

	*view = *set;
	*policies = NULL;
	view->policies = NULL;
	view->n_policies = 0;
	if (!set->n_policies)
		return 0;
	if (!(*policies = calloc(set->n_policies, sizeof(**policies))))
		return sk_error_set_oom();
	for (i = 0; i < set->n_policies; i++)
		if (sk_policy_in_account(&set->policies[i], account))
			(*policies)[view->n_policies++] = set->policies[i];
	view->policies = *policies;
	return 0;
}

int sk_accounts_open(struct sk_accounts *out, struct sk_session *s, const struct sk_policyset *set,
		     const char *const *only, size_t n_only)
{
	const struct sk_settings *st = &set->settings;
	size_t i, k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < n_only; k++)
		if (!sk_settings_account(st, only[k]))
			return sk_error_set(SK_ERR_INVALID, "account '%s' is not one of Settings' accounts", only[k]);
	if (!st->n_accounts)
		return 0;
	if (!(out->v = calloc(st->n_accounts, sizeof(*out->v))))
		return sk_error_set_oom();
	for (i = 0; i < st->n_accounts; i++) {
		const struct sk_settings_account *t = &st->accounts[i];
		struct sk_account_run *r = &out->v[out->n];
		bool wanted = n_only == 0;

		for (k = 0; k < n_only && !wanted; k++)
			wanted = !strcmp(only[k], t->id);
		if (!wanted)
			continue;
		memset(r, 0, sizeof(*r));
		r->target = t;
		if (sk_accounts_narrow(&r->set, &r->policies, set, t->id) < 0)
			goto fail;
		/* an account no policy covers is not looked at */
		if (!r->set.n_policies) {
			free(r->policies);
			continue;
		}
		out->n++;
		if (sk_session_account_client(&r->client, &r->credentials, s, t->role_arn, t->external_id) < 0)
			goto fail;
	}
	return 0;
fail:
	sk_accounts_close(out);
	return -1;
}

void sk_accounts_close(struct sk_accounts *a)
{
	for (size_t i = 0; a && i < a->n; i++) {
		sk_inventory_free(a->v[i].inv);
		sk_aws_client_free(a->v[i].client); /* its credentials are the session's */
		free(a->v[i].policies);
	}
	if (a) {
		free(a->v);
		memset(a, 0, sizeof(*a));
	}
}

struct sk_account_run *sk_accounts_find(struct sk_accounts *a, const char *id)
{
	for (size_t i = 0; id && i < a->n; i++)
		if (!strcmp(a->v[i].target->id, id))
			return &a->v[i];
	return NULL;
}

size_t sk_accounts_unobserved(const struct sk_accounts *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += !a->v[i].observed;
	return n;
}

struct observing {
	struct sk_accounts *a;
	const struct sk_load_observe_opts *o;
};

/* one account: its role first (a clear "cannot assume" rather than a failed list call), then its regions */
static void observe_account(void *ud, size_t i)
{
	struct observing *ob = ud;
	struct sk_account_run *r = &ob->a->v[i];
	struct sk_credentials c = SK_CREDENTIALS_INIT;

	sk_error_clear();
	if (sk_credentials_provider_get(r->credentials, &c) < 0 ||
	    sk_load_observe(&r->inv, r->client, &r->set, ob->o, NULL) < 0 ||
	    !(r->inv->account = sk_inventory_intern(r->inv, r->target->id))) {
		sk_utf8_copy(r->error, sizeof(r->error), sk_error_message());
		sk_debug("account %s was not observed: %s", r->target->id, r->error);
		sk_inventory_free(r->inv);
		r->inv = NULL;
	} else {
		r->observed = true;
	}
	sk_credentials_clear(&c);
}

int sk_accounts_observe(struct sk_accounts *a, const struct sk_load_observe_opts *o, int parallel)
{
	struct sk_load_observe_opts each = *o;
	struct observing ob = { a, &each };
	struct sk_slots slots;
	int rc;

	if (parallel < 1)
		parallel = 1;
	sk_slots_init(&slots, parallel);
	each.slots = &slots;
	each.max_parallel = parallel;
	each.progress = NULL;
	if (o->progress)
		fprintf(o->progress, "Observing %zu account%s...\n", a->n, a->n == 1 ? "" : "s");
	rc = sk_parallel_for(a->n, parallel, observe_account, &ob);
	sk_slots_destroy(&slots);
	return rc;
}

/* one account's part of a plan over several: *part, or NULL when the account has nothing to do with it */
typedef int (*plan_part_fn)(struct sk_plan **part, struct sk_account_run *r, void *ud);

/* one plan of every observed account's part (part_of makes each), the accounts not observed named */
static int plan_parts(struct sk_plan **out, struct sk_accounts *a, const struct sk_policyset *set, int64_t now,
		      plan_part_fn part_of, void *ud)
{
	struct sk_plan *plan = NULL, *part = NULL;
	size_t i;

	*out = NULL;
	if (sk_plan_new(&plan) < 0)
		return -1;
	memcpy(plan->commit, set->commit, sizeof(plan->commit));
	plan->now = now;
	plan->copies_at_once = set->settings.copies_in_flight;
	plan->price_per_gb_month = set->settings.price_per_gb_month;
	for (i = 0; i < a->n; i++) {
		struct sk_account_run *r = &a->v[i];

		if (!r->observed) {
			if (sk_plan_add_unobserved(plan, r->target->id, r->error) < 0)
				goto fail;
			continue;
		}
		if (part_of(&part, r, ud) < 0) {
			sk_error_prefix("account %s", r->target->id);
			goto fail;
		}
		if (part && sk_plan_absorb(plan, part, r->target->id) < 0)
			goto fail;
		part = NULL;
	}
	/* what a plan shows of the commit is the set's, whether or not an account was observed */
	if ((!plan->subject && set->subject && !(plan->subject = strdup(set->subject))) ||
	    (!plan->ref && set->ref && !(plan->ref = strdup(set->ref)))) {
		sk_error_set_oom();
		goto fail;
	}
	plan->signer = set->signer;
	*out = plan;
	return 0;
fail:
	sk_plan_free(part);
	sk_plan_free(plan);
	return -1;
}

/* the account's plan: its policies, its inventory, the previous policies and deletions that are its own */
static int reconcile_part(struct sk_plan **part, struct sk_account_run *r, void *ud)
{
	const struct sk_plan_opts *po = ud;
	struct sk_plan_opts each = *po;
	struct sk_policyset previous;
	struct sk_policy *prev_policies = NULL;
	struct sk_plan_deletion *mine = NULL;
	int rc;

	if (po->previous) {
		if (sk_accounts_narrow(&previous, &prev_policies, po->previous, r->target->id) < 0)
			return -1;
		each.previous = &previous;
	}
	/* its budgets count its own deletions */
	if (po->n_deletions && !(mine = calloc(po->n_deletions, sizeof(*mine)))) {
		free(prev_policies);
		return sk_error_set_oom();
	}
	each.deletions = mine;
	each.n_deletions = mine ? sk_budget_of_account(mine, po->deletions, po->n_deletions, r->target->id) : 0;
	rc = sk_plan_compute(part, &r->set, r->inv, &each);
	free(prev_policies);
	free(mine);
	return rc;
}

int sk_accounts_plan(struct sk_plan **out, struct sk_accounts *a, const struct sk_policyset *set,
		     const struct sk_plan_opts *po)
{
	if (plan_parts(out, a, set, po->now, reconcile_part, (void *)po) < 0)
		return -1;
	/* a saved plan's: the live state of every account, each named */
	if (po->basis && sk_plan_fingerprint_parts(*out) < 0) {
		sk_plan_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

struct backing_up {
	const struct sk_backup_request *req;
	int64_t now;
	size_t n_parts;
};

/*
 * Does the account hold the instance (*held), and does one of its policies
 * (the one named) take snapshots of it?
 */
static bool backs_up(const struct sk_account_run *r, const struct sk_backup_request *req, bool *held)
{
	*held = false;
	for (size_t i = 0; i < r->inv->n_instances; i++) {
		const struct sk_inv_instance *in = &r->inv->instances[i];
		if (strcmp(in->id, req->instance))
			continue;
		*held = true;
		for (size_t k = 0; k < r->set.n_policies; k++) {
			const struct sk_policy *p = &r->set.policies[k];
			if ((!req->policy || !strcmp(p->name, req->policy)) && p->has_snapshots &&
			    sk_policy_selects_instance(p, in))
				return true;
		}
	}
	return false;
}

static int backup_part(struct sk_plan **part, struct sk_account_run *r, void *ud)
{
	struct backing_up *b = ud;
	bool held;

	*part = NULL;
	if (!backs_up(r, b->req, &held)) {
		/* said, not silently left out: the people asking may expect one there too */
		if (held)
			sk_warn("account %s holds '%s', but no policy there%s%s%s takes snapshots of it: no on-demand "
				"snapshot in that account", r->target->id, b->req->instance, b->req->policy ? " ('" : "",
				b->req->policy ? b->req->policy : "", b->req->policy ? "')" : "");
		return 0;
	}
	b->n_parts++;
	return sk_plan_backup(part, &r->set, r->inv, b->req, b->now);
}

int sk_accounts_backup(struct sk_plan **out, struct sk_accounts *a, const struct sk_policyset *set,
		       const struct sk_backup_request *req, int64_t now)
{
	struct backing_up b = { req, now, 0 };

	if (plan_parts(out, a, set, now, backup_part, &b) < 0)
		return -1;
	if (b.n_parts || (*out)->n_unobserved)
		return 0;
	sk_plan_free(*out);
	*out = NULL;
	if (req->policy)
		return sk_error_set(SK_ERR_POLICY, "instance '%s' is in no account where policy '%s' takes snapshots of it",
				    req->instance, req->policy);
	return sk_error_set(SK_ERR_POLICY, "instance '%s' is in no account whose policies take snapshots of it: "
					   "snapkeep takes on-demand snapshots for a policy",
			    req->instance);
}

struct applying {
	const struct sk_plan *plan;
	struct sk_accounts *a;
	const struct sk_apply_opts *base;
	struct sk_apply_result *parts; /* one per plan part */
	int *rc;
	struct sk_error *errors;
};

static void apply_part(void *ud, size_t k)
{
	struct applying *ap = ud;
	const struct sk_plan_part *pp = &ap->plan->parts[k];
	struct sk_account_run *r = sk_accounts_find(ap->a, pp->account);
	struct sk_apply_opts o = *ap->base;

	if (!r) {
		ap->rc[k] = sk_error_set(SK_ERR_INVALID, "account %s has no client", pp->account);
		ap->errors[k] = *sk_error_last();
		return;
	}
	o.client = r->client;
	o.inv = r->inv;
	o.set = &r->set;
	ap->rc[k] = sk_apply(pp->plan, &o, &ap->parts[k]);
	if (ap->rc[k] < 0)
		ap->errors[k] = *sk_error_last();
}

int sk_accounts_apply(const struct sk_plan *plan, struct sk_accounts *a, const struct sk_apply_opts *base,
		      int parallel, struct sk_apply_result *res)
{
	struct applying ap = { plan, a, base, NULL, NULL, NULL };
	size_t k, i, n = plan->n_actions;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->n = n;
	if (!(res->outcomes = calloc(n + 1, sizeof(*res->outcomes))) ||
	    !(res->details = calloc(n + 1, sizeof(*res->details))) ||
	    !(res->available_at = calloc(n + 1, sizeof(*res->available_at))) ||
	    !(ap.parts = calloc(plan->n_parts + 1, sizeof(*ap.parts))) ||
	    !(ap.rc = calloc(plan->n_parts + 1, sizeof(*ap.rc))) ||
	    !(ap.errors = calloc(plan->n_parts + 1, sizeof(*ap.errors)))) {
		sk_error_set_oom();
		goto done;
	}
	if (sk_parallel_for(plan->n_parts, parallel > 0 ? parallel : 1, apply_part, &ap) < 0)
		goto done;
	rc = 0;
	for (k = 0; k < plan->n_parts; k++) {
		const struct sk_plan_part *pp = &plan->parts[k];
		struct sk_apply_result *r = &ap.parts[k];
		if (ap.rc[k] < 0 && rc == 0) {
			sk_error_set(ap.errors[k].klass, "account %s: %s", pp->account, ap.errors[k].message);
			rc = -1;
		}
		for (i = 0; i < r->n && pp->first_action + i < n; i++) {
			res->outcomes[pp->first_action + i] = r->outcomes[i];
			res->details[pp->first_action + i] = r->details[i];
			r->details[i] = NULL;
			res->available_at[pp->first_action + i] = r->available_at[i];
		}
		res->done += r->done;
		res->already += r->already;
		res->deferred += r->deferred;
		res->failed += r->failed;
		res->skipped += r->skipped;
		res->suspended += r->suspended;
		res->interrupted = res->interrupted || r->interrupted;
	}
done:
	for (k = 0; ap.parts && k < plan->n_parts; k++)
		sk_apply_result_free(&ap.parts[k]);
	free(ap.parts);
	free(ap.rc);
	free(ap.errors);
	return rc;
}

/* the trust policy of a target account's role: the base identity may assume it, with its external id */
static json_t *trust_policy(const char *trust, const char *external_id)
{
	json_t *st = json_pack("{s:s, s:s, s:{s:s}, s:s}", "Sid", "SnapkeepAssumes", "Effect", "Allow", "Principal",
			       "AWS", trust, "Action", "sts:AssumeRole");

	if (st && external_id)
		json_object_set_new(st, "Condition", json_pack("{s:{s:s}}", "StringEquals", "sts:ExternalId", external_id));
	return json_pack("{s:s, s:[o]}", "Version", "2012-10-17", "Statement", st);
}

int sk_accounts_iam(json_t **out, const struct sk_policyset *set, const struct sk_iam_opts *o, const char *trust,
		    const char *const *only, size_t n_only)
{
	const struct sk_settings *st = &set->settings;
	json_t *root = json_object(), *accounts = json_array(), *roles = json_array();
	size_t i, k;
	int rc = -1;

	*out = NULL;
	if (!root || !accounts || !roles) {
		sk_error_set_oom();
		goto done;
	}
	for (k = 0; k < n_only; k++)
		if (!sk_settings_account(st, only[k])) {
			sk_error_set(SK_ERR_INVALID, "account '%s' is not one of Settings' accounts", only[k]);
			goto done;
		}
	for (i = 0; i < st->n_accounts; i++) {
		const struct sk_settings_account *t = &st->accounts[i];
		struct sk_iam_opts each = *o;
		struct sk_policyset view;
		struct sk_policy *policies = NULL;
		json_t *doc = NULL, *one;
		bool wanted = n_only == 0;
		int r;

		for (k = 0; k < n_only && !wanted; k++)
			wanted = !strcmp(only[k], t->id);
		if (!wanted)
			continue;
		if (sk_accounts_narrow(&view, &policies, set, t->id) < 0)
			goto done;
		each.account = t->id;
		each.metrics = false; /* `run` puts its metrics with the base identity: basePolicy */
		r = view.n_policies ? sk_iam_policy(&doc, &view, &each) : 0;
		free(policies);
		if (r < 0)
			goto done;
		if (!doc)
			continue; /* no policy covers it: no role needed */
		one = json_pack("{s:s, s:s, s:o, s:o}", "account", t->id, "roleArn", t->role_arn, "rolePolicy", doc,
				"trustPolicy", trust_policy(trust, t->external_id));
		if (!one || json_array_append_new(accounts, one) < 0 ||
		    json_array_append_new(roles, json_string(t->role_arn)) < 0) {
			sk_error_set_oom();
			goto done;
		}
	}
	/* what the base identity needs: to assume each role, and (`run`) to put its metrics */
	json_object_set_new(root, "basePolicy",
			    json_pack("{s:s, s:[{s:s, s:s, s:s, s:O}]}", "Version", "2012-10-17", "Statement", "Sid",
				      "AssumeTargetAccountRoles", "Effect", "Allow", "Action", "sts:AssumeRole",
				      "Resource", roles));
	if (o->metrics)
		json_array_append_new(
			json_object_get(json_object_get(root, "basePolicy"), "Statement"),
			json_pack("{s:s, s:s, s:s, s:s, s:{s:{s:s}}}", "Sid", "PutMetrics", "Effect", "Allow", "Action",
				  "cloudwatch:PutMetricData", "Resource", "*", "Condition", "StringEquals",
				  "cloudwatch:namespace", o->namespace_ && *o->namespace_ ? o->namespace_ : "Snapkeep"));
	json_object_set_new(root, "accounts", accounts);
	accounts = NULL;
	*out = root;
	root = NULL;
	rc = 0;
done:
	json_decref(roles);
	json_decref(accounts);
	json_decref(root);
	return rc;
}
