/*
 * backend.h - where the state, the journal and the locks live: the state
 * directory, or a PostgreSQL database
 *
 * Two backends answer one interface:
 *
 * - the directory (the default): state.json, journal.jsonl and lock in the
 *   state directory, exactly as before (state/state.h, journal.h, lock.h);
 * - PostgreSQL through libpq (state/pgstate.h), chosen by a connection
 *   string "postgres://user@host:5432/db?sslmode=verify-full" (or
 *   "postgresql://...", or libpq's "host=... dbname=..." form).
 *
 * Which one: --state-backend, else $SNAPKEEP_STATE_BACKEND, else the
 * directory; the first that is set wins (sk_backend_choose()).  The
 * Settings document names none: the backend is opened, and its lock
 * taken, before the policies are read (specs/state-postgres.md).  The
 * password comes from where libpq takes it ($PGPASSWORD, $PGPASSFILE or
 * ~/.pgpass, or the string itself); every message and log line shows the
 * string with the password masked (sk_backend_name()).  The state
 * directory is still used with PostgreSQL for what is local to one
 * machine (the mirrors of remote policy repositories, alerts.json).
 *
 * Locks.  A shard is one (account, region): the unit of work `run`
 * replicas share.  account is "" until accounts are known (the caller's
 * own).
 *
 * - sk_backend_shard_trylock() takes a shard if nobody holds it, without
 *   waiting; sk_backend_shard_unlock() gives it back.  A process may hold
 *   any number of shards.
 * - sk_backend_lock() is the whole-state lock `plan`/`apply` took before
 *   shards existed: it excludes every shard lock, and a shard lock excludes
 *   it, so a manual apply and the loop never run at once.
 *
 * On PostgreSQL a shard is a session-level advisory lock
 * (pg_try_advisory_lock) on its key: the first 8 bytes of
 * SHA-256("snapkeep:shard:" account "/" region), read big-endian as a
 * signed 64-bit integer (sk_backend_shard_key()).  Taking one also takes a
 * shared advisory lock on the state key, SHA-256("snapkeep:state") read the
 * same way, that the whole-state lock takes exclusively.  A process that
 * dies loses its connection and with it its locks; a holder row in
 * snapkeep_locks (host, pid, command, run, since, session) names the holder
 * for messages and force-unlock, and one left behind by a process that
 * died tells the next taker to resolve the journal (stale holder).
 *
 * On the directory a shard is a lock file <dir>/shards/<key as 16 hex
 * digits>.lock, taken as state/lock.h takes <dir>/lock, while a shared
 * flock(2) on <dir>/lock is held, which the whole-state lock takes
 * exclusively.
 *
 * Thread safety: one connection per backend, used under a mutex; the
 * journal a backend opens may be written from several threads (apply).
 */
#ifndef SK_BACKEND_H
#define SK_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "state/journal.h"
#include "state/lock.h"
#include "state/state.h"

#define SK_BACKEND_ENV "SNAPKEEP_STATE_BACKEND"

enum sk_backend_kind {
	SK_BACKEND_DIR = 0,
	SK_BACKEND_PG = 1,
};

struct sk_backend;

/*
 * The backend to use: flag (--state-backend), else $SNAPKEEP_STATE_BACKEND,
 * else settings (a caller's own default; the CLI passes NULL), else NULL
 * (the directory).  "" and "dir" mean the directory too.  Points into its
 * arguments or the environment.
 */
const char *sk_backend_choose(const char *flag, const char *settings);

/* is spec a PostgreSQL connection string (postgres://, postgresql://, or "key=value ...")? */
bool sk_backend_is_pg(const char *spec);

struct sk_backend_opts {
	const char *spec;      /* from sk_backend_choose(); NULL: the directory */
	const char *state_dir; /* --state-dir; NULL: the environment's (state/statedir.h) */
	/*
	 * Commands that change anything: the directory is created and probed
	 * (sk_statedir_prepare), the schema created or migrated.  Without it
	 * nothing is written: a missing directory or schema reads as empty.
	 */
	bool create;
};

#define SK_BACKEND_OPTS_INIT { .spec = NULL, .state_dir = NULL, .create = true }

/*
 * Opens a backend.  Errors (one line, class SK_ERR_STATE, the connection
 * string masked): an invalid connection string, the server unreachable or
 * refusing the password, a schema that cannot be created (no rights) or
 * was made by a newer snapkeep.  Nothing is written when it fails.
 */
int sk_backend_open(struct sk_backend **out, const struct sk_backend_opts *o);
/*
 * Opens the backend spec names (NULL: the directory state_dir names) to
 * read what it holds, writing nothing (create false), for the reports and
 * checks that make do without state: when no state directory can be named
 * (no --state-dir, $SNAPKEEP_STATE_DIR nor HOME), *out is NULL and 0 is
 * returned, the error cleared.
 */
int sk_backend_open_read(struct sk_backend **out, const char *spec, const char *state_dir);
/* releases every lock still held, closes; NULL is a no-op */
void sk_backend_close(struct sk_backend *b);

enum sk_backend_kind sk_backend_kind(const struct sk_backend *b);
/* for messages: "state directory '/s'" or "PostgreSQL 'postgres://snap:***@db:5432/snapkeep'" */
const char *sk_backend_name(const struct sk_backend *b);
/* the state directory (both backends: PostgreSQL's is for what is local); NULL when it could not be resolved */
const char *sk_backend_dir(const struct sk_backend *b);

/*
 * Is the backend usable now?  The directory always is.  PostgreSQL: a lost
 * connection is opened again (SK_ERR_STATE "... is unavailable: ..." when
 * it cannot be, for the run loop to report and retry next cycle); the
 * locks the old connection held are gone then, and *locks_lost (may be
 * NULL) says so: every shard this process held must be taken again.
 */
int sk_backend_check(struct sk_backend *b, bool *locks_lost);

/* ---- the whole-state lock ---- */

struct sk_backend_lock;

/*
 * Waits up to o->timeout seconds for every other holder (whole or shard)
 * to finish.  SK_ELOCKED naming a holder and "--lock-timeout", as
 * sk_lock_acquire().
 */
int sk_backend_lock(struct sk_backend_lock **out, struct sk_backend *b, const struct sk_lock_opts *o);
/* the record a holder that died left behind, or NULL (see sk_lock_stale_holder) */
const struct sk_lock_holder *sk_backend_lock_stale_holder(const struct sk_backend_lock *l);
/* NULL is a no-op */
void sk_backend_unlock(struct sk_backend_lock *l);

/* who holds the whole-state lock now, without waiting: 1 and *out, or 0 (free), -1 on errors */
int sk_backend_lock_peek(struct sk_lock_holder *out, struct sk_backend *b);

/* ---- shards ---- */

/* the shard's advisory-lock key, as documented above */
int64_t sk_backend_shard_key(const char *account, const char *region);
/* the whole-state lock's key */
int64_t sk_backend_state_key(void);

/*
 * Takes the shard (account, region) when it is free: *held true.  When
 * another process (or this one) holds it, or the whole-state lock is held,
 * *held is false and 0 is returned: nothing to report.  -1 only on errors
 * (PostgreSQL unavailable: see sk_backend_check).  stale (may be NULL)
 * receives the record of a holder that died holding it (stale->known),
 * whose journal intents the taker resolves.  o (may be NULL): command and
 * run recorded; timeout and cancel are ignored.
 */
int sk_backend_shard_trylock(bool *held, struct sk_lock_holder *stale, struct sk_backend *b, const char *account,
			     const char *region, const struct sk_lock_opts *o);
/* gives a shard this process holds back; SK_ENOTFOUND when it holds none such */
int sk_backend_shard_unlock(struct sk_backend *b, const char *account, const char *region);
/* does this process hold the shard? */
bool sk_backend_shard_held(const struct sk_backend *b, const char *account, const char *region);
/* the shards this process holds, "account/region" each, in the order taken (valid until the next lock call) */
size_t sk_backend_shards(const char *const **out, const struct sk_backend *b);

/* who holds a shard now: 1 and *out when someone does, 0 when nobody does, -1 on errors */
int sk_backend_shard_holder(struct sk_lock_holder *out, struct sk_backend *b, const char *account,
			    const char *region);

/*
 * snapkeep force-unlock: account and region NULL for the whole-state lock.
 * When nobody holds it, clears a holder record left behind and returns 0
 * with *out the holder it cleared (SK_ENOTFOUND: there was none).  While a
 * live holder does (a process, or a PostgreSQL session), refuses with
 * SK_ELOCKED naming it (host, pid, and the session from pg_stat_activity).
 */
int sk_backend_force_unlock(struct sk_lock_holder *out, struct sk_backend *b, const char *account,
			    const char *region);

/* ---- state, journal, saved plans ---- */

/*
 * The state of shard "account/region", or of the whole fleet when shard is
 * NULL (state.json; the row with shard '' on PostgreSQL).  Missing: a
 * fresh state.  The directory keeps a shard's in shards/<key>.json.
 */
int sk_backend_state_load(struct sk_state **out, struct sk_backend *b, const char *shard);
/*
 * Saves with serial + 1, refusing (SK_ERR_STATE) one another process saved
 * since it was loaded (another serial or lineage), as sk_state_save().
 * PostgreSQL: one transaction.
 */
int sk_backend_state_save(struct sk_state *s, struct sk_backend *b, const char *shard);

/* a journal writing to the backend (journal.h); PostgreSQL: a transaction per record */
int sk_backend_journal_open(struct sk_journal **out, struct sk_backend *b);
/* sk_journal_read() of the backend's journal: the same records, in the order written */
int sk_backend_journal_read(struct sk_backend *b, const struct sk_journal_filter *f, sk_journal_cb cb, void *ud,
			    struct sk_journal_stats *stats);
/* sk_journal_unresolved() of the backend's journal */
int sk_backend_journal_unresolved(json_t **out, struct sk_backend *b);

/*
 * Saved plans: `plan -out` records a plan's fingerprint (commit, when);
 * `apply FILE` marks it applied.  sk_backend_plan_applied() says whether
 * (and by which run) one was applied already: 1, 0, or -1 on errors.  The
 * directory backend keeps none (0, and recording is a no-op).
 */
int sk_backend_plan_record(struct sk_backend *b, const char *fingerprint, const char *commit);
int sk_backend_plan_mark_applied(struct sk_backend *b, const char *fingerprint, const char *run_id);
int sk_backend_plan_applied(char *run_id, size_t len, struct sk_backend *b, const char *fingerprint);

/* ---- moving from the directory: `snapkeep state push` ---- */

/*
 * Stores a record read elsewhere (another journal) as it is, unless one
 * with its id is there (*inserted false).  PostgreSQL only: the directory's
 * journal is written by its own writer.
 */
int sk_backend_journal_import(bool *inserted, struct sk_backend *b, const struct sk_journal_record *r);

struct sk_backend_push_report {
	bool state_found;      /* dir held a state.json */
	bool state_pushed;     /* it was stored (false: PostgreSQL held it, or a later serial, already) */
	uint64_t serial;
	char lineage[37];
	size_t records;        /* journal records read */
	size_t inserted;       /* ... stored now (the others were there already) */
	size_t damaged;        /* lines of the journal skipped (sk_journal_read) */
};

/*
 * Copies the state directory dir's state.json (as the whole-fleet state)
 * and journal.jsonl into the PostgreSQL backend to, holding dir's lock and
 * to's whole-state lock (o: how long to wait for them).  Idempotent: a
 * record already there (same id) is left, a state at that serial or later
 * of the same lineage too; one of another lineage is refused.  The journal
 * goes in one transaction: all of it or nothing.  The directory is not
 * changed.  Shard states (shards/) are not copied: a shard's next cycle
 * writes its own.
 */
int sk_backend_push(struct sk_backend_push_report *out, struct sk_backend *to, const char *dir,
		    const struct sk_lock_opts *o);

#endif
