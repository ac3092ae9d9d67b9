/*
 * iam.h - the least-privilege IAM policy a policy set needs
 *
 * Only the actions snapkeep calls, each on the narrowest resources the
 * policies allow:
 *
 *   Observe                   rds:Describe{DBInstances,DBSnapshots,DBInstanceAutomatedBackups}
 *                             on "*" (list calls cannot be confined to resources),
 *                             only in the managed regions (aws:RequestedRegion)
 *   ModifyInstances           rds:ModifyDBInstance on the named instances' db ARNs
 *   ModifyTaggedInstancesN    the same on db:* where the selector's tags match
 *                             (rds:db-tag/<Key>), one statement per tag selector
 *   CreateSnapshots           rds:CreateDBSnapshot on the db ARNs and <prefix>-* snapshots
 *   CreateSnapshotsOfTaggedInstancesN   db:* with the selector's tags
 *   TagSnapshots              rds:AddTagsToResource on <prefix>-* snapshots, only in a request
 *                             that makes the snapshot owned: aws:RequestTag/snapkeep:policy one
 *                             of this set's policies with snapshots, and snapkeep:instance and
 *                             snapkeep:slot present (RDS checks this action when CreateDBSnapshot
 *                             or CopyDBSnapshot carries Tags)
 *   CopySnapshots             rds:CopyDBSnapshot on <prefix>-* in source and copy regions
 *   DeleteOwnedSnapshots      rds:DeleteDBSnapshot on snapshot:* in every managed region,
 *                             only when aws:ResourceTag/snapkeep:policy names a policy of the
 *                             set and snapkeep:instance is there (ownership.h: both tags)
 *   StartReplication[TaggedN] rds:StartDBInstanceAutomatedBackupsReplication on the db ARNs
 *                             and auto-backup:* in the destination regions
 *   StopReplication[TaggedN]  rds:StopDBInstanceAutomatedBackupsReplication on the db ARNs and
 *                             auto-backup:* where a policy replicates to (replicate.region); with
 *                             a policy saying replicate: false (the destination is not written
 *                             down), in every region the set names too; never in other regions
 *   RestoreInstances          rds:RestoreDBInstanceFromDBSnapshot, rds:RestoreDBInstanceToPointInTime
 *                             (`snapkeep restore`) on db:*, snapshot:*, auto-backup:* and the
 *                             og:*, pg:* and subgrp:* a restore names, in the regions holding the
 *                             policies' backups (theirs, copy and replication destinations), only
 *                             when the request carries snapkeep:restore
 *   TagRestoredInstances      rds:AddTagsToResource (the restore's Tags) on db:* there, likewise
 *   UseKmsForCopies           kms:DescribeKey, kms:CreateGrant through RDS only
 *                             (kms:ViaService rds.<region>.amazonaws.com)
 *   PublishAlerts             sns:Publish on the alerts.snsTopicArn topics
 *   PutMetrics                cloudwatch:PutMetricData on "*" for one namespace
 *
 * A statement appears only when some policy needs it.  Resources are sorted
 * and de-duplicated, so the output only changes when the policies do.
 *
 * What IAM cannot say: RDS authorises tags given to CreateDBSnapshot and
 * CopyDBSnapshot as rds:AddTagsToResource on the new snapshot, and no
 * condition key tells that check from a direct AddTagsToResource call on an
 * existing snapshot (RDS has no counterpart of EC2's ec2:CreateAction).  So
 * TagSnapshots cannot forbid adding the ownership tags to a hand-made
 * <prefix>-* snapshot; it confines every tagging to snapkeep's names and to
 * requests that carry all of snapkeep:policy (a policy of this set),
 * snapkeep:instance and snapkeep:slot, and snapkeep itself never calls
 * AddTagsToResource (t0710 checks the calls it makes).  Keep the prefix to
 * snapkeep: a snapshot someone makes by hand under it could be tagged with
 * these credentials.  aws:TagKeys is not confined: a copy carries its
 * source's own tags, whatever their keys.
 */
#ifndef SK_IAM_H
#define SK_IAM_H

#include <stdbool.h>

#include <jansson.h>

struct sk_policyset;

struct sk_iam_opts {
	const char *account;   /* the 12-digit account in ARNs; NULL: "*" */
	const char *namespace_; /* CloudWatch namespace; NULL: "Snapkeep" */
	bool metrics;          /* include PutMetrics; SK_IAM_OPTS_INIT: true */
};

#define SK_IAM_OPTS_INIT { .account = NULL, .namespace_ = NULL, .metrics = true }

/* the policy document ({"Version": "2012-10-17", "Statement": [...]}) */
int sk_iam_policy(json_t **out, const struct sk_policyset *set, const struct sk_iam_opts *o);

/* the ARN partition of a region: "aws", "aws-cn" (cn-*), "aws-us-gov" (us-gov-*), ... (sk_arn_partition) */
const char *sk_iam_partition(const char *region);

#endif
