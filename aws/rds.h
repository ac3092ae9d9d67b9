/*
 * rds.h - the RDS calls snapkeep makes (API version 2014-10-31)
 *
 * Describe calls page with Marker/MaxRecords and hand each item to a
 * callback as a struct whose strings point into the current page: copy
 * what you keep.  Mutating calls say, at each definition in rds.c, why
 * retrying them is safe.
 *
 * Aurora: the calls that take `cluster` speak, when it is true, to DB
 * clusters and their snapshots (DescribeDBClusters, ModifyDBCluster,
 * CreateDBClusterSnapshot, ...) instead of DB instances and theirs.  A DB
 * cluster reads into struct sk_rds_instance (is_cluster set) and a DB
 * cluster snapshot into struct sk_rds_snapshot (is_cluster set), through
 * the same readers, pages and errors; the option structs are the same, the
 * identifiers in them being the cluster's.  rds_xml.h reads the answers.
 */
#ifndef SK_RDS_H
#define SK_RDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/client.h"
#include "aws/query.h"

struct sk_rds_instance {
	const char *id;
	const char *arn;
	const char *dbi_resource_id;
	const char *status;
	const char *engine;
	const char *engine_version;
	const char *instance_class;
	const char *preferred_backup_window;
	const char *preferred_maintenance_window;
	const char *kms_key_id;
	const char *aws_backup_recovery_point_arn; /* NULL unless AWS Backup manages its backups */
	const char *cluster_id;       /* DBClusterIdentifier: the Aurora cluster it is a member of; NULL: none */
	const char *endpoint_address; /* Endpoint.Address; NULL until RDS gives one */
	int endpoint_port;            /* Endpoint.Port; 0: none */
	int backup_retention_period;
	bool has_pending_retention;
	int pending_retention;
	bool copy_tags_to_snapshot;
	bool deletion_protection;
	bool storage_encrypted;
	bool multi_az;
	int allocated_gib;
	int64_t created;
	int64_t latest_restorable_time; /* 0: none */
	const char *const *replication_arns; /* DBInstanceAutomatedBackupsReplications */
	size_t n_replications;
	const struct sk_aws_tag *tags;
	size_t n_tags;
	bool is_cluster; /* a DBCluster: id is its DBClusterIdentifier, arn its DBClusterArn */
};

struct sk_rds_snapshot {
	const char *id;
	const char *arn;
	const char *instance_id;
	const char *dbi_resource_id;
	const char *status;
	const char *type; /* "manual", "automated", "awsbackup", ... */
	const char *engine;
	const char *kms_key_id;
	const char *source_region;   /* copies: where the source lives */
	const char *source_snapshot; /* copies: SourceDBSnapshotIdentifier (the source ARN) */
	int64_t created;             /* SnapshotCreateTime; 0 while creating */
	int64_t original_created;    /* OriginalSnapshotCreateTime; falls back to created */
	int64_t instance_created;
	int percent_progress;
	int allocated_gib;
	bool encrypted;
	const struct sk_aws_tag *tags;
	size_t n_tags;
	/*
	 * A DBClusterSnapshot: instance_id is its DBClusterIdentifier, source_snapshot
	 * its SourceDBClusterSnapshotArn and source_region that ARN's region when it
	 * is another (RDS keeps a copy's SnapshotCreateTime: original_created = created)
	 */
	bool is_cluster;
};

struct sk_rds_automated_backup {
	const char *arn; /* DBInstanceAutomatedBackupsArn */
	const char *instance_id;
	const char *instance_arn;
	const char *dbi_resource_id;
	const char *region; /* the source instance's region */
	const char *status;
	const char *kms_key_id;
	int backup_retention_period;
	int64_t earliest; /* RestoreWindow; 0: none */
	int64_t latest;
};

struct sk_rds_filter {
	const char *name; /* "db-instance-id", "snapshot-type", ... */
	const char *const *values;
	size_t n_values;
};

typedef int (*sk_rds_instance_cb)(void *ud, const struct sk_rds_instance *inst);
typedef int (*sk_rds_snapshot_cb)(void *ud, const struct sk_rds_snapshot *snap);
typedef int (*sk_rds_automated_backup_cb)(void *ud, const struct sk_rds_automated_backup *b);

struct sk_rds_describe_opts {
	const char *instance_id; /* DBInstanceIdentifier (DBClusterIdentifier for the cluster calls) */
	const char *snapshot_id; /* DBSnapshotIdentifier, DBClusterSnapshotIdentifier (snapshots only) */
	const char *snapshot_type; /* SnapshotType (snapshots only) */
	const struct sk_rds_filter *filters;
	size_t n_filters;
	int page_size; /* 0: 100 */
};

#define SK_RDS_DESCRIBE_OPTS_INIT                                                                    \
	{ .instance_id = NULL, .snapshot_id = NULL, .snapshot_type = NULL, .filters = NULL, .n_filters = 0, \
	  .page_size = 0 }

/* DescribeDBInstances, DescribeDBSnapshots (cluster: DescribeDBClusters, DescribeDBClusterSnapshots) */
int sk_rds_describe_dbs(struct sk_aws_client *c, const char *region, bool cluster,
			const struct sk_rds_describe_opts *o, sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err);
int sk_rds_describe_snapshots(struct sk_aws_client *c, const char *region, bool cluster,
			      const struct sk_rds_describe_opts *o, sk_rds_snapshot_cb cb, void *ud,
			      struct sk_aws_error *err);
int sk_rds_describe_db_instance_automated_backups(struct sk_aws_client *c, const char *region,
						  const struct sk_rds_describe_opts *o,
						  sk_rds_automated_backup_cb cb, void *ud,
						  struct sk_aws_error *err);

/* -1 in an int field / NULL in a string field: leave unchanged */
struct sk_rds_modify {
	const char *instance_id; /* the cluster's identifier for ModifyDBCluster */
	int backup_retention_period;
	const char *preferred_backup_window;
	int copy_tags_to_snapshot;
	int deletion_protection;
	bool apply_immediately;
};

#define SK_RDS_MODIFY_INIT                                                                                  \
	{ .instance_id = NULL, .backup_retention_period = -1, .preferred_backup_window = NULL,                  \
	  .copy_tags_to_snapshot = -1, .deletion_protection = -1, .apply_immediately = false }

/* ModifyDBInstance (cluster: ModifyDBCluster); cb (may be NULL) sees the instance or cluster as RDS returned it */
int sk_rds_modify_db(struct sk_aws_client *c, const char *region, bool cluster, const struct sk_rds_modify *m,
		     sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err);

/* CreateDBSnapshot of instance db_id (cluster: CreateDBClusterSnapshot of cluster db_id) */
int sk_rds_create_snapshot(struct sk_aws_client *c, const char *region, bool cluster, const char *snapshot_id,
			   const char *db_id, const struct sk_aws_tag *tags, size_t n_tags, sk_rds_snapshot_cb cb,
			   void *ud, struct sk_aws_error *err);

struct sk_rds_copy {
	const char *source_region; /* where the source snapshot lives */
	const char *source_arn;    /* its ARN (cross-region) or identifier */
	const char *target_id;
	const char *kms_key_id;    /* destination key; required for encrypted cross-region copies */
	bool copy_tags;
	const struct sk_aws_tag *tags;
	size_t n_tags;
};

/*
 * CopyDBSnapshot (cluster: CopyDBClusterSnapshot), sent to dest_region;
 * builds the PreSignedUrl for the source region when it differs
 */
int sk_rds_copy_snapshot(struct sk_aws_client *c, const char *dest_region, bool cluster,
			 const struct sk_rds_copy *copy, sk_rds_snapshot_cb cb, void *ud, struct sk_aws_error *err);
/* DeleteDBSnapshot (cluster: DeleteDBClusterSnapshot) */
int sk_rds_delete_snapshot(struct sk_aws_client *c, const char *region, bool cluster, const char *snapshot_id,
			   struct sk_aws_error *err);
int sk_rds_add_tags(struct sk_aws_client *c, const char *region, const char *arn, const struct sk_aws_tag *tags,
		    size_t n_tags, struct sk_aws_error *err);
int sk_rds_remove_tags(struct sk_aws_client *c, const char *region, const char *arn, const char *const *keys,
		       size_t n_keys, struct sk_aws_error *err);

struct sk_rds_replication {
	const char *source_region;
	const char *source_instance_arn;
	int backup_retention_period; /* 0: AWS's default (7) */
	const char *kms_key_id;
};

/* sent to dest_region, with a PreSignedUrl for the source region */
int sk_rds_start_automated_backups_replication(struct sk_aws_client *c, const char *dest_region,
					       const struct sk_rds_replication *r, struct sk_aws_error *err);
int sk_rds_stop_automated_backups_replication(struct sk_aws_client *c, const char *dest_region,
					      const char *source_instance_arn, struct sk_aws_error *err);

struct sk_rds_restore {
	const char *instance_id;     /* the new instance */
	const char *snapshot_id;     /* from snapshot */
	const char *source_instance; /* point in time */
	const char *source_automated_backup_arn; /* point in time from a (replicated) automated backup, instead */
	int64_t restore_time;        /* point in time; 0: latest restorable */
	const char *instance_class;  /* NULL: as the source */
	const struct sk_aws_tag *tags;
	size_t n_tags;
};

int sk_rds_restore_from_snapshot(struct sk_aws_client *c, const char *region, const struct sk_rds_restore *r,
				 sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err);
int sk_rds_restore_to_point_in_time(struct sk_aws_client *c, const char *region, const struct sk_rds_restore *r,
				    sk_rds_instance_cb cb, void *ud, struct sk_aws_error *err);
int sk_rds_delete_db_instance(struct sk_aws_client *c, const char *region, const char *instance_id,
			      bool skip_final_snapshot, const char *final_snapshot_id, bool delete_automated_backups,
			      struct sk_aws_error *err);

/*
 * Builds the SigV4 query-presigned URL for `action` in source_region that
 * CopyDBSnapshot, CopyDBClusterSnapshot and StartDBInstanceAutomatedBackupsReplication carry as
 * PreSignedUrl (what the SDKs derive from their SourceRegion convenience):
 * the action's own parameters plus DestinationRegion.  out is reset first.
 */
int sk_rds_presigned_url(struct sk_aws_client *c, struct sk_buf *out, const char *source_region,
			 const char *dest_region, const char *action, const struct sk_query *params);

/* identifier rules for snapshots: letters, digits, hyphens; 1-255; a letter first; no "--", no trailing '-' */
bool sk_rds_valid_snapshot_id(const char *id);

#endif
