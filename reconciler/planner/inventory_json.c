/*
 * inventory_json.c - snapkeep-inventory/v1: the writer and the streaming reader
 *
 * The writer builds one small jansson object per element and dumps it, so
 * the file is written element by element.  The reader feeds the file to
 * yajl, an event (SAX) parser, a line at a time, so every event knows its
 * line; it follows the top-level object itself and hands each element of
 * the three arrays to inventory_element.c.  Nothing of the file is held
 * beyond the element being read.
 */
#include "reconciler/planner/inventory_json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yajl/yajl_parse.h>

#include "common/array.h"
#include "common/error.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "common/utf8.h"
#include "reconciler/planner/inventory_element.h"

#define INVENTORY_FORMAT "snapkeep-inventory/v1"

/* ---- writing snapkeep-inventory/v1 ---- */

static json_t *tags_json(const struct sk_aws_tag *tags, size_t n)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < n; i++)
		json_object_set_new(o, tags[i].key, json_string(tags[i].value));
	return o;
}

/* every field is written, null when unknown, so a reader sees the whole format */
static void set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static void set_time(json_t *o, const char *k, int64_t t)
{
	json_object_set_new(o, k, sk_json_time(t));
}

static int dump(json_t *v, FILE *f)
{
	int rc;

	if (!v)
		return sk_error_set_oom();
	rc = json_dumpf(v, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	return rc == 0 ? 0 : sk_error_set_errno(SK_ERR_OS, "cannot write the inventory");
}

static json_t *strings_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* o's members from obj's the table names, in its order */
static void set_fields(json_t *o, const void *obj, const struct sk_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_object_set_new(o, f[i].name, sk_json_field(obj, &f[i]));
}

#define STR(m, name) SK_FIELD_STR(struct sk_inv_instance, m, name)
#define INT(m, name) SK_FIELD_INT(struct sk_inv_instance, m, name)
#define BOOL(m, name) SK_FIELD_BOOL(struct sk_inv_instance, m, name)
#define TIME(m, name) SK_FIELD_TIME(struct sk_inv_instance, m, name)

/* an instance's members before "pendingBackupRetentionPeriod" (when it has one), and after */
static const struct sk_field instance_head[] = {
	STR(id, "id"),
	STR(region, "region"),
	STR(arn, "arn"),
	STR(engine, "engine"),
	STR(status, "status"),
	INT(retention, "backupRetentionPeriod"),
};

static const struct sk_field instance_tail[] = {
	STR(backup_window, "preferredBackupWindow"),
	STR(maintenance_window, "preferredMaintenanceWindow"),
	BOOL(copy_tags, "copyTagsToSnapshot"),
	BOOL(deletion_protection, "deletionProtection"),
	BOOL(encrypted, "storageEncrypted"),
	STR(kms_key_id, "kmsKeyId"),
	INT(allocated_gib, "allocatedGiB"),
	STR(aws_backup_arn, "awsBackupRecoveryPointArn"),
	TIME(latest_restorable, "latestRestorableTime"),
};

#undef STR
#undef INT
#undef BOOL
#undef TIME

static json_t *instance_json(const struct sk_inventory *inv, size_t i)
{
	const struct sk_inv_instance *d = &inv->instances[i];
	json_t *o = json_object();

	set_fields(o, d, instance_head, SK_FIELDS_N(instance_head));
	if (d->has_pending_retention)
		json_object_set_new(o, "pendingBackupRetentionPeriod", json_integer(d->pending_retention));
	set_fields(o, d, instance_tail, SK_FIELDS_N(instance_tail));
	json_object_set_new(o, "replications", strings_json(d->replications, d->n_replications));
	json_object_set_new(o, "tags", tags_json(d->tags, d->n_tags));
	/* Aurora, only when so: files without clusters read and print as they always did */
	if (d->cluster)
		set_str(o, "dbClusterIdentifier", d->cluster);
	if (d->is_cluster)
		json_object_set_new(o, "cluster", json_true());
	return o;
}

static json_t *snapshot_json(const struct sk_inventory *inv, size_t i)
{
	const struct sk_inv_snapshot *s = &inv->snapshots[i];
	char arn[SK_ARN_MAX];
	json_t *o = json_object();

	set_str(o, "id", s->id);
	set_str(o, "arn", sk_inv_snapshot_arn(s, arn, sizeof(arn)));
	set_str(o, "instance", s->instance);
	set_str(o, "region", s->region);
	set_str(o, "type", sk_snap_type_name(s->type));
	set_str(o, "status", s->status_text);
	set_time(o, "created", s->created);
	set_time(o, "originalCreated", s->original_created);
	json_object_set_new(o, "encrypted", json_boolean(s->encrypted));
	set_str(o, "kmsKeyId", s->kms_key_id);
	json_object_set_new(o, "allocatedGiB", json_integer(s->allocated_gib));
	set_str(o, "sourceRegion", s->source_region);
	set_str(o, "sourceArn", s->source_arn);
	json_object_set_new(o, "tags", tags_json(s->tags, s->n_tags));
	if (s->cluster)
		json_object_set_new(o, "cluster", json_true());
	return o;
}

#define STR(m, name) SK_FIELD_STR(struct sk_inv_autobackup, m, name)

static const struct sk_field autobackup_fields[] = {
	STR(arn, "arn"),
	STR(region, "region"),
	STR(source_region, "sourceRegion"),
	STR(instance, "instance"),
	STR(instance_arn, "instanceArn"),
	STR(status, "status"),
	SK_FIELD_INT(struct sk_inv_autobackup, retention, "backupRetentionPeriod"),
	STR(kms_key_id, "kmsKeyId"),
	SK_FIELD_TIME(struct sk_inv_autobackup, earliest, "earliest"),
	SK_FIELD_TIME(struct sk_inv_autobackup, latest, "latest"),
};

#undef STR

static json_t *autobackup_json(const struct sk_inventory *inv, size_t i)
{
	json_t *o = json_object();

	set_fields(o, &inv->autobackups[i], autobackup_fields, SK_FIELDS_N(autobackup_fields));
	return o;
}

/* ",\n\"<name>\": [" and the n elements make() gives, one a line, then "\n]" */
static int write_array(FILE *f, const char *name, const struct sk_inventory *inv, size_t n,
		       json_t *(*make)(const struct sk_inventory *, size_t))
{
	size_t i;

	fprintf(f, ",\n\"%s\": [", name);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", f);
		if (dump(make(inv, i), f) < 0)
			return -1;
	}
	fputs("\n]", f);
	return 0;
}

int sk_inventory_write_json(const struct sk_inventory *inv, FILE *f)
{
	char ts[SK_TIME_RFC3339_MAX];

	sk_time_format_rfc3339(ts, inv->observed_at);
	fprintf(f, "{\"format\": \"%s\",\n\"observedAt\": \"%s\",\n\"regions\": ", INVENTORY_FORMAT, ts);
	if (dump(strings_json(inv->regions, inv->n_regions), f) < 0)
		return -1;
	if (inv->n_snapshots_only) {
		fputs(",\n\"snapshotsOnly\": ", f);
		if (dump(strings_json(inv->snapshots_only, inv->n_snapshots_only), f) < 0)
			return -1;
	}
	if (write_array(f, "instances", inv, inv->n_instances, instance_json) < 0 ||
	    write_array(f, "snapshots", inv, inv->n_snapshots, snapshot_json) < 0 ||
	    write_array(f, "automatedBackups", inv, inv->n_autobackups, autobackup_json) < 0)
		return -1;
	fputs("}\n", f);
	if (ferror(f))
		return sk_error_set_errno(SK_ERR_OS, "cannot write the inventory");
	return 0;
}

/* ---- reading: yajl's events, a line at a time ---- */

#define READ_CHUNK ((size_t)64 << 10)
#define ELEMENT_MAX ((size_t)64 << 20)

enum state {
	S_START,   /* before the top-level object */
	S_TOP,     /* in the top-level object */
	S_REGIONS, /* in "regions" or "snapshotsOnly" */
	S_ARRAY,   /* in "instances", "snapshots" or "automatedBackups", between elements */
	S_ELEMENT, /* in one of their elements: its events go to inventory_element.c */
	S_DONE,    /* after the top-level object */
};

enum top_key { T_OTHER, T_FORMAT, T_OBSERVED_AT, T_REGIONS, T_SNAPSHOTS_ONLY, T_ARRAY };

struct reader {
	yajl_handle h;
	struct sk_inventory *inv;
	struct sk_inv_element *element;
	const char *path;
	size_t line;     /* of the text being fed: it is fed a line at a time */
	uint64_t offset; /* bytes fed before it */
	int first;       /* the first byte that is not white space, -1 until it comes */
	bool line_start; /* the next text fed starts a line */
	bool plain;      /* the line fed so far is ASCII without escapes: its strings need no check */
	enum state state;
	size_t skip;     /* > 0: inside a top-level value stepped over, this deep */
	bool format_ok, regions_listed;
	bool snapshots_only; /* S_REGIONS: in "snapshotsOnly", regions whose snapshots alone were observed */
	enum top_key key; /* S_TOP: the key whose value comes next */
	const struct sk_inv_element_kind *kind; /* S_ARRAY, S_ELEMENT: what the elements are */
	size_t value_line; /* where the top-level value being read starts */
	/* where the element or top-level value being read began, to bound what yajl may have to hold */
	uint64_t anchor;
	size_t anchor_line;
	char *txt; /* a top-level string, or a number being checked, NUL-terminated */
	size_t cap_txt;
};

/* s[0..len) NUL-terminated in r->txt */
static const char *cstr(struct reader *r, const char *s, size_t len)
{
	if (len == SIZE_MAX || SK_ARRAY_GROW(r->txt, r->cap_txt, len + 1) < 0) {
		sk_error_set_oom();
		return NULL;
	}
	memcpy(r->txt, s, len);
	r->txt[len] = '\0';
	return r->txt;
}

static int not_an_object(struct reader *r)
{
	char found[16];

	if (r->first < 0)
		sk_strlcpy(found, "the end", sizeof(found));
	else
		snprintf(found, sizeof(found), r->first >= 0x20 && r->first < 0x7f ? "'%c'" : "byte 0x%02x", r->first);
	return sk_error_set(SK_ERR_INVALID, "%s:%zu: expected '{', found %s%s", r->path, r->line, found,
			    r->first < 0 ? " of the file (truncated?)" : "");
}

static int top_value(struct reader *r, enum sk_json_kind kind, const char *s, size_t len)
{
	const char *t;
	char b[48];

	r->value_line = r->line;
	switch (r->key) {
	case T_FORMAT:
		if (kind != SK_JSON_STRING || len != strlen(INVENTORY_FORMAT) || memcmp(s, INVENTORY_FORMAT, len))
			return sk_error_set(SK_ERR_INVALID, "%s:%zu: not a %s file (format is %s)", r->path, r->line,
					    INVENTORY_FORMAT, sk_json_shown(kind, s, len, b));
		r->format_ok = true;
		return 0;
	case T_OBSERVED_AT:
		if (kind == SK_JSON_STRING) {
			if (!(t = cstr(r, s, len)))
				return -1;
			if (sk_time_parse_rfc3339(&r->inv->observed_at, t) == 0)
				return 0;
		}
		return sk_error_set(SK_ERR_INVALID,
				    "%s:%zu: 'observedAt' must be an RFC 3339 time (as 2026-01-01T03:00:00Z), got %s",
				    r->path, r->line, sk_json_shown(kind, s, len, b));
	case T_REGIONS:
	case T_SNAPSHOTS_ONLY:
		r->snapshots_only = r->key == T_SNAPSHOTS_ONLY;
		if (kind != SK_JSON_ARRAY)
			return sk_error_set(SK_ERR_INVALID, "%s:%zu: '%s' must be an array of region names", r->path,
					    r->line, r->snapshots_only ? "snapshotsOnly" : "regions");
		r->state = S_REGIONS;
		if (!r->snapshots_only)
			r->regions_listed = true;
		return 0;
	case T_ARRAY:
		if (kind != SK_JSON_ARRAY)
			return sk_error_set(SK_ERR_INVALID, "%s:%zu: '%s' must be an array", r->path, r->line,
					    sk_inv_element_kind_key(r->kind));
		r->state = S_ARRAY;
		return 0;
	case T_OTHER:
		/* unknown keys are ignored, as the format promises */
		r->skip = kind == SK_JSON_OBJECT || kind == SK_JSON_ARRAY;
		return 0;
	}
	return 0;
}

static int region_value(struct reader *r, enum sk_json_kind kind, const char *s, size_t len)
{
	const char *t;
	char b[48];

	if (kind != SK_JSON_STRING || !len)
		return sk_error_set(SK_ERR_INVALID, "%s:%zu: '%s' must be an array of region names, got %s", r->path,
				    r->value_line, r->snapshots_only ? "snapshotsOnly" : "regions",
				    sk_json_shown(kind, s, len, b));
	if (!(t = cstr(r, s, len)))
		return -1;
	return r->snapshots_only ? sk_inventory_add_snapshot_region(r->inv, t) : sk_inventory_add_region(r->inv, t);
}

static void anchor(struct reader *r)
{
	r->anchor = r->offset;
	r->anchor_line = r->line;
}

/* every value, a container's opening included: where it goes depends on where the reader is */
static int value(struct reader *r, enum sk_json_kind kind, const char *s, size_t len)
{
	if (r->skip) {
		r->skip += kind == SK_JSON_OBJECT || kind == SK_JSON_ARRAY;
		return 0;
	}
	switch (r->state) {
	case S_START:
		if (kind != SK_JSON_OBJECT)
			return not_an_object(r);
		r->state = S_TOP;
		return 0;
	case S_TOP:
		anchor(r);
		return top_value(r, kind, s, len);
	case S_REGIONS:
		anchor(r);
		return region_value(r, kind, s, len);
	case S_ARRAY:
		anchor(r);
		r->state = S_ELEMENT;
		return sk_inv_element_begin(r->element, r->kind, r->line, kind, s, len);
	case S_ELEMENT:
		return sk_inv_element_value(r->element, kind, s, len);
	case S_DONE:
		break;
	}
	return 0;
}

static int end(struct reader *r)
{
	int rc;

	if (r->skip) {
		r->skip--;
		return 0;
	}
	switch (r->state) {
	case S_TOP:
		r->state = S_DONE;
		return 0;
	case S_REGIONS:
	case S_ARRAY:
		anchor(r);
		r->state = S_TOP;
		return 0;
	case S_ELEMENT:
		if ((rc = sk_inv_element_end(r->element)) > 0)
			r->state = S_ARRAY;
		return rc < 0 ? -1 : 0;
	default:
		return 0;
	}
}

static int key(struct reader *r, const char *k, size_t len)
{
	if (r->skip)
		return 0;
	if (r->state == S_ELEMENT)
		return sk_inv_element_key(r->element, k, len);
	if (r->state != S_TOP)
		return 0;
	anchor(r);
#define IS(s) (len == sizeof(s) - 1 && !memcmp(k, s, len))
	if (IS("format"))
		r->key = T_FORMAT;
	else if (IS("observedAt"))
		r->key = T_OBSERVED_AT;
	else if (IS("regions"))
		r->key = T_REGIONS;
	else if (IS("snapshotsOnly"))
		r->key = T_SNAPSHOTS_ONLY;
	else
		r->key = (r->kind = sk_inv_element_kind_of(k, len)) ? T_ARRAY : T_OTHER;
#undef IS
	return 0;
}

/*
 * jansson, which writes the file and read it before, takes only valid
 * UTF-8 and no \u0000; yajl decodes escapes without checking what they
 * make, so strings are checked here (the writer could not write them back
 * otherwise).  A line of plain ASCII needs no check.
 */
static int check_text(struct reader *r, const char *s, size_t len)
{
	if (r->plain)
		return 0;
	if (memchr(s, 0, len))
		return sk_error_set(SK_ERR_INVALID, "%s:%zu: a string holds \\u0000, which is not allowed", r->path,
				    r->line);
	if (!sk_utf8_valid(s, len))
		return sk_error_set(SK_ERR_INVALID, "%s:%zu: a string is not valid UTF-8 (or holds a lone surrogate)",
				    r->path, r->line);
	return 0;
}

/*
 * Whether p[0..n) has no escape and nothing but ASCII, so no string in it
 * needs check_text().  A string never spans lines (JSON has no raw newline
 * in one), so this holds for the line until its end.
 */
static bool plain_text(const unsigned char *p, size_t n)
{
	uint64_t acc = 0, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= p[i];
	return !(acc & 0x8080808080808080ULL) && !memchr(p, '\\', n);
}

/* yajl's callbacks: 1 goes on, 0 stops it (the error set) */
static int on_null(void *ctx)
{
	return value(ctx, SK_JSON_NULL, NULL, 0) == 0;
}

static int on_boolean(void *ctx, int b)
{
	return value(ctx, b ? SK_JSON_TRUE : SK_JSON_FALSE, NULL, 0) == 0;
}

/*
 * jansson refused integers past a long long and reals past a double,
 * wherever they were: so does this reader (a number that fits is kept as
 * text, and checked for its field's range when the element closes).
 */
static int check_number(struct reader *r, const char *s, size_t len)
{
	const char *t;
	char *end;

	/* the usual case: a short integer, which fits */
	if (len <= 18 && !memchr(s, 'e', len) && !memchr(s, 'E', len) && !memchr(s, '.', len))
		return 0;
	if (!(t = cstr(r, s, len)))
		return -1;
	errno = 0;
	if (strpbrk(t, ".eE")) {
		double d = strtod(t, &end);
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			return sk_error_set(SK_ERR_INVALID, "%s:%zu: a number too large for a double: %s", r->path,
					    r->line, t);
	} else {
		(void)strtoll(t, &end, 10);
		if (errno == ERANGE)
			return sk_error_set(SK_ERR_INVALID, "%s:%zu: an integer too large: %s", r->path, r->line, t);
	}
	return 0;
}

/* where an array of elements must be, a scalar is wrong whatever it holds: said first, as it always was */
static bool array_expected(const struct reader *r)
{
	return r->state == S_TOP && r->key == T_ARRAY && !r->skip;
}

static int on_number(void *ctx, const char *s, size_t len)
{
	return (array_expected(ctx) || check_number(ctx, s, len) == 0) && value(ctx, SK_JSON_NUMBER, s, len) == 0;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	return (array_expected(ctx) || check_text(ctx, (const char *)s, len) == 0) &&
	       value(ctx, SK_JSON_STRING, (const char *)s, len) == 0;
}

static int on_start_map(void *ctx)
{
	return value(ctx, SK_JSON_OBJECT, NULL, 0) == 0;
}

static int on_start_array(void *ctx)
{
	return value(ctx, SK_JSON_ARRAY, NULL, 0) == 0;
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	return check_text(ctx, (const char *)s, len) == 0 && key(ctx, (const char *)s, len) == 0;
}

static int on_end(void *ctx)
{
	return end(ctx) == 0;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number, /* every number as its text: ranges and integers are checked per field */
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

/* yajl stopped: say why, unless a callback did */
static int parse_error(struct reader *r, yajl_status st, bool at_end)
{
	unsigned char *e;
	char msg[256];
	size_t n;

	if (st == yajl_status_client_canceled)
		return -1;
	if (r->state == S_START)
		return not_an_object(r);
	if (r->state == S_DONE)
		return sk_error_set(SK_ERR_INVALID, "%s:%zu: text after the end of the inventory", r->path, r->line);
	e = yajl_get_error(r->h, 0, NULL, 0);
	sk_strlcpy(msg, e ? (const char *)e : "parse error", sizeof(msg));
	if (e)
		yajl_free_error(r->h, e);
	/* "lexical error: invalid char in json text.\n": one line, no full stop */
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '.' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (at_end && strstr(msg, "premature EOF"))
		return sk_error_set(SK_ERR_INVALID, "%s:%zu: the file ends inside the inventory (truncated?)", r->path,
				    r->line);
	return sk_error_set(SK_ERR_INVALID, "%s:%zu: %s", r->path, r->line, msg);
}

/* one line, or the part of it read so far */
static int feed(struct reader *r, const unsigned char *p, size_t n)
{
	yajl_status st;

	if (r->first < 0) {
		size_t i;
		for (i = 0; i < n; i++)
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
				r->first = p[i];
				break;
			}
	}
	if (r->line_start)
		r->plain = true;
	if (r->plain)
		r->plain = plain_text(p, n);
	r->line_start = n && p[n - 1] == '\n';
	st = yajl_parse(r->h, p, n);
	return st == yajl_status_ok ? 0 : parse_error(r, st, false);
}

/*
 * An element (or top-level value) may be up to ELEMENT_MAX: yajl holds a
 * string or number until it ends, and the element's text is kept until
 * it closes, so nothing larger is read.  The anchor is the start of the
 * line (or READ_CHUNK) it began in: one chunk's slack.
 */
static int check_size(const struct reader *r)
{
	if (r->offset - r->anchor <= ELEMENT_MAX + READ_CHUNK)
		return 0;
	if (r->state == S_ELEMENT)
		return sk_error_set(SK_ERR_INVALID, "%s:%zu: an element larger than %zu bytes", r->path, r->anchor_line,
				    ELEMENT_MAX);
	return sk_error_set(SK_ERR_INVALID, "%s:%zu: a value larger than %zu bytes", r->path, r->anchor_line,
			    ELEMENT_MAX);
}

int sk_inventory_read_stream(struct sk_inventory **out, FILE *f, const char *name)
{
	struct reader r;
	unsigned char *buf = NULL;
	yajl_status st;
	size_t n;
	int rc = -1;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.path = name;
	r.line = 1;
	r.first = -1;
	r.line_start = true;
	r.state = S_START;
	if (sk_inventory_new(&r.inv) < 0 || sk_inv_element_new(&r.element, r.inv, name) < 0)
		goto done;
	if (!(buf = malloc(READ_CHUNK)) || !(r.h = yajl_alloc(&callbacks, NULL, &r))) {
		sk_error_set_oom();
		goto done;
	}
	while ((n = fread(buf, 1, READ_CHUNK, f)) > 0) {
		const unsigned char *p = buf, *end = buf + n;
		while (p < end) {
			const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
			const unsigned char *q = nl ? nl + 1 : end;
			if (feed(&r, p, (size_t)(q - p)) < 0)
				goto done;
			r.offset += (size_t)(q - p);
			r.line += nl != NULL;
			p = q;
		}
		if (check_size(&r) < 0)
			goto done;
	}
	if (ferror(f)) {
		sk_error_set_errno(SK_ERR_OS, "cannot read '%s'", name);
		goto done;
	}
	st = yajl_complete_parse(r.h);
	if (st != yajl_status_ok) {
		parse_error(&r, st, true);
		goto done;
	}
	if (!r.format_ok) {
		sk_error_set(SK_ERR_INVALID, "%s: no \"format\": \"%s\" field", name, INVENTORY_FORMAT);
		goto done;
	}
	/* without a "regions" list, the file speaks for every region: one it does not mention is empty */
	r.inv->every_region = !r.regions_listed;
	sk_inventory_sort(r.inv);
	*out = r.inv;
	r.inv = NULL;
	rc = 0;
done:
	if (r.h)
		yajl_free(r.h);
	free(buf);
	free(r.txt);
	sk_inv_element_free(r.element);
	sk_inventory_free(r.inv);
	return rc;
}
