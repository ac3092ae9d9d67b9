/*
 * pglock.h - the PostgreSQL backend's locks: session-level advisory locks
 * and the holder rows that name their holders (state/backend.h says what
 * is locked with which key)
 *
 * A lock taken here is held by the connection's session: it goes when the
 * process ends or its connection is lost, whatever way.  After taking one,
 * the taker writes a row in snapkeep_locks (host, pid, command, run,
 * since, the session's pid); releasing deletes it.  A row that is there
 * when the lock is taken was left by a holder that died: it is returned as
 * the stale holder.
 */
#ifndef SK_PGLOCK_H
#define SK_PGLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "state/lock.h"
#include "state/pgstate.h"

/*
 * Tries the lock of key without waiting: exclusively; with shard_of, a
 * shard's: the state key shard_of shared, then key exclusively.  *held
 * says whether it was taken (0 either way); stale (may be NULL) receives
 * a holder row left behind.  name goes into the holder row.
 */
int sk_pglock_try(bool *held, struct sk_lock_holder *stale, struct sk_pg *pg, int64_t key, const int64_t *shard_of,
		  const char *name, const struct sk_lock_opts *o);
/* releases what sk_pglock_try() took (the same key and shard_of) and deletes the holder row */
int sk_pglock_release(struct sk_pg *pg, int64_t key, const int64_t *shard_of);

/*
 * Who holds key now, from pg_locks, pg_stat_activity and the holder row:
 * 1 and *out (exclusive holders first), 0 when nobody does, -1 on errors.
 */
int sk_pglock_holder(struct sk_lock_holder *out, struct sk_pg *pg, int64_t key);
/* a process holding any lock that has a holder row, for "the state is locked by ..." (1, 0, -1) */
int sk_pglock_any_holder(struct sk_lock_holder *out, struct sk_pg *pg);

/* force-unlock of key (state/backend.h); what names it in messages */
int sk_pglock_force_unlock(struct sk_lock_holder *out, struct sk_pg *pg, int64_t key, const char *what);

#endif
