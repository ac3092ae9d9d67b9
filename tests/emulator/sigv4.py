"""sigv4 - verifies AWS Signature Version 4 on a received request.

The canonical request is rebuilt from what actually arrived (method, URI
path, query string, the signed headers only, payload hash) as the SigV4
specification describes, for both header signing (Authorization) and query
signing (presigned URLs).  Nothing here knows about the emulator's state:
the caller passes a lookup(access_key_id, session_token) that returns the
secret or raises AuthError.

    ident = verify(Request("POST", "/", "", headers, body), lookup, now)
"""
import datetime as dt
import hashlib
import hmac
import re
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNRESERVED = "-_.~"


class AuthError(Exception):
    """A refused request: AWS error code, message and HTTP status."""

    def __init__(self, code, message, status=403):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Request:
    """What arrived: raw_path and raw_query exactly as on the request line."""

    def __init__(self, method, raw_path, raw_query, headers, body=b""):
        self.method = method
        self.raw_path = raw_path
        self.raw_query = raw_query or ""
        self.headers = list(headers)  # [(name, value)] in arrival order, repeats kept
        self.body = body or b""

    def header_values(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def header(self, name):
        vals = self.header_values(name)
        return vals[0] if vals else None


class Identity:
    """Who signed: access key, scope, and whether it came with a session token."""

    def __init__(self, access_key, date, region, service, token, via, amz_date):
        self.access_key = access_key
        self.date = date
        self.region = region
        self.service = service
        self.token = token
        self.via = via  # "header" or "query"
        self.amz_date = amz_date


def uri_encode(s, keep_slash=False):
    """RFC 3986 percent-encoding of everything but the unreserved set."""
    return urllib.parse.quote(s, safe=UNRESERVED + ("/" if keep_slash else ""))


def _remove_dot_segments(path):
    out = []
    for seg in path.split("/"):
        if seg == "..":
            if len(out) > 1:
                out.pop()
        elif seg != ".":
            out.append(seg)
    res = "/".join(out)
    if path.endswith(("/.", "/..")) and not res.endswith("/"):
        res += "/"
    return res or "/"


def canonical_uri(raw_path, normalize=True):
    """The path, dot segments and empty segments removed when normalize, each segment encoded once."""
    path = raw_path or "/"
    if normalize:
        path = re.sub(r"/{2,}", "/", path)
        path = _remove_dot_segments(path)
        if not path.startswith("/"):
            path = "/" + path
    segs = [uri_encode(urllib.parse.unquote(seg)) for seg in path.split("/")]
    return "/".join(segs) or "/"


def parse_query(raw_query):
    """[(name, value)] decoded, blanks kept, in arrival order."""
    out = []
    if not raw_query:
        return out
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        out.append((urllib.parse.unquote(name), urllib.parse.unquote(value)))
    return out


def canonical_query(pairs, exclude=()):
    items = [(uri_encode(k), uri_encode(v)) for k, v in pairs if k not in exclude]
    items.sort()
    return "&".join("%s=%s" % kv for kv in items)


def _trim(value):
    return " ".join(value.split())


def canonical_headers(req, signed):
    lines = []
    for name in signed:
        vals = req.header_values(name)
        lines.append("%s:%s\n" % (name, ",".join(_trim(v) for v in vals)))
    return "".join(lines)


def signing_key(secret, date, region, service):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, region.encode(), hashlib.sha256).digest()
    k = hmac.new(k, service.encode(), hashlib.sha256).digest()
    return hmac.new(k, b"aws4_request", hashlib.sha256).digest()


def string_to_sign(amz_date, scope, canonical_request):
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])


def parse_amz_date(s):
    try:
        return dt.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def parse_authorization(value):
    """'AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...' -> dict"""
    if not value.startswith(ALGORITHM + " "):
        algo = value.split(" ", 1)[0]
        raise AuthError("IncompleteSignature", "Unsupported AWS 'algorithm': '%s'" % algo, 400)
    fields = {}
    for part in value[len(ALGORITHM) + 1:].split(","):
        k, eq, v = part.strip().partition("=")
        if eq:
            fields[k] = v
    for need in ("Credential", "SignedHeaders", "Signature"):
        if need not in fields:
            raise AuthError("IncompleteSignature",
                            "Authorization header requires '%s' parameter. Authorization=%s"
                            % (need, ALGORITHM + " ..."), 400)
    return fields


def _parse_credential(cred):
    parts = cred.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise AuthError("IncompleteSignature",
                        "Credential should be scoped to a valid region, not '%s'." % "/".join(parts[1:]), 400)
    return parts


def build(req, signed, amz_date, scope, payload_hash, query_exclude=(), normalize=True):
    """(canonical request, string to sign) for req as signed."""
    creq = "\n".join([
        req.method,
        canonical_uri(req.raw_path, normalize),
        canonical_query(parse_query(req.raw_query), query_exclude),
        canonical_headers(req, signed),
        ";".join(signed),
        payload_hash,
    ])
    return creq, string_to_sign(amz_date, scope, creq)


def verify(req, lookup, now=None, skew=900, normalize=True):
    """Checks req's signature; returns an Identity or raises AuthError.

    now: seconds since the epoch to check X-Amz-Date against (None: no check);
    skew: how far X-Amz-Date may be from now, as AWS's 15 minutes.
    lookup(access_key_id, session_token) -> secret, or raises AuthError."""
    auth = req.header("Authorization")
    qpairs = parse_query(req.raw_query)
    qdict = dict(qpairs)
    if auth is not None:
        via = "header"
        f = parse_authorization(auth.strip())
        cred = f["Credential"]
        signed = [h.strip().lower() for h in f["SignedHeaders"].split(";") if h.strip()]
        signature = f["Signature"].strip()
        amz_date = req.header("X-Amz-Date")
        if amz_date is None:
            raise AuthError("IncompleteSignature",
                            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
                            400)
        token = req.header("X-Amz-Security-Token")
        expires = None
        exclude = ()
    elif "X-Amz-Algorithm" in qdict or "X-Amz-Signature" in qdict or "X-Amz-Credential" in qdict:
        via = "query"
        missing = [k for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
                               "X-Amz-Signature") if k not in qdict]
        if missing:
            raise AuthError("IncompleteSignature",
                            "AWS query-string parameters must include '%s'." % missing[0], 400)
        if qdict["X-Amz-Algorithm"] != ALGORITHM:
            raise AuthError("IncompleteSignature",
                            "Unsupported AWS 'algorithm': '%s'" % qdict["X-Amz-Algorithm"], 400)
        cred = qdict["X-Amz-Credential"]
        signed = [h.strip().lower() for h in qdict["X-Amz-SignedHeaders"].split(";") if h.strip()]
        signature = qdict["X-Amz-Signature"]
        amz_date = qdict["X-Amz-Date"]
        token = qdict.get("X-Amz-Security-Token")
        expires = qdict.get("X-Amz-Expires")
        exclude = ("X-Amz-Signature",)
    else:
        raise AuthError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)

    akid, date, region, service, _ = _parse_credential(cred)
    when = parse_amz_date(amz_date)
    if when is None:
        raise AuthError("IncompleteSignature", "X-Amz-Date must be in the ISO8601 Long Format "
                        "\"yyyyMMdd'T'HHmmss'Z'\", got '%s'" % amz_date, 400)
    if amz_date[:8] != date:
        raise AuthError("SignatureDoesNotMatch",
                        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                        "'%s' != '%s', from '%s'." % (date, amz_date[:8], amz_date), 403)
    if "host" not in signed:
        raise AuthError("SignatureDoesNotMatch", "'Host' or ':authority' must be a 'SignedHeader' in the "
                        "AWS Authorization.", 403)
    if now is not None:
        if expires is not None:
            try:
                secs = int(expires)
            except ValueError:
                raise AuthError("AuthorizationQueryParametersError",
                                "X-Amz-Expires should be a number", 400) from None
            if secs < 1 or secs > 604800:
                raise AuthError("AuthorizationQueryParametersError",
                                "X-Amz-Expires must be between 1 and 604800 seconds", 400)
            if now > when + secs:
                raise AuthError("SignatureDoesNotMatch",
                                "Signature expired: %s is now earlier than %s (%s + %d sec.)"
                                % (_amz(when + secs), _amz(now), amz_date, secs), 403)
        elif skew is not None:
            if when < now - skew:
                raise AuthError("SignatureDoesNotMatch",
                                "Signature expired: %s is now earlier than %s (%s - %d min.)"
                                % (amz_date, _amz(now - skew), _amz(now), skew // 60), 403)
            if when > now + skew:
                raise AuthError("SignatureDoesNotMatch",
                                "Signature not yet current: %s is still later than %s (%s + %d min.)"
                                % (amz_date, _amz(now + skew), _amz(now), skew // 60), 403)

    secret = lookup(akid, token)

    claimed = req.header("X-Amz-Content-Sha256")
    actual = hashlib.sha256(req.body).hexdigest()
    if claimed is not None and claimed != actual and claimed != "UNSIGNED-PAYLOAD":
        raise AuthError("SignatureDoesNotMatch",
                        "The provided 'x-amz-content-sha256' header does not match what was computed.", 403)
    payload_hash = claimed if claimed == "UNSIGNED-PAYLOAD" else actual
    scope = "/".join([date, region, service, "aws4_request"])
    _, sts = build(req, signed, amz_date, scope, payload_hash, exclude, normalize)
    want = hmac.new(signing_key(secret, date, region, service), sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, signature.lower()):
        raise AuthError("SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you provided. "
                        "Check your AWS Secret Access Key and signing method. Consult the service "
                        "documentation for details.", 403)
    return Identity(akid, date, region, service, token, via, amz_date)


def scope_of(req):
    """(service, region) named by the request's credential scope, or None if it has none."""
    auth = req.header("Authorization")
    cred = None
    if auth is not None:
        m = re.search(r"Credential=([^,\s]+)", auth)
        cred = m.group(1) if m else None
    else:
        for k, v in parse_query(req.raw_query):
            if k == "X-Amz-Credential":
                cred = v
    if not cred:
        return None
    parts = cred.split("/")
    if len(parts) != 5:
        return None
    return parts[3], parts[2]


def _amz(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")

