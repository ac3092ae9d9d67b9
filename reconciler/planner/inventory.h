/*
 * inventory.h - what was observed: instances, snapshots, automated backups
 * (and Aurora DB clusters as units of their own, their cluster snapshots as
 * snapshots: the is_cluster / cluster flags tell them apart)
 *
 * Filled from AWS by observe.c or read from a snapkeep-inventory/v1 JSON
 * file by inventory_json.h (specs/inventory.md documents the format), so
 * plans can be made offline and reproduced.  Strings live in the inventory's arena; the ones
 * that repeat (regions, instance ids, statuses, tag keys) are interned, so
 * they can be compared by pointer after sk_inventory_intern().  Built for a
 * million snapshots: no per-snapshot heap allocation.
 */
#ifndef SK_INVENTORY_H
#define SK_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/query.h"
#include "common/arena.h"

enum sk_snap_type {
	SK_SNAP_MANUAL = 0,
	SK_SNAP_AUTOMATED,
	SK_SNAP_OTHER, /* awsbackup, shared, public */
};

enum sk_snap_status {
	SK_SNAP_AVAILABLE = 0,
	SK_SNAP_CREATING, /* creating, pending (a copy in flight), copying */
	SK_SNAP_DELETING,
	SK_SNAP_FAILED,   /* failed, incompatible-*, error */
	SK_SNAP_UNKNOWN,  /* anything else AWS may add */
};

struct sk_inv_instance {
	const char *id;
	const char *region;
	const char *arn;
	const char *engine;
	const char *status;
	const char *backup_window;
	const char *maintenance_window;
	const char *kms_key_id;
	const char *aws_backup_arn; /* AwsBackupRecoveryPointArn: AWS Backup owns its automated backups */
	int retention;
	bool has_pending_retention;
	int pending_retention;
	bool copy_tags;
	bool deletion_protection;
	bool encrypted;
	int allocated_gib;
	int64_t latest_restorable;
	const char **replications; /* DBInstanceAutomatedBackupsArn of each replication */
	size_t n_replications;
	const struct sk_aws_tag *tags;
	size_t n_tags;
	/* Aurora: an instance that is a member of cluster (managed through it); NULL: none */
	const char *cluster;
	/* Aurora: this is a DB cluster (id its DBClusterIdentifier), not an instance; sorts after an instance of its id */
	bool is_cluster;
};

struct sk_inv_snapshot {
	const char *id;
	/*
	 * The ARN, or NULL when it is arn_prefix + id (the usual case: a million
	 * snapshots share one "arn:aws:rds:<region>:<account>:snapshot:"); read
	 * it with sk_inv_snapshot_arn().
	 */
	const char *arn;
	const char *arn_prefix;
	const char *instance;
	const char *region;
	const char *status_text; /* as AWS says it */
	const char *kms_key_id;
	const char *source_region; /* copies */
	const char *source_arn;    /* copies: SourceDBSnapshotIdentifier */
	int64_t created;           /* 0 while creating */
	int64_t original_created;  /* copies: the source's creation time */
	const struct sk_aws_tag *tags;
	uint32_t allocated_gib;
	uint16_t n_tags;
	uint8_t type;   /* enum sk_snap_type */
	uint8_t status; /* enum sk_snap_status */
	bool encrypted;
	bool cluster; /* a DB cluster snapshot: instance is its DBClusterIdentifier */
};

struct sk_inv_autobackup {
	const char *arn;
	const char *region;        /* where this automated backup lives */
	const char *source_region; /* the instance's region */
	const char *instance;
	const char *instance_arn;
	const char *status;
	const char *kms_key_id;
	int retention;
	int64_t earliest;
	int64_t latest;
};

struct sk_inventory {
	struct sk_arena arena;
	const char *account; /* the account observed (interned), NULL: the caller's own */
	int64_t observed_at;
	const char **regions; /* observed regions, interned, sorted */
	size_t n_regions, cap_regions;
	/*
	 * Every region counts as observed (a region not in regions[] is empty):
	 * an inventory file with no "regions" list speaks for every region.
	 */
	bool every_region;
	/*
	 * Observed regions where only the snapshots were observed (a region
	 * policies only copy to: no DescribeDBInstances there), interned and
	 * sorted: nothing is known of their instances.
	 */
	const char **snapshots_only;
	size_t n_snapshots_only, cap_snapshots_only;
	struct sk_inv_instance *instances;
	size_t n_instances, cap_instances;
	struct sk_inv_snapshot *snapshots;
	size_t n_snapshots, cap_snapshots;
	struct sk_inv_autobackup *autobackups;
	size_t n_autobackups, cap_autobackups;
};

int sk_inventory_new(struct sk_inventory **out);
void sk_inventory_free(struct sk_inventory *inv);

int sk_inventory_add_region(struct sk_inventory *inv, const char *region);
/* a region whose snapshots were observed, and not its instances */
int sk_inventory_add_snapshot_region(struct sk_inventory *inv, const char *region);
/* were the region's snapshots observed? */
bool sk_inventory_has_region(const struct sk_inventory *inv, const char *region);
/* were the region's instances observed too? */
bool sk_inventory_has_instances(const struct sk_inventory *inv, const char *region);
/*
 * The add functions copy every string of *in into the arena (interning the
 * repeated ones) and return a pointer to the stored copy, NULL on failure.
 * Pointers stay valid until the next add of the same kind.
 */
struct sk_inv_instance *sk_inventory_add_instance(struct sk_inventory *inv, const struct sk_inv_instance *in);
struct sk_inv_snapshot *sk_inventory_add_snapshot(struct sk_inventory *inv, const struct sk_inv_snapshot *in);
struct sk_inv_autobackup *sk_inventory_add_autobackup(struct sk_inventory *inv, const struct sk_inv_autobackup *in);
const char *sk_inventory_intern(struct sk_inventory *inv, const char *s);

/* sorts instances by (region, id) and snapshots by (region, instance, created, id) */
void sk_inventory_sort(struct sk_inventory *inv);
/* binary searches: the inventory must be sorted (observe and read_json sort it) */
const struct sk_inv_instance *sk_inventory_find_instance(const struct sk_inventory *inv, const char *region,
							 const char *id);
/* the DB cluster (is_cluster) of that identifier, or NULL */
const struct sk_inv_instance *sk_inventory_find_cluster(const struct sk_inventory *inv, const char *region,
							const char *id);
/* the snapshots of (region, instance) are inv->snapshots[*begin .. *end), oldest first */
void sk_inventory_snapshot_range(const struct sk_inventory *inv, const char *region, const char *instance,
				 size_t *begin, size_t *end);
/* the instances of a region are inv->instances[*begin .. *end) */
void sk_inventory_instance_range(const struct sk_inventory *inv, const char *region, size_t *begin, size_t *end);
/* the snapshot's ARN (in buf when it has to be put together), or NULL when it has none */
const char *sk_inv_snapshot_arn(const struct sk_inv_snapshot *s, char *buf, size_t len);
#define SK_ARN_MAX 512

enum sk_snap_status sk_snap_status_from(const char *aws_status);
enum sk_snap_type sk_snap_type_from(const char *aws_type);
const char *sk_snap_type_name(enum sk_snap_type t);

#endif
