/*
 * cycle.c - what a cycle left, for the freshness metrics
 */
#include "reconciler/service/cycle.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "reconciler/engine/reconcile.h"

static void add(struct sk_newest *out, size_t *n, const char *account, const char *instance,
		const struct sk_reconcile_place *p)
{
	if (!p->region[0] || !p->newest[0] || !p->newest_time)
		return;
	out[*n].account = account;
	out[*n].region = p->region;
	out[*n].instance = instance;
	out[*n].time = p->newest_time;
	(*n)++;
}

/* by place, the newest first */
static int cmp_newest(const void *pa, const void *pb)
{
	const struct sk_newest *a = pa, *b = pb;
	int c = strcmp(a->account, b->account);

	if (!c)
		c = strcmp(a->region, b->region);

	if (!c)
		c = strcmp(a->instance, b->instance);
	if (!c)
		c = (a->time < b->time) - (a->time > b->time);
	return c;
}

int sk_cycle_newest(struct sk_newest **out, size_t *n, const struct sk_reconcile_report *rep)
{
	struct sk_newest *v;
	size_t i, k, max = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < rep->n_instances; i++)
		max += 1 + rep->instances[i].n_copies;
	if (!max)
		return 0;
	if (!(v = calloc(max, sizeof(*v))))
		return sk_error_set_oom();
	for (i = 0; i < rep->n_instances; i++) {
		const struct sk_reconcile_instance *ri = &rep->instances[i];
		add(v, n, ri->account, ri->instance, &ri->own);
		for (k = 0; k < ri->n_copies; k++)
			add(v, n, ri->account, ri->instance, &ri->copies[k]);
	}
	if (!*n) {
		free(v);
		return 0;
	}
	/* two policies managing one instance: its newest is the newer of theirs */
	qsort(v, *n, sizeof(*v), cmp_newest);
	for (i = 1, k = 1; i < *n; i++)
		if (strcmp(v[i].account, v[k - 1].account) || strcmp(v[i].region, v[k - 1].region) ||
		    strcmp(v[i].instance, v[k - 1].instance))
			v[k++] = v[i];
	*n = k;
	*out = v;
	return 0;
}
