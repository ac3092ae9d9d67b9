/*
 * arn.h - Amazon Resource Names: one parser, one writer, and the partition
 * of a region
 *
 *   arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
 *
 * RESOURCE is "ID" (an SNS topic), "TYPE:ID" (an RDS db, snapshot,
 * cluster-snapshot or auto-backup) or "TYPE/ID" (a KMS key or alias); the
 * type ends at the first ':' or '/', so the ID may hold more of them (an
 * automated snapshot "snapshot:rds:db-2026-01-01-03-10", an alias
 * "alias/aws/rds").  REGION and ACCOUNT may be empty (IAM, S3); PARTITION,
 * SERVICE and RESOURCE may not.  Only the shape is checked, not whether
 * the service or partition exists.
 *
 * A leaf (libc only): specs/ uses it to check the ARNs a policy names, a
 * documented sideways dependency, as specs/ otherwise knows nothing of AWS.
 * Nothing allocates and nothing sets an error: the planner tests the ARNs
 * of a million snapshots with it, and callers that report say why.
 *
 * Partitions, from the AWS SDKs' partitions.json: aws-cn (cn-*),
 * aws-us-gov (us-gov-*), aws-iso (us-iso-*), aws-iso-b (us-isob-*),
 * aws-iso-e (eu-isoe-*), aws-iso-f (us-isof-*), aws-eusc (eusc-*), and aws
 * for every other region.
 */
#ifndef SK_ARN_H
#define SK_ARN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* a piece of the text parsed (pointer and length, not NUL-terminated) */
struct sk_arn_part {
	const char *ptr;
	size_t len;
};

struct sk_arn {
	struct sk_arn_part partition; /* "aws", "aws-cn", ... */
	struct sk_arn_part service;   /* "rds", "sns", "kms" */
	struct sk_arn_part region;    /* "us-east-1"; may be empty */
	struct sk_arn_part account;   /* "123456789012"; may be empty */
	struct sk_arn_part resource;  /* everything after the account */
	/* RESOURCE split at its first ':' or '/': the type is empty and sep '\0' for a bare ID */
	struct sk_arn_part resource_type; /* "db", "snapshot", "key", "alias" */
	char sep;                         /* ':' or '/' */
	struct sk_arn_part resource_id;   /* "prod-db", "rds:prod-db-2026-...", "aws/rds", a topic's name */
};

/*
 * Reads s into out, whose parts point into s (resource and resource_id
 * run to its end, so they are NUL-terminated).  0, or -1 when s is not an
 * ARN (out is zeroed): not "arn:" and five ':', an empty partition, service
 * or resource, or a resource that starts with ':' or '/'.
 */
int sk_arn_parse(struct sk_arn *out, const char *s);

/* whether p is exactly the C string s */
bool sk_arn_part_is(struct sk_arn_part p, const char *s);
/* p into out as a C string; -1 when it does not fit (out is "" then, if len > 0) */
int sk_arn_part_copy(char *out, size_t len, struct sk_arn_part p);

/* a part for building from a C string (NULL: empty) */
static inline struct sk_arn_part sk_arn_str(const char *s)
{
	struct sk_arn_part p = { s ? s : "", s ? strlen(s) : 0 };
	return p;
}

/*
 * Writes "arn:PARTITION:SERVICE:REGION:ACCOUNT:TYPE<sep>ID" (":ID" when the
 * type is empty) from an sk_arn's parts into out; its resource field is not
 * read; sep '\0' means no type.  -1, with out "" (when len > 0), when it
 * does not fit or when sk_arn_parse() would not read the same parts back:
 * an empty partition or service, a ':' in the first four parts, a sep other
 * than ':' or '/' with an empty type or one holding ':' or '/', no sep with
 * a type or with an ID that is empty or holds ':' or '/'.
 */
int sk_arn_format(char *out, size_t len, const struct sk_arn *arn);

/* the partition of a region: "aws-cn" for cn-*, ..., "aws" for any other (and NULL) */
const char *sk_arn_partition(const char *region);
/* the DNS suffix of the region's partition: "amazonaws.com", "amazonaws.com.cn", "c2s.ic.gov", ... */
const char *sk_arn_dns_suffix(const char *region);

#endif
