"""restic_forget - restic's `forget` policy, as a small readable reference.

Written from restic's ApplyPolicy (internal/restic/snapshot_policy.go, restic
0.16.0 and later: commit 1257c2c0, pull request #4366, which added the
"keep the oldest snapshot too" rule) and its manual ("Removing snapshots
according to a policy").  It is the yardstick the C engine
(reconciler/planner/retention.c) is checked against in
tests/e2e/t0400-retention-differential.py, so it is written independently
of the C code and favours the plainest Python over speed: Python's own
datetime for the calendar, isocalendar() for ISO weeks.

    forget(snapshots, rules) -> {id: set(reasons)}

snapshots: (time, id) pairs; time is an aware datetime or seconds since the
epoch (UTC); ids are unique strings.  rules: a dict with any of
last, hourly, daily, weekly, monthly, yearly (a count, or -1 / "unlimited"
for every bucket) and within ("1y2m3d4h", restic's --keep-within).
Every id is in the result; an empty set means the snapshot is forgotten.
Reasons are named "last", "hourly", "daily", "weekly", "monthly", "yearly",
"within", and "no-rules" when the rules are empty (restic refuses an empty
policy unless told; snapkeep keeps everything).

The semantics, step by step (restic's, except where noted):
  * newest first; equal times: the greater id first (snapkeep's rule, so
    the outcome never depends on input order; restic keeps input order);
  * each count rule has a counter and remembers the bucket of the last
    snapshot it kept; a snapshot whose bucket differs from that one is
    kept and uses up one count (-1: never used up);
  * a count rule that still has count left when it reaches the oldest
    snapshot keeps that snapshot too, bucket or not;
  * buckets are UTC: hourly (y, m, d, h), daily (y, m, d), weekly (ISO
    year, ISO week), monthly (y, m), yearly (y); `last` gives every
    snapshot a bucket of its own;
  * within keeps every snapshot strictly after the newest snapshot's time
    minus the duration, computed as Go's t.AddDate(-y, -m, -d) minus hours:
    the month arithmetic overflows into the next month (2024-03-31 minus one
    month is "2024-02-31", that is 2024-03-02).  restic measures from the
    newest snapshot that is not in the future; snapkeep's engine has no
    clock and uses the newest snapshot;
  * a zero duration (or no within) and zero counts are "no rule".
"""
import datetime as _dt
import re

UTC = _dt.timezone.utc
COUNT_RULES = ("last", "hourly", "daily", "weekly", "monthly", "yearly")
UNLIMITED = -1

_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?(?:(\d+)h)?$")


def parse_duration(s):
    """"1y2m3d4h" -> (years, months, days, hours); each part optional, in that order."""
    m = _DURATION.match(s or "")
    if not s or not m:
        raise ValueError("%r is not a duration such as 1y2m3d4h" % (s,))
    return tuple(int(g) if g else 0 for g in m.groups())


def format_duration(d):
    return "".join("%d%s" % (n, u) for n, u in zip(d, "ymdh") if n) or "0h"


def to_utc(t):
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            raise ValueError("naive datetime %r: give a UTC time" % (t,))
        return t.astimezone(UTC)
    return _dt.datetime(1970, 1, 1, tzinfo=UTC) + _dt.timedelta(seconds=int(t))


def go_add_date(t, years, months, days):
    """Go's time.AddDate: add to the fields, then let the date overflow.

    Returns None when the result falls before year 1 (Python's datetime ends
    there; every snapshot is after such a time)."""
    month0 = (t.year + years) * 12 + (t.month - 1) + months
    year, month0 = divmod(month0, 12)
    if year < 1:
        return None
    first = _dt.datetime(year, month0 + 1, 1, t.hour, t.minute, t.second, t.microsecond, tzinfo=UTC)
    try:
        return first + _dt.timedelta(days=t.day - 1 + days)
    except OverflowError:
        return None


def within_threshold(newest, duration):
    """The instant after which `within` keeps snapshots, or None for 'all'."""
    y, m, d, h = duration
    t = go_add_date(newest, -y, -m, -d)
    if t is None:
        return None
    try:
        return t - _dt.timedelta(hours=h)
    except OverflowError:
        return None


def _bucket(rule, t, position):
    if rule == "last":
        return position
    if rule == "hourly":
        return (t.year, t.month, t.day, t.hour)
    if rule == "daily":
        return (t.year, t.month, t.day)
    if rule == "weekly":
        iso = t.isocalendar()
        return (iso[0], iso[1])
    if rule == "monthly":
        return (t.year, t.month)
    if rule == "yearly":
        return t.year
    raise KeyError(rule)


def normalise_rules(rules):
    """Counts as ints (-1 for unlimited) and within as a 4-tuple or None."""
    out = {}
    for name in COUNT_RULES:
        v = rules.get(name, 0)
        if v in (None, ""):
            v = 0
        if v == "unlimited":
            v = UNLIMITED
        v = int(v)
        if v < UNLIMITED:
            raise ValueError("%s must be a count or unlimited, got %d" % (name, v))
        out[name] = v
    w = rules.get("within")
    if isinstance(w, str):
        w = parse_duration(w)
    elif isinstance(w, dict):
        w = tuple(int(w.get(k, 0)) for k in ("years", "months", "days", "hours"))
    elif w is not None:
        w = tuple(int(x) for x in w)
    if w is not None and any(x < 0 for x in w):
        raise ValueError("within must not be negative")
    out["within"] = w if w and any(w) else None
    for k in rules:
        if k not in out:
            raise ValueError("unknown rule %r" % (k,))
    return out


def forget(snapshots, rules, oldest_rule=True):
    """The decision for every snapshot; oldest_rule=False gives restic before
    0.16.0, which did not keep the oldest snapshot for rules with count left."""
    r = normalise_rules(rules)
    snaps = [(to_utc(t), sid) for t, sid in snapshots]
    result = {}
    for _, sid in snaps:
        if sid in result:
            raise ValueError("duplicate id %r" % (sid,))
        result[sid] = set()

    if all(r[name] == 0 for name in COUNT_RULES) and r["within"] is None:
        for sid in result:
            result[sid].add("no-rules")
        return result
    if not snaps:
        return result

    # newest first; equal times: the greater id first
    ordered = sorted(snaps, key=lambda s: (s[0], s[1]), reverse=True)
    oldest = len(ordered) - 1

    threshold = None
    if r["within"] is not None:
        threshold = within_threshold(ordered[0][0], r["within"])

    left = {name: r[name] for name in COUNT_RULES}
    last_bucket = {name: None for name in COUNT_RULES}  # nothing kept yet

    for position, (t, sid) in enumerate(ordered):
        reasons = result[sid]
        if r["within"] is not None and (threshold is None or t > threshold):
            reasons.add("within")
        for name in COUNT_RULES:
            if not (left[name] > 0 or left[name] == UNLIMITED):
                continue
            b = _bucket(name, t, position)
            if last_bucket[name] is None or b != last_bucket[name] or (oldest_rule and position == oldest):
                reasons.add(name)
                last_bucket[name] = b
                if left[name] > 0:
                    left[name] -= 1
    return result


def kept(result):
    """The ids a forget() result keeps."""
    return {sid for sid, why in result.items() if why}


if __name__ == "__main__":
    # a quick look: python3 restic_forget.py '{"daily": 3}' < lines of "RFC3339 id"
    import json
    import sys
    rules = json.loads(sys.argv[1])
    snaps = []
    for line in sys.stdin:
        if line.strip():
            ts, sid = line.split()
            snaps.append((_dt.datetime.fromisoformat(ts.replace("Z", "+00:00")), sid))
    res = forget(snaps, rules)
    for t, sid in sorted(snaps, key=lambda s: (s[0], s[1]), reverse=True):
        print(t.strftime("%Y-%m-%dT%H:%M:%SZ"), sid, ",".join(sorted(res[sid])) or "-")
