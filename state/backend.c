/*
 * backend.c - the state directory or PostgreSQL, behind one interface
 */
#include "state/backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "common/array.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "state/fileio.h"
#include "state/pgjournal.h"
#include "state/pglock.h"
#include "state/pgstate.h"
#include "state/statedir.h"

#define SHARDS_DIR "shards"

struct shard {
	char *name;          /* "account/region" */
	int64_t key;
	struct sk_lock *lock; /* directory */
};

struct sk_backend {
	enum sk_backend_kind kind;
	char *dir;            /* the state directory (NULL when none could be resolved, PostgreSQL only) */
	char name[1100];
	struct sk_pg *pg;
	struct shard *shards;
	size_t n_shards, cap_shards;
	const char **names;   /* sk_backend_shards() */
	int shared_fd;        /* directory: the shared flock on <dir>/lock while shards are held */
};

struct sk_backend_lock {
	struct sk_backend *b;
	struct sk_lock *lock;        /* directory */
	struct sk_lock_holder stale; /* PostgreSQL */
};

const char *sk_backend_choose(const char *flag, const char *settings)
{
	const char *env = getenv(SK_BACKEND_ENV);
	const char *s = flag ? flag : env && *env ? env : settings;

	if (!s || !*s || !strcmp(s, "dir"))
		return NULL;
	return s;
}

bool sk_backend_is_pg(const char *spec)
{
	return spec && (!strncmp(spec, "postgres://", 11) || !strncmp(spec, "postgresql://", 13) || strchr(spec, '='));
}

/* the first 8 bytes of SHA-256(text), big-endian, as a signed 64-bit integer */
static int64_t hash_key(const char *text)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	uint64_t k = 0;

	SHA256((const unsigned char *)text, strlen(text), md);
	for (int i = 0; i < 8; i++)
		k = k << 8 | md[i];
	return (int64_t)k;
}

int64_t sk_backend_shard_key(const char *account, const char *region)
{
	char text[512];

	snprintf(text, sizeof(text), "snapkeep:shard:%s/%s", account ? account : "", region ? region : "");
	return hash_key(text);
}

int64_t sk_backend_state_key(void)
{
	return hash_key("snapkeep:state");
}

int sk_backend_open(struct sk_backend **out, const struct sk_backend_opts *o)
{
	struct sk_backend *b;
	const char *spec = o ? o->spec : NULL;
	bool create = o ? o->create : true;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return sk_error_set_oom();
	b->shared_fd = -1;
	if (spec && !sk_backend_is_pg(spec)) {
		sk_error_set(SK_ERR_CONFIG,
			     "state backend '%.200s' is not a PostgreSQL connection string (postgres://...) nor 'dir'",
			     strncmp(spec, "http", 4) ? spec : "(a URL)");
		goto fail;
	}
	if (!spec) {
		b->kind = SK_BACKEND_DIR;
		if ((create ? sk_statedir_open(&b->dir, o ? o->state_dir : NULL)
			    : sk_statedir_resolve(&b->dir, o ? o->state_dir : NULL)) < 0)
			goto fail;
		snprintf(b->name, sizeof(b->name), "state directory '%s'", b->dir);
	} else {
		b->kind = SK_BACKEND_PG;
		/* the directory keeps what is local (repository mirrors): used when it can be */
		if (sk_statedir_resolve(&b->dir, o ? o->state_dir : NULL) < 0)
			sk_error_clear();
		if (sk_pg_open(&b->pg, spec, create) < 0)
			goto fail;
		sk_strlcpy(b->name, sk_pg_name(b->pg), sizeof(b->name));
	}
	*out = b;
	return 0;
fail:
	sk_backend_close(b);
	return -1;
}

int sk_backend_open_read(struct sk_backend **out, const char *spec, const char *state_dir)
{
	struct sk_backend_opts o = SK_BACKEND_OPTS_INIT;

	o.spec = spec;
	o.state_dir = state_dir;
	o.create = false;
	if (sk_backend_open(out, &o) < 0) {
		/* the directory's only SK_ERR_CONFIG: sk_statedir_resolve() found none to name */
		if (spec || sk_error_last()->klass != SK_ERR_CONFIG)
			return -1;
		sk_error_clear();
	}
	return 0;
}

static void shard_free(struct sk_backend *b, struct shard *s)
{
	if (b->kind == SK_BACKEND_DIR)
		sk_lock_release(s->lock);
	free(s->name);
}

void sk_backend_close(struct sk_backend *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_shards; i++)
		shard_free(b, &b->shards[i]);
	free(b->shards);
	free(b->names);
	if (b->shared_fd >= 0)
		close(b->shared_fd);
	sk_pg_close(b->pg); /* the session's locks go with it */
	free(b->dir);
	free(b);
}

enum sk_backend_kind sk_backend_kind(const struct sk_backend *b)
{
	return b->kind;
}

const char *sk_backend_name(const struct sk_backend *b)
{
	return b->name;
}

const char *sk_backend_dir(const struct sk_backend *b)
{
	return b->dir;
}

static void forget_shards(struct sk_backend *b)
{
	for (size_t i = 0; i < b->n_shards; i++)
		shard_free(b, &b->shards[i]);
	b->n_shards = 0;
}

int sk_backend_check(struct sk_backend *b, bool *locks_lost)
{
	bool again = false;

	if (locks_lost)
		*locks_lost = false;
	if (b->kind == SK_BACKEND_DIR)
		return 0;
	if (sk_pg_check(b->pg, &again) < 0) {
		forget_shards(b); /* the session that held them is gone */
		if (locks_lost)
			*locks_lost = true;
		return -1;
	}
	if (again) {
		forget_shards(b);
		if (locks_lost)
			*locks_lost = true;
	}
	return 0;
}

/* ---- the whole-state lock ---- */

static void nap_ms(int ms)
{
	usleep((useconds_t)ms * 1000);
}

static int pg_lock_whole(struct sk_backend_lock *l, struct sk_backend *b, const struct sk_lock_opts *o)
{
	int timeout = o && o->timeout > 0 ? o->timeout : 0;
	int poll = o && o->poll_ms > 0 ? o->poll_ms : 100;
	int64_t start = sk_time_mono_ms();
	struct sk_lock_holder h;
	char who[768], wait[96];
	bool held;

	for (;;) {
		if (sk_pglock_try(&held, &l->stale, b->pg, sk_backend_state_key(), NULL, "state", o) < 0)
			return -1;
		if (held)
			return 0;
		if (o && o->cancel && *o->cancel)
			return sk_error_set(SK_ERR_INTERRUPTED, "interrupted while waiting for the lock of %s", b->name),
			       SK_EINTERRUPTED;
		if (sk_time_mono_ms() - start >= (int64_t)timeout * 1000)
			break;
		nap_ms(poll);
	}
	if (sk_pglock_holder(&h, b->pg, sk_backend_state_key()) < 1 || !h.command[0] || !strcmp(h.command, "a session"))
		if (sk_pglock_any_holder(&h, b->pg) < 0)
			return -1;
	sk_lock_holder_describe(who, sizeof(who), &h);
	if (timeout)
		snprintf(wait, sizeof(wait), "; gave up after waiting %ds (--lock-timeout)", timeout);
	else
		snprintf(wait, sizeof(wait), "; wait for it to finish, or pass --lock-timeout SECONDS");
	sk_error_set(SK_ERR_LOCK, "%s is locked by %s%s", b->name, who, wait);
	return SK_ELOCKED;
}

/*
 * The directory's whole-state lock is busy and <dir>/lock names nobody:
 * shard holders (a shared flock writes no record) are named instead.
 */
static void dir_name_shard_holder(struct sk_backend *b, const struct sk_lock_opts *o)
{
	char *shards = sk_file_join(b->dir, SHARDS_DIR), name[300], who[768], keep[SK_ERROR_MAX];
	struct sk_lock_holder h;
	struct dirent *e;
	DIR *d;

	if (!strstr(sk_error_message(), "has not recorded who it is") || !shards || !(d = opendir(shards))) {
		free(shards);
		return;
	}
	sk_strlcpy(keep, sk_error_message(), sizeof(keep));
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n < 6 || strcmp(e->d_name + n - 5, ".lock"))
			continue;
		snprintf(name, sizeof(name), SHARDS_DIR "/%s", e->d_name);
		if (sk_lock_peek_file(&h, b->dir, name) == 1) {
			sk_lock_holder_describe(who, sizeof(who), &h);
			sk_error_set(SK_ERR_LOCK, "%s is locked by %s, which holds a shard of it%s", b->name, who,
				     o && o->timeout > 0 ? "; gave up waiting (--lock-timeout)"
							 : "; wait for it to finish, or pass --lock-timeout SECONDS");
			break;
		}
	}
	if (!e)
		sk_error_set(SK_ERR_LOCK, "%s", keep);
	closedir(d);
	free(shards);
}

int sk_backend_lock(struct sk_backend_lock **out, struct sk_backend *b, const struct sk_lock_opts *o)
{
	struct sk_backend_lock *l;
	int rc;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return sk_error_set_oom();
	l->b = b;
	rc = b->kind == SK_BACKEND_DIR ? sk_lock_acquire(&l->lock, b->dir, o) : pg_lock_whole(l, b, o);
	if (rc == SK_ELOCKED && b->kind == SK_BACKEND_DIR)
		dir_name_shard_holder(b, o);
	if (rc < 0) {
		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

const struct sk_lock_holder *sk_backend_lock_stale_holder(const struct sk_backend_lock *l)
{
	if (!l)
		return NULL;
	if (l->b->kind == SK_BACKEND_DIR)
		return sk_lock_stale_holder(l->lock);
	return l->stale.known ? &l->stale : NULL;
}

void sk_backend_unlock(struct sk_backend_lock *l)
{
	if (!l)
		return;
	if (l->b->kind == SK_BACKEND_DIR) {
		sk_lock_release(l->lock);
	} else if (sk_pglock_release(l->b->pg, sk_backend_state_key(), NULL) < 0) {
		sk_warn("%s", sk_error_message()); /* the session's end releases it anyway */
	}
	free(l);
}

int sk_backend_lock_peek(struct sk_lock_holder *out, struct sk_backend *b)
{
	if (b->kind == SK_BACKEND_DIR)
		return sk_lock_peek(out, b->dir);
	return sk_pglock_holder(out, b->pg, sk_backend_state_key());
}

/* ---- shards ---- */

static char *shard_name(const char *account, const char *region)
{
	return sk_buf_strfmt("%s/%s", account ? account : "", region ? region : "");
}

static struct shard *find_shard(const struct sk_backend *b, const char *account, const char *region, size_t *at)
{
	int64_t key = sk_backend_shard_key(account, region);

	for (size_t i = 0; i < b->n_shards; i++)
		if (b->shards[i].key == key) {
			if (at)
				*at = i;
			return &b->shards[i];
		}
	return NULL;
}

/* "shards/<key as 16 hex digits><ext>" */
static void shard_file(char *out, size_t len, int64_t key, const char *ext)
{
	snprintf(out, len, SHARDS_DIR "/%016" PRIx64 "%s", (uint64_t)key, ext);
}

/* <dir>/shards, made 0700 when missing; errors of class klass */
static int make_shards_dir(const struct sk_backend *b, int klass)
{
	char *shards = sk_file_join(b->dir, SHARDS_DIR);
	int rc = 0;

	if (!shards)
		return -1;
	if (mkdir(shards, 0700) < 0 && errno != EEXIST)
		rc = sk_error_set_errno(klass, "cannot create '%s'", shards);
	free(shards);
	return rc;
}

/* the directory's shared flock on <dir>/lock, held while any shard is: 1 taken, 0 busy, -1 */
static int dir_shared(struct sk_backend *b)
{
	char *path;

	if (b->shared_fd >= 0)
		return 1;
	path = sk_file_join(b->dir, SK_LOCK_FILE);
	if (!path)
		return -1;
	b->shared_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (b->shared_fd < 0) {
		sk_error_set_errno(SK_ERR_LOCK, "cannot open the lock file '%s'", path);
		free(path);
		return -1;
	}
	free(path);
	while (flock(b->shared_fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			sk_error_set_errno(SK_ERR_LOCK, "cannot lock the state directory '%s'", b->dir);
		close(b->shared_fd);
		b->shared_fd = -1;
		return errno == EWOULDBLOCK ? 0 : -1;
	}
	return 1;
}

static void dir_shared_drop(struct sk_backend *b)
{
	if (b->n_shards == 0 && b->shared_fd >= 0) {
		close(b->shared_fd);
		b->shared_fd = -1;
	}
}

static int dir_trylock(bool *held, struct sk_lock_holder *stale, struct sk_backend *b, struct shard *s,
		       const struct sk_lock_opts *o)
{
	char file[64], what[PATH_MAX + 160];
	struct sk_lock_opts one = SK_LOCK_OPTS_INIT;
	int rc;

	if (make_shards_dir(b, SK_ERR_LOCK) < 0)
		return -1;
	rc = dir_shared(b);
	if (rc <= 0)
		return rc;
	if (o) {
		one.command = o->command;
		one.run_id = o->run_id;
	}
	shard_file(file, sizeof(file), s->key, ".lock");
	snprintf(what, sizeof(what), "shard '%s' in state directory '%s'", s->name, b->dir);
	rc = sk_lock_acquire_file(&s->lock, b->dir, file, what, &one);
	if (rc == SK_ELOCKED) {
		sk_error_clear();
		return 0;
	}
	if (rc < 0)
		return -1;
	if (stale && sk_lock_stale_holder(s->lock))
		*stale = *sk_lock_stale_holder(s->lock);
	*held = true;
	return 0;
}

int sk_backend_shard_trylock(bool *held, struct sk_lock_holder *stale, struct sk_backend *b, const char *account,
			     const char *region, const struct sk_lock_opts *o)
{
	struct shard s = { 0 }, *slot;
	int64_t state_key = sk_backend_state_key();
	int rc;

	*held = false;
	if (stale)
		memset(stale, 0, sizeof(*stale));
	if (find_shard(b, account, region, NULL))
		return 0; /* this process holds it already */
	s.key = sk_backend_shard_key(account, region);
	s.name = shard_name(account, region);
	if (!s.name)
		return -1;
	if (b->kind == SK_BACKEND_DIR)
		rc = dir_trylock(held, stale, b, &s, o);
	else
		rc = sk_pglock_try(held, stale, b->pg, s.key, &state_key, s.name, o);
	if (rc < 0 || !*held) {
		free(s.name);
		if (b->kind == SK_BACKEND_DIR)
			dir_shared_drop(b);
		return rc;
	}
	slot = SK_ARRAY_PUSH(b->shards, b->n_shards, b->cap_shards);
	if (!slot) {
		shard_free(b, &s);
		if (b->kind == SK_BACKEND_PG)
			sk_pglock_release(b->pg, s.key, &state_key);
		*held = false;
		return -1;
	}
	*slot = s;
	return 0;
}

int sk_backend_shard_unlock(struct sk_backend *b, const char *account, const char *region)
{
	int64_t state_key = sk_backend_state_key();
	struct shard *s;
	size_t at;
	int rc = 0;

	s = find_shard(b, account, region, &at);
	if (!s)
		return SK_ENOTFOUND;
	if (b->kind == SK_BACKEND_PG)
		rc = sk_pglock_release(b->pg, s->key, &state_key);
	shard_free(b, s);
	memmove(&b->shards[at], &b->shards[at + 1], (b->n_shards - at - 1) * sizeof(*b->shards));
	b->n_shards--;
	if (b->kind == SK_BACKEND_DIR)
		dir_shared_drop(b);
	return rc;
}

bool sk_backend_shard_held(const struct sk_backend *b, const char *account, const char *region)
{
	return find_shard(b, account, region, NULL) != NULL;
}

size_t sk_backend_shards(const char *const **out, const struct sk_backend *b)
{
	struct sk_backend *w = (struct sk_backend *)b;
	const char **names = realloc(w->names, (b->n_shards ? b->n_shards : 1) * sizeof(*names));

	if (!names) {
		*out = NULL;
		return 0;
	}
	w->names = names;
	for (size_t i = 0; i < b->n_shards; i++)
		names[i] = b->shards[i].name;
	*out = names;
	return b->n_shards;
}

int sk_backend_shard_holder(struct sk_lock_holder *out, struct sk_backend *b, const char *account,
			    const char *region)
{
	char file[64];

	if (b->kind == SK_BACKEND_PG)
		return sk_pglock_holder(out, b->pg, sk_backend_shard_key(account, region));
	shard_file(file, sizeof(file), sk_backend_shard_key(account, region), ".lock");
	return sk_lock_peek_file(out, b->dir, file);
}

int sk_backend_force_unlock(struct sk_lock_holder *out, struct sk_backend *b, const char *account,
			    const char *region)
{
	char what[PATH_MAX + 160], file[64], *name = NULL;
	bool whole = !account && !region;
	int rc;

	if (!whole && !(name = shard_name(account, region)))
		return -1;
	if (b->kind == SK_BACKEND_PG) {
		if (whole)
			snprintf(what, sizeof(what), "the state in %s", b->name);
		else
			snprintf(what, sizeof(what), "shard '%s' in %s", name, b->name);
		rc = sk_pglock_force_unlock(out, b->pg, whole ? sk_backend_state_key() : sk_backend_shard_key(account, region),
					    what);
	} else if (whole) {
		rc = sk_lock_force_unlock(out, b->dir);
	} else {
		snprintf(what, sizeof(what), "shard '%s' in '%s'", name, b->dir);
		shard_file(file, sizeof(file), sk_backend_shard_key(account, region), ".lock");
		rc = sk_lock_force_unlock_file(out, b->dir, file, what);
	}
	free(name);
	return rc;
}

/* ---- state, journal, saved plans ---- */

/* a shard "account/region" as its key, for the directory's file names */
static int64_t shard_text_key(const char *shard)
{
	const char *slash = strrchr(shard, '/');
	char account[128];

	if (!slash)
		return sk_backend_shard_key("", shard);
	snprintf(account, sizeof(account), "%.*s", (int)(slash - shard), shard);
	return sk_backend_shard_key(account, slash + 1);
}

int sk_backend_state_load(struct sk_state **out, struct sk_backend *b, const char *shard)
{
	char file[64];

	if (b->kind == SK_BACKEND_PG)
		return sk_pg_state_load(out, b->pg, shard ? shard : "");
	if (!shard)
		return sk_state_load(out, b->dir);
	shard_file(file, sizeof(file), shard_text_key(shard), ".json");
	return sk_state_load_named(out, b->dir, file);
}

int sk_backend_state_save(struct sk_state *s, struct sk_backend *b, const char *shard)
{
	char file[64];

	if (b->kind == SK_BACKEND_PG)
		return sk_pg_state_save(s, b->pg, shard ? shard : "");
	if (!shard)
		return sk_state_save(s, b->dir);
	if (make_shards_dir(b, SK_ERR_STATE) < 0)
		return -1;
	shard_file(file, sizeof(file), shard_text_key(shard), ".json");
	return sk_state_save_named(s, b->dir, file);
}

int sk_backend_journal_open(struct sk_journal **out, struct sk_backend *b)
{
	if (b->kind == SK_BACKEND_PG)
		return sk_pgjournal_open(out, b->pg);
	return sk_journal_open(out, b->dir);
}

int sk_backend_journal_read(struct sk_backend *b, const struct sk_journal_filter *f, sk_journal_cb cb, void *ud,
			    struct sk_journal_stats *stats)
{
	if (b->kind == SK_BACKEND_PG)
		return sk_pgjournal_read(b->pg, f, cb, ud, stats);
	return sk_journal_read(b->dir, f, cb, ud, stats);
}

int sk_backend_journal_unresolved(json_t **out, struct sk_backend *b)
{
	if (b->kind == SK_BACKEND_PG)
		return sk_pgjournal_unresolved(out, b->pg);
	return sk_journal_unresolved(out, b->dir);
}

int sk_backend_plan_record(struct sk_backend *b, const char *fingerprint, const char *commit)
{
	return b->kind == SK_BACKEND_PG ? sk_pg_plan_record(b->pg, fingerprint, commit) : 0;
}

int sk_backend_plan_mark_applied(struct sk_backend *b, const char *fingerprint, const char *run_id)
{
	return b->kind == SK_BACKEND_PG ? sk_pg_plan_mark_applied(b->pg, fingerprint, run_id) : 0;
}

int sk_backend_plan_applied(char *run_id, size_t len, struct sk_backend *b, const char *fingerprint)
{
	if (b->kind == SK_BACKEND_PG)
		return sk_pg_plan_applied(run_id, len, b->pg, fingerprint);
	if (run_id && len)
		run_id[0] = '\0';
	return 0;
}

/* ---- `snapkeep state push` ---- */

struct push_ctx {
	struct sk_backend *to;
	struct sk_backend_push_report *rep;
};

int sk_backend_journal_import(bool *inserted, struct sk_backend *b, const struct sk_journal_record *r)
{
	char *text;
	int rc;

	*inserted = false;
	if (b->kind != SK_BACKEND_PG)
		return sk_error_set(SK_ERR_INVALID, "records are imported into PostgreSQL only");
	text = json_dumps(r->json, JSON_COMPACT | JSON_PRESERVE_ORDER); /* as the writer wrote it */
	if (!text)
		return sk_error_set_oom();
	rc = sk_pgjournal_insert(inserted, b->pg, r, text, strlen(text));
	free(text);
	return rc;
}

static int push_record(void *ud, const struct sk_journal_record *r)
{
	struct push_ctx *x = ud;
	bool inserted = false;
	int rc = sk_backend_journal_import(&inserted, x->to, r);

	if (rc < 0) {
		sk_error_prefix("journal record '%s'", r->id ? r->id : "?");
		return -1;
	}
	x->rep->records++;
	x->rep->inserted += inserted;
	return 0;
}

int sk_backend_push(struct sk_backend_push_report *out, struct sk_backend *to, const char *dir,
		    const struct sk_lock_opts *o)
{
	struct sk_lock *dir_lock = NULL;
	struct sk_backend_lock *lock = NULL;
	struct sk_journal_stats stats;
	struct sk_state *st = NULL;
	struct push_ctx x = { .to = to, .rep = out };
	bool began = false;
	int rc = -1, e;

	memset(out, 0, sizeof(*out));
	if (to->kind != SK_BACKEND_PG)
		return sk_error_set(SK_ERR_CONFIG, "state push copies into PostgreSQL: name it with --state-backend");
	if (sk_statedir_exists(dir) == SK_ENOTFOUND)
		return sk_error_set(SK_ERR_STATE, "state directory '%s' does not exist: nothing to push", dir);
	if (sk_lock_acquire(&dir_lock, dir, o) < 0 || sk_backend_lock(&lock, to, o) < 0)
		goto done;
	if (sk_state_load(&st, dir) < 0)
		goto done;
	if (st->existed) {
		out->state_found = true;
		out->serial = st->serial;
		sk_strlcpy(out->lineage, st->lineage, sizeof(out->lineage));
	}
	if (sk_pg_exec(NULL, to->pg, "cannot begin the push", "BEGIN", 0, NULL) < 0)
		goto done;
	began = true;
	if (st->existed && sk_pg_state_push(&out->state_pushed, to->pg, "", st) < 0)
		goto done;
	e = sk_journal_read(dir, NULL, push_record, &x, &stats);
	if (e < 0 && e != SK_ENOTFOUND)
		goto done;
	if (e > 0)
		goto done; /* push_record failed: its message stands */
	out->damaged = stats.damaged;
	if (sk_pg_exec(NULL, to->pg, "cannot commit the push", "COMMIT", 0, NULL) < 0)
		goto done;
	began = false;
	rc = 0;
done:
	if (began) {
		char keep[SK_ERROR_MAX];

		sk_strlcpy(keep, sk_error_message(), sizeof(keep));
		sk_pg_exec(NULL, to->pg, "cannot roll the push back", "ROLLBACK", 0, NULL);
		sk_error_set(SK_ERR_STATE, "%s; nothing was pushed", keep);
		out->state_pushed = false;
		out->inserted = 0;
	}
	sk_state_free(st);
	sk_backend_unlock(lock);
	sk_lock_release(dir_lock);
	return rc;
}
