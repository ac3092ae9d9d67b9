#!/usr/bin/env python3
"""pgguard - stops the PostgreSQL servers of an emulator that died without stopping them.

The emulator starts it with a pipe on stdin and writes "+PGDATA" before it
starts a server and "-PGDATA" once it has stopped it.  When stdin ends (the
emulator exited, however it exited) every server still listed gets an
immediate shutdown (SIGQUIT to its postmaster, SIGKILL if it lingers), then
the folder given as argument, if any, is removed.  It ignores SIGINT and
SIGTERM, and runs in its own session, so it outlives what kills the emulator."""
import os
import shutil
import signal
import sys
import time


def postmaster(data):
    try:
        with open(os.path.join(data, "postmaster.pid")) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    remove = sys.argv[1] if len(sys.argv) > 1 else ""
    running = set()
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line.startswith("+"):
            running.add(line[1:])
        elif line.startswith("-"):
            running.discard(line[1:])
    pids = []
    for data in running:
        pid = postmaster(data)
        if pid and alive(pid):
            try:
                os.kill(pid, signal.SIGQUIT)
                pids.append(pid)
            except OSError:
                pass
    deadline = time.time() + 10
    while pids and time.time() < deadline:
        pids = [p for p in pids if alive(p)]
        time.sleep(0.1)
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    if remove:
        time.sleep(0.2 if pids else 0)
        shutil.rmtree(remove, ignore_errors=True)


if __name__ == "__main__":
    main()
