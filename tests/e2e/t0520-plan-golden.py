#!/usr/bin/env python3
"""Golden plans: tests/data/plans/<case>/ holds policies/*.yaml, inventory.json,
`now` (an RFC 3339 time), optionally `args` (more options, shell words) and
`exit` (the expected exit code, default 0), and expected.txt, the exact text of

    snapkeep plan --repo R --path policies --inventory inventory.json \\
        --now NOW --verbose [args]        (colour off; the commit id as <commit>)

run on a git repository R made of the case's policies.  Optional
expected.json holds checks of the same plan's --output json: every key it
names must match, recursively (lists element by element, same length); its
"snapshots" may be an object {id: {...}} to check decisions by id.

Every case is also held to the safety rules whatever its expected files say:
a delete targets only an available manual snapshot carrying both ownership
tags of the deleting policy and instance; the newest available snapshot of a
(policy, instance, region) survives; deletions per policy stay within
maxDeletionsPerRun; every copy the rules want is planned, and when they and
the copies already arriving in a region are more than Settings'
copiesInFlight (default 20, AWS's limit), a note says how many run at once;
creates and copies stay within the region's quota; new identifiers are valid
RDS identifiers that do not exist yet; what snapkeep creates carries its
ownership tags and no aws: tag; every delete decision is a delete action and
every kept snapshot names a rule.

SNAPKEEP_UPDATE_GOLDEN=1 rewrites expected.txt from what the binary prints
(read the diff before committing it)."""
import difflib
import json
import os
import re
import shlex
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t

CASES = os.path.join(t.TOP, "tests", "data", "plans")
UPDATE = os.environ.get("SNAPKEEP_UPDATE_GOLDEN") == "1"
DATES = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
ID_RE = re.compile(r"^[A-Za-z](-?[A-Za-z0-9])*$")
IN_FLIGHT = ("creating", "pending", "copying")


def read(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return f.read()


def sanitize(text):
    return re.sub(r"^Policy: commit [0-9a-f]{12} ", "Policy: commit <commit> ", text, flags=re.M)


def match(got, want, where):
    """The differences between got and the partial expectation want, as strings."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return ["%s: want an object, got %r" % (where, got)]
        out = []
        for k, v in want.items():
            if k not in got:
                out.append("%s.%s: missing" % (where, k))
            else:
                out += match(got[k], v, "%s.%s" % (where, k))
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return ["%s: want %d elements, got %r" % (where, len(want), got)]
        out = []
        for i, (g, w) in enumerate(zip(got, want)):
            out += match(g, w, "%s[%d]" % (where, i))
        return out
    return [] if got == want else ["%s: want %r, got %r" % (where, want, got)]


def policy_limits(case):
    """maxDeletionsPerRun per policy name, from the YAML (a plain scan: the cases write it plainly)."""
    limits = {}
    for name in sorted(os.listdir(os.path.join(case, "policies"))):
        text = read(os.path.join(case, "policies", name))
        for doc in text.split("\n---"):
            m = re.search(r"^metadata:\s*(?:\{\s*name:\s*([\w.-]+)|\n\s+name:\s*([\w.-]+))", doc, re.M)
            if not m:
                continue
            d = re.search(r"maxDeletionsPerRun:\s*(\d+)", doc)
            limits[m.group(1) or m.group(2)] = int(d.group(1)) if d else 50
    return limits


def copies_at_once(case):
    """Settings' copiesInFlight (a plain scan, as policy_limits), default 20."""
    for name in sorted(os.listdir(os.path.join(case, "policies"))):
        m = re.search(r"^\s+copiesInFlight:\s*(\d+)", read(os.path.join(case, "policies", name)), re.M)
        if m:
            return int(m.group(1))
    return 20


def snap_time(s):
    return s.get("originalCreated") or s.get("created") or ""


def invariants(case, inv, plan):
    """The safety rules every plan keeps, as a list of violations."""
    bad = []
    snaps = {(s["region"], s["id"]): s for s in inv.get("snapshots", [])}
    acts = plan["actions"]
    deletes = [a for a in acts if a["action"] == "delete"]
    deleted = {(a["region"], a["target"]) for a in deletes}
    for a in deletes:
        s = snaps.get((a["region"], a["target"]))
        tags = (s or {}).get("tags") or {}
        if not s:
            bad.append("delete of %s/%s, not in the inventory" % (a["region"], a["target"]))
        elif s["type"] != "manual" or s["status"] != "available":
            bad.append("delete of %s, a %s %s snapshot" % (a["target"], s["status"], s["type"]))
        elif tags.get("snapkeep:policy") != a["policy"] or tags.get("snapkeep:instance") != a["instance"]:
            bad.append("delete of %s by policy %s: its tags are %r" % (a["target"], a["policy"], tags))
    # the newest available snapshot of each (policy, instance, region) survives
    groups = {}
    for s in inv.get("snapshots", []):
        tags = s.get("tags") or {}
        if s["type"] == "manual" and s["status"] == "available" and tags.get("snapkeep:policy"):
            key = (tags["snapkeep:policy"], tags.get("snapkeep:instance"), s["region"])
            groups.setdefault(key, []).append(s)
    for key, group in groups.items():
        newest = max(group, key=lambda s: (snap_time(s), s["id"]))
        if (newest["region"], newest["id"]) in deleted:
            bad.append("the newest available snapshot of %r, %s, is deleted" % (key, newest["id"]))
    limits = policy_limits(case)
    for name, limit in limits.items():
        n = len([a for a in deletes if a["policy"] == name])
        if n > limit:
            bad.append("policy %s deletes %d, more than maxDeletionsPerRun %d" % (name, n, limit))
    for r in plan["regions"]:
        region = r["region"]
        copies = [a for a in acts if a["action"] == "copy" and a["region"] == region]
        made = copies + [a for a in acts if a["action"] == "create" and a["region"] == region]
        arriving = [s for s in inv.get("snapshots", []) if s["region"] == region and s["status"] in IN_FLIGHT and
                    ((s.get("sourceRegion") and s["sourceRegion"] != region) or
                     "snapkeep:source" in (s.get("tags") or {}))]
        at_once = copies_at_once(case)
        turns = [n for n in plan["notes"] if n["kind"] == "deferred" and n["region"] == region and
                 "at most %d in progress at once" % at_once in n["message"]]
        if copies and len(copies) + len(arriving) > at_once and not turns:
            bad.append("%s: %d copies planned with %d in flight, no note that at most %d run at once"
                       % (region, len(copies), len(arriving), at_once))
        if turns and len(copies) + len(arriving) <= at_once:
            bad.append("%s: a note on copies in turn, yet %d + %d fit in %d" % (region, len(copies), len(arriving),
                                                                                 at_once))
        m = r["manualSnapshots"]
        if made and m["before"] + len(made) > m["quota"]:
            bad.append("%s: %d + %d new snapshots past the quota %d" % (region, m["before"], len(made), m["quota"]))
        if m["after"] != m["before"] + len(made) - len([a for a in deletes if a["region"] == region]):
            bad.append("%s: manual after %d does not add up" % (region, m["after"]))
    for a in acts:
        if a["action"] not in ("create", "copy"):
            continue
        if not ID_RE.match(a["target"]) or len(a["target"]) > 255 or a["target"] != a["target"].lower():
            bad.append("%s: not a valid RDS identifier" % a["target"])
        if (a["region"], a["target"]) in snaps:
            bad.append("%s %s: already exists in %s" % (a["action"], a["target"], a["region"]))
        tags = a["tags"]
        need = ["snapkeep:policy", "snapkeep:instance", "snapkeep:slot"] + (["snapkeep:source"] if a["action"] == "copy" else [])
        if any(k not in tags for k in need) or tags["snapkeep:policy"] != a["policy"] or \
                tags["snapkeep:instance"] != a["instance"]:
            bad.append("%s %s: ownership tags %r" % (a["action"], a["target"], tags))
        if [k for k in tags if k.startswith("aws:")]:
            bad.append("%s %s: carries aws: tags %r" % (a["action"], a["target"], tags))
        if not a.get("policy") or not a.get("reason"):
            bad.append("%s %s: no policy or reason" % (a["action"], a["target"]))
    decided = {(d["region"], d["id"]) for d in plan.get("snapshots", []) if d["decision"] == "delete"}
    if decided != deleted:
        bad.append("delete decisions %r differ from delete actions %r" % (sorted(decided), sorted(deleted)))
    for d in plan.get("snapshots", []):
        if d["decision"] == "keep" and not d["rules"]:
            bad.append("%s is kept by no rule" % d["id"])
    return bad


def run_case(name, work):
    case = os.path.join(CASES, name)
    now = read(os.path.join(case, "now"), "").strip()
    args = shlex.split(read(os.path.join(case, "args"), ""))
    want_rc = int(read(os.path.join(case, "exit"), "0").strip())
    repo = os.path.join(work, name)
    shutil.copytree(os.path.join(case, "policies"), os.path.join(repo, "policies"))
    t.git(repo, "init", "-q", "-b", "main")
    t.git(repo, "add", ".")
    t.git(repo, "commit", "-q", "-m", name, env=DATES)
    env = {"NO_COLOR": "1", "SNAPKEEP_STATE_DIR": os.path.join(work, "state"), "AWS_ACCESS_KEY_ID": None,
           "AWS_PROFILE": None}
    base = ["plan", "--repo", repo, "--path", "policies", "--inventory", os.path.join(case, "inventory.json"),
            "--now", now]
    r = t.snapkeep(*(base + ["--verbose"] + args), env=env)
    ok = t.ok(r.rc == want_rc and (want_rc or not r.err), "%s: plan exits %d, nothing on stderr" % (name, want_rc), r)
    got = sanitize(r.out if not want_rc else r.out + r.err)
    expected_path = os.path.join(case, "expected.txt")
    if UPDATE:
        with open(expected_path, "w") as f:
            f.write(got)
    want = read(expected_path)
    if want is None:
        t.ok(False, "%s: has expected.txt" % name)
        return
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "expected.txt", "got"))
    t.ok(got == want, "%s: the plan is expected.txt" % name, diff)
    if want_rc:
        return
    r = t.snapkeep(*(base + ["--output", "json"] + args), env=env)
    try:
        plan = r.json()
    except ValueError:
        t.ok(False, "%s: --output json is JSON" % name, r)
        return
    with open(os.path.join(case, "inventory.json")) as f:
        inv = json.load(f)
    bad = invariants(case, inv, plan)
    t.ok(not bad, "%s: the safety rules hold" % name, "\n".join(bad))
    checks = read(os.path.join(case, "expected.json"))
    if checks is not None:
        want_j = json.loads(checks)
        got_j = dict(plan)
        if isinstance(want_j.get("snapshots"), dict):
            got_j["snapshots"] = {d["id"]: d for d in plan.get("snapshots", [])}
        errs = match(got_j, want_j, "plan")
        t.ok(not errs, "%s: expected.json holds" % name, "\n".join(errs))


work = t.tmpdir()
names = sorted(d for d in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, d)))
only = os.environ.get("SNAPKEEP_GOLDEN_CASE")
for name in names:
    if not only or only == name:
        run_case(name, work)
t.ok(len(names) >= 20, "there are golden cases (%d)" % len(names))
t.done()
