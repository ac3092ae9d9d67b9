/*
 * diff.c - the difference between a policy set and an inventory, as a plan
 *
 * For every instance a policy selects: the automated-backup settings and
 * their replication (one modify action, replication starts and stops),
 * then each snapshot policy's schedule, retention and copies (lifecycle.c).
 * Instances no policy selects are reported, never touched.
 */
#include "reconciler/planner/diff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "common/array.h"
#include "common/digest.h"
#include "common/error.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/planner/context.h"
#include "reconciler/planner/guardrails.h"
#include "reconciler/planner/warnings.h"
#include "reconciler/planner/lifecycle.h"
#include "reconciler/planner/ownership.h"
#include "reconciler/planner/windows.h"
#include "specs/policy.h"

/* ---- selection: which policy selects which instance ---- */

static int add_selection(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in)
{
	struct sk_diff_sel *s = SK_ARRAY_PUSH(d->sel, d->n_sel, d->cap_sel);

	if (!s)
		return -1;
	s->policy = p;
	s->inst = in;
	return 0;
}

/*
 * An instance a policy for instances selected, that belongs to an Aurora
 * cluster: the cluster takes the snapshots and holds the backup settings,
 * so the member is never managed on its own
 */
static void member_note(struct sk_diff *d, const struct sk_policy *p, const struct sk_inv_instance *in)
{
	sk_diff_note(d, SK_NOTE_WARNING, in->region, in->id,
		     "policy '%s' selects instance '%s', a member of Aurora cluster '%s': left alone; a member is "
		     "managed through its cluster (select it with selector.clusters), never snapshotted on its own",
		     p->name, in->id, in->cluster);
}

static int cmp_sel(const void *pa, const void *pb)
{
	const struct sk_diff_sel *a = pa, *b = pb;

	/* inventory order (region, id), then policy order */
	if (a->inst != b->inst)
		return a->inst < b->inst ? -1 : 1;
	if (a->policy != b->policy)
		return a->policy < b->policy ? -1 : 1;
	return 0;
}

static int select_instances(struct sk_diff *d)
{
	size_t i, j, k;

	for (i = 0; i < d->set->n_policies; i++) {
		const struct sk_policy *p = &d->set->policies[i];
		for (j = 0; j < p->n_regions; j++) {
			const char *region = p->regions[j].name;
			if (!sk_diff_region_wanted(d, region))
				continue;
			if (!sk_inventory_has_region(d->inv, region)) {
				sk_diff_error(d, &p->regions[j].pos, "policy '%s': region '%s' was not observed", p->name,
					      region);
				continue;
			}
			if (!sk_inventory_has_instances(d->inv, region)) {
				sk_diff_error(d, &p->regions[j].pos,
					      "policy '%s': region '%s' was not observed for its instances (only its snapshots were)",
					      p->name, region);
				continue;
			}
			if (p->n_instances) {
				for (k = 0; k < p->n_instances; k++) {
					const struct sk_inv_instance *in =
						p->clusters
							? sk_inventory_find_cluster(d->inv, region, p->instances[k].name)
							: sk_inventory_find_instance(d->inv, region, p->instances[k].name);
					if (!in) {
						sk_diff_error(d, &p->instances[k].pos, "policy '%s': %s '%s' not found in %s",
							      p->name, p->clusters ? "cluster" : "instance",
							      p->instances[k].name, region);
						continue;
					}
					if (in->cluster && !in->is_cluster)
						member_note(d, p, in);
					else if (add_selection(d, p, in) < 0)
						return -1;
				}
			} else {
				size_t b, e;
				sk_inventory_instance_range(d->inv, region, &b, &e);
				/* a drill's throw-away instance, or one selector.exclude names, is never managed */
				for (k = b; k < e; k++) {
					const struct sk_inv_instance *in = &d->inv->instances[k];
					if (!sk_instance_selected_by(in, p))
						continue;
					if (in->cluster && !in->is_cluster)
						member_note(d, p, in);
					else if (add_selection(d, p, in) < 0)
						return -1;
				}
			}
		}
	}
	if (d->n_sel)
		qsort(d->sel, d->n_sel, sizeof(*d->sel), cmp_sel);
	/* the same policy naming an instance twice selects it once */
	for (i = 0, j = 0; i < d->n_sel; i++)
		if (!j || d->sel[j - 1].inst != d->sel[i].inst || d->sel[j - 1].policy != d->sel[i].policy)
			d->sel[j++] = d->sel[i];
	d->n_sel = j;
	return 0;
}

/*
 * What each policy selects, for the plan's readers (p->policies), and a
 * warning for a policy that looked in its regions and selected nothing: it
 * protects no database, which an empty plan would otherwise hide.
 */
static int record_policies(struct sk_diff *d)
{
	struct sk_plan *plan = d->plan;
	size_t n = d->set->n_policies, i, j, *count = NULL;
	struct sk_buf why = SK_BUF_INIT;

	if (!n)
		return 0;
	plan->policies = sk_arena_calloc(&plan->arena, n, sizeof(*plan->policies));
	count = calloc(n, sizeof(*count));
	if (!plan->policies || !count) {
		free(count);
		return sk_error_set_oom();
	}
	for (i = 0; i < d->n_sel; i++)
		count[d->sel[i].policy - d->set->policies]++;
	for (i = 0; i < n && !d->failed; i++) {
		const struct sk_policy *p = &d->set->policies[i];
		struct sk_plan_policy *pp = &plan->policies[i];
		pp->name = sk_diff_intern(d, p->name);
		if (p->n_regions && !(pp->regions = sk_arena_calloc(&plan->arena, p->n_regions, sizeof(*pp->regions))))
			d->failed = true;
		for (j = 0; pp->regions && j < p->n_regions; j++)
			if (sk_diff_region_wanted(d, p->regions[j].name))
				pp->regions[pp->n_regions++] = sk_diff_intern(d, p->regions[j].name);
		if (count[i] && !(pp->instances = sk_arena_calloc(&plan->arena, count[i], sizeof(*pp->instances))))
			d->failed = true;
	}
	/* d->sel is in inventory order: so is each policy's list */
	for (i = 0; i < d->n_sel && !d->failed; i++) {
		struct sk_plan_policy *pp = &plan->policies[d->sel[i].policy - d->set->policies];
		pp->instances[pp->n_instances].region = sk_diff_intern(d, d->sel[i].inst->region);
		pp->instances[pp->n_instances].instance = sk_diff_intern(d, d->sel[i].inst->id);
		pp->n_instances++;
	}
	plan->n_policies = n;
	for (i = 0; i < n && !d->failed; i++) {
		const struct sk_plan_policy *pp = &plan->policies[i];
		if (!sk_plan_policy_selects_nothing(pp))
			continue;
		sk_buf_reset(&why);
		if (sk_plan_describe_empty_policy(&why, pp, &d->set->policies[i]) < 0)
			d->failed = true;
		else
			sk_diff_note(d, SK_NOTE_WARNING, pp->n_regions == 1 ? pp->regions[0] : NULL, NULL, "%s",
				     sk_buf_cstr(&why));
	}
	sk_buf_free(&why);
	free(count);
	return d->failed ? -1 : 0;
}

static void check_conflicts(struct sk_diff *d, size_t begin, size_t end)
{
	size_t i, j;

	for (i = begin; i < end; i++)
		for (j = i + 1; j < end; j++) {
			struct sk_buf why = SK_BUF_INIT;
			const struct sk_policy *a = d->sel[i].policy, *b = d->sel[j].policy;
			if (sk_policy_conflicts(a, b, &why))
				sk_diff_error(d, &d->sel[j].policy->pos,
					      "policies '%s' and '%s' both select instance '%s' in %s with conflicting settings: %s",
					      d->sel[i].policy->name, d->sel[j].policy->name, d->sel[i].inst->id,
					      d->sel[i].inst->region, sk_buf_cstr(&why));
			sk_buf_free(&why);
			/* what validate checks for named instances, for the ones tag selectors found */
			if (a->has_snapshots && b->has_snapshots &&
			    !strcmp(a->prefix ? a->prefix : "snapkeep", b->prefix ? b->prefix : "snapkeep"))
				sk_diff_error(d, &b->prefix_pos,
					      "policies '%s' and '%s' both take snapshots of instance '%s' in %s with prefix "
					      "'%s'; their identifiers would collide: give one of them another prefix",
					      a->name, b->name, d->sel[i].inst->id, d->sel[i].inst->region,
					      b->prefix ? b->prefix : "snapkeep");
		}
}

/* ---- automated backups: the instance's settings and replication ---- */

struct desired {
	int retention;
	const char *window;
	int copy_tags;
	int deletion_protection;
	bool apply_immediately;
	int replicate_mode;
	const struct sk_policy_replicate *replicate;
	const char *policy; /* the first policy that sets anything */
	const struct sk_policy *window_policy; /* the one whose window it is */
	bool suspended;     /* one of the policies that set anything is suspended: hands off the instance */
};

static void merge_desired(struct desired *w, const struct sk_diff_sel *sel, size_t n)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->retention = w->copy_tags = w->deletion_protection = -1;
	for (i = 0; i < n; i++) {
		const struct sk_policy *p = sel[i].policy;
		if (!p->has_automated)
			continue;
		if (!w->policy)
			w->policy = p->name;
		if (p->suspend)
			w->suspended = true;
		if (w->retention < 0 && p->retention_days >= 0)
			w->retention = p->retention_days;
		if (!w->window && p->window) {
			w->window = p->window;
			w->window_policy = p;
		}
		if (w->copy_tags < 0 && p->copy_tags >= 0)
			w->copy_tags = p->copy_tags;
		if (w->deletion_protection < 0 && p->deletion_protection >= 0)
			w->deletion_protection = p->deletion_protection;
		if (p->apply_immediately)
			w->apply_immediately = true;
		if (!w->replicate_mode && p->replicate_mode) {
			w->replicate_mode = p->replicate_mode;
			w->replicate = &p->replicate;
		}
	}
}

/*
 * What RDS refuses for an Aurora cluster, refused by the plan before any
 * call: a retention of 0 (Aurora keeps automated backups 1 to 35 days) and
 * automated-backup replication (an Aurora cluster replicates as a global
 * database, which snapkeep does not manage).
 */
static void check_cluster(struct sk_diff *d, size_t begin, size_t end)
{
	const struct sk_inv_instance *in = d->sel[begin].inst;
	size_t i;

	for (i = begin; in->is_cluster && i < end; i++) {
		const struct sk_policy *p = d->sel[i].policy;
		if (p->has_automated && p->retention_days == 0)
			sk_diff_error(d, &p->retention_pos, "policy '%s': Aurora cluster '%s' in %s keeps automated "
				      "backups 1 to 35 days; RDS refuses retentionDays 0 (InvalidParameterValue)",
				      p->name, in->id, in->region);
		if (p->replicate_mode != SK_REPLICATE_UNSET)
			sk_diff_error(d, &p->selector_pos, "policy '%s': automated.replicate applies to DB instances; "
				      "Aurora cluster '%s' in %s has no automated-backup replication (use copies)",
				      p->name, in->id, in->region);
	}
}

/*
 * The backup window the policies want against the instance's maintenance
 * window (snapkeep never changes that one): RDS refuses a pair that
 * overlaps, so the plan does, before any call.
 */
static void check_windows(struct sk_diff *d, size_t begin, size_t end)
{
	const struct sk_inv_instance *in = d->sel[begin].inst;
	struct desired w;

	merge_desired(&w, &d->sel[begin], end - begin);
	if (!w.window || in->aws_backup_arn || sk_windows_check(w.window, in->maintenance_window) == 0)
		return;
	sk_diff_error(d, &w.window_policy->window_pos, "policy '%s': %s '%s' in %s: %s; RDS would refuse it "
		      "(InvalidParameterCombination): move one of them",
		      w.window_policy->name, in->is_cluster ? "cluster" : "instance", in->id, in->region,
		      sk_error_message());
}

static const char *yesno(int v)
{
	return v ? "true" : "false";
}

struct replica {
	const char *arn;    /* the automated backup's ARN */
	char region[64];    /* where it lives */
	int retention;      /* -1: unknown (its region was not observed) */
	const char *kms_key_id;
};

/* the instance's automated-backup replications: from the instance and from observed automated backups */
static size_t find_replicas(struct sk_diff *d, const struct sk_inv_instance *in, struct replica *out, size_t max)
{
	struct sk_arn arn;
	size_t n = 0, i, j;

	for (i = 0; i < in->n_replications && n < max; i++) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].arn = in->replications[i];
		out[n].retention = -1;
		if (sk_arn_parse(&arn, in->replications[i]) < 0 ||
		    sk_arn_part_copy(out[n].region, sizeof(out[n].region), arn.region) < 0)
			continue;
		n++;
	}
	for (i = 0; i < d->inv->n_autobackups; i++) {
		const struct sk_inv_autobackup *b = &d->inv->autobackups[i];
		bool same_instance = b->instance_arn && in->arn && !strcmp(b->instance_arn, in->arn);
		/* a stopped replication leaves its backups "retained": they no longer replicate */
		bool live = !b->status || (strcmp(b->status, "retained") && strcmp(b->status, "deleting"));
		if (!same_instance || !live || !strcmp(b->region, in->region))
			continue;
		for (j = 0; j < n; j++)
			if (!strcmp(out[j].region, b->region))
				break;
		if (j == n) {
			if (n == max)
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].arn = b->arn;
			sk_strlcpy(out[n].region, b->region, sizeof(out[n].region));
			n++;
		}
		out[j].retention = b->retention;
		out[j].kms_key_id = b->kms_key_id;
	}
	return n;
}

static void replication_action(struct sk_diff *d, enum sk_action_kind kind, const struct sk_inv_instance *in,
			       const char *dest, const struct sk_policy_replicate *r, const char *policy,
			       const char *reason, bool w_suspended)
{
	struct sk_action a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.retention = a.copy_tags = a.deletion_protection = -1;
	a.suspended = w_suspended;
	a.region = sk_diff_intern(d, dest);
	a.instance = in->id;
	a.target = in->id;
	a.policy = sk_diff_intern(d, policy);
	a.reason = reason;
	a.source_region = in->region;
	a.source_arn = sk_diff_intern(d, in->arn);
	if (kind == SK_ACTION_START_REPLICATION) {
		a.kms_key_id = r->kms_key_id ? sk_diff_intern(d, r->kms_key_id) : NULL;
		a.replica_retention = r->retention_days;
	}
	sk_diff_action(d, &a);
}

/* a replication call goes to the destination region: none to a region outside --region */
static bool replication_allowed(struct sk_diff *d, const struct sk_inv_instance *in, const char *dest, bool *noted)
{
	if (sk_diff_dest_wanted(d, dest))
		return true;
	if (!*noted)
		sk_diff_note(d, SK_NOTE_DEFERRED, in->region, in->id,
			     "replication of automated backups to %s is left for a run that includes %s: it is not in "
			     "--region",
			     dest, dest);
	*noted = true;
	return false;
}

static void diff_replication(struct sk_diff *d, const struct sk_inv_instance *in, const struct desired *w)
{
	struct replica reps[8];
	size_t n, i;
	bool have_wanted = false, noted = false;

	if (!w->replicate_mode)
		return;
	if (!in->arn) {
		sk_diff_note(d, SK_NOTE_WARNING, in->region, in->id, "no instance ARN observed: replication left alone");
		return;
	}
	n = find_replicas(d, in, reps, sizeof(reps) / sizeof(reps[0]));
	for (i = 0; i < n; i++)
		sk_diff_basis(d, "replication %s/%s %s retention=%d", in->region, in->id, reps[i].region, reps[i].retention);
	for (i = 0; i < n; i++) {
		const struct sk_policy_replicate *r = w->replicate;
		bool wanted = w->replicate_mode == SK_REPLICATE_ON && !strcmp(reps[i].region, r->region);
		if (wanted && r->retention_days > 0 && reps[i].retention >= 0 && reps[i].retention != r->retention_days) {
			const char *why = sk_diff_printf(d, "replica retention %d → %d days: stop, then start again",
							 reps[i].retention, r->retention_days);
			have_wanted = true;
			if (!replication_allowed(d, in, reps[i].region, &noted))
				continue;
			replication_action(d, SK_ACTION_STOP_REPLICATION, in, reps[i].region, r, w->policy, why, w->suspended);
			replication_action(d, SK_ACTION_START_REPLICATION, in, reps[i].region, r, w->policy, why, w->suspended);
			continue;
		}
		if (wanted) {
			have_wanted = true;
			continue;
		}
		if (!replication_allowed(d, in, reps[i].region, &noted))
			continue;
		replication_action(d, SK_ACTION_STOP_REPLICATION, in, reps[i].region, w->replicate, w->policy,
				   w->replicate_mode == SK_REPLICATE_OFF
					   ? "the policy turns replication off"
					   : sk_diff_printf(d, "the policy replicates to %s instead", w->replicate->region),
				   w->suspended);
	}
	if (w->replicate_mode == SK_REPLICATE_ON && !have_wanted &&
	    replication_allowed(d, in, w->replicate->region, &noted))
		replication_action(d, SK_ACTION_START_REPLICATION, in, w->replicate->region, w->replicate, w->policy,
				   "the policy replicates automated backups", w->suspended);
}

static void add_change(struct sk_diff *d, struct sk_change *ch, size_t *n, const char *field, const char *before,
		       const char *after)
{
	if (*n >= SK_PLAN_MAX_CHANGES)
		return;
	ch[*n].field = field;
	ch[*n].before = sk_diff_intern(d, before);
	ch[*n].after = sk_diff_intern(d, after);
	(*n)++;
}

static void diff_automated(struct sk_diff *d, const struct sk_inv_instance *in, const struct sk_diff_sel *sel,
			   size_t n_sel)
{
	struct desired w;
	struct sk_change ch[SK_PLAN_MAX_CHANGES];
	struct sk_action a;
	size_t n = 0;
	char before[32], after[32];

	merge_desired(&w, sel, n_sel);
	if (!w.policy)
		return;
	sk_diff_basis(d, "%s %s/%s status=%s retention=%d pending=%d window=%s copytags=%d protect=%d backup=%s",
		      in->is_cluster ? "cluster" : "instance", in->region, in->id, in->status ? in->status : "", in->retention,
		      in->has_pending_retention ? in->pending_retention : -1, in->backup_window ? in->backup_window : "",
		      in->copy_tags, in->deletion_protection, in->aws_backup_arn ? in->aws_backup_arn : "");
	if (in->aws_backup_arn && (w.retention >= 0 || w.window || w.replicate_mode)) {
		sk_diff_note(d, SK_NOTE_EXTERNAL, in->region, in->id,
			     "AWS Backup manages its automated backups (%s): backup_retention_period, "
			     "preferred_backup_window and replication are left to it",
			     in->aws_backup_arn);
		w.retention = -1;
		w.window = NULL;
		w.replicate_mode = SK_REPLICATE_UNSET;
	}

	memset(&a, 0, sizeof(a));
	a.kind = SK_ACTION_MODIFY;
	a.retention = a.copy_tags = a.deletion_protection = -1;
	if (w.retention >= 0) {
		bool pending = in->has_pending_retention;
		int effective = pending ? in->pending_retention : in->retention;
		snprintf(before, sizeof(before), "%d", in->retention);
		snprintf(after, sizeof(after), "%d", w.retention);
		if (pending && in->pending_retention == w.retention) {
			if (w.apply_immediately) {
				a.retention = w.retention;
				add_change(d, ch, &n, "backup_retention_period", before, after);
			} else {
				sk_diff_note(d, SK_NOTE_PENDING, in->region, in->id,
					     "backup_retention_period %d → %d is pending until the maintenance window (%s)",
					     in->retention, w.retention,
					     in->maintenance_window ? in->maintenance_window : "unknown");
			}
		} else if (effective != w.retention || (pending && in->retention != w.retention)) {
			a.retention = w.retention;
			add_change(d, ch, &n, "backup_retention_period", before, after);
			if (!w.apply_immediately && (in->retention == 0) != (w.retention == 0))
				sk_diff_note(d, SK_NOTE_PENDING, in->region, in->id,
					     "turning automated backups %s waits for the maintenance window (%s); "
					     "set applyImmediately: true to apply it at once",
					     w.retention ? "on" : "off",
					     in->maintenance_window ? in->maintenance_window : "unknown");
		}
	}
	if (w.window && (!in->backup_window || strcmp(in->backup_window, w.window))) {
		a.window = sk_diff_intern(d, w.window);
		add_change(d, ch, &n, "preferred_backup_window", in->backup_window ? in->backup_window : "none", w.window);
	}
	if (w.copy_tags >= 0 && w.copy_tags != (int)in->copy_tags) {
		a.copy_tags = w.copy_tags;
		add_change(d, ch, &n, "copy_tags_to_snapshot", yesno(in->copy_tags), yesno(w.copy_tags));
	}
	if (w.deletion_protection >= 0 && w.deletion_protection != (int)in->deletion_protection) {
		a.deletion_protection = w.deletion_protection;
		add_change(d, ch, &n, "deletion_protection", yesno(in->deletion_protection), yesno(w.deletion_protection));
	}
	if (n) {
		struct sk_change *saved = sk_arena_calloc(&d->plan->arena, n, sizeof(*saved));
		if (!saved) {
			d->failed = true;
			return;
		}
		memcpy(saved, ch, n * sizeof(*saved));
		a.changes = saved;
		a.n_changes = n;
		a.region = in->region;
		a.instance = in->id;
		a.target = in->id;
		a.policy = sk_diff_intern(d, w.policy);
		a.reason = "the policy's automated-backup settings differ";
		a.apply_immediately = w.apply_immediately;
		a.source_arn = sk_diff_intern(d, in->arn);
		a.suspended = w.suspended;
		a.cluster = in->is_cluster;
		sk_diff_action(d, &a);
	}
	if (!in->is_cluster)
		diff_replication(d, in, &w);
}

/* ---- the whole plan ---- */

/* "2 instances", "1 cluster", "2 instances and 1 cluster" */
static const char *units(char *s, size_t size, size_t instances, size_t clusters)
{
	int k = 0;

	if (instances || !clusters)
		k = snprintf(s, size, "%zu instance%s", instances, instances == 1 ? "" : "s");
	if (clusters && k >= 0 && (size_t)k < size)
		snprintf(s + k, size - (size_t)k, "%s%zu cluster%s", k ? " and " : "", clusters, clusters == 1 ? "" : "s");
	return s;
}

static void unmanaged_instances(struct sk_diff *d)
{
	struct sk_buf names = SK_BUF_INIT;
	size_t r, k, s = 0;

	/* d->sel is sorted by instance pointer, i.e. in inventory order, as the regions' ranges are */
	for (r = 0; r < d->inv->n_regions; r++) {
		size_t b, e, n = 0, clusters = 0;
		char counted[96];
		/* a region observed for its snapshots alone says nothing of its instances */
		if (!sk_diff_region_wanted(d, d->inv->regions[r]) || !sk_inventory_has_instances(d->inv, d->inv->regions[r]))
			continue;
		sk_inventory_instance_range(d->inv, d->inv->regions[r], &b, &e);
		sk_buf_reset(&names);
		for (k = b; k < e; k++) {
			const struct sk_inv_instance *in = &d->inv->instances[k];
			const char *drilled = sk_tags_drill_of(in->tags, in->n_tags);
			while (s < d->n_sel && d->sel[s].inst < in)
				s++;
			if (s < d->n_sel && d->sel[s].inst == in)
				continue;
			/* a member of an observed cluster is the cluster's: the cluster is listed, or managed */
			if (in->cluster && !in->is_cluster && sk_inventory_find_cluster(d->inv, in->region, in->cluster))
				continue;
			if (drilled) {
				/* no drill runs while a plan is made for apply (the lock): a crash left it */
				sk_diff_note(d, SK_NOTE_WARNING, in->region, in->id,
					     "drill instance of '%s' left by an interrupted drill (%s): %s", drilled,
					     in->status ? in->status : "?",
					     in->status && !strcmp(in->status, "deleting")
						     ? "it is being deleted"
						     : "the next drill, apply or run deletes it");
				continue;
			}
			if (n < 20)
				sk_buf_printf(&names, "%s%s'%s'", n ? ", " : "", in->is_cluster ? "cluster " : "", in->id);
			n++;
			clusters += in->is_cluster;
		}
		if (n)
			sk_diff_note(d, SK_NOTE_UNMANAGED, d->inv->regions[r], NULL, "%s no policy selects, left alone: %s%s",
				     units(counted, sizeof(counted), n - clusters, clusters), sk_buf_cstr(&names), n > 20 ? ", ..." : "");
	}
	sk_buf_free(&names);
}

static void finish_fingerprint(struct sk_diff *d)
{
	char **lines = NULL;
	size_t n = 0, k;
	char *p, *text;
	struct sk_buf sorted = SK_BUF_INIT;

	if (!d->opts->basis)
		return;
	/* sort the lines so the fingerprint does not depend on processing order */
	text = d->basis.ptr ? d->basis.ptr : (char *)"";
	for (p = text; *p; p++)
		if (*p == '\n')
			n++;
	lines = calloc(n + 1, sizeof(*lines));
	if (!lines) {
		d->failed = true;
		return;
	}
	for (k = 0, p = text; k < n; k++) {
		char *nl = strchr(p, '\n');
		*nl = '\0';
		lines[k] = p;
		p = nl + 1;
	}
	qsort(lines, n, sizeof(*lines), sk_diff_cmp_strp);
	for (k = 0; k < n; k++)
		if (sk_buf_printf(&sorted, "%s\n", lines[k]) < 0)
			d->failed = true;
	free(lines);
	if (sk_sha256_hex(d->plan->fingerprint, sorted.ptr, sorted.len) < 0) {
		d->failed = true;
		sk_error_set(SK_ERR_PLAN, "cannot compute the plan's fingerprint");
	}
	d->plan->basis = sk_buf_detach(&sorted);
	if (!d->plan->basis)
		d->plan->basis = strdup("");
}

static int region_summaries(struct sk_diff *d)
{
	size_t i;

	/* every observed region appears, even with nothing to do */
	for (i = 0; i < d->inv->n_regions; i++)
		if (!sk_diff_region(d, d->inv->regions[i]))
			return -1;
	qsort(d->regions, d->n_regions, sizeof(*d->regions), sk_diff_cmp_strp);
	d->plan->regions = calloc(d->n_regions + 1, sizeof(*d->plan->regions));
	if (!d->plan->regions)
		return sk_error_set_oom();
	for (i = 0; i < d->n_regions; i++) {
		const struct sk_diff_region *r = &d->regions[i];
		struct sk_region_summary *s = &d->plan->regions[i];
		s->region = r->region;
		s->manual_before = r->manual;
		s->manual_after = r->manual + r->creates + r->copies - r->deletes;
		s->quota = r->quota;
		s->automated = r->automated;
		s->unmanaged = r->manual - r->decided;
		s->gib_delta = r->gib_delta;
		s->cost_delta = (double)r->gib_delta * sk_settings_price(&d->set->settings, s->region);
		s->copies = r->copies;
		s->arriving = r->arriving;
		s->n_arriving = r->arriving ? r->copies_inflight : 0;
	}
	d->plan->n_regions = d->n_regions;
	return 0;
}

int sk_plan_compute(struct sk_plan **out, const struct sk_policyset *set, const struct sk_inventory *inv,
		    const struct sk_plan_opts *opts)
{
	struct sk_diff d;
	struct sk_plan_opts defaults = SK_PLAN_OPTS_INIT;
	size_t i, j;
	int rc = -1;

	*out = NULL;
	/* the planner has no clock of its own: the same inputs and time make the same plan */
	if (!opts || opts->now <= 0)
		return sk_error_set(SK_ERR_INVALID, "a plan needs the time it is made at (opts.now)");
	memset(&d, 0, sizeof(d));
	sk_buf_init(&d.errors, 0);
	sk_buf_init(&d.basis, 0);
	d.set = set;
	d.inv = inv;
	d.opts = opts ? opts : &defaults;
	d.now = d.opts->now;
	if (sk_plan_new(&d.plan) < 0)
		return -1;
	sk_strlcpy(d.plan->commit, set->commit, sizeof(d.plan->commit));
	d.plan->subject = set->subject ? strdup(set->subject) : NULL;
	d.plan->ref = set->ref ? strdup(set->ref) : NULL;
	d.plan->signer = set->signer;
	d.plan->now = d.now;
	d.plan->observed_at = inv->observed_at;
	d.plan->price_per_gb_month = set->settings.price_per_gb_month > 0 ? set->settings.price_per_gb_month
									      : SK_DEFAULT_PRICE_PER_GB_MONTH;
	d.plan->copies_at_once = set->settings.copies_in_flight > 0 ? set->settings.copies_in_flight
								    : SK_COPIES_IN_FLIGHT_MAX;
	if ((set->subject && !d.plan->subject) || (set->ref && !d.plan->ref)) {
		sk_error_set_oom();
		goto done;
	}
	if (sk_lifecycle_begin(&d) < 0)
		goto done;
	if (select_instances(&d) < 0 || record_policies(&d) < 0)
		goto done;
	for (i = 0; i < d.n_sel; i = j) {
		for (j = i + 1; j < d.n_sel && d.sel[j].inst == d.sel[i].inst; j++)
			;
		check_conflicts(&d, i, j);
		check_windows(&d, i, j);
		check_cluster(&d, i, j);
	}
	if (d.n_errors) {
		sk_error_set(SK_ERR_POLICY, "%s", sk_buf_cstr(&d.errors));
		goto done;
	}
	for (i = 0; i < d.n_sel && !d.failed; i = j) {
		size_t k;
		for (j = i + 1; j < d.n_sel && d.sel[j].inst == d.sel[i].inst; j++)
			;
		diff_automated(&d, d.sel[i].inst, &d.sel[i], j - i);
		for (k = i; k < j && !d.failed; k++)
			if ((d.sel[k].policy->has_snapshots ? sk_lifecycle_instance(&d, d.sel[k].policy, d.sel[k].inst)
							    : sk_lifecycle_automated(&d, d.sel[k].policy, d.sel[k].inst)) < 0)
				goto done;
	}
	if (!d.failed && sk_lifecycle_copies_only(&d) < 0)
		goto done;
	sk_lifecycle_finish(&d);
	unmanaged_instances(&d);
	if (d.failed || sk_guardrails_enforce(&d) < 0 || sk_warnings_compute(&d) < 0 ||
	    region_summaries(&d) < 0)
		goto done;
	finish_fingerprint(&d);
	if (d.failed)
		goto done;
	*out = d.plan;
	d.plan = NULL;
	rc = 0;
done:
	if (rc < 0 && d.failed && sk_error_last()->klass == SK_ERR_NONE)
		sk_error_set_oom();
	sk_lifecycle_end(&d);
	sk_plan_free(d.plan);
	sk_buf_free(&d.errors);
	sk_buf_free(&d.basis);
	free(d.sel);
	free(d.regions);
	return rc;
}

/* ---- which regions to observe ---- */

static int add_unique(const char ***list, size_t *n, const char *s)
{
	size_t i, cap = *n; /* the lists keep no capacity: a few regions each */

	for (i = 0; i < *n; i++)
		if (!strcmp((*list)[i], s))
			return 0;
	if (sk_array_reserve(list, &cap, *n + 1, sizeof(**list)) < 0)
		return -1;
	(*list)[(*n)++] = s;
	return 0;
}

static bool only_has(const char *const *only, size_t n_only, const char *region)
{
	return !n_only || sk_strv_has(only, n_only, region);
}

int sk_plan_regions(struct sk_plan_region_lists *out, const struct sk_policyset *set, const char *const *only,
		    size_t n_only, bool shard)
{
	const char **copies = NULL, **cluster_copies = NULL;
	size_t nc = 0, ncc = 0, i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < set->n_policies; i++) {
		const struct sk_policy *p = &set->policies[i];
		bool any = false;
		for (j = 0; j < p->n_regions; j++) {
			if (!only_has(only, n_only, p->regions[j].name))
				continue;
			any = true;
			if (add_unique(&out->full, &out->n_full, p->regions[j].name) < 0 ||
			    (p->clusters && add_unique(&out->clusters, &out->n_clusters, p->regions[j].name) < 0))
				goto fail;
		}
		/*
		 * a copy region outside --region is not observed: its copies are left
		 * for a run that names it; a shard's copies go wherever its policies say
		 */
		for (j = 0; p->has_snapshots && (any || !shard) && j < p->n_copies; j++)
			if ((shard || only_has(only, n_only, p->copies[j].region)) &&
			    (add_unique(&copies, &nc, p->copies[j].region) < 0 ||
			     (p->clusters && add_unique(&cluster_copies, &ncc, p->copies[j].region) < 0)))
				goto fail;
		/* a replication's region is only listed for its automated backups */
		if (any && p->replicate_mode == SK_REPLICATE_ON && p->replicate.region &&
		    (shard || only_has(only, n_only, p->replicate.region)) &&
		    add_unique(&out->backups, &out->n_backups, p->replicate.region) < 0)
			goto fail;
	}
	/* a region only copied to is observed for its snapshots alone */
	for (i = 0; i < nc; i++) {
		for (j = 0; j < out->n_full && strcmp(out->full[j], copies[i]); j++)
			;
		if (j == out->n_full && add_unique(&out->snapshots, &out->n_snapshots, copies[i]) < 0)
			goto fail;
	}
	/* and a region clusters are only copied to, for its cluster snapshots alone */
	for (i = 0; i < ncc; i++) {
		for (j = 0; j < out->n_clusters && strcmp(out->clusters[j], cluster_copies[i]); j++)
			;
		if (j == out->n_clusters &&
		    add_unique(&out->cluster_snapshots, &out->n_cluster_snapshots, cluster_copies[i]) < 0)
			goto fail;
	}
	free(copies);
	free(cluster_copies);
	if (out->n_full)
		qsort(out->full, out->n_full, sizeof(*out->full), sk_diff_cmp_strp);
	if (out->n_snapshots)
		qsort(out->snapshots, out->n_snapshots, sizeof(*out->snapshots), sk_diff_cmp_strp);
	if (out->n_backups)
		qsort(out->backups, out->n_backups, sizeof(*out->backups), sk_diff_cmp_strp);
	if (out->n_clusters)
		qsort(out->clusters, out->n_clusters, sizeof(*out->clusters), sk_diff_cmp_strp);
	if (out->n_cluster_snapshots)
		qsort(out->cluster_snapshots, out->n_cluster_snapshots, sizeof(*out->cluster_snapshots),
		      sk_diff_cmp_strp);
	return 0;
fail:
	free(copies);
	free(cluster_copies);
	sk_plan_region_lists_free(out);
	return -1;
}

void sk_plan_region_lists_free(struct sk_plan_region_lists *l)
{
	if (!l)
		return;
	free(l->full);
	free(l->snapshots);
	free(l->backups);
	free(l->clusters);
	free(l->cluster_snapshots);
	memset(l, 0, sizeof(*l));
}
