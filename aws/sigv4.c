/*
 * sigv4.c - AWS Signature Version 4 (header and query signing)
 *
 * The steps are those of AWS's specification, in the order aws-c-auth's
 * aws_signing.c takes them: canonical request (method, URI, query, headers,
 * signed headers, payload hash), string to sign (algorithm, time, scope,
 * hash of the canonical request), signing key (the HMAC chain over date,
 * region, service and "aws4_request") and the signature.  Every
 * intermediate that a secret went into (the "AWS4"+secret key, the derived
 * keys) is wiped before it goes out of scope.
 */
#include "aws/sigv4.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aws/credentials.h"
#include "aws/query.h"
#include "common/array.h"
#include "common/digest.h"
#include "common/error.h"
#include "common/str.h"
#include "common/timeutil.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* headers that proxies and clients change on the way: never signed (aws-c-auth's skip list) */
static const char *const skipped_headers[] = {
	"x-amzn-trace-id", "user-agent", "connection", "expect", "transfer-encoding", "upgrade",
	"sec-websocket-key", "sec-websocket-protocol", "sec-websocket-version",
};

/* headers the signer adds itself: a request must not carry them already */
static const char *const forbidden_headers[] = {
	"authorization", "x-amz-date", "x-amz-content-sha256",
};

/* query parameters the presigner adds itself */
static const char *const forbidden_params[] = {
	"X-Amz-Signature", "X-Amz-Date", "X-Amz-Credential", "X-Amz-Algorithm", "X-Amz-SignedHeaders",
	"X-Amz-Expires",
};

/* ---- hashing ---------------------------------------------------------- */

static pthread_once_t mac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_impl;

static void fetch_mac(void)
{
	hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static int hmac_sha256(unsigned char out[32], const void *key, size_t key_len, const void *data, size_t len)
{
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t n = 0;
	int rc = -1;

	pthread_once(&mac_once, fetch_mac);
	if (!hmac_impl || !(ctx = EVP_MAC_CTX_new(hmac_impl))) {
		sk_error_set(SK_ERR_INVALID, "HMAC-SHA256 is not available in OpenSSL");
		goto done;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, key_len, params) != 1 || EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, out, &n, 32) != 1 || n != 32) {
		sk_error_set(SK_ERR_INVALID, "HMAC-SHA256 failed in OpenSSL");
		goto done;
	}
	rc = 0;
done:
	EVP_MAC_CTX_free(ctx); /* OpenSSL wipes the key schedule it holds */
	return rc;
}

/* ---- small helpers ---------------------------------------------------- */

static bool in_list(const char *const *list, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && !strncasecmp(list[i], s, len))
			return true;
	return false;
}

static bool is_unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* percent-encodes one path segment (libcurl keeps exactly RFC 3986's unreserved set) */
static int encode_segment(struct sk_buf *out, const char *s, size_t len)
{
	size_t i;

	/* the common case, plain segments, without a round trip through libcurl */
	for (i = 0; i < len && is_unreserved((unsigned char)s[i]); i++)
		;
	if (i == len)
		return sk_buf_add(out, s, len);
	return sk_query_escape(out, s, len);
}

/* ---- the canonical pieces (exposed for tests) ------------------------- */

int sk_sigv4_canonical_uri(struct sk_buf *out, const char *path, bool normalize)
{
	struct sk_view rest, seg;
	struct sk_view *stack = NULL;
	size_t n = 0, cap, i, len;
	bool trailing;
	int rc = -1;

	sk_buf_reset(out);
	if (sk_buf_add(out, "", 0) < 0)
		return -1;
	if (!path || !*path)
		path = "/";
	len = strlen(path);
	if (!normalize) {
		/* as given, each segment encoded; '/' kept */
		rest = sk_view_from(path, len);
		for (;;) {
			bool more = sk_view_split(&rest, '/', &seg);
			if (encode_segment(out, seg.ptr, seg.len) < 0)
				return -1;
			if (!more)
				break;
			if (sk_buf_addc(out, '/') < 0)
				return -1;
		}
		return 0;
	}
	/* remove "." and empty segments, ".." pops one; keep a trailing '/' */
	cap = len / 2 + 2;
	stack = calloc(cap, sizeof(*stack));
	if (!stack)
		return sk_error_set_oom();
	trailing = path[len - 1] == '/';
	rest = sk_view_from(path, len);
	while (rest.len) {
		sk_view_split(&rest, '/', &seg);
		if (seg.len == 0 || sk_view_eq(seg, "."))
			continue;
		if (sk_view_eq(seg, "..")) {
			if (n)
				n--;
			continue;
		}
		stack[n++] = seg;
	}
	if (sk_buf_addc(out, '/') < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (encode_segment(out, stack[i].ptr, stack[i].len) < 0)
			goto done;
		if ((i + 1 < n || trailing) && sk_buf_addc(out, '/') < 0)
			goto done;
	}
	rc = 0;
done:
	free(stack);
	return rc;
}

struct qparam {
	char *key; /* encoded */
	char *value;
};

struct qlist {
	struct qparam *items;
	size_t n, cap;
};

static void qlist_free(struct qlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i].key);
		sk_str_cleanse_free(l->items[i].value); /* values can be session tokens */
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* adds key=value, both already decoded, encoding them */
static int qlist_add(struct qlist *l, const char *key, size_t klen, const char *value, size_t vlen)
{
	struct sk_buf k = SK_BUF_INIT, v = SK_BUF_INIT;

	if (SK_ARRAY_GROW(l->items, l->cap, l->n + 1) < 0)
		return -1;
	if (sk_buf_add(&k, "", 0) < 0 || sk_buf_add(&v, "", 0) < 0 || sk_query_escape(&k, key, klen) < 0 ||
	    sk_query_escape(&v, value, vlen) < 0) {
		sk_buf_free(&k);
		sk_buf_cleanse_free(&v);
		return -1;
	}
	l->items[l->n].key = sk_buf_detach(&k);
	l->items[l->n].value = sk_buf_detach(&v);
	l->n++;
	return 0;
}

/* percent-decodes a query component as sent (libcurl's unescape; '+' stays '+') */
static int decode(struct sk_view in, char **out, size_t *out_len)
{
	int n = 0;

	*out = NULL;
	if (in.len > (size_t)0x7fffffff)
		return sk_error_set(SK_ERR_INVALID, "query parameter too long");
	*out = curl_easy_unescape(NULL, in.len ? in.ptr : "", (int)in.len, &n);
	if (!*out)
		return sk_error_set_oom();
	*out_len = (size_t)n;
	return 0;
}

static void decoded_free(char *s, size_t len)
{
	if (s) {
		OPENSSL_cleanse(s, len);
		curl_free(s);
	}
}

/* splits a query as sent into decoded, re-encoded parameters */
static int parse_query(struct qlist *l, const char *query, bool presign)
{
	struct sk_view rest = sk_view_of(query), part, key;

	while (rest.len) {
		char *k = NULL, *v = NULL;
		size_t kl = 0, vl = 0;
		bool has_eq;
		int rc;

		sk_view_split(&rest, '&', &part);
		if (!part.len)
			continue;
		has_eq = sk_view_split(&part, '=', &key);
		if (!has_eq)
			part = sk_view_from("", 0);
		if (decode(key, &k, &kl) < 0 || decode(part, &v, &vl) < 0) {
			decoded_free(k, kl);
			return -1;
		}
		if (presign && in_list(forbidden_params, sizeof(forbidden_params) / sizeof(forbidden_params[0]), k, kl)) {
			sk_error_set(SK_ERR_INVALID, "the query already carries '%.*s'; it is added by presigning",
				     (int)kl, k);
			decoded_free(k, kl);
			decoded_free(v, vl);
			return -1;
		}
		rc = qlist_add(l, k, kl, v, vl);
		decoded_free(k, kl);
		decoded_free(v, vl);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int cmp_param(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

static int join_query(struct sk_buf *out, struct qlist *l)
{
	size_t i;

	if (l->n > 1)
		qsort(l->items, l->n, sizeof(l->items[0]), cmp_param);
	for (i = 0; i < l->n; i++)
		if ((i && sk_buf_addc(out, '&') < 0) || sk_buf_printf(out, "%s=%s", l->items[i].key, l->items[i].value) < 0)
			return -1;
	return 0;
}

int sk_sigv4_canonical_query(struct sk_buf *out, const char *query)
{
	struct qlist l = { NULL, 0, 0 };
	int rc;

	sk_buf_reset(out);
	rc = sk_buf_add(out, "", 0);
	if (rc == 0)
		rc = parse_query(&l, query ? query : "", false);
	if (rc == 0)
		rc = join_query(out, &l);
	qlist_free(&l);
	return rc;
}

int sk_sigv4_canonical_header_value(struct sk_buf *out, const char *value)
{
	const char *p = value ? value : "", *end = p + strlen(p);
	bool space = false;

	while (p < end && is_ws(*p))
		p++;
	while (end > p && is_ws(end[-1]))
		end--;
	for (; p < end; p++) {
		if (is_ws(*p)) {
			space = true;
			continue;
		}
		if (space && sk_buf_addc(out, ' ') < 0)
			return -1;
		space = false;
		if (sk_buf_addc(out, *p) < 0)
			return -1;
	}
	return 0;
}

/* ---- canonical headers ------------------------------------------------- */

struct chdr {
	char *name; /* lowercase */
	const char *value;
	size_t index;
};

static int cmp_header(const void *a, const void *b)
{
	const struct chdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static bool valid_header_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == ':' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/*
 * canonical headers ("name:value\n" each) and the signed header list, from
 * the request's headers plus `extra` (name/value pairs the signer adds)
 */
static int canonical_headers(struct sk_buf *canon, struct sk_buf *signed_list, const struct sk_sigv4_request *req,
			     const struct sk_sigv4_header *extra, size_t n_extra)
{
	struct chdr *h;
	size_t n = 0, i, j, total = req->n_headers + n_extra;
	bool have_host = false;
	int rc = -1;

	if (sk_buf_add(canon, "", 0) < 0 || sk_buf_add(signed_list, "", 0) < 0)
		return -1;
	h = calloc(total ? total : 1, sizeof(*h));
	if (!h)
		return sk_error_set_oom();
	for (i = 0; i < total; i++) {
		const struct sk_sigv4_header *src = i < req->n_headers ? &req->headers[i] : &extra[i - req->n_headers];
		size_t len;

		if (!src->name || !valid_header_name(src->name)) {
			sk_error_set(SK_ERR_INVALID, "header name '%s' cannot be signed", src->name ? src->name : "");
			goto done;
		}
		len = strlen(src->name);
		if (i < req->n_headers) {
			if (in_list(forbidden_headers, sizeof(forbidden_headers) / sizeof(forbidden_headers[0]), src->name,
				    len)) {
				sk_error_set(SK_ERR_INVALID, "the request already carries '%s'; the signer adds it",
					     src->name);
				goto done;
			}
			if (in_list(skipped_headers, sizeof(skipped_headers) / sizeof(skipped_headers[0]), src->name, len))
				continue;
		}
		h[n].name = strdup(src->name);
		if (!h[n].name) {
			sk_error_set_oom();
			goto done;
		}
		for (j = 0; j < len; j++)
			h[n].name[j] = (char)tolower((unsigned char)h[n].name[j]);
		h[n].value = src->value ? src->value : "";
		h[n].index = i;
		if (!strcmp(h[n].name, "host"))
			have_host = true;
		n++;
	}
	if (!have_host) {
		sk_error_set(SK_ERR_INVALID, "a request to sign needs a Host header");
		goto done;
	}
	if (n > 1)
		qsort(h, n, sizeof(*h), cmp_header);
	for (i = 0; i < n; i++) {
		bool first = i == 0 || strcmp(h[i].name, h[i - 1].name);
		bool last = i + 1 == n || strcmp(h[i].name, h[i + 1].name);

		if (first) {
			if ((signed_list->len && sk_buf_addc(signed_list, ';') < 0) || sk_buf_adds(signed_list, h[i].name) < 0 ||
			    sk_buf_printf(canon, "%s:", h[i].name) < 0)
				goto done;
		} else if (sk_buf_addc(canon, ',') < 0) {
			goto done;
		}
		if (sk_sigv4_canonical_header_value(canon, h[i].value) < 0)
			goto done;
		if (last && sk_buf_addc(canon, '\n') < 0)
			goto done;
	}
	rc = 0;
done:
	for (i = 0; i < n; i++)
		free(h[i].name);
	free(h);
	return rc;
}

/* ---- signing ----------------------------------------------------------- */

void sk_sigv4_result_init(struct sk_sigv4_result *r)
{
	memset(r, 0, sizeof(*r));
	sk_buf_init(&r->canonical_request, 0);
	sk_buf_init(&r->string_to_sign, 0);
	sk_buf_init(&r->query, 0);
}

void sk_sigv4_result_free(struct sk_sigv4_result *r)
{
	size_t i;

	if (!r)
		return;
	sk_buf_cleanse_free(&r->canonical_request);
	sk_buf_cleanse_free(&r->string_to_sign);
	sk_buf_cleanse_free(&r->query);
	for (i = 0; i < r->n_add_headers; i++)
		sk_str_cleanse_free(r->add_headers[i]);
	r->n_add_headers = 0;
	OPENSSL_cleanse(r->signature, sizeof(r->signature));
}

static bool valid_scope_part(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static int check_params(const struct sk_sigv4_request *req, const struct sk_sigv4_params *p)
{
	if (!p->creds || !p->creds->access_key_id || !*p->creds->access_key_id || !p->creds->secret_access_key ||
	    !*p->creds->secret_access_key)
		return sk_error_set(SK_ERR_CREDENTIALS, "no credentials to sign the request with");
	if (!valid_scope_part(p->region))
		return sk_error_set(SK_ERR_INVALID, "cannot sign for region '%s'", p->region ? p->region : "");
	if (!valid_scope_part(p->service))
		return sk_error_set(SK_ERR_INVALID, "cannot sign for service '%s'", p->service ? p->service : "");
	if (!req->method || !*req->method)
		return sk_error_set(SK_ERR_INVALID, "a request to sign needs a method");
	if (req->payload_len && !req->payload)
		return sk_error_set(SK_ERR_INVALID, "payload length without a payload");
	return 0;
}

/* signature = hex(HMAC(kSigning, string_to_sign)) */
static int compute_signature(char out[65], const char *secret, const char *date, const char *region,
			     const char *service, const struct sk_buf *sts)
{
	unsigned char k1[32], k2[32], sig[32];
	struct sk_buf key = SK_BUF_INIT;
	int rc = -1;

	if (sk_buf_printf(&key, "AWS4%s", secret) < 0)
		goto done;
	if (hmac_sha256(k1, key.ptr, key.len, date, strlen(date)) < 0 ||
	    hmac_sha256(k2, k1, sizeof(k1), region, strlen(region)) < 0 ||
	    hmac_sha256(k1, k2, sizeof(k2), service, strlen(service)) < 0 ||
	    hmac_sha256(k2, k1, sizeof(k1), "aws4_request", 12) < 0 || hmac_sha256(sig, k2, sizeof(k2), sts->ptr, sts->len) < 0)
		goto done;
	sk_hex(out, sig, sizeof(sig));
	rc = 0;
done:
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(sig, sizeof(sig));
	sk_buf_cleanse_free(&key);
	return rc;
}

static int string_to_sign(struct sk_buf *out, const char *amz_date, const char *scope, const struct sk_buf *canonical)
{
	char hash[65];

	if (sk_sha256_hex(hash, canonical->ptr, canonical->len) < 0)
		return -1;
	return sk_buf_printf(out, ALGORITHM "\n%s\n%s\n%s", amz_date, scope, hash);
}

static int add_header_line(struct sk_sigv4_result *r, const char *name, const char *value)
{
	struct sk_buf b = SK_BUF_INIT;

	if (r->n_add_headers >= sizeof(r->add_headers) / sizeof(r->add_headers[0]))
		return sk_error_set(SK_ERR_INVALID, "too many headers to add");
	if (sk_buf_printf(&b, "%s: %s", name, value) < 0) {
		sk_buf_cleanse_free(&b);
		return -1;
	}
	r->add_headers[r->n_add_headers++] = sk_buf_detach(&b);
	return 0;
}

/* method, canonical URI and canonical query: the first three lines */
static int canonical_head(struct sk_buf *canon, const struct sk_sigv4_request *req, const struct sk_sigv4_params *p,
			  struct qlist *params)
{
	struct sk_buf tmp = SK_BUF_INIT;
	int rc = -1;

	if (sk_buf_printf(canon, "%s\n", req->method) < 0 ||
	    sk_sigv4_canonical_uri(&tmp, req->path, p->normalize) < 0 || sk_buf_add(canon, tmp.ptr, tmp.len) < 0 ||
	    sk_buf_addc(canon, '\n') < 0)
		goto done;
	sk_buf_reset(&tmp);
	if (sk_buf_add(&tmp, "", 0) < 0 || join_query(&tmp, params) < 0 || sk_buf_add(canon, tmp.ptr, tmp.len) < 0 ||
	    sk_buf_addc(canon, '\n') < 0)
		goto done;
	rc = 0;
done:
	sk_buf_cleanse_free(&tmp);
	return rc;
}

/* what signing by header and presigning share, from the first step to the last */
struct signing {
	char amz_date[17], date[9], payload_hash[65], scope[256];
	const char *token; /* NULL: none */
	struct qlist params;
	struct sk_buf headers, signed_list;
};

/* clears *out, checks the request, and takes the time, scope, session token and payload hash */
static int begin_signing(struct signing *g, struct sk_sigv4_result *out, const struct sk_sigv4_request *req,
			 const struct sk_sigv4_params *p, bool presign)
{
	memset(g, 0, sizeof(*g));
	sk_buf_init(&g->headers, 0);
	sk_buf_init(&g->signed_list, 0);
	sk_sigv4_result_free(out);
	sk_sigv4_result_init(out);
	if (check_params(req, p) < 0)
		return -1;
	if (presign && (p->expires < 1 || p->expires > 604800))
		return sk_error_set(SK_ERR_INVALID, "a presigned URL expires after 1 to 604800 seconds, not %lld",
				    (long long)p->expires);
	g->token = p->creds->session_token && *p->creds->session_token ? p->creds->session_token : NULL;
	sk_time_format_amz(g->amz_date, p->time);
	sk_time_format_amz_date(g->date, p->time);
	snprintf(g->scope, sizeof(g->scope), "%s/%s/%s/aws4_request", g->date, p->region, p->service);
	return sk_sha256_hex(g->payload_hash, req->payload, req->payload_len);
}

/* ends the canonical request (its head already in it), and makes the string to sign and the signature */
static int sign(struct signing *g, struct sk_sigv4_result *out, const struct sk_sigv4_params *p)
{
	if (sk_buf_printf(&out->canonical_request, "%s\n%s\n%s", g->headers.ptr, g->signed_list.ptr,
			  g->payload_hash) < 0 ||
	    string_to_sign(&out->string_to_sign, g->amz_date, g->scope, &out->canonical_request) < 0)
		return -1;
	return compute_signature(out->signature, p->creds->secret_access_key, g->date, p->region, p->service,
				 &out->string_to_sign);
}

/* frees what signing took; on failure (rc < 0) *out is left cleared */
static int end_signing(struct signing *g, struct sk_sigv4_result *out, int rc)
{
	if (rc < 0) {
		sk_sigv4_result_free(out);
		sk_sigv4_result_init(out);
	}
	qlist_free(&g->params);
	sk_buf_cleanse_free(&g->headers);
	sk_buf_free(&g->signed_list);
	return rc;
}

int sk_sigv4_sign_headers(struct sk_sigv4_result *out, const struct sk_sigv4_request *req,
			  const struct sk_sigv4_params *p)
{
	struct signing g;
	struct sk_sigv4_header extra[3];
	struct sk_buf auth = SK_BUF_INIT;
	size_t n_extra = 0;
	int rc = -1;

	if (begin_signing(&g, out, req, p, false) < 0)
		goto done;
	extra[n_extra].name = "X-Amz-Date";
	extra[n_extra++].value = g.amz_date;
	if (g.token && !p->omit_session_token) {
		extra[n_extra].name = "X-Amz-Security-Token";
		extra[n_extra++].value = g.token;
	}
	if (p->sign_body) {
		extra[n_extra].name = "x-amz-content-sha256";
		extra[n_extra++].value = g.payload_hash;
	}
	if (parse_query(&g.params, req->query ? req->query : "", false) < 0 ||
	    canonical_head(&out->canonical_request, req, p, &g.params) < 0 ||
	    canonical_headers(&g.headers, &g.signed_list, req, extra, n_extra) < 0 || sign(&g, out, p) < 0)
		goto done;
	if (sk_buf_printf(&auth, ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
			  p->creds->access_key_id, g.scope, g.signed_list.ptr, out->signature) < 0)
		goto done;
	/* in the order aws-c-auth adds them */
	if ((g.token && add_header_line(out, "X-Amz-Security-Token", g.token) < 0) ||
	    add_header_line(out, "X-Amz-Date", g.amz_date) < 0 ||
	    (p->sign_body && add_header_line(out, "x-amz-content-sha256", g.payload_hash) < 0) ||
	    add_header_line(out, "Authorization", auth.ptr) < 0)
		goto done;
	rc = 0;
done:
	sk_buf_cleanse_free(&auth);
	return end_signing(&g, out, rc);
}

static int append_param(struct sk_buf *q, const char *name, const char *value)
{
	if ((q->len && sk_buf_addc(q, '&') < 0) || sk_buf_printf(q, "%s=", name) < 0)
		return -1;
	return sk_query_escape(q, value, strlen(value));
}

int sk_sigv4_presign_query(struct sk_sigv4_result *out, const struct sk_sigv4_request *req,
			   const struct sk_sigv4_params *p)
{
	struct signing g;
	struct sk_buf credential = SK_BUF_INIT;
	char expires[24];
	int rc = -1;

	if (begin_signing(&g, out, req, p, true) < 0)
		goto done;
	snprintf(expires, sizeof(expires), "%lld", (long long)p->expires);
	if (canonical_headers(&g.headers, &g.signed_list, req, NULL, 0) < 0)
		goto done;
	if (sk_buf_printf(&credential, "%s/%s", p->creds->access_key_id, g.scope) < 0)
		goto done;
	if (parse_query(&g.params, req->query ? req->query : "", true) < 0 ||
	    qlist_add(&g.params, "X-Amz-Algorithm", 15, ALGORITHM, strlen(ALGORITHM)) < 0 ||
	    qlist_add(&g.params, "X-Amz-Credential", 16, credential.ptr, credential.len) < 0 ||
	    qlist_add(&g.params, "X-Amz-Date", 10, g.amz_date, strlen(g.amz_date)) < 0 ||
	    qlist_add(&g.params, "X-Amz-SignedHeaders", 19, g.signed_list.ptr, g.signed_list.len) < 0 ||
	    qlist_add(&g.params, "X-Amz-Expires", 13, expires, strlen(expires)) < 0 ||
	    (g.token && !p->omit_session_token &&
	     qlist_add(&g.params, "X-Amz-Security-Token", 20, g.token, strlen(g.token)) < 0))
		goto done;
	if (canonical_head(&out->canonical_request, req, p, &g.params) < 0 || sign(&g, out, p) < 0)
		goto done;
	/* the request's own query as sent, then ours, in the order aws-c-auth appends them */
	if (sk_buf_add(&out->query, "", 0) < 0 || (req->query && sk_buf_adds(&out->query, req->query) < 0) ||
	    append_param(&out->query, "X-Amz-Algorithm", ALGORITHM) < 0 ||
	    append_param(&out->query, "X-Amz-Credential", credential.ptr) < 0 ||
	    append_param(&out->query, "X-Amz-Date", g.amz_date) < 0 ||
	    append_param(&out->query, "X-Amz-SignedHeaders", g.signed_list.ptr) < 0 ||
	    append_param(&out->query, "X-Amz-Expires", expires) < 0 ||
	    (g.token && append_param(&out->query, "X-Amz-Security-Token", g.token) < 0) ||
	    append_param(&out->query, "X-Amz-Signature", out->signature) < 0)
		goto done;
	rc = 0;
done:
	sk_buf_free(&credential);
	return end_signing(&g, out, rc);
}
