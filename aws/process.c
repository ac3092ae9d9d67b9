/*
 * process.c - credential_process: split the command line as shlex does, run
 * the program without a shell, read its JSON
 */
#include "aws/process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws/credentials_source.h"
#include "common/array.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"

#define MAX_OUTPUT ((size_t)64 << 10)

extern char **environ;

static int push_word(char ***v, size_t *n, size_t *cap, struct sk_buf *w)
{
	char **slot;
	char *s = strdup(w->ptr ? w->ptr : "");

	if (!s)
		return sk_error_set_oom();
	slot = SK_ARRAY_PUSH(*v, *n, *cap);
	if (!slot) {
		free(s);
		return -1;
	}
	*slot = s;
	sk_buf_reset(w);
	return 0;
}

int sk_process_split(char ***out, size_t *count, const char *s)
{
	struct sk_buf w = SK_BUF_INIT;
	char **v = NULL;
	size_t n = 0, cap = 0, i;
	char quote = 0;
	bool in_word = false;
	int rc = -1;

	*out = NULL;
	*count = 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else if (sk_buf_addc(&w, c) < 0)
				goto done;
		} else if (quote == '"') {
			if (c == '"') {
				quote = 0;
			} else if (c == '\\') {
				if (!s[i + 1])
					break; /* unclosed: reported below */
				/* only \" and \\ lose their backslash inside double quotes */
				if (s[i + 1] == '"' || s[i + 1] == '\\')
					c = s[++i];
				if (sk_buf_addc(&w, c) < 0)
					goto done;
			} else if (sk_buf_addc(&w, c) < 0) {
				goto done;
			}
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word && push_word(&v, &n, &cap, &w) < 0)
				goto done;
			in_word = false;
		} else if (c == '\\') {
			if (!s[i + 1]) {
				sk_error_set(SK_ERR_CONFIG, "credential_process ends with a backslash that escapes nothing");
				goto done;
			}
			in_word = true;
			if (sk_buf_addc(&w, s[++i]) < 0)
				goto done;
		} else if (c == '\'' || c == '"') {
			quote = c;
			in_word = true;
		} else {
			in_word = true;
			if (sk_buf_addc(&w, c) < 0)
				goto done;
		}
	}
	if (quote) {
		sk_error_set(SK_ERR_CONFIG, "credential_process has a %s quote that is never closed",
			     quote == '"' ? "double" : "single");
		goto done;
	}
	if (in_word && push_word(&v, &n, &cap, &w) < 0)
		goto done;
	if (!n) {
		sk_error_set(SK_ERR_CONFIG, "credential_process is empty");
		goto done;
	}
	*out = v;
	*count = n;
	v = NULL;
	n = 0;
	rc = 0;
done:
	sk_strv_free(v, n);
	sk_buf_free(&w);
	return rc;
}

int sk_process_parse(struct sk_credentials *out, const char *json, size_t len, const char *profile)
{
	json_error_t jerr;
	json_t *root, *ver;
	const char *id, *secret, *token, *exp;
	int rc = -1;

	sk_credentials_clear(out);
	root = json_loadb(json ? json : "", json ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		/* jansson's text can quote the input: say where, not what */
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': credential_process did not print a JSON object (line %d, "
						 "column %d)", profile, jerr.line, jerr.column);
		goto done;
	}
	ver = json_object_get(root, "Version");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': credential_process printed %s Version; only Version 1 is "
						 "supported", profile, ver ? "an unsupported" : "no");
		goto done;
	}
	id = json_string_value(json_object_get(root, "AccessKeyId"));
	secret = json_string_value(json_object_get(root, "SecretAccessKey"));
	token = json_string_value(json_object_get(root, "SessionToken"));
	exp = json_string_value(json_object_get(root, "Expiration"));
	if (!id || !secret) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': credential_process printed no %s", profile,
			     id ? "SecretAccessKey" : "AccessKeyId");
		goto done;
	}
	if (sk_creds_set_keys(out, id, secret, token, "credential-process") < 0)
		goto done;
	if (exp && sk_time_parse_rfc3339(&out->expiration, exp) < 0) {
		sk_credentials_clear(out);
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': credential_process printed an Expiration that is not an "
						 "RFC 3339 time", profile);
		goto done;
	}
	rc = 0;
done:
	sk_creds_wipe_json(root, "SecretAccessKey");
	sk_creds_wipe_json(root, "SessionToken");
	json_decref(root);
	return rc;
}

/* reads fd to its end into out within deadline (monotonic ms): 0, 1 when the time ran out, -1 on error */
static int read_all(int fd, struct sk_buf *out, int64_t deadline, const char *profile, const char *prog)
{
	char chunk[4096];
	int rc = -1;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
		int64_t left = deadline - sk_time_mono_ms();
		ssize_t got;
		int r;

		if (left <= 0) {
			rc = 1;
			break;
		}
		r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sk_error_set_errno(SK_ERR_OS, "profile '%s': credential_process '%s': poll", profile, prog);
			break;
		}
		if (r == 0)
			continue;
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			sk_error_set_errno(SK_ERR_OS, "profile '%s': cannot read what credential_process '%s' printed",
					   profile, prog);
			break;
		}
		if (got == 0) {
			rc = 0;
			break;
		}
		if (out->len + (size_t)got > MAX_OUTPUT) {
			sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': credential_process '%s' printed more than %zu bytes",
				     profile, prog, MAX_OUTPUT);
			break;
		}
		if (sk_buf_add(out, chunk, (size_t)got) < 0)
			break;
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return rc;
}

int sk_process_credentials(struct sk_credentials *out, const char *cmdline, const char *profile, long timeout_ms)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	struct sk_buf output = SK_BUF_INIT;
	char **argv = NULL;
	size_t argc = 0, cap;
	int fds[2] = { -1, -1 }, status = 0, rd, e;
	bool have_fa = false, have_attr = false;
	pid_t pid = -1;
	int rc = -1;

	sk_credentials_clear(out);
	if (timeout_ms <= 0)
		timeout_ms = SK_PROCESS_TIMEOUT_MS;
	if (sk_process_split(&argv, &argc, cmdline) < 0) {
		sk_error_prefix("profile '%s'", profile);
		goto done;
	}
	cap = argc;
	if (sk_array_reserve(&argv, &cap, argc + 1, sizeof(*argv)) < 0) /* the NULL that ends argv */
		goto done;
	argv[argc] = NULL;
	/* a path is checked here: posix_spawnp's own report of a failed exec is not there under every libc or tool */
	if (strchr(argv[0], '/') && access(argv[0], X_OK) < 0) {
		sk_error_set_errno(SK_ERR_CREDENTIALS, "profile '%s': cannot run credential_process '%s'", profile, argv[0]);
		goto done;
	}
	/* close-on-exec: the child gets its stdout by dup2, and no other program we start gets either end */
	if (pipe(fds) < 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0) {
		sk_error_set_errno(SK_ERR_OS, "profile '%s': credential_process: pipe", profile);
		goto done;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		sk_error_set_oom();
		goto done;
	}
	have_fa = true;
	if (posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO) != 0) {
		sk_error_set_oom();
		goto done;
	}
	/* the program starts with no signal blocked and every handler at its default, whatever ours are */
	if (posix_spawnattr_init(&attr) != 0) {
		sk_error_set_oom();
		goto done;
	}
	have_attr = true;
	sigemptyset(&none);
	sigfillset(&all);
	if (posix_spawnattr_setsigmask(&attr, &none) != 0 || posix_spawnattr_setsigdefault(&attr, &all) != 0 ||
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) != 0) {
		sk_error_set(SK_ERR_OS, "profile '%s': cannot set up credential_process's signals", profile);
		goto done;
	}
	e = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	if (e != 0) {
		pid = -1;
		errno = e;
		sk_error_set_errno(SK_ERR_CREDENTIALS, "profile '%s': cannot run credential_process '%s'", profile, argv[0]);
		goto done;
	}
	close(fds[1]);
	fds[1] = -1;
	rd = read_all(fds[0], &output, sk_time_mono_ms() + timeout_ms, profile, argv[0]);
	if (rd != 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (rd == 1) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': credential_process '%s' gave no answer within %.1f s and "
						 "was stopped", profile, argv[0], (double)timeout_ms / 1000.0);
		goto done;
	}
	if (rd < 0)
		goto done;
	if (WIFSIGNALED(status)) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': credential_process '%s' was killed by signal %d", profile,
			     argv[0], WTERMSIG(status));
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': credential_process '%s' exited with status %d (%s)", profile,
			     argv[0], code,
			     code == 127 ? "not found, or not a program?" : "its own messages, if any, went to stderr");
		goto done;
	}
	rc = sk_process_parse(out, output.ptr, output.len, profile);
	if (rc == 0)
		sk_debug("aws credentials: credential_process '%s' of profile '%s'%s", argv[0], profile,
			 out->expiration ? ", temporary" : "");
done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	if (have_attr)
		posix_spawnattr_destroy(&attr);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	sk_buf_cleanse_free(&output);
	sk_strv_free(argv, argc);
	return rc;
}
