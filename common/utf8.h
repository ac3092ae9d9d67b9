/*
 * utf8.h - checking UTF-8; text copied into fixed fields stays valid UTF-8
 *
 * Commit subjects (any bytes git was given), error messages and the like
 * are kept in fixed-size fields and written out as JSON, which takes only
 * valid UTF-8: jansson refuses anything else, and a file that cannot be
 * written loses what it records.  snprintf() would cut a character in two.
 */
#ifndef SK_UTF8_H
#define SK_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copies src (NULL: "") into dst of size bytes (size > 0), NUL-terminated:
 * whole characters only, each byte that does not start a valid UTF-8
 * character (as jansson checks them: no overlong forms, surrogates or code
 * points past U+10FFFF) replaced by '?'.  Returns the length written.
 */
size_t sk_utf8_copy(char *dst, size_t size, const char *src);

/* whether s[0..len) is well-formed UTF-8: no overlong form, surrogate or code point past U+10FFFF */
bool sk_utf8_valid(const char *s, size_t len);

#endif
