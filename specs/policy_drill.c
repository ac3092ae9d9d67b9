/*
 * policy_drill.c - spec.drill of a BackupPolicy: schedule, source (the
 * newest snapshot, or a point in time `lag` ago), the drill instance's
 * class, how to connect (database, user, and where the password is: an
 * environment variable or a file, never the policy itself), the checks
 * and the time limits
 *
 * A check is one query whose first column of its first row must be at
 * least a number (atLeast), equal a value (expect) or be a timestamp not
 * older than the restored snapshot by a duration (notOlderThanSnapshotBy);
 * exactly one of the three.
 */
#include "specs/policy_drill.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "specs/policy_snapshots.h"

#define MAX_CHECKS 50
#define MAX_SQL 16384
#define MAX_CHECK_NAME 128
#define MAX_IDENT 63 /* PostgreSQL's NAMEDATALEN - 1 */
#define DEFAULT_TIMEOUT (2 * 3600)
/* no real RDS restore is done this fast; the floor only keeps a typo from failing every drill at once */
#define MIN_TIMEOUT 10
#define DEFAULT_STATEMENT_TIMEOUT 60
#define DURATION_EXPECTED "a duration such as 90s, 15m, 2h or 1d12h (d h m s in that order; m is minutes)"

int64_t sk_policy_drill_duration(const char *s)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	int64_t total = 0;
	size_t u = 0;

	if (!*s || !sk_policy_keys_match(SK_POLICY_RX_DURATION, s))
		return -1;
	while (*s) {
		char *end;
		long long n = strtoll(s, &end, 10);

		while (u < 4 && units[u].unit != *end)
			u++;
		if (u == 4 || end == s)
			return -1;
		total += n * units[u].secs;
		s = end + 1;
	}
	return total;
}

/* a duration in min..max seconds */
static bool want_duration(struct sk_pctx *p, const struct sk_ynode *n, const char *label, int64_t min, int64_t max,
			  int64_t *out)
{
	char v[SK_PCTX_SHOW_MAX];
	int64_t secs;

	if (!sk_pctx_want_string(p, n, label))
		return false;
	if ((secs = sk_policy_drill_duration(n->text)) < 0) {
		sk_pctx_diag(p, n, "%s must be " DURATION_EXPECTED ", got '%s'", label, SK_PCTX_SHOWN(v, n));
		return false;
	}
	if (secs < min || secs > max) {
		sk_pctx_diag(p, n, "%s '%s' must be between %llds and %lldh", label, SK_PCTX_SHOWN(v, n),
			     (long long)min, (long long)(max / 3600));
		return false;
	}
	*out = secs;
	return true;
}

/* a string of 1..max bytes without control characters but tabs and newlines (SQL) */
static bool want_text(struct sk_pctx *p, const struct sk_ynode *n, const char *label, size_t max, char **out)
{
	if (!sk_pctx_want_string(p, n, label))
		return false;
	if (n->len == 0 || n->len > max) {
		sk_pctx_diag(p, n, "%s must be 1..%zu characters, got %zu", label, max, n->len);
		return false;
	}
	*out = sk_pctx_strdup(p, n->text, n->len);
	return *out != NULL;
}

static void parse_connect(struct sk_pctx *p, const struct sk_ynode *k, const struct sk_ynode *n,
			  struct sk_policy_drill *d)
{
	const struct sk_ynode *v, *envk;

	if (!sk_pctx_want_map(p, n, "connect"))
		return;
	sk_pctx_check_keys(p, n, "connect", sk_policy_keys_drill_connect);
	if (!(v = sk_pctx_field(n, "database", NULL)))
		sk_pctx_diag(p, k, "missing 'database' in 'connect'");
	else
		want_text(p, v, "connect.database", MAX_IDENT, &d->database);
	if (!(v = sk_pctx_field(n, "user", NULL)))
		sk_pctx_diag(p, k, "missing 'user' in 'connect'");
	else
		want_text(p, v, "connect.user", MAX_IDENT, &d->user);
	v = sk_pctx_field(n, "passwordEnv", &envk);
	if (v)
		sk_pctx_want_pattern(p, v, "connect.passwordEnv", SK_POLICY_RX_ENV, 255,
				     "an environment variable name (letters, digits, '_', not starting with a digit)",
				     &d->password_env);
	if ((v = sk_pctx_field(n, "passwordFile", NULL))) {
		if (envk)
			sk_pctx_diag(p, envk, "connect must have either 'passwordEnv' or 'passwordFile', not both");
		else
			want_text(p, v, "connect.passwordFile", 4096, &d->password_file);
	} else if (!envk) {
		sk_pctx_diag(p, k,
			     "connect needs 'passwordEnv' (an environment variable) or 'passwordFile' (a file) holding the password");
	}
}

/* atLeast: a number */
static bool want_number(struct sk_pctx *p, const struct sk_ynode *n, const char *label, double *out)
{
	char d[SK_PCTX_DESCRIBE_MAX];

	if (n->type == SK_Y_SCALAR && (n->kind == SK_YK_INT || n->kind == SK_YK_FLOAT) && !strpbrk(n->text, "nN")) {
		*out = strtod(n->text, NULL);
		if (isfinite(*out))
			return true;
	}
	if (!sk_pctx_is_alias(n))
		sk_pctx_diag(p, n, "%s must be a number, got %s", label, sk_pctx_describe(d, n));
	return false;
}

static bool parse_check(struct sk_pctx *p, const struct sk_ynode *c, const char *label, struct sk_drill_check *out)
{
	static const char *const kinds[] = { "atLeast", "expect", "notOlderThanSnapshotBy" };
	const struct sk_ynode *v, *seen = NULL, *kk;
	char sub[96], d[SK_PCTX_DESCRIBE_MAX];
	bool ok = true;
	int kind = -1;

	if (!sk_pctx_want_map(p, c, label))
		return false;
	sk_pctx_check_keys(p, c, label, sk_policy_keys_drill_check);
	out->pos = sk_pctx_pos(p, c);
	out->expect_bool = -1;
	snprintf(sub, sizeof(sub), "%s.name", label);
	if (!(v = sk_pctx_field(c, "name", NULL))) {
		sk_pctx_diag(p, c, "missing 'name' in '%s'", label);
		ok = false;
	} else if (!want_text(p, v, sub, MAX_CHECK_NAME, &out->name)) {
		ok = false;
	}
	snprintf(sub, sizeof(sub), "%s.sql", label);
	if (!(v = sk_pctx_field(c, "sql", NULL))) {
		sk_pctx_diag(p, c, "missing 'sql' in '%s' (a query whose first column of its first row is checked)",
			     label);
		ok = false;
	} else if (!want_text(p, v, sub, MAX_SQL, &out->sql)) {
		ok = false;
	}
	for (int i = 0; i < 3; i++) {
		if (!(v = sk_pctx_field(c, kinds[i], &kk)))
			continue;
		if (seen) {
			sk_pctx_diag(p, kk, "%s must have one of atLeast, expect and notOlderThanSnapshotBy, not both '%s' and '%s'",
				     label, kinds[kind], kinds[i]);
			return false;
		}
		seen = v;
		kind = i;
	}
	if (!seen) {
		sk_pctx_diag(p, c, "%s needs one of atLeast (a number), expect (a value) or notOlderThanSnapshotBy (a duration)",
			     label);
		return false;
	}
	snprintf(sub, sizeof(sub), "%s.%s", label, kinds[kind]);
	out->kind = (enum sk_drill_check_kind)kind;
	switch (out->kind) {
	case SK_DRILL_AT_LEAST:
		ok = want_number(p, seen, sub, &out->at_least) && ok;
		break;
	case SK_DRILL_EXPECT:
		if (seen->type != SK_Y_SCALAR || seen->kind == SK_YK_NULL || seen->kind == SK_YK_INVALID) {
			if (!sk_pctx_is_alias(seen))
				sk_pctx_diag(p, seen, "%s must be a string, number or boolean, got %s", sub,
					     sk_pctx_describe(d, seen));
			return false;
		}
		if (seen->kind == SK_YK_BOOL)
			out->expect_bool = seen->text[0] == 't' || seen->text[0] == 'T';
		out->expect = sk_pctx_strdup(p, seen->text, seen->len);
		break;
	case SK_DRILL_FRESH:
		ok = want_duration(p, seen, sub, 1, 400 * 86400, &out->max_age) && ok;
		break;
	}
	return ok;
}

static void parse_checks(struct sk_pctx *p, const struct sk_ynode *k, const struct sk_ynode *n,
			 struct sk_policy_drill *d)
{
	char label[48], w[SK_PCTX_SHOW_MAX];
	size_t j = 0;

	if (!sk_pctx_want_seq(p, n, "checks"))
		return;
	if (n->n_kids == 0 || n->n_kids > MAX_CHECKS) {
		sk_pctx_diag(p, k, "checks must have 1..%d items, got %zu", MAX_CHECKS, n->n_kids);
		return;
	}
	d->checks = sk_pctx_calloc(p, n->n_kids, sizeof(*d->checks));
	if (!d->checks)
		return;
	for (size_t i = 0; i < n->n_kids; i++) {
		struct sk_drill_check *c = &d->checks[j];
		bool dup = false;

		snprintf(label, sizeof(label), "checks[%zu]", i);
		if (!parse_check(p, n->kids[i], label, c)) {
			memset(c, 0, sizeof(*c));
			continue;
		}
		for (size_t m = 0; m < j && !dup; m++) {
			if (!strcmp(d->checks[m].name, c->name)) {
				sk_pctx_diag(p, n->kids[i], "%s.name '%s' is used twice (first at %s:%d:%d)", label,
					     sk_pctx_show(w, c->name, strlen(c->name)), d->checks[m].pos.file,
					     d->checks[m].pos.line, d->checks[m].pos.col);
				dup = true;
			}
		}
		if (dup)
			memset(c, 0, sizeof(*c));
		else
			j++;
	}
	d->n_checks = j;
}

void sk_policy_drill_parse(struct sk_pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			   struct sk_policy *pol)
{
	struct sk_policy_drill *d = &pol->drill;
	const struct sk_ynode *v, *k, *lagk = NULL;
	char w[SK_PCTX_SHOW_MAX];

	memset(d, 0, sizeof(*d));
	d->pos = sk_pctx_pos(p, key);
	d->timeout = DEFAULT_TIMEOUT;
	d->statement_timeout = DEFAULT_STATEMENT_TIMEOUT;
	if (!sk_pctx_want_map(p, n, "drill"))
		return;
	sk_pctx_check_keys(p, n, "drill", sk_policy_keys_drill);
	pol->has_drill = true;
	if (!(v = sk_pctx_field(n, "schedule", NULL)))
		sk_pctx_diag(p, key, "missing 'schedule' in 'drill' (a cron schedule such as \"0 6 1 * *\")");
	else if (sk_pctx_want_string(p, v, "drill.schedule"))
		sk_policy_want_schedule(p, v, &d->schedule, &d->schedule_text);
	if ((v = sk_pctx_field(n, "source", NULL)) && sk_pctx_want_string(p, v, "drill.source")) {
		if (!strcmp(v->text, "point-in-time"))
			d->point_in_time = true;
		else if (strcmp(v->text, "latest-snapshot") != 0)
			sk_pctx_diag(p, v, "drill.source must be latest-snapshot or point-in-time, got '%s'",
				     SK_PCTX_SHOWN(w, v));
	}
	if ((v = sk_pctx_field(n, "lag", &lagk)))
		want_duration(p, v, "drill.lag", 0, 35 * 86400, &d->lag);
	if (lagk && !d->point_in_time)
		sk_pctx_diag(p, lagk, "drill.lag needs source: point-in-time");
	if ((v = sk_pctx_field(n, "instanceClass", NULL)))
		sk_pctx_want_pattern(p, v, "drill.instanceClass", SK_POLICY_RX_INSTANCE_CLASS, 64,
				     "an RDS instance class such as db.t3.micro", &d->instance_class);
	if (!(v = sk_pctx_field(n, "connect", &k)))
		sk_pctx_diag(p, key, "missing 'connect' in 'drill' (database, user, passwordEnv or passwordFile)");
	else
		parse_connect(p, k, v, d);
	if (!(v = sk_pctx_field(n, "checks", &k)))
		sk_pctx_diag(p, key, "missing 'checks' in 'drill' (queries that must answer as expected)");
	else
		parse_checks(p, k, v, d);
	if ((v = sk_pctx_field(n, "timeout", NULL)))
		want_duration(p, v, "drill.timeout", MIN_TIMEOUT, 48 * 3600, &d->timeout);
	if ((v = sk_pctx_field(n, "statementTimeout", NULL)))
		want_duration(p, v, "drill.statementTimeout", 1, 24 * 3600, &d->statement_timeout);
}
