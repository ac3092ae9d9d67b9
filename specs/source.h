/*
 * source.h - policy files read from git with libgit2
 *
 * Reads the files of a folder of a repository straight from the object
 * database at a ref (branch, tag, commit id or HEAD), with no checkout:
 * bare repositories work.  The repository is a local path (opened in
 * place, re-read every time) or a remote URL (https://, ssh://, git@...,
 * file://) fetched into a cache under the state directory
 * (<cache_dir>/<sha256 of the URL>.git, a bare mirror) before reading.
 *
 * Credentials (SNAPKEEP_GIT_TOKEN, a password in the URL, the SSH agent)
 * go only to https:// and ssh remotes: a fetch over plain http:// or
 * git:// with credentials configured is refused unless allow_insecure, and
 * every such fetch is reported through on_insecure_fetch.  Off-site
 * redirects are refused while credentials are configured, and libgit2 never
 * follows a redirect from https to another scheme.
 *
 * A local repository with a work tree, read at its checked-out ref (HEAD,
 * or the branch HEAD points to), also reports which policy files have
 * uncommitted changes (git_status_list_new): the read is of the commit, so
 * those changes are not in it.
 */
#ifndef SK_SOURCE_H
#define SK_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "specs/signature.h"

struct sk_source_opts {
	const char *repo;      /* path or URL; NULL: the current directory */
	const char *ref;       /* NULL: HEAD (for a remote: its default branch) */
	const char *path;      /* folder inside the repository; NULL or "": the whole tree */
	const char *cache_dir; /* where remote repositories are mirrored; required for URLs */
	bool no_fetch;         /* remote: use the cache as it is (fails when there is none) */
	bool allow_insecure;   /* credentials may go to http:// and git:// remotes too */
	/* signing.required: the commit read must be signed by an allowed key (specs/signature.h) */
	struct sk_signing_opts signing;
	/*
	 * Called before each fetch over plain http:// or git:// (with the URL
	 * as messages show it, without credentials), to warn; may be NULL.
	 */
	void (*on_insecure_fetch)(void *ud, const char *url);
	void *ud;
};

#define SK_SOURCE_OPTS_INIT                                                                             \
	{ .repo = NULL, .ref = NULL, .path = NULL, .cache_dir = NULL, .no_fetch = false, .allow_insecure = false, \
	  .signing = SK_SIGNING_OPTS_INIT, .on_insecure_fetch = NULL, .ud = NULL }

struct sk_source_file {
	char *path; /* relative to the repository root: "policies/prod.yaml" */
	char *data; /* NUL-terminated */
	size_t len;
};

/* how a policy file differs from the commit read */
enum sk_source_change {
	SK_SOURCE_MODIFIED,  /* the work tree's copy has unstaged changes */
	SK_SOURCE_STAGED,    /* changes (or a new file) staged in the index, not committed */
	SK_SOURCE_DELETED,   /* deleted in the work tree or the index */
	SK_SOURCE_UNTRACKED, /* a new file git does not track (and does not ignore) */
};

struct sk_source_uncommitted {
	char *path; /* relative to the repository root */
	enum sk_source_change change;
};

/* "modified", "staged", "deleted", "untracked" */
const char *sk_source_change_name(enum sk_source_change c);

struct sk_source {
	char commit[41]; /* the commit id the ref resolved to */
	char *subject;   /* the commit message's first line */
	char *ref;       /* as asked ("HEAD", "main", "v1.2", an id) */
	char *repo;      /* as given */
	struct sk_signer signer; /* who signed the commit, when signing.required; else zeroed */
	/* every *.yaml and *.yml blob under path (recursively), sorted by path */
	struct sk_source_file *files;
	size_t n_files;
	/*
	 * Policy files (*.yaml, *.yml under path, not hidden; or the file path
	 * names) that differ in the work tree or the index from the commit
	 * read, sorted by path.  Only for a local repository with a work tree
	 * read at its checked-out ref; empty otherwise.
	 */
	struct sk_source_uncommitted *uncommitted;
	size_t n_uncommitted;
};

/*
 * 0, or SK_ERROR with class SK_ERR_GIT and one clear message:
 * "policy repository '/x' not found", "ref 'mian' not found in '/x'",
 * "folder 'policies' not found at main (3f2a9c1d4e5b)", "cannot fetch
 * 'https://...': <libgit2's reason>", "refusing to send SNAPKEEP_GIT_TOKEN
 * over plain http to 'http://...': ...".  With signing.required, a commit
 * not signed by an allowed key is SK_ERROR with class SK_ERR_SIGNATURE
 * ("commit 3f2a9c1d4e5b (main) is not signed; ...") and no files are read.
 */
int sk_source_read(struct sk_source **out, const struct sk_source_opts *o);
void sk_source_free(struct sk_source *s);

/*
 * The commit id the ref resolves to now, cheaply (for `run --git-poll`):
 * a local repository is re-read; a remote one is fetched first.
 */
int sk_source_resolve(char out[41], const struct sk_source_opts *o);

/*
 * Where the repository is, as a saved plan records it (*out, free it): the
 * absolute path of a local one (its work tree, or the bare repository; repo
 * NULL: the one the current directory is in), or a URL without its password
 * (and for http(s) without its user name, where a token may stand).  Only
 * opens a local repository; never fetches.
 */
int sk_source_locate(char **out, const char *repo);

/* a source made from memory (tests, `validate` of plain files); files are copied */
int sk_source_from_files(struct sk_source **out, const struct sk_source_file *files, size_t n);

#endif
