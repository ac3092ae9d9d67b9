/*
 * answer.c - what an AWS answer is: the action's response, an AWS error, or
 * something else (an HTML page, an empty body, another action's answer)
 */
#include "aws/answer.h"

#include <stdio.h>
#include <string.h>

#include "aws/client.h"
#include "aws/xml.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/utf8.h"

bool sk_aws_code_is_throttle(const char *code)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
		"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
		"SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
	};
	size_t i;

	if (!code)
		return false;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(code, codes[i]))
			return true;
	return false;
}

bool sk_aws_is_retryable(long status, const char *code)
{
	static const char *const transient[] = {
		"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
		"ServiceUnavailable", "IDPCommunicationError",
	};
	size_t i;

	if (status == 0)
		return true; /* no answer: connection refused, reset, timeout */
	if (sk_aws_code_is_throttle(code))
		return true;
	if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504)
		return true;
	if (code)
		for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
			if (!strcmp(code, transient[i]))
				return true;
	return false;
}

bool sk_aws_error_maybe_made(const struct sk_aws_error *err)
{
	if (err->attempts <= 0)
		return false; /* never sent */
	return err->attempts > 1 || err->http_status == 0 || err->http_status >= 500 ||
	       !strcmp(err->code, SK_AWS_CODE_UNEXPECTED);
}

/* cut at a whole UTF-8 character: the journal records these fields as JSON strings */
static void copy_text(char *dst, size_t dstlen, const char *src)
{
	sk_utf8_copy(dst, dstlen, src);
}

/* the same, with control characters as spaces: AWS's text goes into one-line messages */
static void copy_line(char *dst, size_t dstlen, const char *src)
{
	char *p;

	copy_text(dst, dstlen, src);
	for (p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

int sk_aws_parse_error(struct sk_aws_error *err, const char *body, size_t len)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, e;
	struct sk_xml_scratch s = SK_XML_SCRATCH_INIT;
	struct sk_error saved = *sk_error_last();
	int rc = SK_ENOTFOUND;

	if (!body || !len || sk_xml_parse(&doc, body, len, "error answer") < 0) {
		/* not XML: keep the caller's error, not the parser's */
		sk_error_set(saved.klass, "%s", saved.message);
		return SK_ENOTFOUND;
	}
	root = xmlDocGetRootElement(doc);
	if (sk_xml_is(root, "ErrorResponse"))
		e = sk_xml_child(root, "Error");
	else if (sk_xml_is(root, "Response"))
		e = sk_xml_path(root, "Errors/Error");
	else if (sk_xml_is(root, "Error"))
		e = root;
	else
		e = NULL;
	if (e) {
		copy_line(err->code, sizeof(err->code), sk_xml_child_text(e, "Code", &s));
		copy_line(err->message, sizeof(err->message), sk_xml_child_text(e, "Message", &s));
		copy_line(err->request_id, sizeof(err->request_id), sk_xml_child_text(root, "RequestId", &s));
		if (!err->request_id[0])
			copy_line(err->request_id, sizeof(err->request_id), sk_xml_child_text(root, "RequestID", &s));
		rc = err->code[0] ? 0 : SK_ENOTFOUND;
	}
	sk_xml_scratch_free(&s);
	sk_xml_free(doc);
	return rc;
}

/* ---- what an answer is ---- */

#define EXCERPT_BYTES 120

/* a case-insensitive search in the first len bytes of s */
static const char *find_nocase(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i, j;

	for (i = 0; n <= len && i <= len - n; i++) {
		for (j = 0; j < n; j++) {
			char a = s[i + j], b = needle[j];
			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (a != b)
				break;
		}
		if (j == n)
			return s + i;
	}
	return NULL;
}

/*
 * Up to max bytes of text for a message: printable ASCII as is, the rest
 * escaped (\n, \t, \xNN, \", \\), cut before anything that may be a
 * credential (an STS answer's keys, a login page's token field).
 */
static void escape_excerpt(struct sk_buf *out, const char *text, size_t len, size_t max)
{
	static const char *const secretish[] = { "secret", "token", "credential", "password", "accesskey",
						 "signature", "authorization" };
	size_t n = len < max ? len : max, window = len < max + 16 ? len : max + 16, i;
	bool cut = n < len;

	/* a word that starts in the excerpt and ends past it counts too */
	for (i = 0; i < sizeof(secretish) / sizeof(secretish[0]); i++) {
		const char *at = find_nocase(text, window, secretish[i]);
		if (at && (size_t)(at - text) < n) {
			n = (size_t)(at - text);
			cut = true;
		}
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '"' || ch == '\\')
			sk_buf_printf(out, "\\%c", ch);
		else if (ch == '\n')
			sk_buf_adds(out, "\\n");
		else if (ch == '\r')
			sk_buf_adds(out, "\\r");
		else if (ch == '\t')
			sk_buf_adds(out, "\\t");
		else if (ch < 0x20 || ch > 0x7e)
			sk_buf_printf(out, "\\x%02x", ch);
		else
			sk_buf_addc(out, (char)ch);
	}
	if (cut)
		sk_buf_adds(out, "...");
}

static void set_unexpected(struct sk_aws_error *err, const struct sk_aws_answer *a, const char *problem,
			   const char *xmlns)
{
	struct sk_buf m = SK_BUF_INIT;
	bool ok_status = a->status >= 200 && a->status < 300;

	copy_text(err->code, sizeof(err->code), SK_AWS_CODE_UNEXPECTED);
	err->throttled = a->status == 429;
	err->retryable = !ok_status && sk_aws_is_retryable(a->status, NULL);
	sk_buf_printf(&m, "unexpected answer from %s (HTTP %ld, ", a->host ? a->host : "the endpoint", a->status);
	if (a->content_type && *a->content_type) {
		sk_buf_adds(&m, "Content-Type ");
		escape_excerpt(&m, a->content_type, strlen(a->content_type), 80);
	} else {
		sk_buf_adds(&m, "no Content-Type");
	}
	sk_buf_printf(&m, ", %zu bytes): %s", a->len, problem);
	if (ok_status)
		sk_buf_printf(&m, ", expected <%sResponse> in %s", a->action ? a->action : "",
			      xmlns ? xmlns : "the service's namespace");
	if (a->len) {
		sk_buf_adds(&m, ": \"");
		escape_excerpt(&m, a->body, a->len, EXCERPT_BYTES);
		sk_buf_adds(&m, "\"");
	}
	if (ok_status)
		sk_buf_adds(&m, "; not retried: the same endpoint would answer the same (a captive portal, a proxy or a wrong "
			    "endpoint?)");
	else if (!err->retryable)
		sk_buf_adds(&m, "; not retried");
	copy_text(err->message, sizeof(err->message), m.ptr ? m.ptr : problem);
	sk_buf_free(&m);
	sk_error_set(SK_ERR_RESPONSE, "%s", err->message);
}

int sk_aws_classify_response(struct sk_aws_response *out, struct sk_aws_error *err, const struct sk_aws_answer *a)
{
	const char *xmlns = sk_aws_service_namespace(a->service);
	char want[160], problem[512];
	struct sk_xml_scratch s = SK_XML_SCRATCH_INIT;
	struct sk_error saved;
	xmlNodePtr root;
	const char *rid, *ns;
	int rc = SK_ERROR;

	out->doc = NULL;
	out->root = NULL;
	out->result = NULL;
	out->request_id[0] = '\0';
	copy_text(out->host, sizeof(out->host), a->host);
	err->http_status = a->status;
	err->code[0] = err->message[0] = '\0';
	err->retryable = err->throttled = false;
	if (a->request_id)
		copy_line(err->request_id, sizeof(err->request_id), a->request_id);

	if (a->status < 200 || a->status >= 300) {
		saved = *sk_error_last();
		if (sk_aws_parse_error(err, a->body, a->len) == 0) {
			if (!err->request_id[0] && a->request_id)
				copy_line(err->request_id, sizeof(err->request_id), a->request_id);
			err->throttled = sk_aws_code_is_throttle(err->code) || a->status == 429;
			err->retryable = sk_aws_is_retryable(a->status, err->code);
			return sk_error_set(SK_ERR_AWS, "%s: %s (HTTP %ld, RequestId %s)", err->code,
					    err->message[0] ? err->message : "no message", a->status,
					    err->request_id[0] ? err->request_id : "none");
		}
		sk_error_set(saved.klass, "%s", saved.message);
		err->code[0] = err->message[0] = '\0';
		set_unexpected(err, a, !a->len ? "an empty body where an AWS error was expected" : "not an AWS error",
			       xmlns);
		return SK_ERROR;
	}

	snprintf(want, sizeof(want), "%sResponse", a->action ? a->action : "");
	if (!a->len) {
		set_unexpected(err, a, "an empty body", xmlns);
		return SK_ERROR;
	}
	if (sk_xml_parse(&out->doc, a->body, a->len, "answer") < 0) {
		set_unexpected(err, a, "not XML", xmlns);
		return SK_ERROR;
	}
	root = xmlDocGetRootElement(out->doc);
	ns = root && root->ns && root->ns->href ? (const char *)root->ns->href : NULL;
	if (!sk_xml_is(root, want)) {
		snprintf(problem, sizeof(problem), "root element <%.100s>",
			 root && root->name ? (const char *)root->name : "");
		set_unexpected(err, a, problem, xmlns);
		goto done;
	}
	if (!xmlns || !ns || strcmp(ns, xmlns)) {
		struct sk_buf b = SK_BUF_INIT;
		if (ns) {
			sk_buf_printf(&b, "<%s> in namespace ", want);
			escape_excerpt(&b, ns, strlen(ns), 100);
		} else {
			sk_buf_printf(&b, "<%s> without a namespace", want);
		}
		set_unexpected(err, a, b.ptr ? b.ptr : "a wrong namespace", xmlns);
		sk_buf_free(&b);
		goto done;
	}
	rid = sk_xml_text(sk_xml_path(root, "ResponseMetadata/RequestId"), &s);
	if (!rid || !*rid) {
		snprintf(problem, sizeof(problem), "<%s> without a RequestId", want);
		set_unexpected(err, a, problem, xmlns);
		goto done;
	}
	copy_line(out->request_id, sizeof(out->request_id), rid);
	copy_line(err->request_id, sizeof(err->request_id), rid);
	out->root = root;
	snprintf(want, sizeof(want), "%sResult", a->action);
	out->result = sk_xml_child(root, want);
	rc = 0;
done:
	sk_xml_scratch_free(&s);
	if (rc != 0)
		sk_aws_response_free(out);
	return rc;
}

void sk_aws_response_free(struct sk_aws_response *r)
{
	if (!r)
		return;
	sk_xml_free(r->doc);
	r->doc = NULL;
	r->root = NULL;
	r->result = NULL;
}
