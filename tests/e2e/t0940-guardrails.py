#!/usr/bin/env python3
"""Guardrails from the deployment (--guardrails FILE, SNAPKEEP_GUARDRAILS),
against the emulator: one commit "turn off backups" (retention 14 -> 3,
replication off, deletion protection off, retain last 45 -> 23) is planned
with each action that crosses a guardrail refused and the guardrail named,
in text and JSON, exit 3 under --detailed-exitcode; apply makes none of the
refused calls (the emulator's call log); the deletion budget (10% per 24 h)
holds across 10 consecutive runs, `run --once` and an emulator restart,
and opens again after 24 h; a guardrails file with an error fails with
file:line:col; without guardrails the same commit would do it all."""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

ACCOUNT = "123456789012"
# the wall clock's hour: `run` plans at the wall clock (it has no --now), and its deletions must fall in the window
T0 = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
HOUR = (T0 - datetime.timedelta(hours=1)).hour
N = 45


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def slot(k):
    return T0 - datetime.timedelta(hours=1, days=k)


SNAPS = [{"id": "orders-db-%s" % slot(k).strftime("%Y%m%d-%H%M"), "instance": "orders-db", "type": "manual",
          "created": iso(slot(k)), "status": "available",
          "tags": {"snapkeep:policy": "orders", "snapkeep:instance": "orders-db", "snapkeep:slot": iso(slot(k))}}
         for k in range(N)]

SEED = {
    "account": ACCOUNT,
    "clock": iso(T0),
    "config": {"createSeconds": 0, "copySeconds": 0},
    "regions": {
        "us-east-1": {
            "instances": [
                {"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 14,
                 "preferredBackupWindow": "03:00-04:00", "preferredMaintenanceWindow": "sun:05:00-sun:06:00",
                 "copyTagsToSnapshot": True, "deletionProtection": True, "storageEncrypted": True,
                 "tags": {"Environment": "production"}},
            ],
            "snapshots": SNAPS,
        },
        "us-west-2": {"instances": [], "kmsKeys": ["alias/dr"]},
    },
}

GUARDRAILS = """apiVersion: snapkeep/v1
kind: Guardrails
spec:
  rules:
    - selector: {tags: {Environment: production}}
      minRetentionDays: 7
      requireReplication: true
      requireDeletionProtection: true
      minRetention: 7d
      deletionBudget: {percent: 10, window: 24h}
    - minSnapshots: 3
"""


def policy(retention=14, protect="true", replicate="{region: us-west-2, retentionDays: 7, kmsKeyId: alias/dr}",
           last=N):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: orders}
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  automated:
    retentionDays: %d
    applyImmediately: true
    deletionProtection: %s
    replicate: %s
  snapshots:
    schedule: "0 %d * * *"
    retain: {last: %d}
""" % (retention, protect, replicate, HOUR, last)


def owned(emu):
    return sorted(s["id"] for s in emu.state(region="us-east-1")["regions"]["us-east-1"]["snapshots"]
                  if s["type"] == "manual")


work = t.tmpdir()
repo = os.path.join(work, "policies")
state = os.path.join(work, "state")
gfile = os.path.join(work, "guardrails.yaml")
with open(gfile, "w") as f:
    f.write(GUARDRAILS)
os.chmod(gfile, 0o444)

with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = state
    env["NO_COLOR"] = "1"

    def sk(*args, guard=True, now=T0, **kw):
        e = dict(env)
        if guard:
            e["SNAPKEEP_GUARDRAILS"] = gfile
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies", "--now", iso(now)]), env=e, **kw)

    t.git_repo(repo, {"policies/orders.yaml": policy()}, "orders: 14-day PITR, replicated")
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 0, "the first apply (replication on) succeeds under the guardrails") or t.diag(r)
    r = sk("plan", "--detailed-exitcode")
    t.is_(r.rc, 0, "and then nothing is left to do (exit 0)") or t.diag(r)

    bad = t.git_commit(repo, {"policies/orders.yaml": policy(retention=3, protect="false", replicate="false",
                                                              last=23)}, "turn off backups")

    # without guardrails the commit would do all of it
    r = sk("plan", "--output", "json", guard=False)
    j = r.json()
    kinds = sorted(set(a["action"] for a in j["actions"]))
    t.is_((kinds, sum(a["action"] == "delete" for a in j["actions"]), "refused" in j),
          (["delete", "modify", "stop-replication"], 22, False),
          "without guardrails: the modify, the replication stop and 22 deletions are planned, nothing refused")

    # with them: every dangerous action is refused, with the guardrail named
    r = sk("plan", "--detailed-exitcode")
    t.is_(r.rc, 3, "plan --detailed-exitcode exits 3 when a guardrail refused an action") or t.diag(r)
    t.contains(r.out, "Refused by guardrails (never applied):", "the text plan has a refused section")
    t.contains(r.out, "REFUSED: guardrail minRetentionDays (%s:6:7): backup_retention_period 14 → 3 for instance "
               "'orders-db' is below the floor of 7 days" % gfile, "retention below the floor: named, with file:line:col")
    t.contains(r.out, "REFUSED: guardrail requireReplication (%s:7:7): it stops replication of instance "
               "'orders-db' to us-west-2" % gfile, "replication off: refused, named")
    t.contains(r.out, "REFUSED: guardrail deletionBudget (%s:10:7): instance 'orders-db' has used its 5 deletions "
               "per 1d (10%% of 45 owned; 0 in the window before this plan)" % gfile, "too many deletions: refused, named")
    t.contains(r.out, "Plan: 0 to create, 0 to change, 5 to delete.", "only 5 deletions (10% of 45, rounded up) remain")
    t.contains(r.out, "Refused: 19 actions crossed a guardrail and will not be applied.", "the refusals are counted")

    r = sk("plan", "--output", "json")
    j = r.json()
    ref = j.get("refused", [])
    by = {}
    for a in ref:
        by.setdefault(a["guardrail"], []).append(a["action"])
    t.is_(by, {"minRetentionDays": ["modify"], "requireReplication": ["stop-replication"],
               "deletionBudget": ["delete"] * 17},
          "JSON: refused lists each action with its guardrail")
    t.ok(all(a["message"].startswith("guardrail %s (%s:" % (a["guardrail"], gfile)) for a in ref),
         "JSON: each refusal's message names the guardrail and where it is set", ref[:2])
    t.is_([a["action"] for a in j["actions"]], ["delete"] * 5, "JSON: the actions are the 5 allowed deletions")
    kept = [s for s in j.get("snapshots", [])] if "snapshots" in j else []
    t.is_(j["summary"], {"create": 0, "change": 0, "delete": 5}, "JSON: the summary counts what will be applied")

    # apply: no refused call is made
    before = owned(emu)
    since = emu.calls()["last"]
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 0, "apply applies what the guardrails allow") or t.diag(r)
    t.is_(emu.mutating(since), ["DeleteDBSnapshot"] * 5,
          "the emulator's call log: 5 deletions, no ModifyDBInstance, no StopDBInstanceAutomatedBackupsReplication")
    inst = emu.state(region="us-east-1")["regions"]["us-east-1"]["instances"][0]
    t.is_((inst["backupRetentionPeriod"], inst["deletionProtection"]), (14, True),
          "the instance keeps 14 days and deletion protection")
    gone = sorted(set(before) - set(owned(emu)))
    t.is_(len(gone), 5, "5 snapshots are gone")
    with open(os.path.join(state, "state.json")) as f:
        st = json.load(f)
    t.is_(sorted(d["snapshot"] for d in st.get("deletions", [])), gone,
          "the state file records each deletion (for the budget)")
    t.ok(all(d["instance"] == "orders-db" and d["at"] == iso(T0) for d in st["deletions"]),
         "with its instance and time", st.get("deletions"))

    # the budget holds run after run: 10 more runs within 24 h, one through `run --once`, one after a restart
    since = emu.calls()["last"]
    deleted_later = 0
    for i in range(1, 11):
        when = T0 + datetime.timedelta(hours=2 * i)
        emu.clock(set=iso(when))
        if i == 5:
            emu.restart()
            env.update(emu.env())
        if i == 7:
            e = dict(env)
            e["SNAPKEEP_GUARDRAILS"] = gfile
            r = t.snapkeep("run", "--once", "--auto-apply", "--repo", repo, "--path", "policies", env=e)
        else:
            r = sk("apply", "--auto-approve", now=when)
        if r.rc != 0:
            t.diag(r)
    calls = emu.mutating(since)
    t.is_(calls.count("DeleteDBSnapshot"), 0,
          "10 consecutive runs within 24 h (one `run --once`, one after an emulator restart) delete nothing more")
    t.ok("ModifyDBInstance" not in calls and "StopDBInstanceAutomatedBackupsReplication" not in calls,
         "and never make a refused call", calls)
    n_owned = len(owned(emu))
    cap = (n_owned + 5 + 9) // 10
    r = sk("plan", "--output", "json", now=T0 + datetime.timedelta(hours=22))
    msgs = [a["message"] for a in r.json().get("refused", []) if a["guardrail"] == "deletionBudget"]
    want = "has used its %d deletions per 1d (10%% of %d owned; 5 in the window before this plan)" % (cap, n_owned + 5)
    t.ok(cap == 5 and msgs and want in msgs[0],
         "22 h later the plan counts the window's 5 deletions (its base: the %d owned + the 5 deleted)" % n_owned, msgs[:1])

    # 25 h later the window has moved: 10% of the 40 left
    later = T0 + datetime.timedelta(hours=25)
    emu.clock(set=iso(later))
    n_owned = len(owned(emu))
    since = emu.calls()["last"]
    r = sk("apply", "--auto-approve", now=later)
    t.is_(r.rc, 0, "apply 25 h later succeeds") or t.diag(r)
    t.is_(emu.mutating(since).count("DeleteDBSnapshot"), (n_owned + 9) // 10,
          "and deletes 10%% of the %d owned, rounded up: the budget renews" % n_owned)

    # the minimum kept and the minimum age, in their own instance of the commit
    t.git_commit(repo, {"policies/orders.yaml": policy(last=1)}, "keep one")
    r = sk("plan", "--output", "json", "--allow-mass-delete", now=later)
    j = r.json()
    refused = [a for a in j.get("refused", []) if a["action"] == "delete"]
    with open(os.path.join(state, "state.json")) as f:
        used = sum(1 for d in json.load(f)["deletions"] if d["at"] > iso(later - datetime.timedelta(hours=24)))
    n_owned = len(owned(emu))
    allowed = (n_owned + used + 9) // 10 - used
    t.ok([a["action"] for a in j["actions"]] == ["delete"] * allowed and
         len(refused) + allowed == n_owned - 1 and
         sorted(set(a["guardrail"] for a in refused)) == ["deletionBudget", "minRetention"],
         "keep one, with --allow-mass-delete: only what is left of the window's budget (%d) is deleted, the "
         "other %d deletions are refused" % (allowed, len(refused)), (j["actions"], refused[:3]))
    young = [a["created"] for a in refused if a["guardrail"] == "minRetention"]
    t.ok(young and all(c > iso(later - datetime.timedelta(days=7)) for c in young) and
         all(a["created"] <= iso(later - datetime.timedelta(days=7)) for a in refused
             if a["guardrail"] == "deletionBudget"),
         "minRetention: 7d refuses exactly the deletions of snapshots younger than 7 days", young)

    # a broken guardrails file is an error with file:line:col; nothing runs
    broken = os.path.join(work, "broken.yaml")
    with open(broken, "w") as f:
        f.write(GUARDRAILS.replace("minRetentionDays: 7", "minRetentionDays: seven"))
    since = emu.calls()["last"]
    e = dict(env)
    e["SNAPKEEP_GUARDRAILS"] = broken
    r = t.snapkeep("apply", "--auto-approve", "--repo", repo, "--path", "policies", env=e)
    t.is_(r.rc, 1, "an invalid guardrails file fails the command") or t.diag(r)
    t.contains(r.err, "%s:6:25: minRetentionDays must be an integer 1..35, got 'seven'" % broken,
               "with file:line:col")
    t.is_(emu.calls(since=since)["calls"], [], "and no AWS call is made")
    r = t.snapkeep("plan", "--repo", repo, "--path", "policies", "--guardrails", os.path.join(work, "none.yaml"),
                   env=env)
    t.ok(r.rc == 1 and "cannot read guardrails file" in r.err, "a missing guardrails file is an error", r)
    e = dict(env)
    e["SNAPKEEP_GUARDRAILS"] = broken
    r = t.snapkeep("plan", "--repo", repo, "--path", "policies", "--guardrails", gfile, "--now", iso(later),
                   "--output", "json", "--allow-mass-delete", env=e)
    t.ok(r.rc == 0 and any(a["guardrail"] == "deletionBudget" for a in r.json().get("refused", [])),
         "--guardrails outranks SNAPKEEP_GUARDRAILS", r)

t.done()
