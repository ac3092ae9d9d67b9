/*
 * test_backend.c - shard locks and the whole-state lock, on the state
 * directory and on PostgreSQL
 *
 * Contention is tested between real processes (fork): both backends' locks
 * belong to a process (an open file, a PostgreSQL session) and go when it
 * dies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "state/backend.h"
#include "backend_fixture.h"

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

/*
 * Forks a child that opens its own backend, takes shard (account, region)
 * (or the whole-state lock when region is NULL), says so on the pipe and
 * waits to be killed.  Returns its pid once it holds the lock.
 */
static pid_t holder_child(const struct bfx *f, const char *account, const char *region)
{
	int fds[2];
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sk_backend_opts o = SK_BACKEND_OPTS_INIT;
		struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
		struct sk_backend *b = NULL;
		struct sk_backend_lock *l = NULL;
		bool held = false;

		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test does not leave it behind */
		o.spec = f->spec;
		o.state_dir = f->dir;
		lo.command = "run";
		lo.run_id = "child-run";
		if (sk_backend_open(&b, &o) < 0)
			_exit(2);
		if (region ? sk_backend_shard_trylock(&held, NULL, b, account, region, &lo) < 0 || !held
			   : sk_backend_lock(&l, b, &lo) < 0)
			_exit(3);
		if (write(fds[1], "x", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1) {
		int st;
		waitpid(pid, &st, 0);
		fail_msg("the child could not take the lock (exit %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	close(fds[0]);
	return pid;
}

static void kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_shard_keys_are_stable_and_documented(void **state)
{
	(void)bfx_get(state);
	/* first 8 bytes of SHA-256("snapkeep:shard:1111/us-east-1"), big-endian, signed */
	assert_true(sk_backend_shard_key("1111", "us-east-1") == sk_backend_shard_key("1111", "us-east-1"));
	assert_true(sk_backend_shard_key("1111", "us-east-1") != sk_backend_shard_key("1111", "us-west-2"));
	assert_true(sk_backend_shard_key("", "us-east-1") != sk_backend_shard_key("1111", "us-east-1"));
	assert_true(sk_backend_shard_key("1111", "us-east-1") != sk_backend_state_key());
	/* `printf 'snapkeep:shard:1111/us-east-1' | sha256sum`: 7d5518af2c938a45... */
	assert_true(sk_backend_shard_key("1111", "us-east-1") == (int64_t)0x7d5518af2c938a45LL);
}

static void test_a_free_shard_is_taken_and_given_back(void **state)
{
	struct bfx *f = bfx_get(state);
	struct sk_backend *b = bfx_open(f);
	struct sk_lock_holder h, stale;
	const char *const *names;
	bool held = false;

	assert_int_equal(sk_backend_shard_trylock(&held, &stale, b, "1111", "us-east-1", NULL), 0);
	assert_true(held);
	assert_false(stale.known);
	assert_true(sk_backend_shard_held(b, "1111", "us-east-1"));
	assert_false(sk_backend_shard_held(b, "1111", "us-west-2"));
	assert_int_equal(sk_backend_shards(&names, b), 1);
	assert_string_equal(names[0], "1111/us-east-1");
	/* a second shard beside it */
	assert_int_equal(sk_backend_shard_trylock(&held, NULL, b, "1111", "us-west-2", NULL), 0);
	assert_true(held);
	assert_int_equal(sk_backend_shards(&names, b), 2);
	/* taking one held already says no, without an error */
	assert_int_equal(sk_backend_shard_trylock(&held, NULL, b, "1111", "us-east-1", NULL), 0);
	assert_false(held);
	assert_int_equal(sk_backend_shard_holder(&h, b, "1111", "us-east-1"), 1);
	assert_int_equal(h.pid, (long)getpid());
	assert_int_equal(sk_backend_shard_unlock(b, "1111", "us-east-1"), 0);
	assert_int_equal(sk_backend_shard_unlock(b, "1111", "us-east-1"), SK_ENOTFOUND);
	assert_false(sk_backend_shard_held(b, "1111", "us-east-1"));
	assert_int_equal(sk_backend_shard_holder(&h, b, "1111", "us-east-1"), 0);
	assert_int_equal(sk_backend_shards(&names, b), 1);
	sk_backend_close(b);
}

static void test_a_shard_another_process_holds_is_not_taken_and_its_holder_is_named(void **state)
{
	struct bfx *f = bfx_get(state);
	pid_t child = holder_child(f, "1111", "us-east-1");
	struct sk_backend *b = bfx_open(f);
	struct sk_lock_holder h;
	char who[768];
	bool held = true;

	assert_int_equal(sk_backend_shard_trylock(&held, NULL, b, "1111", "us-east-1", NULL), 0);
	assert_false(held);
	assert_int_equal(sk_backend_shard_holder(&h, b, "1111", "us-east-1"), 1);
	assert_int_equal(h.pid, (long)child);
	assert_string_equal(h.command, "run");
	assert_string_equal(h.run_id, "child-run");
	sk_lock_holder_describe(who, sizeof(who), &h);
	assert_contains(who, "run (pid ");
	if (f->pg)
		assert_contains(who, "PostgreSQL session ");
	/* other shards are free */
	assert_int_equal(sk_backend_shard_trylock(&held, NULL, b, "1111", "us-west-2", NULL), 0);
	assert_true(held);
	kill_child(child);
	sk_backend_close(b);
}

static void test_a_dead_holders_shard_is_free_and_its_record_reported_stale(void **state)
{
	struct bfx *f = bfx_get(state);
	pid_t child = holder_child(f, "", "eu-west-1");
	struct sk_backend *b = bfx_open(f);
	struct sk_lock_holder stale;
	bool held = false;
	int tries = 0;

	kill_child(child);
	/* PostgreSQL sees the session end a moment after the process */
	do {
		assert_int_equal(sk_backend_shard_trylock(&held, &stale, b, "", "eu-west-1", NULL), 0);
		if (!held)
			usleep(50 * 1000);
	} while (!held && ++tries < 100);
	assert_true(held);
	assert_true(stale.known);
	assert_int_equal(stale.pid, (long)child);
	assert_string_equal(stale.command, "run");
	sk_backend_close(b);
}

static void test_the_whole_state_lock_and_shard_locks_exclude_each_other(void **state)
{
	struct bfx *f = bfx_get(state);
	pid_t child = holder_child(f, "", "us-east-1");
	struct sk_backend *b = bfx_open(f);
	struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
	struct sk_backend_lock *l = NULL;
	bool held = true;

	/* a replica holds a shard: apply's whole-state lock waits, then names it */
	lo.command = "apply";
	assert_int_equal(sk_backend_lock(&l, b, &lo), SK_ELOCKED);
	assert_null(l);
	assert_int_equal(sk_error_last()->klass, SK_ERR_LOCK);
	assert_contains(sk_error_message(), "is locked by run (pid ");
	assert_contains(sk_error_message(), "--lock-timeout");
	kill_child(child);

	/* apply holds the whole state: no shard can be taken */
	child = holder_child(f, NULL, NULL);
	assert_int_equal(sk_backend_shard_trylock(&held, NULL, b, "", "us-west-2", NULL), 0);
	assert_false(held);
	kill_child(child);
	sk_backend_close(b);
}

static void test_the_whole_state_lock_is_taken_released_and_peeked(void **state)
{
	struct bfx *f = bfx_get(state);
	struct sk_backend *b = bfx_open(f), *other = bfx_open(f);
	struct sk_lock_opts lo = SK_LOCK_OPTS_INIT;
	struct sk_backend_lock *l = NULL;
	struct sk_lock_holder h;

	lo.command = "apply";
	lo.run_id = "r-1";
	assert_int_equal(sk_backend_lock(&l, b, &lo), 0);
	assert_null(sk_backend_lock_stale_holder(l));
	assert_int_equal(sk_backend_lock_peek(&h, other), 1);
	assert_string_equal(h.command, "apply");
	assert_string_equal(h.run_id, "r-1");
	sk_backend_unlock(l);
	assert_int_equal(sk_backend_lock_peek(&h, other), 0);
	sk_backend_close(other);
	sk_backend_close(b);
}

static void test_force_unlock_refuses_a_live_holder_and_clears_a_dead_ones_record(void **state)
{
	struct bfx *f = bfx_get(state);
	pid_t child = holder_child(f, "2222", "us-east-1");
	struct sk_backend *b = bfx_open(f);
	struct sk_lock_holder h;
	int rc, tries = 0;

	assert_int_equal(sk_backend_force_unlock(&h, b, "2222", "us-east-1"), SK_ELOCKED);
	assert_contains(sk_error_message(), "refusing to unlock shard '2222/us-east-1'");
	assert_int_equal(h.pid, (long)child);
	kill_child(child);
	do {
		rc = sk_backend_force_unlock(&h, b, "2222", "us-east-1");
		if (rc == SK_ELOCKED)
			usleep(50 * 1000);
	} while (rc == SK_ELOCKED && ++tries < 100);
	assert_int_equal(rc, 0);
	assert_true(h.known);
	assert_int_equal(h.pid, (long)child);
	/* nothing left to clear */
	assert_int_equal(sk_backend_force_unlock(&h, b, "2222", "us-east-1"), SK_ENOTFOUND);
	sk_backend_close(b);
}

static void test_closing_the_backend_releases_its_shards(void **state)
{
	struct bfx *f = bfx_get(state);
	struct sk_backend *b = bfx_open(f), *other;
	bool held = false;

	assert_int_equal(sk_backend_shard_trylock(&held, NULL, b, "", "ap-south-1", NULL), 0);
	assert_true(held);
	sk_backend_close(b);
	other = bfx_open(f);
	assert_int_equal(sk_backend_shard_trylock(&held, NULL, other, "", "ap-south-1", NULL), 0);
	assert_true(held);
	sk_backend_close(other);
}

static void test_shard_states_are_kept_apart_from_the_whole_fleets(void **state)
{
	struct bfx *f = bfx_get(state);
	struct sk_backend *b = bfx_open(f);
	struct sk_state *whole = NULL, *east = NULL, *west = NULL, *r = NULL;
	struct sk_state_instance *in;

	assert_int_equal(sk_backend_state_load(&whole, b, NULL), 0);
	assert_int_equal(sk_backend_state_load(&east, b, "1111/us-east-1"), 0);
	assert_int_equal(sk_backend_state_load(&west, b, "1111/us-west-2"), 0);
	assert_false(east->existed);
	assert_int_equal(sk_state_instance(&in, east, "us-east-1", "db1", true), 0);
	assert_int_equal(sk_backend_state_save(east, b, "1111/us-east-1"), 0);
	assert_int_equal(sk_backend_state_save(east, b, "1111/us-east-1"), 0);
	assert_int_equal(sk_backend_state_save(west, b, "1111/us-west-2"), 0);
	assert_int_equal(sk_backend_state_save(whole, b, NULL), 0);
	assert_int_equal(sk_backend_state_load(&r, b, "1111/us-east-1"), 0);
	assert_int_equal(r->serial, 2);
	assert_int_equal(r->n_instances, 1);
	assert_string_equal(r->lineage, east->lineage);
	sk_state_free(r);
	assert_int_equal(sk_backend_state_load(&r, b, NULL), 0);
	assert_int_equal(r->serial, 1);
	assert_int_equal(r->n_instances, 0);
	assert_string_equal(r->lineage, whole->lineage);
	sk_state_free(r);
	if (!f->pg) {
		char path[512];
		struct stat st;
		snprintf(path, sizeof(path), "%s/shards/%016llx.json", f->dir,
			 (unsigned long long)(uint64_t)sk_backend_shard_key("1111", "us-east-1"));
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	sk_state_free(whole);
	sk_state_free(east);
	sk_state_free(west);
	sk_backend_close(b);
}

static void test_saved_plan_fingerprints_are_kept_in_postgresql(void **state)
{
	struct bfx *f = bfx_get(state);
	struct sk_backend *b = bfx_open(f);
	char run[64];

	assert_int_equal(sk_backend_plan_record(b, "9d1c", "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567"), 0);
	assert_int_equal(sk_backend_plan_applied(run, sizeof(run), b, "9d1c"), 0);
	assert_int_equal(sk_backend_plan_mark_applied(b, "9d1c", "run-9"), 0);
	/* the directory keeps none: its saved plans are only files */
	assert_int_equal(sk_backend_plan_applied(run, sizeof(run), b, "9d1c"), f->pg ? 1 : 0);
	assert_string_equal(run, f->pg ? "run-9" : "");
	assert_int_equal(sk_backend_plan_applied(run, sizeof(run), b, "other"), 0);
	sk_backend_close(b);
}

static int collect_text(void *ud, const struct sk_journal_record *r)
{
	char *t = json_dumps(r->json, JSON_COMPACT | JSON_PRESERVE_ORDER);

	sk_buf_printf(ud, "%s\n", t);
	free(t);
	return 0;
}

/* a directory with a state (serial 2) and a journal of three records */
static void make_source_dir(char *out, size_t len, const struct bfx *f, const char *name, char lineage[37])
{
	struct sk_state *st = NULL;
	struct sk_journal *j = NULL;
	struct sk_journal_call c = SK_JOURNAL_CALL_INIT;
	struct sk_journal_result r = SK_JOURNAL_RESULT_INIT;
	char id[SK_JOURNAL_ID_MAX];

	snprintf(out, len, "%s/%s", f->dir, name);
	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(sk_state_load(&st, out), 0);
	assert_int_equal(sk_state_save(st, out), 0);
	assert_int_equal(sk_state_save(st, out), 0);
	memcpy(lineage, st->lineage, 37);
	sk_state_free(st);
	assert_int_equal(sk_journal_open(&j, out), 0);
	c.run_id = "run-1";
	c.action = "create";
	c.region = "us-east-1";
	c.target = "snap-1";
	c.instance = "db1";
	assert_int_equal(sk_journal_intent(id, sizeof(id), j, &c), 0);
	r.result = "done";
	assert_int_equal(sk_journal_outcome(j, id, &r), 0);
	c.target = "snap-2";
	assert_int_equal(sk_journal_intent(id, sizeof(id), j, &c), 0); /* left open */
	sk_journal_close(j);
}

static void test_state_push_copies_a_directory_once_and_refuses_another_lineage(void **state)
{
	struct bfx *f = bfx_get(state);
	struct sk_backend *b = bfx_open(f);
	struct sk_backend_push_report rep;
	struct sk_buf from_dir = SK_BUF_INIT, from_pg = SK_BUF_INIT;
	struct sk_state *st = NULL;
	char src[300], other[300], lineage[37], lineage2[37];
	json_t *pending = NULL;

	make_source_dir(src, sizeof(src), f, "src", lineage);
	if (!f->pg) {
		assert_int_equal(sk_backend_push(&rep, b, src, NULL), SK_ERROR);
		assert_contains(sk_error_message(), "state push copies into PostgreSQL");
		sk_backend_close(b);
		return;
	}
	assert_int_equal(sk_backend_push(&rep, b, src, NULL), 0);
	assert_true(rep.state_found && rep.state_pushed);
	assert_int_equal(rep.serial, 2);
	assert_int_equal(rep.records, 3);
	assert_int_equal(rep.inserted, 3);
	/* the same records, in the same order, as the same text; the open intent stays open */
	assert_int_equal(sk_journal_read(src, NULL, collect_text, &from_dir, NULL), 0);
	assert_int_equal(sk_backend_journal_read(b, NULL, collect_text, &from_pg, NULL), 0);
	assert_string_equal(sk_buf_cstr(&from_pg), sk_buf_cstr(&from_dir));
	assert_int_equal(sk_backend_journal_unresolved(&pending, b), 0);
	assert_int_equal(json_array_size(pending), 1);
	json_decref(pending);
	assert_int_equal(sk_backend_state_load(&st, b, NULL), 0);
	assert_int_equal(st->serial, 2);
	assert_string_equal(st->lineage, lineage);
	sk_state_free(st);
	/* again: nothing twice */
	assert_int_equal(sk_backend_push(&rep, b, src, NULL), 0);
	assert_false(rep.state_pushed);
	assert_int_equal(rep.records, 3);
	assert_int_equal(rep.inserted, 0);
	/* another state directory's state of another lineage: refused, and nothing of it pushed */
	make_source_dir(other, sizeof(other), f, "other", lineage2);
	assert_int_equal(sk_backend_push(&rep, b, other, NULL), SK_ERROR);
	assert_contains(sk_error_message(), "already holds a state of another lineage");
	assert_contains(sk_error_message(), "nothing was pushed");
	sk_buf_reset(&from_pg);
	assert_int_equal(sk_backend_journal_read(b, NULL, collect_text, &from_pg, NULL), 0);
	assert_string_equal(sk_buf_cstr(&from_pg), sk_buf_cstr(&from_dir));
	sk_buf_free(&from_dir);
	sk_buf_free(&from_pg);
	sk_backend_close(b);
}

/* saves an environment variable and unsets it; restore_env() puts it back */
static char *unset_env(const char *name)
{
	const char *v = getenv(name);
	char *saved = v ? strdup(v) : NULL;

	unsetenv(name);
	return saved;
}

static void restore_env(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	free(saved);
}

static void test_opening_to_read_writes_nothing_and_needs_no_state_directory(void **state)
{
	static const char *const vars[] = { "SNAPKEEP_STATE_DIR", "XDG_STATE_HOME", "HOME" };
	struct bfx *f = bfx_get(state);
	struct sk_backend *b = NULL;
	char *saved[3];
	char never[300];
	struct stat st;
	size_t i;

	/* a state directory that does not exist yet is read as empty, and not made */
	snprintf(never, sizeof(never), "%s/never", f->dir);
	assert_int_equal(sk_backend_open_read(&b, f->spec, never), 0);
	assert_non_null(b);
	assert_int_equal(sk_backend_journal_read(b, NULL, NULL, NULL, NULL), SK_ENOTFOUND);
	sk_backend_close(b);
	assert_int_equal(stat(never, &st), -1);

	/* none can be named: the directory is no backend and no error; PostgreSQL opens without one */
	for (i = 0; i < 3; i++)
		saved[i] = unset_env(vars[i]);
	b = NULL;
	assert_int_equal(sk_backend_open_read(&b, f->spec, NULL), 0);
	if (f->spec) {
		assert_non_null(b);
		assert_null(sk_backend_dir(b));
	} else {
		assert_null(b);
		assert_int_equal(sk_error_last()->klass, SK_ERR_NONE);
	}
	sk_backend_close(b);
	for (i = 0; i < 3; i++)
		restore_env(vars[i], saved[i]);

	/* a backend that is neither is still an error */
	assert_int_equal(sk_backend_open_read(&b, "https://state.example.com", f->dir), SK_ERROR);
	assert_null(b);
	assert_contains(sk_error_message(), "is not a PostgreSQL connection string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shard_keys_are_stable_and_documented, bfx_setup, bfx_teardown),
		cmocka_unit_test_setup_teardown(test_a_free_shard_is_taken_and_given_back, bfx_setup, bfx_teardown),
		cmocka_unit_test_setup_teardown(test_a_shard_another_process_holds_is_not_taken_and_its_holder_is_named,
						bfx_setup, bfx_teardown),
		cmocka_unit_test_setup_teardown(test_a_dead_holders_shard_is_free_and_its_record_reported_stale, bfx_setup,
						bfx_teardown),
		cmocka_unit_test_setup_teardown(test_the_whole_state_lock_and_shard_locks_exclude_each_other, bfx_setup,
						bfx_teardown),
		cmocka_unit_test_setup_teardown(test_the_whole_state_lock_is_taken_released_and_peeked, bfx_setup,
						bfx_teardown),
		cmocka_unit_test_setup_teardown(test_force_unlock_refuses_a_live_holder_and_clears_a_dead_ones_record,
						bfx_setup, bfx_teardown),
		cmocka_unit_test_setup_teardown(test_closing_the_backend_releases_its_shards, bfx_setup, bfx_teardown),
		cmocka_unit_test_setup_teardown(test_shard_states_are_kept_apart_from_the_whole_fleets, bfx_setup,
						bfx_teardown),
		cmocka_unit_test_setup_teardown(test_saved_plan_fingerprints_are_kept_in_postgresql, bfx_setup,
						bfx_teardown),
		cmocka_unit_test_setup_teardown(test_state_push_copies_a_directory_once_and_refuses_another_lineage,
						bfx_setup, bfx_teardown),
		cmocka_unit_test_setup_teardown(test_opening_to_read_writes_nothing_and_needs_no_state_directory,
						bfx_setup, bfx_teardown),
	};

	return bfx_run_both(tests, sizeof(tests) / sizeof(tests[0]));
}
