"""pg - real PostgreSQL 15 servers behind database-backed instances.

An instance seeded with "database": {"name", "user", "password"} gets a real
cluster (initdb, pg_ctl) on a free loopback port.  Its automated backups are
real: every completed WAL segment is archived (archive_command) into the
instance's folder, a base backup (pg_basebackup) is taken when the instance
becomes available and at each daily backup window, and a heartbeat forces a
segment switch every pgSwitchSeconds so LatestRestorableTime follows the last
archived WAL.  Manual snapshots are base backups, copies copy them, restores
start new clusters from them (and replay archived WAL to a target time).

Everything slow runs in background threads; the model is read and changed
under Model.lock only, briefly.  PostgreSQL runs as the postgres user
(`runuser -u postgres --`) when the emulator runs as root.  A guard process
(pgguard.py) stops every server this emulator started if the emulator dies
without stopping them itself.

Files (under the pg folder: <folder of --state>/postgres, or a temp folder):
    superuser.pgpass            the superuser's password (one for all clusters)
    instances/<dbi>/data        PGDATA
    instances/<dbi>/wal         the WAL archive
    instances/<dbi>/server.log  the server's log
    snapshots/<region>/<id>-<n> a base backup (snapshots, automated ones too)
"""
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

PGBIN = os.environ.get("SNAPKEEP_PGBIN", "/usr/lib/postgresql/15/bin")
GUARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pgguard.py")


def available():
    return os.access(os.path.join(PGBIN, "initdb"), os.X_OK)


class PgError(Exception):
    pass


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no obstacle
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def ident(s):
    return '"%s"' % s.replace('"', '""')


def literal(s):
    return "'%s'" % s.replace("'", "''")


def conf_str(s):
    return "'%s'" % s.replace("\\", "\\\\").replace("'", "''")


def segment_name(s):
    return len(s) == 24 and all(c in "0123456789ABCDEF" for c in s)


class Cluster:
    """One instance's server: its folder, port and the heartbeat's view of its archive."""

    def __init__(self, key, path):
        self.key = key  # (region, instance id, dbi)
        self.dir = path
        self.data = os.path.join(path, "data")
        self.wal = os.path.join(path, "wal")
        self.log = os.path.join(path, "server.log")
        self.port = None
        self.running = False
        self.gone = False
        self.job = None  # the thread starting it
        self.pending = []  # (wall time before a segment switch, the segment that must be archived)
        self.latest = None


class Postgres:
    """The clusters of one emulator: started, backed up, restored and stopped as the model asks."""

    def __init__(self, model, base=None, changed=None, log=None):
        self.model = model
        self.changed = changed or (lambda: None)
        self.logf = log or (lambda s: sys.stderr.write("emulator: postgres: %s\n" % s))
        self.own_base = base is None
        self.base = os.path.abspath(base) if base else None  # a temp folder is made when first needed
        self.root = os.geteuid() == 0
        self.user = None
        self.active = False
        self.stopping = False
        self.clusters = {}   # (region, iid, dbi) -> Cluster
        self.by_dbi = {}     # dbi -> Cluster (until its files are removed)
        self.snaps = {}      # (region, snapshot id) -> pgDir of a snapshot's files
        self.snap_jobs = {}  # (region, snapshot id) -> thread
        self.jobs = []
        self.up_jobs = []
        self.guard = None
        self.guard_lock = threading.Lock()
        self.scanned = False
        self.heartbeat = None
        self.wake = threading.Event()

    # ---- processes and files ----

    def _prepare(self):
        """The pg folder, reachable and owned by the postgres user; the superuser's password; the guard."""
        if self.guard is not None:
            return
        if not available():
            raise PgError("PostgreSQL 15 is not installed (no %s/initdb): apt-get install postgresql-15" % PGBIN)
        if self.base is None:
            self.base = tempfile.mkdtemp(prefix="sk-emu-pg-")
        os.makedirs(self.base, mode=0o700, exist_ok=True)
        for sub in ("instances", "snapshots"):
            os.makedirs(os.path.join(self.base, sub), exist_ok=True)
        if self.root:
            self.user = pwd.getpwnam("postgres")
            # the server reads its files as postgres: every folder above must let it through
            p = self.base
            while True:
                parent = os.path.dirname(p)
                if parent == p:
                    break
                p = parent
                st = os.stat(p)
                if not st.st_mode & 0o001:
                    os.chmod(p, st.st_mode | 0o001)
            for sub in ("", "instances", "snapshots"):
                os.chown(os.path.join(self.base, sub), self.user.pw_uid, self.user.pw_gid)
        pw = os.path.join(self.base, "superuser.pgpass")
        if not os.path.exists(pw):
            fd = os.open(pw, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("*:*:*:postgres:%s\n" % secrets.token_hex(24))
            self._chown(pw)
        with open(pw) as f:
            self.super_pw = f.read().strip().rsplit(":", 1)[1]
        pwfile = os.path.join(self.base, "superuser.pw")  # initdb --pwfile
        if not os.path.exists(pwfile):
            fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(self.super_pw + "\n")
            self._chown(pwfile)
        self.guard = subprocess.Popen([sys.executable, GUARD, self.base if self.own_base else ""],
                                      stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True, text=True)
        self.heartbeat = threading.Thread(target=self._heartbeat, name="pg-heartbeat", daemon=True)
        self.heartbeat.start()

    def _chown(self, path, recursive=False):
        if not self.root:
            return
        os.chown(path, self.user.pw_uid, self.user.pw_gid)
        if recursive:
            for top, dirs, files in os.walk(path):
                for n in dirs + files:
                    os.chown(os.path.join(top, n), self.user.pw_uid, self.user.pw_gid)

    def _env(self):
        e = dict(os.environ)
        e["PGPASSFILE"] = os.path.join(self.base, "superuser.pgpass")
        e["PGCONNECT_TIMEOUT"] = "10"
        e["LC_ALL"] = "C"
        for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSERVICE", "PGOPTIONS"):
            e.pop(k, None)
        return e

    def _run(self, argv, as_pg=True, timeout=300, input=None, check=True):
        """Runs a PostgreSQL program (as the postgres user when as_pg and we are root)."""
        prog = os.path.basename(argv[0])
        if as_pg and self.root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        try:
            p = subprocess.run(argv, cwd=self.base, env=self._env(), input=input, capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PgError("%s timed out after %ds" % (prog, timeout)) from None
        if check and p.returncode != 0:
            lines = [ln for ln in (p.stderr or p.stdout or "").strip().splitlines() if ln.strip()]
            raise PgError("%s failed (exit %d): %s" % (prog, p.returncode, lines[-1] if lines else "no output"))
        return p

    def _bin(self, name):
        return os.path.join(PGBIN, name)

    def _psql(self, port, sql, db="postgres", timeout=30):
        p = self._run([self._bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                       "-p", str(port), "-U", "postgres", "-d", db, "-f", "-"], as_pg=False, input=sql,
                      timeout=timeout)
        return p.stdout.strip()

    def _guard(self, line):
        with self.guard_lock:
            if self.guard and self.guard.poll() is None:
                try:
                    self.guard.stdin.write(line + "\n")
                    self.guard.stdin.flush()
                except OSError:
                    pass

    def _write_conf(self, c, port, restore=None, wal_from=None):
        wal = shlex.quote(c.wal)
        lines = [
            "# written by the snapkeep emulator at each start",
            "listen_addresses = '127.0.0.1'",
            "port = %d" % port,
            "unix_socket_directories = ''",
            "max_connections = 30",
            "shared_buffers = 16MB",
            "fsync = off",
            "wal_level = replica",
            "max_wal_senders = 10",
            "min_wal_size = 8MB",
            "max_wal_size = 64MB",
            "archive_mode = on",
            "archive_command = %s" % conf_str("test ! -f %s/%%f && cp %%p %s/%%f.tmp && mv %s/%%f.tmp %s/%%f"
                                               % (wal, wal, wal, wal)),
            "archive_timeout = 60",
            "hot_standby = off",
            "timezone = 'UTC'",
            "log_timezone = 'UTC'",
            "datestyle = 'iso, mdy'",
            "lc_messages = 'C'",
            "log_line_prefix = '%m [%p] '",
        ]
        if wal_from:
            lines.append("restore_command = %s" % conf_str("cp %s/%%f %%p" % shlex.quote(wal_from)))
            if restore is not None:
                lines.append("recovery_target_time = %s" % conf_str(
                    time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(restore)) + (".%06d+00" % int(
                        round((restore % 1) * 1e6)) if restore % 1 else "+00")))
            lines.append("recovery_target_action = 'promote'")
        path = os.path.join(c.data, "postgresql.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        hba = os.path.join(c.data, "pg_hba.conf")
        with open(hba, "w") as f:
            f.write("# written by the snapkeep emulator: passwords (SCRAM) over loopback only\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n"
                    "host replication postgres 127.0.0.1/32 scram-sha-256\n")
        self._chown(path)
        self._chown(hba)

    def _start(self, c, port):
        self._guard("+" + c.data)
        p = self._run([self._bin("pg_ctl"), "-D", c.data, "-l", c.log, "-w", "-t", "300", "start"], check=False,
                      timeout=320)
        if p.returncode != 0:
            raise PgError("the server did not start: %s" % self._log_tail(c))
        c.port = port
        c.running = True

    def _wait_promoted(self, c, timeout=600):
        """pg_ctl -w returns once the server is consistent; a point-in-time recovery is over when it is
        promoted (or when it died: recovery ended without reaching its target)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid = None
            try:
                with open(os.path.join(c.data, "postmaster.pid")) as f:
                    pid = int(f.readline().strip())
                os.kill(pid, 0)
            except (OSError, ValueError):
                c.running = False
                raise PgError("recovery failed: %s" % self._log_tail(c)) from None
            try:
                if self._psql(c.port, "SELECT pg_is_in_recovery();\n", timeout=15) == "f":
                    return
            except PgError:
                pass
            time.sleep(0.2)
        raise PgError("recovery did not end within %ds" % timeout)

    def _stop(self, c, mode="fast"):
        if os.path.exists(os.path.join(c.data, "postmaster.pid")):
            self._run([self._bin("pg_ctl"), "-D", c.data, "-m", mode, "-w", "-t", "60", "stop"], check=False,
                      timeout=80)
        c.running = False
        self._guard("-" + c.data)

    def _log_tail(self, c):
        try:
            with open(c.log) as f:
                lines = [ln.strip() for ln in f.read().splitlines() if "FATAL" in ln or "PANIC" in ln
                         or "ERROR" in ln]
            return lines[-1] if lines else "no error in %s" % c.log
        except OSError:
            return "no log"

    def _basebackup(self, port, dest):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        self._chown(os.path.dirname(dest))
        self._run([self._bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-w",
                   "-D", dest, "-X", "stream", "-c", "fast", "--no-sync"], timeout=600)

    def _copy(self, src, dest):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        self._chown(os.path.dirname(dest))
        self._run(["cp", "-a", src, dest], timeout=600)

    def _rm(self, path):
        shutil.rmtree(path, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.base, rel)

    # ---- what the model asks for ----

    def sync(self, full=False):
        """Starts what the model asks for: clusters for new instances, backups for new snapshots, file copies;
        stops and removes what it no longer has.  Cheap when nothing is database-backed."""
        m = self.model
        if self.stopping or (not self.active and not full):
            return
        with m.lock:
            if full or not self.scanned:
                self.scanned = True
                for rname, r in m.regions.items():
                    for s in r.snapshots.values():
                        if s.get("pgDir") and s["status"] == "available":
                            self.snaps[(rname, s["id"])] = s["pgDir"]
            want = {}
            for rname, r in m.regions.items():
                for d in r.instances.values():
                    if d.get("database"):
                        want[(rname, d["id"], d["dbiResourceId"])] = d
            if not want and not self.clusters and not self.snaps and not self.active:
                return
            try:
                self._prepare()
            except (PgError, OSError) as e:
                for (rname, iid, dbi), d in want.items():
                    if d["status"] in ("creating", "available", "starting"):
                        d["status"] = "failed"
                        d["pgError"] = str(e)
                self.logf(str(e))
                m.touch()
                self.changed()
                return
            self.active = True
            # snapshots first: a final snapshot is taken before its instance's server stops
            for rname, r in m.regions.items():
                for sid in list(r.pending):
                    s = r.snapshots[sid]
                    k = (rname, sid)
                    if s.get("pgDir") and k not in self.snap_jobs and s["status"] in ("creating", "pending"):
                        self.snaps[k] = s["pgDir"]
                        self.snap_jobs[k] = self._spawn(self._snapshot_job, rname, sid)
            for k, rel in list(self.snaps.items()):
                if k in self.snap_jobs:
                    continue
                r = m.regions.get(k[0])
                s = r.snapshots.get(k[1]) if r else None
                if s is None or s.get("pgDir") != rel:
                    del self.snaps[k]
                    self._spawn(self._rm, self.path(rel))
            for key, c in list(self.clusters.items()):
                if key not in want:
                    del self.clusters[key]
                    c.gone = True
                    self._spawn(self._down_job, c)
            for key, d in want.items():
                if key in self.clusters or d["status"] in ("failed", "incompatible-restore", "deleting"):
                    continue
                c = Cluster(key, self.path(os.path.join("instances", key[2])))
                self.clusters[key] = c
                self.by_dbi[key[2]] = c
                if d["status"] == "available":
                    d["status"] = "starting"  # a persisted instance whose server is not up yet
                c.job = self._spawn(self._up_job, c)
                self.up_jobs = [j for j in self.up_jobs if j.is_alive()] + [c.job]

    def _spawn(self, fn, *args):
        t = threading.Thread(target=self._guarded, args=(fn,) + args, name="pg-" + fn.__name__, daemon=True)
        self.jobs = [j for j in self.jobs if j.is_alive()]
        self.jobs.append(t)
        t.start()
        return t

    def _guarded(self, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - a job's failure is logged, the emulator goes on
            self.logf("%s: %s" % (fn.__name__, e))

    def _instance(self, key):
        """The instance record for key if it is still there (caller holds the lock)."""
        r = self.model.regions.get(key[0])
        d = r.instances.get(key[1]) if r else None
        return (r, d) if d is not None and d["dbiResourceId"] == key[2] else (r, None)

    def wait_up(self, timeout):
        """Waits for the clusters being started now (the ready file waits for them)."""
        deadline = time.time() + timeout
        for t in list(self.up_jobs):
            t.join(max(0, deadline - time.time()))

    # ---- jobs ----

    def _up_job(self, c):
        m = self.model
        with m.lock:
            r, d = self._instance(c.key)
            if d is None:
                return
            restore = dict(d.get("pgRestore") or {})
            db = dict(d["database"])
            port = d.get("pgPort")
        if self.stopping:
            return
        if not port or not port_free(port):
            port = free_port()
        fresh = False
        try:
            os.makedirs(c.dir, exist_ok=True)
            os.makedirs(c.wal, exist_ok=True)
            self._chown(c.dir)
            self._chown(c.wal)
            if os.path.exists(os.path.join(c.data, "postmaster.pid")):
                self._stop(c, "immediate")  # left running by an emulator that died
            if restore:
                self._rm(c.data)
                if os.path.exists(c.log):
                    os.unlink(c.log)  # the fallback below reads this attempt's log only
                self._copy(self.path(restore["base"]), c.data)
                for n in ("postmaster.pid", "postmaster.opts"):
                    if os.path.exists(os.path.join(c.data, n)):
                        os.unlink(os.path.join(c.data, n))
                wal_from = self.path(restore["wal"]) if restore.get("kind") == "pitr" else None
                if wal_from:
                    # the archive as it is now: the source goes on archiving while this one recovers, and the
                    # fallback below (no commit after the target yet) must not replay commits made after it
                    frozen = os.path.join(c.dir, "restore-wal")
                    self._rm(frozen)
                    self._copy(wal_from, frozen)
                    wal_from = frozen
                    with open(os.path.join(c.data, "recovery.signal"), "w"):
                        pass
                    self._chown(os.path.join(c.data, "recovery.signal"))
                self._write_conf(c, port, restore.get("target"), wal_from)
                try:
                    self._start(c, port)
                    if wal_from:
                        self._wait_promoted(c)
                except PgError:
                    with open(c.log) as f:
                        text = f.read()
                    if not wal_from or "recovery ended before configured recovery target was reached" not in text:
                        raise
                    # no commit after the target in the archive: the target is past the last one, so all of
                    # the archive is the state at that time
                    self._stop(c, "immediate")
                    self._write_conf(c, port, None, wal_from)
                    self._start(c, port)
                    self._wait_promoted(c)
                if wal_from:
                    self._rm(wal_from)
            else:
                if not os.path.exists(os.path.join(c.data, "PG_VERSION")):
                    fresh = True
                    self._rm(c.data)
                    self._run([self._bin("initdb"), "-D", c.data, "-U", "postgres", "--pwfile",
                               os.path.join(self.base, "superuser.pw"), "-A", "scram-sha-256",
                               "-E", "UTF8", "--locale=C", "--wal-segsize=1", "-N"], timeout=300)
                self._write_conf(c, port)
                if self.stopping or c.gone:
                    return
                self._start(c, port)
                if fresh:
                    self._psql(port, "CREATE ROLE %s LOGIN PASSWORD %s;\nCREATE DATABASE %s OWNER %s;\n"
                               % (ident(db["user"]), literal(db["password"]), ident(db["name"]),
                                  ident(db["user"])))
        except (PgError, OSError) as e:
            self.logf("%s/%s: %s" % (c.key[0], c.key[1], e))
            if self.stopping:
                return  # cut short by shutdown: the next start tries again
            with m.lock:
                r, d = self._instance(c.key)
                if d is not None:
                    d["status"] = "incompatible-restore" if restore else "failed"
                    d["pgError"] = str(e)
                    r.pending_instances.discard(d["id"])
                    m.touch()
            self.changed()
            return
        with m.lock:
            r, d = self._instance(c.key)
            if d is None or c.gone:
                return  # deleted meanwhile: the down job stops it
            now = m.now()
            d["pgPort"] = port
            d.pop("pgRestore", None)
            d.pop("pgError", None)
            if d["status"] in ("creating", "starting"):
                m.make_instance_available(r, d, now)
            if (fresh or restore) and d["backupRetentionPeriod"] > 0 and m.config.get("automatedBackups", True):
                m.take_automated(r, d, now)  # RDS backs a new instance up at once
            m.schedule_instance(r, d, now)
            m.touch()
        self.changed()
        self.sync()

    def _snapshot_job(self, rname, sid):
        m = self.model
        k = (rname, sid)
        ok = False
        try:
            with m.lock:
                r = m.regions.get(rname)
                s = r.snapshots.get(sid) if r else None
                if s is None:
                    return
                rel, src, dbi = s["pgDir"], s.get("pgSource"), s.get("dbiResourceId")
                end = s.get("pgEnd")
            dest = self.path(rel)
            self._rm(dest)
            if src:
                self._copy(self.path(src), dest)
            else:
                deadline = time.time() + 300
                while True:
                    c = self.by_dbi.get(dbi)
                    if c is not None and c.running:
                        break
                    if c is None or self.stopping or time.time() > deadline:
                        raise PgError("snapshot %s: the server of its instance is not running" % sid)
                    time.sleep(0.2)
                self._basebackup(c.port, dest)
                end = time.time()
            ok = True
        except (PgError, OSError) as e:
            self.logf("snapshot %s/%s: %s" % (rname, sid, e))
        finally:
            with m.lock:
                self.snap_jobs.pop(k, None)
                r = m.regions.get(rname)
                s = r.snapshots.get(sid) if r else None
                # cut short by shutdown: left creating, the next start takes it again
                if s is not None and s.get("pgDir") == rel and (ok or not self.stopping):
                    r.replace_snapshot(sid, status="available" if ok else "failed", pgEnd=end,
                                       readyAt=None, readyCount=None)
                    r.pending.discard(sid)
                    m.touch()
            self.changed()
            self.sync()  # removes the files if the snapshot went away meanwhile

    def _down_job(self, c):
        if c.job is not None:
            c.job.join()  # a server being started or restored is stopped once it is up
        for k, t in list(self.snap_jobs.items()):
            t.join(600)
        self._stop(c)
        self._rm(c.dir)
        with self.model.lock:
            if self.by_dbi.get(c.key[2]) is c:
                del self.by_dbi[c.key[2]]

    # ---- the heartbeat: segment switches, restorable times ----

    def _heartbeat(self):
        beats = 0
        while not self.stopping:
            secs = float(self.model.config.get("pgSwitchSeconds") or 2)
            self.wake.wait(max(0.2, secs))
            self.wake.clear()
            if self.stopping:
                break
            try:
                with self.model.lock:
                    self.model.tick()  # daily backup windows, expiry
                self.sync()
                beats += 1
                for c in list(self.clusters.values()):
                    if c.running and not c.gone:
                        self._beat(c)
                        if beats % 60 == 0:
                            self._cleanup_wal(c)
            except Exception as e:  # noqa: BLE001 - the next beat tries again
                self.logf("heartbeat: %s" % e)

    def _beat(self, c):
        t0 = time.time()
        try:
            out = self._psql(c.port, "SELECT pg_walfile_name(pg_switch_wal() - 1) || ' ' || "
                                     "coalesce(last_archived_wal, '-') FROM pg_stat_archiver;\n", timeout=15)
        except PgError:
            return
        parts = out.split()
        if len(parts) != 2:
            return
        seg, last = parts
        c.pending.append((t0, seg))
        latest = None
        while c.pending:
            t, s = c.pending[0]
            if os.path.exists(os.path.join(c.wal, s)) or (segment_name(last) and last >= s):
                latest = t
                c.pending.pop(0)
            else:
                break
        if len(c.pending) > 1000:
            del c.pending[:-1000]
        if latest is not None:
            c.latest = latest
            with self.model.lock:
                r, d = self._instance(c.key)
                if d is not None:
                    d["pgLatest"] = latest

    def _cleanup_wal(self, c):
        """Removes archived WAL older than the oldest base backup kept: no restore can need it."""
        with self.model.lock:
            r, d = self._instance(c.key)
            oldest = None
            for sid in (r.auto_by_inst.get(d["id"], ()) if d is not None else ()):
                s = r.snapshots[sid]
                if s["status"] == "available" and s.get("pgDir") and s.get("dbiResourceId") == c.key[2] and \
                        (oldest is None or s["pgEnd"] < oldest["pgEnd"]):
                    oldest = s
            rel = oldest["pgDir"] if oldest else None
        if rel is None:
            return
        try:
            with open(os.path.join(self.path(rel), "backup_label")) as f:
                label = f.read()
        except OSError:
            return
        # START WAL LOCATION: 0/B000028 (file 00000001000000000000000B)
        seg = label.split("(file ", 1)[1].split(")", 1)[0] if "(file " in label else ""
        if segment_name(seg):
            self._run([self._bin("pg_archivecleanup"), c.wal, seg], check=False, timeout=60)

    # ---- the damage fault ----

    def damage(self, region, sid, how="drop-table", table="books"):
        """Damages a snapshot's files: its table dropped (drop-table) or its relation file emptied (truncate).
        Runs a throw-away server on a copy, then puts the damaged copy in the snapshot's place."""
        m = self.model
        if how not in ("drop-table", "truncate"):
            raise ValueError("damage-snapshot: how must be drop-table or truncate, not %r" % how)
        with m.lock:
            r = m.regions.get(region)
            s = r.snapshots.get(sid) if r else None
            if s is None:
                raise ValueError("damage-snapshot: no snapshot %s in %s" % (sid, region))
            if not s.get("pgDir"):
                raise ValueError("damage-snapshot: snapshot %s has no database files (not database-backed)" % sid)
            if s["status"] != "available":
                raise ValueError("damage-snapshot: snapshot %s is %s, not available" % (sid, s["status"]))
            rel, db = s["pgDir"], dict(s.get("database") or {})
        self._prepare()
        work = self.path(os.path.join("instances", "damage-" + secrets.token_hex(4)))
        c = Cluster(("damage", sid, ""), work)
        os.makedirs(c.wal, exist_ok=True)
        self._chown(work)
        self._chown(c.wal)
        try:
            self._copy(self.path(rel), c.data)
            port = free_port()
            self._write_conf(c, port)
            self._start(c, port)
            try:
                # pg_ctl -w can return before the server takes connections ("Hot standby mode is disabled")
                self._wait_promoted(c, timeout=120)
                if how == "drop-table":
                    self._psql(port, "DROP TABLE %s CASCADE;\n" % ident(table), db=db.get("name", "postgres"))
                    relfile = None
                else:
                    relfile = self._psql(port, "SELECT pg_relation_filepath(%s);\n" % literal(table),
                                         db=db.get("name", "postgres"))
                    if not relfile:
                        raise PgError("damage-snapshot: no table %s in snapshot %s" % (table, sid))
            finally:
                self._stop(c)
            if relfile:
                path = os.path.join(c.data, relfile)
                for fork in ("_fsm", "_vm"):
                    if os.path.exists(path + fork):
                        os.unlink(path + fork)
                os.truncate(path, 0)
            fresh = rel + "-damaged"
            self._rm(self.path(fresh))
            os.rename(c.data, self.path(fresh))
            old = self.path(rel)
            self._rm(old)
            os.rename(self.path(fresh), old)
        finally:
            self._rm(work)
        with m.lock:
            r = m.regions.get(region)
            if r is not None and sid in r.snapshots:
                r.replace_snapshot(sid, pgDamaged=how)
                m.touch()
        self.changed()
        return {"damaged": sid, "how": how, "table": table}

    # ---- shutdown ----

    def close(self):
        """Stops every server this emulator started, and the guard."""
        self.stopping = True
        self.wake.set()
        threads = []
        for c in list(self.clusters.values()) + list(self.by_dbi.values()):
            if c.running:
                t = threading.Thread(target=self._stop, args=(c,), daemon=True)
                t.start()
                threads.append(t)
        for t in threads:
            t.join(60)
        for t in list(self.jobs):
            t.join(10)
        for c in list(self.clusters.values()) + list(self.by_dbi.values()):
            if c.running:
                self._stop(c)
        with self.guard_lock:
            g, self.guard = self.guard, None
        if g is not None:
            try:
                g.stdin.close()
            except OSError:
                pass
            try:
                g.wait(30)
            except subprocess.TimeoutExpired:
                g.send_signal(signal.SIGKILL)
        elif self.own_base and self.base:
            self._rm(self.base)
