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
 * Only AWS's answer counts as one (answer.h, sk_aws_classify_response): a 2xx answer
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

#include "aws/answer.h"
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

/* full jitter: a delay in [0, min(max, base * 2^(attempt-1))] ms drawn from r */
long sk_aws_backoff_ms(int attempt, int base_ms, int max_ms, uint64_t r);
/* the XML namespace of a service's answers ("http://rds.amazonaws.com/doc/2014-10-31/"), or NULL */
const char *sk_aws_service_namespace(const char *service);

/*
 * Checks a timeout from the command line, the environment or Settings:
 * SK_AWS_TIMEOUT_MIN_MS..SK_AWS_TIMEOUT_MAX_MS.  what names the setting in
 * the message ("--call-timeout").  SK_ERROR (SK_ERR_INVALID) otherwise.
 */
int sk_aws_check_timeout(const char *what, int64_t ms);

#endif
