/*
 * test_policy.c - one policy document to structs, and every kind of error with its file:line:col
 *
 * Sets of files and documents, checks across them and Settings: test_policy_set.c.
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
#include "common/timeutil.h"
#include "specs/policy.h"
#include "specs/source.h"
#include "tests/unit/policy_fixture.h"

static const char full[] =
	"apiVersion: snapkeep/v1\n"
	"kind: BackupPolicy\n"
	"metadata: {name: mangu-production}\n"
	"spec:\n"
	"  regions: [us-east-1, eu-west-1]\n"
	"  selector: {instances: [mangu-publishing-db-production]}\n"
	"  automated:\n"
	"    retentionDays: 30\n"
	"    window: \"03:00-04:00\"\n"
	"    copyTagsToSnapshot: true\n"
	"    deletionProtection: false\n"
	"    applyImmediately: true\n"
	"    replicate: {region: us-west-2, retentionDays: 7, kmsKeyId: alias/dr}\n"
	"  snapshots:\n"
	"    schedule: \"30 3 * * *\"\n"
	"    prefix: nightly\n"
	"    tags: {Team: sre, Cost-Center: \"42\"}\n"
	"    retain: {last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: -1, within: 1y2m}\n"
	"    minAvailable: 2\n"
	"    maxDeletionsPerRun: 10\n"
	"    copies:\n"
	"      - region: us-west-2\n"
	"        kmsKeyId: alias/dr\n"
	"        retain: {daily: 30}\n"
	"      - region: ap-southeast-2\n"
	"  alerts: {snsTopicArn: \"arn:aws:sns:us-east-1:123456789012:backup-alerts\"}\n";

/* ---- what a valid policy becomes ---- */

static void test_valid_policy_fills_every_field(void **state)
{
	struct sk_policyset *set = parse("prod.yaml", full, 0);
	const struct sk_policy *p;

	(void)state;
	assert_int_equal(set->n_policies, 1);
	assert_int_equal(set->n_diags, 0);
	p = &set->policies[0];
	assert_string_equal(p->name, "mangu-production");
	assert_int_equal(p->name_pos.line, 3);
	assert_int_equal(p->name_pos.col, 18);
	assert_string_equal(p->pos.file, "prod.yaml");
	assert_int_equal(p->n_regions, 2);
	assert_string_equal(p->regions[1].name, "eu-west-1");
	assert_int_equal(p->n_instances, 1);
	assert_string_equal(p->instances[0].name, "mangu-publishing-db-production");
	assert_int_equal(p->n_selector_tags, 0);
	assert_true(p->has_automated);
	assert_int_equal(p->retention_days, 30);
	assert_int_equal(p->retention_pos.line, 8);
	assert_int_equal(p->retention_pos.col, 20);
	assert_string_equal(p->window, "03:00-04:00");
	assert_int_equal(p->copy_tags, 1);
	assert_int_equal(p->deletion_protection, 0);
	assert_true(p->apply_immediately);
	assert_int_equal(p->replicate_mode, SK_REPLICATE_ON);
	assert_string_equal(p->replicate.region, "us-west-2");
	assert_int_equal(p->replicate.retention_days, 7);
	assert_string_equal(p->replicate.kms_key_id, "alias/dr");
	assert_true(p->has_snapshots);
	assert_string_equal(p->schedule_text, "30 3 * * *");
	assert_true(p->schedule.valid);
	assert_string_equal(p->prefix, "nightly");
	assert_int_equal(p->n_tags, 2);
	assert_string_equal(p->tags[1].key, "Cost-Center");
	assert_string_equal(p->tags[1].value, "42");
	assert_true(p->has_retain);
	assert_int_equal(p->retain.last, 3);
	assert_int_equal(p->retain.hourly, 24);
	assert_int_equal(p->retain.daily, 7);
	assert_int_equal(p->retain.weekly, 4);
	assert_int_equal(p->retain.monthly, 12);
	assert_int_equal(p->retain.yearly, SK_RETAIN_UNLIMITED);
	assert_true(p->retain.has_within);
	assert_int_equal(p->retain.within.years, 1);
	assert_int_equal(p->retain.within.months, 2);
	assert_int_equal(p->min_available, 2);
	assert_int_equal(p->max_deletions_per_run, 10);
	assert_int_equal(p->n_copies, 2);
	assert_string_equal(p->copies[0].region, "us-west-2");
	assert_string_equal(p->copies[0].kms_key_id, "alias/dr");
	assert_true(p->copies[0].has_retain);
	assert_int_equal(p->copies[0].retain.daily, 30);
	assert_string_equal(p->copies[1].region, "ap-southeast-2");
	assert_null(p->copies[1].kms_key_id);
	assert_false(p->copies[1].has_retain);
	assert_string_equal(p->sns_topic_arn, "arn:aws:sns:us-east-1:123456789012:backup-alerts");
	assert_false(set->settings.present);
	assert_int_equal(set->settings.snapshot_quota, 100);
	assert_int_equal(set->settings.concurrency, 4);
	assert_int_equal(set->settings.copies_in_flight, 20);
	assert_int_equal(sk_settings_quota(&set->settings, "us-east-1"), 100);
	sk_policyset_free(set);
}

static void test_unset_settings_are_left_alone_and_defaults_apply(void **state)
{
	struct sk_policyset *set = parse("p.yaml", HEAD("p") "  snapshots: {schedule: \"@daily\"}\n", 0);
	const struct sk_policy *p = &set->policies[0];

	(void)state;
	assert_false(p->has_automated);
	assert_int_equal(p->retention_days, -1);
	assert_null(p->window);
	assert_int_equal(p->copy_tags, -1);
	assert_int_equal(p->deletion_protection, -1);
	assert_false(p->apply_immediately);
	assert_int_equal(p->replicate_mode, SK_REPLICATE_UNSET);
	assert_true(p->has_snapshots);
	assert_string_equal(p->prefix, "snapkeep");
	assert_false(p->has_retain);
	assert_int_equal(p->min_available, 1);
	assert_int_equal(p->max_deletions_per_run, 50);
	assert_int_equal(p->n_copies, 0);
	assert_null(p->sns_topic_arn);
	sk_policyset_free(set);
}

static void test_empty_snapshots_means_not_managed_yet(void **state)
{
	struct sk_policyset *set = parse("p.yaml", HEAD("p") "  snapshots: {}\n  automated: {}\n", 0);

	(void)state;
	assert_false(set->policies[0].has_snapshots);
	assert_false(set->policies[0].has_automated);
	sk_policyset_free(set);
	expect(HEAD("p") "  snapshots: {prefix: x}\n",
	       "p.yaml:7:3: policy 'p': missing 'schedule' in 'snapshots' (a cron schedule such as \"30 3 * * *\" or @daily)\n");
}

static void test_replicate_false_or_null_stops_replication(void **state)
{
	struct sk_policyset *set = parse("p.yaml", HEAD("p") "  automated: {replicate: false}\n", 0);

	(void)state;
	assert_int_equal(set->policies[0].replicate_mode, SK_REPLICATE_OFF);
	assert_true(set->policies[0].has_automated);
	sk_policyset_free(set);
	set = parse("p.yaml", HEAD("p") "  automated: {replicate: null}\n", 0);
	assert_int_equal(set->policies[0].replicate_mode, SK_REPLICATE_OFF);
	sk_policyset_free(set);
	expect(HEAD("p") "  automated: {replicate: true}\n",
	       "p.yaml:7:26: policy 'p': replicate must be a mapping with a region, or false to stop replicating, got boolean true\n");
}

static void test_window_may_wrap_midnight(void **state)
{
	struct sk_policyset *set = parse("p.yaml", HEAD("p") "  automated: {window: \"23:45-00:15\"}\n", 0);
	int s, e;

	(void)state;
	assert_string_equal(set->policies[0].window, "23:45-00:15");
	sk_policyset_free(set);
	assert_int_equal(sk_window_parse("23:45-00:15", &s, &e), 0);
	assert_int_equal(s, 23 * 60 + 45);
	assert_int_equal(e, 15);
	assert_int_equal(sk_window_parse("00:00-23:59", &s, &e), 0);
	assert_int_equal(sk_window_parse("23:50-00:10", &s, &e), SK_ERROR);
	assert_string_equal(sk_error_message(), "window '23:50-00:10' must be at least 30 minutes");
	assert_int_equal(sk_window_parse("10:00-10:00", &s, &e), SK_ERROR);
	assert_int_equal(sk_window_parse("24:00-01:00", &s, &e), SK_ERROR);
	assert_int_equal(sk_window_parse("03:00-04:00 ", &s, &e), SK_ERROR);
}

/* ---- errors, one kind at a time ---- */

static void test_unknown_key_suggests_nearest(void **state)
{
	(void)state;
	expect(HEAD("p") "  automated:\n    retentonDays: 30\n",
	       "p.yaml:8:5: policy 'p': unknown key 'retentonDays' in 'automated' (did you mean 'retentionDays'?)\n");
	expect(HEAD("p") "  snapshots: {schedule: \"@daily\", retain: {dayly: 3}}\n",
	       "p.yaml:7:44: policy 'p': unknown key 'dayly' in 'retain' (did you mean 'daily'?)\n");
	expect(HEAD("p") "  Automated: {}\n",
	       "p.yaml:7:3: policy 'p': unknown key 'Automated' in 'spec' (did you mean 'automated'?)\n");
}

static void test_unknown_key_says_where_it_belongs(void **state)
{
	(void)state;
	expect(HEAD("p") "  automated: {schedule: \"@daily\"}\n",
	       "p.yaml:7:15: policy 'p': unknown key 'schedule' in 'automated' ('schedule' belongs in 'snapshots')\n");
}

static void test_unknown_key_lists_the_keys_when_nothing_is_near(void **state)
{
	(void)state;
	expect(HEAD("p") "  alerts: {email: x@example.com}\n",
	       "p.yaml:7:12: policy 'p': unknown key 'email' in 'alerts' (expected one of: snsTopicArn)\n");
}

static void test_duplicate_key_is_an_error(void **state)
{
	(void)state;
	expect(HEAD("p") "  automated:\n    retentionDays: 7\n    retentionDays: 30\n",
	       "p.yaml:9:5: policy 'p': duplicate key 'retentionDays' in 'automated' (first at p.yaml:8:5)\n");
	expect(HEAD("p") "  snapshots: {schedule: \"@daily\", tags: {a: x, b: y, a: z}}\n",
	       "p.yaml:7:54: policy 'p': duplicate key 'a' in 'snapshots.tags' (first at p.yaml:7:42)\n");
	/* the top level too, and three times over */
	expect("apiVersion: snapkeep/v1\nkind: Settings\nkind: Settings\nkind: Settings\nmetadata: {name: s}\n",
	       "p.yaml:3:1: settings 's': duplicate key 'kind' in 'the document' (first at p.yaml:2:1)\n"
	       "p.yaml:4:1: settings 's': duplicate key 'kind' in 'the document' (first at p.yaml:2:1)\n");
}

static void test_wrong_type_names_what_was_given(void **state)
{
	(void)state;
	expect(HEAD("p") "  automated: {retentionDays: thirty}\n",
	       "p.yaml:7:30: policy 'p': retentionDays must be an integer, got string 'thirty'\n");
	expect(HEAD("p") "  automated: {retentionDays: \"30\"}\n",
	       "p.yaml:7:30: policy 'p': retentionDays must be an integer, got string '30'\n");
	expect(HEAD("p") "  automated: {retentionDays: [30]}\n",
	       "p.yaml:7:30: policy 'p': retentionDays must be an integer, got a sequence\n");
	expect(HEAD("p") "  automated: []\n", "p.yaml:7:14: policy 'p': automated must be a mapping, got a sequence\n");
	expect(HEAD("p") "  snapshots: {schedule: 5}\n",
	       "p.yaml:7:25: policy 'p': schedule must be a string, got integer 5 (quote it: \"5\")\n");
	expect(HEAD("p") "  snapshots: {schedule: \"@daily\", tags: {Version: 2}}\n",
	       "p.yaml:7:51: policy 'p': the value of tag 'Version' must be a string, got integer 2 (quote it: \"2\")\n");
}

static void test_integers_are_decimal_only(void **state)
{
	(void)state;
	expect(HEAD("p") "  automated: {retentionDays: 0x1f}\n",
	       "p.yaml:7:30: policy 'p': retentionDays must be a decimal integer, got '0x1f'\n");
	expect(HEAD("p") "  automated: {retentionDays: 7.5}\n",
	       "p.yaml:7:30: policy 'p': retentionDays must be an integer, got number 7.5\n");
	expect(HEAD("p") "  automated: {retentionDays: 99999999999999999999}\n",
	       "p.yaml:7:30: policy 'p': retentionDays must be 0..35, got 99999999999999999999\n");
}

static void test_booleans_are_true_or_false_and_quoted_true_is_a_string(void **state)
{
	struct sk_policyset *set = parse("p.yaml", HEAD("p") "  automated: {copyTagsToSnapshot: True, deletionProtection: FALSE}\n", 0);

	(void)state;
	assert_int_equal(set->policies[0].copy_tags, 1);
	assert_int_equal(set->policies[0].deletion_protection, 0);
	sk_policyset_free(set);
	expect(HEAD("p") "  automated: {copyTagsToSnapshot: \"true\"}\n",
	       "p.yaml:7:35: policy 'p': copyTagsToSnapshot must be true or false, got string 'true'\n");
	expect(HEAD("p") "  automated: {copyTagsToSnapshot: yes}\n",
	       "p.yaml:7:35: policy 'p': copyTagsToSnapshot must be true or false, got string 'yes' (yes/no/on/off are strings here)\n");
	/* and a tag value of yes stays the string "yes" */
	set = parse("p.yaml", HEAD("p") "  snapshots: {schedule: \"@daily\", tags: {Backup: yes}}\n", 0);
	assert_string_equal(set->policies[0].tags[0].value, "yes");
	sk_policyset_free(set);
}

static void test_out_of_range_values(void **state)
{
	(void)state;
	expect(HEAD("prod") "  automated:\n    retentionDays: 40\n",
	       "p.yaml:8:20: policy 'prod': retentionDays must be 0..35, got 40\n");
	expect(HEAD("p") "  automated: {replicate: {region: us-west-2, retentionDays: 0}}\n",
	       "p.yaml:7:61: policy 'p': replicate.retentionDays must be 1..35, got 0\n");
	expect(HEAD("p") "  snapshots: {schedule: \"@daily\", minAvailable: 0, maxDeletionsPerRun: -1, retain: {daily: -2}}\n",
	       "p.yaml:7:49: policy 'p': minAvailable must be 1..1000, got 0\n"
	       "p.yaml:7:72: policy 'p': maxDeletionsPerRun must be 0..10000, got -1\n"
	       "p.yaml:7:92: policy 'p': retain.daily must be -1 (unlimited) or 0..10000, got -2\n");
}

static void test_bad_window_says_why(void **state)
{
	(void)state;
	expect(HEAD("p") "  automated: {window: \"03:00-03:15\"}\n",
	       "p.yaml:7:23: policy 'p': window '03:00-03:15' must be at least 30 minutes\n");
	expect(HEAD("p") "  automated: {window: \"3:00-4:00\"}\n",
	       "p.yaml:7:23: policy 'p': window '3:00-4:00' must be hh24:mi-hh24:mi in UTC, such as 03:00-04:00\n");
}

static void test_bad_cron_points_at_the_field(void **state)
{
	(void)state;
	expect(HEAD("p") "  snapshots:\n    schedule: \"30 25 * * *\"\n",
	       "p.yaml:8:19: policy 'p': schedule '30 25 * * *': cron field 2 (hour): 25 is out of range 0..23\n");
	expect(HEAD("p") "  snapshots:\n    schedule: 30 3 * * mon-fry\n",
	       "p.yaml:8:28: policy 'p': schedule '30 3 * * mon-fry': cron field 5 (day-of-week): unknown name 'fry' (expected sun..sat)\n");
	expect(HEAD("p") "  snapshots:\n    schedule: \"0 0 30 2 *\"\n",
	       "p.yaml:8:15: policy 'p': schedule '0 0 30 2 *' never fires (no month has that day)\n");
	/* an escape before the problem: the value's own column */
	expect(HEAD("p") "  snapshots:\n    schedule: \"\\x30 25 * * *\"\n",
	       "p.yaml:8:15: policy 'p': schedule '0 25 * * *': cron field 2 (hour): 25 is out of range 0..23\n");
}

static void test_unquoted_star_or_at_sign_gets_a_hint(void **state)
{
	(void)state;
	expect(HEAD("p") "  snapshots:\n    schedule: @daily\n",
	       "p.yaml:8:15: yaml: found character that cannot start any token (quote values that start with '@')\n");
	expect(HEAD("p") "  snapshots:\n    schedule: * * * * *\n",
	       "p.yaml:8:16: yaml: did not find expected alphabetic or numeric character while scanning an alias (quote values that start with '*', e.g. \"* * * * *\")\n");
}

static void test_yaml_syntax_error_skips_the_rest_of_the_file(void **state)
{
	struct sk_policyset *set = parse("p.yaml",
					 HEAD("first") "---\n" HEAD("second") "  automated: {retentionDays: 7\n"
						       "---\n" HEAD("third") "  automated: {retentionDays: 99}\n",
					 SK_ERROR);

	(void)state;
	assert_int_equal(set->n_diags, 1);
	assert_int_equal(set->diags[0].pos.line, 15);
	assert_non_null(strstr(set->diags[0].message, "yaml: did not find expected ',' or '}'"));
	/* the complete document before it was read */
	assert_int_equal(set->n_policies, 1);
	assert_string_equal(set->policies[0].name, "first");
	sk_policyset_free(set);
}

static void test_tab_in_indentation_is_named(void **state)
{
	(void)state;
	expect(HEAD("p") "  automated:\n\tretentionDays: 7\n",
	       "p.yaml:8:1: tab character in indentation (indent with spaces)\n");
	/* a tab after a colon is ordinary YAML */
	expect(HEAD("p") "  automated:\n    retentionDays:\t7\n", "");
}

static void test_empty_file_and_non_mapping_documents(void **state)
{
	(void)state;
	expect("", "p.yaml:1:1: empty file (expected a BackupPolicy or Settings document)\n");
	expect("# only a comment\n---\n", "p.yaml:1:1: empty file (expected a BackupPolicy or Settings document)\n");
	expect("- a\n- b\n", "p.yaml:1:1: a document must be a mapping (apiVersion, kind, metadata, spec), got a sequence\n");
	expect("just text\n", "p.yaml:1:1: a document must be a mapping (apiVersion, kind, metadata, spec), got string 'just text'\n");
	/* a trailing --- adds nothing */
	expect(HEAD("p") "---\n", "");
}

static void test_anchors_and_aliases_are_refused(void **state)
{
	(void)state;
	expect(HEAD("p") "  automated: &a {retentionDays: 7}\n  snapshots: *a\n",
	       "p.yaml:7:14: yaml anchor '&a' is not supported (write the value out)\n"
	       "p.yaml:8:14: yaml alias '*a' is not supported (write the value out, and quote values that start with '*')\n");
}

static void test_billion_laughs_is_refused_quickly(void **state)
{
	struct sk_buf b = SK_BUF_INIT;
	struct sk_policyset *set;
	int64_t start = sk_time_mono_ms();

	(void)state;
	sk_buf_adds(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (char c = 'b'; c <= 'z'; c++)
		sk_buf_printf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1, c - 1, c - 1, c - 1,
			      c - 1, c - 1, c - 1, c - 1, c - 1);
	assert_int_equal(sk_policyset_parse_buffer(&set, "lol.yaml", b.ptr, b.len), SK_ERROR);
	assert_true(set->n_diags > 25);
	assert_true(sk_time_mono_ms() - start < 5000);
	sk_policyset_free(set);
	sk_buf_free(&b);
}

static void test_deep_nesting_is_bounded(void **state)
{
	struct sk_buf b = SK_BUF_INIT;
	struct sk_policyset *set;

	(void)state;
	for (int i = 0; i < 10000; i++)
		sk_buf_addc(&b, '[');
	assert_int_equal(sk_policyset_parse_buffer(&set, "deep.yaml", b.ptr, b.len), SK_ERROR);
	assert_int_equal(set->n_diags, 1);
	assert_string_equal(set->diags[0].message, "yaml nested more than 64 levels deep");
	sk_policyset_free(set);
	sk_buf_free(&b);
}

static void test_files_over_1_mib_are_refused(void **state)
{
	size_t n = ((size_t)1 << 20) + 1;
	char *big = malloc(n);
	struct sk_policyset *set;

	(void)state;
	assert_non_null(big);
	memset(big, '#', n);
	assert_int_equal(sk_policyset_parse_buffer(&set, "big.yaml", big, n), SK_ERROR);
	assert_int_equal(set->n_diags, 1);
	assert_string_equal(set->diags[0].message, "file is larger than 1 MiB (1048577 bytes)");
	sk_policyset_free(set);
	free(big);
}

static void test_unknown_api_version_and_kind(void **state)
{
	(void)state;
	expect("apiVersion: snapkeep/v2\nkind: BackupPolicy\nmetadata: {name: p}\nspec: {bogus: 1}\n",
	       "p.yaml:1:13: policy 'p': unknown apiVersion 'snapkeep/v2' (expected 'snapkeep/v1')\n");
	expect("apiVersion: snapkeep/v1\nkind: BackupPolcy\nmetadata: {name: p}\n",
	       "p.yaml:2:7: policy 'p': unknown kind 'BackupPolcy' (did you mean 'BackupPolicy'?)\n");
	expect("apiVersion: snapkeep/v1\nkind: Deployment\nmetadata: {name: p}\n",
	       "p.yaml:2:7: policy 'p': unknown kind 'Deployment' (expected BackupPolicy or Settings)\n");
	expect("kind: BackupPolicy\nmetadata: {name: p}\n",
	       "p.yaml:1:1: policy 'p': missing 'apiVersion' (apiVersion: snapkeep/v1)\n");
}

static void test_metadata_name_is_required_and_checked(void **state)
{
	(void)state;
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {}\nspec: {regions: [us-east-1], selector: {instances: [db]}}\n",
	       "p.yaml:3:1: missing 'name' in 'metadata'\n");
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: \"my policy!\"}\nspec: {regions: [us-east-1], selector: {instances: [db]}}\n",
	       "p.yaml:3:18: metadata.name 'my policy!' must be letters, digits, '-', '_' and '.', starting with a letter or digit\n");
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nspec: {regions: [us-east-1], selector: {instances: [db]}}\n",
	       "p.yaml:1:1: missing 'metadata' (metadata: {name: ...})\n");
	/* without a usable name the spec is still checked */
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {}\nspec: {regions: [us-east-1], selector: {instances: [db]}, automated: {retentionDays: 99}}\n",
	       "p.yaml:3:1: missing 'name' in 'metadata'\n"
	       "p.yaml:4:86: retentionDays must be 0..35, got 99\n");
}

static void test_selector_needs_exactly_one_of_instances_or_tags(void **state)
{
	struct sk_policyset *set;

	(void)state;
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n  regions: [us-east-1]\n  selector: {}\n",
	       "p.yaml:6:3: policy 'p': selector needs 'instances' (a list of DB instance identifiers), 'clusters' (a list of Aurora DB cluster identifiers) or 'tags' (a mapping)\n");
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n  regions: [us-east-1]\n  selector: {instances: [db], tags: {a: b}}\n",
	       "p.yaml:6:31: policy 'p': selector must have either 'instances' or 'tags', not both\n");
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n  regions: [us-east-1]\n  selector: {instances: [DB_1, db-, a--b, db1, db1]}\n",
	       "p.yaml:6:26: policy 'p': selector.instances[0] 'DB_1' must be a DB instance identifier: lowercase letters, digits and single hyphens, starting with a letter\n"
	       "p.yaml:6:32: policy 'p': selector.instances[1] 'db-' must be a DB instance identifier: lowercase letters, digits and single hyphens, starting with a letter\n"
	       "p.yaml:6:37: policy 'p': selector.instances[2] 'a--b' must be a DB instance identifier: lowercase letters, digits and single hyphens, starting with a letter\n"
	       "p.yaml:6:48: policy 'p': selector.instances[4] 'db1' is listed twice (first at p.yaml:6:43)\n");
	set = parse("p.yaml", "apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n  regions: [us-east-1]\n  selector: {tags: {Environment: production, aws:cloudformation:stack-name: db}}\n", 0);
	assert_int_equal(set->policies[0].n_selector_tags, 2);
	assert_string_equal(set->policies[0].selector_tags[1].key, "aws:cloudformation:stack-name");
	sk_policyset_free(set);
}

/* Aurora: selector.clusters, or a tag selector with kind: cluster; kind checked with its place */
static void test_selector_clusters_and_kind(void **state)
{
	const char *head = "apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n  regions: [us-east-1]\n";
	struct sk_buf y = SK_BUF_INIT;
	struct sk_policyset *set;

	(void)state;
	sk_buf_printf(&y, "%s  selector: {clusters: [ledger, orders]}\n", head);
	set = parse("p.yaml", y.ptr, 0);
	assert_true(set->policies[0].clusters);
	assert_int_equal(set->policies[0].n_instances, 2);
	assert_string_equal(set->policies[0].instances[1].name, "orders");
	sk_policyset_free(set);
	sk_buf_reset(&y);
	sk_buf_printf(&y, "%s  selector: {tags: {tier: gold}, kind: cluster}\n", head);
	set = parse("p.yaml", y.ptr, 0);
	assert_true(set->policies[0].clusters);
	assert_int_equal(set->policies[0].n_selector_tags, 1);
	sk_policyset_free(set);
	sk_buf_reset(&y);
	sk_buf_printf(&y, "%s  selector: {tags: {tier: gold}, kind: instance}\n", head);
	set = parse("p.yaml", y.ptr, 0);
	assert_false(set->policies[0].clusters);
	sk_policyset_free(set);
	sk_buf_reset(&y);
	sk_buf_printf(&y, "%s  selector: {tags: {tier: gold}, kind: database}\n", head);
	expect(y.ptr, "p.yaml:6:40: policy 'p': selector.kind must be 'instance' or 'cluster'\n");
	sk_buf_reset(&y);
	sk_buf_printf(&y, "%s  selector: {instances: [db], kind: cluster}\n", head);
	expect(y.ptr, "p.yaml:6:37: policy 'p': selector.kind 'cluster' with 'instances': name the clusters in "
		      "'clusters' instead\n");
	sk_buf_reset(&y);
	sk_buf_printf(&y, "%s  selector: {clusters: [ledger], kind: instance}\n", head);
	expect(y.ptr, "p.yaml:6:40: policy 'p': selector.kind 'instance' with 'clusters': a list of clusters selects "
		      "clusters\n");
	sk_buf_reset(&y);
	sk_buf_printf(&y, "%s  selector: {clusters: [ledger], tags: {a: b}}\n", head);
	expect(y.ptr, "p.yaml:6:34: policy 'p': selector must have one of 'instances', 'clusters' or 'tags', not more\n");
	sk_buf_reset(&y);
	sk_buf_printf(&y, "%s  selector: {clusters: [ledger]}\n  verify: {rpo: {warn: 1d, crit: 2d}}\n", head);
	expect(y.ptr, "p.yaml:7:3: policy 'p': verify applies to DB instances; this policy selects Aurora clusters\n");
	sk_buf_reset(&y);
	sk_buf_printf(&y, "%s  selector: {clusters: [Ledger_1]}\n", head);
	expect(y.ptr, "p.yaml:6:25: policy 'p': selector.clusters[0] 'Ledger_1' must be a DB cluster identifier: "
		      "lowercase letters, digits and single hyphens, starting with a letter\n");
	sk_buf_free(&y);
}

static void test_regions_are_checked(void **state)
{
	(void)state;
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n  regions: []\n  selector: {instances: [db]}\n",
	       "p.yaml:5:12: policy 'p': regions must not be empty\n");
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n  regions: [US-EAST-1, us-gov-west-1]\n  selector: {instances: [db]}\n",
	       "p.yaml:5:13: policy 'p': regions[0] 'US-EAST-1' must be an AWS region name such as us-east-1\n");
	expect("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: p}\nspec:\n  selector: {instances: [db]}\n",
	       "p.yaml:4:1: policy 'p': missing 'regions' in 'spec' (for example regions: [us-east-1])\n");
}

static void test_copies_and_replication_must_leave_the_source_region(void **state)
{
	(void)state;
	expect(HEAD("p") "  snapshots:\n    schedule: \"@daily\"\n    copies: [{region: us-east-1}]\n",
	       "p.yaml:9:23: policy 'p': copies[0].region 'us-east-1' is one of the policy's regions; a copy must go to another region\n");
	expect(HEAD("p") "  automated: {replicate: {region: us-east-1}}\n",
	       "p.yaml:7:35: policy 'p': replicate.region 'us-east-1' is one of the policy's regions; backups must be replicated to another region\n");
	expect(HEAD("p") "  snapshots:\n    schedule: \"@daily\"\n    copies: [{region: us-west-2}, {region: us-west-2}, {}]\n",
	       "p.yaml:9:44: policy 'p': copies[1].region 'us-west-2' is listed twice (first at p.yaml:9:14)\n"
	       "p.yaml:9:56: policy 'p': missing 'region' in 'copies[2]'\n");
	expect(HEAD("p") "  automated: {replicate: {retentionDays: 3}}\n",
	       "p.yaml:7:15: policy 'p': missing 'region' in 'replicate'\n");
}

static void test_replication_needs_automated_backups(void **state)
{
	(void)state;
	expect(HEAD("p") "  automated: {retentionDays: 0, replicate: {region: us-west-2}}\n",
	       "p.yaml:7:44: policy 'p': replicate needs automated backups, but retentionDays is 0\n");
}

static void test_kms_key_must_be_in_the_region_it_is_used(void **state)
{
	(void)state;
	expect(HEAD("p") "  snapshots:\n    schedule: \"@daily\"\n"
			 "    copies: [{region: us-west-2, kmsKeyId: \"arn:aws:kms:us-east-1:123456789012:key/1a2b\"}]\n",
	       "p.yaml:9:44: policy 'p': copies[0].kmsKeyId is a key in 'us-east-1', but it is used in 'us-west-2' (a KMS key belongs to one region)\n");
	expect(HEAD("p") "  automated: {replicate: {region: us-west-2, kmsKeyId: \"my key\"}}\n",
	       "p.yaml:7:56: policy 'p': replicate.kmsKeyId 'my key' must be a KMS key id, alias (alias/name) or ARN\n");
}

static void test_reserved_tag_keys_are_refused(void **state)
{
	(void)state;
	expect(HEAD("p") "  snapshots: {schedule: \"@daily\", tags: {AWS:x: a, snapkeep:policy: b, ok: c}}\n",
	       "p.yaml:7:42: policy 'p': tag key 'AWS:x' in 'snapshots.tags' is reserved (keys starting with 'aws:' or 'snapkeep:' are not allowed)\n"
	       "p.yaml:7:52: policy 'p': tag key 'snapkeep:policy' in 'snapshots.tags' is reserved (keys starting with 'aws:' or 'snapkeep:' are not allowed)\n");
}

static void test_within_is_restics_duration(void **state)
{
	struct sk_duration d;
	char out[48];

	(void)state;
	assert_int_equal(sk_duration_parse(&d, "1y2m3d4h"), 0);
	assert_int_equal(d.years, 1);
	assert_int_equal(d.months, 2);
	assert_int_equal(d.days, 3);
	assert_int_equal(d.hours, 4);
	sk_duration_format(out, &d);
	assert_string_equal(out, "1y2m3d4h");
	assert_int_equal(sk_duration_parse(&d, "2d12h"), 0);
	sk_duration_format(out, &d);
	assert_string_equal(out, "2d12h");
	assert_int_equal(sk_duration_parse(&d, "30d"), 0);
	assert_int_equal(d.days, 30);
	assert_int_equal(sk_duration_parse(&d, "3d1y"), SK_ERROR);
	assert_string_equal(sk_error_message(), "duration '3d1y': units must be in the order y m d h, each once");
	assert_int_equal(sk_duration_parse(&d, "1d1d"), SK_ERROR);
	assert_int_equal(sk_duration_parse(&d, "30"), SK_ERROR);
	assert_int_equal(sk_duration_parse(&d, "d"), SK_ERROR);
	assert_int_equal(sk_duration_parse(&d, "1w"), SK_ERROR);
	assert_int_equal(sk_duration_parse(&d, ""), SK_ERROR);
	assert_int_equal(sk_duration_parse(&d, "123456d"), SK_ERROR);
	memset(&d, 0, sizeof(d));
	sk_duration_format(out, &d);
	assert_string_equal(out, "0h");
	expect(HEAD("p") "  snapshots: {schedule: \"@daily\", retain: {within: 0d}}\n",
	       "p.yaml:7:52: policy 'p': retain.within '0d' must be longer than zero\n");
	expect(HEAD("p") "  snapshots: {schedule: \"@daily\", retain: {within: 30}}\n",
	       "p.yaml:7:52: policy 'p': retain.within must be a string, got integer 30 (quote it: \"30\")\n");
}

static void test_retain_with_only_zero_rules_keeps_everything(void **state)
{
	struct sk_policyset *set = parse("p.yaml", HEAD("p") "  snapshots: {schedule: \"@daily\", retain: {daily: 0}}\n", 0);

	(void)state;
	assert_false(set->policies[0].has_retain);
	sk_policyset_free(set);
}

static void test_control_characters_and_bad_utf8_are_reported(void **state)
{
	static const char nul[] = "apiVersion: snapkeep/v1\nkind: Back\0upPolicy\n";
	struct sk_policyset *set;

	(void)state;
	expect(HEAD("p") "  snapshots: {schedule: \"@daily\", tags: {Note: \"a\\nb\"}}\n",
	       "p.yaml:7:48: policy 'p': the value of tag 'Note' must not contain control characters\n");
	expect("apiVersion: \"\\xff\xff\"\n", "p.yaml:1:18: yaml: invalid leading UTF-8 octet\n");
	assert_int_equal(sk_policyset_parse_buffer(&set, "nul.yaml", nul, sizeof(nul) - 1), SK_ERROR);
	assert_int_equal(set->n_diags, 1);
	assert_int_equal(set->diags[0].pos.line, 2);
	sk_policyset_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_policy_fills_every_field),
		cmocka_unit_test(test_unset_settings_are_left_alone_and_defaults_apply),
		cmocka_unit_test(test_empty_snapshots_means_not_managed_yet),
		cmocka_unit_test(test_replicate_false_or_null_stops_replication),
		cmocka_unit_test(test_window_may_wrap_midnight),
		cmocka_unit_test(test_unknown_key_suggests_nearest),
		cmocka_unit_test(test_unknown_key_says_where_it_belongs),
		cmocka_unit_test(test_unknown_key_lists_the_keys_when_nothing_is_near),
		cmocka_unit_test(test_duplicate_key_is_an_error),
		cmocka_unit_test(test_wrong_type_names_what_was_given),
		cmocka_unit_test(test_integers_are_decimal_only),
		cmocka_unit_test(test_booleans_are_true_or_false_and_quoted_true_is_a_string),
		cmocka_unit_test(test_out_of_range_values),
		cmocka_unit_test(test_bad_window_says_why),
		cmocka_unit_test(test_bad_cron_points_at_the_field),
		cmocka_unit_test(test_unquoted_star_or_at_sign_gets_a_hint),
		cmocka_unit_test(test_yaml_syntax_error_skips_the_rest_of_the_file),
		cmocka_unit_test(test_tab_in_indentation_is_named),
		cmocka_unit_test(test_empty_file_and_non_mapping_documents),
		cmocka_unit_test(test_anchors_and_aliases_are_refused),
		cmocka_unit_test(test_billion_laughs_is_refused_quickly),
		cmocka_unit_test(test_deep_nesting_is_bounded),
		cmocka_unit_test(test_files_over_1_mib_are_refused),
		cmocka_unit_test(test_unknown_api_version_and_kind),
		cmocka_unit_test(test_metadata_name_is_required_and_checked),
		cmocka_unit_test(test_selector_needs_exactly_one_of_instances_or_tags),
		cmocka_unit_test(test_selector_clusters_and_kind),
		cmocka_unit_test(test_regions_are_checked),
		cmocka_unit_test(test_copies_and_replication_must_leave_the_source_region),
		cmocka_unit_test(test_replication_needs_automated_backups),
		cmocka_unit_test(test_kms_key_must_be_in_the_region_it_is_used),
		cmocka_unit_test(test_reserved_tag_keys_are_refused),
		cmocka_unit_test(test_within_is_restics_duration),
		cmocka_unit_test(test_retain_with_only_zero_rules_keeps_everything),
		cmocka_unit_test(test_control_characters_and_bad_utf8_are_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
