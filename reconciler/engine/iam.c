/*
 * iam.c - the least-privilege IAM policy document (see iam.h)
 *
 * Each statement collects its resources in a string set; sets are sorted
 * and de-duplicated when the document is written.  Tag-selected instances
 * cannot be named, so their statements grant db:* in the policy's regions
 * under a condition on the instance's tags (rds:db-tag/<Key>); such a
 * condition would fail for the other resources of the same action (a
 * snapshot has no db tags), so those stay in a separate statement.
 */
#include "reconciler/engine/iam.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "common/array.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/str.h"
#include "reconciler/planner/ownership.h"
#include "specs/policy.h"

struct strset {
	char **v;
	size_t n, cap;
};

/* adds str, which the set takes over (NULL: making it failed, the error set) */
static int set_take(struct strset *s, char *str)
{
	char **slot;

	if (!str)
		return -1;
	if (!(slot = SK_ARRAY_PUSH(s->v, s->n, s->cap))) {
		free(str);
		return -1;
	}
	*slot = str;
	return 0;
}

static int set_add(struct strset *s, const char *str)
{
	return set_take(s, sk_strdup(str));
}

static int set_addf(struct strset *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_addf(struct strset *s, const char *fmt, ...)
{
	va_list ap;
	char *str;

	va_start(ap, fmt);
	str = sk_buf_vstrfmt(fmt, ap);
	va_end(ap);
	return set_take(s, str);
}

static void set_sort(struct strset *s)
{
	size_t i, j;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), sk_strp_cmp);
	for (i = 1, j = 1; i < s->n; i++) {
		if (strcmp(s->v[i], s->v[j - 1]))
			s->v[j++] = s->v[i];
		else
			free(s->v[i]);
	}
	s->n = j;
}

static void set_free(struct strset *s)
{
	sk_strv_free(s->v, s->n);
	memset(s, 0, sizeof(*s));
}

static json_t *set_json(struct strset *s)
{
	json_t *a = json_array();
	size_t i;

	set_sort(s);
	for (i = 0; a && i < s->n; i++)
		if (json_array_append_new(a, json_string(s->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

const char *sk_iam_partition(const char *region)
{
	return sk_arn_partition(region);
}

static const char *rds_host_suffix(const char *region)
{
	return sk_arn_dns_suffix(region);
}

/* what the build keeps while walking the policies */
struct build {
	const char *account;
	json_t *statements;
	int rc;
	bool clusters; /* the statements being built are for the policies that select Aurora clusters */
};

/*
 * Appends {"Sid", "Effect": "Allow", "Action", "Resource"[, "Condition"]}
 * when there are resources; takes condition.  A statement that should
 * carry a condition is never written without it.
 */
static void add_statement_if(struct build *b, const char *sid, const char *const *actions, size_t n_actions,
			     struct strset *resources, json_t *condition, bool conditional)
{
	json_t *st, *acts, *res;

	if (b->rc == 0 && conditional && !condition)
		b->rc = sk_error_set_oom();
	if (b->rc < 0 || !resources->n) {
		json_decref(condition);
		return;
	}
	acts = sk_json_strings(actions, n_actions);
	res = set_json(resources);
	st = json_object();
	if (!acts || !res || !st || json_object_set_new(st, "Sid", json_string(sid)) < 0 ||
	    json_object_set_new(st, "Effect", json_string("Allow")) < 0 || json_object_set(st, "Action", acts) < 0 ||
	    json_object_set(st, "Resource", res) < 0 ||
	    (condition && json_object_set(st, "Condition", condition) < 0) ||
	    json_array_append(b->statements, st) < 0)
		b->rc = sk_error_set_oom();
	json_decref(acts);
	json_decref(res);
	json_decref(st);
	json_decref(condition);
}

static void add_statement(struct build *b, const char *sid, const char *const *actions, size_t n_actions,
			  struct strset *resources, json_t *condition)
{
	add_statement_if(b, sid, actions, n_actions, resources, condition, condition != NULL);
}

static void add_conditional(struct build *b, const char *sid, const char *const *actions, size_t n_actions,
			    struct strset *resources, json_t *condition)
{
	add_statement_if(b, sid, actions, n_actions, resources, condition, true);
}

/* {"<op>": {"<key>": value}}; takes value */
static json_t *condition1(const char *op, const char *key, json_t *value)
{
	json_t *inner = json_object(), *outer = json_object();

	if (!value || !inner || !outer || json_object_set_new(inner, key, value) < 0 ||
	    json_object_set_new(outer, op, inner) < 0) {
		json_decref(value);
		json_decref(inner);
		json_decref(outer);
		return NULL;
	}
	return outer;
}

static bool is_tag_selector(const struct sk_policy *p)
{
	return p->n_selector_tags > 0;
}

/* arn:<partition>:rds:<region>:<account>:db:<instance> (cluster:<cluster>) for every region x named one */
static int add_db_arns(struct strset *s, const struct sk_policy *p, const char *account)
{
	size_t r, i;
	int rc = 0;

	for (r = 0; rc == 0 && r < p->n_regions; r++)
		for (i = 0; rc == 0 && i < p->n_instances; i++)
			rc = set_addf(s, "arn:%s:rds:%s:%s:%s:%s", sk_iam_partition(p->regions[r].name),
				      p->regions[r].name, account, p->clusters ? "cluster" : "db", p->instances[i].name);
	return rc;
}

static const char *prefix_of(const struct sk_policy *p)
{
	return p->prefix && *p->prefix ? p->prefix : "snapkeep";
}

static int add_snapshot_arn(struct strset *s, const char *region, const char *account, const char *what, bool cluster)
{
	return set_addf(s, "arn:%s:rds:%s:%s:%s:%s", sk_iam_partition(region), region, account,
			cluster ? "cluster-snapshot" : "snapshot", what);
}

/* <prefix>-* in the policy's regions and, with copies, in the copy regions */
static int add_own_snapshot_arns(struct strset *s, const struct sk_policy *p, const char *account, bool sources,
				 bool copies)
{
	struct sk_buf pat = SK_BUF_INIT;
	size_t i;
	int rc = sk_buf_printf(&pat, "%s-*", prefix_of(p));

	for (i = 0; rc == 0 && sources && i < p->n_regions; i++)
		rc = add_snapshot_arn(s, p->regions[i].name, account, pat.ptr, p->clusters);
	for (i = 0; rc == 0 && copies && i < p->n_copies; i++)
		rc = add_snapshot_arn(s, p->copies[i].region, account, pat.ptr, p->clusters);
	sk_buf_free(&pat);
	return rc;
}

/* arn:<partition>:rds:<region>:<account>:auto-backup:* (replicated automated backups live in the destination) */
static int add_auto_backup_arn(struct strset *s, const char *region, const char *account)
{
	return set_addf(s, "arn:%s:rds:%s:%s:auto-backup:*", sk_iam_partition(region), region, account);
}

/* {"<ns>/<tag>": value} added to obj; takes value */
static bool add_tag_key(json_t *obj, const char *ns, const char *tag, json_t *value)
{
	struct sk_buf key = SK_BUF_INIT;
	bool ok = value && sk_buf_printf(&key, "%s/%s", ns, tag) == 0 && json_object_set(obj, key.ptr, value) == 0;

	sk_buf_free(&key);
	json_decref(value);
	return ok;
}

/*
 * The tags that make a snapshot owned (ownership.h) as a condition, in the
 * request (ns "aws:RequestTag", with the slot every creation names) or on
 * the resource ("aws:ResourceTag"):
 *   {"StringEquals": {"<ns>/snapkeep:policy": [names]},
 *    "Null": {"<ns>/snapkeep:instance": "false"[, "<ns>/snapkeep:slot": "false"]}}
 * NULL when out of memory.
 */
static json_t *owner_tags_condition(const char *ns, struct strset *names)
{
	json_t *cond = json_object(), *eq = json_object(), *null = json_object();
	bool ok = cond && eq && null;

	ok = ok && add_tag_key(eq, ns, SK_TAG_POLICY, set_json(names));
	ok = ok && add_tag_key(null, ns, SK_TAG_INSTANCE, json_string("false"));
	if (!strcmp(ns, "aws:RequestTag"))
		ok = ok && add_tag_key(null, ns, SK_TAG_SLOT, json_string("false"));
	ok = ok && json_object_set(cond, "StringEquals", eq) == 0 && json_object_set(cond, "Null", null) == 0;
	json_decref(eq);
	json_decref(null);
	if (!ok) {
		json_decref(cond);
		return NULL;
	}
	return cond;
}

/*
 * The statements for tag-selected instances: one per distinct (tags,
 * regions) among the policies `want` accepts, numbered in sorted order.
 */
struct tagged {
	char *key; /* canonical text, for sorting and de-duplication */
	const struct sk_policy *p;
};

static int cmp_tagged(const void *a, const void *b)
{
	return strcmp(((const struct tagged *)a)->key, ((const struct tagged *)b)->key);
}

static char *tagged_key(const struct sk_policy *p)
{
	struct strset tags = { 0 }, regions = { 0 };
	struct sk_buf b = SK_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < p->n_selector_tags; i++)
		rc = set_addf(&tags, "%s\x1f%s", p->selector_tags[i].key, p->selector_tags[i].value);
	for (i = 0; rc == 0 && i < p->n_regions; i++)
		rc = set_add(&regions, p->regions[i].name);
	set_sort(&tags);
	set_sort(&regions);
	for (i = 0; rc == 0 && i < tags.n; i++)
		rc = sk_buf_printf(&b, "%s\x1e", tags.v[i]);
	if (rc == 0)
		rc = sk_buf_addc(&b, '\x1d');
	for (i = 0; rc == 0 && i < regions.n; i++)
		rc = sk_buf_printf(&b, "%s\x1e", regions.v[i]);
	set_free(&tags);
	set_free(&regions);
	if (rc < 0) {
		sk_buf_free(&b);
		return NULL;
	}
	return sk_buf_detach(&b);
}

static void add_tagged_statements(struct build *b, const struct sk_policyset *set, const char *sid,
				  const char *const *actions, size_t n_actions,
				  bool (*want)(const struct sk_policy *))
{
	struct tagged *t = NULL;
	size_t n = 0, i, k, num = 0;

	if (b->rc < 0)
		return;
	if (set->n_policies && !(t = calloc(set->n_policies, sizeof(*t)))) {
		b->rc = sk_error_set_oom();
		return;
	}
	for (i = 0; i < set->n_policies; i++) {
		const struct sk_policy *p = &set->policies[i];
		if (!is_tag_selector(p) || !want(p) || p->clusters != b->clusters)
			continue;
		if (!(t[n].key = tagged_key(p))) {
			b->rc = sk_error_set_oom();
			goto done;
		}
		t[n++].p = p;
	}
	if (n)
		qsort(t, n, sizeof(*t), cmp_tagged);
	for (i = 0; i < n && b->rc == 0; i++) {
		const struct sk_policy *p = t[i].p;
		struct strset res = { 0 };
		char name[128];
		json_t *tags;

		if (i && !strcmp(t[i].key, t[i - 1].key))
			continue;
		for (k = 0; k < p->n_regions && b->rc == 0; k++)
			b->rc = set_addf(&res, "arn:%s:rds:%s:%s:%s:*", sk_iam_partition(p->regions[k].name),
					 p->regions[k].name, b->account, p->clusters ? "cluster" : "db");
		tags = json_object();
		for (k = 0; tags && k < p->n_selector_tags; k++) {
			struct sk_buf key = SK_BUF_INIT;
			if (sk_buf_printf(&key, "rds:%s-tag/%s", p->clusters ? "cluster" : "db", p->selector_tags[k].key) < 0 ||
			    json_object_set_new(tags, key.ptr, json_string(p->selector_tags[k].value)) < 0) {
				json_decref(tags);
				tags = NULL;
			}
			sk_buf_free(&key);
		}
		if (!tags && b->rc == 0)
			b->rc = sk_error_set_oom();
		snprintf(name, sizeof(name), "%s%zu", sid, ++num);
		if (b->rc == 0) {
			json_t *cond = json_object();
			if (!cond || json_object_set_new(cond, "StringEquals", tags) < 0) {
				json_decref(cond);
				b->rc = sk_error_set_oom();
			} else {
				add_conditional(b, name, actions, n_actions, &res, cond);
			}
		} else {
			json_decref(tags);
		}
		set_free(&res);
	}
done:
	for (i = 0; i < n; i++)
		free(t[i].key);
	free(t);
}

static bool wants_modify(const struct sk_policy *p)
{
	return p->has_automated;
}

static bool wants_create(const struct sk_policy *p)
{
	return p->has_snapshots;
}

static bool wants_start(const struct sk_policy *p)
{
	return p->has_automated && p->replicate_mode == SK_REPLICATE_ON;
}

static bool wants_stop(const struct sk_policy *p)
{
	return p->has_automated && p->replicate_mode != SK_REPLICATE_UNSET;
}

/* the statement for named instances (exact db ARNs) plus extra resources, then the tagged ones */
static void add_instance_statements(struct build *b, const struct sk_policyset *set, const char *sid,
				    const char *tagged_sid, const char *const *actions, size_t n_actions,
				    bool (*want)(const struct sk_policy *), struct strset *extra)
{
	size_t i;

	for (i = 0; i < set->n_policies && b->rc == 0; i++) {
		const struct sk_policy *p = &set->policies[i];
		if (want(p) && !is_tag_selector(p) && p->clusters == b->clusters)
			b->rc = add_db_arns(extra, p, b->account);
	}
	add_statement(b, sid, actions, n_actions, extra, NULL);
	add_tagged_statements(b, set, tagged_sid, actions, n_actions, want);
}

/* the option, parameter and subnet groups every restore names (the defaults when it names none) */
static int add_group_arns(struct strset *s, const char *region, const char *account)
{
	static const char *const kinds[] = { "og", "pg", "subgrp" };
	const char *partition = sk_iam_partition(region);
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (set_addf(s, "arn:%s:rds:%s:%s:%s:*", partition, region, account, kinds[i]) < 0)
			return -1;
	return 0;
}

/*
 * a restore in region: the new instance (and a live source) db:*, snapshots and
 * automated backups there, and the option, parameter and subnet groups every
 * restore names (the defaults when it names none), as RDS authorises it
 */
static int add_restore_arns(struct strset *s, struct strset *dbs, const char *region, const char *account)
{
	const char *partition = sk_iam_partition(region);

	if (set_addf(dbs, "arn:%s:rds:%s:%s:db:*", partition, region, account) < 0 ||
	    add_snapshot_arn(s, region, account, "*", false) < 0 || add_auto_backup_arn(s, region, account) < 0 ||
	    set_addf(s, "arn:%s:rds:%s:%s:db:*", partition, region, account) < 0)
		return -1;
	return add_group_arns(s, region, account);
}

/* {"Null": {"aws:RequestTag/snapkeep:restore": "false"}}: the request tags the new instance as a restore */
static json_t *restore_tag_condition(void)
{
	return condition1("Null", "aws:RequestTag/" SK_TAG_RESTORE, json_string("false"));
}

/*
 * Restore drills: restore into snapkeep-drill-* (from the policy's own
 * snapshots, or a point in time of its instances), tag it at creation, and
 * delete only instances that carry the snapkeep:drill tag.  A restore also
 * names the default option, parameter and subnet groups.
 */
static void add_drill_statements(struct build *b, const struct sk_policyset *set)
{
	static const char *const restore[] = { "rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBInstanceToPointInTime" };
	static const char *const tag[] = { "rds:AddTagsToResource" };
	static const char *const del[] = { "rds:DeleteDBInstance" };
	struct strset res = { 0 }, drills = { 0 };
	size_t i, k;

	for (i = 0; i < set->n_policies && b->rc == 0; i++) {
		const struct sk_policy *p = &set->policies[i];
		const char *part;

		if (!p->has_drill)
			continue;
		for (k = 0; k < p->n_regions && b->rc == 0; k++) {
			part = sk_iam_partition(p->regions[k].name);
			b->rc = set_addf(&drills, "arn:%s:rds:%s:%s:db:snapkeep-drill-*", part, p->regions[k].name, b->account);
			if (b->rc == 0)
				b->rc = add_group_arns(&res, p->regions[k].name, b->account);
			if (b->rc == 0 && p->drill.point_in_time && is_tag_selector(p))
				b->rc = set_addf(&res, "arn:%s:rds:%s:%s:db:*", part, p->regions[k].name, b->account);
		}
		if (b->rc == 0 && !p->drill.point_in_time)
			b->rc = add_own_snapshot_arns(&res, p, b->account, true, false);
		else if (b->rc == 0 && !is_tag_selector(p))
			b->rc = add_db_arns(&res, p, b->account);
	}
	for (i = 0; i < drills.n && b->rc == 0; i++)
		b->rc = set_add(&res, drills.v[i]);
	if (drills.n && b->rc == 0) {
		add_statement(b, "RestoreDrillInstances", restore, 2, &res, NULL);
		add_conditional(b, "TagDrillInstances", tag, 1, &drills,
				condition1("Null", "aws:RequestTag/" SK_TAG_DRILL, json_string("false")));
		add_conditional(b, "DeleteDrillInstances", del, 1, &drills,
				condition1("Null", "rds:db-tag/" SK_TAG_DRILL, json_string("false")));
	}
	set_free(&res);
	set_free(&drills);
}

/* the actions and statement names of one kind: DB instances and their snapshots, or Aurora clusters and theirs */
struct kind {
	const char *modify, *create, *copy, *del; /* the rds: actions */
	const char *modify_sid, *modify_tagged_sid, *create_sid, *create_tagged_sid, *tag_sid, *copy_sid, *delete_sid;
};

static const struct kind instance_kind = {
	"rds:ModifyDBInstance", "rds:CreateDBSnapshot", "rds:CopyDBSnapshot", "rds:DeleteDBSnapshot",
	"ModifyInstances", "ModifyTaggedInstances", "CreateSnapshots", "CreateSnapshotsOfTaggedInstances",
	"TagSnapshots", "CopySnapshots", "DeleteOwnedSnapshots",
};

static const struct kind cluster_kind = {
	"rds:ModifyDBCluster", "rds:CreateDBClusterSnapshot", "rds:CopyDBClusterSnapshot", "rds:DeleteDBClusterSnapshot",
	"ModifyClusters", "ModifyTaggedClusters", "CreateClusterSnapshots", "CreateSnapshotsOfTaggedClusters",
	"TagClusterSnapshots", "CopyClusterSnapshots", "DeleteOwnedClusterSnapshots",
};

/*
 * Modify, create, tag, copy and delete, for the policies of b->clusters'
 * kind: the same grants for instances and for Aurora clusters, each on its
 * own resources (db / snapshot, cluster / cluster-snapshot ARNs)
 */
static void add_lifecycle_statements(struct build *b, const struct sk_policyset *set, const struct kind *kd,
				     struct strset *names)
{
	static const char *const tag[] = { "rds:AddTagsToResource" };
	struct strset res = { 0 };
	size_t i, k;

	add_instance_statements(b, set, kd->modify_sid, kd->modify_tagged_sid, &kd->modify, 1, wants_modify, &res);
	set_free(&res);

	for (i = 0; i < set->n_policies && b->rc == 0; i++)
		if (wants_create(&set->policies[i]) && set->policies[i].clusters == b->clusters)
			b->rc = add_own_snapshot_arns(&res, &set->policies[i], b->account, true, false);
	add_instance_statements(b, set, kd->create_sid, kd->create_tagged_sid, &kd->create, 1, wants_create, &res);
	set_free(&res);

	/*
	 * Tags go on at creation and copy only (RDS checks AddTagsToResource then
	 * too), always with snapkeep:policy naming a policy of this set and the
	 * instance and slot tags.  IAM cannot tell that check from a direct call
	 * on an existing snapshot (RDS has no key like EC2's ec2:CreateAction), so
	 * this is as narrow as a grant can be: see iam.h.
	 */
	for (i = 0; i < set->n_policies && b->rc == 0; i++)
		if (wants_create(&set->policies[i]) && set->policies[i].clusters == b->clusters)
			b->rc = add_own_snapshot_arns(&res, &set->policies[i], b->account, true, true);
	if (b->rc == 0 && res.n)
		add_conditional(b, kd->tag_sid, tag, 1, &res, owner_tags_condition("aws:RequestTag", names));
	set_free(&res);

	for (i = 0; i < set->n_policies && b->rc == 0; i++)
		if (wants_create(&set->policies[i]) && set->policies[i].n_copies && set->policies[i].clusters == b->clusters)
			b->rc = add_own_snapshot_arns(&res, &set->policies[i], b->account, true, true);
	add_statement(b, kd->copy_sid, &kd->copy, 1, &res, NULL);
	set_free(&res);

	/* deletes: any snapshot in a managed region, but only one a policy of this set owns by its tags */
	for (i = 0; i < set->n_policies && b->rc == 0; i++) {
		const struct sk_policy *p = &set->policies[i];
		if (!p->has_snapshots || p->clusters != b->clusters)
			continue;
		for (k = 0; k < p->n_regions && b->rc == 0; k++)
			b->rc = add_snapshot_arn(&res, p->regions[k].name, b->account, "*", p->clusters);
		for (k = 0; k < p->n_copies && b->rc == 0; k++)
			b->rc = add_snapshot_arn(&res, p->copies[k].region, b->account, "*", p->clusters);
	}
	if (b->rc == 0 && res.n)
		add_conditional(b, kd->delete_sid, &kd->del, 1, &res, owner_tags_condition("aws:ResourceTag", names));
	set_free(&res);
}

int sk_iam_policy(json_t **out, const struct sk_policyset *set, const struct sk_iam_opts *o)
{
	/* the last two only where a policy selects Aurora clusters */
	static const char *const observe[] = { "rds:DescribeDBInstances", "rds:DescribeDBSnapshots",
					       "rds:DescribeDBInstanceAutomatedBackups", "rds:DescribeDBClusters",
					       "rds:DescribeDBClusterSnapshots" };
	static const char *const tag[] = { "rds:AddTagsToResource" };
	static const char *const start[] = { "rds:StartDBInstanceAutomatedBackupsReplication" };
	static const char *const stop[] = { "rds:StopDBInstanceAutomatedBackupsReplication" };
	static const char *const restore[] = { "rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBInstanceToPointInTime" };
	static const char *const kms[] = { "kms:CreateGrant", "kms:DescribeKey" };
	static const char *const publish[] = { "sns:Publish" };
	static const char *const put[] = { "cloudwatch:PutMetricData" };
	struct sk_iam_opts defaults = SK_IAM_OPTS_INIT;
	struct strset regions = { 0 }, res = { 0 }, names = { 0 }, via = { 0 }, names_db = { 0 };
	struct build b;
	json_t *doc = NULL;
	size_t i, k;
	bool any_stop = false, any_off = false, any_clusters = false;

	*out = NULL;
	if (!o)
		o = &defaults;
	if (!set || !set->n_policies)
		return sk_error_set(SK_ERR_POLICY, "no policies: nothing to grant");
	b.account = o->account && *o->account ? o->account : "*";
	b.rc = 0;
	if (!(b.statements = json_array()))
		return sk_error_set_oom();

	/* Observe: every region observing needs (policy, copy and replication destination regions) */
	for (i = 0; i < set->n_policies && b.rc == 0; i++) {
		const struct sk_policy *p = &set->policies[i];
		for (k = 0; k < p->n_regions && b.rc == 0; k++)
			b.rc = set_add(&regions, p->regions[k].name);
		for (k = 0; p->has_snapshots && k < p->n_copies && b.rc == 0; k++)
			b.rc = set_add(&regions, p->copies[k].region);
		if (wants_start(p) && p->replicate.region && b.rc == 0)
			b.rc = set_add(&regions, p->replicate.region);
		any_clusters |= p->clusters;
	}
	/* the policies whose snapshots this set owns: the values snapkeep:policy may have */
	for (i = 0; i < set->n_policies && b.rc == 0; i++)
		if (set->policies[i].has_snapshots)
			b.rc = set_add(&names, set->policies[i].name);
	if (b.rc == 0 && (b.rc = set_add(&res, "*")) == 0)
		add_conditional(&b, "Observe", observe, any_clusters ? 5 : 3, &res,
			      condition1("StringEquals", "aws:RequestedRegion", set_json(&regions)));
	set_free(&res);

	b.clusters = false;
	add_lifecycle_statements(&b, set, &instance_kind, &names);
	if (any_clusters) {
		b.clusters = true;
		add_lifecycle_statements(&b, set, &cluster_kind, &names);
		b.clusters = false;
	}

	for (i = 0; i < set->n_policies && b.rc == 0; i++) {
		const struct sk_policy *p = &set->policies[i];
		if (wants_start(p) && p->replicate.region)
			b.rc = add_auto_backup_arn(&res, p->replicate.region, b.account);
	}
	if (res.n)
		add_instance_statements(&b, set, "StartReplication", "StartReplicationTagged", start, 1, wants_start,
					&res);
	set_free(&res);

	/*
	 * A replication is stopped in its destination region: where a policy
	 * replicates to and, for a policy that turns replication off (its
	 * destination is not written down), every region the set names
	 */
	for (i = 0; i < set->n_policies && b.rc == 0; i++) {
		const struct sk_policy *p = &set->policies[i];
		if (!wants_stop(p))
			continue;
		any_stop = true;
		if (p->replicate_mode == SK_REPLICATE_ON && p->replicate.region)
			b.rc = add_auto_backup_arn(&res, p->replicate.region, b.account);
		else
			any_off = true;
	}
	for (i = 0; any_off && i < regions.n && b.rc == 0; i++)
		b.rc = add_auto_backup_arn(&res, regions.v[i], b.account);
	if (any_stop)
		add_instance_statements(&b, set, "StopReplication", "StopReplicationTagged", stop, 1, wants_stop, &res);
	set_free(&res);

	/*
	 * Restores (`snapkeep restore`) into a new instance, in any region that holds
	 * a policy instance's backups (its regions, copy regions, replication
	 * destinations), from the instance, an automated backup or a snapshot there;
	 * only requests that carry snapkeep:restore (ownership.h), and the tags they
	 * carry go only on instances
	 */
	for (i = 0; i < set->n_policies && b.rc == 0; i++) {
		const struct sk_policy *p = &set->policies[i];
		for (k = 0; k < p->n_regions && b.rc == 0; k++)
			b.rc = add_restore_arns(&res, &names_db, p->regions[k].name, b.account);
		for (k = 0; p->has_snapshots && k < p->n_copies && b.rc == 0; k++)
			b.rc = add_restore_arns(&res, &names_db, p->copies[k].region, b.account);
		if (wants_start(p) && p->replicate.region && b.rc == 0)
			b.rc = add_restore_arns(&res, &names_db, p->replicate.region, b.account);
	}
	add_conditional(&b, "RestoreInstances", restore, 2, &res, restore_tag_condition());
	add_conditional(&b, "TagRestoredInstances", tag, 1, &names_db, restore_tag_condition());
	set_free(&res);
	set_free(&names_db);

	/* KMS through RDS: copies and replication re-encrypt in the destination */
	for (i = 0; i < set->n_policies && b.rc == 0; i++) {
		const struct sk_policy *p = &set->policies[i];
		bool copies = p->has_snapshots && p->n_copies;
		if (!copies && !wants_start(p))
			continue;
		for (k = 0; k < p->n_regions && b.rc == 0; k++)
			b.rc = set_addf(&via, "rds.%s.%s", p->regions[k].name, rds_host_suffix(p->regions[k].name));
		for (k = 0; copies && k < p->n_copies && b.rc == 0; k++)
			b.rc = set_addf(&via, "rds.%s.%s", p->copies[k].region, rds_host_suffix(p->copies[k].region));
		if (wants_start(p) && p->replicate.region && b.rc == 0)
			b.rc = set_addf(&via, "rds.%s.%s", p->replicate.region, rds_host_suffix(p->replicate.region));
	}
	if (b.rc == 0 && via.n && (b.rc = set_add(&res, "*")) == 0)
		add_conditional(&b, "UseKmsForCopies", kms, 2, &res,
			      condition1("StringEquals", "kms:ViaService", set_json(&via)));
	set_free(&res);

	add_drill_statements(&b, set);

	for (i = 0; i < set->n_policies && b.rc == 0; i++)
		if (set->policies[i].sns_topic_arn && *set->policies[i].sns_topic_arn)
			b.rc = set_add(&res, set->policies[i].sns_topic_arn);
	add_statement(&b, "PublishAlerts", publish, 1, &res, NULL);
	set_free(&res);

	if (o->metrics && b.rc == 0 && (b.rc = set_add(&res, "*")) == 0)
		add_conditional(&b, "PutMetrics", put, 1, &res,
			      condition1("StringEquals", "cloudwatch:namespace",
					 json_string(o->namespace_ && *o->namespace_ ? o->namespace_ : "Snapkeep")));
	set_free(&res);

	if (b.rc == 0) {
		doc = json_object();
		if (!doc || json_object_set_new(doc, "Version", json_string("2012-10-17")) < 0 ||
		    json_object_set(doc, "Statement", b.statements) < 0)
			b.rc = sk_error_set_oom();
	}
	set_free(&regions);
	set_free(&names);
	set_free(&via);
	json_decref(b.statements);
	if (b.rc < 0) {
		json_decref(doc);
		return b.rc;
	}
	*out = doc;
	return 0;
}
