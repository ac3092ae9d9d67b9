/*
 * test_inventory_json.c - the snapkeep-inventory/v1 reader and writer
 * (reconciler/planner/inventory_json.c, inventory_element.c)
 *
 * The reader takes the file through yajl's events; these hold what the
 * jansson-based reader before it did (the first problem of an element in
 * field order, with its id and the line it starts on; a repeated key's
 * last value; what jansson refused) and the new edges (lines, limits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "reconciler/planner/inventory_json.h"
#include "reconciler/planner/ownership.h"

static struct sk_inventory *read_text(const char *text)
{
	struct sk_inventory *inv = NULL;
	FILE *f = fmemopen((void *)text, strlen(text), "rb");

	assert_non_null(f);
	if (sk_inventory_read_stream(&inv, f, "inv.json") < 0)
		inv = NULL;
	fclose(f);
	return inv;
}

/* reading text fails with an error ending in want */
static void refused(const char *text, const char *want)
{
	struct sk_inventory *inv = read_text(text);
	const char *msg = sk_error_message();

	if (inv || strlen(msg) < strlen(want) || strcmp(msg + strlen(msg) - strlen(want), want))
		fail_msg("read %s\n  got: %s\n want: ...%s", inv ? "succeeded" : "failed", msg, want);
	assert_null(strchr(msg, '\n'));
}

#define HEAD "{\"format\": \"snapkeep-inventory/v1\", "
#define SNAP "\"region\": \"us-east-1\", \"instance\": \"db\", \"type\": \"manual\", \"status\": \"available\""

static void test_first_problem_in_field_order_whatever_the_key_order(void **state)
{
	(void)state;
	/* created comes first and is wrong, but a missing status is checked before it */
	refused(HEAD "\"snapshots\": [{\"created\": \"yesterday\", \"type\": \"manual\", \"instance\": \"db\", "
		     "\"region\": \"r\", \"id\": \"s1\"}]}",
		"inv.json:1: snapshot 's1': 'status' is required");
	refused(HEAD "\"snapshots\": [{\"created\": \"yesterday\", " SNAP ", \"id\": \"s1\"}]}",
		"inv.json:1: snapshot 's1': 'created' must be an RFC 3339 time (as 2026-01-01T03:00:00Z), "
		"got \"yesterday\"");
	refused(HEAD "\"instances\": [{\"backupRetentionPeriod\": 36, \"region\": \"r\"}]}",
		"inv.json:1: instance: 'id' is required");
	refused(HEAD "\"instances\": [{\"id\": \"db\", \"region\": \"r\", \"backupRetentionPeriod\": 7.0}]}",
		"instance 'db': 'backupRetentionPeriod' must be an integer 0..35, got 7.0");
	refused(HEAD "\"automatedBackups\": [{\"arn\": \"a\", \"backupRetentionPeriod\": \"7\"}]}",
		"automated backup 'a': 'region' is required");
	refused(HEAD "\"snapshots\": [{\"id\": \"\", " SNAP "}]}", "snapshot: 'id' must not be empty");
}

static void test_element_line_is_where_it_starts(void **state)
{
	(void)state;
	refused("{\n\"format\": \"snapkeep-inventory/v1\",\n\"snapshots\": [\n{\"id\": \"a\", " SNAP "},\n"
		"{\n  \"id\": \"b\",\n  \"region\": \"us-east-1\",\n  \"instance\": \"db\",\n  \"type\": \"manual\",\n"
		"  \"status\": \"available\",\n  \"encrypted\": \"yes\"\n}\n]}\n",
		"inv.json:5: snapshot 'b': 'encrypted' must be true or false, got \"yes\"");
	/* syntax: the line of the problem itself */
	refused("{\n\"format\": \"snapkeep-inventory/v1\",\n\"snapshots\": [\n{\"id\": \"x\" \"instance\": \"y\"}]}",
		"inv.json:4: parse error: after key and value, inside map, I expect ',' or '}'");
	refused("{\n\"format\": \"snapkeep-inventory/v1\",\n\"snapshots\": [\n{\"id\": \"x\",",
		"inv.json:4: the file ends inside the inventory (truncated?)");
	refused("{\"format\": \"snapkeep-inventory/v1\",\n\"snapshots\": {}}", "inv.json:2: 'snapshots' must be an array");
	refused("{\"format\": \"snapkeep-inventory/v1\",\n\"snapshots\": \"a\\u0000\"}",
		"inv.json:2: 'snapshots' must be an array");
}

static void test_top_level_must_be_one_v1_object(void **state)
{
	(void)state;
	refused("hello", "inv.json:1: expected '{', found 'h'");
	refused("", "inv.json:1: expected '{', found the end of the file (truncated?)");
	refused(" \n\t", "inv.json:2: expected '{', found the end of the file (truncated?)");
	refused("[{}]", "inv.json:1: expected '{', found '['");
	refused("\xef\xbb\xbf{}", "inv.json:1: expected '{', found byte 0xef");
	refused("{}", "inv.json: no \"format\": \"snapkeep-inventory/v1\" field");
	refused("{\"format\": \"snapkeep-inventory/v2\"}",
		"inv.json:1: not a snapkeep-inventory/v1 file (format is \"snapkeep-inventory/v2\")");
	refused("{\"format\": [\"snapkeep-inventory/v1\"]}",
		"inv.json:1: not a snapkeep-inventory/v1 file (format is an array)");
	refused(HEAD "\"observedAt\": null}",
		"inv.json:1: 'observedAt' must be an RFC 3339 time (as 2026-01-01T03:00:00Z), got null");
	refused(HEAD "\"regions\": [\"us-east-1\", \"\"]}",
		"inv.json:1: 'regions' must be an array of region names, got \"\"");
	refused(HEAD "\"regions\": \"us-east-1\"}", "inv.json:1: 'regions' must be an array of region names");
	refused(HEAD "\"snapshots\": []}\n\n{}", "inv.json:3: text after the end of the inventory");
	refused(HEAD "\"snapshots\": [7]}", "inv.json:1: snapshot: must be an object, got 7");
}

static void test_strings_and_numbers_jansson_refused(void **state)
{
	struct sk_inventory *inv;

	(void)state;
	refused(HEAD "\"snapshots\": [{\"id\": \"a\\u0000b\", " SNAP "}]}",
		"inv.json:1: a string holds \\u0000, which is not allowed");
	refused(HEAD "\"x-mine\": {\"k\\u0000\": 1}}", "inv.json:1: a string holds \\u0000, which is not allowed");
	refused(HEAD "\"snapshots\": [{\"id\": \"a\\udc00\", " SNAP "}]}",
		"inv.json:1: a string is not valid UTF-8 (or holds a lone surrogate)");
	refused(HEAD "\"snapshots\": [{\"id\": \"\xc0\x80\", " SNAP "}]}",
		"inv.json:1: a string is not valid UTF-8 (or holds a lone surrogate)");
	refused(HEAD "\"snapshots\": [{\"id\": \"\xed\xa0\x80\", " SNAP "}]}",
		"inv.json:1: a string is not valid UTF-8 (or holds a lone surrogate)");
	refused(HEAD "\"x-mine\": 99999999999999999999}", "inv.json:1: an integer too large: 99999999999999999999");
	refused(HEAD "\"x-mine\": [1e999]}", "inv.json:1: a number too large for a double: 1e999");
	/* what jansson took, this takes: escapes, pairs, characters beyond ASCII, big but fitting numbers */
	inv = read_text(HEAD "\"x-mine\": [-9223372036854775808, 1e300, 1e-400], \"snapshots\": [{\"id\": "
			     "\"\\u00e9t\\u00e9-\\ud83d\\ude00-\xc3\xa9\", " SNAP ", \"allocatedGiB\": 4294967295}]}");
	assert_non_null(inv);
	assert_string_equal(inv->snapshots[0].id, "\xc3\xa9t\xc3\xa9-\xf0\x9f\x98\x80-\xc3\xa9");
	assert_int_equal(inv->snapshots[0].allocated_gib, 4294967295u);
	sk_inventory_free(inv);
	refused(HEAD "\"snapshots\": [{\"id\": \"a\", " SNAP ", \"allocatedGiB\": 4294967296}]}",
		"snapshot 'a': 'allocatedGiB' must be an integer 0..4294967295, got 4294967296");
}

static void test_repeated_keys_take_the_last_value(void **state)
{
	struct sk_inventory *inv;
	const struct sk_inv_snapshot *s;

	(void)state;
	inv = read_text(HEAD "\"snapshots\": [{\"id\": \"first\", \"id\": \"s\", " SNAP ", \"status\": \"failed\", "
			     "\"tags\": {\"k\": 1}, \"tags\": {\"a\": \"1\", \"b\": \"2\", \"a\": \"3\"}}]}");
	assert_non_null(inv);
	s = &inv->snapshots[0];
	assert_string_equal(s->id, "s");
	assert_int_equal(s->status, SK_SNAP_FAILED);
	/* the first place, the last value: as jansson's objects */
	assert_int_equal(s->n_tags, 2);
	assert_string_equal(s->tags[0].key, "a");
	assert_string_equal(s->tags[0].value, "3");
	assert_string_equal(s->tags[1].key, "b");
	sk_inventory_free(inv);
	refused(HEAD "\"snapshots\": [{\"id\": \"s\", " SNAP ", \"tags\": {\"a\": \"1\", \"a\": null}}]}",
		"snapshot 's': tag 'a' must be a string, got null");
	inv = read_text(HEAD "\"snapshots\": [{\"id\": \"s\", " SNAP ", \"tags\": {\"a\": \"1\"}, \"tags\": null}]}");
	assert_non_null(inv);
	assert_int_equal(inv->snapshots[0].n_tags, 0);
	sk_inventory_free(inv);
}

static void test_many_tags_with_repeats(void **state)
{
	char *text = malloc(64 * 1024), *p;
	struct sk_inventory *inv;
	const struct sk_inv_snapshot *s;
	int i;

	(void)state;
	assert_non_null(text);
	p = text + sprintf(text, HEAD "\"snapshots\": [{\"id\": \"s\", " SNAP ", \"tags\": {");
	/* 300 keys, each written three times: past the few looked for one by one */
	for (i = 0; i < 900; i++)
		p += sprintf(p, "%s\"k%d\": \"v%d\"", i ? ", " : "", i % 300, i);
	sprintf(p, "}}]}");
	inv = read_text(text);
	assert_non_null(inv);
	s = &inv->snapshots[0];
	assert_int_equal(s->n_tags, 300);
	for (i = 0; i < 300; i++) {
		char k[16], v[16];
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i + 600);
		assert_string_equal(s->tags[i].key, k);
		assert_string_equal(sk_tag_get(s->tags, s->n_tags, k), v);
	}
	sk_inventory_free(inv);
	free(text);
}

static void test_replications_and_unknown_values(void **state)
{
	char text[4096], *p;
	struct sk_inventory *inv;
	int i;

	(void)state;
	inv = read_text(HEAD "\"x-top\": {\"deep\": [[[{\"id\": 5}]]]}, \"instances\": [{\"x-cmdb\": {\"id\": 7, "
			     "\"tags\": [1]}, \"id\": \"db\", \"region\": \"r\", \"replications\": [\"arn:1\", \"arn:2\"], "
			     "\"tags\": {\"env\": \"prod\"}, \"x-more\": [{\"replications\": 1}]}]}");
	assert_non_null(inv);
	assert_int_equal(inv->n_instances, 1);
	assert_int_equal(inv->instances[0].n_replications, 2);
	assert_string_equal(inv->instances[0].replications[1], "arn:2");
	assert_string_equal(inv->instances[0].status, "available");
	assert_string_equal(sk_tag_get(inv->instances[0].tags, inv->instances[0].n_tags, "env"), "prod");
	sk_inventory_free(inv);
	refused(HEAD "\"instances\": [{\"id\": \"db\", \"region\": \"r\", \"replications\": [\"a\", [\"b\"]]}]}",
		"instance 'db': 'replications' must be an array of ARNs, got an array");
	refused(HEAD "\"instances\": [{\"id\": \"db\", \"region\": \"r\", \"replications\": \"a\"}]}",
		"instance 'db': 'replications' must be an array of ARNs, got \"a\"");
	p = text + sprintf(text, HEAD "\"instances\": [{\"id\": \"db\", \"region\": \"r\", \"replications\": [");
	for (i = 0; i < 65; i++)
		p += sprintf(p, "%s\"arn:%d\"", i ? ", " : "", i);
	sprintf(p, ", 7]}]}");
	refused(text, "instance 'db': more than 64 replications");
}

static void test_an_element_past_64_mib_is_refused(void **state)
{
	size_t big = ((size_t)66 << 20), n;
	char *text = malloc(big + 256);
	struct sk_inventory *inv;

	(void)state;
	assert_non_null(text);
	n = (size_t)sprintf(text, "{\"format\": \"snapkeep-inventory/v1\",\n\"snapshots\": [\n{\"id\": \"s\", " SNAP
				  ", \"x-pad\": \"");
	memset(text + n, 'x', big);
	strcpy(text + n + big, "\"}]}");
	refused(text, "inv.json:3: an element larger than 67108864 bytes");
	/* a long value is read when the element stays below the limit */
	strcpy(text + n + ((size_t)8 << 20), "\"}]}");
	inv = read_text(text);
	assert_non_null(inv);
	assert_int_equal(inv->n_snapshots, 1);
	sk_inventory_free(inv);
	free(text);
}

static void test_written_file_reads_back_the_same(void **state)
{
	struct sk_inventory *inv, *again;
	char *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;
	FILE *f;

	(void)state;
	inv = read_text(HEAD "\"observedAt\": \"2026-01-10T03:00:00+01:00\", \"regions\": [\"us-west-2\", \"us-east-1\"], "
			     "\"instances\": [{\"id\": \"db\", \"region\": \"us-east-1\", \"pendingBackupRetentionPeriod\": 3, "
			     "\"latestRestorableTime\": \"2026-01-10T02:55:00.999Z\", \"tags\": {\"q\": \"\\\"\\\\\"}}], "
			     "\"snapshots\": [{\"id\": \"b\", \"arn\": \"arn:aws:rds:us-east-1:1:snapshot:b\", " SNAP ", "
			     "\"created\": \"2026-01-02T00:00:00Z\"}, {\"id\": \"a\", \"arn\": \"elsewhere\", " SNAP ", "
			     "\"created\": \"2026-01-02T00:00:00Z\", \"originalCreated\": \"2025-12-31T00:00:00Z\"}], "
			     "\"automatedBackups\": [{\"region\": \"us-west-2\", \"earliest\": \"2026-01-01T00:00:00Z\"}]}");
	assert_non_null(inv);
	assert_false(inv->every_region);
	assert_int_equal(inv->observed_at, 1768010400);
	assert_string_equal(inv->snapshots[0].id, "a"); /* sorted: same instance and time, then by id */
	f = open_memstream(&out, &len);
	assert_int_equal(sk_inventory_write_json(inv, f), 0);
	fclose(f);
	again = read_text(out);
	assert_non_null(again);
	f = open_memstream(&out2, &len2);
	assert_int_equal(sk_inventory_write_json(again, f), 0);
	fclose(f);
	assert_int_equal(len, len2);
	assert_memory_equal(out, out2, len);
	assert_non_null(strstr(out, "\"arn\":\"arn:aws:rds:us-east-1:1:snapshot:b\""));
	assert_non_null(strstr(out, "\"tags\":{\"q\":\"\\\"\\\\\"}"));
	free(out);
	free(out2);
	sk_inventory_free(again);
	sk_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_problem_in_field_order_whatever_the_key_order),
		cmocka_unit_test(test_element_line_is_where_it_starts),
		cmocka_unit_test(test_top_level_must_be_one_v1_object),
		cmocka_unit_test(test_strings_and_numbers_jansson_refused),
		cmocka_unit_test(test_repeated_keys_take_the_last_value),
		cmocka_unit_test(test_many_tags_with_repeats),
		cmocka_unit_test(test_replications_and_unknown_values),
		cmocka_unit_test(test_an_element_past_64_mib_is_refused),
		cmocka_unit_test(test_written_file_reads_back_the_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
