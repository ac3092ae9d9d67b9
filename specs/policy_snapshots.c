/*
 * policy_snapshots.c - spec.snapshots of a BackupPolicy: the cron
 * schedule, the identifier prefix and tags, the retention rules (retain,
 * restic's keep-last/hourly/.../within) and the cross-region copies with
 * their own keys and retention
 *
 * A schedule's error points at the character of the field that is wrong
 * where the file lets that be told.
 */
#include "specs/policy_snapshots.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

#define MAX_SNAPSHOT_TAGS 46 /* AWS's 50 tags per resource, less snapkeep's 4 */
#define MAX_COPIES 16
#define MAX_RETAIN 10000

static bool within_ok(struct sk_pctx *p, const struct sk_ynode *n, const char *label, struct sk_duration *out)
{
	char v[SK_PCTX_SHOW_MAX];

	if (!sk_pctx_want_string(p, n, label))
		return false;
	if (sk_duration_parse(out, n->text) < 0) {
		sk_pctx_diag(p, n,
			     "%s must be a duration such as 30d, 1y2m or 2d12h (y, m, d, h in that order), got '%s'",
			     label, SK_PCTX_SHOWN(v, n));
		return false;
	}
	if (!out->years && !out->months && !out->days && !out->hours) {
		sk_pctx_diag(p, n, "%s '%s' must be longer than zero", label, SK_PCTX_SHOWN(v, n));
		return false;
	}
	return true;
}

/* retain: {last, hourly, daily, weekly, monthly, yearly, within}; true when any rule is set */
static bool parse_retain(struct sk_pctx *p, const struct sk_ynode *n, const char *label, struct sk_retain *out)
{
	static const char *const names[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly" };
	int *slots[] = { &out->last, &out->hourly, &out->daily, &out->weekly, &out->monthly, &out->yearly };
	const struct sk_ynode *v;
	char sub[96];
	bool any = false;

	*out = (struct sk_retain)SK_RETAIN_INIT;
	if (!sk_pctx_want_map(p, n, label))
		return false;
	sk_pctx_check_keys(p, n, label, sk_policy_keys_retain);
	for (size_t i = 0; i < 6; i++) {
		if (!(v = sk_pctx_field(n, names[i], NULL)))
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", label, names[i]);
		if (sk_pctx_want_int(p, v, sub, -1, MAX_RETAIN, "-1 (unlimited) or 0..10000", slots[i]) && *slots[i] != 0)
			any = true;
	}
	if ((v = sk_pctx_field(n, "within", NULL))) {
		snprintf(sub, sizeof(sub), "%s.within", label);
		if (within_ok(p, v, sub, &out->within)) {
			out->has_within = true;
			any = true;
		}
	}
	return any;
}

/* copies[i].region: another region than the policy's, and not one an earlier copy goes to */
static bool copy_region_ok(struct sk_pctx *p, const struct sk_ynode *c, const char *label, struct sk_policy *pol,
			   size_t j)
{
	struct sk_policy_copy *cp = &pol->copies[j];
	const struct sk_ynode *r;
	char sub[96], v[SK_PCTX_SHOW_MAX];

	snprintf(sub, sizeof(sub), "%s.region", label);
	if (!(r = sk_pctx_field(c, "region", NULL))) {
		sk_pctx_diag(p, c, "missing 'region' in '%s'", label);
		return false;
	}
	if (!sk_pctx_want_pattern(p, r, sub, SK_POLICY_RX_REGION, 32, SK_POLICY_REGION_EXPECTED, &cp->region))
		return false;
	if (sk_policy_has_region(pol, cp->region)) {
		sk_pctx_diag(p, r, "%s '%s' is one of the policy's regions; a copy must go to another region", sub,
			     SK_PCTX_SHOWN(v, r));
		return false;
	}
	for (size_t k = 0; k < j; k++) {
		if (!strcmp(pol->copies[k].region, cp->region)) {
			sk_pctx_diag(p, r, "%s '%s' is listed twice (first at %s:%d:%d)", sub, SK_PCTX_SHOWN(v, r),
				     pol->copies[k].pos.file, pol->copies[k].pos.line, pol->copies[k].pos.col);
			return false;
		}
	}
	return true;
}

static void parse_copies(struct sk_pctx *p, const struct sk_ynode *n, struct sk_policy *pol)
{
	char label[64], sub[96];
	size_t j = 0;

	if (!sk_pctx_want_seq(p, n, "copies"))
		return;
	if (n->n_kids > MAX_COPIES) {
		sk_pctx_diag(p, n, "copies has %zu items, at most %d are allowed", n->n_kids, MAX_COPIES);
		return;
	}
	pol->copies = sk_pctx_calloc(p, n->n_kids, sizeof(*pol->copies));
	if (!pol->copies)
		return;
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct sk_ynode *c = n->kids[i], *r;
		struct sk_policy_copy *cp = &pol->copies[j];
		bool ok;

		snprintf(label, sizeof(label), "copies[%zu]", i);
		if (!sk_pctx_want_map(p, c, label))
			continue;
		sk_pctx_check_keys(p, c, label, sk_policy_keys_copy);
		cp->pos = sk_pctx_pos(p, c);
		cp->retain = (struct sk_retain)SK_RETAIN_INIT;
		ok = copy_region_ok(p, c, label, pol, j);
		if ((r = sk_pctx_field(c, "kmsKeyId", NULL))) {
			snprintf(sub, sizeof(sub), "%s.kmsKeyId", label);
			if (!sk_pctx_want_kms(p, r, sub, cp->region, &cp->kms_key_id))
				ok = false;
		}
		if ((r = sk_pctx_field(c, "retain", NULL))) {
			snprintf(sub, sizeof(sub), "%s.retain", label);
			cp->has_retain = parse_retain(p, r, sub, &cp->retain);
		}
		if (ok)
			j++;
		else
			memset(cp, 0, sizeof(*cp));
	}
	pol->n_copies = j;
}

/* the column in the file of offset off of a one-line scalar's text, when it can be told */
static int column_in_value(const struct sk_pctx *p, const struct sk_ynode *n, size_t off)
{
	size_t at, q;

	if (n->multiline || off > n->len)
		return n->col;
	at = sk_yaml_offset(p->data, p->len, n->line, n->col);
	q = n->quoted ? 1 : 0;
	if (at + q + off > p->len || memcmp(p->data + at + q, n->text, off) != 0)
		return n->col;
	return n->col + (int)q + (int)sk_pctx_utf8_chars(n->text, off);
}

bool sk_policy_want_schedule(struct sk_pctx *p, const struct sk_ynode *v, struct sk_cron *out, char **text)
{
	char w[SK_PCTX_SHOW_MAX];
	size_t col = 0;

	if (sk_cron_parse(out, v->text, &col) < 0) {
		sk_pctx_diag_at(p, v->line, column_in_value(p, v, col), "schedule '%s': %s", SK_PCTX_SHOWN(w, v),
				sk_error_message());
		return false;
	}
	if (sk_cron_next(out, 0) < 0) {
		sk_pctx_diag(p, v, "schedule '%s' never fires (no month has that day)", SK_PCTX_SHOWN(w, v));
		out->valid = false;
		return false;
	}
	*text = sk_pctx_strdup(p, v->text, v->len);
	return true;
}

static void parse_schedule(struct sk_pctx *p, const struct sk_ynode *v, struct sk_policy *pol)
{
	pol->schedule_pos = sk_pctx_pos(p, v);
	sk_policy_want_schedule(p, v, &pol->schedule, &pol->schedule_text);
}

void sk_policy_snapshots_parse(struct sk_pctx *p, const struct sk_ynode *key, const struct sk_ynode *n,
			       struct sk_policy *pol)
{
	const struct sk_ynode *v;

	pol->snapshots_pos = sk_pctx_pos(p, key);
	pol->prefix_pos = pol->snapshots_pos;
	if (!sk_pctx_want_map(p, n, "snapshots"))
		return;
	if (n->n_kids == 0)
		return; /* {}: not managed yet */
	sk_pctx_check_keys(p, n, "snapshots", sk_policy_keys_snapshots);
	pol->has_snapshots = true;
	if (!(v = sk_pctx_field(n, "schedule", NULL)))
		sk_pctx_diag(p, key, "missing 'schedule' in 'snapshots' (a cron schedule such as \"30 3 * * *\" or @daily)");
	else if (sk_pctx_want_string(p, v, "schedule"))
		parse_schedule(p, v, pol);
	if ((v = sk_pctx_field(n, "prefix", NULL))) {
		char *s;

		if (sk_pctx_want_pattern(p, v, "prefix", SK_POLICY_RX_PREFIX, SK_POLICY_MAX_NAME,
					 "lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen",
					 &s)) {
			pol->prefix = s;
			pol->prefix_pos = sk_pctx_pos(p, v);
		}
	}
	if ((v = sk_pctx_field(n, "tags", NULL)))
		sk_pctx_want_tags(p, v, "snapshots.tags", true, 0, MAX_SNAPSHOT_TAGS, &pol->tags, &pol->n_tags);
	if ((v = sk_pctx_field(n, "retain", NULL)))
		pol->has_retain = parse_retain(p, v, "retain", &pol->retain);
	if ((v = sk_pctx_field(n, "minAvailable", NULL)) &&
	    !sk_pctx_want_int(p, v, "minAvailable", 1, 1000, NULL, &pol->min_available))
		pol->min_available = 1;
	if ((v = sk_pctx_field(n, "maxDeletionsPerRun", NULL)) &&
	    !sk_pctx_want_int(p, v, "maxDeletionsPerRun", 0, 10000, NULL, &pol->max_deletions_per_run))
		pol->max_deletions_per_run = 50;
	if ((v = sk_pctx_field(n, "copies", NULL)))
		parse_copies(p, v, pol);
}
