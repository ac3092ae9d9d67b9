/*
 * pgstate.h - the PostgreSQL state backend's connection and schema (libpq)
 *
 * One connection per handle, used under a mutex.  The schema (tables
 * snapkeep_schema, snapkeep_state, snapkeep_journal, snapkeep_locks,
 * snapkeep_saved_plans; specs/state-postgres.md) is created and migrated
 * by sk_pg_open() in one transaction, under a transaction-level advisory
 * lock so that replicas starting together migrate once; a schema newer
 * than this snapkeep knows is refused without touching it.
 *
 * Messages name the server by its connection string with the password
 * masked (sk_pg_mask()), never the password: libpq's own messages are
 * scrubbed of it too.  A lost connection makes every call fail with
 * "PostgreSQL '...' is unavailable: ..." until sk_pg_check() opens it
 * again.  The locks (pglock.h), the state rows and the journal rows
 * (pgjournal.h) use this handle.
 */
#ifndef SK_PGSTATE_H
#define SK_PGSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "state/state.h"

/* the schema version this snapkeep creates and reads */
#define SK_PG_SCHEMA_VERSION 1

struct sk_pg;

/*
 * Connects (libpq: password from the string, $PGPASSWORD or the password
 * file; sslmode honoured; application_name "snapkeep" unless the string
 * sets one) and, with create, creates or migrates the schema.  Without
 * create nothing is written: a database without snapkeep's tables reads
 * as empty (sk_pg_has_schema() false).
 */
int sk_pg_open(struct sk_pg **out, const char *conninfo, bool create);
void sk_pg_close(struct sk_pg *pg);

/* "postgres://snap:***@db:5432/snapkeep?sslmode=require", or "" for an unreadable string */
void sk_pg_mask(char *out, size_t len, const char *conninfo);
/* "PostgreSQL 'postgres://...masked...'" */
const char *sk_pg_name(const struct sk_pg *pg);
bool sk_pg_has_schema(const struct sk_pg *pg);
/* the schema version found in the database (0: none) */
int sk_pg_schema_version(const struct sk_pg *pg);

/* reconnects a lost connection: *reconnected true when it did (its session locks are gone) */
int sk_pg_check(struct sk_pg *pg, bool *reconnected);

/*
 * Runs a statement with text parameters (NULL: SQL NULL) under the handle's
 * mutex; *out (may be NULL) receives the result to PQclear.  Errors (class
 * SK_ERR_STATE): "<what>: <PostgreSQL's message>", or the unavailable
 * message when the connection is gone.
 */
int sk_pg_exec(PGresult **out, struct sk_pg *pg, const char *what, const char *sql, int n,
	       const char *const *params);

/* the mutex around the connection, for a caller that runs several statements as one */
void sk_pg_lock(struct sk_pg *pg);
void sk_pg_unlock(struct sk_pg *pg);
/* sk_pg_exec() with the mutex already held */
int sk_pg_exec_locked(PGresult **out, struct sk_pg *pg, const char *what, const char *sql, int n,
		      const char *const *params);
/* the raw connection (the mutex held), for single-row reads */
PGconn *sk_pg_conn(struct sk_pg *pg);
/* records "<what>: <the connection's error>" and returns -1 */
int sk_pg_fail(struct sk_pg *pg, const char *what, const PGresult *res);

/* the process-session id of the connection (pg_backend_pid()) */
int sk_pg_backend_pid(const struct sk_pg *pg);

/* ---- state rows ---- */

/* the state of shard ("" the whole fleet); a fresh state when there is none */
int sk_pg_state_load(struct sk_state **out, struct sk_pg *pg, const char *shard);
/* saves serial + 1 in one statement, refusing when another process saved since the load */
int sk_pg_state_save(struct sk_state *s, struct sk_pg *pg, const char *shard);
/*
 * `state push`: stores s as it is (its serial and lineage) unless the row
 * holds the same lineage at that serial or later (*pushed false: nothing
 * to do); a row of another lineage is refused.
 */
int sk_pg_state_push(bool *pushed, struct sk_pg *pg, const char *shard, const struct sk_state *s);

/* ---- saved plans ---- */
int sk_pg_plan_record(struct sk_pg *pg, const char *fingerprint, const char *commit);
int sk_pg_plan_mark_applied(struct sk_pg *pg, const char *fingerprint, const char *run_id);
int sk_pg_plan_applied(char *run_id, size_t len, struct sk_pg *pg, const char *fingerprint);

#endif
