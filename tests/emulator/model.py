"""model - the emulated world: regions, instances, snapshots, automated
backups, topics, metrics, issued credentials; the clock and the life-cycle
events it drives; persistence to one JSON file.  Its parts (Region, Clock,
times, windows) are in inventory.py.

Several accounts: the Model is the default account (the one the static keys
belong to); each other account is a Model of its own in .accounts, with its
own regions and schedule, sharing the lock, the clock, the configuration,
the issued credentials and the SNS / CloudWatch records with it.  Events,
ticks and clock changes run through every account.

Every method expects the caller to hold Model.lock.  Times are seconds since
the epoch (floats) in memory and in the state file; the admin view renders
them as RFC 3339.
"""
import copy
import heapq
import json
import os
import random
import threading
import time
import uuid

import rds_clusters
import sts

from inventory import (DAY, DEFAULT_ACCOUNT, DEFAULT_CONFIG, Clock, Region, _stable_id, next_daily, next_weekly,
                       parse_backup_window, parse_maintenance_window, parse_time, pg_snapshot_dir, rfc3339)


def _copy_instance(d):
    c = dict(d)
    c["tags"] = dict(d.get("tags") or {})
    c["pending"] = dict(d.get("pending") or {})
    c["replications"] = [dict(x) for x in d.get("replications") or []]
    return c

class Model:
    def __init__(self, account=DEFAULT_ACCOUNT):
        self.lock = threading.RLock()
        self.account = account
        self.clock = Clock()
        self.config = copy.deepcopy(DEFAULT_CONFIG)  # snapshotQuotas is a dict of its own
        self.regions = {}
        self.sns = []
        self.metrics = []
        self.credentials = {}  # issued temporary credentials: akid -> {...}
        self.iam = sts.empty_iam()  # roles and their trust, SSO permission sets and tokens (sts.py)
        self.last_tick = time.time()
        self.created = time.time()
        self.dirty = False
        self.call_seq = 0  # the call log's last sequence number, so it keeps counting across restarts
        self.rng = random.Random()
        self._heap = []
        self._hseq = 0
        self._sched = {}  # (region, instance id) -> {"v", "backup", "expire", "maint", "ready"}
        self.parent = None  # the default account's model, for another account's
        self.accounts = {}  # the other accounts: id -> Model (on the default account's model only)

    # ---- accounts ----

    def for_account(self, account):
        """The model of account (made, empty, on first use); the default account's for None or its own id."""
        root = self.parent or self
        if account is None or account == root.account:
            return root
        m = root.accounts.get(account)
        if m is None:
            m = root.accounts[account] = Model(account)
            root._share(m)
            m.last_tick = root.last_tick
            root.touch()
        return m

    def _share(self, m):
        m.parent = self
        m.lock, m.clock, m.config, m.credentials = self.lock, self.clock, self.config, self.credentials
        m.sns, m.metrics, m.rng, m.created, m.iam = self.sns, self.metrics, self.rng, self.created, self.iam

    def all_accounts(self):
        """Every account's model, the default account's first."""
        return [self] + [self.accounts[k] for k in sorted(self.accounts)]

    # ---- regions and lookups ----

    def region(self, name):
        r = self.regions.get(name)
        if r is None:
            r = self.regions[name] = Region(name)
            r.kms_keys = ["alias/aws/rds"]
        return r

    def now(self):
        return self.clock.now()

    def arn(self, region, kind, rid):
        return "arn:aws:rds:%s:%s:%s:%s" % (region, self.account, kind, rid)

    def touch(self):
        self.dirty = True
        if self.parent is not None:
            self.parent.dirty = True

    def quota(self, region):
        q = self.config.get("snapshotQuotas") or {}
        return int(q.get(region, self.config["snapshotQuota"]))

    def new_dbi(self, region, iid, created):
        return "db-" + _stable_id(self.account, region, iid, created)

    def new_backup_arn(self, region):
        return "arn:aws:rds:%s:%s:auto-backup:ab-%s" % (
            region, self.account, "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(26)))

    def kms_key_arn(self, region, alias):
        u = uuid.uuid5(uuid.NAMESPACE_URL, "kms/%s/%s/%s" % (self.account, region, alias))
        return "arn:aws:kms:%s:%s:key/%s" % (region, self.account, u)

    # ---- instances ----

    def make_instance(self, region, spec, now):
        """An instance dict from a seed entry or restore parameters."""
        iid = spec["id"].lower()
        created = parse_time(spec.get("created")) if spec.get("created") is not None else now - 365 * DAY
        enc = bool(spec.get("storageEncrypted", False))
        kms = spec.get("kmsKeyId")
        if enc and not kms:
            kms = self.kms_key_arn(region, "alias/aws/rds")
        ret = int(spec.get("backupRetentionPeriod", 1))
        d = {
            "id": iid,
            "arn": self.arn(region, "db", iid),
            "dbiResourceId": spec.get("dbiResourceId") or self.new_dbi(region, iid, created),
            "status": spec.get("status", "available"),
            "engine": spec.get("engine", "postgres"),
            "engineVersion": spec.get("engineVersion", _default_version(spec.get("engine", "postgres"))),
            "class": spec.get("class", "db.t4g.micro"),
            "allocatedStorage": int(spec.get("allocatedStorage", 20)),
            "port": int(spec.get("port", _default_port(spec.get("engine", "postgres")))),
            "masterUsername": spec.get("masterUsername", "admin"),
            "availabilityZone": spec.get("availabilityZone", region + "a"),
            "multiAZ": bool(spec.get("multiAZ", False)),
            "backupRetentionPeriod": ret,
            "preferredBackupWindow": spec.get("preferredBackupWindow", "03:00-03:30"),
            "preferredMaintenanceWindow": spec.get("preferredMaintenanceWindow", "sun:05:00-sun:06:00"),
            "copyTagsToSnapshot": bool(spec.get("copyTagsToSnapshot", False)),
            "deletionProtection": bool(spec.get("deletionProtection", False)),
            "storageEncrypted": enc,
            "kmsKeyId": kms if enc else None,
            "created": created,
            "tags": dict(spec.get("tags") or {}),
            "pending": {},
            "automatedBackupsArn": None,
            "backupsSince": None,
            "replications": [],
            "awsBackupRecoveryPointArn": spec.get("awsBackupRecoveryPointArn"),
            "readyAt": None,
            "readyCount": None,
        }
        if ret > 0:
            d["automatedBackupsArn"] = self.new_backup_arn(region)
            d["backupsSince"] = parse_time(spec.get("backupsSince")) if spec.get("backupsSince") else created
        if spec.get("database") is not None:
            if d["engine"] != "postgres":
                raise ValueError("instance %s: a database needs engine postgres, not %s" % (d["id"], d["engine"]))
            d["database"] = _database(spec["database"], d["id"])
            d["masterUsername"] = d["database"]["user"]
        return d

    def earliest_restorable(self, r, d, now):
        """The oldest instant a point-in-time restore can reach, or None without backups."""
        if d["backupRetentionPeriod"] <= 0 or d["backupsSince"] is None:
            return None
        if d.get("database"):
            # a real server: the end of its oldest base backup, on the wall clock
            for sid in r.auto_by_inst.get(d["id"], ()):
                s = r.snapshots[sid]
                if s["status"] == "available" and s.get("pgEnd") and s.get("dbiResourceId") == d["dbiResourceId"]:
                    return s["pgEnd"]
            return None
        autos = r.auto_by_inst.get(d["id"])
        if autos:
            e = r.snapshots[autos[0]]["created"]
        else:
            e = max(d["backupsSince"], now - d["backupRetentionPeriod"] * DAY)
        return max(e, d["created"])

    def latest_restorable(self, r, d, now):
        e = self.earliest_restorable(r, d, now)
        if e is None or d["status"] not in ("available", "backing-up", "modifying"):
            return None
        if d.get("database"):
            return max(e, d.get("pgLatest") or e)  # the last archived WAL, on the wall clock
        return max(e, now - float(self.config.get("restorableLagSeconds") or 0))

    def pg_base_for(self, r, d, t):
        """The newest available base backup (automated snapshot) of a database-backed instance ending by t."""
        best = None
        for sid in r.auto_by_inst.get(d["id"], ()):
            s = r.snapshots[sid]
            if s["status"] == "available" and s.get("pgEnd") and s["pgEnd"] <= t and \
                    s.get("dbiResourceId") == d["dbiResourceId"] and (best is None or s["pgEnd"] > best["pgEnd"]):
                best = s
        return best

    def set_retention(self, r, d, value, now):
        """Applies a retention change now, as RDS does when it takes effect."""
        old = d["backupRetentionPeriod"]
        d["backupRetentionPeriod"] = value
        if old == 0 and value > 0:
            d["backupsSince"] = now
            d["automatedBackupsArn"] = d.get("automatedBackupsArn") or self.new_backup_arn(r.name)
            if self.config.get("automatedBackups", True) and d["status"] == "available":
                self.take_automated(r, d, now)  # enabling backups takes one at once
        elif old > 0 and value == 0:
            for sid in list(r.auto_by_inst.get(d["id"], ())):
                r.remove_snapshot(sid)
            d["backupsSince"] = None
            d["automatedBackupsArn"] = None
        self.schedule_instance(r, d, now)

    def take_automated(self, r, d, t):
        sid = "rds:%s-%s" % (d["id"], time.strftime("%Y-%m-%d-%H-%M", time.gmtime(t)))
        if sid in r.snapshots:
            return None
        s = self.snapshot_from_instance(r, d, sid, "automated", t)
        s["status"] = "creating" if d.get("database") else "available"  # a real base backup takes time
        if d["copyTagsToSnapshot"]:
            s["tags"] = dict(d["tags"])
        r.add_snapshot(s)
        self.touch()
        return s

    def snapshot_from_instance(self, r, d, sid, typ, t):
        s = self._snapshot_from_instance(r, d, sid, typ, t)
        if d.get("database"):
            # its files: a base backup (tests/emulator/pg.py), made in the background
            s["database"] = dict(d["database"])
            s["pgDir"] = pg_snapshot_dir(r.name, sid)
        return s

    def _snapshot_from_instance(self, r, d, sid, typ, t):
        return {
            "id": sid, "arn": self.arn(r.name, "snapshot", sid), "instance": d["id"],
            "dbiResourceId": d["dbiResourceId"], "type": typ, "status": "creating",
            "created": t, "originalCreated": t, "instanceCreated": d["created"],
            "engine": d["engine"], "engineVersion": d["engineVersion"],
            "allocatedStorage": d["allocatedStorage"], "port": d["port"],
            "availabilityZone": d["availabilityZone"], "masterUsername": d["masterUsername"],
            "encrypted": d["storageEncrypted"], "kmsKeyId": d["kmsKeyId"],
            "sourceRegion": None, "sourceSnapshot": None, "tags": {},
            "readyAt": None, "readyCount": None, "crossRegion": False,
        }

    # ---- the scheduler: life-cycle events in time order ----

    def _push(self, t, kind, region, key, v):
        self._hseq += 1
        heapq.heappush(self._heap, (t, self._hseq, kind, region, key, v))

    def schedule_instance(self, r, d, now):
        """(Re)computes the instance's next events after now and queues the earliest."""
        k = (r.name, d["id"])
        s = self._sched.get(k)
        v = (s["v"] + 1) if s else 1
        s = {"v": v, "backup": None, "expire": None, "maint": None, "ready": None}
        self._sched[k] = s
        if d["status"] == "creating":
            s["ready"] = d.get("readyAt")
        ret = d["backupRetentionPeriod"]
        if ret > 0 and d["status"] == "available" and self.config.get("automatedBackups", True):
            w = parse_backup_window(d["preferredBackupWindow"])
            if w:
                s["backup"] = next_daily(w[0], now)
        autos = r.auto_by_inst.get(d["id"])
        if ret > 0 and autos:
            s["expire"] = max(now, r.snapshots[autos[0]]["created"] + ret * DAY)
        if d["pending"]:
            w = parse_maintenance_window(d["preferredMaintenanceWindow"])
            if w:
                s["maint"] = next_weekly(w[0], now)
        due = [x for x in (s["ready"], s["backup"], s["expire"], s["maint"]) if x is not None]
        if due:
            self._push(min(due), "inst", r.name, d["id"], v)

    def schedule_snapshot(self, r, s):
        if s.get("readyAt") is not None:
            self._push(s["readyAt"], "snap", r.name, s["id"], s["readyAt"])

    def rebuild_schedule(self, now):
        self._heap = []
        self._sched = {}
        for r in self.regions.values():
            for d in r.instances.values():
                self.schedule_instance(r, d, now)
            for sid in r.pending:
                self.schedule_snapshot(r, r.snapshots[sid])
        for m in self.accounts.values():
            m.rebuild_schedule(now)

    def advance_to(self, target):
        """Runs every event due at or before target, in time order (in each account)."""
        for m in self.accounts.values():
            m.advance_to(target)
        heap = self._heap
        while heap and heap[0][0] <= target:
            t, _, kind, rname, key, v = heapq.heappop(heap)
            r = self.regions.get(rname)
            if r is None:
                continue
            if kind == "snap":
                s = r.snapshots.get(key)
                if s is not None and s.get("readyAt") == v and s["status"] != "available":
                    self.make_available(r, s)
                continue
            d = r.instances.get(key)
            sc = self._sched.get((rname, key))
            if d is None or sc is None or sc["v"] != v:
                continue
            self._fire_instance(r, d, sc, t)
        if len(heap) > 4 * (len(self._sched) + 64):
            live = [e for e in heap if e[2] == "snap" or
                    (self._sched.get((e[3], e[4])) or {}).get("v") == e[5]]
            heapq.heapify(live)
            self._heap = live
        if target > self.last_tick:
            self.last_tick = target

    def _fire_instance(self, r, d, sc, t):
        if sc["ready"] is not None and sc["ready"] <= t and d["status"] == "creating":
            self.make_instance_available(r, d, t)
        if sc["maint"] is not None and sc["maint"] <= t and d["pending"]:
            self.apply_pending(r, d, t)
        if sc["backup"] is not None and sc["backup"] <= t and d["backupRetentionPeriod"] > 0:
            self.take_automated(r, d, sc["backup"])
        ret = d["backupRetentionPeriod"]
        autos = r.auto_by_inst.get(d["id"])
        while ret > 0 and autos and r.snapshots[autos[0]]["created"] + ret * DAY <= t:
            r.remove_snapshot(autos[0])
            self.touch()
        self.schedule_instance(r, d, t)

    def apply_pending(self, r, d, t):
        p = d["pending"]
        d["pending"] = {}
        if "BackupRetentionPeriod" in p:
            self.set_retention(r, d, int(p.pop("BackupRetentionPeriod")), t)
        for k, field in (("DBInstanceClass", "class"), ("AllocatedStorage", "allocatedStorage"),
                         ("EngineVersion", "engineVersion"), ("MultiAZ", "multiAZ")):
            if k in p:
                d[field] = p[k]
        self.touch()

    def make_available(self, r, s):
        r.replace_snapshot(s["id"], status="available", readyAt=None, readyCount=None)
        r.pending.discard(s["id"])
        self.touch()

    def make_instance_available(self, r, d, t):
        d["status"] = "available"
        d["readyAt"] = None
        d["readyCount"] = None
        r.pending_instances.discard(d["id"])
        if d["backupRetentionPeriod"] > 0 and d["backupsSince"] is None:
            d["backupsSince"] = t
        self.touch()

    def tick(self):
        self.advance_to(self.now())

    def count_describe(self, r):
        """One DescribeDBSnapshots in r: pending snapshots that waited enough describes become available."""
        r.describe_count += 1
        if r.pending:
            for sid in list(r.pending):
                s = r.snapshots[sid]
                if s.get("readyCount") is not None and r.describe_count >= s["readyCount"]:
                    self.make_available(r, s)

    def count_describe_instances(self, r):
        r.describe_instances_count += 1
        for iid in list(r.pending_instances):
            d = r.instances[iid]
            if d.get("readyCount") is not None and r.describe_instances_count >= d["readyCount"]:
                self.make_instance_available(r, d, self.now())
                self.schedule_instance(r, d, self.now())

    def add_pending(self, r, s, seconds_key, describes_key, now):
        """Adds a new snapshot or copy that becomes available after N seconds or N describes."""
        secs = self.config.get(seconds_key)
        n = int(self.config.get(describes_key) or 0)
        if s.get("pgDir"):
            secs, n = None, 0  # ready when its files are
        s["readyAt"] = (now + float(secs)) if secs is not None and float(secs) >= 0 else None
        s["readyCount"] = (r.describe_count + n) if n > 0 else None
        s["startedAt"] = now
        r.add_snapshot(s)
        self.schedule_snapshot(r, s)
        self.touch()

    def start_pending_instance(self, r, d, now):
        secs = self.config.get("restoreSeconds")
        n = int(self.config.get("restoreDescribes") or 0)
        if d.get("database"):
            secs, n = None, 0  # available when its server accepts connections
        d["status"] = "creating"
        d["readyAt"] = (now + float(secs)) if secs is not None and float(secs) >= 0 else None
        d["readyCount"] = (r.describe_instances_count + n) if n > 0 else None
        r.pending_instances.add(d["id"])

    # ---- clock control ----

    def clock_set(self, t):
        """Freezes the clock at t; forward runs the events in between, backward reschedules."""
        cur = self.now()
        self.clock.frozen = True
        if t >= cur:
            self.advance_to(t)
            self.clock.t = t
        else:
            self.clock.t = t
            self._reset_tick(t)
            self.rebuild_schedule(t)
        self.touch()

    def clock_advance(self, secs):
        cur = self.now()
        target = cur + secs
        if secs < 0:
            if self.clock.frozen:
                self.clock.t = target
            else:
                self.clock.offset += secs
            self._reset_tick(target)
            self.rebuild_schedule(target)
        else:
            self.advance_to(target)
            if self.clock.frozen:
                self.clock.t = target
            else:
                self.clock.offset += secs
        self.touch()

    def clock_real(self):
        self.clock.frozen = False
        self.clock.offset = 0.0
        now = self.now()
        if now >= self.last_tick:
            self.advance_to(now)
        else:
            self._reset_tick(now)
            self.rebuild_schedule(now)
        self.touch()

    def _reset_tick(self, t):
        for m in self.all_accounts():
            m.last_tick = t

    # ---- persistence ----

    def to_json(self):
        return {
            "format": "snapkeep-emulator-state/v1",
            "account": self.account,
            "created": self.created,
            "clock": self.clock.to_json(),
            "lastTick": self.last_tick,
            "config": self.config,
            "regions": {n: r.to_json() for n, r in self.regions.items()},
            "accounts": {a: {"regions": {n: r.to_json() for n, r in m.regions.items()}, "lastTick": m.last_tick}
                         for a, m in self.accounts.items()},
            "sns": self.sns,
            "metrics": self.metrics,
            "credentials": self.credentials,
            "iam": self.iam,
            "callSeq": self.call_seq,
        }

    def dumps(self):
        return json.dumps(self.to_json(), separators=(",", ":"))

    def save_view(self):
        """A copy of the state that later changes cannot touch, cheap enough to take under the lock:
        snapshot records are shared (they are replaced, never changed, once indexed), the rest copied."""
        v = self.to_json()
        v["config"] = copy.deepcopy(self.config)
        v["sns"] = list(self.sns)
        v["metrics"] = list(self.metrics)
        v["credentials"] = dict(self.credentials)
        v["iam"] = copy.deepcopy(self.iam)
        v["regions"] = _regions_view(self.regions)
        v["accounts"] = {a: {"regions": _regions_view(m.regions), "lastTick": m.last_tick}
                         for a, m in self.accounts.items()}
        return v

    def load(self, d):
        if d.get("format") != "snapkeep-emulator-state/v1":
            raise ValueError("not a snapkeep emulator state file (format %r)" % d.get("format"))
        self.account = d.get("account", DEFAULT_ACCOUNT)
        self.created = d.get("created", time.time())
        self.clock.load(d.get("clock") or {})
        self.last_tick = float(d.get("lastTick") or time.time())
        self.config = copy.deepcopy(DEFAULT_CONFIG)  # snapshotQuotas is a dict of its own
        self.config.update(d.get("config") or {})
        self.regions = _load_regions(d.get("regions") or {})
        self.sns = d.get("sns") or []
        self.metrics = d.get("metrics") or []
        self.credentials = d.get("credentials") or {}
        self.iam = d.get("iam") or sts.empty_iam()
        self.call_seq = int(d.get("callSeq") or 0)
        self.accounts = {}
        for a, ad in (d.get("accounts") or {}).items():
            m = self.for_account(str(a))
            m.regions = _load_regions(ad.get("regions") or {})
            m.last_tick = float(ad.get("lastTick") or self.last_tick)
        # catch up with time that passed while stopped (a running clock), then plan ahead
        self.rebuild_schedule(self.last_tick)
        self.tick()

    # ---- seeds ----

    def apply_seed(self, seed, now=None):
        """Adds a seed's regions, instances, snapshots, topics and generated inventory."""
        if "account" in seed and not any(r.instances or r.snapshots for r in self.regions.values()):
            self.account = str(seed["account"])
        if seed.get("config"):
            self.config.update(seed["config"])
        if seed.get("clock"):
            self.clock.frozen = True
            self.clock.t = parse_time(seed["clock"])
            self.last_tick = self.clock.t
        if now is None:
            now = self.now()
        history = seed.get("automatedHistory", True)
        sts.apply_seed(self, seed, now)
        self._seed_regions(seed, now, history)
        # other accounts: {"accounts": {"111111111111": {"regions": {...}, "generate": ...}}}
        for acct, aseed in sorted((seed.get("accounts") or {}).items()):
            acct = str(acct)
            if len(acct) != 12 or not acct.isdigit():
                raise ValueError("seed: account id %r must be 12 digits" % acct)
            if not isinstance(aseed, dict):
                raise ValueError("seed: account %s must be an object {regions, generate}" % acct)
            m = self.for_account(acct)
            m._seed_regions(aseed, now, aseed.get("automatedHistory", history))
            for r in m.regions.values():
                r.reindex()
        for r in self.regions.values():
            r.reindex()
        self.rebuild_schedule(now)
        self.last_tick = now
        for m in self.accounts.values():
            m.last_tick = now
        self.touch()

    def _seed_regions(self, seed, now, history):
        """A seed's (or one account's) regions and generated inventory."""
        for name, rs in (seed.get("regions") or {}).items():
            r = self.region(name)
            for k in rs.get("kmsKeys") or []:
                if k not in r.kms_keys:
                    r.kms_keys.append(k)
            for t in rs.get("topics") or []:
                tn = t if isinstance(t, str) else t["name"]
                r.topics[tn] = {"name": tn, "arn": "arn:aws:sns:%s:%s:%s" % (name, self.account, tn), "created": now}
            for spec in rs.get("instances") or []:
                self._seed_instance(r, spec, now, history)
            for spec in rs.get("snapshots") or []:
                self._seed_snapshot(r, spec, now)
            for spec in rs.get("clusters") or []:
                rds_clusters.seed_cluster(self, r, spec, now)
            for spec in rs.get("clusterSnapshots") or []:
                rds_clusters.seed_cluster_snapshot(self, r, spec, now)
        gens = seed.get("generate")
        if isinstance(gens, dict):
            gens = [gens]
        for g in gens or []:
            self._generate(g, now, history)

    def _seed_instance(self, r, spec, now, history):
        d = self.make_instance(r.name, spec, now)
        r.instances[d["id"]] = d
        if d.get("database"):
            # a real server: creating until it accepts connections, and no invented backup history
            d["status"] = "creating"
            return d
        if history and d["backupRetentionPeriod"] > 0 and self.config.get("automatedBackups", True) \
                and d["status"] == "available":
            w = parse_backup_window(d["preferredBackupWindow"])
            if w:
                t = next_daily(w[0], max(d["created"], now - d["backupRetentionPeriod"] * DAY))
                while t <= now:
                    sid = "rds:%s-%s" % (d["id"], time.strftime("%Y-%m-%d-%H-%M", time.gmtime(t)))
                    s = self.snapshot_from_instance(r, d, sid, "automated", t)
                    s["status"] = "available"
                    if d["copyTagsToSnapshot"]:
                        s["tags"] = dict(d["tags"])
                    r.snapshots[sid] = s
                    t += DAY
        return d

    def _seed_snapshot(self, r, spec, now):
        sid = spec["id"] if spec.get("type") == "automated" else spec["id"].lower()
        iid = (spec.get("instance") or spec.get("instanceId") or "").lower()
        d = r.instances.get(iid)
        created = parse_time(spec["created"]) if spec.get("created") is not None else now
        if d is not None:
            s = self.snapshot_from_instance(r, d, sid, spec.get("type", "manual"), created)
        else:
            s = {"id": sid, "arn": self.arn(r.name, "snapshot", sid), "instance": iid,
                 "dbiResourceId": spec.get("dbiResourceId") or self.new_dbi(r.name, iid, 0),
                 "type": spec.get("type", "manual"), "status": "available", "created": created,
                 "originalCreated": created, "instanceCreated": created - 30 * DAY,
                 "engine": spec.get("engine", "postgres"), "engineVersion": spec.get("engineVersion", "15.4"),
                 "allocatedStorage": int(spec.get("allocatedStorage", 20)), "port": 5432,
                 "availabilityZone": r.name + "a", "masterUsername": "admin",
                 "encrypted": bool(spec.get("encrypted", False)), "kmsKeyId": None,
                 "sourceRegion": None, "sourceSnapshot": None, "tags": {},
                 "readyAt": None, "readyCount": None, "crossRegion": False}
        s["status"] = spec.get("status", "available")
        if "encrypted" in spec:
            s["encrypted"] = bool(spec["encrypted"])
        if spec.get("kmsKeyId"):
            s["kmsKeyId"] = spec["kmsKeyId"]
        elif s["encrypted"] and not s["kmsKeyId"]:
            s["kmsKeyId"] = self.kms_key_arn(r.name, "alias/aws/rds")
        if not s["encrypted"]:
            s["kmsKeyId"] = None
        for k in ("sourceRegion", "sourceSnapshot"):
            if spec.get(k):
                s[k] = spec[k]
        if spec.get("originalCreated"):
            s["originalCreated"] = parse_time(spec["originalCreated"])
        if spec.get("allocatedStorage") is not None:
            s["allocatedStorage"] = int(spec["allocatedStorage"])
        s["tags"] = dict(spec.get("tags") or {})
        r.snapshots[sid] = s
        return s

    def _generate(self, g, now, history):
        """'generate': {"instances": N, "snapshotsPerInstance": M, "region", "prefix", "tags",
        "snapshotPrefix", "snapshotTags", "snapshotIntervalHours", "instance": {...defaults}}"""
        r = self.region(g.get("region", "us-east-1"))
        n = int(g.get("instances", 0))
        per = int(g.get("snapshotsPerInstance", 0))
        prefix = g.get("prefix", "db")
        sprefix = g.get("snapshotPrefix", "snap")
        interval = float(g.get("snapshotIntervalHours", 24)) * 3600
        base = dict(g.get("instance") or {})
        base.setdefault("storageEncrypted", True)
        base.setdefault("backupRetentionPeriod", 7)
        width = max(5, len(str(n)))
        for i in range(n):
            spec = dict(base)
            iid = "%s-%0*d" % (prefix, width, i)
            spec["id"] = iid
            spec["tags"] = {k: str(v).replace("{i}", str(i)).replace("{instance}", iid)
                            for k, v in (g.get("tags") or {}).items()}
            d = self._seed_instance(r, spec, now, history)
            stags = g.get("snapshotTags") or {}
            for k in range(per):
                t = now - (k + 1) * interval
                stamp = time.strftime("%Y%m%d-%H%M", time.gmtime(t))
                sid = "%s-%s-%s" % (sprefix, iid, stamp)
                if sid in r.snapshots:
                    sid = "%s-%d" % (sid, k)
                s = self.snapshot_from_instance(r, d, sid, "manual", t)
                s["status"] = "available"
                s["tags"] = {tk: str(tv).replace("{i}", str(i)).replace("{instance}", iid)
                             .replace("{time}", rfc3339(t, millis=False)).replace("{k}", str(k))
                             for tk, tv in stags.items()}
                r.snapshots[sid] = s


def _regions_view(regions):
    return {n: {
        "instances": [_copy_instance(x) for x in r.instances.values()],
        "snapshots": list(r.snapshots.values()),  # copy-on-write records: see Region.replace_snapshot
        "automatedBackups": copy.deepcopy(list(r.backups.values())),
        "topics": [dict(x) for x in r.topics.values()],
        "kmsKeys": list(r.kms_keys), "describeCount": r.describe_count,
        "describeInstancesCount": r.describe_instances_count,
        "clusters": copy.deepcopy(list(r.clusters.values())),
        "clusterSnapshots": copy.deepcopy(list(r.cluster_snapshots.values())),
        "clusterDescribeCount": r.cluster_describe_count,
    } for n, r in regions.items()}


def _load_regions(regions):
    out = {}
    for name, rd in regions.items():
        r = Region(name)
        for x in rd.get("instances", []):
            r.instances[x["id"]] = x
        for x in rd.get("snapshots", []):
            r.snapshots[x["id"]] = x
        for x in rd.get("automatedBackups", []):
            r.backups[x["arn"]] = x
        for x in rd.get("topics", []):
            r.topics[x["name"]] = x
        r.kms_keys = rd.get("kmsKeys") or ["alias/aws/rds"]
        r.describe_count = rd.get("describeCount", 0)
        r.describe_instances_count = rd.get("describeInstancesCount", 0)
        r.clusters = {x["id"]: x for x in rd.get("clusters", [])}
        r.cluster_snapshots = {x["id"]: x for x in rd.get("clusterSnapshots", [])}
        r.cluster_describe_count = rd.get("clusterDescribeCount", 0)
        r.reindex()
        out[name] = r
    return out


def _database(spec, iid):
    """A seed's "database": {"name", "user", "password"}, checked."""
    if not isinstance(spec, dict):
        raise ValueError("instance %s: database must be an object {name, user, password}" % iid)
    out = {}
    for k in ("name", "user", "password"):
        v = spec.get(k)
        if not isinstance(v, str) or not v or "\0" in v:
            raise ValueError("instance %s: database.%s must be a non-empty string" % (iid, k))
        out[k] = v
    if out["user"] == "postgres":
        raise ValueError("instance %s: database.user must not be postgres (the emulator's superuser)" % iid)
    return out


def _default_port(engine):
    e = (engine or "").lower()
    if "mysql" in e or "maria" in e:
        return 3306
    if "oracle" in e:
        return 1521
    if "sqlserver" in e:
        return 1433
    return 5432


def _default_version(engine):
    e = (engine or "").lower()
    if "mysql" in e:
        return "8.0.35"
    if "maria" in e:
        return "10.11.6"
    return "15.4"


class Persister:
    """Writes the state file (temp + rename) shortly after each change, and on demand.

    The model lock is held only to take save_view(); the JSON is written in
    chunks (other threads run between them) and writes are spaced by at least
    three times what the last one cost, so a large inventory stays responsive."""

    def __init__(self, model, path, delay=0.1):
        self.model = model
        self.path = path
        self.delay = delay
        self.cost = 0.0
        self.wake = threading.Event()
        self.stopping = False
        self.io_lock = threading.Lock()
        self.saved_seq = model.call_seq  # read-only calls move the call sequence without a change
        self.thread = threading.Thread(target=self._run, name="persist", daemon=True)

    def start(self):
        if self.path:
            self.thread.start()

    def poke(self):
        self.wake.set()

    def _run(self):
        while not self.stopping:
            self.wake.wait()
            self.wake.clear()
            if self.stopping:
                break
            time.sleep(max(self.delay, 3 * self.cost))
            self.flush()

    def flush(self):
        if not self.path:
            return
        with self.io_lock:
            with self.model.lock:
                if not self.model.dirty and self.model.call_seq == self.saved_seq:
                    return
                view = self.model.save_view()
                self.model.dirty = False
                self.saved_seq = self.model.call_seq
            t0 = time.monotonic()
            tmp = "%s.tmp.%d" % (self.path, os.getpid())
            with open(tmp, "w") as f:
                write_state(f, view)
            os.replace(tmp, self.path)
            self.cost = time.monotonic() - t0

    def stop(self):
        self.stopping = True
        self.wake.set()
        self.flush()


def write_state(f, view, chunk=500):
    """json.dump(view) in pieces: snapshot lists go out chunk records at a time."""
    sep = (",", ":")
    head = {k: v for k, v in view.items() if k != "regions"}
    f.write(json.dumps(head, separators=sep)[:-1])
    f.write(',"regions":{')
    for i, (name, r) in enumerate(view["regions"].items()):
        rest = {k: v for k, v in r.items() if k != "snapshots"}
        f.write("%s%s:{%s,\"snapshots\":[" % ("," if i else "", json.dumps(name),
                                               json.dumps(rest, separators=sep)[1:-1]))
        snaps = r["snapshots"]
        for k in range(0, len(snaps), chunk):
            f.write(("," if k else "") + json.dumps(snaps[k:k + chunk], separators=sep)[1:-1])
        f.write("]}")
    f.write("}}")
