/*
 * utf8.c - checking UTF-8; text copied into fixed fields stays valid UTF-8
 */
#include "common/utf8.h"

#include <stdint.h>
#include <string.h>

/*
 * The length of the valid character at s (1..4), or 0 when the bytes there
 * are none or it would run past the avail bytes left (avail > 0; SIZE_MAX
 * for a NUL-terminated string, where the NUL ends any character cut short).
 */
static size_t char_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0], v, n, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0; /* a continuation byte, an overlong 2-byte lead, or past U+10FFFF */
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (n > avail)
		return 0;
	v = c & (0x7fu >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* stops at the terminating NUL too */
		v = (v << 6) | (s[i] & 0x3fu);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return n;
}

size_t sk_utf8_copy(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	size_t o = 0, n;

	if (!size)
		return 0;
	while (*s) {
		n = char_len(s, SIZE_MAX);
		if (!n) {
			if (o + 1 >= size)
				break;
			dst[o++] = '?';
			s++;
			continue;
		}
		if (o + n >= size)
			break;
		memcpy(dst + o, s, n);
		o += n;
		s += n;
	}
	dst[o] = '\0';
	return o;
}

bool sk_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	while (i < len) {
		n = char_len(s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}
