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

#endif
