/*
 * array.c - the one growable array
 */
#include "common/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define FIRST_CAP 16

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
	return 0;
}
