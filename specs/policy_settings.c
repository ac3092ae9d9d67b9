/*
 * policy_settings.c - the Settings document: manual snapshot quotas (one
 * for every region, or per region), the storage price (one, or per region)
 * and the cross-region transfer price, mutating calls and copies in
 * flight, the fleet-wide alerts topic, and the target accounts (each with
 * the role to assume there) and how many (account, region) places are
 * worked on at once
 *
 * At most one Settings document per set; what it leaves out keeps the
 * defaults the set was made with (policy.c).
 */
#include "specs/policy_settings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * a key of a per-region map (snapshotQuota, pricePerGBMonth): 'default' or a
 * region; true with label set to "<what>.<key>", else a diagnostic
 */
static bool region_key(struct sk_pctx *p, const struct sk_ynode *k, const char *what, char *label, size_t size)
{
	char w[SK_PCTX_SHOW_MAX];

	if (k->type != SK_Y_SCALAR)
		return false;
	if (!(k->len == 7 && !memcmp(k->text, "default", 7)) &&
	    (k->len > 32 || memchr(k->text, '\0', k->len) || !sk_policy_keys_match(SK_POLICY_RX_REGION, k->text))) {
		sk_pctx_diag(p, k, "%s key '%s' must be 'default' or " SK_POLICY_REGION_EXPECTED, what, SK_PCTX_SHOWN(w, k));
		return false;
	}
	snprintf(label, size, "%s.%s", what, SK_PCTX_SHOWN(w, k));
	return true;
}

/* snapshotQuota: {default: N, us-east-1: N, ...}; each valid entry goes to p->quotas */
static void parse_quota_map(struct sk_pctx *p, const struct sk_ynode *v)
{
	struct sk_settings *s = &p->set->settings;

	sk_pctx_check_keys(p, v, "snapshotQuota", NULL);
	if (v->n_kids == 0)
		sk_pctx_diag(p, v, "snapshotQuota must not be an empty mapping");
	for (size_t i = 0; i + 1 < v->n_kids; i += 2) {
		const struct sk_ynode *k = v->kids[i], *q = v->kids[i + 1];
		struct sk_settings_quota sq = { NULL, 0, sk_pctx_pos(p, k) };
		char label[SK_PCTX_SHOW_MAX + 32];

		if (!region_key(p, k, "snapshotQuota", label, sizeof(label)))
			continue;
		if (!sk_pctx_want_int(p, q, label, 1, 100000, NULL, &sq.quota))
			continue;
		if (strcmp(k->text, "default") != 0)
			sq.region = sk_pctx_strdup(p, k->text, k->len);
		else
			s->snapshot_quota = sq.quota;
		if (sk_buf_add(&p->quotas, &sq, sizeof(sq)) < 0)
			p->oom = true;
	}
}

/* a price in USD, 0..1000: true with *out set, else a diagnostic naming label */
static bool want_price(struct sk_pctx *p, const struct sk_ynode *v, const char *label, const char *unit, double *out)
{
	char d[SK_PCTX_DESCRIBE_MAX], w[SK_PCTX_SHOW_MAX];

	if (v->type == SK_Y_SCALAR && (v->kind == SK_YK_INT || v->kind == SK_YK_FLOAT)) {
		/* YAML's .inf and .nan are not C's: anything with an n in it is one of them */
		bool special = strpbrk(v->text, "nN") != NULL;
		double x = special ? NAN : strtod(v->text, NULL);

		if (isfinite(x) && x >= 0 && x <= 1000) {
			*out = x;
			return true;
		}
		sk_pctx_diag(p, v, "%s must be 0..1000 (%s), got %s", label, unit, SK_PCTX_SHOWN(w, v));
	} else if (!sk_pctx_is_alias(v)) {
		sk_pctx_diag(p, v, "%s must be a number, got %s", label, sk_pctx_describe(d, v));
	}
	return false;
}

/* pricePerGBMonth: a number, or {default: N, us-east-1: N, ...} */
static void parse_price(struct sk_pctx *p, const struct sk_ynode *v)
{
	struct sk_settings *s = &p->set->settings;
	const char *unit = "USD per GB-month";
	char label[SK_PCTX_SHOW_MAX + 32];

	if (v->type != SK_Y_MAP) {
		want_price(p, v, "pricePerGBMonth", unit, &s->price_per_gb_month);
		return;
	}
	sk_pctx_check_keys(p, v, "pricePerGBMonth", NULL);
	if (v->n_kids == 0)
		sk_pctx_diag(p, v, "pricePerGBMonth must not be an empty mapping");
	s->region_prices = sk_arena_calloc(&p->set->arena, v->n_kids / 2 + 1, sizeof(*s->region_prices));
	if (!s->region_prices) {
		p->oom = true;
		return;
	}
	for (size_t i = 0; i + 1 < v->n_kids; i += 2) {
		const struct sk_ynode *k = v->kids[i];
		double x;

		if (!region_key(p, k, "pricePerGBMonth", label, sizeof(label)))
			continue;
		if (!want_price(p, v->kids[i + 1], label, unit, &x))
			continue;
		if (!strcmp(k->text, "default")) {
			s->price_per_gb_month = x;
			continue;
		}
		s->region_prices[s->n_region_prices] = (struct sk_settings_price){ sk_pctx_strdup(p, k->text, k->len), x,
										  sk_pctx_pos(p, k) };
		if (s->region_prices[s->n_region_prices].region)
			s->n_region_prices++;
	}
}

#define MAX_ACCOUNTS 1000
#define ACCOUNT_EXPECTED "an AWS account id: 12 digits, quoted (\"111111111111\")"
#define ROLE_ARN_EXPECTED "an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
#define EXTERNAL_ID_EXPECTED "2..1224 letters, digits or +=,.@:/_-"

bool sk_pctx_want_account(struct sk_pctx *p, const struct sk_ynode *n, const char *label, char **out)
{
	char v[SK_PCTX_SHOW_MAX];

	/* an unquoted 111111111111 is a YAML number: said plainly rather than "must be a string" */
	if (n->type == SK_Y_SCALAR && n->kind == SK_YK_INT) {
		sk_pctx_diag(p, n, "%s %s must be quoted: an account id is a string of 12 digits, not a number", label,
			     SK_PCTX_SHOWN(v, n));
		return false;
	}
	return sk_pctx_want_pattern(p, n, label, SK_POLICY_RX_ACCOUNT, 12, ACCOUNT_EXPECTED, out);
}

/* accounts: [{id, roleArn, externalId}, ...]; the role must be in its account, each id listed once */
static void parse_accounts(struct sk_pctx *p, const struct sk_ynode *v)
{
	struct sk_settings *s = &p->set->settings;
	char label[64], w[SK_PCTX_SHOW_MAX];

	if (!sk_pctx_want_seq(p, v, "accounts"))
		return;
	if (v->n_kids == 0 || v->n_kids > MAX_ACCOUNTS) {
		sk_pctx_diag(p, v, "accounts must list 1..%d accounts, got %zu", MAX_ACCOUNTS, v->n_kids);
		return;
	}
	if (!(s->accounts = sk_pctx_calloc(p, v->n_kids, sizeof(*s->accounts))))
		return;
	for (size_t i = 0; i < v->n_kids; i++) {
		const struct sk_ynode *it = v->kids[i], *f;
		struct sk_settings_account a = { NULL, NULL, NULL, sk_pctx_pos(p, it) };
		bool ok = true;

		snprintf(label, sizeof(label), "accounts[%zu]", i);
		if (!sk_pctx_want_map(p, it, label))
			continue;
		sk_pctx_check_keys(p, it, label, sk_policy_keys_account);
		snprintf(label, sizeof(label), "accounts[%zu].id", i);
		if (!(f = sk_pctx_field(it, "id", NULL))) {
			sk_pctx_diag(p, it, "accounts[%zu] needs an 'id' (the account's 12 digits)", i);
			ok = false;
		} else if (!sk_pctx_want_account(p, f, label, &a.id)) {
			ok = false;
		}
		snprintf(label, sizeof(label), "accounts[%zu].roleArn", i);
		if (!(f = sk_pctx_field(it, "roleArn", NULL))) {
			sk_pctx_diag(p, it, "accounts[%zu] needs a 'roleArn' (the role snapkeep assumes in it)", i);
			ok = false;
		} else if (!sk_pctx_want_pattern(p, f, label, SK_POLICY_RX_ROLE_ARN, 2048, ROLE_ARN_EXPECTED, &a.role_arn)) {
			ok = false;
		} else if (a.id && strncmp(strstr(a.role_arn, "::") + 2, a.id, 12) != 0) {
			sk_pctx_diag(p, f, "%s '%s' is a role in account %.12s, not in account %s", label,
				     SK_PCTX_SHOWN(w, f), strstr(a.role_arn, "::") + 2, a.id);
			ok = false;
		}
		snprintf(label, sizeof(label), "accounts[%zu].externalId", i);
		if ((f = sk_pctx_field(it, "externalId", NULL)) &&
		    !sk_pctx_want_pattern(p, f, label, SK_POLICY_RX_EXTERNAL_ID, 1224, EXTERNAL_ID_EXPECTED,
					  &a.external_id))
			ok = false;
		for (size_t k = 0; ok && k < s->n_accounts; k++) {
			if (!strcmp(s->accounts[k].id, a.id)) {
				sk_pctx_diag(p, it, "accounts[%zu]: account %s is listed twice (first at %s:%d:%d)", i, a.id,
					     s->accounts[k].pos.file, s->accounts[k].pos.line, s->accounts[k].pos.col);
				ok = false;
			}
		}
		if (ok)
			s->accounts[s->n_accounts++] = a;
	}
}

void sk_policy_settings_check_accounts(struct sk_pctx *p, const struct sk_policy *pols, size_t n)
{
	const struct sk_settings *s = &p->set->settings;

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < pols[i].n_accounts; k++) {
			const struct sk_policy_name *a = &pols[i].accounts[k];
			struct sk_buf known = SK_BUF_INIT;

			if (sk_settings_account(s, a->name))
				continue;
			for (size_t j = 0; j < s->n_accounts; j++)
				sk_buf_printf(&known, "%s%s", j ? ", " : "", s->accounts[j].id);
			if (s->n_accounts)
				sk_pctx_diag_pos(p, &a->pos, "policy '%s': account %s is not one of Settings' accounts (%s)",
						 pols[i].name, a->name, sk_buf_cstr(&known));
			else
				sk_pctx_diag_pos(p, &a->pos,
						 "policy '%s': account %s is not one of Settings' accounts (Settings lists "
						 "none: add it to a Settings document's spec.accounts with its roleArn)",
						 pols[i].name, a->name);
			sk_buf_free(&known);
		}
	}
}

void sk_policy_settings_parse(struct sk_pctx *p, const struct sk_ynode *root, const struct sk_ynode *spec)
{
	struct sk_settings *s = &p->set->settings;
	const struct sk_ynode *v;
	char d[SK_PCTX_DESCRIBE_MAX];

	if (s->present) {
		sk_pctx_diag(p, root, "a second Settings document (the first is at %s:%d:%d); at most one is allowed",
			     s->pos.file, s->pos.line, s->pos.col);
		return;
	}
	s->present = true;
	s->pos = sk_pctx_pos(p, root);
	if (!spec)
		return;
	if (spec->type == SK_Y_SCALAR && spec->kind == SK_YK_NULL)
		return;
	if (!sk_pctx_want_map(p, spec, "spec"))
		return;
	sk_pctx_check_keys(p, spec, "spec", sk_policy_keys_settings);
	if ((v = sk_pctx_field(spec, "snapshotQuota", NULL))) {
		if (v->type == SK_Y_MAP)
			parse_quota_map(p, v);
		else if (v->type == SK_Y_SCALAR && v->kind == SK_YK_INT)
			sk_pctx_want_int(p, v, "snapshotQuota", 1, 100000, NULL, &s->snapshot_quota);
		else if (!sk_pctx_is_alias(v))
			sk_pctx_diag(p, v, "snapshotQuota must be an integer or a mapping of region to integer, got %s",
				     sk_pctx_describe(d, v));
	}
	if ((v = sk_pctx_field(spec, "pricePerGBMonth", NULL)))
		parse_price(p, v);
	if ((v = sk_pctx_field(spec, "transferPricePerGB", NULL)))
		want_price(p, v, "transferPricePerGB", "USD per GB copied to another region", &s->transfer_price_per_gb);
	if ((v = sk_pctx_field(spec, "concurrency", NULL)))
		sk_pctx_want_int(p, v, "concurrency", 1, 64, NULL, &s->concurrency);
	if ((v = sk_pctx_field(spec, "alerts", NULL)))
		sk_pctx_want_alerts(p, v, &s->sns_topic_arn, &s->sns_topic_arn_pos);
	if ((v = sk_pctx_field(spec, "copiesInFlight", NULL)))
		sk_pctx_want_int(p, v, "copiesInFlight", 1, SK_COPIES_IN_FLIGHT_MAX, NULL, &s->copies_in_flight);
	if ((v = sk_pctx_field(spec, "accounts", NULL)))
		parse_accounts(p, v);
	if ((v = sk_pctx_field(spec, "parallel", NULL)))
		sk_pctx_want_int(p, v, "parallel", 1, 64, NULL, &s->parallel);
}
