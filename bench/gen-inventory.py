#!/usr/bin/env python3
"""gen-inventory.py - writes a large snapkeep-inventory/v1 file for benchmarks.

    bench/gen-inventory.py --instances 10000 --snapshots 1000000 --out inv.json
        [--policies policies-dir] [--now 2026-01-01T03:00:00Z] [--seed 1]

Each instance gets snapshots/instances daily snapshots owned by policy
'bench' (tags snapkeep:policy/instance/slot) going back from --now, plus a
few automated and unmanaged ones, in us-east-1.  With --policies DIR it also
writes DIR/bench.yaml, a policy selecting every generated instance by tag
(daily schedule, restic-style retention), so `snapkeep plan --inventory`
has work to do.  Streams its output: memory stays small at any size.
"""
import argparse
import datetime as dt
import json
import os
import random
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=10000)
    ap.add_argument("--snapshots", type=int, default=1000000)
    ap.add_argument("--out", default="-")
    ap.add_argument("--policies")
    ap.add_argument("--now", default="2026-01-01T03:00:00Z")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    now = dt.datetime.strptime(a.now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    per = max(1, a.snapshots // a.instances)
    region = "us-east-1"
    acct = "123456789012"
    f = sys.stdout if a.out == "-" else open(a.out, "w")
    f.write('{"format": "snapkeep-inventory/v1",\n"observedAt": "%s",\n"regions": ["%s"],\n"instances": [' %
            (a.now, region))
    for i in range(a.instances):
        inst = {"id": "db-%05d" % i, "region": region, "arn": "arn:aws:rds:%s:%s:db:db-%05d" % (region, acct, i),
                "engine": "postgres", "status": "available", "backupRetentionPeriod": 7,
                "preferredBackupWindow": "03:00-03:30", "preferredMaintenanceWindow": "sun:05:00-sun:06:00",
                "copyTagsToSnapshot": True, "deletionProtection": True, "storageEncrypted": True,
                "allocatedGiB": 20 + i % 200, "tags": {"Environment": "bench", "Team": "t%d" % (i % 50)}}
        f.write((",\n" if i else "\n") + json.dumps(inst, separators=(",", ":")))
    f.write("\n],\n\"snapshots\": [")
    first = True
    n = 0
    for i in range(a.instances):
        iid = "db-%05d" % i
        for k in range(per):
            t = now - dt.timedelta(days=k, minutes=rnd.randint(0, 20))
            slot = (now - dt.timedelta(days=k)).strftime("%Y%m%d-0300")
            sid = "snapkeep-%s-%s" % (iid, slot)
            typ, tags = "manual", {"snapkeep:policy": "bench", "snapkeep:instance": iid,
                                   "snapkeep:slot": t.strftime("%Y-%m-%dT03:00:00Z"), "Team": "t%d" % (i % 50)}
            if k % 97 == 5:
                typ, sid, tags = "automated", "rds:%s-%s" % (iid, t.strftime("%Y-%m-%d-%H-%M")), {}
            elif k % 89 == 7:
                sid, tags = "manual-%s-%d" % (iid, k), {"Owner": "someone"}
            snap = {"id": sid, "arn": "arn:aws:rds:%s:%s:snapshot:%s" % (region, acct, sid), "instance": iid,
                    "region": region, "type": typ, "status": "available",
                    "created": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "encrypted": True,
                    "kmsKeyId": "arn:aws:kms:%s:%s:key/k" % (region, acct), "allocatedGiB": 20 + i % 200,
                    "tags": tags}
            f.write((",\n" if not first else "\n") + json.dumps(snap, separators=(",", ":")))
            first = False
            n += 1
    f.write("\n],\n\"automatedBackups\": []}\n")
    if f is not sys.stdout:
        f.close()
    if a.policies:
        os.makedirs(a.policies, exist_ok=True)
        with open(os.path.join(a.policies, "bench.yaml"), "w") as p:
            p.write("""apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: bench}
spec:
  regions: [us-east-1]
  selector: {tags: {Environment: bench}}
  snapshots:
    schedule: "0 3 * * *"
    retain: {daily: 7, weekly: 4, monthly: 12}
    maxDeletionsPerRun: 10000
---
apiVersion: snapkeep/v1
kind: Settings
metadata: {name: settings}
spec:
  snapshotQuota: 100000
""")
    print("wrote %d instances, %d snapshots" % (a.instances, n), file=sys.stderr)


if __name__ == "__main__":
    main()
