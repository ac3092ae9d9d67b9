/*
 * test_report_html.c - the HTML page and its charts, from a report built by hand
 *
 * The page is well-formed XML, so it is read back with libxml2 and counted
 * with XPath: rows of the compliance table, one timeline per instance, its
 * marks (data-n) per rule, and nothing fetched from anywhere.  The real
 * browser's view is t0990's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/report.h"
#include "reconciler/planner/report_chart.h"
#include "reconciler/planner/report_html.h"
#include "reconciler/planner/retention.h"

#define DAY 86400
#define HOSTILE "db-<b>&\"x'"

struct fixture {
	struct sk_report r;
	struct sk_report_instance inst[3];
	struct sk_report_check checks[4];
	struct sk_report_snapshot snaps[2000];
	struct sk_report_region regions[2];
	struct sk_report_day days[3];
	int64_t gib[6];
	double cost[6];
	const char *lanes_a[2], *lanes_b[1], *lanes_c[1];
};

static int64_t at(const char *s)
{
	int64_t t = 0;

	assert_int_equal(sk_time_parse_rfc3339(&t, s), 0);
	return t;
}

static void snap(struct fixture *f, const char *id, const char *region, int64_t created, const char *rule,
		 unsigned keep, bool deleted, enum sk_report_owner owner)
{
	struct sk_report_snapshot *s = &f->snaps[f->r.n_snapshots++];

	*s = (struct sk_report_snapshot){ .id = id, .region = region, .status = "available", .created = created,
					  .gib = 20, .encrypted = true, .owner = owner, .keep = keep, .rule = rule,
					  .deleted = deleted };
}

/*
 * db-a (prod, us-east-1, copies to us-west-2): 5 daily, 2 weekly, 1 monthly,
 * 2 the next apply deletes, 3 automated in us-east-1; 2 daily copies in
 * us-west-2.  HOSTILE (DRIFT): 1 newest-available.  db-c (AT RISK): none.
 */
static void build(struct fixture *f)
{
	int64_t now = at("2026-12-01T12:00:00Z");
	size_t i;

	memset(f, 0, sizeof(*f));
	f->r.now = now;
	f->r.observed_at = now;
	f->r.since = now - 3 * DAY;
	f->r.until = now;
	f->r.timeline_from = now - 90 * DAY;
	f->r.transfer_price = 0.02;
	f->r.verdict = SK_REPORT_AT_RISK;
	f->r.counts[0] = f->r.counts[1] = f->r.counts[2] = 1;
	snprintf(f->r.commit, sizeof(f->r.commit), "%s", "cafa02a66f39cafa02a66f39cafa02a66f39cafa");
	f->r.snapshots = f->snaps;
	f->r.instances = f->inst;
	f->r.n_instances = 3;
	f->r.checks = f->checks;
	f->r.n_checks = 4;

	f->lanes_a[0] = "us-east-1";
	f->lanes_a[1] = "us-west-2";
	f->inst[0] = (struct sk_report_instance){ .policy = "prod", .region = "us-east-1", .instance = "db-a",
						   .engine = "postgres", .observed = true, .encrypted = true,
						   .allocated_gib = 20, .verdict = SK_REPORT_COMPLIANT, .first_check = 0,
						   .n_checks = 2, .regions = f->lanes_a, .n_regions = 2,
						   .newest = now - 3 * 3600, .deleting = 2, .creating = 1,
						   .cost = { .gib = 300, .storage = 28.5, .transfer = 1.2 } };
	for (i = 0; i < 5; i++)
		snap(f, "rds:db-a-daily", "us-east-1", now - (int64_t)(i + 1) * DAY, "daily", SK_KEEP_DAILY, false,
		     SK_OWNER_SNAPKEEP);
	snap(f, "db-a-w1", "us-east-1", now - 10 * DAY, "weekly", SK_KEEP_WEEKLY | SK_KEEP_DAILY, false, SK_OWNER_SNAPKEEP);
	snap(f, "db-a-w2", "us-east-1", now - 17 * DAY, "weekly", SK_KEEP_WEEKLY, false, SK_OWNER_SNAPKEEP);
	snap(f, "db-a-m1", "us-east-1", now - 40 * DAY, "monthly", SK_KEEP_MONTHLY, false, SK_OWNER_SNAPKEEP);
	snap(f, "db-a-gone1", "us-east-1", now - 20 * DAY, NULL, 0, true, SK_OWNER_SNAPKEEP);
	snap(f, "db-a-gone2", "us-east-1", now - 21 * DAY, NULL, 0, true, SK_OWNER_SNAPKEEP);
	for (i = 0; i < 3; i++)
		snap(f, "rds:db-a-auto", "us-east-1", now - (int64_t)(i + 1) * DAY + 3600, NULL, 0, false, SK_OWNER_AUTOMATED);
	snap(f, "db-a-copy1", "us-west-2", now - 1 * DAY, "daily", SK_KEEP_DAILY, false, SK_OWNER_SNAPKEEP);
	snap(f, "db-a-copy2", "us-west-2", now - 2 * DAY, "daily", SK_KEEP_DAILY, false, SK_OWNER_SNAPKEEP);
	f->inst[0].first_snapshot = 0;
	f->inst[0].n_snapshots = f->r.n_snapshots;

	f->lanes_b[0] = "us-east-1";
	f->inst[1] = (struct sk_report_instance){ .policy = "prod", .region = "us-east-1", .instance = HOSTILE,
						   .observed = true, .allocated_gib = 50, .verdict = SK_REPORT_DRIFT,
						   .reason = "backup-retention: live 1 day, the policy wants 7 <days>",
						   .first_check = 2, .n_checks = 1, .regions = f->lanes_b, .n_regions = 1,
						   .first_snapshot = f->r.n_snapshots, .n_snapshots = 1,
						   .cost = { .storage = 90, .transfer = 0 } };
	snap(f, "db-b-1", "us-east-1", now - 2 * DAY, "newest-available", SK_KEEP_NEWEST, false, SK_OWNER_SNAPKEEP);

	f->lanes_c[0] = "us-west-2";
	f->inst[2] = (struct sk_report_instance){ .policy = "other", .region = "us-west-2", .instance = "db-c",
						   .observed = false, .verdict = SK_REPORT_AT_RISK,
						   .reason = "not observed", .first_check = 3, .n_checks = 1,
						   .regions = f->lanes_c, .n_regions = 1, .first_snapshot = f->r.n_snapshots,
						   .n_snapshots = 0, .drill_at = now - DAY, .drill_passed = false,
						   .drill_error = "timeout" };

	f->checks[0] = (struct sk_report_check){ .name = "backup-retention", .region = "us-east-1", .desired = "7 days",
						  .live = "7 days", .verdict = SK_REPORT_COMPLIANT };
	f->checks[1] = (struct sk_report_check){ .name = "snapshot-age", .region = "us-east-1", .desired = "<= 26h",
						  .live = "3h", .verdict = SK_REPORT_COMPLIANT };
	f->checks[2] = (struct sk_report_check){ .name = "backup-retention", .region = "us-east-1", .desired = "7 days",
						  .live = "1 day", .verdict = SK_REPORT_DRIFT,
						  .reason = "backup-retention: live 1 day, the policy wants 7 <days>" };
	f->checks[3] = (struct sk_report_check){ .name = "instance", .region = "us-west-2", .desired = "present",
						  .live = "missing", .verdict = SK_REPORT_AT_RISK, .reason = "not observed" };

	f->regions[0] = (struct sk_report_region){ .region = "us-east-1", .price = 0.095, .manual = 11,
						    .manual_after = 10, .quota = 100 };
	f->regions[1] = (struct sk_report_region){ .region = "us-west-2", .price = 0.095, .manual = 120,
						    .manual_after = 120, .quota = 100, .over_quota = true };
	f->r.regions = f->regions;
	f->r.n_regions = 2;
	f->r.has_journal = true;
	for (i = 0; i < 3; i++) {
		f->days[i].day = now - now % DAY - (int64_t)(2 - i) * DAY;
		f->days[i].counts[SK_EVENT_CREATED] = i + 1;
		f->gib[i * 2] = 200 + (int64_t)i * 20;
		f->gib[i * 2 + 1] = 40;
		f->cost[i * 2] = (double)f->gib[i * 2] * 0.095;
		f->cost[i * 2 + 1] = 40 * 0.095;
	}
	f->r.days = f->days;
	f->r.n_days = 3;
	f->r.storage_gib = f->gib;
	f->r.storage_cost = f->cost;
	f->r.totals[SK_EVENT_CREATED] = 6;
}

struct page {
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	struct sk_buf html;
};

static void render(struct page *p, const struct sk_report *r)
{
	memset(p, 0, sizeof(*p));
	p->html = (struct sk_buf)SK_BUF_INIT;
	assert_int_equal(sk_report_html(&p->html, r), 0);
	p->doc = xmlReadMemory(p->html.ptr, (int)p->html.len, "report.html", "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR);
	assert_non_null(p->doc); /* well-formed: every escape held */
	p->ctx = xmlXPathNewContext(p->doc);
	xmlXPathRegisterNs(p->ctx, (const xmlChar *)"s", (const xmlChar *)"http://www.w3.org/2000/svg");
}

static void page_free(struct page *p)
{
	xmlXPathFreeContext(p->ctx);
	xmlFreeDoc(p->doc);
	sk_buf_free(&p->html);
}

static double num(struct page *p, const char *xpath)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)xpath, p->ctx);
	double v;

	assert_non_null(o);
	v = xmlXPathCastToNumber(o);
	xmlXPathFreeObject(o);
	return v;
}

static char *str(struct page *p, const char *xpath)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)xpath, p->ctx);
	char *s;

	assert_non_null(o);
	s = (char *)xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	return s;
}

static void test_report_html_rows_verdicts_and_orders(void **state)
{
	static struct fixture f;
	struct page p;
	char *s;

	(void)state;
	build(&f);
	render(&p, &f.r);
	/* one row per instance, worst first; the other orders as ranks the CSS reads */
	assert_true(num(&p, "count(//table[@id='compliance']/tbody)") == 1);
	assert_true(num(&p, "count(//table[@id='compliance']/tbody/tr[@class='row'])") == 3);
	assert_true(num(&p, "count(//i[@id='by-verdict'] | //i[@id='by-instance'] | //i[@id='by-cost'])") == 3);
	s = str(&p, "string(//tbody/tr[1]/@data-instance)");
	assert_string_equal(s, "db-c");
	xmlFree(s);
	s = str(&p, "string(//tbody/tr[3]/@data-verdict)");
	assert_string_equal(s, "compliant");
	xmlFree(s);
	/* by name the hostile one leads ('<' sorts before 'a'), by cost too ($90 a month) */
	s = str(&p, "string(//tbody/tr[2]/@style)");
	assert_string_equal(s, "--n:0;--c:0");
	xmlFree(s);
	s = str(&p, "string(//tbody/tr[2]/@data-instance)");
	assert_string_equal(s, HOSTILE);
	xmlFree(s);
	s = str(&p, "string(//tbody/tr[1]/@style)");
	assert_string_equal(s, "--n:2;--c:2");
	xmlFree(s);
	s = str(&p, "string(//tbody/tr[3]/@style)");
	assert_string_equal(s, "--n:1;--c:1");
	xmlFree(s);
	/* the verdict in words beside its colour */
	s = str(&p, "string(//tbody/tr[1]/td[1])");
	assert_non_null(strstr(s, "AT RISK"));
	xmlFree(s);
	s = str(&p, "string(//tbody/tr[2]/td[5])");
	assert_string_equal(s, "backup-retention: live 1 day, the policy wants 7 <days>");
	xmlFree(s);
	/* the drill column says FAILED in words */
	s = str(&p, "string(//tbody/tr[1]/td[10])");
	assert_string_equal(s, "FAILED");
	xmlFree(s);
	assert_true(num(&p, "count(//div[contains(@class,'count')][@data-count='1'])") == 3);
	page_free(&p);
}

static void test_report_html_one_timeline_per_instance_with_every_mark(void **state)
{
	static struct fixture f;
	struct page p;
	char *s;

	(void)state;
	build(&f);
	render(&p, &f.r);
	assert_true(num(&p, "count(//s:svg[@class='timeline'])") == 3);
	/* db-a: 15 marks, each a circle with a title; by rule */
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']//s:circle[@data-n])") == 15);
	assert_true(num(&p, "sum(//s:svg[@data-instance='db-a']//*[@data-n]/@data-n)") == 15);
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']//*[@data-rule='daily'])") == 7);
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']//*[@data-rule='weekly'])") == 2);
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']//*[@data-rule='monthly'])") == 1);
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']//*[@data-rule='deleted'])") == 2);
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']//*[@data-rule='automated'])") == 3);
	/* lanes in the instance's order; the copies lane holds the two copies */
	s = str(&p, "string(//s:svg[@data-instance='db-a']/s:g[@class='lane'][2]/@data-region)");
	assert_string_equal(s, "us-west-2");
	xmlFree(s);
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']/s:g[@data-region='us-west-2']//*[@data-n])") == 2);
	/* a mark's title names the snapshot and every rule that keeps it */
	s = str(&p, "string(//s:svg[@data-instance='db-a']//s:circle[@data-rule='weekly'][1]/s:title)");
	assert_non_null(strstr(s, "db-a-w1"));
	assert_non_null(strstr(s, "kept by daily, weekly"));
	xmlFree(s);
	s = str(&p, "string(//s:svg[@data-instance='db-a']//s:circle[@data-rule='deleted'][1]/s:title)");
	assert_non_null(strstr(s, "deleted by next apply"));
	xmlFree(s);
	/* each used row labelled in words; a safety rule has its own row */
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']//s:g[@class='rl']/s:text[.='next apply deletes'])") == 1);
	assert_true(num(&p, "count((//s:svg[@class='timeline'])[2]//*[@data-rule='safety'])") == 1);
	/* no snapshots: the lane says so */
	assert_true(num(&p, "count(//s:svg[@data-instance='db-c']//*[@data-n])") == 0);
	assert_true(num(&p, "count(//s:svg[@data-instance='db-c']//s:text[.='no snapshots here'])") == 1);
	/* one shared axis, used by every timeline */
	assert_true(num(&p, "count(//s:g[@id='tl-axis'])") == 1);
	assert_true(num(&p, "count(//s:use[@href='#tl-axis'])") == 3);
	page_free(&p);
}

/* nothing leaves the file: no script, no source, no stylesheet link, no URL but the SVG namespace */
static void test_report_html_is_self_contained(void **state)
{
	static struct fixture f;
	struct page p;
	const char *h, *u;

	(void)state;
	build(&f);
	render(&p, &f.r);
	h = p.html.ptr;
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<link"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "src="));
	assert_null(strstr(h, "url("));
	assert_null(strstr(h, "@import"));
	for (u = strstr(h, "://"); u; u = strstr(u + 3, "://"))
		assert_int_equal(strncmp(u - 4, "http://www.w3.org/2000/svg\"", 27), 0);
	assert_non_null(strstr(h, "name=\"viewport\""));
	assert_non_null(strstr(h, "@media print"));
	assert_non_null(strstr(h, "@media (max-width:700px)"));
	/* regions: the quota bar says OVER QUOTA in words; storage and cost lines per region */
	assert_true(num(&p, "count(//s:svg[@class='quota']/s:g[contains(@class,'over')][@data-region='us-west-2'])") == 1);
	assert_true(num(&p, "count(//s:svg[@class='series storage']//s:polyline)") == 2);
	assert_true(num(&p, "count(//s:svg[@class='series cost']//s:polyline)") == 2);
	assert_true(num(&p, "count(//s:svg[@class='quota']//s:text[contains(.,'OVER QUOTA')])") == 1);
	page_free(&p);
}

/* many snapshots: one path per (lane, row), counted by data-n all the same, and much smaller */
static void test_report_html_dense_marks_keep_their_count(void **state)
{
	static struct fixture f;
	struct sk_buf detail = SK_BUF_INIT, dense = SK_BUF_INIT;
	struct page p;
	size_t i, n0;

	(void)state;
	build(&f);
	/* db-a gets 1,500 more dailies over 90 days: past the instance's detail limit */
	n0 = f.r.n_snapshots;
	memmove(&f.snaps[1500], &f.snaps[0], n0 * sizeof(f.snaps[0]));
	for (i = 0; i < 1500; i++)
		f.snaps[i] = (struct sk_report_snapshot){ .id = "bulk", .region = "us-east-1", .status = "available",
							  .created = f.r.now - 90 * DAY + (int64_t)i * 5000, .gib = 1,
							  .encrypted = true, .keep = SK_KEEP_DAILY, .rule = "daily" };
	f.r.n_snapshots += 1500;
	f.inst[0].n_snapshots += 1500;
	f.inst[1].first_snapshot += 1500;
	f.inst[2].first_snapshot += 1500;
	/* the instance's snapshots are by region, then time: the bulk is us-east-1's and older; keep that order */
	render(&p, &f.r);
	assert_true(num(&p, "sum(//s:svg[@data-instance='db-a']//*[@data-n]/@data-n)") == 1515);
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']//s:path[@data-rule='daily'])") == 2); /* a path per lane */
	assert_true(num(&p, "count(//s:svg[@data-instance='db-a']//s:circle[@data-n])") == 0);
	/* the other instances stay in detail */
	assert_true(num(&p, "count((//s:svg[@class='timeline'])[2]//s:circle[@data-n])") == 1);
	assert_int_equal(sk_chart_timeline(&dense, &f.r, 0, true), 0);
	assert_int_equal(sk_chart_timeline(&detail, &f.r, 0, false), 0);
	assert_true(dense.len * 10 < detail.len);
	sk_buf_free(&dense);
	sk_buf_free(&detail);
	page_free(&p);
}

/* the row a snapshot is drawn in: the model's rule, deletion over everything, owners apart */
static void test_report_chart_rows(void **state)
{
	struct sk_report_snapshot s = { .owner = SK_OWNER_SNAPKEEP, .rule = "yearly" };

	(void)state;
	assert_int_equal(sk_chart_row_of(&s), SK_ROW_YEARLY);
	s.rule = "within";
	assert_int_equal(sk_chart_row_of(&s), SK_ROW_WITHIN);
	s.rule = "keep-until";
	assert_int_equal(sk_chart_row_of(&s), SK_ROW_SAFETY);
	s.rule = NULL;
	assert_int_equal(sk_chart_row_of(&s), SK_ROW_SAFETY);
	s.deleted = true;
	assert_int_equal(sk_chart_row_of(&s), SK_ROW_DELETED);
	s.deleted = false;
	s.owner = SK_OWNER_AWS_BACKUP;
	assert_int_equal(sk_chart_row_of(&s), SK_ROW_AWS_BACKUP);
	assert_string_equal(sk_chart_row_key(SK_ROW_AWS_BACKUP), "aws-backup");
	assert_string_equal(sk_chart_row_label(SK_ROW_DELETED), "next apply deletes");
}

static void test_report_html_writes_to_a_file_and_says_when_it_cannot(void **state)
{
	static struct fixture f;
	char buf[16];
	FILE *full;

	(void)state;
	build(&f);
	full = fopen("/dev/full", "w");
	if (full) {
		assert_int_equal(sk_report_render_html(full, &f.r), -1);
		assert_non_null(strstr(sk_error_message(), "cannot write the report"));
		fclose(full);
	}
	full = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(full);
	assert_int_equal(sk_report_render_html(full, &f.r), -1);
	fclose(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_html_rows_verdicts_and_orders),
		cmocka_unit_test(test_report_html_one_timeline_per_instance_with_every_mark),
		cmocka_unit_test(test_report_html_is_self_contained),
		cmocka_unit_test(test_report_html_dense_marks_keep_their_count),
		cmocka_unit_test(test_report_chart_rows),
		cmocka_unit_test(test_report_html_writes_to_a_file_and_says_when_it_cannot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
