/*
 * credentials.c - where AWS credentials come from, in the SDKs' order
 *
 * The chain asks each source in turn, as aws-c-auth's
 * credentials_provider_chain.c does.  A source answers one of three ways:
 * it found credentials; it is not configured here (SK_ENOTFOUND: go on to
 * the next); or it is configured but broken (SK_ERROR: stop, as the AWS CLI
 * stops on a partial environment or a failing web identity exchange, rather
 * than quietly using some other identity).  Each says why in a few words,
 * and when nothing is found the error lists every source with its reason.
 *
 * What the chain found is cached; credentials that expire are fetched
 * again 5 minutes before they do (aws-c-auth's cached provider).  If a
 * refresh fails while the cached credentials are still valid, they are
 * used until they expire.
 *
 * This file knows no AWS client: the web identity source is handed its STS
 * exchange when the chain is made (credentials.h), so client.c (which asks
 * a provider for keys) and sts.c (which needs a client) do not loop back
 * here.
 */
#include "aws/credentials.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "aws/config.h"
#include "aws/http.h"
#include "aws/ini.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"

#define REFRESH_EARLY_SECONDS 300
#define ECS_HOST "http://169.254.170.2"
#define IMDS_HOST "http://169.254.169.254"
#define IMDS_HOST_IPV6 "http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL "21600"
#define MAX_TOKEN_FILE ((size_t)64 << 10)
#define MAX_REASON 400

/* ---- credentials values ------------------------------------------------ */

void sk_credentials_clear(struct sk_credentials *c)
{
	if (!c)
		return;
	sk_str_cleanse_free(c->access_key_id);
	sk_str_cleanse_free(c->secret_access_key);
	sk_str_cleanse_free(c->session_token);
	c->access_key_id = c->secret_access_key = c->session_token = NULL;
	c->expiration = 0;
	c->source = NULL;
}

int sk_credentials_copy(struct sk_credentials *dst, const struct sk_credentials *src)
{
	struct sk_credentials c = SK_CREDENTIALS_INIT;

	c.access_key_id = src->access_key_id ? strdup(src->access_key_id) : NULL;
	c.secret_access_key = src->secret_access_key ? strdup(src->secret_access_key) : NULL;
	c.session_token = src->session_token ? strdup(src->session_token) : NULL;
	c.expiration = src->expiration;
	c.source = src->source;
	if ((src->access_key_id && !c.access_key_id) || (src->secret_access_key && !c.secret_access_key) ||
	    (src->session_token && !c.session_token)) {
		sk_credentials_clear(&c);
		return sk_error_set_oom();
	}
	*dst = c;
	return 0;
}

/* a value for a credential field: control characters would end up in headers */
static bool clean_value(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int set_keys(struct sk_credentials *out, const char *id, const char *secret, const char *token,
		    const char *source)
{
	sk_credentials_clear(out);
	if (!clean_value(id) || !clean_value(secret) || (token && *token && !clean_value(token)))
		return sk_error_set(SK_ERR_CREDENTIALS, "%s: a key or token is empty or holds control characters",
				    source);
	out->access_key_id = strdup(id);
	out->secret_access_key = strdup(secret);
	out->session_token = token && *token ? strdup(token) : NULL;
	out->source = source;
	if (!out->access_key_id || !out->secret_access_key || (token && *token && !out->session_token)) {
		sk_credentials_clear(out);
		return sk_error_set_oom();
	}
	return 0;
}

int sk_credentials_parse_json(struct sk_credentials *out, const char *json, size_t len, const char *source)
{
	json_error_t jerr;
	json_t *root;
	const char *code, *id, *secret, *token, *exp;
	int rc = -1;

	sk_credentials_clear(out);
	root = json_loadb(json ? json : "", json ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		/* jansson's text can quote the input: say where, not what */
		sk_error_set(SK_ERR_CREDENTIALS, "%s: the credentials answer is not a JSON object (line %d, column %d)",
			     source, jerr.line, jerr.column);
		goto done;
	}
	code = json_string_value(json_object_get(root, "Code"));
	if (code && strcmp(code, "Success")) {
		/* quoted only when it looks like a code, never arbitrary text */
		if (*code && strlen(code) <= 64 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == strlen(code))
			sk_error_set(SK_ERR_CREDENTIALS, "%s: the credentials answer says Code '%s'", source, code);
		else
			sk_error_set(SK_ERR_CREDENTIALS, "%s: the credentials answer says Code is not Success", source);
		goto done;
	}
	id = json_string_value(json_object_get(root, "AccessKeyId"));
	secret = json_string_value(json_object_get(root, "SecretAccessKey"));
	token = json_string_value(json_object_get(root, "Token"));
	exp = json_string_value(json_object_get(root, "Expiration"));
	if (!id || !secret) {
		sk_error_set(SK_ERR_CREDENTIALS, "%s: the credentials answer lacks AccessKeyId or SecretAccessKey", source);
		goto done;
	}
	if (set_keys(out, id, secret, token, source) < 0)
		goto done;
	if (exp && *exp && sk_time_parse_rfc3339(&out->expiration, exp) < 0) {
		sk_credentials_clear(out);
		sk_error_set(SK_ERR_CREDENTIALS, "%s: the credentials answer has an Expiration that is not a time", source);
		goto done;
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}

/* ---- the provider ------------------------------------------------------ */

enum kind { K_STATIC, K_CHAIN, K_ASSUME_ROLE };

struct role {
	char *arn, *session, *external_id, *region;
	int duration;
};

struct sk_credentials_provider {
	enum kind kind;
	pthread_mutex_t lock;
	struct sk_credentials cached; /* valid when access_key_id is set */
	struct sk_buf chain;          /* how cached was got (describe()); no secrets */
	struct sk_buf fetching;       /* the same for a fetch under way */
	const struct sk_aws_config *cfg;
	sk_web_identity_fn web_identity; /* the STS exchanges the chain was handed, or NULL */
	void *web_identity_ud;
	sk_assume_role_fn assume_role;
	void *assume_role_ud;
	/* K_ASSUME_ROLE: the role and the provider whose credentials assume it */
	struct role role;
	struct sk_credentials_provider *base;
	int64_t (*clock)(void *ud);
	void *clock_ud;
	unsigned fetches;
};

static int64_t now(const struct sk_credentials_provider *p)
{
	return p->clock ? p->clock(p->clock_ud) : sk_time_now();
}

static int provider_new(struct sk_credentials_provider **out, enum kind kind)
{
	struct sk_credentials_provider *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return sk_error_set_oom();
	p->kind = kind;
	sk_buf_init(&p->chain, 0);
	sk_buf_init(&p->fetching, 0);
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return sk_error_set(SK_ERR_OS, "cannot create a mutex");
	}
	*out = p;
	return 0;
}

int sk_credentials_provider_static_new(struct sk_credentials_provider **out, const char *access_key_id,
				       const char *secret_access_key, const char *session_token)
{
	struct sk_credentials_provider *p;

	if (provider_new(&p, K_STATIC) < 0)
		return -1;
	if (set_keys(&p->cached, access_key_id, secret_access_key, session_token, "static") < 0 ||
	    sk_buf_adds(&p->chain, "static") < 0) {
		sk_credentials_provider_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int sk_credentials_provider_chain_new(struct sk_credentials_provider **out, const struct sk_credentials_chain_opts *opts)
{
	struct sk_credentials_provider *p;

	if (!opts || !opts->config)
		return sk_error_set(SK_ERR_INVALID, "the credentials chain needs a configuration");
	if (provider_new(&p, K_CHAIN) < 0)
		return -1;
	p->cfg = opts->config;
	p->web_identity = opts->web_identity;
	p->web_identity_ud = opts->web_identity_ud;
	p->assume_role = opts->assume_role;
	p->assume_role_ud = opts->assume_role_ud;
	*out = p;
	return 0;
}

static void role_free(struct role *r)
{
	free(r->arn);
	free(r->session);
	sk_str_cleanse_free(r->external_id);
	free(r->region);
	memset(r, 0, sizeof(*r));
}

static int role_set(struct role *r, const struct sk_assume_role_opts *o, const char *region)
{
	memset(r, 0, sizeof(*r));
	r->arn = strdup(o->role_arn);
	r->session = o->session_name && *o->session_name ? strdup(o->session_name) : NULL;
	r->external_id = o->external_id && *o->external_id ? strdup(o->external_id) : NULL;
	r->region = strdup(region && *region ? region : "us-east-1");
	r->duration = o->duration_seconds;
	if (!r->arn || !r->region || (o->session_name && *o->session_name && !r->session) ||
	    (o->external_id && *o->external_id && !r->external_id)) {
		role_free(r);
		return sk_error_set_oom();
	}
	return 0;
}

int sk_credentials_provider_assume_role_new(struct sk_credentials_provider **out, struct sk_credentials_provider *base,
					    const struct sk_assume_role_opts *o, const char *region,
					    sk_assume_role_fn exchange, void *ud)
{
	struct sk_credentials_provider *p;

	*out = NULL;
	if (!base || !o || !o->role_arn || !*o->role_arn || !exchange)
		return sk_error_set(SK_ERR_INVALID, "an assume-role provider needs base credentials, a role ARN and an "
						    "STS exchange");
	if (o->duration_seconds < 0)
		return sk_error_set(SK_ERR_INVALID, "role '%s': duration_seconds must not be negative", o->role_arn);
	if (provider_new(&p, K_ASSUME_ROLE) < 0)
		return -1;
	if (role_set(&p->role, o, region) < 0) {
		sk_credentials_provider_free(p);
		return -1;
	}
	p->base = base;
	p->assume_role = exchange;
	p->assume_role_ud = ud;
	*out = p;
	return 0;
}

void sk_credentials_provider_set_clock(struct sk_credentials_provider *p, int64_t (*clock)(void *ud), void *ud)
{
	pthread_mutex_lock(&p->lock);
	p->clock = clock;
	p->clock_ud = ud;
	pthread_mutex_unlock(&p->lock);
}

unsigned sk_credentials_provider_fetches(struct sk_credentials_provider *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->fetches;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int sk_credentials_provider_describe(struct sk_credentials_provider *p, struct sk_buf *out)
{
	int rc;

	sk_buf_reset(out);
	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	rc = sk_buf_add(out, p->chain.ptr ? p->chain.ptr : "", p->chain.len);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void sk_credentials_provider_free(struct sk_credentials_provider *p)
{
	if (!p)
		return;
	sk_credentials_clear(&p->cached);
	sk_buf_free(&p->chain);
	sk_buf_free(&p->fetching);
	role_free(&p->role);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* ---- helpers for the sources ------------------------------------------- */

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* records why a source gave nothing (a message that never holds a secret) */
static int say(struct sk_buf *why, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(struct sk_buf *why, int rc, const char *fmt, ...)
{
	va_list ap;

	sk_buf_reset(why);
	va_start(ap, fmt);
	sk_buf_vprintf(why, fmt, ap);
	va_end(ap);
	if (why->len > MAX_REASON) {
		sk_buf_truncate(why, MAX_REASON - 3);
		sk_buf_adds(why, "...");
	}
	return rc;
}

/* reads a small file that holds a secret (a token), trimmed; wipe the buffer after use */
static int read_secret_file(struct sk_buf *out, const char *path, const char *what)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	int rc = -1;

	sk_buf_reset(out);
	if (!f)
		return sk_error_set_errno(SK_ERR_CREDENTIALS, "cannot read %s '%s'", what, path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > MAX_TOKEN_FILE) {
			sk_error_set(SK_ERR_CREDENTIALS, "%s '%s' is larger than %zu bytes", what, path, MAX_TOKEN_FILE);
			goto done;
		}
		if (sk_buf_add(out, chunk, n) < 0)
			goto done;
	}
	if (ferror(f)) {
		sk_error_set_errno(SK_ERR_CREDENTIALS, "cannot read %s '%s'", what, path);
		goto done;
	}
	while (out->len && isspace((unsigned char)out->ptr[out->len - 1]))
		sk_buf_truncate(out, out->len - 1);
	{
		size_t lead = 0;
		while (lead < out->len && isspace((unsigned char)out->ptr[lead]))
			lead++;
		if (lead) {
			memmove(out->ptr, out->ptr + lead, out->len - lead);
			sk_buf_truncate(out, out->len - lead);
		}
	}
	if (!out->len || strlen(out->ptr) != out->len) {
		sk_error_set(SK_ERR_CREDENTIALS, "%s '%s' is empty or holds a NUL byte", what, path);
		goto done;
	}
	rc = 0;
done:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	fclose(f);
	return rc;
}

/* ---- environment ------------------------------------------------------- */

/*
 * A profile named on the command line outranks the environment's keys, as
 * botocore drops its EnvProvider when the profile is explicit; one named by
 * AWS_PROFILE does not.
 */
static bool explicit_profile(const struct sk_credentials_provider *p)
{
	return p->cfg->profile_source == SK_AWS_PROFILE_FLAG;
}

static int from_environment(struct sk_credentials_provider *p, struct sk_credentials *out, struct sk_buf *why)
{
	const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *token = env("AWS_SESSION_TOKEN");

	if (explicit_profile(p))
		return say(why, SK_ENOTFOUND, "skipped: --profile names profile '%s'", p->cfg->profile);
	if (!token)
		token = env("AWS_SECURITY_TOKEN");
	if (!id && !secret)
		return say(why, SK_ENOTFOUND, "AWS_ACCESS_KEY_ID not set");
	if (!id || !secret)
		return say(why, SK_ERROR, "%s is set but %s is not", id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			   id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if (set_keys(out, id, secret, token, "environment") < 0)
		return say(why, SK_ERROR, "%s", sk_error_message());
	return 0;
}

/* ---- shared files ------------------------------------------------------ */

/* the keys profile gives in file (either shared file): SK_ENOTFOUND when it names neither key */
static int profile_keys(struct sk_credentials *out, const char *id, const char *secret, const char *token,
			const char *source, const char *file, const char *profile, struct sk_buf *why)
{
	if ((!id || !*id) && (!secret || !*secret))
		return SK_ENOTFOUND;
	if (!id || !*id || !secret || !*secret)
		return say(why, SK_ERROR, "profile '%s' in %s has %s but not %s", profile, file,
			   id && *id ? "aws_access_key_id" : "aws_secret_access_key",
			   id && *id ? "aws_secret_access_key" : "aws_access_key_id");
	if (set_keys(out, id, secret, token, source) < 0)
		return say(why, SK_ERROR, "profile '%s' in %s: %s", profile, file, sk_error_message());
	return 0;
}

static int keys_from_section(struct sk_credentials *out, const struct sk_ini *ini, const char *section,
			     const char *source, const char *file, const char *profile, struct sk_buf *why)
{
	const char *token = sk_ini_get(ini, section, "aws_session_token");

	if (!token)
		token = sk_ini_get(ini, section, "aws_security_token");
	return profile_keys(out, sk_ini_get(ini, section, "aws_access_key_id"),
			    sk_ini_get(ini, section, "aws_secret_access_key"), token, source, file, profile, why);
}

static int from_shared_files(struct sk_credentials_provider *p, struct sk_credentials *out, struct sk_buf *why)
{
	const struct sk_aws_config *cfg = p->cfg;
	struct sk_ini creds_ini = SK_INI_INIT;
	char creds_label[512], config_label[512];
	bool in_creds = false;
	int rc;

	sk_aws_config_display_path(creds_label, sizeof(creds_label), cfg->credentials_file);
	sk_aws_config_display_path(config_label, sizeof(config_label), cfg->config_file);
	rc = sk_ini_load(&creds_ini, cfg->credentials_file, creds_label);
	if (rc < 0 && rc != SK_ENOTFOUND)
		return say(why, SK_ERROR, "%s", sk_error_message());
	if (rc == 0) {
		in_creds = sk_ini_has_section(&creds_ini, cfg->profile);
		rc = keys_from_section(out, &creds_ini, cfg->profile, "shared-credentials-file", creds_label,
				       cfg->profile, why);
		sk_ini_free(&creds_ini);
		if (rc != SK_ENOTFOUND)
			return rc;
	}
	if (sk_aws_config_has_profile(cfg)) {
		rc = profile_keys(out, sk_aws_config_profile_value(cfg, "aws_access_key_id"),
				  sk_aws_config_profile_value(cfg, "aws_secret_access_key"),
				  sk_aws_config_profile_value(cfg, "aws_session_token"), "shared-config-file",
				  config_label, cfg->profile, why);
		if (rc != SK_ENOTFOUND)
			return rc;
		if (sk_aws_config_profile_value(cfg, "web_identity_token_file"))
			return say(why, SK_ENOTFOUND, "profile '%s' names a web identity, no keys", cfg->profile);
		if (sk_aws_config_profile_value(cfg, "source_profile") ||
		    sk_aws_config_profile_value(cfg, "credential_source"))
			return say(why, SK_ERROR,
				   "profile '%s' in %s assumes a role from another profile (source_profile or "
				   "credential_source), which snapkeep does not support; give it keys or a "
				   "web_identity_token_file",
				   cfg->profile, config_label);
		if (sk_aws_config_profile_value(cfg, "credential_process"))
			return say(why, SK_ERROR, "profile '%s' in %s uses credential_process, which snapkeep does not "
						  "support", cfg->profile, config_label);
		if (sk_aws_config_profile_value(cfg, "sso_start_url") || sk_aws_config_profile_value(cfg, "sso_session"))
			return say(why, SK_ERROR, "profile '%s' in %s uses IAM Identity Center (SSO), which snapkeep does "
						  "not support; export keys with 'aws configure export-credentials'",
				   cfg->profile, config_label);
		return say(why, SK_ENOTFOUND, "profile '%s' has no keys in %s or %s", cfg->profile, creds_label,
			   config_label);
	}
	if (in_creds)
		return say(why, SK_ENOTFOUND, "profile '%s' in %s has no keys", cfg->profile, creds_label);
	return say(why, SK_ENOTFOUND, "profile '%s' not in %s or %s", cfg->profile, creds_label, config_label);
}

/* ---- web identity (STS AssumeRoleWithWebIdentity) ------------------------ */

static int from_web_identity(struct sk_credentials_provider *p, struct sk_credentials *out, struct sk_buf *why)
{
	const struct sk_aws_config *cfg = p->cfg;
	/* with --profile only the profile's web identity counts (botocore's disable_env_vars) */
	const char *token_file = explicit_profile(p) ? NULL : env("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *role = NULL, *session = NULL, *from;
	const char *region = cfg->region ? cfg->region : "us-east-1";
	struct sk_buf token = SK_BUF_INIT;
	char session_buf[64];
	int rc = SK_ERROR;

	if (token_file) {
		from = "AWS_WEB_IDENTITY_TOKEN_FILE";
		role = env("AWS_ROLE_ARN");
		session = env("AWS_ROLE_SESSION_NAME");
		if (!role)
			return say(why, SK_ERROR, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
	} else if ((token_file = sk_aws_config_profile_value(cfg, "web_identity_token_file")) != NULL && *token_file) {
		from = "the profile's web_identity_token_file";
		role = sk_aws_config_profile_value(cfg, "role_arn");
		session = sk_aws_config_profile_value(cfg, "role_session_name");
		if (!role || !*role)
			return say(why, SK_ERROR, "profile '%s' has web_identity_token_file but no role_arn", cfg->profile);
	} else if (explicit_profile(p)) {
		return say(why, SK_ENOTFOUND, "profile '%s' has no web_identity_token_file (the variables are skipped "
					      "with --profile)", cfg->profile);
	} else {
		return say(why, SK_ENOTFOUND, "AWS_WEB_IDENTITY_TOKEN_FILE not set");
	}
	if (!session || !*session) {
		snprintf(session_buf, sizeof(session_buf), "snapkeep-%lld", (long long)now(p));
		session = session_buf;
	}
	if (read_secret_file(&token, token_file, "web identity token file") < 0) {
		rc = say(why, SK_ERROR, "%s", sk_error_message());
		goto done;
	}
	if (!p->web_identity) {
		rc = say(why, SK_ERROR, "role '%s' from %s: this credentials chain was made without an STS client to "
					"exchange the token", role, from);
		goto done;
	}
	if (p->web_identity(p->web_identity_ud, region, role, session, token.ptr, out) < 0) {
		rc = say(why, SK_ERROR, "role '%s' from %s: %s", role, from, sk_error_message());
		goto done;
	}
	sk_debug("aws credentials: web identity for role '%s' (session '%s') until %lld", role, session,
		 (long long)out->expiration);
	rc = 0;
done:
	sk_buf_cleanse_free(&token);
	return rc;
}

/* ---- HTTP for the metadata services ------------------------------------ */

struct fetch {
	const char *method;
	const char *url;
	const char *headers[4];
	size_t n_headers;
	long timeout_ms;
	int attempts;
};

/* 0 when an answer arrived (resp->status), SK_ERROR (message set) when none did */
static int fetch(const struct fetch *f, struct sk_http_response *resp)
{
	struct sk_http *h = NULL;
	struct sk_http_request req;
	int attempt, rc = -1;

	if (sk_http_new(&h) < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.method = f->method;
	req.url = f->url;
	req.headers = f->headers;
	req.n_headers = f->n_headers;
	req.body = "";
	req.body_len = 0;
	req.timeout_ms = f->timeout_ms;
	req.connect_timeout_ms = f->timeout_ms;
	req.max_body = 64 << 10;
	req.no_proxy = true;
	for (attempt = 1; attempt <= f->attempts; attempt++) {
		rc = sk_http_perform(h, &req, resp);
		if (rc == 0 && resp->status < 500)
			break;
		if (attempt < f->attempts) {
			struct timespec ts = { 0, 100L * 1000000L * attempt };
			nanosleep(&ts, NULL);
		}
	}
	sk_http_free(h);
	return rc;
}

static void free_response(struct sk_http_response *resp)
{
	sk_buf_cleanse_free(&resp->body);
	sk_http_response_free(resp);
}

/* fetch(), and when no answer came, why (rc_none: SK_ERROR, or SK_ENOTFOUND where that means "not here") */
static int fetch_or_say(const struct fetch *f, struct sk_http_response *resp, struct sk_buf *why, int rc_none)
{
	if (fetch(f, resp) < 0)
		return say(why, rc_none, "no answer: %s", sk_error_message());
	return 0;
}

/* the credentials in a metadata service's answer */
static int answer_keys(struct sk_credentials *out, const struct sk_http_response *resp, const char *source,
		       struct sk_buf *why)
{
	if (sk_credentials_parse_json(out, resp->body.ptr, resp->body.len, source) < 0)
		return say(why, SK_ERROR, "%s", sk_error_message());
	return 0;
}

/* a URL's host (and port), as messages name it */
static void url_host(char *out, size_t size, const char *url)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	snprintf(out, size, "%.*s", (int)strcspn(h, "/?#"), h);
}

static bool is_loopback_host(const char *h)
{
	return !strcasecmp(h, "localhost") || !strncmp(h, "127.", 4) || !strcmp(h, "[::1]") || !strcmp(h, "::1");
}

/* http is allowed to the container agent's addresses and to this host only, as the SDKs check */
static int check_full_uri(const char *uri, struct sk_buf *why)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = SK_ERROR;

	if (!u)
		return say(why, SK_ERROR, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		say(why, SK_ERROR, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL");
		goto done;
	}
	if (!strcasecmp(scheme, "https") ||
	    (!strcasecmp(scheme, "http") && (is_loopback_host(host) || !strcmp(host, "169.254.170.2") ||
					     !strcmp(host, "169.254.170.23") || !strcasecmp(host, "[fd00:ec2::23]"))))
		rc = 0;
	else
		say(why, SK_ERROR,
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to this host or the container agent "
		    "(169.254.170.2, 169.254.170.23), not host '%s'",
		    host);
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* ---- ECS container credentials ----------------------------------------- */

static int from_ecs(struct sk_credentials_provider *p, struct sk_credentials *out, struct sk_buf *why)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *token_env = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct sk_buf url = SK_BUF_INIT, token = SK_BUF_INIT, auth = SK_BUF_INIT;
	struct sk_http_response resp = SK_HTTP_RESPONSE_INIT;
	struct fetch f;
	char host[256];
	int rc = SK_ERROR;

	(void)p;
	if (!rel && !full)
		return say(why, SK_ENOTFOUND, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set");
	memset(&f, 0, sizeof(f));
	if (rel) {
		if (sk_buf_printf(&url, "%s%s%s", ECS_HOST, rel[0] == '/' ? "" : "/", rel) < 0)
			goto oom;
	} else {
		if (check_full_uri(full, why) < 0)
			goto done;
		if (sk_buf_adds(&url, full) < 0)
			goto oom;
	}
	url_host(host, sizeof(host), url.ptr);
	if (token_file) {
		if (read_secret_file(&token, token_file, "container authorization token file") < 0) {
			rc = say(why, SK_ERROR, "%s", sk_error_message());
			goto done;
		}
	} else if (token_env && sk_buf_adds(&token, token_env) < 0) {
		goto oom;
	}
	if (token.len) {
		if (strpbrk(token.ptr, "\r\n")) {
			rc = say(why, SK_ERROR, "the container authorization token holds a line break");
			goto done;
		}
		if (sk_buf_printf(&auth, "Authorization: %s", token.ptr) < 0)
			goto oom;
		f.headers[f.n_headers++] = auth.ptr;
	}
	f.headers[f.n_headers++] = "Accept: application/json";
	f.method = "GET";
	f.url = url.ptr;
	f.timeout_ms = 2000;
	f.attempts = 3;
	if ((rc = fetch_or_say(&f, &resp, why, SK_ERROR)) != 0)
		goto done;
	if (resp.status != 200) {
		rc = say(why, SK_ERROR, "GET %s answered HTTP %ld%s", host, resp.status,
			 resp.status == 401 || resp.status == 403 ? " (is the authorization token right?)" : "");
		goto done;
	}
	rc = answer_keys(out, &resp, "ecs", why);
	goto done;
oom:
	rc = say(why, SK_ERROR, "out of memory");
done:
	free_response(&resp);
	sk_buf_free(&url);
	sk_buf_cleanse_free(&token);
	sk_buf_cleanse_free(&auth);
	return rc;
}

/* ---- EC2 instance metadata (IMDSv2) --------------------------------------- */

static int imds_endpoint(const struct sk_aws_config *cfg, struct sk_buf *out)
{
	const char *v = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode;

	if (!v)
		v = sk_aws_config_profile_value(cfg, "ec2_metadata_service_endpoint");
	if (!v || !*v) {
		mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
		if (!mode)
			mode = sk_aws_config_profile_value(cfg, "ec2_metadata_service_endpoint_mode");
		v = mode && !strcasecmp(mode, "IPv6") ? IMDS_HOST_IPV6 : IMDS_HOST;
	}
	if (sk_buf_adds(out, v) < 0)
		return -1;
	while (out->len > 8 && out->ptr[out->len - 1] == '/')
		sk_buf_truncate(out, out->len - 1);
	return 0;
}

static long env_long(const char *name, long dflt, long lo, long hi)
{
	const char *v = env(name);
	char *end;
	long n;

	if (!v)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno || *end || n < lo || n > hi ? dflt : n;
}

static int from_imds(struct sk_credentials_provider *p, struct sk_credentials *out, struct sk_buf *why)
{
	const char *disabled = env("AWS_EC2_METADATA_DISABLED");
	struct sk_buf base = SK_BUF_INIT, url = SK_BUF_INIT, token_hdr = SK_BUF_INIT, role = SK_BUF_INIT;
	struct sk_http_response resp = SK_HTTP_RESPONSE_INIT;
	struct fetch f;
	char host[256];
	int rc = SK_ERROR;

	if (disabled && !strcasecmp(disabled, "true"))
		return say(why, SK_ENOTFOUND, "disabled by AWS_EC2_METADATA_DISABLED");
	if (imds_endpoint(p->cfg, &base) < 0)
		goto oom;
	url_host(host, sizeof(host), base.ptr);
	memset(&f, 0, sizeof(f));
	f.timeout_ms = env_long("AWS_METADATA_SERVICE_TIMEOUT", 1, 1, 60) * 1000;
	f.attempts = (int)env_long("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 1, 10);

	/* IMDSv2: a session token first */
	if (sk_buf_printf(&url, "%s/latest/api/token", base.ptr) < 0)
		goto oom;
	f.method = "PUT";
	f.url = url.ptr;
	f.headers[0] = "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL;
	f.n_headers = 1;
	/* no answer: not on EC2 (or IMDS is off), nothing configured here */
	if ((rc = fetch_or_say(&f, &resp, why, SK_ENOTFOUND)) != 0)
		goto done;
	if (resp.status == 200) {
		if (!resp.body.len || strpbrk(resp.body.ptr, "\r\n") ||
		    sk_buf_printf(&token_hdr, "X-aws-ec2-metadata-token: %s", resp.body.ptr) < 0) {
			rc = say(why, SK_ERROR, "%s answered PUT /latest/api/token with an unusable token", host);
			goto done;
		}
	} else if (resp.status == 400) {
		rc = say(why, SK_ERROR, "%s refused the IMDSv2 token request (HTTP 400)", host);
		goto done;
	} else if (resp.status != 403 && resp.status != 404 && resp.status != 405) {
		rc = say(why, SK_ERROR, "%s answered PUT /latest/api/token with HTTP %ld", host, resp.status);
		goto done;
	} /* 403/404/405: no IMDSv2 here; go on without a token (IMDSv1), as botocore does */

	/* the role attached to the instance */
	sk_buf_reset(&url);
	if (sk_buf_printf(&url, "%s/latest/meta-data/iam/security-credentials/", base.ptr) < 0)
		goto oom;
	f.method = "GET";
	f.url = url.ptr;
	f.n_headers = 0;
	if (token_hdr.len)
		f.headers[f.n_headers++] = token_hdr.ptr;
	if ((rc = fetch_or_say(&f, &resp, why, SK_ERROR)) != 0)
		goto done;
	if (resp.status == 404) {
		rc = say(why, SK_ENOTFOUND, "no IAM role attached to the instance (%s)", host);
		goto done;
	}
	if (resp.status != 200) {
		rc = say(why, SK_ERROR, "GET %s/latest/meta-data/iam/security-credentials/ answered HTTP %ld", host,
			 resp.status);
		goto done;
	}
	{
		size_t n = strcspn(resp.body.ptr, "\r\n");
		struct sk_view r = sk_view_trim(sk_view_from(resp.body.ptr, n));
		size_t i;
		if (!r.len) {
			rc = say(why, SK_ENOTFOUND, "no IAM role attached to the instance (%s)", host);
			goto done;
		}
		for (i = 0; i < r.len; i++)
			if (!(isalnum((unsigned char)r.ptr[i]) || strchr("+=,.@_-", r.ptr[i]))) {
				rc = say(why, SK_ERROR, "%s names a role that is not a role name", host);
				goto done;
			}
		if (sk_buf_add(&role, r.ptr, r.len) < 0)
			goto oom;
	}

	/* its credentials */
	sk_buf_reset(&url);
	if (sk_buf_printf(&url, "%s/latest/meta-data/iam/security-credentials/%s", base.ptr, role.ptr) < 0)
		goto oom;
	f.url = url.ptr;
	if ((rc = fetch_or_say(&f, &resp, why, SK_ERROR)) != 0)
		goto done;
	if (resp.status != 200) {
		rc = say(why, SK_ERROR, "GET credentials of role '%s' from %s answered HTTP %ld", role.ptr, host,
			 resp.status);
		goto done;
	}
	rc = answer_keys(out, &resp, "imds", why);
	if (rc == 0)
		sk_debug("aws credentials: instance role '%s' from %s", role.ptr, host);
	goto done;
oom:
	rc = say(why, SK_ERROR, "out of memory");
done:
	free_response(&resp);
	sk_buf_free(&base);
	sk_buf_free(&url);
	sk_buf_cleanse_free(&token_hdr);
	sk_buf_free(&role);
	return rc;
}

/* ---- the chain ---------------------------------------------------------- */

static const struct {
	const char *label;
	int (*get)(struct sk_credentials_provider *p, struct sk_credentials *out, struct sk_buf *why);
} sources[] = {
	{ "environment", from_environment },
	{ "shared files", from_shared_files },
	{ "web identity", from_web_identity },
	{ "ecs", from_ecs },
	{ "imds", from_imds },
};

static int run_chain(struct sk_credentials_provider *p, struct sk_credentials *out)
{
	struct sk_buf tried = SK_BUF_INIT, why = SK_BUF_INIT;
	size_t i;
	int rc = SK_ENOTFOUND;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		sk_buf_reset(&why);
		sk_buf_reset(&p->fetching);
		rc = sources[i].get(p, out, &why);
		if (rc == 0) {
			sk_debug("aws credentials: from %s", out->source);
			if (!p->fetching.len)
				sk_buf_adds(&p->fetching, out->source);
			break;
		}
		sk_credentials_clear(out);
		sk_buf_printf(&tried, "%s%s: %s", tried.len ? "; " : "", sources[i].label,
			      why.len ? why.ptr : "nothing found");
		sk_debug("aws credentials: %s: %s", sources[i].label, why.len ? why.ptr : "nothing found");
		if (rc != SK_ENOTFOUND)
			break;
	}
	if (rc != 0)
		sk_error_set(SK_ERR_CREDENTIALS, "no AWS credentials found: %s", sk_buf_cstr(&tried));
	sk_buf_free(&tried);
	sk_buf_free(&why);
	return rc == 0 ? 0 : SK_ERROR;
}

/* one AssumeRole with the base's credentials of this moment */
static int assume(struct sk_credentials_provider *p, struct sk_credentials *out)
{
	struct sk_assume_role_opts o = SK_ASSUME_ROLE_OPTS_INIT;
	struct sk_buf base = SK_BUF_INIT;
	int rc;

	o.role_arn = p->role.arn;
	o.session_name = p->role.session;
	o.external_id = p->role.external_id;
	o.duration_seconds = p->role.duration;
	rc = p->assume_role(p->assume_role_ud, p->base, p->role.region, &o, out);
	if (rc == 0) {
		out->source = "assume-role";
		sk_buf_reset(&p->fetching);
		if (sk_credentials_provider_describe(p->base, &base) < 0 ||
		    sk_buf_printf(&p->fetching, "assume-role %s <- %s", p->role.arn, base.len ? base.ptr : "?") < 0)
			rc = -1;
	}
	sk_buf_free(&base);
	return rc;
}

static bool fresh(const struct sk_credentials *c, int64_t t, int64_t margin)
{
	return c->access_key_id && (!c->expiration || t < c->expiration - margin);
}

int sk_credentials_provider_get(struct sk_credentials_provider *p, struct sk_credentials *out)
{
	struct sk_credentials got = SK_CREDENTIALS_INIT;
	int64_t t;
	int rc = -1;

	sk_credentials_clear(out);
	if (!p)
		return sk_error_set(SK_ERR_CREDENTIALS, "no credentials provider");
	pthread_mutex_lock(&p->lock);
	t = now(p);
	if (p->kind == K_STATIC || fresh(&p->cached, t, REFRESH_EARLY_SECONDS)) {
		rc = sk_credentials_copy(out, &p->cached);
		goto done;
	}
	p->fetches++;
	if ((p->kind == K_ASSUME_ROLE ? assume(p, &got) : run_chain(p, &got)) == 0) {
		struct sk_buf swap = p->chain;
		sk_credentials_clear(&p->cached);
		p->cached = got;
		p->chain = p->fetching;
		p->fetching = swap;
		sk_buf_reset(&p->fetching);
		rc = sk_credentials_copy(out, &p->cached);
		goto done;
	}
	sk_credentials_clear(&got);
	if (fresh(&p->cached, t, 0)) {
		/* a failed refresh: what we have is still good for a while */
		char exp[SK_TIME_RFC3339_MAX];
		sk_time_format_rfc3339(exp, p->cached.expiration);
		sk_warn("refreshing AWS credentials failed; using those from %s until %s: %s", p->cached.source, exp,
			sk_error_message());
		rc = sk_credentials_copy(out, &p->cached);
		goto done;
	}
	rc = -1;
done:
	pthread_mutex_unlock(&p->lock);
	return rc;
}
