/*
 * apply.h - execute a plan's actions against AWS
 *
 * The plan must come from sk_plan_compute(): apply follows the dependencies
 * it records between actions (sk_action.depends_on and .group).  A plan
 * read back from JSON does not carry them and is never applied; a saved
 * plan is compared with a fresh one, which is applied (engine/reconcile.c).
 *
 * Order: instance changes (replication stops before starts) -> snapshot
 * creates -> wait until they are available -> copies -> deletes.  Copies
 * run at most the plan's copies_at_once in progress per destination region
 * (counting the ones arriving there before the run); while apply waits,
 * the next ones start as earlier ones become available, so one apply makes
 * them all, else (no wait, timeout) the rest are deferred.  Calls run
 * with bounded concurrency per region.  Before each mutating call an intent
 * is journaled, after it the outcome, so a crash leaves a record the next
 * run resolves.  Idempotent under partial failure: DBSnapshotAlreadyExists
 * for our own deterministic identifier and DBSnapshotNotFound on delete
 * count as done.
 *
 * Apply trusts no plan, whatever its source: just before each call it
 * checks the action against the live inventory and the policies the plan
 * was made from (opts.inv, opts.set; engine/guard.h).  An action that fails
 * a check is FAILED with an SK_ERR_SAFETY message ("refused delete of
 * snapshot ...: ..."), no AWS call is made, and the journal records its
 * intent with a "failed" outcome.  Without an inventory or a policy set
 * nothing can be checked, so every action is refused (deletes first of all).
 *
 * An action the plan marks suspended (its policy says spec.suspend: true)
 * is never made: its intent and a "suspended" outcome are journaled, no
 * call is made, and it ends SK_OUTCOME_SUSPENDED.
 */
#ifndef SK_APPLY_H
#define SK_APPLY_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aws/client.h"
#include "reconciler/planner/plan.h"

struct sk_guardrails;
struct sk_inventory;
struct sk_journal;
struct sk_policyset;

enum sk_outcome {
	SK_OUTCOME_PENDING = 0, /* not attempted (yet) */
	SK_OUTCOME_DONE,
	SK_OUTCOME_ALREADY,  /* the change was already made (a retry or an earlier run) */
	SK_OUTCOME_DEFERRED, /* left for a later run: copy limit, --no-wait, timeout */
	SK_OUTCOME_FAILED,
	SK_OUTCOME_SKIPPED,  /* not attempted: interrupted or its source failed */
	SK_OUTCOME_SUSPENDED, /* not attempted: its policy is suspended (spec.suspend); journaled so */
};

struct sk_apply_opts {
	struct sk_aws_client *client;
	struct sk_journal *journal; /* may be NULL */
	const char *run_id;
	int concurrency;      /* per region; 0: 4 */
	bool wait;            /* wait for creates before copying them, and for copies in progress to start more */
	int wait_timeout;     /* seconds of waiting in all; 0: 2 hours */
	int poll_ms;          /* first poll interval; 0: 2000 (grows to 30 s) */
	volatile sig_atomic_t *cancel;
	FILE *progress;       /* progress lines (a terminal), or NULL */
	bool progress_tty;    /* rewrite one line instead of printing many */
	/* called after each action finishes (metrics, live output); thread-safe */
	void (*on_outcome)(void *ud, const struct sk_action *a, enum sk_outcome o, const char *detail);
	void *on_outcome_ud;
	/* what each action is checked against before its call: the live state the plan was made from, its policies */
	const struct sk_inventory *inv;
	const struct sk_policyset *set;
	const struct sk_guardrails *guardrails; /* the deployment's (engine/guard.h), or NULL */
};

#define SK_APPLY_OPTS_INIT                                                                                  \
	{ .client = NULL, .journal = NULL, .run_id = NULL, .concurrency = 0, .wait = true, .wait_timeout = 0,    \
	  .poll_ms = 0, .cancel = NULL, .progress = NULL, .progress_tty = false, .on_outcome = NULL,            \
	  .on_outcome_ud = NULL, .inv = NULL, .set = NULL, .guardrails = NULL }

struct sk_apply_result {
	size_t n;
	enum sk_outcome *outcomes; /* one per plan action */
	char **details;            /* error text or RequestId, per action */
	int64_t *available_at;     /* creates seen available while apply waited: the snapshot's creation time, else 0 */
	size_t done, already, deferred, failed, skipped, suspended;
	bool interrupted;
};

int sk_apply(const struct sk_plan *plan, const struct sk_apply_opts *o, struct sk_apply_result *res);
void sk_apply_result_free(struct sk_apply_result *res);
const char *sk_outcome_name(enum sk_outcome o);

#endif
