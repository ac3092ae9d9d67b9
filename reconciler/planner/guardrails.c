/*
 * guardrails.c - the deployment's guardrails held against a plan's actions
 */
#include "reconciler/planner/guardrails.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "reconciler/planner/context.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/ownership.h"
#include "reconciler/planner/retention.h"
#include "specs/guardrails.h"

/* the instance an action concerns lives in: replication and copies name it as their source */
static const char *instance_region(const struct sk_action *a)
{
	if (a->kind == SK_ACTION_START_REPLICATION || a->kind == SK_ACTION_STOP_REPLICATION)
		return a->source_region;
	if (a->kind == SK_ACTION_DELETE && a->source_region)
		return a->source_region;
	return a->region;
}

static const struct sk_inv_snapshot *find_snapshot(const struct sk_inventory *inv, const char *region, const char *id)
{
	size_t i;

	for (i = 0; inv && region && id && i < inv->n_snapshots; i++)
		if (!strcmp(inv->snapshots[i].id, id) && !strcmp(inv->snapshots[i].region, region))
			return &inv->snapshots[i];
	return NULL;
}

static bool tags_match(const struct sk_guardrail_rule *r, const struct sk_aws_tag *tags, size_t n)
{
	size_t i;

	for (i = 0; i < r->n_tags; i++) {
		const char *v = sk_tag_get(tags, n, r->tags[i].key);
		if (!v || strcmp(v, r->tags[i].value))
			return false;
	}
	return true;
}

/* rule r selects the action's instance: by name, or by the instance's tags (a snapshot's, when it is gone) */
static bool selects(const struct sk_guardrail_rule *r, const struct sk_action *a, const struct sk_inv_instance *in,
		    const struct sk_inv_snapshot *s)
{
	size_t i;

	if (r->n_instances) {
		for (i = 0; i < r->n_instances; i++)
			if (a->instance && !strcmp(r->instances[i], a->instance))
				return true;
		return false;
	}
	if (!r->n_tags)
		return true;
	if (in)
		return tags_match(r, in->tags, in->n_tags);
	return s && tags_match(r, s->tags, s->n_tags);
}

/* the strictest rule of each kind that applies to the action: the one with the largest floor, or the first */
struct applies {
	const struct sk_guardrail_rule *r[SK_GR_COUNT];
};

static int64_t floor_of(const struct sk_guardrail_rule *r, int k)
{
	switch (k) {
	case SK_GR_MIN_RETENTION_DAYS: return r->min_retention_days;
	case SK_GR_MIN_SNAPSHOTS: return r->min_snapshots;
	case SK_GR_MIN_COPIES: return r->min_copies;
	case SK_GR_MIN_RETENTION: return r->min_age;
	default: return 0;
	}
}

static void applicable(struct applies *out, const struct sk_guardrails *g, const struct sk_action *a,
		       const struct sk_inventory *inv, const struct sk_inv_snapshot *s)
{
	const struct sk_inv_instance *in = inv && a->instance && instance_region(a)
						   ? sk_inventory_find_instance(inv, instance_region(a), a->instance)
						   : NULL;
	size_t i;
	int k;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < g->n_rules; i++) {
		const struct sk_guardrail_rule *r = &g->rules[i];
		if (!selects(r, a, in, s))
			continue;
		for (k = 0; k < SK_GR_COUNT; k++)
			if (r->has[k] && (!out->r[k] || floor_of(r, k) > floor_of(out->r[k], k)))
				out->r[k] = r;
	}
}

static int refuse(char *why, size_t len, const struct sk_guardrail_rule *r, int k, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "guardrail minRetention (g.yaml:7:5): <what>" */
static int refuse(char *why, size_t len, const struct sk_guardrail_rule *r, int k, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(why, len, "guardrail %s (%s:%d:%d): ", sk_guardrail_name((enum sk_guardrail_kind)k), r->at[k].file,
		     r->at[k].line, r->at[k].col);
	if (n >= 0 && (size_t)n < len) {
		va_start(ap, fmt);
		vsnprintf(why + n, len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* "2d3h", "5h", "0h" */
static const char *age_text(char out[32], int64_t secs)
{
	int64_t d = secs / 86400, h = (secs % 86400) / 3600;

	if (d && h)
		snprintf(out, 32, "%lldd%lldh", (long long)d, (long long)h);
	else if (d)
		snprintf(out, 32, "%lldd", (long long)d);
	else
		snprintf(out, 32, "%lldh", (long long)h);
	return out;
}

static bool plan_restarts_replication(const struct sk_plan *p, const struct sk_action *stop)
{
	size_t i;

	for (i = 0; p && i < p->n_actions; i++)
		if (p->actions[i].kind == SK_ACTION_START_REPLICATION && p->actions[i].instance && stop->instance &&
		    !strcmp(p->actions[i].instance, stop->instance) && p->actions[i].source_region &&
		    stop->source_region && !strcmp(p->actions[i].source_region, stop->source_region))
			return true;
	return false;
}

int sk_guardrails_check(char *why, size_t len, const struct sk_guardrails *g, const struct sk_plan *p,
			const struct sk_action *a, const struct sk_inventory *inv, int64_t now)
{
	const struct sk_inv_snapshot *s = NULL;
	const struct sk_inv_instance *in;
	struct applies ap;
	const struct sk_guardrail_rule *r;
	char t1[32], t2[32];

	if (!g || !g->n_rules)
		return 0;
	if (a->kind == SK_ACTION_DELETE)
		s = find_snapshot(inv, a->region, a->target);
	applicable(&ap, g, a, inv, s);
	switch (a->kind) {
	case SK_ACTION_MODIFY:
		in = inv ? sk_inventory_find_instance(inv, a->region, a->instance) : NULL;
		if ((r = ap.r[SK_GR_MIN_RETENTION_DAYS]) && a->retention >= 0 && a->retention < r->min_retention_days &&
		    (!in || a->retention < in->retention))
			return refuse(why, len, r, SK_GR_MIN_RETENTION_DAYS,
				      "backup_retention_period %d → %d for instance '%s' is below the floor of %d days",
				      in ? in->retention : -1, a->retention, a->instance, r->min_retention_days);
		if ((r = ap.r[SK_GR_REQUIRE_DELETION_PROTECTION]) && a->deletion_protection == 0)
			return refuse(why, len, r, SK_GR_REQUIRE_DELETION_PROTECTION,
				      "it turns deletion protection of instance '%s' off", a->instance);
		return 0;
	case SK_ACTION_STOP_REPLICATION:
		if ((r = ap.r[SK_GR_REQUIRE_REPLICATION]) && !plan_restarts_replication(p, a))
			return refuse(why, len, r, SK_GR_REQUIRE_REPLICATION,
				      "it stops replication of instance '%s' to %s, and the plan starts none again",
				      a->instance, a->region);
		return 0;
	case SK_ACTION_DELETE:
		if ((r = ap.r[SK_GR_MIN_RETENTION])) {
			int64_t created = s && s->created ? s->created : a->source_created;
			if (!created || now - created < r->min_age)
				return refuse(why, len, r, SK_GR_MIN_RETENTION,
					      "snapshot '%s' is %s old, younger than %s", a->target,
					      created ? age_text(t1, now - created) : "of unknown age",
					      age_text(t2, r->min_age));
		}
		return 0;
	default:
		return 0;
	}
}

/* ---- the plan-wide guardrails: snapshots kept, and deletion budgets ---- */

struct budget {
	const char *instance;
	const struct sk_guardrail_rule *rule; /* the budget that binds */
	long left;                            /* deletions still allowed in its window */
	long cap, used, base;
};

struct enforcer {
	struct sk_diff *d;
	const struct sk_guardrails *g;
	struct budget *budgets;
	size_t n_budgets, cap_budgets;
	bool *refused; /* per action */
};

/* owned snapshots of instance the plan decided on (every place), before its deletions */
static long owned_now(const struct sk_plan *p, const char *instance)
{
	long n = 0;
	size_t i;

	for (i = 0; i < p->n_decisions; i++)
		if (p->decisions[i].snap->instance && !strcmp(p->decisions[i].snap->instance, instance))
			n++;
	return n;
}

static long used_in(const struct sk_plan_opts *o, const char *instance, int64_t since)
{
	long n = 0;
	size_t i;

	for (i = 0; i < o->n_deletions; i++)
		if (o->deletions[i].instance && !strcmp(o->deletions[i].instance, instance) && o->deletions[i].at > since)
			n++;
	return n;
}

/* the instance's budget: the tightest of the budget rules that apply to a */
static struct budget *budget_for(struct enforcer *e, const struct sk_action *a, const struct sk_inv_snapshot *s)
{
	const struct sk_inventory *inv = e->d->inv;
	const struct sk_inv_instance *in = sk_inventory_find_instance(inv, instance_region(a), a->instance);
	struct budget *b;
	size_t i;

	for (i = 0; i < e->n_budgets; i++)
		if (!strcmp(e->budgets[i].instance, a->instance))
			return &e->budgets[i];
	if (!(b = SK_ARRAY_PUSH(e->budgets, e->n_budgets, e->cap_budgets)))
		return NULL;
	memset(b, 0, sizeof(*b));
	b->instance = a->instance;
	b->left = -1; /* no budget */
	for (i = 0; i < e->g->n_rules; i++) {
		const struct sk_guardrail_rule *r = &e->g->rules[i];
		long used, base, cap;
		if (!r->has[SK_GR_DELETION_BUDGET] || !selects(r, a, in, s))
			continue;
		used = used_in(e->d->opts, a->instance, e->d->now - r->budget_window);
		base = owned_now(e->d->plan, a->instance) + used;
		cap = r->budget_count ? r->budget_count : (base * r->budget_percent + 99) / 100;
		if (b->left < 0 || cap - used < b->left) {
			b->rule = r;
			b->left = cap - used > 0 ? cap - used : 0;
			b->cap = cap;
			b->used = used;
			b->base = base;
		}
	}
	return b;
}

/* minSnapshots, minCopies: at least that many owned snapshots stay in the deletion's place */
static int check_kept(struct enforcer *e, char *why, size_t len, const struct sk_action *a)
{
	struct sk_plan_place *place = a->group ? sk_plan_group_place(e->d->plan, a->group, NULL) : NULL;
	const struct sk_inv_snapshot *s = find_snapshot(e->d->inv, a->region, a->target);
	const struct sk_guardrail_rule *r;
	struct applies ap;
	int k = a->source_region ? SK_GR_MIN_COPIES : SK_GR_MIN_SNAPSHOTS;

	applicable(&ap, e->g, a, e->d->inv, s);
	if ((r = ap.r[k]) && place && (long)place->kept < (long)floor_of(r, k))
		return refuse(why, len, r, k, "it would leave %zu owned %s of instance '%s' in %s, fewer than %lld",
			      place->kept, a->source_region ? "copies" : "snapshots", a->instance, a->region,
			      (long long)floor_of(r, k));
	return 0;
}

/* deletionBudget: the instance's deletions in the window stay within it */
static int check_budget(struct enforcer *e, char *why, size_t len, const struct sk_action *a)
{
	const struct sk_inv_snapshot *s = find_snapshot(e->d->inv, a->region, a->target);
	const struct sk_guardrail_rule *r;
	struct budget *b;
	char t[32];

	if (!(b = budget_for(e, a, s)))
		return -1;
	if (b->left == 0) {
		r = b->rule;
		if (r->budget_count)
			return refuse(why, len, r, SK_GR_DELETION_BUDGET,
				      "instance '%s' has used its %ld deletions per %s (%ld in the window before this plan)",
				      a->instance, b->cap, age_text(t, r->budget_window), b->used);
		return refuse(why, len, r, SK_GR_DELETION_BUDGET,
			      "instance '%s' has used its %ld deletions per %s (%d%% of %ld owned; %ld in the window "
			      "before this plan)",
			      a->instance, b->cap, age_text(t, r->budget_window), r->budget_percent, b->base, b->used);
	}
	if (b->left > 0)
		b->left--;
	return 0;
}

/* a refused deletion's snapshot stays: its decision, its place and its region say so */
static void keep_refused(struct sk_diff *d, const struct sk_action *a)
{
	struct sk_plan *p = d->plan;
	struct sk_plan_place *place = a->group ? sk_plan_group_place(p, a->group, NULL) : NULL;
	struct sk_diff_region *reg = sk_diff_region(d, a->region);
	size_t i;

	for (i = 0; i < p->n_decisions; i++) {
		struct sk_decision *dec = &p->decisions[i];
		if (dec->deleted && !strcmp(dec->snap->id, a->target) && !strcmp(dec->snap->region, a->region)) {
			dec->deleted = false;
			dec->keep |= SK_KEEP_GUARDRAIL;
			break;
		}
	}
	if (place)
		place->kept++;
	if (reg && reg->deletes) {
		reg->deletes--;
		reg->gib_delta += a->gib;
	}
}

static int add_refusal(struct sk_diff *d, const struct sk_action *a, const char *why)
{
	struct sk_plan *p = d->plan;
	struct sk_refusal *r = SK_ARRAY_PUSH(p->refused, p->n_refused, p->cap_refused);
	const char *name = why + strlen("guardrail ");

	if (!r)
		return -1;
	r->action = *a;
	r->message = sk_diff_intern(d, why);
	r->guardrail = sk_diff_printf(d, "%.*s", (int)strcspn(name, " "), name);
	return r->message && r->guardrail ? 0 : -1;
}

/* the actions left, in order, with depends_on renumbered */
static int compact(struct sk_plan *p, const bool *refused)
{
	size_t *map = calloc(p->n_actions + 1, sizeof(*map));
	size_t i, j;

	if (!map)
		return sk_error_set_oom();
	for (i = 0, j = 0; i < p->n_actions; i++)
		if (!refused[i]) {
			map[i] = j + 1;
			p->actions[j++] = p->actions[i];
		}
	p->n_actions = j;
	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].depends_on)
			p->actions[i].depends_on = map[p->actions[i].depends_on - 1];
	free(map);
	return 0;
}

/* refuses action i with why (r > 0), or goes on (r == 0) */
static int settle(struct enforcer *e, size_t i, int r, const char *why, size_t *n)
{
	const struct sk_action *a = &e->d->plan->actions[i];

	if (r <= 0)
		return r;
	e->refused[i] = true;
	(*n)++;
	if (add_refusal(e->d, a, why) < 0)
		return -1;
	if (a->kind == SK_ACTION_DELETE)
		keep_refused(e->d, a);
	return 0;
}

/*
 * Three passes: the guardrails of one action first (what they refuse is
 * kept, and counts as kept); then the snapshots kept per place, from the
 * newest deletion back (the newest candidates are the ones kept); then the
 * budgets, from the oldest deletion on (the oldest go first).
 */
int sk_guardrails_enforce(struct sk_diff *d)
{
	struct enforcer e;
	struct sk_plan *p = d->plan;
	char why[1024];
	size_t i, n = 0;
	int rc = -1;

	if (!d->opts->guardrails || !d->opts->guardrails->n_rules || !p->n_actions)
		return 0;
	memset(&e, 0, sizeof(e));
	e.d = d;
	e.g = d->opts->guardrails;
	if (!(e.refused = calloc(p->n_actions, sizeof(*e.refused))))
		return sk_error_set_oom();
	for (i = 0; i < p->n_actions; i++)
		if (settle(&e, i, sk_guardrails_check(why, sizeof(why), e.g, p, &p->actions[i], d->inv, d->now), why,
			   &n) < 0)
			goto done;
	for (i = p->n_actions; i-- > 0;)
		if (p->actions[i].kind == SK_ACTION_DELETE && !e.refused[i] &&
		    settle(&e, i, check_kept(&e, why, sizeof(why), &p->actions[i]), why, &n) < 0)
			goto done;
	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == SK_ACTION_DELETE && !e.refused[i] &&
		    settle(&e, i, check_budget(&e, why, sizeof(why), &p->actions[i]), why, &n) < 0)
			goto done;
	/* guardrails refuse no create, so a copy's depends_on still has its create */
	rc = n ? compact(p, e.refused) : 0;
done:
	if (rc < 0 && sk_error_last()->klass == SK_ERR_NONE)
		sk_error_set_oom();
	free(e.budgets);
	free(e.refused);
	return rc;
}
