/*
 * main.c - the snapkeep command line: signals, errors, options, exit codes
 *
 * Holds no logic: it parses options into struct sk_cli and hands over to a
 * handler (cmd_*.c) from the command table (commands.c), as git's git.c
 * does.  An option is accepted where the command's --help lists it.
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
#include "cli/commands.h"
#include "state/backend.h"
#include "specs/guardrails.h"
#include "reconciler/service/loop.h"

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
		sk_cli_print_usage(stderr);
		return SK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0 && (cmd = sk_cli_find_command(argv[2]))) {
			sk_cli_print_command_help(cmd);
			return SK_EXIT_OK;
		}
		sk_cli_print_usage(stdout);
		return SK_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("snapkeep %s\n", SK_VERSION);
		return SK_EXIT_OK;
	}
	cmd = sk_cli_find_command(argv[1]);
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
		case O_HELP: sk_cli_print_command_help(cmd); return SK_EXIT_OK;
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
