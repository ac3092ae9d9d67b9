/*
 * arena.h - bump allocation and string interning for large inventories
 *
 * An inventory of a million snapshots holds millions of short strings, most
 * of them repeated (region, instance, status, tag keys).  An arena hands
 * out memory from large blocks freed all at once; sk_arena_intern() stores
 * each distinct string once, so equal interned strings are equal pointers.
 */
#ifndef SK_ARENA_H
#define SK_ARENA_H

#include <stddef.h>

struct sk_arena_block;

struct sk_arena {
	struct sk_arena_block *head;
	size_t used; /* bytes handed out, for reports */
	/* intern table: open addressing, power-of-two size */
	const char **slots;
	size_t n_slots;
	size_t n_interned;
};

#define SK_ARENA_INIT { .head = NULL, .used = 0, .slots = NULL, .n_slots = 0, .n_interned = 0 }

void *sk_arena_alloc(struct sk_arena *a, size_t size);
void *sk_arena_calloc(struct sk_arena *a, size_t n, size_t size);
/* a copy of p[0..size) in the arena (aligned as sk_arena_alloc's); NULL on allocation failure (error set) */
void *sk_arena_memdup(struct sk_arena *a, const void *p, size_t size);
/* a copy in the arena; NULL stays NULL; NULL also on allocation failure (error set) */
const char *sk_arena_strdup(struct sk_arena *a, const char *s);
const char *sk_arena_strndup(struct sk_arena *a, const char *s, size_t len);
/* a string printed from fmt into the arena (at most 1023 bytes, cut there); NULL on allocation failure (set) */
const char *sk_arena_printf(struct sk_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the one arena copy of s; NULL stays NULL */
const char *sk_arena_intern(struct sk_arena *a, const char *s);
/* the same for s[0..len), which holds no NUL */
const char *sk_arena_intern_n(struct sk_arena *a, const char *s, size_t len);
void sk_arena_free(struct sk_arena *a);

#endif
