#!/usr/bin/env python3
"""Every credential source of the AWS CLI's shared config, with the real AWS
CLI (/usr/bin/aws, 2.9) and snapkeep reading one ~/.aws/config (HOME is a
scratch folder): for each profile kind (static keys, a two-hop source_profile
chain with an external id, credential_source = Ec2InstanceMetadata,
credential_process, IAM Identity Center with sso_session and in the legacy
form, each with the token the test writes into the CLI's cache)
`aws sts get-caller-identity --profile P` and `snapkeep whoami --profile P`
name the same identity, and whoami names the source and the chain.

Pointing the CLI at the emulator: `--endpoint-url` reaches only the call
itself; the clients the CLI makes for AssumeRole and for the SSO portal do
not take it, and awscli 2.9 honours neither AWS_ENDPOINT_URL nor
AWS_ENDPOINT_URL_SSO.  botocore loads its models from ~/.aws/models before
its own, so the test puts there an endpoint rule set for `sts` and `sso`
that resolves to the emulator: the CLI's own credential providers (botocore's
AssumeRoleProvider, SSOProvider, ProcessProvider) then run unchanged against
it.  snapkeep gets `--endpoint` (every service, the SSO portal included).

Then: loops, mfa_serial, an expired or revoked SSO token ("run `aws sso
login --profile X`"), a failing credential_process (stderr passed through);
and a `snapkeep run` loop on an assumed role whose sessions last 310 s of
which the last 300 are the refresh window: it assumes the role again before
every expiry and no call fails (the emulator's log has no ExpiredToken)."""
import datetime as dt
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator
from runproc import RunProc

AWS = "/usr/bin/aws"
ACCOUNT = "123456789012"
BASE_KEY, BASE_SECRET = "AKIDBASEUSER", "base-user-secret-9d2f"
HOP1 = "arn:aws:iam::111111111111:role/hop1"
HOP2 = "arn:aws:iam::222222222222:role/hop2"
IMDS_ROLE = "arn:aws:iam::%s:role/from-instance" % ACCOUNT
PROC_ROLE = "arn:aws:iam::555555555555:role/from-process"
RUNNER = "arn:aws:iam::%s:role/runner" % ACCOUNT
EXTERNAL_ID = "ext-hop1-6b1e"
SSO_ACCOUNT = "444444444444"
SEED = {
    "account": ACCOUNT,
    "regions": {"us-east-1": {"instances": [{"id": "orders-db", "engine": "postgres", "backupRetentionPeriod": 7,
                                             "preferredBackupWindow": "03:00-04:00"}]}},
    "roles": [
        {"arn": HOP1, "trust": [ACCOUNT], "externalId": EXTERNAL_ID},
        {"arn": HOP2, "trust": [HOP1]},
        {"arn": IMDS_ROLE, "trust": ["arn:aws:iam::%s:role/snapkeep-role" % ACCOUNT]},
        {"arn": PROC_ROLE, "trust": [ACCOUNT]},
        {"arn": RUNNER, "trust": ["arn:aws:iam::%s:user/snapkeep-test" % ACCOUNT]},
    ],
    "sso": {"permissionSets": [{"accountId": SSO_ACCOUNT, "roleName": "SnapkeepAdmin", "users": ["alice"]}]},
}

home = t.tmpdir()
aws_dir = os.path.join(home, ".aws")
os.makedirs(os.path.join(aws_dir, "sso", "cache"))
outputs = []


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def rule_set(url):
    """An endpoint rule set (botocore's endpoint-rule-set-1) that answers url whatever the parameters."""
    params = {"Region": {"builtIn": "AWS::Region", "required": False, "type": "String"},
              "UseDualStack": {"builtIn": "AWS::UseDualStack", "required": True, "default": False,
                               "type": "Boolean"},
              "UseFIPS": {"builtIn": "AWS::UseFIPS", "required": True, "default": False, "type": "Boolean"},
              "Endpoint": {"builtIn": "SDK::Endpoint", "required": False, "type": "String"}}
    return json.dumps({"version": "1.0", "parameters": params,
                       "rules": [{"conditions": [], "type": "endpoint",
                                  "endpoint": {"url": url, "properties": {}, "headers": {}}}]})


def cache_token(key, token, expires_at, start_url):
    """The token as `aws sso login` caches it: ~/.aws/sso/cache/<sha1 of the session name or start URL>.json"""
    name = hashlib.sha1(key.encode()).hexdigest() + ".json"
    write(os.path.join(aws_dir, "sso", "cache", name),
          json.dumps({"startUrl": start_url, "region": "us-east-1", "accessToken": token, "expiresAt": expires_at}))
    return name


def stamp(t_):
    return dt.datetime.fromtimestamp(t_, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def env_for(emu, **extra):
    e = emu.env()
    e.update({"HOME": home, "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_ENDPOINT_URL": None,
              "AWS_CONFIG_FILE": None, "AWS_SHARED_CREDENTIALS_FILE": None, "AWS_REGION": None,
              "AWS_MAX_ATTEMPTS": "2", "AWS_PAGER": "", "NO_COLOR": "1", "SNAPKEEP_LOG": None,
              "AWS_EC2_METADATA_SERVICE_ENDPOINT": emu.url + "/", "AWS_EC2_METADATA_DISABLED": None})
    e.update(extra)
    return e


def cli_identity(emu, profile):
    r = t.run([AWS, "sts", "get-caller-identity", "--profile", profile, "--endpoint-url", emu.url,
               "--output", "json"], env=env_for(emu), timeout=120)
    outputs.extend([r.out, r.err])
    return r, (r.json() if r.rc == 0 else {})


def sk_whoami(emu, profile, **extra):
    r = t.snapkeep("whoami", "--profile", profile, "--endpoint", emu.url, "--output", "json",
                   env=env_for(emu, **extra), timeout=120)
    outputs.extend([r.out, r.err])
    return r, (r.json() if r.rc == 0 else {})


if not os.access(AWS, os.X_OK):
    t.plan(1)
    t.skip("the AWS CLI", "%s is not installed" % AWS)
    t.done()
    sys.exit(0)

with Emulator(seed=SEED, args=["--key", "AKIDSNAPKEEPTEST:snapkeep-emulator-secret",
                               "--key", "%s:%s" % (BASE_KEY, BASE_SECRET)]) as emu:
    for svc, ver in (("sts", "2011-06-15"), ("sso", "2019-06-10")):
        write(os.path.join(aws_dir, "models", svc, ver, "endpoint-rule-set-1.json"), rule_set(emu.url))
    work = t.tmpdir()
    helper = os.path.join(work, "creds helper.py")
    write(helper, """import json, sys, urllib.request
sys.path.insert(0, %r)
from emulator_ctl import Emulator, xml_text
sys.stderr.write("creds-helper: minting credentials for %%s\\n" %% sys.argv[1])
if sys.argv[1] == "fail":
    sys.stderr.write("creds-helper: the vault is sealed\\n")
    sys.exit(3)
e = Emulator(start=False, workdir=%r)
e.port = %d
st, body, _ = e.call("sts", "AssumeRole", {"RoleArn": %r, "RoleSessionName": "process"}, key=%r, secret=%r)
get = lambda k: xml_text(body, k)[0]
print(json.dumps({"Version": 1, "AccessKeyId": get("AccessKeyId"), "SecretAccessKey": get("SecretAccessKey"),
                  "SessionToken": get("SessionToken"), "Expiration": get("Expiration")}))
""" % (os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"), work, emu.port, PROC_ROLE, BASE_KEY,
       BASE_SECRET))
    write(os.path.join(aws_dir, "credentials"), """[static]
aws_access_key_id = %s
aws_secret_access_key = %s

[base]
aws_access_key_id = %s
aws_secret_access_key = %s
""" % (emu.access_key, emu.secret_key, BASE_KEY, BASE_SECRET))
    write(os.path.join(aws_dir, "config"), """[default]
region = us-east-1

[profile static]
region = us-east-1

[profile base]
region = us-east-1

[profile hop1]
region = us-east-1
role_arn = {hop1}
source_profile = base
external_id = {ext}
role_session_name = e2e-hop1

[profile hop2]
region = us-east-1
role_arn = {hop2}
source_profile = hop1
role_session_name = e2e-hop2

[profile instance]
region = us-east-1
role_arn = {imds}
credential_source = Ec2InstanceMetadata
role_session_name = e2e-instance

[profile proc]
region = us-east-1
credential_process = python3 "{helper}" proc

[profile proc-fails]
region = us-east-1
credential_process = python3 "{helper}" fail

[profile sso]
region = us-east-1
sso_session = corp
sso_account_id = {sso_acct}
sso_role_name = SnapkeepAdmin

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile sso-legacy]
region = us-east-1
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = {sso_acct}
sso_role_name = SnapkeepAdmin

[profile sso-expired]
region = us-east-1
sso_session = old
sso_account_id = {sso_acct}
sso_role_name = SnapkeepAdmin

[sso-session old]
sso_start_url = https://old.awsapps.com/start
sso_region = us-east-1

[profile sso-missing]
region = us-east-1
sso_session = never
sso_account_id = {sso_acct}
sso_role_name = SnapkeepAdmin

[sso-session never]
sso_start_url = https://never.awsapps.com/start
sso_region = us-east-1

[profile loop-a]
role_arn = {hop1}
source_profile = loop-b

[profile loop-b]
role_arn = {hop1}
source_profile = loop-a

[profile mfa]
role_arn = {hop1}
source_profile = base
mfa_serial = arn:aws:iam::{acct}:mfa/alice

[profile runner]
region = us-east-1
role_arn = {runner}
source_profile = static
role_session_name = e2e-runner
""".format(hop1=HOP1, hop2=HOP2, ext=EXTERNAL_ID, imds=IMDS_ROLE, helper=helper, sso_acct=SSO_ACCOUNT,
           acct=ACCOUNT, runner=RUNNER))
    tok = emu.admin("POST", "sso/token", {"user": "alice", "expiresIn": 3600})
    cache_token("corp", tok["accessToken"], tok["expiresAt"], "https://corp.awsapps.com/start")
    tok2 = emu.admin("POST", "sso/token", {"user": "alice", "expiresIn": 3600})
    cache_token("https://legacy.awsapps.com/start", tok2["accessToken"], tok2["expiresAt"],
                "https://legacy.awsapps.com/start")
    old = emu.admin("POST", "sso/token", {"user": "alice", "expiresIn": 1})
    cache_token("old", old["accessToken"], stamp(time.time() - 600), "https://old.awsapps.com/start")

    # ---- each profile kind: the CLI and snapkeep name the same identity ----
    kinds = [
        ("static", "arn:aws:iam::%s:user/snapkeep-test" % ACCOUNT, "shared-credentials-file",
         "shared-credentials-file"),
        ("hop2", "arn:aws:sts::222222222222:assumed-role/hop2/e2e-hop2", "assume-role",
         "assume-role %s <- source_profile hop1 <- assume-role %s <- source_profile base (shared-credentials-file)"
         % (HOP2, HOP1)),
        ("instance", "arn:aws:sts::%s:assumed-role/from-instance/e2e-instance" % ACCOUNT, "assume-role",
         "assume-role %s <- credential_source Ec2InstanceMetadata (imds)" % IMDS_ROLE),
        ("proc", "arn:aws:sts::555555555555:assumed-role/from-process/process", "credential-process",
         "credential-process"),
        ("sso", None, "sso", "sso account %s role SnapkeepAdmin (sso_session corp)" % SSO_ACCOUNT),
        ("sso-legacy", None, "sso",
         "sso account %s role SnapkeepAdmin (sso_start_url https://legacy.awsapps.com/start)" % SSO_ACCOUNT),
    ]
    for profile, want_arn, source, chain in kinds:
        since = emu.calls()["last"]
        rc, cli = cli_identity(emu, profile)
        rs, sk = sk_whoami(emu, profile)
        arn = cli.get("Arn")
        if want_arn is None:  # SSO: the role the portal names, AWSReservedSSO_<role>_<hash>/<user>
            ok_arn = bool(arn) and arn.startswith("arn:aws:sts::%s:assumed-role/AWSReservedSSO_SnapkeepAdmin_"
                                                  % SSO_ACCOUNT) and arn.endswith("/alice")
        else:
            ok_arn = arn == want_arn
        t.ok(rc.rc == 0 and ok_arn, "%s: aws sts get-caller-identity names %s" % (profile, arn or want_arn), rc)
        t.ok(rs.rc == 0 and sk.get("arn") == arn and sk.get("account") == cli.get("Account"),
             "%s: snapkeep whoami names the same identity" % profile, (rs, cli))
        t.ok(sk.get("credentialSource") == source and sk.get("credentialChain") == chain,
             "%s: whoami says the source (%s) and the chain" % (profile, source), sk)
        errs = [c for c in emu.calls(since=since)["calls"] if c.get("error")]
        t.is_(errs, [], "%s: no call failed on the way" % profile)

    r, _ = sk_whoami(emu, "proc")
    t.ok("creds-helper: minting credentials for proc" in r.err, "credential_process: its stderr is passed through",
         r)
    calls = emu.calls(action="AssumeRole")["calls"]
    t.ok(any(c["params"].get("ExternalId") == "REDACTED" and c["params"].get("RoleArn") == HOP1 for c in calls),
         "hop1 is assumed with the profile's external_id (the emulator logs it redacted)", calls[-3:])

    # ---- what cannot work says so ----
    r, _ = sk_whoami(emu, "loop-a")
    t.ok(r.rc != 0 and "source_profile loops (loop-a -> loop-b -> loop-a)" in r.err
         and len(r.err.strip().splitlines()) == 1, "a source_profile loop is refused in one line", r)
    r, _ = sk_whoami(emu, "mfa")
    t.ok(r.rc != 0 and "needs an MFA code (mfa_serial); not supported unattended" in r.err,
         "mfa_serial: needs an MFA code, not supported unattended", r)
    r, _ = sk_whoami(emu, "proc-fails")
    t.ok(r.rc != 0 and "creds-helper: the vault is sealed" in r.err and "exited with status 3" in r.err,
         "a failing credential_process: its stderr, then one error naming its exit status", r)
    r, _ = sk_whoami(emu, "sso-expired")
    rc, _ = cli_identity(emu, "sso-expired")
    t.ok(r.rc != 0 and "expired" in r.err and "run `aws sso login --profile sso-expired`" in r.err,
         "an expired SSO token: run `aws sso login --profile sso-expired`", r)
    t.ok(rc.rc != 0, "the AWS CLI refuses the expired token too", rc)
    r, _ = sk_whoami(emu, "sso-missing")
    t.ok(r.rc != 0 and "no IAM Identity Center token cached" in r.err
         and "run `aws sso login --profile sso-missing`" in r.err, "no cached token: run `aws sso login`", r)
    cache_token("corp", "revoked-or-unknown-token-1234", stamp(time.time() + 3600), "https://corp.awsapps.com/start")
    r, _ = sk_whoami(emu, "sso")
    t.ok(r.rc != 0 and "UnauthorizedException" in r.err and "run `aws sso login --profile sso`" in r.err
         and "revoked-or-unknown-token-1234" not in r.err,
         "a token the portal refuses (UnauthorizedException): run `aws sso login`, the token never shown", r)
    cache_token("corp", tok["accessToken"], tok["expiresAt"], "https://corp.awsapps.com/start")

    # ---- a long run on an assumed role: refreshed before expiry, no failed call ----
    emu.config(credentialsTTL=310)  # sessions of 310 s: the 5-minute refresh window opens 10 s in
    repo = os.path.join(work, "policies")
    t.git_repo(repo, {"policies/orders.yaml": """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata:
  name: orders
spec:
  regions: [us-east-1]
  selector: {instances: [orders-db]}
  automated:
    retentionDays: 7
    window: "03:00-04:00"
"""})
    since = emu.calls()["last"]
    env = env_for(emu, SNAPKEEP_STATE_DIR=os.path.join(work, "state"), AWS_ENDPOINT_URL=emu.url)
    p = RunProc(["--profile", "runner", "--repo", repo, "--path", "policies", "--interval", "2s"], env=env,
                workdir=work)
    try:
        started = time.time()
        first = p.wait_for(r"cycle 1 ok", timeout=60)
        t.ok(first, "run on profile runner (an assumed role): the first cycle succeeds", p.err())
        done = p.wait_for(r"cycle \d+ ok", timeout=60, count=8)
        elapsed = time.time() - started
    finally:
        rc = p.stop()
    calls = emu.calls(since=since)["calls"]
    assumed = [c for c in calls if c.get("action") == "AssumeRole" and not c.get("error")]
    failed = [c for c in calls if c.get("error")]
    t.ok(done and elapsed > 12, "eight cycles over %.0f s, past the 10 s after which sessions are renewed" % elapsed,
         p.err()[-2000:])
    t.ok(len(assumed) >= 2, "the role was assumed again during the run (%d AssumeRole calls)" % len(assumed))
    keys = {c.get("accessKey") for c in calls if c.get("service") == "rds" and c.get("accessKey")}
    t.ok(len(keys) >= 2, "RDS calls were signed with the renewed session too (%d keys)" % len(keys))
    t.is_([c.get("error") for c in failed], [], "no call failed: no ExpiredToken, no InvalidClientTokenId")
    t.is_(rc, 0, "run stops cleanly on SIGTERM")
    emu.config(credentialsTTL=3600)

    # ---- no secret anywhere ----
    text = "\n".join(outputs + [p.err(), p.out()])
    leaked = [s for s in (BASE_SECRET, emu.secret_key, tok["accessToken"], tok2["accessToken"], "IQoJb3JpZ2luX2Vj")
              if s in text]
    t.is_(leaked, [], "no secret, session token or SSO access token in anything the CLI or snapkeep printed")

t.done()
