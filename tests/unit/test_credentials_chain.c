/*
 * test_credentials_chain.c - the credentials chain as a whole: which
 * profile (as the AWS CLI decides), the order of the sources, one line
 * when none answers, caching and refresh, and get() from many threads
 *
 * The services are faked in-process: see credentials_fixture.h.
 * test_credentials.c has each source on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "aws/config.h"
#include "aws/credentials.h"
#include "common/error.h"
#include "common/timeutil.h"

#include "credentials_fixture.h"

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

/* botocore's order: environment, the profile's role, web identity, SSO, the files, ECS, IMDS */
static void test_chain_order_env_web_files_ecs_imds(void **state)
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
	assert_string_equal(l.c.source, "web-identity");
	unload(&l);
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	assert_int_equal(load(&l), 0);
	assert_string_equal(l.c.source, "shared-credentials-file");
	unload(&l);
	write_file("credentials", "");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_profile_flag_outranks_environment_keys, setup),
		cmocka_unit_test_setup(test_aws_profile_does_not_outrank_environment_keys, setup),
		cmocka_unit_test_setup(test_profile_flag_skips_the_environments_web_identity_too, setup),
		cmocka_unit_test_setup(test_profile_flag_uses_the_profiles_web_identity, setup),
		cmocka_unit_test_setup(test_unknown_profile_never_falls_through, setup),
		cmocka_unit_test_setup(test_chain_order_env_web_files_ecs_imds, setup),
		cmocka_unit_test_setup(test_nothing_found_lists_every_source_in_one_line, setup),
		cmocka_unit_test_setup(test_imds_unreachable_is_reported_quickly, setup),
		cmocka_unit_test_setup(test_temporary_credentials_refresh_five_minutes_early, setup),
		cmocka_unit_test_setup(test_failed_refresh_keeps_valid_credentials_until_expiry, setup),
		cmocka_unit_test_setup(test_long_term_keys_are_read_once, setup),
		cmocka_unit_test_setup(test_get_is_thread_safe_while_refreshing, setup),
	};

	return cmocka_run_group_tests(tests, creds_group_setup, creds_group_teardown);
}
