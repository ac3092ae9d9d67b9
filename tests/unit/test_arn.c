/*
 * test_arn.c - reading and writing ARNs (RDS db, snapshot, cluster-snapshot,
 * auto-backup, SNS topic, KMS key and alias), what is not an ARN, and the
 * partition of a region
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/arn.h"

static void part_is(struct sk_arn_part p, const char *want)
{
	char got[256];

	assert_int_equal(sk_arn_part_copy(got, sizeof(got), p), 0);
	assert_string_equal(got, want);
	assert_true(sk_arn_part_is(p, want));
}

/* parses s and checks every part; then writing the parts back gives s */
static void parses(const char *s, const char *partition, const char *service, const char *region,
		   const char *account, const char *type, char sep, const char *id)
{
	struct sk_arn a;
	char back[512];

	assert_int_equal(sk_arn_parse(&a, s), 0);
	part_is(a.partition, partition);
	part_is(a.service, service);
	part_is(a.region, region);
	part_is(a.account, account);
	part_is(a.resource_type, type);
	assert_int_equal(a.sep, sep);
	part_is(a.resource_id, id);
	part_is(a.resource, s + strlen(s) - a.resource.len);
	/* the id ends the ARN: a C string as it is */
	assert_string_equal(a.resource_id.ptr, id);
	assert_int_equal(sk_arn_format(back, sizeof(back), &a), 0);
	assert_string_equal(back, s);
}

static void test_rds_forms(void **state)
{
	(void)state;
	parses("arn:aws:rds:us-east-1:123456789012:db:mangu-publishing-db-production", "aws", "rds", "us-east-1",
	       "123456789012", "db", ':', "mangu-publishing-db-production");
	parses("arn:aws:rds:us-west-2:123456789012:snapshot:snapkeep-prod-20261125t0430-1a2b3c", "aws", "rds",
	       "us-west-2", "123456789012", "snapshot", ':', "snapkeep-prod-20261125t0430-1a2b3c");
	/* an automated snapshot's id holds a ':' of its own */
	parses("arn:aws:rds:us-east-1:123456789012:snapshot:rds:prod-db-2026-11-25-03-10", "aws", "rds", "us-east-1",
	       "123456789012", "snapshot", ':', "rds:prod-db-2026-11-25-03-10");
	parses("arn:aws-cn:rds:cn-north-1:123456789012:cluster-snapshot:aurora-1", "aws-cn", "rds", "cn-north-1",
	       "123456789012", "cluster-snapshot", ':', "aurora-1");
	parses("arn:aws:rds:us-west-2:123456789012:auto-backup:ab-7xq2lnz4kfkcbmv2pzyz3mj3sa", "aws", "rds",
	       "us-west-2", "123456789012", "auto-backup", ':', "ab-7xq2lnz4kfkcbmv2pzyz3mj3sa");
}

static void test_sns_and_kms_forms(void **state)
{
	(void)state;
	/* a topic is a bare id: no type */
	parses("arn:aws:sns:us-east-1:123456789012:backup-alerts", "aws", "sns", "us-east-1", "123456789012", "", '\0',
	       "backup-alerts");
	parses("arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts.fifo", "aws-us-gov", "sns", "us-gov-west-1",
	       "123456789012", "", '\0', "alerts.fifo");
	parses("arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "aws", "kms",
	       "us-west-2", "123456789012", "key", '/', "1234abcd-12ab-34cd-56ef-1234567890ab");
	parses("arn:aws:kms:us-west-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab", "aws", "kms",
	       "us-west-2", "123456789012", "key", '/', "mrk-1234abcd12ab34cd56ef1234567890ab");
	/* the type ends at the first '/': an alias name may hold more */
	parses("arn:aws:kms:eu-west-1:123456789012:alias/aws/rds", "aws", "kms", "eu-west-1", "123456789012", "alias",
	       '/', "aws/rds");
	/* region and account may be empty (IAM) */
	parses("arn:aws:iam::123456789012:role/snapkeep", "aws", "iam", "", "123456789012", "role", '/', "snapkeep");
}

static void test_what_is_not_an_arn(void **state)
{
	static const char *const bad[] = {
		"",
		"arn",
		"arn:",
		"ARN:aws:rds:us-east-1:123456789012:db:x",
		"urn:aws:rds:us-east-1:123456789012:db:x",
		"arn:aws:rds:us-east-1:123456789012",  /* no resource */
		"arn:aws:rds:us-east-1:123456789012:", /* an empty resource */
		"arn:aws:rds:us-east-1",               /* two fields short */
		"arn::rds:us-east-1:123456789012:db:x",
		"arn:aws::us-east-1:123456789012:db:x",
		"arn:aws:rds:us-east-1:123456789012::x", /* an empty type */
		"arn:aws:kms:us-east-1:123456789012:/x",
		"alias/dr",
		"1234abcd-12ab-34cd-56ef-1234567890ab",
	};
	struct sk_arn a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0x5a, sizeof(a));
		assert_int_equal(sk_arn_parse(&a, bad[i]), -1);
		assert_null(a.partition.ptr);
		assert_int_equal(a.resource.len, 0);
	}
	assert_int_equal(sk_arn_parse(&a, NULL), -1);
	/* a field short still parses when the resource can stand for the account: the shape is all that is checked */
	assert_int_equal(sk_arn_parse(&a, "arn:aws:rds:us-east-1:snapshot:x"), 0);
	part_is(a.account, "snapshot");
	part_is(a.resource_id, "x");
	/* a typed resource with an empty id is still an ARN (a prefix the inventory keeps) */
	assert_int_equal(sk_arn_parse(&a, "arn:aws:rds:us-east-1:123456789012:snapshot:"), 0);
	part_is(a.resource_type, "snapshot");
	assert_int_equal(a.resource_id.len, 0);
}

static void test_parts_compare_and_copy(void **state)
{
	struct sk_arn a;
	char small[4] = "xyz";

	(void)state;
	assert_int_equal(sk_arn_parse(&a, "arn:aws:rds:ap-southeast-2:123456789012:db:x"), 0);
	assert_true(sk_arn_part_is(a.service, "rds"));
	assert_false(sk_arn_part_is(a.service, "rd"));
	assert_false(sk_arn_part_is(a.service, "rdsx"));
	assert_false(sk_arn_part_is(a.service, NULL));
	assert_true(sk_arn_part_is(sk_arn_str(""), ""));
	assert_int_equal(sk_arn_part_copy(small, sizeof(small), a.region), -1);
	assert_string_equal(small, "");
	assert_int_equal(sk_arn_part_copy(small, sizeof(small), a.service), 0);
	assert_string_equal(small, "rds");
	assert_int_equal(sk_arn_part_copy(small, 0, a.service), -1);
}

static void test_format_builds_and_refuses(void **state)
{
	struct sk_arn a = {
		.partition = sk_arn_str("aws"),
		.service = sk_arn_str("rds"),
		.region = sk_arn_str("eu-central-1"),
		.account = sk_arn_str("123456789012"),
		.resource_type = sk_arn_str("snapshot"),
		.sep = ':',
		.resource_id = sk_arn_str("snapkeep-x"),
	};
	char out[128], tiny[20];
	struct sk_arn bad;

	(void)state;
	assert_int_equal(sk_arn_format(out, sizeof(out), &a), 0);
	assert_string_equal(out, "arn:aws:rds:eu-central-1:123456789012:snapshot:snapkeep-x");
	/* exactly full, then one short */
	assert_int_equal(sk_arn_format(out, strlen("arn:aws:rds:eu-central-1:123456789012:snapshot:snapkeep-x") + 1, &a),
			 0);
	assert_int_equal(sk_arn_format(out, strlen("arn:aws:rds:eu-central-1:123456789012:snapshot:snapkeep-x"), &a), -1);
	assert_string_equal(out, "");
	assert_int_equal(sk_arn_format(tiny, sizeof(tiny), &a), -1);
	assert_string_equal(tiny, "");
	assert_int_equal(sk_arn_format(tiny, 0, &a), -1);
	/* an untyped id: an SNS topic */
	bad = a;
	bad.service = sk_arn_str("sns");
	bad.resource_type = sk_arn_str(NULL);
	bad.sep = '\0';
	bad.resource_id = sk_arn_str("alerts");
	assert_int_equal(sk_arn_format(out, sizeof(out), &bad), 0);
	assert_string_equal(out, "arn:aws:sns:eu-central-1:123456789012:alerts");
	/* what would not read back the same */
	bad.resource_id = sk_arn_str("a:b");
	assert_int_equal(sk_arn_format(out, sizeof(out), &bad), -1);
	bad = a;
	bad.region = sk_arn_str("us:east");
	assert_int_equal(sk_arn_format(out, sizeof(out), &bad), -1);
	bad = a;
	bad.partition = sk_arn_str("");
	assert_int_equal(sk_arn_format(out, sizeof(out), &bad), -1);
	bad = a;
	bad.sep = '|';
	assert_int_equal(sk_arn_format(out, sizeof(out), &bad), -1);
	bad = a;
	bad.resource_type = sk_arn_str("key/x");
	assert_int_equal(sk_arn_format(out, sizeof(out), &bad), -1);
	bad = a;
	bad.resource_type = sk_arn_str("");
	assert_int_equal(sk_arn_format(out, sizeof(out), &bad), -1);
	bad = a;
	bad.sep = '\0';
	assert_int_equal(sk_arn_format(out, sizeof(out), &bad), -1);
}

static void test_partition_of_a_region(void **state)
{
	(void)state;
	assert_string_equal(sk_arn_partition("us-east-1"), "aws");
	assert_string_equal(sk_arn_partition("eu-central-1"), "aws");
	assert_string_equal(sk_arn_partition("cn-north-1"), "aws-cn");
	assert_string_equal(sk_arn_partition("cn-northwest-1"), "aws-cn");
	assert_string_equal(sk_arn_partition("us-gov-west-1"), "aws-us-gov");
	assert_string_equal(sk_arn_partition("us-iso-east-1"), "aws-iso");
	assert_string_equal(sk_arn_partition("us-isob-east-1"), "aws-iso-b");
	assert_string_equal(sk_arn_partition("eu-isoe-west-1"), "aws-iso-e");
	assert_string_equal(sk_arn_partition("us-isof-south-1"), "aws-iso-f");
	assert_string_equal(sk_arn_partition("eusc-de-east-1"), "aws-eusc");
	/* a prefix needs its dash: "cnx-1" is not China */
	assert_string_equal(sk_arn_partition("cnx-north-1"), "aws");
	assert_string_equal(sk_arn_partition(""), "aws");
	assert_string_equal(sk_arn_partition(NULL), "aws");
	assert_string_equal(sk_arn_dns_suffix("us-east-1"), "amazonaws.com");
	assert_string_equal(sk_arn_dns_suffix("cn-north-1"), "amazonaws.com.cn");
	assert_string_equal(sk_arn_dns_suffix("us-gov-east-1"), "amazonaws.com");
	assert_string_equal(sk_arn_dns_suffix("us-iso-east-1"), "c2s.ic.gov");
	assert_string_equal(sk_arn_dns_suffix("us-isob-east-1"), "sc2s.sgov.gov");
	assert_string_equal(sk_arn_dns_suffix(NULL), "amazonaws.com");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rds_forms),
		cmocka_unit_test(test_sns_and_kms_forms),
		cmocka_unit_test(test_what_is_not_an_arn),
		cmocka_unit_test(test_parts_compare_and_copy),
		cmocka_unit_test(test_format_builds_and_refuses),
		cmocka_unit_test(test_partition_of_a_region),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
