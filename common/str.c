/*
 * str.c - C strings: copying into fixed buffers, lists, secrets
 */
#include "common/str.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/error.h"

bool sk_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len;

	if (!size)
		return true;
	len = strnlen(src, size); /* reads no further than it may copy */
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return true;
	}
	memcpy(dst, src, len + 1);
	return false;
}

char *sk_strdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		sk_error_set_oom();
	return d;
}

void sk_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

bool sk_strv_has(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

int sk_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void sk_str_cleanse_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}
