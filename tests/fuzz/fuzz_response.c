/*
 * fuzz_response.c - sk_aws_classify_response on any answer
 *
 * An input is one HTTP answer: its first byte picks the status, its second
 * the service and action, then comes a Content-Type line ending in '\n',
 * then the body.  Whatever it is, the classifier must either accept it as
 * the action's answer (2xx, <ActionResponse> in the service's namespace,
 * a RequestId) or refuse it with one line: no control characters, a body
 * excerpt of at most 120 bytes that never reaches a word that may precede a
 * credential (secret, token, ...), and a 2xx refusal never retryable.
 * Seeds: corpus/response/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "aws/client.h"
#include "common/error.h"

static const long statuses[] = { 200, 200, 200, 204, 302, 400, 403, 404, 407, 429, 500, 502, 503, 504 };
static const struct {
	const char *service;
	const char *action;
} calls[] = {
	{ "rds", "DescribeDBInstances" },
	{ "rds", "DescribeDBSnapshots" },
	{ "rds", "DescribeDBInstanceAutomatedBackups" },
	{ "rds", "CreateDBSnapshot" },
	{ "sns", "Publish" },
	{ "monitoring", "PutMetricData" },
	{ "sts", "GetCallerIdentity" },
	{ "sts", "AssumeRoleWithWebIdentity" },
};

static int has_word_nocase(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w), i, j;

	for (i = 0; i + n <= len; i++) {
		for (j = 0; j < n; j++) {
			char c = s[i + j];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != w[j])
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * The quoted body excerpt of a refusal (the first unescaped '"' after
 * "bytes)" to the next), read back to the body's bytes: at most 120 of
 * them ("..." when cut), and none of the words that may precede a
 * credential.  The words are looked for in the bytes, not in the escaped
 * text, where an escape's last digit can join the letters after it
 * ("\xaa" + "ccessKey").
 */
static void check_excerpt(const char *m)
{
	static const char *const words[] = { "secret", "token", "credential", "password", "accesskey",
					     "signature", "authorization" };
	const char *p = strstr(m, "bytes)"), *open = NULL, *close = NULL;
	char raw[256];
	size_t n = 0, i;

	if (!p)
		abort();
	for (; *p; p++) {
		char c = *p;

		if (*p == '\\' && p[1]) {
			/* \n, \r, \t, \", \\ or \xNN: one byte of the body */
			p++;
			if (*p == 'x' && hex(p[1]) >= 0 && hex(p[2]) >= 0) {
				c = (char)(hex(p[1]) * 16 + hex(p[2]));
				p += 2;
			} else {
				c = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p;
			}
		} else if (*p == '"') {
			if (!open) {
				open = p;
				continue;
			}
			close = p;
			break;
		}
		if (open) {
			if (n == sizeof(raw))
				abort();
			raw[n++] = c;
		}
	}
	if (!open)
		return; /* an empty body: no excerpt */
	if (!close)
		abort();
	if (n > 120 + 3)
		abort();
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (has_word_nocase(raw, n, words[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	struct sk_aws_response r = SK_AWS_RESPONSE_INIT;
	struct sk_aws_error e;
	struct sk_aws_answer a;
	char ctype[128];
	const char *m, *nl;
	size_t off = 2, n;
	int rc;

	if (!initialised) {
		xmlInitParser();
		initialised = 1;
	}
	if (size < 2)
		return 0;
	memset(&a, 0, sizeof(a));
	a.status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	a.service = calls[data[1] % (sizeof(calls) / sizeof(calls[0]))].service;
	a.action = calls[data[1] % (sizeof(calls) / sizeof(calls[0]))].action;
	a.host = "endpoint.example:443";
	nl = memchr(data + off, '\n', size - off);
	n = nl ? (size_t)(nl - (const char *)(data + off)) : 0;
	if (n >= sizeof(ctype))
		n = sizeof(ctype) - 1;
	memcpy(ctype, data + off, n);
	ctype[n] = '\0';
	a.content_type = n && !memchr(ctype, '\0', n) ? ctype : NULL;
	off = nl ? (size_t)(nl - (const char *)data) + 1 : off;
	a.body = (const char *)data + off;
	a.len = size - off;

	memset(&e, 0, sizeof(e));
	rc = sk_aws_classify_response(&r, &e, &a);
	if (rc == 0) {
		if (a.status < 200 || a.status >= 300 || !r.doc || !r.root || !r.request_id[0])
			abort();
		if (strncmp((const char *)r.root->name, a.action, strlen(a.action)) ||
		    strcmp((const char *)r.root->name + strlen(a.action), "Response"))
			abort();
		sk_aws_response_free(&r);
		return 0;
	}
	if (rc != SK_ERROR || r.doc || r.result || !e.code[0])
		abort();
	m = sk_error_message();
	for (n = 0; m[n]; n++)
		if ((unsigned char)m[n] < 0x20 || m[n] == 0x7f)
			abort();
	if (sk_error_last()->klass == SK_ERR_RESPONSE) {
		if (strcmp(e.code, SK_AWS_CODE_UNEXPECTED) || strcmp(m, e.message))
			abort();
		if (a.status >= 200 && a.status < 300 && e.retryable)
			abort();
		check_excerpt(m);
	} else if (sk_error_last()->klass != SK_ERR_AWS || (a.status >= 200 && a.status < 300)) {
		abort();
	}
	return 0;
}
