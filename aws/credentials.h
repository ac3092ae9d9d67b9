/*
 * credentials.h - where AWS credentials come from, in the SDKs' order
 *
 * The default chain, in botocore's order (the AWS CLI's): environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); the
 * profile's role (role_arn with source_profile or credential_source,
 * credentials_profile.h); web identity (AWS_WEB_IDENTITY_TOKEN_FILE +
 * AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME], or the profile's
 * web_identity_token_file, STS AssumeRoleWithWebIdentity); IAM Identity
 * Center (the profile's sso_session or sso_start_url, sso.h); shared files
 * (the profile's keys in AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
 * then its credential_process, process.h, then its keys in AWS_CONFIG_FILE
 * or ~/.aws/config; profile from --profile or AWS_PROFILE or "default");
 * ECS container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI or
 * _RELATIVE_URI from 169.254.170.2, AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]);
 * EC2 IMDSv2 (PUT token, then GET, 1 s timeouts, AWS_EC2_METADATA_DISABLED=true
 * skips it, AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address).
 *
 * A profile named with --profile outranks the environment, as in the AWS
 * CLI: the environment's keys and its web identity variables are skipped,
 * and only that profile's keys or web_identity_token_file count (then ECS
 * and IMDS, as botocore goes on).  AWS_PROFILE does not outrank
 * AWS_ACCESS_KEY_ID.  A named profile that is in neither file never gets
 * this far: loading the configuration fails (config.h).
 *
 * A provider caches what it got and refreshes temporary credentials 5
 * minutes before they expire; get() is thread-safe.  Secrets are wiped
 * (OPENSSL_cleanse) before their memory is freed and never appear in an
 * error message or a log line.
 */
#ifndef SK_CREDENTIALS_H
#define SK_CREDENTIALS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct sk_aws_config;

struct sk_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL for long-term keys */
	int64_t expiration;  /* seconds since the epoch; 0: does not expire */
	const char *source;  /* static string: "environment", "shared-credentials-file",
	                        "shared-config-file", "web-identity", "ecs", "imds", "static",
	                        "assume-role", "credential-process", "sso" */
};

#define SK_CREDENTIALS_INIT                                                                             \
	{ .access_key_id = NULL, .secret_access_key = NULL, .session_token = NULL, .expiration = 0, .source = NULL }

/* wipes and frees the strings; the struct itself is the caller's */
void sk_credentials_clear(struct sk_credentials *c);
int sk_credentials_copy(struct sk_credentials *dst, const struct sk_credentials *src);

struct sk_credentials_provider;

/*
 * The web identity source exchanges an OIDC token for credentials with STS
 * AssumeRoleWithWebIdentity.  That needs a client, and a client needs
 * credentials, so the chain does not make one: it is handed the exchange
 * when it is made, as aws-c-auth hands its STS web identity provider the
 * connection to use.  sts.h has one over an sk_aws_client
 * (sk_sts_web_identity).  The exchange fills out (source "web-identity")
 * or sets an error (which must not quote the token) and returns SK_ERROR.
 */
typedef int (*sk_web_identity_fn)(void *ud, const char *region, const char *role_arn, const char *session_name,
				  const char *token, struct sk_credentials *out);

/*
 * What STS AssumeRole is asked for.  The strings are copied by whoever
 * keeps them (sk_credentials_provider_assume_role_new).
 */
struct sk_assume_role_opts {
	const char *role_arn;     /* required */
	const char *session_name; /* RoleSessionName; NULL: "snapkeep-<unix time>" */
	const char *external_id;  /* ExternalId; NULL: none (never logged, never in a message) */
	int duration_seconds;     /* DurationSeconds; 0: STS's default, one hour */
};

#define SK_ASSUME_ROLE_OPTS_INIT { .role_arn = NULL, .session_name = NULL, .external_id = NULL, .duration_seconds = 0 }

/*
 * The AssumeRole exchange: signs AssumeRole for o with base's credentials
 * and fills out (source "assume-role"), or sets an error (naming the role,
 * never a secret or the external id) and returns SK_ERROR.  As with the web
 * identity exchange, this file makes no client: sts.h has one,
 * sk_sts_assume_role_exchange() with a struct sk_aws_client * as ud.
 */
typedef int (*sk_assume_role_fn)(void *ud, struct sk_credentials_provider *base, const char *region,
				 const struct sk_assume_role_opts *o, struct sk_credentials *out);

struct sk_credentials_chain_opts {
	/* required: profile, file paths, region; must outlive the provider */
	const struct sk_aws_config *config;
	/* NULL: a configured web identity is an error that says so */
	sk_web_identity_fn web_identity;
	void *web_identity_ud;
	/* NULL: a profile with role_arn + source_profile or credential_source is an error that says so */
	sk_assume_role_fn assume_role;
	void *assume_role_ud;
};

#define SK_CREDENTIALS_CHAIN_OPTS_INIT                                                                  \
	{                                                                                               \
		.config = NULL, .web_identity = NULL, .web_identity_ud = NULL, .assume_role = NULL,     \
		.assume_role_ud = NULL                                                                  \
	}

/*
 * The default chain.  Nothing is read until the first get().  A source
 * that is configured but fails (a partial environment, a web identity
 * exchange STS refuses, a container endpoint that answers 403) stops the
 * chain with its error rather than falling through to another identity,
 * as the AWS CLI does.
 */
int sk_credentials_provider_chain_new(struct sk_credentials_provider **out, const struct sk_credentials_chain_opts *opts);
/* fixed keys (tests, tools) */
int sk_credentials_provider_static_new(struct sk_credentials_provider **out, const char *access_key_id,
				       const char *secret_access_key, const char *session_token);
/*
 * A role assumed from base's credentials (STS AssumeRole through
 * exchange(ud, ...), e.g. sk_sts_assume_role_exchange with the session's
 * STS client), as the AWS CLI assumes a profile's role_arn from its
 * source_profile, and as snapkeep assumes a role in each target account
 * from the base credentials.  o's strings and region (STS's region; NULL:
 * us-east-1) are copied; base is borrowed and must outlive the provider.
 * Nothing is called until the first get(); the credentials are cached and
 * assumed again 5 minutes before they expire, with base's credentials of
 * that moment (base refreshes its own), so a long `run` loop never signs
 * with expired credentials.  Its description (below) reads "assume-role
 * <role ARN> <- <base's description>".
 */
int sk_credentials_provider_assume_role_new(struct sk_credentials_provider **out, struct sk_credentials_provider *base,
					    const struct sk_assume_role_opts *o, const char *region,
					    sk_assume_role_fn exchange, void *ud);

/*
 * Copies current credentials into *out (clear it after use).  On failure:
 * SK_ERROR, class SK_ERR_CREDENTIALS, and one message: when nothing is
 * configured, which sources were tried and why each gave nothing, e.g.
 * "no AWS credentials found: environment: AWS_ACCESS_KEY_ID not set; shared
 * files: profile 'default' not in ~/.aws/credentials; ..."; when a source is
 * configured but fails, that source's failure: "cannot get AWS credentials
 * from assume role: profile 'prod': role '...': sts AssumeRole in us-east-1:
 * AccessDenied: ..."
 */
int sk_credentials_provider_get(struct sk_credentials_provider *p, struct sk_credentials *out);
void sk_credentials_provider_free(struct sk_credentials_provider *p);

/*
 * How the current credentials were got, for `snapkeep whoami`: the source
 * and, for roles, the chain down to the first credentials, e.g.
 * "assume-role arn:aws:iam::111111111111:role/snapkeep <- source_profile
 * base (shared-credentials-file)".  Written into out (reset first); "" before
 * the first successful get().  Never holds a secret.
 */
int sk_credentials_provider_describe(struct sk_credentials_provider *p, struct sk_buf *out);

/* tests: the wall clock the refresh logic reads (NULL: the real one) */
void sk_credentials_provider_set_clock(struct sk_credentials_provider *p, int64_t (*clock)(void *ud), void *ud);
/* tests: how many times the chain has been run (first fetch and refreshes) */
unsigned sk_credentials_provider_fetches(struct sk_credentials_provider *p);

/*
 * Reads the JSON that ECS and IMDS answer with (AccessKeyId,
 * SecretAccessKey, Token, Expiration; Code must be "Success" when present)
 * into out, with source (a static string).  Errors never quote the input.
 */
int sk_credentials_parse_json(struct sk_credentials *out, const char *json, size_t len, const char *source);

#endif
