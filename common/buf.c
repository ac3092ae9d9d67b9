/*
 * buf.c - growable buffer and read-only view
 */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/error.h"

void sk_buf_init(struct sk_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SK_BUF_MAX_DEFAULT;
}

int sk_buf_grow(struct sk_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	/* a zeroed buffer (memset, calloc) has the default limit */
	if (!b->max)
		b->max = SK_BUF_MAX_DEFAULT;
	if (extra > b->max || b->len > b->max - extra)
		return sk_error_set(SK_ERR_NOMEM, "buffer would exceed its limit of %zu bytes", b->max);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (cap > ((size_t)-1) / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->ptr, cap);
	if (!p)
		return sk_error_set_oom();
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int sk_buf_add(struct sk_buf *b, const void *data, size_t len)
{
	if (sk_buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int sk_buf_adds(struct sk_buf *b, const char *s)
{
	return sk_buf_add(b, s, strlen(s));
}

int sk_buf_addc(struct sk_buf *b, char c)
{
	return sk_buf_add(b, &c, 1);
}

int sk_buf_vprintf(struct sk_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return sk_error_set(SK_ERR_INVALID, "bad format string");
	if (sk_buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sk_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *sk_buf_vstrfmt(const char *fmt, va_list ap)
{
	struct sk_buf b = SK_BUF_INIT;

	if (sk_buf_vprintf(&b, fmt, ap) < 0) {
		sk_buf_free(&b);
		return NULL;
	}
	return sk_buf_detach(&b);
}

char *sk_buf_strfmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sk_buf_vstrfmt(fmt, ap);
	va_end(ap);
	return s;
}

const char *sk_buf_cstr(const struct sk_buf *b)
{
	return b->ptr ? b->ptr : "";
}

void sk_buf_reset(struct sk_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void sk_buf_truncate(struct sk_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

void sk_buf_free(struct sk_buf *b)
{
	if (!b)
		return;
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

void sk_buf_cleanse_free(struct sk_buf *b)
{
	if (!b)
		return;
	if (b->ptr)
		OPENSSL_cleanse(b->ptr, b->cap);
	sk_buf_free(b);
}

char *sk_buf_detach(struct sk_buf *b)
{
	char *p = b->ptr;

	if (!p)
		p = calloc(1, 1);
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

struct sk_view sk_view_of(const char *s)
{
	struct sk_view v = { s ? s : "", s ? strlen(s) : 0 };
	return v;
}

struct sk_view sk_view_from(const char *p, size_t len)
{
	struct sk_view v = { p, len };
	return v;
}

bool sk_view_eq(struct sk_view v, const char *s)
{
	size_t n = strlen(s);
	return n == v.len && (n == 0 || memcmp(v.ptr, s, n) == 0);
}

bool sk_view_eq_nocase(struct sk_view v, const char *s)
{
	size_t n = strlen(s);
	return n == v.len && (n == 0 || strncasecmp(v.ptr, s, n) == 0);
}

bool sk_view_starts_with(struct sk_view v, const char *prefix)
{
	size_t n = strlen(prefix);
	return n <= v.len && memcmp(v.ptr, prefix, n) == 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

struct sk_view sk_view_trim_by(struct sk_view v, bool (*blank)(char c))
{
	while (v.len && blank(v.ptr[0])) {
		v.ptr++;
		v.len--;
	}
	while (v.len && blank(v.ptr[v.len - 1]))
		v.len--;
	return v;
}

struct sk_view sk_view_trim(struct sk_view v)
{
	return sk_view_trim_by(v, is_space);
}

bool sk_view_split(struct sk_view *v, char c, struct sk_view *head)
{
	const char *p = v->len ? memchr(v->ptr, c, v->len) : NULL;

	if (!p) {
		*head = *v;
		v->ptr += v->len;
		v->len = 0;
		return false;
	}
	head->ptr = v->ptr;
	head->len = (size_t)(p - v->ptr);
	v->len -= head->len + 1;
	v->ptr = p + 1;
	return true;
}

char *sk_view_dup(struct sk_view v)
{
	char *s = malloc(v.len + 1);

	if (!s)
		return NULL;
	if (v.len)
		memcpy(s, v.ptr, v.len);
	s[v.len] = '\0';
	return s;
}
