/*
 * credentials_profile.c - the shared files' credential sources: keys,
 * roles (source_profile, credential_source), SSO, credential_process
 */
#include "aws/credentials_profile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/process.h"
#include "aws/sso.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"

#define MAX_HOPS 16

/* ---- a profile's settings ---------------------------------------------- */

int sk_creds_profiles_load(struct sk_creds_profiles *pr, const struct sk_aws_config *cfg)
{
	int rc;

	memset(pr, 0, sizeof(*pr));
	pr->cfg = cfg;
	sk_aws_config_display_path(pr->creds_label, sizeof(pr->creds_label), cfg->credentials_file);
	sk_aws_config_display_path(pr->config_label, sizeof(pr->config_label), cfg->config_file);
	rc = sk_ini_load(&pr->creds, cfg->credentials_file, pr->creds_label);
	if (rc == SK_ENOTFOUND)
		return 0;
	if (rc < 0) {
		pr->broken = strdup(sk_error_message());
		return pr->broken ? 0 : sk_error_set_oom();
	}
	pr->have_creds = true;
	return 0;
}

int sk_creds_profiles_check(const struct sk_creds_profiles *pr, struct sk_buf *why)
{
	return pr->broken ? sk_creds_say(why, SK_ERROR, "%s", pr->broken) : 0;
}

void sk_creds_profiles_free(struct sk_creds_profiles *pr)
{
	if (!pr)
		return;
	sk_ini_free(&pr->creds);
	free(pr->broken);
	memset(pr, 0, sizeof(*pr));
}

/* the config file's section for profile: "[profile NAME]", or "[default]" for default */
static const char *config_section(const struct sk_creds_profiles *pr, const char *profile, char *buf, size_t len)
{
	const struct sk_ini *ini = sk_aws_config_file(pr->cfg);

	snprintf(buf, len, "profile %s", profile);
	if (sk_ini_has_section(ini, buf))
		return buf;
	if (!strcmp(profile, "default") && sk_ini_has_section(ini, "default"))
		return "default";
	return NULL;
}

static const char *config_get(const struct sk_creds_profiles *pr, const char *profile, const char *key)
{
	char buf[600];
	const char *sec = config_section(pr, profile, buf, sizeof(buf));

	return sec ? sk_ini_get(sk_aws_config_file(pr->cfg), sec, key) : NULL;
}

static const char *creds_get(const struct sk_creds_profiles *pr, const char *profile, const char *key)
{
	return pr->have_creds ? sk_ini_get(&pr->creds, profile, key) : NULL;
}

const char *sk_creds_profile_get(const struct sk_creds_profiles *pr, const char *profile, const char *key)
{
	const char *v = creds_get(pr, profile, key);

	return v ? v : config_get(pr, profile, key);
}

bool sk_creds_profile_exists(const struct sk_creds_profiles *pr, const char *profile)
{
	char buf[600];

	return config_section(pr, profile, buf, sizeof(buf)) || (pr->have_creds && sk_ini_has_section(&pr->creds, profile));
}

static bool set(const char *v)
{
	return v && *v;
}

static bool has_keys(const struct sk_creds_profiles *pr, const char *profile)
{
	return set(sk_creds_profile_get(pr, profile, "aws_access_key_id")) ||
	       set(sk_creds_profile_get(pr, profile, "aws_secret_access_key"));
}

/* role_arn, and not a web identity's (botocore's _has_assume_role_config_vars) */
static bool has_role(const struct sk_creds_profiles *pr, const char *profile)
{
	return set(sk_creds_profile_get(pr, profile, "role_arn")) &&
	       !sk_creds_profile_get(pr, profile, "web_identity_token_file");
}

/* ---- keys ---------------------------------------------------------------- */

/* the keys one file gives profile: SK_ENOTFOUND when it names neither */
static int keys_from(struct sk_credentials *out, const char *id, const char *secret, const char *token,
		     const char *source, const char *file, const char *profile, struct sk_buf *why)
{
	if (!set(id) && !set(secret))
		return SK_ENOTFOUND;
	if (!set(id) || !set(secret))
		return sk_creds_say(why, SK_ERROR, "profile '%s' in %s has %s but not %s", profile, file,
				    set(id) ? "aws_access_key_id" : "aws_secret_access_key",
				    set(id) ? "aws_secret_access_key" : "aws_access_key_id");
	if (sk_creds_set_keys(out, id, secret, token, source) < 0)
		return sk_creds_say(why, SK_ERROR, "profile '%s' in %s: %s", profile, file, sk_error_message());
	return 0;
}

static int creds_file_keys(const struct sk_creds_profiles *pr, const char *profile, struct sk_credentials *out,
			   struct sk_buf *why)
{
	const char *token = creds_get(pr, profile, "aws_session_token");

	if (!token)
		token = creds_get(pr, profile, "aws_security_token");
	return keys_from(out, creds_get(pr, profile, "aws_access_key_id"), creds_get(pr, profile, "aws_secret_access_key"),
			 token, "shared-credentials-file", pr->creds_label, profile, why);
}

static int config_file_keys(const struct sk_creds_profiles *pr, const char *profile, struct sk_credentials *out,
			    struct sk_buf *why)
{
	return keys_from(out, config_get(pr, profile, "aws_access_key_id"), config_get(pr, profile, "aws_secret_access_key"),
			 config_get(pr, profile, "aws_session_token"), "shared-config-file", pr->config_label, profile, why);
}

/* ---- credential_process ---------------------------------------------------- */

static int process_for(const struct sk_creds_profiles *pr, const char *profile, struct sk_credentials *out,
		       struct sk_buf *why)
{
	const char *cmd = sk_creds_profile_get(pr, profile, "credential_process");

	if (!set(cmd))
		return SK_ENOTFOUND;
	if (sk_process_credentials(out, cmd, profile, 0) < 0)
		return sk_creds_say(why, SK_ERROR, "%s", sk_error_message());
	return 0;
}

/* ---- IAM Identity Center (SSO) ----------------------------------------------- */

static int sso_for(const struct sk_creds_ctx *x, const char *profile, struct sk_credentials *out, struct sk_buf *desc,
		   struct sk_buf *why)
{
	const struct sk_creds_profiles *pr = x->profiles;
	struct sk_sso_profile sp;
	const char *session = sk_creds_profile_get(pr, profile, "sso_session");
	const char *start = sk_creds_profile_get(pr, profile, "sso_start_url");
	const char *region = sk_creds_profile_get(pr, profile, "sso_region");
	char sec[600];

	if (!set(session) && !set(start))
		return sk_creds_say(why, SK_ENOTFOUND, "profile '%s' has no sso_session or sso_start_url", profile);
	memset(&sp, 0, sizeof(sp));
	sp.profile = profile;
	sp.account_id = sk_creds_profile_get(pr, profile, "sso_account_id");
	sp.role_name = sk_creds_profile_get(pr, profile, "sso_role_name");
	if (set(session)) {
		const struct sk_ini *ini = sk_aws_config_file(pr->cfg);
		const char *s_start, *s_region;
		snprintf(sec, sizeof(sec), "sso-session %s", session);
		if (!sk_ini_has_section(ini, sec))
			return sk_creds_say(why, SK_ERROR, "profile '%s' names sso_session '%s', which has no [%s] section "
							   "in %s", profile, session, sec, pr->config_label);
		s_start = sk_ini_get(ini, sec, "sso_start_url");
		s_region = sk_ini_get(ini, sec, "sso_region");
		/* as botocore: what both say must agree */
		if ((set(start) && set(s_start) && strcmp(start, s_start)) ||
		    (set(region) && set(s_region) && strcmp(region, s_region)))
			return sk_creds_say(why, SK_ERROR, "profile '%s' and its sso_session '%s' name different "
							   "sso_start_url or sso_region", profile, session);
		sp.session = session;
		sp.start_url = s_start;
		sp.region = s_region;
	} else {
		sp.start_url = start;
		sp.region = region;
	}
	if (!set(sp.start_url) || !set(sp.region) || !set(sp.account_id) || !set(sp.role_name))
		return sk_creds_say(why, SK_ERROR, "profile '%s' uses IAM Identity Center but lacks %s", profile,
				    !set(sp.start_url) ? "sso_start_url"
				    : !set(sp.region)  ? "sso_region"
				    : !set(sp.account_id) ? "sso_account_id"
							  : "sso_role_name");
	if (!sk_aws_valid_region(sp.region))
		return sk_creds_say(why, SK_ERROR, "profile '%s': sso_region '%s' is not an AWS region name", profile,
				    sp.region);
	if (sk_sso_get_role_credentials(out, pr->cfg, &sp, x->now) < 0)
		return sk_creds_say(why, SK_ERROR, "%s", sk_error_message());
	sk_buf_reset(desc);
	if (sk_buf_printf(desc, "sso account %s role %s (%s%s)", sp.account_id, sp.role_name,
			  sp.session ? "sso_session " : "sso_start_url ", sp.session ? sp.session : sp.start_url) < 0)
		return sk_creds_say(why, SK_ERROR, "out of memory");
	return 0;
}

/* ---- a source profile's own credentials ------------------------------------- */

/*
 * What botocore's profile providers find for a profile, the environment
 * left out: its web identity, SSO, keys in the credentials file,
 * credential_process, keys in the config file.  desc gets the source.
 */
static int profile_own(const struct sk_creds_ctx *x, const char *profile, struct sk_credentials *out,
		       struct sk_buf *desc, struct sk_buf *why)
{
	const struct sk_creds_profiles *pr = x->profiles;
	const char *token_file = sk_creds_profile_get(pr, profile, "web_identity_token_file");
	char from[600];
	int rc;

	sk_buf_reset(desc);
	if (set(token_file)) {
		const char *role = sk_creds_profile_get(pr, profile, "role_arn");
		if (!set(role))
			return sk_creds_say(why, SK_ERROR, "profile '%s' has web_identity_token_file but no role_arn",
					    profile);
		snprintf(from, sizeof(from), "profile '%s' web_identity_token_file", profile);
		rc = sk_creds_web_identity(x, role, sk_creds_profile_get(pr, profile, "role_session_name"), token_file,
					   from, out, why);
		if (rc == 0)
			sk_buf_printf(desc, "web-identity %s", role);
		return rc;
	}
	rc = sso_for(x, profile, out, desc, why);
	if (rc != SK_ENOTFOUND)
		return rc;
	if ((rc = creds_file_keys(pr, profile, out, why)) == SK_ENOTFOUND &&
	    (rc = process_for(pr, profile, out, why)) == SK_ENOTFOUND)
		rc = config_file_keys(pr, profile, out, why);
	if (rc == 0)
		sk_buf_adds(desc, out->source);
	return rc;
}

/* ---- roles ------------------------------------------------------------------------ */

struct hops {
	const char *names[MAX_HOPS];
	size_t n;
};

static bool visited(const struct hops *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!strcmp(h->names[i], name))
			return true;
	return false;
}

/* the loop, for its message: "a -> b -> a" */
static void loop_text(char *out, size_t len, const struct hops *h, const char *again)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < h->n && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s -> ", h->names[i]);
	if (n < len)
		snprintf(out + n, len - n, "%s", again);
}

static int assume_profile(const struct sk_creds_ctx *x, const char *profile, struct hops *h, struct sk_credentials *out,
			  struct sk_buf *desc, struct sk_buf *why);

/* the credentials profile's role is assumed with (source_profile or credential_source), and their description */
static int role_base(const struct sk_creds_ctx *x, const char *profile, const char *source_profile,
		     const char *credential_source, struct hops *h, struct sk_credentials *out, struct sk_buf *desc,
		     struct sk_buf *why)
{
	const struct sk_creds_profiles *pr = x->profiles;
	struct sk_buf sub = SK_BUF_INIT, reason = SK_BUF_INIT;
	const char *src = NULL;
	int rc;

	if (credential_source) {
		if (!strcmp(credential_source, "Environment")) {
			rc = sk_creds_environment_keys(out, &reason);
			src = "environment";
		} else if (!strcmp(credential_source, "Ec2InstanceMetadata")) {
			rc = sk_creds_from_imds(x, out, &reason);
			src = "imds";
		} else if (!strcmp(credential_source, "EcsContainer")) {
			rc = sk_creds_from_ecs(x, out, &reason);
			src = "ecs";
		} else {
			return sk_creds_say(why, SK_ERROR, "profile '%s': credential_source '%s' is not Environment, "
							   "Ec2InstanceMetadata or EcsContainer", profile, credential_source);
		}
		if (rc != 0)
			rc = sk_creds_say(why, SK_ERROR, "profile '%s': credential_source %s gave no credentials: %s", profile,
					  credential_source, sk_buf_cstr(&reason));
		else
			sk_buf_printf(desc, "credential_source %s (%s)", credential_source, src);
		goto done;
	}
	if (!sk_creds_profile_exists(pr, source_profile)) {
		rc = sk_creds_say(why, SK_ERROR, "the source_profile '%s' of profile '%s' is in neither %s nor %s",
				  source_profile, profile, pr->creds_label, pr->config_label);
		goto done;
	}
	/* a profile may name itself to assume its role with its own keys; any other repeat is a loop */
	if (visited(h, source_profile) && (strcmp(source_profile, profile) || !has_keys(pr, source_profile))) {
		char text[400];
		loop_text(text, sizeof(text), h, source_profile);
		rc = sk_creds_say(why, SK_ERROR, "profile '%s': source_profile loops (%s)", profile, text);
		goto done;
	}
	if (h->n == MAX_HOPS) {
		rc = sk_creds_say(why, SK_ERROR, "profile '%s': more than %d source_profile hops", profile, MAX_HOPS);
		goto done;
	}
	h->names[h->n++] = source_profile;
	if (has_keys(pr, source_profile) || !has_role(pr, source_profile)) {
		rc = profile_own(x, source_profile, out, &sub, why);
		if (rc == SK_ENOTFOUND)
			rc = sk_creds_say(why, SK_ERROR, "the source_profile '%s' of profile '%s' has no credentials",
					  source_profile, profile);
		if (rc == 0)
			sk_buf_printf(desc, "source_profile %s (%s)", source_profile, sk_buf_cstr(&sub));
	} else {
		rc = assume_profile(x, source_profile, h, out, &sub, why);
		if (rc == 0)
			sk_buf_printf(desc, "source_profile %s <- %s", source_profile, sk_buf_cstr(&sub));
	}
done:
	sk_buf_free(&sub);
	sk_buf_free(&reason);
	return rc;
}

/* duration_seconds: empty or 900..43200 (STS checks the role's own limit) */
static int duration(const char *profile, const char *v, int *out, struct sk_buf *why)
{
	char *end;
	long n;

	*out = 0;
	if (!set(v))
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 900 || n > 43200)
		return sk_creds_say(why, SK_ERROR, "profile '%s': duration_seconds must be a whole number from 900 to "
						   "43200, got '%s'", profile, v);
	*out = (int)n;
	return 0;
}

static int assume_profile(const struct sk_creds_ctx *x, const char *profile, struct hops *h, struct sk_credentials *out,
			  struct sk_buf *desc, struct sk_buf *why)
{
	const struct sk_creds_profiles *pr = x->profiles;
	const char *role = sk_creds_profile_get(pr, profile, "role_arn");
	const char *source_profile = sk_creds_profile_get(pr, profile, "source_profile");
	const char *credential_source = sk_creds_profile_get(pr, profile, "credential_source");
	struct sk_assume_role_opts o = SK_ASSUME_ROLE_OPTS_INIT;
	struct sk_credentials base = SK_CREDENTIALS_INIT;
	struct sk_credentials_provider *bp = NULL;
	struct sk_buf base_desc = SK_BUF_INIT;
	int rc;

	if (set(source_profile) && set(credential_source))
		return sk_creds_say(why, SK_ERROR, "profile '%s' has both source_profile and credential_source", profile);
	if (!set(source_profile) && !set(credential_source))
		return sk_creds_say(why, SK_ERROR, "profile '%s' has role_arn but neither source_profile nor "
						   "credential_source", profile);
	if (set(sk_creds_profile_get(pr, profile, "mfa_serial")))
		return sk_creds_say(why, SK_ERROR, "profile '%s': role '%s' needs an MFA code (mfa_serial); not "
						   "supported unattended", profile, role);
	if (duration(profile, sk_creds_profile_get(pr, profile, "duration_seconds"), &o.duration_seconds, why) < 0)
		return SK_ERROR;
	if (!x->assume_role)
		return sk_creds_say(why, SK_ERROR, "profile '%s': role '%s': this credentials chain was made without an "
						   "STS client to assume it", profile, role);
	rc = role_base(x, profile, set(source_profile) ? source_profile : NULL,
		       set(credential_source) ? credential_source : NULL, h, &base, &base_desc, why);
	if (rc != 0)
		goto done;
	rc = SK_ERROR;
	if (sk_credentials_provider_static_new(&bp, base.access_key_id, base.secret_access_key, base.session_token) < 0) {
		sk_creds_say(why, SK_ERROR, "%s", sk_error_message());
		goto done;
	}
	o.role_arn = role;
	o.session_name = sk_creds_profile_get(pr, profile, "role_session_name");
	o.external_id = sk_creds_profile_get(pr, profile, "external_id");
	if (x->assume_role(x->assume_role_ud, bp, x->cfg->region ? x->cfg->region : "us-east-1", &o, out) < 0) {
		sk_creds_say(why, SK_ERROR, "profile '%s': role '%s': %s", profile, role, sk_error_message());
		goto done;
	}
	out->source = "assume-role";
	sk_buf_reset(desc);
	sk_buf_printf(desc, "assume-role %s <- %s", role, sk_buf_cstr(&base_desc));
	rc = 0;
done:
	sk_credentials_provider_free(bp);
	sk_credentials_clear(&base);
	sk_buf_free(&base_desc);
	return rc;
}

int sk_creds_from_role(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why)
{
	const char *profile = x->cfg->profile;
	struct hops h = { .n = 0 };

	if (sk_creds_profiles_check(x->profiles, why) < 0)
		return SK_ERROR;
	if (!has_role(x->profiles, profile))
		return sk_creds_say(why, SK_ENOTFOUND, "profile '%s' has no role_arn%s", profile,
				    set(sk_creds_profile_get(x->profiles, profile, "role_arn")) ? " (a web identity's)" : "");
	h.names[h.n++] = profile;
	return assume_profile(x, profile, &h, out, x->desc, why);
}

int sk_creds_from_sso(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why)
{
	if (sk_creds_profiles_check(x->profiles, why) < 0)
		return SK_ERROR;
	return sso_for(x, x->cfg->profile, out, x->desc, why);
}

int sk_creds_from_shared_files(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why)
{
	const struct sk_creds_profiles *pr = x->profiles;
	const char *profile = x->cfg->profile;
	int rc;

	if (sk_creds_profiles_check(pr, why) < 0)
		return SK_ERROR;
	if (pr->have_creds && (rc = creds_file_keys(pr, profile, out, why)) != SK_ENOTFOUND)
		return rc;
	if ((rc = process_for(pr, profile, out, why)) != SK_ENOTFOUND)
		return rc;
	if ((rc = config_file_keys(pr, profile, out, why)) != SK_ENOTFOUND)
		return rc;
	if (sk_aws_config_has_profile(pr->cfg)) {
		if (sk_creds_profile_get(pr, profile, "web_identity_token_file"))
			return sk_creds_say(why, SK_ENOTFOUND, "profile '%s' names a web identity, no keys", profile);
		return sk_creds_say(why, SK_ENOTFOUND, "profile '%s' has no keys in %s or %s", profile, pr->creds_label,
				    pr->config_label);
	}
	if (pr->have_creds && sk_ini_has_section(&pr->creds, profile))
		return sk_creds_say(why, SK_ENOTFOUND, "profile '%s' in %s has no keys", profile, pr->creds_label);
	return sk_creds_say(why, SK_ENOTFOUND, "profile '%s' not in %s or %s", profile, pr->creds_label, pr->config_label);
}
