/*
 * reconcile.h - one reconciliation: read the policies, observe, plan, and
 * (for apply) make the plan so, under the state directory's lock, with
 * every call journaled and the state file updated
 *
 * `snapkeep apply` runs it once; `snapkeep run` runs it every cycle.  The
 * order is fixed: state directory ready (before any AWS call) -> lock ->
 * state file -> journal -> policies -> observe -> resolve the intents a
 * crashed run left -> plan -> confirm -> apply -> state file -> unlock.
 */
#ifndef SK_RECONCILE_H
#define SK_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reconciler/cli.h"
#include "reconciler/plan.h"

struct sk_session;
struct sk_policyset;
struct sk_inventory;

struct sk_reconcile_opts {
	struct sk_cli *cli;          /* source, regions, now, flags, state dir */
	struct sk_session *session;  /* open; required unless --inventory */
	const char *command;         /* "apply", "run": recorded in the lock and the state */
	bool apply;                  /* false: plan and report drift only */
	bool confirm;                /* ask "yes" on the terminal before applying */
	const char *plan_file;       /* apply exactly this saved plan */
	FILE *out;                   /* the plan, progress and results; NULL: nothing printed */
	bool quiet_no_changes;       /* print nothing when the plan is empty (the loop) */
	/* called once the plan is made, while the policies, inventory and plan are alive (the loop's metrics) */
	void (*after_plan)(void *ud, const struct sk_policyset *set, const struct sk_inventory *inv,
			   const struct sk_plan *plan);
	void *after_plan_ud;
};

#define SK_RECONCILE_OPTS_INIT { NULL, NULL, "apply", true, false, NULL, NULL, false, NULL, NULL }

struct sk_reconcile_instance {
	char region[32];
	char instance[64];
	char policy[128];
	int64_t newest;      /* newest available snapshot the policy owns there; 0: none */
	int64_t newest_copy; /* newest available copy in another region; 0: none */
	size_t owned;
};

struct sk_reconcile_report {
	int exit_code;       /* SK_EXIT_*: what the command should return */
	bool ok;             /* planned (and applied) without an error or a failed action */
	bool changes;        /* the plan had actions */
	bool interrupted;
	char commit[41];
	char subject[256];
	char error[1024];    /* the first error, "" when ok */
	const char *stage;   /* where it stopped: "state", "lock", "fetch", "observe", "plan", "apply", "record", "done" */
	int64_t started, finished;
	struct sk_plan_counts planned;
	size_t created, copied, changed, deleted, failed, deferred, skipped;
	size_t pending;      /* actions not made in this run (failed, deferred, skipped, or not applied) */
	struct sk_reconcile_instance *instances;
	size_t n_instances;
};

int sk_reconcile(struct sk_reconcile_report *out, const struct sk_reconcile_opts *o);
void sk_reconcile_report_free(struct sk_reconcile_report *r);

#endif
