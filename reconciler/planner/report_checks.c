/*
 * report_checks.c - the compliance checks of one instance of a report
 * (report_checks.h)
 */
#include "reconciler/planner/report_checks.h"

#include <string.h>

#include "common/array.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/verify.h"
#include "specs/policy.h"

#define fmt(c, ...) sk_report_ctx_printf((c), __VA_ARGS__)

static void add_check(struct sk_report_ctx *c, struct sk_report_instance *ri, const char *name, const char *region,
		      const char *desired, const char *live, enum sk_report_verdict v, const char *reason)
{
	struct sk_report *r = c->r;
	struct sk_report_check *k;

	if (c->failed)
		return;
	if (!(k = SK_ARRAY_PUSH(r->checks, r->n_checks, c->cap_checks))) {
		c->failed = true;
		return;
	}
	k->name = name;
	k->region = sk_report_ctx_intern(c, region);
	k->desired = desired ? desired : "";
	k->live = live ? live : "";
	k->verdict = v;
	k->reason = v == SK_REPORT_COMPLIANT ? NULL : reason;
	ri->n_checks++;
	if (v > ri->verdict || (v != SK_REPORT_COMPLIANT && !ri->reason)) {
		if (v > ri->verdict || !ri->reason)
			ri->reason = k->reason;
		if (v > ri->verdict)
			ri->verdict = v;
	}
}

static const char *yesno(int v)
{
	return v ? "yes" : "no";
}

static const char *days_text(struct sk_report_ctx *c, int d)
{
	return fmt(c, "%d day%s", d, d == 1 ? "" : "s");
}

/* a setting the plan's modify changes (field) when it differs: drift, "<what> is <live>, the policy wants <desired>" */
static void setting_check(struct sk_report_ctx *c, struct sk_report_instance *ri, const char *name, const char *field,
			  const char *what, const char *desired, const char *live)
{
	bool drift = sk_report_ctx_planned_change(c, ri->region, ri->instance, field) != NULL;

	add_check(c, ri, name, ri->region, desired, live, drift ? SK_REPORT_DRIFT : SK_REPORT_COMPLIANT,
		  drift ? fmt(c, "%s is %s, the policy wants %s", what, live, desired) : NULL);
}

/* the settings the policy sets: desired from it, live from the inventory, drift when the plan changes them */
static void settings_checks(struct sk_report_ctx *c, struct sk_report_instance *ri, const struct sk_policy *p,
			    const struct sk_inv_instance *in, const struct sk_verify_result *repl)
{
	const char *home = ri->region, *id = ri->instance;

	if (p->retention_days >= 0) {
		const char *want = days_text(c, p->retention_days);
		const char *live = in->has_pending_retention && in->pending_retention != in->retention
					   ? fmt(c, "%d day%s (%d pending)", in->retention, in->retention == 1 ? "" : "s",
						 in->pending_retention)
					   : days_text(c, in->retention);
		if (in->aws_backup_arn)
			add_check(c, ri, "backup-retention", home, want, fmt(c, "%s (AWS Backup manages it)", live),
				  SK_REPORT_COMPLIANT, NULL);
		else if (p->retention_days > 0 && in->retention == 0 &&
			 !(in->has_pending_retention && in->pending_retention > 0))
			add_check(c, ri, "backup-retention", home, want, live, SK_REPORT_AT_RISK,
				  fmt(c, "automated backups are off (retention 0): no point-in-time restore; the policy "
					 "wants %d days", p->retention_days));
		else if (sk_report_ctx_planned_change(c, home, id, "backup_retention_period"))
			add_check(c, ri, "backup-retention", home, want, live, SK_REPORT_DRIFT,
				  fmt(c, "backup retention is %s, the policy wants %s (the next apply changes it)",
				      days_text(c, in->retention), want));
		else
			add_check(c, ri, "backup-retention", home, want, live, SK_REPORT_COMPLIANT, NULL);
	}
	if (p->window)
		setting_check(c, ri, "backup-window", "preferred_backup_window", "backup window", p->window,
			      in->backup_window ? in->backup_window : "none");
	if (p->copy_tags >= 0)
		setting_check(c, ri, "copy-tags", "copy_tags_to_snapshot", "CopyTagsToSnapshot", yesno(p->copy_tags),
			      yesno(in->copy_tags));
	if (p->deletion_protection >= 0)
		setting_check(c, ri, "deletion-protection", "deletion_protection", "deletion protection",
			      yesno(p->deletion_protection), yesno(in->deletion_protection));
	if (p->replicate_mode == SK_REPLICATE_ON) {
		const char *want = fmt(c, "to %s", p->replicate.region);
		const char *live = in->n_replications ? want : "off";
		if (repl && repl->status != SK_VERIFY_OK)
			add_check(c, ri, "replication", home, want, repl->status == SK_VERIFY_CRITICAL ? "off" : "not replicating",
				  SK_REPORT_DRIFT, fmt(c, "%s", repl->message));
		else if (sk_report_ctx_planned_kind(c, home, id, SK_ACTION_START_REPLICATION))
			add_check(c, ri, "replication", home, want, live, SK_REPORT_DRIFT,
				  fmt(c, "automated backups are not replicated to %s", p->replicate.region));
		else
			add_check(c, ri, "replication", home, want, live, SK_REPORT_COMPLIANT, NULL);
	} else if (p->replicate_mode == SK_REPLICATE_OFF) {
		bool stop = sk_report_ctx_planned_kind(c, home, id, SK_ACTION_STOP_REPLICATION);
		add_check(c, ri, "replication", home, "off", in->n_replications ? "on" : "off",
			  stop ? SK_REPORT_DRIFT : SK_REPORT_COMPLIANT,
			  stop ? fmt(c, "automated backups are replicated, the policy wants none") : NULL);
	}
}

static enum sk_report_verdict verdict_of(enum sk_verify_status s)
{
	return s == SK_VERIFY_OK ? SK_REPORT_COMPLIANT : s == SK_VERIFY_WARNING ? SK_REPORT_DRIFT : SK_REPORT_AT_RISK;
}

static const char *dur(struct sk_report_ctx *c, int64_t s)
{
	char d[48];

	sk_verify_format_duration(d, s);
	return fmt(c, "%s", d);
}

/*
 * a duration kept under a limit, in words: "<before>at most <limit><after>"
 * wanted, "<before><value><after>" found, none when value < 0 (nothing to
 * measure)
 */
static void within(struct sk_report_ctx *c, const char **desired, const char **live, const char *before,
		   const char *after, int64_t limit, int64_t value, const char *none)
{
	*desired = fmt(c, "%sat most %s%s", before, dur(c, limit), after);
	*live = value >= 0 ? fmt(c, "%s%s%s", before, dur(c, value), after) : none;
}

static const struct sk_report_snapshot *find_listed(const struct sk_report_ctx *c, const struct sk_report_instance *ri,
						    const char *id)
{
	size_t i;

	for (i = ri->first_snapshot; id && i < ri->first_snapshot + ri->n_snapshots; i++)
		if (!strcmp(c->r->snapshots[i].id, id))
			return &c->r->snapshots[i];
	return NULL;
}

/* owned copies the instance has in region */
static size_t copies_in(const struct sk_report_ctx *c, const struct sk_report_instance *ri, const char *region)
{
	size_t i, n = 0;

	for (i = ri->first_snapshot; i < ri->first_snapshot + ri->n_snapshots; i++)
		if (c->r->snapshots[i].copy && c->r->snapshots[i].owner == SK_OWNER_SNAPKEEP &&
		    !strcmp(c->r->snapshots[i].region, region))
			n++;
	return n;
}

/* one of verify's results as a row: desired and live put in words */
static void verify_check(struct sk_report_ctx *c, struct sk_report_instance *ri, const struct sk_verify_result *v,
			 const struct sk_verify_limits *lim, const struct sk_policy *p)
{
	enum sk_report_verdict verdict = verdict_of(v->status);
	const char *name = sk_verify_check_name(v->check), *desired = "", *live = "";
	const struct sk_report_snapshot *s;

	switch (v->check) {
	case SK_CHECK_SNAPSHOT_AGE:
		within(c, &desired, &live, "", " old", lim->rpo.warn, v->value, "none");
		break;
	case SK_CHECK_COPY:
		desired = fmt(c, "copied within %s", dur(c, lim->copy_rpo.warn));
		live = !copies_in(c, ri, v->region) ? (v->snapshot ? "missing" : "nothing to copy yet")
		       : v->value > 0		      ? fmt(c, "waiting %s", dur(c, v->value))
						      : "up to date";
		break;
	case SK_CHECK_STATUS:
		desired = "none failed";
		live = v->snapshot ? fmt(c, "failed: %s", v->snapshot) : "none failed";
		break;
	case SK_CHECK_ENCRYPTION:
		desired = p->has_verify && p->verify.encrypted == 0 ? "not checked" : "encrypted";
		s = find_listed(c, ri, v->snapshot);
		live = v->status == SK_VERIFY_OK ? desired : s && !s->encrypted ? "unencrypted" : "another key";
		break;
	case SK_CHECK_STORAGE:
		desired = ri->allocated_gib > 0 ? fmt(c, "at least %d GiB", ri->allocated_gib) : "";
		s = find_listed(c, ri, v->snapshot);
		live = s ? fmt(c, "%u GiB", s->gib) : "";
		break;
	case SK_CHECK_PITR_LATEST:
		within(c, &desired, &live, "", " behind", lim->pitr_rpo.warn, v->value, "none");
		break;
	case SK_CHECK_PITR_WINDOW:
		within(c, &desired, &live, "short by ", "", lim->pitr_window.warn, v->value, "no window");
		break;
	case SK_CHECK_DRILL:
		desired = fmt(c, "passed within %s", dur(c, lim->drill_max_age));
		live = v->status == SK_VERIFY_UNKNOWN ? "unknown"
		       : v->value < 0		      ? "never"
		       : ri->drill_at && !ri->drill_passed ? fmt(c, "failed %s ago", dur(c, v->value))
		       : ri->drill_rto_seconds		   ? fmt(c, "passed %s ago, RTO %s", dur(c, v->value),
								 dur(c, (int64_t)ri->drill_rto_seconds))
							   : fmt(c, "passed %s ago", dur(c, v->value));
		break;
	case SK_CHECK_INSTANCE:
		desired = "observed";
		live = strstr(v->message, "not observed") ? "region not observed" : "not found";
		break;
	default:
		break;
	}
	/* verify's report is freed before this one: its words are copied */
	add_check(c, ri, name, v->region, desired, live, verdict,
		  v->status == SK_VERIFY_OK ? NULL : sk_report_ctx_intern(c, v->message));
}

static void quota_checks(struct sk_report_ctx *c, struct sk_report_instance *ri)
{
	size_t i;

	for (i = 0; i < ri->n_regions; i++) {
		const struct sk_report_region *g = sk_report_region(c->r, ri->regions[i]);
		if (!g || g->quota <= 0)
			continue;
		add_check(c, ri, "quota", g->region, fmt(c, "at most %d manual", g->quota),
			  g->manual_after != g->manual ? fmt(c, "%zu manual (%zu after the plan)", g->manual, g->manual_after)
						       : fmt(c, "%zu manual", g->manual),
			  g->over_quota ? SK_REPORT_AT_RISK : SK_REPORT_COMPLIANT,
			  g->over_quota ? fmt(c, "%s holds %zu manual snapshots%s, over its quota of %d: new snapshots "
						  "there fail",
					      g->region, g->manual > g->manual_after ? g->manual : g->manual_after,
					      g->manual_after > g->manual ? " after the plan" : "", g->quota)
					: NULL);
	}
}

void sk_report_checks(struct sk_report_ctx *c, struct sk_report_instance *ri, const struct sk_policy *p,
		      const struct sk_inv_instance *in, const struct sk_verify_result *v, size_t n,
		      const struct sk_verify_limits *lim)
{
	const struct sk_verify_result *repl = NULL;
	size_t i;

	ri->first_check = c->r->n_checks;
	for (i = 0; i < n; i++)
		if (v[i].check == SK_CHECK_REPLICATION)
			repl = &v[i];
	if (in)
		settings_checks(c, ri, p, in, repl);
	for (i = 0; i < n && !c->failed; i++)
		if (v[i].check != SK_CHECK_PITR_RETENTION && v[i].check != SK_CHECK_REPLICATION)
			verify_check(c, ri, &v[i], lim, p);
	if (in && p->has_snapshots)
		quota_checks(c, ri);
}
