#!/usr/bin/env python3
"""bench/accounts-plan.py - plan over many accounts: wall time and API calls.

A fleet of ACCOUNTS accounts x 3 regions x INSTANCES instances (one owned
snapshot each) in the emulator, every call answered 50 ms late (the
emulator's latencyMs fault, as a real endpoint's round trip), one role per
account assumed from the base key.  `snapkeep plan` over all of it is timed
with Settings' parallel at its default (8 (account, region) places at once),
at 30 (every place of the default fleet at once) and at 1 (one account and
region at a time); the calls of one plan are
counted from the emulator's call log, by action.  Prints figures, never
pass/fail (bench/run's convention: medians, ratios).

  bench/accounts-plan.py [--accounts 10] [--instances 100] [--latency-ms 50] [--runs 3]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(TOP, BUILD)
BIN = os.path.join(BUILD, "snapkeep")
sys.path.insert(0, os.path.join(TOP, "tests", "e2e", "lib"))
from emulator_ctl import Emulator  # noqa: E402

BASE = "123456789012"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: fleet}
spec:
  regions: [%s]
  selector: {tags: {Environment: bench}}
  automated: {retentionDays: 7}
  snapshots:
    schedule: "0 3 * * *"
    retain: {daily: 7}
""" % ", ".join(REGIONS)


def say(*a):
    print(*a, flush=True)


def account_ids(n):
    return ["%012d" % (100000000000 + 11111 * (i + 1)) for i in range(n)]


def seed(accounts, n):
    gen = [{"instances": n, "snapshotsPerInstance": 1, "region": r, "prefix": "db", "snapshotPrefix": "snapkeep",
            "tags": {"Environment": "bench"},
            "snapshotTags": {"snapkeep:policy": "fleet", "snapkeep:instance": "{instance}"},
            "instance": {"backupRetentionPeriod": 7}} for r in REGIONS]
    return {"account": BASE, "automatedHistory": False, "config": {"snapshotQuota": 1000000},
            "roles": [{"arn": "arn:aws:iam::%s:role/snapkeep" % a, "trust": [BASE]} for a in accounts],
            "accounts": {a: {"generate": gen} for a in accounts}}


def settings(accounts, parallel):
    lines = ["apiVersion: snapkeep/v1", "kind: Settings", "metadata: {name: fleet}", "spec:", "  snapshotQuota: 1000"]
    if parallel:
        lines.append("  parallel: %d" % parallel)
    lines.append("  accounts:")
    lines += ['    - {id: "%s", roleArn: "arn:aws:iam::%s:role/snapkeep"}' % (a, a) for a in accounts]
    return "\n".join(lines) + "\n"


def git_repo(path, files):
    os.makedirs(path, exist_ok=True)
    for rel, text in files.items():
        full = os.path.join(path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    env = dict(os.environ, **GIT_ENV)
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "bench policies"]):
        subprocess.run(["git", "-C", path] + args, env=env, check=True)


def plan_once(argv, env):
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if p.returncode not in (0, 2):
        say("  (exit %d) %s" % (p.returncode, p.stderr[-2000:]))
    return wall, p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--instances", type=int, default=100, help="per account and region")
    ap.add_argument("--latency-ms", type=float, default=50)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        sys.exit("bench: build first (make)")
    accounts = account_ids(a.accounts)
    work = tempfile.mkdtemp(prefix="snapkeep-bench-accounts-")
    say("== plan over %d accounts x %d regions x %d instances, %g ms added to every call (%d cores)"
        % (a.accounts, len(REGIONS), a.instances, a.latency_ms, os.cpu_count()))
    try:
        repos = {}
        for label, parallel in (("parallel 8 (default)", 0), ("parallel 30", 30), ("parallel 1", 1)):
            repos[label] = os.path.join(work, "policies-%d" % parallel)
            git_repo(repos[label], {"policies/settings.yaml": settings(accounts, parallel),
                                    "policies/fleet.yaml": POLICY})
        with Emulator(seed=seed(accounts, a.instances), args=["--quiet"]) as emu:
            env = {k: v for k, v in emu.env().items() if v is not None}
            env = dict(os.environ, **env)
            env["SNAPKEEP_STATE_DIR"] = os.path.join(work, "state")
            emu.faults(latencyMs=a.latency_ms)
            figures = {}
            for label, repo in repos.items():
                argv = [BIN, "plan", "--repo", repo, "--path", "policies"]
                plan_once(argv, env)  # warm: git, the page cache
                since = emu.calls()["last"]
                wall, p = plan_once(argv, env)
                calls = emu.calls(since=since)["calls"]
                walls = [wall] + [plan_once(argv, env)[0] for _ in range(a.runs - 1)]
                by = {}
                for c in calls:
                    by[c["action"]] = by.get(c["action"], 0) + 1
                figures[label] = statistics.median(walls)
                summary = [ln for ln in p.stdout.splitlines() if ln.startswith(("Plan:", "No changes"))]
                say("  %-22s median %.2f s (%d runs); %d calls (%s); %s" % (
                    label, figures[label], len(walls), len(calls),
                    ", ".join("%s %d" % kv for kv in sorted(by.items())), (summary or ["?"])[0]))
            par, seq = figures["parallel 8 (default)"], figures["parallel 1"]
            say("  one account and region at a time / parallel: %.1fx" % (seq / par))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
