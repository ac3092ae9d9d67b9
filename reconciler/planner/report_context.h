/*
 * report_context.h - the state one report is built in: what the builder
 * (report.c), its compliance checks (report_checks.c) and its history
 * (report_history.c) share, with the plan's actions by the instance they
 * concern.  Private to the report.
 */
#ifndef SK_REPORT_CONTEXT_H
#define SK_REPORT_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconciler/planner/plan.h"
#include "reconciler/planner/report.h"

struct sk_settings;

/* an action of the plan, by the instance it concerns */
struct sk_report_act {
	const char *home; /* the instance's region */
	const struct sk_action *a;
};

struct sk_report_ctx {
	struct sk_report *r;
	const struct sk_report_input *in;
	const struct sk_inventory *inv;
	const struct sk_plan *plan;
	const struct sk_settings *settings;
	struct sk_report_act *acts; /* sorted by (home, instance) */
	size_t n_acts;
	uint32_t *decision; /* per inventory snapshot: 1 + its decision's index, 0: none */
	size_t cap_checks, cap_snapshots, cap_instances;
	bool failed;
};

/* a string printed into the report's arena; NULL (and c->failed) when out of memory */
#define sk_report_ctx_printf(c, ...) sk_report_ctx_checked((c), sk_arena_printf(&(c)->r->arena, __VA_ARGS__))
/* s, setting c->failed when it is NULL (a string the arena could not make) */
const char *sk_report_ctx_checked(struct sk_report_ctx *c, const char *s);
/* s interned in the report's arena; NULL for NULL, and (c->failed) when out of memory */
const char *sk_report_ctx_intern(struct sk_report_ctx *c, const char *s);

/* c->acts and c->decision from c->plan and c->inv: 0, or -1 out of memory */
int sk_report_ctx_index_actions(struct sk_report_ctx *c);
/* frees what sk_report_ctx_index_actions made */
void sk_report_ctx_release(struct sk_report_ctx *c);
/* the plan's actions for (home, instance): c->acts[*b .. *e) */
void sk_report_ctx_actions_of(const struct sk_report_ctx *c, const char *home, const char *instance, size_t *b,
			      size_t *e);
/* the change the plan makes to field of the instance, or NULL */
const struct sk_change *sk_report_ctx_planned_change(const struct sk_report_ctx *c, const char *home,
						     const char *instance, const char *field);
/* whether the plan has an action of kind for the instance */
bool sk_report_ctx_planned_kind(const struct sk_report_ctx *c, const char *home, const char *instance,
				enum sk_action_kind kind);

#endif
