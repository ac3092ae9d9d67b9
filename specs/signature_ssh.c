/*
 * signature_ssh.c - an SSH signature checked as git checks it, with ssh-keygen
 */
#include "specs/signature_ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"

extern char **environ;

#define OUTPUT_MAX ((size_t)64 << 10)

/* what one ssh-keygen run left */
struct run {
	int status; /* its exit code; -1: it did not run or did not exit */
	struct sk_buf out, err;
};

/* the paths of the folder's files */
struct files {
	char sig[4096], data[4096], out[4096], err[4096];
};

static int write_file(const char *path, const char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w;

	if (fd < 0)
		return sk_error_set_errno(SK_ERR_OS, "cannot write '%s'", path);
	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return sk_error_set_errno(SK_ERR_OS, "cannot write '%s'", path);
		}
		p += w;
		n -= (size_t)w;
	}
	if (close(fd) < 0)
		return sk_error_set_errno(SK_ERR_OS, "cannot write '%s'", path);
	return 0;
}

static void read_file(struct sk_buf *b, const char *path)
{
	char chunk[4096];
	FILE *f = fopen(path, "re");
	size_t n;

	sk_buf_reset(b);
	sk_buf_adds(b, "");
	if (!f)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b->len + n <= OUTPUT_MAX)
		sk_buf_add(b, chunk, n);
	fclose(f);
}

/* runs argv (ssh-keygen from PATH) with stdin from in (NULL: /dev/null); r says how it went */
static int run(struct run *r, char *const argv[], const char *in, const struct files *f)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, e;

	r->status = -1;
	if (posix_spawn_file_actions_init(&fa))
		return sk_error_set_oom();
	e = posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
	if (!e)
		e = posix_spawn_file_actions_addopen(&fa, 1, f->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (!e)
		e = posix_spawn_file_actions_addopen(&fa, 2, f->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (!e)
		e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		errno = e;
		return sk_error_set_errno(SK_ERR_SIGNATURE, "cannot run %s to verify an SSH signature", argv[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return sk_error_set_errno(SK_ERR_SIGNATURE, "cannot wait for %s", argv[0]);
	if (WIFEXITED(st))
		r->status = WEXITSTATUS(st);
	if (r->status == 127)
		return sk_error_set(SK_ERR_SIGNATURE, "cannot run ssh-keygen to verify an SSH signature (is OpenSSH "
						      "installed?)");
	read_file(&r->out, f->out);
	read_file(&r->err, f->err);
	return 0;
}

/*
 * ssh-keygen's "Good "git" signature [for PRINCIPAL] with TYPE key FP" line
 * (git reads the same line): the fingerprint, and the principal if named
 */
static bool good_line(const char *text, char *principal, size_t plen, char *fp, size_t fplen)
{
	const char *good = strstr(text, "Good \"git\" signature"), *with, *key, *end;

	if (!good)
		return false;
	good += strlen("Good \"git\" signature");
	with = strstr(good, " with ");
	key = with ? strstr(with, " key ") : NULL;
	if (!with || !key)
		return false;
	if (principal && !strncmp(good, " for ", 5) && good + 5 <= with)
		snprintf(principal, plen, "%.*s", (int)(with - good - 5), good + 5);
	key += 5;
	end = key + strcspn(key, " \r\n");
	snprintf(fp, fplen, "%.*s", (int)(end - key), key);
	return true;
}

/* the first line of ssh-keygen's complaint, for a message */
static void first_line(char *out, size_t n, const struct sk_buf *b)
{
	const char *s = sk_buf_cstr(b);

	snprintf(out, n, "%.*s", (int)strcspn(s, "\r\n"), s);
}

/* no principal allows the key: bad signature, expired key, or not in allowed_signers */
static int not_allowed(const struct run *find, const char *allowed, const struct files *f, const char *what)
{
	char *argv[] = { "ssh-keygen", "-Y", "check-novalidate", "-n", "git", "-s", (char *)f->sig, NULL };
	struct run check = { .status = -1, .out = SK_BUF_INIT, .err = SK_BUF_INIT };
	char fp[128] = "", why[512];
	int rc;

	if (run(&check, argv, f->data, f) < 0) {
		rc = SK_ERROR;
	} else if (check.status != 0 || !good_line(sk_buf_cstr(&check.out), NULL, 0, fp, sizeof(fp))) {
		first_line(why, sizeof(why), &check.err);
		rc = sk_error_set(SK_ERR_SIGNATURE, "%s: bad signature: its SSH signature does not match it%s%s%s", what,
				  why[0] ? " (" : "", why, why[0] ? ")" : "");
	} else if (strstr(sk_buf_cstr(&find->err), "expired")) {
		rc = sk_error_set(SK_ERR_SIGNATURE, "%s: expired key: signed by SSH key %s, whose validity in "
						    "--allowed-signers '%s' has ended", what, fp, allowed);
	} else if (strstr(sk_buf_cstr(&find->err), "not yet valid")) {
		rc = sk_error_set(SK_ERR_SIGNATURE, "%s: key not yet valid: signed by SSH key %s, whose validity in "
						    "--allowed-signers '%s' has not begun", what, fp, allowed);
	} else {
		rc = sk_error_set(SK_ERR_SIGNATURE, "%s: not in allowed_signers: signed by SSH key %s, which "
						    "--allowed-signers '%s' does not list", what, fp, allowed);
	}
	sk_buf_free(&check.out);
	sk_buf_free(&check.err);
	return rc;
}

static int setup(struct files *f, const char *home, const char *sig, size_t sig_len, const char *data, size_t data_len)
{
	snprintf(f->sig, sizeof(f->sig), "%s/commit.sig", home);
	snprintf(f->data, sizeof(f->data), "%s/commit", home);
	snprintf(f->out, sizeof(f->out), "%s/stdout", home);
	snprintf(f->err, sizeof(f->err), "%s/stderr", home);
	if (write_file(f->sig, sig, sig_len) < 0 || write_file(f->data, data, data_len) < 0)
		return sk_error_prefix("cannot verify an SSH signature");
	return 0;
}

int sk_signature_ssh_verify(struct sk_signer *out, const char *sig, size_t sig_len, const char *data, size_t data_len,
			    const char *allowed, const char *home, const char *what)
{
	struct files f;
	struct run find = { .status = -1, .out = SK_BUF_INIT, .err = SK_BUF_INIT };
	struct run verify = { .status = -1, .out = SK_BUF_INIT, .err = SK_BUF_INIT };
	char principal[256], fp[128], why[512] = "";
	struct sk_view list, line;
	struct stat st;
	int rc = -1;

	if (stat(allowed, &st) != 0)
		return sk_error_set_errno(SK_ERR_SIGNATURE, "cannot read --allowed-signers '%s'", allowed);
	if (!S_ISREG(st.st_mode))
		return sk_error_set(SK_ERR_SIGNATURE, "--allowed-signers '%s' is not a file", allowed);
	if (setup(&f, home, sig, sig_len, data, data_len) < 0)
		return SK_ERROR;
	{
		char *argv[] = { "ssh-keygen", "-Y", "find-principals", "-f", (char *)allowed, "-s", f.sig, NULL };
		if (run(&find, argv, NULL, &f) < 0)
			goto done;
	}
	if (find.status != 0 || !find.out.len) {
		rc = not_allowed(&find, allowed, &f, what);
		goto done;
	}
	/* each principal in turn, as git does; the first one that verifies signs */
	list = sk_view_from(find.out.ptr, find.out.len);
	while (list.len) {
		char *p, *argv[] = { "ssh-keygen", "-Y", "verify", "-n", "git", "-f", (char *)allowed, "-I", NULL, "-s",
				     f.sig, NULL };
		int e;

		sk_view_split(&list, '\n', &line);
		line = sk_view_trim(line);
		if (!line.len)
			continue;
		if (!(p = sk_view_dup(line))) {
			sk_error_set_oom();
			goto done;
		}
		argv[8] = p;
		e = run(&verify, argv, f.data, &f);
		free(p);
		if (e < 0)
			goto done;
		principal[0] = '\0';
		if (verify.status == 0 && good_line(sk_buf_cstr(&verify.out), principal, sizeof(principal), fp, sizeof(fp))) {
			sk_strlcpy(out->format, "ssh", sizeof(out->format));
			sk_strlcpy(out->name, principal, sizeof(out->name));
			sk_strlcpy(out->key, fp, sizeof(out->key));
			rc = 0;
			goto done;
		}
		if (!why[0])
			first_line(why, sizeof(why), &verify.err);
	}
	rc = sk_error_set(SK_ERR_SIGNATURE, "%s: bad signature: its SSH signature does not verify against "
					    "--allowed-signers '%s'%s%s%s", what, allowed, why[0] ? " (" : "", why,
			  why[0] ? ")" : "");
done:
	sk_buf_free(&find.out);
	sk_buf_free(&find.err);
	sk_buf_free(&verify.out);
	sk_buf_free(&verify.err);
	return rc;
}
