/*
 * rds_xml.c - reading RDS's answers: DBInstance, DBCluster, DBSnapshot,
 * DBClusterSnapshot and DBInstanceAutomatedBackup elements
 */
#include "aws/rds_xml.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "common/array.h"
#include "common/error.h"
#include "common/fields.h"

static const char *text(struct sk_rds_item_ctx *x, xmlNodePtr parent, const char *name)
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

static int read_tags(struct sk_rds_item_ctx *x, xmlNodePtr parent, const struct sk_aws_tag **out, size_t *n_out)
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
static int read_fields(struct sk_rds_item_ctx *x, xmlNodePtr n, void *obj, const struct sk_field *f, size_t count)
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
static void cluster_copy_region(struct sk_rds_item_ctx *x, struct sk_rds_snapshot *s)
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

static int parse_snapshot(struct sk_rds_item_ctx *x, xmlNodePtr n, const struct shape *sh, struct sk_rds_snapshot *s)
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

/* what a DBInstance and a DBCluster name alike: engine, backup settings, storage */
static const struct sk_field db_texts[] = {
	STR(engine, "Engine"),
	STR(engine_version, "EngineVersion"),
	STR(preferred_backup_window, "PreferredBackupWindow"),
	STR(preferred_maintenance_window, "PreferredMaintenanceWindow"),
	STR(kms_key_id, "KmsKeyId"),
	STR(aws_backup_recovery_point_arn, "AwsBackupRecoveryPointArn"),
};

/* read before the shape's values */
static const struct sk_field db_values[] = {
	INT(backup_retention_period, "BackupRetentionPeriod"),
	BOOL(copy_tags_to_snapshot, "CopyTagsToSnapshot"),
	BOOL(deletion_protection, "DeletionProtection"),
	BOOL(storage_encrypted, "StorageEncrypted"),
	BOOL(multi_az, "MultiAZ"),
	INT(allocated_gib, "AllocatedStorage"),
};

static const struct sk_field instance_texts[] = {
	STR(id, "DBInstanceIdentifier"),
	STR(arn, "DBInstanceArn"),
	STR(dbi_resource_id, "DbiResourceId"),
	STR(status, "DBInstanceStatus"),
	STR(instance_class, "DBInstanceClass"),
	STR(cluster_id, "DBClusterIdentifier"),
};

static const struct sk_field instance_values[] = {
	TIME(created, "InstanceCreateTime"),
	TIME(latest_restorable_time, "LatestRestorableTime"),
};

/* a DBCluster: the same struct, other names (Aurora reports AllocatedStorage 1) */
static const struct sk_field cluster_texts[] = {
	STR(id, "DBClusterIdentifier"),
	STR(arn, "DBClusterArn"),
	STR(dbi_resource_id, "DbClusterResourceId"),
	STR(status, "Status"),
	STR(endpoint_address, "Endpoint"),
};

static const struct sk_field cluster_values[] = {
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

static int parse_instance(struct sk_rds_item_ctx *x, xmlNodePtr n, const struct shape *sh, struct sk_rds_instance *d)
{
	xmlNodePtr pending, reps, r, endpoint;
	size_t k = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	d->is_cluster = sh->cluster;
	(void)read_fields(x, n, d, db_texts, SK_FIELDS_N(db_texts));
	(void)read_fields(x, n, d, sh->texts, sh->n_texts);
	if (d->aws_backup_recovery_point_arn && !*d->aws_backup_recovery_point_arn)
		d->aws_backup_recovery_point_arn = NULL;
	if (!d->id)
		return sk_error_set(SK_ERR_XML, "a %s without a %s", sh->element, sh->id);
	if (!d->status)
		d->status = "unknown";
	if (read_fields(x, n, d, db_values, SK_FIELDS_N(db_values)) < 0 ||
	    read_fields(x, n, d, sh->values, sh->n_values) < 0)
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

static int parse_automated_backup(struct sk_rds_item_ctx *x, xmlNodePtr n, struct sk_rds_automated_backup *b)
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

void sk_rds_reader_init(struct sk_rds_reader *p, enum sk_rds_kind kind, void *cb, void *ud)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->cb = cb;
	p->ud = ud;
}

/* the element each kind reads, but automated backups (one shape only) */
static const struct shape *const shapes[] = {
	[SK_RDS_SNAPSHOT] = &snapshot_shape,
	[SK_RDS_INSTANCE] = &instance_shape,
	[SK_RDS_CLUSTER_SNAPSHOT] = &cluster_snapshot_shape,
	[SK_RDS_CLUSTER] = &cluster_shape,
};

int sk_rds_reader_item(void *vud, xmlNodePtr node)
{
	struct sk_rds_reader *p = vud;
	union {
		struct sk_rds_snapshot s;
		struct sk_rds_instance d;
		struct sk_rds_automated_backup b;
	} it;
	int rc = 0;

	sk_xml_scratch_reset(&p->x.scratch);
	switch (p->kind) {
	case SK_RDS_SNAPSHOT:
	case SK_RDS_CLUSTER_SNAPSHOT:
		if ((rc = parse_snapshot(&p->x, node, shapes[p->kind], &it.s)) == 0)
			rc = ((sk_rds_snapshot_cb)p->cb)(p->ud, &it.s);
		break;
	case SK_RDS_INSTANCE:
	case SK_RDS_CLUSTER:
		if ((rc = parse_instance(&p->x, node, shapes[p->kind], &it.d)) == 0)
			rc = ((sk_rds_instance_cb)p->cb)(p->ud, &it.d);
		break;
	case SK_RDS_AUTOBACKUP:
		if ((rc = parse_automated_backup(&p->x, node, &it.b)) == 0)
			rc = ((sk_rds_automated_backup_cb)p->cb)(p->ud, &it.b);
		break;
	}
	return rc;
}

void sk_rds_reader_free(struct sk_rds_reader *p)
{
	sk_xml_scratch_free(&p->x.scratch);
	free(p->x.tags);
	free(p->x.strs);
}

/* every element named name, anywhere below node, in document order */
static int walk(xmlNodePtr node, const char *name, struct sk_rds_reader *p)
{
	xmlNodePtr n;
	int rc;

	for (n = node; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (sk_xml_is(n, name)) {
			if ((rc = sk_rds_reader_item(p, n)) != 0)
				return rc;
		} else if ((rc = walk(n->children, name, p)) != 0) {
			return rc;
		}
	}
	return 0;
}

static int parse_doc(const char *xml, size_t len, const char *name, enum sk_rds_kind kind, void *cb, void *ud)
{
	xmlDocPtr doc;
	struct sk_rds_reader p;
	int rc;

	if (sk_xml_parse(&doc, xml, len, "RDS answer") < 0)
		return -1;
	sk_rds_reader_init(&p, kind, cb, ud);
	rc = walk(xmlDocGetRootElement(doc), name, &p);
	sk_rds_reader_free(&p);
	sk_xml_free(doc);
	return rc;
}

int sk_rds_parse_snapshot_xml(const char *xml, size_t len, sk_rds_snapshot_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBSnapshot", SK_RDS_SNAPSHOT, (void *)cb, ud);
}

int sk_rds_parse_instances_xml(const char *xml, size_t len, sk_rds_instance_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBInstance", SK_RDS_INSTANCE, (void *)cb, ud);
}

int sk_rds_parse_clusters_xml(const char *xml, size_t len, sk_rds_instance_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBCluster", SK_RDS_CLUSTER, (void *)cb, ud);
}

int sk_rds_parse_cluster_snapshots_xml(const char *xml, size_t len, sk_rds_snapshot_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBClusterSnapshot", SK_RDS_CLUSTER_SNAPSHOT, (void *)cb, ud);
}

int sk_rds_parse_automated_backups_xml(const char *xml, size_t len, sk_rds_automated_backup_cb cb, void *ud)
{
	return parse_doc(xml, len, "DBInstanceAutomatedBackup", SK_RDS_AUTOBACKUP, (void *)cb, ud);
}
