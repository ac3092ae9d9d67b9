/*
 * test_source.c - reading policy files from real git repositories
 *
 * Each test builds repositories with the git command in a scratch folder:
 * commits, annotated and lightweight tags, a bare clone, a file:// remote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/sh_fixture.h"

#include "common/buf.h"
#include "common/error.h"
#include "specs/policy.h"
#include "specs/source.h"

static char top[256];

/* the first line a command prints */
static char *capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *capture(const char *fmt, ...)
{
	struct sk_buf cmd = SK_BUF_INIT;
	static char line[512];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	sk_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	p = popen(cmd.ptr, "r");
	assert_non_null(p);
	line[0] = '\0';
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	sk_buf_free(&cmd);
	return line;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sh_ok("mkdir -p \"$(dirname '%s')\"", path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/sk-source-XXXXXX";

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(top, sizeof(top), "%s", tmpl);
	setenv("GIT_AUTHOR_NAME", "Test", 1);
	setenv("GIT_AUTHOR_EMAIL", "test@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "Test", 1);
	setenv("GIT_COMMITTER_EMAIL", "test@example.com", 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", top, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

#define POLICY(name, days)                                                                  \
	"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: " name "}\nspec:\n" \
	"  regions: [us-east-1]\n  selector: {instances: [" name "-db]}\n  automated: {retentionDays: " days "}\n"

/* a work repository with two commits on main: v1 (30 days), then 7 days */
static void make_repo(const char *dir)
{
	sh_ok("git init -q -b main '%s'", dir);
	write_file(dir, "policies/prod.yaml", POLICY("prod", "30"));
	write_file(dir, "policies/staging.yml", POLICY("staging", "3"));
	write_file(dir, "policies/eu/db.yaml", POLICY("eu", "5"));
	write_file(dir, "policies/README.md", "not a policy\n");
	write_file(dir, "policies/.drafts/x.yaml", "not: even valid: yaml: here\n");
	write_file(dir, ".github/workflows/ci.yml", "on: push\n");
	write_file(dir, "other.yaml", "elsewhere: true\n");
	sh_ok("cd '%s' && git add -A && git commit -q -m 'first policies' -m 'with a body'", dir);
	sh_ok("cd '%s' && git tag -a v1 -m 'release one' && git tag v1-light", dir);
	write_file(dir, "policies/prod.yaml", POLICY("prod", "7"));
	sh_ok("cd '%s' && git commit -q -am 'prod keeps 7 days'", dir);
}

static const struct sk_source_file *find(const struct sk_source *s, const char *path)
{
	for (size_t i = 0; i < s->n_files; i++)
		if (!strcmp(s->files[i].path, path))
			return &s->files[i];
	return NULL;
}

static struct sk_source *read_ok(const char *repo, const char *ref, const char *path)
{
	struct sk_source_opts o = SK_SOURCE_OPTS_INIT;
	struct sk_source *s = NULL;

	o.repo = repo;
	o.ref = ref;
	o.path = path;
	if (sk_source_read(&s, &o) < 0)
		fail_msg("reading %s at %s: %s", repo, ref ? ref : "HEAD", sk_error_message());
	return s;
}

static void read_fails(const char *repo, const char *ref, const char *path, const char *message)
{
	struct sk_source_opts o = SK_SOURCE_OPTS_INIT;
	struct sk_source *s = (struct sk_source *)1;

	o.repo = repo;
	o.ref = ref;
	o.path = path;
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_null(s);
	assert_int_equal(sk_error_last()->klass, SK_ERR_GIT);
	assert_string_equal(sk_error_message(), message);
}

static void test_reads_the_folder_at_head_sorted_without_checkout(void **state)
{
	char repo[512];
	struct sk_source *s;
	struct sk_policyset *set;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/work", top);
	make_repo(repo);
	/* uncommitted changes are not read: there is no checkout */
	write_file(repo, "policies/prod.yaml", "garbage: [\n");
	s = read_ok(repo, NULL, "policies");
	assert_string_equal(s->commit, capture("git -C '%s' rev-parse HEAD", repo));
	assert_string_equal(s->subject, "prod keeps 7 days");
	assert_string_equal(s->ref, "HEAD");
	assert_string_equal(s->repo, repo);
	assert_int_equal(s->n_files, 3);
	assert_string_equal(s->files[0].path, "policies/eu/db.yaml");
	assert_string_equal(s->files[1].path, "policies/prod.yaml");
	assert_string_equal(s->files[2].path, "policies/staging.yml");
	assert_non_null(strstr(s->files[1].data, "retentionDays: 7"));
	assert_int_equal(s->files[1].len, strlen(POLICY("prod", "7")));
	assert_int_equal(sk_policyset_load(&set, s), 0);
	assert_int_equal(set->n_policies, 3);
	assert_string_equal(set->commit, s->commit);
	assert_string_equal(set->subject, "prod keeps 7 days");
	assert_string_equal(set->policies[1].pos.file, "policies/prod.yaml");
	sk_policyset_free(set);
	sk_source_free(s);

	/* the whole tree: hidden folders are skipped */
	s = read_ok(repo, "main", NULL);
	assert_int_equal(s->n_files, 4);
	assert_string_equal(s->files[0].path, "other.yaml");
	assert_null(find(s, ".github/workflows/ci.yml"));
	assert_null(find(s, "policies/.drafts/x.yaml"));
	sk_source_free(s);

	/* "./policies/" means the same folder; a file may be named */
	s = read_ok(repo, NULL, "./policies/");
	assert_int_equal(s->n_files, 3);
	sk_source_free(s);
	s = read_ok(repo, NULL, "policies/staging.yml");
	assert_int_equal(s->n_files, 1);
	assert_string_equal(s->files[0].path, "policies/staging.yml");
	sk_source_free(s);
}

static void test_older_refs_give_older_content(void **state)
{
	char repo[512], first[64], abbrev[16];
	const char *refs[] = { "v1", "v1-light", "HEAD~1", "main^", first, abbrev };
	struct sk_source *s;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/refs", top);
	make_repo(repo);
	snprintf(first, sizeof(first), "%s", capture("git -C '%s' rev-parse HEAD~1", repo));
	snprintf(abbrev, sizeof(abbrev), "%.8s", first);
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		s = read_ok(repo, refs[i], "policies");
		/* an annotated tag is peeled to its commit */
		assert_string_equal(s->commit, first);
		assert_string_equal(s->subject, "first policies");
		assert_string_equal(s->ref, refs[i]);
		assert_non_null(strstr(find(s, "policies/prod.yaml")->data, "retentionDays: 30"));
		sk_source_free(s);
	}
}

static void test_each_read_sees_new_commits(void **state)
{
	char repo[512];
	struct sk_source *s;
	char id[41];

	(void)state;
	snprintf(repo, sizeof(repo), "%s/live", top);
	make_repo(repo);
	s = read_ok(repo, "main", "policies");
	assert_int_equal(sk_source_resolve(id, &(struct sk_source_opts){ .repo = repo, .ref = "main" }), 0);
	assert_string_equal(id, s->commit);
	sk_source_free(s);
	write_file(repo, "policies/new.yaml", POLICY("new", "1"));
	sh_ok("cd '%s' && git add -A && git commit -q -m 'add new'", repo);
	s = read_ok(repo, "main", "policies");
	assert_string_equal(s->subject, "add new");
	assert_non_null(find(s, "policies/new.yaml"));
	assert_int_equal(sk_source_resolve(id, &(struct sk_source_opts){ .repo = repo, .ref = "main" }), 0);
	assert_string_equal(id, s->commit);
	sk_source_free(s);
}

static void test_bare_repository_works(void **state)
{
	char repo[512], bare[512];
	struct sk_source *s;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/forbare", top);
	snprintf(bare, sizeof(bare), "%s/bare.git", top);
	make_repo(repo);
	sh_ok("git clone -q --bare '%s' '%s'", repo, bare);
	s = read_ok(bare, NULL, "policies");
	assert_string_equal(s->commit, capture("git -C '%s' rev-parse main", repo));
	assert_int_equal(s->n_files, 3);
	sk_source_free(s);
	s = read_ok(bare, "v1", "policies");
	assert_string_equal(s->subject, "first policies");
	sk_source_free(s);
}

static void test_missing_things_are_one_clear_error(void **state)
{
	char repo[512], empty[512], plain[512], msg[1024], id[16];

	(void)state;
	snprintf(repo, sizeof(repo), "%s/errs", top);
	make_repo(repo);
	snprintf(id, sizeof(id), "%.12s", capture("git -C '%s' rev-parse HEAD", repo));

	snprintf(msg, sizeof(msg), "ref 'mian' not found in '%s'", repo);
	read_fails(repo, "mian", NULL, msg);
	snprintf(msg, sizeof(msg), "folder 'polices' not found at main (%s)", id);
	read_fails(repo, "main", "polices", msg);
	snprintf(msg, sizeof(msg), "ref 'HEAD^{tree}' in '%s' does not point to a commit", repo);
	read_fails(repo, "HEAD^{tree}", NULL, msg);
	snprintf(msg, sizeof(msg), "policy repository '%s/nowhere' not found", top);
	snprintf(plain, sizeof(plain), "%s/nowhere", top);
	read_fails(plain, NULL, NULL, msg);
	snprintf(plain, sizeof(plain), "%s/plain", top);
	sh_ok("mkdir -p '%s'", plain);
	snprintf(msg, sizeof(msg), "'%s' is not a git repository", plain);
	read_fails(plain, NULL, NULL, msg);
	snprintf(empty, sizeof(empty), "%s/empty", top);
	sh_ok("git init -q -b main '%s'", empty);
	snprintf(msg, sizeof(msg), "repository '%s' has no commits", empty);
	read_fails(empty, NULL, NULL, msg);
	/* a folder with no policy files is read; the policy set then says so */
	{
		struct sk_source *s = read_ok(repo, NULL, "policies/eu");
		struct sk_policyset *set;

		sk_source_free(s);
		s = read_ok(repo, NULL, ".github");
		assert_int_equal(s->n_files, 1);
		sk_source_free(s);
		write_file(repo, "docs/a.txt", "x\n");
		sh_ok("cd '%s' && git add -A && git commit -q -m docs", repo);
		s = read_ok(repo, NULL, "docs");
		assert_int_equal(s->n_files, 0);
		assert_int_equal(sk_policyset_load(&set, s), SK_ERROR);
		assert_string_equal(sk_error_message(), "1 error in policies: no policy files (*.yaml, *.yml) found");
		sk_policyset_free(set);
		sk_source_free(s);
	}
}

static void test_remote_is_mirrored_and_fetched_again(void **state)
{
	char repo[512], bare[512], url[600], cache[512], clone[512], first[41], second[41], mirror[700];
	struct sk_source_opts o = SK_SOURCE_OPTS_INIT;
	struct sk_source *s;
	struct stat st;
	char id[41];

	(void)state;
	snprintf(repo, sizeof(repo), "%s/upstream", top);
	snprintf(bare, sizeof(bare), "%s/upstream.git", top);
	snprintf(clone, sizeof(clone), "%s/pusher", top);
	snprintf(cache, sizeof(cache), "%s/state/cache/git", top);
	make_repo(repo);
	sh_ok("git clone -q --bare '%s' '%s'", repo, bare);
	snprintf(url, sizeof(url), "file://%s", bare);
	o.repo = url;
	o.path = "policies";
	o.cache_dir = cache;

	/* no cache yet and no fetch allowed */
	o.no_fetch = true;
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "no cached copy of 'file://"));
	o.no_fetch = false;

	assert_int_equal(sk_source_read(&s, &o), 0);
	snprintf(first, sizeof(first), "%s", s->commit);
	assert_string_equal(first, capture("git -C '%s' rev-parse main", bare));
	assert_string_equal(s->subject, "prod keeps 7 days");
	assert_int_equal(s->n_files, 3);
	sk_source_free(s);
	/* the cache is a bare mirror named by the URL's SHA-256 */
	snprintf(mirror, sizeof(mirror), "%s/%s.git", cache, capture("printf %%s '%s' | sha256sum | cut -c1-64", url));
	assert_int_equal(stat(mirror, &st), 0);
	assert_string_equal(capture("git -C '%s' rev-parse --is-bare-repository", mirror), "true");
	assert_string_equal(capture("git -C '%s' rev-parse v1^{commit}", mirror),
			    capture("git -C '%s' rev-parse v1^{commit}", bare));

	/* someone pushes: the next read fetches it */
	sh_ok("git clone -q '%s' '%s'", bare, clone);
	write_file(clone, "policies/prod.yaml", POLICY("prod", "14"));
	sh_ok("cd '%s' && git commit -q -am 'prod keeps 14 days' && git push -q origin main", clone);
	snprintf(second, sizeof(second), "%s", capture("git -C '%s' rev-parse main", bare));
	assert_string_not_equal(first, second);

	/* without fetching, the cache as it was */
	o.no_fetch = true;
	assert_int_equal(sk_source_read(&s, &o), 0);
	assert_string_equal(s->commit, first);
	sk_source_free(s);
	o.no_fetch = false;
	assert_int_equal(sk_source_resolve(id, &o), 0);
	assert_string_equal(id, second);
	assert_int_equal(sk_source_read(&s, &o), 0);
	assert_string_equal(s->commit, second);
	assert_string_equal(s->subject, "prod keeps 14 days");
	assert_non_null(strstr(find(s, "policies/prod.yaml")->data, "retentionDays: 14"));
	sk_source_free(s);
	/* a deleted branch goes, a new tag comes */
	sh_ok("cd '%s' && git push -q origin main:feature", clone);
	assert_int_equal(sk_source_resolve(id, &o), 0);
	assert_string_equal(capture("git -C '%s' rev-parse --verify -q feature", mirror), second);
	sh_ok("cd '%s' && git push -q origin :feature && git tag v2 && git push -q origin v2", clone);
	assert_int_equal(sk_source_resolve(id, &o), 0);
	assert_string_equal(capture("git -C '%s' rev-parse --verify -q feature", mirror), "");
	assert_string_equal(capture("git -C '%s' rev-parse --verify -q v2", mirror), second);
	/* older refs of the remote too */
	o.ref = "v1";
	assert_int_equal(sk_source_read(&s, &o), 0);
	assert_string_equal(s->subject, "first policies");
	sk_source_free(s);
}

static void test_remote_head_follows_its_default_branch(void **state)
{
	char repo[512], bare[512], url[600], cache[512];
	struct sk_source_opts o = SK_SOURCE_OPTS_INIT;
	struct sk_source *s;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/trunkrepo", top);
	snprintf(bare, sizeof(bare), "%s/trunk.git", top);
	snprintf(cache, sizeof(cache), "%s/cache2", top);
	make_repo(repo);
	sh_ok("cd '%s' && git checkout -q -b trunk HEAD~1 && git commit -q --allow-empty -m 'on trunk'", repo);
	sh_ok("git clone -q --bare '%s' '%s' && git -C '%s' symbolic-ref HEAD refs/heads/trunk", repo, bare, bare);
	snprintf(url, sizeof(url), "file://%s", bare);
	o.repo = url;
	o.cache_dir = cache;
	assert_int_equal(sk_source_read(&s, &o), 0);
	assert_string_equal(s->subject, "on trunk");
	assert_string_equal(s->ref, "HEAD");
	sk_source_free(s);
}

static void test_failed_fetch_leaves_no_cache_and_hides_credentials(void **state)
{
	char cache[512], url[600];
	struct sk_source_opts o = SK_SOURCE_OPTS_INIT;
	struct sk_source *s;

	(void)state;
	snprintf(cache, sizeof(cache), "%s/cache3", top);
	snprintf(url, sizeof(url), "file://%s/no-such.git", top);
	o.repo = url;
	o.cache_dir = cache;
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_GIT);
	assert_int_equal(strncmp(sk_error_message(), "cannot fetch 'file://", 21), 0);
	assert_string_equal(capture("ls -A '%s' | wc -l", cache), "0");

	o.repo = "https://deploy:s3cr3t-token@127.0.0.1:1/policies.git";
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_null(strstr(sk_error_message(), "s3cr3t"));
	assert_non_null(strstr(sk_error_message(), "cannot fetch 'https://***@127.0.0.1:1/policies.git'"));

	o.cache_dir = NULL;
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_string_equal(sk_error_message(), "a cache folder is needed to fetch 'https://***@127.0.0.1:1/policies.git'");
}

/* the uncommitted policy files as "path:change" lines, for one comparison */
static const char *uncommitted_text(const struct sk_source *s)
{
	static char text[2048];
	size_t n = 0;

	text[0] = '\0';
	for (size_t i = 0; i < s->n_uncommitted && n < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s:%s", i ? " " : "", s->uncommitted[i].path,
				      sk_source_change_name(s->uncommitted[i].change));
	return text;
}

static const char *uncommitted_at(const char *repo, const char *ref, const char *path)
{
	struct sk_source *s = read_ok(repo, ref, path);
	const char *text = uncommitted_text(s);

	sk_source_free(s);
	return text;
}

static void test_uncommitted_policy_files_are_reported_not_read(void **state)
{
	char repo[512], head[41], all[2048];
	struct sk_source *s;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/dirty", top);
	make_repo(repo);
	snprintf(head, sizeof(head), "%s", capture("git -C '%s' rev-parse HEAD", repo));
	assert_string_equal(uncommitted_at(repo, NULL, "policies"), "");
	assert_string_equal(uncommitted_at(repo, NULL, NULL), "");

	write_file(repo, "policies/prod.yaml", POLICY("prod", "1"));          /* modified, not staged */
	write_file(repo, "policies/staging.yml", POLICY("staging", "2"));     /* staged */
	sh_ok("cd '%s' && git add policies/staging.yml", repo);
	write_file(repo, "policies/new.yaml", POLICY("new", "1"));            /* untracked */
	write_file(repo, "policies/team/deep.yml", POLICY("deep", "1"));      /* in an untracked folder */
	sh_ok("rm '%s/policies/eu/db.yaml'", repo);                              /* deleted */
	write_file(repo, "policies/notes.txt", "not a policy\n");             /* not *.yaml */
	write_file(repo, "policies/.drafts/y.yaml", "hidden: true\n");        /* hidden, as the read skips it */
	write_file(repo, ".gitignore", "ignored.yaml\n");
	write_file(repo, "policies/ignored.yaml", "ignored: true\n");         /* ignored */
	write_file(repo, "other.yaml", "elsewhere: false\n");                 /* outside --path */

	s = read_ok(repo, NULL, "policies");
	/* the commit is what is read, whatever the work tree holds */
	assert_string_equal(s->commit, head);
	assert_non_null(strstr(find(s, "policies/prod.yaml")->data, "retentionDays: 7"));
	assert_null(find(s, "policies/new.yaml"));
	assert_string_equal(uncommitted_text(s), "policies/eu/db.yaml:deleted policies/new.yaml:untracked "
						 "policies/prod.yaml:modified policies/staging.yml:staged "
						 "policies/team/deep.yml:untracked");
	sk_source_free(s);
	/* HEAD's branch, by any name, is the checkout too */
	snprintf(all, sizeof(all), "%s", uncommitted_at(repo, NULL, "policies"));
	assert_string_equal(uncommitted_at(repo, "main", "./policies/"), all);
	assert_string_equal(uncommitted_at(repo, "refs/heads/main", "policies/"), all);
	/* the whole repository: other.yaml too; a file named by --path: that file only */
	assert_non_null(strstr(uncommitted_at(repo, NULL, NULL), "other.yaml:modified"));
	assert_string_equal(uncommitted_at(repo, NULL, "policies/prod.yaml"), "policies/prod.yaml:modified");
	assert_string_equal(uncommitted_at(repo, NULL, "policies/eu"), "policies/eu/db.yaml:deleted");
	/* a staged new file that was then edited is modified; a staged new file is staged */
	write_file(repo, "policies/added.yaml", POLICY("added", "1"));
	sh_ok("cd '%s' && git add policies/added.yaml", repo);
	assert_non_null(strstr(uncommitted_at(repo, NULL, "policies"), "policies/added.yaml:staged"));
	write_file(repo, "policies/added.yaml", POLICY("added", "2"));
	assert_non_null(strstr(uncommitted_at(repo, NULL, "policies"), "policies/added.yaml:modified"));

	/* other refs say nothing, even one at the same commit */
	sh_ok("cd '%s' && git branch other", repo);
	assert_string_equal(uncommitted_at(repo, "other", "policies"), "");
	assert_string_equal(uncommitted_at(repo, "v1", "policies"), "");
	assert_string_equal(uncommitted_at(repo, "HEAD~1", "policies"), "");
	assert_string_equal(uncommitted_at(repo, head, "policies"), "");
	/* a detached HEAD is still the checkout; the branch no longer is */
	sh_ok("cd '%s' && git checkout -q --detach", repo);
	assert_non_null(strstr(uncommitted_at(repo, NULL, "policies"), "policies/prod.yaml:modified"));
	assert_string_equal(uncommitted_at(repo, "main", "policies"), "");
}

static void test_bare_and_remote_repositories_have_no_uncommitted_files(void **state)
{
	char repo[512], bare[512], url[600], cache[512];
	struct sk_source_opts o = SK_SOURCE_OPTS_INIT;
	struct sk_source *s;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/dirty2", top);
	snprintf(bare, sizeof(bare), "%s/dirty2.git", top);
	snprintf(cache, sizeof(cache), "%s/cache-dirty", top);
	make_repo(repo);
	sh_ok("git clone -q --bare '%s' '%s'", repo, bare);
	write_file(repo, "policies/prod.yaml", POLICY("prod", "1"));
	assert_string_equal(uncommitted_at(bare, NULL, "policies"), "");
	/* a file:// remote of a work tree is read through its bare mirror */
	snprintf(url, sizeof(url), "file://%s", repo);
	o.repo = url;
	o.path = "policies";
	o.cache_dir = cache;
	assert_int_equal(sk_source_read(&s, &o), 0);
	assert_int_equal(s->n_uncommitted, 0);
	assert_null(s->uncommitted);
	sk_source_free(s);
	/* and the work tree itself does report it */
	assert_string_equal(uncommitted_at(repo, NULL, "policies"), "policies/prod.yaml:modified");
}

struct warned {
	int n;
	char url[256];
};

static void on_insecure(void *ud, const char *url)
{
	struct warned *w = ud;

	w->n++;
	snprintf(w->url, sizeof(w->url), "%s", url);
}

static void test_credentials_go_only_over_https_or_ssh(void **state)
{
	char cache[512], bare[512], url[600];
	struct sk_source_opts o = SK_SOURCE_OPTS_INIT;
	struct warned w = { 0, "" };
	struct sk_source *s = NULL;
	struct stat st;
	char id[41];

	(void)state;
	snprintf(cache, sizeof(cache), "%s/cache-insecure", top);
	o.cache_dir = cache;
	o.on_insecure_fetch = on_insecure;
	o.ud = &w;
	setenv("SNAPKEEP_GIT_TOKEN", "s3cr3t-token", 1);

	/* a token and plain http: refused before anything is fetched or created */
	o.repo = "http://127.0.0.1:1/policies.git";
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_GIT);
	assert_string_equal(sk_error_message(),
			    "refusing to send SNAPKEEP_GIT_TOKEN over plain http to 'http://127.0.0.1:1/policies.git': "
			    "git credentials go only to https:// and ssh remotes (--allow-insecure-git sends them anyway)");
	assert_int_not_equal(stat(cache, &st), 0);
	assert_int_equal(sk_source_resolve(id, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "refusing to send SNAPKEEP_GIT_TOKEN over plain http"));
	o.repo = "HTTP://127.0.0.1:1/policies.git";
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "refusing to send SNAPKEEP_GIT_TOKEN over plain http"));
	o.repo = "git://127.0.0.1:1/policies.git";
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "over the unencrypted git protocol to 'git://127.0.0.1:1/"));
	assert_int_equal(w.n, 0);

	/* a password in the URL, which libgit2 would send by itself, the same (and never shown) */
	unsetenv("SNAPKEEP_GIT_TOKEN");
	o.repo = "http://deploy:pa55word@127.0.0.1:1/policies.git";
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_string_equal(sk_error_message(),
			    "refusing to send the password in the URL over plain http to 'http://***@127.0.0.1:1/"
			    "policies.git': git credentials go only to https:// and ssh remotes (--allow-insecure-git "
			    "sends them anyway)");
	assert_int_equal(w.n, 0);

	/* a user name alone is no credential: the fetch is tried, and warned about once */
	o.repo = "http://deploy@127.0.0.1:1/policies.git";
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "cannot fetch 'http://***@127.0.0.1:1/policies.git'"));
	assert_int_equal(w.n, 1);
	assert_string_equal(w.url, "http://***@127.0.0.1:1/policies.git");

	/* without credentials plain http is fetched, with a warning each time */
	w.n = 0;
	o.repo = "http://127.0.0.1:1/policies.git";
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "cannot fetch 'http://127.0.0.1:1/policies.git'"));
	assert_int_equal(sk_source_resolve(id, &o), SK_ERROR);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.url, "http://127.0.0.1:1/policies.git");
	/* no fetch, no warning */
	o.no_fetch = true;
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "no cached copy"));
	assert_int_equal(w.n, 2);
	o.no_fetch = false;

	/* allowed: the token may go, still with the warning */
	setenv("SNAPKEEP_GIT_TOKEN", "s3cr3t-token", 1);
	o.allow_insecure = true;
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "cannot fetch 'http://127.0.0.1:1/policies.git'"));
	assert_int_equal(w.n, 3);
	o.allow_insecure = false;

	/* https and ssh take credentials, with no warning; file:// never sends any */
	o.repo = "https://127.0.0.1:1/policies.git";
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "cannot fetch 'https://127.0.0.1:1/policies.git'"));
	o.repo = "ssh://git@127.0.0.1:1/policies.git";
	assert_int_equal(sk_source_read(&s, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "cannot fetch 'ssh://***@127.0.0.1:1/policies.git'"));
	snprintf(bare, sizeof(bare), "%s/insecure-src", top);
	make_repo(bare);
	snprintf(url, sizeof(url), "file://%s", bare);
	o.repo = url;
	assert_int_equal(sk_source_read(&s, &o), 0);
	assert_int_equal(s->n_files, 4);
	sk_source_free(s);
	assert_int_equal(w.n, 3);
	unsetenv("SNAPKEEP_GIT_TOKEN");
}

static void test_files_from_memory_are_copied(void **state)
{
	char text[] = "a: 1\n";
	struct sk_source_file f = { (char *)"x.yaml", text, 5 };
	struct sk_source *s;

	(void)state;
	assert_int_equal(sk_source_from_files(&s, &f, 1), 0);
	text[0] = 'b';
	assert_string_equal(s->files[0].data, "a: 1\n");
	assert_int_equal(s->files[0].len, 5);
	assert_string_equal(s->commit, "");
	sk_source_free(s);
	sk_source_free(NULL);
}

/* where a repository is, as a saved plan records it */
static void assert_located(const char *repo, const char *want)
{
	char *got = NULL;

	if (sk_source_locate(&got, repo) < 0)
		fail_msg("locating '%s': %s", repo ? repo : "(cwd)", sk_error_message());
	assert_string_equal(got, want);
	free(got);
}

static void test_locate_gives_absolute_paths_and_urls_without_credentials(void **state)
{
	char repo[512], real[PATH_MAX], want[PATH_MAX + 64], bare[512], cwd[PATH_MAX], *got = (char *)1;

	(void)state;
	/* URLs: no password; for http(s) no user name either (a token may stand there); ssh users stay */
	assert_located("https://x-access-token:ghp_SECRET@github.com/acme/policies.git",
		       "https://github.com/acme/policies.git");
	assert_located("https://ghp_SECRET@github.com/acme/policies.git", "https://github.com/acme/policies.git");
	assert_located("HTTP://user@example.com:8080/p?x=a@b", "HTTP://example.com:8080/p?x=a@b");
	assert_located("ssh://git:hunter2@example.com/acme/policies.git", "ssh://git@example.com/acme/policies.git");
	assert_located("ssh://git@example.com/acme/policies.git", "ssh://git@example.com/acme/policies.git");
	assert_located("git@github.com:acme/policies.git", "git@github.com:acme/policies.git");
	assert_located("https://github.com/acme/policies.git", "https://github.com/acme/policies.git");

	/* local: the work tree's absolute path, however it was named */
	snprintf(repo, sizeof(repo), "%s/located", top);
	make_repo(repo);
	assert_non_null(realpath(repo, real));
	assert_located(repo, real);
	snprintf(want, sizeof(want), "%s/", repo);
	assert_located(want, real);
	snprintf(want, sizeof(want), "%s/.git", repo);
	assert_located(want, real);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/policies", repo);
	assert_int_equal(chdir(want), 0);
	assert_located(NULL, real); /* the repository the current directory is in */
	assert_located("..", real);
	assert_int_equal(chdir(cwd), 0);
	/* a bare repository is its own folder */
	snprintf(bare, sizeof(bare), "%s/located-bare.git", top);
	sh_ok("git clone -q --bare '%s' '%s'", repo, bare);
	assert_non_null(realpath(bare, real));
	assert_located(bare, real);
	/* a folder that is not there */
	snprintf(want, sizeof(want), "%s/nowhere", top);
	assert_int_equal(sk_source_locate(&got, want), SK_ERROR);
	assert_null(got);
	assert_true(strstr(sk_error_message(), "not found") != NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_the_folder_at_head_sorted_without_checkout),
		cmocka_unit_test(test_older_refs_give_older_content),
		cmocka_unit_test(test_each_read_sees_new_commits),
		cmocka_unit_test(test_bare_repository_works),
		cmocka_unit_test(test_missing_things_are_one_clear_error),
		cmocka_unit_test(test_remote_is_mirrored_and_fetched_again),
		cmocka_unit_test(test_remote_head_follows_its_default_branch),
		cmocka_unit_test(test_failed_fetch_leaves_no_cache_and_hides_credentials),
		cmocka_unit_test(test_uncommitted_policy_files_are_reported_not_read),
		cmocka_unit_test(test_bare_and_remote_repositories_have_no_uncommitted_files),
		cmocka_unit_test(test_credentials_go_only_over_https_or_ssh),
		cmocka_unit_test(test_files_from_memory_are_copied),
		cmocka_unit_test(test_locate_gives_absolute_paths_and_urls_without_credentials),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
