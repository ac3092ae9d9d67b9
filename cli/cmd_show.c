/*
 * cmd_show.c - snapkeep show PLANFILE: print a saved plan
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "common/error.h"
#include "cli/cli.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/render.h"
#include "state/planfile.h"

int cmd_show(struct sk_cli *cli)
{
	json_t *j = NULL;
	struct sk_plan *p = NULL;
	int rc = SK_EXIT_ERROR;

	if (cli->argc > 1)
		return sk_cli_usage(cli, "unexpected argument '%s': one PLANFILE", cli->argv[1]);
	if (cli->argc < 1)
		return sk_cli_usage(cli, "a PLANFILE is needed: snapkeep show [--output json] PLANFILE");
	if (sk_planfile_read(&j, NULL, cli->argv[0]) < 0 || sk_plan_from_json(&p, j) < 0) {
		if (sk_error_last()->klass == SK_ERR_PLAN && p == NULL && j)
			sk_error_prefix("saved plan '%s'", cli->argv[0]);
		rc = sk_cli_fail();
		goto done;
	}
	if ((cli->json ? sk_cli_print_json(j, stdout) : sk_cli_print_plan(cli, p, stdout)) < 0 &&
	    sk_cli_stdout_status() != SK_CLI_STDOUT_CLOSED)
		rc = sk_cli_fail();
	else
		rc = SK_EXIT_OK;
done:
	sk_plan_free(p);
	json_decref(j);
	return rc;
}
