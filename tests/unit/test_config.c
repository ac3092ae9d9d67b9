/*
 * test_config.c - how region, profile, endpoints and attempts are resolved,
 * and the shared-file (INI) reader's edge cases
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/config.h"
#include "aws/ini.h"
#include "common/buf.h"
#include "common/error.h"

static char tmp[256];

static void write_config(const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config", tmp);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	static const char *const vars[] = {
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_RDS", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_STS",
		"AWS_MAX_ATTEMPTS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_SHARED_CREDENTIALS_FILE",
	};
	char path[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("HOME", tmp, 1);
	snprintf(path, sizeof(path), "%s/config", tmp);
	setenv("AWS_CONFIG_FILE", path, 1);
	write_config("");
	return 0;
}

static struct sk_aws_config *load(const char *profile, const char *region, const char *endpoint)
{
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;

	o.profile = profile;
	o.region = region;
	o.endpoint_url = endpoint;
	assert_int_equal(sk_aws_config_load(&cfg, &o), 0);
	return cfg;
}

static void endpoint_is(const struct sk_aws_config *cfg, const char *service, const char *region, const char *want)
{
	struct sk_buf out = SK_BUF_INIT;

	assert_int_equal(sk_aws_config_endpoint(cfg, service, region, &out), 0);
	assert_string_equal(out.ptr, want);
	sk_buf_free(&out);
}

static void test_region_flag_then_env_then_profile(void **state)
{
	struct sk_aws_config *cfg;

	(void)state;
	write_config("[default]\nregion = ap-south-1\n[profile prod]\nregion = eu-west-1\n");
	cfg = load(NULL, NULL, NULL);
	assert_string_equal(cfg->region, "ap-south-1");
	sk_aws_config_free(cfg);
	cfg = load("prod", NULL, NULL);
	assert_string_equal(cfg->profile, "prod");
	assert_string_equal(cfg->region, "eu-west-1");
	sk_aws_config_free(cfg);
	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	cfg = load("prod", NULL, NULL);
	assert_string_equal(cfg->region, "us-west-1");
	sk_aws_config_free(cfg);
	setenv("AWS_REGION", "us-west-2", 1);
	cfg = load("prod", NULL, NULL);
	assert_string_equal(cfg->region, "us-west-2");
	sk_aws_config_free(cfg);
	cfg = load("prod", "ca-central-1", NULL);
	assert_string_equal(cfg->region, "ca-central-1");
	sk_aws_config_free(cfg);
}

static void test_no_region_anywhere_is_null(void **state)
{
	struct sk_aws_config *cfg;

	(void)state;
	cfg = load(NULL, NULL, NULL);
	assert_null(cfg->region);
	assert_string_equal(cfg->profile, "default");
	assert_null(cfg->endpoint_url);
	assert_int_equal(cfg->max_attempts, 5);
	sk_aws_config_free(cfg);
}

static void test_bad_region_is_refused(void **state)
{
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;

	(void)state;
	o.region = "us-east-1.evil.com/";
	assert_int_equal(sk_aws_config_load(&cfg, &o), SK_ERROR);
	assert_null(cfg);
	assert_non_null(strstr(sk_error_message(), "not an AWS region name"));
	assert_false(sk_aws_valid_region("US-EAST-1"));
	assert_false(sk_aws_valid_region("-x"));
	assert_true(sk_aws_valid_region("cn-north-1"));
}

static void test_profile_flag_then_env(void **state)
{
	struct sk_aws_config *cfg;

	(void)state;
	write_config("[profile a]\nregion = eu-north-1\n[profile b]\nregion = eu-south-1\n");
	setenv("AWS_PROFILE", "a", 1);
	cfg = load(NULL, NULL, NULL);
	assert_string_equal(cfg->profile, "a");
	assert_string_equal(cfg->region, "eu-north-1");
	sk_aws_config_free(cfg);
	cfg = load("b", NULL, NULL);
	assert_string_equal(cfg->region, "eu-south-1");
	sk_aws_config_free(cfg);
}

static void write_credentials(const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/credentials", tmp);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
}

static void refused(const char *profile, const char *want)
{
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;

	o.profile = profile;
	assert_int_equal(sk_aws_config_load(&cfg, &o), SK_ERROR);
	assert_null(cfg);
	assert_int_equal(sk_error_last()->klass, SK_ERR_CONFIG);
	assert_string_equal(sk_error_message(), want);
}

static void test_a_named_profile_in_neither_file_is_an_error(void **state)
{
	(void)state;
	write_config("[default]\nregion = us-east-1\n[profile prod]\nregion = eu-west-1\n");
	write_credentials("[default]\naws_access_key_id = A\naws_secret_access_key = s\n");
	refused("nosuch", "the config profile 'nosuch' (from --profile) could not be found in ~/credentials or ~/config");
	setenv("AWS_PROFILE", "nosuch", 1);
	refused(NULL, "the config profile 'nosuch' (from AWS_PROFILE) could not be found in ~/credentials or ~/config");
	unsetenv("AWS_PROFILE");
	setenv("AWS_DEFAULT_PROFILE", "old", 1);
	refused(NULL, "the config profile 'old' (from AWS_DEFAULT_PROFILE) could not be found in ~/credentials or "
		      "~/config");
	/* "[nosuch]" in the config file is not the profile: only "[profile nosuch]" is */
	unsetenv("AWS_DEFAULT_PROFILE");
	write_config("[nosuch]\nregion = us-east-1\n");
	refused("nosuch", "the config profile 'nosuch' (from --profile) could not be found in ~/credentials or ~/config");
}

static void test_a_named_profile_may_live_in_either_file(void **state)
{
	struct sk_aws_config *cfg;

	(void)state;
	write_config("[profile cfgonly]\nregion = eu-west-3\n");
	write_credentials("[credsonly]\naws_access_key_id = A\naws_secret_access_key = s\n");
	cfg = load("cfgonly", NULL, NULL);
	assert_int_equal(cfg->profile_source, SK_AWS_PROFILE_FLAG);
	assert_string_equal(sk_aws_config_profile_source(cfg), "--profile");
	assert_string_equal(cfg->region, "eu-west-3");
	sk_aws_config_free(cfg);
	setenv("AWS_PROFILE", "credsonly", 1);
	cfg = load(NULL, NULL, NULL);
	assert_string_equal(cfg->profile, "credsonly");
	assert_int_equal(cfg->profile_source, SK_AWS_PROFILE_ENV);
	assert_string_equal(sk_aws_config_profile_source(cfg), "AWS_PROFILE");
	assert_false(sk_aws_config_has_profile(cfg));
	assert_null(cfg->region);
	sk_aws_config_free(cfg);
	/* a section with nothing in it still names a profile, as configparser reads it */
	unsetenv("AWS_PROFILE");
	write_config("[profile empty]\n# nothing yet\n");
	cfg = load("empty", NULL, NULL);
	assert_true(sk_aws_config_has_profile(cfg));
	sk_aws_config_free(cfg);
}

static void test_default_must_exist_only_when_named(void **state)
{
	struct sk_aws_config *cfg;

	(void)state;
	write_credentials("");
	cfg = load(NULL, NULL, NULL);
	assert_string_equal(cfg->profile, "default");
	assert_int_equal(cfg->profile_source, SK_AWS_PROFILE_UNNAMED);
	assert_null(sk_aws_config_profile_source(cfg));
	sk_aws_config_free(cfg);
	refused("default", "the config profile 'default' (from --profile) could not be found in ~/credentials or "
			   "~/config");
	write_credentials("[default]\n");
	cfg = load("default", NULL, NULL);
	assert_int_equal(cfg->profile_source, SK_AWS_PROFILE_FLAG);
	sk_aws_config_free(cfg);
}

static void test_unreadable_credentials_file_is_named_when_a_profile_is_looked_up(void **state)
{
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;

	(void)state;
	write_credentials("[ci]\naws_access_key_id = A\nwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n");
	o.profile = "ci";
	assert_int_equal(sk_aws_config_load(&cfg, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "credentials:3:"));
	assert_null(strstr(sk_error_message(), "wJalrXUtnFEMI"));
	/* a profile the config file has needs no look at the credentials file */
	write_config("[profile ci]\nregion = us-east-1\n");
	cfg = load("ci", NULL, NULL);
	sk_aws_config_free(cfg);
}

static void test_config_sections_are_profile_prefixed_except_default(void **state)
{
	struct sk_aws_config *cfg;

	(void)state;
	write_config("[prod]\nregion = us-west-1\n[ profile   prod ]\nrole_arn = arn:aws:iam::1:role/r\n");
	cfg = load("prod", NULL, NULL);
	assert_true(sk_aws_config_has_profile(cfg));
	assert_null(cfg->region);
	assert_string_equal(sk_aws_config_profile_value(cfg, "role_arn"), "arn:aws:iam::1:role/r");
	assert_string_equal(sk_aws_config_profile_value(cfg, "ROLE_ARN"), "arn:aws:iam::1:role/r");
	assert_null(sk_aws_config_profile_value(cfg, "missing"));
	sk_aws_config_free(cfg);
	write_config("[profile default]\nregion = us-west-2\n");
	cfg = load(NULL, NULL, NULL);
	assert_string_equal(cfg->region, "us-west-2");
	sk_aws_config_free(cfg);
}

static void test_endpoint_order_flag_service_global_profile_public(void **state)
{
	struct sk_aws_config *cfg;

	(void)state;
	write_config("[default]\nendpoint_url = https://profile.example\n");
	cfg = load(NULL, NULL, NULL);
	endpoint_is(cfg, "rds", "us-east-1", "https://profile.example");
	sk_aws_config_free(cfg);

	setenv("AWS_ENDPOINT_URL", "http://global.example:4566/", 1);
	cfg = load(NULL, NULL, NULL);
	endpoint_is(cfg, "rds", "us-east-1", "http://global.example:4566");
	endpoint_is(cfg, "sts", "us-east-1", "http://global.example:4566");
	assert_string_equal(cfg->endpoint_url, "http://global.example:4566");
	sk_aws_config_free(cfg);

	setenv("AWS_ENDPOINT_URL_RDS", "http://rds.local:1", 1);
	setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "http://cw.local:2", 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://sts.local:3", 1);
	setenv("AWS_ENDPOINT_URL_SNS", "http://sns.local:4", 1);
	cfg = load(NULL, NULL, NULL);
	endpoint_is(cfg, "rds", "us-east-1", "http://rds.local:1");
	endpoint_is(cfg, "monitoring", "us-east-1", "http://cw.local:2");
	endpoint_is(cfg, "sts", "us-east-1", "http://sts.local:3");
	endpoint_is(cfg, "sns", "us-east-1", "http://sns.local:4");
	sk_aws_config_free(cfg);

	cfg = load(NULL, NULL, "http://flag.local:9/");
	endpoint_is(cfg, "rds", "us-east-1", "http://flag.local:9");
	endpoint_is(cfg, "monitoring", "eu-west-1", "http://flag.local:9");
	assert_string_equal(cfg->endpoint_url, "http://flag.local:9");
	sk_aws_config_free(cfg);
}

static void test_public_endpoints(void **state)
{
	struct sk_aws_config *cfg;
	struct sk_buf out = SK_BUF_INIT;

	(void)state;
	cfg = load(NULL, NULL, NULL);
	endpoint_is(cfg, "rds", "us-east-1", "https://rds.us-east-1.amazonaws.com");
	endpoint_is(cfg, "monitoring", "eu-west-1", "https://monitoring.eu-west-1.amazonaws.com");
	endpoint_is(cfg, "sts", "ap-southeast-2", "https://sts.ap-southeast-2.amazonaws.com");
	endpoint_is(cfg, "sns", "us-gov-west-1", "https://sns.us-gov-west-1.amazonaws.com");
	endpoint_is(cfg, "rds", "cn-north-1", "https://rds.cn-north-1.amazonaws.com.cn");
	assert_int_equal(sk_aws_config_endpoint(cfg, "rds", "evil.com/x", &out), SK_ERROR);
	assert_int_equal(sk_aws_config_endpoint(cfg, "rds", NULL, &out), SK_ERROR);
	sk_buf_free(&out);
	sk_aws_config_free(cfg);
}

static void test_ignore_configured_endpoints(void **state)
{
	struct sk_aws_config *cfg;

	(void)state;
	write_config("[default]\nendpoint_url = https://profile.example\n");
	setenv("AWS_ENDPOINT_URL", "http://global.example", 1);
	setenv("AWS_ENDPOINT_URL_RDS", "http://rds.local", 1);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	cfg = load(NULL, NULL, NULL);
	endpoint_is(cfg, "rds", "us-east-1", "https://rds.us-east-1.amazonaws.com");
	sk_aws_config_free(cfg);
	/* the flag is not "configured": it still applies */
	cfg = load(NULL, NULL, "http://flag.local");
	endpoint_is(cfg, "rds", "us-east-1", "http://flag.local");
	sk_aws_config_free(cfg);
}

static void test_bad_endpoint_is_refused(void **state)
{
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;

	(void)state;
	setenv("AWS_ENDPOINT_URL_STS", "ftp://x", 1);
	assert_int_equal(sk_aws_config_load(&cfg, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "AWS_ENDPOINT_URL_STS"));
	unsetenv("AWS_ENDPOINT_URL_STS");
	o.endpoint_url = "http://a b";
	assert_int_equal(sk_aws_config_load(&cfg, &o), SK_ERROR);
	assert_null(cfg);
}

static void test_max_attempts_env_then_profile_then_five(void **state)
{
	struct sk_aws_config *cfg;
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;

	(void)state;
	write_config("[default]\nmax_attempts = 8\n");
	cfg = load(NULL, NULL, NULL);
	assert_int_equal(cfg->max_attempts, 8);
	sk_aws_config_free(cfg);
	setenv("AWS_MAX_ATTEMPTS", "3", 1);
	cfg = load(NULL, NULL, NULL);
	assert_int_equal(cfg->max_attempts, 3);
	sk_aws_config_free(cfg);
	setenv("AWS_MAX_ATTEMPTS", "three", 1);
	cfg = NULL;
	assert_int_equal(sk_aws_config_load(&cfg, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "AWS_MAX_ATTEMPTS"));
	setenv("AWS_MAX_ATTEMPTS", "0", 1);
	assert_int_equal(sk_aws_config_load(&cfg, &o), SK_ERROR);
}

static void test_file_paths_from_env_and_home(void **state)
{
	struct sk_aws_config *cfg;
	char want[600];
	char shown[600];

	(void)state;
	unsetenv("AWS_CONFIG_FILE");
	cfg = load(NULL, NULL, NULL);
	snprintf(want, sizeof(want), "%s/.aws/credentials", tmp);
	assert_string_equal(cfg->credentials_file, want);
	snprintf(want, sizeof(want), "%s/.aws/config", tmp);
	assert_string_equal(cfg->config_file, want);
	sk_aws_config_display_path(shown, sizeof(shown), cfg->config_file);
	assert_string_equal(shown, "~/.aws/config");
	sk_aws_config_free(cfg);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds", 1);
	setenv("AWS_CONFIG_FILE", "/etc/aws-config", 1);
	cfg = load(NULL, NULL, NULL);
	snprintf(want, sizeof(want), "%s/elsewhere/creds", tmp);
	assert_string_equal(cfg->credentials_file, want);
	assert_string_equal(cfg->config_file, "/etc/aws-config");
	sk_aws_config_free(cfg);
}

static void test_malformed_config_names_file_and_line(void **state)
{
	struct sk_aws_config_opts o = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;

	(void)state;
	write_config("[default]\nregion = us-east-1\nthis line is not valid\n");
	assert_int_equal(sk_aws_config_load(&cfg, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "config:3:"));
	assert_null(strstr(sk_error_message(), "this line"));
	write_config("[default\nregion = us-east-1\n");
	assert_int_equal(sk_aws_config_load(&cfg, &o), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "config:1: malformed section header"));
}

/* ---- the INI reader ------------------------------------------------------ */

static void test_ini_comments_whitespace_crlf_and_no_final_newline(void **state)
{
	const char *text = "# comment\r\n; another\r\n\r\n  [default]  # trailing comment\r\n"
			   "\taws_access_key_id\t=\tAKID1 ; inline\r\n"
			   "region=us-east-1#not-a-comment\r\n"
			   "empty =\r\n"
			   "[profile   x]\r\nkey = value";
	struct sk_ini ini;

	(void)state;
	assert_int_equal(sk_ini_parse(&ini, text, strlen(text), "t"), 0);
	assert_string_equal(sk_ini_get(&ini, "default", "aws_access_key_id"), "AKID1");
	assert_string_equal(sk_ini_get(&ini, "default", "region"), "us-east-1#not-a-comment");
	assert_string_equal(sk_ini_get(&ini, "default", "empty"), "");
	assert_string_equal(sk_ini_get(&ini, "profile x", "key"), "value");
	assert_true(sk_ini_has_section(&ini, "profile x"));
	assert_false(sk_ini_has_section(&ini, "x"));
	sk_ini_free(&ini);
}

static void test_ini_nested_subsections_are_skipped(void **state)
{
	const char *text = "[default]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\n"
			   "region = eu-west-1\napi_versions =\n    ec2 = 2015-03-01\n\n    cloudfront = 2015-09-17\n"
			   "output = json\n";
	struct sk_ini ini;

	(void)state;
	assert_int_equal(sk_ini_parse(&ini, text, strlen(text), "t"), 0);
	assert_string_equal(sk_ini_get(&ini, "default", "s3"), "");
	assert_null(sk_ini_get(&ini, "default", "max_concurrent_requests"));
	assert_null(sk_ini_get(&ini, "default", "cloudfront"));
	assert_string_equal(sk_ini_get(&ini, "default", "region"), "eu-west-1");
	assert_string_equal(sk_ini_get(&ini, "default", "output"), "json");
	sk_ini_free(&ini);
}

static void test_ini_continuation_lines_and_later_keys_win(void **state)
{
	const char *text = "[a]\nk = first\n  second\nK = replaced\n[b]\n  k = other\n[a]\nz = 1\n";
	struct sk_ini ini;

	(void)state;
	assert_int_equal(sk_ini_parse(&ini, text, strlen(text), "t"), 0);
	assert_string_equal(sk_ini_get(&ini, "a", "k"), "replaced");
	assert_string_equal(sk_ini_get(&ini, "b", "k"), "other");
	assert_string_equal(sk_ini_get(&ini, "a", "z"), "1");
	sk_ini_free(&ini);
	text = "[a]\nk = first\n  second\n";
	assert_int_equal(sk_ini_parse(&ini, text, strlen(text), "t"), 0);
	assert_string_equal(sk_ini_get(&ini, "a", "k"), "first\nsecond");
	sk_ini_free(&ini);
}

static void test_ini_keys_before_a_section_and_nul_bytes(void **state)
{
	const char text[] = "stray = 1\n[default]\nk = a\0b\n";
	struct sk_ini ini;

	(void)state;
	assert_int_equal(sk_ini_parse(&ini, text, sizeof(text) - 1, "t"), 0);
	assert_string_equal(sk_ini_get(&ini, "default", "k"), "ab");
	assert_null(sk_ini_get(&ini, "default", "stray"));
	sk_ini_free(&ini);
	assert_int_equal(sk_ini_parse(&ini, "", 0, "t"), 0);
	assert_int_equal(ini.n, 0);
	sk_ini_free(&ini);
}

static void test_ini_errors_name_the_line_only(void **state)
{
	struct sk_ini ini;
	const char *bad[] = { "[default]\nAKIAEXAMPLESECRET\n", "[default]\n= value\n", "[]\n", "[a] junk\n",
			      "[default]\nk = v\n[x\n" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sk_ini_parse(&ini, bad[i], strlen(bad[i]), "creds"), SK_ERROR);
		assert_int_equal(sk_error_last()->klass, SK_ERR_CONFIG);
		assert_non_null(strstr(sk_error_message(), "creds:"));
		assert_null(strstr(sk_error_message(), "AKIAEXAMPLE"));
		assert_null(ini.items);
	}
}

static void test_ini_huge_input_is_refused_and_garbage_does_not_crash(void **state)
{
	struct sk_ini ini;
	size_t n = SK_INI_MAX_SIZE + 1, i;
	char *big = malloc(n);
	unsigned x = 12345;

	(void)state;
	assert_non_null(big);
	memset(big, '#', n);
	assert_int_equal(sk_ini_parse(&ini, big, n, "big"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "larger than"));
	/* random bytes: either parsed or refused, never a crash (ASan watches) */
	for (i = 0; i < 65536; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = "[]= \t\n\r#;ab\0"[(x >> 16) % 13];
	}
	if (sk_ini_parse(&ini, big, 65536, "garbage") == 0)
		sk_ini_free(&ini);
	free(big);
}

static void test_ini_load_missing_file_is_not_found(void **state)
{
	struct sk_ini ini;

	(void)state;
	sk_error_clear();
	assert_int_equal(sk_ini_load(&ini, "/nonexistent/dir/file", "x"), SK_ENOTFOUND);
	assert_int_equal(sk_error_last()->klass, SK_ERR_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_region_flag_then_env_then_profile, setup),
		cmocka_unit_test_setup(test_no_region_anywhere_is_null, setup),
		cmocka_unit_test_setup(test_bad_region_is_refused, setup),
		cmocka_unit_test_setup(test_profile_flag_then_env, setup),
		cmocka_unit_test_setup(test_a_named_profile_in_neither_file_is_an_error, setup),
		cmocka_unit_test_setup(test_a_named_profile_may_live_in_either_file, setup),
		cmocka_unit_test_setup(test_default_must_exist_only_when_named, setup),
		cmocka_unit_test_setup(test_unreadable_credentials_file_is_named_when_a_profile_is_looked_up, setup),
		cmocka_unit_test_setup(test_config_sections_are_profile_prefixed_except_default, setup),
		cmocka_unit_test_setup(test_endpoint_order_flag_service_global_profile_public, setup),
		cmocka_unit_test_setup(test_public_endpoints, setup),
		cmocka_unit_test_setup(test_ignore_configured_endpoints, setup),
		cmocka_unit_test_setup(test_bad_endpoint_is_refused, setup),
		cmocka_unit_test_setup(test_max_attempts_env_then_profile_then_five, setup),
		cmocka_unit_test_setup(test_file_paths_from_env_and_home, setup),
		cmocka_unit_test_setup(test_malformed_config_names_file_and_line, setup),
		cmocka_unit_test(test_ini_comments_whitespace_crlf_and_no_final_newline),
		cmocka_unit_test(test_ini_nested_subsections_are_skipped),
		cmocka_unit_test(test_ini_continuation_lines_and_later_keys_win),
		cmocka_unit_test(test_ini_keys_before_a_section_and_nul_bytes),
		cmocka_unit_test(test_ini_errors_name_the_line_only),
		cmocka_unit_test(test_ini_huge_input_is_refused_and_garbage_does_not_crash),
		cmocka_unit_test(test_ini_load_missing_file_is_not_found),
	};
	char cmd[300];
	int rc;

	snprintf(tmp, sizeof(tmp), "/tmp/sk-test-config-XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0 && !rc)
		rc = 1;
	return rc;
}
