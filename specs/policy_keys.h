/*
 * policy_keys.h - the policy format's tables: the keys each place of a
 * document may have, and the patterns its values must match
 *
 * Private to the policy parser (specs/policy*.c).  The tables are the one
 * statement of which keys exist where; sk_policy_keysets() and
 * sk_policy_patterns() (policy.h) hand them to tools and the schema test.
 * Also the "did you mean" of unknown keys: the nearest allowed key, and the
 * place a misplaced key belongs in.
 */
#ifndef SK_POLICY_KEYS_H
#define SK_POLICY_KEYS_H

#include <stdbool.h>

#include "specs/policy.h"

/* the keys per place, NULL-terminated */
extern const char *const sk_policy_keys_top[];
extern const char *const sk_policy_keys_metadata[];
extern const char *const sk_policy_keys_spec[];
extern const char *const sk_policy_keys_selector[];
extern const char *const sk_policy_keys_exclude[];
extern const char *const sk_policy_keys_automated[];
extern const char *const sk_policy_keys_replicate[];
extern const char *const sk_policy_keys_snapshots[];
extern const char *const sk_policy_keys_retain[];
extern const char *const sk_policy_keys_copy[];
extern const char *const sk_policy_keys_alerts[];
extern const char *const sk_policy_keys_settings[];
extern const char *const sk_policy_keys_account[];
extern const char *const sk_policy_keys_verify[];
extern const char *const sk_policy_keys_threshold[];
extern const char *const sk_policy_keys_drill[];
extern const char *const sk_policy_keys_drill_connect[];
extern const char *const sk_policy_keys_drill_check[];

/* every place with fixed keys ("spec.automated", ...), NULL-terminated */
extern const struct sk_policy_keyset sk_policy_keys_sets[];

/* the patterns, by index into sk_policy_keys_patterns */
enum sk_policy_rx {
	SK_POLICY_RX_NAME = 0,
	SK_POLICY_RX_REGION,
	SK_POLICY_RX_INSTANCE,
	SK_POLICY_RX_PREFIX,
	SK_POLICY_RX_KMS,
	SK_POLICY_RX_SNS,
	SK_POLICY_RX_WINDOW,
	SK_POLICY_RX_WITHIN,
	SK_POLICY_RX_RESERVED_TAG,
	SK_POLICY_RX_INSTANCE_CLASS,
	SK_POLICY_RX_ENV,
	SK_POLICY_RX_DURATION,
	SK_POLICY_RX_ACCOUNT,
	SK_POLICY_RX_ROLE_ARN,
	SK_POLICY_RX_EXTERNAL_ID,
	SK_POLICY_RX_COUNT,
};

/* name and regex per pattern, NULL-terminated (at SK_POLICY_RX_COUNT) */
extern const struct sk_policy_pattern sk_policy_keys_patterns[];

/* does s match pattern rx (compiled once, thread-safe)?  false when it does not compile */
bool sk_policy_keys_match(enum sk_policy_rx rx, const char *s);

/* the candidate nearest to key (case-insensitive, transpositions count one), or NULL when none is near */
const char *sk_policy_keys_nearest(const char *key, const char *const *candidates);

/* the place of a Policy other than `except` whose keys hold key, as messages name it ("automated"), or NULL
 * (always NULL when `except` is not one of a Policy's places: Settings keys are their own) */
const char *sk_policy_keys_home(const char *key, const char *const *except);

#endif
