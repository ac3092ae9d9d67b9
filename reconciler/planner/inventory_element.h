/*
 * inventory_element.h - one element of a snapkeep-inventory/v1 file
 *
 * inventory_json.c streams the file through yajl and hands each element
 * of "instances", "snapshots" and "automatedBackups" here, event by event.
 * An element's values are kept as they come (their text in one scratch
 * buffer, reused for the next element) and checked when it closes, in a
 * fixed order, so its first problem is reported the same whatever the
 * order of its keys, and with its id: "inv.json:12: snapshot 'x':
 * 'created' must be an RFC 3339 time ...".  A checked element goes
 * straight into the inventory; no tree of it is ever built.
 */
#ifndef SK_INVENTORY_ELEMENT_H
#define SK_INVENTORY_ELEMENT_H

#include <stddef.h>

#include "reconciler/planner/inventory.h"

/* what a JSON value is, as the reader's events tell it */
enum sk_json_kind {
	SK_JSON_NULL = 1,
	SK_JSON_FALSE,
	SK_JSON_TRUE,
	SK_JSON_NUMBER, /* its text, as written */
	SK_JSON_STRING, /* its text, unescaped */
	SK_JSON_OBJECT, /* an opening '{' */
	SK_JSON_ARRAY,  /* an opening '[' */
};

/* a short rendering of a value for an error message: its JSON text, cut at 40 bytes, or "an object" */
const char *sk_json_shown(enum sk_json_kind kind, const char *s, size_t len, char out[48]);

struct sk_inv_element_kind;
/* the kind of element listed under the top-level key k[0..len), NULL for another key */
const struct sk_inv_element_kind *sk_inv_element_kind_of(const char *k, size_t len);
/* that key: "instances", "snapshots", "automatedBackups" */
const char *sk_inv_element_kind_key(const struct sk_inv_element_kind *kind);

struct sk_inv_element;

/* elements read into inv; errors name path */
int sk_inv_element_new(struct sk_inv_element **out, struct sk_inventory *inv, const char *path);
void sk_inv_element_free(struct sk_inv_element *e);

/*
 * An element of kind begins on line: value is its first event (an
 * SK_JSON_OBJECT, or the error says what it is instead).
 */
int sk_inv_element_begin(struct sk_inv_element *e, const struct sk_inv_element_kind *kind, size_t line,
			 enum sk_json_kind value, const char *s, size_t len);
/* its events after that: 0 goes on, -1 on error (set) */
int sk_inv_element_key(struct sk_inv_element *e, const char *k, size_t len);
int sk_inv_element_value(struct sk_inv_element *e, enum sk_json_kind kind, const char *s, size_t len);
/*
 * The end of an object or array in it: 1 when that closed the element,
 * which is then checked and added to the inventory; 0 goes on; -1 on error.
 */
int sk_inv_element_end(struct sk_inv_element *e);

#endif
