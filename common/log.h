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

#include <stdbool.h>

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
