/*
 * lifecycle_group.c - a group of snapshots of one (policy, instance) in one
 * place: the retention rules over it, the safety holds, the deletions the
 * quota causes, its delete actions and the decisions the plan records
 */
#include "reconciler/planner/lifecycle_group.h"

#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/ownership.h"
#include "specs/policy.h"

struct sk_lc_item *sk_lc_group_add(struct sk_diff *d, struct sk_lc_group *g)
{
	struct sk_lc_item *it = SK_ARRAY_PUSH(g->items, g->n, g->cap);

	if (!it) {
		d->failed = true;
		return NULL;
	}
	memset(it, 0, sizeof(*it));
	return it;
}

struct sk_lc_item *sk_lc_group_add_snapshot(struct sk_diff *d, struct sk_lc_group *g, const struct sk_inv_snapshot *s,
					    const char *source)
{
	struct sk_lc_item *it = sk_lc_group_add(d, g);

	if (!it)
		return NULL;
	it->snap = s;
	it->id = s->id;
	it->available = s->status == SK_SNAP_AVAILABLE;
	it->gib = s->allocated_gib;
	if (sk_tags_keep_until(s->tags, s->n_tags) > d->now) {
		it->held = true;
		it->keep |= SK_KEEP_UNTIL;
	}
	if (source) {
		it->time = s->original_created ? s->original_created : sk_lc_slot_of(s);
		sk_diff_basis(d, "snapshot %s/%s status=%s owner=%s source=%s", s->region, s->id, s->status_text,
			      sk_snapshot_owner(s), source);
		return it;
	}
	it->arn = s->arn; /* or, when a copy needs it, lifecycle_copies.c puts it together */
	it->time = s->created ? s->created : sk_lc_slot_of(s);
	if (!it->time)
		it->time = d->now;
	sk_diff_basis(d, "snapshot %s/%s status=%s owner=%s", s->region, s->id, s->status_text, sk_snapshot_owner(s));
	return it;
}

void sk_lc_group_free(struct sk_lc_group *g)
{
	free(g->items);
	free(g->ritems);
	memset(g, 0, sizeof(*g));
}

int64_t sk_lc_slot_of(const struct sk_inv_snapshot *s)
{
	const char *t = sk_tag_get(s->tags, s->n_tags, SK_TAG_SLOT);
	int64_t v = 0;

	if (t && sk_time_parse_rfc3339(&v, t) == 0)
		return v;
	return 0;
}

bool sk_lc_bad_status(const struct sk_inv_snapshot *s)
{
	return s->status == SK_SNAP_FAILED || s->status == SK_SNAP_UNKNOWN;
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

const char *sk_lc_retain_text(struct sk_diff *d, const struct sk_retain *r, bool has_retain)
{
	struct sk_buf b = SK_BUF_INIT;
	const char *text;

	format_retain(&b, r, has_retain);
	text = sk_diff_intern(d, sk_buf_cstr(&b));
	sk_buf_free(&b);
	return text;
}

int sk_lc_cmp_newest(const void *pa, const void *pb)
{
	const struct sk_lc_item *a = *(const struct sk_lc_item *const *)pa, *b = *(const struct sk_lc_item *const *)pb;

	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return strcmp(b->id, a->id);
}

static int cmp_oldest(const void *pa, const void *pb)
{
	return -sk_lc_cmp_newest(pa, pb);
}

/* runs the rules over the group's items that are not deferred */
static int run_rules(const struct sk_retain *r, bool has_retain, struct sk_lc_group *g)
{
	size_t i, n = 0;

	if (SK_ARRAY_GROW(g->ritems, g->cap_ritems, g->n) < 0)
		return -1;
	for (i = 0; i < g->n; i++) {
		g->items[i].keep &= ~SK_KEEP_RULE_MASK;
		if (g->items[i].deferred || g->items[i].held)
			continue;
		g->ritems[n].time = g->items[i].time;
		g->ritems[n].id = g->items[i].id;
		g->ritems[n].keep = 0;
		n++;
	}
	if (has_retain && sk_retention_apply(r, g->ritems, n) < 0)
		return -1;
	for (i = 0, n = 0; i < g->n; i++) {
		if (g->items[i].deferred || g->items[i].held)
			continue;
		g->items[i].keep |= has_retain ? g->ritems[n].keep : SK_KEEP_NO_RULES;
		n++;
	}
	return 0;
}

int sk_lc_settle_rules(const struct sk_retain *r, bool has_retain, struct sk_lc_group *g)
{
	bool changed;
	size_t i;

	do {
		changed = false;
		if (run_rules(r, has_retain, g) < 0)
			return -1;
		for (i = 0; i < g->n; i++)
			if (g->items[i].planned && !g->items[i].deferred && !g->items[i].keep) {
				g->items[i].deferred = true;
				changed = true;
			}
	} while (changed);
	return 0;
}

/* a failed or unknown snapshot of the instance: nothing of the group is deleted while it is there */
static void hold_for_bad(struct sk_diff *d, struct sk_lc_group *g, const struct sk_lc_safety *s)
{
	bool any = false;
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!g->items[i].planned && !g->items[i].keep) {
			g->items[i].keep |= SK_KEEP_FAILED_SIBLING;
			any = true;
		}
	if (any && s->place) {
		/* the fact, for readers of the plan (run's blocked-instance alert); the note says it to people */
		s->place->blocked_by.snapshot = sk_diff_intern(d, s->bad->id);
		s->place->blocked_by.region = sk_diff_intern(d, s->bad->region);
		s->place->blocked_by.status = sk_diff_intern(d, s->bad->status_text);
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

void sk_lc_safety(struct sk_diff *d, struct sk_lc_group *g, const struct sk_lc_safety *s)
{
	struct sk_lc_item **order = NULL;
	size_t i, n_existing = 0, n_avail_kept = 0, n_delete = 0, deferred = 0;
	struct sk_lc_item *newest = NULL;

	for (i = 0; i < g->n; i++) {
		struct sk_lc_item *it = &g->items[i];
		if (it->planned)
			continue;
		n_existing++;
		if (!it->available) {
			it->keep |= SK_KEEP_NOT_AVAILABLE;
			continue;
		}
		if (!newest || sk_lc_cmp_newest(&it, &newest) < 0)
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
	qsort(order, g->n, sizeof(*order), sk_lc_cmp_newest);
	for (i = 0; i < g->n; i++)
		if (!order[i]->planned && order[i]->available && order[i]->keep)
			n_avail_kept++;
	for (i = 0; i < g->n && n_avail_kept < (size_t)s->policy->min_available; i++) {
		struct sk_lc_item *it = order[i];
		if (it->planned || !it->available || it->keep)
			continue;
		it->keep |= SK_KEEP_MIN_AVAILABLE;
		n_avail_kept++;
	}
	if (s->bad)
		hold_for_bad(d, g, s);
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
	qsort(order, g->n, sizeof(*order), cmp_oldest);
	for (i = 0; i < g->n && n_delete; i++) {
		struct sk_lc_item *it = order[i];
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

void sk_lc_record_decisions(struct sk_diff *d, struct sk_lc_group *g, const struct sk_policy *p,
			    struct sk_diff_region *reg, size_t group)
{
	struct sk_plan_place *place = sk_plan_group_place(d->plan, group, NULL);
	const struct sk_lc_item *newest = NULL;
	size_t i;

	for (i = 0; i < g->n; i++) {
		const struct sk_lc_item *it = &g->items[i];
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
		if (it->available && (!newest || sk_lc_cmp_newest(&it, &newest) < 0))
			newest = it;
	}
	if (place && newest) {
		place->newest = sk_diff_intern(d, newest->id);
		place->newest_time = newest->time;
	}
}

/*
 * A deletion the quota causes: the rules count an item the quota refused,
 * so it can push out one they would keep otherwise.  Such deletions say so
 * (room_for): the rules run again without the refused items, and what they
 * keep then, and not now, is deleted to make room.
 */
int sk_lc_room_made(const struct sk_retain *r, bool has_retain, struct sk_lc_group *g)
{
	struct saved {
		unsigned keep;
		bool left_out; /* a refused item, left out of this run of the rules only */
	} *was;
	const struct sk_lc_item *refused = NULL;
	size_t i;
	int rc;

	for (i = 0; i < g->n && !refused; i++)
		if (g->items[i].planned && g->items[i].refused && !g->items[i].deferred)
			refused = &g->items[i];
	if (!refused || !has_retain)
		return 0;
	if (!(was = malloc(g->n * sizeof(*was))))
		return sk_error_set_oom();
	for (i = 0; i < g->n; i++) {
		struct sk_lc_item *it = &g->items[i];
		was[i].keep = it->keep;
		was[i].left_out = it->planned && it->refused && !it->deferred;
		if (was[i].left_out)
			it->deferred = true;
	}
	rc = run_rules(r, has_retain, g);
	for (i = 0; i < g->n; i++) {
		struct sk_lc_item *it = &g->items[i];
		if (rc == 0 && !it->planned && !was[i].keep && (it->keep & SK_KEEP_RULE_MASK))
			it->room_for = refused;
		if (was[i].left_out)
			it->deferred = false;
		it->keep = was[i].keep;
	}
	free(was);
	return rc;
}

void sk_lc_delete_actions(struct sk_diff *d, struct sk_lc_group *g, const struct sk_policy *p,
			  const struct sk_inv_instance *in, const char *copy_region, const char *retain_text,
			  struct sk_diff_region *reg, size_t group)
{
	const char *reason = copy_region ? sk_diff_printf(d, "no rule of the %s copies keeps it (%s)", copy_region,
							  retain_text)
					 : sk_diff_printf(d, "no rule keeps it (%s)", retain_text);
	char arn[SK_ARN_MAX];
	size_t i;

	for (i = 0; i < g->n; i++) {
		const struct sk_lc_item *it = &g->items[i];
		struct sk_action a;
		if (it->planned || it->keep)
			continue;
		sk_lc_action(d, &a, SK_ACTION_DELETE, p, it->snap->region, in->id, sk_diff_intern(d, it->snap->id));
		a.reason = !it->room_for ? reason
					 : sk_diff_printf(d, "deleted to make room for %s, which the %s quota refused "
							     "this run (the rules count it: %s)",
							  it->room_for->id, copy_region ? copy_region : in->region,
							  retain_text);
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

void sk_lc_action(struct sk_diff *d, struct sk_action *a, enum sk_action_kind kind, const struct sk_policy *p,
		  const char *region, const char *instance, const char *target)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->retention = a->copy_tags = a->deletion_protection = -1;
	a->region = region;
	a->instance = instance;
	a->target = target;
	a->policy = sk_diff_intern(d, p->name);
	a->cluster = p->clusters; /* a policy's snapshots are all of one kind: cluster snapshots for clusters */
}

const struct sk_aws_tag *sk_lc_tags(struct sk_diff *d, const struct sk_policy *p, const char *instance,
				    const char *slot_text, const char *source_arn, const struct sk_inv_snapshot *source,
				    size_t *n_out)
{
	size_t n = p->n_tags + SK_OWNERSHIP_TAGS_MAX + (source ? source->n_tags : 0), k = 0, i;
	const char *until = source ? sk_tag_get(source->tags, source->n_tags, SK_TAG_KEEP_UNTIL) : NULL;
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
	/* a copy of an on-demand snapshot is held as long as its source */
	k += sk_ownership_tags(t + k, sk_diff_intern(d, p->name), instance, slot_text, source_arn, until);
	*n_out = k;
	return t;
}
