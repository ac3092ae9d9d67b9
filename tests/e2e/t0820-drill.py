#!/usr/bin/env python3
"""`snapkeep drill` end to end, against real PostgreSQL 15 servers behind the
emulator (tests/emulator/pg.py):

- a table with rows at t1, a snapshot made by `snapkeep apply`, more rows at
  t2: the drill restores that snapshot into snapkeep-drill-books-db, every
  check passes (the count is t1's, not t2's: it is the backup that answers),
  it reports RTO and RPO, the temporary instance is deleted, no SNS message;
  history, the state file and --output json show the drill; a
  point-in-time drill (source: point-in-time) holds the t2 rows too;
- invalid SQL and a statement timeout are failed checks naming why, the
  check after them still runs; a wrong password fails every check without
  the password anywhere; an unreachable endpoint (an instance without a
  database) fails clearly; each time the instance is still deleted and one
  SNS message is sent per failed drill;
- a drill SIGKILLed while its instance is being restored leaves the instance:
  `plan` notes it, and the next `drill` deletes it and runs;
- SIGTERM mid-drill: exit 143, the instance is deleted;
- a restore slower than the drill's whole timeout (drill.timeout 10s, the
  emulator's restoreSeconds 30, which holds an instance without a database
  in `creating`): the drill fails naming the timeout, the instance is still
  deleted, one SNS message;
- `run --auto-apply` runs a due drill after its cycle and publishes
  snapkeep_drill_success and snapkeep_drill_rto_seconds; the next cycle runs
  none (not due until the schedule fires);
- a damaged snapshot (the emulator's fault hook drops the table) fails the
  drill naming the failing check, the instance is deleted, exactly one SNS
  message is sent."""
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402
from runproc import RunProc, metric  # noqa: E402

PGBIN = os.environ.get("SNAPKEEP_PGBIN", "/usr/lib/postgresql/15/bin")
ACCOUNT = "123456789012"
TOPIC = "arn:aws:sns:us-east-1:%s:drill-alerts" % ACCOUNT
PASSWORD = "drill-pw-s3cret"
DB = {"name": "mangu_publishing", "user": "app", "password": PASSWORD}
SEED = {"account": ACCOUNT, "regions": {"us-east-1": {
    "instances": [{"id": "books-db", "engine": "postgres", "backupRetentionPeriod": 1, "database": DB},
                  {"id": "plain-db", "engine": "postgres", "backupRetentionPeriod": 1}],
    "snapshots": [{"id": "snapkeep-plain-db-seeded", "instance": "plain-db", "type": "manual",
                   "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600)),
                   "tags": {"snapkeep:policy": "plain", "snapkeep:instance": "plain-db"}}],
    "topics": ["drill-alerts"]}}}

if not os.access(os.path.join(PGBIN, "initdb"), os.X_OK):
    print("1..0 # SKIP PostgreSQL 15 is not installed (no %s/initdb): make deps installs postgresql-15" % PGBIN)
    sys.exit(0)


# the emulator's snapshots are unencrypted, which verify finds CRITICAL: the loop below would alert on it, so
# verify's checks stay gauges here (t0810 tests verify's alerts) and the SNS counts are the drills' own
def policy(checks, extra="", instance="books-db", name="books"):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: %s}
spec:
  regions: [us-east-1]
  selector: {instances: [%s]}
  snapshots: {schedule: "@hourly", retain: {last: 5}}
  alerts: {snsTopicArn: "%s"}
  verify: {alerts: false}
  drill:
    schedule: "0 6 1 * *"
    source: latest-snapshot
    instanceClass: db.t3.micro
    connect: {database: mangu_publishing, user: app, passwordEnv: SNAPKEEP_DRILL_PASSWORD}
    checks:
%s
    timeout: 10m
%s""" % (name, instance, TOPIC, checks, extra)


GOOD = """      - {name: books present, sql: "SELECT count(*) FROM books", atLeast: 1}
      - {name: t1 rows only, sql: "SELECT count(*) FROM books", expect: 3}
      - {name: fresh data, sql: "SELECT max(created_at) FROM books", notOlderThanSnapshotBy: 1h}
      - {name: invariants, sql: "SELECT bool_and(price >= 0) FROM books", expect: true}"""
BAD_SQL = """      - {name: typo, sql: "SELEC count(*) FROM books", atLeast: 1}
      - {name: slow, sql: "SELECT count(*) FROM books, pg_sleep(5)", atLeast: 1}
      - {name: books present, sql: "SELECT count(*) FROM books", atLeast: 1}"""


def psql(port, sql):
    e = {"PGPASSWORD": PASSWORD, "PGCONNECT_TIMEOUT": "10", "PGHOST": None}
    return t.run([os.path.join(PGBIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                  "-p", str(port), "-U", DB["user"], "-d", DB["name"], "-c", sql], env=e, timeout=60)


def describe(emu, iid):
    st, body, _ = emu.call("rds", "DescribeDBInstances", {"DBInstanceIdentifier": iid})
    if st != 200:
        return None
    root = ET.fromstring(body)
    val = {}
    for e in root.iter():
        tag = e.tag.split("}")[-1]
        if tag in ("DBInstanceStatus", "Port") and tag not in val:
            val[tag] = e.text
    return val


def gone_or_deleting(emu, iid):
    d = describe(emu, iid)
    return d is None or d.get("DBInstanceStatus") == "deleting"


def wait_gone(emu, iid, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline and describe(emu, iid) is not None:
        time.sleep(0.3)
    return describe(emu, iid) is None


def owned_available(emu):
    return sorted(s["id"] for s in emu.state(region="us-east-1")["regions"]["us-east-1"]["snapshots"]
                  if s.get("tags", {}).get("snapkeep:policy") == "books" and s["status"] == "available")


work = t.tmpdir()
state = os.path.join(work, "state")
repo = os.path.join(work, "policies")
t.git_repo(repo, {"policies/books.yaml": policy(GOOD)}, "books: drill monthly")

with Emulator(seed=SEED, args=["--quiet"]) as emu:
    def env(password=PASSWORD, **extra):
        e = emu.env()
        e.update({"SNAPKEEP_STATE_DIR": state, "NO_COLOR": "1", "SNAPKEEP_LOG": None,
                  "SNAPKEEP_DRILL_PASSWORD": password})
        e.update(extra)
        return e

    def sk(*args, password=PASSWORD, timeout=300):
        return t.snapkeep(*args, "--repo", repo, "--path", "policies", env=env(password), timeout=timeout) \
            if args[0] not in ("history",) else t.snapkeep(*args, env=env(password), timeout=timeout)

    def messages():
        return [m for m in emu.sns_messages() if m["TopicArn"] == TOPIC]

    def drill_calls(since):
        return [c["action"] for c in emu.calls(since=since)["calls"]
                if c["action"] in ("RestoreDBInstanceFromDBSnapshot", "DeleteDBInstance")]

    port = int(describe(emu, "books-db")["Port"])
    r = psql(port, "CREATE TABLE books (id int PRIMARY KEY, title text, price numeric NOT NULL,"
                   " created_at timestamptz NOT NULL DEFAULT now());"
                   "INSERT INTO books (id, title, price) VALUES (1, 'Dune', 9.5), (2, 'Emma', 4), (3, 'Ulysses', 12)")
    t.is_(r.rc, 0, "t1: a table with three rows in the live database") or t.diag(r)

    # ---- a snapshot through apply, more rows after it ----
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 0, "apply makes the policy's snapshot (a real base backup)") or t.diag(r)
    deadline = time.time() + 120
    while time.time() < deadline and not owned_available(emu):
        time.sleep(0.3)
    t.ok(owned_available(emu), "the snapshot becomes available")
    r2 = psql(port, "INSERT INTO books (id, title, price) VALUES (4, 'Middlemarch', 7), (5, 'Beloved', 8)")
    t.is_(r2.rc, 0, "t2: two more rows after the snapshot") or t.diag(r2)

    # ---- a drill that passes ----
    mark = emu.calls()["last"]
    r = sk("drill")
    t.is_(r.rc, 0, "drill: exit 0 when every check passes") or t.diag(r)
    t.contains(r.out, "restoring snapshot snapkeep-books-db-", "it restores the policy's snapshot")
    t.contains(r.out, "into 'snapkeep-drill-books-db'", "into the deterministic drill instance")
    for name in ("books present", "t1 rows only", "fresh data", "invariants"):
        t.ok(any(ln.split()[:1] == ["ok"] and (name + ":") in ln for ln in r.out.splitlines()),
             "check '%s' is ok" % name, r.out)
    passed = [ln for ln in r.out.splitlines() if ln.startswith("PASSED books-db")]
    t.ok(passed and "4/4 checks" in passed[0] and "RTO " in passed[0] and "RPO " in passed[0]
         and "RPO -" not in passed[0], "the drill reports RTO and RPO", r.out)
    t.is_(drill_calls(mark), ["RestoreDBInstanceFromDBSnapshot", "DeleteDBInstance"],
          "one restore, one delete")
    t.ok(gone_or_deleting(emu, "snapkeep-drill-books-db"), "the drill instance is deleted")
    t.is_(messages(), [], "no SNS message for a drill that passed")
    with open(os.path.join(state, "state.json")) as f:
        last = json.load(f)["instances"]["us-east-1/books-db"]["lastDrill"]
    t.ok(last["outcome"] == "passed" and last["checks"] == 4 and last["checksPassed"] == 4
         and last["rpoSeconds"] is not None and last["rpoSeconds"] >= 0 and last["rtoSeconds"] >= 0,
         "the state keeps the last drill: passed, 4/4, RTO, RPO", last)
    h = sk("history")
    rows = [ln for ln in h.out.splitlines() if " drill " in ln]
    t.ok(h.rc == 0 and len(rows) == 1 and "passed" in rows[0] and "4/4 checks passed" in rows[0],
         "history shows the drill", h.out)
    wait_gone(emu, "snapkeep-drill-books-db")

    r = sk("drill", "--output", "json")
    j = r.json() if r.rc == 0 else {}
    d0 = (j.get("drills") or [{}])[0]
    t.ok(r.rc == 0 and j.get("passed") == 1 and d0.get("result") == "passed" and d0.get("rtoSeconds") is not None
         and d0.get("rpoSeconds") is not None and len(d0.get("checks", [])) == 4,
         "--output json: the drill with its checks, RTO and RPO", r)
    t.ok(PASSWORD not in r.out and PASSWORD not in r.err, "the password is in no output")
    wait_gone(emu, "snapkeep-drill-books-db")

    # ---- a point-in-time drill: the latest restorable time holds the t2 rows too ----
    pitr = GOOD.replace("expect: 3}", "expect: 5}").replace("t1 rows only", "t2 rows too")
    t.git_commit(repo, {"policies/books.yaml": policy(pitr).replace("source: latest-snapshot", "source: point-in-time")},
                 "books: point-in-time drill")
    time.sleep(5)  # the t2 rows' WAL is archived (the emulator switches segments every 2 s)
    mark = emu.calls()["last"]
    r = sk("drill")
    t.is_(r.rc, 0, "a point-in-time drill passes") or t.diag(r)
    t.contains(r.out, "restoring the point in time ", "it restores a point in time")
    t.ok(any(ln.split()[:1] == ["ok"] and "t2 rows too:" in ln for ln in r.out.splitlines()),
         "the restored database holds the rows committed after the snapshot", r.out)
    t.is_([c["action"] for c in emu.calls(since=mark)["calls"]
           if c["action"] in ("RestoreDBInstanceToPointInTime", "DeleteDBInstance")],
          ["RestoreDBInstanceToPointInTime", "DeleteDBInstance"], "a point-in-time restore, a delete")
    wait_gone(emu, "snapkeep-drill-books-db")

    # ---- invalid SQL and a statement timeout ----
    t.git_commit(repo, {"policies/books.yaml": policy(BAD_SQL, "    statementTimeout: 1s\n")}, "books: bad checks")
    mark = emu.calls()["last"]
    r = sk("drill")
    t.is_(r.rc, 1, "invalid SQL, a timeout: exit 1") or t.diag(r)
    t.contains(r.out, 'FAILED  typo: query failed: syntax error at or near "SELEC" (SQLSTATE 42601)',
               "invalid SQL is a failed check saying why")
    t.contains(r.out, "FAILED  slow: query timed out after 1s (statementTimeout)", "a timeout is a failed check")
    t.ok(any(ln.split()[:1] == ["ok"] and "books present:" in ln for ln in r.out.splitlines()),
         "the check after them still runs and passes", r.out)
    t.contains(r.out, "FAILED books-db (us-east-1): check 'typo' failed:", "the drill fails naming the first check")
    t.is_(drill_calls(mark), ["RestoreDBInstanceFromDBSnapshot", "DeleteDBInstance"], "the instance is still deleted")
    t.is_(len(messages()), 1, "one SNS message for the failed drill") or t.diag([m["Subject"] for m in messages()])
    wait_gone(emu, "snapkeep-drill-books-db")

    # ---- a wrong password ----
    t.git_commit(repo, {"policies/books.yaml": policy(GOOD)}, "books: good checks")
    mark = emu.calls()["last"]
    r = sk("drill", password="not-the-password")
    t.is_(r.rc, 1, "a wrong password: exit 1") or t.diag(r)
    failed = [ln for ln in r.out.splitlines() if ln.startswith("  FAILED")]
    t.ok(len(failed) == 4 and all('password authentication failed for user "app"' in ln for ln in failed),
         "every check fails: password authentication failed", r.out)
    t.ok("not-the-password" not in r.out + r.err and PASSWORD not in r.out + r.err, "no password in the output")
    with open(os.path.join(state, "journal.jsonl") if os.path.exists(os.path.join(state, "journal.jsonl"))
              else os.devnull) as f:
        journal = f.read()
    t.ok("not-the-password" not in journal and PASSWORD not in journal, "no password in the journal")
    t.is_(drill_calls(mark), ["RestoreDBInstanceFromDBSnapshot", "DeleteDBInstance"], "the instance is still deleted")
    t.is_(len(messages()), 2, "one more SNS message")
    wait_gone(emu, "snapkeep-drill-books-db")

    # ---- an unreachable endpoint: an instance without a database ----
    t.git_commit(repo, {"policies/plain.yaml": policy(GOOD, instance="plain-db", name="plain")}, "plain: a drill")
    r = sk("drill", "--instance", "plain-db")
    t.is_(r.rc, 1, "an unreachable endpoint: exit 1") or t.diag(r)
    t.ok("cannot connect to snapkeep-drill-plain-db." in r.out, "the check says it cannot connect, naming the "
         "endpoint", r.out)
    t.ok(gone_or_deleting(emu, "snapkeep-drill-plain-db"), "the instance is still deleted")
    t.ok("Drill of books-db" not in r.out, "--instance drills only that instance")
    os.remove(os.path.join(repo, "policies", "plain.yaml"))
    t.git(repo, "commit", "-qam", "plain: no drill")

    # ---- a drill killed midway leaves its instance; plan notes it; the next drill deletes it ----
    wait_gone(emu, "snapkeep-drill-books-db")
    emu.config(restoreSeconds=30)
    p = subprocess.Popen([t.BIN, "drill", "--repo", repo, "--path", "policies"], env={**os.environ, **{
        k: v for k, v in env().items() if v is not None}}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not (describe(emu, "snapkeep-drill-books-db") or {}).get("DBInstanceStatus"):
        time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait()
    d = describe(emu, "snapkeep-drill-books-db")
    t.ok(d is not None and d["DBInstanceStatus"] != "deleting", "SIGKILL mid-drill leaves the drill instance", d)
    emu.config(restoreSeconds=0)
    r = sk("plan")
    t.ok(r.rc == 0 and "drill instance of 'books-db' left by an interrupted drill" in r.out
         and "the next drill, apply or run deletes it" in r.out, "plan notes the left instance", r.out)
    r = sk("drill")
    t.is_(r.rc, 0, "the next drill passes") or t.diag(r)
    t.contains(r.out, "Deleting us-east-1/snapkeep-drill-books-db: a drill instance left by an interrupted drill",
               "and first deletes what the killed one left")
    t.contains(r.out, "1 drill instance left by earlier drills deleted", "its summary says so")
    wait_gone(emu, "snapkeep-drill-books-db")
    h = sk("history")
    t.ok(any("drill-cleanup" in ln and "done" in ln for ln in h.out.splitlines()), "history shows the cleanup",
         h.out)

    # ---- SIGTERM mid-drill: the instance is deleted ----
    emu.config(restoreSeconds=30)
    mark = emu.calls()["last"]
    p = subprocess.Popen([t.BIN, "drill", "--repo", repo, "--path", "policies"], env={**os.environ, **{
        k: v for k, v in env().items() if v is not None}}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not (describe(emu, "snapkeep-drill-books-db") or {}).get("DBInstanceStatus"):
        time.sleep(0.2)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    t.is_(p.returncode, 143, "SIGTERM mid-drill: exit 143")
    t.ok(gone_or_deleting(emu, "snapkeep-drill-books-db"), "the drill instance is deleted after SIGTERM", out + err)
    t.is_(drill_calls(mark), ["RestoreDBInstanceFromDBSnapshot", "DeleteDBInstance"], "one restore, one delete")
    emu.config(restoreSeconds=0)
    wait_gone(emu, "snapkeep-drill-books-db")

    # ---- the whole drill's timeout: the restore takes longer (a restore without a database waits restoreSeconds) ----
    t.git_commit(repo, {"policies/plain.yaml": policy(GOOD, instance="plain-db", name="plain").replace(
        "timeout: 10m", "timeout: 10s")}, "plain: a 10 s drill")
    emu.config(restoreSeconds=30)
    mark, sent = emu.calls()["last"], len(messages())
    started = time.time()
    r = sk("drill", "--instance", "plain-db")
    took = time.time() - started
    t.is_(r.rc, 1, "a restore slower than drill.timeout: exit 1") or t.diag(r)
    t.contains(r.out, "FAILED plain-db (us-east-1): the drill's timeout (10s, drill.timeout) ran out while "
               "'snapkeep-drill-plain-db' was being restored (it is creating)", "the drill fails naming the timeout")
    t.ok(10 <= took < 28, "it gives up after the timeout, not the restore (%.1f s)" % took)
    t.is_(drill_calls(mark), ["RestoreDBInstanceFromDBSnapshot", "DeleteDBInstance"], "the instance is still deleted")
    t.ok(gone_or_deleting(emu, "snapkeep-drill-plain-db"), "it is gone or being deleted")
    t.is_(len(messages()) - sent, 1, "one SNS message for the failed drill")
    emu.config(restoreSeconds=0)
    os.remove(os.path.join(repo, "policies", "plain.yaml"))
    t.git(repo, "commit", "-qam", "plain: no drill")
    wait_gone(emu, "snapkeep-drill-plain-db")
    before = len(messages())

    # ---- the loop runs a due drill (never drilled in this state: due now) after an applying cycle ----
    loop_state = os.path.join(work, "state-loop")
    e = env(SNAPKEEP_STATE_DIR=loop_state)
    p = RunProc(["--repo", repo, "--path", "policies", "--interval", "1h", "--auto-apply",
                 "--metrics-addr", "127.0.0.1:0"], env=e, workdir=work)
    try:
        m = p.wait_for(r"drill of books-db \(us-east-1\) (passed|failed)", timeout=180)
        t.ok(m and m.group(1) == "passed", "run --auto-apply runs the due drill after its cycle", p.err())
        ms = p.metrics() if m else {}
        labels = {"policy": "books", "region": "us-east-1", "instance": "books-db"}
        t.is_(metric(ms, "snapkeep_drill_success", **labels), 1.0, "/metrics: snapkeep_drill_success is 1")
        rto = metric(ms, "snapkeep_drill_rto_seconds", **labels)
        t.ok(rto is not None and rto > 0, "/metrics: snapkeep_drill_rto_seconds", rto)
    finally:
        p.stop()
    h = t.snapkeep("history", env=e)
    t.ok(any(" drill " in ln for ln in h.out.splitlines()), "the loop's drill is journaled", h.out)
    with open(os.path.join(loop_state, "state.json")) as f:
        t.ok("lastDrill" in json.load(f)["instances"].get("us-east-1/books-db", {}), "and recorded in the state")
    r = t.snapkeep("run", "--once", "--auto-apply", "--repo", repo, "--path", "policies", env=e, timeout=300)
    h2 = t.snapkeep("history", env=e)
    t.is_(len([ln for ln in h2.out.splitlines() if " drill " in ln]), 1, "the next cycle runs none: not due until "
          "its schedule fires")
    wait_gone(emu, "snapkeep-drill-books-db")

    # ---- a damaged snapshot ----
    sid = owned_available(emu)[-1]
    res = emu.admin("POST", "faults", {"kind": "damage-snapshot", "snapshot": sid, "how": "drop-table",
                                       "table": "books", "region": "us-east-1"})
    t.is_(res.get("damaged"), sid, "the emulator drops the table in the snapshot's files")
    mark = emu.calls()["last"]
    r = sk("drill")
    t.is_(r.rc, 1, "a damaged snapshot: the drill fails") or t.diag(r)
    t.contains(r.out, "FAILED books-db (us-east-1): check 'books present' failed: query failed: relation \"books\" "
               "does not exist (SQLSTATE 42P01)", "naming the failing check and why")
    t.is_(drill_calls(mark), ["RestoreDBInstanceFromDBSnapshot", "DeleteDBInstance"], "the instance is deleted")
    t.ok(gone_or_deleting(emu, "snapkeep-drill-books-db"), "and is gone")
    new = messages()[before:]
    t.ok(len(new) == 1 and "books-db" in new[0]["Subject"] and "books present" in new[0]["Message"],
         "exactly one SNS message, naming the instance and the check", new)
    with open(os.path.join(state, "state.json")) as f:
        last = json.load(f)["instances"]["us-east-1/books-db"]["lastDrill"]
    t.ok(last["outcome"] == "failed" and "books present" in last["error"], "the state keeps the failed drill", last)

    # ---- usage ----
    r = sk("drill", "--policy", "nope")
    t.ok(r.rc == 1 and "policy 'nope' has no drill" in r.err, "an unknown --policy is a clear error", r)
    r = t.snapkeep("drill", "--help")
    t.ok(r.rc == 0 and "--instance ID" in r.out and "Exit codes:" in r.out, "drill --help", r)

t.done()
