#!/usr/bin/env python3
"""Saved plans: `plan -out FILE`, `show FILE [--output json]`, `apply FILE`.

A fresh saved plan applies exactly its actions: the call log shows exactly
those mutating calls, no more, in no other way.  A stale one is refused
with no mutating call: when the policy commit moved (both commits named),
when live state changed (what changed is named), and when it was already
applied.  Damaged or foreign files get one clear error and no AWS call."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402

from crashkit import action_key, call_key  # noqa: E402


work = t.tmpdir()
with Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    sc = ck.Scenario(emu, work)
    planfile = os.path.join(work, "orders.plan")

    # ---- plan -out, show ----
    sc.fresh()
    r = sc.sk("plan", *sc.source(), "-out", planfile)
    t.is_(r.rc, 0, "plan -out succeeds") or t.diag(r)
    t.contains(r.out, "Saved the plan to %s" % planfile, "and says where it saved the plan")
    t.ok(os.stat(planfile).st_mode & 0o777 == 0o600, "the saved plan is mode 0600")
    t.is_(sc.mutating(), [], "plan -out mutates nothing")
    env = json.load(open(planfile))
    t.ok(env.get("format") == "snapkeep-saved-plan/v1" and env["plan"]["commit"] == sc.commit and
         len(env["plan"].get("fingerprint", "")) == 64,
         "the file is a snapkeep-saved-plan/v1 envelope: commit and a fingerprint of live state", env.get("format"))
    s = sc.sk("show", planfile)

    def actions_text(text):
        start = text.find("snapkeep will perform")
        ends = [i for i in (text.find("\nNotes:"), text.find("\nSnapshots in"), text.find("\nPlan: ")) if i > 0]
        return text[start:min(ends)] if start >= 0 and ends else None

    t.ok(s.rc == 0 and actions_text(s.out) and actions_text(s.out) == actions_text(r.out) and
         "Plan: 2 to create, 2 to change, 6 to delete." in s.out and sc.commit[:12] in s.out,
         "show FILE prints the same actions, commit and summary", s)
    plan_text = r.out[:r.out.find("\nSaved the plan to")] if "\nSaved the plan to" in r.out else r.out
    t.is_(s.out.rstrip("\n"), plan_text.rstrip("\n"),
          "show FILE prints the whole plan as plan printed it: notes and region figures too")
    j = sc.sk("show", "--output", "json", planfile)
    pj = sc.sk("plan", *sc.source(), "--output", "json")
    try:
        shown, fresh = j.json(), pj.json()
    except ValueError:
        shown, fresh = None, None
    t.ok(j.rc == 0 and shown and shown["actions"] == fresh["actions"] and shown["commit"] == sc.commit,
         "show --output json gives the plan's JSON, with the same actions as plan --output json", j)
    t.is_(sc.mutating(), [], "show calls nothing")

    # ---- apply FILE: exactly its actions ----
    actions = env["plan"]["actions"]
    since = emu.calls()["last"]
    r = sc.sk("apply", planfile, *sc.source())
    t.is_(r.rc, 0, "apply FILE applies it without asking") or t.diag(r)
    made = [c for c in emu.calls(since=since)["calls"] if c.get("mutating")]
    t.is_(sorted(call_key(c) for c in made), sorted(action_key(a) for a in actions),
          "the call log shows exactly the saved plan's %d mutating calls" % len(actions))
    t.ok(all(c["status"] == 200 for c in made), "all of them succeeded")
    cp = [c for c in made if c["action"] == "CopyDBSnapshot"][0]["params"]
    want = [a for a in actions if a["action"] == "copy"][0]
    t.ok(cp.get("KmsKeyId") == want["kmsKeyId"] and cp.get("PreSignedUrl") and
         cp["SourceDBSnapshotIdentifier"] == want["sourceArn"],
         "the copy is made as the plan says (source, KMS key, a PreSignedUrl)", cp)
    t.is_(sc.sk("plan", *sc.source(), "--detailed-exitcode").rc, 0, "and the next plan is empty")

    since = emu.calls()["last"]
    r = sc.sk("apply", planfile, *sc.source())
    t.ok(r.rc == 1 and "live state changed since saved plan" in r.err and not
         [c for c in emu.calls(since=since)["calls"] if c.get("mutating")],
         "a saved plan cannot be applied twice: live state changed, nothing is called", r)

    # ---- stale: the commit moved ----
    sc.fresh()
    r = sc.sk("plan", *sc.source(), "-out", planfile)
    newer = t.git_commit(sc.repo, {"policies/orders.yaml": ck.POLICY.replace("daily: 5", "daily: 4")}, "keep 4")
    since = emu.calls()["last"]
    r = sc.sk("apply", planfile, *sc.source())
    t.ok(r.rc == 1 and "was made from policy commit %s" % sc.commit[:12] in r.err and newer[:12] in r.err and
         "make a new plan" in r.err, "a saved plan from another commit is refused, naming both commits", r)
    t.is_([c for c in emu.calls(since=since)["calls"] if c.get("mutating")], [], "and nothing is changed")
    last = json.load(open(os.path.join(sc.state, "state.json")))["lastRun"]
    t.ok(last["outcome"] == "refused" and newer[:12] in last["error"],
         "the state file records the run as refused, with the reason", last)
    t.git(sc.repo, "reset", "-q", "--hard", sc.commit)

    # ---- stale: live state changed ----
    cases = [
        ("someone changed the instance's retention", "ModifyDBInstance",
         {"DBInstanceIdentifier": "orders-db", "BackupRetentionPeriod": "10", "ApplyImmediately": "true"},
         "us-east-1", "orders-db"),
        ("someone deleted a snapshot the plan deletes", "DeleteDBSnapshot",
         {"DBSnapshotIdentifier": "snapkeep-orders-db-20260302-0430"}, "us-east-1",
         "snapkeep-orders-db-20260302-0430"),
        ("someone deleted a copy the plan keeps", "DeleteDBSnapshot",
         {"DBSnapshotIdentifier": "snapkeep-orders-db-20260309-0430-us-east-1"}, "us-west-2",
         "snapkeep-orders-db-20260309-0430-us-east-1"),
    ]
    for what, action, params, region, named in cases:
        sc.fresh()
        r = sc.sk("plan", *sc.source(), "-out", planfile)
        since = emu.calls()["last"]
        st, body_, hdrs = emu.call("rds", action, params, region=region)
        r = sc.sk("apply", planfile, *sc.source())
        t.ok(st == 200 and r.rc == 1 and "live state changed since saved plan '%s'" % planfile in r.err and
             named in r.err, "%s: the saved plan is refused, saying what changed" % what, r)
        # (the call log shows a call once its answer is out: leave out the change made above by its RequestId)
        t.is_([c for c in emu.calls(since=since)["calls"] if c.get("mutating") and
               c["requestId"] != hdrs.get("x-amzn-RequestId")], [], "%s: nothing is changed" % what)
    t.diag(r.err)

    # a change the plan does not depend on does not make it stale
    sc.fresh()
    r = sc.sk("plan", *sc.source(), "-out", planfile)
    since = emu.calls()["last"]
    st, _, hdrs = emu.call("rds", "ModifyDBInstance", {"DBInstanceIdentifier": "other-db",
                                                       "BackupRetentionPeriod": "5", "ApplyImmediately": "true"})
    r = sc.sk("apply", planfile, *sc.source())
    made = [c for c in emu.calls(since=since)["calls"] if c.get("mutating") and
            c["requestId"] != hdrs.get("x-amzn-RequestId")]
    t.ok(st == 200 and r.rc == 0 and sorted(call_key(c) for c in made) == sorted(action_key(a) for a in actions),
         "a change to an instance no policy manages does not make the plan stale", r)

    # ---- damaged and foreign files ----
    good = open(planfile).read() if os.path.exists(planfile) else ""
    sc.fresh()
    r = sc.sk("plan", *sc.source(), "-out", planfile)
    good = open(planfile).read()
    bad = os.path.join(work, "bad.plan")
    variants = [
        ("a truncated saved plan", good[:len(good) // 2], "truncated"),
        ("an empty file", "", "empty"),
        ("plan --output json instead of a saved plan", json.dumps(pj.json()), "plan -out"),
        ("a newer saved-plan format", good.replace("snapkeep-saved-plan/v1", "snapkeep-saved-plan/v9"), "v9"),
        ("a saved plan without a plan", json.dumps({"format": "snapkeep-saved-plan/v1"}), "plan"),
        ("a saved plan naming no commit", json.dumps({"format": "snapkeep-saved-plan/v1", "plan": {
            "format": "snapkeep-plan/v1", "actions": []}}), "no policy commit"),
        ("an action without a target", json.dumps({"format": "snapkeep-saved-plan/v1", "plan": {
            "format": "snapkeep-plan/v1", "commit": ck.NOW, "actions": [{"action": "delete"}]}}), "action 1"),
    ]
    for what, text, hint in variants:
        with open(bad, "w") as f:
            f.write(text)
        since = emu.calls()["last"]
        r = sc.sk("apply", bad, *sc.source())
        s = sc.sk("show", bad)
        show_fails = s.rc == 1 and bad in s.err or what == "a saved plan naming no commit"
        t.ok(r.rc == 1 and show_fails and bad in r.err and hint in r.err and r.err.count("\n") == 1 and
             "AddressSanitizer" not in r.err + s.err, "%s: one clear error from apply (and show)" % what, (r, s))
        t.is_(emu.calls(since=since)["calls"], [], "%s: no AWS call at all" % what)
    r = sc.sk("show", os.path.join(work, "missing.plan"))
    t.ok(r.rc == 1 and "missing.plan" in r.err, "show of a missing file fails naming it", r)
    r = sc.sk("show")
    t.is_(r.rc, 64, "show without a file is a usage error")

t.done()
