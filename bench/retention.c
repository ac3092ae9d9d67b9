/*
 * retention.c - benchmark of the retention engine (reconciler/planner/retention.c)
 *
 *   /usr/bin/time -v build/rel/bench/retention [--groups G] [--per-group N] [--rounds R]
 *
 * Builds G groups (instances) of N daily snapshots each, going back from
 * 2026-01-01 with a little jitter, in shuffled order as an API would list
 * them, then applies {daily 7, weekly 4, monthly 12} to every group, as
 * plan.c does per instance and region.  Prints the engine's time (the
 * best of R rounds, setup excluded) and what it kept; the peak memory is
 * /usr/bin/time's "Maximum resident set size".  Defaults: 10,000 groups
 * of 100, one million snapshots.  Figures, not pass/fail.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/retention.h"

#define ID_MAX 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

static long arg(int argc, char **argv, const char *name, long def)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return strtol(argv[i + 1], NULL, 10);
	return def;
}

int main(int argc, char **argv)
{
	long groups = arg(argc, argv, "--groups", 10000), per = arg(argc, argv, "--per-group", 100);
	long rounds = arg(argc, argv, "--rounds", 3), g, i, r;
	struct sk_retain rules = SK_RETAIN_INIT;
	struct sk_retention_item *items = NULL;
	char *ids = NULL;
	size_t n, kept = 0, bits[8] = { 0 };
	double best = 0, start, t;
	int64_t newest;
	uint64_t x = 1;
	int rc = 1;

	if (groups <= 0 || per <= 0 || rounds <= 0 || groups > 100000000 || per > 100000000 ||
	    groups * per > 100000000) {
		fprintf(stderr, "usage: retention [--groups G] [--per-group N] [--rounds R]\n");
		return 2;
	}
	n = (size_t)groups * (size_t)per;
	items = calloc(n, sizeof(*items));
	ids = malloc(n * ID_MAX);
	if (!items || !ids) {
		fprintf(stderr, "retention: out of memory for %zu snapshots\n", n);
		goto done;
	}
	sk_time_parse_rfc3339(&newest, "2026-01-01T03:30:00Z");
	for (g = 0; g < groups; g++) {
		struct sk_retention_item *grp = items + g * per;

		for (i = 0; i < per; i++) {
			char *id = ids + (size_t)(g * per + i) * ID_MAX;
			snprintf(id, ID_MAX, "snapkeep-bench-db-%06d-%04d", (int)g, (int)i);
			grp[i].id = id;
			grp[i].time = newest - (int64_t)i * 86400 + (int64_t)(next(&x) % 600);
		}
		for (i = per - 1; i > 0; i--) { /* listed in no particular order */
			long j = (long)(next(&x) % (uint64_t)(i + 1));
			struct sk_retention_item tmp = grp[i];
			grp[i] = grp[j];
			grp[j] = tmp;
		}
	}
	rules.daily = 7;
	rules.weekly = 4;
	rules.monthly = 12;

	for (r = 0; r < rounds; r++) {
		start = now_s();
		for (g = 0; g < groups; g++) {
			if (sk_retention_apply(&rules, items + g * per, (size_t)per) < 0) {
				fprintf(stderr, "retention: %s\n", sk_error_message());
				goto done;
			}
		}
		t = now_s() - start;
		if (r == 0 || t < best)
			best = t;
	}
	for (i = 0; i < (long)n; i++) {
		unsigned b;
		kept += items[i].keep != 0;
		for (b = 0; b < 8; b++)
			bits[b] += (items[i].keep >> b) & 1;
	}
	printf("retention: %zu snapshots in %ld groups of %ld, {daily 7, weekly 4, monthly 12}\n", n, groups, per);
	printf("engine: %.3f s (best of %ld), %.0f ns per snapshot, %.1f M snapshots/s\n", best, rounds,
	       best * 1e9 / (double)n, (double)n / best / 1e6);
	printf("kept: %zu (%.2f per group; daily %zu, weekly %zu, monthly %zu)\n", kept, (double)kept / (double)groups,
	       bits[2], bits[3], bits[4]);
	printf("input: %zu bytes of items + %zu bytes of ids; engine scratch: %zu bytes per call\n",
	       n * sizeof(*items), n * ID_MAX, (size_t)per * (sizeof(int64_t) + sizeof(char *) + sizeof(size_t)));
	rc = 0;
done:
	free(ids);
	free(items);
	return rc;
}
