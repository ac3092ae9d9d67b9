/*
 * parallel.c - run tasks with bounded concurrency per region
 */
#include "reconciler/engine/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

struct group {
	const char *region;
	size_t *idx;
	size_t n;
	atomic_size_t next;
};

struct worker {
	struct group *g;
	sk_task_fn fn;
	void *ud;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->g->next, 1)) < w->g->n)
		w->fn(w->ud, w->g->idx[i]);
	return NULL;
}

int sk_parallel_by_region(size_t n, const char *(*region_of)(void *ud, size_t i), int concurrency, sk_task_fn fn,
			  void *ud)
{
	struct group *groups = NULL;
	struct worker *workers = NULL;
	pthread_t *threads = NULL;
	size_t n_groups = 0, i, g, n_threads = 0, started = 0;
	int rc = -1;

	if (n == 0)
		return 0;
	if (concurrency < 1)
		concurrency = 1;
	groups = calloc(n, sizeof(*groups));
	if (!groups)
		return sk_error_set_oom();
	for (i = 0; i < n; i++) {
		const char *r = region_of(ud, i);
		for (g = 0; g < n_groups; g++)
			if (!strcmp(groups[g].region, r))
				break;
		if (g == n_groups) {
			groups[g].region = r;
			groups[g].idx = malloc(n * sizeof(size_t));
			if (!groups[g].idx) {
				sk_error_set_oom();
				goto done;
			}
			atomic_init(&groups[g].next, 0);
			n_groups++;
		}
		groups[g].idx[groups[g].n++] = i;
	}
	for (g = 0; g < n_groups; g++)
		n_threads += groups[g].n < (size_t)concurrency ? groups[g].n : (size_t)concurrency;
	workers = calloc(n_threads, sizeof(*workers));
	threads = calloc(n_threads, sizeof(*threads));
	if (!workers || !threads) {
		sk_error_set_oom();
		goto done;
	}
	for (g = 0; g < n_groups; g++) {
		size_t k, want = groups[g].n < (size_t)concurrency ? groups[g].n : (size_t)concurrency;
		for (k = 0; k < want; k++) {
			struct worker *w = &workers[started];
			w->g = &groups[g];
			w->fn = fn;
			w->ud = ud;
			if (pthread_create(&threads[started], NULL, work, w) != 0) {
				/* fewer threads: the ones running drain the queue */
				if (k == 0) {
					work(w);
				}
				break;
			}
			started++;
		}
	}
	rc = 0;
done:
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (g = 0; g < n_groups; g++)
		free(groups[g].idx);
	free(groups);
	free(workers);
	free(threads);
	return rc;
}
