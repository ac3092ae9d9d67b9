/*
 * test_signature.c - verifying a policy commit's signature: SSH signatures
 * made by ssh-keygen and commits made by git in a scratch folder, what is
 * refused before any key is looked at, and how a signer is named
 *
 * (OpenPGP signatures are made with gpg in e2e/t0900, which also covers
 * expired and revoked keys; here only the keyring's own errors.)
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

#include "tests/unit/sh_fixture.h"

#include "common/buf.h"
#include "common/error.h"
#include "specs/signature.h"
#include "specs/source.h"

static char top[256];

static char *slurp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *slurp(const char *fmt, ...)
{
	struct sk_buf path = SK_BUF_INIT, text = SK_BUF_INIT;
	char chunk[4096];
	va_list ap;
	size_t n;
	FILE *f;

	va_start(ap, fmt);
	sk_buf_vprintf(&path, fmt, ap);
	va_end(ap);
	f = fopen(path.ptr, "r");
	assert_non_null(f);
	sk_buf_adds(&text, "");
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sk_buf_add(&text, chunk, n);
	fclose(f);
	sk_buf_free(&path);
	return sk_buf_detach(&text);
}

static void assert_refused(const char *want)
{
	const struct sk_error *e = sk_error_last();

	assert_int_equal(e->klass, SK_ERR_SIGNATURE);
	if (!strstr(e->message, want))
		fail_msg("'%s' does not say '%s'", e->message, want);
}

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/sk-test-signature-XXXXXX");
	if (!mkdtemp(top))
		return -1;
	/* alice is allowed; carol signs but is not listed */
	sh_ok("cd %s && ssh-keygen -q -t ed25519 -N '' -C alice -f alice && ssh-keygen -q -t ed25519 -N '' -C carol -f carol"
	   " && printf 'alice@example.com %%s\\n' \"$(cut -d' ' -f1,2 alice.pub)\" > allowed_signers"
	   " && printf 'orders: 30 days\\n' > data && printf 'orders: 1 day\\n' > tampered"
	   " && cp data data2 && ssh-keygen -Y sign -n git -f alice data && ssh-keygen -Y sign -n git -f carol data2"
	   " && cp data data3 && ssh-keygen -Y sign -n file -f alice data3",
	   top);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sh_ok("rm -rf '%s'", top);
	return 0;
}

static void test_signer_is_described_with_its_kind_of_key(void **state)
{
	struct sk_signer s = { .format = "ssh", .name = "alice@example.com", .key = "SHA256:abc" };
	char out[512];

	(void)state;
	sk_signer_describe(out, sizeof(out), &s);
	assert_string_equal(out, "alice@example.com (ssh key SHA256:abc)");
	memset(&s, 0, sizeof(s));
	sk_signer_describe(out, sizeof(out), &s);
	assert_string_equal(out, "nobody");
}

static void test_signatures_without_their_keys_are_refused_before_any_check(void **state)
{
	struct sk_signing_opts o = SK_SIGNING_OPTS_INIT;
	struct sk_signer s;
	static const char pgp[] = "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n";
	static const char ssh[] = "-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----\n";
	static const char x509[] = "-----BEGIN SIGNED MESSAGE-----\nabc\n-----END SIGNED MESSAGE-----\n";

	(void)state;
	o.required = true;
	assert_int_equal(sk_signature_verify_buffer(&s, x509, strlen(x509), "x", 1, &o, "commit 3f2a9c1d4e5b"), SK_ERROR);
	assert_refused("commit 3f2a9c1d4e5b carries a signature that is neither OpenPGP nor SSH");
	assert_int_equal(sk_signature_verify_buffer(&s, pgp, strlen(pgp), "x", 1, &o, "commit 3f2a9c1d4e5b"), SK_ERROR);
	assert_refused("has an OpenPGP signature, but no --gpg-keyring");
	assert_int_equal(sk_signature_verify_buffer(&s, ssh, strlen(ssh), "x", 1, &o, "commit 3f2a9c1d4e5b"), SK_ERROR);
	assert_refused("has an SSH signature, but no --allowed-signers");
	assert_string_equal(s.format, "");
}

static void test_gpg_keyring_that_is_missing_or_holds_no_key_is_refused(void **state)
{
	struct sk_signing_opts o = SK_SIGNING_OPTS_INIT;
	struct sk_signer s;
	static const char pgp[] = "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n";
	char missing[300], empty[300];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-such.asc", top);
	snprintf(empty, sizeof(empty), "%s/empty-keys", top);
	sh_ok("mkdir -p %s && printf 'not a key\\n' > %s/notes.txt", empty, empty);
	o.required = true;
	o.gpg_keyring = missing;
	assert_int_equal(sk_signature_verify_buffer(&s, pgp, strlen(pgp), "x", 1, &o, "commit 3f2a9c1d4e5b"), SK_ERROR);
	assert_refused("cannot read --gpg-keyring");
	assert_refused("no-such.asc");
	o.gpg_keyring = empty;
	assert_int_equal(sk_signature_verify_buffer(&s, pgp, strlen(pgp), "x", 1, &o, "commit 3f2a9c1d4e5b"), SK_ERROR);
	assert_refused("--gpg-keyring '");
	assert_refused("empty-keys");
}

/* verifies the signature file sig over the data file data with the test's allowed_signers */
static int ssh_verify(struct sk_signer *s, const char *sig, const char *data)
{
	struct sk_signing_opts o = SK_SIGNING_OPTS_INIT;
	char allowed[300], *sigt = slurp("%s/%s", top, sig), *datat = slurp("%s/%s", top, data);
	int rc;

	snprintf(allowed, sizeof(allowed), "%s/allowed_signers", top);
	o.required = true;
	o.allowed_signers = allowed;
	rc = sk_signature_verify_buffer(s, sigt, strlen(sigt), datat, strlen(datat), &o, "commit 3f2a9c1d4e5b (main)");
	free(sigt);
	free(datat);
	return rc;
}

static void test_ssh_signatures_verify_as_git_verifies_them(void **state)
{
	struct sk_signer s;
	char *fp;

	(void)state;
	assert_int_equal(ssh_verify(&s, "data.sig", "data"), 0);
	assert_string_equal(s.format, "ssh");
	assert_string_equal(s.name, "alice@example.com");
	sh_ok("cd %s && ssh-keygen -l -f alice.pub | cut -d' ' -f2 | tee alice.fp", top);
	fp = slurp("%s/alice.fp", top);
	fp[strcspn(fp, "\n")] = '\0';
	assert_string_equal(s.key, fp);
	free(fp);

	/* the same signature over other data */
	assert_int_equal(ssh_verify(&s, "data.sig", "tampered"), SK_ERROR);
	assert_refused("commit 3f2a9c1d4e5b (main): bad signature");
	assert_string_equal(s.format, "");
	/* a key allowed_signers does not list */
	assert_int_equal(ssh_verify(&s, "data2.sig", "data2"), SK_ERROR);
	assert_refused("not in allowed_signers: signed by SSH key SHA256:");
	/* alice's key, but a signature for files, not for git: the namespace is git's */
	assert_int_equal(ssh_verify(&s, "data3.sig", "data3"), SK_ERROR);
	assert_refused("bad signature");
}

static void test_source_refuses_an_unsigned_commit_and_names_the_signer_of_a_signed_one(void **state)
{
	struct sk_source_opts o = SK_SOURCE_OPTS_INIT;
	struct sk_source *src = NULL;
	char repo[300], allowed[300];

	(void)state;
	snprintf(repo, sizeof(repo), "%s/repo", top);
	snprintf(allowed, sizeof(allowed), "%s/allowed_signers", top);
	sh_ok("export HOME=%s GIT_CONFIG_NOSYSTEM=1; git init -q -b main %s && cd %s && git config user.name T &&"
	   " git config user.email t@example.com && echo 'a: 1' > p.yaml && git add p.yaml && git commit -q -m unsigned &&"
	   " git tag unsigned && echo 'a: 2' > p.yaml && git add p.yaml &&"
	   " git -c gpg.format=ssh -c user.signingkey=%s/alice commit -q -S -m signed",
	   top, repo, repo, top);
	o.repo = repo;
	o.signing.required = true;
	o.signing.allowed_signers = allowed;
	o.ref = "unsigned";
	assert_int_equal(sk_source_read(&src, &o), SK_ERROR);
	assert_null(src);
	assert_refused("(unsigned) is not signed; a signed commit is required");
	o.ref = NULL;
	assert_int_equal(sk_source_read(&src, &o), 0);
	assert_string_equal(src->signer.format, "ssh");
	assert_string_equal(src->signer.name, "alice@example.com");
	assert_string_equal(src->subject, "signed");
	sk_source_free(src);
	/* not required: the same commit reads with no signer */
	o.signing.required = false;
	assert_int_equal(sk_source_read(&src, &o), 0);
	assert_string_equal(src->signer.format, "");
	sk_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signer_is_described_with_its_kind_of_key),
		cmocka_unit_test(test_signatures_without_their_keys_are_refused_before_any_check),
		cmocka_unit_test(test_gpg_keyring_that_is_missing_or_holds_no_key_is_refused),
		cmocka_unit_test(test_ssh_signatures_verify_as_git_verifies_them),
		cmocka_unit_test(test_source_refuses_an_unsigned_commit_and_names_the_signer_of_a_signed_one),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
