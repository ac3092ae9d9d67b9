/*
 * log.h - diagnostic lines on stderr
 *
 * Readable lines by default ("snapkeep: debug: ..."), one JSON object per
 * line with SNAPKEEP_LOG_FORMAT=json or sk_log_set_json().  The level comes
 * from SNAPKEEP_LOG (error, warn, info, debug) or --debug.  Never pass a
 * secret to these functions.
 */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum sk_log_level {
	SK_LOG_ERROR = 0,
	SK_LOG_WARN,
	SK_LOG_INFO,
	SK_LOG_DEBUG,
};

void sk_log_init_from_env(void);
void sk_log_set_level(int level);
int sk_log_level(void);
void sk_log_set_json(bool json);
bool sk_log_is_json(void);
void sk_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * A line for people on f: prefix, the text, a newline.  With JSON logs it
 * is a log record of level instead (shown as sk_log shows it), so that
 * every line on stderr stays a JSON object.
 */
void sk_log_vprint(FILE *f, int level, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

#define sk_log_enabled(level) (sk_log_level() >= (level))
#define sk_debug(...)                                  \
	do {                                           \
		if (sk_log_enabled(SK_LOG_DEBUG))      \
			sk_log(SK_LOG_DEBUG, __VA_ARGS__); \
	} while (0)
#define sk_info(...)                                  \
	do {                                          \
		if (sk_log_enabled(SK_LOG_INFO))      \
			sk_log(SK_LOG_INFO, __VA_ARGS__); \
	} while (0)
#define sk_warn(...) sk_log(SK_LOG_WARN, __VA_ARGS__)

#endif
