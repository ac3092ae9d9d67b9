/*
 * test_credentials_process.c - credential_process (aws/process.c) and the
 * IAM Identity Center token cache (aws/sso.c): the command line split as
 * shlex does, a real program run without a shell, its JSON (Version 1,
 * Expiration and refresh), its failures, and the cached SSO token's file
 * name and expiry; no message quotes a secret
 *
 * The programs are printf, false and sleep from PATH; the chain tests use
 * credentials_fixture.h's scratch HOME and files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/process.h"
#include "aws/sso.h"
#include "common/error.h"
#include "common/str.h"
#include "common/timeutil.h"

#include "credentials_fixture.h"

/* ---- the command line ------------------------------------------------------ */

static void assert_split(const char *line, size_t n, const char *const *want)
{
	char **v = NULL;
	size_t got = 0, i;

	assert_int_equal(sk_process_split(&v, &got, line), 0);
	assert_int_equal(got, n);
	for (i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
	sk_strv_free(v, got);
}

static void test_split_follows_shlex(void **state)
{
	(void)state;
	assert_split("aws-vault exec prod --json", 4, (const char *const[]){ "aws-vault", "exec", "prod", "--json" });
	assert_split("  '/opt/my tools/helper' \"a b\"\tc ", 3, (const char *const[]){ "/opt/my tools/helper", "a b", "c" });
	/* inside double quotes only \" and \\ lose their backslash; outside, any escaped character is itself */
	assert_split("x \"q\\\"d\\\\e\\n\" y\\ z", 3, (const char *const[]){ "x", "q\"d\\e\\n", "y z" });
	/* an empty quoted word is a word; quotes join with what touches them; no comments, no $ */
	assert_split("p '' a'b'\"c\" #x $HOME", 5, (const char *const[]){ "p", "", "abc", "#x", "$HOME" });
}

static void test_split_refuses_unclosed_quotes(void **state)
{
	char **v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sk_process_split(&v, &n, "helper 'secret-arg"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "single quote that is never closed"));
	assert_null(strstr(sk_error_message(), "secret-arg"));
	assert_int_equal(sk_process_split(&v, &n, "helper \"x"), SK_ERROR);
	assert_int_equal(sk_process_split(&v, &n, "helper x\\"), SK_ERROR);
	assert_int_equal(sk_process_split(&v, &n, "   "), SK_ERROR);
	assert_null(v);
}

/* ---- the program's JSON ---------------------------------------------------- */

static void test_parse_version_1_with_expiration(void **state)
{
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	const char *j = "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"proc-secret\", "
			"\"SessionToken\": \"proc-token\", \"Expiration\": \"2026-12-03T10:00:00Z\"}";

	(void)state;
	assert_int_equal(sk_process_parse(&c, j, strlen(j), "p"), 0);
	assert_string_equal(c.access_key_id, "ASIAPROC");
	assert_string_equal(c.session_token, "proc-token");
	assert_string_equal(c.source, "credential-process");
	assert_int_equal(c.expiration, 1796292000);
	sk_credentials_clear(&c);
}

static void test_parse_errors_never_quote_the_output(void **state)
{
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	const char *v2 = "{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"leaky-secret-1\"}";
	const char *nokey = "{\"Version\": 1, \"SecretAccessKey\": \"leaky-secret-2\"}";
	const char *bad = "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"leaky-secret-3\",";
	const char *badtime = "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\", \"Expiration\": \"soon\"}";

	(void)state;
	assert_int_equal(sk_process_parse(&c, v2, strlen(v2), "p"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "only Version 1 is supported"));
	assert_null(strstr(sk_error_message(), "leaky"));
	assert_int_equal(sk_process_parse(&c, nokey, strlen(nokey), "p"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "printed no AccessKeyId"));
	assert_null(strstr(sk_error_message(), "leaky"));
	assert_int_equal(sk_process_parse(&c, bad, strlen(bad), "p"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "did not print a JSON object"));
	assert_null(strstr(sk_error_message(), "leaky"));
	assert_int_equal(sk_process_parse(&c, badtime, strlen(badtime), "p"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "Expiration that is not an RFC 3339 time"));
	assert_null(c.access_key_id);
}

/* ---- running it -------------------------------------------------------------- */

static void test_run_without_a_shell(void **state)
{
	struct sk_credentials c = SK_CREDENTIALS_INIT;

	(void)state;
	/* a shell would expand $HOME and split "AKID ONE" */
	assert_int_equal(sk_process_credentials(&c, "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", "
						    "\"SecretAccessKey\": \"%s\"}' \"AKID ONE\" 'sec$HOME'", "p", 0),
			 0);
	assert_string_equal(c.access_key_id, "AKID ONE");
	assert_string_equal(c.secret_access_key, "sec$HOME");
	assert_null(c.session_token);
	assert_int_equal(c.expiration, 0);
	sk_credentials_clear(&c);
}

static void test_run_failures_are_one_clear_error(void **state)
{
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	int64_t t0;

	(void)state;
	assert_int_equal(sk_process_credentials(&c, "false --password hunter2", "ci", 0), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "profile 'ci': credential_process 'false' exited with status 1"));
	assert_null(strstr(sk_error_message(), "hunter2"));
	assert_int_equal(sk_process_credentials(&c, "/nonexistent/helper-7d1", "ci", 0), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "cannot run credential_process '/nonexistent/helper-7d1'"));
	t0 = sk_time_mono_ms();
	assert_int_equal(sk_process_credentials(&c, "sleep 30", "ci", 300), SK_ERROR);
	assert_true(sk_time_mono_ms() - t0 < 5000);
	assert_non_null(strstr(sk_error_message(), "gave no answer within 0.3 s and was stopped"));
	assert_null(c.access_key_id);
}

static int64_t fake_now;

static int64_t test_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static void test_chain_runs_the_process_again_before_expiry(void **state)
{
	struct loaded l;
	char cfg[512], exp[SK_TIME_RFC3339_MAX];
	struct sk_buf d = SK_BUF_INIT;

	(void)state;
	fake_now = sk_time_now();
	sk_time_format_rfc3339(exp, fake_now + 3600);
	snprintf(cfg, sizeof(cfg),
		 "[profile proc]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"ASIAP\","
		 "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":\"%s\"}'\n",
		 exp);
	write_file("config", cfg);
	assert_int_equal(load_profile(&l, "proc"), 0);
	sk_credentials_provider_set_clock(l.p, test_clock, NULL);
	assert_string_equal(l.c.source, "credential-process");
	assert_int_equal(sk_credentials_provider_describe(l.p, &d), 0);
	assert_string_equal(d.ptr, "credential-process");
	fake_now += 3600 - 301;
	assert_int_equal(sk_credentials_provider_get(l.p, &l.c), 0);
	assert_int_equal(sk_credentials_provider_fetches(l.p), 1);
	fake_now += 2;
	assert_int_equal(sk_credentials_provider_get(l.p, &l.c), 0);
	assert_int_equal(sk_credentials_provider_fetches(l.p), 2);
	sk_buf_free(&d);
	unload(&l);
}

/* ---- IAM Identity Center's token cache ---------------------------------------- */

static void test_sso_cache_file_is_the_sha1_of_session_or_start_url(void **state)
{
	struct sk_sso_profile sp = { .profile = "dev", .session = "corp", .start_url = "https://corp.awsapps.com/start" };
	struct sk_buf b = SK_BUF_INIT;

	(void)state;
	assert_int_equal(sk_sso_cache_path(&b, "/home/u", &sp), 0);
	assert_string_equal(b.ptr, "/home/u/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json");
	sp.session = NULL; /* the legacy form: the start URL's */
	sp.start_url = "https://legacy.awsapps.com/start";
	assert_int_equal(sk_sso_cache_path(&b, "/home/u", &sp), 0);
	assert_string_equal(b.ptr, "/home/u/.aws/sso/cache/79e435d7a515078e81c9dffc35f38d5687ebd3a7.json");
	sk_buf_free(&b);
}

static void test_sso_token_expiry_says_run_aws_sso_login(void **state)
{
	struct sk_sso_profile sp = { .profile = "dev", .session = "corp" };
	struct sk_buf tok = SK_BUF_INIT;
	const char *fresh = "{\"accessToken\": \"tok-secret-1\", \"expiresAt\": \"2026-12-03T10:00:00Z\"}";
	const char *old = "{\"accessToken\": \"tok-secret-2\", \"expiresAt\": \"2018-12-28T22:45:52UTC\"}";
	const char *none = "{\"expiresAt\": \"2026-12-03T10:00:00Z\"}";

	(void)state;
	assert_int_equal(sk_sso_parse_token(&tok, fresh, strlen(fresh), &sp, 1796291000), 0);
	assert_string_equal(tok.ptr, "tok-secret-1");
	/* a second before it expires is fine; at its expiry it is not */
	assert_int_equal(sk_sso_parse_token(&tok, fresh, strlen(fresh), &sp, 1796292000), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "expired at 2026-12-03T10:00:00Z; run `aws sso login --profile dev`"));
	assert_null(strstr(sk_error_message(), "tok-secret"));
	/* older CLIs wrote "...UTC" */
	assert_int_equal(sk_sso_parse_token(&tok, old, strlen(old), &sp, 1796291000), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "expired at 2018-12-28T22:45:52Z"));
	assert_int_equal(sk_sso_parse_token(&tok, none, strlen(none), &sp, 0), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "lacks accessToken or expiresAt; run `aws sso login --profile dev`"));
	assert_int_equal(sk_sso_parse_token(&tok, "{", 1, &sp, 0), SK_ERROR);
	sk_buf_cleanse_free(&tok);
}

static void test_sso_without_a_cached_token_says_run_aws_sso_login(void **state)
{
	struct loaded l;

	(void)state;
	write_file("config", "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\n"
			     "sso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
			     "sso_region = us-east-1\n"
			     "[profile clash]\nsso_session = corp\nsso_region = eu-west-1\nsso_account_id = 1\n"
			     "sso_role_name = A\n");
	assert_int_equal(load_profile(&l, "dev"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "sso: profile 'dev': no IAM Identity Center token cached for "
						   "sso_session 'corp' (~/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e8233"
						   "20543c450f.json); run `aws sso login --profile dev`"));
	unload(&l);
	assert_int_equal(load_profile(&l, "clash"), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "profile 'clash' and its sso_session 'corp' name different"));
	unload(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_follows_shlex),
		cmocka_unit_test(test_split_refuses_unclosed_quotes),
		cmocka_unit_test(test_parse_version_1_with_expiration),
		cmocka_unit_test(test_parse_errors_never_quote_the_output),
		cmocka_unit_test_setup(test_run_without_a_shell, setup),
		cmocka_unit_test_setup(test_run_failures_are_one_clear_error, setup),
		cmocka_unit_test_setup(test_chain_runs_the_process_again_before_expiry, setup),
		cmocka_unit_test(test_sso_cache_file_is_the_sha1_of_session_or_start_url),
		cmocka_unit_test(test_sso_token_expiry_says_run_aws_sso_login),
		cmocka_unit_test_setup(test_sso_without_a_cached_token_says_run_aws_sso_login, setup),
	};

	return cmocka_run_group_tests(tests, creds_group_setup, creds_group_teardown);
}
