/*
 * sts.h - STS GetCallerIdentity and AssumeRoleWithWebIdentity (2011-06-15)
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
