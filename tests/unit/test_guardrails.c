/*
 * test_guardrails.c - the guardrails file (specs/guardrails.c) and the
 * planner's guardrails (reconciler/planner/guardrails.c): what each one
 * refuses, what it leaves, and the deletion budget's arithmetic; and the
 * loud plans' warnings (reconciler/planner/warnings.c), on the same fixture
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
#include "common/timeutil.h"
#include "reconciler/engine/budget.h"
#include "reconciler/planner/diff.h"
#include "reconciler/planner/guardrails.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/retention.h"
#include "specs/guardrails.h"
#include "specs/policy.h"

#define ACCT "123456789012"
#define DAY 86400

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;

	assert_int_equal(sk_time_parse_rfc3339(&t, rfc3339), 0);
	return t;
}

/* now: 2026-01-20T12:00:00Z; db-1 has daily snapshots on days 1..n at 03:00 */
#define NOW "2026-01-20T12:00:00Z"

static struct sk_guardrails *guardrails(const char *rules)
{
	struct sk_guardrails *g = NULL;
	char text[2048];

	snprintf(text, sizeof(text), "apiVersion: snapkeep/v1\nkind: Guardrails\nspec:\n  rules:\n%s", rules);
	if (sk_guardrails_parse(&g, "g.yaml", text, strlen(text)) < 0)
		fail_msg("%s", sk_error_message());
	return g;
}

static struct sk_policyset *policy(const char *automated, int last)
{
	struct sk_policyset *set = NULL;
	char text[1024];

	snprintf(text, sizeof(text),
		 "apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: prod}\nspec:\n"
		 "  regions: [us-east-1]\n  selector: {instances: [db-1]}\n%s"
		 "  snapshots:\n    schedule: \"0 3 * * *\"\n    retain: {last: %d}\n    maxDeletionsPerRun: 100\n",
		 automated, last);
	if (sk_policyset_parse_buffer(&set, "prod.yaml", text, strlen(text)) < 0)
		fail_msg("%s", sk_error_message());
	return set;
}

static struct sk_inventory *inventory(int days)
{
	struct sk_inventory *inv = NULL;
	struct sk_inv_instance in;
	struct sk_aws_tag itag = { "env", "prod" };
	int d;

	assert_int_equal(sk_inventory_new(&inv), 0);
	memset(&in, 0, sizeof(in));
	in.id = "db-1";
	in.region = "us-east-1";
	in.arn = "arn:aws:rds:us-east-1:" ACCT ":db:db-1";
	in.status = "available";
	in.retention = 14;
	in.deletion_protection = true;
	in.backup_window = "03:00-04:00";
	in.tags = &itag;
	in.n_tags = 1;
	assert_non_null(sk_inventory_add_instance(inv, &in));
	for (d = 1; d <= days; d++) {
		struct sk_inv_snapshot s;
		struct sk_aws_tag tags[3];
		char id[64], slot[32];
		snprintf(id, sizeof(id), "snapkeep-db-1-202601%02d-0300", d);
		snprintf(slot, sizeof(slot), "2026-01-%02dT03:00:00Z", d);
		memset(&s, 0, sizeof(s));
		tags[0] = (struct sk_aws_tag){ "snapkeep:policy", "prod" };
		tags[1] = (struct sk_aws_tag){ "snapkeep:instance", "db-1" };
		tags[2] = (struct sk_aws_tag){ "snapkeep:slot", slot };
		s.id = id;
		s.instance = "db-1";
		s.region = "us-east-1";
		s.arn_prefix = "arn:aws:rds:us-east-1:" ACCT ":snapshot:";
		s.status_text = "available";
		s.status = (uint8_t)sk_snap_status_from("available");
		s.type = SK_SNAP_MANUAL;
		s.created = at(slot);
		s.allocated_gib = 10;
		s.tags = tags;
		s.n_tags = 3;
		assert_non_null(sk_inventory_add_snapshot(inv, &s));
	}
	inv->observed_at = at(NOW);
	return inv;
}

static const struct sk_policyset *previous_set;

static struct sk_plan *plan(const struct sk_policyset *set, const struct sk_inventory *inv,
			    const struct sk_guardrails *g, const struct sk_plan_deletion *dels, size_t n_dels)
{
	struct sk_plan_opts po = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL;

	po.now = at(NOW);
	po.previous = previous_set;
	po.guardrails = g;
	po.deletions = dels;
	po.n_deletions = n_dels;
	po.allow_mass_delete = true;
	if (sk_plan_compute(&p, set, inv, &po) < 0)
		fail_msg("%s", sk_error_message());
	return p;
}

static size_t count(const struct sk_plan *p, enum sk_action_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_actions; i++)
		n += p->actions[i].kind == k;
	return n;
}

static size_t refused_by(const struct sk_plan *p, const char *guardrail)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_refused; i++)
		n += !strcmp(p->refused[i].guardrail, guardrail);
	return n;
}

static void test_guardrails_file_errors_name_file_line_col(void **state)
{
	static const char text[] = "apiVersion: snapkeep/v1\n"
				   "kind: BackupPolicy\n"
				   "spec:\n"
				   "  rules:\n"
				   "    - minRetentionDays: 40\n"
				   "      deletionBudget: {percent: 10}\n"
				   "      minRetention: soon\n"
				   "      lowerFloor: 1\n";
	struct sk_guardrails *g = NULL;
	const char *msg;

	(void)state;
	assert_int_equal(sk_guardrails_parse(&g, "g.yaml", text, strlen(text)), SK_ERROR);
	assert_null(g);
	msg = sk_error_message();
	assert_int_equal(sk_error_last()->klass, SK_ERR_POLICY);
	assert_non_null(strstr(msg, "g.yaml:2:7: kind must be 'Guardrails'"));
	assert_non_null(strstr(msg, "g.yaml:5:25: minRetentionDays must be an integer 1..35, got '40'"));
	assert_non_null(strstr(msg, "g.yaml:6:23: deletionBudget needs a window such as 24h"));
	assert_non_null(strstr(msg, "g.yaml:7:21: minRetention must be a duration"));
	assert_non_null(strstr(msg, "g.yaml:8:7: rule: unknown key 'lowerFloor'"));
}

static void test_guardrails_file_reads_every_rule(void **state)
{
	struct sk_guardrails *g = guardrails("    - selector: {tags: {env: prod}}\n"
					     "      minRetentionDays: 7\n"
					     "      requireReplication: true\n"
					     "      minRetention: 2d12h\n"
					     "      deletionBudget: {count: 3, window: 48h}\n"
					     "    - selector: {instances: [a, b]}\n"
					     "      minCopies: 4\n");

	(void)state;
	assert_int_equal(g->n_rules, 2);
	assert_true(g->rules[0].has[SK_GR_MIN_RETENTION_DAYS] && g->rules[0].min_retention_days == 7);
	assert_true(g->rules[0].has[SK_GR_REQUIRE_REPLICATION]);
	assert_false(g->rules[0].has[SK_GR_REQUIRE_DELETION_PROTECTION]);
	assert_int_equal(g->rules[0].min_age, 2 * DAY + 12 * 3600);
	assert_int_equal(g->rules[0].budget_count, 3);
	assert_int_equal(g->rules[0].budget_window, 2 * DAY);
	assert_int_equal(g->longest_window, 2 * DAY);
	assert_int_equal(g->rules[0].at[SK_GR_MIN_RETENTION_DAYS].line, 6);
	assert_int_equal(g->rules[1].n_instances, 2);
	assert_string_equal(g->rules[1].instances[1], "b");
	assert_int_equal(g->rules[1].min_copies, 4);
	sk_guardrails_free(g);
}

static void test_guardrails_refuse_lowering_retention_and_protection(void **state)
{
	struct sk_guardrails *g = guardrails("    - minRetentionDays: 7\n"
					     "      requireDeletionProtection: true\n");
	struct sk_policyset *low = policy("  automated: {retentionDays: 3}\n", 30);
	struct sk_policyset *unprotect = policy("  automated: {retentionDays: 30, deletionProtection: false}\n", 30);
	struct sk_policyset *raise = policy("  automated: {retentionDays: 21}\n", 30);
	struct sk_inventory *inv = inventory(20);
	struct sk_plan *p;

	(void)state;
	p = plan(low, inv, g, NULL, 0);
	assert_int_equal(count(p, SK_ACTION_MODIFY), 0);
	assert_int_equal(p->n_refused, 1);
	assert_string_equal(p->refused[0].guardrail, "minRetentionDays");
	assert_string_equal(p->refused[0].message,
			    "guardrail minRetentionDays (g.yaml:5:7): backup_retention_period 14 → 3 for instance "
			    "'db-1' is below the floor of 7 days");
	assert_false(sk_plan_has_changes(p));
	sk_plan_free(p);

	p = plan(unprotect, inv, g, NULL, 0);
	assert_int_equal(count(p, SK_ACTION_MODIFY), 0);
	assert_int_equal(refused_by(p, "requireDeletionProtection"), 1);
	sk_plan_free(p);

	/* raising retention is never refused */
	p = plan(raise, inv, g, NULL, 0);
	assert_int_equal(count(p, SK_ACTION_MODIFY), 1);
	assert_int_equal(p->n_refused, 0);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(low);
	sk_policyset_free(unprotect);
	sk_policyset_free(raise);
	sk_guardrails_free(g);
}

static void test_guardrails_budget_counts_earlier_deletions_in_its_window(void **state)
{
	/* 20 owned, last 10: 10 deletions planned; budget 20% per 24h */
	struct sk_guardrails *g = guardrails("    - deletionBudget: {percent: 20, window: 24h}\n");
	struct sk_policyset *set = policy("", 10);
	struct sk_inventory *inv = inventory(20);
	struct sk_plan_deletion dels[3] = {
		{ "db-1", at("2026-01-20T01:00:00Z"), NULL },  /* in the window */
		{ "db-1", at("2026-01-19T11:00:00Z"), NULL },  /* 25 h ago: outside */
		{ "db-2", at("2026-01-20T10:00:00Z"), NULL },  /* another instance */
	};
	struct sk_plan *p;
	size_t i, kept = 0;

	(void)state;
	p = plan(set, inv, NULL, NULL, 0);
	assert_int_equal(count(p, SK_ACTION_DELETE), 10);
	sk_plan_free(p);

	/* base 20 + 0: ceil(4.0) = 4 */
	p = plan(set, inv, g, NULL, 0);
	assert_int_equal(count(p, SK_ACTION_DELETE), 4);
	assert_int_equal(refused_by(p, "deletionBudget"), 6);
	/* the oldest go first; the refused ones are kept, and say why */
	assert_string_equal(p->actions[0].target, "snapkeep-db-1-20260101-0300");
	for (i = 0; i < p->n_decisions; i++)
		if (p->decisions[i].keep & SK_KEEP_GUARDRAIL) {
			assert_false(p->decisions[i].deleted);
			kept++;
		}
	assert_int_equal(kept, 6);
	assert_int_equal(p->regions[0].manual_after, 16);
	sk_plan_free(p);

	/* one deletion in the window: base 21, ceil(4.2) = 5, 4 left; the others do not count */
	p = plan(set, inv, g, dels, 3);
	assert_int_equal(count(p, SK_ACTION_DELETE), 4);
	assert_non_null(strstr(p->refused[0].message, "has used its 5 deletions per 1d (20% of 21 owned; 1 in the "
						      "window before this plan)"));
	sk_plan_free(p);

	/* over several accounts an account's plan counts its own deletions, not another's db-1 */
	{
		struct sk_plan_deletion theirs[4] = {
			{ "db-1", at("2026-01-20T01:00:00Z"), "111111111111" },
			{ "db-1", at("2026-01-20T02:00:00Z"), "111111111111" },
			{ "db-1", at("2026-01-20T03:00:00Z"), "222222222222" },
			{ "db-1", at("2026-01-20T04:00:00Z"), NULL }, /* the caller's own */
		}, mine[4];
		size_t n = sk_budget_of_account(mine, theirs, 4, "222222222222");

		assert_int_equal(n, 1);
		assert_int_equal(mine[0].at, theirs[2].at);
		assert_int_equal(sk_budget_of_account(mine, theirs, 4, "111111111111"), 2);
		assert_int_equal(sk_budget_of_account(mine, theirs, 4, "333333333333"), 0);
		/* 222222222222's one deletion: 4 left there, as above; with all four counted only 1 would be */
		p = plan(set, inv, g, mine, sk_budget_of_account(mine, theirs, 4, "222222222222"));
		assert_int_equal(count(p, SK_ACTION_DELETE), 4);
		sk_plan_free(p);
		p = plan(set, inv, g, theirs, 4);
		assert_int_equal(count(p, SK_ACTION_DELETE), 1);
		sk_plan_free(p);
	}
	sk_inventory_free(inv);
	sk_policyset_free(set);
	sk_guardrails_free(g);
}

static void test_guardrails_min_age_and_min_kept(void **state)
{
	/* last 1 of 20: 19 deletions planned; nothing younger than 5 days, at least 8 kept */
	struct sk_guardrails *g = guardrails("    - minRetention: 5d\n"
					     "      minSnapshots: 8\n");
	struct sk_guardrails *other = guardrails("    - selector: {tags: {env: staging}}\n"
						 "      minSnapshots: 8\n");
	struct sk_policyset *set = policy("", 1);
	struct sk_inventory *inv = inventory(20);
	struct sk_plan *p;
	size_t i;

	(void)state;
	p = plan(set, inv, g, NULL, 0);
	/* days 16..19 are younger than 5 days at 01-20 12:00 (day 15 03:00 is 5d9h old) */
	assert_int_equal(refused_by(p, "minRetention"), 4);
	/* 19 - 4 = 15 candidates; 1 + 4 kept, 3 more to reach 8: the newest of them (days 13..15) */
	assert_int_equal(refused_by(p, "minSnapshots"), 3);
	assert_int_equal(count(p, SK_ACTION_DELETE), 12);
	for (i = 0; i < p->n_actions; i++)
		assert_true(strcmp(p->actions[i].target, "snapkeep-db-1-20260112-0300") <= 0);
	sk_plan_free(p);

	/* a rule whose selector does not match refuses nothing */
	p = plan(set, inv, other, NULL, 0);
	assert_int_equal(p->n_refused, 0);
	assert_int_equal(count(p, SK_ACTION_DELETE), 19);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
	sk_guardrails_free(g);
	sk_guardrails_free(other);
}

static void test_guardrails_check_stop_replication_unless_restarted(void **state)
{
	struct sk_guardrails *g = guardrails("    - requireReplication: true\n");
	struct sk_inventory *inv = inventory(1);
	struct sk_plan p;
	struct sk_action acts[2];
	char why[512];

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(acts, 0, sizeof(acts));
	acts[0].kind = SK_ACTION_STOP_REPLICATION;
	acts[0].instance = acts[0].target = "db-1";
	acts[0].region = "us-west-2";
	acts[0].source_region = "us-east-1";
	acts[1] = acts[0];
	acts[1].kind = SK_ACTION_START_REPLICATION;
	p.actions = acts;
	p.n_actions = 1;
	assert_int_equal(sk_guardrails_check(why, sizeof(why), g, &p, &acts[0], inv, at(NOW)), 1);
	assert_string_equal(why, "guardrail requireReplication (g.yaml:5:7): it stops replication of instance 'db-1' "
				 "to us-west-2, and the plan starts none again");
	/* a stop before a start (a new replica retention) keeps replication */
	p.n_actions = 2;
	assert_int_equal(sk_guardrails_check(why, sizeof(why), g, &p, &acts[0], inv, at(NOW)), 0);
	sk_inventory_free(inv);
	sk_guardrails_free(g);
}

static unsigned warned(const struct sk_plan *p)
{
	unsigned kinds = 0;
	size_t i;

	for (i = 0; i < p->n_warnings; i++)
		kinds |= 1u << p->warnings[i].kind;
	return kinds;
}

static struct sk_policyset *with_commit(struct sk_policyset *set, const char *commit)
{
	snprintf(set->commit, sizeof(set->commit), "%s", commit);
	return set;
}

static void test_warnings_name_each_dangerous_change(void **state)
{
	struct sk_policyset *quiet = policy("  automated: {retentionDays: 21}\n", 30);
	struct sk_policyset *off = policy("  automated: {retentionDays: 0, deletionProtection: false}\n", 30);
	struct sk_inventory *inv = inventory(5);
	struct sk_guardrails *g = guardrails("    - minRetentionDays: 1\n");
	struct sk_plan *p;

	(void)state;
	p = plan(quiet, inv, NULL, NULL, 0);
	assert_int_equal(p->n_warnings, 0);
	sk_plan_free(p);
	p = plan(off, inv, NULL, NULL, 0);
	assert_int_equal(warned(p), 1u << SK_WARN_RETENTION_ZERO | 1u << SK_WARN_DELETION_PROTECTION_OFF);
	assert_string_equal(p->warnings[0].message,
			    "instance 'db-1' (us-east-1): backup_retention_period 14 → 0 turns automated backups off: AWS "
			    "deletes every automated backup of it and its point-in-time window");
	assert_string_equal(sk_warning_kind_name(p->warnings[0].kind), "retention-zero");
	sk_plan_free(p);
	/* what a guardrail refused is not warned about: it will not happen */
	p = plan(off, inv, g, NULL, 0);
	assert_int_equal(p->n_refused, 1);
	assert_int_equal(p->n_warnings, 0);
	sk_plan_free(p);
	sk_guardrails_free(g);
	sk_inventory_free(inv);
	sk_policyset_free(quiet);
	sk_policyset_free(off);
}

static void test_warnings_delete_many_only_after_a_retention_change(void **state)
{
	struct sk_policyset *was = with_commit(policy("", 20), "1111111111111111111111111111111111111111");
	struct sk_policyset *same = with_commit(policy("", 10), "2222222222222222222222222222222222222222");
	struct sk_policyset *now = with_commit(policy("", 10), "3333333333333333333333333333333333333333");
	struct sk_inventory *inv = inventory(20);
	struct sk_plan *p;

	(void)state;
	/* no last applied commit: nothing to compare */
	previous_set = NULL;
	p = plan(now, inv, NULL, NULL, 0);
	assert_int_equal(count(p, SK_ACTION_DELETE), 10);
	assert_int_equal(p->n_warnings, 0);
	sk_plan_free(p);
	/* last 20 -> last 10: half of the 20 go */
	previous_set = was;
	p = plan(now, inv, NULL, NULL, 0);
	assert_int_equal(warned(p), 1u << SK_WARN_DELETE_MANY);
	assert_non_null(strstr(p->warnings[0].message, "deletes 10 of the 20 snapshots it owns of instance 'db-1'"));
	sk_plan_free(p);
	/* the same rules at the last applied commit: the deletions are not a rule change's */
	previous_set = same;
	p = plan(now, inv, NULL, NULL, 0);
	assert_int_equal(p->n_warnings, 0);
	sk_plan_free(p);
	previous_set = NULL;
	sk_inventory_free(inv);
	sk_policyset_free(was);
	sk_policyset_free(same);
	sk_policyset_free(now);
}

static void test_warnings_name_what_the_repository_dropped(void **state)
{
	static const char two[] = "apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: prod}\nspec:\n"
				  "  regions: [us-east-1]\n  selector: {instances: [db-1]}\n"
				  "  snapshots: {schedule: \"0 3 * * *\", retain: {last: 30}}\n---\n"
				  "apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: gone}\nspec:\n"
				  "  regions: [us-east-1]\n  selector: {instances: [db-1]}\n"
				  "  automated: {retentionDays: 14}\n";
	static const char none[] = "apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: prod}\nspec:\n"
				   "  regions: [us-east-1]\n  selector: {tags: {env: staging}}\n"
				   "  snapshots: {schedule: \"0 3 * * *\", retain: {last: 30}}\n";
	struct sk_policyset *was = NULL, *now = NULL;
	struct sk_inventory *inv = inventory(4);
	struct sk_plan *p;

	(void)state;
	assert_int_equal(sk_policyset_parse_buffer(&was, "p.yaml", two, strlen(two)), 0);
	assert_int_equal(sk_policyset_parse_buffer(&now, "p.yaml", none, strlen(none)), 0);
	with_commit(was, "1111111111111111111111111111111111111111");
	with_commit(now, "2222222222222222222222222222222222222222");
	previous_set = was;
	p = plan(now, inv, NULL, NULL, 0);
	assert_int_equal(warned(p), 1u << SK_WARN_POLICY_REMOVED | 1u << SK_WARN_INSTANCE_REMOVED);
	assert_string_equal(p->warnings[1].message,
			    "policy 'gone' of the last applied commit 111111111111 is gone: nothing manages its "
			    "instances' backups any more (their settings stay as they are)");
	assert_string_equal(p->warnings[0].message,
			    "instance 'db-1' (us-east-1) was selected by policy 'prod' at the last applied commit "
			    "111111111111 and is no more: its 4 snapshots are orphaned, not deleted, and it gets no new "
			    "ones");
	assert_int_equal(count(p, SK_ACTION_DELETE), 0);
	sk_plan_free(p);
	previous_set = NULL;
	sk_inventory_free(inv);
	sk_policyset_free(was);
	sk_policyset_free(now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guardrails_file_errors_name_file_line_col),
		cmocka_unit_test(test_guardrails_file_reads_every_rule),
		cmocka_unit_test(test_guardrails_refuse_lowering_retention_and_protection),
		cmocka_unit_test(test_guardrails_budget_counts_earlier_deletions_in_its_window),
		cmocka_unit_test(test_guardrails_min_age_and_min_kept),
		cmocka_unit_test(test_guardrails_check_stop_replication_unless_restarted),
		cmocka_unit_test(test_warnings_name_each_dangerous_change),
		cmocka_unit_test(test_warnings_delete_many_only_after_a_retention_change),
		cmocka_unit_test(test_warnings_name_what_the_repository_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
