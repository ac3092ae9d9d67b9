"""rds_snapshots - the lookups every RDS action uses, and the snapshot
actions: DescribeDBSnapshots, CreateDBSnapshot, CopyDBSnapshot,
DeleteDBSnapshot, and the tags of snapshots and instances.

rds.py has the instance and automated-backup actions and the table of
actions; its docstring says what an action and its ctx are.
"""
from inventory import AwsError, pg_snapshot_dir, valid_identifier
from query import el, page, tag_list, ts

SNAPSHOT_TYPES = ("automated", "manual", "shared", "public", "awsbackup")
BAD_ID = ("The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only "
          "ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.")
PRESIGN_FAILED = "PreSignedUrl could not be authenticated."


# ---- lookups ----

def parse_arn(arn, kind=None):
    """arn:aws:rds:region:account:kind:id -> (region, account, kind, id) or None."""
    parts = arn.split(":", 6)
    if len(parts) != 7 or parts[0] != "arn" or parts[2] != "rds" or not parts[3] or not parts[6]:
        return None
    if kind and parts[5] != kind:
        return None
    return parts[3], parts[4], parts[5], parts[6]


def _not_in_region(ctx, arn):
    raise AwsError("InvalidParameterValue",
                   "The specified resource name does not match an RDS resource in this region.")


def instance_id_of(ctx, ident):
    if ident.startswith("arn:"):
        a = parse_arn(ident, "db")
        if not a:
            raise AwsError("InvalidParameterValue", "Invalid database identifier: %s" % ident)
        if a[0] != ctx.region or a[1] != ctx.m.account:
            raise AwsError("DBInstanceNotFound", "DBInstance %s not found." % ident, 404)
        return a[3].lower()
    return ident.lower()


def find_instance(ctx, ident):
    iid = instance_id_of(ctx, ident)
    d = ctx.r.instances.get(iid)
    if d is None:
        raise AwsError("DBInstanceNotFound", "DBInstance %s not found." % ident, 404)
    return d


def snapshot_id_of(ctx, ident):
    if ident.startswith("arn:"):
        a = parse_arn(ident, "snapshot")
        if not a:
            raise AwsError("InvalidParameterValue", "Invalid snapshot identifier: %s" % ident)
        if a[0] != ctx.region or a[1] != ctx.m.account:
            raise AwsError("DBSnapshotNotFound", "DBSnapshot %s not found." % ident, 404)
        ident = a[3]
    return ident if ident.startswith("rds:") else ident.lower()


def find_snapshot(ctx, ident):
    s = ctx.r.snapshots.get(snapshot_id_of(ctx, ident))
    if s is None:
        raise AwsError("DBSnapshotNotFound", "DBSnapshot %s not found." % ident, 404)
    return s


def check_id(value, param, maxlen):
    if not valid_identifier(value, maxlen):
        raise AwsError("InvalidParameterValue", BAD_ID % param)
    return value.lower()


def resolve_kms(ctx, key):
    """A KMS key id, alias or ARN usable in ctx.region -> the key ARN; other regions' keys are refused."""
    m, region = ctx.m, ctx.region
    r = ctx.r
    refuse = AwsError("KMSKeyNotAccessibleFault",
                      "The specified KMS key [%s] does not exist, is not enabled or you do not have permissions "
                      "to access it in %s." % (key, region))
    if key.startswith("arn:"):
        parts = key.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or parts[3] != region:
            raise refuse
        res = parts[5]
        if res.startswith("alias/"):
            if res not in r.kms_keys and res != "alias/aws/rds":
                raise refuse
            return m.kms_key_arn(region, res)
        return key
    if key.startswith("alias/"):
        if key not in r.kms_keys and key != "alias/aws/rds":
            raise refuse
        return m.kms_key_arn(region, key)
    return "arn:aws:kms:%s:%s:key/%s" % (region, m.account, key)


def quota_check(ctx, adding=1):
    q = ctx.m.quota(ctx.region)
    if ctx.r.manual_count() + adding > q:
        raise AwsError("SnapshotQuotaExceeded", "Cannot create more than %d manual snapshots" % q)


# ---- rendering ----

def snapshot_xml(ctx, s):
    st = s["status"]
    if st == "available":
        progress = 100
    elif s.get("readyAt") and s.get("startedAt") is not None and s["readyAt"] > s["startedAt"]:
        progress = max(0, min(99, int(100 * (ctx.now - s["startedAt"]) / (s["readyAt"] - s["startedAt"]))))
    else:
        progress = 0
    created = None if st == "creating" else s["created"]
    return "".join((
        "<DBSnapshot>",
        el("DBSnapshotIdentifier", s["id"]),
        el("DBInstanceIdentifier", s["instance"]),
        ts("SnapshotCreateTime", created),
        el("Engine", s["engine"]),
        el("AllocatedStorage", s["allocatedStorage"]),
        el("Status", st),
        el("Port", s.get("port", 5432)),
        el("AvailabilityZone", s.get("availabilityZone")),
        ts("InstanceCreateTime", s.get("instanceCreated")),
        el("MasterUsername", s.get("masterUsername", "admin")),
        el("EngineVersion", s["engineVersion"]),
        el("LicenseModel", "general-public-license" if "mysql" in s["engine"] else "postgresql-license"),
        el("SnapshotType", s["type"]),
        el("PercentProgress", progress),
        el("SourceRegion", s.get("sourceRegion")),
        el("SourceDBSnapshotIdentifier", s.get("sourceSnapshot")),
        el("StorageType", "gp3"),
        el("Encrypted", bool(s.get("encrypted"))),
        el("KmsKeyId", s.get("kmsKeyId") if s.get("encrypted") else None),
        el("DBSnapshotArn", s["arn"]),
        el("IAMDatabaseAuthenticationEnabled", False),
        "<ProcessorFeatures/>",
        el("DbiResourceId", s.get("dbiResourceId")),
        tag_list(s.get("tags")),
        ts("OriginalSnapshotCreateTime", None if st == "creating" else s.get("originalCreated") or s["created"]),
        el("SnapshotTarget", "region"),
        "</DBSnapshot>",
    ))


# ---- describe ----

def loose_instance_id(ctx, v):
    if v.startswith("arn:"):
        a = parse_arn(v, "db")
        return a[3].lower() if a and a[0] == ctx.region else "\0"
    return v.lower()


def _merge(index, keys):
    if len(keys) == 1:
        return index.get(next(iter(keys)), [])
    out = []
    for k in keys:
        out.extend(index.get(k, ()))
    out.sort()
    return out


def describe_db_snapshots(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    m.count_describe(r)
    filters = p.filters({"db-instance-id", "db-snapshot-id", "dbi-resource-id", "snapshot-type", "engine"})
    cands = []
    want_ids = None
    if p.get("DBSnapshotIdentifier"):
        sid = snapshot_id_of(ctx, p.get("DBSnapshotIdentifier"))
        if sid not in r.snapshots:
            raise AwsError("DBSnapshotNotFound", "DBSnapshot %s not found." % p.get("DBSnapshotIdentifier"), 404)
        want_ids = {sid}
    if "db-snapshot-id" in filters:
        ids = set()
        for v in filters["db-snapshot-id"]:
            try:
                ids.add(snapshot_id_of(ctx, v))
            except AwsError:
                pass
        want_ids = ids if want_ids is None else (want_ids & ids)
    if want_ids is not None:
        cands.append(sorted(i for i in want_ids if i in r.snapshots))

    insts = None
    if p.get("DBInstanceIdentifier"):
        insts = {loose_instance_id(ctx, p.get("DBInstanceIdentifier"))}
    if "db-instance-id" in filters:
        vals = {loose_instance_id(ctx, v) for v in filters["db-instance-id"]}
        insts = vals if insts is None else insts & vals
    if insts is not None:
        cands.append(_merge(r.by_inst, insts))

    dbis = None
    if p.get("DbiResourceId"):
        dbis = {p.get("DbiResourceId")}
    if "dbi-resource-id" in filters:
        vals = set(filters["dbi-resource-id"])
        dbis = vals if dbis is None else dbis & vals
    if dbis is not None:
        cands.append(_merge(r.by_dbi, dbis))

    types = None
    if p.get("SnapshotType"):
        t = p.get("SnapshotType")
        if t not in SNAPSHOT_TYPES:
            raise AwsError("InvalidParameterValue", "Invalid snapshot type: %s. Valid values: %s"
                           % (t, ", ".join(SNAPSHOT_TYPES)))
        types = {t}
    if "snapshot-type" in filters:
        vals = set(filters["snapshot-type"])
        types = vals if types is None else types & vals
    if types is not None:
        cands.append(_merge(r.by_type, types))
    engines = set(filters["engine"]) if "engine" in filters else None

    ids = min(cands, key=len) if cands else r.all_ids
    snaps = r.snapshots

    def pred(sid):
        s = snaps[sid]
        return ((want_ids is None or sid in want_ids) and (insts is None or s["instance"] in insts) and
                (dbis is None or s.get("dbiResourceId") in dbis) and (types is None or s["type"] in types) and
                (engines is None or s["engine"] in engines))

    items, marker = page(p, ids, pred if len(cands) != 1 or engines else None)
    body = "".join(snapshot_xml(ctx, snaps[i]) for i in items)
    return "%s<DBSnapshots>%s</DBSnapshots>" % (el("Marker", marker), body) if body else \
        "%s<DBSnapshots/>" % el("Marker", marker)


# ---- snapshots ----

def create_db_snapshot(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    sid = check_id(p.req("DBSnapshotIdentifier"), "DBSnapshotIdentifier", 255)
    d = find_instance(ctx, p.req("DBInstanceIdentifier"))
    tags = p.tags()
    if d.get("cluster"):
        raise AwsError("InvalidDBInstanceState", "The specified instance %s is a member of DB cluster %s: take a "
                       "snapshot of the cluster with CreateDBClusterSnapshot." % (d["id"], d["cluster"]))
    if sid in r.snapshots:
        raise AwsError("DBSnapshotAlreadyExists",
                       "Cannot create the snapshot because a snapshot with the identifier %s already exists." % sid)
    if d["status"] != "available":
        raise AwsError("InvalidDBInstanceState", "Cannot create a snapshot because the database instance %s is not "
                       "currently in the available state." % d["id"])
    quota_check(ctx)
    s = m.snapshot_from_instance(r, d, sid, "manual", ctx.now)
    s["tags"] = tags if tags else (dict(d["tags"]) if d["copyTagsToSnapshot"] else {})
    m.add_pending(r, s, "createSeconds", "createDescribes", ctx.now)
    return snapshot_xml(ctx, s)



def copy_key(ctx, p, src, cross, src_region, action, source_param, src_ident, what):
    """A copy's KmsKeyId and PreSignedUrl, checked as RDS does (CopyDBSnapshot and
    CopyDBClusterSnapshot alike): the destination key ARN, or None."""
    kms = p.get("KmsKeyId")
    url = p.get("PreSignedUrl")
    if cross and src.get("encrypted") and not kms:
        raise AwsError("InvalidParameterValue", "KmsKeyId is required to copy an encrypted %s across regions: "
                       "KMS keys are specific to the region they are created in." % what)
    if cross and (url or src.get("encrypted")):
        if not url:
            ctx.note("PreSignedUrl missing for an encrypted cross-region copy")
            raise AwsError("InvalidParameterValue", PRESIGN_FAILED)
        why = ctx.check_presigned(url, action, src_region, {source_param: src_ident})
        if why:
            ctx.note("PreSignedUrl refused: " + why)
            raise AwsError("InvalidParameterValue", PRESIGN_FAILED)
    if not cross and url:
        ctx.note("PreSignedUrl ignored for a same-region copy")
    return resolve_kms(ctx, kms) if kms else None

def copy_db_snapshot(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    src_ident = p.req("SourceDBSnapshotIdentifier")
    target = check_id(p.req("TargetDBSnapshotIdentifier"), "TargetDBSnapshotIdentifier", 255)
    tags = p.tags()
    copy_tags = p.bool("CopyTags", False)
    if src_ident.startswith("arn:"):
        a = parse_arn(src_ident, "snapshot")
        if not a:
            raise AwsError("InvalidParameterValue", "Invalid source snapshot ARN: %s" % src_ident)
        src_region, src_id = a[0], a[3]
        if a[1] != m.account:
            raise AwsError("DBSnapshotNotFound", "DBSnapshot %s not found." % src_ident, 404)
    else:
        src_region, src_id = ctx.region, src_ident
    src_id = src_id if src_id.startswith("rds:") else src_id.lower()
    cross = src_region != ctx.region
    sr = m.regions.get(src_region)
    src = sr.snapshots.get(src_id) if sr else None
    if src is None:
        raise AwsError("DBSnapshotNotFound", "DBSnapshot %s not found." % src_ident, 404)
    if target in r.snapshots:
        raise AwsError("DBSnapshotAlreadyExists",
                       "Cannot copy the snapshot because a snapshot with the identifier %s already exists." % target)
    if src["status"] != "available":
        raise AwsError("InvalidDBSnapshotState", "Snapshot %s is not in the available state (it is %s)."
                       % (src_id, src["status"]))
    kms_arn = copy_key(ctx, p, src, cross, src_region, "CopyDBSnapshot", "SourceDBSnapshotIdentifier", src_ident,
                       "snapshot")
    if cross:
        limit = int(m.config.get("copyLimit", 20))
        if r.copies_in_flight() >= limit:
            raise AwsError("SnapshotQuotaExceeded", "Cannot copy more than %d snapshots across regions" % limit)
    quota_check(ctx)
    c = dict(src)
    c.update({
        "id": target, "arn": m.arn(ctx.region, "snapshot", target), "type": "manual", "status": "pending",
        "created": ctx.now, "originalCreated": src.get("originalCreated") or src["created"],
        "sourceRegion": src_region if cross else None, "sourceSnapshot": src["arn"] if cross else None,
        "crossRegion": cross,
        "encrypted": bool(src.get("encrypted") or kms_arn),
        "kmsKeyId": kms_arn or (src.get("kmsKeyId") if not cross else None),
        "availabilityZone": ctx.region + "a",
    })
    t = dict(src.get("tags") or {}) if copy_tags else {}
    t.update(tags)
    c["tags"] = t
    c.pop("pgEnd", None)
    if src.get("pgDir"):
        c["pgDir"] = pg_snapshot_dir(ctx.region, target)  # its files are copied in the background (pg.py)
        c["pgSource"] = src["pgDir"]
        c["pgEnd"] = src.get("pgEnd")
    m.add_pending(r, c, "copySeconds", "copyDescribes", ctx.now)
    return snapshot_xml(ctx, c)


def delete_db_snapshot(ctx):
    m, r, p = ctx.m, ctx.r, ctx.p
    s = find_snapshot(ctx, p.req("DBSnapshotIdentifier"))
    if s["type"] == "automated":
        raise AwsError("InvalidDBSnapshotState", "Cannot delete automated snapshot %s: automated snapshots are "
                       "removed by RDS when they leave the backup retention period." % s["id"])
    if s["status"] not in ("available", "failed", "incompatible-restore"):
        raise AwsError("InvalidDBSnapshotState", "Cannot delete snapshot %s: it is %s, not available."
                       % (s["id"], s["status"]))
    r.remove_snapshot(s["id"])
    m.touch()
    gone = dict(s)
    gone["status"] = "deleted"
    return snapshot_xml(ctx, gone)


# ---- tags ----

def _tag_target(ctx):
    name = ctx.p.req("ResourceName")
    a = parse_arn(name)
    if not a:
        raise AwsError("InvalidParameterValue", "Invalid resource name: %s" % name)
    region, acct, kind, rid = a
    if region != ctx.region or acct != ctx.m.account:
        _not_in_region(ctx, name)
    if kind == "db":
        d = ctx.r.instances.get(rid.lower())
        if d is None:
            raise AwsError("DBInstanceNotFound", "DBInstance %s not found." % rid, 404)
        return d
    if kind == "snapshot":
        s = ctx.r.snapshots.get(rid if rid.startswith("rds:") else rid.lower())
        if s is None:
            raise AwsError("DBSnapshotNotFound", "DBSnapshot %s not found." % rid, 404)
        return s
    if kind in ("cluster", "cluster-snapshot"):
        import rds_clusters
        return rds_clusters.tag_target(ctx, kind, rid)
    raise AwsError("InvalidParameterValue", "Tagging resources of type '%s' is not supported here" % kind)


def add_tags_to_resource(ctx):
    obj = _tag_target(ctx)
    tags = ctx.p.tags()
    if not tags:
        raise AwsError("MissingParameter", "The request must contain the parameter Tags")
    merged = dict(obj.get("tags") or {})
    merged.update(tags)
    if len(merged) > 50:
        raise AwsError("InvalidParameterValue",
                       "Cannot add tags: a resource can have at most 50 tags")
    _set_tags(ctx, obj, merged)
    return None


def remove_tags_from_resource(ctx):
    obj = _tag_target(ctx)
    keys = [k for k in ctx.p.list("TagKeys") if isinstance(k, str)]
    if not keys:
        raise AwsError("MissingParameter", "The request must contain the parameter TagKeys")
    tags = dict(obj.get("tags") or {})
    for k in keys:
        tags.pop(k, None)
    _set_tags(ctx, obj, tags)
    return None


def _set_tags(ctx, obj, tags):
    if "type" in obj and "cluster" not in obj and obj.get("id") in ctx.r.snapshots:
        ctx.r.replace_snapshot(obj["id"], tags=tags)  # snapshot records are copy-on-write
    else:
        obj["tags"] = tags
    ctx.m.touch()


def list_tags_for_resource(ctx):
    return tag_list(_tag_target(ctx).get("tags"))
