/*
 * test_iam.c - the least-privilege IAM policy document
 *
 * Policy sets are built in C here (the YAML parser lives in specs/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/error.h"
#include "reconciler/engine/iam.h"
#include "specs/policy.h"

/*
 * Every action snapkeep's reconciler calls: aws/rds.c, aws/sns.c and
 * aws/cloudwatch.c as used by observe.c and apply.c, plus the two KMS
 * actions RDS performs on snapkeep's behalf when it copies or replicates
 * an encrypted snapshot.  (aws/rds.c also implements RemoveTagsFromResource
 * for test tools; snapkeep itself never calls it, so it must never be
 * granted.  Restores and DeleteDBInstance are granted only to policies with
 * a drill: test_drills_restore_and_delete_only_tagged_drill_instances.)
 */
static const char *const allowed[] = {
	"rds:DescribeDBInstances",
	"rds:DescribeDBSnapshots",
	"rds:DescribeDBInstanceAutomatedBackups",
	"rds:ModifyDBInstance",
	"rds:CreateDBSnapshot",
	"rds:AddTagsToResource",
	"rds:CopyDBSnapshot",
	"rds:DeleteDBSnapshot",
	"rds:StartDBInstanceAutomatedBackupsReplication",
	"rds:StopDBInstanceAutomatedBackupsReplication",
	"rds:RestoreDBInstanceFromDBSnapshot",
	"rds:RestoreDBInstanceToPointInTime",
	"kms:DescribeKey",
	"kms:CreateGrant",
	"sns:Publish",
	"cloudwatch:PutMetricData",
	/* drills only (last: N_DRILL_ACTIONS) */
	"rds:RestoreDBInstanceFromDBSnapshot",
	"rds:RestoreDBInstanceToPointInTime",
	"rds:DeleteDBInstance",
};

#define N_ALLOWED (sizeof(allowed) / sizeof(allowed[0]))
#define N_DRILL_ACTIONS 3

/* ---- building policies ---- */

static struct sk_policy_name regions_ue1_ew1[] = { { "us-east-1", { 0 } }, { "eu-west-1", { 0 } } };
static struct sk_policy_name regions_ue1[] = { { "us-east-1", { 0 } } };
static struct sk_policy_name instances_orders[] = { { "orders", { 0 } }, { "billing", { 0 } } };
static struct sk_policy_name instances_staging[] = { { "staging-db", { 0 } } };
static struct sk_policy_kv tags_payments[] = { { "team", "payments", { 0 } }, { "env", "prod", { 0 } } };
static struct sk_policy_copy copies_dr[] = { { "us-west-2", "alias/dr", { 0 }, false, { 0 } } };

/* named instances, automated settings, snapshots with a copy, replication, alerts */
static void policy_prod(struct sk_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->name = "prod";
	p->regions = regions_ue1_ew1;
	p->n_regions = 2;
	p->instances = instances_orders;
	p->n_instances = 2;
	p->has_automated = true;
	p->retention_days = 14;
	p->copy_tags = 1;
	p->deletion_protection = -1;
	p->replicate_mode = SK_REPLICATE_ON;
	p->replicate.region = "us-west-2";
	p->has_snapshots = true;
	p->schedule_text = "@daily";
	p->prefix = NULL; /* "snapkeep" */
	p->copies = copies_dr;
	p->n_copies = 1;
	p->sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:backup-alerts";
}

/* a tag selector with snapshots and automated settings, no copies */
static void policy_payments(struct sk_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->name = "payments";
	p->regions = regions_ue1;
	p->n_regions = 1;
	p->selector_tags = tags_payments;
	p->n_selector_tags = 2;
	p->has_automated = true;
	p->retention_days = 7;
	p->copy_tags = -1;
	p->deletion_protection = 1;
	p->has_snapshots = true;
	p->schedule_text = "0 */6 * * *";
	p->prefix = "pay";
}

/* automated settings only: no snapshots, no replication, no alerts */
static void policy_staging(struct sk_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->name = "staging";
	p->regions = regions_ue1;
	p->n_regions = 1;
	p->instances = instances_staging;
	p->n_instances = 1;
	p->has_automated = true;
	p->retention_days = 1;
	p->copy_tags = -1;
	p->deletion_protection = -1;
}

static void set_of(struct sk_policyset *set, struct sk_policy *policies, size_t n)
{
	memset(set, 0, sizeof(*set));
	set->policies = policies;
	set->n_policies = n;
}

/* ---- reading the document ---- */

static json_t *build(const struct sk_policyset *set, const struct sk_iam_opts *o)
{
	json_t *doc = NULL, *back;
	json_error_t e;
	char *text;

	if (sk_iam_policy(&doc, set, o) < 0)
		fail_msg("sk_iam_policy: %s", sk_error_message());
	/* what is printed must read back as JSON */
	text = json_dumps(doc, JSON_INDENT(2));
	assert_non_null(text);
	back = json_loads(text, 0, &e);
	if (!back)
		fail_msg("not valid JSON: %s at %d:%d", e.text, e.line, e.column);
	assert_true(json_equal(doc, back));
	json_decref(back);
	free(text);
	return doc;
}

static json_t *statement(json_t *doc, const char *sid)
{
	json_t *st;
	size_t i;

	json_array_foreach(json_object_get(doc, "Statement"), i, st)
		if (!strcmp(json_string_value(json_object_get(st, "Sid")), sid))
			return st;
	return NULL;
}

static bool has_action(json_t *doc, const char *action)
{
	json_t *st, *a;
	size_t i, k;

	json_array_foreach(json_object_get(doc, "Statement"), i, st)
		json_array_foreach(json_object_get(st, "Action"), k, a)
			if (!strcmp(json_string_value(a), action))
				return true;
	return false;
}

/* the strings of an array, joined by spaces */
static char *joined(json_t *a)
{
	size_t i, len = 1;
	json_t *v;
	char *out;

	json_array_foreach(a, i, v)
		len += strlen(json_string_value(v)) + 1;
	out = calloc(1, len);
	assert_non_null(out);
	json_array_foreach(a, i, v) {
		if (i)
			strcat(out, " ");
		strcat(out, json_string_value(v));
	}
	return out;
}

static void assert_resources(json_t *st, const char *want)
{
	char *got;

	assert_non_null(st);
	got = joined(json_object_get(st, "Resource"));
	if (strcmp(got, want))
		fail_msg("resources of %s:\n got  %s\n want %s", json_string_value(json_object_get(st, "Sid")), got,
			 want);
	free(got);
}

/* every statement: Sid unique and alphanumeric, Effect Allow, allowed actions, sorted unique resources */
static void check_shape(json_t *doc)
{
	json_t *sts = json_object_get(doc, "Statement"), *st, *a;
	size_t i, k, j;

	assert_string_equal(json_string_value(json_object_get(doc, "Version")), "2012-10-17");
	assert_true(json_array_size(sts) > 0);
	json_array_foreach(sts, i, st) {
		const char *sid = json_string_value(json_object_get(st, "Sid"));
		json_t *res = json_object_get(st, "Resource");

		assert_non_null(sid);
		for (k = 0; sid[k]; k++)
			assert_true((sid[k] >= 'A' && sid[k] <= 'Z') || (sid[k] >= 'a' && sid[k] <= 'z') ||
				    (sid[k] >= '0' && sid[k] <= '9'));
		for (k = 0; k < i; k++)
			assert_string_not_equal(sid, json_string_value(json_object_get(json_array_get(sts, k), "Sid")));
		assert_string_equal(json_string_value(json_object_get(st, "Effect")), "Allow");
		assert_true(json_array_size(json_object_get(st, "Action")) > 0);
		json_array_foreach(json_object_get(st, "Action"), k, a) {
			for (j = 0; j < N_ALLOWED; j++)
				if (!strcmp(json_string_value(a), allowed[j]))
					break;
			if (j == N_ALLOWED)
				fail_msg("statement %s grants %s, which snapkeep never calls", sid, json_string_value(a));
		}
		assert_true(json_array_size(res) > 0);
		for (k = 1; k < json_array_size(res); k++)
			assert_true(strcmp(json_string_value(json_array_get(res, k - 1)),
					   json_string_value(json_array_get(res, k))) < 0);
	}
}

/* ---- tests ---- */

static void test_only_actions_snapkeep_calls_appear(void **state)
{
	struct sk_policy p[3];
	struct sk_policyset set;
	json_t *doc;
	size_t i;

	(void)state;
	policy_prod(&p[0]);
	policy_payments(&p[1]);
	policy_staging(&p[2]);
	set_of(&set, p, 3);
	doc = build(&set, NULL);
	check_shape(doc);
	/* this set needs every one of them but the drills' */
	for (i = 0; i < N_ALLOWED - N_DRILL_ACTIONS; i++)
		if (!has_action(doc, allowed[i]))
			fail_msg("%s is missing", allowed[i]);
	assert_false(has_action(doc, "rds:RemoveTagsFromResource"));
	assert_false(has_action(doc, "rds:DeleteDBInstance"));
	json_decref(doc);
}

static void test_deletes_require_the_owner_tag(void **state)
{
	struct sk_policy p[3];
	struct sk_policyset set;
	json_t *doc, *st, *cond, *names;
	size_t i, n_delete = 0;

	(void)state;
	policy_prod(&p[0]);
	policy_payments(&p[1]);
	policy_staging(&p[2]);
	set_of(&set, p, 3);
	doc = build(&set, NULL);
	json_array_foreach(json_object_get(doc, "Statement"), i, st) {
		json_t *a;
		size_t k;
		json_array_foreach(json_object_get(st, "Action"), k, a) {
			if (strcmp(json_string_value(a), "rds:DeleteDBSnapshot"))
				continue;
			n_delete++;
			cond = json_object_get(st, "Condition");
			assert_non_null(cond);
			/* owned means both tags (ownership.h): the policy's name, and an instance */
			assert_int_equal(json_object_size(cond), 2);
			assert_int_equal(json_object_size(json_object_get(cond, "Null")), 1);
			assert_string_equal(json_string_value(json_object_get(json_object_get(cond, "Null"),
									      "aws:ResourceTag/snapkeep:instance")),
					    "false");
			names = json_object_get(json_object_get(cond, "StringEquals"), "aws:ResourceTag/snapkeep:policy");
			assert_non_null(names);
			/* only the policies that own snapshots: staging has none */
			{
				char *got = joined(names);
				assert_string_equal(got, "payments prod");
				free(got);
			}
			assert_int_equal(json_array_size(json_object_get(st, "Action")), 1);
		}
	}
	assert_int_equal(n_delete, 1);
	/* every region snapkeep's snapshots live in: sources and the copy region */
	assert_resources(statement(doc, "DeleteOwnedSnapshots"),
			 "arn:aws:rds:eu-west-1:*:snapshot:* arn:aws:rds:us-east-1:*:snapshot:* "
			 "arn:aws:rds:us-west-2:*:snapshot:*");
	json_decref(doc);

	/* no policy with snapshots: no delete at all, and tags only for restores */
	set_of(&set, &p[2], 1);
	doc = build(&set, NULL);
	assert_false(has_action(doc, "rds:DeleteDBSnapshot"));
	assert_false(has_action(doc, "rds:CreateDBSnapshot"));
	assert_null(statement(doc, "TagSnapshots"));
	assert_non_null(statement(doc, "TagRestoredInstances"));
	json_decref(doc);
}

static void test_tagging_needs_this_sets_owner_tags(void **state)
{
	struct sk_policy p[3];
	struct sk_policyset set;
	json_t *doc, *st, *cond, *null;
	char *got;

	(void)state;
	policy_prod(&p[0]);
	policy_payments(&p[1]);
	policy_staging(&p[2]);
	set_of(&set, p, 3);
	doc = build(&set, NULL);
	st = statement(doc, "TagSnapshots");
	assert_non_null(st);
	assert_int_equal(json_array_size(json_object_get(st, "Action")), 1);
	/* only snapkeep's own names, in the policies' and the copies' regions */
	assert_resources(st, "arn:aws:rds:eu-west-1:*:snapshot:snapkeep-* arn:aws:rds:us-east-1:*:snapshot:pay-* "
			     "arn:aws:rds:us-east-1:*:snapshot:snapkeep-* arn:aws:rds:us-west-2:*:snapshot:snapkeep-*");
	/*
	 * and only in a request that makes the snapshot owned, by a policy of
	 * this set: snapkeep:policy one of its names, with the instance and slot
	 */
	cond = json_object_get(st, "Condition");
	assert_non_null(cond);
	assert_int_equal(json_object_size(cond), 2);
	assert_int_equal(json_object_size(json_object_get(cond, "StringEquals")), 1);
	got = joined(json_object_get(json_object_get(cond, "StringEquals"), "aws:RequestTag/snapkeep:policy"));
	assert_string_equal(got, "payments prod");
	free(got);
	null = json_object_get(cond, "Null");
	assert_int_equal(json_object_size(null), 2);
	assert_string_equal(json_string_value(json_object_get(null, "aws:RequestTag/snapkeep:instance")), "false");
	assert_string_equal(json_string_value(json_object_get(null, "aws:RequestTag/snapkeep:slot")), "false");
	/*
	 * AddTagsToResource appears elsewhere only for restores, on instances
	 * (db:*), so nothing grants it on a snapshot without that condition
	 */
	{
		json_t *s, *a;
		size_t i, k, n = 0;
		json_array_foreach(json_object_get(doc, "Statement"), i, s)
			json_array_foreach(json_object_get(s, "Action"), k, a)
				n += !strcmp(json_string_value(a), "rds:AddTagsToResource");
		assert_int_equal(n, 2);
	}
	assert_resources(statement(doc, "TagRestoredInstances"),
			 "arn:aws:rds:eu-west-1:*:db:* arn:aws:rds:us-east-1:*:db:* arn:aws:rds:us-west-2:*:db:*");
	json_decref(doc);
}

static void test_named_instances_get_exact_arns(void **state)
{
	struct sk_iam_opts o = SK_IAM_OPTS_INIT;
	struct sk_policy p[2];
	struct sk_policyset set;
	json_t *doc;

	(void)state;
	policy_prod(&p[0]);
	policy_staging(&p[1]);
	set_of(&set, p, 2);
	o.account = "123456789012";
	doc = build(&set, &o);
	check_shape(doc);
	assert_resources(statement(doc, "ModifyInstances"),
			 "arn:aws:rds:eu-west-1:123456789012:db:billing arn:aws:rds:eu-west-1:123456789012:db:orders "
			 "arn:aws:rds:us-east-1:123456789012:db:billing arn:aws:rds:us-east-1:123456789012:db:orders "
			 "arn:aws:rds:us-east-1:123456789012:db:staging-db");
	/* staging takes no snapshots: its instance is not in CreateSnapshots */
	assert_resources(statement(doc, "CreateSnapshots"),
			 "arn:aws:rds:eu-west-1:123456789012:db:billing arn:aws:rds:eu-west-1:123456789012:db:orders "
			 "arn:aws:rds:eu-west-1:123456789012:snapshot:snapkeep-* "
			 "arn:aws:rds:us-east-1:123456789012:db:billing arn:aws:rds:us-east-1:123456789012:db:orders "
			 "arn:aws:rds:us-east-1:123456789012:snapshot:snapkeep-*");
	assert_resources(statement(doc, "CopySnapshots"),
			 "arn:aws:rds:eu-west-1:123456789012:snapshot:snapkeep-* "
			 "arn:aws:rds:us-east-1:123456789012:snapshot:snapkeep-* "
			 "arn:aws:rds:us-west-2:123456789012:snapshot:snapkeep-*");
	assert_resources(statement(doc, "StartReplication"),
			 "arn:aws:rds:eu-west-1:123456789012:db:billing arn:aws:rds:eu-west-1:123456789012:db:orders "
			 "arn:aws:rds:us-east-1:123456789012:db:billing arn:aws:rds:us-east-1:123456789012:db:orders "
			 "arn:aws:rds:us-west-2:123456789012:auto-backup:*");
	/* stopped where it replicates to (a new replica retention stops, then starts), not in every region */
	assert_resources(statement(doc, "StopReplication"),
			 "arn:aws:rds:eu-west-1:123456789012:db:billing arn:aws:rds:eu-west-1:123456789012:db:orders "
			 "arn:aws:rds:us-east-1:123456789012:db:billing arn:aws:rds:us-east-1:123456789012:db:orders "
			 "arn:aws:rds:us-west-2:123456789012:auto-backup:*");
	assert_resources(statement(doc, "PublishAlerts"), "arn:aws:sns:us-east-1:123456789012:backup-alerts");
	/* no tag selector: no db:* anywhere but in the restores' statements (a new instance has any name) */
	{
		json_t *st;
		size_t i;
		json_array_foreach(json_object_get(doc, "Statement"), i, st) {
			const char *sid = json_string_value(json_object_get(st, "Sid"));
			char *text = json_dumps(st, 0);
			if (strcmp(sid, "RestoreInstances") && strcmp(sid, "TagRestoredInstances"))
				assert_null(strstr(text, ":db:*"));
			assert_null(strstr(text, "Tagged"));
			free(text);
		}
	}
	json_decref(doc);
}

static void test_restores_need_the_restore_tag(void **state)
{
	struct sk_policy p[2];
	struct sk_policyset set;
	json_t *doc, *st;
	size_t i;

	(void)state;
	policy_prod(&p[0]);
	policy_staging(&p[1]);
	set_of(&set, p, 2);
	doc = build(&set, NULL);
	check_shape(doc);
	st = statement(doc, "RestoreInstances");
	assert_non_null(st);
	assert_int_equal(json_array_size(json_object_get(st, "Action")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(st, "Action"), 0)),
			    "rds:RestoreDBInstanceFromDBSnapshot");
	assert_string_equal(json_string_value(json_array_get(json_object_get(st, "Action"), 1)),
			    "rds:RestoreDBInstanceToPointInTime");
	/*
	 * the policies' regions, the copy region and the replication destination:
	 * instances, snapshots, backups, and the groups a restore names
	 */
	assert_resources(st, "arn:aws:rds:eu-west-1:*:auto-backup:* arn:aws:rds:eu-west-1:*:db:* "
			     "arn:aws:rds:eu-west-1:*:og:* arn:aws:rds:eu-west-1:*:pg:* "
			     "arn:aws:rds:eu-west-1:*:snapshot:* arn:aws:rds:eu-west-1:*:subgrp:* "
			     "arn:aws:rds:us-east-1:*:auto-backup:* arn:aws:rds:us-east-1:*:db:* "
			     "arn:aws:rds:us-east-1:*:og:* arn:aws:rds:us-east-1:*:pg:* "
			     "arn:aws:rds:us-east-1:*:snapshot:* arn:aws:rds:us-east-1:*:subgrp:* "
			     "arn:aws:rds:us-west-2:*:auto-backup:* arn:aws:rds:us-west-2:*:db:* "
			     "arn:aws:rds:us-west-2:*:og:* arn:aws:rds:us-west-2:*:pg:* "
			     "arn:aws:rds:us-west-2:*:snapshot:* arn:aws:rds:us-west-2:*:subgrp:*");
	/* both statements only for a request that tags the new instance as a restore */
	for (i = 0; i < 2; i++) {
		json_t *cond = json_object_get(statement(doc, i ? "TagRestoredInstances" : "RestoreInstances"), "Condition");
		assert_int_equal(json_object_size(cond), 1);
		assert_int_equal(json_object_size(json_object_get(cond, "Null")), 1);
		assert_string_equal(json_string_value(json_object_get(json_object_get(cond, "Null"),
									  "aws:RequestTag/snapkeep:restore")),
				    "false");
	}
	/* never a delete of an instance */
	assert_false(has_action(doc, "rds:DeleteDBInstance"));
	json_decref(doc);
}

static void test_tag_selectors_are_granted_under_a_tag_condition(void **state)
{
	struct sk_policy p[2];
	struct sk_policyset set;
	json_t *doc, *st, *eq;

	(void)state;
	policy_payments(&p[0]);
	policy_payments(&p[1]); /* the same selector twice: one statement */
	p[1].name = "payments-copy";
	set_of(&set, p, 2);
	doc = build(&set, NULL);
	check_shape(doc);
	st = statement(doc, "ModifyTaggedInstances1");
	assert_resources(st, "arn:aws:rds:us-east-1:*:db:*");
	eq = json_object_get(json_object_get(st, "Condition"), "StringEquals");
	assert_int_equal(json_object_size(eq), 2);
	assert_string_equal(json_string_value(json_object_get(eq, "rds:db-tag/team")), "payments");
	assert_string_equal(json_string_value(json_object_get(eq, "rds:db-tag/env")), "prod");
	assert_null(statement(doc, "ModifyTaggedInstances2"));
	/* no named instance to modify: no untagged statement */
	assert_null(statement(doc, "ModifyInstances"));
	st = statement(doc, "CreateSnapshotsOfTaggedInstances1");
	assert_resources(st, "arn:aws:rds:us-east-1:*:db:*");
	assert_non_null(json_object_get(json_object_get(json_object_get(st, "Condition"), "StringEquals"),
					"rds:db-tag/team"));
	/* the snapshot side carries no db-tag condition, which it could never meet */
	st = statement(doc, "CreateSnapshots");
	assert_resources(st, "arn:aws:rds:us-east-1:*:snapshot:pay-*");
	assert_null(json_object_get(st, "Condition"));
	assert_resources(statement(doc, "TagSnapshots"), "arn:aws:rds:us-east-1:*:snapshot:pay-*");
	json_decref(doc);

	/* different tags: numbered statements */
	p[1].selector_tags = &tags_payments[1];
	p[1].n_selector_tags = 1;
	doc = build(&set, NULL);
	assert_non_null(statement(doc, "ModifyTaggedInstances1"));
	assert_non_null(statement(doc, "ModifyTaggedInstances2"));
	assert_null(statement(doc, "ModifyTaggedInstances3"));
	json_decref(doc);
}

static void test_nothing_replicates_nothing_is_granted_for_it(void **state)
{
	struct sk_policy p[2];
	struct sk_policyset set;
	json_t *doc;

	(void)state;
	policy_payments(&p[0]);
	policy_staging(&p[1]);
	set_of(&set, p, 2);
	doc = build(&set, NULL);
	check_shape(doc);
	assert_false(has_action(doc, "rds:StartDBInstanceAutomatedBackupsReplication"));
	assert_false(has_action(doc, "rds:StopDBInstanceAutomatedBackupsReplication"));
	/* no copies either: no copy, no KMS; no topic: no SNS */
	assert_false(has_action(doc, "rds:CopyDBSnapshot"));
	assert_false(has_action(doc, "kms:CreateGrant"));
	assert_false(has_action(doc, "kms:DescribeKey"));
	assert_false(has_action(doc, "sns:Publish"));
	assert_true(has_action(doc, "cloudwatch:PutMetricData"));
	json_decref(doc);

	/* replicate: false only stops, in the regions the set names (its destination is not written down) */
	policy_staging(&p[1]);
	p[1].replicate_mode = SK_REPLICATE_OFF;
	doc = build(&set, NULL);
	assert_false(has_action(doc, "rds:StartDBInstanceAutomatedBackupsReplication"));
	assert_resources(statement(doc, "StopReplication"),
			 "arn:aws:rds:us-east-1:*:auto-backup:* arn:aws:rds:us-east-1:*:db:staging-db");
	assert_false(has_action(doc, "kms:CreateGrant"));
	json_decref(doc);

	/* beside a policy that copies to us-west-2 and replicates to it: both regions, never "*" */
	policy_prod(&p[0]);
	doc = build(&set, NULL);
	assert_resources(statement(doc, "StopReplication"),
			 "arn:aws:rds:eu-west-1:*:auto-backup:* arn:aws:rds:eu-west-1:*:db:billing "
			 "arn:aws:rds:eu-west-1:*:db:orders arn:aws:rds:us-east-1:*:auto-backup:* "
			 "arn:aws:rds:us-east-1:*:db:billing arn:aws:rds:us-east-1:*:db:orders "
			 "arn:aws:rds:us-east-1:*:db:staging-db arn:aws:rds:us-west-2:*:auto-backup:*");
	{
		char *text = json_dumps(doc, 0);
		assert_null(strstr(text, "rds:*:"));
		free(text);
	}
	json_decref(doc);
}

static void test_kms_is_only_usable_through_rds(void **state)
{
	struct sk_policy p[1];
	struct sk_policyset set;
	json_t *doc, *st, *via;
	char *got;

	(void)state;
	policy_prod(&p[0]);
	set_of(&set, p, 1);
	doc = build(&set, NULL);
	st = statement(doc, "UseKmsForCopies");
	assert_resources(st, "*");
	via = json_object_get(json_object_get(json_object_get(st, "Condition"), "StringEquals"), "kms:ViaService");
	got = joined(via);
	assert_string_equal(got, "rds.eu-west-1.amazonaws.com rds.us-east-1.amazonaws.com rds.us-west-2.amazonaws.com");
	free(got);
	/* observing is confined to the regions snapkeep works in */
	st = statement(doc, "Observe");
	assert_resources(st, "*");
	got = joined(json_object_get(json_object_get(json_object_get(st, "Condition"), "StringEquals"),
				     "aws:RequestedRegion"));
	assert_string_equal(got, "eu-west-1 us-east-1 us-west-2");
	free(got);
	json_decref(doc);
}

static void test_output_is_deterministic(void **state)
{
	struct sk_policy a[3], b[3];
	struct sk_policyset sa, sb;
	json_t *da, *db;
	char *ta, *tb;

	(void)state;
	policy_prod(&a[0]);
	policy_payments(&a[1]);
	policy_staging(&a[2]);
	policy_staging(&b[0]);
	policy_prod(&b[1]);
	policy_payments(&b[2]);
	set_of(&sa, a, 3);
	set_of(&sb, b, 3);
	da = build(&sa, NULL);
	db = build(&sb, NULL);
	ta = json_dumps(da, JSON_INDENT(2));
	tb = json_dumps(db, JSON_INDENT(2));
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	json_decref(da);
	json_decref(db);
}

static void test_small_policy_document_byte_for_byte(void **state)
{
	struct sk_iam_opts o = SK_IAM_OPTS_INIT;
	struct sk_policy p;
	struct sk_policyset set;
	json_t *doc;
	char *text;

	(void)state;
	policy_staging(&p);
	p.has_snapshots = true;
	p.prefix = "stg";
	p.sns_topic_arn = "arn:aws:sns:us-east-1:111122223333:ops";
	set_of(&set, &p, 1);
	o.account = "111122223333";
	o.namespace_ = "Backups/Staging";
	doc = build(&set, &o);
	text = json_dumps(doc, JSON_COMPACT);
	assert_string_equal(
		text,
		"{\"Version\":\"2012-10-17\",\"Statement\":["
		"{\"Sid\":\"Observe\",\"Effect\":\"Allow\",\"Action\":[\"rds:DescribeDBInstances\","
		"\"rds:DescribeDBSnapshots\",\"rds:DescribeDBInstanceAutomatedBackups\"],\"Resource\":[\"*\"],"
		"\"Condition\":{\"StringEquals\":{\"aws:RequestedRegion\":[\"us-east-1\"]}}},"
		"{\"Sid\":\"ModifyInstances\",\"Effect\":\"Allow\",\"Action\":[\"rds:ModifyDBInstance\"],"
		"\"Resource\":[\"arn:aws:rds:us-east-1:111122223333:db:staging-db\"]},"
		"{\"Sid\":\"CreateSnapshots\",\"Effect\":\"Allow\",\"Action\":[\"rds:CreateDBSnapshot\"],"
		"\"Resource\":[\"arn:aws:rds:us-east-1:111122223333:db:staging-db\","
		"\"arn:aws:rds:us-east-1:111122223333:snapshot:stg-*\"]},"
		"{\"Sid\":\"TagSnapshots\",\"Effect\":\"Allow\",\"Action\":[\"rds:AddTagsToResource\"],"
		"\"Resource\":[\"arn:aws:rds:us-east-1:111122223333:snapshot:stg-*\"],"
		"\"Condition\":{\"StringEquals\":{\"aws:RequestTag/snapkeep:policy\":[\"staging\"]},"
		"\"Null\":{\"aws:RequestTag/snapkeep:instance\":\"false\",\"aws:RequestTag/snapkeep:slot\":\"false\"}}},"
		"{\"Sid\":\"DeleteOwnedSnapshots\",\"Effect\":\"Allow\",\"Action\":[\"rds:DeleteDBSnapshot\"],"
		"\"Resource\":[\"arn:aws:rds:us-east-1:111122223333:snapshot:*\"],"
		"\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/snapkeep:policy\":[\"staging\"]},"
		"\"Null\":{\"aws:ResourceTag/snapkeep:instance\":\"false\"}}},"
		"{\"Sid\":\"RestoreInstances\",\"Effect\":\"Allow\",\"Action\":[\"rds:RestoreDBInstanceFromDBSnapshot\","
		"\"rds:RestoreDBInstanceToPointInTime\"],\"Resource\":[\"arn:aws:rds:us-east-1:111122223333:auto-backup:*\","
		"\"arn:aws:rds:us-east-1:111122223333:db:*\",\"arn:aws:rds:us-east-1:111122223333:og:*\","
		"\"arn:aws:rds:us-east-1:111122223333:pg:*\",\"arn:aws:rds:us-east-1:111122223333:snapshot:*\","
		"\"arn:aws:rds:us-east-1:111122223333:subgrp:*\"],"
		"\"Condition\":{\"Null\":{\"aws:RequestTag/snapkeep:restore\":\"false\"}}},"
		"{\"Sid\":\"TagRestoredInstances\",\"Effect\":\"Allow\",\"Action\":[\"rds:AddTagsToResource\"],"
		"\"Resource\":[\"arn:aws:rds:us-east-1:111122223333:db:*\"],"
		"\"Condition\":{\"Null\":{\"aws:RequestTag/snapkeep:restore\":\"false\"}}},"
		"{\"Sid\":\"PublishAlerts\",\"Effect\":\"Allow\",\"Action\":[\"sns:Publish\"],"
		"\"Resource\":[\"arn:aws:sns:us-east-1:111122223333:ops\"]},"
		"{\"Sid\":\"PutMetrics\",\"Effect\":\"Allow\",\"Action\":[\"cloudwatch:PutMetricData\"],"
		"\"Resource\":[\"*\"],\"Condition\":{\"StringEquals\":{\"cloudwatch:namespace\":\"Backups/Staging\"}}}"
		"]}");
	free(text);
	json_decref(doc);

	/* metrics off: no PutMetrics; the default namespace otherwise */
	o.metrics = false;
	doc = build(&set, &o);
	assert_false(has_action(doc, "cloudwatch:PutMetricData"));
	json_decref(doc);
	doc = build(&set, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
				    json_object_get(statement(doc, "PutMetrics"), "Condition"), "StringEquals"),
								     "cloudwatch:namespace")),
			    "Snapkeep");
	json_decref(doc);
}

static void test_partitions_and_empty_sets(void **state)
{
	static struct sk_policy_name cn[] = { { "cn-north-1", { 0 } } };
	struct sk_policy p;
	struct sk_policyset set;
	json_t *doc = NULL;

	(void)state;
	assert_string_equal(sk_iam_partition("us-gov-west-1"), "aws-us-gov");
	assert_string_equal(sk_iam_partition("cn-northwest-1"), "aws-cn");
	assert_string_equal(sk_iam_partition("eu-central-1"), "aws");
	policy_staging(&p);
	p.regions = cn;
	set_of(&set, &p, 1);
	doc = build(&set, NULL);
	assert_resources(statement(doc, "ModifyInstances"), "arn:aws-cn:rds:cn-north-1:*:db:staging-db");
	json_decref(doc);

	doc = NULL;
	set_of(&set, NULL, 0);
	assert_int_equal(sk_iam_policy(&doc, &set, NULL), SK_ERROR);
	assert_null(doc);
	assert_non_null(strstr(sk_error_message(), "no policies"));
}

static void test_drills_restore_and_delete_only_tagged_drill_instances(void **state)
{
	struct sk_policy p[1];
	struct sk_policyset set;
	json_t *doc, *st, *res;
	char *text;

	(void)state;
	policy_prod(&p[0]);
	p[0].has_drill = true;
	set_of(&set, p, 1);
	doc = build(&set, NULL);
	check_shape(doc);
	assert_true(has_action(doc, "rds:RestoreDBInstanceFromDBSnapshot"));
	assert_true(has_action(doc, "rds:DeleteDBInstance"));
	assert_false(has_action(doc, "rds:RemoveTagsFromResource"));
	/* deletes: only drill instances, only with the drill tag */
	assert_non_null(st = statement(doc, "DeleteDrillInstances"));
	res = json_object_get(st, "Resource");
	assert_true(json_array_size(res) >= 1);
	for (size_t i = 0; i < json_array_size(res); i++) {
		const char *arn = json_string_value(json_array_get(res, i));

		assert_non_null(strstr(arn, ":db:snapkeep-drill-*"));
	}
	assert_string_equal(json_string_value(json_array_get(res, 1)), "arn:aws:rds:us-east-1:*:db:snapkeep-drill-*");
	text = json_dumps(json_object_get(st, "Condition"), JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"Null\":{\"rds:db-tag/snapkeep:drill\":\"false\"}}");
	free(text);
	/* restores: into drill instances, from the policy's own snapshots */
	assert_non_null(st = statement(doc, "RestoreDrillInstances"));
	text = json_dumps(json_object_get(st, "Resource"), JSON_COMPACT);
	assert_non_null(strstr(text, "\"arn:aws:rds:us-east-1:*:db:snapkeep-drill-*\""));
	assert_non_null(strstr(text, ":snapshot:"));
	assert_null(strstr(text, ":db:*\""));
	free(text);
	json_decref(doc);
	/* without a drill: neither */
	p[0].has_drill = false;
	doc = build(&set, NULL);
	assert_false(has_action(doc, "rds:DeleteDBInstance"));
	assert_null(statement(doc, "RestoreDrillInstances"));
	assert_null(statement(doc, "TagDrillInstances"));
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_actions_snapkeep_calls_appear),
		cmocka_unit_test(test_deletes_require_the_owner_tag),
		cmocka_unit_test(test_tagging_needs_this_sets_owner_tags),
		cmocka_unit_test(test_named_instances_get_exact_arns),
		cmocka_unit_test(test_restores_need_the_restore_tag),
		cmocka_unit_test(test_tag_selectors_are_granted_under_a_tag_condition),
		cmocka_unit_test(test_nothing_replicates_nothing_is_granted_for_it),
		cmocka_unit_test(test_kms_is_only_usable_through_rds),
		cmocka_unit_test(test_output_is_deterministic),
		cmocka_unit_test(test_small_policy_document_byte_for_byte),
		cmocka_unit_test(test_partitions_and_empty_sets),
		cmocka_unit_test(test_drills_restore_and_delete_only_tagged_drill_instances),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
