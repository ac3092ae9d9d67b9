/*
 * source_git.h - where the policy source meets libgit2: initialising it,
 * its errors as messages quote them, repositories as messages name them,
 * and opening a local repository
 *
 * Private to specs/source*.c.  libgit2's errors are turned into our
 * messages here and in its callers, once, at the boundary.
 */
#ifndef SK_SOURCE_GIT_H
#define SK_SOURCE_GIT_H

#include <stddef.h>

#include <git2.h>

/* git_libgit2_init(), once per process; 0, or SK_ERROR */
int sk_source_git_init(void);

/* libgit2's last error message, or "unknown error" */
const char *sk_source_git_reason(void);

/* a URL as messages show it: the user name and password become "***" */
void sk_source_git_redact(char *out, size_t n, const char *url);

/* a repository as messages name it: "." for the current one (repo NULL or ""), a URL redacted */
const char *sk_source_git_shown(char out[1024], const char *repo);

/*
 * Opens a local repository in place: repo NULL or "" is the one the
 * current directory is in (searching upwards, as git does), any other
 * path must be the repository itself.  "policy repository '/x' not found",
 * "'/x' is not a git repository".
 */
int sk_source_git_open_local(git_repository **out, const char *repo);

#endif
