/*
 * policy.h - backup policies: YAML documents to typed structs
 *
 * A policy set is every `kind: BackupPolicy` document (and at most one
 * `kind: Settings` document) found in the files of a source (specs/source.h):
 * one or more YAML documents per file, parsed with libyaml.  The format is
 * documented in specs/README.md and specs/policy.schema.json.
 *
 * Parsing never stops at the first problem: every error is recorded as a
 * diagnostic with file:line:col (1-based, of the offending node) and one
 * message saying what was expected, e.g.
 *
 *   policies/prod.yaml:7:20: policy 'prod': retentionDays must be 0..35, got 40
 *   policies/prod.yaml:5:5: unknown key 'retentonDays' in 'automated' (did you mean 'retentionDays'?)
 *
 * specs/ knows nothing of AWS: a policy says what it wants; whether the
 * instances exist, and which instances a tag selector matches, is the
 * reconciler's business.  One documented exception: policy_parse.c reads
 * the ARNs a policy names (a KMS key's region) with aws/arn.h, a leaf that
 * needs only libc, so that an ARN has one reading in the whole program.
 * Unset settings are left alone by the reconciler (they are -1 / NULL /
 * false below).
 */
#ifndef SK_POLICY_H
#define SK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "specs/cron.h"
#include "specs/retain.h"
#include "specs/signature.h"

struct sk_source;

/* where something was written; file points into the policy set */
struct sk_pos {
	const char *file;
	int line; /* 1-based; 0: unknown */
	int col;  /* 1-based */
};

struct sk_policy_diag {
	struct sk_pos pos;
	char *message; /* without the location: "policy 'prod': retentionDays must be 0..35, got 40" */
};

struct sk_policy_kv {
	char *key;
	char *value;
	struct sk_pos pos;
};

struct sk_policy_name {
	char *name;
	struct sk_pos pos;
};

/* spec.automated.replicate */
struct sk_policy_replicate {
	char *region;       /* the destination region */
	int retention_days; /* 1..35; 0: not given (AWS's default, 7) */
	char *kms_key_id;   /* destination key, or NULL */
	struct sk_pos pos;
};

/* spec.snapshots.copies[] */
struct sk_policy_copy {
	char *region;
	char *kms_key_id; /* destination key, or NULL (AWS then uses the default key when the source is not encrypted) */
	struct sk_retain retain; /* the copies' own retention; SK_RETAIN_INIT (nothing set) keeps every copy */
	bool has_retain;
	struct sk_pos pos;
};

/* spec.verify: a threshold pair, seconds; 0: derived (specs/README.md) */
struct sk_verify_threshold {
	int64_t warn;
	int64_t crit;
};

/* spec.verify.kmsKeys: the key snapshots in a region must carry */
struct sk_verify_kms {
	char *region;
	char *key; /* id, ARN or alias, as sk_pctx_want_kms() takes it */
	struct sk_pos pos;
};

/* spec.verify: what `snapkeep verify` holds the backups to */
struct sk_policy_verify {
	struct sk_verify_threshold rpo;         /* age of the newest available snapshot */
	struct sk_verify_threshold copy_rpo;    /* how long a source may wait for its copy in a copy region */
	struct sk_verify_threshold pitr_rpo;    /* now - LatestRestorableTime */
	struct sk_verify_threshold pitr_window; /* how much the PITR window may fall short of retentionDays */
	int encrypted;                          /* -1: not given (required), 0, 1 */
	struct sk_verify_kms *kms_keys;
	size_t n_kms_keys;
	int64_t drill_max_age;                  /* seconds; 0: as the drill's schedule allows */
	bool alerts_off;                        /* verify.alerts: false: the run loop does not alert on its checks */
	struct sk_pos pos;
};

/* spec.drill.checks[]: one query and what its first column of its first row must say */
enum sk_drill_check_kind {
	SK_DRILL_AT_LEAST = 0, /* atLeast: a number >= at_least */
	SK_DRILL_EXPECT,       /* expect: equal to expect (a boolean when expect_bool >= 0) */
	SK_DRILL_FRESH,        /* notOlderThanSnapshotBy: a timestamp not older than the snapshot by max_age */
};

struct sk_drill_check {
	char *name;
	char *sql;
	enum sk_drill_check_kind kind;
	double at_least;
	char *expect;      /* as written */
	int expect_bool;   /* -1: expect is not a boolean; 0, 1 */
	int64_t max_age;   /* seconds */
	struct sk_pos pos;
};

/* spec.drill: restore a backup into a throw-away instance and query it */
struct sk_policy_drill {
	char *schedule_text;
	struct sk_cron schedule;
	bool point_in_time;   /* source: point-in-time (now minus lag); else latest-snapshot */
	int64_t lag;          /* seconds; point-in-time only */
	char *instance_class; /* NULL: as the snapshot's instance */
	char *database;
	char *user;
	char *password_env;  /* exactly one of these two */
	char *password_file;
	struct sk_drill_check *checks;
	size_t n_checks;
	int64_t timeout;           /* seconds, the whole drill; default 2h */
	int64_t statement_timeout; /* seconds, per check; default 60 */
	struct sk_pos pos;
};

struct sk_policy {
	char *name; /* metadata.name: letters, digits, '-', '_', '.'; 1..63, starts with a letter or digit */
	struct sk_pos pos; /* the document */
	struct sk_pos name_pos; /* metadata.name's value */

	/* spec.accounts: Settings' accounts it covers; none: all of them (or the caller's own when Settings lists none) */
	struct sk_policy_name *accounts;
	size_t n_accounts;

	/* spec.regions: at least one */
	struct sk_policy_name *regions;
	size_t n_regions;

	/* spec.selector: instances, clusters or tags (exactly one of them) */
	struct sk_policy_name *instances; /* with clusters: the DB cluster identifiers of selector.clusters */
	size_t n_instances;
	/*
	 * The selector picks Aurora DB clusters (selector.clusters, or a tag
	 * selector with kind: cluster), not DB instances: the policy's settings
	 * go to ModifyDBCluster and its snapshots are DB cluster snapshots.
	 */
	bool clusters;
	struct sk_pos kind_pos; /* selector.kind's value, when given */
	struct sk_policy_kv *selector_tags; /* every tag must match */
	size_t n_selector_tags;
	struct sk_pos selector_pos;
	/* spec.selector.exclude: never selected, whatever the tags say (a tag selector only) */
	struct sk_policy_name *exclude_instances;
	size_t n_exclude_instances;
	struct sk_policy_kv *exclude_tags; /* an instance carrying any one of them is left out */
	size_t n_exclude_tags;

	/* spec.suspend: plan as usual, but apply makes none of the policy's actions (Flux's suspend) */
	bool suspend;
	struct sk_pos suspend_pos;

	/* spec.automated: -1 / NULL when not given (left alone) */
	bool has_automated;      /* any of the settings below is given */
	int retention_days;      /* BackupRetentionPeriod, 0..35 */
	char *window;            /* PreferredBackupWindow "hh24:mi-hh24:mi", UTC, >= 30 minutes */
	int copy_tags;           /* CopyTagsToSnapshot: -1, 0, 1 */
	int deletion_protection; /* DeletionProtection: -1, 0, 1 */
	bool apply_immediately;  /* ask RDS to apply now rather than in the maintenance window */
	/* replicate: absent (leave alone), false/null (stop any replication), or a destination */
	enum { SK_REPLICATE_UNSET = 0, SK_REPLICATE_OFF, SK_REPLICATE_ON } replicate_mode;
	struct sk_policy_replicate replicate;
	struct sk_pos automated_pos;
	struct sk_pos retention_pos, window_pos, copy_tags_pos, deletion_protection_pos;

	/* spec.snapshots: has_snapshots false when absent or {} */
	bool has_snapshots;
	char *schedule_text; /* as written: "30 3 * * *", "@daily" */
	struct sk_cron schedule;
	char *prefix;        /* identifier prefix; default "snapkeep" */
	struct sk_policy_kv *tags; /* added to every snapshot and copy */
	size_t n_tags;
	struct sk_retain retain;
	bool has_retain;          /* no retain: keep every snapshot (restic keeps all with no rules) */
	int min_available;        /* default 1 */
	int max_deletions_per_run; /* default 50 */
	struct sk_policy_copy *copies;
	size_t n_copies;
	struct sk_pos snapshots_pos;
	struct sk_pos schedule_pos, prefix_pos; /* prefix_pos: the snapshots block when defaulted */

	/* spec.alerts */
	char *sns_topic_arn; /* or NULL */
	struct sk_pos sns_topic_arn_pos;

	/* spec.verify: has_verify false when absent (every threshold derived) */
	bool has_verify;
	struct sk_policy_verify verify;

	/* spec.drill: has_drill false when absent */
	bool has_drill;
	struct sk_policy_drill drill;
};

/* USD per GB-month of snapshot storage: AWS's published us-east-1 list price, the one default */
#define SK_DEFAULT_PRICE_PER_GB_MONTH 0.095
/* USD per GB of a cross-region snapshot copy: AWS's published inter-region data transfer out of us-east-1 */
#define SK_DEFAULT_TRANSFER_PRICE_PER_GB 0.02

/*
 * Cross-region snapshot copies in progress into one destination region, per
 * account: AWS's RDS User Guide, "Copying a DB snapshot", Limitations: "You
 * can have up to 20 snapshot copy requests in progress to a single
 * destination Region per account"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html).
 * The default of Settings' copiesInFlight, and its most.
 */
#define SK_COPIES_IN_FLIGHT_MAX 20

/* kind: Settings (at most one document in the set); defaults when absent */
struct sk_settings_quota {
	char *region; /* NULL: the default for every region (`default:`, also in snapshot_quota) */
	int quota;
	struct sk_pos pos;
};

/*
 * Settings' accounts: a target account and the role snapkeep assumes there
 * from the base credentials (roleArn in that account; externalId when its
 * trust policy asks for one)
 */
struct sk_settings_account {
	char *id;          /* 12 digits */
	char *role_arn;    /* arn:aws:iam::<id>:role/... */
	char *external_id; /* or NULL */
	struct sk_pos pos;
};

#define SK_DEFAULT_PARALLEL 8

/* pricePerGBMonth's per-region prices (a mapping with `default:` and region names) */
struct sk_settings_price {
	char *region;
	double price;
	struct sk_pos pos;
};

struct sk_settings {
	int snapshot_quota;           /* manual snapshots per region; default 100 */
	struct sk_settings_quota *region_quotas; /* per-region overrides */
	size_t n_region_quotas;
	double price_per_gb_month;    /* default SK_DEFAULT_PRICE_PER_GB_MONTH (or pricePerGBMonth.default) */
	struct sk_settings_price *region_prices; /* per-region overrides */
	size_t n_region_prices;
	double transfer_price_per_gb; /* transferPricePerGB: cross-region copies; default SK_DEFAULT_TRANSFER_PRICE_PER_GB */
	int concurrency;              /* mutating calls in flight per region; default 4 */
	char *sns_topic_arn;          /* spec.alerts.snsTopicArn: fleet-wide alerts (`run`), or NULL */
	struct sk_pos sns_topic_arn_pos;
	int copies_in_flight;         /* copies in progress per destination region; default SK_COPIES_IN_FLIGHT_MAX */
	/* spec.accounts: the target accounts; none: the caller's own account only */
	struct sk_settings_account *accounts;
	size_t n_accounts;
	int parallel;                 /* (account, region) places observed and applied at once; default SK_DEFAULT_PARALLEL */
	bool present;
	struct sk_pos pos;
};

struct sk_policyset {
	struct sk_policy *policies;
	size_t n_policies;
	struct sk_settings settings;
	struct sk_policy_diag *diags; /* every problem found, in file order */
	size_t n_diags;
	char **files; /* the file names that were read (sk_pos.file points here) */
	size_t n_files;
	/* the source the set came from (copied from struct sk_source), "" / NULL when none */
	char commit[41];
	char *subject;
	char *ref;
	struct sk_signer signer; /* who signed the commit, when a signature was required; else zeroed */
	/* private: every string and array above lives here */
	struct sk_arena arena;
};

/*
 * Parses every *.yaml / *.yml file of the source.  Returns 0 when the set
 * is valid; otherwise SK_ERROR with class SK_ERR_POLICY, *out still set
 * (diagnostics in out->diags, sorted by file, line, col) and sk_error_last()
 * saying "N errors in policies" followed by the first one.  A source with
 * no policy document is an error.  Out of memory: SK_ERROR (SK_ERR_NOMEM)
 * and *out NULL.  Everything in the set lives in its arena until
 * sk_policyset_free().
 */
int sk_policyset_load(struct sk_policyset **out, const struct sk_source *src);
/* one buffer, as if it were the only file of a source (tests, fuzzing) */
int sk_policyset_parse_buffer(struct sk_policyset **out, const char *file, const char *data, size_t len);
void sk_policyset_free(struct sk_policyset *set);

/* "file:line:col: message" */
void sk_policy_diag_format(struct sk_buf *out, const struct sk_policy_diag *d);

/* the quota for a region (Settings, else 100) */
int sk_settings_quota(const struct sk_settings *s, const char *region);
/* the set's policy named name, or NULL */
const struct sk_policy *sk_policyset_policy(const struct sk_policyset *set, const char *name);
/* USD per GB-month of snapshot storage in a region (pricePerGBMonth's region, its default, else 0.095) */
double sk_settings_price(const struct sk_settings *s, const char *region);

/*
 * Two policies that may select the same instance: do their automated
 * settings disagree?  Fills why with "retentionDays: 30 in 'a' (file:l:c)
 * vs 7 in 'b' (file:l:c)" and returns true when they do.  Snapshot
 * schedules never conflict: each policy owns its own snapshots.
 */
bool sk_policy_conflicts(const struct sk_policy *a, const struct sk_policy *b, struct sk_buf *why);

/* does the policy select this instance in this region?  tags: the instance's, n_tags pairs */
bool sk_policy_selects(const struct sk_policy *p, const char *region, const char *instance,
		       const char *const *tag_keys, const char *const *tag_values, size_t n_tags);
bool sk_policy_has_region(const struct sk_policy *p, const char *region);
/* does p cover account (one of Settings' accounts)? a policy listing none covers them all */
bool sk_policy_in_account(const struct sk_policy *p, const char *account);
/* Settings' entry for account, or NULL */
const struct sk_settings_account *sk_settings_account(const struct sk_settings *s, const char *account);
/* does selector.exclude leave this instance out (by name, or by any one of its tags)? */
bool sk_policy_excludes(const struct sk_policy *p, const char *instance, const char *const *tag_keys,
			const char *const *tag_values, size_t n_tags);

/*
 * The parser's own tables, for tools and the schema test: every place a
 * mapping with fixed keys may appear ("spec.automated", ...) with its keys,
 * and the regular expressions (POSIX ERE, also valid ECMA-262) it checks
 * values with.  NULL-terminated arrays.
 */
struct sk_policy_keyset {
	const char *place;
	const char *const *keys;
};
struct sk_policy_pattern {
	const char *name;
	const char *regex;
};
const struct sk_policy_keyset *sk_policy_keysets(void);
const struct sk_policy_pattern *sk_policy_patterns(void);

/* "1y2m3d4h" (restic's --keep-within: any of y m d h, each at most once, in that order) */
int sk_duration_parse(struct sk_duration *out, const char *s);
void sk_duration_format(char out[48], const struct sk_duration *d);

/* "03:00-04:00": 0 and minutes since midnight, or SK_ERROR with a reason in sk_error_last() */
int sk_window_parse(const char *s, int *start_min, int *end_min);

#endif
