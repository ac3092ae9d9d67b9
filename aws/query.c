/*
 * query.c - AWS Query protocol parameters
 */
#include "aws/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/array.h"
#include "common/error.h"

void sk_query_init(struct sk_query *q)
{
	q->items = NULL;
	q->n = q->cap = 0;
}

static void param_free(struct sk_query_param *p)
{
	free(p->name);
	free(p->value);
}

void sk_query_free(struct sk_query *q)
{
	if (q)
		SK_ARRAY_CLEAR(q->items, q->n, q->cap, param_free);
}

int sk_query_add(struct sk_query *q, const char *name, const char *value)
{
	struct sk_query_param *p;

	if (SK_ARRAY_GROW(q->items, q->cap, q->n + 1) < 0)
		return -1;
	p = &q->items[q->n];
	p->name = strdup(name);
	p->value = strdup(value ? value : "");
	if (!p->name || !p->value) {
		free(p->name);
		free(p->value);
		return sk_error_set_oom();
	}
	q->n++;
	return 0;
}

/* adds value under a name printed by sk_buf_strfmt() (NULL: that failed), which it frees */
static int add_named(struct sk_query *q, char *name, const char *value)
{
	int rc;

	if (!name)
		return -1;
	rc = sk_query_add(q, name, value);
	free(name);
	return rc;
}

int sk_query_add_int(struct sk_query *q, const char *name, long long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", value);
	return sk_query_add(q, name, buf);
}

int sk_query_add_bool(struct sk_query *q, const char *name, bool value)
{
	return sk_query_add(q, name, value ? "true" : "false");
}

int sk_query_add_list(struct sk_query *q, const char *prefix, const char *member, const char *const *values,
		      size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = add_named(q, sk_buf_strfmt("%s.%s.%zu", prefix, member, i + 1), values[i]);
	return rc;
}

int sk_query_add_tags(struct sk_query *q, const char *prefix, const char *member, const struct sk_aws_tag *tags,
		      size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		rc = add_named(q, sk_buf_strfmt("%s.%s.%zu.Key", prefix, member, i + 1), tags[i].key);
		if (rc == 0)
			rc = add_named(q, sk_buf_strfmt("%s.%s.%zu.Value", prefix, member, i + 1), tags[i].value);
	}
	return rc;
}

int sk_query_add_filter(struct sk_query *q, size_t index, const char *name, const char *const *values, size_t n)
{
	char *prefix;
	int rc;

	rc = add_named(q, sk_buf_strfmt("Filters.Filter.%zu.Name", index), name);
	if (rc < 0)
		return rc;
	prefix = sk_buf_strfmt("Filters.Filter.%zu.Values", index);
	if (!prefix)
		return -1;
	rc = sk_query_add_list(q, prefix, "Value", values, n);
	free(prefix);
	return rc;
}

const char *sk_query_get(const struct sk_query *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (!strcmp(q->items[i].name, name))
			return q->items[i].value;
	return NULL;
}

int sk_query_escape(struct sk_buf *out, const char *s, size_t len)
{
	char *e;
	int rc;

	if (len > (size_t)0x7fffffff)
		return sk_error_set(SK_ERR_INVALID, "parameter too long to encode");
	if (len == 0)
		return sk_buf_add(out, "", 0);
	/* curl_easy_escape keeps exactly RFC 3986's unreserved set and takes no handle state */
	e = curl_easy_escape(NULL, s, (int)len);
	if (!e)
		return sk_error_set_oom();
	rc = sk_buf_adds(out, e);
	curl_free(e);
	return rc;
}

int sk_query_encode(const struct sk_query *q, struct sk_buf *out)
{
	size_t i;

	sk_buf_reset(out);
	if (sk_buf_add(out, "", 0) < 0)
		return -1;
	for (i = 0; i < q->n; i++) {
		if ((i && sk_buf_addc(out, '&') < 0) ||
		    sk_query_escape(out, q->items[i].name, strlen(q->items[i].name)) < 0 ||
		    sk_buf_addc(out, '=') < 0 ||
		    sk_query_escape(out, q->items[i].value, strlen(q->items[i].value)) < 0)
			return -1;
	}
	return 0;
}
