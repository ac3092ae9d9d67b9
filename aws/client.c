/*
 * client.c - one AWS Query-protocol call: sign, send, retry, read
 */
#include "aws/client.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <openssl/rand.h>

#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "common/utf8.h"

#define POOL_MAX 32

struct sk_aws_client {
	struct sk_aws_client_opts opts;
	pthread_mutex_t lock;
	struct sk_http *idle[POOL_MAX];
	size_t n_idle;
};

/* the API versions snapkeep speaks, and the XML namespace AWS answers them in (botocore's xmlNamespace) */
static const struct {
	const char *service;
	const char *version;
	const char *xmlns;
} services[] = {
	{ "rds", "2014-10-31", "http://rds.amazonaws.com/doc/2014-10-31/" },
	{ "sns", "2010-03-31", "http://sns.amazonaws.com/doc/2010-03-31/" },
	{ "monitoring", "2010-08-01", "http://monitoring.amazonaws.com/doc/2010-08-01/" },
	{ "sts", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/" },
};

static int service_index(const char *service)
{
	size_t i;

	for (i = 0; service && i < sizeof(services) / sizeof(services[0]); i++)
		if (!strcmp(services[i].service, service))
			return (int)i;
	return -1;
}

const char *sk_aws_service_version(const char *service)
{
	int i = service_index(service);

	return i < 0 ? NULL : services[i].version;
}

const char *sk_aws_service_namespace(const char *service)
{
	int i = service_index(service);

	return i < 0 ? NULL : services[i].xmlns;
}

/* "30 s", "1.5 s", "500 ms" */
static void format_ms(char *out, size_t len, int64_t ms)
{
	if (ms < 1000)
		snprintf(out, len, "%lld ms", (long long)ms);
	else if (ms % 1000 == 0)
		snprintf(out, len, "%lld s", (long long)(ms / 1000));
	else
		snprintf(out, len, "%.1f s", (double)ms / 1000.0);
}

int sk_aws_check_timeout(const char *what, int64_t ms)
{
	char got[32];

	if (ms >= SK_AWS_TIMEOUT_MIN_MS && ms <= SK_AWS_TIMEOUT_MAX_MS)
		return 0;
	format_ms(got, sizeof(got), ms);
	return sk_error_set(SK_ERR_INVALID, "%s must be between %ld ms and %ld h, got %s", what, SK_AWS_TIMEOUT_MIN_MS,
			    SK_AWS_TIMEOUT_MAX_MS / 3600000L, got);
}

int sk_aws_client_new(struct sk_aws_client **out, const struct sk_aws_client_opts *opts)
{
	struct sk_aws_client *c;

	*out = NULL;
	if (!opts || !opts->config)
		return sk_error_set(SK_ERR_INVALID, "aws client needs a configuration");
	if (sk_http_global_init() < 0)
		return -1;
	xmlInitParser();
	c = calloc(1, sizeof(*c));
	if (!c)
		return sk_error_set_oom();
	c->opts = *opts;
	if (c->opts.max_attempts <= 0)
		c->opts.max_attempts = opts->config->max_attempts > 0 ? opts->config->max_attempts : 5;
	if (c->opts.base_delay_ms <= 0)
		c->opts.base_delay_ms = 200;
	if (c->opts.max_delay_ms <= 0)
		c->opts.max_delay_ms = 20000;
	if (c->opts.connect_timeout_ms <= 0)
		c->opts.connect_timeout_ms = SK_AWS_CONNECT_TIMEOUT_MS;
	if (c->opts.call_timeout_ms <= 0)
		c->opts.call_timeout_ms = SK_AWS_CALL_TIMEOUT_MS;
	if (c->opts.idle_timeout_ms <= 0)
		c->opts.idle_timeout_ms = c->opts.call_timeout_ms / 3 > SK_AWS_IDLE_TIMEOUT_MIN_MS
						  ? c->opts.call_timeout_ms / 3
						  : SK_AWS_IDLE_TIMEOUT_MIN_MS;
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void sk_aws_client_free(struct sk_aws_client *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_idle; i++)
		sk_http_free(c->idle[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

const struct sk_aws_config *sk_aws_client_config(const struct sk_aws_client *c)
{
	return c->opts.config;
}

struct sk_credentials_provider *sk_aws_client_credentials(const struct sk_aws_client *c)
{
	return c->opts.credentials;
}

static int borrow(struct sk_aws_client *c, struct sk_http **out)
{
	*out = NULL;
	pthread_mutex_lock(&c->lock);
	if (c->n_idle)
		*out = c->idle[--c->n_idle];
	pthread_mutex_unlock(&c->lock);
	return *out ? 0 : sk_http_new(out);
}

static void give_back(struct sk_aws_client *c, struct sk_http *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->n_idle < POOL_MAX) {
		c->idle[c->n_idle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	sk_http_free(h);
}

long sk_aws_backoff_ms(int attempt, int base_ms, int max_ms, uint64_t r)
{
	uint64_t ceiling = (uint64_t)(base_ms > 0 ? base_ms : 1);
	int i;

	for (i = 1; i < attempt && ceiling < (uint64_t)max_ms; i++)
		ceiling *= 2;
	if (ceiling > (uint64_t)max_ms)
		ceiling = (uint64_t)max_ms;
	return (long)(r % (ceiling + 1));
}

static uint64_t random64(void)
{
	static _Thread_local uint64_t state;
	uint64_t x;

	if (!state) {
		if (RAND_bytes((unsigned char *)&state, sizeof(state)) != 1 || !state)
			state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	}
	x = state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	state = x;
	return x;
}

/* sleeps ms, waking early when the call is cancelled; returns false if cancelled */
static bool nap(const struct sk_aws_client *c, long ms)
{
	while (ms > 0) {
		long step = ms > 50 ? 50 : ms;
		struct timespec ts = { step / 1000, (step % 1000) * 1000000L };
		if (c->opts.cancel && *c->opts.cancel)
			return false;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !(c->opts.cancel && *c->opts.cancel);
}

struct target {
	char *url;
	char *host; /* Host header value: host[:port] */
	char *path;
};

static void target_free(struct target *t)
{
	free(t->url);
	free(t->host);
	free(t->path);
}

int sk_aws_url_host(struct sk_buf *host, char **path, const char *url)
{
	CURLU *u = curl_url();
	char *h = NULL, *port = NULL, *p = NULL;
	int rc = SK_ERROR;

	if (path)
		*path = NULL;
	if (!u)
		return sk_error_set_oom();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
		rc = SK_ENOTFOUND;
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	if (sk_buf_adds(host, h) < 0 || (port && sk_buf_printf(host, ":%s", port) < 0))
		goto done;
	if (path) {
		if (curl_url_get(u, CURLUPART_PATH, &p, 0) != CURLUE_OK)
			p = NULL;
		*path = strdup(p && *p ? p : "/");
		if (!*path) {
			sk_error_set_oom();
			goto done;
		}
	}
	rc = 0;
done:
	curl_free(h);
	curl_free(port);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

static int resolve_target(struct target *t, const struct sk_aws_config *cfg, const char *service, const char *region)
{
	struct sk_buf url = SK_BUF_INIT, host = SK_BUF_INIT;
	int rc = -1, r;

	memset(t, 0, sizeof(*t));
	if (sk_aws_config_endpoint(cfg, service, region, &url) < 0)
		goto done;
	r = sk_aws_url_host(&host, &t->path, url.ptr);
	if (r == SK_ENOTFOUND)
		sk_error_set(SK_ERR_CONFIG, "endpoint '%s' for %s in %s is not a URL", url.ptr, service, region);
	if (r < 0)
		goto done;
	t->url = sk_buf_detach(&url);
	t->host = sk_buf_detach(&host);
	if (!t->url || !t->host) {
		sk_error_set_oom();
		target_free(t);
		goto done;
	}
	rc = 0;
done:
	sk_buf_free(&url);
	sk_buf_free(&host);
	return rc;
}

/* one attempt with at most budget_ms: fills resp or returns SK_ERROR (transport / credentials / signing) */
static int attempt_once(struct sk_aws_client *c, const struct target *t, const char *service, const char *region,
			const struct sk_buf *body, bool sign, long budget_ms, struct sk_http_response *resp)
{
	struct sk_credentials creds = SK_CREDENTIALS_INIT;
	struct sk_sigv4_result sig;
	struct sk_sigv4_params params = SK_SIGV4_PARAMS_INIT;
	const char *lines[8];
	struct sk_sigv4_header hdrs[2];
	struct sk_sigv4_request req;
	struct sk_http_request hreq;
	struct sk_http *http = NULL;
	char host_line[512];
	size_t n = 0, i;
	int rc = -1;

	sk_sigv4_result_init(&sig);
	snprintf(host_line, sizeof(host_line), "Host: %s", t->host);
	lines[n++] = host_line;
	lines[n++] = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
	if (sign) {
		if (!c->opts.credentials) {
			sk_error_set(SK_ERR_CREDENTIALS, "no credentials provider configured");
			goto done;
		}
		if (sk_credentials_provider_get(c->opts.credentials, &creds) < 0)
			goto done;
		hdrs[0].name = "Host";
		hdrs[0].value = t->host;
		hdrs[1].name = "Content-Type";
		hdrs[1].value = "application/x-www-form-urlencoded; charset=utf-8";
		req.method = "POST";
		req.path = t->path;
		req.query = NULL;
		req.headers = hdrs;
		req.n_headers = 2;
		req.payload = body->ptr;
		req.payload_len = body->len;
		params.region = region;
		params.service = service;
		params.time = sk_time_now();
		params.creds = &creds;
		if (sk_sigv4_sign_headers(&sig, &req, &params) < 0)
			goto done;
		for (i = 0; i < sig.n_add_headers && n < sizeof(lines) / sizeof(lines[0]); i++)
			lines[n++] = sig.add_headers[i];
	}
	if (borrow(c, &http) < 0)
		goto done;
	memset(&hreq, 0, sizeof(hreq));
	hreq.method = "POST";
	hreq.url = t->url;
	hreq.headers = lines;
	hreq.n_headers = n;
	hreq.body = body->ptr;
	hreq.body_len = body->len;
	/* the attempt ends with the call's budget at the latest */
	hreq.timeout_ms = budget_ms;
	hreq.connect_timeout_ms = c->opts.connect_timeout_ms < budget_ms ? c->opts.connect_timeout_ms : budget_ms;
	hreq.idle_timeout_ms = c->opts.idle_timeout_ms < budget_ms ? c->opts.idle_timeout_ms : 0;
	hreq.max_body = 0;
	hreq.no_proxy = false;
	rc = sk_http_perform(http, &hreq, resp);
done:
	if (rc < 0 && http) {
		/* a failed transfer may leave the connection in any state: start afresh */
		sk_http_free(http);
		http = NULL;
	}
	give_back(c, http);
	sk_sigv4_result_free(&sig);
	sk_credentials_clear(&creds);
	return rc;
}

/* the final error of a call that failed after attempt attempts, elapsed ms, out_of_time: the budget ran out */
static void set_call_error(const struct sk_aws_client *c, const char *service, const char *action,
			   const char *region, const char *host, const struct sk_aws_error *e, int klass,
			   int64_t elapsed, bool out_of_time)
{
	char took[32], budget[32], after[128] = "";

	format_ms(took, sizeof(took), elapsed);
	format_ms(budget, sizeof(budget), c->opts.call_timeout_ms);
	if (out_of_time)
		snprintf(after, sizeof(after), "after %d attempt%s in %s, the call timeout of %s", e->attempts,
			 e->attempts == 1 ? "" : "s", took, budget);
	else if (e->attempts > 1)
		snprintf(after, sizeof(after), "after %d attempts", e->attempts);
	if (klass == SK_ERR_HTTP)
		sk_error_set(SK_ERR_HTTP, "%s %s in %s: no answer from %s%s%s: %s", service, action, region, host,
			     after[0] ? " " : "", after, e->message);
	else if (klass == SK_ERR_RESPONSE)
		sk_error_set(SK_ERR_RESPONSE, "%s %s in %s: %s%s%s%s", service, action, region, e->message,
			     after[0] ? " (" : "", after, after[0] ? ")" : "");
	else
		sk_error_set(SK_ERR_AWS, "%s %s in %s: %s: %s (HTTP %ld, RequestId %s%s%s)", service, action, region,
			     e->code, e->message[0] ? e->message : "no message", e->http_status,
			     e->request_id[0] ? e->request_id : "none", after[0] ? ", " : "", after);
}

static int call(struct sk_aws_client *c, const char *service, const char *region, const char *action,
		const struct sk_query *params, struct sk_aws_response *out, struct sk_aws_error *err_out, bool sign)
{
	struct sk_aws_error local, *err = err_out ? err_out : &local;
	struct sk_http_response resp = SK_HTTP_RESPONSE_INIT;
	struct sk_buf body = SK_BUF_INIT;
	struct target t;
	const char *version = sk_aws_service_version(service);
	int64_t started = sk_time_mono_ms(), deadline = started + c->opts.call_timeout_ms;
	int attempt, rc = -1;
	bool have_target = false;

	memset(err, 0, sizeof(*err));
	out->doc = NULL;
	out->root = NULL;
	out->result = NULL;
	out->request_id[0] = '\0';
	out->host[0] = '\0';
	out->attempts = 0;
	if (!version)
		return sk_error_set(SK_ERR_INVALID, "unknown AWS service '%s'", service);
	if (!region || !*region)
		return sk_error_set(SK_ERR_CONFIG, "%s %s: no AWS region given (--region or AWS_REGION)", service, action);
	if (resolve_target(&t, c->opts.config, service, region) < 0)
		return -1;
	have_target = true;
	if (sk_buf_printf(&body, "Action=%s&Version=%s", action, version) < 0)
		goto done;
	if (params && params->n) {
		struct sk_buf enc = SK_BUF_INIT;
		int e = sk_query_encode(params, &enc);
		if (e == 0)
			e = sk_buf_printf(&body, "&%s", enc.ptr);
		sk_buf_free(&enc);
		if (e < 0)
			goto done;
	}

	for (attempt = 1;; attempt++) {
		struct sk_aws_call_info info;
		struct sk_aws_answer answer;
		struct sk_view v;
		char why[160], ctype[256] = "", rid[128] = "";
		int64_t start = sk_time_mono_ms(), now, delay;
		int prc, klass;

		if (c->opts.cancel && *c->opts.cancel) {
			rc = SK_EINTERRUPTED;
			sk_error_set(SK_ERR_INTERRUPTED, "%s %s in %s: interrupted", service, action, region);
			goto done;
		}
		memset(err, 0, sizeof(*err));
		err->attempts = attempt;
		out->attempts = attempt;
		prc = attempt_once(c, &t, service, region, &body, sign, (long)(deadline - start), &resp);
		memset(&info, 0, sizeof(info));
		info.service = service;
		info.region = region;
		info.action = action;
		info.attempt = attempt;
		info.seconds = (double)(sk_time_mono_ms() - start) / 1000.0;
		if (prc < 0) {
			if (sk_error_last()->klass != SK_ERR_HTTP) {
				rc = -1; /* credentials, signing, memory: retrying will not help */
				goto done;
			}
			klass = SK_ERR_HTTP;
			err->http_status = 0;
			err->retryable = true;
			sk_utf8_copy(err->message, sizeof(err->message), sk_error_message());
			sk_strlcpy(why, resp.failure && *resp.failure ? resp.failure : "no answer", sizeof(why));
			sk_debug("%s %s %s in %s: no answer (%s), attempt %d, %.0f ms", "POST", t.host, action, region,
				 err->message, attempt, info.seconds * 1000);
		} else {
			if (sk_http_response_header(&resp, "Content-Type", &v) == 0)
				snprintf(ctype, sizeof(ctype), "%.*s", (int)(v.len < 255 ? v.len : 255), v.ptr);
			if (sk_http_response_header(&resp, "x-amzn-RequestId", &v) == 0 ||
			    sk_http_response_header(&resp, "x-amz-request-id", &v) == 0)
				snprintf(rid, sizeof(rid), "%.*s", (int)(v.len < 127 ? v.len : 127), v.ptr);
			memset(&answer, 0, sizeof(answer));
			answer.service = service;
			answer.action = action;
			answer.host = t.host;
			answer.status = resp.status;
			answer.content_type = ctype[0] ? ctype : NULL;
			answer.request_id = rid[0] ? rid : NULL;
			answer.body = resp.body.ptr;
			answer.len = resp.body.len;
			info.status = resp.status;
			if (sk_aws_classify_response(out, err, &answer) == 0) {
				err->attempts = attempt;
				info.request_id = out->request_id;
				if (c->opts.on_attempt)
					c->opts.on_attempt(c->opts.on_attempt_ud, &info);
				sk_debug("%s %s %s in %s: HTTP %ld, RequestId %s, attempt %d, %.0f ms", "POST", t.host,
					 action, region, resp.status, out->request_id, attempt, info.seconds * 1000);
				rc = 0;
				goto done;
			}
			err->attempts = attempt;
			klass = sk_error_last()->klass;
			if (klass == SK_ERR_NOMEM)
				goto done;
			info.code = err->code;
			info.throttled = err->throttled;
			info.request_id = err->request_id;
			if (klass == SK_ERR_AWS)
				snprintf(why, sizeof(why), "%.100s (HTTP %ld)", err->code, resp.status);
			else
				snprintf(why, sizeof(why), "HTTP %ld, not an AWS answer", resp.status);
			sk_debug("%s %s %s in %s: HTTP %ld %s, RequestId %s, attempt %d, %.0f ms", "POST", t.host, action,
				 region, resp.status, err->code, err->request_id[0] ? err->request_id : "none", attempt,
				 info.seconds * 1000);
		}
		if (c->opts.on_attempt)
			c->opts.on_attempt(c->opts.on_attempt_ud, &info);

		now = sk_time_mono_ms();
		if (!err->retryable || attempt >= c->opts.max_attempts) {
			set_call_error(c, service, action, region, t.host, err, klass, now - started, false);
			goto done;
		}
		delay = sk_aws_backoff_ms(attempt, err->throttled ? c->opts.base_delay_ms * 2 : c->opts.base_delay_ms,
					  c->opts.max_delay_ms, random64());
		if (now + delay >= deadline) {
			/* the budget is spent: no attempt would have time left */
			set_call_error(c, service, action, region, t.host, err, klass, now - started, true);
			goto done;
		}
		sk_warn("retrying %s in %s (attempt %d/%d): %s", action, region, attempt + 1, c->opts.max_attempts, why);
		if (!nap(c, (long)delay)) {
			rc = SK_EINTERRUPTED;
			sk_error_set(SK_ERR_INTERRUPTED, "%s %s in %s: interrupted", service, action, region);
			goto done;
		}
	}
done:
	if (rc != 0)
		sk_aws_response_free(out);
	if (have_target)
		target_free(&t);
	/* STS answers carry temporary secrets, AssumeRoleWithWebIdentity requests a token */
	sk_buf_cleanse_free(&resp.body);
	sk_http_response_free(&resp);
	sk_buf_cleanse_free(&body);
	return rc;
}

int sk_aws_call(struct sk_aws_client *c, const char *service, const char *region, const char *action,
		const struct sk_query *params, struct sk_aws_response *out, struct sk_aws_error *err)
{
	return call(c, service, region, action, params, out, err, true);
}

int sk_aws_call_unsigned(struct sk_aws_client *c, const char *service, const char *region, const char *action,
			 const struct sk_query *params, struct sk_aws_response *out, struct sk_aws_error *err)
{
	return call(c, service, region, action, params, out, err, false);
}

int sk_aws_paginate(struct sk_aws_client *c, const char *service, const char *region, const char *action,
		    const struct sk_query *params, int page_size, const char *list, const char *item_name,
		    sk_aws_item_cb item, void *ud, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	struct sk_aws_response resp = SK_AWS_RESPONSE_INIT;
	struct sk_xml_scratch s = SK_XML_SCRATCH_INIT;
	char *marker = NULL;
	size_t i, base;
	int rc = 0;

	if (page_size < 20 || page_size > 100)
		return sk_error_set(SK_ERR_INVALID, "page size must be 20..100, got %d", page_size);
	for (i = 0; params && i < params->n; i++)
		if ((rc = sk_query_add(&q, params->items[i].name, params->items[i].value)) < 0)
			goto done;
	if ((rc = sk_query_add_int(&q, "MaxRecords", page_size)) < 0)
		goto done;
	base = q.n;
	for (;;) {
		xmlNodePtr container, n;
		const char *next;

		/* drop the previous page's Marker, add this page's */
		while (q.n > base) {
			q.n--;
			free(q.items[q.n].name);
			free(q.items[q.n].value);
		}
		if (marker && (rc = sk_query_add(&q, "Marker", marker)) < 0)
			goto done;
		if ((rc = sk_aws_call(c, service, region, action, &q, &resp, err)) != 0)
			goto done;
		if (!resp.result) {
			/* without the result element, an absent list would read as an empty account */
			rc = sk_error_set(SK_ERR_RESPONSE,
					  "%s %s in %s: the answer from %s (RequestId %s) has no <%sResult>; not read as "
					  "an empty list",
					  service, action, region, resp.host, resp.request_id, action);
			if (err) {
				sk_strlcpy(err->code, SK_AWS_CODE_UNEXPECTED, sizeof(err->code));
				sk_strlcpy(err->message, sk_error_message(), sizeof(err->message));
			}
			goto done;
		}
		container = sk_xml_child(resp.result, list);
		for (n = sk_xml_child(container, item_name); n; n = sk_xml_next(n, item_name))
			if ((rc = item(ud, n)) != 0)
				goto done;
		next = sk_xml_child_text(resp.result, "Marker", &s);
		free(marker);
		marker = next && *next ? strdup(next) : NULL;
		if (next && *next && !marker) {
			rc = sk_error_set_oom();
			goto done;
		}
		sk_xml_scratch_reset(&s);
		sk_aws_response_free(&resp);
		if (!marker)
			break;
	}
done:
	sk_aws_response_free(&resp);
	sk_xml_scratch_free(&s);
	sk_query_free(&q);
	free(marker);
	return rc;
}
