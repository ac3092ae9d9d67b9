#!/usr/bin/env python3
# tests/run: start early (one of the longest tests)
"""Three `snapkeep run --auto-apply` replicas on one PostgreSQL 15 (started
here: initdb + pg_ctl on a free loopback port) share a fleet of 4 accounts
x 3 regions, 12 shards, each account's role assumed from the replicas' base
credentials (issue 17, "Done when"):

- they converge it: every instance's settings, the day's snapshot and its
  copy in the next region; `plan` says no changes afterwards;
- the emulator's call log shows no mutation made twice, and every mutation
  made by a replica while it held the shard of the instance it concerns
  (a copy's: its source instance's); the replicas' logs of taking and
  giving back shards show no shard held by two replicas at once;
- SIGKILL of a replica in the middle of an apply (a commit adds a second
  copy region; one CopyDBSnapshot is made and its answer held back): another replica takes its shard within one interval, says the
  holder died, resolves the open intent against live state, and the fleet
  converges with nothing made twice and nothing missing;
- PostgreSQL stopped mid-cycle: the replicas keep serving /healthz, 503
  naming the error, their cycles fail at stage "state"; once it is back
  they carry on by themselves and converge a commit made meanwhile.

The call log names each call's account; with the replicas' logs of taking
and giving back shards (JSON, millisecond times), each mutation is matched
to the one replica that held its shard then.  Intervals are 3 s and the
fleet small (one instance per shard) to keep the test short."""
import datetime as dt
import json
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
import pgserver
from emulator_ctl import Emulator
from runproc import RunProc, metric

if not pgserver.available():
    t.plan(1)
    t.skip("three replicas on PostgreSQL", "PostgreSQL 15 is not installed (make deps)")
    t.done()
    sys.exit(0)

BASE = "123456789012"
ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444"]
REGIONS = ["eu-west-1", "us-east-1", "us-west-2"]
COPY_TO = {"us-east-1": "us-west-2", "us-west-2": "eu-west-1", "eu-west-1": "us-east-1"}
SHORT = {"us-east-1": "use1", "us-west-2": "usw2", "eu-west-1": "euw1"}
INTERVAL = 3
REPLICAS = ["snapkeep-0", "snapkeep-1", "snapkeep-2"]
KEYS = {r: ("AKIDREPLICA%d" % i, "replica-secret-%d" % i) for i, r in enumerate(REPLICAS)}
HOME = {}  # instance -> its region (with the call's account: its shard)
SEED = {"account": BASE, "config": {"createSeconds": 1, "copySeconds": 1},
        "regions": {"us-east-1": {"instances": []}},  # the base account: the replicas' own keys, no instance
        "roles": [{"arn": "arn:aws:iam::%s:role/snapkeep" % a, "trust": [BASE]} for a in ACCOUNTS],
        "accounts": {}}
for a in ACCOUNTS:
    SEED["accounts"][a] = {"regions": {}}
    for region in REGIONS:
        iid = "%s-db" % SHORT[region]
        HOME[iid] = region
        SEED["accounts"][a]["regions"][region] = {"instances": [
            {"id": iid, "backupRetentionPeriod": 1, "preferredBackupWindow": "03:00-04:00", "tags": {"fleet": "prod"}}]}
SETTINGS = "apiVersion: snapkeep/v1\nkind: Settings\nmetadata: {name: fleet}\nspec:\n  accounts:\n" + "".join(
    '    - {id: "%s", roleArn: "arn:aws:iam::%s:role/snapkeep"}\n' % (a, a) for a in ACCOUNTS)


def copy_regions(region, both):
    return [COPY_TO[region]] + ([r for r in REGIONS if r not in (region, COPY_TO[region])] if both else [])


def policy(region, retention=7, both=False):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: fleet-%s}
spec:
  regions: [%s]
  selector: {tags: {fleet: prod}}
  automated: {retentionDays: %d, window: "03:00-04:00"}
  snapshots:
    schedule: "@daily"
    retain: {daily: 3}
    copies: [%s]
""" % (SHORT[region], region, retention,
       ", ".join("{region: %s, retain: {daily: 3}}" % r for r in copy_regions(region, both)))


def files(retention=7, both=False):
    f = {"policies/%s.yaml" % SHORT[r]: policy(r, retention, both) for r in REGIONS}
    f["policies/settings.yaml"] = SETTINGS
    return f


def commit(retention, both, message):
    return t.git_commit(repo, files(retention, both), message)


def when(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp()


def shard_intervals(procs, killed_at=None):
    """[(shard, replica, start, end)] from the replicas' JSON logs; a killed replica's open one ends at its death"""
    out = []
    for name, p in procs.items():
        open_ = {}
        for line in p.err().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            m = re.match(r"(took|released) shard (\S+) \(replica (\S+)\)", rec.get("msg", ""))
            if not m:
                continue
            if m.group(1) == "took":
                open_[m.group(2)] = when(rec["time"])
            elif m.group(2) in open_:
                out.append((m.group(2), name, open_.pop(m.group(2)), when(rec["time"])))
        for shard, start in open_.items():
            out.append((shard, name, start, (killed_at or {}).get(name, time.time())))
    return out


def overlaps(iv):
    bad = []
    for i, a in enumerate(iv):
        for b in iv[i + 1:]:
            if a[0] == b[0] and a[1] != b[1] and a[2] < b[3] and b[2] < a[3]:
                bad.append((a, b))
    return bad


def shard_of(call):
    """the shard "account/region" (its instance's home region) a mutating call belongs to"""
    p = call.get("params") or {}
    name = p.get("DBInstanceIdentifier") or p.get("TargetDBSnapshotIdentifier") or p.get("DBSnapshotIdentifier") or ""
    for iid, region in HOME.items():
        if name == iid or name.startswith("snapkeep-%s-" % iid):
            return "%s/%s" % (call.get("account"), region)
    return None


def target_of(call):
    p = call.get("params") or {}
    return (call["action"], call["region"], p.get("TargetDBSnapshotIdentifier") or p.get("DBSnapshotIdentifier")
            or p.get("DBInstanceIdentifier"))


def change_of(call):
    """a mutation: its account and target, and for a modify what it sets (each commit sets another retention)"""
    p = call.get("params") or {}
    return (call.get("account"),) + target_of(call) + (
        (json.dumps(p, sort_keys=True),) if call["action"] == "ModifyDBInstance" else ())


def holders(iv, shard, at):
    return sorted({r for s, r, a, b in iv if s == shard and a - 0.05 <= at <= b + 0.05})


def check_calls(emu, since, procs, what, killed_at=None):
    """no mutation twice; each made by a replica while it held the call's shard; no shard held twice at once"""
    calls = [c for c in emu.calls(since=since, service="rds")["calls"] if c.get("mutating")]
    seen, twice, errors = set(), [], []
    for c in calls:
        k = change_of(c)
        if k in seen:
            twice.append(k)
        seen.add(k)
        if c.get("error"):
            errors.append((k, c["error"]))
    t.ok(calls and not twice, "%s: %d mutations, none made twice" % (what, len(calls)), twice)
    t.ok(not errors, "%s: no mutation failed (no AlreadyExists, no not-found)" % what, errors)
    iv = shard_intervals(procs, killed_at)
    t.ok(not overlaps(iv), "%s: no shard was held by two replicas at the same time (%d holds)" % (what, len(iv)),
         overlaps(iv))
    outside = []
    for c in calls:
        h = holders(iv, shard_of(c), when(c["wall"]))
        if len(h) != 1:
            outside.append((c["action"], c["region"], target_of(c)[2], shard_of(c), h))
    t.ok(not outside, "%s: every mutation was made while exactly one replica held its instance's shard" % what,
         outside)
    return calls


def converged(emu, retention, both):
    """every instance of every account: its retention, the day's snapshot at home and one copy per copy region"""
    day = time.strftime("%Y%m%d", time.gmtime())
    missing = []
    for a in ACCOUNTS:
        st = emu.state(account=a)
        for region in REGIONS:
            for inst in st["regions"][region]["instances"]:
                if inst["backupRetentionPeriod"] != retention:
                    missing.append(("retention", a, inst["id"], inst["backupRetentionPeriod"]))
        for iid, region in HOME.items():
            own = [s for s in st["regions"][region]["snapshots"]
                   if s["id"].startswith("snapkeep-%s-%s" % (iid, day)) and s["status"] == "available"]
            if len(own) != 1:
                missing.append(("snapshot", a, iid, len(own)))
            for dest in copy_regions(region, both):
                copies = [s for s in st["regions"][dest]["snapshots"]
                          if s["id"].startswith("snapkeep-%s-%s" % (iid, day)) and s["status"] == "available"]
                if len(copies) != 1:
                    missing.append(("copy", a, iid, dest, len(copies)))
    return missing


def wait_converged(emu, retention, both, timeout):
    deadline = time.time() + timeout
    while True:
        left = converged(emu, retention, both)
        if not left or time.time() > deadline:
            return left
        time.sleep(0.5)



work = t.tmpdir()
repo = os.path.join(work, "policies")
t.git_repo(repo, files(), "fleet: 4 accounts, 7 days, one copy region")
keys = os.path.join(work, "keys.json")
with open(keys, "w") as f:
    json.dump(dict([v for v in KEYS.values()] + [("AKIDSNAPKEEPTEST", "snapkeep-emulator-secret")]), f)

with pgserver.PgServer() as pg, Emulator(seed=SEED, args=["--keys", keys]) as emu:
    pg.psql("CREATE DATABASE snapkeep")
    base = emu.env()
    base.update({"PGPASSWORD": None, "PGPASSFILE": None, "PGHOST": None, "PGPORT": None, "PGUSER": None,
                 "PGDATABASE": None, "PGSERVICE": None, "PGCONNECT_TIMEOUT": "5"})
    base.update({"SNAPKEEP_STATE_BACKEND": pg.url("snapkeep"), "NO_COLOR": "1", "SNAPKEEP_LOG": "debug",
                 "SNAPKEEP_LOG_FORMAT": "json", "AWS_MAX_ATTEMPTS": "2"})
    procs = {}
    for r in REPLICAS:
        env = dict(base, AWS_ACCESS_KEY_ID=KEYS[r][0], AWS_SECRET_ACCESS_KEY=KEYS[r][1],
                   SNAPKEEP_STATE_DIR=os.path.join(work, "state-" + r))
        procs[r] = RunProc(["--repo", repo, "--path", "policies", "--interval", "%ds" % INTERVAL, "--auto-apply",
                            "--metrics-addr", "127.0.0.1:0", "--replica-id", r], env=env, workdir=work, name=r)
    killed_at = {}
    try:
        # ---- the three converge the fleet ----
        left = wait_converged(emu, 7, False, 150)
        t.ok(not left, "three replicas converge 4 accounts x 3 regions (settings, snapshots, copies)",
             [left] + [procs[r].err()[-3000:] for r in REPLICAS])
        time.sleep(INTERVAL)
        calls1 = check_calls(emu, 0, procs, "converging")
        # the session keeps each role's credentials: a replica assumes a role once, not once per cycle
        assumed = {r: len([c for c in emu.calls(action="AssumeRole")["calls"] if c.get("accessKey") == KEYS[r][0]])
                   for r in REPLICAS}
        cycles = {r: sum(v for k, v in procs[r].metrics().items() if k[0] == "snapkeep_shard_cycles_total")
                  for r in REPLICAS}
        t.ok(all(assumed[r] <= len(ACCOUNTS) for r in REPLICAS) and sum(cycles.values()) > sum(assumed.values()),
             "each replica assumes an account's role once over its cycles (AssumeRole, shard cycles per replica)",
             (assumed, cycles))
        took = {r: procs[r].count(r"took shard") for r in REPLICAS}
        t.ok(sum(1 for n in took.values() if n) >= 2, "the shards are shared: %s took shards" % took)
        for r in REPLICAS:
            ms = procs[r].metrics()
            held = [k for k in ms if k[0] == "snapkeep_shard_cycles_total"]
            if took[r]:
                t.ok(held and metric(ms, "snapkeep_state_backend_up") == 1,
                     "%s: /metrics counts its shards by {account, region, outcome}, the backend up" % r, held)
                break
        # each replica's verify gauges hold every shard it reconciled in its last cycle, not just the last shard
        places = {(dict(k[1]).get("instance", "").split("/")[0], dict(k[1]).get("region"))
                  for r in REPLICAS for k in procs[r].metrics()
                  if k[0] == "snapkeep_verify_status" and dict(k[1]).get("check") == "snapshot-age"}
        t.ok(len(places) > len(REPLICAS), "/metrics: verify's series cover more (account, region) shards than "
             "there are replicas (%d)" % len(places), sorted(places))
        status, body, _ = procs[REPLICAS[0]].http("/healthz")
        t.is_((status, body), (200, "ok\n"), "/healthz is ok while PostgreSQL answers")
        rc = t.snapkeep("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode",
                        env=dict(base, SNAPKEEP_STATE_DIR=os.path.join(work, "state-plan")))
        t.ok(rc.rc == 0, "plan over the same PostgreSQL: no changes", rc.err.strip()[-1500:])

        # ---- SIGKILL in the middle of an apply ----
        mark = emu.calls()["last"]
        emu.faults(mutating=True, hold=1, count=1, holdMs=20000, actions=["CopyDBSnapshot"])
        commit(9, True, "fleet: 9 days, a second copy region")
        held = None
        deadline = time.time() + 30
        while not held and time.time() < deadline:
            held = next((c for c in emu.calls(since=mark, service="rds")["calls"] if c.get("fault") == "hold"), None)
            time.sleep(0.05)
        t.ok(held, "a CopyDBSnapshot (to the new copy region) is made and its answer held back")
        if not held:
            t.bail("no call was held: " + procs[REPLICAS[0]].err()[-2000:])
        shard = shard_of(held)
        victim = (holders(shard_intervals(procs), shard, when(held["wall"])) or [None])[0]
        t.ok(victim, "one replica holds its shard %s: %s" % (shard, victim))
        procs[victim].kill()
        killed_at[victim] = time.time()
        emu.admin("DELETE", "faults")
        others = [r for r in REPLICAS if r != victim]
        rx = r"took shard %s from a holder that died" % re.escape(shard)
        took_over = None
        while not took_over and time.time() < killed_at[victim] + 2 * INTERVAL + 15:
            took_over = next((r for r in others if procs[r].count(rx)), None)
            time.sleep(0.1)
        after = time.time() - killed_at[victim]
        t.ok(took_over, "%s killed holding shard %s: %s takes it, naming the dead holder" % (victim, shard, took_over))
        t.ok(after < INTERVAL * 1.1 + 10, "within one interval and a cycle (%.1f s after the kill)" % after)
        left = wait_converged(emu, 9, True, 150)
        t.ok(not left, "the fleet converges the new commit without the killed replica", left)
        time.sleep(INTERVAL)
        check_calls(emu, mark, procs, "after the kill", killed_at)
        made = [c for c in emu.calls(since=mark, service="rds")["calls"]
                if change_of(c) == change_of(held)]
        t.is_(len(made), 1, "the held copy was made once, not again by the replica that took over")
        t.ok(procs[took_over].count(r"resolved copy %s \(%s\) of an earlier run: completed"
                                    % (re.escape(target_of(held)[2]), held["region"])) == 1,
             "%s resolves the killed replica's open intent against live state: completed" % took_over)
        rows = pg.psql("SELECT record->>'how', run_id FROM snapkeep_journal WHERE type = 'resolution' "
                       "AND target = '%s'" % target_of(held)[2], db="snapkeep").splitlines()
        t.ok(len(rows) == 1 and rows[0].startswith("completed|"),
             "the resolution is one row of the journal table in PostgreSQL, for auditors", rows)
        h = t.snapkeep("history", "--output", "json", env=dict(base, SNAPKEEP_STATE_DIR=os.path.join(work, "h")))
        recs = [json.loads(x) for x in h.out.splitlines() if x.strip()] if h.rc == 0 else []
        res = [x for x in recs if x.get("type") == "resolution" and x.get("target") == target_of(held)[2]]
        t.ok(len(res) == 1 and res[0].get("how") == "completed", "and `snapkeep history` shows it",
             res or h.err[-500:])

        # ---- PostgreSQL stopped mid-cycle (a modify made, its answer held), then back ----
        alive = others
        mark = emu.calls()["last"]
        emu.faults(mutating=True, hold=1, count=1, holdMs=20000, actions=["ModifyDBInstance"])
        commit(10, True, "fleet: 10 days")
        held = None
        deadline = time.time() + 30
        while not held and time.time() < deadline:
            held = next((c for c in emu.calls(since=mark, service="rds")["calls"] if c.get("fault") == "hold"), None)
            time.sleep(0.05)
        t.ok(held, "a replica is mid-apply: a ModifyDBInstance made, its answer held back")
        shard = shard_of(held)
        holder = (holders(shard_intervals(procs, killed_at), shard, when(held["wall"])) or [None])[0]
        acct, region = shard.split("/")
        r = t.snapkeep("force-unlock", "--account", acct, "--region", region,
                       env=dict(base, SNAPKEEP_STATE_DIR=os.path.join(work, "fu")))
        t.ok(r.rc == 1 and holder and "pid %d on host %s" % (procs[holder].proc.pid, socket.gethostname()) in r.err
             and "session" in r.err,
             "force-unlock of shard %s refuses while %s holds it, naming its host, pid and session" % (shard, holder), r)
        started = time.time()
        r = t.snapkeep("apply", "--repo", repo, "--path", "policies", "--auto-approve", "--lock-timeout", "1",
                       env=dict(base, SNAPKEEP_STATE_DIR=os.path.join(work, "state-apply")))
        took = time.time() - started
        t.ok(r.rc == 1 and "is locked by run (pid" in r.err and "--lock-timeout" in r.err and 1 <= took < 15,
             "a manual apply over the same PostgreSQL waits --lock-timeout 1 for the shards, then refuses naming a "
             "holder (%.1f s)" % took, r)
        pg.stop("fast")
        stopped = time.time()
        emu.admin("DELETE", "faults")
        down = {}
        while len(down) < len(alive) and time.time() < stopped + 30:
            for r in alive:
                if r not in down:
                    status, body, _ = procs[r].http("/healthz")
                    if status == 503:
                        down[r] = body
            time.sleep(0.2)
        t.is_(sorted(down), sorted(alive), "with PostgreSQL down every replica still serves /healthz: 503")
        t.ok(all("PostgreSQL" in b and pgserver.PASSWORD not in b for b in down.values()),
             "naming the backend's error, the password masked", down)
        t.ok(all(procs[r].wait_for(r"cycle \d+ failed in (state|lock)", timeout=15) for r in alive),
             "their cycles fail at stage state (or lock) meanwhile")
        time.sleep(INTERVAL)
        pg.start()
        back = time.time()
        ok = {}
        while len(ok) < len(alive) and time.time() < back + 40:
            for r in alive:
                if r not in ok and procs[r].http("/healthz")[0] == 200:
                    ok[r] = time.time() - back
            time.sleep(0.2)
        t.is_(sorted(ok), sorted(alive), "once it is back, /healthz is 200 again without a restart (%s)" % ok)
        left = wait_converged(emu, 10, True, 150)
        t.ok(not left, "and they converge the commit", left)
        rx = r"resolved modify %s \(%s\) of an earlier run: completed" % (re.escape(target_of(held)[2]), held["region"])
        deadline = time.time() + 3 * INTERVAL + 10
        while not sum(procs[r].count(rx) for r in alive) and time.time() < deadline:
            time.sleep(0.2)
        t.is_(sum(procs[r].count(rx) for r in alive), 1,
              "the modify whose outcome could not be recorded is resolved once, as completed")
        time.sleep(INTERVAL)
        check_calls(emu, 0, procs, "the whole test", killed_at)
        rc = t.snapkeep("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode",
                        env=dict(base, SNAPKEEP_STATE_DIR=os.path.join(work, "state-plan")))
        t.ok(rc.rc == 0, "nothing half-written: plan reads the state and finds no changes", rc.err[-1500:])
        alive = [r for r in REPLICAS if r not in killed_at]
        skipped = {r: sum(v for k, v in procs[r].metrics().items() if k[0] == "snapkeep_shards_skipped_total")
                   for r in alive}
        logged = {r: procs[r].count(r"is held by another replica: skipped this cycle") for r in alive}
        t.ok(sum(skipped.values()) > 0 and all(skipped[r] == logged[r] for r in alive),
             "shards another replica held were skipped: counted in snapkeep_shards_skipped_total as logged "
             "(%s, logged %s)" % (skipped, logged))
        rcs = {r: procs[r].stop() for r in REPLICAS if r not in killed_at}
        t.ok(not any(pgserver.PASSWORD in procs[r].err() + procs[r].out() for r in REPLICAS),
             "the connection string's password is in no replica's output")
        t.ok(all(v == 0 for v in rcs.values()), "SIGTERM stops the live replicas with exit 0 (%s)" % rcs)
        r = t.snapkeep("force-unlock", "--account", ACCOUNTS[0], "--region", REGIONS[0],
                       env=dict(base, SNAPKEEP_STATE_DIR=os.path.join(work, "fu")))
        t.ok(r.rc == 0 and "No holder of shard '%s/%s' is recorded" % (ACCOUNTS[0], REGIONS[0]) in r.out,
             "replicas stopped with SIGTERM gave their shards back: force-unlock finds nothing to clear", r)
    finally:
        for r in REPLICAS:
            procs[r].stop()
t.done()
