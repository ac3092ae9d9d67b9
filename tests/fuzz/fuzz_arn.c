/*
 * fuzz_arn.c - the ARN reader and writer on any input
 *
 * Each input is read as an ARN (it holds no NUL past its length: the
 * reader takes C strings, as its callers have them); what is read must lie
 * inside the input, split it without losing a byte, and be written back
 * exactly as it was.  The input is also taken as a region: its partition
 * and DNS suffix are always one of the known ones.  Seeds: corpus/arn/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"

static int inside(struct sk_arn_part p, const char *s, size_t n)
{
	return p.len == 0 || (p.ptr >= s && p.ptr + p.len <= s + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *back = malloc(size + 2);
	struct sk_arn a, again;
	size_t n;

	if (!s || !back)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	if (sk_arn_parse(&a, s) == 0) {
		if (!inside(a.partition, s, n) || !inside(a.service, s, n) || !inside(a.region, s, n) ||
		    !inside(a.account, s, n) || !inside(a.resource, s, n) || !inside(a.resource_type, s, n) ||
		    !inside(a.resource_id, s, n) || !a.partition.len || !a.service.len || !a.resource.len)
			abort();
		if (a.resource.ptr + a.resource.len != s + n || a.resource_id.ptr + a.resource_id.len != s + n)
			abort();
		if (a.resource_type.len + (a.sep ? 1 : 0) + a.resource_id.len != a.resource.len)
			abort();
		/* what was read is written back byte for byte, and reads the same */
		if (sk_arn_format(back, n + 1, &a) != 0 || strcmp(back, s))
			abort();
		if (sk_arn_parse(&again, back) != 0 || again.sep != a.sep || again.resource_id.len != a.resource_id.len)
			abort();
		/* one byte short: refused, and nothing half-written */
		if (sk_arn_format(back, n, &a) != -1 || back[0])
			abort();
	}
	{
		const char *part = sk_arn_partition(s), *dns = sk_arn_dns_suffix(s);
		if (strncmp(part, "aws", 3) || !*dns)
			abort();
	}
	free(back);
	free(s);
	return 0;
}
