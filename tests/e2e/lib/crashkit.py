"""crashkit - what the t06* crash-safety tests share: one scenario whose apply
makes every kind of mutating call, run against the emulator at a fixed
instant, and the checks on inventories and journals.

The scenario (policy 'orders' for instance orders-db in us-east-1):
  modify (retention 7 -> 14), start-replication to us-west-2, create today's
  snapshot, copy it to us-west-2 (encrypted: KMS key and PreSignedUrl), and
  retention deletes: 4 old snapshots in us-east-1 (daily: 5 of 9) and 2 old
  copies in us-west-2 (daily: 3 of 5).  The emulator's clock is frozen at NOW
  and snapkeep runs with --now NOW, so every run plans the same slot; new
  snapshots and copies become available on the next DescribeDBSnapshots in
  their region, so nothing depends on wall time.

    sc = Scenario(emu, workdir)          # a policy repository in workdir
    sc.fresh()                           # emulator back to the seed, a new state directory
    r = sc.sk("apply", "--auto-approve", *sc.source())
    p = sc.start("apply", "--auto-approve", *sc.source())   # a Popen, output to files
"""
import json
import os
import signal
import subprocess
import time

import sktest as t

ACCOUNT = "123456789012"
NOW = "2026-03-10T05:00:00Z"
INSTANCE = "orders-db"
POLICY_NAME = "orders"
KMS_EAST = "arn:aws:kms:us-east-1:%s:key/1a2b3c4d-0000-4000-8000-0000000000aa" % ACCOUNT


def _slot(day):
    return "2026-03-%02dT04:30:00Z" % day


def _owned(day, copy=False):
    sid = "snapkeep-%s-202603%02d-0430" % (INSTANCE, day)
    tags = {"snapkeep:policy": POLICY_NAME, "snapkeep:instance": INSTANCE, "snapkeep:slot": _slot(day),
            "Team": "payments"}
    s = {"id": sid, "instance": INSTANCE, "type": "manual", "created": _slot(day), "status": "available",
         "tags": tags, "encrypted": True}
    if copy:
        src = "arn:aws:rds:us-east-1:%s:snapshot:%s" % (ACCOUNT, sid)
        tags["snapkeep:source"] = src
        s.update(id=sid + "-us-east-1", sourceRegion="us-east-1", sourceSnapshot=src, originalCreated=_slot(day))
    return s


SEED = {
    "account": ACCOUNT,
    "clock": NOW,
    "config": {"createSeconds": None, "createDescribes": 1, "copySeconds": None, "copyDescribes": 1},
    "automatedHistory": True,
    "regions": {
        "us-east-1": {
            "instances": [
                {"id": INSTANCE, "engine": "postgres", "backupRetentionPeriod": 7,
                 "preferredBackupWindow": "03:00-04:00", "preferredMaintenanceWindow": "sun:05:00-sun:06:00",
                 "storageEncrypted": True, "kmsKeyId": KMS_EAST, "tags": {"Environment": "production"}},
                # not selected by the policy: never touched
                {"id": "other-db", "backupRetentionPeriod": 3},
            ],
            # 8 owned daily snapshots (2..9 March) and one nobody owns
            "snapshots": [_owned(d) for d in range(2, 10)] + [
                {"id": "hand-made", "instance": INSTANCE, "type": "manual", "created": _slot(1),
                 "status": "available", "tags": {"Owner": "sre"}}],
        },
        "us-west-2": {
            "instances": [],
            "kmsKeys": ["alias/dr"],
            # 4 owned copies (6..9 March)
            "snapshots": [_owned(d, copy=True) for d in range(6, 10)],
        },
    },
}

POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: orders}
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  automated:
    retentionDays: 14
    window: "03:00-04:00"
    replicate: {region: us-west-2, retentionDays: 7, kmsKeyId: alias/dr}
  snapshots:
    schedule: "30 4 * * *"
    tags: {Team: payments}
    retain: {daily: 5}
    copies:
      - {region: us-west-2, kmsKeyId: alias/dr, retain: {daily: 3}}
"""

# what one uninterrupted apply of the scenario calls, in its phases' order
EXPECTED_MUTATING = 10


class Scenario:
    def __init__(self, emu, work, binary=None):
        self.emu = emu
        self.work = work
        self.binary = binary or t.BIN
        self.repo = os.path.join(work, "policies")
        if not os.path.isdir(self.repo):
            self.commit = t.git_repo(self.repo, {"policies/orders.yaml": POLICY}, "orders: 14-day PITR, daily snapshots")
        else:
            self.commit = t.git(self.repo, "rev-parse", "HEAD")
        self.n = 0
        self.state = None
        self.since = 0

    def source(self):
        return ["--repo", self.repo, "--path", "policies", "--now", NOW]

    def fresh(self):
        """The emulator back to the seed (no faults), a new empty state directory; returns the call-log mark."""
        self.emu.reset()
        self.n += 1
        self.state = os.path.join(self.work, "state-%d" % self.n)
        self.since = self.emu.calls()["last"]
        return self.since

    def env(self, **extra):
        e = self.emu.env()
        e["SNAPKEEP_STATE_DIR"] = self.state
        e["NO_COLOR"] = "1"
        e["SNAPKEEP_LOG"] = None
        e.update(extra)
        return e

    def sk(self, *args, binary=None, timeout=120, env=None):
        return t.snapkeep(*args, env=env or self.env(), binary=binary or self.binary, timeout=timeout)

    def start(self, *args, binary=None, env=None):
        """Starts snapkeep in the background (stdout/stderr to files); returns the Popen with .out()/.err()."""
        e = dict(os.environ)
        for k, v in (env or self.env()).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        base = os.path.join(self.work, "proc-%d-%d" % (self.n, time.monotonic_ns()))
        fo, fe = open(base + ".out", "w"), open(base + ".err", "w")
        p = subprocess.Popen([binary or self.binary] + list(args), env=e, stdout=fo, stderr=fe,
                             stdin=subprocess.DEVNULL)
        fo.close()
        fe.close()
        p.out = lambda: open(base + ".out").read()
        p.err = lambda: open(base + ".err").read()
        return p

    # ---- the call log ----

    def calls(self, since=None):
        return self.emu.calls(since=self.since if since is None else since)["calls"]

    def mutating(self, since=None):
        return [c for c in self.calls(since) if c.get("mutating")]

    def wait_for(self, pred, timeout=30, proc=None, calls=False):
        """Polls the call log until pred(mutating calls, or every call with calls=True) is true; those calls,
        or None on timeout or when proc exits first."""
        get = self.calls if calls else self.mutating
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = get()
            if m and pred(m):
                return m
            if proc is not None and proc.poll() is not None:
                m = get()
                return m if m and pred(m) else None
            time.sleep(0.002)
        return None

    # ---- convergence ----

    def converge(self, max_runs=4, binary=None):
        """apply until a plan is empty; -> (number of applies, [results])."""
        results = []
        for _ in range(max_runs):
            r = self.sk("apply", "--auto-approve", *self.source(), binary=binary)
            results.append(r)
            p = self.sk("plan", *self.source(), "--detailed-exitcode", binary=binary)
            results.append(p)
            if p.rc == 0:
                return len(results) // 2, results
        return None, results

    # ---- what the emulator holds ----

    def inventory(self):
        """The emulator's inventory without times and random ids: what must match an uninterrupted run."""
        st = self.emu.state()
        out = {}
        for name, reg in sorted(st["regions"].items()):
            insts = {}
            for i in reg["instances"]:
                insts[i["id"]] = {
                    "backupRetentionPeriod": i["backupRetentionPeriod"],
                    "preferredBackupWindow": i["preferredBackupWindow"],
                    "copyTagsToSnapshot": i.get("copyTagsToSnapshot"),
                    "deletionProtection": i.get("deletionProtection"),
                    "pending": i.get("pending") or {},
                    "replications": sorted(x.get("region") for x in (i.get("replications") or [])),
                    "status": i["status"],
                }
            snaps = {}
            for s in reg.get("snapshots", []):
                if s["type"] != "manual":
                    continue
                snaps[s["id"]] = {"status": s["status"], "tags": s.get("tags") or {},
                                  "sourceRegion": s.get("sourceRegion"), "instance": s.get("instance"),
                                  "encrypted": s.get("encrypted"),
                                  "kms": (s.get("kmsKeyId") or "").split(":")[3:4]}
            backups = sorted((b.get("instanceId"), b.get("region"), b.get("status"), b.get("retention"))
                             for b in reg.get("automatedBackups", []) if b.get("region") != name)
            out[name] = {"instances": insts, "snapshots": snaps, "replicated": backups}
        return out

    def deleted(self, since=None):
        """(region, id) of every snapshot a DeleteDBSnapshot call removed."""
        return sorted((c["region"], c["params"].get("DBSnapshotIdentifier", "").lower())
                      for c in self.calls(since) if c["action"] == "DeleteDBSnapshot" and c.get("status") == 200)

    # ---- the journal ----

    def journal(self, state=None):
        """(records, damaged line count) of the state directory's journal."""
        path = os.path.join(state or self.state, "journal.jsonl")
        recs, damaged = [], 0
        if not os.path.exists(path):
            return recs, damaged
        with open(path, "rb") as f:
            for line in f.read().split(b"\n"):
                if not line.strip():
                    continue
                try:
                    recs.append(json.loads(line))
                except ValueError:
                    damaged += 1
        return recs, damaged


def invariants(sc, inv):
    """Problems with an inventory: duplicate snapshots of one slot, copies without their tags."""
    bad = []
    for region, reg in inv.items():
        seen = {}
        for sid, s in reg["snapshots"].items():
            tags = s["tags"]
            if tags.get("snapkeep:policy"):
                key = (tags.get("snapkeep:instance"), tags.get("snapkeep:slot"))
                if key in seen:
                    bad.append("%s: %s and %s are both snapshots of slot %s" % (region, seen[key], sid, key))
                seen[key] = sid
            if s["sourceRegion"]:
                missing = [k for k in ("snapkeep:policy", "snapkeep:instance", "snapkeep:slot", "snapkeep:source")
                           if not tags.get(k)]
                if missing:
                    bad.append("%s: copy %s lacks %s" % (region, sid, ", ".join(missing)))
    return bad


def unresolved(recs):
    """Intents with neither an outcome (other than "unknown": the call may have been made) nor a resolution."""
    ended = set(r.get("intent") for r in recs if r.get("type") == "resolution" or
                (r.get("type") == "outcome" and r.get("result") != "unknown"))
    return [r for r in recs if r.get("type") == "intent" and r.get("id") not in ended]


def kill(p, sig=signal.SIGKILL):
    if p.poll() is None:
        p.send_signal(sig)
    return p.wait(timeout=60)


# a mutating call, and a plan action, as (API action, region, target): to match the calls made to the plan
CALL_OF = {"modify": "ModifyDBInstance", "start-replication": "StartDBInstanceAutomatedBackupsReplication",
           "stop-replication": "StopDBInstanceAutomatedBackupsReplication", "create": "CreateDBSnapshot",
           "copy": "CopyDBSnapshot", "delete": "DeleteDBSnapshot"}


def call_key(c):
    p = c["params"]
    target = p.get("DBSnapshotIdentifier") or p.get("TargetDBSnapshotIdentifier") or p.get("DBInstanceIdentifier")
    if not target and p.get("SourceDBInstanceArn"):
        target = p["SourceDBInstanceArn"].rsplit(":", 1)[-1]
    return (c["action"], c["region"], (target or "").lower())


def action_key(a):
    return (CALL_OF[a["action"]], a["region"], a["target"].lower())
