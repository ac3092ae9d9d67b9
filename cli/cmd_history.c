/*
 * cmd_history.c - snapkeep history: what apply did, from the audit journal
 *
 * A table by default, one row per call: its outcome, or how a later run
 * resolved it, or "unresolved" while nothing says how it ended; a restore
 * waited for has a second row saying how its new instance ended up.  With
 * --output json, every journal record that passes the filters (intents,
 * outcomes, resolutions and others), one JSON object per line as stored.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "state/backend.h"
#include "state/journal.h"
#include "state/statedir.h"

/* "2026-01-01T03:00:00Z", or a duration back from now: "90m", "24h", "7d", "2w" */
static int parse_since(int64_t *out_ms, const char *s)
{
	char *end;
	long long n;
	int64_t unit;

	if (sk_time_parse_rfc3339_ms(out_ms, s) == 0)
		return 0;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || n < 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (end[0]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	if (n > (long long)(INT64_MAX / 1000 / unit))
		return -1;
	*out_ms = sk_time_now_ms() - (int64_t)n * unit * 1000;
	return 0;
}

struct show {
	bool json;
	json_t *unresolved; /* intent id -> record */
	json_t *accounts;   /* intent id -> the account it was made in (Settings' accounts), as read */
	size_t rows;
};

/* the account an intent names (in its call, or at its top level for a restore's), or NULL */
static const char *intent_account(const struct sk_journal_record *r)
{
	const char *a = json_string_value(json_object_get(json_object_get(r->json, "call"), "account"));

	return a ? a : json_string_value(json_object_get(r->json, "account"));
}

/* the account of a record: its own intent's for an outcome or resolution; NULL: the caller's own */
static const char *record_account(struct show *sh, const struct sk_journal_record *r)
{
	if (!strcmp(r->type, "intent"))
		return intent_account(r);
	return r->intent ? json_string_value(json_object_get(sh->accounts, r->intent)) : NULL;
}

static void row(struct show *sh, const struct sk_journal_record *r, const char *result, const char *request_id,
		const char *note)
{
	char when[SK_TIME_RFC3339_MAX] = "-", target[512];
	const char *account = record_account(sh, r);

	/* over Settings' accounts: <account>/<target>, as `report` names instances */
	if (account)
		snprintf(target, sizeof(target), "%s/%s", account, r->target ? r->target : "-");
	else
		snprintf(target, sizeof(target), "%s", r->target ? r->target : "-");
	if (!sh->rows++)
		printf("%-20s  %-17s  %-40s  %-14s  %-19s  %-36s  %s\n", "TIME", "ACTION", "TARGET", "REGION", "RESULT",
		       "REQUEST ID", "ERROR / DETAIL");
	if (r->time_ms)
		sk_time_format_rfc3339(when, r->time_ms / 1000);
	printf("%-20s  %-17s  %-40s  %-14s  %-19s  ", when, r->action ? r->action : "-", target,
	       r->region ? r->region : "-", result);
	if (note && *note)
		printf("%-36s  %s\n", request_id && *request_id ? request_id : "-", note);
	else
		printf("%s\n", request_id && *request_id ? request_id : "-");
}

static int show_record(void *ud, const struct sk_journal_record *r)
{
	struct show *sh = ud;
	char result[64], note[1024] = "";

	if (ferror(stdout))
		return 1; /* nobody reads any more (history | head): stop reading */
	if (sh->json) {
		char *text = json_dumps(r->json, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!text)
			return sk_error_set_oom();
		printf("%s\n", text);
		free(text);
		return 0;
	}
	if (!strcmp(r->type, "intent") && r->id && intent_account(r) &&
	    ((!sh->accounts && !(sh->accounts = json_object())) ||
	     json_object_set_new(sh->accounts, r->id, json_string(intent_account(r))) < 0))
		return sk_error_set_oom();
	if (!strcmp(r->type, "outcome")) {
		sk_strlcpy(result, r->result ? r->result : "?", sizeof(result));
		/* snapkeep's own account first: it names the AWS error and says what was made of it */
		if (r->detail)
			sk_strlcpy(note, r->detail, sizeof(note));
		else if (r->error_code || r->error_message)
			snprintf(note, sizeof(note), "%s%s%s", r->error_code ? r->error_code : "",
				 r->error_code && r->error_message ? ": " : "", r->error_message ? r->error_message : "");
		row(sh, r, result, r->request_id, note);
	} else if (!strcmp(r->type, "resolution")) {
		snprintf(result, sizeof(result), "resolved: %s", r->how ? r->how : "?");
		row(sh, r, result, NULL, r->detail);
	} else if (!strcmp(r->type, "restore") || !strcmp(r->type, "drill") || !strcmp(r->type, "drill-cleanup")) {
		/* what became of a restore's new instance (restore --wait): available, timeout, ...;
		 * restore drills: passed/failed and what they measured; deletions of drill instances a crash left */
		row(sh, r, r->result ? r->result : "?", NULL, r->detail);
	} else if (!strcmp(r->type, "allow-destructive")) {
		/* who let a loud plan through (apply --allow-destructive), at which commit */
		struct sk_journal_record c = *r;
		const char *user = json_string_value(json_object_get(r->json, "user"));
		c.action = "allow-destructive";
		snprintf(note, sizeof(note), "by %s at commit %.12s", user ? user : "?", r->commit ? r->commit : "?");
		row(sh, &c, "allowed", NULL, note);
	} else if (!strcmp(r->type, "intent") && r->id && json_object_get(sh->unresolved, r->id)) {
		row(sh, r, "unresolved", NULL, "how it ended is not known yet (interrupted?)");
	}
	return 0;
}

int cmd_history(struct sk_cli *cli)
{
	struct sk_journal_filter f = SK_JOURNAL_FILTER_INIT;
	struct sk_journal_stats st;
	struct show sh;
	json_t *pending = NULL, *v;
	struct sk_backend *b = NULL;
	char *dir = NULL;
	size_t i;
	int rc = SK_EXIT_ERROR, e;

	memset(&sh, 0, sizeof(sh));
	if (cli->argc > 0)
		return sk_cli_usage(cli, "unexpected argument '%s'. See 'snapkeep history --help'.", cli->argv[0]);
	if (cli->since && parse_since(&f.since_ms, cli->since) < 0)
		return sk_cli_usage(cli, "--since must be an RFC 3339 time or a duration like 24h or 7d, got '%s'",
				    cli->since);
	f.instance = cli->instance;
	sh.json = cli->json;
	f.quiet = !sh.json; /* text makes two passes: warn in the first only */
	if (cli->state_backend) {
		/* PostgreSQL: read as it is, nothing created */
		if (sk_cli_open_backend(&b, cli, false) < 0)
			return sk_cli_fail();
		e = 0;
	} else {
		if (sk_statedir_resolve(&dir, cli->state_dir) < 0)
			return sk_cli_fail();
		e = sk_statedir_exists(dir);
		if (e < 0 && e != SK_ENOTFOUND) {
			rc = sk_cli_fail();
			goto done;
		}
		if (e == 0 && sk_cli_open_backend(&b, cli, false) < 0) {
			rc = sk_cli_fail();
			goto done;
		}
	}
	if (e == 0 && !sh.json) {
		/* rows for calls nothing says the end of: the intents themselves */
		if (sk_backend_journal_unresolved(&pending, b) < 0) {
			rc = sk_cli_fail();
			goto done;
		}
		sh.unresolved = json_object();
		if (!sh.unresolved) {
			sk_error_set_oom();
			rc = sk_cli_fail();
			goto done;
		}
		json_array_foreach(pending, i, v) {
			const char *id = json_string_value(json_object_get(v, "id"));
			if (id)
				json_object_set(sh.unresolved, id, v);
		}
	}
	e = e == 0 ? sk_backend_journal_read(b, &f, show_record, &sh, &st) : SK_ENOTFOUND;
	if (e == SK_ENOTFOUND) {
		if (!sh.json) {
			if (b && sk_backend_kind(b) == SK_BACKEND_PG)
				sk_warn("no history yet: no journal in %s", sk_backend_name(b));
			else
				sk_warn("no history yet: no journal in '%s'", dir);
		}
		rc = SK_EXIT_OK;
		goto done;
	}
	if (e < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	if (e > 0 && (e = sk_cli_stdout_status()) != SK_CLI_STDOUT_CLOSED) {
		rc = sk_cli_fail();
		goto done;
	}
	if (e == SK_CLI_STDOUT_CLOSED) {
		rc = SK_EXIT_OK;
		goto done;
	}
	if (!sh.json) {
		if (!sh.rows)
			printf("No calls recorded%s%s%s%s.\n", cli->since ? " since " : "", cli->since ? cli->since : "",
			       cli->instance ? " for instance " : "", cli->instance ? cli->instance : "");
		if (json_object_size(sh.unresolved))
			printf("\n%zu call%s without a known outcome: the next apply checks live state and records how %s "
			       "ended.\n",
			       json_object_size(sh.unresolved), json_object_size(sh.unresolved) == 1 ? "" : "s",
			       json_object_size(sh.unresolved) == 1 ? "it" : "they");
	}
	rc = sk_cli_stdout_status() < 0 ? sk_cli_fail() : SK_EXIT_OK;
done:
	json_decref(sh.unresolved);
	json_decref(sh.accounts);
	json_decref(pending);
	sk_backend_close(b);
	free(dir);
	return rc;
}
