#!/usr/bin/env python3
"""snapkeep backup: an on-demand snapshot against the emulator.  It is
named by the naming rule (<prefix>-<instance>-<yyyymmdd-hhmmss>-ondemand),
tagged as the policy's with snapkeep:keep-until, copied with --copy,
journaled; the policy's retention keeps it until its date (the emulator
clock and --now move a month on) and then deletes it like any other owned
snapshot.  Usage errors, the prompt, and a policy that does not take
snapshots are refused with no mutating call."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

SEED = {
    "account": "123456789012",
    "regions": {
        "us-east-1": {"instances": [
            {"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 7,
             "preferredBackupWindow": "03:00-04:00", "preferredMaintenanceWindow": "sun:05:00-sun:06:00",
             "tags": {"Environment": "production"}},
            {"id": "other-db", "engine": "postgres", "backupRetentionPeriod": 7,
             "preferredBackupWindow": "03:00-04:00", "preferredMaintenanceWindow": "sun:05:00-sun:06:00"},
        ]},
        "us-west-2": {"instances": []},
    },
}
POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: orders}
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  snapshots:
    schedule: "30 4 * * *"
    retain: {last: 1}
    copies:
      - {region: us-west-2}
---
apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: other}
spec:
  regions: [us-east-1]
  selector: {instances: [other-db]}
  automated: {retentionDays: 7}
"""
ONDEMAND = "snapkeep-orders-db-20260110-120000-ondemand"


def tags(s):
    tg = s.get("tags") or {}
    return tg if isinstance(tg, dict) else {x["Key"]: x["Value"] for x in tg}


def snaps(emu, region):
    return {s["id"]: s for s in emu.state(region=region)["regions"][region]["snapshots"] if s["type"] == "manual"}


work = t.tmpdir()
repo = os.path.join(work, "policies")
with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = os.path.join(work, "state")
    env["NO_COLOR"] = "1"
    emu.config(createSeconds=0, copySeconds=0)
    t.git_repo(repo, {"policies/p.yaml": POLICY}, "orders: snapshots")

    def sk(*args, now):
        emu.clock(set=now)
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies", "--now", now]), env=env)

    r = t.snapkeep("backup", "--help")
    t.ok(r.rc == 0 and "--keep-until T" in r.out and "--copy" in r.out, "backup --help lists its options", r)
    since = emu.calls()["last"]
    r = sk("backup", "--auto-approve", now="2026-01-10T12:00:00Z")
    t.ok(r.rc == 64 and "--instance is required" in r.err, "--instance is required (64)", r)
    r = sk("backup", "--instance", "orders-db", "--keep-for", "90d", "--keep-until", "2026-02-01", now="2026-01-10T12:00:00Z")
    t.ok(r.rc == 64 and "give one" in r.err, "--keep-for with --keep-until is bad usage", r)
    r = sk("backup", "--instance", "orders-db", "--keep-for", "1m", now="2026-01-10T12:00:00Z")
    t.ok(r.rc == 64 and "days or hours" in r.err, "--keep-for takes days or hours", r)
    r = sk("backup", "--instance", "orders-db", "--keep-until", "2025-01-01", "--auto-approve",
           now="2026-01-10T12:00:00Z")
    t.ok(r.rc == 1 and "not in the future" in r.err, "a keep-until in the past is refused", r)
    r = sk("backup", "--instance", "other-db", "--auto-approve", now="2026-01-10T12:00:00Z")
    t.ok(r.rc == 1 and "policy with snapshots selects instance 'other-db'" in r.err,
         "an instance whose policy takes no snapshots is refused", r)
    r = sk("backup", "--instance", "orders-db", "--keep-until", "2026-02-01", now="2026-01-10T12:00:00Z")
    t.ok(r.rc == 1 and "--auto-approve" in r.err, "without a terminal, backup wants --auto-approve as apply does", r)
    t.is_(emu.mutating(since), [], "none of the refused backups made a mutating call")

    r = sk("backup", "--instance", "orders-db", "--keep-until", "2026-02-01", "--copy", "--auto-approve",
           now="2026-01-10T12:00:00Z")
    t.is_(r.rc, 0, "backup --keep-until --copy succeeds") or t.diag(r)
    t.contains(r.out, "+ db-snapshot %s (us-east-1)" % ONDEMAND, "the plan shows the snapshot, named by the naming rule")
    t.contains(r.out, "kept until 2026-02-01T00:00:00Z", "and why it is kept")
    t.is_(emu.mutating(since), ["CreateDBSnapshot", "CopyDBSnapshot"], "one create, then one copy")
    east, west = snaps(emu, "us-east-1"), snaps(emu, "us-west-2")
    t.ok(ONDEMAND in east, "the snapshot exists in us-east-1", sorted(east))
    tg = tags(east.get(ONDEMAND, {}))
    t.is_((tg.get("snapkeep:policy"), tg.get("snapkeep:instance"), tg.get("snapkeep:keep-until")),
          ("orders", "orders-db", "2026-02-01T00:00:00Z"), "tagged as the policy's, with snapkeep:keep-until")
    copy = ONDEMAND + "-us-east-1"
    t.ok(copy in west, "--copy copied it to the policy's copy region", sorted(west))
    t.is_(tags(west.get(copy, {})).get("snapkeep:keep-until"), "2026-02-01T00:00:00Z", "the copy is held as long")
    r = t.snapkeep("history", "--instance", "orders-db", "--output", "json", env=env)
    t.ok(r.rc == 0 and ONDEMAND in r.out, "the journal records the backup", r)

    # the scheduled snapshots come; last: 1 keeps the newest (and the newest available), the on-demand one is held
    for day in ("2026-01-11", "2026-01-12", "2026-01-13"):
        r = sk("apply", "--auto-approve", "--allow-mass-delete", now=day + "T05:00:00Z")
        t.is_(r.rc, 0, "apply on %s" % day) or t.diag(r)
    east = snaps(emu, "us-east-1")
    t.ok(ONDEMAND in east, "retention keeps the on-demand snapshot before its date", sorted(east))
    t.ok("snapkeep-orders-db-20260111-0430" not in east and "snapkeep-orders-db-20260113-0430" in east,
         "while last: 1 deletes an older scheduled one", sorted(east))
    r = sk("plan", "--verbose", now="2026-01-13T06:00:00Z")
    t.contains(r.out, "= %s (us-east-1): keep-until" % ONDEMAND, "plan --verbose names the hold")

    r = sk("apply", "--auto-approve", "--allow-mass-delete", now="2026-02-02T05:00:00Z")
    t.is_(r.rc, 0, "apply after the date") or t.diag(r)
    t.contains(r.out, "- db-snapshot %s (us-east-1)" % ONDEMAND, "after its date it is deleted like any other")
    east, west = snaps(emu, "us-east-1"), snaps(emu, "us-west-2")
    t.ok(ONDEMAND not in east, "gone from us-east-1", sorted(east))
    t.ok(copy in west, "its copy follows the copies' own rules (none here: kept)", sorted(west))
t.done()
