/*
 * cmd_force_unlock.c - snapkeep force-unlock: clear a lock whose holder is gone
 *
 * The lock is an flock(2) the kernel drops when its holder dies, so a
 * crashed run never blocks the next one; what it leaves is its holder
 * record.  force-unlock clears that record when nobody holds the lock, and
 * refuses (exit 1, naming the holder) while a live process does.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "cli/cli.h"
#include "state/backend.h"
#include "state/lock.h"
#include "state/statedir.h"

int cmd_force_unlock(struct sk_cli *cli)
{
	struct sk_lock_holder h;
	struct sk_backend *b = NULL;
	char who[768];
	char *dir = NULL;
	int rc = SK_EXIT_ERROR, e;

	if (cli->argc > 0)
		return sk_cli_usage(cli, "unexpected argument '%s'. See 'snapkeep force-unlock --help'.", cli->argv[0]);
	if (!cli->state_backend) {
		if (sk_statedir_resolve(&dir, cli->state_dir) < 0)
			return sk_cli_fail();
		e = sk_statedir_exists(dir);
		if (e == SK_ENOTFOUND) {
			printf("No lock to clear: the state directory '%s' does not exist.\n", dir);
			rc = SK_EXIT_OK;
			goto done;
		}
		if (e < 0) {
			rc = sk_cli_fail();
			goto done;
		}
	}
	if (sk_cli_open_backend(&b, cli, false) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	e = sk_backend_force_unlock(&h, b, NULL, NULL);
	if (e == SK_ENOTFOUND) {
		printf("No lock is held in %s; nothing to clear.\n", sk_backend_name(b));
		rc = SK_EXIT_OK;
	} else if (e == 0) {
		sk_lock_holder_describe(who, sizeof(who), &h);
		printf("Cleared the lock record of %s in %s: that process is gone.\n"
		       "The next apply resolves any call it left unfinished (see 'snapkeep history').\n",
		       who, sk_backend_name(b));
		rc = SK_EXIT_OK;
	} else {
		rc = sk_cli_fail();
	}
done:
	sk_backend_close(b);
	free(dir);
	return rc;
}
