/*
 * signature_gpg.c - an OpenPGP signature checked with gpgme against a keyring
 */
#include "specs/signature_gpg.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gpgme.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static const char *init_version;

static void init_gpgme(void)
{
	init_version = gpgme_check_version(NULL);
}

/* a context on home, offline, or SK_ERROR */
static int new_ctx(gpgme_ctx_t *out, const char *home)
{
	gpgme_error_t e;

	*out = NULL;
	pthread_once(&init_once, init_gpgme);
	if (!init_version)
		return sk_error_set(SK_ERR_SIGNATURE, "cannot initialise gpgme");
	if ((e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)))
		return sk_error_set(SK_ERR_SIGNATURE, "cannot verify OpenPGP signatures: gpg is not usable (%s)",
				    gpgme_strerror(e));
	if ((e = gpgme_new(out)) ||
	    (e = gpgme_ctx_set_engine_info(*out, GPGME_PROTOCOL_OpenPGP, NULL, home))) {
		gpgme_release(*out);
		*out = NULL;
		return sk_error_set(SK_ERR_SIGNATURE, "cannot start gpg: %s", gpgme_strerror(e));
	}
	gpgme_set_offline(*out, 1);
	gpgme_set_keylist_mode(*out, GPGME_KEYLIST_MODE_LOCAL);
	return 0;
}

static int import_data(gpgme_ctx_t ctx, gpgme_data_t d, const char *keyring, const char *file, size_t *imported)
{
	gpgme_import_result_t r;
	gpgme_error_t e = gpgme_op_import(ctx, d);

	if (e)
		return sk_error_set(SK_ERR_SIGNATURE, "cannot read the keys of --gpg-keyring '%s'%s%s%s: %s", keyring,
				    file ? " (" : "", file ? file : "", file ? ")" : "", gpgme_strerror(e));
	r = gpgme_op_import_result(ctx);
	if (r)
		*imported += (size_t)r->imported + (size_t)r->unchanged;
	return 0;
}

static int import_file(gpgme_ctx_t ctx, const char *path, const char *keyring, size_t *imported)
{
	gpgme_data_t d = NULL;
	gpgme_error_t e = gpgme_data_new_from_file(&d, path, 1);
	int rc;

	if (e)
		return sk_error_set(SK_ERR_SIGNATURE, "cannot read --gpg-keyring '%s' (%s): %s", keyring, path,
				    gpgme_strerror(e));
	rc = import_data(ctx, d, keyring, path, imported);
	gpgme_data_release(d);
	return rc;
}

/* a GnuPG home: its public keys exported (gpg reads it, writes nothing) and imported */
static int import_home(gpgme_ctx_t ctx, const char *dir, size_t *imported)
{
	gpgme_ctx_t from = NULL;
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	int rc = -1;

	if (new_ctx(&from, dir) < 0)
		return SK_ERROR;
	if ((e = gpgme_data_new(&d)) || (e = gpgme_op_export(from, NULL, 0, d))) {
		sk_error_set(SK_ERR_SIGNATURE, "cannot read the keys of --gpg-keyring '%s': %s", dir, gpgme_strerror(e));
		goto done;
	}
	gpgme_data_seek(d, 0, SEEK_SET);
	rc = import_data(ctx, d, dir, NULL, imported);
done:
	gpgme_data_release(d);
	gpgme_release(from);
	return rc;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* every regular, not hidden file of a folder of public keys */
static int import_folder(gpgme_ctx_t ctx, const char *dir, size_t *imported)
{
	struct sk_buf path = SK_BUF_INIT;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return sk_error_set_errno(SK_ERR_SIGNATURE, "cannot read --gpg-keyring '%s'", dir);
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		sk_buf_reset(&path);
		if (sk_buf_printf(&path, "%s/%s", dir, de->d_name) < 0)
			rc = SK_ERROR;
		else if (is_file(sk_buf_cstr(&path)))
			rc = import_file(ctx, sk_buf_cstr(&path), dir, imported);
	}
	closedir(d);
	sk_buf_free(&path);
	return rc;
}

static int import_keyring(gpgme_ctx_t ctx, const char *keyring)
{
	struct sk_buf probe = SK_BUF_INIT;
	struct stat st;
	size_t imported = 0;
	bool home;
	int rc;

	if (stat(keyring, &st) != 0)
		return sk_error_set_errno(SK_ERR_SIGNATURE, "cannot read --gpg-keyring '%s'", keyring);
	if (S_ISDIR(st.st_mode)) {
		home = sk_buf_printf(&probe, "%s/pubring.kbx", keyring) == 0 && is_file(sk_buf_cstr(&probe));
		sk_buf_reset(&probe);
		home = home || (sk_buf_printf(&probe, "%s/pubring.gpg", keyring) == 0 && is_file(sk_buf_cstr(&probe)));
		sk_buf_free(&probe);
		rc = home ? import_home(ctx, keyring, &imported) : import_folder(ctx, keyring, &imported);
	} else {
		rc = import_file(ctx, keyring, keyring, &imported);
	}
	if (rc == 0 && !imported)
		rc = sk_error_set(SK_ERR_SIGNATURE, "--gpg-keyring '%s' holds no OpenPGP public key", keyring);
	return rc;
}

/* the signing key's first user id and primary fingerprint */
static void name_signer(struct sk_signer *out, gpgme_ctx_t ctx, const char *fpr)
{
	gpgme_key_t key = NULL;

	sk_strlcpy(out->format, "openpgp", sizeof(out->format));
	sk_strlcpy(out->key, fpr ? fpr : "", sizeof(out->key));
	if (fpr && gpgme_get_key(ctx, fpr, &key, 0) == 0 && key) {
		if (key->fpr)
			sk_strlcpy(out->key, key->fpr, sizeof(out->key));
		if (key->uids && key->uids->uid)
			sk_strlcpy(out->name, key->uids->uid, sizeof(out->name));
	}
	gpgme_key_unref(key);
}

/* the reason a signature gpg checked is not accepted, or NULL when it is */
static const char *refusal(gpgme_signature_t s)
{
	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR: break;
	case GPG_ERR_BAD_SIGNATURE: return "bad signature";
	case GPG_ERR_NO_PUBKEY: return "unknown key";
	case GPG_ERR_KEY_EXPIRED: return "expired key";
	case GPG_ERR_CERT_REVOKED: return "revoked key";
	case GPG_ERR_SIG_EXPIRED: return "expired signature";
	default: return "not verified";
	}
	if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
		return "revoked key";
	if (s->summary & GPGME_SIGSUM_KEY_EXPIRED)
		return "expired key";
	if (s->summary & GPGME_SIGSUM_SIG_EXPIRED)
		return "expired signature";
	if (s->summary & (GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_MISSING))
		return s->summary & GPGME_SIGSUM_KEY_MISSING ? "unknown key" : "bad signature";
	return NULL;
}

/* the one message for a signature that is not accepted */
static void refuse(gpgme_ctx_t ctx, gpgme_signature_t s, const char *why, const char *keyring, const char *what)
{
	struct sk_signer k;
	const char *fpr = s->fpr ? s->fpr : "?";

	memset(&k, 0, sizeof(k));
	name_signer(&k, ctx, s->fpr);
	if (!strcmp(why, "unknown key"))
		sk_error_set(SK_ERR_SIGNATURE, "%s: unknown key: signed by OpenPGP key %s, which --gpg-keyring '%s' does not "
					       "hold", what, fpr, keyring);
	else if (!strcmp(why, "bad signature"))
		sk_error_set(SK_ERR_SIGNATURE, "%s: bad signature: its OpenPGP signature (key %s) does not match it", what,
			     fpr);
	else if (!strcmp(why, "expired signature"))
		sk_error_set(SK_ERR_SIGNATURE, "%s: expired signature: its OpenPGP signature by %s (key %s) has expired",
			     what, k.name[0] ? k.name : "?", k.key);
	else if (!strcmp(why, "not verified"))
		sk_error_set(SK_ERR_SIGNATURE, "%s: not verified: %s (OpenPGP key %s)", what, gpgme_strerror(s->status), fpr);
	else
		sk_error_set(SK_ERR_SIGNATURE, "%s: %s: signed by %s (OpenPGP key %s), which %s", what, why,
			     k.name[0] ? k.name : "?", k.key, !strcmp(why, "revoked key") ? "is revoked" : "has expired");
}

int sk_signature_gpg_verify(struct sk_signer *out, const char *sig, size_t sig_len, const char *data, size_t data_len,
			    const char *keyring, const char *home, const char *what)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t sd = NULL, dd = NULL;
	gpgme_verify_result_t r;
	gpgme_signature_t s;
	gpgme_error_t e;
	const char *why;
	int rc = -1;

	if (new_ctx(&ctx, home) < 0 || import_keyring(ctx, keyring) < 0)
		goto done;
	if ((e = gpgme_data_new_from_mem(&sd, sig, sig_len, 0)) || (e = gpgme_data_new_from_mem(&dd, data, data_len, 0))) {
		sk_error_set(SK_ERR_SIGNATURE, "cannot verify %s: %s", what, gpgme_strerror(e));
		goto done;
	}
	e = gpgme_op_verify(ctx, sd, dd, NULL);
	r = gpgme_op_verify_result(ctx);
	s = r ? r->signatures : NULL;
	if (e && gpgme_err_code(e) != GPG_ERR_BAD_SIGNATURE && !s) {
		sk_error_set(SK_ERR_SIGNATURE, "cannot verify the OpenPGP signature of %s: %s", what, gpgme_strerror(e));
		goto done;
	}
	if (!s) {
		sk_error_set(SK_ERR_SIGNATURE, "%s: bad signature (its OpenPGP signature holds none gpg can read)", what);
		goto done;
	}
	if ((why = refusal(s))) {
		refuse(ctx, s, why, keyring, what);
		goto done;
	}
	name_signer(out, ctx, s->fpr);
	rc = 0;
done:
	gpgme_data_release(sd);
	gpgme_data_release(dd);
	gpgme_release(ctx);
	return rc;
}
