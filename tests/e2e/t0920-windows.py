#!/usr/bin/env python3
"""Window sanity at plan time, against the emulator: a policy's backup
window that overlaps an instance's maintenance window (as they will be
after apply: snapkeep never moves the maintenance window) fails the plan
with an error naming both windows and the policy's file:line:col, before
any call; apply refuses the same way (the call log shows no
ModifyDBInstance).  Windows that only touch are fine, and the emulator,
which enforces AWS's rule, accepts them.  Midnight and the week wrap; a
window under 30 minutes is refused with the policy's location."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

SEED = {"account": "123456789012", "regions": {"us-east-1": {"instances": [
    {"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 7, "preferredBackupWindow": "03:00-04:00",
     "preferredMaintenanceWindow": "sun:05:00-sun:06:00"},
    {"id": "night-db", "engine": "postgres", "backupRetentionPeriod": 7, "preferredBackupWindow": "03:00-04:00",
     "preferredMaintenanceWindow": "sun:23:30-mon:00:30"},
]}}}


def policy(name, instance, window):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: %s}
spec:
  regions: [us-east-1]
  selector: {instances: [%s]}
  automated:
    window: "%s"
""" % (name, instance, window)


work = t.tmpdir()
repo = os.path.join(work, "policies")
with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = os.path.join(work, "state")
    env["NO_COLOR"] = "1"
    src = ["--repo", repo, "--path", "policies"]

    def sk(*args):
        return t.snapkeep(*(list(args) + src), env=env)

    t.git_repo(repo, {"policies/orders.yaml": policy("orders", "orders-db", "05:30-06:30")}, "orders: overlap")
    since = emu.calls()["last"]
    r = sk("validate")
    t.is_(r.rc, 0, "validate alone cannot know the maintenance window: the policy is valid") or t.diag(r)
    r = sk("plan")
    t.is_(r.rc, 1, "a backup window overlapping the maintenance window fails the plan") or t.diag(r)
    t.contains(r.err, "policies/orders.yaml:8:13: policy 'orders': instance 'orders-db' in us-east-1: "
               "backup window '05:30-06:30' overlaps maintenance window 'sun:05:00-sun:06:00'",
               "the error names both windows and the policy's file:line:col")
    t.contains(r.err, "InvalidParameterCombination", "and the refusal RDS would give")
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 1, "apply refuses the same plan") or t.diag(r)
    t.contains(r.err, "overlaps maintenance window", "with the same error")
    t.is_(emu.mutating(since), [], "no mutating call was made (it used to fail only at ModifyDBInstance)")

    # touching is not overlapping: AWS (and the emulator) accept it
    t.git_commit(repo, {"policies/orders.yaml": policy("orders", "orders-db", "04:00-05:00")}, "orders: touching")
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 0, "a window that ends where the maintenance window starts is applied") or t.diag(r)
    t.is_(emu.mutating(since), ["ModifyDBInstance"], "the emulator (AWS's rule) accepts it")
    inst = {i["id"]: i for i in emu.state(region="us-east-1")["regions"]["us-east-1"]["instances"]}
    t.is_(inst["orders-db"]["preferredBackupWindow"], "04:00-05:00", "the window is in place")

    # midnight and the week: sun:23:30-mon:00:30 meets a daily 00:00-01:00 on Monday
    t.git_commit(repo, {"policies/orders.yaml": policy("orders", "orders-db", "04:00-05:00"),
                        "policies/night.yaml": policy("night", "night-db", "00:00-01:00")}, "night: wraps")
    since = emu.calls()["last"]
    r = sk("plan")
    t.is_(r.rc, 1, "a window meeting a maintenance window that wraps the week fails") or t.diag(r)
    t.contains(r.err, "backup window '00:00-01:00' overlaps maintenance window 'sun:23:30-mon:00:30'",
               "named, both")
    t.git_commit(repo, {"policies/night.yaml": policy("night", "night-db", "23:00-23:30")}, "night: before")
    r = sk("plan", "--detailed-exitcode")
    t.is_(r.rc, 2, "23:00-23:30 touches sun:23:30: planned as a change") or t.diag(r)
    t.contains(r.out, "preferred_backup_window: 03:00-04:00 → 23:00-23:30", "the change")
    t.git_commit(repo, {"policies/night.yaml": policy("night", "night-db", "23:50-00:10")}, "night: short")
    r = sk("plan")
    t.is_(r.rc, 1, "a window under 30 minutes (wrapping midnight) is refused") or t.diag(r)
    t.contains(r.err + r.out, "policies/night.yaml:8:13: policy 'night': window '23:50-00:10' must be at least 30 minutes",
               "at the policy's file:line:col")
    t.is_(emu.mutating(since), [], "no mutating call")
t.done()
