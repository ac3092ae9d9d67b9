/*
 * sts.h - STS GetCallerIdentity, AssumeRole and AssumeRoleWithWebIdentity
 * (2011-06-15)
 */
#ifndef SK_STS_H
#define SK_STS_H

#include "aws/client.h"
#include "aws/credentials.h"

struct sk_caller_identity {
	char account[32];
	char arn[512];
	char user_id[256];
};

int sk_sts_get_caller_identity(struct sk_aws_client *c, const char *region, struct sk_caller_identity *out,
			       struct sk_aws_error *err);

/*
 * AssumeRole, signed with c's credentials provider: RoleArn, RoleSessionName
 * (o->session_name, or "snapkeep-<unix time>"), ExternalId when o->external_id
 * is set, DurationSeconds when o->duration_seconds > 0 (STS's default is one
 * hour; 900..43200, and at most one hour when the caller is itself a role
 * session: role chaining).  An MFA serial is not sent: snapkeep runs
 * unattended, so the credentials chain refuses profiles with mfa_serial
 * before it gets here.  out (cleared first) gets the keys, the session token
 * and the expiration, with source "assume-role".  Errors name the role, never
 * the external id or a secret; AWS's AccessDenied (trust policy or external
 * id) reads "sts AssumeRole in us-east-1: AccessDenied: User: ... is not
 * authorized to perform: sts:AssumeRole on resource: ... (HTTP 403, ...)".
 * Retry safety: each call mints new credentials and changes nothing.
 */
int sk_sts_assume_role(struct sk_aws_client *c, const char *region, const struct sk_assume_role_opts *o,
		       struct sk_credentials *out, struct sk_aws_error *err);

/*
 * The exchange an assume-role provider is handed (sk_assume_role_fn, see
 * credentials.h): client is a struct sk_aws_client * whose configuration
 * (endpoints, retries) is used; the call is signed with base's credentials
 * (a short-lived client over base is made for it).
 */
int sk_sts_assume_role_exchange(void *client, struct sk_credentials_provider *base, const char *region,
				const struct sk_assume_role_opts *o, struct sk_credentials *out);

/*
 * AssumeRoleWithWebIdentity: exchanges an OIDC token (EKS service account,
 * GitHub Actions, ...) for temporary credentials of role_arn.  The call is
 * unsigned, so c needs no credentials provider.  duration_seconds 0 leaves
 * it to STS (one hour).  out (cleared first) gets the keys, the session
 * token and the expiration, with source "web-identity".  The token and the
 * answer's secrets are wiped from our memory after use.
 */
int sk_sts_assume_role_with_web_identity(struct sk_aws_client *c, const char *region, const char *role_arn,
					 const char *session_name, const char *token, int duration_seconds,
					 struct sk_credentials *out, struct sk_aws_error *err);

/*
 * The exchange a credentials chain is handed (sk_web_identity_fn, see
 * credentials.h): AssumeRoleWithWebIdentity through client, a struct
 * sk_aws_client * that needs no credentials provider of its own.
 */
int sk_sts_web_identity(void *client, const char *region, const char *role_arn, const char *session_name,
			const char *token, struct sk_credentials *out);

#endif
