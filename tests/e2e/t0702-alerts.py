#!/usr/bin/env python3
"""`snapkeep run` alerts in Alertmanager's manner, against the emulator (which
keeps every SNS message it is sent):

- a failing cycle is one alert, not one message per cycle: 9 failed cycles
  at a 1-second interval publish one message, the recovery exactly one
  "resolved"; with a short --alert-repeat the firing alert is repeated, and
  never sooner than that after the last message; a fleet-wide alert goes to
  the Settings topic only, and the gauge snapkeep_alerts_firing{kind} and
  snapkeep_policy_selected_instances{policy} are on /metrics;
- a failed action of one policy reaches only that policy's topic (not the
  other policies', not the fleet's), and two
  `run --once` in a row (as from cron) publish it once; the next good cycle
  publishes one "resolved" there;
- a failed snapshot that blocks an instance's deletions fires an alert to
  its policy's topic naming the snapshot, its status and the fix, while the
  cycle still reports ok; deleting the snapshot resolves it and the held
  deletions are made;
- a policy whose tag selector matches nothing alerts too: it names no topic
  of its own, so the Settings topic gets it."""
import datetime as dt
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator
from runproc import RunProc, metric

ACCOUNT = "123456789012"


def topic(name):
    return "arn:aws:sns:us-east-1:%s:%s" % (ACCOUNT, name)


FLEET, ORDERS, BILLING, INVOICES, LEDGER = topic("fleet-alerts"), topic("orders-alerts"), topic("billing-alerts"), \
    topic("invoices-alerts"), topic("ledger-alerts")
NOW = dt.datetime.now(dt.timezone.utc)


def ago(days):
    return (NOW - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ledger_snapshot(day):
    return {"id": "snapkeep-ledger-db-old-%d" % day, "instance": "ledger-db", "type": "manual", "created": ago(day),
            "tags": {"snapkeep:policy": "ledger", "snapkeep:instance": "ledger-db"}}


SEED = {
    "account": ACCOUNT,
    "regions": {
        "us-east-1": {
            "instances": [{"id": "orders-db", "backupRetentionPeriod": 7},
                          {"id": "invoices-db", "backupRetentionPeriod": 7},
                          {"id": "ledger-db", "backupRetentionPeriod": 7}],
            "snapshots": [ledger_snapshot(d) for d in (2, 3, 4, 5)] + [
                # a manual snapshot whose creation failed: it holds every deletion of ledger-db's snapshots
                {"id": "ledger-db-broken", "instance": "ledger-db", "type": "manual", "created": ago(1),
                 "status": "failed"}],
            "topics": ["fleet-alerts", "orders-alerts", "billing-alerts", "invoices-alerts", "ledger-alerts"],
        },
        "us-west-2": {"instances": [{"id": "billing-db", "backupRetentionPeriod": 7}]},
    },
}

SETTINGS = """apiVersion: snapkeep/v1
kind: Settings
metadata: {name: settings}
spec:
  alerts: {snsTopicArn: %s}
""" % FLEET


# the emulator's snapshots are unencrypted, which verify finds CRITICAL: these policies keep verify's checks
# to the gauges (t0810 tests verify's alerts), so that the counts below are of this test's alerts only
def policy(name, region, instance, alert_topic=None, retain="{last: 3}"):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: %s}
spec:
  regions: [%s]
  selector: {instances: [%s]}
  snapshots:
    schedule: "@daily"
    retain: %s
  verify: {alerts: false}
%s""" % (name, region, instance, retain, "  alerts: {snsTopicArn: %s}\n" % alert_topic if alert_topic else "")


GHOST = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: ghost}
spec:
  regions: [us-east-1]
  selector: {tags: {team: ghost}}
  automated: {retentionDays: 7}
  verify: {alerts: false}
"""


def messages(emu, to=None, prefix=""):
    return [m for m in emu.sns_messages() if (to is None or m["TopicArn"] == to) and m["Subject"].startswith(prefix)]


def stamp(m):
    return dt.datetime.strptime(m["Timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


work = t.tmpdir()
repo = os.path.join(work, "policies")
t.git_repo(repo, {"policies/settings.yaml": SETTINGS,
                  "policies/orders.yaml": policy("orders", "us-east-1", "orders-db", ORDERS)}, "orders")

with Emulator(seed=SEED) as emu:
    env = emu.env()
    env.update({"NO_COLOR": "1", "AWS_MAX_ATTEMPTS": "1", "SNAPKEEP_LOG": None, "SNAPKEEP_LOG_FORMAT": None})

    def loop(state, *extra):
        e = dict(env, SNAPKEEP_STATE_DIR=os.path.join(work, state))
        return RunProc(["--repo", repo, "--path", "policies", "--interval", "1s", "--auto-apply",
                        "--metrics-addr", "127.0.0.1:0"] + list(extra), env=e, workdir=work, name=state)

    def once(state):
        return t.snapkeep("run", "--once", "--auto-apply", "--repo", repo, "--path", "policies",
                          env=dict(env, SNAPKEEP_STATE_DIR=os.path.join(work, state)))

    # ---- 9 failed cycles: one message; recovery: one "resolved" ----
    p = loop("state-a", "--alert-repeat", "1h")
    try:
        t.ok(p.wait_for(r"cycle 1 ok", timeout=30), "the loop's first cycle succeeds", p.err())
        ms = p.metrics()
        t.is_(metric(ms, "snapkeep_policy_selected_instances", policy="orders"), 1.0,
              "/metrics: snapkeep_policy_selected_instances{policy=orders} is 1")
        t.is_(metric(ms, "snapkeep_alerts_firing", kind="cycle"), 0.0, "/metrics: no cycle alert fires")
        emu.admin("DELETE", "sns")
        emu.faults(throttle=1.0, services=["rds"])
        failed_before = p.count(r"cycle \d+ failed")
        t.ok(p.wait_for(r"cycle \d+ failed", timeout=40, count=failed_before + 9), "9 cycles fail in a row", p.err())
        firing = messages(emu, prefix="snapkeep: cycle failed in observe")
        t.is_(len(firing), 1, "9 failed cycles publish one message, not 9")
        t.ok(firing and firing[0]["TopicArn"] == FLEET,
             "a fleet-wide alert goes to the Settings topic", [(m["TopicArn"], m["Subject"]) for m in firing])
        t.is_(messages(emu, to=ORDERS), [], "and not to the policy's topic")
        if firing:
            body = firing[0]["Message"]
            t.ok(body.startswith("FIRING since ") and "Alert: cycle (fleet-wide)" in body and
                 "Throttling" in body and "Policy commit: " in body,
                 "the message says what fires, since when, the alert and the commit", body)
        t.is_(metric(p.metrics(), "snapkeep_alerts_firing", kind="cycle"), 1.0,
              "/metrics: snapkeep_alerts_firing{kind=cycle} is 1")
        emu.admin("DELETE", "faults")
        t.ok(p.wait_next(r"cycle \d+ ok", timeout=15), "once the faults stop a cycle succeeds")
        t.ok(p.wait_next(r"cycle \d+ ok", timeout=15), "and the next one too")
        resolved = messages(emu, prefix="snapkeep: resolved: cycle failed")
        t.ok(len(resolved) == 1 and resolved[0]["TopicArn"] == FLEET,
             "the recovery publishes exactly one 'resolved' message, to the same topic",
             [(m["TopicArn"], m["Subject"]) for m in emu.sns_messages()])
        if resolved:
            t.ok(resolved[0]["Message"].startswith("RESOLVED at ") and "It fired from " in resolved[0]["Message"],
                 "which says when it fired and resolved", resolved[0]["Message"])
        t.is_(len(emu.sns_messages()), 2, "two messages in all")
        t.is_(metric(p.metrics(), "snapkeep_alerts_firing", kind="cycle"), 0.0,
              "/metrics: snapkeep_alerts_firing{kind=cycle} is back to 0")
        t.is_(p.stop(), 0, "the loop stops on SIGTERM")
    finally:
        p.kill()

    # ---- a short --alert-repeat: repeats, never sooner than that ----
    emu.admin("DELETE", "sns")
    p = loop("state-b", "--alert-repeat", "3s")
    try:
        t.ok(p.wait_for(r"cycle 1 ok", timeout=30), "a second loop, --alert-repeat 3s, starts", p.err())
        emu.faults(throttle=1.0, services=["rds"])
        started = time.time()
        t.ok(p.wait_for(r"alert cycle still firing", timeout=30, count=2), "its alert is repeated while it fires",
             p.err())
        emu.admin("DELETE", "faults")
        fired_for = time.time() - started
        t.ok(p.wait_for(r"alert cycle resolved", timeout=15), "and resolves", p.err())
        p.stop()
    finally:
        p.kill()
    msgs = sorted(messages(emu, to=FLEET), key=stamp)
    t.ok(len(msgs) >= 4 and msgs[0]["Subject"].startswith("snapkeep: cycle failed") and
         all(m["Subject"].startswith("snapkeep: still firing: cycle failed") for m in msgs[1:-1]) and
         msgs[-1]["Subject"].startswith("snapkeep: resolved: "),
         "one firing message, repeats, one 'resolved'", [m["Subject"] for m in msgs])
    gaps = [stamp(b) - stamp(a) for a, b in zip(msgs[:-1], msgs[1:-1])]
    t.ok(gaps and min(gaps) >= 2.9, "no repeat comes sooner than 3 s after the message before it (%s)"
         % ", ".join("%.1f" % g for g in gaps))
    t.ok(len(msgs) - 2 <= fired_for / 3 + 1, "and no more repeats than %.1f s of firing allow" % fired_for,
         len(msgs))

    # ---- a failed action of one policy: its topic only; --once twice: one message ----
    t.git_commit(repo, {"policies/billing.yaml": policy("billing", "us-west-2", "billing-db", BILLING),
                        "policies/invoices.yaml": policy("invoices", "us-east-1", "invoices-db", INVOICES)},
                 "billing and invoices")
    emu.admin("DELETE", "sns")
    emu.faults(error500=1.0, actions=["CreateDBSnapshot"], regions=["us-east-1"])
    r1 = once("state-c")
    r2 = once("state-c")
    emu.admin("DELETE", "faults")
    t.ok(r1.rc == 1 and r2.rc == 1 and "cycle 1 failed in apply" in r1.err,
         "with invoices' CreateDBSnapshot failing, two `run --once` fail in apply", (r1, r2))
    created = [c for c in emu.calls(action="CreateDBSnapshot")["calls"]
               if c["region"] == "us-west-2" and not c.get("error")]
    t.ok(created, "billing's snapshot was made meanwhile (us-west-2)")
    inv_msgs = messages(emu, to=INVOICES)
    t.ok(len(inv_msgs) == 1 and inv_msgs[0]["Subject"].startswith(
        "snapkeep: policy 'invoices': 1 action failed in apply"),
         "invoices' topic gets one message for the two runs", [m["Subject"] for m in emu.sns_messages()])
    if inv_msgs:
        t.ok(re.search(r"create snapkeep-invoices-db-\S+ \(us-east-1\): .*InternalFailure", inv_msgs[0]["Message"]),
             "naming the failed action and the AWS error", inv_msgs[0]["Message"])
    t.is_([m["TopicArn"] for m in emu.sns_messages() if m["TopicArn"] != INVOICES], [],
          "no other topic gets anything: not billing's, not orders', not the fleet's")
    r3 = once("state-c")
    resolved = messages(emu, prefix="snapkeep: resolved: policy 'invoices'")
    t.ok(r3.rc == 0 and len(resolved) == 1 and resolved[0]["TopicArn"] == INVOICES,
         "the next good --once publishes one 'resolved' to invoices' topic", (r3, emu.sns_messages()))
    r4 = once("state-c")
    t.ok(r4.rc == 0 and len(emu.sns_messages()) == 2, "and the one after that nothing", emu.sns_messages())

    # ---- a failed snapshot blocks ledger-db's deletions: an alert, though the cycle is ok ----
    t.git_commit(repo, {"policies/billing.yaml": None, "policies/invoices.yaml": None,
                        "policies/ledger.yaml": policy("ledger", "us-east-1", "ledger-db", LEDGER),
                        "policies/ghost.yaml": GHOST}, "ledger and ghost")
    emu.admin("DELETE", "sns")
    since = emu.calls()["last"]
    r = once("state-d")
    t.ok(r.rc == 0 and re.search(r"cycle 1 ok at commit", r.err), "the cycle reports ok", r)
    t.is_([c for c in emu.calls(since=since, action="DeleteDBSnapshot")["calls"]], [],
          "and deletes nothing of ledger-db")
    blocked = messages(emu, to=LEDGER)
    t.ok(len(blocked) == 1 and blocked[0]["Subject"] ==
         "snapkeep: deletions of ledger-db in us-east-1 blocked by 'ledger-db-broken' (failed)",
         "ledger's topic gets an alert naming the snapshot and its status", [m["Subject"] for m in emu.sns_messages()])
    if blocked:
        body = blocked[0]["Message"]
        t.contains(body, "aws rds delete-db-snapshot --region us-east-1 --db-snapshot-identifier ledger-db-broken",
                   "with the fix")
        t.contains(body, "policy 'ledger': its snapshots in us-east-1", "and what is held")
        t.contains(body, "Alert: instance:us-east-1/ledger-db:blocked", "and its key")
    ghost = messages(emu, prefix="snapkeep: policy 'ghost' selects no instance")
    t.ok(len(ghost) == 1 and ghost[0]["TopicArn"] == FLEET and "tags team=ghost" in ghost[0]["Message"],
         "a policy selecting nothing alerts; it names no topic, so the Settings topic gets it",
         [(m["TopicArn"], m["Subject"]) for m in emu.sns_messages()])
    r = once("state-d")
    t.ok(r.rc == 0 and len(emu.sns_messages()) == 2, "a second --once says nothing new", emu.sns_messages())

    status, body, _ = emu.call("rds", "DeleteDBSnapshot", {"DBSnapshotIdentifier": "ledger-db-broken"})
    t.is_(status, 200, "the operator deletes the failed snapshot")
    since = emu.calls()["last"]
    r = once("state-d")
    deleted = sorted(c["params"]["DBSnapshotIdentifier"]
                     for c in emu.calls(since=since, action="DeleteDBSnapshot")["calls"])
    t.ok(r.rc == 0 and deleted == ["snapkeep-ledger-db-old-4", "snapkeep-ledger-db-old-5"],
         "the next cycle makes the held deletions", (r, deleted))
    resolved = messages(emu, prefix="snapkeep: resolved: deletions of ledger-db in us-east-1 blocked by "
                                    "'ledger-db-broken' (failed)")
    t.ok(len(resolved) == 1 and resolved[0]["TopicArn"] == LEDGER, "and publishes one 'resolved' to ledger's topic",
         [(m["TopicArn"], m["Subject"]) for m in emu.sns_messages()])

t.done()
