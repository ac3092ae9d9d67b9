#!/usr/bin/env python3
"""The command line's promises that hold across commands.

- Each command's --help lists exactly the options it takes: every option a
  command's help lists is accepted by it, every other option of snapkeep is
  refused (exit 64, one line naming the option and the command).
- A closed standard output (`snapkeep history | head`) is not an error: the
  command stops printing and exits as it would have, with nothing on stderr
  (history, plan, show, validate, inventory).
- A bad --metrics-addr is bad usage (64), found before anything starts.
- 20,000 policy problems print the first 50 and one line counting the rest;
  `validate --output json` lists every one.
- `run --log-format json`: every stderr line is JSON, apply's progress while
  it waits for new snapshots included."""
import datetime as dt
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402

work = t.tmpdir()
ENV = {"SNAPKEEP_LOG": None, "SNAPKEEP_LOG_FORMAT": None, "SNAPKEEP_OUTPUT": None, "NO_COLOR": "1",
       "SNAPKEEP_STATE_DIR": os.path.join(work, "state")}

# ---- every command's help is the list of what it accepts ----
r = t.snapkeep("--help", env=ENV)
commands = re.findall(r"^  ([a-z-]+) ", r.out.split("Commands:")[1], re.M) if r.rc == 0 else []
t.ok(len(commands) >= 10 and "history" in commands and "whoami" in commands, "snapkeep --help lists the commands",
     commands)

ARG = re.compile(r"^(?:[A-Z][A-Z0-9:]*(?:\|[A-Z]+)?|[a-z]+\|[a-z]+)$")  # FILE, HH:MM, PATH|URL, text|json
# a valid value for each kind of placeholder (values are checked while the options are read)
VALUES = {"S": "5", "N": "3", "D": "5s", "TIME": "2026-01-01T00:00:00Z", "text|json": "text", "HH:MM": "06:00"}


def listed(help_text):
    """{option: its placeholder or None} for each option line ("  --a, --b ARG  text") of a command's help."""
    out = {}
    for line in help_text.splitlines():
        if not line.startswith("  -"):
            continue
        words = line.split()
        i = 0
        while i < len(words) and words[i].startswith("-"):
            opt = words[i].rstrip(",")
            takes = not words[i].endswith(",") and i + 1 < len(words) and ARG.match(words[i + 1]) is not None
            out[opt] = words[i + 1] if takes else None
            if not words[i].endswith(","):
                break
            i += 1
    return out


def with_value(opt, placeholder):
    return [opt, VALUES.get(placeholder, "x")] if placeholder else [opt]


helps = {}
for cmd in commands:
    r = t.snapkeep(cmd, "--help", env=ENV)
    helps[cmd] = listed(r.out) if r.rc == 0 else {}
    t.ok(r.rc == 0 and r.out.startswith("usage: snapkeep %s " % cmd) and helps[cmd], "%s --help lists its options"
         % cmd, r)
every = {}
for opts in helps.values():
    every.update(opts)
t.ok({"--repo", "--region", "--state-dir", "--lock-timeout", "--debug", "--color", "-out", "--log-format"} <=
     set(every), "the options found in the helps include every kind", sorted(every))

NOT_FOR = {"history": ["--lock-timeout", "--debug", "--region", "--color"], "show": ["--debug", "--region"],
           "whoami": ["--repo", "--state-dir", "--color"], "validate": ["--lock-timeout", "--color", "--now"],
           "iam-policy": ["--output", "--region"], "force-unlock": ["--output", "--lock-timeout"],
           "plan": ["--lock-timeout", "--auto-approve"], "inventory": ["--lock-timeout", "--color"],
           "run": ["--now", "--auto-approve", "--inventory"], "apply": ["--inventory", "--interval"]}
for cmd, opts in NOT_FOR.items():
    t.ok(not set(opts) & set(helps.get(cmd, {})), "%s --help does not list %s" % (cmd, " ".join(opts)),
         sorted(helps.get(cmd, {})))

for cmd in commands:
    args = []
    for opt, takes in sorted(helps[cmd].items()):
        args += with_value(opt, takes)
    r = t.snapkeep(cmd, *args, "--help", env=ENV)
    t.ok(r.rc == 0 and r.out.startswith("usage: snapkeep %s " % cmd),
         "%s accepts every option its help lists (%d)" % (cmd, len(helps[cmd])), r)
    wrong = []
    for opt, takes in sorted(every.items()):
        if opt in helps[cmd]:
            continue
        r = t.snapkeep(cmd, *with_value(opt, takes), "--help", env=ENV, binary=t.REL_BIN)
        lines = r.err.strip().splitlines()
        want = "snapkeep %s: %s is not an option of %s. See 'snapkeep %s --help'." % (cmd, opt, cmd, cmd)
        # verify is a monitoring plugin: bad usage is UNKNOWN (3), as the plugin guidelines ask
        if r.rc != (3 if cmd == "verify" else 64) or lines != [want] or r.out:
            wrong.append((opt, r.rc, r.err))
    t.is_(wrong, [], "%s refuses the %d options its help does not list (%d, one line naming it)"
          % (cmd, len(every) - len(helps[cmd]), 3 if cmd == "verify" else 64))
r = t.snapkeep("plan", "--endpoint-url", "http://127.0.0.1:9", "--help", env=ENV)
t.is_(r.rc, 0, "an alias is accepted where its option is listed (--endpoint-url for --endpoint)")

# ---- --metrics-addr ----
for addr in ["nohost", "127.0.0.1:99999", "::1:9464", ""]:
    r = t.snapkeep("run", "--once", "--metrics-addr", addr, "--repo", os.path.join(work, "none"), env=ENV)
    t.ok(r.rc == 64 and len(r.err.strip().splitlines()) == 1 and "metrics address" in r.err,
         "run --metrics-addr '%s': bad usage (64) before anything starts, one line" % addr, r)

# ---- 20,000 problems ----
lines = ["apiVersion: snapkeep/v1", "kind: BackupPolicy", "metadata: {name: many}", "spec:",
         "  regions: [us-east-1]", "  selector: {instances: [a]}"] + ["  key%d: 1" % i for i in range(20000)]
many = os.path.join(work, "many")
t.git_repo(many, {"p.yaml": "\n".join(lines) + "\n"})
r = t.snapkeep("validate", "--repo", many, env=ENV, binary=t.REL_BIN)
err = r.err.splitlines()
t.ok(r.rc == 1 and len(err) == 52 and err[0].startswith("p.yaml:7:3: policy 'many': unknown key 'key0'")
     and err[49].startswith("p.yaml:56:3: ") and err[50] == "… and 19950 more problems (snapkeep validate "
     "--output json lists every one)" and err[51].startswith("snapkeep: 20000 errors in policies: p.yaml:7:3:"),
     "validate with 20,000 unknown keys: the first 50, a line counting the rest, the summary (52 lines)",
     err[:2] + err[48:])
r = t.snapkeep("validate", "--repo", many, "--output", "json", env=ENV, binary=t.REL_BIN)
t.ok(r.rc == 1 and len(r.json()["errors"]) == 20000 and r.err == "",
     "validate --output json lists all 20,000", (r.rc, r.err[:200]))


# ---- a closed standard output ----
def closed_stdout(*args, env=None):
    """Runs snapkeep with a stdout whose reader is already gone; returns (exit code, stderr)."""
    rd, wr = os.pipe()
    os.close(rd)
    e = dict(os.environ)
    for k, v in (env or ENV).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    try:
        p = subprocess.run([t.BIN] + list(args), stdout=wr, stderr=subprocess.PIPE, env=e, timeout=300)
    finally:
        os.close(wr)
    return p.returncode, p.stderr.decode("utf-8", "replace")


# an offline plan longer than stdio's buffer: 400 snapshots kept (--verbose lists each), one to take
repo = os.path.join(work, "offline")
t.git_repo(repo, {"policies/p.yaml": """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: prod}
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  snapshots: {schedule: "0 3 * * *", retain: {last: 500}}
---
apiVersion: snapkeep/v1
kind: Settings
metadata: {name: settings}
spec: {snapshotQuota: {default: 1000}}
"""})
snaps = []
for k in range(400):
    day = (dt.date(2025, 1, 1) + dt.timedelta(days=k)).isoformat()
    sid = "snapkeep-orders-db-%s-0300" % day.replace("-", "")
    snaps.append({"id": sid, "arn": "arn:aws:rds:us-east-1:123456789012:snapshot:" + sid, "instance": "orders-db",
                  "region": "us-east-1", "type": "manual", "status": "available", "created": day + "T03:04:00Z",
                  "allocatedGiB": 20, "tags": {"snapkeep:policy": "prod", "snapkeep:instance": "orders-db",
                                               "snapkeep:slot": day + "T03:00:00Z"}})
inventory = os.path.join(work, "inventory.json")
with open(inventory, "w") as f:
    json.dump({"format": "snapkeep-inventory/v1", "observedAt": "2026-06-01T03:00:00Z", "regions": ["us-east-1"],
               "instances": [{"id": "orders-db", "region": "us-east-1", "status": "available", "allocatedGiB": 20,
                              "arn": "arn:aws:rds:us-east-1:123456789012:db:orders-db", "tags": {}}],
               "snapshots": snaps, "automatedBackups": []}, f)
offline = ["--repo", repo, "--path", "policies", "--inventory", inventory, "--now", "2026-06-01T03:00:00Z"]
planfile = os.path.join(work, "p.plan")
r = t.snapkeep("plan", *offline, "-out", planfile, "--verbose", env=ENV)
t.ok(r.rc == 0 and len(r.out) > 2 * 8192 and "Plan: 1 to create" in r.out,
     "(an offline plan longer than stdio's buffer, saved too: %d bytes)" % len(r.out), r.err)
for args, want, what in [(["plan", *offline, "--verbose"], 0, "plan"),
                         (["plan", *offline, "--verbose", "--detailed-exitcode"], 2,
                          "plan --detailed-exitcode (changes)"),
                         (["plan", *offline, "--output", "json"], 0, "plan --output json"),
                         (["show", "--verbose", planfile], 0, "show"),
                         (["show", "--output", "json", planfile], 0, "show json"),
                         (["validate", "--repo", repo], 0, "validate"),
                         (["iam-policy", "--repo", repo], 0, "iam-policy")]:
    rc, err = closed_stdout(*args)
    t.ok(rc == want and err == "", "%s to a closed stdout: exit %d as usual, nothing on stderr" % (what, want),
         (rc, err))

with Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    sc = ck.Scenario(emu, work)
    sc.fresh()
    r = sc.sk("apply", "--auto-approve", *sc.source())
    t.is_(r.rc, 0, "(an apply, for a journal to show)") or t.diag(r)
    for args, what in [(["history"], "history"), (["history", "--output", "json"], "history --output json"),
                       (["inventory", "--repo", sc.repo, "--output", "json"], "inventory --output json")]:
        rc, err = closed_stdout(*args, env=sc.env())
        t.ok(rc == 0 and err == "", "%s to a closed stdout: exit 0, nothing on stderr" % what, (rc, err))
    p = subprocess.run("'%s' history | head -1" % t.BIN, shell=True, capture_output=True, text=True,
                       env=dict(os.environ, **{k: v for k, v in sc.env().items() if v is not None}))
    t.ok(p.stdout.startswith("TIME ") and p.stderr == "", "history | head -1: the header, no 'Broken pipe'", p)

    # ---- run --log-format json: apply's progress is a JSON record too ----
    sc.fresh()
    r = sc.sk("run", "--once", "--auto-apply", "--log-format", "json", "--repo", sc.repo, "--path", "policies")
    recs, bad = [], None
    for line in r.err.splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            bad = bad or line
    t.ok(r.rc == 0 and bad is None and recs, "run --once --auto-apply --log-format json: every stderr line is JSON",
         bad or r)
    t.ok([x for x in recs if x.get("level") == "info" and
          re.fullmatch(r"waiting for \d+ new snapshots? to become available", x.get("msg", ""))],
         "the wait for new snapshots (copies need them) is one of those records", [x.get("msg") for x in recs])
    r = sc.sk("run", "--once", "--log-format", "json", "--metrics-addr", "nohost")
    t.ok(r.rc == 64 and json.loads(r.err.strip()).get("level") == "error",
         "a usage error of run --log-format json is a JSON record too", r)

t.done()
