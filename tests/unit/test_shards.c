/*
 * test_shards.c - the shards a `run` replica tries (reconciler/service/shards.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/error.h"
#include "reconciler/service/shards.h"
#include "specs/policy.h"

static const char *const TWO = "apiVersion: snapkeep/v1\n"
			       "kind: BackupPolicy\n"
			       "metadata: {name: a}\n"
			       "spec:\n"
			       "  regions: [us-west-2, us-east-1]\n"
			       "  selector: {instances: [db-a]}\n"
			       "  snapshots:\n"
			       "    schedule: \"0 3 * * *\"\n"
			       "    copies: [{region: eu-central-1}]\n"
			       "---\n"
			       "apiVersion: snapkeep/v1\n"
			       "kind: BackupPolicy\n"
			       "metadata: {name: b}\n"
			       "spec:\n"
			       "  regions: [eu-west-1, us-east-1]\n"
			       "  selector: {instances: [db-b]}\n"
			       "  automated: {retentionDays: 7}\n";

static struct sk_policyset *two(void)
{
	struct sk_policyset *set = NULL;

	assert_int_equal(sk_policyset_parse_buffer(&set, "p.yaml", TWO, strlen(TWO)), 0);
	return set;
}

/* every region a policy names, once and sorted; a region only copied to has no shard */
static void test_shards_are_the_policies_regions_sorted_once(void **state)
{
	struct sk_policyset *set = two();
	struct sk_shard *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sk_shards_list(&v, &n, set, NULL, 0, NULL, 0), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].region, "eu-west-1");
	assert_string_equal(v[1].region, "us-east-1");
	assert_string_equal(v[2].region, "us-west-2");
	assert_string_equal(v[1].account, "");
	assert_string_equal(v[1].name, "us-east-1");
	assert_string_equal(v[1].key, "/us-east-1");
	free(v);
	sk_policyset_free(set);
}

static void test_shards_within_the_region_options(void **state)
{
	static const char *const only[] = { "us-west-2", "eu-central-1" };
	struct sk_policyset *set = two();
	struct sk_shard *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sk_shards_list(&v, &n, set, only, 2, NULL, 0), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].region, "us-west-2");
	free(v);
	assert_int_equal(sk_shards_list(&v, &n, set, only + 1, 1, NULL, 0), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	sk_policyset_free(set);
}

/* Settings' accounts: each policy's regions in each account it covers; --account narrows */
static void test_shards_are_accounts_times_regions(void **state)
{
	static const char *const yaml = "apiVersion: snapkeep/v1\n"
					"kind: Settings\n"
					"metadata: {name: fleet}\n"
					"spec:\n"
					"  accounts:\n"
					"    - {id: \"111111111111\", roleArn: \"arn:aws:iam::111111111111:role/snapkeep\"}\n"
					"    - {id: \"222222222222\", roleArn: \"arn:aws:iam::222222222222:role/snapkeep\"}\n"
					"---\n"
					"apiVersion: snapkeep/v1\n"
					"kind: BackupPolicy\n"
					"metadata: {name: all}\n"
					"spec:\n"
					"  regions: [us-east-1]\n"
					"  selector: {instances: [db-a]}\n"
					"  automated: {retentionDays: 7}\n"
					"---\n"
					"apiVersion: snapkeep/v1\n"
					"kind: BackupPolicy\n"
					"metadata: {name: two}\n"
					"spec:\n"
					"  accounts: [\"222222222222\"]\n"
					"  regions: [eu-west-1]\n"
					"  selector: {instances: [db-b]}\n"
					"  automated: {retentionDays: 7}\n";
	static const char *const only[] = { "222222222222" };
	struct sk_policyset *set = NULL;
	struct sk_shard *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sk_policyset_parse_buffer(&set, "p.yaml", yaml, strlen(yaml)), 0);
	assert_int_equal(sk_shards_list(&v, &n, set, NULL, 0, NULL, 0), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "111111111111/us-east-1");
	assert_string_equal(v[1].name, "222222222222/eu-west-1");
	assert_string_equal(v[2].name, "222222222222/us-east-1");
	assert_string_equal(v[2].key, "222222222222/us-east-1");
	assert_string_equal(v[2].account, "222222222222");
	free(v);
	assert_int_equal(sk_shards_list(&v, &n, set, NULL, 0, only, 1), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "222222222222/eu-west-1");
	free(v);
	sk_policyset_free(set);
}

/* each replica starts at FNV-1a(id) mod n and goes on in order, wrapping: every shard once */
static void test_shards_rotate_by_replica(void **state)
{
	static const char *const regions[] = { "a", "b", "c", "d", "e", "f", "g" };
	static const char *const replicas[] = { "snapkeep-0", "snapkeep-1", "snapkeep-2", "host.example", "x" };
	struct sk_shard v[7];
	size_t r, i, n = 7;
	bool starts[7] = { false };
	size_t distinct = 0;

	(void)state;
	/* the documented hash: FNV-1a 64 of "a" */
	assert_true(sk_shards_hash("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(sk_shards_hash("") == 0xcbf29ce484222325ULL);
	for (r = 0; r < sizeof(replicas) / sizeof(replicas[0]); r++) {
		size_t start = (size_t)(sk_shards_hash(replicas[r]) % n);
		for (i = 0; i < n; i++) {
			v[i].account = "";
			v[i].region = regions[i];
		}
		sk_shards_rotate(v, n, replicas[r]);
		for (i = 0; i < n; i++)
			assert_string_equal(v[i].region, regions[(start + i) % n]);
		if (!starts[start])
			distinct++;
		starts[start] = true;
	}
	assert_true(distinct >= 2);
	/* one shard, or none: nothing to rotate */
	sk_shards_rotate(v, 1, "snapkeep-1");
	sk_shards_rotate(NULL, 0, "snapkeep-1");
}

static void test_replica_id_from_flag_env_or_host(void **state)
{
	char id[64], host[256];

	(void)state;
	assert_int_equal(sk_replica_id(id, sizeof(id), "snapkeep-7d9f-2"), 0);
	assert_string_equal(id, "snapkeep-7d9f-2");
	assert_int_equal(sk_replica_id(id, sizeof(id), ""), SK_ERROR);
	assert_string_equal(sk_error_message(), "--replica-id is empty");
	assert_int_equal(sk_replica_id(id, sizeof(id), "a b"), SK_ERROR);
	assert_string_equal(sk_error_message(), "--replica-id 'a b' has a space or control character");
	setenv(SK_REPLICA_ENV, "from-env", 1);
	assert_int_equal(sk_replica_id(id, sizeof(id), NULL), 0);
	assert_string_equal(id, "from-env");
	unsetenv(SK_REPLICA_ENV);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_int_equal(sk_replica_id(id, sizeof(id), NULL), 0);
	assert_int_equal(strncmp(id, host, sizeof(id) - 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shards_are_the_policies_regions_sorted_once),
		cmocka_unit_test(test_shards_within_the_region_options),
		cmocka_unit_test(test_shards_are_accounts_times_regions),
		cmocka_unit_test(test_shards_rotate_by_replica),
		cmocka_unit_test(test_replica_id_from_flag_env_or_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
