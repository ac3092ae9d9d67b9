/*
 * source.h - policy files read from git with libgit2
 *
 * Reads the files of a folder of a repository straight from the object
 * database at a ref (branch, tag, commit id or HEAD), with no checkout:
 * bare repositories work.  The repository is a local path (opened in
 * place, re-read every time) or a remote URL (https://, ssh://, git@...,
 * file://) fetched into a cache under the state directory
 * (<cache_dir>/<sha256 of the URL>.git, a bare mirror) before reading.
 */
#ifndef SK_SOURCE_H
#define SK_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

struct sk_source_opts {
	const char *repo;      /* path or URL; NULL: the current directory */
	const char *ref;       /* NULL: HEAD (for a remote: its default branch) */
	const char *path;      /* folder inside the repository; NULL or "": the whole tree */
	const char *cache_dir; /* where remote repositories are mirrored; required for URLs */
	bool no_fetch;         /* remote: use the cache as it is (fails when there is none) */
};

#define SK_SOURCE_OPTS_INIT { NULL, NULL, NULL, NULL, false }

struct sk_source_file {
	char *path; /* relative to the repository root: "policies/prod.yaml" */
	char *data; /* NUL-terminated */
	size_t len;
};

struct sk_source {
	char commit[41]; /* the commit id the ref resolved to */
	char *subject;   /* the commit message's first line */
	char *ref;       /* as asked ("HEAD", "main", "v1.2", an id) */
	char *repo;      /* as given */
	/* every *.yaml and *.yml blob under path (recursively), sorted by path */
	struct sk_source_file *files;
	size_t n_files;
};

/*
 * 0, or SK_ERROR with class SK_ERR_GIT and one clear message:
 * "policy repository '/x' not found", "ref 'mian' not found in '/x'",
 * "folder 'policies' not found at main (3f2a9c1d4e5b)", "cannot fetch
 * 'https://...': <libgit2's reason>".
 */
int sk_source_read(struct sk_source **out, const struct sk_source_opts *o);
void sk_source_free(struct sk_source *s);

/*
 * The commit id the ref resolves to now, cheaply (for `run --git-poll`):
 * a local repository is re-read; a remote one is fetched first.
 */
int sk_source_resolve(char out[41], const struct sk_source_opts *o);

/* a source made from memory (tests, `validate` of plain files); files are copied */
int sk_source_from_files(struct sk_source **out, const struct sk_source_file *files, size_t n);

#endif
