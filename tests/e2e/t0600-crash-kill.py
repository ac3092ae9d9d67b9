#!/usr/bin/env python3
# tests/run: start early (one of the longest tests)
"""Crash safety: apply is killed with SIGKILL at every mutating call and at
random moments, then run again; the result must be what an uninterrupted
apply makes.

The scenario (lib/crashkit.py) plans 10 mutating calls of every kind:
modify, start-replication, create, a cross-region copy (encrypted), and
deletes in both regions.  Against a reference (a fresh emulator, the same
seed, the clock frozen and --now fixed, one uninterrupted apply):

- for each mutating call N, the emulator makes call N and holds its answer
  (fault "hold"), and apply is killed while it waits: the change is made,
  the client never knew.  Then again killing apply as soon as call N's
  answer is in the call log;
- 50 runs killed at a random moment (SNAPKEEP_CRASH_SEED repeats a run);
- each mutating call in turn made but its answer lost (fault "dropAfter"):
  the retry must recognise the change as made (already-done);

and after each, apply again until a plan is empty.  Checked every time: the
final inventory equals the reference's (ids, tags, statuses, settings,
replication; times left out), no snapshot the reference keeps was deleted
(no deletion the policy would not make), no two snapshots of one slot, no
copy without its ownership tags, and every intent in the journal has an
outcome or a later run's resolution (the killed call's: "completed")."""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402

JOURNAL_ACTION = {"ModifyDBInstance": "modify", "StartDBInstanceAutomatedBackupsReplication": "start-replication",
                  "CreateDBSnapshot": "create", "CopyDBSnapshot": "copy", "DeleteDBSnapshot": "delete"}
RANDOM_RUNS = int(os.environ.get("SNAPKEEP_CRASH_RUNS", "50"))


def call_target(c):
    p = c["params"]
    v = p.get("DBSnapshotIdentifier") or p.get("TargetDBSnapshotIdentifier") or p.get("DBInstanceIdentifier")
    if not v and p.get("SourceDBInstanceArn"):
        v = p["SourceDBInstanceArn"].rsplit(":", 1)[-1]
    return (v or "").lower()


def describe(c):
    return "%s %s (%s)" % (c["action"], call_target(c), c["region"])


def after_crash(sc, ref_inv, ref_deleted, what, problems):
    """Converges after a crash and collects what is wrong; returns the number of applies it took."""
    runs, res = sc.converge()
    if runs is None:
        problems.append("%s: no convergence after 4 applies:\n%s" % (what, res[-2:]))
        return None
    inv = sc.inventory()
    if inv != ref_inv:
        problems.append("%s: the final inventory differs from the reference:\n%s\nvs\n%s" % (what, inv, ref_inv))
    extra = sorted(set(sc.deleted()) - ref_deleted)
    if extra:
        problems.append("%s: deleted what the uninterrupted run keeps: %s" % (what, extra))
    dup = sorted(x for x in set(sc.deleted()) if sc.deleted().count(x) > 1)
    if dup:
        problems.append("%s: deleted twice (a snapshot of the same id was recreated?): %s" % (what, dup))
    problems.extend("%s: %s" % (what, b) for b in ck.invariants(sc, inv))
    recs, damaged = sc.journal()
    left = ck.unresolved(recs)
    if left:
        problems.append("%s: intents without an outcome or a resolution: %s" % (what, left))
    return runs


work = t.tmpdir()
started = time.time()
with Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    sc = ck.Scenario(emu, work)

    # ---- the reference: one uninterrupted apply ----
    sc.fresh()
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.is_(r.rc, 0, "reference: the uninterrupted apply succeeds") or t.diag(r)
    ref_calls = sc.mutating()
    kinds = sorted(set(c["action"] for c in ref_calls))
    t.is_(kinds, sorted(JOURNAL_ACTION), "reference: apply makes every kind of mutating call")
    t.is_(len(ref_calls), ck.EXPECTED_MUTATING, "reference: %d mutating calls" % ck.EXPECTED_MUTATING)
    t.ok(all(c["status"] == 200 for c in ref_calls), "reference: all of them succeed",
         [describe(c) for c in ref_calls if c["status"] != 200])
    p = sc.sk("plan", *sc.source(), "--detailed-exitcode")
    t.is_(p.rc, 0, "reference: one apply converges (the next plan is empty)") or t.diag(p)
    ref_inv = sc.inventory()
    ref_deleted = set(sc.deleted())
    t.is_(len(ref_deleted), 6, "reference: 4 snapshots and 2 copies deleted")
    t.is_(ck.invariants(sc, ref_inv), [], "reference: one snapshot per slot, copies tagged")
    east = ref_inv["us-east-1"]
    t.ok("hand-made" in east["snapshots"] and east["instances"]["other-db"]["backupRetentionPeriod"] == 3,
         "reference: what the policy does not own is untouched")
    recs, _ = sc.journal()
    intents = [x for x in recs if x["type"] == "intent"]
    t.ok(len(intents) == ck.EXPECTED_MUTATING and not ck.unresolved(recs),
         "reference: the journal holds an intent and an outcome for each call", recs)
    ref_targets = sorted((JOURNAL_ACTION[c["action"]], c["region"]) for c in ref_calls)

    # ---- SIGKILL while the emulator holds the answer of mutating call N ----
    for n in range(1, ck.EXPECTED_MUTATING + 1):
        sc.fresh()
        emu.faults(mutating=True, skip=n - 1, hold=1.0, count=1, holdMs=60000)
        proc = sc.start("apply", "--auto-approve", *sc.source())
        held = sc.wait_for(lambda m: any(c.get("fault") == "hold" for c in m), proc=proc)
        ck.kill(proc)
        emu.faults()  # the held answer goes to a closed connection
        if not t.ok(held, "hold #%d: apply reached mutating call %d" % (n, n), (proc.out(), proc.err())):
            continue
        c = [x for x in held if x.get("fault") == "hold"][0]
        what = "killed while %s was held" % describe(c)
        recs, damaged = sc.journal()
        open_intents = [(x["action"], x["region"], x["target"].lower()) for x in ck.unresolved(recs)]
        mine = (JOURNAL_ACTION[c["action"]], c["region"])
        t.ok(c["status"] == 200 and (mine[0], mine[1], call_target(c)) in open_intents, "%s: the call was made and its "
             "intent has no outcome yet" % what, (c, open_intents))
        problems = []
        runs = after_crash(sc, ref_inv, ref_deleted, what, problems)
        recs, _ = sc.journal()
        res = [x for x in recs if x["type"] == "resolution" and x.get("action") == mine[0] and
               x.get("region") == mine[1] and x.get("target", "").lower() == call_target(c)]
        t.ok(not problems and res and res[0]["how"] == "completed",
             "%s: rerun converges to the reference (%s apply) and resolves the call as completed" % (what, runs),
             "\n".join(problems) or recs)
        if n == 3:
            first = sc.calls()
            t.ok(sum(1 for x in first if x["action"] == "CreateDBSnapshot" and x["status"] == 200) == 1,
                 "the snapshot whose answer was lost is not taken again")

    # ---- SIGKILL as soon as mutating call N's answer is in the call log ----
    for n in range(1, ck.EXPECTED_MUTATING + 1):
        sc.fresh()
        proc = sc.start("apply", "--auto-approve", *sc.source())
        seen = sc.wait_for(lambda m: len(m) >= n, proc=proc)
        ck.kill(proc)
        if not t.ok(seen, "answered #%d: apply reached mutating call %d" % (n, n), (proc.out(), proc.err())):
            continue
        what = "killed after the answer to %s" % describe(seen[n - 1])
        problems = []
        runs = after_crash(sc, ref_inv, ref_deleted, what, problems)
        t.ok(not problems, "%s: rerun converges to the reference (%s apply), journal complete" % (what, runs),
             "\n".join(problems))

    # ---- mutating call N made but its answer lost (the connection dropped): the retry recognises it ----
    for n in range(1, ck.EXPECTED_MUTATING + 1):
        sc.fresh()
        emu.faults(mutating=True, skip=n - 1, dropAfter=1.0, count=1)
        r = sc.sk("apply", "--auto-approve", *sc.source())
        emu.faults()
        lost = [c for c in sc.mutating() if c.get("fault") == "dropAfter"]
        what = "answer to %s lost" % (describe(lost[0]) if lost else "call %d" % n)
        recs, _ = sc.journal()
        results = sorted(x["result"] for x in recs if x["type"] == "outcome")
        mine = [x["result"] for x in recs if x["type"] == "outcome" and lost and
                x["action"] == JOURNAL_ACTION[lost[0]["action"]] and x["target"].lower() == call_target(lost[0])]
        ok_result = mine == ["already-done"] or (lost and lost[0]["action"] == "ModifyDBInstance" and mine == ["done"])
        problems = []
        runs = after_crash(sc, ref_inv, ref_deleted, what, problems)
        t.ok(r.rc == 0 and lost and ok_result and len(results) == ck.EXPECTED_MUTATING and runs == 1 and
             not problems, "%s: the retry finds it made (%s), apply succeeds in one run" % (what, mine),
             (r.err, results, problems))

    # ---- SIGKILL at random moments ----
    seed = int(os.environ.get("SNAPKEEP_CRASH_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    t.diag("random kills: SNAPKEEP_CRASH_SEED=%d" % seed)
    # a little latency on every call spreads apply out; a random moment is a random point in the call
    # sequence (after call k, or before the first one), plus a random delay
    latency = {"latencyMs": 3, "services": ["rds"]}
    sc.fresh()
    r = sc.sk("apply", "--auto-approve", *sc.source())
    calls = sc.calls()
    total = len(calls)
    first_mut = min(i for i, c in enumerate(calls) if c.get("mutating"))
    problems, phases, runs_needed = [], {}, []
    open_at_kill = torn = 0
    for i in range(RANDOM_RUNS):
        sc.fresh()
        emu.faults(**latency)
        # mostly inside the mutating phase; sometimes anywhere, or before the first call
        k = rng.randint(first_mut, total) if rng.random() < 0.7 else rng.randint(0, total)
        delay = rng.uniform(0, 0.05 if k == 0 else 0.003)
        proc = sc.start("apply", "--auto-approve", *sc.source())
        if k:
            sc.wait_for(lambda m: len(m) >= k, calls=True, proc=proc)
        time.sleep(delay)
        ck.kill(proc)
        emu.faults()
        made = len(sc.mutating())
        phases[made] = phases.get(made, 0) + 1
        open_at_kill += len(ck.unresolved(sc.journal()[0]))
        torn += 1 if sc.journal()[1] else 0
        before = len(problems)
        runs = after_crash(sc, ref_inv, ref_deleted, "random run %d (killed %.1f ms after call %d, %d mutating calls "
                           "made)" % (i, delay * 1000, k, made), problems)
        runs_needed.append(runs)
        if len(problems) > before:
            t.diag("run %d failed; repeat with SNAPKEEP_CRASH_SEED=%d" % (i, seed))
    t.diag("an apply makes %d calls; mutating calls made before the kill -> runs: %s" %
           (total, ", ".join("%d: %d" % kv for kv in sorted(phases.items()))))
    t.diag("intents left open by the kills: %d; runs killed in the middle of a journal write: %d; applies needed "
           "after a kill: %s" % (open_at_kill, torn, sorted(set(x for x in runs_needed if x))))
    t.ok(not problems, "%d runs killed at random moments: each converges to the reference inventory, deletes "
         "nothing else, journal complete" % RANDOM_RUNS, "\n".join(problems[:5]))
    if RANDOM_RUNS >= 20:
        t.ok(len([k for k in phases if 0 < k < ck.EXPECTED_MUTATING]) >= 3,
             "the random kills landed between different mutating calls", phases)

    # ---- what history shows of a crash ----
    sc.fresh()
    emu.faults(mutating=True, skip=2, hold=1.0, count=1, holdMs=60000)
    proc = sc.start("apply", "--auto-approve", *sc.source())
    sc.wait_for(lambda m: any(c.get("fault") == "hold" for c in m), proc=proc)
    ck.kill(proc)
    emu.faults()
    h = sc.sk("history")
    t.ok(h.rc == 0 and "unresolved" in h.out and "1 call without a known outcome" in h.out,
         "history after a crash shows the call without an outcome", h)
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.ok(r.rc == 0 and "did not finish" in r.err and "resolved against live state" in r.err,
         "the next apply warns about the crashed run and resolves its call", r)
    h = sc.sk("history")
    t.ok("resolved: completed" in h.out and "without a known outcome" not in h.out,
         "history then shows the resolution", h.out)

t.diag("t0600 took %.1f s" % (time.time() - started))
t.done()
