/*
 * restore.h - `snapkeep restore`: a point-in-time or snapshot restore into
 * a new instance, checked against live state before any call
 *
 * Three sources: a time inside the instance's restore window (--to-time),
 * the latest restorable time (--latest), or a manual snapshot or copy
 * (--from-snapshot).  The region is where the new instance goes and where
 * its source must be: the instance itself, or, in a disaster-recovery
 * region, its replicated (or retained) automated backup or a copy of its
 * snapshot there.
 *
 * sk_restore_check() makes only Describe calls: it finds the source, reads
 * the restore window (LatestRestorableTime from DescribeDBInstances, the
 * earliest from DescribeDBInstanceAutomatedBackups' RestoreWindow), checks
 * the time against it (or that the snapshot exists in that region, is of
 * that instance and is available) and that the target does not exist yet,
 * and returns the call it would make.  A request that fails a check is
 * refused (class SK_ERR_SAFETY) with one line that says why, naming the
 * window when the time is outside it, and no mutating call is made.
 *
 * sk_restore() runs the whole of it: the check, the plan to a callback
 * (where a dry run ends), then under the state directory's lock an intent
 * in the journal, the call, its outcome; and with wait, waiting for the new
 * instance to be available (instance_wait.h), whose end is journaled as a
 * "restore" record (state/journal.h).  The new instance is tagged with what
 * it was restored from, by whom and when (ownership.h).
 */
#ifndef SK_RESTORE_H
#define SK_RESTORE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/client.h"
#include "aws/query.h"
#include "reconciler/engine/instance_wait.h"
#include "state/journal.h"

enum sk_restore_source {
	SK_RESTORE_TO_TIME,       /* restore_time, inside the window */
	SK_RESTORE_LATEST,        /* UseLatestRestorableTime */
	SK_RESTORE_FROM_SNAPSHOT, /* snapshot */
};

struct sk_restore_request {
	const char *instance;       /* the source instance's identifier */
	enum sk_restore_source source;
	int64_t restore_time;       /* SK_RESTORE_TO_TIME: seconds since the epoch */
	const char *snapshot;       /* SK_RESTORE_FROM_SNAPSHOT: identifier or ARN */
	const char *target;         /* the new instance's identifier */
	const char *region;         /* where the new instance goes and the source is looked for */
	const char *instance_class; /* NULL: as the source */
	const char *requested_by;   /* snapkeep:restored-by (e.g. "alice@host"); NULL: "snapkeep" */
	int64_t now;                /* snapkeep:restored-at; 0: the clock */
};

#define SK_RESTORE_REQUEST_INIT                                                                              \
	{ .instance = NULL, .source = SK_RESTORE_TO_TIME, .restore_time = 0, .snapshot = NULL, .target = NULL,   \
	  .region = NULL, .instance_class = NULL, .requested_by = NULL, .now = 0 }

/* where the data comes from */
enum sk_restore_via {
	SK_RESTORE_VIA_INSTANCE,         /* the live instance's automated backups, in its region */
	SK_RESTORE_VIA_AUTOMATED_BACKUP, /* an automated backup in the region: replicated there, or retained */
	SK_RESTORE_VIA_SNAPSHOT,         /* a manual snapshot or a copy in the region */
};

#define SK_RESTORE_TEXT_MAX 320
#define SK_RESTORE_MAX_PARAMS 10
#define SK_RESTORE_N_TAGS 4

/* one Query parameter of the call, as it is sent */
struct sk_restore_param {
	const char *name;
	char value[SK_RESTORE_TEXT_MAX];
};

/* what the checks found and the call they allow; plain data (pointers into itself: do not copy) */
struct sk_restore_plan {
	const char *action;         /* "RestoreDBInstanceToPointInTime", "RestoreDBInstanceFromDBSnapshot" */
	const char *journal_action; /* "restore-pitr", "restore-snapshot" (history's ACTION) */
	enum sk_restore_source source;
	enum sk_restore_via via;
	char region[64];
	char instance[64];
	char target[64];
	char source_arn[SK_RESTORE_TEXT_MAX];  /* the instance's, automated backup's or snapshot's ARN */
	char source_region[64];                /* where the backups were made (a replica's source region) */
	/*
	 * the restore window as it was read (0, 0: none; for a snapshot restore,
	 * the instance's when it lives in the region), and the time asked for
	 * (0 with latest or a snapshot)
	 */
	int64_t earliest, latest;
	int retention_days;
	char backup_status[32];                /* the automated backup's status: active, replicating, retained */
	int64_t restore_time;
	/* snapshot */
	char snapshot_id[256];
	char snapshot_status[32];
	int64_t snapshot_created;
	/* the call: its parameters in order (Tags last) and the tags the new instance gets */
	struct sk_restore_param params[SK_RESTORE_MAX_PARAMS];
	size_t n_params;
	struct sk_aws_tag tags[SK_RESTORE_N_TAGS];
	char tag_values[SK_RESTORE_N_TAGS][SK_RESTORE_TEXT_MAX];
	size_t n_tags;
	char summary[2 * SK_RESTORE_TEXT_MAX]; /* "db-a at 2026-03-09T12:00:00Z", "snapshot 'x' (db-a, ...)" */
};

/*
 * The checks and the call they allow, into *out (free it with
 * sk_restore_plan_free); Describe calls only.  A bad request (no target,
 * a target named as the source) is SK_ERR_INVALID; a refusal SK_ERR_SAFETY;
 * a failed Describe the AWS error.
 */
int sk_restore_check(struct sk_restore_plan **out, struct sk_aws_client *c, const struct sk_restore_request *r);
void sk_restore_plan_free(struct sk_restore_plan *p);

/* "2026-03-03T05:00:00Z .. 2026-03-10T04:55:00Z", "none" when the window is unknown */
void sk_restore_window_text(char *out, size_t len, const struct sk_restore_plan *p);

struct sk_restore_opts {
	struct sk_aws_client *client;
	const char *account;           /* Settings' account client acts in (journaled with the call); NULL: the caller's */
	const char *state_dir;         /* journal and lock (apply only); NULL: the default */
	const char *state_backend;     /* the state backend (state/backend.h); NULL: the directory */
	int lock_timeout;              /* seconds to wait for another run's lock */
	bool apply;                    /* false: a dry run, the checks and on_plan only */
	bool wait;                     /* wait for the new instance to be available */
	int wait_timeout;              /* seconds; 0: 2 hours */
	int poll_ms;                   /* first interval between polls; 0: instance_wait's */
	volatile sig_atomic_t *cancel; /* a signal number once interrupted */
	/* after the checks, before any mutating call: what it will (or, dry, would) call */
	void (*on_plan)(void *ud, const struct sk_restore_plan *p);
	/* the restore call was accepted, with its RequestId */
	void (*on_requested)(void *ud, const struct sk_restore_plan *p, const char *request_id);
	sk_instance_wait_cb on_poll;   /* progress while waiting */
	void *ud;
};

#define SK_RESTORE_OPTS_INIT                                                                                  \
	{ .client = NULL, .account = NULL, .state_dir = NULL, .state_backend = NULL, .lock_timeout = 0, .apply = false, .wait = false, .wait_timeout = 0,  \
	  .poll_ms = 0, .cancel = NULL, .on_plan = NULL, .on_requested = NULL, .on_poll = NULL, .ud = NULL }

struct sk_restore_report {
	const char *stage;      /* where it ended: "check", "state", "lock", "call", "wait", "done" */
	bool refused;           /* a check failed: no mutating call was made */
	bool requested;         /* the restore call was accepted */
	bool waited;            /* wait.* says how the wait ended */
	struct sk_instance_wait_result wait;
	int signal;             /* interrupted: the cancel flag's value */
	char run_id[SK_JOURNAL_ID_MAX];
	char request_id[128];
};

/*
 * Check, then (apply) restore, then (wait) wait.  0 when it did all it was
 * asked; SK_EINTERRUPTED when cancelled (before the call: none was made;
 * while waiting: the restore goes on in AWS); SK_ERROR otherwise, the
 * report saying where.
 */
int sk_restore(struct sk_restore_report *out, const struct sk_restore_request *r, const struct sk_restore_opts *o);

#endif
