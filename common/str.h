/*
 * str.h - C strings: copying into fixed buffers, lists, secrets
 *
 * snprintf(dst, size, "%s", src) hides truncation; sk_strlcpy() says it.
 * (UTF-8: common/utf8.h.)
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

/* a malloc'ed copy of s (NULL: ""), NULL with the error set when out of memory */
char *sk_strdup(const char *s);

/* frees v[0..n) and v itself; NULL is a no-op */
void sk_strv_free(char **v, size_t n);

/* whether s is one of v[0..n) (by strcmp()) */
bool sk_strv_has(const char *const *v, size_t n, const char *s);

/* qsort()'s comparison of two char * items, by strcmp() */
int sk_strp_cmp(const void *a, const void *b);

/* wipes a string holding a secret before freeing it; NULL is a no-op */
void sk_str_cleanse_free(char *s);

#endif
