#!/usr/bin/env python3
"""The policy repository as git serves it: credentials go only over https or
ssh, plain http is fetched with a warning, and uncommitted policy edits are
named (the commit is what is read).

A repository is served over git's smart HTTP protocol from this script
(git http-backend behind a small Python server that records every
Authorization header).  With SNAPKEEP_GIT_TOKEN set, `validate --repo
http://...` is refused with one clear line and no request carries the token;
with --allow-insecure-git (or SNAPKEEP_ALLOW_INSECURE_GIT=1) the token is
sent and the fetch warns; without a token the fetch works and warns, once
per fetch.  A password in the URL is refused the same way and never shown.
While a token is set no redirect to another host is followed, and a
redirect from https to http (served here with a certificate of its own) is
refused after the token went over https only.

In a local work tree, validate, plan and iam-policy warn about policy files
under --path with uncommitted changes or untracked, naming a few and
counting the rest, only when the ref read is the one checked out; validate
--output json lists them; apply and run (against the emulator) warn too."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator
from githttp import GitHTTP

TOKEN = "s3cr3t-t0ken-value"


def policy(name, days):
    return ("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: %s}\nspec:\n"
            "  regions: [us-east-1]\n  selector: {instances: [%s-db]}\n  automated: {retentionDays: %d}\n"
            % (name, name, days))


work = t.tmpdir()
repo = os.path.join(work, "work")
head = t.git_repo(repo, {"policies/prod.yaml": policy("prod", 7), "policies/eu/db.yml": policy("eu", 5),
                         "docs/notes.yaml": "not: [a policy\n"})
short = head[:12]
srvroot = os.path.join(work, "srv")
os.makedirs(srvroot)
t.run(["git", "clone", "-q", "--bare", repo, os.path.join(srvroot, "repo.git")])
state = os.path.join(work, "state")
NO_CREDS = {"SNAPKEEP_GIT_TOKEN": None, "SNAPKEEP_GIT_USERNAME": None, "SNAPKEEP_ALLOW_INSECURE_GIT": None,
            "SNAPKEEP_LOG": None, "SNAPKEEP_REPO": None, "SNAPKEEP_REF": None, "SNAPKEEP_PATH": None}


def env(**kw):
    e = dict(NO_CREDS)
    e.update(kw)
    return e


def validate(url, *args, state_dir=state, **kw):
    return t.snapkeep("validate", "--repo", url, "--path", "policies", "--state-dir", state_dir, *args,
                      env=env(**kw))


def warn_line(url):
    return ("snapkeep: warn: fetching policies over plain http from %s: anyone on the path can change them; "
            "use https" % url)


def refused_line(what, shown):
    return ("snapkeep: refusing to send %s over plain http to '%s': git credentials go only to https:// and "
            "ssh remotes (--allow-insecure-git sends them anyway)" % (what, shown))


def no_secret(r, what):
    t.ok(TOKEN not in r.out + r.err and "pa55word" not in r.out + r.err, what, r)


# ---- plain http ----
with GitHTTP(srvroot) as srv:
    url = srv.url("repo.git")

    # no credentials: fetched, with one warning per fetch
    r = validate(url)
    t.ok(r.rc == 0 and "Success! 2 policies are valid at commit %s" % short in r.out,
         "no token: validate over plain http works", r)
    t.is_(r.err.splitlines(), [warn_line(url)], "and warns once on stderr, naming the URL")
    t.is_(srv.authorizations(), [], "no Authorization header was sent")
    r = validate(url)
    t.is_((r.rc, r.err.splitlines()), (0, [warn_line(url)]), "the next fetch (into the cache) warns again, once")

    # the server wants credentials from here on
    srv.require_auth = ("x-access-token", TOKEN)
    srv.reset()
    r = validate(url, state_dir=os.path.join(work, "state-token"), SNAPKEEP_GIT_TOKEN=TOKEN)
    t.is_((r.rc, r.out, r.err.splitlines()), (1, "", [refused_line("SNAPKEEP_GIT_TOKEN", url)]),
          "a token and plain http: refused with one clear line naming the URL")
    t.is_(srv.requests, [], "nothing was asked of the server, so no Authorization header either")
    t.ok(not os.path.exists(os.path.join(work, "state-token", "repos")) or
         not os.listdir(os.path.join(work, "state-token", "repos")), "and no cache was made")
    no_secret(r, "the token is in no output")
    r = validate(url, "--output", "json", state_dir=os.path.join(work, "state-token"), SNAPKEEP_GIT_TOKEN=TOKEN)
    t.ok(r.rc == 1 and r.json()["errors"][0]["message"] == refused_line("SNAPKEEP_GIT_TOKEN", url)[10:],
         "validate --output json gives the same message", r)
    r = t.snapkeep("plan", "--repo", url, "--path", "policies", "--state-dir", state, "--inventory", "/dev/null",
                   env=env(SNAPKEEP_GIT_TOKEN=TOKEN))
    t.ok(r.rc == 1 and refused_line("SNAPKEEP_GIT_TOKEN", url) in r.err, "plan refuses the same way", r)
    t.is_(srv.authorizations(), [], "still no Authorization header")

    # the server really asks: without a token the fetch fails
    r = validate(url, state_dir=os.path.join(work, "state-anon"))
    t.ok(r.rc == 1 and "cannot fetch 'http://" in r.err, "(the server does require credentials)", r)

    # allowed: the token goes, with the warning
    for how, args, extra in (("--allow-insecure-git", ["--allow-insecure-git"], {}),
                             ("SNAPKEEP_ALLOW_INSECURE_GIT=1", [], {"SNAPKEEP_ALLOW_INSECURE_GIT": "1"})):
        srv.reset()
        r = validate(url, *args, state_dir=os.path.join(work, "state-" + how[:8]), SNAPKEEP_GIT_TOKEN=TOKEN,
                     **extra)
        t.ok(r.rc == 0 and "Success! 2 policies are valid at commit %s" % short in r.out,
             "with %s and a token, validate over plain http works" % how, r)
        t.is_(r.err.splitlines(), [warn_line(url)], "and warns once")
        t.ok(len(srv.authorizations()) > 0, "the token was sent (as the option allows)", srv.requests)
        no_secret(r, "the token is in no output")

    # a password in the URL is a credential too (libgit2 sends it unasked)
    srv.reset()
    cred_url = "http://deploy:pa55word@%s:%d/repo.git" % (srv.host, srv.port)
    shown = "http://***@%s:%d/repo.git" % (srv.host, srv.port)
    r = validate(cred_url, state_dir=os.path.join(work, "state-pw"))
    t.is_((r.rc, r.err.splitlines()), (1, [refused_line("the password in the URL", shown)]),
          "a password in an http URL: refused, the URL shown without it")
    no_secret(r, "the password is in no output")
    t.is_(srv.requests, [], "nothing was sent")

    # redirects: off-site ones are not followed while a token is set
    with GitHTTP(srvroot, host="127.0.0.2") as other:
        srv.require_auth = None
        srv.redirect = ("/moved.git", other.url("repo.git"))
        moved = srv.url("moved.git")
        r = validate(moved, state_dir=os.path.join(work, "state-redir"))
        t.ok(r.rc == 0 and len(other.requests) > 0,
             "no token: a redirect to another host is followed on the first request, as git does", r)
        srv.reset()
        other.reset()
        other.require_auth = ("x-access-token", TOKEN)  # it would ask for the token
        r = validate(moved, "--allow-insecure-git", state_dir=os.path.join(work, "state-redir2"),
                     SNAPKEEP_GIT_TOKEN=TOKEN)
        t.ok(r.rc == 1 and "cannot redirect from '127.0.0.1' to '127.0.0.2'" in r.err,
             "with a token: the redirect to another host is refused", r)
        t.is_((other.requests, srv.authorizations()), ([], []), "and the other host saw nothing, nor any token")
        no_secret(r, "the token is in no output")

# ---- https: a redirect to plain http never takes the token along ----
# snapkeep trusts only the system's certificates; sk-policy --ca reads the
# same source code with a certificate made here trusted.
TOOL = os.path.join(t.BUILD, "san", "tests", "tools", "sk-policy")
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
r = t.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
           "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
if r.rc != 0:
    t.bail("cannot make a test certificate: %s" % r.err)
with GitHTTP(srvroot, tls=(cert, key), name="localhost") as tls, \
        GitHTTP(srvroot, name="localhost") as plain:
    tls.require_auth = plain.require_auth = ("x-access-token", TOKEN)

    def tool(url, cache):
        return t.run([TOOL, "--ca", cert, "--repo", url, "--path", "policies", "--cache", os.path.join(work, cache),
                      "--resolve"], env=env(SNAPKEEP_GIT_TOKEN=TOKEN))

    r = tool(tls.url("repo.git"), "c-https")
    t.ok(r.rc == 0 and r.out.strip() == head and len(tls.authorizations()) > 0,
         "https with a token: the token is sent and the fetch works", r)
    tls.reset()
    tls.redirect = ("/repo.git", plain.url("repo.git"))
    r = tool(tls.url("repo.git"), "c-https2")
    t.ok(r.rc == 2 and "cannot redirect from 'https' to 'http'" in r.err,
         "a redirect from https to http on the same host is refused (by libgit2)", r)
    t.ok(len(tls.authorizations()) > 0 and plain.requests == [],
         "the token went over https only; the http side saw no request at all", (tls.requests, plain.requests))
    no_secret(r, "the token is in no output")

# ---- uncommitted policy edits ----


def warnings(r):
    return [l for l in r.err.splitlines() if l.startswith("snapkeep: warn:")]


def local(*args, cmd="validate", path="policies"):
    a = [cmd, "--repo", repo] + (["--path", path] if path else []) + list(args)
    return t.snapkeep(*a, env=env())


def reads(ref="HEAD"):
    return "; snapkeep reads commit %s (%s), not the working tree" % (short, ref)


r = local()
t.is_((r.rc, r.err), (0, ""), "a clean work tree: no warning")

with open(os.path.join(repo, "policies/prod.yaml"), "w") as f:
    f.write("garbage: [\n")
r = local()
t.ok(r.rc == 0 and "Success! 2 policies are valid at commit %s" % short in r.out,
     "an edited (broken) policy file: validate still reads the commit, which is valid", r)
t.is_(r.err.splitlines(), ["snapkeep: warn: policies/prod.yaml has uncommitted changes" + reads()],
      "and warns that the file has uncommitted changes and the commit is read, not the working tree")
r = local("--ref", "main")
t.is_(warnings(r), ["snapkeep: warn: policies/prod.yaml has uncommitted changes" + reads("main")],
      "--ref main (the checked-out branch) warns the same")
t.git(repo, "branch", "released")
r = local("--ref", "released")
t.is_((r.rc, r.err), (0, ""), "--ref of another branch (even at the same commit) says nothing")
r = local("--output", "json")
t.ok(r.rc == 0 and r.json()["uncommitted"] == [{"path": "policies/prod.yaml", "change": "modified"}]
     and r.json()["commit"] == head, "validate --output json lists the file and its change", r)
r = local(cmd="plan", *("--inventory", "/dev/null"))
t.ok("snapkeep: warn: policies/prod.yaml has uncommitted changes" + reads() in warnings(r), "plan warns too", r)
r = local(cmd="iam-policy")
t.ok(r.rc == 0 and warnings(r) == ["snapkeep: warn: policies/prod.yaml has uncommitted changes" + reads()],
     "iam-policy warns too", r)

for i in range(5):
    with open(os.path.join(repo, "policies/new%d.yaml" % i), "w") as f:
        f.write(policy("new%d" % i, 1))
os.remove(os.path.join(repo, "policies/eu/db.yml"))
r = local()
t.is_(warnings(r), ["snapkeep: warn: policies/eu/db.yml (deleted), policies/new0.yaml (untracked), "
                    "policies/new1.yaml (untracked) and 4 more have uncommitted changes" + reads()],
      "many files: three named, then how many more")
r = local("--output", "json")
t.is_([(u["path"], u["change"]) for u in r.json()["uncommitted"]],
      [("policies/eu/db.yml", "deleted")] + [("policies/new%d.yaml" % i, "untracked") for i in range(5)]
      + [("policies/prod.yaml", "modified")], "and the JSON lists every one")
r = local(path="policies/eu")
t.is_(warnings(r), ["snapkeep: warn: policies/eu/db.yml is deleted but not committed" + reads()],
      "--path narrows the files looked at")

# back to clean, then a change outside --path and a staged one
t.git(repo, "checkout", "-q", "--", ".")
t.git(repo, "clean", "-q", "-f")
with open(os.path.join(repo, "docs/notes.yaml"), "w") as f:
    f.write("still: not a policy\n")
with open(os.path.join(repo, "policies/README.md"), "w") as f:
    f.write("not a policy file\n")
r = local()
t.is_((r.rc, r.err), (0, ""), "changes outside --path, and files that are not policies, say nothing")
with open(os.path.join(repo, "policies/prod.yaml"), "w") as f:
    f.write(policy("prod", 30))
t.git(repo, "add", "policies/prod.yaml")
r = local()
t.is_(warnings(r), ["snapkeep: warn: policies/prod.yaml has uncommitted changes" + reads()],
      "a staged change warns too")

# apply and run read the policies through the engine: the same warning
SEED = {"account": "123456789012", "clock": "2026-01-10T03:30:00Z",
        "regions": {"us-east-1": {"instances": [
            {"id": "prod-db", "engine": "postgres", "backupRetentionPeriod": 7, "allocatedStorage": 20,
             "preferredBackupWindow": "03:00-03:30"},
            {"id": "eu-db", "engine": "postgres", "backupRetentionPeriod": 5, "allocatedStorage": 20,
             "preferredBackupWindow": "03:00-03:30"}]}}}
with Emulator(seed=SEED) as emu:
    e = env(**emu.env())
    e["SNAPKEEP_STATE_DIR"] = os.path.join(work, "state-emu")
    for args in (["apply", "--auto-approve"], ["run", "--once"], ["run", "--once", "--log-format", "json"]):
        r = t.snapkeep(*(args + ["--repo", repo, "--path", "policies"]), env=e)
        if "json" in args:
            lines = [json.loads(l) for l in r.err.splitlines() if l.startswith("{")]
            t.ok(r.rc == 0 and {"level": "warn", "msg": "policies/prod.yaml has uncommitted changes" + reads()}
                 .items() <= next((l for l in lines if "uncommitted" in l.get("msg", "")), {}).items(),
                 "run --log-format json warns as a JSON line", r)
        else:
            t.ok(r.rc == 0 and "snapkeep: warn: policies/prod.yaml has uncommitted changes" + reads() in warnings(r),
                 "%s warns too" % " ".join(args), r)

bare = os.path.join(work, "bare.git")
shutil.copytree(os.path.join(srvroot, "repo.git"), bare)
r = t.snapkeep("validate", "--repo", bare, "--path", "policies", env=env())
t.is_((r.rc, r.err), (0, ""), "a bare repository has no work tree: nothing to say")

# ---- the option is documented where policies are read ----
for cmd in ("validate", "plan", "apply", "run", "inventory", "iam-policy"):
    r = t.snapkeep(cmd, "--help")
    t.ok(r.rc == 0 and "--allow-insecure-git" in r.out and "SNAPKEEP_ALLOW_INSECURE_GIT=1" in r.out,
         "%s --help documents --allow-insecure-git" % cmd, r)
with open(os.path.join(t.TOP, "docs", "snapkeep.1")) as f:
    t.ok("allow\\-insecure\\-git" in f.read(), "and so does snapkeep(1)")

t.done()
