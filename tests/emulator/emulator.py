#!/usr/bin/env python3
"""emulator.py - snapkeep's local AWS endpoint: RDS, SNS, CloudWatch and STS
over the Query API on one port, with SigV4 checks, persisted state, a
controllable clock, fault injection, a call log, the IMDS / ECS
credential endpoints and the SSO portal's GetRoleCredentials.  Python 3 standard library only.

    python3 tests/emulator/emulator.py --port 0 --ready-file PORTFILE \\
        --state state.json --seed examples/emulator-seed.json

See tests/emulator/README.md for the admin API (/_emulator/...), the seed
format and what each service answers.
"""
import argparse
import gzip
import json
import os
import random
import re
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import model as M  # noqa: E402
import pg as PG  # noqa: E402
import rds  # noqa: E402
import rds_clusters  # noqa: E402
import services as S  # noqa: E402
import sts  # noqa: E402
import sigv4  # noqa: E402
from inventory import DEFAULT_CONFIG, AwsError, _stable_id, parse_time, rfc3339  # noqa: E402
from query import Params, error_response, response  # noqa: E402

DEFAULT_KEY = ("AKIDSNAPKEEPTEST", "snapkeep-emulator-secret")
CALL_LOG_MAX = 200000

SERVICES = {
    "rds": (rds.NS, rds.ACTIONS),
    "sns": (S.SNS_NS, S.SNS_ACTIONS),
    "monitoring": (S.CW_NS, S.CW_ACTIONS),
    "sts": (sts.STS_NS, sts.STS_ACTIONS),
}

# parameters that carry secrets (NextToken and the like do not)
SECRET_PARAM = re.compile(r"password|secret|webidentitytoken|sessiontoken|securitytoken|samlassertion|externalid|tokencode",
                          re.I)


def redact_params(params):
    out = {}
    for k, v in params.items():
        if k == "PreSignedUrl":
            v = re.sub(r"((?:X-Amz-Signature|X-Amz-Security-Token)=)[^&]*", r"\1REDACTED", v)
        elif SECRET_PARAM.search(k):
            v = "REDACTED"
        out[k] = v
    return out


HTML_PAGE = ("<!DOCTYPE html>\n<html><head><title>Guest Wi-Fi: sign in</title></head>\n"
             "<body><h1>Welcome to Guest Wi-Fi</h1><p>Accept the terms to continue.</p>"
             "<form method=\"post\" action=\"/login\"><button>Accept</button></form></body></html>\n")


class Faults:
    """Injected failures: fractions of matching calls throttled, answered 500 or dropped, plus latency; calls
    that are made but whose answer is lost (dropAfter) or held back (hold), for crash tests; and answers with
    status 200 that are not the action's (html, emptyBody, otherAction), as a captive portal, a proxy or a
    misrouted endpoint gives them."""

    KINDS = ("throttle", "error500", "drop", "dropAfter", "hold", "html", "emptyBody", "otherAction")
    KEYS = set(KINDS) | {"latencyMs", "holdMs", "actions", "regions", "services", "mutating", "skip", "count",
                         "seed"}

    def __init__(self):
        self.lock = threading.Lock()
        self.cfg = None
        self.remaining = None
        self.skip = 0
        self.injected = 0
        self.rng = random.Random(0)
        self.release = threading.Event()

    def set(self, cfg):
        bad = set(cfg) - self.KEYS
        if bad:
            raise ValueError("unknown fault setting(s): %s (known: %s)" % (", ".join(sorted(bad)),
                                                                            ", ".join(sorted(self.KEYS))))
        for k in self.KINDS:
            v = float(cfg.get(k) or 0)
            if not 0 <= v <= 1:
                raise ValueError("%s must be a fraction 0..1, got %r" % (k, cfg.get(k)))
        if sum(float(cfg.get(k) or 0) for k in self.KINDS) > 1.0 + 1e-9:
            raise ValueError("%s must not add up to more than 1" % " + ".join(self.KINDS))
        for k in ("latencyMs", "holdMs", "skip"):
            if float(cfg.get(k) or 0) < 0:
                raise ValueError("%s must be >= 0" % k)
        with self.lock:
            self.cfg = dict(cfg) if cfg else None
            self.remaining = int(cfg["count"]) if cfg.get("count") is not None else None
            self.skip = int(cfg.get("skip") or 0)
            self.injected = 0
            self.rng = random.Random(cfg.get("seed", 0))
            # answers held under the previous settings go out now
            self.release.set()
            self.release = threading.Event()

    def view(self):
        with self.lock:
            return {"active": self.cfg, "remaining": self.remaining, "injected": self.injected, "skip": self.skip}

    def pick(self, service, region, action, mutating=False):
        """(kind or None, latency in ms, hold: (seconds, event) or None) for one call."""
        with self.lock:
            c = self.cfg
            if not c:
                return None, 0, None
            if c.get("actions") and action not in c["actions"]:
                return None, 0, None
            if c.get("regions") and region not in c["regions"]:
                return None, 0, None
            if c.get("services") and service not in c["services"]:
                return None, 0, None
            if c.get("mutating") and not mutating:
                return None, 0, None
            latency = float(c.get("latencyMs") or 0)
            if self.skip > 0:
                self.skip -= 1
                return None, latency, None
            x = self.rng.random()
            kind = None
            edge = 0.0
            for k in self.KINDS:
                edge += float(c.get(k) or 0)
                if x < edge:
                    kind = k
                    break
            hold = None
            if kind:
                self.injected += 1
                if kind == "hold":
                    hold = (float(c.get("holdMs") or 30000) / 1000.0, self.release)
                if self.remaining is not None:
                    self.remaining -= 1
                    if self.remaining <= 0:
                        self.cfg = None
            return kind, latency, hold


def other_action(table, action):
    """For the otherAction fault: the service's first read-only action other than action, else its first other
    action (answered with an empty result)."""
    names = [a for a in table if a != action]
    ro = [a for a in names if not table[a][1]]
    return (ro or names or [action])[0]


class Ctx:
    """What an action sees."""

    def __init__(self, app, region, params, who, host, model=None):
        self.app = app
        self.m = model or app.model  # the caller's account
        self.region = region
        self.r = self.m.region(region)
        self.p = Params(params)
        self.now = app.model.now()
        self.who = who
        self.host = host
        self.notes = []

    def note(self, s):
        self.notes.append(s)

    def check_presigned(self, url, action, source_region, expect):
        return self.app.check_presigned(url, action, source_region, self.region, expect, self.m.account)


class App:
    def __init__(self, model, persister, keys, seed=None, quiet=False, pg=None):
        self.model = model
        self.pg = pg or PG.Postgres(model, changed=persister.poke)
        self.persister = persister
        self.keys = keys
        self.seed = seed
        self.quiet = quiet
        self.port = None
        self.faults = Faults()
        self.log_lock = threading.Lock()
        self.calls = deque(maxlen=CALL_LOG_MAX)
        self.seq = model.call_seq
        self.imds_tokens = {}
        self.hits = {}

    # ---- credentials ----

    def lookup(self, akid, token):
        """The secret for akid, or AuthError as AWS answers."""
        if akid in self.keys:
            if token:
                raise sigv4.AuthError("InvalidClientTokenId", "The security token included in the request is invalid.")
            return self.keys[akid]
        with self.model.lock:
            rec = self.model.credentials.get(akid)
            now = self.model.now()
        if rec is None or not token or not secrets.compare_digest(token, rec["token"]):
            raise sigv4.AuthError("InvalidClientTokenId", "The security token included in the request is invalid.")
        if rec["expiration"] <= now:
            raise sigv4.AuthError("ExpiredToken", "The security token included in the request is expired")
        return rec["secret"]

    def who(self, akid):
        """The caller: its ARN, user id and account.  Static keys are the default account's; issued
        credentials act in the account of their identity ARN (an assumed role's: the role's account)."""
        if akid in self.keys:
            return {"arn": "arn:aws:iam::%s:user/snapkeep-test" % self.model.account,
                    "userId": "AIDA" + _stable_id(akid, n=17), "account": self.model.account}
        rec = self.model.credentials.get(akid) or {}
        arn = rec.get("arn", "unknown")
        parts = arn.split(":")
        acct = parts[4] if len(parts) > 5 and len(parts[4]) == 12 and parts[4].isdigit() else self.model.account
        return {"arn": arn, "userId": rec.get("userId", "unknown"), "account": acct}

    def check_presigned(self, url, action, source_region, dest_region, expect, account=None):
        """None when url is a valid, unexpired presigned request for action in source_region; else why not."""
        try:
            u = urllib.parse.urlsplit(url)
            port = u.port
        except ValueError:
            return "not a URL"
        if u.scheme not in ("http", "https") or not u.netloc:
            return "not an http(s) URL"
        if (u.hostname or "").lower() not in ("127.0.0.1", "localhost", "::1") or port != self.port:
            return "host %s is not this endpoint" % u.netloc
        q = dict(sigv4.parse_query(u.query))
        if "X-Amz-Signature" not in q or "X-Amz-Expires" not in q:
            return "not a query-presigned URL (no X-Amz-Signature / X-Amz-Expires)"
        if q.get("Action") != action:
            return "Action is %r, not %r" % (q.get("Action"), action)
        if q.get("DestinationRegion") != dest_region:
            return "DestinationRegion is %r, not %r" % (q.get("DestinationRegion"), dest_region)
        for k, v in expect.items():
            if q.get(k) != v:
                return "%s is %r, not %r" % (k, q.get(k), v)
        cred = q.get("X-Amz-Credential", "").split("/")
        if len(cred) != 5 or cred[2] != source_region or cred[3] != "rds":
            return "signed for %s, not %s/rds" % ("/".join(cred[2:4]), source_region)
        req = sigv4.Request("GET", u.path or "/", u.query, [("Host", u.netloc)], b"")
        try:
            ident = sigv4.verify(req, self.lookup, now=time.time(), skew=None)
        except sigv4.AuthError as e:
            return "%s: %s" % (e.code, e.message)
        if account is not None:
            with self.model.lock:
                signer = self.who(ident.access_key)["account"]
            if signer != account:
                return "signed by account %s, not the caller's %s" % (signer, account)
        return None

    # ---- call log ----

    def log_call(self, entry):
        with self.log_lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.model.call_seq = self.seq
            self.calls.append(entry)
        if not self.quiet:
            sys.stderr.write("%s %s %s %s %s%s\n" % (entry["time"], entry.get("service"), entry.get("region"),
                                                      entry.get("action"), entry.get("status"),
                                                      " " + entry["error"] if entry.get("error") else ""))

    def calls_since(self, since, action=None, service=None):
        with self.log_lock:
            last = self.seq
            out = [c for c in self.calls if c["seq"] > since and (not action or c.get("action") == action)
                   and (not service or c.get("service") == service)]
        return {"last": last, "calls": out}

    # ---- HTTP entry ----

    def handle(self, h, method):
        raw_path, _, raw_query = h.path.partition("?")
        body = h.read_body()
        if body is None:
            return
        if raw_path.startswith("/_emulator"):
            return self.admin(h, method, raw_path, raw_query, body)
        if raw_path.startswith("/latest/"):
            return self.imds(h, method, raw_path)
        if raw_path.startswith("/ecs/") or raw_path.startswith("/v2/credentials"):
            return self.ecs(h, method, raw_path)
        if raw_path == "/federation/credentials":
            return self.sso(h, method, raw_query)
        return self.aws(h, method, raw_path, raw_query, body)

    def aws(self, h, method, raw_path, raw_query, body):
        rid = str(uuid.uuid4())
        req = sigv4.Request(method, raw_path, raw_query, h.headers.items(), body)
        params = {}
        for k, v in sigv4.parse_query(raw_query):
            if not k.startswith("X-Amz-"):
                params[k] = v
        raw = body
        if (h.headers.get("Content-Encoding") or "").lower() == "gzip" and body:
            try:
                raw = gzip.decompress(body)
            except (OSError, EOFError):
                raw = b""
        if method == "POST" and raw:
            try:
                for k, v in urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True):
                    params[k] = v
            except UnicodeDecodeError:
                pass
        action = params.get("Action")
        scope = sigv4.scope_of(req)
        if scope:
            service, region = scope
        elif action in sts.UNSIGNED_ACTIONS:
            service, region = "sts", "us-east-1"
        else:
            service, region = None, None
        ns = SERVICES.get(service, (None, None))[0]
        table = SERVICES.get(service, (None, {}))[1]
        mutating = bool(table.get(action, (None, False))[1]) if action else False
        with self.model.lock:
            emu_now = self.model.now()
        entry = {"time": rfc3339(emu_now), "wall": rfc3339(time.time()), "service": service, "region": region,
                 "action": action, "params": redact_params({k: v for k, v in params.items()
                                                            if k not in ("Action", "Version")}),
                 "mutating": mutating, "requestId": rid}

        kind, latency, hold = self.faults.pick(service, region, action, mutating)
        if latency:
            entry["latencyMs"] = latency
            time.sleep(latency / 1000.0)
        if kind == "drop":
            entry.update(status=0, error="ConnectionDropped", fault="drop")
            self.log_call(entry)
            h.drop()
            return
        if kind == "throttle":
            entry["fault"] = "throttle"
            return self.reply_error(h, entry, ns, AwsError("Throttling", "Rate exceeded", 400), rid)
        if kind == "error500":
            entry["fault"] = "error500"
            return self.reply_error(h, entry, ns, AwsError(
                "InternalFailure", "The request processing has failed because of an unknown error, exception or "
                "failure.", 500, "Receiver"), rid)
        if kind in ("html", "emptyBody"):
            # not AWS answering: no signature check, no RequestId, nothing made
            entry.update(status=200, fault=kind)
            self.log_call(entry)
            if kind == "html":
                h.reply(200, HTML_PAGE.encode(), "text/html; charset=utf-8")
            else:
                h.reply(200, b"", "text/xml")
            return

        who = None
        if scope or action not in sts.UNSIGNED_ACTIONS:
            try:
                skew = self.model.config.get("clockSkewSeconds")
                ident = sigv4.verify(req, self.lookup, now=time.time(),
                                     skew=float(skew) if skew is not None else None)
            except sigv4.AuthError as e:
                return self.reply_error(h, entry, ns, AwsError(e.code, e.message, e.status), rid)
            entry["accessKey"] = ident.access_key
            with self.model.lock:
                who = self.who(ident.access_key)
            entry["account"] = who["account"]
        if service not in SERVICES:
            return self.reply_error(h, entry, None, AwsError(
                "InvalidAction", "The service '%s' is not served by this endpoint" % service), rid)
        if not action:
            return self.reply_error(h, entry, ns, AwsError(
                "MissingAction", "The request must contain the parameter Action"), rid)
        if action not in table:
            return self.reply_error(h, entry, ns, AwsError(
                "InvalidAction", "Could not find operation %s for version %s" % (action, params.get("Version"))), rid)
        fn = table[action][0]
        answered_as = action
        if kind == "otherAction":
            # a misrouted call: the service answers another, read-only action (with no parameters)
            answered_as = other_action(table, action)
            entry.update(fault=kind, answeredAs=answered_as)
            fn = table[answered_as][0] if not table[answered_as][1] else None
            params = {}
        started = time.monotonic()
        with self.model.lock:
            self.model.tick()
            ctx = Ctx(self, region, params, who, h.headers.get("Host"),
                      self.model.for_account(who["account"]) if who else None)
            try:
                inner = fn(ctx) if fn else ""
                text = response(answered_as, ns, inner, rid)
                status, err = 200, None
            except AwsError as e:
                if kind == "otherAction":
                    text, status, err = response(answered_as, ns, "", rid), 200, None
                else:
                    text = error_response(ns, e, rid)
                    status, err = e.status, e.code
            except (TypeError, KeyError, AttributeError):
                if kind != "otherAction":
                    raise
                # the other action wanted a caller or parameters this call did not bring: its empty answer
                text, status, err = response(answered_as, ns, "", rid), 200, None
            dirty = self.model.dirty
        if dirty:
            self.persister.poke()
        if mutating:
            self.pg.sync()  # database-backed instances: servers, backups and restores to start or stop
        entry["ms"] = round((time.monotonic() - started) * 1000, 2)
        if ctx.notes:
            entry["detail"] = ctx.notes
        entry["status"] = status
        if err:
            entry["error"] = err
        if kind == "dropAfter":
            # made, but the client never hears of it
            entry["fault"] = "dropAfter"
            self.log_call(entry)
            h.drop()
            return
        if kind == "hold":
            # made and logged; the answer waits for holdMs or until the faults are changed or cleared
            entry["fault"] = "hold"
            self.log_call(entry)
            hold[1].wait(hold[0])
            h.reply(status, text.encode(), "text/xml", {"x-amzn-RequestId": rid})
            return
        # logged before the answer goes out: a client that has the answer finds the call in the log
        self.log_call(entry)
        h.reply(status, text.encode(), "text/xml", {"x-amzn-RequestId": rid})

    def reply_error(self, h, entry, ns, err, rid):
        entry["status"] = err.status
        entry["error"] = err.code
        self.log_call(entry)
        h.reply(err.status, error_response(ns, err, rid).encode(), "text/xml", {"x-amzn-RequestId": rid})

    # ---- IMDS and ECS credential endpoints ----

    def _cred_entry(self, service, action, status, extra=None):
        with self.model.lock:
            t = self.model.now()
        e = {"time": rfc3339(t), "wall": rfc3339(time.time()), "service": service, "region": None,
             "action": action, "params": {}, "mutating": False, "status": status}
        if extra:
            e.update(extra)
        self.hits[action] = self.hits.get(action, 0) + 1
        self.log_call(e)

    def _cred_fault(self, h, service, action):
        kind, latency, _ = self.faults.pick(service, None, action)
        if latency:
            time.sleep(latency / 1000.0)
        if kind in ("dropAfter", "hold", "html", "emptyBody", "otherAction"):
            kind = None  # nothing is made here, and the Query API's answers are not these: served as usual
        if kind == "drop":
            self._cred_entry(service, action, 0, {"fault": "drop", "error": "ConnectionDropped"})
            h.drop()
            return True
        if kind:
            st = 429 if kind == "throttle" else 500
            self._cred_entry(service, action, st, {"fault": kind})
            h.reply(st, b"", "text/plain")
            return True
        return False

    def _issue(self, source, role_arn):
        with self.model.lock:
            m = self.model
            now = m.now()
            akid, rec = sts.issue_credentials(m, source, role_arn, "AROA" + _stable_id(role_arn, n=17) + ":" + source,
                                            float(m.config.get("credentialsTTL") or 3600), now)
        self.persister.poke()
        return akid, rec, now

    def imds(self, h, method, path):
        cfg = self.model.config
        if method == "PUT" and path == "/latest/api/token":
            if self._cred_fault(h, "imds", "IMDSToken"):
                return
            ttl = h.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            try:
                n = int(ttl)
            except (TypeError, ValueError):
                n = 0
            if not 1 <= n <= 21600:
                self._cred_entry("imds", "IMDSToken", 400)
                return h.reply(400, b"", "text/plain")
            tok = secrets.token_urlsafe(32)
            self.imds_tokens[tok] = time.time() + n
            self._cred_entry("imds", "IMDSToken", 200)
            return h.reply(200, tok.encode(), "text/plain", {"X-aws-ec2-metadata-token-ttl-seconds": str(n)})
        if method != "GET":
            return h.reply(405, b"", "text/plain")
        prefix = "/latest/meta-data/iam/security-credentials/"
        action = "IMDSRoleName" if path == prefix else ("IMDSCredentials" if path.startswith(prefix) else "IMDSOther")
        if self._cred_fault(h, "imds", action):
            return
        tok = h.headers.get("X-aws-ec2-metadata-token")
        exp = self.imds_tokens.get(tok or "")
        if not tok or exp is None or exp < time.time():
            self._cred_entry("imds", action, 401)
            return h.reply(401, b"", "text/plain")
        role = cfg.get("imdsRole") or "snapkeep-role"
        if path == prefix:
            self._cred_entry("imds", action, 200)
            return h.reply(200, role.encode(), "text/plain")
        if path.startswith(prefix):
            if path[len(prefix):].rstrip("/") != role:
                self._cred_entry("imds", action, 404)
                return h.reply(404, b"", "text/plain")
            akid, rec, now = self._issue("imds", "arn:aws:sts::%s:assumed-role/%s/i-0123456789abcdef0"
                                         % (self.model.account, role))
            doc = {"Code": "Success", "LastUpdated": rfc3339(now, millis=False), "Type": "AWS-HMAC",
                   "AccessKeyId": akid, "SecretAccessKey": rec["secret"], "Token": rec["token"],
                   "Expiration": rfc3339(rec["expiration"], millis=False)}
            self._cred_entry("imds", action, 200, {"accessKey": akid})
            return h.reply(200, json.dumps(doc).encode(), "text/plain")
        if path == "/latest/meta-data/placement/region":
            self._cred_entry("imds", action, 200)
            return h.reply(200, b"us-east-1", "text/plain")
        if path == "/latest/dynamic/instance-identity/document":
            self._cred_entry("imds", action, 200)
            doc = {"region": "us-east-1", "accountId": self.model.account, "instanceId": "i-0123456789abcdef0"}
            return h.reply(200, json.dumps(doc).encode(), "application/json")
        self._cred_entry("imds", action, 404)
        return h.reply(404, b"", "text/plain")

    def ecs(self, h, method, path):
        if self._cred_fault(h, "ecs", "ECSCredentials"):
            return
        if method != "GET":
            self._cred_entry("ecs", "ECSCredentials", 405)
            return h.reply(405, b"", "text/plain")
        want = self.model.config.get("ecsAuthToken")
        if want:
            got = h.headers.get("Authorization")
            if not got:
                self._cred_entry("ecs", "ECSCredentials", 401)
                return h.reply(401, b'{"message":"missing Authorization"}', "application/json")
            if not secrets.compare_digest(got, want):
                self._cred_entry("ecs", "ECSCredentials", 403)
                return h.reply(403, b'{"message":"invalid Authorization"}', "application/json")
        role_arn = "arn:aws:iam::%s:role/snapkeep-task" % self.model.account
        akid, rec, now = self._issue("ecs", "arn:aws:sts::%s:assumed-role/snapkeep-task/ecs" % self.model.account)
        doc = {"AccessKeyId": akid, "SecretAccessKey": rec["secret"], "Token": rec["token"],
               "Expiration": rfc3339(rec["expiration"], millis=False), "RoleArn": role_arn}
        self._cred_entry("ecs", "ECSCredentials", 200, {"accessKey": akid})
        return h.reply(200, json.dumps(doc).encode(), "application/json")

    # ---- the SSO portal (IAM Identity Center) ----

    def sso(self, h, method, raw_query):
        q = dict(urllib.parse.parse_qsl(raw_query))
        if self._cred_fault(h, "sso", "GetRoleCredentials"):
            return
        extra = {"params": {k: q[k] for k in ("account_id", "role_name") if k in q}}
        try:
            if method != "GET":
                raise sts.SsoError("InvalidRequestException", "GetRoleCredentials is a GET", 400)
            with self.model.lock:
                doc = sts.sso_get_role_credentials(self.model, h.headers.get("x-amz-sso_bearer_token"),
                                                   q.get("account_id"), q.get("role_name"), self.model.now())
        except sts.SsoError as e:
            extra["error"] = e.kind
            self._cred_entry("sso", "GetRoleCredentials", e.status, extra)
            return h.reply(e.status, json.dumps({"message": e.message}).encode(), "application/json",
                           {"x-amzn-ErrorType": e.kind + ":http://internal.amazon.com/coral/com.amazonaws.switchboard"
                                                         ".portal/"})
        self.persister.poke()
        extra["accessKey"] = doc["roleCredentials"]["accessKeyId"]
        self._cred_entry("sso", "GetRoleCredentials", 200, extra)
        return h.reply(200, json.dumps(doc).encode(), "application/json")

    # ---- admin API ----

    def admin(self, h, method, path, raw_query, body):
        q = dict(urllib.parse.parse_qsl(raw_query))
        try:
            data = json.loads(body.decode() or "{}") if method in ("POST", "PUT") else {}
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object")
            status, out = self.admin_route(method, path.rstrip("/"), q, data)
        except (ValueError, KeyError, TypeError) as e:
            status, out = 400, {"error": str(e)}
        h.reply(status, (json.dumps(out, indent=None) + "\n").encode(), "application/json")

    def admin_route(self, method, path, q, data):
        m = self.model
        if path in ("/_emulator", "/_emulator/health"):
            return 200, {"ok": True, "port": self.port, "pid": os.getpid()}
        if path == "/_emulator/state" and method == "GET":
            with m.lock:
                m.tick()
                return 200, self.state_view(q)
        if path == "/_emulator/config":
            if method == "POST":
                with m.lock:
                    self.set_config(data)
                self.persister.poke()
            with m.lock:
                return 200, dict(m.config)
        if path == "/_emulator/calls":
            if method == "DELETE":
                with self.log_lock:
                    self.calls.clear()
                return 200, {"last": self.seq}
            return 200, self.calls_since(int(q.get("since", 0)), q.get("action"), q.get("service"))
        if path == "/_emulator/faults":
            if method in ("POST", "PUT") and data.get("kind") == "damage-snapshot":
                return 200, self.damage(data)
            if method in ("POST", "PUT"):
                self.faults.set(data)
            elif method == "DELETE":
                self.faults.set({})
            return 200, self.faults.view()
        if path == "/_emulator/clock":
            if method == "POST":
                with m.lock:
                    if "set" in data:
                        m.clock_set(parse_time(data["set"]))
                    elif "advance" in data:
                        m.clock_advance(float(data["advance"]))
                    elif data.get("real"):
                        m.clock_real()
                    else:
                        raise ValueError('clock: give {"set": RFC3339}, {"advance": seconds} or {"real": true}')
                self.persister.poke()
                self.pg.sync()
            with m.lock:
                m.tick()
                now = m.now()
                return 200, {"now": rfc3339(now), "epoch": now, "frozen": m.clock.frozen,
                             "offset": m.clock.offset}
        if path == "/_emulator/sns":
            with m.lock:
                if method == "DELETE":
                    m.sns.clear()
                    m.touch()
                msgs = [x for x in m.sns if not q.get("topic") or x["TopicArn"] == q["topic"]]
            return 200, {"messages": msgs}
        if path == "/_emulator/metrics":
            with m.lock:
                if method == "DELETE":
                    m.metrics.clear()
                    m.touch()
                data_ = [x for x in m.metrics if not q.get("namespace") or x["Namespace"] == q["namespace"]]
            return 200, {"metrics": data_}
        if path == "/_emulator/sso/token" and method == "POST":
            with m.lock:
                tok, exp = sts.sso_new_token(m, data.get("user"), float(data.get("expiresIn", 3600)), m.now())
            self.persister.poke()
            return 200, {"accessToken": tok, "expiresAt": rfc3339(exp, millis=False)}
        if path == "/_emulator/credentials":
            with m.lock:
                now = m.now()
                issued = [{"accessKey": k, "source": v["source"], "arn": v["arn"],
                           "expiration": rfc3339(v["expiration"]), "expired": v["expiration"] <= now}
                          for k, v in m.credentials.items()]
            return 200, {"issued": issued, "hits": dict(self.hits)}
        if path == "/_emulator/seed" and method == "POST":
            with m.lock:
                m.apply_seed(data)
            self.persister.poke()
            self.pg.sync(full=True)
            return 200, {"ok": True}
        if path == "/_emulator/reset" and method == "POST":
            self.reset()
            self.pg.sync(full=True)
            return 200, {"ok": True}
        return 404, {"error": "no admin endpoint %s %s" % (method, path)}

    def damage(self, data):
        """The damage-snapshot fault: a database-backed snapshot's files lose a table (pg.py)."""
        bad = set(data) - {"kind", "snapshot", "region", "how", "table"}
        if bad:
            raise ValueError("damage-snapshot: unknown key(s): %s (known: kind, snapshot, region, how, table)"
                             % ", ".join(sorted(bad)))
        if not data.get("snapshot"):
            raise ValueError("damage-snapshot: snapshot is required")
        sid = str(data["snapshot"])
        sid = sid if sid.startswith("rds:") else sid.lower()
        try:
            return self.pg.damage(data.get("region") or "us-east-1", sid, data.get("how") or "drop-table",
                                  data.get("table") or "books")
        except (PG.PgError, OSError) as e:
            raise ValueError("damage-snapshot: %s" % e) from None

    def set_config(self, data):
        m = self.model
        unknown = set(data) - set(DEFAULT_CONFIG)
        if unknown:
            raise ValueError("unknown config key(s): %s (known: %s)" % (", ".join(sorted(unknown)),
                                                                        ", ".join(sorted(DEFAULT_CONFIG))))
        for k, v in data.items():
            if k == "snapshotQuota" and isinstance(v, dict):
                for reg, n in v.items():
                    if reg == "default":
                        m.config["snapshotQuota"] = int(n)
                    else:
                        m.config.setdefault("snapshotQuotas", {})[reg] = int(n)
                continue
            if k in ("createSeconds", "copySeconds", "restoreSeconds", "credentialsTTL", "restorableLagSeconds",
                     "clockSkewSeconds", "pgSwitchSeconds") and v is not None:
                v = float(v)
                if v < 0:
                    raise ValueError("%s must be >= 0" % k)
            if k in ("createDescribes", "copyDescribes", "restoreDescribes", "snapshotQuota", "copyLimit"):
                v = int(v)
                if v < 0:
                    raise ValueError("%s must be >= 0" % k)
            if k == "automatedBackups":
                v = bool(v)
            m.config[k] = v
        m.touch()
        m.rebuild_schedule(m.now())

    def reset(self):
        with self.model.lock:
            fresh = M.Model()
            if self.seed:
                fresh.apply_seed(self.seed)
            m = self.model
            m.account, m.clock, m.config, m.regions = fresh.account, fresh.clock, fresh.config, fresh.regions
            m.sns, m.metrics, m.credentials, m.last_tick = [], [], {}, fresh.last_tick
            m.iam = fresh.iam
            m.accounts = fresh.accounts
            for sub in m.accounts.values():
                m._share(sub)
            m.rebuild_schedule(m.now())
            m.touch()
        self.faults.set({})
        self.persister.poke()

    def state_view(self, q):
        """One account's view (?account=ID; default: the default account's), with every account's id."""
        acct = q.get("account")
        if acct is not None and acct != self.model.account and acct not in self.model.accounts:
            raise ValueError("no account %s (accounts: %s)" % (acct, ", ".join(
                x.account for x in self.model.all_accounts())))
        m = self.model.for_account(acct)
        want = q.get("region")
        with_snaps = q.get("snapshots", "1") not in ("0", "false")
        out = {"account": m.account, "accounts": [x.account for x in self.model.all_accounts()],
               "now": rfc3339(m.now()), "frozen": m.clock.frozen, "config": dict(m.config), "regions": {}}
        for name, r in sorted(m.regions.items()):
            if want and name != want:
                continue
            ctx = Ctx(self, name, {}, None, None, m)
            backups = [_view(b) for b in rds._backups_in_region(ctx).values()]
            reg = {
                "instances": [dict(_view(d), latestRestorableTime=rfc3339(m.latest_restorable(r, d, ctx.now)),
                                   earliestRestorableTime=rfc3339(m.earliest_restorable(r, d, ctx.now)))
                              for d in (r.instances[i] for i in r.inst_ids)],
                "automatedBackups": backups,
                "topics": [t["arn"] for t in r.topics.values()],
                "kmsKeys": list(r.kms_keys),
                "counts": {"instances": len(r.instances), "snapshots": len(r.snapshots),
                           "manual": r.manual_count(), "automated": len(r.by_type.get("automated", ())),
                           "pending": len(r.pending), "copiesInFlight": r.copies_in_flight(),
                           "quota": m.quota(name)},
            }
            if with_snaps:
                reg["snapshots"] = [_view(r.snapshots[i]) for i in r.all_ids]
            if r.clusters or r.cluster_snapshots:
                rds_clusters.settle(m, r, ctx.now)
                reg["clusters"] = [_view(c) for _, c in sorted(r.clusters.items())]
                reg["clusterSnapshots"] = [_view(x) for _, x in sorted(r.cluster_snapshots.items())]
            out["regions"][name] = reg
        return out


TIME_KEYS = ("created", "originalCreated", "instanceCreated", "backupsSince", "readyAt", "startedAt",
             "earliest", "latest", "expiration", "pgEnd", "pgLatest", "clusterCreated")


def _view(d):
    v = dict(d)
    for k in TIME_KEYS:
        if isinstance(v.get(k), (int, float)):
            v[k] = rfc3339(v[k])
    if isinstance(v.get("database"), dict):
        v["database"] = dict(v["database"], password="REDACTED")
    return v


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without TCP_NODELAY, Nagle holds the body until the
    # client's delayed ACK (40 ms on Linux) on every answer of a kept-alive connection
    disable_nagle_algorithm = True
    server_version = "snapkeep-emulator"
    sys_version = ""
    timeout = 120

    def log_message(self, fmt, *args):  # the call log replaces the access log (no query strings: no signatures)
        pass

    def read_body(self):
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                try:
                    n = int(line.split(b";")[0].strip() or b"0", 16)
                except ValueError:
                    self.reply(400, b"bad chunk", "text/plain")
                    return None
                if n == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(n))
                self.rfile.readline(3)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def reply(self, status, body, ctype, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def drop(self):
        """Closes the connection without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _do(self):
        try:
            self.server.app.handle(self, self.command)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _do


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def load_keys(args):
    keys = {}
    if args.keys:
        with open(args.keys) as f:
            text = f.read()
        try:
            obj = json.loads(text)
            if not isinstance(obj, dict):
                raise ValueError
            keys.update({str(k): str(v) for k, v in obj.items()})
        except ValueError:
            for ln in text.splitlines():
                ln = ln.strip()
                if ln and not ln.startswith("#"):
                    akid, sep, secret = ln.partition(":")
                    if not sep:
                        raise SystemExit("emulator: --keys %s: expected AKID:SECRET lines or a JSON object" % args.keys)
                    keys[akid.strip()] = secret.strip()
    for kv in args.key or []:
        akid, sep, secret = kv.partition(":")
        if not sep or not akid or not secret:
            raise SystemExit("emulator: --key wants AKID:SECRET, got '%s'" % kv.split(":")[0])
        keys[akid] = secret
    if not keys:
        keys[DEFAULT_KEY[0]] = DEFAULT_KEY[1]
    return keys


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="emulator.py",
        description="snapkeep's local AWS endpoint: RDS, SNS, CloudWatch and STS (Query API, SigV4-checked) plus "
                    "IMDSv2 and ECS credential endpoints and an unsigned admin API under /_emulator/ "
                    "(see tests/emulator/README.md).")
    ap.add_argument("--port", type=int, default=0, help="TCP port to listen on; 0 picks a free one (default 0)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--ready-file", metavar="FILE",
                    help="once listening, write the port number to FILE (atomically)")
    ap.add_argument("--state", metavar="FILE",
                    help="JSON state file: loaded at start when it exists, rewritten (temp + rename) after every "
                         "change and on SIGTERM; without it the state lives in memory only")
    ap.add_argument("--seed", metavar="FILE",
                    help="seed JSON (account, regions -> instances/snapshots/topics/kmsKeys, generate) applied "
                         "when the state is fresh, and again by POST /_emulator/reset")
    ap.add_argument("--keys", metavar="FILE",
                    help="access keys: a JSON object {\"AKID\": \"SECRET\"} or AKID:SECRET lines; replaces the "
                         "default key")
    ap.add_argument("--key", action="append", metavar="AKID:SECRET",
                    help="an access key (repeatable); replaces the default key AKIDSNAPKEEPTEST:"
                         "snapkeep-emulator-secret")
    ap.add_argument("--account", help="AWS account id for a fresh state (default: the seed's, else 123456789012)")
    ap.add_argument("--pg-dir", metavar="DIR",
                    help="where database-backed instances keep their PostgreSQL clusters, WAL archives and base "
                         "backups (default: postgres/ next to --state, else a temporary folder removed at exit)")
    ap.add_argument("--quiet", action="store_true", help="do not print one line per call on stderr")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    keys = load_keys(args)
    model = M.Model()
    seed = None
    if args.seed:
        try:
            with open(args.seed) as f:
                seed = json.load(f)
        except (OSError, ValueError) as e:
            raise SystemExit("emulator: --seed %s: %s" % (args.seed, e))
    if args.account:
        model.account = args.account
        if seed is not None:
            seed = dict(seed, account=args.account)
    loaded = False
    if args.state and os.path.exists(args.state) and os.path.getsize(args.state) > 0:
        try:
            with open(args.state) as f:
                model.load(json.load(f))
            loaded = True
        except (OSError, ValueError, KeyError) as e:
            raise SystemExit("emulator: --state %s: %s" % (args.state, e))
    if not loaded:
        if seed is not None:
            model.apply_seed(seed)
        model.dirty = True
    persister = M.Persister(model, args.state)
    persister.flush()
    persister.start()
    pg_dir = args.pg_dir or (os.path.join(os.path.dirname(os.path.abspath(args.state)), "postgres")
                             if args.state else None)
    pg = PG.Postgres(model, pg_dir, changed=persister.poke)
    app = App(model, persister, keys, seed, args.quiet, pg)
    server = Server((args.host, args.port), Handler)
    server.app = app
    app.port = server.server_address[1]
    t = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    t.start()
    # database-backed instances: their servers start (or start again) now; the ready file waits for them
    pg.sync(full=True)
    pg.wait_up(25)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % app.port)
        os.replace(tmp, args.ready_file)
    sys.stderr.write("emulator: listening on http://%s:%d (%s, %d region(s))\n"
                     % (args.host, app.port, "state loaded" if loaded else "fresh state", len(model.regions)))
    sys.stderr.flush()
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    pg.close()
    persister.stop()
    sys.stderr.write("emulator: stopped, state saved\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
