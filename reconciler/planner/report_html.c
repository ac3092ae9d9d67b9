/*
 * report_html.c - a report (report.h) as ONE self-contained HTML page
 */
#include "reconciler/planner/report_html.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/markup.h"
#include "common/timeutil.h"
#include "reconciler/planner/report_chart.h"
#include "reconciler/planner/verify.h"

/* the notable events listed at most (the newest) */
#define EVENTS_MAX 200

static const char CSS[] =
	":root{--fg:#1f2328;--mute:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;"
	"--ok:#1a7f37;--ok-bg:#dafbe1;--drift:#7d4e00;--drift-bg:#fff1c2;--risk:#b3161f;--risk-bg:#ffebe9}"
	"*{box-sizing:border-box}"
	"body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;"
	"color:var(--fg);background:var(--bg)}"
	"main{max-width:1200px;margin:0 auto;padding:16px}"
	"h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);"
	"padding-bottom:.2em}h3{font-size:1.05em;margin:0 0 .3em;word-break:break-all}"
	"figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}"
	"a{color:#0b57d0}.mute,.meta{color:var(--mute)}.meta{font-size:.9em;margin:.2em 0}"
	"nav{display:flex;flex-wrap:wrap;gap:.3em 1em;margin:.4em 0 1em;font-size:.95em}"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}"
	".card{border:1px solid var(--line);border-radius:8px;padding:8px 12px;min-width:140px;background:var(--soft)}"
	".card b{display:block;font-size:1.5em}"
	".v{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:.85em;white-space:nowrap;"
	"border:1px solid}"
	".v.compliant{color:var(--ok);background:var(--ok-bg)}.v.drift{color:var(--drift);background:var(--drift-bg)}"
	".v.at-risk{color:var(--risk);background:var(--risk-bg)}"
	".scroll{overflow-x:auto}"
	"table{border-collapse:collapse;width:100%;font-size:.9em}"
	"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}"
	"th{background:var(--soft);white-space:nowrap}th a{color:inherit}td.num,th.num{text-align:right}"
	"table.compliance td:nth-child(n+6):nth-child(-n+9){text-align:right;white-space:nowrap}"
	"table.compliance td:nth-child(4){white-space:nowrap}"
	"tr[data-verdict=at-risk] td:first-child{box-shadow:inset 4px 0 var(--risk)}"
	"tr[data-verdict=drift] td:first-child{box-shadow:inset 4px 0 #d4a72c}"
	/* one table in three orders, no script: a grid whose cells take the :target order's rank */
	"table.compliance{display:grid;grid-template-columns:repeat(4,auto) minmax(14em,1fr) repeat(5,auto)}"
	"table.compliance thead,table.compliance tbody,table.compliance tr{display:contents}"
	"table.compliance th{order:-1}"
	"#by-instance:target~.scroll table.compliance :is(tr,td){order:var(--n)}"
	"#by-cost:target~.scroll table.compliance :is(tr,td){order:var(--c)}"
	".sortnote{font-size:.85em;color:var(--mute)}"
	"section.instance{border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin:12px 0;"
	"break-inside:avoid}"
	"section.instance .why{margin:.2em 0}"
	"table.checks{margin:.4em 0;font-size:.85em}"
	"svg{display:block;width:100%;height:auto;max-width:1000px}svg.defs{position:absolute;width:0;height:0}"
	".chart{overflow-x:auto}"
	/* no "svg " in front: the shared axis is drawn through <use>, whose copy has no svg ancestor */
	"text{font:11px system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;fill:var(--fg)}"
	"text.tick,text.rl,.rl text{fill:var(--mute)}.rowline{fill:none}"
	"text.lane-head{font-weight:600}.lane-bg{fill:var(--soft)}"
	".axis,line.tick{stroke:#8c959f}.grid{stroke:#eaeef2}.rowline{stroke:#e3e8ee}"
	".now{stroke:#0b57d0;stroke-dasharray:3 3}"
	".k-yearly{--c:#3e1f8c}.k-monthly{--c:#6639ba}.k-weekly{--c:#0969da}.k-daily{--c:#1a7f37}"
	".k-hourly{--c:#4ac26b}.k-last{--c:#bf8700}.k-within{--c:#1b7c83}.k-all{--c:#57606a}"
	".k-safety{--c:#953800}.k-deleted{--c:#cf222e}.k-automated{--c:#8c959f}.k-aws-backup{--c:#0550ae}"
	".k-manual{--c:#c4cbd3}"
	"circle.mk{fill:var(--c);stroke:#fff;stroke-width:1}circle.mk.k-deleted{fill:#fff;stroke:var(--c);stroke-width:2.2}"
	"path.mk{fill:none;stroke:var(--c);stroke-width:7;stroke-linecap:round}"
	"ul.legend{list-style:none;padding:0;margin:.4em 0;display:flex;flex-wrap:wrap;gap:.2em 1.1em;font-size:.88em}"
	"ul.legend li{display:flex;align-items:center;gap:.35em}ul.legend svg{width:12px;height:12px}"
	".line{fill:none;stroke-width:2}.c0{stroke:#0969da;fill:#0969da}.c1{stroke:#cf222e;fill:#cf222e}"
	".c2{stroke:#1a7f37;fill:#1a7f37}.c3{stroke:#8250df;fill:#8250df}.c4{stroke:#bf8700;fill:#bf8700}"
	".c5{stroke:#1b7c83;fill:#1b7c83}.c6{stroke:#953800;fill:#953800}.c7{stroke:#57606a;fill:#57606a}"
	"polyline.line{fill:none}text.end{stroke:none}"
	".qtrack{fill:#eaeef2}.qbar{fill:#0969da}.qbar.over{fill:#cf222e}.qafter{stroke:var(--fg);stroke-width:2}"
	"@media (max-width:700px){main{padding:10px}svg.timeline{min-width:620px}svg.series{min-width:560px}"
	"table.checks,table.regions,table.events{min-width:560px}"
	"svg.quota{min-width:520px}"
	"table.compliance{display:flex;flex-direction:column}"
	"table.compliance thead{display:none}table.compliance tr{display:block;border:1px solid var(--line);"
	"border-radius:8px;margin:8px 0;padding:4px 0}"
	"table.compliance td{display:flex;gap:.6em;border:0;padding:2px 10px}"
	"table.compliance td::before{min-width:8.5em;color:var(--mute);font-weight:600}"
	/* the column names, for rows shown as cards */
	"table.compliance td:nth-child(1)::before{content:'Verdict'}"
	"table.compliance td:nth-child(2)::before{content:'Instance'}"
	"table.compliance td:nth-child(3)::before{content:'Policy'}table.compliance td:nth-child(4)::before{content:'Region'}"
	"table.compliance td:nth-child(5)::before{content:'Why'}table.compliance td:nth-child(6)::before{content:'Newest'}"
	"table.compliance td:nth-child(7)::before{content:'Snapshots'}"
	"table.compliance td:nth-child(8)::before{content:'Next apply'}"
	"table.compliance td:nth-child(9)::before{content:'Cost/month'}"
	"table.compliance td:nth-child(10)::before{content:'Drill'}"
	"table.compliance td:nth-child(n){text-align:left}tr.row td:first-child{box-shadow:none!important}"
	".sortnote{display:none}}"
	"@media print{nav,.sortnote{display:none}main{max-width:none;padding:0}body{font-size:11pt}"
	"a{color:inherit;text-decoration:none}h2{break-after:avoid}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"table.compliance :is(tr,td){order:0!important}}";

/* ---- small writers ---- */

static int esc(struct sk_buf *out, const char *s)
{
	return sk_markup_escape(out, s);
}

/* "<tag class="cls">text</tag>", text escaped */
static int element(struct sk_buf *out, const char *tag, const char *cls, const char *text)
{
	if (sk_buf_printf(out, "<%s", tag) < 0 || (cls && sk_buf_printf(out, " class=\"%s\"", cls) < 0) ||
	    sk_buf_addc(out, '>') < 0 || esc(out, text) < 0)
		return -1;
	return sk_buf_printf(out, "</%s>", tag);
}

static void format_time(char out[SK_TIME_RFC3339_MAX], int64_t t)
{
	if (t)
		sk_time_format_rfc3339(out, t);
	else
		snprintf(out, SK_TIME_RFC3339_MAX, "never");
}

static const char *verdict_mark(enum sk_report_verdict v)
{
	switch (v) {
	case SK_REPORT_COMPLIANT: return "✓ ";
	case SK_REPORT_DRIFT: return "~ ";
	case SK_REPORT_AT_RISK:
	default: return "! ";
	}
}

/* the verdict as a word and a colour: <span class="v at-risk">! AT RISK</span> */
static int verdict_badge(struct sk_buf *out, enum sk_report_verdict v)
{
	return sk_buf_printf(out, "<span class=\"v %s\">%s%s</span>", sk_report_verdict_key(v), verdict_mark(v),
			     sk_report_verdict_name(v));
}

static int money(struct sk_buf *out, double usd)
{
	return sk_buf_printf(out, "$%.2f", usd);
}

/* ---- the compliance table ---- */

/* orders of r->instances[]: qsort over pointers into it, ties by position (the model's order) */
static int by_position(const struct sk_report_instance *x, const struct sk_report_instance *y)
{
	return x < y ? -1 : x > y;
}

static int cmp_verdict(const void *a, const void *b)
{
	const struct sk_report_instance *x = *(const struct sk_report_instance *const *)a;
	const struct sk_report_instance *y = *(const struct sk_report_instance *const *)b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	return by_position(x, y);
}

static int cmp_instance(const void *a, const void *b)
{
	const struct sk_report_instance *x = *(const struct sk_report_instance *const *)a;
	const struct sk_report_instance *y = *(const struct sk_report_instance *const *)b;
	int c = strcmp(x->instance, y->instance);

	if (!c)
		c = strcmp(x->region, y->region);
	if (!c)
		c = strcmp(x->policy, y->policy);
	return c ? c : by_position(x, y);
}

static int cmp_cost(const void *a, const void *b)
{
	const struct sk_report_instance *x = *(const struct sk_report_instance *const *)a;
	const struct sk_report_instance *y = *(const struct sk_report_instance *const *)b;
	double cx = x->cost.storage + x->cost.transfer, cy = y->cost.storage + y->cost.transfer;

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return cmp_instance(a, b);
}

/* the instance as people read it: "<account>/<instance>" when the report covers several accounts */
static int esc_name(struct sk_buf *out, const struct sk_report_instance *in)
{
	if (in->account && (esc(out, in->account) < 0 || sk_buf_addc(out, '/') < 0))
		return -1;
	return esc(out, in->instance);
}

/* instance i's row, with its ranks by instance and by cost */
static int row(struct sk_buf *out, const struct sk_report *r, size_t i, size_t by_name, size_t by_cost)
{
	const struct sk_report_instance *in = &r->instances[i];
	char age[48];

	if (sk_buf_printf(out, "<tr class=\"row\" data-verdict=\"%s\"", sk_report_verdict_key(in->verdict)) < 0 ||
	    sk_buf_adds(out, " data-instance=\"") < 0 || esc(out, in->instance) < 0 ||
	    sk_buf_printf(out, "\" style=\"--n:%zu;--c:%zu\"><td>", by_name, by_cost) < 0 ||
	    verdict_badge(out, in->verdict) < 0 ||
	    sk_buf_printf(out, "</td><td><a href=\"#i-%zu\">", i) < 0 || esc_name(out, in) < 0 ||
	    sk_buf_adds(out, "</a></td><td>") < 0 || esc(out, in->policy) < 0 ||
	    sk_buf_adds(out, "</td><td>") < 0 || esc(out, in->region) < 0 ||
	    sk_buf_adds(out, "</td><td>") < 0 ||
	    esc(out, in->reason ? in->reason : (in->observed ? "as the policy says" : "not observed")) < 0)
		return -1;
	if (in->newest)
		sk_verify_format_duration(age, r->now - in->newest);
	if (sk_buf_printf(out, "</td><td>%s%s</td>", in->newest ? age : "none",
			  in->newest ? " ago" : "") < 0 ||
	    sk_buf_printf(out, "<td>%zu</td><td>+%zu −%zu</td><td>", in->n_snapshots, in->creating, in->deleting) < 0 ||
	    money(out, in->cost.storage + in->cost.transfer) < 0 || sk_buf_adds(out, "</td><td>") < 0)
		return -1;
	if (!in->drill_at) {
		if (sk_buf_adds(out, "<span class=\"mute\">never</span>") < 0)
			return -1;
	} else if (in->drill_passed) {
		sk_verify_format_duration(age, (int64_t)in->drill_rto_seconds);
		if (sk_buf_printf(out, "passed, RTO %s", age) < 0)
			return -1;
	} else if (sk_buf_adds(out, "<b>FAILED</b>") < 0) {
		return -1;
	}
	return sk_buf_adds(out, "</td></tr>");
}

/*
 * One table, rows worst first; the other orders without script: each row
 * carries its rank by instance (--n) and by cost (--c), the table is a CSS
 * grid whose rows (display: contents) lay out their cells, and when the
 * header link's anchor is the :target, the cells take that rank as their
 * CSS order.
 */
static int compliance(struct sk_buf *out, const struct sk_report *r)
{
	const struct sk_report_instance **order = NULL;
	size_t *by_name = NULL, *by_cost = NULL, i;
	int rc = -1;

	if (!r->n_instances)
		return sk_buf_adds(out, "<p class=\"none\">No policy selects an instance.</p>");
	order = calloc(r->n_instances, sizeof(*order));
	by_name = calloc(r->n_instances, sizeof(*by_name));
	by_cost = calloc(r->n_instances, sizeof(*by_cost));
	if (!order || !by_name || !by_cost) {
		sk_error_set_oom();
		goto done;
	}
	for (i = 0; i < r->n_instances; i++)
		order[i] = &r->instances[i];
	qsort(order, r->n_instances, sizeof(*order), cmp_instance);
	for (i = 0; i < r->n_instances; i++)
		by_name[order[i] - r->instances] = i;
	qsort(order, r->n_instances, sizeof(*order), cmp_cost);
	for (i = 0; i < r->n_instances; i++)
		by_cost[order[i] - r->instances] = i;
	qsort(order, r->n_instances, sizeof(*order), cmp_verdict);
	if (sk_buf_adds(out,
			"<p class=\"sortnote\">Order by <a href=\"#by-verdict\">verdict</a> · <a href=\"#by-instance\">instance</a>"
			" · <a href=\"#by-cost\">cost</a></p><i id=\"by-verdict\"></i><i id=\"by-instance\"></i><i id=\"by-cost\"></i>"
			"<div class=\"scroll\"><table class=\"compliance\" id=\"compliance\"><thead><tr>"
			"<th><a href=\"#by-verdict\">Verdict</a></th><th><a href=\"#by-instance\">Instance</a></th>"
			"<th>Policy</th><th>Region</th><th>Why</th><th class=\"num\">Newest</th><th class=\"num\">Snapshots</th>"
			"<th class=\"num\">Next apply</th><th class=\"num\"><a href=\"#by-cost\">Cost/month</a></th><th>Drill</th>"
			"</tr></thead><tbody>") < 0)
		goto done;
	for (i = 0; i < r->n_instances; i++) {
		size_t k = (size_t)(order[i] - r->instances);

		if (row(out, r, k, by_name[k], by_cost[k]) < 0)
			goto done;
	}
	if (sk_buf_adds(out, "</tbody></table></div>") < 0)
		goto done;
	rc = 0;
done:
	free(order);
	free(by_name);
	free(by_cost);
	return rc;
}

/* ---- per instance ---- */

/* the checks that are not compliant, as a small table; a line when all are */
static int checks(struct sk_buf *out, const struct sk_report *r, const struct sk_report_instance *in)
{
	size_t i, bad = 0;

	for (i = 0; i < in->n_checks; i++)
		bad += r->checks[in->first_check + i].verdict != SK_REPORT_COMPLIANT;
	if (!bad)
		return sk_buf_printf(out, "<p class=\"meta\">All %zu checks as the policy says.</p>", in->n_checks);
	if (sk_buf_printf(out,
			  "<div class=\"scroll\"><table class=\"checks\"><thead><tr><th>Check</th><th>Region</th>"
			  "<th>Policy wants</th><th>Live</th><th>Verdict</th><th>Why</th></tr></thead><tbody>") < 0)
		return -1;
	for (i = 0; i < in->n_checks; i++) {
		const struct sk_report_check *c = &r->checks[in->first_check + i];

		if (c->verdict == SK_REPORT_COMPLIANT)
			continue;
		if (sk_buf_printf(out, "<tr class=\"check %s\">", sk_report_verdict_key(c->verdict)) < 0 ||
		    element(out, "td", NULL, c->name) < 0 || element(out, "td", NULL, c->region) < 0 ||
		    element(out, "td", NULL, c->desired) < 0 || element(out, "td", NULL, c->live) < 0 ||
		    sk_buf_adds(out, "<td>") < 0 || verdict_badge(out, c->verdict) < 0 || sk_buf_adds(out, "</td>") < 0 ||
		    element(out, "td", NULL, c->reason ? c->reason : "") < 0 || sk_buf_adds(out, "</tr>") < 0)
			return -1;
	}
	return sk_buf_printf(out, "</tbody></table></div><p class=\"meta\">%zu of %zu checks as the policy says.</p>",
			     in->n_checks - bad, in->n_checks);
}

static int instance(struct sk_buf *out, const struct sk_report *r, size_t i, bool dense)
{
	const struct sk_report_instance *in = &r->instances[i];
	size_t k, bad = 0;
	char age[48];

	/* the reason is the first failing check's: said in the checks' table when there is one */
	for (k = 0; k < in->n_checks; k++)
		bad += r->checks[in->first_check + k].verdict != SK_REPORT_COMPLIANT;
	if (sk_buf_printf(out, "<section class=\"instance\" id=\"i-%zu\" data-verdict=\"%s\" data-instance=\"", i,
			  sk_report_verdict_key(in->verdict)) < 0 ||
	    esc(out, in->instance) < 0 || sk_buf_adds(out, "\"><h3>") < 0 || esc_name(out, in) < 0 ||
	    sk_buf_addc(out, ' ') < 0 || verdict_badge(out, in->verdict) < 0 ||
	    sk_buf_adds(out, "</h3><p class=\"meta\">policy ") < 0 || esc(out, in->policy) < 0 ||
	    sk_buf_adds(out, " · ") < 0 || esc(out, in->region) < 0 ||
	    (in->engine && (sk_buf_adds(out, " · ") < 0 || esc(out, in->engine) < 0)) ||
	    sk_buf_printf(out, " · %d GiB · %s", in->allocated_gib, in->encrypted ? "encrypted" : "<b>unencrypted</b>") < 0)
		return -1;
	if (in->newest)
		sk_verify_format_duration(age, r->now - in->newest);
	if (sk_buf_printf(out, " · newest snapshot %s%s · next apply +%zu −%zu · ", in->newest ? age : "none",
			  in->newest ? " ago" : "", in->creating, in->deleting) < 0 ||
	    money(out, in->cost.storage + in->cost.transfer) < 0 || sk_buf_adds(out, " a month</p>") < 0 ||
	    (in->reason && !bad && (sk_buf_adds(out, "<p class=\"why\">") < 0 || esc(out, in->reason) < 0 ||
			    sk_buf_adds(out, "</p>") < 0)) ||
	    checks(out, r, in) < 0 || sk_buf_adds(out, "<div class=\"chart\">") < 0 ||
	    sk_chart_timeline(out, r, i, dense) < 0)
		return -1;
	return sk_buf_adds(out, "</div></section>");
}

/* ---- regions: cost table, storage, quota ---- */

static int regions(struct sk_buf *out, const struct sk_report *r)
{
	size_t k;

	if (sk_buf_adds(out, "<div class=\"scroll\"><table class=\"regions\"><thead><tr><th>Region</th>"
			     "<th class=\"num\">Price/GB-month</th><th class=\"num\">GiB held</th>"
			     "<th class=\"num\">Storage/month</th><th class=\"num\">Transfer/month</th>"
			     "<th class=\"num\">Plan changes</th><th class=\"num\">Manual snapshots</th></tr></thead><tbody>") < 0)
		return -1;
	for (k = 0; k < r->n_regions; k++) {
		const struct sk_report_region *g = &r->regions[k];

		if (sk_buf_adds(out, "<tr class=\"region\"><td>") < 0 || esc(out, g->region) < 0 ||
		    sk_buf_printf(out, "</td><td class=\"num\">$%.3f</td><td class=\"num\">%lld</td><td class=\"num\">", g->price,
				  (long long)g->cost.gib) < 0 ||
		    money(out, g->cost.storage) < 0 || sk_buf_adds(out, "</td><td class=\"num\">") < 0 ||
		    money(out, g->cost.transfer) < 0 ||
		    sk_buf_printf(out, "</td><td class=\"num\">%+lld GiB, %s$%.2f</td><td class=\"num\">%zu of %d%s</td></tr>",
				  (long long)g->cost.gib_delta, g->cost.delta < 0 ? "−" : "+",
				  g->cost.delta < 0 ? -g->cost.delta : g->cost.delta, g->manual, g->quota,
				  g->over_quota ? " <b>OVER QUOTA</b>" : "") < 0)
			return -1;
	}
	if (sk_buf_adds(out, "</tbody><tfoot><tr><th>Total</th><th></th>") < 0 ||
	    sk_buf_printf(out, "<th class=\"num\">%lld</th><th class=\"num\">", (long long)r->total.gib) < 0 ||
	    money(out, r->total.storage) < 0 || sk_buf_adds(out, "</th><th class=\"num\">") < 0 ||
	    money(out, r->total.transfer) < 0 ||
	    sk_buf_printf(out, "</th><th class=\"num\">%+lld GiB, %s$%.2f</th><th></th></tr></tfoot></table></div>",
			  (long long)r->total.gib_delta, r->total.delta < 0 ? "−" : "+",
			  r->total.delta < 0 ? -r->total.delta : r->total.delta) < 0)
		return -1;
	return sk_buf_printf(out, "<p class=\"meta\">Upper bounds: RDS snapshots are incremental and bill only the blocks "
				  "that changed; copies are priced as full copies at $%.3f per GB.</p>",
			     r->transfer_price);
}

/* ---- history ---- */

static int history(struct sk_buf *out, const struct sk_report *r)
{
	char from[SK_TIME_RFC3339_MAX], to[SK_TIME_RFC3339_MAX], at[SK_TIME_RFC3339_MAX];
	size_t k, i, first;

	format_time(from, r->since);
	format_time(to, r->until);
	if (!r->has_journal)
		return sk_buf_adds(out, "<p class=\"none\">The state directory has no journal: no history.</p>");
	if (sk_buf_printf(out, "<p class=\"meta\">From %s to %s.", from, to) < 0 ||
	    (r->journal_damaged && sk_buf_printf(out, " %zu damaged journal line%s skipped.", r->journal_damaged,
						 r->journal_damaged == 1 ? "" : "s") < 0) ||
	    sk_buf_adds(out, "</p><div class=\"scroll\"><table class=\"history\"><thead><tr>") < 0)
		return -1;
	for (k = 0; k < SK_REPORT_EVENT_KINDS; k++)
		if (element(out, "th", "num", sk_report_event_kind_name((enum sk_report_event_kind)k)) < 0)
			return -1;
	if (sk_buf_adds(out, "</tr></thead><tbody><tr>") < 0)
		return -1;
	for (k = 0; k < SK_REPORT_EVENT_KINDS; k++)
		if (sk_buf_printf(out, "<td class=\"num\">%zu</td>", r->totals[k]) < 0)
			return -1;
	if (sk_buf_adds(out, "</tr></tbody></table></div>") < 0)
		return -1;
	if (!r->n_events)
		return sk_buf_adds(out, "<p class=\"meta\">No failures and no drills in the window.</p>");
	first = r->n_events > EVENTS_MAX ? r->n_events - EVENTS_MAX : 0;
	if ((first && sk_buf_printf(out, "<p class=\"meta\">The newest %d of %zu failures and drills.</p>", EVENTS_MAX,
				    r->n_events) < 0) ||
	    sk_buf_adds(out, "<div class=\"scroll\"><table class=\"events\"><thead><tr><th>Time</th><th>Kind</th>"
			     "<th>Action</th><th>Region</th><th>Instance</th><th>Detail</th></tr></thead><tbody>") < 0)
		return -1;
	for (i = first; i < r->n_events; i++) {
		const struct sk_report_event *e = &r->events[i];

		format_time(at, e->time);
		if (sk_buf_printf(out, "<tr class=\"event %s\"><td>%s</td>", sk_report_event_kind_name(e->kind), at) < 0 ||
		    element(out, "td", NULL, sk_report_event_kind_name(e->kind)) < 0 ||
		    element(out, "td", NULL, e->action ? e->action : "") < 0 ||
		    element(out, "td", NULL, e->region ? e->region : "") < 0 ||
		    element(out, "td", NULL, e->instance ? e->instance : "") < 0 ||
		    element(out, "td", NULL, e->detail ? e->detail : "") < 0 || sk_buf_adds(out, "</tr>") < 0)
			return -1;
	}
	return sk_buf_adds(out, "</tbody></table></div>");
}

/* ---- the page ---- */

static int header(struct sk_buf *out, const struct sk_report *r)
{
	char now[SK_TIME_RFC3339_MAX], seen[SK_TIME_RFC3339_MAX];
	size_t v;

	format_time(now, r->now);
	format_time(seen, r->observed_at);
	if (sk_buf_printf(out, "<header><h1>snapkeep report</h1><p class=\"meta\">Made at %s from what was observed at %s",
			  now, seen) < 0 ||
	    (r->commit[0] && (sk_buf_adds(out, "; policies at commit ") < 0 || element(out, "code", NULL, r->commit) < 0)) ||
	    sk_buf_adds(out, ".</p><div class=\"cards\">") < 0 ||
	    sk_buf_adds(out, "<div class=\"card\" id=\"overall\">Overall<b>") < 0 || verdict_badge(out, r->verdict) < 0 ||
	    sk_buf_adds(out, "</b></div>") < 0)
		return -1;
	for (v = 0; v < SK_REPORT_VERDICTS; v++)
		if (sk_buf_printf(out, "<div class=\"card count %s\" data-count=\"%zu\"><b>%zu</b>",
				  sk_report_verdict_key((enum sk_report_verdict)v), r->counts[v], r->counts[v]) < 0 ||
		    verdict_badge(out, (enum sk_report_verdict)v) < 0 || sk_buf_adds(out, "</div>") < 0)
			return -1;
	if (sk_buf_adds(out, "<div class=\"card\">Snapshot storage<b>") < 0 ||
	    money(out, r->total.storage + r->total.transfer) < 0 ||
	    sk_buf_printf(out, "</b>a month, at most (%zu instances, %zu snapshots)</div></div></header>", r->n_instances,
			  r->n_snapshots) < 0)
		return -1;
	if ((r->n_accounts || r->n_unobserved) &&
	    sk_buf_printf(out, "<p class=\"meta\" id=\"accounts\">%zu account%s observed", r->n_accounts,
			  r->n_accounts == 1 ? "" : "s") < 0)
		return -1;
	for (v = 0; v < r->n_unobserved; v++)
		if (sk_buf_adds(out, "; <b>not observed</b>: ") < 0 || esc(out, r->unobserved[v].account) < 0 ||
		    sk_buf_adds(out, " (") < 0 || esc(out, r->unobserved[v].error ? r->unobserved[v].error : "") < 0 ||
		    sk_buf_addc(out, ')') < 0)
			return -1;
	if ((r->n_accounts || r->n_unobserved) && sk_buf_adds(out, ".</p>") < 0)
		return -1;
	return sk_buf_adds(out, "<nav><a href=\"#compliance-h\">Compliance</a><a href=\"#snapshots-h\">Snapshots</a>"
				"<a href=\"#storage-h\">Storage and cost</a><a href=\"#quota-h\">Quota</a>"
				"<a href=\"#history-h\">History</a></nav>");
}

int sk_report_html(struct sk_buf *out, const struct sk_report *r)
{
	bool dense = r->n_snapshots > SK_REPORT_HTML_DETAIL_MAX;
	size_t i;

	if (sk_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
			     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
			     "<meta name=\"generator\" content=\"snapkeep\"/><title>snapkeep report</title><style>") < 0 ||
	    sk_buf_adds(out, CSS) < 0 || sk_buf_adds(out, "</style></head><body><main>") < 0 || header(out, r) < 0 ||
	    sk_buf_adds(out, "<h2 id=\"compliance-h\">Compliance</h2>") < 0 || compliance(out, r) < 0 ||
	    sk_buf_adds(out, "<h2 id=\"snapshots-h\">Snapshots and the rule that keeps each</h2>"
			     "<p class=\"meta\">Each instance's snapshots over time, a lane per region and a row per "
			     "retention rule (restic's ladder): a snapshot sits in the row of the coarsest rule that keeps "
			     "it; hollow red marks are what the next apply deletes.") < 0 ||
	    (dense && sk_buf_adds(out, " Many snapshots: marks closer than a pixel are drawn as one.") < 0) ||
	    sk_buf_adds(out, "</p>") < 0 || sk_chart_legend(out) < 0 || sk_chart_timeline_axis(out, r) < 0)
		return -1;
	for (i = 0; i < r->n_instances; i++)
		if (instance(out, r, i, dense || r->instances[i].n_snapshots > SK_REPORT_HTML_DETAIL_INSTANCE_MAX) < 0)
			return -1;
	if (sk_buf_adds(out, "<h2 id=\"storage-h\">Storage and cost</h2>") < 0 || regions(out, r) < 0 ||
	    sk_buf_adds(out, "<figure><figcaption>Storage held, GiB, per region, at the end of each day</figcaption>"
			     "<div class=\"chart\">") < 0 ||
	    sk_chart_storage(out, r, false) < 0 ||
	    sk_buf_adds(out, "</div></figure><figure><figcaption>Cost, USD a month, per region</figcaption>"
			     "<div class=\"chart\">") < 0 ||
	    sk_chart_storage(out, r, true) < 0 || sk_buf_adds(out, "</div></figure>") < 0 ||
	    sk_buf_adds(out, "<h2 id=\"quota-h\">Manual snapshot quota</h2><p class=\"meta\">The bar is now; the black "
			     "line is after the plan.</p>") < 0 ||
	    sk_buf_adds(out, "<div class=\"chart\">") < 0 || sk_chart_quota(out, r) < 0 ||
	    sk_buf_adds(out, "</div><h2 id=\"history-h\">History</h2>") < 0 || history(out, r) < 0)
		return -1;
	return sk_buf_adds(out, "<footer><p class=\"meta\">snapkeep-report/v1 · one file, nothing fetched: inline CSS and "
				"SVG.</p></footer></main></body></html>\n");
}

int sk_report_render_html(FILE *f, const struct sk_report *r)
{
	struct sk_buf b = SK_BUF_INIT;
	int rc = -1;

	if (sk_report_html(&b, r) < 0)
		goto done;
	if (fwrite(b.ptr, 1, b.len, f) != b.len || fflush(f) != 0) {
		sk_error_set_errno(SK_ERR_OS, "cannot write the report");
		goto done;
	}
	rc = 0;
done:
	sk_buf_free(&b);
	return rc;
}
