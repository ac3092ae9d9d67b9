/*
 * cycle.c - what a cycle observed, for the freshness metrics
 */
#include "reconciler/service/cycle.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/plan.h"

static bool unmanaged(const struct sk_plan *p, const struct sk_inv_instance *in)
{
	size_t i;

	if (!p)
		return false;
	for (i = 0; i < p->n_notes; i++) {
		const struct sk_note *n = &p->notes[i];
		if (n->kind == SK_NOTE_UNMANAGED && n->instance && n->region && !strcmp(n->instance, in->id) &&
		    !strcmp(n->region, in->region))
			return true;
	}
	return false;
}

int sk_cycle_newest_ages(struct sk_instance_age **out, size_t *n, const struct sk_inventory *inv,
			 const struct sk_plan *plan, int64_t now)
{
	struct sk_instance_age *ages = NULL;
	size_t i, k, count = 0;

	*out = NULL;
	*n = 0;
	if (!inv || !inv->n_instances)
		return 0;
	if (!(ages = calloc(inv->n_instances, sizeof(*ages))))
		return sk_error_set_oom();
	for (i = 0; i < inv->n_instances; i++) {
		const struct sk_inv_instance *in = &inv->instances[i];
		size_t begin, end;
		int64_t newest = 0;

		if (unmanaged(plan, in))
			continue;
		sk_inventory_snapshot_range(inv, in->region, in->id, &begin, &end);
		for (k = begin; k < end; k++) {
			const struct sk_inv_snapshot *s = &inv->snapshots[k];
			if (s->status == SK_SNAP_AVAILABLE && s->type != SK_SNAP_OTHER && s->created > newest)
				newest = s->created;
		}
		if (!newest)
			continue;
		ages[count].region = in->region;
		ages[count].instance = in->id;
		ages[count].seconds = now > newest ? now - newest : 0;
		count++;
	}
	if (!count) {
		free(ages);
		return 0;
	}
	*out = ages;
	*n = count;
	return 0;
}

