"""emulator_ctl - starts, stops and drives tests/emulator from a test.

    from emulator_ctl import Emulator
    with Emulator(seed={...}) as emu:
        env = emu.env()              # what a client needs to reach it
        emu.config(createSeconds=0)
        emu.clock(advance=86400)
        emu.calls(since=n)["calls"]
        status, body = emu.call("rds", "DescribeDBInstances", {})   # a SigV4-signed call

The admin calls use urllib only.  call() signs with its own small SigV4
implementation (independent of the emulator's verifier, so one checks the
other)."""
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

TOP = os.environ.get("SNAPKEEP_TOP") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EMULATOR = os.path.join(TOP, "tests", "emulator", "emulator.py")
ACCESS_KEY = "AKIDSNAPKEEPTEST"
SECRET_KEY = "snapkeep-emulator-secret"
VERSIONS = {"rds": "2014-10-31", "sns": "2010-03-31", "monitoring": "2010-08-01", "sts": "2011-06-15"}


class EmulatorError(RuntimeError):
    pass


class Emulator:
    def __init__(self, seed=None, args=(), workdir=None, start=True, keep=None):
        self.seed = seed
        self.args = list(args)
        self.own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="sk-emu-")
        self.keep = os.environ.get("SNAPKEEP_KEEP") == "1" if keep is None else keep
        self.state_file = os.path.join(self.dir, "state.json")
        self.seed_file = os.path.join(self.dir, "seed.json")
        self.ready_file = os.path.join(self.dir, "port")
        self.log_file = os.path.join(self.dir, "emulator.log")
        self.proc = None
        self.port = None
        self.url = None
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        if seed is not None:
            with open(self.seed_file, "w") as f:
                json.dump(seed, f)
        if start:
            self.start()

    # ---- process control ----

    def start(self):
        if os.path.exists(self.ready_file):
            os.unlink(self.ready_file)
        argv = [sys.executable, EMULATOR, "--port", str(self.port or 0), "--ready-file", self.ready_file,
                "--state", self.state_file]
        if self.seed is not None:
            argv += ["--seed", self.seed_file]
        argv += self.args
        self._log = open(self.log_file, "a")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(self.ready_file):
                with open(self.ready_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    self.url = "http://127.0.0.1:%d" % self.port
                    return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise EmulatorError("the emulator did not start:\n" + self.log())

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self._log.close()

    def restart(self):
        """Stops (SIGTERM: the state is saved) and starts again on the same state file and port."""
        self.stop()
        return self.start()

    def log(self):
        try:
            with open(self.log_file) as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        self.stop()
        if self.own_dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- environment for clients ----

    def env(self, region="us-east-1"):
        """Environment for a client: this endpoint and key, nothing leaking in from ~/.aws or the caller
        (None values are removed by sktest.run)."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": region,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PROFILE": None,
            "AWS_DEFAULT_PROFILE": None,
            "AWS_SESSION_TOKEN": None,
            "AWS_SECURITY_TOKEN": None,
            "AWS_DEFAULT_REGION": None,
            "AWS_ROLE_ARN": None,
            "AWS_WEB_IDENTITY_TOKEN_FILE": None,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": None,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": None,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": None,
        }

    # ---- admin API ----

    def admin(self, method, path, body=None, query=None):
        url = self.url + "/_emulator/" + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            raise EmulatorError("%s %s: HTTP %d %s" % (method, path, e.code, e.read().decode())) from None

    def config(self, **kw):
        return self.admin("POST", "config", kw) if kw else self.admin("GET", "config")

    def faults(self, **kw):
        return self.admin("POST", "faults", kw)

    def clock(self, set=None, advance=None, real=None):
        if set is not None:
            return self.admin("POST", "clock", {"set": set})
        if advance is not None:
            return self.admin("POST", "clock", {"advance": advance})
        if real:
            return self.admin("POST", "clock", {"real": True})
        return self.admin("GET", "clock")

    def calls(self, since=0, action=None, service=None):
        return self.admin("GET", "calls", query={"since": since, "action": action, "service": service})

    def mutating(self, since=0, service=None):
        """the actions of the mutating calls since `since` (a call log mark), of one service or all"""
        return [c["action"] for c in self.calls(since=since, service=service)["calls"] if c.get("mutating")]

    def state(self, region=None, snapshots=True, account=None):
        """the admin view of one account (default: the seed's default account)"""
        return self.admin("GET", "state", query={"region": region, "snapshots": None if snapshots else "0",
                                                 "account": account})

    def sns_messages(self):
        return self.admin("GET", "sns")["messages"]

    def metrics(self):
        return self.admin("GET", "metrics")["metrics"]

    def credentials(self):
        return self.admin("GET", "credentials")

    def add_seed(self, seed):
        return self.admin("POST", "seed", seed)

    def reset(self):
        return self.admin("POST", "reset", {})

    # ---- signed calls ----

    def call(self, service, action, params=None, region="us-east-1", key=None, secret=None, token=None,
             method="POST", when=None, headers=None, timeout=60):
        """One Query API call signed with SigV4 (header signing).  -> (HTTP status, body text, headers)."""
        q = {"Action": action, "Version": VERSIONS.get(service, "2014-10-31")}
        q.update(params or {})
        body = urllib.parse.urlencode(sorted(q.items()), quote_via=urllib.parse.quote).encode()
        host = "127.0.0.1:%d" % self.port
        hdrs = {"Host": host, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        hdrs.update(headers or {})
        if token:
            hdrs["X-Amz-Security-Token"] = token
        path, query = "/", ""
        if method == "GET":
            path, query, body = "/", body.decode(), b""
            del hdrs["Content-Type"]
        sign_headers(hdrs, method, path, query, body, region, service, key or self.access_key,
                     secret or self.secret_key, when)
        return self.raw(method, path + ("?" + query if query else ""), body, hdrs, timeout)

    def raw(self, method, target, body=b"", headers=None, timeout=60):
        """Sends exactly this request -> (status, body text, headers); (0, error, {}) if the connection closed."""
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                c.putheader(k, v)
            if body or method in ("POST", "PUT"):
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body or None)
            r = c.getresponse()
            return r.status, r.read().decode(), dict(r.getheaders())
        except (http.client.RemoteDisconnected, ConnectionError) as e:
            return 0, str(e), {}
        finally:
            c.close()

    def presign(self, action, params, source_region, dest_region, key=None, secret=None, when=None,
                expires=3600, token=None):
        """A presigned GET URL for action in source_region naming dest_region, as the SDKs build PreSignedUrl."""
        q = {"Action": action, "Version": "2014-10-31", "DestinationRegion": dest_region}
        q.update(params)
        return presign_url(self.url + "/", q, source_region, "rds", key or self.access_key,
                           secret or self.secret_key, when, expires, token)


# ---- a small, separate SigV4 signer for the tests ----

def _enc(s):
    return urllib.parse.quote(str(s), safe="-_.~")


def _amzdate(when):
    t = dt.datetime.fromtimestamp(time.time() if when is None else when, dt.timezone.utc)
    return t.strftime("%Y%m%dT%H%M%SZ")


def _key(secret, date, region, service):
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _canon_query(q):
    pairs = []
    for part in q.split("&") if q else []:
        k, _, v = part.partition("=")
        pairs.append((_enc(urllib.parse.unquote(k)), _enc(urllib.parse.unquote(v))))
    return "&".join("%s=%s" % p for p in sorted(pairs))


def sign_headers(hdrs, method, path, query, body, region, service, key, secret, when=None):
    """Adds X-Amz-Date and Authorization to hdrs (a dict), signing every header in it."""
    amz = _amzdate(when)
    hdrs["X-Amz-Date"] = amz
    names = sorted(hdrs, key=str.lower)
    signed = ";".join(n.lower() for n in names)
    canon_headers = "".join("%s:%s\n" % (n.lower(), " ".join(str(hdrs[n]).split())) for n in names)
    creq = "\n".join([method, path, _canon_query(query), canon_headers, signed, hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (amz[:8], region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
    sig = hmac.new(_key(secret, amz[:8], region, service), sts.encode(), hashlib.sha256).hexdigest()
    hdrs["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        key, scope, signed, sig)
    return hdrs


def presign_url(base, params, region, service, key, secret, when=None, expires=3600, token=None):
    u = urllib.parse.urlsplit(base)
    amz = _amzdate(when)
    scope = "%s/%s/%s/aws4_request" % (amz[:8], region, service)
    q = dict(params)
    q.update({"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": "%s/%s" % (key, scope),
              "X-Amz-Date": amz, "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": "host"})
    if token:
        q["X-Amz-Security-Token"] = token
    query = "&".join("%s=%s" % (_enc(k), _enc(v)) for k, v in sorted(q.items()))
    creq = "\n".join(["GET", u.path or "/", _canon_query(query), "host:%s\n" % u.netloc, "host",
                      hashlib.sha256(b"").hexdigest()])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
    sig = hmac.new(_key(secret, amz[:8], region, service), sts.encode(), hashlib.sha256).hexdigest()
    return "%s://%s%s?%s&X-Amz-Signature=%s" % (u.scheme, u.netloc, u.path or "/", query, sig)


def xml_text(body, tag):
    """The text of every <tag> element in body (a quick look for tests; the XML is parsed properly)."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(body)
    return [e.text or "" for e in root.iter() if e.tag.split("}")[-1] == tag]
