/*
 * ownership.h - which snapshots are snapkeep's: the one rule
 *
 * snapkeep tags what it creates: snapkeep:policy=<policy>,
 * snapkeep:instance=<instance>, snapkeep:slot=<schedule slot> and, on a
 * copy, snapkeep:source=<its source's ARN>.  A manual snapshot belongs to
 * a policy for an instance only when both snapkeep:policy and
 * snapkeep:instance say so; the planner decides only on those, apply
 * checks it again before it deletes or adopts one, and nothing else is
 * ever deleted.  `snapkeep iam-policy` lets AWS enforce the same rule.
 */
#ifndef SK_OWNERSHIP_H
#define SK_OWNERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/query.h"

#define SK_TAG_PREFIX "snapkeep:"
#define SK_TAG_POLICY "snapkeep:policy"
#define SK_TAG_INSTANCE "snapkeep:instance"
#define SK_TAG_SLOT "snapkeep:slot"
#define SK_TAG_SOURCE "snapkeep:source"
/*
 * On an on-demand snapshot (`snapkeep backup --keep-until`) and its copies:
 * an RFC 3339 UTC time before which retention keeps it whatever its rules
 * say; from then on it is an owned snapshot like any other.
 */
#define SK_TAG_KEEP_UNTIL "snapkeep:keep-until"
/* on a restore drill's temporary instance: the instance whose backup it restores */
#define SK_TAG_DRILL "snapkeep:drill"

/*
 * An instance `snapkeep restore` made carries what it was restored from:
 * snapkeep:restore=<instance>@<RFC 3339 time, or "latest"> (or
 * snapshot/<id>), snapkeep:restored-from=<the source's ARN>, and who and
 * when (snapkeep:restored-by, snapkeep:restored-at).  The IAM policy lets
 * restores through only with snapkeep:restore in the request.
 */
#define SK_TAG_RESTORE "snapkeep:restore"
#define SK_TAG_RESTORED_FROM "snapkeep:restored-from"
#define SK_TAG_RESTORED_BY "snapkeep:restored-by"
#define SK_TAG_RESTORED_AT "snapkeep:restored-at"

struct sk_inv_instance;
struct sk_inv_snapshot;

/*
 * Writes snapkeep's own tags for what a policy creates into t (room for
 * SK_OWNERSHIP_TAGS_MAX): policy, instance, slot, and when given the
 * copy's source ARN and the keep-until time (RFC 3339).  Returns how many.
 * The values are not copied.
 */
#define SK_OWNERSHIP_TAGS_MAX 5
size_t sk_ownership_tags(struct sk_aws_tag *t, const char *policy, const char *instance, const char *slot,
			 const char *source_arn, const char *keep_until);
/* the value of key among tags, or NULL */
const char *sk_tag_get(const struct sk_aws_tag *tags, size_t n, const char *key);

/* the policy a snapshot's tags name as its owner (snapkeep:policy), or NULL */
const char *sk_tags_owner(const struct sk_aws_tag *tags, size_t n);
const char *sk_snapshot_owner(const struct sk_inv_snapshot *s);

/* do the tags say that policy owns it as a snapshot of instance (both tags)? */
bool sk_tags_owned_by(const struct sk_aws_tag *tags, size_t n, const char *policy, const char *instance);

/* an inventory snapshot policy owns as instance's: manual, not being deleted, both tags */
bool sk_snapshot_owned_by(const struct sk_inv_snapshot *s, const char *policy, const char *instance);

/* the time a snapkeep:keep-until tag holds a snapshot until; 0 when it has none (or an unreadable one) */
int64_t sk_tags_keep_until(const struct sk_aws_tag *tags, size_t n);
/* keys that are AWS's (aws:) or snapkeep's own: never copied from a source, never shown as the user's */
bool sk_tag_reserved(const char *key);

/* does a policy's tag selector (spec.selector.tags: every one) match these tags?  false without one,
 * and false for a drill's throw-away instance (SK_TAG_DRILL) */
struct sk_policy;
bool sk_tags_selected_by(const struct sk_aws_tag *tags, size_t n, const struct sk_policy *p);
/*
 * Does the tag selector of p select the instance: sk_tags_selected_by()
 * of its tags, and not left out by the policy's selector.exclude (by its
 * identifier, or any one of its tags)?
 */
bool sk_instance_selected_by(const struct sk_inv_instance *in, const struct sk_policy *p);
/* sk_policy_selects() of an observed instance (either kind of selector); false for a drill's
 * throw-away instance (SK_TAG_DRILL) and when out of memory */
/* (a policy with selector.clusters selects only clusters, one without only instances that are no cluster's members) */
bool sk_policy_selects_instance(const struct sk_policy *p, const struct sk_inv_instance *in);

/* a restore drill's temporary instance (it carries SK_TAG_DRILL): the instance it restores, else NULL */
const char *sk_tags_drill_of(const struct sk_aws_tag *tags, size_t n);

#endif
