/*
 * naming.h - the identifiers snapkeep gives the snapshots it makes
 *
 * They are deterministic, so that a rerun (or a run after a crash) never
 * makes a second snapshot or copy of the same thing: AWS answers
 * DBSnapshotAlreadyExists, and apply checks the existing one is ours.
 *
 *   a snapshot  <prefix>-<instance>-<yyyymmdd-hhmm>   the schedule slot, UTC; lowercase
 *   on demand   <prefix>-<instance>-<yyyymmdd-hhmmss>-ondemand   (snapkeep backup)
 *   a copy      <source id>-<source region>
 *
 * RDS allows 1..255 letters, digits and hyphens, starting with a letter,
 * never two hyphens in a row or one at the end (sk_rds_valid_snapshot_id,
 * aws/rds.h).  Past 255 characters the instance (or the source id) is cut
 * and "-<8 hex digits of its SHA-256>" added.
 */
#ifndef SK_NAMING_H
#define SK_NAMING_H

#include <stddef.h>
#include <stdint.h>

#define SK_SNAPSHOT_ID_MAX 255

/* 0, or SK_ERROR for an empty prefix or instance, or a prefix too long to leave room */
int sk_naming_snapshot(char out[SK_SNAPSHOT_ID_MAX + 1], const char *prefix, const char *instance, int64_t slot);
/*
 * An on-demand snapshot (`snapkeep backup`) taken at `at`:
 * <prefix>-<instance>-<yyyymmdd-hhmmss>-ondemand, so it never takes a
 * schedule slot's identifier.  Errors as sk_naming_snapshot's.
 */
int sk_naming_ondemand(char out[SK_SNAPSHOT_ID_MAX + 1], const char *prefix, const char *instance, int64_t at);
/* 0, or SK_ERROR when the source region leaves no room */
int sk_naming_copy(char out[SK_SNAPSHOT_ID_MAX + 1], const char *source_id, const char *source_region);

/*
 * The ARN RDS gives snapshot id of in: the instance's ARN with resource
 * snapshot:ID, a cluster's with cluster-snapshot:ID (a copy's source names
 * it).  out (len bytes), or NULL when in has no usable ARN.
 */
struct sk_inv_instance;
const char *sk_naming_snapshot_arn(char *out, size_t len, const struct sk_inv_instance *in, const char *id);

/* RDS DB instance identifiers: 1..63 letters, digits and hyphens */
#define SK_INSTANCE_ID_MAX 63

/*
 * The temporary instance a restore drill of instance makes:
 * "snapkeep-drill-<instance>", the same on every run (a crashed drill's
 * instance is found again by it and by its tag); when that is longer than
 * 63 characters, the instance's name is cut and 8 hex digits of its hash
 * keep it unique.
 */
int sk_naming_drill_instance(char out[SK_INSTANCE_ID_MAX + 1], const char *instance);

#endif
