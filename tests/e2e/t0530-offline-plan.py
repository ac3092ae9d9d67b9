#!/usr/bin/env python3
"""Offline planning: `snapkeep inventory --output json` writes the observed
inventory (snapkeep-inventory/v1, specs/inventory.md) with the documented
fields; `snapkeep plan --inventory FILE --now T` plans from it without AWS and
gives the same plan as planning live at T; --now moves the plan's clock; the
reader takes a minimal hand-written file, ignores unknown fields, reads
stdin, round-trips what it writes, and refuses bad files with file:line and
the element's id; maxDeletionsPerRun defaults to 50."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

ACCT = "123456789012"
T0 = "2026-01-10T03:30:00Z"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def arn(region, sid):
    return "arn:aws:rds:%s:%s:snapshot:%s" % (region, ACCT, sid)


def owned(day, instance="orders-db", region="us-east-1", **kw):
    sid = "snapkeep-%s-202601%02d-0300" % (instance, day)
    s = {"id": sid, "instance": instance, "type": "manual", "status": "available",
         "created": "2026-01-%02dT03:04:00Z" % day,
         "tags": {"snapkeep:policy": "prod", "snapkeep:instance": instance,
                  "snapkeep:slot": "2026-01-%02dT03:00:00Z" % day}}
    s.update(kw)
    return s


src8 = owned(8)
SEED = {
    "account": ACCT,
    "clock": T0,
    "automatedHistory": True,
    "regions": {
        "us-east-1": {
            "instances": [
                {"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 7, "allocatedStorage": 50,
                 "preferredBackupWindow": "03:00-03:30", "storageEncrypted": True, "tags": {"env": "prod"}},
                {"id": "billing-db", "engine": "mysql", "backupRetentionPeriod": 3, "allocatedStorage": 20,
                 "preferredBackupWindow": "04:00-04:30", "tags": {"env": "prod"}},
            ],
            "snapshots": [owned(d) for d in range(3, 10)] + [
                {"id": "by-hand", "instance": "orders-db", "type": "manual", "created": "2025-12-01T10:00:00Z",
                 "tags": {"Owner": "dba"}, "status": "available"}],
            "kmsKeys": ["alias/aws/rds"],
        },
        "us-west-2": {
            "instances": [],
            "snapshots": [dict(owned(8), id="snapkeep-orders-db-20260108-0300-us-east-1",
                               created="2026-01-08T04:00:00Z", originalCreated="2026-01-08T03:04:00Z",
                               sourceRegion="us-east-1", sourceSnapshot=arn("us-east-1", src8["id"]),
                               tags=dict(src8["tags"], **{"snapkeep:source": arn("us-east-1", src8["id"])}))],
            "kmsKeys": ["alias/dr"],
        },
    },
}

POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata:
  name: prod
spec:
  regions: [us-east-1]
  selector:
    tags: {env: prod}
  automated:
    retentionDays: 7
  snapshots:
    schedule: "0 3 * * *"
    tags: {Team: sre}
    retain: {daily: 5}
    copies:
      - region: us-west-2
        kmsKeyId: alias/dr
        retain: {daily: 3}
"""

work = t.tmpdir()
repo = os.path.join(work, "policies")
t.git_repo(repo, {"policies/prod.yaml": POLICY})
inv_file = os.path.join(work, "inventory.json")
offline_env = {"NO_COLOR": "1", "SNAPKEEP_STATE_DIR": os.path.join(work, "state-offline"),
               "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None,
               "AWS_PROFILE": None, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
               "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_REGION": "us-east-1"}


def plan_offline(path, *args, **kw):
    return t.snapkeep("plan", "--repo", repo, "--path", "policies", "--inventory", path, *args,
                      env=offline_env, **kw)


with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["NO_COLOR"] = "1"
    env["SNAPKEEP_STATE_DIR"] = os.path.join(work, "state")

    since = emu.calls()["last"]
    r = t.snapkeep("inventory", "--repo", repo, "--path", "policies", "--output", "json", "--now", T0, env=env)
    t.is_(r.rc, 0, "inventory --output json succeeds") or t.diag(r)
    calls = emu.calls(since=since)["calls"]
    t.ok(calls and all(c["action"].startswith("Describe") for c in calls),
         "inventory makes only describe calls", [c["action"] for c in calls])
    with open(inv_file, "w") as f:
        f.write(r.out)
    inv = r.json()
    t.is_((inv["format"], inv["observedAt"]), ("snapkeep-inventory/v1", T0), "format and observedAt (--now)")
    t.is_(inv["regions"], ["us-east-1", "us-west-2"], "the observed regions, sorted")
    t.ok(all(set(["id", "region", "engine", "backupRetentionPeriod", "preferredBackupWindow", "tags"]) <= set(i)
             for i in inv["instances"]) and len(inv["instances"]) == 2,
         "each instance has id, region, engine, backupRetentionPeriod, preferredBackupWindow, tags", inv["instances"])
    want = {"id", "arn", "instance", "region", "type", "status", "created", "originalCreated", "encrypted",
            "kmsKeyId", "allocatedGiB", "tags"}
    snaps = inv["snapshots"]
    t.ok(snaps and all(want <= set(s) for s in snaps), "each snapshot has the documented fields",
         [sorted(want - set(s)) for s in snaps])
    t.ok(all(s["type"] in ("manual", "automated") for s in snaps) and
         [s for s in snaps if s["type"] == "automated"], "types are manual or automated (automated ones included)")
    t.ok(all(RFC3339.match(s["created"]) for s in snaps if s["created"]), "created is RFC 3339 UTC")
    copy = [s for s in snaps if s["region"] == "us-west-2"]
    t.ok(len(copy) == 1 and copy[0]["originalCreated"] == "2026-01-08T03:04:00Z" and
         copy[0]["created"] == "2026-01-08T04:00:00Z" and copy[0]["sourceRegion"] == "us-east-1",
         "a copy carries its source's creation time as originalCreated", copy)

    # the same plan, live and offline
    since = emu.calls()["last"]
    live = t.snapkeep("plan", "--repo", repo, "--path", "policies", "--now", T0, "--output", "json", env=env)
    live_text = t.snapkeep("plan", "--repo", repo, "--path", "policies", "--now", T0, "--verbose", env=env)
    t.ok(live.rc == 0 and live_text.rc == 0, "the live plan succeeds", live)
    last = emu.calls()["last"]
    off = plan_offline(inv_file, "--now", T0, "--output", "json")
    off_text = plan_offline(inv_file, "--now", T0, "--verbose")
    t.is_(off.rc, 0, "plan --inventory succeeds with no credentials and no AWS endpoint") or t.diag(off)
    t.is_(emu.calls(since=last)["calls"], [], "and makes no AWS call")
    lj, oj = live.json(), off.json()
    t.is_(oj, lj, "the offline plan is the live plan, field for field")
    t.is_(off_text.out, live_text.out, "and its text is the same")
    kinds = sorted(set(a["action"] for a in oj["actions"]))
    t.is_(kinds, ["copy", "create", "delete", "modify"], "it has work to do: create, copy, delete, modify")
    dec = {d["id"]: d for d in oj["snapshots"]}
    t.ok(dec and all(d["decision"] in ("keep", "delete") for d in dec.values()) and
         all(d["rules"] for d in dec.values() if d["decision"] == "keep"),
         "--output json lists each owned snapshot's decision, kept ones with their rules", oj["snapshots"])
    t.is_((dec["snapkeep-orders-db-20260109-0300"]["rules"], dec["snapkeep-orders-db-20260103-0300"]["decision"]),
          (["daily", "newest-available"], "delete"), "daily keeps the newest; the oldest goes")
    t.ok("by-hand" not in dec and oj["regions"][0]["unmanagedSnapshots"] == 1,
         "an unmanaged snapshot is a count, not a decision")

    # --now moves the clock
    r = plan_offline(inv_file, "--now", "2026-01-11T03:00:00Z", "--output", "json")
    j = r.json()
    creates = sorted(a["target"] for a in j["actions"] if a["action"] == "create")
    t.is_((j["now"], creates), ("2026-01-11T03:00:00Z", ["snapkeep-billing-db-20260111-0300",
                                                         "snapkeep-orders-db-20260111-0300"]),
          "--now decides the schedule slot")
    r = plan_offline(inv_file, "--now", "2026-01-10T02:59:59Z", "--output", "json")
    creates = sorted(a["target"] for a in r.json()["actions"] if a["action"] == "create")
    t.is_(creates, ["snapkeep-billing-db-20260109-0300"], "a second before 03:00 the slot is the day before's")
    r = plan_offline(inv_file, "--detailed-exitcode")
    t.is_(r.rc, 2, "--detailed-exitcode: 2 for a plan with changes")

    # the reader round-trips what the writer writes
    r = t.snapkeep("inventory", "--repo", repo, "--path", "policies", "--inventory", inv_file, "--output", "json",
                   env=offline_env)
    with open(inv_file) as f:
        t.is_(r.out, f.read(), "inventory --inventory FILE --output json writes FILE back byte for byte")
    with open(inv_file) as f:
        r = plan_offline("-", "--now", T0, "--output", "json", input=f.read())
    t.ok(r.rc == 0 and r.json() == oj, "--inventory - reads standard input", r)

# a hand-written file with only the documented minimum (no regions list, no ARNs for instances)
MIN = {
    "format": "snapkeep-inventory/v1",
    "observedAt": "2026-01-10T03:00:00Z",
    "instances": [{"id": "orders-db", "region": "us-east-1", "engine": "postgres", "backupRetentionPeriod": 7,
                   "preferredBackupWindow": "03:00-03:30", "tags": {"env": "prod"}}],
    "snapshots": [{"id": s["id"], "arn": arn("us-east-1", s["id"]), "instance": "orders-db", "region": "us-east-1",
                   "type": "manual", "status": "available", "created": s["created"],
                   "originalCreated": s["created"], "encrypted": False, "kmsKeyId": None, "allocatedGiB": 50,
                   "tags": s["tags"]} for s in (owned(d) for d in range(2, 10))],
}
min_file = os.path.join(work, "minimal.json")
with open(min_file, "w") as f:
    json.dump(MIN, f, indent=2)
r = plan_offline(min_file, "--now", T0, "--output", "json")
t.is_(r.rc, 0, "a minimal hand-written inventory is accepted") or t.diag(r)
j = r.json()
t.is_((j["summary"], [a["action"] for a in j["actions"]].count("copy")), ({"create": 4, "change": 0, "delete": 4}, 3),
      "it plans the create, three copies (daily 3 in us-west-2, no regions list) and four deletions")
t.is_(sorted(d["id"] for d in j["snapshots"] if d["decision"] == "delete"),
      ["snapkeep-orders-db-202601%02d-0300" % d for d in (2, 3, 4, 5)], "the decisions say which go")

# unknown fields are ignored, at the top and inside elements
extra = json.loads(json.dumps(MIN))
extra["generator"] = {"name": "cmdb-export", "version": [1, 2]}
extra["instances"][0]["cmdbId"] = 42
for s in extra["snapshots"]:
    s["x-cost-center"] = {"nested": [True, None]}
extra_file = os.path.join(work, "extra.json")
with open(extra_file, "w") as f:
    json.dump(extra, f)
r = plan_offline(extra_file, "--now", T0, "--output", "json")
t.ok(r.rc == 0 and r.json()["actions"] == j["actions"], "unknown fields are ignored", r)

# bad files: one error, with file:line, the element and the field
good = json.dumps(MIN["snapshots"][0])


def doc(snapshot_text):
    return '{\n"format": "snapkeep-inventory/v1",\n"instances": [],\n"snapshots": [\n%s\n]\n}\n' % snapshot_text


BAD = [
    ("no-status", doc(good.replace('"status": "available", ', '')),
     r":5: snapshot 'snapkeep-orders-db-20260102-0300': 'status' is required"),
    ("no-type", doc(good.replace('"type": "manual", ', '')), r":5: snapshot '[^']+': 'type' is required"),
    ("bad-time", doc(good.replace('"%s"' % MIN["snapshots"][0]["created"], '"yesterday"', 1)),
     r":5: snapshot '[^']+': 'created' must be an RFC 3339 time"),
    ("bad-size", doc(good.replace('"allocatedGiB": 50', '"allocatedGiB": "50"')),
     r":5: snapshot '[^']+': 'allocatedGiB' must be an integer"),
    ("bad-tags", doc(good.replace('"tags": {', '"tags": {"n": 1, ')), r":5: snapshot '[^']+': tag 'n' must be a string"),
    ("multi-line", doc(json.dumps(dict(MIN["snapshots"][0], encrypted="yes"), indent=2)),
     r":5: snapshot '[^']+': 'encrypted' must be true or false"),
    ("syntax", doc('{"id": "x" "instance": "y"}'), r":5: "),
    ("truncated", doc(good)[:-8], r":\d+: "),
    ("not-an-array", '{"format": "snapkeep-inventory/v1",\n"snapshots": {}}', r":2: 'snapshots' must be an array"),
    ("wrong-format", '{"format": "snapkeep-inventory/v9"}', r":1: not a snapkeep-inventory/v1 file"),
    ("no-format", '{"snapshots": []}', r': no "format"'),
    ("not-json", "hello", r":1: expected '\{'"),
    ("instance-id", '{"format": "snapkeep-inventory/v1",\n"instances": [\n {"region": "us-east-1"}]}',
     r":3: instance: 'id' is required"),
]
for name, text, pattern in BAD:
    path = os.path.join(work, name + ".json")
    with open(path, "w") as f:
        f.write(text)
    r = plan_offline(path, "--now", T0)
    t.ok(r.rc == 1 and not r.out and re.search(re.escape(path) + pattern, r.err) and r.err.count("\n") == 1,
         "bad inventory (%s): one error naming %s" % (name, pattern), r)

# maxDeletionsPerRun defaults to 50
many = json.loads(json.dumps(MIN))
many["snapshots"] = []
for k in range(130):
    sid = "snapkeep-orders-db-%04d" % k
    many["snapshots"].append({"id": sid, "arn": arn("us-east-1", sid), "instance": "orders-db",
                              "region": "us-east-1", "type": "manual", "status": "available",
                              "created": "2025-%02d-%02dT03:04:00Z" % (1 + k // 28, 1 + k % 28),
                              "tags": {"snapkeep:policy": "prod", "snapkeep:instance": "orders-db"}})
many_file = os.path.join(work, "many.json")
with open(many_file, "w") as f:
    json.dump(many, f)
with open(os.path.join(repo, "policies", "prod.yaml"), "w") as f:
    f.write(POLICY.replace("retain: {daily: 5}", "retain: {last: 70}").replace(
        "    copies:\n      - region: us-west-2\n        kmsKeyId: alias/dr\n        retain: {daily: 3}\n", "") +
        "---\napiVersion: snapkeep/v1\nkind: Settings\nmetadata: {name: settings}\nspec:\n  snapshotQuota: 1000\n")
t.git(repo, "commit", "-qam", "last 70, no copies")
r = plan_offline(many_file, "--now", T0, "--output", "json")
j = r.json()
deferred = [d for d in j["snapshots"] if d["deferred"]]
t.is_((j["summary"]["delete"], len(deferred), set(d["rules"][0] for d in deferred)), (50, 11, {"max-deletions"}),
      "61 to delete: 50 now (maxDeletionsPerRun's default), 11 left for later")
t.ok([n for n in j["notes"] if n["kind"] == "deferred" and "at most 50 per run" in n["message"]],
     "and a note says so", j["notes"])
oldest = sorted(a["target"] for a in j["actions"] if a["action"] == "delete")
t.is_(oldest, ["snapkeep-orders-db-%04d" % k for k in range(50)], "the oldest go first")

t.done()
