#!/usr/bin/env python3
"""One apply at a time per state directory, and force-unlock, end to end.

Two applies started together: exactly one proceeds; the other fails at
once (exit 1, no AWS call of its own) naming the holder: command, pid,
host, run.  --lock-timeout N waits for the holder and then proceeds (or
gives up after N seconds).  force-unlock: nothing to do without a state
directory or a record; refuses (exit 1, naming the holder) while the holder
lives; clears the record a SIGKILLed apply left; the next apply warns about
the crashed run either way and resolves its journal.  plan while an apply
holds the lock says so (who, since when) and plans all the same."""
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402


def holder_record(sc):
    path = os.path.join(sc.state, "lock")
    try:
        text = open(path).read()
    except OSError:
        return None
    return json.loads(text) if text.strip() else {}


def hold_first_call(emu, ms=60000):
    emu.faults(mutating=True, hold=1.0, count=1, holdMs=ms)


def held(sc, proc):
    return sc.wait_for(lambda m: any(c.get("fault") == "hold" for c in m), proc=proc)


work = t.tmpdir()
with Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    sc = ck.Scenario(emu, work)

    # ---- two applies started together ----
    sc.fresh()
    hold_first_call(emu, ms=3000)
    a = sc.start("apply", "--auto-approve", *sc.source())
    b = sc.start("apply", "--auto-approve", *sc.source())
    h = held(sc, None)
    # the loser fails while the winner waits on its held call
    deadline = time.time() + 30
    while a.poll() is None and b.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    loser, winner = (a, b) if a.poll() is not None else (b, a)
    t.ok(h and winner.poll() is None, "two applies together: one is in its first mutating call", h)
    t.is_(loser.returncode, 1, "the other fails at once (exit 1)")
    err = loser.err()
    t.ok("is locked by apply (pid %d on host %s" % (winner.pid, socket.gethostname()) in err and
         "--lock-timeout" in err, "and names the holder (command, pid, host) and --lock-timeout", err)
    rec = holder_record(sc)
    t.ok(rec and rec.get("pid") == winner.pid and rec.get("command") == "apply" and rec.get("runId") in err,
         "the lock file records the holder, and the message names its run", (rec, err))
    emu.faults()
    t.is_(winner.wait(timeout=60), 0, "the holder finishes") or t.diag(winner.err())
    t.is_(len(sc.mutating()), ck.EXPECTED_MUTATING, "only the holder's calls were made (%d)" % ck.EXPECTED_MUTATING)
    # one observation: DescribeDBInstances in the source region only (the copy region costs snapshot pages)
    t.is_(len([c for c in sc.calls() if c["action"] == "DescribeDBInstances"]), 1,
          "the other made no AWS call at all (one observation)")
    t.is_(holder_record(sc), {}, "releasing empties the lock record")

    # ---- --lock-timeout waits for the holder ----
    sc.fresh()
    hold_first_call(emu)
    a = sc.start("apply", "--auto-approve", *sc.source())
    held(sc, a)
    b = sc.start("apply", "--auto-approve", "--lock-timeout", "30", *sc.source())
    time.sleep(1.0)
    t.ok(b.poll() is None, "--lock-timeout 30: the second apply waits while the first holds the lock")
    t1 = time.monotonic()
    r = sc.sk("apply", "--auto-approve", "--lock-timeout", "1", *sc.source())
    took = time.monotonic() - t1
    t.ok(r.rc == 1 and "is locked by apply (pid %d" % a.pid in r.err and 1.0 <= took < 10,
         "--lock-timeout 1: gives up after about a second, naming the holder (%.2f s)" % took, r)
    emu.faults()
    t.is_(a.wait(timeout=60), 0, "the first apply finishes once its call is answered")
    t.is_(b.wait(timeout=60), 0, "the waiting apply then takes the lock and completes") or t.diag(b.err())
    t.contains(b.out(), "No changes.", "and finds nothing left to do")
    t.is_(len(sc.mutating()), ck.EXPECTED_MUTATING, "no call was made twice")

    # ---- SIGINT while waiting for the lock ----
    sc.fresh()
    hold_first_call(emu)
    a = sc.start("apply", "--auto-approve", *sc.source())
    held(sc, a)
    mark = emu.calls()["last"]
    b = sc.start("apply", "--auto-approve", "--lock-timeout", "60", *sc.source())
    # (under valgrind, `tests/run --valgrind`, snapkeep takes seconds to start and install its handlers)
    time.sleep(6.0 if "valgrind" in t.BIN else 0.5)
    t0 = time.monotonic()
    b.send_signal(signal.SIGINT)
    rc = b.wait(timeout=30)
    took = time.monotonic() - t0
    t.ok(rc == 130 and took < 2 and not emu.calls(since=mark)["calls"],
         "SIGINT while waiting for the lock: exit 130 at once (%.2f s), no AWS call" % took, (rc, b.err()))
    t.is_((holder_record(sc) or {}).get("pid"), a.pid, "and the holder's record is untouched")
    emu.faults()
    t.is_(a.wait(timeout=60), 0, "the holder finishes")

    # ---- force-unlock ----
    sc.fresh()
    r = sc.sk("force-unlock")
    t.ok(r.rc == 0 and "No lock to clear" in r.out and not os.path.exists(sc.state),
         "force-unlock without a state directory: nothing to do, nothing created", r)
    os.makedirs(sc.state)
    r = sc.sk("force-unlock")
    t.ok(r.rc == 0 and "No lock is held" in r.out, "force-unlock with no record: nothing to do", r)

    hold_first_call(emu)
    a = sc.start("apply", "--auto-approve", *sc.source())
    held(sc, a)
    r = sc.sk("force-unlock")
    t.ok(r.rc == 1 and "pid %d" % a.pid in r.err and a.poll() is None,
         "force-unlock refuses while the holder lives, naming it", r)
    t.is_((holder_record(sc) or {}).get("pid"), a.pid, "and leaves its record")
    r = sc.sk("plan", *sc.source())
    err = r.err.strip().splitlines()
    t.ok(r.rc == 0 and "Plan:" in r.out and len(err) == 1 and
         ("apply (pid %d on host %s, run " % (a.pid, socket.gethostname())) in err[0] and ", since 20" in err[0]
         and "this plan may change when it finishes" in err[0] and a.poll() is None,
         "plan while an apply holds the lock: still plans, and says in one line who holds it since when", r)
    ck.kill(a)
    emu.faults()
    t.is_((holder_record(sc) or {}).get("pid"), a.pid, "a SIGKILLed apply leaves its record behind")
    r = sc.sk("plan", *sc.source())
    t.ok(r.rc == 0 and "holds the state directory" not in r.err, "plan: the record a dead apply left is no holder", r)
    r = sc.sk("history")
    t.ok(r.rc == 0 and "unresolved" in r.out, "history shows the killed apply's call as unresolved", r)
    r = sc.sk("force-unlock")
    t.ok(r.rc == 0 and "Cleared the lock record of apply (pid %d" % a.pid in r.out,
         "force-unlock clears the record of the dead holder, naming it", r)
    t.is_(holder_record(sc), {}, "the lock record is empty")
    r = sc.sk("force-unlock")
    t.ok(r.rc == 0 and "No lock is held" in r.out, "a second force-unlock has nothing to do", r)
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.ok(r.rc == 0 and "did not finish" not in r.err, "after force-unlock the next apply runs (no stale warning)", r)
    recs, _ = sc.journal()
    t.ok(not ck.unresolved(recs) and [x for x in recs if x["type"] == "resolution"],
         "and still resolves the killed apply's call from its journal", recs)

    # without force-unlock, a killed holder never blocks the next apply
    sc.fresh()
    hold_first_call(emu)
    a = sc.start("apply", "--auto-approve", *sc.source())
    held(sc, a)
    ck.kill(a)
    emu.faults()
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.ok(r.rc == 0 and "the previous run did not finish: apply (pid %d" % a.pid in r.err,
         "without force-unlock the next apply proceeds too, warning about the crashed run", r)
    t.is_(sc.inventory()["us-east-1"]["instances"]["orders-db"]["backupRetentionPeriod"], 14,
          "and completes the job")

t.done()
