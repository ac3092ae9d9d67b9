/*
 * cmd_force_unlock.c - snapkeep force-unlock: clear a lock whose holder is gone
 *
 * The state directory's lock is an flock(2) the kernel drops when its
 * holder dies, and a PostgreSQL lock is a session's advisory lock the
 * server drops with the session, so a crashed run never blocks the next
 * one; what it leaves is its holder record (the lock file's line, or a
 * row in snapkeep_locks).  force-unlock clears that record when nobody
 * holds the lock, and refuses (exit 1, naming the holder: host, pid and,
 * on PostgreSQL, its session) while a live process does.
 *
 * Without --region it is the whole-state lock (`apply`'s); with
 * --region R (and --account A) the shard (A, R) a `run` replica takes.
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
	const char *region = NULL, *account = NULL;
	char who[768], what[160] = "";
	char *dir = NULL;
	int rc = SK_EXIT_ERROR, e;

	if (cli->argc > 0)
		return sk_cli_usage(cli, "unexpected argument '%s'. See 'snapkeep force-unlock --help'.", cli->argv[0]);
	if (cli->n_regions > 1)
		return sk_cli_usage(cli, "force-unlock clears one shard's lock at a time: give one --region");
	if (cli->n_accounts && !cli->n_regions)
		return sk_cli_usage(cli, "--account names a shard with --region");
	if (cli->n_accounts > 1)
		return sk_cli_usage(cli, "force-unlock clears one shard's lock at a time: give one --account");
	if (cli->n_regions) {
		region = cli->regions[0];
		account = cli->n_accounts ? cli->accounts[0] : "";
		snprintf(what, sizeof(what), "shard '%s%s%s'", account, *account ? "/" : "", region);
	}
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
	e = sk_backend_force_unlock(&h, b, account, region);
	if (e == SK_ENOTFOUND) {
		if (what[0])
			printf("No holder of %s is recorded in %s; nothing to clear.\n", what, sk_backend_name(b));
		else
			printf("No lock is held in %s; nothing to clear.\n", sk_backend_name(b));
		rc = SK_EXIT_OK;
	} else if (e == 0) {
		sk_lock_holder_describe(who, sizeof(who), &h);
		printf("Cleared the lock record of %s%s%s in %s: that process is gone.\n"
		       "The next apply or run resolves any call it left unfinished (see 'snapkeep history').\n",
		       who, what[0] ? " holding " : "", what, sk_backend_name(b));
		rc = SK_EXIT_OK;
	} else {
		rc = sk_cli_fail();
	}
done:
	sk_backend_close(b);
	free(dir);
	return rc;
}
