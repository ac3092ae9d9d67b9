#!/usr/bin/env python3
"""Writes the report cases: tests/data/reports/<case>/ with policies/*.yaml,
inventory.json, journal.jsonl, state.json (some), `now` and `exit` (the
expected exit code of `snapkeep report`).  One case per verdict: compliant,
drift, missing-copy, stale, unencrypted, over-quota, and awkward-text
(quotes, commas and newlines in what the report quotes: CSV must survive
them).  The expected.* files are the binary's output, written by
t0961-report.py with SNAPKEEP_UPDATE_GOLDEN=1 and read before committing.

    python3 tests/data/reports/generate.py     (rewrites the inputs)
"""
import datetime as dt
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone.utc)
ACCOUNT = "123456789012"
KEY = {"us-east-1": "arn:aws:kms:us-east-1:%s:key/k-east" % ACCOUNT,
       "us-west-2": "arn:aws:kms:us-west-2:%s:key/k-west" % ACCOUNT}


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def policy(quota=None, drill=False):
    p = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata:
  name: prod
spec:
  regions: [us-east-1]
  selector:
    instances: [orders-db]
  automated:
    retentionDays: 7
    window: "03:00-03:30"
    copyTagsToSnapshot: true
    deletionProtection: true
  snapshots:
    schedule: "0 3 * * *"
    retain: {daily: 7, weekly: 4, monthly: 3}
    copies:
      - region: us-west-2
        kmsKeyId: %s
        retain: {last: 3}
""" % KEY["us-west-2"]
    if drill:
        p += "  verify:\n    drillMaxAge: 40d\n"
    settings = """apiVersion: snapkeep/v1
kind: Settings
metadata:
  name: settings
spec:
  pricePerGBMonth: {default: 0.095, us-west-2: 0.1}
  transferPricePerGB: 0.02
"""
    if quota:
        settings += "  snapshotQuota: %d\n" % quota
    return {"prod.yaml": p, "settings.yaml": settings}


def snap(sid, region, created, kind="manual", owned=True, encrypted=True, status="available", copy_of=None, gib=20,
         instance="orders-db"):
    s = {"id": sid, "arn": "arn:aws:rds:%s:%s:snapshot:%s" % (region, ACCOUNT, sid), "instance": instance,
         "region": region, "type": kind, "status": status, "created": ts(created), "encrypted": encrypted,
         "allocatedGiB": gib, "tags": {}}
    if encrypted:
        s["kmsKeyId"] = KEY[region]
    if owned:
        s["tags"] = {"snapkeep:policy": "prod", "snapkeep:instance": instance,
                     "snapkeep:slot": ts(created.replace(minute=0))}
    if copy_of:
        src_region, src_id, src_created = copy_of
        s["sourceRegion"] = src_region
        s["originalCreated"] = ts(src_created)
        s["tags"]["snapkeep:source"] = "arn:aws:rds:%s:%s:snapshot:%s" % (src_region, ACCOUNT, src_id)
    return s


def inventory(days=20, newest_age_days=0, copies=True, unencrypted=None, retention=7, protect=True, extra=()):
    """orders-db in us-east-1: daily owned snapshots at 03:04 for `days` days (the newest newest_age_days ago),
    copies of the newest three in us-west-2, seven automated snapshots, and an unmanaged manual one"""
    inst = {"id": "orders-db", "region": "us-east-1", "arn": "arn:aws:rds:us-east-1:%s:db:orders-db" % ACCOUNT,
            "engine": "postgres", "status": "available", "backupRetentionPeriod": retention,
            "preferredBackupWindow": "03:00-03:30", "copyTagsToSnapshot": True, "deletionProtection": protect,
            "storageEncrypted": True, "kmsKeyId": KEY["us-east-1"], "allocatedGiB": 20,
            "latestRestorableTime": ts(NOW - dt.timedelta(minutes=5)), "tags": {"env": "prod"}}
    snaps = []
    last = (NOW - dt.timedelta(days=newest_age_days)).replace(hour=3, minute=4, second=0)
    if last > NOW:
        last -= dt.timedelta(days=1)
    sources = []
    for i in range(days):
        t = last - dt.timedelta(days=days - 1 - i)
        sid = "snapkeep-orders-db-%s" % t.strftime("%Y%m%d-0300")
        snaps.append(snap(sid, "us-east-1", t, encrypted=sid != unencrypted))
        sources.append((sid, t))
    if copies:
        for sid, t in sources[-3:]:
            c = t + dt.timedelta(minutes=20)
            snaps.append(snap(sid, "us-west-2", c, copy_of=("us-east-1", sid, t)))
    for i in range(7):
        t = (NOW - dt.timedelta(days=i)).replace(hour=3, minute=10, second=0)
        if t > NOW:
            continue
        snaps.append(snap("rds:orders-db-%s" % t.strftime("%Y-%m-%d-03-10"), "us-east-1", t, kind="automated",
                          owned=False))
    snaps.append(snap("before-upgrade", "us-east-1", NOW - dt.timedelta(days=90), owned=False, gib=20))
    snaps.extend(extra)
    return {"format": "snapkeep-inventory/v1", "observedAt": ts(NOW), "regions": ["us-east-1", "us-west-2"],
            "instances": [inst], "snapshots": snaps}


def journal(days=12, failure=True, drill=True):
    """a month of daily runs: create, copy and delete each day; one failure and one drill"""
    lines = []
    n = [0]

    def rec(kind, t, **kw):
        n[0] += 1
        r = {"type": kind, "id": "R%s.%d" % (t.strftime("%Y%m%d"), n[0]), "time": ts(t),
             "runId": "R%s" % t.strftime("%Y%m%d")}
        r.update(kw)
        lines.append(r)
        return r["id"]

    for i in range(days, 0, -1):
        t = (NOW - dt.timedelta(days=i)).replace(hour=3, minute=0, second=0)
        sid = "snapkeep-orders-db-%s" % t.strftime("%Y%m%d-0300")
        common = {"instance": "orders-db", "policy": "prod"}
        it = rec("intent", t, action="create", region="us-east-1", target=sid, call={"allocatedGiB": 20}, **common)
        rec("outcome", t + dt.timedelta(seconds=2), intent=it, action="create", region="us-east-1", target=sid,
            result="done", **common)
        it = rec("intent", t + dt.timedelta(minutes=5), action="copy", region="us-west-2", target=sid,
                 call={"allocatedGiB": 20}, **common)
        rec("outcome", t + dt.timedelta(minutes=5, seconds=2), intent=it, action="copy", region="us-west-2",
            target=sid, result="done", **common)
        if i % 3 == 0:  # storage grows: two creates for each delete
            old = "snapkeep-orders-db-%s" % (t - dt.timedelta(days=45)).strftime("%Y%m%d-0300")
            it = rec("intent", t + dt.timedelta(minutes=6), action="delete", region="us-east-1", target=old,
                     call={"allocatedGiB": 20}, **common)
            rec("outcome", t + dt.timedelta(minutes=6, seconds=1), intent=it, action="delete", region="us-east-1",
                target=old, result="done", **common)
        old = "snapkeep-orders-db-%s" % (t - dt.timedelta(days=3)).strftime("%Y%m%d-0300")
        it = rec("intent", t + dt.timedelta(minutes=7), action="delete", region="us-west-2", target=old,
                 call={"allocatedGiB": 20, "sourceRegion": "us-east-1"}, **common)
        rec("outcome", t + dt.timedelta(minutes=7, seconds=1), intent=it, action="delete", region="us-west-2",
            target=old, result="done", **common)
    if failure:
        t = (NOW - dt.timedelta(days=3)).replace(hour=3, minute=7, second=0)
        it = rec("intent", t, action="modify", region="us-east-1", target="orders-db", instance="orders-db",
                 policy="prod", call={})
        rec("outcome", t + dt.timedelta(seconds=1), intent=it, action="modify", region="us-east-1",
            target="orders-db", instance="orders-db", policy="prod", result="failed",
            errorCode="InvalidDBInstanceState", errorMessage="Instance orders-db is not available, it is modifying")
    if drill:
        t = (NOW - dt.timedelta(days=2)).replace(hour=5, minute=0, second=0)
        rec("drill", t, action="drill", region="us-east-1", target="snapkeep-drill-orders-db", instance="orders-db",
            policy="prod", result="passed", detail="3 of 3 checks passed, RTO 14m")
    return "".join(json.dumps(l, separators=(",", ":")) + "\n" for l in lines)


def state(error=None):
    at = NOW - dt.timedelta(days=2)
    d = {"at": ts(at), "outcome": "failed" if error else "passed", "policy": "prod",
         "source": "snapkeep-orders-db-20261128-0300", "sourceTime": ts(at - dt.timedelta(hours=26)),
         "rtoSeconds": 840, "rpoSeconds": None, "checks": 3, "checksPassed": 2 if error else 3, "error": error}
    return {"format": "snapkeep-state/v1", "serial": 4, "lineage": "0b6c5c1e-2f4a-4d7e-9a57-4c1f8f0f3b11",
            "createdAt": ts(NOW - dt.timedelta(days=60)), "lastApplied": None, "lastRun": None,
            "instances": {"us-east-1/orders-db": {"policy": "prod", "lastDrill": d}}}


CASES = {
    "compliant": dict(policies=policy(drill=True), inventory=inventory(), journal=journal(), state=state(), exit=0),
    "drift": dict(policies=policy(), inventory=inventory(retention=1, protect=False), journal=journal(), exit=1),
    "missing-copy": dict(policies=policy(), inventory=inventory(copies=False), journal=journal(drill=False), exit=1),
    "stale": dict(policies=policy(), inventory=inventory(newest_age_days=4), journal=journal(failure=False), exit=1),
    "unencrypted": dict(policies=policy(), inventory=inventory(unencrypted="snapkeep-orders-db-%s" %
                                                                (NOW - dt.timedelta(days=1)).strftime("%Y%m%d-0300")),
                        journal=None, exit=1),
    "over-quota": dict(policies=policy(quota=15), inventory=inventory(), journal=journal(), exit=1),
    "awkward-text": dict(
        policies=policy(drill=True),
        inventory=inventory(extra=[snap("snapkeep-orders-db-20261001-0300", "us-east-1",
                                        dt.datetime(2026, 10, 1, 3, 4, tzinfo=dt.timezone.utc),
                                        status='incompatible-"restore",\nsee AWS')]),
        journal=journal(), state=state(error='check "rows, today" failed:\nwant >= 1, got 0'), exit=1),
}


def main():
    for name, c in CASES.items():
        d = os.path.join(HERE, name)
        if os.path.isdir(os.path.join(d, "policies")):
            shutil.rmtree(os.path.join(d, "policies"))
        os.makedirs(os.path.join(d, "policies"), exist_ok=True)
        for f, text in c["policies"].items():
            with open(os.path.join(d, "policies", f), "w") as out:
                out.write(text)
        with open(os.path.join(d, "inventory.json"), "w") as out:
            json.dump(c["inventory"], out, indent=1)
            out.write("\n")
        for f in ("journal.jsonl", "state.json"):
            if os.path.exists(os.path.join(d, f)):
                os.unlink(os.path.join(d, f))
        if c.get("journal"):
            with open(os.path.join(d, "journal.jsonl"), "w") as out:
                out.write(c["journal"])
        if c.get("state"):
            with open(os.path.join(d, "state.json"), "w") as out:
                json.dump(c["state"], out, indent=1)
                out.write("\n")
        with open(os.path.join(d, "now"), "w") as out:
            out.write(ts(NOW) + "\n")
        with open(os.path.join(d, "exit"), "w") as out:
            out.write("%d\n" % c["exit"])


if __name__ == "__main__":
    main()
