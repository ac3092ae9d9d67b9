"""rds_clusters - Aurora DB clusters and their snapshots: DescribeDBClusters,
ModifyDBCluster, DescribeDBClusterSnapshots, CreateDBClusterSnapshot,
CopyDBClusterSnapshot, DeleteDBClusterSnapshot, and the tags of clusters
and cluster snapshots (rds_snapshots.py's AddTagsToResource and
ListTagsForResource call tag_target() here for cluster ARNs).

A region keeps its clusters (r.clusters: id -> dict) and cluster snapshots
(r.cluster_snapshots: id -> dict) apart from instances and DB snapshots, as
RDS does: they are other namespaces.  Member instances are ordinary
instances carrying "cluster" (their DBClusterIdentifier); they take no
snapshots of their own.  The clock drives the cluster's automated snapshots
(one a day at the start of PreferredBackupWindow, kept BackupRetentionPeriod
days) and creating -> available, both worked out when a call looks
(settle()), so they follow clock jumps either way.  Errors and statuses are
those of botocore's RDS model: DBClusterNotFoundFault and
DBClusterSnapshotNotFoundFault are 404, the rest 400.
"""
import time

from inventory import DAY, AwsError, next_daily, parse_backup_window, parse_time, _stable_id
from query import el, page, tag_list, ts
from rds_snapshots import BAD_ID, copy_key, parse_arn
from inventory import valid_identifier

PENDING = ("creating", "copying")


# ---- the model's part: seeding, persistence ----

def seed_cluster(m, r, spec, now):
    """A seed's cluster: {"id", "members": [ids], "engine", "backupRetentionPeriod", ...}; adds its members."""
    cid = spec["id"].lower()
    created = parse_time(spec["created"]) if spec.get("created") is not None else now - 365 * DAY
    enc = bool(spec.get("storageEncrypted", False))
    kms = spec.get("kmsKeyId") or (m.kms_key_arn(r.name, "alias/aws/rds") if enc else None)
    engine = spec.get("engine", "aurora-postgresql")
    c = {
        "id": cid, "arn": m.arn(r.name, "cluster", cid),
        "resourceId": "cluster-" + _stable_id(m.account, r.name, cid, created),
        "status": spec.get("status", "available"), "engine": engine,
        "engineVersion": spec.get("engineVersion", "15.4" if "postgres" in engine else "8.0.mysql_aurora.3.05.2"),
        "port": int(spec.get("port", 5432 if "postgres" in engine else 3306)),
        "masterUsername": spec.get("masterUsername", "admin"),
        "backupRetentionPeriod": int(spec.get("backupRetentionPeriod", 1)),
        "preferredBackupWindow": spec.get("preferredBackupWindow", "03:00-03:30"),
        "preferredMaintenanceWindow": spec.get("preferredMaintenanceWindow", "sun:05:00-sun:06:00"),
        "copyTagsToSnapshot": bool(spec.get("copyTagsToSnapshot", False)),
        "deletionProtection": bool(spec.get("deletionProtection", False)),
        "storageEncrypted": enc, "kmsKeyId": kms if enc else None,
        "created": created, "tags": dict(spec.get("tags") or {}),
        "members": [x.lower() for x in spec.get("members") or []],
        "backupsSince": parse_time(spec["backupsSince"]) if spec.get("backupsSince") else created,
    }
    r.clusters[cid] = c
    for i, iid in enumerate(c["members"]):
        d = m.make_instance(r.name, {"id": iid, "engine": engine, "engineVersion": c["engineVersion"],
                                     "class": spec.get("class", "db.r6g.large"), "created": created,
                                     "backupRetentionPeriod": 0, "storageEncrypted": enc, "kmsKeyId": kms,
                                     "port": c["port"], "allocatedStorage": 1}, now)
        d["cluster"] = cid
        d["clusterWriter"] = i == 0
        r.instances[d["id"]] = d
    if spec.get("history", True):
        settle(m, r, now)
    return c


def seed_cluster_snapshot(m, r, spec, now):
    sid = spec["id"] if spec.get("type") == "automated" else spec["id"].lower()
    cid = (spec.get("cluster") or "").lower()
    c = r.clusters.get(cid)
    created = parse_time(spec["created"]) if spec.get("created") is not None else now
    s = _from_cluster(m, r, c, sid, spec.get("type", "manual"), created) if c else {
        "id": sid, "arn": m.arn(r.name, "cluster-snapshot", sid), "cluster": cid,
        "resourceId": "cluster-" + _stable_id(m.account, r.name, cid), "type": spec.get("type", "manual"),
        "status": "available", "created": created, "clusterCreated": created - 30 * DAY,
        "engine": spec.get("engine", "aurora-postgresql"), "engineVersion": spec.get("engineVersion", "15.4"),
        "port": 5432, "masterUsername": "admin", "encrypted": bool(spec.get("encrypted", False)),
        "kmsKeyId": None, "sourceArn": None, "tags": {}, "readyAt": None, "readyCount": None, "crossRegion": False}
    s["status"] = spec.get("status", "available")
    if "encrypted" in spec:
        s["encrypted"] = bool(spec["encrypted"])
    if spec.get("kmsKeyId"):
        s["kmsKeyId"] = spec["kmsKeyId"]
    elif s["encrypted"] and not s["kmsKeyId"]:
        s["kmsKeyId"] = m.kms_key_arn(r.name, "alias/aws/rds")
    if not s["encrypted"]:
        s["kmsKeyId"] = None
    if spec.get("sourceArn"):
        s["sourceArn"] = spec["sourceArn"]
    s["tags"] = dict(spec.get("tags") or {})
    r.cluster_snapshots[sid] = s
    return s


def _from_cluster(m, r, c, sid, typ, t):
    return {
        "id": sid, "arn": m.arn(r.name, "cluster-snapshot", sid), "cluster": c["id"],
        "resourceId": c["resourceId"], "type": typ, "status": "creating", "created": t,
        "clusterCreated": c["created"], "engine": c["engine"], "engineVersion": c["engineVersion"],
        "port": c["port"], "masterUsername": c["masterUsername"], "encrypted": c["storageEncrypted"],
        "kmsKeyId": c["kmsKeyId"], "sourceArn": None, "tags": {}, "readyAt": None, "readyCount": None,
        "crossRegion": False,
    }


def settle(m, r, now):
    """The clock's work since the last look: automated snapshots taken and expired, pending ones ready."""
    for c in r.clusters.values():
        ret = c["backupRetentionPeriod"]
        w = parse_backup_window(c["preferredBackupWindow"])
        if c["status"] != "available" or not w or not m.config.get("automatedBackups", True):
            continue
        # from where the last look stopped: a longer retention keeps what comes, it brings nothing back
        since = max(c["backupsSince"] or c["created"], now - ret * DAY)
        t = c.get("autoNext") or next_daily(w[0], since - 1)
        while t <= now:
            sid = "rds:%s-%s" % (c["id"], time.strftime("%Y-%m-%d-%H-%M", time.gmtime(t)))
            if sid not in r.cluster_snapshots:
                s = _from_cluster(m, r, c, sid, "automated", t)
                s["status"] = "available"
                if c["copyTagsToSnapshot"]:
                    s["tags"] = dict(c["tags"])
                r.cluster_snapshots[sid] = s
                m.touch()
            t = next_daily(w[0], t)
        if c.get("autoNext") != t:
            c["autoNext"] = t
            m.touch()
        for sid, s in list(r.cluster_snapshots.items()):
            if s["type"] == "automated" and s["cluster"] == c["id"] and s["created"] + ret * DAY <= now:
                del r.cluster_snapshots[sid]
                m.touch()
    for s in r.cluster_snapshots.values():
        if s["status"] in PENDING and (
                (s.get("readyAt") is not None and s["readyAt"] <= now) or
                (s.get("readyCount") is not None and r.cluster_describe_count >= s["readyCount"])):
            s["status"], s["readyAt"], s["readyCount"] = "available", None, None
            m.touch()


# ---- lookups ----

def _cluster_not_found(ident):
    return AwsError("DBClusterNotFoundFault", "DBCluster %s not found." % ident, 404)


def _snapshot_not_found(ident):
    return AwsError("DBClusterSnapshotNotFoundFault", "DBClusterSnapshot %s not found." % ident, 404)


def _local_id(ctx, ident, kind, not_found):
    if ident.startswith("arn:"):
        a = parse_arn(ident, kind)
        if not a:
            raise AwsError("InvalidParameterValue", "Invalid %s identifier: %s" % (kind, ident))
        if a[0] != ctx.region or a[1] != ctx.m.account:
            raise not_found(ident)
        ident = a[3]
    return ident if ident.startswith("rds:") else ident.lower()


def find_cluster(ctx, ident):
    c = ctx.r.clusters.get(_local_id(ctx, ident, "cluster", _cluster_not_found))
    if c is None:
        raise _cluster_not_found(ident)
    return c


def find_cluster_snapshot(ctx, ident):
    s = ctx.r.cluster_snapshots.get(_local_id(ctx, ident, "cluster-snapshot", _snapshot_not_found))
    if s is None:
        raise _snapshot_not_found(ident)
    return s


def tag_target(ctx, kind, rid):
    settle(ctx.m, ctx.r, ctx.now)
    if kind == "cluster":
        c = ctx.r.clusters.get(rid.lower())
        if c is None:
            raise _cluster_not_found(rid)
        return c
    s = ctx.r.cluster_snapshots.get(rid if rid.startswith("rds:") else rid.lower())
    if s is None:
        raise _snapshot_not_found(rid)
    return s


def _check_id(value, param):
    if not valid_identifier(value, 255):
        raise AwsError("InvalidParameterValue", BAD_ID % param)
    return value.lower()


def _quota_check(ctx):
    q = ctx.m.quota(ctx.region)
    n = sum(1 for s in ctx.r.cluster_snapshots.values() if s["type"] == "manual")
    if n + 1 > q:
        raise AwsError("SnapshotQuotaExceeded", "Cannot create more than %d manual DB cluster snapshots" % q)


# ---- rendering ----

def cluster_xml(ctx, c):
    r = ctx.r
    members = "".join(
        "<DBClusterMember>%s%s%s%s</DBClusterMember>" % (
            el("DBInstanceIdentifier", iid), el("IsClusterWriter", i == 0),
            el("DBClusterParameterGroupStatus", "in-sync"), el("PromotionTier", 1))
        for i, iid in enumerate(c["members"]) if iid in r.instances)
    autos = [s["created"] for s in r.cluster_snapshots.values()
             if s["cluster"] == c["id"] and s["type"] == "automated" and s["status"] == "available"]
    lag = float(ctx.m.config.get("restorableLagSeconds", 300))
    return "".join((
        "<DBCluster>",
        el("AllocatedStorage", 1),  # what RDS reports for Aurora: storage grows on its own
        "<AvailabilityZones>%s</AvailabilityZones>" % "".join(
            el("AvailabilityZone", ctx.region + z) for z in "abc"),
        el("BackupRetentionPeriod", c["backupRetentionPeriod"]),
        el("DBClusterIdentifier", c["id"]),
        el("DBClusterParameterGroup", "default." + c["engine"] + c["engineVersion"].split(".")[0]),
        el("DBSubnetGroup", "default"),
        el("Status", c["status"]),
        ts("EarliestRestorableTime", min(autos) if autos else None),
        el("Endpoint", "%s.cluster-c0ffee123456.%s.rds.amazonaws.com" % (c["id"], ctx.region)),
        el("ReaderEndpoint", "%s.cluster-ro-c0ffee123456.%s.rds.amazonaws.com" % (c["id"], ctx.region)),
        el("MultiAZ", len(c["members"]) > 1),
        el("Engine", c["engine"]),
        el("EngineVersion", c["engineVersion"]),
        ts("LatestRestorableTime", ctx.now - lag if c["status"] == "available" else None),
        el("Port", c["port"]),
        el("MasterUsername", c["masterUsername"]),
        el("PreferredBackupWindow", c["preferredBackupWindow"]),
        el("PreferredMaintenanceWindow", c["preferredMaintenanceWindow"]),
        "<DBClusterMembers>%s</DBClusterMembers>" % members if members else "<DBClusterMembers/>",
        "<VpcSecurityGroups/>",
        el("HostedZoneId", "Z2R2ITUGPM61AM"),
        el("StorageEncrypted", bool(c["storageEncrypted"])),
        el("KmsKeyId", c["kmsKeyId"] if c["storageEncrypted"] else None),
        el("DbClusterResourceId", c["resourceId"]),
        el("DBClusterArn", c["arn"]),
        "<AssociatedRoles/>",
        el("IAMDatabaseAuthenticationEnabled", False),
        ts("ClusterCreateTime", c["created"]),
        el("EngineMode", "provisioned"),
        el("DeletionProtection", bool(c["deletionProtection"])),
        el("HttpEndpointEnabled", False),
        el("CopyTagsToSnapshot", bool(c["copyTagsToSnapshot"])),
        el("CrossAccountClone", False),
        "<DomainMemberships/>",
        tag_list(c.get("tags")),
        el("StorageType", "aurora"),
        "</DBCluster>",
    ))


def snapshot_xml(ctx, s):
    st = s["status"]
    if st == "available":
        progress = 100
    elif s.get("readyAt") and s.get("startedAt") is not None and s["readyAt"] > s["startedAt"]:
        progress = max(0, min(99, int(100 * (ctx.now - s["startedAt"]) / (s["readyAt"] - s["startedAt"]))))
    else:
        progress = 0
    return "".join((
        "<DBClusterSnapshot>",
        "<AvailabilityZones>%s</AvailabilityZones>" % "".join(
            el("AvailabilityZone", ctx.region + z) for z in "abc"),
        el("DBClusterSnapshotIdentifier", s["id"]),
        el("DBClusterIdentifier", s["cluster"]),
        ts("SnapshotCreateTime", s["created"]),
        el("Engine", s["engine"]),
        el("EngineMode", "provisioned"),
        el("AllocatedStorage", 1),
        el("Status", st),
        el("Port", s.get("port", 5432)),
        el("VpcId", "vpc-0c0ffee0"),
        ts("ClusterCreateTime", s.get("clusterCreated")),
        el("MasterUsername", s.get("masterUsername", "admin")),
        el("EngineVersion", s["engineVersion"]),
        el("LicenseModel", s["engine"]),
        el("SnapshotType", s["type"]),
        el("PercentProgress", progress),
        el("StorageEncrypted", bool(s.get("encrypted"))),
        el("KmsKeyId", s.get("kmsKeyId") if s.get("encrypted") else None),
        el("DBClusterSnapshotArn", s["arn"]),
        el("SourceDBClusterSnapshotArn", s.get("sourceArn")),
        el("IAMDatabaseAuthenticationEnabled", False),
        tag_list(s.get("tags")),
        el("DbClusterResourceId", s.get("resourceId")),
        el("StorageType", "aurora"),
        "</DBClusterSnapshot>",
    ))


# ---- describe ----

def describe_db_clusters(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    settle(m, r, ctx.now)
    filters = p.filters({"db-cluster-id", "db-cluster-resource-id", "engine", "clone-group-id", "domain"})
    ids = sorted(r.clusters)
    preds = []
    if p.get("DBClusterIdentifier"):
        ids = [find_cluster(ctx, p.get("DBClusterIdentifier"))["id"]]
    if "db-cluster-id" in filters:
        want = set()
        for v in filters["db-cluster-id"]:
            a = parse_arn(v, "cluster") if v.startswith("arn:") else None
            want.add(a[3].lower() if a else v.lower())
        preds.append(lambda c: c["id"] in want)
    if "db-cluster-resource-id" in filters:
        rids = set(filters["db-cluster-resource-id"])
        preds.append(lambda c: c["resourceId"] in rids)
    if "engine" in filters:
        engines = set(filters["engine"])
        preds.append(lambda c: c["engine"] in engines)
    if "clone-group-id" in filters or "domain" in filters:
        preds.append(lambda c: False)
    cl = r.clusters
    items, marker = page(p, ids, (lambda i: all(f(cl[i]) for f in preds)) if preds else None)
    body = "".join(cluster_xml(ctx, cl[i]) for i in items)
    return "%s<DBClusters>%s</DBClusters>" % (el("Marker", marker), body) if body else \
        "%s<DBClusters/>" % el("Marker", marker)


SNAPSHOT_TYPES = ("automated", "manual", "shared", "public")


def describe_db_cluster_snapshots(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    r.cluster_describe_count += 1
    settle(m, r, ctx.now)
    filters = p.filters({"db-cluster-id", "db-cluster-snapshot-id", "snapshot-type", "engine"})
    preds = []
    if p.get("DBClusterSnapshotIdentifier"):
        sid = find_cluster_snapshot(ctx, p.get("DBClusterSnapshotIdentifier"))["id"]
        preds.append(lambda s: s["id"] == sid)
    if p.get("DBClusterIdentifier"):
        v = p.get("DBClusterIdentifier")
        a = parse_arn(v, "cluster") if v.startswith("arn:") else None
        cid = a[3].lower() if a else v.lower()
        preds.append(lambda s: s["cluster"] == cid)
    if p.get("SnapshotType"):
        t = p.get("SnapshotType")
        if t not in SNAPSHOT_TYPES:
            raise AwsError("InvalidParameterValue", "Invalid snapshot type: %s. Valid values: %s"
                           % (t, ", ".join(SNAPSHOT_TYPES)))
        preds.append(lambda s: s["type"] == t)
    for name, key in (("db-cluster-id", "cluster"), ("db-cluster-snapshot-id", "id"), ("snapshot-type", "type"),
                      ("engine", "engine")):
        if name in filters:
            vals = set(v if key in ("type", "engine") or v.startswith("rds:") else v.lower() for v in filters[name])
            preds.append(lambda s, key=key, vals=vals: s[key] in vals)
    snaps = r.cluster_snapshots
    items, marker = page(p, sorted(snaps), (lambda i: all(f(snaps[i]) for f in preds)) if preds else None)
    body = "".join(snapshot_xml(ctx, snaps[i]) for i in items)
    return "%s<DBClusterSnapshots>%s</DBClusterSnapshots>" % (el("Marker", marker), body) if body else \
        "%s<DBClusterSnapshots/>" % el("Marker", marker)


# ---- clusters ----

def modify_db_cluster(ctx):
    from rds import _overlap
    from inventory import parse_maintenance_window
    m, r, p = ctx.m, ctx.r, ctx.p
    settle(m, r, ctx.now)
    c = find_cluster(ctx, p.req("DBClusterIdentifier"))
    ret = p.int("BackupRetentionPeriod", None, 1, 35,
                what="Invalid backup retention period %s: must be a value from 1 to 35 days."
                % p.get("BackupRetentionPeriod"))
    bw = p.get("PreferredBackupWindow")
    copy_tags = p.bool("CopyTagsToSnapshot")
    protect = p.bool("DeletionProtection")
    p.bool("ApplyImmediately", False)  # the settings above are applied at once either way, as RDS does
    if c["status"] != "available":
        raise AwsError("InvalidDBClusterStateFault", "DB cluster %s is not in the available state (it is %s)."
                       % (c["id"], c["status"]))
    if bw is not None:
        w = parse_backup_window(bw)
        if w is None:
            raise AwsError("InvalidParameterValue", "The backup window must be in the format hh24:mi-hh24:mi, in UTC.")
        if w[1] < 30:
            raise AwsError("InvalidParameterValue", "The backup window must be at least 30 minutes.")
        mm = parse_maintenance_window(c["preferredMaintenanceWindow"])
        if mm and _overlap(w, mm):
            raise AwsError("InvalidParameterCombination", "The backup window and maintenance window must not overlap.")
        c["preferredBackupWindow"] = bw
    if ret is not None:
        c["backupRetentionPeriod"] = ret
    if copy_tags is not None:
        c["copyTagsToSnapshot"] = copy_tags
    if protect is not None:
        c["deletionProtection"] = protect
    m.touch()
    return cluster_xml(ctx, c)


# ---- cluster snapshots ----

def _pending(ctx, s, seconds_key, describes_key):
    m, r = ctx.m, ctx.r
    secs = m.config.get(seconds_key)
    n = int(m.config.get(describes_key) or 0)
    s["readyAt"] = (ctx.now + float(secs)) if secs is not None and float(secs) >= 0 else None
    s["readyCount"] = (r.cluster_describe_count + n) if n > 0 else None
    s["startedAt"] = ctx.now
    r.cluster_snapshots[s["id"]] = s
    m.touch()


def create_db_cluster_snapshot(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    settle(m, r, ctx.now)
    sid = _check_id(p.req("DBClusterSnapshotIdentifier"), "DBClusterSnapshotIdentifier")
    c = find_cluster(ctx, p.req("DBClusterIdentifier"))
    tags = p.tags()
    if sid in r.cluster_snapshots:
        raise AwsError("DBClusterSnapshotAlreadyExistsFault",
                       "Cannot create the cluster snapshot because one with the identifier %s already exists." % sid)
    if c["status"] != "available":
        raise AwsError("InvalidDBClusterStateFault", "Cannot create a snapshot because the DB cluster %s is not "
                       "currently in the available state." % c["id"])
    _quota_check(ctx)
    s = _from_cluster(m, r, c, sid, "manual", ctx.now)
    # CopyTagsToSnapshot copies the cluster's tags unless the call brings its own
    s["tags"] = tags if tags else (dict(c["tags"]) if c["copyTagsToSnapshot"] else {})
    _pending(ctx, s, "createSeconds", "createDescribes")
    return snapshot_xml(ctx, s)


def copy_db_cluster_snapshot(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    settle(m, r, ctx.now)
    src_ident = p.req("SourceDBClusterSnapshotIdentifier")
    target = _check_id(p.req("TargetDBClusterSnapshotIdentifier"), "TargetDBClusterSnapshotIdentifier")
    tags = p.tags()
    copy_tags = p.bool("CopyTags", False)
    if src_ident.startswith("arn:"):
        a = parse_arn(src_ident, "cluster-snapshot")
        if not a:
            raise AwsError("InvalidParameterValue", "Invalid source DB cluster snapshot ARN: %s" % src_ident)
        if a[1] != m.account:
            raise _snapshot_not_found(src_ident)
        src_region, src_id = a[0], a[3]
    else:
        src_region, src_id = ctx.region, src_ident
    src_id = src_id if src_id.startswith("rds:") else src_id.lower()
    cross = src_region != ctx.region
    sr = m.regions.get(src_region)
    if sr is not None:
        settle(m, sr, ctx.now)
    src = sr.cluster_snapshots.get(src_id) if sr else None
    if src is None:
        raise _snapshot_not_found(src_ident)
    if target in r.cluster_snapshots:
        raise AwsError("DBClusterSnapshotAlreadyExistsFault",
                       "Cannot copy the cluster snapshot because one with the identifier %s already exists." % target)
    if src["status"] != "available":
        raise AwsError("InvalidDBClusterSnapshotStateFault",
                       "DB cluster snapshot %s is not in the available state (it is %s)." % (src_id, src["status"]))
    kms_arn = copy_key(ctx, p, src, cross, src_region, "CopyDBClusterSnapshot", "SourceDBClusterSnapshotIdentifier",
                       src_ident, "DB cluster snapshot")
    if cross:
        limit = int(m.config.get("copyLimit", 20))
        inflight = sum(1 for s in r.cluster_snapshots.values() if s.get("crossRegion") and s["status"] in PENDING)
        if inflight >= limit:
            raise AwsError("SnapshotQuotaExceeded", "Cannot copy more than %d DB cluster snapshots across regions"
                           % limit)
    _quota_check(ctx)
    c = dict(src)
    c.update({
        # a copy keeps its source's SnapshotCreateTime and ClusterCreateTime; the ARN says where it came from
        "id": target, "arn": m.arn(ctx.region, "cluster-snapshot", target), "type": "manual", "status": "copying",
        "sourceArn": src["arn"], "crossRegion": cross,
        "encrypted": bool(src.get("encrypted") or kms_arn),
        "kmsKeyId": kms_arn or (src.get("kmsKeyId") if not cross else None),
    })
    t = dict(src.get("tags") or {}) if copy_tags else {}
    t.update(tags)
    c["tags"] = t
    _pending(ctx, c, "copySeconds", "copyDescribes")
    return snapshot_xml(ctx, c)


def delete_db_cluster_snapshot(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    settle(m, r, ctx.now)
    s = find_cluster_snapshot(ctx, p.req("DBClusterSnapshotIdentifier"))
    if s["type"] == "automated":
        raise AwsError("InvalidDBClusterSnapshotStateFault", "Cannot delete automated DB cluster snapshot %s: RDS "
                       "removes it when it leaves the backup retention period." % s["id"])
    if s["status"] not in ("available", "failed"):
        raise AwsError("InvalidDBClusterSnapshotStateFault", "Cannot delete DB cluster snapshot %s: it is %s, not "
                       "available." % (s["id"], s["status"]))
    del r.cluster_snapshots[s["id"]]
    m.touch()
    gone = dict(s)
    gone["status"] = "deleted"
    return snapshot_xml(ctx, gone)


ACTIONS = {
    "DescribeDBClusters": (describe_db_clusters, False),
    "ModifyDBCluster": (modify_db_cluster, True),
    "DescribeDBClusterSnapshots": (describe_db_cluster_snapshots, False),
    "CreateDBClusterSnapshot": (create_db_cluster_snapshot, True),
    "CopyDBClusterSnapshot": (copy_db_cluster_snapshot, True),
    "DeleteDBClusterSnapshot": (delete_db_cluster_snapshot, True),
}
