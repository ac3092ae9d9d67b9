/*
 * verify.c - `snapkeep verify`'s checks over an inventory (verify.h)
 */
#include "reconciler/planner/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/array.h"
#include "common/error.h"
#include "common/str.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/lifecycle_index.h"
#include "reconciler/planner/ownership.h"
#include "specs/cron.h"

#define HOUR ((int64_t)3600)
#define DAY ((int64_t)86400)
#define MAX_GAPS 5000 /* schedule gaps measured at most (an every-minute schedule needs few) */

static const char *const status_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
static const char *const check_names[SK_CHECK_COUNT] = {
	[SK_CHECK_INSTANCE] = "instance",
	[SK_CHECK_SNAPSHOT_AGE] = "snapshot-age",
	[SK_CHECK_COPY] = "copy",
	[SK_CHECK_STATUS] = "status",
	[SK_CHECK_ENCRYPTION] = "encryption",
	[SK_CHECK_STORAGE] = "storage",
	[SK_CHECK_PITR_RETENTION] = "pitr-retention",
	[SK_CHECK_PITR_LATEST] = "pitr-latest",
	[SK_CHECK_PITR_WINDOW] = "pitr-window",
	[SK_CHECK_REPLICATION] = "replication",
	[SK_CHECK_DRILL] = "drill",
};

const char *sk_verify_status_name(enum sk_verify_status s)
{
	return (unsigned)s < 4 ? status_names[s] : "UNKNOWN";
}

const char *sk_verify_check_name(enum sk_verify_check c)
{
	return (unsigned)c < SK_CHECK_COUNT ? check_names[c] : "?";
}

void sk_verify_format_duration(char out[48], int64_t s)
{
	static const struct {
		char unit;
		int64_t secs;
	} u[] = { { 'd', DAY }, { 'h', HOUR }, { 'm', 60 }, { 's', 1 } };
	size_t i;

	if (s < 0)
		s = 0;
	for (i = 0; i < 3 && s < u[i].secs; i++)
		;
	if (i < 3 && s % u[i].secs / u[i + 1].secs)
		snprintf(out, 48, "%lld%c%lld%c", (long long)(s / u[i].secs), u[i].unit,
			 (long long)(s % u[i].secs / u[i + 1].secs), u[i + 1].unit);
	else
		snprintf(out, 48, "%lld%c", (long long)(s / u[i].secs), u[i].unit);
}

/* ---- thresholds ---- */

/* the longest gap between two fires of the schedule in the year before now */
static int64_t schedule_gap(const struct sk_cron *c, int64_t now)
{
	int64_t t = sk_cron_next(c, now - 366 * DAY), next, gap = 0;
	size_t n;

	for (n = 0; t > 0 && t <= now && n < MAX_GAPS; n++, t = next) {
		next = sk_cron_next(c, t);
		if (next < 0)
			break;
		if (next - t > gap)
			gap = next - t;
	}
	return gap > 0 ? gap : DAY;
}

void sk_verify_limits(struct sk_verify_limits *out, const struct sk_policy *p, int64_t now)
{
	const struct sk_policy_verify *v = &p->verify;
	bool given = p->has_verify;

	out->interval = p->has_snapshots && p->schedule.valid ? schedule_gap(&p->schedule, now) : DAY;
	out->rpo = given && v->rpo.warn ? v->rpo
					: (struct sk_verify_threshold){ out->interval + 2 * HOUR, 2 * out->interval + 2 * HOUR };
	out->copy_rpo = given && v->copy_rpo.warn ? v->copy_rpo : out->rpo;
	out->pitr_rpo = given && v->pitr_rpo.warn ? v->pitr_rpo : (struct sk_verify_threshold){ 15 * 60, HOUR };
	out->pitr_window = given && v->pitr_window.warn ? v->pitr_window
						       : (struct sk_verify_threshold){ 26 * HOUR, 50 * HOUR };
	out->drill_max_age = given && v->drill_max_age ? v->drill_max_age
			     : p->has_drill && p->drill.schedule.valid ? schedule_gap(&p->drill.schedule, now) + DAY
								      : 0;
}

/* OK up to warn, WARNING up to crit, CRITICAL beyond */
static enum sk_verify_status grade(int64_t v, const struct sk_verify_threshold *t)
{
	return v > t->crit ? SK_VERIFY_CRITICAL : v > t->warn ? SK_VERIFY_WARNING : SK_VERIFY_OK;
}

/* "(warn 26h, crit 50h)" */
static const char *limits_text(char out[120], const struct sk_verify_threshold *t)
{
	char w[48], c[48];

	sk_verify_format_duration(w, t->warn);
	sk_verify_format_duration(c, t->crit);
	snprintf(out, 120, "(warn %s, crit %s)", w, c);
	return out;
}

/* ---- results ---- */

struct ctx {
	struct sk_verify_report *r;
	const struct sk_inventory *inv;
	const struct sk_verify_opts *o;
	const struct sk_policy *p;
	const struct sk_inv_instance *in; /* NULL: not observed */
	const char *instance;
	const char *home; /* the instance's region */
	struct sk_verify_limits lim;
	bool failed;
};

/* n more results of status st */
static void count(struct sk_verify_report *r, enum sk_verify_status st, size_t n)
{
	r->counts[st] += n;
	if (!n)
		return;
	/* UNKNOWN ranks below CRITICAL, above WARNING, as check_by_ssh and sanoid order them */
	if (st == SK_VERIFY_CRITICAL || (st == SK_VERIFY_UNKNOWN && r->worst != SK_VERIFY_CRITICAL) ||
	    (st == SK_VERIFY_WARNING && r->worst == SK_VERIFY_OK))
		r->worst = st;
}

static void add(struct ctx *c, const char *region, enum sk_verify_check check, enum sk_verify_status st,
		const char *snapshot, int64_t value, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add(struct ctx *c, const char *region, enum sk_verify_check check, enum sk_verify_status st,
		const char *snapshot, int64_t value, const char *fmt, ...)
{
	struct sk_verify_report *r = c->r;
	struct sk_verify_result *res;
	char msg[1024];
	int n;
	va_list ap;

	if (c->failed)
		return;
	n = snprintf(msg, sizeof(msg), "instance '%s' in %s: ", c->instance, region);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	res = SK_ARRAY_PUSH(r->results, r->n, r->cap);
	if (!res) {
		c->failed = true;
		return;
	}
	res->account = NULL; /* sk_verify_report_absorb names it */
	res->policy = sk_arena_intern(&r->arena, c->p->name);
	res->instance = sk_arena_intern(&r->arena, c->instance);
	res->region = sk_arena_intern(&r->arena, region);
	res->home = sk_arena_intern(&r->arena, c->home);
	res->check = check;
	res->status = st;
	res->snapshot = snapshot ? sk_arena_strdup(&r->arena, snapshot) : NULL;
	res->value = value;
	res->message = sk_arena_strdup(&r->arena, msg);
	if (!res->policy || !res->instance || !res->region || !res->home || !res->message || (snapshot && !res->snapshot)) {
		c->failed = true;
		return;
	}
	count(r, st, 1);
}

/* ---- which snapshots ---- */

static bool is_copy(const struct sk_inv_snapshot *s)
{
	return sk_lc_copy_source(s) != NULL;
}

/* the snapshots the policy keeps of the instance in its own region: owned ones, or automated ones without a schedule */
static bool is_source(const struct ctx *c, const struct sk_inv_snapshot *s)
{
	if (c->p->has_snapshots)
		return !is_copy(s) && sk_snapshot_owned_by(s, c->p->name, c->instance);
	return s->type == SK_SNAP_AUTOMATED;
}

static bool is_copy_of(const struct ctx *c, const struct sk_inv_snapshot *s, const char *source_region)
{
	return is_copy(s) && sk_snapshot_owned_by(s, c->p->name, c->instance) &&
	       sk_lc_copy_from_region(s, source_region);
}

/* what the policy keeps in a region: sources (copy_from NULL) or copies from copy_from */
static bool kept(const struct ctx *c, const struct sk_inv_snapshot *s, const char *copy_from)
{
	return copy_from ? is_copy_of(c, s, copy_from) : is_source(c, s);
}

/* the newest available kept snapshot, or NULL (snapshots are sorted oldest first) */
static const struct sk_inv_snapshot *newest(const struct ctx *c, const char *region, const char *copy_from)
{
	size_t b, e;

	sk_inventory_snapshot_range(c->inv, region, c->instance, &b, &e);
	while (e > b) {
		const struct sk_inv_snapshot *s = &c->inv->snapshots[--e];
		if (s->status == SK_SNAP_AVAILABLE && s->created && kept(c, s, copy_from))
			return s;
	}
	return NULL;
}

/* ---- snapshot checks ---- */

static void check_age(struct ctx *c, const char *region)
{
	const struct sk_inv_snapshot *s = newest(c, region, NULL);
	const char *what = c->p->has_snapshots ? "snapshot" : "automated snapshot";
	char age[48], lim[120];
	int64_t a;

	if (!s) {
		add(c, region, SK_CHECK_SNAPSHOT_AGE, SK_VERIFY_CRITICAL, NULL, -1, "no available %s %s", what,
		    c->p->has_snapshots ? "the policy owns" : "(the policy schedules none)");
		return;
	}
	a = c->o->now - s->created;
	sk_verify_format_duration(age, a);
	add(c, region, SK_CHECK_SNAPSHOT_AGE, grade(a, &c->lim.rpo), s->id, a, "newest available %s '%s' is %s old %s",
	    what, s->id, age, limits_text(lim, &c->lim.rpo));
}

/*
 * The copies in a copy region cover the sources up to their newest copy's
 * source time; a source newer than that is waiting for its copy, and the
 * oldest one waiting says how far behind the region is.
 */
static void check_copy(struct ctx *c, const char *source_region, const char *region)
{
	const struct sk_inv_snapshot *cp = NULL, *waiting = NULL;
	int64_t covered = INT64_MIN, wait;
	char w[48], lim[120];
	size_t b, e, i;

	/* the copy of the newest source: copies are sorted by their own creation, not their source's */
	sk_inventory_snapshot_range(c->inv, region, c->instance, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *s = &c->inv->snapshots[i];
		int64_t of = s->original_created ? s->original_created : s->created;
		if (s->status == SK_SNAP_AVAILABLE && s->created && is_copy_of(c, s, source_region) && of >= covered) {
			covered = of;
			cp = s;
		}
	}
	sk_inventory_snapshot_range(c->inv, source_region, c->instance, &b, &e);
	for (i = b; i < e && !waiting; i++) {
		const struct sk_inv_snapshot *s = &c->inv->snapshots[i];
		if (s->status == SK_SNAP_AVAILABLE && s->created > covered && is_source(c, s))
			waiting = s;
	}
	if (!waiting) {
		if (cp)
			add(c, region, SK_CHECK_COPY, SK_VERIFY_OK, cp->id, 0,
			    "copy '%s' is of the newest source in %s", cp->id, source_region);
		else
			add(c, region, SK_CHECK_COPY, SK_VERIFY_OK, NULL, 0, "no source snapshot in %s to copy yet",
			    source_region);
		return;
	}
	wait = c->o->now - waiting->created;
	sk_verify_format_duration(w, wait);
	if (!cp) {
		add(c, region, SK_CHECK_COPY, wait > c->lim.copy_rpo.warn ? SK_VERIFY_CRITICAL : SK_VERIFY_OK, waiting->id,
		    wait, "no copy at all; source '%s' in %s has waited %s %s", waiting->id, source_region, w,
		    limits_text(lim, &c->lim.copy_rpo));
		return;
	}
	add(c, region, SK_CHECK_COPY, grade(wait, &c->lim.copy_rpo), waiting->id, wait,
	    "source '%s' in %s has waited %s for its copy (newest copy '%s') %s", waiting->id, source_region, w,
	    cp->id, limits_text(lim, &c->lim.copy_rpo));
}

/* failed (or unknown-state) snapshots among the ones kept */
static void check_status(struct ctx *c, const char *region, const char *copy_from)
{
	const struct sk_inv_snapshot *bad = NULL;
	size_t b, e, i, n = 0;

	sk_inventory_snapshot_range(c->inv, region, c->instance, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *s = &c->inv->snapshots[i];
		if ((s->status == SK_SNAP_FAILED || s->status == SK_SNAP_UNKNOWN) && kept(c, s, copy_from)) {
			bad = s;
			n++;
		}
	}
	if (!bad)
		add(c, region, SK_CHECK_STATUS, SK_VERIFY_OK, NULL, -1, "no failed snapshot");
	else
		add(c, region, SK_CHECK_STATUS, SK_VERIFY_WARNING, bad->id, -1, "snapshot '%s' is %s%s", bad->id,
		    bad->status_text ? bad->status_text : "failed", n > 1 ? " (and others)" : "");
}

/*
 * Does actual (a key ARN, as RDS reports KmsKeyId) name the key expected
 * names?  1 yes, 0 no, -1 cannot tell: an alias names a key only through
 * KMS, which verify does not call.
 */
static int kms_matches(const char *expected, const char *actual)
{
	const char *k;
	size_t n, an;

	if (!strcasecmp(expected, actual))
		return 1;
	if (!strncmp(expected, "alias/", 6) || strstr(expected, ":alias/"))
		return -1;
	if (!strncmp(expected, "arn:", 4))
		return 0;
	/* a bare key id: the ARN's "key/<id>" */
	n = strlen(expected);
	an = strlen(actual);
	k = an > n + 4 ? actual + an - n - 4 : NULL;
	return k && !strncmp(k, "key/", 4) && !strcasecmp(k + 4, expected);
}

/* the key expected in a region: verify.kmsKeys, else the copy's kmsKeyId, else the instance's key */
static const char *expected_key(const struct ctx *c, const char *region, const struct sk_policy_copy *cp)
{
	size_t i;

	for (i = 0; i < c->p->verify.n_kms_keys; i++)
		if (!strcmp(c->p->verify.kms_keys[i].region, region))
			return c->p->verify.kms_keys[i].key;
	if (cp)
		return cp->kms_key_id;
	return c->in && c->in->encrypted ? c->in->kms_key_id : NULL;
}

static void check_encryption(struct ctx *c, const char *region, const char *copy_from, const struct sk_policy_copy *cp)
{
	const char *want = expected_key(c, region, cp);
	const struct sk_inv_snapshot *plain = NULL, *wrong = NULL, *unsure = NULL;
	size_t b, e, i, n = 0;

	if (c->p->has_verify && c->p->verify.encrypted == 0) {
		add(c, region, SK_CHECK_ENCRYPTION, SK_VERIFY_OK, NULL, -1, "not checked (verify.encrypted is false)");
		return;
	}
	sk_inventory_snapshot_range(c->inv, region, c->instance, &b, &e);
	for (i = e; i > b; i--) {
		const struct sk_inv_snapshot *s = &c->inv->snapshots[i - 1];
		if (s->status != SK_SNAP_AVAILABLE || !kept(c, s, copy_from))
			continue;
		n++;
		if (!s->encrypted) {
			plain = plain ? plain : s;
		} else if (want) {
			int m = s->kms_key_id ? kms_matches(want, s->kms_key_id) : 0;
			if (m == 0)
				wrong = wrong ? wrong : s;
			else if (m < 0)
				unsure = unsure ? unsure : s;
		}
	}
	if (plain)
		add(c, region, SK_CHECK_ENCRYPTION, SK_VERIFY_CRITICAL, plain->id, -1, "snapshot '%s' is not encrypted",
		    plain->id);
	else if (wrong)
		add(c, region, SK_CHECK_ENCRYPTION, SK_VERIFY_CRITICAL, wrong->id, -1,
		    "snapshot '%s' is encrypted with %s, not the expected key %s", wrong->id,
		    wrong->kms_key_id ? wrong->kms_key_id : "an unnamed key", want);
	else if (unsure)
		add(c, region, SK_CHECK_ENCRYPTION, SK_VERIFY_OK, unsure->id, -1,
		    "%zu snapshot%s encrypted (key %s not compared with %s: an alias names a key only through KMS; "
		    "give its ARN in verify.kmsKeys)", n, n == 1 ? "" : "s", unsure->kms_key_id, want);
	else
		add(c, region, SK_CHECK_ENCRYPTION, SK_VERIFY_OK, NULL, -1, "%zu snapshot%s encrypted%s%s", n,
		    n == 1 ? "" : "s", want ? " with " : "", want ? want : "");
}

static void check_storage(struct ctx *c, const char *region, const char *copy_from)
{
	const struct sk_inv_snapshot *s = newest(c, region, copy_from);

	if (!s || !c->in || c->in->allocated_gib <= 0 || !s->allocated_gib) {
		add(c, region, SK_CHECK_STORAGE, SK_VERIFY_OK, s ? s->id : NULL, -1, "nothing to compare");
		return;
	}
	if ((int64_t)s->allocated_gib < c->in->allocated_gib)
		add(c, region, SK_CHECK_STORAGE, SK_VERIFY_WARNING, s->id, -1,
		    "snapshot '%s' has %u GiB allocated, below the instance's %d GiB (shrunken, or the instance grew "
		    "since)", s->id, s->allocated_gib, c->in->allocated_gib);
	else
		add(c, region, SK_CHECK_STORAGE, SK_VERIFY_OK, s->id, -1, "snapshot '%s' has %u GiB allocated", s->id,
		    s->allocated_gib);
}

/* ---- automated backups ---- */

/* the instance's automated-backups record in its own region, when the inventory has one */
static const struct sk_inv_autobackup *own_autobackup(const struct ctx *c, const char *region)
{
	size_t i;

	for (i = 0; i < c->inv->n_autobackups; i++) {
		const struct sk_inv_autobackup *a = &c->inv->autobackups[i];
		if (a->instance && !strcmp(a->instance, c->instance) && a->region && !strcmp(a->region, region) &&
		    (!a->source_region || !strcmp(a->source_region, region)))
			return a;
	}
	return NULL;
}

/* where RDS starts the window: the oldest available automated snapshot (0: none) */
static int64_t earliest_restorable(const struct ctx *c, const char *region, const char **from)
{
	const struct sk_inv_autobackup *a = own_autobackup(c, region);
	size_t b, e, i;

	if (a && a->earliest) {
		*from = "RestoreWindow";
		return a->earliest;
	}
	sk_inventory_snapshot_range(c->inv, region, c->instance, &b, &e);
	for (i = b; i < e; i++) {
		const struct sk_inv_snapshot *s = &c->inv->snapshots[i];
		if (s->type == SK_SNAP_AUTOMATED && s->status == SK_SNAP_AVAILABLE && s->created) {
			*from = s->id;
			return s->created;
		}
	}
	return 0;
}

static void check_pitr(struct ctx *c, const char *region)
{
	const struct sk_inv_instance *in = c->in;
	int want = c->p->retention_days >= 0 ? c->p->retention_days : in->retention;
	char t[48], lim[120];
	const char *from = NULL;
	int64_t v, earliest;

	if (c->p->retention_days >= 0) {
		if (in->retention == want)
			add(c, region, SK_CHECK_PITR_RETENTION, SK_VERIFY_OK, NULL, -1, "retention %d days, as wanted", want);
		else
			add(c, region, SK_CHECK_PITR_RETENTION,
			    want > 0 && in->retention == 0 ? SK_VERIFY_CRITICAL : SK_VERIFY_WARNING, NULL, -1,
			    "automated-backup retention is %d days, the policy wants %d%s", in->retention, want,
			    in->has_pending_retention && in->pending_retention == want ? " (pending)" : "");
	}
	if (want <= 0 || in->retention <= 0)
		return;
	if (!in->latest_restorable) {
		add(c, region, SK_CHECK_PITR_LATEST, SK_VERIFY_CRITICAL, NULL, -1,
		    "no LatestRestorableTime: point-in-time restore is not possible");
	} else {
		v = c->o->now - in->latest_restorable;
		sk_verify_format_duration(t, v);
		add(c, region, SK_CHECK_PITR_LATEST, grade(v, &c->lim.pitr_rpo), NULL, v,
		    "LatestRestorableTime is %s old %s", t, limits_text(lim, &c->lim.pitr_rpo));
	}
	earliest = earliest_restorable(c, region, &from);
	if (!earliest) {
		add(c, region, SK_CHECK_PITR_WINDOW, SK_VERIFY_CRITICAL, NULL, -1,
		    "no automated snapshot: the point-in-time window has no start");
		return;
	}
	/* the window promised reaches back retention days; RDS starts it at the oldest automated snapshot */
	v = earliest - (c->o->now - (int64_t)in->retention * DAY);
	if (v < 0)
		v = 0;
	sk_verify_format_duration(t, v);
	{
		char reach[48];

		sk_verify_format_duration(reach, c->o->now - earliest);
		add(c, region, SK_CHECK_PITR_WINDOW, grade(v, &c->lim.pitr_window),
		    strcmp(from, "RestoreWindow") ? from : NULL, v,
		    "the point-in-time window reaches back %s (from %s), %s short of %d days %s", reach, from, t,
		    in->retention, limits_text(lim, &c->lim.pitr_window));
	}
}

static void check_replication(struct ctx *c, const char *region)
{
	const char *dest = c->p->replicate.region;
	size_t i;

	if (!c->in->n_replications) {
		add(c, region, SK_CHECK_REPLICATION, SK_VERIFY_CRITICAL, NULL, -1,
		    "automated backups are not replicated (the policy asks for %s)", dest);
		return;
	}
	for (i = 0; i < c->inv->n_autobackups; i++) {
		const struct sk_inv_autobackup *a = &c->inv->autobackups[i];
		if (!a->region || strcmp(a->region, dest) || !a->instance || strcmp(a->instance, c->instance))
			continue;
		if (a->status && strcmp(a->status, "replicating"))
			add(c, region, SK_CHECK_REPLICATION, SK_VERIFY_WARNING, NULL, -1,
			    "the replicated automated backups in %s are %s, not replicating", dest, a->status);
		else
			add(c, region, SK_CHECK_REPLICATION, SK_VERIFY_OK, NULL, -1, "replicated to %s", dest);
		return;
	}
	add(c, region, SK_CHECK_REPLICATION, SK_VERIFY_OK, NULL, -1, "replicated (%s)", c->in->replications[0]);
}

/* an account as the state names it: "" is the caller's own */
static const char *or_own(const char *account)
{
	return account ? account : "";
}

const struct sk_verify_drill *sk_verify_drill_find(const struct sk_verify_drill *v, size_t n, const char *account,
						  const char *region, const char *instance)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].instance, instance) && !strcmp(v[i].region, region) &&
		    !strcmp(or_own(v[i].account), or_own(account)))
			return &v[i];
	return NULL;
}

static void check_drill(struct ctx *c, const char *region)
{
	const struct sk_verify_drill *d;
	char age[48], lim[48];

	if (!c->o->drills_known) {
		add(c, region, SK_CHECK_DRILL, SK_VERIFY_UNKNOWN, NULL, -1,
		    "the state holds no drill results (no state file, or one without drills)");
		return;
	}
	d = sk_verify_drill_find(c->o->drills, c->o->n_drills, c->o->account, region, c->instance);
	if (!d) {
		add(c, region, SK_CHECK_DRILL, SK_VERIFY_CRITICAL, NULL, -1, "no restore drill recorded");
		return;
	}
	sk_verify_format_duration(age, c->o->now - d->at);
	sk_verify_format_duration(lim, c->lim.drill_max_age);
	if (!d->passed)
		add(c, region, SK_CHECK_DRILL, SK_VERIFY_CRITICAL, NULL, c->o->now - d->at, "the last drill (%s ago) failed%s%s",
		    age, d->detail ? ": " : "", d->detail ? d->detail : "");
	else
		add(c, region, SK_CHECK_DRILL, c->o->now - d->at > c->lim.drill_max_age ? SK_VERIFY_WARNING : SK_VERIFY_OK,
		    NULL, c->o->now - d->at, "the last drill passed %s ago (at most %s)", age, lim);
}

/* ---- per instance ---- */

static bool region_wanted(const struct sk_verify_opts *o, const char *region)
{
	return !o->n_regions || sk_strv_has(o->regions, o->n_regions, region);
}

static void verify_instance(struct ctx *c, const char *region)
{
	const struct sk_policy *p = c->p;
	size_t i;

	c->r->n_instances++;
	check_age(c, region);
	check_status(c, region, NULL);
	check_encryption(c, region, NULL, NULL);
	check_storage(c, region, NULL);
	for (i = 0; p->has_snapshots && i < p->n_copies; i++) {
		const char *cr = p->copies[i].region;
		if (!region_wanted(c->o, cr))
			continue;
		if (!sk_inventory_has_region(c->inv, cr)) {
			add(c, cr, SK_CHECK_INSTANCE, SK_VERIFY_UNKNOWN, NULL, -1, "copy region %s was not observed", cr);
			continue;
		}
		check_copy(c, region, cr);
		check_status(c, cr, region);
		check_encryption(c, cr, region, &p->copies[i]);
		check_storage(c, cr, region);
	}
	check_pitr(c, region);
	if (p->replicate_mode == SK_REPLICATE_ON)
		check_replication(c, region);
	if (c->lim.drill_max_age)
		check_drill(c, region);
}

static void verify_policy(struct ctx *c)
{
	const struct sk_policy *p = c->p;
	size_t j, k, b, e;

	sk_verify_limits(&c->lim, p, c->o->now);
	for (j = 0; j < p->n_regions && !c->failed; j++) {
		const char *region = p->regions[j].name;
		c->home = region;
		if (!region_wanted(c->o, region))
			continue;
		if (!sk_inventory_has_instances(c->inv, region)) {
			c->in = NULL;
			c->instance = c->o->instance ? c->o->instance : "*";
			add(c, region, SK_CHECK_INSTANCE, SK_VERIFY_UNKNOWN, NULL, -1, "region %s was not observed", region);
			continue;
		}
		for (k = 0; k < p->n_instances; k++) {
			c->instance = p->instances[k].name;
			if (c->o->instance && strcmp(c->o->instance, c->instance))
				continue;
			c->in = sk_inventory_find_instance(c->inv, region, c->instance);
			if (!c->in)
				add(c, region, SK_CHECK_INSTANCE, SK_VERIFY_UNKNOWN, NULL, -1,
				    "not found: nothing to verify (deleted, or named wrong in policy '%s')", p->name);
			else
				verify_instance(c, region);
		}
		if (p->n_instances)
			continue;
		sk_inventory_instance_range(c->inv, region, &b, &e);
		for (k = b; k < e; k++) {
			c->in = &c->inv->instances[k];
			c->instance = c->in->id;
			if ((!c->o->instance || !strcmp(c->o->instance, c->instance)) && sk_instance_selected_by(c->in, p))
				verify_instance(c, region);
		}
	}
}

int sk_verify_run(struct sk_verify_report **out, const struct sk_policyset *set, const struct sk_inventory *inv,
		  const struct sk_verify_opts *o)
{
	struct sk_verify_report *r;
	struct ctx c;
	size_t i, policies = 0;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return sk_error_set_oom();
	r->now = o->now;
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.inv = inv;
	c.o = o;
	for (i = 0; i < set->n_policies && !c.failed; i++) {
		if (o->policy && strcmp(o->policy, set->policies[i].name))
			continue;
		policies++;
		c.p = &set->policies[i];
		verify_policy(&c);
	}
	if (c.failed) {
		sk_verify_report_free(r);
		return sk_error_set_oom();
	}
	if (o->policy && !policies) {
		sk_verify_report_free(r);
		sk_error_set(SK_ERR_INVALID, "no policy named '%s'", o->policy);
		return SK_ENOTFOUND;
	}
	if (o->instance && !r->n) {
		sk_verify_report_free(r);
		sk_error_set(SK_ERR_INVALID, "no policy%s%s%s selects instance '%s'", o->policy ? " ('" : "",
			     o->policy ? o->policy : "", o->policy ? "')" : "", o->instance);
		return SK_ENOTFOUND;
	}
	*out = r;
	return 0;
}

int sk_verify_report_new(struct sk_verify_report **out, int64_t now)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return sk_error_set_oom();
	(*out)->now = now;
	return 0;
}

/* one more account, observed (error NULL) or not; its id, or NULL (out of memory, set) */
static const char *add_account(struct sk_verify_report *r, const char *id, const char *error)
{
	struct sk_verify_account *a = SK_ARRAY_PUSH(r->accounts, r->n_accounts, r->cap_accounts);

	if (!a)
		return NULL;
	a->id = sk_arena_intern(&r->arena, id);
	a->error = error ? sk_arena_strdup(&r->arena, error) : NULL;
	if (!a->id || (error && !a->error)) {
		sk_error_set_oom();
		return NULL;
	}
	return a->id;
}

/* part's results copied into into, each naming account (NULL: the account it names), counts added */
static int copy_results(struct sk_verify_report *into, const struct sk_verify_report *part, const char *account)
{
	size_t i, k;

	if (SK_ARRAY_GROW(into->results, into->cap, into->n + part->n) < 0)
		return -1;
	for (i = 0; i < part->n; i++) {
		const struct sk_verify_result *from = &part->results[i];
		struct sk_verify_result *to = &into->results[into->n];

		*to = *from;
		to->account = account ? account : sk_arena_intern(&into->arena, from->account);
		to->policy = sk_arena_intern(&into->arena, from->policy);
		to->instance = sk_arena_intern(&into->arena, from->instance);
		to->region = sk_arena_intern(&into->arena, from->region);
		to->home = sk_arena_intern(&into->arena, from->home);
		to->snapshot = from->snapshot ? sk_arena_strdup(&into->arena, from->snapshot) : NULL;
		to->message = sk_arena_strdup(&into->arena, from->message);
		if (!to->policy || !to->instance || !to->region || !to->home || !to->message ||
		    (from->snapshot && !to->snapshot) || (from->account && !to->account))
			return sk_error_set_oom();
		into->n++;
	}
	for (k = 0; k < 4; k++)
		count(into, (enum sk_verify_status)k, part->counts[k]);
	into->n_instances += part->n_instances;
	return 0;
}

int sk_verify_report_absorb(struct sk_verify_report *into, const struct sk_verify_report *part, const char *account)
{
	const char *a = add_account(into, account, NULL);

	return a ? copy_results(into, part, a) : -1;
}

int sk_verify_report_join(struct sk_verify_report *into, const struct sk_verify_report *part)
{
	return copy_results(into, part, NULL);
}

int sk_verify_report_unobserved(struct sk_verify_report *r, const char *account, const char *error)
{
	if (!add_account(r, account, error ? error : "not observed"))
		return -1;
	r->n_unobserved++;
	count(r, SK_VERIFY_UNKNOWN, 1);
	return 0;
}

void sk_verify_report_free(struct sk_verify_report *r)
{
	if (!r)
		return;
	free(r->results);
	free(r->accounts);
	sk_arena_free(&r->arena);
	free(r);
}
