/*
 * test_policy_set.c - policy sets: errors across files sorted and summed up,
 * checks across documents (names, conflicting settings, colliding prefixes),
 * the Settings document, the source's details, selection, JSON and diagnostics
 *
 * One document and its errors: test_policy.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/error.h"
#include "specs/policy.h"
#include "specs/policy_json.h"
#include "specs/source.h"
#include "tests/unit/policy_fixture.h"

/* ---- many files: errors sorted, checks across documents ---- */

/* a.yaml and b.yaml, loaded as one set, make exactly the diagnostics want ("": none, and the set is valid) */
static void expect_two(const char *a, const char *b, const char *want)
{
	const char *names[] = { "a.yaml", "b.yaml" };
	const char *texts[] = { a, b };
	struct sk_policyset *set = load_files(names, texts, 2, want[0] ? SK_ERROR : 0);
	char *got = diags(set);

	assert_string_equal(got, want);
	free(got);
	sk_policyset_free(set);
}

static void test_all_errors_are_collected_sorted_and_summarised(void **state)
{
	struct sk_policyset *set;

	(void)state;
	set = parse("p.yaml",
		    HEAD("p") "  snapshots: {schedule: \"@daily\", minAvailable: 0}\n"
			      "  automated: {retentionDays: 99, window: x}\n",
		    SK_ERROR);
	assert_int_equal(set->n_diags, 3);
	assert_int_equal(set->diags[0].pos.line, 7);
	assert_int_equal(set->diags[1].pos.line, 8);
	assert_true(set->diags[1].pos.col < set->diags[2].pos.col);
	assert_int_equal(sk_error_last()->klass, SK_ERR_POLICY);
	assert_string_equal(sk_error_message(),
			    "3 errors in policies: p.yaml:7:49: policy 'p': minAvailable must be 1..1000, got 0");
	sk_policyset_free(set);
}

static void test_policy_names_are_unique_in_a_set(void **state)
{
	(void)state;
	expect_two(HEAD("prod"), "# the same name\n" HEAD("prod"),
		   "b.yaml:4:18: policy 'prod' is defined twice (first at a.yaml:3:18)\n");
}

static void test_conflicting_automated_settings_name_both_policies(void **state)
{
	const char *names[] = { "a.yaml", "b.yaml" };
	const char *texts[] = {
		HEAD("a") "  automated: {retentionDays: 30, window: \"03:00-04:00\", copyTagsToSnapshot: true}\n",
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: b}\nspec:\n"
		"  regions: [eu-west-1, us-east-1]\n  selector: {instances: [db2, db1]}\n"
		"  automated:\n    retentionDays: 7\n    window: \"03:00-04:00\"\n    replicate: false\n",
	};
	struct sk_policyset *set = load_files(names, texts, 2, SK_ERROR);
	char *got = diags(set);
	struct sk_buf why = SK_BUF_INIT;

	(void)state;
	assert_string_equal(got, "b.yaml:8:20: policies 'a' and 'b' both select instance 'db1' in 'us-east-1' and disagree: "
				 "retentionDays: 30 in 'a' (a.yaml:7:30) vs 7 in 'b' (b.yaml:8:20)\n");
	assert_true(sk_policy_conflicts(&set->policies[0], &set->policies[1], &why));
	assert_string_equal(why.ptr, "retentionDays: 30 in 'a' (a.yaml:7:30) vs 7 in 'b' (b.yaml:8:20)");
	free(got);
	sk_buf_free(&why);
	sk_policyset_free(set);
}

static void test_agreeing_or_disjoint_policies_do_not_conflict(void **state)
{
	const char *names[] = { "a.yaml", "b.yaml", "c.yaml", "d.yaml" };
	const char *texts[] = {
		HEAD("a") "  automated: {retentionDays: 30}\n",
		/* the same value, and a setting a leaves alone */
		HEAD("b") "  automated: {retentionDays: 30, deletionProtection: true}\n",
		/* the same instance name in another region is another instance */
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: c}\nspec:\n  regions: [eu-west-1]\n"
		"  selector: {instances: [db1]}\n  automated: {retentionDays: 1}\n",
		/* tag selectors are the reconciler's to resolve */
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: d}\nspec:\n  regions: [us-east-1]\n"
		"  selector: {tags: {Environment: production}}\n  automated: {retentionDays: 1}\n",
	};
	struct sk_policyset *set = load_files(names, texts, 4, 0);
	struct sk_buf why = SK_BUF_INIT;

	(void)state;
	assert_int_equal(set->n_policies, 4);
	/* what the reconciler asks once tags are resolved */
	assert_true(sk_policy_conflicts(&set->policies[0], &set->policies[3], &why));
	assert_false(sk_policy_conflicts(&set->policies[0], &set->policies[1], NULL));
	sk_buf_free(&why);
	sk_policyset_free(set);
}

static void test_replication_conflicts_are_found(void **state)
{
	(void)state;
	expect_two(HEAD("a") "  automated: {replicate: {region: us-west-2}}\n",
		   HEAD("b") "  automated: {replicate: {region: us-west-2, retentionDays: 14}}\n",
		   "b.yaml:7:26: policies 'a' and 'b' both select instance 'db1' in 'us-east-1' and disagree: "
		   "replicate: to us-west-2 (retentionDays 7, kmsKeyId default) in 'a' (a.yaml:7:26) vs "
		   "to us-west-2 (retentionDays 14, kmsKeyId default) in 'b' (b.yaml:7:26)\n");
}

static void test_same_prefix_on_one_instance_is_an_error(void **state)
{
	(void)state;
	expect_two(HEAD("a") "  snapshots: {schedule: \"@daily\"}\n", HEAD("b") "  snapshots: {schedule: \"@hourly\"}\n",
		   "b.yaml:7:3: policies 'a' and 'b' both take snapshots of instance 'db1' with prefix 'snapkeep' "
		   "(a.yaml:7:3); their identifiers would collide: give one of them another prefix\n");
	expect_two(HEAD("a") "  snapshots: {schedule: \"@daily\"}\n",
		   HEAD("b") "  snapshots: {schedule: \"@hourly\", prefix: hourly}\n", "");
}

/* ---- Settings ---- */

/* a valid policy, then a Settings document up to its spec */
#define SETTINGS(name) HEAD("p") "---\napiVersion: snapkeep/v1\nkind: Settings\nmetadata: {name: " name "}\n"

static void test_settings_document(void **state)
{
	struct sk_policyset *set = parse("s.yaml",
					 SETTINGS("settings") "spec:\n  snapshotQuota: {default: 150, us-east-1: 200}\n"
							      "  pricePerGBMonth: 0.021\n  concurrency: 8\n  copiesInFlight: 3\n",
					 0);
	const struct sk_settings *s = &set->settings;

	(void)state;
	assert_true(s->present);
	assert_int_equal(s->pos.line, 8);
	assert_int_equal(s->snapshot_quota, 150);
	assert_int_equal(sk_settings_quota(s, "us-east-1"), 200);
	assert_int_equal(sk_settings_quota(s, "eu-west-1"), 150);
	assert_int_equal(sk_settings_quota(NULL, "eu-west-1"), 100);
	assert_true(s->price_per_gb_month > 0.0209 && s->price_per_gb_month < 0.0211);
	assert_int_equal(s->concurrency, 8);
	assert_int_equal(s->copies_in_flight, 3);
	sk_policyset_free(set);

	set = parse("s.yaml", SETTINGS("s") "spec: {snapshotQuota: 300}\n", 0);
	assert_int_equal(sk_settings_quota(&set->settings, "us-east-1"), 300);
	/* the defaults: AWS's published us-east-1 storage price, and inter-region transfer */
	assert_true(sk_settings_price(&set->settings, "eu-west-1") == SK_DEFAULT_PRICE_PER_GB_MONTH);
	assert_true(set->settings.transfer_price_per_gb == SK_DEFAULT_TRANSFER_PRICE_PER_GB);
	sk_policyset_free(set);

	/* prices per region, with a default; the transfer price */
	set = parse("s.yaml", SETTINGS("s") "spec: {pricePerGBMonth: {default: 0.1, eu-west-1: 0.125}, "
					   "transferPricePerGB: 0.09}\n", 0);
	assert_true(sk_settings_price(&set->settings, "eu-west-1") == 0.125);
	assert_true(sk_settings_price(&set->settings, "us-east-1") == 0.1);
	assert_true(set->settings.transfer_price_per_gb == 0.09);
	assert_true(sk_settings_price(NULL, "us-east-1") == SK_DEFAULT_PRICE_PER_GB_MONTH);
	sk_policyset_free(set);
}

static void test_settings_errors(void **state)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ SETTINGS("s") "spec: {snapshotQuota: {default: 0, moon-base-1: 5, nowhere: 3}, pricePerGBMonth: cheap, "
				"concurrency: 65, retries: 3}\n",
		  "p.yaml:11:33: settings 's': snapshotQuota.default must be 1..100000, got 0\n"
		  "p.yaml:11:36: settings 's': snapshotQuota key 'moon-base-1' must be 'default' or an AWS region name such as us-east-1\n"
		  "p.yaml:11:52: settings 's': snapshotQuota key 'nowhere' must be 'default' or an AWS region name such as us-east-1\n"
		  "p.yaml:11:82: settings 's': pricePerGBMonth must be a number, got string 'cheap'\n"
		  "p.yaml:11:102: settings 's': concurrency must be 1..64, got 65\n"
		  "p.yaml:11:106: settings 's': unknown key 'retries' in 'spec' (expected one of: snapshotQuota, "
		  "pricePerGBMonth, transferPricePerGB, concurrency, copiesInFlight, alerts, accounts, parallel)\n" },
		{ SETTINGS("s") "spec: {pricePerGBMonth: {mars-1: 0.1, us-east-1: -1}, transferPricePerGB: free}\n",
		  "p.yaml:11:26: settings 's': pricePerGBMonth key 'mars-1' must be 'default' or an AWS region name such as "
		  "us-east-1\n"
		  "p.yaml:11:50: settings 's': pricePerGBMonth.us-east-1 must be 0..1000 (USD per GB-month), got -1\n"
		  "p.yaml:11:75: settings 's': transferPricePerGB must be a number, got string 'free'\n" },
		{ SETTINGS("s") "---\napiVersion: snapkeep/v1\nkind: Settings\nmetadata: {name: t}\n",
		  "p.yaml:12:1: settings 't': a second Settings document (the first is at p.yaml:8:1); at most one is allowed\n" },
		{ SETTINGS("s") "spec: {pricePerGBMonth: .inf}\n",
		  "p.yaml:11:25: settings 's': pricePerGBMonth must be 0..1000 (USD per GB-month), got .inf\n" },
		/* AWS allows 20 copies in progress per destination region: more is not a setting */
		{ SETTINGS("s") "spec: {copiesInFlight: 21}\n", "p.yaml:11:24: settings 's': copiesInFlight must be 1..20, got 21\n" },
		{ SETTINGS("s") "spec: {copiesInFlight: 0}\n", "p.yaml:11:24: settings 's': copiesInFlight must be 1..20, got 0\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect(cases[i].yaml, cases[i].want);
}

/* ---- several accounts: Settings' accounts, a policy's spec.accounts ---- */

#define ACCOUNTS_SETTINGS(extra)                                                                            \
	"---\napiVersion: snapkeep/v1\nkind: Settings\nmetadata: {name: s}\nspec:\n  parallel: 3\n  accounts:\n" \
	"    - {id: \"111111111111\", roleArn: \"arn:aws:iam::111111111111:role/snapkeep\", externalId: \"ext-1\"}\n" \
	"    - {id: \"222222222222\", roleArn: \"arn:aws:iam::222222222222:role/ops/snapkeep\"}\n" extra

static void test_settings_accounts_and_policies_that_select_them(void **state)
{
	struct sk_policyset *set =
		parse("p.yaml",
		      HEAD("all") "---\n" HEAD("one") "  accounts: [\"222222222222\"]\n"
				  "  automated: {retentionDays: 3}\n---\n" HEAD("other") "  accounts: [\"111111111111\"]\n"
				  "  automated: {retentionDays: 5}\n" ACCOUNTS_SETTINGS(""),
		      0);
	const struct sk_settings *s = &set->settings;
	const struct sk_settings_account *a;

	(void)state;
	assert_int_equal(s->n_accounts, 2);
	assert_int_equal(s->parallel, 3);
	assert_non_null(a = sk_settings_account(s, "111111111111"));
	assert_string_equal(a->role_arn, "arn:aws:iam::111111111111:role/snapkeep");
	assert_string_equal(a->external_id, "ext-1");
	assert_int_equal(a->pos.line, 32);
	assert_non_null(a = sk_settings_account(s, "222222222222"));
	assert_null(a->external_id);
	assert_null(sk_settings_account(s, "333333333333"));
	/* no spec.accounts: every account; otherwise the ones listed */
	assert_true(sk_policy_in_account(&set->policies[0], "111111111111"));
	assert_true(sk_policy_in_account(&set->policies[0], "222222222222"));
	assert_false(sk_policy_in_account(&set->policies[1], "111111111111"));
	assert_true(sk_policy_in_account(&set->policies[1], "222222222222"));
	assert_int_equal(set->policies[1].accounts[0].pos.line, 14);
	/* 'one' and 'other' name db1 with other retentions, in different accounts: no conflict */
	assert_true(sk_policy_in_account(&set->policies[2], "111111111111"));
	sk_policyset_free(set);

	/* without Settings' accounts: the caller's own account, one plan as before */
	set = parse("p.yaml", HEAD("p"), 0);
	assert_int_equal(set->settings.n_accounts, 0);
	assert_int_equal(set->settings.parallel, SK_DEFAULT_PARALLEL);
	assert_true(sk_policy_in_account(&set->policies[0], NULL));
	sk_policyset_free(set);
}

static void test_account_errors_name_their_place(void **state)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		/* a policy names an account Settings does not list */
		{ HEAD("p") "  accounts: [\"111111111111\", \"444444444444\"]\n" ACCOUNTS_SETTINGS(""),
		  "p.yaml:7:30: policy 'p': account 444444444444 is not one of Settings' accounts (111111111111, "
		  "222222222222)\n" },
		{ HEAD("p") "  accounts: [\"111111111111\"]\n",
		  "p.yaml:7:14: policy 'p': account 111111111111 is not one of Settings' accounts (Settings lists none: "
		  "add it to a Settings document's spec.accounts with its roleArn)\n" },
		{ HEAD("p") "  accounts: [111111111111, \"12345\", \"111111111111\"]\n" ACCOUNTS_SETTINGS(""),
		  "p.yaml:7:14: policy 'p': accounts[0] 111111111111 must be quoted: an account id is a string of 12 "
		  "digits, not a number\n"
		  "p.yaml:7:28: policy 'p': accounts[1] '12345' must be an AWS account id: 12 digits, quoted "
		  "(\"111111111111\")\n" },
		{ HEAD("p") "  accounts: [\"111111111111\", \"111111111111\"]\n" ACCOUNTS_SETTINGS(""),
		  "p.yaml:7:30: policy 'p': accounts[1] '111111111111' is listed twice (first at p.yaml:7:14)\n" },
		{ HEAD("p") "  accounts: []\n" ACCOUNTS_SETTINGS(""),
		  "p.yaml:7:13: policy 'p': accounts must not be empty (leave it out to cover every account Settings "
		  "lists)\n" },
		/* Settings: the role in another account, a bad external id, a duplicate, missing keys */
		{ HEAD("p") ACCOUNTS_SETTINGS(
			  "    - {id: \"333333333333\", roleArn: \"arn:aws:iam::444444444444:role/x\"}\n"
			  "    - {id: \"555555555555\", roleArn: \"arn:aws:iam::555555555555:role/x\", externalId: \"a b\"}\n"
			  "    - {id: \"111111111111\", roleArn: \"arn:aws:iam::111111111111:role/y\"}\n"
			  "    - {roleArn: \"arn:aws:iam::666666666666:role/x\", region: x}\n"),
		  "p.yaml:16:37: settings 's': accounts[2].roleArn 'arn:aws:iam::444444444444:role/x' is a role in "
		  "account 444444444444, not in account 333333333333\n"
		  "p.yaml:17:85: settings 's': accounts[3].externalId 'a b' must be 2..1224 letters, digits or "
		  "+=,.@:/_-\n"
		  "p.yaml:18:7: settings 's': accounts[4]: account 111111111111 is listed twice (first at p.yaml:14:7)\n"
		  "p.yaml:19:7: settings 's': accounts[5] needs an 'id' (the account's 12 digits)\n"
		  "p.yaml:19:53: settings 's': unknown key 'region' in 'accounts[5]' (expected one of: id, roleArn, externalId)\n" },
		{ HEAD("p") "---\napiVersion: snapkeep/v1\nkind: Settings\nmetadata: {name: s}\n"
			    "spec: {accounts: [{id: \"111111111111\"}], parallel: 0}\n",
		  "p.yaml:11:19: settings 's': accounts[0] needs a 'roleArn' (the role snapkeep assumes in it)\n"
		  "p.yaml:11:52: settings 's': parallel must be 1..64, got 0\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect(cases[i].yaml, cases[i].want);
}

/* ---- the set and what reads it ---- */

static void test_a_set_without_policies_is_an_error(void **state)
{
	struct sk_source *src;
	struct sk_policyset *set;

	(void)state;
	expect("apiVersion: snapkeep/v1\nkind: Settings\nmetadata: {name: s}\n",
	       "no BackupPolicy document found in 1 file\n");
	assert_int_equal(sk_source_from_files(&src, NULL, 0), 0);
	assert_int_equal(sk_policyset_load(&set, src), SK_ERROR);
	assert_string_equal(sk_error_message(), "1 error in policies: no policy files (*.yaml, *.yml) found");
	sk_policyset_free(set);
	sk_source_free(src);
}

static void test_source_details_are_copied_into_the_set(void **state)
{
	struct sk_source_file f = { (char *)"x/p.yaml", (char *)HEAD("p"), sizeof(HEAD("p")) - 1 };
	struct sk_source *src;
	struct sk_policyset *set;

	(void)state;
	assert_int_equal(sk_source_from_files(&src, &f, 1), 0);
	memcpy(src->commit, "0123456789abcdef0123456789abcdef01234567", 41);
	src->subject = strdup("policies: prod keeps 30 days");
	src->ref = strdup("main");
	assert_int_equal(sk_policyset_load(&set, src), 0);
	sk_source_free(src);
	assert_string_equal(set->commit, "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(set->subject, "policies: prod keeps 30 days");
	assert_string_equal(set->ref, "main");
	assert_int_equal(set->n_files, 1);
	assert_string_equal(set->files[0], "x/p.yaml");
	assert_ptr_equal(set->policies[0].pos.file, set->files[0]);
	sk_policyset_free(set);
	sk_policyset_free(NULL);
}

static void test_selects_by_instance_or_every_tag(void **state)
{
	const char *names[] = { "a.yaml" };
	const char *texts[] = { HEAD("a") "---\napiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: t}\n"
				"spec:\n  regions: [us-east-1]\n  selector: {tags: {Environment: production, Team: sre}}\n" };
	struct sk_policyset *set = load_files(names, texts, 1, 0);
	const char *k[] = { "Team", "Environment" }, *v[] = { "sre", "production" }, *v2[] = { "sre", "staging" };

	(void)state;
	assert_true(sk_policy_selects(&set->policies[0], "us-east-1", "db1", NULL, NULL, 0));
	assert_false(sk_policy_selects(&set->policies[0], "us-west-2", "db1", NULL, NULL, 0));
	assert_false(sk_policy_selects(&set->policies[0], "us-east-1", "db2", NULL, NULL, 0));
	assert_true(sk_policy_selects(&set->policies[1], "us-east-1", "anything", k, v, 2));
	assert_false(sk_policy_selects(&set->policies[1], "us-east-1", "anything", k, v2, 2));
	assert_false(sk_policy_selects(&set->policies[1], "us-east-1", "anything", k, v, 1));
	assert_true(sk_policy_has_region(&set->policies[1], "us-east-1"));
	sk_policyset_free(set);
}

static void test_json_shows_defaults_and_diagnostics(void **state)
{
	struct sk_policyset *set = parse("p.yaml", HEAD("p") "  snapshots: {schedule: \"@daily\"}\n", 0);
	struct sk_buf b = SK_BUF_INIT;

	(void)state;
	assert_int_equal(sk_policyset_format_json(&b, set, 0), 0);
	assert_non_null(strstr(b.ptr, "\"prefix\":\"snapkeep\""));
	assert_non_null(strstr(b.ptr, "\"maxDeletionsPerRun\":50"));
	assert_non_null(strstr(b.ptr, "\"automated\":null"));
	assert_non_null(strstr(b.ptr, "\"valid\":true"));
	sk_buf_free(&b);
	sk_policyset_free(set);
	set = parse("p.yaml", HEAD("p") "  automated: {retentionDays: 40}\n", SK_ERROR);
	assert_int_equal(sk_policyset_format_json(&b, set, SK_POLICY_JSON_PRETTY), 0);
	assert_non_null(strstr(b.ptr, "\"text\": \"p.yaml:7:30: policy 'p': retentionDays must be 0..35, got 40\""));
	assert_non_null(strstr(b.ptr, "\"valid\": false"));
	sk_buf_free(&b);
	sk_policyset_free(set);
}

static void test_diag_format_without_a_position(void **state)
{
	struct sk_policy_diag a = { { NULL, 0, 0 }, (char *)"no BackupPolicy document found in 1 file" };
	struct sk_policy_diag b = { { "x.yaml", 0, 0 }, (char *)"unreadable" };
	struct sk_buf out = SK_BUF_INIT;

	(void)state;
	sk_policy_diag_format(&out, &a);
	assert_string_equal(out.ptr, "no BackupPolicy document found in 1 file");
	sk_buf_reset(&out);
	sk_policy_diag_format(&out, &b);
	assert_string_equal(out.ptr, "x.yaml: unreadable");
	sk_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_errors_are_collected_sorted_and_summarised),
		cmocka_unit_test(test_policy_names_are_unique_in_a_set),
		cmocka_unit_test(test_conflicting_automated_settings_name_both_policies),
		cmocka_unit_test(test_agreeing_or_disjoint_policies_do_not_conflict),
		cmocka_unit_test(test_replication_conflicts_are_found),
		cmocka_unit_test(test_same_prefix_on_one_instance_is_an_error),
		cmocka_unit_test(test_settings_document),
		cmocka_unit_test(test_settings_accounts_and_policies_that_select_them),
		cmocka_unit_test(test_account_errors_name_their_place),
		cmocka_unit_test(test_settings_errors),
		cmocka_unit_test(test_a_set_without_policies_is_an_error),
		cmocka_unit_test(test_source_details_are_copied_into_the_set),
		cmocka_unit_test(test_selects_by_instance_or_every_tag),
		cmocka_unit_test(test_json_shows_defaults_and_diagnostics),
		cmocka_unit_test(test_diag_format_without_a_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
