/*
 * state_fixture.h - a scratch directory for each test, and reading, writing
 * and listing files in it: test_state.c and test_planfile.c
 *
 * setup makes a fresh directory under $TMPDIR (else /tmp) and the path of
 * a state file in it; teardown removes it whatever modes a test left.
 *
 * Header-only (static functions): each unit test is one .c file.  Define
 * _GNU_SOURCE (for nftw's flags) and include it after <cmocka.h>: the
 * helpers that must succeed fail the test.
 */
#ifndef SK_TEST_STATE_FIXTURE_H
#define SK_TEST_STATE_FIXTURE_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "state/fileio.h"

/* every helper is static; a test file uses some of them */
#define STATE_FN static __attribute__((unused))

struct fixture {
	char dir[256];
	char path[300]; /* <dir>/state.json */
};

STATE_FN int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(p, 0700);
	return remove(p);
}

STATE_FN int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/sk-state-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/state.json", f->dir);
	*state = f;
	return 0;
}

STATE_FN int teardown(void **state)
{
	struct fixture *f = *state;

	chmod(f->dir, 0700);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

STATE_FN void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

STATE_FN char *read_file(const char *path)
{
	struct sk_buf b = SK_BUF_INIT;

	assert_int_equal(sk_file_read_all(&b, path, 0), 0);
	return sk_buf_detach(&b);
}

/* the names in dir, sorted, joined by spaces */
STATE_FN char *listing(const char *dir)
{
	struct dirent **names;
	struct sk_buf b = SK_BUF_INIT;
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			sk_buf_printf(&b, "%s%s", b.len ? " " : "", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	if (!b.len)
		sk_buf_adds(&b, "");
	return sk_buf_detach(&b);
}

STATE_FN void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

#endif
