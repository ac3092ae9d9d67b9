/*
 * lock.c - one apply or loop cycle at a time per state directory
 */
#include "state/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "state/fileio.h"
#include "state/statedir.h"

#define RECORD_MAX 4096

struct sk_lock {
	int fd;
	char *path;
	struct sk_lock_holder stale;
};

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		; /* a signal handler sets the cancel flag; the caller checks it after the nap */
}

/* a record's text goes into one-line messages: control characters become '?' */
static void copy_field(char *out, size_t size, const char *s)
{
	sk_strlcpy(out, s, size);
	for (; *out; out++)
		if ((unsigned char)*out < 0x20 || *out == 0x7f)
			*out = '?';
}

void sk_lock_parse_holder(struct sk_lock_holder *h, const char *text, size_t len)
{
	json_t *o = json_loadb(text, len, 0, NULL);
	const char *s;
	json_int_t pid;

	memset(h, 0, sizeof(*h));
	if (!json_is_object(o))
		goto done;
	s = json_string_value(json_object_get(o, "host"));
	copy_field(h->host, sizeof(h->host), s ? s : "?");
	s = json_string_value(json_object_get(o, "command"));
	copy_field(h->command, sizeof(h->command), s ? s : "?");
	s = json_string_value(json_object_get(o, "runId"));
	copy_field(h->run_id, sizeof(h->run_id), s ? s : "");
	s = json_string_value(json_object_get(o, "since"));
	if (!s || sk_time_parse_rfc3339(&h->since, s) < 0)
		h->since = 0;
	/* a pid kill(2) can be asked about, else unknown (0): a wider one would be cut to another pid */
	pid = json_integer_value(json_object_get(o, "pid"));
	if (pid > 0 && pid <= INT_MAX)
		h->pid = (long)pid;
	h->known = true;
done:
	json_decref(o);
}

static int read_record_fd(struct sk_lock_holder *h, int fd)
{
	char buf[RECORD_MAX];
	ssize_t n;

	memset(h, 0, sizeof(*h));
	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n > 0)
		sk_lock_parse_holder(h, buf, (size_t)n);
	return 0;
}

void sk_lock_holder_describe(char *out, size_t len, const struct sk_lock_holder *h)
{
	char since[SK_TIME_RFC3339_MAX] = "";

	if (!h->known) {
		snprintf(out, len, "another process (it has not recorded who it is)");
		return;
	}
	if (h->since)
		sk_time_format_rfc3339(since, h->since);
	snprintf(out, len, "%s (pid %ld on host %s%s%s%s%s%s%s)", h->command, h->pid, h->host,
		 h->run_id[0] ? ", run " : "", h->run_id, since[0] ? ", since " : "", since, h->session[0] ? ", " : "",
		 h->session);
}

static bool same_host(const char *host)
{
	char me[256];

	if (gethostname(me, sizeof(me)) < 0)
		return false;
	me[sizeof(me) - 1] = '\0';
	return !strcmp(me, host);
}

bool sk_lock_holder_alive(const struct sk_lock_holder *h)
{
	if (!h->known || h->pid <= 0 || !same_host(h->host))
		return true; /* cannot tell: assume it is */
	return kill((pid_t)h->pid, 0) == 0 || errno != ESRCH;
}

static int write_record(int fd, const struct sk_lock_opts *o)
{
	char host[256], since[SK_TIME_RFC3339_MAX];
	json_t *rec;
	char *text = NULL;
	int rc = -1;

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	sk_time_format_rfc3339(since, sk_time_now());
	rec = json_pack("{s:s, s:I, s:s, s:s?, s:s}", "host", host, "pid", (json_int_t)getpid(), "command",
			o && o->command ? o->command : "snapkeep", "runId", o ? o->run_id : NULL, "since", since);
	text = rec ? json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!text) {
		sk_error_set_oom();
		goto done;
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, strlen(text), 0) != (ssize_t)strlen(text) ||
	    pwrite(fd, "\n", 1, (off_t)strlen(text)) != 1 || fdatasync(fd) < 0) {
		sk_error_set_errno(SK_ERR_LOCK, "cannot write the lock record");
		goto done;
	}
	rc = 0;
done:
	free(text);
	json_decref(rec);
	return rc;
}

/* opens the lock file; retries when it was replaced between open and flock */
static int open_lock(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return sk_error_set_errno(SK_ERR_LOCK, "cannot open the lock file '%s'", path);
	return fd;
}

/* after flock succeeded: is path still the file we locked? */
static bool still_ours(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* the holder of a busy lock; gives it a moment to write its record (it does so right after flock) */
static void busy_holder(struct sk_lock_holder *h, int fd)
{
	int i;

	for (i = 0; i < 20; i++) {
		if (read_record_fd(h, fd) == 0 && h->known)
			return;
		nap_ms(10);
	}
}

static int locked_error(const char *what, const struct sk_lock_holder *h, int timeout)
{
	char who[512], wait[96];

	sk_lock_holder_describe(who, sizeof(who), h);
	if (timeout)
		snprintf(wait, sizeof(wait), "; gave up after waiting %ds (--lock-timeout)", timeout);
	else
		snprintf(wait, sizeof(wait), "; wait for it to finish, or pass --lock-timeout SECONDS");
	sk_error_set(SK_ERR_LOCK, "%s is locked by %s%s%s", what, who,
		     h->known && !sk_lock_holder_alive(h)
			     ? "; that process is gone but the lock is still held, by a process that inherited it"
			     : "",
		     wait);
	return SK_ELOCKED;
}

int sk_lock_acquire(struct sk_lock **out, const char *dir, const struct sk_lock_opts *o)
{
	char what[PATH_MAX + 32];

	snprintf(what, sizeof(what), "state directory '%s'", dir);
	return sk_lock_acquire_file(out, dir, SK_LOCK_FILE, what, o);
}

int sk_lock_acquire_file(struct sk_lock **out, const char *dir, const char *name, const char *what,
			 const struct sk_lock_opts *o)
{
	struct sk_lock *l = NULL;
	int timeout = o && o->timeout > 0 ? o->timeout : 0;
	int poll = o && o->poll_ms > 0 ? o->poll_ms : 100;
	int64_t start = sk_time_mono_ms();
	int fd = -1, rc = -1;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return sk_error_set_oom();
	l->fd = -1;
	l->path = sk_file_join(dir, name);
	if (!l->path)
		goto done;
	for (;;) {
		if (fd < 0) {
			fd = open_lock(l->path);
			if (fd < 0)
				goto done;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (still_ours(fd, l->path))
				break;
			close(fd); /* removed or replaced under us: lock the file that is there now */
			fd = -1;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			sk_error_set_errno(SK_ERR_LOCK, "cannot lock '%s'", l->path);
			goto done;
		}
		if (o && o->cancel && *o->cancel) {
			rc = SK_EINTERRUPTED;
			sk_error_set(SK_ERR_INTERRUPTED, "interrupted while waiting for the lock of %s", what);
			goto done;
		}
		if (sk_time_mono_ms() - start >= (int64_t)timeout * 1000) {
			struct sk_lock_holder h;
			busy_holder(&h, fd);
			rc = locked_error(what, &h, timeout);
			goto done;
		}
		nap_ms(poll);
	}
	/* a record still there means the last holder ended without releasing */
	if (read_record_fd(&l->stale, fd) < 0)
		memset(&l->stale, 0, sizeof(l->stale));
	if (write_record(fd, o) < 0)
		goto done;
	l->fd = fd;
	fd = -1;
	*out = l;
	l = NULL;
	rc = 0;
done:
	if (fd >= 0)
		close(fd); /* drops the flock if we had it */
	if (l) {
		free(l->path);
		free(l);
	}
	return rc;
}

const struct sk_lock_holder *sk_lock_stale_holder(const struct sk_lock *l)
{
	return l && l->stale.known ? &l->stale : NULL;
}

void sk_lock_release(struct sk_lock *l)
{
	if (!l)
		return;
	if (l->fd >= 0) {
		/* empty the record while still holding the lock, so nobody reads a stale one */
		if (ftruncate(l->fd, 0) < 0)
			sk_warn("cannot clear the lock record in '%s': %s", l->path, strerror(errno));
		flock(l->fd, LOCK_UN);
		close(l->fd);
	}
	free(l->path);
	free(l);
}

/*
 * Clears *out and opens dir's lock file with flags into *fd, its path in
 * *path (free() it, whatever the result): SK_ENOTFOUND (no error recorded)
 * when there is none.
 */
static int open_lock_file(int *fd, char **path, struct sk_lock_holder *out, const char *dir, const char *name,
			  int flags)
{
	memset(out, 0, sizeof(*out));
	*fd = -1;
	*path = sk_file_join(dir, name);
	if (!*path)
		return -1;
	*fd = open(*path, flags | O_CLOEXEC | O_NOFOLLOW);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT)
		return SK_ENOTFOUND;
	return sk_error_set_errno(SK_ERR_LOCK, "cannot open the lock file '%s'", *path);
}

int sk_lock_read_holder(struct sk_lock_holder *out, const char *dir)
{
	return sk_lock_read_holder_file(out, dir, SK_LOCK_FILE);
}

int sk_lock_read_holder_file(struct sk_lock_holder *out, const char *dir, const char *name)
{
	char *path;
	int fd, rc = open_lock_file(&fd, &path, out, dir, name, O_RDONLY);

	if (rc == SK_ENOTFOUND)
		rc = 0;
	if (fd >= 0) {
		if (read_record_fd(out, fd) < 0)
			rc = sk_error_set_errno(SK_ERR_LOCK, "cannot read the lock file '%s'", path);
		close(fd);
	}
	free(path);
	return rc;
}

int sk_lock_peek(struct sk_lock_holder *out, const char *dir)
{
	return sk_lock_peek_file(out, dir, SK_LOCK_FILE);
}

int sk_lock_peek_file(struct sk_lock_holder *out, const char *dir, const char *name)
{
	if (sk_lock_read_holder_file(out, dir, name) < 0)
		return -1;
	return out->known && sk_lock_holder_alive(out) ? 1 : 0;
}

int sk_lock_force_unlock(struct sk_lock_holder *out, const char *dir)
{
	char what[PATH_MAX + 32];

	snprintf(what, sizeof(what), "'%s'", dir);
	return sk_lock_force_unlock_file(out, dir, SK_LOCK_FILE, what);
}

int sk_lock_force_unlock_file(struct sk_lock_holder *out, const char *dir, const char *name, const char *what)
{
	char *path;
	int fd, rc = open_lock_file(&fd, &path, out, dir, name, O_RDWR);

	if (rc < 0)
		goto done;
	rc = -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			sk_error_set_errno(SK_ERR_LOCK, "cannot lock '%s'", path);
			goto done;
		}
		busy_holder(out, fd);
		{
			char who[512];
			sk_lock_holder_describe(who, sizeof(who), out);
			sk_error_set(SK_ERR_LOCK, "refusing to unlock %s: it is held by %s, which is still running%s", what,
				     who,
				     out->known && !sk_lock_holder_alive(out)
					     ? " (its process is gone, but a process that inherited the lock holds it)"
					     : "");
		}
		rc = SK_ELOCKED;
		goto done;
	}
	/* nobody holds it: the record, if any, is a leftover of a run that ended without releasing */
	if (read_record_fd(out, fd) < 0) {
		sk_error_set_errno(SK_ERR_LOCK, "cannot read the lock file '%s'", path);
		goto done;
	}
	if (!out->known) {
		struct stat st;
		rc = fstat(fd, &st) == 0 && st.st_size > 0 ? 0 : SK_ENOTFOUND; /* an unreadable record is cleared too */
	} else {
		rc = 0;
	}
	if (rc == 0 && ftruncate(fd, 0) < 0) {
		rc = sk_error_set_errno(SK_ERR_LOCK, "cannot clear the lock file '%s'", path);
		goto done;
	}
done:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}
