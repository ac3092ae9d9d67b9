/*
 * cmd_apply.c - snapkeep apply [PLANFILE]: make live backups match the policy
 */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "cli/cli.h"
#include "reconciler/engine/reconcile.h"
#include "reconciler/engine/session.h"

int cmd_apply(struct sk_cli *cli)
{
	struct sk_reconcile_opts o;
	struct sk_cli_printer pr;
	struct sk_reconcile_report rep;
	struct sk_session s;
	int rc;

	if (cli->argc > 1)
		return sk_cli_usage(cli, "unexpected argument '%s': one PLANFILE at most", cli->argv[1]);
	if (sk_cli_open_session(cli, &s) < 0)
		return sk_cli_fail();
	sk_cli_reconcile_opts(cli, &o, &pr, &s, true, stdout);
	o.plan_file = cli->argc ? cli->argv[0] : NULL;
	rc = sk_reconcile(&rep, &o);
	if (rc < 0 && rep.error[0] && !rep.failed)
		sk_cli_error("%s", rep.error);
	rc = sk_cli_exit_code(&rep);
	sk_reconcile_report_free(&rep);
	sk_cli_printer_free(&pr);
	sk_session_close(&s);
	return rc;
}
