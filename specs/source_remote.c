/*
 * source_remote.c - a remote policy repository: its mirror in the cache,
 * fetched with the credentials the remote may have
 *
 * The mirror is <cache_dir>/<sha256 of the URL>.git (bare; heads and tags,
 * pruned), fetched with libgit2's remote API; it is first built under a
 * temporary name and renamed into place, so a failed first fetch leaves
 * nothing behind.  Credentials (SNAPKEEP_GIT_TOKEN, a password in the URL,
 * the SSH agent) go only to https:// and ssh remotes unless allow_insecure.
 */
#define _XOPEN_SOURCE 700
#include "specs/source_remote.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/error.h"
#include "specs/source_git.h"

#define MAX_AUTH_ATTEMPTS 3

/* a colon before any slash makes "host:path" scp-like */
bool sk_source_remote_is(const char *repo)
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
		return TRANSPORT_SECURE; /* sk_source_remote_is() let only scp-like ssh through */
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

/*
 * The '@' that ends the user information of a URL's authority
 * ("https://user:pw@host/..."), or NULL; *host: where the authority starts
 * (NULL without "://": scp-like "user@host:path" has no password).
 */
static const char *userinfo_end(const char *url, const char **host)
{
	const char *scheme = strstr(url, "://"), *end, *at = NULL;

	*host = NULL;
	if (!scheme)
		return NULL;
	*host = scheme + 3;
	end = *host + strcspn(*host, "/?#");
	for (const char *p = *host; p < end; p++)
		if (*p == '@')
			at = p;
	return at;
}

/* "user:password@" before the host: libgit2 sends it without asking the credentials callback */
static bool url_has_password(const char *url)
{
	const char *host, *at = userinfo_end(url, &host);

	return at && memchr(host, ':', (size_t)(at - host)) != NULL;
}

int sk_source_remote_locate(char **out, const char *url)
{
	const char *host, *at = userinfo_end(url, &host), *colon;
	size_t scheme_len;
	struct sk_buf b = SK_BUF_INIT;

	if (!at) {
		*out = strdup(url);
		return *out ? 0 : sk_error_set_oom();
	}
	scheme_len = (size_t)(host - 3 - url);
	if (sk_buf_add(&b, url, (size_t)(host - url)) < 0)
		goto oom;
	if (!scheme_is(url, scheme_len, "http") && !scheme_is(url, scheme_len, "https")) {
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
		rc = sk_error_set(SK_ERR_GIT, "cannot fetch '%s': %s", shown, sk_source_git_reason());
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
		rc = sk_error_set(SK_ERR_GIT, "cannot create a cache for '%s' in '%s': %s", shown, tmp, sk_source_git_reason());
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
	char hex[65];

	if (sk_sha256_hex(hex, url, strlen(url)) < 0)
		return sk_error_set(SK_ERR_GIT, "cannot hash a repository URL");
	if ((size_t)snprintf(out, n, "%s/%s.git", cache_dir, hex) >= n)
		return sk_error_set(SK_ERR_GIT, "cache folder '%.200s' is too long a path", cache_dir);
	return 0;
}
int sk_source_remote_open(git_repository **out, const struct sk_source_opts *o)
{
	const char *repo = o->repo;
	char shown[1024], path[4096];
	struct stat st;

	*out = NULL;
	if (sk_source_git_init() < 0)
		return SK_ERROR;
	sk_source_git_redact(shown, sizeof(shown), repo);
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
			return sk_error_set(SK_ERR_GIT, "cannot open the cache of '%s': %s", shown, sk_source_git_reason());
		return 0;
	}
	if (git_repository_open_bare(out, path) < 0)
		return sk_error_set(SK_ERR_GIT, "cannot open the cache of '%s' at '%s': %s", shown, path,
				    sk_source_git_reason());
	if (!o->no_fetch && (check_transport(repo, shown, o) < 0 || fetch_mirror(*out, repo, shown, o) < 0)) {
		git_repository_free(*out);
		*out = NULL;
		return SK_ERROR;
	}
	return 0;
}
