#!/usr/bin/env python3
"""Answers that are not AWS's, and endpoints that do not answer (issue 11,
points 2 and 6).

Strict responses: for every describe call `snapkeep plan` makes (found in
the emulator's call log of a clean plan: DescribeDBInstances,
DescribeDBSnapshots, and DescribeDBInstanceAutomatedBackups in the region a
policy replicates to) and for each of three status-200 answers the emulator
can give instead of the real one (an HTML page, an empty body, another
action's valid XML):
- `plan --detailed-exitcode` exits 1 with one error line naming the status,
  the Content-Type and a fragment of the body, and prints no "No changes";
- `run --once --auto-apply` exits 1 and logs that the cycle failed;
- the call was not retried, and no mutating RDS call was made.

Timeouts: a TCP server in this script accepts connections and never
answers.  `plan` against it fails within about 35 s with the default
timeouts and prints a warning line per retry; with `--call-timeout 1s`
(and SNAPKEEP_CALL_TIMEOUT=1s) it fails in a few seconds; a closed port
fails fast; bad timeout values are usage errors (exit 64); a slow but
working endpoint still succeeds."""
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

ACCOUNT = "123456789012"
SEED = {
    "account": ACCOUNT,
    "regions": {
        "us-east-1": {
            "instances": [{"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 7,
                           "preferredBackupWindow": "03:00-04:00",
                           "preferredMaintenanceWindow": "sun:05:00-sun:06:00"}],
        },
        "us-west-2": {"instances": []},
    },
}
POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata:
  name: orders
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  automated:
    retentionDays: 7
    window: "03:00-04:00"
    replicate: {region: us-west-2, retentionDays: 7}
"""
DESCRIBES = ["DescribeDBInstances", "DescribeDBSnapshots", "DescribeDBInstanceAutomatedBackups"]
# what each fault answers, and what the error line must then quote
FAULTS = {
    "html": ("text/html", "Guest Wi-Fi: sign in"),
    "emptyBody": ("text/xml", "an empty body"),
    "otherAction": ("text/xml", "<?xml version=\\\"1.0\\\""),
}


def error_lines(err):
    """stderr without the warnings (retries) and progress lines"""
    return [x for x in err.splitlines() if x.strip() and not x.startswith("snapkeep: warn: ")]


def retry_lines(err):
    return [x for x in err.splitlines() if re.match(r"snapkeep: warn: retrying \w+ in [\w-]+ \(attempt \d+/\d+\): ", x)]


work = t.tmpdir()
repo = os.path.join(work, "policies")
t.git_repo(repo, {"policies/orders.yaml": POLICY}, "orders: replicate to us-west-2")

with Emulator(seed=SEED) as emu:
    env = emu.env()
    env.update({"SNAPKEEP_STATE_DIR": os.path.join(work, "state"), "NO_COLOR": "1", "SNAPKEEP_LOG": None,
                "SNAPKEEP_LOG_FORMAT": None, "SNAPKEEP_CONNECT_TIMEOUT": None, "SNAPKEEP_CALL_TIMEOUT": None})

    def sk(*args, **kw):
        return t.snapkeep(*args, env=kw.pop("env", env), **kw)

    # ---- the baseline: live state made to match, then a clean plan shows which describes it makes ----
    r = sk("apply", "--repo", repo, "--path", "policies", "--auto-approve")
    t.is_(r.rc, 0, "apply makes live state match the policy (replication started)") or t.diag(r)
    since = emu.calls()["last"]
    r = sk("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode")
    t.ok(r.rc == 0 and "No changes" in r.out, "a plan against the real answers: No changes, exit 0", r)
    seen = sorted({(c["action"], c["region"]) for c in emu.calls(since=since)["calls"]})
    actions = sorted({a for a, _ in seen})
    t.is_(actions, sorted(DESCRIBES), "plan makes the three describe calls (%s)" % seen)
    t.ok(("DescribeDBInstanceAutomatedBackups", "us-west-2") in seen,
         "DescribeDBInstanceAutomatedBackups goes to the region the policy replicates to")

    for action in DESCRIBES:
        for kind, (ctype, fragment) in FAULTS.items():
            what = "%s answered with %s" % (action, kind)
            emu.faults(**{kind: 1.0, "actions": [action]})
            since = emu.calls()["last"]
            r = sk("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode")
            errs = error_lines(r.err)
            line = errs[0] if errs else ""
            t.ok(r.rc == 1 and "No changes" not in r.out and len(errs) == 1,
                 "%s: plan exits 1 with one error line and no 'No changes'" % what, r)
            t.ok(action in line and "HTTP 200" in line and "Content-Type " + ctype in line and fragment in line
                 and "not retried" in line,
                 "%s: the line names the call, the status, the Content-Type and the body" % what, line)
            calls = emu.calls(since=since)["calls"]
            faulted = [c for c in calls if c.get("fault") == kind]
            t.ok(len(faulted) >= 1 and all(c["action"] == action for c in faulted) and not retry_lines(r.err),
                 "%s: the answer was not retried" % what, [(c["action"], c.get("fault")) for c in calls])

            since = emu.calls()["last"]
            r = sk("run", "--repo", repo, "--path", "policies", "--once", "--auto-apply")
            t.ok(r.rc == 1 and re.search(r"cycle 1 failed in \w+: .*%s.*HTTP 200" % action, r.err)
                 and "cycle 1 ok" not in r.err,
                 "%s: run --once exits 1 and logs the cycle failed" % what, r)
            mut = [c["action"] for c in emu.calls(since=since)["calls"] if c.get("mutating") and c["service"] == "rds"]
            t.is_(mut, [], "%s: no mutating RDS call was made" % what)
            emu.faults()

    # ---- a slow but working endpoint is not cut off by the default timeouts ----
    emu.faults(latencyMs=3000, actions=["DescribeDBSnapshots"])
    started = time.time()
    r = sk("plan", "--repo", repo, "--path", "policies", "--detailed-exitcode")
    took = time.time() - started
    t.ok(r.rc == 0 and not retry_lines(r.err), "answers 3 s slow: plan succeeds without a retry (%.1f s)" % took, r)
    emu.faults()

# ---- timeouts: an endpoint that accepts and never answers ----


class Silent:
    """A TCP server that accepts every connection, reads, and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.accepted = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.conns.append(c)  # held open, never answered

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def plan_against(port, *args, extra_env=None):
    e = {"AWS_ACCESS_KEY_ID": "AKIDSNAPKEEPTEST", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL": "http://127.0.0.1:%d" % port, "AWS_CONFIG_FILE": "/dev/null",
         "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": None,
         "AWS_MAX_ATTEMPTS": None, "SNAPKEEP_STATE_DIR": os.path.join(work, "state2"), "SNAPKEEP_LOG": None,
         "SNAPKEEP_LOG_FORMAT": None, "SNAPKEEP_CONNECT_TIMEOUT": None, "SNAPKEEP_CALL_TIMEOUT": None}
    e.update(extra_env or {})
    started = time.time()
    r = t.snapkeep("plan", "--repo", repo, "--path", "policies", *args, env=e, timeout=120)
    return r, time.time() - started


silent = Silent()
r, took = plan_against(silent.port)
retries = retry_lines(r.err)
t.ok(r.rc == 1 and 20 <= took <= 35, "a hanging endpoint: plan fails within 35 s with the default timeouts "
     "(%.1f s)" % took, r)
t.ok(len(retries) >= 2 and all(x.endswith("timed out") for x in retries),
     "and prints a warning for each retry, saying it timed out (%d)" % len(retries), r.err)
t.ok(any("(attempt 2/5): timed out" in x for x in retries), "in the form 'retrying ACTION in REGION "
     "(attempt 2/5): timed out'", retries)
errs = error_lines(r.err)
t.ok(len(errs) == 1 and "no answer from 127.0.0.1:%d" % silent.port in errs[0] and "call timeout of 30 s" in errs[0],
     "then one error line naming the endpoint and the call timeout", errs)

r, took = plan_against(silent.port, "--call-timeout", "1s")
t.ok(r.rc == 1 and took < 5, "--call-timeout 1s: fails in a few seconds (%.1f s)" % took, r)
t.contains(r.err, "call timeout of 1 s", "and says the call timeout ran out")
r, took = plan_against(silent.port, extra_env={"SNAPKEEP_CALL_TIMEOUT": "1500ms"})
t.ok(r.rc == 1 and took < 5 and "call timeout of 1.5 s" in r.err,
     "SNAPKEEP_CALL_TIMEOUT=1500ms does the same (%.1f s)" % took, r)
r, took = plan_against(silent.port, "--call-timeout", "2s", extra_env={"SNAPKEEP_CALL_TIMEOUT": "1h"})
t.ok(r.rc == 1 and took < 6 and "call timeout of 2 s" in r.err, "the option wins over the environment", r)
silent.close()

# a closed port: refused at once, retried a few times, fails fast
s = socket.socket()
s.bind(("127.0.0.1", 0))
closed = s.getsockname()[1]
s.close()
r, took = plan_against(closed)
t.ok(r.rc == 1 and took < 10 and "connection refused" in r.err, "a closed port fails fast (%.1f s)" % took, r)
t.is_([x[x.index("(attempt"):] for x in retry_lines(r.err) if "DescribeDBInstances in us-east-1" in x],
      ["(attempt %d/5): connection refused" % n for n in (2, 3, 4, 5)],
      "after a warning for each of its four retries (per region observed in parallel)")
r, took = plan_against(closed, "--log-format", "json")
warns = [x for x in r.err.splitlines() if '"retrying DescribeDBInstances in us-east-1' in x]
t.ok(r.rc == 1 and len(warns) == 4 and all(x.startswith('{"time":') and '"level":"warn"' in x for x in warns),
     "--log-format json: the retry lines are JSON objects at level warn", r.err)

# bad values are usage errors
for args, env_, bad in ((["--call-timeout", "30"], None, "--call-timeout"),
                        (["--connect-timeout", "50ms"], None, "--connect-timeout"),
                        (["--call-timeout", "2h"], None, "--call-timeout"),
                        ([], {"SNAPKEEP_CONNECT_TIMEOUT": "soon"}, "SNAPKEEP_CONNECT_TIMEOUT")):
    r, _ = plan_against(closed, *args, extra_env=env_)
    t.ok(r.rc == 64 and bad in r.err and len(r.err.strip().splitlines()) == 1,
         "%s: a usage error naming %s" % (" ".join(args) or env_, bad), r)

t.done()
