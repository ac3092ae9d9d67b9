/*
 * test_planfile.c - saved plans: round trips, what is refused (garbage,
 * truncation, newer formats), file modes and owners as ssh checks its
 * keys, and the origin a saved plan records
 */
#define _GNU_SOURCE /* nftw flags */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "state/planfile.h"

#include "state_fixture.h"

/* ---- saved plans ---- */

static json_t *sample_plan(void)
{
	json_t *p = json_loads("{\"format\": \"snapkeep-plan/v1\", \"commit\": \"3f2a9c1d4e5b60718293a4b5c6d7e8f901234567\","
			       " \"fingerprint\": \"9d1c...\", \"actions\": [{\"action\": \"create\", \"region\": "
			       "\"us-east-1\", \"target\": \"snapkeep-db1-20260101t0300\", \"tags\": {\"snapkeep:policy\":"
			       " \"prod\"}}], \"notes\": []}",
			       0, NULL);
	assert_non_null(p);
	return p;
}

static void test_saved_plan_round_trips_with_mode_0600(void **state)
{
	struct fixture *f = *state;
	char path[400], *names, *text;
	json_t *plan = sample_plan(), *back = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "%s/prod.plan", f->dir);
	assert_int_equal(sk_planfile_write(path, plan, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	names = listing(f->dir);
	assert_string_equal(names, "prod.plan");
	free(names);
	text = read_file(path);
	assert_contains(text, "\"format\": \"snapkeep-saved-plan/v1\"");
	assert_contains(text, "\"createdAt\": \"");
	free(text);
	assert_int_equal(sk_planfile_read(&back, NULL, path), 0);
	assert_true(json_equal(plan, back));
	assert_string_equal(json_string_value(json_object_get(back, "fingerprint")), "9d1c...");
	json_decref(back);
	/* overwriting an existing saved plan replaces it whole */
	json_object_set_new(plan, "fingerprint", json_string("other"));
	assert_int_equal(sk_planfile_write(path, plan, NULL), 0);
	assert_int_equal(sk_planfile_read(&back, NULL, path), 0);
	assert_string_equal(json_string_value(json_object_get(back, "fingerprint")), "other");
	json_decref(back);
	json_decref(plan);
}

static void assert_plan_refused(struct fixture *f, const char *text, const char *want)
{
	char path[400];
	json_t *out = (json_t *)1;

	snprintf(path, sizeof(path), "%s/bad.plan", f->dir);
	write_file(path, text);
	assert_int_equal(sk_planfile_read(&out, NULL, path), SK_ERROR);
	assert_null(out);
	assert_int_equal(sk_error_last()->klass, SK_ERR_PLAN);
	assert_contains(sk_error_message(), path);
	assert_contains(sk_error_message(), want);
}

static void test_saved_plan_garbage_truncation_and_future_formats_are_refused(void **state)
{
	struct fixture *f = *state;
	char path[400], *full;
	json_t *plan = sample_plan(), *out = NULL;

	assert_plan_refused(f, "", "is empty (truncated?)");
	assert_plan_refused(f, "PK\003\004 binary", "invalid JSON at line 1 column");
	assert_plan_refused(f, "[]", "is not a saved plan (not a JSON object)");
	assert_plan_refused(f, "{\"plan\": {}}", "is not a saved plan (no \"format\"");
	assert_plan_refused(f, "{\"format\": \"snapkeep-plan/v1\", \"actions\": []}",
			    "is plan output (snapkeep-plan/v1), not a saved plan; save one with `snapkeep plan -out FILE`");
	assert_plan_refused(f, "{\"format\": \"snapkeep-saved-plan/v7\", \"plan\": {}}",
			    "was saved by a newer snapkeep (format snapkeep-saved-plan/v7; this one reads "
			    "snapkeep-saved-plan/v1)");
	assert_plan_refused(f, "{\"format\": \"snapkeep-saved-plan/vv\", \"plan\": {}}", "unknown format");
	assert_plan_refused(f, "{\"format\": \"snapkeep-saved-plan/v1\"}", "holds no plan (\"plan\" is missing)");
	assert_plan_refused(f, "{\"format\": \"snapkeep-saved-plan/v1\", \"plan\": 3}", "\"plan\" is not an object");

	snprintf(path, sizeof(path), "%s/good.plan", f->dir);
	assert_int_equal(sk_planfile_write(path, plan, NULL), 0);
	full = read_file(path);
	full[strlen(full) - 20] = '\0';
	assert_plan_refused(f, full, "(truncated?)");
	free(full);

	snprintf(path, sizeof(path), "%s/missing.plan", f->dir);
	assert_int_equal(sk_planfile_read(&out, NULL, path), SK_ERROR);
	assert_contains(sk_error_message(), "does not exist");
	assert_int_equal(sk_planfile_write(path, json_array_get(json_object_get(plan, "actions"), 5), NULL),
			 SK_ERROR);
	json_decref(plan);
}

/* ---- saved plans are read as ssh reads its keys ---- */

static void assert_mode_refused(const char *path, mode_t mode, const char *who, const char *mode_text)
{
	json_t *out = (json_t *)1;
	char fix[480];

	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(sk_planfile_read(&out, NULL, path), SK_ERROR);
	assert_null(out);
	assert_int_equal(sk_error_last()->klass, SK_ERR_PLAN);
	assert_contains(sk_error_message(), path);
	assert_contains(sk_error_message(), who);
	assert_contains(sk_error_message(), mode_text);
	snprintf(fix, sizeof(fix), "fix it with `chmod 600 %s`", path);
	assert_contains(sk_error_message(), fix);
	assert_null(strchr(sk_error_message(), '\n'));
}

static void test_saved_plan_others_can_change_is_refused_with_the_fix(void **state)
{
	struct fixture *f = *state;
	char path[400];
	json_t *plan = sample_plan(), *back = NULL;

	snprintf(path, sizeof(path), "%s/prod.plan", f->dir);
	assert_int_equal(sk_planfile_write(path, plan, NULL), 0);
	assert_mode_refused(path, 0666, "writable by group and others", "(mode 0666)");
	assert_mode_refused(path, 0620, "writable by its group", "(mode 0620)");
	assert_mode_refused(path, 0602, "writable by others", "(mode 0602)");
	/* readable by others is fine: a plan holds no secret; only who can change it matters */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(sk_planfile_read(&back, NULL, path), 0);
	json_decref(back);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(sk_planfile_read(&back, NULL, path), 0);
	assert_true(json_equal(plan, back));
	json_decref(back);
	json_decref(plan);
}

static void test_saved_plan_that_is_not_a_regular_file_is_refused_without_waiting(void **state)
{
	struct fixture *f = *state;
	char path[400];
	json_t *out = NULL;

	snprintf(path, sizeof(path), "%s/dir.plan", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(sk_planfile_read(&out, NULL, path), SK_ERROR);
	assert_contains(sk_error_message(), "is not a regular file (a directory)");
	assert_contains(sk_error_message(), path);
	/* a FIFO is refused at once, not waited on for a writer */
	snprintf(path, sizeof(path), "%s/fifo.plan", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(sk_planfile_read(&out, NULL, path), SK_ERROR);
	alarm(0);
	assert_contains(sk_error_message(), "is not a regular file (a pipe)");
	assert_int_equal(sk_planfile_read(&out, NULL, "/dev/null"), SK_ERROR);
	assert_contains(sk_error_message(), "is not a regular file (a device)");
}

static void test_saved_plan_owned_by_another_user_is_refused(void **state)
{
	struct fixture *f = *state;
	char path[400];
	json_t *plan = sample_plan(), *out = NULL;

	if (geteuid() != 0) {
		json_decref(plan);
		skip(); /* only root can give a file away; e2e t0631 checks the same as root */
	}
	snprintf(path, sizeof(path), "%s/theirs.plan", f->dir);
	assert_int_equal(sk_planfile_write(path, plan, NULL), 0);
	assert_int_equal(chown(path, 65534, (gid_t)-1), 0);
	assert_int_equal(sk_planfile_read(&out, NULL, path), SK_ERROR);
	assert_null(out);
	assert_contains(sk_error_message(), "is owned by uid 65534");
	assert_contains(sk_error_message(), "not by you (uid 0");
	assert_contains(sk_error_message(), "chown 0 ");
	/* root's own files are fine for anyone */
	assert_int_equal(chown(path, 0, (gid_t)-1), 0);
	assert_int_equal(sk_planfile_read(&out, NULL, path), 0);
	json_decref(out);
	json_decref(plan);
}

/* ---- saved plans record how they were made ---- */

static void test_saved_plan_origin_round_trips_and_older_files_have_none(void **state)
{
	struct fixture *f = *state;
	char path[400], *text;
	char *regions[] = { (char *)"us-east-1", (char *)"eu-west-1" };
	char *accounts[] = { (char *)"222222222222", (char *)"111111111111" };
	struct sk_planfile_origin o, back;
	json_t *plan = sample_plan(), *out = NULL;

	memset(&o, 0, sizeof(o));
	o.repository = (char *)"/srv/policies";
	o.path = (char *)"policies";
	o.ref = (char *)"main";
	o.commit = (char *)"3f2a9c1d4e5b60718293a4b5c6d7e8f901234567";
	o.regions = regions;
	o.n_regions = 2;
	o.allow_mass_delete = true;
	o.account = (char *)"123456789012";
	o.endpoint = (char *)"http://127.0.0.1:4566";
	snprintf(path, sizeof(path), "%s/made.plan", f->dir);
	assert_int_equal(sk_planfile_write(path, plan, &o), 0);
	text = read_file(path);
	assert_contains(text, "\"origin\": {");
	assert_contains(text, "\"profile\": null");
	/* written only for a verified commit */
	assert_null(strstr(text, "requireSignedCommits"));
	assert_null(strstr(text, "gpgKeyring"));
	/* written only over several accounts: a single account's origin is as it was */
	assert_null(strstr(text, "\"accounts\""));
	free(text);
	assert_int_equal(sk_planfile_read(&out, &back, path), 0);
	assert_true(json_equal(plan, out));
	json_decref(out);
	assert_true(back.present);
	assert_string_equal(back.repository, "/srv/policies");
	assert_string_equal(back.path, "policies");
	assert_string_equal(back.ref, "main");
	assert_string_equal(back.commit, o.commit);
	assert_int_equal(back.n_regions, 2);
	assert_string_equal(back.regions[0], "us-east-1");
	assert_string_equal(back.regions[1], "eu-west-1");
	assert_true(back.allow_mass_delete);
	assert_string_equal(back.account, "123456789012");
	assert_string_equal(back.endpoint, "http://127.0.0.1:4566");
	assert_null(back.profile);
	assert_false(back.require_signed);
	assert_null(back.gpg_keyring);
	assert_int_equal(back.n_accounts, 0);
	assert_null(back.accounts);
	sk_planfile_origin_free(&back);
	sk_planfile_origin_free(&back); /* twice is harmless */

	/* over several accounts: the accounts it covers, in order */
	o.account = NULL;
	o.accounts = accounts;
	o.n_accounts = 2;
	assert_int_equal(sk_planfile_write(path, plan, &o), 0);
	text = read_file(path);
	assert_contains(text, "\"accounts\": [\n      \"222222222222\",\n      \"111111111111\"\n    ]");
	free(text);
	assert_int_equal(sk_planfile_read(&out, &back, path), 0);
	json_decref(out);
	assert_null(back.account);
	assert_int_equal(back.n_accounts, 2);
	assert_string_equal(back.accounts[0], "222222222222");
	assert_string_equal(back.accounts[1], "111111111111");
	sk_planfile_origin_free(&back);
	assert_int_equal(back.n_accounts, 0);
	o.accounts = NULL;
	o.n_accounts = 0;

	/* a plan from a verified commit records the keys it was verified with */
	o.require_signed = true;
	o.allowed_signers = (char *)"/etc/snapkeep/allowed_signers";
	assert_int_equal(sk_planfile_write(path, plan, &o), 0);
	assert_int_equal(sk_planfile_read(&out, &back, path), 0);
	json_decref(out);
	assert_true(back.require_signed);
	assert_null(back.gpg_keyring);
	assert_string_equal(back.allowed_signers, "/etc/snapkeep/allowed_signers");
	sk_planfile_origin_free(&back);

	/* a file from before origins: none, and the plan reads as before */
	assert_int_equal(sk_planfile_write(path, plan, NULL), 0);
	assert_int_equal(sk_planfile_read(&out, &back, path), 0);
	assert_false(back.present);
	assert_null(back.repository);
	assert_int_equal(back.n_regions, 0);
	json_decref(out);
	sk_planfile_origin_free(&back);
	json_decref(plan);
}

static void assert_origin_refused(struct fixture *f, const char *origin, const char *want)
{
	char path[400], text[2048];
	struct sk_planfile_origin o;
	json_t *out = (json_t *)1;

	snprintf(text, sizeof(text),
		 "{\"format\": \"snapkeep-saved-plan/v1\", \"origin\": %s, \"plan\": {\"format\": \"snapkeep-plan/v1\"}}",
		 origin);
	snprintf(path, sizeof(path), "%s/origin.plan", f->dir);
	write_file(path, text);
	assert_int_equal(sk_planfile_read(&out, &o, path), SK_ERROR);
	assert_null(out);
	assert_false(o.present);
	assert_null(o.repository);
	assert_contains(sk_error_message(), path);
	assert_contains(sk_error_message(), want);
}

static void test_saved_plan_malformed_origin_is_refused_naming_the_field(void **state)
{
	struct fixture *f = *state;

	assert_origin_refused(f, "\"/srv\"", "\"origin\" is not an object");
	assert_origin_refused(f, "{\"repository\": 7}", "origin.repository must be a non-empty string or null");
	assert_origin_refused(f, "{\"repository\": \"/srv\", \"path\": \"\"}", "origin.path must be");
	assert_origin_refused(f, "{\"commit\": \"HEAD\"}", "origin.commit 'HEAD' is not a commit id");
	assert_origin_refused(f, "{\"regions\": \"us-east-1\"}", "origin.regions must be a list");
	assert_origin_refused(f, "{\"regions\": [\"us-east-1\", 3]}", "origin.regions[1] is not a region name");
	assert_origin_refused(f, "{\"accounts\": \"111111111111\"}", "origin.accounts must be a list of at most 64 accounts");
	assert_origin_refused(f, "{\"accounts\": [\"111111111111\", \"\"]}", "origin.accounts[1] is not an account id");
	assert_origin_refused(f, "{\"allowMassDelete\": \"yes\"}", "origin.allowMassDelete must be true or false");
	assert_origin_refused(f, "{\"account\": false}", "origin.account must be");
	assert_origin_refused(f, "{\"requireSignedCommits\": 1}", "origin.requireSignedCommits must be true or false");
	assert_origin_refused(f, "{\"requireSignedCommits\": true}", "origin.requireSignedCommits names no keys");
	assert_origin_refused(f, "{\"requireSignedCommits\": true, \"gpgKeyring\": \"\"}", "origin.gpgKeyring must be");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_saved_plan_round_trips_with_mode_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saved_plan_garbage_truncation_and_future_formats_are_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_saved_plan_others_can_change_is_refused_with_the_fix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saved_plan_that_is_not_a_regular_file_is_refused_without_waiting, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_saved_plan_owned_by_another_user_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saved_plan_origin_round_trips_and_older_files_have_none, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_saved_plan_malformed_origin_is_refused_naming_the_field, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
