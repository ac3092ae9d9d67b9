/*
 * shards.c - the shards of a cycle, rotated by replica
 */
#include "reconciler/service/shards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/array.h"
#include "common/error.h"
#include "common/str.h"
#include "reconciler/service/metrics.h"
#include "specs/policy.h"

int sk_shards_define_metrics(struct sk_metrics *m)
{
	static const char *const shard[] = { "account", "region" };
	static const char *const shard_outcome[] = { "account", "region", "outcome" };

	if (sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_SHARD_HELD,
			      "1 while this replica holds the shard, 0 once it gave it back.", shard, 2, NULL, 0) < 0 ||
	    sk_metrics_define(m, SK_METRIC_COUNTER, SK_METRIC_SHARD_CYCLES,
			      "Shards this replica took, by outcome (success, failure, fresh: reconciled lately, given "
			      "back).",
			      shard_outcome, 3, NULL, 0) < 0 ||
	    sk_metrics_define(m, SK_METRIC_COUNTER, SK_METRIC_SHARDS_SKIPPED,
			      "Shards skipped because another replica held them.", shard, 2, NULL, 0) < 0 ||
	    sk_metrics_define(m, SK_METRIC_GAUGE, SK_METRIC_BACKEND_UP,
			      "1 when the state backend answered the last try, else 0.", NULL, 0, NULL, 0) < 0)
		return -1;
	return 0;
}

/* a filter's list: empty wants everything */
static bool wanted(const char *const *regions, size_t n, const char *region)
{
	return n == 0 || sk_strv_has(regions, n, region);
}

static int cmp_shard(const void *a, const void *b)
{
	const struct sk_shard *x = a, *y = b;
	int c = strcmp(x->account, y->account);

	return c ? c : strcmp(x->region, y->region);
}

/* (account, region) once */
static int add(struct sk_shard **v, size_t *n, size_t *cap, const char *account, const char *region)
{
	struct sk_shard *s;
	size_t k;

	for (k = 0; k < *n; k++)
		if (!strcmp((*v)[k].region, region) && !strcmp((*v)[k].account, account))
			return 0;
	if (!(s = SK_ARRAY_PUSH(*v, *n, *cap)))
		return -1;
	s->account = account;
	s->region = region;
	snprintf(s->name, sizeof(s->name), "%s%s%s", account, *account ? "/" : "", region);
	snprintf(s->key, sizeof(s->key), "%s/%s", account, region);
	return 0;
}

int sk_shards_list(struct sk_shard **out, size_t *n, const struct sk_policyset *set, const char *const *regions,
		   size_t n_regions, const char *const *accounts, size_t n_accounts)
{
	const struct sk_settings *st = &set->settings;
	struct sk_shard *v = NULL;
	size_t nv = 0, cap = 0, i, j, a;

	*out = NULL;
	*n = 0;
	for (i = 0; i < set->n_policies; i++) {
		const struct sk_policy *p = &set->policies[i];
		for (j = 0; j < p->n_regions; j++) {
			const char *region = p->regions[j].name;
			if (!wanted(regions, n_regions, region))
				continue;
			/* Settings' accounts the policy covers; none listed: the caller's own */
			if (!st->n_accounts && add(&v, &nv, &cap, "", region) < 0)
				goto fail;
			for (a = 0; a < st->n_accounts; a++) {
				const char *acct = st->accounts[a].id;
				if (!sk_policy_in_account(p, acct) || !wanted(accounts, n_accounts, acct))
					continue;
				if (add(&v, &nv, &cap, acct, region) < 0)
					goto fail;
			}
		}
	}
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_shard);
	*out = v;
	*n = nv;
	return 0;
fail:
	free(v);
	return -1;
}

uint64_t sk_shards_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void reverse(struct sk_shard *v, size_t from, size_t to)
{
	struct sk_shard tmp;

	while (from + 1 < to) {
		tmp = v[from];
		v[from++] = v[--to];
		v[to] = tmp;
	}
}

void sk_shards_rotate(struct sk_shard *v, size_t n, const char *replica)
{
	size_t start;

	if (n < 2)
		return;
	/* v[start] first: three reversals rotate in place */
	start = (size_t)(sk_shards_hash(replica) % n);
	reverse(v, 0, start);
	reverse(v, start, n);
	reverse(v, 0, n);
}

int sk_replica_id(char *out, size_t len, const char *flag)
{
	const char *env = getenv(SK_REPLICA_ENV), *p;
	char host[256];

	if (flag) {
		if (!*flag)
			return sk_error_set(SK_ERR_INVALID, "--replica-id is empty");
		for (p = flag; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				return sk_error_set(SK_ERR_INVALID, "--replica-id '%s' has a space or control character",
						    flag);
		sk_strlcpy(out, flag, len);
		return 0;
	}
	if (env && *env) {
		sk_strlcpy(out, env, len);
		return 0;
	}
	if (gethostname(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "pid-%ld", (long)getpid());
	host[sizeof(host) - 1] = '\0';
	sk_strlcpy(out, host, len);
	return 0;
}
