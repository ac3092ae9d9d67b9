#!/usr/bin/env python3
"""The emulator's own behaviour, through its admin API and a small SigV4
client (emulator_ctl): signature checks (and the verifier against AWS's
SigV4 test vectors), AWS error shapes, identifier rules, MaxRecords bounds
and Marker pagination, the manual-snapshot quota and the cross-region copy
limit, PreSignedUrl checks, creating -> available by seconds and by
describes, automated snapshots and their expiry over an advanced clock, the
retention change rules (0 <-> non-zero waits for the maintenance window
unless ApplyImmediately), restores, persistence across a restart, fault
injection, the IMDS / ECS / web-identity credential sources and expired
temporary credentials, and a 100,000-snapshot seed paged through."""
import json
import os
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import EMULATOR, Emulator, sign_headers

sys.path.insert(0, os.path.dirname(EMULATOR))
import sigv4  # noqa: E402  (the emulator's verifier, checked against the official vectors)

ACCOUNT = "123456789012"
NS = "{http://rds.amazonaws.com/doc/2014-10-31/}"
VECTORS = os.environ.get("VECTORS") or os.path.join(t.TOP, "..", "shared", "testdata", "sigv4")
if not os.path.isdir(VECTORS):
    VECTORS = os.path.join(t.TOP, "tests", "data", "sigv4")
KMS_EAST = "arn:aws:kms:us-east-1:%s:key/11111111-2222-4333-8444-555555555555" % ACCOUNT


class Answer:
    def __init__(self, status, body, headers):
        self.status, self.body, self.headers = status, body, headers
        self.root = None
        try:
            self.root = ET.fromstring(body) if body.strip().startswith("<") else None
        except ET.ParseError:
            pass

    def text(self, tag):
        if self.root is None:
            return []
        return [e.text or "" for e in self.root.iter() if e.tag == tag or e.tag.endswith("}" + tag)]

    def one(self, tag):
        v = self.text(tag)
        return v[0] if v else None

    @property
    def code(self):
        return self.one("Code")

    @property
    def message(self):
        return self.one("Message") or ""

    def __repr__(self):
        return "HTTP %d %s" % (self.status, self.body[:600])


def api(emu, action, params=None, service="rds", region="us-east-1", **kw):
    return Answer(*emu.call(service, action, params or {}, region=region, **kw))


def is_error(a, status, code, what, msg=None):
    ok = a.status == status and a.code == code and (msg is None or msg in a.message)
    return t.ok(ok, what, a)


def snap_status(emu, sid, region="us-east-1"):
    a = api(emu, "DescribeDBSnapshots", {"DBSnapshotIdentifier": sid}, region=region)
    return a.one("Status")


def instance(emu, iid, region="us-east-1"):
    st = emu.state(region=region, snapshots=False)["regions"][region]
    return next((d for d in st["instances"] if d["id"] == iid), None)


def autos(emu, iid, region="us-east-1"):
    st = emu.state(region=region)["regions"][region]
    return sorted(s["id"] for s in st["snapshots"] if s["type"] == "automated" and s["instance"] == iid)


# ---- the verifier against AWS's SigV4 test suite (in process) ----

def parse_vector_request(text):
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    path, _, query = rest.rsplit(" ", 1)[0].partition("?")
    hdrs = []
    for ln in lines[1:]:
        if ln[:1] in (" ", "\t") and hdrs:
            hdrs[-1] = (hdrs[-1][0], hdrs[-1][1] + " " + ln.strip())
        elif ln:
            k, _, v = ln.partition(":")
            hdrs.append((k, v))
    return sigv4.Request(method, path, query, hdrs, body.encode())


if os.path.isdir(VECTORS):
    accepted, refused, tampered, total = [], [], 0, 0
    for case in sorted(os.listdir(VECTORS)):
        d = os.path.join(VECTORS, case)
        if not os.path.isfile(os.path.join(d, "context.json")):
            continue
        ctx = json.load(open(os.path.join(d, "context.json")))
        secret = ctx["credentials"]["secret_access_key"]
        for kind in ("header", "query"):
            if kind == "query" and ctx.get("omit_session_token"):
                continue  # the token was appended after signing: a signer-side variant, not a request AWS verifies
            total += 1
            req = parse_vector_request(open(os.path.join(d, kind + "-signed-request.txt")).read())
            try:
                sigv4.verify(req, lambda a, tok: secret, now=None, normalize=ctx.get("normalize", True))
                accepted.append(case)
            except sigv4.AuthError as e:
                refused.append("%s/%s: %s" % (case, kind, e.code))
            want = open(os.path.join(d, kind + "-canonical-request.txt")).read()
            sig = req.header("Authorization")
            if sig is not None:
                f = sigv4.parse_authorization(sig)
                signed = f["SignedHeaders"].split(";")
                creq, _ = sigv4.build(req, signed, req.header("X-Amz-Date"), "x", sigv4.hashlib.sha256(
                    req.body).hexdigest() if not req.header("x-amz-content-sha256") else
                    req.header("x-amz-content-sha256"), normalize=ctx.get("normalize", True))
                if creq != want:
                    refused.append("%s/%s: canonical request differs" % (case, kind))
            bad = sigv4.Request(req.method, req.raw_path, req.raw_query, req.headers, req.body + b"x")
            try:
                sigv4.verify(bad, lambda a, tok: secret, now=None, normalize=ctx.get("normalize", True))
            except sigv4.AuthError:
                tampered += 1
    t.ok(total > 40 and not refused, "the verifier accepts all %d signed requests of AWS's SigV4 test suite "
         "and rebuilds their canonical requests" % total, "\n".join(refused))
    t.is_(tampered, total, "and refuses each of them with one byte added to the body")
    req = parse_vector_request(open(os.path.join(VECTORS, "get-vanilla", "header-signed-request.txt")).read())
    try:
        sigv4.verify(req, lambda a, tok: "x", now=time.time())
        t.ok(False, "a 2015 signature is refused as expired")
    except sigv4.AuthError as e:
        t.ok(e.code == "SignatureDoesNotMatch" and "Signature expired" in e.message, "a 2015 signature is refused "
             "as expired (15 minutes of skew)", e.message)
else:
    for _ in range(3):
        t.ok(True, "# SKIP no SigV4 vectors at %s (set VECTORS=dir)" % VECTORS)

# ---- one emulator for signatures, errors, identifiers, pagination, quotas and copies ----

SEED = {
    "account": ACCOUNT,
    "clock": "2026-01-07T12:00:00Z",
    "regions": {
        "us-east-1": {
            "instances": [
                {"id": "enc-db", "backupRetentionPeriod": 3, "preferredBackupWindow": "03:00-03:30",
                 "preferredMaintenanceWindow": "sun:05:00-sun:06:00", "storageEncrypted": True,
                 "kmsKeyId": KMS_EAST, "tags": {"Team": "data"}, "copyTagsToSnapshot": True},
                {"id": "plain-db", "engine": "mysql", "backupRetentionPeriod": 0,
                 "preferredBackupWindow": "02:00-02:30", "preferredMaintenanceWindow": "sun:05:00-sun:06:00"},
                {"id": "now-db", "backupRetentionPeriod": 3, "preferredBackupWindow": "01:00-01:30",
                 "preferredMaintenanceWindow": "sun:05:00-sun:06:00"},
                {"id": "guarded-db", "backupRetentionPeriod": 1, "deletionProtection": True},
            ],
            "topics": ["alerts"],
        },
        "us-west-2": {"instances": [], "kmsKeys": ["alias/dr"]},
    },
}

with Emulator(seed=SEED) as emu:
    # signatures and error shapes
    st, body, hdrs = emu.raw("POST", "/", b"Action=DescribeDBInstances&Version=2014-10-31",
                             {"Host": "127.0.0.1:%d" % emu.port,
                              "Content-Type": "application/x-www-form-urlencoded"})
    a = Answer(st, body, hdrs)
    is_error(a, 403, "MissingAuthenticationToken", "an unsigned request is refused: MissingAuthenticationToken 403")
    a = api(emu, "DescribeDBInstances", secret="not-the-secret")
    is_error(a, 403, "SignatureDoesNotMatch", "a wrong secret: SignatureDoesNotMatch 403")
    root = a.root
    t.ok(root is not None and root.tag == NS + "ErrorResponse" and root.find(NS + "Error/" + NS + "Type").text
         == "Sender" and root.find(NS + "RequestId").text == a.headers.get("x-amzn-RequestId"),
         "errors are <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>, the id also in "
         "x-amzn-RequestId", a)
    a = api(emu, "DescribeDBInstances", key="AKIDNOBODY")
    is_error(a, 403, "InvalidClientTokenId", "an unknown access key: InvalidClientTokenId 403")
    a = api(emu, "DescribeDBInstances", when=time.time() - 1200)
    is_error(a, 403, "SignatureDoesNotMatch", "a request signed 20 minutes ago is refused", "Signature expired")
    hdr = {"Host": "127.0.0.1:%d" % emu.port, "Content-Type": "application/x-www-form-urlencoded"}
    sign_headers(hdr, "POST", "/", "", b"Action=DescribeDBInstances&Version=2014-10-31", "us-east-1", "rds",
                 emu.access_key, emu.secret_key)
    a = Answer(*emu.raw("POST", "/", b"Action=DescribeDBSnapshots&Version=2014-10-31", hdr))
    is_error(a, 403, "SignatureDoesNotMatch", "a body changed after signing is refused")
    a = api(emu, "DescribeDBInstances", method="GET")
    t.ok(a.status == 200 and len(a.text("DBInstance")) == 4, "a signed GET with the parameters in the query works",
         a)
    a = api(emu, "DescribeDBInstances", region="eu-central-1")
    t.ok(a.status == 200 and not a.text("DBInstance"), "another region has its own (empty) inventory", a)
    a = api(emu, "NoSuchAction")
    is_error(a, 400, "InvalidAction", "an unknown action: InvalidAction 400")
    a = api(emu, "DescribeDBInstances", {"DBInstanceIdentifier": "nope"})
    is_error(a, 404, "DBInstanceNotFound", "a missing instance: DBInstanceNotFound 404")
    a = api(emu, "DescribeDBSnapshots", {"DBSnapshotIdentifier": "nope"})
    is_error(a, 404, "DBSnapshotNotFound", "a missing snapshot: DBSnapshotNotFound 404")
    a = api(emu, "GetCallerIdentity", service="sts")
    t.ok(a.status == 200 and a.one("Account") == ACCOUNT and a.root.tag.startswith(
        "{https://sts.amazonaws.com/doc/2011-06-15/}"), "STS GetCallerIdentity in STS's namespace", a)

    # identifiers
    emu.config(createSeconds=0, copySeconds=0)
    bad = ["1snap", "a--b", "snap-", "a_b", "snap.1", "x" * 256, "rds:manual"]
    refused = [i for i in bad if api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db",
                                                               "DBSnapshotIdentifier": i}).code ==
               "InvalidParameterValue"]
    t.is_(refused, bad, "identifier rules: first a letter, letters/digits/hyphens, no '--' or trailing '-', <= 255")
    good = ["a", "A-B-1", "y" * 255]
    made = [api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": i}).one(
        "DBSnapshotIdentifier") for i in good]
    t.is_(made, ["a", "a-b-1", "y" * 255], "valid identifiers are accepted and stored lowercase, as RDS does")
    a = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "A"})
    is_error(a, 400, "DBSnapshotAlreadyExists", "identifiers are case-insensitive: 'A' exists as 'a'")

    # MaxRecords and Marker
    for i in range(42):
        api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "pg-%02d" % i})
    is_error(api(emu, "DescribeDBSnapshots", {"MaxRecords": "19"}), 400, "InvalidParameterValue",
             "MaxRecords 19 is refused", "MaxRecords")
    is_error(api(emu, "DescribeDBSnapshots", {"MaxRecords": "101"}), 400, "InvalidParameterValue",
             "MaxRecords 101 is refused", "MaxRecords")
    is_error(api(emu, "DescribeDBInstances", {"MaxRecords": "10"}), 400, "InvalidParameterValue",
             "DescribeDBInstances bounds MaxRecords too")
    seen, pages, marker = [], 0, None
    while True:
        p = {"MaxRecords": "20", "DBInstanceIdentifier": "plain-db", "SnapshotType": "manual"}
        if marker:
            p["Marker"] = marker
        a = api(emu, "DescribeDBSnapshots", p)
        seen += a.text("DBSnapshotIdentifier")
        pages += 1
        marker = a.one("Marker")
        if not marker or pages > 10:
            break
    t.ok(pages == 3 and len(seen) == 45 and len(set(seen)) == 45 and seen == sorted(seen),
         "45 snapshots come back in 3 pages of at most 20, each once", (pages, len(seen)))
    a = api(emu, "DescribeDBSnapshots", {"MaxRecords": "20", "Marker": "garbage"})
    is_error(a, 400, "InvalidParameterValue", "a forged Marker is refused")
    a = api(emu, "DescribeDBSnapshots", {"Filters.Filter.1.Name": "db-instance-id",
                                         "Filters.Filter.1.Values.Value.1": "plain-db",
                                         "Filters.Filter.2.Name": "snapshot-type",
                                         "Filters.Filter.2.Values.Value.1": "automated"})
    t.ok(a.status == 200 and not a.text("DBSnapshot"), "Filters: plain-db (retention 0) has no automated snapshot")
    a = api(emu, "DescribeDBSnapshots", {"Filters.Filter.1.Name": "bogus", "Filters.Filter.1.Values.Value.1": "x"})
    is_error(a, 400, "InvalidParameterValue", "an unknown filter name is refused")

    # the manual-snapshot quota, per region
    n = emu.state(region="us-east-1", snapshots=False)["regions"]["us-east-1"]["counts"]["manual"]
    emu.config(snapshotQuota={"us-east-1": n + 2})
    ok1 = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "q-1"})
    ok2 = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "q-2"})
    a = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "q-3"})
    t.ok(ok1.status == 200 and ok2.status == 200, "snapshots up to the quota are created")
    is_error(a, 400, "SnapshotQuotaExceeded", "one more: SnapshotQuotaExceeded",
             "Cannot create more than %d manual snapshots" % (n + 2))
    a = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "q-3"},
            region="us-west-2")
    is_error(a, 404, "DBInstanceNotFound", "us-west-2 has no plain-db: regions are separate inventories")
    api(emu, "DeleteDBSnapshot", {"DBSnapshotIdentifier": "q-2"})
    a = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "q-3"})
    t.is_(a.status, 200, "deleting one frees a place under the quota")
    emu.config(snapshotQuota={"us-east-1": 100, "us-west-2": 7})

    # encrypted cross-region copies: KmsKeyId and PreSignedUrl
    api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "enc-db", "DBSnapshotIdentifier": "enc-1",
                                  "Tags.Tag.1.Key": "k", "Tags.Tag.1.Value": "v"})
    src = "arn:aws:rds:us-east-1:%s:snapshot:enc-1" % ACCOUNT

    def copy(target, url=True, kms="alias/dr", presign=None, **over):
        p = {"SourceDBSnapshotIdentifier": src, "TargetDBSnapshotIdentifier": target}
        if kms:
            p["KmsKeyId"] = kms
        if url:
            pre = {"SourceDBSnapshotIdentifier": src, "TargetDBSnapshotIdentifier": target}
            pre.update(presign or {})
            p["PreSignedUrl"] = emu.presign("CopyDBSnapshot", pre, over.pop("source_region", "us-east-1"),
                                            over.pop("dest", "us-west-2"), **over)
        return api(emu, "CopyDBSnapshot", p, region="us-west-2")

    def refusal_detail():
        c = [x for x in emu.calls(action="CopyDBSnapshot")["calls"]][-1]
        return " ".join(c.get("detail", []))

    emu.config(copySeconds=3600)
    a = copy("c-nourl", url=False)
    is_error(a, 400, "InvalidParameterValue", "an encrypted cross-region copy without PreSignedUrl is refused",
             "PreSignedUrl could not be authenticated")
    a = copy("c-nokms", kms=None)
    is_error(a, 400, "InvalidParameterValue", "... and one without a destination KmsKeyId", "KmsKeyId")
    a = copy("c-badsig", secret="wrong")
    is_error(a, 400, "InvalidParameterValue", "a PreSignedUrl signed with a wrong secret is refused",
             "PreSignedUrl could not be authenticated")
    t.contains(refusal_detail(), "SignatureDoesNotMatch", "the call log says why")
    a = copy("c-old", when=time.time() - 7200)
    is_error(a, 400, "InvalidParameterValue", "an expired PreSignedUrl (signed 2 h ago, 1 h validity) is refused")
    t.contains(refusal_detail(), "expired", "the call log says it expired")
    a = copy("c-dest", dest="eu-west-1")
    is_error(a, 400, "InvalidParameterValue", "a PreSignedUrl naming another DestinationRegion is refused")
    a = copy("c-region", source_region="us-west-2")
    is_error(a, 400, "InvalidParameterValue", "a PreSignedUrl signed for the wrong source region is refused")
    a = copy("c-other", presign={"SourceDBSnapshotIdentifier": src.replace("enc-1", "enc-2")})
    is_error(a, 400, "InvalidParameterValue", "a PreSignedUrl for another source snapshot is refused")
    a = copy("c-kms", kms=KMS_EAST)
    is_error(a, 400, "KMSKeyNotAccessibleFault", "the source region's KMS key is refused in the destination")
    a = copy("c-1")
    t.ok(a.status == 200 and a.one("Status") == "pending" and a.one("SourceRegion") == "us-east-1"
         and a.one("SourceDBSnapshotIdentifier") == src and a.one("KmsKeyId").startswith("arn:aws:kms:us-west-2:"),
         "a valid PreSignedUrl and KmsKeyId: the copy is pending in us-west-2", a)
    orig = api(emu, "DescribeDBSnapshots", {"DBSnapshotIdentifier": "enc-1"}).one("SnapshotCreateTime")
    t.is_(a.one("OriginalSnapshotCreateTime"), orig, "the copy keeps the source's creation time")

    # the limit of cross-region copies in flight per destination: AWS's 20 by default, configurable
    # (5 here: the region's quota of 7 would refuse a 21st copy first)
    t.is_(emu.config()["copyLimit"], 20, "copyLimit is AWS's 20 copies in progress per destination by default")
    emu.config(copyLimit=5)
    for i in range(2, 6):
        copy("c-%d" % i)
    a = copy("c-6")
    is_error(a, 400, "SnapshotQuotaExceeded", "a 6th copy in flight: SnapshotQuotaExceeded",
             "Cannot copy more than 5 snapshots across regions")
    t.ok("manual snapshots" not in a.message, "told apart from the quota by its message", a.message)
    emu.clock(advance=3600)
    t.is_(snap_status(emu, "c-1", "us-west-2"), "available", "copies are available after copySeconds")
    a = copy("c-6")
    t.is_(a.status, 200, "with the copies done, another copy is accepted")
    a = copy("c-7")
    a = copy("c-8")
    is_error(a, 400, "SnapshotQuotaExceeded", "copies count toward the destination's manual quota (7)",
             "Cannot create more than 7 manual snapshots")
    c = [x for x in emu.calls(action="CopyDBSnapshot")["calls"] if x["status"] == 200][-1]
    t.ok("X-Amz-Signature=REDACTED" in c["params"]["PreSignedUrl"], "the call log keeps no signature")
    t.ok(c["mutating"] is True and emu.calls(action="DescribeDBSnapshots")["calls"][-1]["mutating"] is False,
         "the call log marks mutating calls")

    # creating -> available by seconds and by describes
    emu.config(createSeconds=120, createDescribes=0)
    api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "by-time"})
    s1 = snap_status(emu, "by-time")
    emu.clock(advance=119)
    s2 = snap_status(emu, "by-time")
    emu.clock(advance=2)
    s3 = snap_status(emu, "by-time")
    t.is_((s1, s2, s3), ("creating", "creating", "available"), "creating -> available after createSeconds")
    emu.config(createSeconds=None, createDescribes=3)
    api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "by-look"})
    seen = [snap_status(emu, "by-look") for _ in range(3)]
    t.is_(seen, ["creating", "creating", "available"], "... or on the 3rd DescribeDBSnapshots with createDescribes=3")
    a = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "busy"})
    a = api(emu, "DeleteDBSnapshot", {"DBSnapshotIdentifier": "busy"})
    is_error(a, 400, "InvalidDBSnapshotState", "a creating snapshot cannot be deleted")
    emu.config(createSeconds=0, createDescribes=0)

    # automated snapshots and expiry over the clock (seeded history: the last 3 days' windows)
    t.is_(autos(emu, "enc-db"), ["rds:enc-db-2026-01-05-03-00", "rds:enc-db-2026-01-06-03-00",
                                 "rds:enc-db-2026-01-07-03-00"],
          "a seeded instance (retention 3) starts with its last 3 automated snapshots")
    emu.clock(set="2026-01-10T02:00:00Z")
    t.is_(autos(emu, "enc-db"), ["rds:enc-db-2026-01-07-03-00", "rds:enc-db-2026-01-08-03-00",
                                 "rds:enc-db-2026-01-09-03-00"],
          "3 days later: one per backup window, the older ones expired")
    st = emu.state(region="us-east-1")["regions"]["us-east-1"]
    auto = [s for s in st["snapshots"] if s["id"] == "rds:enc-db-2026-01-09-03-00"][0]
    t.ok(auto["type"] == "automated" and auto["created"] == "2026-01-09T03:00:00.000Z" and auto["encrypted"]
         and auto["tags"] == {"Team": "data"}, "automated snapshots: type, window time, encryption, "
         "CopyTagsToSnapshot tags", auto)
    a = api(emu, "DescribeDBInstances", {"DBInstanceIdentifier": "enc-db"})
    t.is_(a.one("LatestRestorableTime"), "2026-01-10T01:55:00.000Z", "LatestRestorableTime is now - 5 minutes")
    a = api(emu, "DescribeDBInstanceAutomatedBackups", {"DBInstanceIdentifier": "enc-db"})
    t.ok(a.one("Status") == "active" and a.one("EarliestTime") == "2026-01-07T03:00:00.000Z"
         and a.one("LatestTime") == "2026-01-10T01:55:00.000Z" and a.one("BackupRetentionPeriod") == "3"
         and a.one("DBInstanceAutomatedBackupsArn").startswith("arn:aws:rds:us-east-1:%s:auto-backup:ab-" % ACCOUNT),
         "DescribeDBInstanceAutomatedBackups: an active backup with its RestoreWindow", a)
    a = api(emu, "DeleteDBSnapshot", {"DBSnapshotIdentifier": "rds:enc-db-2026-01-09-03-00"})
    is_error(a, 400, "InvalidDBSnapshotState", "automated snapshots cannot be deleted")

    # retention changes: non-zero <-> non-zero at once; 0 <-> non-zero at the maintenance window
    a = api(emu, "ModifyDBInstance", {"DBInstanceIdentifier": "enc-db", "BackupRetentionPeriod": "1",
                                      "ApplyImmediately": "false"})
    t.ok(a.one("BackupRetentionPeriod") == "1" and not a.root.iter(NS + "PendingModifiedValues").__next__().findall(
        "*"), "3 -> 1 applies at once", a)
    t.is_(autos(emu, "enc-db"), ["rds:enc-db-2026-01-09-03-00"], "and the snapshots past 1 day expire")
    a = api(emu, "ModifyDBInstance", {"DBInstanceIdentifier": "plain-db", "BackupRetentionPeriod": "5",
                                      "ApplyImmediately": "false"})
    t.ok(a.one("BackupRetentionPeriod") == "0" and a.root.find(".//%sPendingModifiedValues/%sBackupRetentionPeriod"
                                                                % (NS, NS)).text == "5",
         "0 -> 5 without ApplyImmediately: PendingModifiedValues", a)
    emu.clock(set="2026-01-11T04:59:00Z")  # Sunday, a minute before the window
    d = instance(emu, "plain-db")
    t.ok(d["backupRetentionPeriod"] == 0 and d["pending"] == {"BackupRetentionPeriod": 5},
         "still pending a minute before the maintenance window", d)
    emu.clock(advance=120)
    d = instance(emu, "plain-db")
    t.ok(d["backupRetentionPeriod"] == 5 and d["pending"] == {} and d["latestRestorableTime"],
         "applied in the maintenance window (sun 05:00)", d)
    t.is_(autos(emu, "plain-db"), ["rds:plain-db-2026-01-11-05-00"], "enabling backups takes one at once")
    a = api(emu, "ModifyDBInstance", {"DBInstanceIdentifier": "plain-db", "BackupRetentionPeriod": "0"})
    t.ok(a.root.find(".//%sPendingModifiedValues/%sBackupRetentionPeriod" % (NS, NS)) is not None
         and a.one("BackupRetentionPeriod") == "5", "5 -> 0 waits too", a)
    a = api(emu, "ModifyDBInstance", {"DBInstanceIdentifier": "now-db", "BackupRetentionPeriod": "0",
                                      "ApplyImmediately": "true"})
    t.ok(a.one("BackupRetentionPeriod") == "0" and a.one("LatestRestorableTime") is None
         and not autos(emu, "now-db"), "3 -> 0 with ApplyImmediately: at once, automated snapshots removed", a)
    a = api(emu, "ModifyDBInstance", {"DBInstanceIdentifier": "now-db", "BackupRetentionPeriod": "40"})
    is_error(a, 400, "InvalidParameterValue", "retention 40 is refused (0..35)")
    a = api(emu, "ModifyDBInstance", {"DBInstanceIdentifier": "now-db", "PreferredBackupWindow": "05:10-05:40"})
    is_error(a, 400, "InvalidParameterCombination", "a backup window overlapping the maintenance window is refused")
    a = api(emu, "ModifyDBInstance", {"DBInstanceIdentifier": "now-db", "PreferredBackupWindow": "3:00-3:30"})
    is_error(a, 400, "InvalidParameterValue", "a malformed backup window is refused")

    # restores and instance deletion
    a = api(emu, "RestoreDBInstanceFromDBSnapshot", {"DBInstanceIdentifier": "from-snap",
                                                     "DBSnapshotIdentifier": "enc-1"})
    t.ok(a.status == 200 and a.one("DBInstanceStatus") == "creating" and a.one("StorageEncrypted") == "true",
         "RestoreDBInstanceFromDBSnapshot creates an instance", a)
    a = api(emu, "RestoreDBInstanceToPointInTime", {"SourceDBInstanceIdentifier": "enc-db",
                                                    "TargetDBInstanceIdentifier": "pitr",
                                                    "RestoreTime": "2026-01-01T00:00:00Z"})
    is_error(a, 400, "InvalidRestoreFault", "a RestoreTime before the restore window is refused")
    a = api(emu, "RestoreDBInstanceToPointInTime", {"SourceDBInstanceIdentifier": "enc-db",
                                                    "TargetDBInstanceIdentifier": "pitr",
                                                    "UseLatestRestorableTime": "true"})
    t.is_(a.status, 200, "RestoreDBInstanceToPointInTime with UseLatestRestorableTime")
    a = api(emu, "RestoreDBInstanceToPointInTime", {"SourceDBInstanceIdentifier": "now-db",
                                                    "TargetDBInstanceIdentifier": "pitr2",
                                                    "UseLatestRestorableTime": "true"})
    is_error(a, 400, "PointInTimeRestoreNotEnabled", "no PITR from an instance without backups")
    a = api(emu, "DeleteDBInstance", {"DBInstanceIdentifier": "guarded-db", "SkipFinalSnapshot": "true"})
    is_error(a, 400, "InvalidParameterCombination", "DeletionProtection refuses DeleteDBInstance",
             "deletion protection")
    a = api(emu, "DeleteDBInstance", {"DBInstanceIdentifier": "pitr"})
    is_error(a, 400, "InvalidParameterCombination", "a final snapshot identifier is required without "
             "SkipFinalSnapshot")
    a = api(emu, "DeleteDBInstance", {"DBInstanceIdentifier": "from-snap", "SkipFinalSnapshot": "true"})
    t.ok(a.status == 200 and instance(emu, "from-snap") is None, "an instance still creating can be deleted", a)
    emu.clock(advance=60)
    a = api(emu, "DeleteDBInstance", {"DBInstanceIdentifier": "pitr", "FinalDBSnapshotIdentifier": "pitr-final"})
    t.ok(a.status == 200 and a.one("DBInstanceStatus") == "deleting" and instance(emu, "pitr") is None
         and snap_status(emu, "pitr-final") is not None, "DeleteDBInstance with a final snapshot", a)

    # automated backup replication (encrypted source: KmsKeyId and PreSignedUrl)
    src_db = "arn:aws:rds:us-east-1:%s:db:enc-db" % ACCOUNT
    p = {"SourceDBInstanceArn": src_db, "BackupRetentionPeriod": "7", "KmsKeyId": "alias/dr"}
    a = api(emu, "StartDBInstanceAutomatedBackupsReplication", p, region="us-west-2")
    is_error(a, 400, "InvalidParameterValue", "replication of an encrypted instance needs a PreSignedUrl")
    p["PreSignedUrl"] = emu.presign("StartDBInstanceAutomatedBackupsReplication",
                                    {"SourceDBInstanceArn": src_db, "BackupRetentionPeriod": "7"},
                                    "us-east-1", "us-west-2")
    a = api(emu, "StartDBInstanceAutomatedBackupsReplication", p, region="us-west-2")
    t.ok(a.status == 200 and a.one("Status") == "replicating" and a.one("Region") == "us-east-1",
         "StartDBInstanceAutomatedBackupsReplication in the destination", a)
    a = api(emu, "DescribeDBInstances", {"DBInstanceIdentifier": "enc-db"})
    rep = a.one("DBInstanceAutomatedBackupsArn")
    t.ok(rep and rep.startswith("arn:aws:rds:us-west-2:"), "the source lists the replication", a)
    a = api(emu, "StopDBInstanceAutomatedBackupsReplication", {"SourceDBInstanceArn": src_db}, region="us-west-2")
    b = api(emu, "DescribeDBInstances", {"DBInstanceIdentifier": "enc-db"})
    t.ok(a.status == 200 and a.one("Status") == "retained" and not b.text("DBInstanceAutomatedBackupsArn"),
         "StopDBInstanceAutomatedBackupsReplication: the replica is retained, the source lists none", a)

    # SNS and CloudWatch validation
    a = api(emu, "Publish", {"TopicArn": "arn:aws:sns:us-east-1:%s:alerts" % ACCOUNT, "Message": ""},
            service="sns")
    is_error(a, 400, "InvalidParameter", "SNS refuses an empty message")
    a = api(emu, "PutMetricData", {"Namespace": "AWS/RDS", "MetricData.member.1.MetricName": "x",
                                   "MetricData.member.1.Value": "1"}, service="monitoring")
    is_error(a, 400, "InvalidParameterValue", "CloudWatch refuses the AWS/ namespace")
    a = api(emu, "PutMetricData", {"Namespace": "Snapkeep", "MetricData.member.1.MetricName": "x",
                                   "MetricData.member.1.Value": "1", "MetricData.member.1.Unit": "Parsecs"},
            service="monitoring")
    is_error(a, 400, "InvalidParameterValue", "CloudWatch refuses an unknown unit")

    # persistence across a restart
    before = emu.state()
    last = emu.calls()["last"]
    emu.restart()
    after = emu.state()
    t.ok(before["regions"] == after["regions"] and before["config"] == after["config"],
         "a restart loses nothing: every region, instance, snapshot and setting is back",
         json.dumps([before["regions"]["us-east-1"]["counts"], after["regions"]["us-east-1"]["counts"]]))
    t.ok(after["frozen"] and after["now"] == before["now"], "the frozen clock survives the restart")
    api(emu, "DescribeDBInstances")
    t.is_(emu.calls(since=last)["calls"][0]["seq"], last + 1, "the call log keeps counting across the restart")
    t.ok(json.loads(open(emu.state_file).read())["format"] == "snapkeep-emulator-state/v1",
         "the state file is JSON")

    # faults
    def run_calls(n, action="DescribeDBInstances"):
        out = []
        for _ in range(n):
            a = api(emu, action)
            out.append(a.status if a.status != 400 else a.code)
        return out

    emu.faults(throttle=0.3, seed=7, actions=["DescribeDBInstances"])
    r1 = run_calls(200)
    emu.faults(throttle=0.3, seed=7, actions=["DescribeDBInstances"])
    r2 = run_calls(200)
    frac = r1.count("Throttling") / 200.0
    t.ok(0.2 <= frac <= 0.4 and set(r1) <= {200, "Throttling"}, "throttle=0.3: about 30%% throttled (%.2f)" % frac)
    t.is_(r1, r2, "the same seed throttles the same calls")
    t.ok(all(x == 200 for x in run_calls(5, "DescribeDBSnapshots")), "other actions are not faulted")
    emu.faults(error500=1.0, count=2)
    got = run_calls(4)
    t.is_(got, [500, 500, 200, 200], "count=2: two 500s, then normal service")
    calls = emu.calls(action="DescribeDBInstances")["calls"][-4:]
    t.ok(calls[0]["error"] == "InternalFailure" and calls[0]["fault"] == "error500" and "fault" not in calls[2],
         "the call log names the injected faults", calls)
    emu.faults(drop=1.0, count=1)
    a = api(emu, "DescribeDBInstances")
    t.ok(a.status == 0 and api(emu, "DescribeDBInstances").status == 200,
         "drop: the connection closes without an answer, once", a)
    emu.faults(latencyMs=300, actions=["ListTagsForResource"])
    t0 = time.time()
    api(emu, "ListTagsForResource", {"ResourceName": "arn:aws:rds:us-east-1:%s:db:enc-db" % ACCOUNT})
    took = time.time() - t0
    emu.faults()
    t.ok(took >= 0.3, "latencyMs=300 delays the call (%.2f s)" % took)
    emu.faults(throttle=1.0, regions=["us-west-2"])
    t.ok(api(emu, "DescribeDBInstances").status == 200 and
         api(emu, "DescribeDBInstances", region="us-west-2").code == "Throttling", "the regions filter")
    emu.faults()

    # crash-test faults: the call is made, the answer lost or held back
    def snap_exists(sid):
        return api(emu, "DescribeDBSnapshots", {"DBSnapshotIdentifier": sid}).status == 200

    emu.faults(dropAfter=1.0, mutating=True, skip=1, count=1)
    a = api(emu, "DescribeDBInstances")
    b = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "fault-a"})
    c = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "fault-b"})
    d = api(emu, "CreateDBSnapshot", {"DBInstanceIdentifier": "plain-db", "DBSnapshotIdentifier": "fault-c"})
    t.ok(a.status == 200 and b.status == 200 and c.status == 0 and d.status == 200,
         "mutating + skip=1 + dropAfter: the second mutating call loses its answer, reads are not counted", (a, b, c))
    t.ok(snap_exists("fault-b"), "dropAfter: the call was made all the same")
    logged = emu.calls(action="CreateDBSnapshot")["calls"][-2]
    t.ok(logged["fault"] == "dropAfter" and logged["status"] == 200, "the call log shows it made, answer dropped",
         logged)
    import threading
    emu.faults(hold=1.0, mutating=True, count=1, holdMs=20000)
    got = {}
    th = threading.Thread(target=lambda: got.update(a=api(emu, "DeleteDBSnapshot", {"DBSnapshotIdentifier": "fault-a"})))
    t0 = time.time()
    th.start()
    held = []
    while time.time() - t0 < 10 and not held:
        held = [x for x in emu.calls(action="DeleteDBSnapshot")["calls"] if x.get("fault") == "hold"]
        time.sleep(0.02)
    t.ok(held and th.is_alive() and not snap_exists("fault-a"),
         "hold: the call is made and logged while its answer is held", held)
    emu.faults()
    th.join(10)
    t.ok(not th.is_alive() and got.get("a") and got["a"].status == 200 and time.time() - t0 < 10,
         "clearing the faults sends the held answer (%.2f s)" % (time.time() - t0), got)
    emu.faults(hold=1.0, holdMs=300, actions=["DescribeDBInstances"])
    t0 = time.time()
    a = api(emu, "DescribeDBInstances")
    t.ok(a.status == 200 and 0.3 <= time.time() - t0 < 5, "holdMs bounds the hold (%.2f s)" % (time.time() - t0))
    emu.faults()

    # temporary credentials: web identity, expiry, IMDS, ECS
    emu.clock(real=True)
    st, body, _ = emu.raw("POST", "/", ("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3A"
                                        "iam%3A%3A123456789012%3Arole%2Fsnapkeep&RoleSessionName=test&"
                                        "WebIdentityToken=wrong").encode(),
                          {"Host": "127.0.0.1:%d" % emu.port, "Content-Type": "application/x-www-form-urlencoded"})
    is_error(Answer(st, body, {}), 400, "InvalidIdentityToken", "a wrong web identity token: InvalidIdentityToken")
    emu.config(credentialsTTL=600)
    st, body, _ = emu.raw("POST", "/", ("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3A"
                                        "iam%3A%3A123456789012%3Arole%2Fsnapkeep&RoleSessionName=test&"
                                        "WebIdentityToken=snapkeep-web-identity-token").encode(),
                          {"Host": "127.0.0.1:%d" % emu.port, "Content-Type": "application/x-www-form-urlencoded"})
    a = Answer(st, body, {})
    akid, secret, token = a.one("AccessKeyId"), a.one("SecretAccessKey"), a.one("SessionToken")
    t.ok(st == 200 and akid.startswith("ASIA") and token and a.one("Expiration"),
         "AssumeRoleWithWebIdentity (unsigned) answers temporary credentials", a)
    a = api(emu, "GetCallerIdentity", service="sts", key=akid, secret=secret, token=token)
    t.ok(a.status == 200 and a.one("Arn") == "arn:aws:sts::%s:assumed-role/snapkeep/test" % ACCOUNT,
         "a call signed with them and their token is accepted as the assumed role", a)
    a = api(emu, "GetCallerIdentity", service="sts", key=akid, secret=secret)
    is_error(a, 403, "InvalidClientTokenId", "without the session token they are refused")
    a = api(emu, "GetCallerIdentity", service="sts", key=akid, secret=secret, token=token + "x")
    is_error(a, 403, "InvalidClientTokenId", "with another token too")
    emu.clock(advance=601)
    a = api(emu, "GetCallerIdentity", service="sts", key=akid, secret=secret, token=token)
    is_error(a, 403, "ExpiredToken", "after credentialsTTL on the emulator clock: ExpiredToken")
    logtext = emu.log() + json.dumps(emu.calls())
    t.ok(secret not in logtext and token not in logtext and "snapkeep-web-identity-token" not in logtext,
         "no secret, session token or web identity token in the logs")

    base = {"Host": "127.0.0.1:%d" % emu.port}
    st, _, _ = emu.raw("PUT", "/latest/api/token", b"", base)
    t.is_(st, 400, "IMDSv2: a token request without a TTL header is refused")
    st, tok, hdrs = emu.raw("PUT", "/latest/api/token", b"", dict(base, **{
        "X-aws-ec2-metadata-token-ttl-seconds": "60"}))
    st1, _, _ = emu.raw("GET", "/latest/meta-data/iam/security-credentials/", b"", base)
    st2, role, _ = emu.raw("GET", "/latest/meta-data/iam/security-credentials/", b"", dict(
        base, **{"X-aws-ec2-metadata-token": tok}))
    t.ok(st == 200 and tok and st1 == 401 and st2 == 200 and role == "snapkeep-role",
         "IMDSv2: token, then the role name (401 without the token)", (st, st1, st2, role))
    since = emu.calls()["last"]
    docs = []
    for _ in range(2):
        s, body, _ = emu.raw("GET", "/latest/meta-data/iam/security-credentials/" + role, b"",
                             dict(base, **{"X-aws-ec2-metadata-token": tok}))
        docs.append(json.loads(body) if s == 200 else {})
    t.ok(all(d.get("Code") == "Success" and d.get("Type") == "AWS-HMAC" and d.get("AccessKeyId", "").startswith(
        "ASIA") and d.get("Token") and d.get("Expiration") and d.get("LastUpdated") for d in docs),
        "IMDS credentials JSON", docs)
    hits = [c for c in emu.calls(since=since)["calls"] if c["action"] == "IMDSCredentials"]
    t.is_(len(hits), 2, "each fetch shows in the call log (a refresh is visible)")
    a = api(emu, "DescribeDBInstances", key=docs[1]["AccessKeyId"], secret=docs[1]["SecretAccessKey"],
            token=docs[1]["Token"])
    t.is_(a.status, 200, "IMDS credentials sign requests")
    emu.config(ecsAuthToken="ecs-secret-token")
    s0, _, _ = emu.raw("GET", "/ecs/credentials", b"", base)
    s1, _, _ = emu.raw("GET", "/ecs/credentials", b"", dict(base, Authorization="wrong"))
    s2, body, _ = emu.raw("GET", "/ecs/credentials", b"", dict(base, Authorization="ecs-secret-token"))
    doc = json.loads(body) if s2 == 200 else {}
    t.ok((s0, s1, s2) == (401, 403, 200) and doc.get("AccessKeyId") and doc.get("Token") and doc.get("RoleArn")
         and doc.get("Expiration"), "ECS: the authorization token is required; then credentials JSON",
         (s0, s1, s2, doc))

# ---- clock: a 400-day simulation, one day at a time ----

with Emulator(seed={"clock": "2026-01-01T00:00:00Z", "regions": {"us-east-1": {"instances": [
        {"id": "sim-%d" % i, "backupRetentionPeriod": 7, "preferredBackupWindow": "0%d:00-0%d:30" % (i, i)}
        for i in range(1, 4)]}}}) as emu:
    t0 = time.time()
    for _ in range(400):
        emu.clock(advance=86400)
    took = time.time() - t0
    t.diag("400 one-day clock steps with 3 instances: %.2f s" % took)
    now = emu.clock()["now"]
    ids = autos(emu, "sim-2")
    t.ok(now.startswith("2027-02-05T00:00:00") and len(ids) == 7 and ids[-1] == "rds:sim-2-2027-02-04-02-00"
         and ids[0] == "rds:sim-2-2027-01-29-02-00", "after 400 simulated days each instance holds its last 7 "
         "daily automated snapshots", (now, ids))
    emu.config(automatedBackups=False)
    emu.clock(advance=86400 * 2)
    t.is_(len(autos(emu, "sim-2")), 5, "automatedBackups off: no new ones, old ones keep expiring")

# ---- keys from the command line; --help ----

with Emulator(args=["--key", "AKIDOTHER:other-secret"]) as emu:
    a = api(emu, "DescribeDBInstances")
    b = api(emu, "DescribeDBInstances", key="AKIDOTHER", secret="other-secret")
    t.ok(a.code == "InvalidClientTokenId" and b.status == 200, "--key replaces the default key", (a, b))
# reset goes back to the default settings, nested ones too (per-region quotas once outlived it)
with Emulator(seed={"account": ACCOUNT}, args=["--quiet"]) as emu:
    emu.config(snapshotQuota={"us-east-1": 3, "default": 50}, copyLimit=2)
    emu.reset()
    cfg = emu.config()
    t.ok(cfg["snapshotQuotas"] == {} and cfg["snapshotQuota"] == 100 and cfg["copyLimit"] == 20,
         "reset restores the default settings, per-region quotas included", cfg)
r = t.run([sys.executable, EMULATOR, "--help"])
missing = [f for f in ("--port", "--host", "--ready-file", "--state", "--seed", "--keys", "--key", "--account",
                       "--quiet") if f not in r.out]
t.ok(r.rc == 0 and not missing, "--help documents every flag", missing)

# ---- a 100,000-snapshot seed, paged through ----

big = {"regions": {"us-east-1": {}}, "config": {"snapshotQuota": 200000},
       "generate": {"instances": 1000, "snapshotsPerInstance": 100, "region": "us-east-1",
                    "tags": {"Environment": "bench"}, "snapshotTags": {"snapkeep:instance": "{instance}"}}}
t0 = time.time()
with Emulator(seed=big, args=["--quiet"]) as emu:
    started = time.time() - t0
    counts = emu.state(snapshots=False)["regions"]["us-east-1"]["counts"]
    t.ok(counts["instances"] == 1000 and counts["manual"] == 100000,
         "generate: 1,000 instances and 100,000 manual snapshots", counts)
    t0 = time.time()
    ids, marker, pages = set(), None, 0
    while pages < 1100:
        p = {"MaxRecords": "100", "SnapshotType": "manual"}
        if marker:
            p["Marker"] = marker
        a = api(emu, "DescribeDBSnapshots", p)
        ids.update(a.text("DBSnapshotIdentifier"))
        pages += 1
        marker = a.one("Marker")
        if not marker:
            break
    took = time.time() - t0
    ms = sum(c.get("ms", 0) for c in emu.calls(action="DescribeDBSnapshots")["calls"])
    t.diag("seed start %.1f s; %d pages of 100 in %.1f s (server time %.1f s)" % (started, pages, took, ms / 1000))
    t.ok(pages == 1000 and len(ids) == 100000, "1,000 pages of 100 return each of the 100,000 snapshots once",
         (pages, len(ids)))
    a = api(emu, "DescribeDBSnapshots", {"DBInstanceIdentifier": "db-00500"})
    b = api(emu, "DescribeDBSnapshots", {"DBInstanceIdentifier": "db-00500", "Marker": a.one("Marker") or ""})
    got = a.text("DBInstanceIdentifier") + b.text("DBInstanceIdentifier")
    t.ok(len(got) == 100 + 7 and set(got) == {"db-00500"} and not b.one("Marker"),
         "one instance's 107 snapshots (manual and automated): 2 pages", len(got))

t.done()
