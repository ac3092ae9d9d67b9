/*
 * digest.h - SHA-256 through OpenSSL, and hex: the one place a digest is
 * taken and written out (SigV4's hashes, plan fingerprints, cache and
 * identifier suffixes)
 */
#ifndef SK_DIGEST_H
#define SK_DIGEST_H

#include <stddef.h>

/* the SHA-256 of data[0..len) (data may be NULL when len is 0): 0, or -1 (set) */
int sk_sha256(unsigned char out[32], const void *data, size_t len);
/* in[0..n) as 2n lowercase hex digits and a NUL */
void sk_hex(char *out, const unsigned char *in, size_t n);
/* the SHA-256 of data[0..len) in lowercase hex: 0, or -1 (set) */
int sk_sha256_hex(char out[65], const void *data, size_t len);

#endif
