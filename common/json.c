/*
 * json.c - the small jansson helpers every writer of JSON wanted
 */
#include "common/json.h"

#include "common/error.h"
#include "common/timeutil.h"

json_t *sk_json_time(int64_t t)
{
	char buf[SK_TIME_RFC3339_MAX];

	if (!t)
		return json_null();
	sk_time_format_rfc3339(buf, t);
	return json_string(buf);
}

json_t *sk_json_strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int sk_json_set_time_ms(json_t *o, const char *key, int64_t ms)
{
	char t[SK_TIME_RFC3339_MAX];

	if (ms <= 0)
		return 0;
	sk_time_format_rfc3339_ms(t, ms);
	return json_object_set_new(o, key, json_string(t));
}

json_t *sk_json_built(json_t *j, bool ok)
{
	if (ok)
		return j;
	json_decref(j);
	sk_error_set_oom();
	return NULL;
}

int sk_json_set_str_if(json_t *o, const char *key, const char *s)
{
	return s ? json_object_set_new(o, key, json_string(s)) : 0;
}

int sk_json_set_int_if(json_t *o, const char *key, int v)
{
	return v >= 0 ? json_object_set_new(o, key, json_integer(v)) : 0;
}

int sk_json_set_bool_if(json_t *o, const char *key, int v)
{
	return v >= 0 ? json_object_set_new(o, key, json_boolean(v)) : 0;
}

json_t *sk_json_field(const void *obj, const struct sk_field *f)
{
	const void *m = sk_field_cptr(obj, f);
	const char *s;

	switch (f->type) {
	case SK_FIELD_STR:
		s = *(const char *const *)m;
		return s ? json_string(s) : json_null();
	case SK_FIELD_INT:
		return json_integer(*(const int *)m);
	case SK_FIELD_BOOL:
		return json_boolean(*(const bool *)m);
	case SK_FIELD_TIME:
		return sk_json_time(*(const int64_t *)m);
	}
	return NULL;
}
