/*
 * policy_check.c - checks across the documents of a policy set
 *
 * Run once every file was read: each policy name is defined once; two
 * policies that both name an instance in a region they share must agree on
 * its automated settings (retentionDays, window, copyTagsToSnapshot,
 * deletionProtection, replicate); and two that both take snapshots of an
 * instance, where their snapshots or copies land together, need different
 * prefixes.  Tag selectors are matched against live instances later, by
 * the planner (sk_policy_conflicts() serves it there).
 */
#include "specs/policy_check.h"

#include <stdio.h>
#include <string.h>

static bool shares_instance(const struct sk_policy *a, const struct sk_policy *b, const char **inst)
{
	/* a cluster and an instance of one name are two databases */
	if (a->clusters != b->clusters)
		return false;
	for (size_t i = 0; i < a->n_instances; i++)
		for (size_t j = 0; j < b->n_instances; j++)
			if (!strcmp(a->instances[i].name, b->instances[j].name)) {
				*inst = a->instances[i].name;
				return true;
			}
	return false;
}

/* the same instance name in two accounts is two instances: policies of disjoint accounts never meet */
static bool shares_account(const struct sk_policy *a, const struct sk_policy *b)
{
	if (!a->n_accounts || !b->n_accounts)
		return true;
	for (size_t i = 0; i < a->n_accounts; i++)
		if (sk_policy_in_account(b, a->accounts[i].name))
			return true;
	return false;
}

static const char *shared_region(const struct sk_policy *a, const struct sk_policy *b)
{
	for (size_t i = 0; i < a->n_regions; i++)
		if (sk_policy_has_region(b, a->regions[i].name))
			return a->regions[i].name;
	return NULL;
}

/* where a policy's snapshots and copies land */
static bool lands_in(const struct sk_policy *p, const char *region)
{
	if (sk_policy_has_region(p, region))
		return true;
	for (size_t i = 0; i < p->n_copies; i++)
		if (!strcmp(p->copies[i].region, region))
			return true;
	return false;
}

static bool lands_together(const struct sk_policy *a, const struct sk_policy *b)
{
	for (size_t i = 0; i < a->n_regions; i++)
		if (lands_in(b, a->regions[i].name))
			return true;
	for (size_t i = 0; i < a->n_copies; i++)
		if (lands_in(b, a->copies[i].region))
			return true;
	return false;
}

static void pos_text(struct sk_buf *b, const struct sk_pos *pos)
{
	sk_buf_printf(b, "%s:%d:%d", pos->file ? pos->file : "?", pos->line, pos->col);
}

static const char *replicate_text(char out[160], const struct sk_policy *p)
{
	if (p->replicate_mode == SK_REPLICATE_OFF)
		snprintf(out, 160, "off");
	else
		snprintf(out, 160, "to %s (retentionDays %d, kmsKeyId %s)", p->replicate.region,
			 p->replicate.retention_days ? p->replicate.retention_days : 7,
			 p->replicate.kms_key_id ? p->replicate.kms_key_id : "default");
	return out;
}

static bool same_replication(const struct sk_policy *a, const struct sk_policy *b)
{
	int ra = a->replicate.retention_days ? a->replicate.retention_days : 7;
	int rb = b->replicate.retention_days ? b->replicate.retention_days : 7;

	if (a->replicate_mode != b->replicate_mode)
		return false;
	if (a->replicate_mode != SK_REPLICATE_ON)
		return true;
	return !strcmp(a->replicate.region, b->replicate.region) && ra == rb &&
	       !strcmp(a->replicate.kms_key_id ? a->replicate.kms_key_id : "",
		       b->replicate.kms_key_id ? b->replicate.kms_key_id : "");
}

bool sk_policy_check_conflicts(const struct sk_policy *a, const struct sk_policy *b, struct sk_buf *why,
			       struct sk_pos *bpos)
{
	bool any = false;

#define ONE(cond, field, fmt, va, vb, pa, pb)                                                    \
	do {                                                                                     \
		if (cond) {                                                                      \
			if (why) {                                                               \
				if (any)                                                         \
					sk_buf_adds(why, "; ");                                  \
				sk_buf_printf(why, "%s: " fmt " in '%s' (", field, va, a->name); \
				pos_text(why, &(pa));                                            \
				sk_buf_printf(why, ") vs " fmt " in '%s' (", vb, b->name);       \
				pos_text(why, &(pb));                                            \
				sk_buf_adds(why, ")");                                           \
			}                                                                        \
			if (!any && bpos)                                                        \
				*bpos = (pb);                                                    \
			any = true;                                                              \
		}                                                                                \
	} while (0)

	ONE(a->retention_days >= 0 && b->retention_days >= 0 && a->retention_days != b->retention_days,
	    "retentionDays", "%d", a->retention_days, b->retention_days, a->retention_pos, b->retention_pos);
	ONE(a->window && b->window && strcmp(a->window, b->window) != 0, "window", "%s", a->window, b->window,
	    a->window_pos, b->window_pos);
	ONE(a->copy_tags >= 0 && b->copy_tags >= 0 && a->copy_tags != b->copy_tags, "copyTagsToSnapshot", "%s",
	    a->copy_tags ? "true" : "false", b->copy_tags ? "true" : "false", a->copy_tags_pos, b->copy_tags_pos);
	ONE(a->deletion_protection >= 0 && b->deletion_protection >= 0 &&
		    a->deletion_protection != b->deletion_protection,
	    "deletionProtection", "%s", a->deletion_protection ? "true" : "false",
	    b->deletion_protection ? "true" : "false", a->deletion_protection_pos, b->deletion_protection_pos);
	if (a->replicate_mode != SK_REPLICATE_UNSET && b->replicate_mode != SK_REPLICATE_UNSET) {
		char ta[160], tb[160];

		ONE(!same_replication(a, b), "replicate", "%s", replicate_text(ta, a), replicate_text(tb, b),
		    a->replicate.pos, b->replicate.pos);
	}
#undef ONE
	return any;
}

void sk_policy_check_set(struct sk_pctx *p, const struct sk_policy *pols, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		const struct sk_policy *b = &pols[j];

		for (size_t i = 0; i < j; i++) {
			const struct sk_policy *a = &pols[i];
			const char *inst, *region;

			if (!strcmp(a->name, b->name)) {
				sk_pctx_diag_pos(p, &b->name_pos, "policy '%s' is defined twice (first at %s:%d:%d)",
						 b->name, a->name_pos.file, a->name_pos.line, a->name_pos.col);
				continue;
			}
			if (!shares_instance(a, b, &inst) || !shares_account(a, b))
				continue;
			if ((region = shared_region(a, b))) {
				struct sk_buf why = SK_BUF_INIT;
				struct sk_pos at = b->pos;

				if (sk_policy_check_conflicts(a, b, &why, &at))
					sk_pctx_diag_pos(p, &at,
							 "policies '%s' and '%s' both select instance '%s' in '%s' and disagree: %s",
							 a->name, b->name, inst, region, sk_buf_cstr(&why));
				sk_buf_free(&why);
			}
			if (a->has_snapshots && b->has_snapshots && a->prefix && b->prefix &&
			    !strcmp(a->prefix, b->prefix) && lands_together(a, b))
				sk_pctx_diag_pos(p, &b->prefix_pos,
						 "policies '%s' and '%s' both take snapshots of instance '%s' with prefix '%s' (%s:%d:%d); their identifiers would collide: give one of them another prefix",
						 a->name, b->name, inst, b->prefix, a->prefix_pos.file,
						 a->prefix_pos.line, a->prefix_pos.col);
		}
	}
}
