/*
 * accounts.h - several AWS accounts in one run: a client per target
 * account (its role assumed from the base credentials), each account
 * observed, planned and applied on its own, its failure isolated
 *
 * Settings' accounts (specs/policy.h) are the targets; when Settings lists
 * none, a run is the caller's own account and this module is not used.
 * Each account sees only the policies that cover it (spec.accounts) and
 * its own inventory, and its actions are made with its own credentials:
 * the same instance name in two accounts is two instances, and nothing of
 * one account reaches another's calls.  An account whose role cannot be
 * assumed, or one of whose regions cannot be listed, is not observed: its
 * error is kept, the plan names it, nothing is planned or applied there,
 * and the other accounts go on.
 *
 * (account, region) places are observed at most `parallel` at once
 * (Settings' parallel), accounts side by side; apply works on at most
 * `parallel` accounts at once, each region of each with Settings'
 * concurrency mutating calls in flight.
 */
#ifndef SK_ACCOUNTS_H
#define SK_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "reconciler/engine/apply.h"
#include "reconciler/engine/load.h"
#include "reconciler/planner/plan.h"
#include "specs/policy.h"

struct sk_session;
struct sk_journal;

struct sk_account_run {
	const struct sk_settings_account *target;
	struct sk_policyset set;     /* a view of the set with only the policies that cover the account */
	struct sk_policy *policies;  /* its policies (copies of the set's entries; their strings are the set's) */
	struct sk_credentials_provider *credentials; /* the role's, assumed (the session keeps it) */
	struct sk_aws_client *client;
	struct sk_inventory *inv;    /* NULL until observed */
	bool observed;
	char error[1024];            /* why it was not observed ("" when it was, or was not tried) */
};

struct sk_accounts {
	struct sk_account_run *v;    /* in Settings' order; only accounts some policy covers */
	size_t n;
};

/*
 * The target accounts of set with a client each, only those in only[]
 * when n_only > 0 (an account there that Settings does not list is an
 * error naming it).  No call is made yet.
 */
int sk_accounts_open(struct sk_accounts *out, struct sk_session *s, const struct sk_policyset *set,
		     const char *const *only, size_t n_only);
void sk_accounts_close(struct sk_accounts *a);

/*
 * Observes every account (o: regions, now, progress), at most parallel
 * (account, region) places at once.  A failing account is marked not
 * observed with its error; 0 even when every account failed (the plan
 * says so), negative only when the run cannot go on (out of memory).
 */
int sk_accounts_observe(struct sk_accounts *a, const struct sk_load_observe_opts *o, int parallel);

/* how many accounts were not observed */
size_t sk_accounts_unobserved(const struct sk_accounts *a);

/*
 * One plan over every observed account: each account's plan made from its
 * policies and inventory with po (po->previous is narrowed to the account
 * too), absorbed (planner/plan.h sk_plan_absorb); the accounts not observed
 * are the plan's unobserved.  With po->basis (a saved plan), the plan's
 * fingerprint and basis cover every account (sk_plan_fingerprint_parts).
 */
int sk_accounts_plan(struct sk_plan **out, struct sk_accounts *a, const struct sk_policyset *set,
		     const struct sk_plan_opts *po);

/*
 * An on-demand backup (planner/ondemand.h) over several accounts: in every
 * observed account that holds req->instance and whose policies (the one
 * req->policy names) take snapshots of it, that account's sk_plan_backup,
 * absorbed as sk_accounts_plan does; the accounts not observed are the
 * plan's unobserved.  SK_ERR_POLICY when no account (and none unobserved)
 * holds such an instance; an account's own refusal (the instance in two of
 * its regions, a suspended policy) names the account.
 */
struct sk_backup_request;
int sk_accounts_backup(struct sk_plan **out, struct sk_accounts *a, const struct sk_policyset *set,
		       const struct sk_backup_request *req, int64_t now);

/*
 * Applies plan (made by sk_accounts_plan or sk_accounts_backup from a): each part with its
 * account's client, inventory and policies, on base's other options, at
 * most parallel accounts at once; res holds every action's outcome in
 * plan's order.  Accounts not observed have no part: nothing is made there.
 */
int sk_accounts_apply(const struct sk_plan *plan, struct sk_accounts *a, const struct sk_apply_opts *base,
		      int parallel, struct sk_apply_result *res);

/* the run of account id, or NULL */
struct sk_account_run *sk_accounts_find(struct sk_accounts *a, const char *id);

/*
 * A view of set with only the policies that cover account: the struct is
 * copied (its arena is set's: never free the view) and *policies, the
 * view's array, is the caller's to free.
 */
int sk_accounts_narrow(struct sk_policyset *view, struct sk_policy **policies, const struct sk_policyset *set,
		       const char *account);

/*
 * `iam-policy` over Settings' accounts (only those in only[] when
 * n_only > 0): {"basePolicy": what the base identity needs (sts:AssumeRole
 * on each role), "accounts": [{"account", "roleArn", "rolePolicy": the
 * role's least-privilege policy (engine/iam.h) for the policies covering
 * the account, its ARNs in that account, "trustPolicy": the role's trust
 * policy, trusting principal trust (the base identity's ARN, or an account
 * id) with the account's ExternalId as a condition}]}.
 */
struct sk_iam_opts;
int sk_accounts_iam(json_t **out, const struct sk_policyset *set, const struct sk_iam_opts *o, const char *trust,
		    const char *const *only, size_t n_only);

#endif
