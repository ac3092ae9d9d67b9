/*
 * test_credentials.c - the credentials chain: order, each source, refresh,
 * and that secrets stay out of errors
 *
 * IMDS, the ECS agent and STS are played by a small libmicrohttpd server
 * inside the test (127.0.0.1, a free port), reached through the same
 * variables a deployment would set: AWS_EC2_METADATA_SERVICE_ENDPOINT,
 * AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_ENDPOINT_URL_STS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <microhttpd.h>
#include <pthread.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/sts.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"

/* ---- the fake metadata services and STS ----------------------------------- */

struct fake {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t lock;
	int token_puts, role_gets, cred_gets, ecs_gets, sts_posts;
	int put_status;     /* what PUT /latest/api/token answers: 200 (IMDSv2), 405 (v1 only) */
	int ecs_status;     /* 200, or an error to answer with */
	const char *ecs_auth; /* the Authorization the ECS endpoint wants, or NULL */
	char sts_body[4096];
	int serial;
	int64_t expiration;
	bool bad_json;
};

static struct fake fake;

struct upload {
	struct sk_buf body;
};

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *type, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}

static void creds_json(char *out, size_t len, const char *prefix)
{
	char exp[SK_TIME_RFC3339_MAX];

	sk_time_format_rfc3339(exp, fake.expiration);
	snprintf(out, len,
		 "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"%s%d\",\"SecretAccessKey\":\"%s-secret-%d\","
		 "\"Token\":\"%s-token-%d\",\"Expiration\":\"%s\",\"LastUpdated\":\"2026-01-01T00:00:00Z\"}",
		 prefix, fake.serial, prefix, fake.serial, prefix, fake.serial, exp);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *data, size_t *data_len, void **con_cls)
{
	struct upload *up = *con_cls;
	char body[2048];
	enum MHD_Result rc;

	(void)cls;
	(void)version;
	if (!up) {
		up = calloc(1, sizeof(*up));
		sk_buf_init(&up->body, 0);
		*con_cls = up;
		return MHD_YES;
	}
	if (*data_len) {
		sk_buf_add(&up->body, data, *data_len);
		*data_len = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&fake.lock);
	fake.serial++;
	if (!strcmp(method, "PUT") && !strcmp(url, "/latest/api/token")) {
		fake.token_puts++;
		if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-aws-ec2-metadata-token-ttl-seconds"))
			rc = reply(c, 400, "text/plain", "missing ttl");
		else if (fake.put_status != 200)
			rc = reply(c, fake.put_status, "text/plain", "no");
		else
			rc = reply(c, 200, "text/plain", "imds-session-token-123");
	} else if (!strcmp(method, "GET") && !strncmp(url, "/latest/meta-data/iam/security-credentials/", 43)) {
		const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-aws-ec2-metadata-token");
		if (fake.put_status == 200 && (!tok || strcmp(tok, "imds-session-token-123")))
			rc = reply(c, 401, "text/plain", "token required");
		else if (!url[43]) {
			fake.role_gets++;
			rc = reply(c, 200, "text/plain", "snapkeep-role\n");
		} else if (!strcmp(url + 43, "snapkeep-role")) {
			fake.cred_gets++;
			if (fake.bad_json)
				snprintf(body, sizeof(body), "{\"AccessKeyId\": \"ASIAX\", \"SecretAccessKey\": \"leaky-secret-1\",");
			else
				creds_json(body, sizeof(body), "ASIAIMDS");
			rc = reply(c, 200, "application/json", body);
		} else {
			rc = reply(c, 404, "text/plain", "no such role");
		}
	} else if (!strcmp(method, "GET") && !strcmp(url, "/ecs/credentials")) {
		const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		fake.ecs_gets++;
		if (fake.ecs_auth && (!auth || strcmp(auth, fake.ecs_auth)))
			rc = reply(c, 403, "application/json", "{\"message\":\"bad token\"}");
		else if (fake.ecs_status != 200)
			rc = reply(c, fake.ecs_status, "application/json", "{}");
		else {
			creds_json(body, sizeof(body), "ASIAECS");
			rc = reply(c, 200, "application/json", body);
		}
	} else if (!strcmp(method, "POST") && !strcmp(url, "/")) {
		char exp[SK_TIME_RFC3339_MAX];
		fake.sts_posts++;
		snprintf(fake.sts_body, sizeof(fake.sts_body), "%s", sk_buf_cstr(&up->body));
		sk_time_format_rfc3339(exp, fake.expiration);
		if (!strstr(fake.sts_body, "WebIdentityToken=web-token-xyz")) {
			rc = reply(c, 403, "text/xml",
				   "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
				   "<Message>the token is not valid</Message></Error><RequestId>req-1</RequestId>"
				   "</ErrorResponse>");
		} else {
			snprintf(body, sizeof(body),
				 "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
				 "<AssumeRoleWithWebIdentityResult><Credentials>"
				 "<AccessKeyId>ASIAWEB%d</AccessKeyId><SecretAccessKey>web-secret-%d</SecretAccessKey>"
				 "<SessionToken>web-session-%d</SessionToken><Expiration>%s</Expiration>"
				 "</Credentials></AssumeRoleWithWebIdentityResult>"
				 "<ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata>"
				 "</AssumeRoleWithWebIdentityResponse>",
				 fake.serial, fake.serial, fake.serial, exp);
			rc = reply(c, 200, "text/xml", body);
		}
	} else {
		rc = reply(c, 404, "text/plain", "not found");
	}
	pthread_mutex_unlock(&fake.lock);
	return rc;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (up) {
		sk_buf_free(&up->body);
		free(up);
		*con_cls = NULL;
	}
}

static char tmp[256];

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *path_of(const char *name)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	return path;
}

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
	"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_STS", "AWS_MAX_ATTEMPTS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	"AWS_METADATA_SERVICE_TIMEOUT", "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
};

/* a clean environment: no AWS variables, empty files, IMDS off, STS at the fake */
static int setup(void **state)
{
	char url[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
		unsetenv(aws_vars[i]);
	write_file("credentials", "");
	write_file("config", "");
	setenv("HOME", tmp, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("credentials"), 1);
	setenv("AWS_CONFIG_FILE", path_of("config"), 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_MAX_ATTEMPTS", "2", 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake.port);
	setenv("AWS_ENDPOINT_URL_STS", url, 1);
	pthread_mutex_lock(&fake.lock);
	fake.token_puts = fake.role_gets = fake.cred_gets = fake.ecs_gets = fake.sts_posts = 0;
	fake.put_status = 200;
	fake.ecs_status = 200;
	fake.ecs_auth = NULL;
	fake.bad_json = false;
	fake.expiration = sk_time_now() + 3600;
	pthread_mutex_unlock(&fake.lock);
	sk_error_clear();
	return 0;
}

struct loaded {
	struct sk_aws_config *cfg;
	struct sk_aws_client *sts;
	struct sk_credentials_provider *p;
	struct sk_credentials c;
};

/*
 * As snapkeep's session: config (profile: --profile, or NULL), an unsigned
 * STS client, the chain handed it, one get()
 */
static int load_profile(struct loaded *l, const char *profile)
{
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_client_opts so = SK_AWS_CLIENT_OPTS_INIT;
	struct sk_credentials_chain_opts cc = SK_CREDENTIALS_CHAIN_OPTS_INIT;

	memset(l, 0, sizeof(*l));
	o.region = "us-east-1";
	o.profile = profile;
	if (sk_aws_config_load(&l->cfg, &o) < 0)
		return -1;
	so.config = l->cfg;
	if (sk_aws_client_new(&l->sts, &so) < 0)
		return -1;
	cc.config = l->cfg;
	cc.web_identity = sk_sts_web_identity;
	cc.web_identity_ud = l->sts;
	if (sk_credentials_provider_chain_new(&l->p, &cc) < 0)
		return -1;
	return sk_credentials_provider_get(l->p, &l->c);
}

static int load(struct loaded *l)
{
	return load_profile(l, NULL);
}

static void unload(struct loaded *l)
{
	sk_credentials_clear(&l->c);
	sk_credentials_provider_free(l->p);
	sk_aws_client_free(l->sts);
	sk_aws_config_free(l->cfg);
}

static void use_imds(void)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", fake.port);
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
	unsetenv("AWS_EC2_METADATA_DISABLED");
}

static void use_ecs(const char *token)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ecs/credentials", fake.port);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	if (token)
		setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", token, 1);
	fake.ecs_auth = token;
}

static void use_web_identity(void)
{
	write_file("web-token", "web-token-xyz\n");
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path_of("web-token"), 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/snapkeep", 1);
	setenv("AWS_ROLE_SESSION_NAME", "k8s-pod", 1);
}

/* ---- each source -------------------------------------------------------- */

static void test_environment_keys_and_token(void **state)
{
	struct loaded l;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	setenv("AWS_SESSION_TOKEN", "env-token", 1);
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "environment");
	assert_string_equal(l.c.access_key_id, "AKIDENV");
	assert_string_equal(l.c.secret_access_key, "env-secret");
	assert_string_equal(l.c.session_token, "env-token");
	assert_int_equal(l.c.expiration, 0);
	unload(&l);
}

static void test_partial_environment_stops_the_chain_without_the_secret(void **state)
{
	struct loaded l;

	(void)state;
	setenv("AWS_SECRET_ACCESS_KEY", "partial-secret-value", 1);
	write_file("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n");
	assert_int_equal(load(&l), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_CREDENTIALS);
	assert_non_null(strstr(sk_error_message(), "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
	assert_null(strstr(sk_error_message(), "partial-secret-value"));
	assert_null(l.c.access_key_id);
	unload(&l);
}

static void test_shared_credentials_file_profile(void **state)
{
	struct loaded l;

	(void)state;
	write_file("credentials", "# keys\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d-secret\n"
				  "\n[prod]\r\naws_access_key_id=AKIDPROD\r\naws_secret_access_key=p-secret ; note\r\n"
				  "aws_session_token = p-token");
	setenv("AWS_PROFILE", "prod", 1);
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "shared-credentials-file");
	assert_string_equal(l.c.access_key_id, "AKIDPROD");
	assert_string_equal(l.c.secret_access_key, "p-secret");
	assert_string_equal(l.c.session_token, "p-token");
	unload(&l);
}

static void test_config_file_profile_keys(void **state)
{
	struct loaded l;

	(void)state;
	/* [prod] in the config file is not the profile: only [profile prod] is */
	write_file("config", "[prod]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = w\n"
			     "[profile prod]\nregion = eu-west-1\naws_access_key_id = AKIDCONFIG\n"
			     "aws_secret_access_key = c-secret\n");
	setenv("AWS_PROFILE", "prod", 1);
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "shared-config-file");
	assert_string_equal(l.c.access_key_id, "AKIDCONFIG");
	assert_null(l.c.session_token);
	unload(&l);
}

static void test_credentials_file_wins_over_config_file(void **state)
{
	struct loaded l;

	(void)state;
	write_file("credentials", "[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s\n");
	write_file("config", "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n");
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.access_key_id, "AKIDCREDS");
	unload(&l);
}

static void test_malformed_credentials_file_error_names_line_not_content(void **state)
{
	struct loaded l;

	(void)state;
	write_file("credentials", "[default]\naws_access_key_id = AKIDX\nwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n");
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "credentials:3:"));
	assert_null(strstr(sk_error_message(), "wJalrXUtnFEMI"));
	unload(&l);
}

static void test_unsupported_profile_kinds_say_so(void **state)
{
	struct loaded l;

	(void)state;
	write_file("config", "[profile sso]\nsso_start_url = https://x.awsapps.com/start\n"
			     "[profile chained]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n");
	setenv("AWS_PROFILE", "sso", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "IAM Identity Center"));
	unload(&l);
	setenv("AWS_PROFILE", "chained", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "source_profile"));
	unload(&l);
}

static void test_web_identity_from_environment(void **state)
{
	struct loaded l;

	(void)state;
	use_web_identity();
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "web-identity");
	assert_non_null(strstr(l.c.access_key_id, "ASIAWEB"));
	assert_non_null(strstr(l.c.session_token, "web-session-"));
	assert_true(l.c.expiration > sk_time_now());
	assert_int_equal(fake.sts_posts, 1);
	assert_non_null(strstr(fake.sts_body, "Action=AssumeRoleWithWebIdentity"));
	assert_non_null(strstr(fake.sts_body, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fsnapkeep"));
	assert_non_null(strstr(fake.sts_body, "RoleSessionName=k8s-pod"));
	assert_non_null(strstr(fake.sts_body, "Version=2011-06-15"));
	unload(&l);
}

static void test_web_identity_from_profile(void **state)
{
	struct loaded l;
	char cfg[1024];

	(void)state;
	write_file("web-token", "web-token-xyz");
	snprintf(cfg, sizeof(cfg),
		 "[profile eks]\nrole_arn = arn:aws:iam::123456789012:role/eks\nweb_identity_token_file = %s\n",
		 path_of("web-token"));
	write_file("config", cfg);
	setenv("AWS_PROFILE", "eks", 1);
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "web-identity");
	assert_non_null(strstr(fake.sts_body, "role%2Feks"));
	assert_non_null(strstr(fake.sts_body, "RoleSessionName=snapkeep-"));
	unload(&l);
}

static void test_web_identity_refused_by_sts_is_an_error_without_the_token(void **state)
{
	struct loaded l;

	(void)state;
	use_web_identity();
	write_file("web-token", "not-the-right-token-abc");
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "web identity"));
	assert_non_null(strstr(sk_error_message(), "InvalidIdentityToken"));
	assert_null(strstr(sk_error_message(), "not-the-right-token-abc"));
	/* InvalidIdentityToken is not retryable: one call */
	assert_int_equal(fake.sts_posts, 1);
	unload(&l);
}

static void test_web_identity_without_role_arn(void **state)
{
	struct loaded l;

	(void)state;
	write_file("web-token", "web-token-xyz");
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path_of("web-token"), 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "AWS_ROLE_ARN is not"));
	unload(&l);
}

/* an exchange that is not STS: what the chain hands it, and what it gives back */
struct exchange_seen {
	int calls;
	char region[32], role[128], session[64], token[64];
};

static int fake_exchange(void *ud, const char *region, const char *role_arn, const char *session_name,
			 const char *token, struct sk_credentials *out)
{
	struct exchange_seen *seen = ud;

	seen->calls++;
	snprintf(seen->region, sizeof(seen->region), "%s", region);
	snprintf(seen->role, sizeof(seen->role), "%s", role_arn);
	snprintf(seen->session, sizeof(seen->session), "%s", session_name);
	snprintf(seen->token, sizeof(seen->token), "%s", token);
	out->access_key_id = strdup("ASIAEXCHANGED");
	out->secret_access_key = strdup("exchanged-secret");
	out->session_token = strdup("exchanged-token");
	out->expiration = sk_time_now() + 3600;
	out->source = "web-identity";
	return 0;
}

static void test_web_identity_goes_through_the_exchange_the_chain_is_handed(void **state)
{
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_credentials_chain_opts cc = SK_CREDENTIALS_CHAIN_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;
	struct sk_credentials_provider *p = NULL;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	struct exchange_seen seen;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	use_web_identity();
	o.region = "eu-west-1";
	assert_int_equal(sk_aws_config_load(&cfg, &o), 0);
	cc.config = cfg;
	cc.web_identity = fake_exchange;
	cc.web_identity_ud = &seen;
	assert_int_equal(sk_credentials_provider_chain_new(&p, &cc), 0);
	assert_int_equal(sk_credentials_provider_get(p, &c), 0);
	assert_string_equal(c.access_key_id, "ASIAEXCHANGED");
	assert_string_equal(c.source, "web-identity");
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.region, "eu-west-1");
	assert_string_equal(seen.role, "arn:aws:iam::123456789012:role/snapkeep");
	assert_string_equal(seen.session, "k8s-pod");
	assert_string_equal(seen.token, "web-token-xyz");
	/* the chain made no client of its own: STS was never called */
	assert_int_equal(fake.sts_posts, 0);
	sk_credentials_clear(&c);
	sk_credentials_provider_free(p);
	sk_aws_config_free(cfg);
}

static void test_web_identity_without_an_exchange_is_an_error(void **state)
{
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_credentials_chain_opts cc = SK_CREDENTIALS_CHAIN_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;
	struct sk_credentials_provider *p = NULL;
	struct sk_credentials c = SK_CREDENTIALS_INIT;

	(void)state;
	use_web_identity();
	use_imds();
	assert_int_equal(sk_aws_config_load(&cfg, &o), 0);
	cc.config = cfg;
	assert_int_equal(sk_credentials_provider_chain_new(&p, &cc), 0);
	assert_int_equal(sk_credentials_provider_get(p, &c), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "without an STS client"));
	assert_null(strstr(sk_error_message(), "web-token-xyz"));
	/* configured but not usable: it stops the chain, no fall-through to the instance role */
	assert_int_equal(fake.token_puts, 0);
	assert_null(c.access_key_id);
	sk_credentials_provider_free(p);
	sk_aws_config_free(cfg);
	assert_int_equal(sk_credentials_provider_chain_new(&p, NULL), SK_ERROR);
}

static void test_ecs_full_uri_with_authorization_token(void **state)
{
	struct loaded l;

	(void)state;
	use_ecs("ecs-auth-token-1");
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "ecs");
	assert_non_null(strstr(l.c.access_key_id, "ASIAECS"));
	assert_int_equal(l.c.expiration, fake.expiration);
	unload(&l);
}

static void test_ecs_token_file_wins_over_token_variable(void **state)
{
	struct loaded l;

	(void)state;
	use_ecs("wrong-token");
	fake.ecs_auth = "file-token-2";
	write_file("ecs-token", "file-token-2\n");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_of("ecs-token"), 1);
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "ecs");
	unload(&l);
}

static void test_ecs_refusal_is_an_error_without_the_token(void **state)
{
	struct loaded l;

	(void)state;
	use_ecs("ecs-auth-token-1");
	fake.ecs_auth = "something-else";
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "HTTP 403"));
	assert_null(strstr(sk_error_message(), "ecs-auth-token-1"));
	unload(&l);
}

static void test_ecs_full_uri_must_be_local_or_https(void **state)
{
	struct loaded l;

	(void)state;
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "must be https"));
	unload(&l);
}

static void test_imds_v2_token_then_role_then_credentials(void **state)
{
	struct loaded l;

	(void)state;
	use_imds();
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "imds");
	assert_non_null(strstr(l.c.access_key_id, "ASIAIMDS"));
	assert_non_null(strstr(l.c.session_token, "ASIAIMDS-token-"));
	assert_int_equal(fake.token_puts, 1);
	assert_int_equal(fake.role_gets, 1);
	assert_int_equal(fake.cred_gets, 1);
	unload(&l);
}

static void test_imds_v1_when_token_request_is_not_allowed(void **state)
{
	struct loaded l;

	(void)state;
	use_imds();
	fake.put_status = 405;
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "imds");
	unload(&l);
}

static void test_imds_disabled_makes_no_request(void **state)
{
	struct loaded l;

	(void)state;
	use_imds();
	setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_int_equal(fake.token_puts, 0);
	assert_non_null(strstr(sk_error_message(), "imds: disabled by AWS_EC2_METADATA_DISABLED"));
	unload(&l);
}

static void test_imds_bad_json_error_does_not_quote_it(void **state)
{
	struct loaded l;

	(void)state;
	use_imds();
	fake.bad_json = true;
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "not a JSON object"));
	assert_null(strstr(sk_error_message(), "leaky-secret-1"));
	unload(&l);
}

/* ---- which profile, as the AWS CLI decides -------------------------------- */

static void test_profile_flag_outranks_environment_keys(void **state)
{
	struct loaded l;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	write_file("credentials", "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = ci-secret\n");
	assert_int_equal(load_profile(&l, "ci"), 0);
	assert_string_equal(l.c.source, "shared-credentials-file");
	assert_string_equal(l.c.access_key_id, "AKIDCI");
	unload(&l);
}

static void test_aws_profile_does_not_outrank_environment_keys(void **state)
{
	struct loaded l;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	setenv("AWS_PROFILE", "ci", 1);
	write_file("credentials", "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = ci-secret\n");
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "environment");
	assert_string_equal(l.c.access_key_id, "AKIDENV");
	assert_int_equal(l.cfg->profile_source, SK_AWS_PROFILE_ENV);
	unload(&l);
}

static void test_profile_flag_skips_the_environments_web_identity_too(void **state)
{
	struct loaded l;

	(void)state;
	/* a profile with settings but no keys: botocore goes on to the container and the instance role */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	write_file("config", "[profile regiononly]\nregion = eu-west-1\n");
	use_web_identity();
	use_imds();
	assert_int_equal(load_profile(&l, "regiononly"), 0);
	assert_string_equal(l.c.source, "imds");
	assert_int_equal(fake.sts_posts, 0);
	unload(&l);
	/* with nothing after it, the one line says why each source gave nothing */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	assert_int_equal(load_profile(&l, "regiononly"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "environment: skipped: --profile names profile 'regiononly'"));
	assert_non_null(strstr(sk_error_message(), "web identity: profile 'regiononly' has no web_identity_token_file"));
	unload(&l);
}

static void test_profile_flag_uses_the_profiles_web_identity(void **state)
{
	struct loaded l;
	char cfg[1024];

	(void)state;
	use_web_identity(); /* role/snapkeep from the environment: not this one */
	snprintf(cfg, sizeof(cfg),
		 "[profile eks]\nrole_arn = arn:aws:iam::123456789012:role/eks\nweb_identity_token_file = %s\n",
		 path_of("web-token"));
	write_file("config", cfg);
	assert_int_equal(load_profile(&l, "eks"), 0);
	assert_string_equal(l.c.source, "web-identity");
	assert_int_equal(fake.sts_posts, 1);
	assert_non_null(strstr(fake.sts_body, "role%2Feks"));
	unload(&l);
}

static void test_unknown_profile_never_falls_through(void **state)
{
	struct loaded l;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	use_web_identity();
	use_ecs(NULL);
	use_imds();
	write_file("credentials", "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = ci-secret\n");
	assert_int_equal(load_profile(&l, "cj"), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_CONFIG);
	assert_non_null(strstr(sk_error_message(), "the config profile 'cj' (from --profile) could not be found"));
	assert_null(l.p);
	unload(&l);
	setenv("AWS_PROFILE", "cj", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "the config profile 'cj' (from AWS_PROFILE) could not be found"));
	unload(&l);
	/* nothing was asked: not STS, not the container, not the instance */
	assert_int_equal(fake.sts_posts, 0);
	assert_int_equal(fake.ecs_gets, 0);
	assert_int_equal(fake.token_puts, 0);
}

/* ---- the chain ---------------------------------------------------------- */

static void test_chain_order_env_files_web_ecs_imds(void **state)
{
	struct loaded l;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	write_file("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
	use_web_identity();
	use_ecs(NULL);
	use_imds();

	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "environment");
	unload(&l);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "shared-credentials-file");
	unload(&l);
	write_file("credentials", "");
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "web-identity");
	unload(&l);
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "ecs");
	unload(&l);
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "imds");
	unload(&l);
	/* the sources below the first that answered were never asked */
	assert_int_equal(fake.token_puts, 1);
	assert_int_equal(fake.ecs_gets, 1);
	assert_int_equal(fake.sts_posts, 1);
}

static void test_nothing_found_lists_every_source_in_one_line(void **state)
{
	struct loaded l;
	const char *m;

	(void)state;
	assert_int_equal(load(&l), SK_ERROR);
	m = sk_error_message();
	assert_int_equal(sk_error_last()->klass, SK_ERR_CREDENTIALS);
	assert_non_null(strstr(m, "no AWS credentials found: "));
	assert_non_null(strstr(m, "environment: AWS_ACCESS_KEY_ID not set"));
	assert_non_null(strstr(m, "shared files: profile 'default' not in"));
	assert_non_null(strstr(m, "web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set"));
	assert_non_null(strstr(m, "ecs: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set"));
	assert_non_null(strstr(m, "imds: disabled by AWS_EC2_METADATA_DISABLED"));
	assert_null(strchr(m, '\n'));
	unload(&l);
}

static void test_imds_unreachable_is_reported_quickly(void **state)
{
	struct loaded l;
	int64_t start;

	(void)state;
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	start = sk_time_mono_ms();
	assert_int_equal(load(&l), SK_ERROR);
	assert_true(sk_time_mono_ms() - start < 1500);
	assert_non_null(strstr(sk_error_message(), "imds: no answer"));
	unload(&l);
}

/* ---- caching and refresh ------------------------------------------------- */

static int64_t fake_now;

static int64_t test_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static void test_temporary_credentials_refresh_five_minutes_early(void **state)
{
	struct loaded l;
	char first[64];

	(void)state;
	use_imds();
	fake_now = sk_time_now();
	fake.expiration = fake_now + 3600;
	assert_int_equal(load(&l), 0);
	sk_credentials_provider_set_clock(l.p, test_clock, NULL);
	snprintf(first, sizeof(first), "%s", l.c.access_key_id);
	assert_int_equal(sk_credentials_provider_fetches(l.p), 1);

	/* 6 minutes before expiry: still the cached ones */
	fake_now = fake.expiration - 360;
	sk_credentials_clear(&l.c);
	assert_int_equal(sk_credentials_provider_get(l.p, &l.c), 0);
	assert_string_equal(l.c.access_key_id, first);
	assert_int_equal(sk_credentials_provider_fetches(l.p), 1);
	assert_int_equal(fake.cred_gets, 1);

	/* 4 minutes before: fetched again, new keys */
	fake_now = fake.expiration - 240;
	fake.expiration += 3600;
	sk_credentials_clear(&l.c);
	assert_int_equal(sk_credentials_provider_get(l.p, &l.c), 0);
	assert_string_not_equal(l.c.access_key_id, first);
	assert_int_equal(sk_credentials_provider_fetches(l.p), 2);
	assert_int_equal(fake.cred_gets, 2);
	assert_int_equal(fake.token_puts, 2);
	unload(&l);
}

static void test_failed_refresh_keeps_valid_credentials_until_expiry(void **state)
{
	struct loaded l;
	int64_t exp;

	(void)state;
	use_ecs("t");
	fake_now = sk_time_now();
	exp = fake.expiration = fake_now + 3600;
	assert_int_equal(load(&l), 0);
	sk_credentials_provider_set_clock(l.p, test_clock, NULL);
	fake.ecs_status = 500;

	fake_now = exp - 100; /* in the refresh window, still valid */
	sk_credentials_clear(&l.c);
	assert_int_equal(sk_credentials_provider_get(l.p, &l.c), 0);
	assert_string_equal(l.c.source, "ecs");

	fake_now = exp + 1; /* expired, and the refresh fails */
	sk_credentials_clear(&l.c);
	assert_int_equal(sk_credentials_provider_get(l.p, &l.c), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "HTTP 500"));
	unload(&l);
}

static void test_long_term_keys_are_read_once(void **state)
{
	struct loaded l;

	(void)state;
	write_file("credentials", "[default]\naws_access_key_id = AKIDONE\naws_secret_access_key = s\n");
	assert_int_equal(load(&l), 0);
	write_file("credentials", "[default]\naws_access_key_id = AKIDTWO\naws_secret_access_key = s\n");
	sk_credentials_clear(&l.c);
	assert_int_equal(sk_credentials_provider_get(l.p, &l.c), 0);
	assert_string_equal(l.c.access_key_id, "AKIDONE");
	assert_int_equal(sk_credentials_provider_fetches(l.p), 1);
	unload(&l);
}

struct race {
	struct sk_credentials_provider *p;
	int failures;
};

static void *racer(void *ud)
{
	struct race *r = ud;
	int i;

	for (i = 0; i < 20; i++) {
		struct sk_credentials c = SK_CREDENTIALS_INIT;
		if (sk_credentials_provider_get(r->p, &c) < 0 || !c.access_key_id || strncmp(c.access_key_id, "ASIAIMDS", 8))
			__atomic_add_fetch(&r->failures, 1, __ATOMIC_SEQ_CST);
		sk_credentials_clear(&c);
	}
	return NULL;
}

static void test_get_is_thread_safe_while_refreshing(void **state)
{
	struct loaded l;
	struct race r;
	pthread_t th[6];
	int i;

	(void)state;
	use_imds();
	/* credentials that are always inside the refresh window: every get() refreshes */
	fake.expiration = sk_time_now() + 200;
	assert_int_equal(load(&l), 0);
	r.p = l.p;
	r.failures = 0;
	for (i = 0; i < 6; i++)
		assert_int_equal(pthread_create(&th[i], NULL, racer, &r), 0);
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(r.failures, 0);
	assert_int_equal(sk_credentials_provider_fetches(l.p), 121);
	unload(&l);
}

static void test_static_provider(void **state)
{
	struct sk_credentials_provider *p;
	struct sk_credentials c = SK_CREDENTIALS_INIT;

	(void)state;
	assert_int_equal(sk_credentials_provider_static_new(&p, "AKIDSTATIC", "static-secret", NULL), 0);
	assert_int_equal(sk_credentials_provider_get(p, &c), 0);
	assert_string_equal(c.source, "static");
	assert_string_equal(c.secret_access_key, "static-secret");
	sk_credentials_clear(&c);
	assert_null(c.secret_access_key);
	sk_credentials_provider_free(p);
	assert_int_equal(sk_credentials_provider_static_new(&p, "AKID", "bad\nsecret", NULL), SK_ERROR);
	assert_null(strstr(sk_error_message(), "bad\nsecret"));
	sk_credentials_provider_free(NULL);
}

static void test_credentials_json(void **state)
{
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	const char *ok = "{\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s1\",\"Token\":\"t1\","
			 "\"Expiration\":\"2026-05-01T10:00:00Z\"}";
	const char *failed = "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}";
	const char *no_secret = "{\"AccessKeyId\":\"ASIA1\"}";
	int64_t t;

	(void)state;
	assert_int_equal(sk_credentials_parse_json(&c, ok, strlen(ok), "imds"), 0);
	assert_int_equal(sk_time_parse_rfc3339(&t, "2026-05-01T10:00:00Z"), 0);
	assert_int_equal(c.expiration, t);
	assert_string_equal(c.session_token, "t1");
	assert_int_equal(sk_credentials_parse_json(&c, failed, strlen(failed), "imds"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "AssumeRoleUnauthorizedAccess"));
	assert_null(c.access_key_id);
	assert_int_equal(sk_credentials_parse_json(&c, no_secret, strlen(no_secret), "ecs"), SK_ERROR);
	assert_int_equal(sk_credentials_parse_json(&c, "[1,2]", 5, "ecs"), SK_ERROR);
	assert_int_equal(sk_credentials_parse_json(&c, "", 0, "ecs"), SK_ERROR);
	assert_int_equal(sk_credentials_parse_json(&c, ok, 30, "ecs"), SK_ERROR);
	assert_null(strstr(sk_error_message(), "ASIA1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_environment_keys_and_token, setup),
		cmocka_unit_test_setup(test_partial_environment_stops_the_chain_without_the_secret, setup),
		cmocka_unit_test_setup(test_shared_credentials_file_profile, setup),
		cmocka_unit_test_setup(test_config_file_profile_keys, setup),
		cmocka_unit_test_setup(test_credentials_file_wins_over_config_file, setup),
		cmocka_unit_test_setup(test_malformed_credentials_file_error_names_line_not_content, setup),
		cmocka_unit_test_setup(test_unsupported_profile_kinds_say_so, setup),
		cmocka_unit_test_setup(test_web_identity_from_environment, setup),
		cmocka_unit_test_setup(test_web_identity_from_profile, setup),
		cmocka_unit_test_setup(test_web_identity_refused_by_sts_is_an_error_without_the_token, setup),
		cmocka_unit_test_setup(test_web_identity_without_role_arn, setup),
		cmocka_unit_test_setup(test_web_identity_goes_through_the_exchange_the_chain_is_handed, setup),
		cmocka_unit_test_setup(test_web_identity_without_an_exchange_is_an_error, setup),
		cmocka_unit_test_setup(test_ecs_full_uri_with_authorization_token, setup),
		cmocka_unit_test_setup(test_ecs_token_file_wins_over_token_variable, setup),
		cmocka_unit_test_setup(test_ecs_refusal_is_an_error_without_the_token, setup),
		cmocka_unit_test_setup(test_ecs_full_uri_must_be_local_or_https, setup),
		cmocka_unit_test_setup(test_imds_v2_token_then_role_then_credentials, setup),
		cmocka_unit_test_setup(test_imds_v1_when_token_request_is_not_allowed, setup),
		cmocka_unit_test_setup(test_imds_disabled_makes_no_request, setup),
		cmocka_unit_test_setup(test_imds_bad_json_error_does_not_quote_it, setup),
		cmocka_unit_test_setup(test_profile_flag_outranks_environment_keys, setup),
		cmocka_unit_test_setup(test_aws_profile_does_not_outrank_environment_keys, setup),
		cmocka_unit_test_setup(test_profile_flag_skips_the_environments_web_identity_too, setup),
		cmocka_unit_test_setup(test_profile_flag_uses_the_profiles_web_identity, setup),
		cmocka_unit_test_setup(test_unknown_profile_never_falls_through, setup),
		cmocka_unit_test_setup(test_chain_order_env_files_web_ecs_imds, setup),
		cmocka_unit_test_setup(test_nothing_found_lists_every_source_in_one_line, setup),
		cmocka_unit_test_setup(test_imds_unreachable_is_reported_quickly, setup),
		cmocka_unit_test_setup(test_temporary_credentials_refresh_five_minutes_early, setup),
		cmocka_unit_test_setup(test_failed_refresh_keeps_valid_credentials_until_expiry, setup),
		cmocka_unit_test_setup(test_long_term_keys_are_read_once, setup),
		cmocka_unit_test_setup(test_get_is_thread_safe_while_refreshing, setup),
		cmocka_unit_test_setup(test_static_provider, setup),
		cmocka_unit_test_setup(test_credentials_json, setup),
	};
	const union MHD_DaemonInfo *info;
	struct sockaddr_in addr;
	char cmd[300];
	int rc;

	snprintf(tmp, sizeof(tmp), "/tmp/sk-test-credentials-XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	pthread_mutex_init(&fake.lock, NULL);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = 0;
	fake.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler,
				  NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				  MHD_OPTION_END);
	if (!fake.d)
		return 1;
	info = MHD_get_daemon_info(fake.d, MHD_DAEMON_INFO_BIND_PORT);
	fake.port = info ? info->port : 0;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	MHD_stop_daemon(fake.d);
	pthread_mutex_destroy(&fake.lock);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
