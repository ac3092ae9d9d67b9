/*
 * load.h - the start every command shares: where the policies come from,
 * reading them from git, and observing the regions they name
 *
 * The policy source is a repository (path or URL), a ref and a folder;
 * remote repositories are mirrored under <state directory>/repos.  Nothing
 * here prints: invalid policies come back with their diagnostics in the
 * set, for the caller to show.
 */
#ifndef SK_LOAD_H
#define SK_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "specs/signature.h"

struct sk_aws_client;
struct sk_inventory;
struct sk_observe_stats;
struct sk_policyset;
struct sk_source;
struct sk_source_opts;
struct sk_slots;

struct sk_load_opts {
	const char *repo;        /* path or URL; NULL: the current directory */
	const char *ref;         /* NULL: HEAD */
	const char *path;        /* folder of the repository; NULL: the whole tree */
	const char *state_dir;   /* --state-dir; NULL: the environment's (state/statedir.h) */
	const char *state_backend; /* --state-backend as chosen (state/backend.h sk_backend_choose); NULL: the directory */
	bool no_fetch;           /* a remote repository is read from its mirror as it is */
	bool allow_insecure_git; /* git credentials may go to http:// and git:// remotes too */
	struct sk_signing_opts signing; /* --require-signed-commits and the allowed keys (specs/signature.h) */
	/* what the caller shows, each may be NULL: a fetch over plain http (specs/source.h) ... */
	void (*on_insecure_fetch)(void *ud, const char *url);
	/* ... and the source read, before parsing (its uncommitted policy files) */
	void (*on_source)(void *ud, const struct sk_source *src);
	void *ud;
};

#define SK_LOAD_OPTS_INIT                                                                                  \
	{ .repo = NULL, .ref = NULL, .path = NULL, .state_dir = NULL, .state_backend = NULL, .no_fetch = false, \
	  .allow_insecure_git = false, .signing = SK_SIGNING_OPTS_INIT, .on_insecure_fetch = NULL, .on_source = NULL, .ud = NULL }

/*
 * The source options for lo; *cache_dir (free it) is the mirror folder the
 * options point to, NULL when no state directory can be named (a local
 * repository still reads).
 */
int sk_load_source_opts(struct sk_source_opts *out, char **cache_dir, const struct sk_load_opts *lo);

/*
 * Reads and parses the policies.  0 when valid.  On invalid policies,
 * SK_ERROR with *out set (its diags say what is wrong; free it); when the
 * repository cannot be read, SK_ERROR and *out NULL.
 */
int sk_load_policies(struct sk_policyset **out, const struct sk_load_opts *lo);

struct sk_load_observe_opts {
	const char *const *regions; /* only these regions (--region); none: every region the policies name */
	size_t n_regions;
	bool shard;                 /* regions name shards: their copy regions too (sk_plan_regions) */
	int64_t now;                /* observedAt; 0: the clock */
	FILE *progress;             /* "Observing N regions..." goes here, or nowhere when NULL */
	int max_parallel;           /* regions observed at once; 0: SK_OBSERVE_PARALLEL */
	struct sk_slots *slots;     /* a bound shared with other observations (several accounts), or NULL */
};

#define SK_LOAD_OBSERVE_OPTS_INIT                                                                         \
	{ .regions = NULL, .n_regions = 0, .shard = false, .now = 0, .progress = NULL, .max_parallel = 0,       \
	  .slots = NULL }

/* observes every region the policy set needs, with list calls only (engine/observe.h) */
int sk_load_observe(struct sk_inventory **out, struct sk_aws_client *c, const struct sk_policyset *set,
		    const struct sk_load_observe_opts *o, struct sk_observe_stats *stats);

#endif
