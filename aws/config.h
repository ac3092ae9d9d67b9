/*
 * config.h - region, profile, endpoints and retry settings, as the AWS CLI
 * resolves them
 *
 * Region: the flag, AWS_REGION, AWS_DEFAULT_REGION, then the profile's
 * "region" in the config file.  Endpoint: the flag, then
 * AWS_ENDPOINT_URL_<SERVICE> (RDS, SNS, CLOUDWATCH, STS, SSO: the IAM
 * Identity Center portal, service "portal.sso"), then
 * AWS_ENDPOINT_URL, then the profile's endpoint_url, then AWS's public
 * endpoint for the service and region (https://rds.us-east-1.amazonaws.com;
 * the host ends in the region's partition's DNS suffix, arn.h:
 * .amazonaws.com.cn in cn- regions).  Attempts: AWS_MAX_ATTEMPTS, the
 * profile's max_attempts, default 5.  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true
 * (or the profile's ignore_configured_endpoint_urls) skips the variables and
 * the profile's endpoint_url.  Profile: --profile, AWS_PROFILE,
 * AWS_DEFAULT_PROFILE, "default"; in the config file its section is
 * "[profile NAME]", except "[default]".  A profile that something names
 * (even "default") must have a section in the credentials or the config
 * file, or loading fails as the AWS CLI does ("The config profile (NAME)
 * could not be found"), so that a typo never falls through to some other
 * identity; only an unnamed "default" may be missing.  The config file is
 * read once, here; a malformed one is an error naming its file and line.
 */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct sk_ini;

struct sk_aws_config_opts {
	const char *profile;      /* --profile */
	const char *region;       /* --region */
	const char *endpoint_url; /* --endpoint: applies to every service */
};

#define SK_AWS_CONFIG_OPTS_INIT { .profile = NULL, .region = NULL, .endpoint_url = NULL }

/* what named the profile */
enum sk_aws_profile_source {
	SK_AWS_PROFILE_UNNAMED = 0, /* nothing: "default", which need not exist */
	SK_AWS_PROFILE_FLAG,        /* --profile: it outranks the environment's keys (credentials.h) */
	SK_AWS_PROFILE_ENV,         /* AWS_PROFILE: the environment's keys still come first */
	SK_AWS_PROFILE_ENV_DEFAULT, /* AWS_DEFAULT_PROFILE (older SDKs), as AWS_PROFILE */
};

struct sk_aws_config {
	char *profile;          /* never NULL: "default" when nothing says otherwise */
	enum sk_aws_profile_source profile_source;
	char *region;           /* NULL when nothing names one */
	char *endpoint_url;     /* the global override, or NULL */
	char *credentials_file; /* resolved path */
	char *config_file;      /* resolved path */
	int max_attempts;
	struct sk_aws_config_private *priv; /* the parsed config file and endpoint sources */
};

int sk_aws_config_load(struct sk_aws_config **out, const struct sk_aws_config_opts *opts);
void sk_aws_config_free(struct sk_aws_config *cfg);
/*
 * The endpoint URL for a service ("rds", "sns", "monitoring", "sts",
 * "portal.sso": https://portal.sso.us-east-1.amazonaws.com) in a
 * region, written into out (reset first), without a trailing slash.
 */
int sk_aws_config_endpoint(const struct sk_aws_config *cfg, const char *service, const char *region,
			   struct sk_buf *out);
/* a value from the profile's section of the config file (e.g. "role_arn"), or NULL */
const char *sk_aws_config_profile_value(const struct sk_aws_config *cfg, const char *key);
/* the parsed config file (every profile's and sso-session's section), empty when there is none */
const struct sk_ini *sk_aws_config_file(const struct sk_aws_config *cfg);
/* whether the config file has a section for the profile */
bool sk_aws_config_has_profile(const struct sk_aws_config *cfg);
/* what named the profile, for messages: "--profile", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"; NULL when nothing did */
const char *sk_aws_config_profile_source(const struct sk_aws_config *cfg);
/* a path for messages: "~/.aws/config" when it is under $HOME */
void sk_aws_config_display_path(char *out, size_t len, const char *path);
/* lowercase letters, digits and inner '-', as region names are (keeps them safe in host names) */
bool sk_aws_valid_region(const char *region);

#endif
