/*
 * test_credentials_roles.c - STS AssumeRole (aws/sts.c) and the
 * assume-role provider (aws/credentials.c) against the real emulator:
 * the role's identity and account, trust and ExternalId refusals that
 * quote no secret, role chaining, and refresh before expiry
 *
 * The emulator's seed defines the roles (tests/emulator/README.md):
 * 111111111111's "snapkeep" trusts the test's account and wants an
 * external id; 222222222222's "hop" trusts only that role.  The profile
 * tests read roles from shared files, as the AWS CLI does (two hops, a
 * profile naming itself, loops, mfa_serial, credential_source); the SSO
 * test writes the token into the AWS CLI's cache under a scratch HOME.
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
#include "aws/sso.h"
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

/* the call log's last sequence number, a mark for logged() */
static json_int_t mark(void)
{
	json_t *calls = emu_admin(&emu, "GET", "calls", NULL);
	json_int_t n = json_integer_value(json_object_get(calls, "last"));

	json_decref(calls);
	return n;
}

/* how many calls the emulator logged since the mark whose field (a text) is value */
static int logged_where(const char *field, const char *value, json_int_t since)
{
	char path[64];
	json_t *calls, *c;
	size_t i;
	int n = 0;

	snprintf(path, sizeof(path), "calls?since=%lld", (long long)since);
	calls = emu_admin(&emu, "GET", path, NULL);
	assert_non_null(calls);
	json_array_foreach(json_object_get(calls, "calls"), i, c) {
		const char *v = json_string_value(json_object_get(c, field));
		if (v && !strcmp(v, value))
			n++;
	}
	json_decref(calls);
	return n;
}

/* how many calls of action the emulator logged since the mark */
static int logged(const char *action, json_int_t since)
{
	return logged_where("action", action, since);
}

/* how many calls since the mark failed with code */
static int failed_with(const char *code, json_int_t since)
{
	return logged_where("error", code, since);
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

	json_int_t since = mark();

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
	assert_int_equal(failed_with("ExpiredToken", since), 0);
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

/* ---- roles from the shared files ------------------------------------------ */

/* a session on profile, with these files (in the emulator's scratch folder) */
static void open_profile(struct sk_session *s, const char *profile, const char *config, const char *credentials)
{
	struct sk_session_opts so = SK_SESSION_OPTS_INIT;
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config", emu.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(config, f);
	fclose(f);
	setenv("AWS_CONFIG_FILE", path, 1);
	snprintf(path, sizeof(path), "%s/credentials", emu.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(credentials, f);
	fclose(f);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	sk_session_close(s);
	so.profile = profile;
	assert_int_equal(emu_session_open(s, &so), 0);
}

static int restore_env(void **state)
{
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	setenv("AWS_ACCESS_KEY_ID", EMU_ACCESS_KEY, 1);
	setenv("AWS_SECRET_ACCESS_KEY", EMU_SECRET_KEY, 1);
	return teardown(state);
}

#define BASE_KEYS "[base]\naws_access_key_id = " EMU_ACCESS_KEY "\naws_secret_access_key = " EMU_SECRET_KEY "\n"
#define PROFILES                                                                                               \
	"[profile first]\nrole_arn = " ROLE "\nsource_profile = base\nexternal_id = " EXTERNAL_ID              \
	"\nrole_session_name = one\n"                                                                          \
	"[profile second]\nrole_arn = " HOP "\nsource_profile = first\nrole_session_name = two\n"              \
	"[profile a]\nrole_arn = " ROLE "\nsource_profile = b\n[profile b]\nrole_arn = " HOP "\nsource_profile = a\n" \
	"[profile env]\nrole_arn = " ROLE "\ncredential_source = Environment\nexternal_id = " EXTERNAL_ID "\n"  \
	"[profile task]\nrole_arn = " ROLE "\ncredential_source = EcsContainer\nexternal_id = " EXTERNAL_ID       \
	"\nrole_session_name = task\n"                                                                         \
	"[profile mfa]\nrole_arn = " ROLE "\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/u\n"

static void test_profile_two_hops_sign_as_the_last_role(void **state)
{
	struct sk_session *s = *state;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	struct sk_caller_identity id;
	struct sk_buf d = SK_BUF_INIT;
	json_int_t since = mark();

	unsetenv("AWS_ACCESS_KEY_ID"); /* --profile outranks them anyway */
	open_profile(s, "second", PROFILES, BASE_KEYS);
	assert_int_equal(sk_sts_get_caller_identity(s->client, "us-east-1", &id, NULL), 0);
	assert_string_equal(id.arn, "arn:aws:sts::222222222222:assumed-role/hop/two");
	assert_int_equal(sk_credentials_provider_get(s->credentials, &c), 0);
	assert_string_equal(c.source, "assume-role");
	assert_int_equal(sk_credentials_provider_describe(s->credentials, &d), 0);
	assert_string_equal(d.ptr, "assume-role " HOP " <- source_profile first <- assume-role " ROLE
				   " <- source_profile base (shared-credentials-file)");
	assert_int_equal(logged("AssumeRole", since), 2);
	sk_buf_free(&d);
	sk_credentials_clear(&c);
}

static void test_profile_naming_itself_uses_its_own_keys(void **state)
{
	struct sk_session *s = *state;
	struct sk_caller_identity id;

	open_profile(s, "self", "[profile self]\nrole_arn = " ROLE "\nsource_profile = self\nexternal_id = " EXTERNAL_ID
				"\nrole_session_name = me\n",
		     "[self]\naws_access_key_id = " EMU_ACCESS_KEY "\naws_secret_access_key = " EMU_SECRET_KEY "\n");
	assert_int_equal(sk_sts_get_caller_identity(s->client, "us-east-1", &id, NULL), 0);
	assert_string_equal(id.arn, "arn:aws:sts::111111111111:assumed-role/snapkeep/me");
}

static void test_profile_loops_and_mfa_are_refused_before_any_call(void **state)
{
	struct sk_session *s = *state;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	json_int_t since = mark();

	open_profile(s, "a", PROFILES, BASE_KEYS);
	assert_int_equal(sk_credentials_provider_get(s->credentials, &c), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "profile 'b': source_profile loops (a -> b -> a)"));
	open_profile(s, "mfa", PROFILES, BASE_KEYS);
	assert_int_equal(sk_credentials_provider_get(s->credentials, &c), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "profile 'mfa': role '" ROLE "' needs an MFA code (mfa_serial); not "
						   "supported unattended"));
	assert_int_equal(logged("AssumeRole", since), 0);
}

static void test_profile_credential_source_environment(void **state)
{
	struct sk_session *s = *state;
	struct sk_caller_identity id;
	struct sk_buf d = SK_BUF_INIT;

	open_profile(s, "env", PROFILES, "");
	assert_int_equal(sk_sts_get_caller_identity(s->client, "us-east-1", &id, NULL), 0);
	assert_string_equal(id.account, "111111111111");
	assert_int_equal(sk_credentials_provider_describe(s->credentials, &d), 0);
	assert_string_equal(d.ptr, "assume-role " ROLE " <- credential_source Environment (environment)");
	sk_buf_free(&d);
	/* without the variables: one error naming the source */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	open_profile(s, "env", PROFILES, "");
	assert_int_equal(sk_sts_get_caller_identity(s->client, "us-east-1", &id, NULL), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "credential_source Environment gave no credentials: AWS_ACCESS_KEY_ID "
						   "not set"));
}

static void test_profile_credential_source_ecs_container(void **state)
{
	struct sk_session *s = *state;
	struct sk_caller_identity id;
	struct sk_buf d = SK_BUF_INIT;
	char url[128];

	snprintf(url, sizeof(url), "%s/ecs/credentials", emu.url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	open_profile(s, "task", PROFILES, "");
	assert_int_equal(sk_sts_get_caller_identity(s->client, "us-east-1", &id, NULL), 0);
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	assert_string_equal(id.arn, "arn:aws:sts::111111111111:assumed-role/snapkeep/task");
	assert_int_equal(sk_credentials_provider_describe(s->credentials, &d), 0);
	assert_string_equal(d.ptr, "assume-role " ROLE " <- credential_source EcsContainer (ecs)");
	sk_buf_free(&d);
}

static void test_profile_chain_is_assumed_again_before_expiry(void **state)
{
	struct sk_session *s = *state;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	char first[64];
	int64_t exp;
	json_int_t since = mark();

	emu_post(&emu, "config", json_pack("{s:i}", "credentialsTTL", 360));
	open_profile(s, "second", PROFILES, BASE_KEYS);
	fake_now = sk_time_now();
	sk_credentials_provider_set_clock(s->credentials, test_clock, NULL);
	assert_int_equal(sk_credentials_provider_get(s->credentials, &c), 0);
	snprintf(first, sizeof(first), "%s", c.access_key_id);
	exp = c.expiration;
	fake_now = exp - 301;
	assert_int_equal(sk_credentials_provider_get(s->credentials, &c), 0);
	assert_string_equal(c.access_key_id, first);
	assert_int_equal(logged("AssumeRole", since), 2);
	fake_now = exp - 299; /* both hops assumed again, while the old session still works */
	assert_int_equal(sk_credentials_provider_get(s->credentials, &c), 0);
	assert_string_not_equal(c.access_key_id, first);
	assert_int_equal(logged("AssumeRole", since), 4);
	assert_int_equal(failed_with("ExpiredToken", since), 0);
	sk_credentials_clear(&c);
}

/* ---- IAM Identity Center, the portal played by the emulator ------------------- */

static void write_sso_token(const char *session, const char *token, int64_t expires)
{
	struct sk_sso_profile sp = { .profile = "x", .session = session };
	struct sk_buf path = SK_BUF_INIT;
	char dir[512], when[SK_TIME_RFC3339_MAX];
	FILE *f;

	snprintf(dir, sizeof(dir), "mkdir -p '%s/.aws/sso/cache'", emu.dir);
	assert_int_equal(system(dir), 0);
	assert_int_equal(sk_sso_cache_path(&path, emu.dir, &sp), 0);
	sk_time_format_rfc3339(when, expires);
	f = fopen(path.ptr, "w");
	assert_non_null(f);
	fprintf(f, "{\"startUrl\": \"https://corp.awsapps.com/start\", \"region\": \"us-east-1\", \"accessToken\": \"%s\", "
		   "\"expiresAt\": \"%s\"}", token, when);
	fclose(f);
	sk_buf_free(&path);
}

#define SSO_PROFILES                                                                                           \
	"[profile dev]\nsso_session = corp\nsso_account_id = 333333333333\nsso_role_name = Admin\n"               \
	"[profile other]\nsso_session = corp\nsso_account_id = 333333333333\nsso_role_name = ReadOnly\n"          \
	"[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"

static void test_sso_role_credentials_from_the_portal(void **state)
{
	struct sk_session *s = *state;
	struct sk_caller_identity id;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	struct sk_buf d = SK_BUF_INIT;
	json_t *tok, *ask = json_pack("{s:s, s:i}", "user", "alice", "expiresIn", 3600);
	char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	emu_post(&emu, "seed", json_pack("{s:{s:[{s:s, s:s, s:[s]}]}}", "sso", "permissionSets", "accountId",
					 "333333333333", "roleName", "Admin", "users", "alice"));
	tok = emu_admin(&emu, "POST", "sso/token", ask);
	json_decref(ask);
	assert_non_null(tok);
	setenv("HOME", emu.dir, 1);
	write_sso_token("corp", json_string_value(json_object_get(tok, "accessToken")), sk_time_now() + 3600);
	open_profile(s, "dev", SSO_PROFILES, "");
	assert_int_equal(sk_sts_get_caller_identity(s->client, "us-east-1", &id, NULL), 0);
	assert_string_equal(id.account, "333333333333");
	assert_non_null(strstr(id.arn, ":assumed-role/AWSReservedSSO_Admin_"));
	assert_int_equal(sk_credentials_provider_describe(s->credentials, &d), 0);
	assert_string_equal(d.ptr, "sso account 333333333333 role Admin (sso_session corp)");

	/* a role the user is not given: the portal's ForbiddenException, named */
	open_profile(s, "other", SSO_PROFILES, "");
	assert_int_equal(sk_credentials_provider_get(s->credentials, &c), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "IAM Identity Center gives no access to role 'ReadOnly' in account "
						   "333333333333 (ForbiddenException: No access)"));
	assert_null(strstr(sk_error_message(), json_string_value(json_object_get(tok, "accessToken"))));

	/* the token expired at the portal (emulator clock) though the cache says otherwise */
	emu_post(&emu, "clock", json_pack("{s:i}", "advance", 7200));
	open_profile(s, "dev", SSO_PROFILES, "");
	assert_int_equal(sk_credentials_provider_get(s->credentials, &c), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "refused the cached token (UnauthorizedException: Session token not "
						   "found or invalid); run `aws sso login --profile dev`"));
	if (home)
		setenv("HOME", home, 1);
	free(home);
	json_decref(tok);
	sk_buf_free(&d);
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
		cmocka_unit_test_setup_teardown(test_profile_two_hops_sign_as_the_last_role, setup, restore_env),
		cmocka_unit_test_setup_teardown(test_profile_naming_itself_uses_its_own_keys, setup, restore_env),
		cmocka_unit_test_setup_teardown(test_profile_loops_and_mfa_are_refused_before_any_call, setup,
						restore_env),
		cmocka_unit_test_setup_teardown(test_profile_credential_source_environment, setup, restore_env),
		cmocka_unit_test_setup_teardown(test_profile_credential_source_ecs_container, setup, restore_env),
		cmocka_unit_test_setup_teardown(test_profile_chain_is_assumed_again_before_expiry, setup, restore_env),
		cmocka_unit_test_setup_teardown(test_sso_role_credentials_from_the_portal, setup, restore_env),
	};

	return cmocka_run_group_tests(tests, group_setup, emu_group_teardown);
}
