/*
 * json.c - the small jansson helpers every writer of JSON wanted
 */
#include "common/json.h"

#include "common/timeutil.h"

json_t *sk_json_time(int64_t t)
{
	char buf[SK_TIME_RFC3339_MAX];

	if (!t)
		return json_null();
	sk_time_format_rfc3339(buf, t);
	return json_string(buf);
}

int sk_json_set_time_ms(json_t *o, const char *key, int64_t ms)
{
	char t[SK_TIME_RFC3339_MAX];

	if (ms <= 0)
		return 0;
	sk_time_format_rfc3339_ms(t, ms);
	return json_object_set_new(o, key, json_string(t));
}
