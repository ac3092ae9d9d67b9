/*
 * source_git.c - where the policy source meets libgit2: initialising it,
 * its errors as messages quote them, repositories as messages name them,
 * and opening a local repository
 */
#include "specs/source_git.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void init_libgit2(void)
{
	init_rc = git_libgit2_init();
}

int sk_source_git_init(void)
{
	pthread_once(&init_once, init_libgit2);
	if (init_rc < 0)
		return sk_error_set(SK_ERR_GIT, "cannot initialise libgit2");
	return 0;
}

const char *sk_source_git_reason(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

void sk_source_git_redact(char *out, size_t n, const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *slash;

	if (scheme) {
		at = strchr(scheme + 3, '@');
		slash = strchr(scheme + 3, '/');
		if (at && (!slash || at < slash)) {
			snprintf(out, n, "%.*s***%s", (int)(scheme + 3 - url), url, at);
			return;
		}
	}
	snprintf(out, n, "%s", url);
}

const char *sk_source_git_shown(char out[1024], const char *repo)
{
	if (!repo || !*repo)
		snprintf(out, 1024, ".");
	else
		sk_source_git_redact(out, 1024, repo);
	return out;
}

int sk_source_git_open_local(git_repository **out, const char *repo)
{
	struct stat st;

	*out = NULL;
	if (sk_source_git_init() < 0)
		return SK_ERROR;
	if (!repo || !*repo) {
		if (git_repository_open_ext(out, ".", 0, NULL) < 0)
			return sk_error_set(SK_ERR_GIT, "the current directory is not in a git repository");
		return 0;
	}
	if (git_repository_open_ext(out, repo, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0)
		return 0;
	if (stat(repo, &st) != 0)
		return sk_error_set(SK_ERR_GIT, "policy repository '%s' not found", repo);
	return sk_error_set(SK_ERR_GIT, "'%s' is not a git repository", repo);
}
