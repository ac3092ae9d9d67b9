/*
 * cli.h - what the command handlers share (the binary only, not the library)
 *
 * The binary's shared header, for every file of cli/: main.c parses the
 * options every command accepts into struct sk_cli, dispatches through the
 * command table (commands.c, with its own commands.h) and defines the
 * first group of sk_cli_* functions below (signals, color, errors, usage);
 * cmd_common.c defines the rest (reading policies, opening a session,
 * observing, planning, printing); each cmd_*.c file holds one command's
 * handler.  Handlers return an exit code from the list in --help
 * (commands.c).
 */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include <jansson.h>

#include "aws/client.h"

/* exit codes every command documents */
enum {
	SK_EXIT_OK = 0,
	SK_EXIT_ERROR = 1,
	SK_EXIT_CHANGES = 2, /* plan --detailed-exitcode: the plan has changes */
	SK_EXIT_REFUSED = 3, /* plan --detailed-exitcode: a guardrail refused an action */
	SK_EXIT_PARTIAL = 4, /* several accounts: some were not observed (nothing planned or applied there) */
	SK_EXIT_USAGE = 64,
	SK_EXIT_SIGINT = 130,
	SK_EXIT_SIGTERM = 143,
	SK_VERIFY_UNKNOWN_EXIT = 3, /* verify: UNKNOWN, monitoring plugins' code for "could not check" */
};

#define SK_CLI_MAX_REGIONS 32

struct sk_cli {
	const char *command;
	/* policy source */
	const char *repo;
	const char *ref;
	const char *path;
	bool allow_insecure_git; /* credentials to http:// and git:// remotes too */
	bool require_signed_commits; /* --require-signed-commits, SNAPKEEP_REQUIRE_SIGNED_COMMITS */
	const char *gpg_keyring;     /* --gpg-keyring, SNAPKEEP_GPG_KEYRING */
	const char *allowed_signers; /* --allowed-signers, SNAPKEEP_ALLOWED_SIGNERS */
	/* AWS */
	const char *regions[SK_CLI_MAX_REGIONS];
	size_t n_regions;
	const char *accounts[SK_CLI_MAX_REGIONS]; /* --account: only these of Settings' accounts */
	size_t n_accounts;
	const char *endpoint;
	const char *profile;
	long connect_timeout_ms; /* --connect-timeout, SNAPKEEP_CONNECT_TIMEOUT; 0: the client's default */
	long call_timeout_ms;    /* --call-timeout, SNAPKEEP_CALL_TIMEOUT; 0: the client's default */
	/* state */
	const char *state_dir;
	const char *state_backend; /* --state-backend, SNAPKEEP_STATE_BACKEND (state/backend.h); NULL: the directory */
	int lock_timeout;
	/* planning */
	const char *inventory;
	const char *now_text;
	int64_t now;
	const char *out_file;  /* plan -out FILE */
	const char *plan_file; /* apply FILE, show FILE */
	bool detailed_exitcode;
	bool allow_mass_delete;
	const char *guardrails_file;        /* --guardrails, SNAPKEEP_GUARDRAILS */
	struct sk_guardrails *guardrails;   /* read from it before the command runs */
	const char *allow_destructive_text; /* apply --allow-destructive=KIND[,KIND] */
	unsigned allow_destructive;         /* ... as 1u << SK_WARN_* */
	/* apply */
	bool auto_approve;
	bool no_wait;
	int concurrency;
	/* output */
	const char *output; /* --output as given: "text", "json", "markdown" (plan), "csv" (inventory) */
	bool json;
	int color; /* -1 auto, 0 never, 1 always */
	bool debug;
	/* history */
	const char *since;
	const char *instance;
	const char *policy; /* drill, verify: --policy, only this policy */
	/* run */
	const char *interval;
	const char *git_poll;
	const char *metrics_addr;
	const char *log_format;
	const char *metrics_namespace;
	const char *replica_id;       /* run: --replica-id */
	bool once;
	bool auto_apply;
	int healthz_failures;
	const char *summary_at;
	const char *alert_repeat;
	bool verbose; /* plan: list kept snapshots too */
	/* report (--since above; --out is out_file) */
	const char *format;    /* text, markdown, json, csv, html */
	const char *month;     /* YYYY-MM */
	const char *report_at; /* run: a cron schedule for the monthly report */
	bool observe; /* validate: observe and report what each policy selects */
	const char *account; /* iam-policy */
	const char *trust;   /* iam-policy with Settings' accounts: the base identity the roles trust */
	/* restore (--instance above) */
	const char *to_time;
	bool latest;
	const char *from_snapshot;
	const char *target;
	const char *instance_class;
	bool apply;
	bool wait;
	const char *timeout;
	/* backup (--instance, --policy and --wait above) */
	const char *keep_until;
	const char *keep_for;
	bool copy;
	/* positional arguments left after options */
	int argc;
	char **argv;
};

struct sk_guardrails;

struct sk_command {
	const char *name;
	int (*handler)(struct sk_cli *cli);
	const char *summary;
	const char *usage;   /* the synopsis after "snapkeep <name>" */
	const char *help;    /* the body of --help: options and exit codes */
};

/* main.c: signals, color, errors, usage */
extern volatile sig_atomic_t sk_cli_interrupted; /* the signal number, 0 if none */
void sk_cli_install_signals(void);
bool sk_cli_use_color(const struct sk_cli *cli, FILE *f);
/* prints "snapkeep: <message>" on stderr (a JSON record with JSON logs) */
void sk_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* sk_cli_error() of the last error; returns SK_EXIT_ERROR */
int sk_cli_fail(void);
/*
 * After printing to stdout: 0 when all of it was written; SK_CLI_STDOUT_CLOSED
 * when its reader went away (`snapkeep history | head`), which is no error:
 * the command stops printing and ends quietly with its usual exit code; -1
 * for any other write error (set: "cannot write to standard output: ...").
 */
#define SK_CLI_STDOUT_CLOSED 1
struct sk_backend;
/* opens the state backend the options name (create: commands that write; else nothing is written) */
int sk_cli_open_backend(struct sk_backend **out, const struct sk_cli *cli, bool create);
int sk_cli_stdout_status(void);
/*
 * --require-signed-commits needs the keys (--gpg-keyring, --allowed-signers),
 * and they need it: 0, or -1 after a usage error
 */
int sk_cli_check_signing(const struct sk_cli *cli);
/* prints "snapkeep <command>: <message>" (a JSON record with JSON logs) and returns SK_EXIT_USAGE */
int sk_cli_usage(const struct sk_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cmd_common.c: what several commands share */
struct sk_policyset;
struct sk_inventory;
struct sk_observe_stats;
struct sk_plan;
struct sk_session;
int64_t sk_cli_now(const struct sk_cli *cli);
struct sk_load_opts;
struct sk_reconcile_opts;
struct sk_reconcile_report;
/*
 * The policy source and state directory from --repo/--ref/--path/--state-dir,
 * --allow-insecure-git and the signing options; reading with them warns on stderr about a fetch
 * over plain http and about policy files with uncommitted changes (the
 * commit is read, not them).
 */
void sk_cli_load_opts(const struct sk_cli *cli, struct sk_load_opts *o);
/*
 * How a saved plan is made, or made again, from this command line
 * (engine/saved.h): its policies' source (filled in *lo, which *how points
 * to), --region, --account, --allow-mass-delete and aws (NULL: not known).
 */
struct sk_saved_how;
struct sk_aws_config;
void sk_cli_saved_how(const struct sk_cli *cli, struct sk_saved_how *how, struct sk_load_opts *lo,
		      const struct sk_aws_config *aws);
/* the uncommitted-files warning, as sk_load_opts.on_source */
struct sk_source;
void sk_cli_warn_uncommitted(void *ud, const struct sk_source *src);
/*
 * Reads and parses the policies.  On invalid policies, prints every
 * diagnostic to stderr and frees the set; with quiet, prints nothing and
 * leaves *out (diagnostics in it) for the caller to report and free.
 */
int sk_cli_load_policies(struct sk_cli *cli, struct sk_policyset **out, bool quiet);
/* the same with load options the caller adjusted (sk_cli_load_opts() first) */
int sk_cli_load_policies_from(const struct sk_load_opts *lo, struct sk_policyset **out, bool quiet);
/*
 * The set's diagnostics, one per line: the first SK_CLI_DIAGS_SHOWN, then
 * "… and N more problems" (validate --output json lists every one)
 */
#define SK_CLI_DIAGS_SHOWN 50
void sk_cli_print_diags(const struct sk_policyset *set, FILE *f);
struct sk_session_opts;
void sk_cli_session_opts(const struct sk_cli *cli, struct sk_session_opts *so);
int sk_cli_open_session(struct sk_cli *cli, struct sk_session *s);
/* --inventory FILE, or observing every region the policies need */
int sk_cli_observe(struct sk_cli *cli, struct sk_session *s, const struct sk_policyset *set,
		   struct sk_inventory **out, struct sk_observe_stats *stats);
/*
 * Both of the above after reading the policies, opening an AWS session
 * unless --inventory: the start of plan and inventory.  Free *set, *inv and
 * close *s whatever it returns (a zeroed session closes as a no-op).
 */
int sk_cli_load_and_observe(struct sk_cli *cli, struct sk_session *s, struct sk_policyset **set,
			    struct sk_inventory **inv);
/* cmd_guardrails.c: plans with the guardrails and the deletions the state directory records */
struct sk_plan_opts;
/* with accounts (several accounts, engine/accounts.h), each observed account's plan in one */
struct sk_accounts;
int sk_cli_plan_guarded(struct sk_cli *cli, const struct sk_policyset *set, const struct sk_inventory *inv,
			struct sk_accounts *accounts, struct sk_plan_opts *po, struct sk_plan **out);
/* --allow-destructive's list into cli->allow_destructive; a usage error (printed) for an unknown kind */
int sk_cli_allow_destructive(struct sk_cli *cli);
int sk_cli_compute_plan(struct sk_cli *cli, const struct sk_policyset *set, const struct sk_inventory *inv,
			bool basis, struct sk_plan **out);
/*
 * Several accounts (Settings' accounts): opens the session s and each
 * account's (engine/accounts.h, --account narrowing them) and observes
 * them; an account that cannot be observed is marked so, not an error.
 * Close accts and s whatever it returns.
 */
int sk_cli_observe_accounts(struct sk_cli *cli, struct sk_session *s, struct sk_accounts *accts,
			    const struct sk_policyset *set);
/* the same, then plans them in one, as sk_cli_compute_plan() plans one */
int sk_cli_plan_accounts(struct sk_cli *cli, struct sk_session *s, struct sk_accounts *accts,
			 const struct sk_policyset *set, bool basis, struct sk_plan **out);
int sk_cli_print_plan(struct sk_cli *cli, const struct sk_plan *p, FILE *f);
/*
 * "2 of 3 accounts not observed: <first> (<why>); see the <where> for the
 * others" on stderr, for a plan or report over several accounts; returns
 * SK_EXIT_PARTIAL
 */
int sk_cli_unobserved(size_t n, size_t n_accounts, const char *account, const char *error, const char *where);
int sk_cli_print_json(json_t *j, FILE *f);

/* what apply and run show of a reconciliation: the callbacks' state */
struct sk_cli_printer {
	struct sk_cli *cli;
	FILE *out;              /* the plan and results; NULL: nothing */
	bool apply;
	bool quiet_no_changes;  /* an empty plan prints nothing (the loop) */
	pthread_mutex_t lock;   /* outcome lines come from apply's threads */
};
/* the reconcile options of the command line, printing to out through p (free it with sk_cli_printer_free) */
void sk_cli_reconcile_opts(struct sk_cli *cli, struct sk_reconcile_opts *o, struct sk_cli_printer *p,
			   struct sk_session *s, bool apply, FILE *out);
void sk_cli_printer_free(struct sk_cli_printer *p);
/*
 * Runs the reconciliation o (from sk_cli_reconcile_opts, with p), prints an
 * error the callbacks did not, frees p and returns SK_EXIT_*.
 */
int sk_cli_reconcile(struct sk_reconcile_opts *o, struct sk_cli_printer *p);

/* the handlers, one per cmd_*.c file */
int cmd_validate(struct sk_cli *cli);
int cmd_plan(struct sk_cli *cli);
int cmd_apply(struct sk_cli *cli);
int cmd_backup(struct sk_cli *cli);
int cmd_show(struct sk_cli *cli);
int cmd_inventory(struct sk_cli *cli);
int cmd_history(struct sk_cli *cli);
int cmd_force_unlock(struct sk_cli *cli);
int cmd_state(struct sk_cli *cli);
int cmd_run(struct sk_cli *cli);
int cmd_iam_policy(struct sk_cli *cli);
int cmd_whoami(struct sk_cli *cli);
int cmd_restore(struct sk_cli *cli);
int cmd_verify(struct sk_cli *cli);
int cmd_drill(struct sk_cli *cli);
int cmd_report(struct sk_cli *cli);

#endif
