"""sktest - the small harness every end-to-end script uses.

A script prints TAP: call plan(n) (or done() at the end for a late plan),
then ok(cond, what) / is_(got, want, what) for each check.  A failed check
prints the reason as "# " lines.  The script exits 1 when anything failed.

    import sktest as t
    t.ok(1 + 1 == 2, "arithmetic works")
    t.done()

Paths: TOP (repo), BIN (the snapkeep binary under test, sanitized in
`make test`), BUILD.
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.environ.get("SNAPKEEP_TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.environ.get("SNAPKEEP_BUILD") or os.path.join(TOP, "build")
BIN = os.environ.get("SNAPKEEP_BIN") or os.path.join(BUILD, "san", "snapkeep")
REL_BIN = os.environ.get("SNAPKEEP_REL_BIN") or os.path.join(BUILD, "snapkeep")
LONG = os.environ.get("SNAPKEEP_LONG", "0") == "1"

_n = 0
_failed = 0
_planned = None


def plan(n):
    global _planned
    _planned = n
    print("1..%d" % n, flush=True)


def diag(msg):
    for line in str(msg).splitlines() or [""]:
        print("# " + line, flush=True)


def ok(cond, what, why=None):
    global _n, _failed
    _n += 1
    if cond:
        print("ok %d - %s" % (_n, what), flush=True)
    else:
        _failed += 1
        print("not ok %d - %s" % (_n, what), flush=True)
        if why is not None:
            diag(why)
    return bool(cond)


def is_(got, want, what):
    return ok(got == want, what, "got:  %r\nwant: %r" % (got, want))


def skip(what, why):
    """A check that cannot run here: counts as passed, says why (TAP's "# SKIP")."""
    global _n
    _n += 1
    print("ok %d - %s # SKIP %s" % (_n, what, why), flush=True)
    return True


def contains(haystack, needle, what):
    return ok(needle in (haystack or ""), what,
              "%r not found in:\n%s" % (needle, haystack))


def done():
    if _planned is None:
        print("1..%d" % _n, flush=True)
    sys.exit(1 if _failed else 0)


def bail(msg):
    print("Bail out! %s" % msg, flush=True)
    sys.exit(2)


def tmpdir(prefix="sk-e2e-"):
    """A scratch folder removed at exit (kept when SNAPKEEP_KEEP=1)."""
    d = tempfile.mkdtemp(prefix=prefix)
    if os.environ.get("SNAPKEEP_KEEP") != "1":
        atexit.register(shutil.rmtree, d, True)
    else:
        diag("keeping " + d)
    return d


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "rc=%d\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.out, self.err)


def run(argv, env=None, input=None, timeout=300, cwd=None):
    """Runs a command, returns Result(rc, stdout, stderr) as text."""
    e = dict(os.environ)
    if env:
        for k, v in env.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
    p = subprocess.run(argv, env=e, input=input, capture_output=True, text=True,
                       timeout=timeout, cwd=cwd)
    return Result(p.returncode, p.stdout, p.stderr)


def snapkeep(*args, env=None, input=None, timeout=300, binary=None):
    return run([binary or BIN] + list(args), env=env, input=input, timeout=timeout)


def git(repo, *args, env=None):
    e = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
         "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
         "GIT_CONFIG_NOSYSTEM": "1", "HOME": repo}
    if env:
        e.update(env)
    r = run(["git", "-C", repo] + list(args), env=e)
    if r.rc != 0:
        raise RuntimeError("git %s failed: %s" % (" ".join(args), r.err))
    return r.out.strip()


def git_repo(path, files, message="initial policy"):
    """Creates a git repository at path holding files {relpath: text}, commits them."""
    os.makedirs(path, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return git_commit(path, files, message)


def git_commit(path, files, message):
    """Writes files {relpath: text or None to delete} and commits; returns the commit id."""
    for rel, text in files.items():
        full = os.path.join(path, rel)
        if text is None:
            if os.path.exists(full):
                git(path, "rm", "-q", rel)
            continue
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        git(path, "add", rel)
    git(path, "commit", "-q", "--allow-empty", "-m", message)
    return git(path, "rev-parse", "HEAD")
