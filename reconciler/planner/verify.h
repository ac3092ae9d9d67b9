/*
 * verify.h - is every backup there, fresh and sound?  `snapkeep verify`'s
 * checks, without restoring anything
 *
 * Pure, as the rest of the planner: an inventory (as `plan` observes it:
 * the same list calls, no more), the policies, the time and the last drill
 * results in; one result per (policy, instance, region, check) out, each
 * OK, WARNING, CRITICAL or UNKNOWN as monitoring plugins say (Nagios,
 * Icinga, sanoid's --monitor-snapshots), with one line naming the
 * instance, the region and the snapshot it is about.  No I/O, no clock.
 *
 * The checks, per instance a policy selects (spec.verify's thresholds;
 * what it leaves out is derived from the schedule, see sk_verify_limits):
 *
 *   snapshot-age    the newest available snapshot the policy owns (its
 *                   automated ones when it schedules none) against rpo
 *   copy            per copy region: how long the oldest source snapshot
 *                   newer than the newest copy's source has waited for
 *                   its copy, against copyRpo; CRITICAL when a source is
 *                   there and no copy at all
 *   status          failed (or unknown-state) snapshots the policy owns: WARNING
 *   encryption      every available snapshot encrypted, with the key
 *                   expected in its region (verify.kmsKeys; else the
 *                   instance's key, a copy's kmsKeyId): CRITICAL otherwise
 *   storage         the newest snapshot's AllocatedStorage below the
 *                   instance's: WARNING (shrunken, or the instance grew since)
 *   pitr-retention  BackupRetentionPeriod as the policy wants
 *   pitr-latest     now - LatestRestorableTime against pitrRpo
 *   pitr-window     how much later than now - retentionDays the earliest
 *                   restorable time is, against pitrWindow
 *   replication     automated-backup replication present where asked
 *   drill           the last restore drill passed, within drillMaxAge
 *                   (with spec.drill or drillMaxAge; the state's lastDrill)
 *   instance        UNKNOWN: a named instance, or a region, not observed
 *
 * The earliest restorable time: DescribeDBInstances does not carry it,
 * and `plan` calls DescribeDBInstanceAutomatedBackups (whose RestoreWindow
 * does) only in the regions automated backups are replicated to.  So, in
 * the same call budget, it is read where RDS starts the window: the oldest
 * available automated snapshot of the instance (DescribeDBSnapshots, which
 * plan lists anyway, automated ones included); the RestoreWindow of an
 * automated-backups record is used instead when the inventory has one.
 */
#ifndef SK_VERIFY_H
#define SK_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "specs/policy.h"

struct sk_inventory;
struct sk_policyset;

enum sk_verify_status {
	SK_VERIFY_OK = 0,
	SK_VERIFY_WARNING = 1,
	SK_VERIFY_CRITICAL = 2,
	SK_VERIFY_UNKNOWN = 3,
};

enum sk_verify_check {
	SK_CHECK_INSTANCE = 0,
	SK_CHECK_SNAPSHOT_AGE,
	SK_CHECK_COPY,
	SK_CHECK_STATUS,
	SK_CHECK_ENCRYPTION,
	SK_CHECK_STORAGE,
	SK_CHECK_PITR_RETENTION,
	SK_CHECK_PITR_LATEST,
	SK_CHECK_PITR_WINDOW,
	SK_CHECK_REPLICATION,
	SK_CHECK_DRILL,
	SK_CHECK_COUNT,
};

/* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
const char *sk_verify_status_name(enum sk_verify_status s);
/* "snapshot-age", "copy", ... as above */
const char *sk_verify_check_name(enum sk_verify_check c);

/* the last restore drill of an instance, as the state records it */
struct sk_verify_drill {
	const char *region;
	const char *instance;
	int64_t at;          /* when it finished */
	bool passed;
	const char *detail;  /* what failed, or NULL */
	uint64_t rto_seconds; /* restore request to checks answered (the report shows it) */
	const char *account;  /* one of Settings' accounts; NULL or "": the caller's own */
};

/* the drill of instance in region of account (NULL or "": the caller's own) among v[0 .. n), or NULL */
const struct sk_verify_drill *sk_verify_drill_find(const struct sk_verify_drill *v, size_t n, const char *account,
						  const char *region, const char *instance);

struct sk_verify_opts {
	int64_t now;          /* the time the checks are made at (the inventory's observedAt, usually) */
	const char *policy;   /* only this policy; NULL: every one */
	const char *instance; /* only this instance; NULL: every one */
	const char *account;  /* the account the inventory is of (Settings' accounts); NULL: the caller's own */
	/* only these regions were observed (--region): the others are left out, not UNKNOWN; none: every region */
	const char *const *regions;
	size_t n_regions;
	/* the last drill per instance; drills_known false: the state could not tell (the check is UNKNOWN) */
	const struct sk_verify_drill *drills;
	size_t n_drills;
	bool drills_known;
};

#define SK_VERIFY_OPTS_INIT                                                                                 \
	{ .now = 0, .policy = NULL, .instance = NULL, .account = NULL, .regions = NULL, .n_regions = 0,     \
	  .drills = NULL, .n_drills = 0, .drills_known = false }

struct sk_verify_result {
	const char *account;  /* over several accounts (sk_verify_report_absorb): its account; else NULL */
	const char *policy;
	const char *instance;
	const char *region;   /* where the check looked (a copy region for copy checks) */
	const char *home;     /* the instance's own region (region, but for the checks of its copy regions) */
	enum sk_verify_check check;
	enum sk_verify_status status;
	const char *snapshot; /* the snapshot it names, or NULL */
	int64_t value;        /* seconds measured (age, wait, shortfall); -1 when the check measures none */
	const char *message;  /* one line: "instance 'db' in us-east-1: ..." */
};

/* an account of a report over several accounts */
struct sk_verify_account {
	const char *id;
	const char *error; /* why it was not observed (an UNKNOWN in counts); NULL: it was */
};

struct sk_verify_report {
	struct sk_verify_result *results; /* by policy, instance, region, check */
	size_t n, cap;
	size_t counts[4];                 /* results per status */
	enum sk_verify_status worst;      /* OK with no result */
	size_t n_instances;               /* (policy, instance) pairs checked */
	/* over several accounts: each account, in the order they were added; n_unobserved of them not observed */
	struct sk_verify_account *accounts;
	size_t n_accounts, cap_accounts, n_unobserved;
	int64_t now;
	struct sk_arena arena;            /* every string above */
};

/* the thresholds a policy's instances are held to, spec.verify's or derived */
struct sk_verify_limits {
	struct sk_verify_threshold rpo, copy_rpo, pitr_rpo, pitr_window;
	int64_t interval; /* the schedule's longest gap between two snapshots (a day without a schedule) */
	int64_t drill_max_age; /* 0: no drill expected */
};

/*
 * The derived defaults: rpo warn = the schedule's longest gap + 2h, crit =
 * twice the gap + 2h (daily: 26h and 50h); copyRpo = rpo; pitrRpo 15m and
 * 1h; pitrWindow 26h and 50h; drillMaxAge, with a spec.drill, its
 * schedule's longest gap + 1 day.  now picks the year the gaps are measured in.
 */
void sk_verify_limits(struct sk_verify_limits *out, const struct sk_policy *p, int64_t now);

/*
 * Runs every check.  0 with *out set; SK_ENOTFOUND when --policy names
 * no policy of the set, or --instance no instance a policy selects
 * (message says which); SK_ERROR on allocation failure.
 */
int sk_verify_run(struct sk_verify_report **out, const struct sk_policyset *set, const struct sk_inventory *inv,
		  const struct sk_verify_opts *o);
void sk_verify_report_free(struct sk_verify_report *r);

/*
 * Several accounts (Settings' accounts): a report over all of them, made
 * of each account's (sk_verify_run with o->account).  sk_verify_report_new
 * makes the empty one (now: the checks' time); _absorb copies part's
 * results into it, each naming account, and adds its counts (part stays
 * the caller's); _unobserved records an account that could not be looked
 * at: one UNKNOWN, never OK.  0, or -1 out of memory.
 */
int sk_verify_report_new(struct sk_verify_report **out, int64_t now);
int sk_verify_report_absorb(struct sk_verify_report *into, const struct sk_verify_report *part, const char *account);
int sk_verify_report_unobserved(struct sk_verify_report *r, const char *account, const char *error);
/* part's results added to into as they are (their accounts kept): the loop's shards of one cycle.  0 or -1 */
int sk_verify_report_join(struct sk_verify_report *into, const struct sk_verify_report *part);

/* "2d3h", "26h", "15m", "45s" (two units at most) */
void sk_verify_format_duration(char out[48], int64_t seconds);

#endif
