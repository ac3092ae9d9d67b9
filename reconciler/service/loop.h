/*
 * loop.h - the scheduler of `snapkeep run`, independent of AWS and git
 *
 * sk_loop_run() runs cycles one after the other on the calling thread (so
 * they never overlap) and waits between them:
 *
 *   after a successful cycle   interval, +- jitter
 *   after k failed cycles      min(interval, base * 2^(k-1)), +- jitter
 *                              base: backoff_base_ms, or by default
 *                              interval/16 but at least 1 s (and at most
 *                              the interval): 15m gives 56s, 1m52s, 3m45s,
 *                              7m30s, then 15m
 *   jitter                     uniform in [w*(1-j), w*(1+j)] for a wait w,
 *                              from a seeded generator (j = 0.1 by default)
 *
 * While waiting it checks the watched ref every git_poll_ms with
 * poll_ref() and starts the next cycle at once when the commit differs
 * from the one seen just before the last cycle.  A SIGHUP (the reload
 * flag) calls reload() and starts a cycle at once; the loop reads
 * interval_ms, git_poll_ms and jitter from the options again before each
 * wait, so reload() may change them through its own pointer to them.
 *
 * The cancel flag (SIGTERM/SIGINT) ends a wait at once; a cycle in
 * progress is never interrupted by the loop: the cycle watches the flag
 * itself (the AWS client's cancel option) and returns.  The loop then
 * returns 0.
 */
#ifndef SK_LOOP_H
#define SK_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct sk_loop_opts {
	/* one reconcile cycle: 0 on success, negative on failure; required */
	int (*cycle)(void *ud);
	/* the watched ref's commit id, cheaply (a fetch of one ref, or a local read): 0 or negative; may be NULL */
	int (*poll_ref)(void *ud, char commit[41]);
	/* SIGHUP: re-read configuration; may be NULL */
	void (*reload)(void *ud);
	void *ud;

	int64_t interval_ms;     /* > 0 */
	int64_t git_poll_ms;     /* 0: do not poll */
	double jitter;           /* fraction of each wait, 0..0.5; SK_LOOP_OPTS_INIT: 0.1 */
	int64_t backoff_base_ms; /* 0: interval/16, at least 1000 */
	uint64_t seed;           /* 0: from the clock and pid */
	bool once;               /* one cycle, and return its result */
	volatile sig_atomic_t *cancel; /* non-zero: stop (may be NULL) */
	volatile sig_atomic_t *reload_flag; /* non-zero: reload, then cleared by the loop (may be NULL) */

	/* the clock, for tests: monotonic milliseconds, and a sleep that may end early; NULL: the real ones */
	int64_t (*now_ms)(void *clock_ud);
	void (*sleep_ms)(void *clock_ud, int64_t ms);
	void *clock_ud;
};

#define SK_LOOP_OPTS_INIT                                                                                   \
	{ .cycle = NULL, .poll_ref = NULL, .reload = NULL, .ud = NULL, .interval_ms = 0, .git_poll_ms = 0,     \
	  .jitter = 0.1, .backoff_base_ms = 0, .seed = 0, .once = false, .cancel = NULL, .reload_flag = NULL,  \
	  .now_ms = NULL, .sleep_ms = NULL, .clock_ud = NULL }

/*
 * Runs until the cancel flag is set, then returns 0.  With once, runs one
 * cycle (unless already cancelled) and returns what it returned.
 * SK_ERROR for invalid options.
 */
int sk_loop_run(const struct sk_loop_opts *o);

/* the wait after `failures` consecutive failed cycles (0: after a success), before jitter */
int64_t sk_loop_base_wait_ms(const struct sk_loop_opts *o, int failures);

/*
 * "15m", "2s", "500ms", "1h30m", "1h2m3s500ms": whole numbers with units
 * h, m, s, ms, each at most once and in that order, up to 31 days.  A
 * bare number, a fraction, a sign, spaces or anything else is refused with
 * a message naming the value.  "0s" only when allow_zero.
 */
int sk_loop_parse_duration(int64_t *out_ms, const char *s, bool allow_zero);
/* the same form back: "1h30m", "56s250ms", "0s" */
void sk_loop_format_duration(char out[48], int64_t ms);

#endif
