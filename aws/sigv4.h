/*
 * sigv4.h - AWS Signature Version 4 (header and query signing)
 *
 * Follows AWS's specification and the aws-sig-v4 test suite (see
 * tests/tools/sigv4-vectors.c): canonical URI (dot segments and double
 * slashes removed when normalize is on; each segment URI-encoded once, or
 * twice for non-S3 services, as the suite expects), canonical query (params
 * sorted by encoded name then value, RFC 3986 encoding), canonical headers
 * (lowercase names, sorted, values trimmed and inner whitespace runs folded,
 * repeated names joined by ","), signed headers, payload hash, credential
 * scope, and the session token as x-amz-security-token (header signing) or
 * X-Amz-Security-Token (query signing).  HMAC-SHA256 and SHA-256 come from
 * OpenSSL's EVP interfaces.
 */
#ifndef SK_SIGV4_H
#define SK_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct sk_credentials;

struct sk_sigv4_header {
	const char *name;
	const char *value;
};

struct sk_sigv4_request {
	const char *method;
	const char *path;  /* as sent, already percent-encoded where needed, "/" when empty */
	const char *query; /* as sent, without "?"; NULL or "" for none */
	const struct sk_sigv4_header *headers; /* as sent; must include Host */
	size_t n_headers;
	const void *payload;
	size_t payload_len;
};

struct sk_sigv4_params {
	const char *region;
	const char *service;
	int64_t time; /* seconds since the epoch */
	const struct sk_credentials *creds;
	bool normalize;          /* remove dot segments and // (true except S3) */
	bool sign_body;          /* send and sign x-amz-content-sha256 */
	bool omit_session_token; /* add the token after signing (post-sts-header-after) */
	int64_t expires;         /* query signing: X-Amz-Expires, seconds */
};

#define SK_SIGV4_PARAMS_INIT { NULL, NULL, 0, NULL, true, false, false, 3600 }

struct sk_sigv4_result {
	struct sk_buf canonical_request;
	struct sk_buf string_to_sign;
	char signature[65]; /* lowercase hex */
	/*
	 * Header signing: the headers to add to the request, as "Name: value"
	 * lines, in this order: X-Amz-Security-Token (when a token is present,
	 * also with omit_session_token), X-Amz-Date, x-amz-content-sha256
	 * (sign_body) and Authorization.
	 * Query signing: the complete query string to send (the request's own
	 * parameters plus X-Amz-Algorithm ... X-Amz-Signature), in `query`.
	 */
	char *add_headers[4];
	size_t n_add_headers;
	struct sk_buf query;
};

void sk_sigv4_result_init(struct sk_sigv4_result *r);
/* wipes and frees; the signature is also cleared */
void sk_sigv4_result_free(struct sk_sigv4_result *r);

int sk_sigv4_sign_headers(struct sk_sigv4_result *out, const struct sk_sigv4_request *req,
			  const struct sk_sigv4_params *params);
int sk_sigv4_presign_query(struct sk_sigv4_result *out, const struct sk_sigv4_request *req,
			   const struct sk_sigv4_params *params);


/*
 * The canonical pieces, exposed for tests.  out is reset first (except for
 * the header value, which is appended).
 * URI: normalized (dot segments and empty segments removed, a trailing '/'
 * kept) when normalize is on, then every byte but RFC 3986's unreserved set
 * and '/' percent-encoded.  Query: each parameter percent-decoded, then
 * encoded, sorted by name then value.  Header value: trimmed, inner runs of
 * whitespace (folded lines too) turned into one space.
 */
int sk_sigv4_canonical_uri(struct sk_buf *out, const char *path, bool normalize);
int sk_sigv4_canonical_query(struct sk_buf *out, const char *query);
int sk_sigv4_canonical_header_value(struct sk_buf *out, const char *value);

#endif
