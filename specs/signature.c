/*
 * signature.c - is the policy commit signed by a key the deployment allows?
 *
 * Takes the signature and the signed data from libgit2, tells OpenPGP from
 * SSH by the armor's first line (as git's gpg-interface.c does), makes the
 * private folder the check works in (GNUPGHOME, the files ssh-keygen
 * reads) and removes it after.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "specs/signature.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "common/error.h"
#include "common/str.h"
#include "specs/signature_gpg.h"
#include "specs/signature_ssh.h"
#include "specs/source_git.h"

#define PGP_ARMOR "-----BEGIN PGP SIGNATURE-----"
#define SSH_ARMOR "-----BEGIN SSH SIGNATURE-----"

void sk_signer_describe(char *out, size_t n, const struct sk_signer *s)
{
	if (!s || !s->format[0])
		snprintf(out, n, "nobody");
	else
		snprintf(out, n, "%s (%s key %s)", s->name[0] ? s->name : "?", s->format, s->key);
}

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* a folder only this process uses, under $TMPDIR (or /tmp), mode 0700 */
static int make_workdir(char *out, size_t n)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(out, n, "%s/snapkeep-verify-XXXXXX", tmp) >= n)
		return sk_error_set(SK_ERR_OS, "TMPDIR '%s' is too long", tmp);
	if (!mkdtemp(out))
		return sk_error_set_errno(SK_ERR_OS, "cannot make a folder to verify the commit's signature in '%s'", tmp);
	return 0;
}

int sk_signature_verify_buffer(struct sk_signer *out, const char *signature, size_t signature_len, const char *data,
			       size_t data_len, const struct sk_signing_opts *o, const char *what)
{
	char dir[4096];
	bool pgp = starts(signature, signature_len, PGP_ARMOR), ssh = starts(signature, signature_len, SSH_ARMOR);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!pgp && !ssh)
		return sk_error_set(SK_ERR_SIGNATURE, "%s carries a signature that is neither OpenPGP nor SSH (x509 "
						      "signatures are not supported)", what);
	if (pgp && !o->gpg_keyring)
		return sk_error_set(SK_ERR_SIGNATURE,
				    "%s has an OpenPGP signature, but no --gpg-keyring says which OpenPGP keys are allowed",
				    what);
	if (ssh && !o->allowed_signers)
		return sk_error_set(SK_ERR_SIGNATURE,
				    "%s has an SSH signature, but no --allowed-signers says which SSH keys are allowed", what);
	if (make_workdir(dir, sizeof(dir)) < 0)
		return SK_ERROR;
	if (pgp)
		rc = sk_signature_gpg_verify(out, signature, signature_len, data, data_len, o->gpg_keyring, dir, what);
	else
		rc = sk_signature_ssh_verify(out, signature, signature_len, data, data_len, o->allowed_signers, dir, what);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int sk_signature_verify_commit(struct sk_signer *out, struct git_repository *repo, const struct git_oid *commit,
			       const struct sk_signing_opts *o, const char *ref)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	char id[13], what[512];
	int err, rc;

	memset(out, 0, sizeof(*out));
	git_oid_tostr(id, sizeof(id), commit);
	/* a ref that is the commit's id says nothing more */
	if (!ref || !*ref || !strncmp(ref, id, strlen(ref) < 12 ? strlen(ref) : 12))
		snprintf(what, sizeof(what), "commit %s", id);
	else
		snprintf(what, sizeof(what), "commit %s (%s)", id, ref);
	if (sk_source_git_init() < 0)
		return SK_ERROR;
	err = git_commit_extract_signature(&sig, &data, repo, (git_oid *)commit, NULL);
	if (err == GIT_ENOTFOUND)
		return sk_error_set(SK_ERR_SIGNATURE, "%s is not signed; a signed commit is required", what);
	if (err < 0)
		return sk_error_set(SK_ERR_GIT, "cannot read the signature of %s: %s", what, sk_source_git_reason());
	rc = sk_signature_verify_buffer(out, sig.ptr, sig.size, data.ptr, data.size, o, what);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return rc;
}
