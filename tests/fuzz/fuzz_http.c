/*
 * fuzz_http.c - the header lines of any answer
 *
 * An endpoint (or whatever answers in its place) chooses the header lines
 * curl hands us; sk_http_response_header finds Content-Type and the
 * request id in them, which the client cuts into fixed buffers (as
 * aws/client.c does) and gives to the classifier, whose messages quote
 * them.  The input is the header block.  A value found lies inside its
 * line, trimmed, after a key equal to the name asked for; a value not found
 * is on no line; and what the classifier then says is one line.
 * Seeds: corpus/http/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#include "aws/client.h"
#include "aws/http.h"
#include "common/buf.h"
#include "common/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* does some line of h have the key name (before its first ':', trimmed)? */
static int has_key(const char *h, size_t len, const char *name)
{
	size_t start = 0, n = strlen(name);

	while (start < len) {
		const char *line = h + start, *nl = memchr(line, '\n', len - start), *colon;
		size_t ll = nl ? (size_t)(nl - line) : len - start, a = 0, b;

		colon = memchr(line, ':', ll);
		if (colon) {
			b = (size_t)(colon - line);
			while (a < b && space(line[a]))
				a++;
			while (b > a && space(line[b - 1]))
				b--;
			if (b - a == n && !strncasecmp(line + a, name, n))
				return 1;
		}
		start += ll + 1;
	}
	return 0;
}

static void check_line(const char *m)
{
	for (; *m; m++)
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			abort();
}

static void classify(const char *ctype, const char *rid, long status, const char *body)
{
	struct sk_aws_response r = SK_AWS_RESPONSE_INIT;
	struct sk_aws_error e;
	struct sk_aws_answer a;

	memset(&a, 0, sizeof(a));
	memset(&e, 0, sizeof(e));
	a.service = "rds";
	a.action = "DescribeDBSnapshots";
	a.host = "endpoint.example:443";
	a.status = status;
	a.content_type = ctype[0] ? ctype : NULL;
	a.request_id = rid[0] ? rid : NULL;
	a.body = body;
	a.len = strlen(body);
	if (sk_aws_classify_response(&r, &e, &a) == 0)
		abort(); /* neither body is an answer */
	check_line(sk_error_message());
	check_line(e.request_id);
	check_line(e.message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "Content-Type", "x-amzn-RequestId", "x-amz-request-id", "Retry-After" };
	static int initialised;
	struct sk_http_response resp = SK_HTTP_RESPONSE_INIT;
	struct sk_view v;
	char ctype[256] = "", rid[128] = "";
	size_t k;

	if (!initialised) {
		xmlInitParser();
		initialised = 1;
	}
	if (sk_buf_add(&resp.headers, data, size) < 0)
		return 0;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const char *h = sk_buf_cstr(&resp.headers);
		int found = sk_http_response_header(&resp, names[k], &v) == 0;

		if (found != has_key(h, size, names[k]))
			abort();
		if (!found)
			continue;
		if (v.len > size || v.ptr < h || v.ptr + v.len > h + size || memchr(v.ptr, '\n', v.len) ||
		    (v.len && (space(v.ptr[0]) || space(v.ptr[v.len - 1]))))
			abort();
	}
	/* as aws/client.c takes them */
	if (sk_http_response_header(&resp, "Content-Type", &v) == 0)
		snprintf(ctype, sizeof(ctype), "%.*s", (int)(v.len < 255 ? v.len : 255), v.ptr);
	if (sk_http_response_header(&resp, "x-amzn-RequestId", &v) == 0 ||
	    sk_http_response_header(&resp, "x-amz-request-id", &v) == 0)
		snprintf(rid, sizeof(rid), "%.*s", (int)(v.len < 127 ? v.len : 127), v.ptr);
	classify(ctype, rid, 503, "");
	classify(ctype, rid, 200, "<html><body>Sign in to continue</body></html>");
	classify(ctype, rid, 400,
		 "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>");
	sk_http_response_free(&resp);
	return 0;
}
