#!/usr/bin/env python3
"""drill over several accounts: each of Settings' accounts observed with its
role, its drill restored, waited for and deleted there with that role's
credentials (never in the base account, never in another); the result, the
journal record and the state entry name the account, and verify reads each
account's drill as its own (the same instance name elsewhere has none).  An
account that cannot be observed is named and nothing is drilled there;
--account narrows.  The instances here hold no database (the emulator serves
PostgreSQL for the default account only), so each drill fails at its checks:
t0820 covers drills that pass; this covers where and as whom they run."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator
import fleet

from fleet import ACCOUNTS, BASE
CREATED = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))


def region(a):
    return {"instances": [{"id": "books-db", "engine": "postgres", "backupRetentionPeriod": 1}],
            "snapshots": [{"id": "snapkeep-books-db-%s" % a[:3], "instance": "books-db", "type": "manual",
                           "created": CREATED,
                           "tags": {"snapkeep:policy": "books", "snapkeep:instance": "books-db"}}]}


SEED = {
    "account": BASE,
    "regions": {"us-east-1": {"instances": [{"id": "books-db", "engine": "postgres", "backupRetentionPeriod": 1}]}},
    "roles": fleet.roles(ACCOUNTS),
    "accounts": {a: {"regions": {"us-east-1": region(a)}} for a in ACCOUNTS},
}


def settings(ext3):
    """Settings' three accounts, the third's role asked with external id ext3"""
    return fleet.settings(ACCOUNTS, {ACCOUNTS[2]: ext3})


FIXED = settings(fleet.external_id(ACCOUNTS[2]))  # the third account's role asked right


POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: books}
spec:
  regions: [us-east-1]
  selector: {instances: [books-db]}
  snapshots: {schedule: "@daily", retain: {last: 5}}
  verify: {alerts: false}
  drill:
    schedule: "0 6 1 * *"
    source: latest-snapshot
    instanceClass: db.t3.micro
    connect: {database: books, user: app, passwordEnv: SNAPKEEP_DRILL_PASSWORD}
    checks:
      - {name: books present, sql: "SELECT count(*) FROM books", atLeast: 1}
    timeout: 2m
"""

work = t.tmpdir()
repo = os.path.join(work, "policies")
state_dir = os.path.join(work, "state")
with Emulator(seed=SEED, args=["--quiet"]) as emu:
    env = emu.env()
    env.update({"SNAPKEEP_STATE_DIR": state_dir, "NO_COLOR": "1", "SNAPKEEP_DRILL_PASSWORD": "pw",
                "SNAPKEEP_LOG": None})
    emu.config(restoreSeconds=0)
    t.git_repo(repo, {"policies/settings.yaml": settings("wrong-id"), "policies/books.yaml": POLICY},
               "books: drills in three accounts, one unreachable")

    def sk(*args):
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies"]), env=env, timeout=300)

    since = emu.calls()["last"]
    r = sk("drill", "--output", "json")
    doc = r.json() if r.out.strip().startswith("{") else {}
    drills = doc.get("drills", [])
    t.is_(r.rc, 1, "the drills failed (no database behind the restored instances): exit 1")
    t.is_(sorted((d.get("account"), d["instance"]) for d in drills),
          [(ACCOUNTS[0], "books-db"), (ACCOUNTS[1], "books-db")], "one drill per reachable account, each naming it")
    t.ok(drills and all(d["source"] == "snapkeep-books-db-%s" % d["account"][:3] for d in drills),
         "each account restores its own snapshot", [d.get("source") for d in drills])
    t.ok(drills and all(d["deleted"] for d in drills), "each drill instance is deleted", drills)
    t.ok("333333333333" in r.err and "not observed" in r.err and "AccessDenied" in r.err,
         "the account that could not be observed is named, with why", r)
    t.ok("wrong-id" not in r.out + r.err, "the external id never shows", r)

    calls = emu.calls(since=since)["calls"]
    issued = {x["accessKey"]: x["arn"] for x in emu.credentials()["issued"]}
    made = [c for c in calls if c.get("service") == "rds" and c.get("mutating")]
    t.is_(sorted((c["account"], c["action"]) for c in made),
          sorted((a, x) for a in ACCOUNTS[:2] for x in ("DeleteDBInstance", "RestoreDBInstanceFromDBSnapshot")),
          "a restore and a delete in each reachable account, nothing in the base account or 333333333333")
    signed = [(c["account"], issued.get(c.get("accessKey"), "")) for c in made]
    t.ok(signed and all(arn.startswith("arn:aws:sts::%s:assumed-role/snapkeep/" % a) for a, arn in signed),
         "every drill call is signed with its account's assumed credentials", signed)

    st = json.load(open(os.path.join(state_dir, "state.json")))
    drilled = {k: v.get("lastDrill", {}).get("outcome") for k, v in st.get("instances", {}).items()}
    t.is_(drilled, {"%s/us-east-1/books-db" % a: "failed" for a in ACCOUNTS[:2]},
          "state.json keeps each account's last drill under its account")
    records = [json.loads(x) for x in open(os.path.join(state_dir, "journal.jsonl")).read().splitlines()
               if '"drill"' in x]
    rec = [x for x in records if x.get("action") == "drill" or x.get("type") == "drill"]
    t.is_(sorted(x.get("account") for x in rec), ACCOUNTS[:2], "the journal's drill records name their accounts")

    # verify reads each account's drill as its own
    r = sk("verify", "--output", "json")
    res = [x for x in (r.json().get("results", []) if r.out.strip().startswith("{") else []) if x["check"] == "drill"]
    t.is_(sorted((x["account"], x["status"], "failed" in x["message"]) for x in res),
          [(ACCOUNTS[0], "CRITICAL", True), (ACCOUNTS[1], "CRITICAL", True)],
          "verify: each account's drill check reads that account's failed drill")

    # --account narrows; with the third fixed, only it is drilled when asked
    t.git_commit(repo, {"policies/settings.yaml": FIXED}, "books: the third account's id fixed")
    since = emu.calls()["last"]
    r = sk("drill", "--output", "json", "--account", ACCOUNTS[2])
    drills = r.json().get("drills", []) if r.out.strip().startswith("{") else []
    t.is_([(d.get("account"), d["instance"]) for d in drills], [(ACCOUNTS[2], "books-db")],
          "--account 333333333333: that account's drill only")
    made = [c for c in emu.calls(since=since)["calls"] if c.get("service") == "rds" and c.get("mutating")]
    t.ok(made and all(c["account"] == ACCOUNTS[2] for c in made), "--account: calls in that account only",
         [(c["account"], c["action"]) for c in made])
    r = sk("drill", "--account", "444444444444")
    t.ok(r.rc == 1 and "account '444444444444' is not one of Settings' accounts" in r.err,
         "an --account Settings does not list is refused", r)

    # the loop runs the drills that are due in every account, and names the account in what it logs
    st = json.load(open(os.path.join(state_dir, "state.json")))
    for k in list(st["instances"]):
        st["instances"][k].pop("lastDrill", None)
    with open(os.path.join(state_dir, "state.json"), "w") as f:
        json.dump(st, f)
    since = emu.calls()["last"]
    r = t.snapkeep("run", "--once", "--auto-apply", "--repo", repo, "--path", "policies", env=env, timeout=300)
    restored = sorted(c["account"] for c in emu.calls(since=since)["calls"]
                      if c["action"] == "RestoreDBInstanceFromDBSnapshot")
    t.is_(restored, ACCOUNTS, "run --once: a due drill restored in each of the three accounts")
    t.ok(all("drill of %s/books-db (us-east-1) failed" % a in r.err for a in ACCOUNTS),
         "run logs each drill as <account>/<instance>", r.err[-3000:])

t.done()
