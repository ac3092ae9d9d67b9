/*
 * test_svg.c - the small SVG writer: numbers, elements, ticks and axes
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "common/buf.h"
#include "common/svg.h"
#include "common/timeutil.h"

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;

	assert_int_equal(sk_time_parse_rfc3339(&t, rfc3339), 0);
	return t;
}

static void test_svg_num_is_short_stable_and_never_minus_zero(void **state)
{
	char b[SK_SVG_NUM_MAX];

	(void)state;
	assert_string_equal(sk_svg_num(b, 0), "0");
	assert_string_equal(sk_svg_num(b, 12.5), "12.5");
	assert_string_equal(sk_svg_num(b, 12.50001), "12.5");
	assert_string_equal(sk_svg_num(b, 3.14159), "3.14");
	assert_string_equal(sk_svg_num(b, -0.001), "0");
	assert_string_equal(sk_svg_num(b, -7.05), "-7.05");
	assert_string_equal(sk_svg_num(b, 100), "100");
	assert_string_equal(sk_svg_num(b, 0.999), "1");
	assert_string_equal(sk_svg_num(b, 1.0 / 0.0), "0");
	assert_string_equal(sk_svg_num(b, 1e300), "1000000000000000");
}

static void test_svg_scale_maps_linearly_and_a_point_to_the_middle(void **state)
{
	struct sk_svg_scale s = { .d0 = 0, .d1 = 100, .r0 = 10, .r1 = 210 };
	struct sk_svg_scale flip = { .d0 = 0, .d1 = 50, .r0 = 100, .r1 = 0 };
	struct sk_svg_scale point = { .d0 = 5, .d1 = 5, .r0 = 0, .r1 = 40 };

	(void)state;
	assert_true(sk_svg_scale_map(&s, 0) == 10);
	assert_true(sk_svg_scale_map(&s, 50) == 110);
	assert_true(sk_svg_scale_map(&s, 100) == 210);
	assert_true(sk_svg_scale_map(&flip, 50) == 0);
	assert_true(sk_svg_scale_map(&flip, 25) == 50);
	assert_true(sk_svg_scale_map(&point, 5) == 20);
}

static void test_svg_elements_escape_and_carry_titles(void **state)
{
	struct sk_buf b = SK_BUF_INIT;
	double xs[] = { 0, 10.25, 20 }, ys[] = { 5, 6, 7.5 };

	(void)state;
	assert_int_equal(sk_svg_rect(&b, 1, 2, 3.5, -1, "bar", "a \"quoted\" <name> & co"), 0);
	assert_string_equal(sk_buf_cstr(&b), "<rect x=\"1\" y=\"2\" width=\"3.5\" height=\"0\" class=\"bar\">"
					     "<title>a &quot;quoted&quot; &lt;name&gt; &amp; co</title></rect>");
	sk_buf_reset(&b);
	assert_int_equal(sk_svg_circle(&b, 4, 5, 3, NULL, NULL), 0);
	assert_string_equal(sk_buf_cstr(&b), "<circle cx=\"4\" cy=\"5\" r=\"3\"/>");
	sk_buf_reset(&b);
	assert_int_equal(sk_svg_text(&b, 1, 2, "end", "lbl", "x<y"), 0);
	assert_string_equal(sk_buf_cstr(&b), "<text x=\"1\" y=\"2\" text-anchor=\"end\" class=\"lbl\">x&lt;y</text>");
	sk_buf_reset(&b);
	assert_int_equal(sk_svg_text(&b, 1, 2, "start", NULL, "t"), 0);
	assert_string_equal(sk_buf_cstr(&b), "<text x=\"1\" y=\"2\">t</text>");
	sk_buf_reset(&b);
	assert_int_equal(sk_svg_polyline(&b, xs, ys, 3, "line", NULL), 0);
	assert_string_equal(sk_buf_cstr(&b), "<polyline points=\"0,5 10.25,6 20,7.5\" class=\"line\"/>");
	sk_buf_reset(&b);
	assert_int_equal(sk_svg_polyline(&b, xs, ys, 0, "line", NULL), 0);
	assert_string_equal(sk_buf_cstr(&b), "");
	assert_int_equal(sk_svg_open(&b, "g"), 0);
	assert_int_equal(sk_svg_attr(&b, "data-rule", "daily"), 0);
	assert_int_equal(sk_svg_attr(&b, "data-none", NULL), 0);
	assert_int_equal(sk_svg_attr_num(&b, "data-n", 3), 0);
	assert_int_equal(sk_svg_body(&b), 0);
	assert_int_equal(sk_svg_end(&b, "g"), 0);
	assert_string_equal(sk_buf_cstr(&b), "<g data-rule=\"daily\" data-n=\"3\"></g>");
	sk_buf_free(&b);
}

static void test_svg_nice_step_is_one_two_or_five(void **state)
{
	(void)state;
	assert_true(sk_svg_nice_step(100, 5) == 20);
	assert_true(sk_svg_nice_step(100, 10) == 10);
	assert_true(sk_svg_nice_step(7, 5) == 2);
	assert_true(sk_svg_nice_step(0.3, 3) == 0.1);
	assert_true(sk_svg_nice_step(1234, 4) == 500);
	assert_true(sk_svg_nice_step(0, 4) == 1);
	assert_true(sk_svg_nice_step(-5, 4) == 1);
}

static void test_svg_time_ticks_pick_the_finest_unit_that_fits(void **state)
{
	struct sk_svg_time_ticks t;
	int64_t day = 86400;

	(void)state;
	/* five days: midnights */
	sk_svg_time_ticks(&t, at("2026-11-01T12:00:00Z"), at("2026-11-06T12:00:00Z"), 8);
	assert_int_equal(t.unit, SK_SVG_DAYS);
	assert_int_equal(t.step, 1);
	assert_int_equal(t.n, 5);
	assert_true(t.t[0] == at("2026-11-02T00:00:00Z"));
	/* five weeks: Mondays */
	sk_svg_time_ticks(&t, at("2026-11-01T00:00:00Z"), at("2026-12-06T00:00:00Z"), 8);
	assert_int_equal(t.unit, SK_SVG_WEEKS);
	assert_int_equal(t.n, 5);
	assert_true(t.t[0] == at("2026-11-02T00:00:00Z")); /* a Monday */
	assert_true(t.t[1] - t.t[0] == 7 * day);
	/* six months: the firsts of months, the start itself included */
	sk_svg_time_ticks(&t, at("2026-06-01T00:00:00Z"), at("2026-12-03T00:00:00Z"), 8);
	assert_int_equal(t.unit, SK_SVG_MONTHS);
	assert_int_equal(t.step, 1);
	assert_int_equal(t.n, 7);
	assert_true(t.t[0] == at("2026-06-01T00:00:00Z"));
	assert_true(t.t[6] == at("2026-12-01T00:00:00Z"));
	/* two years in at most 8: quarters, starting on a quarter */
	sk_svg_time_ticks(&t, at("2025-02-10T00:00:00Z"), at("2027-01-10T00:00:00Z"), 8);
	assert_int_equal(t.unit, SK_SVG_MONTHS);
	assert_int_equal(t.step, 3);
	assert_true(t.t[0] == at("2025-04-01T00:00:00Z"));
	assert_true(t.n <= 8);
	/* thirty years: whole years */
	sk_svg_time_ticks(&t, at("2000-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z"), 6);
	assert_true(t.n <= 6 && t.n >= 4);
	assert_true(t.step % 12 == 0);
	/* an empty range still gives what fits: a midnight on the point itself */
	sk_svg_time_ticks(&t, at("2026-11-01T00:00:00Z"), at("2026-11-01T00:00:00Z"), 8);
	assert_int_equal(t.n, 1);
}

/* a whole chart with axes parses as XML and has the ticks it says */
static void test_svg_chart_is_well_formed_with_its_ticks(void **state)
{
	struct sk_buf b = SK_BUF_INIT;
	struct sk_svg_scale x = { .d0 = (double)at("2026-06-01T00:00:00Z"), .d1 = (double)at("2026-12-03T00:00:00Z"),
				  .r0 = 40, .r1 = 600 };
	struct sk_svg_scale y = { .d0 = 0, .d1 = 100, .r0 = 180, .r1 = 10 };
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr res;

	(void)state;
	assert_int_equal(sk_svg_start(&b, 620, 200), 0);
	assert_int_equal(sk_svg_attr(&b, "class", "chart"), 0);
	assert_int_equal(sk_svg_body(&b), 0);
	assert_int_equal(sk_svg_axis_time(&b, &x, 180, 10, 8), 0);
	assert_int_equal(sk_svg_axis_value(&b, &y, 40, 600, 5, "$", ""), 0);
	assert_int_equal(sk_svg_circle(&b, 100, 100, 3, "mark", "snap <1>"), 0);
	assert_int_equal(sk_svg_end(&b, "svg"), 0);

	doc = xmlReadMemory(b.ptr, (int)b.len, "c.svg", "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR);
	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, (const xmlChar *)"s", (const xmlChar *)"http://www.w3.org/2000/svg");
	/* seven month labels and six value labels ($0 .. $100 by 20) */
	res = xmlXPathEvalExpression((const xmlChar *)"//s:text[@text-anchor='middle']", ctx);
	assert_int_equal(res->nodesetval->nodeNr, 7);
	xmlXPathFreeObject(res);
	res = xmlXPathEvalExpression((const xmlChar *)"//s:text[@text-anchor='end']", ctx);
	assert_int_equal(res->nodesetval->nodeNr, 6);
	xmlXPathFreeObject(res);
	res = xmlXPathEvalExpression((const xmlChar *)"string(//s:text[@text-anchor='end'][last()])", ctx);
	assert_string_equal((const char *)res->stringval, "$100");
	xmlXPathFreeObject(res);
	res = xmlXPathEvalExpression((const xmlChar *)"string(//s:text[@text-anchor='middle'][1])", ctx);
	assert_string_equal((const char *)res->stringval, "2026-06");
	xmlXPathFreeObject(res);
	res = xmlXPathEvalExpression((const xmlChar *)"string(//s:circle/s:title)", ctx);
	assert_string_equal((const char *)res->stringval, "snap <1>");
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	sk_buf_free(&b);
}

/* a full buffer fails the call and says why, leaving no half-written promise */
static void test_svg_reports_a_full_buffer(void **state)
{
	struct sk_buf b;

	(void)state;
	sk_buf_init(&b, 16);
	assert_int_equal(sk_svg_rect(&b, 1, 2, 3, 4, "a-long-class-name", NULL), -1);
	sk_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svg_num_is_short_stable_and_never_minus_zero),
		cmocka_unit_test(test_svg_scale_maps_linearly_and_a_point_to_the_middle),
		cmocka_unit_test(test_svg_elements_escape_and_carry_titles),
		cmocka_unit_test(test_svg_nice_step_is_one_two_or_five),
		cmocka_unit_test(test_svg_time_ticks_pick_the_finest_unit_that_fits),
		cmocka_unit_test(test_svg_chart_is_well_formed_with_its_ticks),
		cmocka_unit_test(test_svg_reports_a_full_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
