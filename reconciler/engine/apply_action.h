/*
 * apply_action.h - the state of one apply, and its actions run against AWS
 *
 * One action runs from its journaled intent through the guard's checks
 * (engine/guard.h) to its call and outcome; an answer that says the change
 * was already made counts as done.  The actions of a step run side by
 * side, at most the concurrency in each region.  Private to the engine:
 * apply.c (the steps) and apply_copies.c (waiting, the copies in turn)
 * share it.
 */
#ifndef SK_APPLY_ACTION_H
#define SK_APPLY_ACTION_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/rds.h"
#include "reconciler/engine/apply.h"

struct sk_apply_run {
	const struct sk_plan *plan;
	const struct sk_apply_opts *o;
	struct sk_apply_result *res;
	pthread_mutex_t lock;
	size_t *idx;        /* the actions to run now */
	size_t n_idx;
	bool *refused;      /* copies AWS refused for its limit of copies in progress: back in their queue */
	int64_t wait_start; /* when apply began to wait (monotonic ms), 0: not yet; the timeout counts from it */
};

bool sk_apply_cancelled(const struct sk_apply_run *r);
/* was the change made: done now, or before */
bool sk_apply_made(enum sk_outcome o);
/* action i ended as oc: recorded, logged and passed to on_outcome */
void sk_apply_finish(struct sk_apply_run *r, size_t i, enum sk_outcome oc, const char *detail);
/*
 * Runs the actions r->idx[0 .. r->n_idx) side by side, at most the
 * concurrency in each region; each finishes with its outcome, except a
 * copy AWS refused for its limit of copies in progress, which is marked in
 * r->refused instead (its queue tries it again).
 */
int sk_apply_actions(struct sk_apply_run *r);

#endif
