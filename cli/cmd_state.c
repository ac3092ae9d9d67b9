/*
 * cmd_state.c - snapkeep state push: move a state directory into PostgreSQL
 *
 * The migration path from the directory backend (state/backend.h): the
 * state file and the whole journal are copied into the database named by
 * --state-backend, under both locks, in one transaction.  Running it again
 * copies only what is new, so it can be run before the switch and once
 * more right after the last run on the directory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/error.h"
#include "state/backend.h"
#include "state/statedir.h"

static int push(struct sk_cli *cli)
{
	struct sk_backend_push_report rep;
	struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
	struct sk_backend *b = NULL;
	char *dir = NULL;
	int rc = SK_EXIT_ERROR;

	if (!cli->state_backend)
		return sk_cli_usage(cli, "state push needs --state-backend postgres://... (or SNAPKEEP_STATE_BACKEND): "
				    "the database to copy the state directory into");
	if (sk_statedir_resolve(&dir, cli->state_dir) < 0)
		return sk_cli_fail();
	if (sk_cli_open_backend(&b, cli, true) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	lo.command = "state push";
	lo.timeout = cli->lock_timeout;
	if (sk_backend_push(&rep, b, dir, &lo) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	if (!rep.state_found)
		printf("No state file in '%s'.\n", dir);
	else if (rep.state_pushed)
		printf("Pushed the state (serial %" PRIu64 ", lineage %s).\n", rep.serial, rep.lineage);
	else
		printf("The state (serial %" PRIu64 ", lineage %s) is there already.\n", rep.serial, rep.lineage);
	printf("Journal: %zu record%s read, %zu pushed, %zu there already%s.\n", rep.records,
	       rep.records == 1 ? "" : "s", rep.inserted, rep.records - rep.inserted,
	       rep.damaged ? " (damaged lines skipped, see the warnings)" : "");
	printf("From state directory '%s' into %s.\n", dir, sk_backend_name(b));
	rc = SK_EXIT_OK;
done:
	sk_backend_close(b);
	free(dir);
	return rc;
}

int cmd_state(struct sk_cli *cli)
{
	if (cli->argc < 1)
		return sk_cli_usage(cli, "state needs a subcommand: push. See 'snapkeep state --help'.");
	if (strcmp(cli->argv[0], "push"))
		return sk_cli_usage(cli, "'%s' is not a state subcommand (push). See 'snapkeep state --help'.",
				    cli->argv[0]);
	if (cli->argc > 1)
		return sk_cli_usage(cli, "unexpected argument '%s'. See 'snapkeep state --help'.", cli->argv[1]);
	return push(cli);
}
