/*
 * policy_json.c - a policy set as JSON (jansson), for tools and tests
 *
 * The names are the policy format's; defaults are filled in; automated
 * settings that were not given are left out (the reconciler leaves them
 * alone), so what is printed is exactly what snapkeep will act on.
 */
#include "specs/policy_json.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/json.h"
#include "specs/policy.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *pos_json(const struct sk_pos *p)
{
	return json_pack("{s:o, s:i, s:i}", "file", str_or_null(p->file), "line", p->line, "col", p->col);
}

static json_t *kv_json(const struct sk_policy_kv *kv, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, kv[i].key, json_string(kv[i].value));
	return o;
}

static json_t *retain_json(const struct sk_retain *r)
{
	json_t *o = json_object();
	static const char *const names[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly" };
	const int vals[] = { r->last, r->hourly, r->daily, r->weekly, r->monthly, r->yearly };

	for (size_t i = 0; o && i < 6; i++)
		if (vals[i])
			json_object_set_new(o, names[i], json_integer(vals[i]));
	if (o && r->has_within) {
		char w[48];

		sk_duration_format(w, &r->within);
		json_object_set_new(o, "within", json_string(w));
	}
	return o;
}

static json_t *automated_json(const struct sk_policy *p)
{
	json_t *o;

	if (!p->has_automated)
		return json_null();
	o = json_object();
	if (!o)
		return NULL;
	sk_json_set_int_if(o, "retentionDays", p->retention_days);
	sk_json_set_str_if(o, "window", p->window);
	sk_json_set_bool_if(o, "copyTagsToSnapshot", p->copy_tags);
	sk_json_set_bool_if(o, "deletionProtection", p->deletion_protection);
	json_object_set_new(o, "applyImmediately", json_boolean(p->apply_immediately));
	if (p->replicate_mode == SK_REPLICATE_OFF) {
		json_object_set_new(o, "replicate", json_false());
	} else if (p->replicate_mode == SK_REPLICATE_ON) {
		json_t *r = json_pack("{s:s}", "region", p->replicate.region);

		if (r && p->replicate.retention_days)
			json_object_set_new(r, "retentionDays", json_integer(p->replicate.retention_days));
		if (r && p->replicate.kms_key_id)
			json_object_set_new(r, "kmsKeyId", json_string(p->replicate.kms_key_id));
		json_object_set_new(o, "replicate", r);
	}
	return o;
}

static json_t *snapshots_json(const struct sk_policy *p)
{
	json_t *o, *copies;

	if (!p->has_snapshots)
		return json_null();
	o = json_pack("{s:o, s:s, s:o, s:o, s:i, s:i}", "schedule", str_or_null(p->schedule_text), "prefix",
		      p->prefix ? p->prefix : "snapkeep", "tags", kv_json(p->tags, p->n_tags), "retain",
		      p->has_retain ? retain_json(&p->retain) : json_null(), "minAvailable", p->min_available,
		      "maxDeletionsPerRun", p->max_deletions_per_run);
	copies = json_array();
	for (size_t i = 0; copies && i < p->n_copies; i++) {
		const struct sk_policy_copy *c = &p->copies[i];

		json_array_append_new(copies, json_pack("{s:s, s:o, s:o}", "region", c->region, "kmsKeyId",
							str_or_null(c->kms_key_id), "retain",
							c->has_retain ? retain_json(&c->retain) : json_null()));
	}
	if (o)
		json_object_set_new(o, "copies", copies);
	else
		json_decref(copies);
	return o;
}

/* a {warn, crit} pair in seconds; null when derived from the schedule */
static json_t *threshold_json(const struct sk_verify_threshold *t)
{
	if (!t->warn)
		return json_null();
	return json_pack("{s:I, s:I}", "warnSeconds", (json_int_t)t->warn, "critSeconds", (json_int_t)t->crit);
}

static json_t *verify_json(const struct sk_policy_verify *v)
{
	json_t *o, *keys = json_object();

	for (size_t i = 0; keys && i < v->n_kms_keys; i++)
		json_object_set_new(keys, v->kms_keys[i].region, json_string(v->kms_keys[i].key));
	o = json_pack("{s:o, s:o, s:o, s:o, s:b, s:o}", "rpo", threshold_json(&v->rpo), "copyRpo",
		      threshold_json(&v->copy_rpo), "pitrRpo", threshold_json(&v->pitr_rpo), "pitrWindow",
		      threshold_json(&v->pitr_window), "encrypted", v->encrypted != 0, "kmsKeys", keys);
	if (o) {
		json_object_set_new(o, "drillMaxAgeSeconds",
				    v->drill_max_age ? json_integer((json_int_t)v->drill_max_age) : json_null());
		json_object_set_new(o, "alerts", json_boolean(!v->alerts_off));
	}
	return o;
}

static json_t *drill_json(const struct sk_policy_drill *d)
{
	static const char *const kinds[] = { "atLeast", "expect", "notOlderThanSnapshotBy" };
	json_t *checks = json_array(), *o;

	for (size_t i = 0; checks && i < d->n_checks; i++) {
		const struct sk_drill_check *c = &d->checks[i];
		json_t *v = c->kind == SK_DRILL_AT_LEAST   ? json_real(c->at_least)
			    : c->kind == SK_DRILL_FRESH    ? json_integer(c->max_age)
			    : c->expect_bool >= 0          ? json_boolean(c->expect_bool)
							   : json_string(c->expect);

		json_array_append_new(checks, json_pack("{s:s, s:s, s:o}", "name", c->name, "sql", c->sql,
							 kinds[c->kind], v));
	}
	o = json_pack("{s:o, s:s, s:I, s:o, s:{s:o, s:o, s:o, s:o}, s:o, s:I, s:I}", "schedule",
		      str_or_null(d->schedule_text), "source", d->point_in_time ? "point-in-time" : "latest-snapshot",
		      "lagSeconds", (json_int_t)d->lag, "instanceClass", str_or_null(d->instance_class), "connect",
		      "database", str_or_null(d->database), "user", str_or_null(d->user), "passwordEnv",
		      str_or_null(d->password_env), "passwordFile", str_or_null(d->password_file), "checks", checks,
		      "timeoutSeconds", (json_int_t)d->timeout, "statementTimeoutSeconds",
		      (json_int_t)d->statement_timeout);
	return o;
}

/* selector.exclude, as given */
static json_t *exclude_json(const struct sk_policy *p)
{
	json_t *o = json_object(), *a = json_array();

	for (size_t i = 0; a && i < p->n_exclude_instances; i++)
		json_array_append_new(a, json_string(p->exclude_instances[i].name));
	json_object_set_new(o, "instances", a);
	json_object_set_new(o, "tags", kv_json(p->exclude_tags, p->n_exclude_tags));
	return o;
}

static json_t *policy_json(const struct sk_policy *p)
{
	json_t *o, *regions = json_array(), *sel;

	for (size_t i = 0; regions && i < p->n_regions; i++)
		json_array_append_new(regions, json_string(p->regions[i].name));
	if (p->n_instances) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < p->n_instances; i++)
			json_array_append_new(a, json_string(p->instances[i].name));
		sel = json_pack("{s:o}", p->clusters ? "clusters" : "instances", a);
	} else {
		sel = json_pack("{s:o}", "tags", kv_json(p->selector_tags, p->n_selector_tags));
		if (sel && (p->n_exclude_instances || p->n_exclude_tags))
			json_object_set_new(sel, "exclude", exclude_json(p));
		if (sel && p->clusters)
			json_object_set_new(sel, "kind", json_string("cluster"));
	}
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "name", str_or_null(p->name), "at", pos_json(&p->pos),
		      "regions", regions, "selector", sel, "automated", automated_json(p), "snapshots",
		      snapshots_json(p));
	if (o)
		json_object_set_new(o, "alerts",
				    p->sns_topic_arn ? json_pack("{s:s}", "snsTopicArn", p->sns_topic_arn) : json_null());
	/* only when given: the sets of policies without one print as they always did */
	if (o && p->has_verify)
		json_object_set_new(o, "verify", verify_json(&p->verify));
	if (o && p->has_drill)
		json_object_set_new(o, "drill", drill_json(&p->drill));
	if (o && p->suspend)
		json_object_set_new(o, "suspend", json_true());
	if (o && p->n_accounts) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < p->n_accounts; i++)
			json_array_append_new(a, json_string(p->accounts[i].name));
		json_object_set_new(o, "accounts", a);
	}
	return o;
}

static json_t *settings_json(const struct sk_settings *s)
{
	json_t *q = json_object(), *o;

	for (size_t i = 0; q && i < s->n_region_quotas; i++)
		if (s->region_quotas[i].region)
			json_object_set_new(q, s->region_quotas[i].region, json_integer(s->region_quotas[i].quota));
	o = json_pack("{s:b, s:i, s:o, s:f, s:i, s:i, s:o}", "present", s->present, "snapshotQuota", s->snapshot_quota,
		      "regionQuotas", q, "pricePerGBMonth", s->price_per_gb_month, "concurrency", s->concurrency,
		      "copiesInFlight", s->copies_in_flight, "alerts",
		      s->sns_topic_arn ? json_pack("{s:s}", "snsTopicArn", s->sns_topic_arn) : json_null());
	/* only over several accounts: the sets without them print as they always did */
	if (o && s->n_accounts) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < s->n_accounts; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "id", s->accounts[i].id, "roleArn",
							   s->accounts[i].role_arn, "externalId",
							   str_or_null(s->accounts[i].external_id)));
		json_object_set_new(o, "accounts", a);
		json_object_set_new(o, "parallel", json_integer(s->parallel));
	}
	return o;
}

int sk_policyset_format_json(struct sk_buf *out, const struct sk_policyset *set, unsigned flags)
{
	json_t *root, *pols = json_array(), *diags = json_array(), *files = json_array();
	char *text;
	int rc;

	for (size_t i = 0; pols && i < set->n_policies; i++)
		json_array_append_new(pols, policy_json(&set->policies[i]));
	for (size_t i = 0; diags && i < set->n_diags; i++) {
		struct sk_buf line = SK_BUF_INIT;

		sk_policy_diag_format(&line, &set->diags[i]);
		json_array_append_new(diags, json_pack("{s:o, s:i, s:i, s:s, s:s}", "file",
						       str_or_null(set->diags[i].pos.file), "line",
						       set->diags[i].pos.line, "col", set->diags[i].pos.col, "message",
						       set->diags[i].message, "text", sk_buf_cstr(&line)));
		sk_buf_free(&line);
	}
	for (size_t i = 0; files && i < set->n_files; i++)
		json_array_append_new(files, json_string(set->files[i]));
	root = json_pack("{s:b, s:o, s:o, s:o, s:o}", "valid", set->n_diags == 0, "policies", pols, "settings",
			 settings_json(&set->settings), "diagnostics", diags, "files", files);
	if (!root)
		return sk_error_set_oom();
	if (set->commit[0])
		json_object_set_new(root, "source",
				    json_pack("{s:s, s:o, s:o}", "commit", set->commit, "subject",
					      str_or_null(set->subject), "ref", str_or_null(set->ref)));
	text = json_dumps(root, JSON_SORT_KEYS | JSON_REAL_PRECISION(10) |
					(flags & SK_POLICY_JSON_PRETTY ? JSON_INDENT(2) : JSON_COMPACT));
	json_decref(root);
	if (!text)
		return sk_error_set_oom();
	rc = sk_buf_adds(out, text);
	free(text);
	return rc;
}
