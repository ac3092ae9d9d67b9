/*
 * log.c - diagnostic lines on stderr
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/timeutil.h"

static int level = SK_LOG_WARN;
static bool json;

static const char *const names[] = { "error", "warn", "info", "debug" };

void sk_log_init_from_env(void)
{
	const char *v = getenv("SNAPKEEP_LOG");
	const char *f = getenv("SNAPKEEP_LOG_FORMAT");
	size_t i;

	if (v)
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcasecmp(v, names[i]))
				level = (int)i;
	if (f && !strcasecmp(f, "json"))
		json = true;
}

void sk_log_set_level(int l)
{
	level = l;
}

int sk_log_level(void)
{
	return level;
}

void sk_log_set_json(bool on)
{
	json = on;
}

bool sk_log_is_json(void)
{
	return json;
}

void sk_log(int l, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	if (l > level)
		return;
	if (l < 0)
		l = 0;
	if (l > SK_LOG_DEBUG)
		l = SK_LOG_DEBUG;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (json) {
		char ts[SK_TIME_RFC3339_MAX];
		json_t *o;
		char *s;

		sk_time_format_rfc3339_ms(ts, sk_time_now_ms());
		o = json_pack("{s:s, s:s, s:s}", "time", ts, "level", names[l], "msg", msg);
		s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (s)
			fprintf(stderr, "%s\n", s);
		free(s);
		json_decref(o);
		return;
	}
	fprintf(stderr, "snapkeep: %s: %s\n", names[l], msg);
}

void sk_log_vprint(FILE *f, int l, const char *prefix, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (json)
		sk_log(l, "%s", msg);
	else
		fprintf(f, "%s%s\n", prefix, msg);
}
