/*
 * test_sigv4.c - the pieces of SigV4 signing and the presigned URL shape
 *
 * The whole-request checks are the AWS test suite (tests/tools/sigv4-vectors.c);
 * these pin down each canonicalisation rule on its own, the headers and
 * query parameters the signer adds, its refusals, and the PreSignedUrl
 * that sk_rds_presigned_url builds for cross-region copies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/query.h"
#include "aws/rds.h"
#include "aws/sigv4.h"
#include "common/digest.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static void uri_is(const char *path, bool normalize, const char *want)
{
	struct sk_buf out = SK_BUF_INIT;

	assert_int_equal(sk_sigv4_canonical_uri(&out, path, normalize), 0);
	assert_string_equal(out.ptr, want);
	sk_buf_free(&out);
}

static void test_uri_normalisation_removes_dots_and_empty_segments(void **state)
{
	(void)state;
	uri_is("/", true, "/");
	uri_is("", true, "/");
	uri_is("/a/./b/../c//d/", true, "/a/c/d/");
	uri_is("/a/b/../..", true, "/");
	uri_is("/../..", true, "/");
	uri_is("//example//", true, "/example/");
	uri_is("/./example", true, "/example");
	uri_is("/a/..//b", true, "/b");
}

static void test_uri_without_normalisation_is_kept(void **state)
{
	(void)state;
	uri_is("//example//", false, "//example//");
	uri_is("/./a/../b", false, "/./a/../b");
}

static void test_uri_segments_are_encoded_and_encoded_input_again(void **state)
{
	(void)state;
	uri_is("/example space/", true, "/example%20space/");
	uri_is("/\xe1\x88\xb4", true, "/%E1%88%B4");
	uri_is("/-._~AZaz09", true, "/-._~AZaz09");
	/* the path as sent is already encoded: non-S3 services sign it encoded again */
	uri_is("/a%2Fb", true, "/a%252Fb");
	uri_is("/a+b=c", false, "/a%2Bb%3Dc");
}

static void query_is(const char *q, const char *want)
{
	struct sk_buf out = SK_BUF_INIT;

	assert_int_equal(sk_sigv4_canonical_query(&out, q), 0);
	assert_string_equal(sk_buf_cstr(&out), want);
	sk_buf_free(&out);
}

static void test_query_is_sorted_by_name_then_value(void **state)
{
	(void)state;
	query_is("", "");
	query_is(NULL, "");
	query_is("b=2&a=3&a=1", "a=1&a=3&b=2");
	/* by name first: "Param" sorts before "Param-3" although "-" < "=" */
	query_is("Param-3=Value3&Param=Value2", "Param=Value2&Param-3=Value3");
	/* byte order: upper case before lower case */
	query_is("a=1&B=2", "B=2&a=1");
}

static void test_query_is_decoded_then_encoded_once(void **state)
{
	(void)state;
	query_is("%E1%88%B4=Value1", "%E1%88%B4=Value1");
	query_is("\xe1\x88\xb4=bar", "%E1%88%B4=bar");
	query_is("x=%7e&y=a+b&z=a%20b", "x=~&y=a%2Bb&z=a%20b");
	query_is("k=a/b:c", "k=a%2Fb%3Ac");
	/* a parameter without '=' has an empty value; empty pieces are dropped */
	query_is("flag&&a=1&", "a=1&flag=");
}

static void header_value_is(const char *in, const char *want)
{
	struct sk_buf out = SK_BUF_INIT;

	assert_int_equal(sk_buf_add(&out, "", 0), 0);
	assert_int_equal(sk_sigv4_canonical_header_value(&out, in), 0);
	assert_string_equal(out.ptr, want);
	sk_buf_free(&out);
}

static void test_header_values_are_trimmed_and_folded(void **state)
{
	(void)state;
	header_value_is("  value1  ", "value1");
	header_value_is("\"a   b   c\"", "\"a b c\"");
	header_value_is("value1\n  value2\n     value3", "value1 value2 value3");
	header_value_is("a\t\tb", "a b");
	header_value_is("", "");
	header_value_is("   ", "");
}

static struct sk_credentials creds(const char *token)
{
	struct sk_credentials c = SK_CREDENTIALS_INIT;

	c.access_key_id = (char *)"AKIDEXAMPLE";
	c.secret_access_key = (char *)SECRET;
	c.session_token = (char *)token;
	c.source = "static";
	return c;
}

static struct sk_sigv4_params params(const struct sk_credentials *c)
{
	struct sk_sigv4_params p = SK_SIGV4_PARAMS_INIT;
	int64_t t;

	assert_int_equal(sk_time_parse_rfc3339(&t, "2015-08-30T12:36:00Z"), 0);
	p.region = "us-east-1";
	p.service = "service";
	p.time = t;
	p.creds = c;
	return p;
}

static void test_header_signing_matches_the_vanilla_case(void **state)
{
	struct sk_sigv4_header h[] = { { "Host", "example.amazonaws.com" } };
	struct sk_sigv4_request req = { "GET", "/", NULL, h, 1, "", 0 };
	struct sk_credentials c = creds(NULL);
	struct sk_sigv4_params p = params(&c);
	struct sk_sigv4_result r;

	(void)state;
	sk_sigv4_result_init(&r);
	assert_int_equal(sk_sigv4_sign_headers(&r, &req, &p), 0);
	assert_string_equal(r.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	assert_int_equal(r.n_add_headers, 2);
	assert_string_equal(r.add_headers[0], "X-Amz-Date: 20150830T123600Z");
	assert_string_equal(r.add_headers[1],
			    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
			    "SignedHeaders=host;x-amz-date, "
			    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	assert_null(strstr(r.canonical_request.ptr, SECRET));
	sk_sigv4_result_free(&r);
	/* wiped */
	assert_int_equal(r.signature[0], 0);
	assert_int_equal(r.n_add_headers, 0);
	sk_sigv4_result_free(&r); /* twice is harmless */
}

static void test_duplicate_headers_join_in_order_and_volatile_ones_are_not_signed(void **state)
{
	struct sk_sigv4_header h[] = {
		{ "Host", "example.amazonaws.com" }, { "My-Header1", "value4" }, { "User-Agent", "curl/8" },
		{ "my-header1", " value1 " },      { "Content-Type", "text/plain" },
	};
	struct sk_sigv4_request req = { "POST", "/", NULL, h, 5, "x", 1 };
	struct sk_credentials c = creds(NULL);
	struct sk_sigv4_params p = params(&c);
	struct sk_sigv4_result r;

	(void)state;
	sk_sigv4_result_init(&r);
	assert_int_equal(sk_sigv4_sign_headers(&r, &req, &p), 0);
	assert_non_null(strstr(r.canonical_request.ptr, "\ncontent-type:text/plain\nhost:example.amazonaws.com\n"
							"my-header1:value4,value1\nx-amz-date:20150830T123600Z\n\n"
							"content-type;host;my-header1;x-amz-date\n"));
	assert_null(strstr(r.canonical_request.ptr, "user-agent"));
	/* the payload hash of "x" ends the canonical request */
	assert_non_null(strstr(r.canonical_request.ptr,
			       "\n2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"));
	sk_sigv4_result_free(&r);
}

static void test_session_token_is_signed_or_added_after(void **state)
{
	struct sk_sigv4_header h[] = { { "Host", "example.amazonaws.com" } };
	struct sk_sigv4_request req = { "GET", "/", NULL, h, 1, "", 0 };
	struct sk_credentials c = creds("tok/en+1");
	struct sk_sigv4_params p = params(&c);
	struct sk_sigv4_result r;

	(void)state;
	sk_sigv4_result_init(&r);
	assert_int_equal(sk_sigv4_sign_headers(&r, &req, &p), 0);
	assert_string_equal(r.add_headers[0], "X-Amz-Security-Token: tok/en+1");
	assert_non_null(strstr(r.canonical_request.ptr, "x-amz-security-token:tok/en+1\n"));
	assert_non_null(strstr(r.add_headers[2], "SignedHeaders=host;x-amz-date;x-amz-security-token,"));

	p.omit_session_token = true;
	assert_int_equal(sk_sigv4_sign_headers(&r, &req, &p), 0);
	assert_string_equal(r.add_headers[0], "X-Amz-Security-Token: tok/en+1");
	assert_null(strstr(r.canonical_request.ptr, "x-amz-security-token"));
	assert_non_null(strstr(r.add_headers[2], "SignedHeaders=host;x-amz-date,"));

	/* query signing: X-Amz-Security-Token, encoded */
	p.omit_session_token = false;
	assert_int_equal(sk_sigv4_presign_query(&r, &req, &p), 0);
	assert_non_null(strstr(r.query.ptr, "&X-Amz-Security-Token=tok%2Fen%2B1&X-Amz-Signature="));
	assert_non_null(strstr(r.canonical_request.ptr, "X-Amz-Security-Token=tok%2Fen%2B1"));
	sk_sigv4_result_free(&r);
}

static void test_sign_body_adds_the_payload_hash_header(void **state)
{
	struct sk_sigv4_header h[] = { { "Host", "example.amazonaws.com" } };
	struct sk_sigv4_request req = { "POST", "/", NULL, h, 1, "Param1=value1", 13 };
	struct sk_credentials c = creds(NULL);
	struct sk_sigv4_params p = params(&c);
	struct sk_sigv4_result r;
	char hash[65];

	(void)state;
	assert_int_equal(sk_sha256_hex(hash, "Param1=value1", 13), 0);
	assert_string_equal(hash, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
	p.sign_body = true;
	sk_sigv4_result_init(&r);
	assert_int_equal(sk_sigv4_sign_headers(&r, &req, &p), 0);
	assert_int_equal(r.n_add_headers, 3);
	assert_string_equal(r.add_headers[1], "x-amz-content-sha256: 9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
	assert_non_null(strstr(r.add_headers[2], "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"));
	sk_sigv4_result_free(&r);
}

static void test_refusals_name_the_problem_not_the_secret(void **state)
{
	struct sk_sigv4_header no_host[] = { { "Accept", "*/*" } };
	struct sk_sigv4_header with_auth[] = { { "Host", "h" }, { "Authorization", "x" } };
	struct sk_sigv4_header host[] = { { "Host", "h" } };
	struct sk_sigv4_request req = { "GET", "/", NULL, no_host, 1, "", 0 };
	struct sk_credentials c = creds(NULL), none = SK_CREDENTIALS_INIT;
	struct sk_sigv4_params p = params(&c);
	struct sk_sigv4_result r;

	(void)state;
	sk_sigv4_result_init(&r);
	assert_int_equal(sk_sigv4_sign_headers(&r, &req, &p), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "Host"));
	req.headers = with_auth;
	req.n_headers = 2;
	assert_int_equal(sk_sigv4_sign_headers(&r, &req, &p), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "Authorization"));
	req.headers = host;
	req.n_headers = 1;
	req.query = "X-Amz-Signature=abc";
	assert_int_equal(sk_sigv4_presign_query(&r, &req, &p), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "X-Amz-Signature"));
	req.query = NULL;
	p.region = "us-east-1/evil";
	assert_int_equal(sk_sigv4_sign_headers(&r, &req, &p), SK_ERROR);
	p.region = "us-east-1";
	p.expires = 0;
	assert_int_equal(sk_sigv4_presign_query(&r, &req, &p), SK_ERROR);
	p.expires = 3600;
	p.creds = &none;
	assert_int_equal(sk_sigv4_sign_headers(&r, &req, &p), SK_ERROR);
	assert_int_equal(sk_error_last()->klass, SK_ERR_CREDENTIALS);
	assert_null(strstr(sk_error_message(), SECRET));
	sk_sigv4_result_free(&r);
}

/* ---- the PreSignedUrl for RDS cross-region calls ---------------------------- */

/* the value of name in an encoded query, or NULL */
static char *param(const char *query, const char *name)
{
	size_t n = strlen(name);
	const char *p = query;

	while (p && *p) {
		if (!strncmp(p, name, n) && p[n] == '=') {
			const char *v = p + n + 1;
			return strndup(v, strcspn(v, "&"));
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return NULL;
}

static void presign_and_check(const char *token)
{
	struct sk_aws_config_opts co = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_client_opts o = SK_AWS_CLIENT_OPTS_INIT;
	struct sk_aws_config *cfg;
	struct sk_credentials_provider *p;
	struct sk_aws_client *c;
	struct sk_query q = SK_QUERY_INIT;
	struct sk_buf url = SK_BUF_INIT, date = SK_BUF_INIT, want_cred = SK_BUF_INIT;
	const char *query;
	char *v;
	int64_t before = sk_time_now();

	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_RDS");
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	assert_int_equal(sk_aws_config_load(&cfg, &co), 0);
	assert_int_equal(sk_credentials_provider_static_new(&p, "AKIDPRESIGN", "presign-secret", token), 0);
	o.config = cfg;
	o.credentials = p;
	assert_int_equal(sk_aws_client_new(&c, &o), 0);
	assert_int_equal(sk_query_add(&q, "SourceDBSnapshotIdentifier",
				      "arn:aws:rds:us-east-1:123456789012:snapshot:snap-1"), 0);
	assert_int_equal(sk_query_add(&q, "TargetDBSnapshotIdentifier", "snap-1-copy"), 0);
	assert_int_equal(sk_query_add(&q, "PreSignedUrl", "must-not-be-signed"), 0);
	assert_int_equal(sk_rds_presigned_url(c, &url, "us-east-1", "us-west-2", "CopyDBSnapshot", &q), 0);

	assert_true(!strncmp(url.ptr, "https://rds.us-east-1.amazonaws.com/?", 37));
	query = url.ptr + 37;
	assert_non_null(strstr(query, "Action=CopyDBSnapshot&Version=2014-10-31&"));
	assert_non_null(strstr(query, "&DestinationRegion=us-west-2&"));
	assert_non_null(strstr(query, "SourceDBSnapshotIdentifier=arn%3Aaws%3Ards%3Aus-east-1%3A123456789012%3Asnapshot%3Asnap-1"));
	assert_null(strstr(query, "PreSignedUrl"));
	v = param(query, "X-Amz-Algorithm");
	assert_string_equal(v, "AWS4-HMAC-SHA256");
	free(v);
	v = param(query, "X-Amz-Date");
	assert_non_null(v);
	assert_int_equal(strlen(v), 16);
	sk_buf_add(&date, v, 8);
	free(v);
	sk_buf_printf(&want_cred, "AKIDPRESIGN%%2F%s%%2Fus-east-1%%2Frds%%2Faws4_request", date.ptr);
	v = param(query, "X-Amz-Credential");
	assert_string_equal(v, want_cred.ptr);
	free(v);
	v = param(query, "X-Amz-Expires");
	assert_string_equal(v, "3600");
	free(v);
	v = param(query, "X-Amz-SignedHeaders");
	assert_string_equal(v, "host");
	free(v);
	v = param(query, "X-Amz-Signature");
	assert_non_null(v);
	assert_int_equal(strlen(v), 64);
	assert_int_equal(strspn(v, "0123456789abcdef"), 64);
	free(v);
	v = param(query, "X-Amz-Security-Token");
	if (token) {
		assert_string_equal(v, "FQoGZXIvYXdzE%2Fsession%2Btoken");
		free(v);
	} else {
		assert_null(v);
	}
	/* the signature is ours: re-sign what the URL carries at its time and compare */
	{
		struct sk_sigv4_header h = { "Host", "rds.us-east-1.amazonaws.com" };
		struct sk_sigv4_request req;
		struct sk_sigv4_params sp = SK_SIGV4_PARAMS_INIT;
		struct sk_credentials cr = SK_CREDENTIALS_INIT;
		struct sk_sigv4_result r;
		char *amz = param(query, "X-Amz-Date"), *own, *sig = param(query, "X-Amz-Signature");
		char iso[32];
		int64_t t;

		own = strndup(query, (size_t)(strstr(query, "&X-Amz-Algorithm=") - query));
		snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", amz, amz + 4, amz + 6, amz + 9, amz + 11,
			 amz + 13);
		assert_int_equal(sk_time_parse_rfc3339(&t, iso), 0);
		assert_true(t >= before - 1 && t <= sk_time_now() + 1);
		cr.access_key_id = (char *)"AKIDPRESIGN";
		cr.secret_access_key = (char *)"presign-secret";
		cr.session_token = (char *)token;
		req.method = "GET";
		req.path = "/";
		req.query = own;
		req.headers = &h;
		req.n_headers = 1;
		req.payload = "";
		req.payload_len = 0;
		sp.region = "us-east-1";
		sp.service = "rds";
		sp.time = t;
		sp.creds = &cr;
		sk_sigv4_result_init(&r);
		assert_int_equal(sk_sigv4_presign_query(&r, &req, &sp), 0);
		assert_string_equal(r.signature, sig);
		assert_string_equal(r.query.ptr, query);
		sk_sigv4_result_free(&r);
		free(amz);
		free(own);
		free(sig);
	}
	assert_null(strstr(url.ptr, "presign-secret"));
	sk_buf_free(&url);
	sk_buf_free(&date);
	sk_buf_free(&want_cred);
	sk_query_free(&q);
	sk_aws_client_free(c);
	sk_credentials_provider_free(p);
	sk_aws_config_free(cfg);
}

static void test_rds_presigned_url_shape(void **state)
{
	(void)state;
	presign_and_check(NULL);
}

static void test_rds_presigned_url_carries_the_session_token(void **state)
{
	(void)state;
	presign_and_check("FQoGZXIvYXdzE/session+token");
}

static void test_presigned_url_follows_the_endpoint_override(void **state)
{
	struct sk_aws_config_opts co = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_client_opts o = SK_AWS_CLIENT_OPTS_INIT;
	struct sk_aws_config *cfg;
	struct sk_credentials_provider *p;
	struct sk_aws_client *c;
	struct sk_buf url = SK_BUF_INIT;

	(void)state;
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	setenv("AWS_ENDPOINT_URL_RDS", "http://127.0.0.1:4566/", 1);
	assert_int_equal(sk_aws_config_load(&cfg, &co), 0);
	unsetenv("AWS_ENDPOINT_URL_RDS");
	assert_int_equal(sk_credentials_provider_static_new(&p, "AKID", "s", NULL), 0);
	o.config = cfg;
	o.credentials = p;
	assert_int_equal(sk_aws_client_new(&c, &o), 0);
	assert_int_equal(sk_rds_presigned_url(c, &url, "eu-west-1", "eu-central-1", "CopyDBSnapshot", NULL), 0);
	assert_true(!strncmp(url.ptr, "http://127.0.0.1:4566/?Action=CopyDBSnapshot&", 45));
	assert_non_null(strstr(url.ptr, "%2Feu-west-1%2Frds%2Faws4_request"));
	sk_buf_free(&url);
	sk_aws_client_free(c);
	sk_credentials_provider_free(p);
	sk_aws_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_normalisation_removes_dots_and_empty_segments),
		cmocka_unit_test(test_uri_without_normalisation_is_kept),
		cmocka_unit_test(test_uri_segments_are_encoded_and_encoded_input_again),
		cmocka_unit_test(test_query_is_sorted_by_name_then_value),
		cmocka_unit_test(test_query_is_decoded_then_encoded_once),
		cmocka_unit_test(test_header_values_are_trimmed_and_folded),
		cmocka_unit_test(test_header_signing_matches_the_vanilla_case),
		cmocka_unit_test(test_duplicate_headers_join_in_order_and_volatile_ones_are_not_signed),
		cmocka_unit_test(test_session_token_is_signed_or_added_after),
		cmocka_unit_test(test_sign_body_adds_the_payload_hash_header),
		cmocka_unit_test(test_refusals_name_the_problem_not_the_secret),
		cmocka_unit_test(test_rds_presigned_url_shape),
		cmocka_unit_test(test_rds_presigned_url_carries_the_session_token),
		cmocka_unit_test(test_presigned_url_follows_the_endpoint_override),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
