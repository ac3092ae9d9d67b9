/*
 * backend_fixture.h - runs one set of unit tests on both state backends:
 * the state directory and a real PostgreSQL 15 (pg_fixture.h), started
 * once per test binary
 *
 *	const struct CMUnitTest tests[] = {
 *		cmocka_unit_test_setup_teardown(test_x, bfx_setup, bfx_teardown), ...
 *	};
 *	return bfx_run_both(tests, sizeof(tests) / sizeof(tests[0]));
 *
 * A test reads its struct bfx from *state: dir (a fresh scratch directory
 * for each test, the state directory of both backends) and spec (NULL on
 * the directory, the connection string on PostgreSQL, whose snapkeep
 * tables are dropped before each test).  bfx_open() opens the backend.
 * Without PostgreSQL installed, the second run skips every test.
 *
 * Header-only; include after <cmocka.h>.
 */
#ifndef SK_TEST_BACKEND_FIXTURE_H
#define SK_TEST_BACKEND_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/backend.h"
#include "pg_fixture.h"

#define BFX_FN static __attribute__((unused))
#define BFX_DB "snapkeep_test"

struct bfx {
	char dir[256];
	const char *spec; /* NULL: the directory */
	bool pg;
	char conninfo[256];
};

BFX_FN struct pgfx bfx_server;
BFX_FN bool bfx_pg_mode, bfx_pg_up;

BFX_FN void bfx_rm_rf(const char *dir)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* the connection string of the fixture's database, as user (NULL: the superuser) with password */
BFX_FN void bfx_conninfo(char *out, size_t len, const char *db, const char *user, const char *password)
{
	snprintf(out, len, "postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", user ? user : "postgres",
		 password ? password : PGFX_SUPERUSER_PASSWORD, bfx_server.port, db ? db : BFX_DB);
}

BFX_FN int bfx_group_dir(void **state)
{
	(void)state;
	bfx_pg_mode = false;
	return 0;
}

BFX_FN int bfx_group_pg(void **state)
{
	(void)state;
	bfx_pg_mode = true;
	if (bfx_pg_up)
		return 0;
	if (!pgfx_available()) {
		fprintf(stderr, "# PostgreSQL 15 is not installed (make deps): skipping the PostgreSQL backend\n");
		return 0;
	}
	if (pgfx_start(&bfx_server) < 0 || pgfx_psql(&bfx_server, "postgres", "CREATE DATABASE " BFX_DB, NULL, 0) != 0) {
		pgfx_print_log(&bfx_server);
		return -1;
	}
	bfx_pg_up = true;
	return 0;
}

BFX_FN int bfx_group_teardown(void **state)
{
	(void)state;
	return 0;
}

/* drops snapkeep's tables, so the next test starts from an empty database */
BFX_FN int bfx_pg_reset(void)
{
	return pgfx_psql(&bfx_server, BFX_DB,
			 "SET client_min_messages = warning; DROP TABLE IF EXISTS snapkeep_schema, snapkeep_state, snapkeep_journal, snapkeep_locks, "
			 "snapkeep_saved_plans CASCADE",
			 NULL, 0);
}

BFX_FN int bfx_setup(void **state)
{
	struct bfx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	*state = f;
	if (bfx_pg_mode && !bfx_pg_up)
		return 0; /* the test skips */
	snprintf(f->dir, sizeof(f->dir), "%s/sk-bfx-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	if (bfx_pg_mode) {
		f->pg = true;
		bfx_conninfo(f->conninfo, sizeof(f->conninfo), NULL, NULL, NULL);
		f->spec = f->conninfo;
		if (bfx_pg_reset() != 0)
			return -1;
	}
	return 0;
}

BFX_FN int bfx_teardown(void **state)
{
	struct bfx *f = *state;

	if (f && f->dir[0])
		bfx_rm_rf(f->dir);
	free(f);
	return 0;
}

/* the test's struct bfx; skips the test on PostgreSQL when it is not installed */
BFX_FN struct bfx *bfx_get(void **state)
{
	struct bfx *f = *state;

	if (bfx_pg_mode && !bfx_pg_up)
		skip();
	return f;
}

BFX_FN struct sk_backend *bfx_open(const struct bfx *f)
{
	struct sk_backend_opts o = SK_BACKEND_OPTS_INIT;
	struct sk_backend *b = NULL;

	o.spec = f->spec;
	o.state_dir = f->dir;
	if (sk_backend_open(&b, &o) < 0)
		fail_msg("cannot open the backend: %s", sk_error_message());
	return b;
}

/* runs tests on the directory, then on PostgreSQL; the failed count of both */
BFX_FN int bfx_run_both(const struct CMUnitTest *tests, size_t n)
{
	int failed = _cmocka_run_group_tests("directory", tests, n, bfx_group_dir, bfx_group_teardown);

	failed += _cmocka_run_group_tests("postgresql", tests, n, bfx_group_pg, bfx_group_teardown);
	return failed; /* the server stops at exit (pg_fixture.h) */
}

#endif
