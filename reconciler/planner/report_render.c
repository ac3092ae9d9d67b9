/*
 * report_render.c - a report as text, markdown and CSV, and the monthly
 * summary (report_render.h)
 *
 * Text and markdown share their tables: rows of cells, laid out in
 * aligned columns for a terminal or as a pipe table for markdown.
 */
#include "reconciler/planner/report_render.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/render_markdown.h"
#include "reconciler/planner/verify.h"

#define DAY ((int64_t)86400)
#define SHOWN_MAX 1000 /* instances and problems listed in text and markdown; the rest counted */

/* ---- tables ---- */

struct table {
	size_t cols;
	const char **cells; /* row-major */
	size_t n, cap;
	struct sk_arena arena;
	bool failed;
};

static void table_init(struct table *t, size_t cols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->arena = (struct sk_arena)SK_ARENA_INIT;
}

static void table_free(struct table *t)
{
	free(t->cells);
	sk_arena_free(&t->arena);
}

/* a row: t->cols strings (NULL: empty), which must outlive the table */
static void row(struct table *t, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, t);
	for (i = 0; i < t->cols; i++) {
		const char *s = va_arg(ap, const char *);
		const char **slot = SK_ARRAY_PUSH(t->cells, t->n, t->cap);
		if (!slot) {
			t->failed = true;
			break;
		}
		*slot = s ? s : "";
	}
	va_end(ap);
}

/* a cell printed into the table's arena ("" when out of memory: failed is set) */
#define cell(t, ...) cell_checked((t), sk_arena_printf(&(t)->arena, __VA_ARGS__))

static const char *cell_checked(struct table *t, const char *s)
{
	if (!s)
		t->failed = true;
	return s ? s : "";
}

/* columns on a terminal: how wide a string shows (UTF-8 characters, one column each) */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* one line of a cell: newlines and tabs as spaces, so a name cannot break the layout */
static void put_flat(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s, f);
}

static void table_text(FILE *f, const struct table *t, const char *indent)
{
	size_t w[16] = { 0 }, i, c, rows = t->cols ? t->n / t->cols : 0;

	for (i = 0; i < rows; i++)
		for (c = 0; c < t->cols && c < 16; c++)
			if (width(t->cells[i * t->cols + c]) > w[c])
				w[c] = width(t->cells[i * t->cols + c]);
	for (i = 0; i < rows; i++) {
		size_t last = t->cols;
		/* no trailing blanks: stop at the last cell with text */
		while (last > 1 && !*t->cells[i * t->cols + last - 1])
			last--;
		fputs(indent, f);
		for (c = 0; c < last; c++) {
			const char *s = t->cells[i * t->cols + c];
			put_flat(f, s);
			if (c + 1 < last)
				fprintf(f, "%*s", (int)(w[c] - width(s) + 2), "");
		}
		fputc('\n', f);
	}
}

static void table_markdown(FILE *f, const struct table *t)
{
	size_t i, c, rows = t->cols ? t->n / t->cols : 0;

	for (i = 0; i < rows; i++) {
		fputc('|', f);
		for (c = 0; c < t->cols; c++) {
			fputc(' ', f);
			sk_markdown_cell(f, t->cells[i * t->cols + c]);
			fputs(" |", f);
		}
		fputc('\n', f);
		if (i == 0) {
			fputc('|', f);
			for (c = 0; c < t->cols; c++)
				fputs("---|", f);
			fputc('\n', f);
		}
	}
	fputc('\n', f);
}

/* ---- words ---- */

static void day_text(char out[16], int64_t t)
{
	int64_t y;
	unsigned m, d;

	sk_time_civil_from_days((t - ((t % DAY) + DAY) % DAY) / DAY, &y, &m, &d);
	snprintf(out, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* "2026-12-03 10:00 UTC" */
static void minute_text(char out[32], int64_t t)
{
	char day[16];
	int64_t s = ((t % DAY) + DAY) % DAY;

	day_text(day, t);
	snprintf(out, 32, "%s %02d:%02d UTC", day, (int)(s / 3600), (int)(s % 3600 / 60));
}

static const char *usd(struct table *t, double v)
{
	return cell(t, "%.2f", v);
}

static const char *signed_usd(struct table *t, double v)
{
	return cell(t, "%+.2f", v + 0.0);
}

static int finish(FILE *f, bool failed)
{
	if (failed)
		return sk_error_set_oom();
	if (fflush(f) != 0 || ferror(f))
		return sk_error_set_errno(SK_ERR_OS, "cannot write the report");
	return 0;
}

/* "2 compliant, 1 drift, 1 at risk" */
static void counts_text(char *out, size_t len, const size_t counts[SK_REPORT_VERDICTS])
{
	snprintf(out, len, "%zu compliant, %zu drift, %zu at risk", counts[SK_REPORT_COMPLIANT], counts[SK_REPORT_DRIFT],
		 counts[SK_REPORT_AT_RISK]);
}

static const char *age_text(struct table *t, const struct sk_report *r, int64_t when)
{
	char d[48];

	if (!when)
		return "none";
	sk_verify_format_duration(d, r->now - when);
	return cell(t, "%s ago", d);
}

/* the instance as the tables name it: "<account>/<instance>" when the report covers several accounts */
static const char *instance_text(struct table *t, const struct sk_report_instance *ri)
{
	return ri->account ? cell(t, "%s/%s", ri->account, ri->instance) : ri->instance;
}

/* ---- the sections, shared by text and markdown ---- */

static void compliance_table(struct table *t, const struct sk_report *r)
{
	size_t i;

	row(t, "POLICY", "INSTANCE", "REGION", "VERDICT", "NEWEST", "REASON");
	for (i = 0; i < r->n_instances && i < SHOWN_MAX; i++) {
		const struct sk_report_instance *ri = &r->instances[i];
		row(t, ri->policy, instance_text(t, ri), ri->region, sk_report_verdict_name(ri->verdict), age_text(t, r, ri->newest),
		    ri->reason ? ri->reason : "");
	}
}

static void problems_table(struct table *t, const struct sk_report *r)
{
	size_t i, shown = 0;

	row(t, "POLICY", "INSTANCE", "CHECK", "REGION", "WANTED", "FOUND", "VERDICT");
	for (i = 0; i < r->n_instances; i++) {
		const struct sk_report_instance *ri = &r->instances[i];
		size_t k;
		for (k = ri->first_check; k < ri->first_check + ri->n_checks && shown < SHOWN_MAX; k++) {
			const struct sk_report_check *c = &r->checks[k];
			if (c->verdict == SK_REPORT_COMPLIANT)
				continue;
			row(t, ri->policy, instance_text(t, ri), c->name, c->region, c->desired, c->live,
			    sk_report_verdict_name(c->verdict));
			shown++;
		}
	}
}

static void snapshots_table(struct table *t, const struct sk_report *r)
{
	size_t i;

	row(t, "POLICY", "INSTANCE", "REGION", "SNAPKEEP", "AWS-BACKUP", "AUTOMATED", "MANUAL", "NEXT APPLY");
	for (i = 0; i < r->n_instances && i < SHOWN_MAX; i++) {
		const struct sk_report_instance *ri = &r->instances[i];
		if (!ri->observed)
			continue;
		row(t, ri->policy, ri->instance, ri->region, cell(t, "%zu", ri->by_owner[SK_OWNER_SNAPKEEP]),
		    cell(t, "%zu", ri->by_owner[SK_OWNER_AWS_BACKUP]), cell(t, "%zu", ri->by_owner[SK_OWNER_AUTOMATED]),
		    cell(t, "%zu", ri->by_owner[SK_OWNER_MANUAL]),
		    ri->creating || ri->deleting ? cell(t, "+%zu -%zu", ri->creating, ri->deleting) : "no change");
	}
}

static void quota_table(struct table *t, const struct sk_report *r)
{
	size_t i;

	row(t, "REGION", "MANUAL", "AFTER PLAN", "QUOTA", "USE", "STATUS");
	for (i = 0; i < r->n_regions; i++) {
		const struct sk_report_region *g = &r->regions[i];
		size_t most = g->manual > g->manual_after ? g->manual : g->manual_after;
		row(t, g->region, cell(t, "%zu", g->manual), cell(t, "%zu", g->manual_after), cell(t, "%d", g->quota),
		    g->quota > 0 ? cell(t, "%zu%%", most * 100 / (size_t)g->quota) : "", g->over_quota ? "OVER QUOTA" : "ok");
	}
}

static void cost_tables(struct table *regions, struct table *policies, const struct sk_report *r)
{
	size_t i;

	row(regions, "REGION", "GIB", "USD/GB-MONTH", "STORAGE", "TRANSFER", "PLAN DELTA");
	for (i = 0; i < r->n_regions; i++) {
		const struct sk_report_region *g = &r->regions[i];
		row(regions, g->region, cell(regions, "%lld", (long long)g->cost.gib), cell(regions, "%.3f", g->price),
		    usd(regions, g->cost.storage), usd(regions, g->cost.transfer), signed_usd(regions, g->cost.delta));
	}
	row(regions, "total", cell(regions, "%lld", (long long)r->total.gib), "", usd(regions, r->total.storage),
	    usd(regions, r->total.transfer), signed_usd(regions, r->total.delta));
	row(policies, "POLICY", "INSTANCES", "GIB", "STORAGE", "TRANSFER", "PLAN DELTA");
	for (i = 0; i < r->n_policies; i++) {
		const struct sk_report_policy *p = &r->policies[i];
		row(policies, p->name, cell(policies, "%zu", p->n_instances), cell(policies, "%lld", (long long)p->cost.gib),
		    usd(policies, p->cost.storage), usd(policies, p->cost.transfer), signed_usd(policies, p->cost.delta));
	}
}

static void history_table(struct table *t, const struct sk_report *r)
{
	size_t d, k;

	row(t, "DAY", "CREATED", "COPIED", "DELETED", "SETTINGS", "FAILED", "DRILLS", "RESTORES");
	for (d = 0; d < r->n_days; d++) {
		const struct sk_report_day *day = &r->days[d];
		char when[16];
		size_t any = 0;
		for (k = 0; k < SK_REPORT_EVENT_KINDS; k++)
			any += day->counts[k];
		if (!any)
			continue;
		day_text(when, day->day);
		row(t, cell(t, "%s", when), cell(t, "%zu", day->counts[SK_EVENT_CREATED]),
		    cell(t, "%zu", day->counts[SK_EVENT_COPIED]), cell(t, "%zu", day->counts[SK_EVENT_DELETED]),
		    cell(t, "%zu", day->counts[SK_EVENT_SETTINGS]), cell(t, "%zu", day->counts[SK_EVENT_FAILED]),
		    cell(t, "%zu", day->counts[SK_EVENT_DRILL]), cell(t, "%zu", day->counts[SK_EVENT_RESTORE]));
	}
}

static void events_table(struct table *t, const struct sk_report *r)
{
	size_t i;

	row(t, "WHEN", "EVENT", "ACTION", "REGION", "INSTANCE", "TARGET", "DETAIL");
	for (i = r->n_events > SHOWN_MAX ? r->n_events - SHOWN_MAX : 0; i < r->n_events; i++) {
		const struct sk_report_event *e = &r->events[i];
		char when[32];
		minute_text(when, e->time);
		row(t, cell(t, "%s", when), e->kind == SK_EVENT_FAILED ? "failed" : e->kind == SK_EVENT_DRILL ? "drill" : sk_report_event_kind_name(e->kind), e->action, e->region, e->instance, e->target,
		    e->detail);
	}
}

static void totals_text(char *out, size_t len, const struct sk_report *r)
{
	size_t k, n = 0;

	out[0] = '\0';
	for (k = 0; k < SK_REPORT_EVENT_KINDS; k++) {
		int w = snprintf(out + n, len - n, "%s%s %zu", k ? ", " : "", sk_report_event_kind_name(k), r->totals[k]);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}

/* ---- what text and markdown both say ---- */

/* the sections' tables */
enum {
	T_COMPLIANCE,
	T_PROBLEMS,
	T_SNAPSHOTS,
	T_QUOTA,
	T_COST_REGIONS,
	T_COST_POLICIES,
	T_HISTORY,
	T_EVENTS,
	TABLES
};

/* the report's tables and the words around them, laid out by text or markdown */
struct sections {
	struct table t[TABLES];
	char now[32], observed[32], since[16], until[16], counts[128], totals[256];
};

static void sections_make(struct sections *s, const struct sk_report *r)
{
	static const size_t cols[TABLES] = { 6, 7, 8, 6, 6, 6, 8, 7 };
	size_t i;

	for (i = 0; i < TABLES; i++)
		table_init(&s->t[i], cols[i]);
	compliance_table(&s->t[T_COMPLIANCE], r);
	problems_table(&s->t[T_PROBLEMS], r);
	snapshots_table(&s->t[T_SNAPSHOTS], r);
	quota_table(&s->t[T_QUOTA], r);
	cost_tables(&s->t[T_COST_REGIONS], &s->t[T_COST_POLICIES], r);
	history_table(&s->t[T_HISTORY], r);
	events_table(&s->t[T_EVENTS], r);
	minute_text(s->now, r->now);
	minute_text(s->observed, r->observed_at ? r->observed_at : r->now);
	day_text(s->since, r->since);
	day_text(s->until, r->until - 1);
	counts_text(s->counts, sizeof(s->counts), r->counts);
	totals_text(s->totals, sizeof(s->totals), r);
}

/* frees the tables, then as finish() */
static int sections_finish(struct sections *s, FILE *f)
{
	bool failed = false;
	size_t i;

	for (i = 0; i < TABLES; i++) {
		failed |= s->t[i].failed;
		table_free(&s->t[i]);
	}
	return finish(f, failed);
}

/* a table with rows below its header */
static bool has_rows(const struct table *t)
{
	return t->n > t->cols;
}

/* ---- text ---- */

int sk_report_render_text(FILE *f, const struct sk_report *r)
{
	struct sections s;
	struct table *t = s.t;
	size_t i;

	sections_make(&s, r);
	fprintf(f, "SNAPKEEP REPORT %s, observed %s%s%.12s\n", s.now, s.observed, r->commit[0] ? ", commit " : "",
		r->commit);
	fprintf(f, "Overall: %s (%zu instance%s: %s)\n", sk_report_verdict_name(r->verdict), r->n_instances,
		r->n_instances == 1 ? "" : "s", s.counts);
	if (r->n_accounts || r->n_unobserved)
		fprintf(f, "Accounts: %zu observed (instances are named <account>/<instance>), %zu not observed\n",
			r->n_accounts, r->n_unobserved);
	for (i = 0; i < r->n_unobserved; i++)
		fprintf(f, "  account %s not observed: %s\n", r->unobserved[i].account, r->unobserved[i].error);

	fprintf(f, "\nCompliance\n");
	table_text(f, &t[T_COMPLIANCE], "  ");
	if (r->n_instances > SHOWN_MAX)
		fprintf(f, "  ... and %zu more instances (--format csv or json lists every one)\n", r->n_instances - SHOWN_MAX);
	if (r->counts[SK_REPORT_DRIFT] + r->counts[SK_REPORT_AT_RISK]) {
		fprintf(f, "\nChecks not as the policy wants\n");
		table_text(f, &t[T_PROBLEMS], "  ");
	}
	for (i = 0; i < r->n_policies; i++)
		if (r->policies[i].selects_nothing)
			fprintf(f, "  policy '%s' selects no instance: it protects no database\n", r->policies[i].name);

	fprintf(f, "\nSnapshots by owner\n");
	table_text(f, &t[T_SNAPSHOTS], "  ");

	fprintf(f, "\nQuota (manual snapshots per region)\n");
	table_text(f, &t[T_QUOTA], "  ");

	fprintf(f, "\nCost (USD per month; an upper bound: RDS snapshots are incremental, each counted whole)\n");
	table_text(f, &t[T_COST_REGIONS], "  ");
	fputc('\n', f);
	table_text(f, &t[T_COST_POLICIES], "  ");
	fprintf(f, "  transfer: a month of cross-region copies at %.3f USD/GB\n", r->transfer_price);

	fprintf(f, "\nHistory %s .. %s\n", s.since, s.until);
	if (!r->has_journal) {
		fprintf(f, "  no journal in the state directory\n");
	} else {
		fprintf(f, "  %s\n", s.totals);
		if (has_rows(&t[T_HISTORY]))
			table_text(f, &t[T_HISTORY], "  ");
		if (r->n_events) {
			fprintf(f, "\n  Failures and drills\n");
			table_text(f, &t[T_EVENTS], "  ");
		}
		if (r->journal_damaged)
			fprintf(f, "  (%zu damaged journal line%s skipped)\n", r->journal_damaged,
				r->journal_damaged == 1 ? "" : "s");
	}
	return sections_finish(&s, f);
}

/* ---- markdown ---- */

int sk_report_render_markdown(FILE *f, const struct sk_report *r)
{
	struct sections s;
	struct table *t = s.t;
	size_t i;

	sections_make(&s, r);
	fprintf(f, "# snapkeep report, %s\n\n", s.now);
	fprintf(f, "**Overall: %s** (%zu instance%s: %s)", sk_report_verdict_name(r->verdict), r->n_instances,
		r->n_instances == 1 ? "" : "s", s.counts);
	if (r->commit[0])
		fprintf(f, ", policy commit `%.12s`", r->commit);
	if (r->n_accounts || r->n_unobserved)
		fprintf(f, "\n\nAccounts: %zu observed (instances are named `<account>/<instance>`), %zu not observed",
			r->n_accounts, r->n_unobserved);
	for (i = 0; i < r->n_unobserved; i++)
		fprintf(f, "%s- account `%s` **not observed**: %s", i ? "\n" : "\n\n", r->unobserved[i].account,
			r->unobserved[i].error);
	fprintf(f, "\n\n## Compliance\n\n");
	table_markdown(f, &t[T_COMPLIANCE]);
	if (r->counts[SK_REPORT_DRIFT] + r->counts[SK_REPORT_AT_RISK]) {
		fprintf(f, "### Checks not as the policy wants\n\n");
		table_markdown(f, &t[T_PROBLEMS]);
	}
	fprintf(f, "## Snapshots by owner\n\n");
	table_markdown(f, &t[T_SNAPSHOTS]);
	fprintf(f, "## Quota\n\n");
	table_markdown(f, &t[T_QUOTA]);
	fprintf(f, "## Cost\n\nUSD per month, an **upper bound**: RDS snapshots are incremental, and each is counted "
		   "whole; transfer is a month of cross-region copies at %.3f USD/GB.\n\n",
		r->transfer_price);
	table_markdown(f, &t[T_COST_REGIONS]);
	table_markdown(f, &t[T_COST_POLICIES]);
	fprintf(f, "## History %s .. %s\n\n", s.since, s.until);
	if (!r->has_journal) {
		fprintf(f, "No journal in the state directory.\n");
	} else {
		fprintf(f, "%s\n\n", s.totals);
		if (has_rows(&t[T_HISTORY]))
			table_markdown(f, &t[T_HISTORY]);
		if (r->n_events) {
			fprintf(f, "### Failures and drills\n\n");
			table_markdown(f, &t[T_EVENTS]);
		}
	}
	return sections_finish(&s, f);
}

/* ---- CSV ---- */

/* RFC 4180: a field with a comma, quote, CR or LF is quoted, its quotes doubled */
static void csv_field(FILE *f, const char *s, bool last)
{
	if (!s)
		s = "";
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputs(last ? "\r\n" : ",", f);
}

int sk_report_csv_row(FILE *f, const char *const *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		csv_field(f, fields[i], i + 1 == n);
	return ferror(f) ? -1 : 0;
}

int sk_report_render_csv(FILE *f, const struct sk_report *r)
{
	static const char *const head[] = { "policy", "instance", "region", "verdict", "check",
					    "check_region", "desired", "live", "check_verdict", "reason", "account" };
	/* the account column only when the report covers several accounts (Settings' accounts) */
	size_t i, k, cols = r->n_accounts || r->n_unobserved ? 11 : 10;

	sk_report_csv_row(f, head, cols);
	for (i = 0; i < r->n_instances; i++) {
		const struct sk_report_instance *ri = &r->instances[i];
		for (k = ri->first_check; k < ri->first_check + ri->n_checks; k++) {
			const struct sk_report_check *c = &r->checks[k];
			const char *row_[] = { ri->policy, ri->instance, ri->region, sk_report_verdict_name(ri->verdict),
					       c->name, c->region, c->desired, c->live, sk_report_verdict_name(c->verdict),
					       c->reason ? c->reason : "", ri->account ? ri->account : "" };
			sk_report_csv_row(f, row_, cols);
		}
	}
	return finish(f, false);
}

/* ---- the monthly summary ---- */

int sk_report_summary(struct sk_buf *subject, struct sk_buf *body, const struct sk_report *r, const char *month)
{
	char counts[128], totals[256];
	size_t i, listed = 0;
	int rc = 0;

	counts_text(counts, sizeof(counts), r->counts);
	if (r->verdict == SK_REPORT_COMPLIANT)
		rc |= sk_buf_printf(subject, "snapkeep report %s: all %zu instances compliant", month, r->n_instances);
	else
		rc |= sk_buf_printf(subject, "snapkeep report %s: %s, %zu of %zu instances not compliant", month,
				    sk_report_verdict_name(r->verdict), r->counts[SK_REPORT_DRIFT] + r->counts[SK_REPORT_AT_RISK],
				    r->n_instances);
	rc |= sk_buf_printf(body, "snapkeep backup report for %s\n\nOverall: %s (%zu instances: %s)\n", month,
			    sk_report_verdict_name(r->verdict), r->n_instances, counts);
	for (i = 0; i < r->n_instances; i++) {
		const struct sk_report_instance *ri = &r->instances[i];
		if (ri->verdict == SK_REPORT_COMPLIANT)
			continue;
		if (listed++ == 20) {
			rc |= sk_buf_printf(body, "  ... and more (see the report in the state directory)\n");
			break;
		}
		if (listed == 1)
			rc |= sk_buf_adds(body, "\nNot compliant:\n");
		rc |= sk_buf_printf(body, "  %s %s/%s (%s): %s\n", sk_report_verdict_name(ri->verdict), ri->region,
				    ri->instance, ri->policy, ri->reason ? ri->reason : "");
	}
	rc |= sk_buf_printf(body, "\nStorage: %lld GiB, about %.2f USD/month (upper bound), transfer up to %.2f "
				  "USD/month; the current plan would change it by %+.2f USD/month\n",
			    (long long)r->total.gib, r->total.storage, r->total.transfer, r->total.delta + 0.0);
	if (r->has_journal) {
		totals_text(totals, sizeof(totals), r);
		rc |= sk_buf_printf(body, "History: %s\n", totals);
	}
	return rc < 0 ? -1 : 0;
}
