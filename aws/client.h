/*
 * client.h - one AWS Query-protocol call: sign, send, retry, read
 *
 * sk_aws_call() resolves the endpoint for (service, region), form-encodes
 * Action, Version and the parameters, signs with SigV4, sends over a pooled
 * libcurl handle and reads the answer with libxml2.  Failures become a
 * struct sk_aws_error (HTTP status, AWS code, message, RequestId, whether it
 * is retryable).  Throttling, HTTP 429/5xx and connection errors are retried
 * with exponential backoff and full jitter up to max_attempts; each retry
 * logs one warning ("retrying DescribeDBInstances in us-east-1 (attempt
 * 2/5): timed out").
 *
 * Only AWS's answer counts as one (sk_aws_classify_response): a 2xx answer
 * must be XML whose root element is <ActionResponse> in the service's
 * namespace, carrying ResponseMetadata/RequestId.  An HTML page (captive
 * portal, proxy login), an empty body or another action's answer is an
 * error naming the host, status, Content-Type and the first bytes of the
 * body, never an empty result; with a 2xx status it is not retried.
 *
 * Timeouts.  Each call has a budget, call_timeout_ms (default 30 s), that
 * covers every attempt and every backoff wait: no attempt starts and no
 * wait ends past it, and the attempt in flight is cut off at it.  Within
 * it, each attempt gives up when the TCP and TLS handshake takes longer
 * than connect_timeout_ms (default 5 s), or when no byte has moved for
 * idle_timeout_ms (default the larger of 10 s and a third of the budget),
 * and is then retried while attempts and budget last.  So a dead or hanging
 * endpoint fails within the budget (about 30 s by default: three 10-second
 * attempts against a server that accepts and never answers, five 5-second
 * connects against one that drops SYNs), while a slow answer that keeps
 * arriving is never cut off by the idle limit, and one whose server thinks
 * up to 10 s before its first byte still succeeds.  A paginated describe
 * is one call per page, each with its own budget.
 *
 * A client is safe to share between threads: each call borrows its own HTTP
 * handle.  Services: "rds", "sns", "monitoring" (CloudWatch), "sts".
 */
#ifndef SK_CLIENT_H
#define SK_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "aws/query.h"
#include "common/error.h"

struct sk_aws_config;
struct sk_credentials_provider;

struct sk_aws_call_info {
	const char *service;
	const char *region;
	const char *action;
	long status;      /* 0: no HTTP answer */
	const char *code; /* AWS error code, or NULL */
	const char *request_id;
	int attempt;
	double seconds;
	bool throttled;
};

struct sk_aws_client_opts {
	const struct sk_aws_config *config;           /* required */
	struct sk_credentials_provider *credentials; /* required, except for unsigned calls */
	int max_attempts;        /* 0: the config's (AWS_MAX_ATTEMPTS, default 5) */
	int base_delay_ms;       /* 0: 200 */
	int max_delay_ms;        /* 0: 20000 */
	long connect_timeout_ms; /* per attempt, TCP and TLS handshake; 0: SK_AWS_CONNECT_TIMEOUT_MS */
	long call_timeout_ms;    /* per call, every attempt and wait included; 0: SK_AWS_CALL_TIMEOUT_MS */
	long idle_timeout_ms;    /* per attempt, no byte moving; 0: max(10 s, call_timeout_ms / 3) */
	/* when it becomes non-zero, no new attempt starts and a backoff ends early */
	volatile sig_atomic_t *cancel;
	/* called after every attempt (metrics); must be thread-safe */
	void (*on_attempt)(void *ud, const struct sk_aws_call_info *info);
	void *on_attempt_ud;
};

#define SK_AWS_CLIENT_OPTS_INIT                                                                        \
	{                                                                                              \
		.config = NULL, .credentials = NULL, .max_attempts = 0, .base_delay_ms = 0,            \
		.max_delay_ms = 0, .connect_timeout_ms = 0, .call_timeout_ms = 0, .idle_timeout_ms = 0, \
		.cancel = NULL, .on_attempt = NULL, .on_attempt_ud = NULL                                \
	}

#define SK_AWS_CONNECT_TIMEOUT_MS 5000L
#define SK_AWS_CALL_TIMEOUT_MS 30000L
#define SK_AWS_IDLE_TIMEOUT_MIN_MS 10000L
/* what sk_aws_check_timeouts() accepts */
#define SK_AWS_TIMEOUT_MIN_MS 100L
#define SK_AWS_TIMEOUT_MAX_MS (3600L * 1000L)

/* the code in sk_aws_error for an answer that is not AWS's (HTML, empty, another action's, ...) */
#define SK_AWS_CODE_UNEXPECTED "UnexpectedResponse"

struct sk_aws_error {
	long http_status;  /* 0 when no HTTP answer arrived */
	/* "DBSnapshotNotFound"; SK_AWS_CODE_UNEXPECTED for an answer that is not AWS's; "" for transport errors */
	char code[128];
	/* room for the longest message: an unexpected answer's quotes up to 80 bytes of Content-Type,
	 * 100 of namespace and 120 of body, each byte escaped to up to 4 characters */
	char message[SK_ERROR_MAX];
	char request_id[128];
	bool retryable;
	bool throttled;
	int attempts;
};

struct sk_aws_response {
	xmlDocPtr doc;
	xmlNodePtr root;   /* <ActionResponse> */
	xmlNodePtr result; /* <ActionResult>, or NULL when the answer has none (AddTagsToResource, ...) */
	char request_id[128];
	char host[256]; /* the endpoint that answered, host[:port] */
	int attempts;
};

#define SK_AWS_RESPONSE_INIT { .doc = NULL, .root = NULL, .result = NULL, .request_id = "", .host = "", .attempts = 0 }

struct sk_aws_client;

int sk_aws_client_new(struct sk_aws_client **out, const struct sk_aws_client_opts *opts);
void sk_aws_client_free(struct sk_aws_client *c);
const struct sk_aws_config *sk_aws_client_config(const struct sk_aws_client *c);
struct sk_credentials_provider *sk_aws_client_credentials(const struct sk_aws_client *c);

/*
 * 0 on success (free out with sk_aws_response_free).  On failure: SK_ERROR
 * with class SK_ERR_AWS (AWS answered with an error; err filled),
 * SK_ERR_RESPONSE (the answer is not AWS's answer to this action; err->code
 * SK_AWS_CODE_UNEXPECTED), SK_ERR_HTTP (no answer after every attempt, or
 * the call timeout ran out), SK_ERR_CREDENTIALS, or SK_EINTERRUPTED when
 * cancelled.  The message reads "rds CreateDBSnapshot in us-east-1:
 * SnapshotQuotaExceeded: Cannot create more than 100 manual snapshots
 * (HTTP 400, RequestId ...)".  err may be NULL.
 */
int sk_aws_call(struct sk_aws_client *c, const char *service, const char *region, const char *action,
		const struct sk_query *params, struct sk_aws_response *out, struct sk_aws_error *err);
/* the same, unsigned (STS AssumeRoleWithWebIdentity) */
int sk_aws_call_unsigned(struct sk_aws_client *c, const char *service, const char *region, const char *action,
			 const struct sk_query *params, struct sk_aws_response *out, struct sk_aws_error *err);
void sk_aws_response_free(struct sk_aws_response *r);

/*
 * Marker/MaxRecords pagination: calls action with params plus
 * MaxRecords=page_size (20..100) and Marker, and calls item() for every
 * element named item_name under <ActionResult>/<list>.  Only one page is
 * held at a time.  item() returning non-zero stops and is returned.  A page
 * without <ActionResult> is an error (SK_ERR_RESPONSE); one with the result
 * but without <list> is an empty page, as AWS leaves out empty lists.
 */
typedef int (*sk_aws_item_cb)(void *ud, xmlNodePtr item);
int sk_aws_paginate(struct sk_aws_client *c, const char *service, const char *region, const char *action,
		    const struct sk_query *params, int page_size, const char *list, const char *item_name,
		    sk_aws_item_cb item, void *ud, struct sk_aws_error *err);

/* the API version the Query protocol wants for a service, or NULL */
const char *sk_aws_service_version(const char *service);

/*
 * Adds an endpoint URL's Host header value (host[:port]) to host and, when
 * path is not NULL, sets *path to a copy of its path ("/" when it names
 * none; free() it): 0, SK_ENOTFOUND (no error recorded: the caller names
 * the endpoint) when url is not a URL with a host, SK_ERROR when out of memory.
 */
int sk_aws_url_host(struct sk_buf *host, char **path, const char *url);

/*
 * Was a call that failed with err perhaps made all the same?  When no
 * answer came (the connection failed, or AWS answered 5xx), when an
 * earlier attempt's answer was lost before a retry, or when something other
 * than AWS answered (a proxy may have passed the call on), AWS may have made
 * the change: the caller journals such a call "unknown", for the next run to
 * resolve against live state.  false for a call never sent.
 */
bool sk_aws_error_maybe_made(const struct sk_aws_error *err);

/* classification, exposed for tests */
bool sk_aws_code_is_throttle(const char *code);
bool sk_aws_is_retryable(long http_status, const char *code);
/* full jitter: a delay in [0, min(max, base * 2^(attempt-1))] ms drawn from r */
long sk_aws_backoff_ms(int attempt, int base_ms, int max_ms, uint64_t r);
/* reads an <ErrorResponse> (or <Response><Errors>) body into err; 0 if it was one */
int sk_aws_parse_error(struct sk_aws_error *err, const char *body, size_t len);
/* the XML namespace of a service's answers ("http://rds.amazonaws.com/doc/2014-10-31/"), or NULL */
const char *sk_aws_service_namespace(const char *service);

/* one HTTP answer, as sk_aws_classify_response() sees it */
struct sk_aws_answer {
	const char *service;      /* "rds" */
	const char *action;       /* "DescribeDBInstances" */
	const char *host;         /* the endpoint, host[:port], for messages */
	long status;              /* the HTTP status (an answer arrived) */
	const char *content_type; /* the Content-Type header, or NULL */
	const char *request_id;   /* the x-amzn-RequestId header, or NULL */
	const char *body;
	size_t len;
};

/*
 * What an answer is.  0: a 2xx answer that is the expected one (an XML
 * document whose root element is <ActionResponse> in the service's
 * namespace, with a non-empty ResponseMetadata/RequestId); out holds the
 * document (free it with sk_aws_response_free).  Otherwise SK_ERROR with err
 * filled and one message recorded (without the "service action in region"
 * prefix the call adds):
 * - SK_ERR_AWS: a non-2xx AWS error answer (<ErrorResponse>); err->code is
 *   AWS's code; err->retryable as sk_aws_is_retryable();
 * - SK_ERR_RESPONSE: anything else: an HTML page, an empty body, text that is
 *   not XML, another action's answer, a wrong namespace, no RequestId, or a
 *   non-2xx answer that is not an AWS error.  err->code is
 *   SK_AWS_CODE_UNEXPECTED and the message names the host, the status, the
 *   Content-Type and the first bytes of the body (at most 120, escaped, cut
 *   before anything that looks like a credential).  Such an answer with a
 *   2xx status is not retryable: what answered (a captive portal, a proxy's
 *   page, a wrong endpoint) will answer the same in a second; with a 5xx or
 *   429 status it is retried like any (a load balancer's 503 page).
 */
int sk_aws_classify_response(struct sk_aws_response *out, struct sk_aws_error *err, const struct sk_aws_answer *a);

/*
 * Checks a timeout from the command line, the environment or Settings:
 * SK_AWS_TIMEOUT_MIN_MS..SK_AWS_TIMEOUT_MAX_MS.  what names the setting in
 * the message ("--call-timeout").  SK_ERROR (SK_ERR_INVALID) otherwise.
 */
int sk_aws_check_timeout(const char *what, int64_t ms);

#endif
