/*
 * report.h - what `snapkeep report` says: compliance, cost and history, as
 * one plain-data model every format renders
 *
 * Pure, as the rest of the planner: the policies, an inventory (live, or
 * an exported snapkeep-inventory/v1 file), the plan made from them, the
 * last drills (the state's) and the journal's records (report_journal.h) in; a struct sk_report
 * out.  No I/O and no clock: the same inputs make the same report.  The
 * renderers (report_render.h: text, markdown, CSV, JSON; report_html.h:
 * the HTML page with its SVG charts) only read the model.
 *
 * The model, top down:
 *
 *   report          overall verdict, counts per verdict, totals, the
 *                   history window [since, until), prices used
 *   policies[]      per policy: instances per verdict, cost
 *   instances[]     per (policy, instance), in the plan's order (policy,
 *                   then region and instance): the verdict and the reason,
 *                   a range of checks[] and a range of snapshots[], the
 *                   regions its snapshots live in (own region first, then
 *                   the policy's copy regions), cost, last drill
 *   checks[]        one per (instance, check, region): desired vs live,
 *                   verdict, reason; the CSV's rows
 *   snapshots[]     per instance, by region (in the instance's regions[]
 *                   order) then creation time, oldest first: every
 *                   snapshot of the instance there (each owner), with the
 *                   retention rule that keeps it or "deleted by next
 *                   apply"; the timeline chart's marks
 *   regions[]       per region (sorted): price, quota use now and after the
 *                   plan, snapshots per owner, cost; the quota bars
 *   days[]          the history window day by day (UTC): journal events
 *                   per kind, and each region's storage (GiB and USD per
 *                   month) at the end of the day; the storage/cost chart
 *   events[]        the notable journal events of the window (failures,
 *                   drills), newest last
 *
 * Verdicts, per instance the worst of its checks:
 *   COMPLIANT  every check as the policy wants
 *   DRIFT      a setting differs from the policy (the plan would modify
 *              it: backup retention or window, copy tags, deletion
 *              protection, replication), or a verify check warns
 *   AT RISK    the backups do not protect it as the policy says: the
 *              newest snapshot older than the RPO's critical threshold
 *              (stale), a copy region without its copy, an unencrypted
 *              snapshot or one with the wrong key, its region over the
 *              manual snapshot quota, a failed drill, or not observed
 *
 * Checks (name, as in CSV and JSON): the settings the policy sets,
 * "backup-retention", "backup-window", "copy-tags", "deletion-protection",
 * "replication" (desired from the policy, live from the inventory, drift
 * when the plan modifies them); then verify's (planner/verify.h)
 * "snapshot-age", "copy" (per copy region), "status", "encryption",
 * "storage", "pitr-latest", "pitr-window", "drill", "instance"; then
 * "quota" (the instance's snapshot regions' manual quota use).
 *
 * Cost (USD per month): storage is the allocated GiB of the snapshots held
 * (each owner's; the instance's size for automated ones) times the region's
 * price (Settings pricePerGBMonth, per region or the default,
 * SK_DEFAULT_PRICE_PER_GB_MONTH); transfer is what a month of the policy's
 * cross-region copies would move, each a full copy of the instance's
 * allocated size at Settings transferPricePerGB (default
 * SK_DEFAULT_TRANSFER_PRICE_PER_GB, specs/policy.h).  Both are an UPPER BOUND: RDS
 * snapshots are incremental and bill only changed blocks.  delta is what
 * the current plan's creates, copies and deletes would change.
 *
 * Storage over time: the regions' GiB now (the inventory), walked back day
 * by day through the journal's completed creates, copies (+) and deletes
 * (-) with their allocatedGiB, so day d's figure is the storage at the end
 * of d as far as snapkeep's own changes tell.
 *
 * Every string points into the report's arena or into the inputs: free
 * the report BEFORE the policy set, the inventory and the plan.  Sizes of
 * arrays are their n_ fields; ranges are [first, first + n).
 */
#ifndef SK_REPORT_H
#define SK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"

struct sk_policyset;
struct sk_inventory;
struct sk_plan;
struct sk_verify_drill;
struct sk_report_journal; /* report_journal.h: the journal's records, digested */

#define SK_REPORT_FORMAT "snapkeep-report/v1"

enum sk_report_verdict {
	SK_REPORT_COMPLIANT = 0,
	SK_REPORT_DRIFT = 1,
	SK_REPORT_AT_RISK = 2,
};
#define SK_REPORT_VERDICTS 3

/* "COMPLIANT", "DRIFT", "AT RISK" */
const char *sk_report_verdict_name(enum sk_report_verdict v);
/* "compliant", "drift", "at-risk" (JSON, CSV, HTML class names) */
const char *sk_report_verdict_key(enum sk_report_verdict v);

/* who a snapshot belongs to */
enum sk_report_owner {
	SK_OWNER_SNAPKEEP = 0, /* manual, tagged snapkeep:policy + snapkeep:instance (planner/ownership.h) */
	SK_OWNER_AWS_BACKUP,   /* made by AWS Backup (type awsbackup, or an instance whose automated backups it manages) */
	SK_OWNER_AUTOMATED,    /* RDS automated backups */
	SK_OWNER_MANUAL,       /* any other manual snapshot */
};
#define SK_REPORT_OWNERS 4

/* "snapkeep", "aws-backup", "automated", "manual" */
const char *sk_report_owner_name(enum sk_report_owner o);
/* who owns an inventory snapshot; in: its instance (AWS Backup may manage its automated backups), or NULL */
struct sk_inv_snapshot;
struct sk_inv_instance;
enum sk_report_owner sk_report_snapshot_owner(const struct sk_inv_snapshot *s, const struct sk_inv_instance *in);

/* one check of one instance: a row of the compliance table and of the CSV */
struct sk_report_check {
	const char *name;    /* "backup-retention", "snapshot-age", "copy", ... (above) */
	const char *region;  /* where it looked: the instance's region, or a copy region */
	const char *desired; /* what the policy wants, for people: "7 days", "<= 26h", "encrypted", "present"; "" none */
	const char *live;    /* what was observed: "1 day", "3h", "unencrypted", "missing"; "" none */
	enum sk_report_verdict verdict;
	const char *reason;  /* one line saying what is wrong; NULL when compliant */
};

/* one snapshot of an instance: a mark on its timeline */
struct sk_report_snapshot {
	const char *id;
	const char *region;
	const char *status;  /* as AWS says it: "available", "creating", ... */
	int64_t created;     /* 0 while creating */
	uint32_t gib;        /* AllocatedStorage */
	bool encrypted;
	bool copy;           /* a cross-region copy (in a copy region) */
	enum sk_report_owner owner;
	/*
	 * For snapshots the instance's policy owns: the plan's decision.
	 * keep: every SK_KEEP_* bit (planner/retention.h); rule: the one named
	 * on the chart, the coarsest retention rule that keeps it (the
	 * restic ladder, "yearly" over "monthly" over "weekly" over "daily"
	 * over "hourly" over "last", then "within", "all" for a policy with no
	 * rules), else the first safety reason ("newest-available",
	 * "keep-until", ...), and NULL when deleted.  deleted: the next apply
	 * deletes it.  Snapshots of other owners: keep 0, rule NULL, deleted
	 * false (snapkeep never deletes them).
	 */
	unsigned keep;
	const char *rule;
	bool deleted;
};

/* money per month, USD; GiB as allocated */
struct sk_report_cost {
	int64_t gib;        /* GiB the snapshots held take */
	double storage;     /* gib x the region's price (upper bound) */
	double transfer;    /* a month of cross-region copies (upper bound) */
	int64_t gib_delta;  /* what the plan's creates, copies and deletes change */
	double delta;       /* USD per month the plan changes storage by */
};

/* one (policy, instance) */
struct sk_report_instance {
	const char *account;     /* the account it is in (Settings' accounts); NULL: the caller's own */
	const char *policy;
	const char *region;
	const char *instance;
	const char *engine;      /* NULL when not observed */
	const char *kms_key_id;  /* the instance's key, or NULL */
	bool observed;           /* false: selected by name and not found */
	bool encrypted;
	int allocated_gib;
	enum sk_report_verdict verdict;
	const char *reason;      /* the worst check's reason (the first of them); NULL when compliant */
	size_t first_check, n_checks;       /* into r->checks */
	size_t first_snapshot, n_snapshots; /* into r->snapshots */
	/* the regions its snapshots are in: its own first, then the policy's copy regions (chart lanes) */
	const char **regions;
	size_t n_regions;
	int64_t newest;          /* the newest available snapshot's time (a copy's: its source's); 0: none */
	size_t by_owner[SK_REPORT_OWNERS];
	size_t deleting;         /* of its snapshots, how many the next apply deletes */
	size_t creating;         /* snapshots and copies the next apply makes for it */
	struct sk_report_cost cost;
	/* the last restore drill (the state); drill_at 0: never drilled */
	int64_t drill_at;
	bool drill_passed;
	uint64_t drill_rto_seconds;
	const char *drill_error; /* NULL when it passed */
};

struct sk_report_policy {
	const char *name;
	size_t first_instance, n_instances; /* into r->instances */
	size_t counts[SK_REPORT_VERDICTS];
	enum sk_report_verdict verdict;     /* the worst of its instances (COMPLIANT with none) */
	bool selects_nothing;
	struct sk_report_cost cost;
};

struct sk_report_region {
	const char *region;
	double price;          /* USD per GB-month used */
	size_t manual;         /* manual snapshots there now (every owner): what the quota counts */
	size_t manual_after;   /* after the plan */
	int quota;             /* Settings snapshotQuota for the region */
	bool over_quota;       /* manual or manual_after above quota */
	size_t by_owner[SK_REPORT_OWNERS]; /* every snapshot there */
	struct sk_report_cost cost;        /* the report's instances' snapshots there */
};

/* what the journal records, as the history counts it */
enum sk_report_event_kind {
	SK_EVENT_CREATED = 0, /* a snapshot created (create done) */
	SK_EVENT_COPIED,      /* a cross-region copy made */
	SK_EVENT_DELETED,     /* a snapshot deleted */
	SK_EVENT_SETTINGS,    /* an instance's backup settings changed (modify, start/stop replication) */
	SK_EVENT_FAILED,      /* a call that failed (outcome "failed"), or a drill or restore that did */
	SK_EVENT_DRILL,       /* a restore drill (passed or failed) */
	SK_EVENT_RESTORE,     /* a restore (`snapkeep restore`) */
};
#define SK_REPORT_EVENT_KINDS 7

/* "created", "copied", "deleted", "settings", "failed", "drills", "restores" */
const char *sk_report_event_kind_name(enum sk_report_event_kind k);

/* one day (UTC) of the history window */
struct sk_report_day {
	int64_t day; /* its 00:00 UTC */
	size_t counts[SK_REPORT_EVENT_KINDS];
};

/* a notable event: a failure or a drill */
struct sk_report_event {
	int64_t time;
	enum sk_report_event_kind kind;
	const char *action;   /* "create", "drill", ... */
	const char *region;
	const char *instance; /* or NULL */
	const char *target;   /* or NULL */
	const char *detail;   /* the error ("DBSnapshotAlreadyExists: ...") or the drill's summary, or NULL */
};

/* an account the report could not look at (Settings' accounts): its instances are not in the report */
struct sk_report_unobserved {
	const char *account;
	const char *error;
};

struct sk_report {
	int64_t now;              /* the time the report is made at */
	int64_t observed_at;      /* the inventory's */
	int64_t since, until;     /* the history window, [since, until) */
	char commit[41];          /* the policy commit ("" none) */
	double transfer_price;    /* USD per GB copied across regions */
	enum sk_report_verdict verdict;          /* the worst of every instance (COMPLIANT with none) */
	size_t counts[SK_REPORT_VERDICTS];       /* instances per verdict */
	struct sk_report_cost total;

	struct sk_report_policy *policies;       /* in set order */
	size_t n_policies;
	struct sk_report_instance *instances;
	size_t n_instances;
	struct sk_report_check *checks;
	size_t n_checks;
	struct sk_report_snapshot *snapshots;
	size_t n_snapshots;
	struct sk_report_region *regions;        /* sorted by name */
	size_t n_regions;
	/* the timeline charts' time axis: the oldest snapshot's time (at most 400 days back) to now */
	int64_t timeline_from;

	/* history */
	bool has_journal;                        /* false: the state directory has no journal */
	struct sk_report_day *days;              /* since .. until, one per UTC day */
	size_t n_days;
	size_t totals[SK_REPORT_EVENT_KINDS];    /* over the window */
	/* per day and region: storage_gib[d * n_regions + k] is regions[k]'s GiB at the end of days[d] */
	int64_t *storage_gib;
	double *storage_cost;                    /* the same in USD per month */
	struct sk_report_event *events;          /* failures and drills in the window, oldest first */
	size_t n_events;
	size_t journal_damaged;                  /* lines of the journal skipped */

	/*
	 * Several accounts (sk_report_join): the accounts observed, in
	 * Settings' order, and those not observed; n_accounts 0: one account,
	 * the caller's own.  parts: each account's report, owned (the
	 * instances, checks and snapshots point into them).
	 */
	const char **accounts;
	size_t n_accounts;
	struct sk_report_unobserved *unobserved;
	size_t n_unobserved;
	struct sk_report **parts;
	size_t n_parts;

	struct sk_arena arena;                   /* the strings the report made (its arrays are its own) */
};

struct sk_report_input {
	const struct sk_policyset *set;
	const struct sk_inventory *inv;
	const struct sk_plan *plan;                /* made from set and inv at now */
	const char *account;                       /* the account inv is of (Settings' accounts); NULL: the caller's own */
	/* the last drill per instance (engine/verify_state.h reads them from the state); known false: none read */
	const struct sk_verify_drill *drills;
	size_t n_drills;
	bool drills_known;
	const struct sk_report_journal *journal;   /* NULL: no journal */
	/* only these regions were observed (--region): the others are left out; none: every region */
	const char *const *regions;
	size_t n_regions;
	int64_t now;
	int64_t since, until;                      /* the history window; until 0: now */
};

#define SK_REPORT_INPUT_INIT                                                                               \
	{ .set = NULL, .inv = NULL, .plan = NULL, .account = NULL, .drills = NULL, .n_drills = 0,          \
	  .drills_known = false, .journal = NULL, .regions = NULL, .n_regions = 0, .now = 0, .since = 0, .until = 0 }

/*
 * Builds the report: 0 with *out set, or SK_ERROR (out of memory, or an
 * input missing: "a report needs ...").  Linear in snapshots and records
 * after the inventory's sort.
 */
int sk_report_build(struct sk_report **out, const struct sk_report_input *in);
void sk_report_free(struct sk_report *r);

/*
 * Several accounts: one report of the reports of each observed account
 * (parts[i], built with its policies, inventory and plan part, without a
 * journal, is accounts[i]'s), and the accounts not observed.  Instances
 * come by policy (in->set's order), then account, each carrying its
 * account; regions are summed over the accounts; the history is built
 * once from in->journal over the joined regions; in gives set, journal,
 * now, since and until.  Takes the parts (freed on failure too); the
 * strings of accounts and unobserved must outlive the report.
 */
int sk_report_join(struct sk_report **out, struct sk_report **parts, const char *const *accounts, size_t n,
		   const struct sk_report_unobserved *unobserved, size_t n_unobserved, const struct sk_report_input *in);

/* "2026-11" as [2026-11-01T00:00:00Z, 2026-12-01T00:00:00Z): 0, or -1 (SK_ERR_INVALID, naming it) */
int sk_report_month_range(int64_t *since, int64_t *until, const char *month);
/* "2026-11" for any time t in December 2026: the calendar month a monthly report covers */
void sk_report_month_before(char out[8], int64_t t);

/* the region's entry, or NULL */
const struct sk_report_region *sk_report_region(const struct sk_report *r, const char *region);

#endif
