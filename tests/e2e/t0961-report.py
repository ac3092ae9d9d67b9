#!/usr/bin/env python3
"""snapkeep report, plan --output markdown, inventory --output csv and
run --report-at.

Golden cases: tests/data/reports/<case>/ (written by generate.py there) hold
policies/*.yaml, inventory.json, `now`, `exit` and, in the state directory
the report reads, journal.jsonl and state.json when present.  One case per
verdict: compliant, drift, missing-copy, stale, unencrypted, over-quota,
and awkward-text (quotes, commas and newlines in what the report quotes).
For each case, offline (--inventory; the emulator's call log shows no call
at all):

- text and markdown are exactly expected.txt and expected.md (the commit
  id as <commit>; SNAPKEEP_UPDATE_GOLDEN=1 rewrites them from the binary);
- the exit code is the case's (0 compliant, 1 drift or at risk);
- the JSON is valid against specs/report.schema.json (jsonschema) and says
  the verdict the case is named after, with the check that makes it;
- the CSV parses back (Python's csv module, RFC 4180) to one row per check
  of the JSON, field for field, the awkward quotes, commas and newlines
  included;
- --format html writes one page into --out DIR.

Then live against the emulator: `report` makes only the read calls `plan`
makes; `run --once --report-at '* * * * *'` publishes the month's summary
to the Settings topic and writes reports/YYYY-MM.html, keeps the 24 newest
pages, and the next run --once publishes nothing more."""
import csv
import datetime as dt
import glob
import io
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

try:
    import jsonschema
except ImportError:  # scripts/deps.sh installs python3-jsonschema
    t.bail("python3-jsonschema is missing: run `make deps`")

CASES = os.path.join(t.TOP, "tests", "data", "reports")
SCHEMA = json.load(open(os.path.join(t.TOP, "specs", "report.schema.json")))
UPDATE = os.environ.get("SNAPKEEP_UPDATE_GOLDEN") == "1"
ACCOUNT = "123456789012"
# what makes each case's verdict: (instance verdict, check name, check verdict, check live)
WHY = {
    "compliant": ("compliant", None, None, None),
    "drift": ("drift", "backup-retention", "drift", "1 day"),
    "missing-copy": ("at-risk", "copy", "at-risk", "missing"),
    "stale": ("at-risk", "snapshot-age", "at-risk", "4d6h old"),
    "unencrypted": ("at-risk", "encryption", "at-risk", "unencrypted"),
    "over-quota": ("at-risk", "quota", "at-risk", "21 manual (11 after the plan)"),
    "awkward-text": ("at-risk", "drill", "at-risk", "failed 2d ago"),
}


def read(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return f.read()


def sanitize(text):
    return re.sub(r"(commit[ `]+)[0-9a-f]{12}", r"\1<commit>", text)


def golden(case, name, got):
    path = os.path.join(CASES, case, name)
    if UPDATE:
        with open(path, "w") as f:
            f.write(got)
    want = read(path)
    t.ok(want is not None and got == want, "%s: %s is as expected" % (case, name),
         "got:\n" + got if want is None else "".join(
             __import__("difflib").unified_diff(want.splitlines(True), got.splitlines(True), "want", "got")))


work = t.tmpdir()
cases = sorted(d for d in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, d)))
t.ok(set(WHY) <= set(cases), "a case for every verdict", cases)

with Emulator(seed={"account": ACCOUNT, "regions": {"us-east-1": {}}}) as emu:
    env = dict(emu.env(), NO_COLOR="1", SNAPKEEP_LOG=None, SNAPKEEP_LOG_FORMAT=None, SNAPKEEP_GUARDRAILS=None)
    mark = emu.calls()["last"]
    for case in cases:
        src = os.path.join(CASES, case)
        repo = os.path.join(work, case, "repo")
        state = os.path.join(work, case, "state")
        files = {"policies/" + os.path.basename(p): read(p) for p in glob.glob(os.path.join(src, "policies", "*"))}
        t.git_repo(repo, files, case)
        os.makedirs(state, mode=0o700)
        for f in ("journal.jsonl", "state.json"):
            if os.path.exists(os.path.join(src, f)):
                shutil.copy(os.path.join(src, f), state)
        now = read(os.path.join(src, "now")).strip()
        want_exit = int(read(os.path.join(src, "exit"), "0"))

        def report(*args):
            return t.snapkeep("report", "--repo", repo, "--path", "policies", "--state-dir", state, "--inventory",
                              os.path.join(src, "inventory.json"), "--now", now, *args, env=env)

        r = report()
        t.is_(r.rc, want_exit, "%s: exit code %d" % (case, want_exit))
        golden(case, "expected.txt", sanitize(r.out))
        r = report("--format", "markdown")
        t.is_(r.rc, want_exit, "%s: markdown: the same exit code" % case)
        golden(case, "expected.md", sanitize(r.out))

        r = report("--format", "json")
        doc = None
        try:
            doc = json.loads(r.out)
            jsonschema.Draft202012Validator(SCHEMA).validate(doc)
            t.ok(True, "%s: the JSON is valid against specs/report.schema.json" % case)
        except (ValueError, jsonschema.ValidationError) as e:
            t.ok(False, "%s: the JSON is valid against specs/report.schema.json" % case, str(e)[:2000])
        verdict, check, check_verdict, live = WHY.get(case, (None, None, None, None))
        inst = doc["instances"][0] if doc and doc["instances"] else {}
        if verdict:
            t.is_((doc or {}).get("verdict"), verdict, "%s: the report's verdict is %s" % (case, verdict))
        if check:
            found = [(c["verdict"], c["live"]) for c in inst.get("checks", []) if c["name"] == check]
            t.ok((check_verdict, live) in found, "%s: check %s is %s, found %r" % (case, check, check_verdict, live),
                 [(c["name"], c["verdict"], c["live"]) for c in inst.get("checks", [])])
        if case == "compliant":
            rules = {s["rule"] for s in inst.get("snapshots", []) if s["owner"] == "snapkeep" and not s["deleted"]}
            t.ok({"daily", "weekly", "monthly", "last"} <= rules,
                 "compliant: the snapshots name the rule that keeps each (the ladder)", rules)
            deleted = [s for s in inst.get("snapshots", []) if s["deleted"]]
            t.ok(deleted and all(s["rule"] is None for s in deleted),
                 "compliant: and which the next apply deletes", len(deleted))
            t.is_(doc["history"]["totals"]["created"], 12, "compliant: the journal's creates are counted")

        r = report("--format", "csv")
        rows = list(csv.reader(io.StringIO(r.out, newline="")))
        checks = [(i, c) for i in (doc or {}).get("instances", []) for c in i["checks"]]
        t.ok(rows and rows[0] == ["policy", "instance", "region", "verdict", "check", "check_region", "desired",
                                  "live", "check_verdict", "reason"], "%s: the CSV header" % case, rows[:1])
        t.is_(len(rows) - 1, len(checks), "%s: one CSV row per check" % case)
        names = {"compliant": "COMPLIANT", "drift": "DRIFT", "at-risk": "AT RISK"}
        same = all(row == [i["policy"], i["instance"], i["region"], names[i["verdict"]], c["name"], c["region"],
                           c["desired"], c["live"], names[c["verdict"]], c["reason"] or ""]
                   for row, (i, c) in zip(rows[1:], checks))
        t.ok(same, "%s: the CSV parses back to the JSON's checks, field for field" % case)
        if case == "awkward-text":
            reasons = [row[9] for row in rows[1:]]
            t.ok(any('"rows, today"' in x and "\n" in x for x in reasons) and
                 any('incompatible-"restore",\nsee AWS' in x for x in reasons),
                 "awkward-text: quotes, commas and newlines survive the CSV", reasons)

    out = os.path.join(work, "html")
    os.makedirs(out)
    r = t.snapkeep("report", "--repo", os.path.join(work, "drift", "repo"), "--path", "policies", "--state-dir",
                   os.path.join(work, "drift", "state"), "--inventory", os.path.join(CASES, "drift", "inventory.json"),
                   "--now", "2026-11-30T10:00:00Z", "--format", "html", "--out", out, "--month", "2026-11", env=env)
    page = read(os.path.join(out, "report-2026-11.html"), "")
    t.ok(r.rc == 1 and page.lstrip().lower().startswith("<!doctype html") and "orders-db" in page,
         "--format html --out DIR writes report-2026-11.html", r)
    t.is_([c["action"] for c in emu.calls(since=mark)["calls"]], [],
          "every report above read an inventory file: not one API call")

    # ---- plan --output markdown, inventory --output csv ----
    drift = os.path.join(work, "drift", "repo")
    r = t.snapkeep("plan", "--repo", drift, "--path", "policies", "--inventory",
                   os.path.join(CASES, "drift", "inventory.json"), "--now", "2026-11-30T10:00:00Z", "--output",
                   "markdown", env=env)
    t.ok(r.rc == 0 and r.out.startswith("### snapkeep plan: 0 to create, 1 to change, 10 to delete") and
         "| ~ | modify | orders-db | us-east-1 | prod | backup\\_retention\\_period 1 → 7" in r.out and
         r.out.count("| - | delete |") == 10, "plan --output markdown: a compact table for a pull request", r)
    r = t.snapkeep("inventory", "--repo", drift, "--path", "policies", "--inventory",
                   os.path.join(CASES, "awkward-text", "inventory.json"), "--output", "csv", env=env)
    rows = list(csv.reader(io.StringIO(r.out, newline="")))
    inv = json.load(open(os.path.join(CASES, "awkward-text", "inventory.json")))
    t.ok(r.rc == 0 and rows[0] == ["id", "created", "encrypted", "size", "status", "region", "owner"] and
         len(rows) - 1 == len(inv["snapshots"]), "inventory --output csv: one row per snapshot", rows[:2])
    by_id = {row[0]: row for row in rows[1:]}
    t.is_(by_id.get("snapkeep-orders-db-20261001-0300", [None] * 7)[4], 'incompatible-"restore",\nsee AWS',
          "inventory --output csv: a status with quotes, a comma and a newline parses back")
    t.is_(sorted({row[6] for row in rows[1:]}), ["automated", "manual", "snapkeep"], "and names each owner")
    r = t.snapkeep("report", "--repo", drift, "--path", "policies", "--inventory",
                   os.path.join(CASES, "drift", "inventory.json"), "--since", "yesterday", env=env)
    t.ok(r.rc == 64 and "--since" in r.err, "a bad --since is bad usage (64)", r)
    r = t.snapkeep("report", "--repo", drift, "--path", "policies", "--inventory",
                   os.path.join(CASES, "drift", "inventory.json"), "--now", "2026-11-30T10:00:00Z", "--region",
                   "us-west-2", "--format", "json", env=env)
    t.ok(r.rc == 0 and json.loads(r.out or "{}").get("instances") == [],
         "--region: only that region's instances (none here), the others left out, not AT RISK", r)
    r = t.snapkeep("report", "--repo", drift, "--path", "policies", "--inventory", "/nonexistent.json", env=env)
    t.ok(r.rc == 2, "an error is exit code 2, not 1 (which says 'not compliant')", r)

# ---- live: the list calls of plan; run --report-at ----
NOW = dt.datetime.now(dt.timezone.utc)
FLEET = "arn:aws:sns:us-east-1:%s:fleet-reports" % ACCOUNT
SEED = {"account": ACCOUNT, "regions": {"us-east-1": {
    "instances": [{"id": "orders-db", "backupRetentionPeriod": 7}],
    "snapshots": [{"id": "snapkeep-orders-db-1", "instance": "orders-db", "type": "manual",
                   "created": (NOW - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "tags": {"snapkeep:policy": "prod", "snapkeep:instance": "orders-db"}}],
    "topics": ["fleet-reports"]}}}
POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: prod}
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  snapshots: {schedule: "@daily", retain: {last: 3}}
  verify: {alerts: false}
---
apiVersion: snapkeep/v1
kind: Settings
metadata: {name: settings}
spec:
  alerts: {snsTopicArn: %s}
""" % FLEET
with Emulator(seed=SEED) as emu:
    env = dict(emu.env(), NO_COLOR="1", SNAPKEEP_LOG=None, SNAPKEEP_LOG_FORMAT=None, SNAPKEEP_GUARDRAILS=None)
    repo = os.path.join(work, "live", "repo")
    state = os.path.join(work, "live", "state")
    t.git_repo(repo, {"policies/prod.yaml": POLICY}, "live")
    os.makedirs(state, mode=0o700)
    mark = emu.calls()["last"]
    r = t.snapkeep("plan", "--repo", repo, "--path", "policies", "--state-dir", state, env=env)
    plan_calls = sorted(c["action"] for c in emu.calls(since=mark)["calls"])
    mark = emu.calls()["last"]
    r = t.snapkeep("report", "--repo", repo, "--path", "policies", "--state-dir", state, "--format", "json", env=env)
    calls = sorted(c["action"] for c in emu.calls(since=mark)["calls"])
    t.ok(r.rc in (0, 1) and json.loads(r.out)["instances"][0]["instance"] == "orders-db",
         "report reads live AWS", r)
    t.is_(calls, plan_calls, "report makes the list calls plan makes, no other")

    # 30 pages of earlier months: the 24 newest are kept after the next report
    reports = os.path.join(state, "reports")
    os.makedirs(reports)
    for i in range(30):
        with open(os.path.join(reports, "2020-%02d.html" % (i % 12 + 1) if i < 12 else
                               "2021-%02d.html" % (i - 11) if i < 24 else "2022-%02d.html" % (i - 23)), "w") as f:
            f.write("old")
    with open(os.path.join(reports, "notes.txt"), "w") as f:
        f.write("not a report")
    emu.admin("DELETE", "sns")

    def once():
        return t.snapkeep("run", "--once", "--repo", repo, "--path", "policies", "--state-dir", state,
                          "--report-at", "* * * * *", env=env)

    r = once()
    last_month = (NOW.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    msgs = [m for m in emu.sns_messages() if m["Subject"].startswith("snapkeep report")]
    t.ok(r.rc == 0 and len(msgs) == 1 and msgs[0]["TopicArn"] == FLEET and
         msgs[0]["Subject"].startswith("snapkeep report %s: " % last_month),
         "run --report-at publishes the month's summary to the alerts topic", (r, emu.sns_messages()))
    if msgs:
        body = msgs[0]["Message"]
        t.ok("Overall: " in body and "orders-db" in body and "http" not in body,
             "a short text naming what is not compliant, with no link", body)
    page = read(os.path.join(reports, last_month + ".html"), "")
    t.ok(page.lstrip().lower().startswith("<!doctype html") and "orders-db" in page,
         "and writes reports/%s.html" % last_month)
    pages = sorted(f for f in os.listdir(reports) if f.endswith(".html"))
    t.ok(len(pages) == 24 and pages[-1] == last_month + ".html" and pages[0] == "2020-08.html" and
         os.path.exists(os.path.join(reports, "notes.txt")), "the 24 newest pages are kept, nothing else touched",
         pages)
    r = once()
    msgs = [m for m in emu.sns_messages() if m["Subject"].startswith("snapkeep report")]
    t.ok(r.rc == 0 and len(msgs) == 1, "the next run --once reports nothing more: the month is done", r)
    r = t.snapkeep("run", "--once", "--repo", repo, "--path", "policies", "--state-dir", state, "--report-at",
                   "61 * * * *", env=env)
    t.ok(r.rc == 64 and "--report-at" in r.err, "a bad --report-at schedule is bad usage", r)

t.done()
