"""query - Query-API parameters in, AWS XML out: the helpers every service uses."""
import base64
import re
from xml.sax.saxutils import escape

from inventory import AwsError, rfc3339

_LIST_RE_CACHE = {}


def esc(s):
    s = str(s)
    if "&" in s or "<" in s or ">" in s:
        return escape(s)
    return s


def el(name, value):
    """<name>value</name>; None -> nothing; bools as true/false; floats as RFC 3339 times."""
    if value is None:
        return ""
    if value is True:
        return "<%s>true</%s>" % (name, name)
    if value is False:
        return "<%s>false</%s>" % (name, name)
    return "<%s>%s</%s>" % (name, esc(value), name)


def ts(name, t):
    return "" if t is None else "<%s>%s</%s>" % (name, rfc3339(t), name)


def tag_list(tags, name="TagList", member="Tag"):
    if not tags:
        return "<%s/>" % name
    return "<%s>%s</%s>" % (name, "".join(
        "<%s><Key>%s</Key><Value>%s</Value></%s>" % (member, esc(k), esc(v), member) for k, v in tags.items()), name)


def response(action, ns, result, request_id, wrap=True):
    """The <ActionResponse> document; result is the inner XML of <ActionResult> (None: no result element)."""
    body = "" if result is None else ("<%sResult>%s</%sResult>" % (action, result, action) if wrap else result)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">%s'
            "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>\n"
            % (action, ns, body, request_id, action))


def error_response(ns, err, request_id):
    nsattr = ' xmlns="%s"' % ns if ns else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse%s><Error><Type>%s</Type><Code>%s</Code>'
            "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>\n"
            % (nsattr, err.kind, esc(err.code), esc(err.message), request_id))


class Params:
    """The form parameters of one call, with AWS-style validation errors."""

    def __init__(self, d):
        self.d = d

    def get(self, name, default=None):
        v = self.d.get(name)
        return default if v is None else v

    def has(self, name):
        return name in self.d

    def req(self, name):
        v = self.d.get(name)
        if v is None or v == "":
            raise AwsError("MissingParameter", "The request must contain the parameter %s" % name)
        return v

    def int(self, name, default=None, lo=None, hi=None, what=None):
        v = self.d.get(name)
        if v is None or v == "":
            return default
        try:
            n = int(v)
        except ValueError:
            raise AwsError("InvalidParameterValue", "Invalid value '%s' for %s: not an integer" % (v, name)) from None
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise AwsError("InvalidParameterValue", what or "Invalid value %d for %s. Must be between %s and %s"
                           % (n, name, lo, hi))
        return n

    def bool(self, name, default=None):
        v = self.d.get(name)
        if v is None or v == "":
            return default
        lv = v.lower()
        if lv == "true":
            return True
        if lv == "false":
            return False
        raise AwsError("InvalidParameterValue", "Invalid boolean value '%s' for %s" % (v, name))

    def list(self, prefix):
        return parse_list(self.d, prefix)

    def tags(self, prefix="Tags"):
        out = {}
        for item in self.list(prefix):
            if not isinstance(item, dict) or not item.get("Key"):
                raise AwsError("InvalidParameterValue", "A tag must have a non-empty Key")
            k, v = item["Key"], item.get("Value", "")
            if len(k) > 128 or len(v) > 256:
                raise AwsError("InvalidParameterValue",
                               "Tag keys must be at most 128 characters and values at most 256, got key '%s'" % k)
            if k.lower().startswith(("aws:", "rds:")):
                raise AwsError("InvalidParameterValue", "Tag keys cannot start with 'aws:' or 'rds:', got '%s'" % k)
            out[k] = v
        return out

    def filters(self, allowed):
        """{name: [values]} from Filters.Filter.N.Name / .Values.Value.M; unknown names refused."""
        out = {}
        for item in self.list("Filters"):
            if not isinstance(item, dict) or "Name" not in item:
                raise AwsError("InvalidParameterValue", "A filter must have a Name")
            name = item["Name"]
            if name not in allowed:
                raise AwsError("InvalidParameterValue", "Unrecognized filter name: %s" % name)
            vals = [v for v in parse_list(item, "Values") if isinstance(v, str)]
            if not vals:
                raise AwsError("InvalidParameterValue", "Filter %s must have at least one value" % name)
            out.setdefault(name, []).extend(vals)
        return out


def parse_list(d, prefix):
    """Query lists: Prefix.member.N, Prefix.Tag.N, Prefix.N (flattened), scalar or with .Field parts."""
    rx = _LIST_RE_CACHE.get(prefix)
    if rx is None:
        rx = _LIST_RE_CACHE[prefix] = re.compile(r"^%s\.(?:[A-Za-z]+\.)?(\d+)(?:\.(.+))?$" % re.escape(prefix))
    items = {}
    for k, v in d.items():
        if not k.startswith(prefix + "."):
            continue
        m = rx.match(k)
        if not m:
            continue
        n = int(m.group(1))
        if m.group(2) is None:
            items[n] = v
        else:
            cur = items.get(n)
            if not isinstance(cur, dict):
                cur = items[n] = {}
            cur[m.group(2)] = v
    return [items[n] for n in sorted(items)]


def encode_marker(key):
    return base64.urlsafe_b64encode(("v1:" + key).encode()).decode()


def decode_marker(marker):
    try:
        s = base64.urlsafe_b64decode(marker.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        s = ""
    if not s.startswith("v1:"):
        raise AwsError("InvalidParameterValue", "The marker '%s' is not valid" % marker)
    return s[3:]


def page(params, ids, pred, default_max=100, lo=20, hi=100):
    """One page of ids (a sorted list) after Marker, MaxRecords bounded lo..hi: (items, next marker or None)."""
    import bisect
    maxr = params.int("MaxRecords", default_max)
    if maxr < lo or maxr > hi:
        raise AwsError("InvalidParameterValue", "Invalid value %d for MaxRecords. Must be between %d and %d"
                       % (maxr, lo, hi))
    start = 0
    marker = params.get("Marker")
    if marker:
        start = bisect.bisect_right(ids, decode_marker(marker))
    out = []
    i, n = start, len(ids)
    while i < n and len(out) < maxr:
        if pred is None or pred(ids[i]):
            out.append(ids[i])
        i += 1
    more = False
    while i < n:
        if pred is None or pred(ids[i]):
            more = True
            break
        i += 1
    return out, (encode_marker(out[-1]) if more and out else None)
