"""sts - STS (GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity), the roles
and trust the seed defines, the temporary credentials the emulator issues (STS,
IMDS, ECS, SSO), and the IAM Identity Center (SSO) portal's GetRoleCredentials.

Every identity the emulator issues carries its account in its ARN
(arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION): a role assumed in another
account acts in that account.
"""
import re
import secrets

from inventory import AwsError, _stable_id, parse_time, rfc3339
from query import el, esc

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})")
ASSUMED_ARN = re.compile(r"arn:aws:sts::(\d{12}):assumed-role/([\w+=,.@-]{1,64})/([\w+=,.@-]+)")
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
CHAINED_MAX = 3600  # role chaining: at most one hour, whatever the role allows


def empty_iam():
    """The IAM side of the world: roles by ARN, and the SSO portal's permission sets and tokens."""
    return {"roles": {}, "sso": {"permissionSets": [], "tokens": {}}}


def account_of(arn):
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 else None


def _rand(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


# ---- the seed: roles and SSO ----

def _seed_role(spec):
    if not isinstance(spec, dict) or not ROLE_ARN.fullmatch(str(spec.get("arn", ""))):
        raise ValueError("a seed role needs an 'arn' like arn:aws:iam::111111111111:role/NAME, got %r" % (spec,))
    trust = spec.get("trust", [])
    if isinstance(trust, str):
        trust = [trust]
    if not isinstance(trust, list) or not all(isinstance(t, str) for t in trust):
        raise ValueError("role %s: 'trust' must be a list of account ids or ARNs" % spec["arn"])
    ext = spec.get("externalId")
    if ext is not None and not isinstance(ext, str):
        raise ValueError("role %s: 'externalId' must be a string" % spec["arn"])
    return {"arn": spec["arn"], "trust": list(trust), "externalId": ext,
            "maxSessionDuration": int(spec.get("maxSessionDuration") or 3600)}


def _token_expiry(spec, now):
    if spec.get("expiresAt") is not None:
        return parse_time(spec["expiresAt"])
    return now + float(spec.get("expiresIn", 3600))


def apply_seed(m, seed, now):
    """Adds the seed's `roles` and `sso` (permission sets and access tokens) to m.iam."""
    iam = m.iam
    for spec in seed.get("roles") or []:
        r = _seed_role(spec)
        iam["roles"][r["arn"]] = r
    sso = seed.get("sso") or {}
    for ps in sso.get("permissionSets") or []:
        if not re.fullmatch(r"\d{12}", str(ps.get("accountId", ""))) or not ps.get("roleName"):
            raise ValueError("an SSO permission set needs 'accountId' (12 digits) and 'roleName', got %r" % (ps,))
        iam["sso"]["permissionSets"].append({
            "accountId": str(ps["accountId"]), "roleName": str(ps["roleName"]),
            "users": list(ps["users"]) if ps.get("users") is not None else None,
            "sessionDuration": int(ps.get("sessionDuration") or 3600)})
    for tok in sso.get("tokens") or []:
        if not tok.get("accessToken"):
            raise ValueError("an SSO token needs 'accessToken'")
        iam["sso"]["tokens"][tok["accessToken"]] = {"user": tok.get("user") or "sso-user",
                                                    "expiresAt": _token_expiry(tok, now)}


# ---- issued credentials ----

def issue_credentials(m, source, arn, user_id, lifetime, now):
    """New temporary credentials valid until now + lifetime on the emulator clock; arn names the account."""
    akid = "ASIA" + _rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    rec = {
        "secret": _rand("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", 40),
        "token": "IQoJb3JpZ2luX2Vj" + _rand("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 180),
        "expiration": now + lifetime, "arn": arn, "userId": user_id, "source": source, "issued": now,
        "account": account_of(arn) or m.account,
    }
    for k in [k for k, v in m.credentials.items() if v["expiration"] < now - 86400]:
        del m.credentials[k]
    m.credentials[akid] = rec
    m.touch()
    return akid, rec


def _lifetime(m, asked):
    """What an issued session lasts: what was asked, at most credentialsTTL."""
    ttl = m.config.get("credentialsTTL")
    return float(min(asked, float(ttl))) if ttl is not None else float(asked)


def _credentials_xml(akid, rec):
    return "<Credentials>%s%s%s%s</Credentials>" % (
        el("SessionToken", rec["token"]), el("SecretAccessKey", rec["secret"]),
        "<Expiration>%s</Expiration>" % esc(rfc3339(rec["expiration"], millis=False)), el("AccessKeyId", akid))


# ---- STS actions ----

def sts_get_caller_identity(ctx):
    who = ctx.who
    return "%s%s%s" % (el("Arn", who["arn"]), el("UserId", who["userId"]),
                       el("Account", account_of(who["arn"]) or ctx.m.account))


def _duration(p):
    return p.int("DurationSeconds", 3600, 900, 43200,
                 what="1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: "
                 "Member must have value between 900 and 43200" % p.get("DurationSeconds"))


def _role_arn(role):
    rm = ROLE_ARN.fullmatch(role)
    if not rm:
        raise AwsError("ValidationError", "1 validation error detected: Value '%s' at 'roleArn' failed to satisfy "
                       "constraint: Member must be a role ARN" % role)
    return rm


def _session_name(session):
    if not SESSION_NAME.fullmatch(session):
        raise AwsError("ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*" % session)


def trusted(principal, trust):
    """Whether a trust list lets principal (the caller's ARN) assume the role: "*", the caller's account id or
    arn:aws:iam::ACCT:root, the caller's own ARN, or the role whose session the caller is."""
    acct = account_of(principal)
    sess = ASSUMED_ARN.fullmatch(principal or "")
    for t in trust:
        if t == "*" or t == acct or t == "arn:aws:iam::%s:root" % acct or t == principal:
            return True
        rm = ROLE_ARN.fullmatch(t)
        if rm and sess and rm.group(1) == sess.group(1) and rm.group(2) == sess.group(2):
            return True
    return False


def sts_assume_role(ctx):
    p, m = ctx.p, ctx.m
    role = p.req("RoleArn")
    session = p.req("RoleSessionName")
    rm = _role_arn(role)
    _session_name(session)
    dur = _duration(p)
    ext = p.get("ExternalId")
    if ext is not None and not EXTERNAL_ID.fullmatch(ext):
        raise AwsError("ValidationError", "1 validation error detected: Value at 'externalId' failed to satisfy "
                       "constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*")
    caller = ctx.who["arn"]
    denied = AwsError("AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s"
                      % (caller, role), 403)
    r = m.iam["roles"].get(role)
    if r is None or not trusted(caller, r["trust"]):
        ctx.note("%s: %s" % (role, "no such role" if r is None else "the trust policy does not name the caller"))
        raise denied
    if r.get("externalId") and ext != r["externalId"]:
        ctx.note("%s: ExternalId does not match" % role)
        raise denied
    if p.get("SerialNumber") or p.get("TokenCode"):
        raise AwsError("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.", 403)
    if p.has("DurationSeconds"):
        if ASSUMED_ARN.fullmatch(caller) and dur > CHAINED_MAX:
            raise AwsError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for "
                           "roles assumed by role chaining.")
        if dur > r["maxSessionDuration"]:
            raise AwsError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                           "this role.")
    role_id = "AROA" + _stable_id(role, n=17)
    arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (rm.group(1), rm.group(2), session)
    akid, rec = issue_credentials(m, "assume-role", arn, "%s:%s" % (role_id, session), _lifetime(m, dur), ctx.now)
    return "".join((
        "<AssumedRoleUser>%s%s</AssumedRoleUser>" % (el("Arn", arn), el("AssumedRoleId", rec["userId"])),
        _credentials_xml(akid, rec),
    ))


def sts_assume_role_with_web_identity(ctx):
    p, m = ctx.p, ctx.m
    role = p.req("RoleArn")
    session = p.req("RoleSessionName")
    token = p.req("WebIdentityToken")
    dur = _duration(p)
    rm = _role_arn(role)
    _session_name(session)
    if token != m.config.get("webIdentityToken"):
        raise AwsError("InvalidIdentityToken", "The ID Token provided is not a valid JWT. (You may see this error if "
                       "you sent an Access Token)")
    ttl = m.config.get("credentialsTTL")
    lifetime = float(ttl) if ttl is not None else float(dur)
    role_name = rm.group(2)
    role_id = "AROA" + _rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17)
    arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (rm.group(1), role_name, session)
    akid, rec = issue_credentials(m, "web-identity", arn, "%s:%s" % (role_id, session), lifetime, ctx.now)
    return "".join((
        el("SubjectFromWebIdentityToken", "system:serviceaccount:snapkeep:snapkeep"),
        el("Audience", "sts.amazonaws.com"),
        "<AssumedRoleUser>%s%s</AssumedRoleUser>" % (el("Arn", arn), el("AssumedRoleId", rec["userId"])),
        _credentials_xml(akid, rec),
        el("Provider", "arn:aws:iam::%s:oidc-provider/oidc.eks.%s.amazonaws.com/id/EXAMPLE" % (m.account, ctx.region)),
    ))


STS_ACTIONS = {
    "GetCallerIdentity": (sts_get_caller_identity, False),
    "AssumeRole": (sts_assume_role, True),
    "AssumeRoleWithWebIdentity": (sts_assume_role_with_web_identity, True),
}

UNSIGNED_ACTIONS = {"AssumeRoleWithWebIdentity"}


# ---- the IAM Identity Center (SSO) portal: GetRoleCredentials (REST/JSON) ----

class SsoError(Exception):
    """A portal error: its type (x-amzn-ErrorType), message and HTTP status."""

    def __init__(self, kind, message, status):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


SSO_UNAUTHORIZED = ("UnauthorizedException", "Session token not found or invalid", 401)


def sso_new_token(m, user, expires_in, now):
    """A portal access token for user, as `aws sso login` would cache it: (token, expiresAt)."""
    tok = "aoa" + _rand("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 60)
    exp = now + float(expires_in)
    m.iam["sso"]["tokens"][tok] = {"user": user or "sso-user", "expiresAt": exp}
    m.touch()
    return tok, exp


def sso_get_role_credentials(m, token, account_id, role_name, now):
    """The portal's answer to GET /federation/credentials: the JSON document, or SsoError."""
    if not account_id or not role_name:
        raise SsoError("InvalidRequestException", "account_id and role_name are required", 400)
    t = m.iam["sso"]["tokens"].get(token or "")
    if not token or t is None or t["expiresAt"] <= now:
        raise SsoError(*SSO_UNAUTHORIZED)
    ps = None
    for x in m.iam["sso"]["permissionSets"]:
        if x["accountId"] == account_id and x["roleName"] == role_name and \
                (x["users"] is None or t["user"] in x["users"]):
            ps = x
    if ps is None:
        raise SsoError("ForbiddenException", "No access", 403)
    role = "AWSReservedSSO_%s_%s" % (role_name, _stable_id(account_id, role_name, n=16,
                                                             alphabet="0123456789abcdef"))
    arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (account_id, role, t["user"])
    role_id = "AROA" + _stable_id(arn, n=17)
    akid, rec = issue_credentials(m, "sso", arn, "%s:%s" % (role_id, t["user"]),
                                  _lifetime(m, ps["sessionDuration"]), now)
    return {"roleCredentials": {"accessKeyId": akid, "secretAccessKey": rec["secret"],
                                "sessionToken": rec["token"], "expiration": int(rec["expiration"] * 1000)}}
