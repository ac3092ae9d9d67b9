"""pgserver - a throw-away PostgreSQL 15 server for e2e tests of the state backend.

    with PgServer() as pg:                 # initdb + pg_ctl start on a free loopback port
        url = pg.url("snapkeep")           # postgresql://snapkeep@127.0.0.1:PORT/snapkeep (password in pg.env())
        pg.psql("SELECT 1", db="snapkeep")
        pg.stop(); pg.start()              # the same data and port: "PostgreSQL restarted"

As root, every PostgreSQL program runs as the postgres user (runuser -u
postgres --) and the folder is given to it, as tests/unit/pg_fixture.h and
tests/emulator/pg.py do.  The role snapkeep owns the database snapkeep and
logs in with a password over TCP (scram-sha-256); the superuser only over
the folder's Unix socket (trust)."""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

PGBIN = os.environ.get("SNAPKEEP_PG_BIN") or "/usr/lib/postgresql/15/bin"
PASSWORD = "snapkeep-e2e-password"


def available():
    if not os.access(os.path.join(PGBIN, "initdb"), os.X_OK):
        return False
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False
    return True


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer:
    def __init__(self, base=None):
        self.root = os.geteuid() == 0
        self.base = base or tempfile.mkdtemp(prefix="sk-e2e-pg-")
        self.data = os.path.join(self.base, "data")
        self.log = os.path.join(self.base, "server.log")
        self.port = free_port()
        self.running = False
        if self.root:
            user = pwd.getpwnam("postgres")
            p = self.base
            while os.path.dirname(p) != p:  # every folder above must let postgres through
                p = os.path.dirname(p)
                st = os.stat(p)
                if not st.st_mode & 0o001:
                    os.chmod(p, st.st_mode | 0o001)
            os.chown(self.base, user.pw_uid, user.pw_gid)
        self._run([self._bin("initdb"), "-D", self.data, "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"
                    "fsync = off\nlog_min_messages = warning\n" % (self.port, self.base))
        self.start()
        self.psql("CREATE ROLE snapkeep LOGIN PASSWORD '%s'" % PASSWORD)
        self.psql("CREATE DATABASE snapkeep OWNER snapkeep")

    def _bin(self, name):
        return os.path.join(PGBIN, name)

    def _run(self, argv, check=True, timeout=120):
        if self.root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        p = subprocess.run(argv, cwd=self.base, capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, LC_ALL="C"))
        if check and p.returncode:
            prog = os.path.basename(argv[4] if self.root else argv[0])
            raise RuntimeError("%s failed (exit %d): %s" % (prog, p.returncode, (p.stderr or p.stdout).strip()[-400:]))
        return p

    def start(self):
        self._run([self._bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "start"])
        self.running = True

    def stop(self, mode="fast"):
        if self.running:
            self._run([self._bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"], check=False)
        self.running = False

    def psql(self, sql, db="postgres"):
        """sql as the superuser over the socket; the rows, '|'-separated"""
        p = self._run([self._bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.base,
                       "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql])
        return [ln for ln in p.stdout.splitlines() if ln]

    def url(self, db="snapkeep"):
        return "postgresql://snapkeep@127.0.0.1:%d/%s" % (self.port, db)

    def env(self):
        """what a snapkeep process needs beside SNAPKEEP_STATE_BACKEND: the password as libpq reads it"""
        return {"PGPASSWORD": PASSWORD, "PGPASSFILE": None, "PGHOST": None, "PGPORT": None, "PGUSER": None,
                "PGDATABASE": None, "PGSERVICE": None, "PGCONNECT_TIMEOUT": "5"}

    def close(self):
        self.stop("immediate")
        if os.environ.get("SNAPKEEP_KEEP") != "1":
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
