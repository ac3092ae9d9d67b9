/*
 * shard_cycle.h - a `snapkeep run` cycle over shards (PostgreSQL)
 *
 * The policies say which shards there are (shards.h); each is tried in
 * this replica's order, taken when free, reconciled alone and given back.
 * A shard some replica reconciled well less than half an interval ago is
 * given back untouched, so N replicas reconcile each shard about once an
 * interval between them; one whose last holder died is always reconciled.
 * The backend is opened at the first cycle that reaches it; while it
 * cannot be reached, cycles fail at stage "state" and /healthz says why.
 */
#ifndef SK_SHARD_CYCLE_H
#define SK_SHARD_CYCLE_H

#include <stdbool.h>
#include <stdint.h>

struct sk_backend;
struct sk_metrics;
struct sk_metrics_server;
struct sk_reconcile_opts;
struct sk_reconcile_report;

struct sk_shard_cycle {
	const char *state_backend;        /* the connection string (sk_backend_choose()) */
	const char *state_dir;            /* --state-dir: what is local */
	const char *replica;              /* sk_replica_id(): the order, and the lock holder's run id */
	bool once;                        /* --once: every shard taken is reconciled, however fresh */
	int64_t interval_ms;
	struct sk_metrics *metrics;       /* the shard families (sk_shards_define_metrics()) */
	struct sk_metrics_server *server; /* its /healthz says why the backend cannot be reached; may be NULL */
	/* after a shard reconciled well with o->apply, before it is given back (the drills due); may be NULL */
	void (*after)(void *ud, const struct sk_reconcile_opts *o);
	void *ud;
	struct sk_backend *backend;       /* the cycles' own; sk_shard_cycle_close() */
};

/*
 * One cycle: rep adds up the shards reconciled (their instances move to
 * it; sk_reconcile_report_free() it); a failed shard fails the cycle but
 * the others are still tried.  o is every shard's reconciliation; the
 * shard, its account and region and the backend are set per shard.
 */
int sk_shard_cycle_run(struct sk_reconcile_report *rep, struct sk_shard_cycle *c, const struct sk_reconcile_opts *o);

/* closes the backend (its shard locks go with it) */
void sk_shard_cycle_close(struct sk_shard_cycle *c);

#endif
