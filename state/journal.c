/*
 * journal.c - the append-only audit journal
 */
#include "state/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fields.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "state/fileio.h"
#include "state/statedir.h"

struct sk_journal {
	int fd;
	char *path;
	pthread_mutex_t mu;
	char token[SK_JOURNAL_ID_MAX]; /* record ids are "<token>.<seq>" */
	unsigned long seq;
	json_t *open_intents; /* id -> intent record, until its outcome */
	sk_journal_sink sink; /* instead of fd, when set */
	void *sink_ud;
	sk_journal_reader read; /* what the sink wrote */
	void *read_src;
	char *dir;              /* the file's directory */
};

static int random_hex(char *out, size_t n_bytes)
{
	unsigned char b[16];
	size_t got = 0, i;

	if (n_bytes > sizeof(b))
		n_bytes = sizeof(b);
	while (got < n_bytes) {
		ssize_t n = getrandom(b + got, n_bytes - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sk_error_set_errno(SK_ERR_OS, "cannot get random bytes");
		}
		got += (size_t)n;
	}
	for (i = 0; i < n_bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

int sk_journal_new_run_id(char out[SK_JOURNAL_ID_MAX])
{
	char t[17], r[9];

	sk_time_format_amz(t, sk_time_now());
	if (random_hex(r, 4) < 0)
		return -1;
	snprintf(out, SK_JOURNAL_ID_MAX, "%s-%s", t, r);
	return 0;
}

const char *sk_journal_path(const struct sk_journal *j)
{
	return j ? j->path : NULL;
}

int sk_journal_open(struct sk_journal **out, const char *dir)
{
	struct sk_journal *j;
	struct stat st;
	char *dirpath = NULL;

	*out = NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return sk_error_set_oom();
	j->fd = -1;
	pthread_mutex_init(&j->mu, NULL);
	j->open_intents = json_object();
	j->path = sk_file_join(dir, SK_JOURNAL_FILE);
	j->dir = strdup(dir);
	if (!j->open_intents || !j->path || !j->dir) {
		if (!j->open_intents || !j->dir)
			sk_error_set_oom();
		goto fail;
	}
	if (sk_journal_new_run_id(j->token) < 0)
		goto fail;
	j->fd = open(j->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0) {
		sk_error_set_errno(SK_ERR_STATE, "cannot open the journal '%s'", j->path);
		goto fail;
	}
	if (fstat(j->fd, &st) < 0) {
		sk_error_set_errno(SK_ERR_STATE, "cannot read the journal '%s'", j->path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		sk_error_set(SK_ERR_STATE, "the journal '%s' is not a regular file", j->path);
		goto fail;
	}
	if (st.st_size > 0) {
		char last;
		ssize_t n;
		do
			n = pread(j->fd, &last, 1, st.st_size - 1);
		while (n < 0 && errno == EINTR);
		if (n != 1) {
			sk_error_set_errno(SK_ERR_STATE, "cannot read the journal '%s'", j->path);
			goto fail;
		}
		if (last != '\n') {
			/* a write cut short by a crash: end that line so the next record starts on its own */
			sk_warn("journal '%s': the last line is incomplete (a crash in the middle of a write); "
				"it is kept and skipped by readers",
				j->path);
			if (sk_file_write_full(j->fd, "\n", 1) < 0 || fdatasync(j->fd) < 0) {
				sk_error_set_errno(SK_ERR_STATE, "cannot write the journal '%s'", j->path);
				goto fail;
			}
		}
	}
	/* the file's directory entry must be as durable as the records in it */
	dirpath = strdup(dir);
	if (!dirpath || sk_file_fsync_dir(dirpath) < 0) {
		if (!dirpath)
			sk_error_set_oom();
		goto fail;
	}
	free(dirpath);
	*out = j;
	return 0;
fail:
	free(dirpath);
	sk_journal_close(j);
	return -1;
}

int sk_journal_open_sink(struct sk_journal **out, const char *name, sk_journal_sink sink, void *ud,
			 sk_journal_reader read, void *src)
{
	struct sk_journal *j;

	*out = NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return sk_error_set_oom();
	j->fd = -1;
	pthread_mutex_init(&j->mu, NULL);
	j->sink = sink;
	j->sink_ud = ud;
	j->read = read;
	j->read_src = src;
	j->open_intents = json_object();
	j->path = strdup(name);
	if (!j->open_intents || !j->path) {
		sk_error_set_oom();
		goto fail;
	}
	if (sk_journal_new_run_id(j->token) < 0)
		goto fail;
	*out = j;
	return 0;
fail:
	sk_journal_close(j);
	return -1;
}

void sk_journal_close(struct sk_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	json_decref(j->open_intents);
	pthread_mutex_destroy(&j->mu);
	free(j->path);
	free(j->dir);
	free(j);
}

static void set_str(json_t *o, const char *k, const char *v, bool *ok)
{
	if (v && json_object_set_new(o, k, json_string(v)) < 0)
		*ok = false;
}

/* adds type, id (and intent), time first, then writes the line; j->mu held */
static int write_locked(struct sk_journal *j, json_t *rec, bool sync, char *out_id, size_t out_len)
{
	char id[SK_JOURNAL_ID_MAX], ts[SK_TIME_RFC3339_MAX];
	char *text = NULL;
	size_t n;
	int rc = -1;

	snprintf(id, sizeof(id), "%.40s.%lu", j->token, ++j->seq);
	sk_time_format_rfc3339_ms(ts, sk_time_now_ms());
	if (json_object_set_new(rec, "id", json_string(id)) < 0 || json_object_set_new(rec, "time", json_string(ts)) < 0) {
		sk_error_set_oom();
		goto done;
	}
	text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text) {
		sk_error_set_oom();
		goto done;
	}
	n = strlen(text);
	if (n + 1 > SK_JOURNAL_LINE_MAX) {
		sk_error_set(SK_ERR_STATE, "journal record of %zu bytes is too large", n);
		goto done;
	}
	if (j->sink) {
		struct sk_journal_record view;

		if (sk_journal_record_view(&view, rec) < 0 || j->sink(j->sink_ud, &view, text, n) < 0)
			goto done;
		goto written;
	}
	text[n] = '\n'; /* json_dumps's NUL becomes the newline: one write per record */
	if (sk_file_write_full(j->fd, text, n + 1) < 0) {
		sk_error_set_errno(SK_ERR_STATE, "cannot write the journal '%s'", j->path);
		goto done;
	}
	if (sync && fdatasync(j->fd) < 0) {
		sk_error_set_errno(SK_ERR_STATE, "cannot sync the journal '%s'", j->path);
		goto done;
	}
written:
	if (out_id)
		sk_strlcpy(out_id, id, out_len);
	rc = 0;
done:
	free(text);
	return rc;
}

/* a new record {"type": type} with "intent" next when given, so every line starts alike */
static json_t *new_record(const char *type, const char *intent_id)
{
	json_t *rec = json_object();
	bool ok = rec != NULL;

	if (ok) {
		set_str(rec, "type", type, &ok);
		/* placeholders keep the key order: type, id, intent, time, ... */
		if (json_object_set_new(rec, "id", json_null()) < 0)
			ok = false;
		set_str(rec, "intent", intent_id, &ok);
		if (json_object_set_new(rec, "time", json_null()) < 0)
			ok = false;
	}
	return sk_json_built(rec, ok);
}

/* what an intent says of its call, and the records that name it repeat: run, action, where, what */
static void set_call(json_t *rec, const struct sk_journal_call *c, bool *ok)
{
	set_str(rec, "runId", c->run_id, ok);
	set_str(rec, "action", c->action, ok);
	set_str(rec, "region", c->region, ok);
	set_str(rec, "target", c->target, ok);
	set_str(rec, "instance", c->instance, ok);
	set_str(rec, "policy", c->policy, ok);
	set_str(rec, "commit", c->commit, ok);
}

int sk_journal_intent(char *out_id, size_t out_len, struct sk_journal *j, const struct sk_journal_call *c)
{
	json_t *rec = NULL, *kept = NULL;
	char id[SK_JOURNAL_ID_MAX];
	bool ok = true;
	int rc = -1;

	if (out_id && out_len)
		out_id[0] = '\0';
	rec = new_record("intent", NULL);
	if (!rec)
		return -1;
	set_call(rec, c, &ok);
	if (c->call && json_object_set_new(rec, "call", json_deep_copy(c->call)) < 0)
		ok = false;
	if (!ok) {
		sk_error_set_oom();
		goto done;
	}
	pthread_mutex_lock(&j->mu);
	rc = write_locked(j, rec, true, id, sizeof(id));
	if (rc == 0) {
		/* what the outcome repeats; the call parameters stay in the intent only */
		kept = json_deep_copy(rec);
		if (kept) {
			json_object_del(kept, "call");
			json_object_set_new(j->open_intents, id, kept);
		}
	}
	pthread_mutex_unlock(&j->mu);
	if (rc == 0 && out_id)
		sk_strlcpy(out_id, id, out_len);
done:
	json_decref(rec);
	return rc;
}

static void copy_fields(json_t *dst, const json_t *src, bool *ok)
{
	static const char *const keys[] = { "runId", "action", "region", "target", "instance", "policy", "commit" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		set_str(dst, keys[i], json_string_value(json_object_get(src, keys[i])), ok);
}

int sk_journal_outcome(struct sk_journal *j, const char *intent_id, const struct sk_journal_result *r)
{
	json_t *rec, *intent;
	bool ok = true;
	int rc = -1;

	if (!intent_id || !*intent_id)
		return sk_error_set(SK_ERR_INVALID, "journal outcome without an intent");
	rec = new_record("outcome", intent_id);
	if (!rec)
		return -1;
	pthread_mutex_lock(&j->mu);
	intent = json_object_get(j->open_intents, intent_id);
	if (intent)
		copy_fields(rec, intent, &ok);
	set_str(rec, "result", r->result, &ok);
	set_str(rec, "errorCode", r->error_code && *r->error_code ? r->error_code : NULL, &ok);
	set_str(rec, "errorMessage", r->error_message && *r->error_message ? r->error_message : NULL, &ok);
	set_str(rec, "requestId", r->request_id && *r->request_id ? r->request_id : NULL, &ok);
	set_str(rec, "detail", r->detail && *r->detail ? r->detail : NULL, &ok);
	if (!ok)
		sk_error_set_oom();
	else
		rc = write_locked(j, rec, true, NULL, 0);
	if (rc == 0)
		json_object_del(j->open_intents, intent_id);
	pthread_mutex_unlock(&j->mu);
	json_decref(rec);
	return rc;
}

/* writes rec (synced) unless building it failed (!ok), and frees it */
static int write_record(struct sk_journal *j, json_t *rec, bool ok)
{
	int rc = -1;

	if (!ok) {
		sk_error_set_oom();
	} else {
		pthread_mutex_lock(&j->mu);
		rc = write_locked(j, rec, true, NULL, 0);
		pthread_mutex_unlock(&j->mu);
	}
	json_decref(rec);
	return rc;
}

int sk_journal_resolve(struct sk_journal *j, const json_t *intent, const char *how, const char *detail,
		       const char *run_id)
{
	const char *intent_id = json_string_value(json_object_get(intent, "id"));
	json_t *rec;
	bool ok = true;

	if (!intent_id || !how)
		return sk_error_set(SK_ERR_INVALID, "journal resolution without an intent id or how");
	rec = new_record("resolution", intent_id);
	if (!rec)
		return -1;
	copy_fields(rec, intent, &ok);
	if (run_id && json_object_set_new(rec, "runId", json_string(run_id)) < 0) /* the resolving run */
		ok = false;
	set_str(rec, "how", how, &ok);
	set_str(rec, "detail", detail && *detail ? detail : NULL, &ok);
	return write_record(j, rec, ok);
}

int sk_journal_restore(struct sk_journal *j, const char *intent_id, const struct sk_journal_restore *r)
{
	const struct sk_journal_call c = { .run_id = r->run_id, .action = r->action, .region = r->region,
					   .target = r->target, .instance = r->instance };
	json_t *rec;
	bool ok = true;

	if (!intent_id || !*intent_id || !r->result)
		return sk_error_set(SK_ERR_INVALID, "journal restore record without an intent or result");
	rec = new_record("restore", intent_id);
	if (!rec)
		return -1;
	set_call(rec, &c, &ok);
	set_str(rec, "result", r->result, &ok);
	set_str(rec, "detail", r->detail && *r->detail ? r->detail : NULL, &ok);
	if (ok && json_object_set_new(rec, "seconds", json_integer(r->seconds)) < 0)
		ok = false;
	return write_record(j, rec, ok);
}

int sk_journal_append(char *out_id, size_t out_len, struct sk_journal *j, const char *type, const json_t *fields,
		      bool sync)
{
	const char *k;
	json_t *rec, *v;
	int rc = -1;

	if (!type || !*type || !strcmp(type, "intent") || !strcmp(type, "outcome") || !strcmp(type, "resolution") ||
	    !strcmp(type, "restore"))
		return sk_error_set(SK_ERR_INVALID, "journal: records of type '%s' have their own function",
				    type ? type : "");
	rec = new_record(type, NULL);
	if (!rec)
		return -1;
	json_object_foreach((json_t *)fields, k, v) {
		if (!strcmp(k, "type") || !strcmp(k, "id") || !strcmp(k, "time"))
			continue;
		if (json_object_set(rec, k, v) < 0) {
			sk_error_set_oom();
			goto done;
		}
	}
	pthread_mutex_lock(&j->mu);
	rc = write_locked(j, rec, sync, out_id, out_len);
	pthread_mutex_unlock(&j->mu);
done:
	json_decref(rec);
	return rc;
}

/* ---- reading ---- */

static const char *sval(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

#define STR(m, key) SK_FIELD_STR(struct sk_journal_record, m, key)

/* a record's string members, each the string its key holds (NULL: none) */
static const struct sk_field record_strings[] = {
	STR(type, "type"),
	STR(id, "id"),
	STR(intent, "intent"),
	STR(run_id, "runId"),
	STR(action, "action"),
	STR(region, "region"),
	STR(target, "target"),
	STR(instance, "instance"),
	STR(policy, "policy"),
	STR(commit, "commit"),
	STR(result, "result"),
	STR(error_code, "errorCode"),
	STR(error_message, "errorMessage"),
	STR(request_id, "requestId"),
	STR(how, "how"),
	STR(detail, "detail"),
};

#undef STR

int sk_journal_record_view(struct sk_journal_record *out, const json_t *rec)
{
	const char *t;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(rec) || !sval(rec, "type"))
		return sk_error_set(SK_ERR_STATE, "not a journal record (no \"type\")");
	out->json = rec;
	for (i = 0; i < SK_FIELDS_N(record_strings); i++)
		SK_FIELD_STR_AT(out, &record_strings[i]) = sval(rec, record_strings[i].name);
	t = sval(rec, "time");
	if (!t || sk_time_parse_rfc3339_ms(&out->time_ms, t) < 0)
		out->time_ms = 0;
	return 0;
}

int sk_journal_parse_line(struct sk_journal_record *out, json_t **out_json, const char *line, size_t len)
{
	json_error_t e;
	json_t *j;

	*out_json = NULL;
	memset(out, 0, sizeof(*out));
	if (len > SK_JOURNAL_LINE_MAX)
		return sk_error_set(SK_ERR_STATE, "a journal line of %zu bytes is too long", len);
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		return sk_error_set(SK_ERR_STATE, "not JSON (column %d: %s)", e.column, e.text);
	if (sk_journal_record_view(out, j) < 0) {
		json_decref(j);
		return -1;
	}
	*out_json = j;
	return 0;
}

bool sk_journal_matches(const struct sk_journal_record *r, const struct sk_journal_filter *f)
{
	if (!f)
		return true;
	if (f->since_ms && r->time_ms < f->since_ms)
		return false;
	if (f->type && strcmp(r->type, f->type))
		return false;
	if (f->instance && !((r->instance && !strcmp(r->instance, f->instance)) ||
			     (r->target && !strcmp(r->target, f->instance))))
		return false;
	return true;
}

int sk_journal_read(const char *dir, const struct sk_journal_filter *f, sk_journal_cb cb, void *ud,
		    struct sk_journal_stats *stats)
{
	struct sk_journal_stats local;
	struct sk_journal_record r;
	char *path = sk_file_join(dir, SK_JOURNAL_FILE), *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	FILE *fp = NULL;
	int rc = -1;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (!path)
		return -1;
	fp = fopen(path, "re");
	if (!fp) {
		if (errno == ENOENT)
			rc = SK_ENOTFOUND;
		else
			sk_error_set_errno(SK_ERR_STATE, "cannot open the journal '%s'", path);
		goto done;
	}
	errno = 0;
	while ((n = getline(&line, &cap, fp)) >= 0) {
		bool complete = n > 0 && line[n - 1] == '\n';
		size_t len = (size_t)n - (complete ? 1 : 0);
		json_t *j = NULL;

		lineno++;
		if (len == 0)
			continue;
		if (sk_journal_parse_line(&r, &j, line, len) < 0) {
			if (!complete) {
				stats->torn_tail = true;
				if (!f || !f->quiet)
					sk_warn("journal '%s' line %zu: incomplete last line (a write in progress, or cut short by a crash); "
						"ignored",
						path, lineno);
			} else {
				stats->damaged++;
				if (!f || !f->quiet)
					sk_warn("journal '%s' line %zu: skipped a damaged line: %s", path, lineno,
						sk_error_message());
			}
			continue;
		}
		r.line = lineno;
		stats->records++;
		if (sk_journal_matches(&r, f)) {
			stats->matched++;
			rc = cb ? cb(ud, &r) : 0;
			if (rc) {
				json_decref(j);
				goto done;
			}
		}
		json_decref(j);
	}
	if (ferror(fp)) {
		sk_error_set_errno(SK_ERR_STATE, "cannot read the journal '%s'", path);
		goto done;
	}
	rc = 0;
done:
	if (fp)
		fclose(fp);
	free(line);
	free(path);
	return rc;
}

struct pending {
	json_t *open; /* id -> intent, in the order they were written */
};

static int collect(void *ud, const struct sk_journal_record *r)
{
	struct pending *p = ud;

	if (!strcmp(r->type, "intent") && r->id) {
		if (json_object_set(p->open, r->id, (json_t *)r->json) < 0)
			return sk_error_set_oom();
	} else if (!strcmp(r->type, "resolution") && r->intent) {
		json_object_del(p->open, r->intent);
	} else if (!strcmp(r->type, "outcome") && r->intent && !(r->result && !strcmp(r->result, SK_RESULT_UNKNOWN))) {
		/* an "unknown" outcome says the call may have been made: live state will tell */
		json_object_del(p->open, r->intent);
	}
	return 0;
}

static int read_dir(void *src, const struct sk_journal_filter *f, sk_journal_cb cb, void *ud,
		    struct sk_journal_stats *stats)
{
	return sk_journal_read(src, f, cb, ud, stats);
}

int sk_journal_unresolved(json_t **out, const char *dir)
{
	return sk_journal_unresolved_from(out, read_dir, (void *)dir);
}

int sk_journal_pending(json_t **out, struct sk_journal *j)
{
	if (j->sink)
		return sk_journal_unresolved_from(out, j->read, j->read_src);
	return sk_journal_unresolved(out, j->dir);
}

int sk_journal_unresolved_from(json_t **out, sk_journal_reader read, void *src)
{
	struct pending p;
	const char *k;
	json_t *arr = NULL, *v;
	int rc;

	*out = NULL;
	p.open = json_object();
	arr = json_array();
	if (!p.open || !arr) {
		json_decref(p.open);
		json_decref(arr);
		return sk_error_set_oom();
	}
	rc = read(src, NULL, collect, &p, NULL);
	if (rc == SK_ENOTFOUND)
		rc = 0;
	if (rc == 0) {
		/* jansson objects keep insertion order: oldest first */
		json_object_foreach(p.open, k, v) {
			if (json_array_append(arr, v) < 0) {
				rc = sk_error_set_oom();
				break;
			}
		}
	}
	json_decref(p.open);
	if (rc != 0) {
		json_decref(arr);
		return rc < 0 ? rc : -1;
	}
	*out = arr;
	return 0;
}
