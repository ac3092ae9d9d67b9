/*
 * digest.c - SHA-256 and hex (digest.h)
 */
#include "common/digest.h"

#include <openssl/evp.h>

#include "common/error.h"

int sk_sha256(unsigned char out[32], const void *data, size_t len)
{
	unsigned int n = 0;

	if (EVP_Digest(data ? data : "", len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return sk_error_set(SK_ERR_INVALID, "SHA-256 failed in OpenSSL");
	return 0;
}

void sk_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int sk_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];

	if (sk_sha256(md, data, len) < 0)
		return -1;
	sk_hex(out, md, sizeof(md));
	return 0;
}
