/*
 * test_common.c - buffer, view, array, string, JSON, error and time helpers
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "common/arena.h"
#include "common/array.h"
#include "common/buf.h"
#include "common/digest.h"
#include "common/error.h"
#include "common/json.h"
#include "common/str.h"
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
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
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

static void test_arena_big_blocks_keep_every_string(void **state)
{
	struct sk_arena a = SK_ARENA_INIT;
	const char **kept = calloc(400000, sizeof(*kept));
	char s[32];
	int i;

	(void)state;
	assert_non_null(kept);
	/* about 12 MiB: past the small blocks into the big (huge-page) ones */
	for (i = 0; i < 400000; i++) {
		snprintf(s, sizeof(s), "snap-%024d", i);
		kept[i] = sk_arena_strdup(&a, s);
		assert_non_null(kept[i]);
	}
	for (i = 0; i < 400000; i += 997) {
		snprintf(s, sizeof(s), "snap-%024d", i);
		assert_string_equal(kept[i], s);
	}
	assert_true(a.used >= (size_t)400000 * 30);
	free(kept);
	sk_arena_free(&a);
}

struct point {
	int x, y;
};

static void test_array_push_grows_and_keeps_items(void **state)
{
	struct point *pts = NULL;
	size_t n = 0, cap = 0, i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		struct point *p = SK_ARRAY_PUSH(pts, n, cap);
		assert_non_null(p);
		assert_ptr_equal(p, &pts[i]);
		p->x = (int)i;
		p->y = (int)(i * 2);
	}
	assert_int_equal(n, 1000);
	assert_true(cap >= 1000 && cap < 2000);
	for (i = 0; i < n; i++)
		assert_int_equal(pts[i].y, 2 * pts[i].x);
	free(pts);
}

static void test_array_grow_reserves_at_once(void **state)
{
	char *b = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(SK_ARRAY_GROW(b, cap, 5), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(SK_ARRAY_GROW(b, cap, 16), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(SK_ARRAY_GROW(b, cap, 1000), 0);
	assert_int_equal(cap, 1024);
	memset(b, 'x', cap);
	free(b);
}

static void test_array_refuses_a_size_past_size_max(void **state)
{
	struct point *pts = NULL;
	size_t cap = 0, n = 0;

	(void)state;
	assert_non_null(SK_ARRAY_PUSH(pts, n, cap));
	pts[0].x = 42;
	sk_error_clear();
	/* need * sizeof(struct point) does not fit a size_t: refused before any allocation */
	assert_int_equal(SK_ARRAY_GROW(pts, cap, SIZE_MAX / 4), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_NOMEM);
	assert_int_equal(cap, 16);
	assert_int_equal(pts[0].x, 42);
	assert_int_equal(SK_ARRAY_GROW(pts, cap, SIZE_MAX), SK_ERROR);
	assert_int_equal(cap, 16);
	free(pts);
}

static void test_strlcpy_says_when_it_cuts(void **state)
{
	char b[8];

	(void)state;
	assert_false(sk_strlcpy(b, "short", sizeof(b)));
	assert_string_equal(b, "short");
	assert_false(sk_strlcpy(b, "seven!!", sizeof(b)));
	assert_string_equal(b, "seven!!");
	assert_true(sk_strlcpy(b, "eight!!!", sizeof(b)));
	assert_string_equal(b, "eight!!");
	assert_true(sk_strlcpy(b, "a much longer string", sizeof(b)));
	assert_string_equal(b, "a much ");
	assert_false(sk_strlcpy(b, "", sizeof(b)));
	assert_string_equal(b, "");
	b[0] = 'z';
	assert_true(sk_strlcpy(b, "x", 1));
	assert_string_equal(b, "");
	b[0] = 'z';
	assert_true(sk_strlcpy(b, "x", 0));
	assert_int_equal(b[0], 'z');
}

static void test_utf8_valid_refuses_what_jansson_refused(void **state)
{
	(void)state;
	assert_true(sk_utf8_valid("", 0));
	assert_true(sk_utf8_valid("plain ascii", 11));
	assert_true(sk_utf8_valid("\xc3\xa9t\xc3\xa9", 5));                /* été */
	assert_true(sk_utf8_valid("\xe2\x82\xac", 3));                   /* U+20AC */
	assert_true(sk_utf8_valid("\xf0\x9f\x98\x80", 4));               /* U+1F600 */
	assert_true(sk_utf8_valid("\xf4\x8f\xbf\xbf", 4));               /* U+10FFFF */
	assert_false(sk_utf8_valid("\xc0\x80", 2));                       /* overlong NUL */
	assert_false(sk_utf8_valid("\xe0\x80\xaf", 3));                   /* overlong '/' */
	assert_false(sk_utf8_valid("\xed\xa0\x80", 3));                   /* U+D800, a surrogate */
	assert_false(sk_utf8_valid("\xed\xbf\xbf", 3));                   /* U+DFFF */
	assert_false(sk_utf8_valid("\xf4\x90\x80\x80", 4));               /* past U+10FFFF */
	assert_false(sk_utf8_valid("\xf5\x80\x80\x80", 4));
	assert_false(sk_utf8_valid("\x80", 1));                           /* a lone continuation */
	assert_false(sk_utf8_valid("\xc3", 1));                           /* cut short */
	assert_false(sk_utf8_valid("\xe2\x82\xac", 2));
	assert_false(sk_utf8_valid("\xc3\x28", 2));                       /* not a continuation */
}

static void test_str_helpers_dup_sort_and_free(void **state)
{
	const char *in[] = { "pear", "apple", "fig", "apple" };
	char **v = calloc(4, sizeof(*v));
	char *secret = sk_strdup("s3cr3t");
	char *empty = sk_strdup(NULL);
	size_t i;

	(void)state;
	assert_non_null(v);
	for (i = 0; i < 4; i++)
		assert_non_null(v[i] = sk_strdup(in[i]));
	assert_ptr_not_equal(v[0], in[0]);
	qsort(v, 4, sizeof(*v), sk_strp_cmp);
	assert_string_equal(v[0], "apple");
	assert_string_equal(v[1], "apple");
	assert_string_equal(v[2], "fig");
	assert_string_equal(v[3], "pear");
	assert_true(sk_strv_has((const char *const *)v, 4, "fig"));
	assert_true(sk_strv_has(in, 4, "apple"));
	assert_false(sk_strv_has(in, 4, "appl"));
	assert_false(sk_strv_has(in, 3, "apple") && sk_strv_has(in, 1, "fig"));
	assert_false(sk_strv_has(NULL, 0, "pear"));
	sk_strv_free(v, 4); /* ASan: every string and the array freed */
	sk_strv_free(NULL, 3);
	assert_non_null(empty);
	assert_string_equal(empty, "");
	free(empty);
	assert_string_equal(secret, "s3cr3t");
	sk_str_cleanse_free(secret);
	sk_str_cleanse_free(NULL);
}

static void test_buf_strfmt_prints_a_new_string(void **state)
{
	char *s = sk_buf_strfmt("%s.%s.%zu", "Tags", "member", (size_t)12);
	char *e = sk_buf_strfmt("%s", "");

	(void)state;
	assert_non_null(s);
	assert_string_equal(s, "Tags.member.12");
	assert_non_null(e);
	assert_string_equal(e, "");
	free(s);
	free(e);
}

static bool dash(char c)
{
	return c == '-';
}

static void test_view_trim_by_takes_its_own_blanks(void **state)
{
	struct sk_view v = sk_view_trim_by(sk_view_of("--a b--"), dash);
	struct sk_view all = sk_view_trim_by(sk_view_of("---"), dash);

	(void)state;
	assert_int_equal(v.len, 3);
	assert_memory_equal(v.ptr, "a b", 3);
	assert_int_equal(all.len, 0);
	v = sk_view_trim(sk_view_of("\t x \n"));
	assert_int_equal(v.len, 1);
	assert_memory_equal(v.ptr, "x", 1);
}

static void test_json_times_null_or_left_out_when_unknown(void **state)
{
	json_t *o = json_object(), *t = sk_json_time(1767236400), *none = sk_json_time(0);

	(void)state;
	assert_string_equal(json_string_value(t), "2026-01-01T03:00:00Z");
	assert_true(json_is_null(none));
	assert_int_equal(sk_json_set_time_ms(o, "since", 1767236400123LL), 0);
	assert_int_equal(sk_json_set_time_ms(o, "until", 0), 0);
	assert_string_equal(json_string_value(json_object_get(o, "since")), "2026-01-01T03:00:00.123Z");
	assert_null(json_object_get(o, "until"));
	json_decref(t);
	json_decref(none);
	json_decref(o);
}

static void test_json_built_frees_what_failed_and_says_so(void **state)
{
	json_t *o = json_object();

	(void)state;
	sk_error_clear();
	assert_ptr_equal(sk_json_built(o, true), o);
	assert_int_equal(sk_error_last()->klass, SK_ERR_NONE);
	assert_null(sk_json_built(o, false)); /* o is freed: ASan says so if not */
	assert_string_equal(sk_error_message(), "out of memory");
	assert_null(sk_json_built(NULL, false));
	sk_error_clear();
}

static void test_json_strings_in_order_none_for_bad_utf8(void **state)
{
	const char *const names[] = { "us-east-1", "eu-west-1" }, *const bad[] = { "ok", "\xff" };
	json_t *a = sk_json_strings(names, 2), *none = sk_json_strings(NULL, 0);

	(void)state;
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 1)), "eu-west-1");
	assert_true(json_is_array(none));
	assert_int_equal(json_array_size(none), 0);
	assert_null(sk_json_strings(bad, 2));
	json_decref(a);
	json_decref(none);
}

static void test_arena_memdup_copies_aligned(void **state)
{
	struct sk_arena a = SK_ARENA_INIT;
	const long long src[3] = { 1, -2, 3 };
	const char *s = sk_arena_strdup(&a, "x");
	long long *d = sk_arena_memdup(&a, src, sizeof(src));

	(void)state;
	assert_non_null(s);
	assert_non_null(d);
	assert_int_equal((uintptr_t)d % _Alignof(max_align_t), 0);
	assert_memory_equal(d, src, sizeof(src));
	assert_ptr_not_equal(d, src);
	sk_arena_free(&a);
}

static void test_time_knows_the_days_of_each_month(void **state)
{
	static const char *const good[] = { "2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2023-04-30T00:00:00Z",
					     "2023-12-31T23:59:60Z", "1600-02-29T00:00:00Z" };
	static const char *const bad[] = { "1900-02-29T00:00:00Z", "2023-04-31T00:00:00Z", "2023-06-31T00:00:00Z",
					   "2023-01-32T00:00:00Z", "2023-01-00T00:00:00Z", "2100-02-29T00:00:00Z" };
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(sk_time_parse_rfc3339(&t, good[i]), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sk_time_parse_rfc3339(&t, bad[i]), SK_ERROR);
	assert_int_equal(sk_time_parse_rfc3339(&t, "2000-02-29T00:00:00Z"), 0);
	assert_int_equal(t, 951782400);
}

static void test_arena_intern_gives_one_copy_per_text(void **state)
{
	struct sk_arena a = SK_ARENA_INIT;
	const char *first[3000];
	char s[32];
	int i;

	(void)state;
	/* enough strings to grow the table several times, of every length around a word */
	for (i = 0; i < 3000; i++) {
		snprintf(s, sizeof(s), "%.*s%d", i % 20, "abcdefghijklmnopqrst", i);
		first[i] = sk_arena_intern(&a, s);
		assert_non_null(first[i]);
		assert_string_equal(first[i], s);
	}
	for (i = 0; i < 3000; i++) {
		snprintf(s, sizeof(s), "%.*s%d", i % 20, "abcdefghijklmnopqrst", i);
		assert_ptr_equal(sk_arena_intern(&a, s), first[i]);
		assert_ptr_equal(sk_arena_intern_n(&a, s, strlen(s)), first[i]);
	}
	/* a prefix is another string; lengths count, not NULs */
	assert_ptr_not_equal(sk_arena_intern_n(&a, "abc10", 4), sk_arena_intern(&a, "abc10"));
	assert_ptr_equal(sk_arena_intern_n(&a, "abc10", 4), sk_arena_intern(&a, "abc1"));
	assert_ptr_equal(sk_arena_intern_n(&a, "x", 0), sk_arena_intern(&a, ""));
	assert_int_equal(a.n_interned, 3000 + 3); /* "abc1", "abc10" and "" */
	assert_null(sk_arena_intern(&a, NULL));
	sk_arena_free(&a);
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

/* FIPS 180-2's "abc" and the empty string; hex of any bytes */
static void test_sha256_hex(void **state)
{
	static const unsigned char bytes[] = { 0x00, 0x0f, 0xa5, 0xff };
	char hex[65];

	(void)state;
	assert_int_equal(sk_sha256_hex(hex, "abc", 3), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sk_sha256_hex(hex, NULL, 0), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sk_hex(hex, bytes, sizeof(bytes));
	assert_string_equal(hex, "000fa5ff");
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
		cmocka_unit_test(test_arena_intern_gives_one_copy_per_text),
		cmocka_unit_test(test_arena_big_blocks_keep_every_string),
		cmocka_unit_test(test_time_knows_the_days_of_each_month),
		cmocka_unit_test(test_array_push_grows_and_keeps_items),
		cmocka_unit_test(test_array_grow_reserves_at_once),
		cmocka_unit_test(test_array_refuses_a_size_past_size_max),
		cmocka_unit_test(test_strlcpy_says_when_it_cuts),
		cmocka_unit_test(test_utf8_valid_refuses_what_jansson_refused),
		cmocka_unit_test(test_str_helpers_dup_sort_and_free),
		cmocka_unit_test(test_buf_strfmt_prints_a_new_string),
		cmocka_unit_test(test_view_trim_by_takes_its_own_blanks),
		cmocka_unit_test(test_json_times_null_or_left_out_when_unknown),
		cmocka_unit_test(test_json_built_frees_what_failed_and_says_so),
		cmocka_unit_test(test_json_strings_in_order_none_for_bad_utf8),
		cmocka_unit_test(test_arena_memdup_copies_aligned),
		cmocka_unit_test(test_sha256_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
