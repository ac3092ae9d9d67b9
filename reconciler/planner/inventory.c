/*
 * inventory.c - observed instances, snapshots and automated backups
 */
#include "reconciler/planner/inventory.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/timeutil.h"

#define INVENTORY_FORMAT "snapkeep-inventory/v1"

int sk_inventory_new(struct sk_inventory **out)
{
	struct sk_inventory *inv = calloc(1, sizeof(*inv));

	*out = NULL;
	if (!inv)
		return sk_error_set_oom();
	*out = inv;
	return 0;
}

void sk_inventory_free(struct sk_inventory *inv)
{
	if (!inv)
		return;
	free(inv->regions);
	free(inv->instances);
	free(inv->snapshots);
	free(inv->autobackups);
	sk_arena_free(&inv->arena);
	free(inv);
}

const char *sk_inventory_intern(struct sk_inventory *inv, const char *s)
{
	return sk_arena_intern(&inv->arena, s);
}

static bool region_listed(const struct sk_inventory *inv, const char *region)
{
	size_t i;

	for (i = 0; i < inv->n_regions; i++)
		if (!strcmp(inv->regions[i], region))
			return true;
	return false;
}

bool sk_inventory_has_region(const struct sk_inventory *inv, const char *region)
{
	return inv->every_region || region_listed(inv, region);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int sk_inventory_add_region(struct sk_inventory *inv, const char *region)
{
	const char **r;

	if (!region || region_listed(inv, region))
		return 0;
	r = realloc(inv->regions, (inv->n_regions + 1) * sizeof(*r));
	if (!r)
		return sk_error_set_oom();
	inv->regions = r;
	r[inv->n_regions] = sk_inventory_intern(inv, region);
	if (!r[inv->n_regions])
		return -1;
	inv->n_regions++;
	qsort(inv->regions, inv->n_regions, sizeof(*inv->regions), cmp_str);
	return 0;
}

/* grows a typed array by one; returns the new slot or NULL */
static void *push(void **items, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *p;
		if (c > ((size_t)-1) / size) {
			sk_error_set_oom();
			return NULL;
		}
		p = realloc(*items, c * size);
		if (!p) {
			sk_error_set_oom();
			return NULL;
		}
		*items = p;
		*cap = c;
	}
	return (char *)*items + (*n)++ * size;
}

static const struct sk_aws_tag *copy_tags(struct sk_inventory *inv, const struct sk_aws_tag *tags, size_t n)
{
	struct sk_aws_tag *t;
	size_t i;

	if (!n)
		return NULL;
	t = sk_arena_alloc(&inv->arena, n * sizeof(*t));
	if (!t)
		return NULL;
	for (i = 0; i < n; i++) {
		t[i].key = sk_inventory_intern(inv, tags[i].key);
		t[i].value = sk_inventory_intern(inv, tags[i].value ? tags[i].value : "");
		if (!t[i].key || !t[i].value)
			return NULL;
	}
	return t;
}

#define INTERN(field)                                              \
	do {                                                       \
		if (in->field && !(out->field = sk_inventory_intern(inv, in->field))) \
			goto fail;                                 \
	} while (0)
#define DUP(field)                                                    \
	do {                                                          \
		if (in->field && !(out->field = sk_arena_strdup(&inv->arena, in->field))) \
			goto fail;                                    \
	} while (0)

struct sk_inv_instance *sk_inventory_add_instance(struct sk_inventory *inv, const struct sk_inv_instance *in)
{
	struct sk_inv_instance *out;
	size_t i;

	if (!in->id || !in->region) {
		sk_error_set(SK_ERR_INVALID, "an instance needs an id and a region");
		return NULL;
	}
	out = push((void **)&inv->instances, &inv->n_instances, &inv->cap_instances, sizeof(*out));
	if (!out)
		return NULL;
	*out = *in;
	INTERN(id);
	INTERN(region);
	DUP(arn);
	INTERN(engine);
	INTERN(status);
	INTERN(backup_window);
	INTERN(maintenance_window);
	INTERN(kms_key_id);
	DUP(aws_backup_arn);
	out->replications = NULL;
	if (in->n_replications) {
		out->replications = sk_arena_alloc(&inv->arena, in->n_replications * sizeof(*out->replications));
		if (!out->replications)
			goto fail;
		for (i = 0; i < in->n_replications; i++)
			if (!(out->replications[i] = sk_arena_strdup(&inv->arena, in->replications[i])))
				goto fail;
	}
	out->tags = copy_tags(inv, in->tags, in->n_tags);
	if (in->n_tags && !out->tags)
		goto fail;
	if (sk_inventory_add_region(inv, in->region) < 0)
		goto fail;
	return out;
fail:
	inv->n_instances--;
	return NULL;
}

struct sk_inv_snapshot *sk_inventory_add_snapshot(struct sk_inventory *inv, const struct sk_inv_snapshot *in)
{
	struct sk_inv_snapshot *out;

	if (!in->id || !in->region) {
		sk_error_set(SK_ERR_INVALID, "a snapshot needs an id and a region");
		return NULL;
	}
	out = push((void **)&inv->snapshots, &inv->n_snapshots, &inv->cap_snapshots, sizeof(*out));
	if (!out)
		return NULL;
	*out = *in;
	out->arn = out->arn_prefix = NULL;
	DUP(id);
	/* "arn:...:snapshot:<id>": only the id is stored; the prefix, the same for a region, is interned */
	if (in->arn) {
		size_t la = strlen(in->arn), li = strlen(in->id);
		if (la > li && in->arn[la - li - 1] == ':' && !strcmp(in->arn + la - li, in->id) && la - li < SK_ARN_MAX) {
			char prefix[SK_ARN_MAX];
			memcpy(prefix, in->arn, la - li);
			prefix[la - li] = '\0';
			if (!(out->arn_prefix = sk_inventory_intern(inv, prefix)))
				goto fail;
		} else {
			DUP(arn);
		}
	}
	INTERN(instance);
	INTERN(region);
	INTERN(status_text);
	INTERN(kms_key_id);
	INTERN(source_region);
	DUP(source_arn);
	out->tags = copy_tags(inv, in->tags, in->n_tags);
	if (in->n_tags && !out->tags)
		goto fail;
	if (!out->original_created)
		out->original_created = out->created;
	if (!out->instance)
		out->instance = sk_inventory_intern(inv, "");
	if (!out->status_text)
		out->status_text = sk_inventory_intern(inv, "unknown");
	if (sk_inventory_add_region(inv, in->region) < 0)
		goto fail;
	return out;
fail:
	inv->n_snapshots--;
	return NULL;
}

struct sk_inv_autobackup *sk_inventory_add_autobackup(struct sk_inventory *inv, const struct sk_inv_autobackup *in)
{
	struct sk_inv_autobackup *out;

	if (!in->region) {
		sk_error_set(SK_ERR_INVALID, "an automated backup needs a region");
		return NULL;
	}
	out = push((void **)&inv->autobackups, &inv->n_autobackups, &inv->cap_autobackups, sizeof(*out));
	if (!out)
		return NULL;
	*out = *in;
	DUP(arn);
	INTERN(region);
	INTERN(source_region);
	INTERN(instance);
	DUP(instance_arn);
	INTERN(status);
	INTERN(kms_key_id);
	return out;
fail:
	inv->n_autobackups--;
	return NULL;
}

#undef INTERN
#undef DUP

const char *sk_inv_snapshot_arn(const struct sk_inv_snapshot *s, char *buf, size_t len)
{
	int n;

	if (s->arn || !s->arn_prefix)
		return s->arn;
	n = snprintf(buf, len, "%s%s", s->arn_prefix, s->id);
	return n > 0 && (size_t)n < len ? buf : NULL;
}

enum sk_snap_status sk_snap_status_from(const char *s)
{
	if (!s)
		return SK_SNAP_UNKNOWN;
	if (!strcmp(s, "available"))
		return SK_SNAP_AVAILABLE;
	if (!strcmp(s, "creating") || !strcmp(s, "pending") || !strcmp(s, "copying") || !strcmp(s, "modifying") ||
	    !strcmp(s, "upgrading"))
		return SK_SNAP_CREATING;
	if (!strcmp(s, "deleting") || !strcmp(s, "deleted"))
		return SK_SNAP_DELETING;
	if (!strcmp(s, "failed") || !strcmp(s, "error") || !strncmp(s, "incompatible", 12))
		return SK_SNAP_FAILED;
	return SK_SNAP_UNKNOWN;
}

enum sk_snap_type sk_snap_type_from(const char *t)
{
	if (!t || !strcmp(t, "manual"))
		return SK_SNAP_MANUAL;
	if (!strcmp(t, "automated"))
		return SK_SNAP_AUTOMATED;
	return SK_SNAP_OTHER;
}

const char *sk_snap_type_name(enum sk_snap_type t)
{
	switch (t) {
	case SK_SNAP_MANUAL:
		return "manual";
	case SK_SNAP_AUTOMATED:
		return "automated";
	default:
		return "other";
	}
}

static int cmp_ptr_str(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a)
		return -1;
	if (!b)
		return 1;
	return strcmp(a, b);
}

static int cmp_instance(const void *pa, const void *pb)
{
	const struct sk_inv_instance *a = pa, *b = pb;
	int c = cmp_ptr_str(a->region, b->region);

	return c ? c : cmp_ptr_str(a->id, b->id);
}

static int cmp_snapshot(const void *pa, const void *pb)
{
	const struct sk_inv_snapshot *a = pa, *b = pb;
	int c = cmp_ptr_str(a->region, b->region);

	if (c)
		return c;
	if ((c = cmp_ptr_str(a->instance, b->instance)))
		return c;
	if (a->created != b->created)
		return a->created < b->created ? -1 : 1;
	return strcmp(a->id, b->id);
}

void sk_inventory_sort(struct sk_inventory *inv)
{
	if (inv->n_instances)
		qsort(inv->instances, inv->n_instances, sizeof(*inv->instances), cmp_instance);
	if (inv->n_snapshots)
		qsort(inv->snapshots, inv->n_snapshots, sizeof(*inv->snapshots), cmp_snapshot);
}

const struct sk_inv_instance *sk_inventory_find_instance(const struct sk_inventory *inv, const char *region,
							 const char *id)
{
	size_t lo = 0, hi = inv->n_instances;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sk_inv_instance *m = &inv->instances[mid];
		int c = strcmp(m->region, region);
		if (!c)
			c = strcmp(m->id, id);
		if (!c)
			return m;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* the first snapshot whose (region, instance) is not less than the key; with instance NULL, than the region */
static size_t snapshot_lower_bound(const struct sk_inventory *inv, const char *region, const char *instance,
				   bool after)
{
	size_t lo = 0, hi = inv->n_snapshots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sk_inv_snapshot *m = &inv->snapshots[mid];
		int c = strcmp(m->region, region);
		if (!c && instance)
			c = strcmp(m->instance, instance);
		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void sk_inventory_snapshot_range(const struct sk_inventory *inv, const char *region, const char *instance,
				 size_t *begin, size_t *end)
{
	*begin = snapshot_lower_bound(inv, region, instance, false);
	*end = snapshot_lower_bound(inv, region, instance, true);
}

void sk_inventory_instance_range(const struct sk_inventory *inv, const char *region, size_t *begin, size_t *end)
{
	size_t lo = 0, hi = inv->n_instances;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(inv->instances[mid].region, region) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*begin = lo;
	hi = inv->n_instances;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(inv->instances[mid].region, region) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*end = lo;
}

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
	char buf[SK_TIME_RFC3339_MAX];

	if (!t) {
		json_object_set_new(o, k, json_null());
		return;
	}
	sk_time_format_rfc3339(buf, t);
	json_object_set_new(o, k, json_string(buf));
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

int sk_inventory_write_json(const struct sk_inventory *inv, FILE *f)
{
	char ts[SK_TIME_RFC3339_MAX], arn[SK_ARN_MAX];
	json_t *regions = json_array();
	size_t i, j;

	sk_time_format_rfc3339(ts, inv->observed_at);
	for (i = 0; regions && i < inv->n_regions; i++)
		json_array_append_new(regions, json_string(inv->regions[i]));
	fprintf(f, "{\"format\": \"%s\",\n\"observedAt\": \"%s\",\n\"regions\": ", INVENTORY_FORMAT, ts);
	if (dump(regions, f) < 0)
		return -1;
	fputs(",\n\"instances\": [", f);
	for (i = 0; i < inv->n_instances; i++) {
		const struct sk_inv_instance *d = &inv->instances[i];
		json_t *o = json_object(), *reps = json_array();
		fputs(i ? ",\n" : "\n", f);
		set_str(o, "id", d->id);
		set_str(o, "region", d->region);
		set_str(o, "arn", d->arn);
		set_str(o, "engine", d->engine);
		set_str(o, "status", d->status);
		json_object_set_new(o, "backupRetentionPeriod", json_integer(d->retention));
		if (d->has_pending_retention)
			json_object_set_new(o, "pendingBackupRetentionPeriod", json_integer(d->pending_retention));
		set_str(o, "preferredBackupWindow", d->backup_window);
		set_str(o, "preferredMaintenanceWindow", d->maintenance_window);
		json_object_set_new(o, "copyTagsToSnapshot", json_boolean(d->copy_tags));
		json_object_set_new(o, "deletionProtection", json_boolean(d->deletion_protection));
		json_object_set_new(o, "storageEncrypted", json_boolean(d->encrypted));
		set_str(o, "kmsKeyId", d->kms_key_id);
		json_object_set_new(o, "allocatedGiB", json_integer(d->allocated_gib));
		set_str(o, "awsBackupRecoveryPointArn", d->aws_backup_arn);
		set_time(o, "latestRestorableTime", d->latest_restorable);
		for (j = 0; reps && j < d->n_replications; j++)
			json_array_append_new(reps, json_string(d->replications[j]));
		json_object_set_new(o, "replications", reps);
		json_object_set_new(o, "tags", tags_json(d->tags, d->n_tags));
		if (dump(o, f) < 0)
			return -1;
	}
	fputs("\n],\n\"snapshots\": [", f);
	for (i = 0; i < inv->n_snapshots; i++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[i];
		json_t *o = json_object();
		fputs(i ? ",\n" : "\n", f);
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
		if (dump(o, f) < 0)
			return -1;
	}
	fputs("\n],\n\"automatedBackups\": [", f);
	for (i = 0; i < inv->n_autobackups; i++) {
		const struct sk_inv_autobackup *b = &inv->autobackups[i];
		json_t *o = json_object();
		fputs(i ? ",\n" : "\n", f);
		set_str(o, "arn", b->arn);
		set_str(o, "region", b->region);
		set_str(o, "sourceRegion", b->source_region);
		set_str(o, "instance", b->instance);
		set_str(o, "instanceArn", b->instance_arn);
		set_str(o, "status", b->status);
		json_object_set_new(o, "backupRetentionPeriod", json_integer(b->retention));
		set_str(o, "kmsKeyId", b->kms_key_id);
		set_time(o, "earliest", b->earliest);
		set_time(o, "latest", b->latest);
		if (dump(o, f) < 0)
			return -1;
	}
	fputs("\n]}\n", f);
	if (ferror(f))
		return sk_error_set_errno(SK_ERR_OS, "cannot write the inventory");
	return 0;
}

/* ---- reading, streamed ----
 *
 * jansson parses every value; this reader only steps over the punctuation
 * of the top-level object and of its three big arrays ({ } [ ] , :), so a
 * million-snapshot file never becomes one jansson tree.
 */

struct reader {
	FILE *f;
	const char *path;
	char *buf;
	size_t len, pos, cap;
	bool eof;
	size_t line; /* of buf[pos], counted from 1 */
};

#define READ_CHUNK ((size_t)1 << 20)
#define ELEMENT_MAX ((size_t)64 << 20)
/* the buffer starts small and doubles; from 2 * READ_CHUNK on, reads are READ_CHUNK */
#define FIRST_BUFFER ((size_t)64 << 10)

static int fill(struct reader *r)
{
	size_t n;

	if (r->eof)
		return 0;
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (!r->cap || r->cap - r->len < (r->cap < 2 * READ_CHUNK ? r->cap / 2 : READ_CHUNK)) {
		size_t cap = r->cap ? r->cap * 2 : FIRST_BUFFER;
		char *b;
		if (cap > ELEMENT_MAX + 2 * READ_CHUNK)
			return sk_error_set(SK_ERR_INVALID, "%s:%zu: an element larger than %zu bytes", r->path, r->line,
					    ELEMENT_MAX);
		b = realloc(r->buf, cap);
		if (!b)
			return sk_error_set_oom();
		r->buf = b;
		r->cap = cap;
	}
	n = fread(r->buf + r->len, 1, r->cap - r->len, r->f);
	if (n == 0) {
		if (ferror(r->f))
			return sk_error_set_errno(SK_ERR_OS, "cannot read '%s'", r->path);
		r->eof = true;
	}
	r->len += n;
	return 0;
}

static void advance(struct reader *r, size_t n)
{
	const char *p = r->buf + r->pos, *end = p + n;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		r->line++;
		p++;
	}
	r->pos += n;
}

/* the next non-space character, not consumed; 0 at the end */
static int peek(struct reader *r, char *c)
{
	for (;;) {
		while (r->pos < r->len) {
			char ch = r->buf[r->pos];
			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
				advance(r, 1);
				continue;
			}
			*c = ch;
			return 0;
		}
		if (r->eof) {
			*c = 0;
			return 0;
		}
		if (fill(r) < 0)
			return -1;
	}
}

static int expect(struct reader *r, const char *chars, char *got)
{
	char c;

	if (peek(r, &c) < 0)
		return -1;
	if (!c || !strchr(chars, c)) {
		char found[16];
		if (c)
			snprintf(found, sizeof(found), (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f ? "'%c'" : "byte 0x%02x",
				 (unsigned char)c);
		else
			snprintf(found, sizeof(found), "the end");
		return sk_error_set(SK_ERR_INVALID, "%s:%zu: expected %s'%s', found %s%s", r->path, r->line,
				    strlen(chars) > 1 ? "one of " : "", chars, found, c ? "" : " of the file (truncated?)");
	}
	if (got)
		*got = c;
	advance(r, 1);
	return 0;
}

static int value(struct reader *r, json_t **out)
{
	json_error_t e;

	for (;;) {
		char c;
		if (peek(r, &c) < 0)
			return -1;
		*out = json_loadb(r->buf + r->pos, r->len - r->pos, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &e);
		if (*out) {
			advance(r, (size_t)e.position);
			return 0;
		}
		/*
		 * The value may run past what is buffered: jansson says so for a
		 * cut string or object, but a cut literal ("tr" of "true") or
		 * number reads as an invalid token at the very end.
		 */
		if (!r->eof && (json_error_code(&e) == json_error_premature_end_of_input ||
				(size_t)e.position + 64 >= r->len - r->pos)) {
			if (fill(r) < 0)
				return -1;
			continue;
		}
		return sk_error_set(SK_ERR_INVALID, "%s:%zu: %s", r->path, r->line + (size_t)(e.line > 0 ? e.line - 1 : 0),
				    e.text);
	}
}

/*
 * One element of an array being read: where it starts, what it is, for
 * errors ("inv.json:12: snapshot 'x': 'created' must be an RFC 3339 time").
 */
struct elem {
	const struct reader *r;
	size_t line;
	const char *what; /* "instance", "snapshot", "automated backup" */
	const char *name; /* its id, once known */
};

static int elem_error(const struct elem *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int elem_error(const struct elem *e, const char *fmt, ...)
{
	struct sk_buf b = SK_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	sk_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (e->name)
		rc = sk_error_set(SK_ERR_INVALID, "%s:%zu: %s '%s': %s", e->r->path, e->line, e->what, e->name,
				  sk_buf_cstr(&b));
	else
		rc = sk_error_set(SK_ERR_INVALID, "%s:%zu: %s: %s", e->r->path, e->line, e->what, sk_buf_cstr(&b));
	sk_buf_free(&b);
	return rc;
}

/* a short rendering of a bad value for an error message */
static const char *shown(const json_t *v, char out[48])
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!t)
		snprintf(out, 48, "?");
	else if (strlen(t) > 40)
		snprintf(out, 48, "%.40s...", t);
	else
		snprintf(out, 48, "%s", t);
	free(t);
	return out;
}

/* a string field; absent or null leaves *out NULL, unless required */
static int field_str(json_t *o, const char *k, bool required, const char **out, const struct elem *e)
{
	json_t *v = json_object_get(o, k);
	char b[48];

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? elem_error(e, "'%s' is required", k) : 0;
	if (!json_is_string(v))
		return elem_error(e, "'%s' must be a string, got %s", k, shown(v, b));
	if (required && !*json_string_value(v))
		return elem_error(e, "'%s' must not be empty", k);
	*out = json_string_value(v);
	return 0;
}

/* an integer field in [min, max]; absent or null gives dflt */
static int field_int(json_t *o, const char *k, json_int_t min, json_int_t max, json_int_t dflt, json_int_t *out,
		     const struct elem *e)
{
	json_t *v = json_object_get(o, k);
	char b[48];

	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return elem_error(e, "'%s' must be an integer %lld..%lld, got %s", k, (long long)min, (long long)max,
				  shown(v, b));
	*out = json_integer_value(v);
	return 0;
}

static int field_bool(json_t *o, const char *k, bool *out, const struct elem *e)
{
	json_t *v = json_object_get(o, k);
	char b[48];

	*out = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return elem_error(e, "'%s' must be true or false, got %s", k, shown(v, b));
	*out = json_is_true(v);
	return 0;
}

static int field_time(json_t *o, const char *k, int64_t *out, const struct elem *e)
{
	json_t *v = json_object_get(o, k);
	char b[48];

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || sk_time_parse_rfc3339(out, json_string_value(v)) < 0)
		return elem_error(e, "'%s' must be an RFC 3339 time (as 2026-01-01T03:00:00Z), got %s", k, shown(v, b));
	return 0;
}

struct tagbuf {
	struct sk_aws_tag *t;
	size_t n, cap;
};

static int read_tags(json_t *o, struct tagbuf *tb, const struct elem *e)
{
	json_t *tags = json_object_get(o, "tags"), *v;
	const char *k;
	char b[48];

	tb->n = 0;
	if (!tags || json_is_null(tags))
		return 0;
	if (!json_is_object(tags))
		return elem_error(e, "'tags' must be an object of strings, got %s", shown(tags, b));
	json_object_foreach(tags, k, v) {
		if (!json_is_string(v))
			return elem_error(e, "tag '%s' must be a string, got %s", k, shown(v, b));
		if (tb->n == tb->cap) {
			size_t cap = tb->cap ? tb->cap * 2 : 16;
			struct sk_aws_tag *t = realloc(tb->t, cap * sizeof(*t));
			if (!t)
				return sk_error_set_oom();
			tb->t = t;
			tb->cap = cap;
		}
		tb->t[tb->n].key = k;
		tb->t[tb->n].value = json_string_value(v);
		tb->n++;
	}
	return 0;
}

#define INT_MAX_GIB 4294967295LL

static int read_instance(struct sk_inventory *inv, json_t *o, struct tagbuf *tb, struct elem *e)
{
	struct sk_inv_instance d;
	json_t *reps = json_object_get(o, "replications"), *v;
	const char *arns[64];
	json_int_t n;
	size_t i;
	char b[48];

	memset(&d, 0, sizeof(d));
	e->what = "instance";
	if (!json_is_object(o))
		return elem_error(e, "must be an object, got %s", shown(o, b));
	if (field_str(o, "id", true, &d.id, e) < 0)
		return -1;
	e->name = d.id;
	if (field_str(o, "region", true, &d.region, e) < 0 || field_str(o, "arn", false, &d.arn, e) < 0 ||
	    field_str(o, "engine", false, &d.engine, e) < 0 || field_str(o, "status", false, &d.status, e) < 0 ||
	    field_str(o, "preferredBackupWindow", false, &d.backup_window, e) < 0 ||
	    field_str(o, "preferredMaintenanceWindow", false, &d.maintenance_window, e) < 0 ||
	    field_str(o, "kmsKeyId", false, &d.kms_key_id, e) < 0 ||
	    field_str(o, "awsBackupRecoveryPointArn", false, &d.aws_backup_arn, e) < 0 ||
	    field_bool(o, "copyTagsToSnapshot", &d.copy_tags, e) < 0 ||
	    field_bool(o, "deletionProtection", &d.deletion_protection, e) < 0 ||
	    field_bool(o, "storageEncrypted", &d.encrypted, e) < 0 ||
	    field_time(o, "latestRestorableTime", &d.latest_restorable, e) < 0)
		return -1;
	/* a hand-written file may leave the status out: the instance is there, so take it as available */
	if (!d.status)
		d.status = "available";
	if (field_int(o, "backupRetentionPeriod", 0, 35, 0, &n, e) < 0)
		return -1;
	d.retention = (int)n;
	if (field_int(o, "pendingBackupRetentionPeriod", 0, 35, -1, &n, e) < 0)
		return -1;
	d.has_pending_retention = n >= 0;
	d.pending_retention = n >= 0 ? (int)n : 0;
	if (field_int(o, "allocatedGiB", 0, INT32_MAX, 0, &n, e) < 0)
		return -1;
	d.allocated_gib = (int)n;
	if (reps && !json_is_null(reps) && !json_is_array(reps))
		return elem_error(e, "'replications' must be an array of ARNs, got %s", shown(reps, b));
	json_array_foreach(reps, i, v) {
		if (!json_is_string(v))
			return elem_error(e, "'replications' must be an array of ARNs, got %s", shown(v, b));
		if (i >= sizeof(arns) / sizeof(arns[0]))
			return elem_error(e, "more than %zu replications", sizeof(arns) / sizeof(arns[0]));
		arns[i] = json_string_value(v);
		d.n_replications = i + 1;
	}
	d.replications = arns;
	if (read_tags(o, tb, e) < 0)
		return -1;
	d.tags = tb->t;
	d.n_tags = tb->n;
	return sk_inventory_add_instance(inv, &d) ? 0 : -1;
}

static int read_snapshot(struct sk_inventory *inv, json_t *o, struct tagbuf *tb, struct elem *e)
{
	struct sk_inv_snapshot s;
	const char *type;
	json_int_t n;
	bool enc;
	char b[48];

	memset(&s, 0, sizeof(s));
	e->what = "snapshot";
	if (!json_is_object(o))
		return elem_error(e, "must be an object, got %s", shown(o, b));
	if (field_str(o, "id", true, &s.id, e) < 0)
		return -1;
	e->name = s.id;
	/* type and status decide what may be deleted: no default for them */
	if (field_str(o, "region", true, &s.region, e) < 0 || field_str(o, "instance", true, &s.instance, e) < 0 ||
	    field_str(o, "type", true, &type, e) < 0 || field_str(o, "status", true, &s.status_text, e) < 0 ||
	    field_str(o, "arn", false, &s.arn, e) < 0 || field_str(o, "kmsKeyId", false, &s.kms_key_id, e) < 0 ||
	    field_str(o, "sourceRegion", false, &s.source_region, e) < 0 ||
	    field_str(o, "sourceArn", false, &s.source_arn, e) < 0 || field_time(o, "created", &s.created, e) < 0 ||
	    field_time(o, "originalCreated", &s.original_created, e) < 0 || field_bool(o, "encrypted", &enc, e) < 0 ||
	    field_int(o, "allocatedGiB", 0, INT_MAX_GIB, 0, &n, e) < 0)
		return -1;
	s.type = (uint8_t)sk_snap_type_from(type);
	s.status = (uint8_t)sk_snap_status_from(s.status_text);
	s.encrypted = enc;
	s.allocated_gib = (uint32_t)n;
	if (read_tags(o, tb, e) < 0)
		return -1;
	if (tb->n > UINT16_MAX)
		return elem_error(e, "more than %u tags", (unsigned)UINT16_MAX);
	s.tags = tb->t;
	s.n_tags = (uint16_t)tb->n;
	return sk_inventory_add_snapshot(inv, &s) ? 0 : -1;
}

static int read_autobackup(struct sk_inventory *inv, json_t *o, struct elem *e)
{
	struct sk_inv_autobackup a;
	json_int_t n;
	char b[48];

	memset(&a, 0, sizeof(a));
	e->what = "automated backup";
	if (!json_is_object(o))
		return elem_error(e, "must be an object, got %s", shown(o, b));
	if (field_str(o, "arn", false, &a.arn, e) < 0)
		return -1;
	e->name = a.arn;
	if (field_str(o, "region", true, &a.region, e) < 0 || field_str(o, "sourceRegion", false, &a.source_region, e) < 0 ||
	    field_str(o, "instance", false, &a.instance, e) < 0 ||
	    field_str(o, "instanceArn", false, &a.instance_arn, e) < 0 ||
	    field_str(o, "status", false, &a.status, e) < 0 || field_str(o, "kmsKeyId", false, &a.kms_key_id, e) < 0 ||
	    field_time(o, "earliest", &a.earliest, e) < 0 || field_time(o, "latest", &a.latest, e) < 0 ||
	    field_int(o, "backupRetentionPeriod", 0, 35, 0, &n, e) < 0)
		return -1;
	a.retention = (int)n;
	return sk_inventory_add_autobackup(inv, &a) ? 0 : -1;
}

int sk_inventory_read_json(struct sk_inventory **out, const char *path)
{
	FILE *f;
	int rc;

	*out = NULL;
	f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		return sk_error_set_errno(SK_ERR_OS, "cannot open inventory '%s'", path);
	rc = sk_inventory_read_stream(out, f, path);
	if (f != stdin)
		fclose(f);
	return rc;
}

int sk_inventory_read_stream(struct sk_inventory **out, FILE *f, const char *name)
{
	struct reader r;
	struct sk_inventory *inv = NULL;
	struct tagbuf tb = { NULL, 0, 0 };
	json_t *key = NULL, *v = NULL;
	bool format_ok = false, regions_listed = false;
	const char *path = name;
	char c, b[48];
	int rc = -1;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.path = name;
	r.line = 1;
	r.f = f;
	if (sk_inventory_new(&inv) < 0)
		goto done;
	if (expect(&r, "{", NULL) < 0)
		goto done;
	if (peek(&r, &c) < 0)
		goto done;
	if (c == '}') {
		advance(&r, 1);
		goto end;
	}
	for (;;) {
		const char *k;
		size_t line;

		if (peek(&r, &c) < 0)
			goto done;
		line = r.line;
		if (c != '"') {
			sk_error_set(SK_ERR_INVALID, "%s:%zu: expected a key (a string in double quotes)", path, line);
			goto done;
		}
		if (value(&r, &key) < 0)
			goto done;
		k = json_string_value(key);
		if (expect(&r, ":", NULL) < 0)
			goto done;
		if (!strcmp(k, "instances") || !strcmp(k, "snapshots") || !strcmp(k, "automatedBackups")) {
			if (peek(&r, &c) < 0)
				goto done;
			if (c != '[') {
				sk_error_set(SK_ERR_INVALID, "%s:%zu: '%s' must be an array", path, r.line, k);
				goto done;
			}
			advance(&r, 1);
			if (peek(&r, &c) < 0)
				goto done;
			if (c == ']') {
				advance(&r, 1);
			} else {
				for (;;) {
					struct elem el;
					int e;
					if (peek(&r, &c) < 0)
						goto done;
					memset(&el, 0, sizeof(el));
					el.r = &r;
					el.line = r.line;
					if (value(&r, &v) < 0)
						goto done;
					if (k[0] == 'i')
						e = read_instance(inv, v, &tb, &el);
					else if (k[0] == 's')
						e = read_snapshot(inv, v, &tb, &el);
					else
						e = read_autobackup(inv, v, &el);
					json_decref(v);
					v = NULL;
					if (e < 0)
						goto done;
					if (expect(&r, ",]", &c) < 0)
						goto done;
					if (c == ']')
						break;
				}
			}
		} else {
			if (peek(&r, &c) < 0)
				goto done;
			line = r.line;
			if (value(&r, &v) < 0)
				goto done;
			if (!strcmp(k, "format")) {
				if (!json_is_string(v) || strcmp(json_string_value(v), INVENTORY_FORMAT)) {
					sk_error_set(SK_ERR_INVALID, "%s:%zu: not a %s file (format is %s)", path, line,
						     INVENTORY_FORMAT, shown(v, b));
					goto done;
				}
				format_ok = true;
			} else if (!strcmp(k, "observedAt")) {
				if (!json_is_string(v) || sk_time_parse_rfc3339(&inv->observed_at, json_string_value(v)) < 0) {
					sk_error_set(SK_ERR_INVALID,
						     "%s:%zu: 'observedAt' must be an RFC 3339 time (as 2026-01-01T03:00:00Z), got %s",
						     path, line, shown(v, b));
					goto done;
				}
			} else if (!strcmp(k, "regions")) {
				size_t i;
				json_t *reg;
				if (!json_is_array(v)) {
					sk_error_set(SK_ERR_INVALID, "%s:%zu: 'regions' must be an array of region names", path,
						     line);
					goto done;
				}
				json_array_foreach(v, i, reg) {
					if (!json_is_string(reg) || !*json_string_value(reg)) {
						sk_error_set(SK_ERR_INVALID, "%s:%zu: 'regions' must be an array of region names, got %s",
							     path, line, shown(reg, b));
						goto done;
					}
					if (sk_inventory_add_region(inv, json_string_value(reg)) < 0)
						goto done;
				}
				regions_listed = true;
			}
			/* unknown keys are ignored, as the format promises */
			json_decref(v);
			v = NULL;
		}
		json_decref(key);
		key = NULL;
		if (expect(&r, ",}", &c) < 0)
			goto done;
		if (c == '}')
			break;
	}
end:
	if (peek(&r, &c) < 0)
		goto done;
	if (c) {
		sk_error_set(SK_ERR_INVALID, "%s:%zu: text after the end of the inventory", path, r.line);
		goto done;
	}
	if (!format_ok) {
		sk_error_set(SK_ERR_INVALID, "%s: no \"format\": \"%s\" field", path, INVENTORY_FORMAT);
		goto done;
	}
	/* without a "regions" list, the file speaks for every region: one it does not mention is empty */
	inv->every_region = !regions_listed;
	sk_inventory_sort(inv);
	*out = inv;
	inv = NULL;
	rc = 0;
done:
	json_decref(key);
	json_decref(v);
	free(tb.t);
	free(r.buf);
	sk_inventory_free(inv);
	return rc;
}
