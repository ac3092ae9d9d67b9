/*
 * context.h - the state one plan is built in: what diff.c (selection,
 * instances, replication) and the lifecycle (lifecycle*.c: snapshots,
 * copies, retention) share.  Private to the planner.
 */
#ifndef SK_PLAN_CONTEXT_H
#define SK_PLAN_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/retention.h"

struct sk_policy;
struct sk_policyset;
struct sk_pos;

struct sk_diff_sel {
	const struct sk_policy *policy;
	const struct sk_inv_instance *inst;
};

/* per-region accounting: quota, copies in flight, the summary line */
struct sk_diff_region {
	const char *region;
	int quota;
	size_t manual;          /* manual snapshots before the plan (not deleting) */
	size_t automated;
	size_t decided;         /* manual snapshots a policy decided on (the rest are kept, not managed) */
	size_t copies_inflight; /* copies arriving in this region, not available yet */
	const char **arriving;  /* their identifiers (copies_inflight of them, in the plan's arena) */
	size_t creates, copies, deletes;
	int64_t gib_delta;
	bool counted;           /* manual/automated/unmanaged were counted */
	/* creates and copies refused for the quota, and (some of) the instances they were for */
	size_t refused_creates, refused_copies;
#define SK_DIFF_REFUSED_NAMES 5
	const char *refused_names[SK_DIFF_REFUSED_NAMES];
	size_t n_refused_names;
	bool refused_more;
};

struct sk_lifecycle;

struct sk_diff {
	struct sk_plan *plan;
	const struct sk_policyset *set;
	const struct sk_inventory *inv;
	const struct sk_plan_opts *opts;
	int64_t now;
	struct sk_diff_sel *sel;
	size_t n_sel, cap_sel;
	struct sk_diff_region *regions;
	size_t n_regions, cap_regions;
	struct sk_buf errors;
	size_t n_errors;
	struct sk_buf basis;
	bool failed; /* an allocation failed somewhere: the error is set */
	struct sk_lifecycle *lc;
};

/* strings in the plan's arena; on failure they set d->failed and return NULL */
const char *sk_diff_printf(struct sk_diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sk_diff_intern(struct sk_diff *d, const char *s);
void sk_diff_note(struct sk_diff *d, enum sk_note_kind kind, const char *region, const char *instance,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
struct sk_action *sk_diff_action(struct sk_diff *d, const struct sk_action *a);
/* a policy error: the plan fails with every one of them */
void sk_diff_error(struct sk_diff *d, const struct sk_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* one fact of the live state the plan depends on (only with opts.basis) */
void sk_diff_basis(struct sk_diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct sk_diff_region *sk_diff_region(struct sk_diff *d, const char *region);
/* room under the region's manual-snapshot quota for one more create or copy; a refusal is counted for the note */
bool sk_diff_quota_room(struct sk_diff_region *reg, const char *instance, bool copy);
/* is the region among the ones the plan observes and changes (--region; none: every region)? */
bool sk_diff_region_wanted(const struct sk_diff *d, const char *region);
/*
 * may a wanted instance's copies or replication go to region dest?  With
 * opts.shard always (its shard owns them), else when dest is wanted
 */
bool sk_diff_dest_wanted(const struct sk_diff *d, const char *dest);
int sk_diff_cmp_strp(const void *a, const void *b);

#endif
