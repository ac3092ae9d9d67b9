/*
 * report_state.c - a report with the state directory's drills and journal (report_state.h)
 */
#include "reconciler/engine/report_state.h"

#include <stdlib.h>

#include "common/error.h"
#include "reconciler/engine/verify_state.h"
#include "reconciler/planner/report_journal.h"
#include "state/backend.h"
#include "state/journal.h"
#include "state/statedir.h"

static int add_record(void *ud, const struct sk_journal_record *rec)
{
	return sk_report_journal_add(ud, rec);
}

int sk_report_from_state(struct sk_report **out, const struct sk_policyset *set, const struct sk_inventory *inv,
			 const struct sk_plan *plan, const struct sk_report_state_opts *o)
{
	struct sk_report_input in = SK_REPORT_INPUT_INIT;
	struct sk_verify_drills drills = SK_VERIFY_DRILLS_INIT;
	struct sk_journal_filter f = SK_JOURNAL_FILTER_INIT;
	struct sk_journal_stats st = { 0 };
	struct sk_report_journal *j = NULL;
	struct sk_backend *b = NULL;
	char *dir = NULL;
	int rc = -1, e;

	*out = NULL;
	if (sk_verify_drills_load(&drills, o->state_dir, o->state_backend) < 0)
		goto done;
	if (o->state_backend) {
		struct sk_backend_opts bo = SK_BACKEND_OPTS_INIT;

		bo.spec = o->state_backend;
		bo.state_dir = o->state_dir;
		bo.create = false;
		if (sk_report_journal_new(&j, o->since) < 0 || sk_backend_open(&b, &bo) < 0)
			goto done;
		f.since_ms = (o->since > 7 * 86400 ? o->since - 7 * 86400 : 0) * 1000;
		if (sk_backend_journal_read(b, &f, add_record, j, &st) < 0)
			goto done;
	} else if (sk_statedir_resolve(&dir, o->state_dir) < 0) {
		sk_error_clear(); /* no state directory can be named: no history */
	} else {
		if (sk_report_journal_new(&j, o->since) < 0)
			goto done;
		/* intents a little older than the window carry the sizes of what completed in it */
		f.since_ms = (o->since > 7 * 86400 ? o->since - 7 * 86400 : 0) * 1000;
		e = sk_statedir_exists(dir) == 0 ? sk_journal_read(dir, &f, add_record, j, &st) : SK_ENOTFOUND;
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
	if (sk_report_build(out, &in) < 0)
		goto done;
	(*out)->journal_damaged = st.damaged;
	rc = 0;
done:
	sk_report_journal_free(j);
	sk_verify_drills_free(&drills);
	sk_backend_close(b);
	free(dir);
	return rc;
}
