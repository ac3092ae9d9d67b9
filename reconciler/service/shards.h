/*
 * shards.h - which shards a `snapkeep run` replica tries, and in which order
 *
 * A shard is one (account, region): the instances of that account in that
 * region and everything of theirs (their snapshots, their copies in other
 * regions, their replication: planner sk_plan_opts.shard).  A copy from
 * us-east-1 to us-west-2 belongs to the shard of its source instance
 * (account, us-east-1), which makes and deletes it; the shard us-west-2
 * never touches it.  So every mutation has exactly one shard, and a shard
 * is applied by one replica at a time (its lock, state/backend.h).
 *
 * The shards of a cycle are every (account, region) the policies name:
 * spec.regions in each account a policy covers (a region policies only
 * copy to has no shard: nothing lives there that is not another shard's),
 * within the run's --region and --account options, in one sorted order; each replica starts at its own place in
 * it, sk_shards_rotate(), so replicas first try different shards and
 * share the fleet without a coordinator.  A replica's place is
 * FNV-1a-64(replica id) modulo the number of shards.
 *
 * The replica id is --replica-id, else $SNAPKEEP_REPLICA_ID, else the host
 * name (on Kubernetes a pod's host name is its pod name).
 */
#ifndef SK_SHARDS_H
#define SK_SHARDS_H

#include <stddef.h>
#include <stdint.h>

struct sk_metrics;
struct sk_policyset;

/*
 * The families a replica exports about its shards, per {account, region}
 * (account "" for the caller's own):
 *   snapkeep_shard_held        gauge: 1 while this replica holds the shard,
 *                              0 once it gave it back (a series per shard
 *                              it reconciled in its last cycle)
 *   snapkeep_shard_cycles_total{account,region,outcome="success|failure|fresh"}
 *                              shards this replica took, by how it went
 *                              ("fresh": reconciled less than half an
 *                              interval ago by some replica, given back)
 *   snapkeep_shards_skipped_total{account,region}
 *                              tries that found another replica holding it
 *   snapkeep_state_backend_up  gauge: 1 when the last try to reach the
 *                              state backend worked, else 0
 */
#define SK_METRIC_SHARD_HELD "snapkeep_shard_held"
#define SK_METRIC_SHARD_CYCLES "snapkeep_shard_cycles_total"
#define SK_METRIC_SHARDS_SKIPPED "snapkeep_shards_skipped_total"
#define SK_METRIC_BACKEND_UP "snapkeep_state_backend_up"
int sk_shards_define_metrics(struct sk_metrics *m);

#define SK_REPLICA_ENV "SNAPKEEP_REPLICA_ID"

struct sk_shard {
	const char *account; /* "" the caller's own account */
	const char *region;
	char name[96];       /* "account/region", or "region" for the caller's own account: for people */
	char key[96];        /* "account/region" ("/region" for the caller's own): the backend's shard state */
};

/*
 * The shards the policies name, sorted by account then region, each once:
 * every region of a policy, in each of Settings' accounts the policy
 * covers (spec.accounts), or the caller's own ("") when Settings lists
 * none; with regions (n_regions > 0) or accounts (n_accounts > 0, --account)
 * only those.  The names point into set.  *out (free() it) may be NULL
 * when there are none.
 */
int sk_shards_list(struct sk_shard **out, size_t *n, const struct sk_policyset *set, const char *const *regions,
		   size_t n_regions, const char *const *accounts, size_t n_accounts);

/* FNV-1a, 64 bits */
uint64_t sk_shards_hash(const char *s);

/* rotates v so that it starts at the replica's place: sk_shards_hash(replica) % n */
void sk_shards_rotate(struct sk_shard *v, size_t n, const char *replica);

/*
 * The replica id: flag when set, else $SNAPKEEP_REPLICA_ID, else the host
 * name.  Written into out (truncated to len); SK_ERR_INVALID for an
 * empty flag or one with a space or control character.
 */
int sk_replica_id(char *out, size_t len, const char *flag);

#endif
