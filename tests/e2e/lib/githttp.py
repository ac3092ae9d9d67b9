"""githttp - serve bare repositories over git's smart HTTP protocol, for tests.

libgit2 speaks only the smart protocol (a dumb server's info/refs is refused
with "invalid content-type"), so each request is handed to `git http-backend`
as a CGI program, as a web server in front of git would.  Every request is
recorded with its Authorization header, so a test can tell whether a
credential was ever sent.

    with GitHTTP(root) as srv:            # root holds repo.git
        url = srv.url("repo.git")         # http://127.0.0.1:PORT/repo.git
        srv.require_auth = ("x-access-token", "s3cr3t")  # 401 without it
        srv.redirect = ("/moved.git", "http://127.0.0.2:PORT2/repo.git")  # after auth
        ...
        srv.requests                      # [(method, path, authorization or None)]

Listens on a loopback address only, on a port the system picks; with
tls=(certfile, keyfile) it speaks https (url() then says so), and name= sets
the host name its URLs use (a certificate's name, e.g. localhost).
"""
import base64
import http.server
import os
import ssl
import subprocess
import threading

BACKEND = "/usr/lib/git-core/git-http-backend"


def _backend():
    if os.path.exists(BACKEND):
        return [BACKEND]
    return ["git", "http-backend"]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the test prints what it checks
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _reply(self, status, headers, body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self):
        srv = self.server.owner
        body = self._body()
        auth = self.headers.get("Authorization")
        with srv.lock:
            srv.requests.append((self.command, self.path, auth))
        path, _, query = self.path.partition("?")
        if srv.require_auth:
            want = "Basic " + base64.b64encode(("%s:%s" % srv.require_auth).encode()).decode()
            if auth != want:
                return self._reply(401, [("WWW-Authenticate", 'Basic realm="git"')])
        if srv.redirect and path.startswith(srv.redirect[0]):
            target = srv.redirect[1] + self.path[len(srv.redirect[0]):]
            return self._reply(302, [("Location", target)])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_PROJECT_ROOT": srv.root,
               "GIT_HTTP_EXPORT_ALL": "1", "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": self.command,
               "PATH_INFO": path, "QUERY_STRING": query, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": self.client_address[0],
               "SERVER_PROTOCOL": "HTTP/1.1", "HOME": srv.root, "GIT_CONFIG_NOSYSTEM": "1"}
        p = subprocess.run(_backend(), input=body, env=env, capture_output=True, timeout=60)
        head, _, out = p.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, out = p.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k:
                headers.append((k, v.strip()))
        self._reply(status, headers, out)

    do_GET = _serve
    do_POST = _serve


class GitHTTP:
    def __init__(self, root, host="127.0.0.1", tls=None, name=None):
        self.root = os.path.abspath(root)
        self.requests = []
        self.require_auth = None
        self.redirect = None
        self.lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer((host, 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.host, self.port = name or host, self.httpd.server_address[1]
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)

    def url(self, name):
        return "%s://%s:%d/%s" % (self.scheme, self.host, self.port, name)

    def authorizations(self):
        with self.lock:
            return [a for (_, _, a) in self.requests if a]

    def reset(self):
        with self.lock:
            self.requests = []

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        return False
