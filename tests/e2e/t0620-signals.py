#!/usr/bin/env python3
"""SIGINT and SIGTERM during apply: the call in flight is finished and
recorded, nothing new is started, the lock is released, the state file
records an interrupted run, and the exit code is 130 (SIGINT) or 143
(SIGTERM).  Sent while the emulator holds a mutating call's answer, while
apply waits for a new snapshot to become available, while it observes, and
while a call whose answer is lost is in flight (the journal must then leave
it for the next run to resolve, not call it skipped).  After each, the next
apply converges to what an uninterrupted apply makes."""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402


def by_intent(recs):
    """{(action, region, target): (intent, [outcome and resolution records])}"""
    out = {}
    ends = {}
    for r in recs:
        if r["type"] in ("outcome", "resolution"):
            ends.setdefault(r["intent"], []).append(r)
    for r in recs:
        if r["type"] == "intent":
            out[(r["action"], r["region"], r["target"].lower())] = (r, ends.get(r["id"], []))
    return out


def lock_free(sc):
    path = os.path.join(sc.state, "lock")
    free = not os.path.exists(path) or os.path.getsize(path) == 0
    r = sc.sk("force-unlock")
    return free and r.rc == 0 and "No lock is held" in r.out, (open(path).read() if os.path.exists(path) else None, r)


def state_file(sc):
    with open(os.path.join(sc.state, "state.json")) as f:
        return json.load(f)


def check_after(sc, what, proc, rc, sig_name, ref_inv):
    t.is_(rc, 130 if sig_name == "SIGINT" else 143, "%s: exit %d" % (what, 130 if sig_name == "SIGINT" else 143)) \
        or t.diag((proc.out(), proc.err()))
    ok, why = lock_free(sc)
    t.ok(ok, "%s: the lock is released" % what, why)
    try:
        st = state_file(sc)
        good = st["lastRun"]["outcome"] == "interrupted" and st["serial"] == 1
    except (OSError, ValueError, KeyError) as e:
        st, good = e, False
    t.ok(good, "%s: the state file is intact and records the run as interrupted" % what, st)
    runs, res = sc.converge()
    t.ok(runs and sc.inventory() == ref_inv and not ck.unresolved(sc.journal()[0]),
         "%s: the next apply converges to the reference, every intent ends" % what, res[-2:])


work = t.tmpdir()
with Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    sc = ck.Scenario(emu, work)
    sc.fresh()
    runs, res = sc.converge()
    t.is_(runs, 1, "reference: one uninterrupted apply converges") or t.diag(res)
    ref_inv = sc.inventory()

    # ---- SIGINT while the answer of the create is held: the create is finished and recorded ----
    for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
        sc.fresh()
        emu.faults(mutating=True, skip=2, hold=1.0, count=1, holdMs=1500)
        proc = sc.start("apply", "--auto-approve", *sc.source())
        held = sc.wait_for(lambda m: any(c.get("fault") == "hold" for c in m), proc=proc)
        t0 = time.monotonic()
        proc.send_signal(sig)
        rc = proc.wait(timeout=60)
        took = time.monotonic() - t0
        emu.faults()
        what = "%s while CreateDBSnapshot's answer is held" % name
        t.ok(held and held[-1]["action"] == "CreateDBSnapshot", "%s: apply got there" % what, held)
        t.ok(took >= 1.0, "%s: apply waited for the call in flight (%.2f s)" % (what, took))
        j = by_intent(sc.journal()[0])
        create = [v for k, v in j.items() if k[0] == "create"]
        t.ok(create and [o for o in create[0][1] if o["type"] == "outcome" and o["result"] == "done" and
                         o.get("requestId") == held[-1]["requestId"]],
             "%s: the journal records the create as done, with its RequestId" % what, j)
        t.is_(sorted(k[0] for k in j), ["create", "modify", "start-replication"],
              "%s: no call was started after the signal" % what)
        t.is_([c["action"] for c in sc.mutating()],
              ["ModifyDBInstance", "StartDBInstanceAutomatedBackupsReplication", "CreateDBSnapshot"],
              "%s: the call log agrees" % what)
        t.contains(proc.out(), "Apply interrupted!", "%s: apply says it was interrupted" % what)
        check_after(sc, what, proc, rc, name, ref_inv)

    # ---- SIGTERM while waiting for the new snapshot to become available ----
    sc.fresh()
    emu.config(createDescribes=0, createSeconds=3600)  # the clock is frozen: it stays 'creating'
    proc = sc.start("apply", "--auto-approve", *sc.source())
    seen = sc.wait_for(lambda m: any(c["action"] == "CreateDBSnapshot" for c in m) and
                       m[-1]["action"] == "DescribeDBSnapshots", calls=True, proc=proc)
    time.sleep(0.3)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=60)
    took = time.monotonic() - t0
    what = "SIGTERM while waiting for the new snapshot"
    t.ok(seen and took < 2, "%s: apply stops at once (%.2f s)" % (what, took), seen)
    j = by_intent(sc.journal()[0])
    t.ok(sorted(k[0] for k in j) == ["create", "modify", "start-replication"] and
         all(v[1] and v[1][0]["result"] == "done" for v in j.values()),
         "%s: the create is recorded done; the copy and the deletes were not started" % what, j)
    emu.clock(advance=3600)  # now it is available
    check_after(sc, what, proc, rc, "SIGTERM", ref_inv)

    # ---- SIGINT while observing: nothing is changed ----
    sc.fresh()
    emu.faults(latencyMs=1500, actions=["DescribeDBSnapshots"], count=None)
    proc = sc.start("apply", "--auto-approve", *sc.source())
    sc.wait_for(lambda m: any(c["action"] == "DescribeDBInstances" for c in m), calls=True, proc=proc)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=60)
    emu.faults()
    what = "SIGINT while observing"
    t.ok(rc == 130 and not sc.mutating(), "%s: exit 130, no mutating call" % what, (rc, proc.err()))
    ok, why = lock_free(sc)
    t.ok(ok and state_file(sc)["lastRun"]["outcome"] == "interrupted", "%s: lock released, run recorded" % what, why)

    # ---- SIGINT while a call whose answer will be lost is in flight ----
    # the emulator makes the create after 1.5 s and drops the connection; the signal came meanwhile, so the
    # client does not retry: whether the call was made is unknown to it
    sc.fresh()
    emu.faults(actions=["CreateDBSnapshot"], latencyMs=1500, dropAfter=1.0, count=1)
    proc = sc.start("apply", "--auto-approve", *sc.source())
    sc.wait_for(lambda m: len(m) >= 2, proc=proc)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=60)
    emu.faults()
    what = "SIGINT while a call whose answer is lost is in flight"
    # (libcurl itself sends a request again when a reused connection dies before any answer: that second
    # CreateDBSnapshot finds the snapshot there)
    made = [c for c in sc.mutating() if c["action"] == "CreateDBSnapshot"]
    t.ok(rc == 130 and made and made[0].get("fault") == "dropAfter" and made[0]["status"] == 200 and
         all(c["status"] == 400 for c in made[1:]), "%s: exit 130; the emulator made the create once" % what,
         (rc, made, proc.err()))
    j = by_intent(sc.journal()[0])
    create = [v for k, v in j.items() if k[0] == "create"]
    t.ok(create and [o["result"] for o in create[0][1]] == ["unknown"] and ck.unresolved(sc.journal()[0]),
         "%s: its outcome is journaled 'unknown' (not 'skipped'), the intent stays open" % what, create)
    h = sc.sk("history")
    t.contains(h.out, "unresolved", "%s: history shows it unresolved" % what)
    check_after(sc, what, proc, rc, "SIGINT", ref_inv)
    j = by_intent(sc.journal()[0])
    create = [v for k, v in j.items() if k[0] == "create"]
    t.ok(create and [r for r in create[0][1] if r["type"] == "resolution" and r["how"] == "completed"],
         "%s: the next run resolves it as completed" % what, create)

t.done()
