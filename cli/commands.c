/*
 * commands.c - the table of commands: each one's name, handler, summary,
 * synopsis and --help text (its options and exit codes), as git's git.c
 * has; `snapkeep --help` lists the table
 */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/*
 * Each command's --help lists exactly the options it uses, and the list is
 * also what the command accepts: an option its help does not list is a
 * usage error (help_lists() in main.c), so the two cannot drift apart.
 */
#define COMMON_SOURCE                                                                           \
	"  --repo PATH|URL     the policy repository (SNAPKEEP_REPO; default: the current directory)\n" \
	"  --ref REF           branch, tag or commit to read (SNAPKEEP_REF; default HEAD)\n"      \
	"  --path DIR          folder of the repository holding policies (SNAPKEEP_PATH; default: all)\n" \
	"  --allow-insecure-git  send git credentials (SNAPKEEP_GIT_TOKEN) to http:// and git://\n" \
	"                      remotes too (SNAPKEEP_ALLOW_INSECURE_GIT=1; default: https and ssh only)\n"
#define OPT_SIGNING                                                                                  \
	"  --require-signed-commits  refuse a policy commit not signed by an allowed key: nothing\n"  \
	"                      is planned or applied (SNAPKEEP_REQUIRE_SIGNED_COMMITS=1); the keys:\n" \
	"  --gpg-keyring FILE|DIR  OpenPGP public keys allowed to sign: a key file, a folder of\n"      \
	"                      them, or a GnuPG home, read only (SNAPKEEP_GPG_KEYRING)\n"              \
	"  --allowed-signers FILE  SSH keys allowed to sign, in git's gpg.ssh.allowedSignersFile\n"    \
	"                      format (SNAPKEEP_ALLOWED_SIGNERS)\n"
#define COMMON_SOURCE_SIGNED COMMON_SOURCE OPT_SIGNING
#define OPT_REGION                                                                        \
	"  --region R          observe and change only this region; copies into others wait\n" \
	"                      (repeatable; default: every region a policy names)\n"
#define COMMON_AWS_ACCESS                                                                          \
	"  --endpoint URL      AWS endpoint override (also AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_RDS)\n"   \
	"  --profile P         AWS profile (also AWS_PROFILE); unlike it, outranks AWS_ACCESS_KEY_ID\n" \
	"  --connect-timeout D TCP and TLS handshake limit per attempt, e.g. 5s, 500ms\n"           \
	"                      (SNAPKEEP_CONNECT_TIMEOUT; default 5s)\n"                              \
	"  --call-timeout D    limit per AWS call, every retry included (SNAPKEEP_CALL_TIMEOUT;\n"  \
	"                      default 30s); an attempt that receives nothing for 10s (or a third\n" \
	"                      of the call timeout, if longer) is retried\n"
#define OPT_ACCOUNT                                                                                  \
	"  --account ID        only this one of Settings' accounts (repeatable; default: every account\n" \
	"                      a policy covers)\n"
#define COMMON_AWS OPT_REGION COMMON_AWS_ACCESS
#define OPT_REGION_READ                                                                   \
	"  --region R          observe and check only this region (repeatable; default: every\n" \
	"                      region a policy names)\n"
#define OPT_STATE_DIR                                                                                  \
	"  --state-dir DIR     state directory: lock, journal, mirrors of remote repositories\n"             \
	"                      (SNAPKEEP_STATE_DIR; default $XDG_STATE_HOME/snapkeep)\n"                   \
	"  --state-backend URL keep the state, journal and locks in PostgreSQL: postgres://user@host/db\n"  \
	"                      (SNAPKEEP_STATE_BACKEND; the password as libpq takes it: PGPASSWORD,\n"     \
	"                      PGPASSFILE, ~/.pgpass; default: the state directory)\n"
#define OPT_LOCK_TIMEOUT "  --lock-timeout S    wait up to S seconds for another run's lock (default 0)\n"
#define COMMON_STATE OPT_STATE_DIR OPT_LOCK_TIMEOUT
#define OPT_OUTPUT "  --output text|json  output format (SNAPKEEP_OUTPUT; default text)\n"
#define OPT_COLOR "  --color, --no-color colour (default: only on a terminal)\n"
#define OPT_DEBUG                                                                         \
	"  --debug             log each AWS call (method, host, Action, status, RequestId,\n" \
	"                      attempt, latency) on stderr; also SNAPKEEP_LOG=debug\n"
#define OPT_GUARDRAILS                                                                        \
	"  --guardrails FILE   the deployment's floor under every policy (SNAPKEEP_GUARDRAILS):\n" \
	"                      an action that would cross one is refused, never applied\n"
#define OPT_VERBOSE "  --verbose           also list every kept snapshot and the rules that keep it\n"
#define OPT_LOG_FORMAT                                                                        \
	"  --log-format text|json  stderr lines as text, or one JSON object each\n"           \
	"                      (SNAPKEEP_LOG_FORMAT; default text)\n"
#define COMMON_OUTPUT OPT_OUTPUT OPT_COLOR OPT_DEBUG OPT_LOG_FORMAT
#define EXIT_CODES_BASIC                                     \
	"Exit codes: 0 success; 1 error; 64 bad usage.\n"

static const struct sk_command commands[] = {
	{ "validate", cmd_validate, "check the policies in a repository (with --observe, what they select)",
	  "[options]",
	  COMMON_SOURCE_SIGNED OPT_STATE_DIR OPT_OUTPUT OPT_LOG_FORMAT OPT_ACCOUNT
	  "  --observe           also observe the regions the policies name (read-only AWS calls) and\n"
	  "                      report the instances each policy selects\n" COMMON_AWS OPT_DEBUG
	  "  --inventory FILE    with --observe: read a snapkeep-inventory/v1 file instead of AWS\n\n"
	  "Prints every error with file:line:col (the first 50 as text; --output json lists all).\n"
	  "Without --observe it calls no AWS API. With it, a policy that selects no instance is a\n"
	  "warning (\"Warning: policy 'x' selects no instance ...\"), not an error: the exit code stays 0.\n"
	  "What only the live state reveals (a named instance that does not exist, two policies in\n"
	  "conflict on one instance) and a failed observation are errors.\n"
	  "Over several accounts (Settings' accounts), --observe observes each with its role and names\n"
	  "each selected instance's account; an account that cannot be observed is an error.\n"
	  "Exit codes: 0 valid; 1 invalid, unreadable, or (--observe) not observable; 64 bad usage.\n" },
	{ "plan", cmd_plan, "show what apply would change", "[options]",
	  COMMON_SOURCE_SIGNED COMMON_AWS OPT_ACCOUNT OPT_STATE_DIR COMMON_OUTPUT
	  "  --output markdown   a compact plan for a pull-request comment (a summary and a table)\n"
	  "  --inventory FILE    plan from a snapkeep-inventory/v1 file instead of AWS\n"
	  "  --now TIME          plan as of this RFC 3339 time (default: the clock)\n"
	  "  -out FILE           save the plan for `snapkeep apply FILE`\n"
	  "  --detailed-exitcode exit 2 when the plan has changes, 3 when a guardrail refused an action\n"
	  "  --allow-mass-delete plan deleting more than half of an instance's owned snapshots\n"
	  OPT_GUARDRAILS OPT_VERBOSE "\n"
	  "A policy that selects no instance is a warning note (also in --output json, whose \"policies\"\n"
	  "lists what each policy selects); it is not a change: --detailed-exitcode still exits 0 when\n"
	  "there is nothing to do.\n"
	  "Says so when an apply or run holds the state directory's lock: the plan may change\n"
	  "when it finishes.\n"
	  "Over several accounts (Settings' accounts), each account is observed with its role; one\n"
	  "that cannot be (its role refused, a region unreadable) is named and the others planned.\n"
	  "-out then saves the plan of every account; with one not observed it writes nothing\n"
	  "(exit 1): narrow the plan with --account.\n"
	  "Exit codes: 0 success (with --detailed-exitcode: no changes); 1 error;\n"
	  "2 changes present, 3 a guardrail refused an action (--detailed-exitcode only);\n"
	  "4 partial: some accounts were not observed (the plan names them); 64 bad usage.\n" },
	{ "apply", cmd_apply, "make live backups match the policy", "[options] [PLANFILE]",
	  COMMON_SOURCE_SIGNED COMMON_AWS OPT_ACCOUNT COMMON_STATE COMMON_OUTPUT
	  "  --auto-approve      do not ask (required without a terminal)\n"
	  "  --now TIME          apply as of this RFC 3339 time (default: the clock)\n"
	  "  --no-wait           do not wait for new snapshots, nor for copies in progress to start\n"
	  "                      more (copiesInFlight); those copies follow on the next run\n"
	  "  --allow-mass-delete allow deleting more than half of an instance's owned snapshots\n"
	  "  --allow-destructive KIND[,KIND]  apply a plan with these warnings (retention-zero,\n"
	  "                      replication-off, deletion-protection-off, delete-many,\n"
	  "                      policy-removed, instance-removed); any other refuses the apply\n"
	  "  --concurrency N     mutating calls in flight per region (default: Settings or 4)\n"
	  OPT_GUARDRAILS OPT_VERBOSE "\n"
	  "With PLANFILE (from `plan -out`), applies exactly that plan after checking that the\n"
	  "policy commit and the live state it was made from are unchanged. The file says where\n"
	  "its policies are and how it was made: no other option is needed, and one that\n"
	  "contradicts it is a usage error. It must be yours (or root's) and writable by no one else.\n"
	  "Over several accounts, PLANFILE is made again and applied in each of its accounts through\n"
	  "its role, and refused when one of them cannot be observed now.\n"
	  "Exit codes: 0 applied (or nothing to do); 1 error or refused; 4 partial: some accounts\n"
	  "were not observed and nothing was applied there (the rest was); 64 bad usage;\n"
	  "130/143 interrupted by SIGINT/SIGTERM (the call in flight was finished and recorded).\n" },
	{ "backup", cmd_backup, "take an owned snapshot of one instance now (on-demand)",
	  "--instance ID [--keep-until T | --keep-for D] [--copy] [options]",
	  "  --instance ID       the DB instance, or Aurora cluster, to snapshot (required)\n"
	  "  --policy NAME       the policy it belongs to (default: the one with snapshots that\n"
	  "                      selects the instance)\n"
	  "  --keep-until T      retention keeps it until T (RFC 3339, or a date: its 00:00 UTC),\n"
	  "                      then treats it as any other owned snapshot (tag snapkeep:keep-until)\n"
	  "  --keep-for D        the same, D from now: days or hours, such as 90d or 36h\n"
	  "  --copy              also copy it to the policy's copy regions (waits for the snapshot)\n"
	  "  --wait              wait until the snapshot is available\n"
	  "  --auto-approve      do not ask (required without a terminal)\n"
	  "  --now TIME          take it as of this RFC 3339 time (default: the clock)\n"
	  COMMON_SOURCE_SIGNED COMMON_AWS OPT_ACCOUNT COMMON_STATE COMMON_OUTPUT "\n"
	  "Shows the plan and asks, as apply does. Named <prefix>-<instance>-<yyyymmdd-hhmmss>-ondemand\n"
	  "and tagged as the policy's, so apply and run treat it as theirs; every call is journaled.\n"
	  "Without --keep-until or --keep-for, the policy's retention rules decide about it at once.\n"
	  "Over several accounts (Settings' accounts), one in each account that holds the instance\n"
	  "and whose policies take snapshots of it, made there through its role (--account narrows).\n"
	  "Exit codes: 0 taken; 1 error or refused; 4 partial: some accounts were not observed and\n"
	  "nothing was taken there (the rest was); 64 bad usage; 130/143 interrupted.\n" },
	{ "show", cmd_show, "print a saved plan", "[--output json] PLANFILE",
	  OPT_OUTPUT OPT_COLOR OPT_VERBOSE OPT_LOG_FORMAT "\n" EXIT_CODES_BASIC },
	{ "inventory", cmd_inventory, "print the observed inventory (for offline plans)", "[options]",
	  COMMON_SOURCE COMMON_AWS OPT_STATE_DIR OPT_OUTPUT OPT_DEBUG OPT_LOG_FORMAT
	  "  --output csv        one row per snapshot (RFC 4180): id, created, encrypted, size (GiB),\n"
	  "                      status, region, owner (snapkeep, aws-backup, automated, manual)\n"
	  "  --inventory FILE    read a snapkeep-inventory/v1 file instead of AWS (and write it back)\n"
	  "  --now TIME          the observation time to record (default: the clock)\n\n"
	  "With --output json, writes the snapkeep-inventory/v1 format (specs/inventory.md).\n" EXIT_CODES_BASIC },
	{ "history", cmd_history, "show the audit journal", "[--since TIME] [--instance ID] [--output json]",
	  OPT_STATE_DIR OPT_OUTPUT OPT_LOG_FORMAT "  --since TIME        only records at or after TIME (RFC 3339, or 24h, 7d)\n"
	  "  --instance ID       only records about this instance\n\n"
	  "A call made in one of Settings' accounts names its target <account>/<target>.\n" EXIT_CODES_BASIC },
	{ "force-unlock", cmd_force_unlock, "clear a lock whose holder is gone", "[--state-dir DIR] [--region R [--account A]]",
	  OPT_STATE_DIR OPT_LOG_FORMAT
	  "  --region R          the shard (A, R) a `run` replica takes, not the whole-state lock\n"
	  "  --account A         the shard's account (default: the caller's own)\n"
	  "\nWith a PostgreSQL state backend (--state-backend), the holder row in snapkeep_locks; the\n"
	  "holder is named by host, pid and PostgreSQL session.\n"
	  "Refuses while the holder is alive. " EXIT_CODES_BASIC },
	{ "state", cmd_state, "move the state into PostgreSQL (state push)", "push --state-backend URL [--state-dir DIR]",
	  OPT_STATE_DIR OPT_LOCK_TIMEOUT OPT_LOG_FORMAT "\n"
	  "push copies the state directory's state file and journal into the PostgreSQL database\n"
	  "--state-backend names, holding both locks, in one transaction (all or nothing). Run again,\n"
	  "it copies only what is new: records already there (by id) and a state at that serial are\n"
	  "left; a state of another lineage is refused. The directory is not changed. The migration\n"
	  "path: push, point every snapkeep at the database, push once more after the last run on\n"
	  "the directory (specs/state-postgres.md).\n" EXIT_CODES_BASIC },
	{ "run", cmd_run, "reconcile periodically (a controller loop)", "[options]",
	  COMMON_SOURCE_SIGNED COMMON_AWS COMMON_STATE COMMON_OUTPUT
	  "  --interval D        time between cycles, e.g. 15m (default 15m)\n"
	  "  --auto-apply        apply each cycle's plan (default: report drift only)\n"
	  "  --once              one cycle, then exit (cron, systemd timers, CronJobs)\n"
	  "  --git-poll D        check the watched ref this often and start a cycle when it moves\n"
	  "  --no-wait           do not wait for new snapshots; copies follow in a later cycle\n"
	  "  --allow-mass-delete allow deleting more than half of an instance's owned snapshots\n"
	  "  --concurrency N     mutating calls in flight per region (default: Settings or 4)\n"
	  "  --metrics-addr A    serve /metrics and /healthz at A (e.g. 127.0.0.1:9464)\n"
	  "  --healthz-failures N  /healthz answers 503 after N failed cycles in a row (default 3)\n"
	  "  --metrics-namespace NS  CloudWatch namespace (default Snapkeep)\n"
	  "  --summary-at HH:MM  publish a daily summary to the alerts topic at this UTC time (with the\n"
	  "                      month's restore drills: \"all drills passed\", or the last failure)\n"
	  "  --alert-repeat D    repeat a firing alert's message this often while it fires (default 4h)\n"
	  "  --replica-id ID     this replica's name among those sharing a PostgreSQL state backend\n"
	  "                      (default: $SNAPKEEP_REPLICA_ID, else the host name: the pod name)\n"
	  "  --report-at CRON    when the schedule fires (e.g. \"0 7 1 * *\"), publish the last month's\n"
	  "                      compliance summary to the alerts topic and write the HTML report to\n"
	  "                      STATE_DIR/reports/YYYY-MM.html (the last 24 are kept)\n"
	  OPT_GUARDRAILS OPT_VERBOSE "\n"
	  "With a PostgreSQL state backend ($SNAPKEEP_STATE_BACKEND), replicas share the fleet shard\n"
	  "by shard: a shard is an (account, region) and everything of its instances, their copies in\n"
	  "other regions included. Each cycle a replica tries every shard in its own order, takes the\n"
	  "free ones one at a time, reconciles and gives each back; one another replica holds is\n"
	  "skipped. A replica that dies loses its locks with its connection.\n"
	  "Alerts are states kept in STATE_DIR/alerts.json: a failed cycle, a policy's failed actions,\n"
	  "deletions a failed snapshot blocks, a policy that selects no instance. Each is published to\n"
	  "SNS when it fires, again every --alert-repeat while it fires, and once when it resolves: to\n"
	  "its policy's alerts.snsTopicArn; fleet-wide ones to the Settings' (else every policy's).\n"
	  "A CRITICAL verify check is one message when it becomes CRITICAL and one when it recovers,\n"
	  "never repeated (spec.verify.alerts: false keeps a policy's checks to the gauges).\n"
	  "SIGTERM/SIGINT stop after the call in flight (exit 0); SIGHUP re-reads configuration.\n"
	  "Exit codes: 0 stopped by a signal, or --once succeeded; 1 error (--once: the cycle failed); 64 bad usage.\n" },
	{ "verify", cmd_verify, "check that every backup is there, fresh and sound (a monitoring plugin)",
	  "[--policy NAME] [--instance ID] [--output text|json] [options]",
	  COMMON_SOURCE OPT_REGION_READ COMMON_AWS_ACCESS OPT_ACCOUNT OPT_STATE_DIR OPT_OUTPUT OPT_DEBUG OPT_LOG_FORMAT
	  "  --policy NAME       only this policy's instances\n"
	  "  --instance ID       only this instance\n"
	  "  --inventory FILE    verify a snapkeep-inventory/v1 file instead of AWS\n"
	  "  --now TIME          verify as of this RFC 3339 time (default: when observed)\n\n"
	  "Per instance a policy selects, in its region and each copy region: the newest snapshot's\n"
	  "age (spec.verify.rpo), each copy region's copies (copyRpo), snapshot status, encryption\n"
	  "and KMS key (kmsKeys), allocated storage, automated backups (retention, pitrRpo, the\n"
	  "point-in-time window against retentionDays: pitrWindow), replication where the policy asks\n"
	  "for it, and the last restore drill (the state's, within drillMaxAge or the drill schedule).\n"
	  "Makes the list calls plan makes and no other; changes nothing.\n"
	  "Prints a summary line and one line per problem (--output json: every result).\n"
	  "Over several accounts (Settings' accounts), each account is observed with its role and\n"
	  "verified with its own policies and drills; a problem names its account (JSON \"account\"),\n"
	  "and an account that cannot be observed is one UNKNOWN, named with why.\n"
	  "Exit codes, as monitoring plugins (Nagios, Icinga): 0 OK; 1 WARNING; 2 CRITICAL;\n"
	  "3 UNKNOWN, also for bad usage and when the policies or AWS cannot be read.\n" },
	{ "report", cmd_report, "compliance, cost and history: for people, tickets and auditors",
	  "[--format text|markdown|json|csv|html] [-out FILE|DIR] [--since D | --month YYYY-MM] [options]",
	  COMMON_SOURCE OPT_REGION_READ COMMON_AWS_ACCESS OPT_ACCOUNT OPT_STATE_DIR OPT_DEBUG OPT_LOG_FORMAT
	  "  --format F          text (default); markdown (tickets, pull requests); json (snapkeep-report/v1,\n"
	  "                      specs/report.schema.json); csv (one row per instance-check, RFC 4180);\n"
	  "                      html (one self-contained page with charts)\n"
	  "  -out FILE|DIR       write the report there (a directory: report-<day or month>.<ext>)\n"
	  "  --since D           history over the last D (720h, 30d, 12w) or since an RFC 3339 time\n"
	  "                      (default 30d)\n"
	  "  --month YYYY-MM     history over that calendar month (UTC) instead\n"
	  "  --inventory FILE    report on a snapkeep-inventory/v1 file: no AWS call at all\n"
	  "  --now TIME          report as of this RFC 3339 time (default: the clock)\n\n"
	  "Compliance per policy and instance: backup settings against the policy (drift), newest\n"
	  "snapshot age, copies per copy region, encryption and key, snapshot status, point-in-time\n"
	  "window, replication, the last drill, manual snapshot quota per region; one verdict each,\n"
	  "COMPLIANT, DRIFT or AT RISK, with the reason. Snapshots by owner and the retention rule\n"
	  "that keeps each; monthly cost per instance, region and policy from allocated sizes and\n"
	  "Settings' prices (an upper bound: snapshots are incremental) and the plan's delta; the\n"
	  "history from the state directory's journal. Makes the list calls plan makes, no other.\n"
	  "Over several accounts (Settings' accounts), each account is observed with its role, as\n"
	  "plan does; every instance carries its account (JSON \"account\", a CSV column, text\n"
	  "<account>/<instance>), and the accounts that cannot be observed are named.\n"
	  "Exit codes: 0 every instance COMPLIANT; 1 some instance DRIFT or AT RISK; 2 error;\n"
	  "4 partial: some accounts were not observed (as plan; whatever the others' verdict);\n"
	  "64 bad usage.\n" },
	{ "iam-policy", cmd_iam_policy, "print the least-privilege IAM policy the policies need", "[options]",
	  COMMON_SOURCE OPT_STATE_DIR OPT_LOG_FORMAT
	  "  --account ID        the AWS account in the ARNs (default \"*\": any account); with\n"
	  "                      Settings' accounts, only this one of them (repeatable)\n"
	  "  --trust ARN|ID      with Settings' accounts: the identity snapkeep runs as (its base\n"
	  "                      credentials), which each account's role must trust (required there)\n"
	  "  --metrics-namespace NS  the CloudWatch namespace `run` puts metrics in (default Snapkeep)\n\n"
	  "Only the actions snapkeep calls, on the policies' instances and regions; DeleteDBSnapshot\n"
	  "only on snapshots tagged snapkeep:policy with one of the policies' names.\n"
	  "With Settings' accounts: {\"basePolicy\": sts:AssumeRole on each role, for the base identity;\n"
	  "\"accounts\": [{\"account\", \"roleArn\", \"rolePolicy\", \"trustPolicy\"}]}, each role's policy\n"
	  "for the policies covering its account and the trust policy it needs (with its ExternalId).\n"
	  EXIT_CODES_BASIC },
	{ "restore", cmd_restore, "restore an instance to a point in time or from a snapshot, into a new one",
	  "--instance ID (--to-time T | --latest | --from-snapshot ID) --target NAME [options]",
	  "  --instance ID       the instance whose backups are restored\n"
	  "  --to-time T         the point in time (RFC 3339), inside the instance's restore window\n"
	  "  --latest            its latest restorable time\n"
	  "  --from-snapshot ID  a manual snapshot or copy of it (identifier or ARN), in the region\n"
	  "  --target NAME       the new instance (must not exist)\n"
	  "  --region R          where the new instance goes and the source is read: the instance's\n"
	  "                      region, or a DR region holding its replicated automated backups or\n"
	  "                      a copy of its snapshot (default: AWS_REGION, the profile's region)\n"
	  "  --instance-class C  the new instance's class (default: the source's)\n"
	  "  --apply             make the restore call (default: a dry run that makes none)\n"
	  "  --wait              with --apply: wait until the new instance is available\n"
	  "  --timeout D         how long --wait waits, e.g. 90m (default 2h)\n"
	  "  --account ID        with Settings' accounts (read from --repo, SNAPKEEP_REPO, or the\n"
	  "                      current directory when --account is given): the one account to\n"
	  "                      restore in, with its role; required when Settings lists accounts\n"
	  COMMON_SOURCE COMMON_AWS_ACCESS COMMON_STATE OPT_OUTPUT OPT_DEBUG OPT_LOG_FORMAT "\n"
	  "Before any call that changes something it reads the restore window (LatestRestorableTime,\n"
	  "and the earliest restorable time of the automated backups) and refuses a time outside it,\n"
	  "naming the window; a snapshot must be there, of that instance, and available; the target\n"
	  "must not exist. The dry run prints the window and the call it would make (action, region,\n"
	  "parameters). The new instance is tagged with what it was restored from, by whom and when\n"
	  "(snapkeep:restore, snapkeep:restored-from, snapkeep:restored-by, snapkeep:restored-at).\n"
	  "The call is journaled (`snapkeep history`), and with --wait how it ended; SIGINT/SIGTERM\n"
	  "stop the wait, not the restore.\n"
	  "Exit codes: 0 restored, or the dry run printed; 1 error, or refused (no call was made);\n"
	  "64 bad usage; 130/143 interrupted by SIGINT/SIGTERM.\n" },
	{ "drill", cmd_drill, "restore backups into throw-away instances, query them, delete them",
	  "[--instance ID] [--policy NAME] [options]",
	  COMMON_SOURCE COMMON_AWS OPT_ACCOUNT COMMON_STATE OPT_OUTPUT OPT_DEBUG OPT_LOG_FORMAT
	  "  --instance ID       drill only this instance (default: every instance a policy with a\n"
	  "                      drill: block selects)\n"
	  "  --policy NAME       drill only this policy's instances\n\n"
	  "Each drill restores the newest available snapshot the policy owns (or, with source:\n"
	  "point-in-time, now minus lag) into snapkeep-drill-<instance> tagged snapkeep:drill, waits\n"
	  "for it, connects with libpq (sslmode=prefer; the password from the policy's passwordEnv\n"
	  "or passwordFile only), runs the checks read-only with a statement timeout, and deletes the\n"
	  "instance whatever happened. It reports each check, the RTO (restore request to checks\n"
	  "answered) and the RPO (backup time to the newest row a notOlderThanSnapshotBy check reads),\n"
	  "journals the drill (history shows it), keeps the last result per instance in the state\n"
	  "and sends one SNS message per failed drill. Drill instances a crash left are deleted first.\n"
	  "Over several accounts (Settings' accounts), each account is observed with its role and its\n"
	  "drills restore there with that role; results name their account (JSON \"account\").\n"
	  "Exit codes: 0 every drill passed; 1 a drill failed, or an error; 4 some accounts were not\n"
	  "observed (the drills elsewhere passed); 64 bad usage;\n"
	  "130/143 interrupted by SIGINT/SIGTERM (the drill instance was still deleted).\n" },
	{ "whoami", cmd_whoami, "show the AWS identity and credential source in use", "[options]",
	  "  --region R          the region to ask STS in, and to show (default: AWS_REGION, the\n"
	  "                      profile's region, else us-east-1)\n"
	  COMMON_AWS_ACCESS OPT_OUTPUT OPT_DEBUG OPT_LOG_FORMAT "\n" EXIT_CODES_BASIC },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void sk_cli_print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: snapkeep [--version] [--help] <command> [options]\n\n"
		   "snapkeep keeps RDS backups (PITR window, backup window, snapshots, cross-region copies)\n"
		   "equal to the policy committed in git.\n\nCommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'snapkeep <command> --help' for a command's options and exit codes.\n"
		   "Exit codes: 0 success; 1 error; 2 plan has changes (--detailed-exitcode); 3 a guardrail\n"
		   "refused an action (--detailed-exitcode); 4 partial: some accounts were not observed;\n"
		   "64 bad usage; 130/143 interrupted; report exits 1 when anything is not compliant; verify\n"
		   "exits as a monitoring plugin (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).\n");
}

const struct sk_command *sk_cli_find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void sk_cli_print_command_help(const struct sk_command *c)
{
	printf("usage: snapkeep %s %s\n\n%s.\n\nOptions:\n%s", c->name, c->usage, c->summary, c->help);
}
