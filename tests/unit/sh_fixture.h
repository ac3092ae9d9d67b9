/*
 * sh_fixture.h - runs a shell command in a unit test (git, gpg, ssh-keygen
 * setup), quietly: sh_run() is 0 when it exited 0 and says on stderr which
 * command failed otherwise; sh_ok() fails the test then.  Include after
 * <cmocka.h>.
 */
#ifndef SK_TEST_SH_FIXTURE_H
#define SK_TEST_SH_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/buf.h"

static int sh_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh_run(const char *fmt, ...)
{
	struct sk_buf cmd = SK_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	sk_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	sk_buf_adds(&cmd, " >/dev/null 2>&1");
	rc = system(cmd.ptr);
	if (rc != 0)
		fprintf(stderr, "# command failed (%d): %s\n", rc, cmd.ptr);
	sk_buf_free(&cmd);
	return rc;
}

#define sh_ok(...) assert_int_equal(sh_run(__VA_ARGS__), 0)

#endif
