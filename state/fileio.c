/*
 * fileio.c - whole-file reads and crash-safe replacement of a file
 */
#define _GNU_SOURCE /* mkostemp */
#include "state/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

int sk_file_read_all(struct sk_buf *out, const char *path, size_t max)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return SK_ENOTFOUND;
		return sk_error_set_errno(SK_ERR_OS, "cannot open '%s'", path);
	}
	rc = sk_file_read_fd(out, fd, path, max);
	close(fd);
	return rc;
}

int sk_file_read_fd(struct sk_buf *out, int fd, const char *path, size_t max)
{
	char chunk[65536];
	size_t start = out->len;
	int rc = -1;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sk_error_set_errno(SK_ERR_OS, "cannot read '%s'", path);
			goto done;
		}
		if (n == 0)
			break;
		if (max && out->len - start + (size_t)n > max) {
			sk_error_set(SK_ERR_OS, "'%s' is larger than %zu bytes", path, max);
			goto done;
		}
		if (sk_buf_add(out, chunk, (size_t)n) < 0) {
			sk_error_prefix("cannot read '%s'", path);
			goto done;
		}
	}
	if (out->len == start && sk_buf_add(out, "", 0) < 0) /* a NUL-terminated "" */
		goto done;
	rc = 0;
done:
	if (rc < 0)
		sk_buf_truncate(out, start);
	return rc;
}

int sk_file_write_full(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sk_file_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return sk_error_set_errno(SK_ERR_OS, "cannot open directory '%s'", dir);
	if (fsync(fd) < 0 && errno != EINVAL) { /* EINVAL: the filesystem cannot sync directories */
		sk_error_set_errno(SK_ERR_OS, "cannot sync directory '%s'", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

char *sk_file_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *s;

	while (a > 1 && dir[a - 1] == '/')
		a--;
	s = malloc(a + 1 + b + 1);
	if (!s) {
		sk_error_set_oom();
		return NULL;
	}
	memcpy(s, dir, a);
	s[a] = '/';
	memcpy(s + a + 1, name, b + 1);
	return s;
}

/* the directory part of path ("." for a bare name) */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	d = malloc((size_t)(slash - path) + 1);
	if (d) {
		memcpy(d, path, (size_t)(slash - path));
		d[slash - path] = '\0';
	}
	return d;
}

int sk_file_close(int *fd)
{
	int rc = close(*fd);

	*fd = -1;
	return rc;
}

int sk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *dir = NULL, *tmp = NULL;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int fd = -1, rc = -1;
	size_t n;

	dir = dir_of(path);
	if (!dir)
		return sk_error_set_oom();
	n = strlen(dir) + strlen(base) + 32;
	tmp = malloc(n);
	if (!tmp) {
		sk_error_set_oom();
		goto done;
	}
	/* hidden, in the same directory (rename does not cross filesystems), unique per process */
	snprintf(tmp, n, "%s/.%s.tmp-%ld-XXXXXX", dir, base, (long)getpid());
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		sk_error_set_errno(SK_ERR_OS, "cannot create a temporary file in '%s'", dir);
		free(tmp);
		tmp = NULL;
		goto done;
	}
	if (fchmod(fd, mode) < 0) {
		sk_error_set_errno(SK_ERR_OS, "cannot set the mode of '%s'", tmp);
		goto done;
	}
	if (sk_file_write_full(fd, data, len) < 0) {
		sk_error_set_errno(SK_ERR_OS, "cannot write '%s'", tmp);
		goto done;
	}
	if (fsync(fd) < 0) {
		sk_error_set_errno(SK_ERR_OS, "cannot sync '%s'", tmp);
		goto done;
	}
	if (sk_file_close(&fd) < 0) {
		sk_error_set_errno(SK_ERR_OS, "cannot write '%s'", tmp);
		goto done;
	}
	if (rename(tmp, path) < 0) {
		sk_error_set_errno(SK_ERR_OS, "cannot replace '%s'", path);
		goto done;
	}
	free(tmp);
	tmp = NULL; /* renamed: nothing left to remove */
	if (sk_file_fsync_dir(dir) < 0)
		goto done;
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return rc;
}

int sk_file_parse_json(json_t **out, const char *text, size_t len, int klass, const char *what, const char *name)
{
	json_error_t e;
	size_t i;

	*out = NULL;
	for (i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			break;
	if (i == len)
		return sk_error_set(klass, "%s '%s' is empty (truncated?)", what, name);
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	if (!*out)
		return sk_error_set(klass, "%s '%s': invalid JSON at line %d column %d: %s%s", what, name, e.line,
				    e.column, e.text,
				    json_error_code(&e) == json_error_premature_end_of_input ? " (truncated?)" : "");
	return 0;
}

int sk_file_load_json(json_t **out, const char *dir, const char *name, size_t max, int klass, const char *what)
{
	struct sk_buf text = SK_BUF_INIT;
	char *path = sk_file_join(dir, name);
	int rc = -1;

	*out = NULL;
	if (!path)
		goto done;
	rc = sk_file_read_all(&text, path, max);
	if (rc < 0)
		goto done;
	rc = sk_file_parse_json(out, sk_buf_cstr(&text), text.len, klass, what, path);
done:
	free(path);
	sk_buf_free(&text);
	return rc;
}

int sk_file_write_json_atomic(const char *path, const json_t *j, mode_t mode)
{
	struct sk_buf b = SK_BUF_INIT;
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int rc;

	if (!text)
		return sk_error_set_oom();
	rc = sk_buf_adds(&b, text);
	free(text);
	if (rc == 0)
		rc = sk_buf_addc(&b, '\n');
	if (rc == 0)
		rc = sk_file_write_atomic(path, b.ptr, b.len, mode);
	sk_buf_free(&b);
	return rc;
}
