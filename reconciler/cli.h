/*
 * cli.h - what the command handlers share (the binary only, not the library)
 *
 * main.c parses the options every command accepts into struct sk_cli and
 * dispatches through the command table; each cmd_*.c file holds handlers.
 * Handlers return an exit code from the list in main.c's --help.
 */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

/* exit codes every command documents */
enum {
	SK_EXIT_OK = 0,
	SK_EXIT_ERROR = 1,
	SK_EXIT_CHANGES = 2, /* plan --detailed-exitcode: the plan has changes */
	SK_EXIT_USAGE = 64,
	SK_EXIT_SIGINT = 130,
	SK_EXIT_SIGTERM = 143,
};

#define SK_CLI_MAX_REGIONS 32

struct sk_cli {
	const char *command;
	/* policy source */
	const char *repo;
	const char *ref;
	const char *path;
	/* AWS */
	const char *regions[SK_CLI_MAX_REGIONS];
	size_t n_regions;
	const char *endpoint;
	const char *profile;
	/* state */
	const char *state_dir;
	int lock_timeout;
	/* planning */
	const char *inventory;
	const char *now_text;
	int64_t now;
	const char *out_file;  /* plan -out FILE */
	const char *plan_file; /* apply FILE, show FILE */
	bool detailed_exitcode;
	bool allow_mass_delete;
	/* apply */
	bool auto_approve;
	bool no_wait;
	int concurrency;
	/* output */
	bool json;
	int color; /* -1 auto, 0 never, 1 always */
	bool debug;
	/* history */
	const char *since;
	const char *instance;
	/* run */
	const char *interval;
	const char *git_poll;
	const char *metrics_addr;
	const char *log_format;
	const char *metrics_namespace;
	bool once;
	bool auto_apply;
	int healthz_failures;
	const char *summary_at;
	/* positional arguments left after options */
	int argc;
	char **argv;
};

struct sk_command {
	const char *name;
	int (*handler)(struct sk_cli *cli);
	const char *summary;
	const char *usage;   /* the synopsis after "snapkeep <name>" */
	const char *help;    /* the body of --help: options and exit codes */
};

extern volatile sig_atomic_t sk_cli_interrupted; /* the signal number, 0 if none */
void sk_cli_install_signals(void);
bool sk_cli_use_color(const struct sk_cli *cli, FILE *f);
/* prints "snapkeep: <message>" for the last error and returns SK_EXIT_ERROR */
int sk_cli_fail(void);

int cmd_validate(struct sk_cli *cli);
int cmd_plan(struct sk_cli *cli);
int cmd_apply(struct sk_cli *cli);
int cmd_show(struct sk_cli *cli);
int cmd_inventory(struct sk_cli *cli);
int cmd_history(struct sk_cli *cli);
int cmd_force_unlock(struct sk_cli *cli);
int cmd_run(struct sk_cli *cli);
int cmd_iam_policy(struct sk_cli *cli);
int cmd_whoami(struct sk_cli *cli);

#endif
