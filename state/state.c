/*
 * state.c - the state file: load, validate, save atomically
 */
#include "state/state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/array.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/fields.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "state/fileio.h"
#include "state/statedir.h"

#define FORMAT_PREFIX "snapkeep-state/v"

int sk_state_new_uuid(char out[37])
{
	unsigned char b[16];
	size_t got = 0;
	int i, k = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sk_error_set_errno(SK_ERR_OS, "cannot get random bytes");
		}
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		snprintf(out + k, 3, "%02x", b[i]);
		k += 2;
	}
	out[k] = '\0';
	return 0;
}

int sk_state_new(struct sk_state **out)
{
	struct sk_state *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return sk_error_set_oom();
	s->version = SK_STATE_VERSION;
	if (sk_state_new_uuid(s->lineage) < 0) {
		free(s);
		return -1;
	}
	s->created_at = sk_time_now();
	*out = s;
	return 0;
}

void sk_state_free(struct sk_state *s)
{
	if (!s)
		return;
	free(s->instances);
	free(s->deletions);
	free(s);
}

int sk_state_add_deletion(struct sk_state *s, const char *account, const char *region, const char *instance,
			  const char *snapshot, int64_t at)
{
	struct sk_state_deletion *d = SK_ARRAY_PUSH(s->deletions, s->n_deletions, s->cap_deletions);

	if (!d)
		return -1;
	memset(d, 0, sizeof(*d));
	sk_strlcpy(d->account, account ? account : "", sizeof(d->account));
	sk_strlcpy(d->region, region ? region : "", sizeof(d->region));
	sk_strlcpy(d->instance, instance ? instance : "", sizeof(d->instance));
	sk_strlcpy(d->snapshot, snapshot ? snapshot : "", sizeof(d->snapshot));
	d->at = at;
	return 0;
}

void sk_state_forget_deletions(struct sk_state *s, int64_t before)
{
	size_t i, j;

	for (i = 0, j = 0; i < s->n_deletions; i++)
		if (s->deletions[i].at >= before)
			s->deletions[j++] = s->deletions[i];
	s->n_deletions = j;
}

/* ---- finding and adding instances ---- */

static struct sk_state_instance *find_in(const struct sk_state *s, const char *account, const char *region,
					 const char *id, size_t *at)
{
	size_t i;

	for (i = 0; i < s->n_instances; i++)
		if (!strcmp(s->instances[i].account, account) && !strcmp(s->instances[i].region, region) &&
		    !strcmp(s->instances[i].id, id)) {
			if (at)
				*at = i;
			return &s->instances[i];
		}
	return NULL;
}

static struct sk_state_instance *find(const struct sk_state *s, const char *region, const char *id, size_t *at)
{
	return find_in(s, "", region, id, at);
}

int sk_state_instance(struct sk_state_instance **out, struct sk_state *s, const char *region, const char *id,
		      bool create)
{
	return sk_state_instance_in(out, s, NULL, region, id, create);
}

int sk_state_instance_in(struct sk_state_instance **out, struct sk_state *s, const char *account, const char *region,
			 const char *id, bool create)
{
	struct sk_state_instance *in;

	*out = NULL;
	if (!account)
		account = "";
	if (!region || !id || !*region || !*id || strlen(region) >= sizeof(in->region) || strlen(id) >= sizeof(in->id) ||
	    strchr(region, '/') || strlen(account) >= sizeof(in->account) || strchr(account, '/'))
		return sk_error_set(SK_ERR_INVALID, "state: bad instance key '%s%s%s/%s'", account, *account ? "/" : "",
				    region ? region : "", id ? id : "");
	in = find_in(s, account, region, id, NULL);
	if (in) {
		*out = in;
		return 0;
	}
	if (!create)
		return SK_ENOTFOUND;
	in = SK_ARRAY_PUSH(s->instances, s->n_instances, s->cap_instances);
	if (!in)
		return -1;
	memset(in, 0, sizeof(*in));
	sk_strlcpy(in->account, account, sizeof(in->account));
	sk_strlcpy(in->region, region, sizeof(in->region));
	sk_strlcpy(in->id, id, sizeof(in->id));
	*out = in;
	return 0;
}

int sk_state_instance_remove(struct sk_state *s, const char *region, const char *id)
{
	size_t at;

	if (!find(s, region, id, &at))
		return SK_ENOTFOUND;
	memmove(&s->instances[at], &s->instances[at + 1], (s->n_instances - at - 1) * sizeof(*s->instances));
	s->n_instances--;
	return 0;
}

/* ---- the members of the file's objects ---- */

enum member_kind {
	M_STR,     /* char[]: a string, null when "" */
	M_TIME,    /* int64_t: an RFC 3339 time, null when 0 */
	M_COUNT,   /* uint64_t: a non-negative integer */
	M_SECONDS, /* int64_t: a non-negative integer, null when -1 (none) */
	M_OBJ,     /* a struct: an object, its members named by a table of its own */
};

/* one member of an object, as the file names it and in the order the file writes it */
struct member {
	const char *key;
	enum member_kind kind;
	size_t off;
	size_t size;                /* M_STR: the room of the char[] */
	const struct member *sub;   /* M_OBJ: the struct's members */
	size_t n_sub;
};

#define MSTR(T, m, key) { (key), M_STR, SK_FIELD_OFFSET(T, m, char *), sizeof(((T *)0)->m), NULL, 0 }
#define MTIME(T, m, key) { (key), M_TIME, SK_FIELD_OFFSET(T, m, int64_t), 0, NULL, 0 }
#define MCOUNT(T, m, key) { (key), M_COUNT, SK_FIELD_OFFSET(T, m, uint64_t), 0, NULL, 0 }
#define MSECONDS(T, m, key) { (key), M_SECONDS, SK_FIELD_OFFSET(T, m, int64_t), 0, NULL, 0 }
#define MOBJ(T, m, key, table) { (key), M_OBJ, offsetof(T, m), 0, (table), SK_FIELDS_N(table) }

static const struct member drill_members[] = {
	MTIME(struct sk_state_drill, at, "at"),
	MSTR(struct sk_state_drill, outcome, "outcome"),
	MSTR(struct sk_state_drill, policy, "policy"),
	MSTR(struct sk_state_drill, source, "source"),
	MTIME(struct sk_state_drill, source_time, "sourceTime"),
	MCOUNT(struct sk_state_drill, rto_seconds, "rtoSeconds"),
	MSECONDS(struct sk_state_drill, rpo_seconds, "rpoSeconds"),
	MCOUNT(struct sk_state_drill, checks, "checks"),
	MCOUNT(struct sk_state_drill, checks_passed, "checksPassed"),
	MSTR(struct sk_state_drill, error, "error"),
};

/* "lastDrill" follows, written only for a drilled instance (read_drill, instance_json) */
static const struct member instance_members[] = {
	MSTR(struct sk_state_instance, policy, "policy"),
	MSTR(struct sk_state_instance, newest_snapshot, "newestSnapshot"),
	MTIME(struct sk_state_instance, newest_snapshot_time, "newestSnapshotTime"),
	MSTR(struct sk_state_instance, newest_copy, "newestCopy"),
	MSTR(struct sk_state_instance, newest_copy_region, "newestCopyRegion"),
	MTIME(struct sk_state_instance, newest_copy_time, "newestCopyTime"),
	MCOUNT(struct sk_state_instance, owned_snapshots, "ownedSnapshots"),
	MTIME(struct sk_state_instance, last_change, "lastChange"),
	MSTR(struct sk_state_instance, last_outcome, "lastOutcome"),
	MSTR(struct sk_state_instance, last_error, "lastError"),
};

static const struct member applied_members[] = {
	MSTR(struct sk_state_applied, commit, "commit"),
	MSTR(struct sk_state_applied, subject, "subject"),
	MSTR(struct sk_state_applied, ref, "ref"),
	MTIME(struct sk_state_applied, at, "at"),
};

static const struct member summary_members[] = {
	MCOUNT(struct sk_state_summary, actions, "actions"),
	MCOUNT(struct sk_state_summary, done, "done"),
	MCOUNT(struct sk_state_summary, already, "alreadyDone"),
	MCOUNT(struct sk_state_summary, deferred, "deferred"),
	MCOUNT(struct sk_state_summary, failed, "failed"),
	MCOUNT(struct sk_state_summary, skipped, "skipped"),
};

static const struct member run_members[] = {
	MSTR(struct sk_state_run, command, "command"),
	MSTR(struct sk_state_run, run_id, "runId"),
	MSTR(struct sk_state_run, commit, "commit"),
	MTIME(struct sk_state_run, started_at, "startedAt"),
	MTIME(struct sk_state_run, finished_at, "finishedAt"),
	MSTR(struct sk_state_run, outcome, "outcome"),
	MOBJ(struct sk_state_run, summary, "summary", summary_members),
	MSTR(struct sk_state_run, error, "error"),
};

/* read only: the writer packs a deletion's strings as they are, "" included */
static const struct member deletion_members[] = {
	MSTR(struct sk_state_deletion, account, "account"),
	MSTR(struct sk_state_deletion, region, "region"),
	MSTR(struct sk_state_deletion, instance, "instance"),
	MSTR(struct sk_state_deletion, snapshot, "snapshot"),
	MTIME(struct sk_state_deletion, at, "at"),
};

/* ---- writing ---- */

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* json_object_set_new() that remembers a failure */
static void put(json_t *o, const char *k, json_t *v, bool *ok)
{
	if (!v || json_object_set_new(o, k, v) < 0)
		*ok = false;
}

static int cmp_instance(const void *a, const void *b)
{
	const struct sk_state_instance *x = *(const struct sk_state_instance *const *)a;
	const struct sk_state_instance *y = *(const struct sk_state_instance *const *)b;
	int c = strcmp(x->account, y->account);

	if (c)
		return c;
	c = strcmp(x->region, y->region);

	return c ? c : strcmp(x->id, y->id);
}

/* an object of obj's members as the table names them; NULL (and *ok false) when out of memory */
static json_t *members_json(const void *obj, const struct member *m, size_t n, bool *ok)
{
	json_t *o = json_object();

	if (!o) {
		*ok = false;
		return NULL;
	}
	for (; n--; m++) {
		const void *p = (const char *)obj + m->off;
		const int64_t *t = p;
		const uint64_t *count = p;

		switch (m->kind) {
		case M_STR: put(o, m->key, str_or_null(p), ok); break;
		case M_TIME: put(o, m->key, sk_json_time(*t), ok); break;
		case M_COUNT: put(o, m->key, json_integer((json_int_t)*count), ok); break;
		case M_SECONDS: put(o, m->key, *t >= 0 ? json_integer((json_int_t)*t) : json_null(), ok); break;
		case M_OBJ: put(o, m->key, members_json(p, m->sub, m->n_sub, ok), ok); break;
		}
	}
	return o;
}

static json_t *instance_json(const struct sk_state_instance *in, bool *ok)
{
	json_t *o = members_json(in, instance_members, SK_FIELDS_N(instance_members), ok);

	if (o && in->last_drill.at)
		put(o, "lastDrill", members_json(&in->last_drill, drill_members, SK_FIELDS_N(drill_members), ok), ok);
	return o;
}

json_t *sk_state_to_json(const struct sk_state *s)
{
	const struct sk_state_instance **sorted = NULL;
	json_t *root = json_object(), *insts;
	char key[sizeof(s->instances->account) + sizeof(s->instances->region) + sizeof(s->instances->id) + 2];
	bool ok = root != NULL;
	size_t i;

	if (!ok)
		goto done;
	put(root, "format", json_string(SK_STATE_FORMAT), &ok);
	put(root, "serial", json_integer((json_int_t)s->serial), &ok);
	put(root, "lineage", json_string(s->lineage), &ok);
	put(root, "createdAt", sk_json_time(s->created_at), &ok);
	put(root, "lastApplied",
	    s->last_applied.commit[0]
		    ? members_json(&s->last_applied, applied_members, SK_FIELDS_N(applied_members), &ok)
		    : json_null(),
	    &ok);
	put(root, "lastRun",
	    s->last_run.command[0] ? members_json(&s->last_run, run_members, SK_FIELDS_N(run_members), &ok)
				   : json_null(),
	    &ok);
	insts = json_object();
	if (s->n_instances) {
		sorted = malloc(s->n_instances * sizeof(*sorted));
		if (!sorted)
			ok = false;
	}
	if (insts && sorted) {
		for (i = 0; i < s->n_instances; i++)
			sorted[i] = &s->instances[i];
		qsort(sorted, s->n_instances, sizeof(*sorted), cmp_instance);
		for (i = 0; i < s->n_instances; i++) {
			snprintf(key, sizeof(key), "%s%s%s/%s", sorted[i]->account, sorted[i]->account[0] ? "/" : "",
				 sorted[i]->region, sorted[i]->id);
			put(insts, key, instance_json(sorted[i], &ok), &ok);
		}
	}
	put(root, "instances", insts, &ok);
	if (s->n_deletions) {
		json_t *dels = json_array();
		for (i = 0; dels && i < s->n_deletions; i++) {
			const struct sk_state_deletion *d = &s->deletions[i];
			json_t *one = json_pack("{s:s, s:s, s:s, s:o}", "region", d->region, "instance", d->instance,
						"snapshot", d->snapshot, "at", sk_json_time(d->at));
			/* only over several accounts: a single account's file is as it was */
			if (one && d->account[0])
				json_object_set_new(one, "account", json_string(d->account));
			json_array_append_new(dels, one);
		}
		put(root, "deletions", dels, &ok);
	}
done:
	free(sorted);
	return sk_json_built(root, ok);
}

/* ---- reading ---- */

struct rd {
	const char *name; /* the file, for messages */
};

static int bad(const struct rd *r, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(const struct rd *r, const char *path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sk_error_set(SK_ERR_STATE, "state file '%s': %s%s%s", r->name, path ? path : "", path ? ": " : "", what);
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* "<prefix>.<key>" into buf */
static const char *join(char *buf, size_t len, const char *prefix, const char *key)
{
	snprintf(buf, len, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key);
	return buf;
}

/*
 * Reads o's optional member key into dst: a string that must fit dst[size],
 * an RFC 3339 time, a non-negative count (M_SECONDS: or -1) or an object
 * (dst a const json_t **); absent or null gives "", 0, -1 or NULL.  Errors
 * name it "<prefix>.<key>".
 */
static int get(const struct rd *r, enum member_kind kind, void *dst, size_t size, const json_t *o, const char *prefix,
	       const char *key)
{
	const json_t *v = json_object_get(o, key);
	char path[512];
	size_t n;

	switch (kind) {
	case M_STR: *(char *)dst = '\0'; break;
	case M_TIME: *(int64_t *)dst = 0; break;
	case M_COUNT: *(uint64_t *)dst = 0; break;
	case M_SECONDS: *(int64_t *)dst = -1; break;
	case M_OBJ: *(const json_t **)dst = NULL; break;
	}
	if (!v || json_is_null(v))
		return 0;
	join(path, sizeof(path), prefix, key);
	switch (kind) {
	case M_STR:
		if (!json_is_string(v))
			return bad(r, path, "expected a string, got %s", type_name(v));
		n = json_string_length(v);
		if (n >= size)
			return bad(r, path, "longer than %zu characters", size - 1);
		memcpy(dst, json_string_value(v), n + 1);
		break;
	case M_TIME:
		if (!json_is_string(v) || sk_time_parse_rfc3339(dst, json_string_value(v)) < 0 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return bad(r, path, "expected an RFC 3339 time, got %s%.64s%s", json_is_string(v) ? "'" : "",
				   json_is_string(v) ? json_string_value(v) : type_name(v), json_is_string(v) ? "'" : "");
		break;
	case M_COUNT:
	case M_SECONDS:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return bad(r, path, "expected a non-negative integer, got %s",
				   json_is_integer(v) ? "a negative one" : type_name(v));
		if (kind == M_COUNT)
			*(uint64_t *)dst = (uint64_t)json_integer_value(v);
		else
			*(int64_t *)dst = (int64_t)json_integer_value(v);
		break;
	case M_OBJ:
		if (!json_is_object(v))
			return bad(r, path, "expected an object, got %s", type_name(v));
		*(const json_t **)dst = v;
		break;
	}
	return 0;
}

static int get_obj(const struct rd *r, const json_t **dst, const json_t *o, const char *prefix, const char *key)
{
	return get(r, M_OBJ, dst, 0, o, prefix, key);
}

/* obj's members from o, as the table names them: first the values, then the objects (an absent one is left as is) */
static int get_members(const struct rd *r, void *obj, const json_t *o, const char *prefix, const struct member *m,
		       size_t n)
{
	const json_t *sub;
	char path[512];
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].kind != M_OBJ && get(r, m[i].kind, (char *)obj + m[i].off, m[i].size, o, prefix, m[i].key) < 0)
			return -1;
	for (i = 0; i < n; i++) {
		if (m[i].kind != M_OBJ)
			continue;
		if (get_obj(r, &sub, o, prefix, m[i].key) < 0)
			return -1;
		if (sub && get_members(r, (char *)obj + m[i].off, sub, join(path, sizeof(path), prefix, m[i].key),
				       m[i].sub, m[i].n_sub) < 0)
			return -1;
	}
	return 0;
}

static bool is_hex(const char *s)
{
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return false;
	return true;
}

static bool is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i]) {
			return false;
		}
	}
	return true;
}

static int read_version(const struct rd *r, int *out, const json_t *root)
{
	const json_t *v = json_object_get(root, "format");
	const char *f = json_string_value(v);
	char *end;
	long n;

	if (!f)
		return bad(r, NULL, "not a snapkeep state file (no \"format\": \"%s\")", SK_STATE_FORMAT);
	if (strncmp(f, FORMAT_PREFIX, strlen(FORMAT_PREFIX)))
		return bad(r, NULL, "not a snapkeep state file (format '%.64s', expected '%s')", f, SK_STATE_FORMAT);
	errno = 0;
	n = strtol(f + strlen(FORMAT_PREFIX), &end, 10);
	if (errno || *end || end == f + strlen(FORMAT_PREFIX) || n < 1 || f[strlen(FORMAT_PREFIX)] == '+' ||
	    strlen(f) != json_string_length(v))
		return bad(r, NULL, "unknown format '%.64s' (expected '%s')", f, SK_STATE_FORMAT);
	if (n > SK_STATE_VERSION)
		return sk_error_set(SK_ERR_STATE,
				    "state file '%s' has format %s, newer than this snapkeep reads (%s); upgrade "
				    "snapkeep; the file was not changed",
				    r->name, f, SK_STATE_FORMAT);
	*out = (int)n;
	return 0;
}

static int read_drill(const struct rd *r, struct sk_state_drill *d, const json_t *in, const char *prefix)
{
	const json_t *o;
	char path[400];

	memset(d, 0, sizeof(*d));
	d->rpo_seconds = -1;
	if (get_obj(r, &o, in, prefix, "lastDrill") < 0)
		return -1;
	if (!o)
		return 0;
	join(path, sizeof(path), prefix, "lastDrill");
	if (get_members(r, d, o, path, drill_members, SK_FIELDS_N(drill_members)) < 0)
		return -1;
	if (!d->at)
		return bad(r, path, "a drill without its time ('at')");
	return 0;
}

static int read_instance(const struct rd *r, struct sk_state *s, const char *key, const json_t *v)
{
	struct sk_state_instance *in;
	char path[320], account[16] = "", region[64], id[128];
	const char *slash = strchr(key, '/');
	size_t rl;

	snprintf(path, sizeof(path), "instances.%.256s", key);
	/* "<account>/<region>/<id>"; "<region>/<id>" is the caller's own account */
	if (slash && slash - key == 12 && strspn(key, "0123456789") == 12 && strchr(slash + 1, '/')) {
		memcpy(account, key, 12);
		account[12] = '\0';
		key = slash + 1;
		slash = strchr(key, '/');
	}
	if (!slash || slash == key || !slash[1] || strchr(slash + 1, '/'))
		return bad(r, path, "the key must be '<region>/<instance id>' or '<account>/<region>/<instance id>'");
	rl = (size_t)(slash - key);
	if (rl >= sizeof(in->region) || strlen(slash + 1) >= sizeof(in->id))
		return bad(r, path, "region or instance id too long");
	memcpy(region, key, rl);
	region[rl] = '\0';
	sk_strlcpy(id, slash + 1, sizeof(id));
	if (!json_is_object(v))
		return bad(r, path, "expected an object, got %s", type_name(v));
	if (find_in(s, account, region, id, NULL))
		return bad(r, path, "listed twice");
	if (sk_state_instance_in(&in, s, account, region, id, true) < 0)
		return -1;
	if (get_members(r, in, v, path, instance_members, SK_FIELDS_N(instance_members)) < 0 ||
	    read_drill(r, &in->last_drill, v, path) < 0)
		return -1;
	return 0;
}

/* "deletions": [{region, instance, snapshot, at}], oldest first */
static int read_deletions(const struct rd *r, struct sk_state *s, const json_t *a)
{
	const json_t *v;
	char path[64];
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bad(r, "deletions", "expected an array, got %s", type_name(a));
	json_array_foreach(a, i, v) {
		struct sk_state_deletion d;
		snprintf(path, sizeof(path), "deletions[%zu]", i);
		if (!json_is_object(v))
			return bad(r, path, "expected an object, got %s", type_name(v));
		if (get_members(r, &d, v, path, deletion_members, SK_FIELDS_N(deletion_members)) < 0)
			return -1;
		if (!d.instance[0] || !d.at)
			return bad(r, path, "expected an instance and a time");
		if (sk_state_add_deletion(s, d.account, d.region, d.instance, d.snapshot, d.at) < 0)
			return -1;
	}
	return 0;
}

static int from_json(struct sk_state *s, const json_t *root, const struct rd *r)
{
	const json_t *v, *o, *m;
	const char *key;
	json_int_t serial;

	if (!json_is_object(root))
		return bad(r, NULL, "not a snapkeep state file (expected a JSON object, got %s)", type_name(root));
	if (read_version(r, &s->version, root) < 0)
		return -1;
	v = json_object_get(root, "serial");
	if (!json_is_integer(v))
		return bad(r, "serial", "expected an integer, got %s", v ? type_name(v) : "nothing");
	serial = json_integer_value(v);
	if (serial < 0)
		return bad(r, "serial", "must not be negative");
	s->serial = (uint64_t)serial;
	v = json_object_get(root, "lineage");
	if (!json_is_string(v) || !is_uuid(json_string_value(v)))
		return bad(r, "lineage", "expected a UUID string");
	sk_strlcpy(s->lineage, json_string_value(v), sizeof(s->lineage));
	if (get(r, M_TIME, &s->created_at, 0, root, NULL, "createdAt") < 0)
		return -1;

	if (get_obj(r, &o, root, NULL, "lastApplied") < 0)
		return -1;
	if (o) {
		if (get_members(r, &s->last_applied, o, "lastApplied", applied_members, SK_FIELDS_N(applied_members)) < 0)
			return -1;
		if (!s->last_applied.commit[0] || !is_hex(s->last_applied.commit))
			return bad(r, "lastApplied.commit", "expected a commit id (hexadecimal)");
	}

	if (get_obj(r, &o, root, NULL, "lastRun") < 0)
		return -1;
	if (o) {
		if (get_members(r, &s->last_run, o, "lastRun", run_members, SK_FIELDS_N(run_members)) < 0)
			return -1;
		if (!s->last_run.command[0])
			return bad(r, "lastRun.command", "expected the command's name");
	}

	if (get_obj(r, &m, root, NULL, "instances") < 0)
		return -1;
	json_object_foreach((json_t *)m, key, o) {
		if (read_instance(r, s, key, o) < 0)
			return -1;
	}
	return read_deletions(r, s, json_object_get(root, "deletions"));
}

int sk_state_parse(struct sk_state **out, const char *text, size_t len, const char *name)
{
	struct rd r = { name };
	struct sk_state *s = NULL;
	json_t *root = NULL;
	int rc = -1;

	*out = NULL;
	if (sk_file_parse_json(&root, text, len, SK_ERR_STATE, "state file", name) < 0)
		return -1;
	s = calloc(1, sizeof(*s));
	if (!s) {
		sk_error_set_oom();
		goto done;
	}
	if (from_json(s, root, &r) < 0)
		goto done;
	s->existed = true;
	*out = s;
	s = NULL;
	rc = 0;
done:
	sk_state_free(s);
	json_decref(root);
	return rc;
}

int sk_state_load(struct sk_state **out, const char *dir)
{
	return sk_state_load_named(out, dir, SK_STATE_FILE);
}

int sk_state_load_named(struct sk_state **out, const char *dir, const char *name)
{
	struct sk_buf text = SK_BUF_INIT;
	char *path = sk_file_join(dir, name);
	int rc;

	*out = NULL;
	if (!path)
		return -1;
	rc = sk_file_read_all(&text, path, SK_STATE_MAX_BYTES);
	if (rc == SK_ENOTFOUND) {
		rc = sk_state_new(out);
	} else if (rc < 0) {
		sk_error_prefix("state file");
	} else {
		rc = sk_state_parse(out, text.ptr, text.len, path);
	}
	sk_buf_free(&text);
	free(path);
	return rc;
}

/* is the file on disk the one s was loaded from (or still absent for a fresh state)? */
static int check_unchanged(const struct sk_state *s, const char *path)
{
	struct sk_buf text = SK_BUF_INIT;
	struct sk_state *disk = NULL;
	int rc = sk_file_read_all(&text, path, SK_STATE_MAX_BYTES);

	if (rc == SK_ENOTFOUND) {
		rc = 0; /* removed meanwhile: writing it again loses nothing */
		goto done;
	}
	if (rc < 0)
		goto done;
	if (!s->existed) {
		rc = sk_error_set(SK_ERR_STATE, "state file '%s' was created by another process after this one started; "
						"not overwriting it",
				  path);
		goto done;
	}
	if (sk_state_parse(&disk, text.ptr, text.len, path) < 0) {
		rc = sk_error_prefix("not overwriting a state file that changed since it was read");
		goto done;
	}
	if (strcmp(disk->lineage, s->lineage))
		rc = sk_error_set(SK_ERR_STATE, "state file '%s' now has lineage %s, not %s: another state was put in its "
						"place; not overwriting it",
				  path, disk->lineage, s->lineage);
	else if (disk->serial != s->serial)
		rc = sk_error_set(SK_ERR_STATE, "state file '%s' was written by another run (serial %llu, read %llu); not "
						"overwriting it",
				  path, (unsigned long long)disk->serial, (unsigned long long)s->serial);
done:
	sk_state_free(disk);
	sk_buf_free(&text);
	return rc;
}

int sk_state_save(struct sk_state *s, const char *dir)
{
	return sk_state_save_named(s, dir, SK_STATE_FILE);
}

int sk_state_save_named(struct sk_state *s, const char *dir, const char *name)
{
	char *path = sk_file_join(dir, name);
	json_t *root = NULL;
	int rc = -1;

	if (!path)
		return -1;
	if (check_unchanged(s, path) < 0)
		goto done;
	root = sk_state_to_json(s);
	if (!root)
		goto done;
	if (json_object_set_new(root, "serial", json_integer((json_int_t)(s->serial + 1))) < 0) {
		sk_error_set_oom();
		goto done;
	}
	if (sk_file_write_json_atomic(path, root, 0600) < 0) {
		sk_error_prefix("cannot save the state");
		goto done;
	}
	s->serial++;
	s->existed = true;
	rc = 0;
done:
	json_decref(root);
	free(path);
	return rc;
}

const struct sk_state_drill *sk_state_last_drill(const struct sk_state *s, const char *account, const char *region,
						 const char *id)
{
	for (size_t i = 0; s && i < s->n_instances; i++)
		if (!strcmp(s->instances[i].region, region) && !strcmp(s->instances[i].id, id) &&
		    !strcmp(s->instances[i].account, account ? account : ""))
			return s->instances[i].last_drill.at ? &s->instances[i].last_drill : NULL;
	return NULL;
}
