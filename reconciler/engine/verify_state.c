/*
 * verify_state.c - the last drill of each instance, from the state file
 */
#include "reconciler/engine/verify_state.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/engine/accounts.h"
#include "state/backend.h"
#include "state/state.h"

int sk_verify_drills_load(struct sk_verify_drills *out, const char *dir, const char *backend)
{
	struct sk_backend *b = NULL;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (sk_backend_open_read(&b, backend, dir) < 0)
		return -1;
	if (!b)
		return 0; /* no state directory can be named: nothing is known of drills */
	rc = sk_backend_state_load(&out->st, b, NULL);
	sk_backend_close(b);
	if (rc < 0)
		goto done;
	rc = -1;
	out->known = out->st->existed;
	out->v = calloc(out->st->n_instances + 1, sizeof(*out->v));
	if (!out->v) {
		sk_error_set_oom();
		goto done;
	}
	for (i = 0; i < out->st->n_instances; i++) {
		const struct sk_state_instance *in = &out->st->instances[i];
		struct sk_verify_drill *d;

		if (!in->last_drill.at)
			continue;
		d = &out->v[out->n++];
		d->account = in->account;
		d->region = in->region;
		d->instance = in->id;
		d->at = in->last_drill.at;
		d->passed = !strcmp(in->last_drill.outcome, "passed");
		d->detail = in->last_drill.error[0] ? in->last_drill.error : NULL;
		d->rto_seconds = in->last_drill.rto_seconds;
	}
	rc = 0;
done:
	if (rc < 0)
		sk_verify_drills_free(out);
	return rc;
}

void sk_verify_drills_opts(const struct sk_verify_drills *d, struct sk_verify_opts *o)
{
	o->drills = d->v;
	o->n_drills = d->n;
	o->drills_known = d->known;
}

void sk_verify_drills_free(struct sk_verify_drills *d)
{
	free(d->v);
	sk_state_free(d->st);
	memset(d, 0, sizeof(*d));
}

int sk_verify_accounts(struct sk_verify_report **out, const struct sk_accounts *a, const struct sk_verify_opts *base,
		       bool *matched, int64_t *observed_at)
{
	struct sk_verify_report *all = NULL;
	bool any = false;
	size_t i;
	int rc = -1;

	*out = NULL;
	*observed_at = 0;
	if (sk_verify_report_new(&all, base->now) < 0)
		goto done;
	for (i = 0; i < a->n; i++) {
		const struct sk_account_run *run = &a->v[i];
		struct sk_verify_opts vo = *base;
		struct sk_verify_report *part = NULL;
		int e;

		if (!run->observed) {
			if (sk_verify_report_unobserved(all, run->target->id, run->error) < 0)
				goto done;
			continue;
		}
		if (!*observed_at || run->inv->observed_at < *observed_at)
			*observed_at = run->inv->observed_at;
		vo.account = run->target->id;
		vo.now = base->now ? base->now : run->inv->observed_at ? run->inv->observed_at : sk_time_now();
		e = sk_verify_run(&part, &run->set, run->inv, &vo);
		if (e == SK_ENOTFOUND) { /* that policy or instance is another account's */
			sk_error_clear();
			continue;
		}
		any = true;
		if (e < 0 || sk_verify_report_absorb(all, part, run->target->id) < 0) {
			sk_verify_report_free(part);
			goto done;
		}
		if (part->now > all->now) /* checked as of the latest observation */
			all->now = part->now;
		sk_verify_report_free(part);
	}
	if (!all->now)
		all->now = sk_time_now();
	if (matched)
		*matched = any;
	*out = all;
	all = NULL;
	rc = 0;
done:
	sk_verify_report_free(all);
	return rc;
}
