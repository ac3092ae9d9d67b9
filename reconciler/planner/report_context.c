/*
 * report_context.c - the state one report is built in, and the plan's
 * actions by instance (report_context.h)
 */
#include "reconciler/planner/report_context.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "reconciler/planner/inventory.h"

const char *sk_report_ctx_checked(struct sk_report_ctx *c, const char *s)
{
	if (!s)
		c->failed = true;
	return s;
}

const char *sk_report_ctx_intern(struct sk_report_ctx *c, const char *s)
{
	const char *k;

	if (!s)
		return NULL;
	if (!(k = sk_arena_intern(&c->r->arena, s)))
		c->failed = true;
	return k;
}

static const char *action_home(const struct sk_action *a)
{
	switch (a->kind) {
	case SK_ACTION_COPY:
	case SK_ACTION_START_REPLICATION:
	case SK_ACTION_STOP_REPLICATION:
	case SK_ACTION_DELETE:
		return a->source_region ? a->source_region : a->region;
	default:
		return a->region;
	}
}

static int cmp_act(const void *x, const void *y)
{
	const struct sk_report_act *a = x, *b = y;
	int d = strcmp(a->home, b->home);

	return d ? d : strcmp(a->a->instance ? a->a->instance : "", b->a->instance ? b->a->instance : "");
}

int sk_report_ctx_index_actions(struct sk_report_ctx *c)
{
	const struct sk_plan *p = c->plan;
	size_t i;

	c->acts = calloc(p->n_actions ? p->n_actions : 1, sizeof(*c->acts));
	if (!c->acts)
		return sk_error_set_oom();
	for (i = 0; i < p->n_actions; i++) {
		const char *home = action_home(&p->actions[i]);
		if (!home || !p->actions[i].instance)
			continue;
		c->acts[c->n_acts].home = home;
		c->acts[c->n_acts++].a = &p->actions[i];
	}
	qsort(c->acts, c->n_acts, sizeof(*c->acts), cmp_act);
	/* the decisions, by the snapshot they are about (the plan was made from this inventory) */
	c->decision = calloc(c->inv->n_snapshots ? c->inv->n_snapshots : 1, sizeof(*c->decision));
	if (!c->decision)
		return sk_error_set_oom();
	for (i = 0; i < p->n_decisions && i < UINT32_MAX - 1; i++) {
		const struct sk_inv_snapshot *s = p->decisions[i].snap;
		if (s >= c->inv->snapshots && s < c->inv->snapshots + c->inv->n_snapshots)
			c->decision[s - c->inv->snapshots] = (uint32_t)i + 1;
	}
	return 0;
}

void sk_report_ctx_actions_of(const struct sk_report_ctx *c, const char *home, const char *instance, size_t *b,
			      size_t *e)
{
	size_t lo = 0, hi = c->n_acts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(c->acts[mid].home, home);
		if (!d)
			d = strcmp(c->acts[mid].a->instance, instance);
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*b = lo;
	for (hi = lo; hi < c->n_acts && !strcmp(c->acts[hi].home, home) && !strcmp(c->acts[hi].a->instance, instance);
	     hi++)
		;
	*e = hi;
}

const struct sk_change *sk_report_ctx_planned_change(const struct sk_report_ctx *c, const char *home,
						     const char *instance, const char *field)
{
	size_t b, e, i, k;

	sk_report_ctx_actions_of(c, home, instance, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_action *a = c->acts[i].a;
		if (a->kind != SK_ACTION_MODIFY)
			continue;
		for (k = 0; k < a->n_changes; k++)
			if (!strcmp(a->changes[k].field, field))
				return &a->changes[k];
	}
	return NULL;
}

bool sk_report_ctx_planned_kind(const struct sk_report_ctx *c, const char *home, const char *instance,
				enum sk_action_kind kind)
{
	size_t b, e, i;

	sk_report_ctx_actions_of(c, home, instance, &b, &e);
	for (i = b; i < e; i++)
		if (c->acts[i].a->kind == kind)
			return true;
	return false;
}

void sk_report_ctx_release(struct sk_report_ctx *c)
{
	free(c->acts);
	free(c->decision);
	c->acts = NULL;
	c->decision = NULL;
	c->n_acts = 0;
}
