/*
 * http.h - HTTP over libcurl
 *
 * One struct sk_http wraps one curl easy handle, reused across requests so
 * connections are kept alive; it is not thread-safe: one per thread.  TLS
 * peer and host verification are always on for https.  libcurl honours
 * http_proxy, https_proxy and no_proxy by itself.
 */
#ifndef SK_HTTP_H
#define SK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct sk_http;

struct sk_http_request {
	const char *method;         /* "GET", "POST", "PUT" */
	const char *url;
	const char *const *headers; /* "Name: value" lines */
	size_t n_headers;
	const void *body;
	size_t body_len;
	long timeout_ms;         /* whole transfer; 0: 30 s */
	long connect_timeout_ms; /* TCP and TLS handshake; 0: 5 s */
	long idle_timeout_ms;    /* give up when no byte moved either way for this long (to about 1 s); 0: never */
	size_t max_body;         /* 0: 64 MiB */
	bool no_proxy;           /* connect directly (instance metadata, container credentials) */
};

struct sk_http_response {
	long status;
	struct sk_buf body;
	struct sk_buf headers; /* raw header lines of the final response */
	double seconds;        /* total time, for --debug */
	/* when no status arrived: why, in a few words ("timed out", "connection refused"); else "" */
	const char *failure;
};

#define SK_HTTP_RESPONSE_INIT { .status = 0, .body = SK_BUF_INIT, .headers = SK_BUF_INIT, .seconds = 0, .failure = "" }

int sk_http_global_init(void);
int sk_http_new(struct sk_http **out);
void sk_http_free(struct sk_http *h);
/*
 * 0 once any HTTP status arrived (check resp->status); SK_ERROR with class
 * SK_ERR_HTTP when none did (refused, DNS, TLS, timeout, reset), the message
 * naming the host and libcurl's reason.  resp must be initialised; it is
 * reset first.
 */
int sk_http_perform(struct sk_http *h, const struct sk_http_request *req, struct sk_http_response *resp);
/* the value of a response header (case-insensitive name); SK_ENOTFOUND if absent */
int sk_http_response_header(const struct sk_http_response *resp, const char *name, struct sk_view *out);
void sk_http_response_free(struct sk_http_response *resp);

#endif
