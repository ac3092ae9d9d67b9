/*
 * rds.c - the RDS calls snapkeep makes
 */
#include "aws/rds.h"

#include <curl/curl.h>

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "common/array.h"
#include "common/error.h"
#include "common/fields.h"
#include "common/timeutil.h"

/* reusable storage for one item's arrays and copied texts */
struct item_ctx {
	struct sk_xml_scratch scratch;
	struct sk_aws_tag *tags;
	size_t cap_tags;
	const char **strs;
	size_t cap_strs;
	char source_region[64]; /* a cluster snapshot copy's source region, from its source's ARN */
};

static void ctx_free(struct item_ctx *x)
{
	sk_xml_scratch_free(&x->scratch);
	free(x->tags);
	free(x->strs);
}

static const char *text(struct item_ctx *x, xmlNodePtr parent, const char *name)
{
	return sk_xml_child_text(parent, name, &x->scratch);
}

static int get_int(xmlNodePtr parent, const char *name, int *out)
{
	int64_t v = 0;
	int rc = sk_xml_child_int(parent, name, &v);

	if (rc == SK_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (v < INT_MIN || v > INT_MAX)
		return sk_error_set(SK_ERR_XML, "element '%s' holds %lld, out of range", name, (long long)v);
	*out = (int)v;
	return 0;
}

static int get_bool(xmlNodePtr parent, const char *name, bool *out)
{
	int rc = sk_xml_child_bool(parent, name, out);
	return rc == SK_ENOTFOUND ? 0 : rc;
}

static int get_time(xmlNodePtr parent, const char *name, int64_t *out)
{
	int rc = sk_xml_child_time(parent, name, out);
	return rc == SK_ENOTFOUND ? 0 : rc;
}

static int read_tags(struct item_ctx *x, xmlNodePtr parent, const struct sk_aws_tag **out, size_t *n_out)
{
	xmlNodePtr list = sk_xml_child(parent, "TagList"), t;
	size_t n = 0;

	for (t = sk_xml_child(list, "Tag"); t; t = sk_xml_next(t, "Tag")) {
		const char *k = text(x, t, "Key"), *v = text(x, t, "Value");
		if (!k)
			continue;
		if (SK_ARRAY_GROW(x->tags, x->cap_tags, n + 1) < 0)
			return -1;
		x->tags[n].key = k;
		x->tags[n].value = v ? v : "";
		n++;
	}
	*out = x->tags;
	*n_out = n;
	return 0;
}

/*
 * Sets obj's members from n's children the table names: a text is NULL
 * where the child is missing, a number, flag or time is left as it was.
 * 0, or the first failure's -1 with the error set.
 */
static int read_fields(struct item_ctx *x, xmlNodePtr n, void *obj, const struct sk_field *f, size_t count)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < count && rc >= 0; i++) {
		switch (f[i].type) {
		case SK_FIELD_STR:
			SK_FIELD_STR_AT(obj, &f[i]) = text(x, n, f[i].name);
			break;
		case SK_FIELD_INT:
			rc = get_int(n, f[i].name, sk_field_ptr(obj, &f[i]));
			break;
		case SK_FIELD_BOOL:
			rc = get_bool(n, f[i].name, sk_field_ptr(obj, &f[i]));
			break;
		case SK_FIELD_TIME:
			rc = get_time(n, f[i].name, sk_field_ptr(obj, &f[i]));
			break;
		}
	}
	return rc;
}

#define STR(m, name) SK_FIELD_STR(struct sk_rds_snapshot, m, name)
#define INT(m, name) SK_FIELD_INT(struct sk_rds_snapshot, m, name)
#define BOOL(m, name) SK_FIELD_BOOL(struct sk_rds_snapshot, m, name)
#define TIME(m, name) SK_FIELD_TIME(struct sk_rds_snapshot, m, name)

static const struct sk_field snapshot_texts[] = {
	STR(id, "DBSnapshotIdentifier"),
	STR(arn, "DBSnapshotArn"),
	STR(instance_id, "DBInstanceIdentifier"),
	STR(dbi_resource_id, "DbiResourceId"),
	STR(status, "Status"),
	STR(type, "SnapshotType"),
	STR(engine, "Engine"),
	STR(kms_key_id, "KmsKeyId"),
	STR(source_region, "SourceRegion"),
	STR(source_snapshot, "SourceDBSnapshotIdentifier"),
};

static const struct sk_field snapshot_values[] = {
	TIME(created, "SnapshotCreateTime"),
	TIME(original_created, "OriginalSnapshotCreateTime"),
	TIME(instance_created, "InstanceCreateTime"),
	INT(percent_progress, "PercentProgress"),
	INT(allocated_gib, "AllocatedStorage"),
	BOOL(encrypted, "Encrypted"),
};

/* a DBClusterSnapshot: the same struct, other names (a copy keeps its source's SnapshotCreateTime) */
static const struct sk_field cluster_snapshot_texts[] = {
	STR(id, "DBClusterSnapshotIdentifier"),
	STR(arn, "DBClusterSnapshotArn"),
	STR(instance_id, "DBClusterIdentifier"),
	STR(dbi_resource_id, "DbClusterResourceId"),
	STR(status, "Status"),
	STR(type, "SnapshotType"),
	STR(engine, "Engine"),
	STR(kms_key_id, "KmsKeyId"),
	STR(source_snapshot, "SourceDBClusterSnapshotArn"),
};

static const struct sk_field cluster_snapshot_values[] = {
	TIME(created, "SnapshotCreateTime"),
	TIME(instance_created, "ClusterCreateTime"),
	INT(percent_progress, "PercentProgress"),
	INT(allocated_gib, "AllocatedStorage"),
	BOOL(encrypted, "StorageEncrypted"),
};

#undef STR
#undef INT
#undef BOOL
#undef TIME

/* what tells a DBSnapshot from a DBClusterSnapshot, and a DBInstance from a DBCluster */
struct shape {
	const char *element; /* "DBSnapshot", ... */
	const char *id;      /* its identifier's element, for the error when it has none */
	const char *what;    /* "snapshot", ..., for error prefixes */
	const struct sk_field *texts, *values;
	size_t n_texts, n_values;
	bool cluster;
};

#define SHAPE(el, idel, what, t, v, cl) { el, idel, what, t, v, SK_FIELDS_N(t), SK_FIELDS_N(v), cl }

static const struct shape snapshot_shape =
	SHAPE("DBSnapshot", "DBSnapshotIdentifier", "snapshot", snapshot_texts, snapshot_values, false);
static const struct shape cluster_snapshot_shape = SHAPE("DBClusterSnapshot", "DBClusterSnapshotIdentifier",
							 "cluster snapshot", cluster_snapshot_texts,
							 cluster_snapshot_values, true);

/* a cluster snapshot copied from another region: that region, from its source's ARN */
static void cluster_copy_region(struct item_ctx *x, struct sk_rds_snapshot *s)
{
	struct sk_arn src, own;

	if (!s->source_snapshot || sk_arn_parse(&src, s->source_snapshot) < 0)
		return;
	if (s->arn && sk_arn_parse(&own, s->arn) == 0 && own.region.len == src.region.len &&
	    !memcmp(own.region.ptr, src.region.ptr, src.region.len))
		return;
	if (sk_arn_part_copy(x->source_region, sizeof(x->source_region), src.region) == 0 && x->source_region[0])
		s->source_region = x->source_region;
}

static int parse_snapshot(struct item_ctx *x, xmlNodePtr n, const struct shape *sh, struct sk_rds_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->is_cluster = sh->cluster;
	(void)read_fields(x, n, s, sh->texts, sh->n_texts);
	if (!s->id)
		return sk_error_set(SK_ERR_XML, "a %s without a %s", sh->element, sh->id);
	if (!s->status)
		s->status = "unknown";
	if (!s->type)
		s->type = "manual";
	if (read_fields(x, n, s, sh->values, sh->n_values) < 0 || read_tags(x, n, &s->tags, &s->n_tags) < 0)
		return sk_error_prefix("%s '%s'", sh->what, s->id);
	if (sh->cluster)
		cluster_copy_region(x, s);
	if (!s->original_created)
		s->original_created = s->created;
	return 0;
}

#define STR(m, name) SK_FIELD_STR(struct sk_rds_instance, m, name)
#define INT(m, name) SK_FIELD_INT(struct sk_rds_instance, m, name)
#define BOOL(m, name) SK_FIELD_BOOL(struct sk_rds_instance, m, name)
#define TIME(m, name) SK_FIELD_TIME(struct sk_rds_instance, m, name)

static const struct sk_field instance_texts[] = {
	STR(id, "DBInstanceIdentifier"),
	STR(arn, "DBInstanceArn"),
	STR(dbi_resource_id, "DbiResourceId"),
	STR(status, "DBInstanceStatus"),
	STR(engine, "Engine"),
	STR(engine_version, "EngineVersion"),
	STR(instance_class, "DBInstanceClass"),
	STR(cluster_id, "DBClusterIdentifier"),
	STR(preferred_backup_window, "PreferredBackupWindow"),
	STR(preferred_maintenance_window, "PreferredMaintenanceWindow"),
	STR(kms_key_id, "KmsKeyId"),
	STR(aws_backup_recovery_point_arn, "AwsBackupRecoveryPointArn"),
};

static const struct sk_field instance_values[] = {
	INT(backup_retention_period, "BackupRetentionPeriod"),
	BOOL(copy_tags_to_snapshot, "CopyTagsToSnapshot"),
	BOOL(deletion_protection, "DeletionProtection"),
	BOOL(storage_encrypted, "StorageEncrypted"),
	BOOL(multi_az, "MultiAZ"),
	INT(allocated_gib, "AllocatedStorage"),
	TIME(created, "InstanceCreateTime"),
	TIME(latest_restorable_time, "LatestRestorableTime"),
};

/* a DBCluster: the same struct, other names (Aurora reports AllocatedStorage 1) */
static const struct sk_field cluster_texts[] = {
	STR(id, "DBClusterIdentifier"),
	STR(arn, "DBClusterArn"),
	STR(dbi_resource_id, "DbClusterResourceId"),
	STR(status, "Status"),
	STR(engine, "Engine"),
	STR(engine_version, "EngineVersion"),
	STR(preferred_backup_window, "PreferredBackupWindow"),
	STR(preferred_maintenance_window, "PreferredMaintenanceWindow"),
	STR(kms_key_id, "KmsKeyId"),
	STR(aws_backup_recovery_point_arn, "AwsBackupRecoveryPointArn"),
	STR(endpoint_address, "Endpoint"),
};

static const struct sk_field cluster_values[] = {
	INT(backup_retention_period, "BackupRetentionPeriod"),
	BOOL(copy_tags_to_snapshot, "CopyTagsToSnapshot"),
	BOOL(deletion_protection, "DeletionProtection"),
	BOOL(storage_encrypted, "StorageEncrypted"),
	BOOL(multi_az, "MultiAZ"),
	INT(allocated_gib, "AllocatedStorage"),
	INT(endpoint_port, "Port"),
	TIME(created, "ClusterCreateTime"),
	TIME(latest_restorable_time, "LatestRestorableTime"),
};

#undef STR
#undef INT
#undef BOOL
#undef TIME

static const struct shape instance_shape =
	SHAPE("DBInstance", "DBInstanceIdentifier", "instance", instance_texts, instance_values, false);
static const struct shape cluster_shape =
	SHAPE("DBCluster", "DBClusterIdentifier", "cluster", cluster_texts, cluster_values, true);

static int parse_instance(struct item_ctx *x, xmlNodePtr n, const struct shape *sh, struct sk_rds_instance *d)
{
	xmlNodePtr pending, reps, r, endpoint;
	size_t k = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	d->is_cluster = sh->cluster;
	(void)read_fields(x, n, d, sh->texts, sh->n_texts);
	if (d->aws_backup_recovery_point_arn && !*d->aws_backup_recovery_point_arn)
		d->aws_backup_recovery_point_arn = NULL;
	if (!d->id)
		return sk_error_set(SK_ERR_XML, "a %s without a %s", sh->element, sh->id);
	if (!d->status)
		d->status = "unknown";
	if (read_fields(x, n, d, sh->values, sh->n_values) < 0)
		return sk_error_prefix("%s '%s'", sh->what, d->id);
	if (!sh->cluster) {
		/* an instance's endpoint is a structure; a cluster's, a name (its port beside it) */
		endpoint = sk_xml_child(n, "Endpoint");
		d->endpoint_address = text(x, endpoint, "Address");
		if ((rc = get_int(endpoint, "Port", &d->endpoint_port)) < 0)
			return sk_error_prefix("%s '%s'", sh->what, d->id);
	}
	pending = sk_xml_child(n, "PendingModifiedValues");
	if (sk_xml_child(pending, "BackupRetentionPeriod")) {
		d->has_pending_retention = true;
		if ((rc = get_int(pending, "BackupRetentionPeriod", &d->pending_retention)) < 0)
			return sk_error_prefix("%s '%s'", sh->what, d->id);
	}
	reps = sk_xml_child(n, "DBInstanceAutomatedBackupsReplications");
	for (r = sk_xml_child(reps, "DBInstanceAutomatedBackupsReplication"); r;
	     r = sk_xml_next(r, "DBInstanceAutomatedBackupsReplication")) {
		const char *arn = text(x, r, "DBInstanceAutomatedBackupsArn");
		if (!arn)
			continue;
		if (SK_ARRAY_GROW(x->strs, x->cap_strs, k + 1) < 0)
			return -1;
		x->strs[k++] = arn;
	}
	d->replication_arns = x->strs;
	d->n_replications = k;
	return read_tags(x, n, &d->tags, &d->n_tags);
}

#define STR(m, name) SK_FIELD_STR(struct sk_rds_automated_backup, m, name)

static const struct sk_field backup_texts[] = {
	STR(arn, "DBInstanceAutomatedBackupsArn"),
	STR(instance_id, "DBInstanceIdentifier"),
	STR(instance_arn, "DBInstanceArn"),
	STR(dbi_resource_id, "DbiResourceId"),
	STR(region, "Region"),
	STR(status, "Status"),
	STR(kms_key_id, "KmsKeyId"),
};

#undef STR

static int parse_automated_backup(struct item_ctx *x, xmlNodePtr n, struct sk_rds_automated_backup *b)
{
	xmlNodePtr w;
	int rc;

	memset(b, 0, sizeof(*b));
	(void)read_fields(x, n, b, backup_texts, SK_FIELDS_N(backup_texts));
	if (!b->status)
		b->status = "unknown";
	w = sk_xml_child(n, "RestoreWindow");
	if ((rc = get_int(n, "BackupRetentionPeriod", &b->backup_retention_period)) < 0 ||
	    (rc = get_time(w, "EarliestTime", &b->earliest)) < 0 || (rc = get_time(w, "LatestTime", &b->latest)) < 0)
		return sk_error_prefix("automated backup '%s'", b->arn ? b->arn : "?");
	return 0;
}

enum kind { K_SNAPSHOT, K_INSTANCE, K_AUTOBACKUP, K_CLUSTER_SNAPSHOT, K_CLUSTER };

struct page_ud {
	enum kind kind;
	struct item_ctx x;
	void *cb;
	void *ud;
};

static void page_init(struct page_ud *p, enum kind kind, void *cb, void *ud)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->cb = cb;
	p->ud = ud;
}

static int on_item(void *vud, xmlNodePtr node)
{
	struct page_ud *p = vud;
	int rc;

	sk_xml_scratch_reset(&p->x.scratch);
	switch (p->kind) {
	case K_SNAPSHOT:
	case K_CLUSTER_SNAPSHOT: {
		struct sk_rds_snapshot s;
		if ((rc = parse_snapshot(&p->x, node, p->kind == K_SNAPSHOT ? &snapshot_shape : &cluster_snapshot_shape,
					 &s)) < 0)
			return rc;
		return ((sk_rds_snapshot_cb)p->cb)(p->ud, &s);
	}
	case K_INSTANCE:
	case K_CLUSTER: {
		struct sk_rds_instance d;
		if ((rc = parse_instance(&p->x, node, p->kind == K_INSTANCE ? &instance_shape : &cluster_shape, &d)) < 0)
			return rc;
		return ((sk_rds_instance_cb)p->cb)(p->ud, &d);
	}
	case K_AUTOBACKUP: {
		struct sk_rds_automated_backup b;
		if ((rc = parse_automated_backup(&p->x, node, &b)) < 0)
			return rc;
		return ((sk_rds_automated_backup_cb)p->cb)(p->ud, &b);
	}
	}
	return 0;
}

/*
 * The names of one family of calls: DB instances and their snapshots, or
 * Aurora DB clusters and theirs.  Every call below is written once and
 * takes the family it speaks for.
 */
struct family {
	const char *parent_param;   /* "DBInstanceIdentifier" */
	const char *snapshot_param; /* "DBSnapshotIdentifier" */
	const char *parent_el, *parents, *describe_parents; /* "DBInstance", "DBInstances", "DescribeDBInstances" */
	const char *snapshot_el, *snapshots, *describe_snapshots;
	const char *modify, *create, *copy, *delete;
	const char *copy_source, *copy_target; /* "SourceDBSnapshotIdentifier", "TargetDBSnapshotIdentifier" */
	enum kind parent_kind, snapshot_kind;
};

static const struct family instances = {
	"DBInstanceIdentifier", "DBSnapshotIdentifier", "DBInstance", "DBInstances", "DescribeDBInstances",
	"DBSnapshot", "DBSnapshots", "DescribeDBSnapshots", "ModifyDBInstance", "CreateDBSnapshot", "CopyDBSnapshot",
	"DeleteDBSnapshot", "SourceDBSnapshotIdentifier", "TargetDBSnapshotIdentifier", K_INSTANCE, K_SNAPSHOT,
};

static const struct family clusters = {
	"DBClusterIdentifier", "DBClusterSnapshotIdentifier", "DBCluster", "DBClusters", "DescribeDBClusters",
	"DBClusterSnapshot", "DBClusterSnapshots", "DescribeDBClusterSnapshots", "ModifyDBCluster",
	"CreateDBClusterSnapshot", "CopyDBClusterSnapshot", "DeleteDBClusterSnapshot",
	"SourceDBClusterSnapshotIdentifier", "TargetDBClusterSnapshotIdentifier", K_CLUSTER, K_CLUSTER_SNAPSHOT,
};

static int add_describe_params(struct sk_query *q, const struct family *fam, const struct sk_rds_describe_opts *o)
{
	size_t i;

	if (!o)
		return 0;
	if (o->instance_id && sk_query_add(q, fam->parent_param, o->instance_id) < 0)
		return -1;
	if (o->snapshot_id && sk_query_add(q, fam->snapshot_param, o->snapshot_id) < 0)
		return -1;
	if (o->snapshot_type && sk_query_add(q, "SnapshotType", o->snapshot_type) < 0)
		return -1;
	for (i = 0; i < o->n_filters; i++)
		if (sk_query_add_filter(q, i + 1, o->filters[i].name, o->filters[i].values, o->filters[i].n_values) < 0)
			return -1;
	return 0;
}

static int describe(struct sk_aws_client *c, const char *region, const char *action, const char *list,
		    const char *item, const struct family *fam, const struct sk_rds_describe_opts *o, enum kind kind,
		    void *cb, void *ud, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	struct page_ud p;
	int rc;

	page_init(&p, kind, cb, ud);
	rc = add_describe_params(&q, fam, o);
	if (rc == 0)
		rc = sk_aws_paginate(c, "rds", region, action, &q, o && o->page_size ? o->page_size : 100, list, item,
				     on_item, &p, err);
	ctx_free(&p.x);
	sk_query_free(&q);
	return rc;
}

static int describe_parents(struct sk_aws_client *c, const char *region, const struct family *fam,
			    const struct sk_rds_describe_opts *o, sk_rds_instance_cb cb, void *ud,
			    struct sk_aws_error *err)
{
	return describe(c, region, fam->describe_parents, fam->parents, fam->parent_el, fam, o, fam->parent_kind,
			(void *)cb, ud, err);
}

static int describe_snapshots(struct sk_aws_client *c, const char *region, const struct family *fam,
			      const struct sk_rds_describe_opts *o, sk_rds_snapshot_cb cb, void *ud,
			      struct sk_aws_error *err)
{
	return describe(c, region, fam->describe_snapshots, fam->snapshots, fam->snapshot_el, fam, o,
			fam->snapshot_kind, (void *)cb, ud, err);
}

int sk_rds_describe_db_instances(struct sk_aws_client *c, const char *region, const struct sk_rds_describe_opts *o,
				 sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err)
{
	return describe_parents(c, region, &instances, o, cb, ud, err);
}

int sk_rds_describe_db_snapshots(struct sk_aws_client *c, const char *region, const struct sk_rds_describe_opts *o,
				 sk_rds_snapshot_cb cb, void *ud, struct sk_aws_error *err)
{
	return describe_snapshots(c, region, &instances, o, cb, ud, err);
}

int sk_rds_describe_db_clusters(struct sk_aws_client *c, const char *region, const struct sk_rds_describe_opts *o,
				sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err)
{
	return describe_parents(c, region, &clusters, o, cb, ud, err);
}

int sk_rds_describe_db_cluster_snapshots(struct sk_aws_client *c, const char *region,
					 const struct sk_rds_describe_opts *o, sk_rds_snapshot_cb cb, void *ud,
					 struct sk_aws_error *err)
{
	return describe_snapshots(c, region, &clusters, o, cb, ud, err);
}

int sk_rds_describe_db_instance_automated_backups(struct sk_aws_client *c, const char *region,
						  const struct sk_rds_describe_opts *o,
						  sk_rds_automated_backup_cb cb, void *ud, struct sk_aws_error *err)
{
	return describe(c, region, "DescribeDBInstanceAutomatedBackups", "DBInstanceAutomatedBackups",
			"DBInstanceAutomatedBackup", &instances, o, K_AUTOBACKUP, (void *)cb, ud, err);
}

/* calls action and hands the one item under <Result>/<element> to cb */
static int call_one(struct sk_aws_client *c, const char *region, const char *action, const struct sk_query *q,
		    const char *element, enum kind kind, void *cb, void *ud, struct sk_aws_error *err)
{
	struct sk_aws_response resp = SK_AWS_RESPONSE_INIT;
	struct page_ud p;
	xmlNodePtr n;
	int rc;

	rc = sk_aws_call(c, "rds", region, action, q, &resp, err);
	if (rc != 0)
		return rc;
	page_init(&p, kind, cb, ud);
	n = element ? sk_xml_child(resp.result, element) : NULL;
	if (cb && n)
		rc = on_item(&p, n);
	ctx_free(&p.x);
	sk_aws_response_free(&resp);
	return rc;
}

/*
 * call_one() with the parameters in q, unless building them failed (the
 * error then set), and frees q either way
 */
static int call_built(struct sk_aws_client *c, const char *region, const char *action, struct sk_query *q,
		      bool failed, const char *element, enum kind kind, void *cb, void *ud, struct sk_aws_error *err)
{
	int rc = failed ? -1 : call_one(c, region, action, q, element, kind, cb, ud, err);

	sk_query_free(q);
	return rc;
}

/*
 * Retry safety: ModifyDBInstance and ModifyDBCluster set absolute values,
 * so sending one twice leaves the instance or cluster as sending it once.
 */
static int modify(struct sk_aws_client *c, const char *region, const struct family *fam,
		  const struct sk_rds_modify *m, sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed =
		sk_query_add(&q, fam->parent_param, m->instance_id) < 0 ||
		(m->backup_retention_period >= 0 &&
		 sk_query_add_int(&q, "BackupRetentionPeriod", m->backup_retention_period) < 0) ||
		(m->preferred_backup_window &&
		 sk_query_add(&q, "PreferredBackupWindow", m->preferred_backup_window) < 0) ||
		(m->copy_tags_to_snapshot >= 0 &&
		 sk_query_add_bool(&q, "CopyTagsToSnapshot", m->copy_tags_to_snapshot) < 0) ||
		(m->deletion_protection >= 0 &&
		 sk_query_add_bool(&q, "DeletionProtection", m->deletion_protection) < 0) ||
		sk_query_add_bool(&q, "ApplyImmediately", m->apply_immediately) < 0;

	return call_built(c, region, fam->modify, &q, failed, fam->parent_el, fam->parent_kind, (void *)cb, ud, err);
}

int sk_rds_modify_db_instance(struct sk_aws_client *c, const char *region, const struct sk_rds_modify *m,
			      sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err)
{
	return modify(c, region, &instances, m, cb, ud, err);
}

int sk_rds_modify_db_cluster(struct sk_aws_client *c, const char *region, const struct sk_rds_modify *m,
			     sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err)
{
	return modify(c, region, &clusters, m, cb, ud, err);
}

/*
 * Retry safety: snapkeep's snapshot identifiers are deterministic (instance
 * and schedule slot), so a retry after a lost answer gets
 * DBSnapshotAlreadyExists (DBClusterSnapshotAlreadyExistsFault), which the
 * caller counts as done when the existing snapshot carries its tags.
 */
static int create(struct sk_aws_client *c, const char *region, const struct family *fam, const char *snapshot_id,
		  const char *parent_id, const struct sk_aws_tag *tags, size_t n_tags, sk_rds_snapshot_cb cb, void *ud,
		  struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, fam->snapshot_param, snapshot_id) < 0 ||
		      sk_query_add(&q, fam->parent_param, parent_id) < 0 ||
		      sk_query_add_tags(&q, "Tags", "Tag", tags, n_tags) < 0;

	return call_built(c, region, fam->create, &q, failed, fam->snapshot_el, fam->snapshot_kind, (void *)cb, ud,
			  err);
}

int sk_rds_create_db_snapshot(struct sk_aws_client *c, const char *region, const char *snapshot_id,
			      const char *instance_id, const struct sk_aws_tag *tags, size_t n_tags,
			      sk_rds_snapshot_cb cb, void *ud, struct sk_aws_error *err)
{
	return create(c, region, &instances, snapshot_id, instance_id, tags, n_tags, cb, ud, err);
}

int sk_rds_create_db_cluster_snapshot(struct sk_aws_client *c, const char *region, const char *snapshot_id,
				      const char *cluster_id, const struct sk_aws_tag *tags, size_t n_tags,
				      sk_rds_snapshot_cb cb, void *ud, struct sk_aws_error *err)
{
	return create(c, region, &clusters, snapshot_id, cluster_id, tags, n_tags, cb, ud, err);
}

int sk_rds_presigned_url(struct sk_aws_client *c, struct sk_buf *out, const char *source_region,
			 const char *dest_region, const char *action, const struct sk_query *params)
{
	struct sk_query q = SK_QUERY_INIT;
	struct sk_buf endpoint = SK_BUF_INIT, query = SK_BUF_INIT;
	struct sk_credentials creds = SK_CREDENTIALS_INIT;
	struct sk_sigv4_result sig;
	struct sk_sigv4_params sp = SK_SIGV4_PARAMS_INIT;
	struct sk_sigv4_header host;
	struct sk_sigv4_request req;
	struct sk_buf hostval = SK_BUF_INIT;
	size_t i;
	int rc = -1, r;

	sk_sigv4_result_init(&sig);
	sk_buf_reset(out);
	if (sk_query_add(&q, "Action", action) < 0 || sk_query_add(&q, "Version", sk_aws_service_version("rds")) < 0)
		goto done;
	for (i = 0; params && i < params->n; i++)
		if (strcmp(params->items[i].name, "PreSignedUrl") &&
		    sk_query_add(&q, params->items[i].name, params->items[i].value) < 0)
			goto done;
	if (sk_query_add(&q, "DestinationRegion", dest_region) < 0 || sk_query_encode(&q, &query) < 0)
		goto done;
	if (sk_aws_config_endpoint(sk_aws_client_config(c), "rds", source_region, &endpoint) < 0)
		goto done;
	r = sk_aws_url_host(&hostval, NULL, endpoint.ptr);
	if (r == SK_ENOTFOUND)
		sk_error_set(SK_ERR_CONFIG, "endpoint '%s' is not a URL", endpoint.ptr);
	if (r < 0)
		goto done;
	if (!sk_aws_client_credentials(c)) {
		sk_error_set(SK_ERR_CREDENTIALS, "no credentials to presign %s", action);
		goto done;
	}
	if (sk_credentials_provider_get(sk_aws_client_credentials(c), &creds) < 0)
		goto done;
	host.name = "Host";
	host.value = hostval.ptr;
	req.method = "GET";
	req.path = "/";
	req.query = query.ptr;
	req.headers = &host;
	req.n_headers = 1;
	req.payload = "";
	req.payload_len = 0;
	sp.region = source_region;
	sp.service = "rds";
	sp.time = sk_time_now();
	sp.creds = &creds;
	sp.expires = 3600;
	if (sk_sigv4_presign_query(&sig, &req, &sp) < 0)
		goto done;
	/* the endpoint without a trailing slash, then "/?" and the signed query */
	while (endpoint.len && endpoint.ptr[endpoint.len - 1] == '/')
		sk_buf_truncate(&endpoint, endpoint.len - 1);
	if (sk_buf_printf(out, "%s/?%s", endpoint.ptr, sig.query.ptr) < 0)
		goto done;
	rc = 0;
done:
	sk_sigv4_result_free(&sig);
	sk_credentials_clear(&creds);
	sk_buf_free(&hostval);
	sk_buf_free(&endpoint);
	sk_buf_free(&query);
	sk_query_free(&q);
	return rc;
}

/*
 * Retry safety: the target identifier is deterministic, so a retry after a
 * lost answer gets DBSnapshotAlreadyExists (DBClusterSnapshotAlreadyExistsFault),
 * which the caller counts as done for a copy carrying its tags.
 */
static int copy_snapshot(struct sk_aws_client *c, const char *dest_region, const struct family *fam,
			 const struct sk_rds_copy *copy, sk_rds_snapshot_cb cb, void *ud, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT, pre = SK_QUERY_INIT;
	struct sk_buf url = SK_BUF_INIT;
	bool failed;
	int rc;

	failed = sk_query_add(&q, fam->copy_source, copy->source_arn) < 0 ||
		 sk_query_add(&q, fam->copy_target, copy->target_id) < 0 ||
		 (copy->kms_key_id && sk_query_add(&q, "KmsKeyId", copy->kms_key_id) < 0) ||
		 (copy->copy_tags && sk_query_add_bool(&q, "CopyTags", true) < 0) ||
		 sk_query_add_tags(&q, "Tags", "Tag", copy->tags, copy->n_tags) < 0;
	if (!failed && copy->source_region && strcmp(copy->source_region, dest_region)) {
		/* the presigned request carries the copy's identifying parameters, as the SDKs send */
		failed = sk_query_add(&pre, fam->copy_source, copy->source_arn) < 0 ||
			 sk_query_add(&pre, fam->copy_target, copy->target_id) < 0 ||
			 (copy->kms_key_id && sk_query_add(&pre, "KmsKeyId", copy->kms_key_id) < 0) ||
			 sk_rds_presigned_url(c, &url, copy->source_region, dest_region, fam->copy, &pre) < 0 ||
			 sk_query_add(&q, "PreSignedUrl", url.ptr) < 0;
	}
	rc = call_built(c, dest_region, fam->copy, &q, failed, fam->snapshot_el, fam->snapshot_kind, (void *)cb, ud,
			err);
	sk_buf_cleanse_free(&url); /* holds a signature */
	sk_query_free(&pre);
	return rc;
}

int sk_rds_copy_db_snapshot(struct sk_aws_client *c, const char *dest_region, const struct sk_rds_copy *copy,
			    sk_rds_snapshot_cb cb, void *ud, struct sk_aws_error *err)
{
	return copy_snapshot(c, dest_region, &instances, copy, cb, ud, err);
}

int sk_rds_copy_db_cluster_snapshot(struct sk_aws_client *c, const char *dest_region, const struct sk_rds_copy *copy,
				    sk_rds_snapshot_cb cb, void *ud, struct sk_aws_error *err)
{
	return copy_snapshot(c, dest_region, &clusters, copy, cb, ud, err);
}

/*
 * Retry safety: deleting twice gets DBSnapshotNotFound
 * (DBClusterSnapshotNotFoundFault) the second time, which the caller counts
 * as done.
 */
static int delete_snapshot(struct sk_aws_client *c, const char *region, const struct family *fam,
			   const char *snapshot_id, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, fam->snapshot_param, snapshot_id) < 0;

	return call_built(c, region, fam->delete, &q, failed, NULL, fam->snapshot_kind, NULL, NULL, err);
}

int sk_rds_delete_db_snapshot(struct sk_aws_client *c, const char *region, const char *snapshot_id,
			      struct sk_aws_error *err)
{
	return delete_snapshot(c, region, &instances, snapshot_id, err);
}

int sk_rds_delete_db_cluster_snapshot(struct sk_aws_client *c, const char *region, const char *snapshot_id,
				      struct sk_aws_error *err)
{
	return delete_snapshot(c, region, &clusters, snapshot_id, err);
}

/* Retry safety: setting a tag to a value is idempotent. */
int sk_rds_add_tags(struct sk_aws_client *c, const char *region, const char *arn, const struct sk_aws_tag *tags,
		    size_t n_tags, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, "ResourceName", arn) < 0 ||
		      sk_query_add_tags(&q, "Tags", "Tag", tags, n_tags) < 0;

	return call_built(c, region, "AddTagsToResource", &q, failed, NULL, K_SNAPSHOT, NULL, NULL, err);
}

/* Retry safety: removing an absent tag is not an error. */
int sk_rds_remove_tags(struct sk_aws_client *c, const char *region, const char *arn, const char *const *keys,
		       size_t n_keys, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, "ResourceName", arn) < 0 ||
		      sk_query_add_list(&q, "TagKeys", "member", keys, n_keys) < 0;

	return call_built(c, region, "RemoveTagsFromResource", &q, failed, NULL, K_SNAPSHOT, NULL, NULL, err);
}

/*
 * Retry safety: a second start for the same source changes nothing; RDS
 * answers it with InvalidDBInstanceState (its API documents no "already
 * exists" code), so the caller checks the destination's automated backups
 * and counts a live replication as done.
 */
int sk_rds_start_automated_backups_replication(struct sk_aws_client *c, const char *dest_region,
					       const struct sk_rds_replication *r, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	struct sk_buf url = SK_BUF_INIT;
	bool failed;
	int rc;

	failed = sk_query_add(&q, "SourceDBInstanceArn", r->source_instance_arn) < 0 ||
		 (r->backup_retention_period > 0 &&
		  sk_query_add_int(&q, "BackupRetentionPeriod", r->backup_retention_period) < 0) ||
		 (r->kms_key_id && sk_query_add(&q, "KmsKeyId", r->kms_key_id) < 0);
	if (!failed && r->source_region && strcmp(r->source_region, dest_region))
		failed = sk_rds_presigned_url(c, &url, r->source_region, dest_region,
					      "StartDBInstanceAutomatedBackupsReplication", &q) < 0 ||
			 sk_query_add(&q, "PreSignedUrl", url.ptr) < 0;
	rc = call_built(c, dest_region, "StartDBInstanceAutomatedBackupsReplication", &q, failed, NULL, K_AUTOBACKUP,
			NULL, NULL, err);
	sk_buf_cleanse_free(&url);
	return rc;
}

/*
 * Retry safety: stopping a stopped replication changes nothing; RDS answers
 * InvalidDBInstanceState (or not-found), and the caller counts it as done
 * once the destination's automated backups show no live replication.
 */
int sk_rds_stop_automated_backups_replication(struct sk_aws_client *c, const char *dest_region,
					      const char *source_instance_arn, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, "SourceDBInstanceArn", source_instance_arn) < 0;

	return call_built(c, dest_region, "StopDBInstanceAutomatedBackupsReplication", &q, failed, NULL, K_AUTOBACKUP,
			  NULL, NULL, err);
}

/* Retry safety: the new instance's identifier is the caller's; a retry gets DBInstanceAlreadyExists. */
int sk_rds_restore_from_snapshot(struct sk_aws_client *c, const char *region, const struct sk_rds_restore *r,
				 sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, "DBInstanceIdentifier", r->instance_id) < 0 ||
		      sk_query_add(&q, "DBSnapshotIdentifier", r->snapshot_id) < 0 ||
		      (r->instance_class && sk_query_add(&q, "DBInstanceClass", r->instance_class) < 0) ||
		      sk_query_add_tags(&q, "Tags", "Tag", r->tags, r->n_tags) < 0;

	return call_built(c, region, "RestoreDBInstanceFromDBSnapshot", &q, failed, "DBInstance", K_INSTANCE,
			  (void *)cb, ud, err);
}

/* Retry safety: as restore from snapshot, the target identifier is the caller's. */
int sk_rds_restore_to_point_in_time(struct sk_aws_client *c, const char *region, const struct sk_rds_restore *r,
				    sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	char ts[SK_TIME_RFC3339_MAX];
	bool failed;

	if (r->restore_time)
		sk_time_format_rfc3339(ts, r->restore_time);
	failed = (r->source_automated_backup_arn
			  ? sk_query_add(&q, "SourceDBInstanceAutomatedBackupsArn", r->source_automated_backup_arn) < 0
			  : sk_query_add(&q, "SourceDBInstanceIdentifier", r->source_instance) < 0) ||
		 sk_query_add(&q, "TargetDBInstanceIdentifier", r->instance_id) < 0 ||
		 (r->instance_class && sk_query_add(&q, "DBInstanceClass", r->instance_class) < 0) ||
		 (r->restore_time ? sk_query_add(&q, "RestoreTime", ts) < 0
				  : sk_query_add_bool(&q, "UseLatestRestorableTime", true) < 0) ||
		 sk_query_add_tags(&q, "Tags", "Tag", r->tags, r->n_tags) < 0;
	return call_built(c, region, "RestoreDBInstanceToPointInTime", &q, failed, "DBInstance", K_INSTANCE,
			  (void *)cb, ud, err);
}

/* Retry safety: a second delete answers DBInstanceNotFound or InvalidDBInstanceState (deleting). */
int sk_rds_delete_db_instance(struct sk_aws_client *c, const char *region, const char *instance_id,
			      bool skip_final_snapshot, const char *final_snapshot_id, bool delete_automated_backups,
			      struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, "DBInstanceIdentifier", instance_id) < 0 ||
		      sk_query_add_bool(&q, "SkipFinalSnapshot", skip_final_snapshot) < 0 ||
		      (final_snapshot_id && sk_query_add(&q, "FinalDBSnapshotIdentifier", final_snapshot_id) < 0) ||
		      sk_query_add_bool(&q, "DeleteAutomatedBackups", delete_automated_backups) < 0;

	return call_built(c, region, "DeleteDBInstance", &q, failed, NULL, K_INSTANCE, NULL, NULL, err);
}

bool sk_rds_valid_snapshot_id(const char *id)
{
	size_t n = strlen(id), i;

	if (n < 1 || n > 255 || !isalpha((unsigned char)id[0]) || id[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)id[i];
		if (!(isalnum(ch) || ch == '-'))
			return false;
		if (ch == '-' && i + 1 < n && id[i + 1] == '-')
			return false;
	}
	return true;
}

/* every element named name, anywhere below node, in document order */
static int walk(xmlNodePtr node, const char *name, struct page_ud *p)
{
	xmlNodePtr n;
	int rc;

	for (n = node; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (sk_xml_is(n, name)) {
			if ((rc = on_item(p, n)) != 0)
				return rc;
		} else if ((rc = walk(n->children, name, p)) != 0) {
			return rc;
		}
	}
	return 0;
}

static int parse_doc(const char *xml, size_t len, const char *name, enum kind kind, void *cb, void *ud)
{
	xmlDocPtr doc;
	struct page_ud p;
	int rc;

	if (sk_xml_parse(&doc, xml, len, "RDS answer") < 0)
		return -1;
	page_init(&p, kind, cb, ud);
	rc = walk(xmlDocGetRootElement(doc), name, &p);
	ctx_free(&p.x);
	sk_xml_free(doc);
	return rc;
}

int sk_rds_parse_snapshot_xml(const char *xml, size_t len, sk_rds_snapshot_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBSnapshot", K_SNAPSHOT, (void *)cb, ud);
}

int sk_rds_parse_instances_xml(const char *xml, size_t len, sk_rds_instance_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBInstance", K_INSTANCE, (void *)cb, ud);
}

int sk_rds_parse_clusters_xml(const char *xml, size_t len, sk_rds_instance_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBCluster", K_CLUSTER, (void *)cb, ud);
}

int sk_rds_parse_cluster_snapshots_xml(const char *xml, size_t len, sk_rds_snapshot_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBClusterSnapshot", K_CLUSTER_SNAPSHOT, (void *)cb, ud);
}

int sk_rds_parse_automated_backups_xml(const char *xml, size_t len, sk_rds_automated_backup_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBInstanceAutomatedBackup", K_AUTOBACKUP, (void *)cb, ud);
}
