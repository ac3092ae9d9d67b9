/*
 * array.h - the one growable array: items, count, capacity
 *
 * As git's ALLOC_GROW and libgit2's git_array: a typed pointer, a count and
 * a capacity kept side by side by their owner, grown by doubling with the
 * multiplication checked, so no module hand-rolls a realloc loop.
 *
 *	struct thing *things = NULL;
 *	size_t n_things = 0, cap_things = 0;
 *	struct thing *t = SK_ARRAY_PUSH(things, n_things, cap_things);
 *	if (!t)
 *		return -1; (the error is set)
 *
 * The macros evaluate their arguments more than once: pass plain lvalues.
 */
#ifndef SK_ARRAY_H
#define SK_ARRAY_H

#include <stddef.h>
#include <stdlib.h>

/*
 * Makes room for at least need items of size bytes in the array *itemsp
 * points to (a T **, passed as void *), whose capacity is *cap: 0, or -1
 * with the error set (out of memory, or need * size does not fit a size_t),
 * the array then left as it was.
 */
int sk_array_reserve(void *itemsp, size_t *cap, size_t need, size_t size);

/*
 * Asks the kernel to back the pages of p[0..len) with huge pages where it
 * can (Linux's transparent huge pages, "madvise" mode): a
 * hint, nothing fails.  A million-snapshot inventory touches 250 MB, and
 * a page fault per 4 KiB of it costs more than reading its file.  Arrays
 * that grow past SK_HUGE_MIN bytes take it by themselves.
 */
void sk_advise_huge_pages(void *p, size_t len);
#define SK_HUGE_MIN ((size_t)8 << 20)

/* SK_ARRAY_GROW(items, cap, need): room for need items; 0 or -1 */
#define SK_ARRAY_GROW(items, cap, need) \
	((need) <= (cap) ? 0 : sk_array_reserve(&(items), &(cap), (need), sizeof(*(items))))

/* SK_ARRAY_PUSH(items, n, cap): a pointer to a new last item (not cleared), NULL on failure */
#define SK_ARRAY_PUSH(items, n, cap) (SK_ARRAY_GROW(items, cap, (n) + 1) < 0 ? NULL : &(items)[(n)++])

/*
 * SK_ARRAY_CLEAR(items, n, cap, item_free): item_free(&items[i]) for each
 * of the n items, then frees the array and leaves it empty (items NULL, n
 * and cap 0): the one loop every owner of an array of owning items wrote.
 */
#define SK_ARRAY_CLEAR(items, n, cap, item_free)                        \
	do {                                                            \
		size_t sk_array_i_;                                     \
		for (sk_array_i_ = 0; sk_array_i_ < (n); sk_array_i_++) \
			item_free(&(items)[sk_array_i_]);               \
		free(items);                                            \
		(items) = NULL;                                         \
		(n) = (cap) = 0;                                        \
	} while (0)

#endif
