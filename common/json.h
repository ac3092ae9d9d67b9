/*
 * json.h - the small jansson helpers every writer of JSON wanted
 *
 * Times go into snapkeep's JSON documents as RFC 3339 strings; an unknown
 * time (0) is null, or left out where a document leaves unknowns out.
 */
#ifndef SK_JSON_H
#define SK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/fields.h"

/* t as "2026-01-01T03:00:00Z", or JSON null when t is 0; NULL when out of memory */
json_t *sk_json_time(int64_t t);

/* v[0..n) as a JSON array of strings; NULL when one is not UTF-8, or out of memory */
json_t *sk_json_strings(const char *const *v, size_t n);

/*
 * Sets o's member key to ms as "2026-01-01T03:00:00.123Z" when ms > 0, and
 * leaves it out otherwise: 0, or -1 (jansson's) when out of memory.
 */
int sk_json_set_time_ms(json_t *o, const char *key, int64_t ms);

/*
 * Sets o's member key when the value is given, and leaves it out otherwise:
 * a string that is not NULL; a number or a flag (0 or 1) that is not
 * negative (-1: unset).  0, or -1 (jansson's) when out of memory.
 */
int sk_json_set_str_if(json_t *o, const char *key, const char *s);
int sk_json_set_int_if(json_t *o, const char *key, int v);
int sk_json_set_bool_if(json_t *o, const char *key, int v);

/*
 * The end of a writer that built j member by member and noted in ok whether
 * every step succeeded: j when ok, otherwise NULL with j freed and out of
 * memory recorded.
 */
json_t *sk_json_built(json_t *j, bool ok);

/*
 * obj's member f names as JSON: a string (null when NULL), an integer, a
 * boolean, or a time as sk_json_time() writes it; NULL when out of memory.
 */
json_t *sk_json_field(const void *obj, const struct sk_field *f);

#endif
