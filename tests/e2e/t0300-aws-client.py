#!/usr/bin/env python3
"""The C client (aws/) against the emulator: every call, the retry policy
through injected throttling and a 500, giving up cleanly, and one clear
error line for bad credentials, an unreachable endpoint and bad answers.

Drives tests/tools/sk-aws (sanitized build) and checks the emulator's state
and call log, not only what the client printed."""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

TOOL = os.path.join(t.BUILD, "san", "tests", "tools", "sk-aws")
ACCOUNT = "123456789012"
SEED = {
    "account": ACCOUNT,
    "regions": {
        "us-east-1": {
            "instances": [
                {"id": "db1", "engine": "postgres", "backupRetentionPeriod": 7,
                 "preferredBackupWindow": "03:00-03:30",
                 "preferredMaintenanceWindow": "sun:05:00-sun:06:00",
                 "storageEncrypted": True,
                 "kmsKeyId": "arn:aws:kms:us-east-1:%s:key/k1" % ACCOUNT,
                 "tags": {"Environment": "production"}},
                {"id": "db0", "engine": "mysql", "backupRetentionPeriod": 0,
                 "preferredBackupWindow": "04:00-04:30",
                 "preferredMaintenanceWindow": "mon:05:00-mon:06:00"},
            ],
            "topics": ["backup-alerts"],
        },
        "us-west-2": {"instances": [], "kmsKeys": ["alias/dr"]},
    },
}


def tool(emu, *args, env=None, region="us-east-1"):
    e = emu.env()
    e["AWS_REGION"] = region
    e["AWS_MAX_ATTEMPTS"] = e.get("AWS_MAX_ATTEMPTS", "5")
    if env:
        e.update(env)
    return t.run([TOOL] + list(args), env=e, timeout=120)


def lines(res):
    return [json.loads(x) for x in res.out.splitlines() if x.strip()]


def snapshot_ids(emu, region):
    st = emu.state()
    return sorted(s["id"] for s in st["regions"][region]["snapshots"]
                  if s.get("type", "manual") == "manual")


with Emulator(seed=SEED) as emu:
    emu.config(createSeconds=3600, createDescribes=1, copySeconds=3600, copyDescribes=1)

    r = tool(emu, "describe-instances")
    got = {d["id"]: d for d in lines(r)}
    t.is_(r.rc, 0, "DescribeDBInstances succeeds")
    t.is_(sorted(got), ["db0", "db1"], "both seeded instances are listed")
    t.is_(got["db1"]["retention"], 7, "retention is read from the answer")
    t.is_(got["db1"]["tags"].get("Environment"), "production", "tags come in TagList")

    since = emu.calls()["last"]
    r = tool(emu, "modify", "db1", "retention=30", "window=03:00-04:00",
             "copy-tags=true", "deletion-protection=true")
    t.is_(r.rc, 0, "ModifyDBInstance succeeds")
    d = [x for x in emu.state()["regions"]["us-east-1"]["instances"] if x["id"] == "db1"][0]
    t.is_((d["backupRetentionPeriod"], d["preferredBackupWindow"], d["copyTagsToSnapshot"],
           d["deletionProtection"]), (30, "03:00-04:00", True, True),
          "the emulator holds every modified setting")
    calls = emu.calls(since=since)["calls"]
    t.is_([c["action"] for c in calls], ["ModifyDBInstance"], "exactly one call was made")
    t.is_(calls[0]["params"].get("ApplyImmediately"), "false", "ApplyImmediately is sent explicitly")

    r = tool(emu, "modify", "db0", "retention=7")
    inst = {d["id"]: d for d in lines(tool(emu, "describe-instances"))}
    t.ok(inst["db0"]["pending"] and inst["db0"]["pendingRetention"] == 7 and inst["db0"]["retention"] == 0,
         "0 -> 7 without ApplyImmediately waits in PendingModifiedValues", inst["db0"])

    r = tool(emu, "create-snapshot", "snapkeep-db1-20260101-0300", "db1",
             "snapkeep:policy=prod", "snapkeep:instance=db1")
    t.is_(r.rc, 0, "CreateDBSnapshot with tags succeeds")
    t.is_(lines(r)[0]["status"], "creating", "the new snapshot is creating")
    r = tool(emu, "create-snapshot", "snapkeep-db1-20260101-0300", "db1")
    t.is_(r.rc, 1, "creating the same identifier again fails")
    t.contains(r.err, "aws-error: DBSnapshotAlreadyExists 400", "the AWS code and status are reported")
    t.ok("RequestId" in r.err and len(r.err.strip().splitlines()) == 2,
         "one error line naming the RequestId, plus the code line", r.err)

    r = tool(emu, "describe-snapshots", "id=snapkeep-db1-20260101-0300")
    s = lines(r)[0]
    t.is_(s["status"], "available", "the snapshot becomes available after a describe")
    t.is_(s["tags"].get("snapkeep:policy"), "prod", "tags are stored and read back")
    arn = s["arn"]
    t.is_(arn, "arn:aws:rds:us-east-1:%s:snapshot:snapkeep-db1-20260101-0300" % ACCOUNT, "ARN as AWS forms it")

    r = tool(emu, "add-tags", arn, "Team=data", "Owner=sre")
    r2 = tool(emu, "remove-tags", arn, "Owner")
    tags = lines(tool(emu, "describe-snapshots", "id=snapkeep-db1-20260101-0300"))[0]["tags"]
    t.ok(r.rc == 0 and r2.rc == 0 and tags.get("Team") == "data" and "Owner" not in tags,
         "AddTagsToResource and RemoveTagsFromResource", tags)

    # cross-region copy of an encrypted snapshot: PreSignedUrl built by the client
    since = emu.calls()["last"]
    r = tool(emu, "copy-snapshot", "us-east-1", arn, "snapkeep-db1-20260101-0300",
             "kms=alias/dr", "snapkeep:policy=prod", "snapkeep:source=" + arn, region="us-west-2")
    t.is_(r.rc, 0, "CopyDBSnapshot across regions succeeds", ) or t.diag(r)
    calls = [c for c in emu.calls(since=since)["calls"] if c["action"] == "CopyDBSnapshot"]
    t.ok(calls and calls[0]["region"] == "us-west-2", "the copy is sent to the destination region")
    p = calls[0]["params"] if calls else {}
    t.ok("PreSignedUrl" in p and "DestinationRegion=us-west-2" in p.get("PreSignedUrl", "")
         and "us-east-1" in p.get("PreSignedUrl", ""),
         "the PreSignedUrl is a request for the source region naming the destination", p)
    t.ok("SourceRegion" not in p, "SourceRegion (an SDK convenience) is not sent on the wire")
    copy = [x for x in lines(tool(emu, "describe-snapshots", region="us-west-2"))
            if x["id"] == "snapkeep-db1-20260101-0300"]
    t.ok(copy and copy[0]["sourceRegion"] == "us-east-1" and copy[0]["source"] == arn,
         "the copy records its source", copy)
    t.ok(copy and copy[0]["originalCreated"] == s["created"],
         "the copy keeps the source's creation time", copy)

    # pagination: 45 snapshots, pages of 20
    for i in range(44):
        tool(emu, "create-snapshot", "page-%02d" % i, "db1")
    since = emu.calls()["last"]
    r = tool(emu, "describe-snapshots", "type=manual", "page=20")
    ids = [x["id"] for x in lines(r)]
    calls = [c for c in emu.calls(since=since)["calls"] if c["action"] == "DescribeDBSnapshots"]
    t.is_(len(ids), 45, "every manual snapshot is returned across pages")
    t.is_(len(calls), 3, "45 snapshots at 20 per page take 3 calls")
    t.ok(all(c["params"].get("MaxRecords") == "20" for c in calls) and "Marker" in calls[1]["params"],
         "MaxRecords and Marker are sent", calls)

    r = tool(emu, "delete-snapshot", "page-00")
    t.ok(r.rc == 0 and "page-00" not in snapshot_ids(emu, "us-east-1"), "DeleteDBSnapshot removes it")
    r = tool(emu, "delete-snapshot", "page-00")
    t.contains(r.err, "DBSnapshotNotFound", "deleting it again says DBSnapshotNotFound")

    # automated backups and their replication
    r = tool(emu, "start-replication", "us-east-1", "arn:aws:rds:us-east-1:%s:db:db1" % ACCOUNT,
             "retention=7", "kms=alias/dr", region="us-west-2")
    t.is_(r.rc, 0, "StartDBInstanceAutomatedBackupsReplication succeeds") or t.diag(r)
    b = lines(tool(emu, "describe-automated-backups", region="us-west-2"))
    t.ok(any(x["instance"] == "db1" and x["region"] == "us-east-1" and x["retention"] == 7 for x in b),
         "the replicated automated backup shows in the destination", b)
    inst = {d["id"]: d for d in lines(tool(emu, "describe-instances"))}
    t.ok(len(inst["db1"]["replications"]) == 1, "the source instance lists the replication", inst["db1"])
    r = tool(emu, "stop-replication", "arn:aws:rds:us-east-1:%s:db:db1" % ACCOUNT, region="us-west-2")
    inst = {d["id"]: d for d in lines(tool(emu, "describe-instances"))}
    t.ok(r.rc == 0 and not inst["db1"]["replications"], "StopDBInstanceAutomatedBackupsReplication", r)

    # restores and instance deletion
    r = tool(emu, "restore-snapshot", "db1-restored", "snapkeep-db1-20260101-0300")
    t.ok(r.rc == 0 and lines(r)[0]["id"] == "db1-restored", "RestoreDBInstanceFromDBSnapshot", r)
    r = tool(emu, "restore-pitr", "db1-pitr", "db1")
    t.ok(r.rc == 0 and lines(r)[0]["id"] == "db1-pitr", "RestoreDBInstanceToPointInTime", r)
    r = tool(emu, "delete-instance", "db1")
    t.contains(r.err, "InvalidParameterCombination", "a protected instance is not deleted")
    r = tool(emu, "delete-instance", "db1-pitr")
    t.is_(r.rc, 0, "DeleteDBInstance of an unprotected instance")

    # SNS, CloudWatch, STS
    r = tool(emu, "publish", "arn:aws:sns:us-east-1:%s:backup-alerts" % ACCOUNT, "snapkeep", "cycle failed")
    msgs = emu.sns_messages()
    t.ok(r.rc == 0 and any(m.get("Message") == "cycle failed" for m in msgs), "SNS Publish delivers", msgs)
    r = tool(emu, "put-metric", "Snapkeep", "SnapshotsCreated", "3", "Instance=db1")
    mets = emu.metrics()
    t.ok(r.rc == 0 and any(m.get("MetricName") == "SnapshotsCreated" for m in json.loads(json.dumps(mets))
                           if isinstance(m, dict)) or "SnapshotsCreated" in json.dumps(mets),
         "CloudWatch PutMetricData arrives", mets)
    r = tool(emu, "whoami")
    t.ok(r.rc == 0 and lines(r)[0]["account"] == ACCOUNT, "STS GetCallerIdentity", r)

    # retries: throttling and a 500 are retried until success
    emu.faults(throttle=1.0, actions=["DescribeDBInstances"], count=2)
    since = emu.calls()["last"]
    r = tool(emu, "describe-instances")
    calls = [c for c in emu.calls(since=since)["calls"] if c["action"] == "DescribeDBInstances"]
    t.ok(r.rc == 0 and len(calls) == 3 and calls[0].get("error") == "Throttling",
         "succeeds through two throttled answers (3 attempts)", calls)
    emu.faults(error500=1.0, actions=["DescribeDBInstances"], count=1)
    since = emu.calls()["last"]
    r = tool(emu, "describe-instances")
    calls = [c for c in emu.calls(since=since)["calls"] if c["action"] == "DescribeDBInstances"]
    t.ok(r.rc == 0 and len(calls) == 2 and calls[0]["status"] == 500, "succeeds after a 500", calls)
    emu.faults(throttle=1.0, actions=["DescribeDBInstances"])
    since = emu.calls()["last"]
    r = tool(emu, "describe-instances", env={"AWS_MAX_ATTEMPTS": "3"})
    calls = [c for c in emu.calls(since=since)["calls"] if c["action"] == "DescribeDBInstances"]
    t.ok(r.rc == 1 and len(calls) == 3, "gives up after AWS_MAX_ATTEMPTS=3 attempts", calls)
    t.contains(r.err, "Throttling", "and says it was throttled")
    t.contains(r.err, "after 3 attempts", "and how many attempts it made")
    emu.faults()
    emu.faults(drop=1.0, actions=["DescribeDBInstances"], count=1)
    r = tool(emu, "describe-instances")
    t.is_(r.rc, 0, "a dropped connection is retried")
    emu.faults()

    # bad credentials, one clear line each
    r = tool(emu, "describe-instances", env={"AWS_SECRET_ACCESS_KEY": "wrong-secret"})
    t.ok(r.rc == 1 and "SignatureDoesNotMatch" in r.err and "wrong-secret" not in r.err,
         "a wrong secret is refused, and the secret is not printed", r.err)
    r = tool(emu, "describe-instances", env={"AWS_ACCESS_KEY_ID": "AKIDUNKNOWN"})
    t.ok(r.rc == 1 and "InvalidClientTokenId" in r.err, "an unknown key is refused", r.err)
    r = tool(emu, "describe-instances", env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None})
    t.ok(r.rc == 1 and "credentials" in r.err.lower() and "Segmentation" not in r.err,
         "no credentials at all: one clear error", r.err)

# an unreachable endpoint
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
sock.close()
e = {"AWS_ACCESS_KEY_ID": "AKIDSNAPKEEPTEST", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1",
     "AWS_ENDPOINT_URL": "http://127.0.0.1:%d" % port, "AWS_MAX_ATTEMPTS": "2",
     "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"}
r = t.run([TOOL, "describe-instances"], env=e)
errors = [x for x in r.err.splitlines() if not x.startswith("snapkeep: warn: ")]
retries = [x for x in r.err.splitlines() if x.startswith("snapkeep: warn: ")]
t.ok(r.rc == 1 and "no answer" in r.err and "127.0.0.1:%d" % port in r.err and len(errors) == 1,
     "an unreachable endpoint gives one line naming the host", r.err)
t.is_(retries, ["snapkeep: warn: retrying DescribeDBInstances in us-east-1 (attempt 2/2): connection refused"],
      "and one warning for its one retry, saying why")

t.done()
