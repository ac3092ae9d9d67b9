/*
 * report.c - the report model from the policies, an inventory, its plan,
 * the last drills and the journal (report.h): regions, instances with
 * their snapshots and cost, policies, and the join over several accounts.
 * Each instance's checks are report_checks.c's, the history
 * report_history.c's; report_context.h is the state they share.
 */
#include "reconciler/planner/report.h"

#include <math.h>
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
#include "reconciler/planner/report_checks.h"
#include "reconciler/planner/report_context.h"
#include "reconciler/planner/report_history.h"
#include "reconciler/planner/retention.h"
#include "reconciler/planner/verify.h"
#include "specs/policy.h"

#define DAY ((int64_t)86400)
#define MONTH (30 * DAY)
#define TIMELINE_MAX (400 * DAY)

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

/* ---- the builder's helpers ---- */

static double price(const struct sk_report_ctx *c, const char *region)
{
	const struct sk_report_region *g = sk_report_region(c->r, region);

	return g ? g->price : sk_settings_price(c->settings, region);
}

static struct sk_report_region *region_of(struct sk_report_ctx *c, const char *region)
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

static int build_regions(struct sk_report_ctx *c)
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
		g->region = sk_report_ctx_intern(c, names[i]);
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

static void list_snapshots(struct sk_report_ctx *c, struct sk_report_instance *ri, const struct sk_policy *p,
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
static void instance_cost(struct sk_report_ctx *c, struct sk_report_instance *ri, const struct sk_policy *p,
			  const struct sk_verify_limits *lim)
{
	size_t b, e, i;

	sk_report_ctx_actions_of(c, ri->region, ri->instance, &b, &e);
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

/* the instance of verify's results v[0 .. n): every check, its snapshots and costs */
static void build_instance(struct sk_report_ctx *c, const struct sk_verify_result *v, size_t n)
{
	struct sk_report *r = c->r;
	const struct sk_policy *p = sk_policyset_policy(c->in->set, v[0].policy);
	const struct sk_inv_instance *in;
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
	ri->policy = sk_report_ctx_intern(c, p->name);
	ri->region = sk_report_ctx_intern(c, v[0].home);
	ri->instance = sk_report_ctx_intern(c, v[0].instance);
	in = strcmp(v[0].instance, "*") ? sk_inventory_find_instance(c->inv, v[0].home, v[0].instance) : NULL;
	ri->observed = in != NULL;
	if (in) {
		ri->engine = in->engine;
		ri->kms_key_id = in->kms_key_id;
		ri->encrypted = in->encrypted;
		ri->allocated_gib = in->allocated_gib;
	}
	if ((dr = sk_verify_drill_find(c->in->drills, c->in->n_drills, c->in->account, ri->region, ri->instance))) {
		ri->drill_at = dr->at;
		ri->drill_passed = dr->passed;
		ri->drill_rto_seconds = dr->rto_seconds;
		ri->drill_error = dr->passed ? NULL : dr->detail ? sk_report_ctx_intern(c, dr->detail) : "failed";
	}
	/* lanes: its own region, then the copy regions */
	ri->regions = sk_arena_calloc(&r->arena, 1 + (p->has_snapshots ? p->n_copies : 0), sizeof(*ri->regions));
	if (!ri->regions) {
		c->failed = true;
		return;
	}
	ri->regions[ri->n_regions++] = ri->region;
	for (i = 0; p->has_snapshots && i < p->n_copies; i++)
		ri->regions[ri->n_regions++] = sk_report_ctx_intern(c, p->copies[i].region);
	sk_verify_limits(&lim, p, c->in->now);
	if (in)
		list_snapshots(c, ri, p, in);
	else
		ri->first_snapshot = r->n_snapshots;
	sk_report_checks(c, ri, p, in, v, n, &lim);
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

static int build_instances(struct sk_report_ctx *c, const struct sk_verify_report *vr)
{
	size_t i, j;

	for (i = 0; i < vr->n && !c->failed; i = j) {
		for (j = i + 1; j < vr->n && !starts_instance(&vr->results[j - 1], &vr->results[j]); j++)
			;
		build_instance(c, &vr->results[i], j - i);
	}
	return c->failed ? sk_error_set_oom() : 0;
}

static void add_cost(struct sk_report_cost *to, const struct sk_report_cost *c)
{
	to->gib += c->gib;
	to->storage += c->storage;
	to->transfer += c->transfer;
	to->gib_delta += c->gib_delta;
	to->delta += c->delta;
}

/* ri counted in its policy's verdicts and cost */
static void policy_add(struct sk_report_policy *rp, const struct sk_report_instance *ri)
{
	rp->counts[ri->verdict]++;
	if (ri->verdict > rp->verdict)
		rp->verdict = ri->verdict;
	add_cost(&rp->cost, &ri->cost);
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

static int build_policies(struct sk_report_ctx *c)
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
		rp->name = sk_report_ctx_intern(c, set->policies[i].name);
		rp->first_instance = r->n_instances;
		for (k = 0; k < r->n_instances; k++) {
			const struct sk_report_instance *ri = &r->instances[k];
			if (strcmp(ri->policy, rp->name))
				continue;
			if (!rp->n_instances)
				rp->first_instance = k;
			rp->n_instances++;
			policy_add(rp, ri);
		}
		for (k = 0; k < c->plan->n_policies; k++)
			if (!strcmp(c->plan->policies[k].name, rp->name))
				rp->selects_nothing = sk_plan_policy_selects_nothing(&c->plan->policies[k]);
	}
	sum_totals(r);
	return c->failed ? sk_error_set_oom() : 0;
}

/* ---- the report ---- */

/* an empty report at in->now over its history window, with the policies' commit and transfer price */
static struct sk_report *report_new(const struct sk_report_input *in)
{
	struct sk_report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->arena = (struct sk_arena)SK_ARENA_INIT;
	r->now = in->now;
	r->since = in->since;
	r->until = in->until ? in->until : in->now;
	snprintf(r->commit, sizeof(r->commit), "%s", in->set->commit);
	r->transfer_price = in->set->settings.transfer_price_per_gb >= 0 ? in->set->settings.transfer_price_per_gb
									 : SK_DEFAULT_TRANSFER_PRICE_PER_GB;
	return r;
}

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
	struct sk_report_ctx c = { .in = in };
	int rc = -1;

	*out = NULL;
	if (!in || !in->set || !in->inv || !in->plan || in->now <= 0)
		return sk_error_set(SK_ERR_INVALID, "a report needs the policies, an inventory, its plan and the time");
	if (!(r = report_new(in)))
		return sk_error_set_oom();
	r->observed_at = in->inv->observed_at;
	c.r = r;
	c.inv = in->inv;
	c.plan = in->plan;
	c.settings = &in->set->settings;
	vo.now = in->now;
	vo.account = in->account;
	vo.drills = in->drills;
	vo.n_drills = in->n_drills;
	vo.drills_known = in->drills_known;
	vo.regions = in->regions;
	vo.n_regions = in->n_regions;
	if (build_regions(&c) < 0 || sk_report_ctx_index_actions(&c) < 0)
		goto done;
	if (sk_verify_run(&vr, in->set, in->inv, &vo) < 0)
		goto done;
	if (build_instances(&c, vr) < 0 || build_policies(&c) < 0 || sk_report_history(&c) < 0)
		goto done;
	clamp_timeline(r);
	*out = r;
	r = NULL;
	rc = 0;
done:
	if (rc < 0 && c.failed && sk_error_last()->klass == SK_ERR_NONE)
		sk_error_set_oom();
	sk_verify_report_free(vr);
	sk_report_ctx_release(&c);
	sk_report_free(r);
	return rc;
}

/* ---- several accounts ---- */

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
static int join_regions(struct sk_report_ctx *c)
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
			one.region = sk_report_ctx_intern(c, s->region);
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
	struct sk_report_ctx c = { .in = in };
	size_t caps[3] = { 0, 0, 0 }, i, k;
	int rc = -1;

	*out = NULL;
	if (!in || !in->set || in->now <= 0) {
		sk_error_set(SK_ERR_INVALID, "a report needs the policies and the time");
		goto fail;
	}
	if (!(r = report_new(in)))
		goto oom_parts;
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
	c.r = r;
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

		rp->name = sk_report_ctx_intern(&c, in->set->policies[k].name);
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
		for (i = rp->first_instance; i < r->n_instances; i++)
			policy_add(rp, &r->instances[i]);
	}
	if (c.failed || join_regions(&c) < 0)
		goto oom;
	sum_totals(r);
	if (sk_report_history(&c) < 0)
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
