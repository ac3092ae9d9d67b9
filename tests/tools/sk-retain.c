/*
 * sk-retain.c - runs the retention engine on cases read as JSON, for the
 * differential test against the Python reference (tests/e2e/lib/restic_forget.py)
 *
 *   sk-retain < cases.json
 *
 * Input: one case, or an array of cases, each
 *   {"rules": {"last": N, "hourly": N, "daily": N, "weekly": N, "monthly": N,
 *              "yearly": N, "within": {"years": N, "months": N, "days": N, "hours": N}},
 *    "items": [{"id": "a", "time": 1700000000 | "2023-11-14T22:13:20Z"}, ...]}
 * (a rule left out is 0, not used; -1 is unlimited; "within" left out: none).
 * Output, on one line: for each case, its items in input order as
 *   [{"id": "a", "keep": 12, "reasons": ["daily", "weekly"]}, ...]
 * and an array of those for an array of cases.  Exits 1 with one line on
 * stderr for bad input or an engine error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/retention.h"

static int int_field(int *out, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < -2147483647 - 1 || json_integer_value(v) > 2147483647)
		return sk_error_set(SK_ERR_INVALID, "'%s' must be an int", key);
	*out = (int)json_integer_value(v);
	return 0;
}

static int read_rules(struct sk_retain *r, json_t *o)
{
	static const char *const known[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly", "within" };
	const char *key;
	json_t *v, *w;
	size_t i;

	if (o && !json_is_object(o))
		return sk_error_set(SK_ERR_INVALID, "'rules' must be an object");
	json_object_foreach(o, key, v) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(key, known[i]))
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			return sk_error_set(SK_ERR_INVALID, "unknown rule '%s'", key);
	}
	if (int_field(&r->last, o, "last") < 0 || int_field(&r->hourly, o, "hourly") < 0 ||
	    int_field(&r->daily, o, "daily") < 0 || int_field(&r->weekly, o, "weekly") < 0 ||
	    int_field(&r->monthly, o, "monthly") < 0 || int_field(&r->yearly, o, "yearly") < 0)
		return SK_ERROR;
	w = json_object_get(o, "within");
	if (w && !json_is_null(w)) {
		if (!json_is_object(w))
			return sk_error_set(SK_ERR_INVALID, "'within' must be {years, months, days, hours}");
		r->has_within = true;
		if (int_field(&r->within.years, w, "years") < 0 || int_field(&r->within.months, w, "months") < 0 ||
		    int_field(&r->within.days, w, "days") < 0 || int_field(&r->within.hours, w, "hours") < 0)
			return SK_ERROR;
	}
	return 0;
}

static json_t *run_case(json_t *c)
{
	struct sk_retain r = SK_RETAIN_INIT;
	struct sk_retention_item *items = NULL;
	json_t *list, *v, *out = NULL;
	size_t i, n;

	if (!json_is_object(c)) {
		sk_error_set(SK_ERR_INVALID, "a case must be an object");
		return NULL;
	}
	if (read_rules(&r, json_object_get(c, "rules")) < 0)
		return NULL;
	list = json_object_get(c, "items");
	if (!json_is_array(list)) {
		sk_error_set(SK_ERR_INVALID, "'items' must be an array");
		return NULL;
	}
	n = json_array_size(list);
	if (n && !(items = calloc(n, sizeof(*items)))) {
		sk_error_set_oom();
		return NULL;
	}
	json_array_foreach(list, i, v) {
		json_t *id = json_object_get(v, "id"), *t = json_object_get(v, "time");

		if (!json_is_string(id)) {
			sk_error_set(SK_ERR_INVALID, "item %zu: 'id' must be a string", i);
			goto done;
		}
		items[i].id = json_string_value(id);
		if (json_is_integer(t)) {
			items[i].time = json_integer_value(t);
		} else if (!json_is_string(t) || sk_time_parse_rfc3339(&items[i].time, json_string_value(t)) < 0) {
			sk_error_set(SK_ERR_INVALID, "item %zu: 'time' must be seconds or an RFC 3339 time", i);
			goto done;
		}
	}
	if (sk_retention_apply(&r, items, n) < 0)
		goto done;
	out = json_array();
	for (i = 0; out && i < n; i++) {
		json_t *reasons = json_array();
		unsigned bit;

		for (bit = 1; bit; bit <<= 1)
			if (items[i].keep & bit)
				json_array_append_new(reasons, json_string(sk_keep_reason_name(bit)));
		json_array_append_new(out, json_pack("{s:s, s:I, s:o}", "id", items[i].id, "keep",
						     (json_int_t)items[i].keep, "reasons", reasons));
	}
done:
	free(items);
	return out;
}

int main(void)
{
	json_error_t jerr;
	json_t *in, *out = NULL, *r;
	char *s = NULL;
	int rc = 1;
	size_t i;

	in = json_loadf(stdin, 0, &jerr);
	if (!in) {
		fprintf(stderr, "sk-retain: stdin:%d:%d: %s\n", jerr.line, jerr.column, jerr.text);
		return 1;
	}
	if (json_is_array(in)) {
		json_t *c;

		out = json_array();
		json_array_foreach(in, i, c) {
			if (!(r = run_case(c))) {
				sk_error_prefix("case %zu", i);
				goto done;
			}
			json_array_append_new(out, r);
		}
	} else if (!(out = run_case(in))) {
		goto done;
	}
	if (!(s = json_dumps(out, JSON_COMPACT))) {
		sk_error_set_oom();
		goto done;
	}
	printf("%s\n", s);
	rc = 0;
done:
	if (rc)
		fprintf(stderr, "sk-retain: %s\n", sk_error_message());
	free(s);
	json_decref(out);
	json_decref(in);
	return rc;
}
