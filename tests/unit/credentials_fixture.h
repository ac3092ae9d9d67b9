/*
 * credentials_fixture.h - the fake metadata services and STS, and a clean
 * AWS environment, for test_credentials.c and test_credentials_chain.c
 *
 * IMDS, the ECS agent and STS are played by a small libmicrohttpd server
 * inside the test (127.0.0.1, a free port), reached through the same
 * variables a deployment would set: AWS_EC2_METADATA_SERVICE_ENDPOINT,
 * AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_ENDPOINT_URL_STS.  The group
 * setup (creds_group_setup) starts it and makes a scratch HOME, the group
 * teardown stops it and removes the scratch; setup, run before each test,
 * clears the AWS variables and counts and empties the shared files.
 *
 * Header-only (static functions): each unit test is one .c file.  Include
 * it after <cmocka.h>: the helpers that must succeed fail the test.
 */
#ifndef SK_TEST_CREDENTIALS_FIXTURE_H
#define SK_TEST_CREDENTIALS_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>
#include <pthread.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/sts.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"

/* every helper is static; a test file uses some of them */
#define CREDS_FN static __attribute__((unused))

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

CREDS_FN struct fake fake;

struct upload {
	struct sk_buf body;
};

CREDS_FN enum MHD_Result reply(struct MHD_Connection *c, int status, const char *type, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}

CREDS_FN void creds_json(char *out, size_t len, const char *prefix)
{
	char exp[SK_TIME_RFC3339_MAX];

	sk_time_format_rfc3339(exp, fake.expiration);
	snprintf(out, len,
		 "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"%s%d\",\"SecretAccessKey\":\"%s-secret-%d\","
		 "\"Token\":\"%s-token-%d\",\"Expiration\":\"%s\",\"LastUpdated\":\"2026-01-01T00:00:00Z\"}",
		 prefix, fake.serial, prefix, fake.serial, prefix, fake.serial, exp);
}

CREDS_FN enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
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

CREDS_FN void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
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

CREDS_FN char tmp[256];

CREDS_FN void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

CREDS_FN char *path_of(const char *name)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	return path;
}

CREDS_FN const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
	"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_STS", "AWS_MAX_ATTEMPTS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	"AWS_METADATA_SERVICE_TIMEOUT", "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
};

/* a clean environment: no AWS variables, empty files, IMDS off, STS at the fake */
CREDS_FN int setup(void **state)
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
CREDS_FN int load_profile(struct loaded *l, const char *profile)
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
	cc.assume_role = sk_sts_assume_role_exchange;
	cc.assume_role_ud = l->sts;
	if (sk_credentials_provider_chain_new(&l->p, &cc) < 0)
		return -1;
	return sk_credentials_provider_get(l->p, &l->c);
}

CREDS_FN int load(struct loaded *l)
{
	return load_profile(l, NULL);
}

CREDS_FN void unload(struct loaded *l)
{
	sk_credentials_clear(&l->c);
	sk_credentials_provider_free(l->p);
	sk_aws_client_free(l->sts);
	sk_aws_config_free(l->cfg);
}

CREDS_FN void use_imds(void)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", fake.port);
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
	unsetenv("AWS_EC2_METADATA_DISABLED");
}

CREDS_FN void use_ecs(const char *token)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ecs/credentials", fake.port);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	if (token)
		setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", token, 1);
	fake.ecs_auth = token;
}

CREDS_FN void use_web_identity(void)
{
	write_file("web-token", "web-token-xyz\n");
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path_of("web-token"), 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/snapkeep", 1);
	setenv("AWS_ROLE_SESSION_NAME", "k8s-pod", 1);
}

/* the group setup: a scratch HOME, the fake on a free loopback port */
CREDS_FN int creds_group_setup(void **state)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in addr;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/sk-test-credentials-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	pthread_mutex_init(&fake.lock, NULL);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = 0;
	fake.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler,
				  NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				  MHD_OPTION_END);
	if (!fake.d)
		return -1;
	info = MHD_get_daemon_info(fake.d, MHD_DAEMON_INFO_BIND_PORT);
	fake.port = info ? info->port : 0;
	return 0;
}

/* the group teardown: the fake stopped, the scratch removed */
CREDS_FN int creds_group_teardown(void **state)
{
	char cmd[300];

	(void)state;
	MHD_stop_daemon(fake.d);
	pthread_mutex_destroy(&fake.lock);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) != 0 ? -1 : 0;
}

#endif
