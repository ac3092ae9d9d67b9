/*
 * guard.c - apply's last check before each call
 */
#include "reconciler/engine/guard.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/guardrails.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/naming.h"
#include "reconciler/planner/ownership.h"
#include "specs/policy.h"

struct guard {
	const struct sk_plan *plan;
	const struct sk_inventory *inv;
	const struct sk_policyset *set;
};

static const char *str(const char *s)
{
	return s ? s : "";
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int refuse(const struct sk_action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int check_action(const struct sk_plan *plan, const struct sk_action *a, const struct sk_inventory *inv,
			const struct sk_policyset *set);

/* "refused delete of snapshot 'x' in us-east-1: <why>; no call was made" (SK_ERR_SAFETY) */
static int refuse(const struct sk_action *a, const char *fmt, ...)
{
	char what[768], why[1024];
	va_list ap;

	switch (a->kind) {
	case SK_ACTION_MODIFY:
		snprintf(what, sizeof(what), "%s '%s' in %s", a->cluster ? "cluster" : "instance", str(a->target),
			 str(a->region));
		break;
	case SK_ACTION_START_REPLICATION:
	case SK_ACTION_STOP_REPLICATION:
		snprintf(what, sizeof(what), "instance '%s' (%s) to %s", str(a->instance), str(a->source_region),
			 str(a->region));
		break;
	case SK_ACTION_CREATE:
		snprintf(what, sizeof(what), "snapshot '%s' of instance '%s' in %s", str(a->target), str(a->instance),
			 str(a->region));
		break;
	case SK_ACTION_COPY:
		snprintf(what, sizeof(what), "'%s' (%s) to '%s' in %s", str(a->source_snapshot), str(a->source_region),
			 str(a->target), str(a->region));
		break;
	default:
		snprintf(what, sizeof(what), "snapshot '%s' in %s", str(a->target), str(a->region));
		break;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return sk_error_set(SK_ERR_SAFETY, "refused %s of %s: %s; no call was made", sk_action_kind_name(a->kind), what,
			    why);
}

/* " at commit 3f2a9c1d4e5b", or "" for policies read from no commit */
static const char *at_commit(char out[32], const struct sk_policyset *set)
{
	if (set->commit[0])
		snprintf(out, 32, " at commit %.12s", set->commit);
	else
		out[0] = '\0';
	return out;
}

/* the action's instance exists in region and policy p selects it at the plan's commit */
static int check_selected(const struct guard *g, const struct sk_action *a, const struct sk_policy *p, const char *region,
			  const struct sk_inv_instance **out)
{
	const struct sk_inv_instance *in;
	char at[32];
	bool yes;

	*out = NULL;
	if (!a->instance || !region)
		return refuse(a, "it names no instance or region");
	in = a->cluster ? sk_inventory_find_cluster(g->inv, region, a->instance)
			: sk_inventory_find_instance(g->inv, region, a->instance);
	if (!in)
		return refuse(a, "%s '%s' is not in the live state observed in %s", a->cluster ? "cluster" : "instance",
			      a->instance, region);
	yes = sk_policy_selects_instance(p, in);
	if (!yes)
		return refuse(a, "policy '%s' does not select %s '%s' in %s%s", p->name,
			      a->cluster ? "cluster" : "instance", in->id, region, at_commit(at, g->set));
	*out = in;
	return 0;
}

/* copies name their source (tag or SourceDBSnapshotIdentifier); the planner keeps them apart from snapshots */
static bool is_copy(const struct sk_inv_snapshot *s)
{
	return sk_tag_get(s->tags, s->n_tags, SK_TAG_SOURCE) || s->source_arn;
}

/* a snapshot's time as the planner orders them: a copy's is its source's; else the slot it stands for */
static int64_t snap_time(const struct sk_inv_snapshot *s)
{
	const char *slot = sk_tag_get(s->tags, s->n_tags, SK_TAG_SLOT);
	int64_t t = is_copy(s) ? s->original_created : s->created;

	if (!t && slot && sk_time_parse_rfc3339(&t, slot) < 0)
		t = 0;
	return t;
}

/* the snapshot id in region, of the kind (cluster snapshot or not), looked up among instance's first */
static const struct sk_inv_snapshot *find_snapshot(const struct sk_inventory *inv, const char *region,
						   const char *instance, const char *id, bool cluster)
{
	size_t b, e, i;

	sk_inventory_snapshot_range(inv, region, instance, &b, &e);
	for (i = b; i < e; i++)
		if (!strcmp(inv->snapshots[i].id, id) && inv->snapshots[i].cluster == cluster)
			return &inv->snapshots[i];
	for (i = 0; i < inv->n_snapshots; i++)
		if (!strcmp(inv->snapshots[i].id, id) && !strcmp(inv->snapshots[i].region, region) &&
		    inv->snapshots[i].cluster == cluster)
			return &inv->snapshots[i];
	return NULL;
}

/* why a snapshot is not (policy, instance)'s, for the message */
static void why_not_owned(char *out, size_t len, const struct sk_inv_snapshot *s)
{
	const char *pol = sk_tag_get(s->tags, s->n_tags, SK_TAG_POLICY);
	const char *ins = sk_tag_get(s->tags, s->n_tags, SK_TAG_INSTANCE);

	if (s->type != SK_SNAP_MANUAL)
		snprintf(out, len, "it is %s snapshot", s->type == SK_SNAP_AUTOMATED ? "an automated" : "a shared or AWS Backup");
	else if (s->status == SK_SNAP_DELETING)
		snprintf(out, len, "it is being deleted");
	else if (!pol)
		snprintf(out, len, "it carries no %s tag", SK_TAG_POLICY);
	else
		snprintf(out, len, "its tags name policy '%s' and instance '%s'", pol, ins ? ins : "(none)");
}

static int check_delete(const struct guard *g, const struct sk_action *a)
{
	const struct sk_inventory *inv = g->inv;
	const struct sk_inv_snapshot *s, *newest = NULL;
	char why[512];
	size_t b, e, i;

	if (!a->instance)
		return refuse(a, "it names no instance");
	s = find_snapshot(inv, a->region, a->instance, a->target, a->cluster);
	if (!s)
		return refuse(a, "it is not in the live state observed in %s", a->region);
	if (!sk_snapshot_owned_by(s, a->policy, a->instance)) {
		why_not_owned(why, sizeof(why), s);
		return refuse(a, "it is not owned by policy '%s' for instance '%s': %s", a->policy, a->instance, why);
	}
	/* the newest available one of its place (copies and snapshots apart) is never deleted */
	sk_inventory_snapshot_range(inv, a->region, a->instance, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *o = &inv->snapshots[i];
		int64_t to, tn;
		if (o->status != SK_SNAP_AVAILABLE || is_copy(o) != is_copy(s) || o->cluster != s->cluster ||
		    !sk_snapshot_owned_by(o, a->policy, a->instance))
			continue;
		to = snap_time(o);
		tn = newest ? snap_time(newest) : 0;
		if (!newest || to > tn || (to == tn && strcmp(o->id, newest->id) > 0))
			newest = o;
	}
	if (newest == s)
		return refuse(a, "it is the newest available %s of instance '%s' that policy '%s' owns in %s",
			      is_copy(s) ? "copy" : "snapshot", a->instance, a->policy, a->region);
	return 0;
}

static int check_copy(const struct guard *g, const struct sk_action *a, const struct sk_inv_instance *in)
{
	char buf[SK_ARN_MAX], why[512];
	const char *arn;

	if (!a->source_snapshot || !a->source_arn)
		return refuse(a, "it names no source snapshot");
	if (a->depends_on) {
		/* a snapshot this plan creates first */
		const struct sk_action *c = a->depends_on <= g->plan->n_actions ? &g->plan->actions[a->depends_on - 1] : NULL;
		if (!c || c->kind != SK_ACTION_CREATE || !same(c->target, a->source_snapshot) ||
		    !same(c->region, a->source_region) || !same(c->policy, a->policy) || !same(c->instance, a->instance))
			return refuse(a, "its source is not a snapshot this plan creates for policy '%s' and instance '%s'",
				      a->policy, a->instance);
		arn = sk_naming_snapshot_arn(buf, sizeof(buf), in, a->source_snapshot);
	} else {
		const struct sk_inv_snapshot *s =
			find_snapshot(g->inv, a->source_region, a->instance, a->source_snapshot, a->cluster);
		if (!s)
			return refuse(a, "its source is not in the live state observed in %s", a->source_region);
		if (!sk_snapshot_owned_by(s, a->policy, a->instance) || is_copy(s)) {
			why_not_owned(why, sizeof(why), s);
			return refuse(a, "its source is not a snapshot of instance '%s' that policy '%s' owns: %s",
				      a->instance, a->policy, is_copy(s) ? "it is a copy" : why);
		}
		arn = sk_inv_snapshot_arn(s, buf, sizeof(buf));
	}
	/* what the call copies is source_arn: it must be that snapshot's */
	if (!arn || strcmp(arn, a->source_arn))
		return refuse(a, "its source ARN '%s' is not the ARN of snapshot '%s' in %s", a->source_arn,
			      a->source_snapshot, a->source_region);
	return 0;
}

int sk_guard_action(const struct sk_plan *plan, const struct sk_action *a, const struct sk_inventory *inv,
		    const struct sk_policyset *set, const struct sk_guardrails *guardrails)
{
	char why[1024];

	if (guardrails && inv && sk_guardrails_check(why, sizeof(why), guardrails, plan, a, inv, plan->now))
		return refuse(a, "%s", why);
	return check_action(plan, a, inv, set);
}

static int check_action(const struct sk_plan *plan, const struct sk_action *a, const struct sk_inventory *inv,
			const struct sk_policyset *set)
{
	const struct guard gd = { plan, inv, set }, *g = &gd;
	const struct sk_policy *p;
	const struct sk_inv_instance *in = NULL;
	char at[32];

	if (!g->inv || !g->set)
		return refuse(a, "apply was given no live inventory and policies to check it against%s",
			      a->kind == SK_ACTION_DELETE ? " (nothing is deleted unchecked)" : "");
	p = sk_policyset_policy(g->set, a->policy);
	if (!p)
		return refuse(a, "policy '%s' is not among the policies%s", str(a->policy), at_commit(at, g->set));
	/* apply never reaches here with an action the plan marked suspended; a plan that did not mark it is refused */
	if (p->suspend)
		return refuse(a, "policy '%s' is suspended (spec.suspend: true)%s", p->name, at_commit(at, g->set));
	switch (a->kind) {
	case SK_ACTION_DELETE:
		return check_delete(g, a);
	case SK_ACTION_MODIFY:
		if (!same(a->target, a->instance))
			return refuse(a, "it changes instance '%s' but names instance '%s'", str(a->target), str(a->instance));
		return check_selected(g, a, p, a->region, &in);
	case SK_ACTION_START_REPLICATION:
	case SK_ACTION_STOP_REPLICATION:
		if (check_selected(g, a, p, a->source_region, &in) < 0)
			return -1;
		if (!same(in->arn, a->source_arn))
			return refuse(a, "its source ARN '%s' is not the ARN of instance '%s'", str(a->source_arn), in->id);
		return 0;
	case SK_ACTION_CREATE:
	case SK_ACTION_COPY:
		if (check_selected(g, a, p, a->kind == SK_ACTION_COPY ? a->source_region : a->region, &in) < 0)
			return -1;
		if (!sk_tags_owned_by(a->tags, a->n_tags, a->policy, a->instance))
			return refuse(a, "the tags it puts on do not name policy '%s' and instance '%s'", a->policy,
				      a->instance);
		return a->kind == SK_ACTION_COPY ? check_copy(g, a, in) : 0;
	}
	return refuse(a, "unknown action");
}
