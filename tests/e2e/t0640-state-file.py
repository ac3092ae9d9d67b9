#!/usr/bin/env python3
"""A damaged state file or an unusable state directory stops apply before
it changes anything.

A corrupt, truncated, empty, wrongly typed or future-version state.json:
apply fails with one clear error naming the file and what is wrong, makes no
AWS call at all (it reads the state before the policies and before
observing), leaves the file byte for byte as it was and releases the lock.
An unwritable state directory (or one that cannot be created) is reported
before any AWS call.  A good state file is carried forward: serial + 1, the
same lineage, the run recorded."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402

work = t.tmpdir()
with Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    sc = ck.Scenario(emu, work)

    # a good state file, as apply writes it
    sc.fresh()
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.is_(r.rc, 0, "apply succeeds and writes the state file") or t.diag(r)
    good_path = os.path.join(sc.state, "state.json")
    good = open(good_path).read()
    st = json.loads(good)
    t.ok(st["format"] == "snapkeep-state/v1" and st["serial"] == 1 and st["lastRun"]["outcome"] == "success" and
         st["lastApplied"]["commit"] == sc.commit and st["instances"]["us-east-1/orders-db"]["policy"] == "orders",
         "the state file records the run, the commit applied and the instance", st)
    t.ok(os.stat(good_path).st_mode & 0o777 == 0o600 and os.stat(sc.state).st_mode & 0o777 == 0o700,
         "state.json is 0600 in a 0700 directory")
    r = sc.sk("apply", "--auto-approve", *sc.source())
    st2 = json.load(open(good_path))
    t.ok(r.rc == 0 and st2["serial"] == 2 and st2["lineage"] == st["lineage"] and
         st2["lastRun"]["outcome"] == "no-changes", "the next apply carries it forward: serial 2, same lineage", st2)
    t.ok(not [f for f in os.listdir(sc.state) if f.startswith("state.json.") or f.endswith(".tmp")],
         "no temporary file is left behind", os.listdir(sc.state))

    bad_files = [
        ("corrupt", "{\"format\": \"snapkeep-state/v1\", serial: 3}", "invalid JSON"),
        ("truncated", good[:len(good) // 2], "truncated"),
        ("empty", "", "is empty"),
        ("future version", good.replace("snapkeep-state/v1", "snapkeep-state/v2"), "newer than this snapkeep"),
        ("wrongly typed", good.replace('"serial": 1', '"serial": "one"'), "serial"),
        ("not an object", "[1, 2, 3]", "state file"),
    ]
    for what, text, hint in bad_files:
        sc.fresh()
        os.makedirs(sc.state, mode=0o700)
        path = os.path.join(sc.state, "state.json")
        with open(path, "w") as f:
            f.write(text)
        r = sc.sk("apply", "--auto-approve", *sc.source())
        lines = [x for x in r.err.splitlines() if x.strip()]
        t.ok(r.rc == 1 and len(lines) == 1 and path in r.err and hint in r.err,
             "state file %s: one clear error naming the file (%s)" % (what, lines[0] if lines else ""), r)
        t.is_(sc.calls(), [], "state file %s: no AWS call at all" % what)
        t.is_(open(path).read(), text, "state file %s: it is left as it was" % what)
        lock = os.path.join(sc.state, "lock")
        t.ok(not os.path.exists(lock) or os.path.getsize(lock) == 0, "state file %s: the lock is released" % what)
    r = sc.sk("plan", *sc.source())
    t.is_(r.rc, 0, "plan does not need the state file")

    # unusable state directories
    sc.fresh()
    blocker = os.path.join(work, "a-file")
    open(blocker, "w").close()
    cases = [("a state directory under a regular file", os.path.join(blocker, "state"), "state directory")]
    if os.geteuid() != 0:
        ro = os.path.join(work, "read-only")
        os.makedirs(ro)
        os.chmod(ro, 0o500)
        cases.append(("a read-only state directory", ro, "Permission denied"))
    else:
        # root writes anywhere chmod allows: use a read-only file system instead, if there is one
        for ro in ("/sys/kernel", "/proc/self"):
            try:
                with open(os.path.join(ro, "sk-probe"), "w"):
                    pass
                os.unlink(os.path.join(ro, "sk-probe"))
            except OSError:
                cases.append(("a state directory on a read-only file system", ro, "cannot"))
                break
        else:
            t.diag("running as root with no read-only file system: the read-only directory case is skipped")
    for what, d, hint in cases:
        r = sc.sk("apply", "--auto-approve", *sc.source(), env=sc.env(SNAPKEEP_STATE_DIR=d))
        t.ok(r.rc == 1 and "state directory '%s'" % d in r.err and hint in r.err and r.err.count("\n") == 1,
             "%s: one clear error naming it (%s)" % (what, r.err.strip()), r)
        t.is_(sc.calls(), [], "%s: no AWS call at all" % what)
    r = sc.sk("apply", "--auto-approve", *sc.source(), "--state-dir", os.path.join(blocker, "x"))
    t.ok(r.rc == 1 and os.path.join(blocker, "x") in r.err, "--state-dir is honoured the same way", r)

    # state.json that is not a file
    sc.fresh()
    os.makedirs(os.path.join(sc.state, "state.json"))
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.ok(r.rc == 1 and "state.json" in r.err and not sc.calls(), "a state.json that is a directory: clear error, "
         "no AWS call", r)

    # a journal that cannot be written: no intent, so no call
    sc.fresh()
    os.makedirs(os.path.join(sc.state, "journal.jsonl"))
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.ok(r.rc == 1 and "journal.jsonl" in r.err and not sc.calls(), "a journal that cannot be opened: clear error, "
         "no AWS call (%s)" % r.err.strip(), r)

t.done()
