/*
 * journal_glue.c - what apply records in the audit journal, and resolving
 * what a crashed run left unfinished
 */
#include "reconciler/engine/journal_glue.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "reconciler/planner/ownership.h"
#include "reconciler/planner/render.h"
#include "state/journal.h"

int sk_journal_glue_intent(struct sk_journal *j, const char *run_id, const struct sk_plan *p,
			   const struct sk_action *a, char *out_id, size_t out_len)
{
	struct sk_journal_call c = SK_JOURNAL_CALL_INIT;
	json_t *call;
	int rc;

	if (out_id && out_len)
		out_id[0] = '\0';
	if (!j)
		return 0;
	call = sk_action_to_json(a);
	if (!call)
		return sk_error_set_oom();
	c.run_id = run_id;
	c.action = sk_action_kind_name(a->kind);
	c.region = a->region;
	c.target = a->target;
	c.instance = a->instance;
	c.policy = a->policy;
	c.commit = p && p->commit[0] ? p->commit : NULL;
	c.call = call;
	rc = sk_journal_intent(out_id, out_len, j, &c);
	json_decref(call);
	if (rc < 0)
		sk_error_prefix("not making the call %s %s (%s): cannot record the intent", c.action,
				a->target ? a->target : "", a->region ? a->region : "");
	return rc;
}

void sk_journal_glue_outcome(struct sk_journal *j, const char *intent_id, const struct sk_action *a, int outcome,
			     const char *outcome_name, const struct sk_aws_error *err, const char *detail)
{
	struct sk_journal_result r = SK_JOURNAL_RESULT_INIT;
	struct sk_error saved;

	(void)outcome;
	if (!j || !intent_id || !*intent_id)
		return;
	r.result = outcome_name;
	if (err) {
		r.error_code = err->code;
		r.error_message = err->code[0] || err->http_status >= 300 || !err->http_status ? err->message : NULL;
		r.request_id = err->request_id;
	}
	r.detail = detail;
	/* detail may point at the thread's last error: keep it for the caller */
	saved = *sk_error_last();
	if (sk_journal_outcome(j, intent_id, &r) < 0) {
		sk_warn("cannot record the outcome of %s %s (%s): %s; the next run will resolve it",
			sk_action_kind_name(a->kind), a->target ? a->target : "", a->region ? a->region : "",
			sk_error_message());
		sk_error_set(saved.klass, "%s", saved.message);
	}
}

/* ---- resolving intents after a crash ---- */

static const char *sval(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* a DB snapshot, or (cluster) a DB cluster snapshot: the call's "cluster" says which */
static const struct sk_inv_snapshot *find_snapshot(const struct sk_inventory *inv, const char *region, const char *id,
						   bool cluster)
{
	size_t i;

	for (i = 0; i < inv->n_snapshots; i++)
		if (!strcmp(inv->snapshots[i].id, id) && !strcmp(inv->snapshots[i].region, region) &&
		    inv->snapshots[i].cluster == cluster)
			return &inv->snapshots[i];
	return NULL;
}

static bool is_cluster_call(const json_t *call)
{
	return json_is_true(json_object_get(call, "cluster"));
}

struct verdict {
	const char *how; /* NULL: cannot judge (region not observed) */
	char detail[512];
};

static void judge_snapshot(struct verdict *v, const struct sk_inventory *inv, const char *action, const char *region,
			   const char *target, const char *policy, bool cluster)
{
	const struct sk_inv_snapshot *s;
	const char *owner;

	if (!sk_inventory_has_region(inv, region)) {
		v->how = NULL;
		return;
	}
	s = find_snapshot(inv, region, target, cluster);
	if (!strcmp(action, "delete")) {
		if (!s) {
			v->how = SK_RESOLVED_COMPLETED;
			snprintf(v->detail, sizeof(v->detail), "snapshot '%s' is gone from %s", target, region);
		} else if (s->status == SK_SNAP_DELETING) {
			v->how = SK_RESOLVED_COMPLETED;
			snprintf(v->detail, sizeof(v->detail), "snapshot '%s' in %s is being deleted", target, region);
		} else {
			v->how = SK_RESOLVED_NOT_MADE;
			snprintf(v->detail, sizeof(v->detail), "snapshot '%s' is still in %s (%s)", target, region,
				 s->status_text);
		}
		return;
	}
	/* create, copy */
	if (!s) {
		v->how = SK_RESOLVED_NOT_MADE;
		snprintf(v->detail, sizeof(v->detail), "no snapshot '%s' in %s", target, region);
	} else if (policy && (!(owner = sk_snapshot_owner(s)) || strcmp(owner, policy))) {
		v->how = SK_RESOLVED_UNKNOWN;
		snprintf(v->detail, sizeof(v->detail), "snapshot '%s' exists in %s but is %s%s%s, not by policy '%s'",
			 target, region, owner ? "owned by policy '" : "not tagged as owned", owner ? owner : "",
			 owner ? "'" : "", policy);
	} else {
		v->how = SK_RESOLVED_COMPLETED;
		snprintf(v->detail, sizeof(v->detail), "snapshot '%s' exists in %s (%s)", target, region, s->status_text);
	}
}

static void judge_modify(struct verdict *v, const struct sk_inventory *inv, const json_t *call, const char *region,
			 const char *target)
{
	const struct sk_inv_instance *in;
	const json_t *x;
	char differ[256] = "";
	size_t n = 0;

	if (!sk_inventory_has_instances(inv, region)) {
		v->how = NULL;
		return;
	}
	in = is_cluster_call(call) ? sk_inventory_find_cluster(inv, region, target)
				   : sk_inventory_find_instance(inv, region, target);
	if (!in) {
		v->how = SK_RESOLVED_UNKNOWN;
		snprintf(v->detail, sizeof(v->detail), "%s '%s' is not in %s", is_cluster_call(call) ? "cluster" : "instance",
			 target, region);
		return;
	}
	x = json_object_get(call, "backupRetentionPeriod");
	if (json_is_integer(x) && in->retention != json_integer_value(x) &&
	    !(in->has_pending_retention && in->pending_retention == json_integer_value(x)))
		n += (size_t)snprintf(differ + n, sizeof(differ) - n, "%sbackup_retention_period", n ? ", " : "");
	x = json_object_get(call, "preferredBackupWindow");
	if (json_is_string(x) && (!in->backup_window || strcmp(in->backup_window, json_string_value(x))) &&
	    n < sizeof(differ))
		n += (size_t)snprintf(differ + n, sizeof(differ) - n, "%spreferred_backup_window", n ? ", " : "");
	x = json_object_get(call, "copyTagsToSnapshot");
	if (json_is_boolean(x) && in->copy_tags != json_is_true(x) && n < sizeof(differ))
		n += (size_t)snprintf(differ + n, sizeof(differ) - n, "%scopy_tags_to_snapshot", n ? ", " : "");
	x = json_object_get(call, "deletionProtection");
	if (json_is_boolean(x) && in->deletion_protection != json_is_true(x) && n < sizeof(differ))
		n += (size_t)snprintf(differ + n, sizeof(differ) - n, "%sdeletion_protection", n ? ", " : "");
	if (n) {
		v->how = SK_RESOLVED_NOT_MADE;
		snprintf(v->detail, sizeof(v->detail), "instance '%s' in %s still differs: %s", target, region, differ);
	} else {
		v->how = SK_RESOLVED_COMPLETED;
		snprintf(v->detail, sizeof(v->detail), "instance '%s' in %s has the values (applied or pending)", target,
			 region);
	}
}

/* is there a replication of the instance with ARN source_arn into dest? NULL: cannot tell */
static const char *replicating(const struct sk_inventory *inv, const char *dest, const char *source_region,
			       const char *source_arn, bool *yes)
{
	char needle[64];
	size_t i, k;

	*yes = false;
	if (sk_inventory_has_region(inv, dest)) {
		for (i = 0; i < inv->n_autobackups; i++) {
			const struct sk_inv_autobackup *b = &inv->autobackups[i];
			if (!strcmp(b->region, dest) && b->instance_arn && !strcmp(b->instance_arn, source_arn) &&
			    b->source_region && strcmp(b->source_region, dest) &&
			    (!b->status || strcmp(b->status, "deleting"))) {
				*yes = true;
				break;
			}
		}
		return "the automated backups";
	}
	if (source_region && sk_inventory_has_instances(inv, source_region)) {
		snprintf(needle, sizeof(needle), ":%s:", dest);
		for (i = 0; i < inv->n_instances; i++) {
			const struct sk_inv_instance *in = &inv->instances[i];
			if (!in->arn || strcmp(in->arn, source_arn))
				continue;
			for (k = 0; k < in->n_replications; k++)
				if (strstr(in->replications[k], needle))
					*yes = true;
		}
		return "the instance's replications";
	}
	return NULL;
}

static void judge_replication(struct verdict *v, const struct sk_inventory *inv, const json_t *call,
			      const char *action, const char *region, const char *instance)
{
	const char *source_arn = sval(call, "sourceArn"), *seen;
	bool yes, start = !strcmp(action, "start-replication");

	if (!source_arn) {
		v->how = SK_RESOLVED_UNKNOWN;
		snprintf(v->detail, sizeof(v->detail), "the intent does not name the source instance");
		return;
	}
	seen = replicating(inv, region, sval(call, "sourceRegion"), source_arn, &yes);
	if (!seen) {
		v->how = NULL;
		return;
	}
	v->how = yes == start ? SK_RESOLVED_COMPLETED : SK_RESOLVED_NOT_MADE;
	snprintf(v->detail, sizeof(v->detail), "%s %s automated backups replicated to %s (per %s)",
		 instance ? instance : source_arn, yes ? "has" : "has no", region, seen);
}

/* a restore (`snapkeep restore`): made when its new instance is there */
static void judge_restore(struct verdict *v, const struct sk_inventory *inv, const char *region, const char *target)
{
	const struct sk_inv_instance *in;

	if (!sk_inventory_has_instances(inv, region)) {
		v->how = NULL;
		return;
	}
	in = sk_inventory_find_instance(inv, region, target);
	v->how = in ? SK_RESOLVED_COMPLETED : SK_RESOLVED_NOT_MADE;
	snprintf(v->detail, sizeof(v->detail), in ? "instance '%s' exists in %s" : "no instance '%s' in %s", target,
		 region);
}

const char *sk_journal_glue_shard_region(const json_t *intent)
{
	const char *source = sval(json_object_get(intent, "call"), "sourceRegion");

	return source ? source : sval(intent, "region");
}

static int resolve(struct sk_journal *j, const struct sk_inventory *inv, const char *run_id, const char *shard_region,
		   struct sk_journal_glue_counts *counts)
{
	struct sk_journal_glue_counts local;
	json_t *pending = NULL, *rec;
	size_t i;
	int rc = -1;

	if (!counts)
		counts = &local;
	memset(counts, 0, sizeof(*counts));
	if (!j)
		return 0;
	if (sk_journal_pending(&pending, j) < 0)
		return -1;
	json_array_foreach(pending, i, rec) {
		const char *action = sval(rec, "action"), *region = sval(rec, "region"), *target = sval(rec, "target");
		const json_t *call = json_object_get(rec, "call");
		const char *account = sval(call, "account");
		struct verdict v;

		memset(&v, 0, sizeof(v));
		if (shard_region && (!sk_journal_glue_shard_region(rec) ||
				     strcmp(sk_journal_glue_shard_region(rec), shard_region))) {
			counts->other_shards++;
			continue;
		}
		/* an intent is judged against its own account's inventory only (none: the caller's own) */
		if (account ? !inv->account || strcmp(account, inv->account) : inv->account != NULL) {
			counts->left++;
			continue;
		}
		if (!action || !region || !target) {
			v.how = SK_RESOLVED_UNKNOWN;
			snprintf(v.detail, sizeof(v.detail), "the intent does not name its action, region and target");
		} else if (!strcmp(action, "create") || !strcmp(action, "copy") || !strcmp(action, "delete")) {
			judge_snapshot(&v, inv, action, region, target, sval(rec, "policy"), is_cluster_call(call));
		} else if (!strcmp(action, "modify")) {
			judge_modify(&v, inv, call, region, target);
		} else if (!strcmp(action, "start-replication") || !strcmp(action, "stop-replication")) {
			judge_replication(&v, inv, call, action, region, sval(rec, "instance"));
		} else if (!strncmp(action, "restore-", 8)) {
			judge_restore(&v, inv, region, target);
		} else {
			v.how = SK_RESOLVED_UNKNOWN;
			snprintf(v.detail, sizeof(v.detail), "unknown action '%.64s'", action);
		}
		if (!v.how) {
			counts->left++;
			continue;
		}
		if (sk_journal_resolve(j, rec, v.how, v.detail, run_id) < 0)
			goto done;
		sk_info("resolved %s %s (%s) of an earlier run: %s, %s", action, target, region, v.how, v.detail);
		if (!strcmp(v.how, SK_RESOLVED_COMPLETED))
			counts->completed++;
		else if (!strcmp(v.how, SK_RESOLVED_NOT_MADE))
			counts->not_made++;
		else
			counts->unknown++;
	}
	rc = 0;
done:
	json_decref(pending);
	return rc;
}

int sk_journal_glue_resolve(struct sk_journal *j, const struct sk_inventory *inv, const char *run_id,
			    struct sk_journal_glue_counts *counts)
{
	return resolve(j, inv, run_id, NULL, counts);
}

int sk_journal_glue_resolve_shard(struct sk_journal *j, const struct sk_inventory *inv, const char *run_id,
				  const char *region, struct sk_journal_glue_counts *counts)
{
	return resolve(j, inv, run_id, region, counts);
}
