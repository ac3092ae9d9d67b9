/*
 * config.h - region, profile, endpoints and retry settings, as the AWS CLI
 * resolves them
 *
 * Region: the flag, AWS_REGION, AWS_DEFAULT_REGION, then the profile's
 * "region" in the config file.  Endpoint: the flag, then
 * AWS_ENDPOINT_URL_<SERVICE> (RDS, SNS, CLOUDWATCH, STS), then
 * AWS_ENDPOINT_URL, then the profile's endpoint_url, then AWS's public
 * endpoint for the service and region (https://rds.us-east-1.amazonaws.com,
 * .amazonaws.com.cn in cn- regions).  Attempts: AWS_MAX_ATTEMPTS, the
 * profile's max_attempts, default 5.
 */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stddef.h>

#include "common/buf.h"

struct sk_aws_config_opts {
	const char *profile;      /* --profile */
	const char *region;       /* --region */
	const char *endpoint_url; /* --endpoint: applies to every service */
};

#define SK_AWS_CONFIG_OPTS_INIT { NULL, NULL, NULL }

struct sk_aws_config {
	char *profile;          /* never NULL: "default" when nothing says otherwise */
	char *region;           /* NULL when nothing names one */
	char *endpoint_url;     /* the global override, or NULL */
	char *credentials_file; /* resolved path */
	char *config_file;      /* resolved path */
	int max_attempts;
};

int sk_aws_config_load(struct sk_aws_config **out, const struct sk_aws_config_opts *opts);
void sk_aws_config_free(struct sk_aws_config *cfg);
/*
 * The endpoint URL for a service ("rds", "sns", "monitoring", "sts") in a
 * region, written into out (reset first), without a trailing slash.
 */
int sk_aws_config_endpoint(const struct sk_aws_config *cfg, const char *service, const char *region,
			   struct sk_buf *out);
/* a value from the profile's section of the config file (e.g. "role_arn"), or NULL */
const char *sk_aws_config_profile_value(const struct sk_aws_config *cfg, const char *key);

#endif
