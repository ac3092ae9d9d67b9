/*
 * sts.c - STS GetCallerIdentity
 *
 * AssumeRoleWithWebIdentity lives with the credentials providers
 * (credentials.c), which must not depend on a signed client.
 */
#include "aws/sts.h"

#include <string.h>

#include "aws/xml.h"
#include "common/error.h"

static void copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Retry safety: read-only. */
int sk_sts_get_caller_identity(struct sk_aws_client *c, const char *region, struct sk_caller_identity *out,
			       struct sk_aws_error *err)
{
	struct sk_aws_response resp = SK_AWS_RESPONSE_INIT;
	struct sk_xml_scratch s = SK_XML_SCRATCH_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sk_aws_call(c, "sts", region, "GetCallerIdentity", NULL, &resp, err);
	if (rc != 0)
		return rc;
	copy(out->account, sizeof(out->account), sk_xml_child_text(resp.result, "Account", &s));
	copy(out->arn, sizeof(out->arn), sk_xml_child_text(resp.result, "Arn", &s));
	copy(out->user_id, sizeof(out->user_id), sk_xml_child_text(resp.result, "UserId", &s));
	sk_xml_scratch_free(&s);
	sk_aws_response_free(&resp);
	if (!out->account[0])
		return sk_error_set(SK_ERR_XML, "sts GetCallerIdentity answer names no account");
	return 0;
}
