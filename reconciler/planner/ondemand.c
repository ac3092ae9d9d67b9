/*
 * ondemand.c - the plan of an on-demand backup
 */
#include "reconciler/planner/ondemand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/naming.h"
#include "reconciler/planner/ownership.h"
#include "reconciler/planner/retention.h"
#include "specs/policy.h"

/* does a policy of set that takes snapshots select in? */
static bool snapshotted(const struct sk_policyset *set, const struct sk_inv_instance *in)
{
	for (size_t i = 0; i < set->n_policies; i++)
		if (set->policies[i].has_snapshots && sk_policy_selects_instance(&set->policies[i], in))
			return true;
	return false;
}

/*
 * The one DB instance or Aurora cluster with that identifier in the
 * observed regions.  RDS names instances and clusters apart, so one id
 * may be both: then the kind the named policy selects, else the one some
 * policy takes snapshots of.
 */
static int find_instance(const struct sk_inv_instance **out, const struct sk_inventory *inv, const char *id,
			 const struct sk_policyset *set, const struct sk_policy *named)
{
	const struct sk_inv_instance *found = NULL;

	for (size_t i = 0; i < inv->n_instances; i++) {
		const struct sk_inv_instance *in = &inv->instances[i];

		if (strcmp(in->id, id) || (named && in->is_cluster != named->clusters))
			continue;
		if (found && found->is_cluster != in->is_cluster) {
			bool a = snapshotted(set, found), b = snapshotted(set, in);
			if (a != b) {
				found = a ? found : in;
				continue;
			}
			return sk_error_set(SK_ERR_POLICY, "'%s' is both a DB instance and an Aurora cluster: name the "
							   "policy that takes its snapshots with --policy",
					    id);
		}
		if (found)
			return sk_error_set(SK_ERR_POLICY, "instance '%s' is in %s and %s: name one with --region", id,
					    found->region, in->region);
		found = in;
	}
	if (!found)
		return sk_error_set(SK_ERR_POLICY, "instance '%s' is in no region the policies name", id);
	*out = found;
	return 0;
}

/* the policy that decides about the snapshot: named, or the only one with snapshots selecting the instance */
static int find_policy(const struct sk_policy **out, const struct sk_policyset *set, const struct sk_inv_instance *in,
		       const char *name)
{
	const struct sk_policy *found = NULL;

	for (size_t i = 0; i < set->n_policies; i++) {
		const struct sk_policy *p = &set->policies[i];
		bool yes;

		if (name && strcmp(p->name, name))
			continue;
		yes = sk_policy_selects_instance(p, in);
		if (name && (!yes || !p->has_snapshots))
			return sk_error_set(SK_ERR_POLICY, "policy '%s' %s instance '%s' in %s", name,
					    yes ? "takes no snapshots of" : "does not select", in->id, in->region);
		if (!yes || !p->has_snapshots)
			continue;
		if (found)
			return sk_error_set(SK_ERR_POLICY, "policies '%s' and '%s' both take snapshots of instance '%s': "
							   "name one with --policy",
					    found->name, p->name, in->id);
		found = p;
	}
	if (!found && name)
		return sk_error_set(SK_ERR_POLICY, "no policy '%s' in the set", name);
	if (!found)
		return sk_error_set(SK_ERR_POLICY, "no policy with snapshots selects instance '%s' in %s: snapkeep "
						   "takes on-demand snapshots for a policy",
				    in->id, in->region);
	if (found->suspend)
		return sk_error_set(SK_ERR_POLICY, "policy '%s' is suspended (spec.suspend: true, %s:%d:%d): it makes "
						   "no snapshot until it is resumed",
				    found->name, found->suspend_pos.file, found->suspend_pos.line, found->suspend_pos.col);
	*out = found;
	return 0;
}

/* the policy's tags, snapkeep's ownership tags and the keep-until (and a copy's source), in the plan's arena */
static const struct sk_aws_tag *backup_tags(struct sk_plan *pl, const struct sk_policy *p, const char *instance,
					    const char *taken, const char *until, const char *source_arn, size_t *n_out)
{
	struct sk_aws_tag *t = sk_arena_calloc(&pl->arena, p->n_tags + SK_OWNERSHIP_TAGS_MAX, sizeof(*t));
	size_t k = 0;

	if (!t)
		return NULL;
	for (size_t i = 0; i < p->n_tags; i++, k++) {
		t[k].key = p->tags[i].key;
		t[k].value = p->tags[i].value;
	}
	*n_out = k + sk_ownership_tags(t + k, p->name, instance, taken, source_arn, until);
	return t;
}

static int add_copies(struct sk_plan *pl, const struct sk_policy *p, const struct sk_inv_instance *in,
		      const struct sk_action *create, const char *taken, const char *until)
{
	char buf[SK_ARN_MAX];
	const char *arn = sk_naming_snapshot_arn(buf, sizeof(buf), in, create->target);
	char id[SK_SNAPSHOT_ID_MAX + 1];

	if (arn && !(arn = sk_plan_strdup(pl, arn)))
		return sk_error_set_oom();
	if (p->n_copies && !arn)
		return sk_error_set(SK_ERR_POLICY, "instance '%s' has no ARN in the observed state: its snapshot's "
						   "copies cannot name their source",
				    in->id);
	for (size_t i = 0; i < p->n_copies; i++) {
		const struct sk_policy_copy *c = &p->copies[i];
		struct sk_action a;

		if (sk_naming_copy(id, create->target, in->region) < 0)
			return -1;
		memset(&a, 0, sizeof(a));
		a.kind = SK_ACTION_COPY;
		a.cluster = create->cluster;
		a.retention = a.copy_tags = a.deletion_protection = -1;
		a.region = sk_plan_strdup(pl, c->region);
		a.instance = create->instance;
		a.target = sk_plan_strdup(pl, id);
		a.policy = create->policy;
		a.reason = sk_plan_strdup(pl, "on-demand backup (snapkeep backup --copy)");
		a.source_region = create->region;
		a.source_arn = arn;
		a.source_snapshot = create->target;
		a.kms_key_id = c->kms_key_id ? sk_plan_strdup(pl, c->kms_key_id) : NULL;
		a.slot = create->slot;
		a.tags = backup_tags(pl, p, create->instance, taken, until, arn, &a.n_tags);
		a.gib = create->gib;
		a.keep = create->keep;
		a.depends_on = 1; /* the create, the plan's first action */
		if (!a.region || !a.target || !a.reason || !a.tags || !sk_plan_add_action(pl, &a))
			return sk_error_set_oom();
	}
	return 0;
}

int sk_plan_backup(struct sk_plan **out, const struct sk_policyset *set, const struct sk_inventory *inv,
		   const struct sk_backup_request *req, int64_t now)
{
	const struct sk_inv_instance *in = NULL;
	const struct sk_policy *p = NULL;
	struct sk_plan *pl = NULL;
	struct sk_action a, made;
	const struct sk_action *added;
	char id[SK_SNAPSHOT_ID_MAX + 1], taken[SK_TIME_RFC3339_MAX], until[SK_TIME_RFC3339_MAX];

	*out = NULL;
	if (!req || !req->instance || now <= 0)
		return sk_error_set(SK_ERR_INVALID, "an on-demand backup needs an instance and the time");
	if (req->keep_until && req->keep_until <= now) {
		sk_time_format_rfc3339(until, req->keep_until);
		return sk_error_set(SK_ERR_POLICY, "keep-until %s is not in the future", until);
	}
	if (find_instance(&in, inv, req->instance, set, req->policy ? sk_policyset_policy(set, req->policy) : NULL) < 0 ||
	    find_policy(&p, set, in, req->policy) < 0)
		return -1;
	if (sk_naming_ondemand(id, p->prefix ? p->prefix : "snapkeep", in->id, now) < 0 || sk_plan_new(&pl) < 0)
		return -1;
	sk_time_format_rfc3339(taken, now);
	if (req->keep_until)
		sk_time_format_rfc3339(until, req->keep_until);
	memcpy(pl->commit, set->commit, sizeof(pl->commit));
	pl->subject = set->subject ? strdup(set->subject) : NULL;
	pl->ref = set->ref ? strdup(set->ref) : NULL;
	pl->now = now;
	pl->observed_at = inv->observed_at;
	pl->price_per_gb_month = set->settings.price_per_gb_month > 0 ? set->settings.price_per_gb_month
								      : SK_DEFAULT_PRICE_PER_GB_MONTH;
	pl->copies_at_once = set->settings.copies_in_flight > 0 ? set->settings.copies_in_flight : SK_COPIES_IN_FLIGHT_MAX;

	memset(&a, 0, sizeof(a));
	a.kind = SK_ACTION_CREATE;
	a.cluster = in->is_cluster;
	a.retention = a.copy_tags = a.deletion_protection = -1;
	a.region = sk_plan_strdup(pl, in->region);
	a.instance = sk_plan_strdup(pl, in->id);
	a.target = sk_plan_strdup(pl, id);
	a.policy = sk_plan_strdup(pl, p->name);
	a.reason = req->keep_until ? sk_plan_strdup(pl, "on-demand backup (snapkeep backup), kept until ")
				   : sk_plan_strdup(pl, "on-demand backup (snapkeep backup)");
	if (a.reason && req->keep_until) {
		char r[160];

		snprintf(r, sizeof(r), "%s%s", a.reason, until);
		a.reason = sk_plan_strdup(pl, r);
	}
	a.slot = now;
	a.keep = req->keep_until ? SK_KEEP_UNTIL : 0;
	a.gib = in->allocated_gib > 0 ? (uint32_t)in->allocated_gib : 0;
	a.tags = backup_tags(pl, p, a.instance ? a.instance : "", sk_plan_strdup(pl, taken),
			     req->keep_until ? sk_plan_strdup(pl, until) : NULL, NULL, &a.n_tags);
	if (!a.region || !a.instance || !a.target || !a.policy || !a.reason || !a.tags ||
	    (set->subject && !pl->subject) || (set->ref && !pl->ref) || !(added = sk_plan_add_action(pl, &a))) {
		sk_plan_free(pl);
		return sk_error_set_oom();
	}
	made = *added; /* adding the copies may move the plan's actions */
	if (req->copy && add_copies(pl, p, in, &made, sk_tag_get(made.tags, made.n_tags, SK_TAG_SLOT),
				    sk_tag_get(made.tags, made.n_tags, SK_TAG_KEEP_UNTIL)) < 0) {
		sk_plan_free(pl);
		return -1;
	}
	*out = pl;
	return 0;
}
