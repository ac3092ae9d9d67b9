#!/usr/bin/env python3
"""t0400 - the C retention engine against the Python reference of restic's forget.

Generates a few thousand seeded random cases (times clustered around the
calendar's sharp edges: ISO week-53 years, leap days, month and year ends,
hour boundaries, duplicate times) with random rules, runs them through
tests/tools/sk-retain (reconciler/planner/retention.c) in one go and through
tests/e2e/lib/restic_forget.py, and checks that both keep the same ids for
the same reasons.  The reference is first checked against restic's own
golden results, so the two cannot agree on a shared mistake there.

SNAPKEEP_RETAIN_SEED=N picks another seed; SNAPKEEP_LONG=1 runs ten times more cases.
"""
import datetime as dt
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import restic_forget as rf  # noqa: E402
import sktest as t  # noqa: E402

UTC = dt.timezone.utc
TOOL = os.path.join(t.BUILD, "san", "tests", "tools", "sk-retain")
SEED = int(os.environ.get("SNAPKEEP_RETAIN_SEED", "4000"))
CASES = 3000 * (10 if t.LONG else 1)


def ts(s):
    return int(dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp())


# -- the reference against restic's golden files --------------------------------
# restic internal/restic/testdata/policy_keep_snapshots_39 (restic 0.16.0+):
# policy {Daily: 3, Weekly: 2, Monthly: unlimited, Yearly: unlimited} over
# a subset of the test's snapshots that still holds every kept one and its
# neighbours; expected kept snapshots and their reasons as in the golden file.
RESTIC_39 = [
    ("2016-01-18 12:02:03", {"daily", "weekly", "monthly", "yearly"}),
    ("2016-01-12 21:08:03", {"daily", "weekly"}),
    ("2016-01-12 21:02:03", set()),
    ("2016-01-09 21:02:03", {"daily"}),
    ("2016-01-08 20:02:03", set()),
    ("2016-01-01 07:08:03", set()),
    ("2015-11-22 10:20:30", {"monthly", "yearly"}),
    ("2015-11-21 10:20:30", set()),
    ("2015-10-22 10:20:30", {"monthly"}),
    ("2015-09-22 10:20:30", {"monthly"}),
    ("2015-09-01 10:20:30", set()),
    ("2015-08-22 10:20:30", {"monthly"}),
    ("2015-08-08 10:20:30", set()),
    ("2014-11-22 10:20:30", {"monthly", "yearly"}),
    ("2014-10-22 10:20:30", {"monthly"}),
    ("2014-09-22 10:20:30", {"monthly"}),
    ("2014-08-22 10:20:30", {"monthly"}),
    ("2014-08-10 10:20:30", set()),
    ("2014-08-08 10:20:30", {"monthly", "yearly"}),  # the oldest: kept again by both
]


def check_reference():
    snaps = [(ts(s), "s%02d" % i) for i, (s, _) in enumerate(RESTIC_39)]
    got = rf.forget(snaps, {"daily": 3, "weekly": 2, "monthly": "unlimited", "yearly": -1})
    want = {"s%02d" % i: why for i, (_, why) in enumerate(RESTIC_39)}
    t.is_(got, want, "reference: restic policy_keep_snapshots_39 (daily 3, weekly 2, monthly+yearly unlimited)")

    # ISO week 53: 2020-12-31 and 2021-01-01 share 2020-W53; 2021-01-04 opens 2021-W01
    snaps = [(ts("2020-12-31 12:00:00"), "thu"), (ts("2021-01-01 12:00:00"), "fri"),
             (ts("2021-01-04 12:00:00"), "mon"), (ts("2020-12-27 12:00:00"), "sun")]
    got = rf.forget(snaps, {"weekly": 2})
    t.is_(got, {"mon": {"weekly"}, "fri": {"weekly"}, "thu": set(), "sun": set()},
          "reference: 2020-12-31 and 2021-01-01 fall in one ISO week (2020-W53)")

    # Go's AddDate: 2024-03-31 minus one month is 2024-03-02, so 03-02 00:00 is out and 03-02 00:00:01 in
    snaps = [(ts("2024-03-31 00:00:00"), "new"), (ts("2024-03-02 00:00:01"), "in"),
             (ts("2024-03-02 00:00:00"), "edge"), (ts("2024-02-29 12:00:00"), "out")]
    got = rf.forget(snaps, {"within": "1m"})
    t.is_(rf.kept(got), {"new", "in"}, "reference: within 1m of 2024-03-31 starts after 2024-03-02 (AddDate overflow)")
    t.is_(rf.forget(snaps, {})["out"], {"no-rules"}, "reference: no rules keeps everything")


# -- random cases ---------------------------------------------------------------
ANCHORS = (
    # ISO week-53 years and their neighbours: 2015, 2020, 2026, 2032 have a week 53
    ["%d-12-%02d 00:00:00" % (y, d) for y in (2015, 2020, 2026, 2032, 2009, 2021) for d in (27, 31)]
    + ["%d-01-%02d 00:00:00" % (y, d) for y in (2016, 2021, 2027, 2010) for d in (1, 4)]
    # leap days and the days around them (2100 is not a leap year)
    + ["%d-02-%02d 00:00:00" % (y, d) for y in (2000, 2016, 2020, 2024, 2100) for d in (28,)]
    + ["2024-02-29 00:00:00", "2000-02-29 00:00:00", "2024-03-01 00:00:00", "2100-03-01 00:00:00"]
    # month ends, where within's month arithmetic overflows
    + ["2023-%02d-%02d 00:00:00" % (m, d) for m, d in ((1, 31), (3, 31), (5, 31), (7, 31), (8, 31), (10, 31), (12, 31))]
    + ["2024-03-31 00:00:00", "2024-05-31 00:00:00", "2025-03-30 00:00:00"]
)
SPREADS = [3600, 86400, 7 * 86400, 31 * 86400, 400 * 86400, 4 * 365 * 86400]


def random_time(rng, anchor, spread):
    x = anchor + rng.randint(-spread, spread)
    r = rng.random()
    if r < 0.15:  # on an hour boundary, or a second before it
        x = x - x % 3600 - rng.choice((0, 1))
    elif r < 0.25:  # on a day boundary, or a second before it
        x = x - x % 86400 - rng.choice((0, 1))
    return x


def random_rules(rng):
    rules = {}
    if rng.random() < 0.04:
        return rules  # no rule at all
    for name in rf.COUNT_RULES:
        if rng.random() < 0.35:
            rules[name] = rng.choice((-1, 1, 1, 2, 2, 3, 4, 5, 7, 12, 30))
    if rng.random() < 0.3 or not rules:
        w = [0, 0, 0, 0]
        while not any(w):
            if rng.random() < 0.3:
                w[0] = rng.randint(0, 3)
            if rng.random() < 0.5:
                w[1] = rng.randint(0, 14)
            if rng.random() < 0.5:
                w[2] = rng.randint(0, 40)
            if rng.random() < 0.3:
                w[3] = rng.randint(0, 72)
        rules["within"] = rf.format_duration(w)
    return rules


def random_case(rng):
    spread = rng.choice(SPREADS)
    anchors = [ts(a) for a in rng.sample(ANCHORS, rng.choice((1, 1, 2, 3)))]
    n = rng.choice((0, 1, 2, 3) + tuple(range(4, 41)) + (60, 90))
    times = []
    for _ in range(n):
        if times and rng.random() < 0.12:
            times.append(rng.choice(times))  # an equal time: the ids decide the order
        else:
            times.append(random_time(rng, rng.choice(anchors), spread))
    rules = random_rules(rng)
    if times and "within" in rules and rng.random() < 0.5:
        # on within's edge: the threshold itself is out, a second later is in
        edge = rf.within_threshold(rf.to_utc(max(times)), rf.parse_duration(rules["within"]))
        if edge is not None:
            edge = int(edge.timestamp())
            times += [edge, edge + 1, edge - 1]
    ids = set()
    while len(ids) < len(times):
        ids.add("".join(rng.choice("abcdef0123") for _ in range(rng.choice((1, 2, 3, 6)))))
    items = list(zip(times, sorted(ids)))
    rng.shuffle(items)  # input order must not matter
    return {"rules": rules, "items": items}


def tool_input(case):
    rules = {}
    for k, v in case["rules"].items():
        if k == "within":
            y, m, d, h = rf.parse_duration(v)
            rules[k] = {"years": y, "months": m, "days": d, "hours": h}
        else:
            rules[k] = v
    return {"rules": rules, "items": [{"id": i, "time": x} for x, i in case["items"]]}


def main():
    check_reference()
    if not os.access(TOOL, os.X_OK):
        t.bail("%s is not built (make %s)" % (TOOL, os.path.relpath(TOOL, t.TOP)))

    rng = random.Random(SEED)
    cases = [random_case(rng) for _ in range(CASES)]
    start = time.monotonic()
    r = t.run([TOOL], input=json.dumps([tool_input(c) for c in cases]), timeout=120)
    if not t.ok(r.rc == 0, "sk-retain runs %d cases" % len(cases), repr(r)):
        t.done()
    results = json.loads(r.out)
    t.is_(len(results), len(cases), "sk-retain answers every case")
    t.diag("sk-retain: %.2f s for %d cases, seed %d" % (time.monotonic() - start, len(cases), SEED))

    mismatches = []
    kinds = {"kept": 0, "forgotten": 0, "oldest-rule": 0, "multi-reason": 0, "no-rules": 0}
    for case, got_list in zip(cases, results):
        want = rf.forget(case["items"], case["rules"])
        got = {g["id"]: set(g["reasons"]) for g in got_list}
        order_ok = [g["id"] for g in got_list] == [i for _, i in case["items"]]
        if got != want or not order_ok:
            mismatches.append((case, got, want))
            continue
        for why in want.values():
            kinds["kept" if why else "forgotten"] += 1
            kinds["multi-reason"] += len(why) > 1
            kinds["no-rules"] += "no-rules" in why
        # cases whose outcome the oldest-snapshot rule (restic 0.16.0+) changes
        kinds["oldest-rule"] += rf.forget(case["items"], case["rules"], oldest_rule=False) != want

    for case, got, want in mismatches[:3]:
        diff = {i: (sorted(got.get(i, ())), sorted(want.get(i, ()))) for i in want if got.get(i) != want.get(i)}
        t.diag("case: %s\nC vs reference: %s" % (json.dumps(tool_input(case)), json.dumps(diff)))
    t.is_(len(mismatches), 0, "C engine and reference agree on kept ids and reasons in all %d cases" % len(cases))
    t.diag("coverage: %s" % json.dumps(kinds, sort_keys=True))
    t.ok(kinds["kept"] > 1000 and kinds["forgotten"] > 1000 and kinds["multi-reason"] > 100
         and kinds["no-rules"] > 0 and kinds["oldest-rule"] > 50,
         "the cases exercise keeps, deletions, several reasons, the oldest-snapshot rule and empty rules",
         json.dumps(kinds))

    # invalid rules are refused by both
    bad = {"rules": {"daily": -2}, "items": [{"id": "a", "time": 0}]}
    r = t.run([TOOL], input=json.dumps(bad))
    t.ok(r.rc == 1 and "daily" in r.err, "sk-retain refuses a count below -1", repr(r))
    try:
        rf.forget([(0, "a")], {"daily": -2})
        t.ok(False, "the reference refuses a count below -1")
    except ValueError:
        t.ok(True, "the reference refuses a count below -1")
    t.done()


main()
