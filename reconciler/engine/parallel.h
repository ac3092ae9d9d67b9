/*
 * parallel.h - run tasks with bounded concurrency per region
 *
 * Mutations go to AWS at most `concurrency` at a time in each region, and
 * regions proceed side by side.  Each task's outcome is the task's own
 * business (fn records it); fn must be thread-safe.
 */
#ifndef SK_PARALLEL_H
#define SK_PARALLEL_H

#include <stddef.h>

typedef void (*sk_task_fn)(void *ud, size_t index);

/* runs fn(ud, i) for every i < n; region_of(ud, i) groups them */
int sk_parallel_by_region(size_t n, const char *(*region_of)(void *ud, size_t i), int concurrency, sk_task_fn fn,
			  void *ud);

#endif
