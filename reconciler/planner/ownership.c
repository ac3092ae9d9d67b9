/*
 * ownership.c - which snapshots are snapkeep's
 */
#include "reconciler/planner/ownership.h"

#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "reconciler/planner/inventory.h"
#include "specs/policy.h"

const char *sk_tag_get(const struct sk_aws_tag *tags, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tags[i].key && !strcmp(tags[i].key, key))
			return tags[i].value;
	return NULL;
}

const char *sk_tags_drill_of(const struct sk_aws_tag *tags, size_t n)
{
	return sk_tag_get(tags, n, SK_TAG_DRILL);
}

const char *sk_tags_owner(const struct sk_aws_tag *tags, size_t n)
{
	return sk_tag_get(tags, n, SK_TAG_POLICY);
}

bool sk_tags_owned_by(const struct sk_aws_tag *tags, size_t n, const char *policy, const char *instance)
{
	const char *p = sk_tag_get(tags, n, SK_TAG_POLICY), *i = sk_tag_get(tags, n, SK_TAG_INSTANCE);

	return policy && instance && p && i && !strcmp(p, policy) && !strcmp(i, instance);
}

const char *sk_snapshot_owner(const struct sk_inv_snapshot *s)
{
	return sk_tags_owner(s->tags, s->n_tags);
}

bool sk_snapshot_owned_by(const struct sk_inv_snapshot *s, const char *policy, const char *instance)
{
	if (s->type != SK_SNAP_MANUAL || s->status == SK_SNAP_DELETING)
		return false;
	return sk_tags_owned_by(s->tags, s->n_tags, policy, instance);
}

size_t sk_ownership_tags(struct sk_aws_tag *t, const char *policy, const char *instance, const char *slot,
			 const char *source_arn, const char *keep_until)
{
	size_t k = 0;

	t[k].key = SK_TAG_POLICY;
	t[k++].value = policy;
	t[k].key = SK_TAG_INSTANCE;
	t[k++].value = instance;
	t[k].key = SK_TAG_SLOT;
	t[k++].value = slot;
	if (source_arn) {
		t[k].key = SK_TAG_SOURCE;
		t[k++].value = source_arn;
	}
	if (keep_until) {
		t[k].key = SK_TAG_KEEP_UNTIL;
		t[k++].value = keep_until;
	}
	return k;
}

int64_t sk_tags_keep_until(const struct sk_aws_tag *tags, size_t n)
{
	const char *v = sk_tag_get(tags, n, SK_TAG_KEEP_UNTIL);
	int64_t t = 0;

	if (!v || sk_time_parse_rfc3339(&t, v) < 0)
		return 0;
	return t;
}

bool sk_tag_reserved(const char *key)
{
	return !strncmp(key, "aws:", 4) || !strncmp(key, SK_TAG_PREFIX, strlen(SK_TAG_PREFIX));
}

bool sk_tags_selected_by(const struct sk_aws_tag *tags, size_t n, const struct sk_policy *p)
{
	size_t i;

	if (sk_tags_drill_of(tags, n))
		return false; /* a drill's throw-away instance is never selected, whatever tags it has */
	for (i = 0; i < p->n_selector_tags; i++) {
		const char *v = sk_tag_get(tags, n, p->selector_tags[i].key);
		if (!v || strcmp(v, p->selector_tags[i].value))
			return false;
	}
	return p->n_selector_tags > 0;
}

/* the instance's tags as the two arrays specs/policy.h reads; false when out of memory */
static bool tag_arrays(const struct sk_inv_instance *in, const char ***keys, const char ***values)
{
	*keys = calloc(in->n_tags + 1, sizeof(**keys));
	*values = calloc(in->n_tags + 1, sizeof(**values));
	if (!*keys || !*values) {
		free(*keys);
		free(*values);
		return false;
	}
	for (size_t i = 0; i < in->n_tags; i++) {
		(*keys)[i] = in->tags[i].key;
		(*values)[i] = in->tags[i].value;
	}
	return true;
}

bool sk_instance_selected_by(const struct sk_inv_instance *in, const struct sk_policy *p)
{
	const char **keys, **values;
	bool out;

	/* a policy selects DB instances or Aurora clusters, never both */
	if (in->is_cluster != p->clusters || !sk_tags_selected_by(in->tags, in->n_tags, p))
		return false;
	if (!p->n_exclude_instances && !p->n_exclude_tags)
		return true;
	if (!tag_arrays(in, &keys, &values))
		return false; /* out of memory: selecting nothing is the safe answer */
	out = !sk_policy_excludes(p, in->id, keys, values, in->n_tags);
	free(keys);
	free(values);
	return out;
}

bool sk_policy_selects_instance(const struct sk_policy *p, const struct sk_inv_instance *in)
{
	const char **keys, **values;
	bool out;

	if (sk_tags_drill_of(in->tags, in->n_tags))
		return false; /* a drill's throw-away instance: never any policy's */
	if (in->is_cluster != p->clusters || (in->cluster && !in->is_cluster))
		return false; /* the other kind, or a member of a cluster: managed through its cluster */
	if (!tag_arrays(in, &keys, &values))
		return false;
	out = sk_policy_selects(p, in->region, in->id, keys, values, in->n_tags);
	free(keys);
	free(values);
	return out;
}
