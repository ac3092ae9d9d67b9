/*
 * test_credentials_roles.c - STS AssumeRole (aws/sts.c) and the
 * assume-role provider (aws/credentials.c) against the real emulator:
 * the role's identity and account, trust and ExternalId refusals that
 * quote no secret, role chaining, and refresh before expiry
 *
 * The emulator's seed defines the roles (tests/emulator/README.md):
 * 111111111111's "snapkeep" trusts the test's account and wants an
 * external id; 222222222222's "hop" trusts only that role.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/sts.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/engine/session.h"
#include "tests/unit/emulator_fixture.h"

#define ROLE "arn:aws:iam::111111111111:role/snapkeep"
#define HOP "arn:aws:iam::222222222222:role/hop"
#define EXTERNAL_ID "ext-7f3a9c"

static char clock_now[SK_TIME_RFC3339_MAX];

static json_t *roles_seed(void)
{
	return json_pack("{s:[{s:s, s:[s], s:s}, {s:s, s:[s]}]}", "roles", "arn", ROLE, "trust", EMU_ACCOUNT,
			 "externalId", EXTERNAL_ID, "arn", HOP, "trust", ROLE);
}

static int group_setup(void **state)
{
	(void)state;
	/* the emulator's clock frozen at the wall clock's now, so its expirations read right here */
	sk_time_format_rfc3339(clock_now, sk_time_now());
	return emu_group_start(clock_now);
}

static int setup(void **state)
{
	struct sk_session *s = calloc(1, sizeof(*s));
	struct sk_session_opts so = SK_SESSION_OPTS_INIT;

	*state = s;
	if (!s || emu_try_post(&emu, "reset", json_object()) < 0 || emu_try_post(&emu, "seed", roles_seed()) < 0)
		return -1;
	return emu_session_open(s, &so);
}

static int teardown(void **state)
{
	struct sk_session *s = *state;

	sk_session_close(s);
	free(s);
	return 0;
}

/* the identity creds sign as, through a client of their own */
static void identity_of(struct sk_session *s, const struct sk_credentials *creds, struct sk_caller_identity *id)
{
	struct sk_credentials_provider *p = NULL;
	struct sk_aws_client_opts co = SK_AWS_CLIENT_OPTS_INIT;
	struct sk_aws_client *c = NULL;

	assert_int_equal(sk_credentials_provider_static_new(&p, creds->access_key_id, creds->secret_access_key,
							   creds->session_token), 0);
	co.config = s->config;
	co.credentials = p;
	assert_int_equal(sk_aws_client_new(&c, &co), 0);
	assert_int_equal(sk_sts_get_caller_identity(c, "us-east-1", id, NULL), 0);
	sk_aws_client_free(c);
	sk_credentials_provider_free(p);
}

/* how many calls in the emulator's log failed with code */
static int failed_with(const char *code)
{
	json_t *calls = emu_admin(&emu, "GET", "calls", NULL), *c;
	size_t i;
	int n = 0;

	assert_non_null(calls);
	json_array_foreach(json_object_get(calls, "calls"), i, c) {
		const char *e = json_string_value(json_object_get(c, "error"));
		if (e && !strcmp(e, code))
			n++;
	}
	json_decref(calls);
	return n;
}

static void test_assume_role_signs_as_the_role_in_its_account(void **state)
{
	struct sk_session *s = *state;
	struct sk_assume_role_opts o = SK_ASSUME_ROLE_OPTS_INIT;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	struct sk_caller_identity id;
	int64_t t0 = sk_time_now();

	o.role_arn = ROLE;
	o.session_name = "nightly";
	o.external_id = EXTERNAL_ID;
	o.duration_seconds = 900;
	assert_int_equal(sk_sts_assume_role(s->client, "us-east-1", &o, &c, NULL), 0);
	assert_string_equal(c.source, "assume-role");
	assert_non_null(c.session_token);
	assert_true(c.expiration >= t0 + 840 && c.expiration <= t0 + 910);
	identity_of(s, &c, &id);
	assert_string_equal(id.arn, "arn:aws:sts::111111111111:assumed-role/snapkeep/nightly");
	assert_string_equal(id.account, "111111111111");
	sk_credentials_clear(&c);
}

static void test_wrong_external_id_is_access_denied_and_never_quoted(void **state)
{
	struct sk_session *s = *state;
	struct sk_assume_role_opts o = SK_ASSUME_ROLE_OPTS_INIT;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	struct sk_aws_error err;

	o.role_arn = ROLE;
	o.external_id = "wrong-external-id-42";
	assert_int_equal(sk_sts_assume_role(s->client, "us-east-1", &o, &c, &err), SK_ERROR);
	assert_string_equal(err.code, "AccessDenied");
	assert_int_equal(err.http_status, 403);
	assert_non_null(strstr(sk_error_message(), "not authorized to perform: sts:AssumeRole on resource: " ROLE));
	assert_null(strstr(sk_error_message(), "wrong-external-id-42"));
	assert_null(c.access_key_id);

	/* none at all, where the role wants one: the same */
	o.external_id = NULL;
	assert_int_equal(sk_sts_assume_role(s->client, "us-east-1", &o, &c, &err), SK_ERROR);
	assert_string_equal(err.code, "AccessDenied");
}

static void test_untrusted_caller_is_access_denied(void **state)
{
	struct sk_session *s = *state;
	struct sk_assume_role_opts o = SK_ASSUME_ROLE_OPTS_INIT;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	struct sk_aws_error err;

	/* hop trusts the snapkeep role, not the account's user */
	o.role_arn = HOP;
	assert_int_equal(sk_sts_assume_role(s->client, "us-east-1", &o, &c, &err), SK_ERROR);
	assert_string_equal(err.code, "AccessDenied");
	/* a role nobody defined */
	o.role_arn = "arn:aws:iam::111111111111:role/nobody";
	assert_int_equal(sk_sts_assume_role(s->client, "us-east-1", &o, &c, &err), SK_ERROR);
	assert_string_equal(err.code, "AccessDenied");
}

static void test_provider_chains_two_roles_and_describes_the_chain(void **state)
{
	struct sk_session *s = *state;
	struct sk_assume_role_opts o1 = SK_ASSUME_ROLE_OPTS_INIT, o2 = SK_ASSUME_ROLE_OPTS_INIT;
	struct sk_credentials_provider *first = NULL, *second = NULL;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	struct sk_caller_identity id;
	struct sk_buf d = SK_BUF_INIT;

	o1.role_arn = ROLE;
	o1.external_id = EXTERNAL_ID;
	o1.session_name = "first";
	o2.role_arn = HOP;
	o2.session_name = "second";
	assert_int_equal(sk_credentials_provider_assume_role_new(&first, s->credentials, &o1, "us-east-1",
								 sk_sts_assume_role_exchange, s->sts), 0);
	assert_int_equal(sk_credentials_provider_assume_role_new(&second, first, &o2, "us-east-1",
								 sk_sts_assume_role_exchange, s->sts), 0);
	assert_int_equal(sk_credentials_provider_describe(second, &d), 0);
	assert_int_equal(d.len, 0); /* nothing fetched yet */
	assert_int_equal(sk_credentials_provider_get(second, &c), 0);
	identity_of(s, &c, &id);
	assert_string_equal(id.arn, "arn:aws:sts::222222222222:assumed-role/hop/second");
	assert_int_equal(sk_credentials_provider_describe(second, &d), 0);
	assert_string_equal(d.ptr, "assume-role " HOP " <- assume-role " ROLE " <- environment");
	assert_null(strstr(d.ptr, EXTERNAL_ID));
	sk_buf_free(&d);
	sk_credentials_clear(&c);
	sk_credentials_provider_free(second);
	sk_credentials_provider_free(first);
}

static int64_t fake_now;

static int64_t test_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static void test_provider_refreshes_five_minutes_before_expiry(void **state)
{
	struct sk_session *s = *state;
	struct sk_assume_role_opts o = SK_ASSUME_ROLE_OPTS_INIT;
	struct sk_credentials_provider *p = NULL;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	char first[64];
	int64_t exp;

	/* sessions of 6 minutes: the refresh window opens a minute after each is issued */
	emu_post(&emu, "config", json_pack("{s:i}", "credentialsTTL", 360));
	o.role_arn = ROLE;
	o.external_id = EXTERNAL_ID;
	assert_int_equal(sk_credentials_provider_assume_role_new(&p, s->credentials, &o, NULL,
								 sk_sts_assume_role_exchange, s->sts), 0);
	fake_now = sk_time_now();
	sk_credentials_provider_set_clock(p, test_clock, NULL);
	assert_int_equal(sk_credentials_provider_get(p, &c), 0);
	snprintf(first, sizeof(first), "%s", c.access_key_id);
	exp = c.expiration;
	assert_true(exp - fake_now <= 361 && exp - fake_now >= 300);

	fake_now = exp - 301; /* still outside the window: cached */
	assert_int_equal(sk_credentials_provider_get(p, &c), 0);
	assert_string_equal(c.access_key_id, first);
	assert_int_equal(sk_credentials_provider_fetches(p), 1);

	fake_now = exp - 299; /* inside: assumed again while the old ones still work */
	assert_int_equal(sk_credentials_provider_get(p, &c), 0);
	assert_string_not_equal(c.access_key_id, first);
	assert_int_equal(sk_credentials_provider_fetches(p), 2);
	assert_int_equal(failed_with("ExpiredToken"), 0);
	sk_credentials_clear(&c);
	sk_credentials_provider_free(p);
}

static void test_expired_session_token_is_refused_by_the_emulator(void **state)
{
	struct sk_session *s = *state;
	struct sk_assume_role_opts o = SK_ASSUME_ROLE_OPTS_INIT;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	struct sk_credentials_provider *p = NULL;
	struct sk_aws_client_opts co = SK_AWS_CLIENT_OPTS_INIT;
	struct sk_aws_client *cl = NULL;
	struct sk_caller_identity id;
	struct sk_aws_error err;

	o.role_arn = ROLE;
	o.external_id = EXTERNAL_ID;
	assert_int_equal(sk_sts_assume_role(s->client, "us-east-1", &o, &c, NULL), 0);
	emu_post(&emu, "clock", json_pack("{s:i}", "advance", 3601));
	assert_int_equal(sk_credentials_provider_static_new(&p, c.access_key_id, c.secret_access_key, c.session_token),
			 0);
	co.config = s->config;
	co.credentials = p;
	assert_int_equal(sk_aws_client_new(&cl, &co), 0);
	assert_int_equal(sk_sts_get_caller_identity(cl, "us-east-1", &id, &err), SK_ERROR);
	assert_string_equal(err.code, "ExpiredToken");
	assert_null(strstr(sk_error_message(), c.secret_access_key));
	assert_null(strstr(sk_error_message(), c.session_token));
	sk_aws_client_free(cl);
	sk_credentials_provider_free(p);
	sk_credentials_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_assume_role_signs_as_the_role_in_its_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_external_id_is_access_denied_and_never_quoted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_caller_is_access_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provider_chains_two_roles_and_describes_the_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provider_refreshes_five_minutes_before_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_session_token_is_refused_by_the_emulator, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, emu_group_teardown);
}
