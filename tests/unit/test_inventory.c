/*
 * test_inventory.c - the inventory model (reconciler/planner/inventory.c)
 *
 * Adding copies and interns strings (the last element's strings compared
 * first), and sorting takes runs as they come: whatever the input order,
 * the result is that of a stable sort by (region, instance, created, id).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reconciler/planner/inventory.h"
#include "reconciler/planner/ownership.h"

struct key {
	int instance, day, id, seq;
};

static void add(struct sk_inventory *inv, const struct key *k)
{
	struct sk_inv_snapshot s;
	char inst[16], id[16], status[16];
	struct sk_aws_tag tags[2] = { { "snapkeep:policy", "p" }, { "seq", status } };

	memset(&s, 0, sizeof(s));
	snprintf(inst, sizeof(inst), "db-%02d", k->instance);
	snprintf(id, sizeof(id), "s-%03d", k->id);
	snprintf(status, sizeof(status), "%d", k->seq);
	s.id = id;
	s.instance = inst;
	s.region = k->instance % 3 ? "us-east-1" : "eu-west-1";
	s.status_text = "available";
	s.created = 1767225600 + (int64_t)k->day * 86400;
	s.tags = tags;
	s.n_tags = 2;
	assert_non_null(sk_inventory_add_snapshot(inv, &s));
}

static int cmp_key(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	const char *ra = a->instance % 3 ? "us-east-1" : "eu-west-1", *rb = b->instance % 3 ? "us-east-1" : "eu-west-1";
	int c = strcmp(ra, rb);

	if (c)
		return c;
	if (a->instance != b->instance)
		return a->instance < b->instance ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq; /* equal keys: input order (seq), as a stable sort */
}

/* adds keys[0..n) in that order, sorts, and checks the order against the reference */
static void check_sorted(struct key *keys, size_t n)
{
	struct sk_inventory *inv = NULL;
	size_t i;

	assert_int_equal(sk_inventory_new(&inv), 0);
	for (i = 0; i < n; i++) {
		keys[i].seq = (int)i;
		add(inv, &keys[i]);
	}
	sk_inventory_sort(inv);
	qsort(keys, n, sizeof(*keys), cmp_key);
	assert_int_equal(inv->n_snapshots, n);
	for (i = 0; i < n; i++) {
		char seq[16];
		snprintf(seq, sizeof(seq), "%d", keys[i].seq);
		assert_string_equal(sk_tag_get(inv->snapshots[i].tags, inv->snapshots[i].n_tags, "seq"), seq);
	}
	sk_inventory_free(inv);
}

static void test_sort_takes_runs_whatever_the_order(void **state)
{
	struct key keys[600];
	unsigned r = 12345;
	size_t i, n = sizeof(keys) / sizeof(keys[0]);

	(void)state;
	/* each instance newest first, as AWS lists them: descending runs */
	for (i = 0; i < n; i++)
		keys[i] = (struct key){ (int)(i / 60), 59 - (int)(i % 60), (int)(i % 60), 0 };
	check_sorted(keys, n);
	/* already in order */
	for (i = 0; i < n; i++)
		keys[i] = (struct key){ (int)(i / 60), (int)(i % 60), (int)(i % 60), 0 };
	check_sorted(keys, n);
	/* the whole array backwards, then shuffled, with many equal keys whose input order must stay */
	for (i = 0; i < n; i++)
		keys[i] = (struct key){ 9 - (int)(i / 60), 59 - (int)(i % 60), 0, 0 };
	check_sorted(keys, n);
	for (i = 0; i < n; i++) {
		r = r * 1103515245u + 12345u;
		keys[i] = (struct key){ (int)(r >> 16) % 7, (int)(r >> 8) % 5, (int)(r >> 4) % 3, 0 };
	}
	check_sorted(keys, n);
	/* runs of equal keys inside descending runs */
	for (i = 0; i < n; i++)
		keys[i] = (struct key){ (int)(i / 60), 20 - (int)(i % 60) / 3, 0, 0 };
	check_sorted(keys, n);
}

static void test_adding_interns_strings_against_the_last_one(void **state)
{
	struct sk_inventory *inv = NULL;
	struct sk_inv_snapshot s;
	struct sk_aws_tag tags[1] = { { "snapkeep:policy", "prod" } };
	const struct sk_inv_snapshot *a, *b, *c;

	(void)state;
	assert_int_equal(sk_inventory_new(&inv), 0);
	memset(&s, 0, sizeof(s));
	s.region = "us-east-1";
	s.instance = "db";
	s.status_text = "available";
	s.tags = tags;
	s.n_tags = 1;
	s.id = "one";
	s.arn = "arn:aws:rds:us-east-1:123456789012:snapshot:one";
	assert_non_null(sk_inventory_add_snapshot(inv, &s));
	s.id = "two";
	s.arn = "arn:aws:rds:us-east-1:123456789012:snapshot:two";
	assert_non_null(sk_inventory_add_snapshot(inv, &s));
	/* another instance whose name starts as the last one's, another ARN prefix, another policy */
	s.id = "three";
	s.instance = "db2";
	s.arn = "arn:aws:rds:us-east-1:123456789013:snapshot:three";
	tags[0].value = "pro";
	assert_non_null(sk_inventory_add_snapshot(inv, &s));
	a = &inv->snapshots[0];
	b = &inv->snapshots[1];
	c = &inv->snapshots[2];
	assert_ptr_equal(a->instance, b->instance);
	assert_ptr_equal(a->arn_prefix, b->arn_prefix);
	assert_ptr_equal(a->tags[0].value, b->tags[0].value);
	assert_ptr_equal(a->tags[0].key, c->tags[0].key);
	assert_ptr_equal(a->instance, sk_inventory_intern(inv, "db"));
	assert_string_equal(c->instance, "db2");
	assert_string_equal(c->arn_prefix, "arn:aws:rds:us-east-1:123456789013:snapshot:");
	assert_string_equal(c->tags[0].value, "pro");
	assert_ptr_equal(a->region, c->region);
	assert_null(a->arn);
	assert_int_equal(inv->n_regions, 1);
	sk_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_takes_runs_whatever_the_order),
		cmocka_unit_test(test_adding_interns_strings_against_the_last_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
