/*
 * state.h - the state file: what snapkeep last did, per state directory
 *
 * state.json (specs/state-format.md) records the format version, a serial
 * that grows by one with every save, a lineage (a random id given when
 * the state is first created, kept for its life), the policy commit last
 * applied, the last run's outcome and a summary per instance.  apply and
 * the loop load it after taking the lock and save it before releasing it.
 *
 * Loading never repairs: a corrupt, truncated or wrongly typed file, or
 * one from a newer snapkeep, is an error (class SK_ERR_STATE, naming the
 * file and what is wrong) and the file is left as it is.  A missing file
 * is a fresh state.  Saving is atomic (temporary file, fsync, rename,
 * fsync of the directory), mode 0600, and refuses to overwrite a file
 * another process changed since it was loaded.
 *
 * struct sk_state is plain data the reconciler fills; strings are fixed
 * arrays sized by AWS's own limits (longer values are cut on the caller's
 * snprintf, and refused when read from a file).
 */
#ifndef SK_STATE_H
#define SK_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SK_STATE_FORMAT "snapkeep-state/v1"
#define SK_STATE_VERSION 1
#define SK_STATE_MAX_BYTES ((size_t)64 << 20)

/* the last restore drill of an instance (snapkeep drill, or the loop) */
struct sk_state_drill {
	int64_t at;              /* when it finished; 0: never drilled */
	char outcome[16];        /* "passed", "failed" */
	char policy[128];
	char source[256];        /* the snapshot restored, or "" for a point in time */
	int64_t source_time;     /* the snapshot's time, or the point in time */
	uint64_t rto_seconds;    /* restore request -> checks answered */
	int64_t rpo_seconds;     /* backup time -> newest row a check names; -1: no check names one */
	uint64_t checks, checks_passed;
	char error[512];         /* the first failed check or error, "" when it passed */
};

struct sk_state_instance {
	char account[16];            /* one of Settings' accounts; "": the caller's own (files before accounts) */
	char region[32];
	char id[64];                 /* DBInstanceIdentifier (1..63) */
	char policy[128];            /* the policy that manages it */
	char newest_snapshot[256];   /* the newest available snapshot snapkeep owns ("" none) */
	int64_t newest_snapshot_time;
	char newest_copy[256];       /* the newest available cross-region copy ("" none) */
	char newest_copy_region[32];
	int64_t newest_copy_time;
	uint64_t owned_snapshots;    /* snapshots (and copies) the policy owns after the run */
	int64_t last_change;         /* when a run last changed something for this instance */
	char last_outcome[32];       /* "ok", "changed", "deferred", "failed", ... (the reconciler's words) */
	char last_error[512];        /* "" unless the last run failed for it */
	struct sk_state_drill last_drill; /* .at 0: never drilled */
};

struct sk_state_summary {
	uint64_t actions;  /* in the plan */
	uint64_t done, already, deferred, failed, skipped;
};

struct sk_state_run {
	char command[32];  /* "apply", "run" ("" when there was none) */
	char run_id[64];
	char commit[41];   /* the policy commit the run used */
	int64_t started_at;
	int64_t finished_at;
	char outcome[32];  /* "success", "failed", "interrupted", "refused", "no-changes" */
	struct sk_state_summary summary;
	char error[1024];
};

struct sk_state_applied {
	char commit[41];   /* "" when nothing was applied yet */
	char subject[256];
	char ref[256];
	int64_t at;
};

/*
 * A deletion of an owned snapshot a run made, kept for the guardrails'
 * deletion budgets (planner/guardrails.h) across runs and restarts; the
 * reconciler forgets records older than the longest budget window.
 */
struct sk_state_deletion {
	char account[16];    /* the account it was in (Settings' accounts); "": the caller's own */
	char region[32];     /* where the snapshot was */
	char instance[64];   /* whose it was */
	char snapshot[256];
	int64_t at;
};

struct sk_state {
	int version;       /* as read; SK_STATE_VERSION for a fresh state */
	uint64_t serial;   /* as read; 0 for a fresh state.  sk_state_save() writes serial + 1 */
	char lineage[37];  /* a UUID */
	int64_t created_at;
	struct sk_state_applied last_applied;
	struct sk_state_run last_run;
	struct sk_state_instance *instances; /* sorted by (region, id) on save */
	size_t n_instances, cap_instances;
	struct sk_state_deletion *deletions; /* oldest first; "deletions" in the file, only when there are some */
	size_t n_deletions, cap_deletions;
	bool existed;      /* loaded from a file (not fresh): save checks it is unchanged */
};

/* a fresh state: serial 0, a new random lineage */
int sk_state_new(struct sk_state **out);

/*
 * Reads <dir>/state.json; a missing file gives a fresh state.  Errors:
 *   "state file '/s/state.json': invalid JSON at line 1 column 9: ... (truncated?)"
 *   "state file '/s/state.json' has format snapkeep-state/v2, newer than this
 *    snapkeep reads (snapkeep-state/v1); upgrade snapkeep; the file was not changed"
 *   "state file '/s/state.json': instances.us-east-1/db1.newestSnapshotTime: expected an RFC 3339 time"
 */
int sk_state_load(struct sk_state **out, const char *dir);

/* the same from memory; name is used in messages (the fuzz target's entry point) */
int sk_state_parse(struct sk_state **out, const char *text, size_t len, const char *name);

/*
 * Writes <dir>/state.json with serial + 1 and, on success, updates
 * s->serial.  Refuses (SK_ERR_STATE) when the file on disk is not the one
 * loaded: another lineage, another serial, unreadable, or created since.
 */
int sk_state_save(struct sk_state *s, const char *dir);

/* the same on <dir>/<name> (the directory backend's shard states, state/backend.h) */
int sk_state_load_named(struct sk_state **out, const char *dir, const char *name);
int sk_state_save_named(struct sk_state *s, const char *dir, const char *name);

/* the JSON written by save (the in-memory serial, not serial + 1) */
json_t *sk_state_to_json(const struct sk_state *s);

/*
 * The instance entry for region/id (of the caller's own account); with
 * create, added when missing (SK_ENOTFOUND without it).  Pointers stay
 * valid until the next add.
 */
int sk_state_instance(struct sk_state_instance **out, struct sk_state *s, const char *region, const char *id,
		      bool create);
/*
 * The same in account (NULL or "": the caller's own).  The file keys an
 * instance "<account>/<region>/<id>", and "<region>/<id>" in the caller's
 * own account (as files before accounts did): the same instance name in
 * two accounts is two entries.
 */
int sk_state_instance_in(struct sk_state_instance **out, struct sk_state *s, const char *account, const char *region,
			 const char *id, bool create);
/* drops an instance entry (one no policy manages any more); SK_ENOTFOUND when absent */
int sk_state_instance_remove(struct sk_state *s, const char *region, const char *id);

/* records a deletion at (account NULL: the caller's own); and forgets those made before `before` (0: none) */
int sk_state_add_deletion(struct sk_state *s, const char *account, const char *region, const char *instance,
			  const char *snapshot, int64_t at);
void sk_state_forget_deletions(struct sk_state *s, int64_t before);

void sk_state_free(struct sk_state *s);

/*
 * The last restore drill of an instance of account (NULL or "": the
 * caller's own), for readers such as verify: NULL when the state knows no
 * drill of it.
 */
const struct sk_state_drill *sk_state_last_drill(const struct sk_state *s, const char *account, const char *region,
						 const char *id);

/* a random RFC 4122 version 4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */
int sk_state_new_uuid(char out[37]);

#endif
