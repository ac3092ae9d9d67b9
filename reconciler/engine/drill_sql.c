/*
 * drill_sql.c - a restore drill's checks over libpq
 *
 * One connection for all checks (sslmode=prefer, connect_timeout), the
 * session read-only, in UTC, with statement_timeout set: a check can
 * neither change the restored data nor run longer than the policy
 * allows.  A check reads the first column of the first row its query
 * returns; a timestamp for notOlderThanSnapshotBy is turned into a Unix
 * time by the server itself (its own format, its own parser).  Failures
 * become the check's one-line message: libpq's and the server's texts
 * with newlines folded, plus the SQLSTATE.
 */
#include "reconciler/engine/drill_sql.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "state/fileio.h"

#define MAX_PASSWORD_FILE 4096
#define MAX_VALUE_SHOWN 80
#define SQLSTATE_QUERY_CANCELED "57014"

int sk_drill_password(char **out, const struct sk_policy_drill *d)
{
	struct sk_buf b = SK_BUF_INIT;
	const char *v;
	char *nl;
	int rc;

	*out = NULL;
	if (d->password_env) {
		if (!(v = getenv(d->password_env)))
			return sk_error_set(SK_ERR_CONFIG, "drill password: environment variable '%s' is not set",
					    d->password_env);
		if (!(*out = sk_strdup(v)))
			return sk_error_set_oom();
		return 0;
	}
	if (!d->password_file)
		return sk_error_set(SK_ERR_CONFIG, "drill password: the policy names neither passwordEnv nor passwordFile");
	if ((rc = sk_file_read_all(&b, d->password_file, MAX_PASSWORD_FILE)) < 0) {
		sk_buf_cleanse_free(&b);
		if (rc == SK_ENOTFOUND)
			return sk_error_set(SK_ERR_CONFIG, "drill password: file '%s' does not exist", d->password_file);
		return sk_error_prefix("drill password");
	}
	if (sk_buf_addc(&b, '\0') < 0) {
		sk_buf_cleanse_free(&b);
		return sk_error_set_oom();
	}
	if ((nl = strpbrk(b.ptr, "\r\n")))
		*nl = '\0';
	*out = sk_strdup(b.ptr);
	sk_buf_cleanse_free(&b);
	return *out ? 0 : sk_error_set_oom();
}

void sk_drill_check_result_clear(struct sk_drill_check_result *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->value);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

/* text on one line: newlines and tabs folded, runs of blanks squeezed, trailing ones dropped */
static void one_line(struct sk_buf *out, const char *s)
{
	bool blank = false;

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			blank = out->len > 0;
			continue;
		}
		if (blank)
			sk_buf_addc(out, ' ');
		blank = false;
		sk_buf_addc(out, c < 0x20 ? '?' : (char)c);
	}
}

static int set_message(struct sk_drill_check_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int set_message(struct sk_drill_check_result *r, const char *fmt, ...)
{
	struct sk_buf line = SK_BUF_INIT;
	va_list ap;
	char *raw;

	va_start(ap, fmt);
	raw = sk_buf_vstrfmt(fmt, ap);
	va_end(ap);
	one_line(&line, raw);
	free(raw);
	free(r->message);
	r->message = raw ? sk_buf_detach(&line) : NULL;
	sk_buf_free(&line);
	return r->message ? 0 : sk_error_set_oom();
}

/* a failed check: 1, or SK_ERROR when its message could not be set */
static int failed(int rc)
{
	return rc < 0 ? rc : 1;
}

/* the value as messages quote it */
static const char *shown(char out[MAX_VALUE_SHOWN + 8], const char *v)
{
	size_t n = strlen(v);

	if (n <= MAX_VALUE_SHOWN) {
		snprintf(out, MAX_VALUE_SHOWN + 8, "%s", v);
	} else {
		memcpy(out, v, MAX_VALUE_SHOWN);
		memcpy(out + MAX_VALUE_SHOWN, "...", 4);
	}
	return out;
}

static bool parse_number(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && isfinite(*out);
}

void sk_drill_format_seconds(char out[32], int64_t secs)
{
	if (secs < 0)
		snprintf(out, 32, "-");
	else if (secs >= 3600)
		snprintf(out, 32, "%lldh%02lldm", (long long)(secs / 3600), (long long)(secs % 3600 / 60));
	else if (secs >= 60)
		snprintf(out, 32, "%lldm%02llds", (long long)(secs / 60), (long long)(secs % 60));
	else
		snprintf(out, 32, "%llds", (long long)secs);
}

/* the server's own reading of a timestamp it printed (timestamptz or timestamp, in UTC) */
static int server_epoch(PGconn *pg, const char *value, int64_t *out, struct sk_drill_check_result *r)
{
	const char *params[1] = { value };
	PGresult *res = PQexecParams(pg, "SELECT extract(epoch FROM $1::timestamptz)::float8", 1, NULL, params, NULL,
				     NULL, 0);
	double secs;
	int rc = -1;
	char v[MAX_VALUE_SHOWN + 8];

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1 || PQgetisnull(res, 0, 0) ||
	    !parse_number(PQgetvalue(res, 0, 0), &secs)) {
		rc = set_message(r, "expected a timestamp, got '%s'", shown(v, value));
		PQclear(res);
		return failed(rc);
	}
	*out = (int64_t)floor(secs);
	PQclear(res);
	return 0;
}

/* judges value (not NULL) against the check; 0 passed, 1 failed (message set), SK_ERROR out of memory */
static int judge(PGconn *pg, const struct sk_drill_check *c, const char *value, int64_t snapshot_time,
		 struct sk_drill_check_result *r)
{
	char v[MAX_VALUE_SHOWN + 8], age[32], limit[32];
	double x, want;
	int rc;

	switch (c->kind) {
	case SK_DRILL_AT_LEAST:
		if (!parse_number(value, &x))
			return failed(set_message(r, "expected a number at least %g, got '%s'", c->at_least, shown(v, value)));
		if (x < c->at_least)
			return failed(set_message(r, "expected at least %g, got %s", c->at_least, shown(v, value)));
		return set_message(r, "%s >= %g", shown(v, value), c->at_least);
	case SK_DRILL_EXPECT:
		if (c->expect_bool >= 0) {
			int b = !strcmp(value, "t") || !strcmp(value, "true")	 ? 1
				: !strcmp(value, "f") || !strcmp(value, "false") ? 0
										 : -1;

			if (b != c->expect_bool)
				return failed(set_message(r, "expected %s, got '%s'", c->expect_bool ? "true" : "false",
						   shown(v, value)));
			return set_message(r, "%s as expected", c->expect_bool ? "true" : "false");
		}
		if (strcmp(value, c->expect) != 0 &&
		    !(parse_number(value, &x) && parse_number(c->expect, &want) && x == want))
			return failed(set_message(r, "expected '%s', got '%s'", c->expect, shown(v, value)));
		return set_message(r, "'%s' as expected", shown(v, value));
	case SK_DRILL_FRESH:
		if ((rc = server_epoch(pg, value, &r->value_time, r)) != 0)
			return rc;
		/* rows written while the backup was taken can be newer than its time: no data lost */
		r->rpo = snapshot_time > r->value_time ? snapshot_time - r->value_time : 0;
		sk_drill_format_seconds(age, r->rpo);
		sk_drill_format_seconds(limit, c->max_age);
		if (r->rpo > c->max_age)
			return failed(set_message(r, "newest value %s is %s older than the backup, more than %s", shown(v, value),
					   age, limit));
		return set_message(r, "newest value %s is %s older than the backup (at most %s)", shown(v, value), age,
				   limit);
	}
	return failed(set_message(r, "unknown kind of check"));
}

/* runs one check; 0 passed, 1 failed, SK_ERROR out of memory */
static int run_check(PGconn *pg, const struct sk_drill_check *c, int64_t statement_timeout, int64_t snapshot_time,
		     struct sk_drill_check_result *r)
{
	int64_t t0 = sk_time_mono_ms();
	PGresult *res = PQexec(pg, c->sql);
	ExecStatusType st = PQresultStatus(res);
	int rc;

	r->ms = sk_time_mono_ms() - t0;
	if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR || !res) {
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

		if (state && !strcmp(state, SQLSTATE_QUERY_CANCELED))
			rc = set_message(r, "query timed out after %llds (statementTimeout)",
					 (long long)statement_timeout);
		else if (state)
			rc = set_message(r, "query failed: %s (SQLSTATE %s)", primary ? primary : "", state);
		else
			rc = set_message(r, "query failed: %s", PQerrorMessage(pg));
		PQclear(res);
		return failed(rc);
	}
	if (st != PGRES_TUPLES_OK || PQntuples(res) < 1 || PQnfields(res) < 1) {
		rc = set_message(r, "query returned no rows");
		PQclear(res);
		return failed(rc);
	}
	if (PQgetisnull(res, 0, 0)) {
		rc = set_message(r, "query returned NULL");
		PQclear(res);
		return failed(rc);
	}
	if (!(r->value = sk_strdup(PQgetvalue(res, 0, 0)))) {
		PQclear(res);
		return sk_error_set_oom();
	}
	PQclear(res);
	return judge(pg, c, r->value, snapshot_time, r);
}

static PGconn *connect_pg(const struct sk_drill_conn *o, int64_t statement_timeout)
{
	const char *keys[10], *vals[10];
	char port[16], ct[16], options[96];
	size_t n = 0;

	snprintf(port, sizeof(port), "%d", o->port);
	snprintf(ct, sizeof(ct), "%d", o->connect_timeout > 0 ? o->connect_timeout : 10);
	snprintf(options, sizeof(options),
		 "-c statement_timeout=%lld -c default_transaction_read_only=on -c TimeZone=UTC",
		 (long long)statement_timeout * 1000);
	keys[n] = "host", vals[n++] = o->host;
	keys[n] = "port", vals[n++] = port;
	keys[n] = "dbname", vals[n++] = o->database;
	keys[n] = "user", vals[n++] = o->user;
	keys[n] = "connect_timeout", vals[n++] = ct;
	keys[n] = "sslmode", vals[n++] = o->sslmode ? o->sslmode : "prefer";
	keys[n] = "options", vals[n++] = options;
	keys[n] = "application_name", vals[n++] = "snapkeep-drill";
	if (o->password)
		keys[n] = "password", vals[n++] = o->password;
	keys[n] = NULL, vals[n] = NULL;
	return PQconnectdbParams(keys, vals, 0);
}

int sk_drill_sql_run(struct sk_drill_check_result *out, const struct sk_drill_conn *o,
		     const struct sk_drill_check *checks, size_t n, int64_t snapshot_time)
{
	int64_t stmt = o->statement_timeout > 0 ? o->statement_timeout : 60;
	struct sk_buf why = SK_BUF_INIT;
	PGconn *pg = NULL;
	int passed = 0, rc = 0;

	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].rpo = -1;
		if (!(out[i].name = sk_strdup(checks[i].name)))
			rc = sk_error_set_oom();
	}
	if (rc < 0)
		goto done;
	if (!o->host || !*o->host) {
		sk_buf_adds(&why, "the restored instance has no endpoint");
	} else {
		pg = connect_pg(o, stmt);
		if (!pg || PQstatus(pg) != CONNECTION_OK)
			sk_buf_printf(&why, "cannot connect to %s:%d database '%s' as '%s': %s", o->host, o->port,
				      o->database, o->user, pg ? PQerrorMessage(pg) : "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct sk_drill_check_result *r = &out[i];

		if (why.len) {
			rc = set_message(r, "%s", sk_buf_cstr(&why));
		} else if (PQstatus(pg) != CONNECTION_OK) {
			rc = set_message(r, "connection lost before this check: %s", PQerrorMessage(pg));
		} else {
			rc = run_check(pg, &checks[i], stmt, snapshot_time, r);
			if (rc == 0) {
				r->passed = true;
				passed++;
			}
		}
		if (rc < 0)
			goto done;
		rc = 0;
	}
done:
	if (pg)
		PQfinish(pg);
	sk_buf_free(&why);
	return rc < 0 ? rc : passed;
}
