#!/usr/bin/env python3
"""The PostgreSQL state backend against a real PostgreSQL 15: the same run
journaled in the state directory and in PostgreSQL prints the same
history; `state push` copies a directory's state and journal into the
database (and again: nothing twice); an apply killed while a call was held
leaves its intent open in the table and the next apply resolves it; no
password reaches output, journal or state."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import pgserver  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402

if not pgserver.available():
    t.plan(1)
    t.skip("PostgreSQL state backend", "PostgreSQL 15 is not installed (make deps)")
    t.done()


def killed_then_resolved(sc, env):
    """run A killed while its create is held, run B resolves and finishes; the history after A"""
    sc.emu.faults(mutating=True, skip=2, hold=1.0, count=1, holdMs=60000)
    a = sc.start("apply", "--auto-approve", *sc.source(), env=env)
    held = sc.wait_for(lambda m: any(c.get("fault") == "hold" for c in m), proc=a)
    ck.kill(a)
    sc.emu.faults()
    after_a = sc.sk("history", env=env)
    b = sc.sk("apply", "--auto-approve", *sc.source(), env=env)
    return held, after_a, b


def normal(text):
    """a history table without what differs between two runs: times, request ids, run ids"""
    out = []
    for ln in text.splitlines():
        ln = re.sub(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME", ln)
        ln = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "REQID", ln)
        out.append(ln.rstrip())
    return out


def rows(out):
    return [ln for ln in out.splitlines()[1:] if ln.strip() and not ln.startswith(("No calls", "1 call", " "))
            and "without a known outcome" not in ln]


work = t.tmpdir()
with pgserver.PgServer() as pg, Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    pg.psql("CREATE DATABASE pushed")
    pg.psql("CREATE DATABASE direct")
    sc = ck.Scenario(emu, work)

    # the run on the state directory
    sc.fresh()
    dir_env = sc.env()
    held, after_a_dir, b = killed_then_resolved(sc, dir_env)
    t.ok(held and b.rc == 0, "directory: an apply killed mid-call, then one that finishes", b)
    hist_dir = sc.sk("history", env=dir_env)
    json_dir = sc.sk("history", "--output", "json", env=dir_env)
    t.is_(len(rows(hist_dir.out)), 10, "directory: history shows ten calls")

    # pushed into PostgreSQL: history prints the very same, text and JSON
    url = pg.url("pushed")
    n = len(sc.journal()[0])
    p = sc.sk("state", "push", "--state-backend", url, env=dir_env)
    t.ok(p.rc == 0 and "Pushed the state (serial " in p.out and
         "%d records read, %d pushed, 0 there already" % (n, n) in p.out,
         "state push copies the state and every journal record", p)
    t.ok(pgserver.PASSWORD not in p.out + p.err and ":***@" in p.out, "the password is masked in its output", p)
    pushed_env = dict(dir_env, SNAPKEEP_STATE_BACKEND=url)
    h = sc.sk("history", env=pushed_env)
    t.ok(h.rc == 0 and h.out == hist_dir.out, "history on PostgreSQL prints exactly what the directory's printed",
         "\n".join([h.err, h.out, "--- directory:", hist_dir.out]))
    h = sc.sk("history", "--output", "json", env=pushed_env)
    t.ok(h.rc == 0 and h.out == json_dir.out, "and the same JSON records, byte for byte", h)
    for args in (["--instance", "orders-db"], ["--since", "1h"], ["--since", "2099-01-01T00:00:00Z"]):
        a, b2 = sc.sk("history", *args, env=dir_env), sc.sk("history", *args, env=pushed_env)
        t.ok(a.rc == b2.rc == 0 and a.out == b2.out, "history %s: the same on both" % " ".join(args), b2)
    p = sc.sk("state", "push", "--state-backend", url, env=dir_env)
    t.ok(p.rc == 0 and "is there already" in p.out and "%d records read, 0 pushed, %d there already" % (n, n) in p.out,
         "state push again: nothing twice", p)
    t.is_(pg.psql("SELECT count(*) FROM snapkeep_journal", db="pushed"), str(n), "a row per record in the table")
    r = sc.sk("plan", *sc.source(), "--detailed-exitcode", env=pushed_env)
    t.is_(r.rc, 0, "a plan with the pushed state: no changes") or t.diag(r)
    st_dir = json.load(open(os.path.join(sc.state, "state.json")))
    st_pg = json.loads(pg.psql("SELECT state FROM snapkeep_state WHERE shard = ''", db="pushed"))
    t.ok(st_pg["lineage"] == st_dir["lineage"] and st_pg["serial"] == st_dir["serial"],
         "the pushed state keeps its lineage and serial")

    # the same run journaled in PostgreSQL directly
    sc.fresh()
    direct_env = dict(sc.env(), SNAPKEEP_STATE_BACKEND=pg.url("direct"))
    held, after_a_pg, b = killed_then_resolved(sc, direct_env)
    t.ok(held and b.rc == 0, "PostgreSQL: an apply killed mid-call, then one that finishes", b)
    t.ok(not os.path.exists(os.path.join(sc.state, "journal.jsonl")) and
         not os.path.exists(os.path.join(sc.state, "state.json")),
         "nothing was written in the state directory")
    t.ok("1 call without a known outcome" in after_a_pg.out and
         sorted(normal(after_a_pg.out)) == sorted(normal(after_a_dir.out)),
         "after the kill: the open intent shows as unresolved, as on the directory", after_a_pg.out)
    t.is_(pg.psql("SELECT count(*) FROM snapkeep_journal WHERE type = 'resolution' AND "
                  "record->>'how' = 'completed'", db="direct"), "1",
          "the next apply resolved the killed run's intent in the table")
    h = sc.sk("history", env=direct_env)
    # calls in flight at once (deletions) may end in another order: the same rows, in any order
    t.ok(h.rc == 0 and sorted(normal(h.out)) == sorted(normal(hist_dir.out)),
         "history of the same run: the same rows as the directory's (times and request ids aside)",
         "\n".join(["PostgreSQL:"] + normal(h.out) + ["directory:"] + normal(hist_dir.out)))
    auditor = pg.psql("SELECT action, count(*) FROM snapkeep_journal WHERE instance = 'orders-db' AND "
                      "type = 'outcome' AND at > now() - interval '1 hour' GROUP BY action ORDER BY action",
                      db="direct")
    t.ok(auditor.split("\n") == ["copy|1", "delete|6", "modify|1", "start-replication|1"],
         "an auditor's query: outcomes by instance, time and action",
         auditor)
    dump = pg.psql("SELECT string_agg(record::text, ' ') FROM snapkeep_journal", db="direct")
    t.ok(pgserver.PASSWORD not in dump and "Signature" not in dump, "no password nor signature in the journal")
    r = sc.sk("plan", *sc.source(), "--detailed-exitcode", env=direct_env)
    t.is_(r.rc, 0, "the fleet converged: no changes") or t.diag(r)
    # run over PostgreSQL works shard by shard (t1010): its state is the shard's row, "/us-east-1"
    shards = "SELECT coalesce(sum(serial), 0) FROM snapkeep_state WHERE shard = '/us-east-1'"
    serial = pg.psql(shards, db="direct")
    r = sc.sk("run", "--once", "--auto-apply", "--repo", sc.repo, "--path", "policies", env=direct_env)
    t.ok(r.rc == 0 and int(pg.psql(shards, db="direct")) == int(serial) + 1,
         "run --once keeps its state in PostgreSQL too (its shard's row)", r)
    t.is_(pg.psql("SELECT count(*) FROM snapkeep_locks", db="direct"), "0", "and leaves no lock holder behind")

t.done()
