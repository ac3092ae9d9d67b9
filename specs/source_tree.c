/*
 * source_tree.c - the policy files of a commit, and which of them differ
 * in the work tree
 *
 * Reading never touches a work tree: the blobs under the folder are read
 * from the object database (git_tree_walk), hidden files and folders left
 * out, within MAX_FILES files and MAX_TOTAL_BYTES in all.  A work tree
 * checked out at the commit read is then compared with it
 * (git_status_list_new), so that uncommitted policy changes can be named.
 */
#include "specs/source_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "specs/source_git.h"

#define MAX_FILES 10000
#define MAX_TOTAL_BYTES ((size_t)64 << 20)

/* ---- reading the files ---- */

struct found {
	char *path;
	git_oid oid;
};

struct walk {
	const char *base; /* the folder, "" for the root */
	struct sk_buf found; /* struct found */
	bool too_many;
	bool oom;
};

static bool yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static int walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
	struct walk *w = payload;
	const char *name = git_tree_entry_name(entry);
	struct sk_buf path = SK_BUF_INIT;
	struct found f;

	if (name[0] == '.')
		return 1; /* hidden files and folders (.github/...) are not policies; 1 skips a folder */
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB || git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK ||
	    !yaml_name(name))
		return 0;
	if (w->found.len / sizeof(f) >= MAX_FILES) {
		w->too_many = true;
		return -1;
	}
	if (sk_buf_printf(&path, "%s%s%s%s", w->base, *w->base ? "/" : "", root, name) < 0) {
		w->oom = true;
		return -1;
	}
	f.path = sk_buf_detach(&path);
	git_oid_cpy(&f.oid, git_tree_entry_id(entry));
	if (!f.path || sk_buf_add(&w->found, &f, sizeof(f)) < 0) {
		free(f.path);
		w->oom = true;
		return -1;
	}
	return 0;
}

static int cmp_found(const void *x, const void *y)
{
	return strcmp(((const struct found *)x)->path, ((const struct found *)y)->path);
}

/* "policies/", "./policies" and "/" mean what they say: "policies", "policies", "" */
static void normalize_folder(char out[4096], const char *path)
{
	char *p = out;
	size_t len;

	snprintf(out, 4096, "%s", path ? path : "");
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (p[0] == '/')
		p++;
	memmove(out, p, strlen(p) + 1);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '/')
		out[--len] = '\0';
	if (!strcmp(out, "."))
		out[0] = '\0';
}

static void where_text(char out[256], const char *ref, const git_commit *c)
{
	char id[GIT_OID_HEXSZ + 1];

	git_oid_tostr(id, sizeof(id), git_commit_id(c));
	snprintf(out, 256, "%.200s (%.12s)", ref, id);
}

static int read_files(struct sk_source *s, git_repository *repo, git_commit *commit, const struct sk_source_opts *o)
{
	git_tree *root = NULL, *tree = NULL;
	git_tree_entry *entry = NULL;
	struct walk w;
	char folder[4096], at[256];
	size_t n = 0, total = 0;
	struct found *found;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	sk_buf_init(&w.found, 0);
	where_text(at, s->ref, commit);
	normalize_folder(folder, o->path);
	if (git_commit_tree(&root, commit) < 0) {
		rc = sk_error_set(SK_ERR_GIT, "cannot read the tree of %s: %s", at, sk_source_git_reason());
		goto done;
	}
	w.base = folder;
	if (!folder[0]) {
		tree = root;
		root = NULL;
	} else {
		if (git_tree_entry_bypath(&entry, root, folder) < 0) {
			rc = sk_error_set(SK_ERR_GIT, "folder '%s' not found at %s", folder, at);
			goto done;
		}
		if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
			/* one file, named explicitly */
			struct found f;

			f.path = strdup(folder);
			git_oid_cpy(&f.oid, git_tree_entry_id(entry));
			if (!f.path || sk_buf_add(&w.found, &f, sizeof(f)) < 0) {
				free(f.path);
				rc = sk_error_set_oom();
				goto done;
			}
		} else if (git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
			rc = sk_error_set(SK_ERR_GIT, "'%s' at %s is not a folder", folder, at);
			goto done;
		} else if (git_tree_lookup(&tree, repo, git_tree_entry_id(entry)) < 0) {
			rc = sk_error_set(SK_ERR_GIT, "cannot read folder '%s' at %s: %s", folder, at, sk_source_git_reason());
			goto done;
		}
	}
	if (tree && git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w) < 0) {
		if (w.oom)
			rc = sk_error_set_oom();
		else if (w.too_many)
			rc = sk_error_set(SK_ERR_GIT, "more than %d policy files at %s", MAX_FILES, at);
		else
			rc = sk_error_set(SK_ERR_GIT, "cannot read the files at %s: %s", at, sk_source_git_reason());
		goto done;
	}
	found = (struct found *)w.found.ptr;
	n = w.found.len / sizeof(*found);
	if (n)
		qsort(found, n, sizeof(*found), cmp_found);
	s->files = n ? calloc(n, sizeof(*s->files)) : NULL;
	if (n && !s->files) {
		rc = sk_error_set_oom();
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		git_blob *blob = NULL;
		size_t len;

		if (git_blob_lookup(&blob, repo, &found[i].oid) < 0) {
			rc = sk_error_set(SK_ERR_GIT, "cannot read '%s' at %s: %s", found[i].path, at, sk_source_git_reason());
			goto done;
		}
		len = (size_t)git_blob_rawsize(blob);
		total += len;
		if (total > MAX_TOTAL_BYTES) {
			git_blob_free(blob);
			rc = sk_error_set(SK_ERR_GIT, "the policy files at %s hold more than %zu MiB", at,
					  MAX_TOTAL_BYTES >> 20);
			goto done;
		}
		s->files[i].data = malloc(len + 1);
		if (!s->files[i].data) {
			git_blob_free(blob);
			rc = sk_error_set_oom();
			goto done;
		}
		memcpy(s->files[i].data, git_blob_rawcontent(blob), len);
		s->files[i].data[len] = '\0';
		s->files[i].len = len;
		s->files[i].path = found[i].path;
		found[i].path = NULL;
		s->n_files = i + 1;
		git_blob_free(blob);
	}
done:
	found = (struct found *)w.found.ptr;
	for (size_t i = 0; i < w.found.len / sizeof(*found); i++)
		free(found[i].path);
	sk_buf_free(&w.found);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_tree_free(root);
	return rc;
}

/* ---- uncommitted changes in the work tree ---- */

/* whether ref names what is checked out: HEAD, or the branch HEAD points to */
static bool reads_checkout(git_repository *repo, const char *ref)
{
	git_reference *head = NULL, *r = NULL;
	bool yes = false;

	if (!strcmp(ref, "HEAD") || !strcmp(ref, "@"))
		return true;
	if (git_reference_lookup(&head, repo, "HEAD") == 0 && git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    git_reference_dwim(&r, repo, ref) == 0)
		yes = !strcmp(git_reference_name(r), git_reference_symbolic_target(head));
	git_reference_free(r);
	git_reference_free(head);
	git_error_clear();
	return yes;
}

/* a file the read would take: the file path names, or a visible *.yaml / *.yml under the folder */
static bool policy_path(const char *path, const char *folder, bool folder_is_file)
{
	size_t n = strlen(folder);
	const char *rest = path, *c;

	if (folder_is_file)
		return !strcmp(path, folder);
	if (n) {
		if (strncmp(path, folder, n) || path[n] != '/')
			return false;
		rest = path + n + 1;
	}
	for (c = rest; c; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (*c == '.' || !*c)
			return false;
		rest = c;
	}
	return yaml_name(rest);
}

static enum sk_source_change change_of(unsigned int st)
{
	if (st & (GIT_STATUS_WT_DELETED | GIT_STATUS_INDEX_DELETED))
		return SK_SOURCE_DELETED;
	if ((st & GIT_STATUS_WT_NEW) && !(st & GIT_STATUS_INDEX_NEW))
		return SK_SOURCE_UNTRACKED;
	if (st & (GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_TYPECHANGE | GIT_STATUS_WT_RENAMED | GIT_STATUS_WT_UNREADABLE |
		  GIT_STATUS_CONFLICTED))
		return SK_SOURCE_MODIFIED;
	return SK_SOURCE_STAGED;
}

static int cmp_uncommitted(const void *x, const void *y)
{
	return strcmp(((const struct sk_source_uncommitted *)x)->path, ((const struct sk_source_uncommitted *)y)->path);
}

/*
 * The policy files whose index or work tree differs from the commit read,
 * with libgit2's status (as `git status -- <folder>` shows them, untracked
 * folders recursed, ignored files and submodules left out).
 */
static int find_uncommitted(struct sk_source *s, git_repository *repo, git_commit *commit,
			    const struct sk_source_opts *o)
{
	git_status_options so;
	git_status_list *list = NULL;
	git_tree *tree = NULL;
	struct sk_buf found = SK_BUF_INIT; /* struct sk_source_uncommitted */
	char folder[4096], shown[1024];
	char *spec[1] = { folder };
	bool is_file;
	size_t n, k = 0;
	int rc = 0;

	if (git_repository_is_bare(repo) || !git_repository_workdir(repo) || !reads_checkout(repo, s->ref))
		return 0;
	normalize_folder(folder, o->path);
	is_file = folder[0] && s->n_files == 1 && !strcmp(s->files[0].path, folder);
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
		   GIT_STATUS_OPT_EXCLUDE_SUBMODULES | GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
	if (folder[0]) {
		so.pathspec.strings = spec;
		so.pathspec.count = 1;
	}
	if (git_commit_tree(&tree, commit) == 0)
		so.baseline = tree;
	if (git_status_list_new(&list, repo, &so) < 0) {
		rc = sk_error_set(SK_ERR_GIT, "cannot compare the work tree of '%s' with %s: %s",
				  sk_source_git_shown(shown, o->repo), s->ref, sk_source_git_reason());
		goto done;
	}
	n = git_status_list_entrycount(list);
	for (size_t i = 0; i < n; i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
		const char *path = d ? (d->new_file.path ? d->new_file.path : d->old_file.path) : NULL;
		struct sk_source_uncommitted u;

		if (!path || e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED) ||
		    !policy_path(path, folder, is_file))
			continue;
		u.path = strdup(path);
		u.change = change_of(e->status);
		if (!u.path || sk_buf_add(&found, &u, sizeof(u)) < 0) {
			free(u.path);
			rc = sk_error_set_oom();
			goto done;
		}
	}
	k = found.len / sizeof(struct sk_source_uncommitted);
	if (k) {
		s->uncommitted = (struct sk_source_uncommitted *)sk_buf_detach(&found);
		s->n_uncommitted = k;
		qsort(s->uncommitted, k, sizeof(*s->uncommitted), cmp_uncommitted);
	}
done:
	for (size_t i = 0; i < found.len / sizeof(struct sk_source_uncommitted); i++)
		free(((struct sk_source_uncommitted *)found.ptr)[i].path);
	sk_buf_free(&found);
	git_status_list_free(list);
	git_tree_free(tree);
	return rc;
}

int sk_source_tree_read(struct sk_source *s, git_repository *repo, git_commit *commit,
			const struct sk_source_opts *o)
{
	if (read_files(s, repo, commit, o) < 0 || find_uncommitted(s, repo, commit, o) < 0)
		return SK_ERROR;
	return 0;
}
