#!/usr/bin/env python3
"""spec.suspend and selector.exclude against the emulator.  A suspended
policy still plans its drift (each action marked "Suspended:", and
"suspended": true in JSON), but apply and run --once --auto-apply make no
mutating call (the emulator's call log proves it) and say so in their
output, log and journal; resuming it applies the same plan.  A tag
selector's exclude keeps restore-test instances out, by name and by tag,
in the plan and in apply."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator


def inst(i, tags):
    return {"id": i, "engine": "postgres", "backupRetentionPeriod": 7, "preferredBackupWindow": "03:00-04:00",
            "preferredMaintenanceWindow": "sun:05:00-sun:06:00", "tags": tags}


SEED = {"account": "123456789012", "regions": {"us-east-1": {"instances": [
    inst("staging-a", {"Environment": "staging"}),
    inst("staging-restore-test", {"Environment": "staging"}),
    inst("staging-restored-by-hand", {"Environment": "staging", "Purpose": "restore-test"}),
    inst("prod-db", {"Environment": "production"}),
]}}}


def policy(suspend):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: staging}
spec:
  regions: [us-east-1]
  selector:
    tags: {Environment: staging}
    exclude:
      instances: [staging-restore-test]
      tags: {Purpose: restore-test}
  suspend: %s
  automated: {retentionDays: 14}
  snapshots:
    schedule: "@daily"
    retain: {daily: 7}
""" % ("true" if suspend else "false")


def mutating(emu, since):
    """RDS's mutating calls (run's CloudWatch metrics are not a change to backups)"""
    return [(c["action"], c["params"].get("DBInstanceIdentifier") or c["params"].get("DBSnapshotIdentifier"))
            for c in emu.calls(since=since)["calls"] if c.get("mutating") and c.get("service") == "rds"]


work = t.tmpdir()
repo = os.path.join(work, "policies")
with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = os.path.join(work, "state")
    env["NO_COLOR"] = "1"
    src = ["--repo", repo, "--path", "policies"]

    def sk(*args):
        return t.snapkeep(*(list(args) + src), env=env)

    t.git_repo(repo, {"policies/staging.yaml": policy(True)}, "staging: suspended")
    since = emu.calls()["last"]
    r = sk("plan", "--detailed-exitcode")
    t.is_(r.rc, 2, "a suspended policy's drift is still a change (exit 2)") or t.diag(r)
    t.contains(r.out, "~ db-instance staging-a (us-east-1)", "the selected instance's drift is planned")
    t.contains(r.out, "backup_retention_period: 7 → 14", "with before and after")
    t.contains(r.out, "Suspended: the policy says spec.suspend: true; apply makes no call", "marked suspended")
    t.contains(r.out, "; 2 of them suspended (spec.suspend): apply makes none of those.", "the summary says so")
    t.ok("staging-restore-test" not in r.out.split("Notes:")[0] and
         "staging-restored-by-hand" not in r.out.split("Notes:")[0],
         "excluded instances (by name, by tag) get no action", r)
    t.contains(r.out, "'staging-restore-test', 'staging-restored-by-hand'", "they are reported as unselected")

    r = sk("plan", "--output", "json")
    j = r.json()
    t.is_(sorted((a["action"], a["target"], a.get("suspended")) for a in j["actions"]),
          [("create", a["target"], True) for a in j["actions"] if a["action"] == "create"] +
          [("modify", "staging-a", True)], "JSON: every action carries suspended: true")
    t.is_(j["summary"].get("suspended"), 2, "JSON summary counts the suspended actions")
    t.is_([p["instances"] for p in j["policies"]], [[{"region": "us-east-1", "id": "staging-a"}]],
          "JSON: the policy selects staging-a only")

    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 0, "apply of a suspended policy succeeds") or t.diag(r)
    t.contains(r.out, "modify staging-a (us-east-1): suspended", "each action ends 'suspended'")
    t.contains(r.out, "2 suspended (spec.suspend), not made", "the result line says so")
    r = sk("run", "--once", "--auto-apply")
    t.is_(r.rc, 0, "run --once --auto-apply with a suspended policy exits 0") or t.diag(r)
    t.contains(r.err + r.out, "suspended", "run's output says the actions were suspended")
    t.is_(mutating(emu, since), [], "the call log: no mutating RDS call from plan, apply or run while suspended")
    r = t.snapkeep("history", "--output", "json", env=env)
    recs = [json.loads(x) for x in r.out.splitlines() if x.strip()] if not r.out.lstrip().startswith("[") \
        else json.loads(r.out)
    t.ok(any("suspended" in json.dumps(x) for x in recs), "the journal records the suspended actions", r.out[:2000])
    inst_state = {i["id"]: i for i in emu.state(region="us-east-1")["regions"]["us-east-1"]["instances"]}
    t.is_(inst_state["staging-a"]["backupRetentionPeriod"], 7, "live settings are untouched")

    t.git_commit(repo, {"policies/staging.yaml": policy(False)}, "staging: resume")
    since = emu.calls()["last"]
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 0, "apply after resuming") or t.diag(r)
    t.ok("Suspended:" not in r.out, "nothing is marked suspended any more", r)
    calls = mutating(emu, since)
    t.ok(("ModifyDBInstance", "staging-a") in calls and any(c[0] == "CreateDBSnapshot" for c in calls),
         "resumed: the modify and the snapshot are made", calls)
    t.ok(not [c for c in calls if c[1] and ("restore" in c[1] or "prod" in c[1])],
         "excluded and unselected instances are never touched", calls)
    r = sk("validate")
    t.is_(r.rc, 0, "the policy validates") or t.diag(r)
t.done()
