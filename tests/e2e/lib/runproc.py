"""runproc - a `snapkeep run` process in the background, for the t07* tests.

    p = RunProc(["--repo", repo, "--interval", "2s"], env=env, workdir=work)
    p.wait_for(r"cycle 1 ok")             # a regex over its stderr, with a timeout
    status, body = p.http("/healthz")    # the --metrics-addr server (port from the log)
    metrics = p.metrics()                # {("snapkeep_cycles_total", (("outcome", "success"),)): 3.0, ...}
    rc = p.stop()                        # SIGTERM, then its exit code

stdout and stderr go to files (no pipe to fill up and block the process).
"""
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

import sktest


class RunProc:
    def __init__(self, args, env, workdir, name="run", binary=None):
        self.out_path = os.path.join(workdir, name + ".out")
        self.err_path = os.path.join(workdir, name + ".err")
        e = dict(os.environ)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        self._out = open(self.out_path, "w")
        self._err = open(self.err_path, "w")
        self.started = time.time()
        self.proc = subprocess.Popen([binary or sktest.BIN, "run"] + list(args), env=e, stdout=self._out,
                                     stderr=self._err, stdin=subprocess.DEVNULL)
        self.rc = None
        self._port = None

    def err(self):
        with open(self.err_path) as f:
            return f.read()

    def out(self):
        with open(self.out_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def wait_for(self, pattern, timeout=15, count=1):
        """Waits until pattern (a regex) has matched `count` times in stderr; returns the last match, or None
        (after timeout, or when the process ended first)."""
        rx = re.compile(pattern, re.M)
        deadline = time.time() + timeout
        while True:
            found = list(rx.finditer(self.err()))
            if len(found) >= count:
                return found[count - 1]
            if time.time() > deadline or not self.alive():
                return None
            time.sleep(0.05)

    def count(self, pattern):
        return len(re.findall(pattern, self.err(), re.M))

    def wait_next(self, pattern, timeout=15):
        """Waits for one more match of pattern than stderr holds now; returns it, or None."""
        return self.wait_for(pattern, timeout=timeout, count=self.count(pattern) + 1)

    def port(self):
        if self._port is None:
            m = self.wait_for(r"serving /metrics and /healthz on \S+ \(port (\d+)\)", timeout=15)
            if not m:
                raise RuntimeError("no metrics port in the log:\n" + self.err())
            self._port = int(m.group(1))
        return self._port

    def http(self, path, method="GET"):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port(), path), method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode(), dict(r.getheaders())
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def metrics(self):
        status, body, _ = self.http("/metrics")
        if status != 200:
            raise RuntimeError("/metrics answered %d" % status)
        return parse_metrics(body)

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Sends sig (if still running) and waits; returns the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.rc = None
        else:
            self.rc = self.proc.returncode
        self._out.close()
        self._err.close()
        return self.rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text format 0.0.4 -> {(name, ((label, value), ...) sorted): float}; checks HELP/TYPE lines."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError("not a sample line: %r" % line)
        labels = tuple(sorted(_LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def metric(ms, name, **labels):
    """One sample's value, or None."""
    return ms.get((name, tuple(sorted(labels.items()))))


def metric_sum(ms, name, **labels):
    """The sum over the samples of name whose labels include `labels`."""
    total = 0.0
    for (n, ls), v in ms.items():
        d = dict(ls)
        if n == name and all(d.get(k) == v2 for k, v2 in labels.items()):
            total += v
    return total
