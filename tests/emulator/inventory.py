"""inventory - what the emulated world is made of: one region's inventory
and its indexes (Region), the clock, and what every module of the emulator
shares: AwsError, the default config, times, backup and maintenance windows
and identifiers.  model.py puts them together into the Model.

Indexes (never persisted, rebuilt on load) keep describe pages cheap with
100,000 snapshots: per region, sorted lists of snapshot ids overall, by
type, by instance and by DbiResourceId, so a page is a bisect plus the page.
"""
import bisect
import datetime as dt
import hashlib
import time
import uuid

DAY = 86400.0
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DEFAULT_ACCOUNT = "123456789012"

DEFAULT_CONFIG = {
    "createSeconds": 2,       # creating -> available after this many seconds (null: never by time)
    "createDescribes": 0,     # ... or after this many DescribeDBSnapshots calls in the region (0: off)
    "copySeconds": 4,
    "copyDescribes": 0,
    "restoreSeconds": 2,      # restored instances: creating -> available
    "restoreDescribes": 0,    # ... or after this many DescribeDBInstances calls in the region
    "snapshotQuota": 100,     # manual snapshots per region
    "snapshotQuotas": {},     # per-region overrides {region: n}
    "copyLimit": 20,          # cross-region copies in flight per destination region
    "credentialsTTL": 3600,   # lifetime of IMDS / ECS / web-identity credentials (seconds)
    "webIdentityToken": "snapkeep-web-identity-token",
    "ecsAuthToken": None,     # when set, /ecs/... requires it in Authorization
    "imdsRole": "snapkeep-role",
    "automatedBackups": True, # daily automated snapshots in each backup window
    "restorableLagSeconds": 300,  # LatestRestorableTime = now - this
    "clockSkewSeconds": 900,  # how far a request's X-Amz-Date may be from wall time (null: unchecked)
    "pgSwitchSeconds": 2,     # database-backed instances: a WAL segment switch (and archive check) this often
}


class AwsError(Exception):
    """An AWS error answer: code, message, HTTP status, Sender/Receiver."""

    def __init__(self, code, message, status=400, kind="Sender"):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.kind = kind


# ---- time helpers ----

def rfc3339(t, millis=True):
    if t is None:
        return None
    d = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    if millis:
        return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    """RFC 3339 / ISO 8601 (Z or offset, optional fraction) or epoch seconds -> float."""
    if s is None:
        return None
    if isinstance(s, (int, float)):
        return float(s)
    s = str(s).strip()
    try:
        return float(s)
    except ValueError:
        pass
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    try:
        d = dt.datetime.fromisoformat(s)
    except ValueError:
        raise ValueError("not an RFC 3339 time: %r" % s) from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return d.timestamp()


def parse_backup_window(w):
    """'hh24:mi-hh24:mi' -> (start minute of day, length in minutes) or None."""
    try:
        a, b = w.split("-")
        sh, sm = (int(x) for x in a.split(":"))
        eh, em = (int(x) for x in b.split(":"))
    except (ValueError, AttributeError):
        return None
    if len(a) != 5 or len(b) != 5 or not (0 <= sh < 24 and 0 <= sm < 60 and 0 <= eh < 24 and 0 <= em < 60):
        return None
    start, end = sh * 60 + sm, eh * 60 + em
    return start, (end - start) % 1440


def parse_maintenance_window(w):
    """'ddd:hh24:mi-ddd:hh24:mi' -> (start minute of week from Monday, length in minutes) or None."""
    try:
        a, b = w.lower().split("-")
        ad, ah, am = a.split(":")
        bd, bh, bm = b.split(":")
        s = WEEKDAYS.index(ad) * 1440 + int(ah) * 60 + int(am)
        e = WEEKDAYS.index(bd) * 1440 + int(bh) * 60 + int(bm)
    except (ValueError, AttributeError):
        return None
    if not (0 <= int(ah) < 24 and 0 <= int(am) < 60 and 0 <= int(bh) < 24 and 0 <= int(bm) < 60):
        return None
    return s, (e - s) % (7 * 1440)


def next_daily(start_minute, after):
    """The first instant > after that is start_minute into a UTC day."""
    day = (after // DAY) * DAY
    t = day + start_minute * 60
    if t <= after:
        t += DAY
    return t


def next_weekly(start_minute, after):
    """The first instant > after that is start_minute into a UTC week (Monday 00:00)."""
    days = int(after // DAY)
    monday = (days - (days + 3) % 7) * DAY  # 1970-01-01 was a Thursday
    t = monday + start_minute * 60
    while t <= after:
        t += 7 * DAY
    return t


def _stable_id(*parts, n=26, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"):
    h = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    v = int.from_bytes(h, "big")
    out = []
    for _ in range(n):
        v, r = divmod(v, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def pg_snapshot_dir(region, sid):
    """Where a database-backed snapshot's files go, under the emulator's postgres folder (pg.py)."""
    return "snapshots/%s/%s-%s" % (region, sid.replace(":", "_"), uuid.uuid4().hex[:8])


def valid_identifier(s, maxlen):
    """RDS identifier rules: 1..maxlen letters, digits, hyphens; first a letter; no '--', no trailing '-'."""
    if not s or len(s) > maxlen or not s[0].isascii() or not s[0].isalpha():
        return False
    if s.endswith("-") or "--" in s:
        return False
    return all(c.isascii() and (c.isalnum() or c == "-") for c in s)


class Clock:
    """Wall time plus an offset, or frozen at an instant."""

    def __init__(self):
        self.frozen = False
        self.t = 0.0
        self.offset = 0.0

    def now(self):
        return self.t if self.frozen else time.time() + self.offset

    def to_json(self):
        return {"frozen": self.frozen, "t": self.t, "offset": self.offset}

    def load(self, d):
        self.frozen = bool(d.get("frozen"))
        self.t = float(d.get("t") or 0)
        self.offset = float(d.get("offset") or 0)


class Region:
    """One region's inventory and its indexes."""

    def __init__(self, name):
        self.name = name
        self.instances = {}
        self.snapshots = {}
        self.backups = {}  # arn -> retained or replicated automated backup
        self.topics = {}   # name -> {"arn", "created"}
        self.kms_keys = []
        self.describe_count = 0
        self.describe_instances_count = 0
        self.clusters = {}           # Aurora: id -> cluster (rds_clusters.py)
        self.cluster_snapshots = {}  # id -> DB cluster snapshot
        self.cluster_describe_count = 0
        self.reindex()

    def reindex(self):
        self.all_ids = sorted(self.snapshots)
        self.by_type = {}
        self.by_inst = {}
        self.by_dbi = {}
        self.auto_by_inst = {}
        self.pending = set()
        for sid in self.all_ids:
            s = self.snapshots[sid]
            self.by_type.setdefault(s["type"], []).append(sid)
            self.by_inst.setdefault(s["instance"], []).append(sid)
            if s.get("dbiResourceId"):
                self.by_dbi.setdefault(s["dbiResourceId"], []).append(sid)
            if s["type"] == "automated":
                self.auto_by_inst.setdefault(s["instance"], []).append(sid)
            if s["status"] in ("creating", "pending", "copying"):
                self.pending.add(sid)
        for lst in self.auto_by_inst.values():
            lst.sort(key=lambda i: self.snapshots[i]["created"])
        self.inst_ids = sorted(self.instances)
        self.pending_instances = {i for i, d in self.instances.items() if d["status"] == "creating"}

    def add_snapshot(self, s):
        sid = s["id"]
        self.snapshots[sid] = s
        bisect.insort(self.all_ids, sid)
        bisect.insort(self.by_type.setdefault(s["type"], []), sid)
        bisect.insort(self.by_inst.setdefault(s["instance"], []), sid)
        if s.get("dbiResourceId"):
            bisect.insort(self.by_dbi.setdefault(s["dbiResourceId"], []), sid)
        if s["type"] == "automated":
            lst = self.auto_by_inst.setdefault(s["instance"], [])
            if not lst or self.snapshots[lst[-1]]["created"] <= s["created"]:
                lst.append(sid)
            else:
                lst.append(sid)
                lst.sort(key=lambda i: self.snapshots[i]["created"])
        if s["status"] in ("creating", "pending", "copying"):
            self.pending.add(sid)

    def replace_snapshot(self, sid, **changes):
        """Snapshot records are copy-on-write once indexed (the persister saves them without copying)."""
        s = dict(self.snapshots[sid])
        s.update(changes)
        self.snapshots[sid] = s
        return s

    def remove_snapshot(self, sid):
        s = self.snapshots.pop(sid)
        _sorted_remove(self.all_ids, sid)
        _sorted_remove(self.by_type.get(s["type"], []), sid)
        _sorted_remove(self.by_inst.get(s["instance"], []), sid)
        if s.get("dbiResourceId"):
            _sorted_remove(self.by_dbi.get(s["dbiResourceId"], []), sid)
        if s["type"] == "automated":
            lst = self.auto_by_inst.get(s["instance"], [])
            if sid in lst:
                lst.remove(sid)
        self.pending.discard(sid)
        return s

    def add_instance(self, d):
        self.instances[d["id"]] = d
        bisect.insort(self.inst_ids, d["id"])
        if d["status"] == "creating":
            self.pending_instances.add(d["id"])

    def remove_instance(self, iid):
        d = self.instances.pop(iid)
        _sorted_remove(self.inst_ids, iid)
        self.pending_instances.discard(iid)
        return d

    def manual_count(self):
        return len(self.by_type.get("manual", ()))

    def copies_in_flight(self):
        return sum(1 for sid in self.pending
                   if self.snapshots[sid].get("crossRegion") and self.snapshots[sid]["status"] != "available")

    def to_json(self):
        return {"instances": list(self.instances.values()), "snapshots": list(self.snapshots.values()),
                "automatedBackups": list(self.backups.values()), "topics": list(self.topics.values()),
                "kmsKeys": self.kms_keys, "describeCount": self.describe_count,
                "describeInstancesCount": self.describe_instances_count,
                "clusters": list(self.clusters.values()), "clusterSnapshots": list(self.cluster_snapshots.values()),
                "clusterDescribeCount": self.cluster_describe_count}


def _sorted_remove(lst, x):
    i = bisect.bisect_left(lst, x)
    if i < len(lst) and lst[i] == x:
        del lst[i]
