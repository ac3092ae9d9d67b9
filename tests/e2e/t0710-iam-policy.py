#!/usr/bin/env python3
"""`snapkeep iam-policy`: the least-privilege IAM policy.

The actions snapkeep calls are found here independently of reconciler/engine/iam.c:
the Query API Action names that aws/rds.c, aws/sns.c and aws/cloudwatch.c
send, from the wrapper functions reconciler/ calls.  Against those:

- the output for the example policies, the valid policy cases of
  tests/data/policies and this test's own policies is valid JSON, in the IAM
  grammar's shape, naming only those actions (plus the two kinds of
  permission AWS checks without a call of that name: rds:AddTagsToResource
  for tags given at creation or copy, and KMS through RDS for encrypted
  copies), and for the examples all of the RDS ones;
- DeleteDBSnapshot is always conditioned on aws:ResourceTag/snapkeep:policy
  naming exactly the policies that own snapshots;
- AddTagsToResource only on the policies' prefixes and only for requests
  carrying this set's ownership tags (policy, instance, slot), which snapkeep
  never calls itself; replication is stopped only where the policies
  replicate to;
- --account goes into every RDS ARN ("*" without it); --metrics-namespace
  into the PutMetricData condition; it calls no AWS API;
- the policy is also enough: `run --once --auto-apply` with the example
  policies against the emulator (modify, replication start and stop,
  create, copy with KMS, delete, alert, metrics) makes only calls that a
  small evaluator of the printed policy allows, resources and conditions
  included."""
import datetime as dt
import fnmatch
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

ACCOUNT = "123456789012"
OTHER = "210987654321"
IAM_PREFIX = {"rds": "rds", "sns": "sns", "monitoring": "cloudwatch"}
# permissions AWS checks without an API call of that name (see the RDS and KMS documentation)
IMPLIED = {"rds:AddTagsToResource",  # CreateDBSnapshot / CopyDBSnapshot with Tags or CopyTags
           "kms:CreateGrant", "kms:DescribeKey"}  # RDS using a KMS key on snapkeep's behalf (kms:ViaService)


def used_actions():
    """{"rds:DescribeDBInstances", ...}: the actions of the aws/ wrappers that reconciler/ calls."""
    called = set()
    for path in glob.glob(os.path.join(t.TOP, "reconciler", "**", "*.c"), recursive=True):
        with open(path) as f:
            called |= set(re.findall(r"\b(sk_(?:rds|sns|cloudwatch)_\w+)\s*\(", f.read()))
    out = set()
    for svc_file in ["rds", "sns", "cloudwatch"]:
        with open(os.path.join(t.TOP, "aws", svc_file + ".c")) as f:
            src = f.read()
        # rds.c's families of calls, families[false] for DB instances and families[true] for Aurora clusters:
        # {"false": {"dbs": "DescribeDBInstances", "modify": "ModifyDBInstance", ...}, "true": {...}}, and its
        # other listings by name ({"automated_backups": "DescribeDBInstanceAutomatedBackups"})
        families = {}
        table = re.search(r"static const struct family families\[2\] = \{(.*?)^\};", src, re.S | re.M)
        if table:
            for key, body in re.findall(r"\[(false|true)\] = \{(.*?)\}\s*,\s*(?=\[|$)", table.group(1), re.S):
                members = dict(re.findall(r'\.(\w+) = \{ "(\w+)"', body))
                members.update(re.findall(r'\.(\w+) = "(\w+)"', body))
                families[key] = members
        listings = dict(re.findall(r'static const struct listing (\w+) = \{ "(\w+)"', src))
        # each top-level function: "int sk_x(...)\n{ ... \n}"
        for name, body in re.findall(r"^int (sk_\w+)\([^)]*\)\n\{(.*?)^\}", src, re.S | re.M):
            if name not in called:
                continue
            for m in re.finditer(r'(?:call_one|call_built|describe)\(c, \w+, "(\w+)"', body):
                out.add("rds:" + m.group(1))
            # a call of the family the caller names: either family's action (cluster is the caller's flag)
            for m in re.finditer(r"\bcall_built\(c, \w+, fam->(\w+)", body):
                out |= {"rds:" + f[m.group(1)] for f in families.values()}
            for m in re.finditer(r"\bdescribe\(c, \w+, &families\[(\w+)\], &(?:families\[\w+\]\.(\w+)|(\w+))", body):
                keys = [m.group(1)] if m.group(1) in families else list(families)
                if m.group(2):
                    out |= {"rds:" + families[k][m.group(2)] for k in keys}
                else:
                    out.add("rds:" + listings[m.group(3)])
            for m in re.finditer(r'sk_aws_call\(c, "(\w+)", \w+, "(\w+)"', body):
                out.add("%s:%s" % (IAM_PREFIX[m.group(1)], m.group(2)))
    return out


USED = used_actions()
t.ok({"rds:DescribeDBInstances", "rds:CreateDBSnapshot", "rds:DeleteDBSnapshot", "sns:Publish",
      "cloudwatch:PutMetricData", "rds:RestoreDBInstanceToPointInTime", "rds:RestoreDBInstanceFromDBSnapshot",
      "rds:DeleteDBInstance"} <= USED and not any("RemoveTags" in a for a in USED),
     "the actions reconciler/ calls are found in aws/*.c (restores and drills; never RemoveTags)", sorted(USED))
ALLOWED = USED | IMPLIED


def iam(repo, *args, env=None):
    r = t.snapkeep("iam-policy", "--repo", repo, *args, env=env)
    try:
        return r, json.loads(r.out)
    except ValueError:
        return r, None


def as_list(v):
    return v if isinstance(v, list) else [v]


def check_shape(doc, what):
    """IAM grammar: Version, Statement[] of {Sid, Effect Allow, Action[], Resource[], Condition?}."""
    sts = doc.get("Statement") if isinstance(doc, dict) else None
    ok = doc.get("Version") == "2012-10-17" and isinstance(sts, list) and sts
    sids = [s.get("Sid") for s in sts or []]
    ok = ok and len(set(sids)) == len(sids) and all(re.fullmatch(r"[A-Za-z0-9]+", x or "") for x in sids)
    for s in sts or []:
        ok = ok and s.get("Effect") == "Allow" and set(s) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        ok = ok and as_list(s.get("Action")) and as_list(s.get("Resource"))
        ok = ok and all(isinstance(c, dict) for c in (s.get("Condition") or {}).values())
    t.ok(ok, "%s: an IAM policy document (Version, Allow statements with unique Sids)" % what, doc)


def actions_of(doc):
    return {a for s in doc["Statement"] for a in as_list(s["Action"])}


def check_common(doc, what, snapshot_policies):
    acts = actions_of(doc)
    t.ok(acts <= ALLOWED and not [a for a in acts if "*" in a],
         "%s: only actions snapkeep calls, no wildcards" % what, sorted(acts - ALLOWED))
    dels = [s for s in doc["Statement"] if "rds:DeleteDBSnapshot" in as_list(s["Action"])]
    good = all(set((s.get("Condition") or {}).get("StringEquals", {}).get("aws:ResourceTag/snapkeep:policy", []))
               == set(snapshot_policies) for s in dels)
    if snapshot_policies:
        t.ok(dels and good, "%s: DeleteDBSnapshot only where aws:ResourceTag/snapkeep:policy is one of %s"
             % (what, sorted(snapshot_policies)), dels)
    else:
        t.is_(dels, [], "%s: no DeleteDBSnapshot without snapshot rules" % what)


def snapshot_policies(files):
    """The policies with snapshot rules, as the policy parser reads them (tests/tools/sk-policy, not iam.c)."""
    d = os.path.join(work, "parse-%d" % len(os.listdir(work)))
    os.makedirs(d)
    for name, text in files.items():
        with open(os.path.join(d, os.path.basename(name)), "w") as f:
            f.write(text)
    r = t.run([os.path.join(t.BUILD, "san", "tests", "tools", "sk-policy")] + sorted(os.listdir(d)), cwd=d)
    return sorted(p["name"] for p in json.loads(r.out)["policies"] if p.get("snapshots"))


def arns(doc):
    return [r for s in doc["Statement"] for r in as_list(s["Resource"]) if r.startswith("arn:aws:rds:")]


# ---- the examples, the valid test cases, and policies of our own ----
work = t.tmpdir()


def make_repo(name, files):
    path = os.path.join(work, name)
    t.git_repo(path, files)
    return path


examples = {"policies/" + os.path.basename(p): open(p).read()
            for p in sorted(glob.glob(os.path.join(t.TOP, "examples", "policies", "*.yaml")))}
ex_repo = make_repo("examples", examples)
no_aws = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
          "AWS_PROFILE": None, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
          "AWS_EC2_METADATA_DISABLED": "true"}
r, doc = iam(ex_repo, env=no_aws)
t.ok(r.rc == 0 and doc, "iam-policy prints JSON for the example policies, with no AWS reachable", r)
if doc:
    check_shape(doc, "examples")
    t.is_(snapshot_policies(examples), ["mangu-ledger", "mangu-production", "mangu-staging"],
          "the three examples keep snapshots")
    check_common(doc, "examples", snapshot_policies(examples))
    rds_granted = {a for a in actions_of(doc) if a.startswith("rds:")}
    rds_used = {a for a in USED if a.startswith("rds:")}
    t.is_(sorted(rds_granted), sorted(rds_used | {"rds:AddTagsToResource"}),
          "examples (every feature): each RDS action snapkeep calls is granted, and no other")
    t.ok(arns(doc) and all(a.split(":")[4] == "*" for a in arns(doc)), "without --account, ARNs name any account")
    pub = [s for s in doc["Statement"] if "sns:Publish" in as_list(s["Action"])]
    t.ok(len(pub) == 1 and as_list(pub[0]["Resource"]) == ["arn:aws:sns:us-east-1:123456789012:backup-alerts"],
         "sns:Publish only on the alerts topic", pub)
    obs = [s for s in doc["Statement"] if "rds:DescribeDBInstances" in as_list(s["Action"])]
    t.ok(len(obs) == 1 and sorted(obs[0]["Condition"]["StringEquals"]["aws:RequestedRegion"]) ==
         ["us-east-1", "us-west-2"], "Describe calls only in the managed and DR regions", obs)
    # Aurora (examples/policies/ledger-aurora.yaml): the cluster's own actions on cluster ARNs only
    cl = {s["Sid"]: s for s in doc["Statement"] if any("Cluster" in a for a in as_list(s["Action"]))}
    t.ok(as_list(cl.get("ModifyClusters", {}).get("Resource")) == ["arn:aws:rds:us-east-1:*:cluster:mangu-ledger"]
         and as_list(cl.get("ModifyClusters", {}).get("Action")) == ["rds:ModifyDBCluster"],
         "ModifyDBCluster only on the named cluster", cl.get("ModifyClusters"))
    dcl = cl.get("DeleteOwnedClusterSnapshots", {})
    t.ok(sorted(as_list(dcl.get("Resource"))) == ["arn:aws:rds:us-east-1:*:cluster-snapshot:*",
                                                   "arn:aws:rds:us-west-2:*:cluster-snapshot:*"]
         and "mangu-ledger" in dcl.get("Condition", {}).get("StringEquals", {}).get(
             "aws:ResourceTag/snapkeep:policy", []),
         "DeleteDBClusterSnapshot only on cluster snapshots snapkeep:policy names as owned", dcl)
    t.ok(not [s for s in doc["Statement"] if any(a in ("rds:ModifyDBInstance", "rds:CreateDBSnapshot")
                                                 for a in as_list(s["Action"]))
              and any(":cluster" in r or "mangu-ledger" in r for r in as_list(s["Resource"]))],
         "no instance action on a cluster's ARN")
    kms = [s for s in doc["Statement"] if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    t.ok(kms and all("kms:ViaService" in s.get("Condition", {}).get("StringEquals", {}) for s in kms),
         "KMS only through RDS (kms:ViaService)", kms)

r, doc = iam(ex_repo, "--account", OTHER, "--metrics-namespace", "Backups/Prod")
if t.ok(r.rc == 0 and doc, "--account and --metrics-namespace", r):
    t.ok(all(a.split(":")[4] == OTHER for a in arns(doc)), "--account %s is the account of every RDS ARN" % OTHER,
         arns(doc))
    put = [s for s in doc["Statement"] if "cloudwatch:PutMetricData" in as_list(s["Action"])]
    t.ok(len(put) == 1 and put[0]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Backups/Prod"}},
         "PutMetricData only in the --metrics-namespace", put)

cases = sorted(d for d in glob.glob(os.path.join(t.TOP, "tests", "data", "policies", "valid-*")) if os.path.isdir(d))
t.ok(cases, "valid policy cases found in tests/data/policies")
for d in cases:
    name = os.path.basename(d)
    files = {"p/" + os.path.basename(f): open(f).read() for f in glob.glob(os.path.join(d, "*.y*ml"))}
    r, doc = iam(make_repo(name, files), "--path", "p")
    if t.ok(r.rc == 0 and doc, "%s: iam-policy succeeds" % name, r):
        check_shape(doc, name)
        snap_policies = snapshot_policies(files)
        check_common(doc, name, snap_policies)

POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata:
  name: %s
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  automated:
    retentionDays: 7
    window: "03:00-04:00"
"""
r, doc = iam(make_repo("automated-only", {"p.yaml": POLICY % "orders"}))
if t.ok(r.rc == 0 and doc, "a policy with automated backups only", r):
    check_common(doc, "automated-only", [])
    t.is_(sorted(actions_of(doc)), ["cloudwatch:PutMetricData", "rds:AddTagsToResource",
                                    "rds:DescribeDBInstanceAutomatedBackups", "rds:DescribeDBInstances",
                                    "rds:DescribeDBSnapshots", "rds:ModifyDBInstance",
                                    "rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBInstanceToPointInTime"],
          "gets the Describe calls, ModifyDBInstance, restores and metrics, nothing to create, copy, delete or "
          "publish")
    tagging = [s for s in doc["Statement"] if "rds:AddTagsToResource" in as_list(s["Action"])]
    t.ok(len(tagging) == 1 and tagging[0]["Sid"] == "TagRestoredInstances"
         and as_list(tagging[0]["Resource"]) == ["arn:aws:rds:us-east-1:*:db:*"]
         and tagging[0]["Condition"] == {"Null": {"aws:RequestTag/snapkeep:restore": "false"}},
         "AddTagsToResource only on instances, for requests tagged snapkeep:restore", tagging)
t.is_(iam(ex_repo)[0].err, "", "the examples' policy fits an IAM managed policy: no warning")
many = POLICY.replace("instances: [orders-db]", "instances: [%s]" % ", ".join("db-%03d" % i for i in range(150)))
r, doc = iam(make_repo("many", {"p.yaml": (many % "many").replace("  automated:", "  snapshots: {schedule: \"@daily\", "
                                                                 "retain: {daily: 7}}\n  automated:")}))
size = len(json.dumps(doc, separators=(",", ":"))) if doc else 0
t.ok(r.rc == 0 and doc and size > 6144 and "more than the 6144 of an IAM managed policy" in r.err
     and ("%d characters" % size) in r.err,
     "150 named instances: still printed, with a warning that it exceeds a managed policy (%d characters)" % size,
     r.err)
r, doc = iam(make_repo("bad", {"p.yaml": (POLICY % "orders").replace("retentionDays: 7", "retentionDays: 99")}))
t.ok(r.rc == 1 and "p.yaml:9:" in r.err and not r.out, "an invalid policy: exit 1, file:line in the error", r)

# ---- and enough: what a run with the example policies calls is allowed ----
now = dt.datetime.now(dt.timezone.utc).replace(hour=4, minute=30, second=0, microsecond=0)
PROD = "mangu-publishing-db-production"
seed_snaps = []
for k in range(1, 13):
    c = now - dt.timedelta(days=k)
    seed_snaps.append({"id": "snapkeep-%s-%s" % (PROD, c.strftime("%Y%m%d-%H%M")), "instance": PROD,
                       "type": "manual", "created": c.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "tags": {"snapkeep:policy": "mangu-production", "snapkeep:instance": PROD}})
SEED = {"account": ACCOUNT, "regions": {
    "us-east-1": {"instances": [{"id": PROD, "backupRetentionPeriod": 7, "preferredBackupWindow": "03:00-04:00",
                                 "storageEncrypted": True},
                                {"id": "mangu-staging-db", "backupRetentionPeriod": 1,
                                 "tags": {"Environment": "staging"}},
                                {"id": "unrelated-db", "tags": {"Environment": "dev"}}],
                  "snapshots": seed_snaps, "topics": ["backup-alerts"],
                  "clusters": [{"id": "mangu-ledger", "members": ["mangu-ledger-1"], "storageEncrypted": True,
                                "tags": {"Team": "payments"}}]},
    "us-west-2": {"instances": [], "kmsKeys": ["alias/dr"]}}}


CLUSTER_TAGS = {c["id"]: c.get("tags", {}) for c in SEED["regions"]["us-east-1"]["clusters"]}


def evaluate(doc, action, resource, ctx):
    """True when some Allow statement grants action on resource with its conditions met by ctx
    (StringEquals: the key is there with one of the values; Null: "false" wants the key, "true" its absence)."""
    for s in doc["Statement"]:
        if action not in as_list(s["Action"]):
            continue
        if not any(fnmatch.fnmatchcase(resource, p) for p in as_list(s["Resource"])):
            continue
        conds = s.get("Condition", {})
        if set(conds) - {"StringEquals", "Null"}:
            continue
        if not all(k in ctx and ctx[k] in as_list(v) for k, v in conds.get("StringEquals", {}).items()):
            continue
        if all((k not in ctx) == (v == "true") for k, v in conds.get("Null", {}).items()):
            return True
    return False


def request_tags(p):
    """{"aws:RequestTag/K": V} of a Query API call's Tags.Tag.N.Key/Value (or Tags.member.N)."""
    out = {}
    for k, v in p.items():
        m = re.fullmatch(r"Tags\.(?:Tag|member)\.(\d+)\.Key", k)
        if m:
            n = m.group(1)
            val = p.get("Tags.Tag.%s.Value" % n, p.get("Tags.member.%s.Value" % n, ""))
            out["aws:RequestTag/" + v] = val
    return out


def needs(call, tags_of, inst_tags):
    """[(action, resource, context)] IAM checks for one call the emulator logged."""
    p, reg, act = call["params"], call["region"], call["action"]
    svc = IAM_PREFIX[call["service"]]
    db = lambda region, i: "arn:aws:rds:%s:%s:db:%s" % (region, ACCOUNT, i)  # noqa: E731
    snap = lambda region, i: "arn:aws:rds:%s:%s:snapshot:%s" % (region, ACCOUNT, i)  # noqa: E731
    dbctx = lambda i: {"rds:db-tag/" + k: v for k, v in inst_tags.get(i, {}).items()}  # noqa: E731
    cl = lambda region, i: "arn:aws:rds:%s:%s:cluster:%s" % (region, ACCOUNT, i)  # noqa: E731
    csnap = lambda region, i: "arn:aws:rds:%s:%s:cluster-snapshot:%s" % (region, ACCOUNT, i)  # noqa: E731
    clctx = lambda i: {"rds:cluster-tag/" + k: v for k, v in CLUSTER_TAGS.get(i, {}).items()}  # noqa: E731
    base = {"aws:RequestedRegion": reg}
    out = []
    if act.startswith("Describe"):
        out.append(("rds:" + act, "*", base))
    elif act == "ModifyDBInstance":
        i = p["DBInstanceIdentifier"]
        out.append(("rds:" + act, db(reg, i), dict(base, **dbctx(i))))
    elif act == "CreateDBSnapshot":
        i = p["DBInstanceIdentifier"]
        out += [("rds:" + act, db(reg, i), dict(base, **dbctx(i))),
                ("rds:" + act, snap(reg, p["DBSnapshotIdentifier"]), base)]
        if any(k.startswith("Tags.") for k in p):
            out.append(("rds:AddTagsToResource", snap(reg, p["DBSnapshotIdentifier"]), dict(base, **request_tags(p))))
    elif act == "CopyDBSnapshot":
        src = p["SourceDBSnapshotIdentifier"]
        out += [("rds:" + act, snap(reg, p["TargetDBSnapshotIdentifier"]), base),
                ("rds:" + act, src, {"aws:RequestedRegion": src.split(":")[3]})]  # the PreSignedUrl's check
        if any(k.startswith("Tags.") for k in p) or p.get("CopyTags") == "true":
            out.append(("rds:AddTagsToResource", snap(reg, p["TargetDBSnapshotIdentifier"]),
                        dict(base, **request_tags(p))))
        if p.get("KmsKeyId"):
            for k in ["kms:CreateGrant", "kms:DescribeKey"]:
                out.append((k, "*", {"kms:ViaService": "rds.%s.amazonaws.com" % reg}))
    elif act == "ModifyDBCluster":
        i = p["DBClusterIdentifier"]
        out.append(("rds:" + act, cl(reg, i), dict(base, **clctx(i))))
    elif act == "CreateDBClusterSnapshot":
        i = p["DBClusterIdentifier"]
        out += [("rds:" + act, cl(reg, i), dict(base, **clctx(i))),
                ("rds:" + act, csnap(reg, p["DBClusterSnapshotIdentifier"]), base)]
        if any(k.startswith("Tags.") for k in p):
            out.append(("rds:AddTagsToResource", csnap(reg, p["DBClusterSnapshotIdentifier"]),
                        dict(base, **request_tags(p))))
    elif act == "CopyDBClusterSnapshot":
        src = p["SourceDBClusterSnapshotIdentifier"]
        out += [("rds:" + act, csnap(reg, p["TargetDBClusterSnapshotIdentifier"]), base),
                ("rds:" + act, src, {"aws:RequestedRegion": src.split(":")[3]})]
        if any(k.startswith("Tags.") for k in p) or p.get("CopyTags") == "true":
            out.append(("rds:AddTagsToResource", csnap(reg, p["TargetDBClusterSnapshotIdentifier"]),
                        dict(base, **request_tags(p))))
        if p.get("KmsKeyId"):
            for k in ["kms:CreateGrant", "kms:DescribeKey"]:
                out.append((k, "*", {"kms:ViaService": "rds.%s.amazonaws.com" % reg}))
    elif act == "DeleteDBClusterSnapshot":
        i = p["DBClusterSnapshotIdentifier"]
        ctx = dict(base, **{"aws:ResourceTag/" + k: v for k, v in tags_of.get((reg, i), {}).items()})
        out.append(("rds:" + act, csnap(reg, i), ctx))
    elif act == "DeleteDBSnapshot":
        i = p["DBSnapshotIdentifier"]
        ctx = dict(base, **{"aws:ResourceTag/" + k: v for k, v in tags_of.get((reg, i), {}).items()})
        out.append(("rds:" + act, snap(reg, i), ctx))
    elif act in ("StartDBInstanceAutomatedBackupsReplication", "StopDBInstanceAutomatedBackupsReplication"):
        src = p["SourceDBInstanceArn"]
        out += [("rds:" + act, src, dict(base, **dbctx(src.split(":")[-1]))),
                ("rds:" + act, "arn:aws:rds:%s:%s:auto-backup:ab-x" % (reg, ACCOUNT), base)]
        if p.get("KmsKeyId"):
            for k in ["kms:CreateGrant", "kms:DescribeKey"]:
                out.append((k, "*", {"kms:ViaService": "rds.%s.amazonaws.com" % reg}))
    elif act in ("RestoreDBInstanceToPointInTime", "RestoreDBInstanceFromDBSnapshot"):
        # the new instance, its source, and the default groups a restore names (as RDS authorises it)
        target = p.get("TargetDBInstanceIdentifier") or p["DBInstanceIdentifier"]
        ctx = dict(base, **request_tags(p))
        src = (snap(reg, p["DBSnapshotIdentifier"]) if "DBSnapshotIdentifier" in p else
               p.get("SourceDBInstanceAutomatedBackupsArn") or db(reg, p["SourceDBInstanceIdentifier"]))
        for res in (db(reg, target), src, "arn:aws:rds:%s:%s:og:default:postgres-15" % (reg, ACCOUNT),
                    "arn:aws:rds:%s:%s:pg:default.postgres15" % (reg, ACCOUNT),
                    "arn:aws:rds:%s:%s:subgrp:default" % (reg, ACCOUNT)):
            out.append(("rds:" + act, res, ctx))
        out.append(("rds:AddTagsToResource", db(reg, target), ctx))
    elif act == "DeleteDBInstance":
        i = p["DBInstanceIdentifier"]
        out.append(("rds:" + act, db(reg, i), dict(base, **dbctx(i))))
    elif act == "PutMetricData":
        out.append((svc + ":" + act, "*", dict(base, **{"cloudwatch:namespace": p.get("Namespace")})))
    elif act == "Publish":
        out.append((svc + ":" + act, p.get("TopicArn"), base))
    else:
        out.append((svc + ":" + act, "?", base))
    return out


repo = make_repo("run", dict(examples))
with Emulator(seed=SEED) as emu:
    env = emu.env()
    env["SNAPKEEP_STATE_DIR"] = os.path.join(work, "state")
    env["AWS_MAX_ATTEMPTS"] = "1"
    r1 = t.snapkeep("run", "--once", "--auto-apply", "--repo", repo, env=env)
    # a new replica retention: the replication is stopped and started again
    t.git_commit(repo, {"policies/production.yaml": examples["policies/production.yaml"].replace(
        "replicate: {region: us-west-2, retentionDays: 7", "replicate: {region: us-west-2, retentionDays: 14")},
        "replica 14 days")
    r2 = t.snapkeep("run", "--once", "--auto-apply", "--repo", repo, env=env)
    emu.faults(throttle=1.0, services=["rds"], actions=["DescribeDBInstances"])
    r3 = t.snapkeep("run", "--once", "--auto-apply", "--repo", repo, env=env)
    emu.admin("DELETE", "faults")
    t.ok(r1.rc == 0 and r2.rc == 0 and r3.rc == 1, "three runs with the example policies: two apply, one fails and "
         "alerts", (r1, r2, r3))
    # and restores: to the latest time, and from a snapshot the runs made
    made_snap = next((c["params"]["DBSnapshotIdentifier"] for c in emu.calls()["calls"]
                      if c["action"] == "CreateDBSnapshot" and c.get("status") == 200
                      and c["params"].get("DBInstanceIdentifier") == PROD), None)
    r4 = t.snapkeep("restore", "--instance", PROD, "--latest", "--target", "prod-restored", "--apply", env=env)
    r5 = t.snapkeep("restore", "--instance", PROD, "--from-snapshot", made_snap or "?", "--target", "prod-from-snap",
                    "--apply", env=env)
    t.ok(r4.rc == 0 and r5.rc == 0, "and two restores, to the latest time and from a snapshot", (r4, r5))
    calls = [c for c in emu.calls()["calls"] if c["service"] in IAM_PREFIX and c.get("status") != 0]
    made = sorted(set(c["action"] for c in calls))
    t.ok({"ModifyDBInstance", "CreateDBSnapshot", "CopyDBSnapshot", "DeleteDBSnapshot", "Publish", "PutMetricData",
          "StartDBInstanceAutomatedBackupsReplication", "StopDBInstanceAutomatedBackupsReplication",
          "RestoreDBInstanceToPointInTime", "RestoreDBInstanceFromDBSnapshot", "ModifyDBCluster",
          "CreateDBClusterSnapshot", "CopyDBClusterSnapshot"} <= set(made),
         "they made every kind of call", made)
    t.ok({IAM_PREFIX[c["service"]] + ":" + c["action"] for c in calls} <= USED,
         "every call made is one the source scan found")
    tags_of = {("us-east-1", s["id"]): s["tags"] for s in seed_snaps}
    inst_tags = {i["id"]: i.get("tags", {}) for i in SEED["regions"]["us-east-1"]["instances"]}
    for c in calls:  # drill instances carry the tags their restore gave them
        if c["action"].startswith("RestoreDBInstance"):
            iid = c["params"].get("DBInstanceIdentifier") or c["params"].get("TargetDBInstanceIdentifier")
            inst_tags[iid] = {k.split("/", 1)[1]: v for k, v in request_tags(c["params"]).items()}
    for account_args in ([], ["--account", ACCOUNT]):
        r, doc = iam(repo, *account_args)
        denied = []
        for c in calls:
            for action, resource, ctx in needs(c, tags_of, inst_tags):
                if not evaluate(doc, action, resource, ctx):
                    denied.append((action, resource, ctx))
        t.is_(denied, [], "the printed policy%s allows each of the %d calls (resources and conditions)"
              % (" with --account" if account_args else "", len(calls)))
    # and it is least privilege where it matters: an unrelated instance, a snapshot another tool owns
    r, doc = iam(repo, "--account", ACCOUNT)
    t.ok(not evaluate(doc, "rds:ModifyDBInstance", "arn:aws:rds:us-east-1:%s:db:unrelated-db" % ACCOUNT,
                      {"aws:RequestedRegion": "us-east-1", "rds:db-tag/Environment": "dev"}),
         "ModifyDBInstance is denied on an instance no policy selects")
    t.ok(not evaluate(doc, "rds:DeleteDBSnapshot", "arn:aws:rds:us-east-1:%s:snapshot:manual-1" % ACCOUNT,
                      {"aws:RequestedRegion": "us-east-1", "aws:ResourceTag/snapkeep:policy": "someone-else"}),
         "DeleteDBSnapshot is denied on a snapshot another policy owns")
    t.ok(not evaluate(doc, "rds:DeleteDBSnapshot", "arn:aws:rds:us-east-1:%s:snapshot:manual-1" % ACCOUNT,
                      {"aws:RequestedRegion": "us-east-1"}),
         "and on an untagged one")
    t.ok(not evaluate(doc, "rds:DescribeDBInstances", "*", {"aws:RequestedRegion": "eu-west-1"}),
         "Describe calls are denied in a region no policy names")
    # tagging: never a snapshot outside snapkeep's names, never tags that do not make it owned by this set
    hand = "arn:aws:rds:us-east-1:%s:snapshot:snapkeep-%s-handmade" % (ACCOUNT, PROD)
    owner = {"aws:RequestTag/snapkeep:policy": "mangu-production", "aws:RequestTag/snapkeep:instance": PROD,
             "aws:RequestTag/snapkeep:slot": "2026-01-01T04:30:00Z"}
    ue1 = {"aws:RequestedRegion": "us-east-1"}
    t.ok(evaluate(doc, "rds:AddTagsToResource", hand, dict(ue1, **owner)),
         "(the evaluator: a request with the three ownership tags is what creation sends, and allowed)")
    t.ok(not evaluate(doc, "rds:AddTagsToResource", "arn:aws:rds:us-east-1:%s:snapshot:precious" % ACCOUNT,
                      dict(ue1, **owner)), "AddTagsToResource is denied outside the policies' prefixes")
    t.ok(not evaluate(doc, "rds:AddTagsToResource", hand, dict(ue1, **{"aws:RequestTag/team": "x"})),
         "AddTagsToResource is denied for tags that do not name a policy of this set")
    t.ok(not evaluate(doc, "rds:AddTagsToResource", hand,
                      dict(ue1, **dict(owner, **{"aws:RequestTag/snapkeep:policy": "someone-else"}))),
         "and for snapkeep:policy naming a policy of another set")
    t.ok(not evaluate(doc, "rds:AddTagsToResource", hand,
                      dict(ue1, **{k: v for k, v in owner.items() if not k.endswith(":slot")})),
         "and for ownership tags without the slot every creation and copy names")
    t.ok(not evaluate(doc, "rds:DeleteDBSnapshot", hand,
                      dict(ue1, **{"aws:ResourceTag/snapkeep:policy": "mangu-production"})),
         "DeleteDBSnapshot is denied on a snapshot tagged with the policy but no instance (not owned)")
    # restores: only requests that tag the new instance snapkeep:restore, only where the backups are
    pitr = "rds:RestoreDBInstanceToPointInTime"
    new_db = "arn:aws:rds:us-east-1:%s:db:anything" % ACCOUNT
    t.ok(evaluate(doc, pitr, new_db, dict(ue1, **{"aws:RequestTag/snapkeep:restore": "x@latest"}))
         and not evaluate(doc, pitr, new_db, ue1)
         and not evaluate(doc, "rds:AddTagsToResource", new_db, dict(ue1, **{"aws:RequestTag/team": "x"}))
         and not evaluate(doc, pitr, "arn:aws:rds:eu-west-1:%s:db:anything" % ACCOUNT,
                          {"aws:RequestedRegion": "eu-west-1", "aws:RequestTag/snapkeep:restore": "x@latest"}),
         "restores and their tags are denied without snapkeep:restore in the request, and in regions no policy names")
    # replication is stopped where the policies replicate to, not in every region
    stop = "rds:StopDBInstanceAutomatedBackupsReplication"
    t.ok(evaluate(doc, stop, "arn:aws:rds:us-west-2:%s:auto-backup:ab-x" % ACCOUNT, {"aws:RequestedRegion": "us-west-2"})
         and not evaluate(doc, stop, "arn:aws:rds:eu-west-1:%s:auto-backup:ab-x" % ACCOUNT,
                          {"aws:RequestedRegion": "eu-west-1"}),
         "StopDBInstanceAutomatedBackupsReplication: allowed in us-west-2 (replicate.region), denied in eu-west-1")
t.ok(not {"rds:AddTagsToResource", "rds:RemoveTagsFromResource"} & USED,
     "snapkeep never tags or untags a snapshot itself: tags go on with CreateDBSnapshot and CopyDBSnapshot only")

t.done()
