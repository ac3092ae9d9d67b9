/*
 * report_journal.c - the audit journal as the report counts it (report_journal.h)
 */
#include "reconciler/planner/report_journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/array.h"
#include "common/error.h"
#include "state/journal.h"

/* an intent's size is looked for this long after it (a resolution comes with the next run) */
#define INTENT_GRACE ((int64_t)7 * 86400)

struct sk_report_journal_intent {
	const char *id; /* NULL: an empty slot */
	int64_t gib;
};

int sk_report_journal_new(struct sk_report_journal **out, int64_t since)
{
	struct sk_report_journal *j = calloc(1, sizeof(*j));

	*out = NULL;
	if (!j)
		return sk_error_set_oom();
	j->since = since;
	j->arena = (struct sk_arena)SK_ARENA_INIT;
	*out = j;
	return 0;
}

void sk_report_journal_free(struct sk_report_journal *j)
{
	if (!j)
		return;
	free(j->events);
	free(j->slots);
	sk_arena_free(&j->arena);
	free(j);
}

/* FNV-1a */
static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

static struct sk_report_journal_intent *slot_of(struct sk_report_journal_intent *slots, size_t n, const char *id)
{
	size_t i = hash(id) & (n - 1);

	while (slots[i].id && strcmp(slots[i].id, id))
		i = (i + 1) & (n - 1);
	return &slots[i];
}

static int remember(struct sk_report_journal *j, const char *id, int64_t gib)
{
	struct sk_report_journal_intent *s;

	if ((j->n_intents + 1) * 2 > j->n_slots) {
		size_t n = j->n_slots ? j->n_slots * 2 : 1024, i;
		struct sk_report_journal_intent *grown = calloc(n, sizeof(*grown));

		if (!grown)
			return sk_error_set_oom();
		for (i = 0; i < j->n_slots; i++)
			if (j->slots[i].id)
				*slot_of(grown, n, j->slots[i].id) = j->slots[i];
		free(j->slots);
		j->slots = grown;
		j->n_slots = n;
	}
	s = slot_of(j->slots, j->n_slots, id);
	if (s->id)
		return 0;
	if (!(s->id = sk_arena_strdup(&j->arena, id)))
		return -1;
	s->gib = gib;
	j->n_intents++;
	return 0;
}

static int64_t intent_gib(const struct sk_report_journal *j, const char *id)
{
	const struct sk_report_journal_intent *s;

	if (!id || !j->n_slots)
		return 0;
	s = slot_of(j->slots, j->n_slots, id);
	return s->id ? s->gib : 0;
}

static bool is(const char *s, const char *what)
{
	return s && !strcmp(s, what);
}

/* what a completed call of this action changed, or -1 when the history does not count it */
static int change_kind(const char *action)
{
	if (is(action, "create"))
		return SK_EVENT_CREATED;
	if (is(action, "copy"))
		return SK_EVENT_COPIED;
	if (is(action, "delete"))
		return SK_EVENT_DELETED;
	if (is(action, "modify") || is(action, "start-replication") || is(action, "stop-replication"))
		return SK_EVENT_SETTINGS;
	if (action && !strncmp(action, "restore-", 8))
		return SK_EVENT_RESTORE;
	return -1;
}

static const char *keep(struct sk_report_journal *j, const char *s, bool *oom)
{
	const char *k;

	if (!s)
		return NULL;
	if (!(k = sk_arena_intern(&j->arena, s)))
		*oom = true;
	return k;
}

static int add_event(struct sk_report_journal *j, const struct sk_journal_record *rec, enum sk_report_event_kind kind,
		     bool failed, int64_t gib, const char *detail)
{
	struct sk_report_journal_event *e = SK_ARRAY_PUSH(j->events, j->n_events, j->cap_events);
	bool oom = false;

	if (!e)
		return -1;
	memset(e, 0, sizeof(*e));
	e->time = rec->time_ms / 1000;
	e->kind = kind;
	e->failed = failed;
	e->action = keep(j, rec->action ? rec->action : rec->type, &oom);
	e->region = keep(j, rec->region, &oom);
	e->instance = keep(j, rec->instance, &oom);
	e->target = keep(j, rec->target, &oom);
	if (detail && !(e->detail = sk_arena_strdup(&j->arena, detail)))
		oom = true;
	e->gib = gib;
	return oom ? -1 : 0;
}

/* "DBSnapshotAlreadyExists: ..." or whatever the record says of its failure */
static const char *failure_detail(char *buf, size_t len, const struct sk_journal_record *rec)
{
	if (rec->error_code && rec->error_message)
		snprintf(buf, len, "%s: %s", rec->error_code, rec->error_message);
	else if (rec->error_code || rec->error_message)
		snprintf(buf, len, "%s", rec->error_code ? rec->error_code : rec->error_message);
	else
		return rec->detail;
	return buf;
}

int sk_report_journal_add(struct sk_report_journal *j, const struct sk_journal_record *rec)
{
	int64_t t = rec->time_ms / 1000;
	char buf[1024];
	int kind;

	j->records++;
	if (!rec->type || !rec->time_ms)
		return 0;
	if (is(rec->type, "intent")) {
		kind = change_kind(rec->action);
		if ((kind == SK_EVENT_CREATED || kind == SK_EVENT_COPIED || kind == SK_EVENT_DELETED) && rec->id &&
		    t >= j->since - INTENT_GRACE) {
			json_t *call = json_object_get(rec->json, "call");
			int64_t gib = (int64_t)json_integer_value(json_object_get(call, "allocatedGiB"));
			return remember(j, rec->id, kind == SK_EVENT_DELETED ? -gib : gib);
		}
		return 0;
	}
	if (t < j->since)
		return 0;
	if (is(rec->type, "outcome") || (is(rec->type, "resolution") && is(rec->how, "completed"))) {
		const char *result = is(rec->type, "outcome") ? rec->result : "done";

		kind = change_kind(rec->action);
		if (kind < 0)
			return 0;
		if (is(result, "done"))
			return add_event(j, rec, (enum sk_report_event_kind)kind, false,
					 kind == SK_EVENT_RESTORE || kind == SK_EVENT_SETTINGS ? 0 : intent_gib(j, rec->intent),
					 NULL);
		if (is(result, "failed"))
			return add_event(j, rec, SK_EVENT_FAILED, true, 0, failure_detail(buf, sizeof(buf), rec));
		return 0;
	}
	if (is(rec->type, "drill")) {
		bool failed = !is(rec->result, "passed");
		return add_event(j, rec, SK_EVENT_DRILL, failed, 0, rec->detail);
	}
	if (is(rec->type, "restore") && !is(rec->result, "available")) {
		snprintf(buf, sizeof(buf), "%s%s%s", rec->result ? rec->result : "failed", rec->detail ? ": " : "",
			 rec->detail ? rec->detail : "");
		return add_event(j, rec, SK_EVENT_RESTORE, true, 0, buf);
	}
	return 0;
}
