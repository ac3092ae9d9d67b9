/*
 * service.h - `snapkeep run` as a library: the reconcile loop with alerts
 * and metrics
 *
 * Each cycle is one reconciliation (engine/reconcile.h) under the state
 * directory's lock: read the policies (a remote repository is fetched),
 * observe, plan, and when the cycle options say apply, apply; then the
 * cycle is counted in the metrics registry (served on /metrics when an
 * address is given) and sent to CloudWatch, and what it found becomes
 * alert states (alertset.h: a failed cycle, a policy's failed actions,
 * deletions a failed snapshot blocks, a policy that selects nothing, and
 * the checks of `snapkeep verify` run on the cycle's inventory:
 * verify_watch.h),
 * published to SNS when they fire, every alert_repeat_ms while they fire,
 * and once when they resolve.  The states are kept in the state directory
 * (state/docs.h), read afresh every cycle.  The schedule (interval,
 * jitter, backoff, git polling, signals) is loop.c's.
 *
 * The daily summary (summary_at) is added up in the state directory
 * (state/docs.h) rather than in memory, so that `run --once` from cron
 * or a timer, where every process runs one cycle, still sends it, and a
 * restarted loop neither loses the day's cycles nor misses the time it was
 * down over.
 *
 * The monthly report (report_at) is the same: the page it writes in the
 * state directory says the month was reported.
 *
 * Ages of the newest snapshots are kept as the snapshots' creation times:
 * a cycle that cannot observe reports them older by the time that passed,
 * so an alarm on NewestSnapshotAgeSeconds still fires while snapkeep cannot
 * see (or make) snapshots, instead of seeing the last value forever.
 */
#ifndef SK_SERVICE_H
#define SK_SERVICE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "reconciler/engine/reconcile.h"
#include "reconciler/engine/session.h"
#include "specs/cron.h"

#define SK_ALERT_REPEAT_DEFAULT_MS ((int64_t)4 * 3600 * 1000)

struct sk_service_opts {
	/*
	 * Every cycle's reconciliation: source, regions, state directory,
	 * apply or drift only, and the callbacks that show it.  The service
	 * sets command ("run"), session and cancel itself.
	 */
	struct sk_reconcile_opts cycle;
	/* the AWS session the service opens, and opens again on a reload (SIGHUP) */
	struct sk_session_opts session;
	const char *version;           /* build_info */
	const char *metrics_addr;      /* serve /metrics and /healthz here; NULL: no server */
	int healthz_failures;          /* /healthz says 503 after this many failed cycles in a row */
	const char *metrics_namespace; /* CloudWatch; NULL: "Snapkeep" */
	bool summary;                  /* publish a daily summary ... */
	int summary_minute;            /* ... at this minute of the UTC day */
	bool report;                   /* --report-at: the monthly report (report_at.h) ... */
	struct sk_cron report_at;      /* ... when this schedule fires */
	int64_t alert_repeat_ms;       /* a firing alert's message again after this long; 0: 4 hours */
	int64_t interval_ms;
	int64_t git_poll_ms;           /* 0: no polling */
	bool once;
	volatile sig_atomic_t *cancel;      /* SIGTERM/SIGINT */
	volatile sig_atomic_t *reload_flag; /* SIGHUP */
};

#define SK_SERVICE_OPTS_INIT                                                                                \
	{ .cycle = SK_RECONCILE_OPTS_INIT, .session = SK_SESSION_OPTS_INIT, .version = NULL,                 \
	  .metrics_addr = NULL, .healthz_failures = 3, .metrics_namespace = NULL, .summary = false,          \
	  .summary_minute = 0, .report = false, .report_at = { 0 }, .alert_repeat_ms = SK_ALERT_REPEAT_DEFAULT_MS, .interval_ms = 15 * 60 * 1000, \
	  .git_poll_ms = 0, .once = false, .cancel = NULL, .reload_flag = NULL }

struct sk_service;

/* the registry, the AWS session and the metrics server; nothing reconciles yet */
int sk_service_new(struct sk_service **out, const struct sk_service_opts *o);
/*
 * Runs cycles until cancelled (then 0); with once, one cycle and 0 when it
 * succeeded (or was interrupted), SK_ERROR when it failed.
 */
int sk_service_run(struct sk_service *s);
void sk_service_free(struct sk_service *s);

#endif
