#!/usr/bin/env python3
"""verify over several accounts: each of Settings' accounts observed with its
role and verified on its own; every problem names its account, an account
that cannot be observed is UNKNOWN (a monitor never reads "could not look"
as OK), --account narrows, --instance and --policy need only match in some
account, and one account's converged backups do not hide another's missing
ones (the same instance name in both).  The run loop checks each account
too: its gauges name <account>/<instance>, and each account's CRITICAL
check of the same instance name is an alert of its own."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator
import fleet
from runproc import RunProc, metric

from fleet import ACCOUNTS, BASE, instance
NOW = "2026-03-02T05:00:00Z"
LATER = "2026-03-02T06:00:00Z"


SEED = {
    "account": BASE,
    "regions": {"us-east-1": {"instances": [], "topics": ["backup-alerts"]}},
    "roles": fleet.roles(ACCOUNTS),
    "accounts": {a: {"regions": {"us-east-1": {"instances": [instance("orders-db"), instance("acct-%s-db" % a[:3])]},
                                 "us-west-2": {"instances": []}}} for a in ACCOUNTS},
}


def settings(ext3):
    """Settings' three accounts, the third's role asked with external id ext3"""
    return fleet.settings(ACCOUNTS, {ACCOUNTS[2]: ext3})


FIXED = settings(fleet.external_id(ACCOUNTS[2]))  # the third account's role asked right


# the fleet's policy, checked against an RPO and alerting the base account's topic
POLICY = fleet.POLICY + """  verify:
    rpo: {warn: 26h, crit: 50h}
  alerts: {snsTopicArn: "arn:aws:sns:us-east-1:%s:backup-alerts"}
""" % BASE


def results(r):
    try:
        return r.json().get("results", [])
    except ValueError:
        return []


def age(res, account, db):
    """the snapshot-age result of db in account's us-east-1"""
    found = [x for x in res if x.get("account") == account and x["instance"] == db and x["check"] == "snapshot-age"]
    return found[0]["status"] if len(found) == 1 else None


work = t.tmpdir()
repo = os.path.join(work, "policies")
with Emulator(seed=SEED) as emu:
    env = emu.env()
    env.update({"SNAPKEEP_STATE_DIR": os.path.join(work, "state"), "NO_COLOR": "1"})
    emu.config(createSeconds=0, copySeconds=0)
    emu.clock(set=NOW)
    t.git_repo(repo, {"policies/settings.yaml": settings("wrong-id"), "policies/fleet.yaml": POLICY},
               "fleet: three accounts, one unreachable")

    def sk(*args, now=NOW):
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies", "--now", now]), env=env)

    # ---- before any backup: CRITICAL in both reachable accounts, the third UNKNOWN ----
    since = emu.calls()["last"]
    r = sk("verify")
    t.is_(r.rc, 2, "no snapshot anywhere: CRITICAL (exit 2) ranks above the unobserved account's UNKNOWN")
    head = r.out.splitlines()[0] if r.out else ""
    t.ok(head.startswith("SNAPKEEP VERIFY CRITICAL - 4 instances in 2 accounts, 1 not observed: "),
         "the summary counts the instances and the accounts, and the one not observed", head)
    for a in ACCOUNTS[:2]:
        t.ok(any(ln.startswith("CRITICAL snapshot-age: instance 'orders-db' in us-east-1: ")
                 and ln.endswith("(policy 'fleet', account %s)" % a) for ln in r.out.splitlines()),
             "orders-db's missing snapshot is named in account %s" % a, r)
    unk = [ln for ln in r.out.splitlines() if ln.startswith("UNKNOWN account: account 333333333333 was not observed")]
    t.ok(len(unk) == 1 and "AccessDenied" in unk[0], "one UNKNOWN line names the unobserved account and why", r)
    t.ok("wrong-id" not in r.out + r.err, "the external id never shows", r)
    t.is_(emu.mutating(since, service="rds"), [], "verify makes no RDS change")

    r = sk("verify", "--output", "json")
    doc = r.json() if r.rc == 2 else {}
    t.is_(doc.get("accounts", {}).get("observed"), ACCOUNTS[:2], "JSON: the accounts observed")
    t.is_([u["account"] for u in doc.get("accounts", {}).get("notObserved", [])], ACCOUNTS[2:],
          "JSON: the account not observed")
    t.ok(doc.get("results") and all(x.get("account") in ACCOUNTS[:2] for x in doc["results"]),
         "JSON: every result names its account", doc.get("results", [])[:2])
    t.is_(doc.get("counts", {}).get("unknown"), 1, "JSON: the unobserved account counts as one UNKNOWN")

    # ---- apply converges the two reachable accounts ----
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 4, "apply: two accounts converged, one not observed (exit 4)")

    # the third becomes reachable: its backups are still missing, the others' are there
    t.git_repo(repo, {"policies/settings.yaml": FIXED}, "fleet: the third account's id fixed")
    r = sk("verify", "--output", "json", now=LATER)
    res = results(r)
    t.is_(r.rc, 2, "the third account's missing snapshots are CRITICAL")
    for a in ACCOUNTS[:2]:
        t.is_(age(res, a, "orders-db"), "OK", "orders-db's snapshot in %s is fresh" % a)
    t.is_(age(res, ACCOUNTS[2], "orders-db"), "CRITICAL",
          "orders-db in 333333333333 has none: the same name's snapshots in the other accounts do not count")
    t.is_(r.json().get("accounts", {}).get("notObserved") if r.rc == 2 else None, [], "every account observed")
    r = sk("verify", now=LATER)
    t.ok(r.out.startswith("SNAPKEEP VERIFY CRITICAL - 6 instances in 3 accounts: "),
         "text: six instances in three accounts, none unobserved", r.out[:200])

    # ---- --account narrows; --instance matches in one account only ----
    r = sk("verify", "--output", "json", "--account", ACCOUNTS[0], now=LATER)
    res = results(r)
    t.ok(res and {x["account"] for x in res} == {ACCOUNTS[0]}, "--account 111111111111: that account's results only",
         r)
    t.is_(age(res, ACCOUNTS[0], "acct-111-db"), "OK", "--account: its own instance verified")
    t.ok([x for x in res if x["check"] in ("snapshot-age", "copy")] and
         all(x["status"] == "OK" for x in res if x["check"] in ("snapshot-age", "copy")),
         "--account 111111111111: converged, its snapshots and copies OK", res)
    r = sk("verify", "--output", "json", "--instance", "acct-333-db", now=LATER)
    res = results(r)
    t.ok(res and {(x["account"], x["instance"]) for x in res} == {(ACCOUNTS[2], "acct-333-db")},
         "--instance acct-333-db: only the account that has it", r)
    t.is_(r.rc, 2, "--instance acct-333-db: its missing snapshot is CRITICAL")
    r = sk("verify", "--instance", "no-such-db", now=LATER)
    t.ok(r.rc == 3 and "no policy selects instance 'no-such-db' in any account" in r.out + r.err,
         "--instance no account has: UNKNOWN (exit 3), said", r)
    r = sk("verify", "--account", "444444444444", now=LATER)
    t.ok(r.rc == 3 and "444444444444" in r.out, "an --account Settings does not list: UNKNOWN (exit 3)", r)
    r = sk("verify", "--inventory", os.path.join(work, "none.json"), now=LATER)
    t.ok(r.rc == 3 and "an inventory file is one account's" in r.out,
         "--inventory over several accounts: UNKNOWN (exit 3), said", r)

    # ---- the run loop (drift only): every account checked, each account's instance its own series and alert ----
    # the loop's clock is the wall clock, months past the emulator's frozen one: every newest snapshot is CRITICAL
    p = RunProc(["--repo", repo, "--path", "policies", "--interval", "1s", "--metrics-addr", "127.0.0.1:0"],
                env=env, workdir=work, name="loop")
    try:
        t.ok(p.wait_for(r"verify CRITICAL: 6 instances", timeout=60), "the loop verifies the six instances", p.err())
        ms = p.metrics()
        for a in ACCOUNTS:
            t.is_(metric(ms, "snapkeep_verify_status", instance="%s/orders-db" % a, region="us-east-1",
                         check="snapshot-age"), 2.0,
                  "/metrics: snapkeep_verify_status{%s/orders-db, us-east-1, snapshot-age} is 2 (CRITICAL)" % a)
        t.ok(p.wait_for(r"alert verify:333333333333/us-east-1/orders-db:snapshot-age firing", timeout=20),
             "each account's check is its own alert condition", p.err())
        subjects = sorted(m["Subject"] for m in emu.sns_messages()
                          if m["Subject"].startswith("snapkeep: verify CRITICAL: snapshot-age of ")
                          and "orders-db" in m["Subject"])
        t.is_(subjects, ["snapkeep: verify CRITICAL: snapshot-age of %s/orders-db in us-east-1" % a for a in ACCOUNTS],
              "one SNS message per account for orders-db's stale snapshot, each naming its account")
        msg = [m["Message"] for m in emu.sns_messages() if "of 222222222222/orders-db" in m["Subject"]]
        t.ok(msg and "(policy 'fleet', account 222222222222)" in msg[0], "the message names the account", msg[:1])
        t.is_(p.stop(), 0, "the loop stops on SIGTERM")
    finally:
        p.kill()

    # ---- run --report-at: the month's report covers every account ----
    emu.admin("DELETE", "sns")
    r = t.snapkeep("run", "--once", "--repo", repo, "--path", "policies", "--report-at", "* * * * *", env=env)
    msgs = [m for m in emu.sns_messages() if m["Subject"].startswith("snapkeep report ")]
    t.ok(r.rc == 0 and len(msgs) == 1, "run --once --report-at over the accounts publishes the month's summary",
         (r, [m["Subject"] for m in emu.sns_messages()]))
    reports = os.path.join(work, "state", "reports")
    pages = sorted(os.listdir(reports)) if os.path.isdir(reports) else []
    page = open(os.path.join(reports, pages[-1])).read() if pages else ""
    t.ok(pages and all("%s/orders-db" % a in page for a in ACCOUNTS),
         "and writes the month's page with each account's orders-db", pages)

    # ---- validate --observe: what each policy selects in each account ----
    def validate(*more):
        return t.snapkeep("validate", "--observe", "--repo", repo, "--path", "policies", *more, env=env)

    GHOST = POLICY.replace("name: fleet", "name: ghost").replace("backup: daily", "backup: never")
    t.git_commit(repo, {"policies/ghost.yaml": GHOST}, "ghost: selects nothing anywhere")
    r = validate()
    t.ok(r.rc == 0 and "What each policy selects (live state, 2 policies, 3 accounts):" in r.out and
         "fleet: 6 instances: " in r.out and "orders-db (us-east-1, account 222222222222)" in r.out,
         "validate --observe: fleet's six instances, each with its account", r)
    t.ok("Warning: policy 'ghost' selects no instance in us-east-1" in r.out and
         "(in none of the 3 accounts it covers)" in r.out, "a policy that selects nothing in any account is warned of",
         r)
    r = validate("--output", "json")
    doc = r.json() if r.rc == 0 else {}
    chosen = [p for p in doc.get("policies", []) if p["name"] == "fleet"]
    t.is_(sorted((i.get("account"), i["id"]) for i in (chosen[0]["instances"] if chosen else [])),
          sorted((a, n) for a in ACCOUNTS for n in ("orders-db", "acct-%s-db" % a[:3])),
          "validate --observe JSON: every selected instance names its account")
    t.git_commit(repo, {"policies/settings.yaml": settings("wrong-id")}, "the third account's id broken again")
    r = validate()
    t.ok(r.rc == 1 and "1 of 3 accounts not observed: 333333333333" in r.err,
         "validate --observe fails when an account cannot be observed, naming it", r)

t.done()
