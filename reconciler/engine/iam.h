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
 *   TagSnapshots              rds:AddTagsToResource on <prefix>-* snapshots (tags set at
 *                             creation and on copies need it)
 *   CopySnapshots             rds:CopyDBSnapshot on <prefix>-* in source and copy regions
 *   DeleteOwnedSnapshots      rds:DeleteDBSnapshot on snapshot:* in every managed region,
 *                             only when aws:ResourceTag/snapkeep:policy names a policy
 *   StartReplication[TaggedN] rds:StartDBInstanceAutomatedBackupsReplication on the db ARNs
 *                             and auto-backup:* in the destination regions
 *   StopReplication[TaggedN]  rds:StopDBInstanceAutomatedBackupsReplication on the db ARNs and
 *                             auto-backup:* in any region (a replication to stop may be anywhere)
 *   UseKmsForCopies           kms:DescribeKey, kms:CreateGrant through RDS only
 *                             (kms:ViaService rds.<region>.amazonaws.com)
 *   PublishAlerts             sns:Publish on the alerts.snsTopicArn topics
 *   PutMetrics                cloudwatch:PutMetricData on "*" for one namespace
 *
 * A statement appears only when some policy needs it.  Resources are sorted
 * and de-duplicated, so the output only changes when the policies do.
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

#define SK_IAM_OPTS_INIT { NULL, NULL, true }

/* the policy document ({"Version": "2012-10-17", "Statement": [...]}) */
int sk_iam_policy(json_t **out, const struct sk_policyset *set, const struct sk_iam_opts *o);

/* the ARN partition of a region: "aws", "aws-cn" (cn-*), "aws-us-gov" (us-gov-*), ... (sk_arn_partition) */
const char *sk_iam_partition(const char *region);

#endif
