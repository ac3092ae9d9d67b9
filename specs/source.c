/*
 * source.c - policy files read from git with libgit2
 *
 * Reading never touches a work tree: the repository is opened in place (or
 * as the mirror of a remote, source_remote.c), the ref is resolved with
 * git_revparse_single() and peeled to its commit, and the files of the
 * commit's tree are read from the object database (source_tree.c).
 */
#include "specs/source.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "common/error.h"
#include "specs/signature.h"
#include "specs/source_git.h"
#include "specs/source_remote.h"
#include "specs/source_tree.h"

static const struct sk_source_opts default_opts = SK_SOURCE_OPTS_INIT;

const char *sk_source_change_name(enum sk_source_change c)
{
	switch (c) {
	case SK_SOURCE_MODIFIED: return "modified";
	case SK_SOURCE_STAGED: return "staged";
	case SK_SOURCE_DELETED: return "deleted";
	case SK_SOURCE_UNTRACKED: return "untracked";
	}
	return "changed";
}

/* the commit the ref names */
static int resolve(git_commit **out, git_repository *repo, const struct sk_source_opts *o)
{
	const char *ref = o->ref && *o->ref ? o->ref : "HEAD";
	git_object *obj = NULL, *peeled = NULL;
	char shown[1024];
	int err;

	*out = NULL;
	sk_source_git_shown(shown, o->repo);
	err = git_revparse_single(&obj, repo, ref);
	if (err < 0) {
		if (!strcmp(ref, "HEAD") && git_repository_head_unborn(repo) == 1)
			return sk_error_set(SK_ERR_GIT, "repository '%s' has no commits", shown);
		if (err == GIT_ENOTFOUND || err == GIT_EINVALIDSPEC)
			return sk_error_set(SK_ERR_GIT, "ref '%s' not found in '%s'", ref, shown);
		if (err == GIT_EAMBIGUOUS)
			return sk_error_set(SK_ERR_GIT, "ref '%s' is ambiguous in '%s' (give more of the commit id)", ref,
					    shown);
		return sk_error_set(SK_ERR_GIT, "cannot resolve ref '%s' in '%s': %s", ref, shown, sk_source_git_reason());
	}
	err = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (err < 0)
		return sk_error_set(SK_ERR_GIT, "ref '%s' in '%s' does not point to a commit", ref, shown);
	*out = (git_commit *)peeled;
	return 0;
}

/* the commit is signed by an allowed key: who signed it, or SK_ERR_SIGNATURE */
static int verify(struct sk_signer *out, git_repository *repo, git_commit *commit, const struct sk_source_opts *o)
{
	return sk_signature_verify_commit(out, repo, git_commit_id(commit), &o->signing,
					  o->ref && *o->ref ? o->ref : "HEAD");
}

/* the repository (in place, or the fetched mirror of a remote) and the commit its ref names */
static int open_commit(git_repository **repo, git_commit **commit, const struct sk_source_opts *o)
{
	int rc;

	*commit = NULL;
	if (o->repo && *o->repo && sk_source_remote_is(o->repo))
		rc = sk_source_remote_open(repo, o);
	else
		rc = sk_source_git_open_local(repo, o->repo);
	return rc < 0 ? rc : resolve(commit, *repo, o);
}

int sk_source_read(struct sk_source **out, const struct sk_source_opts *o)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	struct sk_source *s = NULL;
	const char *msg;
	size_t n;
	int rc;

	*out = NULL;
	if (!o)
		o = &default_opts;
	if ((rc = open_commit(&repo, &commit, o)) < 0)
		goto done;
	s = calloc(1, sizeof(*s));
	if (!s) {
		rc = sk_error_set_oom();
		goto done;
	}
	if (o->signing.required && (rc = verify(&s->signer, repo, commit, o)) < 0)
		goto done;
	git_oid_tostr(s->commit, sizeof(s->commit), git_commit_id(commit));
	msg = git_commit_message(commit);
	n = msg ? strcspn(msg, "\r\n") : 0;
	s->subject = malloc(n + 1);
	s->ref = strdup(o->ref && *o->ref ? o->ref : "HEAD");
	s->repo = strdup(o->repo && *o->repo ? o->repo : ".");
	if (!s->subject || !s->ref || !s->repo) {
		rc = sk_error_set_oom();
		goto done;
	}
	memcpy(s->subject, msg ? msg : "", n);
	s->subject[n] = '\0';
	if ((rc = sk_source_tree_read(s, repo, commit, o)) < 0)
		goto done;
	*out = s;
	s = NULL;
done:
	sk_source_free(s);
	git_commit_free(commit);
	git_repository_free(repo);
	return rc;
}

int sk_source_resolve(char out[41], const struct sk_source_opts *o)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	int rc;

	out[0] = '\0';
	if ((rc = open_commit(&repo, &commit, o ? o : &default_opts)) == 0)
		git_oid_tostr(out, 41, git_commit_id(commit));
	git_commit_free(commit);
	git_repository_free(repo);
	return rc;
}

int sk_source_from_files(struct sk_source **out, const struct sk_source_file *files, size_t n)
{
	struct sk_source *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || (n && !(s->files = calloc(n, sizeof(*s->files))))) {
		free(s);
		return sk_error_set_oom();
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = files[i].data ? files[i].len : 0;

		s->files[i].path = strdup(files[i].path ? files[i].path : "");
		s->files[i].data = malloc(len + 1);
		s->n_files = i + 1;
		if (!s->files[i].path || !s->files[i].data) {
			sk_source_free(s);
			return sk_error_set_oom();
		}
		if (len)
			memcpy(s->files[i].data, files[i].data, len);
		s->files[i].data[len] = '\0';
		s->files[i].len = len;
	}
	*out = s;
	return 0;
}

void sk_source_free(struct sk_source *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_files; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
	}
	free(s->files);
	for (size_t i = 0; i < s->n_uncommitted; i++)
		free(s->uncommitted[i].path);
	free(s->uncommitted);
	free(s->subject);
	free(s->ref);
	free(s->repo);
	free(s);
}

int sk_source_locate(char **out, const char *repo)
{
	git_repository *r = NULL;
	const char *where;
	char real[PATH_MAX];
	size_t n;
	int rc = -1;

	*out = NULL;
	if (repo && *repo && sk_source_remote_is(repo))
		return sk_source_remote_locate(out, repo);
	if (sk_source_git_open_local(&r, repo) < 0)
		return SK_ERROR;
	where = git_repository_is_bare(r) ? git_repository_path(r) : git_repository_workdir(r);
	if (!where || !realpath(where, real)) {
		sk_error_set_errno(SK_ERR_GIT, "cannot tell where repository '%s' is", repo ? repo : ".");
		goto done;
	}
	n = strlen(real);
	while (n > 1 && real[n - 1] == '/')
		real[--n] = '\0';
	if (!(*out = strdup(real))) {
		sk_error_set_oom();
		goto done;
	}
	rc = 0;
done:
	git_repository_free(r);
	return rc;
}
