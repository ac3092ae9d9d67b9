/*
 * report_state.h - a report (planner/report.h) with what the state
 * directory knows: the last drills (state.json) and the history (the
 * journal)
 *
 * `snapkeep report` and the run loop's --report-at both build their
 * reports here.  Read-only and without the lock, as `history` and `verify`
 * read: the journal is append-only and the state file is replaced whole.
 * A directory without a journal or a state file reports no history and no
 * drills; a damaged journal line is skipped (counted in journal_damaged).
 */
#ifndef SK_REPORT_STATE_H
#define SK_REPORT_STATE_H

#include <stdint.h>

#include "reconciler/planner/report.h"

struct sk_report_state_opts {
	const char *state_dir; /* NULL: the environment's (state/statedir.h) */
	const char *state_backend; /* a PostgreSQL backend (state/backend.h) to read instead; NULL: the directory */
	int64_t now;
	int64_t since, until;  /* the history window; until 0: now */
	const char *const *regions; /* only these regions were observed; none: every region */
	size_t n_regions;
};

#define SK_REPORT_STATE_OPTS_INIT                                                                          \
	{ .state_dir = NULL, .state_backend = NULL, .now = 0, .since = 0, .until = 0, .regions = NULL, .n_regions = 0 }

int sk_report_from_state(struct sk_report **out, const struct sk_policyset *set, const struct sk_inventory *inv,
			 const struct sk_plan *plan, const struct sk_report_state_opts *o);

/*
 * Several accounts (engine/accounts.h): each observed account's report from
 * its policies, inventory and part of plan (made by sk_accounts_plan from
 * a), joined (planner/report.h sk_report_join) with the state's history;
 * the plan's unobserved accounts are the report's.
 */
struct sk_accounts;
int sk_report_from_state_accounts(struct sk_report **out, const struct sk_policyset *set, const struct sk_accounts *a,
				  const struct sk_plan *plan, const struct sk_report_state_opts *o);

#endif
