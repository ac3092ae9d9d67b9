"""services - SNS and CloudWatch Query APIs (STS and the credentials the
emulator issues are in sts.py)."""
import math
import re
import uuid

from inventory import AwsError, parse_time, rfc3339
from query import el

SNS_NS = "http://sns.amazonaws.com/doc/2010-03-31/"
CW_NS = "http://monitoring.amazonaws.com/doc/2010-08-01/"

KEEP = 10000  # SNS messages and metric data kept

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}


# ---- SNS ----

def _topic(ctx, arn, param="TopicArn"):
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns":
        raise AwsError("InvalidParameter", "Invalid parameter: %s Reason: An ARN must have 6 elements" % param)
    if parts[3] != ctx.region:
        raise AwsError("InvalidParameter", "Invalid parameter: %s Reason: A ARN must be in the region of the "
                       "endpoint (%s), got %s" % (param, ctx.region, parts[3]))
    t = ctx.r.topics.get(parts[5])
    if t is None or parts[4] != ctx.m.account:
        raise AwsError("NotFound", "Topic does not exist", 404)
    return t


def sns_create_topic(ctx):
    name = ctx.p.req("Name")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}(\.fifo)?", name):
        raise AwsError("InvalidParameter", "Invalid parameter: Topic Name")
    t = ctx.r.topics.get(name)
    if t is None:
        t = ctx.r.topics[name] = {"name": name, "arn": "arn:aws:sns:%s:%s:%s" % (ctx.region, ctx.m.account, name),
                                  "created": ctx.now}
        ctx.m.touch()
    return el("TopicArn", t["arn"])


def sns_delete_topic(ctx):
    t = _topic(ctx, ctx.p.req("TopicArn"))
    del ctx.r.topics[t["name"]]
    ctx.m.touch()
    return None


def sns_list_topics(ctx):
    arns = sorted(t["arn"] for t in ctx.r.topics.values())
    start = 0
    tok = ctx.p.get("NextToken")
    if tok:
        try:
            start = int(tok)
        except ValueError:
            raise AwsError("InvalidParameter", "Invalid parameter: NextToken") from None
    chunk = arns[start:start + 100]
    nxt = el("NextToken", str(start + 100)) if start + 100 < len(arns) else ""
    return "<Topics>%s</Topics>%s" % ("".join("<member>%s</member>" % el("TopicArn", a) for a in chunk), nxt)


def sns_publish(ctx):
    p = ctx.p
    arn = p.get("TopicArn") or p.get("TargetArn")
    if not arn:
        if p.get("PhoneNumber"):
            raise AwsError("InvalidParameter", "Invalid parameter: PhoneNumber Reason: SMS is not supported here")
        raise AwsError("InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required "
                       "parameter")
    t = _topic(ctx, arn, "TopicArn" if p.get("TopicArn") else "TargetArn")
    msg = p.get("Message")
    if msg is None or msg == "":
        raise AwsError("InvalidParameter", "Invalid parameter: Empty message")
    if len(msg.encode()) > 262144:
        raise AwsError("InvalidParameter", "Invalid parameter: Message too long")
    subj = p.get("Subject")
    if subj is not None and (len(subj) >= 100 or not subj.isascii() or any(c in subj for c in "\r\n")
                             or not subj.strip()):
        raise AwsError("InvalidParameter", "Invalid parameter: Subject")
    mid = str(uuid.uuid4())
    rec = {"MessageId": mid, "TopicArn": t["arn"], "Message": msg, "Timestamp": rfc3339(ctx.now),
           "Region": ctx.region}
    if subj is not None:
        rec["Subject"] = subj
    attrs = {}
    for a in p.list("MessageAttributes"):
        if isinstance(a, dict) and a.get("Name"):
            attrs[a["Name"]] = a.get("Value.StringValue", a.get("Value.BinaryValue"))
    if attrs:
        rec["MessageAttributes"] = attrs
    ctx.m.sns.append(rec)
    del ctx.m.sns[:-KEEP]
    ctx.m.touch()
    return el("MessageId", mid)


SNS_ACTIONS = {
    "Publish": (sns_publish, True),
    "CreateTopic": (sns_create_topic, True),
    "DeleteTopic": (sns_delete_topic, True),
    "ListTopics": (sns_list_topics, False),
}


# ---- CloudWatch ----

def _cw_bad(value, param):
    return AwsError("InvalidParameterValue", "The value %s for parameter %s is invalid." % (value, param))


def _finite(v, param):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise _cw_bad(v, param) from None
    if not math.isfinite(x):
        raise _cw_bad(v, param)
    return x


def cw_put_metric_data(ctx):
    p = ctx.p
    ns = p.get("Namespace")
    if not ns:
        raise AwsError("MissingParameter", "The parameter Namespace is required.")
    if ns.startswith("AWS/") or len(ns) > 255:
        raise _cw_bad(ns, "Namespace")
    data = p.list("MetricData")
    if not data:
        raise AwsError("MissingParameter", "The parameter MetricData is required.")
    if len(data) > 1000:
        raise AwsError("InvalidParameterValue", "The collection MetricData must not have a size greater than 1000.")
    out = []
    for i, m in enumerate(data, 1):
        pre = "MetricData.member.%d" % i
        if not isinstance(m, dict) or not m.get("MetricName"):
            raise AwsError("MissingParameter", "The parameter %s.MetricName is required." % pre)
        rec = {"Namespace": ns, "MetricName": m["MetricName"], "Region": ctx.region}
        if "Value" in m:
            rec["Value"] = _finite(m["Value"], pre + ".Value")
        stats = {k.split(".", 1)[1]: _finite(v, pre + "." + k) for k, v in m.items()
                 if k.startswith("StatisticValues.")}
        if stats:
            rec["StatisticValues"] = stats
        vals = [_finite(v, pre + ".Values") for k, v in sorted(m.items()) if k.startswith("Values.")]
        if vals:
            rec["Values"] = vals
        if "Value" not in rec and not stats and not vals:
            raise AwsError("MissingParameter", "The parameter %s.Value is required." % pre)
        unit = m.get("Unit", "None")
        if unit not in UNITS:
            raise _cw_bad(unit, pre + ".Unit")
        rec["Unit"] = unit
        if m.get("Timestamp"):
            try:
                rec["Timestamp"] = rfc3339(parse_time(m["Timestamp"]))
            except ValueError:
                raise _cw_bad(m["Timestamp"], pre + ".Timestamp") from None
        else:
            rec["Timestamp"] = rfc3339(ctx.now)
        dims = []
        dsub = {k[len("Dimensions."):]: v for k, v in m.items() if k.startswith("Dimensions.")}
        for j, dim in enumerate(_nested_list(dsub), 1):
            if not isinstance(dim, dict) or not dim.get("Name") or dim.get("Value") is None:
                raise AwsError("InvalidParameterValue", "The parameter %s.Dimensions.member.%d must have a Name and "
                               "a Value." % (pre, j))
            dims.append({"Name": dim["Name"], "Value": dim["Value"]})
        if len(dims) > 30:
            raise AwsError("InvalidParameterValue", "The collection %s.Dimensions must not have a size greater "
                           "than 30." % pre)
        rec["Dimensions"] = dims
        out.append(rec)
    ctx.m.metrics.extend(out)
    del ctx.m.metrics[:-KEEP]
    ctx.m.touch()
    return None


def _nested_list(sub):
    """{'member.1.Name': x, ...} -> [{'Name': x}, ...]"""
    items = {}
    for k, v in sub.items():
        parts = k.split(".")
        if len(parts) >= 3 and parts[1].isdigit():
            items.setdefault(int(parts[1]), {})[".".join(parts[2:])] = v
        elif len(parts) >= 2 and parts[0].isdigit():
            items.setdefault(int(parts[0]), {})[".".join(parts[1:])] = v
    return [items[n] for n in sorted(items)]


def cw_list_metrics(ctx):
    p = ctx.p
    ns, name = p.get("Namespace"), p.get("MetricName")
    want = [(d.get("Name"), d.get("Value")) for d in p.list("Dimensions") if isinstance(d, dict)]
    seen = {}
    for m in ctx.m.metrics:
        if m["Region"] != ctx.region or (ns and m["Namespace"] != ns) or (name and m["MetricName"] != name):
            continue
        dims = tuple((d["Name"], d["Value"]) for d in m["Dimensions"])
        if any(not any(dn == wn and (wv is None or dv == wv) for dn, dv in dims) for wn, wv in want):
            continue
        seen[(m["Namespace"], m["MetricName"], dims)] = True
    keys = sorted(seen)
    start = int(p.get("NextToken") or 0) if (p.get("NextToken") or "0").isdigit() else 0
    chunk = keys[start:start + 500]
    body = "".join("<member>%s%s<Dimensions>%s</Dimensions></member>" % (
        el("Namespace", k[0]), el("MetricName", k[1]),
        "".join("<member>%s%s</member>" % (el("Name", dn), el("Value", dv)) for dn, dv in k[2])) for k in chunk)
    nxt = el("NextToken", str(start + 500)) if start + 500 < len(keys) else ""
    return "<Metrics>%s</Metrics>%s" % (body, nxt)


CW_ACTIONS = {
    "PutMetricData": (cw_put_metric_data, True),
    "ListMetrics": (cw_list_metrics, False),
}
