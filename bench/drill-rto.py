#!/usr/bin/env python3
"""bench/drill-rto.py - the RTO of a restore drill of a database of a given
size (default 1 GB), on this machine, against the emulator's real
PostgreSQL 15 (tests/emulator/pg.py).

Fills a table to the size asked for, takes the policy's snapshot with
`snapkeep apply` (a real base backup), then runs `snapkeep drill` and prints
its figures: the RTO (restore request to checks answered), the restore's own
time, the data's RPO, the database size, and the wall time of the whole
command.  A figure, never pass/fail.

  bench/drill-rto.py [--gb 1.0] [--runs 1]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import json

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(TOP, BUILD)
BIN = os.path.join(BUILD, "snapkeep")
PGBIN = os.environ.get("SNAPKEEP_PGBIN", "/usr/lib/postgresql/15/bin")
sys.path.insert(0, os.path.join(TOP, "tests", "e2e", "lib"))
from emulator_ctl import Emulator  # noqa: E402

PASSWORD = "bench-drill-pw"
DB = {"name": "bench", "user": "bench", "password": PASSWORD}
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: bench}
spec:
  regions: [us-east-1]
  selector: {instances: [bench-db]}
  snapshots: {schedule: "@hourly"}
  drill:
    schedule: "0 6 1 * *"
    connect: {database: bench, user: bench, passwordEnv: SNAPKEEP_DRILL_PASSWORD}
    checks:
      - {name: rows present, sql: "SELECT count(*) FROM filler", atLeast: %d}
      - {name: fresh data, sql: "SELECT max(created_at) FROM filler", notOlderThanSnapshotBy: 1h}
    timeout: 2h
    statementTimeout: 10m
"""
ROW_BYTES = 560  # a row of filler on disk, about: 512 bytes of payload, the tuple header, the index entry


def psql(port, sql, timeout=3600):
    env = dict(os.environ, PGPASSWORD=PASSWORD)
    r = subprocess.run([os.path.join(PGBIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                        "127.0.0.1", "-p", str(port), "-U", DB["user"], "-d", DB["name"], "-c", sql],
                       env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode:
        sys.exit("bench: psql failed: %s" % r.stderr.strip())
    return r.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0, help="database size in GB (default 1)")
    ap.add_argument("--runs", type=int, default=1, help="drills to run (default 1)")
    args = ap.parse_args()
    if not os.access(os.path.join(PGBIN, "initdb"), os.X_OK):
        sys.exit("bench: PostgreSQL 15 is not installed (make deps)")
    work = tempfile.mkdtemp(prefix="sk-drill-bench-")
    try:
        repo = os.path.join(work, "policies")
        os.makedirs(os.path.join(repo, "policies"))
        rows = int(args.gb * 1e9 / ROW_BYTES)
        with open(os.path.join(repo, "policies", "bench.yaml"), "w") as f:
            f.write(POLICY % rows)
        for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "bench"]):
            subprocess.run(["git", "-C", repo] + cmd, check=True, env=dict(os.environ, **GIT_ENV))
        seed = {"regions": {"us-east-1": {"instances": [
            {"id": "bench-db", "engine": "postgres", "backupRetentionPeriod": 1, "allocatedStorage": 20,
             "database": DB}]}}}
        with Emulator(seed=seed, args=["--quiet"], workdir=work) as emu:
            env = dict(os.environ)
            env.update({k: v for k, v in emu.env().items() if v is not None})
            for k, v in emu.env().items():
                if v is None:
                    env.pop(k, None)
            env.update({"SNAPKEEP_STATE_DIR": os.path.join(work, "state"), "SNAPKEEP_DRILL_PASSWORD": PASSWORD})
            st = emu.state(region="us-east-1", snapshots=False)
            port = next(i["pgPort"] for i in st["regions"]["us-east-1"]["instances"] if i["id"] == "bench-db")
            t0 = time.monotonic()
            psql(port, "CREATE TABLE filler (id bigint PRIMARY KEY, payload text NOT NULL,"
                       " created_at timestamptz NOT NULL DEFAULT now());"
                       "INSERT INTO filler (id, payload) SELECT g, repeat(md5(g::text), 16)"
                       " FROM generate_series(1, %d) g;" % rows)
            size = int(psql(port, "SELECT pg_database_size(current_database())"))
            print("database: %.2f GB (%d rows), filled in %.0f s" % (size / 1e9, rows, time.monotonic() - t0))
            t0 = time.monotonic()
            r = subprocess.run([BIN, "apply", "--auto-approve", "--repo", repo, "--path", "policies"], env=env,
                               capture_output=True, text=True)
            if r.returncode:
                sys.exit("bench: apply failed: %s" % r.stderr)
            while True:
                snaps = emu.state(region="us-east-1")["regions"]["us-east-1"]["snapshots"]
                mine = [s for s in snaps if s.get("tags", {}).get("snapkeep:policy") == "bench"]
                if any(s["status"] == "available" for s in mine):
                    break
                if time.monotonic() - t0 > 3600:
                    sys.exit("bench: the snapshot did not become available in an hour")
                time.sleep(0.5)
            print("snapshot (base backup): %.0f s" % (time.monotonic() - t0))
            for n in range(args.runs):
                t0 = time.monotonic()
                r = subprocess.run([BIN, "drill", "--repo", repo, "--path", "policies", "--output", "json"],
                                   env=env, capture_output=True, text=True)
                wall = time.monotonic() - t0
                try:
                    d = json.loads(r.stdout)["drills"][0]
                except (ValueError, KeyError, IndexError):
                    sys.exit("bench: drill failed: rc=%d\n%s\n%s" % (r.returncode, r.stdout, r.stderr))
                print("drill %d: %s; RTO %s s (restore %s s, checks %s), RPO %s s; wall %.1f s" % (
                    n + 1, d["result"], d["rtoSeconds"], d["restoreSeconds"],
                    ", ".join("%s %d ms" % (c["name"], c["ms"]) for c in d["checks"]), d["rpoSeconds"], wall))
                while True:  # the drill instance must be gone before the next one of the same name
                    st = emu.state(region="us-east-1", snapshots=False)
                    if not any(i["id"].startswith("snapkeep-drill-") for i in st["regions"]["us-east-1"]["instances"]):
                        break
                    time.sleep(0.5)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
