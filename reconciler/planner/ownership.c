/*
 * ownership.c - which snapshots are snapkeep's
 */
#include "reconciler/planner/ownership.h"

#include <string.h>

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
