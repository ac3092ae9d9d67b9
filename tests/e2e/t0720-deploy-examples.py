#!/usr/bin/env python3
"""examples/deploy: the command lines and settings in the systemd units and
the Kubernetes manifests work as written, against the emulator.

- systemd: `systemd-analyze verify` accepts the three units (when systemd is
  installed); snapkeep.service's ExecStart, with snapkeep.env.example's
  settings, runs one cycle and exits 0, logging JSON; snapkeep-run.service's
  ExecStart loops, `systemctl reload` (its ExecReload: SIGHUP) starts a
  cycle, and its KillSignal (SIGTERM) stops it with exit 0.
- Kubernetes: `kubectl kustomize` renders the three variants (when kubectl is
  installed; `replicas`: 3 pods over a PostgreSQL state backend, t1010 runs them); the CronJob's args, with the ConfigMap's environment and the
  credentials the EKS pod identity webhook injects for the ServiceAccount's
  role (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE: no keys), run a cycle
  with web-identity credentials; the Deployment's args loop and answer the
  probes' /healthz and the scrape annotations' /metrics.
The repository, state directory and listening port are the only settings
replaced (they point at this machine)."""
import json
import os
import re
import shlex
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator
from runproc import RunProc, metric

DEPLOY = os.path.join(t.TOP, "examples", "deploy")
SYSTEMD = os.path.join(DEPLOY, "systemd")
K8S = os.path.join(DEPLOY, "kubernetes")
ACCOUNT = "123456789012"
SEED = {"account": ACCOUNT, "regions": {"us-east-1": {
    "instances": [{"id": "orders-db", "backupRetentionPeriod": 3, "preferredBackupWindow": "03:00-04:00"}]}}}
POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata:
  name: orders
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  automated:
    retentionDays: %d
    window: "03:00-04:00"
"""


def read(path):
    with open(path) as f:
        return f.read()


def unit_value(text, key):
    m = re.search(r"^%s=(.*)$" % re.escape(key), text, re.M)
    return m.group(1).strip() if m else None


def snapkeep_args(cmdline):
    """the arguments after the snapkeep binary in an ExecStart= line"""
    argv = shlex.split(cmdline)
    t.ok(argv and argv[0] == "/usr/local/bin/snapkeep", "ExecStart runs /usr/local/bin/snapkeep", argv)
    return argv[1:]


def env_file(text):
    return dict(re.findall(r"^([A-Z_][A-Z0-9_]*)=(.*)$", text, re.M))


def yaml_args(text):
    """a container's args, in flow ([a, b]) or block (- a) style"""
    m = re.search(r"^\s*args: \[(.*)\]\s*$", text, re.M)
    if m:
        return [a.strip() for a in m.group(1).split(",")]
    m = re.search(r"^(\s*)args:\s*\n((?:\1  +- .*\n)+)", text, re.M)
    return [line.strip()[2:].strip() for line in m.group(2).splitlines()] if m else []


def configmap_data(text):
    block = text.split("\ndata:\n", 1)[1]
    return dict(re.findall(r"^  ([A-Z_][A-Z0-9_]*): (.*)$", block, re.M))


def json_log(text):
    try:
        return [json.loads(x) for x in text.splitlines() if x.strip()]
    except ValueError:
        return None


def local(args):
    """the example's args pointed at this machine: a free port for --metrics-addr"""
    out = []
    for a in args:
        if a.startswith("--metrics-addr="):
            a = "--metrics-addr=127.0.0.1:0"
        out.append(a)
    if "--metrics-addr" in out:
        out[out.index("--metrics-addr") + 1] = "127.0.0.1:0"
    return out


work = t.tmpdir()
repo = os.path.join(work, "policies")
c1 = t.git_repo(repo, {"policies/orders.yaml": POLICY % 7}, "orders: 7 days")

units = {name: read(os.path.join(SYSTEMD, name)) for name in ["snapkeep.service", "snapkeep.timer",
                                                              "snapkeep-run.service"]}

# ---- systemd-analyze verify ----
if shutil.which("systemd-analyze") and shutil.which("man"):
    udir = os.path.join(work, "units")
    mandir = os.path.join(work, "man", "man1")
    os.makedirs(udir)
    os.makedirs(mandir)
    shutil.copy(os.path.join(t.TOP, "docs", "snapkeep.1"), mandir)  # Documentation=man:snapkeep(1), as installed
    for name, text in units.items():
        with open(os.path.join(udir, name), "w") as f:
            f.write(text.replace("/usr/local/bin/snapkeep", t.REL_BIN if os.path.exists(t.REL_BIN) else t.BIN))
    r = t.run(["systemd-analyze", "verify"] + [os.path.join(udir, n) for n in units], cwd=udir,
              env={"MANPATH": os.path.join(work, "man"), "SYSTEMD_LOG_LEVEL": "notice"}, timeout=60)
    t.ok(r.rc == 0 and not r.err.strip(), "systemd-analyze verify accepts the three units", r)
else:
    t.ok(True, "systemd-analyze verify # SKIP systemd-analyze or man not installed")

t.is_((unit_value(units["snapkeep.service"], "Type"), unit_value(units["snapkeep.timer"], "Unit"),
       unit_value(units["snapkeep-run.service"], "ExecReload"), unit_value(units["snapkeep-run.service"], "KillSignal")),
      ("oneshot", "snapkeep.service", "/bin/kill -HUP $MAINPID", "SIGTERM"),
      "the timer starts a oneshot unit; the loop unit reloads with SIGHUP and stops with SIGTERM")

with Emulator(seed=SEED) as emu:
    base = emu.env()
    base.update({"SNAPKEEP_LOG": None, "SNAPKEEP_LOG_FORMAT": None, "AWS_MAX_ATTEMPTS": "2"})

    def inst():
        return emu.state(snapshots=False)["regions"]["us-east-1"]["instances"][0]["backupRetentionPeriod"]

    # ---- systemd: the oneshot unit, as the timer starts it ----
    envf = env_file(read(os.path.join(SYSTEMD, "snapkeep.env.example")))
    t.ok({"SNAPKEEP_REPO", "SNAPKEEP_REF", "SNAPKEEP_PATH", "AWS_REGION"} <= set(envf),
         "snapkeep.env.example sets the repository, ref, folder and region", envf)
    env = dict(base)
    env.update(envf)
    env.update({"SNAPKEEP_REPO": repo, "SNAPKEEP_STATE_DIR": os.path.join(work, "state-systemd")})
    t.is_(re.findall(r"^Environment=SNAPKEEP_GUARDRAILS=(\S+)$", units["snapkeep.service"], re.M),
          ["/etc/snapkeep/guardrails.yaml"], "snapkeep.service reads the guardrails from /etc (read-only to it)")
    env["SNAPKEEP_GUARDRAILS"] = os.path.join(DEPLOY, "guardrails.yaml")  # the example, as installed there
    args = snapkeep_args(unit_value(units["snapkeep.service"], "ExecStart"))
    r = t.snapkeep(*args, env=env)
    log = json_log(r.err)
    t.ok(r.rc == 0 and inst() == 7, "snapkeep.service's command applies the policy and exits 0", r)
    t.ok(log and any(x["msg"].startswith("cycle 1 ok at commit %s" % c1[:12]) for x in log),
         "and logs JSON lines for the journal", r.err)

    # ---- systemd: the loop unit; reload and stop as systemctl does ----
    args = local(snapkeep_args(unit_value(units["snapkeep-run.service"], "ExecStart")))
    p = RunProc(args[1:], env=env, workdir=work, name="systemd-run")
    try:
        t.ok(p.wait_for(r'"msg":"cycle 1 ok', timeout=20), "snapkeep-run.service's command runs a cycle", p.err())
        t.ok(p.wait_for(r'"msg":"next cycle in 1[3-6]m', timeout=5), "and waits about 15 minutes", p.err())
        c2 = t.git_commit(repo, {"policies/orders.yaml": POLICY % 9}, "orders: 9 days")
        p.send(signal.SIGHUP)  # systemctl reload
        t.ok(p.wait_for(r'"msg":"cycle 2 ok at commit %s' % c2[:12], timeout=10) and inst() == 9,
             "systemctl reload (SIGHUP) starts a cycle that applies the new commit at once", p.err())
        t.is_(p.stop(signal.SIGTERM), 0, "systemctl stop (SIGTERM): exit 0, which systemd counts as a clean stop")
    finally:
        p.kill()

    # ---- Kubernetes ----
    if shutil.which("kubectl"):
        for variant, kind in [("cronjob", "CronJob"), ("deployment", "Deployment")]:
            r = t.run(["kubectl", "kustomize", os.path.join(K8S, variant)], timeout=60)
            kinds = re.findall(r"^kind: (\w+)$", r.out, re.M)
            t.ok(r.rc == 0 and sorted(kinds) == sorted(["Namespace", "ServiceAccount", "ConfigMap", "ConfigMap",
                                                         "PersistentVolumeClaim", kind]),
                 "kubectl kustomize %s renders the namespace, account, config, guardrails, volume and the %s"
                 % (variant, kind), r)
        r = t.run(["kubectl", "kustomize", os.path.join(K8S, "replicas")], timeout=60)
        kinds = re.findall(r"^kind: (\w+)$", r.out, re.M)
        t.ok(r.rc == 0 and sorted(kinds) == sorted(["Namespace", "ServiceAccount", "ConfigMap", "ConfigMap", "Secret",
                                                     "Deployment"])
             and re.search(r"^  replicas: 3$", r.out, re.M) and "name: snapkeep-state-backend" in r.out
             and "fieldPath: metadata.name" in r.out and re.search(r"readinessProbe:\s+httpGet:\s+path: /healthz", r.out),
             "kubectl kustomize replicas renders 3 replicas, the backend's Secret, the pod name as replica id, "
             "readiness from /healthz, and no volume", r)
    else:
        t.ok(True, "kubectl kustomize # SKIP kubectl not installed")
        t.ok(True, "kubectl kustomize replicas # SKIP kubectl not installed")

    cm = configmap_data(read(os.path.join(K8S, "common", "configmap.yaml")))
    sa = read(os.path.join(K8S, "common", "serviceaccount.yaml"))
    role = re.search(r"eks.amazonaws.com/role-arn: (\S+)", sa).group(1)
    token = os.path.join(work, "token")  # the projected service account token the webhook mounts
    with open(token, "w") as f:
        f.write(emu.config()["webIdentityToken"])
    env = dict(base)
    env.update(cm)
    env.update({"SNAPKEEP_REPO": repo, "SNAPKEEP_STATE_DIR": os.path.join(work, "state-k8s"),
                # what the EKS pod identity webhook injects for the annotated ServiceAccount: no keys
                "AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": token,
                "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None})
    t.ok(cm.get("SNAPKEEP_LOG_FORMAT") == "json" and cm.get("SNAPKEEP_STATE_DIR") == "/var/lib/snapkeep",
         "the ConfigMap asks for JSON logs and puts the state on the volume", cm)

    # the guardrails ConfigMap, mounted read-only where SNAPKEEP_GUARDRAILS points
    gtext = read(os.path.join(K8S, "common", "guardrails.yaml")).split("guardrails.yaml: |\n", 1)[1]
    gfile = os.path.join(work, "guardrails.yaml")
    with open(gfile, "w") as f:
        f.write("".join(line[4:] + "\n" for line in gtext.splitlines()))
    cj = read(os.path.join(K8S, "cronjob", "cronjob.yaml"))
    t.ok(re.search(r"mountPath: /etc/snapkeep/guardrails\n\s+readOnly: true", cj) and
         "value: /etc/snapkeep/guardrails/guardrails.yaml" in cj,
         "the CronJob mounts the guardrails read-only and points SNAPKEEP_GUARDRAILS at them")
    env["SNAPKEEP_GUARDRAILS"] = gfile

    since = emu.calls()["last"]
    args = yaml_args(read(os.path.join(K8S, "cronjob", "cronjob.yaml")))
    t.is_(args[:2], ["run", "--once"], "the CronJob runs one cycle per Job")
    c3 = t.git_commit(repo, {"policies/orders.yaml": POLICY % 10}, "orders: 10 days")
    r = t.snapkeep(*args, env=env)
    calls = emu.calls(since=since)["calls"]
    assumed = [c for c in calls if c["action"] == "AssumeRoleWithWebIdentity"]
    rds = [c for c in calls if c["service"] == "rds"]
    t.ok(r.rc == 0 and inst() == 10 and json_log(r.err), "the CronJob's command applies the policy, logging JSON",
         r)
    t.ok(len(assumed) == 1 and assumed[0]["params"].get("RoleArn") == role,
         "with web-identity credentials for the ServiceAccount's role", assumed)
    t.ok(rds and all(c["accessKey"].startswith("ASIA") for c in rds), "every RDS call signed with them",
         sorted(set(c["accessKey"][:4] for c in rds)))

    dep = read(os.path.join(K8S, "deployment", "deployment.yaml"))
    args = local(yaml_args(dep))
    probe = re.search(r"livenessProbe:\s*\n\s*httpGet: \{path: (\S+), port: metrics\}", dep).group(1)
    scrape = re.search(r'prometheus.io/path: (\S+)', dep).group(1)
    p = RunProc(args[1:], env=env, workdir=work, name="k8s-deployment")
    try:
        t.ok(p.wait_for(r'"msg":"cycle 1 ok at commit %s' % c3[:12], timeout=20), "the Deployment's command loops",
             p.err())
        status, body, _ = p.http(probe)
        t.is_(status, 200, "its liveness and readiness probe (%s) answers 200" % probe)
        ms = p.metrics() if scrape == "/metrics" else {}
        t.is_(metric(ms, "snapkeep_cycles_total", outcome="success"), 1.0,
              "and the scrape path (%s) serves the metrics" % scrape)
        c4 = t.git_commit(repo, {"policies/orders.yaml": POLICY % 11}, "orders: 11 days")
        if t.LONG:
            t.ok(p.wait_for(r'"msg":"the watched ref moved to %s' % c4[:12], timeout=75) and
                 p.wait_for(r'"msg":"cycle 2 ok', timeout=10) and inst() == 11,
                 "--git-poll=1m picks up a commit within a minute", p.err())
        else:
            t.ok(True, "--git-poll=1m picks up a commit # SKIP takes a minute (tests/run --long)")
        start = time.time()
        t.is_(p.stop(signal.SIGTERM), 0, "SIGTERM (pod deletion): exit 0")
        t.ok(time.time() - start < 120, "well within terminationGracePeriodSeconds")
    finally:
        p.kill()

t.done()
