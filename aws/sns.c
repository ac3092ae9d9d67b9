/*
 * sns.c - SNS Publish
 */
#include "aws/sns.h"

#include "aws/arn.h"
#include "aws/xml.h"
#include "common/error.h"

int sk_arn_region(const char *arn, char *out, size_t outlen)
{
	struct sk_arn a;

	if (sk_arn_parse(&a, arn) < 0)
		return sk_error_set(SK_ERR_INVALID, "'%s' is not an ARN", arn ? arn : "");
	if (!a.region.len || sk_arn_part_copy(out, outlen, a.region) < 0)
		return sk_error_set(SK_ERR_INVALID, "ARN '%s' names no region", arn);
	return 0;
}

/*
 * Retry safety: a retried Publish after a lost answer may deliver the
 * alert twice; for alerts, twice is better than never.
 */
int sk_sns_publish(struct sk_aws_client *c, const char *topic_arn, const char *subject, const char *message,
		   char *message_id, size_t message_id_len, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	struct sk_aws_response resp = SK_AWS_RESPONSE_INIT;
	char region[64];
	int rc = -1;

	if (sk_arn_region(topic_arn, region, sizeof(region)) < 0)
		return -1;
	if (sk_query_add(&q, "TopicArn", topic_arn) < 0 || sk_query_add(&q, "Message", message) < 0 ||
	    (subject && sk_query_add(&q, "Subject", subject) < 0))
		goto done;
	if ((rc = sk_aws_call(c, "sns", region, "Publish", &q, &resp, err)) != 0)
		goto done;
	if (message_id)
		sk_xml_child_copy(message_id, message_id_len, resp.result, "MessageId");
done:
	sk_aws_response_free(&resp);
	sk_query_free(&q);
	return rc;
}
