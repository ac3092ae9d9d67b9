#!/usr/bin/env python3
"""snapkeep history over the journal of real runs: an apply killed while
its create was held (SIGKILL), the apply that resolved and finished it, and
a later apply for another instance.  The table shows each call's outcome,
its resolution, or "unresolved"; --instance and --since filter; --output json
prints every record as stored (intents, outcomes, resolutions, linked by id).
A torn last line (a crash in the middle of a write) is skipped with a
warning and does not stop the next apply.  No secret reaches the journal."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import SECRET_KEY, Emulator  # noqa: E402

OTHER = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: other}
spec:
  regions: [us-east-1]
  selector: {instances: [other-db]}
  automated: {retentionDays: 5}
"""


def rows(out):
    return [ln for ln in out.splitlines()[1:] if ln.strip() and not ln.startswith(("No calls", "1 call", " "))
            and "without a known outcome" not in ln]


work = t.tmpdir()
with Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    sc = ck.Scenario(emu, work)
    sc.fresh()
    r = sc.sk("history")
    t.ok(r.rc == 0 and "no history yet" in r.err and not os.path.exists(sc.state),
         "history before any run: says so, creates nothing", r)

    # run A: killed while its create is held; run B: resolves and finishes
    emu.faults(mutating=True, skip=2, hold=1.0, count=1, holdMs=60000)
    a = sc.start("apply", "--auto-approve", *sc.source())
    sc.wait_for(lambda m: any(c.get("fault") == "hold" for c in m), proc=a)
    ck.kill(a)
    emu.faults()
    h = sc.sk("history")
    t.ok(h.rc == 0 and h.out.startswith("TIME") and "REQUEST ID" in h.out, "history prints a table", h)
    t.is_(len(rows(h.out)), 3, "after the crash: three calls, two done and one unresolved")
    t.ok([ln for ln in rows(h.out) if ln.split()[1] == "create" and "unresolved" in ln] and
         "1 call without a known outcome" in h.out, "the create is unresolved, and history says the next apply "
         "will check", h.out)
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.is_(r.rc, 0, "the next apply completes") or t.diag(r)
    time.sleep(1.1)
    mark = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    time.sleep(1.1)

    # run C: a second policy manages other-db
    t.git_commit(sc.repo, {"policies/other.yaml": OTHER}, "other-db: 5 days")
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.is_(r.rc, 0, "an apply for another instance") or t.diag(r)

    h = sc.sk("history")
    all_rows = rows(h.out)
    t.is_(len(all_rows), 11, "history: one row per call: the killed run's 3 (one of them resolved), its "
          "successor's 7, the other instance's 1")
    res = [ln for ln in all_rows if "resolved: completed" in ln]
    t.ok(len(res) == 1 and res[0].split()[1] == "create" and "exists in us-east-1" in res[0],
         "the create shows its resolution and what live state showed", res)
    t.ok(all(ln.split()[4] in ("done", "resolved:") for ln in all_rows), "every other call is done", all_rows)
    t.ok(all(len(ln.split()[5]) == 36 for ln in all_rows if ln.split()[4] == "done"),
         "every done call shows its RequestId")
    t.ok("unresolved" not in h.out and "without a known outcome" not in h.out, "nothing is left unresolved")

    h = sc.sk("history", "--instance", "other-db")
    t.ok(h.rc == 0 and len(rows(h.out)) == 1 and "other-db" in rows(h.out)[0] and "modify" in rows(h.out)[0],
         "--instance other-db: only its modify", h.out)
    h = sc.sk("history", "--instance", "orders-db")
    t.ok(len(rows(h.out)) == 10 and "other-db" not in h.out, "--instance orders-db: everything else", h.out)
    h = sc.sk("history", "--since", mark)
    t.ok(len(rows(h.out)) == 1 and "other-db" in h.out, "--since TIME: only the later run", h.out)
    h = sc.sk("history", "--since", "1h")
    t.is_(len(rows(h.out)), 11, "--since 1h: all of them")
    h = sc.sk("history", "--since", "2099-01-01T00:00:00Z")
    t.ok(h.rc == 0 and "No calls recorded since 2099-01-01T00:00:00Z" in h.out, "--since the future: none", h)
    h = sc.sk("history", "--since", "yesterday")
    t.is_(h.rc, 64, "--since with a bad value is a usage error")

    h = sc.sk("history", "--output", "json")
    try:
        recs = [json.loads(ln) for ln in h.out.splitlines() if ln.strip()]
    except ValueError:
        recs = []
    kinds = {}
    for x in recs:
        kinds[x["type"]] = kinds.get(x["type"], 0) + 1
    t.is_(kinds, {"intent": 11, "outcome": 10, "resolution": 1}, "--output json: every record as stored, one per line")
    ids = {x["id"]: x for x in recs if x["type"] == "intent"}
    t.ok(all(x["intent"] in ids and ids[x["intent"]]["action"] == x["action"] and
             ids[x["intent"]]["target"] == x["target"] for x in recs if x["type"] != "intent"),
         "each outcome and resolution names its intent")
    reso = [x for x in recs if x["type"] == "resolution"][0]
    t.ok(reso["how"] == "completed" and reso["runId"] != ids[reso["intent"]]["runId"],
         "the resolution was made by a later run than the intent's", reso)
    t.ok(all(x.get("commit") for x in recs), "every record names the policy commit")
    h = sc.sk("history", "--output", "json", "--instance", "other-db", "--since", "1h")
    t.is_(len([ln for ln in h.out.splitlines() if ln.strip()]), 2, "--output json with filters: other-db's two records")

    journal = open(os.path.join(sc.state, "journal.jsonl")).read()
    t.ok(SECRET_KEY not in journal and "Signature" not in journal and "X-Amz" not in journal,
         "no secret, signature or presigned URL in the journal")

    # a crash in the middle of a write: a torn last line
    with open(os.path.join(sc.state, "journal.jsonl"), "a") as f:
        f.write('{"type":"intent","id":"torn.1","action":"delete","region":"us-east-1","tar')
    h = sc.sk("history")
    t.ok(h.rc == 0 and "journal.jsonl" in h.err and len(rows(h.out)) == 11 and "unresolved" not in h.out,
         "history skips a torn last line with a warning", h)
    t.git_commit(sc.repo, {"policies/other.yaml": OTHER.replace("retentionDays: 5", "retentionDays: 6")}, "6 days")
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.is_(r.rc, 0, "apply after a torn line works") or t.diag(r)
    h = sc.sk("history", "--output", "json")
    t.ok(len([ln for ln in h.out.splitlines() if ln.strip()]) == 24 and "line 23" in h.err,
         "and its records are whole after the torn line (which is still skipped, with a warning)", h)
    t.is_(ck.unresolved(sc.journal()[0]), [], "a torn intent was never acknowledged: nothing to resolve")

t.done()
