/*
 * test_markup.c - the one escaper for HTML and SVG text
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

#include "common/buf.h"
#include "common/markup.h"
#include "common/utf8.h"

static char *escaped(const char *s, size_t len)
{
	struct sk_buf b = SK_BUF_INIT;

	assert_int_equal(sk_markup_escape_n(&b, s, len), 0);
	return sk_buf_detach(&b);
}

static void test_markup_escapes_the_five_specials(void **state)
{
	char *s;

	(void)state;
	s = escaped("a<b>&\"c'", 8);
	assert_string_equal(s, "a&lt;b&gt;&amp;&quot;c&#39;");
	free(s);
	s = escaped("prod-db-1", 9);
	assert_string_equal(s, "prod-db-1");
	free(s);
}

/* invalid UTF-8, forbidden controls, NUL and U+FFFF each become U+FFFD; valid text stays */
static void test_markup_replaces_what_xml_cannot_hold(void **state)
{
	static const char in[] = "\xc3\xa9" "\x01" "\xff" "\t\n" "\xe2\x82" "x" "\xef\xbf\xbf" "\xf0\x9f\x92\xbe";
	char *s;

	(void)state;
	s = escaped(in, sizeof(in) - 1);
	assert_string_equal(s, "\xc3\xa9" "\xef\xbf\xbd" "\xef\xbf\xbd" "\t\n" "\xef\xbf\xbd\xef\xbf\xbd" "x"
			       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "\xf0\x9f\x92\xbe");
	assert_true(sk_utf8_valid(s, strlen(s)));
	free(s);
	s = escaped("a\0b", 3);
	assert_string_equal(s, "a\xef\xbf\xbd" "b");
	free(s);
}

/* every byte value, escaped into an attribute and an element, parses back as XML */
static void test_markup_output_is_well_formed_xml_for_any_bytes(void **state)
{
	struct sk_buf b = SK_BUF_INIT;
	char all[256];
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlChar *attr, *text;
	int i;

	(void)state;
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	assert_int_equal(sk_buf_adds(&b, "<r a=\""), 0);
	assert_int_equal(sk_markup_escape_n(&b, all, sizeof(all)), 0);
	assert_int_equal(sk_buf_adds(&b, "\" b='"), 0);
	assert_int_equal(sk_markup_escape_n(&b, all, sizeof(all)), 0);
	assert_int_equal(sk_buf_adds(&b, "'>"), 0);
	assert_int_equal(sk_markup_escape(&b, "<script>alert('x')</script> & \"more\""), 0);
	assert_int_equal(sk_buf_adds(&b, "</r>"), 0);
	doc = xmlReadMemory(b.ptr, (int)b.len, "t.xml", "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	text = xmlNodeGetContent(root);
	assert_string_equal((const char *)text, "<script>alert('x')</script> & \"more\"");
	attr = xmlGetProp(root, (const xmlChar *)"a");
	assert_non_null(attr);
	/* the printable ASCII comes back as it went in */
	assert_non_null(strstr((const char *)attr, "!\"#$%&'()"));
	assert_non_null(strstr((const char *)attr, ";<=>?@A"));
	assert_true(sk_utf8_valid((const char *)attr, strlen((const char *)attr)));
	xmlFree(attr);
	xmlFree(text);
	xmlFreeDoc(doc);
	sk_buf_free(&b);
}

static void test_markup_null_is_empty(void **state)
{
	struct sk_buf b = SK_BUF_INIT;

	(void)state;
	assert_int_equal(sk_markup_escape(&b, NULL), 0);
	assert_string_equal(sk_buf_cstr(&b), "");
	sk_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markup_escapes_the_five_specials),
		cmocka_unit_test(test_markup_replaces_what_xml_cannot_hold),
		cmocka_unit_test(test_markup_output_is_well_formed_xml_for_any_bytes),
		cmocka_unit_test(test_markup_null_is_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
