/*
 * test_credentials.c - each source of the credentials chain (environment,
 * shared files, web identity, ECS, IMDS, static keys) and the JSON the
 * metadata services answer with, and that secrets stay out of errors
 *
 * The services are faked in-process: see credentials_fixture.h.
 * test_credentials_chain.c has the chain as a whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/config.h"
#include "aws/credentials.h"
#include "common/error.h"
#include "common/timeutil.h"

#include "credentials_fixture.h"

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

static void test_role_profiles_are_checked_before_any_call(void **state)
{
	struct loaded l;

	(void)state;
	write_file("credentials", "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n");
	write_file("config", "[profile nosource]\nrole_arn = arn:aws:iam::1:role/r\n"
			     "[profile both]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n"
			     "credential_source = Environment\n"
			     "[profile badsource]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Laptop\n"
			     "[profile ghost]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = nobody\n"
			     "[profile dur]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n"
			     "duration_seconds = 10\n"
			     "[profile sso]\nsso_start_url = https://x.awsapps.com/start\n");
	setenv("AWS_PROFILE", "nosource", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "profile 'nosource' has role_arn but neither source_profile nor "
						   "credential_source"));
	unload(&l);
	setenv("AWS_PROFILE", "both", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "profile 'both' has both source_profile and credential_source"));
	unload(&l);
	setenv("AWS_PROFILE", "badsource", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "credential_source 'Laptop' is not Environment, Ec2InstanceMetadata "
						   "or EcsContainer"));
	unload(&l);
	setenv("AWS_PROFILE", "ghost", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "the source_profile 'nobody' of profile 'ghost' is in neither"));
	unload(&l);
	setenv("AWS_PROFILE", "dur", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "duration_seconds must be a whole number from 900 to 43200, got '10'"));
	unload(&l);
	/* an SSO profile that names no account or role */
	setenv("AWS_PROFILE", "sso", 1);
	assert_int_equal(load(&l), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "profile 'sso' uses IAM Identity Center but lacks sso_region"));
	unload(&l);
	/* nothing was sent anywhere */
	assert_int_equal(fake.sts_posts, 0);
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
		cmocka_unit_test_setup(test_role_profiles_are_checked_before_any_call, setup),
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
		cmocka_unit_test_setup(test_static_provider, setup),
		cmocka_unit_test_setup(test_credentials_json, setup),
	};

	return cmocka_run_group_tests(tests, creds_group_setup, creds_group_teardown);
}
