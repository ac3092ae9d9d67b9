#!/usr/bin/env python3
"""`snapkeep backup` of an Aurora cluster: CreateDBClusterSnapshot of the
cluster (never CreateDBSnapshot), tagged as the cluster policy's with its
keep-until, copied with CopyDBClusterSnapshot to the policy's copy region
from the cluster snapshot's ARN; apply then keeps it.  RDS names instances
and clusters apart: an instance of the same id that no policy snapshots
does not make the name ambiguous, one that a policy does needs --policy;
a cluster's member instance is managed through its cluster and refused."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

ACCOUNT = "123456789012"
NOW = "2026-06-01T00:00:00Z"
SEED = {
    "account": ACCOUNT,
    "clock": NOW,
    "config": {"createSeconds": 0, "copySeconds": 0},
    "regions": {
        "us-east-1": {
            "clusters": [{"id": "ledger", "members": ["ledger-1"], "backupRetentionPeriod": 7,
                          "storageEncrypted": True, "created": "2026-01-01T00:00:00Z", "tags": {"tier": "gold"}}],
            # an instance that happens to share the cluster's name (RDS keeps the two apart)
            "instances": [{"id": "ledger", "backupRetentionPeriod": 7, "tags": {"tier": "bronze"}}],
        },
        "us-west-2": {"kmsKeys": ["alias/dr"]},
    },
}
CLUSTERS = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: ledger}
spec:
  regions: [us-east-1]
  selector: {tags: {tier: gold}, kind: cluster}
  snapshots:
    schedule: "30 3 * * *"
    retain: {daily: 3}
    copies:
      - {region: us-west-2, kmsKeyId: alias/dr}
"""
INSTANCES = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: bronze}
spec:
  regions: [us-east-1]
  selector: {tags: {tier: bronze}}
  snapshots:
    schedule: "0 2 * * *"
    retain: {last: 2}
"""


def manual(emu, region, kind="clusterSnapshots"):
    st = emu.state(region=region)["regions"].get(region) or {}
    return {s["id"]: s.get("tags", {}) for s in st.get(kind, []) if s["type"] == "manual"}


work = t.tmpdir()
repo = os.path.join(work, "policies")
t.git_repo(repo, {"policies/ledger.yaml": CLUSTERS}, "ledger: Aurora backups")
with Emulator(seed=SEED) as emu:
    env = emu.env()
    env.update({"SNAPKEEP_STATE_DIR": os.path.join(work, "state"), "NO_COLOR": "1"})

    def sk(*args):
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies", "--now", NOW]), env=env)

    since = emu.calls()["last"]
    r = sk("backup", "--instance", "ledger", "--copy", "--keep-for", "90d", "--auto-approve")
    t.is_(r.rc, 0, "backup --instance ledger (a cluster) --copy: exit 0")
    t.ok("+ db-cluster-snapshot snapkeep-ledger-20260601-000000-ondemand (us-east-1)" in r.out and
         "+ db-cluster-snapshot snapkeep-ledger-20260601-000000-ondemand-us-east-1 (us-west-2)" in r.out,
         "the plan shows a cluster snapshot and its cluster copy", r)
    made = [c for c in emu.calls(since=since)["calls"] if c.get("mutating")]
    t.is_([c["action"] for c in made], ["CreateDBClusterSnapshot", "CopyDBClusterSnapshot"],
          "CreateDBClusterSnapshot, then CopyDBClusterSnapshot: no instance call")
    t.is_(made[0]["params"].get("DBClusterIdentifier") if made else None, "ledger", "of the cluster ledger")
    src = made[1]["params"].get("SourceDBClusterSnapshotIdentifier", "") if len(made) > 1 else ""
    t.is_(src, "arn:aws:rds:us-east-1:%s:cluster-snapshot:snapkeep-ledger-20260601-000000-ondemand" % ACCOUNT,
          "the copy names its source by the cluster snapshot's ARN")
    tags = manual(emu, "us-east-1").get("snapkeep-ledger-20260601-000000-ondemand", {})
    t.ok(tags.get("snapkeep:policy") == "ledger" and tags.get("snapkeep:instance") == "ledger" and
         tags.get("snapkeep:keep-until") == "2026-08-30T00:00:00Z", "tagged as the cluster policy's, kept 90 days",
         tags)
    t.ok("snapkeep-ledger-20260601-000000-ondemand-us-east-1" in manual(emu, "us-west-2"), "the copy is in us-west-2")
    t.is_(manual(emu, "us-east-1", "snapshots"), {}, "no DB snapshot of the instance that shares the name")

    r = sk("plan", "--output", "json")
    deletes = [a for a in r.json().get("actions", []) if a["action"] == "delete"] if r.rc == 0 else None
    t.is_(deletes, [], "the next plan deletes neither the backup nor its copy")

    # a policy that snapshots the instance of the same name: the id is ambiguous until --policy says which
    t.git_commit(repo, {"policies/bronze.yaml": INSTANCES}, "bronze: the instance too")
    r = sk("backup", "--instance", "ledger", "--auto-approve")
    t.ok(r.rc == 1 and "'ledger' is both a DB instance and an Aurora cluster" in r.err and "--policy" in r.err,
         "both kinds snapshotted by a policy: refused, naming --policy", r)
    since = emu.calls()["last"]
    r = sk("backup", "--instance", "ledger", "--policy", "bronze", "--auto-approve")
    made = [c["action"] for c in emu.calls(since=since)["calls"] if c.get("mutating")]
    t.ok(r.rc == 0 and made == ["CreateDBSnapshot"], "--policy bronze: the instance's DB snapshot", (r, made))
    r = sk("backup", "--instance", "ledger-1", "--auto-approve")
    t.ok(r.rc == 1 and "no policy with snapshots selects instance 'ledger-1'" in r.err,
         "a cluster member is backed up through its cluster: refused", r)
t.done()
