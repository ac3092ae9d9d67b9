#!/usr/bin/env python3
"""Issue 11, points 10 and 11: one apply converges a fleet, at the call floor,
and --region means what it says.

1. A fleet of 30 instances, each snapshot copied to us-west-2: one
   `apply --auto-approve` takes the 30 snapshots and makes the 30 copies,
   at most 20 in progress in us-west-2 at any moment (AWS's limit, the
   default of Settings' copiesInFlight), the next ones as earlier ones
   become available; `plan --detailed-exitcode` then exits 0.  In flight
   is read from the emulator's call log: a copy is in progress from its
   CopyDBSnapshot until copySeconds later, when the emulator makes it
   available.
2. With --no-wait (emulator clock frozen: no copy finishes), the first
   apply starts 20 copies and defers the other 10, saying so; the plan then
   says the 10 wait for the 20 in progress; once those are available, the
   next apply makes the rest and the plan is empty.
3. Settings copiesInFlight: 3 is respected: 8 copies in one apply, never
   more than 3 in progress.
4. Observing: a region policies only copy to costs DescribeDBSnapshots
   pages alone, exactly the calls of bench/describe-only's client
   (`describe-only us-east-1 -s us-west-2`); an instance there is not
   reported as unmanaged; the inventory says the region's instances were
   not observed, and plans made from it offline are the same.
5. --region: `--region us-east-1` calls nothing in us-west-2 and leaves
   the copies there for a later run, with a note (and keeps the sources a
   copy there may still be made from); `--region us-west-2`
   calls nothing in us-east-1, makes no new copy (a note says why) and
   deletes the copies the copy rules let go."""
import datetime as dt
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

ACCOUNT = "123456789012"
SRC, DST = "us-east-1", "us-west-2"
UTC = dt.timezone.utc
DESCRIBE_ONLY = os.path.join(t.BUILD, "rel", "bench", "describe-only")
if not os.access(DESCRIBE_ONLY, os.X_OK):
    t.bail("%s is not built (make %s)" % (DESCRIBE_ONLY, os.path.relpath(DESCRIBE_ONLY, t.TOP)))

# every run plans at NOW: the schedule's slot stays put whatever the wall clock does meanwhile
NOW = dt.datetime.now(UTC).replace(microsecond=0)
SLOT = NOW.replace(hour=3, minute=0, second=0)
if SLOT > NOW:
    SLOT -= dt.timedelta(days=1)
NOW_TEXT = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339(x):
    return x.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def fleet_names(n):
    return ["db-%02d" % i for i in range(n)]


def snap_id(db, slot=SLOT):
    return "snapkeep-%s-%s" % (db, slot.strftime("%Y%m%d-%H%M"))


def owned_snapshot(db, slot=SLOT, region=SRC, copy_of=None):
    """A snapshot the policy 'fleet' (or 'orders') owns: a source, or with copy_of its copy in region."""
    policy = "orders" if db == "orders-db" else "fleet"
    tags = {"snapkeep:policy": policy, "snapkeep:instance": db, "snapkeep:slot": rfc3339(slot)}
    s = {"id": snap_id(db, slot), "instance": db, "type": "manual", "created": rfc3339(slot + dt.timedelta(minutes=4)),
         "tags": tags}
    if copy_of:
        arn = "arn:aws:rds:%s:%s:snapshot:%s" % (copy_of, ACCOUNT, s["id"])
        s.update({"id": "%s-%s" % (s["id"], copy_of), "sourceRegion": copy_of, "sourceSnapshot": arn,
                  "originalCreated": s["created"]})
        tags["snapkeep:source"] = arn
    return s


def seed(n, with_sources=False):
    dbs = fleet_names(n)
    return {"account": ACCOUNT, "automatedHistory": False,
            "regions": {SRC: {"instances": [{"id": db, "tags": {"Fleet": "web"}} for db in dbs],
                              "snapshots": [owned_snapshot(db) for db in dbs] if with_sources else []},
                        DST: {"instances": [], "kmsKeys": ["alias/dr"]}}}


FLEET = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: fleet}
spec:
  regions: [us-east-1]
  selector: {tags: {Fleet: web}}
  snapshots:
    schedule: "0 3 * * *"
    retain: {last: 3}
    copies:
      - {region: us-west-2, retain: {last: 3}}
"""

SETTINGS = """apiVersion: snapkeep/v1
kind: Settings
metadata: {name: settings}
spec:
  copiesInFlight: %d
"""

work = t.tmpdir()


class Run:
    """One emulator, one repository and state directory; calls since the last mark."""

    def __init__(self, emu, name, files):
        self.emu = emu
        self.repo = os.path.join(work, name, "policies")
        t.git_repo(self.repo, files, name)
        self.env = emu.env()
        self.env.update({"SNAPKEEP_STATE_DIR": os.path.join(work, name, "state"), "NO_COLOR": "1"})
        self.mark = emu.calls()["last"]

    def sk(self, *args):
        self.mark = self.emu.calls()["last"]
        return t.snapkeep(*(list(args) + ["--repo", self.repo, "--path", "policies", "--now", NOW_TEXT]),
                          env=self.env)

    def calls(self):
        return sorted(self.emu.calls(since=self.mark)["calls"], key=lambda c: c["seq"])


def copy_calls(calls, region=DST):
    return [c for c in calls if c["action"] == "CopyDBSnapshot" and c["region"] == region]


def most_in_flight(calls, copy_seconds):
    """The most copies in progress at once, over each successful CopyDBSnapshot: a copy is in
    progress from its call until copy_seconds later (the emulator's timer)."""
    starts = [parse(c["time"]) for c in copy_calls(calls) if c["status"] == 200]
    return max([sum(1 for s in starts if s <= x < s + copy_seconds) for x in starts] or [0])


def counts(calls):
    out = {}
    for c in calls:
        if c.get("service") in (None, "rds"):
            key = "%s %s" % (c["region"], c["action"])
            out[key] = out.get(key, 0) + 1
    return out


# ---- 1. one apply converges a fleet of 30, at most 20 copies in progress ----

with Emulator(seed=seed(30)) as emu:
    emu.config(createSeconds=1, copySeconds=2)
    run = Run(emu, "fleet", {"policies/fleet.yaml": FLEET})
    r = run.sk("apply", "--auto-approve")
    calls = run.calls()
    t.ok(r.rc == 0 and "30 created, 30 copied, 0 changed, 0 deleted." in r.out and "deferred" not in r.out.split(
        "Apply complete!")[-1], "fleet: one apply takes 30 snapshots and makes 30 copies, nothing deferred", r)
    t.contains(r.out, "30 copies into us-west-2, at most 20 in progress at once (copiesInFlight): apply starts 20 "
               "now and the other 10 as earlier ones become available; with --no-wait those are left for a later run",
               "fleet: the plan says how many copies run at once and that the rest follow")
    copies = copy_calls(calls)
    errors = [(c["action"], c.get("error")) for c in calls if c.get("error")]
    t.ok(len(copies) == 30 and all(c["status"] == 200 for c in copies) and not errors,
         "fleet: 30 CopyDBSnapshot calls into us-west-2, none refused (no SnapshotQuotaExceeded)", (len(copies), errors))
    peak = most_in_flight(calls, 2)
    t.is_(peak, 20, "fleet: never more than 20 copies in progress in us-west-2, and 20 at once (call log)")
    first, last = parse(copies[0]["time"]), parse(copies[-1]["time"])
    t.ok(last - first >= 2, "fleet: the 21st copy started after an earlier one was available (%.1f s later)"
         % (last - first))
    polls = [c for c in calls if c["action"] == "DescribeDBSnapshots" and c["region"] == DST]
    filtered = [c for c in polls if c["params"].get("Filters.Filter.1.Name") == "db-snapshot-id"]
    t.ok(filtered and len(polls) == len(filtered) + 1 and
         all(sum(1 for k in c["params"] if k.startswith("Filters.Filter.1.Values.")) <= 100 for c in filtered),
         "fleet: apply watched the copies with DescribeDBSnapshots filtered by id (at most 100 a call)",
         [c["params"] for c in polls][:3])
    st = emu.state(region=DST)["regions"][DST]["snapshots"]
    t.is_(sorted(s["id"] for s in st), sorted("%s-%s" % (snap_id(db), SRC) for db in fleet_names(30)),
          "fleet: us-west-2 holds a copy of each of the 30 new snapshots")
    r = run.sk("plan", "--detailed-exitcode")
    t.ok(r.rc == 0 and "No changes." in r.out, "fleet: plan --detailed-exitcode exits 0 after the one apply", r)

# ---- 2. --no-wait: copies past the 20 are left for a later run, and it says so ----

with Emulator(seed=seed(30, with_sources=True)) as emu:
    emu.clock(set=NOW_TEXT)  # frozen: no copy finishes until the clock moves
    emu.config(copySeconds=60)
    run = Run(emu, "nowait", {"policies/fleet.yaml": FLEET})
    r = run.sk("apply", "--auto-approve", "--no-wait")
    calls = run.calls()
    t.ok(r.rc == 0 and "0 created, 20 copied, 0 changed, 0 deleted; 10 deferred to a later run." in r.out,
         "--no-wait: the first apply makes 20 copies and defers 10", r)
    t.contains(r.out, "deferred: --no-wait: 20 copies are in progress into us-west-2, at most 20 at once; left for "
               "a later run", "--no-wait: each deferred copy says why")
    t.ok(len(copy_calls(calls)) == 20 and not [c for c in calls if c.get("error")],
         "--no-wait: exactly 20 CopyDBSnapshot calls, none refused", len(copy_calls(calls)))
    r = run.sk("plan", "--detailed-exitcode")
    t.ok(r.rc == 2 and "10 copies into us-west-2, at most 20 in progress at once (copiesInFlight; 20 already are): "
         "apply starts them as earlier ones become available; with --no-wait they are left for a later run" in r.out,
         "--no-wait: the next plan counts the 20 in progress and says the 10 wait for them", r)
    emu.clock(advance=60)
    r = run.sk("apply", "--auto-approve", "--no-wait")
    t.ok(r.rc == 0 and "0 created, 10 copied, 0 changed, 0 deleted." in r.out and "deferred to" not in r.out,
         "--no-wait: once those are available, the next apply makes the other 10", r)
    r = run.sk("plan", "--detailed-exitcode")
    t.is_(r.rc, 0, "--no-wait: and the plan is empty")

# ---- 3. a lower Settings cap ----

with Emulator(seed=seed(8, with_sources=True)) as emu:
    emu.config(copySeconds=1)
    run = Run(emu, "cap3", {"policies/fleet.yaml": FLEET, "policies/settings.yaml": SETTINGS % 3})
    r = run.sk("apply", "--auto-approve")
    calls = run.calls()
    t.ok(r.rc == 0 and "0 created, 8 copied, 0 changed, 0 deleted." in r.out and
         "8 copies into us-west-2, at most 3 in progress at once (copiesInFlight): apply starts 3 now and the "
         "other 5 as earlier ones become available" in r.out,
         "copiesInFlight 3: the plan says 3 at once, and one apply makes the 8 copies", r)
    t.is_(most_in_flight(calls, 1), 3, "copiesInFlight 3: never more than 3 in progress, and 3 at once (call log)")
    r = run.sk("plan", "--detailed-exitcode")
    t.is_(r.rc, 0, "copiesInFlight 3: then the plan is empty")

# ---- 4 and 5. observing only what is needed; --region ----

ORDERS = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: orders}
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  snapshots:
    schedule: "0 3 * * *"
    retain: {last: 3}
    copies:
      - {region: us-west-2, retain: {last: 2}}
"""
old = [SLOT - dt.timedelta(days=k) for k in range(1, 5)]  # the copies of the four days before
REGION_SEED = {
    "account": ACCOUNT, "automatedHistory": False,
    "regions": {SRC: {"instances": [{"id": "orders-db"}], "snapshots": [owned_snapshot("orders-db", d) for d in old]},
                DST: {"instances": [{"id": "dr-standby"}], "kmsKeys": ["alias/dr"],
                      "snapshots": [owned_snapshot("orders-db", d, DST, copy_of=SRC) for d in old]}}}
copy_ids = sorted("%s-%s" % (snap_id("orders-db", d), SRC) for d in old)
source_ids = sorted(snap_id("orders-db", d) for d in old)

with Emulator(seed=REGION_SEED) as emu:
    run = Run(emu, "regions", {"policies/orders.yaml": ORDERS})
    r = run.sk("plan")
    plan_calls = counts(run.calls())
    t.ok(r.rc == 0, "observe: plan for one source and one copy region", r)
    t.is_(plan_calls, {"us-east-1 DescribeDBInstances": 1, "us-east-1 DescribeDBSnapshots": 1,
                       "us-west-2 DescribeDBSnapshots": 1},
          "observe: 3 calls: DescribeDBInstances and DescribeDBSnapshots in us-east-1, DescribeDBSnapshots alone in "
          "us-west-2 (no DescribeDBInstances where policies only copy to)")
    mark = emu.calls()["last"]
    env = dict(run.env)
    b = t.run([DESCRIBE_ONLY, SRC, "-s", DST], env=env)
    base_calls = counts(emu.calls(since=mark)["calls"])
    t.ok(b.rc == 0 and base_calls == plan_calls,
         "observe: exactly the calls of bench/describe-only's client (describe-only us-east-1 -s us-west-2)",
         (b, base_calls, plan_calls))
    t.ok("dr-standby" not in r.out and "unmanaged" not in r.out,
         "observe: no claim about us-west-2's instances (its dr-standby is not reported as unmanaged)", r.out)

    inv = run.sk("inventory", "--output", "json")
    doc = inv.json() if inv.rc == 0 else {}
    t.ok(doc.get("snapshotsOnly") == [DST] and DST in doc.get("regions", []) and
         not [i for i in doc.get("instances", []) if i["region"] == DST],
         "inventory: us-west-2 is listed as observed for its snapshots only", (inv, doc.get("snapshotsOnly")))
    path = os.path.join(work, "inventory.json")
    with open(path, "w") as f:
        f.write(inv.out)
    live = run.sk("plan", "--output", "json")
    offline = run.sk("plan", "--output", "json", "--inventory", path)
    t.ok(live.rc == 0 and offline.rc == 0 and live.json()["actions"] == offline.json()["actions"] and
         live.json()["notes"] == offline.json()["notes"],
         "inventory: plan --inventory of that file plans what the live plan does", (live, offline))
    acts = live.json()["actions"] if live.rc == 0 else []
    t.is_(sorted(a["target"] for a in acts if a["action"] == "delete" and a["region"] == SRC), source_ids[:2],
          "observe: with both regions, the 2 oldest sources in us-east-1 go (last 3)")

    # --region us-east-1: nothing called or changed in us-west-2
    r = run.sk("plan", "--region", SRC, "--output", "json")
    regions = sorted(set(c["region"] for c in run.calls()))
    p = r.json() if r.rc == 0 else {"actions": [], "notes": []}
    t.is_(regions, [SRC], "--region us-east-1: no call to us-west-2 at all")
    t.ok([(a["action"], a["region"]) for a in p["actions"]] == [("create", SRC)],
         "--region us-east-1: today's snapshot is planned; no copy, no deletion in us-west-2, and the sources a "
         "copy may still be made from are kept", p["actions"])
    t.ok(any(n["kind"] == "deferred" and n["region"] == DST and n["message"] ==
             "policy 'orders': copies of 1 instance to us-west-2 are left for a run that includes us-west-2: it is "
             "not in --region; 2 snapshots the rules let go are kept until then, as a copy of them may be in "
             "progress there" for n in p["notes"]),
         "--region us-east-1: a note says the copies are deferred because of --region, and why 2 are kept",
         p["notes"])
    kept = {x["id"]: x["rules"] for x in p.get("snapshots", [])}
    t.ok(all("copy-pending" in kept.get(i, []) for i in source_ids[:2]),
         "--region us-east-1: those 2 are kept as copy-pending", kept)

    # --region us-west-2: the copies there by their own rules, no new copy, nothing in us-east-1
    r = run.sk("plan", "--region", DST, "--output", "json")
    calls = run.calls()
    p = r.json() if r.rc == 0 else {"actions": [], "notes": []}
    t.is_(counts(calls), {"us-west-2 DescribeDBSnapshots": 1},
          "--region us-west-2: one DescribeDBSnapshots in us-west-2, nothing in us-east-1 (it does not fail)")
    t.is_(sorted((a["action"], a["region"], a["target"]) for a in p["actions"]),
          [("delete", DST, copy_ids[0]), ("delete", DST, copy_ids[1])],
          "--region us-west-2: the 2 oldest copies are deleted by the copy rules (last 2), no new copy")
    t.ok(any(n["kind"] == "deferred" and n["region"] == DST and n["message"] ==
             "policy 'orders': no new copies are made in us-west-2: their source region us-east-1 is not in "
             "--region; the copies there are kept or deleted by their rules (last 2)" for n in p["notes"]),
         "--region us-west-2: a note says no new copies are made because us-east-1 is not in --region", p["notes"])
    t.ok(not [n for n in p["notes"] if n["kind"] == "unmanaged"], "--region us-west-2: no unmanaged-instance note",
         p["notes"])
    r = run.sk("apply", "--region", DST, "--auto-approve")
    calls = run.calls()
    muts = sorted((c["action"], c["region"], c["params"].get("DBSnapshotIdentifier")) for c in calls
                  if c.get("mutating"))
    t.ok(r.rc == 0 and muts == [("DeleteDBSnapshot", DST, copy_ids[0]), ("DeleteDBSnapshot", DST, copy_ids[1])] and
         all(c["region"] == DST for c in calls),
         "--region us-west-2: apply deletes exactly those 2 copies, calling nothing in us-east-1", (r, muts))
    r = run.sk("plan", "--region", DST, "--detailed-exitcode")
    t.is_(r.rc, 0, "--region us-west-2: then its plan is empty")

t.done()
