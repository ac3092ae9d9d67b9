#!/usr/bin/env python3
"""Issue 13, part 2: `snapkeep verify` against the emulator.

1. One fleet, one instance per way a backup goes wrong (stale, old, no
   copy, unencrypted, wrong KMS key, shrunken, a short point-in-time
   window) and one where nothing does: `verify --instance X` exits as a
   monitoring plugin (0 OK, 1 WARNING, 2 CRITICAL) with a summary line and
   one line per problem naming the check, the instance, the region and the
   snapshot; the whole fleet exits 2 and lists every problem.
2. --output json: every result, with the exit code and the counts; the
   same offline from `snapkeep inventory --output json` (--inventory).
3. UNKNOWN (3): bad usage, an unknown --policy, an endpoint that does not
   answer; a stale LatestRestorableTime (the emulator's restorable lag)
   is CRITICAL; the last drill from the state: failed is CRITICAL, passed
   is OK.
4. verify makes exactly the calls plan makes (the emulator's call log).
5. The run loop: snapkeep_verify_status{instance,region,check} and the age
   on /metrics, one SNS message when a check becomes CRITICAL and one when
   it recovers."""
import datetime as dt
import json
import os
import re
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator
from runproc import RunProc, metric

ACCOUNT = "123456789012"
SRC, DST = "us-east-1", "us-west-2"
KEY1 = "arn:aws:kms:us-east-1:%s:key/11111111-1111-4111-8111-111111111111" % ACCOUNT
KEY2 = "arn:aws:kms:us-west-2:%s:key/22222222-2222-4222-8222-222222222222" % ACCOUNT
OTHER = "arn:aws:kms:us-east-1:%s:key/99999999-9999-4999-8999-999999999999" % ACCOUNT
TOPIC = "arn:aws:sns:us-east-1:%s:backup-alerts" % ACCOUNT
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def ago(hours):
    return (NOW - dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def sid(db, hours):
    return "snapkeep-%s-%dh" % (db, hours)


def source(db, hours, **kw):
    s = {"id": sid(db, hours), "instance": db, "type": "manual", "created": ago(hours),
         "tags": {"snapkeep:policy": "fleet", "snapkeep:instance": db}}
    s.update(kw)
    return s


def copy(db, hours):
    arn = "arn:aws:rds:%s:%s:snapshot:%s" % (SRC, ACCOUNT, sid(db, hours))
    return {"id": sid(db, hours), "instance": db, "type": "manual", "created": ago(hours - 0.2),
            "originalCreated": ago(hours), "sourceRegion": SRC, "sourceSnapshot": arn, "encrypted": True,
            "kmsKeyId": KEY2, "allocatedStorage": 100,
            "tags": {"snapkeep:policy": "fleet", "snapkeep:instance": db, "snapkeep:source": arn}}


def instance(db, **kw):
    d = {"id": db, "backupRetentionPeriod": 7, "storageEncrypted": True, "kmsKeyId": KEY1, "allocatedStorage": 100}
    d.update(kw)
    return d


# instance: (its sources, copied?)
FLEET = {
    "ok-db": ([source("ok-db", 1), source("ok-db", 25)], True),
    "stale-db": ([source("stale-db", 30)], True),
    "old-db": ([source("old-db", 60)], True),
    "nocopy-db": ([source("nocopy-db", 3)], False),
    "plain-db": ([source("plain-db", 1, encrypted=False)], True),
    "wrongkey-db": ([source("wrongkey-db", 1, kmsKeyId=OTHER)], True),
    "small-db": ([source("small-db", 1, allocatedStorage=50)], True),
    "young-db": ([source("young-db", 1)], True),
}
SEED = {
    "account": ACCOUNT,
    "regions": {
        SRC: {"instances": [instance(db, created=ago(40)) if db == "young-db" else instance(db) for db in FLEET],
              "snapshots": [s for db, (ss, _) in FLEET.items() for s in ss],
              "topics": ["backup-alerts"]},
        DST: {"instances": [], "kmsKeys": ["alias/dr"],
              "snapshots": [copy(db, int(s["id"].rsplit("-", 1)[1][:-1])) for db, (ss, copied) in FLEET.items()
                            if copied for s in ss]},
    },
}

POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: %s}
spec:
  regions: [us-east-1]
  selector: {instances: [%s]}
  automated: {retentionDays: 7}
  snapshots:
    schedule: "0 3 * * *"
    copies: [{region: us-west-2, kmsKeyId: "%s"}]
  verify:
    rpo: {warn: 26h, crit: 50h}
    copyRpo: {warn: 1h, crit: 6h}
%s  alerts: {snsTopicArn: "%s"}
"""

work = t.tmpdir()
repo = os.path.join(work, "policies")
t.git_repo(repo, {"policies/fleet.yaml": POLICY % ("fleet", ", ".join(FLEET), KEY2, "", TOPIC)}, "fleet")


def lines(r):
    return r.out.splitlines()


def problem(r, status, check, db, region=SRC):
    """the line of one problem, or None"""
    head = "%s %s: instance '%s' in %s: " % (status, check, db, region)
    found = [ln for ln in lines(r) if ln.startswith(head)]
    return found[0] if len(found) == 1 else None


with Emulator(seed=SEED) as emu:
    env = emu.env()
    env.update({"NO_COLOR": "1", "SNAPKEEP_STATE_DIR": os.path.join(work, "state"), "SNAPKEEP_LOG": None,
                "SNAPKEEP_LOG_FORMAT": None})

    def sk(*args, e=None):
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies"]), env=e or env)

    # ---- 1. OK, WARNING, CRITICAL per instance ----
    r = sk("verify", "--instance", "ok-db")
    t.is_(r.rc, 0, "ok-db: exit 0 (OK)")
    t.ok(lines(r) == ["SNAPKEEP VERIFY OK - 1 instance: 0 critical, 0 warning, 0 unknown, 11 ok"],
         "ok-db: one summary line, no problem line", r)

    cases = [
        ("stale-db", 1, "WARNING", "snapshot-age", SRC,
         "newest available snapshot 'snapkeep-stale-db-30h' is 1d6h old (warn 1d2h, crit 2d2h)"),
        ("old-db", 2, "CRITICAL", "snapshot-age", SRC,
         "newest available snapshot 'snapkeep-old-db-60h' is 2d12h old (warn 1d2h, crit 2d2h)"),
        ("nocopy-db", 2, "CRITICAL", "copy", DST,
         "no copy at all; source 'snapkeep-nocopy-db-3h' in us-east-1 has waited 3h (warn 1h, crit 6h)"),
        ("plain-db", 2, "CRITICAL", "encryption", SRC, "snapshot 'snapkeep-plain-db-1h' is not encrypted"),
        ("wrongkey-db", 2, "CRITICAL", "encryption", SRC,
         "snapshot 'snapkeep-wrongkey-db-1h' is encrypted with %s, not the expected key %s" % (OTHER, KEY1)),
        ("small-db", 1, "WARNING", "storage", SRC,
         "snapshot 'snapkeep-small-db-1h' has 50 GiB allocated, below the instance's 100 GiB"),
        ("young-db", 2, "CRITICAL", "pitr-window", SRC, "the point-in-time window reaches back "),
    ]
    for db, rc, status, check, region, text in cases:
        r = sk("verify", "--instance", db)
        line = problem(r, status, check, db, region)
        t.ok(r.rc == rc and lines(r)[0].startswith("SNAPKEEP VERIFY %s - 1 instance: " % status) and line
             and text in line and line.endswith("(policy 'fleet')"),
             "%s: exit %d (%s), a line naming the %s check, the instance, %s and the snapshot" % (db, rc, status,
                                                                                              check, region), r)
        t.is_(len(lines(r)), 2, "%s: the summary and exactly one problem line" % db)

    r = sk("verify")
    first = lines(r)[0] if r.out else ""
    t.ok(r.rc == 2 and first == "SNAPKEEP VERIFY CRITICAL - 8 instances: 5 critical, 2 warning, 0 unknown, 81 ok",
         "the whole fleet: exit 2, the counts", r)
    order = [ln.split(" ", 1)[0] for ln in lines(r)[1:]]
    t.ok(len(order) == 7 and order == sorted(order, key=["CRITICAL", "UNKNOWN", "WARNING"].index),
         "every problem once, the worst first", order)

    # ---- 2. JSON ----
    r = sk("verify", "--output", "json")
    j = r.json() if r.rc == 2 else {}
    res = j.get("results", [])
    t.ok(j.get("format") == "snapkeep-verify/v1" and j.get("status") == "CRITICAL" and j.get("exitCode") == 2 and
         j.get("instances") == 8 and j.get("counts") == {"ok": 81, "warning": 2, "critical": 5, "unknown": 0},
         "--output json: format, status, exit code, counts", {k: v for k, v in j.items() if k != "results"})
    t.is_(len(res), 88, "--output json lists every result (8 instances, 11 checks each), not only the problems")
    nc = [x for x in res if x["instance"] == "nocopy-db" and x["check"] == "copy"]
    t.ok(len(nc) == 1 and nc[0]["region"] == DST and nc[0]["status"] == "CRITICAL" and nc[0]["code"] == 2 and
         nc[0]["snapshot"] == "snapkeep-nocopy-db-3h" and 3 * 3600 - 60 <= nc[0]["valueSeconds"] <= 3 * 3600 + 600
         and nc[0]["policy"] == "fleet" and nc[0]["message"].startswith("instance 'nocopy-db' in us-west-2: "),
         "a result: policy, instance, region, check, status, code, snapshot, seconds, message", nc)
    checks = sorted({x["check"] for x in res if x["instance"] == "ok-db"})
    t.is_(checks, ["copy", "encryption", "pitr-latest", "pitr-retention", "pitr-window", "snapshot-age", "status",
                   "storage"], "ok-db: every check that applies to it")

    inv = os.path.join(work, "inventory.json")
    r = sk("inventory", "--output", "json")
    with open(inv, "w") as f:
        f.write(r.out)
    r = sk("verify", "--output", "json", "--inventory", inv)
    offline = {(x["instance"], x["region"], x["check"]): x["status"] for x in (r.json() if r.rc == 2 else {}).get(
        "results", [])}
    t.is_(offline, {(x["instance"], x["region"], x["check"]): x["status"] for x in res},
          "verify --inventory FILE (offline, from `snapkeep inventory`) finds the same")

    # ---- 3. UNKNOWN, PITR lag, drills ----
    r = sk("verify", "--bogus")
    t.ok(r.rc == 3 and "unknown option '--bogus'" in r.err, "bad usage: exit 3 (UNKNOWN), not 64", r)
    r = sk("verify", "--policy", "nope")
    t.ok(r.rc == 3 and r.out == "SNAPKEEP VERIFY UNKNOWN - no policy named 'nope'\n" and
         "no policy named 'nope'" in r.err, "an unknown --policy: exit 3, said on stdout and stderr", r)
    r = sk("verify", "--endpoint", "http://127.0.0.1:9", "--call-timeout", "1s", "--connect-timeout", "500ms",
           e=dict(env, AWS_MAX_ATTEMPTS="1"))
    t.ok(r.rc == 3 and r.out.startswith("SNAPKEEP VERIFY UNKNOWN - "), "AWS does not answer: exit 3 (UNKNOWN)", r)

    emu.config(restorableLagSeconds=2 * 3600)
    r = sk("verify", "--instance", "ok-db")
    line = problem(r, "CRITICAL", "pitr-latest", "ok-db")
    # verify's clock is read before it observes: on a slow machine the lag it sees can be a minute short
    t.ok(r.rc == 2 and line and re.search(r"LatestRestorableTime is (2h|1h59m) old", line)
         and "(warn 15m, crit 1h)" in line,
         "LatestRestorableTime 2 hours old: CRITICAL pitr-latest", r)
    emu.config(restorableLagSeconds=300)

    drilled = os.path.join(work, "drilled")
    t.git_repo(drilled, {"policies/fleet.yaml": POLICY % ("fleet", "ok-db", KEY2, "    drillMaxAge: 35d\n", TOPIC)},
               "drilled")
    state = os.path.join(work, "state-drill")
    os.makedirs(state, mode=0o700)

    def drill_state(outcome, error):
        with open(os.path.join(state, "state.json"), "w") as f:
            json.dump({"format": "snapkeep-state/v1", "serial": 1, "lineage": str(uuid.uuid4()),
                       "instances": {"us-east-1/ok-db": {"lastDrill": {
                           "at": ago(24 * 3), "outcome": outcome, "policy": "fleet", "source": "snapkeep-ok-db-25h",
                           "checks": 3, "checksPassed": 3 if outcome == "passed" else 2, "error": error}}}}, f)

    de = dict(env, SNAPKEEP_STATE_DIR=state)
    r = t.snapkeep("verify", "--repo", drilled, "--path", "policies", env=de)
    line = problem(r, "UNKNOWN", "drill", "ok-db")
    t.ok(r.rc == 3 and line and "no drill results" in line, "no state file: the drill check is UNKNOWN (3)", r)
    drill_state("failed", "check 'books present': 0 rows, want at least 1")
    r = t.snapkeep("verify", "--repo", drilled, "--path", "policies", env=de)
    line = problem(r, "CRITICAL", "drill", "ok-db")
    t.ok(r.rc == 2 and line and "the last drill (3d ago) failed: check 'books present'" in line,
         "the state's last drill failed: CRITICAL, naming the failed check", r)
    drill_state("passed", None)
    r = t.snapkeep("verify", "--repo", drilled, "--path", "policies", env=de)
    t.ok(r.rc == 0, "the state's last drill passed 3 days ago, drillMaxAge 35d: OK", r)

    # ---- 4. the calls of plan, no more ----
    def calls_of(*args):
        mark = emu.calls()["last"]
        r = sk(*args)
        got = {}
        for c in emu.calls(since=mark)["calls"]:
            key = "%s %s%s" % (c["region"], c["action"], " (mutating)" if c.get("mutating") else "")
            got[key] = got.get(key, 0) + 1
        return r, got

    rp, plan_calls = calls_of("plan")
    rv, verify_calls = calls_of("verify")
    t.ok(rp.rc == 0 and plan_calls and not [k for k in plan_calls if "mutating" in k], "plan observes (%s)"
         % plan_calls, rp)
    t.is_(verify_calls, plan_calls, "verify makes exactly the calls plan makes")

# ---- 5. the run loop: metrics, one alert on CRITICAL, one on recovery, no repeat in between ----
# the loop's policy has no spec.verify block: its checks alert all the same (only `verify: {alerts: false}` keeps
# them quiet); --alert-repeat 1s would repeat any other alert every cycle
LOOP_SEED = {"account": ACCOUNT, "regions": {
    SRC: {"instances": [instance("ok-db")], "snapshots": [source("ok-db", 1)], "topics": ["backup-alerts"]},
    DST: {"instances": [], "kmsKeys": ["alias/dr"], "snapshots": [copy("ok-db", 1)]}}}
loop_repo = os.path.join(work, "loop")
LOOP_POLICY = POLICY.replace("  verify:\n    rpo: {warn: 26h, crit: 50h}\n    copyRpo: {warn: 1h, crit: 6h}\n", "")
t.ok("verify" not in LOOP_POLICY, "the loop's policy has no spec.verify")
t.git_repo(loop_repo, {"policies/fleet.yaml": LOOP_POLICY % ("fleet", "ok-db", KEY2, "", TOPIC)}, "loop")

with Emulator(seed=LOOP_SEED) as emu:
    env = emu.env()
    env.update({"NO_COLOR": "1", "SNAPKEEP_STATE_DIR": os.path.join(work, "state-loop"), "SNAPKEEP_LOG": None,
                "SNAPKEEP_LOG_FORMAT": None, "AWS_MAX_ATTEMPTS": "1"})
    p = RunProc(["--repo", loop_repo, "--path", "policies", "--interval", "1s", "--metrics-addr", "127.0.0.1:0",
                 "--alert-repeat", "1s"], env=env, workdir=work, name="loop")
    try:
        t.ok(p.wait_for(r"cycle 1 ok", timeout=30), "the loop's first cycle succeeds", p.err())
        t.ok(p.wait_for(r"verify OK: 1 instances", timeout=10), "and verifies: OK", p.err())
        ms = p.metrics()
        t.is_(metric(ms, "snapkeep_verify_status", instance="ok-db", region=SRC, check="pitr-latest"), 0.0,
              "/metrics: snapkeep_verify_status{ok-db, us-east-1, pitr-latest} is 0 (OK)")
        age = metric(ms, "snapkeep_verify_newest_snapshot_age_seconds", instance="ok-db", region=SRC)
        t.ok(age is not None and 3600 - 60 <= age <= 3600 + 300,
             "/metrics: snapkeep_verify_newest_snapshot_age_seconds{ok-db, us-east-1} is about an hour", age)
        t.is_(metric(ms, "snapkeep_verify_status", instance="ok-db", region=DST, check="copy"), 0.0,
              "/metrics: the copy region has its own series")

        emu.config(restorableLagSeconds=2 * 3600)
        t.ok(p.wait_for(r"alert verify:us-east-1/ok-db:pitr-latest firing", timeout=20),
             "LatestRestorableTime falls 2 hours behind: the alert fires", p.err())
        fired = time.time()
        more = 0
        while more < 8 and (more < 4 or time.time() - fired < 4) and p.wait_next(r"cycle \d+ ok", timeout=15):
            more += 1
        t.ok(more >= 4 and time.time() - fired >= 3, "%d more cycles run while it fires, over %.1f s (--alert-repeat 1s)"
             % (more, time.time() - fired))
        t.is_(p.count(r"alert verify:\S+ still firing"), 0, "no cycle repeats the verify alert")
        t.is_(metric(p.metrics(), "snapkeep_verify_status", instance="ok-db", region=SRC, check="pitr-latest"),
              2.0, "/metrics: snapkeep_verify_status{ok-db, us-east-1, pitr-latest} is 2 (CRITICAL)")
        firing = [m for m in emu.sns_messages() if m["Subject"].startswith("snapkeep: verify CRITICAL")]
        t.ok(len(firing) == 1 and firing[0]["TopicArn"] == TOPIC and
             firing[0]["Subject"] == "snapkeep: verify CRITICAL: pitr-latest of ok-db in us-east-1" and
             re.search(r"CRITICAL pitr-latest: instance 'ok-db' in us-east-1: LatestRestorableTime is (2h|1h59m) ",
                       firing[0]["Message"]),
             "one SNS message to the policy's topic, naming the check, the instance and the region",
             [(m["Subject"], m["Message"][:300]) for m in emu.sns_messages()])

        emu.config(restorableLagSeconds=300)
        t.ok(p.wait_for(r"alert verify:us-east-1/ok-db:pitr-latest resolved", timeout=20),
             "it recovers: the alert resolves", p.err())
        t.ok(p.wait_next(r"cycle \d+ ok", timeout=15), "another cycle runs")
        msgs = emu.sns_messages()
        resolved = [m for m in msgs if m["Subject"].startswith("snapkeep: resolved: verify CRITICAL")]
        t.ok(len(resolved) == 1 and len(msgs) == 2, "one 'resolved' message, two messages in all",
             [m["Subject"] for m in msgs])
        t.is_(metric(p.metrics(), "snapkeep_verify_status", instance="ok-db", region=SRC, check="pitr-latest"),
              0.0, "/metrics: back to 0 (OK)")
        t.is_(p.stop(), 0, "the loop stops on SIGTERM")
    finally:
        p.kill()
t.done()
