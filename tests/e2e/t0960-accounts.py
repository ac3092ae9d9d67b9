#!/usr/bin/env python3
"""Several accounts: a three-account fleet against the emulator (two
instances and one Aurora cluster each, the same instance and cluster names
in all three), Settings' accounts
with a role to assume in each from the base credentials (the static key of
account 123456789012), one of them with a wrong external id.  The plan
shows the two reachable accounts and names the failing one (text and
JSON, exit 4); apply converges the two and makes no call in the third;
fixing the id and applying again converges the third; the emulator's call
log proves that every RDS call was made with the credentials of the
account it touched and that no copy crossed accounts.  The state file keys
instances by account, --account narrows a run to some accounts, and an
unknown --account is refused.  The clusters (a cluster policy naming the
accounts in spec.accounts) go the same way: planned and converged in the
reachable accounts only, cluster calls made in the cluster's account with
its credentials, cluster copies never crossing accounts.

restore with Settings' accounts needs --account to pick its target
account and then acts there through that account's role."""
import csv
import io
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator
import fleet

try:
    import jsonschema
except ImportError:  # scripts/deps.sh installs python3-jsonschema
    t.bail("python3-jsonschema is missing: run `make deps`")
REPORT_SCHEMA = json.load(open(os.path.join(t.TOP, "specs", "report.schema.json")))

from fleet import ACCOUNTS, BASE, POLICY, instance, retention  # noqa: E402


SEED = {
    "account": BASE,
    "regions": {"us-east-1": {"instances": [instance("orders-db")]}},  # the base account's: no policy covers it
    "roles": fleet.roles(ACCOUNTS),
    "accounts": {a: {"regions": {"us-east-1": {"instances": [instance("orders-db"), instance("acct-%s-db" % a[:3])],
                                               "clusters": [{"id": "ledger", "members": ["ledger-1"],
                                                             "backupRetentionPeriod": 1}]},
                                 "us-west-2": {"instances": []}}} for a in ACCOUNTS},
}


def settings(ext3):
    """Settings' three accounts (parallel 4), the third's role asked with external id ext3"""
    return fleet.settings(ACCOUNTS, {ACCOUNTS[2]: ext3}, parallel=4)


FIXED = settings(fleet.external_id(ACCOUNTS[2]))  # the third account's role asked right


CLUSTERS = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: ledgers}
spec:
  accounts: ["%s"]
  regions: [us-east-1]
  selector: {clusters: [ledger]}
  automated: {retentionDays: 10}
  snapshots:
    schedule: "30 4 * * *"
    retain: {last: 2}
    copies:
      - {region: us-west-2}
""" % '", "'.join(ACCOUNTS)
CLUSTER_CALLS = {"ModifyDBCluster", "CreateDBClusterSnapshot", "CopyDBClusterSnapshot", "DeleteDBClusterSnapshot"}
NOW = "2026-03-02T05:00:00Z"


def owned(emu, account, region):
    st = emu.state(region=region, account=account)["regions"].get(region) or {}
    return sorted(s["id"] for s in st.get("snapshots", []) if s["type"] == "manual")


def cluster_owned(emu, account, region):
    st = emu.state(region=region, account=account)["regions"].get(region) or {}
    return sorted(s["id"] for s in st.get("clusterSnapshots", []) if s["type"] == "manual")


def cluster_retention(emu, account):
    st = emu.state(region="us-east-1", account=account, snapshots=False)["regions"]["us-east-1"]
    return {c["id"]: c["backupRetentionPeriod"] for c in st.get("clusters", [])}


work = t.tmpdir()
repo = os.path.join(work, "policies")
with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = os.path.join(work, "state")
    env["NO_COLOR"] = "1"
    emu.config(createSeconds=0, copySeconds=0)
    emu.clock(set=NOW)
    t.git_repo(repo, {"policies/settings.yaml": settings("wrong-id"), "policies/fleet.yaml": POLICY,
                     "policies/ledgers.yaml": CLUSTERS},
               "fleet: three accounts")

    def sk(*args):
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies", "--now", NOW]), env=env)

    st0 = emu.state(snapshots=False)
    t.is_(sorted(st0["accounts"]), sorted([BASE] + ACCOUNTS), "the emulator serves four accounts")

    # ---- iam-policy: each role's policy in its account, the trust it needs ----
    r = t.snapkeep("iam-policy", "--repo", repo, "--path", "policies", env=env)
    t.ok(r.rc == 64 and "--trust is required" in r.err, "iam-policy needs --trust with Settings' accounts", r)
    r = t.snapkeep("iam-policy", "--repo", repo, "--path", "policies", "--trust", BASE, env=env)
    doc = r.json() if r.rc == 0 else {}
    t.is_([a["account"] for a in doc.get("accounts", [])], ACCOUNTS, "iam-policy: one role per account")
    t.is_(doc.get("basePolicy", {}).get("Statement", [{}])[0].get("Resource"),
          ["arn:aws:iam::%s:role/snapkeep" % a for a in ACCOUNTS], "the base identity may assume each role")
    arns = [res for a in doc.get("accounts", [])[:1] for st in a["rolePolicy"]["Statement"]
            for res in st["Resource"] if res.startswith("arn:aws:rds:")]
    t.ok(arns and all(x.split(":")[4] == ACCOUNTS[0] for x in arns), "a role's policy names its own account only")
    trust = doc.get("accounts", [{}])[0].get("trustPolicy", {}).get("Statement", [{}])[0]
    t.ok(trust.get("Principal") == {"AWS": "arn:aws:iam::%s:root" % BASE} and
         trust.get("Condition") == {"StringEquals": {"sts:ExternalId": fleet.external_id(ACCOUNTS[0])}},
         "the trust policy trusts the base identity with the ExternalId", trust)

    # ---- plan: two accounts planned, the third named ----
    since = emu.calls()["last"]
    r = sk("plan")
    t.is_(r.rc, 4, "plan exits 4 (partial) when an account is not observed")
    t.ok("Account 333333333333 was not observed:" in r.out and "AccessDenied" in r.out,
         "the plan names the failing account and why", r)
    t.ok("ExternalId" not in r.err and "wrong-id" not in r.out + r.err, "the external id never shows", r)
    for a in ACCOUNTS[:2]:
        t.ok("db-instance orders-db (us-east-1, account %s)" % a in r.out, "plan shows orders-db in %s" % a, r)
        t.ok("(us-east-1, account %s)" % a in r.out and "acct-%s-db" % a[:3] in r.out,
             "plan shows account %s's own instance" % a, r)
        t.ok("ledger (us-east-1, account %s)" % a in r.out, "plan shows the cluster ledger in %s" % a, r)
    t.ok("account 333333333333)" not in r.out, "nothing is planned in 333333333333", r)
    t.ok("Plan: 12 to create, 6 to change, 0 to delete." in r.out,
         "two accounts x (two instances + one cluster): 12 + 6", r)
    t.is_(emu.mutating(since, service="rds"), [], "plan makes no RDS change")

    r = sk("plan", "--output", "json")
    t.is_(r.rc, 4, "plan --output json exits 4 too")
    p = r.json()
    t.is_(p["accounts"]["observed"], ACCOUNTS[:2], "JSON: the observed accounts")
    t.is_([u["account"] for u in p["accounts"]["notObserved"]], ACCOUNTS[2:], "JSON: the account not observed")
    t.ok(all(a.get("account") in ACCOUNTS[:2] for a in p["actions"]), "JSON: every action names its account")
    t.is_(sorted({(a["account"], a["instance"]) for a in p["actions"] if a["instance"] == "orders-db"}),
          [(ACCOUNTS[0], "orders-db"), (ACCOUNTS[1], "orders-db")], "orders-db twice: one per account")
    t.is_(sorted({(a["account"], a["action"]) for a in p["actions"] if a["instance"] == "ledger"}),
          sorted((x, y) for x in ACCOUNTS[:2] for y in ("copy", "create", "modify")),
          "the cluster ledger: settings, a snapshot and a copy in each reachable account")

    # ---- report: every instance row carries its account, the failing account named ----
    since = emu.calls()["last"]
    r = sk("report", "--format", "json")
    t.is_(r.rc, 4, "report exits 4 (partial, as plan) when an account is not observed")
    t.ok("333333333333" in r.err, "report names the account it could not observe on stderr", r)
    doc = json.loads(r.out) if r.out.strip() else {}
    try:
        jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(doc)
        t.ok(True, "report over accounts: the JSON is valid against specs/report.schema.json")
    except (ValueError, jsonschema.ValidationError) as e:
        t.ok(False, "report over accounts: the JSON is valid against specs/report.schema.json", str(e)[:2000])
    t.is_(doc.get("accounts", {}).get("observed"), ACCOUNTS[:2], "report JSON: the observed accounts")
    t.is_([u["account"] for u in doc.get("accounts", {}).get("notObserved", [])], ACCOUNTS[2:],
          "report JSON: the account not observed")
    t.ok("AccessDenied" in json.dumps(doc.get("accounts", {}).get("notObserved")),
         "report JSON: why it was not observed", doc.get("accounts"))
    rows = {(i.get("account"), i["policy"], i["instance"]) for i in doc.get("instances", [])}
    want = {(a, "fleet", n) for a in ACCOUNTS[:2] for n in ("orders-db", "acct-%s-db" % a[:3])}
    t.ok(want <= rows, "report JSON: orders-db and each account's own instance, once per reachable account",
         sorted(rows, key=str))
    t.ok(all(i.get("account") in ACCOUNTS[:2] for i in doc.get("instances", [])),
         "report JSON: every instance row names a reachable account", sorted(rows, key=str))
    t.is_(doc.get("counts", {}) and sum(doc["counts"].values()), len(doc.get("instances", [])),
          "report JSON: the counts cover every row")
    r = sk("report", "--format", "csv")
    t.is_(r.rc, 4, "report --format csv exits 4 too")
    crows = list(csv.reader(io.StringIO(r.out, newline="")))
    t.is_(crows[0][-1] if crows else None, "account", "CSV: an account column, last")
    got = {(row[-1], row[1]) for row in crows[1:] if row[0] == "fleet"}
    t.is_(got, {(a, n) for a in ACCOUNTS[:2] for n in ("orders-db", "acct-%s-db" % a[:3])},
          "CSV: fleet's rows for both reachable accounts, with their account ids")
    t.ok(all(len(row) == len(crows[0]) for row in crows), "CSV: every row has every column")
    r = sk("report")
    t.ok(r.rc == 4 and "account 333333333333 not observed" in r.out and
         "%s/orders-db" % ACCOUNTS[0] in r.out and "%s/orders-db" % ACCOUNTS[1] in r.out,
         "report text: instances named <account>/<instance>, the failing account named", r)
    r = sk("report", "--format", "markdown")
    t.ok(r.rc == 4 and "account `333333333333` **not observed**" in r.out and "%s/orders-db" % ACCOUNTS[1] in r.out,
         "report markdown: the account in each row, the failing account named", r)
    r = sk("report", "--format", "html")
    t.ok(r.rc == 4 and 'id="accounts"' in r.out and "not observed</b>: 333333333333" in r.out and
         ">%s/orders-db<" % ACCOUNTS[0] in r.out, "report html: the account in each row, the failing account named",
         r.out[:300])
    t.is_(emu.mutating(since, service="rds"), [], "report makes no RDS change")

    # ---- --account narrows; an unknown one is refused ----
    r = sk("plan", "--output", "json", "--account", ACCOUNTS[1])
    t.ok(r.rc == 0 and {a["account"] for a in r.json()["actions"]} == {ACCOUNTS[1]},
         "--account 222222222222 plans that account only (exit 0)", r)
    r = sk("plan", "--account", "444444444444")
    t.ok(r.rc == 1 and "account '444444444444' is not one of Settings' accounts" in r.err,
         "an --account Settings does not list is refused", r)

    # ---- apply: the two converge, nothing happens in the third ----
    since = emu.calls()["last"]
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 4, "apply exits 4: applied where it could, one account not observed")
    t.ok("333333333333" in r.err, "apply names the account it could not reach", r)
    t.ok("  create snapkeep-orders-db-20260302-0430 (us-east-1, account 222222222222): done" in r.out,
         "apply's outcome lines name the account", r)
    for a in ACCOUNTS[:2]:
        t.is_(retention(emu, a), {"orders-db": 14, "acct-%s-db" % a[:3]: 14}, "retention set in %s" % a)
        t.is_(len(owned(emu, a, "us-east-1")), 2, "a snapshot of each instance in %s" % a)
        t.is_(len(owned(emu, a, "us-west-2")), 2, "a copy of each in %s's us-west-2" % a)
        t.is_(cluster_retention(emu, a), {"ledger": 10}, "the cluster's retention set in %s" % a)
        t.is_(len(cluster_owned(emu, a, "us-east-1")), 1, "a cluster snapshot in %s" % a)
        t.is_(len(cluster_owned(emu, a, "us-west-2")), 1, "a cluster copy in %s's us-west-2" % a)
    t.is_(retention(emu, ACCOUNTS[2]), {"orders-db": 7, "acct-333-db": 7}, "333333333333 untouched")
    t.is_(cluster_retention(emu, ACCOUNTS[2]), {"ledger": 1}, "333333333333's cluster untouched")
    t.is_(cluster_owned(emu, ACCOUNTS[2], "us-east-1") + cluster_owned(emu, ACCOUNTS[2], "us-west-2"), [],
          "no cluster snapshot in 333333333333")
    t.is_(owned(emu, ACCOUNTS[2], "us-east-1") + owned(emu, ACCOUNTS[2], "us-west-2"), [],
          "no snapshot in 333333333333")
    t.is_(retention(emu, BASE), {"orders-db": 7}, "the base account is no target: untouched")
    r = t.snapkeep("history", env=env)
    t.ok(r.rc == 0 and "222222222222/snapkeep-orders-db-20260302-0430" in r.out and
         "111111111111/snapkeep-orders-db-20260302-0430" in r.out,
         "history names each call's target <account>/<target>", r)

    calls = [c for c in emu.calls(since=since)["calls"]]
    rds = [c for c in calls if c.get("service") == "rds"]
    t.ok(rds and all(c.get("account") in ACCOUNTS[:2] for c in rds),
         "every RDS call acted in a reachable target account (none in the base account or 333333333333)",
         sorted({c.get("account") for c in rds}))
    sts = [c for c in calls if c.get("action") == "AssumeRole"]
    t.ok(sts and all(c.get("account") == BASE for c in sts), "AssumeRole is called with the base credentials")
    denied = [c for c in sts if c.get("error") == "AccessDenied"]
    t.ok(denied and all(ACCOUNTS[2] in c["params"].get("RoleArn", "") for c in denied),
         "only 333333333333's role was refused")
    crossed = []
    for c in rds:
        if c["action"] != "CopyDBSnapshot":
            continue
        src = c["params"].get("SourceDBSnapshotIdentifier", "")
        if not src.startswith("arn:aws:rds:") or src.split(":")[4] != c["account"]:
            crossed.append((c["account"], src))
    t.is_(crossed, [], "every copy's source is in the account that copies it")
    t.ok(len([c for c in rds if c["action"] == "CopyDBSnapshot"]) == 4, "four copies: two per account")
    ccalls = sorted((c["account"], c["action"]) for c in rds if c["action"] in CLUSTER_CALLS)
    t.is_(ccalls, sorted((a, x) for a in ACCOUNTS[:2]
                         for x in ("CopyDBClusterSnapshot", "CreateDBClusterSnapshot", "ModifyDBCluster")),
          "cluster calls: settings, a snapshot and a copy in each reachable account, none elsewhere")
    issued = {x["accessKey"]: x["arn"] for x in emu.credentials()["issued"]}
    keyed = [(c["account"], issued.get(c.get("accessKey"), "")) for c in rds if c["action"] in CLUSTER_CALLS]
    t.ok(keyed and all(arn.startswith("arn:aws:sts::%s:assumed-role/snapkeep/" % a) for a, arn in keyed),
         "every cluster call is signed with its account's assumed credentials", keyed)
    crossed = [(c["account"], c["params"].get("SourceDBClusterSnapshotIdentifier", "")) for c in rds
               if c["action"] == "CopyDBClusterSnapshot"]
    t.ok(crossed and all(s.startswith("arn:aws:rds:") and s.split(":")[4] == a for a, s in crossed),
         "every cluster copy's source is in the account that copies it", crossed)

    state = json.load(open(os.path.join(work, "state", "state.json")))
    keys = sorted(state["instances"])
    t.is_(keys, sorted("%s/us-east-1/%s" % (a, i) for a in ACCOUNTS[:2]
                       for i in ("orders-db", "acct-%s-db" % a[:3], "ledger")),
          "state.json keys instances and clusters by account")
    t.is_(state["lastRun"]["outcome"], "partial", "the run is recorded as partial")
    journal = open(os.path.join(work, "state", "journal.jsonl")).read().splitlines()
    intents = [json.loads(x) for x in journal if '"type":"intent"' in x.replace(" ", "")]
    t.ok(intents and all(i.get("call", {}).get("account") in ACCOUNTS[:2] for i in intents),
         "every journal intent names its account", intents[:1])

    # ---- the next plan's snapshot decisions: the same name in two accounts is two decisions ----
    r = sk("plan", "--output", "json")
    snaps = r.json().get("snapshots", []) if r.out.strip() else []
    t.ok(snaps and all(d.get("account") in ACCOUNTS[:2] for d in snaps) and
         {(d.get("account"), d["id"]) for d in snaps} >= {(a, "snapkeep-orders-db-20260302-0430") for a in ACCOUNTS[:2]},
         "plan JSON: every snapshot decision names its account", snaps[:2])

    # ---- the emulator keeps every account across a restart ----
    emu.restart()
    t.is_(sorted(emu.state(snapshots=False)["accounts"]), sorted([BASE] + ACCOUNTS), "accounts survive a restart")
    t.is_(len(owned(emu, ACCOUNTS[1], "us-west-2")), 2, "and so do their inventories")
    t.is_((cluster_retention(emu, ACCOUNTS[1]), len(cluster_owned(emu, ACCOUNTS[1], "us-west-2"))), ({"ledger": 10}, 1),
          "and their clusters and cluster snapshots")

    # ---- the id fixed: the third converges, the others have nothing to do ----
    t.git_commit(repo, {"policies/settings.yaml": FIXED}, "fleet: the right external id")
    since = emu.calls()["last"]
    r = sk("apply", "--auto-approve")
    t.is_(r.rc, 0, "apply exits 0 once every account is reachable")
    t.is_(retention(emu, ACCOUNTS[2]), {"orders-db": 14, "acct-333-db": 14}, "333333333333 converged: retention")
    t.is_(cluster_retention(emu, ACCOUNTS[2]), {"ledger": 10}, "333333333333 converged: the cluster's retention")
    t.is_((len(cluster_owned(emu, ACCOUNTS[2], "us-east-1")), len(cluster_owned(emu, ACCOUNTS[2], "us-west-2"))),
          (1, 1), "333333333333 converged: the cluster's snapshot and copy")
    t.is_((len(owned(emu, ACCOUNTS[2], "us-east-1")), len(owned(emu, ACCOUNTS[2], "us-west-2"))), (2, 2),
          "333333333333 converged: snapshots and copies")
    rds = [c for c in emu.calls(since=since)["calls"] if c.get("service") == "rds" and c.get("mutating")]
    t.ok(rds and all(c.get("account") == ACCOUNTS[2] for c in rds),
         "the second apply changes only 333333333333", sorted({c.get("account") for c in rds}))
    for a in ACCOUNTS[:2]:
        t.is_(len(owned(emu, a, "us-east-1")), 2, "%s keeps its snapshots" % a)
    r = sk("plan", "--detailed-exitcode")
    t.ok(r.rc == 0 and "No changes." in r.out, "a last plan: no changes in any account", r)
    state = json.load(open(os.path.join(work, "state", "state.json")))
    t.is_(len(state["instances"]), 9, "state.json: two instances and a cluster per account")
    since = emu.calls()["last"]
    r = t.snapkeep("run", "--once", "--auto-apply", "--repo", repo, "--path", "policies", env=env)
    t.ok(r.rc == 0, "run --once over the three accounts: exit 0", r)
    # run's clock is the wall clock, past the emulator's frozen one: today's slot is due in every account
    made = [(c["account"], c["action"]) for c in emu.calls(since=since, service="rds")["calls"] if c.get("mutating")]
    t.is_(sorted(set(made)), sorted((a, x) for a in ACCOUNTS for x in ("CopyDBSnapshot", "CreateDBSnapshot",
                                                                      "CopyDBClusterSnapshot", "CreateDBClusterSnapshot")),
          "run --once takes today's snapshots and copies in each account, with its own credentials")
    t.is_(len(made), 18, "per account: two snapshots and two copies, a cluster snapshot and its copy")
    r = sk("verify")
    head = r.out.splitlines()[0] if r.out else ""
    t.ok(r.rc in (0, 1, 2) and head.startswith("SNAPKEEP VERIFY ") and " in 3 accounts: " in head,
         "verify covers the three accounts (t0967 tests it)", r)

    # ---- restore: one target account, picked by --account, acted in with its role ----
    def instances(account):
        st = emu.state(region="us-east-1", account=account, snapshots=False)["regions"]["us-east-1"]
        return sorted(d["id"] for d in st["instances"])

    rs = ["restore", "--instance", "orders-db", "--latest", "--target", "orders-restored", "--repo", repo,
          "--path", "policies"]
    r = t.snapkeep(*rs, env=env)
    t.ok(r.rc == 64 and "restore with Settings' accounts needs --account ID" in r.err,
         "restore with Settings' accounts and no --account is refused (64)", r)
    r = t.snapkeep(*(rs + ["--account", ACCOUNTS[0], "--account", ACCOUNTS[1]]), env=env)
    t.ok(r.rc == 64 and "--account names the one account to restore in; got 2" in r.err,
         "restore takes one --account", r)
    r = t.snapkeep(*(rs + ["--account", "444444444444"]), env=env)
    t.ok(r.rc == 1 and "account '444444444444' is not one of Settings' accounts" in r.err,
         "restore refuses an account Settings does not list", r)
    since = emu.calls()["last"]
    r = t.snapkeep(*(rs + ["--account", ACCOUNTS[1], "--output", "json"]), env=env)
    doc = r.json() if r.rc == 0 else {}
    t.ok(doc.get("dryRun") is True and doc.get("source", {}).get("arn", "").split(":")[4:5] == [ACCOUNTS[1]],
         "the dry run reads orders-db in 222222222222", r)
    r = t.snapkeep(*(rs + ["--account", ACCOUNTS[1], "--apply"]), env=env)
    t.is_(r.rc, 0, "restore --account 222222222222 --apply exits 0") or t.diag(r)
    t.ok("orders-restored" in instances(ACCOUNTS[1]), "the new instance is in 222222222222")
    t.ok(all("orders-restored" not in instances(a) for a in (BASE, ACCOUNTS[0], ACCOUNTS[2])),
         "and in no other account")
    rds = [c for c in emu.calls(since=since)["calls"] if c.get("service") == "rds"]
    issued = {x["accessKey"]: x["arn"] for x in emu.credentials()["issued"]}
    t.ok(rds and all(c.get("account") == ACCOUNTS[1] and issued.get(c.get("accessKey"), "").startswith(
        "arn:aws:sts::%s:assumed-role/snapkeep/" % ACCOUNTS[1]) for c in rds),
         "every restore call is made in 222222222222 with its role's credentials",
         sorted({(c.get("account"), c["action"]) for c in rds}))
    t.ok(any(c["action"] == "RestoreDBInstanceToPointInTime" for c in rds), "the restore call was made")
    journal = [json.loads(x) for x in open(os.path.join(work, "state", "journal.jsonl")).read().splitlines()]
    restores = [x for x in journal if x.get("type") == "intent" and x.get("action", "").startswith("restore")]
    t.ok(len(restores) == 1 and restores[0].get("call", {}).get("account") == ACCOUNTS[1],
         "the restore's journal intent names its account", restores)
t.done()
