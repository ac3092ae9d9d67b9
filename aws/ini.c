/*
 * ini.c - the AWS shared config and credentials file format
 */
#include "aws/ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/array.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"

static void entry_free(struct sk_ini_entry *e)
{
	free(e->section);
	free(e->key);
	sk_str_cleanse_free(e->value);
}

void sk_ini_free(struct sk_ini *ini)
{
	if (ini)
		SK_ARRAY_CLEAR(ini->items, ini->n, ini->cap, entry_free);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\0';
}

static struct sk_view trim(struct sk_view v)
{
	return sk_view_trim_by(v, blank);
}

/* drops a "#" or ";" comment that follows whitespace */
static struct sk_view strip_comment(struct sk_view v)
{
	size_t i;

	for (i = 1; i < v.len; i++)
		if ((v.ptr[i] == '#' || v.ptr[i] == ';') && (v.ptr[i - 1] == ' ' || v.ptr[i - 1] == '\t'))
			return trim(sk_view_from(v.ptr, i));
	return v;
}

/* a copy with inner NUL bytes dropped, so the C string holds everything */
static char *dup_clean(struct sk_view v)
{
	char *s = malloc(v.len + 1);
	size_t i, n = 0;

	if (!s)
		return NULL;
	for (i = 0; i < v.len; i++)
		if (v.ptr[i])
			s[n++] = v.ptr[i];
	s[n] = '\0';
	return s;
}

static int set_entry(struct sk_ini *ini, const char *section, struct sk_view key, struct sk_view value,
		     unsigned line)
{
	struct sk_ini_entry *e;
	char *k = dup_clean(key), *v = dup_clean(value), *sec;
	size_t i;

	if (!k || !v)
		goto oom;
	for (i = 0; i < ini->n; i++) {
		e = &ini->items[i];
		if (!strcmp(e->section, section) && !strcasecmp(e->key, k)) {
			free(k);
			sk_str_cleanse_free(e->value);
			e->value = v;
			e->line = line;
			return 0;
		}
	}
	if (SK_ARRAY_GROW(ini->items, ini->cap, ini->n + 1) < 0 || !(sec = strdup(section)))
		goto oom;
	e = &ini->items[ini->n++];
	e->section = sec;
	e->key = k;
	e->value = v;
	e->line = line;
	return 0;
oom:
	free(k);
	sk_str_cleanse_free(v);
	return sk_error_set_oom();
}

/* appends "\n" + more to the value of the last entry */
static int continue_value(struct sk_ini *ini, struct sk_view more)
{
	struct sk_ini_entry *e = &ini->items[ini->n - 1];
	size_t old = strlen(e->value);
	char *add = dup_clean(more), *v;

	if (!add)
		return sk_error_set_oom();
	v = malloc(old + 1 + strlen(add) + 1);
	if (!v) {
		sk_str_cleanse_free(add);
		return sk_error_set_oom();
	}
	memcpy(v, e->value, old);
	v[old] = '\n';
	strcpy(v + old + 1, add);
	sk_str_cleanse_free(add);
	sk_str_cleanse_free(e->value);
	e->value = v;
	return 0;
}

/* "[ profile   x ]" -> "profile x"; NULL on a malformed header (or no memory) */
static char *section_name(struct sk_view line)
{
	const char *close = memchr(line.ptr, ']', line.len);
	struct sk_view inner, rest, name;
	struct sk_buf b = SK_BUF_INIT;
	char *s = NULL;
	size_t i;

	if (!close)
		return NULL;
	/* only a comment may follow the ']' */
	rest = trim(sk_view_from(close + 1, (size_t)(line.ptr + line.len - close - 1)));
	if (rest.len && rest.ptr[0] != '#' && rest.ptr[0] != ';')
		return NULL;
	inner = trim(sk_view_from(line.ptr + 1, (size_t)(close - line.ptr - 1)));
	if (!inner.len || memchr(inner.ptr, '[', inner.len))
		return NULL;
	/* one space between a prefix ("profile", "sso-session") and the name */
	for (i = 0; i < inner.len && !blank(inner.ptr[i]); i++)
		;
	if (i == inner.len)
		return dup_clean(inner);
	name = trim(sk_view_from(inner.ptr + i, inner.len - i));
	if (sk_buf_add(&b, inner.ptr, i) == 0 && sk_buf_addc(&b, ' ') == 0 && sk_buf_add(&b, name.ptr, name.len) == 0)
		s = dup_clean(sk_view_from(b.ptr, b.len));
	sk_buf_free(&b);
	return s;
}

int sk_ini_parse(struct sk_ini *out, const char *data, size_t len, const char *what)
{
	struct sk_view text = sk_view_from(data ? data : "", data ? len : 0), line;
	char *section = NULL;
	unsigned lineno = 0;
	/* after "key =" with nothing after it, indented lines are a sub-section */
	bool in_subsection = false, can_continue = false;
	int rc = -1;

	out->items = NULL;
	out->n = out->cap = 0;
	if (len > SK_INI_MAX_SIZE)
		return sk_error_set(SK_ERR_CONFIG, "%s: larger than %zu bytes", what, SK_INI_MAX_SIZE);
	while (text.len) {
		struct sk_view t, key;

		sk_view_split(&text, '\n', &line);
		lineno++;
		t = trim(line);
		if (!t.len || t.ptr[0] == '#' || t.ptr[0] == ';')
			continue;
		if (blank(line.ptr[0]) && t.ptr[0] != '[' && (in_subsection || can_continue)) {
			/* indented under a key: a sub-section's line, or a continuation of its value */
			if (in_subsection)
				continue;
			if (continue_value(out, strip_comment(t)) < 0)
				goto done;
			continue;
		}
		in_subsection = can_continue = false;
		if (t.ptr[0] == '[') {
			char *name = section_name(t);
			if (!name) {
				sk_error_set(SK_ERR_CONFIG, "%s:%u: malformed section header (expected '[name]')", what,
					     lineno);
				goto done;
			}
			free(section);
			section = name;
			/* the section exists even with no keys, as configparser (and so the AWS CLI) has it */
			if (set_entry(out, section, sk_view_from("", 0), sk_view_from("", 0), lineno) < 0)
				goto done;
			continue;
		}
		if (!sk_view_split(&t, '=', &key)) {
			sk_error_set(SK_ERR_CONFIG, "%s:%u: expected 'key = value' or '[section]'", what, lineno);
			goto done;
		}
		key = trim(key);
		if (!key.len) {
			sk_error_set(SK_ERR_CONFIG, "%s:%u: a value without a key", what, lineno);
			goto done;
		}
		t = strip_comment(trim(t));
		if (!section)
			continue; /* keys before the first section belong to no profile */
		if (!t.len || t.ptr[0] == '#' || t.ptr[0] == ';') {
			in_subsection = true;
			t = sk_view_from("", 0);
		} else {
			can_continue = true;
		}
		if (set_entry(out, section, key, t, lineno) < 0)
			goto done;
	}
	rc = 0;
done:
	free(section);
	if (rc < 0)
		sk_ini_free(out);
	return rc;
}

int sk_ini_load(struct sk_ini *out, const char *path, const char *what)
{
	struct sk_buf b = SK_BUF_INIT;
	char chunk[8192];
	FILE *f;
	size_t n;
	int rc = -1;

	out->items = NULL;
	out->n = out->cap = 0;
	f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT || errno == ENOTDIR)
			return SK_ENOTFOUND;
		return sk_error_set_errno(SK_ERR_CONFIG, "cannot read %s", what);
	}
	sk_buf_init(&b, SK_INI_MAX_SIZE);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > SK_INI_MAX_SIZE) {
			sk_error_set(SK_ERR_CONFIG, "%s: larger than %zu bytes", what, SK_INI_MAX_SIZE);
			goto done;
		}
		if (sk_buf_add(&b, chunk, n) < 0)
			goto done;
	}
	if (ferror(f)) {
		sk_error_set_errno(SK_ERR_CONFIG, "cannot read %s", what);
		goto done;
	}
	rc = sk_ini_parse(out, b.ptr, b.len, what);
done:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	fclose(f);
	sk_buf_cleanse_free(&b);
	return rc;
}

const char *sk_ini_get(const struct sk_ini *ini, const char *section, const char *key)
{
	size_t i;

	if (!ini)
		return NULL;
	for (i = 0; i < ini->n; i++)
		if (!strcmp(ini->items[i].section, section) && !strcasecmp(ini->items[i].key, key))
			return ini->items[i].value;
	return NULL;
}

bool sk_ini_has_section(const struct sk_ini *ini, const char *section)
{
	size_t i;

	if (!ini)
		return false;
	for (i = 0; i < ini->n; i++)
		if (!strcmp(ini->items[i].section, section))
			return true;
	return false;
}
