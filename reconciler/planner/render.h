/*
 * render.h - a plan for people and for machines: Terraform-like text, the
 * JSON of specs/plan-format.md, and that JSON read back (saved plans)
 */
#ifndef SK_RENDER_H
#define SK_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "reconciler/planner/plan.h"

/* output: Terraform-like text, and JSON (specs/plan-format.md) */
struct sk_render_opts {
	bool color;
	bool verbose; /* list kept snapshots too, and the tags of what is created */
};
void sk_plan_render_text(const struct sk_plan *p, FILE *f, const struct sk_render_opts *o);
/* with_decisions: include every owned snapshot's keep/delete decision */
json_t *sk_plan_to_json(const struct sk_plan *p, bool with_decisions);
/* one action as the plan JSON lists it (also what the journal records of a call) */
json_t *sk_action_to_json(const struct sk_action *a);
/* the same, written to f; with_decisions streams them (a million decisions never become one tree) */
int sk_plan_write_json(const struct sk_plan *p, FILE *f, bool with_decisions);
/*
 * reads the actions and metadata back (saved plans), each with its account
 * over several accounts; decisions are not restored, and the parts name
 * their accounts only (no plan of their own)
 */
int sk_plan_from_json(struct sk_plan **out, const json_t *j);

#endif
