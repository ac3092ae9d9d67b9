/*
 * policy_parse.h - the policy parser's shared context: diagnostics, values
 * as messages quote them, checked keys and typed values
 *
 * Private to the policy parser.  policy.c walks files and documents and
 * owns the context; policy_spec.c, policy_snapshots.c, policy_settings.c
 * and policy_check.c report into it.  Nothing stops at the first problem:
 * each one becomes a diagnostic with its file:line:col, and the caller
 * goes on with the next key.  The want_* checks report what is wrong with
 * a node and return false; an alias (SK_Y_INVALID) was reported when the
 * file was read and is refused silently.  Strings and arrays are copied
 * into the set's arena; out of memory sets oom and is reported once, at
 * the end.
 */
#ifndef SK_POLICY_PARSE_H
#define SK_POLICY_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "specs/policy.h"
#include "specs/policy_keys.h"
#include "specs/yamltree.h"

#define SK_POLICY_MAX_NAME 63
#define SK_POLICY_REGION_EXPECTED "an AWS region name such as us-east-1"

struct sk_pctx {
	struct sk_policyset *set;
	struct sk_buf diags;    /* struct sk_policy_diag */
	struct sk_buf policies; /* struct sk_policy */
	struct sk_buf quotas;   /* struct sk_settings_quota */
	const char *file;       /* in the set's arena */
	const char *data;
	size_t len;
	char who[160]; /* "policy 'prod': " or "" */
	bool oom;
};

/* ---- diagnostics ---- */

/* a message as it is, at a position */
void sk_pctx_add_diag(struct sk_pctx *p, const char *file, int line, int col, const char *msg);
/* a problem at a node of the current file (NULL: 1:1), with the "policy 'x': " prefix */
void sk_pctx_diag(struct sk_pctx *p, const struct sk_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* the same at a line and column of the current file */
void sk_pctx_diag_at(struct sk_pctx *p, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* a problem at a position, no prefix */
void sk_pctx_diag_pos(struct sk_pctx *p, const struct sk_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* where a node of the current file is (NULL: 1:1) */
struct sk_pos sk_pctx_pos(const struct sk_pctx *p, const struct sk_ynode *n);

/* ---- values as messages show them ---- */

/* a value as messages quote it: at most 60 bytes, control characters escaped */
#define SK_PCTX_SHOW_MAX 96
const char *sk_pctx_show(char out[SK_PCTX_SHOW_MAX], const char *s, size_t len);
#define SK_PCTX_SHOWN(buf, n) sk_pctx_show(buf, (n)->text, (n)->len)

/* "string 'thirty'", "integer 40", "a mapping", ... */
#define SK_PCTX_DESCRIBE_MAX (SK_PCTX_SHOW_MAX + 32)
const char *sk_pctx_describe(char out[SK_PCTX_DESCRIBE_MAX], const struct sk_ynode *n);

/* characters (not bytes) of UTF-8 text */
size_t sk_pctx_utf8_chars(const char *s, size_t len);

/* ---- the set's arena ---- */

char *sk_pctx_strdup(struct sk_pctx *p, const char *s, size_t len);
/* NULL when n is 0 */
void *sk_pctx_calloc(struct sk_pctx *p, size_t n, size_t size);

/* ---- keys ---- */

/*
 * Keys of a mapping: scalars, none twice, each one allowed (allowed NULL:
 * any key).  where names the mapping in messages (NULL: the top level).
 */
void sk_pctx_check_keys(struct sk_pctx *p, const struct sk_ynode *map, const char *where,
			const char *const *allowed);
/* a mapping value and its key (k may be NULL), by name */
const struct sk_ynode *sk_pctx_field(const struct sk_ynode *map, const char *key, const struct sk_ynode **k);

/* ---- typed values: label names the value in messages ---- */

bool sk_pctx_is_alias(const struct sk_ynode *n);
bool sk_pctx_want_map(struct sk_pctx *p, const struct sk_ynode *n, const char *label);
bool sk_pctx_want_seq(struct sk_pctx *p, const struct sk_ynode *n, const char *label);
/* a string value; a plain 30, true or null is not one */
bool sk_pctx_want_string(struct sk_pctx *p, const struct sk_ynode *n, const char *label);
/* a decimal integer in min..max; range_text says the range in messages instead (NULL: "min..max") */
bool sk_pctx_want_int(struct sk_pctx *p, const struct sk_ynode *n, const char *label, long long min, long long max,
		      const char *range_text, int *out);
bool sk_pctx_want_bool(struct sk_pctx *p, const struct sk_ynode *n, const char *label, bool *out);
/* a string matching a pattern and a length; the copy in *out (left alone when it does not) */
bool sk_pctx_want_pattern(struct sk_pctx *p, const struct sk_ynode *n, const char *label, enum sk_policy_rx rx,
			  size_t max_len, const char *expected, char **out);
/* a KMS key id, alias or ARN; an ARN must be of a key in region (NULL: any region) */
bool sk_pctx_want_kms(struct sk_pctx *p, const struct sk_ynode *n, const char *label, const char *region,
		      char **out);
/*
 * A mapping of tags (string: string), min..max of them, the valid ones in
 * *out; reserved_forbidden refuses keys starting with aws: or snapkeep:.
 */
void sk_pctx_want_tags(struct sk_pctx *p, const struct sk_ynode *n, const char *label, bool reserved_forbidden,
		       size_t min, size_t max, struct sk_policy_kv **out, size_t *n_out);
/* alerts: {snsTopicArn}, as a BackupPolicy's spec and Settings have it */
void sk_pctx_want_alerts(struct sk_pctx *p, const struct sk_ynode *n, char **sns_topic_arn,
			 struct sk_pos *sns_topic_arn_pos);

#endif
