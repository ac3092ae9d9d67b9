/*
 * report.c - the report model from the policies, an inventory, its plan,
 * the last drills and the journal (report.h)
 */
#include "reconciler/planner/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/lifecycle_index.h"
#include "reconciler/planner/ownership.h"
#include "reconciler/planner/plan.h"
#include "reconciler/planner/report_journal.h"
#include "reconciler/planner/retention.h"
#include "reconciler/planner/verify.h"
#include "specs/policy.h"

#define DAY ((int64_t)86400)
#define MONTH (30 * DAY)
#define TIMELINE_MAX (400 * DAY)
#define MAX_DAYS 3700 /* ten years of history, one entry per day */

static const char *const verdict_names[] = { "COMPLIANT", "DRIFT", "AT RISK" };
static const char *const verdict_keys[] = { "compliant", "drift", "at-risk" };
static const char *const owner_names[] = { "snapkeep", "aws-backup", "automated", "manual" };
static const char *const event_names[] = { "created", "copied", "deleted", "settings", "failed", "drills", "restores" };

const char *sk_report_verdict_name(enum sk_report_verdict v)
{
	return (unsigned)v < SK_REPORT_VERDICTS ? verdict_names[v] : "?";
}

const char *sk_report_verdict_key(enum sk_report_verdict v)
{
	return (unsigned)v < SK_REPORT_VERDICTS ? verdict_keys[v] : "?";
}

const char *sk_report_owner_name(enum sk_report_owner o)
{
	return (unsigned)o < SK_REPORT_OWNERS ? owner_names[o] : "?";
}

const char *sk_report_event_kind_name(enum sk_report_event_kind k)
{
	return (unsigned)k < SK_REPORT_EVENT_KINDS ? event_names[k] : "?";
}

void sk_report_free(struct sk_report *r)
{
	if (!r)
		return;
	free(r->policies);
	free(r->instances);
	free(r->checks);
	free(r->snapshots);
	free(r->regions);
	free(r->days);
	free(r->storage_gib);
	free(r->storage_cost);
	free(r->events);
	for (size_t i = 0; i < r->n_parts; i++)
		sk_report_free(r->parts[i]);
	free(r->parts);
	free(r->accounts);
	free(r->unobserved);
	sk_arena_free(&r->arena);
	free(r);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_region(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const struct sk_report_region *)elem)->region);
}

const struct sk_report_region *sk_report_region(const struct sk_report *r, const char *region)
{
	if (!r || !region || !r->n_regions)
		return NULL;
	return bsearch(region, r->regions, r->n_regions, sizeof(*r->regions), cmp_region);
}

int sk_report_month_range(int64_t *since, int64_t *until, const char *month)
{
	unsigned y, m;
	char extra;

	if (!month || strlen(month) != 7 || sscanf(month, "%4u-%2u%c", &y, &m, &extra) != 2 || month[4] != '-' ||
	    y < 1970 || y > 9999 || m < 1 || m > 12)
		return sk_error_set(SK_ERR_INVALID, "'%s' is not a month (YYYY-MM, e.g. 2026-11)", month ? month : "");
	*since = sk_time_days_from_civil(y, m, 1) * DAY;
	*until = sk_time_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * DAY;
	return 0;
}

void sk_report_month_before(char out[8], int64_t t)
{
	int64_t y;
	unsigned m, d;

	sk_time_civil_from_days((t - ((t % DAY) + DAY) % DAY) / DAY, &y, &m, &d);
	if (m == 1) {
		y--;
		m = 12;
	} else {
		m--;
	}
	snprintf(out, 8, "%04u-%02u", (unsigned)(y < 0 ? 0 : y % 10000), m % 100);
}

/* ---- the builder's state ---- */

/* an action of the plan, by the instance it concerns */
struct act {
	const char *home; /* the instance's region */
	const struct sk_action *a;
};

struct ctx {
	struct sk_report *r;
	const struct sk_report_input *in;
	const struct sk_inventory *inv;
	const struct sk_plan *plan;
	const struct sk_settings *settings;
	struct act *acts; /* sorted by (home, instance) */
	size_t n_acts;
	uint32_t *decision; /* per inventory snapshot: 1 + its decision's index, 0: none */
	size_t cap_checks, cap_snapshots, cap_instances;
	bool failed;
};

/* a string printed into the report's arena; NULL (and c->failed) when out of memory */
#define fmt(c, ...) checked((c), sk_arena_printf(&(c)->r->arena, __VA_ARGS__))

static const char *checked(struct ctx *c, const char *s)
{
	if (!s)
		c->failed = true;
	return s;
}

static const char *intern(struct ctx *c, const char *s)
{
	const char *k;

	if (!s)
		return NULL;
	if (!(k = sk_arena_intern(&c->r->arena, s)))
		c->failed = true;
	return k;
}

static double price(const struct ctx *c, const char *region)
{
	const struct sk_report_region *g = sk_report_region(c->r, region);

	return g ? g->price : sk_settings_price(c->settings, region);
}

static struct sk_report_region *region_of(struct ctx *c, const char *region)
{
	return (struct sk_report_region *)sk_report_region(c->r, region);
}

/* ---- regions ---- */

enum sk_report_owner sk_report_snapshot_owner(const struct sk_inv_snapshot *s, const struct sk_inv_instance *in)
{
	if (s->type == SK_SNAP_OTHER)
		return SK_OWNER_AWS_BACKUP;
	if (s->type == SK_SNAP_AUTOMATED)
		return in && in->aws_backup_arn ? SK_OWNER_AWS_BACKUP : SK_OWNER_AUTOMATED;
	return sk_snapshot_owner(s) ? SK_OWNER_SNAPKEEP : SK_OWNER_MANUAL;
}

static int build_regions(struct ctx *c)
{
	const struct sk_inventory *inv = c->inv;
	const struct sk_policyset *set = c->in->set;
	const char **names = NULL;
	size_t n = 0, cap = 0, i, j, k;
	struct sk_report *r = c->r;

#define ADD_NAME(s)                                                                                        \
	do {                                                                                               \
		const char **slot_ = SK_ARRAY_PUSH(names, n, cap);                                         \
		if (!slot_)                                                                                \
			goto oom;                                                                          \
		*slot_ = (s);                                                                              \
	} while (0)
	for (i = 0; i < inv->n_regions; i++)
		ADD_NAME(inv->regions[i]);
	for (i = 0; i < c->plan->n_regions; i++)
		ADD_NAME(c->plan->regions[i].region);
	for (i = 0; i < set->n_policies; i++) {
		const struct sk_policy *p = &set->policies[i];
		for (j = 0; j < p->n_regions; j++)
			ADD_NAME(p->regions[j].name);
		for (j = 0; p->has_snapshots && j < p->n_copies; j++)
			ADD_NAME(p->copies[j].region);
	}
	for (i = 0; i < inv->n_snapshots; i = j) {
		ADD_NAME(inv->snapshots[i].region);
		for (j = i + 1; j < inv->n_snapshots && inv->snapshots[j].region == inv->snapshots[i].region; j++)
			;
	}
#undef ADD_NAME
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	r->regions = calloc(n ? n : 1, sizeof(*r->regions));
	if (!r->regions)
		goto oom;
	for (i = 0; i < n; i++) {
		struct sk_report_region *g;
		if (r->n_regions && !strcmp(r->regions[r->n_regions - 1].region, names[i]))
			continue;
		g = &r->regions[r->n_regions++];
		g->region = intern(c, names[i]);
		g->price = sk_settings_price(c->settings, names[i]);
		g->quota = sk_settings_quota(c->settings, names[i]);
	}
	free(names);
	names = NULL;
	/* every snapshot there, whoever owns it: what AWS bills and what the quota counts */
	for (i = 0; i < inv->n_snapshots; i++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[i];
		struct sk_report_region *g = region_of(c, s->region);
		if (!g)
			continue;
		g->by_owner[sk_report_snapshot_owner(s, sk_inventory_find_instance(inv, s->region, s->instance))]++;
		if (s->type == SK_SNAP_MANUAL)
			g->manual++;
		g->cost.gib += s->allocated_gib;
	}
	for (k = 0; k < r->n_regions; k++) {
		struct sk_report_region *g = &r->regions[k];
		g->manual_after = g->manual;
		for (i = 0; i < c->plan->n_regions; i++) {
			const struct sk_region_summary *s = &c->plan->regions[i];
			if (strcmp(s->region, g->region))
				continue;
			g->manual = s->manual_before;
			g->manual_after = s->manual_after;
			g->cost.gib_delta = s->gib_delta;
		}
		g->over_quota = g->quota > 0 && (g->manual > (size_t)g->quota || g->manual_after > (size_t)g->quota);
		g->cost.storage = (double)g->cost.gib * g->price;
		g->cost.delta = (double)g->cost.gib_delta * g->price;
	}
	return 0;
oom:
	free(names);
	c->failed = true;
	return sk_error_set_oom();
}

/* ---- the plan's actions, by instance ---- */

static const char *action_home(const struct sk_action *a)
{
	switch (a->kind) {
	case SK_ACTION_COPY:
	case SK_ACTION_START_REPLICATION:
	case SK_ACTION_STOP_REPLICATION:
		return a->source_region ? a->source_region : a->region;
	case SK_ACTION_DELETE:
		return a->source_region ? a->source_region : a->region;
	default:
		return a->region;
	}
}

static int cmp_act(const void *x, const void *y)
{
	const struct act *a = x, *b = y;
	int d = strcmp(a->home, b->home);

	return d ? d : strcmp(a->a->instance ? a->a->instance : "", b->a->instance ? b->a->instance : "");
}

static int index_actions(struct ctx *c)
{
	const struct sk_plan *p = c->plan;
	size_t i;

	c->acts = calloc(p->n_actions ? p->n_actions : 1, sizeof(*c->acts));
	if (!c->acts)
		return sk_error_set_oom();
	for (i = 0; i < p->n_actions; i++) {
		const char *home = action_home(&p->actions[i]);
		if (!home || !p->actions[i].instance)
			continue;
		c->acts[c->n_acts].home = home;
		c->acts[c->n_acts++].a = &p->actions[i];
	}
	qsort(c->acts, c->n_acts, sizeof(*c->acts), cmp_act);
	/* the decisions, by the snapshot they are about (the plan was made from this inventory) */
	c->decision = calloc(c->inv->n_snapshots ? c->inv->n_snapshots : 1, sizeof(*c->decision));
	if (!c->decision)
		return sk_error_set_oom();
	for (i = 0; i < p->n_decisions && i < UINT32_MAX - 1; i++) {
		const struct sk_inv_snapshot *s = p->decisions[i].snap;
		if (s >= c->inv->snapshots && s < c->inv->snapshots + c->inv->n_snapshots)
			c->decision[s - c->inv->snapshots] = (uint32_t)i + 1;
	}
	return 0;
}

/* the plan's actions for (home, instance): acts[*b .. *e) */
static void actions_of(const struct ctx *c, const char *home, const char *instance, size_t *b, size_t *e)
{
	size_t lo = 0, hi = c->n_acts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(c->acts[mid].home, home);
		if (!d)
			d = strcmp(c->acts[mid].a->instance, instance);
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*b = lo;
	for (hi = lo; hi < c->n_acts && !strcmp(c->acts[hi].home, home) && !strcmp(c->acts[hi].a->instance, instance);
	     hi++)
		;
	*e = hi;
}

/* the change the plan makes to field of the instance, or NULL */
static const struct sk_change *planned_change(const struct ctx *c, const char *home, const char *instance,
					      const char *field)
{
	size_t b, e, i, k;

	actions_of(c, home, instance, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_action *a = c->acts[i].a;
		if (a->kind != SK_ACTION_MODIFY)
			continue;
		for (k = 0; k < a->n_changes; k++)
			if (!strcmp(a->changes[k].field, field))
				return &a->changes[k];
	}
	return NULL;
}

static bool planned_kind(const struct ctx *c, const char *home, const char *instance, enum sk_action_kind kind)
{
	size_t b, e, i;

	actions_of(c, home, instance, &b, &e);
	for (i = b; i < e; i++)
		if (c->acts[i].a->kind == kind)
			return true;
	return false;
}

/* ---- checks ---- */

static void add_check(struct ctx *c, struct sk_report_instance *ri, const char *name, const char *region,
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
	k->region = intern(c, region);
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

static const char *days_text(struct ctx *c, int d)
{
	return fmt(c, "%d day%s", d, d == 1 ? "" : "s");
}

/* the settings the policy sets: desired from it, live from the inventory, drift when the plan changes them */
static void settings_checks(struct ctx *c, struct sk_report_instance *ri, const struct sk_policy *p,
			    const struct sk_inv_instance *in, const struct sk_verify_result *repl)
{
	const char *home = ri->region, *id = ri->instance;
	const struct sk_change *ch;

	if (p->retention_days >= 0) {
		const char *live = in->has_pending_retention && in->pending_retention != in->retention
					   ? fmt(c, "%d day%s (%d pending)", in->retention, in->retention == 1 ? "" : "s",
						 in->pending_retention)
					   : days_text(c, in->retention);
		if (in->aws_backup_arn)
			add_check(c, ri, "backup-retention", home, days_text(c, p->retention_days),
				  fmt(c, "%s (AWS Backup manages it)", live), SK_REPORT_COMPLIANT, NULL);
		else if (p->retention_days > 0 && in->retention == 0 &&
			 !(in->has_pending_retention && in->pending_retention > 0))
			add_check(c, ri, "backup-retention", home, days_text(c, p->retention_days), live, SK_REPORT_AT_RISK,
				  fmt(c, "automated backups are off (retention 0): no point-in-time restore; the policy "
					 "wants %d days", p->retention_days));
		else if ((ch = planned_change(c, home, id, "backup_retention_period")))
			add_check(c, ri, "backup-retention", home, days_text(c, p->retention_days), live, SK_REPORT_DRIFT,
				  fmt(c, "backup retention is %s, the policy wants %s (the next apply changes it)",
				      days_text(c, in->retention), days_text(c, p->retention_days)));
		else
			add_check(c, ri, "backup-retention", home, days_text(c, p->retention_days), live,
				  SK_REPORT_COMPLIANT, NULL);
	}
	if (p->window) {
		const char *live = in->backup_window ? in->backup_window : "none";
		ch = planned_change(c, home, id, "preferred_backup_window");
		add_check(c, ri, "backup-window", home, p->window, live, ch ? SK_REPORT_DRIFT : SK_REPORT_COMPLIANT,
			  ch ? fmt(c, "backup window is %s, the policy wants %s", live, p->window) : NULL);
	}
	if (p->copy_tags >= 0) {
		ch = planned_change(c, home, id, "copy_tags_to_snapshot");
		add_check(c, ri, "copy-tags", home, yesno(p->copy_tags), yesno(in->copy_tags),
			  ch ? SK_REPORT_DRIFT : SK_REPORT_COMPLIANT,
			  ch ? fmt(c, "CopyTagsToSnapshot is %s, the policy wants %s", yesno(in->copy_tags),
				   yesno(p->copy_tags))
			     : NULL);
	}
	if (p->deletion_protection >= 0) {
		ch = planned_change(c, home, id, "deletion_protection");
		add_check(c, ri, "deletion-protection", home, yesno(p->deletion_protection), yesno(in->deletion_protection),
			  ch ? SK_REPORT_DRIFT : SK_REPORT_COMPLIANT,
			  ch ? fmt(c, "deletion protection is %s, the policy wants %s", yesno(in->deletion_protection) ,
				   yesno(p->deletion_protection))
			     : NULL);
	}
	if (p->replicate_mode == SK_REPLICATE_ON) {
		const char *want = fmt(c, "to %s", p->replicate.region);
		const char *live = in->n_replications ? want : "off";
		if (repl && repl->status != SK_VERIFY_OK)
			add_check(c, ri, "replication", home, want, repl->status == SK_VERIFY_CRITICAL ? "off" : "not replicating",
				  SK_REPORT_DRIFT, fmt(c, "%s", repl->message));
		else if (planned_kind(c, home, id, SK_ACTION_START_REPLICATION))
			add_check(c, ri, "replication", home, want, live, SK_REPORT_DRIFT,
				  fmt(c, "automated backups are not replicated to %s", p->replicate.region));
		else
			add_check(c, ri, "replication", home, want, live, SK_REPORT_COMPLIANT, NULL);
	} else if (p->replicate_mode == SK_REPLICATE_OFF) {
		bool stop = planned_kind(c, home, id, SK_ACTION_STOP_REPLICATION);
		add_check(c, ri, "replication", home, "off", in->n_replications ? "on" : "off",
			  stop ? SK_REPORT_DRIFT : SK_REPORT_COMPLIANT,
			  stop ? fmt(c, "automated backups are replicated, the policy wants none") : NULL);
	}
}

static enum sk_report_verdict verdict_of(enum sk_verify_status s)
{
	return s == SK_VERIFY_OK ? SK_REPORT_COMPLIANT : s == SK_VERIFY_WARNING ? SK_REPORT_DRIFT : SK_REPORT_AT_RISK;
}

static const char *dur(struct ctx *c, int64_t s)
{
	char d[48];

	sk_verify_format_duration(d, s);
	return fmt(c, "%s", d);
}

static const struct sk_report_snapshot *find_listed(const struct ctx *c, const struct sk_report_instance *ri,
						    const char *id)
{
	size_t i;

	for (i = ri->first_snapshot; id && i < ri->first_snapshot + ri->n_snapshots; i++)
		if (!strcmp(c->r->snapshots[i].id, id))
			return &c->r->snapshots[i];
	return NULL;
}

/* owned copies the instance has in region */
static size_t copies_in(const struct ctx *c, const struct sk_report_instance *ri, const char *region)
{
	size_t i, n = 0;

	for (i = ri->first_snapshot; i < ri->first_snapshot + ri->n_snapshots; i++)
		if (c->r->snapshots[i].copy && c->r->snapshots[i].owner == SK_OWNER_SNAPKEEP &&
		    !strcmp(c->r->snapshots[i].region, region))
			n++;
	return n;
}

/* one of verify's results as a row: desired and live put in words */
static void verify_check(struct ctx *c, struct sk_report_instance *ri, const struct sk_verify_result *v,
			 const struct sk_verify_limits *lim, const struct sk_policy *p)
{
	enum sk_report_verdict verdict = verdict_of(v->status);
	const char *name = sk_verify_check_name(v->check), *desired = "", *live = "";
	const struct sk_report_snapshot *s;

	switch (v->check) {
	case SK_CHECK_SNAPSHOT_AGE:
		desired = fmt(c, "at most %s old", dur(c, lim->rpo.warn));
		live = v->value >= 0 ? fmt(c, "%s old", dur(c, v->value)) : "none";
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
		desired = fmt(c, "at most %s behind", dur(c, lim->pitr_rpo.warn));
		live = v->value >= 0 ? fmt(c, "%s behind", dur(c, v->value)) : "none";
		break;
	case SK_CHECK_PITR_WINDOW:
		desired = fmt(c, "short by at most %s", dur(c, lim->pitr_window.warn));
		live = v->value >= 0 ? fmt(c, "short by %s", dur(c, v->value)) : "no window";
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
		  v->status == SK_VERIFY_OK ? NULL : intern(c, v->message));
}

static void quota_checks(struct ctx *c, struct sk_report_instance *ri)
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

/* ---- snapshots, newest, cost ---- */

static const char *rule_of(unsigned keep)
{
	static const unsigned ladder[] = { SK_KEEP_YEARLY, SK_KEEP_MONTHLY, SK_KEEP_WEEKLY, SK_KEEP_DAILY,
					   SK_KEEP_HOURLY, SK_KEEP_LAST,    SK_KEEP_WITHIN };
	unsigned bit;
	size_t i;

	for (i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if (keep & ladder[i])
			return sk_keep_reason_name(ladder[i]);
	if (keep & SK_KEEP_NO_RULES)
		return "all";
	for (bit = 1; bit; bit <<= 1)
		if (keep & bit)
			return sk_keep_reason_name(bit);
	return NULL;
}

static void list_snapshots(struct ctx *c, struct sk_report_instance *ri, const struct sk_policy *p,
			   const struct sk_inv_instance *in)
{
	struct sk_report *r = c->r;
	size_t k, b, e, i;

	ri->first_snapshot = r->n_snapshots;
	for (k = 0; k < ri->n_regions && !c->failed; k++) {
		double pr = price(c, ri->regions[k]);
		sk_inventory_snapshot_range(c->inv, ri->regions[k], ri->instance, &b, &e);
		for (i = b; i < e; i++) {
			const struct sk_inv_snapshot *s = &c->inv->snapshots[i];
			const char *owner = sk_snapshot_owner(s);
			struct sk_report_snapshot *rs;
			bool mine;

			if (owner && strcmp(owner, p->name))
				continue; /* another policy's */
			if (!(rs = SK_ARRAY_PUSH(r->snapshots, r->n_snapshots, c->cap_snapshots))) {
				c->failed = true;
				return;
			}
			memset(rs, 0, sizeof(*rs));
			rs->id = s->id;
			rs->region = s->region;
			rs->status = s->status_text ? s->status_text : "unknown";
			rs->created = s->created;
			rs->gib = s->allocated_gib;
			rs->encrypted = s->encrypted;
			rs->copy = sk_lc_copy_source(s) != NULL;
			rs->owner = sk_report_snapshot_owner(s, in);
			if (c->decision[i]) {
				const struct sk_decision *d = &c->plan->decisions[c->decision[i] - 1];
				if (d->policy && !strcmp(d->policy, p->name)) {
					rs->keep = d->keep;
					rs->deleted = d->deleted;
					rs->rule = d->deleted ? NULL : rule_of(d->keep);
				}
			}
			ri->n_snapshots++;
			ri->by_owner[rs->owner]++;
			ri->deleting += rs->deleted;
			ri->cost.gib += s->allocated_gib;
			ri->cost.storage += (double)s->allocated_gib * pr;
			mine = p->has_snapshots ? rs->owner == SK_OWNER_SNAPKEEP && !rs->copy && k == 0
						: s->type == SK_SNAP_AUTOMATED;
			if (mine && s->status == SK_SNAP_AVAILABLE && s->created > ri->newest)
				ri->newest = s->created;
			if (s->created && (!r->timeline_from || s->created < r->timeline_from))
				r->timeline_from = s->created;
		}
	}
}

/* what the plan's creates, copies and deletes change for the instance, and a month of copies' transfer */
static void instance_cost(struct ctx *c, struct sk_report_instance *ri, const struct sk_policy *p,
			  const struct sk_verify_limits *lim)
{
	size_t b, e, i;

	actions_of(c, ri->region, ri->instance, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_action *a = c->acts[i].a;
		int64_t g = a->gib;
		if (!a->policy || strcmp(a->policy, p->name))
			continue;
		if (a->kind == SK_ACTION_CREATE || a->kind == SK_ACTION_COPY) {
			ri->creating++;
		} else if (a->kind == SK_ACTION_DELETE) {
			g = -g;
		} else {
			continue;
		}
		ri->cost.gib_delta += g;
		ri->cost.delta += (double)g * price(c, a->region);
	}
	if (p->has_snapshots && p->n_copies && lim->interval > 0) {
		/* every snapshot copied whole, as if nothing were incremental: an upper bound */
		double per_month = ceil((double)MONTH / (double)lim->interval);
		for (i = 0; i < p->n_copies; i++) {
			struct sk_report_region *g = region_of(c, p->copies[i].region);
			double t = per_month * (double)(ri->allocated_gib > 0 ? ri->allocated_gib : 0) * c->r->transfer_price;
			ri->cost.transfer += t;
			if (g)
				g->cost.transfer += t;
		}
	}
}

/* ---- per instance ---- */

static const struct sk_verify_drill *drill_of(const struct sk_report_input *in, const char *region, const char *id)
{
	size_t i;

	for (i = 0; i < in->n_drills; i++)
		if (!strcmp(in->drills[i].instance, id) && !strcmp(in->drills[i].region, region))
			return &in->drills[i];
	return NULL;
}

/* the instance of verify's results v[0 .. n): every check, its snapshots and costs */
static void build_instance(struct ctx *c, const struct sk_verify_result *v, size_t n)
{
	struct sk_report *r = c->r;
	const struct sk_policy *p = sk_policyset_policy(c->in->set, v[0].policy);
	const struct sk_inv_instance *in;
	const struct sk_verify_result *repl = NULL;
	const struct sk_verify_drill *dr;
	struct sk_report_instance *ri;
	struct sk_verify_limits lim;
	size_t i;

	if (!p)
		return;
	if (!(ri = SK_ARRAY_PUSH(r->instances, r->n_instances, c->cap_instances))) {
		c->failed = true;
		return;
	}
	memset(ri, 0, sizeof(*ri));
	ri->policy = intern(c, p->name);
	ri->region = intern(c, v[0].home);
	ri->instance = intern(c, v[0].instance);
	in = strcmp(v[0].instance, "*") ? sk_inventory_find_instance(c->inv, v[0].home, v[0].instance) : NULL;
	ri->observed = in != NULL;
	if (in) {
		ri->engine = in->engine;
		ri->kms_key_id = in->kms_key_id;
		ri->encrypted = in->encrypted;
		ri->allocated_gib = in->allocated_gib;
	}
	if ((dr = drill_of(c->in, ri->region, ri->instance))) {
		ri->drill_at = dr->at;
		ri->drill_passed = dr->passed;
		ri->drill_rto_seconds = dr->rto_seconds;
		ri->drill_error = dr->passed ? NULL : dr->detail ? intern(c, dr->detail) : "failed";
	}
	/* lanes: its own region, then the copy regions */
	ri->regions = sk_arena_calloc(&r->arena, 1 + (p->has_snapshots ? p->n_copies : 0), sizeof(*ri->regions));
	if (!ri->regions) {
		c->failed = true;
		return;
	}
	ri->regions[ri->n_regions++] = ri->region;
	for (i = 0; p->has_snapshots && i < p->n_copies; i++)
		ri->regions[ri->n_regions++] = intern(c, p->copies[i].region);
	sk_verify_limits(&lim, p, c->in->now);
	if (in)
		list_snapshots(c, ri, p, in);
	else
		ri->first_snapshot = r->n_snapshots;
	ri->first_check = r->n_checks;
	for (i = 0; i < n; i++)
		if (v[i].check == SK_CHECK_REPLICATION)
			repl = &v[i];
	if (in)
		settings_checks(c, ri, p, in, repl);
	for (i = 0; i < n && !c->failed; i++)
		if (v[i].check != SK_CHECK_PITR_RETENTION && v[i].check != SK_CHECK_REPLICATION)
			verify_check(c, ri, &v[i], &lim, p);
	if (in && p->has_snapshots)
		quota_checks(c, ri);
	if (in)
		instance_cost(c, ri, p, &lim);
}

/*
 * verify's results come by policy, then instance: a new instance starts at
 * its snapshot-age check, or at an "instance" result of its own region
 * (not found, region not observed)
 */
static bool starts_instance(const struct sk_verify_result *prev, const struct sk_verify_result *v)
{
	if (!prev || prev->policy != v->policy || strcmp(prev->instance, v->instance) || strcmp(prev->home, v->home))
		return true;
	return v->check == SK_CHECK_SNAPSHOT_AGE || (v->check == SK_CHECK_INSTANCE && !strcmp(v->region, v->home));
}

static int build_instances(struct ctx *c, const struct sk_verify_report *vr)
{
	size_t i, j;

	for (i = 0; i < vr->n && !c->failed; i = j) {
		for (j = i + 1; j < vr->n && !starts_instance(&vr->results[j - 1], &vr->results[j]); j++)
			;
		build_instance(c, &vr->results[i], j - i);
	}
	return c->failed ? sk_error_set_oom() : 0;
}

/* the report's verdict, counts and totals: its instances' and regions' */
static void sum_totals(struct sk_report *r)
{
	size_t k;

	for (k = 0; k < r->n_instances; k++) {
		r->counts[r->instances[k].verdict]++;
		if (r->instances[k].verdict > r->verdict)
			r->verdict = r->instances[k].verdict;
		r->total.transfer += r->instances[k].cost.transfer;
	}
	for (k = 0; k < r->n_regions; k++) {
		r->total.gib += r->regions[k].cost.gib;
		r->total.storage += r->regions[k].cost.storage;
		r->total.gib_delta += r->regions[k].cost.gib_delta;
		r->total.delta += r->regions[k].cost.delta;
	}
}

static int build_policies(struct ctx *c)
{
	struct sk_report *r = c->r;
	const struct sk_policyset *set = c->in->set;
	size_t i, k;

	r->policies = calloc(set->n_policies ? set->n_policies : 1, sizeof(*r->policies));
	if (!r->policies)
		return sk_error_set_oom();
	r->n_policies = set->n_policies;
	for (i = 0; i < set->n_policies; i++) {
		struct sk_report_policy *rp = &r->policies[i];
		rp->name = intern(c, set->policies[i].name);
		rp->first_instance = r->n_instances;
		for (k = 0; k < r->n_instances; k++) {
			const struct sk_report_instance *ri = &r->instances[k];
			if (strcmp(ri->policy, rp->name))
				continue;
			if (!rp->n_instances)
				rp->first_instance = k;
			rp->n_instances++;
			rp->counts[ri->verdict]++;
			if (ri->verdict > rp->verdict)
				rp->verdict = ri->verdict;
			rp->cost.gib += ri->cost.gib;
			rp->cost.storage += ri->cost.storage;
			rp->cost.transfer += ri->cost.transfer;
			rp->cost.gib_delta += ri->cost.gib_delta;
			rp->cost.delta += ri->cost.delta;
		}
		for (k = 0; k < c->plan->n_policies; k++)
			if (!strcmp(c->plan->policies[k].name, rp->name))
				rp->selects_nothing = sk_plan_policy_selects_nothing(&c->plan->policies[k]);
	}
	sum_totals(r);
	return c->failed ? sk_error_set_oom() : 0;
}

/* ---- history ---- */

static int build_history(struct ctx *c)
{
	struct sk_report *r = c->r;
	const struct sk_report_journal *j = c->in->journal;
	int64_t from = r->since - ((r->since % DAY) + DAY) % DAY, span;
	int64_t *after = NULL; /* per (day bucket, region): storage changed by events in it; bucket n_days: later */
	size_t n_days, i, d, k, nr = r->n_regions ? r->n_regions : 1, cells, cap_events = 0;

	if (r->until <= r->since)
		return sk_error_set(SK_ERR_INVALID, "the history window ends before it begins");
	span = r->until - from;
	n_days = (size_t)((span + DAY - 1) / DAY);
	if (n_days > MAX_DAYS)
		return sk_error_set(SK_ERR_INVALID, "the history window spans %zu days, more than %d", n_days, MAX_DAYS);
	cells = (n_days + 1) * nr;
	r->days = calloc(n_days, sizeof(*r->days));
	r->storage_gib = calloc(n_days * nr, sizeof(*r->storage_gib));
	r->storage_cost = calloc(n_days * nr, sizeof(*r->storage_cost));
	after = calloc(cells, sizeof(*after));
	if (!r->days || !r->storage_gib || !r->storage_cost || !after) {
		free(after);
		return sk_error_set_oom();
	}
	r->n_days = n_days;
	for (d = 0; d < n_days; d++)
		r->days[d].day = from + (int64_t)d * DAY;
	r->has_journal = j != NULL;
	for (i = 0; j && i < j->n_events; i++) {
		const struct sk_report_journal_event *e = &j->events[i];
		const struct sk_report_region *g;
		size_t day;

		if (e->time < from)
			continue;
		day = e->time >= r->until ? n_days : (size_t)((e->time - from) / DAY);
		if (e->gib && (g = sk_report_region(r, e->region)))
			after[day * nr + (size_t)(g - r->regions)] += e->gib;
		if (day >= n_days || e->time < r->since)
			continue;
		if (e->failed) {
			r->days[day].counts[SK_EVENT_FAILED]++;
			r->totals[SK_EVENT_FAILED]++;
		}
		if (!e->failed || e->kind == SK_EVENT_DRILL) {
			r->days[day].counts[e->kind]++;
			r->totals[e->kind]++;
		}
		if (e->failed || e->kind == SK_EVENT_DRILL) {
			struct sk_report_event *ev = SK_ARRAY_PUSH(r->events, r->n_events, cap_events);
			if (!ev) {
				free(after);
				return -1;
			}
			ev->time = e->time;
			ev->kind = e->failed ? SK_EVENT_FAILED : e->kind;
			ev->action = intern(c, e->action);
			ev->region = intern(c, e->region);
			ev->instance = intern(c, e->instance);
			ev->target = intern(c, e->target);
			ev->detail = e->detail ? sk_arena_strdup(&r->arena, e->detail) : NULL;
			if (e->detail && !ev->detail)
				c->failed = true;
		}
	}
	/* storage at the end of day d: now's, less what happened after d */
	for (k = 0; k < r->n_regions; k++) {
		int64_t gib = r->regions[k].cost.gib;
		for (d = n_days; d-- > 0;) {
			gib -= after[(d + 1) * nr + k];
			r->storage_gib[d * nr + k] = gib < 0 ? 0 : gib;
			r->storage_cost[d * nr + k] = (double)(gib < 0 ? 0 : gib) * r->regions[k].price;
		}
	}
	free(after);
	return c->failed ? sk_error_set_oom() : 0;
}

/* ---- the report ---- */

/* the timeline starts a month back when nothing older is known, and never more than TIMELINE_MAX back */
static void clamp_timeline(struct sk_report *r)
{
	if (!r->timeline_from)
		r->timeline_from = r->now - MONTH;
	else if (r->timeline_from < r->now - TIMELINE_MAX)
		r->timeline_from = r->now - TIMELINE_MAX;
}

int sk_report_build(struct sk_report **out, const struct sk_report_input *in)
{
	struct sk_verify_opts vo = SK_VERIFY_OPTS_INIT;
	struct sk_verify_report *vr = NULL;
	struct sk_report *r = NULL;
	struct ctx c;
	int rc = -1;

	*out = NULL;
	if (!in || !in->set || !in->inv || !in->plan || in->now <= 0)
		return sk_error_set(SK_ERR_INVALID, "a report needs the policies, an inventory, its plan and the time");
	memset(&c, 0, sizeof(c));
	if (!(r = calloc(1, sizeof(*r))))
		return sk_error_set_oom();
	r->arena = (struct sk_arena)SK_ARENA_INIT;
	r->now = in->now;
	r->observed_at = in->inv->observed_at;
	r->since = in->since;
	r->until = in->until ? in->until : in->now;
	snprintf(r->commit, sizeof(r->commit), "%s", in->set->commit);
	r->transfer_price = in->set->settings.transfer_price_per_gb >= 0 ? in->set->settings.transfer_price_per_gb
									 : SK_DEFAULT_TRANSFER_PRICE_PER_GB;
	c.r = r;
	c.in = in;
	c.inv = in->inv;
	c.plan = in->plan;
	c.settings = &in->set->settings;
	vo.now = in->now;
	vo.drills = in->drills;
	vo.n_drills = in->n_drills;
	vo.drills_known = in->drills_known;
	vo.regions = in->regions;
	vo.n_regions = in->n_regions;
	if (build_regions(&c) < 0 || index_actions(&c) < 0)
		goto done;
	if (sk_verify_run(&vr, in->set, in->inv, &vo) < 0)
		goto done;
	if (build_instances(&c, vr) < 0 || build_policies(&c) < 0 || build_history(&c) < 0)
		goto done;
	clamp_timeline(r);
	*out = r;
	r = NULL;
	rc = 0;
done:
	if (rc < 0 && c.failed && sk_error_last()->klass == SK_ERR_NONE)
		sk_error_set_oom();
	sk_verify_report_free(vr);
	free(c.acts);
	free(c.decision);
	sk_report_free(r);
	return rc;
}

/* ---- several accounts ---- */

static void add_cost(struct sk_report_cost *to, const struct sk_report_cost *c)
{
	to->gib += c->gib;
	to->storage += c->storage;
	to->transfer += c->transfer;
	to->gib_delta += c->gib_delta;
	to->delta += c->delta;
}

/* appends part's instances of policy (with their checks and snapshots) to r */
static int join_instances(struct sk_report *r, size_t *caps, const struct sk_report *part, const char *account,
			  const char *policy)
{
	size_t i, k;

	for (i = 0; i < part->n_instances; i++) {
		const struct sk_report_instance *pi = &part->instances[i];
		struct sk_report_instance *ri;

		if (strcmp(pi->policy, policy))
			continue;
		if (!(ri = SK_ARRAY_PUSH(r->instances, r->n_instances, caps[0])))
			return sk_error_set_oom();
		*ri = *pi;
		ri->account = account;
		ri->first_check = r->n_checks;
		ri->first_snapshot = r->n_snapshots;
		for (k = pi->first_check; k < pi->first_check + pi->n_checks; k++) {
			struct sk_report_check *c = SK_ARRAY_PUSH(r->checks, r->n_checks, caps[1]);
			if (!c)
				return sk_error_set_oom();
			*c = part->checks[k];
		}
		for (k = pi->first_snapshot; k < pi->first_snapshot + pi->n_snapshots; k++) {
			struct sk_report_snapshot *s = SK_ARRAY_PUSH(r->snapshots, r->n_snapshots, caps[2]);
			if (!s)
				return sk_error_set_oom();
			*s = part->snapshots[k];
		}
	}
	return 0;
}

/* the regions of every part, summed by name (sorted) */
static int join_regions(struct ctx *c)
{
	struct sk_report *r = c->r;
	size_t i, k, total = 0, n = 0;

	for (i = 0; i < r->n_parts; i++)
		total += r->parts[i]->n_regions;
	if (!(r->regions = calloc(total ? total : 1, sizeof(*r->regions))))
		return sk_error_set_oom();
	for (i = 0; i < r->n_parts; i++)
		for (k = 0; k < r->parts[i]->n_regions; k++)
			r->regions[n++] = r->parts[i]->regions[k];
	if (n)
		qsort(r->regions, n, sizeof(*r->regions), cmp_str); /* region is the first member */
	for (i = 0; i < n; i++) {
		struct sk_report_region *g, *s = &r->regions[i];
		size_t o;

		if (!r->n_regions || strcmp(r->regions[r->n_regions - 1].region, s->region)) {
			struct sk_report_region one = *s;
			one.region = intern(c, s->region);
			r->regions[r->n_regions++] = one;
			continue;
		}
		g = &r->regions[r->n_regions - 1];
		g->manual += s->manual;
		g->manual_after += s->manual_after;
		g->over_quota = g->over_quota || s->over_quota; /* the quota is each account's own */
		for (o = 0; o < SK_REPORT_OWNERS; o++)
			g->by_owner[o] += s->by_owner[o];
		add_cost(&g->cost, &s->cost);
	}
	return c->failed ? sk_error_set_oom() : 0;
}

int sk_report_join(struct sk_report **out, struct sk_report **parts, const char *const *accounts, size_t n,
		   const struct sk_report_unobserved *unobserved, size_t n_unobserved, const struct sk_report_input *in)
{
	struct sk_report *r = NULL;
	struct ctx c;
	size_t caps[3] = { 0, 0, 0 }, i, k;
	int rc = -1;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if (!in || !in->set || in->now <= 0) {
		sk_error_set(SK_ERR_INVALID, "a report needs the policies and the time");
		goto fail;
	}
	if (!(r = calloc(1, sizeof(*r))))
		goto oom_parts;
	r->arena = (struct sk_arena)SK_ARENA_INIT;
	r->parts = calloc(n ? n : 1, sizeof(*r->parts));
	r->accounts = calloc(n ? n : 1, sizeof(*r->accounts));
	r->unobserved = calloc(n_unobserved ? n_unobserved : 1, sizeof(*r->unobserved));
	if (!r->parts || !r->accounts || !r->unobserved)
		goto oom_parts;
	for (i = 0; i < n; i++) {
		r->parts[r->n_parts++] = parts[i];
		r->accounts[r->n_accounts++] = accounts[i];
	}
	n = 0; /* the parts are r's now */
	for (i = 0; i < n_unobserved; i++)
		r->unobserved[r->n_unobserved++] = unobserved[i];
	r->now = in->now;
	r->since = in->since;
	r->until = in->until ? in->until : in->now;
	snprintf(r->commit, sizeof(r->commit), "%s", in->set->commit);
	r->transfer_price = in->set->settings.transfer_price_per_gb >= 0 ? in->set->settings.transfer_price_per_gb
									 : SK_DEFAULT_TRANSFER_PRICE_PER_GB;
	c.r = r;
	c.in = in;
	for (i = 0; i < r->n_parts; i++) {
		const struct sk_report *p = r->parts[i];
		if (p->observed_at > r->observed_at)
			r->observed_at = p->observed_at;
		if (p->timeline_from && (!r->timeline_from || p->timeline_from < r->timeline_from))
			r->timeline_from = p->timeline_from;
	}
	if (!(r->policies = calloc(in->set->n_policies ? in->set->n_policies : 1, sizeof(*r->policies))))
		goto oom;
	r->n_policies = in->set->n_policies;
	for (k = 0; k < in->set->n_policies; k++) {
		struct sk_report_policy *rp = &r->policies[k];
		bool seen = false;

		rp->name = intern(&c, in->set->policies[k].name);
		rp->first_instance = r->n_instances;
		rp->selects_nothing = true;
		for (i = 0; i < r->n_parts && !c.failed; i++) {
			const struct sk_report *p = r->parts[i];
			size_t j;
			if (join_instances(r, caps, p, r->accounts[i], rp->name) < 0)
				goto done;
			for (j = 0; j < p->n_policies; j++)
				if (!strcmp(p->policies[j].name, rp->name)) {
					seen = true;
					rp->selects_nothing = rp->selects_nothing && p->policies[j].selects_nothing;
				}
		}
		rp->selects_nothing = seen && rp->selects_nothing;
		rp->n_instances = r->n_instances - rp->first_instance;
		for (i = rp->first_instance; i < r->n_instances; i++) {
			const struct sk_report_instance *ri = &r->instances[i];
			rp->counts[ri->verdict]++;
			if (ri->verdict > rp->verdict)
				rp->verdict = ri->verdict;
			add_cost(&rp->cost, &ri->cost);
		}
	}
	if (c.failed || join_regions(&c) < 0)
		goto oom;
	sum_totals(r);
	if (build_history(&c) < 0)
		goto done;
	clamp_timeline(r);
	*out = r;
	r = NULL;
	rc = 0;
	goto done;
oom_parts:
	if (r) {
		free(r->parts);
		r->parts = NULL;
		r->n_parts = 0;
	}
oom:
	sk_error_set_oom();
fail:
	for (i = 0; i < n; i++)
		sk_report_free(parts[i]);
done:
	sk_report_free(r);
	return rc;
}
