/*
 * sso.h - IAM Identity Center (AWS SSO): the access token `aws sso login`
 * cached, and the portal's GetRoleCredentials
 *
 * A profile names its account and role (sso_account_id, sso_role_name) and
 * either an [sso-session NAME] (sso_session: the session's sso_start_url and
 * sso_region) or, in the legacy form, sso_start_url and sso_region itself.
 * `aws sso login` caches the portal's access token in
 * ~/.aws/sso/cache/<SHA-1 hex of the session name>.json, or of the start URL
 * in the legacy form (botocore's SSOTokenLoader), as JSON with "accessToken"
 * and "expiresAt".  snapkeep reads that file and never writes it: it does not
 * refresh the token with OIDC, so a missing or expired token, or one the
 * portal refuses, is an error that says "run `aws sso login --profile X`".
 *
 * GetRoleCredentials is GET <portal>/federation/credentials?account_id=..
 * &role_name=.. with the header x-amz-sso_bearer_token; <portal> is
 * https://portal.sso.<sso_region>.amazonaws.com, or what config.h resolves
 * for service "portal.sso" (--endpoint, AWS_ENDPOINT_URL_SSO, ...).  Its
 * answer is REST/JSON: {"roleCredentials": {"accessKeyId",
 * "secretAccessKey", "sessionToken", "expiration": epoch milliseconds}};
 * errors carry their type in x-amzn-ErrorType (UnauthorizedException,
 * ForbiddenException, ...).  The token and the secrets are wiped after use
 * and never appear in a message.
 */
#ifndef SK_SSO_H
#define SK_SSO_H

#include <stdint.h>

#include "aws/config.h"
#include "aws/credentials.h"
#include "common/buf.h"

struct sk_sso_profile {
	const char *profile;    /* the profile with the SSO settings: messages say `aws sso login --profile <it>` */
	const char *session;    /* sso_session; NULL: the legacy form */
	const char *start_url;  /* sso_start_url */
	const char *region;     /* sso_region: the portal's region */
	const char *account_id; /* sso_account_id */
	const char *role_name;  /* sso_role_name */
};

/* out (reset first): <home>/.aws/sso/cache/<sha1 hex>.json for the profile's session or start URL */
int sk_sso_cache_path(struct sk_buf *out, const char *home, const struct sk_sso_profile *sp);

/*
 * Reads the cached token (json, len: the cache file's contents) into token
 * (wipe it after use); SK_ERROR when it is not JSON, lacks accessToken or
 * expiresAt ("2026-12-03T10:00:00Z", or the older "...UTC"), or expired at
 * now or before, each message ending "run `aws sso login --profile X`".
 */
int sk_sso_parse_token(struct sk_buf *token, const char *json, size_t len, const struct sk_sso_profile *sp,
		       int64_t now);

/*
 * The role's credentials (source "sso"): reads the token from $HOME's cache
 * and calls GetRoleCredentials through cfg's portal endpoint.
 */
int sk_sso_get_role_credentials(struct sk_credentials *out, const struct sk_aws_config *cfg,
				const struct sk_sso_profile *sp, int64_t now);

#endif
