#!/usr/bin/env python3
"""What a policy selects, against the emulator (issue 11, point 3): a tag
selector that matches nothing is a warning, never "Live backups match the
policy":

- plan (text): a `warning` note naming the policy, its regions and tags, and
  "No changes, but policy 'x' selects no instance"; --detailed-exitcode
  still exits 0 (nothing to change), with the warning;
- plan --output json: the note, and "policies" listing what every policy
  selects; a saved plan (`plan -out`) shows the same through `show`;
- validate --observe: the selection of each policy and the same warning,
  exit 0; the conflicts only live state reveals are errors (exit 1); a
  failed observation is exit 1; without --observe validate calls no AWS API."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

SEED = {
    "account": "123456789012",
    "regions": {
        "us-east-1": {
            "instances": [
                {"id": "orders-db", "backupRetentionPeriod": 7, "tags": {"env": "prod", "team": "orders"}},
                {"id": "billing-db", "backupRetentionPeriod": 7, "tags": {"env": "prod", "team": "billing"}},
            ],
        },
    },
}


def policy(name, tags, retention=7):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: %s}
spec:
  regions: [us-east-1]
  selector:
    tags: {%s}
  automated:
    retentionDays: %d
""" % (name, ", ".join("%s: %s" % kv for kv in tags.items()), retention)


WARNING = ("policy 'payments' selects no instance in us-east-1: no instance there carries the tags env=prod, "
           "team=payments, so the policy protects no database")

work = t.tmpdir()
repo = os.path.join(work, "policies")
commit = t.git_repo(repo, {"policies/prod.yaml": policy("prod", {"env": "prod"}),
                           "policies/payments.yaml": policy("payments", {"env": "prod", "team": "payments"})},
                    "payments: tagged wrong")

with Emulator(seed=SEED) as emu:
    env = emu.env()
    env.update({"SNAPKEEP_STATE_DIR": os.path.join(work, "state"), "NO_COLOR": "1", "AWS_MAX_ATTEMPTS": "1"})

    def sk(*args):
        return t.snapkeep(*(list(args) + ["--repo", repo, "--path", "policies"]), env=env)

    # ---- plan ----
    r = sk("plan", "--detailed-exitcode")
    t.is_(r.rc, 0, "plan --detailed-exitcode: nothing to change is still exit 0") or t.diag(r)
    t.contains(r.out, "  warning (us-east-1)\n      " + WARNING + "\n", "the plan has a warning note naming it")
    t.contains(r.out, "No changes, but policy 'payments' selects no instance: it protects no database. See the notes.",
               "the last line says a policy selects nothing")
    t.ok("match the policy" not in r.out, "and never that live backups match the policy", r.out)

    r = sk("plan", "--output", "json")
    j = r.json()
    t.ok(r.rc == 0 and j["changes"] is False, "plan --output json: no changes")
    t.ok([n for n in j["notes"] if n["kind"] == "warning" and n["message"] == WARNING and n["region"] == "us-east-1"],
         "the JSON has the warning note", j["notes"])
    t.is_(j["policies"], [
        {"name": "payments", "regions": ["us-east-1"], "instances": []},
        {"name": "prod", "regions": ["us-east-1"], "instances": [{"region": "us-east-1", "id": "billing-db"},
                                                                 {"region": "us-east-1", "id": "orders-db"}]},
    ], "and lists what each policy selects (policies in file order, instances in inventory order)")

    saved = os.path.join(work, "p.plan")
    r = sk("plan", "-out", saved)
    t.is_(r.rc, 0, "plan -out saves it") or t.diag(r)
    r = t.snapkeep("show", saved, env=env)
    t.ok(r.rc == 0 and WARNING in r.out and "No changes, but policy 'payments' selects no instance" in r.out,
         "show of the saved plan says the same", r)

    # ---- validate --observe ----
    since = emu.calls()["last"]
    r = sk("validate")
    t.ok(r.rc == 0 and "Warning" not in r.out and not emu.calls(since=since)["calls"],
         "validate alone calls no AWS API and cannot know", r)
    r = sk("validate", "--observe")
    t.is_(r.rc, 0, "validate --observe: valid policies exit 0 even with a selection warning") or t.diag(r)
    t.contains(r.out, "Success! 2 policies are valid at commit %s" % commit[:12], "it validates")
    t.contains(r.out, "  payments: 0 instances\n", "and lists what each policy selects: nothing for payments")
    t.contains(r.out, "  prod: 2 instances: billing-db (us-east-1), orders-db (us-east-1)\n", "two for prod")
    t.contains(r.out, "Warning: " + WARNING + ".\n", "with the plan's warning")
    calls = emu.calls(since=since)["calls"]
    t.ok(calls and all(not c.get("mutating") for c in calls), "it observes, and changes nothing",
         sorted(set(c["action"] for c in calls)))
    r = sk("validate", "--observe", "--output", "json")
    j = r.json()
    t.ok(r.rc == 0 and j["valid"] and j["warnings"] == [WARNING], "validate --observe --output json: the warning",
         j)
    t.is_([(p["name"], p["instances"]) for p in j["policies"]],
          [("payments", []), ("prod", [{"region": "us-east-1", "id": "billing-db"},
                                       {"region": "us-east-1", "id": "orders-db"}])],
          "and each policy's instances")

    # what only the live state reveals is an error there: two policies' tags select one instance, in conflict
    t.git_commit(repo, {"policies/payments.yaml": policy("billing", {"team": "billing"}, retention=14)}, "conflict")
    r = sk("validate")
    t.is_(r.rc, 0, "validate alone cannot see the conflict of two tag selectors")
    r = sk("validate", "--observe")
    t.ok(r.rc == 1 and "'billing' and 'prod' both select instance 'billing-db'" in r.err,
         "validate --observe finds it: exit 1, naming both policies", r)
    r = sk("validate", "--observe", "--output", "json")
    j = r.json()
    t.ok(r.rc == 1 and not j["valid"] and "both select instance 'billing-db'" in j["errors"][0]["message"],
         "and says so in JSON too", j)

    emu.faults(throttle=1.0)
    r = sk("validate", "--observe")
    emu.admin("DELETE", "faults")
    t.ok(r.rc == 1 and "Throttling" in r.err, "an observation that fails is exit 1 with the AWS error", r)
    r = sk("validate", "--help")
    t.ok(r.rc == 0 and "--observe" in r.out and "warning" in r.out, "validate --help documents --observe", r.out)

t.done()
