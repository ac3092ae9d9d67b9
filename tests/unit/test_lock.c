/*
 * test_lock.c - the run lock: one taker wins, the others name the holder
 *
 * Contention is tested between real processes (fork): flock(2) locks
 * belong to open files, and the kernel drops them when a holder dies.
 */
#define _GNU_SOURCE /* nftw flags */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "state/lock.h"

struct fixture {
	char dir[256];
	char lockfile[300];
};

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/sk-lock-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->lockfile, sizeof(f->lockfile), "%s/lock", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

/*
 * A child that takes the lock as command "apply", tells the parent (one
 * byte on ready) and holds it for hold_ms (or until killed: -1), then exits.
 */
static pid_t spawn_holder(const char *dir, int hold_ms)
{
	int p[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
		struct sk_lock *l = NULL;
		close(p[0]);
		o.command = "apply";
		o.run_id = "20260101T030000Z-child";
		if (sk_lock_acquire(&l, dir, &o) < 0)
			_exit(3);
		if (write(p[1], "k", 1) != 1)
			_exit(4);
		if (hold_ms < 0)
			for (;;)
				pause();
		{
			struct timespec ts = { hold_ms / 1000, (long)(hold_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		sk_lock_release(l);
		_exit(0);
	}
	close(p[1]);
	read_all(p[0], &c, 1);
	close(p[0]);
	return pid;
}

static void reap(pid_t pid, int sig)
{
	int st;

	if (sig)
		kill(pid, sig);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

static void test_holder_record_is_written_and_cleared_on_release(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
	struct sk_lock *l = NULL;
	struct sk_lock_holder h;
	char host[256];
	struct stat st;

	o.command = "apply";
	o.run_id = "r-1";
	assert_int_equal(sk_lock_acquire(&l, f->dir, &o), 0);
	assert_null(sk_lock_stale_holder(l));
	assert_int_equal(sk_lock_read_holder(&h, f->dir), 0);
	assert_true(h.known);
	assert_int_equal(h.pid, (long)getpid());
	assert_string_equal(h.command, "apply");
	assert_string_equal(h.run_id, "r-1");
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(h.host, host);
	assert_true(h.since > 0 && h.since <= sk_time_now());
	assert_int_equal(stat(f->lockfile, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	sk_lock_release(l);
	assert_int_equal(sk_lock_read_holder(&h, f->dir), 0);
	assert_false(h.known);
	assert_int_equal(stat(f->lockfile, &st), 0); /* never removed */
	assert_int_equal(st.st_size, 0);
	sk_lock_release(NULL);
}

static void test_second_taker_in_the_same_process_is_refused_naming_the_holder(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
	struct sk_lock *a = NULL, *b = NULL;
	char want[64];

	o.command = "run";
	assert_int_equal(sk_lock_acquire(&a, f->dir, &o), 0);
	o.command = "apply";
	assert_int_equal(sk_lock_acquire(&b, f->dir, &o), SK_ELOCKED);
	assert_null(b);
	assert_int_equal(sk_error_last()->klass, SK_ERR_LOCK);
	snprintf(want, sizeof(want), "is locked by run (pid %ld on host ", (long)getpid());
	assert_contains(sk_error_message(), want);
	assert_contains(sk_error_message(), f->dir);
	assert_contains(sk_error_message(), "since 20");
	assert_contains(sk_error_message(), "--lock-timeout");
	sk_lock_release(a);
	assert_int_equal(sk_lock_acquire(&b, f->dir, &o), 0);
	sk_lock_release(b);
}

/* each child reports 'W' + its pid when it won, 'L' + the error when it lost */
static void test_two_processes_at_once_exactly_one_wins_and_the_other_names_it(void **state)
{
	struct fixture *f = *state;
	enum { N = 4 };
	pid_t pids[N];
	int go[2], res[2], i, wins = 0, losses = 0;
	char msgs[N][1024];
	long winner = 0;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(res), 0);
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
			struct sk_lock *l = NULL;
			char buf[1024], c;
			int rc;
			close(go[1]);
			close(res[0]);
			/* wait for the start signal (the parent closing the pipe) so all race at once */
			while (read(go[0], &c, 1) > 0)
				;
			o.command = "apply";
			rc = sk_lock_acquire(&l, f->dir, &o);
			memset(buf, 0, sizeof(buf));
			if (rc == 0)
				snprintf(buf, sizeof(buf), "W%ld", (long)getpid());
			else
				snprintf(buf, sizeof(buf), "L%s", sk_error_message());
			if (write(res[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(4);
			if (rc == 0) {
				struct timespec ts = { 0, 500 * 1000000L }; /* hold while the others try */
				nanosleep(&ts, NULL);
				sk_lock_release(l);
			}
			_exit(0);
		}
	}
	close(go[0]);
	close(res[1]);
	close(go[1]); /* go */
	for (i = 0; i < N; i++) {
		char buf[1024];
		read_all(res[0], buf, sizeof(buf));
		buf[sizeof(buf) - 1] = '\0';
		if (buf[0] == 'W') {
			wins++;
			winner = atol(buf + 1);
		} else {
			assert_int_equal(buf[0], 'L');
			snprintf(msgs[losses++], sizeof(msgs[0]), "%s", buf + 1);
		}
	}
	close(res[0]);
	for (i = 0; i < N; i++)
		reap(pids[i], 0);
	assert_int_equal(wins, 1);
	assert_int_equal(losses, N - 1);
	for (i = 0; i < losses; i++) {
		char want[64];
		snprintf(want, sizeof(want), "is locked by apply (pid %ld on host ", winner);
		assert_contains(msgs[i], want);
	}
}

static void test_a_busy_lock_is_waited_for_up_to_the_timeout_then_fails(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
	struct sk_lock *l = NULL;
	pid_t pid = spawn_holder(f->dir, -1);
	int64_t t0, waited;
	char want[64];

	o.command = "apply";
	o.timeout = 1;
	o.poll_ms = 50;
	t0 = sk_time_mono_ms();
	assert_int_equal(sk_lock_acquire(&l, f->dir, &o), SK_ELOCKED);
	waited = sk_time_mono_ms() - t0;
	assert_true(waited >= 1000);
	assert_true(waited < 5000);
	snprintf(want, sizeof(want), "locked by apply (pid %ld on host ", (long)pid);
	assert_contains(sk_error_message(), want);
	assert_contains(sk_error_message(), "run 20260101T030000Z-child");
	assert_contains(sk_error_message(), "gave up after waiting 1s (--lock-timeout)");
	reap(pid, SIGKILL);
}

static void test_a_waiter_gets_the_lock_when_the_holder_finishes(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
	struct sk_lock *l = NULL;
	pid_t pid = spawn_holder(f->dir, 300);
	struct sk_lock_holder h;

	o.command = "apply";
	o.timeout = 10;
	o.poll_ms = 20;
	assert_int_equal(sk_lock_acquire(&l, f->dir, &o), 0);
	assert_null(sk_lock_stale_holder(l)); /* the holder released properly */
	assert_int_equal(sk_lock_read_holder(&h, f->dir), 0);
	assert_int_equal(h.pid, (long)getpid());
	sk_lock_release(l);
	reap(pid, 0);
}

static void test_a_killed_holder_does_not_block_and_is_reported_stale(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
	struct sk_lock *l = NULL;
	const struct sk_lock_holder *stale;
	pid_t pid = spawn_holder(f->dir, -1);

	reap(pid, SIGKILL);
	o.command = "apply";
	assert_int_equal(sk_lock_acquire(&l, f->dir, &o), 0);
	stale = sk_lock_stale_holder(l);
	assert_non_null(stale);
	assert_int_equal(stale->pid, (long)pid);
	assert_string_equal(stale->command, "apply");
	assert_false(sk_lock_holder_alive(stale));
	sk_lock_release(l);
}

static void test_force_unlock_refuses_while_the_holder_is_alive(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_holder h;
	pid_t pid = spawn_holder(f->dir, -1);
	char want[64];

	assert_int_equal(sk_lock_force_unlock(&h, f->dir), SK_ELOCKED);
	assert_true(h.known);
	assert_int_equal(h.pid, (long)pid);
	assert_true(sk_lock_holder_alive(&h));
	snprintf(want, sizeof(want), "held by apply (pid %ld on host ", (long)pid);
	assert_contains(sk_error_message(), "refusing to unlock");
	assert_contains(sk_error_message(), want);
	assert_contains(sk_error_message(), "still running");
	/* the record is untouched */
	assert_int_equal(sk_lock_read_holder(&h, f->dir), 0);
	assert_int_equal(h.pid, (long)pid);
	reap(pid, SIGKILL);
}

static void test_force_unlock_clears_a_dead_holders_record(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_holder h;
	pid_t pid;

	assert_int_equal(sk_lock_force_unlock(&h, f->dir), SK_ENOTFOUND); /* no lock file at all */
	pid = spawn_holder(f->dir, -1);
	reap(pid, SIGKILL);
	assert_int_equal(sk_lock_force_unlock(&h, f->dir), 0);
	assert_true(h.known);
	assert_int_equal(h.pid, (long)pid);
	assert_int_equal(sk_lock_read_holder(&h, f->dir), 0);
	assert_false(h.known);
	assert_int_equal(sk_lock_force_unlock(&h, f->dir), SK_ENOTFOUND); /* nothing left to clear */
}

static volatile sig_atomic_t cancel_flag;

static void *raise_cancel(void *arg)
{
	struct timespec ts = { 0, 200 * 1000000L };

	(void)arg;
	nanosleep(&ts, NULL);
	cancel_flag = 1;
	return NULL;
}

static void test_waiting_stops_when_cancelled(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
	struct sk_lock *a = NULL, *b = NULL;
	pthread_t t;
	int64_t t0;

	assert_int_equal(sk_lock_acquire(&a, f->dir, &o), 0);
	cancel_flag = 0;
	o.timeout = 30;
	o.poll_ms = 20;
	o.cancel = &cancel_flag;
	assert_int_equal(pthread_create(&t, NULL, raise_cancel, NULL), 0);
	t0 = sk_time_mono_ms();
	assert_int_equal(sk_lock_acquire(&b, f->dir, &o), SK_EINTERRUPTED);
	assert_true(sk_time_mono_ms() - t0 < 5000);
	assert_int_equal(sk_error_last()->klass, SK_ERR_INTERRUPTED);
	pthread_join(t, NULL);
	assert_null(b);
	sk_lock_release(a);
}

/*
 * A holder that starts a command and then dies without releasing (a crash):
 * had the command inherited the lock's descriptor, it would keep the lock.
 */
static void test_commands_started_while_holding_do_not_inherit_the_lock(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
	struct sk_lock *b = NULL;
	int p[2];
	pid_t holder, sleeper = 0;

	assert_int_equal(pipe(p), 0);
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		struct sk_lock *a = NULL;
		pid_t s;
		close(p[0]);
		if (sk_lock_acquire(&a, f->dir, &o) < 0)
			_exit(3);
		s = fork();
		if (s == 0) {
			execl("/bin/sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		if (write(p[1], &s, sizeof(s)) != (ssize_t)sizeof(s))
			_exit(4);
		{
			struct timespec ts = { 0, 100 * 1000000L }; /* let it exec */
			nanosleep(&ts, NULL);
		}
		_exit(0); /* no release */
	}
	close(p[1]);
	read_all(p[0], &sleeper, sizeof(sleeper));
	close(p[0]);
	reap(holder, 0);
	assert_int_equal(sk_lock_acquire(&b, f->dir, &o), 0);
	assert_non_null(sk_lock_stale_holder(b)); /* the crashed holder's record */
	sk_lock_release(b);
	kill(sleeper, SIGKILL);
}

/* fuzz_lock: a record's text reaches one-line messages, and its pid reaches kill(2) */
static void test_a_tampered_record_is_described_on_one_line(void **state)
{
	static const char rec[] = "{\"host\":\"ci\\n7\\u001b[2J\",\"pid\":4294967297,\"command\":\"apply\\r\","
				  "\"runId\":\"r\\t1\",\"since\":\"2026-01-01T03:00:00Z\"}";
	struct sk_lock_holder h;
	char who[512];

	(void)state;
	sk_lock_parse_holder(&h, rec, sizeof(rec) - 1);
	assert_true(h.known);
	assert_string_equal(h.host, "ci?7?[2J");
	assert_string_equal(h.command, "apply?");
	assert_string_equal(h.run_id, "r?1");
	assert_int_equal(h.pid, 0); /* 2^32 + 1 is not pid 1 */
	sk_lock_holder_describe(who, sizeof(who), &h);
	assert_string_equal(who, "apply? (pid 0 on host ci?7?[2J, run r?1, since 2026-01-01T03:00:00Z)");
	sk_lock_parse_holder(&h, "{\"pid\":-1}", 10);
	assert_true(h.known);
	assert_int_equal(h.pid, 0);
	sk_lock_parse_holder(&h, "[1]", 3);
	assert_false(h.known);
}

static void test_missing_state_directory_is_a_clear_error(void **state)
{
	struct fixture *f = *state;
	struct sk_lock_opts o = SK_LOCK_OPTS_INIT;
	struct sk_lock *l = NULL;
	char gone[400];

	snprintf(gone, sizeof(gone), "%s/gone", f->dir);
	assert_int_equal(sk_lock_acquire(&l, gone, &o), SK_ERROR);
	assert_contains(sk_error_message(), "cannot open the lock file '");
	assert_contains(sk_error_message(), "No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_holder_record_is_written_and_cleared_on_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_taker_in_the_same_process_is_refused_naming_the_holder, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_processes_at_once_exactly_one_wins_and_the_other_names_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_busy_lock_is_waited_for_up_to_the_timeout_then_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_waiter_gets_the_lock_when_the_holder_finishes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_killed_holder_does_not_block_and_is_reported_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_force_unlock_refuses_while_the_holder_is_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_force_unlock_clears_a_dead_holders_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_stops_when_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_started_while_holding_do_not_inherit_the_lock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_state_directory_is_a_clear_error, setup, teardown),
		cmocka_unit_test(test_a_tampered_record_is_described_on_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
