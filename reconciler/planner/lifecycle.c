/*
 * lifecycle.c - scheduled snapshots of one (policy, instance), and the
 * lifecycle's entry points for diff.c
 *
 * For one (policy, instance): take a snapshot when the latest schedule slot
 * has none; apply the policy's restic-style rules to the snapshots it owns
 * in the instance's region (planned ones included, so a run leaves the
 * region as the rules want it); then the safety rules (lifecycle_group.c);
 * then, per copy destination, copy the sources the destination's rules
 * keep and delete the copies they let go (lifecycle_copies.c).  Only
 * snapshots carrying snapkeep:policy=<this policy> are ever deleted;
 * everything else is counted, never touched.
 */
#include "reconciler/planner/lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "aws/rds.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/lifecycle_copies.h"
#include "reconciler/planner/lifecycle_group.h"
#include "reconciler/planner/lifecycle_index.h"
#include "reconciler/planner/naming.h"
#include "reconciler/planner/ownership.h"
#include "specs/policy.h"

struct sk_lifecycle {
	struct sk_lc_index index;
	int *budget;               /* deletions left per policy */
	struct sk_lc_group src;    /* the snapshots of one (policy, instance) in its region */
	struct sk_lc_copies copies;
};

/* the manual and automated snapshots of each region before the plan (not deleting) */
static int count_regions(struct sk_diff *d)
{
	const struct sk_inventory *inv = d->inv;
	struct sk_diff_region *reg = NULL;
	size_t i;

	for (i = 0; i < inv->n_snapshots; i++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[i];
		if (!reg || strcmp(reg->region, s->region)) {
			reg = sk_diff_region(d, s->region);
			if (!reg)
				return -1;
			reg->counted = true;
		}
		if (s->status == SK_SNAP_DELETING)
			continue;
		if (s->type == SK_SNAP_AUTOMATED)
			reg->automated++;
		else if (s->type == SK_SNAP_MANUAL)
			reg->manual++;
	}
	return 0;
}

int sk_lifecycle_begin(struct sk_diff *d)
{
	struct sk_lifecycle *lc = calloc(1, sizeof(*lc));
	size_t i;

	if (!lc)
		return sk_error_set_oom();
	d->lc = lc;
	lc->budget = calloc(d->set->n_policies + 1, sizeof(*lc->budget));
	if (!lc->budget)
		return sk_error_set_oom();
	for (i = 0; i < d->set->n_policies; i++)
		lc->budget[i] = d->set->policies[i].max_deletions_per_run;
	lc->copies.index = &lc->index;
	lc->copies.budget = lc->budget;
	if (count_regions(d) < 0)
		return -1;
	return sk_lc_index_build(&lc->index, d);
}

void sk_lifecycle_end(struct sk_diff *d)
{
	struct sk_lifecycle *lc = d->lc;

	if (!lc)
		return;
	sk_lc_index_free(&lc->index);
	sk_lc_group_free(&lc->src);
	sk_lc_copies_free(&lc->copies);
	free(lc->budget);
	free(lc);
	d->lc = NULL;
}

/* the snapshot's identifier (naming.h); NULL when no valid one can be made (a note says why) */
static const char *snapshot_id(struct sk_diff *d, const char *prefix, const struct sk_inv_instance *in, int64_t slot)
{
	char id[SK_SNAPSHOT_ID_MAX + 1];

	if (sk_naming_snapshot(id, prefix, in->id, slot) < 0 || !sk_rds_valid_snapshot_id(id)) {
		sk_diff_note(d, SK_NOTE_WARNING, in->region, in->id,
			     "no snapshot identifier can be made of prefix '%s' and instance '%s': no snapshot is taken",
			     prefix, in->id);
		sk_error_clear();
		return NULL;
	}
	return sk_diff_intern(d, id);
}

static bool instance_can_snapshot(const char *status)
{
	static const char *const ok[] = { "available", "backing-up", "modifying", "storage-optimization",
					  "configuring-enhanced-monitoring", "configuring-log-exports" };
	size_t i;

	for (i = 0; status && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(status, ok[i]))
			return true;
	return false;
}

/*
 * The first snapshot of the instance in a failed or unknown state, in its
 * region or among its copies in the policy's copy regions: while there is
 * one, none of the instance's snapshots or copies are deleted.
 */
static const struct sk_inv_snapshot *find_bad(const struct sk_diff *d, const struct sk_policy *p,
					      const struct sk_inv_instance *in)
{
	size_t b, e, i, c;

	/* (a cluster and an instance may share an identifier: each looks at its own kind of snapshot only) */
	sk_inventory_snapshot_range(d->inv, in->region, in->id, &b, &e);
	for (i = b; i < e; i++)
		if (sk_lc_bad_status(&d->inv->snapshots[i]) && d->inv->snapshots[i].cluster == in->is_cluster)
			return &d->inv->snapshots[i];
	for (c = 0; c < p->n_copies; c++) {
		if (!strcmp(p->copies[c].region, in->region))
			continue;
		sk_inventory_snapshot_range(d->inv, p->copies[c].region, in->id, &b, &e);
		for (i = b; i < e; i++)
			if (sk_lc_bad_status(&d->inv->snapshots[i]) && d->inv->snapshots[i].cluster == in->is_cluster &&
			    sk_lc_copy_from_region(&d->inv->snapshots[i], in->region))
				return &d->inv->snapshots[i];
	}
	return NULL;
}

int sk_lifecycle_automated(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in)
{
	const struct sk_inv_snapshot *newest = NULL;
	struct sk_plan_instance *pi;
	size_t b, e, i, at = sk_plan_add_instance(d->plan, p->name, in->id, 0);

	if (at == SK_PLAN_NONE) {
		d->failed = true;
		return -1;
	}
	pi = &d->plan->instances[at];
	pi->automated_only = true;
	pi->own.region = sk_diff_intern(d, in->region);
	sk_inventory_snapshot_range(d->inv, in->region, in->id, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *s = &d->inv->snapshots[i];
		if (s->type == SK_SNAP_AUTOMATED && s->status == SK_SNAP_AVAILABLE && s->cluster == in->is_cluster &&
		    (!newest || s->created > newest->created))
			newest = s;
	}
	if (newest) {
		pi->own.newest = sk_diff_intern(d, newest->id);
		pi->own.newest_time = newest->created;
	}
	return d->failed ? -1 : 0;
}

/* the schedule's latest slot, when it has no snapshot yet and one can be taken */
struct slot {
	int64_t at;
	const char *id;   /* the snapshot's identifier, NULL: no slot, or no valid identifier */
	char text[SK_TIME_RFC3339_MAX];
	bool taken;       /* a snapshot exists for it */
	const struct sk_inv_snapshot *squatter; /* one with its identifier, not the policy's */
};

/* the snapshots the policy owns of the instance in its region; whether the slot has one */
static int add_own(struct sk_diff *d, struct sk_lc_group *g, const struct sk_policy *p,
		   const struct sk_inv_instance *in, struct slot *slot)
{
	size_t b, e, i;

	sk_inventory_snapshot_range(d->inv, in->region, in->id, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *s = &d->inv->snapshots[i];
		const char *tslot;
		if (s->cluster != p->clusters)
			continue; /* the other namespace: a DB snapshot and a DB cluster snapshot may share an identifier */
		if (slot->id && !strcmp(s->id, slot->id)) {
			slot->taken = true;
			if (!sk_snapshot_owned_by(s, p->name, in->id) && s->status != SK_SNAP_DELETING)
				slot->squatter = s;
		}
		if (sk_lc_copy_source(s) || !sk_snapshot_owned_by(s, p->name, in->id))
			continue;
		tslot = sk_tag_get(s->tags, s->n_tags, SK_TAG_SLOT);
		if (slot->id && tslot && !strcmp(tslot, slot->text))
			slot->taken = true;
		if (!sk_lc_group_add_snapshot(d, g, s, NULL))
			return -1;
	}
	return 0;
}

/* the slot's snapshot, planned when the slot has none (refused when the region is at its quota) */
static int add_planned(struct sk_diff *d, struct sk_lc_group *g, const struct sk_policy *p,
		       const struct sk_inv_instance *in, struct sk_diff_region *reg, const struct slot *slot)
{
	struct sk_lc_item *it;

	if (slot->squatter)
		sk_diff_note(d, SK_NOTE_WARNING, in->region, in->id,
			     "schedule slot %s: snapshot '%s' exists and policy '%s' does not own it: no snapshot is "
			     "taken for this slot, and that one is kept, not managed",
			     slot->text, slot->squatter->id, p->name);
	if (!slot->id || slot->taken)
		return 0;
	if (!instance_can_snapshot(in->status)) {
		sk_diff_note(d, SK_NOTE_WARNING, in->region, in->id, "no snapshot for slot %s: the instance is '%s'",
			     slot->text, in->status ? in->status : "unknown");
		return 0;
	}
	if (!(it = sk_lc_group_add(d, g)))
		return -1;
	it->refused = !sk_diff_quota_room(reg, in->id, false);
	it->planned = true;
	it->id = slot->id;
	it->time = d->now; /* judged as what will exist: a snapshot taken now, not at the slot */
	it->slot = slot->at;
	it->gib = in->allocated_gib > 0 ? (uint32_t)in->allocated_gib : 0;
	return 0;
}

static void create_actions(struct sk_diff *d, struct sk_lc_group *g, const struct sk_policy *p,
			   const struct sk_inv_instance *in, struct sk_diff_region *reg, const struct slot *slot,
			   size_t group)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		struct sk_lc_item *it = &g->items[i];
		struct sk_action a;
		if (!it->planned || it->deferred || it->refused)
			continue;
		sk_lc_action(d, &a, SK_ACTION_CREATE, p, in->region, in->id, it->id);
		a.reason = sk_diff_printf(d, "schedule '%s': slot %s has no snapshot", p->schedule_text, slot->text);
		a.keep = it->keep;
		a.slot = it->slot;
		a.tags = sk_lc_tags(d, p, in->id, sk_diff_intern(d, slot->text), NULL, NULL, &a.n_tags);
		a.gib = it->gib;
		a.group = group;
		if (sk_diff_action(d, &a))
			it->action = d->plan->n_actions;
		reg->creates++;
		reg->gib_delta += it->gib;
	}
}

int sk_lifecycle_instance(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in)
{
	struct sk_lifecycle *lc = d->lc;
	struct sk_lc_group *g = &lc->src;
	struct sk_diff_region *reg = sk_diff_region(d, in->region);
	struct sk_lc_source src;
	struct slot slot;
	const char *retain_text;
	size_t i, instance, group;

	if (!reg)
		return -1;
	instance = sk_plan_add_instance(d->plan, p->name, in->id, p->n_copies);
	group = instance == SK_PLAN_NONE ? 0 : sk_plan_add_group(d->plan, instance, 0);
	if (!group) {
		d->failed = true;
		return -1;
	}
	d->plan->instances[instance].own.region = sk_diff_intern(d, in->region);
	g->n = 0;
	memset(&slot, 0, sizeof(slot));
	src = (struct sk_lc_source){ .policy = p, .in = in, .snapshots = g, .bad = find_bad(d, p, in),
				     .instance = instance };
	slot.at = sk_cron_prev(&p->schedule, d->now);
	if (slot.at >= 0) {
		sk_time_format_rfc3339(slot.text, slot.at);
		slot.id = snapshot_id(d, p->prefix ? p->prefix : "snapkeep", in, slot.at);
	}
	if (add_own(d, g, p, in, &slot) < 0 || add_planned(d, g, p, in, reg, &slot) < 0)
		return -1;
	retain_text = sk_lc_retain_text(d, &p->retain, p->has_retain);
	if (sk_lc_settle_rules(&p->retain, p->has_retain, g) < 0)
		return -1;
	sk_lc_copies_hold_pending(&lc->copies, d, in->region, g);
	if (sk_lc_copies_hold_outside(&lc->copies, d, p, in, g) < 0)
		return -1;
	sk_lc_safety(d, g,
		     &(struct sk_lc_safety){ .policy = p, .budget = &lc->budget[p - d->set->policies],
					     .region = in->region, .instance = in->id, .what = "snapshots",
					     .bad = src.bad, .place = &d->plan->instances[instance].own });
	if (d->failed)
		return -1;
	create_actions(d, g, p, in, reg, &slot, group);
	if (sk_lc_room_made(&p->retain, p->has_retain, g) < 0) {
		d->failed = true;
		return -1;
	}
	sk_lc_delete_actions(d, g, p, in, NULL, retain_text, reg, group);
	sk_lc_record_decisions(d, g, p, reg, group);
	for (i = 0; i < p->n_copies && !d->failed; i++)
		if (sk_lc_copies_plan(&lc->copies, d, &src, &p->copies[i], i + 1) < 0)
			return -1;
	return d->failed ? -1 : 0;
}

int sk_lifecycle_copies_only(struct sk_diff *d)
{
	return sk_lc_copies_only(&d->lc->copies, d);
}

/* creates and copies the quota refused, per region: they are made on a later run */
static void quota_notes(struct sk_diff *d)
{
	struct sk_buf names = SK_BUF_INIT, what = SK_BUF_INIT;
	size_t i, k;

	for (i = 0; i < d->n_regions; i++) {
		struct sk_diff_region *r = &d->regions[i];
		if (!r->refused_creates && !r->refused_copies)
			continue;
		sk_buf_reset(&names);
		sk_buf_reset(&what);
		for (k = 0; k < r->n_refused_names; k++)
			sk_buf_printf(&names, "%s%s", k ? ", " : "", r->refused_names[k]);
		if (r->refused_more)
			sk_buf_adds(&names, ", ...");
		if (r->refused_creates)
			sk_buf_printf(&what, "%zu new snapshot%s", r->refused_creates, r->refused_creates == 1 ? "" : "s");
		if (r->refused_copies)
			sk_buf_printf(&what, "%s%zu cop%s", r->refused_creates ? " and " : "", r->refused_copies,
				      r->refused_copies == 1 ? "y" : "ies");
		sk_diff_note(d, SK_NOTE_SAFETY, r->region, r->n_refused_names == 1 ? r->refused_names[0] : NULL,
			     "%s refused (%s): %s is at its manual-snapshot quota of %d (%zu manual snapshot%s, %zu with "
			     "this plan's creates and copies); they are made on a later run, once there is room",
			     sk_buf_cstr(&what), sk_buf_cstr(&names), r->region, r->quota, r->manual,
			     r->manual == 1 ? "" : "s", r->manual + r->creates + r->copies);
	}
	sk_buf_free(&names);
	sk_buf_free(&what);
}

/*
 * After every instance, the notes that sum up regions: copies left out by
 * --region; copies that run in turn, at most copies_at_once in progress
 * per region; creates and copies refused for the quota.
 */
void sk_lifecycle_finish(struct sk_diff *d)
{
	sk_lc_copies_notes(&d->lc->copies, d);
	quota_notes(d);
}
