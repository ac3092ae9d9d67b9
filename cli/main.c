/*
 * main.c - the snapkeep command line: options, the command table, exit codes
 *
 * Holds no logic: it parses options into struct sk_cli and hands over to a
 * handler (cmd_*.c), as git's git.c does.  --help is generated from the
 * table below.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "state/backend.h"
#include "specs/guardrails.h"
#include "reconciler/service/loop.h"

/*
 * Each command's --help lists exactly the options it uses, and the list is
 * also what the command accepts: an option its help does not list is a
 * usage error (help_lists() below), so the two cannot drift apart.
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
	  COMMON_SOURCE_SIGNED OPT_STATE_DIR OPT_OUTPUT OPT_LOG_FORMAT
	  "  --observe           also observe the regions the policies name (read-only AWS calls) and\n"
	  "                      report the instances each policy selects\n" COMMON_AWS OPT_DEBUG
	  "  --inventory FILE    with --observe: read a snapkeep-inventory/v1 file instead of AWS\n\n"
	  "Prints every error with file:line:col (the first 50 as text; --output json lists all).\n"
	  "Without --observe it calls no AWS API. With it, a policy that selects no instance is a\n"
	  "warning (\"Warning: policy 'x' selects no instance ...\"), not an error: the exit code stays 0.\n"
	  "What only the live state reveals (a named instance that does not exist, two policies in\n"
	  "conflict on one instance) and a failed observation are errors.\n"
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
	  "Exit codes: 0 applied (or nothing to do); 1 error or refused; 4 partial: some accounts\n"
	  "were not observed and nothing was applied there (the rest was); 64 bad usage;\n"
	  "130/143 interrupted by SIGINT/SIGTERM (the call in flight was finished and recorded).\n" },
	{ "backup", cmd_backup, "take an owned snapshot of one instance now (on-demand)",
	  "--instance ID [--keep-until T | --keep-for D] [--copy] [options]",
	  "  --instance ID       the DB instance to snapshot (required)\n"
	  "  --policy NAME       the policy it belongs to (default: the one with snapshots that\n"
	  "                      selects the instance)\n"
	  "  --keep-until T      retention keeps it until T (RFC 3339, or a date: its 00:00 UTC),\n"
	  "                      then treats it as any other owned snapshot (tag snapkeep:keep-until)\n"
	  "  --keep-for D        the same, D from now: days or hours, such as 90d or 36h\n"
	  "  --copy              also copy it to the policy's copy regions (waits for the snapshot)\n"
	  "  --wait              wait until the snapshot is available\n"
	  "  --auto-approve      do not ask (required without a terminal)\n"
	  "  --now TIME          take it as of this RFC 3339 time (default: the clock)\n"
	  COMMON_SOURCE_SIGNED COMMON_AWS COMMON_STATE COMMON_OUTPUT "\n"
	  "Shows the plan and asks, as apply does. Named <prefix>-<instance>-<yyyymmdd-hhmmss>-ondemand\n"
	  "and tagged as the policy's, so apply and run treat it as theirs; every call is journaled.\n"
	  "Without --keep-until or --keep-for, the policy's retention rules decide about it at once.\n"
	  "Exit codes: 0 taken; 1 error or refused; 64 bad usage; 130/143 interrupted.\n" },
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
	  COMMON_SOURCE OPT_REGION_READ COMMON_AWS_ACCESS OPT_STATE_DIR OPT_OUTPUT OPT_DEBUG OPT_LOG_FORMAT
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
	  COMMON_SOURCE COMMON_AWS COMMON_STATE OPT_OUTPUT OPT_DEBUG OPT_LOG_FORMAT
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
	  "Exit codes: 0 every drill passed; 1 a drill failed, or an error; 64 bad usage;\n"
	  "130/143 interrupted by SIGINT/SIGTERM (the drill instance was still deleted).\n" },
	{ "whoami", cmd_whoami, "show the AWS identity and credential source in use", "[options]",
	  "  --region R          the region to ask STS in, and to show (default: AWS_REGION, the\n"
	  "                      profile's region, else us-east-1)\n"
	  COMMON_AWS_ACCESS OPT_OUTPUT OPT_DEBUG OPT_LOG_FORMAT "\n" EXIT_CODES_BASIC },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

volatile sig_atomic_t sk_cli_interrupted;

static void on_signal(int sig)
{
	sk_cli_interrupted = sig;
}

void sk_cli_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool sk_cli_use_color(const struct sk_cli *cli, FILE *f)
{
	const char *nc = getenv("NO_COLOR");

	if (cli->color >= 0)
		return cli->color == 1;
	if (nc && *nc)
		return false;
	return isatty(fileno(f));
}

/*
 * "snapkeep: <message>" on stderr, or "snapkeep <command>: <message>" when
 * command is not NULL; the message cut to size - 1 bytes (size <= 4096)
 */
static void print_error(const char *command, size_t size, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, size, fmt, ap);
	/* with JSON logs (--log-format json) every line on stderr is a JSON record */
	if (sk_log_is_json())
		sk_log(SK_LOG_ERROR, "%s%s%s", command ? command : "", command ? ": " : "", msg);
	else
		fprintf(stderr, "snapkeep%s%s: %s\n", command ? " " : "", command ? command : "", msg);
}

void sk_cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_error(NULL, 4096, fmt, ap);
	va_end(ap);
}

int sk_cli_fail(void)
{
	sk_cli_error("%s", sk_error_message());
	return SK_EXIT_ERROR;
}

int sk_cli_stdout_status(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	int e = fflush(stdout) == EOF ? errno : 0;

	if (!e && !ferror(stdout))
		return 0;
	/* the error may be an earlier write's: a pipe whose reader is gone polls as an error */
	if (e == EPIPE || (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP))))
		return SK_CLI_STDOUT_CLOSED;
	errno = e ? e : EIO;
	return sk_error_set_errno(SK_ERR_OS, "cannot write to standard output");
}

int sk_cli_usage(const struct sk_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_error(cli->command, 1024, fmt, ap);
	va_end(ap);
	return SK_EXIT_USAGE;
}

int sk_cli_check_signing(const struct sk_cli *cli)
{
	if (cli->require_signed_commits && !cli->gpg_keyring && !cli->allowed_signers) {
		sk_cli_usage(cli, "--require-signed-commits needs the keys allowed to sign: --gpg-keyring FILE|DIR "
				  "and/or --allowed-signers FILE");
		return -1;
	}
	if (!cli->require_signed_commits && (cli->gpg_keyring || cli->allowed_signers)) {
		sk_cli_usage(cli, "%s checks nothing without --require-signed-commits (or "
				  "SNAPKEEP_REQUIRE_SIGNED_COMMITS=1)",
			     cli->gpg_keyring ? "--gpg-keyring" : "--allowed-signers");
		return -1;
	}
	return 0;
}

static void print_usage(FILE *f)
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

static void print_command_help(const struct sk_command *c)
{
	printf("usage: snapkeep %s %s\n\n%s.\n\nOptions:\n%s", c->name, c->usage, c->summary, c->help);
}

enum {
	O_REPO = 256, O_REF, O_PATH, O_REGION, O_ENDPOINT, O_PROFILE, O_STATE_DIR, O_LOCK_TIMEOUT, O_INVENTORY,
	O_NOW, O_OUT, O_DETAILED, O_MASS, O_AUTO_APPROVE, O_NO_WAIT, O_CONCURRENCY, O_OUTPUT, O_COLOR, O_NO_COLOR,
	O_DEBUG, O_SINCE, O_INSTANCE, O_INTERVAL, O_GIT_POLL, O_METRICS_ADDR, O_LOG_FORMAT, O_ONCE, O_AUTO_APPLY,
	O_HEALTHZ, O_NAMESPACE, O_SUMMARY_AT, O_HELP, O_VERSION, O_ACCOUNT, O_TRUST, O_VERBOSE, O_INSECURE_GIT,
	O_CONNECT_TIMEOUT, O_CALL_TIMEOUT, O_OBSERVE, O_ALERT_REPEAT, O_TO_TIME, O_LATEST, O_FROM_SNAPSHOT, O_TARGET,
	O_INSTANCE_CLASS, O_APPLY, O_WAIT, O_TIMEOUT, O_POLICY, O_REQUIRE_SIGNED, O_GPG_KEYRING, O_ALLOWED_SIGNERS,
	O_KEEP_UNTIL, O_KEEP_FOR, O_COPY, O_GUARDRAILS, O_ALLOW_DESTRUCTIVE, O_STATE_BACKEND, O_REPLICA_ID, O_FORMAT,
	O_MONTH, O_REPORT_AT,
};

/* what an option sets in struct sk_cli (SET_NONE: main() handles it) */
enum set { SET_NONE, SET_STR, SET_TRUE, SET_INT, SET_TIMEOUT };

struct cli_option {
	const char *name;
	int has_arg;
	int code;
	enum set set;
	size_t field;  /* offsetof(struct sk_cli, ...) */
	int min, max;  /* SET_INT: the range */
};

#define STR(n, c, f) \
	{ .name = n, .has_arg = required_argument, .code = c, .set = SET_STR, .field = offsetof(struct sk_cli, f) }
#define FLAG(n, c, f) \
	{ .name = n, .has_arg = no_argument, .code = c, .set = SET_TRUE, .field = offsetof(struct sk_cli, f) }
#define INT(n, c, f, lo, hi)                                                                                         \
	{ .name = n, .has_arg = required_argument, .code = c, .set = SET_INT, .field = offsetof(struct sk_cli, f),    \
	  .min = lo, .max = hi }
#define TIMEOUT(n, c, f)                                                                                             \
	{ .name = n, .has_arg = required_argument, .code = c, .set = SET_TIMEOUT, .field = offsetof(struct sk_cli, f) }
#define OTHER(n, a, c) { .name = n, .has_arg = a, .code = c, .set = SET_NONE }

static const struct cli_option cli_options[] = {
	STR("repo", O_REPO, repo),
	STR("ref", O_REF, ref),
	STR("path", O_PATH, path),
	FLAG("allow-insecure-git", O_INSECURE_GIT, allow_insecure_git),
	FLAG("require-signed-commits", O_REQUIRE_SIGNED, require_signed_commits),
	STR("gpg-keyring", O_GPG_KEYRING, gpg_keyring),
	STR("allowed-signers", O_ALLOWED_SIGNERS, allowed_signers),
	OTHER("region", required_argument, O_REGION),
	STR("endpoint", O_ENDPOINT, endpoint),
	STR("endpoint-url", O_ENDPOINT, endpoint),
	STR("profile", O_PROFILE, profile),
	TIMEOUT("connect-timeout", O_CONNECT_TIMEOUT, connect_timeout_ms),
	TIMEOUT("call-timeout", O_CALL_TIMEOUT, call_timeout_ms),
	STR("state-dir", O_STATE_DIR, state_dir),
	STR("state-backend", O_STATE_BACKEND, state_backend),
	INT("lock-timeout", O_LOCK_TIMEOUT, lock_timeout, 0, 86400),
	STR("inventory", O_INVENTORY, inventory),
	STR("now", O_NOW, now_text),
	STR("out", O_OUT, out_file),
	FLAG("detailed-exitcode", O_DETAILED, detailed_exitcode),
	FLAG("allow-mass-delete", O_MASS, allow_mass_delete),
	FLAG("auto-approve", O_AUTO_APPROVE, auto_approve),
	FLAG("no-wait", O_NO_WAIT, no_wait),
	INT("concurrency", O_CONCURRENCY, concurrency, 1, 64),
	OTHER("output", required_argument, O_OUTPUT),
	OTHER("color", no_argument, O_COLOR),
	OTHER("no-color", no_argument, O_NO_COLOR),
	FLAG("debug", O_DEBUG, debug),
	STR("since", O_SINCE, since),
	STR("instance", O_INSTANCE, instance),
	STR("interval", O_INTERVAL, interval),
	STR("git-poll", O_GIT_POLL, git_poll),
	STR("metrics-addr", O_METRICS_ADDR, metrics_addr),
	STR("log-format", O_LOG_FORMAT, log_format),
	FLAG("once", O_ONCE, once),
	FLAG("auto-apply", O_AUTO_APPLY, auto_apply),
	INT("healthz-failures", O_HEALTHZ, healthz_failures, 1, 1000),
	STR("metrics-namespace", O_NAMESPACE, metrics_namespace),
	STR("summary-at", O_SUMMARY_AT, summary_at),
	OTHER("account", required_argument, O_ACCOUNT),
	STR("trust", O_TRUST, trust),
	FLAG("verbose", O_VERBOSE, verbose),
	FLAG("observe", O_OBSERVE, observe),
	STR("alert-repeat", O_ALERT_REPEAT, alert_repeat),
	STR("to-time", O_TO_TIME, to_time),
	FLAG("latest", O_LATEST, latest),
	STR("from-snapshot", O_FROM_SNAPSHOT, from_snapshot),
	STR("target", O_TARGET, target),
	STR("instance-class", O_INSTANCE_CLASS, instance_class),
	FLAG("apply", O_APPLY, apply),
	FLAG("wait", O_WAIT, wait),
	STR("timeout", O_TIMEOUT, timeout),
	STR("policy", O_POLICY, policy),
	STR("keep-until", O_KEEP_UNTIL, keep_until),
	STR("keep-for", O_KEEP_FOR, keep_for),
	FLAG("copy", O_COPY, copy),
	STR("guardrails", O_GUARDRAILS, guardrails_file),
	STR("allow-destructive", O_ALLOW_DESTRUCTIVE, allow_destructive_text),
	STR("replica-id", O_REPLICA_ID, replica_id),
	STR("format", O_FORMAT, format),
	STR("month", O_MONTH, month),
	STR("report-at", O_REPORT_AT, report_at),
	OTHER("help", no_argument, O_HELP),
	OTHER("version", no_argument, O_VERSION),
};

#define N_OPTIONS (sizeof(cli_options) / sizeof(cli_options[0]))

/* getopt_long_only()'s view of cli_options[], made by main() */
static struct option options[N_OPTIONS + 1];

static int parse_int(const struct sk_cli *cli, const char *opt, const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		sk_cli_usage(cli, "--%s must be a number %d..%d, got '%s'", opt, min, max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* the option listed under code: the first entry of cli_options[] with it ("endpoint-url" is "endpoint"), or NULL */
static const struct cli_option *find_option(int code)
{
	size_t i;

	for (i = 0; i < N_OPTIONS; i++)
		if (cli_options[i].code == code)
			return &cli_options[i];
	return NULL;
}

static const char *option_name(int code)
{
	const struct cli_option *o = find_option(code);

	return o ? o->name : "?";
}

/*
 * Does a command's help list option name?  Option lines start with "  -"
 * and begin with the options, separated by ", ": "  --color, --no-color
 * colour", "  -out FILE  save the plan".
 */
static bool help_lists(const char *help, const char *name)
{
	size_t n = strlen(name);
	const char *line;

	for (line = help; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *p = line + 2;

		if (strncmp(line, "  -", 3))
			continue;
		for (;;) {
			while (*p == '-')
				p++;
			if (!strncmp(p, name, n) && (p[n] == ' ' || p[n] == ',' || p[n] == '\n' || p[n] == '\0'))
				return true;
			p += strcspn(p, " ,\n");
			if (strncmp(p, ", -", 3))
				break;
			p += 2;
		}
	}
	return false;
}

/*
 * --log-format json: every line on stderr is JSON, the usage errors found
 * while parsing the options included, so it is known before them
 */
static bool wants_json_logs(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i][0] == '-' && argv[i][1] == '-' ? argv[i] + 2 : argv[i] + 1;
		if (!strcmp(a, "log-format=json") || (!strcmp(a, "log-format") && i + 1 < argc && !strcmp(argv[i + 1], "json")))
			return true;
	}
	return false;
}

/* a duration within what the AWS client accepts: "5s", "500ms" */
static int parse_timeout(const struct sk_cli *cli, const char *what, const char *text, long *out)
{
	int64_t ms;

	if (sk_loop_parse_duration(&ms, text, false) < 0) {
		sk_cli_usage(cli, "%s: %s", what, sk_error_message());
		return -1;
	}
	if (sk_aws_check_timeout(what, ms) < 0) {
		sk_cli_usage(cli, "%s", sk_error_message());
		return -1;
	}
	*out = (long)ms;
	return 0;
}

/* sets what o sets in cli from its value: 0, or -1 after a usage error */
static int set_option(struct sk_cli *cli, const struct cli_option *o, const char *value)
{
	char *field = (char *)cli + o->field;
	char what[64];

	switch (o->set) {
	case SET_STR:
		*(const char **)field = value;
		break;
	case SET_TRUE:
		*(bool *)field = true;
		break;
	case SET_INT:
		return parse_int(cli, o->name, value, o->min, o->max, (int *)field);
	case SET_TIMEOUT:
		snprintf(what, sizeof(what), "--%s", o->name);
		return parse_timeout(cli, what, value, (long *)field);
	case SET_NONE:
		break;
	}
	return 0;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);

	return v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"));
}

/* the command being run, once known */
static const struct sk_command *current;

static int run_command(int argc, char **argv)
{
	struct sk_cli cli;
	const struct sk_command *cmd = NULL;
	const struct cli_option *o;
	const char *output;
	size_t i;
	int c, rc;

	memset(&cli, 0, sizeof(cli));
	cli.color = -1;
	cli.healthz_failures = 3;
	sk_log_init_from_env();

	if (argc < 2) {
		print_usage(stderr);
		return SK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			for (i = 0; i < N_COMMANDS; i++)
				if (!strcmp(commands[i].name, argv[2])) {
					print_command_help(&commands[i]);
					return SK_EXIT_OK;
				}
		}
		print_usage(stdout);
		return SK_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("snapkeep %s\n", SK_VERSION);
		return SK_EXIT_OK;
	}
	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, argv[1]))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "snapkeep: '%s' is not a snapkeep command. See 'snapkeep --help'.\n", argv[1]);
		return SK_EXIT_USAGE;
	}
	cli.command = cmd->name;
	current = cmd;
	if (wants_json_logs(argc, argv))
		sk_log_set_json(true);
	output = env_or("SNAPKEEP_OUTPUT", "text");
	cli.repo = env_or("SNAPKEEP_REPO", NULL);
	cli.ref = env_or("SNAPKEEP_REF", NULL);
	cli.path = env_or("SNAPKEEP_PATH", NULL);
	cli.allow_insecure_git = env_true("SNAPKEEP_ALLOW_INSECURE_GIT");
	cli.require_signed_commits = env_true("SNAPKEEP_REQUIRE_SIGNED_COMMITS");
	cli.gpg_keyring = env_or("SNAPKEEP_GPG_KEYRING", NULL);
	cli.allowed_signers = env_or("SNAPKEEP_ALLOWED_SIGNERS", NULL);
	cli.state_dir = env_or("SNAPKEEP_STATE_DIR", NULL);
	cli.interval = env_or("SNAPKEEP_INTERVAL", NULL);
	cli.guardrails_file = env_or("SNAPKEEP_GUARDRAILS", NULL);
	if ((env_or("SNAPKEEP_CONNECT_TIMEOUT", NULL) &&
	     parse_timeout(&cli, "SNAPKEEP_CONNECT_TIMEOUT", getenv("SNAPKEEP_CONNECT_TIMEOUT"), &cli.connect_timeout_ms) < 0) ||
	    (env_or("SNAPKEEP_CALL_TIMEOUT", NULL) &&
	     parse_timeout(&cli, "SNAPKEEP_CALL_TIMEOUT", getenv("SNAPKEEP_CALL_TIMEOUT"), &cli.call_timeout_ms) < 0))
		return SK_EXIT_USAGE;

	for (i = 0; i < N_OPTIONS; i++)
		options[i] = (struct option){ cli_options[i].name, cli_options[i].has_arg, NULL, cli_options[i].code };
	/* GNU getopt permutes, so PLANFILE may come before or after options */
	opterr = 0;
	optind = 1;
	argc--;
	argv++;
	while ((c = getopt_long_only(argc, argv, ":", options, NULL)) != -1) {
		if (c != ':' && c != '?' && c != O_HELP && c != O_VERSION && !help_lists(cmd->help, option_name(c)))
			return sk_cli_usage(&cli, "%s%s is not an option of %s. See 'snapkeep %s --help'.",
					    c == O_OUT ? "-" : "--", option_name(c), cmd->name, cmd->name);
		o = find_option(c);
		if (o && o->set != SET_NONE) {
			if (set_option(&cli, o, optarg) < 0)
				return SK_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case O_REGION:
			if (cli.n_regions == SK_CLI_MAX_REGIONS)
				return sk_cli_usage(&cli, "at most %d --region options", SK_CLI_MAX_REGIONS);
			cli.regions[cli.n_regions++] = optarg;
			break;
		case O_ACCOUNT:
			if (cli.n_accounts == SK_CLI_MAX_REGIONS)
				return sk_cli_usage(&cli, "at most %d --account options", SK_CLI_MAX_REGIONS);
			cli.accounts[cli.n_accounts++] = optarg;
			cli.account = optarg; /* iam-policy's: the account in the ARNs */
			break;
		case O_OUTPUT: output = optarg; break;
		case O_COLOR: cli.color = 1; break;
		case O_NO_COLOR: cli.color = 0; break;
		case O_HELP: print_command_help(cmd); return SK_EXIT_OK;
		case O_VERSION: printf("snapkeep %s\n", SK_VERSION); return SK_EXIT_OK;
		case ':':
			return sk_cli_usage(&cli, "option '%s' needs a value", argv[optind - 1]);
		default:
			return sk_cli_usage(&cli, "unknown option '%s'. See 'snapkeep %s --help'.", argv[optind - 1],
					    cmd->name);
		}
	}
	cli.argc = argc - optind;
	cli.argv = argv + optind;
	cli.output = output;
	if (!strcmp(output, "json"))
		cli.json = true;
	else if (!strcmp(output, "markdown") && cmd->handler == cmd_plan)
		; /* a compact plan for a pull-request comment */
	else if (!strcmp(output, "csv") && cmd->handler == cmd_inventory)
		; /* one row per snapshot */
	else if (strcmp(output, "text"))
		return sk_cli_usage(&cli, "--output must be text or json%s, got '%s'",
				    cmd->handler == cmd_plan ? " or markdown" : cmd->handler == cmd_inventory ? " or csv" : "",
				    output);
	if (cli.debug)
		sk_log_set_level(SK_LOG_DEBUG);
	if (cli.log_format) {
		if (!strcmp(cli.log_format, "json"))
			sk_log_set_json(true);
		else if (strcmp(cli.log_format, "text"))
			return sk_cli_usage(&cli, "--log-format must be text or json");
		else
			sk_log_set_json(false);
	}
	/* the flag, else SNAPKEEP_STATE_BACKEND; "dir" (or nothing) is the state directory */
	cli.state_backend = sk_backend_choose(cli.state_backend, NULL);
	if (cli.state_backend && !sk_backend_is_pg(cli.state_backend))
		return sk_cli_usage(&cli, "--state-backend must be a PostgreSQL connection string (postgres://...) or 'dir'");
	if (cli.now_text && sk_time_parse_rfc3339(&cli.now, cli.now_text) < 0)
		return sk_cli_usage(&cli, "--now: %s", sk_error_message());
	/* `apply PLANFILE` may take them from the file: cmd_apply.c checks them then */
	if (help_lists(cmd->help, "require-signed-commits") && !(!strcmp(cmd->name, "apply") && cli.argc) &&
	    sk_cli_check_signing(&cli) < 0)
		return SK_EXIT_USAGE;
	if (sk_cli_allow_destructive(&cli) < 0)
		return SK_EXIT_USAGE;
	if (cli.guardrails_file && help_lists(cmd->help, "guardrails") &&
	    sk_guardrails_load(&cli.guardrails, cli.guardrails_file) < 0)
		return sk_cli_fail();
	sk_cli_install_signals();
	rc = cmd->handler(&cli);
	sk_guardrails_free(cli.guardrails);
	/* SIGPIPE is ignored (an apply goes on when its output is gone): a closed stdout is not an error */
	if (sk_cli_stdout_status() < 0 && rc == SK_EXIT_OK)
		rc = sk_cli_fail();
	return rc;
}

int main(int argc, char **argv)
{
	int rc = run_command(argc, argv);

	/* a monitoring plugin that cannot run as asked says UNKNOWN, never an exit code a monitor reads as another */
	if (rc == SK_EXIT_USAGE && current && current->handler == cmd_verify)
		rc = SK_VERIFY_UNKNOWN_EXIT;
	return rc;
}
