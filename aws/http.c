/*
 * http.c - HTTP over libcurl
 */
#include "aws/http.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/error.h"
#include "common/timeutil.h"

struct sk_http {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

struct sink {
	struct sk_buf *buf;
	size_t max;
	bool overflow;
};

/* the idle limit: no byte moving either way for idle_ms ends the transfer */
struct idle {
	long idle_ms;
	int64_t last_ms;
	curl_off_t last_bytes;
	bool fired;
};

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct idle *w = ud;
	int64_t now = sk_time_mono_ms();

	(void)dltotal;
	(void)ultotal;
	if (dlnow + ulnow != w->last_bytes) {
		w->last_bytes = dlnow + ulnow;
		w->last_ms = now;
		return 0;
	}
	if (now - w->last_ms >= w->idle_ms) {
		w->fired = true;
		return 1; /* CURLE_ABORTED_BY_CALLBACK */
	}
	return 0;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_OK;

static void do_global_init(void)
{
	init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int sk_http_global_init(void)
{
	pthread_once(&init_once, do_global_init);
	if (init_rc != CURLE_OK)
		return sk_error_set(SK_ERR_HTTP, "cannot initialise libcurl: %s", curl_easy_strerror(init_rc));
	return 0;
}

int sk_http_new(struct sk_http **out)
{
	struct sk_http *h;

	*out = NULL;
	if (sk_http_global_init() < 0)
		return -1;
	h = calloc(1, sizeof(*h));
	if (!h)
		return sk_error_set_oom();
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return sk_error_set(SK_ERR_HTTP, "cannot create a libcurl handle");
	}
	*out = h;
	return 0;
}

void sk_http_free(struct sk_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;

	if (s->buf->len + n > s->max) {
		s->overflow = true;
		return 0;
	}
	if (sk_buf_add(s->buf, ptr, n) < 0)
		return 0;
	return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sk_buf *b = ud;
	size_t n = size * nmemb;

	/* a new status line starts a new header block (100-continue, redirects) */
	if (n >= 5 && !strncmp(ptr, "HTTP/", 5))
		sk_buf_reset(b);
	if (sk_buf_add(b, ptr, n) < 0)
		return 0;
	return n;
}

/* "https://host:port/path" -> "host:port" for messages */
static void host_of(const char *url, char *out, size_t outlen)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* why no answer came, in a few words, for one-line retry notices */
static const char *failure_of(CURL *curl, CURLcode rc)
{
	long os_errno = 0;
	double connect_time = 0;

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME, &connect_time);
		return connect_time > 0 ? "timed out" : "connect timed out";
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == ECONNREFUSED)
			return "connection refused";
		if (os_errno == ENETUNREACH || os_errno == EHOSTUNREACH)
			return "unreachable";
		return "cannot connect";
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "cannot resolve the host";
	case CURLE_GOT_NOTHING:
		return "closed without an answer";
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return "connection lost";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return "TLS failed";
	default:
		return "no answer";
	}
}

int sk_http_perform(struct sk_http *h, const struct sk_http_request *req, struct sk_http_response *resp)
{
	struct curl_slist *hdrs = NULL, *tmp;
	struct sink sink;
	struct idle idle;
	CURLcode rc;
	size_t i;
	int ret = -1;
	char host[256];

	sk_buf_reset(&resp->body);
	sk_buf_reset(&resp->headers);
	resp->status = 0;
	resp->seconds = 0;
	resp->failure = "";
	sink.buf = &resp->body;
	sink.max = req->max_body ? req->max_body : ((size_t)64 << 20);
	sink.overflow = false;
	idle.idle_ms = req->idle_timeout_ms;
	idle.last_ms = sk_time_mono_ms();
	idle.last_bytes = 0;
	idle.fired = false;
	host_of(req->url, host, sizeof(host));

	curl_easy_reset(h->curl);
	for (i = 0; i < req->n_headers; i++) {
		tmp = curl_slist_append(hdrs, req->headers[i]);
		if (!tmp) {
			sk_error_set_oom();
			goto done;
		}
		hdrs = tmp;
	}
	/* libcurl would add these on its own; AWS signs what is sent, so be explicit */
	tmp = curl_slist_append(hdrs, "Expect:");
	if (!tmp) {
		sk_error_set_oom();
		goto done;
	}
	hdrs = tmp;
	h->errbuf[0] = '\0';
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_URL, req->url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 30000L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 5000L);
	if (req->idle_timeout_ms > 0) {
		/* a hung server, or a transfer that stalled; libcurl calls this about once a second when idle */
		curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, &idle);
		curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &resp->headers);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "snapkeep/" SK_VERSION);
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
	if (req->no_proxy)
		curl_easy_setopt(h->curl, CURLOPT_NOPROXY, "*");
	if (!strcmp(req->method, "POST")) {
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (!strcmp(req->method, "GET")) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body_len) {
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, (const char *)req->body);
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		} else if (!strcmp(req->method, "PUT")) {
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		}
	}

	rc = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME, &resp->seconds);
	if (sink.overflow) {
		resp->failure = "answer too large";
		sk_error_set(SK_ERR_HTTP, "response from '%s' is larger than %zu bytes", host, sink.max);
		goto done;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && idle.fired) {
		resp->failure = "timed out";
		sk_error_set(SK_ERR_HTTP, "%s %s: nothing received for %.1f s", req->method, host,
			     (double)req->idle_timeout_ms / 1000.0);
		goto done;
	}
	if (rc != CURLE_OK) {
		resp->failure = failure_of(h->curl, rc);
		sk_error_set(SK_ERR_HTTP, "%s %s: %s", req->method, host, h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
		goto done;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (!resp->body.ptr && sk_buf_add(&resp->body, "", 0) < 0)
		goto done;
	ret = 0;
done:
	curl_slist_free_all(hdrs);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	return ret;
}

int sk_http_response_header(const struct sk_http_response *resp, const char *name, struct sk_view *out)
{
	struct sk_view all = sk_view_from(sk_buf_cstr(&resp->headers), resp->headers.len), line, key;

	while (all.len) {
		sk_view_split(&all, '\n', &line);
		if (!sk_view_split(&line, ':', &key))
			continue;
		if (sk_view_eq_nocase(sk_view_trim(key), name)) {
			*out = sk_view_trim(line);
			return 0;
		}
	}
	return SK_ENOTFOUND;
}

void sk_http_response_free(struct sk_http_response *resp)
{
	if (!resp)
		return;
	sk_buf_free(&resp->body);
	sk_buf_free(&resp->headers);
}
