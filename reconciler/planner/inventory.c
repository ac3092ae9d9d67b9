/*
 * inventory.c - observed instances, snapshots and automated backups
 *
 * The model: adding (strings copied into the arena, the repeated ones
 * interned), sorting and range look-ups.  inventory_json.c reads and writes
 * it as snapkeep-inventory/v1.
 */
#include "reconciler/planner/inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "common/str.h"

int sk_inventory_new(struct sk_inventory **out)
{
	struct sk_inventory *inv = calloc(1, sizeof(*inv));

	*out = NULL;
	if (!inv)
		return sk_error_set_oom();
	*out = inv;
	return 0;
}

void sk_inventory_free(struct sk_inventory *inv)
{
	if (!inv)
		return;
	free(inv->regions);
	free(inv->snapshots_only);
	free(inv->instances);
	free(inv->snapshots);
	free(inv->autobackups);
	sk_arena_free(&inv->arena);
	free(inv);
}

const char *sk_inventory_intern(struct sk_inventory *inv, const char *s)
{
	return sk_arena_intern(&inv->arena, s);
}

static bool region_listed(const struct sk_inventory *inv, const char *region)
{
	size_t i;

	for (i = 0; i < inv->n_regions; i++)
		if (inv->regions[i] == region || !strcmp(inv->regions[i], region))
			return true;
	return false;
}

bool sk_inventory_has_region(const struct sk_inventory *inv, const char *region)
{
	return inv->every_region || region_listed(inv, region);
}

bool sk_inventory_has_instances(const struct sk_inventory *inv, const char *region)
{
	return sk_inventory_has_region(inv, region) && !sk_strv_has(inv->snapshots_only, inv->n_snapshots_only, region);
}

/* adds region to a sorted list of interned names, once */
static int add_name(struct sk_inventory *inv, const char ***list, size_t *n, size_t *cap, const char *region)
{
	const char *interned;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*list)[i] == region || !strcmp((*list)[i], region))
			return 0;
	if (!(interned = sk_inventory_intern(inv, region)) || SK_ARRAY_GROW(*list, *cap, *n + 1) < 0)
		return -1;
	(*list)[(*n)++] = interned;
	qsort(*list, *n, sizeof(**list), sk_strp_cmp);
	return 0;
}

int sk_inventory_add_region(struct sk_inventory *inv, const char *region)
{
	if (!region)
		return 0;
	return add_name(inv, &inv->regions, &inv->n_regions, &inv->cap_regions, region);
}

int sk_inventory_add_snapshot_region(struct sk_inventory *inv, const char *region)
{
	if (!region)
		return 0;
	if (sk_inventory_add_region(inv, region) < 0)
		return -1;
	return add_name(inv, &inv->snapshots_only, &inv->n_snapshots_only, &inv->cap_snapshots_only, region);
}

/*
 * The interned copy of s, NULL for NULL.  Consecutive adds mostly repeat
 * the strings of the one before (its region, instance, status, tag keys),
 * so its interned copy, last, is compared first: cheaper than a hash.
 */
static const char *intern_as(struct sk_inventory *inv, const char *s, const char *last)
{
	if (s && last && !strcmp(s, last))
		return last;
	return sk_inventory_intern(inv, s);
}

static const struct sk_aws_tag *copy_tags(struct sk_inventory *inv, const struct sk_aws_tag *tags, size_t n,
					  const struct sk_aws_tag *last, size_t n_last)
{
	struct sk_aws_tag *t;
	size_t i;

	if (!n)
		return NULL;
	t = sk_arena_alloc(&inv->arena, n * sizeof(*t));
	if (!t)
		return NULL;
	for (i = 0; i < n; i++) {
		t[i].key = intern_as(inv, tags[i].key, i < n_last ? last[i].key : NULL);
		t[i].value = intern_as(inv, tags[i].value ? tags[i].value : "", i < n_last ? last[i].value : NULL);
		if (!t[i].key || !t[i].value)
			return NULL;
	}
	return t;
}

/* out->field from in->field, interned (like the last one added, when there is one) or copied */
#define INTERN(field)                                                                                   \
	do {                                                                                            \
		if (in->field && !(out->field = intern_as(inv, in->field, last ? last->field : NULL))) \
			goto fail;                                                                      \
	} while (0)
#define DUP(field)                                                                        \
	do {                                                                              \
		if (in->field && !(out->field = sk_arena_strdup(&inv->arena, in->field))) \
			goto fail;                                                        \
	} while (0)

struct sk_inv_instance *sk_inventory_add_instance(struct sk_inventory *inv, const struct sk_inv_instance *in)
{
	struct sk_inv_instance *out, *last;
	size_t i;

	if (!in->id || !in->region) {
		sk_error_set(SK_ERR_INVALID, "an instance needs an id and a region");
		return NULL;
	}
	out = SK_ARRAY_PUSH(inv->instances, inv->n_instances, inv->cap_instances);
	if (!out)
		return NULL;
	last = inv->n_instances > 1 ? out - 1 : NULL;
	*out = *in;
	INTERN(id);
	INTERN(region);
	DUP(arn);
	INTERN(engine);
	INTERN(status);
	INTERN(backup_window);
	INTERN(maintenance_window);
	INTERN(kms_key_id);
	DUP(aws_backup_arn);
	INTERN(cluster);
	out->replications = NULL;
	if (in->n_replications) {
		out->replications = sk_arena_alloc(&inv->arena, in->n_replications * sizeof(*out->replications));
		if (!out->replications)
			goto fail;
		for (i = 0; i < in->n_replications; i++)
			if (!(out->replications[i] = sk_arena_strdup(&inv->arena, in->replications[i])))
				goto fail;
	}
	out->tags = copy_tags(inv, in->tags, in->n_tags, last ? last->tags : NULL, last ? last->n_tags : 0);
	if (in->n_tags && !out->tags)
		goto fail;
	if (sk_inventory_add_region(inv, out->region) < 0)
		goto fail;
	return out;
fail:
	inv->n_instances--;
	return NULL;
}

struct sk_inv_snapshot *sk_inventory_add_snapshot(struct sk_inventory *inv, const struct sk_inv_snapshot *in)
{
	struct sk_inv_snapshot *out, *last;

	if (!in->id || !in->region) {
		sk_error_set(SK_ERR_INVALID, "a snapshot needs an id and a region");
		return NULL;
	}
	out = SK_ARRAY_PUSH(inv->snapshots, inv->n_snapshots, inv->cap_snapshots);
	if (!out)
		return NULL;
	last = inv->n_snapshots > 1 ? out - 1 : NULL;
	*out = *in;
	out->arn = out->arn_prefix = NULL;
	DUP(id);
	/* "arn:...:snapshot:<id>": only the id is stored; the prefix, the same for a region, is interned */
	if (in->arn) {
		size_t la = strlen(in->arn), li = strlen(in->id);
		if (la > li && in->arn[la - li - 1] == ':' && !strcmp(in->arn + la - li, in->id) && la - li < SK_ARN_MAX) {
			if (last && last->arn_prefix && !strncmp(last->arn_prefix, in->arn, la - li) &&
			    !last->arn_prefix[la - li])
				out->arn_prefix = last->arn_prefix;
			else if (!(out->arn_prefix = sk_arena_intern_n(&inv->arena, in->arn, la - li)))
				goto fail;
		} else {
			DUP(arn);
		}
	}
	INTERN(instance);
	INTERN(region);
	INTERN(status_text);
	INTERN(kms_key_id);
	INTERN(source_region);
	DUP(source_arn);
	out->tags = copy_tags(inv, in->tags, in->n_tags, last ? last->tags : NULL, last ? last->n_tags : 0);
	if (in->n_tags && !out->tags)
		goto fail;
	if (!out->original_created)
		out->original_created = out->created;
	if (!out->instance)
		out->instance = sk_inventory_intern(inv, "");
	if (!out->status_text)
		out->status_text = sk_inventory_intern(inv, "unknown");
	if (sk_inventory_add_region(inv, out->region) < 0)
		goto fail;
	return out;
fail:
	inv->n_snapshots--;
	return NULL;
}

struct sk_inv_autobackup *sk_inventory_add_autobackup(struct sk_inventory *inv, const struct sk_inv_autobackup *in)
{
	struct sk_inv_autobackup *out, *last;

	if (!in->region) {
		sk_error_set(SK_ERR_INVALID, "an automated backup needs a region");
		return NULL;
	}
	out = SK_ARRAY_PUSH(inv->autobackups, inv->n_autobackups, inv->cap_autobackups);
	if (!out)
		return NULL;
	last = inv->n_autobackups > 1 ? out - 1 : NULL;
	*out = *in;
	DUP(arn);
	INTERN(region);
	INTERN(source_region);
	INTERN(instance);
	DUP(instance_arn);
	INTERN(status);
	INTERN(kms_key_id);
	return out;
fail:
	inv->n_autobackups--;
	return NULL;
}

#undef INTERN
#undef DUP

const char *sk_inv_snapshot_arn(const struct sk_inv_snapshot *s, char *buf, size_t len)
{
	int n;

	if (s->arn || !s->arn_prefix)
		return s->arn;
	n = snprintf(buf, len, "%s%s", s->arn_prefix, s->id);
	return n > 0 && (size_t)n < len ? buf : NULL;
}

enum sk_snap_status sk_snap_status_from(const char *s)
{
	if (!s)
		return SK_SNAP_UNKNOWN;
	if (!strcmp(s, "available"))
		return SK_SNAP_AVAILABLE;
	if (!strcmp(s, "creating") || !strcmp(s, "pending") || !strcmp(s, "copying") || !strcmp(s, "modifying") ||
	    !strcmp(s, "upgrading"))
		return SK_SNAP_CREATING;
	if (!strcmp(s, "deleting") || !strcmp(s, "deleted"))
		return SK_SNAP_DELETING;
	if (!strcmp(s, "failed") || !strcmp(s, "error") || !strncmp(s, "incompatible", 12))
		return SK_SNAP_FAILED;
	return SK_SNAP_UNKNOWN;
}

enum sk_snap_type sk_snap_type_from(const char *t)
{
	if (!t || !strcmp(t, "manual"))
		return SK_SNAP_MANUAL;
	if (!strcmp(t, "automated"))
		return SK_SNAP_AUTOMATED;
	return SK_SNAP_OTHER;
}

static const char *const snap_type_names[] = {
	[SK_SNAP_MANUAL] = "manual",
	[SK_SNAP_AUTOMATED] = "automated",
	[SK_SNAP_OTHER] = "other",
};

const char *sk_snap_type_name(enum sk_snap_type t)
{
	return (size_t)t < sizeof(snap_type_names) / sizeof(snap_type_names[0]) ? snap_type_names[t] : "other";
}

static int cmp_ptr_str(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a)
		return -1;
	if (!b)
		return 1;
	return strcmp(a, b);
}

static int cmp_instance(const void *pa, const void *pb)
{
	const struct sk_inv_instance *a = pa, *b = pb;
	int c = cmp_ptr_str(a->region, b->region);

	if (!c)
		c = cmp_ptr_str(a->id, b->id);
	return c ? c : (int)a->is_cluster - (int)b->is_cluster;
}

static int cmp_snapshot(const void *pa, const void *pb)
{
	const struct sk_inv_snapshot *a = pa, *b = pb;
	int c = cmp_ptr_str(a->region, b->region);

	if (c)
		return c;
	if ((c = cmp_ptr_str(a->instance, b->instance)))
		return c;
	if (a->created != b->created)
		return a->created < b->created ? -1 : 1;
	return strcmp(a->id, b->id);
}

/*
 * Snapshots mostly come in runs: a file snapkeep wrote is in order, and
 * AWS and other tools tend to list an instance's snapshots newest first.
 * Each strictly descending run is turned around (it holds no two equal
 * keys, so equal ones keep the input's order, as qsort's merge sort keeps
 * it), and an array then found in order needs no sort: one pass instead
 * of n log n comparisons.  Anything else still goes to qsort.
 */
static bool snapshots_in_order(struct sk_inv_snapshot *s, size_t n)
{
	bool in_order = true;
	size_t i = 0;

	while (i < n) {
		size_t j = i + 1, a, b;
		while (j < n && cmp_snapshot(&s[j - 1], &s[j]) > 0)
			j++;
		for (a = i, b = j - 1; a < b; a++, b--) {
			struct sk_inv_snapshot t = s[a];
			s[a] = s[b];
			s[b] = t;
		}
		/* the run's smallest is now first: in order after the run before? */
		if (i && in_order && cmp_snapshot(&s[i - 1], &s[i]) > 0)
			in_order = false;
		i = j;
	}
	return in_order;
}

void sk_inventory_sort(struct sk_inventory *inv)
{
	if (inv->n_instances)
		qsort(inv->instances, inv->n_instances, sizeof(*inv->instances), cmp_instance);
	if (inv->n_snapshots && !snapshots_in_order(inv->snapshots, inv->n_snapshots))
		qsort(inv->snapshots, inv->n_snapshots, sizeof(*inv->snapshots), cmp_snapshot);
}

static const struct sk_inv_instance *find_unit(const struct sk_inventory *inv, const char *region, const char *id,
					       bool cluster)
{
	size_t lo = 0, hi = inv->n_instances;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sk_inv_instance *m = &inv->instances[mid];
		int c = strcmp(m->region, region);
		if (!c)
			c = strcmp(m->id, id);
		if (!c)
			c = (int)m->is_cluster - (int)cluster;
		if (!c)
			return m;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct sk_inv_instance *sk_inventory_find_instance(const struct sk_inventory *inv, const char *region,
							 const char *id)
{
	return find_unit(inv, region, id, false);
}

const struct sk_inv_instance *sk_inventory_find_cluster(const struct sk_inventory *inv, const char *region,
							const char *id)
{
	return find_unit(inv, region, id, true);
}

/* the first snapshot whose (region, instance) is not less than the key; with instance NULL, than the region */
static size_t snapshot_lower_bound(const struct sk_inventory *inv, const char *region, const char *instance,
				   bool after)
{
	size_t lo = 0, hi = inv->n_snapshots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sk_inv_snapshot *m = &inv->snapshots[mid];
		int c = strcmp(m->region, region);
		if (!c && instance)
			c = strcmp(m->instance, instance);
		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void sk_inventory_snapshot_range(const struct sk_inventory *inv, const char *region, const char *instance,
				 size_t *begin, size_t *end)
{
	*begin = snapshot_lower_bound(inv, region, instance, false);
	*end = snapshot_lower_bound(inv, region, instance, true);
}

void sk_inventory_instance_range(const struct sk_inventory *inv, const char *region, size_t *begin, size_t *end)
{
	size_t lo = 0, hi = inv->n_instances;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(inv->instances[mid].region, region) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*begin = lo;
	hi = inv->n_instances;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(inv->instances[mid].region, region) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*end = lo;
}
