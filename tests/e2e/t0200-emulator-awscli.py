#!/usr/bin/env python3
"""The real AWS CLI (Debian's awscli at /usr/bin/aws) against the emulator:
proof that the emulator speaks AWS's wire protocol, SigV4 included, as an
independent client sees it.  Describe, modify retention, create and tag
snapshots, list with pagination, copy across regions (the CLI builds the
PreSignedUrl), delete, SNS publish, CloudWatch metrics, STS, and requests
signed with a wrong secret or an unknown key refused."""
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
    "regions": {
        "us-east-1": {
            "instances": [
                {"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 7,
                 "preferredBackupWindow": "03:00-03:30", "preferredMaintenanceWindow": "sun:05:00-sun:06:00",
                 "storageEncrypted": True, "kmsKeyId": KMS, "tags": {"Environment": "production"}},
                {"id": "scratch-db", "engine": "mysql", "backupRetentionPeriod": 0,
                 "preferredBackupWindow": "04:00-04:30", "preferredMaintenanceWindow": "mon:05:00-mon:06:00"},
            ],
            "topics": ["backup-alerts"],
        },
        "us-west-2": {"instances": [], "kmsKeys": ["alias/dr"]},
    },
}

if not os.access(AWS, os.X_OK):
    t.bail("%s is missing: the AWS CLI conformance test needs Debian's awscli (make deps installs it)" % AWS)


def aws(emu, *args, region="us-east-1", env=None):
    e = emu.env(region)
    e["AWS_ENDPOINT_URL"] = None  # awscli 2.9 ignores it; --endpoint-url below is what counts
    e["AWS_PAGER"] = ""
    e["AWS_CLI_AUTO_PROMPT"] = "off"
    if env:
        e.update(env)
    return t.run([AWS, "--endpoint-url", emu.url, "--region", region, "--output", "json", "--no-cli-pager"]
                 + list(args), env=e, timeout=120)


def out(r):
    return json.loads(r.out) if r.out.strip() else {}


def manual_ids(emu, region):
    st = emu.state(region=region)["regions"].get(region, {})
    return sorted(s["id"] for s in st.get("snapshots", []) if s["type"] == "manual")


with Emulator(seed=SEED) as emu:
    emu.config(createSeconds=0, copySeconds=0)

    r = aws(emu, "rds", "describe-db-instances")
    ids = sorted(d["DBInstanceIdentifier"] for d in out(r).get("DBInstances", []))
    t.is_(ids, ["orders-db", "scratch-db"], "describe-db-instances lists the seeded instances") or t.diag(r)
    orders = [d for d in out(r).get("DBInstances", []) if d["DBInstanceIdentifier"] == "orders-db"]
    t.ok(orders and orders[0]["BackupRetentionPeriod"] == 7 and orders[0]["StorageEncrypted"] is True
         and orders[0]["DBInstanceArn"] == "arn:aws:rds:us-east-1:%s:db:orders-db" % ACCOUNT
         and "LatestRestorableTime" in orders[0] and orders[0]["TagList"] == [{"Key": "Environment",
                                                                               "Value": "production"}],
         "the CLI parses retention, encryption, ARN, LatestRestorableTime and tags", orders)

    r = aws(emu, "rds", "modify-db-instance", "--db-instance-identifier", "orders-db",
            "--backup-retention-period", "14", "--no-apply-immediately")
    d = out(r).get("DBInstance", {})
    t.ok(r.rc == 0 and d.get("BackupRetentionPeriod") == 14 and not d.get("PendingModifiedValues"),
         "modify-db-instance 7 -> 14 applies at once, even without --apply-immediately", r)
    r = aws(emu, "rds", "modify-db-instance", "--db-instance-identifier", "scratch-db",
            "--backup-retention-period", "7", "--no-apply-immediately")
    d = out(r).get("DBInstance", {})
    t.ok(r.rc == 0 and d.get("BackupRetentionPeriod") == 0
         and d.get("PendingModifiedValues", {}).get("BackupRetentionPeriod") == 7,
         "modify-db-instance 0 -> 7 waits in PendingModifiedValues", r)

    r = aws(emu, "rds", "create-db-snapshot", "--db-instance-identifier", "orders-db",
            "--db-snapshot-identifier", "cli-snap-1", "--tags", "Key=snapkeep:policy,Value=prod")
    s = out(r).get("DBSnapshot", {})
    t.ok(r.rc == 0 and s.get("Status") == "creating" and s.get("SnapshotType") == "manual"
         and s.get("TagList") == [{"Key": "snapkeep:policy", "Value": "prod"}],
         "create-db-snapshot --tags answers a creating manual snapshot with its tags", r)
    arn = s.get("DBSnapshotArn", "")
    t.is_(arn, "arn:aws:rds:us-east-1:%s:snapshot:cli-snap-1" % ACCOUNT, "the snapshot ARN is AWS's form")

    r = aws(emu, "rds", "add-tags-to-resource", "--resource-name", arn, "--tags", "Key=Team,Value=data")
    r2 = aws(emu, "rds", "list-tags-for-resource", "--resource-name", arn)
    tags = {x["Key"]: x["Value"] for x in out(r2).get("TagList", [])}
    t.is_((r.rc, tags), (0, {"snapkeep:policy": "prod", "Team": "data"}),
          "add-tags-to-resource then list-tags-for-resource")

    r = aws(emu, "rds", "create-db-snapshot", "--db-instance-identifier", "orders-db",
            "--db-snapshot-identifier", "Bad--Name")
    t.ok(r.rc != 0 and "InvalidParameterValue" in r.err and "not a valid identifier" in r.err,
         "an invalid identifier is refused with InvalidParameterValue", r.err)

    # pagination: 25 manual snapshots listed 20 at a time
    for i in range(24):
        st, body, _ = emu.call("rds", "CreateDBSnapshot", {"DBInstanceIdentifier": "orders-db",
                                                           "DBSnapshotIdentifier": "page-%02d" % i})
        if st != 200:
            t.diag(body)
    since = emu.calls()["last"]
    r = aws(emu, "rds", "describe-db-snapshots", "--snapshot-type", "manual", "--page-size", "20")
    got = sorted(x["DBSnapshotIdentifier"] for x in out(r).get("DBSnapshots", []))
    t.is_(got, manual_ids(emu, "us-east-1"), "describe-db-snapshots --page-size 20 returns every manual snapshot")
    t.is_(len(got), 25, "all 25 of them")
    calls = [c for c in emu.calls(since=since)["calls"] if c["action"] == "DescribeDBSnapshots"]
    t.ok(len(calls) == 2 and all(c["params"].get("MaxRecords") == "20" for c in calls)
         and "Marker" in calls[1]["params"], "the CLI followed the Marker over 2 pages of 20", calls)
    r = aws(emu, "rds", "describe-db-snapshots", "--snapshot-type", "manual", "--max-items", "5")
    page = out(r)
    t.ok(len(page.get("DBSnapshots", [])) == 5 and page.get("NextToken"), "--max-items 5 stops early with a "
         "NextToken", r.out[:300])
    r = aws(emu, "rds", "describe-db-snapshots", "--max-records", "10", "--no-paginate")
    t.ok(r.rc != 0 and "InvalidParameterValue" in r.err and "MaxRecords" in r.err,
         "MaxRecords 10 is refused (20..100)", r.err)

    # cross-region copy: the CLI presigns a request for the source region
    since = emu.calls()["last"]
    r = aws(emu, "rds", "copy-db-snapshot", "--source-region", "us-east-1", "--source-db-snapshot-identifier",
            arn, "--target-db-snapshot-identifier", "cli-snap-1-dr", "--kms-key-id", "alias/dr",
            "--tags", "Key=snapkeep:source,Value=" + arn, region="us-west-2")
    c = out(r).get("DBSnapshot", {})
    t.ok(r.rc == 0 and c.get("SourceRegion") == "us-east-1" and c.get("SourceDBSnapshotIdentifier") == arn
         and c.get("Encrypted") is True and ":us-west-2:" in c.get("KmsKeyId", ""),
         "copy-db-snapshot --source-region: the encrypted copy is accepted in us-west-2", r)
    calls = [x for x in emu.calls(since=since)["calls"] if x["action"] == "CopyDBSnapshot"]
    p = calls[0]["params"] if calls else {}
    t.ok(calls and calls[0]["region"] == "us-west-2" and "Action=CopyDBSnapshot" in p.get("PreSignedUrl", "")
         and "DestinationRegion=us-west-2" in p.get("PreSignedUrl", "") and "SourceRegion" not in p,
         "the CLI sent a PreSignedUrl (and no SourceRegion) to the destination", p)
    t.ok("X-Amz-Signature=REDACTED" in p.get("PreSignedUrl", ""), "the call log keeps no signature")
    st = emu.state(region="us-west-2")["regions"]["us-west-2"]
    copies = [x for x in st["snapshots"] if x["id"] == "cli-snap-1-dr"]
    t.ok(copies and copies[0]["sourceRegion"] == "us-east-1" and copies[0]["tags"].get("snapkeep:source") == arn,
         "the copy is in us-west-2 with its source and tags", copies)
    r = aws(emu, "rds", "copy-db-snapshot", "--source-db-snapshot-identifier", arn,
            "--target-db-snapshot-identifier", "no-presign", "--kms-key-id", "alias/dr", region="us-west-2")
    t.ok(r.rc != 0 and "InvalidParameterValue" in r.err and "PreSignedUrl could not be authenticated" in r.err,
         "without --source-region (no PreSignedUrl) the encrypted copy is refused", r.err)
    r = aws(emu, "rds", "copy-db-snapshot", "--source-region", "us-east-1", "--source-db-snapshot-identifier",
            arn, "--target-db-snapshot-identifier", "no-kms", region="us-west-2")
    t.ok(r.rc != 0 and "InvalidParameterValue" in r.err and "KmsKeyId" in r.err,
         "without --kms-key-id the encrypted cross-region copy is refused", r.err)

    r = aws(emu, "rds", "delete-db-snapshot", "--db-snapshot-identifier", "cli-snap-1")
    t.ok(r.rc == 0 and out(r)["DBSnapshot"]["Status"] == "deleted" and "cli-snap-1" not in
         manual_ids(emu, "us-east-1"), "delete-db-snapshot removes it", r)
    r = aws(emu, "rds", "delete-db-snapshot", "--db-snapshot-identifier", "cli-snap-1")
    t.ok(r.rc != 0 and "DBSnapshotNotFound" in r.err, "deleting it again: DBSnapshotNotFound", r.err)

    # SNS, CloudWatch, STS
    r = aws(emu, "sns", "create-topic", "--name", "cli-topic")
    topic = out(r).get("TopicArn")
    r = aws(emu, "sns", "list-topics")
    arns = sorted(x["TopicArn"] for x in out(r).get("Topics", []))
    t.is_(arns, ["arn:aws:sns:us-east-1:%s:backup-alerts" % ACCOUNT, topic], "sns create-topic and list-topics")
    r = aws(emu, "sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:%s:backup-alerts" % ACCOUNT,
            "--subject", "snapkeep", "--message", "apply failed in us-east-1")
    msgs = emu.sns_messages()
    t.ok(r.rc == 0 and out(r).get("MessageId") and any(
        m["Message"] == "apply failed in us-east-1" and m["Subject"] == "snapkeep" for m in msgs),
        "sns publish is delivered", msgs)
    r = aws(emu, "sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:%s:nope" % ACCOUNT, "--message", "x")
    t.ok(r.rc != 0 and "NotFound" in r.err, "publishing to a missing topic: NotFound", r.err)
    r = aws(emu, "cloudwatch", "put-metric-data", "--namespace", "Snapkeep", "--metric-name", "SnapshotsCreated",
            "--value", "3", "--unit", "Count", "--dimensions", "Policy=prod,Region=us-east-1")
    mets = emu.metrics()
    t.ok(r.rc == 0 and any(m["MetricName"] == "SnapshotsCreated" and m["Value"] == 3.0 and m["Unit"] == "Count"
                           and {"Name": "Policy", "Value": "prod"} in m["Dimensions"] for m in mets),
         "cloudwatch put-metric-data arrives with unit and dimensions", mets)
    r = aws(emu, "cloudwatch", "list-metrics", "--namespace", "Snapkeep")
    t.ok(r.rc == 0 and [m["MetricName"] for m in out(r).get("Metrics", [])] == ["SnapshotsCreated"],
         "cloudwatch list-metrics", r)
    r = aws(emu, "sts", "get-caller-identity")
    t.is_(out(r).get("Account"), ACCOUNT, "sts get-caller-identity names the account")
    r = aws(emu, "sts", "assume-role-with-web-identity", "--role-arn", "arn:aws:iam::%s:role/snapkeep" % ACCOUNT,
            "--role-session-name", "cli", "--web-identity-token", "snapkeep-web-identity-token")
    cred = out(r).get("Credentials", {})
    t.ok(r.rc == 0 and cred.get("AccessKeyId", "").startswith("ASIA") and cred.get("SessionToken")
         and cred.get("Expiration"), "sts assume-role-with-web-identity (unsigned) answers credentials", r.err)
    if cred:
        r = aws(emu, "sts", "get-caller-identity", env={
            "AWS_ACCESS_KEY_ID": cred["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": cred["SecretAccessKey"],
            "AWS_SESSION_TOKEN": cred["SessionToken"]})
        t.is_(out(r).get("Arn"), "arn:aws:sts::%s:assumed-role/snapkeep/cli" % ACCOUNT,
              "the CLI signs with them and their session token")
    else:
        t.ok(False, "the CLI signs with them and their session token")
    r = aws(emu, "rds", "describe-db-instance-automated-backups", "--db-instance-identifier", "orders-db")
    b = out(r).get("DBInstanceAutomatedBackups", [])
    t.ok(r.rc == 0 and len(b) == 1 and b[0]["Status"] == "active" and b[0]["BackupRetentionPeriod"] == 14
         and b[0]["RestoreWindow"].get("EarliestTime") and b[0]["RestoreWindow"].get("LatestTime"),
         "describe-db-instance-automated-backups shows the RestoreWindow", r.out[:600])

    # signatures
    r = aws(emu, "rds", "describe-db-instances", env={"AWS_SECRET_ACCESS_KEY": "wrong-secret"})
    t.ok(r.rc != 0 and "SignatureDoesNotMatch" in r.err, "a request signed with a wrong secret is refused", r.err)
    r = aws(emu, "rds", "describe-db-instances", env={"AWS_ACCESS_KEY_ID": "AKIDNOBODY"})
    t.ok(r.rc != 0 and "InvalidClientTokenId" in r.err, "an unknown access key is refused", r.err)
    bad = [c for c in emu.calls()["calls"] if c.get("error") == "SignatureDoesNotMatch"]
    t.ok(bad and bad[-1]["status"] == 403, "the refusal is HTTP 403 in the call log", bad[-1:])
    log = emu.log() + json.dumps(emu.calls())
    t.ok("wrong-secret" not in log and "snapkeep-emulator-secret" not in log,
         "no secret reached the emulator's log or call log")

t.done()
