#!/usr/bin/env python3
"""`snapkeep run` beyond the basic loop (t0700), against the emulator:

- --once exits 0 after a good cycle and 1 after a failed one (every call,
  SNS and CloudWatch included, throttled: the alert cannot get out, which is
  said, and nothing crashes); bad options exit 64;
- the failed cycle's alert is a state in the state directory: the next good
  cycle, in another process, publishes one "resolved" message, and a loop
  resolves what a `run --once` raised (the lock);
- without --auto-apply a cycle reports drift and makes no mutating RDS call;
- CloudWatch receives the cycle's metrics in the configured namespace (and
  in "Snapkeep" by default), with NewestSnapshotAgeSeconds per Region and
  Instance;
- --log-format json: every line on stderr is a JSON object;
- --summary-at: the day's cycles are added up in the state directory across
  processes (as cron / systemd timers / CronJobs run `run --once`), and the
  summary is published by the first cycle after its time.  Wall time cannot
  be moved for snapkeep, so the test moves the summary's period start back
  two days instead, which is what a process sees the day after; the
  summary counts the month's restore drills from the journal (a drill
  record as `snapkeep drill` writes it): "all drills passed";
- --git-poll starts a cycle as soon as the watched ref (a file:// remote,
  fetched by libgit2) moves, long before the 1-hour interval;
- SIGHUP re-reads the AWS configuration (here, a rotated key in the shared
  credentials file) and starts a cycle at once."""
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
from runproc import RunProc

ACCOUNT = "123456789012"
TOPIC = "arn:aws:sns:us-east-1:%s:backup-alerts" % ACCOUNT
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


# orders-db's automated snapshots are unencrypted, which verify finds CRITICAL: its checks stay gauges here
# (t0810 tests verify's alerts), so that this test's message counts are the cycle's alone
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
  alerts:
    snsTopicArn: %s
  verify: {alerts: false}
""" % (retention, TOPIC)


def rds_mutations(emu, since):
    return [c["action"] for c in emu.calls(since=since, service="rds")["calls"] if c.get("mutating")]


def json_lines(text):
    """Every non-empty line as JSON, or the first line that is not."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            return None, line
    return out, None


work = t.tmpdir()
repo = os.path.join(work, "policies")
state = os.path.join(work, "state")
c7 = t.git_repo(repo, {"policies/orders.yaml": policy(7)}, "orders: 7 days")

with Emulator(seed=SEED) as emu:
    env = emu.env()
    env.update({"SNAPKEEP_STATE_DIR": state, "NO_COLOR": "1", "AWS_MAX_ATTEMPTS": "2", "SNAPKEEP_LOG": None,
                "SNAPKEEP_LOG_FORMAT": None})
    src = ["--repo", repo, "--path", "policies"]

    def sk(*args, **kw):
        return t.snapkeep("run", *(src + list(args)), env=env, **kw)

    # ---- --once: exit codes ----
    r = sk("--once", "--auto-apply")
    t.is_(r.rc, 0, "run --once: a good cycle exits 0") or t.diag(r)
    t.contains(r.err, "cycle 1 ok at commit %s" % c7[:12], "and logs the cycle")
    t.ok("reconciling every" not in r.err and "next cycle" not in r.err, "--once does not loop", r.err)
    with open(os.path.join(state, "state.json")) as f:
        lr = json.load(f)["lastRun"]
    t.ok(lr["command"] == "run" and lr["outcome"] == "no-changes" and lr["commit"] == c7,
         "the cycle is recorded in the state file", lr)
    cw = emu.admin("GET", "metrics", query={"namespace": "Snapkeep"})["metrics"]
    t.ok(sorted(set(m["MetricName"] for m in cw)) ==
         ["AlertsFiring", "CycleFailed", "NewestSnapshotAgeSeconds", "PendingActions", "SnapshotsCopied",
          "SnapshotsCreated", "SnapshotsDeleted"],
         "CloudWatch got the seven cycle metrics in the default namespace 'Snapkeep'",
         sorted(set(m["MetricName"] for m in cw)))

    since = emu.calls()["last"]
    emu.faults(throttle=1.0)  # everything: RDS, SNS and CloudWatch
    r = sk("--once", "--auto-apply")
    emu.admin("DELETE", "faults")
    t.is_(r.rc, 1, "run --once: a failed cycle exits 1") or t.diag(r)
    t.ok(re.search(r"cycle 1 failed in observe: .*Throttling", r.err), "and logs the stage and the error", r.err)
    t.ok("cannot publish 'snapkeep: cycle failed in observe" in r.err and "cannot send metrics to CloudWatch" in r.err,
         "with SNS and CloudWatch throttled too, it says the alert and the metrics could not be sent", r.err)
    t.ok("AddressSanitizer" not in r.err and "runtime error" not in r.err, "and nothing crashed")
    t.is_(emu.sns_messages(), [], "no message got through")
    t.ok(emu.calls(since=since, action="Publish")["calls"], "though a Publish was attempted")

    since = emu.calls()["last"]
    emu.faults(throttle=1.0, services=["rds"])
    # the repository as a remote this time: the topics are read from the mirror the cycle fetched
    r = t.snapkeep("run", "--repo", "file://" + repo, "--path", "policies", "--once", "--auto-apply", env=env)
    emu.admin("DELETE", "faults")
    alerts = [m for m in emu.sns_messages() if m["Subject"].startswith("snapkeep: cycle failed")]
    t.ok(r.rc == 1 and len(alerts) == 1, "with only RDS throttled, the failed --once cycle exits 1 and alerts",
         (r, alerts))
    if alerts:
        t.is_((alerts[0]["TopicArn"], alerts[0]["Subject"]),
              (TOPIC, "snapkeep: cycle failed in observe (policy commit %s)" % c7[:8]),
              "to the policy's topic, though this process never got to plan: the topics come from its commit")
        t.contains(alerts[0]["Message"], "Policy commit: %s" % c7, "the message names the commit")

    # the alert is a state (STATE_DIR/alerts.json): the next good cycle, another process, resolves it once
    r = sk("--once", "--auto-apply")
    resolved = [m for m in emu.sns_messages() if m["Subject"].startswith("snapkeep: resolved: cycle failed")]
    t.ok(r.rc == 0 and len(resolved) == 1 and resolved[0]["TopicArn"] == TOPIC,
         "a good --once cycle after it publishes one 'resolved' message", (r, emu.sns_messages()))
    r = sk("--once", "--auto-apply")
    t.is_(len([m for m in emu.sns_messages() if m["Subject"].startswith("snapkeep: resolved:")]), 1,
          "and the cycle after that says nothing more")

    # the lock: a loop's cycle is in flight (slow RDS), so a --once cycle cannot start and says so
    emu.faults(latencyMs=2500, services=["rds"], actions=["DescribeDBInstances"])
    holder = RunProc(src + ["--interval", "1h"], env=env, workdir=work, name="holder")
    try:
        # "reconciling every" comes just before the first cycle takes the lock; its first call then takes 2.5 s
        t.ok(holder.wait_for(r"reconciling every 1h", timeout=10), "a loop starts", holder.err())
        time.sleep(0.5)
        r = sk("--once", "--auto-apply")
        t.ok(r.rc == 1 and re.search(r"cycle 1 failed in lock: .*", r.err), "a --once cycle while a loop's cycle "
             "holds the lock fails in 'lock': cycles of two processes never overlap", r)
        alerts = [m for m in emu.sns_messages() if m["Subject"].startswith("snapkeep: cycle failed in lock")]
        t.ok(len(alerts) == 1 and alerts[0]["TopicArn"] == TOPIC,
             "and alerts the topic of the watched ref's policies", emu.sns_messages())
        t.ok(holder.wait_for(r"cycle 1 ok", timeout=10), "the loop's own cycle finishes", holder.err())
        t.ok(holder.wait_for(r"alert cycle resolved", timeout=10),
             "and resolves the alert the other process raised (both read STATE_DIR/alerts.json)", holder.err())
        t.is_(holder.stop(), 0, "and it stops on SIGTERM")
        t.is_(len([m for m in emu.sns_messages() if m["Subject"].startswith("snapkeep: resolved: cycle failed in lock")]),
              1, "one 'resolved' message for the lock failure")
    finally:
        holder.kill()
        emu.admin("DELETE", "faults")

    # an invalid policy committed: the first (and only) cycle of the process still alerts, logs stay JSON
    emu.admin("DELETE", "sns")
    bad_commit = t.git_commit(repo, {"policies/orders.yaml": policy(7).replace("retentionDays: 7", "retentionDays: 99")},
                              "orders: too long")
    r = sk("--once", "--auto-apply", "--log-format", "json")
    lines, badline = json_lines(r.err)
    alerts = emu.sns_messages()
    t.ok(r.rc == 1 and alerts and alerts[0]["TopicArn"] == TOPIC and "retentionDays must be 0..35, got 99"
         in alerts[0]["Message"] and "policies/orders.yaml:9:" in alerts[0]["Message"],
         "a commit with an invalid policy fails the --once cycle and alerts the topic it names, with file:line",
         (r, alerts))
    t.ok(alerts and bad_commit in alerts[0]["Message"] and bad_commit[:8] in alerts[0]["Subject"]
         and "unknown" not in alerts[0]["Subject"], "the alert names the invalid policy's commit", alerts)
    t.ok(lines and badline is None and any("retentionDays must be 0..35" in x["msg"] for x in lines),
         "with --log-format json the policy's diagnostics are JSON lines too", badline or r.err)
    t.git_commit(repo, {"policies/orders.yaml": policy(7)}, "orders: back to 7 days")
    emu.admin("DELETE", "sns")

    for args, what in [(["--interval", "0s"], "a zero interval"), (["--interval", "15"], "an interval without unit"),
                       (["--git-poll", "soon"], "a bad --git-poll"), (["--summary-at", "24:00"], "a bad --summary-at"),
                       (["--log-format", "xml"], "a bad --log-format"), (["--healthz-failures", "0"],
                                                                          "--healthz-failures 0"),
                       (["extra"], "an argument")]:
        r = sk("--once", *args)
        t.is_(r.rc, 64, "%s is a usage error (64)" % what)

    # ---- drift only: no --auto-apply ----
    c14 = t.git_commit(repo, {"policies/orders.yaml": policy(14)}, "orders: 14 days")
    since = emu.calls()["last"]
    r = sk("--once", "--metrics-namespace", "Drift/E2E")
    t.is_(r.rc, 0, "a drift-only cycle exits 0") or t.diag(r)
    t.contains(r.err, "0 to create, 1 to change, 0 to delete (drift only: --auto-apply is off)",
               "the log reports the drift")
    t.contains(r.out, "backup_retention_period: 7 → 14", "stdout shows the plan")
    t.is_(rds_mutations(emu, since), [], "no mutating RDS call was made")
    inst = emu.state(snapshots=False)["regions"]["us-east-1"]["instances"][0]
    t.is_(inst["backupRetentionPeriod"], 7, "the instance is unchanged")
    with open(os.path.join(state, "state.json")) as f:
        st = json.load(f)
    t.is_((st["lastRun"]["outcome"], st["lastApplied"]["commit"]), ("drift", c7),
          "the state file records drift, and the last applied commit stays the old one")
    cw = emu.admin("GET", "metrics", query={"namespace": "Drift/E2E"})["metrics"]
    by = {m["MetricName"]: m for m in cw}
    t.ok(by.get("PendingActions", {}).get("Value") == 1.0 and by.get("CycleFailed", {}).get("Value") == 0.0,
         "CloudWatch (namespace Drift/E2E): PendingActions 1, CycleFailed 0", cw)
    age = by.get("NewestSnapshotAgeSeconds", {})
    t.ok(age.get("Unit") == "Seconds" and 0 < age.get("Value", -1) < 2 * 86400 and age.get("Region") == "us-east-1"
         and sorted((d["Name"], d["Value"]) for d in age.get("Dimensions", [])) ==
         [("Instance", "orders-db"), ("Region", "us-east-1")],
         "NewestSnapshotAgeSeconds per instance, with Region and Instance dimensions", age)
    t.ok(all(m["Unit"] == "Count" for m in cw if m["MetricName"] != "NewestSnapshotAgeSeconds"),
         "the counts have Unit Count")

    # ---- --log-format json ----
    r = sk("--once", "--log-format", "json")
    lines, bad = json_lines(r.err)
    t.ok(r.rc == 0 and lines and bad is None, "--log-format json: every stderr line is JSON", bad or r)
    t.ok(lines and all(set(x) >= {"time", "level", "msg"} for x in lines), "with time, level and msg", lines)
    t.ok(lines and any(x["msg"].startswith("cycle 1 ok") and x["level"] == "info" for x in lines),
         "the cycle's line is among them", lines)
    t.is_(r.out, "", "and no plan text on stdout to mix with the log")

    # ---- the daily summary ----
    summary_file = os.path.join(state, "summary.json")
    at = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=12)).strftime("%H:%M")
    r1 = sk("--once", "--summary-at", at)
    emu.faults(throttle=1.0, services=["rds"])
    r2 = sk("--once", "--summary-at", at)
    emu.admin("DELETE", "faults")
    t.ok(r1.rc == 0 and r2.rc == 1, "two --once cycles with --summary-at %s: one good, one failed" % at, (r1, r2))
    with open(summary_file) as f:
        s = json.load(f)
    t.ok(s.get("format") == "snapkeep-summary/v1" and s.get("cycles") == 2 and s.get("failed") == 1,
         "the state directory adds them up across processes", s)
    t.is_([m for m in emu.sns_messages() if "daily summary" in m["Subject"]], [], "the summary is not due yet")
    # the next day: the period began two days ago, so the summary time has passed since
    s["periodStart"] = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(summary_file, "w") as f:
        json.dump(s, f)
    now = dt.datetime.now(dt.timezone.utc)
    with open(os.path.join(state, "journal.jsonl"), "a") as f:
        f.write(json.dumps({"type": "drill", "id": "20261203T060000Z-e2e.1", "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "action": "drill", "region": "us-east-1", "target": "snapkeep-drill-orders-db",
                            "instance": "orders-db", "policy": "orders", "result": "passed",
                            "detail": "every check passed"}) + "\n")
    r3 = sk("--once", "--summary-at", at)
    t.is_(r3.rc, 0, "the next cycle succeeds") or t.diag(r3)
    summ = [m for m in emu.sns_messages() if "daily summary" in m["Subject"]]
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    t.ok(len(summ) == 1 and summ[0]["TopicArn"] == TOPIC, "and publishes the daily summary to the alerts topic", summ)
    if summ:
        t.is_(summ[0]["Subject"], "snapkeep: daily summary %s: 3 cycles, 1 failed" % today,
              "it counts the three cycles of the three processes")
        for want, what in [("Cycles: 3 (2 succeeded, 1 failed)", "cycles"),
                           ("Last failure: ", "the last failure"), ("Throttling", "its error"),
                           ("Policy commit: %s \"orders: 14 days\"" % c14, "the policy commit"),
                           ("Pending actions after the last cycle: 1", "what is pending"),
                           ("Drills in %s (so far): 1 passed, 0 failed: all drills passed\n" % now.strftime("%Y-%m"),
                            "the month's drills")]:
            t.contains(summ[0]["Message"], want, "the summary names " + what)
    with open(summary_file) as f:
        s = json.load(f)
    t.ok(s["cycles"] == 0 and s["failed"] == 0, "after publishing, a new period starts", s)
    r4 = sk("--once", "--summary-at", at)
    t.is_(len([m for m in emu.sns_messages() if "daily summary" in m["Subject"]]), 1,
          "and the next cycle does not publish it again")

    # ---- --git-poll: a moved ref starts a cycle long before the interval ----
    p = RunProc(["--repo", "file://" + repo, "--path", "policies", "--interval", "1h", "--git-poll", "200ms",
                 "--auto-apply"], env=env, workdir=work, name="poll")
    try:
        t.ok(p.wait_for(r"cycle 1 ok at commit %s" % c14[:12], timeout=20), "the loop with --git-poll starts",
             p.err())
        t.ok(p.wait_for(r"next cycle in (5[0-9]m|1h|1h[0-9]m)", timeout=5), "and waits about an hour", p.err())
        time.sleep(1)
        t.is_(p.count(r"cycle \d+ (ok|failed)"), 1, "while the ref stays put, polling starts no cycle")
        c21 = t.git_commit(repo, {"policies/orders.yaml": policy(21)}, "orders: 21 days")
        moved = time.time()
        m = p.wait_for(r"cycle 2 ok at commit %s: 0 to create, 1 to change" % c21[:12], timeout=10)
        took = time.time() - moved
        t.ok(m, "a commit starts the next cycle", p.err())
        t.contains(p.err(), "the watched ref moved to %s; starting a cycle" % c21[:12], "the log says why")
        t.ok(took < 5, "within seconds (%.1f s), not an hour" % took)
        inst = emu.state(snapshots=False)["regions"]["us-east-1"]["instances"][0]
        t.is_(inst["backupRetentionPeriod"], 21, "and applies it")
        t.ok(os.path.isdir(os.path.join(state, "repos")), "the remote was mirrored under the state directory")
        t.is_(p.stop(), 0, "SIGTERM while waiting: exit 0")
    finally:
        p.kill()

    # ---- SIGHUP re-reads the AWS configuration and starts a cycle ----
    creds = os.path.join(work, "credentials")
    with open(creds, "w") as f:
        f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = not-the-secret\n" % emu.access_key)
    env_hup = dict(env)
    env_hup.update({"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SHARED_CREDENTIALS_FILE": creds})
    p = RunProc(src + ["--interval", "1h", "--auto-apply", "--log-format", "json"], env=env_hup, workdir=work,
                name="hup")
    try:
        t.ok(p.wait_for(r'"msg":"cycle 1 failed in observe: .*SignatureDoesNotMatch', timeout=20),
             "with a wrong secret in the credentials file the first cycle fails", p.err())
        t.ok(p.wait_for(r'"msg":"next cycle in (3m[0-9]+s|4m[0-9]*s?)', timeout=5),
             "and the loop backs off for minutes (1h/16 = 3m45s)", p.err())
        with open(creds, "w") as f:
            f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (emu.access_key, emu.secret_key))
        hup = time.time()
        p.send(signal.SIGHUP)
        m = p.wait_for(r'"msg":"cycle 2 ok', timeout=10)
        t.ok(m and time.time() - hup < 5, "after the key is rotated, SIGHUP starts a cycle at once and it succeeds",
             p.err())
        t.contains(p.err(), "SIGHUP: re-read the AWS configuration and credentials", "the log says it reloaded")
        t.ok(p.alive(), "SIGHUP does not end the process")
        t.is_(p.stop(signal.SIGINT), 0, "SIGINT: exit 0")
        lines, bad = json_lines(p.err())
        t.ok(lines and bad is None, "every line the loop logged is JSON", bad)
        t.ok(lines and lines[-1]["msg"] == "stopped by SIGINT", "the last one says it stopped", lines[-1:])
        t.ok("not-the-secret" not in p.err() and emu.secret_key not in p.err(), "no secret reached the log")
    finally:
        p.kill()

t.done()
