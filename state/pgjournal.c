/*
 * pgjournal.c - the audit journal as a PostgreSQL table
 */
#include "state/pgjournal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"

int sk_pgjournal_insert(bool *inserted, struct sk_pg *pg, const struct sk_journal_record *r, const char *text,
			size_t len)
{
	char ms[32];
	const char *params[12];
	PGresult *res = NULL;
	char *copy;
	int rc;

	*inserted = false;
	if (!r->id)
		return sk_error_set(SK_ERR_STATE, "journal record without an id");
	copy = strndup(text, len);
	if (!copy)
		return sk_error_set_oom();
	snprintf(ms, sizeof(ms), "%" PRId64, r->time_ms);
	params[0] = r->id;
	params[1] = r->type;
	params[2] = r->intent;
	params[3] = r->run_id;
	params[4] = ms;
	params[5] = r->action;
	params[6] = r->region;
	params[7] = r->instance;
	params[8] = r->target;
	params[9] = r->policy;
	params[10] = r->result;
	params[11] = copy;
	rc = sk_pg_exec(&res, pg, "cannot write the journal",
			"INSERT INTO snapkeep_journal (id, type, intent, run_id, at, action, region, instance, target, "
			"policy, result, record) VALUES ($1, $2, $3, $4, to_timestamp($5::bigint / 1000.0), $6, $7, $8, "
			"$9, $10, $11, $12::json) ON CONFLICT (id) DO NOTHING",
			12, params);
	if (rc == 0)
		*inserted = atoi(PQcmdTuples(res)) == 1;
	PQclear(res);
	free(copy);
	return rc;
}

static int sink(void *ud, const struct sk_journal_record *r, const char *text, size_t len)
{
	bool inserted;

	if (sk_pgjournal_insert(&inserted, ud, r, text, len) < 0)
		return -1;
	if (!inserted)
		return sk_error_set(SK_ERR_STATE, "journal record '%s' is there already", r->id);
	return 0;
}

static int read_rows(void *src, const struct sk_journal_filter *f, sk_journal_cb cb, void *ud,
		     struct sk_journal_stats *stats)
{
	return sk_pgjournal_read(src, f, cb, ud, stats);
}

int sk_pgjournal_open(struct sk_journal **out, struct sk_pg *pg)
{
	if (!sk_pg_has_schema(pg))
		return sk_error_set(SK_ERR_STATE, "%s has no snapkeep schema", sk_pg_name(pg));
	return sk_journal_open_sink(out, sk_pg_name(pg), sink, pg, read_rows, pg);
}

/* streams the rows of a query (seq, record) through cb, one at a time */
static int stream(struct sk_pg *pg, const char *sql, int n, const char *const *params,
		  const struct sk_journal_filter *f, sk_journal_cb cb, void *ud, struct sk_journal_stats *stats)
{
	PGconn *c;
	PGresult *res;
	int rc = 0, stop = 0;

	sk_pg_lock(pg);
	c = sk_pg_conn(pg);
	if (PQstatus(c) != CONNECTION_OK || !PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(c)) {
		rc = sk_pg_fail(pg, "cannot read the journal", NULL);
		goto done;
	}
	while ((res = PQgetResult(c))) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE && !stop && rc == 0) {
			struct sk_journal_record r;
			json_t *j = NULL;

			if (sk_journal_parse_line(&r, &j, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1)) < 0) {
				stats->damaged++;
				if (!f || !f->quiet)
					sk_warn("%s: journal row %s: skipped a damaged record: %s", sk_pg_name(pg),
						PQgetvalue(res, 0, 0), sk_error_message());
			} else {
				r.line = (size_t)strtoull(PQgetvalue(res, 0, 0), NULL, 10);
				stats->records++;
				if (sk_journal_matches(&r, f)) {
					stats->matched++;
					stop = cb ? cb(ud, &r) : 0;
				}
				json_decref(j);
			}
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && rc == 0) {
			rc = sk_pg_fail(pg, "cannot read the journal", res);
		}
		PQclear(res);
	}
done:
	sk_pg_unlock(pg);
	return rc ? rc : stop;
}

int sk_pgjournal_read(struct sk_pg *pg, const struct sk_journal_filter *f, sk_journal_cb cb, void *ud,
		      struct sk_journal_stats *stats)
{
	struct sk_journal_stats local;
	char since[32];
	const char *params[3] = { NULL, NULL, NULL };

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (!sk_pg_has_schema(pg))
		return SK_ENOTFOUND;
	if (f && f->since_ms) {
		snprintf(since, sizeof(since), "%" PRId64, f->since_ms);
		params[0] = since;
	}
	if (f) {
		params[1] = f->type;
		params[2] = f->instance;
	}
	return stream(pg,
		      "SELECT seq, record FROM snapkeep_journal "
		      "WHERE ($1::bigint IS NULL OR at >= to_timestamp($1::bigint / 1000.0) - interval '1 millisecond') "
		      "AND ($2::text IS NULL OR type = $2) "
		      "AND ($3::text IS NULL OR instance = $3 OR target = $3) ORDER BY seq",
		      3, params, f, cb, ud, stats);
}

static int collect(void *ud, const struct sk_journal_record *r)
{
	return json_array_append(ud, (json_t *)r->json) < 0 ? sk_error_set_oom() : 0;
}

int sk_pgjournal_unresolved(json_t **out, struct sk_pg *pg)
{
	struct sk_journal_stats stats;
	json_t *arr = json_array();
	int rc;

	*out = NULL;
	if (!arr)
		return sk_error_set_oom();
	memset(&stats, 0, sizeof(stats));
	if (!sk_pg_has_schema(pg)) {
		*out = arr;
		return 0;
	}
	/* as sk_journal_unresolved(): an outcome other than "unknown", or a resolution, closes an intent */
	rc = stream(pg,
		    "SELECT i.seq, i.record FROM snapkeep_journal i WHERE i.type = 'intent' AND NOT EXISTS "
		    "(SELECT 1 FROM snapkeep_journal o WHERE o.intent = i.id AND (o.type = 'resolution' OR "
		    "(o.type = 'outcome' AND o.result IS DISTINCT FROM '" SK_RESULT_UNKNOWN "'))) ORDER BY i.seq",
		    0, NULL, NULL, collect, arr, &stats);
	if (rc != 0) {
		json_decref(arr);
		return rc < 0 ? rc : -1;
	}
	*out = arr;
	return 0;
}
