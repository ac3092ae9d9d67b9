/*
 * config.c - region, profile, endpoints and retry settings, as the AWS CLI
 * resolves them
 */
#include "aws/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws/arn.h"
#include "aws/ini.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"

/* the services whose endpoint has its own variable, as the AWS CLI names them */
static const struct {
	const char *service;
	const char *env;
} service_envs[] = {
	{ "rds", "AWS_ENDPOINT_URL_RDS" },
	{ "sns", "AWS_ENDPOINT_URL_SNS" },
	{ "monitoring", "AWS_ENDPOINT_URL_CLOUDWATCH" },
	{ "sts", "AWS_ENDPOINT_URL_STS" },
	{ "portal.sso", "AWS_ENDPOINT_URL_SSO" },
};

#define N_SERVICES (sizeof(service_envs) / sizeof(service_envs[0]))

struct sk_aws_config_private {
	struct sk_ini ini;   /* the config file */
	char *section;       /* the profile's section in it, or NULL */
	char *endpoint_flag; /* --endpoint */
	char *endpoint_env;  /* AWS_ENDPOINT_URL */
	char *endpoint_profile;
	char *endpoint_service[N_SERVICES];
	bool ignore_configured;
};

/* a variable's value, or NULL when unset or empty */
static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static char *home_dir(void)
{
	const char *h = env("HOME");
	struct passwd *pw;

	if (h)
		return strdup(h);
	pw = getpwuid(getuid());
	return pw && pw->pw_dir ? strdup(pw->pw_dir) : NULL;
}

/* "~/x" -> "$HOME/x"; anything else as is */
static int expand_home(char **out, const char *path)
{
	char *home;
	struct sk_buf b = SK_BUF_INIT;

	*out = NULL;
	if (path[0] != '~' || (path[1] != '/' && path[1] != '\0')) {
		*out = strdup(path);
		return *out ? 0 : sk_error_set_oom();
	}
	home = home_dir();
	if (!home)
		return sk_error_set(SK_ERR_CONFIG, "cannot expand '%s': no home directory", path);
	if (sk_buf_printf(&b, "%s%s", home, path + 1) < 0) {
		free(home);
		return -1;
	}
	free(home);
	*out = sk_buf_detach(&b);
	return *out ? 0 : sk_error_set_oom();
}

void sk_aws_config_display_path(char *out, size_t len, const char *path)
{
	char *home = home_dir();
	size_t n = home ? strlen(home) : 0;

	if (home && n > 1 && !strncmp(path, home, n) && path[n] == '/')
		snprintf(out, len, "~%s", path + n);
	else
		sk_strlcpy(out, path, len);
	free(home);
}

bool sk_aws_valid_region(const char *region)
{
	size_t n = 0;

	if (!region || !*region)
		return false;
	for (; region[n]; n++)
		if (!(islower((unsigned char)region[n]) || isdigit((unsigned char)region[n]) || region[n] == '-'))
			return false;
	return n <= 64 && region[0] != '-' && region[n - 1] != '-';
}

/* an endpoint URL: http(s)://..., stored without trailing slashes */
static int take_endpoint(char **dst, const char *url, const char *where)
{
	size_t n;

	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
		return sk_error_set(SK_ERR_CONFIG, "%s: endpoint '%s' is not an http:// or https:// URL", where, url);
	for (n = 0; url[n]; n++)
		if ((unsigned char)url[n] <= ' ' || url[n] == 0x7f)
			return sk_error_set(SK_ERR_CONFIG, "%s: endpoint URL holds a space or control character", where);
	while (n > 8 && url[n - 1] == '/')
		n--;
	*dst = strndup(url, n);
	return *dst ? 0 : sk_error_set_oom();
}

static int parse_attempts(int *out, const char *v, const char *where)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || *end || end == v || n < 1 || n > 1000)
		return sk_error_set(SK_ERR_CONFIG, "%s must be a whole number from 1 to 1000, got '%s'", where, v);
	*out = (int)n;
	return 0;
}

static bool truthy(const char *v)
{
	return v && !strcasecmp(v, "true");
}

const char *sk_aws_config_profile_source(const struct sk_aws_config *cfg)
{
	switch (cfg ? cfg->profile_source : SK_AWS_PROFILE_UNNAMED) {
	case SK_AWS_PROFILE_FLAG: return "--profile";
	case SK_AWS_PROFILE_ENV: return "AWS_PROFILE";
	case SK_AWS_PROFILE_ENV_DEFAULT: return "AWS_DEFAULT_PROFILE";
	default: return NULL;
	}
}

/*
 * A named profile that is not in the config file must be in the
 * credentials file, as botocore's get_scoped_config() insists ("even if
 * it's the default profile"): otherwise the chain would go on to web
 * identity, the container or the instance role with the wrong identity.
 */
static int check_named_profile(const struct sk_aws_config *cfg, const char *config_label)
{
	struct sk_ini creds = SK_INI_INIT;
	char label[512];
	bool found;
	int rc;

	sk_aws_config_display_path(label, sizeof(label), cfg->credentials_file);
	rc = sk_ini_load(&creds, cfg->credentials_file, label);
	if (rc < 0 && rc != SK_ENOTFOUND)
		return -1;
	found = rc == 0 && sk_ini_has_section(&creds, cfg->profile);
	sk_ini_free(&creds);
	if (found)
		return 0;
	return sk_error_set(SK_ERR_CONFIG, "the config profile '%s' (from %s) could not be found in %s or %s", cfg->profile,
			    sk_aws_config_profile_source(cfg), label, config_label);
}

void sk_aws_config_free(struct sk_aws_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	if (cfg->priv) {
		sk_ini_free(&cfg->priv->ini);
		free(cfg->priv->section);
		free(cfg->priv->endpoint_flag);
		free(cfg->priv->endpoint_env);
		free(cfg->priv->endpoint_profile);
		for (i = 0; i < N_SERVICES; i++)
			free(cfg->priv->endpoint_service[i]);
		free(cfg->priv);
	}
	free(cfg->profile);
	free(cfg->region);
	free(cfg->endpoint_url);
	free(cfg->credentials_file);
	free(cfg->config_file);
	free(cfg);
}

int sk_aws_config_load(struct sk_aws_config **out, const struct sk_aws_config_opts *opts)
{
	struct sk_aws_config_opts none = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_config *cfg;
	struct sk_aws_config_private *pv;
	const char *v, *profile;
	char label[512];
	size_t i;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &none;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return sk_error_set_oom();
	pv = cfg->priv = calloc(1, sizeof(*pv));
	if (!pv)
		goto oom;

	/* profile: the flag, AWS_PROFILE, AWS_DEFAULT_PROFILE (older SDKs), "default" */
	if (opts->profile && *opts->profile) {
		profile = opts->profile;
		cfg->profile_source = SK_AWS_PROFILE_FLAG;
	} else if ((profile = env("AWS_PROFILE")) != NULL) {
		cfg->profile_source = SK_AWS_PROFILE_ENV;
	} else if ((profile = env("AWS_DEFAULT_PROFILE")) != NULL) {
		cfg->profile_source = SK_AWS_PROFILE_ENV_DEFAULT;
	}
	cfg->profile = strdup(profile ? profile : "default");
	if (!cfg->profile)
		goto oom;
	if (strpbrk(cfg->profile, "[]\n\r")) {
		sk_error_set(SK_ERR_CONFIG, "profile name '%s' holds '[', ']' or a line break", cfg->profile);
		goto fail;
	}

	/* the files */
	if (expand_home(&cfg->credentials_file,
			env("AWS_SHARED_CREDENTIALS_FILE") ? env("AWS_SHARED_CREDENTIALS_FILE") : "~/.aws/credentials") < 0 ||
	    expand_home(&cfg->config_file, env("AWS_CONFIG_FILE") ? env("AWS_CONFIG_FILE") : "~/.aws/config") < 0)
		goto fail;
	sk_aws_config_display_path(label, sizeof(label), cfg->config_file);
	rc = sk_ini_load(&pv->ini, cfg->config_file, label);
	if (rc < 0 && rc != SK_ENOTFOUND)
		goto fail;
	{
		struct sk_buf sec = SK_BUF_INIT;
		if (sk_buf_printf(&sec, "profile %s", cfg->profile) < 0) {
			sk_buf_free(&sec);
			goto fail;
		}
		if (sk_ini_has_section(&pv->ini, sec.ptr))
			pv->section = sk_buf_detach(&sec);
		else if (!strcmp(cfg->profile, "default") && sk_ini_has_section(&pv->ini, "default"))
			pv->section = strdup("default");
		sk_buf_free(&sec);
		if (pv->section)
			sk_debug("aws config: profile '%s' from [%s] in %s", cfg->profile, pv->section, label);
	}
	if (cfg->profile_source != SK_AWS_PROFILE_UNNAMED && !pv->section && check_named_profile(cfg, label) < 0)
		goto fail;

	/* region: the flag, AWS_REGION, AWS_DEFAULT_REGION, the profile */
	if (opts->region && *opts->region)
		v = opts->region;
	else if (env("AWS_REGION"))
		v = env("AWS_REGION");
	else if (env("AWS_DEFAULT_REGION"))
		v = env("AWS_DEFAULT_REGION");
	else
		v = sk_aws_config_profile_value(cfg, "region");
	if (v && *v) {
		if (!sk_aws_valid_region(v)) {
			sk_error_set(SK_ERR_CONFIG, "'%s' is not an AWS region name (as us-east-1)", v);
			goto fail;
		}
		cfg->region = strdup(v);
		if (!cfg->region)
			goto oom;
	}

	/* attempts: AWS_MAX_ATTEMPTS, the profile's max_attempts, 5 */
	cfg->max_attempts = 5;
	if ((v = env("AWS_MAX_ATTEMPTS")) != NULL) {
		if (parse_attempts(&cfg->max_attempts, v, "AWS_MAX_ATTEMPTS") < 0)
			goto fail;
	} else if ((v = sk_aws_config_profile_value(cfg, "max_attempts")) != NULL && *v) {
		if (parse_attempts(&cfg->max_attempts, v, "max_attempts in the config file") < 0)
			goto fail;
	}

	/* endpoints */
	if (opts->endpoint_url && *opts->endpoint_url &&
	    take_endpoint(&pv->endpoint_flag, opts->endpoint_url, "--endpoint") < 0)
		goto fail;
	pv->ignore_configured = truthy(env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) ||
				truthy(sk_aws_config_profile_value(cfg, "ignore_configured_endpoint_urls"));
	if (!pv->ignore_configured) {
		for (i = 0; i < N_SERVICES; i++)
			if ((v = env(service_envs[i].env)) && take_endpoint(&pv->endpoint_service[i], v, service_envs[i].env) < 0)
				goto fail;
		if ((v = env("AWS_ENDPOINT_URL")) && take_endpoint(&pv->endpoint_env, v, "AWS_ENDPOINT_URL") < 0)
			goto fail;
		if ((v = sk_aws_config_profile_value(cfg, "endpoint_url")) && *v &&
		    take_endpoint(&pv->endpoint_profile, v, "endpoint_url in the config file") < 0)
			goto fail;
	}
	v = pv->endpoint_flag ? pv->endpoint_flag : pv->endpoint_env ? pv->endpoint_env : pv->endpoint_profile;
	if (v && !(cfg->endpoint_url = strdup(v)))
		goto oom;
	*out = cfg;
	return 0;
oom:
	sk_error_set_oom();
fail:
	sk_aws_config_free(cfg);
	return -1;
}

const char *sk_aws_config_profile_value(const struct sk_aws_config *cfg, const char *key)
{
	if (!cfg || !cfg->priv || !cfg->priv->section)
		return NULL;
	return sk_ini_get(&cfg->priv->ini, cfg->priv->section, key);
}

const struct sk_ini *sk_aws_config_file(const struct sk_aws_config *cfg)
{
	return &cfg->priv->ini;
}

bool sk_aws_config_has_profile(const struct sk_aws_config *cfg)
{
	return cfg && cfg->priv && cfg->priv->section;
}

int sk_aws_config_endpoint(const struct sk_aws_config *cfg, const char *service, const char *region,
			   struct sk_buf *out)
{
	const struct sk_aws_config_private *pv = cfg ? cfg->priv : NULL;
	const char *url = NULL;
	size_t i;

	sk_buf_reset(out);
	if (!service || !*service)
		return sk_error_set(SK_ERR_INVALID, "no service named for an endpoint");
	if (pv) {
		url = pv->endpoint_flag;
		for (i = 0; !url && i < N_SERVICES; i++)
			if (!strcmp(service_envs[i].service, service))
				url = pv->endpoint_service[i];
		if (!url)
			url = pv->endpoint_env;
		if (!url)
			url = pv->endpoint_profile;
	}
	if (url)
		return sk_buf_adds(out, url);
	if (!sk_aws_valid_region(region))
		return sk_error_set(SK_ERR_CONFIG, "%s: '%s' is not an AWS region name (as us-east-1)", service,
				    region ? region : "");
	return sk_buf_printf(out, "https://%s.%s.%s", service, region, sk_arn_dns_suffix(region));
}
