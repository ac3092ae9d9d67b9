/*
 * test_plan.c - the planner (reconciler/planner/diff.c, lifecycle.c, plan.c,
 * render.c) and what plans need of the snapkeep-inventory/v1 reader
 * (reconciler/planner/inventory_json.c)
 *
 * The golden plans (tests/e2e/t0520) show whole plans; these hold the
 * properties a table of cases cannot: a plan does not depend on the order
 * the inventory lists things in, a plan read back from its JSON keeps its
 * actions, and the streaming reader reads elements cut across its buffer.
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
#include <jansson.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/planner/inventory_json.h"
#include "reconciler/planner/diff.h"
#include "reconciler/planner/ownership.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/render.h"
#include "reconciler/planner/retention.h"
#include "specs/policy.h"

#define ACCT "123456789012"

static const char *const POLICY = "apiVersion: snapkeep/v1\n"
				  "kind: BackupPolicy\n"
				  "metadata: {name: prod}\n"
				  "spec:\n"
				  "  regions: [us-east-1]\n"
				  "  selector: {tags: {env: prod}}\n"
				  "  snapshots:\n"
				  "    schedule: \"0 3 * * *\"\n"
				  "    tags: {Team: sre}\n"
				  "    retain: {daily: 3, weekly: 2}\n"
				  "    maxDeletionsPerRun: %d\n"
				  "    copies:\n"
				  "      - region: us-west-2\n"
				  "        kmsKeyId: alias/dr\n"
				  "        retain: {last: 2}\n";

static struct sk_policyset *policies(int max_deletions)
{
	struct sk_policyset *set = NULL;
	char text[1024];

	snprintf(text, sizeof(text), POLICY, max_deletions);
	assert_int_equal(sk_policyset_parse_buffer(&set, "prod.yaml", text, strlen(text)), 0);
	return set;
}

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;

	assert_int_equal(sk_time_parse_rfc3339(&t, rfc3339), 0);
	return t;
}

/* a snapshot of instance i, day d of January 2026; copies go to us-west-2 */
static void add_snapshot(struct sk_inventory *inv, int i, int d, bool copy, const char *status)
{
	struct sk_inv_snapshot s;
	struct sk_aws_tag tags[4];
	char inst[32], id[96], arn[160], src[160], slot[32], created[32];

	snprintf(inst, sizeof(inst), "db-%d", i);
	snprintf(id, sizeof(id), "snapkeep-%s-202601%02d-0300%s", inst, d, copy ? "-us-east-1" : "");
	snprintf(arn, sizeof(arn), "arn:aws:rds:%s:" ACCT ":snapshot:%s", copy ? "us-west-2" : "us-east-1", id);
	snprintf(src, sizeof(src), "arn:aws:rds:us-east-1:" ACCT ":snapshot:snapkeep-%s-202601%02d-0300", inst, d);
	snprintf(slot, sizeof(slot), "2026-01-%02dT03:00:00Z", d);
	memset(&s, 0, sizeof(s));
	tags[0].key = "snapkeep:policy";
	tags[0].value = "prod";
	tags[1].key = "snapkeep:instance";
	tags[1].value = inst;
	tags[2].key = "snapkeep:slot";
	tags[2].value = slot;
	tags[3].key = "snapkeep:source";
	tags[3].value = src;
	s.id = id;
	s.arn = arn;
	s.instance = inst;
	s.region = copy ? "us-west-2" : "us-east-1";
	s.status_text = status;
	s.status = (uint8_t)sk_snap_status_from(status);
	s.type = SK_SNAP_MANUAL;
	snprintf(created, sizeof(created), "2026-01-%02dT03:%02d:00Z", d, i % 7);
	s.created = strcmp(status, "available") ? 0 : at(created);
	s.original_created = at(created);
	s.allocated_gib = 10 + (uint32_t)i;
	s.tags = tags;
	s.n_tags = copy ? 4 : 3;
	assert_non_null(sk_inventory_add_snapshot(inv, &s));
}

static void add_instance(struct sk_inventory *inv, int i)
{
	struct sk_inv_instance in;
	struct sk_aws_tag tag = { "env", "prod" };
	char id[32], arn[96];

	snprintf(id, sizeof(id), "db-%d", i);
	snprintf(arn, sizeof(arn), "arn:aws:rds:us-east-1:" ACCT ":db:%s", id);
	memset(&in, 0, sizeof(in));
	in.id = id;
	in.region = "us-east-1";
	in.arn = arn;
	in.status = "available";
	in.allocated_gib = 10 + i;
	in.tags = &tag;
	in.n_tags = 1;
	assert_non_null(sk_inventory_add_instance(inv, &in));
}

/* every (instance, day 1..11, source or copy) once, in an order drawn from seed (0: in order) */
static struct sk_inventory *inventory(unsigned seed)
{
	struct sk_inventory *inv = NULL;
	int order[4 * 22], n = 0, k;

	assert_int_equal(sk_inventory_new(&inv), 0);
	assert_int_equal(sk_inventory_add_region(inv, "us-west-2"), 0);
	for (k = 0; k < 4 * 22; k++)
		order[n++] = k;
	if (seed) {
		srand(seed);
		for (k = n - 1; k > 0; k--) {
			int j = rand() % (k + 1), tmp = order[k];
			order[k] = order[j];
			order[j] = tmp;
		}
	}
	for (k = 0; k < 4; k++)
		add_instance(inv, seed ? 3 - k : k);
	for (k = 0; k < n; k++) {
		int i = order[k] / 22, d = 1 + order[k] % 22 / 2;
		bool copy = order[k] % 2;
		/* a pending copy and a creating source make the safety rules work too */
		const char *status = copy && d == 9 && i == 1 ? "pending" : !copy && d == 11 && i == 2 ? "creating"
													   : "available";
		if (copy && d < 6)
			continue;
		add_snapshot(inv, i, d, copy, status);
	}
	inv->observed_at = at("2026-01-12T03:30:00Z");
	sk_inventory_sort(inv);
	return inv;
}

static char *plan_text(const struct sk_policyset *set, const struct sk_inventory *inv, bool json)
{
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL;
	struct sk_render_opts ro = { false, true };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	if (json)
		assert_int_equal(sk_plan_write_json(p, f, true), 0);
	else
		sk_plan_render_text(p, f, &ro);
	fclose(f);
	sk_plan_free(p);
	return text;
}

static void test_plan_does_not_depend_on_inventory_order(void **state)
{
	struct sk_policyset *set = policies(50);
	struct sk_inventory *base = inventory(0);
	char *want_json = plan_text(set, base, true), *want_text = plan_text(set, base, false);
	unsigned seed;

	(void)state;
	/* the plan has something of every kind to show */
	assert_non_null(strstr(want_json, "\"action\": \"create\""));
	assert_non_null(strstr(want_json, "\"action\": \"copy\""));
	assert_non_null(strstr(want_json, "\"action\": \"delete\""));
	assert_non_null(strstr(want_json, "copy-pending"));
	assert_non_null(strstr(want_json, "not-available"));
	for (seed = 1; seed <= 8; seed++) {
		struct sk_inventory *inv = inventory(seed);
		char *json = plan_text(set, inv, true), *text = plan_text(set, inv, false);
		assert_string_equal(json, want_json);
		assert_string_equal(text, want_text);
		free(json);
		free(text);
		sk_inventory_free(inv);
	}
	free(want_json);
	free(want_text);
	sk_inventory_free(base);
	sk_policyset_free(set);
}

static void test_plan_json_round_trip_keeps_actions(void **state)
{
	struct sk_policyset *set = policies(50);
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL, *back = NULL;
	json_t *j, *j2;
	size_t i;

	(void)state;
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	o.basis = true;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	assert_true(p->n_actions > 5);
	assert_int_equal(strlen(p->fingerprint), 64);
	j = sk_plan_to_json(p, false);
	assert_int_equal(sk_plan_from_json(&back, j), 0);
	assert_int_equal(back->n_actions, p->n_actions);
	assert_string_equal(back->fingerprint, p->fingerprint);
	for (i = 0; i < p->n_actions; i++) {
		assert_int_equal(back->actions[i].kind, p->actions[i].kind);
		assert_string_equal(back->actions[i].target, p->actions[i].target);
		assert_int_equal(back->actions[i].keep, p->actions[i].keep);
		assert_int_equal(back->actions[i].n_tags, p->actions[i].n_tags);
	}
	j2 = sk_plan_to_json(back, false);
	assert_true(json_equal(json_object_get(j, "actions"), json_object_get(j2, "actions")));
	json_decref(j);
	json_decref(j2);
	sk_plan_free(back);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

static void test_plan_marks_a_suspended_policys_actions_and_leaves_excluded_instances_out(void **state)
{
	static const char *const text = "apiVersion: snapkeep/v1\n"
					"kind: BackupPolicy\n"
					"metadata: {name: prod}\n"
					"spec:\n"
					"  regions: [us-east-1]\n"
					"  selector:\n"
					"    tags: {env: prod}\n"
					"    exclude: {instances: [db-1], tags: {Purpose: restore-test}}\n"
					"  suspend: true\n"
					"  snapshots:\n"
					"    schedule: \"0 3 * * *\"\n"
					"    retain: {daily: 3, weekly: 2}\n";
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL, *back = NULL;
	struct sk_plan_counts c;
	struct sk_render_opts ro = { false, false };
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;
	json_t *j;

	(void)state;
	assert_int_equal(sk_policyset_parse_buffer(&set, "prod.yaml", text, strlen(text)), 0);
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	assert_true(p->n_actions > 3);
	for (i = 0; i < p->n_actions; i++) {
		assert_true(p->actions[i].suspended);
		assert_string_not_equal(p->actions[i].instance, "db-1");
	}
	assert_int_equal(p->policies[0].n_instances, 3);
	sk_plan_count(p, &c);
	assert_int_equal(c.suspended, p->n_actions);
	assert_int_equal(c.create + c.change + c.remove, p->n_actions);
	/* the text says so per action and in the summary; JSON keeps it through a saved plan */
	assert_non_null(f = open_memstream(&out, &len));
	sk_plan_render_text(p, f, &ro);
	fclose(f);
	assert_non_null(strstr(out, "      Suspended: the policy says spec.suspend: true; apply makes no call\n"));
	assert_non_null(strstr(out, "of them suspended (spec.suspend): apply makes none of those."));
	j = sk_plan_to_json(p, false);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "suspended")),
			 (json_int_t)p->n_actions);
	assert_int_equal(sk_plan_from_json(&back, j), 0);
	for (i = 0; i < back->n_actions; i++)
		assert_true(back->actions[i].suspended);
	json_decref(j);
	free(out);
	sk_plan_free(back);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

/* an on-demand snapshot of db-0 taken on 2 January, held until 1 February */
static void add_ondemand(struct sk_inventory *inv)
{
	struct sk_inv_snapshot s;
	struct sk_aws_tag tags[4] = { { "snapkeep:policy", "prod" },
				      { "snapkeep:instance", "db-0" },
				      { "snapkeep:slot", "2026-01-02T12:00:00Z" },
				      { SK_TAG_KEEP_UNTIL, "2026-02-01T00:00:00Z" } };

	memset(&s, 0, sizeof(s));
	s.id = "snapkeep-db-0-20260102-120000-ondemand";
	s.arn = "arn:aws:rds:us-east-1:" ACCT ":snapshot:snapkeep-db-0-20260102-120000-ondemand";
	s.instance = "db-0";
	s.region = "us-east-1";
	s.status_text = "available";
	s.status = (uint8_t)sk_snap_status_from("available");
	s.type = SK_SNAP_MANUAL;
	s.created = s.original_created = at("2026-01-02T12:00:00Z");
	s.allocated_gib = 10;
	s.tags = tags;
	s.n_tags = 4;
	assert_non_null(sk_inventory_add_snapshot(inv, &s));
}

static void test_plan_keeps_a_snapshot_until_its_keep_until_and_then_judges_it(void **state)
{
	struct sk_policyset *set = policies(50);
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	const char *id = "snapkeep-db-0-20260102-120000-ondemand";
	struct sk_plan *p = NULL;
	bool decided = false, deleted = false;
	size_t i;

	(void)state;
	add_ondemand(inv);
	sk_inventory_sort(inv);
	assert_int_equal(sk_tags_keep_until((const struct sk_aws_tag[]){ { SK_TAG_KEEP_UNTIL, "2026-02-01T00:00:00Z" } },
					    1),
			 at("2026-02-01T00:00:00Z"));
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	for (i = 0; i < p->n_decisions; i++)
		if (!strcmp(p->decisions[i].snap->id, id)) {
			decided = true;
			/* held: out of the rules (daily 3, weekly 2 would not keep 2 January), kept for its date */
			assert_int_equal(p->decisions[i].keep, SK_KEEP_UNTIL);
			assert_false(p->decisions[i].deleted);
		}
	assert_true(decided);
	/* the rules still delete older scheduled snapshots around it */
	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == SK_ACTION_DELETE && !strcmp(p->actions[i].instance, "db-0"))
			deleted = true;
	assert_true(deleted);
	sk_plan_free(p);
	/* after its date: an owned snapshot like any other, which the rules let go */
	o.now = at("2026-02-02T03:30:00Z");
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	deleted = false;
	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == SK_ACTION_DELETE && !strcmp(p->actions[i].target, id))
			deleted = true;
	assert_true(deleted);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

static void test_plan_names_its_signer_only_when_a_signature_was_verified(void **state)
{
	struct sk_policyset *set = policies(5);
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_render_opts ro = { false, false };
	struct sk_plan *p = NULL, *back = NULL;
	char *text = NULL, *again = NULL;
	size_t len = 0;
	json_t *j;
	FILE *f;

	(void)state;
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	/* no signature required: nothing is said, the JSON has no member */
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	f = open_memstream(&text, &len);
	sk_plan_render_text(p, f, &ro);
	fclose(f);
	assert_null(strstr(text, "Signed by"));
	free(text);
	j = sk_plan_to_json(p, false);
	assert_null(json_object_get(j, "signer"));
	json_decref(j);
	sk_plan_free(p);

	sk_strlcpy(set->signer.format, "openpgp", sizeof(set->signer.format));
	sk_strlcpy(set->signer.name, "Alice <alice@example.com>", sizeof(set->signer.name));
	sk_strlcpy(set->signer.key, "56D4DB7F674E23DA4D6E5AC157B04924416CB485", sizeof(set->signer.key));
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	f = open_memstream(&text, &len);
	sk_plan_render_text(p, f, &ro);
	fclose(f);
	assert_non_null(strstr(text, "Signed by Alice <alice@example.com> (openpgp key "
				     "56D4DB7F674E23DA4D6E5AC157B04924416CB485), verified.\nPlanned at "));
	j = sk_plan_to_json(p, false);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "signer"), "name")),
			    "Alice <alice@example.com>");
	/* a saved plan reads it back, and shows it as it was planned */
	assert_int_equal(sk_plan_from_json(&back, j), 0);
	assert_string_equal(back->signer.key, p->signer.key);
	f = open_memstream(&again, &len);
	sk_plan_render_text(back, f, &ro);
	fclose(f);
	assert_string_equal(again, text);
	sk_plan_free(back);
	/* a signer without its key is not one */
	json_object_del(json_object_get(j, "signer"), "key");
	assert_int_equal(sk_plan_from_json(&back, j), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "\"signer\""));
	free(text);
	free(again);
	json_decref(j);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

static void test_plan_max_deletions_zero_deletes_nothing(void **state)
{
	struct sk_policyset *set = policies(0);
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL;
	struct sk_plan_counts c;
	size_t i, deferred = 0;

	(void)state;
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	sk_plan_count(p, &c);
	assert_int_equal(c.remove, 0);
	assert_true(c.create > 0);
	for (i = 0; i < p->n_decisions; i++) {
		assert_false(p->decisions[i].deleted);
		deferred += (p->decisions[i].keep & SK_KEEP_MAX_DELETIONS) != 0;
	}
	assert_true(deferred > 0);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

/* what apply and the state file read from the plan: explicit dependencies and per-instance summaries */
/*
 * Two accounts with the same inventory (the same instance names): one plan
 * of two parts, each action naming its account, dependencies and groups
 * renumbered into their own part, and the account not observed named.
 */
static void test_plan_over_accounts_keeps_each_accounts_actions_apart(void **state)
{
	struct sk_policyset *set = policies(50);
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *one = NULL, *a = NULL, *b = NULL, *all = NULL;
	char *text = NULL;
	size_t len = 0, i, n;
	FILE *f;
	json_t *j;

	(void)state;
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	assert_int_equal(sk_plan_compute(&one, set, inv, &o), 0);
	assert_int_equal(sk_plan_compute(&a, set, inv, &o), 0);
	assert_int_equal(sk_plan_compute(&b, set, inv, &o), 0);
	n = one->n_actions;
	assert_true(n > 5);
	assert_int_equal(sk_plan_new(&all), 0);
	assert_int_equal(sk_plan_absorb(all, a, "111111111111"), 0);
	assert_int_equal(sk_plan_absorb(all, b, "222222222222"), 0);
	assert_int_equal(sk_plan_add_unobserved(all, "333333333333", "sts AssumeRole: AccessDenied"), 0);
	assert_int_equal(all->n_actions, 2 * n);
	assert_int_equal(all->n_instances, 2 * one->n_instances);
	assert_int_equal(all->n_parts, 2);
	assert_string_equal(all->commit, one->commit);
	for (i = 0; i < n; i++) {
		const struct sk_action *x = &all->actions[i], *y = &all->actions[n + i];
		const struct sk_plan_instance *px = NULL, *py = NULL;
		assert_string_equal(x->account, "111111111111");
		assert_string_equal(y->account, "222222222222");
		assert_string_equal(x->target, y->target);
		/* the part still holds the account's own plan, what apply makes with the account's client */
		assert_ptr_equal(sk_plan_part_of(all, i)->plan, a);
		assert_ptr_equal(sk_plan_part_of(all, n + i)->plan, b);
		assert_string_equal(a->actions[i].account, "111111111111");
		if (one->actions[i].depends_on) {
			assert_int_equal(x->depends_on, one->actions[i].depends_on);
			assert_int_equal(y->depends_on, one->actions[i].depends_on + n);
			assert_string_equal(all->actions[y->depends_on - 1].account, "222222222222");
		}
		if (one->actions[i].group) {
			assert_non_null(sk_plan_group_place(all, x->group, &px));
			assert_non_null(sk_plan_group_place(all, y->group, &py));
			assert_string_equal(px->account, "111111111111");
			assert_string_equal(py->account, "222222222222");
			assert_string_equal(px->instance, py->instance);
		}
	}
	assert_null(sk_plan_part_of(all, 2 * n));

	f = open_memstream(&text, &len);
	assert_non_null(f);
	sk_plan_render_text(all, f, NULL);
	fclose(f);
	assert_non_null(strstr(text, ", account 111111111111)"));
	assert_non_null(strstr(text, ", account 222222222222)"));
	assert_non_null(strstr(text, "Account 333333333333 was not observed: sts AssumeRole: AccessDenied"));
	assert_non_null(strstr(text, "Snapshots in us-west-2 (account 222222222222)"));
	free(text);
	j = sk_plan_to_json(all, false);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "actions"), n), "account")),
			    "222222222222");
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "accounts"), "observed")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(j, "accounts"),
												"notObserved"), 0), "account")),
			    "333333333333");
	json_decref(j);
	/* each snapshot decision names the account it was made in, walked in order or not */
	assert_true(one->n_decisions > 0);
	assert_int_equal(all->n_decisions, 2 * one->n_decisions);
	j = sk_plan_to_json(all, true);
	assert_non_null(j);
	for (i = 0; i < all->n_decisions; i++) {
		json_t *d = json_array_get(json_object_get(j, "snapshots"), i);
		assert_string_equal(json_string_value(json_object_get(d, "account")),
				    i < one->n_decisions ? "111111111111" : "222222222222");
		assert_string_equal(json_string_value(json_object_get(d, "id")),
				    one->decisions[i % one->n_decisions].snap->id);
	}
	json_decref(j);
	n = 1; /* a cursor left in the second part still finds the first */
	assert_string_equal(sk_plan_decision_account(all, 0, &n), "111111111111");
	assert_string_equal(sk_plan_decision_account(all, all->n_decisions - 1, &n), "222222222222");
	assert_int_equal(n, 1);
	assert_string_equal(sk_plan_decision_account(all, one->n_decisions - 1, &n), "111111111111");
	assert_int_equal(n, 0);
	/* a single account's plan is as it was: no account anywhere */
	n = 0;
	assert_null(sk_plan_decision_account(one, 0, &n));
	j = sk_plan_to_json(one, true);
	assert_null(json_object_get(j, "accounts"));
	assert_null(json_object_get(json_array_get(json_object_get(j, "actions"), 0), "account"));
	assert_null(json_object_get(json_array_get(json_object_get(j, "snapshots"), 0), "account"));
	json_decref(j);
	sk_plan_free(all);
	sk_plan_free(one);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

/* two accounts' plans of inventories a and b (each planned with its basis) in one, absorbed in the order given */
static struct sk_plan *two_accounts(struct sk_policyset *set, struct sk_inventory *a, struct sk_inventory *b,
				    bool swapped, bool basis)
{
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *pa = NULL, *pb = NULL, *all = NULL;

	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	o.basis = basis;
	assert_int_equal(sk_plan_compute(&pa, set, a, &o), 0);
	assert_int_equal(sk_plan_compute(&pb, set, b, &o), 0);
	assert_int_equal(sk_plan_new(&all), 0);
	assert_int_equal(sk_plan_absorb(all, swapped ? pb : pa, swapped ? "222222222222" : "111111111111"), 0);
	assert_int_equal(sk_plan_absorb(all, swapped ? pa : pb, swapped ? "111111111111" : "222222222222"), 0);
	return all;
}

/* the lines of text that start with prefix */
static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0;
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += !strncmp(p, prefix, strlen(prefix));
	return n;
}

/*
 * A plan over several accounts has one fingerprint of live state over
 * every account: the same whatever order the parts were absorbed in and
 * each time it is made; another when one account's live state differs, or
 * one account was not observed; its basis names each line's account.
 */
static void test_plan_fingerprint_over_accounts(void **state)
{
	struct sk_policyset *set = policies(50);
	struct sk_inventory *inv = inventory(0), *other = inventory(0);
	struct sk_plan *p1, *p2, *p3, *changed, *no_basis, *back = NULL;
	size_t n_lines;
	json_t *j;

	(void)state;
	/* the other account: one snapshot failed since */
	for (size_t i = 0; i < other->n_snapshots; i++)
		if (!strcmp(other->snapshots[i].id, "snapkeep-db-0-20260110-0300")) {
			other->snapshots[i].status = SK_SNAP_FAILED;
			other->snapshots[i].status_text = "failed";
		}
	p1 = two_accounts(set, inv, inv, false, true);
	p2 = two_accounts(set, inv, inv, true, true);
	p3 = two_accounts(set, inv, inv, false, true);
	changed = two_accounts(set, inv, other, false, true);
	assert_int_equal(sk_plan_fingerprint_parts(p1), 0);
	assert_int_equal(sk_plan_fingerprint_parts(p2), 0);
	assert_int_equal(sk_plan_fingerprint_parts(p3), 0);
	assert_int_equal(sk_plan_fingerprint_parts(changed), 0);
	assert_int_equal(strlen(p1->fingerprint), 64);
	/* not one account's: the part's own fingerprint is kept, the whole's is another */
	assert_string_not_equal(p1->fingerprint, p1->parts[0].plan->fingerprint);
	assert_string_equal(p1->fingerprint, p3->fingerprint);
	assert_string_equal(p1->fingerprint, p2->fingerprint);
	assert_string_equal(p1->basis, p2->basis);
	assert_string_not_equal(p1->fingerprint, changed->fingerprint);
	/* each account's lines, named: the changed account's differ, the other's do not */
	n_lines = count_lines(p1->parts[0].plan->basis, "");
	assert_true(n_lines > 4);
	assert_int_equal(count_lines(p1->basis, "account 111111111111: "), n_lines);
	assert_int_equal(count_lines(p1->basis, "account 222222222222: "), n_lines);
	assert_int_equal(count_lines(p1->basis, ""), 2 * n_lines);
	assert_non_null(strstr(changed->basis, "account 222222222222: snapshot us-east-1/snapkeep-db-0-20260110-0300 "
					       "status=failed "));
	assert_non_null(strstr(changed->basis, "account 111111111111: snapshot us-east-1/snapkeep-db-0-20260110-0300 "
					       "status=available "));
	assert_null(strstr(changed->basis, "account 111111111111: snapshot us-east-1/snapkeep-db-0-20260110-0300 "
					   "status=failed "));
	/* an account not observed is part of it too */
	assert_int_equal(sk_plan_add_unobserved(p3, "333333333333", "sts AssumeRole: AccessDenied"), 0);
	assert_int_equal(sk_plan_fingerprint_parts(p3), 0);
	assert_string_not_equal(p1->fingerprint, p3->fingerprint);
	assert_non_null(strstr(p3->basis, "account 333333333333: not observed\n"));
	assert_int_equal(count_lines(p3->basis, ""), 2 * n_lines + 1);
	/* parts planned without their basis have nothing to combine */
	no_basis = two_accounts(set, inv, inv, false, false);
	assert_int_equal(sk_plan_fingerprint_parts(no_basis), -1);
	assert_int_equal(sk_error_last()->klass, SK_ERR_PLAN);
	assert_non_null(strstr(sk_error_message(), "account 111111111111"));
	assert_string_equal(no_basis->fingerprint, "");
	/* read back (a saved plan shown): the fingerprint, the basis and each account named */
	j = sk_plan_to_json(p1, false);
	assert_non_null(j);
	assert_int_equal(sk_plan_from_json(&back, j), 0);
	assert_string_equal(back->fingerprint, p1->fingerprint);
	assert_string_equal(back->basis, p1->basis);
	assert_int_equal(back->n_parts, 2);
	assert_string_equal(back->parts[1].account, "222222222222");
	assert_null(back->parts[1].plan);
	assert_null(sk_plan_part_of(back, 0));
	assert_int_equal(back->n_regions, p1->n_regions);
	assert_string_equal(back->regions[back->n_regions - 1].account, "222222222222");
	assert_int_equal(back->n_notes, p1->n_notes);
	assert_true(back->n_notes > 0);
	assert_string_equal(back->notes[0].account, "111111111111");
	assert_string_equal(back->policies[1].account, "222222222222");
	sk_plan_free(back);
	json_decref(j);
	sk_plan_free(no_basis);
	sk_plan_free(changed);
	sk_plan_free(p3);
	sk_plan_free(p2);
	sk_plan_free(p1);
	sk_inventory_free(other);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

static void test_plan_records_dependencies_and_what_it_leaves(void **state)
{
	struct sk_policyset *set = policies(50);
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL;
	size_t i, k, copies_of_creates = 0, deletes = 0;

	(void)state;
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *a = &p->actions[i];
		const struct sk_plan_instance *pi = NULL;
		const struct sk_plan_place *pl = sk_plan_group_place(p, a->group, &pi);
		if (a->kind != SK_ACTION_CREATE && a->kind != SK_ACTION_COPY && a->kind != SK_ACTION_DELETE) {
			assert_int_equal(a->group, 0);
			continue;
		}
		/* every snapshot action belongs to the place of its (policy, instance, region) */
		assert_non_null(pl);
		assert_string_equal(pl->region, a->region);
		assert_string_equal(pi->instance, a->instance);
		assert_string_equal(pi->policy, a->policy);
		if (a->kind == SK_ACTION_DELETE)
			deletes++;
		if (a->kind == SK_ACTION_COPY && a->source_created == 0) {
			/* the source is made in this run: the copy names that create */
			const struct sk_action *c;
			assert_true(a->depends_on > 0 && a->depends_on <= i);
			c = &p->actions[a->depends_on - 1];
			assert_int_equal(c->kind, SK_ACTION_CREATE);
			assert_string_equal(c->target, a->source_snapshot);
			assert_string_equal(c->region, a->source_region);
			copies_of_creates++;
		} else {
			assert_int_equal(a->depends_on, 0);
		}
	}
	assert_true(copies_of_creates > 0);
	assert_true(deletes > 0);

	/* one summary per (policy, instance), its figures those of the decisions and actions */
	assert_int_equal(p->n_instances, 4);
	for (k = 0; k < p->n_instances; k++) {
		const struct sk_plan_instance *pi = &p->instances[k];
		const struct sk_plan_place *places[2] = { &pi->own, &pi->copies[0] };
		size_t pl;
		assert_int_equal(pi->n_copies, 1);
		assert_string_equal(pi->own.region, "us-east-1");
		assert_string_equal(pi->copies[0].region, "us-west-2");
		for (pl = 0; pl < 2; pl++) {
			size_t kept = 0, made = 0;
			const struct sk_inv_snapshot *newest = NULL;
			for (i = 0; i < p->n_decisions; i++) {
				const struct sk_decision *d = &p->decisions[i];
				if (strcmp(d->snap->instance, pi->instance) || strcmp(d->snap->region, places[pl]->region) ||
				    !d->keep)
					continue;
				kept++;
				if (d->snap->status == SK_SNAP_AVAILABLE &&
				    (!newest || d->snap->original_created > newest->original_created))
					newest = d->snap;
			}
			for (i = 0; i < p->n_actions; i++)
				made += (p->actions[i].kind == SK_ACTION_CREATE || p->actions[i].kind == SK_ACTION_COPY) &&
					!strcmp(p->actions[i].instance, pi->instance) &&
					!strcmp(p->actions[i].region, places[pl]->region);
			assert_int_equal(places[pl]->kept, kept);
			assert_int_equal(places[pl]->made, made);
			assert_non_null(newest);
			assert_non_null(places[pl]->newest);
			assert_string_equal(places[pl]->newest, newest->id);
		}
	}
	/* db-2's day-11 snapshot is still being created: its newest available is day 10's */
	for (k = 0; k < p->n_instances && strcmp(p->instances[k].instance, "db-2"); k++)
		;
	assert_true(k < p->n_instances);
	assert_string_equal(p->instances[k].own.newest, "snapkeep-db-2-20260110-0300");
	assert_int_equal(p->instances[k].own.made, 1);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

/* the plan says what each policy selects, and a policy that selects nothing is never "matching" */
static void test_plan_names_a_policy_that_selects_nothing(void **state)
{
	static const char *const text = "apiVersion: snapkeep/v1\n"
					"kind: BackupPolicy\n"
					"metadata: {name: prod}\n"
					"spec:\n"
					"  regions: [us-east-1]\n"
					"  selector: {tags: {env: prod}}\n"
					"  automated: {copyTagsToSnapshot: false}\n"
					"---\n"
					"apiVersion: snapkeep/v1\n"
					"kind: BackupPolicy\n"
					"metadata: {name: ghost}\n"
					"spec:\n"
					"  regions: [us-east-1]\n"
					"  selector: {tags: {env: prod, team: ghost}}\n"
					"  snapshots: {schedule: \"0 3 * * *\"}\n";
	const char *const west[] = { "us-west-2" };
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL, *back = NULL;
	struct sk_render_opts ro = { false, false };
	char *out = NULL;
	size_t len = 0, i, warnings = 0;
	FILE *f;
	json_t *j;

	(void)state;
	assert_int_equal(sk_policyset_parse_buffer(&set, "two.yaml", text, strlen(text)), 0);
	o.now = at("2026-01-12T03:30:00Z");
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	assert_false(sk_plan_has_changes(p));
	assert_int_equal(p->n_policies, 2);
	assert_string_equal(p->policies[0].name, "prod");
	assert_int_equal(p->policies[0].n_regions, 1);
	assert_string_equal(p->policies[0].regions[0], "us-east-1");
	assert_int_equal(p->policies[0].n_instances, 4);
	for (i = 0; i < 4; i++) {
		char id[16];
		snprintf(id, sizeof(id), "db-%zu", i);
		assert_string_equal(p->policies[0].instances[i].instance, id);
		assert_string_equal(p->policies[0].instances[i].region, "us-east-1");
	}
	assert_false(sk_plan_policy_selects_nothing(&p->policies[0]));
	assert_string_equal(p->policies[1].name, "ghost");
	assert_int_equal(p->policies[1].n_instances, 0);
	assert_true(sk_plan_policy_selects_nothing(&p->policies[1]));
	assert_int_equal(sk_plan_count_selecting_nothing(p), 1);
	for (i = 0; i < p->n_notes; i++)
		if (p->notes[i].kind == SK_NOTE_WARNING) {
			warnings++;
			assert_string_equal(p->notes[i].message,
					    "policy 'ghost' selects no instance in us-east-1: no instance there carries the "
					    "tags env=prod, team=ghost, so the policy protects no database");
		}
	assert_int_equal(warnings, 1);

	/* the text never says the backups match; neither does a saved plan read back */
	f = open_memstream(&out, &len);
	sk_plan_render_text(p, f, &ro);
	fclose(f);
	assert_non_null(strstr(out, "No changes, but policy 'ghost' selects no instance: it protects no database."));
	assert_null(strstr(out, "match the policy"));
	free(out);
	j = sk_plan_to_json(p, false);
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(j, "policies"), 0), "instances")),
			 4);
	assert_int_equal(sk_plan_from_json(&back, j), 0);
	assert_int_equal(back->n_policies, 2);
	assert_int_equal(back->policies[0].n_instances, 4);
	assert_string_equal(back->policies[0].instances[3].instance, "db-3");
	assert_true(sk_plan_policy_selects_nothing(&back->policies[1]));
	f = open_memstream(&out, &len);
	sk_plan_render_text(back, f, &ro);
	fclose(f);
	assert_non_null(strstr(out, "No changes, but policy 'ghost' selects no instance"));
	free(out);
	json_decref(j);
	sk_plan_free(back);
	sk_plan_free(p);

	/* a policy whose regions --region leaves out looked nowhere: no warning */
	o.regions = west;
	o.n_regions = 1;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	assert_int_equal(p->n_policies, 2);
	assert_int_equal(p->policies[1].n_regions, 0);
	assert_false(sk_plan_policy_selects_nothing(&p->policies[1]));
	assert_int_equal(sk_plan_count_selecting_nothing(p), 0);
	for (i = 0; i < p->n_notes; i++)
		assert_int_not_equal(p->notes[i].kind, SK_NOTE_WARNING);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

/* every action of a plan as JSON, one per line */
static char *actions_text(const struct sk_plan *p)
{
	struct sk_buf b = SK_BUF_INIT;
	char *text;
	size_t i;

	for (i = 0; i < p->n_actions; i++) {
		json_t *j = sk_action_to_json(&p->actions[i]);
		char *t = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
		assert_non_null(t);
		assert_int_equal(sk_buf_printf(&b, "%s\n", t), 0);
		free(t);
		json_decref(j);
	}
	text = sk_buf_detach(&b);
	return text ? text : strdup("");
}

/*
 * A shard (sk_plan_opts.shard) owns its instances' copies in other regions:
 * the shard us-east-1 plans exactly what a plan of every region plans here
 * (creates, copies into us-west-2 and their deletions), and the shard
 * us-west-2 touches none of them, where --region us-west-2 deletes copies
 * by their rules (two replicas doing both would delete them twice).
 */
static void test_plan_shard_owns_its_copies_in_other_regions(void **state)
{
	static const char *const east[] = { "us-east-1" }, *const west[] = { "us-west-2" };
	struct sk_policyset *set = policies(50);
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *all = NULL, *p = NULL;
	char *want, *got;
	size_t i, copies = 0, copy_deletes = 0;

	(void)state;
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	assert_int_equal(sk_plan_compute(&all, set, inv, &o), 0);
	for (i = 0; i < all->n_actions; i++) {
		copies += all->actions[i].kind == SK_ACTION_COPY;
		copy_deletes += all->actions[i].kind == SK_ACTION_DELETE && !strcmp(all->actions[i].region, "us-west-2");
	}
	assert_true(copies > 0);
	assert_true(copy_deletes > 0);
	want = actions_text(all);

	o.shard = true;
	o.regions = east;
	o.n_regions = 1;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	got = actions_text(p);
	assert_string_equal(got, want);
	for (i = 0; i < p->n_notes; i++)
		assert_null(strstr(p->notes[i].message, "--region"));
	free(got);
	sk_plan_free(p);

	o.regions = west;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	assert_int_equal(p->n_actions, 0);
	sk_plan_free(p);

	/* today's --region us-west-2 does delete copies there: the two meanings differ */
	o.shard = false;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	for (i = 0, copy_deletes = 0; i < p->n_actions; i++)
		copy_deletes += p->actions[i].kind == SK_ACTION_DELETE;
	assert_true(copy_deletes > 0);
	sk_plan_free(p);

	free(want);
	sk_plan_free(all);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

/* a failed snapshot that holds deletions is a fact of the plan, for run's alert, not only a note */
static void test_plan_records_what_blocks_deletions(void **state)
{
	struct sk_policyset *set = policies(50);
	struct sk_inventory *inv = inventory(0);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL;
	size_t k, blocked = 0;

	(void)state;
	add_snapshot(inv, 1, 12, false, "failed");
	sk_inventory_sort(inv);
	o.now = at("2026-01-12T03:30:00Z");
	o.allow_mass_delete = true;
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	assert_int_equal(p->n_instances, 4);
	for (k = 0; k < p->n_instances; k++) {
		const struct sk_plan_instance *pi = &p->instances[k];
		if (strcmp(pi->instance, "db-1")) {
			assert_null(pi->own.blocked_by.snapshot);
			assert_null(pi->copies[0].blocked_by.snapshot);
			continue;
		}
		/* the rules would delete some of db-1's snapshots and copies: the failed one holds both places */
		assert_non_null(pi->own.blocked_by.snapshot);
		assert_string_equal(pi->own.blocked_by.snapshot, "snapkeep-db-1-20260112-0300");
		assert_string_equal(pi->own.blocked_by.region, "us-east-1");
		assert_string_equal(pi->own.blocked_by.status, "failed");
		assert_non_null(pi->copies[0].blocked_by.snapshot);
		assert_string_equal(pi->copies[0].blocked_by.snapshot, "snapkeep-db-1-20260112-0300");
		assert_string_equal(pi->copies[0].blocked_by.region, "us-east-1");
		blocked++;
	}
	assert_int_equal(blocked, 1);
	for (k = 0; k < p->n_actions; k++)
		assert_false(p->actions[k].kind == SK_ACTION_DELETE && !strcmp(p->actions[k].instance, "db-1"));
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

/* a file of n snapshots whose lengths vary, so that element boundaries fall everywhere in the reader's buffer */
static char *write_big_inventory(size_t n)
{
	char *path = strdup("/tmp/sk-test-plan-XXXXXX");
	FILE *f;
	int fd;
	size_t i;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "{\"format\": \"snapkeep-inventory/v1\", \"snapshots\": [\n");
	for (i = 0; i < n; i++)
		fprintf(f, "%s{\"id\": \"s-%zu\", \"instance\": \"db\", \"region\": \"us-east-1\", \"type\": \"manual\", "
			   "\"status\": \"available\", \"created\": \"2025-01-01T00:00:00Z\", \"allocatedGiB\": %zu, "
			   "\"encrypted\": %s, \"tags\": {\"pad\": \"%.*s\"}}",
			i ? ",\n" : "", i, i * 7919 % 100000, i % 2 ? "true" : "false", (int)(i * 31 % 997),
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	fprintf(f, "\n]}\n");
	assert_int_equal(fclose(f), 0);
	return path;
}

/* reads the file as the command line's --inventory does: opened here, read from the stream */
static int read_file(struct sk_inventory **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	int rc;

	assert_non_null(f);
	rc = sk_inventory_read_stream(out, f, path);
	fclose(f);
	return rc;
}

static void test_inventory_reader_reads_elements_cut_by_its_buffer(void **state)
{
	char *path = write_big_inventory(12000); /* about 8 MB: several refills of the 1 MiB reads */
	struct sk_inventory *inv = NULL;
	size_t i;
	uint64_t sum = 0, want = 0;

	(void)state;
	assert_int_equal(read_file(&inv, path), 0);
	assert_int_equal(inv->n_snapshots, 12000);
	for (i = 0; i < 12000; i++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[i];
		const char *pad = sk_tag_get(s->tags, s->n_tags, "pad");
		size_t k = (size_t)strtoul(s->id + 2, NULL, 10);
		assert_non_null(pad);
		assert_int_equal(strlen(pad), k * 31 % 997);
		assert_int_equal(s->encrypted, k % 2);
		sum += s->allocated_gib;
		want += i * 7919 % 100000;
	}
	assert_true(sum == want);
	/* no "regions" list: every region counts as observed */
	assert_true(sk_inventory_has_region(inv, "ap-south-2"));
	sk_inventory_free(inv);
	unlink(path);
	free(path);
}

static void test_inventory_reader_error_names_the_line_an_element_starts(void **state)
{
	char path[] = "/tmp/sk-test-plan-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct sk_inventory *inv = NULL;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "{\n\"format\": \"snapkeep-inventory/v1\",\n\"regions\": [\"us-east-1\"],\n\"snapshots\": [\n"
		   "  {\n    \"id\": \"a\",\n    \"instance\": \"db\",\n    \"region\": \"us-east-1\",\n"
		   "    \"type\": \"manual\",\n    \"status\": \"available\"\n  },\n"
		   "  {\n    \"id\": \"b\",\n    \"instance\": \"db\",\n    \"region\": \"us-east-1\",\n"
		   "    \"type\": \"manual\",\n    \"status\": \"available\",\n    \"allocatedGiB\": -1\n  }\n]}\n");
	fclose(f);
	assert_int_equal(read_file(&inv, path), SK_ERROR);
	assert_null(inv);
	assert_non_null(strstr(sk_error_message(), ":12: snapshot 'b': 'allocatedGiB' must be an integer 0..4294967295, "
						    "got -1"));
	unlink(path);
}

static void test_plan_regions_observe_copy_regions_for_snapshots_only(void **state)
{
	static const char *const yaml = "apiVersion: snapkeep/v1\n"
					"kind: BackupPolicy\n"
					"metadata: {name: a}\n"
					"spec:\n"
					"  regions: [us-east-1]\n"
					"  selector: {instances: [db-a]}\n"
					"  automated: {retentionDays: 7, replicate: {region: us-west-2}}\n"
					"  snapshots:\n"
					"    schedule: \"0 3 * * *\"\n"
					"    copies: [{region: us-west-2}]\n"
					"---\n"
					"apiVersion: snapkeep/v1\n"
					"kind: BackupPolicy\n"
					"metadata: {name: b}\n"
					"spec:\n"
					"  regions: [eu-west-1]\n"
					"  selector: {instances: [db-b]}\n"
					"  snapshots:\n"
					"    schedule: \"0 3 * * *\"\n"
					"    copies: [{region: us-east-1}]\n";
	static const char *const west[] = { "us-west-2" }, *const east[] = { "us-east-1" };
	struct sk_policyset *set = NULL;
	struct sk_plan_region_lists l;

	(void)state;
	assert_int_equal(sk_policyset_parse_buffer(&set, "p.yaml", yaml, strlen(yaml)), 0);
	/* every region: us-west-2 is only copied (and replicated) to */
	assert_int_equal(sk_plan_regions(&l, set, NULL, 0, false), 0);
	assert_int_equal(l.n_full, 2);
	assert_string_equal(l.full[0], "eu-west-1");
	assert_string_equal(l.full[1], "us-east-1");
	assert_int_equal(l.n_snapshots, 1);
	assert_string_equal(l.snapshots[0], "us-west-2");
	assert_int_equal(l.n_backups, 1);
	assert_string_equal(l.backups[0], "us-west-2");
	sk_plan_region_lists_free(&l);
	/* --region us-west-2: its snapshots alone; a's replication is a's region's business */
	assert_int_equal(sk_plan_regions(&l, set, west, 1, false), 0);
	assert_int_equal(l.n_full, 0);
	assert_int_equal(l.n_snapshots, 1);
	assert_string_equal(l.snapshots[0], "us-west-2");
	assert_int_equal(l.n_backups, 0);
	sk_plan_region_lists_free(&l);
	/* --region us-east-1: a source region (of a) that b copies to is observed fully, and nothing else */
	assert_int_equal(sk_plan_regions(&l, set, east, 1, false), 0);
	assert_int_equal(l.n_full, 1);
	assert_string_equal(l.full[0], "us-east-1");
	assert_int_equal(l.n_snapshots, 0);
	assert_int_equal(l.n_backups, 0);
	sk_plan_region_lists_free(&l);
	/* the shard us-east-1: a's copy and replication region too, not b's (eu-west-1's shard owns its copies) */
	assert_int_equal(sk_plan_regions(&l, set, east, 1, true), 0);
	assert_int_equal(l.n_full, 1);
	assert_string_equal(l.full[0], "us-east-1");
	assert_int_equal(l.n_snapshots, 1);
	assert_string_equal(l.snapshots[0], "us-west-2");
	assert_int_equal(l.n_backups, 1);
	assert_string_equal(l.backups[0], "us-west-2");
	sk_plan_region_lists_free(&l);
	/* the shard us-west-2 names no instance: nothing of a's is its business */
	assert_int_equal(sk_plan_regions(&l, set, west, 1, true), 0);
	assert_int_equal(l.n_full + l.n_snapshots + l.n_backups, 0);
	sk_plan_region_lists_free(&l);
	sk_policyset_free(set);
}

static struct sk_inventory *read_text(const char *text)
{
	struct sk_inventory *inv = NULL;
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(f);
	if (sk_inventory_read_stream(&inv, f, "inv.json") < 0)
		fail_msg("%s", sk_error_message());
	fclose(f);
	return inv;
}

static void test_inventory_snapshots_only_regions_say_nothing_of_instances(void **state)
{
	static const char *const text =
		"{\"format\": \"snapkeep-inventory/v1\", \"observedAt\": \"2026-01-12T03:30:00Z\",\n"
		" \"snapshotsOnly\": [\"us-west-2\"], \"regions\": [\"us-east-1\"],\n"
		" \"instances\": [{\"id\": \"db-0\", \"region\": \"us-east-1\", \"tags\": {\"env\": \"prod\"}},\n"
		"               {\"id\": \"stray-db\", \"region\": \"us-west-2\"}]}\n";
	static const char *const west_policy = "apiVersion: snapkeep/v1\n"
					       "kind: BackupPolicy\n"
					       "metadata: {name: west}\n"
					       "spec:\n"
					       "  regions: [us-west-2]\n"
					       "  selector: {instances: [stray-db]}\n"
					       "  automated: {retentionDays: 7}\n";
	struct sk_inventory *inv = read_text(text), *again;
	struct sk_policyset *set = policies(50);
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	(void)state;
	/* snapshotsOnly regions are observed, for their snapshots alone (listed after "regions" or not) */
	assert_true(sk_inventory_has_region(inv, "us-west-2"));
	assert_false(sk_inventory_has_instances(inv, "us-west-2"));
	assert_true(sk_inventory_has_instances(inv, "us-east-1"));
	assert_false(sk_inventory_has_region(inv, "eu-west-1"));
	/* the writer says so too, and its file reads back the same */
	f = open_memstream(&out, &len);
	assert_int_equal(sk_inventory_write_json(inv, f), 0);
	fclose(f);
	assert_non_null(strstr(out, "\"snapshotsOnly\": [\"us-west-2\"]"));
	again = read_text(out);
	assert_false(sk_inventory_has_instances(again, "us-west-2"));
	assert_true(sk_inventory_has_region(again, "us-west-2"));
	sk_inventory_free(again);
	free(out);

	/* no claim about us-west-2's instances: stray-db is not reported as unmanaged */
	o.now = at("2026-01-12T03:30:00Z");
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), 0);
	for (i = 0; i < p->n_notes; i++)
		assert_null(strstr(p->notes[i].message, "stray-db"));
	sk_plan_free(p);
	sk_policyset_free(set);

	/* a policy selecting instances there cannot be planned from it */
	assert_int_equal(sk_policyset_parse_buffer(&set, "west.yaml", west_policy, strlen(west_policy)), 0);
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), SK_ERROR);
	assert_null(p);
	assert_non_null(strstr(sk_error_message(), "policy 'west': region 'us-west-2' was not observed for its "
						    "instances (only its snapshots were)"));
	sk_policyset_free(set);
	sk_inventory_free(inv);
}

/* ---- Aurora: clusters are units of their own, members never alone ---- */

static struct sk_policyset *policy_text(const char *yaml)
{
	struct sk_policyset *set = NULL;

	assert_int_equal(sk_policyset_parse_buffer(&set, "p.yaml", yaml, strlen(yaml)), 0);
	return set;
}

static void add_unit(struct sk_inventory *inv, const char *id, bool cluster, const char *member_of, int retention)
{
	struct sk_inv_instance in;
	struct sk_aws_tag tag = { "env", "prod" };
	char arn[96];

	snprintf(arn, sizeof(arn), "arn:aws:rds:us-east-1:" ACCT ":%s:%s", cluster ? "cluster" : "db", id);
	memset(&in, 0, sizeof(in));
	in.id = id;
	in.region = "us-east-1";
	in.arn = arn;
	in.status = "available";
	in.retention = retention;
	in.backup_window = "01:00-01:30";
	in.maintenance_window = "sun:05:00-sun:06:00";
	in.encrypted = true;
	in.allocated_gib = cluster ? 1 : 20;
	in.is_cluster = cluster;
	in.cluster = member_of;
	in.tags = &tag;
	in.n_tags = 1;
	assert_non_null(sk_inventory_add_instance(inv, &in));
}

static struct sk_inventory *aurora_inventory(void)
{
	struct sk_inventory *inv = NULL;

	assert_int_equal(sk_inventory_new(&inv), 0);
	assert_int_equal(sk_inventory_add_region(inv, "us-east-1"), 0);
	assert_int_equal(sk_inventory_add_snapshot_region(inv, "us-west-2"), 0);
	add_unit(inv, "ledger", true, NULL, 1);
	add_unit(inv, "ledger-1", false, "ledger", 1);
	add_unit(inv, "ledger", false, NULL, 3); /* an instance of the cluster's name: another database */
	{
		/* the cluster's snapshot of today's slot, owned by the cluster's policy: another namespace than the
		 * instance's DB snapshot of the same identifier */
		struct sk_inv_snapshot cs;
		struct sk_aws_tag tags[2] = { { "snapkeep:policy", "ledger" }, { "snapkeep:instance", "ledger" } };
		memset(&cs, 0, sizeof(cs));
		cs.id = "snapkeep-ledger-20260112-0300";
		cs.arn = "arn:aws:rds:us-east-1:" ACCT ":cluster-snapshot:snapkeep-ledger-20260112-0300";
		cs.instance = "ledger";
		cs.region = "us-east-1";
		cs.status_text = "available";
		cs.status = SK_SNAP_AVAILABLE;
		cs.type = SK_SNAP_MANUAL;
		cs.created = at("2026-01-12T03:05:00Z");
		cs.tags = tags;
		cs.n_tags = 2;
		cs.cluster = true;
		assert_non_null(sk_inventory_add_snapshot(inv, &cs));
	}
	inv->observed_at = at("2026-01-12T03:30:00Z");
	sk_inventory_sort(inv);
	return inv;
}

static struct sk_plan *plan_of(const struct sk_policyset *set, const struct sk_inventory *inv, int want_rc)
{
	struct sk_plan_opts o = SK_PLAN_OPTS_INIT;
	struct sk_plan *p = NULL;

	o.now = at("2026-01-12T03:30:00Z");
	assert_int_equal(sk_plan_compute(&p, set, inv, &o), want_rc);
	return p;
}

static void test_plan_manages_a_cluster_through_cluster_calls(void **state)
{
	struct sk_policyset *set = policy_text(
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: ledger}\nspec:\n  regions: [us-east-1]\n"
		"  selector: {clusters: [ledger]}\n  automated: {retentionDays: 7, deletionProtection: true}\n"
		"  snapshots:\n    schedule: \"0 3 * * *\"\n    retain: {daily: 3}\n"
		"    copies: [{region: us-west-2, kmsKeyId: alias/dr}]\n");
	struct sk_inventory *inv = aurora_inventory();
	struct sk_plan *p = plan_of(set, inv, 0), *back = NULL;
	json_t *j;
	size_t i, kinds = 0;

	(void)state;
	/* today's slot has its cluster snapshot: the settings and its copy */
	assert_int_equal(p->n_actions, 2);
	for (i = 0; i < p->n_actions; i++) {
		const struct sk_action *a = &p->actions[i];
		assert_true(a->cluster);
		assert_string_equal(a->instance, "ledger");
		kinds |= 1u << a->kind;
		if (a->kind == SK_ACTION_MODIFY)
			assert_int_equal(a->retention, 7);
		if (a->kind == SK_ACTION_COPY)
			assert_string_equal(a->source_arn,
					    "arn:aws:rds:us-east-1:" ACCT ":cluster-snapshot:snapkeep-ledger-20260112-0300");
	}
	assert_int_equal(kinds, (1u << SK_ACTION_MODIFY) | (1u << SK_ACTION_COPY));
	/* a saved plan keeps what the calls are */
	j = sk_plan_to_json(p, false);
	assert_int_equal(sk_plan_from_json(&back, j), 0);
	for (i = 0; i < back->n_actions; i++)
		assert_true(back->actions[i].cluster);
	json_decref(j);
	sk_plan_free(back);
	sk_plan_free(p);
	sk_inventory_free(inv);
	sk_policyset_free(set);
}

static void test_plan_never_snapshots_a_member_alone(void **state)
{
	/* a tag selector for instances matches the member and the instance named like the cluster */
	struct sk_policyset *set = policy_text(
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: prod}\nspec:\n  regions: [us-east-1]\n"
		"  selector: {tags: {env: prod}}\n  automated: {retentionDays: 7}\n"
		"  snapshots:\n    schedule: \"0 3 * * *\"\n    retain: {daily: 3}\n");
	struct sk_inventory *inv = aurora_inventory();
	struct sk_plan *p = plan_of(set, inv, 0);
	size_t i;
	bool noted = false;

	(void)state;
	/* the instance "ledger" only: a modify and a create (the cluster snapshot of the same identifier is not its
	 * slot's), neither for the cluster nor the member */
	assert_int_equal(p->n_actions, 2);
	assert_int_equal(p->actions[1].kind, SK_ACTION_CREATE);
	assert_string_equal(p->actions[1].target, "snapkeep-ledger-20260112-0300");
	for (i = 0; i < p->n_actions; i++) {
		assert_false(p->actions[i].cluster);
		assert_string_equal(p->actions[i].instance, "ledger");
	}
	for (i = 0; i < p->n_notes; i++)
		noted |= p->notes[i].instance && !strcmp(p->notes[i].instance, "ledger-1") &&
			 strstr(p->notes[i].message, "member of Aurora cluster 'ledger'") &&
			 strstr(p->notes[i].message, "never snapshotted on its own");
	assert_true(noted);
	sk_plan_free(p);
	sk_policyset_free(set);
	set = policy_text("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: prod}\nspec:\n"
			  "  regions: [us-east-1]\n  selector: {instances: [ledger-1]}\n  automated: {retentionDays: 7}\n");
	p = plan_of(set, inv, 0);
	assert_int_equal(p->n_actions, 0);
	sk_plan_free(p);
	sk_policyset_free(set);
	sk_inventory_free(inv);
}

static void test_plan_refuses_what_rds_refuses_for_clusters(void **state)
{
	struct sk_policyset *set = policy_text(
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: ledger}\nspec:\n  regions: [us-east-1]\n"
		"  selector: {tags: {env: prod}, kind: cluster}\n  automated: {retentionDays: 0}\n");
	struct sk_inventory *inv = aurora_inventory();

	(void)state;
	assert_null(plan_of(set, inv, SK_ERROR));
	assert_int_equal(sk_error_last()->klass, SK_ERR_POLICY);
	assert_non_null(strstr(sk_error_message(), "p.yaml:7:"));
	assert_non_null(strstr(sk_error_message(), "Aurora cluster 'ledger' in us-east-1 keeps automated backups 1 to 35"));
	sk_policyset_free(set);
	set = policy_text("apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: ledger}\nspec:\n"
			  "  regions: [us-east-1]\n  selector: {clusters: [nope]}\n  automated: {retentionDays: 7}\n");
	assert_null(plan_of(set, inv, SK_ERROR));
	assert_non_null(strstr(sk_error_message(), "p.yaml:6:25: policy 'ledger': cluster 'nope' not found in us-east-1"));
	sk_policyset_free(set);
	sk_inventory_free(inv);
}

static void test_plan_regions_name_cluster_regions_only_for_cluster_policies(void **state)
{
	struct sk_policyset *set = NULL;
	struct sk_plan_region_lists l;
	const char *yaml =
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: a}\nspec:\n  regions: [us-east-1]\n"
		"  selector: {clusters: [ledger]}\n  snapshots:\n    schedule: \"0 3 * * *\"\n    retain: {daily: 3}\n"
		"    copies: [{region: us-west-2}]\n---\n"
		"apiVersion: snapkeep/v1\nkind: BackupPolicy\nmetadata: {name: b}\nspec:\n  regions: [eu-west-1]\n"
		"  selector: {instances: [db]}\n  snapshots:\n    schedule: \"0 3 * * *\"\n    retain: {daily: 3}\n"
		"    copies: [{region: eu-central-1}]\n";

	(void)state;
	assert_int_equal(sk_policyset_parse_buffer(&set, "p.yaml", yaml, strlen(yaml)), 0);
	assert_int_equal(sk_plan_regions(&l, set, NULL, 0, false), 0);
	assert_int_equal(l.n_clusters, 1);
	assert_string_equal(l.clusters[0], "us-east-1");
	assert_int_equal(l.n_cluster_snapshots, 1);
	assert_string_equal(l.cluster_snapshots[0], "us-west-2");
	assert_int_equal(l.n_full, 2);
	sk_plan_region_lists_free(&l);
	sk_policyset_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_does_not_depend_on_inventory_order),
		cmocka_unit_test(test_plan_over_accounts_keeps_each_accounts_actions_apart),
		cmocka_unit_test(test_plan_fingerprint_over_accounts),
		cmocka_unit_test(test_plan_json_round_trip_keeps_actions),
		cmocka_unit_test(test_plan_marks_a_suspended_policys_actions_and_leaves_excluded_instances_out),
		cmocka_unit_test(test_plan_keeps_a_snapshot_until_its_keep_until_and_then_judges_it),
		cmocka_unit_test(test_plan_names_its_signer_only_when_a_signature_was_verified),
		cmocka_unit_test(test_plan_max_deletions_zero_deletes_nothing),
		cmocka_unit_test(test_plan_records_dependencies_and_what_it_leaves),
		cmocka_unit_test(test_plan_names_a_policy_that_selects_nothing),
		cmocka_unit_test(test_plan_records_what_blocks_deletions),
		cmocka_unit_test(test_inventory_reader_reads_elements_cut_by_its_buffer),
		cmocka_unit_test(test_inventory_reader_error_names_the_line_an_element_starts),
		cmocka_unit_test(test_plan_regions_observe_copy_regions_for_snapshots_only),
		cmocka_unit_test(test_plan_shard_owns_its_copies_in_other_regions),
		cmocka_unit_test(test_inventory_snapshots_only_regions_say_nothing_of_instances),
		cmocka_unit_test(test_plan_manages_a_cluster_through_cluster_calls),
		cmocka_unit_test(test_plan_never_snapshots_a_member_alone),
		cmocka_unit_test(test_plan_refuses_what_rds_refuses_for_clusters),
		cmocka_unit_test(test_plan_regions_name_cluster_regions_only_for_cluster_policies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
