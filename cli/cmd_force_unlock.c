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

/* the state directory's own lock, as before backends */
static int dir_force_unlock(struct sk_cli *cli)
{
	struct sk_lock_holder h;
	char who[512];
	char *dir = NULL;
	int rc = SK_EXIT_ERROR, e;

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
	e = sk_lock_force_unlock(&h, dir);
	if (e == SK_ENOTFOUND) {
		printf("No lock is held in '%s'; nothing to clear.\n", dir);
		rc = SK_EXIT_OK;
	} else if (e == 0) {
		sk_lock_holder_describe(who, sizeof(who), &h);
		printf("Cleared the lock record of %s in '%s': that process is gone.\n"
		       "The next apply resolves any call it left unfinished (see 'snapkeep history').\n",
		       who, dir);
		rc = SK_EXIT_OK;
	} else {
		rc = sk_cli_fail();
	}
done:
	free(dir);
	return rc;
}

int cmd_force_unlock(struct sk_cli *cli)
{
	struct sk_backend_opts bo = SK_BACKEND_OPTS_INIT;
	struct sk_backend *b = NULL;
	struct sk_lock_holder h;
	const char *region = NULL, *account = NULL;
	char who[512], what[160];
	int rc = SK_EXIT_ERROR, e;

	if (cli->argc > 0)
		return sk_cli_usage(cli, "unexpected argument '%s'. See 'snapkeep force-unlock --help'.", cli->argv[0]);
	if (cli->n_regions > 1)
		return sk_cli_usage(cli, "force-unlock clears one shard's lock at a time: give one --region");
	if (cli->account && !cli->n_regions)
		return sk_cli_usage(cli, "--account names a shard with --region");
	bo.spec = sk_backend_choose(NULL, NULL);
	bo.state_dir = cli->state_dir;
	bo.create = false;
	if (!cli->n_regions && !(bo.spec && sk_backend_is_pg(bo.spec)))
		return dir_force_unlock(cli);
	if (cli->n_regions) {
		region = cli->regions[0];
		account = cli->account ? cli->account : "";
		snprintf(what, sizeof(what), "shard '%s%s%s'", account, *account ? "/" : "", region);
	} else {
		snprintf(what, sizeof(what), "the state lock");
	}
	if (sk_backend_open(&b, &bo) < 0)
		return sk_cli_fail();
	e = sk_backend_force_unlock(&h, b, account, region);
	if (e == SK_ENOTFOUND) {
		printf("No holder of %s is recorded in %s; nothing to clear.\n", what, sk_backend_name(b));
		rc = SK_EXIT_OK;
	} else if (e == 0) {
		sk_lock_holder_describe(who, sizeof(who), &h);
		printf("Cleared the record of %s holding %s in %s: that process is gone.\n"
		       "The next apply or run resolves any call it left unfinished (see 'snapkeep history').\n",
		       who, what, sk_backend_name(b));
		rc = SK_EXIT_OK;
	} else {
		rc = sk_cli_fail();
	}
	sk_backend_close(b);
	return rc;
}
