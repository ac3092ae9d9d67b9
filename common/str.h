/*
 * str.h - copying C strings into fixed buffers, checking UTF-8
 *
 * snprintf(dst, size, "%s", src) hides truncation; sk_strlcpy() says it.
 */
#ifndef SK_STR_H
#define SK_STR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copies src into dst[size], always NUL-terminated (size 0 writes nothing),
 * cutting it to size - 1 bytes when it is longer.  Returns true when src
 * was cut (did not fit whole), false when dst holds all of it.
 */
bool sk_strlcpy(char *dst, const char *src, size_t size);

/* whether s[0..len) is well-formed UTF-8: no overlong form, surrogate or code point past U+10FFFF */
bool sk_utf8_valid(const char *s, size_t len);

#endif
