/*
 * lifecycle.c - scheduled snapshots, their cross-region copies and retention
 *
 * For one (policy, instance): take a snapshot when the latest schedule slot
 * has none; apply the policy's restic-style rules to the snapshots it owns
 * in the instance's region (planned ones included, so a run leaves the
 * region as the rules want it); then the safety rules; then, per copy
 * destination, copy the sources the destination's rules keep and delete
 * the copies they let go.  Only snapshots carrying snapkeep:policy=<this
 * policy> are ever deleted; everything else is counted, never touched.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/rds.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/context.h"
#include "reconciler/planner/lifecycle.h"
#include "reconciler/planner/naming.h"
#include "reconciler/planner/ownership.h"
#include "specs/policy.h"

#define COPIES_IN_FLIGHT_MAX 5 /* per destination region (AWS) */

/* one snapshot a group reasons about: existing (snap) or planned (snap NULL) */
struct item {
	const struct sk_inv_snapshot *snap;
	const char *id;
	const char *arn;
	int64_t time;   /* what the rules look at */
	int64_t slot;   /* planned creates: the slot */
	unsigned keep;
	uint32_t gib;
	bool available;
	bool planned;
	bool deferred;  /* a planned copy left for a later run */
	/*
	 * Refused for the region's quota: never made in this run, but the rules
	 * count it, so the deletions it would cause make room for the next run
	 * (otherwise a region at its quota would stay stuck there).
	 */
	bool refused;
	const struct item *source; /* copies planned from a source item */
	size_t action; /* planned: 1 + the index of the create or copy that makes it; 0: none */
};

struct group {
	struct item *items;
	size_t n, cap;
};

struct sk_lifecycle {
	/* copies by source ARN: open addressing over snapshot indexes */
	size_t *slots;
	size_t n_slots;
	size_t *next; /* next copy of the same source, per snapshot index; SIZE_MAX ends */
	int *budget;  /* deletions left per policy */
	struct sk_retention_item *ritems;
	size_t cap_ritems;
	struct group src, dst;
};

static const char *copy_source_of(const struct sk_inv_snapshot *s)
{
	const char *t = sk_tag_get(s->tags, s->n_tags, SK_TAG_SOURCE);

	return t ? t : s->source_arn;
}

/*
 * A copy names its source by ARN ("arn:aws:rds:REGION:ACCOUNT:snapshot:ID");
 * copies are matched to sources by (REGION, ID), so a source read without
 * its ARN (a hand-written inventory) still finds its copies.
 */
struct source_key {
	const char *region;
	size_t region_len;
	const char *id;
};

static bool source_key_of_arn(const char *arn, struct source_key *k)
{
	struct sk_arn a;

	if (sk_arn_parse(&a, arn) < 0 || !a.region.len || !a.resource_id.len)
		return false;
	k->region = a.region.ptr;
	k->region_len = a.region.len;
	k->id = a.resource_id.ptr; /* it ends the ARN */
	return true;
}

static bool copy_key(const struct sk_inv_snapshot *s, struct source_key *k)
{
	return s->type == SK_SNAP_MANUAL && source_key_of_arn(copy_source_of(s), k);
}

static bool key_is(const struct source_key *k, const char *region, const char *id)
{
	return !strncmp(k->region, region, k->region_len) && region[k->region_len] == '\0' && !strcmp(k->id, id);
}

/* the region a copy came from: its SourceRegion, else its source's ARN */
static bool copy_from_region(const struct sk_inv_snapshot *s, const char *region)
{
	struct source_key k;

	if (s->source_region)
		return !strcmp(s->source_region, region);
	return copy_key(s, &k) && k.region_len == strlen(region) && !strncmp(k.region, region, k.region_len);
}

/* a copy on its way into s->region from another region */
static bool arriving_copy(const struct sk_inv_snapshot *s)
{
	struct source_key k;

	if (s->status != SK_SNAP_CREATING)
		return false;
	if (s->source_region)
		return strcmp(s->source_region, s->region) != 0;
	return copy_key(s, &k) && !(k.region_len == strlen(s->region) && !strncmp(k.region, s->region, k.region_len));
}

static uint64_t hash_key(const char *region, size_t region_len, const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < region_len; i++)
		h = (h ^ (unsigned char)region[i]) * 1099511628211ULL;
	h = (h ^ (unsigned char)':') * 1099511628211ULL;
	while (*id)
		h = (h ^ (unsigned char)*id++) * 1099511628211ULL;
	return h;
}

int sk_lifecycle_begin(struct sk_diff *d)
{
	struct sk_lifecycle *lc = calloc(1, sizeof(*lc));
	const struct sk_inventory *inv = d->inv;
	struct sk_diff_region *reg = NULL;
	size_t i, n_copies = 0;

	if (!lc)
		return sk_error_set_oom();
	d->lc = lc;
	lc->budget = calloc(d->set->n_policies + 1, sizeof(*lc->budget));
	lc->next = calloc(inv->n_snapshots + 1, sizeof(*lc->next));
	if (!lc->budget || !lc->next)
		return sk_error_set_oom();
	for (i = 0; i < d->set->n_policies; i++)
		lc->budget[i] = d->set->policies[i].max_deletions_per_run;

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
		if (s->type == SK_SNAP_AUTOMATED) {
			reg->automated++;
			continue;
		}
		if (s->type != SK_SNAP_MANUAL)
			continue;
		reg->manual++;
		if (arriving_copy(s))
			reg->copies_inflight++;
	}
	for (i = 0; i < inv->n_snapshots; i++) {
		struct source_key k;
		n_copies += copy_key(&inv->snapshots[i], &k);
	}

	/* the copies index */
	lc->n_slots = 16;
	while (lc->n_slots < n_copies * 2)
		lc->n_slots *= 2;
	lc->slots = malloc(lc->n_slots * sizeof(*lc->slots));
	if (!lc->slots)
		return sk_error_set_oom();
	for (i = 0; i < lc->n_slots; i++)
		lc->slots[i] = SIZE_MAX;
	for (i = 0; i < inv->n_snapshots; i++) {
		struct source_key key, other;
		size_t h;
		lc->next[i] = SIZE_MAX;
		if (!copy_key(&inv->snapshots[i], &key))
			continue;
		for (h = hash_key(key.region, key.region_len, key.id) & (lc->n_slots - 1);;
		     h = (h + 1) & (lc->n_slots - 1)) {
			size_t k = lc->slots[h];
			if (k == SIZE_MAX) {
				lc->slots[h] = i;
				break;
			}
			copy_key(&inv->snapshots[k], &other);
			if (other.region_len == key.region_len && !strncmp(other.region, key.region, key.region_len) &&
			    !strcmp(other.id, key.id)) {
				lc->next[i] = lc->next[k];
				lc->next[k] = i;
				break;
			}
		}
	}
	return 0;
}

void sk_lifecycle_end(struct sk_diff *d)
{
	struct sk_lifecycle *lc = d->lc;

	if (!lc)
		return;
	free(lc->slots);
	free(lc->next);
	free(lc->budget);
	free(lc->ritems);
	free(lc->src.items);
	free(lc->dst.items);
	free(lc);
	d->lc = NULL;
}

/* the first copy (snapshot index) of the source (region, id), then lc->next[] */
static size_t first_copy(const struct sk_diff *d, const char *region, const char *id)
{
	const struct sk_lifecycle *lc = d->lc;
	size_t h;

	for (h = hash_key(region, strlen(region), id) & (lc->n_slots - 1);; h = (h + 1) & (lc->n_slots - 1)) {
		struct source_key k;
		size_t i = lc->slots[h];
		if (i == SIZE_MAX)
			return i;
		copy_key(&d->inv->snapshots[i], &k);
		if (key_is(&k, region, id))
			return i;
	}
}

static struct item *group_add(struct sk_diff *d, struct group *g)
{
	struct item *it;

	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct item *p = realloc(g->items, cap * sizeof(*p));
		if (!p) {
			sk_error_set_oom();
			d->failed = true;
			return NULL;
		}
		g->items = p;
		g->cap = cap;
	}
	it = &g->items[g->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

/* runs the rules over the group's items that are not deferred */
static int run_rules(struct sk_diff *d, const struct sk_retain *r, bool has_retain, struct group *g)
{
	struct sk_lifecycle *lc = d->lc;
	size_t i, n = 0;

	if (g->n > lc->cap_ritems) {
		struct sk_retention_item *p = realloc(lc->ritems, g->n * sizeof(*p));
		if (!p)
			return sk_error_set_oom();
		lc->ritems = p;
		lc->cap_ritems = g->n;
	}
	for (i = 0; i < g->n; i++) {
		g->items[i].keep &= ~SK_KEEP_RULE_MASK;
		if (g->items[i].deferred)
			continue;
		lc->ritems[n].time = g->items[i].time;
		lc->ritems[n].id = g->items[i].id;
		lc->ritems[n].keep = 0;
		n++;
	}
	if (has_retain && sk_retention_apply(r, lc->ritems, n) < 0)
		return -1;
	for (i = 0, n = 0; i < g->n; i++) {
		if (g->items[i].deferred)
			continue;
		g->items[i].keep |= has_retain ? lc->ritems[n].keep : SK_KEEP_NO_RULES;
		n++;
	}
	return 0;
}

/*
 * Runs the rules until every planned item left is one they keep: a planned
 * item no rule keeps is never made (deferred), and the rules run again
 * without it, so deletions are decided against what will really exist.
 */
static int settle_rules(struct sk_diff *d, const struct sk_retain *r, bool has_retain, struct group *g)
{
	bool changed;
	size_t i;

	do {
		changed = false;
		if (run_rules(d, r, has_retain, g) < 0)
			return -1;
		for (i = 0; i < g->n; i++)
			if (g->items[i].planned && !g->items[i].deferred && !g->items[i].keep) {
				g->items[i].deferred = true;
				changed = true;
			}
	} while (changed);
	return 0;
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

/* the tags of a snapshot snapkeep creates: the policy's, then its own */
static const struct sk_aws_tag *make_tags(struct sk_diff *d, const struct sk_policy *p, const char *instance,
					  const char *slot_text, const char *source_arn,
					  const struct sk_inv_snapshot *source, size_t *n_out)
{
	size_t n = p->n_tags + 4 + (source ? source->n_tags : 0), k = 0, i;
	struct sk_aws_tag *t = sk_arena_calloc(&d->plan->arena, n, sizeof(*t));

	*n_out = 0;
	if (!t) {
		d->failed = true;
		return NULL;
	}
	/* a copy carries its source's tags, but never AWS's reserved ones or ownership tags */
	for (i = 0; source && i < source->n_tags; i++) {
		const char *key = source->tags[i].key;
		if (sk_tag_reserved(key))
			continue;
		t[k].key = key;
		t[k].value = source->tags[i].value;
		k++;
	}
	for (i = 0; i < p->n_tags; i++) {
		size_t j;
		for (j = 0; j < k && strcmp(t[j].key, p->tags[i].key); j++)
			;
		t[j].key = sk_diff_intern(d, p->tags[i].key);
		t[j].value = sk_diff_intern(d, p->tags[i].value);
		if (j == k)
			k++;
	}
	t[k].key = SK_TAG_POLICY;
	t[k++].value = sk_diff_intern(d, p->name);
	t[k].key = SK_TAG_INSTANCE;
	t[k++].value = instance;
	t[k].key = SK_TAG_SLOT;
	t[k++].value = slot_text;
	if (source_arn) {
		t[k].key = SK_TAG_SOURCE;
		t[k++].value = source_arn;
	}
	*n_out = k;
	return t;
}

static void format_retain(struct sk_buf *out, const struct sk_retain *r, bool has)
{
	char within[48];

	if (!has) {
		sk_buf_adds(out, "no retain rules: keep all");
		return;
	}
#define RULE(name)                                                                         \
	if (r->name)                                                                       \
		sk_buf_printf(out, "%s%s %s", out->len ? ", " : "", #name,                 \
			      r->name == SK_RETAIN_UNLIMITED ? "all" : "");                 \
	if (r->name > 0)                                                                   \
		sk_buf_printf(out, "%d", r->name);
	RULE(last)
	RULE(hourly)
	RULE(daily)
	RULE(weekly)
	RULE(monthly)
	RULE(yearly)
#undef RULE
	if (r->has_within) {
		sk_duration_format(within, &r->within);
		sk_buf_printf(out, "%swithin %s", out->len ? ", " : "", within);
	}
}

static int cmp_item_time_desc(const void *pa, const void *pb)
{
	const struct item *a = *(const struct item *const *)pa, *b = *(const struct item *const *)pb;

	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return strcmp(b->id, a->id);
}

static int cmp_item_time_asc(const void *pa, const void *pb)
{
	return -cmp_item_time_desc(pa, pb);
}

struct safety {
	const struct sk_policy *policy;
	int *budget;
	const char *region;
	const char *instance;
	const char *what; /* "snapshots" or "copies" */
	const struct sk_inv_snapshot *bad; /* a failed/unknown snapshot of the instance (find_bad) */
};

/* the safety rules over a group's existing items, after the rules ran */
static void apply_safety(struct sk_diff *d, struct group *g, const struct safety *s)
{
	struct item **order = NULL;
	size_t i, n_existing = 0, n_avail_kept = 0, n_delete = 0, deferred = 0;
	struct item *newest = NULL;

	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];
		if (it->planned)
			continue;
		n_existing++;
		if (!it->available) {
			it->keep |= SK_KEEP_NOT_AVAILABLE;
			continue;
		}
		if (!newest || cmp_item_time_desc(&it, &newest) < 0)
			newest = it;
	}
	if (!n_existing)
		return;
	if (newest)
		newest->keep |= SK_KEEP_NEWEST;
	order = calloc(g->n + 1, sizeof(*order));
	if (!order) {
		sk_error_set_oom();
		d->failed = true;
		return;
	}
	/* minAvailable: the newest available ones first */
	for (i = 0; i < g->n; i++)
		order[i] = &g->items[i];
	qsort(order, g->n, sizeof(*order), cmp_item_time_desc);
	for (i = 0; i < g->n; i++)
		if (!order[i]->planned && order[i]->available && order[i]->keep)
			n_avail_kept++;
	for (i = 0; i < g->n && n_avail_kept < (size_t)s->policy->min_available; i++) {
		struct item *it = order[i];
		if (it->planned || !it->available || it->keep)
			continue;
		it->keep |= SK_KEEP_MIN_AVAILABLE;
		n_avail_kept++;
	}
	if (s->bad) {
		bool any = false;
		for (i = 0; i < g->n; i++)
			if (!g->items[i].planned && !g->items[i].keep) {
				g->items[i].keep |= SK_KEEP_FAILED_SIBLING;
				any = true;
			}
		if (any && strcmp(s->bad->region, s->region))
			sk_diff_note(d, SK_NOTE_SAFETY, s->region, s->instance,
				     "snapshot '%s' of %s in %s is '%s': no %s of %s are deleted in %s until it is resolved",
				     s->bad->id, s->instance, s->bad->region, s->bad->status_text, s->what, s->instance,
				     s->region);
		else if (any)
			sk_diff_note(d, SK_NOTE_SAFETY, s->region, s->instance,
				     "snapshot '%s' is '%s': no %s of %s are deleted in %s until it is resolved", s->bad->id,
				     s->bad->status_text, s->what, s->instance, s->region);
	}
	for (i = 0; i < g->n; i++)
		if (!g->items[i].planned && !g->items[i].keep)
			n_delete++;
	if (n_delete && n_delete * 2 > n_existing && !d->opts->allow_mass_delete) {
		for (i = 0; i < g->n; i++)
			if (!g->items[i].planned && !g->items[i].keep)
				g->items[i].keep |= SK_KEEP_MASS_DELETE;
		sk_diff_note(d, SK_NOTE_SAFETY, s->region, s->instance,
			     "policy '%s' would delete %zu of the %zu %s it owns of %s in %s (more than half): "
			     "nothing is deleted without --allow-mass-delete",
			     s->policy->name, n_delete, n_existing, s->what, s->instance, s->region);
		n_delete = 0;
	}
	/* maxDeletionsPerRun: the oldest go first */
	qsort(order, g->n, sizeof(*order), cmp_item_time_asc);
	for (i = 0; i < g->n && n_delete; i++) {
		struct item *it = order[i];
		if (it->planned || it->keep)
			continue;
		if (*s->budget > 0) {
			(*s->budget)--;
		} else {
			it->keep |= SK_KEEP_MAX_DELETIONS;
			deferred++;
		}
	}
	if (deferred)
		sk_diff_note(d, SK_NOTE_DEFERRED, s->region, s->instance,
			     "%zu deletion%s of %s left for a later run: policy '%s' deletes at most %d per run "
			     "(maxDeletionsPerRun)",
			     deferred, deferred == 1 ? "" : "s", s->what, s->policy->name, s->policy->max_deletions_per_run);
	free(order);
}

/* the group's decisions go into the plan, and what it leaves into the place's summary */
static void record_decisions(struct sk_diff *d, struct group *g, const struct sk_policy *p,
			     struct sk_diff_region *reg, size_t group)
{
	struct sk_plan_place *place = sk_plan_group_place(d->plan, group, NULL);
	const struct item *newest = NULL;
	size_t i;

	for (i = 0; i < g->n; i++) {
		const struct item *it = &g->items[i];
		struct sk_decision dec;
		if (it->planned) {
			if (it->action && place)
				place->made++;
			continue;
		}
		dec.snap = it->snap;
		dec.policy = p->name;
		dec.keep = it->keep;
		dec.deleted = !it->keep;
		if (sk_plan_add_decision(d->plan, &dec) < 0) {
			d->failed = true;
			return;
		}
		reg->decided++;
		if (!it->keep)
			continue;
		if (place)
			place->kept++;
		if (it->available && (!newest || cmp_item_time_desc(&it, &newest) < 0))
			newest = it;
	}
	if (place && newest) {
		place->newest = sk_diff_intern(d, newest->id);
		place->newest_time = newest->time;
	}
}

/* copy_region: NULL for the instance's own snapshots, else the copies' region (from in->region) */
static void delete_actions(struct sk_diff *d, struct group *g, const struct sk_policy *p,
			   const struct sk_inv_instance *in, const char *copy_region, const char *retain_text,
			   struct sk_diff_region *reg, size_t group)
{
	const char *reason = copy_region ? sk_diff_printf(d, "no rule of the %s copies keeps it (%s)", copy_region,
							  retain_text)
					 : sk_diff_printf(d, "no rule keeps it (%s)", retain_text);
	char arn[SK_ARN_MAX];
	size_t i;

	for (i = 0; i < g->n; i++) {
		const struct item *it = &g->items[i];
		struct sk_action a;
		if (it->planned || it->keep)
			continue;
		memset(&a, 0, sizeof(a));
		a.kind = SK_ACTION_DELETE;
		a.retention = a.copy_tags = a.deletion_protection = -1;
		a.region = it->snap->region;
		a.instance = in->id;
		a.target = sk_diff_intern(d, it->snap->id);
		a.policy = sk_diff_intern(d, p->name);
		a.reason = reason;
		a.source_region = copy_region ? in->region : NULL;
		a.source_created = it->time;
		a.source_arn = sk_diff_intern(d, sk_inv_snapshot_arn(it->snap, arn, sizeof(arn)));
		a.gib = it->gib;
		a.group = group;
		sk_diff_action(d, &a);
		reg->deletes++;
		reg->gib_delta -= it->gib;
	}
}

/* room under the region's manual-snapshot quota for one more; a refusal is counted for the note */
static bool quota_room(struct sk_diff_region *reg, const char *instance, bool copy)
{
	size_t i;

	if (reg->manual + reg->creates + reg->copies < (size_t)reg->quota)
		return true;
	if (copy)
		reg->refused_copies++;
	else
		reg->refused_creates++;
	for (i = 0; i < reg->n_refused_names && strcmp(reg->refused_names[i], instance); i++)
		;
	if (i == reg->n_refused_names && i < SK_DIFF_REFUSED_NAMES)
		reg->refused_names[reg->n_refused_names++] = instance;
	if (i == SK_DIFF_REFUSED_NAMES)
		reg->refused_more = true;
	return false;
}

/* one note per region that refused snapshots or copies for its quota */
void sk_lifecycle_finish(struct sk_diff *d)
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

static int64_t slot_of(const struct sk_inv_snapshot *s)
{
	const char *t = sk_tag_get(s->tags, s->n_tags, SK_TAG_SLOT);
	int64_t v = 0;

	if (t && sk_time_parse_rfc3339(&v, t) == 0)
		return v;
	return 0;
}

static bool bad_status(const struct sk_inv_snapshot *s)
{
	return s->status == SK_SNAP_FAILED || s->status == SK_SNAP_UNKNOWN;
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

	sk_inventory_snapshot_range(d->inv, in->region, in->id, &b, &e);
	for (i = b; i < e; i++)
		if (bad_status(&d->inv->snapshots[i]))
			return &d->inv->snapshots[i];
	for (c = 0; c < p->n_copies; c++) {
		if (!strcmp(p->copies[c].region, in->region))
			continue;
		sk_inventory_snapshot_range(d->inv, p->copies[c].region, in->id, &b, &e);
		for (i = b; i < e; i++)
			if (bad_status(&d->inv->snapshots[i]) && copy_from_region(&d->inv->snapshots[i], in->region))
				return &d->inv->snapshots[i];
	}
	return NULL;
}

/*
 * A source item's ARN, put together in the plan's arena only when a copy
 * needs it: from the inventory (its own, or its region's prefix and its
 * id) or, for a hand-written inventory without ARNs, from the instance's.
 */
static const char *item_arn(struct sk_diff *d, struct item *it, const struct sk_inv_instance *in)
{
	char buf[SK_ARN_MAX], part[32], acct[32];
	const char *arn;

	if (it->arn)
		return it->arn;
	if (it->snap && (arn = sk_inv_snapshot_arn(it->snap, buf, sizeof(buf))))
		return it->arn = sk_diff_intern(d, arn);
	if (it->snap && instance_arn_parts(d, in, part, acct))
		it->arn = sk_diff_printf(d, "arn:%s:rds:%s:%s:snapshot:%s", part, in->region, acct, it->snap->id);
	return it->arn;
}

/* one copy destination of one (policy, instance) */
static int plan_copies(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in,
		       const struct sk_policy_copy *c, const struct sk_inv_snapshot *bad, size_t instance, size_t place)
{
	struct sk_lifecycle *lc = d->lc;
	struct group *src = &lc->src, *g = &lc->dst;
	struct sk_diff_region *reg;
	struct safety sf;
	struct item **wanted = NULL;
	struct sk_buf rt = SK_BUF_INIT;
	const char *retain_text;
	size_t b, e, i, n_wanted = 0, n_deferred_limit = 0, n_deferred_quota = 0, n_no_arn = 0;
	int rc = -1;

	size_t group;

	if (!strcmp(c->region, in->region))
		return 0;
	d->plan->instances[instance].copies[place - 1].region = sk_diff_intern(d, c->region);
	if (!sk_inventory_has_region(d->inv, c->region)) {
		sk_diff_note(d, SK_NOTE_WARNING, c->region, in->id, "copies to %s not planned: %s was not observed",
			     c->region, c->region);
		return 0;
	}
	reg = sk_diff_region(d, c->region);
	if (!reg)
		return -1;
	group = sk_plan_add_group(d->plan, instance, place);
	if (!group) {
		d->failed = true;
		return -1;
	}
	g->n = 0;
	memset(&sf, 0, sizeof(sf));
	sf.bad = bad;
	/* the copies this policy owns of this instance in the destination */
	sk_inventory_snapshot_range(d->inv, c->region, in->id, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *s = &d->inv->snapshots[i];
		const char *source = copy_source_of(s);
		struct item *it;
		if (!source || !sk_snapshot_owned_by(s, p->name, in->id))
			continue;
		if (!copy_from_region(s, in->region))
			continue;
		if (!(it = group_add(d, g)))
			return -1;
		it->snap = s;
		it->id = s->id;
		it->time = s->original_created ? s->original_created : slot_of(s);
		it->available = s->status == SK_SNAP_AVAILABLE;
		it->gib = s->allocated_gib;
		sk_diff_basis(d, "snapshot %s/%s status=%s owner=%s source=%s", s->region, s->id, s->status_text,
			      sk_snapshot_owner(s), source);
	}
	/* sources with no copy here yet */
	for (i = 0; i < src->n; i++) {
		struct item *s = &src->items[i];
		size_t k;
		bool have = false;
		struct item *it;
		const char *id;
		/* only what exists, or is made in this run, can be copied */
		if (!s->keep || (!s->available && !s->planned) || s->deferred || s->refused)
			continue;
		if (!item_arn(d, s, in)) {
			n_no_arn++;
			continue;
		}
		for (k = s->planned ? SIZE_MAX : first_copy(d, in->region, s->id); k != SIZE_MAX; k = lc->next[k]) {
			const struct sk_inv_snapshot *cp = &d->inv->snapshots[k];
			if (!strcmp(cp->region, c->region) && sk_snapshot_owned_by(cp, p->name, in->id))
				have = true;
		}
		if (have)
			continue;
		id = copy_id(d, s->id, in->region);
		if (!id)
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
		if (!(it = group_add(d, g)))
			return -1;
		it->planned = true;
		it->source = s;
		it->id = id;
		it->time = s->time;
		it->slot = s->planned ? s->slot : (s->snap ? slot_of(s->snap) : 0);
		it->gib = s->gib;
	}
	if (n_no_arn)
		sk_diff_note(d, SK_NOTE_WARNING, c->region, in->id,
			     "%zu cop%s of %s not planned: no ARN is known for %s (the inventory gives neither the "
			     "instance's nor its snapshots' ARNs)",
			     n_no_arn, n_no_arn == 1 ? "y" : "ies", in->id, n_no_arn == 1 ? "its source" : "their sources");
	format_retain(&rt, &c->retain, c->has_retain);
	retain_text = sk_diff_intern(d, sk_buf_cstr(&rt));
	sk_buf_free(&rt);
	if (settle_rules(d, &c->retain, c->has_retain, g) < 0)
		goto done;
	/* the kept missing copies, newest first, within the in-flight limit and the quota */
	wanted = calloc(g->n + 1, sizeof(*wanted));
	if (!wanted) {
		sk_error_set_oom();
		goto done;
	}
	for (i = 0; i < g->n; i++)
		if (g->items[i].planned && !g->items[i].deferred)
			wanted[n_wanted++] = &g->items[i];
	qsort(wanted, n_wanted, sizeof(*wanted), cmp_item_time_desc);
	for (i = 0; i < n_wanted; i++) {
		struct item *it = wanted[i];
		if (reg->copies_inflight + reg->copies >= COPIES_IN_FLIGHT_MAX) {
			it->deferred = true;
			n_deferred_limit++;
		} else if (!quota_room(reg, in->id, true)) {
			it->refused = true;
			n_deferred_quota++;
		} else {
			reg->copies++;
		}
	}
	if (n_deferred_limit)
		sk_diff_note(d, SK_NOTE_DEFERRED, c->region, in->id,
			     "%zu cop%s of %s left for a later run: at most %d copies in flight per destination region",
			     n_deferred_limit, n_deferred_limit == 1 ? "y" : "ies", in->id, COPIES_IN_FLIGHT_MAX);
	/* decide deletions against what will really exist (and the copies the quota refused, to make room) */
	if (n_deferred_limit && settle_rules(d, &c->retain, c->has_retain, g) < 0)
		goto done;
	sf.policy = p;
	sf.budget = &lc->budget[p - d->set->policies];
	sf.region = c->region;
	sf.instance = in->id;
	sf.what = "copies";
	apply_safety(d, g, &sf);
	if (d->failed)
		goto done;
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];
		const struct item *s = it->source;
		struct sk_action a;
		char slot_text[SK_TIME_RFC3339_MAX];
		if (!it->planned || it->deferred || it->refused)
			continue;
		memset(&a, 0, sizeof(a));
		a.kind = SK_ACTION_COPY;
		a.retention = a.copy_tags = a.deletion_protection = -1;
		a.region = reg->region;
		a.instance = in->id;
		a.target = it->id;
		a.policy = sk_diff_intern(d, p->name);
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
		a.tags = make_tags(d, p, in->id, sk_diff_intern(d, slot_text), s->arn, s->snap, &a.n_tags);
		a.gib = it->gib;
		a.depends_on = s->action;
		a.group = group;
		if (sk_diff_action(d, &a))
			it->action = d->plan->n_actions;
		reg->gib_delta += it->gib;
	}
	delete_actions(d, g, p, in, c->region, retain_text, reg, group);
	record_decisions(d, g, p, reg, group);
	rc = d->failed ? -1 : 0;
done:
	free(wanted);
	return rc;
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
		if (s->type == SK_SNAP_AUTOMATED && s->status == SK_SNAP_AVAILABLE &&
		    (!newest || s->created > newest->created))
			newest = s;
	}
	if (newest) {
		pi->own.newest = sk_diff_intern(d, newest->id);
		pi->own.newest_time = newest->created;
	}
	return d->failed ? -1 : 0;
}

int sk_lifecycle_instance(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in)
{
	struct sk_lifecycle *lc = d->lc;
	struct group *g = &lc->src;
	struct sk_diff_region *reg = sk_diff_region(d, in->region);
	struct safety sf;
	struct sk_buf rt = SK_BUF_INIT;
	const char *retain_text, *slot_id = NULL, *prefix = p->prefix ? p->prefix : "snapkeep";
	char part[32], acct[32], slot_text[SK_TIME_RFC3339_MAX];
	bool have_arn_parts = instance_arn_parts(d, in, part, acct), taken = false;
	const struct sk_inv_snapshot *squatter = NULL;
	int64_t slot;
	size_t b, e, i, instance, group;

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
	memset(&sf, 0, sizeof(sf));
	sf.bad = find_bad(d, p, in);
	slot = sk_cron_prev(&p->schedule, d->now);
	if (slot >= 0) {
		sk_time_format_rfc3339(slot_text, slot);
		slot_id = snapshot_id(d, prefix, in, slot);
	}
	sk_inventory_snapshot_range(d->inv, in->region, in->id, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *s = &d->inv->snapshots[i];
		const char *tslot;
		struct item *it;
		if (slot_id && !strcmp(s->id, slot_id)) {
			taken = true;
			if (!sk_snapshot_owned_by(s, p->name, in->id) && s->status != SK_SNAP_DELETING)
				squatter = s;
		}
		if (copy_source_of(s) || !sk_snapshot_owned_by(s, p->name, in->id))
			continue;
		tslot = sk_tag_get(s->tags, s->n_tags, SK_TAG_SLOT);
		if (slot_id && tslot && !strcmp(tslot, slot_text))
			taken = true;
		if (!(it = group_add(d, g)))
			return -1;
		it->snap = s;
		it->id = s->id;
		it->arn = s->arn; /* or, when a copy needs it, item_arn() puts it together */
		it->time = s->created ? s->created : slot_of(s);
		if (!it->time)
			it->time = d->now;
		it->available = s->status == SK_SNAP_AVAILABLE;
		it->gib = s->allocated_gib;
		sk_diff_basis(d, "snapshot %s/%s status=%s owner=%s", s->region, s->id, s->status_text,
			      sk_snapshot_owner(s));
	}
	if (squatter)
		sk_diff_note(d, SK_NOTE_WARNING, in->region, in->id,
			     "schedule slot %s: snapshot '%s' exists and policy '%s' does not own it: no snapshot is "
			     "taken for this slot, and that one is kept, not managed",
			     slot_text, squatter->id, p->name);
	if (slot_id && !taken) {
		if (!instance_can_snapshot(in->status)) {
			sk_diff_note(d, SK_NOTE_WARNING, in->region, in->id,
				     "no snapshot for slot %s: the instance is '%s'", slot_text,
				     in->status ? in->status : "unknown");
		} else {
			struct item *it = group_add(d, g);
			if (!it)
				return -1;
			it->refused = !quota_room(reg, in->id, false);
			it->planned = true;
			it->id = slot_id;
			it->time = d->now; /* judged as what will exist: a snapshot taken now, not at the slot */
			it->slot = slot;
			it->gib = in->allocated_gib > 0 ? (uint32_t)in->allocated_gib : 0;
			if (have_arn_parts)
				it->arn = sk_diff_printf(d, "arn:%s:rds:%s:%s:snapshot:%s", part, in->region, acct, slot_id);
		}
	}
	format_retain(&rt, &p->retain, p->has_retain);
	retain_text = sk_diff_intern(d, sk_buf_cstr(&rt));
	sk_buf_free(&rt);
	if (settle_rules(d, &p->retain, p->has_retain, g) < 0)
		return -1;
	/* a source whose copy is still on its way is kept */
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];
		size_t k;
		for (k = it->planned ? SIZE_MAX : first_copy(d, in->region, it->id); k != SIZE_MAX; k = lc->next[k])
			if (d->inv->snapshots[k].status == SK_SNAP_CREATING)
				it->keep |= SK_KEEP_COPY_PENDING;
	}
	sf.policy = p;
	sf.budget = &lc->budget[p - d->set->policies];
	sf.region = in->region;
	sf.instance = in->id;
	sf.what = "snapshots";
	apply_safety(d, g, &sf);
	if (d->failed)
		return -1;
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];
		struct sk_action a;
		if (!it->planned || it->deferred || it->refused)
			continue;
		memset(&a, 0, sizeof(a));
		a.kind = SK_ACTION_CREATE;
		a.retention = a.copy_tags = a.deletion_protection = -1;
		a.region = in->region;
		a.instance = in->id;
		a.target = it->id;
		a.policy = sk_diff_intern(d, p->name);
		a.reason = sk_diff_printf(d, "schedule '%s': slot %s has no snapshot", p->schedule_text, slot_text);
		a.keep = it->keep;
		a.slot = it->slot;
		a.tags = make_tags(d, p, in->id, sk_diff_intern(d, slot_text), NULL, NULL, &a.n_tags);
		a.gib = it->gib;
		a.group = group;
		if (sk_diff_action(d, &a))
			it->action = d->plan->n_actions;
		reg->creates++;
		reg->gib_delta += it->gib;
	}
	delete_actions(d, g, p, in, NULL, retain_text, reg, group);
	record_decisions(d, g, p, reg, group);
	for (i = 0; i < p->n_copies && !d->failed; i++)
		if (plan_copies(d, p, in, &p->copies[i], sf.bad, instance, i + 1) < 0)
			return -1;
	return d->failed ? -1 : 0;
}
