/*
 * drill.h - restore drills: restore a backup into a throw-away instance,
 * query it, measure, and always delete it
 *
 * For every instance a policy with a `drill:` block selects (or the ones
 * asked for), under the state directory's lock: the newest available
 * snapshot the policy owns (or a point in time, now minus the lag) is
 * restored into "snapkeep-drill-<instance>" (planner/naming.h), tagged
 * snapkeep:drill and snapkeep:policy; the drill waits for it to be
 * available, connects to its endpoint with libpq (engine/drill_sql.h),
 * runs the checks and deletes the instance (SkipFinalSnapshot) whatever
 * happened: failed checks, a timeout, a signal.  A drill instance a crash
 * left behind (found by its tag in the observed inventory) is deleted
 * first, by the next drill, apply or loop cycle (sk_drill_cleanup).
 *
 * Each drill is recorded: a "drill" record in the journal (history shows
 * it), the instance's lastDrill in the state file (state/state.h), and one
 * SNS message to the policy's topic (else Settings') when it failed.
 * Measured: RTO (restore request -> checks answered), RPO (the backup's
 * time -> the newest row a notOlderThanSnapshotBy check reads), the
 * restore's own time and the sizes.
 */
#ifndef SK_DRILL_H
#define SK_DRILL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reconciler/engine/drill_sql.h"
#include "reconciler/engine/load.h"

struct sk_aws_client;
struct sk_inventory;
struct sk_journal;
struct sk_session;

struct sk_drill_result {
	char account[16];        /* the Settings' account it was made in; "": the caller's own */
	char policy[128];
	char region[32];
	char instance[64];       /* the instance whose backup is restored */
	char drill_instance[64]; /* the temporary instance */
	char source[256];        /* the snapshot restored; "" for a point in time */
	bool point_in_time;
	int64_t source_time;     /* the snapshot's creation time, or the point in time (0: the latest restorable) */
	bool passed;
	char error[1024];        /* "" when passed; else the first failure, one line */
	struct sk_drill_check_result *checks;
	size_t n_checks, n_passed;
	bool checks_ran;         /* the checks were reached (their results say how they went) */
	int64_t started, finished; /* Unix times */
	int64_t rto_ms;          /* restore request -> checks answered; -1: not measured */
	int64_t restore_ms;      /* restore request -> available; -1: not reached */
	int64_t rpo;             /* seconds, the largest RPO a check measured; -1: none */
	int source_gib;          /* the snapshot's AllocatedStorage (0: unknown) */
	int restored_gib;        /* the drill instance's */
	bool deleted;            /* DeleteDBInstance was accepted (or it was already gone) */
	bool interrupted;        /* a signal stopped it */
};

enum sk_drill_event_kind {
	SK_DRILL_EV_CLEANUP,   /* a leftover drill instance is deleted (message says which) */
	SK_DRILL_EV_START,     /* a drill begins: r's policy, instance, source */
	SK_DRILL_EV_WAIT,      /* a poll while the restore runs: status, elapsed_ms */
	SK_DRILL_EV_CHECKS,    /* available: the checks start */
	SK_DRILL_EV_DELETE,    /* the drill instance is being deleted */
	SK_DRILL_EV_DONE,      /* r is complete */
};

struct sk_drill_event {
	enum sk_drill_event_kind kind;
	const struct sk_drill_result *r; /* NULL for CLEANUP */
	const char *status;              /* WAIT: the instance's status */
	int64_t elapsed_ms;              /* WAIT: since the restore request */
	const char *message;             /* CLEANUP: "region/instance" */
};

typedef void (*sk_drill_event_cb)(void *ud, const struct sk_drill_event *ev);

struct sk_drill_opts {
	const char *command;         /* recorded in the lock: "drill", "run" */
	struct sk_load_opts source;  /* the policies and the state directory */
	struct sk_session *session;  /* open; its client should not share the cancel flag (the delete must go out) */
	const char *const *instances; /* only these instances (--instance); none: every one */
	size_t n_instances;
	const char *policy;          /* only this policy (--policy); NULL: every policy with a drill */
	/* with Settings' accounts: only these of them (--account); none: every account a policy covers */
	const char *const *accounts;
	size_t n_accounts;
	const char *const *regions;  /* only these regions; none: the policies' */
	size_t n_regions;
	int lock_timeout;
	int64_t now;                 /* 0: the clock */
	bool only_due;               /* the loop: only drills whose schedule fired since the last one */
	bool notify;                 /* SNS on failure */
	int poll_ms;                 /* first interval between polls; 0: the wait's default */
	volatile sig_atomic_t *cancel;
	sk_drill_event_cb on_event;
	void *ud;
};

#define SK_DRILL_OPTS_INIT                                                                                 \
	{ .command = "drill", .source = SK_LOAD_OPTS_INIT, .session = NULL, .instances = NULL, .n_instances = 0, \
	  .policy = NULL, .accounts = NULL, .n_accounts = 0, .regions = NULL, .n_regions = 0,                \
	  .lock_timeout = 0, .now = 0, .only_due = false,                                                     \
	  .notify = true, .poll_ms = 0, .cancel = NULL, .on_event = NULL, .ud = NULL }

struct sk_drill_report {
	struct sk_drill_result *results;
	size_t n_results, cap_results;
	size_t passed, failed;
	size_t cleaned;       /* leftover drill instances deleted */
	size_t selected;      /* instances with a drill the filters chose (drilled or not due) */
	size_t unobserved;    /* Settings' accounts that could not be observed: nothing drilled there (error says) */
	bool interrupted;
	char error[1024];     /* what stopped the run before or between drills ("" when none) */
};

/*
 * Runs the drills o asks for.  0 when every drill ran and passed (or none
 * was due); -1 otherwise, with rep->error or the failed results saying
 * why.  rep is filled in every case; free it with sk_drill_report_free().
 */
int sk_drill(struct sk_drill_report *rep, const struct sk_drill_opts *o);
void sk_drill_report_free(struct sk_drill_report *rep);

/* a result as the journal records it (and `drill --output json` prints it); NULL when out of memory */
json_t *sk_drill_result_json(const struct sk_drill_result *r);

/*
 * Deletes every instance of inv tagged snapkeep:drill (not already being
 * deleted): what a crashed drill left.  Journals each delete ("drill-cleanup")
 * when j is not NULL.  *deleted counts them.  Returns 0, or -1 when a
 * delete failed (the others are still made).  For apply and the loop as
 * for drill.
 */
int sk_drill_cleanup(size_t *deleted, struct sk_aws_client *c, const struct sk_inventory *inv, struct sk_journal *j,
		     const char *run_id, sk_drill_event_cb on_event, void *ud);

#endif
