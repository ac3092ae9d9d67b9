/*
 * sso.c - IAM Identity Center (AWS SSO): the cached access token and the
 * portal's GetRoleCredentials
 */
#include "aws/sso.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aws/credentials_source.h"
#include "aws/http.h"
#include "aws/query.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"

#define MAX_CACHE_FILE ((size_t)64 << 10)
#define ATTEMPTS 3

/* "sso_session 'NAME'" or "start URL 'URL'", for messages */
static void label(char *out, size_t len, const struct sk_sso_profile *sp)
{
	if (sp->session)
		snprintf(out, len, "sso_session '%s'", sp->session);
	else
		snprintf(out, len, "sso_start_url '%s'", sp->start_url ? sp->start_url : "");
}

int sk_sso_cache_path(struct sk_buf *out, const char *home, const struct sk_sso_profile *sp)
{
	const char *key = sp->session ? sp->session : sp->start_url;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	sk_buf_reset(out);
	if (!key || !*key)
		return sk_error_set(SK_ERR_CREDENTIALS, "profile '%s' names neither sso_session nor sso_start_url",
				    sp->profile);
	if (EVP_Digest(key, strlen(key), md, &n, EVP_sha1(), NULL) != 1)
		return sk_error_set(SK_ERR_CREDENTIALS, "cannot compute SHA-1");
	if (sk_buf_printf(out, "%s/.aws/sso/cache/", home) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (sk_buf_printf(out, "%02x", md[i]) < 0)
			return -1;
	return sk_buf_adds(out, ".json");
}

int sk_sso_parse_token(struct sk_buf *token, const char *json, size_t len, const struct sk_sso_profile *sp,
		       int64_t now)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	const char *tok, *exp;
	char what[600], when[64];
	int64_t t;
	int rc = -1;

	sk_buf_reset(token);
	label(what, sizeof(what), sp);
	if (!root || !json_is_object(root)) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': the cached IAM Identity Center token for %s is not a JSON "
						 "object; run `aws sso login --profile %s`", sp->profile, what, sp->profile);
		goto done;
	}
	tok = json_string_value(json_object_get(root, "accessToken"));
	exp = json_string_value(json_object_get(root, "expiresAt"));
	if (!tok || !*tok || !exp) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': the cached IAM Identity Center token for %s lacks "
						 "accessToken or expiresAt; run `aws sso login --profile %s`",
			     sp->profile, what, sp->profile);
		goto done;
	}
	/* older AWS CLIs wrote "2018-12-28T22:45:52UTC" */
	snprintf(when, sizeof(when), "%s", exp);
	if (strlen(when) > 3 && !strcmp(when + strlen(when) - 3, "UTC"))
		strcpy(when + strlen(when) - 3, "Z");
	if (sk_time_parse_rfc3339(&t, when) < 0) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': the cached IAM Identity Center token for %s has an "
						 "expiresAt that is not a time; run `aws sso login --profile %s`",
			     sp->profile, what, sp->profile);
		goto done;
	}
	if (t <= now) {
		sk_time_format_rfc3339(when, t);
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': the IAM Identity Center token for %s expired at %s; run "
						 "`aws sso login --profile %s`", sp->profile, what, when, sp->profile);
		goto done;
	}
	if (strpbrk(tok, "\r\n")) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': the cached IAM Identity Center token for %s holds a line "
						 "break; run `aws sso login --profile %s`", sp->profile, what, sp->profile);
		goto done;
	}
	rc = sk_buf_adds(token, tok);
done:
	sk_creds_wipe_json(root, "accessToken");
	json_decref(root);
	return rc;
}

static char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return strdup(h);
	pw = getpwuid(getuid());
	return pw && pw->pw_dir ? strdup(pw->pw_dir) : NULL;
}

/* reads the cache file into buf (wipe it after use) */
static int read_cache(struct sk_buf *buf, const char *path, const struct sk_sso_profile *sp)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096], what[600], shown[600];
	size_t n;
	int rc = -1;

	label(what, sizeof(what), sp);
	sk_aws_config_display_path(shown, sizeof(shown), path);
	if (!f) {
		if (errno == ENOENT)
			return sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': no IAM Identity Center token cached for %s "
								"(%s); run `aws sso login --profile %s`",
					    sp->profile, what, shown, sp->profile);
		return sk_error_set_errno(SK_ERR_CREDENTIALS, "profile '%s': cannot read the IAM Identity Center token "
							      "cache '%s'", sp->profile, shown);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf->len + n > MAX_CACHE_FILE) {
			sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': the IAM Identity Center token cache '%s' is larger "
							 "than %zu bytes", sp->profile, shown, MAX_CACHE_FILE);
			goto done;
		}
		if (sk_buf_add(buf, chunk, n) < 0)
			goto done;
	}
	rc = ferror(f) ? sk_error_set_errno(SK_ERR_CREDENTIALS, "cannot read '%s'", shown) : 0;
done:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	fclose(f);
	return rc;
}

/* printable text, at most max bytes, for a message (the portal's own message and type) */
static void printable(char *out, size_t len, const char *s, size_t max)
{
	size_t i, n = 0;

	for (i = 0; s && s[i] && n + 1 < len && i < max; i++)
		out[n++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[n] = '\0';
}

/* the portal's error: its type (x-amzn-ErrorType up to ':', else the body's __type) and message */
static void portal_error(const struct sk_http_response *resp, char *type, size_t tlen, char *msg, size_t mlen)
{
	struct sk_view v;
	json_t *root = json_loadb(resp->body.ptr ? resp->body.ptr : "", resp->body.len, 0, NULL);
	const char *m = json_string_value(json_object_get(root, "message"));

	type[0] = msg[0] = '\0';
	if (sk_http_response_header(resp, "x-amzn-ErrorType", &v) == 0) {
		size_t n = 0;
		while (n < v.len && v.ptr[n] != ':')
			n++;
		snprintf(type, tlen, "%.*s", (int)(n < 100 ? n : 100), v.ptr);
		printable(type, tlen, type, 100);
	} else if (json_string_value(json_object_get(root, "__type"))) {
		printable(type, tlen, json_string_value(json_object_get(root, "__type")), 100);
	}
	if (!m)
		m = json_string_value(json_object_get(root, "Message"));
	printable(msg, mlen, m, 160);
	json_decref(root);
}

static int call_portal(struct sk_credentials *out, const struct sk_aws_config *cfg, const struct sk_sso_profile *sp,
		       const char *token)
{
	struct sk_buf url = SK_BUF_INIT, hdr = SK_BUF_INIT;
	struct sk_http_response resp = SK_HTTP_RESPONSE_INIT;
	struct sk_http_request req;
	struct sk_http *h = NULL;
	const char *lines[2];
	char type[128], msg[200];
	json_t *root = NULL, *rc_obj;
	int attempt, rc = -1;

	if (sk_aws_config_endpoint(cfg, "portal.sso", sp->region, &url) < 0 ||
	    sk_buf_adds(&url, "/federation/credentials?account_id=") < 0 ||
	    sk_query_escape(&url, sp->account_id, strlen(sp->account_id)) < 0 || sk_buf_adds(&url, "&role_name=") < 0 ||
	    sk_query_escape(&url, sp->role_name, strlen(sp->role_name)) < 0 ||
	    sk_buf_printf(&hdr, "x-amz-sso_bearer_token: %s", token) < 0 || sk_http_new(&h) < 0)
		goto done;
	lines[0] = hdr.ptr;
	lines[1] = "Accept: application/json";
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url.ptr;
	req.headers = lines;
	req.n_headers = 2;
	req.body = "";
	req.timeout_ms = 10000;
	req.connect_timeout_ms = 5000;
	req.max_body = 64 << 10;
	for (attempt = 1; attempt <= ATTEMPTS; attempt++) {
		rc = sk_http_perform(h, &req, &resp);
		if (rc == 0 && resp.status < 500 && resp.status != 429)
			break;
		if (attempt < ATTEMPTS) {
			struct timespec ts = { 0, 200L * 1000000L * attempt };
			nanosleep(&ts, NULL);
		}
	}
	if (rc < 0) {
		sk_error_prefix("profile '%s': IAM Identity Center GetRoleCredentials", sp->profile);
		goto done;
	}
	rc = -1;
	if (resp.status != 200) {
		portal_error(&resp, type, sizeof(type), msg, sizeof(msg));
		if (resp.status == 401)
			sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': the IAM Identity Center portal refused the cached "
							 "token (%s: %s); run `aws sso login --profile %s`",
				     sp->profile, type[0] ? type : "HTTP 401", msg, sp->profile);
		else if (resp.status == 403)
			sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': IAM Identity Center gives no access to role '%s' in "
							 "account %s (%s: %s)", sp->profile, sp->role_name, sp->account_id,
				     type[0] ? type : "HTTP 403", msg);
		else
			sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': IAM Identity Center GetRoleCredentials answered HTTP "
							 "%ld (%s%s%s)", sp->profile, resp.status, type[0] ? type : "no type",
				     msg[0] ? ": " : "", msg);
		goto done;
	}
	root = json_loadb(resp.body.ptr ? resp.body.ptr : "", resp.body.len, 0, NULL);
	rc_obj = json_object_get(root, "roleCredentials");
	if (!json_is_object(rc_obj) || !json_is_integer(json_object_get(rc_obj, "expiration"))) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': the IAM Identity Center answer has no roleCredentials with "
						 "an expiration", sp->profile);
		goto done;
	}
	if (sk_creds_set_keys(out, json_string_value(json_object_get(rc_obj, "accessKeyId")),
			      json_string_value(json_object_get(rc_obj, "secretAccessKey")),
			      json_string_value(json_object_get(rc_obj, "sessionToken")), "sso") < 0)
		goto done;
	out->expiration = (int64_t)(json_integer_value(json_object_get(rc_obj, "expiration")) / 1000);
	sk_debug("aws credentials: IAM Identity Center role '%s' in %s until %lld", sp->role_name, sp->account_id,
		 (long long)out->expiration);
	rc = 0;
done:
	sk_creds_wipe_json(json_object_get(root, "roleCredentials"), "secretAccessKey");
	sk_creds_wipe_json(json_object_get(root, "roleCredentials"), "sessionToken");
	json_decref(root);
	sk_http_free(h);
	sk_buf_cleanse_free(&resp.body);
	sk_http_response_free(&resp);
	sk_buf_cleanse_free(&hdr);
	sk_buf_free(&url);
	return rc;
}

int sk_sso_get_role_credentials(struct sk_credentials *out, const struct sk_aws_config *cfg,
				const struct sk_sso_profile *sp, int64_t now)
{
	struct sk_buf path = SK_BUF_INIT, file = SK_BUF_INIT, token = SK_BUF_INIT;
	char *home = home_dir();
	int rc = -1;

	sk_credentials_clear(out);
	if (!home) {
		sk_error_set(SK_ERR_CREDENTIALS, "profile '%s': no home directory for ~/.aws/sso/cache", sp->profile);
		goto done;
	}
	if (sk_sso_cache_path(&path, home, sp) < 0 || read_cache(&file, path.ptr, sp) < 0 ||
	    sk_sso_parse_token(&token, file.ptr ? file.ptr : "", file.len, sp, now) < 0)
		goto done;
	rc = call_portal(out, cfg, sp, token.ptr);
done:
	free(home);
	sk_buf_free(&path);
	sk_buf_cleanse_free(&file);
	sk_buf_cleanse_free(&token);
	return rc;
}
