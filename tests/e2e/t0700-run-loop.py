#!/usr/bin/env python3
"""`snapkeep run` as a controller loop against the emulator, with a 2-second
interval (issue 7's "done when"):

- a commit to the watched repository is applied within the next cycle;
- with every RDS call throttled the cycles fail, the wait after each grows
  (1 s, then 2 s: capped at the interval), an SNS message naming the failure,
  the plan summary and the policy commit reaches the emulator, and /healthz
  answers 503 after --healthz-failures failed cycles; the newest snapshot's
  age keeps growing while it cannot be observed; the failing cycles are one
  alert (one message, not one per cycle), resolved once they recover;
- once the faults stop the loop recovers: /healthz 200, and /metrics counts
  cycles by outcome, AWS calls by action and outcome (equal to the
  emulator's own call log), throttles, the last success and the newest
  snapshot age; CloudWatch got the cycle metrics in the configured namespace;
- SIGTERM during a cycle lets the call in flight finish, makes no further
  call, exits 0, and leaves the state file valid with the run recorded and
  the lock released.

Throttling is confined to RDS, the service a cycle works with; SNS and
CloudWatch have their own quotas in AWS, and the alert must get through
(t0701 throttles everything and checks the loop survives that too)."""
import datetime as dt
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator
from runproc import RunProc, metric, metric_sum

ACCOUNT = "123456789012"
TOPIC = "arn:aws:sns:us-east-1:%s:backup-alerts" % ACCOUNT
NAMESPACE = "SnapkeepE2E"
SEED = {
    "account": ACCOUNT,
    "regions": {
        "us-east-1": {
            "instances": [{"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 7,
                           "preferredBackupWindow": "03:00-04:00",
                           "preferredMaintenanceWindow": "sun:05:00-sun:06:00"}],
            "topics": ["backup-alerts"],
        },
    },
}


def policy(retention):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata:
  name: orders
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  automated:
    retentionDays: %d
    window: "03:00-04:00"
  snapshots:
    schedule: "@daily"
    retain: {daily: 3}
  alerts:
    snsTopicArn: %s
""" % (retention, TOPIC)


def seconds(d):
    """"1s911ms", "2s", "956ms" -> seconds"""
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?", d)
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0) + int(m.group(3) or 0) / 1000.0


def wall(call):
    return dt.datetime.strptime(call["wall"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp()


def n_alerts(emu):
    return len([x for x in emu.sns_messages() if x["Subject"].startswith("snapkeep: cycle failed")])


def orders_retention(emu):
    return [i for i in emu.state(snapshots=False)["regions"]["us-east-1"]["instances"]
            if i["id"] == "orders-db"][0]["backupRetentionPeriod"]


work = t.tmpdir()
repo = os.path.join(work, "policies")
state = os.path.join(work, "state")
first = t.git_repo(repo, {"policies/orders.yaml": policy(7)}, "orders: 7 days")

with Emulator(seed=SEED) as emu:
    env = emu.env()
    env.update({"SNAPKEEP_STATE_DIR": state, "NO_COLOR": "1", "AWS_MAX_ATTEMPTS": "2", "SNAPKEEP_LOG": None,
                "SNAPKEEP_LOG_FORMAT": None})
    started_seq = emu.calls()["last"]
    p = RunProc(["--repo", repo, "--path", "policies", "--interval", "2s", "--auto-apply",
                 "--metrics-addr", "127.0.0.1:0", "--healthz-failures", "3", "--metrics-namespace", NAMESPACE],
                env=env, workdir=work)
    try:
        # ---- the loop runs and applies ----
        t.ok(p.wait_for(r"cycle 1 ok at commit %s" % first[:12], timeout=30), "the first cycle succeeds",
             p.err())
        t.ok(p.port() > 0, "run logs the port it serves /metrics on (--metrics-addr 127.0.0.1:0)")
        status, body, _ = p.http("/healthz")
        t.is_((status, body), (200, "ok\n"), "/healthz answers 200 while cycles succeed")
        created = [c for c in emu.calls(since=started_seq, action="CreateDBSnapshot")["calls"] if not c.get("error")]
        t.is_(len(created), 1, "the first cycle applied the plan: the day's snapshot was created")
        t.is_(p.wait_for(r"cycle 2 ok", timeout=10) is not None, True, "a second cycle follows about 2 s later")

        # ---- a commit is applied within the next cycle ----
        second = t.git_commit(repo, {"policies/orders.yaml": policy(14)}, "orders: 14 days")
        committed = time.time()
        m = p.wait_for(r"cycle \d+ ok at commit %s: 0 to create, 1 to change" % second[:12], timeout=15)
        took = time.time() - committed
        t.ok(m, "a cycle plans the new commit's change", p.err())
        t.ok(took < 2 * 1.1 + 2.5, "and it lands within the next cycle (%.1f s after the commit)" % took)
        t.is_(orders_retention(emu), 14, "the instance keeps 14 days now")
        mods = emu.calls(since=started_seq, action="ModifyDBInstance")["calls"]
        t.ok(len(mods) == 1 and mods[0]["params"].get("BackupRetentionPeriod") == "14",
             "exactly one ModifyDBInstance, to 14 days", mods)
        p.wait_next(r"next cycle in", timeout=10)
        age_before = metric(p.metrics(), "snapkeep_newest_snapshot_age_seconds", region="us-east-1",
                            instance="orders-db")
        t.ok(age_before is not None and 0 <= age_before < 60,
             "/metrics has the age of the newest snapshot, the one the first cycle made", age_before)

        # ---- every RDS call throttled: cycles fail, the backoff grows, an alert, /healthz 503 ----
        fault_seq = emu.calls()["last"]
        emu.faults(throttle=1.0, services=["rds"])
        m3 = p.wait_for(r"next cycle in (\S+) \(3 failed cycles in a row\)", timeout=25)
        t.ok(m3, "three cycles fail in a row", p.err())
        log = p.err()
        waits = {int(n): seconds(d) for d, n in re.findall(r"next cycle in (\S+) \((\d) failed cycles? in a row\)", log)}
        t.ok(0.9 <= waits.get(1, 0) <= 1.1, "after one failure the next cycle comes in 1 s ± 10%% (%s)" % waits.get(1))
        t.ok(1.8 <= waits.get(2, 0) <= 2.2, "after two it waits twice that, 2 s ± 10%% (%s)" % waits.get(2))
        t.ok(1.8 <= waits.get(3, 0) <= 2.2, "after three still 2 s: the backoff is capped at the interval (%s)"
             % waits.get(3))
        failed_lines = re.findall(r"cycle \d+ failed in observe: (.*)", log)
        t.ok(failed_lines and "Throttling" in failed_lines[0] and "after 2 attempts" in failed_lines[0],
             "the log names the stage and the AWS error, after AWS_MAX_ATTEMPTS=2 attempts", failed_lines[:1])

        describes = [c for c in emu.calls(since=fault_seq, action="DescribeDBInstances")["calls"]
                     if c.get("error") == "Throttling"]
        starts = [wall(c) for c in describes[0::2]]
        t.ok(len(describes) >= 6, "every failed cycle made 2 throttled attempts (emulator call log)", len(describes))
        if len(starts) >= 3:
            g1, g2 = starts[1] - starts[0], starts[2] - starts[1]
            t.ok(g2 - g1 > 0.5, "cycle starts in the emulator's log are spaced further apart: %.2f s, then %.2f s"
                 % (g1, g2))
        else:
            t.ok(False, "cycle starts in the emulator's log", describes)

        status, body, _ = p.http("/healthz")
        t.ok(status == 503 and re.match(r"unhealthy: [3-9] consecutive failed cycles", body),
             "/healthz answers 503 after 3 failed cycles", (status, body))

        msgs = [x for x in emu.sns_messages() if x["TopicArn"] == TOPIC]
        fails = [x for x in msgs if x["Subject"].startswith("snapkeep: cycle failed")]
        t.ok(len(fails) == 1, "one SNS message for the failing cycles, not one per cycle (%d)" % len(fails), msgs)
        if fails:
            f = fails[0]
            t.is_(f["Subject"], "snapkeep: cycle failed in observe (policy commit %s)" % second[:8],
                  "its subject names the stage and the policy commit")
            for want, what in [("What failed: observe: ", "what failed"),
                               ("Throttling: Rate exceeded", "the AWS error code and message"),
                               ("RequestId", "the RequestId"),
                               ("Plan: 0 to create, 0 to change, 0 to delete", "the plan summary"),
                               ("Policy commit: %s \"orders: 14 days\"" % second, "the commit and its subject")]:
                t.contains(f["Message"], want, "the message names " + what)

        during = p.metrics()
        t.ok(metric(during, "snapkeep_cycles_total", outcome="failure") >= 3, "/metrics counts the failed cycles")
        t.ok(metric(during, "snapkeep_consecutive_failures") >= 3, "and the failures in a row")
        t.ok(metric(during, "snapkeep_aws_throttles_total") >= 6, "and the throttled attempts")
        t.ok(metric(during, "snapkeep_aws_calls_total", service="rds", action="DescribeDBInstances",
                    outcome="throttled") >= 6, "aws_calls_total has DescribeDBInstances{outcome=throttled}")
        age_during = metric(during, "snapkeep_newest_snapshot_age_seconds", region="us-east-1", instance="orders-db")
        t.ok(age_during is not None and age_before is not None and age_during >= age_before + 3,
             "the newest snapshot's age keeps growing while it cannot be observed (%s -> %s)"
             % (age_before, age_during))

        t.is_(metric(during, "snapkeep_alerts_firing", kind="cycle"), 1.0, "/metrics: the cycle alert fires")

        # ---- the faults stop: it recovers ----
        emu.admin("DELETE", "faults")
        cleared = time.time()
        t.ok(p.wait_next(r"cycle \d+ ok", timeout=10), "once the faults stop a cycle succeeds")
        status, body, _ = p.http("/healthz")
        t.is_((status, body), (200, "ok\n"), "and /healthz answers 200 again")
        p.wait_next(r"next cycle in", timeout=10)
        resolved = [x for x in emu.sns_messages() if x["Subject"].startswith("snapkeep: resolved: cycle failed")]
        t.ok(len(resolved) == 1 and resolved[0]["TopicArn"] == TOPIC,
             "and one 'resolved' message reaches the topic", emu.sns_messages())

        # between two cycles, /metrics and the emulator's call log must agree exactly
        agreed = False
        for _ in range(5):
            p.wait_next(r"next cycle in", timeout=10)
            a = emu.calls(since=started_seq)["calls"]
            ms = p.metrics()
            b = emu.calls(since=started_seq)["calls"]
            if len(a) == len(b):
                agreed = True
                break
        t.ok(agreed, "a quiet moment between cycles to compare /metrics with the call log")
        for action in ["DescribeDBInstances", "DescribeDBSnapshots", "ModifyDBInstance", "CreateDBSnapshot"]:
            emu_n = len([c for c in a if c["service"] == "rds" and c["action"] == action])
            t.is_(metric_sum(ms, "snapkeep_aws_calls_total", service="rds", action=action), float(emu_n),
                  "aws_calls_total{action=%s} equals the emulator's count (%d)" % (action, emu_n))
        throttled = len([c for c in a if c.get("error") == "Throttling"])
        t.is_(metric(ms, "snapkeep_aws_throttles_total"), float(throttled),
              "aws_throttles_total equals the throttled calls in the emulator's log (%d)" % throttled)
        t.is_(metric_sum(ms, "snapkeep_aws_calls_total", service="sns", action="Publish", outcome="success"),
              float(len([c for c in a if c["action"] == "Publish" and not c.get("error")])),
              "aws_calls_total counts the SNS publishes")
        succ, fail = metric(ms, "snapkeep_cycles_total", outcome="success"), metric(ms, "snapkeep_cycles_total",
                                                                                     outcome="failure")
        n_ok_log = len(re.findall(r"cycle \d+ ok", p.err()))
        n_fail_log = len(re.findall(r"cycle \d+ failed", p.err()))
        t.is_((succ, fail), (float(n_ok_log), float(n_fail_log)),
              "cycles_total by outcome matches the cycles in the log")
        t.is_(metric(ms, "snapkeep_cycle_duration_seconds_count"), float(n_ok_log + n_fail_log),
              "every cycle's duration is in the histogram")
        t.is_(metric(ms, "snapkeep_consecutive_failures"), 0.0, "consecutive_failures is back to 0")
        last = metric(ms, "snapkeep_last_success_timestamp_seconds")
        t.ok(last is not None and cleared - 1 <= last <= time.time() + 1,
             "last_success_timestamp_seconds is a recent success", last)
        age = metric(ms, "snapkeep_newest_snapshot_age_seconds", region="us-east-1", instance="orders-db")
        t.ok(age is not None and 0 <= age < 2 * 86400, "newest_snapshot_age_seconds{orders-db} is observed again", age)
        t.is_(metric(ms, "snapkeep_snapshots_created_total"), 1.0, "snapshots_created_total counts the one snapshot")
        t.is_(metric(ms, "snapkeep_pending_actions"), 0.0, "nothing is pending")

        cw = emu.admin("GET", "metrics", query={"namespace": NAMESPACE})["metrics"]
        failed_vals = [x["Value"] for x in cw if x["MetricName"] == "CycleFailed"]
        t.ok(1.0 in failed_vals and 0.0 in failed_vals,
             "CloudWatch got CycleFailed 1 for the failed cycles and 0 for the others, in namespace %s" % NAMESPACE,
             failed_vals)

        # ---- SIGTERM during a cycle ----
        emu.faults(latencyMs=3000, services=["rds"], actions=["DescribeDBInstances"])
        m = p.wait_next(r"next cycle in (\S+)$", timeout=10)
        time.sleep(seconds(m.group(1)) + 0.8)  # the next cycle's first call is now in flight (3 s)
        term_seq = emu.calls()["last"]
        alerts_before = n_alerts(emu)
        sent = time.time()
        rc = p.stop(signal.SIGTERM)
        stopped = time.time() - sent
        t.is_(rc, 0, "SIGTERM: exit 0")
        t.ok(stopped < 5, "promptly, after the call in flight (%.1f s)" % stopped)
        t.ok(re.search(r"cycle \d+ stopped by SIGTERM in observe", p.err()) and "stopped by SIGTERM\n" in p.err(),
             "the log says the cycle was stopped, not that it failed", p.err()[-600:])
        t.is_(n_alerts(emu), alerts_before, "and no alert was sent for it")
        after = emu.calls(since=term_seq)["calls"]
        t.ok(len(after) == 1 and all(c["action"] == "DescribeDBInstances" for c in after),
             "no call was started after SIGTERM (only the one in flight finished)", after)
        with open(os.path.join(state, "state.json")) as f:
            st = json.load(f)
        t.is_(st.get("format"), "snapkeep-state/v1", "the state file is intact JSON")
        lr = st.get("lastRun") or {}
        t.ok(lr.get("command") == "run" and lr.get("outcome") == "interrupted",
             "and records the loop's last run", lr)
        t.is_((st.get("lastApplied") or {}).get("commit"), second, "and the commit last applied")
        emu.admin("DELETE", "faults")
    finally:
        p.kill()

    r = t.snapkeep("run", "--once", "--repo", repo, "--path", "policies", env=env)
    t.is_(r.rc, 0, "the lock was released: a `run --once` right after succeeds") or t.diag(r)

t.done()
