#!/usr/bin/env python3
"""Golden cases for the policy parser: every folder of tests/data/policies
holds policy files and expected.txt, the exact output of
`sk-policy FILE...` run in that folder: the diagnostics, one per line
(exit 1), or the parsed set as JSON (exit 0).  A new case is a new folder.

SNAPKEEP_UPDATE_GOLDEN=1 rewrites expected.txt from what the parser says
(review the diff before committing it)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t

TOOL = os.path.join(t.BUILD, "san", "tests", "tools", "sk-policy")
CASES = os.path.join(t.TOP, "tests", "data", "policies")
UPDATE = os.environ.get("SNAPKEEP_UPDATE_GOLDEN") == "1"

if not os.access(TOOL, os.X_OK):
    t.bail("no %s (make %s)" % (TOOL, os.path.relpath(TOOL, t.TOP)))

cases = sorted(d for d in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, d)))
t.ok(len(cases) >= 25, "at least 25 golden cases (%d)" % len(cases))
for case in cases:
    folder = os.path.join(CASES, case)
    inputs = sorted(f for f in os.listdir(folder) if f.endswith((".yaml", ".yml")))
    res = t.run([TOOL] + inputs, cwd=folder, timeout=60)
    want_file = os.path.join(folder, "expected.txt")
    if UPDATE:
        with open(want_file, "w") as f:
            f.write(res.out)
    if not os.path.exists(want_file):
        t.ok(False, "%s: has expected.txt" % case)
        continue
    with open(want_file) as f:
        want = f.read()
    valid = want.startswith("{")
    t.is_(res.rc, 0 if valid else 1, "%s: exit code (%s)" % (case, "valid" if valid else "invalid"))
    t.ok(res.out == want, "%s: output matches expected.txt" % case,
         "got:\n%s\nwant:\n%s\nstderr:\n%s" % (res.out, want, res.err))
    if not valid:
        # every line is file:line:col: message (or a message about the whole set)
        for line in res.out.splitlines():
            head = line.split(": ", 1)[0]
            if head.count(":") == 2 and not t.ok(head.split(":")[1].isdigit() and head.split(":")[2].isdigit(),
                                                  "%s: '%s' has a line and column" % (case, head)):
                break
t.done()
