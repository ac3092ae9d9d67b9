/*
 * statedir.c - where snapkeep keeps its state
 */
#include "state/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "state/fileio.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int sk_statedir_resolve(char **out, const char *flag)
{
	struct sk_buf b = SK_BUF_INIT;
	const char *v;
	int rc;

	*out = NULL;
	if (flag && *flag)
		rc = sk_buf_adds(&b, flag);
	else if ((v = env("SNAPKEEP_STATE_DIR")) != NULL)
		rc = sk_buf_adds(&b, v);
	else if ((v = env("XDG_STATE_HOME")) != NULL && v[0] == '/') /* the spec ignores relative paths */
		rc = sk_buf_printf(&b, "%s/snapkeep", v);
	else if ((v = env("HOME")) != NULL)
		rc = sk_buf_printf(&b, "%s/.local/state/snapkeep", v);
	else
		return sk_error_set(SK_ERR_CONFIG, "no state directory: pass --state-dir or set SNAPKEEP_STATE_DIR "
						   "(HOME is not set)");
	if (rc < 0) {
		sk_buf_free(&b);
		return -1;
	}
	/* "/x/" and "/x" name the same directory; keep messages tidy */
	while (b.len > 1 && b.ptr[b.len - 1] == '/')
		sk_buf_truncate(&b, b.len - 1);
	*out = sk_buf_detach(&b);
	return 0;
}

/* mkdir -p with mode 0700 for what it creates */
static int mkdirs(const char *dir)
{
	char *p = strdup(dir), *s;
	struct stat st;
	int rc = -1;

	if (!p)
		return sk_error_set_oom();
	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			int e = errno;
			if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
				errno = e;
				sk_error_set_errno(SK_ERR_STATE, "state directory '%s': cannot create '%s'", dir, p);
				goto done;
			}
		}
		*s = c;
		if (!c)
			break;
		while (s[1] == '/')
			s++;
	}
	if (stat(dir, &st) < 0) {
		sk_error_set_errno(SK_ERR_STATE, "state directory '%s'", dir);
		goto done;
	}
	if (!S_ISDIR(st.st_mode)) {
		sk_error_set(SK_ERR_STATE, "state directory '%s' is not a directory", dir);
		goto done;
	}
	rc = 0;
done:
	free(p);
	return rc;
}

/*
 * Who else can write the directory: anyone (refused, as ssh refuses keys
 * others can change), or a group (a warning, unless it is the process's
 * own group: a user private group, Kubernetes' fsGroup)
 */
static int check_mode(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return sk_error_set_errno(SK_ERR_STATE, "state directory '%s'", dir);
	if (st.st_mode & S_IWOTH)
		return sk_error_set(SK_ERR_STATE,
				    "state directory '%s' is writable by others (mode %04o): anyone on this host could "
				    "change its journal and repository mirrors or take its lock; run chmod o-w '%s'",
				    dir, (unsigned)(st.st_mode & 07777), dir);
	if ((st.st_mode & S_IWGRP) && st.st_gid != getegid()) {
		struct group *g = getgrgid(st.st_gid);
		char gid[32];

		snprintf(gid, sizeof(gid), "%lu", (unsigned long)st.st_gid);
		sk_warn("state directory '%s' is writable by group '%s' (mode %04o): its members could change its "
			"journal and repository mirrors or take its lock; chmod g-w '%s' unless that is intended",
			dir, g ? g->gr_name : gid, (unsigned)(st.st_mode & 07777), dir);
	}
	return 0;
}

int sk_statedir_prepare(const char *dir)
{
	char name[64];
	char *probe = NULL;
	int fd = -1, rc = -1;

	if (!dir || !*dir)
		return sk_error_set(SK_ERR_STATE, "state directory: empty path");
	if (mkdirs(dir) < 0 || check_mode(dir) < 0)
		return -1;
	/* a real write: access(W_OK) says yes on a read-only filesystem mounted rw for root, and for root always */
	snprintf(name, sizeof(name), ".probe-%ld", (long)getpid());
	probe = sk_file_join(dir, name);
	if (!probe)
		return -1;
	fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		sk_error_set_errno(SK_ERR_STATE, "state directory '%s': cannot create a file in it", dir);
		goto done;
	}
	if (sk_file_write_full(fd, "probe\n", 6) < 0 || fsync(fd) < 0 || sk_file_close(&fd) < 0) {
		sk_error_set_errno(SK_ERR_STATE, "state directory '%s': cannot write a file in it", dir);
		goto done;
	}
	if (unlink(probe) < 0) {
		sk_error_set_errno(SK_ERR_STATE, "state directory '%s': cannot remove a file in it", dir);
		goto done;
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && probe)
		unlink(probe);
	free(probe);
	return rc;
}

int sk_statedir_open(char **out, const char *flag)
{
	char *dir = NULL;

	*out = NULL;
	if (sk_statedir_resolve(&dir, flag) < 0)
		return -1;
	if (sk_statedir_prepare(dir) < 0) {
		free(dir);
		return -1;
	}
	*out = dir;
	return 0;
}

int sk_statedir_exists(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			return SK_ENOTFOUND;
		return sk_error_set_errno(SK_ERR_STATE, "state directory '%s'", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return sk_error_set(SK_ERR_STATE, "state directory '%s' is not a directory", dir);
	return 0;
}
