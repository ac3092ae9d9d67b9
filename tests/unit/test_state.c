/*
 * test_state.c - the state directory, the state file and the run loop's
 * documents (and the atomic write they rely on)
 */
#define _GNU_SOURCE /* nftw flags */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "state/docs.h"
#include "state/fileio.h"
#include "state/state.h"
#include "state/statedir.h"

#include "state_fixture.h"
#include "state/backend.h"
#include "backend_fixture.h"

/*
 * The state file's tests that are about the state (not the file) run on
 * both backends (backend_fixture.h): they load and save through sload()
 * and ssave(), and put or read the stored text with swrite() and sread()
 * (the file, or the row of the whole fleet's state in snapkeep_state).
 */
struct sfx {
	struct bfx *bx;
	char dir[256];
	char path[300];
	struct sk_backend *b;
};

static int bsetup(void **state)
{
	struct sfx *f = calloc(1, sizeof(*f));

	if (!f || bfx_setup(state) < 0)
		return -1;
	f->bx = *state;
	snprintf(f->dir, sizeof(f->dir), "%s", f->bx->dir);
	snprintf(f->path, sizeof(f->path), "%s/state.json", f->dir);
	*state = f;
	return 0;
}

static int bteardown(void **state)
{
	struct sfx *f = *state;

	sk_backend_close(f->b);
	*state = f->bx;
	bfx_teardown(state);
	free(f);
	return 0;
}

static struct sfx *sfx(void **state)
{
	struct sfx *f = *state;
	void *inner = f->bx;

	bfx_get(&inner);
	if (f->bx->pg && !f->b)
		f->b = bfx_open(f->bx);
	return f;
}

static int sload(struct sk_state **out, struct sfx *f)
{
	return f->bx->pg ? sk_backend_state_load(out, f->b, NULL) : sk_state_load(out, f->dir);
}

static int ssave(struct sk_state *s, struct sfx *f)
{
	return f->bx->pg ? sk_backend_state_save(s, f->b, NULL) : sk_state_save(s, f->dir);
}

/* what names the stored state in messages */
static const char *sname(const struct sfx *f)
{
	return f->bx->pg ? "PostgreSQL 'postgres://postgres:***@127.0.0.1:" : f->path;
}

/* puts text where the state is kept (PostgreSQL: as the row's JSON, which must be valid JSON) */
static void swrite(struct sfx *f, const char *text)
{
	char *sql;

	if (!f->bx->pg) {
		write_file(f->path, text);
		return;
	}
	sql = sk_buf_strfmt("INSERT INTO snapkeep_state (shard, serial, lineage, state) VALUES ('', 0, '', $sk$%s$sk$) "
			    "ON CONFLICT (shard) DO UPDATE SET state = EXCLUDED.state",
			    text);
	assert_int_equal(pgfx_psql(&bfx_server, BFX_DB, sql, NULL, 0), 0);
	free(sql);
}

/* the stored text; NULL when there is none */
static char *sread(struct sfx *f)
{
	char out[65536];

	if (!f->bx->pg) {
		struct stat st;
		return stat(f->path, &st) == 0 ? read_file(f->path) : NULL;
	}
	assert_int_equal(pgfx_psql(&bfx_server, BFX_DB, "SELECT count(*) || ':' || coalesce(max(state::text), '') "
							"FROM snapkeep_state WHERE shard = ''",
				   out, sizeof(out)),
			 0);
	return strncmp(out, "0:", 2) ? strdup(strchr(out, ':') + 1) : NULL;
}

static bool can_bypass_permissions(void)
{
	return geteuid() == 0;
}

/* ---- state directory ---- */

static void test_statedir_flag_beats_env_beats_xdg_beats_home(void **state)
{
	char *d = NULL;
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	(void)state;
	setenv("SNAPKEEP_STATE_DIR", "/env/dir/", 1);
	setenv("XDG_STATE_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(sk_statedir_resolve(&d, "/flag/dir"), 0);
	assert_string_equal(d, "/flag/dir");
	free(d);
	assert_int_equal(sk_statedir_resolve(&d, NULL), 0);
	assert_string_equal(d, "/env/dir"); /* trailing slash trimmed */
	free(d);
	unsetenv("SNAPKEEP_STATE_DIR");
	assert_int_equal(sk_statedir_resolve(&d, ""), 0);
	assert_string_equal(d, "/xdg/snapkeep");
	free(d);
	setenv("XDG_STATE_HOME", "relative/ignored", 1); /* the XDG spec: relative paths are invalid */
	assert_int_equal(sk_statedir_resolve(&d, NULL), 0);
	assert_string_equal(d, "/home/u/.local/state/snapkeep");
	free(d);
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	assert_int_equal(sk_statedir_resolve(&d, NULL), SK_ERROR);
	assert_null(d);
	assert_contains(sk_error_message(), "--state-dir");
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
}

static void test_statedir_prepare_creates_nested_dirs_0700_and_leaves_no_probe(void **state)
{
	struct fixture *f = *state;
	char nested[400], *names;
	struct stat st;

	snprintf(nested, sizeof(nested), "%s/a/b/snapkeep", f->dir);
	assert_int_equal(sk_statedir_prepare(nested), 0);
	assert_int_equal(stat(nested, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	names = listing(nested);
	assert_string_equal(names, "");
	free(names);
	assert_int_equal(sk_statedir_exists(nested), 0);
	/* preparing again is fine */
	assert_int_equal(sk_statedir_prepare(nested), 0);
}

static void test_statedir_under_a_file_is_a_clear_error(void **state)
{
	struct fixture *f = *state;
	char file[400], under[420];

	snprintf(file, sizeof(file), "%s/plain", f->dir);
	write_file(file, "x");
	snprintf(under, sizeof(under), "%s/sub", file);
	assert_int_equal(sk_statedir_prepare(under), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_STATE);
	assert_contains(sk_error_message(), under);
	assert_contains(sk_error_message(), "Not a directory");
	/* a file where the directory should be */
	assert_int_equal(sk_statedir_prepare(file), SK_ERROR);
	assert_contains(sk_error_message(), "is not a directory");
	assert_int_equal(sk_statedir_exists(file), SK_ERROR);
}

static void test_statedir_unwritable_is_refused_naming_path_and_reason(void **state)
{
	struct fixture *f = *state;
	char ro[400];

	if (can_bypass_permissions()) {
		/* root ignores modes; sysfs refuses new files even to root */
		struct stat st;
		if (stat("/sys", &st) < 0 || !S_ISDIR(st.st_mode))
			skip();
		if (sk_statedir_prepare("/sys") == 0)
			skip();
		assert_int_equal(sk_error_last()->klass, SK_ERR_STATE);
		assert_contains(sk_error_message(), "state directory '/sys': cannot create a file in it: ");
		return;
	}
	snprintf(ro, sizeof(ro), "%s/ro", f->dir);
	assert_int_equal(mkdir(ro, 0500), 0);
	assert_int_equal(sk_statedir_prepare(ro), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_STATE);
	assert_contains(sk_error_message(), ro);
	assert_contains(sk_error_message(), "Permission denied");
}

/* what fn wrote on stderr (a file under dir stands in for it) */
static char *stderr_of(const char *dir, int (*fn)(const char *), const char *arg, int *rc)
{
	char path[400];
	int saved = dup(STDERR_FILENO), fd;
	char *text;

	snprintf(path, sizeof(path), "%s.stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	*rc = fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	text = read_file(path);
	unlink(path);
	return text;
}

static void test_statedir_others_can_write_is_refused(void **state)
{
	struct fixture *f = *state;
	char d[400], *names, *err;
	int rc;

	snprintf(d, sizeof(d), "%s/shared", f->dir);
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(chmod(d, 0777), 0); /* past the umask */
	assert_int_equal(sk_statedir_prepare(d), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_STATE);
	assert_contains(sk_error_message(), "state directory '");
	assert_contains(sk_error_message(), "/shared' is writable by others (mode 0777)");
	assert_contains(sk_error_message(), "chmod o-w");
	/* refused before anything is written there */
	names = listing(d);
	assert_string_equal(names, "");
	free(names);
	/* /tmp's sticky bit does not help: others still create the files snapkeep expects */
	assert_int_equal(chmod(d, 01777), 0);
	assert_int_equal(sk_statedir_prepare(d), SK_ERROR);
	assert_contains(sk_error_message(), "(mode 1777)");
	/* fixed as told: used again, silently */
	assert_int_equal(chmod(d, 0755), 0);
	err = stderr_of(d, sk_statedir_prepare, d, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	free(err);
}

static void test_statedir_a_group_can_write_is_a_warning(void **state)
{
	struct fixture *f = *state;
	char d[400], *err;
	int rc;

	snprintf(d, sizeof(d), "%s/group", f->dir);
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(chmod(d, 0770), 0);
	/* the process's own group (a user private group, Kubernetes' fsGroup): nothing to say */
	assert_int_equal(chown(d, (uid_t)-1, getegid()), 0);
	err = stderr_of(d, sk_statedir_prepare, d, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	free(err);
	/* another group: used, with a warning naming the group and the fix */
	if (!can_bypass_permissions())
		skip(); /* only root can give a directory to a group it is not in */
	assert_int_equal(chown(d, (uid_t)-1, getegid() + 4242), 0);
	err = stderr_of(d, sk_statedir_prepare, d, &rc);
	assert_int_equal(rc, 0);
	assert_contains(err, "warn: state directory '");
	assert_contains(err, "/group' is writable by group '");
	assert_contains(err, "(mode 0770)");
	assert_contains(err, "chmod g-w");
	assert_true(strchr(err, '\n') == err + strlen(err) - 1); /* one line */
	free(err);
}

/* ---- the state file ---- */

static void test_missing_state_file_is_a_fresh_state_and_is_not_created(void **state)
{
	struct sfx *f = sfx(state);
	struct sk_state *s = NULL;
	char *names;

	assert_int_equal(sload(&s, f), 0);
	assert_non_null(s);
	assert_int_equal(s->serial, 0);
	assert_int_equal(s->version, SK_STATE_VERSION);
	assert_int_equal(strlen(s->lineage), 36);
	assert_int_equal(s->lineage[14], '4'); /* a version 4 UUID */
	assert_false(s->existed);
	assert_int_equal(s->n_instances, 0);
	names = listing(f->dir);
	assert_string_equal(names, "");
	free(names);
	assert_null(sread(f)); /* no file, no row */
	sk_state_free(s);
}

static void test_save_increments_serial_keeps_lineage_mode_0600_no_temp_files(void **state)
{
	struct sfx *f = sfx(state);
	struct sk_state *s = NULL, *again = NULL;
	char lineage[37], *names;
	struct stat st;

	assert_int_equal(sload(&s, f), 0);
	memcpy(lineage, s->lineage, sizeof(lineage));
	assert_int_equal(ssave(s, f), 0);
	assert_int_equal(s->serial, 1);
	assert_int_equal(ssave(s, f), 0);
	assert_int_equal(s->serial, 2);
	if (!f->bx->pg) {
		assert_int_equal(stat(f->path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	names = listing(f->dir);
	assert_string_equal(names, f->bx->pg ? "" : "state.json"); /* PostgreSQL: nothing in the directory */
	free(names);

	assert_int_equal(sload(&again, f), 0);
	assert_true(again->existed);
	assert_int_equal(again->serial, 2);
	assert_string_equal(again->lineage, lineage);
	assert_int_equal(ssave(again, f), 0);
	sk_state_free(again);
	again = NULL;
	assert_int_equal(sload(&again, f), 0);
	assert_int_equal(again->serial, 3);
	assert_string_equal(again->lineage, lineage);
	sk_state_free(again);
	sk_state_free(s);
}

static void fill(struct sk_state *s)
{
	struct sk_state_instance *in;

	snprintf(s->last_applied.commit, sizeof(s->last_applied.commit), "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567");
	snprintf(s->last_applied.subject, sizeof(s->last_applied.subject), "prod: keep 14 days");
	snprintf(s->last_applied.ref, sizeof(s->last_applied.ref), "main");
	s->last_applied.at = 1767236400;
	snprintf(s->last_run.command, sizeof(s->last_run.command), "apply");
	snprintf(s->last_run.run_id, sizeof(s->last_run.run_id), "20260101T030000Z-1a2b3c4d");
	snprintf(s->last_run.commit, sizeof(s->last_run.commit), "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567");
	s->last_run.started_at = 1767236400;
	s->last_run.finished_at = 1767236460;
	snprintf(s->last_run.outcome, sizeof(s->last_run.outcome), "failed");
	s->last_run.summary.actions = 7;
	s->last_run.summary.done = 4;
	s->last_run.summary.already = 1;
	s->last_run.summary.deferred = 1;
	s->last_run.summary.failed = 1;
	snprintf(s->last_run.error, sizeof(s->last_run.error), "rds DeleteDBSnapshot: \"quoted\"\nnewline");
	assert_int_equal(sk_state_instance(&in, s, "us-west-2", "zeta", true), 0);
	snprintf(in->policy, sizeof(in->policy), "prod");
	assert_int_equal(sk_state_instance(&in, s, "eu-west-1", "orders-db", true), 0);
	snprintf(in->policy, sizeof(in->policy), "prod");
	snprintf(in->newest_snapshot, sizeof(in->newest_snapshot), "snapkeep-orders-db-20260101t0300");
	in->newest_snapshot_time = 1767236400;
	snprintf(in->newest_copy, sizeof(in->newest_copy), "snapkeep-orders-db-20260101t0300");
	snprintf(in->newest_copy_region, sizeof(in->newest_copy_region), "eu-central-1");
	in->newest_copy_time = 1767237000;
	in->owned_snapshots = 15;
	in->last_change = 1767236460;
	snprintf(in->last_outcome, sizeof(in->last_outcome), "changed");
}

static void test_state_round_trips_every_field_and_sorts_instances(void **state)
{
	struct sfx *f = sfx(state);
	struct sk_state *s = NULL, *r = NULL;
	struct sk_state_instance *in;
	char *text;

	assert_int_equal(sk_state_new(&s), 0);
	fill(s);
	assert_int_equal(ssave(s, f), 0);
	assert_int_equal(sload(&r, f), 0);
	assert_string_equal(r->last_applied.commit, s->last_applied.commit);
	assert_string_equal(r->last_applied.subject, "prod: keep 14 days");
	assert_string_equal(r->last_applied.ref, "main");
	assert_int_equal(r->last_applied.at, 1767236400);
	assert_string_equal(r->last_run.command, "apply");
	assert_string_equal(r->last_run.run_id, "20260101T030000Z-1a2b3c4d");
	assert_int_equal(r->last_run.finished_at, 1767236460);
	assert_string_equal(r->last_run.outcome, "failed");
	assert_int_equal(r->last_run.summary.actions, 7);
	assert_int_equal(r->last_run.summary.done, 4);
	assert_int_equal(r->last_run.summary.already, 1);
	assert_int_equal(r->last_run.summary.deferred, 1);
	assert_int_equal(r->last_run.summary.failed, 1);
	assert_int_equal(r->last_run.summary.skipped, 0);
	assert_string_equal(r->last_run.error, "rds DeleteDBSnapshot: \"quoted\"\nnewline");
	assert_int_equal(r->created_at, s->created_at);
	assert_int_equal(r->n_instances, 2);
	assert_int_equal(sk_state_instance(&in, r, "eu-west-1", "orders-db", false), 0);
	assert_string_equal(in->newest_snapshot, "snapkeep-orders-db-20260101t0300");
	assert_int_equal(in->newest_snapshot_time, 1767236400);
	assert_string_equal(in->newest_copy_region, "eu-central-1");
	assert_int_equal(in->newest_copy_time, 1767237000);
	assert_int_equal(in->owned_snapshots, 15);
	assert_int_equal(in->last_change, 1767236460);
	assert_string_equal(in->last_outcome, "changed");
	assert_string_equal(in->last_error, "");
	assert_int_equal(sk_state_instance(&in, r, "us-west-2", "nope", false), SK_ENOTFOUND);

	/* the file: sorted instance keys, the documented names */
	text = sread(f);
	assert_contains(text, "\"format\": \"snapkeep-state/v1\"");
	assert_contains(text, "\"serial\": 1");
	assert_true(strstr(text, "\"eu-west-1/orders-db\"") < strstr(text, "\"us-west-2/zeta\""));
	assert_contains(text, "\"newestSnapshotTime\": \"2026-01-01T03:00:00Z\"");
	assert_contains(text, "\"alreadyDone\": 1");
	free(text);
	sk_state_free(r);
	sk_state_free(s);
}

static void test_last_drill_round_trips_and_is_read_per_instance(void **state)
{
	struct sfx *f = sfx(state);
	struct sk_state *s = NULL, *r = NULL;
	struct sk_state_instance *in;
	const struct sk_state_drill *d;
	char *text;

	assert_int_equal(sk_state_new(&s), 0);
	assert_int_equal(sk_state_instance(&in, s, "us-east-1", "orders-db", true), 0);
	in->last_drill.at = 1767236400;
	snprintf(in->last_drill.outcome, sizeof(in->last_drill.outcome), "failed");
	snprintf(in->last_drill.policy, sizeof(in->last_drill.policy), "prod");
	snprintf(in->last_drill.source, sizeof(in->last_drill.source), "snapkeep-orders-db-20260101-0300");
	in->last_drill.source_time = 1767236000;
	in->last_drill.rto_seconds = 312;
	in->last_drill.rpo_seconds = 5400;
	in->last_drill.checks = 3;
	in->last_drill.checks_passed = 2;
	snprintf(in->last_drill.error, sizeof(in->last_drill.error), "check 'books present': expected at least 1, got 0");
	assert_int_equal(sk_state_instance(&in, s, "us-east-1", "never", true), 0);
	assert_int_equal(ssave(s, f), 0);
	assert_int_equal(sload(&r, f), 0);
	assert_non_null(d = sk_state_last_drill(r, NULL, "us-east-1", "orders-db"));
	assert_int_equal(d->at, 1767236400);
	assert_string_equal(d->outcome, "failed");
	assert_string_equal(d->policy, "prod");
	assert_string_equal(d->source, "snapkeep-orders-db-20260101-0300");
	assert_int_equal(d->source_time, 1767236000);
	assert_int_equal(d->rto_seconds, 312);
	assert_int_equal(d->rpo_seconds, 5400);
	assert_int_equal(d->checks, 3);
	assert_int_equal(d->checks_passed, 2);
	assert_string_equal(d->error, "check 'books present': expected at least 1, got 0");
	assert_null(sk_state_last_drill(r, NULL, "us-east-1", "never"));
	assert_null(sk_state_last_drill(r, NULL, "eu-west-1", "orders-db"));
	text = sread(f);
	assert_contains(text, "\"lastDrill\"");
	assert_contains(text, "\"rtoSeconds\": 312");
	free(text);
	sk_state_free(r);
	/* no RPO known: null, read back as -1 */
	assert_int_equal(sk_state_instance(&in, s, "us-east-1", "orders-db", false), 0);
	in->last_drill.rpo_seconds = -1;
	assert_int_equal(ssave(s, f), 0);
	assert_int_equal(sload(&r, f), 0);
	assert_int_equal(sk_state_last_drill(r, NULL, "us-east-1", "orders-db")->rpo_seconds, -1);
	sk_state_free(r);
	sk_state_free(s);
}

static void test_instance_entries_are_found_added_and_removed(void **state)
{
	struct sk_state *s = NULL;
	struct sk_state_instance *a, *b;
	int i;

	(void)state;
	assert_int_equal(sk_state_new(&s), 0);
	for (i = 0; i < 40; i++) {
		char id[16];
		snprintf(id, sizeof(id), "db%d", i);
		assert_int_equal(sk_state_instance(&a, s, "us-east-1", id, true), 0);
	}
	assert_int_equal(s->n_instances, 40);
	assert_int_equal(sk_state_instance(&a, s, "us-east-1", "db7", true), 0);
	assert_int_equal(sk_state_instance(&b, s, "us-east-1", "db7", false), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(s->n_instances, 40);
	assert_int_equal(sk_state_instance_remove(s, "us-east-1", "db7"), 0);
	assert_int_equal(sk_state_instance_remove(s, "us-east-1", "db7"), SK_ENOTFOUND);
	assert_int_equal(sk_state_instance(&b, s, "us-east-1", "db7", false), SK_ENOTFOUND);
	assert_int_equal(s->n_instances, 39);
	assert_int_equal(sk_state_instance(&b, s, "us/east", "db", true), SK_ERROR);
	assert_int_equal(sk_state_instance(&b, s, "us-east-1", "", true), SK_ERROR);
	sk_state_free(s);
	sk_state_free(NULL);
}

/* the same instance name in two accounts is two entries; the caller's own keeps today's key */
static void test_instances_are_keyed_by_account(void **state)
{
	struct fixture *f = *state;
	struct sk_state *s = NULL, *r = NULL;
	struct sk_state_instance *own, *a, *b, *x;
	char *text;

	assert_int_equal(sk_state_new(&s), 0);
	assert_int_equal(sk_state_instance(&own, s, "us-east-1", "orders-db", true), 0);
	own->owned_snapshots = 1;
	assert_int_equal(sk_state_instance_in(&a, s, "111111111111", "us-east-1", "orders-db", true), 0);
	a->owned_snapshots = 2;
	assert_int_equal(sk_state_instance_in(&b, s, "222222222222", "us-east-1", "orders-db", true), 0);
	b->owned_snapshots = 3;
	assert_int_equal(s->n_instances, 3);
	/* "" and NULL are the caller's own */
	assert_int_equal(sk_state_instance_in(&x, s, "", "us-east-1", "orders-db", false), 0);
	assert_int_equal(x->owned_snapshots, 1);
	assert_int_equal(sk_state_instance_in(&x, s, "333333333333", "us-east-1", "orders-db", false), SK_ENOTFOUND);
	assert_int_equal(sk_state_instance_in(&x, s, "1111/1111", "us-east-1", "orders-db", true), SK_ERROR);
	assert_int_equal(sk_state_save(s, f->dir), 0);

	text = read_file(f->path);
	assert_contains(text, "\"us-east-1/orders-db\"");
	assert_contains(text, "\"111111111111/us-east-1/orders-db\"");
	assert_contains(text, "\"222222222222/us-east-1/orders-db\"");
	free(text);
	assert_int_equal(sk_state_load(&r, f->dir), 0);
	assert_int_equal(r->n_instances, 3);
	assert_int_equal(sk_state_instance_in(&x, r, "222222222222", "us-east-1", "orders-db", false), 0);
	assert_int_equal(x->owned_snapshots, 3);
	assert_string_equal(x->account, "222222222222");
	assert_int_equal(sk_state_instance(&x, r, "us-east-1", "orders-db", false), 0);
	assert_int_equal(x->owned_snapshots, 1);
	assert_string_equal(x->account, "");
	sk_state_free(r);

	/* deletions keep their account; the caller's own are written as they always were */
	assert_int_equal(sk_state_add_deletion(s, NULL, "us-east-1", "orders-db", "own-1", 1000), 0);
	assert_int_equal(sk_state_add_deletion(s, "222222222222", "us-east-1", "orders-db", "theirs-1", 2000), 0);
	assert_int_equal(sk_state_save(s, f->dir), 0);
	text = read_file(f->path);
	assert_contains(text, "\"account\": \"222222222222\"");
	/* own-1's record (written first) has no "account": the first one after it is theirs-1's */
	assert_non_null(strstr(text, "own-1"));
	assert_true(strstr(strstr(text, "own-1"), "\"account\"") > strstr(text, "theirs-1"));
	free(text);
	assert_int_equal(sk_state_load(&r, f->dir), 0);
	assert_int_equal(r->n_deletions, 2);
	assert_string_equal(r->deletions[0].account, "");
	assert_string_equal(r->deletions[0].snapshot, "own-1");
	assert_string_equal(r->deletions[1].account, "222222222222");
	assert_string_equal(r->deletions[1].snapshot, "theirs-1");
	sk_state_free(r);
	sk_state_free(s);

	/* a key of three parts needs an account of 12 digits first */
	write_file(f->path, "{\"format\": \"snapkeep-state/v1\", \"serial\": 1, \"lineage\": "
			    "\"0f8fad5b-d9cb-469f-a165-70867728950e\", \"instances\": {\"prod/us-east-1/db\": {}}}");
	assert_int_equal(sk_state_load(&r, f->dir), SK_ERROR);
	assert_contains(sk_error_message(), "'<account>/<region>/<instance id>'");
	assert_null(r);
}

/* loading must fail with SK_ERR_STATE, name the file and want, and leave the file untouched */
static void assert_refused_in(struct sfx *f, const char *text, const char *want)
{
	struct sk_state *s = (struct sk_state *)1;
	char *after;

	swrite(f, text);
	assert_int_equal(sload(&s, f), SK_ERROR);
	assert_null(s);
	assert_int_equal(sk_error_last()->klass, SK_ERR_STATE);
	assert_contains(sk_error_message(), sname(f));
	assert_contains(sk_error_message(), want);
	after = sread(f);
	/* PostgreSQL's json type keeps the text as it was given (psql drops the last newline) */
	assert_int_equal(strncmp(after, text, strlen(after)), 0);
	assert_true(strlen(text) - strlen(after) <= (f->bx->pg && text[strlen(text) - 1] == '\n' ? 1u : 0u));
	free(after);
}

/* the same on the file (the tests of the file's own damage) */
static void assert_refused(struct fixture *f, const char *text, const char *want)
{
	struct sfx d = { 0 };
	struct bfx b = { 0 };

	d.bx = &b;
	snprintf(d.dir, sizeof(d.dir), "%s", f->dir);
	snprintf(d.path, sizeof(d.path), "%s", f->path);
	assert_refused_in(&d, text, want);
}

static void test_corrupt_state_file_is_refused_and_left_alone(void **state)
{
	struct fixture *f = *state;

	assert_refused(f, "{this is not json", "invalid JSON at line 1");
	assert_refused(f, "", "is empty (truncated?)");
	assert_refused(f, "  \n", "is empty (truncated?)");
	assert_refused(f, "[1, 2]", "not a snapkeep state file (expected a JSON object, got an array)");
	assert_refused(f, "{\"serial\": 1}", "not a snapkeep state file (no \"format\"");
	assert_refused(f, "{\"format\": \"terraform\"}", "not a snapkeep state file (format 'terraform'");
	assert_refused(f, "{\"format\": \"snapkeep-state/v1\", \"format\": \"snapkeep-state/v1\"}", "duplicate");
}

static void test_truncated_state_file_is_refused_and_left_alone(void **state)
{
	struct fixture *f = *state;
	struct sk_state *s = NULL;
	char *full;

	assert_int_equal(sk_state_new(&s), 0);
	fill(s);
	assert_int_equal(sk_state_save(s, f->dir), 0);
	sk_state_free(s);
	full = read_file(f->path);
	full[strlen(full) / 2] = '\0';
	assert_refused(f, full, "(truncated?)");
	free(full);
}

static void test_future_format_version_is_refused_not_overwritten(void **state)
{
	struct sfx *f = sfx(state);

	assert_refused_in(f,
		       "{\"format\": \"snapkeep-state/v2\", \"serial\": 9, \"lineage\": "
		       "\"0b0e8b0e-4f1c-4c7e-9a53-2b1d6c1f3a10\", \"somethingNew\": {}}\n",
		       "has format snapkeep-state/v2, newer than this snapkeep reads (snapkeep-state/v1)");
	assert_contains(sk_error_message(), "the file was not changed");
	assert_refused_in(f, "{\"format\": \"snapkeep-state/vX\"}", "unknown format 'snapkeep-state/vX'");
	assert_refused_in(f, "{\"format\": \"snapkeep-state/v0\"}", "unknown format");
}

#define HEAD "{\"format\": \"snapkeep-state/v1\", \"lineage\": \"0b0e8b0e-4f1c-4c7e-9a53-2b1d6c1f3a10\", "

static void test_wrongly_typed_fields_are_named(void **state)
{
	struct sfx *f = sfx(state);

	assert_refused_in(f, HEAD "\"serial\": \"3\"}", "serial: expected an integer, got a string");
	assert_refused_in(f, HEAD "\"serial\": -1}", "serial: must not be negative");
	assert_refused_in(f,
		       "{\"format\": \"snapkeep-state/v1\", \"serial\": 1, \"lineage\": \"not-a-uuid\"}",
		       "lineage: expected a UUID string");
	assert_refused_in(f, HEAD "\"serial\": 1, \"lastApplied\": [1]}", "lastApplied: expected an object, got an array");
	assert_refused_in(f, HEAD "\"serial\": 1, \"lastApplied\": {\"commit\": \"zzz\"}}",
		       "lastApplied.commit: expected a commit id");
	assert_refused_in(f, HEAD "\"serial\": 1, \"lastRun\": {\"command\": \"apply\", \"summary\": {\"done\": -2}}}",
		       "lastRun.summary.done: expected a non-negative integer, got a negative one");
	assert_refused_in(f, HEAD "\"serial\": 1, \"lastRun\": {\"command\": \"apply\", \"startedAt\": \"yesterday\"}}",
		       "lastRun.startedAt: expected an RFC 3339 time, got 'yesterday'");
	assert_refused_in(f, HEAD "\"serial\": 1, \"instances\": {\"db1\": {}}}",
		       "instances.db1: the key must be '<region>/<instance id>'");
	assert_refused_in(f, HEAD "\"serial\": 1, \"instances\": {\"us-east-1/db1\": {\"newestSnapshotTime\": 12}}}",
		       "instances.us-east-1/db1.newestSnapshotTime: expected an RFC 3339 time, got an integer");
	assert_refused_in(f, HEAD "\"serial\": 1, \"instances\": {\"us-east-1/db1\": {\"policy\": true}}}",
		       "instances.us-east-1/db1.policy: expected a string, got a boolean");
	assert_refused_in(f, HEAD "\"serial\": 1, \"instances\": {\"us-east-1/db1\": {\"policy\": \"a\\u0000b\"}}}",
		       "is not allowed"); /* jansson refuses \u0000 in strings */
	assert_refused_in(f, HEAD "\"serial\": 1, \"instances\": []}", "instances: expected an object, got an array");
}

static void test_unknown_fields_of_the_same_version_are_ignored(void **state)
{
	struct sfx *f = sfx(state);
	struct sk_state *s = NULL;

	swrite(f, HEAD "\"serial\": 4, \"later\": 1, \"instances\": {\"us-east-1/db1\": {\"x\": [1]}}}");
	assert_int_equal(sload(&s, f), 0);
	assert_int_equal(s->serial, 4);
	assert_int_equal(s->n_instances, 1);
	assert_string_equal(s->instances[0].region, "us-east-1");
	assert_string_equal(s->instances[0].id, "db1");
	sk_state_free(s);
}

static void test_save_refuses_a_file_another_run_wrote_meanwhile(void **state)
{
	struct sfx *f = sfx(state);
	struct sk_state *a = NULL, *b = NULL, *fresh = NULL;
	char *before, *after;

	assert_int_equal(sk_state_new(&a), 0);
	assert_int_equal(ssave(a, f), 0);
	sk_state_free(a);
	a = NULL;
	assert_int_equal(sload(&a, f), 0);
	assert_int_equal(sload(&b, f), 0);
	snprintf(a->last_run.command, sizeof(a->last_run.command), "apply");
	assert_int_equal(ssave(a, f), 0);
	before = sread(f);
	assert_int_equal(ssave(b, f), SK_ERROR);
	assert_contains(sk_error_message(), "written by another run (serial 2, read 1)");
	after = sread(f);
	assert_string_equal(before, after);
	free(after);

	/* a fresh state must not replace a file that appeared after it was made */
	assert_int_equal(sk_state_new(&fresh), 0);
	assert_int_equal(ssave(fresh, f), SK_ERROR);
	assert_contains(sk_error_message(), "created by another process");
	after = sread(f);
	assert_string_equal(before, after);
	free(after);

	/* nor a state of another lineage put in its place */
	sk_state_free(b);
	b = NULL;
	assert_int_equal(sload(&b, f), 0);
	snprintf(b->lineage, sizeof(b->lineage), "%s", fresh->lineage);
	assert_int_equal(ssave(b, f), SK_ERROR);
	assert_contains(sk_error_message(), "another state was put in its place");
	free(before);
	sk_state_free(fresh);
	sk_state_free(b);
	sk_state_free(a);
}

static void test_failed_save_keeps_the_old_file_and_leaves_no_temp_file(void **state)
{
	struct fixture *f = *state;
	struct sk_state *s = NULL;
	struct sk_state_instance *in;
	struct rlimit old, small;
	char *before, *after, *names;
	int i;

	assert_int_equal(sk_state_new(&s), 0);
	assert_int_equal(sk_state_save(s, f->dir), 0);
	before = read_file(f->path);
	for (i = 0; i < 200; i++) {
		char id[16];
		snprintf(id, sizeof(id), "db%03d", i);
		assert_int_equal(sk_state_instance(&in, s, "us-east-1", id, true), 0);
		snprintf(in->policy, sizeof(in->policy), "a-policy-name-that-takes-room");
	}
	/* the disk "fills up" half way through the write */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(sk_state_save(s, f->dir), SK_ERROR);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_contains(sk_error_message(), "cannot save the state: cannot write");
	assert_int_equal(s->serial, 1); /* unchanged: nothing was saved */
	after = read_file(f->path);
	assert_string_equal(before, after);
	names = listing(f->dir);
	assert_string_equal(names, "state.json");
	free(names);
	/* and it works once there is room again */
	assert_int_equal(sk_state_save(s, f->dir), 0);
	assert_int_equal(s->serial, 2);
	free(after);
	free(before);
	sk_state_free(s);
}

static void test_state_dir_that_vanished_fails_to_save_with_a_clear_error(void **state)
{
	struct fixture *f = *state;
	struct sk_state *s = NULL;
	char gone[400];

	snprintf(gone, sizeof(gone), "%s/gone", f->dir);
	assert_int_equal(sk_state_new(&s), 0);
	assert_int_equal(sk_state_save(s, gone), SK_ERROR);
	assert_contains(sk_error_message(), "cannot save the state: cannot create a temporary file in '");
	assert_contains(sk_error_message(), gone);
	assert_int_equal(s->serial, 0);
	sk_state_free(s);
}

static void test_uuids_are_random_v4(void **state)
{
	char a[37], b[37];

	(void)state;
	assert_int_equal(sk_state_new_uuid(a), 0);
	assert_int_equal(sk_state_new_uuid(b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
}

static void test_atomic_write_replaces_and_names_failures(void **state)
{
	struct fixture *f = *state;
	char path[400], *text, *names;

	snprintf(path, sizeof(path), "%s/f", f->dir);
	assert_int_equal(sk_file_write_atomic(path, "one", 3, 0644), 0);
	assert_int_equal(sk_file_write_atomic(path, "two!", 4, 0600), 0);
	text = read_file(path);
	assert_string_equal(text, "two!");
	free(text);
	names = listing(f->dir);
	assert_string_equal(names, "f");
	free(names);
	snprintf(path, sizeof(path), "%s/no/such/dir/f", f->dir);
	assert_int_equal(sk_file_write_atomic(path, "x", 1, 0600), SK_ERROR);
	assert_contains(sk_error_message(), "/no/such/dir");
	assert_contains(sk_error_message(), "No such file or directory");
}

/* alerts.json ends with a newline, summary.json as it always was without one; both read back */
static void test_docs_round_trip_each_with_its_own_bytes(void **state)
{
	struct fixture *f = *state;
	json_t *j = json_pack("{s:s, s:i}", "format", "x/v1", "n", 3), *back = NULL;
	char path[320], *text;

	assert_non_null(j);
	assert_int_equal(sk_doc_load(&back, f->dir, SK_DOC_ALERTS), SK_ENOTFOUND);
	assert_null(back);
	assert_int_equal(sk_doc_save(f->dir, SK_DOC_ALERTS, j), 0);
	assert_int_equal(sk_doc_save(f->dir, SK_DOC_SUMMARY, j), 0);
	snprintf(path, sizeof(path), "%s/%s", f->dir, SK_ALERTS_FILE);
	text = read_file(path);
	assert_string_equal(text, "{\n  \"format\": \"x/v1\",\n  \"n\": 3\n}\n");
	free(text);
	snprintf(path, sizeof(path), "%s/%s", f->dir, SK_SUMMARY_FILE);
	text = read_file(path);
	assert_string_equal(text, "{\n  \"format\": \"x/v1\",\n  \"n\": 3\n}");
	free(text);
	assert_int_equal(sk_doc_load(&back, f->dir, SK_DOC_SUMMARY), 0);
	assert_true(json_equal(back, j));
	json_decref(back);
	write_file(path, "{\"format\": ");
	assert_int_equal(sk_doc_load(&back, f->dir, SK_DOC_SUMMARY), SK_ERROR);
	assert_null(back);
	assert_contains(sk_error_message(), "daily summary '");
	assert_contains(sk_error_message(), "summary.json': invalid JSON at line 1");
	assert_contains(sk_error_message(), "(truncated?)");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest dir_only[] = {
		cmocka_unit_test(test_statedir_flag_beats_env_beats_xdg_beats_home),
		cmocka_unit_test_setup_teardown(test_statedir_prepare_creates_nested_dirs_0700_and_leaves_no_probe, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_statedir_under_a_file_is_a_clear_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statedir_unwritable_is_refused_naming_path_and_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statedir_others_can_write_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statedir_a_group_can_write_is_a_warning, setup, teardown),
		cmocka_unit_test(test_instance_entries_are_found_added_and_removed),
		cmocka_unit_test_setup_teardown(test_instances_are_keyed_by_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_state_file_is_refused_and_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_state_file_is_refused_and_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_save_keeps_the_old_file_and_leaves_no_temp_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_state_dir_that_vanished_fails_to_save_with_a_clear_error, setup,
						teardown),
		cmocka_unit_test(test_uuids_are_random_v4),
		cmocka_unit_test_setup_teardown(test_atomic_write_replaces_and_names_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docs_round_trip_each_with_its_own_bytes, setup, teardown),
	};
	/* on the directory and on PostgreSQL */
	const struct CMUnitTest both[] = {
		cmocka_unit_test_setup_teardown(test_missing_state_file_is_a_fresh_state_and_is_not_created, bsetup,
						bteardown),
		cmocka_unit_test_setup_teardown(test_save_increments_serial_keeps_lineage_mode_0600_no_temp_files, bsetup,
						bteardown),
		cmocka_unit_test_setup_teardown(test_state_round_trips_every_field_and_sorts_instances, bsetup, bteardown),
		cmocka_unit_test_setup_teardown(test_last_drill_round_trips_and_is_read_per_instance, bsetup, bteardown),
		cmocka_unit_test_setup_teardown(test_future_format_version_is_refused_not_overwritten, bsetup, bteardown),
		cmocka_unit_test_setup_teardown(test_wrongly_typed_fields_are_named, bsetup, bteardown),
		cmocka_unit_test_setup_teardown(test_unknown_fields_of_the_same_version_are_ignored, bsetup, bteardown),
		cmocka_unit_test_setup_teardown(test_save_refuses_a_file_another_run_wrote_meanwhile, bsetup, bteardown),
	};
	int failed = _cmocka_run_group_tests("directory only", dir_only, sizeof(dir_only) / sizeof(dir_only[0]), NULL,
					     NULL);

	return failed + bfx_run_both(both, sizeof(both) / sizeof(both[0]));
}
