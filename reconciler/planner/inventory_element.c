/*
 * inventory_element.c - one element of a snapkeep-inventory/v1 file, from its events
 */
#include "reconciler/planner/inventory_element.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/array.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"
#include "common/timeutil.h"

#define MAX_REPLICATIONS 64
#define INT_MAX_GIB 4294967295LL

/* the fields of the three kinds of element, with their keys */
#define FIELDS(X)                                                                                     \
	X(F_ID, "id") X(F_REGION, "region") X(F_ARN, "arn") X(F_ENGINE, "engine") X(F_STATUS, "status") \
	X(F_RETENTION, "backupRetentionPeriod") X(F_PENDING_RETENTION, "pendingBackupRetentionPeriod")  \
	X(F_BACKUP_WINDOW, "preferredBackupWindow") X(F_MAINTENANCE_WINDOW, "preferredMaintenanceWindow") \
	X(F_COPY_TAGS, "copyTagsToSnapshot") X(F_DELETION_PROTECTION, "deletionProtection")              \
	X(F_STORAGE_ENCRYPTED, "storageEncrypted") X(F_KMS_KEY_ID, "kmsKeyId")                           \
	X(F_ALLOCATED_GIB, "allocatedGiB") X(F_AWS_BACKUP_ARN, "awsBackupRecoveryPointArn")              \
	X(F_LATEST_RESTORABLE, "latestRestorableTime") X(F_REPLICATIONS, "replications") X(F_TAGS, "tags") \
	X(F_INSTANCE, "instance") X(F_TYPE, "type") X(F_CREATED, "created")                               \
	X(F_ORIGINAL_CREATED, "originalCreated") X(F_ENCRYPTED, "encrypted")                              \
	X(F_SOURCE_REGION, "sourceRegion") X(F_SOURCE_ARN, "sourceArn") X(F_INSTANCE_ARN, "instanceArn")  \
	X(F_EARLIEST, "earliest") X(F_LATEST, "latest") X(F_CLUSTER_ID, "dbClusterIdentifier") X(F_CLUSTER, "cluster")

#define ENUM(f, s) f,
enum field { FIELDS(ENUM) N_FIELDS };
#undef ENUM
#define NAME(f, s) [f] = { s, sizeof(s) - 1 },
static const struct {
	const char *name;
	size_t len;
} field_names[N_FIELDS] = { FIELDS(NAME) };
#undef NAME

struct sk_inv_element;

/* the three arrays of elements; each lists its fields in the order the writer puts them, tried in turn first */
struct sk_inv_element_kind {
	const char *what; /* for errors: "instance", "snapshot", "automated backup" */
	const char *key;  /* the top-level key of its array */
	const enum field *fields;
	size_t n_fields;
	int (*finish)(struct sk_inv_element *e);
};

static const enum field instance_fields[] = {
	F_ID, F_REGION, F_ARN, F_ENGINE, F_STATUS, F_RETENTION, F_PENDING_RETENTION, F_BACKUP_WINDOW,
	F_MAINTENANCE_WINDOW, F_COPY_TAGS, F_DELETION_PROTECTION, F_STORAGE_ENCRYPTED, F_KMS_KEY_ID,
	F_ALLOCATED_GIB, F_AWS_BACKUP_ARN, F_LATEST_RESTORABLE, F_REPLICATIONS, F_TAGS, F_CLUSTER_ID, F_CLUSTER,
};
static const enum field snapshot_fields[] = {
	F_ID, F_ARN, F_INSTANCE, F_REGION, F_TYPE, F_STATUS, F_CREATED, F_ORIGINAL_CREATED,
	F_ENCRYPTED, F_KMS_KEY_ID, F_ALLOCATED_GIB, F_SOURCE_REGION, F_SOURCE_ARN, F_TAGS, F_CLUSTER,
};
static const enum field autobackup_fields[] = {
	F_ARN, F_REGION, F_SOURCE_REGION, F_INSTANCE, F_INSTANCE_ARN, F_STATUS, F_RETENTION, F_KMS_KEY_ID,
	F_EARLIEST, F_LATEST,
};

static int finish_instance(struct sk_inv_element *e);
static int finish_snapshot(struct sk_inv_element *e);
static int finish_autobackup(struct sk_inv_element *e);

#define KIND(what, key, fields, finish) { what, key, fields, sizeof(fields) / sizeof(fields[0]), finish }
static const struct sk_inv_element_kind kinds[] = {
	KIND("instance", "instances", instance_fields, finish_instance),
	KIND("snapshot", "snapshots", snapshot_fields, finish_snapshot),
	KIND("automated backup", "automatedBackups", autobackup_fields, finish_autobackup),
};
#undef KIND

/* a value as it came: its kind (0: absent), and for strings and numbers its text, NUL-terminated, in txt */
#define ABSENT 0
struct val {
	uint32_t kind; /* enum sk_json_kind */
	uint32_t off, len;
};

struct tag {
	uint32_t key, key_len; /* in txt */
	struct val v;
};

enum where {
	IN_ELEMENT, /* its own keys */
	IN_TAGS,    /* its "tags" */
	IN_REPS,    /* an instance's "replications" */
};

struct sk_inv_element {
	struct sk_inventory *inv;
	const char *path;
	const struct sk_inv_element_kind *kind;
	size_t line;
	const char *name; /* its id, once checked */
	enum where where;
	size_t skip;      /* > 0: inside a value stepped over, this deep */
	int field;        /* the known field whose value comes next, -1 for another key */
	size_t guess;     /* its position in kind->fields, to try the next one first */
	struct val v[N_FIELDS];
	struct tag *tags; /* as they came, a repeated key keeping its place and taking the last value, as jansson did */
	size_t n_tags, cap_tags, cur_tag;
	size_t *tag_index; /* with many tags: open addressing over tag numbers + 1 */
	size_t cap_index;
	struct val reps[MAX_REPLICATIONS + 1]; /* one more, to tell "more than 64" */
	size_t n_reps;
	char *txt; /* the element's text: strings and numbers, each NUL-terminated */
	size_t txt_len, cap_txt;
	struct sk_aws_tag *tagv; /* the checked tags, handed to the inventory */
	size_t cap_tagv;
};

const struct sk_inv_element_kind *sk_inv_element_kind_of(const char *k, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].key) == len && !memcmp(kinds[i].key, k, len))
			return &kinds[i];
	return NULL;
}

const char *sk_inv_element_kind_key(const struct sk_inv_element_kind *kind)
{
	return kind->key;
}

int sk_inv_element_new(struct sk_inv_element **out, struct sk_inventory *inv, const char *path)
{
	struct sk_inv_element *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (!e)
		return sk_error_set_oom();
	e->inv = inv;
	e->path = path;
	*out = e;
	return 0;
}

void sk_inv_element_free(struct sk_inv_element *e)
{
	if (!e)
		return;
	free(e->txt);
	free(e->tags);
	free(e->tag_index);
	free(e->tagv);
	free(e);
}

/* a value's kept text; "" for one that keeps none (an array or object: nothing kept yet, txt may be NULL) */
static const char *text(const struct sk_inv_element *e, const struct val *v)
{
	return e->txt ? e->txt + v->off : "";
}

/* keeps s[0..len) with a NUL after it; its offset in *off */
static int keep(struct sk_inv_element *e, const char *s, size_t len, uint32_t *off)
{
	/* an element is at most 64 MiB (inventory_json.c sees to it): its offsets fit 32 bits */
	if (len >= UINT32_MAX - e->txt_len || SK_ARRAY_GROW(e->txt, e->cap_txt, e->txt_len + len + 1) < 0)
		return sk_error_set_oom();
	*off = (uint32_t)e->txt_len;
	if (len)
		memcpy(e->txt + e->txt_len, s, len);
	e->txt[e->txt_len + len] = '\0';
	e->txt_len += len + 1;
	return 0;
}

/* a short rendering of a value for an error message: the JSON text for scalars, "an object" and "an array" */
const char *sk_json_shown(enum sk_json_kind kind, const char *s, size_t len, char out[48])
{
	char *t = NULL;
	const char *what;
	json_t *j;

	switch (kind) {
	case SK_JSON_NULL:
		what = "null";
		break;
	case SK_JSON_FALSE:
		what = "false";
		break;
	case SK_JSON_TRUE:
		what = "true";
		break;
	case SK_JSON_OBJECT:
		what = "an object";
		break;
	case SK_JSON_ARRAY:
		what = "an array";
		break;
	case SK_JSON_NUMBER:
		what = t = strndup(s, len);
		break;
	case SK_JSON_STRING:
		j = json_stringn(s, len);
		what = t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
		json_decref(j);
		break;
	default:
		what = NULL;
	}
	if (!what)
		sk_strlcpy(out, "?", 48);
	else if (strlen(what) > 40)
		snprintf(out, 48, "%.40s...", what);
	else
		sk_strlcpy(out, what, 48);
	free(t);
	return out;
}

static const char *shown_val(const struct sk_inv_element *e, const struct val *v, char out[48])
{
	return sk_json_shown(v->kind, text(e, v), v->len, out);
}

/* "inv.json:12: snapshot 'x': 'created' must be an RFC 3339 time" */
static int element_error(const struct sk_inv_element *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int element_error(const struct sk_inv_element *e, const char *fmt, ...)
{
	struct sk_buf b = SK_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	sk_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (e->name)
		rc = sk_error_set(SK_ERR_INVALID, "%s:%zu: %s '%s': %s", e->path, e->line, e->kind->what, e->name,
				  sk_buf_cstr(&b));
	else
		rc = sk_error_set(SK_ERR_INVALID, "%s:%zu: %s: %s", e->path, e->line, e->kind->what, sk_buf_cstr(&b));
	sk_buf_free(&b);
	return rc;
}

/* ---- checked when the element closes ---- */

/* "'<name>' must be <what>, got <v as shown>" */
static int must_be(const struct sk_inv_element *e, const char *name, const char *what, const struct val *v)
{
	char b[48];

	return element_error(e, "'%s' must be %s, got %s", name, what, shown_val(e, v, b));
}

/* a string field; absent or null leaves *out NULL, unless required */
static int field_str(struct sk_inv_element *e, enum field f, bool required, const char **out)
{
	const struct val *v = &e->v[f];
	const char *k = field_names[f].name;

	*out = NULL;
	if (v->kind == ABSENT || v->kind == SK_JSON_NULL)
		return required ? element_error(e, "'%s' is required", k) : 0;
	if (v->kind != SK_JSON_STRING)
		return must_be(e, k, "a string", v);
	if (required && !v->len)
		return element_error(e, "'%s' must not be empty", k);
	*out = text(e, v);
	return 0;
}

/* a JSON number (yajl checked its form) that is an integer a long long holds */
static bool integer_of(const char *s, long long *out)
{
	char *end;

	if (strpbrk(s, ".eE"))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !errno && !*end;
}

/* an integer field in [min, max]; absent or null gives dflt */
static int field_int(struct sk_inv_element *e, enum field f, long long min, long long max, long long dflt, long long *out)
{
	const struct val *v = &e->v[f];
	char what[64];

	*out = dflt;
	if (v->kind == ABSENT || v->kind == SK_JSON_NULL)
		return 0;
	if (v->kind != SK_JSON_NUMBER || !integer_of(text(e, v), out) || *out < min || *out > max) {
		snprintf(what, sizeof(what), "an integer %lld..%lld", min, max);
		return must_be(e, field_names[f].name, what, v);
	}
	return 0;
}

static int field_bool(struct sk_inv_element *e, enum field f, bool *out)
{
	const struct val *v = &e->v[f];

	*out = false;
	if (v->kind == ABSENT || v->kind == SK_JSON_NULL)
		return 0;
	if (v->kind != SK_JSON_TRUE && v->kind != SK_JSON_FALSE)
		return must_be(e, field_names[f].name, "true or false", v);
	*out = v->kind == SK_JSON_TRUE;
	return 0;
}

static int field_time(struct sk_inv_element *e, enum field f, int64_t *out)
{
	const struct val *v = &e->v[f];

	*out = 0;
	if (v->kind == ABSENT || v->kind == SK_JSON_NULL)
		return 0;
	if (v->kind != SK_JSON_STRING || sk_time_parse_rfc3339(out, text(e, v)) < 0)
		return must_be(e, field_names[f].name, "an RFC 3339 time (as 2026-01-01T03:00:00Z)", v);
	return 0;
}

/* the element's tags, checked, into e->tagv */
static int field_tags(struct sk_inv_element *e, size_t *n)
{
	const struct val *v = &e->v[F_TAGS];
	size_t i;
	char b[48];

	*n = 0;
	if (v->kind == ABSENT || v->kind == SK_JSON_NULL)
		return 0;
	if (v->kind != SK_JSON_OBJECT)
		return must_be(e, "tags", "an object of strings", v);
	if (SK_ARRAY_GROW(e->tagv, e->cap_tagv, e->n_tags) < 0)
		return -1;
	for (i = 0; i < e->n_tags; i++) {
		const struct tag *t = &e->tags[i];
		if (t->v.kind != SK_JSON_STRING)
			return element_error(e, "tag '%s' must be a string, got %s", e->txt + t->key,
					     shown_val(e, &t->v, b));
		e->tagv[i].key = e->txt + t->key;
		e->tagv[i].value = text(e, &t->v);
	}
	*n = e->n_tags;
	return 0;
}

/* the field that names the element: errors on the fields read after it quote it */
static int field_name(struct sk_inv_element *e, enum field f, bool required, const char **out)
{
	if (field_str(e, f, required, out) < 0)
		return -1;
	e->name = *out;
	return 0;
}

static int finish_instance(struct sk_inv_element *e)
{
	struct sk_inv_instance d;
	const char *arns[MAX_REPLICATIONS];
	const struct val *reps = &e->v[F_REPLICATIONS];
	long long n;
	size_t i;

	memset(&d, 0, sizeof(d));
	if (field_name(e, F_ID, true, &d.id) < 0 ||
	    field_str(e, F_REGION, true, &d.region) < 0 || field_str(e, F_ARN, false, &d.arn) < 0 ||
	    field_str(e, F_ENGINE, false, &d.engine) < 0 || field_str(e, F_STATUS, false, &d.status) < 0 ||
	    field_str(e, F_BACKUP_WINDOW, false, &d.backup_window) < 0 ||
	    field_str(e, F_MAINTENANCE_WINDOW, false, &d.maintenance_window) < 0 ||
	    field_str(e, F_KMS_KEY_ID, false, &d.kms_key_id) < 0 ||
	    field_str(e, F_AWS_BACKUP_ARN, false, &d.aws_backup_arn) < 0 ||
	    field_bool(e, F_COPY_TAGS, &d.copy_tags) < 0 ||
	    field_bool(e, F_DELETION_PROTECTION, &d.deletion_protection) < 0 ||
	    field_bool(e, F_STORAGE_ENCRYPTED, &d.encrypted) < 0 ||
	    field_time(e, F_LATEST_RESTORABLE, &d.latest_restorable) < 0 ||
	    field_str(e, F_CLUSTER_ID, false, &d.cluster) < 0 || field_bool(e, F_CLUSTER, &d.is_cluster) < 0)
		return -1;
	/* a hand-written file may leave the status out: the instance is there, so take it as available */
	if (!d.status)
		d.status = "available";
	if (field_int(e, F_RETENTION, 0, 35, 0, &n) < 0)
		return -1;
	d.retention = (int)n;
	if (field_int(e, F_PENDING_RETENTION, 0, 35, -1, &n) < 0)
		return -1;
	d.has_pending_retention = n >= 0;
	d.pending_retention = n >= 0 ? (int)n : 0;
	if (field_int(e, F_ALLOCATED_GIB, 0, INT32_MAX, 0, &n) < 0)
		return -1;
	d.allocated_gib = (int)n;
	if (reps->kind != ABSENT && reps->kind != SK_JSON_NULL && reps->kind != SK_JSON_ARRAY)
		return must_be(e, "replications", "an array of ARNs", reps);
	for (i = 0; reps->kind == SK_JSON_ARRAY && i < e->n_reps; i++) {
		if (e->reps[i].kind != SK_JSON_STRING)
			return must_be(e, "replications", "an array of ARNs", &e->reps[i]);
		if (i >= MAX_REPLICATIONS)
			return element_error(e, "more than %d replications", MAX_REPLICATIONS);
		arns[i] = text(e, &e->reps[i]);
		d.n_replications = i + 1;
	}
	d.replications = arns;
	if (field_tags(e, &d.n_tags) < 0)
		return -1;
	d.tags = e->tagv;
	return sk_inventory_add_instance(e->inv, &d) ? 0 : -1;
}

static int finish_snapshot(struct sk_inv_element *e)
{
	struct sk_inv_snapshot s;
	const char *type;
	long long n;
	size_t n_tags;
	bool enc;

	memset(&s, 0, sizeof(s));
	/* type and status decide what may be deleted: no default for them */
	if (field_name(e, F_ID, true, &s.id) < 0 ||
	    field_str(e, F_REGION, true, &s.region) < 0 || field_str(e, F_INSTANCE, true, &s.instance) < 0 ||
	    field_str(e, F_TYPE, true, &type) < 0 || field_str(e, F_STATUS, true, &s.status_text) < 0 ||
	    field_str(e, F_ARN, false, &s.arn) < 0 || field_str(e, F_KMS_KEY_ID, false, &s.kms_key_id) < 0 ||
	    field_str(e, F_SOURCE_REGION, false, &s.source_region) < 0 ||
	    field_str(e, F_SOURCE_ARN, false, &s.source_arn) < 0 || field_time(e, F_CREATED, &s.created) < 0 ||
	    field_time(e, F_ORIGINAL_CREATED, &s.original_created) < 0 || field_bool(e, F_ENCRYPTED, &enc) < 0 ||
	    field_int(e, F_ALLOCATED_GIB, 0, INT_MAX_GIB, 0, &n) < 0 || field_bool(e, F_CLUSTER, &s.cluster) < 0)
		return -1;
	s.type = (uint8_t)sk_snap_type_from(type);
	s.status = (uint8_t)sk_snap_status_from(s.status_text);
	s.encrypted = enc;
	s.allocated_gib = (uint32_t)n;
	if (field_tags(e, &n_tags) < 0)
		return -1;
	if (n_tags > UINT16_MAX)
		return element_error(e, "more than %u tags", (unsigned)UINT16_MAX);
	s.tags = e->tagv;
	s.n_tags = (uint16_t)n_tags;
	return sk_inventory_add_snapshot(e->inv, &s) ? 0 : -1;
}

static int finish_autobackup(struct sk_inv_element *e)
{
	struct sk_inv_autobackup a;
	long long n;

	memset(&a, 0, sizeof(a));
	if (field_name(e, F_ARN, false, &a.arn) < 0 ||
	    field_str(e, F_REGION, true, &a.region) < 0 || field_str(e, F_SOURCE_REGION, false, &a.source_region) < 0 ||
	    field_str(e, F_INSTANCE, false, &a.instance) < 0 ||
	    field_str(e, F_INSTANCE_ARN, false, &a.instance_arn) < 0 ||
	    field_str(e, F_STATUS, false, &a.status) < 0 || field_str(e, F_KMS_KEY_ID, false, &a.kms_key_id) < 0 ||
	    field_time(e, F_EARLIEST, &a.earliest) < 0 || field_time(e, F_LATEST, &a.latest) < 0 ||
	    field_int(e, F_RETENTION, 0, 35, 0, &n) < 0)
		return -1;
	a.retention = (int)n;
	return sk_inventory_add_autobackup(e->inv, &a) ? 0 : -1;
}

/* ---- collecting the values as they come ---- */

int sk_inv_element_begin(struct sk_inv_element *e, const struct sk_inv_element_kind *kind, size_t line,
			 enum sk_json_kind value, const char *s, size_t len)
{
	char b[48];

	memset(e->v, 0, sizeof(e->v));
	e->kind = kind;
	e->line = line;
	e->name = NULL;
	e->where = IN_ELEMENT;
	e->skip = 0;
	e->field = -1;
	e->guess = 0;
	e->n_tags = 0;
	e->n_reps = 0;
	e->txt_len = 0;
	if (value != SK_JSON_OBJECT)
		return element_error(e, "must be an object, got %s", sk_json_shown(value, s, len, b));
	return 0;
}

/* the known field named k[0..len), -1 for another key */
static int field_of(struct sk_inv_element *e, const char *k, size_t len)
{
	const struct sk_inv_element_kind *ek = e->kind;
	size_t i, at;

	/* keys mostly come in the writer's order: try the one after the last first */
	for (i = 0, at = e->guess; i < ek->n_fields; i++, at = at + 1 < ek->n_fields ? at + 1 : 0) {
		enum field f = ek->fields[at];
		if (field_names[f].len == len && field_names[f].name[0] == k[0] && !memcmp(field_names[f].name, k, len)) {
			e->guess = at + 1 < ek->n_fields ? at + 1 : 0;
			return (int)f;
		}
	}
	return -1;
}

static size_t hash_of(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (len--) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static bool tag_is(const struct sk_inv_element *e, size_t i, const char *k, size_t len)
{
	return e->tags[i].key_len == len && !memcmp(e->txt + e->tags[i].key, k, len);
}

/* up to this many tags a repeated key is looked for one by one; past it, through an index */
#define TAGS_LINEAR 16

static void index_put(struct sk_inv_element *e, size_t i)
{
	size_t mask = e->cap_index - 1, j;

	for (j = hash_of(e->txt + e->tags[i].key, e->tags[i].key_len) & mask; e->tag_index[j]; j = (j + 1) & mask)
		;
	e->tag_index[j] = i + 1;
}

/* the new last tag into the index, or (first time for this element, or too full) all of them again */
static int index_tags(struct sk_inv_element *e)
{
	size_t i;

	if (e->n_tags > TAGS_LINEAR + 1 && e->n_tags * 2 <= e->cap_index) {
		index_put(e, e->n_tags - 1);
		return 0;
	}
	if (e->n_tags * 2 > e->cap_index) {
		size_t cap = e->cap_index ? e->cap_index : 64, *idx;
		while (e->n_tags * 2 > cap)
			cap *= 2;
		if (cap > SIZE_MAX / sizeof(*idx) || !(idx = malloc(cap * sizeof(*idx))))
			return sk_error_set_oom();
		free(e->tag_index);
		e->tag_index = idx;
		e->cap_index = cap;
	}
	memset(e->tag_index, 0, e->cap_index * sizeof(*e->tag_index));
	for (i = 0; i < e->n_tags; i++)
		index_put(e, i);
	return 0;
}

/* a key in "tags": a new tag, or one already there (jansson kept the first place and the last value) */
static int tag_key(struct sk_inv_element *e, const char *k, size_t len)
{
	struct tag *t;
	size_t i, j;

	if (e->n_tags <= TAGS_LINEAR) {
		for (i = 0; i < e->n_tags; i++)
			if (tag_is(e, i, k, len))
				goto found;
	} else {
		for (j = hash_of(k, len) & (e->cap_index - 1); e->tag_index[j]; j = (j + 1) & (e->cap_index - 1))
			if (tag_is(e, (i = e->tag_index[j] - 1), k, len))
				goto found;
	}
	if (!(t = SK_ARRAY_PUSH(e->tags, e->n_tags, e->cap_tags)))
		return -1;
	memset(t, 0, sizeof(*t));
	t->key_len = (uint32_t)len;
	if (keep(e, k, len, &t->key) < 0 || (e->n_tags > TAGS_LINEAR && index_tags(e) < 0))
		return -1;
	i = e->n_tags - 1;
found:
	e->cur_tag = i;
	return 0;
}

/* where a value goes: its field, the current tag, the next replication, or nowhere (another key) */
static struct val *slot(struct sk_inv_element *e)
{
	switch (e->where) {
	case IN_ELEMENT:
		return e->field >= 0 ? &e->v[e->field] : NULL;
	case IN_TAGS:
		return &e->tags[e->cur_tag].v;
	case IN_REPS:
		return e->n_reps <= MAX_REPLICATIONS ? &e->reps[e->n_reps++] : NULL;
	}
	return NULL;
}

int sk_inv_element_key(struct sk_inv_element *e, const char *k, size_t len)
{
	if (e->skip)
		return 0;
	if (e->where == IN_ELEMENT)
		e->field = field_of(e, k, len);
	else if (e->where == IN_TAGS)
		return tag_key(e, k, len);
	return 0;
}

int sk_inv_element_value(struct sk_inv_element *e, enum sk_json_kind kind, const char *s, size_t len)
{
	bool container = kind == SK_JSON_OBJECT || kind == SK_JSON_ARRAY;
	struct val *v;

	if (e->skip) {
		e->skip += container;
		return 0;
	}
	if (e->where == IN_ELEMENT && ((e->field == F_TAGS && kind == SK_JSON_OBJECT) ||
				       (e->field == F_REPLICATIONS && kind == SK_JSON_ARRAY))) {
		/* a repeated key replaces what came before, as jansson did */
		e->v[e->field].kind = kind;
		e->where = e->field == F_TAGS ? IN_TAGS : IN_REPS;
		if (e->where == IN_TAGS)
			e->n_tags = 0;
		else
			e->n_reps = 0;
		return 0;
	}
	/* anything else in an object or array is stepped over, for the kind is enough */
	e->skip = container;
	if (!(v = slot(e)))
		return 0;
	v->kind = kind;
	v->len = (uint32_t)len;
	v->off = 0;
	return s ? keep(e, s, len, &v->off) : 0;
}

int sk_inv_element_end(struct sk_inv_element *e)
{
	if (e->skip) {
		e->skip--;
		return 0;
	}
	if (e->where != IN_ELEMENT) {
		e->where = IN_ELEMENT;
		return 0;
	}
	return e->kind->finish(e) < 0 ? -1 : 1;
}
