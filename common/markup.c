/*
 * markup.c - text into HTML and XML (SVG): the one escaper
 */
#include "common/markup.h"

#include <string.h>

#include "common/utf8.h"

static const char REPLACEMENT[] = "\xef\xbf\xbd"; /* U+FFFD */

/* the entity for an ASCII byte that needs one, NULL for the rest */
static const char *entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

/*
 * The length of the character at s (at most avail bytes) when it may be
 * copied as it is, 0 when it must be replaced.
 */
static size_t keep_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n;

	if (c < 0x80)
		return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (n > avail || !sk_utf8_valid((const char *)s, n))
		return 0;
	/* U+FFFE and U+FFFF are not characters in XML */
	if (n == 3 && c == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
		return 0;
	return n;
}

int sk_markup_escape_n(struct sk_buf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, n;
	const char *e;

	while (i < len) {
		e = s[i] < 0x80 ? entity(s[i]) : NULL;
		n = e ? 0 : keep_len(s + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		/* copy the safe run before this byte, then what replaces it */
		if (sk_buf_add(out, s + run, i - run) < 0 || sk_buf_adds(out, e ? e : REPLACEMENT) < 0)
			return -1;
		i++;
		run = i;
	}
	return sk_buf_add(out, s + run, i - run);
}

int sk_markup_escape(struct sk_buf *out, const char *s)
{
	s = s ? s : "";
	return sk_markup_escape_n(out, s, strlen(s));
}
