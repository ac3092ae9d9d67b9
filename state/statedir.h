/*
 * statedir.h - where snapkeep keeps its state
 *
 * The state directory holds the state file (state.json), the run lock
 * (lock), the audit journal (journal.jsonl), what `run` keeps between
 * cycles (alerts.json, summary.json) and the mirrors of remote policy
 * repositories (repos/).  Chosen by, in
 * order: --state-dir, SNAPKEEP_STATE_DIR, $XDG_STATE_HOME/snapkeep,
 * $HOME/.local/state/snapkeep.  Commands that change anything prepare it
 * first (created 0700, probed for writing), so an unusable directory is
 * reported before any AWS call is made.
 */
#ifndef SK_STATEDIR_H
#define SK_STATEDIR_H

#define SK_STATE_FILE "state.json"
#define SK_LOCK_FILE "lock"
#define SK_JOURNAL_FILE "journal.jsonl"

/*
 * The directory's path (malloc'ed) from flag, or the environment as above.
 * Does not touch the filesystem.  Fails (SK_ERR_CONFIG) only when neither
 * the flag nor any of the variables is set.
 */
int sk_statedir_resolve(char **out, const char *flag);

/*
 * Creates dir and any missing parents (mode 0700) and checks that it is a
 * directory snapkeep can create, write, sync and remove files in.  Errors
 * (class SK_ERR_STATE) name the path and the reason:
 *   "state directory '/x': cannot create a file in it: Permission denied"
 * What is there steers later runs (the mirror of a remote repository is
 * where its policies are read, the journal where a crashed run's calls are
 * resolved from, the lock what keeps two applies apart), so a directory
 * others can write (mode o+w, /tmp's 1777 included) is refused, as ssh
 * refuses keys others can change; one that a group other than the
 * process's own can write is used with a warning.
 */
int sk_statedir_prepare(const char *dir);

/* sk_statedir_resolve() then sk_statedir_prepare() */
int sk_statedir_open(char **out, const char *flag);

/* SK_ENOTFOUND when dir does not exist (read-only commands: history) */
int sk_statedir_exists(const char *dir);

#endif
