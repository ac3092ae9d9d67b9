/*
 * lifecycle_index.c - which copies came from which source: the copies of
 * an inventory by source, and the copies on their way into each region
 */
#include "reconciler/planner/lifecycle_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "common/error.h"
#include "reconciler/planner/ownership.h"

const char *sk_lc_copy_source(const struct sk_inv_snapshot *s)
{
	const char *t = sk_tag_get(s->tags, s->n_tags, SK_TAG_SOURCE);

	return t ? t : s->source_arn;
}

struct source_key {
	const char *region;
	size_t region_len;
	const char *id;
};

static bool source_key_of_arn(const char *arn, struct source_key *k)
{
	struct sk_arn a;

	if (sk_arn_parse(&a, arn) < 0 || !a.region.len || !a.resource_id.len)
		return false;
	k->region = a.region.ptr;
	k->region_len = a.region.len;
	k->id = a.resource_id.ptr; /* it ends the ARN */
	return true;
}

static bool copy_key(const struct sk_inv_snapshot *s, struct source_key *k)
{
	return s->type == SK_SNAP_MANUAL && source_key_of_arn(sk_lc_copy_source(s), k);
}

static bool key_in_region(const struct source_key *k, const char *region)
{
	return !strncmp(k->region, region, k->region_len) && region[k->region_len] == '\0';
}

bool sk_lc_copy_from_region(const struct sk_inv_snapshot *s, const char *region)
{
	struct source_key k;

	if (s->source_region)
		return !strcmp(s->source_region, region);
	return copy_key(s, &k) && key_in_region(&k, region);
}

/* a copy on its way into s->region from another region */
static bool arriving_copy(const struct sk_inv_snapshot *s)
{
	struct source_key k;

	if (s->status != SK_SNAP_CREATING)
		return false;
	if (s->source_region)
		return strcmp(s->source_region, s->region) != 0;
	return copy_key(s, &k) && !key_in_region(&k, s->region);
}

static uint64_t hash_key(const char *region, size_t region_len, const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < region_len; i++)
		h = (h ^ (unsigned char)region[i]) * 1099511628211ULL;
	h = (h ^ (unsigned char)':') * 1099511628211ULL;
	while (*id)
		h = (h ^ (unsigned char)*id++) * 1099511628211ULL;
	return h;
}

/* the copies on their way into each region: how many, and their identifiers (apply watches them arrive) */
static int count_arriving(struct sk_diff *d)
{
	const struct sk_inventory *inv = d->inv;
	struct sk_diff_region *reg = NULL;
	size_t i, at = 0;

	for (i = 0; i < inv->n_snapshots; i++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[i];
		if (!reg || strcmp(reg->region, s->region))
			reg = sk_diff_region(d, s->region);
		if (!reg)
			return -1;
		if (s->status != SK_SNAP_DELETING && s->type == SK_SNAP_MANUAL && arriving_copy(s))
			reg->copies_inflight++;
	}
	for (i = 0; i < d->n_regions; i++)
		if (d->regions[i].copies_inflight &&
		    !(d->regions[i].arriving =
			      sk_arena_calloc(&d->plan->arena, d->regions[i].copies_inflight, sizeof(char *))))
			return sk_error_set_oom();
	for (i = 0, reg = NULL; i < inv->n_snapshots; i++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[i];
		if (!reg || strcmp(reg->region, s->region)) {
			reg = sk_diff_region(d, s->region);
			at = 0;
		}
		if (!reg || s->status == SK_SNAP_DELETING || s->type != SK_SNAP_MANUAL || !arriving_copy(s))
			continue;
		if (at < reg->copies_inflight && !(reg->arriving[at++] = sk_diff_intern(d, s->id)))
			return -1;
	}
	return 0;
}

int sk_lc_index_build(struct sk_lc_index *ix, struct sk_diff *d)
{
	const struct sk_inventory *inv = d->inv;
	size_t i, n_copies = 0;

	memset(ix, 0, sizeof(*ix));
	if (count_arriving(d) < 0)
		return -1;
	ix->next = calloc(inv->n_snapshots + 1, sizeof(*ix->next));
	if (!ix->next)
		return sk_error_set_oom();
	for (i = 0; i < inv->n_snapshots; i++) {
		struct source_key k;
		n_copies += copy_key(&inv->snapshots[i], &k);
	}
	ix->n_slots = 16;
	while (ix->n_slots < n_copies * 2)
		ix->n_slots *= 2;
	ix->slots = malloc(ix->n_slots * sizeof(*ix->slots));
	if (!ix->slots)
		return sk_error_set_oom();
	for (i = 0; i < ix->n_slots; i++)
		ix->slots[i] = SIZE_MAX;
	for (i = 0; i < inv->n_snapshots; i++) {
		struct source_key key;
		size_t h;
		ix->next[i] = SIZE_MAX;
		if (!copy_key(&inv->snapshots[i], &key))
			continue;
		for (h = hash_key(key.region, key.region_len, key.id) & (ix->n_slots - 1);;
		     h = (h + 1) & (ix->n_slots - 1)) {
			size_t k = ix->slots[h];
			struct source_key other;
			if (k == SIZE_MAX) {
				ix->slots[h] = i;
				break;
			}
			copy_key(&inv->snapshots[k], &other);
			if (other.region_len == key.region_len && !strncmp(other.region, key.region, key.region_len) &&
			    !strcmp(other.id, key.id)) {
				ix->next[i] = ix->next[k];
				ix->next[k] = i;
				break;
			}
		}
	}
	return 0;
}

void sk_lc_index_free(struct sk_lc_index *ix)
{
	free(ix->slots);
	free(ix->next);
	memset(ix, 0, sizeof(*ix));
}

size_t sk_lc_index_first(const struct sk_lc_index *ix, const struct sk_inventory *inv, const char *region,
			 const char *id)
{
	size_t h;

	for (h = hash_key(region, strlen(region), id) & (ix->n_slots - 1);; h = (h + 1) & (ix->n_slots - 1)) {
		struct source_key k;
		size_t i = ix->slots[h];
		if (i == SIZE_MAX)
			return i;
		copy_key(&inv->snapshots[i], &k);
		if (key_in_region(&k, region) && !strcmp(k.id, id))
			return i;
	}
}
