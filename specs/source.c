/*
 * source.c - policy files read from git with libgit2
 *
 * Reading never touches a work tree: the ref is resolved with
 * git_revparse_single() and peeled to its commit, and the blobs under the
 * folder are read from the object database.  A remote is mirrored into
 * <cache_dir>/<sha256 of the URL>.git (bare; heads and tags, pruned) with
 * libgit2's remote API; the mirror is first built under a temporary name
 * and renamed into place, so a failed first fetch leaves nothing behind.
 */
#define _XOPEN_SOURCE 700
#include "specs/source.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/evp.h>

#include "common/buf.h"
#include "common/error.h"

#define MAX_FILES 10000
#define MAX_TOTAL_BYTES ((size_t)64 << 20)
#define MAX_AUTH_ATTEMPTS 3

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void init_libgit2(void)
{
	init_rc = git_libgit2_init();
}

static int ensure_init(void)
{
	pthread_once(&init_once, init_libgit2);
	if (init_rc < 0)
		return sk_error_set(SK_ERR_GIT, "cannot initialise libgit2");
	return 0;
}

static const char *git_reason(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

/* a URL as messages show it: no user name or password */
static void redact(char *out, size_t n, const char *url)
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

/* URLs, and scp-like "host:path" as git reads them (a colon before any slash) */
static bool is_remote(const char *repo)
{
	const char *colon, *slash;
	struct stat st;

	if (strstr(repo, "://"))
		return true;
	colon = strchr(repo, ':');
	slash = strchr(repo, '/');
	if (!colon || colon == repo || (slash && slash < colon))
		return false;
	return stat(repo, &st) != 0; /* a local folder with a colon in its name stays local */
}

static int mkdir_p(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return sk_error_set(SK_ERR_GIT, "cache folder '%.200s' is not a usable path", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return sk_error_set_errno(SK_ERR_GIT, "cannot create cache folder '%s'", tmp);
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return sk_error_set_errno(SK_ERR_GIT, "cannot create cache folder '%s'", tmp);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* how a remote URL travels */
enum transport {
	TRANSPORT_SECURE, /* https://, ssh:// (and ssh+git://, git+ssh://), scp-like host:path */
	TRANSPORT_LOCAL,  /* file:// */
	TRANSPORT_PLAIN,  /* http://, git://: readable and changeable on the way */
	TRANSPORT_OTHER,  /* a scheme libgit2 may not know: no credentials either */
};

static bool scheme_is(const char *url, size_t len, const char *scheme)
{
	return strlen(scheme) == len && !strncasecmp(url, scheme, len);
}

static enum transport transport_of(const char *url)
{
	const char *sep = strstr(url, "://");
	size_t n;

	if (!sep)
		return TRANSPORT_SECURE; /* is_remote() let only scp-like ssh through */
	n = (size_t)(sep - url);
	if (scheme_is(url, n, "https") || scheme_is(url, n, "ssh") || scheme_is(url, n, "ssh+git") ||
	    scheme_is(url, n, "git+ssh"))
		return TRANSPORT_SECURE;
	if (scheme_is(url, n, "file"))
		return TRANSPORT_LOCAL;
	if (scheme_is(url, n, "http") || scheme_is(url, n, "git"))
		return TRANSPORT_PLAIN;
	return TRANSPORT_OTHER;
}

/* "user:password@" before the host: libgit2 sends it without asking the credentials callback */
static bool url_has_password(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL;

	if (!auth)
		return false;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	return at && memchr(auth, ':', (size_t)(at - auth)) != NULL;
}

static const char *git_token(void)
{
	const char *token = getenv("SNAPKEEP_GIT_TOKEN");

	return token && *token ? token : NULL;
}

struct auth {
	int attempts;
	bool plaintext_ok; /* a token may go to this remote */
};

/*
 * Credentials for a fetch: an SSH agent for ssh URLs; for https, a token
 * from SNAPKEEP_GIT_TOKEN (user SNAPKEEP_GIT_USERNAME, the URL's, or
 * x-access-token).  A few attempts, then libgit2 reports the failure.
 */
static int credentials(git_credential **out, const char *url, const char *user_from_url, unsigned int allowed,
		       void *payload)
{
	struct auth *a = payload;
	const char *token = git_token();

	(void)url;
	if (++a->attempts > MAX_AUTH_ATTEMPTS)
		return GIT_PASSTHROUGH;
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return git_credential_ssh_key_from_agent(out, user_from_url ? user_from_url : "git");
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && token && a->plaintext_ok) {
		const char *user = getenv("SNAPKEEP_GIT_USERNAME");

		if (!user || !*user)
			user = user_from_url ? user_from_url : "x-access-token";
		return git_credential_userpass_plaintext_new(out, user, token);
	}
	return GIT_PASSTHROUGH;
}

/*
 * Once before each fetch: credentials go only to https and ssh remotes
 * (unless allow_insecure); a fetch over plain http or git:// is reported.
 */
static int check_transport(const char *url, const char *shown, const struct sk_source_opts *o)
{
	enum transport t = transport_of(url);
	const char *what = url_has_password(url) ? "the password in the URL" : git_token() ? "SNAPKEEP_GIT_TOKEN" : NULL;
	size_t n = strcspn(url, ":");
	const char *how = scheme_is(url, n, "http") ? "plain http"
			  : scheme_is(url, n, "git") ? "the unencrypted git protocol"
						     : "an unknown protocol";

	if (what && t != TRANSPORT_SECURE && t != TRANSPORT_LOCAL && !o->allow_insecure)
		return sk_error_set(SK_ERR_GIT,
				    "refusing to send %s over %s to '%s': git credentials go only to https:// and ssh "
				    "remotes (--allow-insecure-git sends them anyway)",
				    what, how, shown);
	if (t == TRANSPORT_PLAIN && o->on_insecure_fetch)
		o->on_insecure_fetch(o->ud, shown);
	return 0;
}

/*
 * One fetch into the mirror through an anonymous remote with explicit
 * refspecs: no [remote] section is written or read (libgit2 1.5 leaks a
 * little on every config regex match, which a named remote's lookup does
 * for url.*.insteadOf), and the URL is used as given.
 */
static int fetch_mirror(git_repository *repo, const char *url, const char *shown, const struct sk_source_opts *o)
{
	static char heads[] = "+refs/heads/*:refs/heads/*", tags[] = "+refs/tags/*:refs/tags/*";
	char *specs[] = { heads, tags };
	git_strarray refspecs = { specs, 2 };
	git_remote_create_options co;
	git_remote *remote = NULL;
	git_fetch_options fo;
	git_buf head = { NULL, 0, 0 };
	struct auth auth = { 0 };
	int rc = 0;

	auth.plaintext_ok = transport_of(url) == TRANSPORT_SECURE || o->allow_insecure;
	git_remote_create_options_init(&co, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	co.repository = repo;
	co.fetchspec = heads;
	co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE; /* the tags refspec brings them all */
	fo.update_fetchhead = 0;
	fo.callbacks.credentials = credentials;
	fo.callbacks.payload = &auth;
	/*
	 * Set here, not read from http.followRedirects: while credentials
	 * may be sent, no redirect to another host at all; otherwise only on
	 * the first request, as git does.  (libgit2 itself refuses a redirect
	 * from https to any other scheme.)
	 */
	fo.follow_redirects =
		git_token() || url_has_password(url) ? GIT_REMOTE_REDIRECT_NONE : GIT_REMOTE_REDIRECT_INITIAL;
	if (git_remote_create_with_opts(&remote, url, &co) < 0 ||
	    git_remote_fetch(remote, &refspecs, &fo, "snapkeep: fetch") < 0) {
		rc = sk_error_set(SK_ERR_GIT, "cannot fetch '%s': %s", shown, git_reason());
		goto done;
	}
	/* the mirror's HEAD follows the remote's default branch */
	if (git_remote_default_branch(&head, remote) == 0 && head.ptr)
		git_repository_set_head(repo, head.ptr);
	git_error_clear();
done:
	git_buf_dispose(&head);
	git_remote_free(remote);
	return rc;
}

static int create_mirror(const char *path, const char *url, const char *shown, const struct sk_source_opts *o)
{
	char tmp[4200];
	git_repository *repo = NULL;
	int rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	rm_rf(tmp);
	if (git_repository_init(&repo, tmp, 1) < 0) {
		rc = sk_error_set(SK_ERR_GIT, "cannot create a cache for '%s' in '%s': %s", shown, tmp, git_reason());
		goto done;
	}
	if ((rc = fetch_mirror(repo, url, shown, o)) < 0)
		goto done;
	git_repository_free(repo);
	repo = NULL;
	if (rename(tmp, path) < 0) {
		struct stat st;

		/* someone else made it meanwhile: theirs will do */
		if (stat(path, &st) != 0)
			rc = sk_error_set_errno(SK_ERR_GIT, "cannot move the cache for '%s' into place", shown);
	}
done:
	git_repository_free(repo);
	if (rc < 0 || access(tmp, F_OK) == 0)
		rm_rf(tmp);
	return rc;
}

static int cache_path(char *out, size_t n, const char *cache_dir, const char *url)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char hex[65];

	if (!EVP_Digest(url, strlen(url), md, &len, EVP_sha256(), NULL) || len != 32)
		return sk_error_set(SK_ERR_GIT, "cannot hash a repository URL");
	for (unsigned int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if ((size_t)snprintf(out, n, "%s/%s.git", cache_dir, hex) >= n)
		return sk_error_set(SK_ERR_GIT, "cache folder '%.200s' is too long a path", cache_dir);
	return 0;
}

/* opens the repository: in place, or the (fetched) mirror of a remote */
static int open_repo(git_repository **out, const struct sk_source_opts *o)
{
	const char *repo = o->repo && *o->repo ? o->repo : NULL;
	char shown[1024], path[4096];
	struct stat st;
	int err;

	*out = NULL;
	if (ensure_init() < 0)
		return SK_ERROR;
	if (!repo) {
		if (git_repository_open_ext(out, ".", 0, NULL) < 0)
			return sk_error_set(SK_ERR_GIT, "the current directory is not in a git repository");
		return 0;
	}
	if (!is_remote(repo)) {
		err = git_repository_open_ext(out, repo, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
		if (err == 0)
			return 0;
		if (stat(repo, &st) != 0)
			return sk_error_set(SK_ERR_GIT, "policy repository '%s' not found", repo);
		return sk_error_set(SK_ERR_GIT, "'%s' is not a git repository", repo);
	}
	redact(shown, sizeof(shown), repo);
	if (!o->cache_dir || !*o->cache_dir)
		return sk_error_set(SK_ERR_GIT, "a cache folder is needed to fetch '%s'", shown);
	if (cache_path(path, sizeof(path), o->cache_dir, repo) < 0)
		return SK_ERROR;
	if (stat(path, &st) != 0) {
		if (o->no_fetch)
			return sk_error_set(SK_ERR_GIT, "no cached copy of '%s' in '%s' (fetch it once first)", shown,
					    o->cache_dir);
		if (check_transport(repo, shown, o) < 0 || mkdir_p(o->cache_dir) < 0 ||
		    create_mirror(path, repo, shown, o) < 0)
			return SK_ERROR;
		if (git_repository_open_bare(out, path) < 0)
			return sk_error_set(SK_ERR_GIT, "cannot open the cache of '%s': %s", shown, git_reason());
		return 0;
	}
	if (git_repository_open_bare(out, path) < 0)
		return sk_error_set(SK_ERR_GIT, "cannot open the cache of '%s' at '%s': %s", shown, path, git_reason());
	if (!o->no_fetch && (check_transport(repo, shown, o) < 0 || fetch_mirror(*out, repo, shown, o) < 0)) {
		git_repository_free(*out);
		*out = NULL;
		return SK_ERROR;
	}
	return 0;
}

static const char *shown_repo(char out[1024], const struct sk_source_opts *o)
{
	if (!o->repo || !*o->repo)
		snprintf(out, 1024, ".");
	else
		redact(out, 1024, o->repo);
	return out;
}

static int resolve(git_commit **out, git_repository *repo, const struct sk_source_opts *o)
{
	const char *ref = o->ref && *o->ref ? o->ref : "HEAD";
	git_object *obj = NULL, *peeled = NULL;
	char shown[1024];
	int err;

	*out = NULL;
	shown_repo(shown, o);
	err = git_revparse_single(&obj, repo, ref);
	if (err < 0) {
		if (!strcmp(ref, "HEAD") && git_repository_head_unborn(repo) == 1)
			return sk_error_set(SK_ERR_GIT, "repository '%s' has no commits", shown);
		if (err == GIT_ENOTFOUND || err == GIT_EINVALIDSPEC)
			return sk_error_set(SK_ERR_GIT, "ref '%s' not found in '%s'", ref, shown);
		if (err == GIT_EAMBIGUOUS)
			return sk_error_set(SK_ERR_GIT, "ref '%s' is ambiguous in '%s' (give more of the commit id)", ref,
					    shown);
		return sk_error_set(SK_ERR_GIT, "cannot resolve ref '%s' in '%s': %s", ref, shown, git_reason());
	}
	err = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (err < 0)
		return sk_error_set(SK_ERR_GIT, "ref '%s' in '%s' does not point to a commit", ref, shown);
	*out = (git_commit *)peeled;
	return 0;
}

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
		rc = sk_error_set(SK_ERR_GIT, "cannot read the tree of %s: %s", at, git_reason());
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
			rc = sk_error_set(SK_ERR_GIT, "cannot read folder '%s' at %s: %s", folder, at, git_reason());
			goto done;
		}
	}
	if (tree && git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w) < 0) {
		if (w.oom)
			rc = sk_error_set_oom();
		else if (w.too_many)
			rc = sk_error_set(SK_ERR_GIT, "more than %d policy files at %s", MAX_FILES, at);
		else
			rc = sk_error_set(SK_ERR_GIT, "cannot read the files at %s: %s", at, git_reason());
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
			rc = sk_error_set(SK_ERR_GIT, "cannot read '%s' at %s: %s", found[i].path, at, git_reason());
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
		rc = sk_error_set(SK_ERR_GIT, "cannot compare the work tree of '%s' with %s: %s", shown_repo(shown, o),
				  s->ref, git_reason());
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

static char *dup_or_oom(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		sk_error_set_oom();
	return d;
}

int sk_source_read(struct sk_source **out, const struct sk_source_opts *o)
{
	struct sk_source_opts defaults = SK_SOURCE_OPTS_INIT;
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	struct sk_source *s = NULL;
	const char *msg;
	size_t n;
	int rc;

	*out = NULL;
	if (!o)
		o = &defaults;
	if ((rc = open_repo(&repo, o)) < 0)
		goto done;
	if ((rc = resolve(&commit, repo, o)) < 0)
		goto done;
	s = calloc(1, sizeof(*s));
	if (!s) {
		rc = sk_error_set_oom();
		goto done;
	}
	git_oid_tostr(s->commit, sizeof(s->commit), git_commit_id(commit));
	msg = git_commit_message(commit);
	n = msg ? strcspn(msg, "\r\n") : 0;
	s->subject = malloc(n + 1);
	s->ref = dup_or_oom(o->ref && *o->ref ? o->ref : "HEAD");
	s->repo = dup_or_oom(o->repo && *o->repo ? o->repo : ".");
	if (!s->subject || !s->ref || !s->repo) {
		rc = sk_error_set_oom();
		goto done;
	}
	memcpy(s->subject, msg ? msg : "", n);
	s->subject[n] = '\0';
	if ((rc = read_files(s, repo, commit, o)) < 0 || (rc = find_uncommitted(s, repo, commit, o)) < 0)
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
	struct sk_source_opts defaults = SK_SOURCE_OPTS_INIT;
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	int rc;

	out[0] = '\0';
	if (!o)
		o = &defaults;
	if ((rc = open_repo(&repo, o)) < 0)
		goto done;
	if ((rc = resolve(&commit, repo, o)) < 0)
		goto done;
	git_oid_tostr(out, 41, git_commit_id(commit));
done:
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

/* ---- where a repository is, as a saved plan records it ---- */

/*
 * A URL without its password, and for http(s) without its user name too
 * (a token may stand there); an ssh user name ("git@") is kept.  scp-like
 * "user@host:path" has no password to drop.
 */
static int url_without_credentials(char **out, const char *url)
{
	const char *scheme = strstr(url, "://"), *host, *end, *at = NULL, *colon, *p;
	struct sk_buf b = SK_BUF_INIT;

	if (!scheme) {
		*out = strdup(url);
		return *out ? 0 : sk_error_set_oom();
	}
	host = scheme + 3;
	end = host + strcspn(host, "/?#");
	for (p = host; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at) {
		*out = strdup(url);
		return *out ? 0 : sk_error_set_oom();
	}
	if (sk_buf_add(&b, url, (size_t)(host - url)) < 0)
		goto oom;
	if (!scheme_is(url, (size_t)(scheme - url), "http") && !scheme_is(url, (size_t)(scheme - url), "https")) {
		colon = memchr(host, ':', (size_t)(at - host));
		if (sk_buf_add(&b, host, (size_t)((colon ? colon : at) - host)) < 0 || sk_buf_addc(&b, '@') < 0)
			goto oom;
	}
	if (sk_buf_adds(&b, at + 1) < 0 || !(*out = sk_buf_detach(&b)))
		goto oom;
	return 0;
oom:
	sk_buf_free(&b);
	return sk_error_set_oom();
}

int sk_source_locate(char **out, const char *repo)
{
	git_repository *r = NULL;
	const char *where;
	char real[PATH_MAX];
	size_t n;
	int rc = -1;

	*out = NULL;
	if (repo && *repo && is_remote(repo))
		return url_without_credentials(out, repo);
	if (ensure_init() < 0)
		return -1;
	if (!repo || !*repo) {
		if (git_repository_open_ext(&r, ".", 0, NULL) < 0)
			return sk_error_set(SK_ERR_GIT, "the current directory is not in a git repository");
	} else if (git_repository_open_ext(&r, repo, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		struct stat st;
		if (stat(repo, &st) != 0)
			return sk_error_set(SK_ERR_GIT, "policy repository '%s' not found", repo);
		return sk_error_set(SK_ERR_GIT, "'%s' is not a git repository", repo);
	}
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
