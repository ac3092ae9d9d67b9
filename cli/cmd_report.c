/*
 * cmd_report.c - snapkeep report: compliance, cost and history for people
 * and auditors
 *
 * The same observation and plan as `snapkeep plan` (the same list calls, or
 * none with --inventory), the state directory's drills and journal, and the
 * report model (planner/report.h) rendered as asked.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/engine/report_state.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/report_html.h"
#include "reconciler/planner/report_json.h"
#include "reconciler/planner/report_render.h"
#include "specs/guardrails.h"
#include "specs/policy.h"

/* exit codes: report's own, as --help says; 4 (SK_EXIT_PARTIAL) as plan's when some account was not observed */
enum { REPORT_COMPLIANT = 0, REPORT_NOT_COMPLIANT = 1, REPORT_ERROR = 2 };

#define DEFAULT_SINCE_DAYS 30

static const struct {
	const char *name;
	const char *ext;
	int (*render)(FILE *f, const struct sk_report *r);
} formats[] = {
	{ "text", "txt", sk_report_render_text },
	{ "markdown", "md", sk_report_render_markdown },
	{ "json", "json", sk_report_render_json },
	{ "csv", "csv", sk_report_render_csv },
	{ "html", "html", sk_report_render_html },
};

/* --since: an RFC 3339 time, or a span back from now in hours, days or weeks ("30d") */
static int parse_since(int64_t *out, const char *s, int64_t now)
{
	static const struct {
		char unit;
		int64_t seconds;
	} units[] = { { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 } };
	char *end;
	long long n;
	size_t i;

	if (sk_time_parse_rfc3339(out, s) == 0)
		return 0;
	errno = 0;
	n = isdigit((unsigned char)s[0]) ? strtoll(s, &end, 10) : -1;
	if (errno || n < 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (end[0] == units[i].unit && n <= 3700 * 86400 / units[i].seconds) {
			*out = now - (int64_t)n * units[i].seconds;
			return 0;
		}
	return -1;
}

/* --out DIR: DIR/report-<month or day>.<ext>; --out FILE as it is */
static char *out_path(const char *out, const char *ext, const char *month, int64_t now)
{
	struct stat st;
	char day[SK_TIME_RFC3339_MAX];

	if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
		return strdup(out);
	sk_time_format_rfc3339(day, now);
	day[10] = '\0';
	return sk_buf_strfmt("%s/report-%s.%s", out, month ? month : day, ext);
}

/* writes through a temporary file renamed into place, so a reader never sees half a report */
static int write_file(const char *path, int (*render)(FILE *, const struct sk_report *), const struct sk_report *r)
{
	char *tmp = sk_buf_strfmt("%s.tmp-%ld", path, (long)getpid());
	FILE *f;
	int rc = -1;

	if (!tmp)
		return -1;
	if (!(f = fopen(tmp, "w"))) {
		sk_error_set_errno(SK_ERR_OS, "cannot write the report '%s'", path);
		goto done;
	}
	rc = render(f, r);
	if (fclose(f) != 0 && rc == 0)
		rc = sk_error_set_errno(SK_ERR_OS, "cannot write the report '%s'", path);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = sk_error_set_errno(SK_ERR_OS, "cannot write the report '%s'", path);
	if (rc < 0)
		unlink(tmp);
done:
	free(tmp);
	return rc;
}

/*
 * Several accounts (Settings' accounts): each observed with its role and
 * planned as `plan` does (engine/accounts.h), one report over them all.
 */
static int report_accounts(struct sk_cli *cli, struct sk_session *s, struct sk_accounts *accts,
			   const struct sk_policyset *set, struct sk_plan **plan, struct sk_report **r,
			   const struct sk_report_state_opts *ro)
{
	if (cli->inventory)
		return sk_error_set(SK_ERR_INVALID, "--inventory: an inventory file is one account's; the policies "
						    "list several (Settings' accounts)");
	if (sk_cli_plan_accounts(cli, s, accts, set, false, plan) < 0)
		return -1;
	return sk_report_from_state_accounts(r, set, accts, *plan, ro);
}

int cmd_report(struct sk_cli *cli)
{
	struct sk_accounts accts;
	struct sk_report_state_opts ro = SK_REPORT_STATE_OPTS_INIT;
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_plan *plan = NULL;
	struct sk_report *r = NULL;
	struct sk_session s;
	const char *format = cli->format ? cli->format : "text";
	char *path = NULL;
	size_t i, fi = sizeof(formats) / sizeof(formats[0]);
	int rc = REPORT_ERROR;

	memset(&s, 0, sizeof(s));
	memset(&accts, 0, sizeof(accts));
	if (cli->argc)
		return sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(formats[i].name, format))
			fi = i;
	if (fi == sizeof(formats) / sizeof(formats[0]))
		return sk_cli_usage(cli, "--format must be text, markdown, json, csv or html, got '%s'", format);
	if (cli->since && cli->month)
		return sk_cli_usage(cli, "--since and --month cannot be used together");
	ro.now = sk_cli_now(cli);
	ro.state_dir = cli->state_dir;
	ro.state_backend = cli->state_backend;
	ro.regions = cli->regions;
	ro.n_regions = cli->n_regions;
	if (cli->month) {
		if (sk_report_month_range(&ro.since, &ro.until, cli->month) < 0)
			return sk_cli_usage(cli, "--month: %s", sk_error_message());
	} else if (cli->since) {
		if (parse_since(&ro.since, cli->since, ro.now) < 0)
			return sk_cli_usage(cli, "--since must be an RFC 3339 time or a span like 720h, 30d or 12w (at most "
					    "ten years), got '%s'", cli->since);
	} else {
		ro.since = ro.now - DEFAULT_SINCE_DAYS * 86400;
	}
	if (ro.until && ro.until <= ro.since)
		return sk_cli_usage(cli, "the history window is empty");
	if (!ro.until && ro.since >= ro.now)
		return sk_cli_usage(cli, "--since %s is not before the report's time", cli->since);

	/* SNAPKEEP_GUARDRAILS, read here: main() would fail with 1, which says "not compliant" here */
	if (cli->guardrails_file && !cli->guardrails && sk_guardrails_load(&cli->guardrails, cli->guardrails_file) < 0) {
		sk_cli_fail();
		goto done;
	}
	if (sk_cli_load_policies(cli, &set, false) < 0) {
		sk_cli_fail();
		goto done;
	}
	if (set->settings.n_accounts) {
		if (report_accounts(cli, &s, &accts, set, &plan, &r, &ro) < 0) {
			sk_cli_fail();
			goto done;
		}
	} else if (cli->n_accounts) {
		rc = sk_cli_usage(cli, "--account '%s': Settings lists no accounts (the report is the caller's own "
				       "account)", cli->accounts[0]);
		goto done;
	} else if ((!cli->inventory && sk_cli_open_session(cli, &s) < 0) || sk_cli_observe(cli, &s, set, &inv, NULL) < 0 ||
		   sk_cli_compute_plan(cli, set, inv, false, &plan) < 0 || sk_report_from_state(&r, set, inv, plan, &ro) < 0) {
		sk_cli_fail();
		goto done;
	}
	if (cli->out_file) {
		if (!(path = out_path(cli->out_file, formats[fi].ext, cli->month, ro.now)) ||
		    write_file(path, formats[fi].render, r) < 0) {
			sk_cli_fail();
			goto done;
		}
		fprintf(stderr, "snapkeep: wrote the %s report to %s: %s\n", format, path, sk_report_verdict_name(r->verdict));
	} else if ((formats[fi].render(stdout, r) < 0 || sk_cli_stdout_status() < 0) &&
		   sk_cli_stdout_status() != SK_CLI_STDOUT_CLOSED) {
		sk_cli_fail();
		goto done;
	}
	if (r->n_unobserved)
		rc = sk_cli_unobserved(r->n_unobserved, accts.n, r->unobserved[0].account, r->unobserved[0].error,
				       "report");
	else
		rc = r->verdict == SK_REPORT_COMPLIANT ? REPORT_COMPLIANT : REPORT_NOT_COMPLIANT;
done:
	free(path);
	sk_report_free(r);
	sk_plan_free(plan);
	sk_inventory_free(inv);
	sk_accounts_close(&accts);
	sk_policyset_free(set);
	sk_session_close(&s);
	return rc;
}
