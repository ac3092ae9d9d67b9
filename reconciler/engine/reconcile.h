/*
 * reconcile.h - one reconciliation: read the policies, observe, plan, and
 * (for apply) make the plan so, under the state directory's lock, with
 * every call journaled and the state file updated
 *
 * `snapkeep apply` runs it once; `snapkeep run` runs it every cycle.  The
 * order is fixed: state directory ready (before any AWS call) -> lock ->
 * state file -> journal -> policies -> observe -> resolve the intents a
 * crashed run left -> plan -> confirm -> apply -> state file -> unlock.
 *
 * The engine prints nothing of its own (log lines aside): what people see
 * of the plan, the prompt and the results reaches the caller through the
 * callbacks, which the command line fills.
 */
#ifndef SK_RECONCILE_H
#define SK_RECONCILE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "reconciler/engine/apply.h"
#include "reconciler/engine/load.h"
#include "reconciler/planner/plan.h"

struct sk_accounts;
struct sk_guardrails;
struct sk_planfile_origin;
struct sk_session;
struct sk_policyset;
struct sk_inventory;
struct sk_reconcile_report;
struct sk_backup_request;

/* every callback is optional; each gets the callbacks' ud */
struct sk_reconcile_callbacks {
	/* the policies are invalid: set holds the diagnostics */
	void (*diags)(void *ud, const struct sk_policyset *set);
	/*
	 * The plan is made, while the policies, the inventory and the plan are
	 * alive; todo is what apply will execute (the saved plan, or plan).
	 * Over several accounts inv is NULL: each account has its own (the
	 * plan's parts were made from them).
	 */
	void (*planned)(void *ud, const struct sk_policyset *set, const struct sk_inventory *inv,
			const struct sk_plan *plan, const struct sk_plan *todo);
	/*
	 * Over several accounts, just before planned: every account, each
	 * observed one with its policies and inventory (engine/accounts.h),
	 * alive until planned returns.
	 */
	void (*planned_accounts)(void *ud, const struct sk_accounts *accts);
	/* before applying a fresh plan with changes: 1 go ahead, 0 cancelled, negative: an error (set it) */
	int (*confirm)(void *ud, const struct sk_plan *todo);
	/* approved; the calls start */
	void (*applying)(void *ud, const struct sk_plan *todo);
	/* each action as it finishes; called from apply's worker threads */
	void (*outcome)(void *ud, const struct sk_action *a, enum sk_outcome o, const char *detail);
	/* after apply, with every outcome */
	void (*applied)(void *ud, const struct sk_plan *todo, const struct sk_apply_result *res,
			const struct sk_reconcile_report *rep);
	void *ud;
};

struct sk_backend;

struct sk_reconcile_opts {
	const char *command;                /* "apply", "run": recorded in the lock and the state */
	bool apply;                         /* false: plan and report drift only */
	struct sk_load_opts source;         /* the policies, and the state directory / backend */
	/*
	 * An open state backend (state/backend.h) to use instead of opening
	 * source.state_backend; and with shard ("account/region"), the shard
	 * whose lock the caller holds: its state is loaded and saved, and no
	 * whole-state lock is taken.  NULL: open one, take the whole-state lock.
	 */
	struct sk_backend *backend;
	const char *shard;
	int lock_timeout;                   /* seconds to wait for another run's lock */
	struct sk_session *session;         /* open; required */
	const char *const *regions;         /* only these regions; none: every region the policies name */
	size_t n_regions;
	/*
	 * One shard (account, region) of `snapkeep run` over shards
	 * (service/shards.h), whose lock the caller holds: no whole-state lock
	 * is taken; regions are ignored: the shard's region is planned as a
	 * shard (sk_plan_opts.shard: its instances and their copies wherever
	 * they go), only the shard's journal intents are resolved, and its
	 * state is "account/region" (shard, when not given).  shard_region
	 * NULL: the whole fleet, as before.
	 */
	const char *shard_account;          /* "" or NULL: the caller's own */
	const char *shard_region;
	/* only these of Settings' accounts (engine/accounts.h); none: every account a policy covers */
	const char *const *accounts;
	size_t n_accounts;
	int parallel;                       /* (account, region) places at once; 0: Settings' parallel */
	int64_t now;                        /* 0: the clock */
	bool allow_mass_delete;
	const struct sk_guardrails *guardrails; /* the deployment's floor (specs/guardrails.h), or NULL */
	/*
	 * The kinds of warning (1u << SK_WARN_*, planner/warnings.h) apply
	 * may go ahead with: a plan with any other is refused before any
	 * call, and one with allowed kinds is journaled ("allow-destructive":
	 * the commit, the user, the warnings) before its first call
	 */
	unsigned allow_destructive;
	int concurrency;                    /* mutating calls in flight per region; 0: Settings' */
	bool wait;                          /* wait for new snapshots, then copy them */
	const char *plan_file;              /* apply exactly this saved plan */
	/*
	 * The saved plan as the caller read it (sk_planfile_read) and its
	 * origin, so the file is read once; NULL: plan_file is read here.
	 * Either way, the origin must agree with these options
	 * (engine/saved.h sk_saved_check) and its account with the one
	 * observed, or the plan is refused.
	 */
	const json_t *saved_plan;
	const struct sk_planfile_origin *saved_origin;
	volatile sig_atomic_t *cancel;      /* a signal number once interrupted */
	/* an on-demand backup (`snapkeep backup`): its plan (planner/ondemand.h) instead of the policies' */
	const struct sk_backup_request *backup;
	FILE *progress;                     /* apply's progress lines (waiting for snapshots), or NULL */
	bool progress_tty;                  /* progress rewrites one line */
	struct sk_reconcile_callbacks cb;
};

#define SK_RECONCILE_OPTS_INIT                                                                               \
	{ .command = "apply", .apply = true, .source = SK_LOAD_OPTS_INIT, .backend = NULL, .shard = NULL,         \
	  .lock_timeout = 0, .session = NULL, .regions = NULL, .n_regions = 0, .shard_account = NULL,             \
	  .shard_region = NULL, .accounts = NULL, .n_accounts = 0, .parallel = 0, .now = 0,                       \
	  .allow_mass_delete = false, .guardrails = NULL,                                                        \
	  .allow_destructive = 0, .concurrency = 0, .wait = true, .plan_file = NULL, .saved_plan = NULL,        \
	  .saved_origin = NULL, .cancel = NULL, .backup = NULL, .progress = NULL,                                \
	  .progress_tty = false,                                                                                 \
	  .cb = { .diags = NULL, .planned = NULL, .confirm = NULL, .applying = NULL, .outcome = NULL,            \
		  .applied = NULL, .ud = NULL } }

/* one region's snapshots of a managed instance after the run */
struct sk_reconcile_place {
	char region[32];
	size_t owned;        /* owned snapshots the plan kept, and the ones this run made */
	char newest[256];    /* the newest available one ("" none); made ones count once available */
	int64_t newest_time; /* its creation time (a copy's: its source's) */
};

/* what the run leaves of one (policy, instance) whose snapshots it manages (the plan's summary) */
struct sk_reconcile_instance {
	char account[16]; /* "" the caller's own */
	char instance[64];
	char policy[128];
	bool automated_only; /* the policy takes no snapshots: own.newest is an automated one */
	struct sk_reconcile_place own;     /* the instance's region */
	struct sk_reconcile_place *copies; /* each copy region */
	size_t n_copies;
};

struct sk_reconcile_report {
	bool ok;             /* planned (and applied) without an error or a failed action */
	bool changes;        /* the plan had actions */
	bool interrupted;
	int signal;          /* interrupted: the cancel flag's value (SIGINT, SIGTERM), 0 if unknown */
	bool cancelled;      /* the confirm callback said no */
	bool refused;        /* a saved plan did not match the live state or the commit, or the commit was not signed */
	size_t unobserved;   /* accounts not observed (several accounts): nothing was planned or applied there */
	bool partial;        /* all went well but for those accounts (ok is false, error names them) */
	size_t guardrail_refused; /* actions the guardrails refused (never applied) */
	bool destructive;    /* the plan had warnings not allowed (apply refused it; the commit is not "applied") */
	char commit[41];
	char subject[256];
	char error[1024];    /* the first error, "" when ok */
	/* where it stopped: "state", "lock", "fetch", "verify" (no allowed signature), "observe", "plan", "apply", "record", "done" */
	const char *stage;
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
