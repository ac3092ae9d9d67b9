/*
 * pgstate.c - the PostgreSQL state backend's connection, schema and state rows
 */
#include "state/pgstate.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"

struct sk_pg {
	PGconn *conn;
	char *conninfo;
	char *password; /* from the string, to scrub messages; wiped on close */
	char name[1024];
	pthread_mutex_t mu;
	int schema; /* the version found (0: none) */
	int backend_pid;
};

/*
 * Migrations, one per version: migrations[v - 1] takes the schema from
 * v - 1 to v.  Never edit one that shipped: add the next.
 */
static const char *const migrations[] = {
	/* 1: state per shard, the journal, lock holders, saved plans */
	"CREATE TABLE snapkeep_state ("
	"  shard text PRIMARY KEY,"
	"  serial bigint NOT NULL,"
	"  lineage text NOT NULL,"
	"  state json NOT NULL,"
	"  updated_at timestamptz NOT NULL DEFAULT now());"
	"CREATE TABLE snapkeep_journal ("
	"  seq bigserial PRIMARY KEY,"
	"  id text NOT NULL UNIQUE,"
	"  type text NOT NULL,"
	"  intent text,"
	"  run_id text,"
	"  at timestamptz NOT NULL,"
	"  action text,"
	"  region text,"
	"  instance text,"
	"  target text,"
	"  policy text,"
	"  result text,"
	"  record json NOT NULL);"
	"CREATE INDEX snapkeep_journal_at ON snapkeep_journal (at);"
	"CREATE INDEX snapkeep_journal_instance ON snapkeep_journal (instance, at);"
	"CREATE INDEX snapkeep_journal_target ON snapkeep_journal (target, at);"
	"CREATE INDEX snapkeep_journal_action ON snapkeep_journal (action, at);"
	"CREATE INDEX snapkeep_journal_run ON snapkeep_journal (run_id);"
	"CREATE INDEX snapkeep_journal_intent ON snapkeep_journal (intent) WHERE intent IS NOT NULL;"
	"CREATE TABLE snapkeep_locks ("
	"  lock_key bigint PRIMARY KEY,"
	"  name text NOT NULL,"
	"  host text NOT NULL,"
	"  pid integer NOT NULL,"
	"  command text NOT NULL,"
	"  run_id text,"
	"  since timestamptz NOT NULL,"
	"  session_pid integer NOT NULL);"
	"CREATE TABLE snapkeep_saved_plans ("
	"  fingerprint text PRIMARY KEY,"
	"  commit text,"
	"  created_at timestamptz NOT NULL DEFAULT now(),"
	"  applied_at timestamptz,"
	"  applied_run text);",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(N_MIGRATIONS == SK_PG_SCHEMA_VERSION, "one migration per schema version");

/* the key of the transaction-level lock migrations take: SHA-256("snapkeep:migrate") as the shard keys are made */
static int64_t migrate_key(void)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	uint64_t k = 0;

	SHA256((const unsigned char *)"snapkeep:migrate", strlen("snapkeep:migrate"), md);
	for (int i = 0; i < 8; i++)
		k = k << 8 | md[i];
	return (int64_t)k;
}

/* ---- masking ---- */

static void mask_raw(char *out, size_t len, const char *s, char **password)
{
	struct sk_buf b = SK_BUF_INIT;
	const char *scheme = strstr(s, "://"), *p;

	if (password)
		*password = NULL;
	if (scheme) {
		const char *auth = scheme + 3, *slash = strchr(auth, '/'), *at = NULL, *colon;

		for (p = auth; *p && (!slash || p < slash); p++)
			if (*p == '@')
				at = p;
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			sk_buf_add(&b, s, (size_t)(colon - s));
			sk_buf_adds(&b, ":***");
			if (password)
				*password = strndup(colon + 1, (size_t)(at - colon - 1));
			s = at;
		}
	}
	/* password=... in a query or in "key=value" form */
	while ((p = strstr(s, "password="))) {
		size_t n = strcspn(p + 9, "& \t");

		sk_buf_add(&b, s, (size_t)(p + 9 - s));
		sk_buf_adds(&b, "***");
		if (password && !*password)
			*password = strndup(p + 9, n);
		s = p + 9 + n;
	}
	sk_buf_adds(&b, s);
	snprintf(out, len, "%s", b.ptr ? b.ptr : "");
	sk_buf_free(&b);
}

void sk_pg_mask(char *out, size_t len, const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL), *o;
	const char *user = NULL, *host = NULL, *port = NULL, *db = NULL, *ssl = NULL, *pass = NULL;
	struct sk_buf b = SK_BUF_INIT;

	if (!opts) {
		mask_raw(out, len, conninfo, NULL);
		return;
	}
	for (o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "user"))
			user = o->val;
		else if (!strcmp(o->keyword, "host") || (!host && !strcmp(o->keyword, "hostaddr")))
			host = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
		else if (!strcmp(o->keyword, "dbname"))
			db = o->val;
		else if (!strcmp(o->keyword, "sslmode"))
			ssl = o->val;
		else if (!strcmp(o->keyword, "password"))
			pass = o->val;
	}
	sk_buf_adds(&b, "postgres://");
	if (user || pass)
		sk_buf_printf(&b, "%s%s@", user ? user : "", pass ? ":***" : "");
	if (host && host[0] != '/')
		sk_buf_adds(&b, host);
	if (port)
		sk_buf_printf(&b, ":%s", port);
	sk_buf_printf(&b, "/%s", db ? db : "");
	if (host && host[0] == '/')
		sk_buf_printf(&b, "?host=%s", host);
	if (ssl)
		sk_buf_printf(&b, "%ssslmode=%s", host && host[0] == '/' ? "&" : "?", ssl);
	snprintf(out, len, "%s", b.ptr ? b.ptr : "");
	sk_buf_free(&b);
	PQconninfoFree(opts);
}

/* libpq's message as one line: "FATAL:  " and newlines dropped, the password never shown */
static void one_line(char *out, size_t len, const char *msg, const char *password)
{
	struct sk_buf b = SK_BUF_INIT;
	const char *p;

	for (p = msg ? msg : ""; *p;) {
		if (!strncmp(p, "FATAL:  ", 8) || !strncmp(p, "ERROR:  ", 8)) {
			p += 8;
			continue;
		}
		if (password && *password && !strncmp(p, password, strlen(password))) {
			sk_buf_adds(&b, "***");
			p += strlen(password);
			continue;
		}
		if (*p == '\n' || *p == '\t') {
			while (*p == '\n' || *p == '\t' || *p == ' ')
				p++;
			if (*p && b.len && b.ptr[b.len - 1] != ' ')
				sk_buf_adds(&b, "; ");
			continue;
		}
		sk_buf_addc(&b, *p++);
	}
	while (b.len && (b.ptr[b.len - 1] == ' ' || b.ptr[b.len - 1] == ';' || b.ptr[b.len - 1] == '.'))
		b.len--;
	snprintf(out, len, "%.*s", (int)b.len, b.ptr ? b.ptr : "");
	sk_buf_free(&b);
}

const char *sk_pg_name(const struct sk_pg *pg)
{
	return pg ? pg->name : "PostgreSQL";
}

bool sk_pg_has_schema(const struct sk_pg *pg)
{
	return pg && pg->schema > 0;
}

int sk_pg_schema_version(const struct sk_pg *pg)
{
	return pg ? pg->schema : 0;
}

int sk_pg_backend_pid(const struct sk_pg *pg)
{
	return pg ? pg->backend_pid : 0;
}

void sk_pg_lock(struct sk_pg *pg)
{
	pthread_mutex_lock(&pg->mu);
}

void sk_pg_unlock(struct sk_pg *pg)
{
	pthread_mutex_unlock(&pg->mu);
}

PGconn *sk_pg_conn(struct sk_pg *pg)
{
	return pg->conn;
}

int sk_pg_fail(struct sk_pg *pg, const char *what, const PGresult *res)
{
	char msg[1024];

	/* the primary message only: PostgreSQL's "LINE 1: ..." would echo the statement */
	one_line(msg, sizeof(msg), res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL, pg->password);
	if (!msg[0])
		one_line(msg, sizeof(msg), PQerrorMessage(pg->conn), pg->password);
	if (PQstatus(pg->conn) == CONNECTION_BAD)
		return sk_error_set(SK_ERR_STATE, "%s is unavailable: %s", pg->name,
				    msg[0] ? msg : "the connection was lost");
	return sk_error_set(SK_ERR_STATE, "%s: %s: %s", pg->name, what, msg[0] ? msg : "failed");
}

int sk_pg_exec_locked(PGresult **out, struct sk_pg *pg, const char *what, const char *sql, int n,
		      const char *const *params)
{
	PGresult *res;
	ExecStatusType st;

	if (out)
		*out = NULL;
	if (PQstatus(pg->conn) == CONNECTION_BAD)
		return sk_pg_fail(pg, what, NULL);
	res = n ? PQexecParams(pg->conn, sql, n, NULL, params, NULL, NULL, 0) : PQexec(pg->conn, sql);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		sk_pg_fail(pg, what, res);
		PQclear(res);
		return -1;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return 0;
}

int sk_pg_exec(PGresult **out, struct sk_pg *pg, const char *what, const char *sql, int n,
	       const char *const *params)
{
	int rc;

	sk_pg_lock(pg);
	rc = sk_pg_exec_locked(out, pg, what, sql, n, params);
	sk_pg_unlock(pg);
	return rc;
}

/* ---- schema ---- */

/* the version, in two statements: snapkeep_schema may not exist */
static int schema_version(struct sk_pg *pg, int *version)
{
	PGresult *res = NULL;

	*version = 0;
	if (sk_pg_exec_locked(&res, pg, "cannot read the schema version",
			      "SELECT to_regclass('snapkeep_schema') IS NOT NULL", 0, NULL) < 0)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t")) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	if (sk_pg_exec_locked(&res, pg, "cannot read the schema version",
			      "SELECT coalesce(max(version), 0) FROM snapkeep_schema", 0, NULL) < 0)
		return -1;
	*version = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int newer_error(struct sk_pg *pg, int found)
{
	return sk_error_set(SK_ERR_STATE,
			    "%s holds snapkeep schema version %d, newer than this snapkeep knows (%d); upgrade "
			    "snapkeep; nothing was changed",
			    pg->name, found, SK_PG_SCHEMA_VERSION);
}

/* creates or migrates the schema in one transaction; nothing is left of a failed one */
static int migrate(struct sk_pg *pg)
{
	char key[32], ver[16];
	const char *params[2];
	int found, v;

	snprintf(key, sizeof(key), "%" PRId64, migrate_key());
	params[0] = key;
	if (sk_pg_exec_locked(NULL, pg, "cannot begin the migration", "BEGIN", 0, NULL) < 0)
		return -1;
	if (sk_pg_exec_locked(NULL, pg, "cannot lock the schema", "SELECT pg_advisory_xact_lock($1::bigint)", 1,
			      params) < 0 ||
	    schema_version(pg, &found) < 0)
		goto fail;
	if (found > SK_PG_SCHEMA_VERSION) {
		newer_error(pg, found);
		goto fail;
	}
	if (found == 0 &&
	    sk_pg_exec_locked(NULL, pg, "cannot create snapkeep's tables",
			      "CREATE TABLE snapkeep_schema (version integer PRIMARY KEY, "
			      "migrated_at timestamptz NOT NULL DEFAULT now(), snapkeep text NOT NULL)",
			      0, NULL) < 0)
		goto fail;
	for (v = found + 1; v <= SK_PG_SCHEMA_VERSION; v++) {
		char what[64];

		snprintf(what, sizeof(what), "cannot migrate the schema to version %d", v);
		snprintf(ver, sizeof(ver), "%d", v);
		params[0] = ver;
		params[1] = SK_VERSION;
		if (sk_pg_exec_locked(NULL, pg, what, migrations[v - 1], 0, NULL) < 0 ||
		    sk_pg_exec_locked(NULL, pg, what, "INSERT INTO snapkeep_schema (version, snapkeep) VALUES ($1, $2)",
				      2, params) < 0)
			goto fail;
	}
	if (sk_pg_exec_locked(NULL, pg, "cannot commit the migration", "COMMIT", 0, NULL) < 0)
		goto fail;
	if (found < SK_PG_SCHEMA_VERSION)
		sk_info("%s: schema %s version %d", pg->name, found ? "migrated to" : "created at", SK_PG_SCHEMA_VERSION);
	pg->schema = SK_PG_SCHEMA_VERSION;
	return 0;
fail:
	if (PQstatus(pg->conn) == CONNECTION_OK) {
		PGresult *r = PQexec(pg->conn, "ROLLBACK");
		PQclear(r);
	}
	return -1;
}

/*
 * Why a connection failed, in words that say what to do: the server could
 * not be reached (down: the run loop tries again next cycle), it refused
 * the login, or the string names something that is not there.
 */
static int connect_error(struct sk_pg *pg, const char *msg)
{
	static const char *const down[] = { "Connection refused", "could not connect", "timeout expired",
					    "could not translate host name", "No route to host", "Network is unreachable",
					    "server closed the connection", "the database system is starting up",
					    "the database system is shutting down", "Connection reset",
					    "could not receive data" };
	static const char *const login[] = { "password authentication failed", "no password supplied",
					     "authentication failed", "pg_hba.conf" };

	for (size_t i = 0; i < sizeof(down) / sizeof(down[0]); i++)
		if (strstr(msg, down[i]))
			return sk_error_set(SK_ERR_STATE, "%s is unavailable: %s", pg->name, msg);
	for (size_t i = 0; i < sizeof(login) / sizeof(login[0]); i++)
		if (strstr(msg, login[i]))
			return sk_error_set(SK_ERR_STATE,
					    "%s refused the login: %s (the password comes from the string, PGPASSWORD or "
					    "the password file)",
					    pg->name, msg);
	return sk_error_set(SK_ERR_STATE, "cannot connect to %s: %s", pg->name, msg);
}

static int connect_db(struct sk_pg *pg)
{
	const char *keys[] = { "dbname", "fallback_application_name", "connect_timeout", NULL };
	const char *vals[] = { pg->conninfo, "snapkeep", "10", NULL };
	char msg[1024];

	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn)
		return sk_error_set_oom();
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		one_line(msg, sizeof(msg), PQerrorMessage(pg->conn), pg->password);
		return connect_error(pg, msg);
	}
	pg->backend_pid = PQbackendPID(pg->conn);
	return 0;
}

int sk_pg_open(struct sk_pg **out, const char *conninfo, bool create)
{
	struct sk_pg *pg;
	char masked[900], *errmsg = NULL, msg[1024];
	PQconninfoOption *opts = NULL;
	int version;

	*out = NULL;
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return sk_error_set_oom();
	pthread_mutex_init(&pg->mu, NULL);
	sk_pg_mask(masked, sizeof(masked), conninfo);
	snprintf(pg->name, sizeof(pg->name), "PostgreSQL '%s'", masked);
	mask_raw(msg, sizeof(msg), conninfo, &pg->password);
	pg->conninfo = strdup(conninfo);
	if (!pg->conninfo) {
		sk_error_set_oom();
		goto fail;
	}
	opts = PQconninfoParse(conninfo, &errmsg);
	if (!opts) {
		char why[512];

		one_line(why, sizeof(why), errmsg ? errmsg : "out of memory", pg->password);
		sk_error_set(SK_ERR_STATE, "state backend '%s' is not a valid PostgreSQL connection string: %s", msg,
			     why);
		PQfreemem(errmsg);
		goto fail;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val && !pg->password)
			pg->password = strdup(o->val);
	PQconninfoFree(opts);
	if (connect_db(pg) < 0)
		goto fail;
	sk_pg_lock(pg);
	if (schema_version(pg, &version) < 0) {
		sk_pg_unlock(pg);
		goto fail;
	}
	pg->schema = version;
	if (version > SK_PG_SCHEMA_VERSION) {
		sk_pg_unlock(pg);
		newer_error(pg, version);
		goto fail;
	}
	if (create && version < SK_PG_SCHEMA_VERSION && migrate(pg) < 0) {
		sk_pg_unlock(pg);
		if (strstr(sk_error_message(), "permission denied")) {
			char keep[SK_ERROR_MAX];

			sk_strlcpy(keep, sk_error_message(), sizeof(keep));
			sk_error_set(SK_ERR_STATE,
				     "%s; snapkeep creates its tables on first use: grant CREATE on the schema to its "
				     "user, or run it once as the database's owner; nothing was written",
				     keep);
		}
		goto fail;
	}
	sk_pg_unlock(pg);
	*out = pg;
	return 0;
fail:
	sk_pg_close(pg);
	return -1;
}

void sk_pg_close(struct sk_pg *pg)
{
	if (!pg)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	if (pg->conninfo) {
		OPENSSL_cleanse(pg->conninfo, strlen(pg->conninfo));
		free(pg->conninfo);
	}
	if (pg->password) {
		OPENSSL_cleanse(pg->password, strlen(pg->password));
		free(pg->password);
	}
	pthread_mutex_destroy(&pg->mu);
	free(pg);
}

int sk_pg_check(struct sk_pg *pg, bool *reconnected)
{
	int rc = 0;

	if (reconnected)
		*reconnected = false;
	sk_pg_lock(pg);
	if (PQstatus(pg->conn) == CONNECTION_OK) {
		/* a dead server is only seen when the socket is used */
		PGresult *r = PQexec(pg->conn, "SELECT 1");
		PQclear(r);
	}
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		rc = connect_db(pg);
		if (rc == 0 && reconnected)
			*reconnected = true;
	}
	sk_pg_unlock(pg);
	return rc;
}

/* ---- state rows ---- */

/* "the state of shard 'x' in PostgreSQL '...'", or "the state in ..." for the whole fleet's */
static void state_name(char *out, size_t len, const struct sk_pg *pg, const char *shard)
{
	if (*shard)
		snprintf(out, len, "the state of shard '%s' in %s", shard, pg->name);
	else
		snprintf(out, len, "the state in %s", pg->name);
}

int sk_pg_state_load(struct sk_state **out, struct sk_pg *pg, const char *shard)
{
	const char *params[1] = { shard };
	char name[1200];
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	if (!pg->schema)
		return sk_state_new(out);
	if (sk_pg_exec(&res, pg, "cannot read the state", "SELECT state FROM snapkeep_state WHERE shard = $1", 1,
		       params) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return sk_state_new(out);
	}
	state_name(name, sizeof(name), pg, shard);
	rc = sk_state_parse(out, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), name);
	PQclear(res);
	return rc;
}

static int store_state(bool *stored, struct sk_pg *pg, const char *shard, const struct sk_state *s,
		       uint64_t serial, bool fresh, uint64_t old_serial)
{
	json_t *root = sk_state_to_json(s);
	char *text = NULL, ser[32], old[32];
	const char *params[5];
	PGresult *res = NULL;
	int rc = -1;

	*stored = false;
	if (!root)
		return -1;
	if (json_object_set_new(root, "serial", json_integer((json_int_t)serial)) < 0 ||
	    !(text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		sk_error_set_oom();
		goto done;
	}
	snprintf(ser, sizeof(ser), "%" PRIu64, serial);
	snprintf(old, sizeof(old), "%" PRIu64, old_serial);
	params[0] = shard;
	params[1] = ser;
	params[2] = s->lineage;
	params[3] = text;
	params[4] = old;
	if (fresh)
		rc = sk_pg_exec(&res, pg, "cannot save the state",
				"INSERT INTO snapkeep_state (shard, serial, lineage, state) VALUES ($1, $2, $3, $4) "
				"ON CONFLICT (shard) DO NOTHING",
				4, params);
	else
		rc = sk_pg_exec(&res, pg, "cannot save the state",
				"UPDATE snapkeep_state SET serial = $2, state = $4, updated_at = now() "
				"WHERE shard = $1 AND lineage = $3 AND serial = $5",
				5, params);
	if (rc == 0)
		*stored = atoi(PQcmdTuples(res)) == 1;
done:
	PQclear(res);
	free(text);
	json_decref(root);
	return rc;
}

/*
 * Why an update found no row as loaded, in the state file's words
 * (state.h): another lineage, another serial; a row gone is written again
 */
static int changed_error(bool *again, struct sk_pg *pg, const char *shard, const struct sk_state *s)
{
	const char *params[1] = { shard };
	char name[1200];
	PGresult *res = NULL;
	int rc;

	*again = false;
	state_name(name, sizeof(name), pg, shard);
	if (sk_pg_exec(&res, pg, "cannot read the state", "SELECT serial, lineage FROM snapkeep_state WHERE shard = $1",
		       1, params) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		*again = true; /* removed meanwhile: writing it again loses nothing */
		rc = 0;
	} else if (strcmp(PQgetvalue(res, 0, 1), s->lineage)) {
		rc = sk_error_set(SK_ERR_STATE,
				  "%s now has lineage %s, not %s: another state was put in its place; not overwriting it",
				  name, PQgetvalue(res, 0, 1), s->lineage);
	} else {
		rc = sk_error_set(SK_ERR_STATE,
				  "%s was written by another run (serial %s, read %" PRIu64 "); not overwriting it", name,
				  PQgetvalue(res, 0, 0), s->serial);
	}
	PQclear(res);
	return rc;
}

int sk_pg_state_save(struct sk_state *s, struct sk_pg *pg, const char *shard)
{
	char name[1200];
	bool stored, again = false;

	if (!pg->schema)
		return sk_error_set(SK_ERR_STATE, "%s has no snapkeep schema; nothing was saved", pg->name);
	state_name(name, sizeof(name), pg, shard);
	if (store_state(&stored, pg, shard, s, s->serial + 1, !s->existed, s->serial) < 0)
		return -1;
	if (!stored && !s->existed)
		return sk_error_set(SK_ERR_STATE,
				    "%s was created by another process after this one started; not overwriting it", name);
	if (!stored && (changed_error(&again, pg, shard, s) < 0 ||
			store_state(&stored, pg, shard, s, s->serial + 1, true, 0) < 0))
		return -1;
	if (!stored)
		return sk_error_set(SK_ERR_STATE, "%s was created by another process meanwhile; not overwriting it", name);
	s->serial++;
	s->existed = true;
	return 0;
}

int sk_pg_state_push(bool *pushed, struct sk_pg *pg, const char *shard, const struct sk_state *s)
{
	const char *params[1] = { shard };
	PGresult *res = NULL;
	bool stored;
	uint64_t serial;
	int rc = -1;

	*pushed = false;
	if (sk_pg_exec(&res, pg, "cannot read the state",
		       "SELECT serial, lineage FROM snapkeep_state WHERE shard = $1", 1, params) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		rc = store_state(&stored, pg, shard, s, s->serial, true, 0);
		if (rc == 0 && !stored)
			rc = sk_error_set(SK_ERR_STATE, "%s: the state of shard '%s' was created meanwhile; push again",
					  pg->name, shard);
		*pushed = rc == 0;
		goto done;
	}
	if (strcmp(PQgetvalue(res, 0, 1), s->lineage)) {
		sk_error_set(SK_ERR_STATE,
			     "%s already holds a state of another lineage (%s, not %s) for shard '%s'; nothing was "
			     "pushed",
			     pg->name, PQgetvalue(res, 0, 1), s->lineage, shard);
		goto done;
	}
	serial = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	if (serial >= s->serial) {
		rc = 0; /* there already, or later */
		goto done;
	}
	rc = store_state(&stored, pg, shard, s, s->serial, false, serial);
	if (rc == 0 && !stored)
		rc = sk_error_set(SK_ERR_STATE, "%s: the state of shard '%s' changed meanwhile; push again", pg->name,
				  shard);
	*pushed = rc == 0;
done:
	PQclear(res);
	return rc;
}

/* ---- saved plans ---- */

int sk_pg_plan_record(struct sk_pg *pg, const char *fingerprint, const char *commit)
{
	const char *params[2] = { fingerprint, commit };

	if (!pg->schema)
		return 0; /* nothing is created for it */
	return sk_pg_exec(NULL, pg, "cannot record the saved plan",
			  "INSERT INTO snapkeep_saved_plans (fingerprint, commit) VALUES ($1, $2) "
			  "ON CONFLICT (fingerprint) DO NOTHING",
			  2, params);
}

int sk_pg_plan_mark_applied(struct sk_pg *pg, const char *fingerprint, const char *run_id)
{
	const char *params[2] = { fingerprint, run_id };

	return sk_pg_exec(NULL, pg, "cannot record the saved plan",
			  "INSERT INTO snapkeep_saved_plans (fingerprint, applied_at, applied_run) VALUES ($1, now(), $2) "
			  "ON CONFLICT (fingerprint) DO UPDATE SET applied_at = now(), applied_run = $2",
			  2, params);
}

int sk_pg_plan_applied(char *run_id, size_t len, struct sk_pg *pg, const char *fingerprint)
{
	const char *params[1] = { fingerprint };
	PGresult *res = NULL;
	int rc;

	if (run_id && len)
		run_id[0] = '\0';
	if (!pg->schema)
		return 0;
	if (sk_pg_exec(&res, pg, "cannot read the saved plans",
		       "SELECT applied_run FROM snapkeep_saved_plans WHERE fingerprint = $1 AND applied_at IS NOT NULL",
		       1, params) < 0)
		return -1;
	rc = PQntuples(res) > 0;
	if (rc && run_id)
		snprintf(run_id, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}
