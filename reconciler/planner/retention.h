/*
 * retention.h - restic's `forget` rules over one instance's snapshots in one region
 *
 * The same semantics as restic's ApplyPolicy (internal/restic/snapshot_policy.go):
 * snapshots are taken newest first; `last` keeps the n newest; `hourly`,
 * `daily`, `weekly` (ISO 8601 week), `monthly` and `yearly` each keep the
 * newest snapshot of the n newest distinct buckets (hour, day, ISO week,
 * month, year, all in UTC), and, when a rule still has count left at the
 * oldest snapshot, that oldest snapshot too; SK_RETAIN_UNLIMITED (-1) means
 * every bucket; `within` keeps every snapshot strictly newer than the
 * newest snapshot's time minus the duration (calendar arithmetic with Go's
 * AddDate normalisation: 2024-03-31 minus 1 month is 2024-03-02).  A
 * snapshot is kept if any rule keeps it; with no rule at all, every
 * snapshot is kept (SK_KEEP_NO_RULES).  Ties (equal times) are ordered by id,
 * the greater id first, so the outcome never depends on input order.
 *
 * The safety bits (SK_KEEP_NEWEST and after) are set by the plan (plan.c),
 * never by sk_retention_apply; they are listed here so that one set of
 * names explains every keep decision.
 */
#ifndef SK_RETENTION_H
#define SK_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "specs/retain.h"

enum sk_keep_reason {
	SK_KEEP_LAST = 1u << 0,
	SK_KEEP_HOURLY = 1u << 1,
	SK_KEEP_DAILY = 1u << 2,
	SK_KEEP_WEEKLY = 1u << 3,
	SK_KEEP_MONTHLY = 1u << 4,
	SK_KEEP_YEARLY = 1u << 5,
	SK_KEEP_WITHIN = 1u << 6,
	SK_KEEP_NO_RULES = 1u << 7,      /* the policy has no retain rules: keep everything */
	/* safety rules, set by the plan */
	SK_KEEP_NEWEST = 1u << 8,        /* the newest available snapshot of the instance in the region */
	SK_KEEP_MIN_AVAILABLE = 1u << 9, /* keeps minAvailable available snapshots */
	SK_KEEP_NOT_AVAILABLE = 1u << 10, /* creating, pending or in another non-final state */
	SK_KEEP_COPY_PENDING = 1u << 11, /* a copy of it is still pending in another region */
	SK_KEEP_FAILED_SIBLING = 1u << 12, /* a snapshot of the same instance is failed or unknown */
	SK_KEEP_MAX_DELETIONS = 1u << 13, /* over maxDeletionsPerRun: left for a later run */
	SK_KEEP_MASS_DELETE = 1u << 14,  /* would delete more than half without --allow-mass-delete */
	SK_KEEP_CREATE_PENDING = 1u << 15, /* this plan's create it depends on has not happened yet */
	SK_KEEP_UNTIL = 1u << 16,        /* its snapkeep:keep-until is still ahead (on-demand backups) */
	SK_KEEP_GUARDRAIL = 1u << 17,    /* a guardrail refused its deletion (planner/guardrails.h) */
};

#define SK_KEEP_RULE_MASK 0xffu
#define SK_KEEP_SAFETY_MASK 0x3ff00u

struct sk_retention_item {
	int64_t time;   /* what the rules look at: creation time (copies: the source's) */
	const char *id; /* tie-breaker; never NULL */
	unsigned keep;  /* out: SK_KEEP_* rule bits; 0: no rule keeps it */
};

/*
 * Decides every item (in any order; items are not reordered).  0, or
 * SK_ERROR on allocation failure.  Linear after one sort: O(n log n).
 */
int sk_retention_apply(const struct sk_retain *r, struct sk_retention_item *items, size_t n);

/* "daily" for SK_KEEP_DAILY, "newest-available" for SK_KEEP_NEWEST, ... ("unknown" otherwise) */
const char *sk_keep_reason_name(unsigned bit);
/* every set bit's name, joined by ", "; "none" for 0 */
int sk_keep_reasons_format(struct sk_buf *out, unsigned keep);

#endif
