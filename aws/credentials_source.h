/*
 * credentials_source.h - the credentials chain's sources outside the shared
 * files: the environment, web identity, ECS and IMDS, and what every source
 * shares (the context a source runs in, the way it says why it gave nothing)
 *
 * A source answers one of three ways: 0, it found credentials (out filled);
 * SK_ENOTFOUND, it is not configured here (go on to the next); SK_ERROR, it
 * is configured but broken (stop).  Either way but the first, it writes a
 * few words in why (never a secret).  credentials.c runs them in order;
 * credentials_profile.c has the shared files' sources (keys, roles, SSO,
 * credential_process), which reuse these for credential_source.
 */
#ifndef SK_CREDENTIALS_SOURCE_H
#define SK_CREDENTIALS_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "aws/config.h"
#include "aws/credentials.h"
#include "common/buf.h"

struct sk_creds_profiles;

/* what a source needs from the chain that runs it */
struct sk_creds_ctx {
	const struct sk_aws_config *cfg;
	struct sk_creds_profiles *profiles; /* the shared files, read once per run (credentials_profile.h) */
	sk_web_identity_fn web_identity;
	void *web_identity_ud;
	sk_assume_role_fn assume_role;
	void *assume_role_ud;
	int64_t now;
	/* how the credentials were got, for describe(): a source may write it; left empty, the source's name is used */
	struct sk_buf *desc;
};

/* a variable's value, or NULL when unset or empty */
const char *sk_creds_env(const char *name);
/* records in why (reset first, at most ~400 bytes) why a source gave nothing; returns rc */
int sk_creds_say(struct sk_buf *why, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* out (cleared first) gets copies of the keys; an empty or control-character value is an error naming source */
int sk_creds_set_keys(struct sk_credentials *out, const char *id, const char *secret, const char *token,
		      const char *source);
/* reads a small file that holds a secret (a token), trimmed; wipe out after use */
int sk_creds_read_secret_file(struct sk_buf *out, const char *path, const char *what);
/* wipes the string obj holds under key (jansson's copy of a secret) before the document is freed */
void sk_creds_wipe_json(json_t *obj, const char *key);
/* --profile was given: it outranks the environment's keys and web identity variables */
bool sk_creds_explicit_profile(const struct sk_creds_ctx *x);

/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (skipped with --profile) */
int sk_creds_from_environment(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why);
/* the same variables whatever the profile: credential_source = Environment */
int sk_creds_environment_keys(struct sk_credentials *out, struct sk_buf *why);
/* AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the profile's web_identity_token_file + role_arn */
int sk_creds_from_web_identity(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why);
/*
 * One AssumeRoleWithWebIdentity: role with the token in token_file; from
 * names where they were configured, for messages.  session NULL:
 * "snapkeep-<time>".
 */
int sk_creds_web_identity(const struct sk_creds_ctx *x, const char *role, const char *session, const char *token_file,
			  const char *from, struct sk_credentials *out, struct sk_buf *why);
/* ECS container credentials (AWS_CONTAINER_CREDENTIALS_*) */
int sk_creds_from_ecs(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why);
/* EC2 instance metadata (IMDSv2, then v1) */
int sk_creds_from_imds(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why);

#endif
