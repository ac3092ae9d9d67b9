/*
 * error.c - per-thread last error
 */
#include "common/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local struct sk_error last;

static void vset(int klass, const char *fmt, va_list ap)
{
	last.klass = klass;
	vsnprintf(last.message, sizeof(last.message), fmt, ap);
}

int sk_error_set(int klass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(klass, fmt, ap);
	va_end(ap);
	return SK_ERROR;
}

int sk_error_set_errno(int klass, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vset(klass, fmt, ap);
	va_end(ap);
	n = strlen(last.message);
	snprintf(last.message + n, sizeof(last.message) - n, ": %s", strerror(saved));
	errno = saved;
	return SK_ERROR;
}

int sk_error_set_oom(void)
{
	last.klass = SK_ERR_NOMEM;
	snprintf(last.message, sizeof(last.message), "out of memory");
	return SK_ERROR;
}

int sk_error_prefix(const char *fmt, ...)
{
	char prefix[SK_ERROR_MAX];
	char old[SK_ERROR_MAX];
	size_t n, m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last.message, sizeof(old));
	n = strlen(prefix);
	memcpy(last.message, prefix, n + 1);
	if (old[0] && n + 2 < sizeof(last.message)) {
		memcpy(last.message + n, ": ", 3);
		n += 2;
		m = strlen(old);
		if (m > sizeof(last.message) - 1 - n)
			m = sizeof(last.message) - 1 - n;
		memcpy(last.message + n, old, m);
		last.message[n + m] = '\0';
	}
	return SK_ERROR;
}

const struct sk_error *sk_error_last(void)
{
	return &last;
}

const char *sk_error_message(void)
{
	return last.message[0] ? last.message : "unknown error";
}

void sk_error_clear(void)
{
	last.klass = SK_ERR_NONE;
	last.message[0] = '\0';
}

const char *sk_error_class_name(int klass)
{
	static const char *const names[] = {
		"none", "nomem", "os", "invalid", "http", "aws", "xml", "credentials",
		"config", "policy", "git", "state", "lock", "plan", "safety", "interrupted", "response", "signature",
	};
	if (klass < 0 || (size_t)klass >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[klass];
}
