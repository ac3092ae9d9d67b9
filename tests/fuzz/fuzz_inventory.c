/*
 * fuzz_inventory.c - the snapkeep-inventory/v1 reader (reconciler/inventory.c)
 *
 * Inventory files come from other tools.  Whatever the reader accepts must
 * write out and read back the same (counts, and the same text written
 * twice); whatever it refuses must say why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "reconciler/planner/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *write_out(const struct sk_inventory *inv, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f || sk_inventory_write_json(inv, f) < 0)
		abort();
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_inventory *inv = NULL, *again = NULL;
	FILE *f;
	char *text, *text2;
	size_t len, len2;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	if (sk_inventory_read_stream(&inv, f, "fuzz") < 0) {
		fclose(f);
		if (!sk_error_message()[0] || inv)
			abort(); /* a refusal always says why, and leaves nothing */
		return 0;
	}
	fclose(f);
	text = write_out(inv, &len);
	f = fmemopen(text, len, "rb");
	if (!f || sk_inventory_read_stream(&again, f, "fuzz-again") < 0)
		abort();
	fclose(f);
	if (again->n_instances != inv->n_instances || again->n_snapshots != inv->n_snapshots ||
	    again->n_autobackups != inv->n_autobackups)
		abort();
	text2 = write_out(again, &len2);
	if (len2 != len || memcmp(text, text2, len))
		abort();
	free(text);
	free(text2);
	sk_inventory_free(again);
	sk_inventory_free(inv);
	return 0;
}
