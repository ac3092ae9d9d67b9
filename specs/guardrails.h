/*
 * guardrails.h - the floor a deployment sets under every policy
 *
 * Guardrails come from the running snapkeep (--guardrails FILE or
 * SNAPKEEP_GUARDRAILS), never from the policy repository, so a policy
 * commit cannot lower them.  The file is one YAML document:
 *
 *   apiVersion: snapkeep/v1
 *   kind: Guardrails
 *   spec:
 *     rules:
 *       - selector: {tags: {env: prod}}      # or {instances: [a, b]}; none: every instance
 *         minRetentionDays: 7                # automated backups (PITR) never set below
 *         requireReplication: true           # replication is never stopped
 *         requireDeletionProtection: true    # deletion protection is never turned off
 *         minSnapshots: 7                    # owned snapshots kept in the instance's region
 *         minCopies: 7                       # owned copies kept in each copy region
 *         minRetention: 7d                   # no snapshot younger than this is deleted
 *         deletionBudget: {percent: 10, window: 24h}   # or {count: 5, window: 24h}
 *
 * Every rule that selects an instance applies to it.  Errors carry
 * file:line:col, as policies' do.  Pure data: matching rules against
 * instances and actions is the planner's (reconciler/planner/guardrails.h).
 */
#ifndef SK_GUARDRAILS_H
#define SK_GUARDRAILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "specs/policy.h"

/* the guardrails by kind; their names are the YAML keys */
enum sk_guardrail_kind {
	SK_GR_MIN_RETENTION_DAYS = 0,
	SK_GR_REQUIRE_REPLICATION,
	SK_GR_REQUIRE_DELETION_PROTECTION,
	SK_GR_MIN_SNAPSHOTS,
	SK_GR_MIN_COPIES,
	SK_GR_MIN_RETENTION,
	SK_GR_DELETION_BUDGET,
	SK_GR_COUNT
};

struct sk_guardrail_rule {
	struct sk_pos pos;              /* the rule */
	const char **instances;         /* selector.instances (NULL: not by name) */
	size_t n_instances;
	struct sk_policy_kv *tags;      /* selector.tags: every one must match */
	size_t n_tags;
	bool has[SK_GR_COUNT];          /* which guardrails the rule sets */
	struct sk_pos at[SK_GR_COUNT];  /* where each is set */
	int min_retention_days;         /* 1..35 */
	int min_snapshots, min_copies;  /* 1..10000 */
	int64_t min_age;                /* minRetention, seconds */
	int budget_percent;             /* 1..100, or 0 with budget_count */
	int budget_count;               /* 1..10000, or 0 with budget_percent */
	int64_t budget_window;          /* seconds */
};

struct sk_guardrails {
	struct sk_arena arena;
	const char *file;
	struct sk_guardrail_rule *rules;
	size_t n_rules;
	int64_t longest_window;         /* the longest deletion-budget window: how long deletions are remembered */
};

/* "minRetentionDays", ... */
const char *sk_guardrail_name(enum sk_guardrail_kind k);

/*
 * Reads the file (at most 1 MiB).  Errors, with class SK_ERR_POLICY, one
 * line per problem: "/etc/snapkeep/guardrails.yaml:9:21: minRetentionDays
 * must be an integer 1..35, got string 'seven'".
 */
int sk_guardrails_load(struct sk_guardrails **out, const char *path);
/* the same from memory; file names it in messages */
int sk_guardrails_parse(struct sk_guardrails **out, const char *file, const char *data, size_t len);
void sk_guardrails_free(struct sk_guardrails *g);

#endif
