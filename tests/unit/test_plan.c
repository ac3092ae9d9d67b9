/*
 * test_plan.c - the plan engine (reconciler/diff.c, lifecycle.c, render.c)
 * and the snapkeep-inventory/v1 reader (reconciler/inventory.c)
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
#include "common/timeutil.h"
#include "reconciler/planner/inventory.h"
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

static void test_inventory_reader_reads_elements_cut_by_its_buffer(void **state)
{
	char *path = write_big_inventory(12000); /* about 8 MB: several refills of the 1 MiB reads */
	struct sk_inventory *inv = NULL;
	size_t i;
	uint64_t sum = 0, want = 0;

	(void)state;
	assert_int_equal(sk_inventory_read_json(&inv, path), 0);
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
	assert_int_equal(sk_inventory_read_json(&inv, path), SK_ERROR);
	assert_null(inv);
	assert_non_null(strstr(sk_error_message(), ":12: snapshot 'b': 'allocatedGiB' must be an integer 0..4294967295, "
						    "got -1"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_does_not_depend_on_inventory_order),
		cmocka_unit_test(test_plan_json_round_trip_keeps_actions),
		cmocka_unit_test(test_plan_max_deletions_zero_deletes_nothing),
		cmocka_unit_test(test_plan_records_dependencies_and_what_it_leaves),
		cmocka_unit_test(test_inventory_reader_reads_elements_cut_by_its_buffer),
		cmocka_unit_test(test_inventory_reader_error_names_the_line_an_element_starts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
