#!/usr/bin/env python3
"""Saved plans over several accounts (Settings' accounts), with the safety
of one account's.

`plan -out FILE` over two accounts (each reached through its role) writes a
saved plan whose origin records the accounts it covers, whose actions each
name their account, and whose fingerprint and basis cover the live state of
both, each basis line named by its account.  `apply FILE` makes it again
from the commit and live state, through each account's role, and applies
it: every RDS call is made in its account with that account's assumed
credentials; the output names the accounts as `plan` does; applying the
same file again is refused (live state changed).  Refused with no mutating
call: an action's "account" edited in the file; the origin's accounts
edited; live state changed in ONE account (the message names it and not
the other); an account that cannot be observed at apply time (its role now
refuses).  An --account that contradicts the file is a usage error (64).
An account that cannot be observed at plan time: `plan -out` writes no file
and exits 1 naming it; narrowed with --account to the reachable account,
the plan is saved and applies there only.

`backup --instance X` over several accounts takes one on-demand snapshot in
each account that holds X (its policies taking snapshots of it), through
that account's role; an account not observed is named (exit 4) and the
others go on; --account narrows it; an instance in no account is refused."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t  # noqa: E402
from emulator_ctl import Emulator, xml_text  # noqa: E402

from fleet import BASE, POLICY, external_id, instance, retention, role, role_arn  # noqa: E402
import fleet  # noqa: E402

A1, A2 = fleet.ACCOUNTS[:2]
ACCOUNTS = [A1, A2]
NOW = "2026-03-02T05:00:00Z"


SEED = {
    "account": BASE,
    "regions": {"us-east-1": {"instances": []}},
    "roles": fleet.roles(ACCOUNTS),
    "accounts": {a: {"regions": {"us-east-1": {"instances": [instance("orders-db")]},
                                 "us-west-2": {"instances": []}}} for a in ACCOUNTS},
}


def settings(ext2):
    """Settings' two accounts, the second's role asked with external id ext2"""
    return fleet.settings(ACCOUNTS, {A2: ext2})




def owned(emu, account, region):
    st = emu.state(region=region, account=account)["regions"].get(region) or {}
    return sorted(s["id"] for s in st.get("snapshots", []) if s["type"] == "manual")


def as_account(emu, account, action, params):
    """A call someone else makes in account, through its role (live state changed behind snapkeep's back)."""
    st, body, _ = emu.call("sts", "AssumeRole", {"RoleArn": role_arn(account), "RoleSessionName": "someone",
                                                 "ExternalId": external_id(account)})
    if st != 200:
        t.bail("cannot assume %s's role: %s" % (account, body))
    key, secret, token = (xml_text(body, k)[0] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken"))
    return emu.call("rds", action, params, key=key, secret=secret, token=token)


work = t.tmpdir()
repo = os.path.join(work, "policies")
with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = os.path.join(work, "state")
    env["NO_COLOR"] = "1"
    emu.config(createSeconds=0, copySeconds=0)
    emu.clock(set=NOW)
    commit = t.git_repo(repo, {"policies/settings.yaml": settings(external_id(A2)), "policies/fleet.yaml": POLICY},
                        "fleet: two accounts")

    def sk(*args):
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies", "--now", NOW]), env=env)

    def refused(what, planfile, hint, rc=1, *extra):
        since = emu.calls()["last"]
        r = sk("apply", planfile, *extra)
        first = (r.err.splitlines() or [""])[0]
        t.ok(r.rc == rc and first.startswith("snapkeep") and hint in first and "AddressSanitizer" not in r.err,
             "%s: apply FILE is refused (exit %d), saying why first" % (what, rc), r)
        t.is_(emu.mutating(since, service="rds"), [], "%s: no mutating call" % what)
        return r

    def edited(name, edit):
        e = json.load(open(planfile))
        edit(e)
        path = os.path.join(work, name)
        with open(path, "w") as f:
            json.dump(e, f, indent=2)
        os.chmod(path, 0o600)
        return path

    # ---- plan -out over two accounts ----
    planfile = os.path.join(work, "fleet.plan")
    since = emu.calls()["last"]
    r = sk("plan", "-out", planfile)
    t.ok(r.rc == 0 and os.path.exists(planfile) and "Saved the plan to %s." % planfile in r.out,
         "plan -out over two accounts saves the plan (exit 0)", r)
    t.is_(emu.mutating(since, service="rds"), [], "plan -out makes no RDS change")
    env_ = json.load(open(planfile))
    origin, plan = env_.get("origin", {}), env_.get("plan", {})
    t.is_(origin.get("accounts"), ACCOUNTS, "the origin records the accounts the plan covers")
    t.ok(origin.get("account") is None and origin.get("commit") == commit,
         "no single account in the origin, and the commit", origin)
    t.is_(plan.get("accounts", {}).get("observed"), ACCOUNTS, "the plan: both accounts observed")
    acts = plan.get("actions", [])
    t.is_(sorted({(a.get("account"), a["action"]) for a in acts}),
          sorted((a, k) for a in ACCOUNTS for k in ("copy", "create", "modify")),
          "a modify, a snapshot and a copy in each account, each naming its account")
    t.ok(len(plan.get("fingerprint", "")) == 64, "the plan records a fingerprint of live state", plan.get("fingerprint"))
    basis = plan.get("basis", "").splitlines()
    t.ok(basis and all(x.startswith("account %s: " % A1) or x.startswith("account %s: " % A2) for x in basis) and
         any(x.startswith("account %s: instance us-east-1/orders-db " % a) for a in ACCOUNTS for x in basis),
         "every basis line names its account; orders-db of each account is in it", basis[:4])

    r = t.snapkeep("show", planfile, env=env)
    t.ok(r.rc == 0 and "db-instance orders-db (us-east-1, account %s)" % A2 in r.out and
         "Snapshots in us-west-2 (account %s)" % A1 in r.out, "show FILE names each account, as plan does", r)
    r = t.snapkeep("show", planfile, "--output", "json", env=env)
    shown = r.json() if r.rc == 0 else {}
    t.ok(shown.get("accounts", {}).get("observed") == ACCOUNTS and
         {a.get("account") for a in shown.get("actions", [])} == set(ACCOUNTS),
         "show FILE --output json: the accounts observed, and each action's", shown.get("accounts"))

    # ---- tampered: refused, nothing made ----
    def swap_account(e):
        a = e["plan"]["actions"][0]
        a["account"] = A2 if a["account"] == A1 else A1
    refused("an action's account edited", edited("swapped.plan", swap_account), "does not match the plan")

    def drop_account(e):
        e["origin"]["accounts"] = [A1]
    refused("the origin's accounts edited", edited("one.plan", drop_account),
            "was made over accounts %s, %s, but this run plans accounts %s; make a new plan" % (A1, A2, A1))
    refused("--account contradicting the file", planfile,
            "--account %s contradicts saved plan '%s', made for --account %s, %s" % (A1, planfile, A1, A2), 64,
            "--account", A1)

    # ---- live state changed in one account ----
    st, body, _ = as_account(emu, A2, "ModifyDBInstance", {"DBInstanceIdentifier": "orders-db",
                                                           "BackupRetentionPeriod": "3", "ApplyImmediately": "true"})
    t.is_((st, retention(emu, A2)), (200, {"orders-db": 3}), "someone changes orders-db's retention in %s only" % A2)
    r = refused("live state changed in one account", planfile, "live state changed since saved plan")
    t.ok("account %s: instance us-east-1/orders-db" % A2 in r.err and "account %s:" % A1 not in r.err,
         "the message names the account that changed, and not the other", r.err)
    t.is_((retention(emu, A1), retention(emu, A2)), ({"orders-db": 7}, {"orders-db": 3}), "both accounts untouched")

    # ---- an account that cannot be observed at apply time ----
    r = sk("plan", "-out", planfile)
    t.is_(r.rc, 0, "a new plan -out over both accounts")
    emu.add_seed({"roles": [role(A2, "rotated")]})
    refused("an account not observed at apply time", planfile,
            "saved plan '%s' covers account %s, which could not be observed now" % (planfile, A2))
    emu.add_seed({"roles": [role(A2, external_id(A2))]})

    # ---- apply FILE: both accounts, each with its role ----
    since = emu.calls()["last"]
    r = sk("apply", planfile)
    t.is_(r.rc, 0, "apply FILE over two accounts exits 0") or t.diag(r)
    t.ok("db-instance orders-db (us-east-1, account %s)" % A1 in r.out and
         "db-instance orders-db (us-east-1, account %s)" % A2 in r.out,
         "the plan it shows names each action's account, as plan does", r.out)
    t.ok("  create snapkeep-orders-db-20260302-0430 (us-east-1, account %s): done" % A2 in r.out,
         "its outcome lines name the account", r.out)
    for a in ACCOUNTS:
        t.is_(retention(emu, a), {"orders-db": 14}, "retention set in %s" % a)
        t.is_((len(owned(emu, a, "us-east-1")), len(owned(emu, a, "us-west-2"))), (1, 1),
              "a snapshot and its copy in %s" % a)
    rds = [c for c in emu.calls(since=since)["calls"] if c.get("service") == "rds" and c.get("mutating")]
    issued = {x["accessKey"]: x["arn"] for x in emu.credentials()["issued"]}
    t.is_(sorted((c["account"], c["action"]) for c in rds),
          sorted((a, x) for a in ACCOUNTS for x in ("CopyDBSnapshot", "CreateDBSnapshot", "ModifyDBInstance")),
          "exactly the saved plan's calls: a modify, a snapshot and a copy in each account")
    t.ok(rds and all(issued.get(c.get("accessKey"), "").startswith("arn:aws:sts::%s:assumed-role/snapkeep/"
                                                                    % c["account"]) for c in rds),
         "every call is signed with its account's assumed credentials",
         [(c["account"], issued.get(c.get("accessKey"))) for c in rds])
    r = refused("the same file again", planfile, "live state changed since saved plan")

    # ---- an account not observed at plan time: no file ----
    t.git_commit(repo, {"policies/settings.yaml": settings("wrong-id")}, "fleet: a wrong external id")
    partial = os.path.join(work, "partial.plan")
    r = sk("plan", "-out", partial)
    t.ok(r.rc == 1 and "saved plan '%s' not written: account %s was not observed" % (partial, A2) in r.err and
         "narrow it with --account" in r.err and "wrong-id" not in r.out + r.err,
         "plan -out with an account not observed writes nothing and says which (exit 1)", r)
    t.ok(not os.path.exists(partial), "no saved plan file")
    emu.clock(set="2026-03-03T05:00:00Z")
    NOW = "2026-03-03T05:00:00Z"
    r = sk("plan", "-out", partial, "--account", A1)
    doc = json.load(open(partial)) if os.path.exists(partial) else {}
    t.ok(r.rc == 0 and doc.get("origin", {}).get("accounts") == [A1] and
         {a.get("account") for a in doc.get("plan", {}).get("actions", [])} == {A1},
         "narrowed with --account to the reachable one, the plan is saved for it alone", r)
    since = emu.calls()["last"]
    r = sk("apply", partial)
    made = [(c["account"], c["action"]) for c in emu.calls(since=since)["calls"]
            if c.get("service") == "rds" and c.get("mutating")]
    t.ok(r.rc == 0 and made and all(a == A1 for a, _ in made), "apply FILE (no --account: the file's) acts in %s only"
         % A1, (r, made))
    t.is_(len(owned(emu, A2, "us-east-1")), 1, "nothing new in %s" % A2)

    # ---- backup over several accounts: one snapshot in each account that holds the instance ----
    def ondemand(account):
        return [x for x in owned(emu, account, "us-east-1") if x.endswith("-ondemand")]

    since = emu.calls()["last"]
    r = sk("backup", "--instance", "orders-db", "--auto-approve")
    t.ok(r.rc == 4 and A2 in r.err and ondemand(A1) and not ondemand(A2),
         "backup with one account not observed: taken in the other, exit 4 naming it", r)
    t.git_commit(repo, {"policies/settings.yaml": settings(external_id(A2))}, "fleet: the right external id again")
    emu.clock(set="2026-03-03T06:00:00Z")
    NOW = "2026-03-03T06:00:00Z"
    since = emu.calls()["last"]
    r = sk("backup", "--instance", "orders-db", "--keep-for", "30d", "--auto-approve")
    t.is_(r.rc, 0, "backup --instance orders-db over both accounts exits 0") or t.diag(r)
    t.ok("snapkeep-orders-db-20260303-060000-ondemand (us-east-1, account %s)" % A1 in r.out and
         "snapkeep-orders-db-20260303-060000-ondemand (us-east-1, account %s)" % A2 in r.out,
         "the plan it shows names both accounts", r.out)
    made = [c for c in emu.calls(since=since)["calls"] if c.get("service") == "rds" and c.get("mutating")]
    issued = {x["accessKey"]: x["arn"] for x in emu.credentials()["issued"]}
    t.is_(sorted((c["account"], c["action"], c["params"].get("DBSnapshotIdentifier")) for c in made),
          [(a, "CreateDBSnapshot", "snapkeep-orders-db-20260303-060000-ondemand") for a in ACCOUNTS],
          "one on-demand snapshot in each account")
    t.ok(made and all(issued.get(c.get("accessKey"), "").startswith("arn:aws:sts::%s:assumed-role/snapkeep/"
                                                                     % c["account"]) for c in made),
         "each made with its account's assumed credentials", made)
    since = emu.calls()["last"]
    r = sk("backup", "--instance", "orders-db", "--account", A2, "--now", "2026-03-03T06:30:00Z", "--auto-approve")
    made = [(c["account"], c["action"]) for c in emu.calls(since=since)["calls"]
            if c.get("service") == "rds" and c.get("mutating")]
    t.ok(r.rc == 0 and made == [(A2, "CreateDBSnapshot")], "--account narrows the backup to that account",
         (r, made))
    since = emu.calls()["last"]
    r = sk("backup", "--instance", "nowhere-db", "--auto-approve")
    t.ok(r.rc == 1 and "instance 'nowhere-db' is in no account whose policies take snapshots of it" in r.err,
         "an instance in no account is refused, saying so", r)
    t.is_(emu.mutating(since, service="rds"), [], "and nothing is made")

    # fleet narrowed to the first account, another policy in the second that selects none of its instances:
    # the second holds orders-db but takes no snapshot of it, and is told so
    OTHER = (POLICY.replace("name: fleet", "name: weekly").replace("backup: daily", "backup: weekly")
             .replace("spec:\n", 'spec:\n  accounts: ["%s"]\n' % A2, 1))
    t.git_commit(repo, {"policies/fleet.yaml": POLICY.replace("spec:\n", 'spec:\n  accounts: ["%s"]\n' % A1, 1),
                        "policies/weekly.yaml": OTHER}, "fleet: the first account only; weekly in the second")
    since = emu.calls()["last"]
    r = sk("backup", "--instance", "orders-db", "--now", "2026-03-03T07:00:00Z", "--auto-approve")
    made = [(c["account"], c["action"]) for c in emu.calls(since=since)["calls"]
            if c.get("service") == "rds" and c.get("mutating")]
    t.ok(r.rc == 0 and made == [(A1, "CreateDBSnapshot")] and
         "account %s holds 'orders-db', but no policy there takes snapshots of it" % A2 in r.err,
         "an account that holds the instance but snapshots it with no policy is named, not left out silently",
         (r, made))
t.done()
