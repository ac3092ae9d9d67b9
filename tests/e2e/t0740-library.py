#!/usr/bin/env python3
"""A program linked against libsnapkeep.a alone plans and applies.

tests/tools/sk-reconcile links only the library (no cli/ object: checked
with nm, and against snapkeep itself, which has them), opens its own AWS
session, fills struct sk_reconcile_opts with its own callbacks and runs
sk_reconcile.  Against the emulator, on crashkit's scenario (every kind of
mutating call): a plan-only run reports changes and makes no mutating call;
an apply makes exactly the planned calls (the call log, and each outcome's
RequestId), and live state shows them; the next plan is empty, and
snapkeep's own `plan` agrees."""
import json
import os
import shutil
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402

TOOL = os.path.join(t.BUILD, "san", "tests", "tools", "sk-reconcile")
REL_TOOL = os.path.join(t.BUILD, "rel", "tests", "tools", "sk-reconcile")
from crashkit import action_key, call_key  # noqa: E402


def symbols(path):
    """Every symbol name of a binary: nm, else objdump -t."""
    if shutil.which("nm"):
        r = t.run(["nm", path])
        if r.rc == 0:
            return [ln.split()[-1] for ln in r.out.splitlines() if ln.strip()]
    r = t.run(["objdump", "-t", path])
    return [ln.split()[-1] for ln in r.out.splitlines() if ln.strip() and "SYMBOL TABLE" not in ln]


def cli_symbols(names):
    return sorted(n for n in names if n.startswith("cmd_") or n.startswith("sk_cli_"))


def lines(r):
    """The tool's JSON lines -> ([plans], [summaries])."""
    plans, sums = [], []
    for ln in r.out.splitlines():
        j = json.loads(ln)
        (plans if j["event"] == "plan" else sums).append(j)
    return plans, sums


# ---- the tool is the library alone ----
for path in (TOOL, REL_TOOL):
    if not os.path.exists(path):
        t.bail("%s is not built (make %s)" % (path, os.path.relpath(path, t.TOP)))
tool_syms = symbols(TOOL)
t.ok("sk_reconcile" in tool_syms and "sk_session_open" in tool_syms and "sk_plan_compute" in tool_syms,
     "the tool links sk_reconcile, sk_session_open and the planner from the library", len(tool_syms))
t.is_(cli_symbols(tool_syms), [], "the sanitized tool holds no cmd_* or sk_cli_* symbol")
t.is_(cli_symbols(symbols(REL_TOOL)), [], "nor does the release build")
t.ok("cmd_apply" in cli_symbols(symbols(t.REL_BIN)) and "sk_cli_reconcile_opts" in cli_symbols(symbols(t.REL_BIN)),
     "while snapkeep itself has them (the check can see them)")

work = t.tmpdir()
with Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    sc = ck.Scenario(emu, work)
    sc.fresh()
    env = sc.env()

    def tool(*runs):
        return t.run([TOOL, "--repo", sc.repo, "--path", "policies", "--state-dir", sc.state,
                      "--endpoint", emu.url, "--region", "us-east-1", "--now", ck.NOW, "--runs", ",".join(runs)],
                     env=env, timeout=300)

    # ---- plan only ----
    since = emu.calls()["last"]
    r = tool("plan")
    plans, sums = lines(r)
    t.ok(r.rc == 0 and len(plans) == 1 and len(sums) == 1, "a plan-only run prints its plan and one summary", r)
    s, plan = sums[0], plans[0]["plan"]
    t.ok(s["ok"] and s["changes"] and s["stage"] == "done" and s["commit"] == sc.commit,
         "it reports changes, ok, stage done, the commit", s)
    planned = plan["actions"]
    t.is_(len(planned), ck.EXPECTED_MUTATING, "the plan has the scenario's %d actions" % ck.EXPECTED_MUTATING)
    t.is_(s["planned"], plan["summary"], "the summary's planned counts are the plan's")
    t.is_((s["outcomes"], s["actions"]), ({}, []), "no outcome was reported")
    calls = emu.calls(since=since)["calls"]
    t.ok(calls and not [c for c in calls if c.get("mutating")],
         "the call log shows describes only, no mutating call",
         sorted(set(c["action"] for c in calls)))
    state = json.load(open(os.path.join(sc.state, "state.json")))
    t.is_(state["lastRun"]["outcome"], "drift", "the state file records drift")

    # ---- plan, then apply ----
    since = emu.calls()["last"]
    r = tool("plan", "apply")
    plans, sums = lines(r)
    t.ok(r.rc == 0 and len(plans) == 2 and len(sums) == 2, "plan then apply: two plans, two summaries", r)
    t.is_([p["plan"]["actions"] for p in plans], [planned, planned], "both runs planned the same actions")
    s = sums[1]
    t.ok(s["ok"] and s["changes"] and s["stage"] == "done" and s["mode"] == "apply",
         "the apply run is ok, at stage done", s)
    kinds = Counter(a["action"] for a in planned)
    t.is_((s["created"], s["copied"], s["changed"], s["deleted"]),
          (kinds["create"], kinds["copy"], kinds["modify"] + kinds["start-replication"] + kinds["stop-replication"],
           kinds["delete"]),
          "created/copied/changed/deleted are the plan's counts")
    t.is_((s["failed"], s["deferred"], s["skipped"], s["pending"]), (0, 0, 0, 0), "nothing failed or was left")
    t.is_(s["outcomes"], {"done": len(planned)}, "the outcome callback saw every action done")
    t.is_(sorted((a["action"], a["region"], a["target"]) for a in s["actions"]),
          sorted((a["action"], a["region"], a["target"]) for a in planned),
          "one outcome per planned action")
    mut = [c for c in emu.calls(since=since)["calls"] if c.get("mutating")]
    t.is_(sorted(call_key(c) for c in mut), sorted(action_key(a) for a in planned),
          "the apply made exactly the planned calls, each once")
    t.ok(all(c["status"] == 200 for c in mut), "and every one succeeded", mut)
    by_rid = {c["requestId"]: c for c in mut}
    t.ok(all(a["detail"] in by_rid and call_key(by_rid[a["detail"]]) == action_key(a) for a in s["actions"]),
         "each outcome's detail is the RequestId of its own call", s["actions"])

    st = emu.state()
    east = {x["id"]: x for x in st["regions"]["us-east-1"]["snapshots"]}
    west = {x["id"]: x for x in st["regions"]["us-west-2"]["snapshots"]}
    made = {"create": east, "copy": west}
    t.ok(all(a["target"] in made[a["action"]] for a in planned if a["action"] in made),
         "every planned snapshot and copy exists", sorted(a["target"] for a in planned))
    gone = [a for a in planned if a["action"] == "delete"]
    t.ok(gone and all(a["target"] not in (east if a["region"] == "us-east-1" else west) for a in gone),
         "every planned deletion is gone", gone)
    inst = [i for i in st["regions"]["us-east-1"]["instances"] if i["id"] == ck.INSTANCE][0]
    mod = [a for a in planned if a["action"] == "modify"][0]
    t.is_(inst["backupRetentionPeriod"], mod["backupRetentionPeriod"], "the instance keeps what the modify said")
    t.ok([b for b in st["regions"]["us-west-2"]["automatedBackups"] if b.get("status") == "replicating"],
         "its automated backups replicate to us-west-2")
    state = json.load(open(os.path.join(sc.state, "state.json")))
    t.is_((state["lastRun"]["outcome"], state["lastApplied"]["commit"]), ("success", sc.commit),
          "the state file records success and the applied commit")

    # ---- converged ----
    since = emu.calls()["last"]
    r = tool("plan")
    plans, sums = lines(r)
    t.ok(r.rc == 0 and sums and sums[0]["ok"] and not sums[0]["changes"] and plans[0]["plan"]["actions"] == [],
         "a second plan-only run reports no changes", r)
    t.is_([c for c in emu.calls(since=since)["calls"] if c.get("mutating")], [], "and calls nothing mutating")
    p = sc.sk("plan", *sc.source(), "--detailed-exitcode")
    t.ok(p.rc == 0 and "No changes." in p.out, "snapkeep plan (the real binary) agrees: no changes", p)

t.done()
