/*
 * sigv4-vectors.c - runs aws/sigv4.c over a folder of SigV4 test cases
 *
 *   sigv4-vectors [--tap] [--verbose] DIR
 *
 * DIR holds one folder per case in the layout of AWS's signing test suite
 * (as aws-c-auth ships it): request.txt (the raw HTTP request) and
 * context.json (credentials, region, service, time, switches) are the
 * input; {header,query}-{canonical-request,string-to-sign,signature,
 * signed-request}.txt the expected output.  For every case and for each
 * signing kind whose files are present, the canonical request, the string
 * to sign, the signature and the whole signed request must match byte for
 * byte.  Nothing here knows the cases by name.
 *
 * Prints "ok N - CASE header|query" lines under --tap, and ends with
 * "N passed, N failed"; exits 1 when anything failed or no case was found.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"

struct raw_header {
	char *name;
	char *value;      /* continuation lines joined with "\n" as they were */
	struct sk_buf raw; /* the header's lines exactly as in request.txt */
};

struct request {
	char *method;
	char *target; /* path?query as written */
	char *version;
	char *path;
	char *query;
	struct raw_header *headers;
	size_t n_headers;
	char *body;
	size_t body_len;
};

struct context {
	struct sk_credentials creds;
	char *region;
	char *service;
	int64_t time;
	int64_t expires;
	bool normalize;
	bool sign_body;
	bool omit_session_token;
};

static int verbose;

static int slurp(const char *dir, const char *name, struct sk_buf *out)
{
	char path[8192];
	FILE *f;
	char chunk[8192];
	size_t n;

	sk_buf_reset(out);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return SK_ENOTFOUND;
	if (sk_buf_add(out, "", 0) < 0) {
		fclose(f);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (sk_buf_add(out, chunk, n) < 0) {
			fclose(f);
			return -1;
		}
	fclose(f);
	return 0;
}

static void request_free(struct request *r)
{
	size_t i;

	free(r->method);
	free(r->target);
	free(r->version);
	free(r->path);
	free(r->query);
	for (i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
		sk_buf_free(&r->headers[i].raw);
	}
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* next line of text without its "\n" (a "\r" before it is kept out too); false at the end */
static bool next_line(struct sk_view *text, struct sk_view *line, bool *had_newline)
{
	if (!text->ptr || (!text->len && !*had_newline))
		return false;
	*had_newline = sk_view_split(text, '\n', line);
	if (line->len && line->ptr[line->len - 1] == '\r')
		line->len--;
	return line->len || *had_newline || text->len;
}

static int parse_request(struct request *r, const struct sk_buf *file)
{
	struct sk_view text = sk_view_from(file->ptr, file->len), line;
	const char *sp1, *sp2;
	bool nl = true, in_body = false;

	memset(r, 0, sizeof(*r));
	if (!next_line(&text, &line, &nl) || !line.len)
		return sk_error_set(SK_ERR_INVALID, "request.txt: no request line");
	/* METHOD SP target SP HTTP/x: the target may itself hold spaces */
	sp1 = memchr(line.ptr, ' ', line.len);
	sp2 = line.ptr + line.len;
	while (sp2 > line.ptr && sp2[-1] != ' ')
		sp2--;
	if (!sp1 || sp2 - 1 <= sp1)
		return sk_error_set(SK_ERR_INVALID, "request.txt: bad request line");
	r->method = sk_view_dup(sk_view_from(line.ptr, (size_t)(sp1 - line.ptr)));
	r->target = sk_view_dup(sk_view_from(sp1 + 1, (size_t)(sp2 - 1 - (sp1 + 1))));
	r->version = sk_view_dup(sk_view_from(sp2, (size_t)(line.ptr + line.len - sp2)));
	if (!r->method || !r->target || !r->version)
		return sk_error_set_oom();
	{
		struct sk_view t = sk_view_of(r->target), p;
		bool has_q = sk_view_split(&t, '?', &p);
		r->path = sk_view_dup(p);
		r->query = has_q ? sk_view_dup(t) : NULL;
		if (!r->path || (has_q && !r->query))
			return sk_error_set_oom();
	}
	while (!in_body && next_line(&text, &line, &nl)) {
		if (!line.len) {
			in_body = true;
			break;
		}
		if ((line.ptr[0] == ' ' || line.ptr[0] == '\t') && r->n_headers) {
			/* a folded continuation of the previous header */
			struct raw_header *h = &r->headers[r->n_headers - 1];
			size_t old = strlen(h->value);
			char *v = realloc(h->value, old + 1 + line.len + 1);
			if (!v)
				return sk_error_set_oom();
			v[old] = '\n';
			memcpy(v + old + 1, line.ptr, line.len);
			v[old + 1 + line.len] = '\0';
			h->value = v;
			if (sk_buf_addc(&h->raw, '\n') < 0 || sk_buf_add(&h->raw, line.ptr, line.len) < 0)
				return -1;
			continue;
		}
		{
			struct sk_view rest = line, name;
			struct raw_header *h;
			struct raw_header *p = realloc(r->headers, (r->n_headers + 1) * sizeof(*p));
			if (!p)
				return sk_error_set_oom();
			r->headers = p;
			h = &r->headers[r->n_headers++];
			memset(h, 0, sizeof(*h));
			sk_buf_init(&h->raw, 0);
			if (!sk_view_split(&rest, ':', &name))
				return sk_error_set(SK_ERR_INVALID, "request.txt: header line without ':'");
			h->name = sk_view_dup(name);
			h->value = sk_view_dup(rest);
			if (!h->name || !h->value || sk_buf_add(&h->raw, line.ptr, line.len) < 0)
				return sk_error_set_oom();
		}
	}
	if (in_body) {
		r->body_len = text.len;
		r->body = sk_view_dup(text);
		if (!r->body)
			return sk_error_set_oom();
	}
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool jbool(json_t *o, const char *key, bool dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void context_free(struct context *c)
{
	/* test data, not secrets: plain frees keep this tool to aws/sigv4.c */
	free(c->creds.access_key_id);
	free(c->creds.secret_access_key);
	free(c->creds.session_token);
	free(c->region);
	free(c->service);
	memset(c, 0, sizeof(*c));
}

static int parse_context(struct context *c, const struct sk_buf *file)
{
	json_error_t jerr;
	json_t *root = json_loadb(file->ptr, file->len, 0, &jerr), *cr;
	const char *ts;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (!root)
		return sk_error_set(SK_ERR_INVALID, "context.json:%d:%d: %s", jerr.line, jerr.column, jerr.text);
	cr = json_object_get(root, "credentials");
	c->creds.access_key_id = dup_or_null(jstr(cr, "access_key_id"));
	c->creds.secret_access_key = dup_or_null(jstr(cr, "secret_access_key"));
	c->creds.session_token = dup_or_null(jstr(cr, "token"));
	c->creds.source = "static";
	c->region = dup_or_null(jstr(root, "region"));
	c->service = dup_or_null(jstr(root, "service"));
	c->normalize = jbool(root, "normalize", true);
	c->sign_body = jbool(root, "sign_body", false);
	c->omit_session_token = jbool(root, "omit_session_token", false);
	c->expires = json_is_integer(json_object_get(root, "expiration_in_seconds"))
			     ? (int64_t)json_integer_value(json_object_get(root, "expiration_in_seconds"))
			     : 3600;
	ts = jstr(root, "timestamp");
	if (!c->creds.access_key_id || !c->creds.secret_access_key || !c->region || !c->service || !ts) {
		sk_error_set(SK_ERR_INVALID, "context.json: credentials, region, service or timestamp missing");
		goto done;
	}
	if (sk_time_parse_rfc3339(&c->time, ts) < 0)
		goto done;
	rc = 0;
done:
	json_decref(root);
	return rc;
}

/* the request as the signer's result says to send it */
static int signed_request(struct sk_buf *out, const struct request *r, const struct sk_sigv4_result *res, bool query)
{
	size_t i;

	sk_buf_reset(out);
	if (query) {
		if (sk_buf_printf(out, "%s %s?%s %s\n", r->method, r->path, res->query.ptr, r->version) < 0)
			return -1;
	} else if (sk_buf_printf(out, "%s %s %s\n", r->method, r->target, r->version) < 0) {
		return -1;
	}
	for (i = 0; i < r->n_headers; i++)
		if (sk_buf_add(out, r->headers[i].raw.ptr, r->headers[i].raw.len) < 0 || sk_buf_addc(out, '\n') < 0)
			return -1;
	for (i = 0; !query && i < res->n_add_headers; i++) {
		/* "Name: value" as handed to libcurl; the suite writes "Name:value" */
		const char *line = res->add_headers[i], *colon = strstr(line, ": ");
		if (!colon)
			return sk_error_set(SK_ERR_INVALID, "added header '%s' is not 'Name: value'", line);
		if (sk_buf_printf(out, "%.*s:%s\n", (int)(colon - line), line, colon + 2) < 0)
			return -1;
	}
	if (sk_buf_addc(out, '\n') < 0)
		return -1;
	return r->body_len ? sk_buf_add(out, r->body, r->body_len) : 0;
}

static void show_diff(const char *what, const char *want, const char *got)
{
	printf("#   %s differs\n#   want: ", what);
	for (; *want; want++)
		fputs(*want == '\n' ? "\\n\n#         " : (char[2]){ *want, 0 }, stdout);
	printf("\n#   got:  ");
	for (; *got; got++)
		fputs(*got == '\n' ? "\\n\n#         " : (char[2]){ *got, 0 }, stdout);
	printf("\n");
}

/* checks one signing kind of one case; returns 1 pass, 0 fail, -1 when the case has no files for it */
static int check(const char *dir, const struct request *r, const struct context *c, bool query, struct sk_buf *why)
{
	static const char *const parts[] = { "canonical-request", "string-to-sign", "signature", "signed-request" };
	const char *kind = query ? "query" : "header";
	struct sk_sigv4_header *hdrs = NULL;
	struct sk_sigv4_request req;
	struct sk_sigv4_params p = SK_SIGV4_PARAMS_INIT;
	struct sk_sigv4_result res;
	struct sk_buf want = SK_BUF_INIT, got = SK_BUF_INIT;
	char name[128];
	size_t i;
	int rc = 0, have = 0;

	sk_buf_reset(why);
	for (i = 0; i < 4; i++) {
		struct stat st;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s-%s.txt", dir, kind, parts[i]);
		have += stat(path, &st) == 0;
	}
	if (!have)
		return -1;
	sk_sigv4_result_init(&res);
	hdrs = calloc(r->n_headers ? r->n_headers : 1, sizeof(*hdrs));
	if (!hdrs) {
		sk_buf_printf(why, "out of memory");
		goto done;
	}
	for (i = 0; i < r->n_headers; i++) {
		hdrs[i].name = r->headers[i].name;
		hdrs[i].value = r->headers[i].value;
	}
	req.method = r->method;
	req.path = r->path;
	req.query = r->query;
	req.headers = hdrs;
	req.n_headers = r->n_headers;
	req.payload = r->body ? r->body : "";
	req.payload_len = r->body_len;
	p.region = c->region;
	p.service = c->service;
	p.time = c->time;
	p.creds = &c->creds;
	p.normalize = c->normalize;
	p.sign_body = c->sign_body;
	p.omit_session_token = c->omit_session_token;
	p.expires = c->expires;
	if ((query ? sk_sigv4_presign_query(&res, &req, &p) : sk_sigv4_sign_headers(&res, &req, &p)) < 0) {
		sk_buf_printf(why, "signing failed: %s", sk_error_message());
		goto done;
	}
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "%s-%s.txt", kind, parts[i]);
		if (slurp(dir, name, &want) != 0) {
			sk_buf_printf(why, "%s%s missing", why->len ? ", " : "", name);
			continue;
		}
		sk_buf_reset(&got);
		switch (i) {
		case 0:
			sk_buf_add(&got, res.canonical_request.ptr, res.canonical_request.len);
			break;
		case 1:
			sk_buf_add(&got, res.string_to_sign.ptr, res.string_to_sign.len);
			break;
		case 2:
			sk_buf_adds(&got, res.signature);
			/* the suite's signature files may end with a newline */
			while (want.len && (want.ptr[want.len - 1] == '\n' || want.ptr[want.len - 1] == '\r'))
				sk_buf_truncate(&want, want.len - 1);
			break;
		default:
			if (signed_request(&got, r, &res, query) < 0)
				sk_buf_printf(&got, "(cannot build: %s)", sk_error_message());
			break;
		}
		if (got.len != want.len || memcmp(got.ptr ? got.ptr : "", want.ptr, want.len)) {
			sk_buf_printf(why, "%s%s", why->len ? ", " : "", parts[i]);
			if (verbose)
				show_diff(name, want.ptr, sk_buf_cstr(&got));
		}
	}
	rc = why->len ? 0 : 1;
done:
	if (why->len)
		sk_buf_printf(why, "%s", rc ? "" : " differ");
	sk_sigv4_result_free(&res);
	sk_buf_free(&want);
	sk_buf_free(&got);
	free(hdrs);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	int tap = 0, i, passed = 0, failed = 0, n = 0;
	char **cases = NULL;
	size_t n_cases = 0, k;
	DIR *d;
	struct dirent *e;
	struct sk_buf file = SK_BUF_INIT, why = SK_BUF_INIT;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tap"))
			tap = 1;
		else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
			verbose = 1;
		else if (argv[i][0] == '-' || dir) {
			fprintf(stderr, "usage: sigv4-vectors [--tap] [--verbose] DIR\n");
			return 64;
		} else
			dir = argv[i];
	}
	if (!dir)
		dir = "../shared/testdata/sigv4";
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "sigv4-vectors: cannot open '%s'\n", dir);
		if (tap)
			printf("1..1\nnot ok 1 - cannot open %s\n", dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char path[8192];
		struct stat st;
		char **p;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/request.txt", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		p = realloc(cases, (n_cases + 1) * sizeof(*p));
		if (!p || !(p[n_cases] = strdup(e->d_name))) {
			fprintf(stderr, "sigv4-vectors: out of memory\n");
			return 1;
		}
		cases = p;
		n_cases++;
	}
	closedir(d);
	if (n_cases)
		qsort(cases, n_cases, sizeof(*cases), cmp_names);

	/* every case checks header and query signing unless a kind's files are absent */
	if (tap) {
		int plan = 0;
		for (k = 0; k < n_cases; k++) {
			char path[8192];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s/header-signature.txt", dir, cases[k]);
			plan += stat(path, &st) == 0;
			snprintf(path, sizeof(path), "%s/%s/query-signature.txt", dir, cases[k]);
			plan += stat(path, &st) == 0;
		}
		printf("1..%d\n", plan ? plan : 1);
	}
	for (k = 0; k < n_cases; k++) {
		char cdir[4096];
		struct request r;
		struct context c;
		int kind, res[2] = { -1, -1 };
		const char *err = NULL;
		char errbuf[512];

		snprintf(cdir, sizeof(cdir), "%s/%s", dir, cases[k]);
		memset(&r, 0, sizeof(r));
		memset(&c, 0, sizeof(c));
		if (slurp(cdir, "request.txt", &file) != 0 || parse_request(&r, &file) < 0) {
			snprintf(errbuf, sizeof(errbuf), "request.txt: %s", sk_error_message());
			err = errbuf;
		} else if (slurp(cdir, "context.json", &file) != 0 || parse_context(&c, &file) < 0) {
			snprintf(errbuf, sizeof(errbuf), "context.json: %s", sk_error_message());
			err = errbuf;
		}
		for (kind = 0; kind < 2; kind++) {
			const char *kname = kind ? "query" : "header";
			char path[8192];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s-signature.txt", cdir, kname);
			if (err) {
				if (stat(path, &st) != 0)
					continue;
				res[kind] = 0;
				sk_buf_reset(&why);
				sk_buf_adds(&why, err);
			} else {
				res[kind] = check(cdir, &r, &c, kind == 1, &why);
				if (res[kind] < 0)
					continue;
			}
			n++;
			if (res[kind]) {
				passed++;
				if (tap)
					printf("ok %d - %s %s\n", n, cases[k], kname);
			} else {
				failed++;
				if (tap)
					printf("not ok %d - %s %s\n# %s\n", n, cases[k], kname, why.ptr);
				else
					printf("FAIL %s %s: %s\n", cases[k], kname, why.ptr);
			}
		}
		request_free(&r);
		context_free(&c);
	}
	if (!n) {
		if (tap)
			printf("not ok 1 - no SigV4 cases in %s\n", dir);
		fprintf(stderr, "sigv4-vectors: no cases in '%s'\n", dir);
		failed = 1;
	}
	printf("%s%d passed, %d failed\n", tap ? "# " : "", passed, failed);
	for (k = 0; k < n_cases; k++)
		free(cases[k]);
	free(cases);
	sk_buf_free(&file);
	sk_buf_free(&why);
	return failed ? 1 : 0;
}
