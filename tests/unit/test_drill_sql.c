/*
 * test_drill_sql.c - a drill's checks against a real PostgreSQL 15
 * (tests/unit/pg_fixture.h): each kind of check passing and failing, and
 * each way a check cannot be answered (invalid SQL, a statement timeout,
 * a wrong password, no server) as a failed check with one clear line
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pg_fixture.h"

#include "common/error.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/engine/drill_sql.h"

#define PASSWORD "drill-S3cret-pw"
#define T_NEWEST 1767225600 /* 2026-01-01T00:00:00Z, the newest created_at */

static struct pgfx pg;
static bool have_pg;

static int group_setup(void **state)
{
	(void)state;
	if (!pgfx_available()) {
		fprintf(stderr, "# PostgreSQL 15 is not installed (make deps): skipping\n");
		return 0;
	}
	if (pgfx_start(&pg) < 0)
		return -1;
	if (pgfx_psql(&pg, "postgres",
		      "CREATE ROLE drill LOGIN PASSWORD '" PASSWORD "'", NULL, 0) != 0 ||
	    pgfx_psql(&pg, "postgres", "CREATE DATABASE shop OWNER drill", NULL, 0) != 0 ||
	    pgfx_psql(&pg, "shop",
		      "SET ROLE drill;"
		      "CREATE TABLE books (id int PRIMARY KEY, title text, price numeric, created_at timestamptz,"
		      " added timestamp);"
		      "INSERT INTO books VALUES (1, 'Dune', 9.5, '2025-12-31 12:00:00+00', '2025-12-31 12:00:00'),"
		      " (2, 'Emma', 4, '2026-01-01 00:00:00+00', '2026-01-01 00:00:00'),"
		      " (3, 'Ulysses', 12, '2025-12-01 00:00:00+00', '2025-12-01 00:00:00');",
		      NULL, 0) != 0) {
		pgfx_print_log(&pg);
		return -1;
	}
	have_pg = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pgfx_stop(&pg);
	return 0;
}

static struct sk_drill_conn conn(const char *password)
{
	struct sk_drill_conn c = SK_DRILL_CONN_INIT;

	c.host = "127.0.0.1";
	c.port = pg.port;
	c.database = "shop";
	c.user = "drill";
	c.password = password;
	c.connect_timeout = 5;
	c.statement_timeout = 2;
	return c;
}

static struct sk_drill_check at_least(const char *name, const char *sql, double n)
{
	struct sk_drill_check c = { .name = (char *)name, .sql = (char *)sql, .kind = SK_DRILL_AT_LEAST, .at_least = n,
				    .expect_bool = -1 };
	return c;
}

static struct sk_drill_check expect(const char *name, const char *sql, const char *v, int b)
{
	struct sk_drill_check c = { .name = (char *)name, .sql = (char *)sql, .kind = SK_DRILL_EXPECT,
				    .expect = (char *)v, .expect_bool = b };
	return c;
}

static struct sk_drill_check fresh(const char *name, const char *sql, int64_t max_age)
{
	struct sk_drill_check c = { .name = (char *)name, .sql = (char *)sql, .kind = SK_DRILL_FRESH,
				    .max_age = max_age, .expect_bool = -1 };
	return c;
}

#define NEED_PG()                  \
	do {                       \
		if (!have_pg)      \
			skip();    \
	} while (0)

static void clear(struct sk_drill_check_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sk_drill_check_result_clear(&r[i]);
}

static void test_drill_sql_every_kind_passes_and_measures_rpo(void **state)
{
	struct sk_drill_check checks[] = {
		at_least("books present", "SELECT count(*) FROM books", 3),
		expect("invariants", "SELECT bool_and(price >= 0) FROM books", "true", 1),
		expect("first title", "SELECT title FROM books ORDER BY id LIMIT 1", "Dune", -1),
		expect("sum", "SELECT sum(price) FROM books", "25.50", -1),
		fresh("fresh data", "SELECT max(created_at) FROM books", 26 * 3600),
		fresh("fresh local", "SELECT max(added) FROM books", 3600),
	};
	struct sk_drill_check_result r[6];
	struct sk_drill_conn c = conn(PASSWORD);

	(void)state;
	NEED_PG();
	assert_int_equal(sk_drill_sql_run(r, &c, checks, 6, T_NEWEST + 1800), 6);
	for (size_t i = 0; i < 6; i++) {
		assert_true(r[i].passed);
		assert_string_equal(r[i].name, checks[i].name);
	}
	assert_string_equal(r[0].value, "3");
	assert_string_equal(r[1].value, "t");
	assert_int_equal(r[4].value_time, T_NEWEST);
	assert_int_equal(r[4].rpo, 1800);
	assert_int_equal(r[5].rpo, 1800); /* timestamp without time zone: read in UTC */
	assert_int_equal(r[0].rpo, -1);
	assert_non_null(strstr(r[4].message, "30m00s older than the backup"));
	clear(r, 6);
}

static void test_drill_sql_wrong_answers_fail_saying_what_came(void **state)
{
	struct sk_drill_check checks[] = {
		at_least("many books", "SELECT count(*) FROM books", 100),
		expect("all cheap", "SELECT bool_and(price < 10) FROM books", "true", 1),
		expect("title", "SELECT title FROM books WHERE id = 2", "Dune", -1),
		fresh("too old", "SELECT max(created_at) FROM books", 3600),
		at_least("not a number", "SELECT title FROM books WHERE id = 1", 1),
		at_least("no rows", "SELECT id FROM books WHERE id < 0", 1),
		at_least("null", "SELECT max(id) FROM books WHERE id < 0", 1),
		fresh("not a time", "SELECT title FROM books WHERE id = 1", 3600),
	};
	struct sk_drill_check_result r[8];
	struct sk_drill_conn c = conn(PASSWORD);

	(void)state;
	NEED_PG();
	assert_int_equal(sk_drill_sql_run(r, &c, checks, 8, T_NEWEST + 7200), 0);
	assert_string_equal(r[0].message, "expected at least 100, got 3");
	assert_string_equal(r[1].message, "expected true, got 'f'");
	assert_string_equal(r[2].message, "expected 'Dune', got 'Emma'");
	assert_int_equal(r[3].rpo, 7200);
	assert_non_null(strstr(r[3].message, "2h00m older than the backup, more than 1h00m"));
	assert_string_equal(r[4].message, "expected a number at least 1, got 'Dune'");
	assert_string_equal(r[5].message, "query returned no rows");
	assert_string_equal(r[6].message, "query returned NULL");
	assert_string_equal(r[7].message, "expected a timestamp, got 'Dune'");
	for (size_t i = 0; i < 8; i++)
		assert_false(r[i].passed);
	clear(r, 8);
}

static void test_drill_sql_invalid_sql_and_timeout_fail_and_the_next_check_runs(void **state)
{
	struct sk_drill_check checks[] = {
		at_least("typo", "SELEC count(*) FROM books", 1),
		at_least("no table", "SELECT count(*) FROM nope", 1),
		at_least("slow", "SELECT count(*) FROM books, pg_sleep(5)", 1),
		at_least("writes refused", "DELETE FROM books RETURNING 1", 1),
		at_least("still there", "SELECT count(*) FROM books", 3),
	};
	struct sk_drill_check_result r[5];
	struct sk_drill_conn c = conn(PASSWORD);

	(void)state;
	NEED_PG();
	assert_int_equal(sk_drill_sql_run(r, &c, checks, 5, T_NEWEST), 1);
	assert_string_equal(r[0].message, "query failed: syntax error at or near \"SELEC\" (SQLSTATE 42601)");
	assert_string_equal(r[1].message, "query failed: relation \"nope\" does not exist (SQLSTATE 42P01)");
	assert_string_equal(r[2].message, "query timed out after 2s (statementTimeout)");
	assert_true(r[2].ms >= 1900 && r[2].ms < 4500);
	assert_string_equal(r[3].message,
			    "query failed: cannot execute DELETE in a read-only transaction (SQLSTATE 25006)");
	assert_true(r[4].passed);
	assert_string_equal(r[4].value, "3");
	clear(r, 5);
}

static void test_drill_sql_wrong_password_fails_every_check_without_the_password(void **state)
{
	struct sk_drill_check checks[] = { at_least("a", "SELECT 1", 1), at_least("b", "SELECT 2", 1) };
	struct sk_drill_check_result r[2];
	struct sk_drill_conn c = conn("not-the-" PASSWORD);

	(void)state;
	NEED_PG();
	assert_int_equal(sk_drill_sql_run(r, &c, checks, 2, T_NEWEST), 0);
	for (size_t i = 0; i < 2; i++) {
		assert_false(r[i].passed);
		assert_non_null(strstr(r[i].message, "cannot connect to 127.0.0.1:"));
		assert_non_null(strstr(r[i].message, "password authentication failed for user \"drill\""));
		assert_null(strstr(r[i].message, PASSWORD));
		assert_null(strchr(r[i].message, '\n'));
	}
	clear(r, 2);
	c.password = NULL;
	assert_int_equal(sk_drill_sql_run(r, &c, checks, 2, T_NEWEST), 0);
	assert_non_null(strstr(r[0].message, "password"));
	clear(r, 2);
}

static void test_drill_sql_unreachable_endpoint_fails_within_the_connect_timeout(void **state)
{
	struct sk_drill_check checks[] = { at_least("a", "SELECT 1", 1) };
	struct sk_drill_check_result r[1];
	struct sk_drill_conn c = conn(PASSWORD);
	int64_t t0 = sk_time_mono_ms();

	(void)state;
	c.port = pgfx_free_port();
	assert_int_equal(sk_drill_sql_run(r, &c, checks, 1, T_NEWEST), 0);
	assert_false(r[0].passed);
	assert_non_null(strstr(r[0].message, "cannot connect to 127.0.0.1:"));
	assert_non_null(strstr(r[0].message, "Connection refused"));
	assert_true(sk_time_mono_ms() - t0 < 6000);
	clear(r, 1);
	c.host = NULL;
	assert_int_equal(sk_drill_sql_run(r, &c, checks, 1, T_NEWEST), 0);
	assert_string_equal(r[0].message, "the restored instance has no endpoint");
	clear(r, 1);
}

static void test_drill_password_from_env_or_file_errors_name_the_source_only(void **state)
{
	struct sk_policy_drill d = { 0 };
	char path[] = "/tmp/sk-drill-pw-XXXXXX", *pw = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "file-secret\nsecond line\n", 24), 24);
	close(fd);
	d.password_env = "SK_TEST_DRILL_PW";
	unsetenv("SK_TEST_DRILL_PW");
	assert_int_equal(sk_drill_password(&pw, &d), SK_ERROR);
	assert_string_equal(sk_error_message(), "drill password: environment variable 'SK_TEST_DRILL_PW' is not set");
	setenv("SK_TEST_DRILL_PW", "env-secret", 1);
	assert_int_equal(sk_drill_password(&pw, &d), 0);
	assert_string_equal(pw, "env-secret");
	sk_str_cleanse_free(pw);
	d.password_env = NULL;
	d.password_file = path;
	assert_int_equal(sk_drill_password(&pw, &d), 0);
	assert_string_equal(pw, "file-secret");
	sk_str_cleanse_free(pw);
	unlink(path);
	assert_int_equal(sk_drill_password(&pw, &d), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), path));
	assert_null(strstr(sk_error_message(), "secret"));
	unsetenv("SK_TEST_DRILL_PW");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drill_sql_every_kind_passes_and_measures_rpo),
		cmocka_unit_test(test_drill_sql_wrong_answers_fail_saying_what_came),
		cmocka_unit_test(test_drill_sql_invalid_sql_and_timeout_fail_and_the_next_check_runs),
		cmocka_unit_test(test_drill_sql_wrong_password_fails_every_check_without_the_password),
		cmocka_unit_test(test_drill_sql_unreachable_endpoint_fails_within_the_connect_timeout),
		cmocka_unit_test(test_drill_password_from_env_or_file_errors_name_the_source_only),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
