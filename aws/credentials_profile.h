/*
 * credentials_profile.h - the shared files' credential sources, as the AWS
 * CLI (botocore) reads them: a profile's keys, its role (role_arn with
 * source_profile or credential_source), IAM Identity Center (SSO) and
 * credential_process
 *
 * A profile's settings are its [profile NAME] (or [default]) section of the
 * config file with its [NAME] section of the credentials file laid over it
 * (botocore's full_config: the credentials file wins).
 *
 * Roles, as botocore's AssumeRoleProvider: a profile with role_arn (and no
 * web_identity_token_file) assumes it with the credentials of either
 *  - source_profile: that profile's own credentials (its web identity, SSO,
 *    keys in either file or credential_process, never the environment) when
 *    it has keys or no role of its own, else its role, assumed the same way
 *    (role chaining, as many hops as the files say).  A profile named twice
 *    in a chain is refused as a loop, except a profile that is its own
 *    source_profile and has keys (its role is assumed with its keys);
 *  - credential_source: Environment (AWS_ACCESS_KEY_ID, ...),
 *    Ec2InstanceMetadata (IMDS) or EcsContainer (the ECS agent).
 * Not both.  external_id, role_session_name (default "snapkeep-<time>") and
 * duration_seconds are passed to AssumeRole; mfa_serial is refused ("needs an
 * MFA code; not supported unattended").  STS is called in the configured
 * region (us-east-1 when none), at the STS endpoint config.h resolves.
 *
 * SSO, credential_process: sso.h and process.h.
 */
#ifndef SK_CREDENTIALS_PROFILE_H
#define SK_CREDENTIALS_PROFILE_H

#include <stdbool.h>

#include "aws/credentials_source.h"
#include "aws/ini.h"

struct sk_creds_profiles {
	const struct sk_aws_config *cfg;
	struct sk_ini creds;  /* the credentials file; empty when there is none */
	bool have_creds;      /* it exists */
	char creds_label[512]; /* for messages: "~/.aws/credentials" */
	char config_label[512];
	char *broken;         /* why the credentials file cannot be read, or NULL */
};

/*
 * Reads the credentials file (the config file is cfg's).  A malformed one
 * is not an error here: the sources that read the files say so (the
 * environment's keys, which come first, still work).
 */
int sk_creds_profiles_load(struct sk_creds_profiles *pr, const struct sk_aws_config *cfg);
void sk_creds_profiles_free(struct sk_creds_profiles *pr);
/* SK_ERROR with why set when the credentials file could not be read, else 0 */
int sk_creds_profiles_check(const struct sk_creds_profiles *pr, struct sk_buf *why);
/* a profile's setting, the credentials file's over the config file's, or NULL */
const char *sk_creds_profile_get(const struct sk_creds_profiles *pr, const char *profile, const char *key);
/* whether either file has a section for the profile */
bool sk_creds_profile_exists(const struct sk_creds_profiles *pr, const char *profile);

/* the chain's sources for the configured profile (credentials_source.h says how a source answers) */
int sk_creds_from_role(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why);
int sk_creds_from_sso(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why);
/* keys in the credentials file, then credential_process, then keys in the config file */
int sk_creds_from_shared_files(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why);

#endif
