/*
 * signature.h - is the policy commit signed by a key the deployment allows?
 *
 * With --require-signed-commits the commit at the ref must carry a good
 * signature (its "gpgsig" header, as git_commit_extract_signature() gives
 * it with the data it signs) by an allowed key that is neither expired nor
 * revoked:
 *
 *   - OpenPGP signatures are verified with gpgme against the keys of
 *     --gpg-keyring: a file of public keys (armored or binary, one or
 *     several), a folder of such files, or a GnuPG home (pubring.kbx or
 *     pubring.gpg), read only.  Every key in it is allowed.  The keys are
 *     imported into a private GNUPGHOME made for the check and removed
 *     after it: the user's ~/.gnupg is never read nor written.
 *   - SSH signatures are verified as git verifies them (gpg.format ssh):
 *     `ssh-keygen -Y find-principals -f ALLOWED -s SIG`, then for each
 *     principal `ssh-keygen -Y verify -n git -f ALLOWED -I PRINCIPAL -s SIG`
 *     with the signed data on its input (signature_ssh.c: argv, no shell).
 *     A key's validity (valid-after/valid-before in allowed_signers) is
 *     checked as of now.
 *
 * Which one applies follows the signature's armor, as git tells them
 * apart.  A failure is SK_ERROR with class SK_ERR_SIGNATURE and one
 * message naming the commit and the reason: not signed, bad signature,
 * expired key, revoked key, unknown key (not in the keyring), not in
 * allowed_signers, or a kind of signature nothing was configured for.
 */
#ifndef SK_SIGNATURE_H
#define SK_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>

/* where the allowed keys are; plain data the caller fills */
struct sk_signing_opts {
	bool required;               /* --require-signed-commits */
	const char *gpg_keyring;     /* --gpg-keyring FILE|DIR; NULL: no OpenPGP key is allowed */
	const char *allowed_signers; /* --allowed-signers FILE; NULL: no SSH key is allowed */
};

#define SK_SIGNING_OPTS_INIT { .required = false, .gpg_keyring = NULL, .allowed_signers = NULL }

/* who signed: format[0] is '\0' when nothing was verified */
struct sk_signer {
	char format[8]; /* "openpgp", "ssh" */
	char name[256]; /* the key's first user id ("Alice <alice@example.com>"), or the SSH principal */
	char key[128];  /* the primary key's fingerprint, or the SSH key's ("SHA256:...") */
};

/* "Alice <alice@example.com> (openpgp key 0123...)": how plans and messages name a signer */
void sk_signer_describe(char *out, size_t n, const struct sk_signer *s);

/*
 * Verifies signature (the armored text of a commit's gpgsig header) over
 * data (the commit as it was signed).  what names the commit in messages
 * ("commit 3f2a9c1d4e5b (main)").  0 with *out filled, or SK_ERROR.
 */
int sk_signature_verify_buffer(struct sk_signer *out, const char *signature, size_t signature_len, const char *data,
			       size_t data_len, const struct sk_signing_opts *o, const char *what);

struct git_repository;
struct git_oid;

/*
 * The same for a commit of repo, read at ref (messages name both: "commit
 * 3f2a9c1d4e5b (main) is not signed; a signed commit is required")
 */
int sk_signature_verify_commit(struct sk_signer *out, struct git_repository *repo, const struct git_oid *commit,
			       const struct sk_signing_opts *o, const char *ref);

#endif
