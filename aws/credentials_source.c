/*
 * credentials_source.c - the credentials chain's sources outside the shared
 * files (environment, web identity, ECS, IMDS) and their shared helpers
 */
#include "aws/credentials_source.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/credentials_profile.h"
#include "aws/http.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"

#define ECS_HOST "http://169.254.170.2"
#define IMDS_HOST "http://169.254.169.254"
#define IMDS_HOST_IPV6 "http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL "21600"
#define MAX_TOKEN_FILE ((size_t)64 << 10)
#define MAX_REASON 400

/* ---- helpers for the sources ------------------------------------------- */

const char *sk_creds_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* records why a source gave nothing (a message that never holds a secret) */
int sk_creds_say(struct sk_buf *why, int rc, const char *fmt, ...)
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
int sk_creds_read_secret_file(struct sk_buf *out, const char *path, const char *what)
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

int sk_creds_set_keys(struct sk_credentials *out, const char *id, const char *secret, const char *token,
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

/* ---- environment ------------------------------------------------------- */

/*
 * A profile named on the command line outranks the environment's keys, as
 * botocore drops its EnvProvider when the profile is explicit; one named by
 * AWS_PROFILE does not.
 */
void sk_creds_wipe_json(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
}

bool sk_creds_explicit_profile(const struct sk_creds_ctx *x)
{
	return x->cfg->profile_source == SK_AWS_PROFILE_FLAG;
}

int sk_creds_from_environment(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why)
{
	if (sk_creds_explicit_profile(x))
		return sk_creds_say(why, SK_ENOTFOUND, "skipped: --profile names profile '%s'", x->cfg->profile);
	return sk_creds_environment_keys(out, why);
}

int sk_creds_environment_keys(struct sk_credentials *out, struct sk_buf *why)
{
	const char *id = sk_creds_env("AWS_ACCESS_KEY_ID"), *secret = sk_creds_env("AWS_SECRET_ACCESS_KEY");
	const char *token = sk_creds_env("AWS_SESSION_TOKEN");

	if (!token)
		token = sk_creds_env("AWS_SECURITY_TOKEN");
	if (!id && !secret)
		return sk_creds_say(why, SK_ENOTFOUND, "AWS_ACCESS_KEY_ID not set");
	if (!id || !secret)
		return sk_creds_say(why, SK_ERROR, "%s is set but %s is not", id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			   id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if (sk_creds_set_keys(out, id, secret, token, "environment") < 0)
		return sk_creds_say(why, SK_ERROR, "%s", sk_error_message());
	return 0;
}


/* ---- web identity (STS AssumeRoleWithWebIdentity) ------------------------ */

int sk_creds_from_web_identity(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why)
{
	const struct sk_aws_config *cfg = x->cfg;
	/* with --profile only the profile's web identity counts (botocore's disable_env_vars) */
	const char *token_file = sk_creds_explicit_profile(x) ? NULL : sk_creds_env("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *role;
	int rc;

	if (token_file) {
		role = sk_creds_env("AWS_ROLE_ARN");
		if (!role)
			return sk_creds_say(why, SK_ERROR, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
		rc = sk_creds_web_identity(x, role, sk_creds_env("AWS_ROLE_SESSION_NAME"), token_file,
					   "AWS_WEB_IDENTITY_TOKEN_FILE", out, why);
	} else {
		if (sk_creds_profiles_check(x->profiles, why) < 0)
			return SK_ERROR;
		token_file = sk_creds_profile_get(x->profiles, cfg->profile, "web_identity_token_file");
		if (!token_file || !*token_file) {
			if (sk_creds_explicit_profile(x))
				return sk_creds_say(why, SK_ENOTFOUND, "profile '%s' has no web_identity_token_file (the "
								       "variables are skipped with --profile)", cfg->profile);
			return sk_creds_say(why, SK_ENOTFOUND, "AWS_WEB_IDENTITY_TOKEN_FILE not set");
		}
		role = sk_creds_profile_get(x->profiles, cfg->profile, "role_arn");
		if (!role || !*role)
			return sk_creds_say(why, SK_ERROR, "profile '%s' has web_identity_token_file but no role_arn",
					    cfg->profile);
		rc = sk_creds_web_identity(x, role, sk_creds_profile_get(x->profiles, cfg->profile, "role_session_name"),
					   token_file, "the profile's web_identity_token_file", out, why);
	}
	if (rc == 0 && x->desc) {
		sk_buf_reset(x->desc);
		sk_buf_printf(x->desc, "web-identity %s", role);
	}
	return rc;
}

int sk_creds_web_identity(const struct sk_creds_ctx *x, const char *role, const char *session, const char *token_file,
			  const char *from, struct sk_credentials *out, struct sk_buf *why)
{
	const char *region = x->cfg->region ? x->cfg->region : "us-east-1";
	struct sk_buf token = SK_BUF_INIT;
	char session_buf[64];
	int rc = SK_ERROR;

	if (!session || !*session) {
		snprintf(session_buf, sizeof(session_buf), "snapkeep-%lld", (long long)x->now);
		session = session_buf;
	}
	if (sk_creds_read_secret_file(&token, token_file, "web identity token file") < 0) {
		rc = sk_creds_say(why, SK_ERROR, "%s", sk_error_message());
		goto done;
	}
	if (!x->web_identity) {
		rc = sk_creds_say(why, SK_ERROR, "role '%s' from %s: this credentials chain was made without an STS client to "
					"exchange the token", role, from);
		goto done;
	}
	if (x->web_identity(x->web_identity_ud, region, role, session, token.ptr, out) < 0) {
		rc = sk_creds_say(why, SK_ERROR, "role '%s' from %s: %s", role, from, sk_error_message());
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
		return sk_creds_say(why, rc_none, "no answer: %s", sk_error_message());
	return 0;
}

/* the credentials in a metadata service's answer */
static int answer_keys(struct sk_credentials *out, const struct sk_http_response *resp, const char *source,
		       struct sk_buf *why)
{
	if (sk_credentials_parse_json(out, resp->body.ptr, resp->body.len, source) < 0)
		return sk_creds_say(why, SK_ERROR, "%s", sk_error_message());
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
		return sk_creds_say(why, SK_ERROR, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		sk_creds_say(why, SK_ERROR, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL");
		goto done;
	}
	if (!strcasecmp(scheme, "https") ||
	    (!strcasecmp(scheme, "http") && (is_loopback_host(host) || !strcmp(host, "169.254.170.2") ||
					     !strcmp(host, "169.254.170.23") || !strcasecmp(host, "[fd00:ec2::23]"))))
		rc = 0;
	else
		sk_creds_say(why, SK_ERROR,
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

int sk_creds_from_ecs(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why)
{
	const char *rel = sk_creds_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = sk_creds_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *token_file = sk_creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *token_env = sk_creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct sk_buf url = SK_BUF_INIT, token = SK_BUF_INIT, auth = SK_BUF_INIT;
	struct sk_http_response resp = SK_HTTP_RESPONSE_INIT;
	struct fetch f;
	char host[256];
	int rc = SK_ERROR;

	(void)x;
	if (!rel && !full)
		return sk_creds_say(why, SK_ENOTFOUND, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set");
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
		if (sk_creds_read_secret_file(&token, token_file, "container authorization token file") < 0) {
			rc = sk_creds_say(why, SK_ERROR, "%s", sk_error_message());
			goto done;
		}
	} else if (token_env && sk_buf_adds(&token, token_env) < 0) {
		goto oom;
	}
	if (token.len) {
		if (strpbrk(token.ptr, "\r\n")) {
			rc = sk_creds_say(why, SK_ERROR, "the container authorization token holds a line break");
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
		rc = sk_creds_say(why, SK_ERROR, "GET %s answered HTTP %ld%s", host, resp.status,
			 resp.status == 401 || resp.status == 403 ? " (is the authorization token right?)" : "");
		goto done;
	}
	rc = answer_keys(out, &resp, "ecs", why);
	goto done;
oom:
	rc = sk_creds_say(why, SK_ERROR, "out of memory");
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
	const char *v = sk_creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode;

	if (!v)
		v = sk_aws_config_profile_value(cfg, "ec2_metadata_service_endpoint");
	if (!v || !*v) {
		mode = sk_creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
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
	const char *v = sk_creds_env(name);
	char *end;
	long n;

	if (!v)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno || *end || n < lo || n > hi ? dflt : n;
}

int sk_creds_from_imds(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why)
{
	const char *disabled = sk_creds_env("AWS_EC2_METADATA_DISABLED");
	struct sk_buf base = SK_BUF_INIT, url = SK_BUF_INIT, token_hdr = SK_BUF_INIT, role = SK_BUF_INIT;
	struct sk_http_response resp = SK_HTTP_RESPONSE_INIT;
	struct fetch f;
	char host[256];
	int rc = SK_ERROR;

	if (disabled && !strcasecmp(disabled, "true"))
		return sk_creds_say(why, SK_ENOTFOUND, "disabled by AWS_EC2_METADATA_DISABLED");
	if (imds_endpoint(x->cfg, &base) < 0)
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
			rc = sk_creds_say(why, SK_ERROR, "%s answered PUT /latest/api/token with an unusable token", host);
			goto done;
		}
	} else if (resp.status == 400) {
		rc = sk_creds_say(why, SK_ERROR, "%s refused the IMDSv2 token request (HTTP 400)", host);
		goto done;
	} else if (resp.status != 403 && resp.status != 404 && resp.status != 405) {
		rc = sk_creds_say(why, SK_ERROR, "%s answered PUT /latest/api/token with HTTP %ld", host, resp.status);
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
		rc = sk_creds_say(why, SK_ENOTFOUND, "no IAM role attached to the instance (%s)", host);
		goto done;
	}
	if (resp.status != 200) {
		rc = sk_creds_say(why, SK_ERROR, "GET %s/latest/meta-data/iam/security-credentials/ answered HTTP %ld", host,
			 resp.status);
		goto done;
	}
	{
		size_t n = strcspn(resp.body.ptr, "\r\n");
		struct sk_view r = sk_view_trim(sk_view_from(resp.body.ptr, n));
		size_t i;
		if (!r.len) {
			rc = sk_creds_say(why, SK_ENOTFOUND, "no IAM role attached to the instance (%s)", host);
			goto done;
		}
		for (i = 0; i < r.len; i++)
			if (!(isalnum((unsigned char)r.ptr[i]) || strchr("+=,.@_-", r.ptr[i]))) {
				rc = sk_creds_say(why, SK_ERROR, "%s names a role that is not a role name", host);
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
		rc = sk_creds_say(why, SK_ERROR, "GET credentials of role '%s' from %s answered HTTP %ld", role.ptr, host,
			 resp.status);
		goto done;
	}
	rc = answer_keys(out, &resp, "imds", why);
	if (rc == 0)
		sk_debug("aws credentials: instance role '%s' from %s", role.ptr, host);
	goto done;
oom:
	rc = sk_creds_say(why, SK_ERROR, "out of memory");
done:
	free_response(&resp);
	sk_buf_free(&base);
	sk_buf_free(&url);
	sk_buf_cleanse_free(&token_hdr);
	sk_buf_free(&role);
	return rc;
}

