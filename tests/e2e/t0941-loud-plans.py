#!/usr/bin/env python3
"""Loud plans, against the emulator: a commit "turn off backups"
(retention 14 -> 0, replication off, deletion protection off, retain last
12 -> 7) plans a `Warning:` block per kind in text and a `warnings` array
in JSON (absent from a plan without one); apply refuses it with no
mutating call unless --allow-destructive names every kind (naming some is
not enough), and `run --once --auto-apply` refuses it and alerts;
--allow-destructive lets exactly the named kinds through and the journal
records the commit and the user; a policy or an instance dropped from the
repository since the last applied commit is a warning saying its
snapshots are orphaned, not deleted."""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

ACCOUNT = "123456789012"
T0 = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
N = 12
TOPIC = "arn:aws:sns:us-east-1:%s:backup-alerts" % ACCOUNT
ALL = "retention-zero,replication-off,deletion-protection-off,delete-many"


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def slot(k):
    return T0.replace(hour=3) - datetime.timedelta(days=k)


def snaps(instance, policy):
    return [{"id": "%s-%s" % (instance, slot(k).strftime("%Y%m%d")), "instance": instance, "type": "manual",
             "created": iso(slot(k)), "status": "available",
             "tags": {"snapkeep:policy": policy, "snapkeep:instance": instance, "snapkeep:slot": iso(slot(k))}}
            for k in range(N)]


def instance(i):
    return {"id": i, "engine": "postgres", "backupRetentionPeriod": 14, "preferredBackupWindow": "03:00-04:00",
            "preferredMaintenanceWindow": "sun:05:00-sun:06:00", "deletionProtection": True,
            "storageEncrypted": True, "tags": {"Environment": "production"}}


SEED = {
    "account": ACCOUNT,
    "clock": iso(T0),
    "config": {"createSeconds": 0, "copySeconds": 0},
    "regions": {
        "us-east-1": {"instances": [instance("orders-db"), instance("billing-db"), instance("audit-db")],
                      "snapshots": snaps("orders-db", "orders") + snaps("billing-db", "billing") +
                      snaps("audit-db", "billing"),
                      "topics": ["backup-alerts"]},
        "us-west-2": {"instances": [], "kmsKeys": ["alias/dr"]},
    },
}


def orders(retention=14, protect="true", replicate="{region: us-west-2, retentionDays: 7, kmsKeyId: alias/dr}",
           last=N):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: orders}
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  alerts: {snsTopicArn: "%s"}
  automated:
    retentionDays: %d
    applyImmediately: true
    deletionProtection: %s
    replicate: %s
  snapshots:
    schedule: "0 3 * * *"
    retain: {last: %d}
""" % (TOPIC, retention, protect, replicate, last)


def billing(instances=("billing-db", "audit-db")):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: billing}
spec:
  regions: [us-east-1]
  selector: {instances: [%s]}
  snapshots:
    schedule: "0 3 * * *"
    retain: {last: %d}
""" % (", ".join(instances), N)


def journal(state, kind):
    with open(os.path.join(state, "journal.jsonl")) as f:
        return [r for r in map(json.loads, f) if r.get("type") == kind]


work = t.tmpdir()
repo = os.path.join(work, "policies")
state = os.path.join(work, "state")

with Emulator(seed=SEED) as emu:
    env = emu.env()
    env.update({"SNAPKEEP_STATE_DIR": state, "NO_COLOR": "1", "USER": "alice"})

    def sk(*args, now=T0, **kw):
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies", "--now", iso(now)]), env=env, **kw)

    base = t.git_repo(repo, {"policies/orders.yaml": orders(), "policies/billing.yaml": billing()}, "baseline")
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 0, "the baseline applies (replication on)") or t.diag(r)
    r = sk("plan", "--output", "json")
    t.ok(r.rc == 0 and "warnings" not in r.json(), "a plan without warnings has no 'warnings' member", r)
    r = sk("plan")
    t.ok("Warning:" not in r.out, "nor a Warning: block", r.out)

    bad = t.git_commit(repo, {"policies/orders.yaml": orders(retention=0, protect="false", replicate="false",
                                                             last=7)}, "turn off backups")
    r = sk("plan")
    t.is_(r.rc, 0, "plan of the commit succeeds") or t.diag(r)
    for kind, text in [("retention-zero", "instance 'orders-db' (us-east-1): backup_retention_period 14 → 0 turns "
                        "automated backups off: AWS deletes every automated backup of it and its point-in-time window"),
                       ("replication-off", "instance 'orders-db' (us-east-1): replication of its automated backups "
                        "to us-west-2 stops"),
                       ("deletion-protection-off", "instance 'orders-db' (us-east-1): deletion protection is turned off"),
                       ("delete-many", "policy 'orders' changed its retention rules since the last applied commit "
                        "%s: it deletes 5 of the 12 snapshots it owns of instance 'orders-db' in us-east-1 (more than "
                        "25%%)" % base[:12])]:
        t.contains(r.out, "Warning: %s\n\n  %s" % (kind, text), "text: a Warning: block for %s" % kind)
    t.contains(r.out, "apply makes none of this plan without --allow-destructive=retention-zero",
               "each block says what apply needs")
    r = sk("plan", "--output", "json")
    w = r.json().get("warnings", [])
    t.is_(sorted(x["kind"] for x in w), sorted(ALL.split(",")), "JSON: a warnings array, one per kind")
    t.ok(all(x["policy"] == "orders" and x["instance"] == "orders-db" and x["message"] for x in w),
         "JSON: each names the policy, the instance and says why", w)

    # apply refuses: nothing is called
    since = emu.calls()["last"]
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 1, "apply refuses a destructive plan (exit 1)") or t.diag(r)
    t.contains(r.err, "apply refused: the plan is destructive (retention-zero: instance 'orders-db'",
               "with one line saying why")
    t.contains(r.err, "name each kind: --allow-destructive=%s; nothing was applied" % ALL, "and how to allow it")
    t.is_(emu.mutating(since, service="rds"), [], "the emulator's call log: no mutating call")

    r = sk("apply", "--auto-approve", "--allow-destructive=retention-zero,replication-off")
    t.is_(r.rc, 1, "naming some of the kinds is not enough") or t.diag(r)
    t.contains(r.err, "--allow-destructive=deletion-protection-off,delete-many;", "the refusal names the rest")
    t.is_(emu.mutating(since, service="rds"), [], "still no mutating call")
    r = sk("apply", "--auto-approve", "--allow-destructive=retention-zero,everything")
    t.ok(r.rc == 64 and "unknown kind 'everything'" in r.err, "an unknown kind is a usage error", r)

    # run --auto-apply refuses too, and alerts
    r = t.snapkeep("run", "--once", "--auto-apply", "--repo", repo, "--path", "policies", env=env)
    t.is_(r.rc, 1, "run --once --auto-apply refuses the plan") or t.diag(r)
    t.is_(emu.mutating(since, service="rds"), [], "and makes no mutating RDS call")
    msgs = [m for m in emu.sns_messages() if "allow-destructive" in m["Message"]]
    t.ok(msgs, "and alerts (SNS) with the reason", emu.sns_messages()[-1:])
    with open(os.path.join(state, "state.json")) as f:
        st = json.load(f)
    t.is_(st["lastApplied"]["commit"], base, "the refused commit is not recorded as applied")

    # exactly the named kinds: all of them
    r = sk("apply", "--auto-approve", "--allow-destructive=" + ALL)
    t.is_(r.rc, 0, "--allow-destructive naming every kind applies the plan") or t.diag(r)
    calls = emu.mutating(since, service="rds")
    t.ok("ModifyDBInstance" in calls and "StopDBInstanceAutomatedBackupsReplication" in calls and
         calls.count("DeleteDBSnapshot") == 5, "the modify, the replication stop and the 5 deletions are made", calls)
    rec = journal(state, "allow-destructive")
    t.is_(len(rec), 1, "the journal has one allow-destructive record")
    if rec:
        t.is_((rec[0]["commit"], rec[0]["user"], sorted(rec[0]["kinds"])), (bad, "alice", sorted(ALL.split(","))),
              "with the commit, the user ($USER) and the kinds allowed")
        t.ok(rec[0].get("runId") and len(rec[0]["warnings"]) == 4, "and the run and each warning", rec[0])
    r = t.snapkeep("history", env=env)
    t.ok(r.rc == 0 and any("allow-destructive" in l and "allowed" in l and "by alice at commit %s" % bad[:12] in l
                           for l in r.out.splitlines()), "snapkeep history shows who allowed it, at which commit", r)

    # one kind alone: deletion protection back on then off again
    t.git_commit(repo, {"policies/orders.yaml": orders(retention=3, protect="true", replicate="false", last=7)},
                 "protect again")
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 0, "a plan without warnings applies without --allow-destructive") or t.diag(r)
    t.git_commit(repo, {"policies/orders.yaml": orders(retention=3, protect="false", replicate="false", last=7)},
                 "unprotect")
    since = emu.calls()["last"]
    r = sk("apply", "--auto-approve", "--allow-destructive=retention-zero")
    t.ok(r.rc == 1 and "--allow-destructive=deletion-protection-off;" in r.err,
         "allowing another kind does not let deletion-protection-off through", r)
    r = sk("apply", "--auto-approve", "--allow-destructive=deletion-protection-off")
    t.is_((r.rc, emu.mutating(since, service="rds")), (0, ["ModifyDBInstance"]), "naming exactly it does")

    # what the repository dropped: an instance, then a policy
    t.git_commit(repo, {"policies/billing.yaml": billing(["billing-db"])}, "billing: audit-db no more")
    r = sk("plan")
    t.contains(r.out, "Warning: instance-removed\n\n  instance 'audit-db' (us-east-1) was selected by policy "
               "'billing' at the last applied commit", "an instance dropped from a selector is a warning")
    t.contains(r.out, "its %d snapshots are orphaned, not deleted" % N, "saying its snapshots are orphaned, not deleted")
    since = emu.calls()["last"]
    r = sk("apply", "--auto-approve")
    t.ok(r.rc == 1 and "--allow-destructive=instance-removed;" in r.err, "apply wants it allowed", r)
    r = sk("apply", "--auto-approve", "--allow-destructive=instance-removed")
    t.is_(r.rc, 0, "and applies once it is") or t.diag(r)
    t.is_(emu.mutating(since, service="rds"), [], "no snapshot of the orphaned instance is deleted")
    r = sk("plan")
    t.ok("Warning:" not in r.out, "the next plan is quiet: the commit was applied", r.out)

    t.git_commit(repo, {"policies/billing.yaml": None}, "drop billing")
    r = sk("plan", "--output", "json")
    w = r.json().get("warnings", [])
    t.ok(len(w) == 1 and w[0]["kind"] == "policy-removed" and w[0]["instance"] is None and
         ("policy 'billing' of the last applied commit") in w[0]["message"] and
         "its %d snapshots are orphaned, not deleted" % (2 * N) in w[0]["message"],
         "a policy dropped from the repository is a warning: its snapshots are orphaned, not deleted", w)
    since = emu.calls()["last"]
    r = sk("apply", "--auto-approve", "--allow-destructive=policy-removed")
    t.is_((r.rc, emu.mutating(since, service="rds")), (0, []), "allowed, it applies and deletes nothing")

t.done()
