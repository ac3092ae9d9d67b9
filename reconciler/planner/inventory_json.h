/*
 * inventory_json.h - an inventory as a snapkeep-inventory/v1 JSON file
 *
 * specs/inventory.md documents the format.  Both directions stream: the
 * writer puts out one element at a time, and the reader takes the file
 * through a SAX parser (yajl), each element's fields going straight into
 * the inventory, so a million snapshots need no more memory than their
 * records.  The planner opens no file: both directions take a stream the
 * caller opened (the command line opens --inventory FILE).
 */
#ifndef SK_INVENTORY_JSON_H
#define SK_INVENTORY_JSON_H

#include <stdio.h>

#include "reconciler/planner/inventory.h"

/* writes to f, which the caller opened (and closes) */
int sk_inventory_write_json(const struct sk_inventory *inv, FILE *f);
/*
 * Reads an inventory from f, which the caller opened (and closes); name is
 * what errors call it (the file's path).  Every value is checked; the
 * first problem fails the read with one error naming the file, the line
 * (where the element starts), the element and the field.
 */
int sk_inventory_read_stream(struct sk_inventory **out, FILE *f, const char *name);

#endif
