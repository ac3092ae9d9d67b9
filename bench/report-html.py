#!/usr/bin/env python3
"""report-html.py - `snapkeep report --format html` at fleet size (bench/run runs it).

    bench/report-html.py [--instances 1000] [--snapshots 100000] [--runs 3]

Offline, from an inventory bench/gen-inventory.py writes (and its policy):
the wall time and peak RSS of the whole command (reading the file, the
plan, the report model, the page), the page's size against the 5 MB
budget, how many snapshot marks it holds (data-n summed: every snapshot is
counted, dense timelines merge only what shares a pixel), and the same
command with --format text beside it, so the page's own share shows.
Figures, not pass/fail: the targets are printed beside them.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(TOP, BUILD)
BIN = os.path.join(BUILD, "snapkeep")
NOW = "2026-01-01T03:00:00Z"
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def timed(argv, env):
    """(seconds, peak RSS MiB, returncode, stderr) of one run, through /usr/bin/time -v."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    wall = time.monotonic() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return wall, (int(m.group(1)) / 1024 if m else float("nan")), p.returncode, p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--snapshots", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="snapkeep-bench-report-")
    try:
        inv = os.path.join(work, "inventory.json")
        pol = os.path.join(work, "repo")
        subprocess.run([sys.executable, os.path.join(TOP, "bench", "gen-inventory.py"), "--instances",
                        str(a.instances), "--snapshots", str(a.snapshots), "--out", inv, "--now", NOW,
                        "--policies", os.path.join(pol, "policies")], check=True, stderr=subprocess.DEVNULL)
        env = dict(os.environ, **GIT_ENV)
        for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "bench policies"]):
            subprocess.run(["git", "-C", pol] + args, env=env, check=True)
        env = dict(os.environ, SNAPKEEP_STATE_DIR=os.path.join(work, "state"), AWS_ENDPOINT_URL="http://127.0.0.1:9",
                   AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="", AWS_REGION="us-east-1")
        page = os.path.join(work, "report.html")
        base = [BIN, "report", "--inventory", inv, "--now", NOW, "--repo", pol, "--path", "policies"]
        print("== report --format html: %d instances, %d snapshots, offline (inventory %.0f MB)" %
              (a.instances, a.snapshots, os.path.getsize(inv) / 1e6), flush=True)
        for label, extra in (("--format html", ["--format", "html", "--out", page]),
                             ("--format text", ["--format", "text"])):
            runs = [timed(base + extra, env) for _ in range(a.runs)]
            bad = [r for r in runs if r[2] not in (0, 1)]
            if bad:
                print("  %s failed (exit %d): %s" % (label, bad[0][2], bad[0][3].split("\tCommand being timed")[0][-800:]), flush=True)
                continue
            print("  %-14s median %.2f s wall, peak RSS %.0f MiB (%d runs)%s" %
                  (label, statistics.median(r[0] for r in runs), max(r[1] for r in runs), a.runs,
                   " (target < 2 s)" if "html" in label else ""), flush=True)
        if os.path.exists(page):
            with open(page, encoding="utf-8") as f:
                html = f.read()
            marks = sum(int(n) for n in re.findall(r'class="mk [^"]*" data-n="(\d+)"', html))
            charts = html.count('class="timeline"')
            print("  page: %.2f MB (target < 5 MB), %d timelines, %d snapshot marks, %d compliance rows" %
                  (len(html.encode()) / 1e6, charts, marks, html.count('<tr class="row"')), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
