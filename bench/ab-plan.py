"""bench/ab-plan.py A B - plan against one emulator (1,000 instances, 10 snapshots each) with two
snapkeep binaries, runs interleaved, 9 each: medians.  For before/after figures that the
machine's noise moves alike (bench/run measures one build at a time)."""
import os, sys, subprocess, time, statistics, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "lib"))
from emulator_ctl import Emulator
n=1000
seed = {"account": "123456789012", "config": {"snapshotQuota": 1000000}, "automatedHistory": False,
        "regions": {"us-east-1": {"instances": []}},
        "generate": {"instances": n, "snapshotsPerInstance": 10, "region": "us-east-1", "prefix": "db",
                     "snapshotPrefix": "snapkeep", "tags": {"Environment": "bench"},
                     "snapshotTags": {"snapkeep:policy": "bench", "snapkeep:instance": "{instance}"},
                     "instance": {"backupRetentionPeriod": 7}}}
work=tempfile.mkdtemp(prefix="ab-plan-")
repo=os.path.join(work, "repo")
bins=(("A", sys.argv[1]), ("B", sys.argv[2]))
if not os.path.exists(repo):
    os.makedirs(repo+"/policies")
    open(repo+"/policies/bench.yaml","w").write("""apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: bench}
spec:
  regions: [us-east-1]
  selector: {tags: {Environment: bench}}
  automated: {retentionDays: 7}
  snapshots:
    schedule: "0 3 * * *"
    retain: {daily: 30}
""")
    e=dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x")
    for a in (["init","-q","-b","main"],["add","."],["commit","-qm","x"]):
        subprocess.run(["git","-C",repo]+a, env=e, check=True)
with Emulator(seed=seed, args=["--quiet"]) as emu:
    env = {k: v for k, v in emu.env().items() if v is not None}
    env = dict(os.environ, **env); env["SNAPKEEP_STATE_DIR"]=os.path.join(work, "state")
    for label, b in bins:
        cmd=[b,"plan","--repo",repo,"--path","policies"]
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res={}
    for i in range(9):
        for label, b in bins:
            t0=time.monotonic(); subprocess.run([b,"plan","--repo",repo,"--path","policies"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); res.setdefault(label,[]).append(time.monotonic()-t0)
    for k,v in res.items(): print("%s %s: plan median %.3f s (9 runs)" % (k, dict(bins)[k], statistics.median(v)))
subprocess.run(["rm", "-rf", work])
