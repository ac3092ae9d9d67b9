/*
 * lifecycle_copies.c - cross-region copies: the copies one (policy,
 * instance) makes and keeps in each copy region, the copies of regions
 * whose source region --region leaves out, and the holds and notes for
 * copy regions --region leaves out
 */
#include "reconciler/planner/lifecycle_copies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "common/array.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/lifecycle_index.h"
#include "reconciler/planner/naming.h"
#include "reconciler/planner/ownership.h"
#include "specs/policy.h"

struct sk_lc_outside {
	const char *policy;
	const char *region;
	size_t instances;
	size_t held; /* sources kept: a copy of them may be in progress there */
};

/* the count of what a policy's copies to a region outside --region leave undone (one note per policy and region) */
static struct sk_lc_outside *outside_of(struct sk_lc_copies *cs, struct sk_diff *d, const struct sk_policy *p,
					const char *region)
{
	struct sk_lc_outside *o;
	size_t i;

	for (i = 0; i < cs->n_outside; i++)
		if (!strcmp(cs->outside[i].policy, p->name) && !strcmp(cs->outside[i].region, region))
			return &cs->outside[i];
	if (!(o = SK_ARRAY_PUSH(cs->outside, cs->n_outside, cs->cap_outside))) {
		d->failed = true;
		return NULL;
	}
	memset(o, 0, sizeof(*o));
	o->policy = p->name;
	o->region = region;
	return o;
}

void sk_lc_copies_hold_pending(const struct sk_lc_copies *cs, struct sk_diff *d, const char *region,
			       struct sk_lc_group *g)
{
	size_t i, k;

	for (i = 0; i < g->n; i++) {
		struct sk_lc_item *it = &g->items[i];
		for (k = it->planned ? SIZE_MAX : sk_lc_index_first(cs->index, d->inv, region, it->id); k != SIZE_MAX;
		     k = cs->index->next[k])
			if (d->inv->snapshots[k].status == SK_SNAP_CREATING)
				it->keep |= SK_KEEP_COPY_PENDING;
	}
}

int sk_lc_copies_hold_outside(struct sk_lc_copies *cs, struct sk_diff *d, const struct sk_policy *p,
			      const struct sk_inv_instance *in, struct sk_lc_group *g)
{
	size_t c, i;

	for (c = 0; c < p->n_copies; c++) {
		struct sk_lc_outside *o;
		if (!strcmp(p->copies[c].region, in->region) || sk_diff_dest_wanted(d, p->copies[c].region))
			continue;
		if (!(o = outside_of(cs, d, p, p->copies[c].region)))
			return -1;
		for (i = 0; i < g->n; i++)
			if (!g->items[i].planned && !g->items[i].keep) {
				g->items[i].keep |= SK_KEEP_COPY_PENDING;
				o->held++;
			}
	}
	return 0;
}

static bool arn_parts(const char *arn, char part[32], char acct[32])
{
	struct sk_arn a;

	return sk_arn_parse(&a, arn) == 0 && sk_arn_part_copy(part, 32, a.partition) == 0 &&
	       sk_arn_part_copy(acct, 32, a.account) == 0;
}

/*
 * The partition and account of an instance, from its ARN, else from one of
 * its snapshots' in its region (an inventory file may give neither).
 */
static bool instance_arn_parts(const struct sk_diff *d, const struct sk_inv_instance *in, char part[32],
			       char acct[32])
{
	size_t b, e, i;

	if (arn_parts(in->arn, part, acct))
		return true;
	sk_inventory_snapshot_range(d->inv, in->region, in->id, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *s = &d->inv->snapshots[i];
		if (arn_parts(s->arn ? s->arn : s->arn_prefix, part, acct))
			return true;
	}
	return false;
}

/*
 * A source item's ARN, put together in the plan's arena only when a copy
 * needs it: from the inventory (its own, or its region's prefix and its
 * id) or, for a snapshot this plan takes or a hand-written inventory
 * without ARNs, from the instance's.
 */
static const char *item_arn(struct sk_diff *d, struct sk_lc_item *it, const struct sk_inv_instance *in)
{
	char buf[SK_ARN_MAX], part[32], acct[32];
	const char *arn;

	if (it->arn)
		return it->arn;
	if (it->snap && (arn = sk_inv_snapshot_arn(it->snap, buf, sizeof(buf))))
		return it->arn = sk_diff_intern(d, arn);
	if (instance_arn_parts(d, in, part, acct))
		it->arn = sk_diff_printf(d, "arn:%s:rds:%s:%s:%s:%s", part, in->region, acct,
					 in->is_cluster ? "cluster-snapshot" : "snapshot", it->id);
	return it->arn;
}

/* a copy's identifier (naming.h) */
static const char *copy_id(struct sk_diff *d, const char *source_id, const char *source_region)
{
	char id[SK_SNAPSHOT_ID_MAX + 1];

	if (sk_naming_copy(id, source_id, source_region) < 0) {
		d->failed = true;
		return NULL;
	}
	return sk_diff_intern(d, id);
}

/*
 * The copies policy p owns of instance in snapshots [b, e) of the
 * inventory that came from region from.  bad: when not NULL, the first of
 * those copies that is failed or unknown, owned or not.
 */
static int add_copies(struct sk_diff *d, struct sk_lc_group *g, const struct sk_policy *p, const char *instance,
		      const char *from, size_t b, size_t e, const struct sk_inv_snapshot **bad)
{
	size_t i;

	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *s = &d->inv->snapshots[i];
		const char *source = sk_lc_copy_source(s);
		if (!sk_lc_copy_from_region(s, from) || s->cluster != p->clusters)
			continue;
		if (bad && !*bad && sk_lc_bad_status(s))
			*bad = s;
		if (!source || !sk_snapshot_owned_by(s, p->name, instance))
			continue;
		if (!sk_lc_group_add_snapshot(d, g, s, source))
			return -1;
	}
	return 0;
}

/*
 * The sources the rules keep with no copy in c->region yet, as planned
 * copies: only what exists, or is made in this run, can be copied.
 * Snapshots [b, e) are the instance's in c->region.
 */
static int add_missing(struct sk_lc_copies *cs, struct sk_diff *d, const struct sk_lc_source *src,
		       const struct sk_policy_copy *c, size_t b, size_t e)
{
	const struct sk_policy *p = src->policy;
	const struct sk_inv_instance *in = src->in;
	size_t i, k, n_no_arn = 0;

	for (i = 0; i < src->snapshots->n; i++) {
		struct sk_lc_item *s = &src->snapshots->items[i], *it;
		bool have = false;
		const char *id;
		if (!s->keep || (!s->available && !s->planned) || s->deferred || s->refused)
			continue;
		if (!item_arn(d, s, in)) {
			n_no_arn++;
			continue;
		}
		for (k = s->planned ? SIZE_MAX : sk_lc_index_first(cs->index, d->inv, in->region, s->id); k != SIZE_MAX;
		     k = cs->index->next[k]) {
			const struct sk_inv_snapshot *cp = &d->inv->snapshots[k];
			if (!strcmp(cp->region, c->region) && cp->cluster == p->clusters &&
			    sk_snapshot_owned_by(cp, p->name, in->id))
				have = true;
		}
		if (have)
			continue;
		if (!(id = copy_id(d, s->id, in->region)))
			return -1;
		for (k = b; k < e && strcmp(d->inv->snapshots[k].id, id); k++)
			;
		if (k < e) {
			/* the name is taken by a snapshot this policy does not own as that source's copy */
			sk_diff_note(d, SK_NOTE_WARNING, c->region, in->id,
				     "no copy of '%s' is made: snapshot '%s' exists in %s and policy '%s' does not own it "
				     "as that copy; it is kept, not managed",
				     s->id, id, c->region, p->name);
			continue;
		}
		if (!(it = sk_lc_group_add(d, &cs->dst)))
			return -1;
		it->planned = true;
		it->source = s;
		it->id = id;
		it->time = s->time;
		it->slot = s->planned ? s->slot : (s->snap ? sk_lc_slot_of(s->snap) : 0);
		it->gib = s->gib;
	}
	if (n_no_arn)
		sk_diff_note(d, SK_NOTE_WARNING, c->region, in->id,
			     "%zu cop%s of %s not planned: no ARN is known for %s (the inventory gives neither the "
			     "instance's nor its snapshots' ARNs)",
			     n_no_arn, n_no_arn == 1 ? "y" : "ies", in->id, n_no_arn == 1 ? "its source" : "their sources");
	return 0;
}

/*
 * The kept missing copies, newest first, within the quota.  All of them:
 * apply keeps at most copies_at_once in progress per region and starts the
 * next ones as earlier ones become available.  A copy the quota refuses
 * is still counted by the rules, so the deletions it causes make room.
 */
static int within_quota(struct sk_diff_region *reg, const char *instance, struct sk_lc_group *g)
{
	struct sk_lc_item **wanted = calloc(g->n + 1, sizeof(*wanted));
	size_t i, n_wanted = 0;

	if (!wanted)
		return sk_error_set_oom();
	for (i = 0; i < g->n; i++)
		if (g->items[i].planned && !g->items[i].deferred)
			wanted[n_wanted++] = &g->items[i];
	qsort(wanted, n_wanted, sizeof(*wanted), sk_lc_cmp_newest);
	for (i = 0; i < n_wanted; i++) {
		if (!sk_diff_quota_room(reg, instance, true))
			wanted[i]->refused = true;
		else
			reg->copies++;
	}
	free(wanted);
	return 0;
}

static void copy_actions(struct sk_diff *d, struct sk_lc_group *g, const struct sk_lc_source *src,
			 const struct sk_policy_copy *c, struct sk_diff_region *reg, const char *retain_text, size_t group)
{
	const struct sk_policy *p = src->policy;
	const struct sk_inv_instance *in = src->in;
	size_t i;

	for (i = 0; i < g->n; i++) {
		struct sk_lc_item *it = &g->items[i];
		const struct sk_lc_item *s = it->source;
		struct sk_action a;
		char slot_text[SK_TIME_RFC3339_MAX];
		if (!it->planned || it->deferred || it->refused)
			continue;
		sk_lc_action(d, &a, SK_ACTION_COPY, p, reg->region, in->id, it->id);
		if (c->has_retain) {
			struct sk_buf why = SK_BUF_INIT;
			sk_keep_reasons_format(&why, it->keep & SK_KEEP_RULE_MASK);
			a.reason = sk_diff_printf(d, "the %s copies' rules keep it: %s (%s)", c->region, sk_buf_cstr(&why),
						  retain_text);
			sk_buf_free(&why);
		} else {
			a.reason = sk_diff_printf(d, "the %s copies keep every copy (no retain rules)", c->region);
		}
		a.keep = it->keep;
		a.source_region = in->region;
		a.source_arn = s->arn;
		a.source_snapshot = s->id;
		a.source_created = s->planned ? 0 : s->time; /* 0: the source is taken in this run */
		a.kms_key_id = c->kms_key_id ? sk_diff_intern(d, c->kms_key_id) : NULL;
		a.slot = it->slot;
		sk_time_format_rfc3339(slot_text, it->slot ? it->slot : s->time);
		a.tags = sk_lc_tags(d, p, in->id, sk_diff_intern(d, slot_text), s->arn, s->snap, &a.n_tags);
		a.gib = it->gib;
		a.depends_on = s->action;
		a.group = group;
		if (sk_diff_action(d, &a))
			it->action = d->plan->n_actions;
		reg->gib_delta += it->gib;
	}
}

int sk_lc_copies_plan(struct sk_lc_copies *cs, struct sk_diff *d, const struct sk_lc_source *src,
		      const struct sk_policy_copy *c, size_t place)
{
	const struct sk_policy *p = src->policy;
	const struct sk_inv_instance *in = src->in;
	struct sk_lc_group *g = &cs->dst;
	struct sk_plan_place *summary = &d->plan->instances[src->instance].copies[place - 1];
	struct sk_diff_region *reg;
	const char *retain_text;
	size_t b, e, group;

	if (!strcmp(c->region, in->region))
		return 0;
	summary->region = sk_diff_intern(d, c->region);
	if (!sk_diff_dest_wanted(d, c->region)) {
		struct sk_lc_outside *o = outside_of(cs, d, p, c->region);
		if (!o)
			return -1;
		o->instances++;
		return 0;
	}
	if (!sk_inventory_has_region(d->inv, c->region)) {
		sk_diff_note(d, SK_NOTE_WARNING, c->region, in->id, "copies to %s not planned: %s was not observed",
			     c->region, c->region);
		return 0;
	}
	if (!(reg = sk_diff_region(d, c->region)))
		return -1;
	if (!(group = sk_plan_add_group(d->plan, src->instance, place))) {
		d->failed = true;
		return -1;
	}
	g->n = 0;
	/* the copies this policy owns of this instance in the destination, then the ones missing there */
	sk_inventory_snapshot_range(d->inv, c->region, in->id, &b, &e);
	if (add_copies(d, g, p, in->id, in->region, b, e, NULL) < 0 || add_missing(cs, d, src, c, b, e) < 0)
		return -1;
	retain_text = sk_lc_retain_text(d, &c->retain, c->has_retain);
	if (sk_lc_settle_rules(&c->retain, c->has_retain, g) < 0 || within_quota(reg, in->id, g) < 0)
		return -1;
	sk_lc_safety(d, g,
		     &(struct sk_lc_safety){ .policy = p, .budget = &cs->budget[p - d->set->policies],
					     .region = c->region, .instance = in->id, .what = "copies",
					     .bad = src->bad, .place = summary });
	if (d->failed)
		return -1;
	copy_actions(d, g, src, c, reg, retain_text, group);
	if (sk_lc_room_made(&c->retain, c->has_retain, g) < 0) {
		d->failed = true;
		return -1;
	}
	sk_lc_delete_actions(d, g, p, in, c->region, retain_text, reg, group);
	sk_lc_record_decisions(d, g, p, reg, group);
	return d->failed ? -1 : 0;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* is the instance one the policy may select, as far as the copies' region tells? */
static bool may_select(const struct sk_policy *p, const char *instance)
{
	size_t k;

	if (!p->n_instances)
		return true; /* a tag selector: the instance's tags are in its own region */
	for (k = 0; k < p->n_instances; k++)
		if (!strcmp(p->instances[k].name, instance))
			return true;
	return false;
}

/*
 * The copies of one instance in region c->region that came from source,
 * snapshots [b, e) of the inventory: kept or deleted by the copy rules and
 * the safety rules, as sk_lc_copies_plan does, without new copies.
 */
static int copies_by_rules(struct sk_lc_copies *cs, struct sk_diff *d, const struct sk_policy *p,
			   const struct sk_policy_copy *c, const char *source, size_t b, size_t e,
			   const char *retain_text)
{
	struct sk_lc_group *g = &cs->dst;
	const struct sk_inv_snapshot *bad = NULL;
	struct sk_diff_region *reg;
	struct sk_inv_instance in;

	memset(&in, 0, sizeof(in));
	in.id = d->inv->snapshots[b].instance;
	in.region = source;
	g->n = 0;
	if (add_copies(d, g, p, in.id, source, b, e, &bad) < 0)
		return -1;
	if (!g->n)
		return 0;
	if (!(reg = sk_diff_region(d, c->region)))
		return -1;
	if (sk_lc_settle_rules(&c->retain, c->has_retain, g) < 0)
		return -1;
	sk_lc_safety(d, g,
		     &(struct sk_lc_safety){ .policy = p, .budget = &cs->budget[p - d->set->policies],
					     .region = c->region, .instance = in.id, .what = "copies", .bad = bad });
	if (d->failed)
		return -1;
	/* group 0: no create or copy of this run is made for them, so nothing holds their deletions */
	sk_lc_delete_actions(d, g, p, &in, c->region, retain_text, reg, 0);
	sk_lc_record_decisions(d, g, p, reg, 0);
	return d->failed ? -1 : 0;
}

/* the copies in region cp->region of policy p from source, one instance at a time (the inventory is sorted so) */
static int copies_from(struct sk_lc_copies *cs, struct sk_diff *d, const struct sk_policy *p,
		       const struct sk_policy_copy *cp, const char *source, const char *retain_text)
{
	const struct sk_inventory *inv = d->inv;
	size_t k, e;

	for (k = 0; k < inv->n_snapshots; k = e) {
		const struct sk_inv_snapshot *s = &inv->snapshots[k];
		for (e = k + 1; e < inv->n_snapshots && !strcmp(inv->snapshots[e].region, s->region) &&
				same_text(inv->snapshots[e].instance, s->instance);
		     e++)
			;
		if (strcmp(s->region, cp->region) || !s->instance || !may_select(p, s->instance))
			continue;
		if (copies_by_rules(cs, d, p, cp, source, k, e, retain_text) < 0)
			return -1;
	}
	return 0;
}

int sk_lc_copies_only(struct sk_lc_copies *cs, struct sk_diff *d)
{
	size_t i, c, j;

	/*
	 * without --region every source region is observed: copies follow their
	 * sources (sk_lc_copies_plan); a shard's copies into other shards are
	 * its own, and the ones made into it are its sources' shards'
	 */
	if (!d->opts->n_regions || d->opts->shard)
		return 0;
	for (i = 0; i < d->set->n_policies; i++) {
		const struct sk_policy *p = &d->set->policies[i];
		for (c = 0; p->has_snapshots && c < p->n_copies; c++) {
			const struct sk_policy_copy *cp = &p->copies[c];
			const char *retain_text;
			if (!sk_diff_region_wanted(d, cp->region) || !sk_inventory_has_region(d->inv, cp->region))
				continue;
			retain_text = sk_lc_retain_text(d, &cp->retain, cp->has_retain);
			for (j = 0; j < p->n_regions; j++) {
				const char *source = p->regions[j].name;
				if (!strcmp(source, cp->region) || sk_diff_region_wanted(d, source))
					continue;
				sk_diff_note(d, SK_NOTE_DEFERRED, cp->region, NULL,
					     "policy '%s': no new copies are made in %s: their source region %s is not in "
					     "--region; the copies there are kept or deleted by their rules (%s)",
					     p->name, cp->region, source, retain_text);
				if (copies_from(cs, d, p, cp, source, retain_text) < 0)
					return -1;
			}
		}
	}
	return d->failed ? -1 : 0;
}

void sk_lc_copies_notes(const struct sk_lc_copies *cs, struct sk_diff *d)
{
	size_t i, at_once = (size_t)d->plan->copies_at_once;

	for (i = 0; i < cs->n_outside; i++) {
		const struct sk_lc_outside *o = &cs->outside[i];
		char held[160] = "";
		if (o->held)
			snprintf(held, sizeof(held),
				 "; %zu snapshot%s the rules let go %s kept until then, as a copy of %s may be in progress "
				 "there",
				 o->held, o->held == 1 ? "" : "s", o->held == 1 ? "is" : "are", o->held == 1 ? "it" : "them");
		sk_diff_note(d, SK_NOTE_DEFERRED, o->region, NULL,
			     "policy '%s': copies of %zu instance%s to %s are left for a run that includes %s: it is not "
			     "in --region%s",
			     o->policy, o->instances, o->instances == 1 ? "" : "s", o->region, o->region, held);
	}
	for (i = 0; i < d->n_regions; i++) {
		const struct sk_diff_region *r = &d->regions[i];
		size_t now = at_once > r->copies_inflight ? at_once - r->copies_inflight : 0;
		char already[64] = "";
		if (!r->copies || r->copies <= now)
			continue;
		if (r->copies_inflight)
			snprintf(already, sizeof(already), "; %zu already %s", r->copies_inflight,
				 r->copies_inflight == 1 ? "is" : "are");
		if (now)
			sk_diff_note(d, SK_NOTE_DEFERRED, r->region, NULL,
				     "%zu copies into %s, at most %zu in progress at once (copiesInFlight%s): apply starts "
				     "%zu now and the other %zu as earlier ones become available; with --no-wait those "
				     "are left for a later run",
				     r->copies, r->region, at_once, already, now, r->copies - now);
		else
			sk_diff_note(d, SK_NOTE_DEFERRED, r->region, NULL,
				     "%zu cop%s into %s, at most %zu in progress at once (copiesInFlight%s): apply starts "
				     "%s as earlier ones become available; with --no-wait %s left for a later run",
				     r->copies, r->copies == 1 ? "y" : "ies", r->region, at_once, already,
				     r->copies == 1 ? "it" : "them", r->copies == 1 ? "it is" : "they are");
	}
}

void sk_lc_copies_free(struct sk_lc_copies *cs)
{
	sk_lc_group_free(&cs->dst);
	free(cs->outside);
	memset(cs, 0, sizeof(*cs));
}
