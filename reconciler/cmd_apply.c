/*
 * cmd_apply.c - snapkeep apply [PLANFILE]: make live backups match the policy
 */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "reconciler/cli.h"
#include "reconciler/reconcile.h"
#include "reconciler/session.h"

int cmd_apply(struct sk_cli *cli)
{
	struct sk_reconcile_opts o = SK_RECONCILE_OPTS_INIT;
	struct sk_reconcile_report rep;
	struct sk_session s;
	int rc;

	if (cli->argc > 1) {
		fprintf(stderr, "usage: snapkeep apply [options] [PLANFILE]\n");
		return SK_EXIT_USAGE;
	}
	if (cli->inventory) {
		fprintf(stderr, "snapkeep apply: --inventory plans offline; apply needs AWS\n");
		return SK_EXIT_USAGE;
	}
	if (sk_cli_open_session(cli, &s) < 0)
		return sk_cli_fail();
	o.cli = cli;
	o.session = &s;
	o.command = "apply";
	o.apply = true;
	o.confirm = !cli->auto_approve;
	o.plan_file = cli->argc ? cli->argv[0] : NULL;
	o.out = stdout;
	rc = sk_reconcile(&rep, &o);
	if (rc < 0 && rep.error[0] && !rep.failed)
		fprintf(stderr, "snapkeep: %s\n", rep.error);
	rc = rep.exit_code;
	sk_reconcile_report_free(&rep);
	sk_session_close(&s);
	return rc;
}
