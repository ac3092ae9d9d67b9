#!/usr/bin/env python3
"""The real AWS CLI (/usr/bin/aws) against the emulator's Aurora calls:
describe-db-clusters (paged, members, settings, Aurora's AllocatedStorage
1), modify-db-cluster, cluster snapshots created, listed (paged, by type),
tagged, copied in the region and across regions (the CLI builds the
PreSignedUrl for CopyDBClusterSnapshot; KmsKeyId needed for an encrypted
copy), deleted; AWS's error codes for each refusal; and a member instance
that names its cluster and takes no DB snapshot of its own."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

AWS = os.environ.get("SNAPKEEP_AWSCLI", "/usr/bin/aws")
ACCOUNT = "123456789012"
KMS = "arn:aws:kms:us-east-1:%s:key/00000000-1111-4222-8333-444444444444" % ACCOUNT
SEED = {
    "account": ACCOUNT,
    "clock": "2026-06-10T12:00:00Z",
    "regions": {
        "us-east-1": {
            "clusters": [
                {"id": "ledger", "members": ["ledger-1", "ledger-2"], "backupRetentionPeriod": 3,
                 "preferredBackupWindow": "03:00-03:30", "storageEncrypted": True, "kmsKeyId": KMS,
                 "tags": {"team": "payments"}, "created": "2026-01-01T00:00:00Z"},
            ] + [{"id": "c%02d" % i, "members": [], "created": "2026-06-01T00:00:00Z"} for i in range(22)],
        },
        "us-west-2": {"kmsKeys": ["alias/dr"]},
    },
}

if not os.access(AWS, os.X_OK):
    t.bail("%s is missing: the AWS CLI conformance test needs Debian's awscli (make deps installs it)" % AWS)


def aws(emu, *args, region="us-east-1"):
    e = emu.env(region)
    e["AWS_ENDPOINT_URL"] = None
    e["AWS_PAGER"] = ""
    e["AWS_CLI_AUTO_PROMPT"] = "off"
    return t.run([AWS, "--endpoint-url", emu.url, "--region", region, "--output", "json", "--no-cli-pager"]
                 + list(args), env=e, timeout=120)


def out(r):
    return json.loads(r.out) if r.out.strip() else {}


with Emulator(seed=SEED) as emu:
    emu.config(createSeconds=0, copySeconds=0)
    r = aws(emu, "rds", "describe-db-clusters", "--db-cluster-identifier", "ledger")
    c = (out(r).get("DBClusters") or [{}])[0]
    t.ok(r.rc == 0 and c.get("DBClusterArn") == "arn:aws:rds:us-east-1:%s:cluster:ledger" % ACCOUNT
         and c.get("BackupRetentionPeriod") == 3 and c.get("PreferredBackupWindow") == "03:00-03:30"
         and c.get("CopyTagsToSnapshot") is False and c.get("DeletionProtection") is False
         and c.get("StorageEncrypted") is True and c.get("KmsKeyId") == KMS and c.get("AllocatedStorage") == 1
         and c.get("TagList") == [{"Key": "team", "Value": "payments"}],
         "describe-db-clusters: ARN, retention, window, copy tags, protection, encryption, storage 1, tags", c)
    t.is_([(m["DBInstanceIdentifier"], m["IsClusterWriter"]) for m in c.get("DBClusterMembers", [])],
          [("ledger-1", True), ("ledger-2", False)], "its members, the writer first")

    r = aws(emu, "rds", "describe-db-clusters", "--page-size", "20")
    ids = [x["DBClusterIdentifier"] for x in out(r).get("DBClusters", [])]
    t.ok(r.rc == 0 and len(ids) == 23 and ids == sorted(ids), "describe-db-clusters pages of 20: all 23, in order",
         ids)
    calls = [x for x in emu.calls()["calls"] if x["action"] == "DescribeDBClusters"]
    t.ok(len(calls) >= 3, "the CLI followed the Marker (%d calls)" % len(calls))

    r = aws(emu, "rds", "describe-db-instances", "--db-instance-identifier", "ledger-1")
    d = (out(r).get("DBInstances") or [{}])[0]
    t.ok(d.get("DBClusterIdentifier") == "ledger" and d.get("BackupRetentionPeriod") == 3,
         "a member instance names its cluster and reports the cluster's retention", d)
    r = aws(emu, "rds", "create-db-snapshot", "--db-instance-identifier", "ledger-1", "--db-snapshot-identifier", "x1")
    t.ok(r.rc != 0 and "InvalidDBInstanceState" in r.err and "CreateDBClusterSnapshot" in r.err,
         "create-db-snapshot of a member is refused: the cluster is what is snapshotted", r.err)
    r = aws(emu, "rds", "describe-db-clusters", "--db-cluster-identifier", "nope")
    t.ok(r.rc != 0 and "DBClusterNotFoundFault" in r.err, "an unknown cluster: DBClusterNotFoundFault", r.err)

    r = aws(emu, "rds", "describe-db-cluster-snapshots", "--db-cluster-identifier", "ledger",
            "--snapshot-type", "automated")
    autos = out(r).get("DBClusterSnapshots", [])
    t.ok(r.rc == 0 and len(autos) == 3 and all(s["DBClusterSnapshotIdentifier"].startswith("rds:ledger-")
                                               and s["StorageEncrypted"] for s in autos),
         "three days of retention: three automated cluster snapshots", [s["DBClusterSnapshotIdentifier"]
                                                                       for s in autos])

    r = aws(emu, "rds", "modify-db-cluster", "--db-cluster-identifier", "ledger", "--backup-retention-period", "7",
            "--preferred-backup-window", "04:00-04:30", "--copy-tags-to-snapshot", "--deletion-protection",
            "--apply-immediately")
    c = out(r).get("DBCluster", {})
    t.ok(r.rc == 0 and c.get("BackupRetentionPeriod") == 7 and c.get("PreferredBackupWindow") == "04:00-04:30"
         and c.get("CopyTagsToSnapshot") is True and c.get("DeletionProtection") is True,
         "modify-db-cluster sets retention, window, copy tags and deletion protection", r)
    r = aws(emu, "rds", "modify-db-cluster", "--db-cluster-identifier", "ledger", "--backup-retention-period", "0")
    t.ok(r.rc != 0 and "InvalidParameterValue" in r.err, "Aurora's retention is 1..35: 0 is refused", r.err)
    r = aws(emu, "rds", "modify-db-instance", "--db-instance-identifier", "ledger-1", "--backup-retention-period", "5")
    t.ok(r.rc != 0 and "InvalidParameterCombination" in r.err and "DB Cluster" in r.err,
         "a member's retention is the cluster's: modify-db-instance is refused", r.err)

    r = aws(emu, "rds", "create-db-cluster-snapshot", "--db-cluster-identifier", "ledger",
            "--db-cluster-snapshot-identifier", "cli-cs-1")
    s = out(r).get("DBClusterSnapshot", {})
    t.ok(r.rc == 0 and s.get("Status") == "creating" and s.get("SnapshotType") == "manual"
         and s.get("TagList") == [{"Key": "team", "Value": "payments"}],
         "create-db-cluster-snapshot: creating, manual, the cluster's tags (copy tags on)", s)
    r = aws(emu, "rds", "create-db-cluster-snapshot", "--db-cluster-identifier", "ledger",
            "--db-cluster-snapshot-identifier", "cli-cs-1")
    t.ok(r.rc != 0 and "DBClusterSnapshotAlreadyExistsFault" in r.err, "again: DBClusterSnapshotAlreadyExistsFault",
         r.err)
    r = aws(emu, "rds", "create-db-cluster-snapshot", "--db-cluster-identifier", "ledger",
            "--db-cluster-snapshot-identifier", "bad--id")
    t.ok(r.rc != 0 and "InvalidParameterValue" in r.err, "an invalid identifier: InvalidParameterValue", r.err)
    r = aws(emu, "rds", "describe-db-cluster-snapshots", "--db-cluster-snapshot-identifier", "cli-cs-1")
    s = (out(r).get("DBClusterSnapshots") or [{}])[0]
    t.is_(s.get("Status"), "available", "available on the emulator clock (createSeconds 0)")
    arn = s.get("DBClusterSnapshotArn", "")
    t.is_(arn, "arn:aws:rds:us-east-1:%s:cluster-snapshot:cli-cs-1" % ACCOUNT, "its ARN")

    r = aws(emu, "rds", "add-tags-to-resource", "--resource-name", arn, "--tags", "Key=snapkeep:policy,Value=p")
    r2 = aws(emu, "rds", "list-tags-for-resource", "--resource-name", arn)
    t.ok(r.rc == 0 and {"Key": "snapkeep:policy", "Value": "p"} in out(r2).get("TagList", []),
         "add-tags-to-resource / list-tags-for-resource on a cluster-snapshot ARN", r2)
    r = aws(emu, "rds", "list-tags-for-resource", "--resource-name",
            "arn:aws:rds:us-east-1:%s:cluster:ledger" % ACCOUNT)
    t.ok(r.rc == 0 and out(r).get("TagList") == [{"Key": "team", "Value": "payments"}],
         "list-tags-for-resource on a cluster ARN", r)

    r = aws(emu, "rds", "copy-db-cluster-snapshot", "--source-db-cluster-snapshot-identifier", "cli-cs-1",
            "--target-db-cluster-snapshot-identifier", "cli-cs-1-same", "--copy-tags")
    s = out(r).get("DBClusterSnapshot", {})
    t.ok(r.rc == 0 and s.get("SourceDBClusterSnapshotArn") == arn and len(s.get("TagList", [])) == 2,
         "copy-db-cluster-snapshot in the region: SourceDBClusterSnapshotArn, --copy-tags", s)

    r = aws(emu, "rds", "copy-db-cluster-snapshot", "--source-region", "us-east-1",
            "--source-db-cluster-snapshot-identifier", arn, "--target-db-cluster-snapshot-identifier", "cli-cs-1-dr",
            region="us-west-2")
    t.ok(r.rc != 0 and "KmsKeyId" in r.err, "encrypted, across regions, without --kms-key-id: refused", r.err)
    r = aws(emu, "rds", "copy-db-cluster-snapshot", "--source-db-cluster-snapshot-identifier", arn,
            "--target-db-cluster-snapshot-identifier", "cli-cs-1-dr", "--kms-key-id", "alias/dr", region="us-west-2")
    t.ok(r.rc != 0 and "PreSignedUrl could not be authenticated" in r.err,
         "without --source-region (no PreSignedUrl) the encrypted copy is refused", r.err)
    r = aws(emu, "rds", "copy-db-cluster-snapshot", "--source-region", "us-east-1",
            "--source-db-cluster-snapshot-identifier", arn, "--target-db-cluster-snapshot-identifier", "cli-cs-1-dr",
            "--kms-key-id", "alias/nope", region="us-west-2")
    t.ok(r.rc != 0 and "KMSKeyNotAccessibleFault" in r.err, "an unknown destination key: KMSKeyNotAccessibleFault",
         r.err)
    r = aws(emu, "rds", "copy-db-cluster-snapshot", "--source-region", "us-east-1",
            "--source-db-cluster-snapshot-identifier", arn, "--target-db-cluster-snapshot-identifier", "cli-cs-1-dr",
            "--kms-key-id", "alias/dr", region="us-west-2")
    s = out(r).get("DBClusterSnapshot", {})
    t.ok(r.rc == 0 and s.get("SourceDBClusterSnapshotArn") == arn and ":us-west-2:" in s.get("KmsKeyId", "")
         and s.get("Status") == "copying",
         "copy-db-cluster-snapshot --source-region: the CLI's presigned URL is accepted, the copy uses the dr key", r)

    r = aws(emu, "rds", "delete-db-cluster-snapshot", "--db-cluster-snapshot-identifier", autos[0][
        "DBClusterSnapshotIdentifier"] if autos else "rds:x")
    t.ok(r.rc != 0 and "InvalidDBClusterSnapshotStateFault" in r.err,
         "an automated cluster snapshot cannot be deleted: InvalidDBClusterSnapshotStateFault", r.err)
    r = aws(emu, "rds", "delete-db-cluster-snapshot", "--db-cluster-snapshot-identifier", "cli-cs-1-same")
    t.ok(r.rc == 0 and out(r).get("DBClusterSnapshot", {}).get("Status") == "deleted", "delete-db-cluster-snapshot",
         r)
    r = aws(emu, "rds", "delete-db-cluster-snapshot", "--db-cluster-snapshot-identifier", "cli-cs-1-same")
    t.ok(r.rc != 0 and "DBClusterSnapshotNotFoundFault" in r.err, "again: DBClusterSnapshotNotFoundFault", r.err)

    emu.config(snapshotQuota=1)
    r = aws(emu, "rds", "create-db-cluster-snapshot", "--db-cluster-identifier", "ledger",
            "--db-cluster-snapshot-identifier", "cli-cs-2")
    t.ok(r.rc != 0 and "SnapshotQuotaExceeded" in r.err, "past the quota: SnapshotQuotaExceeded", r.err)
    st = emu.state(region="us-east-1")["regions"]["us-east-1"]
    t.ok(not [s for s in st["snapshots"] if s["instance"].startswith("ledger")],
         "no DB snapshot of a member instance exists", st["snapshots"])

    emu.restart()
    r = aws(emu, "rds", "describe-db-cluster-snapshots", "--db-cluster-snapshot-identifier", "cli-cs-1")
    t.ok(r.rc == 0 and len(out(r).get("DBClusterSnapshots", [])) == 1, "cluster snapshots survive a restart", r)
t.done()
