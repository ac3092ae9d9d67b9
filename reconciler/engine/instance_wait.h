/*
 * instance_wait.h - waiting for a DB instance to become available, or to be
 * gone, by polling DescribeDBInstances
 *
 * What restore (--wait) and drills share: after RestoreDBInstance* the new
 * instance goes creating -> available; after DeleteDBInstance it goes
 * deleting -> not found.  The wait is bounded by a timeout, stops early
 * when the cancel flag is set (a signal number) and reports each poll to a
 * callback, which sees the instance as RDS last described it (endpoint,
 * status, tags: copy what you keep) and draws progress.
 */
#ifndef SK_INSTANCE_WAIT_H
#define SK_INSTANCE_WAIT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/client.h"
#include "aws/rds.h"

enum sk_instance_want {
	SK_INSTANCE_WANT_AVAILABLE, /* status "available" */
	SK_INSTANCE_WANT_DELETED,   /* DescribeDBInstances answers DBInstanceNotFound */
};

/* how a wait ended */
enum sk_instance_wait_end {
	SK_INSTANCE_WAIT_REACHED = 0,
	SK_INSTANCE_WAIT_TIMEOUT,   /* not there within the timeout */
	SK_INSTANCE_WAIT_CANCELLED, /* the cancel flag was set */
	SK_INSTANCE_WAIT_FAILED,    /* a status it cannot leave ("failed", "incompatible-restore", ...), or gone */
	SK_INSTANCE_WAIT_ERROR,     /* describing it failed (3 polls in a row, or not retryable) */
};

/* one poll, as the callback sees it */
struct sk_instance_poll {
	const char *region;
	const char *instance_id;
	const char *status;                /* "creating", "available", ...; "deleted" once gone; NULL: unknown */
	const struct sk_rds_instance *inst; /* as RDS described it; NULL when gone or the describe failed */
	int64_t elapsed_ms;                /* since the wait began */
	bool done;                         /* the last poll: the wait has reached what it wanted */
};

typedef void (*sk_instance_wait_cb)(void *ud, const struct sk_instance_poll *p);

struct sk_instance_wait_opts {
	int timeout;                   /* seconds; 0: 2 hours */
	int poll_ms;                   /* first interval between polls; 0: 2000 (grows by half to 30 s) */
	int max_poll_ms;               /* the interval's ceiling; 0: 30000 */
	volatile sig_atomic_t *cancel; /* stops the wait when non-zero (checked every 100 ms) */
	sk_instance_wait_cb on_poll;   /* after every poll, or NULL */
	void *ud;
};

#define SK_INSTANCE_WAIT_OPTS_INIT \
	{ .timeout = 0, .poll_ms = 0, .max_poll_ms = 0, .cancel = NULL, .on_poll = NULL, .ud = NULL }

struct sk_instance_wait_result {
	enum sk_instance_wait_end end;
	char status[64];    /* the last status seen ("deleted" once gone; "" if none) */
	int64_t elapsed_ms; /* how long it waited */
};

/*
 * Polls instance_id in region until it is what `want` asks.  Returns 0 when
 * it is; SK_EINTERRUPTED when cancelled; SK_ERROR otherwise, with one
 * message naming the instance, region and what was seen ("gave up waiting
 * for db instance 'x' in us-east-1 to become available after 600 s (it is
 * creating)").  out (may be NULL) says how it ended in every case.  Waiting
 * for availability, DBInstanceNotFound in the first 60 s is read as "not
 * listed yet" (RDS is eventually consistent), later as gone.
 */
int sk_instance_wait(struct sk_instance_wait_result *out, struct sk_aws_client *c, const char *region,
		     const char *instance_id, enum sk_instance_want want, const struct sk_instance_wait_opts *o);

/* "available" or "deleted": what a want waits for, for messages */
const char *sk_instance_want_name(enum sk_instance_want want);

#endif
