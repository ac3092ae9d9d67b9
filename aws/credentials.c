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
#include "aws/credentials_profile.h"
#include "aws/credentials_source.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"

#define REFRESH_EARLY_SECONDS 300

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
	if (sk_creds_set_keys(out, id, secret, token, source) < 0)
		goto done;
	if (exp && *exp && sk_time_parse_rfc3339(&out->expiration, exp) < 0) {
		sk_credentials_clear(out);
		sk_error_set(SK_ERR_CREDENTIALS, "%s: the credentials answer has an Expiration that is not a time", source);
		goto done;
	}
	rc = 0;
done:
	sk_creds_wipe_json(root, "SecretAccessKey");
	sk_creds_wipe_json(root, "Token");
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
	if (sk_creds_set_keys(&p->cached, access_key_id, secret_access_key, session_token, "static") < 0 ||
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

/* ---- the chain ---------------------------------------------------------- */

/* botocore's order: environment, the profile's role, web identity, SSO, the files' keys and process, ECS, IMDS */
static const struct {
	const char *label;
	int (*get)(const struct sk_creds_ctx *x, struct sk_credentials *out, struct sk_buf *why);
} sources[] = {
	{ "environment", sk_creds_from_environment },
	{ "assume role", sk_creds_from_role },
	{ "web identity", sk_creds_from_web_identity },
	{ "sso", sk_creds_from_sso },
	{ "shared files", sk_creds_from_shared_files },
	{ "ecs", sk_creds_from_ecs },
	{ "imds", sk_creds_from_imds },
};

static int run_chain(struct sk_credentials_provider *p, struct sk_credentials *out)
{
	struct sk_buf tried = SK_BUF_INIT, why = SK_BUF_INIT;
	struct sk_creds_profiles profiles;
	struct sk_creds_ctx x;
	size_t i;
	int rc = SK_ENOTFOUND;

	if (sk_creds_profiles_load(&profiles, p->cfg) < 0)
		return -1;
	memset(&x, 0, sizeof(x));
	x.cfg = p->cfg;
	x.profiles = &profiles;
	x.web_identity = p->web_identity;
	x.web_identity_ud = p->web_identity_ud;
	x.assume_role = p->assume_role;
	x.assume_role_ud = p->assume_role_ud;
	x.now = now(p);
	x.desc = &p->fetching;
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		sk_buf_reset(&why);
		sk_buf_reset(&p->fetching);
		rc = sources[i].get(&x, out, &why);
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
	/* a source that is configured but fails is the whole story; the ones before it only were not configured */
	if (rc != 0 && rc != SK_ENOTFOUND)
		sk_error_set(SK_ERR_CREDENTIALS, "cannot get AWS credentials from %s: %s", sources[i].label,
			     why.len ? why.ptr : "it failed");
	else if (rc != 0)
		sk_error_set(SK_ERR_CREDENTIALS, "no AWS credentials found: %s", sk_buf_cstr(&tried));
	sk_creds_profiles_free(&profiles);
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

