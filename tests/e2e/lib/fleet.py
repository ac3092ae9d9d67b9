"""fleet - several AWS accounts in the emulator, for the tests of Settings'
accounts: the base account whose static key the tests sign with, target
accounts each with a role snapkeep assumes from it (with an external id),
and the Settings document that names them.

    SEED = {"account": fleet.BASE, "roles": fleet.roles(ACCOUNTS), "accounts": {...}}
    t.git_repo(repo, {"policies/settings.yaml": fleet.settings(ACCOUNTS, {ACCOUNTS[2]: "wrong-id"})})
"""

BASE = "123456789012"
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]


def external_id(account):
    """the external id each role expects: "ext-" and the account's first three digits"""
    return "ext-" + account[:3]


def role_arn(account):
    return "arn:aws:iam::%s:role/snapkeep" % account


def role(account, ext=None):
    """the emulator's seed of account's role, trusting the base account, expecting ext (default: its own)"""
    return {"arn": role_arn(account), "trust": [BASE], "externalId": ext or external_id(account)}


def roles(accounts):
    return [role(a) for a in accounts]


def settings(accounts, ext=None, parallel=None):
    """Settings listing accounts with their roles; ext {account: id} gives some another external id"""
    lines = ["apiVersion: snapkeep/v1", "kind: Settings", "metadata: {name: fleet}", "spec:"]
    if parallel:
        lines.append("  parallel: %d" % parallel)
    lines.append("  accounts:")
    for a in accounts:
        lines.append('    - {id: "%s", roleArn: "%s", externalId: "%s"}'
                     % (a, role_arn(a), (ext or {}).get(a) or external_id(a)))
    return "\n".join(lines) + "\n"


def instance(iid):
    """a PostgreSQL instance tagged backup=daily, 7 days of automated backups, windows set"""
    return {"id": iid, "engine": "postgres", "backupRetentionPeriod": 7, "preferredBackupWindow": "03:00-04:00",
            "preferredMaintenanceWindow": "sun:05:00-sun:06:00", "tags": {"backup": "daily"}}


# the policy the accounts tests apply: every account's backup=daily instances, two snapshots, copies to us-west-2
POLICY = """apiVersion: snapkeep/v1
kind: BackupPolicy
metadata: {name: fleet}
spec:
  regions: [us-east-1]
  selector: {tags: {backup: daily}}
  automated: {retentionDays: 14}
  snapshots:
    schedule: "30 4 * * *"
    retain: {last: 2}
    copies:
      - {region: us-west-2}
"""


def retention(emu, account):
    """BackupRetentionPeriod of each of account's us-east-1 instances (cluster members left out)"""
    st = emu.state(region="us-east-1", account=account, snapshots=False)["regions"]["us-east-1"]
    return {d["id"]: d["backupRetentionPeriod"] for d in st["instances"] if not d.get("cluster")}
