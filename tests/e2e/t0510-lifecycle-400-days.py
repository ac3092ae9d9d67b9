#!/usr/bin/env python3
# tests/run: start early (one of the longest tests)
"""Issue 5, the snapshot life cycle end to end: 400 simulated days against the emulator.

Policy: a daily schedule (30 3 * * *), retain {daily: 7, weekly: 4,
monthly: 12} in us-east-1, copies to us-west-2 (kmsKeyId alias/dr, the
instance is encrypted) retaining {daily: 30}.  The emulator clock is frozen
and moved one day at a time; each day `snapkeep apply --auto-approve --now
<emulator time>` runs, then the test checks, against its own model
(lib/lifecycle_sim.py over lib/restic_forget.py, never snapkeep's engine):

  * each region holds exactly the snapshots the rules keep: restic's forget
    over the snapshots that still exist (copies by their source's creation
    time), and the day's mutating calls are exactly the create, the copies
    and the deletions that follow from it;
  * snapshots no policy owns (an operator's, an untagged look-alike of
    snapkeep's name, another policy's, another instance's, an operator's
    copy made mid-run) and automated backups are never touched;
  * the region quota is set to the tightest value the rules allow and is
    never exceeded, at any moment of an apply (replayed from the call log);
  * one apply makes every copy the rules want, never more in progress in
    the copy region than Settings' copiesInFlight (AWS's 20 by default),
    someone else's copy included (replayed from the call log);
  * a second apply the same day makes no mutating call and
    `plan --detailed-exitcode` exits 0.

Runs:
  1. 400 days from 2020-02-01 (a leap day, ISO week 2020-W53, a year change),
     with the release binary ($SNAPKEEP_REL_BIN) for speed: 800 applies and
     400 plans; an operator copies one of snapkeep's snapshots by hand on day 3.
  2. 45 days with the sanitized binary ($SNAPKEEP_BIN) from 2026-12-01 at
     exactly the slot time (at-or-before), across 2026-W53 and a year change;
     copies are switched on by a commit on day 10, so the kept sources are
     copied in arrears, all in that day's one apply, with Settings
     copiesInFlight: 4 and an operator's copy in progress all day: 3 at a
     time, the next as the apply's poll sees earlier ones available (the
     emulator makes a copy available at the next DescribeDBSnapshots there);
     the back-filled copies expire by their source's age.
  3. A lowered quota: snapkeep refuses the snapshot (and later a copy) it
     has no room for, says so in the plan, and resumes once there is room.

SNAPKEEP_SIM_DAYS=N shortens run 1 (to look at a failure quickly); a failing day
is reported with its date, what differed and snapkeep's output, and the run stops there.
"""
import datetime as dt
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import lifecycle_sim as ls
import sktest as t
from emulator_ctl import Emulator

MAIN_DAYS = int(os.environ.get("SNAPKEEP_SIM_DAYS", "400"))
SLICE_DAYS = 45
# the long variant (t0510-lifecycle-400-days.long.py) runs the 400 days under the sanitizers too
MAIN_BIN = t.BIN if "--sanitized" in sys.argv else t.REL_BIN

for b in (MAIN_BIN, t.BIN):
    if not os.access(b, os.X_OK):
        t.bail("%s is not built (make %s)" % (b, os.path.relpath(b, t.TOP)))

work = t.tmpdir()


def main_run():
    start = ls.parse_time("2020-02-01T03:37:00Z")
    sim = ls.Simulation(start, MAIN_DAYS, MAIN_BIN, os.path.join(work, "main"), operator_copy_day=3)
    m = sim.model
    t.ok(m.history_diff is None,
         "model: for these rules, forget over the survivors names the same set as forget over the whole "
         "history, every day", "day %r: history only %r, survivors only %r" % (m.history_diff or (None,) * 3))
    sim.run()
    what = "%d days (%s)" % (MAIN_DAYS, os.path.basename(MAIN_BIN))
    sim.report(what)
    t.is_(sim.peak, sim.quota, "%s: the quota was reached, exactly, in both regions" % what)
    if MAIN_DAYS >= 400:
        # the end state by the calendar, as specs/README.md words the rules: the last 7 days, the last
        # day of each of the last 4 ISO weeks, the last day of each of the last 12 months (with one
        # snapshot a day, a bucket's newest is its last day, or today for the current one)
        last = sim.times[-1]
        keep = {last - dt.timedelta(days=k) for k in range(7)}
        keep |= {min(last, last + dt.timedelta(days=6 - last.weekday() - 7 * k)) for k in range(4)}
        month = last
        for k in range(12):
            keep.add(month)
            month = month.replace(day=1) - dt.timedelta(days=1)
        want = sorted(ls.snapshot_id(ls.slot_of(x)) for x in keep)
        t.is_(sorted(ls.Simulation.owned(sim.final[ls.SRC])), want,
              "%s: at the end us-east-1 holds the last 7 days, the last day of each of the last 4 ISO weeks "
              "and of each of the last 12 months (%d snapshots)" % (what, len(want)))
        want = sorted(ls.copy_id(ls.snapshot_id(ls.slot_of(last - dt.timedelta(days=k)))) for k in range(30))
        t.is_(sorted(ls.Simulation.owned(sim.final[ls.DST])), want,
              "%s: and us-west-2 the copies of the last 30 days' snapshots" % what)
    t.diag("%s: %.1f s for %d applies; quota %r" % (what, sim.seconds, sim.applies, sim.quota))


def slice_run():
    start = ls.parse_time("2026-12-01T03:30:00Z")
    sim = ls.Simulation(start, SLICE_DAYS, t.BIN, os.path.join(work, "slice"), copies_from=10, operator_copy_day=10,
                        copies_in_flight=4, copy_describes=1)
    m = sim.model
    # the scenario is what it claims to be: a back-log larger than what may be in progress at once
    t.ok(len(m.made[10]) > 2 * 3 and m.turns[10] and not any(m.turns[11:]) and len(m.made[11]) == 1,
         "model: on day 10 all %d copies go out, more than the 3 at a time there is room for; then 1 a day"
         % len(m.made[10]), (m.made[10], m.made[11]))
    # copies age by their source: the copy of day 0's snapshot, back-filled on day 10, goes before the copies
    # made that day of newer snapshots
    def gone(sid):
        return min([d for d in range(1, SLICE_DAYS) if sid in m.dst[d - 1] and sid not in m.dst[d]] or [None])
    first = ls.snapshot_id(ls.slot_of(start))
    newer = [s for s in m.made[10] if s != first]
    t.ok(first in m.made[10] and gone(first) is not None and all(gone(first) < (gone(s) or SLICE_DAYS)
                                                                 for s in newer),
         "model: the copy of day 0 made on day 10 goes (day %r) before those made that day of newer snapshots"
         % gone(first), [(s, gone(s)) for s in m.made[10]])
    sim.run()
    what = "%d days (%s), copies from day 10" % (SLICE_DAYS, os.path.basename(t.BIN))
    sim.report(what)
    t.is_(sim.peak, sim.quota, "%s: the quota was reached, exactly, in both regions" % what)
    t.is_(sim.in_flight.get(10), 4, "%s: on day 10, 4 copies were in progress at once (the operator's and 3), "
          "never more" % what)
    t.diag("%s: %.1f s for %d applies; quota %r" % (what, sim.seconds, sim.applies, sim.quota))


def quota_run():
    """Quota lowered to what the region holds: the snapshot, then the copy, is refused and the plan says so."""
    start = ls.parse_time("2027-03-01T03:30:00Z")
    wd = os.path.join(work, "quota")
    repo = os.path.join(wd, "policies")
    os.makedirs(os.path.join(wd, "emulator"))
    times = [start + dt.timedelta(days=d) for d in range(7)]
    ids = [ls.snapshot_id(x) for x in times]
    daily3 = {"daily": 3}
    with Emulator(seed=ls.seed(start), workdir=os.path.join(wd, "emulator")) as emu:
        env = emu.env()
        env.update({"SNAPKEEP_STATE_DIR": os.path.join(wd, "state"), "NO_COLOR": "1"})
        emu.config(createSeconds=60, createDescribes=1, copySeconds=3600)
        emu.clock(set=ls.rfc3339(start))
        t.git_repo(repo, {"policies/orders.yaml": ls.policy_yaml(retain=daily3, copy_retain=daily3)})

        def apply(d):
            emu.admin("DELETE", "calls")
            before = {r: ls.Simulation.manual(s) for r, s in world().items()}
            r = t.snapkeep("apply", "--repo", repo, "--path", "policies", "--auto-approve", "--now",
                           ls.rfc3339(times[d]), env=env)
            calls = sorted(emu.calls()["calls"], key=lambda c: c["seq"])
            peak = dict(before)
            for c in calls:
                if c.get("mutating") and not c.get("error"):
                    before[c["region"]] += {"CreateDBSnapshot": 1, "CopyDBSnapshot": 1}.get(c["action"], -1)
                    peak[c["region"]] = max(peak[c["region"]], before[c["region"]])
            muts = [(c["action"], c["region"], c["params"].get("DBSnapshotIdentifier") or
                     c["params"].get("TargetDBSnapshotIdentifier")) for c in calls if c.get("mutating")]
            return r, muts, peak, [c for c in calls if c.get("error")]

        def world():
            st = emu.state()
            return {r: {s["id"]: s for s in st["regions"][r]["snapshots"]} for r in (ls.SRC, ls.DST)}

        def owned(region):
            return sorted(ls.Simulation.owned(world()[region]))

        unmanaged = {r: ls.Simulation.unmanaged(s) for r, s in world().items()}

        for d in range(4):
            r, muts, peak, errors = apply(d)
            if r.rc or errors:
                t.bail("quota scenario, day %d: %r %r" % (d, r, errors))
            emu.clock(advance=86400)
        t.is_(owned(ls.SRC), ids[1:4], "quota: after 4 days us-east-1 holds the 3 newest (daily 3)")
        src_count = ls.Simulation.manual(world()[ls.SRC])

        # day 4: us-east-1's quota lowered to what it holds. The day's snapshot is refused, but the rules
        # count it, so the oldest goes and the next run has room (a region at its quota is never stuck)
        quota = {"us-east-1": src_count, "default": 100}
        emu.config(snapshotQuota=quota)
        t.git_commit(repo, {"policies/settings.yaml": ls.settings_yaml(quota)}, "quota at its fill")
        now = ls.rfc3339(times[4])
        p = t.snapkeep("plan", "--repo", repo, "--path", "policies", "--now", now, "--output", "json", env=env)
        notes = [n for n in p.json().get("notes", []) if n["kind"] == "safety"] if p.rc == 0 else []
        refusal = "1 new snapshot refused (%s): us-east-1 is at its manual-snapshot quota of %d" % (ls.INSTANCE,
                                                                                                    src_count)
        t.ok(any(n["message"].startswith(refusal) and n["instance"] == ls.INSTANCE and n["region"] == ls.SRC
                 for n in notes),
             "quota: the JSON plan carries the refusal as a safety note", (p, notes))
        acts = p.json()["actions"] if p.rc == 0 else []
        t.ok(acts and not [a for a in acts if a["action"] in ("create", "copy")] and
             [(a["action"], a["target"]) for a in acts] == [("delete", ids[1])] and
             acts[0]["reason"].startswith("deleted to make room for ") and "us-east-1 quota refused" in acts[0]["reason"],
             "quota: and plans no create and no copy, only the deletion that makes room, saying so", acts)
        r, muts, peak, errors = apply(4)
        t.ok(r.rc == 0 and refusal in r.out, "quota: the apply says it refused the snapshot, and why", r)
        t.ok(muts == [("DeleteDBSnapshot", ls.SRC, ids[1])] and not errors,
             "quota: no CreateDBSnapshot or CopyDBSnapshot was even tried; the oldest was deleted", muts)
        t.ok(peak[ls.SRC] <= src_count, "quota: us-east-1 never held more than its quota", peak)
        emu.clock(advance=86400)

        # day 5: deleting made room, so the day's snapshot is taken and copied
        r, muts, peak, errors = apply(5)
        t.ok(r.rc == 0 and ("CreateDBSnapshot", ls.SRC, ids[5]) in muts and
             ("CopyDBSnapshot", ls.DST, ls.copy_id(ids[5])) in muts and not errors,
             "quota: once there is room, the next day's snapshot is taken and copied", (r, muts, errors))
        t.is_(owned(ls.SRC), [ids[2], ids[3], ids[5]], "quota: us-east-1 holds the 3 newest (daily 3 over what exists)")
        t.ok(peak[ls.SRC] <= src_count, "quota: still never above the quota", peak)
        emu.clock(advance=86400)

        # day 6: us-east-1 gets room for one more, us-west-2's quota is lowered to what it holds:
        # the snapshot is taken, its copy refused
        dst_count = ls.Simulation.manual(world()[ls.DST])
        quota = {"us-east-1": src_count + 1, "us-west-2": dst_count, "default": 100}
        emu.config(snapshotQuota=quota)
        t.git_commit(repo, {"policies/settings.yaml": ls.settings_yaml(quota)}, "DR quota at its fill")
        r, muts, peak, errors = apply(6)
        refusal = "1 copy refused (%s): us-west-2 is at its manual-snapshot quota of %d" % (ls.INSTANCE, dst_count)
        t.ok(r.rc == 0 and refusal in r.out, "quota: the apply says it refused the copy, and why", r)
        t.ok(("CreateDBSnapshot", ls.SRC, ids[6]) in muts and not [x for x in muts if x[0] == "CopyDBSnapshot"]
             and not errors, "quota: the snapshot is taken, no CopyDBSnapshot is tried", (muts, errors))
        t.ok(peak[ls.DST] <= dst_count and peak[ls.SRC] <= src_count + 1, "quota: neither region above its quota",
             peak)
        now_unmanaged = {r: ls.Simulation.unmanaged(s) for r, s in world().items()}
        t.is_(now_unmanaged, unmanaged, "quota: snapshots no policy owns are as they were")


main_run()
slice_run()
quota_run()
t.done()
