"""lifecycle_sim - a day-by-day simulation of snapkeep's snapshot life cycle
against the emulator, checked against an independent model.

The model (class Model) is plain Python over restic_forget.py; nothing of
snapkeep's engine is called.  It follows the semantics written in
specs/README.md:

  * one snapshot a day, for the latest schedule slot at or before --now,
    created at the emulator's time of the apply;
  * retention is restic's forget over the snapshots the policy owns of the
    instance in the region, by SnapshotCreateTime;
  * deletion is permanent, so the expected set of day d is
    forget(expected set of day d-1 + day d's snapshot) (the model also
    checks that, for these rules, this equals forget over the whole history);
  * the copy region holds a copy of each source the copy rules keep: copies
    age by their source's creation time (OriginalSnapshotCreateTime); the
    sources that exist and lack a copy are candidates, a candidate the copy
    rules do not keep is not made (and the rules run again without it), and
    the copies the rules let go are deleted, judged against the copies that
    will really exist;
  * one apply makes every copy it wants: at most copiesInFlight (Settings,
    default 20: AWS's limit) are in progress in the copy region at any
    moment, counting someone else's copy in progress there, and the next
    start as earlier ones become available; when the wanted copies and the
    ones in progress are more than that, the plan says they run in turns.

    sim = Simulation(start, days, binary, workdir).run()
    sim.failures  # {check: (day, why)}: the first failure of each check
    sim.counts    # {check: how many times it held}

The simulation freezes the emulator clock, then each day: advances it by a
day, runs `snapkeep apply --auto-approve --now <emulator time>`, compares the
emulator's state and call log with the model, runs apply again (no mutating
call) and `plan --detailed-exitcode` (exit 0).  It stops at the first day
anything differs: later days would only repeat the difference.
"""
import datetime as dt
import os
import time

import sktest as t
from emulator_ctl import Emulator
from restic_forget import forget, kept

UTC = dt.timezone.utc
ACCOUNT = "123456789012"
SRC, DST = "us-east-1", "us-west-2"
INSTANCE = "orders-db"
POLICY = "orders"
SCHEDULE_MINUTE, SCHEDULE_HOUR = 30, 3
RETAIN = {"daily": 7, "weekly": 4, "monthly": 12}
COPY_RETAIN = {"daily": 30}
COPIES_IN_FLIGHT = 20  # per destination region (AWS's limit, Settings copiesInFlight's default; specs/README.md)
SRC_KEY = "arn:aws:kms:%s:%s:key/orders-key" % (SRC, ACCOUNT)
UNMANAGED = {SRC: 4, DST: 1}  # the seed's manual snapshots no policy owns, per region


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    """RFC 3339 in UTC, with or without fractions of a second (the emulator writes milliseconds)."""
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC) if s else None


def slot_of(now):
    """The latest daily 03:30 slot at or before now."""
    s = now.replace(hour=SCHEDULE_HOUR, minute=SCHEDULE_MINUTE, second=0, microsecond=0)
    return s if s <= now else s - dt.timedelta(days=1)


def snapshot_id(slot):
    # specs/README.md, "What snapkeep creates": <prefix>-<db>-<yyyymmdd>-<hhmm>
    return "snapkeep-%s-%s" % (INSTANCE, slot.strftime("%Y%m%d-%H%M"))


def copy_id(source_id):
    # the engine names a copy <source id>-<source region> (reconciler/planner/naming.c, sk_naming_copy)
    return "%s-%s" % (source_id, SRC)


def seed(start):
    """An encrypted instance the policy selects, one no policy selects, and manual
    snapshots no policy owns in both regions (UNMANAGED counts them)."""
    before = start - dt.timedelta(days=40)
    return {
        "account": ACCOUNT,
        "clock": rfc3339(start - dt.timedelta(hours=2)),
        "regions": {
            SRC: {
                "instances": [
                    {"id": INSTANCE, "engine": "postgres", "backupRetentionPeriod": 3,
                     "preferredBackupWindow": "03:00-03:30", "preferredMaintenanceWindow": "sun:05:00-sun:06:00",
                     "storageEncrypted": True, "kmsKeyId": SRC_KEY, "allocatedStorage": 50,
                     "tags": {"Environment": "production"}},
                    {"id": "reports-db", "engine": "mysql", "backupRetentionPeriod": 1,
                     "preferredBackupWindow": "01:00-01:30", "preferredMaintenanceWindow": "mon:05:00-mon:06:00"},
                ],
                "snapshots": [
                    # an operator's snapshot of the managed instance
                    {"id": "before-upgrade", "instance": INSTANCE, "type": "manual",
                     "created": rfc3339(before), "tags": {"Owner": "sre"}},
                    # named as snapkeep names its own, but without the ownership tag
                    {"id": snapshot_id(slot_of(before)), "instance": INSTANCE, "type": "manual",
                     "created": rfc3339(before)},
                    # owned by a policy that is not in the set (renamed, or another team's)
                    {"id": "legacy-orders-20190101", "instance": INSTANCE, "type": "manual",
                     "created": rfc3339(before - dt.timedelta(days=300)),
                     "tags": {"snapkeep:policy": "legacy", "snapkeep:instance": INSTANCE}},
                    # of an instance no policy selects
                    {"id": "reports-manual", "instance": "reports-db", "type": "manual",
                     "created": rfc3339(before)},
                ],
                "kmsKeys": ["alias/aws/rds"],
            },
            DST: {
                "instances": [],
                "snapshots": [
                    {"id": "dr-orders-manual", "instance": INSTANCE, "type": "manual",
                     "created": rfc3339(before), "sourceRegion": SRC,
                     "sourceSnapshot": "arn:aws:rds:%s:%s:snapshot:before-upgrade" % (SRC, ACCOUNT),
                     "originalCreated": rfc3339(before), "tags": {"Owner": "sre"}},
                ],
                "kmsKeys": ["alias/dr"],
            },
        },
    }


def _flow(d):
    return "{%s}" % ", ".join("%s: %d" % kv for kv in d.items())


def policy_yaml(retain=RETAIN, copy_retain=COPY_RETAIN):
    """The policy; copy_retain None: no copies."""
    text = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: %s}
spec:
  regions: [%s]
  selector: {instances: [%s]}
  snapshots:
    schedule: "%d %d * * *"
    retain: %s
""" % (POLICY, SRC, INSTANCE, SCHEDULE_MINUTE, SCHEDULE_HOUR, _flow(retain))
    if copy_retain is not None:
        text += """    copies:
      - {region: %s, kmsKeyId: alias/dr, retain: %s}
""" % (DST, _flow(copy_retain))
    return text


def settings_yaml(quota, copies_in_flight=None):
    text = """apiVersion: snapkeep/v1
kind: Settings
metadata: {name: settings}
spec:
  snapshotQuota: %s
""" % _flow(quota)
    if copies_in_flight is not None:
        text += "  copiesInFlight: %d\n" % copies_in_flight
    return text


class Model:
    """What each region should hold after each day's apply, from the rules alone.

    times[d] is when day d's apply runs (and its snapshot is created);
    copies_from is the first day the policy has copies; busy[d] counts copies
    someone else has in flight to the copy region when day d's apply starts;
    cap is Settings' copiesInFlight."""

    def __init__(self, times, copies_from=0, busy=None, cap=COPIES_IN_FLIGHT):
        self.times = times
        self.copies_from = copies_from
        self.busy = busy or {}
        self.cap = cap
        self.created = {}  # source id -> creation time
        self.src = []      # day -> source ids that exist after the apply
        self.dst = []      # day -> source ids whose copy exists after the apply
        self.made = []     # day -> source ids copied that day (all the rules want: one apply converges)
        self.turns = []    # day -> True when more copies are wanted than may be in progress at once
        self.history_diff = None  # the first day forget over the history names another set
        src, dst, hist = set(), set(), []
        for d, now in enumerate(times):
            sid = snapshot_id(slot_of(now))
            self.created[sid] = now
            hist.append((now, sid))
            src = self.keep(src | {sid}, RETAIN)
            by_history = kept(forget(hist, RETAIN))
            if by_history != src and self.history_diff is None:
                self.history_diff = (d, sorted(by_history - src), sorted(src - by_history))
            made, turns = [], False
            if d >= copies_from:
                # candidates: the sources that exist and have no copy; one the copy rules do not
                # keep is not made, and the rules run again without it
                cands = src - dst
                while True:
                    k = self.keep(dst | cands, COPY_RETAIN)
                    if cands <= k:
                        break
                    cands &= k
                made = sorted(cands, key=lambda s: (self.created[s], s), reverse=True)
                turns = len(made) + self.busy.get(d, 0) > self.cap
                # deletions are judged against the copies that will exist
                dst = self.keep(dst | set(made), COPY_RETAIN) | set(made)
            self.src.append(src)
            self.dst.append(dst)
            self.made.append(made)
            self.turns.append(turns)

    def keep(self, ids, rules):
        return kept(forget([(self.created[s], s) for s in ids], rules))

    def new_id(self, d):
        return snapshot_id(slot_of(self.times[d]))

    def src_before(self, d):
        """The source region's owned snapshots once day d's is made, before the deletions."""
        return (self.src[d - 1] if d else set()) | {self.new_id(d)}

    def dst_before(self, d):
        return (self.dst[d - 1] if d else set()) | set(self.made[d])

    def peak(self, region):
        """The most snapshots the policy holds in a region at once (apply creates and copies
        before it deletes)."""
        f = self.src_before if region == SRC else self.dst_before
        return max(len(f(d)) for d in range(len(self.times)))


class Simulation:
    def __init__(self, start, days, binary, workdir, copies_from=0, operator_copy_day=None, plan_every=1,
                 copies_in_flight=None, copy_describes=0):
        self.start = start
        self.days = days
        self.binary = binary
        self.workdir = workdir
        self.times = [start + dt.timedelta(days=d) for d in range(days)]
        self.copies_from = copies_from
        self.operator_copy_day = operator_copy_day if operator_copy_day is not None and \
            0 < operator_copy_day < days else None
        busy = {self.operator_copy_day: 1} if self.operator_copy_day is not None else {}
        self.busy = busy
        # copiesInFlight as Settings says it (None: not set, AWS's 20)
        self.copies_in_flight = copies_in_flight
        # copyDescribes: 0, a copy is pending for the rest of its day (an hour of the frozen clock);
        # 1, it is available at the next DescribeDBSnapshots in the copy region (apply's poll), so the
        # apply can start the next copies in the same run
        self.copy_describes = copy_describes
        self.model = Model(self.times, copies_from, busy,
                           COPIES_IN_FLIGHT if copies_in_flight is None else copies_in_flight)
        self.plan_every = plan_every
        # the tightest quota the rules allow: what no policy owns (the operator's copy included)
        # plus the policy's own peak, so one snapshot more would be refused
        self.quota = {SRC: UNMANAGED[SRC] + self.model.peak(SRC),
                      DST: UNMANAGED[DST] + (1 if busy else 0) + self.model.peak(DST)}
        self.failures = {}  # check -> (day, why): the first failure
        self.counts = {}    # check -> times it held
        self.peak = {SRC: 0, DST: 0}  # the most manual snapshots seen at once, replaying the call log
        self.in_flight = {}  # day -> the most copies in progress in the copy region at once, from the call log
        self.first_calls = []  # the calls of the day's first apply
        self.seconds = 0.0
        self.applies = 0
        self.days_run = 0

    # ---- bookkeeping ----

    def check(self, name, cond, day, why):
        if cond:
            self.counts[name] = self.counts.get(name, 0) + 1
        elif name not in self.failures:
            self.failures[name] = (day, why() if callable(why) else why)
        return bool(cond)

    def sk(self, *args):
        return t.snapkeep(*args, env=self.env, binary=self.binary)

    def calls(self):
        """The calls since the last look; the log is emptied each time (it is scanned per query)."""
        calls = self.emu.calls()["calls"]
        self.emu.admin("DELETE", "calls")
        return calls

    def apply(self):
        self.calls()
        self.applies += 1
        return self.sk("apply", "--repo", self.repo, "--path", "policies", "--auto-approve", "--now", self.now_text)

    def world(self):
        st = self.emu.state()
        return {r: {s["id"]: s for s in st["regions"].get(r, {}).get("snapshots", [])} for r in (SRC, DST)}

    @staticmethod
    def owned(snaps):
        return {i: s for i, s in snaps.items()
                if s["type"] == "manual" and (s.get("tags") or {}).get("snapkeep:policy") == POLICY}

    @staticmethod
    def unmanaged(snaps):
        # not the status: a copy someone else started goes from pending to available by itself
        return {i: (s.get("created"), s.get("originalCreated"), s.get("instance"), sorted((s.get("tags") or {}).items()))
                for i, s in snaps.items()
                if s["type"] == "manual" and (s.get("tags") or {}).get("snapkeep:policy") != POLICY}

    @staticmethod
    def manual(snaps):
        return sum(1 for s in snaps.values() if s["type"] == "manual")

    def operator_copy(self, source_id):
        """Someone copies one of snapkeep's snapshots to the DR region by hand, without tags."""
        src_arn = "arn:aws:rds:%s:%s:snapshot:%s" % (SRC, ACCOUNT, source_id)
        params = {"SourceDBSnapshotIdentifier": src_arn, "TargetDBSnapshotIdentifier": "operator-dr-copy",
                  "KmsKeyId": "alias/dr", "SourceRegion": SRC,
                  "PreSignedUrl": self.emu.presign("CopyDBSnapshot", {"SourceDBSnapshotIdentifier": src_arn},
                                                   SRC, DST)}
        status, body, _ = self.emu.call("rds", "CopyDBSnapshot", params, region=DST)
        return status, body

    def commit(self, message, copies):
        t.git_commit(self.repo, {"policies/orders.yaml": policy_yaml(copy_retain=COPY_RETAIN if copies else None),
                                 "policies/settings.yaml": settings_yaml(dict(self.quota, default=100),
                                                                         self.copies_in_flight)}, message)

    # ---- the run ----

    def run(self):
        began = time.time()
        self.repo = os.path.join(self.workdir, "policies")
        emu_dir = os.path.join(self.workdir, "emulator")
        os.makedirs(emu_dir, exist_ok=True)
        with Emulator(seed=seed(self.start), workdir=emu_dir) as emu:
            self.emu = emu
            self.env = emu.env()
            self.env.update({"SNAPKEEP_STATE_DIR": os.path.join(self.workdir, "state"), "NO_COLOR": "1"})
            # a new snapshot is available at the next describe (the apply's wait), so copies
            # follow the same day with the clock frozen; a copy takes an hour of emulator time,
            # so it is pending for the rest of its day and available the next
            emu.config(createSeconds=60, createDescribes=1, copySeconds=3600, copyDescribes=self.copy_describes,
                       snapshotQuota=dict(self.quota, default=100))
            emu.clock(set=rfc3339(self.times[0]))
            os.makedirs(self.repo)
            t.git(self.repo, "init", "-q", "-b", "main")
            self.commit("orders: daily snapshots", self.copies_from == 0)
            self.baseline = {r: self.unmanaged(s) for r, s in self.world().items()}
            for d in range(self.days):
                if d and d == self.copies_from:
                    self.commit("orders: copies to %s" % DST, True)
                if not self.day(d):
                    break
                self.days_run = d + 1
                if d + 1 < self.days:
                    emu.clock(advance=86400)
            self.final = self.world()
        self.seconds = time.time() - began
        return self

    def day(self, d):
        m = self.model
        now = self.times[d]
        self.now_text = rfc3339(now)
        clock = self.emu.clock()
        if not self.check("clock", clock["frozen"] and clock["epoch"] == now.timestamp(), d,
                          "emulator clock %r, expected frozen at %s" % (clock, self.now_text)):
            return False
        if d == self.operator_copy_day:
            # the operator's copy takes its hour whatever the describes: in progress all day
            self.emu.config(copyDescribes=0)
            status, body = self.operator_copy(m.new_id(d - 1))
            self.emu.config(copyDescribes=self.copy_describes)
            if not self.check("operator-copy", status == 200, d, "the operator's copy failed: %s" % body):
                return False
            self.baseline = {r: self.unmanaged(s) for r, s in self.world().items()}

        before = self.world()
        new = m.new_id(d)
        gone_src = m.src_before(d) - m.src[d]
        gone_dst = m.dst_before(d) - m.dst[d]
        r = self.apply()
        calls = self.calls()
        self.first_calls = calls
        ok = self.check("apply", r.rc == 0, d, lambda: "the apply failed: %r" % r)
        muts = sorted((c["action"], c["region"],
                       c["params"].get("DBSnapshotIdentifier") or c["params"].get("TargetDBSnapshotIdentifier"))
                      for c in calls if c.get("mutating"))
        want = sorted([("CreateDBSnapshot", SRC, new)] +
                      [("CopyDBSnapshot", DST, copy_id(s)) for s in m.made[d]] +
                      [("DeleteDBSnapshot", SRC, s) for s in gone_src] +
                      [("DeleteDBSnapshot", DST, copy_id(s)) for s in gone_dst])
        ok &= self.check("calls", muts == want, d,
                         lambda: "mutating calls:\n  got:  %r\n  want: %r" % (muts, want))
        errors = [(c["action"], c["error"]) for c in calls if c.get("error")]
        ok &= self.check("no-errors", not errors, d, lambda: "AWS errors during the apply: %r" % errors)
        # the manual snapshots per region at every moment of the apply, from the call log in order
        count = {reg: self.manual(before[reg]) for reg in (SRC, DST)}
        for c in sorted(calls, key=lambda c: c["seq"]):
            if c.get("mutating") and not c.get("error") and c["region"] in count:
                count[c["region"]] += {"CreateDBSnapshot": 1, "CopyDBSnapshot": 1, "DeleteDBSnapshot": -1}.get(
                    c["action"], 0)
                self.peak[c["region"]] = max(self.peak[c["region"]], count[c["region"]])
        summary = "%d created, %d copied, 0 changed, %d deleted" % (1, len(m.made[d]), len(gone_src) + len(gone_dst))
        ok &= self.check("summary", summary in r.out, d,
                         lambda: "%r not in the apply's output:\n%s" % (summary, r.out))
        # (the copy region is observed, and shown, once the policy copies there)
        lines = ["Snapshots in %s: manual %d → %d (quota %d);" % (reg, self.manual(before[reg]),
                                                                  self.manual(before[reg]) + delta, self.quota[reg])
                 for reg, delta in ((SRC, 1 - len(gone_src)), (DST, len(m.made[d]) - len(gone_dst)))
                 if reg == SRC or d >= self.copies_from]
        ok &= self.check("region-lines", all(x in r.out for x in lines), d,
                         lambda: "%r not in the plan:\n%s" % (lines, r.out))
        # copies in progress in the copy region at each CopyDBSnapshot, replaying the call log: someone
        # else's (in progress all day) and snapkeep's since the last DescribeDBSnapshots there (with
        # copyDescribes 1, a copy is available at the next one; else it is in progress all day)
        busy, most = self.busy.get(d, 0), 0
        for c in sorted(calls, key=lambda c: c["seq"]):
            if c["region"] != DST:
                continue
            if c["action"] == "DescribeDBSnapshots" and self.copy_describes:
                busy = self.busy.get(d, 0)
            elif c["action"] == "CopyDBSnapshot" and c["status"] == 200:
                busy += 1
                most = max(most, busy)
        self.in_flight[d] = most
        ok &= self.check("in-flight", most <= m.cap, d,
                         "%d copies in progress in %s at once, more than copiesInFlight %d" % (most, DST, m.cap))
        if m.turns[d]:
            note = "%d copies into %s, at most %d in progress at once (copiesInFlight" % (len(m.made[d]), DST, m.cap)
            ok &= self.check("turns-note", note in r.out, d, lambda: "%r not in the plan:\n%s" % (note, r.out))
        ok &= self.verify(d, self.world(), "")

        # the same day again: nothing to do
        r2 = self.apply()
        muts2 = [(c["action"], c["region"]) for c in self.calls() if c.get("mutating")]
        ok &= self.check("again-no-calls", r2.rc == 0 and not muts2 and "No changes." in r2.out, d,
                         lambda: "the second apply: mutating calls %r\n%r" % (muts2, r2))
        if self.plan_every and d % self.plan_every == 0:
            r3 = self.sk("plan", "--repo", self.repo, "--path", "policies", "--detailed-exitcode",
                         "--now", self.now_text)
            ok &= self.check("again-plan-empty", r3.rc == 0, d, lambda: "plan --detailed-exitcode: %r" % r3)
        ok &= self.verify(d, self.world(), "again-")
        return ok

    def verify(self, d, world, pfx):
        m = self.model
        src = self.owned(world[SRC])
        dst = self.owned(world[DST])
        ok = self.check(pfx + "src-set", set(src) == m.src[d], d,
                        lambda: "%s holds the wrong snapshots:\n  not expected: %s\n  missing:      %s"
                        % (SRC, sorted(set(src) - m.src[d]), sorted(m.src[d] - set(src))))
        # copies, by the source their snapkeep:source tag names
        by_source = {(c.get("tags") or {}).get("snapkeep:source", "").rsplit(":", 1)[-1]: c for c in dst.values()}
        ok &= self.check(pfx + "dst-set", set(by_source) == m.dst[d] and len(by_source) == len(dst), d,
                         lambda: "%s holds the wrong copies (by source):\n  not expected: %s\n  missing:      %s"
                         % (DST, sorted(set(by_source) - m.dst[d]), sorted(m.dst[d] - set(by_source))))
        bad = []
        for sid, s in src.items():
            tags = s.get("tags") or {}
            made = m.created.get(sid)
            # the apply waits for a new snapshot only when it copies it; else the next describe
            # (the second apply's) finds it available
            status = "creating" if sid == m.new_id(d) and d < self.copies_from and not pfx else "available"
            if s["status"] != status or parse_time(s.get("created")) != made or s.get("instance") != INSTANCE \
                    or not s.get("encrypted") or tags.get("snapkeep:instance") != INSTANCE \
                    or tags.get("snapkeep:slot") != rfc3339(slot_of(made)):
                bad.append((sid, s["status"], s.get("created"), tags))
        for sid, c in by_source.items():
            tags = c.get("tags") or {}
            if sid not in m.created:
                continue  # reported by dst-set
            if c["id"] != copy_id(sid) or c["status"] != self.copy_status(sid, d, pfx) \
                    or parse_time(c.get("originalCreated")) != m.created[sid] or c.get("sourceRegion") != SRC \
                    or not c.get("encrypted") or not (c.get("kmsKeyId") or "").startswith("arn:aws:kms:%s:" % DST) \
                    or tags.get("snapkeep:source") != "arn:aws:rds:%s:%s:snapshot:%s" % (SRC, ACCOUNT, sid) \
                    or tags.get("snapkeep:slot") != rfc3339(slot_of(m.created[sid])):
                bad.append((c["id"], c["status"], c.get("originalCreated"), c.get("kmsKeyId"), tags))
        ok &= self.check(pfx + "attributes", not bad, d, lambda: "snapshots not as made: %r" % bad[:3])
        for region in (SRC, DST):
            now_unmanaged = self.unmanaged(world[region])
            ok &= self.check(pfx + "unmanaged", now_unmanaged == self.baseline[region], d,
                             lambda: "%s: snapshots no policy owns changed:\n  were: %r\n  now:  %r"
                             % (region, self.baseline[region], now_unmanaged))
            ok &= self.check(pfx + "quota", self.peak[region] <= self.quota[region], d,
                             "%s held %d manual snapshots, quota %d" % (region, self.peak[region], self.quota[region]))
        autos = [s for s in world[SRC].values() if s["type"] == "automated" and s.get("instance") == INSTANCE]
        ok &= self.check(pfx + "automated", len(autos) == 3, d,
                         lambda: "automated snapshots of %s: %r" % (INSTANCE, sorted(s["id"] for s in autos)))
        return ok

    def copy_status(self, sid, d, pfx):
        """What the copy of sid should say: one made today is pending, unless a DescribeDBSnapshots in
        the copy region came after its CopyDBSnapshot while copyDescribes is 1 (the apply's poll, or the
        second apply's observing); older ones are available."""
        if sid not in self.model.made[d]:
            return "available"
        if not self.copy_describes:
            return "pending"
        if pfx:
            return "available"
        seq = [c["seq"] for c in self.first_calls if c["action"] == "CopyDBSnapshot" and c["region"] == DST and
               c["params"].get("TargetDBSnapshotIdentifier") == copy_id(sid)]
        later = [c for c in self.first_calls if c["action"] == "DescribeDBSnapshots" and c["region"] == DST and
                 seq and c["seq"] > seq[0]]
        return "available" if later else "pending"

    # ---- reporting ----

    def report(self, what):
        """One TAP result per check, over every day simulated."""
        checks = ["clock", "apply", "calls", "no-errors", "in-flight", "summary", "region-lines", "src-set", "dst-set",
                  "attributes", "unmanaged", "quota", "automated", "again-no-calls", "again-plan-empty",
                  "again-src-set", "again-dst-set", "again-unmanaged"]
        texts = {
            "clock": "the emulator clock stood frozen at each day's --now",
            "apply": "every first apply succeeded",
            "calls": "each day's mutating calls were exactly: create today's snapshot, copy what the copy rules "
                     "want, delete what the rules let go (nothing else, no automated or unmanaged snapshot)",
            "no-errors": "no AWS call failed (no quota, copy-limit or state error)",
            "in-flight": "never more copies in progress in %s than copiesInFlight (%d), someone else's "
                         "included (call log)" % (DST, self.model.cap),
            "summary": "each apply's summary counted what the model expects",
            "region-lines": "each plan showed each region's manual count before → after of the quota",
            "src-set": "%s held exactly the snapshots restic's forget keeps of the survivors" % SRC,
            "dst-set": "%s held exactly the copies the copy rules keep, by source creation time" % DST,
            "attributes": "every snapshot and copy carried its ownership tags, times, encryption and the DR key",
            "unmanaged": "snapshots no policy owns (and the operator's copy) were never changed",
            "quota": "no region ever held more manual snapshots than its quota",
            "automated": "automated backups came and went on their own (3 at all times)",
            "again-no-calls": "a second apply the same day made no mutating call and said No changes.",
            "again-plan-empty": "plan --detailed-exitcode exited 0 after it",
            "again-src-set": "%s was unchanged after the second apply" % SRC,
            "again-dst-set": "%s was unchanged after the second apply" % DST,
            "again-unmanaged": "and snapshots no policy owns were still untouched",
        }
        t.is_(self.days_run, self.days, "%s: all %d days ran" % (what, self.days))
        for c in checks:
            if c == "again-plan-empty" and not self.plan_every:
                continue
            if c in self.failures:
                day, why = self.failures[c]
                t.ok(False, "%s: %s" % (what, texts[c]), "day %d (%s): %s" % (day, rfc3339(self.times[day]), why))
            else:
                t.ok(self.counts.get(c, 0) > 0, "%s: %s (%d times)" % (what, texts[c], self.counts.get(c, 0)),
                     "never checked")
        other = sorted(set(self.failures) - set(checks))
        t.ok(not other, "%s: no other check failed" % what,
             "\n".join("%s on day %d: %s" % (c, self.failures[c][0], self.failures[c][1]) for c in other))
