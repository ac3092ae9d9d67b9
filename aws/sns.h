/*
 * sns.h - SNS Publish (API version 2010-03-31)
 */
#ifndef SK_SNS_H
#define SK_SNS_H

#include "aws/client.h"

/*
 * Publishes to topic_arn in the topic's own region (read from the ARN);
 * subject may be NULL (at most 100 characters).  message_id (may be NULL)
 * receives SNS's MessageId, up to 127 characters.
 */
int sk_sns_publish(struct sk_aws_client *c, const char *topic_arn, const char *subject, const char *message,
		   char *message_id, size_t message_id_len, struct sk_aws_error *err);
/*
 * the region of a topic's ARN ("arn:aws:sns:us-east-1:123:topic" -> "us-east-1"), into out, read with
 * sk_arn_parse() (arn.h); an error says what is wrong with it
 */
int sk_arn_region(const char *arn, char *out, size_t outlen);

#endif
