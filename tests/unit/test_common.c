/*
 * test_common.c - buffer, view, error and time helpers
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "common/utf8.h"

static void test_arena_alloc_is_aligned_after_strings(void **state)
{
	struct sk_arena a = SK_ARENA_INIT;
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		const char *s = sk_arena_strdup(&a, i % 2 ? "odd" : "even!");
		long long *p = sk_arena_calloc(&a, 3, sizeof(*p));

		assert_non_null(s);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % sizeof(max_align_t), 0);
		assert_string_equal(s, i % 2 ? "odd" : "even!");
		p[2] = i;
	}
	sk_arena_free(&a);
}

/* blocks start small and double: many small pieces and a few big ones all keep their contents */
static void test_arena_keeps_everything_across_growing_blocks(void **state)
{
	struct sk_arena a = SK_ARENA_INIT;
	char *big[3], text[64];
	const char *strs[5000];
	size_t i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "s-%zu-%.*s", i, (int)(i % 40), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		strs[i] = sk_arena_strdup(&a, text);
		assert_non_null(strs[i]);
		if (i % 2000 == 0) {
			big[i / 2000] = sk_arena_alloc(&a, 300000 + i); /* past a quarter of a block: its own */
			assert_non_null(big[i / 2000]);
			memset(big[i / 2000], (int)(i / 2000) + 1, 300000 + i);
		}
	}
	for (i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "s-%zu-%.*s", i, (int)(i % 40), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		assert_string_equal(strs[i], text);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(big[i][300000 + i * 2000 - 1], (char)(i + 1));
	sk_arena_free(&a);
}

/* each result is what jansson takes as a JSON string */
static void assert_utf8_copy(size_t size, const char *src, const char *want)
{
	char out[64];
	json_t *j;

	assert_int_equal(sk_utf8_copy(out, size, src), strlen(want));
	assert_string_equal(out, want);
	j = json_string(out);
	assert_non_null(j);
	json_decref(j);
}

static void test_utf8_copy_keeps_whole_valid_characters(void **state)
{
	(void)state;
	assert_utf8_copy(64, "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
	assert_utf8_copy(5, "caf\xc3\xa9", "caf");  /* the cut falls inside the last character */
	assert_utf8_copy(6, "caf\xc3\xa9", "caf\xc3\xa9");
	assert_utf8_copy(4, "ab\xe6\x97\xa5", "ab");
	assert_utf8_copy(64, "caf\xe9!", "caf?!");    /* Latin-1 */
	assert_utf8_copy(64, "\xc0\xaf", "??");       /* overlong '/' */
	assert_utf8_copy(64, "\xed\xa0\x80", "???");  /* a surrogate */
	assert_utf8_copy(64, "\xf4\x90\x80\x80", "????"); /* past U+10FFFF */
	assert_utf8_copy(64, "ab\xe6\x97", "ab??");   /* cut short in the source */
	assert_utf8_copy(64, NULL, "");
	assert_utf8_copy(1, "abc", "");
}

static void test_buf_grows_and_stays_terminated(void **state)
{
	struct sk_buf b = SK_BUF_INIT;
	int i;

	(void)state;
	assert_string_equal(sk_buf_cstr(&b), "");
	for (i = 0; i < 1000; i++)
		assert_int_equal(sk_buf_printf(&b, "%d,", i), 0);
	assert_int_equal(strncmp(b.ptr, "0,1,2,", 6), 0);
	assert_int_equal(b.ptr[b.len], '\0');
	sk_buf_truncate(&b, 4);
	assert_string_equal(b.ptr, "0,1,");
	sk_buf_free(&b);
	sk_buf_free(NULL);
}

static void test_buf_refuses_past_its_maximum(void **state)
{
	struct sk_buf b;

	(void)state;
	sk_buf_init(&b, 8);
	assert_int_equal(sk_buf_adds(&b, "12345678"), 0);
	assert_int_equal(sk_buf_addc(&b, '9'), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_NOMEM);
	assert_string_equal(b.ptr, "12345678");
	sk_buf_free(&b);
}

static void test_view_split_and_trim(void **state)
{
	struct sk_view v = sk_view_of("  key = value  "), head;
	char *s;

	(void)state;
	assert_true(sk_view_split(&v, '=', &head));
	assert_true(sk_view_eq(sk_view_trim(head), "key"));
	assert_true(sk_view_eq(sk_view_trim(v), "value"));
	assert_false(sk_view_split(&v, '=', &head));
	s = sk_view_dup(sk_view_trim(head));
	assert_string_equal(s, "value");
	free(s);
}

static void test_error_prefix_keeps_the_cause(void **state)
{
	(void)state;
	sk_error_clear();
	assert_int_equal(sk_error_last()->klass, SK_ERR_NONE);
	assert_int_equal(sk_error_set(SK_ERR_POLICY, "retentionDays must be 0..35, got %d", 40), SK_ERROR);
	sk_error_prefix("policy '%s'", "prod");
	assert_string_equal(sk_error_message(), "policy 'prod': retentionDays must be 0..35, got 40");
	assert_int_equal(sk_error_last()->klass, SK_ERR_POLICY);
}

static void test_time_round_trips_rfc3339(void **state)
{
	int64_t t, ms;
	char out[SK_TIME_RFC3339_MAX];

	(void)state;
	assert_int_equal(sk_time_parse_rfc3339(&t, "2015-08-30T12:36:00Z"), 0);
	assert_int_equal(t, 1440938160);
	sk_time_format_rfc3339(out, t);
	assert_string_equal(out, "2015-08-30T12:36:00Z");
	sk_time_format_amz(out, t);
	assert_string_equal(out, "20150830T123600Z");
	assert_int_equal(sk_time_parse_rfc3339_ms(&ms, "2014-10-31T20:13:18.384Z"), 0);
	assert_int_equal(ms % 1000, 384);
	assert_int_equal(sk_time_parse_rfc3339(&t, "2024-02-29T00:00:00+01:00"), 0);
	sk_time_format_rfc3339(out, t);
	assert_string_equal(out, "2024-02-28T23:00:00Z");
}

static void test_time_rejects_impossible_dates(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(sk_time_parse_rfc3339(&t, "2023-02-29T00:00:00Z"), SK_ERROR);
	assert_int_equal(sk_time_parse_rfc3339(&t, "2023-13-01T00:00:00Z"), SK_ERROR);
	assert_int_equal(sk_time_parse_rfc3339(&t, "2023-01-01T00:00:00"), SK_ERROR);
	assert_int_equal(sk_time_parse_rfc3339(&t, "2023-01-01"), SK_ERROR);
	assert_int_equal(sk_time_parse_rfc3339(&t, ""), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "not an RFC 3339 time"));
}

/* fuzz_scalars: a time outside years 0000..9999 in UTC would be written back as one no reader takes */
static void test_time_stays_within_writable_years(void **state)
{
	char out[SK_TIME_RFC3339_MAX];
	int64_t t;

	(void)state;
	assert_int_equal(sk_time_parse_rfc3339(&t, "0000-01-01T00:30:00+01:00"), SK_ERROR);
	assert_int_equal(sk_time_parse_rfc3339(&t, "9999-12-31T23:59:60Z"), SK_ERROR);
	assert_int_equal(sk_time_parse_rfc3339(&t, "9999-12-31T23:30:00-01:00"), SK_ERROR);
	assert_int_equal(sk_time_parse_rfc3339(&t, "0000-01-01T00:30:00-01:00"), 0);
	sk_time_format_rfc3339(out, t);
	assert_string_equal(out, "0000-01-01T01:30:00Z");
	assert_int_equal(sk_time_parse_rfc3339(&t, "9999-12-31T23:59:59Z"), 0);
	sk_time_format_rfc3339(out, t);
	assert_string_equal(out, "9999-12-31T23:59:59Z");
}

static void test_civil_days_round_trip_over_centuries(void **state)
{
	int64_t d, y;
	unsigned m, day;

	(void)state;
	for (d = -800000; d < 800000; d += 97) {
		sk_time_civil_from_days(d, &y, &m, &day);
		assert_int_equal(sk_time_days_from_civil(y, m, day), d);
	}
	assert_int_equal(sk_time_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(sk_time_days_from_civil(2000, 3, 1), 11017);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_stays_terminated),
		cmocka_unit_test(test_buf_refuses_past_its_maximum),
		cmocka_unit_test(test_view_split_and_trim),
		cmocka_unit_test(test_arena_alloc_is_aligned_after_strings),
		cmocka_unit_test(test_arena_keeps_everything_across_growing_blocks),
		cmocka_unit_test(test_utf8_copy_keeps_whole_valid_characters),
		cmocka_unit_test(test_error_prefix_keeps_the_cause),
		cmocka_unit_test(test_time_round_trips_rfc3339),
		cmocka_unit_test(test_time_rejects_impossible_dates),
		cmocka_unit_test(test_time_stays_within_writable_years),
		cmocka_unit_test(test_civil_days_round_trip_over_centuries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
