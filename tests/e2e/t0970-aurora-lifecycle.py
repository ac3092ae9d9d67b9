#!/usr/bin/env python3
"""Aurora clusters through their whole life cycle, as the instance tests do
for instances (t0500, t0510, t0600, t0940): a tag selector with kind:
cluster; the cluster's settings by ModifyDBCluster; 16 days of daily
applies on the emulator clock, each day's owned cluster snapshots checked
against restic's forget (restic_forget.py, not snapkeep's code) and the
copies in us-west-2 (CopyDBClusterSnapshot with the destination's own KMS
key and a PreSignedUrl) against the copy rules; a second apply and a plan
with nothing to do; foreign and automated cluster snapshots never touched;
a member instance selected by an instance policy is a plan note, never a
snapshot; plans make list calls only, cluster calls only where a policy
selects clusters; bounded deletions and the newest snapshot kept; a saved
plan refused when ownership changed under it; and SIGKILL while
CreateDBClusterSnapshot's answer is held, then convergence."""
import datetime as dt
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck
import sktest as t
from emulator_ctl import Emulator
from restic_forget import forget, kept

UTC = dt.timezone.utc
ACCOUNT = "123456789012"
SRC, DST = "us-east-1", "us-west-2"
SRC_KEY = "arn:aws:kms:%s:%s:key/ledger-key" % (SRC, ACCOUNT)
START = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAYS = 16
RETAIN = {"daily": 3, "weekly": 2}
COPY_RETAIN = {"daily": 2}
FOREIGN = {"manual-before-migration": {}, "other-tool-ledger": {"snapkeep:policy": "other", "snapkeep:instance": "ledger"}}
SEED = {
    "account": ACCOUNT,
    "clock": "2026-06-01T00:00:00Z",
    "config": {"createSeconds": 0, "copySeconds": 0},
    "regions": {
        SRC: {
            "clusters": [
                {"id": "ledger", "members": ["ledger-1", "ledger-2"], "backupRetentionPeriod": 1,
                 "storageEncrypted": True, "kmsKeyId": SRC_KEY, "created": "2026-01-01T00:00:00Z",
                 "tags": {"tier": "gold", "team": "payments"}},
                {"id": "scratch", "members": ["scratch-1"], "tags": {"tier": "bronze"},
                 "created": "2026-01-01T00:00:00Z"},
            ],
            "clusterSnapshots": [dict(id=k, cluster="ledger", created="2026-05-01T00:00:00Z", tags=v)
                                 for k, v in FOREIGN.items()],
            "instances": [{"id": "orders-db", "backupRetentionPeriod": 7}],
        },
        DST: {"kmsKeys": ["alias/dr"],
              "clusterSnapshots": [{"id": "dr-by-hand", "cluster": "ledger", "created": "2026-05-02T00:00:00Z"}]},
    },
}


def policy(retain=RETAIN, extra=""):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: ledger}
spec:
  regions: [us-east-1]
  selector: {tags: {tier: gold}, kind: cluster}
  automated: {retentionDays: 7, window: "07:00-07:30", copyTagsToSnapshot: true, deletionProtection: true}
  snapshots:
    schedule: "30 3 * * *"
    retain: {%s}
%s    copies:
      - {region: us-west-2, kmsKeyId: alias/dr, retain: {daily: 2}}
""" % (", ".join("%s: %s" % kv for kv in retain.items()), extra)


MEMBERS = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: members}
spec:
  regions: [us-east-1]
  selector: {instances: [ledger-1]}
  snapshots:
    schedule: "0 2 * * *"
    retain: {daily: 3}
"""

CLUSTER_CALLS = {"ModifyDBCluster", "CreateDBClusterSnapshot", "CopyDBClusterSnapshot", "DeleteDBClusterSnapshot"}


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s):
    return dt.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def cluster_snaps(emu, region):
    return emu.state(region=region)["regions"].get(region, {}).get("clusterSnapshots", [])


def owned(snaps):
    return {s["id"]: s for s in snaps if s["type"] == "manual" and (s.get("tags") or {}).get("snapkeep:policy") == "ledger"}


work = t.tmpdir()
repo = os.path.join(work, "policies")
state = os.path.join(work, "state")

with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = state
    env["NO_COLOR"] = "1"

    def sk(*args, **kw):
        return t.snapkeep(*args, env=env, **kw)

    src = ["--repo", repo, "--path", "policies"]
    t.git_repo(repo, {"policies/ledger.yaml": policy(), "policies/members.yaml": MEMBERS}, "ledger: Aurora backups")
    r = sk("validate", *src)
    t.is_(r.rc, 0, "validate accepts a kind: cluster tag selector") or t.diag(r)

    # ---- the first plan: list calls only, cluster calls only in the cluster's regions ----
    emu.clock(set=iso(START))
    since = emu.calls()["last"]
    r = sk("plan", *src, "--now", iso(START), "--output", "json")
    t.is_(r.rc, 0, "plan") or t.diag(r)
    plan = r.json() if r.rc == 0 else {"actions": [], "notes": []}
    calls = sorted((c["action"], c["region"]) for c in emu.calls(since=since)["calls"])
    t.is_(calls, sorted([("DescribeDBInstances", SRC), ("DescribeDBSnapshots", SRC), ("DescribeDBClusters", SRC),
                         ("DescribeDBClusterSnapshots", SRC), ("DescribeDBSnapshots", DST),
                         ("DescribeDBClusterSnapshots", DST)]),
          "plan: one page of each list call per region, DescribeDBClusters only where a policy selects clusters")
    t.ok(not emu.mutating(since), "plan mutates nothing")
    acts = [(a["action"], a["target"], a["region"], a.get("cluster")) for a in plan["actions"]]
    t.is_(sorted(acts), sorted([("modify", "ledger", SRC, True),
                                ("create", "snapkeep-ledger-20260601-0330", SRC, True),
                                ("copy", "snapkeep-ledger-20260601-0330-us-east-1", DST, True)]),
          "the cluster's settings, today's cluster snapshot and its copy; nothing for scratch or the member")
    mod = [a for a in plan["actions"] if a["action"] == "modify"]
    t.ok(mod and mod[0].get("backupRetentionPeriod") == 7 and mod[0].get("preferredBackupWindow") == "07:00-07:30"
         and mod[0].get("copyTagsToSnapshot") is True and mod[0].get("deletionProtection") is True,
         "modify carries retention, window, copy tags and deletion protection", mod)
    notes = " ".join(n["message"] for n in plan.get("notes", []))
    t.ok("ledger-1" in notes and "member of Aurora cluster 'ledger'" in notes and "never snapshotted" in notes,
         "an instance policy naming a member gets a clear note", notes)
    r = sk("plan", *src, "--now", iso(START))
    t.contains(r.out, "~ db-cluster ledger (us-east-1)", "the text plan names the cluster")
    t.contains(r.out, "+ db-cluster-snapshot snapkeep-ledger-20260601-0330 (us-east-1)",
               "and the cluster snapshot")

    # the inventory file speaks for clusters too: an offline plan is the live plan, cluster flags and all
    r = sk("inventory", *src, "--output", "json", "--now", iso(START))
    inv_file = os.path.join(work, "inventory.json")
    with open(inv_file, "w") as f:
        f.write(r.out)
    live = sk("plan", *src, "--now", iso(START), "--output", "json")
    off_env = dict(env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    off = t.snapkeep("plan", *src, "--inventory", inv_file, "--now", iso(START), "--output", "json", env=off_env)
    units = [x for x in (r.json().get("instances", []) if r.rc == 0 else []) if x["id"].startswith("ledger")]
    t.ok(r.rc == 0 and sorted((x["id"], x.get("cluster", False), x.get("dbClusterIdentifier")) for x in units) ==
         [("ledger", True, None), ("ledger-1", False, "ledger"), ("ledger-2", False, "ledger")],
         "inventory --output json: the cluster (cluster: true) and its members (dbClusterIdentifier)", units)
    t.ok(off.rc == 0 and live.rc == 0 and off.json()["actions"] == live.json()["actions"],
         "plan --inventory FILE, with no AWS, makes the live plan's cluster actions", (off.err, off.out[:500]))

    # ---- 16 days of applies ----
    made = {}       # source id -> created (seconds)
    expected = set()
    copies_of = set()
    fails = {}
    foreign_before = {(s["id"], tuple(sorted((s.get("tags") or {}).items()))) for s in cluster_snaps(emu, SRC)
                      if s["type"] == "manual"}
    deleted_automated = 0
    for d in range(DAYS):
        now = START + dt.timedelta(days=d)
        emu.clock(set=iso(now))
        since = emu.calls()["last"]
        r = sk("apply", *src, "--now", iso(now), "--auto-approve")
        if r.rc != 0:
            fails.setdefault("apply", (d, r.out[-2000:] + r.err[-2000:]))
            break
        mut = emu.mutating(since)
        if set(mut) - CLUSTER_CALLS:
            fails.setdefault("only cluster calls", (d, mut))
        deleted_automated += sum(1 for c in emu.calls(since=since)["calls"]
                                 if c["action"] == "DeleteDBClusterSnapshot"
                                 and c["params"].get("DBClusterSnapshotIdentifier", "").startswith("rds:"))
        snaps = owned(cluster_snaps(emu, SRC))
        slot = "snapkeep-ledger-%s-0330" % now.strftime("%Y%m%d")
        if slot in snaps:
            made[slot] = parse(snaps[slot]["created"])
        else:
            fails.setdefault("today's snapshot", (d, sorted(snaps)))
        want = kept(forget([(made[k], k) for k in expected | {slot} if k in made], RETAIN))
        expected = want
        if set(snaps) != want:
            fails.setdefault("restic's rules", (d, sorted(snaps), sorted(want)))
        dsts = owned(cluster_snaps(emu, DST))
        by_source = {}
        for cid, c in dsts.items():
            by_source[c["tags"].get("snapkeep:source", "").rsplit(":", 1)[-1]] = c
            if ":us-west-2:" not in (c.get("kmsKeyId") or "") or not c.get("encrypted") \
                    or c.get("sourceArn", "").split(":")[3:4] != [SRC]:
                fails.setdefault("copy key and source", (d, c))
        # the copies age by their source's creation time (a cluster snapshot copy keeps SnapshotCreateTime)
        copies_of = kept(forget([(made[k], k) for k in copies_of | {slot} if k in made], COPY_RETAIN))
        if set(by_source) != copies_of:
            fails.setdefault("copy rules", (d, sorted(by_source), sorted(copies_of)))
        since = emu.calls()["last"]
        r = sk("apply", *src, "--now", iso(now), "--auto-approve")
        if r.rc != 0 or emu.mutating(since):
            fails.setdefault("second apply", (d, emu.mutating(since), r.err[-500:]))
        r = sk("plan", *src, "--now", iso(now), "--detailed-exitcode")
        if r.rc != 0:
            fails.setdefault("empty plan", (d, r.out[-1500:]))
    for check in ("apply", "only cluster calls", "today's snapshot", "restic's rules", "copy key and source",
                  "copy rules", "second apply", "empty plan"):
        t.ok(check not in fails, "%d days: %s" % (DAYS, check), fails.get(check))
    c = [x for x in emu.state(region=SRC)["regions"][SRC]["clusters"] if x["id"] == "ledger"][0]
    t.is_((c["backupRetentionPeriod"], c["preferredBackupWindow"], c["copyTagsToSnapshot"], c["deletionProtection"]),
          (7, "07:00-07:30", True, True), "the cluster's settings are the policy's")
    foreign_after = {(s["id"], tuple(sorted((s.get("tags") or {}).items()))) for s in cluster_snaps(emu, SRC)
                     if s["type"] == "manual" and (s.get("tags") or {}).get("snapkeep:policy") != "ledger"}
    t.is_(foreign_after, foreign_before, "foreign cluster snapshots (untagged, another policy's) untouched")
    t.ok("dr-by-hand" in {s["id"] for s in cluster_snaps(emu, DST)}, "a copy made by hand in us-west-2 untouched")
    autos = [s for s in cluster_snaps(emu, SRC) if s["type"] == "automated" and s["cluster"] == "ledger"]
    t.ok(deleted_automated == 0 and len(autos) == 7, "automated cluster snapshots: never deleted by snapkeep, RDS "
         "keeps 7 days (%d)" % len(autos))
    st = emu.state(region=SRC)["regions"][SRC]
    t.ok(not [s for s in st["snapshots"] if s["instance"].startswith(("ledger", "scratch"))],
         "no DB snapshot of a member instance, ever")
    t.ok(not owned([s for s in st["clusterSnapshots"] if s["cluster"] == "scratch"]),
         "the cluster the selector does not match has no snapkeep snapshot")

    # ---- deletion guards: bounded deletions, the newest kept ----
    now = START + dt.timedelta(days=DAYS - 1)
    before = sorted(owned(cluster_snaps(emu, SRC)))
    t.git_commit(repo, {"policies/ledger.yaml": policy({"last": 1}, "    maxDeletionsPerRun: 1\n")},
                 "ledger: keep the last one only")
    r = sk("plan", *src, "--now", iso(now), "--output", "json")
    j = r.json() if r.rc == 0 else {"actions": [], "notes": []}
    t.ok(r.rc == 0 and not [a for a in j["actions"] if a["action"] == "delete"] and any(
        n["kind"] == "safety" and "--allow-mass-delete" in n["message"] for n in j["notes"]),
        "deleting most of a cluster's snapshots at once: nothing is deleted without --allow-mass-delete", j["notes"])
    r = sk("plan", *src, "--now", iso(now), "--allow-mass-delete", "--output", "json")
    j = r.json() if r.rc == 0 else {"actions": [], "notes": []}
    dels = [a for a in j["actions"] if a["action"] == "delete" and a["region"] == SRC]
    t.ok(len(dels) == 1 and dels[0].get("cluster") is True and dels[0]["target"] != max(before),
         "maxDeletionsPerRun 1: one cluster snapshot deleted a run, never the newest", (before, dels))
    t.ok(any(n["kind"] == "deferred" for n in j["notes"]), "the rest is deferred, with a note", j["notes"])
    victim = dels[0]["target"] if dels else None
    r = sk("plan", *src, "--now", iso(now), "--allow-mass-delete", "-out", os.path.join(work, "p.plan"))
    t.ok(r.rc in (0, 2), "saved plan written") or t.diag(r)
    arn = "arn:aws:rds:%s:%s:cluster-snapshot:%s" % (SRC, ACCOUNT, victim)
    emu.call("rds", "RemoveTagsFromResource", {"ResourceName": arn, "TagKeys.member.1": "snapkeep:policy"})
    since = emu.calls()["last"]
    r = sk("apply", os.path.join(work, "p.plan"), "--auto-approve")
    t.ok(r.rc != 0 and "live state changed since saved plan" in r.err and not emu.mutating(since),
         "a saved plan whose snapshot lost its ownership tag is refused, no call made", (r.out[-800:], r.err[-800:]))
    t.ok(victim in {s["id"] for s in cluster_snaps(emu, SRC)}, "the snapshot is still there")
    for _ in range(8):
        r = sk("apply", *src, "--now", iso(now), "--auto-approve", "--allow-mass-delete", "--allow-destructive",
               "delete-many")
        if sk("plan", *src, "--now", iso(now), "--allow-mass-delete", "--detailed-exitcode").rc == 0:
            break
    left = sorted(owned(cluster_snaps(emu, SRC)))
    t.is_(left, [max(before)], "converged: only the newest owned cluster snapshot is left")
    t.ok(victim in {s["id"] for s in cluster_snaps(emu, SRC)}, "the one no longer owned was never deleted")

    # ---- SIGKILL while each cluster call's answer is held, then convergence ----
    sc = ck.Scenario(emu, work)
    sc.state = state
    allow = ("--allow-mass-delete", "--allow-destructive", "delete-many")
    JOURNAL = {"CreateDBClusterSnapshot": "create", "CopyDBClusterSnapshot": "copy",
               "DeleteDBClusterSnapshot": "delete", "ModifyDBCluster": "modify"}
    TARGET = {"CreateDBClusterSnapshot": "DBClusterSnapshotIdentifier",
              "CopyDBClusterSnapshot": "TargetDBClusterSnapshotIdentifier",
              "DeleteDBClusterSnapshot": "DBClusterSnapshotIdentifier", "ModifyDBCluster": "DBClusterIdentifier"}
    for day, action in ((DAYS, "CreateDBClusterSnapshot"), (DAYS + 1, "CopyDBClusterSnapshot"),
                        (DAYS + 2, "DeleteDBClusterSnapshot"), (DAYS + 2, "ModifyDBCluster")):
        now = START + dt.timedelta(days=day)
        emu.clock(set=iso(now))
        if action == "ModifyDBCluster":
            t.git_commit(repo, {"policies/ledger.yaml": policy({"last": 1}, "    maxDeletionsPerRun: 1\n").replace(
                "retentionDays: 7", "retentionDays: 10")}, "ledger: a 10-day PITR window")
        since = sc.since = emu.calls()["last"]
        emu.faults(actions=[action], hold=1.0, count=1, holdMs=60000)
        proc = sc.start("apply", "--auto-approve", *src, "--now", iso(now), *allow)
        held = sc.wait_for(lambda m: any(c.get("fault") == "hold" for c in m), proc=proc)
        ck.kill(proc)
        emu.faults()
        what = "killed while %s's answer was held" % action
        if not t.ok(held, "apply reached %s and was %s" % (action, what), (proc.out(), proc.err())):
            continue
        target = [c for c in held if c.get("fault") == "hold"][0]["params"][TARGET[action]].lower()
        recs, _ = sc.journal()
        t.ok([x for x in ck.unresolved(recs) if x["target"].lower() == target],
             "%s: the call's intent is open in the journal" % what)
        runs, r = None, None
        for n in range(1, 4):
            r = sk("apply", *src, "--now", iso(now), "--auto-approve", *allow)
            if sk("plan", *src, "--now", iso(now), "--detailed-exitcode", "--allow-mass-delete").rc == 0:
                runs = n
                break
        t.ok(runs, "%s: a rerun converges (%s apply)" % (what, runs), r.out[-1500:] + r.err[-1500:])
        made = [c["params"][TARGET[action]].lower() for c in emu.calls(since=since)["calls"]
                if c["action"] == action and c.get("status") == 200]
        t.is_(made.count(target), 1, "%s: the call whose answer was lost is not made again" % what)
        recs, _ = sc.journal()
        res = [x for x in recs if x["type"] == "resolution" and x.get("action") == JOURNAL[action]
               and x.get("target", "").lower() == target]
        t.ok(not ck.unresolved(recs) and res and res[0]["how"] == "completed",
             "%s: every intent is resolved, the killed call as completed" % what, res or ck.unresolved(recs))
        slot = "snapkeep-ledger-%s-0330" % now.strftime("%Y%m%d")
        copies = [c for c in owned(cluster_snaps(emu, DST)).values()
                  if c["tags"].get("snapkeep:source", "").endswith(":" + slot)]
        t.ok(sorted(owned(cluster_snaps(emu, SRC))) == [slot] and len(copies) == 1,
             "%s: the day's cluster snapshot is the one owned one left (last: 1), and its copy exists once" % what,
             (sorted(owned(cluster_snaps(emu, SRC))), copies))
    c = [x for x in emu.state(region=SRC)["regions"][SRC]["clusters"] if x["id"] == "ledger"][0]
    t.is_(c["backupRetentionPeriod"], 10, "the killed ModifyDBCluster's change is in place")
t.done()
