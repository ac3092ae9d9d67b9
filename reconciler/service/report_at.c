/*
 * report_at.c - the monthly compliance report of `run --report-at` (report_at.h)
 */
#include "reconciler/service/report_at.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/array.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"
#include "reconciler/planner/report_html.h"
#include "state/fileio.h"

static char *page_path(const char *state_dir, const char *month)
{
	return sk_buf_strfmt("%s/%s/%s.html", state_dir, SK_REPORT_AT_DIR, month);
}

int sk_report_at_due(char month[8], const struct sk_cron *c, const char *state_dir, int64_t now)
{
	int64_t fired = sk_cron_prev(c, now);
	struct stat st;
	char *path;
	int rc;

	if (fired < 0)
		return 0;
	sk_report_month_before(month, fired);
	if (!(path = page_path(state_dir, month)))
		return -1;
	if (stat(path, &st) == 0)
		rc = 0;
	else if (errno == ENOENT)
		rc = 1;
	else
		rc = sk_error_set_errno(SK_ERR_OS, "cannot look for the report '%s'", path);
	free(path);
	return rc;
}

/* "2026-11.html" */
static int is_page(const char *name)
{
	unsigned y, m;
	char tail[8];

	return strlen(name) == 12 && sscanf(name, "%4u-%2u.%5s", &y, &m, tail) == 3 && name[4] == '-' &&
	       !strcmp(name + 7, ".html") && m >= 1 && m <= 12;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* all but the newest SK_REPORT_AT_KEEP pages go (their names sort by month) */
static int prune(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (!d)
		return sk_error_set_errno(SK_ERR_OS, "cannot read the reports folder '%s'", dir);
	while ((e = readdir(d))) {
		if (!is_page(e->d_name))
			continue;
		if (SK_ARRAY_GROW(names, cap, n + 1) < 0 || !(names[n] = sk_strdup(e->d_name))) {
			rc = -1;
			goto done;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; n > SK_REPORT_AT_KEEP && i < n - SK_REPORT_AT_KEEP; i++)
		if (unlinkat(dirfd(d), names[i], 0) != 0 && errno != ENOENT)
			rc = sk_error_set_errno(SK_ERR_OS, "cannot remove the old report '%s/%s'", dir, names[i]);
done:
	sk_strv_free(names, n);
	closedir(d);
	return rc;
}

int sk_report_at_write(const char *state_dir, const char *month, const struct sk_report *r)
{
	struct sk_buf page = SK_BUF_INIT;
	char *dir = sk_buf_strfmt("%s/%s", state_dir, SK_REPORT_AT_DIR), *path = NULL;
	int rc = -1;

	if (!dir || !(path = page_path(state_dir, month)))
		goto done;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		sk_error_set_errno(SK_ERR_OS, "cannot make the reports folder '%s'", dir);
		goto done;
	}
	if (sk_report_html(&page, r) < 0 || sk_file_write_atomic(path, page.ptr, page.len, 0600) < 0)
		goto done;
	rc = prune(dir);
done:
	sk_buf_free(&page);
	free(path);
	free(dir);
	return rc;
}
