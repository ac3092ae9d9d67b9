/*
 * markup.h - text into HTML and XML (SVG): the one escaper
 *
 * Anything a report shows came from outside (instance ids, tag values,
 * error messages from AWS): it goes into a page only through here.  The
 * result is safe both as element text and inside a double- or single-quoted
 * attribute value, and is well-formed XML 1.0: & < > " ' become entities,
 * bytes that are not valid UTF-8 and the control characters XML forbids
 * (all below U+0020 but tab, newline and carriage return; U+FFFE, U+FFFF)
 * become U+FFFD, the replacement character.
 */
#ifndef SK_MARKUP_H
#define SK_MARKUP_H

#include <stddef.h>

#include "common/buf.h"

/* appends s (NULL: "") escaped; 0, or -1 when the buffer cannot grow */
int sk_markup_escape(struct sk_buf *out, const char *s);
/* the same for s[0..len), which may hold NUL bytes (they become U+FFFD) */
int sk_markup_escape_n(struct sk_buf *out, const char *s, size_t len);

#endif
