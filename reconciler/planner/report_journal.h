/*
 * report_journal.h - the audit journal as the report counts it
 *
 * The journal is read in one pass (state/journal.h's sk_journal_read(),
 * whose callback hands each record to sk_report_journal_add()); this keeps
 * only what the report needs, not the records: each completed change
 * (create, copy, delete, settings) with its time, region and signed size,
 * each failure, drill and restore.  Outcomes name their intent by id and do
 * not repeat its size, so the sizes of the intents of creates, copies and
 * deletes are kept by id until then.  Pure: it reads records it is given.
 */
#ifndef SK_REPORT_JOURNAL_H
#define SK_REPORT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "reconciler/planner/report.h"

struct sk_journal_record;

/* one thing the journal says happened */
struct sk_report_journal_event {
	int64_t time;             /* seconds */
	enum sk_report_event_kind kind;
	bool failed;              /* a drill or restore that failed counts as both (kind DRILL/RESTORE) */
	const char *action;       /* "create", "drill", ... (interned) */
	const char *region;
	const char *instance;     /* or NULL */
	const char *target;       /* or NULL */
	const char *detail;       /* or NULL */
	int64_t gib;              /* storage it changed in region: + created or copied, - deleted; 0 */
};

struct sk_report_journal_intent;

struct sk_report_journal {
	int64_t since;            /* records before it are not counted */
	struct sk_report_journal_event *events; /* in journal order */
	size_t n_events, cap_events;
	size_t records;           /* records seen */
	/* intents of creates, copies and deletes by id, open addressing */
	struct sk_report_journal_intent *slots;
	size_t n_slots, n_intents;
	struct sk_arena arena;
};

int sk_report_journal_new(struct sk_report_journal **out, int64_t since);
/* one record, in journal order: 0, or -1 when out of memory (error set) */
int sk_report_journal_add(struct sk_report_journal *j, const struct sk_journal_record *rec);
void sk_report_journal_free(struct sk_report_journal *j);

#endif
