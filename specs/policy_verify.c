/*
 * policy_verify.c - spec.verify of a BackupPolicy: thresholds as
 * {warn, crit} durations, encryption, the KMS key expected per region and
 * the oldest a drill may be
 */
#include "specs/policy_verify.h"

#include <stdio.h>
#include <string.h>

#include "specs/policy_drill.h"

#define MAX_DURATION ((int64_t)3650 * 86400) /* ten years */

/* a duration value; false (with a diagnostic) when it is not one */
static bool want_duration(struct sk_pctx *p, const struct sk_ynode *n, const char *label, int64_t *out)
{
	char w[SK_PCTX_SHOW_MAX];
	int64_t v;

	if (!sk_pctx_want_string(p, n, label))
		return false;
	v = sk_policy_drill_duration(n->text);
	if (v < 0 || v > MAX_DURATION) {
		sk_pctx_diag(p, n, "%s must be a duration such as 26h, 1d12h, 15m or 90s (d, h, m, s in that order, "
			     "at most 3650d), got '%s'", label, SK_PCTX_SHOWN(w, n));
		return false;
	}
	if (v == 0) {
		sk_pctx_diag(p, n, "%s '%s' must be longer than zero", label, SK_PCTX_SHOWN(w, n));
		return false;
	}
	*out = v;
	return true;
}

/* {warn: D, crit: D}, both given, warn shorter than crit */
static void parse_threshold(struct sk_pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			    const char *name, struct sk_verify_threshold *out)
{
	const struct sk_ynode *w, *c;
	struct sk_verify_threshold t = { 0, 0 };
	char label[64], lw[80], lc[80];
	bool ok = true;

	snprintf(label, sizeof(label), "verify.%s", name);
	if (!sk_pctx_want_map(p, n, label))
		return;
	sk_pctx_check_keys(p, n, label, sk_policy_keys_threshold);
	w = sk_pctx_field(n, "warn", NULL);
	c = sk_pctx_field(n, "crit", NULL);
	if (!w || !c) {
		sk_pctx_diag(p, n->n_kids ? n : key, "%s needs both 'warn' and 'crit' (for example {warn: 26h, crit: 50h})",
			     label);
		return;
	}
	snprintf(lw, sizeof(lw), "%s.warn", label);
	snprintf(lc, sizeof(lc), "%s.crit", label);
	if (!want_duration(p, w, lw, &t.warn))
		ok = false;
	if (!want_duration(p, c, lc, &t.crit))
		ok = false;
	if (!ok)
		return;
	if (t.warn >= t.crit) {
		char sw[SK_PCTX_SHOW_MAX], sc[SK_PCTX_SHOW_MAX];

		sk_pctx_diag(p, w, "%s (%s) must be shorter than %s (%s)", lw, SK_PCTX_SHOWN(sw, w), lc,
			     SK_PCTX_SHOWN(sc, c));
		return;
	}
	*out = t;
}

/* a region the policy keeps snapshots in: one of its regions or a copy region */
static bool policy_region(const struct sk_policy *pol, const char *region)
{
	if (sk_policy_has_region(pol, region))
		return true;
	for (size_t i = 0; i < pol->n_copies; i++)
		if (pol->copies[i].region && !strcmp(pol->copies[i].region, region))
			return true;
	return false;
}

/* kmsKeys: {region: key, ...} */
static void parse_kms_keys(struct sk_pctx *p, const struct sk_ynode *n, struct sk_policy *pol)
{
	struct sk_verify_kms *keys;
	char w[SK_PCTX_SHOW_MAX], label[SK_PCTX_SHOW_MAX + 32];
	size_t j = 0;

	if (!sk_pctx_want_map(p, n, "verify.kmsKeys"))
		return;
	sk_pctx_check_keys(p, n, "verify.kmsKeys", NULL);
	if (n->n_kids == 0) {
		sk_pctx_diag(p, n, "verify.kmsKeys must not be an empty mapping");
		return;
	}
	keys = sk_pctx_calloc(p, n->n_kids / 2, sizeof(*keys));
	if (!keys)
		return;
	for (size_t i = 0; i + 1 < n->n_kids; i += 2) {
		const struct sk_ynode *k = n->kids[i], *v = n->kids[i + 1];
		char *key = NULL;

		if (k->type != SK_Y_SCALAR)
			continue;
		if (k->len > 32 || memchr(k->text, '\0', k->len) || !sk_policy_keys_match(SK_POLICY_RX_REGION, k->text)) {
			sk_pctx_diag(p, k, "verify.kmsKeys key '%s' must be " SK_POLICY_REGION_EXPECTED, SK_PCTX_SHOWN(w, k));
			continue;
		}
		if (!policy_region(pol, k->text)) {
			sk_pctx_diag(p, k, "verify.kmsKeys names '%s', which is neither a region of the policy nor a copy "
				     "region: its snapshots are not verified there", SK_PCTX_SHOWN(w, k));
			continue;
		}
		snprintf(label, sizeof(label), "verify.kmsKeys.%s", SK_PCTX_SHOWN(w, k));
		if (!sk_pctx_want_kms(p, v, label, k->text, &key))
			continue;
		keys[j].region = sk_pctx_strdup(p, k->text, k->len);
		keys[j].key = key;
		keys[j].pos = sk_pctx_pos(p, v);
		j++;
	}
	pol->verify.kms_keys = keys;
	pol->verify.n_kms_keys = j;
}

void sk_policy_verify_parse(struct sk_pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			    struct sk_policy *pol)
{
	static const char *const names[] = { "rpo", "copyRpo", "pitrRpo", "pitrWindow" };
	struct sk_verify_threshold *slots[] = { &pol->verify.rpo, &pol->verify.copy_rpo, &pol->verify.pitr_rpo,
						&pol->verify.pitr_window };
	const struct sk_ynode *v, *k, *enc = NULL;
	bool b;

	memset(&pol->verify, 0, sizeof(pol->verify));
	pol->verify.encrypted = -1;
	pol->verify.pos = sk_pctx_pos(p, key);
	if (n->type == SK_Y_SCALAR && n->kind == SK_YK_NULL) {
		pol->has_verify = true;
		return;
	}
	if (!sk_pctx_want_map(p, n, "verify"))
		return;
	pol->has_verify = true;
	sk_pctx_check_keys(p, n, "verify", sk_policy_keys_verify);
	for (size_t i = 0; i < 4; i++)
		if ((v = sk_pctx_field(n, names[i], &k)))
			parse_threshold(p, k, v, names[i], slots[i]);
	if ((v = sk_pctx_field(n, "encrypted", NULL)) && sk_pctx_want_bool(p, v, "verify.encrypted", &b)) {
		pol->verify.encrypted = b;
		enc = v;
	}
	if ((v = sk_pctx_field(n, "kmsKeys", &k))) {
		if (pol->verify.encrypted == 0)
			sk_pctx_diag(p, k, "verify.kmsKeys names keys, but verify.encrypted is false (line %d)", enc->line);
		else
			parse_kms_keys(p, v, pol);
	}
	if ((v = sk_pctx_field(n, "drillMaxAge", NULL)))
		want_duration(p, v, "verify.drillMaxAge", &pol->verify.drill_max_age);
	if ((v = sk_pctx_field(n, "alerts", NULL)) && sk_pctx_want_bool(p, v, "verify.alerts", &b))
		pol->verify.alerts_off = !b;
}
