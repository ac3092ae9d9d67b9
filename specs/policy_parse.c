/*
 * policy_parse.c - the policy parser's shared context: diagnostics, values
 * as messages quote them, checked keys and typed values
 *
 * What every part of the parser (policy.c, policy_spec.c,
 * policy_snapshots.c, policy_settings.c, policy_check.c) reports with:
 * diagnostics with file:line:col and the "policy 'x': " prefix, unknown
 * and duplicate keys, and values of the wrong type, range or pattern, each
 * said the one way.  Also the values more than one place has: tags, KMS
 * keys and alerts.
 */
#include "specs/policy_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h" /* a leaf (libc only): see policy.h */

#define MAX_TAG_KEY 128
#define MAX_TAG_VALUE 256
#define MAX_KMS 2048
#define KMS_EXPECTED "a KMS key id, alias (alias/name) or ARN"

/* ---- diagnostics ---- */

void sk_pctx_add_diag(struct sk_pctx *p, const char *file, int line, int col, const char *msg)
{
	struct sk_policy_diag d;

	d.pos.file = file;
	d.pos.line = line;
	d.pos.col = col;
	d.message = (char *)sk_arena_strdup(&p->set->arena, msg);
	if (!d.message || sk_buf_add(&p->diags, &d, sizeof(d)) < 0)
		p->oom = true;
}

static void vdiag_at(struct sk_pctx *p, const char *file, int line, int col, bool who, const char *fmt, va_list ap)
{
	struct sk_buf msg = SK_BUF_INIT;

	if (who && sk_buf_adds(&msg, p->who) < 0)
		p->oom = true;
	if (sk_buf_vprintf(&msg, fmt, ap) < 0)
		p->oom = true;
	sk_pctx_add_diag(p, file, line, col, sk_buf_cstr(&msg));
	sk_buf_free(&msg);
}

void sk_pctx_diag(struct sk_pctx *p, const struct sk_ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag_at(p, p->file, at ? at->line : 1, at ? at->col : 1, true, fmt, ap);
	va_end(ap);
}

void sk_pctx_diag_at(struct sk_pctx *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag_at(p, p->file, line, col, true, fmt, ap);
	va_end(ap);
}

void sk_pctx_diag_pos(struct sk_pctx *p, const struct sk_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag_at(p, pos->file, pos->line, pos->col, false, fmt, ap);
	va_end(ap);
}

struct sk_pos sk_pctx_pos(const struct sk_pctx *p, const struct sk_ynode *n)
{
	struct sk_pos pos = { p->file, n ? n->line : 1, n ? n->col : 1 };

	return pos;
}

/* ---- values as messages show them ---- */

const char *sk_pctx_show(char out[SK_PCTX_SHOW_MAX], const char *s, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < len && o + 8 < SK_PCTX_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o >= 60 && (c & 0xc0) != 0x80) {
			break;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(out + o, SK_PCTX_SHOW_MAX - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

const char *sk_pctx_describe(char out[SK_PCTX_DESCRIBE_MAX], const struct sk_ynode *n)
{
	/* what stands before and after the value, or the whole text when it has none */
	static const struct {
		const char *before, *after;
	} kinds[] = {
		[SK_YK_STRING] = { "string '", "'" },
		[SK_YK_INT] = { "integer ", "" },
		[SK_YK_FLOAT] = { "number ", "" },
		[SK_YK_BADINT] = { "'", "' (only decimal integers are allowed)" },
		[SK_YK_BOOL] = { "boolean ", "" },
		[SK_YK_NULL] = { "null", NULL },
		[SK_YK_MAP] = { "a mapping", NULL },
		[SK_YK_SEQ] = { "a sequence", NULL },
		[SK_YK_INVALID] = { "an alias", NULL },
	};
	char v[SK_PCTX_SHOW_MAX];

	if ((size_t)n->kind >= sizeof(kinds) / sizeof(kinds[0]) || !kinds[n->kind].before)
		out[0] = '\0';
	else if (!kinds[n->kind].after)
		snprintf(out, SK_PCTX_DESCRIBE_MAX, "%s", kinds[n->kind].before);
	else
		snprintf(out, SK_PCTX_DESCRIBE_MAX, "%s%s%s", kinds[n->kind].before, SK_PCTX_SHOWN(v, n),
			 kinds[n->kind].after);
	return out;
}

size_t sk_pctx_utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* ---- the set's arena ---- */

char *sk_pctx_strdup(struct sk_pctx *p, const char *s, size_t len)
{
	char *d = sk_arena_alloc(&p->set->arena, len + 1);

	if (!d) {
		p->oom = true;
		return NULL;
	}
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void *sk_pctx_calloc(struct sk_pctx *p, size_t n, size_t size)
{
	void *d;

	if (n == 0)
		return NULL;
	d = sk_arena_calloc(&p->set->arena, n, size);
	if (!d)
		p->oom = true;
	return d;
}

/* ---- keys ---- */

static void unknown_key(struct sk_pctx *p, const struct sk_ynode *k, const char *where, const char *const *allowed)
{
	char v[SK_PCTX_SHOW_MAX], in[80];
	const char *near = sk_policy_keys_nearest(k->text, allowed);
	const char *home;
	struct sk_buf list = SK_BUF_INIT;

	if (where)
		snprintf(in, sizeof(in), "in '%s'", where);
	else
		snprintf(in, sizeof(in), "at the top level");
	if (near) {
		sk_pctx_diag(p, k, "unknown key '%s' %s (did you mean '%s'?)", SK_PCTX_SHOWN(v, k), in, near);
		return;
	}
	/* a key of another place? */
	if ((home = sk_policy_keys_home(k->text, allowed))) {
		sk_pctx_diag(p, k, "unknown key '%s' %s ('%s' belongs in '%s')", SK_PCTX_SHOWN(v, k), in, k->text, home);
		return;
	}
	for (size_t i = 0; allowed[i]; i++)
		sk_buf_printf(&list, "%s%s", i ? ", " : "", allowed[i]);
	sk_pctx_diag(p, k, "unknown key '%s' %s (expected one of: %s)", SK_PCTX_SHOWN(v, k), in, sk_buf_cstr(&list));
	sk_buf_free(&list);
}

struct keyref {
	const struct sk_ynode *k;
	size_t i;
};

static int cmp_keyref(const void *x, const void *y)
{
	const struct keyref *a = x, *b = y;
	size_t n = a->k->len < b->k->len ? a->k->len : b->k->len;
	int c = memcmp(a->k->text, b->k->text, n);

	if (c)
		return c;
	if (a->k->len != b->k->len)
		return a->k->len < b->k->len ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

void sk_pctx_check_keys(struct sk_pctx *p, const struct sk_ynode *map, const char *where, const char *const *allowed)
{
	size_t n = map->n_kids / 2, m = 0, i;
	struct keyref *refs;
	char v[SK_PCTX_SHOW_MAX], d[SK_PCTX_DESCRIBE_MAX];

	if (n == 0)
		return;
	refs = malloc(n * sizeof(*refs));
	if (!refs) {
		p->oom = true;
		return;
	}
	for (i = 0; i < n; i++) {
		const struct sk_ynode *k = map->kids[2 * i];

		if (k->type == SK_Y_INVALID)
			continue;
		if (k->type != SK_Y_SCALAR) {
			sk_pctx_diag(p, k, "a key in '%s' must be a string, got %s", where ? where : "the document",
				     sk_pctx_describe(d, k));
			continue;
		}
		refs[m].k = k;
		refs[m].i = i;
		m++;
		if (allowed) {
			bool ok = false;

			for (size_t j = 0; allowed[j] && !ok; j++)
				ok = strlen(allowed[j]) == k->len && !memcmp(allowed[j], k->text, k->len);
			if (!ok)
				unknown_key(p, k, where, allowed);
		}
	}
	qsort(refs, m, sizeof(*refs), cmp_keyref);
	for (i = 1; i < m; i++) {
		const struct sk_ynode *a, *b = refs[i].k;
		size_t first = i - 1;

		if (b->len != refs[first].k->len || memcmp(b->text, refs[first].k->text, b->len) != 0)
			continue;
		while (first > 0 && refs[first - 1].k->len == b->len && !memcmp(refs[first - 1].k->text, b->text, b->len))
			first--;
		a = refs[first].k;
		sk_pctx_diag(p, b, "duplicate key '%s' in '%s' (first at %s:%d:%d)", SK_PCTX_SHOWN(v, b),
			     where ? where : "the document", p->file, a->line, a->col);
	}
	free(refs);
}

const struct sk_ynode *sk_pctx_field(const struct sk_ynode *map, const char *key, const struct sk_ynode **k)
{
	if (k)
		*k = sk_ymap_key(map, key);
	return sk_ymap_get(map, key);
}

/* ---- typed values ---- */

bool sk_pctx_is_alias(const struct sk_ynode *n)
{
	return n->type == SK_Y_INVALID; /* reported when read */
}

/* a node of one collection type, or "label must be <what>, got ..." */
static bool want_type(struct sk_pctx *p, const struct sk_ynode *n, enum sk_ynode_type type, const char *label,
		      const char *what)
{
	char d[SK_PCTX_DESCRIBE_MAX];

	if (n->type == type)
		return true;
	if (!sk_pctx_is_alias(n))
		sk_pctx_diag(p, n, "%s must be %s, got %s", label, what, sk_pctx_describe(d, n));
	return false;
}

bool sk_pctx_want_map(struct sk_pctx *p, const struct sk_ynode *n, const char *label)
{
	return want_type(p, n, SK_Y_MAP, label, "a mapping");
}

bool sk_pctx_want_seq(struct sk_pctx *p, const struct sk_ynode *n, const char *label)
{
	return want_type(p, n, SK_Y_SEQ, label, "a list");
}

bool sk_pctx_want_string(struct sk_pctx *p, const struct sk_ynode *n, const char *label)
{
	char d[SK_PCTX_DESCRIBE_MAX], v[SK_PCTX_SHOW_MAX];

	if (sk_pctx_is_alias(n))
		return false;
	if (n->type == SK_Y_SCALAR && n->kind == SK_YK_STRING) {
		if (memchr(n->text, '\0', n->len)) {
			sk_pctx_diag(p, n, "%s must not contain a NUL character", label);
			return false;
		}
		return true;
	}
	if (n->type == SK_Y_SCALAR && n->kind != SK_YK_NULL)
		sk_pctx_diag(p, n, "%s must be a string, got %s (quote it: \"%s\")", label, sk_pctx_describe(d, n),
			     SK_PCTX_SHOWN(v, n));
	else
		sk_pctx_diag(p, n, "%s must be a string, got %s", label, sk_pctx_describe(d, n));
	return false;
}

bool sk_pctx_want_int(struct sk_pctx *p, const struct sk_ynode *n, const char *label, long long min, long long max,
		      const char *range_text, int *out)
{
	char d[SK_PCTX_DESCRIBE_MAX], v[SK_PCTX_SHOW_MAX];
	long long val;
	char *end;

	if (sk_pctx_is_alias(n))
		return false;
	if (n->type != SK_Y_SCALAR || n->kind != SK_YK_INT) {
		if (n->kind == SK_YK_BADINT)
			sk_pctx_diag(p, n, "%s must be a decimal integer, got '%s'", label, SK_PCTX_SHOWN(v, n));
		else
			sk_pctx_diag(p, n, "%s must be an integer, got %s", label, sk_pctx_describe(d, n));
		return false;
	}
	errno = 0;
	val = strtoll(n->text, &end, 10);
	if (errno == ERANGE || val < min || val > max) {
		if (range_text)
			sk_pctx_diag(p, n, "%s must be %s, got %s", label, range_text, SK_PCTX_SHOWN(v, n));
		else
			sk_pctx_diag(p, n, "%s must be %lld..%lld, got %s", label, min, max, SK_PCTX_SHOWN(v, n));
		return false;
	}
	*out = (int)val;
	return true;
}

bool sk_pctx_want_bool(struct sk_pctx *p, const struct sk_ynode *n, const char *label, bool *out)
{
	static const char *const yaml11[] = { "yes", "no", "on", "off", "y", "n", NULL };
	char d[SK_PCTX_DESCRIBE_MAX];

	if (sk_pctx_is_alias(n))
		return false;
	if (n->type == SK_Y_SCALAR && n->kind == SK_YK_BOOL) {
		*out = n->text[0] == 't' || n->text[0] == 'T';
		return true;
	}
	if (n->type == SK_Y_SCALAR && !n->quoted) {
		for (size_t i = 0; yaml11[i]; i++) {
			if (!strcasecmp(n->text, yaml11[i])) {
				sk_pctx_diag(p, n, "%s must be true or false, got %s (yes/no/on/off are strings here)",
					     label, sk_pctx_describe(d, n));
				return false;
			}
		}
	}
	sk_pctx_diag(p, n, "%s must be true or false, got %s", label, sk_pctx_describe(d, n));
	return false;
}

bool sk_pctx_want_pattern(struct sk_pctx *p, const struct sk_ynode *n, const char *label, enum sk_policy_rx rx,
			  size_t max_len, const char *expected, char **out)
{
	char v[SK_PCTX_SHOW_MAX];

	if (!sk_pctx_want_string(p, n, label))
		return false;
	if (n->len == 0 || n->len > max_len || !sk_policy_keys_match(rx, n->text)) {
		if (n->len > max_len)
			sk_pctx_diag(p, n, "%s '%s' is longer than %zu characters", label, SK_PCTX_SHOWN(v, n), max_len);
		else
			sk_pctx_diag(p, n, "%s '%s' must be %s", label, SK_PCTX_SHOWN(v, n), expected);
		return false;
	}
	*out = sk_pctx_strdup(p, n->text, n->len);
	return *out != NULL;
}

bool sk_pctx_want_kms(struct sk_pctx *p, const struct sk_ynode *n, const char *label, const char *region,
		      char **out)
{
	struct sk_arn a;

	if (!sk_pctx_want_pattern(p, n, label, SK_POLICY_RX_KMS, MAX_KMS, KMS_EXPECTED, out))
		return false;
	/* a KMS key given as an ARN must live in the region it is used in */
	if (!region || sk_arn_parse(&a, *out) < 0 || !sk_arn_part_is(a.service, "kms") || a.region.len >= 64)
		return true;
	if (!sk_arn_part_is(a.region, region))
		sk_pctx_diag(p, n, "%s is a key in '%.*s', but it is used in '%s' (a KMS key belongs to one region)",
			     label, (int)a.region.len, a.region.ptr, region);
	return true;
}

void sk_pctx_want_tags(struct sk_pctx *p, const struct sk_ynode *n, const char *label, bool reserved_forbidden,
		       size_t min, size_t max, struct sk_policy_kv **out, size_t *n_out)
{
	char v[SK_PCTX_SHOW_MAX], w[SK_PCTX_SHOW_MAX], sub[SK_PCTX_SHOW_MAX + 64];
	size_t count, j = 0;

	*out = NULL;
	*n_out = 0;
	if (!sk_pctx_want_map(p, n, label))
		return;
	sk_pctx_check_keys(p, n, label, NULL);
	count = n->n_kids / 2;
	if (count < min) {
		sk_pctx_diag(p, n, "%s must have at least %zu tag", label, min);
		return;
	}
	if (count > max) {
		sk_pctx_diag(p, n, "%s has %zu tags, at most %zu are allowed", label, count, max);
		return;
	}
	*out = sk_pctx_calloc(p, count, sizeof(**out));
	if (!*out)
		return;
	for (size_t i = 0; i < count; i++) {
		const struct sk_ynode *k = n->kids[2 * i], *val = n->kids[2 * i + 1];
		bool ok = true;

		if (k->type != SK_Y_SCALAR)
			continue; /* reported by sk_pctx_check_keys */
		if (k->len == 0 || k->len > MAX_TAG_KEY || sk_pctx_utf8_chars(k->text, k->len) > MAX_TAG_KEY) {
			sk_pctx_diag(p, k, "tag key '%s' in '%s' must be 1..%d characters", SK_PCTX_SHOWN(v, k), label,
				     MAX_TAG_KEY);
			ok = false;
		} else if (has_control(k->text, k->len)) {
			sk_pctx_diag(p, k, "tag key '%s' in '%s' must not contain control characters", SK_PCTX_SHOWN(v, k),
				     label);
			ok = false;
		} else if (reserved_forbidden && sk_policy_keys_match(SK_POLICY_RX_RESERVED_TAG, k->text)) {
			sk_pctx_diag(p, k,
				     "tag key '%s' in '%s' is reserved (keys starting with 'aws:' or 'snapkeep:' are not allowed)",
				     SK_PCTX_SHOWN(v, k), label);
			ok = false;
		}
		snprintf(sub, sizeof(sub), "the value of tag '%s'", SK_PCTX_SHOWN(w, k));
		if (!sk_pctx_want_string(p, val, sub)) {
			ok = false;
		} else if (sk_pctx_utf8_chars(val->text, val->len) > MAX_TAG_VALUE) {
			sk_pctx_diag(p, val, "%s is longer than %d characters", sub, MAX_TAG_VALUE);
			ok = false;
		} else if (has_control(val->text, val->len)) {
			sk_pctx_diag(p, val, "%s must not contain control characters", sub);
			ok = false;
		}
		if (!ok)
			continue;
		(*out)[j].key = sk_pctx_strdup(p, k->text, k->len);
		(*out)[j].value = sk_pctx_strdup(p, val->text, val->len);
		(*out)[j].pos = sk_pctx_pos(p, k);
		j++;
	}
	*n_out = j;
}

void sk_pctx_want_alerts(struct sk_pctx *p, const struct sk_ynode *n, char **sns_topic_arn,
			 struct sk_pos *sns_topic_arn_pos)
{
	const struct sk_ynode *a;

	if (!sk_pctx_want_map(p, n, "alerts"))
		return;
	sk_pctx_check_keys(p, n, "alerts", sk_policy_keys_alerts);
	if ((a = sk_pctx_field(n, "snsTopicArn", NULL))) {
		*sns_topic_arn_pos = sk_pctx_pos(p, a);
		sk_pctx_want_pattern(p, a, "alerts.snsTopicArn", SK_POLICY_RX_SNS, 1024,
				     "an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)", sns_topic_arn);
	}
}
