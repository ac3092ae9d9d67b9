/*
 * naming.c - the identifiers snapkeep gives the snapshots it makes
 */
#include "reconciler/planner/naming.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "aws/arn.h"
#include "common/digest.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/inventory.h"

/* 8 hex digits of s's SHA-256 */
static int short_hash(char hex[9], const char *s)
{
	unsigned char md[32];

	if (sk_sha256(md, s, strlen(s)) < 0)
		return sk_error_set(SK_ERR_INVALID, "cannot hash '%.40s'", s);
	sk_hex(hex, md, 4);
	return 0;
}

/* "yyyymmdd-hhmm", or with seconds "yyyymmdd-hhmmss", of t (UTC) */
static void format_stamp(char out[32], int64_t t, bool seconds)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), y;
	int secs = (int)(t - days * 86400);
	unsigned mo, d;

	sk_time_civil_from_days(days, &y, &mo, &d);
	if (seconds)
		snprintf(out, 32, "%04lld%02u%02u-%02d%02d%02d", (long long)y, mo, d, secs / 3600, secs / 60 % 60,
			 secs % 60);
	else
		snprintf(out, 32, "%04lld%02u%02u-%02d%02d", (long long)y, mo, d, secs / 3600, secs / 60 % 60);
}

/* <prefix>-<instance>-<date>, the instance cut and hashed past 255 characters */
static int name_with(char out[SK_SNAPSHOT_ID_MAX + 1], const char *prefix, const char *instance, const char *date)
{
	char full[1024], hex[9];
	size_t np, ni, keep;

	out[0] = '\0';
	if (!prefix || !*prefix || !instance || !*instance)
		return sk_error_set(SK_ERR_INVALID, "a snapshot identifier needs a prefix and an instance");
	np = strlen(prefix);
	ni = strlen(instance);
	if (np + ni + strlen(date) + 2 <= SK_SNAPSHOT_ID_MAX) {
		snprintf(full, sizeof(full), "%s-%s-%s", prefix, instance, date);
	} else {
		if (np + strlen(date) + 2 + 8 + 2 > SK_SNAPSHOT_ID_MAX || np > 512)
			return sk_error_set(SK_ERR_INVALID, "prefix '%.40s...' is too long for a snapshot identifier", prefix);
		if (short_hash(hex, instance) < 0)
			return -1;
		keep = SK_SNAPSHOT_ID_MAX - np - strlen(date) - 8 - 3;
		while (keep > 0 && instance[keep - 1] == '-')
			keep--;
		snprintf(full, sizeof(full), "%s-%.*s%s%s-%s", prefix, (int)keep, instance, keep ? "-" : "", hex, date);
	}
	for (char *c = full; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	memcpy(out, full, strlen(full) + 1);
	return 0;
}

int sk_naming_snapshot(char out[SK_SNAPSHOT_ID_MAX + 1], const char *prefix, const char *instance, int64_t slot)
{
	char date[32];

	format_stamp(date, slot, false);
	return name_with(out, prefix, instance, date);
}

int sk_naming_ondemand(char out[SK_SNAPSHOT_ID_MAX + 1], const char *prefix, const char *instance, int64_t at)
{
	char date[48];

	format_stamp(date, at, true);
	strcat(date, "-ondemand");
	return name_with(out, prefix, instance, date);
}

int sk_naming_copy(char out[SK_SNAPSHOT_ID_MAX + 1], const char *source_id, const char *source_region)
{
	size_t ns = strlen(source_id), nr = strlen(source_region), keep;
	char hex[9];

	out[0] = '\0';
	if (ns + 1 + nr <= SK_SNAPSHOT_ID_MAX) {
		snprintf(out, SK_SNAPSHOT_ID_MAX + 1, "%s-%s", source_id, source_region);
		return 0;
	}
	if (nr + 1 + 9 + 1 > SK_SNAPSHOT_ID_MAX)
		return sk_error_set(SK_ERR_INVALID, "region '%.40s' is too long for a copy's identifier", source_region);
	if (short_hash(hex, source_id) < 0)
		return -1;
	keep = SK_SNAPSHOT_ID_MAX - nr - 1 - 9;
	while (keep > 0 && source_id[keep - 1] == '-')
		keep--;
	snprintf(out, SK_SNAPSHOT_ID_MAX + 1, "%.*s-%s-%s", (int)keep, source_id, hex, source_region);
	return 0;
}

int sk_naming_drill_instance(char out[SK_INSTANCE_ID_MAX + 1], const char *instance)
{
	static const char prefix[] = "snapkeep-drill-";
	size_t np = sizeof(prefix) - 1, ni, keep;
	char hex[9];

	out[0] = '\0';
	if (!instance || !*instance)
		return sk_error_set(SK_ERR_INVALID, "a drill instance identifier needs an instance");
	ni = strlen(instance);
	if (np + ni <= SK_INSTANCE_ID_MAX) {
		snprintf(out, SK_INSTANCE_ID_MAX + 1, "%s%s", prefix, instance);
	} else {
		if (short_hash(hex, instance) < 0)
			return -1;
		keep = SK_INSTANCE_ID_MAX - np - 1 - 8;
		while (keep > 0 && instance[keep - 1] == '-')
			keep--;
		snprintf(out, SK_INSTANCE_ID_MAX + 1, "%s%.*s-%s", prefix, (int)keep, instance, hex);
	}
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return 0;
}

const char *sk_naming_snapshot_arn(char *out, size_t len, const struct sk_inv_instance *in, const char *id)
{
	struct sk_arn a;

	if (!in->arn || sk_arn_parse(&a, in->arn) < 0 || !sk_arn_part_is(a.resource_type, in->is_cluster ? "cluster" : "db"))
		return NULL;
	a.resource_type = sk_arn_str(in->is_cluster ? "cluster-snapshot" : "snapshot");
	a.sep = ':';
	a.resource_id = sk_arn_str(id);
	return sk_arn_format(out, len, &a) == 0 ? out : NULL;
}
