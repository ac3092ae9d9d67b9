#!/usr/bin/env python3
"""Real PostgreSQL behind the emulator: a database-backed instance is a real
PostgreSQL 15 server, its snapshots are base backups, its automated backups
archive WAL, and restores start new servers from them.  Driven with the AWS
CLI and psql, as a user would: rows inserted at t1, a snapshot, more rows,
then a snapshot restore holds exactly the t1 rows and a point-in-time restore
exactly the rows committed before the time asked for; a time outside the
window is refused; a damaged snapshot restores without its table; a deleted
instance's server and files are gone; a restarted emulator starts its servers
again; and when the emulator stops, even by SIGKILL, no PostgreSQL process is
left."""
import os
import socket
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

PGBIN = os.environ.get("SNAPKEEP_PGBIN", "/usr/lib/postgresql/15/bin")
AWS = os.environ.get("SNAPKEEP_AWSCLI", "/usr/bin/aws")
DB = {"name": "mangu_publishing", "user": "app", "password": "pw-'quoted\" s3cret"}
SEED = {"regions": {"us-east-1": {"instances": [
    {"id": "books-db", "engine": "postgres", "backupRetentionPeriod": 1, "database": DB},
    {"id": "plain-db", "engine": "postgres", "backupRetentionPeriod": 1},
]}}}

if not os.access(os.path.join(PGBIN, "psql"), os.X_OK) or not os.access(os.path.join(PGBIN, "initdb"), os.X_OK):
    print("1..0 # SKIP PostgreSQL 15 is not installed (no %s/initdb): make deps installs postgresql-15" % PGBIN)
    sys.exit(0)
if not os.access(AWS, os.X_OK):
    t.bail("%s is missing: this test drives the emulator with Debian's awscli (make deps installs it)" % AWS)

started = time.time()


def aws(emu, *args):
    e = emu.env()
    e.update({"AWS_ENDPOINT_URL": None, "AWS_PAGER": "", "AWS_CLI_AUTO_PROMPT": "off"})
    return t.run([AWS, "--endpoint-url", emu.url, "--region", "us-east-1", "--output", "json", "--no-cli-pager"]
                 + list(args), env=e, timeout=120)


def api(emu, action, **params):
    """A signed call without the CLI's start-up cost -> (HTTP status, body)."""
    st, body, _ = emu.call("rds", action, params)
    return st, body


def field(elem, name):
    for e in elem.iter():
        if e.tag.split("}")[-1] == name:
            return e.text
    return None


def describe(emu, iid):
    """{status, port, address, latest, dbi, dbname} of an instance, or None when it is gone."""
    st, body, _ = emu.call("rds", "DescribeDBInstances", {"DBInstanceIdentifier": iid})
    if st != 200:
        return None
    root = ET.fromstring(body)
    ep = next((e for e in root.iter() if e.tag.split("}")[-1] == "Endpoint"), None)
    return {"status": field(root, "DBInstanceStatus"), "port": int(field(ep, "Port")) if ep is not None else None,
            "address": field(ep, "Address") if ep is not None else None,
            "latest": field(root, "LatestRestorableTime"), "dbi": field(root, "DbiResourceId"),
            "dbname": field(root, "DBName"), "user": field(root, "MasterUsername")}


def wait_instance(emu, iid, timeout=90):
    deadline = time.time() + timeout
    d = None
    while time.time() < deadline:
        d = describe(emu, iid)
        if d and d["status"] not in ("creating", "starting"):
            return d
        time.sleep(0.2)
    return d


def wait_snapshot(emu, sid, timeout=90):
    deadline = time.time() + timeout
    status = None
    while time.time() < deadline:
        st, body, _ = emu.call("rds", "DescribeDBSnapshots", {"DBSnapshotIdentifier": sid})
        status = field(ET.fromstring(body), "Status") if st == 200 else None
        if status not in ("creating", "pending"):
            return status
        time.sleep(0.2)
    return status


def psql(port, sql, password=DB["password"]):
    e = {"PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10", "PGHOST": None, "PGSERVICE": None}
    return t.run([os.path.join(PGBIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                  "-p", str(port), "-U", DB["user"], "-d", DB["name"], "-c", sql], env=e, timeout=60)


def ids(port):
    r = psql(port, "SELECT string_agg(id::text, ',' ORDER BY id) FROM books")
    return r.out.strip() if r.rc == 0 else "error: " + r.err.strip()


def port_open(port):
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%03dZ" % int((ts % 1) * 1000)


def parse_iso(s):
    import datetime as dt
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def processes():
    """{pid: (parent pid, command line)} of every process."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        out[int(pid)] = (ppid, cmd)
    return out


def ours(emu, guards=()):
    """The postmasters serving emu's folder (postgres -D FOLDER/...), its guard (a child of the emulator running
    pgguard.py) and the guards named."""
    procs = processes()
    pm = [p for p, (pp, cmd) in procs.items() if "bin/postgres -D " + emu.dir in cmd]
    pm = [p for p in pm if procs[p][0] not in pm]  # a child just forked still shows its postmaster's command
    gd = [p for p, (pp, cmd) in procs.items() if "pgguard.py" in cmd
          and ((emu.proc and pp == emu.proc.pid) or p in guards)]
    return sorted(pm + gd)


def gone(emu, guards, timeout=15):
    deadline = time.time() + timeout
    while ours(emu, guards) and time.time() < deadline:
        time.sleep(0.2)
    return ours(emu, guards)


emu = Emulator(seed=SEED)
pgdir = os.path.join(emu.dir, "postgres")
try:
    emu.config(pgSwitchSeconds=1, createSeconds=0, restoreSeconds=0)
    d = describe(emu, "books-db")
    t.ok(d and d["status"] == "available" and d["address"] == "127.0.0.1" and d["port"] and port_open(d["port"]),
         "a seeded database-backed instance is available once the emulator is ready, Endpoint 127.0.0.1:port", d)
    t.ok(d and d["dbname"] == DB["name"] and d["user"] == DB["user"], "DBName and MasterUsername are the seed's", d)
    plain = describe(emu, "plain-db")
    t.ok(plain and plain["address"] == "plain-db.c0ffee123456.us-east-1.rds.amazonaws.com" and plain["port"] == 5432,
         "an instance without a database keeps its made-up endpoint", plain)
    port = d["port"]
    bad = psql(port, "SELECT 1", password="wrong")
    t.ok(bad.rc != 0 and "password authentication failed" in bad.err, "a wrong password is refused (SCRAM)",
         bad.err)

    # t1: three rows, then a snapshot
    r = psql(port, "CREATE TABLE books (id int PRIMARY KEY, title text NOT NULL, "
                   "created_at timestamptz NOT NULL DEFAULT clock_timestamp());"
                   "INSERT INTO books (id, title) VALUES (1, 'Dune'), (2, 'Emma'), (3, 'Ulysses')")
    t.is_(r.rc, 0, "the database user creates a table and inserts the t1 rows") or t.diag(r)
    r = aws(emu, "rds", "create-db-snapshot", "--db-instance-identifier", "books-db",
            "--db-snapshot-identifier", "snap-t1")
    t.ok(r.rc == 0 and '"Status": "creating"' in r.out, "create-db-snapshot answers creating", r)
    t.is_(wait_snapshot(emu, "snap-t1"), "available", "the snapshot (a real base backup) becomes available")

    # between the snapshot and the restore time: row 4; after it (t2): rows 5 and 6
    r4 = psql(port, "INSERT INTO books (id, title) VALUES (4, 'Beloved')")
    time.sleep(1.0)
    mid = time.time()
    time.sleep(1.0)
    r5 = psql(port, "INSERT INTO books (id, title) VALUES (5, 'Middlemarch'); "
                    "INSERT INTO books (id, title) VALUES (6, 'Walden')")
    t2 = time.time()
    t.ok(r4.rc == 0 and r5.rc == 0 and ids(port) == "1,2,3,4,5,6", "rows 4 (before the restore time) and 5, 6 "
         "(after it) are committed", (r4, r5))

    # LatestRestorableTime follows the archived WAL: it passes t2 within a few seconds
    deadline = time.time() + 30
    latest = None
    while time.time() < deadline:
        latest = describe(emu, "books-db")["latest"]
        if latest and parse_iso(latest) >= t2:
            break
        time.sleep(0.3)
    t.ok(latest and t2 <= parse_iso(latest) <= time.time() + 1,
         "LatestRestorableTime reaches the last commit (WAL archived within seconds)", latest)
    st, body, _ = emu.call("rds", "DescribeDBInstanceAutomatedBackups", {"DBInstanceIdentifier": "books-db"})
    earliest = field(ET.fromstring(body), "EarliestTime") if st == 200 else None
    t.ok(earliest and started - 5 <= parse_iso(earliest) <= mid,
         "RestoreWindow/EarliestTime is the end of the first base backup, taken at start", (earliest, body[:400]))

    # restore the snapshot: exactly the t1 rows
    st, body = api(emu, "RestoreDBInstanceFromDBSnapshot", DBInstanceIdentifier="from-snap",
                   DBSnapshotIdentifier="snap-t1")
    t.ok(st == 200 and "<DBInstanceStatus>creating</DBInstanceStatus>" in body and "<Endpoint>" not in body,
         "RestoreDBInstanceFromDBSnapshot answers creating, without an Endpoint yet", body)
    fs = wait_instance(emu, "from-snap")
    t.ok(fs and fs["status"] == "available" and fs["port"] and fs["port"] != port,
         "the restored instance becomes available on a port of its own", fs)
    t.is_(ids(fs["port"]) if fs and fs["port"] else None, "1,2,3",
          "the snapshot's restore holds exactly the t1 rows, with the source's user and password")

    # point in time between t1 and t2: exactly the rows committed before it
    r = aws(emu, "rds", "restore-db-instance-to-point-in-time", "--source-db-instance-identifier", "books-db",
            "--target-db-instance-identifier", "pitr-db", "--restore-time", iso(mid))
    t.ok(r.rc == 0 and '"DBInstanceStatus": "creating"' in r.out, "restore-db-instance-to-point-in-time is "
         "accepted for a time inside the window", r)
    pd = wait_instance(emu, "pitr-db")
    t.ok(pd and pd["status"] == "available" and pd["port"], "the point-in-time restore becomes available", pd)
    t.is_(ids(pd["port"]) if pd and pd["port"] else None, "1,2,3,4",
          "it holds exactly the rows committed before the restore time (WAL replayed to it)")
    st, body = api(emu, "RestoreDBInstanceToPointInTime", SourceDBInstanceIdentifier="books-db",
                   TargetDBInstanceIdentifier="latest-db", UseLatestRestorableTime="true")
    ld = wait_instance(emu, "latest-db")
    t.is_(ids(ld["port"]) if st == 200 and ld and ld["port"] else (body, ld), "1,2,3,4,5,6",
          "UseLatestRestorableTime holds every committed row")

    # outside the window: AWS's InvalidRestoreFault, nothing created
    r = aws(emu, "rds", "restore-db-instance-to-point-in-time", "--source-db-instance-identifier", "books-db",
            "--target-db-instance-identifier", "too-early", "--restore-time", "2020-01-01T00:00:00Z")
    t.ok(r.rc != 0 and "InvalidRestoreFault" in r.err and describe(emu, "too-early") is None,
         "a restore time before the window gets InvalidRestoreFault", r.err)
    st, body = api(emu, "RestoreDBInstanceToPointInTime", SourceDBInstanceIdentifier="books-db",
                   TargetDBInstanceIdentifier="too-late", RestoreTime=iso(time.time() + 3600))
    t.ok(st == 400 and "<Code>InvalidRestoreFault</Code>" in body and describe(emu, "too-late") is None,
         "a restore time after the window gets InvalidRestoreFault", body)

    # a copy of the snapshot, damaged: its restore lacks the table; the original is untouched
    st, body = api(emu, "CopyDBSnapshot", SourceDBSnapshotIdentifier="snap-t1",
                   TargetDBSnapshotIdentifier="snap-t1-copy")
    t.ok(st == 200 and wait_snapshot(emu, "snap-t1-copy") == "available", "CopyDBSnapshot copies the files", body)
    res = emu.admin("POST", "faults", {"kind": "damage-snapshot", "snapshot": "snap-t1-copy", "how": "drop-table",
                                        "table": "books"})
    t.is_(res.get("damaged"), "snap-t1-copy", "the damage-snapshot fault drops the table in the copy's files")
    api(emu, "RestoreDBInstanceFromDBSnapshot", DBInstanceIdentifier="from-damaged",
        DBSnapshotIdentifier="snap-t1-copy")
    dd = wait_instance(emu, "from-damaged")
    q = psql(dd["port"], "SELECT count(*) FROM books") if dd and dd["port"] else None
    t.ok(q is not None and q.rc != 0 and 'relation "books" does not exist' in q.err,
         "the damaged copy restores, without its table", q)
    t.is_(ids(fs["port"]) if fs and fs["port"] else None, "1,2,3", "the first restore is untouched by the damage")

    # delete: the server stops and its files go; a deleted snapshot's files go too
    snapdirs = lambda: sorted(os.listdir(os.path.join(pgdir, "snapshots", "us-east-1")))  # noqa: E731
    before = [n for n in snapdirs() if n.startswith("snap-t1-copy-")]
    st, body = api(emu, "DeleteDBInstance", DBInstanceIdentifier="from-damaged", SkipFinalSnapshot="true")
    st2, _ = api(emu, "DeleteDBSnapshot", DBSnapshotIdentifier="snap-t1-copy")
    deadline = time.time() + 30
    folder = os.path.join(pgdir, "instances", dd["dbi"]) if dd else "?"
    while time.time() < deadline and (port_open(dd["port"]) or os.path.exists(folder)
                                      or any(n.startswith("snap-t1-copy-") for n in snapdirs())):
        time.sleep(0.2)
    t.ok(st == 200 and "<DBInstanceStatus>deleting</DBInstanceStatus>" in body
         and describe(emu, "from-damaged") is None,
         "DeleteDBInstance with SkipFinalSnapshot answers deleting, then the instance is gone", body)
    t.ok(dd and not port_open(dd["port"]) and not os.path.exists(folder),
         "its server no longer listens and its files are removed", folder)
    t.ok(st2 == 200 and len(before) == 1 and not any(n.startswith("snap-t1-copy-") for n in snapdirs()),
         "DeleteDBSnapshot removes the snapshot's files", (before, snapdirs()))

    # a final snapshot is a base backup taken before the server stops
    st, body = api(emu, "DeleteDBInstance", DBInstanceIdentifier="from-snap",
                   FinalDBSnapshotIdentifier="from-snap-final")
    t.ok(st == 200 and wait_snapshot(emu, "from-snap-final") == "available",
         "DeleteDBInstance with FinalDBSnapshotIdentifier: the final snapshot becomes available", body)
    st, body = api(emu, "RestoreDBInstanceFromDBSnapshot", DBInstanceIdentifier="from-final",
                   DBSnapshotIdentifier="from-snap-final")
    ff = wait_instance(emu, "from-final")
    t.is_(ids(ff["port"]) if ff and ff["port"] else (body, ff), "1,2,3", "the final snapshot restores with "
          "its instance's rows")

    # SIGTERM stops every server (and the guard); a restart starts them again, data intact
    running = ours(emu)
    guards = [p for p in running if "pgguard" in processes().get(p, (0, ""))[1]]
    emu.stop()
    t.ok(len(running) == 5 and len(guards) == 1 and gone(emu, guards) == [],
         "SIGTERM: the emulator stops its 4 servers and its guard", running)
    emu.start()
    d2 = describe(emu, "books-db")
    t.ok(d2 and d2["status"] == "available" and d2["port"] and ids(d2["port"]) == "1,2,3,4,5,6",
         "after a restart on the saved state the server is back with every row", d2)

    # SIGKILL: the guard stops them
    running = ours(emu)
    guards = [p for p in running if "pgguard" in processes().get(p, (0, ""))[1]]
    emu.proc.kill()
    emu.proc.wait()
    t.ok(len(running) == 5 and gone(emu, guards) == [], "SIGKILL: the guard stops every server the emulator left",
         running)
finally:
    emu.close()

t.diag("took %.1f s" % (time.time() - started))
t.done()
