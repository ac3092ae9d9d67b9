/*
 * answer.h - what an AWS answer is: the action's response, an AWS error, or
 * something else
 *
 * sk_aws_call() (client.h) hands every HTTP answer to
 * sk_aws_classify_response(): the action's response becomes a struct
 * sk_aws_response, anything else a struct sk_aws_error that says whether
 * the call is worth retrying and whether it may have been made.
 */
#ifndef SK_ANSWER_H
#define SK_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "common/error.h"

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

void sk_aws_response_free(struct sk_aws_response *r);

/*
 * Was a call that failed with err perhaps made all the same?  When no
 * answer came (the connection failed, or AWS answered 5xx), when an
 * earlier attempt's answer was lost before a retry, or when something other
 * than AWS answered (a proxy may have passed the call on), AWS may have made
 * the change: the caller journals such a call "unknown", for the next run to
 * resolve against live state.  false for a call never sent.
 */
bool sk_aws_error_maybe_made(const struct sk_aws_error *err);

/* classification (exposed for tests) */
bool sk_aws_code_is_throttle(const char *code);
bool sk_aws_is_retryable(long http_status, const char *code);
/* reads an <ErrorResponse> (or <Response><Errors>) body into err; 0 if it was one */
int sk_aws_parse_error(struct sk_aws_error *err, const char *body, size_t len);

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

#endif
