/*
 * test_journal.c - the audit journal, and apply's glue to it
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/engine/journal_glue.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/retention.h"
#include "state/fileio.h"
#include "state/journal.h"

#include "state/backend.h"
#include "backend_fixture.h"

/*
 * Tests in both[] run on the directory and on PostgreSQL (backend_fixture.h):
 * they write through jopen() and read through lines(), jread() and
 * junresolved(), which go to the journal file or the table.  Tests of the
 * file itself (torn and damaged lines, a full disk) run on the directory only.
 */
struct fixture {
	struct bfx *bx;
	char dir[256];
	char path[300];
	struct sk_backend *b; /* PostgreSQL: opened by the first jopen() of this process */
	pid_t b_pid;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || bfx_setup(state) < 0)
		return -1;
	f->bx = *state;
	snprintf(f->dir, sizeof(f->dir), "%s", f->bx->dir);
	snprintf(f->path, sizeof(f->path), "%s/journal.jsonl", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->b && f->b_pid == getpid())
		sk_backend_close(f->b);
	*state = f->bx;
	bfx_teardown(state);
	free(f);
	return 0;
}

static struct fixture *fx(void **state)
{
	struct fixture *f = *state;
	void *inner = f->bx;

	bfx_get(&inner); /* skips on PostgreSQL when it is not installed */
	return f;
}

/* this process's backend on PostgreSQL (a forked child opens its own) */
static struct sk_backend *pgb(struct fixture *f)
{
	if (!f->b || f->b_pid != getpid()) {
		f->b = bfx_open(f->bx);
		f->b_pid = getpid();
	}
	return f->b;
}

static int jopen(struct sk_journal **j, struct fixture *f)
{
	return f->bx->pg ? sk_backend_journal_open(j, pgb(f)) : sk_journal_open(j, f->dir);
}

static int jread(struct fixture *f, const struct sk_journal_filter *flt, sk_journal_cb cb, void *ud,
		 struct sk_journal_stats *st)
{
	return f->bx->pg ? sk_backend_journal_read(pgb(f), flt, cb, ud, st) : sk_journal_read(f->dir, flt, cb, ud, st);
}

static int junresolved(json_t **out, struct fixture *f)
{
	return f->bx->pg ? sk_backend_journal_unresolved(out, pgb(f)) : sk_journal_unresolved(out, f->dir);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}

static int collect_json(void *ud, const struct sk_journal_record *r)
{
	return json_array_append(ud, (json_t *)r->json);
}

/*
 * Every record as JSON, read straight from the file, or from the table by
 * another connection (what is committed)
 */
static json_t *lines(struct fixture *f)
{
	struct sk_buf b = SK_BUF_INIT;
	json_t *arr = json_array();
	char *p, *nl;

	if (f->bx->pg) {
		struct sk_backend *other = bfx_open(f->bx);
		assert_int_equal(sk_backend_journal_read(other, NULL, collect_json, arr, NULL), 0);
		sk_backend_close(other);
		return arr;
	}
	assert_int_equal(sk_file_read_all(&b, f->path, 0), 0);
	for (p = b.ptr; *p; p = nl + 1) {
		json_t *j;
		nl = strchr(p, '\n');
		assert_non_null(nl); /* every record ends its line */
		j = json_loadb(p, (size_t)(nl - p), 0, NULL);
		assert_non_null(j);
		json_array_append_new(arr, j);
	}
	sk_buf_free(&b);
	return arr;
}

static const char *s(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void append_raw(struct fixture *f, const char *text)
{
	int fd;

	if (f->bx->pg) {
		/* whole records only: the table holds no torn or damaged line */
		const char *p, *nl;
		for (p = text; *p; p = nl + 1) {
			struct sk_journal_record r;
			json_t *j = NULL;
			bool inserted;
			char *line;
			nl = strchr(p, '\n');
			assert_non_null(nl);
			line = strndup(p, (size_t)(nl - p));
			assert_int_equal(sk_journal_parse_line(&r, &j, line, strlen(line)), 0);
			assert_int_equal(sk_backend_journal_import(&inserted, pgb(f), &r), 0);
			assert_true(inserted);
			json_decref(j);
			free(line);
		}
		return;
	}
	fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void intent(struct sk_journal *j, char *id, const char *action, const char *target, const char *instance)
{
	struct sk_journal_call c = SK_JOURNAL_CALL_INIT;

	c.run_id = "run-1";
	c.action = action;
	c.region = "us-east-1";
	c.target = target;
	c.instance = instance;
	c.policy = "prod";
	c.commit = "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567";
	assert_int_equal(sk_journal_intent(id, SK_JOURNAL_ID_MAX, j, &c), 0);
}

static void outcome(struct sk_journal *j, const char *id, const char *result)
{
	struct sk_journal_result r = SK_JOURNAL_RESULT_INIT;

	r.result = result;
	assert_int_equal(sk_journal_outcome(j, id, &r), 0);
}

/* ---- writing ---- */

static void test_intent_is_in_the_file_with_every_field_when_it_returns(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_journal_call c = SK_JOURNAL_CALL_INIT;
	char id[SK_JOURNAL_ID_MAX];
	json_t *call = json_pack("{s:s, s:{s:s}}", "action", "create", "tags", "snapkeep:policy", "prod"), *all, *rec;
	struct stat st;
	int64_t t;

	assert_int_equal(jopen(&j, f), 0);
	if (!f->bx->pg)
		assert_string_equal(sk_journal_path(j), f->path);
	c.run_id = "20260101T030000Z-1a2b3c4d";
	c.action = "create";
	c.region = "us-east-1";
	c.target = "snapkeep-db1-20260101t0300";
	c.instance = "db1";
	c.policy = "prod";
	c.commit = "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567";
	c.call = call;
	assert_int_equal(sk_journal_intent(id, sizeof(id), j, &c), 0);
	assert_true(strlen(id) > 10);
	/* read by another descriptor while the journal is still open: nothing is buffered */
	all = lines(f);
	assert_int_equal(json_array_size(all), 1);
	rec = json_array_get(all, 0);
	assert_string_equal(s(rec, "type"), "intent");
	assert_string_equal(s(rec, "id"), id);
	assert_string_equal(s(rec, "runId"), "20260101T030000Z-1a2b3c4d");
	assert_string_equal(s(rec, "action"), "create");
	assert_string_equal(s(rec, "region"), "us-east-1");
	assert_string_equal(s(rec, "target"), "snapkeep-db1-20260101t0300");
	assert_string_equal(s(rec, "instance"), "db1");
	assert_string_equal(s(rec, "policy"), "prod");
	assert_string_equal(s(rec, "commit"), "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567");
	assert_true(json_equal(json_object_get(rec, "call"), call));
	assert_int_equal(sk_time_parse_rfc3339_ms(&t, s(rec, "time")), 0);
	assert_true(llabs(t - sk_time_now_ms()) < 60000);
	/* the key order is fixed: type and id first */
	assert_string_equal(json_object_iter_key(json_object_iter(rec)), "type");
	assert_string_equal(json_object_iter_key(json_object_iter_next(rec, json_object_iter(rec))), "id");
	if (!f->bx->pg) {
		assert_int_equal(stat(f->path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	json_decref(all);
	json_decref(call);
	sk_journal_close(j);
	sk_journal_close(NULL);
}

static void test_outcome_repeats_the_intent_and_carries_the_aws_answer(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_journal_result r = SK_JOURNAL_RESULT_INIT;
	char id[SK_JOURNAL_ID_MAX];
	json_t *all, *rec;

	assert_int_equal(jopen(&j, f), 0);
	intent(j, id, "delete", "snapkeep-db1-20251201t0300", "db1");
	r.result = "failed";
	r.error_code = "InvalidDBSnapshotState";
	r.error_message = "snapshot is being copied";
	r.request_id = "7f0c6d1e-0000-4000-8000-000000000001";
	r.detail = "";
	assert_int_equal(sk_journal_outcome(j, id, &r), 0);
	all = lines(f);
	assert_int_equal(json_array_size(all), 2);
	rec = json_array_get(all, 1);
	assert_string_equal(s(rec, "type"), "outcome");
	assert_string_equal(s(rec, "intent"), id);
	assert_string_not_equal(s(rec, "id"), id);
	assert_string_equal(s(rec, "action"), "delete");
	assert_string_equal(s(rec, "target"), "snapkeep-db1-20251201t0300");
	assert_string_equal(s(rec, "instance"), "db1");
	assert_string_equal(s(rec, "policy"), "prod");
	assert_string_equal(s(rec, "commit"), "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567");
	assert_string_equal(s(rec, "runId"), "run-1");
	assert_string_equal(s(rec, "result"), "failed");
	assert_string_equal(s(rec, "errorCode"), "InvalidDBSnapshotState");
	assert_string_equal(s(rec, "errorMessage"), "snapshot is being copied");
	assert_string_equal(s(rec, "requestId"), "7f0c6d1e-0000-4000-8000-000000000001");
	assert_null(json_object_get(rec, "detail")); /* empty fields are left out */
	assert_null(json_object_get(rec, "call"));   /* parameters live in the intent only */
	json_decref(all);
	assert_int_equal(sk_journal_outcome(j, "", &r), SK_ERROR);
	sk_journal_close(j);
}

static void test_a_crash_between_intent_and_outcome_leaves_exactly_that_intent_unresolved(void **state)
{
	struct fixture *f = fx(state);
	json_t *pending = NULL;
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sk_journal *j = NULL;
		char a[SK_JOURNAL_ID_MAX], b[SK_JOURNAL_ID_MAX];
		struct sk_journal_result r = SK_JOURNAL_RESULT_INIT;
		struct sk_journal_call c = SK_JOURNAL_CALL_INIT;
		if (jopen(&j, f) < 0)
			_exit(3);
		c.action = "create";
		c.region = "us-east-1";
		c.target = "snap-a";
		c.instance = "db1";
		r.result = "done";
		if (sk_journal_intent(a, sizeof(a), j, &c) < 0 || sk_journal_outcome(j, a, &r) < 0)
			_exit(4);
		c.target = "snap-b";
		if (sk_journal_intent(b, sizeof(b), j, &c) < 0)
			_exit(5);
		/* the call is in flight: the process dies here */
		raise(SIGKILL);
		_exit(6);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 1);
	assert_string_equal(s(json_array_get(pending, 0), "target"), "snap-b");
	assert_string_equal(s(json_array_get(pending, 0), "type"), "intent");
	json_decref(pending);
}

static void test_a_resolution_settles_an_intent_and_names_the_resolving_run(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	char a[SK_JOURNAL_ID_MAX], b[SK_JOURNAL_ID_MAX], c[SK_JOURNAL_ID_MAX];
	json_t *pending = NULL, *all, *rec;

	assert_int_equal(jopen(&j, f), 0);
	intent(j, a, "create", "snap-a", "db1");
	intent(j, b, "copy", "snap-b", "db1");
	intent(j, c, "delete", "snap-c", "db2");
	outcome(j, b, "done");
	sk_journal_close(j); /* "crash" with a and c open */

	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 2);
	assert_string_equal(s(json_array_get(pending, 0), "id"), a); /* oldest first */
	assert_string_equal(s(json_array_get(pending, 1), "id"), c);

	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_resolve(j, json_array_get(pending, 0), SK_RESOLVED_COMPLETED,
					    "snapshot 'snap-a' exists in us-east-1 (available)", "run-2"),
			 0);
	assert_int_equal(sk_journal_resolve(j, json_array_get(pending, 1), SK_RESOLVED_NOT_MADE, NULL, "run-2"), 0);
	{
		json_t *no_id = json_object();
		assert_int_equal(sk_journal_resolve(j, no_id, SK_RESOLVED_NOT_MADE, NULL, "run-2"), SK_ERROR);
		json_decref(no_id);
	}
	sk_journal_close(j);
	json_decref(pending);

	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 0);
	json_decref(pending);
	all = lines(f);
	assert_int_equal(json_array_size(all), 6);
	rec = json_array_get(all, 4);
	assert_string_equal(s(rec, "type"), "resolution");
	assert_string_equal(s(rec, "intent"), a);
	assert_string_equal(s(rec, "how"), "completed");
	assert_string_equal(s(rec, "runId"), "run-2");
	assert_string_equal(s(rec, "action"), "create");
	assert_string_equal(s(rec, "target"), "snap-a");
	assert_string_equal(s(rec, "instance"), "db1");
	assert_string_equal(s(rec, "detail"), "snapshot 'snap-a' exists in us-east-1 (available)");
	assert_string_equal(s(json_array_get(all, 5), "how"), "not-made");
	json_decref(all);
}

struct counter {
	size_t n;
	char types[64][16];
	char targets[64][64];
	int stop_after;
};

static int count(void *ud, const struct sk_journal_record *r)
{
	struct counter *c = ud;

	if (c->n < 64) {
		snprintf(c->types[c->n], sizeof(c->types[0]), "%s", r->type);
		snprintf(c->targets[c->n], sizeof(c->targets[0]), "%s", r->target ? r->target : "");
	}
	c->n++;
	return c->stop_after && (int)c->n >= c->stop_after ? 7 : 0;
}

/* a call sent but not surely answered may have been made: its intent stays open until live state says */
static void test_an_unknown_outcome_leaves_its_intent_for_the_next_run(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	char a[SK_JOURNAL_ID_MAX], b[SK_JOURNAL_ID_MAX];
	json_t *pending = NULL;

	assert_int_equal(jopen(&j, f), 0);
	intent(j, a, "create", "snap-a", "db1");
	outcome(j, a, SK_RESULT_UNKNOWN);
	intent(j, b, "delete", "snap-b", "db1");
	outcome(j, b, "failed");
	sk_journal_close(j);

	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 1);
	assert_string_equal(s(json_array_get(pending, 0), "id"), a);
	assert_string_equal(s(json_array_get(pending, 0), "type"), "intent");

	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_resolve(j, json_array_get(pending, 0), SK_RESOLVED_COMPLETED, NULL, "run-2"), 0);
	sk_journal_close(j);
	json_decref(pending);
	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 0);
	json_decref(pending);
}

static void test_a_torn_last_line_is_skipped_with_a_warning_and_ended_before_the_next_append(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_journal_stats st;
	struct counter c;
	char a[SK_JOURNAL_ID_MAX];
	json_t *pending = NULL;

	assert_int_equal(jopen(&j, f), 0);
	intent(j, a, "create", "snap-a", "db1");
	outcome(j, a, "done");
	sk_journal_close(j);
	append_raw(f, "{\"type\":\"intent\",\"id\":\"x.9\",\"action\":\"cre"); /* the crash */

	memset(&c, 0, sizeof(c));
	assert_int_equal(jread(f, NULL, count, &c, &st), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(st.records, 2);
	assert_true(st.torn_tail);
	assert_int_equal(st.damaged, 0);
	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 0); /* a torn intent was never acknowledged: no call was made */
	json_decref(pending);

	/* the next writer ends the torn line, so its own record stays whole */
	assert_int_equal(jopen(&j, f), 0);
	intent(j, a, "delete", "snap-z", "db1");
	sk_journal_close(j);
	memset(&c, 0, sizeof(c));
	assert_int_equal(jread(f, NULL, count, &c, &st), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.targets[2], "snap-z");
	assert_false(st.torn_tail);
	assert_int_equal(st.damaged, 1); /* the old fragment, now a line of its own */
}

static void test_damaged_lines_in_the_middle_are_skipped_and_counted(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal_stats st;
	struct counter c;

	append_raw(f, "{\"type\":\"intent\",\"id\":\"a.1\",\"target\":\"one\"}\n"
			    "garbage\n"
			    "[1,2,3]\n"
			    "{\"no\":\"type\"}\n"
			    "\n"
			    "{\"type\":\"outcome\",\"id\":\"a.2\",\"intent\":\"a.1\",\"target\":\"one\"}\n"
			    "{\"type\":\"note\",\"id\":\"a.3\"}\n");
	memset(&c, 0, sizeof(c));
	assert_int_equal(jread(f, NULL, count, &c, &st), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.damaged, 3);
	assert_false(st.torn_tail);
	assert_string_equal(c.types[2], "note");
	/* a callback can stop the walk */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(jread(f, NULL, count, &c, NULL), 7);
	assert_int_equal(c.n, 2);
}

static void test_reading_filters_by_time_instance_and_type(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal_filter flt = SK_JOURNAL_FILTER_INIT;
	struct sk_journal_stats st;
	struct counter c;

	append_raw(f,
		   "{\"type\":\"intent\",\"id\":\"a.1\",\"time\":\"2026-01-01T03:00:00.000Z\",\"instance\":\"db1\",\"target\":\"s1\"}\n"
		   "{\"type\":\"outcome\",\"id\":\"a.2\",\"intent\":\"a.1\",\"time\":\"2026-01-01T03:00:01.500Z\",\"instance\":\"db1\",\"target\":\"s1\"}\n"
		   "{\"type\":\"intent\",\"id\":\"a.3\",\"time\":\"2026-01-02T03:00:00.000Z\",\"instance\":\"db2\",\"target\":\"s2\"}\n"
		   "{\"type\":\"intent\",\"id\":\"a.4\",\"time\":\"2026-01-03T03:00:00.000Z\",\"target\":\"db1\"}\n"
		   "{\"type\":\"run\",\"id\":\"a.5\"}\n");
	assert_int_equal(sk_time_parse_rfc3339_ms(&flt.since_ms, "2026-01-01T03:00:01Z"), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(jread(f, &flt, count, &c, &st), 0);
	assert_int_equal(c.n, 3); /* the outcome (at .500), a.3, a.4; a.5 has no time */
	/* the file's reader reads every record; PostgreSQL returns only those that pass */
	assert_int_equal(st.records, f->bx->pg ? 3 : 5);
	assert_int_equal(st.matched, 3);
	flt.since_ms = 0;
	flt.instance = "db1";
	memset(&c, 0, sizeof(c));
	assert_int_equal(jread(f, &flt, count, &c, NULL), 0);
	assert_int_equal(c.n, 3); /* by instance, or by target for instance changes */
	assert_string_equal(c.targets[2], "db1");
	flt.type = "outcome";
	memset(&c, 0, sizeof(c));
	assert_int_equal(jread(f, &flt, count, &c, NULL), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.types[0], "outcome");
}

static void test_a_missing_journal_is_not_found_and_has_nothing_unresolved(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal_stats st;
	json_t *pending = NULL;
	char gone[400];
	struct sk_journal *j = (struct sk_journal *)1;

	assert_int_equal(jread(f, NULL, NULL, NULL, &st), SK_ENOTFOUND);
	assert_int_equal(st.records, 0);
	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 0);
	json_decref(pending);
	snprintf(gone, sizeof(gone), "%s/gone", f->dir);
	assert_int_equal(sk_journal_open(&j, gone), SK_ERROR);
	assert_null(j);
	assert_contains(sk_error_message(), "cannot open the journal '");
	assert_contains(sk_error_message(), "/gone/journal.jsonl");
}

struct writer {
	struct sk_journal *j;
	int n;
	int which;
};

static void *write_many(void *arg)
{
	struct writer *w = arg;
	int i;

	for (i = 0; i < w->n; i++) {
		struct sk_journal_call c = SK_JOURNAL_CALL_INIT;
		struct sk_journal_result r = SK_JOURNAL_RESULT_INIT;
		char id[SK_JOURNAL_ID_MAX], target[64];
		snprintf(target, sizeof(target), "snap-%d-%d", w->which, i);
		c.action = "create";
		c.target = target;
		c.region = w->which % 2 ? "us-east-1" : "eu-west-1";
		r.result = "done";
		if (sk_journal_intent(id, sizeof(id), w->j, &c) < 0 || sk_journal_outcome(w->j, id, &r) < 0)
			return (void *)1;
	}
	return NULL;
}

static void test_appends_from_many_threads_stay_whole_lines_with_unique_ids(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	enum { T = 4, N = 25 };
	struct writer w[T];
	pthread_t th[T];
	json_t *all, *pending = NULL, *ids = json_object();
	size_t i;
	int k;

	assert_int_equal(jopen(&j, f), 0);
	for (k = 0; k < T; k++) {
		w[k].j = j;
		w[k].n = N;
		w[k].which = k;
		assert_int_equal(pthread_create(&th[k], NULL, write_many, &w[k]), 0);
	}
	for (k = 0; k < T; k++) {
		void *ret;
		pthread_join(th[k], &ret);
		assert_null(ret);
	}
	sk_journal_close(j);
	all = lines(f); /* fails on any torn or interleaved line */
	assert_int_equal(json_array_size(all), 2 * T * N);
	for (i = 0; i < json_array_size(all); i++) {
		const char *id = s(json_array_get(all, i), "id");
		assert_non_null(id);
		assert_null(json_object_get(ids, id));
		json_object_set_new(ids, id, json_true());
	}
	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 0);
	json_decref(pending);
	json_decref(ids);
	json_decref(all);
}

static void test_other_records_are_appended_and_reserved_types_refused(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	char id[SK_JOURNAL_ID_MAX];
	json_t *fields = json_pack("{s:s, s:s, s:s}", "event", "start", "command", "apply", "type", "sneaky"), *all;

	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_append(id, sizeof(id), j, "run", fields, false), 0);
	assert_int_equal(sk_journal_append(NULL, 0, j, "intent", fields, true), SK_ERROR);
	assert_int_equal(sk_journal_append(NULL, 0, j, "", fields, true), SK_ERROR);
	sk_journal_close(j);
	all = lines(f);
	assert_int_equal(json_array_size(all), 1);
	assert_string_equal(s(json_array_get(all, 0), "type"), "run");
	assert_string_equal(s(json_array_get(all, 0), "id"), id);
	assert_string_equal(s(json_array_get(all, 0), "event"), "start");
	json_decref(all);
	json_decref(fields);
}

static void test_a_restore_record_names_its_intent_and_how_it_ended(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_journal_restore r = { .run_id = "run-1", .action = "restore-pitr", .region = "us-west-2",
					.target = "db-new", .instance = "db1", .result = "available",
					.detail = "available after 42 s", .seconds = 42 };
	char id[SK_JOURNAL_ID_MAX];
	json_t *all, *rec, *pending = NULL;

	assert_int_equal(jopen(&j, f), 0);
	intent(j, id, "restore-pitr", "db-new", "db1");
	outcome(j, id, "done");
	assert_int_equal(sk_journal_restore(j, id, &r), 0);
	r.result = NULL;
	assert_int_equal(sk_journal_restore(j, id, &r), SK_ERROR); /* a result is required */
	assert_int_equal(sk_journal_restore(j, "", &r), SK_ERROR);
	/* the generic append cannot forge one */
	all = json_object();
	assert_int_equal(sk_journal_append(NULL, 0, j, "restore", all, true), SK_ERROR);
	json_decref(all);
	sk_journal_close(j);
	all = lines(f);
	assert_int_equal(json_array_size(all), 3);
	rec = json_array_get(all, 2);
	assert_string_equal(s(rec, "type"), "restore");
	assert_string_equal(s(rec, "intent"), id);
	assert_string_equal(s(rec, "action"), "restore-pitr");
	assert_string_equal(s(rec, "region"), "us-west-2");
	assert_string_equal(s(rec, "target"), "db-new");
	assert_string_equal(s(rec, "instance"), "db1");
	assert_string_equal(s(rec, "result"), "available");
	assert_string_equal(s(rec, "detail"), "available after 42 s");
	assert_int_equal(json_integer_value(json_object_get(rec, "seconds")), 42);
	assert_non_null(s(rec, "time"));
	json_decref(all);
	/* the intent has its outcome: nothing is left open */
	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 0);
	json_decref(pending);
}

static void test_run_ids_carry_the_time_and_differ(void **state)
{
	char a[SK_JOURNAL_ID_MAX], b[SK_JOURNAL_ID_MAX];

	(void)state;
	assert_int_equal(sk_journal_new_run_id(a), 0);
	assert_int_equal(sk_journal_new_run_id(b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(a), 25);
	assert_int_equal(a[8], 'T');
	assert_int_equal(a[15], 'Z');
	assert_int_equal(a[16], '-');
}

static void test_parse_line_wants_an_object_with_a_type(void **state)
{
	struct sk_journal_record r;
	json_t *j = NULL;
	const char *ok = "{\"type\":\"outcome\",\"intent\":\"a.1\",\"result\":\"done\",\"time\":\"2026-01-01T00:00:00.250Z\"}";

	(void)state;
	assert_int_equal(sk_journal_parse_line(&r, &j, ok, strlen(ok)), 0);
	assert_string_equal(r.type, "outcome");
	assert_string_equal(r.intent, "a.1");
	assert_string_equal(r.result, "done");
	assert_int_equal(r.time_ms, 1767225600250LL);
	json_decref(j);
	assert_int_equal(sk_journal_parse_line(&r, &j, "{\"type\":1}", 10), SK_ERROR);
	assert_null(j);
	assert_int_equal(sk_journal_parse_line(&r, &j, "{\"type\":\"a\"} {", 15), SK_ERROR);
	assert_int_equal(sk_journal_parse_line(&r, &j, "{\"type\":\"a\",\"type\":\"b\"}", 23), SK_ERROR);
}

/* ---- the glue apply uses ---- */

static const struct sk_aws_tag tags[] = { { "snapkeep:policy", "prod" }, { "snapkeep:slot", "2026-01-01T03:00:00Z" } };

static void make_create(struct sk_action *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = SK_ACTION_CREATE;
	a->region = "us-east-1";
	a->instance = "db1";
	a->target = "snapkeep-db1-20260101t0300";
	a->policy = "prod";
	a->reason = "schedule slot 2026-01-01T03:00:00Z";
	a->retention = a->copy_tags = a->deletion_protection = -1;
	a->slot = 1767236400;
	a->tags = tags;
	a->n_tags = 2;
	a->gib = 20;
}

static void test_glue_records_the_plan_action_and_commit_before_the_call(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_plan p;
	struct sk_action a;
	struct sk_aws_error err;
	char id[64];
	json_t *all, *rec, *call;

	memset(&p, 0, sizeof(p));
	snprintf(p.commit, sizeof(p.commit), "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567");
	make_create(&a);
	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_glue_intent(j, "run-7", &p, &a, id, sizeof(id)), 0);
	all = lines(f);
	assert_int_equal(json_array_size(all), 1);
	rec = json_array_get(all, 0);
	assert_string_equal(s(rec, "id"), id);
	assert_string_equal(s(rec, "runId"), "run-7");
	assert_string_equal(s(rec, "action"), "create");
	assert_string_equal(s(rec, "region"), "us-east-1");
	assert_string_equal(s(rec, "target"), "snapkeep-db1-20260101t0300");
	assert_string_equal(s(rec, "instance"), "db1");
	assert_string_equal(s(rec, "policy"), "prod");
	assert_string_equal(s(rec, "commit"), "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567");
	call = json_object_get(rec, "call");
	assert_string_equal(s(call, "action"), "create");
	assert_string_equal(s(call, "slot"), "2026-01-01T03:00:00Z");
	assert_string_equal(s(json_object_get(call, "tags"), "snapkeep:policy"), "prod");
	json_decref(all);

	/* success: the RequestId; an "already" outcome: AWS's code too */
	memset(&err, 0, sizeof(err));
	err.http_status = 200;
	snprintf(err.request_id, sizeof(err.request_id), "req-ok-1");
	sk_journal_glue_outcome(j, id, &a, 1, "done", &err, NULL);
	assert_int_equal(sk_journal_glue_intent(j, "run-7", &p, &a, id, sizeof(id)), 0);
	memset(&err, 0, sizeof(err));
	err.http_status = 400;
	snprintf(err.code, sizeof(err.code), "DBSnapshotAlreadyExists");
	snprintf(err.message, sizeof(err.message), "Cannot create the snapshot because one with this name already exists");
	snprintf(err.request_id, sizeof(err.request_id), "req-dup-2");
	sk_journal_glue_outcome(j, id, &a, 2, "already-done", &err, NULL);
	sk_journal_close(j);

	all = lines(f);
	assert_int_equal(json_array_size(all), 4);
	rec = json_array_get(all, 1);
	assert_string_equal(s(rec, "type"), "outcome");
	assert_string_equal(s(rec, "result"), "done");
	assert_string_equal(s(rec, "requestId"), "req-ok-1");
	assert_null(json_object_get(rec, "errorCode"));
	assert_null(json_object_get(rec, "errorMessage"));
	assert_string_equal(s(rec, "commit"), "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567");
	rec = json_array_get(all, 3);
	assert_string_equal(s(rec, "result"), "already-done");
	assert_string_equal(s(rec, "errorCode"), "DBSnapshotAlreadyExists");
	assert_string_equal(s(rec, "requestId"), "req-dup-2");
	json_decref(all);
}

static void test_glue_with_no_journal_records_nothing(void **state)
{
	struct fixture *f = fx(state);
	struct sk_action a;
	char id[64] = "junk";
	struct stat st;

	make_create(&a);
	assert_int_equal(sk_journal_glue_intent(NULL, "run", NULL, &a, id, sizeof(id)), 0);
	assert_string_equal(id, "");
	sk_journal_glue_outcome(NULL, id, &a, 1, "done", NULL, NULL);
	assert_int_equal(sk_journal_glue_resolve(NULL, NULL, "run", NULL), 0);
	assert_int_equal(stat(f->path, &st), -1);
}

static void test_glue_failing_to_journal_stops_the_call_and_keeps_the_callers_error(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_action a;
	struct rlimit old, none;
	char id[64];

	make_create(&a);
	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_glue_intent(j, "run", NULL, &a, id, sizeof(id)), 0);
	/* the disk is full from here on */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	none = old;
	none.rlim_cur = 1;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &none), 0);
	sk_error_set(SK_ERR_AWS, "the call's own error");
	sk_journal_glue_outcome(j, id, &a, 4, "failed", NULL, sk_error_message());
	assert_string_equal(sk_error_message(), "the call's own error"); /* a warning, not a new error */
	assert_int_equal(sk_journal_glue_intent(j, "run", NULL, &a, id, sizeof(id)), SK_ERROR);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_contains(sk_error_message(), "not making the call create snapkeep-db1-20260101t0300 (us-east-1): cannot "
					    "record the intent: cannot write the journal");
	assert_string_equal(id, "");
	sk_journal_close(j);
}

static void add_snapshot(struct sk_inventory *inv, const char *region, const char *id, const char *owner,
			 const char *status)
{
	struct sk_inv_snapshot sn;
	struct sk_aws_tag t = { "snapkeep:policy", owner };

	memset(&sn, 0, sizeof(sn));
	sn.id = id;
	sn.region = region;
	sn.instance = "db1";
	sn.status_text = status;
	sn.status = (uint8_t)sk_snap_status_from(status);
	sn.tags = owner ? &t : NULL;
	sn.n_tags = owner ? 1 : 0;
	sn.created = 1767236400;
	assert_non_null(sk_inventory_add_snapshot(inv, &sn));
}

static void journal_intent_of(struct sk_journal *j, const char *action, const char *region, const char *target,
			      json_t *call)
{
	struct sk_journal_call c = SK_JOURNAL_CALL_INIT;
	char id[SK_JOURNAL_ID_MAX];

	c.run_id = "crashed-run";
	c.action = action;
	c.region = region;
	c.target = target;
	c.instance = "db1";
	c.policy = "prod";
	c.call = call;
	assert_int_equal(sk_journal_intent(id, sizeof(id), j, &c), 0);
	json_decref(call);
}

static void test_glue_resolves_a_crashed_runs_intents_against_live_state(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_inv_instance in;
	struct sk_inv_autobackup ab;
	struct sk_journal_glue_counts n;
	const char *repl[] = { "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-x" };
	json_t *pending = NULL, *all;
	size_t i, resolutions = 0;
	const char *want[][2] = {
		{ "snap-made", "completed" },    { "snap-never", "not-made" },     { "snap-foreign", "unknown" },
		{ "snap-old", "not-made" },      { "snap-gone", "completed" },     { "snap-deleting", "completed" },
		{ "db1", "completed" },          { "db2", "not-made" },            { "db1-repl", "completed" },
	};

	assert_int_equal(sk_inventory_new(&inv), 0);
	add_snapshot(inv, "us-east-1", "snap-made", "prod", "creating");
	add_snapshot(inv, "us-east-1", "snap-foreign", NULL, "available");
	add_snapshot(inv, "us-east-1", "snap-old", "prod", "available");
	add_snapshot(inv, "us-east-1", "snap-deleting", "prod", "deleting");
	memset(&in, 0, sizeof(in));
	in.id = "db1";
	in.region = "us-east-1";
	in.arn = "arn:aws:rds:us-east-1:123456789012:db:db1";
	in.retention = 7;
	in.has_pending_retention = true;
	in.pending_retention = 14; /* modified, waiting for the maintenance window */
	in.backup_window = "03:00-04:00";
	in.replications = repl;
	in.n_replications = 1;
	assert_non_null(sk_inventory_add_instance(inv, &in));
	in.id = "db2";
	in.arn = "arn:aws:rds:us-east-1:123456789012:db:db2";
	in.has_pending_retention = false;
	in.n_replications = 0;
	assert_non_null(sk_inventory_add_instance(inv, &in));
	memset(&ab, 0, sizeof(ab));
	ab.region = "us-west-2";
	ab.source_region = "us-east-1";
	ab.instance = "db1";
	ab.instance_arn = "arn:aws:rds:us-east-1:123456789012:db:db1";
	ab.arn = repl[0];
	ab.status = "replicating";
	assert_non_null(sk_inventory_add_autobackup(inv, &ab));

	assert_int_equal(jopen(&j, f), 0);
	journal_intent_of(j, "create", "us-east-1", "snap-made", NULL);
	journal_intent_of(j, "create", "us-east-1", "snap-never", NULL);
	journal_intent_of(j, "copy", "us-east-1", "snap-foreign", NULL);
	journal_intent_of(j, "delete", "us-east-1", "snap-old", NULL);
	journal_intent_of(j, "delete", "us-east-1", "snap-gone", NULL);
	journal_intent_of(j, "delete", "us-east-1", "snap-deleting", NULL);
	journal_intent_of(j, "modify", "us-east-1", "db1",
			  json_pack("{s:i, s:s}", "backupRetentionPeriod", 14, "preferredBackupWindow", "03:00-04:00"));
	journal_intent_of(j, "modify", "us-east-1", "db2", json_pack("{s:i, s:b}", "backupRetentionPeriod", 14,
								     "copyTagsToSnapshot", 1));
	journal_intent_of(j, "start-replication", "us-west-2", "db1-repl",
			  json_pack("{s:s, s:s}", "sourceRegion", "us-east-1", "sourceArn",
				    "arn:aws:rds:us-east-1:123456789012:db:db1"));
	journal_intent_of(j, "copy", "eu-central-1", "snap-unobserved", NULL);
	sk_journal_close(j);

	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_glue_resolve(j, inv, "next-run", &n), 0);
	sk_journal_close(j);
	assert_int_equal(n.completed, 5);
	assert_int_equal(n.not_made, 3);
	assert_int_equal(n.unknown, 1);
	assert_int_equal(n.left, 1);

	/* only the intent of the region not observed is left */
	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 1);
	assert_string_equal(s(json_array_get(pending, 0), "target"), "snap-unobserved");
	json_decref(pending);

	all = lines(f);
	for (i = 0; i < json_array_size(all); i++) {
		const json_t *rec = json_array_get(all, i);
		size_t k;
		if (strcmp(s(rec, "type"), "resolution"))
			continue;
		resolutions++;
		assert_string_equal(s(rec, "runId"), "next-run");
		assert_non_null(s(rec, "detail"));
		for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			if (!strcmp(want[k][0], s(rec, "target")))
				break;
		assert_true(k < sizeof(want) / sizeof(want[0]));
		if (strcmp(s(rec, "how"), want[k][1]))
			fail_msg("%s: resolved %s, want %s (%s)", want[k][0], s(rec, "how"), want[k][1], s(rec, "detail"));
		if (!strcmp(want[k][0], "db2"))
			assert_contains(s(rec, "detail"), "backup_retention_period, copy_tags_to_snapshot");
		if (!strcmp(want[k][0], "snap-foreign"))
			assert_contains(s(rec, "detail"), "not tagged as owned");
	}
	assert_int_equal(resolutions, 9);
	json_decref(all);
	sk_inventory_free(inv);
}

/*
 * Resolving one shard's intents (a `run` replica holds its lock): those
 * of its instances, a copy's and a copy deletion's by their sourceRegion
 * wherever the call went; another shard's are left to it, as a live
 * replica may be making them.
 */
static void test_glue_resolves_only_the_shards_intents(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_journal_glue_counts n;
	json_t *pending = NULL;
	size_t i;

	assert_int_equal(sk_inventory_new(&inv), 0);
	assert_int_equal(sk_inventory_add_region(inv, "us-east-1"), 0);
	assert_int_equal(sk_inventory_add_region(inv, "us-west-2"), 0);
	assert_int_equal(jopen(&j, f), 0);
	journal_intent_of(j, "create", "us-east-1", "snap-east", NULL);
	journal_intent_of(j, "copy", "us-west-2", "snap-east-copy", json_pack("{s:s}", "sourceRegion", "us-east-1"));
	journal_intent_of(j, "delete", "us-west-2", "snap-east-old-copy",
			  json_pack("{s:s}", "sourceRegion", "us-east-1"));
	journal_intent_of(j, "create", "us-west-2", "snap-west", NULL);
	journal_intent_of(j, "copy", "us-east-1", "snap-west-copy", json_pack("{s:s}", "sourceRegion", "us-west-2"));
	sk_journal_close(j);

	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_glue_resolve_shard(j, inv, "next-run", "us-east-1", &n), 0);
	sk_journal_close(j);
	assert_int_equal(n.not_made, 2);   /* the create and the copy: not there */
	assert_int_equal(n.completed, 1);  /* the deletion: gone */
	assert_int_equal(n.other_shards, 2);
	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 2);
	for (i = 0; i < 2; i++)
		assert_string_equal(sk_journal_glue_shard_region(json_array_get(pending, i)), "us-west-2");
	json_decref(pending);
	sk_inventory_free(inv);
}

/*
 * Several accounts: an intent is judged against its own account's
 * inventory only (its call's "account"; none: the caller's own).  The same
 * snapshot name made in two accounts resolves in the account whose
 * inventory holds it, and is left for the other's.
 */
static void test_glue_resolves_each_accounts_intents_against_its_own_inventory(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_inventory *a = NULL, *own = NULL;
	struct sk_journal_glue_counts n;
	json_t *pending = NULL;

	assert_int_equal(sk_inventory_new(&a), 0);
	a->account = sk_inventory_intern(a, "111111111111");
	add_snapshot(a, "us-east-1", "snap-made", "prod", "available");
	assert_int_equal(sk_inventory_new(&own), 0);
	add_snapshot(own, "us-east-1", "snap-made", "prod", "available");

	assert_int_equal(jopen(&j, f), 0);
	journal_intent_of(j, "create", "us-east-1", "snap-made", json_pack("{s:s}", "account", "111111111111"));
	journal_intent_of(j, "create", "us-east-1", "snap-made", json_pack("{s:s}", "account", "222222222222"));
	journal_intent_of(j, "create", "us-east-1", "snap-made", NULL);
	sk_journal_close(j);

	/* account 111111111111's inventory: its intent only */
	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_glue_resolve(j, a, "next-run", &n), 0);
	sk_journal_close(j);
	assert_int_equal(n.completed, 1);
	assert_int_equal(n.not_made + n.unknown, 0);
	assert_int_equal(n.left, 2);
	/* the caller's own: the intent without an account */
	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_glue_resolve(j, own, "next-run", &n), 0);
	sk_journal_close(j);
	assert_int_equal(n.completed, 1);
	assert_int_equal(n.left, 1);
	/* 222222222222 was not observed: its intent waits for a run that observes it */
	assert_int_equal(junresolved(&pending, f), 0);
	assert_int_equal(json_array_size(pending), 1);
	assert_string_equal(s(json_object_get(json_array_get(pending, 0), "call"), "account"), "222222222222");
	json_decref(pending);
	sk_inventory_free(own);
	sk_inventory_free(a);
}

/* a restore that crashed between its intent and its outcome: made when its new instance is there */
static void test_glue_resolves_a_crashed_restore_by_its_new_instance(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_inv_instance in;
	struct sk_journal_glue_counts n;
	json_t *all;
	size_t i, seen = 0;

	assert_int_equal(sk_inventory_new(&inv), 0);
	memset(&in, 0, sizeof(in));
	in.id = "db1-restored";
	in.region = "us-east-1";
	in.arn = "arn:aws:rds:us-east-1:123456789012:db:db1-restored";
	assert_non_null(sk_inventory_add_instance(inv, &in));
	assert_int_equal(jopen(&j, f), 0);
	journal_intent_of(j, "restore-pitr", "us-east-1", "db1-restored", NULL);
	journal_intent_of(j, "restore-snapshot", "us-east-1", "db1-never", NULL);
	journal_intent_of(j, "restore-pitr", "us-west-2", "db1-dr", NULL);
	sk_journal_close(j);
	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_glue_resolve(j, inv, "next-run", &n), 0);
	sk_journal_close(j);
	assert_int_equal(n.completed, 1);
	assert_int_equal(n.not_made, 1);
	assert_int_equal(n.unknown, 0);
	assert_int_equal(n.left, 1); /* us-west-2 was not observed */
	all = lines(f);
	for (i = 0; i < json_array_size(all); i++) {
		const json_t *rec = json_array_get(all, i);
		if (strcmp(s(rec, "type"), "resolution"))
			continue;
		seen++;
		if (!strcmp(s(rec, "target"), "db1-restored")) {
			assert_string_equal(s(rec, "how"), "completed");
			assert_string_equal(s(rec, "detail"), "instance 'db1-restored' exists in us-east-1");
		} else {
			assert_string_equal(s(rec, "target"), "db1-never");
			assert_string_equal(s(rec, "how"), "not-made");
			assert_string_equal(s(rec, "detail"), "no instance 'db1-never' in us-east-1");
		}
	}
	assert_int_equal(seen, 2);
	json_decref(all);
	sk_inventory_free(inv);
}

/* on PostgreSQL, a journal that cannot write (the server went away) stops the call as a full disk does */
static void test_glue_with_postgresql_gone_stops_the_call(void **state)
{
	struct fixture *f = fx(state);
	struct sk_journal *j = NULL;
	struct sk_action a;
	char id[64], sql[128];
	bool lost = false;
	json_t *all;

	make_create(&a);
	assert_int_equal(jopen(&j, f), 0);
	assert_int_equal(sk_journal_glue_intent(j, "run", NULL, &a, id, sizeof(id)), 0);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' "
				   "AND pid <> pg_backend_pid()", BFX_DB);
	assert_int_equal(pgfx_psql(&bfx_server, BFX_DB, sql, NULL, 0), 0);
	assert_int_equal(sk_journal_glue_intent(j, "run", NULL, &a, id, sizeof(id)), SK_ERROR);
	assert_contains(sk_error_message(), "not making the call create snapkeep-db1-20260101t0300 (us-east-1): cannot "
					    "record the intent: PostgreSQL 'postgres://postgres:***@127.0.0.1:");
	assert_contains(sk_error_message(), "is unavailable");
	assert_string_equal(id, "");
	/* the run loop's check opens it again; the locks of the old session are gone */
	assert_int_equal(sk_backend_check(pgb(f), &lost), 0);
	assert_true(lost);
	assert_int_equal(sk_journal_glue_intent(j, "run", NULL, &a, id, sizeof(id)), 0);
	all = lines(f);
	assert_int_equal(json_array_size(all), 2);
	json_decref(all);
	sk_journal_close(j);
}

int main(void)
{
	/* on both backends */
	const struct CMUnitTest both[] = {
		cmocka_unit_test_setup_teardown(test_intent_is_in_the_file_with_every_field_when_it_returns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outcome_repeats_the_intent_and_carries_the_aws_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_crash_between_intent_and_outcome_leaves_exactly_that_intent_unresolved,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_unknown_outcome_leaves_its_intent_for_the_next_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_resolution_settles_an_intent_and_names_the_resolving_run, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reading_filters_by_time_instance_and_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appends_from_many_threads_stay_whole_lines_with_unique_ids, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_records_are_appended_and_reserved_types_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_restore_record_names_its_intent_and_how_it_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glue_resolves_a_crashed_restore_by_its_new_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glue_resolves_only_the_shards_intents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glue_records_the_plan_action_and_commit_before_the_call, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_glue_resolves_a_crashed_runs_intents_against_live_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_glue_resolves_each_accounts_intents_against_its_own_inventory, setup,
						teardown),
	};
	/* the file itself, and what needs no journal */
	const struct CMUnitTest dir_only[] = {
		cmocka_unit_test_setup_teardown(
			test_a_torn_last_line_is_skipped_with_a_warning_and_ended_before_the_next_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_lines_in_the_middle_are_skipped_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_missing_journal_is_not_found_and_has_nothing_unresolved, setup,
						teardown),
		cmocka_unit_test(test_run_ids_carry_the_time_and_differ),
		cmocka_unit_test(test_parse_line_wants_an_object_with_a_type),
		cmocka_unit_test_setup_teardown(test_glue_with_no_journal_records_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glue_failing_to_journal_stops_the_call_and_keeps_the_callers_error,
						setup, teardown),
	};
	const struct CMUnitTest pg_only[] = {
		cmocka_unit_test_setup_teardown(test_glue_with_postgresql_gone_stops_the_call, setup, teardown),
	};
	int failed = _cmocka_run_group_tests("directory only", dir_only, sizeof(dir_only) / sizeof(dir_only[0]),
					     bfx_group_dir, bfx_group_teardown);

	failed += bfx_run_both(both, sizeof(both) / sizeof(both[0]));
	failed += _cmocka_run_group_tests("postgresql only", pg_only, sizeof(pg_only) / sizeof(pg_only[0]),
					  bfx_group_pg, bfx_group_teardown);
	return failed;
}
