/*
 * pgjournal.h - the audit journal as a PostgreSQL table (snapkeep_journal)
 *
 * Each record is one row, inserted in its own transaction (autocommit)
 * that has committed before the write returns: an intent is durable
 * before its call is made, as with the file's fdatasync.  The row keeps the
 * record's JSON exactly as the file would hold it (column record, type
 * json, which keeps its text), so readers see the same records in the same
 * order (seq); its fields are also columns, indexed for an auditor's
 * queries: by time (at), by instance or target, by action, by run, and
 * outcomes by intent.
 */
#ifndef SK_PGJOURNAL_H
#define SK_PGJOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "state/journal.h"
#include "state/pgstate.h"

/* a journal writing rows (sk_journal_open_sink) */
int sk_pgjournal_open(struct sk_journal **out, struct sk_pg *pg);

/*
 * Inserts one record given as its JSON line; a record whose id is there
 * already is left alone (*inserted false): `state push` runs again safely.
 */
int sk_pgjournal_insert(bool *inserted, struct sk_pg *pg, const struct sk_journal_record *r, const char *text,
			size_t len);

/*
 * sk_journal_read() of the table: rows in the order written, the filter
 * asked of PostgreSQL (stats->records counts the rows it returned, so it
 * equals stats->matched; r->line is the row's seq)
 */
int sk_pgjournal_read(struct sk_pg *pg, const struct sk_journal_filter *f, sk_journal_cb cb, void *ud,
		      struct sk_journal_stats *stats);

/* sk_journal_unresolved() of the table, asked of PostgreSQL (outcomes found by the intent index) */
int sk_pgjournal_unresolved(json_t **out, struct sk_pg *pg);

#endif
