/*
 * journal_glue.h - what apply records in the audit journal (state/journal.h)
 *
 * Intents before each mutating call, outcomes after; the intent must be
 * durable before the call is made, so a failure to record it stops the
 * action.  A NULL journal records nothing.  The call's parameters recorded
 * in an intent are the plan action's JSON (sk_action_to_json(), plan.h):
 * only what the plan says, never a credential.
 *
 * After a crash, the next run resolves the intents left without an outcome
 * against what it observed (sk_journal_glue_resolve), before planning.
 */
#ifndef SK_JOURNAL_GLUE_H
#define SK_JOURNAL_GLUE_H

#include <stddef.h>

#include <jansson.h>

#include "aws/client.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/plan.h"

struct sk_journal;

/*
 * Records the intent to make action a of plan p (its commit) in run run_id,
 * synced to disk; the record's id goes to out_id ("" with a NULL journal).
 * On failure the error says which action could not be recorded: do not
 * make the call.
 */
int sk_journal_glue_intent(struct sk_journal *j, const char *run_id, const struct sk_plan *p,
			   const struct sk_action *a, char *out_id, size_t out_len);

/*
 * Records how the call of intent_id ended: outcome_name ("done",
 * "already-done", ...), and from err (may be NULL) the AWS error code,
 * message and RequestId.  Pass err after successful calls too: its
 * request_id is the call's RequestId.  A failure to record is a warning
 * (the next run resolves the intent); the thread's last error is kept.
 */
void sk_journal_glue_outcome(struct sk_journal *j, const char *intent_id, const struct sk_action *a, int outcome,
			     const char *outcome_name, const struct sk_aws_error *err, const char *detail);

struct sk_journal_glue_counts {
	size_t completed; /* the change is in live state */
	size_t not_made;  /* it is not: the plan will decide again */
	size_t unknown;   /* live state cannot say (e.g. the target is someone else's) */
	size_t left;      /* its region was not observed: left for a later run */
	size_t other_shards; /* sk_journal_glue_resolve_shard: another shard's, left to it */
};

/*
 * Resolves every intent in j's journal (file or table) that has no outcome or
 * resolution against inv, a fresh observation: a create or copy whose
 * snapshot exists is "completed", a delete whose snapshot is gone (or
 * deleting) is "completed", a modify whose values are in place (or
 * pending) is "completed", a replication start or stop likewise, a restore
 * (`snapkeep restore`) whose new instance exists likewise; otherwise
 * "not-made".  Appends one resolution record per intent it can judge, with
 * what it saw as the detail, and leaves intents of regions inv did not
 * observe, and of accounts other than inv->account (an intent's account is
 * its call's "account"; none: the caller's own).  counts may be NULL.
 */
int sk_journal_glue_resolve(struct sk_journal *j, const struct sk_inventory *inv, const char *run_id,
			    struct sk_journal_glue_counts *counts);

/*
 * The shard an intent belongs to is the region of the instance its call
 * concerns: a copy's, a copy deletion's and a replication's is their
 * sourceRegion (the call is sent elsewhere), any other the region the call
 * is sent to.  NULL when the intent names neither.
 */
const char *sk_journal_glue_shard_region(const json_t *intent);

/*
 * The same, for the intents of one shard alone (region, as
 * sk_journal_glue_shard_region() reads it): its lock is held, so whoever
 * wrote them is done or dead, while other shards' may be in flight in a
 * live replica; those are left alone (counted in other_shards).
 */
int sk_journal_glue_resolve_shard(struct sk_journal *j, const struct sk_inventory *inv, const char *run_id,
				  const char *region, struct sk_journal_glue_counts *counts);

#endif
