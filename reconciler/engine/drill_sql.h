/*
 * drill_sql.h - a restore drill's checks: connect to the restored
 * PostgreSQL with libpq, run each check's query and judge its answer
 *
 * The password comes only from where the policy says (an environment
 * variable or a file) and goes only to libpq: it is wiped after use and
 * never reaches a result, a log line or an error.  Every way a check can
 * go wrong (no connection, a wrong password, invalid SQL, a statement
 * timeout, a wrong answer) is a failed check with one line saying why,
 * never an error of the drill itself.
 */
#ifndef SK_DRILL_SQL_H
#define SK_DRILL_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "specs/policy.h"

struct sk_drill_conn {
	const char *host;
	int port;
	const char *database;
	const char *user;
	const char *password;      /* NULL: none */
	int connect_timeout;       /* seconds; 0: 10 */
	int64_t statement_timeout; /* seconds, per check; 0: 60 */
	const char *sslmode;       /* NULL: "prefer" (TLS as the endpoint offers) */
};

#define SK_DRILL_CONN_INIT                                                                                 \
	{ .host = NULL, .port = 5432, .database = NULL, .user = NULL, .password = NULL, .connect_timeout = 0, \
	  .statement_timeout = 0, .sslmode = NULL }

struct sk_drill_check_result {
	char *name;
	bool passed;
	char *value;       /* the first column of the first row as text, or NULL */
	char *message;     /* one line: what was expected and what came, or why nothing came */
	int64_t value_time; /* notOlderThanSnapshotBy: the value as a Unix time; 0 otherwise */
	int64_t rpo;        /* notOlderThanSnapshotBy: snapshot time - value_time (seconds); -1 otherwise */
	int64_t ms;         /* the query's wall time */
};

/*
 * The password a drill's connect block names: the environment variable's
 * value, or the file's first line.  *out is NULL-free and must be freed
 * with sk_str_cleanse_free().  Errors name the variable or file, never a
 * value.
 */
int sk_drill_password(char **out, const struct sk_policy_drill *d);

/*
 * Runs the checks against o and fills out[0..n) (each freed with
 * sk_drill_check_result_clear()).  snapshot_time is the restored backup's
 * time (notOlderThanSnapshotBy compares with it).  Returns the number of
 * checks that passed; never fails but for out of memory (SK_ERROR).
 */
int sk_drill_sql_run(struct sk_drill_check_result *out, const struct sk_drill_conn *o,
		     const struct sk_drill_check *checks, size_t n, int64_t snapshot_time);

void sk_drill_check_result_clear(struct sk_drill_check_result *r);

/* a duration as drills print it: "45s", "4m12s", "1h05m"; "-" for a negative (unmeasured) one */
void sk_drill_format_seconds(char out[32], int64_t secs);

#endif
