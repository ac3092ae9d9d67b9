/*
 * parallel.h - run tasks on a bounded number of threads
 *
 * Mutations go to AWS at most `concurrency` at a time in each region, and
 * regions proceed side by side (sk_parallel_by_region); regions are
 * observed at most so many at a time (sk_parallel_for).  Each task's
 * outcome is the task's own business (fn records it); fn must be
 * thread-safe.  A thread that cannot be started leaves its share to the
 * threads that did start (or, with none, to the caller's thread).
 */
#ifndef SK_PARALLEL_H
#define SK_PARALLEL_H

#include <pthread.h>
#include <stddef.h>

typedef void (*sk_task_fn)(void *ud, size_t index);

/*
 * A bound that several runs of tasks share (accounts observed side by side,
 * each over its regions): at most n tasks hold a slot at once.
 */
struct sk_slots {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int free;
};

void sk_slots_init(struct sk_slots *s, int n);
void sk_slots_destroy(struct sk_slots *s);
/* waits for a free slot (NULL: no bound) */
void sk_slots_take(struct sk_slots *s);
void sk_slots_give(struct sk_slots *s);

/* runs fn(ud, i) for every i < n on at most max_threads threads; returns when all are done */
int sk_parallel_for(size_t n, int max_threads, sk_task_fn fn, void *ud);

/* runs fn(ud, i) for every i < n; region_of(ud, i) groups them, each group on at most concurrency threads */
int sk_parallel_by_region(size_t n, const char *(*region_of)(void *ud, size_t i), int concurrency, sk_task_fn fn,
			  void *ud);

#endif
