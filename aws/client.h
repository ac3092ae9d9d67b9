/*
 * client.h - one AWS Query-protocol call: sign, send, retry, read
 *
 * sk_aws_call() resolves the endpoint for (service, region), form-encodes
 * Action, Version and the parameters, signs with SigV4, sends over a pooled
 * libcurl handle and parses the answer with libxml2.  Failures become a
 * struct sk_aws_error (HTTP status, AWS code, message, RequestId, whether it
 * is retryable).  Throttling, HTTP 429/5xx and connection errors are retried
 * with exponential backoff and full jitter up to max_attempts.
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
	int max_attempts;  /* 0: the config's (AWS_MAX_ATTEMPTS, default 5) */
	int base_delay_ms; /* 0: 200 */
	int max_delay_ms;  /* 0: 20000 */
	long timeout_ms;   /* per attempt; 0: 30000 */
	/* when it becomes non-zero, no new attempt starts and a backoff ends early */
	volatile sig_atomic_t *cancel;
	/* called after every attempt (metrics); must be thread-safe */
	void (*on_attempt)(void *ud, const struct sk_aws_call_info *info);
	void *on_attempt_ud;
};

#define SK_AWS_CLIENT_OPTS_INIT { NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL }

struct sk_aws_error {
	long http_status;  /* 0 when no HTTP answer arrived */
	char code[128];    /* "DBSnapshotNotFound"; "" for transport errors */
	char message[512];
	char request_id[128];
	bool retryable;
	bool throttled;
	int attempts;
};

struct sk_aws_response {
	xmlDocPtr doc;
	xmlNodePtr result; /* <ActionResult>, or the root when there is none */
	char request_id[128];
	int attempts;
};

#define SK_AWS_RESPONSE_INIT { NULL, NULL, "", 0 }

struct sk_aws_client;

int sk_aws_client_new(struct sk_aws_client **out, const struct sk_aws_client_opts *opts);
void sk_aws_client_free(struct sk_aws_client *c);
const struct sk_aws_config *sk_aws_client_config(const struct sk_aws_client *c);
struct sk_credentials_provider *sk_aws_client_credentials(const struct sk_aws_client *c);

/*
 * 0 on success (free out with sk_aws_response_free).  On failure: SK_ERROR
 * with class SK_ERR_AWS (AWS answered with an error; err filled),
 * SK_ERR_HTTP (no answer after every attempt), SK_ERR_XML (an answer we
 * cannot read), SK_ERR_CREDENTIALS, or SK_EINTERRUPTED when cancelled.  The
 * message reads "rds CreateDBSnapshot in us-east-1: SnapshotQuotaExceeded:
 * Cannot create more than 100 manual snapshots (HTTP 400, RequestId ...)".
 * err may be NULL.
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
 * held at a time.  item() returning non-zero stops and is returned.
 */
typedef int (*sk_aws_item_cb)(void *ud, xmlNodePtr item);
int sk_aws_paginate(struct sk_aws_client *c, const char *service, const char *region, const char *action,
		    const struct sk_query *params, int page_size, const char *list, const char *item_name,
		    sk_aws_item_cb item, void *ud, struct sk_aws_error *err);

/* the API version the Query protocol wants for a service, or NULL */
const char *sk_aws_service_version(const char *service);

/* classification, exposed for tests */
bool sk_aws_code_is_throttle(const char *code);
bool sk_aws_is_retryable(long http_status, const char *code);
/* full jitter: a delay in [0, min(max, base * 2^(attempt-1))] ms drawn from r */
long sk_aws_backoff_ms(int attempt, int base_ms, int max_ms, uint64_t r);
/* reads an <ErrorResponse> (or <Response><Errors>) body into err; 0 if it was one */
int sk_aws_parse_error(struct sk_aws_error *err, const char *body, size_t len);

#endif
