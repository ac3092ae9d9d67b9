/*
 * arn.c - Amazon Resource Names: one parser, one writer, and the partition
 * of a region
 */
#include "aws/arn.h"

#include <string.h>

static const struct {
	const char *name;
	const char *region_prefix;
	const char *dns_suffix;
} partitions[] = {
	{ "aws-cn", "cn-", "amazonaws.com.cn" },
	{ "aws-us-gov", "us-gov-", "amazonaws.com" },
	{ "aws-iso", "us-iso-", "c2s.ic.gov" },
	{ "aws-iso-b", "us-isob-", "sc2s.sgov.gov" },
	{ "aws-iso-e", "eu-isoe-", "cloud.adc-e.uk" },
	{ "aws-iso-f", "us-isof-", "csp.hci.ic.gov" },
	{ "aws-eusc", "eusc-", "amazonaws.eu" },
};

#define N_PARTITIONS (sizeof(partitions) / sizeof(partitions[0]))

/* the index of the region's partition, or N_PARTITIONS for "aws" */
static size_t partition_of(const char *region)
{
	size_t i;

	for (i = 0; region && i < N_PARTITIONS; i++)
		if (!strncmp(region, partitions[i].region_prefix, strlen(partitions[i].region_prefix)))
			return i;
	return N_PARTITIONS;
}

const char *sk_arn_partition(const char *region)
{
	size_t i = partition_of(region);

	return i < N_PARTITIONS ? partitions[i].name : "aws";
}

const char *sk_arn_dns_suffix(const char *region)
{
	size_t i = partition_of(region);

	return i < N_PARTITIONS ? partitions[i].dns_suffix : "amazonaws.com";
}

/* the text up to the next ':' into *part; false when there is none */
static bool field(const char **s, struct sk_arn_part *part)
{
	const char *end = strchr(*s, ':');

	if (!end)
		return false;
	part->ptr = *s;
	part->len = (size_t)(end - *s);
	*s = end + 1;
	return true;
}

int sk_arn_parse(struct sk_arn *out, const char *s)
{
	struct sk_arn a;
	const char *cut, *slash;
	size_t n;

	/* every field of a is set before it is copied out: this runs once per snapshot in a plan */
	if (!s || strncmp(s, "arn:", 4))
		goto bad;
	s += 4;
	if (!field(&s, &a.partition) || !field(&s, &a.service) || !field(&s, &a.region) || !field(&s, &a.account))
		goto bad;
	n = strlen(s);
	if (!a.partition.len || !a.service.len || !n)
		goto bad;
	a.resource.ptr = s;
	a.resource.len = n;
	/* the type ends at the first ':' or '/' */
	cut = memchr(s, ':', n);
	slash = memchr(s, '/', cut ? (size_t)(cut - s) : n);
	if (slash)
		cut = slash;
	if (cut == s)
		goto bad; /* ":x" or "/x": a type that is empty */
	if (cut) {
		a.resource_type.ptr = s;
		a.resource_type.len = (size_t)(cut - s);
		a.sep = *cut;
		a.resource_id.ptr = cut + 1;
		a.resource_id.len = n - a.resource_type.len - 1;
	} else {
		a.resource_type.ptr = s;
		a.resource_type.len = 0;
		a.sep = '\0';
		a.resource_id = a.resource;
	}
	*out = a;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

bool sk_arn_part_is(struct sk_arn_part p, const char *s)
{
	return s && strlen(s) == p.len && (!p.len || !memcmp(p.ptr, s, p.len));
}

int sk_arn_part_copy(char *out, size_t len, struct sk_arn_part p)
{
	if (!len)
		return -1;
	if (p.len >= len) {
		out[0] = '\0';
		return -1;
	}
	if (p.len)
		memcpy(out, p.ptr, p.len);
	out[p.len] = '\0';
	return 0;
}

static bool holds_sep(struct sk_arn_part p)
{
	return (p.len && memchr(p.ptr, ':', p.len)) || (p.len && memchr(p.ptr, '/', p.len));
}

/* appends p to out[*at..len), keeping room for the NUL; false when it does not fit */
static bool append(char *out, size_t len, size_t *at, const char *p, size_t n)
{
	if (n >= len - *at)
		return false;
	if (n)
		memcpy(out + *at, p, n);
	*at += n;
	return true;
}

int sk_arn_format(char *out, size_t len, const struct sk_arn *a)
{
	const struct sk_arn_part *fields[] = { &a->partition, &a->service, &a->region, &a->account };
	char sep = a->sep;
	bool typed = sep != '\0';
	size_t at = 0, i;

	if (!len)
		return -1;
	out[0] = '\0';
	/* what sk_arn_parse() would not read back the same */
	if (!a->partition.len || !a->service.len || (typed && (sep != ':' && sep != '/')) ||
	    (typed && !a->resource_type.len) || (!typed && (a->resource_type.len || !a->resource_id.len)))
		return -1;
	for (i = 0; i < 4; i++)
		if (memchr(fields[i]->ptr ? fields[i]->ptr : "", ':', fields[i]->len))
			return -1;
	if (holds_sep(a->resource_type) || (!typed && holds_sep(a->resource_id)))
		return -1;
	if (!append(out, len, &at, "arn", 3))
		goto too_long;
	for (i = 0; i < 4; i++)
		if (!append(out, len, &at, ":", 1) || !append(out, len, &at, fields[i]->ptr, fields[i]->len))
			goto too_long;
	if (!append(out, len, &at, ":", 1) ||
	    (typed && (!append(out, len, &at, a->resource_type.ptr, a->resource_type.len) ||
		       !append(out, len, &at, &sep, 1))) ||
	    !append(out, len, &at, a->resource_id.ptr, a->resource_id.len))
		goto too_long;
	out[at] = '\0';
	return 0;
too_long:
	out[0] = '\0';
	return -1;
}
