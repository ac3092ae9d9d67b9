/*
 * lifecycle_group.h - a group of snapshots of one (policy, instance) in one
 * place, and what the lifecycle decides about it
 *
 * A group holds the snapshots a policy owns of an instance in one region
 * (its own, or its copies in one copy region), the ones this plan would
 * make included.  Over a group: the policy's retention rules, settled so
 * that a planned snapshot no rule keeps is never made; the safety holds
 * (newest, minAvailable, a failed sibling, mass delete, maxDeletionsPerRun);
 * the deletions a quota refusal causes; then the delete actions and the
 * decisions the plan records.  Private to the planner: lifecycle.c and
 * lifecycle_copies.c fill groups and call these.
 */
#ifndef SK_LIFECYCLE_GROUP_H
#define SK_LIFECYCLE_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconciler/planner/context.h"

struct sk_aws_tag;
struct sk_policy;
struct sk_retain;

/* one snapshot a group reasons about: existing (snap) or planned (snap NULL) */
struct sk_lc_item {
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
	bool held;      /* its snapkeep:keep-until is ahead: kept, and out of the rules until then */
	/*
	 * Refused for the region's quota: never made in this run, but the rules
	 * count it, so the deletions it would cause make room for the next run
	 * (otherwise a region at its quota would stay stuck there).
	 */
	bool refused;
	const struct sk_lc_item *room_for; /* deleted: the refused item that the rules counted in its place */
	const struct sk_lc_item *source;   /* copies planned from a source item */
	size_t action; /* planned: 1 + the index of the create or copy that makes it; 0: none */
};

struct sk_lc_group {
	struct sk_lc_item *items;
	size_t n, cap;
	struct sk_retention_item *ritems; /* what the rules are given */
	size_t cap_ritems;
};

/* the safety rules of one group */
struct sk_lc_safety {
	const struct sk_policy *policy;
	int *budget;                       /* the policy's deletions left in this run */
	const char *region;
	const char *instance;
	const char *what;                  /* "snapshots" or "copies" */
	const struct sk_inv_snapshot *bad; /* a failed/unknown snapshot of the instance: nothing is deleted */
	struct sk_plan_place *place;       /* the plan's summary of the group's place, or NULL */
};

/* a new item, cleared; NULL (d->failed, the error set) when out of memory */
struct sk_lc_item *sk_lc_group_add(struct sk_diff *d, struct sk_lc_group *g);
/*
 * An existing snapshot as a new item: an instance's own (source NULL), as
 * old as its creation, or a copy of source (its ARN), as old as the source.
 * Its line goes into the plan's basis.
 */
struct sk_lc_item *sk_lc_group_add_snapshot(struct sk_diff *d, struct sk_lc_group *g, const struct sk_inv_snapshot *s,
					    const char *source);
void sk_lc_group_free(struct sk_lc_group *g);

/* the schedule slot a snapshot was taken for (its snapkeep:slot tag), 0: none */
int64_t sk_lc_slot_of(const struct sk_inv_snapshot *s);
/* failed, or in a state nobody knows: none of its instance's snapshots are deleted */
bool sk_lc_bad_status(const struct sk_inv_snapshot *s);
/* the rules as the plan's reasons say them ("last 7, daily 14"), in the plan's arena */
const char *sk_lc_retain_text(struct sk_diff *d, const struct sk_retain *r, bool has_retain);
/* qsort over struct sk_lc_item *: the newest first, ties by identifier */
int sk_lc_cmp_newest(const void *pa, const void *pb);

/*
 * Runs the rules until every planned item left is one they keep: a planned
 * item no rule keeps is never made (deferred), and the rules run again
 * without it, so deletions are decided against what will really exist.
 */
int sk_lc_settle_rules(const struct sk_retain *r, bool has_retain, struct sk_lc_group *g);
/* the safety rules over the group's existing items, after the rules ran (d->failed when out of memory) */
void sk_lc_safety(struct sk_diff *d, struct sk_lc_group *g, const struct sk_lc_safety *s);
/* which deletions make room for an item the quota refused (room_for); after the group's creates or copies */
int sk_lc_room_made(const struct sk_retain *r, bool has_retain, struct sk_lc_group *g);
/*
 * The deletions of the group's existing items nothing keeps.  copy_region:
 * NULL for the instance's own snapshots, else the copies' region (from
 * in->region).
 */
void sk_lc_delete_actions(struct sk_diff *d, struct sk_lc_group *g, const struct sk_policy *p,
			  const struct sk_inv_instance *in, const char *copy_region, const char *retain_text,
			  struct sk_diff_region *reg, size_t group);
/* the group's decisions go into the plan, and what it leaves into the place's summary */
void sk_lc_record_decisions(struct sk_diff *d, struct sk_lc_group *g, const struct sk_policy *p,
			    struct sk_diff_region *reg, size_t group);
/* a create, copy or delete of target for policy p, cleared; it changes no setting of the instance */
void sk_lc_action(struct sk_diff *d, struct sk_action *a, enum sk_action_kind kind, const struct sk_policy *p,
		  const char *region, const char *instance, const char *target);
/* the tags of a snapshot snapkeep creates (source NULL) or copies from source: the policy's, then its own */
const struct sk_aws_tag *sk_lc_tags(struct sk_diff *d, const struct sk_policy *p, const char *instance,
				    const char *slot_text, const char *source_arn, const struct sk_inv_snapshot *source,
				    size_t *n_out);

#endif
