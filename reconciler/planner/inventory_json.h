/*
 * inventory_json.h - an inventory as a snapkeep-inventory/v1 JSON file
 *
 * specs/inventory.md documents the format.  Both directions stream: the
 * writer puts out one element at a time, and the reader takes the file
 * through a SAX parser (yajl), each element's fields going straight into
 * the inventory, so a million snapshots need no more memory than their
 * records.
 */
#ifndef SK_INVENTORY_JSON_H
#define SK_INVENTORY_JSON_H

#include <stdio.h>

#include "reconciler/planner/inventory.h"

int sk_inventory_write_json(const struct sk_inventory *inv, FILE *f);
/*
 * Reads the file ("-": standard input).  Every value is checked; the first
 * problem fails the read with one error naming the file, the line (where
 * the element starts), the element and the field.
 */
int sk_inventory_read_json(struct sk_inventory **out, const char *path);
/* the same from an open stream (not closed); name is what errors call it */
int sk_inventory_read_stream(struct sk_inventory **out, FILE *f, const char *name);

#endif
