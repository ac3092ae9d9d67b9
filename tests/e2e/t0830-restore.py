#!/usr/bin/env python3
"""`snapkeep restore`: point-in-time and snapshot restores people can trust.

Against the emulator (instances as metadata, its clock frozen):
- a dry run prints the call (action, region, parameters) and the instance's
  restore window, and makes no mutating call (the emulator's call log);
- a time outside the window is refused before any mutating call, with the
  window in the one-line message; so are a snapshot that is missing, not
  available, in another region or of another instance, an instance without
  automated backups and a target that exists;
- --apply --wait makes the instance, tagged with what it was restored from,
  by whom and when, and waits until it is available; the call is journaled
  and `history` names it; --timeout and SIGINT end the wait, not the restore,
  and say so in history; a restore whose answer was lost (the call made, the
  connection dropped) is recognised as done by its tags when the retry meets
  DBInstanceAlreadyExists;
- the DR path: --region us-west-2 restores from the automated backups
  replicated there, and from a copy of a snapshot there;
- usage errors exit 64.
With real PostgreSQL behind the emulator (skipped only when PostgreSQL 15 is
absent): rows at t1, a snapshot, rows at t2; `restore --to-time` between them
holds exactly the rows committed before that time, `--from-snapshot` the t1
rows, and a time outside the window is refused before any call."""
import json
import math
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

ACCOUNT = "123456789012"
NOW = "2026-03-10T05:00:00Z"
SNAP_ARN = "arn:aws:rds:us-east-1:%s:snapshot:snap-a" % ACCOUNT


def snap(sid, inst, created, status="available", **kw):
    s = {"id": sid, "instance": inst, "type": "manual", "created": created, "status": status}
    s.update(kw)
    return s


SEED = {"clock": NOW, "regions": {
    "us-east-1": {
        "instances": [
            {"id": "db-a", "backupRetentionPeriod": 7, "preferredBackupWindow": "03:00-04:00",
             "created": "2026-01-01T00:00:00Z", "tags": {"team": "books"}},
            {"id": "db-nobackups", "backupRetentionPeriod": 0, "created": "2026-01-01T00:00:00Z"},
            {"id": "db-other", "backupRetentionPeriod": 1, "created": "2026-01-01T00:00:00Z"},
        ],
        "snapshots": [
            snap("snap-a", "db-a", "2026-03-09T04:30:00Z"),
            snap("snap-creating", "db-a", "2026-03-10T04:59:00Z", status="creating"),
            snap("snap-other", "db-other", "2026-03-09T04:30:00Z"),
        ]},
    "us-west-2": {
        "instances": [],
        "snapshots": [
            snap("snap-a-dr", "db-a", "2026-03-09T04:40:00Z", sourceRegion="us-east-1", sourceSnapshot=SNAP_ARN,
                 originalCreated="2026-03-09T04:30:00Z"),
        ]},
}}


def mark(emu):
    return emu.calls(action="none")["last"]


def calls_since(emu, m):
    return [c for c in emu.calls(since=m)["calls"] if c["service"] == "rds"]


def mutating_since(emu, m):
    """the calls of mutating actions since m, answered or refused"""
    return [c["action"] for c in calls_since(emu, m) if c.get("mutating") or not c["action"].startswith("Describe")]


def instance(emu, region, iid):
    for d in emu.state(region)["regions"].get(region, {}).get("instances", []):
        if d["id"] == iid:
            return d
    return None


def window_of(out):
    """'E .. L' from a dry run's 'restore window:' line."""
    for line in out.splitlines():
        if line.strip().startswith("restore window:"):
            return line.split(":", 1)[1].strip().split(" (")[0]
    return None


def history(env, *args):
    return t.snapkeep("history", *args, env=env)


def journal(env):
    r = history(env, "--output", "json")
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


tmp = t.tmpdir()
with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = os.path.join(tmp, "state")
    env["USER"] = "oncall"

    def restore(*args, **kw):
        return t.snapkeep("restore", *args, env=kw.get("env", env), timeout=kw.get("timeout", 120))

    # ---- help and usage ----
    r = restore("--help")
    t.ok(r.rc == 0 and all(o in r.out for o in ("--instance", "--to-time", "--latest", "--from-snapshot", "--target",
                                                   "--region", "--instance-class", "--apply", "--wait", "--timeout",
                                                   "Exit codes: 0 restored, or the dry run printed; 1 error, or "
                                                   "refused")),
         "restore --help lists its options and exit codes", r)
    for args, want in ((["--to-time", NOW, "--target", "x"], "--instance is required"),
                       (["--instance", "db-a", "--target", "x"], "give one of --to-time T, --latest or --from-snapshot"),
                       (["--instance", "db-a", "--latest", "--from-snapshot", "snap-a", "--target", "x"],
                        "give one of"),
                       (["--instance", "db-a", "--latest"], "--target is required"),
                       (["--instance", "db-a", "--latest", "--target", "x", "--wait"], "--wait needs --apply"),
                       (["--instance", "db-a", "--to-time", "yesterday", "--target", "x"], "--to-time"),
                       (["--instance", "db-a", "--latest", "--target", "x", "--auto-approve"], "not an option")):
        r = restore(*args)
        t.ok(r.rc == 64 and want in r.err and r.err.count("\n") == 1, "usage: %s -> 64 (%s)" % (" ".join(args), want),
             r)

    # ---- a dry run: the call and the window, no mutating call ----
    m = mark(emu)
    r = restore("--instance", "db-a", "--to-time", "2026-03-09T12:00:00Z", "--target", "db-a-restored")
    window = window_of(r.out)
    t.ok(r.rc == 0 and "(dry run)" in r.out and "would call:      RestoreDBInstanceToPointInTime in us-east-1" in r.out,
         "dry run: exit 0, names the action and region", r)
    t.ok(window == "2026-03-04T03:00:00Z .. 2026-03-10T04:55:00Z",
         "dry run: prints the restore window (oldest automated backup .. LatestRestorableTime)", r.out)
    for name, value in (("SourceDBInstanceIdentifier", "db-a"), ("TargetDBInstanceIdentifier", "db-a-restored"),
                        ("RestoreTime", "2026-03-09T12:00:00Z")):
        t.ok(any(line.split() == [name, value] for line in r.out.splitlines()), "dry run: parameter %s %s" % (name, value),
             r.out)
    t.ok("snapkeep:restore=db-a@2026-03-09T12:00:00Z" in r.out and "snapkeep:restored-by=oncall@" in r.out,
         "dry run: the tags the new instance would get", r.out)
    t.ok("Dry run: no call was made. Add --apply to restore." in r.out, "dry run: says that nothing was called", r.out)
    seen = calls_since(emu, m)
    t.ok(seen and mutating_since(emu, m) == [] and
         {c["action"] for c in seen} <= {"DescribeDBInstances", "DescribeDBInstanceAutomatedBackups"},
         "dry run: only Describe calls (emulator call log)", [c["action"] for c in seen])
    t.ok(instance(emu, "us-east-1", "db-a-restored") is None, "dry run: no instance was made")
    t.ok(not os.path.exists(os.path.join(tmp, "state", "journal.jsonl")), "dry run: nothing journaled")

    r = restore("--instance", "db-a", "--latest", "--target", "db-a-restored", "--instance-class", "db.t3.micro",
                "--output", "json")
    try:
        doc = json.loads(r.out)
    except ValueError:
        doc = {}
    t.ok(r.rc == 0 and doc.get("dryRun") is True and doc.get("action") == "RestoreDBInstanceToPointInTime"
         and doc.get("parameters", {}).get("UseLatestRestorableTime") == "true"
         and doc.get("parameters", {}).get("DBInstanceClass") == "db.t3.micro"
         and doc.get("window") == {"earliest": "2026-03-04T03:00:00Z", "latest": "2026-03-10T04:55:00Z",
                                   "retentionDays": 7}
         and doc["parameters"]["Tags"].get("snapkeep:restore") == "db-a@latest",
         "--latest --output json: the call, its parameters and the window as JSON", r)

    r = restore("--instance", "db-a", "--from-snapshot", "snap-a", "--target", "db-a-snap")
    t.ok(r.rc == 0 and "would call:      RestoreDBInstanceFromDBSnapshot in us-east-1" in r.out
         and "snap-a, available, taken 2026-03-09T04:30:00Z" in r.out
         and window_of(r.out) == "2026-03-04T03:00:00Z .. 2026-03-10T04:55:00Z",
         "--from-snapshot dry run: the snapshot, the instance's restore window and the call", r)

    # ---- refusals: before any mutating call, one line naming why ----
    def refused(args, want, what):
        m0 = mark(emu)
        r0 = restore(*args)
        ok = t.ok(r0.rc == 1 and all(w in r0.err for w in want) and r0.err.startswith("snapkeep: refused restore of")
                  and r0.err.rstrip().endswith("no call was made") and r0.err.count("\n") == 1
                  and mutating_since(emu, m0) == [], "refused: %s" % what, r0)
        return ok

    refused(["--instance", "db-a", "--to-time", "2026-03-01T00:00:00Z", "--target", "db-early"],
            ["outside its restore window 2026-03-04T03:00:00Z .. 2026-03-10T04:55:00Z", "to 2026-03-01T00:00:00Z"],
            "a time before the window, with the window in the message")
    refused(["--instance", "db-a", "--to-time", "2026-03-10T04:58:00Z", "--target", "db-late"],
            ["outside its restore window 2026-03-04T03:00:00Z .. 2026-03-10T04:55:00Z"],
            "a time after LatestRestorableTime")
    refused(["--instance", "db-nobackups", "--latest", "--target", "db-x"],
            ["keeps no automated backups (BackupRetentionPeriod 0)"], "an instance without automated backups")
    refused(["--instance", "db-a", "--from-snapshot", "snap-missing", "--target", "db-x"],
            ["there is no snapshot 'snap-missing' there"], "a missing snapshot")
    refused(["--instance", "db-a", "--from-snapshot", "snap-creating", "--target", "db-x"],
            ["snapshot 'snap-creating' is creating, not available"], "a snapshot still creating")
    refused(["--instance", "db-a", "--from-snapshot", "arn:aws:rds:us-west-2:%s:snapshot:snap-a-dr" % ACCOUNT,
             "--target", "db-x"], ["the snapshot is in us-west-2, not in us-east-1", "--region us-west-2"],
            "a snapshot (ARN) in another region")
    refused(["--instance", "db-a", "--from-snapshot", "snap-other", "--target", "db-x"],
            ["snapshot 'snap-other' is of instance 'db-other', not 'db-a'"], "a snapshot of another instance")
    refused(["--instance", "db-a", "--latest", "--target", "db-other"],
            ["db instance 'db-other' already exists there"], "a target that exists")
    refused(["--instance", "db-a", "--latest", "--target", "db-x", "--region", "eu-west-1"],
            ["there is no instance 'db-a' there, nor an automated backup of it"], "a region without the instance")
    t.ok(not os.path.exists(os.path.join(tmp, "state", "journal.jsonl")), "refusals journal nothing")

    # ---- --apply --wait: made, tagged, available, journaled ----
    emu.config(restoreSeconds=None, restoreDescribes=2)
    m = mark(emu)
    r = restore("--instance", "db-a", "--to-time", "2026-03-09T12:00:00Z", "--target", "db-a-restored",
                "--instance-class", "db.t3.micro", "--apply", "--wait")
    calls = calls_since(emu, m)
    muts = [c for c in calls if c.get("mutating")]
    t.ok(r.rc == 0 and "Restore requested: RestoreDBInstanceToPointInTime in us-east-1 (RequestId " in r.out
         and "'db-a-restored' is available in us-east-1 after" in r.out, "--apply --wait: requested, then available", r)
    t.ok(len(muts) == 1 and muts[0]["action"] == "RestoreDBInstanceToPointInTime"
         and muts[0]["params"].get("SourceDBInstanceIdentifier") == "db-a"
         and muts[0]["params"].get("TargetDBInstanceIdentifier") == "db-a-restored"
         and muts[0]["params"].get("RestoreTime") == "2026-03-09T12:00:00Z"
         and muts[0]["params"].get("DBInstanceClass") == "db.t3.micro",
         "--apply: one mutating call, RestoreDBInstanceToPointInTime with the printed parameters",
         [(c["action"], c["params"]) for c in muts])
    t.ok(calls and calls[-1]["action"] == "DescribeDBInstances", "--wait: polls DescribeDBInstances until available",
         [c["action"] for c in calls])
    t.ok("waiting for 'db-a-restored' in us-east-1: creating" in r.err,
         "--wait: progress lines on stderr when it is not a terminal", r.err)
    d = instance(emu, "us-east-1", "db-a-restored")
    tags = (d or {}).get("tags", {})
    t.ok(d and d["status"] == "available" and d["class"] == "db.t3.micro", "the new instance is available", d)
    t.ok(tags.get("snapkeep:restore") == "db-a@2026-03-09T12:00:00Z"
         and tags.get("snapkeep:restored-from") == "arn:aws:rds:us-east-1:%s:db:db-a" % ACCOUNT
         and tags.get("snapkeep:restored-by", "").startswith("oncall@")
         and abs(time.time() - time.mktime(time.strptime(tags.get("snapkeep:restored-at", "x"),
                                                         "%Y-%m-%dT%H:%M:%SZ")) + time.timezone) < 600,
         "tagged with what it was restored from, by whom and when", tags)
    recs = journal(env)
    intents = [x for x in recs if x["type"] == "intent"]
    outcomes = [x for x in recs if x["type"] == "outcome"]
    ends = [x for x in recs if x["type"] == "restore"]
    t.ok(len(intents) == 1 and intents[0]["action"] == "restore-pitr" and intents[0]["target"] == "db-a-restored"
         and intents[0]["instance"] == "db-a" and intents[0]["region"] == "us-east-1"
         and intents[0]["call"].get("RestoreTime") == "2026-03-09T12:00:00Z"
         and intents[0]["call"]["Tags"].get("snapkeep:restore") == "db-a@2026-03-09T12:00:00Z",
         "journal: the intent, with the call's parameters, before the call", intents)
    t.ok(len(outcomes) == 1 and outcomes[0]["intent"] == intents[0]["id"] and outcomes[0]["result"] == "done"
         and outcomes[0].get("requestId"), "journal: its outcome, done, with the RequestId", outcomes)
    t.ok(len(ends) == 1 and ends[0]["intent"] == intents[0]["id"] and ends[0]["result"] == "available"
         and ends[0]["target"] == "db-a-restored", "journal: a restore record, available", ends)
    r = history(env, "--instance", "db-a")
    rows = [line.split() for line in r.out.splitlines() if "restore-pitr" in line]
    t.ok(r.rc == 0 and len(rows) == 2 and rows[0][1:5] == ["restore-pitr", "db-a-restored", "us-east-1", "done"]
         and "'db-a' at 2026-03-09T12:00:00Z" in r.out and rows[1][4] == "available",
         "history --instance db-a names the restore: its call done, then available", r.out)

    # a second run with the same target is refused: it exists now
    refused(["--instance", "db-a", "--latest", "--target", "db-a-restored", "--apply"],
            ["db instance 'db-a-restored' already exists there"], "--apply to a target made before")

    # ---- from a snapshot, without waiting ----
    m = mark(emu)
    r = restore("--instance", "db-a", "--from-snapshot", SNAP_ARN, "--target", "db-a-snap", "--apply")
    muts = [c for c in calls_since(emu, m) if c.get("mutating")]
    t.ok(r.rc == 0 and len(muts) == 1 and muts[0]["action"] == "RestoreDBInstanceFromDBSnapshot"
         and muts[0]["params"].get("DBSnapshotIdentifier") == "snap-a"
         and muts[0]["params"].get("DBInstanceIdentifier") == "db-a-snap",
         "--from-snapshot ARN --apply: RestoreDBInstanceFromDBSnapshot of it, and no wait", (r, muts))
    t.ok((instance(emu, "us-east-1", "db-a-snap") or {}).get("tags", {}).get("snapkeep:restore") == "snapshot/snap-a",
         "tagged snapkeep:restore=snapshot/snap-a")
    r = history(env)
    t.ok(any(line.split()[1:5] == ["restore-snapshot", "db-a-snap", "us-east-1", "done"] for line in r.out.splitlines()
             if line.strip()), "history: the snapshot restore", r.out)

    # ---- a retry after a lost answer: the instance the first attempt made is this call's ----
    emu.faults(dropAfter=1.0, actions=["RestoreDBInstanceFromDBSnapshot"], count=1)
    m = mark(emu)
    r = restore("--instance", "db-a", "--from-snapshot", "snap-a", "--target", "db-a-retry", "--apply")
    emu.faults()
    tried = [c for c in calls_since(emu, m) if c["action"] == "RestoreDBInstanceFromDBSnapshot"]
    t.ok(r.rc == 0 and len(tried) == 2 and tried[0].get("fault") == "dropAfter"
         and tried[1].get("error") == "DBInstanceAlreadyExists"
         and instance(emu, "us-east-1", "db-a-retry") is not None,
         "an answer lost after the restore was made: the retry's DBInstanceAlreadyExists is recognised by the "
         "instance's snapkeep:restored-at tag, and it is done", (r, [(c.get("fault"), c.get("error")) for c in tried]))
    r = history(env, "--instance", "db-a-retry")
    t.ok(any(line.split()[1:5] == ["restore-snapshot", "db-a-retry", "us-east-1", "done"] for line in r.out.splitlines()
             if line.strip()), "history: done, once", r.out)

    # ---- the wait ends, the restore goes on: --timeout, SIGINT ----
    emu.config(restoreSeconds=None, restoreDescribes=0)
    r = restore("--instance", "db-a", "--latest", "--target", "db-slow", "--apply", "--wait", "--timeout", "2s")
    t.ok(r.rc == 1 and "gave up waiting for db instance 'db-slow' in us-east-1 to be available after 2 s (it is "
         "creating)" in r.err and (instance(emu, "us-east-1", "db-slow") or {}).get("status") == "creating",
         "--timeout: exit 1 naming what it saw; the instance is still being created", r)
    proc = subprocess.Popen([t.BIN, "restore", "--instance", "db-a", "--latest", "--target", "db-slow2", "--apply",
                             "--wait"], env={k: v for k, v in dict(os.environ, **env).items() if v is not None},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    err = line + err
    t.ok(proc.returncode == 130 and "interrupted while waiting for db instance 'db-slow2'" in err
         and "the restore goes on in AWS" in err, "SIGINT while waiting: exit 130, the restore goes on", (out, err))
    r = history(env)
    t.ok(any("db-slow " in line and " timeout " in line for line in r.out.splitlines())
         and any("db-slow2" in line and " interrupted " in line for line in r.out.splitlines()),
         "history: the timed-out and the interrupted waits", r.out)

    # ---- the DR path: the automated backups replicated to us-west-2, and a copy there ----
    st, body, _ = emu.call("rds", "StartDBInstanceAutomatedBackupsReplication",
                           {"SourceDBInstanceArn": "arn:aws:rds:us-east-1:%s:db:db-a" % ACCOUNT,
                            "BackupRetentionPeriod": "7"}, region="us-west-2")
    t.is_(st, 200, "replication of db-a's automated backups to us-west-2 starts") or t.diag(body)
    emu.clock(advance=7200)  # two hours of replicated backups: 05:00 .. 06:55
    m = mark(emu)
    r = restore("--instance", "db-a", "--to-time", "2026-03-10T06:00:00Z", "--target", "db-a-dr", "--region",
                "us-west-2")
    t.ok(r.rc == 0 and "would call:      RestoreDBInstanceToPointInTime in us-west-2" in r.out
         and "SourceDBInstanceAutomatedBackupsArn" in r.out and ":us-west-2:%s:auto-backup:" % ACCOUNT in r.out
         and window_of(r.out) == "2026-03-10T05:00:00Z .. 2026-03-10T06:55:00Z" and "replicating" in r.out
         and mutating_since(emu, m) == [],
         "DR dry run: from the replicated automated backup in us-west-2, with its window", r)
    refused(["--instance", "db-a", "--to-time", "2026-03-10T04:00:00Z", "--target", "db-a-dr", "--region", "us-west-2"],
            ["outside its restore window 2026-03-10T05:00:00Z .. 2026-03-10T06:55:00Z", "in us-west-2"],
            "DR: a time before replication began")
    emu.config(restoreSeconds=None, restoreDescribes=1)
    m = mark(emu)
    r = restore("--instance", "db-a", "--to-time", "2026-03-10T06:00:00Z", "--target", "db-a-dr", "--region",
                "us-west-2", "--apply", "--wait")
    muts = [c for c in calls_since(emu, m) if c.get("mutating")]
    d = instance(emu, "us-west-2", "db-a-dr")
    t.ok(r.rc == 0 and len(muts) == 1 and muts[0]["region"] == "us-west-2"
         and muts[0]["params"].get("SourceDBInstanceAutomatedBackupsArn", "").startswith(
             "arn:aws:rds:us-west-2:%s:auto-backup:" % ACCOUNT)
         and d and d["status"] == "available", "DR --apply --wait: restored in us-west-2 and available", (r, muts))
    r = restore("--instance", "db-a", "--from-snapshot", "snap-a-dr", "--target", "db-a-dr2", "--region", "us-west-2",
                "--apply")
    d = instance(emu, "us-west-2", "db-a-dr2")
    t.ok(r.rc == 0 and d and d["tags"].get("snapkeep:restored-from") ==
         "arn:aws:rds:us-west-2:%s:snapshot:snap-a-dr" % ACCOUNT, "DR: from the copy in us-west-2", r)
    r = history(env, "--instance", "db-a-dr")
    t.ok(any(line.split()[1:5] == ["restore-pitr", "db-a-dr", "us-west-2", "done"] for line in r.out.splitlines()
             if line.strip()), "history: the DR restore, in us-west-2", r.out)


# ---- real PostgreSQL: the rows committed before the time, exactly ----
PGBIN = os.environ.get("SNAPKEEP_PGBIN", "/usr/lib/postgresql/15/bin")
DB = {"name": "mangu_publishing", "user": "app", "password": "restore-s3cret"}


def pg_describe(emu, iid):
    st, body, _ = emu.call("rds", "DescribeDBInstances", {"DBInstanceIdentifier": iid})
    if st != 200:
        return None
    root = ET.fromstring(body)
    get = lambda n: next((e.text for e in root.iter() if e.tag.split("}")[-1] == n), None)  # noqa: E731
    return {"status": get("DBInstanceStatus"), "port": int(get("Port")) if get("Port") else None,
            "latest": get("LatestRestorableTime")}


def psql(port, sql):
    e = {"PGPASSWORD": DB["password"], "PGCONNECT_TIMEOUT": "10", "PGHOST": None, "PGSERVICE": None}
    return t.run([os.path.join(PGBIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                  "-p", str(port), "-U", DB["user"], "-d", DB["name"], "-c", sql], env=e, timeout=60)


def ids(port):
    r = psql(port, "SELECT string_agg(id::text, ',' ORDER BY id) FROM books")
    return r.out.strip() if r.rc == 0 else "error: " + r.err.strip()


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


if not (os.access(os.path.join(PGBIN, "initdb"), os.X_OK) and os.access(os.path.join(PGBIN, "psql"), os.X_OK)):
    t.skip("restore --to-time against real PostgreSQL", "PostgreSQL 15 is not installed (%s): make deps" % PGBIN)
else:
    seed = {"regions": {"us-east-1": {"instances": [
        {"id": "books-db", "engine": "postgres", "backupRetentionPeriod": 1, "database": DB}]}}}
    with Emulator(seed=seed) as emu:
        env = emu.env()
        env["SNAPKEEP_STATE_DIR"] = os.path.join(tmp, "state-pg")
        emu.config(pgSwitchSeconds=1, createSeconds=0, restoreSeconds=0)
        d = pg_describe(emu, "books-db")
        port = d and d["port"]
        r = psql(port, "CREATE TABLE books (id int PRIMARY KEY, title text NOT NULL);"
                       "INSERT INTO books VALUES (1, 'Dune'), (2, 'Emma'), (3, 'Ulysses')")
        t.is_(r.rc, 0, "pg: the t1 rows are committed") or t.diag(r)
        st, body, _ = emu.call("rds", "CreateDBSnapshot", {"DBInstanceIdentifier": "books-db",
                                                          "DBSnapshotIdentifier": "books-t1"})
        deadline = time.time() + 90
        while time.time() < deadline and "<Status>available</Status>" not in emu.call(
                "rds", "DescribeDBSnapshots", {"DBSnapshotIdentifier": "books-t1"})[1]:
            time.sleep(0.2)
        r4 = psql(port, "INSERT INTO books VALUES (4, 'Beloved')")
        time.sleep(1.2)
        mid = math.ceil(time.time())
        while time.time() < mid + 1.2:
            time.sleep(0.1)
        r5 = psql(port, "INSERT INTO books VALUES (5, 'Middlemarch'); INSERT INTO books VALUES (6, 'Walden')")
        t2 = time.time()
        t.ok(r4.rc == 0 and r5.rc == 0 and ids(port) == "1,2,3,4,5,6", "pg: row 4 before the restore time, rows 5 "
             "and 6 after it (t2)", (r4, r5))
        deadline = time.time() + 30
        while time.time() < deadline:
            latest = pg_describe(emu, "books-db")["latest"]
            if latest and time.mktime(time.strptime(latest[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone >= t2 - 1:
                break
            time.sleep(0.3)

        m = mark(emu)
        r = t.snapkeep("restore", "--instance", "books-db", "--to-time", "2000-01-01T00:00:00Z",
                                    "--target", "books-early", "--apply", env=env)
        t.ok(r.rc == 1 and "outside its restore window" in r.err and "no call was made" in r.err
             and mutating_since(emu, m) == [],
             "pg: a time outside the window is refused before any mutating call", r)
        r = t.snapkeep("restore", "--instance", "books-db", "--to-time", iso(mid), "--target", "books-pitr",
                       "--apply", "--wait", "--timeout", "5m", env=env, timeout=400)
        pd = pg_describe(emu, "books-pitr")
        t.ok(r.rc == 0 and pd and pd["status"] == "available", "pg: restore --to-time between t1 and t2 --apply --wait",
             r)
        t.is_(ids(pd["port"]) if pd and pd["port"] else None, "1,2,3,4",
              "pg: it holds exactly the rows committed before that time")
        r = t.snapkeep("restore", "--instance", "books-db", "--from-snapshot", "books-t1", "--target", "books-snap",
                       "--apply", "--wait", "--timeout", "5m", env=env, timeout=400)
        sd = pg_describe(emu, "books-snap")
        t.is_(ids(sd["port"]) if r.rc == 0 and sd and sd["port"] else r, "1,2,3",
              "pg: restore --from-snapshot holds exactly the t1 rows")

t.done()
