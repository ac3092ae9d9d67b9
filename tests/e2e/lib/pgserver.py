"""pgserver - a real PostgreSQL 15 for e2e scripts that use the PostgreSQL
state backend: initdb + pg_ctl on a free loopback port in a temporary
folder, password authentication over TCP (scram-sha-256), trust over the
folder's Unix socket for psql().  As root, every PostgreSQL program runs as
the postgres user (runuser).  Stopped (immediate) and removed on exit.

    with PgServer() as pg:
        pg.psql("CREATE DATABASE sk")
        url = pg.url("sk")          # postgres://postgres:<pw>@127.0.0.1:<port>/sk?sslmode=disable
        pg.restart()                # stop and start again on the same port

PgServer(durable=True) runs with fsync on, as a production server would
(benchmarks); tests run without it.
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

PGBIN = os.environ.get("SNAPKEEP_PG_BIN", "/usr/lib/postgresql/15/bin")
PASSWORD = "e2e-superuser-pw"


def available():
    if not os.access(os.path.join(PGBIN, "initdb"), os.X_OK):
        return False
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False
    return True


def _free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class PgServer:
    def __init__(self, durable=False):
        """durable: fsync on, as a production server (benchmarks); tests run without it"""
        self.durable = durable
        self.dir = tempfile.mkdtemp(prefix="sk-e2e-pgstate-")
        self.port = None
        self.running = False

    def _run(self, argv, check=True, input=None):
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        r = subprocess.run(argv, capture_output=True, text=True, input=input, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError("%s failed: %s%s" % (argv[0 if os.geteuid() else 4], r.stdout, r.stderr))
        return r

    def __enter__(self):
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        pwfile = os.path.join(self.dir, "pwfile")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(pwfile, 0o644)
        self._run([os.path.join(PGBIN, "initdb"), "-D", os.path.join(self.dir, "data"), "-U", "postgres",
                   "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile", pwfile, "-E", "UTF8",
                   "--no-sync", "--no-instructions"])
        self.start()
        return self

    def start(self):
        for _ in range(5):
            port = self.port or _free_port()
            opts = ("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=%s -c max_connections=40 "
                    "-c shared_buffers=16MB" % (port, self.dir, "on" if self.durable else "off"))
            r = self._run([os.path.join(PGBIN, "pg_ctl"), "-D", os.path.join(self.dir, "data"), "-l",
                           os.path.join(self.dir, "log"), "-o", opts, "-w", "-t", "60", "start"], check=False)
            if r.returncode == 0:
                self.port = port
                self.running = True
                return
            if self.port:
                break
        raise RuntimeError("pg_ctl start failed: " + self.log())

    def stop(self, mode="fast"):
        if self.running:
            self._run([os.path.join(PGBIN, "pg_ctl"), "-D", os.path.join(self.dir, "data"), "-m", mode, "-w",
                       "stop"], check=False)
            self.running = False

    def restart(self):
        self.stop()
        self.start()

    def log(self):
        try:
            return open(os.path.join(self.dir, "log")).read()[-4000:]
        except OSError:
            return ""

    def psql(self, sql, db="postgres", check=True):
        r = self._run([os.path.join(PGBIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                       self.dir, "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql], check=check)
        return r.stdout.strip() if check else r

    def url(self, db, user="postgres", password=PASSWORD):
        auth = user if password is None else "%s:%s" % (user, password)
        return "postgres://%s@127.0.0.1:%d/%s?sslmode=disable" % (auth, self.port, db)

    def __exit__(self, *exc):
        self.stop(mode="immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
        return False
