/*
 * buf.h - the one growable byte buffer, and a read-only view
 *
 * A struct sk_buf grows on demand up to its maximum size (as curl's dynbuf)
 * and is always NUL-terminated once anything was added, so ptr can be used
 * as a C string.  A struct sk_view is a pointer and a length into memory
 * owned by someone else (as aws_byte_cursor), for parsing without copying.
 */
#ifndef SK_BUF_H
#define SK_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define SK_BUF_MAX_DEFAULT ((size_t)256 << 20)

struct sk_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
};

#define SK_BUF_INIT { .ptr = NULL, .len = 0, .cap = 0, .max = SK_BUF_MAX_DEFAULT }

void sk_buf_init(struct sk_buf *b, size_t max);
int sk_buf_grow(struct sk_buf *b, size_t extra);
int sk_buf_add(struct sk_buf *b, const void *data, size_t len);
int sk_buf_adds(struct sk_buf *b, const char *s);
int sk_buf_addc(struct sk_buf *b, char c);
int sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sk_buf_vprintf(struct sk_buf *b, const char *fmt, va_list ap);
/* a malloc'ed string printed from fmt (free() it), NULL with the error set on failure */
char *sk_buf_strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *sk_buf_vstrfmt(const char *fmt, va_list ap);
/* "" when nothing was added yet; never NULL */
const char *sk_buf_cstr(const struct sk_buf *b);
/* keeps the memory, forgets the contents */
void sk_buf_reset(struct sk_buf *b);
void sk_buf_truncate(struct sk_buf *b, size_t len);
void sk_buf_free(struct sk_buf *b);
/* wipes the contents before freeing them: for anything holding a secret */
void sk_buf_cleanse_free(struct sk_buf *b);
/* hands the string to the caller (free() it); the buffer is left empty */
char *sk_buf_detach(struct sk_buf *b);

struct sk_view {
	const char *ptr;
	size_t len;
};

struct sk_view sk_view_of(const char *s);
struct sk_view sk_view_from(const char *p, size_t len);
bool sk_view_eq(struct sk_view v, const char *s);
bool sk_view_eq_nocase(struct sk_view v, const char *s);
bool sk_view_starts_with(struct sk_view v, const char *prefix);
/* without leading and trailing white space (C's isspace() set, in the C locale) */
struct sk_view sk_view_trim(struct sk_view v);
/* without the leading and trailing bytes blank() says are blank */
struct sk_view sk_view_trim_by(struct sk_view v, bool (*blank)(char c));
/* splits at the first occurrence of c: head gets what is before, v what is after */
bool sk_view_split(struct sk_view *v, char c, struct sk_view *head);
/* a malloc'ed NUL-terminated copy, NULL on allocation failure */
char *sk_view_dup(struct sk_view v);

#endif
