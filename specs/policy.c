/*
 * policy.c - backup policies: YAML documents to typed structs
 *
 * Every file is read into a tree (yamltree.c) and every document checked
 * against the format in specs/README.md.  Nothing stops at the first
 * problem: each one becomes a diagnostic with its file:line:col, and the
 * parser goes on with the next key.  Checks that need the whole set
 * (unique names, conflicting automated settings, identifier clashes, one
 * Settings document) run after every file was read.
 */
#include "specs/policy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h" /* a leaf (libc only): see policy.h */
#include "common/error.h"
#include "common/timeutil.h"
#include "specs/source.h"
#include "specs/yamltree.h"

#define API_VERSION "snapkeep/v1"
#define MAX_REGIONS 64
#define MAX_INSTANCES 1000
#define MAX_SELECTOR_TAGS 50
#define MAX_SNAPSHOT_TAGS 46 /* AWS's 50 tags per resource, less snapkeep's 4 */
#define MAX_COPIES 16
#define MAX_RETAIN 10000
#define MAX_NAME 63
#define MAX_TAG_KEY 128
#define MAX_TAG_VALUE 256
#define MAX_KMS 2048
#define DEFAULT_QUOTA 100
#define DEFAULT_CONCURRENCY 4

/* ---- the tables: keys per place and the patterns values must match ---- */

static const char *const top_keys[] = { "apiVersion", "kind", "metadata", "spec", NULL };
static const char *const metadata_keys[] = { "name", NULL };
static const char *const spec_keys[] = { "regions", "selector", "automated", "snapshots", "alerts", NULL };
static const char *const selector_keys[] = { "instances", "tags", NULL };
static const char *const automated_keys[] = { "retentionDays",	    "window",		"copyTagsToSnapshot",
					      "deletionProtection", "applyImmediately", "replicate",
					      NULL };
static const char *const replicate_keys[] = { "region", "retentionDays", "kmsKeyId", NULL };
static const char *const snapshots_keys[] = { "schedule", "prefix", "tags", "retain", "minAvailable",
					      "maxDeletionsPerRun", "copies", NULL };
static const char *const retain_keys[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly", "within", NULL };
static const char *const copy_keys[] = { "region", "kmsKeyId", "retain", NULL };
static const char *const alerts_keys[] = { "snsTopicArn", NULL };
static const char *const settings_keys[] = { "snapshotQuota", "pricePerGBMonth", "concurrency", NULL };

static const struct sk_policy_keyset keysets[] = {
	{ "document", top_keys },
	{ "metadata", metadata_keys },
	{ "spec", spec_keys },
	{ "spec.selector", selector_keys },
	{ "spec.automated", automated_keys },
	{ "spec.automated.replicate", replicate_keys },
	{ "spec.snapshots", snapshots_keys },
	{ "spec.snapshots.retain", retain_keys },
	{ "spec.snapshots.copies[]", copy_keys },
	{ "spec.snapshots.copies[].retain", retain_keys },
	{ "alerts", alerts_keys },
	{ "settings.spec", settings_keys },
	{ NULL, NULL },
};

/* the names used in messages for the places above (the last segment) */
static const struct {
	const char *where;
	const char *const *keys;
} hint_places[] = {
	{ "metadata", metadata_keys },	 { "spec", spec_keys },	    { "selector", selector_keys },
	{ "automated", automated_keys }, { "replicate", replicate_keys }, { "snapshots", snapshots_keys },
	{ "retain", retain_keys },	 { "copies[]", copy_keys }, { "alerts", alerts_keys },
	{ "the top level", top_keys },
};

enum {
	RX_NAME = 0,
	RX_REGION,
	RX_INSTANCE,
	RX_PREFIX,
	RX_KMS,
	RX_SNS,
	RX_WINDOW,
	RX_WITHIN,
	RX_RESERVED_TAG,
	RX_COUNT,
};

static const struct sk_policy_pattern patterns[] = {
	[RX_NAME] = { "name", "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
	[RX_REGION] = { "region", "^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$" },
	[RX_INSTANCE] = { "instance", "^[a-z](-?[a-z0-9])*$" },
	[RX_PREFIX] = { "prefix", "^[a-z](-?[a-z0-9])*$" },
	[RX_KMS] = { "kmsKeyId",
		     "^(alias/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+|"
		     "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$" },
	[RX_SNS] = { "snsTopicArn", "^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$" },
	[RX_WINDOW] = { "window", "^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$" },
	[RX_WITHIN] = { "within", "^([0-9]{1,5}y)?([0-9]{1,5}m)?([0-9]{1,5}d)?([0-9]{1,5}h)?$" },
	[RX_RESERVED_TAG] = { "reservedTagKey", "^([aA][wW][sS]|[sS][nN][aA][pP][kK][eE][eE][pP]):" },
	[RX_COUNT] = { NULL, NULL },
};

static regex_t compiled[RX_COUNT];
static bool compiled_ok;
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void compile_patterns(void)
{
	for (int i = 0; i < RX_COUNT; i++) {
		if (regcomp(&compiled[i], patterns[i].regex, REG_EXTENDED | REG_NOSUB) != 0) {
			while (i-- > 0)
				regfree(&compiled[i]);
			return;
		}
	}
	compiled_ok = true;
}

static bool matches(int rx, const char *s)
{
	pthread_once(&compile_once, compile_patterns);
	return compiled_ok && regexec(&compiled[rx], s, 0, NULL, 0) == 0;
}

const struct sk_policy_keyset *sk_policy_keysets(void)
{
	return keysets;
}

const struct sk_policy_pattern *sk_policy_patterns(void)
{
	return patterns;
}

/* ---- the parser's state and diagnostics ---- */

struct pctx {
	struct sk_policyset *set;
	struct sk_buf diags;    /* struct sk_policy_diag */
	struct sk_buf policies; /* struct sk_policy */
	struct sk_buf quotas;   /* struct sk_settings_quota */
	const char *file;       /* in the set's arena */
	const char *data;
	size_t len;
	char who[160]; /* "policy 'prod': " or "" */
	bool oom;
};

static void add_diag(struct pctx *p, const char *file, int line, int col, const char *msg)
{
	struct sk_policy_diag d;

	d.pos.file = file;
	d.pos.line = line;
	d.pos.col = col;
	d.message = (char *)sk_arena_strdup(&p->set->arena, msg);
	if (!d.message || sk_buf_add(&p->diags, &d, sizeof(d)) < 0)
		p->oom = true;
}

static void vdiag_at(struct pctx *p, const char *file, int line, int col, bool who, const char *fmt, va_list ap)
{
	struct sk_buf msg = SK_BUF_INIT;

	if (who && sk_buf_adds(&msg, p->who) < 0)
		p->oom = true;
	if (sk_buf_vprintf(&msg, fmt, ap) < 0)
		p->oom = true;
	add_diag(p, file, line, col, sk_buf_cstr(&msg));
	sk_buf_free(&msg);
}

/* a problem at a node of the current file, with the "policy 'x': " prefix */
static void diag(struct pctx *p, const struct sk_ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void diag(struct pctx *p, const struct sk_ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag_at(p, p->file, at ? at->line : 1, at ? at->col : 1, true, fmt, ap);
	va_end(ap);
}

/* a problem at a position, no prefix */
static void diag_pos(struct pctx *p, const struct sk_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void diag_pos(struct pctx *p, const struct sk_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag_at(p, pos->file, pos->line, pos->col, false, fmt, ap);
	va_end(ap);
}

static struct sk_pos pos_of(const struct pctx *p, const struct sk_ynode *n)
{
	struct sk_pos pos = { p->file, n ? n->line : 1, n ? n->col : 1 };

	return pos;
}

/* a value as messages quote it: at most 60 bytes, control characters escaped */
#define SHOW_MAX 96
static const char *show(char out[SHOW_MAX], const char *s, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < len && o + 8 < SHOW_MAX; i++) {
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
			o += (size_t)snprintf(out + o, SHOW_MAX - o, "\\x%02x", c);
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

#define SHOWN(buf, n) show(buf, (n)->text, (n)->len)

/* "string 'thirty'", "integer 40", "a mapping", ... */
static const char *describe(char out[SHOW_MAX + 32], const struct sk_ynode *n)
{
	char v[SHOW_MAX];

	switch (n->kind) {
	case SK_YK_STRING:
		snprintf(out, SHOW_MAX + 32, "string '%s'", SHOWN(v, n));
		break;
	case SK_YK_INT:
		snprintf(out, SHOW_MAX + 32, "integer %s", SHOWN(v, n));
		break;
	case SK_YK_FLOAT:
		snprintf(out, SHOW_MAX + 32, "number %s", SHOWN(v, n));
		break;
	case SK_YK_BADINT:
		snprintf(out, SHOW_MAX + 32, "'%s' (only decimal integers are allowed)", SHOWN(v, n));
		break;
	case SK_YK_BOOL:
		snprintf(out, SHOW_MAX + 32, "boolean %s", SHOWN(v, n));
		break;
	case SK_YK_NULL:
		snprintf(out, SHOW_MAX + 32, "null");
		break;
	case SK_YK_MAP:
		snprintf(out, SHOW_MAX + 32, "a mapping");
		break;
	case SK_YK_SEQ:
		snprintf(out, SHOW_MAX + 32, "a sequence");
		break;
	case SK_YK_INVALID:
		snprintf(out, SHOW_MAX + 32, "an alias");
		break;
	}
	return out;
}

static char *adup(struct pctx *p, const char *s, size_t len)
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

static void *acalloc(struct pctx *p, size_t n, size_t size)
{
	void *d;

	if (n == 0)
		return NULL;
	d = sk_arena_calloc(&p->set->arena, n, size);
	if (!d)
		p->oom = true;
	return d;
}

/* ---- did you mean ---- */

/* optimal string alignment distance, case-insensitive, capped */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[3][65];
	size_t *prev2 = d[0], *prev = d[1], *cur = d[2];

	if (la > 64 || lb > 64)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		size_t *t;

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t v = prev[j] + 1;

			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

/* the nearest candidate, or NULL when none is near enough */
static const char *nearest(const char *key, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = 99;

	for (size_t i = 0; candidates[i]; i++) {
		size_t dist = edit_distance(key, candidates[i]);
		size_t limit = strlen(candidates[i]) / 3;

		if (limit < 2)
			limit = 2;
		if (dist <= limit && dist < best_d) {
			best = candidates[i];
			best_d = dist;
		}
	}
	return best;
}

static void unknown_key(struct pctx *p, const struct sk_ynode *k, const char *where, const char *const *allowed)
{
	char v[SHOW_MAX], in[80];
	const char *near = nearest(k->text, allowed);

	if (where)
		snprintf(in, sizeof(in), "in '%s'", where);
	else
		snprintf(in, sizeof(in), "at the top level");
	if (near) {
		diag(p, k, "unknown key '%s' %s (did you mean '%s'?)", SHOWN(v, k), in, near);
		return;
	}
	/* a key of another place? */
	for (size_t i = 0; i < sizeof(hint_places) / sizeof(hint_places[0]); i++) {
		if (hint_places[i].keys == allowed)
			continue;
		for (size_t j = 0; hint_places[i].keys[j]; j++) {
			if (!strcmp(hint_places[i].keys[j], k->text)) {
				diag(p, k, "unknown key '%s' %s ('%s' belongs in '%s')", SHOWN(v, k), in, k->text,
				     hint_places[i].where);
				return;
			}
		}
	}
	{
		struct sk_buf list = SK_BUF_INIT;

		for (size_t i = 0; allowed[i]; i++)
			sk_buf_printf(&list, "%s%s", i ? ", " : "", allowed[i]);
		diag(p, k, "unknown key '%s' %s (expected one of: %s)", SHOWN(v, k), in, sk_buf_cstr(&list));
		sk_buf_free(&list);
	}
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

/*
 * Keys of a mapping: scalars, none twice, each one allowed (allowed NULL:
 * any key).  where names the mapping in messages (NULL: the top level).
 */
static void check_keys(struct pctx *p, const struct sk_ynode *map, const char *where, const char *const *allowed)
{
	size_t n = map->n_kids / 2, m = 0, i;
	struct keyref *refs;
	char v[SHOW_MAX], d[SHOW_MAX + 32];

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
			diag(p, k, "a key in '%s' must be a string, got %s", where ? where : "the document",
			     describe(d, k));
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
		diag(p, b, "duplicate key '%s' in '%s' (first at %s:%d:%d)", SHOWN(v, b), where ? where : "the document",
		     p->file, a->line, a->col);
	}
	free(refs);
}

/* ---- typed values ---- */

static bool is_alias(const struct sk_ynode *n)
{
	return n->type == SK_Y_INVALID; /* reported when read */
}

static bool want_map(struct pctx *p, const struct sk_ynode *n, const char *label)
{
	char d[SHOW_MAX + 32];

	if (n->type == SK_Y_MAP)
		return true;
	if (!is_alias(n))
		diag(p, n, "%s must be a mapping, got %s", label, describe(d, n));
	return false;
}

static bool want_seq(struct pctx *p, const struct sk_ynode *n, const char *label)
{
	char d[SHOW_MAX + 32];

	if (n->type == SK_Y_SEQ)
		return true;
	if (!is_alias(n))
		diag(p, n, "%s must be a list, got %s", label, describe(d, n));
	return false;
}

static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* a string value; a plain 30, true or null is not one */
static bool want_string(struct pctx *p, const struct sk_ynode *n, const char *label)
{
	char d[SHOW_MAX + 32], v[SHOW_MAX];

	if (is_alias(n))
		return false;
	if (n->type == SK_Y_SCALAR && n->kind == SK_YK_STRING) {
		if (memchr(n->text, '\0', n->len)) {
			diag(p, n, "%s must not contain a NUL character", label);
			return false;
		}
		return true;
	}
	if (n->type == SK_Y_SCALAR && n->kind != SK_YK_NULL)
		diag(p, n, "%s must be a string, got %s (quote it: \"%s\")", label, describe(d, n), SHOWN(v, n));
	else
		diag(p, n, "%s must be a string, got %s", label, describe(d, n));
	return false;
}

static bool want_int(struct pctx *p, const struct sk_ynode *n, const char *label, long long min, long long max,
		     const char *range_text, int *out)
{
	char d[SHOW_MAX + 32], v[SHOW_MAX];
	long long val;
	char *end;

	if (is_alias(n))
		return false;
	if (n->type != SK_Y_SCALAR || n->kind != SK_YK_INT) {
		if (n->kind == SK_YK_BADINT)
			diag(p, n, "%s must be a decimal integer, got '%s'", label, SHOWN(v, n));
		else
			diag(p, n, "%s must be an integer, got %s", label, describe(d, n));
		return false;
	}
	errno = 0;
	val = strtoll(n->text, &end, 10);
	if (errno == ERANGE || val < min || val > max) {
		if (range_text)
			diag(p, n, "%s must be %s, got %s", label, range_text, SHOWN(v, n));
		else
			diag(p, n, "%s must be %lld..%lld, got %s", label, min, max, SHOWN(v, n));
		return false;
	}
	*out = (int)val;
	return true;
}

static bool want_bool(struct pctx *p, const struct sk_ynode *n, const char *label, bool *out)
{
	static const char *const yaml11[] = { "yes", "no", "on", "off", "y", "n", NULL };
	char d[SHOW_MAX + 32];

	if (is_alias(n))
		return false;
	if (n->type == SK_Y_SCALAR && n->kind == SK_YK_BOOL) {
		*out = n->text[0] == 't' || n->text[0] == 'T';
		return true;
	}
	if (n->type == SK_Y_SCALAR && !n->quoted) {
		for (size_t i = 0; yaml11[i]; i++) {
			if (!strcasecmp(n->text, yaml11[i])) {
				diag(p, n, "%s must be true or false, got %s (yes/no/on/off are strings here)", label,
				     describe(d, n));
				return false;
			}
		}
	}
	diag(p, n, "%s must be true or false, got %s", label, describe(d, n));
	return false;
}

/* a string matching a pattern and a length; the copy in *out */
static bool want_pattern(struct pctx *p, const struct sk_ynode *n, const char *label, int rx, size_t max_len,
			 const char *expected, char **out)
{
	char v[SHOW_MAX];

	if (!want_string(p, n, label))
		return false;
	if (n->len == 0 || n->len > max_len || !matches(rx, n->text)) {
		if (n->len > max_len)
			diag(p, n, "%s '%s' is longer than %zu characters", label, SHOWN(v, n), max_len);
		else
			diag(p, n, "%s '%s' must be %s", label, SHOWN(v, n), expected);
		return false;
	}
	*out = adup(p, n->text, n->len);
	return *out != NULL;
}

#define REGION_EXPECTED "an AWS region name such as us-east-1"

/* a mapping value and its key, by name */
static const struct sk_ynode *field(const struct sk_ynode *map, const char *key, const struct sk_ynode **k)
{
	if (k)
		*k = sk_ymap_key(map, key);
	return sk_ymap_get(map, key);
}

/* ---- spec parts ---- */

static bool within_ok(struct pctx *p, const struct sk_ynode *n, const char *label, struct sk_duration *out)
{
	char v[SHOW_MAX];

	if (!want_string(p, n, label))
		return false;
	if (sk_duration_parse(out, n->text) < 0) {
		diag(p, n, "%s must be a duration such as 30d, 1y2m or 2d12h (y, m, d, h in that order), got '%s'", label,
		     SHOWN(v, n));
		return false;
	}
	if (!out->years && !out->months && !out->days && !out->hours) {
		diag(p, n, "%s '%s' must be longer than zero", label, SHOWN(v, n));
		return false;
	}
	return true;
}

/* retain: {last, hourly, daily, weekly, monthly, yearly, within}; true when any rule is set */
static bool parse_retain(struct pctx *p, const struct sk_ynode *n, const char *label, struct sk_retain *out)
{
	static const char *const names[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly" };
	int *slots[] = { &out->last, &out->hourly, &out->daily, &out->weekly, &out->monthly, &out->yearly };
	const struct sk_ynode *v;
	char sub[96];
	bool any = false;

	*out = (struct sk_retain)SK_RETAIN_INIT;
	if (!want_map(p, n, label))
		return false;
	check_keys(p, n, label, retain_keys);
	for (size_t i = 0; i < 6; i++) {
		if (!(v = field(n, names[i], NULL)))
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", label, names[i]);
		if (want_int(p, v, sub, -1, MAX_RETAIN, "-1 (unlimited) or 0..10000", slots[i]) && *slots[i] != 0)
			any = true;
	}
	if ((v = field(n, "within", NULL))) {
		snprintf(sub, sizeof(sub), "%s.within", label);
		if (within_ok(p, v, sub, &out->within)) {
			out->has_within = true;
			any = true;
		}
	}
	return any;
}

/* a mapping of tags (string: string) */
static void parse_tags(struct pctx *p, const struct sk_ynode *n, const char *label, bool reserved_forbidden,
		       size_t min, size_t max, struct sk_policy_kv **out, size_t *n_out)
{
	char v[SHOW_MAX], w[SHOW_MAX], sub[SHOW_MAX + 64];
	size_t count, j = 0;

	*out = NULL;
	*n_out = 0;
	if (!want_map(p, n, label))
		return;
	check_keys(p, n, label, NULL);
	count = n->n_kids / 2;
	if (count < min) {
		diag(p, n, "%s must have at least %zu tag", label, min);
		return;
	}
	if (count > max) {
		diag(p, n, "%s has %zu tags, at most %zu are allowed", label, count, max);
		return;
	}
	*out = acalloc(p, count, sizeof(**out));
	if (!*out)
		return;
	for (size_t i = 0; i < count; i++) {
		const struct sk_ynode *k = n->kids[2 * i], *val = n->kids[2 * i + 1];
		bool ok = true;

		if (k->type != SK_Y_SCALAR)
			continue; /* reported by check_keys */
		if (k->len == 0 || k->len > MAX_TAG_KEY || utf8_chars(k->text, k->len) > MAX_TAG_KEY) {
			diag(p, k, "tag key '%s' in '%s' must be 1..%d characters", SHOWN(v, k), label, MAX_TAG_KEY);
			ok = false;
		} else if (has_control(k->text, k->len)) {
			diag(p, k, "tag key '%s' in '%s' must not contain control characters", SHOWN(v, k), label);
			ok = false;
		} else if (reserved_forbidden && matches(RX_RESERVED_TAG, k->text)) {
			diag(p, k, "tag key '%s' in '%s' is reserved (keys starting with 'aws:' or 'snapkeep:' are not allowed)",
			     SHOWN(v, k), label);
			ok = false;
		}
		snprintf(sub, sizeof(sub), "the value of tag '%s'", SHOWN(w, k));
		if (!want_string(p, val, sub)) {
			ok = false;
		} else if (utf8_chars(val->text, val->len) > MAX_TAG_VALUE) {
			diag(p, val, "%s is longer than %d characters", sub, MAX_TAG_VALUE);
			ok = false;
		} else if (has_control(val->text, val->len)) {
			diag(p, val, "%s must not contain control characters", sub);
			ok = false;
		}
		if (!ok)
			continue;
		(*out)[j].key = adup(p, k->text, k->len);
		(*out)[j].value = adup(p, val->text, val->len);
		(*out)[j].pos = pos_of(p, k);
		j++;
	}
	*n_out = j;
}

/* a list of unique names matching a pattern */
static void parse_names(struct pctx *p, const struct sk_ynode *n, const char *label, int rx, size_t max_len,
			const char *expected, size_t max_items, struct sk_policy_name **out, size_t *n_out)
{
	char sub[96], v[SHOW_MAX];
	size_t j = 0;

	*out = NULL;
	*n_out = 0;
	if (!want_seq(p, n, label))
		return;
	if (n->n_kids == 0) {
		diag(p, n, "%s must not be empty", label);
		return;
	}
	if (n->n_kids > max_items) {
		diag(p, n, "%s has %zu items, at most %zu are allowed", label, n->n_kids, max_items);
		return;
	}
	*out = acalloc(p, n->n_kids, sizeof(**out));
	if (!*out)
		return;
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct sk_ynode *it = n->kids[i];
		char *s;
		bool dup = false;

		snprintf(sub, sizeof(sub), "%s[%zu]", label, i);
		if (!want_pattern(p, it, sub, rx, max_len, expected, &s))
			continue;
		for (size_t k = 0; k < j && !dup; k++) {
			if (!strcmp((*out)[k].name, s)) {
				diag(p, it, "%s '%s' is listed twice (first at %s:%d:%d)", sub, SHOWN(v, it),
				     (*out)[k].pos.file, (*out)[k].pos.line, (*out)[k].pos.col);
				dup = true;
			}
		}
		if (dup)
			continue;
		(*out)[j].name = s;
		(*out)[j].pos = pos_of(p, it);
		j++;
	}
	*n_out = j;
}

static bool in_regions(const struct sk_policy *pol, const char *region)
{
	for (size_t i = 0; i < pol->n_regions; i++)
		if (!strcmp(pol->regions[i].name, region))
			return true;
	return false;
}

/* a KMS key given as an ARN must live in the region it is used in */
static void check_kms_region(struct pctx *p, const struct sk_ynode *n, const char *label, const char *kms,
			     const char *region)
{
	struct sk_arn a;

	if (!region || sk_arn_parse(&a, kms) < 0 || !sk_arn_part_is(a.service, "kms") || a.region.len >= 64)
		return;
	if (!sk_arn_part_is(a.region, region))
		diag(p, n, "%s is a key in '%.*s', but it is used in '%s' (a KMS key belongs to one region)", label,
		     (int)a.region.len, a.region.ptr, region);
}

#define KMS_EXPECTED "a KMS key id, alias (alias/name) or ARN"

static void parse_automated(struct pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			    struct sk_policy *pol)
{
	const struct sk_ynode *v, *k;
	bool b;
	char w[SHOW_MAX];

	pol->automated_pos = pos_of(p, key);
	if (!want_map(p, n, "automated"))
		return;
	check_keys(p, n, "automated", automated_keys);
	if ((v = field(n, "retentionDays", NULL))) {
		pol->retention_pos = pos_of(p, v);
		if (!want_int(p, v, "retentionDays", 0, 35, NULL, &pol->retention_days))
			pol->retention_days = -1;
	}
	if ((v = field(n, "window", NULL)) && want_string(p, v, "window")) {
		int start, end;

		pol->window_pos = pos_of(p, v);
		if (sk_window_parse(v->text, &start, &end) < 0)
			diag(p, v, "%s", sk_error_message());
		else
			pol->window = adup(p, v->text, v->len);
	}
	if ((v = field(n, "copyTagsToSnapshot", NULL)) && want_bool(p, v, "copyTagsToSnapshot", &b)) {
		pol->copy_tags = b;
		pol->copy_tags_pos = pos_of(p, v);
	}
	if ((v = field(n, "deletionProtection", NULL)) && want_bool(p, v, "deletionProtection", &b)) {
		pol->deletion_protection = b;
		pol->deletion_protection_pos = pos_of(p, v);
	}
	if ((v = field(n, "applyImmediately", NULL)) && want_bool(p, v, "applyImmediately", &b))
		pol->apply_immediately = b;
	if ((v = field(n, "replicate", &k))) {
		char d[SHOW_MAX + 32];

		pol->replicate.pos = pos_of(p, v);
		if (v->type == SK_Y_SCALAR && (v->kind == SK_YK_NULL || (v->kind == SK_YK_BOOL &&
									 (v->text[0] == 'f' || v->text[0] == 'F')))) {
			pol->replicate_mode = SK_REPLICATE_OFF;
		} else if (v->type == SK_Y_MAP) {
			const struct sk_ynode *r;
			bool ok = true;

			check_keys(p, v, "replicate", replicate_keys);
			if (!(r = field(v, "region", NULL))) {
				diag(p, k, "missing 'region' in 'replicate'");
				ok = false;
			} else if (!want_pattern(p, r, "replicate.region", RX_REGION, 32, REGION_EXPECTED,
						 &pol->replicate.region)) {
				ok = false;
			} else if (in_regions(pol, pol->replicate.region)) {
				diag(p, r,
				     "replicate.region '%s' is one of the policy's regions; backups must be replicated to another region",
				     SHOWN(w, r));
				ok = false;
			}
			if ((r = field(v, "retentionDays", NULL)) &&
			    !want_int(p, r, "replicate.retentionDays", 1, 35, NULL, &pol->replicate.retention_days))
				ok = false;
			if ((r = field(v, "kmsKeyId", NULL))) {
				if (!want_pattern(p, r, "replicate.kmsKeyId", RX_KMS, MAX_KMS, KMS_EXPECTED,
						  &pol->replicate.kms_key_id))
					ok = false;
				else
					check_kms_region(p, r, "replicate.kmsKeyId", pol->replicate.kms_key_id,
							 pol->replicate.region);
			}
			if (ok)
				pol->replicate_mode = SK_REPLICATE_ON;
		} else if (!is_alias(v)) {
			diag(p, v, "replicate must be a mapping with a region, or false to stop replicating, got %s",
			     describe(d, v));
		}
		if (pol->replicate_mode == SK_REPLICATE_ON && pol->retention_days == 0)
			diag(p, v, "replicate needs automated backups, but retentionDays is 0");
	}
	pol->has_automated = pol->retention_days >= 0 || pol->window || pol->copy_tags >= 0 ||
			     pol->deletion_protection >= 0 || pol->apply_immediately ||
			     pol->replicate_mode != SK_REPLICATE_UNSET;
}

static void parse_copies(struct pctx *p, const struct sk_ynode *n, struct sk_policy *pol)
{
	char label[64], sub[96], v[SHOW_MAX];
	size_t j = 0;

	if (!want_seq(p, n, "copies"))
		return;
	if (n->n_kids > MAX_COPIES) {
		diag(p, n, "copies has %zu items, at most %d are allowed", n->n_kids, MAX_COPIES);
		return;
	}
	pol->copies = acalloc(p, n->n_kids, sizeof(*pol->copies));
	if (!pol->copies)
		return;
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct sk_ynode *c = n->kids[i], *r;
		struct sk_policy_copy *cp = &pol->copies[j];
		bool ok = true;

		snprintf(label, sizeof(label), "copies[%zu]", i);
		if (!want_map(p, c, label))
			continue;
		check_keys(p, c, label, copy_keys);
		cp->pos = pos_of(p, c);
		cp->retain = (struct sk_retain)SK_RETAIN_INIT;
		snprintf(sub, sizeof(sub), "%s.region", label);
		if (!(r = field(c, "region", NULL))) {
			diag(p, c, "missing 'region' in '%s'", label);
			ok = false;
		} else if (!want_pattern(p, r, sub, RX_REGION, 32, REGION_EXPECTED, &cp->region)) {
			ok = false;
		} else if (in_regions(pol, cp->region)) {
			diag(p, r, "%s '%s' is one of the policy's regions; a copy must go to another region", sub,
			     SHOWN(v, r));
			ok = false;
		} else {
			for (size_t k = 0; k < j; k++) {
				if (!strcmp(pol->copies[k].region, cp->region)) {
					diag(p, r, "%s '%s' is listed twice (first at %s:%d:%d)", sub, SHOWN(v, r),
					     pol->copies[k].pos.file, pol->copies[k].pos.line, pol->copies[k].pos.col);
					ok = false;
					break;
				}
			}
		}
		if ((r = field(c, "kmsKeyId", NULL))) {
			snprintf(sub, sizeof(sub), "%s.kmsKeyId", label);
			if (!want_pattern(p, r, sub, RX_KMS, MAX_KMS, KMS_EXPECTED, &cp->kms_key_id))
				ok = false;
			else
				check_kms_region(p, r, sub, cp->kms_key_id, cp->region);
		}
		if ((r = field(c, "retain", NULL))) {
			snprintf(sub, sizeof(sub), "%s.retain", label);
			cp->has_retain = parse_retain(p, r, sub, &cp->retain);
		}
		if (ok)
			j++;
		else
			memset(cp, 0, sizeof(*cp));
	}
	pol->n_copies = j;
}

/* the column in the file of offset off of a one-line scalar's text, when it can be told */
static int column_in_value(const struct pctx *p, const struct sk_ynode *n, size_t off)
{
	size_t at, q;

	if (n->multiline || off > n->len)
		return n->col;
	at = sk_yaml_offset(p->data, p->len, n->line, n->col);
	q = n->quoted ? 1 : 0;
	if (at + q + off > p->len || memcmp(p->data + at + q, n->text, off) != 0)
		return n->col;
	return n->col + (int)q + (int)utf8_chars(n->text, off);
}

static void parse_snapshots(struct pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			    struct sk_policy *pol)
{
	const struct sk_ynode *v;
	char w[SHOW_MAX];

	pol->snapshots_pos = pos_of(p, key);
	pol->prefix_pos = pol->snapshots_pos;
	if (!want_map(p, n, "snapshots"))
		return;
	if (n->n_kids == 0)
		return; /* {}: not managed yet */
	check_keys(p, n, "snapshots", snapshots_keys);
	pol->has_snapshots = true;
	if (!(v = field(n, "schedule", NULL))) {
		diag(p, key, "missing 'schedule' in 'snapshots' (a cron schedule such as \"30 3 * * *\" or @daily)");
	} else if (want_string(p, v, "schedule")) {
		size_t col = 0;

		pol->schedule_pos = pos_of(p, v);
		if (sk_cron_parse(&pol->schedule, v->text, &col) < 0) {
			struct sk_buf msg = SK_BUF_INIT;

			sk_buf_printf(&msg, "%sschedule '%s': %s", p->who, SHOWN(w, v), sk_error_message());
			add_diag(p, p->file, v->line, column_in_value(p, v, col), sk_buf_cstr(&msg));
			sk_buf_free(&msg);
		} else if (sk_cron_next(&pol->schedule, 0) < 0) {
			diag(p, v, "schedule '%s' never fires (no month has that day)", SHOWN(w, v));
			pol->schedule.valid = false;
		} else {
			pol->schedule_text = adup(p, v->text, v->len);
		}
	}
	if ((v = field(n, "prefix", NULL))) {
		char *s;

		if (want_pattern(p, v, "prefix", RX_PREFIX, MAX_NAME, "lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen",
				 &s)) {
			pol->prefix = s;
			pol->prefix_pos = pos_of(p, v);
		}
	}
	if ((v = field(n, "tags", NULL)))
		parse_tags(p, v, "snapshots.tags", true, 0, MAX_SNAPSHOT_TAGS, &pol->tags, &pol->n_tags);
	if ((v = field(n, "retain", NULL)))
		pol->has_retain = parse_retain(p, v, "retain", &pol->retain);
	if ((v = field(n, "minAvailable", NULL)) && !want_int(p, v, "minAvailable", 1, 1000, NULL, &pol->min_available))
		pol->min_available = 1;
	if ((v = field(n, "maxDeletionsPerRun", NULL)) &&
	    !want_int(p, v, "maxDeletionsPerRun", 0, 10000, NULL, &pol->max_deletions_per_run))
		pol->max_deletions_per_run = 50;
	if ((v = field(n, "copies", NULL)))
		parse_copies(p, v, pol);
}

static void policy_defaults(struct sk_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->retention_days = -1;
	pol->copy_tags = -1;
	pol->deletion_protection = -1;
	pol->retain = (struct sk_retain)SK_RETAIN_INIT;
	pol->min_available = 1;
	pol->max_deletions_per_run = 50;
	pol->prefix = "snapkeep"; /* replaced by an arena copy below */
}

static void parse_policy(struct pctx *p, const struct sk_ynode *root, const struct sk_ynode *spec_key,
			 const struct sk_ynode *spec, char *name, const struct sk_ynode *name_node)
{
	struct sk_policy pol;
	const struct sk_ynode *v, *k;

	policy_defaults(&pol);
	pol.prefix = adup(p, "snapkeep", 8);
	pol.name = name;
	pol.pos = pos_of(p, root);
	pol.name_pos = name_node ? pos_of(p, name_node) : pol.pos;
	if (!spec) {
		diag(p, root, "missing 'spec' (regions, selector and what to manage)");
		goto add;
	}
	if (!want_map(p, spec, "spec"))
		goto add;
	check_keys(p, spec, "spec", spec_keys);

	if (!(v = field(spec, "regions", NULL)))
		diag(p, spec_key, "missing 'regions' in 'spec' (for example regions: [us-east-1])");
	else
		parse_names(p, v, "regions", RX_REGION, 32, REGION_EXPECTED, MAX_REGIONS, &pol.regions, &pol.n_regions);

	if (!(v = field(spec, "selector", &k))) {
		diag(p, spec_key, "missing 'selector' in 'spec' (selector: {instances: [...]} or {tags: {...}})");
	} else if (want_map(p, v, "selector")) {
		const struct sk_ynode *inst, *tags, *tk;

		pol.selector_pos = pos_of(p, k);
		check_keys(p, v, "selector", selector_keys);
		inst = field(v, "instances", NULL);
		tags = field(v, "tags", &tk);
		if (inst && tags)
			diag(p, tk, "selector must have either 'instances' or 'tags', not both");
		else if (!inst && !tags)
			diag(p, k, "selector needs 'instances' (a list of DB instance identifiers) or 'tags' (a mapping)");
		if (inst)
			parse_names(p, inst, "selector.instances", RX_INSTANCE, MAX_NAME,
				    "a DB instance identifier: lowercase letters, digits and single hyphens, starting with a letter",
				    MAX_INSTANCES, &pol.instances, &pol.n_instances);
		if (tags)
			parse_tags(p, tags, "selector.tags", false, 1, MAX_SELECTOR_TAGS, &pol.selector_tags,
				   &pol.n_selector_tags);
	}

	if ((v = field(spec, "automated", &k)))
		parse_automated(p, k, v, &pol);
	if ((v = field(spec, "snapshots", &k)))
		parse_snapshots(p, k, v, &pol);
	if ((v = field(spec, "alerts", &k)) && want_map(p, v, "alerts")) {
		const struct sk_ynode *a;

		check_keys(p, v, "alerts", alerts_keys);
		if ((a = field(v, "snsTopicArn", NULL))) {
			pol.sns_topic_arn_pos = pos_of(p, a);
			want_pattern(p, a, "alerts.snsTopicArn", RX_SNS, 1024,
				     "an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)", &pol.sns_topic_arn);
		}
	}
add:
	if (sk_buf_add(&p->policies, &pol, sizeof(pol)) < 0)
		p->oom = true;
}

static void parse_settings(struct pctx *p, const struct sk_ynode *root, const struct sk_ynode *spec_key,
			   const struct sk_ynode *spec)
{
	struct sk_settings *s = &p->set->settings;
	const struct sk_ynode *v;
	char d[SHOW_MAX + 32], w[SHOW_MAX];

	if (s->present) {
		diag(p, root, "a second Settings document (the first is at %s:%d:%d); at most one is allowed",
		     s->pos.file, s->pos.line, s->pos.col);
		return;
	}
	s->present = true;
	s->pos = pos_of(p, root);
	if (!spec)
		return;
	if (spec->type == SK_Y_SCALAR && spec->kind == SK_YK_NULL)
		return;
	if (!want_map(p, spec, "spec"))
		return;
	(void)spec_key;
	check_keys(p, spec, "spec", settings_keys);
	if ((v = field(spec, "snapshotQuota", NULL))) {
		if (v->type == SK_Y_MAP) {
			check_keys(p, v, "snapshotQuota", NULL);
			if (v->n_kids == 0)
				diag(p, v, "snapshotQuota must not be an empty mapping");
			for (size_t i = 0; i + 1 < v->n_kids; i += 2) {
				const struct sk_ynode *k = v->kids[i], *q = v->kids[i + 1];
				struct sk_settings_quota sq = { NULL, 0, pos_of(p, k) };
				char label[SHOW_MAX + 32];

				if (k->type != SK_Y_SCALAR)
					continue;
				if (!(k->len == 7 && !memcmp(k->text, "default", 7)) &&
				    (k->len > 32 || memchr(k->text, '\0', k->len) || !matches(RX_REGION, k->text))) {
					diag(p, k, "snapshotQuota key '%s' must be 'default' or " REGION_EXPECTED,
					     SHOWN(w, k));
					continue;
				}
				snprintf(label, sizeof(label), "snapshotQuota.%s", SHOWN(w, k));
				if (!want_int(p, q, label, 1, 100000, NULL, &sq.quota))
					continue;
				if (strcmp(k->text, "default") != 0)
					sq.region = adup(p, k->text, k->len);
				else
					s->snapshot_quota = sq.quota;
				if (sk_buf_add(&p->quotas, &sq, sizeof(sq)) < 0)
					p->oom = true;
			}
		} else if (v->type == SK_Y_SCALAR && v->kind == SK_YK_INT) {
			want_int(p, v, "snapshotQuota", 1, 100000, NULL, &s->snapshot_quota);
		} else if (!is_alias(v)) {
			diag(p, v, "snapshotQuota must be an integer or a mapping of region to integer, got %s",
			     describe(d, v));
		}
	}
	if ((v = field(spec, "pricePerGBMonth", NULL))) {
		if (v->type == SK_Y_SCALAR && (v->kind == SK_YK_INT || v->kind == SK_YK_FLOAT)) {
			/* YAML's .inf and .nan are not C's: anything with an n in it is one of them */
			bool special = strpbrk(v->text, "nN") != NULL;
			double x = special ? NAN : strtod(v->text, NULL);

			if (!isfinite(x) || x < 0 || x > 1000)
				diag(p, v, "pricePerGBMonth must be 0..1000 (USD per GB-month), got %s", SHOWN(w, v));
			else
				s->price_per_gb_month = x;
		} else if (!is_alias(v)) {
			diag(p, v, "pricePerGBMonth must be a number, got %s", describe(d, v));
		}
	}
	if ((v = field(spec, "concurrency", NULL)))
		want_int(p, v, "concurrency", 1, 64, NULL, &s->concurrency);
}

static void parse_document(struct pctx *p, const struct sk_ynode *root)
{
	const struct sk_ynode *v, *meta, *spec, *spec_key, *name_node = NULL;
	char d[SHOW_MAX + 32], w[SHOW_MAX];
	bool api_ok = false, settings;
	enum { KIND_NONE, KIND_POLICY, KIND_SETTINGS } kind = KIND_NONE;
	char *name = NULL;

	p->who[0] = '\0';
	if (is_alias(root))
		return;
	if (root->type != SK_Y_MAP) {
		diag(p, root, "a document must be a mapping (apiVersion, kind, metadata, spec), got %s",
		     describe(d, root));
		return;
	}
	/* the name first, so that every message can say whose it is */
	v = field(root, "kind", NULL);
	settings = v && v->type == SK_Y_SCALAR && v->kind == SK_YK_STRING && !strcmp(v->text, "Settings");
	if (!(meta = field(root, "metadata", NULL))) {
		diag(p, root, "missing 'metadata' (metadata: {name: ...})");
	} else if (want_map(p, meta, "metadata")) {
		check_keys(p, meta, "metadata", metadata_keys);
		if (!(name_node = field(meta, "name", NULL))) {
			diag(p, sk_ymap_key(root, "metadata"), "missing 'name' in 'metadata'");
		} else if (want_pattern(p, name_node, "metadata.name", RX_NAME, MAX_NAME,
					"letters, digits, '-', '_' and '.', starting with a letter or digit", &name)) {
			snprintf(p->who, sizeof(p->who), "%s '%s': ", settings ? "settings" : "policy", name);
		}
	}
	check_keys(p, root, NULL, top_keys);
	if (!(v = field(root, "apiVersion", NULL))) {
		diag(p, root, "missing 'apiVersion' (apiVersion: " API_VERSION ")");
	} else if (want_string(p, v, "apiVersion")) {
		if (strcmp(v->text, API_VERSION) != 0)
			diag(p, v, "unknown apiVersion '%s' (expected '" API_VERSION "')", SHOWN(w, v));
		else
			api_ok = true;
	}
	if (!(v = field(root, "kind", NULL))) {
		diag(p, root, "missing 'kind' (BackupPolicy or Settings)");
	} else if (want_string(p, v, "kind")) {
		static const char *const kinds[] = { "BackupPolicy", "Settings", NULL };

		if (!strcmp(v->text, "BackupPolicy")) {
			kind = KIND_POLICY;
		} else if (!strcmp(v->text, "Settings")) {
			kind = KIND_SETTINGS;
		} else {
			const char *near = nearest(v->text, kinds);

			if (near)
				diag(p, v, "unknown kind '%s' (did you mean '%s'?)", SHOWN(w, v), near);
			else
				diag(p, v, "unknown kind '%s' (expected BackupPolicy or Settings)", SHOWN(w, v));
		}
	}
	if (!api_ok || kind == KIND_NONE)
		return; /* what the spec means is unknown */
	spec = field(root, "spec", &spec_key);
	if (kind == KIND_SETTINGS)
		parse_settings(p, root, spec_key, spec);
	else if (name)
		parse_policy(p, root, spec_key, spec, name, name_node);
	else if (spec && want_map(p, spec, "spec")) {
		/* no usable name: still check the spec, then drop it */
		size_t before = p->policies.len;

		parse_policy(p, root, spec_key, spec, NULL, NULL);
		sk_buf_truncate(&p->policies, before);
	} else if (!spec) {
		diag(p, root, "missing 'spec' (regions, selector and what to manage)");
	}
}

static void parse_file(struct pctx *p, const char *file, const char *data, size_t len)
{
	struct sk_arena tree = SK_ARENA_INIT;
	struct sk_yfile yf;

	p->file = file;
	p->data = data;
	p->len = len;
	p->who[0] = '\0';
	if (sk_yaml_load(&yf, data, len, &tree) < 0) {
		p->oom = true;
		goto done;
	}
	for (size_t i = 0; i < yf.n_errors; i++)
		add_diag(p, file, yf.errors[i].line, yf.errors[i].col, yf.errors[i].message);
	for (size_t i = 0; i < yf.n_docs; i++)
		parse_document(p, yf.docs[i]);
	if (yf.n_docs == 0 && yf.n_errors == 0)
		add_diag(p, file, 1, 1, "empty file (expected a BackupPolicy or Settings document)");
done:
	sk_arena_free(&tree);
}

/* ---- checks across the set ---- */

static bool shares_instance(const struct sk_policy *a, const struct sk_policy *b, const char **inst)
{
	for (size_t i = 0; i < a->n_instances; i++)
		for (size_t j = 0; j < b->n_instances; j++)
			if (!strcmp(a->instances[i].name, b->instances[j].name)) {
				*inst = a->instances[i].name;
				return true;
			}
	return false;
}

static const char *shared_region(const struct sk_policy *a, const struct sk_policy *b)
{
	for (size_t i = 0; i < a->n_regions; i++)
		if (in_regions(b, a->regions[i].name))
			return a->regions[i].name;
	return NULL;
}

/* where a policy's snapshots and copies land */
static bool lands_in(const struct sk_policy *p, const char *region)
{
	if (in_regions(p, region))
		return true;
	for (size_t i = 0; i < p->n_copies; i++)
		if (!strcmp(p->copies[i].region, region))
			return true;
	return false;
}

static bool lands_together(const struct sk_policy *a, const struct sk_policy *b)
{
	for (size_t i = 0; i < a->n_regions; i++)
		if (lands_in(b, a->regions[i].name))
			return true;
	for (size_t i = 0; i < a->n_copies; i++)
		if (lands_in(b, a->copies[i].region))
			return true;
	return false;
}

static void pos_text(struct sk_buf *b, const struct sk_pos *pos)
{
	sk_buf_printf(b, "%s:%d:%d", pos->file ? pos->file : "?", pos->line, pos->col);
}

static const char *replicate_text(char out[160], const struct sk_policy *p)
{
	if (p->replicate_mode == SK_REPLICATE_OFF)
		snprintf(out, 160, "off");
	else
		snprintf(out, 160, "to %s (retentionDays %d, kmsKeyId %s)", p->replicate.region,
			 p->replicate.retention_days ? p->replicate.retention_days : 7,
			 p->replicate.kms_key_id ? p->replicate.kms_key_id : "default");
	return out;
}

static bool same_replication(const struct sk_policy *a, const struct sk_policy *b)
{
	int ra = a->replicate.retention_days ? a->replicate.retention_days : 7;
	int rb = b->replicate.retention_days ? b->replicate.retention_days : 7;

	if (a->replicate_mode != b->replicate_mode)
		return false;
	if (a->replicate_mode != SK_REPLICATE_ON)
		return true;
	return !strcmp(a->replicate.region, b->replicate.region) && ra == rb &&
	       !strcmp(a->replicate.kms_key_id ? a->replicate.kms_key_id : "",
		       b->replicate.kms_key_id ? b->replicate.kms_key_id : "");
}

static bool conflicts(const struct sk_policy *a, const struct sk_policy *b, struct sk_buf *why, struct sk_pos *bpos)
{
	bool any = false;

#define ONE(cond, field, fmt, va, vb, pa, pb)                                                    \
	do {                                                                                     \
		if (cond) {                                                                      \
			if (why) {                                                               \
				if (any)                                                         \
					sk_buf_adds(why, "; ");                                  \
				sk_buf_printf(why, "%s: " fmt " in '%s' (", field, va, a->name); \
				pos_text(why, &(pa));                                            \
				sk_buf_printf(why, ") vs " fmt " in '%s' (", vb, b->name);       \
				pos_text(why, &(pb));                                            \
				sk_buf_adds(why, ")");                                           \
			}                                                                        \
			if (!any && bpos)                                                        \
				*bpos = (pb);                                                    \
			any = true;                                                              \
		}                                                                                \
	} while (0)

	ONE(a->retention_days >= 0 && b->retention_days >= 0 && a->retention_days != b->retention_days,
	    "retentionDays", "%d", a->retention_days, b->retention_days, a->retention_pos, b->retention_pos);
	ONE(a->window && b->window && strcmp(a->window, b->window) != 0, "window", "%s", a->window, b->window,
	    a->window_pos, b->window_pos);
	ONE(a->copy_tags >= 0 && b->copy_tags >= 0 && a->copy_tags != b->copy_tags, "copyTagsToSnapshot", "%s",
	    a->copy_tags ? "true" : "false", b->copy_tags ? "true" : "false", a->copy_tags_pos, b->copy_tags_pos);
	ONE(a->deletion_protection >= 0 && b->deletion_protection >= 0 &&
		    a->deletion_protection != b->deletion_protection,
	    "deletionProtection", "%s", a->deletion_protection ? "true" : "false",
	    b->deletion_protection ? "true" : "false", a->deletion_protection_pos, b->deletion_protection_pos);
	if (a->replicate_mode != SK_REPLICATE_UNSET && b->replicate_mode != SK_REPLICATE_UNSET) {
		char ta[160], tb[160];

		ONE(!same_replication(a, b), "replicate", "%s", replicate_text(ta, a), replicate_text(tb, b),
		    a->replicate.pos, b->replicate.pos);
	}
#undef ONE
	return any;
}

bool sk_policy_conflicts(const struct sk_policy *a, const struct sk_policy *b, struct sk_buf *why)
{
	if (!a || !b)
		return false;
	return conflicts(a, b, why, NULL);
}

static void check_set(struct pctx *p, struct sk_policy *pols, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		struct sk_policy *b = &pols[j];

		for (size_t i = 0; i < j; i++) {
			struct sk_policy *a = &pols[i];
			const char *inst, *region;

			if (!strcmp(a->name, b->name)) {
				diag_pos(p, &b->name_pos, "policy '%s' is defined twice (first at %s:%d:%d)", b->name,
					 a->name_pos.file, a->name_pos.line, a->name_pos.col);
				continue;
			}
			if (!shares_instance(a, b, &inst))
				continue;
			if ((region = shared_region(a, b))) {
				struct sk_buf why = SK_BUF_INIT;
				struct sk_pos at = b->pos;

				if (conflicts(a, b, &why, &at))
					diag_pos(p, &at,
						 "policies '%s' and '%s' both select instance '%s' in '%s' and disagree: %s",
						 a->name, b->name, inst, region, sk_buf_cstr(&why));
				sk_buf_free(&why);
			}
			if (a->has_snapshots && b->has_snapshots && a->prefix && b->prefix &&
			    !strcmp(a->prefix, b->prefix) && lands_together(a, b))
				diag_pos(p, &b->prefix_pos,
					 "policies '%s' and '%s' both take snapshots of instance '%s' with prefix '%s' (%s:%d:%d); their identifiers would collide: give one of them another prefix",
					 a->name, b->name, inst, b->prefix, a->prefix_pos.file, a->prefix_pos.line,
					 a->prefix_pos.col);
		}
	}
}

/* ---- the set ---- */

static size_t file_index(const struct sk_policyset *set, const char *file)
{
	if (!file)
		return 0;
	for (size_t i = 0; i < set->n_files; i++)
		if (set->files[i] == file)
			return i + 1;
	return set->n_files + 1;
}

struct sortable {
	struct sk_policy_diag d;
	size_t file, seq;
};

static int cmp_diag(const void *x, const void *y)
{
	const struct sortable *a = x, *b = y;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->d.pos.line != b->d.pos.line)
		return a->d.pos.line < b->d.pos.line ? -1 : 1;
	if (a->d.pos.col != b->d.pos.col)
		return a->d.pos.col < b->d.pos.col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int finish(struct pctx *p)
{
	struct sk_policyset *set = p->set;
	size_t n;
	struct sortable *s;

	set->n_policies = p->policies.len / sizeof(struct sk_policy);
	if (set->n_policies) {
		set->policies = sk_arena_alloc(&set->arena, p->policies.len);
		if (!set->policies)
			return sk_error_set_oom();
		memcpy(set->policies, p->policies.ptr, p->policies.len);
	}
	if (set->settings.present || p->quotas.len) {
		set->settings.n_region_quotas = p->quotas.len / sizeof(struct sk_settings_quota);
		if (set->settings.n_region_quotas) {
			set->settings.region_quotas = sk_arena_alloc(&set->arena, p->quotas.len);
			if (!set->settings.region_quotas)
				return sk_error_set_oom();
			memcpy(set->settings.region_quotas, p->quotas.ptr, p->quotas.len);
		}
	}
	check_set(p, set->policies, set->n_policies);
	if (set->n_policies == 0 && p->diags.len == 0) {
		struct sk_pos none = { NULL, 0, 0 };

		if (set->n_files == 0)
			diag_pos(p, &none, "no policy files (*.yaml, *.yml) found");
		else
			diag_pos(p, &none, "no BackupPolicy document found in %zu file%s", set->n_files,
				 set->n_files == 1 ? "" : "s");
	}
	if (p->oom)
		return sk_error_set_oom();

	n = p->diags.len / sizeof(struct sk_policy_diag);
	if (n == 0)
		return 0;
	s = malloc(n * sizeof(*s));
	if (!s)
		return sk_error_set_oom();
	for (size_t i = 0; i < n; i++) {
		s[i].d = ((struct sk_policy_diag *)p->diags.ptr)[i];
		s[i].file = file_index(set, s[i].d.pos.file);
		s[i].seq = i;
	}
	qsort(s, n, sizeof(*s), cmp_diag);
	set->diags = sk_arena_alloc(&set->arena, n * sizeof(*set->diags));
	if (!set->diags) {
		free(s);
		return sk_error_set_oom();
	}
	for (size_t i = 0; i < n; i++)
		set->diags[i] = s[i].d;
	set->n_diags = n;
	free(s);
	{
		struct sk_buf first = SK_BUF_INIT;

		sk_policy_diag_format(&first, &set->diags[0]);
		sk_error_set(SK_ERR_POLICY, "%zu error%s in policies: %s", n, n == 1 ? "" : "s", sk_buf_cstr(&first));
		sk_buf_free(&first);
	}
	return SK_ERROR;
}

static struct sk_policyset *new_set(void)
{
	struct sk_policyset *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	set->arena = (struct sk_arena)SK_ARENA_INIT;
	set->settings.snapshot_quota = DEFAULT_QUOTA;
	set->settings.price_per_gb_month = SK_DEFAULT_PRICE_PER_GB_MONTH;
	set->settings.concurrency = DEFAULT_CONCURRENCY;
	return set;
}

static int load_files(struct sk_policyset **out, const struct sk_source *src, const struct sk_source_file *files,
		      size_t n)
{
	struct pctx p;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.set = new_set();
	if (!p.set)
		return sk_error_set_oom();
	sk_buf_init(&p.diags, 0);
	sk_buf_init(&p.policies, 0);
	sk_buf_init(&p.quotas, 0);
	if (src) {
		memcpy(p.set->commit, src->commit, sizeof(p.set->commit));
		p.set->commit[40] = '\0';
		p.set->subject = src->subject ? (char *)sk_arena_strdup(&p.set->arena, src->subject) : NULL;
		p.set->ref = src->ref ? (char *)sk_arena_strdup(&p.set->arena, src->ref) : NULL;
	}
	if (n) {
		p.set->files = sk_arena_calloc(&p.set->arena, n, sizeof(char *));
		if (!p.set->files)
			p.oom = true;
	}
	for (size_t i = 0; i < n && !p.oom; i++) {
		p.set->files[i] = adup(&p, files[i].path ? files[i].path : "", files[i].path ? strlen(files[i].path) : 0);
		if (!p.set->files[i])
			break;
		p.set->n_files = i + 1;
		parse_file(&p, p.set->files[i], files[i].data ? files[i].data : "", files[i].data ? files[i].len : 0);
	}
	rc = finish(&p);
	sk_buf_free(&p.diags);
	sk_buf_free(&p.policies);
	sk_buf_free(&p.quotas);
	if (rc < 0 && sk_error_last()->klass == SK_ERR_NOMEM) {
		sk_policyset_free(p.set);
		return rc;
	}
	*out = p.set;
	return rc;
}

int sk_policyset_load(struct sk_policyset **out, const struct sk_source *src)
{
	if (!src) {
		*out = NULL;
		return sk_error_set(SK_ERR_INVALID, "no policy source");
	}
	return load_files(out, src, src->files, src->n_files);
}

int sk_policyset_parse_buffer(struct sk_policyset **out, const char *file, const char *data, size_t len)
{
	struct sk_source_file f;

	f.path = (char *)(file ? file : "<input>");
	f.data = (char *)data;
	f.len = data ? len : 0;
	return load_files(out, NULL, &f, 1);
}

void sk_policyset_free(struct sk_policyset *set)
{
	if (!set)
		return;
	sk_arena_free(&set->arena);
	free(set);
}

void sk_policy_diag_format(struct sk_buf *out, const struct sk_policy_diag *d)
{
	if (d->pos.file && d->pos.line > 0)
		sk_buf_printf(out, "%s:%d:%d: %s", d->pos.file, d->pos.line, d->pos.col, d->message);
	else if (d->pos.file)
		sk_buf_printf(out, "%s: %s", d->pos.file, d->message);
	else
		sk_buf_adds(out, d->message);
}

int sk_settings_quota(const struct sk_settings *s, const char *region)
{
	if (!s)
		return DEFAULT_QUOTA;
	for (size_t i = 0; region && i < s->n_region_quotas; i++)
		if (s->region_quotas[i].region && !strcmp(s->region_quotas[i].region, region))
			return s->region_quotas[i].quota;
	return s->snapshot_quota > 0 ? s->snapshot_quota : DEFAULT_QUOTA;
}

bool sk_policy_has_region(const struct sk_policy *p, const char *region)
{
	return p && region && in_regions(p, region);
}

bool sk_policy_selects(const struct sk_policy *p, const char *region, const char *instance,
		       const char *const *tag_keys, const char *const *tag_values, size_t n_tags)
{
	if (!sk_policy_has_region(p, region) || !instance)
		return false;
	if (p->n_instances) {
		for (size_t i = 0; i < p->n_instances; i++)
			if (!strcmp(p->instances[i].name, instance))
				return true;
		return false;
	}
	if (!p->n_selector_tags)
		return false;
	for (size_t i = 0; i < p->n_selector_tags; i++) {
		bool found = false;

		for (size_t j = 0; j < n_tags && !found; j++)
			found = tag_keys[j] && tag_values[j] && !strcmp(tag_keys[j], p->selector_tags[i].key) &&
				!strcmp(tag_values[j], p->selector_tags[i].value);
		if (!found)
			return false;
	}
	return true;
}

/* ---- durations and windows ---- */

int sk_duration_parse(struct sk_duration *out, const char *s)
{
	static const char units[] = "ymdh";
	int *slots[] = { &out->years, &out->months, &out->days, &out->hours };
	size_t next = 0;
	const char *p = s;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return sk_error_set(SK_ERR_POLICY, "duration is empty");
	while (*p) {
		long v = 0;
		int digits = 0;
		const char *u;

		while (*p >= '0' && *p <= '9') {
			if (++digits > 5)
				return sk_error_set(SK_ERR_POLICY, "duration '%s': a number has more than 5 digits", s);
			v = v * 10 + (*p++ - '0');
		}
		if (!digits)
			return sk_error_set(SK_ERR_POLICY, "duration '%s': expected a number", s);
		u = *p ? strchr(units + next, *p) : NULL;
		if (!u) {
			if (*p && strchr(units, *p))
				return sk_error_set(SK_ERR_POLICY, "duration '%s': units must be in the order y m d h, each once", s);
			return sk_error_set(SK_ERR_POLICY, "duration '%s': expected a unit y, m, d or h", s);
		}
		*slots[u - units] = (int)v;
		next = (size_t)(u - units) + 1;
		p++;
	}
	return 0;
}

void sk_duration_format(char out[48], const struct sk_duration *d)
{
	int n = 0;

	out[0] = '\0';
	if (d->years)
		n += snprintf(out + n, (size_t)(48 - n), "%dy", d->years);
	if (d->months)
		n += snprintf(out + n, (size_t)(48 - n), "%dm", d->months);
	if (d->days)
		n += snprintf(out + n, (size_t)(48 - n), "%dd", d->days);
	if (d->hours || n == 0)
		snprintf(out + n, (size_t)(48 - n), "%dh", d->hours);
}

int sk_window_parse(const char *s, int *start_min, int *end_min)
{
	int start, end, len;

	if (!s || !matches(RX_WINDOW, s))
		return sk_error_set(SK_ERR_POLICY, "window '%.40s' must be hh24:mi-hh24:mi in UTC, such as 03:00-04:00",
				    s ? s : "");
	start = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
	end = ((s[6] - '0') * 10 + (s[7] - '0')) * 60 + (s[9] - '0') * 10 + (s[10] - '0');
	len = (end - start + 1440) % 1440;
	if (len < 30)
		return sk_error_set(SK_ERR_POLICY, "window '%s' must be at least 30 minutes", s);
	if (start_min)
		*start_min = start;
	if (end_min)
		*end_min = end;
	return 0;
}
