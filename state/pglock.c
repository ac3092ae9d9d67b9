/*
 * pglock.c - the PostgreSQL backend's locks
 */
#include "state/pglock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/str.h"

/* the holder columns every query below selects, in this order */
#define HOLDER_COLS                                                                                        \
	"l.host, l.pid, l.command, coalesce(l.run_id, ''), coalesce(extract(epoch FROM l.since)::bigint, 0)"

static void copy_field(char *out, size_t size, const char *s)
{
	sk_strlcpy(out, s ? s : "", size);
	for (; *out; out++)
		if ((unsigned char)*out < 0x20 || *out == 0x7f)
			*out = '?';
}

/* a holder from row's columns at col (HOLDER_COLS); a NULL host means no holder row */
static void read_holder(struct sk_lock_holder *h, const PGresult *res, int row, int col)
{
	memset(h, 0, sizeof(*h));
	if (PQgetisnull(res, row, col))
		return;
	h->known = true;
	copy_field(h->host, sizeof(h->host), PQgetvalue(res, row, col));
	h->pid = strtol(PQgetvalue(res, row, col + 1), NULL, 10);
	copy_field(h->command, sizeof(h->command), PQgetvalue(res, row, col + 2));
	copy_field(h->run_id, sizeof(h->run_id), PQgetvalue(res, row, col + 3));
	h->since = strtoll(PQgetvalue(res, row, col + 4), NULL, 10);
}

static void key_text(char out[32], int64_t key)
{
	snprintf(out, 32, "%" PRId64, key);
}

int sk_pglock_try(bool *held, struct sk_lock_holder *stale, struct sk_pg *pg, int64_t key, const int64_t *shard_of,
		  const char *name, const struct sk_lock_opts *o)
{
	char k[32], sk[32], host[256], pid[24];
	const char *params[6];
	PGresult *res = NULL;
	int rc = -1;

	*held = false;
	if (stale)
		memset(stale, 0, sizeof(*stale));
	key_text(k, key);
	if (shard_of)
		key_text(sk, *shard_of);
	sk_pg_lock(pg);
	if (shard_of) {
		params[0] = sk;
		if (sk_pg_exec_locked(&res, pg, "cannot take a lock", "SELECT pg_try_advisory_lock_shared($1::bigint)", 1,
				      params) < 0)
			goto done;
		if (strcmp(PQgetvalue(res, 0, 0), "t")) {
			rc = 0; /* the whole-state lock is held */
			goto done;
		}
		PQclear(res);
		res = NULL;
	}
	params[0] = k;
	if (sk_pg_exec_locked(&res, pg, "cannot take a lock", "SELECT pg_try_advisory_lock($1::bigint)", 1, params) <
	    0)
		goto undo;
	if (strcmp(PQgetvalue(res, 0, 0), "t")) {
		rc = 0;
		goto undo;
	}
	PQclear(res);
	res = NULL;
	/* ours: a row still there was left by a holder that ended without releasing */
	if (sk_pg_exec_locked(&res, pg, "cannot read the lock's holder",
			      "SELECT " HOLDER_COLS " FROM snapkeep_locks l WHERE l.lock_key = $1::bigint", 1,
			      params) < 0)
		goto release;
	if (stale && PQntuples(res) == 1)
		read_holder(stale, res, 0, 0);
	PQclear(res);
	res = NULL;
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	params[1] = name;
	params[2] = host;
	params[3] = pid;
	params[4] = o && o->command ? o->command : "snapkeep";
	params[5] = o ? o->run_id : NULL;
	if (sk_pg_exec_locked(NULL, pg, "cannot record the lock's holder",
			      "INSERT INTO snapkeep_locks (lock_key, name, host, pid, command, run_id, since, session_pid) "
			      "VALUES ($1::bigint, $2, $3, $4::integer, $5, $6, now(), pg_backend_pid()) "
			      "ON CONFLICT (lock_key) DO UPDATE SET name = EXCLUDED.name, host = EXCLUDED.host, "
			      "pid = EXCLUDED.pid, command = EXCLUDED.command, run_id = EXCLUDED.run_id, "
			      "since = EXCLUDED.since, session_pid = EXCLUDED.session_pid",
			      6, params) < 0)
		goto release;
	*held = true;
	rc = 0;
	goto done;
release:
	params[0] = k;
	{
		PGresult *r = PQexecParams(sk_pg_conn(pg), "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, params,
					   NULL, NULL, 0);
		PQclear(r);
	}
undo:
	if (shard_of) {
		PGresult *r;

		params[0] = sk;
		r = PQexecParams(sk_pg_conn(pg), "SELECT pg_advisory_unlock_shared($1::bigint)", 1, NULL, params, NULL,
				 NULL, 0);
		PQclear(r);
	}
done:
	sk_pg_unlock(pg);
	PQclear(res);
	return rc;
}

int sk_pglock_release(struct sk_pg *pg, int64_t key, const int64_t *shard_of)
{
	char k[32], sk[32];
	const char *params[2] = { k, sk };

	key_text(k, key);
	if (shard_of) {
		key_text(sk, *shard_of);
		return sk_pg_exec(NULL, pg, "cannot release a lock",
				  "WITH d AS (DELETE FROM snapkeep_locks WHERE lock_key = $1::bigint "
				  "AND session_pid = pg_backend_pid()) "
				  "SELECT pg_advisory_unlock($1::bigint), pg_advisory_unlock_shared($2::bigint)",
				  2, params);
	}
	return sk_pg_exec(NULL, pg, "cannot release a lock",
			  "WITH d AS (DELETE FROM snapkeep_locks WHERE lock_key = $1::bigint "
			  "AND session_pid = pg_backend_pid()) SELECT pg_advisory_unlock($1::bigint)",
			  1, params);
}

/* "session 4242 from 10.0.0.7" */
static void session_text(struct sk_lock_holder *h, const PGresult *res, int row, int col)
{
	const char *addr = PQgetvalue(res, row, col + 1);

	snprintf(h->session, sizeof(h->session), "PostgreSQL session %s%s%s", PQgetvalue(res, row, col),
		 *addr ? " from " : "", addr);
}

/*
 * The holder in the first row sql answers (HOLDER_COLS, then the session's
 * pid and address): 1, with *res to read more of the row (clear it); 0 when
 * there is none or no schema yet; -1 on error
 */
static int query_holder(struct sk_lock_holder *out, PGresult **res, struct sk_pg *pg, const char *sql, int n,
			const char *const *params)
{
	*res = NULL;
	memset(out, 0, sizeof(*out));
	if (!sk_pg_has_schema(pg))
		return 0;
	if (sk_pg_exec(res, pg, "cannot read who holds a lock", sql, n, params) < 0)
		return -1;
	if (PQntuples(*res) == 0)
		return 0;
	read_holder(out, *res, 0, 0);
	session_text(out, *res, 0, 5);
	return 1;
}

int sk_pglock_holder(struct sk_lock_holder *out, struct sk_pg *pg, int64_t key)
{
	char k[32], hi[16], lo[16];
	const char *params[3] = { k, hi, lo };
	PGresult *res;
	int rc;

	key_text(k, key);
	/* pg_locks shows a bigint key as classid (high 32 bits) and objid (low 32 bits), objsubid 1 */
	snprintf(hi, sizeof(hi), "%" PRIu32, (uint32_t)((uint64_t)key >> 32));
	snprintf(lo, sizeof(lo), "%" PRIu32, (uint32_t)(uint64_t)key);
	rc = query_holder(out, &res, pg,
			  "SELECT " HOLDER_COLS ", k.pid, coalesce(host(a.client_addr), '') "
			  "FROM pg_locks k LEFT JOIN pg_stat_activity a ON a.pid = k.pid "
			  "LEFT JOIN snapkeep_locks l ON l.lock_key = $1::bigint AND l.session_pid = k.pid "
			  "WHERE k.locktype = 'advisory' AND k.granted AND k.database = "
			  "(SELECT oid FROM pg_database WHERE datname = current_database()) "
			  "AND k.classid = $2::oid AND k.objid = $3::oid AND k.objsubid = 1 "
			  "ORDER BY (k.mode = 'ExclusiveLock') DESC LIMIT 1",
			  3, params);
	if (rc > 0 && !out->known) {
		/* a session holds it but wrote no row (yet): name the session at least */
		out->known = true;
		snprintf(out->command, sizeof(out->command), "a session");
		snprintf(out->host, sizeof(out->host), "?");
	}
	PQclear(res);
	return rc;
}

int sk_pglock_any_holder(struct sk_lock_holder *out, struct sk_pg *pg)
{
	PGresult *res;
	int rc;

	rc = query_holder(out, &res, pg,
			  "SELECT " HOLDER_COLS ", a.pid, coalesce(host(a.client_addr), ''), l.name "
			  "FROM snapkeep_locks l JOIN pg_stat_activity a ON a.pid = l.session_pid "
			  "WHERE a.pid <> pg_backend_pid() ORDER BY l.since LIMIT 1",
			  0, NULL);
	if (rc > 0)
		snprintf(out->session + strlen(out->session), sizeof(out->session) - strlen(out->session),
			 ", lock '%s'", PQgetvalue(res, 0, 7));
	PQclear(res);
	return rc;
}

int sk_pglock_force_unlock(struct sk_lock_holder *out, struct sk_pg *pg, int64_t key, const char *what)
{
	char k[32], who[768];
	const char *params[1] = { k };
	PGresult *res = NULL;
	int rc = sk_pglock_holder(out, pg, key);

	if (rc < 0)
		return -1;
	if (rc == 1) {
		sk_lock_holder_describe(who, sizeof(who), out);
		sk_error_set(SK_ERR_LOCK,
			     "refusing to unlock %s: it is held by %s, which is still connected; if that process is "
			     "gone for good, end its session (SELECT pg_terminate_backend(pid))",
			     what, who);
		return SK_ELOCKED;
	}
	if (!sk_pg_has_schema(pg))
		return SK_ENOTFOUND;
	key_text(k, key);
	if (sk_pg_exec(&res, pg, "cannot clear the lock's holder",
		       "DELETE FROM snapkeep_locks l WHERE l.lock_key = $1::bigint RETURNING " HOLDER_COLS, 1,
		       params) < 0)
		return -1;
	rc = PQntuples(res) > 0 ? 0 : SK_ENOTFOUND;
	if (rc == 0)
		read_holder(out, res, 0, 0);
	PQclear(res);
	return rc;
}
