/*
 * warnings.c - loud plans: the dangerous changes in a plan
 */
#include "reconciler/planner/warnings.h"

#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "reconciler/planner/context.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/ownership.h"
#include "specs/policy.h"

static int warn(struct sk_diff *d, enum sk_warning_kind kind, const char *policy, const char *instance,
		const char *region, const char *message)
{
	struct sk_plan *p = d->plan;
	struct sk_warning *w;

	if (!message || !(w = SK_ARRAY_PUSH(p->warnings, p->n_warnings, p->cap_warnings)))
		return -1;
	w->kind = kind;
	w->account = NULL;
	w->policy = policy ? sk_diff_intern(d, policy) : NULL;
	w->instance = instance ? sk_diff_intern(d, instance) : NULL;
	w->region = region ? sk_diff_intern(d, region) : NULL;
	w->message = message;
	return 0;
}

static bool restarts(const struct sk_plan *p, const struct sk_action *stop)
{
	size_t i;

	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == SK_ACTION_START_REPLICATION && !strcmp(p->actions[i].instance, stop->instance) &&
		    !strcmp(p->actions[i].source_region, stop->source_region))
			return true;
	return false;
}

static int action_warnings(struct sk_diff *d, const struct sk_action *a)
{
	const struct sk_inv_instance *in;

	switch (a->kind) {
	case SK_ACTION_MODIFY:
		in = sk_inventory_find_instance(d->inv, a->region, a->instance);
		if (a->retention == 0 &&
		    warn(d, SK_WARN_RETENTION_ZERO, a->policy, a->instance, a->region,
			 sk_diff_printf(d, "instance '%s' (%s): backup_retention_period %d → 0 turns automated backups "
					   "off: AWS deletes every automated backup of it and its point-in-time window",
					a->instance, a->region, in ? in->retention : -1)) < 0)
			return -1;
		if (a->deletion_protection == 0 &&
		    warn(d, SK_WARN_DELETION_PROTECTION_OFF, a->policy, a->instance, a->region,
			 sk_diff_printf(d, "instance '%s' (%s): deletion protection is turned off: one DeleteDBInstance "
					   "call can then delete it",
					a->instance, a->region)) < 0)
			return -1;
		return 0;
	case SK_ACTION_STOP_REPLICATION:
		if (restarts(d->plan, a))
			return 0;
		return warn(d, SK_WARN_REPLICATION_OFF, a->policy, a->instance, a->source_region,
			    sk_diff_printf(d, "instance '%s' (%s): replication of its automated backups to %s stops: no "
					      "backup reaches %s any more, and those there expire",
					   a->instance, a->source_region, a->region, a->region));
	default:
		return 0;
	}
}

static bool same_retain(const struct sk_retain *a, bool has_a, const struct sk_retain *b, bool has_b)
{
	return has_a == has_b && a->last == b->last && a->hourly == b->hourly && a->daily == b->daily &&
	       a->weekly == b->weekly && a->monthly == b->monthly && a->yearly == b->yearly &&
	       a->has_within == b->has_within && !memcmp(&a->within, &b->within, sizeof(a->within));
}

/* the retain rules of a place (own region: NULL copy region), or NULL */
static const struct sk_retain *retain_of(const struct sk_policy *p, const char *copy_region, bool *has)
{
	size_t i;

	if (!copy_region) {
		*has = p->has_retain;
		return &p->retain;
	}
	for (i = 0; i < p->n_copies; i++)
		if (!strcmp(p->copies[i].region, copy_region)) {
			*has = p->copies[i].has_retain;
			return &p->copies[i].retain;
		}
	return NULL;
}

/* did the place's retention rules change since the last applied commit? */
static bool retain_changed(const struct sk_diff *d, const char *policy, const char *copy_region)
{
	const struct sk_policyset *prev = d->opts->previous;
	const struct sk_policy *old = sk_policyset_policy(prev, policy), *now = sk_policyset_policy(d->set, policy);
	const struct sk_retain *a, *b;
	bool ha = false, hb = false;

	if (!old || !now || !strcmp(prev->commit, d->set->commit))
		return false;
	a = retain_of(old, copy_region, &ha);
	b = retain_of(now, copy_region, &hb);
	return a && b && !same_retain(a, ha, b, hb);
}

/*
 * Every place whose retention rules changed since the last applied commit
 * and that loses more than a quarter of what it owns (and more than a
 * day's rotation)
 */
static int delete_many(struct sk_diff *d)
{
	struct sk_plan *p = d->plan;
	size_t *dels = calloc(p->n_groups + 1, sizeof(*dels));
	size_t i, g;
	int rc = 0;

	if (!dels)
		return sk_error_set_oom();
	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == SK_ACTION_DELETE && p->actions[i].group && p->actions[i].group <= p->n_groups)
			dels[p->actions[i].group]++;
	for (g = 1; g <= p->n_groups && rc == 0; g++) {
		const struct sk_plan_instance *in = NULL;
		const struct sk_plan_place *pl = sk_plan_group_place(p, g, &in);
		size_t owned;
		if (!pl || !in || dels[g] <= SK_WARN_DELETE_MIN)
			continue;
		owned = pl->kept + dels[g];
		if (dels[g] * 100 <= owned * SK_WARN_DELETE_PERCENT ||
		    !retain_changed(d, in->policy, pl == &in->own ? NULL : pl->region))
			continue;
		rc = warn(d, SK_WARN_DELETE_MANY, in->policy, in->instance, pl->region,
			  sk_diff_printf(d, "policy '%s' changed its retention rules since the last applied commit %.12s: "
					    "it deletes %zu of the %zu snapshots it owns of instance '%s' in %s (more than "
					    "%d%%)",
					 in->policy, d->opts->previous->commit, dels[g], owned, in->instance, pl->region,
					 SK_WARN_DELETE_PERCENT));
	}
	free(dels);
	return rc;
}

/* owned snapshots of policy (and instance, when given) in the inventory */
static size_t orphans(const struct sk_inventory *inv, const char *policy, const char *instance)
{
	size_t i, n = 0;

	for (i = 0; i < inv->n_snapshots; i++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[i];
		const char *pol = sk_tag_get(s->tags, s->n_tags, SK_TAG_POLICY);
		const char *ins = sk_tag_get(s->tags, s->n_tags, SK_TAG_INSTANCE);
		if (s->type == SK_SNAP_MANUAL && pol && !strcmp(pol, policy) && (!instance || (ins && !strcmp(ins, instance))))
			n++;
	}
	return n;
}

static bool selects(const struct sk_policy *p, const struct sk_inv_instance *in)
{
	const char *keys[64], *values[64];
	size_t i, n = in->n_tags < 64 ? in->n_tags : 64;

	for (i = 0; i < n; i++) {
		keys[i] = in->tags[i].key;
		values[i] = in->tags[i].value;
	}
	return sk_policy_selects(p, in->region, in->id, keys, values, n);
}

/* what the repository dropped since the last applied commit */
static int removals(struct sk_diff *d, const struct sk_policyset *prev)
{
	const struct sk_inventory *inv = d->inv;
	size_t i, k;

	for (i = 0; i < prev->n_policies; i++) {
		const struct sk_policy *old = &prev->policies[i], *now = sk_policyset_policy(d->set, old->name);
		if (!now) {
			size_t n = orphans(inv, old->name, NULL);
			if (warn(d, SK_WARN_POLICY_REMOVED, old->name, NULL, NULL,
				 n ? sk_diff_printf(d, "policy '%s' of the last applied commit %.12s is gone: its %zu "
						       "snapshots are orphaned, not deleted (nothing manages them any "
						       "more), and its instances get no new ones",
						    old->name, prev->commit, n)
				   : sk_diff_printf(d, "policy '%s' of the last applied commit %.12s is gone: nothing "
						       "manages its instances' backups any more (their settings stay as "
						       "they are)",
						    old->name, prev->commit)) < 0)
				return -1;
			continue;
		}
		for (k = 0; k < inv->n_instances; k++) {
			const struct sk_inv_instance *in = &inv->instances[k];
			if (!sk_diff_region_wanted(d, in->region) || !selects(old, in) || selects(now, in))
				continue;
			if (warn(d, SK_WARN_INSTANCE_REMOVED, old->name, in->id, in->region,
				 sk_diff_printf(d, "instance '%s' (%s) was selected by policy '%s' at the last applied "
						   "commit %.12s and is no more: its %zu snapshots are orphaned, not deleted, "
						   "and it gets no new ones",
						in->id, in->region, old->name, prev->commit,
						orphans(inv, old->name, in->id))) < 0)
				return -1;
		}
	}
	return 0;
}

int sk_warnings_compute(struct sk_diff *d)
{
	const struct sk_policyset *prev = d->opts->previous;
	size_t i;

	for (i = 0; i < d->plan->n_actions; i++)
		if (action_warnings(d, &d->plan->actions[i]) < 0)
			goto oom;
	if (delete_many(d) < 0)
		goto oom;
	if (prev && strcmp(prev->commit, d->set->commit) && removals(d, prev) < 0)
		goto oom;
	return 0;
oom:
	if (sk_error_last()->klass == SK_ERR_NONE)
		sk_error_set_oom();
	return -1;
}
