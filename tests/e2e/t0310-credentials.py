#!/usr/bin/env python3
"""The credentials chain end to end: each source against the emulator
(environment, shared files with a profile, web identity through STS
AssumeRoleWithWebIdentity, ECS full URI with an authorization token, IMDSv2
through AWS_EC2_METADATA_SERVICE_ENDPOINT), the chain's order, refresh
before expiry, one clear error when nothing is found, and that no secret
appears in anything the client prints, even with --debug.

Profiles as the AWS CLI has them, through `snapkeep whoami` itself: --profile
outranks the environment's keys and AWS_PROFILE does not; a named profile in
neither file is an error before any call, never a fall-through to web
identity, ECS or IMDS; region comes from the named profile.  Each case
checks the exit code, which access key signed the call (the emulator logs
it) and what snapkeep says.

Drives tests/tools/sk-aws (sanitized build): `credentials [count=N]` shows
where the keys came from (never the secret), `whoami` proves the emulator
accepts a call signed with them."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import sktest as t
from emulator_ctl import Emulator

TOOL = os.path.join(t.BUILD, "san", "tests", "tools", "sk-aws")
ACCOUNT = "123456789012"
ROLE = "arn:aws:iam::%s:role/snapkeep" % ACCOUNT
WEB_TOKEN = "snapkeep-web-identity-token"
ECS_TOKEN = "ecs-authorization-token-4f1d"
SEED = {"account": ACCOUNT, "regions": {"us-east-1": {"instances": []}}}
# two more long-term keys the emulator accepts, so the log tells who signed
CI_KEY, CI_SECRET = "AKIDPROFILECI", "profile-ci-secret-3b7e"
OPS_KEY, OPS_SECRET = "AKIDPROFILEOPS", "profile-ops-secret-5c1a"

home = t.tmpdir()
outputs = []  # every stdout and stderr, checked for secrets at the end


def write(name, text):
    path = os.path.join(home, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def base_env(emu, **extra):
    """The emulator's endpoint and nothing else: no keys, empty files, IMDS off."""
    e = emu.env()
    e.update({"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "HOME": home,
              "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
              "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "2"})
    e.update(extra)
    return e


def tool(env, *args):
    r = t.run([TOOL] + list(args), env=env, timeout=120)
    outputs.append(r.out)
    outputs.append(r.err)
    return r


def creds(env, *args):
    r = tool(env, "credentials", *args)
    lines = [json.loads(x) for x in r.out.splitlines() if x.strip()]
    return r, lines


def whoami(env):
    r = tool(env, "--debug", "whoami")
    lines = [json.loads(x) for x in r.out.splitlines() if x.strip()]
    return r, (lines[0] if lines else {})


def cred_calls(emu, since, service):
    return [c for c in emu.calls(since=since)["calls"] if c.get("service") == service]


def keys_args():
    from emulator_ctl import ACCESS_KEY, SECRET_KEY
    return ["--key", "%s:%s" % (ACCESS_KEY, SECRET_KEY), "--key", "%s:%s" % (CI_KEY, CI_SECRET),
            "--key", "%s:%s" % (OPS_KEY, OPS_SECRET)]


def whoami_sk(emu, env, *flags):
    """`snapkeep whoami` itself: the result, and the emulator's log of what it called."""
    since = emu.calls()["last"]
    r = t.snapkeep("whoami", *flags, env=env, timeout=120)
    outputs.append(r.out)
    outputs.append(r.err)
    return r, emu.calls(since=since)["calls"]


def signed_by(calls):
    """(access key, region) of each GetCallerIdentity call."""
    return [(c.get("accessKey"), c.get("region")) for c in calls if c.get("action") == "GetCallerIdentity"]


with Emulator(seed=SEED, args=keys_args()) as emu:
    emu.config(credentialsTTL=3600, ecsAuthToken=ECS_TOKEN)

    # ---- environment ----
    env = base_env(emu, AWS_ACCESS_KEY_ID=emu.access_key, AWS_SECRET_ACCESS_KEY=emu.secret_key)
    r, got = creds(env)
    t.ok(r.rc == 0 and got and got[0]["source"] == "environment" and got[0]["accessKeyId"] == emu.access_key
         and not got[0]["sessionToken"] and got[0]["expiration"] is None,
         "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", r)
    r, who = whoami(env)
    t.ok(r.rc == 0 and who.get("account") == ACCOUNT, "environment: a signed call is accepted", r)
    r, got = creds(base_env(emu, AWS_SECRET_ACCESS_KEY=emu.secret_key))
    t.ok(r.rc == 1 and "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not" in r.err,
         "environment: a partial pair is an error that says what is missing", r)

    # ---- shared files and profiles ----
    cred_file = write("credentials",
                      "# test keys\n[default]\naws_access_key_id = AKIDWRONGDEFAULT\naws_secret_access_key = nope\n\n"
                      "[ci]\r\naws_access_key_id = %s\r\naws_secret_access_key = %s ; comment\r\n"
                      "[ops]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                      % (CI_KEY, CI_SECRET, OPS_KEY, OPS_SECRET))
    conf_file = write("config",
                      "[default]\nregion = us-west-2\n[profile ci]\nregion = us-east-1\ns3 =\n  addressing_style = path\n"
                      "[profile cfgonly]\nregion = us-east-1\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                      "[profile eks]\nregion = us-east-1\nrole_arn = %s\nweb_identity_token_file = %s\n"
                      "[profile ops]\nregion = eu-west-1\n"
                      % (emu.access_key, emu.secret_key, ROLE, os.path.join(home, "web-token")))
    files = {"AWS_SHARED_CREDENTIALS_FILE": cred_file, "AWS_CONFIG_FILE": conf_file, "AWS_REGION": None}
    env = base_env(emu, AWS_PROFILE="ci", **files)
    r, got = creds(env)
    t.ok(r.rc == 0 and got and got[0]["source"] == "shared-credentials-file" and got[0]["accessKeyId"] == CI_KEY,
         "shared files: AWS_PROFILE picks [ci] in the credentials file", r)
    r, who = whoami(env)
    t.ok(r.rc == 0 and who.get("account") == ACCOUNT, "shared files: the profile's keys sign an accepted call", r)
    r, got = creds(base_env(emu, **files))
    t.is_(got[0]["accessKeyId"] if got else None, "AKIDWRONGDEFAULT", "shared files: [default] without a profile")
    r = tool(base_env(emu, **files), "--profile", "ci", "whoami")
    t.ok(r.rc == 0, "shared files: --profile names the profile", r)
    r, got = creds(base_env(emu, AWS_PROFILE="cfgonly", **files))
    t.ok(r.rc == 0 and got and got[0]["source"] == "shared-config-file",
         "shared files: keys in the config file's [profile cfgonly]", r)
    r, got = creds(base_env(emu, AWS_PROFILE="nosuch", **files))
    t.ok(r.rc == 1 and "the config profile 'nosuch' (from AWS_PROFILE) could not be found" in r.err,
         "shared files: an unknown profile is named in the error", r)
    r, got = creds(base_env(emu, AWS_ACCESS_KEY_ID=emu.access_key, AWS_SECRET_ACCESS_KEY=emu.secret_key,
                            AWS_PROFILE="ci", **files))
    t.is_(got[0]["source"] if got else None, "environment", "chain: the environment comes before the shared files")

    # ---- web identity (STS AssumeRoleWithWebIdentity) ----
    token_file = write("web-token", WEB_TOKEN + "\n")
    wi = {"AWS_WEB_IDENTITY_TOKEN_FILE": token_file, "AWS_ROLE_ARN": ROLE, "AWS_ROLE_SESSION_NAME": "e2e-pod"}
    since = emu.calls()["last"]
    env = base_env(emu, **wi)
    r, got = creds(env)
    t.ok(r.rc == 0 and got and got[0]["source"] == "web-identity" and got[0]["sessionToken"]
         and got[0]["expiration"] and got[0]["accessKeyId"].startswith("ASIA"),
         "web identity: temporary credentials from AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN", r)
    calls = [c for c in emu.calls(since=since)["calls"] if c.get("action") == "AssumeRoleWithWebIdentity"]
    t.ok(len(calls) == 1 and calls[0]["status"] == 200 and calls[0]["params"].get("RoleArn") == ROLE
         and calls[0]["params"].get("RoleSessionName") == "e2e-pod",
         "web identity: one AssumeRoleWithWebIdentity call with the role and session name", calls)
    r, who = whoami(env)
    t.ok(r.rc == 0 and "assumed-role/snapkeep/e2e-pod" in who.get("arn", ""),
         "web identity: a call signed with the session token is accepted as the role", r)
    r, got = creds(base_env(emu, AWS_PROFILE="eks", **files))
    t.ok(r.rc == 0 and got and got[0]["source"] == "web-identity",
         "web identity: from the profile's web_identity_token_file and role_arn", r)
    bad_file = write("bad-token", "not-the-token-6c2a\n")
    r, got = creds(base_env(emu, AWS_WEB_IDENTITY_TOKEN_FILE=bad_file, AWS_ROLE_ARN=ROLE))
    t.ok(r.rc == 1 and "InvalidIdentityToken" in r.err and "not-the-token-6c2a" not in r.err
         and len(r.err.strip().splitlines()) == 1,
         "web identity: a refused token is one error line with the STS code, not the token", r)

    # ---- ECS container credentials ----
    ecs = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": emu.url + "/ecs/credentials",
           "AWS_CONTAINER_AUTHORIZATION_TOKEN": ECS_TOKEN}
    env = base_env(emu, **ecs)
    r, got = creds(env)
    t.ok(r.rc == 0 and got and got[0]["source"] == "ecs" and got[0]["sessionToken"],
         "ecs: AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN", r)
    r, who = whoami(env)
    t.ok(r.rc == 0 and who.get("account") == ACCOUNT, "ecs: the task role's credentials sign an accepted call", r)
    ecs_file = write("ecs-token", ECS_TOKEN + "\n")
    r, got = creds(base_env(emu, AWS_CONTAINER_CREDENTIALS_FULL_URI=ecs["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=ecs_file))
    t.ok(r.rc == 0 and got and got[0]["source"] == "ecs", "ecs: the token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", r)
    r, got = creds(base_env(emu, AWS_CONTAINER_CREDENTIALS_FULL_URI=ecs["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                            AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong-ecs-token-77"))
    t.ok(r.rc == 1 and "HTTP 403" in r.err and "wrong-ecs-token-77" not in r.err,
         "ecs: a wrong token is refused (HTTP 403) and not printed", r)

    # ---- EC2 instance metadata (IMDSv2) ----
    imds = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": emu.url + "/", "AWS_EC2_METADATA_DISABLED": None}
    since = emu.calls()["last"]
    env = base_env(emu, **imds)
    r, got = creds(env)
    t.ok(r.rc == 0 and got and got[0]["source"] == "imds" and got[0]["sessionToken"],
         "imds: credentials of the instance role through AWS_EC2_METADATA_SERVICE_ENDPOINT", r)
    seq = [c["action"] for c in cred_calls(emu, since, "imds")]
    t.is_(seq, ["IMDSToken", "IMDSRoleName", "IMDSCredentials"], "imds: token PUT first, then role, then credentials")
    r, who = whoami(env)
    t.ok(r.rc == 0 and "snapkeep-role" in who.get("arn", ""), "imds: a call signed as the instance role", r)
    since = emu.calls()["last"]
    r, got = creds(base_env(emu, AWS_EC2_METADATA_SERVICE_ENDPOINT=emu.url))
    t.ok(r.rc == 1 and not cred_calls(emu, since, "imds"),
         "imds: AWS_EC2_METADATA_DISABLED=true makes no request", r)

    # ---- profiles as the AWS CLI has them (snapkeep whoami) ----
    env_keys = {"AWS_ACCESS_KEY_ID": emu.access_key, "AWS_SECRET_ACCESS_KEY": emu.secret_key}
    r, calls = whoami_sk(emu, base_env(emu, **dict(files, **env_keys)), "--profile", "ops")
    t.ok(r.rc == 0 and signed_by(calls) == [(OPS_KEY, "eu-west-1")]
         and "credentials: shared-credentials-file (access key ****************%s)" % OPS_KEY[-4:] in r.out
         and "profile:     ops (from --profile)\n" in r.out and "region:      eu-west-1\n" in r.out,
         "--profile: the profile's key signs over AWS_ACCESS_KEY_ID, in the profile's region", (r, calls))
    r, calls = whoami_sk(emu, base_env(emu, **dict(files, **env_keys)), "--profile", "ops", "--output", "json")
    doc = json.loads(r.out) if r.rc == 0 else {}
    t.ok(doc.get("credentialSource") == "shared-credentials-file" and doc.get("profile") == "ops"
         and doc.get("profileSource") == "--profile" and signed_by(calls) == [(OPS_KEY, "eu-west-1")],
         "--profile: whoami --output json names the source and the profile", (r, calls))
    r, calls = whoami_sk(emu, base_env(emu, AWS_PROFILE="ops", **dict(files, **env_keys)))
    t.ok(r.rc == 0 and signed_by(calls) == [(emu.access_key, "eu-west-1")]
         and "credentials: environment (access key ****************%s)" % emu.access_key[-4:] in r.out
         and "profile:     ops (from AWS_PROFILE)\n" in r.out,
         "AWS_PROFILE: AWS_ACCESS_KEY_ID still signs; the region is the profile's", (r, calls))
    r, calls = whoami_sk(emu, base_env(emu, **dict(files, **env_keys)), "--profile", "nosuch")
    t.ok(r.rc == 1 and not calls and r.err == "snapkeep: the config profile 'nosuch' (from --profile) could not be "
         "found in ~/credentials or ~/config\n",
         "--profile nosuch: exit 1 before any call, one line like the AWS CLI's", (r, calls))
    anything = dict(files, AWS_PROFILE="nosuch", **wi)
    anything.update(env_keys)
    anything.update(ecs)
    anything.update(imds)
    r, calls = whoami_sk(emu, base_env(emu, **anything))
    t.ok(r.rc == 1 and not calls and r.err == "snapkeep: the config profile 'nosuch' (from AWS_PROFILE) could not be "
         "found in ~/credentials or ~/config\n",
         "AWS_PROFILE=nosuch: no call to STS, ECS or IMDS although all three would answer", (r, calls))
    r, calls = whoami_sk(emu, base_env(emu, **env_keys), "--profile", "default")
    t.ok(r.rc == 1 and not calls and "the config profile 'default' (from --profile) could not be found" in r.err,
         "--profile default: named, so it must exist too", (r, calls))
    r, calls = whoami_sk(emu, base_env(emu, **env_keys))
    t.ok(r.rc == 0 and signed_by(calls) == [(emu.access_key, "us-east-1")] and "profile:     default\n" in r.out
         and "credentials: environment" in r.out,
         "no profile named: an absent [default] is fine and the environment signs", (r, calls))
    other = dict(files, AWS_ROLE_ARN="arn:aws:iam::%s:role/not-this-one" % ACCOUNT, **env_keys)
    other.update({k: v for k, v in wi.items() if k != "AWS_ROLE_ARN"})
    r, calls = whoami_sk(emu, base_env(emu, **other), "--profile", "eks")
    exch = [c for c in calls if c.get("action") == "AssumeRoleWithWebIdentity"]
    who = signed_by(calls)
    t.ok(r.rc == 0 and len(exch) == 1 and exch[0]["params"].get("RoleArn") == ROLE
         and exch[0]["params"].get("RoleSessionName", "").startswith("snapkeep-")
         and len(who) == 1 and who[0][0].startswith("ASIA") and "credentials: web-identity" in r.out
         and "profile:     eks (from --profile)" in r.out,
         "--profile eks: the profile's web identity, not the environment's keys or role", (r, calls))

    # ---- the chain's order ----
    everything = dict(files, AWS_PROFILE="ci", **wi)
    everything.update(ecs)
    everything.update(imds)
    order = []
    no_files = {"AWS_PROFILE": None, "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_CONFIG_FILE": "/dev/null"}
    for drop in ({"AWS_WEB_IDENTITY_TOKEN_FILE": None}, no_files, {"AWS_CONTAINER_CREDENTIALS_FULL_URI": None}, {}):
        r, got = creds(base_env(emu, **everything))
        order.append(got[0]["source"] if got else r.err)
        everything.update(drop)
    t.is_(order, ["web-identity", "shared-credentials-file", "ecs", "imds"],
          "chain: web identity, then shared files (botocore's order), then ecs, then imds")

    # ---- refresh before expiry ----
    emu.config(credentialsTTL=3600)
    since = emu.calls()["last"]
    r, got = creds(base_env(emu, **imds), "count=3")
    n = len([c for c in cred_calls(emu, since, "imds") if c["action"] == "IMDSCredentials"])
    t.ok(r.rc == 0 and len(got) == 3 and len({g["accessKeyId"] for g in got}) == 1 and n == 1,
         "refresh: credentials valid for an hour are fetched once for three uses", (r, n))
    emu.config(credentialsTTL=240)  # inside the 5-minute refresh window from the start
    since = emu.calls()["last"]
    r, got = creds(base_env(emu, **imds), "count=3")
    n = len([c for c in cred_calls(emu, since, "imds") if c["action"] == "IMDSCredentials"])
    t.ok(r.rc == 0 and len(got) == 3 and len({g["accessKeyId"] for g in got}) == 3 and n == 3
         and [g["fetches"] for g in got] == [1, 2, 3],
         "refresh: credentials 4 minutes from expiry are fetched again before each use", (r, n))
    r, who = whoami(base_env(emu, **wi))
    t.ok(r.rc == 0 and who.get("account") == ACCOUNT, "refresh: short-lived web identity credentials still sign", r)
    emu.config(credentialsTTL=3600)

    # ---- nothing found ----
    r = tool(base_env(emu, AWS_PROFILE=None), "whoami")
    t.ok(r.rc == 1 and len(r.err.strip().splitlines()) == 1 and all(
        s in r.err for s in ("environment:", "assume role:", "web identity:", "sso:", "shared files:", "ecs:", "imds:")),
         "no credentials: one line naming every source and why it gave nothing", r)

    # ---- no secret anywhere ----
    # the emulator's issued session tokens all start with the same prefix; its secrets are never shown to us
    secrets = [emu.secret_key, CI_SECRET, OPS_SECRET, WEB_TOKEN, ECS_TOKEN, "IQoJb3JpZ2luX2Vj"]
    text = "\n".join(outputs)
    leaked = [s for s in secrets if s in text]
    t.ok(not leaked, "no secret key, session token, web identity token or ECS token in any output (%d runs)"
         % (len(outputs) // 2), leaked)
    t.ok("Signature=" not in text and "Authorization:" not in text and "X-Amz-Security-Token" not in text,
         "no signature or signed header in any output, --debug included")

t.done()
