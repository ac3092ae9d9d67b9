/*
 * fuzz_saved_plan.c - the saved-plan reader: the envelope and its origin
 * (state/planfile.c), then the plan inside (sk_plan_from_json, render.c)
 *
 * A saved plan is a file anyone with a text editor may have touched.
 * Whatever the readers refuse must say why and leave nothing; whatever
 * they accept must write out and read back to the same JSON (the plan
 * written from what was read is a fixed point of reading and writing) and
 * hold actions that name their region and target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/render.h"
#include "state/planfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the plan read back from j, checked, and written again (a new reference) */
static json_t *read_and_write(const json_t *j, size_t *n_actions)
{
	struct sk_plan *p = NULL;
	json_t *out;
	size_t i;

	if (sk_plan_from_json(&p, j) < 0) {
		if (p || !sk_error_message()[0])
			abort(); /* a refusal says why and leaves nothing */
		return NULL;
	}
	for (i = 0; i < p->n_actions; i++)
		if (!p->actions[i].region || !p->actions[i].target)
			abort();
	*n_actions = p->n_actions;
	out = sk_plan_to_json(p, false);
	if (!out)
		abort();
	sk_plan_free(p);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_planfile_origin origin;
	json_t *plan = NULL, *once, *twice;
	size_t i, n1 = 0, n2 = 0;

	if (sk_planfile_parse(&plan, &origin, (const char *)data, size, "fuzz") < 0) {
		if (plan || origin.present || origin.repository || origin.regions || origin.accounts ||
		    !sk_error_message()[0])
			abort();
		return 0;
	}
	if (!json_is_object(plan))
		abort();
	/* what an origin holds is what apply may use: strings that are whole, regions and accounts that are named */
	for (i = 0; i < origin.n_regions; i++)
		if (!origin.regions[i] || !origin.regions[i][0])
			abort();
	for (i = 0; i < origin.n_accounts; i++)
		if (!origin.accounts[i] || !origin.accounts[i][0])
			abort();
	if (origin.commit && strlen(origin.commit) != 40)
		abort();
	sk_planfile_origin_free(&origin);

	once = read_and_write(plan, &n1);
	if (once) {
		/* what was accepted round-trips: read again, it writes the same JSON */
		twice = read_and_write(once, &n2);
		if (!twice || n1 != n2 || !json_equal(once, twice))
			abort();
		json_decref(twice);
		json_decref(once);
	}
	json_decref(plan);
	return 0;
}
