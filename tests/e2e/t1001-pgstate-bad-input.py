#!/usr/bin/env python3
"""Bad input to the PostgreSQL state backend: a wrong connection string, a
wrong password, a database whose user may not create tables, a schema from
a newer snapkeep, PostgreSQL down, SSL required of a server without it.
Each is one clear line on stderr and exit 1, with the password masked, no
AWS call that changes anything, and nothing written in the database.  The
password also comes from PGPASSWORD or the password file, as libpq takes
it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import crashkit as ck  # noqa: E402
import pgserver  # noqa: E402
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402

if not pgserver.available():
    t.plan(1)
    t.skip("PostgreSQL state backend", "PostgreSQL 15 is not installed (make deps)")
    t.done()

PW = pgserver.PASSWORD
TABLES = "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'snapkeep%'"

work = t.tmpdir()
with pgserver.PgServer() as pg, Emulator(seed=ck.SEED, args=["--quiet"]) as emu:
    pg.psql("CREATE DATABASE sk")
    pg.psql("CREATE DATABASE locked")
    pg.psql("CREATE ROLE reader LOGIN PASSWORD 'reader-pw'")
    pg.psql("REVOKE CREATE ON SCHEMA public FROM PUBLIC", db="locked")
    sc = ck.Scenario(emu, work)
    sc.fresh()

    def refused(url, what, want, env=None):
        mark = emu.calls()["last"]
        e = dict(sc.env(), SNAPKEEP_STATE_BACKEND=url, **(env or {}))
        r = sc.sk("apply", "--auto-approve", *sc.source(), env=e)
        lines = [ln for ln in r.err.splitlines() if ln.strip()]
        t.ok(r.rc == 1 and len(lines) == 1 and want in lines[0], "%s: one clear line, exit 1" % what, r)
        t.ok(PW not in r.out + r.err and "reader-pw" not in r.out + r.err, "%s: no password in the output" % what)
        t.is_(sc.mutating(since=mark), [], "%s: no AWS call that changes anything" % what)
        return r

    r = refused("postgres://postgres:%s@127.0.0.1:notaport/sk" % PW, "a port that is not a number",
                "cannot connect to PostgreSQL 'postgres://postgres:***@127.0.0.1:notaport/sk'")
    t.contains(r.err, 'invalid integer value "notaport"', "it names the bad value")
    refused("postgres://postgres:%s@127.0.0.1:%d/sk?colour=blue" % (PW, pg.port), "an unknown parameter",
            "is not a valid PostgreSQL connection string: invalid URI query parameter")
    refused("postgres://postgres:wrong-%s@127.0.0.1:%d/sk" % (PW, pg.port), "a wrong password",
            "refused the login: ")
    refused("postgres://postgres:%s@127.0.0.1:%d/nosuchdb" % (PW, pg.port), "a database that does not exist",
            'database "nosuchdb" does not exist')
    r = refused("postgres://reader:reader-pw@127.0.0.1:%d/locked" % pg.port, "a user without rights to create tables",
                "cannot create snapkeep's tables: permission denied for schema public")
    t.contains(r.err, "grant CREATE on the schema", "it says what to do")
    t.is_(pg.psql(TABLES, db="locked"), "0", "no table was created (the migration is one transaction)")
    refused("postgres://postgres:%s@127.0.0.1:%d/sk?sslmode=require" % (PW, pg.port), "sslmode=require without SSL",
            "SSL")

    # a schema from a newer snapkeep is left as it is
    url = pg.url("sk")
    r = sc.sk("history", env=dict(sc.env(), SNAPKEEP_STATE_BACKEND=url))
    t.ok(r.rc == 0 and pg.psql(TABLES, db="sk") == "0", "history on an empty database creates nothing", r)
    r = sc.sk("state", "push", env=dict(sc.env(), SNAPKEEP_STATE_BACKEND=url))
    t.ok(r.rc == 1 and "does not exist: nothing to push" in r.err, "state push of no directory: says so", r)
    os.makedirs(sc.state, mode=0o700)
    r = sc.sk("state", "push", env=dict(sc.env(), SNAPKEEP_STATE_BACKEND=url))
    t.ok(r.rc == 0 and pg.psql("SELECT max(version) FROM snapkeep_schema", db="sk") == "1",
         "the first use creates the schema, version 1", r)
    pg.psql("INSERT INTO snapkeep_schema (version, snapkeep) VALUES (2, 'from the future')", db="sk")
    before = pg.psql("SELECT count(*) FROM snapkeep_schema", db="sk")
    r = refused(url, "a schema from a newer snapkeep",
                "holds snapkeep schema version 2, newer than this snapkeep knows (1); upgrade snapkeep")
    r = sc.sk("history", env=dict(sc.env(), SNAPKEEP_STATE_BACKEND=url))
    t.ok(r.rc == 1 and "newer than this snapkeep knows" in r.err, "history refuses it too", r)
    t.is_(pg.psql("SELECT count(*) FROM snapkeep_schema", db="sk"), before, "the schema table is unchanged")
    pg.psql("DELETE FROM snapkeep_schema WHERE version = 2", db="sk")

    # the password as libpq takes it: PGPASSWORD, the password file
    bare = pg.url("sk", password=None)
    e = dict(sc.env(), SNAPKEEP_STATE_BACKEND=bare, PGPASSWORD=PW)
    r = sc.sk("apply", "--auto-approve", *sc.source(), env=e)
    t.ok(r.rc == 0, "the password from PGPASSWORD", r)
    passfile = os.path.join(work, "pgpass")
    with open(passfile, "w") as f:
        f.write("127.0.0.1:%d:sk:postgres:%s\n" % (pg.port, PW))
    os.chmod(passfile, 0o600)
    e = dict(sc.env(), SNAPKEEP_STATE_BACKEND=bare, PGPASSFILE=passfile, PGPASSWORD=None)
    r = sc.sk("plan", *sc.source(), "--detailed-exitcode", env=e)
    t.ok(r.rc == 0, "the password from PGPASSFILE; the state the apply saved is read: no changes", r)
    r = sc.sk("plan", *sc.source(), "--debug", env=dict(e, SNAPKEEP_STATE_BACKEND=url, SNAPKEEP_LOG="debug"))
    t.ok(r.rc == 0 and PW not in r.out + r.err, "no password in a plan's output and debug log", r)

    # PostgreSQL down: unavailable, nothing made
    pg.stop()
    refused(url, "PostgreSQL down", "is unavailable: ")
    pg.start()
    r = sc.sk("plan", *sc.source(), "--detailed-exitcode", env=dict(sc.env(), SNAPKEEP_STATE_BACKEND=url))
    t.is_(r.rc, 0, "back up: it carries on where it was") or t.diag(r)

t.done()
