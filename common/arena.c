/*
 * arena.c - bump allocation and string interning
 */
#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

/* blocks double from FIRST_BLOCK_SIZE up to BLOCK_SIZE: a small policy file takes
 * a few KiB, a million-snapshot inventory still 1 MiB blocks */
#define FIRST_BLOCK_SIZE ((size_t)4 << 10)
#define BLOCK_SIZE ((size_t)1 << 20)

struct sk_arena_block {
	struct sk_arena_block *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

void *sk_arena_alloc(struct sk_arena *a, size_t size)
{
	struct sk_arena_block *b = a->head;
	size_t align = sizeof(max_align_t), need, start;
	void *p;

	if (size > SIZE_MAX - align)
		goto oom;
	need = (size + align - 1) & ~(align - 1);
	/* strings are packed unaligned (pack() below): round up to the alignment */
	start = b ? (b->used + align - 1) & ~(align - 1) : 0;
	if (b && start <= b->size && b->size - start >= need) {
		p = (char *)b->data + start;
		a->used += need + (start - b->used);
		b->used = start + need;
		return p;
	}
	{
		size_t bs = b ? b->size : FIRST_BLOCK_SIZE / 2;

		bs = bs < BLOCK_SIZE / 2 ? bs * 2 : BLOCK_SIZE;
		while (bs < need && bs < BLOCK_SIZE)
			bs *= 2;
		if (need > BLOCK_SIZE / 4)
			bs = need;

		b = malloc(sizeof(*b) + bs);
		if (!b)
			goto oom;
		b->size = bs;
		b->used = 0;
		if (need > BLOCK_SIZE / 4 && a->head) {
			/* a big allocation gets its own block, behind the current one */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += need;
	a->used += need;
	return p;
oom:
	sk_error_set_oom();
	return NULL;
}

void *sk_arena_calloc(struct sk_arena *a, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		sk_error_set_oom();
		return NULL;
	}
	p = sk_arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

/* strings are small: pack them without max_align_t padding */
static char *pack(struct sk_arena *a, const char *s, size_t len)
{
	struct sk_arena_block *b = a->head;
	char *p;

	if (!b || b->size - b->used < len + 1) {
		p = sk_arena_alloc(a, len + 1);
		if (!p)
			return NULL;
	} else {
		p = (char *)b->data + b->used;
		b->used += len + 1;
		a->used += len + 1;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

const char *sk_arena_strndup(struct sk_arena *a, const char *s, size_t len)
{
	if (!s)
		return NULL;
	return pack(a, s, len);
}

const char *sk_arena_strdup(struct sk_arena *a, const char *s)
{
	return s ? pack(a, s, strlen(s)) : NULL;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static int grow(struct sk_arena *a)
{
	size_t n = a->n_slots ? a->n_slots * 2 : 1024, i;
	const char **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return sk_error_set_oom();
	for (i = 0; i < a->n_slots; i++) {
		const char *s = a->slots[i];
		size_t j;
		if (!s)
			continue;
		for (j = hash(s) & (n - 1); slots[j]; j = (j + 1) & (n - 1))
			;
		slots[j] = s;
	}
	free(a->slots);
	a->slots = slots;
	a->n_slots = n;
	return 0;
}

const char *sk_arena_intern(struct sk_arena *a, const char *s)
{
	size_t j;

	if (!s)
		return NULL;
	if ((a->n_interned + 1) * 2 > a->n_slots && grow(a) < 0)
		return NULL;
	for (j = hash(s) & (a->n_slots - 1); a->slots[j]; j = (j + 1) & (a->n_slots - 1))
		if (!strcmp(a->slots[j], s))
			return a->slots[j];
	a->slots[j] = sk_arena_strdup(a, s);
	if (!a->slots[j])
		return NULL;
	a->n_interned++;
	return a->slots[j];
}

void sk_arena_free(struct sk_arena *a)
{
	struct sk_arena_block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a->slots);
	a->head = NULL;
	a->slots = NULL;
	a->used = a->n_slots = a->n_interned = 0;
}
