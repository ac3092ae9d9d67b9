/*
 * sts.c - STS GetCallerIdentity, AssumeRole and AssumeRoleWithWebIdentity
 *
 * AssumeRoleWithWebIdentity is unsigned (the OIDC token is the proof), so
 * the credentials chain's web identity source is handed
 * sk_sts_web_identity() over a client that has no credentials provider of
 * its own.  AssumeRole is signed with the credentials it starts from: an
 * assume-role provider is handed sk_sts_assume_role_exchange(), which signs
 * with the provider's base.
 */
#include "aws/sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/dict.h>
#include <openssl/crypto.h>

#include "aws/xml.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"

/* Retry safety: read-only. */
int sk_sts_get_caller_identity(struct sk_aws_client *c, const char *region, struct sk_caller_identity *out,
			       struct sk_aws_error *err)
{
	struct sk_aws_response resp = SK_AWS_RESPONSE_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sk_aws_call(c, "sts", region, "GetCallerIdentity", NULL, &resp, err);
	if (rc != 0)
		return rc;
	sk_xml_child_copy(out->account, sizeof(out->account), resp.result, "Account");
	sk_xml_child_copy(out->arn, sizeof(out->arn), resp.result, "Arn");
	sk_xml_child_copy(out->user_id, sizeof(out->user_id), resp.result, "UserId");
	sk_aws_response_free(&resp);
	if (!out->account[0])
		return sk_error_set(SK_ERR_XML, "sts GetCallerIdentity answer names no account");
	return 0;
}

/* overwrites an element's text in the tree, so freeing the answer leaves no secret behind */
static void wipe_text(xmlDocPtr doc, xmlNodePtr n)
{
	xmlNodePtr t;

	for (t = n ? n->children : NULL; t; t = t->next)
		if ((t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE) && t->content &&
		    !(doc->dict && xmlDictOwns(doc->dict, t->content)))
			OPENSSL_cleanse(t->content, strlen((const char *)t->content));
}

static char *dup_text(xmlNodePtr parent, const char *name, struct sk_xml_scratch *s)
{
	const char *v = sk_xml_child_text(parent, name, s);
	return v && *v ? strdup(v) : NULL;
}

/* the <Credentials> of an AssumeRole* answer into out (source), or an error naming action */
static int read_credentials(struct sk_aws_response *resp, const char *action, const char *source,
			    struct sk_credentials *out)
{
	struct sk_xml_scratch s = SK_XML_SCRATCH_INIT;
	xmlNodePtr cr = sk_xml_child(resp->result, "Credentials");
	const char *exp;
	size_t i;
	int rc = -1;

	out->access_key_id = dup_text(cr, "AccessKeyId", &s);
	out->secret_access_key = dup_text(cr, "SecretAccessKey", &s);
	out->session_token = dup_text(cr, "SessionToken", &s);
	exp = sk_xml_child_text(cr, "Expiration", &s);
	out->source = source;
	if (!out->access_key_id || !out->secret_access_key || !out->session_token)
		sk_error_set(SK_ERR_XML, "sts %s answer lacks AccessKeyId, SecretAccessKey or SessionToken", action);
	else if (!exp || sk_time_parse_rfc3339(&out->expiration, exp) < 0)
		sk_error_set(SK_ERR_XML, "sts %s answer has no valid Expiration", action);
	else
		rc = 0;
	wipe_text(resp->doc, sk_xml_child(cr, "SecretAccessKey"));
	wipe_text(resp->doc, sk_xml_child(cr, "SessionToken"));
	/* the scratch copies may hold the secrets too */
	for (i = 0; i < s.n; i++)
		OPENSSL_cleanse(s.items[i], strlen((const char *)s.items[i]));
	sk_xml_scratch_free(&s);
	if (rc < 0)
		sk_credentials_clear(out);
	return rc;
}

static void query_cleanse_free(struct sk_query *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		OPENSSL_cleanse(q->items[i].value, strlen(q->items[i].value));
	sk_query_free(q);
}

/* Retry safety: each call mints new credentials and changes nothing. */
int sk_sts_assume_role(struct sk_aws_client *c, const char *region, const struct sk_assume_role_opts *o,
		       struct sk_credentials *out, struct sk_aws_error *err)
{
	struct sk_aws_response resp = SK_AWS_RESPONSE_INIT;
	struct sk_query q = SK_QUERY_INIT;
	char session[64];
	int rc = -1;

	sk_credentials_clear(out);
	if (!o || !o->role_arn || !*o->role_arn)
		return sk_error_set(SK_ERR_CREDENTIALS, "sts AssumeRole needs a role ARN");
	if (o->session_name && *o->session_name)
		snprintf(session, sizeof(session), "%s", o->session_name);
	else
		snprintf(session, sizeof(session), "snapkeep-%lld", (long long)sk_time_now());
	if (sk_query_add(&q, "RoleArn", o->role_arn) < 0 || sk_query_add(&q, "RoleSessionName", session) < 0 ||
	    (o->external_id && *o->external_id && sk_query_add(&q, "ExternalId", o->external_id) < 0) ||
	    (o->duration_seconds > 0 && sk_query_add_int(&q, "DurationSeconds", o->duration_seconds) < 0))
		goto done;
	rc = sk_aws_call(c, "sts", region, "AssumeRole", &q, &resp, err);
	if (rc != 0)
		goto done;
	rc = read_credentials(&resp, "AssumeRole", "assume-role", out);
	if (rc == 0)
		sk_debug("aws credentials: assumed role '%s' (session '%s') until %lld", o->role_arn, session,
			 (long long)out->expiration);
done:
	sk_aws_response_free(&resp);
	query_cleanse_free(&q);
	return rc;
}

int sk_sts_assume_role_exchange(void *client, struct sk_credentials_provider *base, const char *region,
				const struct sk_assume_role_opts *o, struct sk_credentials *out)
{
	struct sk_aws_client_opts co = SK_AWS_CLIENT_OPTS_INIT;
	struct sk_aws_client *c = NULL;
	int rc;

	co.config = sk_aws_client_config(client);
	co.credentials = base;
	co.call_timeout_ms = 10000;
	if (sk_aws_client_new(&c, &co) < 0)
		return -1;
	rc = sk_sts_assume_role(c, region, o, out, NULL);
	sk_aws_client_free(c);
	return rc;
}

/* Retry safety: each call mints new credentials and changes nothing. */
int sk_sts_assume_role_with_web_identity(struct sk_aws_client *c, const char *region, const char *role_arn,
					 const char *session_name, const char *token, int duration_seconds,
					 struct sk_credentials *out, struct sk_aws_error *err)
{
	struct sk_aws_response resp = SK_AWS_RESPONSE_INIT;
	struct sk_query q = SK_QUERY_INIT;
	int rc = -1;

	sk_credentials_clear(out);
	if (!role_arn || !*role_arn || !token || !*token)
		return sk_error_set(SK_ERR_CREDENTIALS, "sts AssumeRoleWithWebIdentity needs a role ARN and a token");
	if (sk_query_add(&q, "RoleArn", role_arn) < 0 ||
	    sk_query_add(&q, "RoleSessionName", session_name && *session_name ? session_name : "snapkeep") < 0 ||
	    sk_query_add(&q, "WebIdentityToken", token) < 0 ||
	    (duration_seconds > 0 && sk_query_add_int(&q, "DurationSeconds", duration_seconds) < 0))
		goto done;
	rc = sk_aws_call_unsigned(c, "sts", region, "AssumeRoleWithWebIdentity", &q, &resp, err);
	if (rc != 0)
		goto done;
	rc = read_credentials(&resp, "AssumeRoleWithWebIdentity", "web-identity", out);
done:
	sk_aws_response_free(&resp);
	query_cleanse_free(&q);
	return rc;
}

int sk_sts_web_identity(void *client, const char *region, const char *role_arn, const char *session_name,
			const char *token, struct sk_credentials *out)
{
	return sk_sts_assume_role_with_web_identity(client, region, role_arn, session_name, token, 0, out, NULL);
}
