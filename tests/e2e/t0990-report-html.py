#!/usr/bin/env python3
"""The HTML report in a real browser (Debian's headless Chromium, `make deps`).

`snapkeep report --format html` from an exported inventory and a journal,
offline; then ONE Chromium run (its start is slow on a loaded machine)
with the network blocked, driven over the DevTools pipe:

- the page makes no request: Chromium's own network log shows none from it,
  while a canary page with one outside image, opened in the same run, shows
  its request (so the check can fail);
- the compliance table has a row per instance, verdicts in words, the
  default order worst first, and the no-script orders work (#by-instance);
- one SVG timeline per instance with as many marks (data-n) as the
  inventory has snapshots of it, per rule as many as the plan's decisions
  (`plan --output json`), and the deletions exactly the plan's deletes;
- at phone width (390) nothing runs off the page sideways and the table
  turns into cards; print media hides the navigation and prints to PDF;
- screenshots at desktop (1280) and phone (390) widths are kept as
  artefacts in build/artifacts/t0990/, with a cropped one for the README
  (SNAPKEEP_UPDATE_DOCS=1 copies it to docs/report.png).
"""
import datetime as dt
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
import chromium

NOW = "2026-12-01T12:00:00Z"
ACCT = "123456789012"
now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
LADDER = ["yearly", "monthly", "weekly", "daily", "hourly", "last", "within"]

if not chromium.available():
    t.bail("chromium is not installed (make deps installs Debian's chromium)")

POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: prod}
spec:
  regions: [us-east-1]
  selector: {tags: {env: prod}}
  automated: {retentionDays: 7, window: "03:00-03:30", copyTagsToSnapshot: true}
  snapshots:
    schedule: "0 3 * * *"
    retain: {daily: 7, weekly: 4, monthly: 3}
    copies:
      - {region: us-west-2, retain: {daily: 3}}
"""


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def arn(region, sid):
    return "arn:aws:rds:%s:%s:snapshot:%s" % (region, ACCT, sid)


def owned(instance, when, region="us-east-1", gib=50, source=None):
    slot = when.replace(hour=3, minute=0, second=0)
    sid = "snapkeep-%s-%s" % (instance, slot.strftime("%Y%m%d-0300"))
    tags = {"snapkeep:policy": "prod", "snapkeep:instance": instance, "snapkeep:slot": iso(slot)}
    s = {"id": sid, "arn": arn(region, sid), "instance": instance, "region": region, "type": "manual",
         "status": "available", "created": iso(when), "encrypted": True, "allocatedGiB": gib, "tags": tags}
    if source:
        s["id"] = sid + "-us-east-1"
        s["arn"] = arn(region, s["id"])
        s["sourceRegion"] = "us-east-1"
        s["sourceArn"] = source["arn"]
        s["originalCreated"] = source["created"]
        s["created"] = iso(when + dt.timedelta(minutes=40))
        tags["snapkeep:source"] = source["arn"]
    return s


def instance(iid, copy_tags=True, gib=50, encrypted=True):
    return {"id": iid, "region": "us-east-1", "arn": "arn:aws:rds:us-east-1:%s:db:%s" % (ACCT, iid),
            "engine": "postgres", "status": "available", "backupRetentionPeriod": 7,
            "preferredBackupWindow": "03:00-03:30", "copyTagsToSnapshot": copy_tags, "deletionProtection": False,
            "storageEncrypted": encrypted, "allocatedGiB": gib, "tags": {"env": "prod"},
            "latestRestorableTime": iso(now - dt.timedelta(minutes=5))}


def automated_backup(iid):
    """its point-in-time window: the 7 days the policy wants"""
    return {"arn": "arn:aws:rds:us-east-1:%s:auto-backup:ab-%s" % (ACCT, iid), "region": "us-east-1",
            "sourceRegion": "us-east-1", "instance": iid,
            "instanceArn": "arn:aws:rds:us-east-1:%s:db:%s" % (ACCT, iid), "status": "active",
            "backupRetentionPeriod": 7, "earliest": iso(now - dt.timedelta(days=7, hours=2)),
            "latest": iso(now - dt.timedelta(minutes=5))}


snaps = []
# api-db: a daily for 12 days, firsts of the 4 months before; copies of the 5 newest; 2 automated
for d in range(12):
    snaps.append(owned("api-db", (now - dt.timedelta(days=d)).replace(hour=3, minute=4)))
for m in (8, 9, 10, 11):
    snaps.append(owned("api-db", dt.datetime(2026, m, 1, 3, 4, tzinfo=dt.timezone.utc)))
for src in snaps[:5]:
    snaps.append(owned("api-db", dt.datetime.strptime(src["created"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc), region="us-west-2", source=src))
for d in (1, 2):
    when = (now - dt.timedelta(days=d)).replace(hour=3, minute=20)
    sid = "rds:api-db-%s" % when.strftime("%Y-%m-%d-03-20")
    snaps.append({"id": sid, "arn": arn("us-east-1", sid), "instance": "api-db", "region": "us-east-1",
                  "type": "automated", "status": "available", "created": iso(when), "encrypted": True,
                  "allocatedGiB": 50, "tags": {}})
# billing-db: settings drift (copy tags off), 6 dailies, the 3 newest copied; the dearest (200 GiB)
for d in range(6):
    snaps.append(owned("billing-db", (now - dt.timedelta(days=d)).replace(hour=3, minute=5), gib=200))
for src in snaps[-6:-3]:
    snaps.append(owned("billing-db", dt.datetime.strptime(src["created"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc), region="us-west-2", gib=200, source=src))
# ledger-db: the newest snapshot is 9 days old (stale), unencrypted
for d in (9, 10, 11):
    snaps.append(owned("ledger-db", (now - dt.timedelta(days=d)).replace(hour=3, minute=6), gib=10))
    snaps[-1]["encrypted"] = False

INVENTORY = {"format": "snapkeep-inventory/v1", "observedAt": NOW, "regions": ["us-east-1", "us-west-2"],
             "instances": [instance("api-db"), instance("billing-db", copy_tags=False, gib=200),
                           instance("ledger-db", gib=10, encrypted=False)],
             "snapshots": snaps,
             "automatedBackups": [automated_backup(i) for i in ("api-db", "billing-db", "ledger-db")]}
EXPECTED_MARKS = {}
for s in snaps:
    EXPECTED_MARKS[s["instance"]] = EXPECTED_MARKS.get(s["instance"], 0) + 1

work = t.tmpdir()
repo = os.path.join(work, "repo")
t.git_repo(repo, {"policies/prod.yaml": POLICY})
inv_file = os.path.join(work, "inventory.json")
with open(inv_file, "w") as f:
    json.dump(INVENTORY, f)

# a journal: creates and deletes over the last days (storage over time)
state = os.path.join(work, "state")
os.makedirs(state, mode=0o700)
with open(os.path.join(state, "journal.jsonl"), "w") as f:
    n = 0
    for d in range(10, 0, -1):
        day = now - dt.timedelta(days=d)
        for action, region, gib in (("create", "us-east-1", 50), ("copy", "us-west-2", 50), ("delete", "us-east-1", 50)):
            n += 1
            rid = "20261101T030000Z-0000beef"
            intent = {"type": "intent", "id": "%s.%d" % (rid, n), "time": iso(day.replace(hour=3, minute=n % 60)),
                      "runId": rid, "action": action, "region": region, "target": "snap-%d" % n,
                      "instance": "api-db", "policy": "prod", "call": {"action": action, "allocatedGiB": gib}}
            outcome = {"type": "outcome", "id": "%s.%do" % (rid, n), "intent": intent["id"],
                       "time": iso(day.replace(hour=3, minute=n % 60, second=30)), "runId": rid, "action": action,
                       "region": region, "target": intent["target"], "instance": "api-db", "policy": "prod",
                       "result": "done"}
            f.write(json.dumps(intent) + "\n" + json.dumps(outcome) + "\n")

offline_env = {"NO_COLOR": "1", "SNAPKEEP_STATE_DIR": state,
               "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None,
               "AWS_PROFILE": None, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
               "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_REGION": "us-east-1"}

page = os.path.join(work, "report.html")
r = t.snapkeep("report", "--repo", repo, "--path", "policies", "--inventory", inv_file, "--now", NOW,
               "--since", "30d", "--format", "html", "--out", page, env=offline_env)
t.is_(r.rc, 1, "report --format html exits 1: not every instance is compliant") or t.diag(r)
t.ok(os.path.exists(page) and os.path.getsize(page) > 1000, "the page is written to --out", r)
if not os.path.exists(page):
    t.bail("no page to load")
with open(page, encoding="utf-8") as f:
    html = f.read()

plan = t.snapkeep("plan", "--repo", repo, "--path", "policies", "--inventory", inv_file, "--now", NOW,
                  "--output", "json", env=offline_env)
t.ok(plan.rc in (0, 2), "the offline plan for the cross-check succeeds", plan)
decisions = plan.json().get("snapshots", []) if plan.rc in (0, 2) else []


def coarsest(rules):
    for rule in LADDER:
        if rule in rules:
            return rule
    return "all" if "no-rules" in rules else "safety"


want_rules = {}
for dcs in decisions:
    key = "deleted" if dcs["decision"] == "delete" else coarsest(dcs["rules"])
    per = want_rules.setdefault(dcs["instance"], {})
    per[key] = per.get(key, 0) + 1
want_rules.setdefault("api-db", {})["automated"] = 2
t.ok(want_rules.get("api-db", {}).get("deleted", 0) > 0, "the plan deletes some of api-db's snapshots",
     want_rules)

ART = os.path.join(t.BUILD, "artifacts", "t0990")
shutil.rmtree(ART, ignore_errors=True)
os.makedirs(ART)
canary = os.path.join(work, "canary.html")
with open(canary, "w") as f:
    f.write('<!DOCTYPE html><title>canary</title><img src="http://canary.example/pixel.png">')

# the rows in the order they are seen: top to bottom on the screen
SHOWN = ("[...document.querySelectorAll('#compliance tr.row')].map(r => [r.cells[0].getBoundingClientRect().top, "
         "r.dataset.instance]).sort((a, b) => a[0] - b[0]).map(x => x[1])")
DOM = """(() => {
  // drawn: scrolled to, the point at the middle of its first mark is that mark (or one beside it)
  const drawn = s => {
    const m = s.querySelector('.mk');
    if (!m) return s.getBoundingClientRect().height > 40;
    m.scrollIntoView({block: 'center'});
    const r = m.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!hit && !!hit.closest('.mk') && hit.ownerSVGElement === s;
  };
  const rows = [...document.querySelectorAll('#compliance tr.row')];
  const charts = [...document.querySelectorAll('svg.timeline')].map(s => {
    const marks = [...s.querySelectorAll('.mk')];
    const rules = {};
    for (const m of marks) rules[m.dataset.rule] = (rules[m.dataset.rule] || 0) + Number(m.dataset.n);
    return {instance: s.dataset.instance, n: marks.reduce((a, m) => a + Number(m.dataset.n), 0),
            shown: drawn(s), rules};
  });
  return {rows: rows.map(r => [r.dataset.instance, r.dataset.verdict, r.cells[0].innerText.trim()]),
          charts, title: document.title,
          shownOrder: SHOWN,
          scripts: document.scripts.length,
          overflow: document.documentElement.scrollWidth - window.innerWidth};
})()""".replace("SHOWN", SHOWN)

browser_dir = os.path.join(work, "chromium")
try:
    with chromium.Browser(browser_dir, timeout=90) as b:
        b.open("file://" + canary)
        b.open("file://" + page, width=1280, height=900)
        dom = b.eval(DOM)
        b.screenshot(os.path.join(ART, "desktop.png"), full_page=True)
        # the README's crop: the header, the compliance table and the first timeline
        top = b.eval("(() => { const s = document.querySelector('section.instance');"
                     " const r = s.getBoundingClientRect(); return Math.ceil(r.bottom + window.scrollY + 12); })()")
        b.screenshot(os.path.join(ART, "report-cropped.png"),
                     clip={"x": 0, "y": 0, "width": 1280, "height": min(int(top), 1600)})
        # the Instance column's header link: a same-page link, :target shows that order
        b.eval("document.querySelector('th a[href=\"#by-instance\"]').click()")
        sorted_view = b.eval(SHOWN)
        b.eval("document.querySelector('th a[href=\"#by-cost\"]').click()")
        cost_view = b.eval(SHOWN)
        b.open("file://" + page, width=390, height=844, mobile=True)
        phone = b.eval("({overflow: document.documentElement.scrollWidth - window.innerWidth,"
                       " card: getComputedStyle(document.querySelector('#compliance tr.row')).display,"
                       " font: parseFloat(getComputedStyle(document.body).fontSize),"
                       " label: getComputedStyle(document.querySelector('#compliance tr.row td'), '::before').content})")
        b.screenshot(os.path.join(ART, "phone.png"), full_page=True)
        phone_sorted = b.eval("document.querySelector('th a[href=\"#by-instance\"]').click()") or b.eval(SHOWN)
        b.call("Emulation.setEmulatedMedia", {"media": "print"}, session=True)
        printed = b.eval("getComputedStyle(document.querySelector('nav')).display")
        b.pdf(os.path.join(ART, "report.pdf"))
except chromium.BrowserError as e:
    t.bail("chromium: %s" % e)

# nothing fetched by the page; the canary proves the log would show it
page_reqs = b.page_requests()
t.ok(any("canary.example" in u for u, _, _ in page_reqs), "the network log catches a page's request (canary)",
     b.requests())
t.is_([u for u, _, _ in page_reqs if "canary.example" not in u], [], "the report page makes no network request")
t.ok("<script" not in html and dom["scripts"] == 0, "the page has no script")

# the compliance table
t.is_(dom["title"], "snapkeep report", "the page loads in Chromium")
t.is_(sorted(x[0] for x in dom["rows"]), ["api-db", "billing-db", "ledger-db"], "a table row per instance")
t.is_(dom["rows"][0][1], "at-risk", "worst first: the stale, unencrypted instance leads")
verdict_words = {"compliant": "COMPLIANT", "drift": "DRIFT", "at-risk": "AT RISK"}
t.ok(all(verdict_words[v] in text for _, v, text in dom["rows"]), "each verdict in words, not colour alone",
     dom["rows"])
t.is_(dict((i, v) for i, v, _ in dom["rows"]), {"api-db": "compliant", "billing-db": "drift", "ledger-db": "at-risk"},
      "api-db is compliant, billing-db drifts (copy tags off), ledger-db is at risk (stale, unencrypted)")
t.is_(dom["shownOrder"], [x[0] for x in dom["rows"]], "the rows are seen worst first")
t.is_(sorted_view, ["api-db", "billing-db", "ledger-db"], "the Instance header's link shows them by name, without script")
t.is_(cost_view, ["billing-db", "api-db", "ledger-db"], "the Cost header's link shows the dearest first")
t.is_(phone_sorted, ["api-db", "billing-db", "ledger-db"], "the orders work on the phone's cards too")

# one timeline per instance, every snapshot a mark, each in its rule's row
charts = dict((c["instance"], c) for c in dom["charts"])
t.is_(len(dom["charts"]), 3, "one SVG timeline per instance")
t.is_(dict((k, v["n"]) for k, v in charts.items()), EXPECTED_MARKS, "as many marks as each instance's snapshots")
t.ok(all(c["shown"] for c in dom["charts"]), "every timeline is drawn: its marks are what is on screen there",
     dom["charts"])
for iid in ("api-db", "billing-db", "ledger-db"):
    t.is_(charts.get(iid, {}).get("rules"), want_rules.get(iid), "%s: marks per rule as the plan decides" % iid)

# phone and print
t.ok(phone["overflow"] <= 0, "at 390 px nothing runs off the page sideways", phone)
t.is_(phone["card"], "block", "at 390 px the table rows are cards")
t.is_(phone["label"], '"Verdict"', "each card field says its column")
t.ok(phone["font"] >= 14, "at 390 px the text stays readable (%.0f px)" % phone["font"])
t.is_(printed, "none", "print media hides the navigation")
t.ok(open(os.path.join(ART, "report.pdf"), "rb").read(5) == b"%PDF-", "the page prints to PDF")

# the artefacts
for name, width in (("desktop.png", 1280), ("phone.png", 390), ("report-cropped.png", 1280)):
    path = os.path.join(ART, name)
    w, h = chromium.png_size(path) if os.path.exists(path) else (0, 0)
    t.ok(w == width and h > 300, "%s: %dx%d kept in %s" % (name, w, h, ART))
if os.environ.get("SNAPKEEP_UPDATE_DOCS") == "1":
    shutil.copy(os.path.join(ART, "report-cropped.png"), os.path.join(t.TOP, "docs", "report.png"))
    t.diag("docs/report.png updated")
t.done()
