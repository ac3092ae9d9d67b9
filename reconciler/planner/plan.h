/*
 * plan.h - the difference between the policy and live AWS, as typed actions
 *
 * A plan is computed from a policy set (specs/) and an inventory
 * (engine/observe.c, or an inventory file) at one instant, `now`.  Each action names its
 * region, target, policy and reason, and for changes before -> after; apply
 * executes exactly the plan's actions.  The plan also carries notes (what
 * is pending, externally owned, not managed, deferred), per-region quota and
 * cost figures, and the keep/delete decision for every owned snapshot.
 */
#ifndef SK_PLAN_H
#define SK_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/arena.h"
#include "common/buf.h"
#include "reconciler/planner/inventory.h"
#include "specs/signature.h"

struct sk_policy;
struct sk_policyset;

enum sk_action_kind {
	SK_ACTION_MODIFY = 0,        /* ModifyDBInstance (ModifyDBCluster for a cluster: sk_action.cluster) */
	SK_ACTION_START_REPLICATION, /* StartDBInstanceAutomatedBackupsReplication */
	SK_ACTION_STOP_REPLICATION,  /* StopDBInstanceAutomatedBackupsReplication */
	SK_ACTION_CREATE,            /* CreateDBSnapshot */
	SK_ACTION_COPY,              /* CopyDBSnapshot (to another region) */
	SK_ACTION_DELETE,            /* DeleteDBSnapshot */
};

#define SK_PLAN_MAX_CHANGES 8
#define SK_PLAN_NONE ((size_t)-1)

struct sk_change {
	const char *field; /* "backup_retention_period", ... */
	const char *before;
	const char *after;
};

struct sk_action {
	enum sk_action_kind kind;
	const char *account;  /* the account it is made in (Settings' accounts); NULL: the caller's own */
	const char *region;   /* where the call is sent */
	const char *instance; /* the instance it concerns */
	const char *target;   /* the snapshot (create, copy, delete) or the instance */
	const char *policy;
	const char *reason;
	/* modify: what changes, for people (in the plan's arena); -1 / NULL leave a field alone */
	const struct sk_change *changes;
	size_t n_changes;
	int retention;
	const char *window;
	int copy_tags;
	int deletion_protection;
	bool apply_immediately;
	/* replication (sent to the destination region) and copies */
	const char *source_region;
	const char *source_arn; /* the instance's ARN (replication) or the source snapshot's (copy) */
	const char *kms_key_id;
	int replica_retention;
	/* create and copy */
	int64_t slot;                   /* the schedule slot the snapshot stands for */
	const char *source_snapshot;    /* copy: the source's identifier */
	int64_t source_created;         /* copy: the source's (original) creation time */
	const struct sk_aws_tag *tags;
	size_t n_tags;
	uint32_t gib;
	/*
	 * create, copy: the rules (SK_KEEP_*, planner/retention.h) that keep
	 * what it makes; delete: 0, no rule keeps it.  Keep decisions of
	 * existing snapshots live in sk_decision.
	 */
	unsigned keep;
	/*
	 * What it waits for.  depends_on, for a copy of a snapshot this plan
	 * creates: 1 + the index of that create, which must be available
	 * first (0: none).  group, for creates, copies and deletes: the
	 * (policy, instance, region) whose snapshots they keep in shape,
	 * 1..p->n_groups (0: none); the plan decided a group's deletions
	 * against its creates and copies, so the deletions are made only when
	 * all of those were.
	 */
	size_t depends_on;
	size_t group;
	/* its policy says spec.suspend: true (for a modify, one of the policies it merges): shown, never made */
	bool suspended;
	/*
	 * Aurora: instance is a DB cluster; the calls are ModifyDBCluster and
	 * Create/Copy/DeleteDBClusterSnapshot, and target a cluster snapshot
	 */
	bool cluster;
};

enum sk_note_kind {
	SK_NOTE_PENDING = 0,   /* a change waits for the maintenance window */
	SK_NOTE_EXTERNAL,      /* AWS Backup manages these settings */
	SK_NOTE_UNMANAGED,     /* an instance no policy selects */
	SK_NOTE_DEFERRED,      /* an action left for a later run (limits) */
	SK_NOTE_SAFETY,        /* a safety rule kept something or refused an action */
	SK_NOTE_WARNING,
};

struct sk_note {
	enum sk_note_kind kind;
	const char *account; /* NULL: the caller's own, or the plan as a whole */
	const char *region;
	const char *instance;
	const char *message;
};

/* the decision about one snapshot a policy owns */
struct sk_decision {
	const struct sk_inv_snapshot *snap;
	const char *policy;
	unsigned keep; /* reasons (planner/retention.h and SK_KEEP_* safety bits); 0: delete */
	bool deleted;  /* an action deletes it in this plan */
};

/*
 * The failed or unknown snapshot that holds a place's deletions (the
 * failed-sibling rule): set only when it kept a snapshot the rules would
 * have deleted.  snapshot NULL: nothing is held.
 */
struct sk_plan_blocker {
	const char *snapshot; /* its identifier */
	const char *region;   /* where it is: the instance's region, or a copy region */
	const char *status;   /* as AWS says it: "failed", "incompatible-restore", ... */
};

/* one region's snapshots of a (policy, instance), as the plan leaves them */
struct sk_plan_place {
	const char *region;
	size_t kept;         /* owned snapshots there that exist and the plan keeps */
	size_t made;         /* snapshots (copies) the plan makes there */
	const char *newest;  /* the newest available kept one, or NULL */
	int64_t newest_time; /* its creation time (a copy's: its source's) */
	struct sk_plan_blocker blocked_by;
};

/*
 * One (policy, instance) the plan manages.  For a policy with snapshots,
 * the places hold the snapshots it owns; for one without (automated_only),
 * own.newest is the newest automated snapshot, what keeps it restorable.
 */
struct sk_plan_instance {
	const char *account; /* NULL: the caller's own */
	const char *policy;
	const char *instance;
	bool automated_only;
	struct sk_plan_place own;     /* the instance's region */
	struct sk_plan_place *copies; /* each copy region the plan looked at, in the policy's order */
	size_t n_copies;
};

/* a group of actions (sk_action.group): which instance and place it keeps in shape */
struct sk_plan_group {
	size_t instance; /* index into p->instances */
	size_t place;    /* 0: own, k: copies[k - 1] */
};

/* one instance a policy selects */
struct sk_plan_selected {
	const char *region;
	const char *instance;
};

/*
 * What one policy of the set selects, for every policy in set order:
 * regions are the policy's regions the plan looked in (all of them, or
 * those within opts.regions); instances, in inventory order, the ones its
 * selector chose there.  A policy with regions and no instance protects
 * nothing: the plan carries a warning note for it.
 */
struct sk_plan_policy {
	const char *account; /* where it looked (NULL: the caller's own) */
	const char *name;
	const char **regions;
	size_t n_regions;
	struct sk_plan_selected *instances;
	size_t n_instances;
};

struct sk_region_summary {
	const char *account; /* NULL: the caller's own */
	const char *region;
	size_t manual_before;
	size_t manual_after;
	int quota;
	size_t automated;
	size_t unmanaged; /* manual snapshots no policy decided on: kept, not managed */
	int64_t gib_delta;
	double cost_delta; /* per month */
	/*
	 * Copies into this region: the plan's, and the ones on their way here
	 * when observed (in progress before the run), by identifier.  Apply
	 * keeps at most p->copies_at_once in progress here, counting both.
	 */
	size_t copies;
	const char *const *arriving;
	size_t n_arriving;
};

/*
 * An action a guardrail (specs/guardrails.h) refused: it is not among the
 * plan's actions and is never applied; the plan shows it with the
 * guardrail named.
 */
struct sk_refusal {
	struct sk_action action;
	const char *guardrail; /* "deletionBudget", ... */
	const char *message;   /* "guardrail deletionBudget (/etc/g.yaml:9:7): ..." */
};

/*
 * A dangerous change the plan makes, or a policy or instance the
 * repository dropped since the last applied commit (planner/warnings.h):
 * apply makes none of the plan unless each kind is allowed.
 */
enum sk_warning_kind {
	SK_WARN_RETENTION_ZERO = 0,      /* retention to 0: AWS deletes the automated backups and the PITR window */
	SK_WARN_REPLICATION_OFF,         /* replication stopped, none started again */
	SK_WARN_DELETION_PROTECTION_OFF, /* deletion protection turned off */
	SK_WARN_DELETE_MANY,             /* a place loses more than a quarter of its owned snapshots */
	SK_WARN_POLICY_REMOVED,          /* a policy of the last applied commit is gone: its snapshots are orphaned */
	SK_WARN_INSTANCE_REMOVED,        /* an instance it selected is selected no more: the same */
	SK_WARN_COUNT
};

struct sk_warning {
	enum sk_warning_kind kind;
	const char *account; /* NULL: the caller's own */
	const char *policy;
	const char *instance; /* NULL for a whole policy */
	const char *region;
	const char *message;
};

/*
 * A plan over several accounts is made of one plan per account
 * (sk_plan_absorb): each part is the account's own plan, which apply makes
 * with the account's credentials; its actions are the whole plan's
 * [first_action, first_action + part->n_actions), its snapshot decisions
 * [first_decision, first_decision + part->n_decisions).  A plan read back
 * (sk_plan_from_json, a saved plan shown) names its parts' accounts only:
 * their plan is NULL.
 */
struct sk_plan_part {
	const char *account;
	struct sk_plan *plan;
	size_t first_action;
	size_t first_decision;
};

/* an account the plan could not look at: nothing is planned or applied there */
struct sk_plan_unobserved {
	const char *account;
	const char *error; /* why: the role could not be assumed, a region could not be listed */
};

struct sk_plan {
	struct sk_arena arena;
	char commit[41];
	char *subject;
	char *ref;
	struct sk_signer signer; /* who signed the commit, when a signature was required; format "" otherwise */
	int64_t now;
	int64_t observed_at;
	char fingerprint[65];
	double price_per_gb_month;
	struct sk_action *actions;
	size_t n_actions, cap_actions;
	struct sk_note *notes;
	size_t n_notes, cap_notes;
	struct sk_decision *decisions;
	size_t n_decisions, cap_decisions;
	struct sk_plan_instance *instances;
	size_t n_instances, cap_instances;
	struct sk_plan_group *groups; /* groups[g - 1] for group g */
	size_t n_groups, cap_groups;
	struct sk_region_summary *regions;
	size_t n_regions;
	struct sk_plan_policy *policies; /* in the plan's arena */
	size_t n_policies;
	struct sk_refusal *refused; /* actions the guardrails refused, in the order they were planned */
	size_t n_refused, cap_refused;
	struct sk_warning *warnings; /* dangerous changes (planner/warnings.h), in plan order, removals last */
	size_t n_warnings, cap_warnings;
	int copies_at_once; /* copies in progress at once per destination region (Settings copiesInFlight) */
	/* several accounts: the plan of each observed one (owned), and the ones not observed */
	struct sk_plan_part *parts;
	size_t n_parts, cap_parts;
	struct sk_plan_unobserved *unobserved;
	size_t n_unobserved, cap_unobserved;
	/*
	 * With opts.basis: the live state the plan depends on, one sorted line
	 * per fact ("instance us-east-1/db1 retention=7 ..."), and its SHA-256.
	 */
	char *basis;
};

/* a deletion of an owned snapshot an earlier run made (the state file's record, for deletion budgets) */
struct sk_plan_deletion {
	const char *instance;
	int64_t at;
	const char *account; /* NULL: the caller's own */
};

struct sk_guardrails;

struct sk_plan_opts {
	int64_t now;
	const char *const *regions; /* only policies' instances in these regions; none: every region */
	size_t n_regions;
	bool allow_mass_delete;
	bool basis; /* record the live state the plan depends on (saved plans): p->basis, p->fingerprint */
	/* the deployment's guardrails (NULL: none) and the deletions earlier runs made, for their budgets */
	const struct sk_guardrails *guardrails;
	const struct sk_plan_deletion *deletions;
	size_t n_deletions;
	/* the policies at the last applied commit (NULL: none or the same): what the repository dropped since */
	const struct sk_policyset *previous;
	/*
	 * regions name shards (`snapkeep run` over PostgreSQL): the instances
	 * in them and everything of theirs wherever it is (their copies in
	 * other regions, made and deleted; their replication); nothing of an
	 * instance elsewhere, not even its copies into these regions (its own
	 * shard owns them).  Without shard, regions keep today's meaning.
	 */
	bool shard;
};

#define SK_PLAN_OPTS_INIT                                                                                  \
	{ .now = 0, .regions = NULL, .n_regions = 0, .allow_mass_delete = false, .basis = false, .guardrails = NULL, \
	  .deletions = NULL, .n_deletions = 0, .previous = NULL, .shard = false }

int sk_plan_new(struct sk_plan **out);
void sk_plan_free(struct sk_plan *p);

struct sk_plan_counts {
	size_t create, change, remove; /* every action, the suspended ones included */
	size_t suspended;              /* of those, the ones apply will not make (spec.suspend) */
};
void sk_plan_count(const struct sk_plan *p, struct sk_plan_counts *out);
bool sk_plan_has_changes(const struct sk_plan *p);
/* looked in some region and selected no instance there */
bool sk_plan_policy_selects_nothing(const struct sk_plan_policy *pp);
/* how many of p's policies select nothing */
size_t sk_plan_count_selecting_nothing(const struct sk_plan *p);
/*
 * The warning for a policy that selects nothing, appended to out: "policy
 * 'x' selects no instance in us-east-1: no instance there carries the tags
 * env=prod, so the policy protects no database".  p is the policy pp names.
 */
int sk_plan_describe_empty_policy(struct sk_buf *out, const struct sk_plan_policy *pp, const struct sk_policy *p);
const char *sk_action_kind_name(enum sk_action_kind k);
/* "retention-zero", ... (--allow-destructive's words); and back: 0, or SK_ENOTFOUND */
const char *sk_warning_kind_name(enum sk_warning_kind k);
int sk_warning_kind_from_name(enum sk_warning_kind *out, const char *name);
/* the kind named "modify", "copy", ...: 0, or SK_ENOTFOUND */
int sk_action_kind_from_name(enum sk_action_kind *out, const char *name);

/* building blocks, for the planner and for reading saved plans; NULL / negative on allocation failure */
struct sk_action *sk_plan_add_action(struct sk_plan *p, const struct sk_action *a);
int sk_plan_add_decision(struct sk_plan *p, const struct sk_decision *d);
/* a summary with n_copies places (zeroed, in the plan's arena); its index, or SK_PLAN_NONE */
size_t sk_plan_add_instance(struct sk_plan *p, const char *policy, const char *instance, size_t n_copies);
/* a new group of actions for place (0 own, k copies[k - 1]) of instance; its number (1..), 0 on failure */
size_t sk_plan_add_group(struct sk_plan *p, size_t instance, size_t place);
/* the place of instance i that group g (1..) keeps in shape, or NULL */
struct sk_plan_place *sk_plan_group_place(const struct sk_plan *p, size_t g, const struct sk_plan_instance **in);
int sk_plan_add_note(struct sk_plan *p, enum sk_note_kind kind, const char *region, const char *instance,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
const char *sk_plan_strdup(struct sk_plan *p, const char *s);

/*
 * Several accounts.  sk_plan_set_account() names account on everything
 * part holds (its actions then say where apply makes them, and what the
 * journal records); sk_plan_absorb() does so, then appends part's actions, notes,
 * decisions, summaries, groups, regions, policies, refusals and warnings
 * to into (dependencies and groups renumbered) and takes part over: it
 * lives, unchanged, in into->parts until into is freed.  The first part
 * absorbed gives into its commit, subject, ref and signer.  The same
 * instance name in two accounts is two instances: nothing of one part
 * refers to another.
 */
int sk_plan_set_account(struct sk_plan *part, const char *account);
/* on failure part is not taken over: the caller frees it (and into, which may point into it) */
int sk_plan_absorb(struct sk_plan *into, struct sk_plan *part, const char *account);
int sk_plan_add_unobserved(struct sk_plan *p, const char *account, const char *error);
/*
 * Several accounts, each part planned with opts.basis: p's fingerprint
 * and basis over every account.  The fingerprint is the SHA-256 of one
 * line per account, "account <id> <its part's fingerprint>" or "account
 * <id> not-observed", the basis each part's basis lines prefixed "account
 * <id>: " (or the line "account <id>: not observed"), the accounts in
 * the order of their ids: the same live state gives the same fingerprint
 * whatever order the parts were absorbed in, and a change in one account
 * changes it and shows in the basis named by its account.
 * SK_ERR_PLAN when a part records no fingerprint.
 */
int sk_plan_fingerprint_parts(struct sk_plan *p);
/*
 * The account of decision i of p: NULL in a plan of one account.  *cursor
 * (0 at first) remembers the part it was in: walking the decisions in order
 * costs one step per part, not a search per decision.
 */
const char *sk_plan_decision_account(const struct sk_plan *p, size_t i, size_t *cursor);
/* the part holding action i of p (several accounts), or NULL (a plan read back names its parts' accounts only) */
const struct sk_plan_part *sk_plan_part_of(const struct sk_plan *p, size_t i);

#endif
