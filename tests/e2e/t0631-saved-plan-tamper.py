#!/usr/bin/env python3
"""Saved plans cannot be tampered with, and need nothing but themselves.

A saved plan with a modify, a replication start, a create, a copy and
deletes is edited the ways an attacker or a careless hand would: a delete
of a snapshot snapkeep does not own added, a modify of an instance no
policy selects added (PITR to 0), a retention value changed, a delete's
target swapped for another owned snapshot, an action removed, two
reordered, its origin's commit or account changed.  Each `apply FILE`
exits 1 with a clear message and the emulator's call log shows no
mutating call.  A plan file others can write (0666) or another user owns
is refused before any AWS call.  `apply FILE` from another directory with
no flags applies exactly the plan; an option that contradicts the file is
a usage error (64), one that agrees is fine."""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402

from crashkit import action_key, call_key  # noqa: E402


# the scenario's world, plus a hand-made snapshot someone keeps for good
seed = copy.deepcopy(ck.SEED)
seed["regions"]["us-east-1"]["snapshots"].append(
    {"id": "precious-manual-keep", "instance": ck.INSTANCE, "type": "manual", "created": "2026-02-01T00:00:00Z",
     "status": "available", "tags": {"Owner": "dba", "Keep": "forever"}})

work = t.tmpdir()
elsewhere = os.path.join(work, "elsewhere")
os.makedirs(elsewhere)
with Emulator(seed=seed, args=["--quiet"]) as emu:
    sc = ck.Scenario(emu, work)
    planfile = os.path.join(work, "orders.plan")
    sc.fresh()
    r = sc.sk("plan", *sc.source(), "-out", planfile)
    t.is_(r.rc, 0, "plan -out succeeds") or t.diag(r)
    env = json.load(open(planfile))
    actions = env["plan"]["actions"]
    kinds = sorted(set(a["action"] for a in actions))
    t.ok({"modify", "create", "copy", "delete"} <= set(kinds) and len(actions) == ck.EXPECTED_MUTATING,
         "the saved plan modifies, creates, copies and deletes (%d actions)" % len(actions), kinds)
    origin = env.get("origin") or {}
    t.ok(origin.get("repository") == os.path.realpath(sc.repo) and origin.get("path") == "policies" and
         origin.get("commit") == sc.commit and origin.get("account") == ck.ACCOUNT and
         origin.get("endpoint") == emu.url and origin.get("regions") == [] and
         origin.get("allowMassDelete") is False and origin.get("ref") is None and origin.get("profile") is None,
         "the saved plan records how it was made: repository, path, ref, commit, regions, account, endpoint",
         origin)
    good = open(planfile).read()

    def apply_edited(what, edit, hint):
        """Edits a copy of the saved plan, applies it: refused, with no mutating call."""
        e = json.loads(good)
        edit(e)
        bad = os.path.join(work, "edited.plan")
        with open(bad, "w") as f:
            json.dump(e, f, indent=2)
        os.chmod(bad, 0o600)
        since = emu.calls()["last"]
        r = sc.sk("apply", bad)
        made = [c for c in emu.calls(since=since)["calls"] if c.get("mutating")]
        t.ok(r.rc == 1 and hint in r.err and bad in r.err and r.err.count("\n") == 1 and
             "AddressSanitizer" not in r.err, "%s: apply FILE is refused with one clear line" % what, r)
        t.is_(made, [], "%s: no mutating call" % what)

    def add_delete(e):
        acts = e["plan"]["actions"]
        d = copy.deepcopy([a for a in acts if a["action"] == "delete" and a["region"] == "us-east-1"][0])
        d["target"] = "precious-manual-keep"
        d["created"] = "2026-02-01T00:00:00Z"
        acts.append(d)

    def add_modify(e):
        m = copy.deepcopy([a for a in e["plan"]["actions"] if a["action"] == "modify"][0])
        m.update(instance="other-db", target="other-db", backupRetentionPeriod=0,
                 changes=[{"field": "backup_retention_period", "before": "3", "after": "0"}])
        e["plan"]["actions"].insert(0, m)

    def change_retention(e):
        m = [a for a in e["plan"]["actions"] if a["action"] == "modify"][0]
        m["backupRetentionPeriod"] = 1
        for c in m["changes"]:
            if c["field"] == "backup_retention_period":
                c["after"] = "1"

    def swap_target(e):
        d = [a for a in e["plan"]["actions"] if a["action"] == "delete" and a["region"] == "us-east-1"][0]
        d["target"] = "snapkeep-orders-db-20260309-0430"  # owned, and the newest: the plan keeps it

    def remove_one(e):
        e["plan"]["actions"] = [a for a in e["plan"]["actions"] if a["action"] != "copy"]

    def reorder(e):
        acts = e["plan"]["actions"]
        dels = [i for i, a in enumerate(acts) if a["action"] == "delete"]
        acts[dels[0]], acts[dels[1]] = acts[dels[1]], acts[dels[0]]

    def other_commit(e):
        e["origin"]["commit"] = "0" * 40

    def other_account(e):
        e["origin"]["account"] = "111111111111"

    apply_edited("a delete of a snapshot nobody owns added", add_delete, "(delete precious-manual-keep in us-east-1)")
    apply_edited("a modify of an instance no policy selects added (PITR 0)", add_modify,
                 "(modify other-db in us-east-1) differs")
    apply_edited("the retention value changed", change_retention, "(modify orders-db in us-east-1) differs")
    apply_edited("a delete's target swapped for another owned snapshot", swap_target,
                 "(delete snapkeep-orders-db-20260309-0430 in us-east-1) differs")
    apply_edited("an action removed", remove_one, "does not match the plan its commit and live state make")
    apply_edited("two actions reordered", reorder, "does not match the plan its commit and live state make")
    apply_edited("the origin's commit changed", other_commit, "names commit 000000000000 in its origin")
    apply_edited("the origin's account changed", other_account,
                 "was made for AWS account 111111111111, but the credentials in use reach account %s" % ck.ACCOUNT)
    snaps = [s["id"] for s in emu.state(region="us-east-1")["regions"]["us-east-1"]["snapshots"]]
    t.ok("precious-manual-keep" in snaps and "snapkeep-orders-db-20260309-0430" in snaps,
         "the snapshots the edits aimed at are still there")

    # ---- plan files others can change ----
    loose = os.path.join(work, "loose.plan")
    with open(loose, "w") as f:
        f.write(good)
    os.chmod(loose, 0o666)
    since = emu.calls()["last"]
    r = sc.sk("apply", loose)
    s = sc.sk("show", loose)
    t.ok(r.rc == 1 and "saved plan '%s' is writable by group and others (mode 0666)" % loose in r.err and
         "chmod 600 %s" % loose in r.err and r.err.count("\n") == 1,
         "a plan file with mode 0666 is refused, naming the fix", r)
    t.ok(s.rc == 1 and "chmod 600" in s.err, "show refuses it too", s)
    t.is_(emu.calls(since=since)["calls"], [], "and no AWS call at all is made")
    os.chmod(loose, 0o644)
    t.is_(sc.sk("show", loose).rc, 0, "readable by others is fine (a plan holds no secret)")

    if os.geteuid() == 0:
        theirs = os.path.join(work, "theirs.plan")
        with open(theirs, "w") as f:
            f.write(good)
        os.chmod(theirs, 0o600)
        os.chown(theirs, 65534, -1)
        since = emu.calls()["last"]
        r = sc.sk("apply", theirs)
        t.ok(r.rc == 1 and "saved plan '%s' is owned by uid 65534" % theirs in r.err and
             "not by you (uid 0" in r.err and "chown 0 %s" % theirs in r.err,
             "a plan file another user owns is refused, naming both users and the fix", r)
        t.is_(emu.calls(since=since)["calls"], [], "and no AWS call at all is made")
    else:
        t.skip("a plan file another user owns is refused", "needs root to give a file away")
        t.skip("and no AWS call at all is made", "needs root")

    # ---- options that contradict the file, and ones that agree ----
    for what, args, hint in [
        ("--region", ["--region", "us-west-2"], "--region us-west-2 contradicts saved plan '%s', made for every "
                                                 "region its policies name" % planfile),
        ("--path", ["--path", "elsewhere"], "--path 'elsewhere' (or SNAPKEEP_PATH) contradicts saved plan '%s', "
                                            "made with --path 'policies'" % planfile),
        ("--ref", ["--ref", "v2"], "--ref 'v2' (or SNAPKEEP_REF) contradicts saved plan '%s', made at --ref "
                                   "'HEAD'" % planfile),
        ("--repo", ["--repo", elsewhere], "is not a git repository"),
        ("--allow-mass-delete", ["--allow-mass-delete"], "--allow-mass-delete contradicts saved plan '%s', made "
                                                        "without --allow-mass-delete" % planfile),
        ("--endpoint", ["--endpoint", "http://127.0.0.1:9"], "--endpoint 'http://127.0.0.1:9' contradicts saved "
                                                            "plan '%s', made with endpoint '%s'" % (planfile, emu.url)),
        ("--profile", ["--profile", "prod"], "--profile 'prod' contradicts saved plan '%s', made with no profile "
                                             "named" % planfile),
    ]:
        since = emu.calls()["last"]
        r = sc.sk("apply", planfile, *args)
        want = 1 if what == "--repo" else 64
        t.ok(r.rc == want and hint in r.err and r.err.count("\n") == 1,
             "%s contradicting the saved plan: exit %d, naming both values" % (what, want), r)
        t.is_([c for c in emu.calls(since=since)["calls"] if c.get("mutating")], [], "%s: no mutating call" % what)
    other_repo = os.path.join(work, "other-repo")
    t.git_repo(other_repo, {"policies/orders.yaml": ck.POLICY}, "the same policy elsewhere")
    r = sc.sk("apply", planfile, "--repo", other_repo)
    t.ok(r.rc == 64 and "repository '%s'" % os.path.realpath(other_repo) in r.err and
         "made from repository '%s'" % os.path.realpath(sc.repo) in r.err,
         "--repo naming another repository contradicts the saved plan (64), naming both", r)

    # ---- apply FILE from another directory with no flags: exactly the plan ----
    # plan -out with a relative name: the hint says how to apply it from anywhere
    r = t.run([t.BIN, "plan", *sc.source(), "-out", "rel.plan"], env=sc.env(), cwd=work)
    hint = [line for line in r.out.splitlines() if "from anywhere: snapkeep apply " in line]
    absolute = hint[0].split("from anywhere: snapkeep apply ", 1)[1].rstrip(")") if hint else ""
    t.ok(r.rc == 0 and "To apply exactly these actions: snapkeep apply rel.plan" in r.out and
         absolute == os.path.join(os.path.realpath(work), "rel.plan"),
         "plan -out with a relative file names its absolute path for applying from anywhere", r)
    rel_actions = json.load(open(os.path.join(work, "rel.plan")))["plan"]["actions"]
    # no --repo, --path, --ref, and not even the endpoint in the environment: the file has them
    bare_env = sc.env(AWS_ENDPOINT_URL=None, AWS_REGION=None)
    since = emu.calls()["last"]
    r = t.run([t.BIN, "apply", absolute], env=bare_env, cwd=elsewhere)
    made = [c for c in emu.calls(since=since)["calls"] if c.get("mutating")]
    t.is_(r.rc, 0, "apply FILE from another directory with no flags succeeds") or t.diag(r)
    t.is_(sorted(call_key(c) for c in made), sorted(action_key(a) for a in rel_actions),
          "and makes exactly the saved plan's %d calls" % len(rel_actions))
    t.ok(sorted(action_key(a) for a in rel_actions) == sorted(action_key(a) for a in actions),
         "(the same actions as the plan the edits were made to)")
    t.is_(sc.sk("plan", *sc.source(), "--detailed-exitcode").rc, 0, "after which the next plan is empty")
    # options that agree with the file are fine (here refused only because it was applied: live state moved)
    r = sc.sk("apply", planfile, "--repo", sc.repo, "--path", "policies/", "--ref", "HEAD")
    t.ok(r.rc == 1 and "live state changed since saved plan" in r.err,
         "options that agree with the saved plan are accepted (it is then stale: applied already)", r)

t.done()
