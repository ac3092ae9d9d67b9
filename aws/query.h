/*
 * query.h - AWS Query protocol parameters
 *
 * An ordered list of name=value pairs with the Query protocol's list and map
 * shapes (Filters.Filter.1.Values.Value.1, Tags.Tag.1.Key), encoded as an
 * application/x-www-form-urlencoded body with libcurl's escaping.
 */
#ifndef SK_QUERY_H
#define SK_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct sk_aws_tag {
	const char *key;
	const char *value;
};

struct sk_query_param {
	char *name;
	char *value;
};

struct sk_query {
	struct sk_query_param *items;
	size_t n;
	size_t cap;
};

#define SK_QUERY_INIT { .items = NULL, .n = 0, .cap = 0 }

void sk_query_init(struct sk_query *q);
void sk_query_free(struct sk_query *q);
int sk_query_add(struct sk_query *q, const char *name, const char *value);
int sk_query_add_int(struct sk_query *q, const char *name, long long value);
int sk_query_add_bool(struct sk_query *q, const char *name, bool value);
/* prefix.member.1, prefix.member.2, ... (member is "member", "Value", ...) */
int sk_query_add_list(struct sk_query *q, const char *prefix, const char *member, const char *const *values,
		      size_t n);
/* prefix.member.N.Key / .Value: RDS "Tags"+"Tag", SNS "Tags"+"member" */
int sk_query_add_tags(struct sk_query *q, const char *prefix, const char *member, const struct sk_aws_tag *tags,
		      size_t n);
/* Filters.Filter.<index>.Name and Filters.Filter.<index>.Values.Value.N (index from 1) */
int sk_query_add_filter(struct sk_query *q, size_t index, const char *name, const char *const *values, size_t n);
/* the value of the first parameter with that name, or NULL */
const char *sk_query_get(const struct sk_query *q, const char *name);
/* name=value&... with RFC 3986 percent-encoding of names and values */
int sk_query_encode(const struct sk_query *q, struct sk_buf *out);
/* percent-encodes s (everything but A-Z a-z 0-9 - . _ ~) onto out */
int sk_query_escape(struct sk_buf *out, const char *s, size_t len);

#endif
