/*
 * session.c - configuration, credentials and client for one invocation
 */
#include "reconciler/engine/session.h"

#include <stdlib.h>
#include <string.h>

#include "aws/sts.h"
#include "common/array.h"
#include "common/error.h"
#include "common/str.h"

/* an assumed role's credentials, kept for the session's life */
struct sk_session_role {
	char *role_arn;
	char *external_id; /* NULL: none; wiped when freed */
	struct sk_credentials_provider *credentials;
};

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* the session's provider for (role_arn, external_id), made the first time: NULL with the error set */
static struct sk_credentials_provider *role_credentials(struct sk_session *s, const char *role_arn,
							 const char *external_id)
{
	struct sk_assume_role_opts ar = SK_ASSUME_ROLE_OPTS_INIT;
	struct sk_session_role *r;
	size_t i;

	for (i = 0; i < s->n_roles; i++)
		if (same_text(s->roles[i].role_arn, role_arn) && same_text(s->roles[i].external_id, external_id))
			return s->roles[i].credentials;
	if (SK_ARRAY_GROW(s->roles, s->cap_roles, s->n_roles + 1) < 0)
		return NULL;
	r = &s->roles[s->n_roles];
	memset(r, 0, sizeof(*r));
	ar.role_arn = role_arn;
	ar.session_name = "snapkeep";
	ar.external_id = external_id;
	if (!(r->role_arn = sk_strdup(role_arn)) || (external_id && !(r->external_id = sk_strdup(external_id))) ||
	    sk_credentials_provider_assume_role_new(&r->credentials, s->credentials, &ar, s->config->region,
						    sk_sts_assume_role_exchange, s->sts) < 0) {
		free(r->role_arn);
		sk_str_cleanse_free(r->external_id);
		return NULL;
	}
	s->n_roles++;
	return r->credentials;
}

int sk_session_open(struct sk_session *s, const struct sk_session_opts *o)
{
	struct sk_aws_config_opts co = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_client_opts so = SK_AWS_CLIENT_OPTS_INIT;
	struct sk_credentials_chain_opts cc = SK_CREDENTIALS_CHAIN_OPTS_INIT;
	struct sk_aws_client_opts ao = SK_AWS_CLIENT_OPTS_INIT;

	memset(s, 0, sizeof(*s));
	co.profile = o->profile;
	co.region = o->region;
	co.endpoint_url = o->endpoint;
	if (sk_aws_config_load(&s->config, &co) < 0)
		goto fail;
	/* the chain is handed its STS client; it never makes one */
	so.config = s->config;
	so.call_timeout_ms = 10000;
	if (sk_aws_client_new(&s->sts, &so) < 0)
		goto fail;
	cc.config = s->config;
	cc.web_identity = sk_sts_web_identity;
	cc.web_identity_ud = s->sts;
	cc.assume_role = sk_sts_assume_role_exchange;
	cc.assume_role_ud = s->sts;
	if (sk_credentials_provider_chain_new(&s->credentials, &cc) < 0)
		goto fail;
	ao.config = s->config;
	ao.credentials = s->credentials;
	ao.connect_timeout_ms = o->connect_timeout_ms;
	ao.call_timeout_ms = o->call_timeout_ms;
	ao.cancel = o->cancel;
	ao.on_attempt = o->on_attempt;
	ao.on_attempt_ud = o->on_attempt_ud;
	if (sk_aws_client_new(&s->client, &ao) < 0)
		goto fail;
	s->client_opts = ao;
	s->client_opts.credentials = NULL;
	return 0;
fail:
	sk_session_close(s);
	return -1;
}

int sk_session_account_client(struct sk_aws_client **client, struct sk_credentials_provider **credentials,
			      struct sk_session *s, const char *role_arn, const char *external_id)
{
	struct sk_aws_client_opts ao = s->client_opts;

	*client = NULL;
	if (!(*credentials = role_credentials(s, role_arn, external_id)))
		return -1;
	ao.credentials = *credentials;
	return sk_aws_client_new(client, &ao);
}

void sk_session_close(struct sk_session *s)
{
	for (size_t i = 0; i < s->n_roles; i++) {
		sk_credentials_provider_free(s->roles[i].credentials);
		free(s->roles[i].role_arn);
		sk_str_cleanse_free(s->roles[i].external_id);
	}
	free(s->roles);
	sk_aws_client_free(s->client);
	sk_credentials_provider_free(s->credentials);
	sk_aws_client_free(s->sts);
	sk_aws_config_free(s->config);
	memset(s, 0, sizeof(*s));
}
