/*
 * arena.c - bump allocation and string interning
 */
#include "common/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"

/*
 * Blocks double from FIRST_BLOCK_SIZE up to BLOCK_SIZE: a small policy file
 * takes a few KiB.  Past BIG_AFTER in all, blocks are of SK_HUGE_MIN on huge
 * pages (a million-snapshot inventory is 100 MB).
 */
#define FIRST_BLOCK_SIZE ((size_t)4 << 10)
#define BLOCK_SIZE ((size_t)1 << 20)
#define BIG_AFTER ((size_t)8 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

struct sk_arena_block {
	struct sk_arena_block *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

void *sk_arena_alloc(struct sk_arena *a, size_t size)
{
	struct sk_arena_block *b = a->head;
	size_t align = _Alignof(max_align_t), need, start; /* what malloc promises, and the blocks start on */
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
		void *m = NULL;

		bs = bs < BLOCK_SIZE / 2 ? bs * 2 : BLOCK_SIZE;
		while (bs < need && bs < BLOCK_SIZE)
			bs *= 2;
		if (a->used >= BIG_AFTER)
			bs = SK_HUGE_MIN - sizeof(*b);
		if (need > BLOCK_SIZE / 4)
			bs = need;

		if (bs > SIZE_MAX - sizeof(*b))
			goto oom;
		if (sizeof(*b) + bs >= SK_HUGE_MIN) {
			if (posix_memalign(&m, HUGE_PAGE, sizeof(*b) + bs))
				m = NULL;
			else
				sk_advise_huge_pages(m, sizeof(*b) + bs);
		} else {
			m = malloc(sizeof(*b) + bs);
		}
		if (!(b = m))
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
static char *reserve(struct sk_arena *a, size_t size)
{
	struct sk_arena_block *b = a->head;
	char *p;

	if (!b || b->size - b->used < size)
		return sk_arena_alloc(a, size);
	p = (char *)b->data + b->used;
	b->used += size;
	a->used += size;
	return p;
}

static char *pack(struct sk_arena *a, const char *s, size_t len)
{
	char *p = len < SIZE_MAX ? reserve(a, len + 1) : NULL;

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *sk_arena_memdup(struct sk_arena *a, const void *p, size_t size)
{
	void *d = sk_arena_alloc(a, size);

	if (d && size)
		memcpy(d, p, size);
	return d;
}

const char *sk_arena_printf(struct sk_arena *a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sk_arena_strdup(a, buf);
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

/*
 * Interned strings carry a header before their text, the hash and the
 * length, so a probe compares those before any byte, and growing the table
 * hashes nothing again.
 */
struct intern_head {
	uint32_t hash;
	uint32_t len;
};

/* a word at a time: interning is on the path of every string of a million-snapshot inventory */
static uint32_t hash(const char *s, size_t len)
{
	const uint64_t m = 0x9e3779b97f4a7c15ULL;
	uint64_t h = len * m, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * m;
		h ^= h >> 29;
	}
	if (len) {
		w = 0;
		if (len >= 4) {
			uint32_t lo, hi;
			memcpy(&lo, s, 4);
			memcpy(&hi, s + len - 4, 4);
			w = (uint64_t)hi << 32 | lo;
		} else {
			w = (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[len / 2] << 8 |
			    (unsigned char)s[len - 1];
		}
		h = (h ^ w) * m;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return (uint32_t)h;
}

static struct intern_head head_of(const char *s)
{
	struct intern_head hd;

	memcpy(&hd, s - sizeof(hd), sizeof(hd));
	return hd;
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
		for (j = head_of(s).hash & (n - 1); slots[j]; j = (j + 1) & (n - 1))
			;
		slots[j] = s;
	}
	free(a->slots);
	a->slots = slots;
	a->n_slots = n;
	return 0;
}

const char *sk_arena_intern_n(struct sk_arena *a, const char *s, size_t len)
{
	struct intern_head hd;
	size_t j;
	char *p;

	if (!s)
		return NULL;
	if (len > UINT32_MAX) {
		sk_error_set_oom();
		return NULL;
	}
	if ((a->n_interned + 1) * 2 > a->n_slots && grow(a) < 0)
		return NULL;
	hd.hash = hash(s, len);
	hd.len = (uint32_t)len;
	for (j = hd.hash & (a->n_slots - 1); a->slots[j]; j = (j + 1) & (a->n_slots - 1)) {
		const char *t = a->slots[j];
		struct intern_head th = head_of(t);
		if (th.hash == hd.hash && th.len == hd.len && !memcmp(t, s, len))
			return t;
	}
	/* the header, then the text: packed, as every string is */
	if (!(p = reserve(a, sizeof(hd) + len + 1)))
		return NULL;
	memcpy(p, &hd, sizeof(hd));
	p += sizeof(hd);
	memcpy(p, s, len);
	p[len] = '\0';
	a->slots[j] = p;
	a->n_interned++;
	return p;
}

const char *sk_arena_intern(struct sk_arena *a, const char *s)
{
	return s ? sk_arena_intern_n(a, s, strlen(s)) : NULL;
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
