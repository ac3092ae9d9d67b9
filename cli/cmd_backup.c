/*
 * cmd_backup.c - snapkeep backup --instance X: an owned snapshot now
 *
 * As apply does: the plan (one snapshot, and with --copy its copies) is
 * shown, confirmed on a terminal or with --auto-approve, made under the
 * state directory's lock with every call journaled and checked against
 * live state (reconciler/planner/ondemand.h, engine/reconcile.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "reconciler/engine/reconcile.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/ondemand.h"
#include "specs/policy.h"

/* --keep-until: RFC 3339, or a date (its 00:00 UTC) */
static int parse_until(int64_t *out, const char *s)
{
	char buf[32];

	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		s = buf;
	}
	return sk_time_parse_rfc3339(out, s);
}

/* --keep-for: days and hours ("90d", "12h", "1d12h"), from now */
static int parse_for(int64_t *out, const char *s, int64_t now)
{
	struct sk_duration d;

	if (sk_duration_parse(&d, s) < 0)
		return -1;
	if (d.years || d.months)
		return sk_error_set(SK_ERR_INVALID, "'%s': give days or hours, such as 90d", s);
	if (!d.days && !d.hours)
		return sk_error_set(SK_ERR_INVALID, "'%s' must be more than zero", s);
	*out = now + (int64_t)d.days * 86400 + (int64_t)d.hours * 3600;
	return 0;
}

int cmd_backup(struct sk_cli *cli)
{
	struct sk_backup_request req = { .instance = cli->instance, .policy = cli->policy, .keep_until = 0,
					 .copy = cli->copy };
	struct sk_reconcile_opts o;
	struct sk_cli_printer pr;
	struct sk_reconcile_report rep;
	struct sk_session s;
	int64_t now = sk_cli_now(cli);
	int rc;

	if (cli->argc)
		return sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
	if (!cli->instance)
		return sk_cli_usage(cli, "--instance is required: the DB instance to snapshot");
	if (cli->keep_until && cli->keep_for)
		return sk_cli_usage(cli, "--keep-until and --keep-for say the same thing: give one");
	if (cli->keep_until && parse_until(&req.keep_until, cli->keep_until) < 0)
		return sk_cli_usage(cli, "--keep-until: %s", sk_error_message());
	if (cli->keep_for && parse_for(&req.keep_until, cli->keep_for, now) < 0)
		return sk_cli_usage(cli, "--keep-for: %s", sk_error_message());
	memset(&s, 0, sizeof(s));
	if (sk_cli_open_session(cli, &s) < 0)
		return sk_cli_fail();
	sk_cli_reconcile_opts(cli, &o, &pr, &s, true, stdout);
	o.backup = &req;
	o.now = now;
	/* a copy waits for its snapshot; without --copy, only --wait waits */
	o.wait = cli->wait || cli->copy;
	rc = sk_reconcile(&rep, &o);
	if (rc < 0 && rep.error[0] && !rep.failed)
		sk_cli_error("%s", rep.error);
	rc = sk_cli_exit_code(&rep);
	sk_reconcile_report_free(&rep);
	sk_cli_printer_free(&pr);
	sk_session_close(&s);
	return rc;
}
