/*
 * policy_spec.c - the spec of a BackupPolicy document: regions, selector,
 * automated backups (and their replication) and alerts
 *
 * One policy per document, read key by key into a struct sk_policy with
 * the defaults of unset settings (-1 / NULL: left alone); spec.snapshots
 * is policy_snapshots.c's.  Every problem is a diagnostic and the next key
 * is read, so one run names them all.
 */
#include "specs/policy_spec.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "specs/policy_drill.h"
#include "specs/policy_settings.h"
#include "specs/policy_snapshots.h"
#include "specs/policy_verify.h"

#define MAX_REGIONS 64
#define MAX_INSTANCES 1000
#define MAX_SELECTOR_TAGS 50

/* a list of unique names matching a pattern */
static void parse_names(struct sk_pctx *p, const struct sk_ynode *n, const char *label, enum sk_policy_rx rx,
			size_t max_len, const char *expected, size_t max_items, struct sk_policy_name **out,
			size_t *n_out)
{
	char sub[96], v[SK_PCTX_SHOW_MAX];
	size_t j = 0;

	*out = NULL;
	*n_out = 0;
	if (!sk_pctx_want_seq(p, n, label))
		return;
	if (n->n_kids == 0) {
		sk_pctx_diag(p, n, "%s must not be empty", label);
		return;
	}
	if (n->n_kids > max_items) {
		sk_pctx_diag(p, n, "%s has %zu items, at most %zu are allowed", label, n->n_kids, max_items);
		return;
	}
	*out = sk_pctx_calloc(p, n->n_kids, sizeof(**out));
	if (!*out)
		return;
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct sk_ynode *it = n->kids[i];
		char *s;
		bool dup = false;

		snprintf(sub, sizeof(sub), "%s[%zu]", label, i);
		if (!sk_pctx_want_pattern(p, it, sub, rx, max_len, expected, &s))
			continue;
		for (size_t k = 0; k < j && !dup; k++) {
			if (!strcmp((*out)[k].name, s)) {
				sk_pctx_diag(p, it, "%s '%s' is listed twice (first at %s:%d:%d)", sub,
					     SK_PCTX_SHOWN(v, it), (*out)[k].pos.file, (*out)[k].pos.line,
					     (*out)[k].pos.col);
				dup = true;
			}
		}
		if (dup)
			continue;
		(*out)[j].name = s;
		(*out)[j].pos = sk_pctx_pos(p, it);
		j++;
	}
	*n_out = j;
}

/* replicate: a mapping with a region, or false / null to stop replicating */
static void parse_replicate(struct sk_pctx *p, const struct sk_ynode *k, const struct sk_ynode *v,
			    struct sk_policy *pol)
{
	char d[SK_PCTX_DESCRIBE_MAX], w[SK_PCTX_SHOW_MAX];
	const struct sk_ynode *r;
	bool ok = true;

	pol->replicate.pos = sk_pctx_pos(p, v);
	if (v->type == SK_Y_SCALAR &&
	    (v->kind == SK_YK_NULL || (v->kind == SK_YK_BOOL && (v->text[0] == 'f' || v->text[0] == 'F')))) {
		pol->replicate_mode = SK_REPLICATE_OFF;
	} else if (v->type == SK_Y_MAP) {
		sk_pctx_check_keys(p, v, "replicate", sk_policy_keys_replicate);
		if (!(r = sk_pctx_field(v, "region", NULL))) {
			sk_pctx_diag(p, k, "missing 'region' in 'replicate'");
			ok = false;
		} else if (!sk_pctx_want_pattern(p, r, "replicate.region", SK_POLICY_RX_REGION, 32,
						 SK_POLICY_REGION_EXPECTED, &pol->replicate.region)) {
			ok = false;
		} else if (sk_policy_has_region(pol, pol->replicate.region)) {
			sk_pctx_diag(p, r,
				     "replicate.region '%s' is one of the policy's regions; backups must be replicated to another region",
				     SK_PCTX_SHOWN(w, r));
			ok = false;
		}
		if ((r = sk_pctx_field(v, "retentionDays", NULL)) &&
		    !sk_pctx_want_int(p, r, "replicate.retentionDays", 1, 35, NULL, &pol->replicate.retention_days))
			ok = false;
		if ((r = sk_pctx_field(v, "kmsKeyId", NULL)) &&
		    !sk_pctx_want_kms(p, r, "replicate.kmsKeyId", pol->replicate.region, &pol->replicate.kms_key_id))
			ok = false;
		if (ok)
			pol->replicate_mode = SK_REPLICATE_ON;
	} else if (!sk_pctx_is_alias(v)) {
		sk_pctx_diag(p, v, "replicate must be a mapping with a region, or false to stop replicating, got %s",
			     sk_pctx_describe(d, v));
	}
	if (pol->replicate_mode == SK_REPLICATE_ON && pol->retention_days == 0)
		sk_pctx_diag(p, v, "replicate needs automated backups, but retentionDays is 0");
}

static void parse_automated(struct sk_pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			    struct sk_policy *pol)
{
	const struct sk_ynode *v, *k;
	bool b;

	pol->automated_pos = sk_pctx_pos(p, key);
	if (!sk_pctx_want_map(p, n, "automated"))
		return;
	sk_pctx_check_keys(p, n, "automated", sk_policy_keys_automated);
	if ((v = sk_pctx_field(n, "retentionDays", NULL))) {
		pol->retention_pos = sk_pctx_pos(p, v);
		if (!sk_pctx_want_int(p, v, "retentionDays", 0, 35, NULL, &pol->retention_days))
			pol->retention_days = -1;
	}
	if ((v = sk_pctx_field(n, "window", NULL)) && sk_pctx_want_string(p, v, "window")) {
		int start, end;

		pol->window_pos = sk_pctx_pos(p, v);
		if (sk_window_parse(v->text, &start, &end) < 0)
			sk_pctx_diag(p, v, "%s", sk_error_message());
		else
			pol->window = sk_pctx_strdup(p, v->text, v->len);
	}
	if ((v = sk_pctx_field(n, "copyTagsToSnapshot", NULL)) && sk_pctx_want_bool(p, v, "copyTagsToSnapshot", &b)) {
		pol->copy_tags = b;
		pol->copy_tags_pos = sk_pctx_pos(p, v);
	}
	if ((v = sk_pctx_field(n, "deletionProtection", NULL)) && sk_pctx_want_bool(p, v, "deletionProtection", &b)) {
		pol->deletion_protection = b;
		pol->deletion_protection_pos = sk_pctx_pos(p, v);
	}
	if ((v = sk_pctx_field(n, "applyImmediately", NULL)) && sk_pctx_want_bool(p, v, "applyImmediately", &b))
		pol->apply_immediately = b;
	if ((v = sk_pctx_field(n, "replicate", &k)))
		parse_replicate(p, k, v, pol);
	pol->has_automated = pol->retention_days >= 0 || pol->window || pol->copy_tags >= 0 ||
			     pol->deletion_protection >= 0 || pol->apply_immediately ||
			     pol->replicate_mode != SK_REPLICATE_UNSET;
}

/* what a selector and its exclusion both name: 'instances' and 'tags', at "<what>.instances", "<what>.tags" */
static void parse_instances_and_tags(struct sk_pctx *p, const char *what, const struct sk_ynode *inst,
				     const struct sk_ynode *tags, struct sk_policy_name **names, size_t *n_names,
				     struct sk_policy_kv **kv, size_t *n_kv)
{
	char label[64];

	if (inst) {
		snprintf(label, sizeof(label), "%s.instances", what);
		parse_names(p, inst, label, SK_POLICY_RX_INSTANCE, SK_POLICY_MAX_NAME,
			    "a DB instance identifier: lowercase letters, digits and single hyphens, starting with a letter",
			    MAX_INSTANCES, names, n_names);
	}
	if (tags) {
		snprintf(label, sizeof(label), "%s.tags", what);
		sk_pctx_want_tags(p, tags, label, false, 1, MAX_SELECTOR_TAGS, kv, n_kv);
	}
}

/*
 * selector.exclude: instances (names) and tags (an instance carrying any one
 * of them is left out), for a tag selector only: with a list of instances,
 * leaving one out of the list says the same
 */
static void parse_exclude(struct sk_pctx *p, const struct sk_ynode *k, const struct sk_ynode *v,
			  struct sk_policy *pol)
{
	const struct sk_ynode *inst, *tags;

	if (pol->n_instances) {
		sk_pctx_diag(p, k,
			     "selector.exclude applies to a tag selector; with 'instances', leave the instance out of the list");
		return;
	}
	if (!sk_pctx_want_map(p, v, "selector.exclude"))
		return;
	sk_pctx_check_keys(p, v, "exclude", sk_policy_keys_exclude);
	inst = sk_pctx_field(v, "instances", NULL);
	tags = sk_pctx_field(v, "tags", NULL);
	if (!inst && !tags)
		sk_pctx_diag(p, k,
			     "selector.exclude needs 'instances' (a list of DB instance identifiers) or 'tags' (a mapping)");
	parse_instances_and_tags(p, "selector.exclude", inst, tags, &pol->exclude_instances, &pol->n_exclude_instances,
				 &pol->exclude_tags, &pol->n_exclude_tags);
}

/* spec.suspend: true stops the policy's changes; the plan still shows them */
/* accounts: ["111111111111", ...], each one of Settings' accounts (checked once every file is read) */
static void parse_accounts(struct sk_pctx *p, const struct sk_ynode *v, struct sk_policy *pol)
{
	char label[48];

	if (!sk_pctx_want_seq(p, v, "accounts"))
		return;
	if (v->n_kids == 0) {
		sk_pctx_diag(p, v, "accounts must not be empty (leave it out to cover every account Settings lists)");
		return;
	}
	if (!(pol->accounts = sk_pctx_calloc(p, v->n_kids, sizeof(*pol->accounts))))
		return;
	for (size_t i = 0; i < v->n_kids; i++) {
		const struct sk_ynode *it = v->kids[i];
		struct sk_policy_name a = { NULL, sk_pctx_pos(p, it) };
		bool dup = false;

		snprintf(label, sizeof(label), "accounts[%zu]", i);
		if (!sk_pctx_want_account(p, it, label, &a.name))
			continue;
		for (size_t k = 0; k < pol->n_accounts && !dup; k++) {
			if (!strcmp(pol->accounts[k].name, a.name)) {
				sk_pctx_diag(p, it, "%s '%s' is listed twice (first at %s:%d:%d)", label, a.name,
					     pol->accounts[k].pos.file, pol->accounts[k].pos.line, pol->accounts[k].pos.col);
				dup = true;
			}
		}
		if (!dup)
			pol->accounts[pol->n_accounts++] = a;
	}
}

static void parse_suspend(struct sk_pctx *p, const struct sk_ynode *v, struct sk_policy *pol)
{
	bool b;

	if (!sk_pctx_want_bool(p, v, "suspend", &b))
		return;
	pol->suspend = b;
	pol->suspend_pos = sk_pctx_pos(p, v);
}

/*
 * selector.kind: what a tag selector picks, "instance" (the default) or
 * "cluster" (Aurora DB clusters); with 'clusters' it can only say "cluster"
 */
static void parse_kind(struct sk_pctx *p, const struct sk_ynode *v, bool named_instances, bool named_clusters,
		       struct sk_policy *pol)
{
	const char *s = v->kind == SK_YK_STRING ? v->text : NULL;

	if (!s || (strcmp(s, "instance") && strcmp(s, "cluster"))) {
		sk_pctx_diag(p, v, "selector.kind must be 'instance' or 'cluster'");
		return;
	}
	pol->kind_pos = sk_pctx_pos(p, v);
	if (!strcmp(s, "cluster") && named_instances)
		sk_pctx_diag(p, v, "selector.kind 'cluster' with 'instances': name the clusters in 'clusters' instead");
	else if (!strcmp(s, "instance") && named_clusters)
		sk_pctx_diag(p, v, "selector.kind 'instance' with 'clusters': a list of clusters selects clusters");
	else
		pol->clusters = !strcmp(s, "cluster");
}

/*
 * selector: instances (a list of DB instance identifiers), clusters (a list
 * of Aurora DB cluster identifiers) or tags (every one must match; kind:
 * cluster matches clusters' tags)
 */
static void parse_selector(struct sk_pctx *p, const struct sk_ynode *k, const struct sk_ynode *v,
			   struct sk_policy *pol)
{
	const struct sk_ynode *inst, *clus, *tags, *tk, *kk, *kind;

	pol->selector_pos = sk_pctx_pos(p, k);
	sk_pctx_check_keys(p, v, "selector", sk_policy_keys_selector);
	inst = sk_pctx_field(v, "instances", NULL);
	clus = sk_pctx_field(v, "clusters", &kk);
	tags = sk_pctx_field(v, "tags", &tk);
	if (inst && tags && !clus)
		sk_pctx_diag(p, tk, "selector must have either 'instances' or 'tags', not both");
	else if ((inst != NULL) + (clus != NULL) + (tags != NULL) > 1)
		sk_pctx_diag(p, tags ? tk : kk, "selector must have one of 'instances', 'clusters' or 'tags', not more");
	else if (!inst && !clus && !tags)
		sk_pctx_diag(p, k, "selector needs 'instances' (a list of DB instance identifiers), 'clusters' (a list "
			     "of Aurora DB cluster identifiers) or 'tags' (a mapping)");
	if ((kind = sk_pctx_field(v, "kind", NULL)))
		parse_kind(p, kind, inst != NULL, clus != NULL, pol);
	if (clus && !inst) {
		pol->clusters = true;
		parse_names(p, clus, "selector.clusters", SK_POLICY_RX_INSTANCE, SK_POLICY_MAX_NAME,
			    "a DB cluster identifier: lowercase letters, digits and single hyphens, starting with a letter",
			    MAX_INSTANCES, &pol->instances, &pol->n_instances);
	}
	parse_instances_and_tags(p, "selector", inst, clus && !inst ? NULL : tags, &pol->instances, &pol->n_instances,
				 &pol->selector_tags, &pol->n_selector_tags);
	if ((tags = sk_pctx_field(v, "exclude", &tk)))
		parse_exclude(p, tk, tags, pol);
}

static void policy_defaults(struct sk_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->retention_days = -1;
	pol->copy_tags = -1;
	pol->deletion_protection = -1;
	pol->retain = (struct sk_retain)SK_RETAIN_INIT;
	pol->min_available = 1;
	pol->max_deletions_per_run = 50;
	pol->prefix = "snapkeep"; /* replaced by an arena copy below */
}

void sk_policy_spec_parse(struct sk_pctx *p, const struct sk_ynode *root, const struct sk_ynode *spec_key,
			  const struct sk_ynode *spec, char *name, const struct sk_ynode *name_node)
{
	struct sk_policy pol;
	const struct sk_ynode *v, *k;

	policy_defaults(&pol);
	pol.prefix = sk_pctx_strdup(p, "snapkeep", 8);
	pol.name = name;
	pol.pos = sk_pctx_pos(p, root);
	pol.name_pos = name_node ? sk_pctx_pos(p, name_node) : pol.pos;
	if (!spec) {
		sk_pctx_diag(p, root, "missing 'spec' (regions, selector and what to manage)");
		goto add;
	}
	if (!sk_pctx_want_map(p, spec, "spec"))
		goto add;
	sk_pctx_check_keys(p, spec, "spec", sk_policy_keys_spec);

	if (!(v = sk_pctx_field(spec, "regions", NULL)))
		sk_pctx_diag(p, spec_key, "missing 'regions' in 'spec' (for example regions: [us-east-1])");
	else
		parse_names(p, v, "regions", SK_POLICY_RX_REGION, 32, SK_POLICY_REGION_EXPECTED, MAX_REGIONS,
			    &pol.regions, &pol.n_regions);

	if (!(v = sk_pctx_field(spec, "selector", &k)))
		sk_pctx_diag(p, spec_key, "missing 'selector' in 'spec' (selector: {instances: [...]} or {tags: {...}})");
	else if (sk_pctx_want_map(p, v, "selector"))
		parse_selector(p, k, v, &pol);

	if ((v = sk_pctx_field(spec, "automated", &k)))
		parse_automated(p, k, v, &pol);
	if ((v = sk_pctx_field(spec, "snapshots", &k)))
		sk_policy_snapshots_parse(p, k, v, &pol);
	if ((v = sk_pctx_field(spec, "alerts", NULL)))
		sk_pctx_want_alerts(p, v, &pol.sns_topic_arn, &pol.sns_topic_arn_pos);
	/* verify and drill read instances' backups and restore instances: not Aurora's */
	if ((v = sk_pctx_field(spec, "verify", &k)) && pol.clusters)
		sk_pctx_diag(p, k, "verify applies to DB instances; this policy selects Aurora clusters");
	else if (v)
		sk_policy_verify_parse(p, k, v, &pol);
	if ((v = sk_pctx_field(spec, "drill", &k)) && pol.clusters)
		sk_pctx_diag(p, k, "drill applies to DB instances; this policy selects Aurora clusters");
	else if (v)
		sk_policy_drill_parse(p, k, v, &pol);
	if ((v = sk_pctx_field(spec, "suspend", NULL)))
		parse_suspend(p, v, &pol);
	if ((v = sk_pctx_field(spec, "accounts", NULL)))
		parse_accounts(p, v, &pol);
add:
	if (sk_buf_add(&p->policies, &pol, sizeof(pol)) < 0)
		p->oom = true;
}
