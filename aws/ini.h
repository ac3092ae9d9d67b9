/*
 * ini.h - the AWS shared config and credentials file format
 *
 * A hand-written reader for ~/.aws/config and ~/.aws/credentials (no INI
 * library is among our dependencies), following what the AWS CLI and
 * aws-c-auth's aws_profile.c accept:
 *
 *   # comment            ; comment
 *   [default]            [profile prod]   # a comment after a section
 *   key = value          key=value  ; a comment after whitespace
 *   s3 =
 *     max_concurrent_requests = 20    (a nested sub-section: skipped)
 *   key = first line
 *     continued          (a continuation of a non-empty value, joined by "\n")
 *
 * Indented lines belong to the key above them (as configparser reads
 * them); an indented line right after a section header is a key of its own.
 * CRLF line ends, a missing final newline, tabs and NUL bytes are taken in
 * stride.  Section names are trimmed and "profile   x" becomes "profile x";
 * keys are matched case-insensitively, a later value of the same key in the
 * same section wins.  A line that is none of the above is an error naming
 * the file and line, never the line's text (it may hold a secret).  Every
 * value is wiped (OPENSSL_cleanse) when freed.
 */
#ifndef SK_INI_H
#define SK_INI_H

#include <stdbool.h>
#include <stddef.h>

struct sk_ini_entry {
	char *section;
	char *key; /* "" for the entry a section header makes, so that an empty section exists */
	char *value;
	unsigned line;
};

struct sk_ini {
	struct sk_ini_entry *items;
	size_t n, cap;
};

#define SK_INI_INIT { .items = NULL, .n = 0, .cap = 0 }
/* larger files are refused */
#define SK_INI_MAX_SIZE ((size_t)4 << 20)

/* what names the input in errors ("~/.aws/config") */
int sk_ini_parse(struct sk_ini *out, const char *data, size_t len, const char *what);
/* SK_ENOTFOUND (no error set) when the file does not exist */
int sk_ini_load(struct sk_ini *out, const char *path, const char *what);
/* the value of key in section, or NULL */
const char *sk_ini_get(const struct sk_ini *ini, const char *section, const char *key);
bool sk_ini_has_section(const struct sk_ini *ini, const char *section);
void sk_ini_free(struct sk_ini *ini);

#endif
