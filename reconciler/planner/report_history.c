/*
 * report_history.c - a report's history from the journal (report_history.h)
 */
#include "reconciler/planner/report_history.h"

#include <stdlib.h>

#include "common/array.h"
#include "common/error.h"
#include "reconciler/planner/report_journal.h"

#define DAY ((int64_t)86400)
#define MAX_DAYS 3700 /* ten years of history, one entry per day */

int sk_report_history(struct sk_report_ctx *c)
{
	struct sk_report *r = c->r;
	const struct sk_report_journal *j = c->in->journal;
	int64_t from = r->since - ((r->since % DAY) + DAY) % DAY, span;
	int64_t *after = NULL; /* per (day bucket, region): storage changed by events in it; bucket n_days: later */
	size_t n_days, i, d, k, nr = r->n_regions ? r->n_regions : 1, cells, cap_events = 0;

	if (r->until <= r->since)
		return sk_error_set(SK_ERR_INVALID, "the history window ends before it begins");
	span = r->until - from;
	n_days = (size_t)((span + DAY - 1) / DAY);
	if (n_days > MAX_DAYS)
		return sk_error_set(SK_ERR_INVALID, "the history window spans %zu days, more than %d", n_days, MAX_DAYS);
	cells = (n_days + 1) * nr;
	r->days = calloc(n_days, sizeof(*r->days));
	r->storage_gib = calloc(n_days * nr, sizeof(*r->storage_gib));
	r->storage_cost = calloc(n_days * nr, sizeof(*r->storage_cost));
	after = calloc(cells, sizeof(*after));
	if (!r->days || !r->storage_gib || !r->storage_cost || !after) {
		free(after);
		return sk_error_set_oom();
	}
	r->n_days = n_days;
	for (d = 0; d < n_days; d++)
		r->days[d].day = from + (int64_t)d * DAY;
	r->has_journal = j != NULL;
	for (i = 0; j && i < j->n_events; i++) {
		const struct sk_report_journal_event *e = &j->events[i];
		const struct sk_report_region *g;
		size_t day;

		if (e->time < from)
			continue;
		day = e->time >= r->until ? n_days : (size_t)((e->time - from) / DAY);
		if (e->gib && (g = sk_report_region(r, e->region)))
			after[day * nr + (size_t)(g - r->regions)] += e->gib;
		if (day >= n_days || e->time < r->since)
			continue;
		if (e->failed) {
			r->days[day].counts[SK_EVENT_FAILED]++;
			r->totals[SK_EVENT_FAILED]++;
		}
		if (!e->failed || e->kind == SK_EVENT_DRILL) {
			r->days[day].counts[e->kind]++;
			r->totals[e->kind]++;
		}
		if (e->failed || e->kind == SK_EVENT_DRILL) {
			struct sk_report_event *ev = SK_ARRAY_PUSH(r->events, r->n_events, cap_events);
			if (!ev) {
				free(after);
				return -1;
			}
			ev->time = e->time;
			ev->kind = e->failed ? SK_EVENT_FAILED : e->kind;
			ev->action = sk_report_ctx_intern(c, e->action);
			ev->region = sk_report_ctx_intern(c, e->region);
			ev->instance = sk_report_ctx_intern(c, e->instance);
			ev->target = sk_report_ctx_intern(c, e->target);
			ev->detail = e->detail ? sk_arena_strdup(&r->arena, e->detail) : NULL;
			if (e->detail && !ev->detail)
				c->failed = true;
		}
	}
	/* storage at the end of day d: now's, less what happened after d */
	for (k = 0; k < r->n_regions; k++) {
		int64_t gib = r->regions[k].cost.gib;
		for (d = n_days; d-- > 0;) {
			gib -= after[(d + 1) * nr + k];
			r->storage_gib[d * nr + k] = gib < 0 ? 0 : gib;
			r->storage_cost[d * nr + k] = (double)(gib < 0 ? 0 : gib) * r->regions[k].price;
		}
	}
	free(after);
	return c->failed ? sk_error_set_oom() : 0;
}
