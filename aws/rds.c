/*
 * rds.c - the RDS calls snapkeep makes (rds_xml.c reads their answers)
 */
#include "aws/rds.h"

#include <ctype.h>
#include <string.h>

#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/rds_xml.h"
#include "aws/sigv4.h"
#include "common/timeutil.h"

/* a kind of item: the describe call that lists it, its list's and its own element */
struct listing {
	const char *describe; /* "DescribeDBInstances" */
	const char *list;     /* "DBInstances" */
	const char *item;     /* "DBInstance": also what a call that returns one answers */
	enum sk_rds_kind kind;
};

/*
 * The names of one family of calls: DB instances and their snapshots, or
 * Aurora DB clusters and theirs.  Every call below is written once and
 * speaks for families[cluster].
 */
struct family {
	const char *db_param;       /* "DBInstanceIdentifier" */
	const char *snapshot_param; /* "DBSnapshotIdentifier" */
	struct listing dbs, snapshots;
	const char *modify, *create, *copy, *delete;
	const char *copy_source, *copy_target; /* "SourceDBSnapshotIdentifier", "TargetDBSnapshotIdentifier" */
};

/* [false]: DB instances, [true]: Aurora DB clusters */
static const struct family families[2] = {
	[false] = { .db_param = "DBInstanceIdentifier",
		    .snapshot_param = "DBSnapshotIdentifier",
		    .dbs = { "DescribeDBInstances", "DBInstances", "DBInstance", SK_RDS_INSTANCE },
		    .snapshots = { "DescribeDBSnapshots", "DBSnapshots", "DBSnapshot", SK_RDS_SNAPSHOT },
		    .modify = "ModifyDBInstance",
		    .create = "CreateDBSnapshot",
		    .copy = "CopyDBSnapshot",
		    .delete = "DeleteDBSnapshot",
		    .copy_source = "SourceDBSnapshotIdentifier",
		    .copy_target = "TargetDBSnapshotIdentifier" },
	[true] = { .db_param = "DBClusterIdentifier",
		   .snapshot_param = "DBClusterSnapshotIdentifier",
		   .dbs = { "DescribeDBClusters", "DBClusters", "DBCluster", SK_RDS_CLUSTER },
		   .snapshots = { "DescribeDBClusterSnapshots", "DBClusterSnapshots", "DBClusterSnapshot",
				  SK_RDS_CLUSTER_SNAPSHOT },
		   .modify = "ModifyDBCluster",
		   .create = "CreateDBClusterSnapshot",
		   .copy = "CopyDBClusterSnapshot",
		   .delete = "DeleteDBClusterSnapshot",
		   .copy_source = "SourceDBClusterSnapshotIdentifier",
		   .copy_target = "TargetDBClusterSnapshotIdentifier" },
};

static const struct listing automated_backups = { "DescribeDBInstanceAutomatedBackups", "DBInstanceAutomatedBackups",
						  "DBInstanceAutomatedBackup", SK_RDS_AUTOBACKUP };

static int add_describe_params(struct sk_query *q, const struct family *fam, const struct sk_rds_describe_opts *o)
{
	size_t i;

	if (!o)
		return 0;
	if (o->instance_id && sk_query_add(q, fam->db_param, o->instance_id) < 0)
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

/* every item l lists, through the family's parameters for o */
static int describe(struct sk_aws_client *c, const char *region, const struct family *fam, const struct listing *l,
		    const struct sk_rds_describe_opts *o, void *cb, void *ud, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	struct sk_rds_reader p;
	int rc;

	sk_rds_reader_init(&p, l->kind, cb, ud);
	rc = add_describe_params(&q, fam, o);
	if (rc == 0)
		rc = sk_aws_paginate(c, "rds", region, l->describe, &q, o && o->page_size ? o->page_size : 100, l->list,
				     l->item, sk_rds_reader_item, &p, err);
	sk_rds_reader_free(&p);
	sk_query_free(&q);
	return rc;
}

int sk_rds_describe_dbs(struct sk_aws_client *c, const char *region, bool cluster,
			const struct sk_rds_describe_opts *o, sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err)
{
	return describe(c, region, &families[cluster], &families[cluster].dbs, o, (void *)cb, ud, err);
}

int sk_rds_describe_snapshots(struct sk_aws_client *c, const char *region, bool cluster,
			      const struct sk_rds_describe_opts *o, sk_rds_snapshot_cb cb, void *ud,
			      struct sk_aws_error *err)
{
	return describe(c, region, &families[cluster], &families[cluster].snapshots, o, (void *)cb, ud, err);
}

int sk_rds_describe_db_instance_automated_backups(struct sk_aws_client *c, const char *region,
						  const struct sk_rds_describe_opts *o,
						  sk_rds_automated_backup_cb cb, void *ud, struct sk_aws_error *err)
{
	return describe(c, region, &families[false], &automated_backups, o, (void *)cb, ud, err);
}

/* calls action and hands the one item under <Result>/<answer->item> to cb (answer NULL: reads none) */
static int call_one(struct sk_aws_client *c, const char *region, const char *action, const struct sk_query *q,
		    const struct listing *answer, void *cb, void *ud, struct sk_aws_error *err)
{
	struct sk_aws_response resp = SK_AWS_RESPONSE_INIT;
	struct sk_rds_reader p;
	xmlNodePtr n;
	int rc;

	rc = sk_aws_call(c, "rds", region, action, q, &resp, err);
	if (rc != 0)
		return rc;
	n = answer && cb ? sk_xml_child(resp.result, answer->item) : NULL;
	if (n) {
		sk_rds_reader_init(&p, answer->kind, cb, ud);
		rc = sk_rds_reader_item(&p, n);
		sk_rds_reader_free(&p);
	}
	sk_aws_response_free(&resp);
	return rc;
}

/*
 * call_one() with the parameters in q, unless building them failed (the
 * error then set), and frees q either way
 */
static int call_built(struct sk_aws_client *c, const char *region, const char *action, struct sk_query *q,
		      bool failed, const struct listing *answer, void *cb, void *ud, struct sk_aws_error *err)
{
	int rc = failed ? -1 : call_one(c, region, action, q, answer, cb, ud, err);

	sk_query_free(q);
	return rc;
}

/*
 * Retry safety: ModifyDBInstance and ModifyDBCluster set absolute values,
 * so sending one twice leaves the instance or cluster as sending it once.
 */
int sk_rds_modify_db(struct sk_aws_client *c, const char *region, bool cluster, const struct sk_rds_modify *m,
		     sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err)
{
	const struct family *fam = &families[cluster];
	struct sk_query q = SK_QUERY_INIT;
	bool failed =
		sk_query_add(&q, fam->db_param, m->instance_id) < 0 ||
		(m->backup_retention_period >= 0 &&
		 sk_query_add_int(&q, "BackupRetentionPeriod", m->backup_retention_period) < 0) ||
		(m->preferred_backup_window &&
		 sk_query_add(&q, "PreferredBackupWindow", m->preferred_backup_window) < 0) ||
		(m->copy_tags_to_snapshot >= 0 &&
		 sk_query_add_bool(&q, "CopyTagsToSnapshot", m->copy_tags_to_snapshot) < 0) ||
		(m->deletion_protection >= 0 &&
		 sk_query_add_bool(&q, "DeletionProtection", m->deletion_protection) < 0) ||
		sk_query_add_bool(&q, "ApplyImmediately", m->apply_immediately) < 0;

	return call_built(c, region, fam->modify, &q, failed, &fam->dbs, (void *)cb, ud, err);
}

/*
 * Retry safety: snapkeep's snapshot identifiers are deterministic (instance
 * and schedule slot), so a retry after a lost answer gets
 * DBSnapshotAlreadyExists (DBClusterSnapshotAlreadyExistsFault), which the
 * caller counts as done when the existing snapshot carries its tags.
 */
int sk_rds_create_snapshot(struct sk_aws_client *c, const char *region, bool cluster, const char *snapshot_id,
			   const char *db_id, const struct sk_aws_tag *tags, size_t n_tags, sk_rds_snapshot_cb cb,
			   void *ud, struct sk_aws_error *err)
{
	const struct family *fam = &families[cluster];
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, fam->snapshot_param, snapshot_id) < 0 ||
		      sk_query_add(&q, fam->db_param, db_id) < 0 ||
		      sk_query_add_tags(&q, "Tags", "Tag", tags, n_tags) < 0;

	return call_built(c, region, fam->create, &q, failed, &fam->snapshots, (void *)cb, ud, err);
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
int sk_rds_copy_snapshot(struct sk_aws_client *c, const char *dest_region, bool cluster,
			 const struct sk_rds_copy *copy, sk_rds_snapshot_cb cb, void *ud, struct sk_aws_error *err)
{
	const struct family *fam = &families[cluster];
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
	rc = call_built(c, dest_region, fam->copy, &q, failed, &fam->snapshots, (void *)cb, ud, err);
	sk_buf_cleanse_free(&url); /* holds a signature */
	sk_query_free(&pre);
	return rc;
}

/*
 * Retry safety: deleting twice gets DBSnapshotNotFound
 * (DBClusterSnapshotNotFoundFault) the second time, which the caller counts
 * as done.
 */
int sk_rds_delete_snapshot(struct sk_aws_client *c, const char *region, bool cluster, const char *snapshot_id,
			   struct sk_aws_error *err)
{
	const struct family *fam = &families[cluster];
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, fam->snapshot_param, snapshot_id) < 0;

	return call_built(c, region, fam->delete, &q, failed, NULL, NULL, NULL, err);
}

/* Retry safety: setting a tag to a value is idempotent. */
int sk_rds_add_tags(struct sk_aws_client *c, const char *region, const char *arn, const struct sk_aws_tag *tags,
		    size_t n_tags, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, "ResourceName", arn) < 0 ||
		      sk_query_add_tags(&q, "Tags", "Tag", tags, n_tags) < 0;

	return call_built(c, region, "AddTagsToResource", &q, failed, NULL, NULL, NULL, err);
}

/* Retry safety: removing an absent tag is not an error. */
int sk_rds_remove_tags(struct sk_aws_client *c, const char *region, const char *arn, const char *const *keys,
		       size_t n_keys, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	bool failed = sk_query_add(&q, "ResourceName", arn) < 0 ||
		      sk_query_add_list(&q, "TagKeys", "member", keys, n_keys) < 0;

	return call_built(c, region, "RemoveTagsFromResource", &q, failed, NULL, NULL, NULL, err);
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
	rc = call_built(c, dest_region, "StartDBInstanceAutomatedBackupsReplication", &q, failed, NULL, NULL, NULL,
			err);
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

	return call_built(c, dest_region, "StopDBInstanceAutomatedBackupsReplication", &q, failed, NULL, NULL, NULL,
			  err);
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

	return call_built(c, region, "RestoreDBInstanceFromDBSnapshot", &q, failed, &families[false].dbs, (void *)cb,
			  ud, err);
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
	return call_built(c, region, "RestoreDBInstanceToPointInTime", &q, failed, &families[false].dbs, (void *)cb,
			  ud, err);
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

	return call_built(c, region, "DeleteDBInstance", &q, failed, NULL, NULL, NULL, err);
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
