/*
 * policy_keys.c - the policy format's tables: keys per place, the patterns
 * values must match, and the nearest key for "did you mean"
 *
 * Pure data and string work, no parse state: policy_parse.c checks
 * mappings against these tables, and policy.c hands them to tools.
 */
#include "specs/policy_keys.h"

#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stddef.h>
#include <string.h>

/* ---- the keys per place ---- */

const char *const sk_policy_keys_top[] = { "apiVersion", "kind", "metadata", "spec", NULL };
const char *const sk_policy_keys_metadata[] = { "name", NULL };
const char *const sk_policy_keys_spec[] = { "regions", "selector", "automated", "snapshots", "alerts", "drill",
					    "verify",  "suspend",  "accounts", NULL };
const char *const sk_policy_keys_selector[] = { "instances", "clusters", "tags", "kind", "exclude", NULL };
const char *const sk_policy_keys_exclude[] = { "instances", "tags", NULL };
const char *const sk_policy_keys_automated[] = { "retentionDays",      "window",	   "copyTagsToSnapshot",
						 "deletionProtection", "applyImmediately", "replicate",
						 NULL };
const char *const sk_policy_keys_replicate[] = { "region", "retentionDays", "kmsKeyId", NULL };
const char *const sk_policy_keys_snapshots[] = { "schedule", "prefix", "tags", "retain", "minAvailable",
						 "maxDeletionsPerRun", "copies", NULL };
const char *const sk_policy_keys_retain[] = { "last", "hourly", "daily", "weekly",
					      "monthly", "yearly", "within", NULL };
const char *const sk_policy_keys_copy[] = { "region", "kmsKeyId", "retain", NULL };
const char *const sk_policy_keys_alerts[] = { "snsTopicArn", NULL };
const char *const sk_policy_keys_verify[] = { "rpo",	   "copyRpo", "pitrRpo",	"pitrWindow",
					      "encrypted", "kmsKeys", "drillMaxAge", "alerts", NULL };
const char *const sk_policy_keys_threshold[] = { "warn", "crit", NULL };
const char *const sk_policy_keys_drill[] = { "schedule",	"source",  "lag",	      "instanceClass",
					     "connect",	"checks",  "timeout",	      "statementTimeout",
					     NULL };
const char *const sk_policy_keys_drill_connect[] = { "database", "user", "passwordEnv", "passwordFile", NULL };
const char *const sk_policy_keys_drill_check[] = { "name", "sql", "atLeast", "expect", "notOlderThanSnapshotBy",
						   NULL };
const char *const sk_policy_keys_settings[] = { "snapshotQuota", "pricePerGBMonth", "transferPricePerGB", "concurrency",
						"copiesInFlight", "alerts", "accounts", "parallel", NULL };
const char *const sk_policy_keys_account[] = { "id", "roleArn", "externalId", NULL };

const struct sk_policy_keyset sk_policy_keys_sets[] = {
	{ "document", sk_policy_keys_top },
	{ "metadata", sk_policy_keys_metadata },
	{ "spec", sk_policy_keys_spec },
	{ "spec.selector", sk_policy_keys_selector },
	{ "spec.selector.exclude", sk_policy_keys_exclude },
	{ "spec.automated", sk_policy_keys_automated },
	{ "spec.automated.replicate", sk_policy_keys_replicate },
	{ "spec.snapshots", sk_policy_keys_snapshots },
	{ "spec.snapshots.retain", sk_policy_keys_retain },
	{ "spec.snapshots.copies[]", sk_policy_keys_copy },
	{ "spec.snapshots.copies[].retain", sk_policy_keys_retain },
	{ "alerts", sk_policy_keys_alerts },
	{ "spec.verify", sk_policy_keys_verify },
	{ "spec.verify.rpo", sk_policy_keys_threshold },
	{ "spec.verify.copyRpo", sk_policy_keys_threshold },
	{ "spec.verify.pitrRpo", sk_policy_keys_threshold },
	{ "spec.verify.pitrWindow", sk_policy_keys_threshold },
	{ "spec.drill", sk_policy_keys_drill },
	{ "spec.drill.connect", sk_policy_keys_drill_connect },
	{ "spec.drill.checks[]", sk_policy_keys_drill_check },
	{ "settings.spec", sk_policy_keys_settings },
	{ "settings.spec.alerts", sk_policy_keys_alerts },
	{ "settings.spec.accounts[]", sk_policy_keys_account },
	{ NULL, NULL },
};

/* the names used in messages for the places above (the last segment) */
static const struct {
	const char *where;
	const char *const *keys;
} hint_places[] = {
	{ "metadata", sk_policy_keys_metadata },
	{ "spec", sk_policy_keys_spec },
	{ "selector", sk_policy_keys_selector },
	{ "automated", sk_policy_keys_automated },
	{ "replicate", sk_policy_keys_replicate },
	{ "snapshots", sk_policy_keys_snapshots },
	{ "retain", sk_policy_keys_retain },
	{ "copies[]", sk_policy_keys_copy },
	{ "alerts", sk_policy_keys_alerts },
	{ "verify", sk_policy_keys_verify },
	{ "drill", sk_policy_keys_drill },
	{ "connect", sk_policy_keys_drill_connect },
	{ "checks[]", sk_policy_keys_drill_check },
	{ "the top level", sk_policy_keys_top },
};

const char *sk_policy_keys_home(const char *key, const char *const *except)
{
	size_t n = sizeof(hint_places) / sizeof(hint_places[0]), i;

	/* the places are a Policy's: a Settings document's (spec, accounts[]) keys are not mixed up with them */
	for (i = 0; i < n && hint_places[i].keys != except; i++)
		;
	if (i == n)
		return NULL;
	for (i = 0; i < n; i++) {
		if (hint_places[i].keys == except)
			continue;
		for (size_t j = 0; hint_places[i].keys[j]; j++)
			if (!strcmp(hint_places[i].keys[j], key))
				return hint_places[i].where;
	}
	return NULL;
}

/* ---- the patterns ---- */

const struct sk_policy_pattern sk_policy_keys_patterns[] = {
	[SK_POLICY_RX_NAME] = { "name", "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
	[SK_POLICY_RX_REGION] = { "region", "^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$" },
	[SK_POLICY_RX_INSTANCE] = { "instance", "^[a-z](-?[a-z0-9])*$" },
	[SK_POLICY_RX_PREFIX] = { "prefix", "^[a-z](-?[a-z0-9])*$" },
	[SK_POLICY_RX_KMS] = { "kmsKeyId",
			       "^(alias/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+|"
			       "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$" },
	[SK_POLICY_RX_SNS] = { "snsTopicArn",
			       "^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$" },
	[SK_POLICY_RX_WINDOW] = { "window", "^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$" },
	[SK_POLICY_RX_WITHIN] = { "within", "^([0-9]{1,5}y)?([0-9]{1,5}m)?([0-9]{1,5}d)?([0-9]{1,5}h)?$" },
	[SK_POLICY_RX_RESERVED_TAG] = { "reservedTagKey", "^([aA][wW][sS]|[sS][nN][aA][pP][kK][eE][eE][pP]):" },
	[SK_POLICY_RX_INSTANCE_CLASS] = { "instanceClass", "^db\\.[a-z0-9]+\\.[a-z0-9]+$" },
	[SK_POLICY_RX_ENV] = { "passwordEnv", "^[A-Za-z_][A-Za-z0-9_]*$" },
	[SK_POLICY_RX_DURATION] = { "duration", "^([0-9]{1,6}d)?([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?$" },
	[SK_POLICY_RX_ACCOUNT] = { "account", "^[0-9]{12}$" },
	[SK_POLICY_RX_ROLE_ARN] = { "roleArn", "^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$" },
	[SK_POLICY_RX_EXTERNAL_ID] = { "externalId", "^[A-Za-z0-9+=,.@:/_-]{2,1224}$" },
	[SK_POLICY_RX_COUNT] = { NULL, NULL },
};

static regex_t compiled[SK_POLICY_RX_COUNT];
static bool compiled_ok;
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void compile_patterns(void)
{
	for (int i = 0; i < SK_POLICY_RX_COUNT; i++) {
		if (regcomp(&compiled[i], sk_policy_keys_patterns[i].regex, REG_EXTENDED | REG_NOSUB) != 0) {
			while (i-- > 0)
				regfree(&compiled[i]);
			return;
		}
	}
	compiled_ok = true;
}

bool sk_policy_keys_match(enum sk_policy_rx rx, const char *s)
{
	pthread_once(&compile_once, compile_patterns);
	return compiled_ok && regexec(&compiled[rx], s, 0, NULL, 0) == 0;
}

/* ---- did you mean ---- */

/* optimal string alignment distance, case-insensitive, capped */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[3][65];
	size_t *prev2 = d[0], *prev = d[1], *cur = d[2];

	if (la > 64 || lb > 64)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		size_t *t;

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t v = prev[j] + 1;

			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *sk_policy_keys_nearest(const char *key, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = 99;

	for (size_t i = 0; candidates[i]; i++) {
		size_t dist = edit_distance(key, candidates[i]);
		size_t limit = strlen(candidates[i]) / 3;

		if (limit < 2)
			limit = 2;
		if (dist <= limit && dist < best_d) {
			best = candidates[i];
			best_d = dist;
		}
	}
	return best;
}
