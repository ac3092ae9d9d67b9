/*
 * report_state.c - a report with the state directory's drills and journal (report_state.h)
 */
#include "reconciler/engine/report_state.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/engine/verify_state.h"
#include "reconciler/planner/report_journal.h"
#include "state/backend.h"
#include "state/journal.h"

static int add_record(void *ud, const struct sk_journal_record *rec)
{
	return sk_report_journal_add(ud, rec);
}

/* the part of plan made for account, or NULL */
static const struct sk_plan *part_of(const struct sk_plan *plan, const char *account)
{
	size_t i;

	for (i = 0; i < plan->n_parts; i++)
		if (plan->parts[i].account && !strcmp(plan->parts[i].account, account))
			return plan->parts[i].plan;
	return NULL;
}

/* each observed account's report, joined; in: the drills, journal and times */
static int build_accounts(struct sk_report **out, const struct sk_accounts *a, const struct sk_plan *plan,
			  const struct sk_report_input *in)
{
	struct sk_report **parts = calloc(a->n ? a->n : 1, sizeof(*parts));
	const char **accounts = calloc(a->n ? a->n : 1, sizeof(*accounts));
	struct sk_report_unobserved *un = calloc(plan->n_unobserved ? plan->n_unobserved : 1, sizeof(*un));
	size_t i, n = 0;
	int rc = -1;

	if (!parts || !accounts || !un) {
		sk_error_set_oom();
		goto done;
	}
	for (i = 0; i < a->n; i++) {
		const struct sk_account_run *run = &a->v[i];
		struct sk_report_input pin = *in;
		const struct sk_plan *pp;

		if (!run->observed || !run->inv || !(pp = part_of(plan, run->target->id)))
			continue;
		pin.set = &run->set;
		pin.inv = run->inv;
		pin.plan = pp;
		pin.account = run->target->id;
		pin.journal = NULL; /* the history is the joined report's, once */
		if (sk_report_build(&parts[n], &pin) < 0)
			goto done;
		accounts[n++] = run->target->id;
	}
	for (i = 0; i < plan->n_unobserved; i++) {
		un[i].account = plan->unobserved[i].account;
		un[i].error = plan->unobserved[i].error;
	}
	rc = sk_report_join(out, parts, accounts, n, un, plan->n_unobserved, in);
	n = 0;
done:
	for (i = 0; i < n; i++)
		sk_report_free(parts[i]);
	free(parts);
	free(accounts);
	free(un);
	return rc;
}

static int from_state(struct sk_report **out, const struct sk_policyset *set, const struct sk_inventory *inv,
		      const struct sk_accounts *accts, const struct sk_plan *plan, const struct sk_report_state_opts *o)
{
	struct sk_report_input in = SK_REPORT_INPUT_INIT;
	struct sk_verify_drills drills = SK_VERIFY_DRILLS_INIT;
	struct sk_journal_filter f = SK_JOURNAL_FILTER_INIT;
	struct sk_journal_stats st = { 0 };
	struct sk_report_journal *j = NULL;
	struct sk_backend *b = NULL;
	int rc = -1, e;

	*out = NULL;
	if (sk_verify_drills_load(&drills, o->state_dir, o->state_backend) < 0)
		goto done;
	if (sk_backend_open_read(&b, o->state_backend, o->state_dir) < 0)
		goto done;
	if (b) { /* else no state directory can be named: no history */
		if (sk_report_journal_new(&j, o->since) < 0)
			goto done;
		/* intents a little older than the window carry the sizes of what completed in it */
		f.since_ms = (o->since > 7 * 86400 ? o->since - 7 * 86400 : 0) * 1000;
		e = sk_backend_journal_read(b, &f, add_record, j, &st);
		if (e == SK_ENOTFOUND) {
			sk_report_journal_free(j);
			j = NULL;
		} else if (e < 0) {
			goto done;
		}
	}
	in.set = set;
	in.inv = inv;
	in.plan = plan;
	in.drills = drills.v;
	in.n_drills = drills.n;
	in.drills_known = drills.known;
	in.journal = j;
	in.now = o->now;
	in.since = o->since;
	in.until = o->until;
	in.regions = o->regions;
	in.n_regions = o->n_regions;
	if ((accts ? build_accounts(out, accts, plan, &in) : sk_report_build(out, &in)) < 0)
		goto done;
	(*out)->journal_damaged = st.damaged;
	rc = 0;
done:
	sk_report_journal_free(j);
	sk_verify_drills_free(&drills);
	sk_backend_close(b);
	return rc;
}

int sk_report_from_state(struct sk_report **out, const struct sk_policyset *set, const struct sk_inventory *inv,
			 const struct sk_plan *plan, const struct sk_report_state_opts *o)
{
	return from_state(out, set, inv, NULL, plan, o);
}

int sk_report_from_state_accounts(struct sk_report **out, const struct sk_policyset *set, const struct sk_accounts *a,
				  const struct sk_plan *plan, const struct sk_report_state_opts *o)
{
	return from_state(out, set, NULL, a, plan, o);
}
