/*
 * parallel.c - run tasks on a bounded number of threads
 */
#include "reconciler/engine/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

/* a queue of task indexes that its threads drain together */
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

/* drains every group with at most per_group threads each, and returns when all are done */
static int run_groups(struct group *groups, size_t n_groups, int per_group, sk_task_fn fn, void *ud)
{
	struct worker *workers = NULL;
	pthread_t *threads = NULL;
	size_t g, i, n_threads = 0, started = 0;
	int rc = -1;

	if (per_group < 1)
		per_group = 1;
	for (g = 0; g < n_groups; g++)
		n_threads += groups[g].n < (size_t)per_group ? groups[g].n : (size_t)per_group;
	workers = calloc(n_threads + 1, sizeof(*workers));
	threads = calloc(n_threads + 1, sizeof(*threads));
	if (!workers || !threads) {
		sk_error_set_oom();
		goto done;
	}
	for (g = 0; g < n_groups; g++) {
		size_t k, want = groups[g].n < (size_t)per_group ? groups[g].n : (size_t)per_group;
		for (k = 0; k < want; k++) {
			struct worker *w = &workers[started];
			w->g = &groups[g];
			w->fn = fn;
			w->ud = ud;
			if (pthread_create(&threads[started], NULL, work, w) != 0) {
				/* fewer threads: the ones running drain the queue, or this one */
				if (k == 0)
					work(w);
				break;
			}
			started++;
		}
	}
	rc = 0;
done:
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(workers);
	free(threads);
	return rc;
}

int sk_parallel_for(size_t n, int max_threads, sk_task_fn fn, void *ud)
{
	struct group g;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	memset(&g, 0, sizeof(g));
	g.n = n;
	g.idx = malloc(n * sizeof(*g.idx));
	if (!g.idx)
		return sk_error_set_oom();
	for (i = 0; i < n; i++)
		g.idx[i] = i;
	atomic_init(&g.next, 0);
	rc = run_groups(&g, 1, max_threads, fn, ud);
	free(g.idx);
	return rc;
}

int sk_parallel_by_region(size_t n, const char *(*region_of)(void *ud, size_t i), int concurrency, sk_task_fn fn,
			  void *ud)
{
	struct group *groups = NULL;
	size_t *idx = NULL, *group_of = NULL;
	size_t n_groups = 0, i, g, at;
	int rc = -1;

	if (n == 0)
		return 0;
	groups = calloc(n, sizeof(*groups));
	idx = malloc(n * sizeof(*idx));
	group_of = malloc(n * sizeof(*group_of));
	if (!groups || !idx || !group_of) {
		sk_error_set_oom();
		goto done;
	}
	/* a handful of regions: a linear search per task is cheaper than hashing */
	for (i = 0; i < n; i++) {
		const char *r = region_of(ud, i);
		for (g = 0; g < n_groups; g++)
			if (!strcmp(groups[g].region, r))
				break;
		if (g == n_groups)
			groups[n_groups++].region = r;
		groups[g].n++;
		group_of[i] = g;
	}
	/* each group's tasks, in order, in one shared array */
	for (g = 0, at = 0; g < n_groups; g++) {
		groups[g].idx = idx + at;
		at += groups[g].n;
		groups[g].n = 0;
		atomic_init(&groups[g].next, 0);
	}
	for (i = 0; i < n; i++) {
		struct group *gr = &groups[group_of[i]];
		gr->idx[gr->n++] = i;
	}
	rc = run_groups(groups, n_groups, concurrency, fn, ud);
done:
	free(group_of);
	free(idx);
	free(groups);
	return rc;
}

void sk_slots_init(struct sk_slots *s, int n)
{
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->free = n > 0 ? n : 1;
}

void sk_slots_destroy(struct sk_slots *s)
{
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

void sk_slots_take(struct sk_slots *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	while (s->free <= 0)
		pthread_cond_wait(&s->cond, &s->lock);
	s->free--;
	pthread_mutex_unlock(&s->lock);
}

void sk_slots_give(struct sk_slots *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->free++;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}
