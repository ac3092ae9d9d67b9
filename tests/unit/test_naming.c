/*
 * test_naming.c - the identifiers snapkeep gives its snapshots and copies (reconciler/planner/naming.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aws/rds.h"
#include "common/error.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/naming.h"

static void test_snapshot_identifiers(void **state)
{
	char id[SK_SNAPSHOT_ID_MAX + 1], inst[300];

	(void)state;
	assert_int_equal(sk_naming_snapshot(id, "snapkeep", "mangu-publishing-db-production", 1714879800), 0);
	assert_string_equal(id, "snapkeep-mangu-publishing-db-production-20240505-0330");
	assert_int_equal(sk_naming_snapshot(id, "nightly", "DB1", 0), 0);
	assert_string_equal(id, "nightly-db1-19700101-0000");
	/* too long: cut, hashed, never more than 255 */
	memset(inst, 'a', 250);
	inst[250] = '\0';
	inst[236] = '-';
	assert_int_equal(sk_naming_snapshot(id, "snapkeep", inst, 1714879800), 0);
	assert_int_equal(strlen(id), 255);
	assert_null(strstr(id, "--"));
	assert_int_equal(strncmp(id, "snapkeep-aaaa", 13), 0);
	assert_string_equal(id + strlen(id) - 14, "-20240505-0330");
	assert_true(sk_rds_valid_snapshot_id(id));
	assert_int_equal(sk_naming_snapshot(id, "", "db", 0), SK_ERROR);
}

static void test_ondemand_identifiers(void **state)
{
	char id[SK_SNAPSHOT_ID_MAX + 1], slot[SK_SNAPSHOT_ID_MAX + 1], inst[300];

	(void)state;
	assert_int_equal(sk_naming_ondemand(id, "snapkeep", "Orders-DB", 1714879845), 0);
	assert_string_equal(id, "snapkeep-orders-db-20240505-033045-ondemand");
	/* never a schedule slot's identifier, even at the same minute */
	assert_int_equal(sk_naming_snapshot(slot, "snapkeep", "orders-db", 1714879800), 0);
	assert_int_equal(sk_naming_ondemand(id, "snapkeep", "orders-db", 1714879800), 0);
	assert_string_not_equal(id, slot);
	memset(inst, 'a', 250);
	inst[250] = '\0';
	assert_int_equal(sk_naming_ondemand(id, "snapkeep", inst, 1714879845), 0);
	assert_int_equal(strlen(id), 255);
	assert_string_equal(id + strlen(id) - 25, "-20240505-033045-ondemand");
	assert_true(sk_rds_valid_snapshot_id(id));
	assert_int_equal(sk_naming_ondemand(id, "snapkeep", "", 0), SK_ERROR);
}

static void test_copy_identifiers(void **state)
{
	char id[SK_SNAPSHOT_ID_MAX + 1], src[300], other[300];

	(void)state;
	assert_int_equal(sk_naming_copy(id, "snapkeep-db1-20240505-0330", "us-east-1"), 0);
	assert_string_equal(id, "snapkeep-db1-20240505-0330-us-east-1");
	/* exactly at the limit: kept whole */
	memset(src, 'a', 245);
	src[245] = '\0';
	assert_int_equal(sk_naming_copy(id, src, "us-east-1"), 0);
	assert_int_equal(strlen(id), 255);
	assert_string_equal(id + 245, "-us-east-1");
	/* one more: cut, hashed, still 255 at most, never two hyphens, and two sources differing only past the cut differ */
	memset(src, 'a', 260);
	src[260] = '\0';
	src[236] = '-';
	memcpy(other, src, sizeof(src));
	other[259] = 'b';
	assert_int_equal(sk_naming_copy(id, src, "ap-southeast-2"), 0);
	assert_true(strlen(id) <= 255);
	assert_null(strstr(id, "--"));
	assert_string_equal(id + strlen(id) - 15, "-ap-southeast-2");
	assert_true(sk_rds_valid_snapshot_id(id));
	{
		char id2[SK_SNAPSHOT_ID_MAX + 1];
		assert_int_equal(sk_naming_copy(id2, other, "ap-southeast-2"), 0);
		assert_string_not_equal(id, id2);
	}
}

static void test_drill_instance_identifiers(void **state)
{
	char id[SK_INSTANCE_ID_MAX + 1], id2[SK_INSTANCE_ID_MAX + 1];
	char long1[80], long2[80];

	(void)state;
	assert_int_equal(sk_naming_drill_instance(id, "db1"), 0);
	assert_string_equal(id, "snapkeep-drill-db1");
	assert_int_equal(sk_naming_drill_instance(id, "Orders-DB"), 0);
	assert_string_equal(id, "snapkeep-drill-orders-db");
	/* 48 characters fit exactly: 15 + 48 = 63 */
	memset(long1, 'a', 48);
	long1[48] = '\0';
	assert_int_equal(sk_naming_drill_instance(id, long1), 0);
	assert_int_equal(strlen(id), 63);
	/* longer: cut, hashed, still 63 at most, different for different instances, no "--" */
	memset(long1, 'b', 63);
	long1[63] = '\0';
	memcpy(long2, long1, 64);
	long2[62] = 'c';
	long1[38] = '-';
	assert_int_equal(sk_naming_drill_instance(id, long1), 0);
	assert_int_equal(sk_naming_drill_instance(id2, long2), 0);
	assert_true(strlen(id) <= 63 && strlen(id2) <= 63);
	assert_string_not_equal(id, id2);
	assert_null(strstr(id, "--"));
	assert_int_equal(strncmp(id, "snapkeep-drill-", 15), 0);
	assert_int_equal(sk_naming_drill_instance(id, ""), SK_ERROR);
}

/* a snapshot's ARN from its instance's or cluster's, in its partition; none without a usable ARN */
static void test_snapshot_arns(void **state)
{
	struct sk_inv_instance in = { .id = "db-1", .region = "us-east-1",
				      .arn = "arn:aws:rds:us-east-1:123456789012:db:db-1" };
	char buf[512];

	(void)state;
	assert_string_equal(sk_naming_snapshot_arn(buf, sizeof(buf), &in, "snap-1"),
			    "arn:aws:rds:us-east-1:123456789012:snapshot:snap-1");
	in.is_cluster = true;
	assert_null(sk_naming_snapshot_arn(buf, sizeof(buf), &in, "snap-1")); /* a cluster with an instance's ARN */
	in.arn = "arn:aws-us-gov:rds:us-gov-west-1:123456789012:cluster:ledger";
	assert_string_equal(sk_naming_snapshot_arn(buf, sizeof(buf), &in, "snap-1"),
			    "arn:aws-us-gov:rds:us-gov-west-1:123456789012:cluster-snapshot:snap-1");
	in.arn = NULL;
	assert_null(sk_naming_snapshot_arn(buf, sizeof(buf), &in, "snap-1"));
	in.arn = "not an arn";
	assert_null(sk_naming_snapshot_arn(buf, sizeof(buf), &in, "snap-1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_identifiers),
		cmocka_unit_test(test_ondemand_identifiers),
		cmocka_unit_test(test_copy_identifiers),
		cmocka_unit_test(test_drill_instance_identifiers),
		cmocka_unit_test(test_snapshot_arns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
