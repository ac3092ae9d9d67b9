/*
 * load.c - reading the policies and observing the regions they name
 */
#include "reconciler/engine/load.h"

#include <stdlib.h>

#include "common/buf.h"
#include "common/error.h"
#include "reconciler/engine/observe.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/diff.h"
#include "specs/policy.h"
#include "specs/source.h"
#include "state/statedir.h"

int sk_load_source_opts(struct sk_source_opts *o, char **cache_dir, const struct sk_load_opts *lo)
{
	char *dir = NULL;

	*o = (struct sk_source_opts){
		.repo = lo->repo ? lo->repo : ".",
		.ref = lo->ref,
		.path = lo->path,
		.no_fetch = lo->no_fetch,
		.allow_insecure = lo->allow_insecure_git,
		.signing = lo->signing,
		.on_insecure_fetch = lo->on_insecure_fetch,
		.ud = lo->ud,
	};
	*cache_dir = NULL;
	/* remote repositories are mirrored under the state directory */
	if (sk_statedir_resolve(&dir, lo->state_dir) == 0) {
		struct sk_buf b = SK_BUF_INIT;
		if (sk_buf_printf(&b, "%s/repos", dir) == 0)
			*cache_dir = sk_buf_detach(&b);
		sk_buf_free(&b);
		o->cache_dir = *cache_dir;
	}
	sk_error_clear();
	free(dir);
	return 0;
}

int sk_load_policies(struct sk_policyset **out, const struct sk_load_opts *lo)
{
	struct sk_source_opts so;
	struct sk_source *src = NULL;
	char *cache = NULL;
	int rc = -1;

	*out = NULL;
	sk_load_source_opts(&so, &cache, lo);
	if (sk_source_read(&src, &so) < 0)
		goto done;
	if (lo->on_source)
		lo->on_source(lo->ud, src);
	rc = sk_policyset_load(out, src);
done:
	sk_source_free(src);
	free(cache);
	return rc;
}

int sk_load_observe(struct sk_inventory **out, struct sk_aws_client *c, const struct sk_policyset *set,
		    const struct sk_load_observe_opts *o, struct sk_observe_stats *stats)
{
	struct sk_observe_opts oo = SK_OBSERVE_OPTS_INIT;
	struct sk_plan_region_lists rl;
	size_t n;
	int rc;

	*out = NULL;
	if (sk_plan_regions(&rl, set, o->regions, o->n_regions, o->shard) < 0)
		return -1;
	n = rl.n_full + rl.n_snapshots;
	if (!n) {
		sk_plan_region_lists_free(&rl);
		return sk_error_set(SK_ERR_CONFIG, "no policy names a region to observe%s",
				    o->n_regions ? " among the --region options" : "");
	}
	oo.regions = &rl;
	oo.now = o->now;
	oo.max_parallel = o->max_parallel;
	oo.slots = o->slots;
	if (o->progress)
		fprintf(o->progress, "Observing %zu region%s...\n", n, n == 1 ? "" : "s");
	rc = sk_observe(out, c, &oo, stats);
	sk_plan_region_lists_free(&rl);
	return rc;
}
