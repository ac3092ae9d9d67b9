/*
 * array.c - the one growable array
 */
#include "common/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"

#define FIRST_CAP 16

void sk_advise_huge_pages(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start, end;

	if (page <= 0 || len < SK_HUGE_MIN)
		return;
	/*
	 * The whole pages p[0..len) touches, beyond it rather than short: a
	 * large malloc() is a mapping of its own, and advice on part of it
	 * splits it in two, which realloc() can no longer mremap() but copies.
	 */
	start = (uintptr_t)p & ~((uintptr_t)page - 1);
	end = ((uintptr_t)p + len + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

int sk_array_reserve(void *itemsp, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : FIRST_CAP;
	void *items, *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c = c > SIZE_MAX / 2 ? need : c * 2;
	if (!size || c > SIZE_MAX / size)
		return sk_error_set_oom();
	/* *itemsp is a T *: read and write it as bytes, which every object pointer may be */
	memcpy(&items, itemsp, sizeof(items));
	p = realloc(items, c * size);
	if (!p)
		return sk_error_set_oom();
	memcpy(itemsp, &p, sizeof(p));
	*cap = c;
	sk_advise_huge_pages(p, c * size);
	return 0;
}
