#!/usr/bin/env python3
"""Policy from git -> plan -> apply for the instance-level backup settings,
against the emulator: a commit changing retentionDays 7 -> 30 gives exactly
one modify action; apply makes it; the next plan is empty (exit 0 under
--detailed-exitcode); planning the older ref shows the reverse; invalid
policies, missing instances and conflicting policies fail clearly with no
mutating call; pending changes, AWS Backup ownership, unmanaged instances,
replication, JSON output and the apply prompt."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

ACCOUNT = "123456789012"
SEED = {
    "account": ACCOUNT,
    "regions": {
        "us-east-1": {
            "instances": [
                {"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 7,
                 "preferredBackupWindow": "03:00-04:00",
                 "preferredMaintenanceWindow": "sun:05:00-sun:06:00",
                 "copyTagsToSnapshot": True, "deletionProtection": True,
                 "storageEncrypted": True, "kmsKeyId": "arn:aws:kms:us-east-1:%s:key/k1" % ACCOUNT,
                 "tags": {"Environment": "production"}},
                {"id": "billing-db", "engine": "postgres", "backupRetentionPeriod": 0,
                 "preferredBackupWindow": "01:00-01:30",
                 "preferredMaintenanceWindow": "mon:05:00-mon:06:00",
                 "tags": {"Environment": "staging"}},
                {"id": "backup-owned-db", "engine": "mysql", "backupRetentionPeriod": 14,
                 "preferredBackupWindow": "02:00-02:30",
                 "preferredMaintenanceWindow": "tue:05:00-tue:06:00",
                 "awsBackupRecoveryPointArn": "arn:aws:backup:us-east-1:%s:recovery-point:continuous:db-x" % ACCOUNT,
                 "tags": {"Environment": "legacy"}},
                {"id": "scratch-db", "engine": "mysql", "backupRetentionPeriod": 1,
                 "preferredBackupWindow": "04:00-04:30",
                 "preferredMaintenanceWindow": "wed:05:00-wed:06:00"},
            ],
        },
        "us-west-2": {"instances": [], "kmsKeys": ["alias/dr"]},
    },
}


def policy(name, instances=None, tags=None, retention=7, extra=""):
    sel = ("instances: [%s]" % ", ".join(instances)) if instances else \
        "tags: {%s}" % ", ".join("%s: %s" % kv for kv in tags.items())
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata:
  name: %s
spec:
  regions: [us-east-1]
  selector: {%s}
  automated:
    retentionDays: %d
    window: "03:00-04:00"
%s""" % (name, sel, retention, extra)


work = t.tmpdir()
repo = os.path.join(work, "policies")
state = os.path.join(work, "state")

with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = state
    env["NO_COLOR"] = "1"

    def sk(*args, **kw):
        return t.snapkeep(*args, env=env, **kw)

    first = t.git_repo(repo, {"policies/orders.yaml": policy("orders", instances=["orders-db"])},
                       "orders: 7-day PITR")
    r = sk("validate", "--repo", repo, "--path", "policies")
    t.is_(r.rc, 0, "validate accepts the policy") or t.diag(r)
    t.contains(r.out, first[:12], "validate names the commit")

    since = emu.calls()["last"]
    r = sk("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode")
    t.is_(r.rc, 0, "a policy matching live settings plans no changes (exit 0)") or t.diag(r)
    t.contains(r.out, "No changes.", "and says so")
    t.contains(r.out, "scratch-db", "an instance no policy selects is reported")
    calls = emu.calls(since=since)["calls"]
    t.is_(sorted(set(c["action"] for c in calls)), ["DescribeDBInstances", "DescribeDBSnapshots"],
          "plan makes only list calls")
    t.ok(not emu.mutating(since), "plan mutates nothing")

    second = t.git_commit(repo, {"policies/orders.yaml": policy("orders", instances=["orders-db"], retention=30)},
                          "orders: 30-day PITR")
    r = sk("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode")
    t.is_(r.rc, 2, "a changed policy plans changes (exit 2)") or t.diag(r)
    t.contains(r.out, "~ db-instance orders-db (us-east-1)", "Terraform-style resource line")
    t.contains(r.out, "backup_retention_period: 7 → 30", "before → after")
    t.contains(r.out, "Plan: 0 to create, 1 to change, 0 to delete.", "summary line")
    t.contains(r.out, second[:12], "the plan names the commit")
    t.contains(r.out, "orders: 30-day PITR", "and its subject")

    r = sk("plan", "--repo", repo, "--path", "policies", "--output", "json")
    j = r.json()
    acts = j["actions"]
    t.is_(len(acts), 1, "exactly one action")
    t.is_((acts[0]["action"], acts[0]["target"], acts[0]["region"], acts[0]["backupRetentionPeriod"]),
          ("modify", "orders-db", "us-east-1", 30), "a modify of orders-db's retention to 30")
    t.is_(acts[0]["changes"], [{"field": "backup_retention_period", "before": "7", "after": "30"}],
          "one change with before and after")
    t.is_((j["format"], j["commit"], j["summary"]), ("snapkeep-plan/v1", second, {"create": 0, "change": 1, "delete": 0}),
          "JSON plan: format, commit, summary")

    r = sk("apply", "--repo", repo, "--path", "policies")
    t.ok(r.rc == 1 and "--auto-approve" in r.err, "apply without a terminal refuses without --auto-approve", r)

    since = emu.calls()["last"]
    r = sk("apply", "--repo", repo, "--path", "policies", "--auto-approve")
    t.is_(r.rc, 0, "apply succeeds") or t.diag(r)
    t.is_(emu.mutating(since), ["ModifyDBInstance"], "apply makes exactly the planned call")
    inst = [i for i in emu.state()["regions"]["us-east-1"]["instances"] if i["id"] == "orders-db"][0]
    t.is_(inst["backupRetentionPeriod"], 30, "the instance now keeps 30 days")

    r = sk("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode")
    t.is_(r.rc, 0, "the next plan is empty and exits 0 under --detailed-exitcode") or t.diag(r)
    t.contains(r.out, "No changes.", "No changes.")

    r = sk("plan", "--repo", repo, "--path", "policies", "--ref", first, "--output", "json")
    acts = r.json()["actions"]
    t.ok(len(acts) == 1 and acts[0]["changes"][0]["before"] == "30" and acts[0]["changes"][0]["after"] == "7",
         "planning the older ref shows the reverse (30 → 7)", acts)
    r = sk("plan", "--repo", repo, "--path", "policies", "--ref", "HEAD~1", "--output", "json")
    t.is_(r.json()["commit"], first, "--ref accepts revision expressions")

    # an invalid policy: refused with file:line:col, and nothing is called
    bad = policy("orders", instances=["orders-db"], retention=40)
    t.git_commit(repo, {"policies/orders.yaml": bad}, "oops")
    since = emu.calls()["last"]
    r = sk("plan", "--repo", repo, "--path", "policies")
    t.is_(r.rc, 1, "an invalid policy fails the plan")
    t.contains(r.err, "policies/orders.yaml:9:", "the error names file:line")
    t.contains(r.err, "retentionDays", "and the field")
    r = sk("apply", "--repo", repo, "--path", "policies", "--auto-approve")
    t.is_(r.rc, 1, "and the apply")
    t.is_(emu.calls(since=since)["calls"], [], "no AWS call at all was made for an invalid policy")
    r = sk("validate", "--repo", repo, "--path", "policies", "--output", "json")
    j = r.json()
    t.ok(r.rc == 1 and not j["valid"] and j["errors"][0]["line"] == 9, "validate --output json reports it", j)

    # a selector naming a missing instance
    t.git_commit(repo, {"policies/orders.yaml": policy("orders", instances=["orders-db", "ghost-db"], retention=30)},
                 "ghost")
    since = emu.calls()["last"]
    r = sk("plan", "--repo", repo, "--path", "policies")
    t.ok(r.rc == 1 and "instance 'ghost-db' not found in us-east-1" in r.err and "policies/orders.yaml:" in r.err,
         "a missing instance fails clearly, with its location", r.err)
    r = sk("apply", "--repo", repo, "--path", "policies", "--auto-approve")
    t.ok(r.rc == 1 and not emu.mutating(since), "and apply mutates nothing", r)

    # two policies conflicting on one instance (one by name, one by tag)
    t.git_commit(repo, {"policies/orders.yaml": policy("orders", instances=["orders-db"], retention=30),
                        "policies/prod.yaml": policy("prod", tags={"Environment": "production"}, retention=14)},
                 "conflict")
    r = sk("plan", "--repo", repo, "--path", "policies")
    t.ok(r.rc == 1 and "'orders'" in r.err and "'prod'" in r.err and "orders-db" in r.err and "conflict" in r.err,
         "two policies conflicting on one instance fail, naming both", r.err)
    r = sk("validate", "--repo", repo, "--path", "policies")
    t.is_(r.rc, 0, "validate cannot see tag selectors' instances: the conflict is found by plan")

    # pending changes: 0 -> 7 without applyImmediately waits for the maintenance window
    t.git_commit(repo, {"policies/prod.yaml": None,
                        "policies/billing.yaml": policy("billing", instances=["billing-db"], retention=7)},
                 "billing: turn on backups")
    since = emu.calls()["last"]
    r = sk("apply", "--repo", repo, "--path", "policies", "--auto-approve")
    t.is_(r.rc, 0, "turning backups on is applied") or t.diag(r)
    t.contains(r.out, "maintenance window", "and the plan says it waits for the maintenance window")
    r = sk("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode")
    t.ok(r.rc == 0 and "pending until the maintenance window" in r.out,
         "a change already pending shows as pending, not as a new action", r)
    t.git_commit(repo, {"policies/billing.yaml": policy("billing", instances=["billing-db"], retention=7,
                                                         extra="    applyImmediately: true\n")},
                 "billing: now")
    r = sk("plan", "--repo", repo, "--path", "policies", "--output", "json")
    acts = r.json()["actions"]
    t.ok(len(acts) == 1 and acts[0]["applyImmediately"] is True,
         "with applyImmediately the pending change is asked for at once", acts)

    # AWS Backup owns an instance's automated backups: reported, not fought over
    t.git_commit(repo, {"policies/legacy.yaml": policy("legacy", instances=["backup-owned-db"], retention=30)},
                 "legacy")
    r = sk("plan", "--repo", repo, "--path", "policies", "--output", "json")
    j = r.json()
    t.ok(not [a for a in j["actions"] if a["target"] == "backup-owned-db"] and
         [n for n in j["notes"] if n["kind"] == "external" and n["instance"] == "backup-owned-db"],
         "an instance AWS Backup manages is reported as externally owned, with no action", j)

    # replication of automated backups to the DR region
    t.git_commit(repo, {"policies/legacy.yaml": None,
                        "policies/billing.yaml": None,
                        "policies/orders.yaml": policy(
                            "orders", instances=["orders-db"], retention=30,
                            extra="    replicate: {region: us-west-2, retentionDays: 7, kmsKeyId: alias/dr}\n")},
                 "orders: replicate")
    r = sk("plan", "--repo", repo, "--path", "policies", "--output", "json")
    acts = r.json()["actions"]
    t.ok([a["action"] for a in acts] == ["start-replication"] and acts[0]["region"] == "us-west-2",
         "replication to the DR region is planned in the destination region", acts)
    # the commit drops the billing policy applied before: a loud plan (t0941), allowed here
    r = sk("apply", "--repo", repo, "--path", "policies", "--auto-approve", "--allow-destructive=policy-removed")
    t.is_(r.rc, 0, "apply starts the replication") or t.diag(r)
    r = sk("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode")
    t.is_(r.rc, 0, "and the next plan is empty") or t.diag(r)
    t.git_commit(repo, {"policies/orders.yaml": policy(
        "orders", instances=["orders-db"], retention=30,
        extra="    replicate: {region: us-west-2, retentionDays: 14, kmsKeyId: alias/dr}\n")}, "replica 14 days")
    r = sk("plan", "--repo", repo, "--path", "policies", "--output", "json")
    t.is_([a["action"] for a in r.json()["actions"]], ["stop-replication", "start-replication"],
          "changing the replica's retention stops and starts it")
    t.git_commit(repo, {"policies/orders.yaml": policy(
        "orders", instances=["orders-db"], retention=30, extra="    replicate: false\n")}, "no replica")
    r = sk("apply", "--repo", repo, "--path", "policies", "--auto-approve", "--allow-destructive=replication-off")
    r2 = sk("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode")
    inst = [i for i in emu.state()["regions"]["us-east-1"]["instances"] if i["id"] == "orders-db"][0]
    t.ok(r.rc == 0 and r2.rc == 0 and not inst.get("replications"), "replicate: false stops it", (r, inst))

    # help and version
    for cmd in ["validate", "plan", "apply", "show", "inventory", "history", "force-unlock", "run",
                "iam-policy", "whoami"]:
        r = sk(cmd, "--help")
        t.ok(r.rc == 0 and r.out.startswith("usage: snapkeep " + cmd) and "Exit codes" in r.out,
             "%s --help documents usage and exit codes" % cmd, r)
    r = sk("--version")
    t.ok(r.rc == 0 and r.out.startswith("snapkeep "), "--version")
    r = sk("plan", "--bogus")
    t.is_(r.rc, 64, "an unknown option is a usage error (64)")

t.done()
