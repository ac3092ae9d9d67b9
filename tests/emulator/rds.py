"""rds - the RDS Query API (2014-10-31) over the model: the table of actions,
and the instance and automated-backup actions (rds_snapshots.py has the
lookups, the snapshot actions and tags).

Each action is a function (ctx) -> inner XML of <ActionResult> (or None for
actions that answer only ResponseMetadata).  ctx carries the model (m), the
region (r, region), the parameters (p), the emulator time (now) and a
presigned-URL checker.  Errors are raised as AwsError with AWS's codes and
statuses (botocore's RDS model: DBSnapshotNotFound and DBInstanceNotFound
are 404, the rest 400).
"""
import time

from inventory import DAY, AwsError, parse_backup_window, parse_maintenance_window, parse_time
from query import el, page, tag_list, ts
import rds_clusters
from rds_snapshots import (PRESIGN_FAILED, add_tags_to_resource, check_id, copy_db_snapshot, create_db_snapshot,
                           delete_db_snapshot, describe_db_snapshots, find_instance, find_snapshot,
                           list_tags_for_resource, loose_instance_id, parse_arn, quota_check,
                           remove_tags_from_resource, resolve_kms)

NS = "http://rds.amazonaws.com/doc/2014-10-31/"


# ---- rendering ----

def _replications_xml(reps):
    if not reps:
        return "<DBInstanceAutomatedBackupsReplications/>"
    return "<DBInstanceAutomatedBackupsReplications>%s</DBInstanceAutomatedBackupsReplications>" % "".join(
        "<DBInstanceAutomatedBackupsReplication>%s</DBInstanceAutomatedBackupsReplication>"
        % el("DBInstanceAutomatedBackupsArn", x["arn"]) for x in reps)


def instance_xml(ctx, d, status=None):
    m, r = ctx.m, ctx.r
    pend = d.get("pending") or {}
    pend_xml = "".join(el(k, v) for k, v in sorted(pend.items()))
    latest = m.latest_restorable(r, d, ctx.now) if r.instances.get(d["id"]) is d else None
    return "".join((
        "<DBInstance>",
        el("DBInstanceIdentifier", d["id"]),
        el("DBInstanceClass", d["class"]),
        el("Engine", d["engine"]),
        el("DBInstanceStatus", status or d["status"]),
        el("MasterUsername", d.get("masterUsername", "admin")),
        el("DBName", (d.get("database") or {}).get("name")),
        _endpoint_xml(ctx, d),
        el("AllocatedStorage", d["allocatedStorage"]),
        ts("InstanceCreateTime", d["created"]),
        el("PreferredBackupWindow", d["preferredBackupWindow"]),
        el("BackupRetentionPeriod", _retention_of(r, d)),
        "<DBSecurityGroups/><VpcSecurityGroups/>",
        el("AvailabilityZone", d.get("availabilityZone")),
        el("PreferredMaintenanceWindow", d["preferredMaintenanceWindow"]),
        "<PendingModifiedValues>%s</PendingModifiedValues>" % pend_xml if pend_xml else "<PendingModifiedValues/>",
        ts("LatestRestorableTime", latest),
        el("MultiAZ", bool(d.get("multiAZ"))),
        el("EngineVersion", d["engineVersion"]),
        el("AutoMinorVersionUpgrade", True),
        "<ReadReplicaDBInstanceIdentifiers/>",
        el("LicenseModel", "general-public-license" if "mysql" in d["engine"] else "postgresql-license"),
        el("PubliclyAccessible", False),
        el("StorageType", "gp3"),
        el("DbInstancePort", 0),
        el("StorageEncrypted", bool(d["storageEncrypted"])),
        el("KmsKeyId", d.get("kmsKeyId") if d["storageEncrypted"] else None),
        el("DbiResourceId", d["dbiResourceId"]),
        el("DBClusterIdentifier", d.get("cluster")),
        el("CACertificateIdentifier", "rds-ca-rsa2048-g1"),
        el("CopyTagsToSnapshot", bool(d["copyTagsToSnapshot"])),
        el("MonitoringInterval", 0),
        el("DBInstanceArn", d["arn"]),
        el("IAMDatabaseAuthenticationEnabled", False),
        el("DeletionProtection", bool(d["deletionProtection"])),
        tag_list(d.get("tags")),
        _replications_xml(d.get("replications")),
        el("AwsBackupRecoveryPointArn", d.get("awsBackupRecoveryPointArn")),
        el("BackupTarget", "region"),
        "</DBInstance>",
    ))


def _retention_of(r, d):
    """An Aurora member reports its cluster's BackupRetentionPeriod: the cluster keeps the backups."""
    c = r.clusters.get(d["cluster"]) if d.get("cluster") else None
    return c["backupRetentionPeriod"] if c else d["backupRetentionPeriod"]


def _endpoint_xml(ctx, d):
    if d.get("database"):
        # a real server (pg.py): its loopback address, once it accepts connections
        if not d.get("pgPort") or d["status"] in ("creating", "starting", "failed", "incompatible-restore"):
            return ""
        return "<Endpoint>%s%s%s</Endpoint>" % (el("Address", "127.0.0.1"), el("Port", d["pgPort"]),
                                                el("HostedZoneId", "Z2R2ITUGPM61AM"))
    if d["status"] == "creating":
        return ""
    return "<Endpoint>%s%s%s</Endpoint>" % (
        el("Address", "%s.c0ffee123456.%s.rds.amazonaws.com" % (d["id"], ctx.region)),
        el("Port", d["port"]), el("HostedZoneId", "Z2R2ITUGPM61AM"))


def native_backup(ctx, r, d):
    """The automated-backup record of a live instance with backups enabled, as a dict."""
    m = ctx.m
    return {
        "arn": d["automatedBackupsArn"], "instanceArn": d["arn"], "instanceId": d["id"],
        "dbiResourceId": d["dbiResourceId"], "region": r.name, "status": "active",
        "kmsKeyId": d.get("kmsKeyId"), "encrypted": d["storageEncrypted"],
        "retention": d["backupRetentionPeriod"], "earliest": m.earliest_restorable(r, d, ctx.now),
        "latest": m.latest_restorable(r, d, ctx.now), "engine": d["engine"], "engineVersion": d["engineVersion"],
        "allocatedStorage": d["allocatedStorage"], "port": d["port"], "instanceCreated": d["created"],
        "availabilityZone": d.get("availabilityZone"), "replications": d.get("replications") or [],
    }


def replicated_window(ctx, b):
    """A replicated backup follows its source's restore window, from when replication began."""
    if b["status"] != "replicating":
        return b.get("earliest"), b.get("latest")
    src = ctx.m.regions.get(b["region"])
    d = src.instances.get(b["instanceId"]) if src else None
    if d is None or d["arn"] != b["instanceArn"]:
        return b.get("earliest"), b.get("latest")
    latest = ctx.m.latest_restorable(src, d, ctx.now)
    earliest = max(b["created"], ctx.now - b["retention"] * DAY)
    if latest is not None and earliest > latest:
        earliest = latest
    return earliest, latest


def backup_xml(ctx, b):
    earliest, latest = replicated_window(ctx, b) if "created" in b else (b.get("earliest"), b.get("latest"))
    window = ("<RestoreWindow>%s%s</RestoreWindow>" % (ts("EarliestTime", earliest), ts("LatestTime", latest))
              if earliest or latest else "<RestoreWindow/>")
    return "".join((
        "<DBInstanceAutomatedBackup>",
        el("DBInstanceArn", b["instanceArn"]),
        el("DbiResourceId", b["dbiResourceId"]),
        el("Region", b["region"]),
        el("DBInstanceIdentifier", b["instanceId"]),
        window,
        el("AllocatedStorage", b.get("allocatedStorage")),
        el("Status", b["status"]),
        el("Port", b.get("port")),
        el("AvailabilityZone", b.get("availabilityZone")),
        ts("InstanceCreateTime", b.get("instanceCreated")),
        el("MasterUsername", "admin"),
        el("Engine", b.get("engine")),
        el("EngineVersion", b.get("engineVersion")),
        el("LicenseModel", "general-public-license" if "mysql" in (b.get("engine") or "") else "postgresql-license"),
        el("Encrypted", bool(b.get("encrypted"))),
        el("StorageType", "gp3"),
        el("KmsKeyId", b.get("kmsKeyId") if b.get("encrypted") else None),
        el("IAMDatabaseAuthenticationEnabled", False),
        el("BackupRetentionPeriod", b.get("retention")),
        el("DBInstanceAutomatedBackupsArn", b["arn"]),
        _replications_xml(b.get("replications")),
        el("BackupTarget", "region"),
        "</DBInstanceAutomatedBackup>",
    ))


# ---- describe ----

def describe_db_instances(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    m.count_describe_instances(r)
    filters = p.filters({"db-instance-id", "dbi-resource-id", "engine", "db-cluster-id", "domain"})
    ids = r.inst_ids
    preds = []
    if p.get("DBInstanceIdentifier"):
        d = find_instance(ctx, p.get("DBInstanceIdentifier"))
        ids = [d["id"]]
    if "db-instance-id" in filters:
        want = {loose_instance_id(ctx, v) for v in filters["db-instance-id"]}
        preds.append(lambda d: d["id"] in want)
    if "dbi-resource-id" in filters:
        dbis = set(filters["dbi-resource-id"])
        preds.append(lambda d: d["dbiResourceId"] in dbis)
    if "engine" in filters:
        engines = set(filters["engine"])
        preds.append(lambda d: d["engine"] in engines)
    if "db-cluster-id" in filters:
        clusters = {v.lower() for v in filters["db-cluster-id"]}
        preds.append(lambda d: d.get("cluster") in clusters or (d.get("cluster") and ctx.m.arn(
            ctx.region, "cluster", d["cluster"]) in filters["db-cluster-id"]))
    if "domain" in filters:
        preds.append(lambda d: False)
    insts = r.instances
    pred = (lambda i: all(f(insts[i]) for f in preds)) if preds else None
    items, marker = page(p, ids, pred)
    body = "".join(instance_xml(ctx, insts[i]) for i in items)
    return "%s<DBInstances>%s</DBInstances>" % (el("Marker", marker), body) if body else \
        "%s<DBInstances/>" % el("Marker", marker)


def _backups_in_region(ctx):
    r = ctx.r
    out = {}
    for d in r.instances.values():
        if d["backupRetentionPeriod"] > 0 and d.get("automatedBackupsArn") and d["status"] != "creating":
            b = native_backup(ctx, r, d)
            out[b["arn"]] = b
    for b in r.backups.values():
        out[b["arn"]] = b
    return out


def describe_db_instance_automated_backups(ctx):
    p = ctx.p
    filters = p.filters({"status", "db-instance-id", "dbi-resource-id"})
    allb = _backups_in_region(ctx)
    preds = []
    if p.get("DBInstanceAutomatedBackupsArn"):
        arn = p.get("DBInstanceAutomatedBackupsArn")
        if arn not in allb:
            raise AwsError("DBInstanceAutomatedBackupNotFound",
                           "Automated backup %s not found." % arn, 404)
        preds.append(lambda b: b["arn"] == arn)
    if p.get("DbiResourceId"):
        dbi = p.get("DbiResourceId")
        if not any(b["dbiResourceId"] == dbi for b in allb.values()):
            raise AwsError("DBInstanceAutomatedBackupNotFound",
                           "No automated backup found for DbiResourceId %s." % dbi, 404)
        preds.append(lambda b: b["dbiResourceId"] == dbi)
    if p.get("DBInstanceIdentifier"):
        iid = p.get("DBInstanceIdentifier").lower()
        preds.append(lambda b: b["instanceId"] == iid)
    if "status" in filters:
        sts = set(filters["status"])
        preds.append(lambda b: b["status"] in sts)
    if "db-instance-id" in filters:
        want = set(v.lower() for v in filters["db-instance-id"])
        preds.append(lambda b: b["instanceId"] in want or b["instanceArn"] in want)
    if "dbi-resource-id" in filters:
        dbis = set(filters["dbi-resource-id"])
        preds.append(lambda b: b["dbiResourceId"] in dbis)
    ids = sorted(allb)
    items, marker = page(p, ids, (lambda a: all(f(allb[a]) for f in preds)) if preds else None)
    body = "".join(backup_xml(ctx, allb[a]) for a in items)
    return "%s<DBInstanceAutomatedBackups>%s</DBInstanceAutomatedBackups>" % (el("Marker", marker), body) \
        if body else "%s<DBInstanceAutomatedBackups/>" % el("Marker", marker)


# ---- instances ----

def modify_db_instance(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    d = find_instance(ctx, p.req("DBInstanceIdentifier"))
    apply_now = p.bool("ApplyImmediately", False)
    ret = p.int("BackupRetentionPeriod", None, 0, 35,
                what="Invalid backup retention period %s: must be a value from 0 to 35 days."
                % p.get("BackupRetentionPeriod"))
    bw = p.get("PreferredBackupWindow")
    mw = p.get("PreferredMaintenanceWindow")
    copy_tags = p.bool("CopyTagsToSnapshot")
    protect = p.bool("DeletionProtection")
    if d["status"] not in ("available", "backing-up", "modifying", "storage-optimization"):
        raise AwsError("InvalidDBInstanceState", "Database instance is not in available state.")
    if d.get("cluster") and (ret is not None or bw is not None or copy_tags is not None):
        raise AwsError("InvalidParameterCombination", "The requested DB Instance is a member of a DB Cluster. Set "
                       "backup retention period, backup window and copy-tags-to-snapshot for the DB Cluster.")
    if bw is not None:
        w = parse_backup_window(bw)
        if w is None:
            raise AwsError("InvalidParameterValue", "The backup window must be in the format hh24:mi-hh24:mi, in UTC.")
        if w[1] < 30:
            raise AwsError("InvalidParameterValue", "The backup window must be at least 30 minutes.")
    if mw is not None:
        w = parse_maintenance_window(mw)
        if w is None:
            raise AwsError("InvalidParameterValue",
                           "The maintenance window must be in the format ddd:hh24:mi-ddd:hh24:mi, in UTC.")
        if w[1] < 30:
            raise AwsError("InvalidParameterValue", "The maintenance window must be at least 30 minutes.")
    if bw is not None or mw is not None:
        b = parse_backup_window(bw or d["preferredBackupWindow"])
        mm = parse_maintenance_window(mw or d["preferredMaintenanceWindow"])
        if b and mm and _overlap(b, mm):
            raise AwsError("InvalidParameterCombination", "The backup window and maintenance window must not overlap.")
    pending_other = {}
    if p.get("DBInstanceClass"):
        pending_other["DBInstanceClass"] = p.get("DBInstanceClass")
    storage = p.int("AllocatedStorage", None, 20, 65536)
    if storage is not None:
        if storage < d["allocatedStorage"]:
            raise AwsError("InvalidParameterCombination", "Invalid storage size: you can't reduce allocated storage.")
        pending_other["AllocatedStorage"] = storage
    if p.get("EngineVersion"):
        pending_other["EngineVersion"] = p.get("EngineVersion")
    multi = p.bool("MultiAZ")
    if multi is not None:
        pending_other["MultiAZ"] = multi

    # settings RDS applies at once, asynchronously, whatever ApplyImmediately says
    if bw is not None:
        d["preferredBackupWindow"] = bw
    if mw is not None:
        d["preferredMaintenanceWindow"] = mw
    if copy_tags is not None:
        d["copyTagsToSnapshot"] = copy_tags
    if protect is not None:
        d["deletionProtection"] = protect
    pend = d["pending"]
    if ret is not None:
        cur = d["backupRetentionPeriod"]
        if ret == cur:
            pend.pop("BackupRetentionPeriod", None)
        elif (cur > 0 and ret > 0) or apply_now:
            pend.pop("BackupRetentionPeriod", None)
            m.set_retention(r, d, ret, ctx.now)
        else:
            pend["BackupRetentionPeriod"] = ret  # 0 <-> non-zero: an outage, so at the maintenance window
    for k, v in pending_other.items():
        if apply_now:
            field = {"DBInstanceClass": "class", "AllocatedStorage": "allocatedStorage",
                     "EngineVersion": "engineVersion", "MultiAZ": "multiAZ"}[k]
            d[field] = v
            pend.pop(k, None)
        else:
            pend[k] = v
    if apply_now and pend:
        m.apply_pending(r, d, ctx.now)
    m.schedule_instance(r, d, ctx.now)
    m.touch()
    return instance_xml(ctx, d)


def _overlap(b, mwin):
    """Does a daily window (start, length) overlap a weekly one (start, length)?  In minutes."""
    bs, bl = b
    ms, ml = mwin
    week = 7 * 1440
    for day in range(-1, 8):
        start = day * 1440 + bs
        for mstart in (ms - week, ms, ms + week):
            if start < mstart + ml and mstart < start + bl:
                return True
    return False


def _new_instance(ctx, iid, base, p, now):
    m, r = ctx.m, ctx.r
    spec = dict(base)
    spec["id"] = iid
    spec["created"] = now
    spec["tags"] = p.tags()
    if p.get("DBInstanceClass"):
        spec["class"] = p.get("DBInstanceClass")
    spec["deletionProtection"] = p.bool("DeletionProtection", False)
    spec["copyTagsToSnapshot"] = p.bool("CopyTagsToSnapshot", False)
    spec["multiAZ"] = p.bool("MultiAZ", False)
    spec["status"] = "available"
    d = m.make_instance(ctx.region, spec, now)
    d["backupsSince"] = None
    m.start_pending_instance(r, d, now)
    r.add_instance(d)
    m.schedule_instance(r, d, now)
    m.touch()
    return d


def _instance_base_from(d):
    return {k: d.get(k) for k in ("engine", "engineVersion", "class", "allocatedStorage", "port", "storageEncrypted",
                                  "kmsKeyId", "backupRetentionPeriod", "preferredBackupWindow",
                                  "preferredMaintenanceWindow", "masterUsername", "database")
            if d.get(k) is not None}


def restore_db_instance_from_db_snapshot(ctx):
    r, p = ctx.r, ctx.p
    iid = check_id(p.req("DBInstanceIdentifier"), "DBInstanceIdentifier", 63)
    s = find_snapshot(ctx, p.req("DBSnapshotIdentifier"))
    if iid in r.instances:
        raise AwsError("DBInstanceAlreadyExists", "DB instance already exists")
    if s["status"] != "available":
        raise AwsError("InvalidDBSnapshotState", "Snapshot %s is not available (it is %s)." % (s["id"], s["status"]))
    src = r.instances.get(s["instance"])
    base = _instance_base_from(src) if src else {}
    base.update({"engine": s["engine"], "engineVersion": s["engineVersion"], "allocatedStorage":
                 s["allocatedStorage"], "storageEncrypted": bool(s.get("encrypted")), "kmsKeyId": s.get("kmsKeyId")})
    base.setdefault("backupRetentionPeriod", 1)
    base.pop("database", None)
    if s.get("pgDir"):
        base["database"] = dict(s["database"])  # the snapshot's database, user and password, as RDS
    d = _new_instance(ctx, iid, base, p, ctx.now)
    d["restoredFrom"] = s["arn"]
    if s.get("pgDir"):
        d["pgRestore"] = {"kind": "snapshot", "base": s["pgDir"]}
    return instance_xml(ctx, d)


def restore_db_instance_to_point_in_time(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    target = check_id(p.req("TargetDBInstanceIdentifier"), "TargetDBInstanceIdentifier", 63)
    src = None
    if p.get("SourceDBInstanceIdentifier"):
        src = find_instance(ctx, p.get("SourceDBInstanceIdentifier"))
    elif p.get("SourceDbiResourceId"):
        dbi = p.get("SourceDbiResourceId")
        src = next((d for d in r.instances.values() if d["dbiResourceId"] == dbi), None)
        if src is None:
            raise AwsError("DBInstanceNotFound", "DBInstance with DbiResourceId %s not found." % dbi, 404)
    elif p.get("SourceDBInstanceAutomatedBackupsArn"):
        arn = p.get("SourceDBInstanceAutomatedBackupsArn")
        b = r.backups.get(arn)
        if b is None:
            raise AwsError("DBInstanceAutomatedBackupNotFound", "Automated backup %s not found." % arn, 404)
        earliest, latest = replicated_window(ctx, b) if "created" in b else (b.get("earliest"), b.get("latest"))
        base = {"engine": b["engine"], "engineVersion": b["engineVersion"], "allocatedStorage":
                b["allocatedStorage"], "storageEncrypted": bool(b.get("encrypted")), "kmsKeyId": b.get("kmsKeyId"),
                "backupRetentionPeriod": 1}
        return _pitr(ctx, target, base, earliest, latest, arn)
    else:
        raise AwsError("InvalidParameterCombination", "One of SourceDBInstanceIdentifier, SourceDbiResourceId or "
                       "SourceDBInstanceAutomatedBackupsArn is required.")
    if src["backupRetentionPeriod"] <= 0:
        raise AwsError("PointInTimeRestoreNotEnabled",
                       "Source database instance %s doesn't have automated backups enabled." % src["id"])
    earliest = m.earliest_restorable(r, src, ctx.now)
    latest = m.latest_restorable(r, src, ctx.now)
    return _pitr(ctx, target, _instance_base_from(src), earliest, latest, src["arn"],
                 src if src.get("database") else None)


def _pitr(ctx, target, base, earliest, latest, source, pg_src=None):
    """A point-in-time restore.  pg_src: a database-backed source, whose window is on the wall clock and whose
    restore is real (pg.py): its newest base backup before the time, then its archived WAL up to the time."""
    p, r = ctx.p, ctx.r
    if target in r.instances:
        raise AwsError("DBInstanceAlreadyExists", "DB instance already exists")
    use_latest = p.bool("UseLatestRestorableTime", False)
    when = p.get("RestoreTime")
    if use_latest and when:
        raise AwsError("InvalidParameterCombination",
                       "RestoreTime and UseLatestRestorableTime cannot be specified together.")
    if not use_latest and not when:
        raise AwsError("InvalidParameterCombination", "Either RestoreTime or UseLatestRestorableTime is required.")
    if latest is None:
        raise AwsError("InvalidDBInstanceState", "The source has no restorable time yet.")
    if when:
        try:
            t = parse_time(when)
        except ValueError:
            raise AwsError("InvalidParameterValue", "Invalid RestoreTime: %s" % when) from None
        if t < earliest or t > latest:
            raise AwsError("InvalidRestoreFault", "The restore time %s is outside the restorable window %s - %s."
                           % (when, _iso(earliest), _iso(latest)))
    else:
        t = latest
    pg_base = None
    if pg_src is not None:
        pg_base = ctx.m.pg_base_for(r, pg_src, t)
        if pg_base is None:
            raise AwsError("InvalidRestoreFault", "No base backup of %s ends before %s." % (pg_src["id"], _iso(t)))
    d = _new_instance(ctx, target, base, p, ctx.now)
    d["restoredFrom"] = source
    if pg_base is not None:
        d["pgRestore"] = {"kind": "pitr", "base": pg_base["pgDir"], "target": t,
                          "wal": "instances/%s/wal" % pg_src["dbiResourceId"]}
    return instance_xml(ctx, d)


def _iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def delete_db_instance(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    d = find_instance(ctx, p.req("DBInstanceIdentifier"))
    skip = p.bool("SkipFinalSnapshot", False)
    final = p.get("FinalDBSnapshotIdentifier")
    keep_backups = not p.bool("DeleteAutomatedBackups", True)
    if d["deletionProtection"]:
        raise AwsError("InvalidParameterCombination",
                       "Cannot delete protected DB Instance, please disable deletion protection and try again.")
    if skip and final:
        raise AwsError("InvalidParameterCombination",
                       "Cannot specify FinalDBSnapshotIdentifier when SkipFinalSnapshot is true.")
    if not skip and not final:
        raise AwsError("InvalidParameterCombination",
                       "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
    if d["status"] == "deleting":
        raise AwsError("InvalidDBInstanceState", "Instance %s is already being deleted." % d["id"])
    if final:
        fid = check_id(final, "FinalDBSnapshotIdentifier", 255)
        if fid in r.snapshots:
            raise AwsError("DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the "
                           "identifier %s already exists." % fid)
        quota_check(ctx)
        s = m.snapshot_from_instance(r, d, fid, "manual", ctx.now)
        s["tags"] = dict(d["tags"]) if d["copyTagsToSnapshot"] else {}
        m.add_pending(r, s, "createSeconds", "createDescribes", ctx.now)
    if d["backupRetentionPeriod"] > 0 and d.get("automatedBackupsArn") and keep_backups:
        b = native_backup(ctx, r, d)
        b["status"] = "retained"
        b["replications"] = []
        r.backups[b["arn"]] = b
    if not keep_backups:
        for sid in list(r.auto_by_inst.get(d["id"], ())):
            r.remove_snapshot(sid)
    for rep in d.get("replications") or []:
        dr = m.regions.get(rep["region"])
        b = dr.backups.get(rep["arn"]) if dr else None
        if b is not None:
            b["earliest"], b["latest"] = replicated_window(ctx, b)
            b["status"] = "retained"
    xml = instance_xml(ctx, d, status="deleting")
    r.remove_instance(d["id"])
    m.touch()
    return xml


# ---- automated backup replication ----

def _source_instance(ctx, arn):
    a = parse_arn(arn, "db")
    if not a:
        raise AwsError("InvalidParameterValue", "Invalid SourceDBInstanceArn: %s" % arn)
    sr = ctx.m.regions.get(a[0])
    d = sr.instances.get(a[3].lower()) if sr and a[1] == ctx.m.account else None
    if d is None:
        raise AwsError("DBInstanceNotFound", "DBInstance %s not found." % arn, 404)
    return sr, d


def start_db_instance_automated_backups_replication(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    arn = p.req("SourceDBInstanceArn")
    sr, d = _source_instance(ctx, arn)
    if sr.name == ctx.region:
        raise AwsError("InvalidParameterValue",
                       "The destination region must differ from the source instance's region %s." % sr.name)
    ret = p.int("BackupRetentionPeriod", 7, 1, 35,
                what="Invalid backup retention period %s: must be a value from 1 to 35 days."
                % p.get("BackupRetentionPeriod"))
    if d["backupRetentionPeriod"] <= 0:
        raise AwsError("InvalidDBInstanceState",
                       "Automated backups are not enabled for DB instance %s." % d["id"])
    if d.get("replications"):
        raise AwsError("InvalidDBInstanceState", "DB instance %s already replicates its automated backups to %s."
                       % (d["id"], d["replications"][0]["region"]))
    kms = p.get("KmsKeyId")
    if d["storageEncrypted"] and not kms:
        raise AwsError("InvalidParameterValue", "KmsKeyId is required to replicate the automated backups of an "
                       "encrypted DB instance: KMS keys are specific to the region they are created in.")
    url = p.get("PreSignedUrl")
    if url or d["storageEncrypted"]:
        if not url:
            ctx.note("PreSignedUrl missing for an encrypted source")
            raise AwsError("InvalidParameterValue", PRESIGN_FAILED)
        why = ctx.check_presigned(url, "StartDBInstanceAutomatedBackupsReplication", sr.name,
                                  {"SourceDBInstanceArn": arn})
        if why:
            ctx.note("PreSignedUrl refused: " + why)
            raise AwsError("InvalidParameterValue", PRESIGN_FAILED)
    kms_arn = resolve_kms(ctx, kms) if kms else None
    b = native_backup(ctx, sr, d)
    b.update({"arn": m.new_backup_arn(ctx.region), "status": "replicating", "retention": ret,
              "kmsKeyId": kms_arn, "encrypted": d["storageEncrypted"], "created": ctx.now,
              "replications": [], "region": sr.name})
    r.backups[b["arn"]] = b
    d.setdefault("replications", []).append({"arn": b["arn"], "region": ctx.region})
    m.touch()
    return backup_xml(ctx, b)


def stop_db_instance_automated_backups_replication(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    arn = p.req("SourceDBInstanceArn")
    sr, d = _source_instance(ctx, arn)
    b = next((x for x in r.backups.values() if x["instanceArn"] == d["arn"] and x["status"] == "replicating"), None)
    if b is None:
        raise AwsError("InvalidDBInstanceState", "DB instance %s does not replicate its automated backups to %s."
                       % (d["id"], ctx.region))
    b["earliest"], b["latest"] = replicated_window(ctx, b)
    b["status"] = "retained"
    d["replications"] = [x for x in d.get("replications") or [] if x["arn"] != b["arn"]]
    m.touch()
    return backup_xml(ctx, b)


def delete_db_instance_automated_backup(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    arn = p.get("DBInstanceAutomatedBackupsArn")
    dbi = p.get("DbiResourceId")
    if not arn and not dbi:
        raise AwsError("InvalidParameterCombination", "DbiResourceId or DBInstanceAutomatedBackupsArn is required.")
    allb = _backups_in_region(ctx)
    b = allb.get(arn) if arn else next((x for x in allb.values() if x["dbiResourceId"] == dbi), None)
    if b is None:
        raise AwsError("DBInstanceAutomatedBackupNotFound", "Automated backup %s not found." % (arn or dbi), 404)
    if b["status"] != "retained":
        raise AwsError("InvalidDBInstanceAutomatedBackupState",
                       "Automated backup %s is %s; only retained automated backups can be deleted."
                       % (b["arn"], b["status"]))
    del r.backups[b["arn"]]
    m.touch()
    gone = dict(b)
    gone["status"] = "deleting"
    return backup_xml(ctx, gone)


ACTIONS = {
    "DescribeDBInstances": (describe_db_instances, False),
    "ModifyDBInstance": (modify_db_instance, True),
    "DescribeDBSnapshots": (describe_db_snapshots, False),
    "CreateDBSnapshot": (create_db_snapshot, True),
    "CopyDBSnapshot": (copy_db_snapshot, True),
    "DeleteDBSnapshot": (delete_db_snapshot, True),
    "AddTagsToResource": (add_tags_to_resource, True),
    "RemoveTagsFromResource": (remove_tags_from_resource, True),
    "ListTagsForResource": (list_tags_for_resource, False),
    "DescribeDBInstanceAutomatedBackups": (describe_db_instance_automated_backups, False),
    "StartDBInstanceAutomatedBackupsReplication": (start_db_instance_automated_backups_replication, True),
    "StopDBInstanceAutomatedBackupsReplication": (stop_db_instance_automated_backups_replication, True),
    "DeleteDBInstanceAutomatedBackup": (delete_db_instance_automated_backup, True),
    "RestoreDBInstanceFromDBSnapshot": (restore_db_instance_from_db_snapshot, True),
    "RestoreDBInstanceToPointInTime": (restore_db_instance_to_point_in_time, True),
    "DeleteDBInstance": (delete_db_instance, True),
}
ACTIONS.update(rds_clusters.ACTIONS)
