/*
 * lock.h - one apply or loop cycle at a time per state directory
 *
 * An advisory lock (flock(2), exclusive) on <dir>/lock.  The kernel drops
 * it when its holder exits in any way, SIGKILL included, so a crashed run
 * never blocks the next one.  After taking it, the holder writes who it is
 * into the file as one JSON line {"host", "pid", "command", "runId",
 * "since"}, so a taker that has to give up can name it:
 *
 *   state directory '/s' is locked by apply (pid 4242 on host ci-7, run
 *   20260101T030000Z-1a2b3c4d, since 2026-01-01T03:00:00Z)
 *
 * The descriptor is O_CLOEXEC: commands snapkeep runs never inherit it.
 * The lock file itself is never removed (removing a flock'ed file lets two
 * processes lock two different files); releasing empties it.
 */
#ifndef SK_LOCK_H
#define SK_LOCK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sk_lock;

struct sk_lock_holder {
	bool known;        /* false: the file holds no (readable) record */
	char host[256];
	long pid;
	char command[32];
	char run_id[64];
	int64_t since;
	char session[128]; /* PostgreSQL backend: "session 4242 from 10.0.0.7" (pg_stat_activity); "" otherwise */
};

struct sk_lock_opts {
	const char *command;            /* recorded: "apply", "run" */
	const char *run_id;             /* recorded when not NULL */
	int timeout;                    /* seconds to wait for a busy lock; 0: one try */
	int poll_ms;                    /* how often to try again while waiting; 0: 100 */
	volatile sig_atomic_t *cancel;  /* stops waiting when it becomes non-zero */
};

#define SK_LOCK_OPTS_INIT { .command = NULL, .run_id = NULL, .timeout = 0, .poll_ms = 0, .cancel = NULL }

/*
 * Takes the lock of state directory dir (which must exist: see
 * sk_statedir_prepare()).  SK_ELOCKED (class SK_ERR_LOCK) when another
 * process still holds it after the timeout, the message naming the holder
 * and "--lock-timeout"; SK_EINTERRUPTED when cancel was raised while
 * waiting; SK_ERROR for filesystem errors.
 */
int sk_lock_acquire(struct sk_lock **out, const char *dir, const struct sk_lock_opts *o);

/*
 * The same on the lock file <dir>/<name> (name may hold one folder, which
 * must exist: the directory backend's shard locks "shards/<key>.lock",
 * state/backend.h); what names the lock in messages ("shard
 * '1111/us-east-1' in state directory '/s'").
 */
int sk_lock_acquire_file(struct sk_lock **out, const char *dir, const char *name, const char *what,
			 const struct sk_lock_opts *o);
int sk_lock_read_holder_file(struct sk_lock_holder *out, const char *dir, const char *name);
int sk_lock_peek_file(struct sk_lock_holder *out, const char *dir, const char *name);
int sk_lock_force_unlock_file(struct sk_lock_holder *out, const char *dir, const char *name, const char *what);

/*
 * The record a previous holder left behind without releasing (it was
 * killed or crashed), or NULL: apply warns and resolves its journal.
 */
const struct sk_lock_holder *sk_lock_stale_holder(const struct sk_lock *l);

/* empties the record, unlocks and closes; NULL is a no-op */
void sk_lock_release(struct sk_lock *l);

/* the record in <dir>/lock now (known is false when there is none) */
int sk_lock_read_holder(struct sk_lock_holder *out, const char *dir);

/*
 * Who holds the lock of dir now, judged from its record without taking the
 * lock (so a plan never delays an apply): 1 with *out the holder when a
 * process that is still running recorded itself; 0 when there is no lock
 * file, no record, or a record a dead process left behind; -1 on errors.
 * A holder in the instant between its flock and its record is not seen.
 */
int sk_lock_peek(struct sk_lock_holder *out, const char *dir);

/* reads a record as the lock file holds it; anything unreadable leaves known false */
void sk_lock_parse_holder(struct sk_lock_holder *out, const char *text, size_t len);

/* is the recorded holder still running?  Only answerable on its own host: elsewhere, true */
bool sk_lock_holder_alive(const struct sk_lock_holder *h);

/* "apply (pid 4242 on host ci-7, run ..., since 2026-01-01T03:00:00Z)" */
void sk_lock_holder_describe(char *out, size_t len, const struct sk_lock_holder *h);

/*
 * snapkeep force-unlock: when nobody holds the lock, clears a record left
 * behind and returns 0 with *out the holder it cleared (SK_ENOTFOUND when
 * there was no record: nothing to do).  While a live process holds it,
 * refuses with SK_ELOCKED, naming the holder; *out is that holder.
 */
int sk_lock_force_unlock(struct sk_lock_holder *out, const char *dir);

#endif
