#!/usr/bin/env python3
"""specs/policy.schema.json against the parser.

1. The schema uses only the JSON Schema keywords the small checker below
   implements (it refuses any other), so nothing is silently ignored.
2. The parser's own tables (sk-policy --tables) and the schema agree on the
   keys allowed at every place and on every pattern.
3. Every golden case (tests/data/policies) and every example policy
   (examples/, if any) is read by the parser and by the schema, document by
   document: a document the schema rejects must be one the parser rejects;
   a document the parser rejects must be rejected by the schema too, unless
   the case's `schema-accepts` file names it with the reason (rules that
   span fields or documents, which JSON Schema cannot state).
4. The checker itself rejects hand-made bad documents, one keyword at a time.

The YAML is read by `sk-policy --yaml-json` (libyaml, typed as the parser
types scalars), since Python's standard library has no YAML reader."""
import copy
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t

TOOL = os.path.join(t.BUILD, "san", "tests", "tools", "sk-policy")
SCHEMA_PATH = os.path.join(t.TOP, "specs", "policy.schema.json")
CASES = os.path.join(t.TOP, "tests", "data", "policies")
EXAMPLES = os.path.join(t.TOP, "examples")

if not os.access(TOOL, os.X_OK):
    t.bail("no %s" % TOOL)

# ---- a JSON Schema (2020-12) checker for the keywords the schema uses ----

ANNOTATIONS = {"$schema", "$id", "title", "description"}
KEYWORDS = ANNOTATIONS | {
    "$ref", "$defs", "type", "const", "enum", "minimum", "maximum", "minLength", "maxLength",
    "pattern", "minItems", "maxItems", "uniqueItems", "items", "properties", "additionalProperties",
    "required", "propertyNames", "minProperties", "maxProperties", "oneOf", "anyOf", "allOf", "not",
    "if", "then", "else",
}


def schema_keywords(node, path, out):
    """every keyword used, with where; subschemas walked"""
    if isinstance(node, bool):
        return
    for k, v in node.items():
        out.append((k, path))
        if k in ("properties", "$defs"):
            for name, sub in v.items():
                schema_keywords(sub, "%s/%s/%s" % (path, k, name), out)
        elif k in ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else"):
            schema_keywords(v, "%s/%s" % (path, k), out)
        elif k in ("oneOf", "anyOf", "allOf"):
            for i, sub in enumerate(v):
                schema_keywords(sub, "%s/%s/%d" % (path, k, i), out)


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "integer" if v.is_integer() else "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def equal(a, b):
    """JSON equality: true is not 1"""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


class Checker:
    def __init__(self, root):
        self.root = root

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise ValueError("only local $ref: %s" % ref)
        node = self.root
        for part in ref[2:].split("/"):
            node = node[part]
        return node

    def errors(self, v, s, path="$"):
        """a list of reasons v does not match s (empty: it matches)"""
        if s is True:
            return []
        if s is False:
            return ["%s: nothing is allowed here" % path]
        errs = []
        if "$ref" in s:
            errs += self.errors(v, self.resolve(s["$ref"]), path)
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            jt = json_type(v)
            if not (jt in types or (jt == "integer" and "number" in types)):
                return errs + ["%s: %s is not of type %s" % (path, jt, "/".join(types))]
        if "const" in s and not equal(v, s["const"]):
            errs.append("%s: %r is not %r" % (path, v, s["const"]))
        if "enum" in s and not any(equal(v, e) for e in s["enum"]):
            errs.append("%s: %r is not one of %r" % (path, v, s["enum"]))
        if json_type(v) in ("integer", "number"):
            if "minimum" in s and v < s["minimum"]:
                errs.append("%s: %r < %r" % (path, v, s["minimum"]))
            if "maximum" in s and v > s["maximum"]:
                errs.append("%s: %r > %r" % (path, v, s["maximum"]))
        if isinstance(v, str):
            if "minLength" in s and len(v) < s["minLength"]:
                errs.append("%s: shorter than %d" % (path, s["minLength"]))
            if "maxLength" in s and len(v) > s["maxLength"]:
                errs.append("%s: longer than %d" % (path, s["maxLength"]))
            if "pattern" in s and not re.search(s["pattern"], v):
                errs.append("%s: %r does not match %s" % (path, v, s["pattern"]))
        if isinstance(v, list):
            if "minItems" in s and len(v) < s["minItems"]:
                errs.append("%s: fewer than %d items" % (path, s["minItems"]))
            if "maxItems" in s and len(v) > s["maxItems"]:
                errs.append("%s: more than %d items" % (path, s["maxItems"]))
            if s.get("uniqueItems"):
                seen = [json.dumps(x, sort_keys=True) for x in v]
                if len(set(seen)) != len(seen):
                    errs.append("%s: items are not unique" % path)
            if "items" in s:
                for i, x in enumerate(v):
                    errs += self.errors(x, s["items"], "%s[%d]" % (path, i))
        if isinstance(v, dict):
            props = s.get("properties", {})
            for k in s.get("required", []):
                if k not in v:
                    errs.append("%s: %s is required" % (path, k))
            if "minProperties" in s and len(v) < s["minProperties"]:
                errs.append("%s: fewer than %d properties" % (path, s["minProperties"]))
            if "maxProperties" in s and len(v) > s["maxProperties"]:
                errs.append("%s: more than %d properties" % (path, s["maxProperties"]))
            for k, x in v.items():
                if "propertyNames" in s:
                    errs += self.errors(k, s["propertyNames"], "%s{%s}" % (path, k))
                if k in props:
                    errs += self.errors(x, props[k], "%s.%s" % (path, k))
                elif "additionalProperties" in s:
                    errs += self.errors(x, s["additionalProperties"], "%s.%s" % (path, k))
        if "allOf" in s:
            for sub in s["allOf"]:
                errs += self.errors(v, sub, path)
        if "anyOf" in s and not any(not self.errors(v, sub, path) for sub in s["anyOf"]):
            errs.append("%s: matches none of anyOf" % path)
        if "oneOf" in s:
            n = sum(1 for sub in s["oneOf"] if not self.errors(v, sub, path))
            if n != 1:
                errs.append("%s: matches %d of oneOf, not exactly 1" % (path, n))
        if "not" in s and not self.errors(v, s["not"], path):
            errs.append("%s: matches what 'not' forbids" % path)
        if "if" in s:
            branch = "then" if not self.errors(v, s["if"], path) else "else"
            if branch in s:
                errs += self.errors(v, s[branch], path)
        return errs


with open(SCHEMA_PATH) as f:
    schema = json.load(f)
check = Checker(schema)

# ---- 1. keywords ----
used = []
schema_keywords(schema, "#", used)
unknown = sorted({"%s at %s" % (k, p) for k, p in used if k not in KEYWORDS})
t.is_(schema.get("$schema"), "https://json-schema.org/draft/2020-12/schema", "the schema is draft 2020-12")
t.is_(unknown, [], "the schema uses only keywords the checker implements")
objects = []


def find_objects(node, path):
    if isinstance(node, dict):
        if node.get("type") == "object" or "object" in (node.get("type") or []):
            objects.append((path, node))
        for k, v in node.items():
            find_objects(v, path + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            find_objects(v, "%s/%d" % (path, i))


find_objects(schema, "#")
# (conditions under not/if only test a value; they define nothing)
loose = [p for p, o in objects if "additionalProperties" not in o and "/not/" not in p and "/if/" not in p]
t.is_(loose, [], "every object in the schema says what else it allows (additionalProperties)")

# ---- 2. keys and patterns against the parser's tables ----
res = t.run([TOOL, "--tables"])
t.is_(res.rc, 0, "sk-policy --tables runs")
tables = res.json()
D = schema["$defs"]
bp = D["BackupPolicy"]["properties"]
spec = bp["spec"]["properties"]
auto = spec["automated"]["properties"]
replicate_obj = [b for b in auto["replicate"]["oneOf"] if b.get("type") == "object"][0]
snaps = spec["snapshots"]["properties"]
drill = spec["drill"]["properties"]
places = {
    "document": set(bp) | set(D["Settings"]["properties"]),
    "metadata": set(D["metadata"]["properties"]),
    "spec": set(spec),
    "spec.selector": set(spec["selector"]["properties"]),
    "spec.selector.exclude": set(spec["selector"]["properties"]["exclude"]["properties"]),
    "spec.automated": set(auto),
    "spec.automated.replicate": set(replicate_obj["properties"]),
    "spec.snapshots": set(snaps),
    "spec.snapshots.retain": set(D["retain"]["properties"]),
    "spec.snapshots.copies[]": set(snaps["copies"]["items"]["properties"]),
    "spec.snapshots.copies[].retain": set(D["retain"]["properties"]),
    "alerts": set(spec["alerts"]["properties"]),
    "spec.verify": set(spec["verify"]["properties"]),
    "spec.verify.rpo": set(D["threshold"]["properties"]),
    "spec.verify.copyRpo": set(D["threshold"]["properties"]),
    "spec.verify.pitrRpo": set(D["threshold"]["properties"]),
    "spec.verify.pitrWindow": set(D["threshold"]["properties"]),
    "spec.drill": set(drill),
    "spec.drill.connect": set(drill["connect"]["properties"]),
    "spec.drill.checks[]": set(drill["checks"]["items"]["properties"]),
    "settings.spec": set(D["Settings"]["properties"]["spec"]["properties"]),
    "settings.spec.alerts": set(D["Settings"]["properties"]["spec"]["properties"]["alerts"]["properties"]),
    "settings.spec.accounts[]": set(D["Settings"]["properties"]["spec"]["properties"]["accounts"]["items"]
                                    ["properties"]),
}
t.is_(sorted(tables["places"]), sorted(places), "the parser and the schema know the same places")
for place, keys in sorted(tables["places"].items()):
    t.is_(sorted(keys), sorted(places.get(place, [])), "keys at %s agree" % place)
for name, regex in sorted(tables["patterns"].items()):
    t.is_(D.get(name, {}).get("pattern"), regex, "pattern '%s' is the parser's" % name)

# ---- 3. the golden cases and the examples, document by document ----


def load(folder, files):
    res = t.run([TOOL, "--yaml-json"] + files, cwd=folder)
    return res.json()


def parser_diags(expected):
    """(file, line, col) of each positioned diagnostic; position-less ones as ('set', 0, 0)"""
    out = []
    for line in expected.splitlines():
        m = re.match(r"^(.+?):(\d+):(\d+): ", line)
        out.append((m.group(1), int(m.group(2)), int(m.group(3))) if m else ("set", 0, 0))
    return out


def compare(folder, files, expected, accepts, label):
    data = load(folder, files)
    valid = expected.startswith("{")
    diags = [] if valid else parser_diags(expected)
    parser_bad, schema_bad, reasons = set(), set(), {}
    yaml_errors = set()
    for fname in files:
        entry = data[fname]
        for e in entry["errors"]:
            yaml_errors.add((fname, e["line"], e["col"]))
        for i, doc in enumerate(entry["documents"]):
            errs = check.errors(doc, schema)
            if errs:
                schema_bad.add("%s#%d" % (fname, i))
                reasons["%s#%d" % (fname, i)] = errs[:3]
    for d in diags:
        if d in yaml_errors:
            continue  # unreadable YAML: neither side can take it
        if d[0] == "set":
            parser_bad.add("set")
            continue
        lines = data[d[0]]["lines"]
        idx = max([i for i, start in enumerate(lines) if start <= d[1]], default=None)
        parser_bad.add(d[0] if idx is None else "%s#%d" % (d[0], idx))
    stricter = sorted(schema_bad - parser_bad)
    t.is_(stricter, [], "%s: the schema rejects nothing the parser accepts" % label)
    for k in stricter:
        t.diag("%s: %s" % (k, reasons[k]))
    missed = sorted(parser_bad - schema_bad)
    t.is_(missed, sorted(accepts), "%s: what only the parser rejects is listed in schema-accepts" % label)


cases = sorted(d for d in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, d)))
for case in cases:
    folder = os.path.join(CASES, case)
    files = sorted(f for f in os.listdir(folder) if f.endswith((".yaml", ".yml")))
    with open(os.path.join(folder, "expected.txt")) as f:
        expected = f.read()
    accepts = {}
    marker = os.path.join(folder, "schema-accepts")
    if os.path.exists(marker):
        with open(marker) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    key, _, why = line.partition(": ")
                    accepts[key] = why
        t.ok(all(accepts.values()), "%s: every schema-accepts entry gives a reason" % case)
    compare(folder, files, expected, accepts, case)

with open(os.path.join(t.TOP, "specs", "guardrails.schema.json")) as f:
    guardrails_schema = json.load(f)
kw = []
schema_keywords(guardrails_schema, "#", kw)
t.is_(sorted(set(k for k, _ in kw) - KEYWORDS), [], "guardrails.schema.json uses only keywords the checker knows")
gcheck = Checker(guardrails_schema)
GOOD_RULE = {"minRetentionDays": 7, "deletionBudget": {"percent": 10, "window": "24h"}}
for bad, why in [({"minRetentionDays": 40}, "minRetentionDays over 35"),
                 ({"deletionBudget": {"percent": 10}}, "a budget without a window"),
                 ({"deletionBudget": {"percent": 10, "count": 2, "window": "1d"}}, "a budget with percent and count"),
                 ({"minRetention": "soon"}, "minRetention not a duration"),
                 ({"lowerFloor": 1}, "an unknown key")]:
    doc = {"apiVersion": "snapkeep/v1", "kind": "Guardrails", "spec": {"rules": [GOOD_RULE, bad]}}
    t.ok(gcheck.errors(doc, guardrails_schema), "guardrails.schema.json rejects %s" % why)
t.is_(gcheck.errors({"apiVersion": "snapkeep/v1", "kind": "Guardrails", "spec": {"rules": [GOOD_RULE]}},
                    guardrails_schema), [], "guardrails.schema.json accepts a good rule")

examples = []
for base, dirs, names in os.walk(EXAMPLES):
    dirs.sort()
    for n in sorted(names):
        if n.endswith((".yaml", ".yml")):
            examples.append(os.path.join(base, n))
seen_policy = False
for path in examples:
    folder, name = os.path.split(path)
    data = load(folder, [name])[name]
    if not any(isinstance(d, dict) and str(d.get("apiVersion", "")).startswith("snapkeep/") for d in data["documents"]):
        continue  # deployment files and the like
    if any(isinstance(d, dict) and d.get("kind") == "Guardrails" for d in data["documents"]):
        rel = os.path.relpath(path, t.TOP)
        t.is_([gcheck.errors(d, guardrails_schema) for d in data["documents"]], [[]],
              "%s: specs/guardrails.schema.json accepts it" % rel)
        continue
    seen_policy = True
    rel = os.path.relpath(path, t.TOP)
    res = t.run([TOOL, name], cwd=folder)
    parsed_ok = res.rc == 0 or all(": no BackupPolicy document found" in l or l.startswith("no BackupPolicy")
                                    for l in res.out.splitlines())
    t.ok(parsed_ok, "%s: the parser accepts it" % rel, res.out)
    for i, doc in enumerate(data["documents"]):
        errs = check.errors(doc, schema)
        t.is_(errs, [], "%s#%d: the schema accepts it" % (rel, i))
if not seen_policy:
    t.diag("no example policies under examples/ yet")

# ---- 4. the checker is not vacuous ----
base = load(os.path.join(CASES, "valid-full"), ["prod.yaml"])["prod.yaml"]["documents"]
policy, settings = base[0], base[1]
t.is_(check.errors(policy, schema), [], "valid-full's policy passes")
t.is_(check.errors(settings, schema), [], "valid-full's settings pass")


def mutated(doc, fn):
    d = copy.deepcopy(doc)
    fn(d)
    return d


bad = {
    "an unknown key": lambda d: d["spec"]["automated"].update(retentonDays=3),
    "retentionDays 36": lambda d: d["spec"]["automated"].update(retentionDays=36),
    "retentionDays as a string": lambda d: d["spec"]["automated"].update(retentionDays="30"),
    "a boolean as an integer": lambda d: d["spec"]["snapshots"].update(minAvailable=True),
    "a bad region": lambda d: d["spec"].update(regions=["us-east-1", "useast1"]),
    "a region twice": lambda d: d["spec"].update(regions=["us-east-1", "us-east-1"]),
    "no regions": lambda d: d["spec"].pop("regions"),
    "both selectors": lambda d: d["spec"]["selector"].update(tags={"a": "b"}),
    "no selector": lambda d: d["spec"].update(selector={}),
    "snapshots without a schedule": lambda d: d["spec"]["snapshots"].pop("schedule"),
    "replicate: true": lambda d: d["spec"]["automated"].update(replicate=True),
    "replication without backups": lambda d: d["spec"]["automated"].update(retentionDays=0),
    "a reserved tag key": lambda d: d["spec"]["snapshots"]["tags"].update({"snapkeep:x": "y"}),
    "a bad window": lambda d: d["spec"]["automated"].update(window="3:00-4:00"),
    "retain below -1": lambda d: d["spec"]["snapshots"]["retain"].update(daily=-2),
    "a bad within": lambda d: d["spec"]["snapshots"]["retain"].update(within="30 days"),
    "an uppercase prefix": lambda d: d["spec"]["snapshots"].update(prefix="Snap"),
    "a copy without a region": lambda d: d["spec"]["snapshots"]["copies"].append({"kmsKeyId": "alias/x"}),
    "a bad SNS ARN": lambda d: d["spec"]["alerts"].update(snsTopicArn="arn:aws:sqs:us-east-1:1:q"),
    "another apiVersion": lambda d: d.update(apiVersion="snapkeep/v2"),
    "another kind": lambda d: d.update(kind="Backup"),
    "no metadata name": lambda d: d["metadata"].pop("name"),
}
for what, fn in sorted(bad.items()):
    t.ok(check.errors(mutated(policy, fn), schema), "the schema rejects %s" % what)
bad_settings = {
    "concurrency 0": lambda d: d["spec"].update(concurrency=0),
    "a quota for no region": lambda d: d["spec"].update(snapshotQuota={"mars-1": 5}),
    "a negative price": lambda d: d["spec"].update(pricePerGBMonth=-1),
    "an unknown settings key": lambda d: d["spec"].update(retries=3),
}
for what, fn in sorted(bad_settings.items()):
    t.ok(check.errors(mutated(settings, fn), schema), "the schema rejects %s" % what)
t.done()
