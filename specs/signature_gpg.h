/*
 * signature_gpg.h - an OpenPGP signature checked with gpgme against a keyring
 *
 * Private to specs/signature.c.  The keyring (a file of public keys, a
 * folder of them, or a GnuPG home read only) is imported into home, a
 * private folder the caller made and removes: gpg never sees the user's
 * ~/.gnupg.  Every key of the keyring is allowed; nothing is fetched.
 */
#ifndef SK_SIGNATURE_GPG_H
#define SK_SIGNATURE_GPG_H

#include <stddef.h>

#include "specs/signature.h"

int sk_signature_gpg_verify(struct sk_signer *out, const char *sig, size_t sig_len, const char *data, size_t data_len,
			    const char *keyring, const char *home, const char *what);

#endif
