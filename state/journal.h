/*
 * journal.h - the append-only audit journal (<dir>/journal.jsonl)
 *
 * One JSON object per line (specs/state-format.md).  Before each mutating
 * AWS call, apply appends an "intent" and makes it durable (fdatasync)
 * before returning, so the call is never made without a record of it;
 * after the call, an "outcome" naming the intent.  A crash between the two
 * leaves an intent without an outcome: the next run lists those
 * (sk_journal_unresolved), looks at live state, and appends a
 * "resolution" saying how each ended.  Records are never rewritten.
 *
 *   {"type":"intent","id":"20260101T030000Z-1a2b3c4d.1","time":"...","runId":"...",
 *    "action":"create","region":"us-east-1","target":"snapkeep-db1-...","instance":"db1",
 *    "policy":"prod","commit":"3f2a...","call":{...the plan action...}}
 *   {"type":"outcome","id":"...","intent":"...1",...,"result":"done","requestId":"..."}
 *   {"type":"resolution","id":"...","intent":"...1",...,"how":"completed","detail":"..."}
 *
 * Only what the plan says goes in: never credentials or signatures.  The
 * writer is thread-safe (apply journals from its worker threads); only the
 * lock holder writes, any number of readers may read.  A crash in the
 * middle of a write leaves a torn last line: the writer ends it before
 * appending and readers skip it with a warning.
 */
#ifndef SK_JOURNAL_H
#define SK_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SK_JOURNAL_ID_MAX 64
#define SK_JOURNAL_LINE_MAX ((size_t)1 << 20)

/*
 * The outcome of a call that was sent but not answered for sure (the
 * connection failed, AWS answered 5xx, or apply was interrupted before it
 * could retry): whether AWS made it is not known.  Like a missing outcome,
 * it leaves the intent open: sk_journal_unresolved() lists it and the next
 * run resolves it against live state.
 */
#define SK_RESULT_UNKNOWN "unknown"

/* how an intent without an outcome ended, as found in live state */
#define SK_RESOLVED_COMPLETED "completed" /* the change is there: the call was made */
#define SK_RESOLVED_NOT_MADE "not-made"   /* the change is not there: the call was not made (or failed) */
#define SK_RESOLVED_UNKNOWN "unknown"     /* live state cannot tell; the plan decides again */

struct sk_journal;
struct sk_journal_record;

/*
 * Opens <dir>/journal.jsonl for appending (created 0600, O_APPEND,
 * O_CLOEXEC), ending a torn last line first.  Errors name the path.
 */
int sk_journal_open(struct sk_journal **out, const char *dir);
/*
 * A journal whose records go to sink instead of a file (the PostgreSQL
 * backend, state/pgstate.h): each finished record, as its view and as the
 * one line of JSON the file would hold (without the newline), called under
 * the journal's mutex.  The sink makes the record durable before it
 * returns 0 (a transaction per record); any failure fails the write, so
 * no call is made without its intent.  name is used in messages.
 */
typedef int (*sk_journal_sink)(void *ud, const struct sk_journal_record *r, const char *text, size_t len);
struct sk_journal_filter;
struct sk_journal_stats;
typedef int (*sk_journal_cb)(void *ud, const struct sk_journal_record *r);
typedef int (*sk_journal_reader)(void *src, const struct sk_journal_filter *f, sk_journal_cb cb, void *ud,
				 struct sk_journal_stats *stats);
/* read reads back what sink wrote (sk_journal_pending), with src its first argument */
int sk_journal_open_sink(struct sk_journal **out, const char *name, sk_journal_sink sink, void *ud,
			 sk_journal_reader read, void *src);
/* NULL is a no-op */
void sk_journal_close(struct sk_journal *j);
const char *sk_journal_path(const struct sk_journal *j);

/* a new run id: "20260101T030000Z-1a2b3c4d" (UTC time, random) */
int sk_journal_new_run_id(char out[SK_JOURNAL_ID_MAX]);

/* what an intent records; every field may be NULL (then left out) */
struct sk_journal_call {
	const char *run_id;
	const char *action;   /* "create", "copy", "delete", "modify", "start-replication", ... */
	const char *region;   /* where the call goes */
	const char *target;   /* the snapshot or instance it changes */
	const char *instance;
	const char *policy;
	const char *commit;   /* the policy commit the plan came from */
	const json_t *call;   /* the call's parameters (the plan action as JSON); copied */
};

#define SK_JOURNAL_CALL_INIT                                                                              \
	{ .run_id = NULL, .action = NULL, .region = NULL, .target = NULL, .instance = NULL, .policy = NULL,      \
	  .commit = NULL, .call = NULL }

/*
 * Appends an intent and syncs it to disk before returning; its id goes to
 * out_id.  Make the call only when this returned 0.
 */
int sk_journal_intent(char *out_id, size_t out_len, struct sk_journal *j, const struct sk_journal_call *c);

/* how a call ended; NULL fields are left out */
struct sk_journal_result {
	const char *result;        /* "done", "already-done", "deferred", "failed", "skipped", SK_RESULT_UNKNOWN */
	const char *error_code;    /* AWS's code, e.g. "DBSnapshotAlreadyExists" */
	const char *error_message;
	const char *request_id;    /* AWS RequestId of the call */
	const char *detail;
};

#define SK_JOURNAL_RESULT_INIT                                                                            \
	{ .result = NULL, .error_code = NULL, .error_message = NULL, .request_id = NULL, .detail = NULL }

/*
 * Appends the outcome of an intent this handle wrote (its action, region,
 * target, instance, policy, commit and run are repeated from the intent),
 * synced like intents.
 */
int sk_journal_outcome(struct sk_journal *j, const char *intent_id, const struct sk_journal_result *r);

/*
 * Appends a resolution of an intent from an earlier run (a record from
 * sk_journal_unresolved()): how is one of SK_RESOLVED_*, detail says what
 * live state showed, run_id is the resolving run.
 */
int sk_journal_resolve(struct sk_journal *j, const json_t *intent, const char *how, const char *detail,
		       const char *run_id);

/*
 * How a restore whose call was made ended (`snapkeep restore --wait`): a
 * "restore" record naming its intent, with the intent's action, region,
 * target (the new instance), instance (the source) and run, and
 *   "result": "available", "timeout", "failed" or "interrupted",
 *   "detail": what was seen, "seconds": how long it was waited for.
 * The intent's outcome says whether RDS accepted the call; this says what
 * became of it.  Synced like intents.
 */
struct sk_journal_restore {
	const char *run_id;
	const char *action;   /* the intent's: "restore-pitr", "restore-snapshot" */
	const char *region;
	const char *target;
	const char *instance;
	const char *result;
	const char *detail;
	int64_t seconds;
};

int sk_journal_restore(struct sk_journal *j, const char *intent_id, const struct sk_journal_restore *r);

/*
 * Appends any other record {"type": type, "id", "time", ...fields} (e.g.
 * "run" records marking a run's start and end); sync as for intents.
 */
int sk_journal_append(char *out_id, size_t out_len, struct sk_journal *j, const char *type, const json_t *fields,
		      bool sync);

/* ---- reading ---- */

/* one record; the strings point into json and live as long as it */
struct sk_journal_record {
	const json_t *json;
	size_t line;
	const char *type;
	const char *id;
	const char *intent;  /* outcome, resolution: the intent's id */
	const char *run_id;
	int64_t time_ms;     /* 0 when absent or unreadable */
	const char *action, *region, *target, *instance, *policy, *commit;
	const char *result;  /* outcome */
	const char *error_code, *error_message, *request_id;
	const char *how;     /* resolution */
	const char *detail;
};

/* a view of a parsed record; -1 (SK_ERR_STATE) unless it is an object with a string "type" */
int sk_journal_record_view(struct sk_journal_record *out, const json_t *rec);

/* parses one line (without its newline) into *out_json and a view of it (the fuzz target's entry point) */
int sk_journal_parse_line(struct sk_journal_record *out, json_t **out_json, const char *line, size_t len);

struct sk_journal_filter {
	int64_t since_ms;      /* only records at or after; 0: all */
	const char *instance;  /* only records whose instance or target is this */
	const char *type;      /* only records of this type */
	bool quiet;            /* no warnings about damaged lines (a second pass over the same file) */
};

#define SK_JOURNAL_FILTER_INIT { .since_ms = 0, .instance = NULL, .type = NULL, .quiet = false }

struct sk_journal_stats {
	size_t records;  /* readable records */
	size_t matched;  /* passed to the callback */
	size_t damaged;  /* lines skipped: not JSON, not a record, or too long */
	bool torn_tail;  /* the last line was incomplete (a crash mid-write) */
};

/* does r pass f (NULL: every record)? */
bool sk_journal_matches(const struct sk_journal_record *r, const struct sk_journal_filter *f);

/*
 * Streams <dir>/journal.jsonl in order, one record in memory at a time,
 * calling cb for each that passes the filter (f may be NULL); cb returning
 * non-zero stops and is returned.  Damaged lines are skipped with a warning
 * (sk_warn) naming the line.  SK_ENOTFOUND (no error set) when there is no
 * journal; stats may be NULL.
 */
int sk_journal_read(const char *dir, const struct sk_journal_filter *f, sk_journal_cb cb, void *ud,
		    struct sk_journal_stats *stats);

/*
 * The intents that have neither an outcome (other than SK_RESULT_UNKNOWN)
 * nor a resolution, oldest first,
 * as a JSON array of their records (an empty array when there is no
 * journal).  Memory holds only the unresolved ones.
 */
int sk_journal_unresolved(json_t **out, const char *dir);

/* the same over any reader of records (a backend's), src its first argument */
int sk_journal_unresolved_from(json_t **out, sk_journal_reader read, void *src);

/* sk_journal_unresolved() of where j writes (its file, or its sink's reader) */
int sk_journal_pending(json_t **out, struct sk_journal *j);

#endif
