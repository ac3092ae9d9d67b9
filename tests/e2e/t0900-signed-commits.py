#!/usr/bin/env python3
"""--require-signed-commits, with real signatures made by gpg and ssh-keygen
in temporary keyrings, against the emulator.

A commit signed by an allowed key (OpenPGP: a key in --gpg-keyring; SSH: a
key --allowed-signers lists, as git's gpg.ssh.allowedSignersFile) is planned
and applied, and the plan names its signer (a text line, a JSON "signer").
An unsigned commit, a tampered one (its signature no longer matches it), one
signed by a key the keyring does not hold, by an expired key, or by an SSH
key allowed_signers does not list (or lists as expired) is refused with the
reason, and the emulator's call log shows no mutating call.  A saved plan
records the signer and `apply FILE` verifies the commit again.  `run --once`
refuses an unsigned commit and alerts to the topic of the last commit that
verified.  Without the option nothing changes: no signer in the plan."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t  # noqa: E402
from emulator_ctl import Emulator  # noqa: E402

ACCOUNT = "123456789012"
TOPIC = "arn:aws:sns:us-east-1:%s:orders-alerts" % ACCOUNT
SEED = {
    "account": ACCOUNT,
    "regions": {
        "us-east-1": {
            "instances": [{"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 7,
                           "preferredBackupWindow": "03:00-04:00",
                           "preferredMaintenanceWindow": "sun:05:00-sun:06:00"}],
            "topics": ["orders-alerts"],
        },
    },
}


def policy(retention):
    return """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: orders}
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  automated: {retentionDays: %d, window: "03:00-04:00"}
  alerts: {snsTopicArn: %s}
""" % (retention, TOPIC)


for tool in ("gpg", "ssh-keygen", "gpgconf"):
    if subprocess.run(["sh", "-c", "command -v " + tool], capture_output=True).returncode != 0:
        t.plan(1)
        t.skip("signed commits", "%s is not installed (scripts/deps.sh)" % tool)
        t.done()
        sys.exit(0)

work = t.tmpdir()
gnupg = os.path.join(work, "gnupg")
os.makedirs(gnupg, mode=0o700)
GPG_ENV = {"GNUPGHOME": gnupg}
PAST = "20200101T120000"


def gpg(*args, past=False):
    argv = ["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
    if past:
        argv += ["--faked-system-time", PAST + "!"]
    r = t.run(argv + list(args), env=GPG_ENV)
    if r.rc != 0:
        t.bail("gpg %s failed: %s" % (" ".join(args), r.err))
    return r.out


def gen_key(uid, past=False, expire="never"):
    gpg("--quick-gen-key", uid, "ed25519", "sign", expire, past=past)
    out = gpg("--list-keys", "--with-colons", uid)
    return re.search(r"^fpr:+([0-9A-F]{40}):", out, re.M).group(1)


def stop_agent():
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=dict(os.environ, GNUPGHOME=gnupg), capture_output=True)


import atexit  # noqa: E402
atexit.register(stop_agent)

alice = gen_key("Alice <alice@example.com>")
mallory = gen_key("Mallory <mallory@example.com>")
# made, signing and expired in the past: gpg signs with it at that time (a gpg.program that fakes the clock)
eve = gen_key("Eve <eve@example.com>", past=True, expire="1d")
rita = gen_key("Rita <rita@example.com>")
keyring = os.path.join(work, "allowed.asc")
keydir = os.path.join(work, "keys")
os.makedirs(keydir)
with open(os.path.join(keydir, "alice.asc"), "w") as f:
    f.write(gpg("--armor", "--export", alice))
pastgpg = os.path.join(work, "gpg-in-2020")
with open(pastgpg, "w") as f:
    f.write('#!/bin/sh\nexec gpg --faked-system-time %s! "$@"\n' % PAST)
os.chmod(pastgpg, 0o755)

ssh = {}
for who in ("bob", "carol", "dave"):
    k = os.path.join(work, "ssh-" + who)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", k], check=True)
    ssh[who] = k
    ssh[who + "-fp"] = subprocess.run(["ssh-keygen", "-l", "-f", k + ".pub"], capture_output=True,
                                      text=True).stdout.split()[1]
allowed = os.path.join(work, "allowed_signers")


def pub(who):
    return " ".join(open(ssh[who] + ".pub").read().split()[:2])


with open(allowed, "w") as f:
    f.write("bob@example.com %s\n" % pub("bob"))
    f.write('dave@example.com valid-before="20200101" %s\n' % pub("dave"))

repo = os.path.join(work, "policies")
base = t.git_repo(repo, {"policies/orders.yaml": policy(7)}, "orders: 7 days")


def commit(branch, retention, message, *sign):
    """A commit on a new branch from base, signed as sign says (git -c options + -S), its id."""
    t.git(repo, "checkout", "-q", "-B", branch, base)
    with open(os.path.join(repo, "policies/orders.yaml"), "w") as f:
        f.write(policy(retention))
    t.git(repo, "add", "policies/orders.yaml")
    args = []
    for s in sign:
        args += ["-c", s]
    t.git(repo, *args, "commit", "-q", *(["-S"] if sign else []), "-m", message, env=GPG_ENV)
    return t.git(repo, "rev-parse", "HEAD")


def tamper(branch, of):
    """The signed commit of, with another message: its signature no longer matches it."""
    raw = t.run(["git", "-C", repo, "cat-file", "commit", of]).out
    r = t.run(["git", "-C", repo, "hash-object", "-t", "commit", "-w", "--stdin"],
              input=raw.replace("orders: 30 days", "orders: 1 day"))
    t.git(repo, "branch", "-f", branch, r.out.strip())
    return r.out.strip()


GPG = ("gpg.format=openpgp",)
gpg_good = commit("gpg-good", 30, "orders: 30 days", *GPG, "user.signingkey=" + alice)
unsigned = commit("unsigned", 30, "orders: 30 days, unsigned")
tampered = tamper("gpg-tampered", gpg_good)
gpg_unknown = commit("gpg-unknown", 30, "orders: 30 days", *GPG, "user.signingkey=" + mallory)
gpg_revoked = commit("gpg-revoked", 30, "orders: 30 days", *GPG, "user.signingkey=" + rita)
# Rita's key is revoked after she signed, with the certificate gpg made with it
rev = open(os.path.join(gnupg, "openpgp-revocs.d", rita + ".rev")).read().replace(":-----BEGIN", "-----BEGIN")
t.run(["gpg", "--batch", "--quiet", "--import"], env=GPG_ENV, input=rev)
with open(keyring, "w") as f:
    f.write(gpg("--armor", "--export", alice, eve, rita))
gpg_expired = commit("gpg-expired", 30, "orders: 30 days", *GPG, "user.signingkey=" + eve, "gpg.program=" + pastgpg)
SSH = ("gpg.format=ssh",)
ssh_good = commit("ssh-good", 14, "orders: 14 days", *SSH, "user.signingkey=" + ssh["bob"])
ssh_tampered = tamper("ssh-tampered", commit("ssh-x", 30, "orders: 30 days", *SSH, "user.signingkey=" + ssh["bob"]))
ssh_unknown = commit("ssh-unknown", 30, "orders: 30 days", *SSH, "user.signingkey=" + ssh["carol"])
ssh_expired = commit("ssh-expired", 30, "orders: 30 days", *SSH, "user.signingkey=" + ssh["dave"])
t.git(repo, "checkout", "-q", "main")

state = os.path.join(work, "state")
tmp = os.path.join(work, "tmp")
os.makedirs(tmp)
with Emulator(seed=SEED, args=["--quiet"]) as emu:
    env = emu.env()
    env.update({"SNAPKEEP_STATE_DIR": state, "NO_COLOR": "1", "GNUPGHOME": os.path.join(work, "not-used"), "TMPDIR": tmp,
                "SNAPKEEP_LOG": None, "SNAPKEEP_LOG_FORMAT": None})

    def sk(*args, **kw):
        return t.snapkeep(*args, env=dict(env, **kw))

    def src(ref):
        return ["--repo", repo, "--path", "policies", "--ref", ref]

    VERIFY = ["--require-signed-commits", "--gpg-keyring", keyring, "--allowed-signers", allowed]

    def retention():
        return emu.state()["regions"]["us-east-1"]["instances"][0]["backupRetentionPeriod"]

    # ---- usage ----
    r = sk("plan", *src("gpg-good"), "--gpg-keyring", keyring)
    t.ok(r.rc == 64 and "--require-signed-commits" in r.err, "a keyring without --require-signed-commits is a usage error",
         r)
    r = sk("plan", *src("gpg-good"), "--require-signed-commits")
    t.ok(r.rc == 64 and "--gpg-keyring" in r.err and "--allowed-signers" in r.err,
         "--require-signed-commits without keys is a usage error naming both options", r)

    # ---- without the option: as before, no signer ----
    r = sk("plan", *src("gpg-good"), "--output", "json")
    t.ok(r.rc == 0 and "signer" not in r.json(), "without --require-signed-commits the JSON plan has no signer", r)
    r = sk("plan", *src("unsigned"))
    t.ok(r.rc == 0 and "Signed by" not in r.out, "and an unsigned commit plans as before, no 'Signed by' line", r)

    # ---- refused: the reason, and nothing mutates ----
    refused = [
        ("unsigned", unsigned, "is not signed", "an unsigned commit"),
        ("gpg-tampered", tampered, "bad signature", "a tampered commit (OpenPGP)"),
        ("gpg-unknown", gpg_unknown, "unknown key: signed by OpenPGP key " + mallory, "a key the keyring does not hold"),
        ("gpg-expired", gpg_expired, "expired key: signed by Eve <eve@example.com> (OpenPGP key %s), which has "
         "expired" % eve, "an expired OpenPGP key"),
        ("gpg-revoked", gpg_revoked, "revoked key: signed by Rita <rita@example.com> (OpenPGP key %s), which is "
         "revoked" % rita, "a revoked OpenPGP key"),
        ("ssh-tampered", ssh_tampered, "bad signature", "a tampered commit (SSH)"),
        ("ssh-unknown", ssh_unknown, "not in allowed_signers: signed by SSH key " + ssh["carol-fp"],
         "an SSH key allowed_signers does not list"),
        ("ssh-expired", ssh_expired, "expired key: signed by SSH key " + ssh["dave-fp"],
         "an SSH key allowed_signers lists as expired"),
    ]
    for ref, cid, why, what in refused:
        since = emu.calls()["last"]
        p = sk("plan", *src(ref), *VERIFY)
        a = sk("apply", *src(ref), *VERIFY, "--auto-approve")
        t.ok(p.rc == 1 and a.rc == 1 and why in p.err and why in a.err and "commit %s (%s)" % (cid[:12], ref) in a.err,
             "%s is refused by plan and apply: '%s'" % (what, why), (p, a))
        t.is_(len(a.err.strip().splitlines()), 1, "%s: one line on stderr" % what)
        t.is_(emu.mutating(since), [], "%s: no mutating call" % what)
        t.ok(p.out == "" and a.out == "", "%s: no plan is printed" % what, (p.out, a.out))
    t.is_(retention(), 7, "orders-db still keeps 7 days")
    st = json.load(open(os.path.join(state, "state.json")))
    t.is_(st.get("lastRun", {}).get("outcome"), "refused", "the state file records the last run as refused")

    r = sk("plan", *src("gpg-good"), "--require-signed-commits", "--allowed-signers", allowed)
    t.ok(r.rc == 1 and "no --gpg-keyring" in r.err, "an OpenPGP signature with only --allowed-signers is refused", r)
    r = sk("plan", *src("ssh-good"), "--require-signed-commits", "--gpg-keyring", keyring)
    t.ok(r.rc == 1 and "no --allowed-signers" in r.err, "an SSH signature with only --gpg-keyring is refused", r)

    # ---- good OpenPGP signature: planned with its signer, applied ----
    alice_line = "Signed by Alice <alice@example.com> (openpgp key %s), verified." % alice
    r = sk("plan", *src("gpg-good"), *VERIFY)
    lines = r.out.splitlines()
    t.ok(r.rc == 0 and len(lines) > 1 and lines[0].startswith("Policy: commit " + gpg_good[:12]) and
         lines[1] == alice_line, "a good OpenPGP signature plans; the line after the commit names the signer", r)
    r = sk("plan", *src("gpg-good"), "--require-signed-commits", "--gpg-keyring", keydir, "--output", "json")
    t.is_(r.json().get("signer") if r.rc == 0 else r.err,
          {"format": "openpgp", "name": "Alice <alice@example.com>", "key": alice},
          "JSON: \"signer\" with format, name and key (a folder of keys as --gpg-keyring)")
    r = sk("validate", *src("gpg-good"), *VERIFY)
    t.ok(r.rc == 0 and "signed by Alice <alice@example.com>" in r.out, "validate names the signer", r)

    planfile = os.path.join(work, "gpg.plan")
    r = sk("plan", *src("gpg-good"), *VERIFY, "-out", planfile)
    env_file = json.load(open(planfile)) if r.rc == 0 else {}
    o = env_file.get("origin", {})
    t.ok(env_file.get("plan", {}).get("signer", {}).get("key") == alice and o.get("requireSignedCommits") is True and
         o.get("gpgKeyring") == os.path.realpath(keyring), "the saved plan records the signer and the keys", (r, o))
    r = sk("show", planfile)
    t.ok(r.rc == 0 and alice_line in r.out, "show FILE names the signer", r)

    # the saved plan is verified again: a keyring without Alice's key refuses it
    with open(keyring, "w") as f:
        f.write(gpg("--armor", "--export", eve))
    since = emu.calls()["last"]
    r = sk("apply", planfile, "--auto-approve")
    t.ok(r.rc == 1 and "unknown key" in r.err and alice in r.err,
         "apply FILE verifies again, with the keys the file names: refused once Alice's key is gone", r)
    t.is_(emu.mutating(since), [], "and makes no mutating call")
    with open(keyring, "w") as f:
        f.write(gpg("--armor", "--export", alice, eve, rita))
    since = emu.calls()["last"]
    r = sk("apply", planfile, "--auto-approve")
    t.ok(r.rc == 0 and alice_line in r.out, "apply FILE of a good signature applies, naming the signer", r)
    t.is_(emu.mutating(since), ["ModifyDBInstance"], "exactly the planned call")
    t.is_(retention(), 30, "orders-db now keeps 30 days")

    # ---- good SSH signature ----
    bob_line = "Signed by bob@example.com (ssh key %s), verified." % ssh["bob-fp"]
    r = sk("plan", *src("ssh-good"), *VERIFY, "--output", "json")
    t.is_(r.json().get("signer") if r.rc == 0 else r.err,
          {"format": "ssh", "name": "bob@example.com", "key": ssh["bob-fp"]}, "a good SSH signature: its principal and key")
    since = emu.calls()["last"]
    r = sk("apply", *src("ssh-good"), *VERIFY, "--auto-approve")
    t.ok(r.rc == 0 and bob_line in r.out, "apply of a good SSH signature applies, naming the signer", r)
    t.is_(emu.mutating(since), ["ModifyDBInstance"], "exactly the planned call")
    t.is_(retention(), 14, "orders-db now keeps 14 days")

    # ---- the run loop: an unsigned commit is refused and alerts ----
    emu.admin("DELETE", "sns")
    since = emu.calls()["last"]
    r = sk("run", "--once", "--auto-apply", *src("unsigned"), *VERIFY)
    t.ok(r.rc == 1 and "failed in verify" in r.err and "is not signed" in r.err,
         "run --once refuses an unsigned commit: the cycle fails in verify", r)
    t.is_(sorted(set(emu.mutating(since))), ["Publish", "PutMetricData"],
          "its only mutating calls are the alert and the cycle's metrics: nothing on RDS")
    msgs = [m for m in emu.sns_messages() if m["TopicArn"] == TOPIC]
    t.ok(len(msgs) == 1 and "verify" in msgs[0]["Subject"] and "is not signed" in msgs[0]["Message"],
         "the alert goes to the topic of the last commit that verified, with the reason",
         [(m["TopicArn"], m["Subject"]) for m in emu.sns_messages()])
    r = sk("run", "--once", "--auto-apply", *src("ssh-good"), *VERIFY, SNAPKEEP_REQUIRE_SIGNED_COMMITS="1")
    t.ok(r.rc == 0, "a good commit runs again (SNAPKEEP_REQUIRE_SIGNED_COMMITS=1 too)", r)

    # ---- the environment's equivalents ----
    r = sk("plan", *src("unsigned"), SNAPKEEP_REQUIRE_SIGNED_COMMITS="1", SNAPKEEP_GPG_KEYRING=keyring,
           SNAPKEEP_ALLOWED_SIGNERS=allowed)
    t.ok(r.rc == 1 and "is not signed" in r.err, "SNAPKEEP_REQUIRE_SIGNED_COMMITS and the keyring variables", r)

t.ok(not os.path.exists(os.path.join(work, "not-used")), "the user's GNUPGHOME is never touched")
t.is_(os.listdir(tmp), [], "every private folder a check made (GNUPGHOME, ssh-keygen's files) is removed")
t.done()
