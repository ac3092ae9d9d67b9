"""chromium - Debian's headless Chromium, driven over the DevTools protocol.

One browser run does everything a test needs (a Chromium start is slow on
a loaded machine): open a local file, read the DOM through JavaScript the
TEST runs (the page itself has none), take screenshots at several widths,
print to PDF.  The browser speaks the protocol on a pipe
(--remote-debugging-pipe: requests on fd 3, answers on fd 4, each message
JSON ended by a NUL byte), so no port is opened.

The network is blocked three ways: every host name resolves to nothing
(--host-resolver-rules), every request goes to a proxy on a closed port,
and background services are off; and Chromium's own network log
(--log-net-log) is read back to say which requests anything made.

    with Browser(workdir) as b:
        b.open("file:///.../report.html", width=1280, height=900)
        rows = b.eval("document.querySelectorAll('tr.row').length")
        b.screenshot("desktop.png")
    b.page_requests()   # the requests the page made: [] when self-contained
"""
import base64
import json
import os
import select
import shutil
import subprocess
import time

CHROMIUM = os.environ.get("CHROMIUM", "chromium")


def available():
    return shutil.which(CHROMIUM) is not None


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, workdir, timeout=60):
        self.workdir = workdir
        self.timeout = timeout
        self.netlog = os.path.join(workdir, "netlog.json")
        self.stderr_path = os.path.join(workdir, "chromium.stderr")
        self.proc = None
        self.session = None
        self._id = 0
        self._buf = b""
        self._events = []

    # ---- process ----

    def __enter__(self):
        os.makedirs(self.workdir, exist_ok=True)
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def fds():
            # the pipe ends as fds 3 and 4, inheritable (dup2 clears close-on-exec)
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        argv = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                "--user-data-dir=" + os.path.join(self.workdir, "profile"),
                "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                "--log-net-log=" + self.netlog, "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
                "about:blank"]
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(argv, preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self._stderr)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)
        return self

    def __exit__(self, *exc):
        try:
            if self.proc and self.proc.poll() is None:
                try:
                    self.call("Browser.close", timeout=15)
                except (BrowserError, OSError):
                    pass
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (self._w, self._r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._stderr.close()
        return False

    # ---- the protocol ----

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("chromium did not answer in time")
            ready, _, _ = select.select([self._r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise BrowserError("chromium closed the pipe (exit %s); see %s" % (self.proc.poll(), self.stderr_path))
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=False, timeout=None):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._id:
                if "error" in m:
                    raise BrowserError("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            if "method" in m:
                self._events.append(m)

    def wait_event(self, method, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, m in enumerate(self._events):
                if m.get("method") == method:
                    del self._events[i]
                    return m.get("params", {})
            m = self._read_message(deadline)
            if "method" in m:
                self._events.append(m)

    # ---- what tests use ----

    def viewport(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}, session=True)

    def open(self, url, width=1280, height=900, mobile=False):
        self.viewport(width, height, mobile)
        self._events = [e for e in self._events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired")

    def eval(self, expression):
        """The value of a JavaScript expression in the page (JSON-able)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in r:
            raise BrowserError("%s: %s" % (expression, r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def screenshot(self, path, clip=None, full_page=False):
        """A PNG of the viewport, or of clip {x, y, width, height}, or of the whole page."""
        params = {"format": "png"}
        if full_page:
            size = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            clip = {"x": 0, "y": 0, "width": size[0], "height": size[1]}
            params["captureBeyondViewport"] = True
        if clip:
            params["clip"] = dict(clip, scale=1)
            params["captureBeyondViewport"] = True  # a clip may reach below the viewport
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def pdf(self, path):
        data = self.call("Page.printToPDF", {"printBackground": True}, session=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    # ---- the network log (complete once the browser has exited) ----

    def requests(self):
        """Every URL request anything in the browser started: [(url, initiator, isolation key)]."""
        with open(self.netlog) as f:
            text = f.read()
        try:
            log = json.loads(text)
        except ValueError:
            # a log cut short (browser killed): close it as Chromium would
            log = json.loads(text.rstrip().rstrip(",") + "]}")
        types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
        out = []
        for e in log.get("events", []):
            p = e.get("params") or {}
            if types.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p:
                out.append((p["url"], p.get("initiator", ""), p.get("network_isolation_key", "")))
        return out

    def page_requests(self):
        """The requests a page made (Chromium's own background ones have no origin behind them)."""
        return [r for r in self.requests() if r[1] != "not an origin" or r[2].startswith("file://")]


def png_size(path):
    """(width, height) of a PNG, from its IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s is not a PNG" % path)
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
