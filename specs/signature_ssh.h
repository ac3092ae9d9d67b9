/*
 * signature_ssh.h - an SSH signature checked as git checks it, with ssh-keygen
 *
 * Private to specs/signature.c.  The protocol is git's (gpg-interface.c,
 * gpg.format ssh): `ssh-keygen -Y find-principals -f ALLOWED -s SIG` names
 * the principals allowed_signers gives the signing key; for each,
 * `ssh-keygen -Y verify -n git -f ALLOWED -I PRINCIPAL -s SIG` with the
 * signed data on its input must say `Good "git" signature for PRINCIPAL
 * with TYPE key FINGERPRINT`.  When no principal is found,
 * `ssh-keygen -Y check-novalidate -n git -s SIG` tells a bad signature from
 * a key allowed_signers does not allow (or lists as expired).  ssh-keygen
 * runs from PATH with an argument vector, never through a shell; its
 * files live in home, a private folder the caller made and removes.
 */
#ifndef SK_SIGNATURE_SSH_H
#define SK_SIGNATURE_SSH_H

#include <stddef.h>

#include "specs/signature.h"

int sk_signature_ssh_verify(struct sk_signer *out, const char *sig, size_t sig_len, const char *data, size_t data_len,
			    const char *allowed_signers, const char *home, const char *what);

#endif
