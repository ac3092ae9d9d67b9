/*
 * apply_action.c - one action of a plan run against AWS, from its
 * journaled intent to its outcome, and the actions of a step side by side
 */
#include "reconciler/engine/apply_action.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/rds.h"
#include "common/error.h"
#include "common/log.h"
#include "reconciler/engine/guard.h"
#include "reconciler/engine/journal_glue.h"
#include "reconciler/engine/parallel.h"
#include "reconciler/planner/ownership.h"

bool sk_apply_cancelled(const struct sk_apply_run *r)
{
	return r->o->cancel && *r->o->cancel;
}

void sk_apply_finish(struct sk_apply_run *r, size_t i, enum sk_outcome oc, const char *detail)
{
	const struct sk_action *a = &r->plan->actions[i];

	pthread_mutex_lock(&r->lock);
	r->res->outcomes[i] = oc;
	free(r->res->details[i]);
	r->res->details[i] = detail ? strdup(detail) : NULL;
	pthread_mutex_unlock(&r->lock);
	if (oc == SK_OUTCOME_FAILED)
		sk_log(SK_LOG_ERROR, "%s %s (%s): %s", sk_action_kind_name(a->kind), a->target, a->region,
		       detail ? detail : "failed");
	else
		sk_info("%s %s (%s): %s", sk_action_kind_name(a->kind), a->target, a->region, sk_outcome_name(oc));
	if (r->o->on_outcome)
		r->o->on_outcome(r->o->on_outcome_ud, a, oc, detail);
}

/* does the existing snapshot carry our ownership tags for this policy and instance? */
struct owner_check {
	const char *policy;
	const char *instance;
	bool ours;
	bool seen;
};

static int check_owner(void *ud, const struct sk_rds_snapshot *s)
{
	struct owner_check *c = ud;

	c->seen = true;
	c->ours = sk_tags_owned_by(s->tags, s->n_tags, c->policy, c->instance);
	return 0;
}

/*
 * After DBSnapshotAlreadyExists (DBClusterSnapshotAlreadyExistsFault) for
 * our identifier: 1 when the snapshot is ours (an earlier attempt or run
 * made it), 0 when it is someone else's, -1 when the describe failed
 * (interrupted, no answer): then nobody knows.
 */
static int exists_and_ours(struct sk_apply_run *r, const struct sk_action *a)
{
	struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
	struct owner_check c = { a->policy, a->instance, false, false };

	d.snapshot_id = a->target;
	if (sk_rds_describe_snapshots(r->o->client, a->region, a->cluster, &d, check_owner, &c, NULL) < 0)
		return -1;
	return c.seen && c.ours;
}

/* the error codes of the two families: the snapshot exists already, or is not found */
static bool already_exists(const struct sk_action *a, const struct sk_aws_error *err)
{
	return !strcmp(err->code, a->cluster ? "DBClusterSnapshotAlreadyExistsFault" : "DBSnapshotAlreadyExists");
}

static bool not_found(const struct sk_action *a, const struct sk_aws_error *err)
{
	return !strcmp(err->code, a->cluster ? "DBClusterSnapshotNotFoundFault" : "DBSnapshotNotFound");
}

/* DBSnapshotAlreadyExists for a create or copy: already made, someone else's, or unknown */
static int settle_exists(struct sk_apply_run *r, const struct sk_action *a, enum sk_outcome *oc, bool *unknown)
{
	int ours = exists_and_ours(r, a);

	if (ours > 0) {
		*oc = SK_OUTCOME_ALREADY;
		return 0;
	}
	if (ours < 0) {
		*unknown = true;
		return sk_error_prefix("snapshot '%s' exists in %s but who owns it could not be checked", a->target,
				       a->region);
	}
	return sk_error_set(SK_ERR_SAFETY, "snapshot '%s' exists in %s and is not owned by policy '%s'", a->target,
			    a->region, a->policy ? a->policy : "");
}

/* is the instance's automated-backup replication live in the action's (destination) region? */
struct replica_check {
	const char *source_arn;
	bool live;
};

static int check_replica(void *ud, const struct sk_rds_automated_backup *b)
{
	struct replica_check *c = ud;

	if (b->instance_arn && c->source_arn && !strcmp(b->instance_arn, c->source_arn) && b->status &&
	    strcmp(b->status, "retained") && strcmp(b->status, "deleting"))
		c->live = true;
	return 0;
}

/*
 * RDS answers a second start (or a stop of nothing) with
 * InvalidDBInstanceState, the same code as for an instance that is busy:
 * only the destination's automated backups tell a retry from a failure.
 */
static bool replication_is(struct sk_apply_run *r, const struct sk_action *a, bool live)
{
	struct replica_check c = { a->source_arn, false };

	if (sk_rds_describe_db_instance_automated_backups(r->o->client, a->region, NULL, check_replica, &c, NULL) < 0)
		return false;
	return c.live == live;
}

static void exec_action(void *ud, size_t k)
{
	struct sk_apply_run *r = ud;
	size_t i = r->idx[k];
	const struct sk_action *a = &r->plan->actions[i];
	struct sk_aws_error err;
	char intent[64] = "";
	char why[1024];
	enum sk_outcome oc = SK_OUTCOME_DONE;
	const char *detail = NULL, *recorded;
	bool unknown = false; /* the call may have been made: its intent stays open */
	bool at_limit = false; /* a copy AWS refused: its destination has as many in progress as AWS allows */
	int rc = 0;

	if (sk_apply_cancelled(r)) {
		sk_apply_finish(r, i, SK_OUTCOME_SKIPPED, "interrupted before it started");
		return;
	}
	memset(&err, 0, sizeof(err));
	if (sk_journal_glue_intent(r->o->journal, r->o->run_id, r->plan, a, intent, sizeof(intent)) < 0) {
		/* no durable intent, no mutation */
		sk_apply_finish(r, i, SK_OUTCOME_FAILED, sk_error_message());
		return;
	}
	if (sk_guard_action(r->plan, a, r->o->inv, r->o->set, r->o->guardrails) < 0) {
		/* journaled as failed with no RequestId: the intent is closed, no call was made */
		detail = sk_error_message();
		sk_journal_glue_outcome(r->o->journal, intent, a, SK_OUTCOME_FAILED, sk_outcome_name(SK_OUTCOME_FAILED),
					NULL, detail);
		sk_apply_finish(r, i, SK_OUTCOME_FAILED, detail);
		return;
	}
	switch (a->kind) {
	case SK_ACTION_MODIFY: {
		const struct sk_rds_modify m = {
			.instance_id = a->target,
			.backup_retention_period = a->retention,
			.preferred_backup_window = a->window,
			.copy_tags_to_snapshot = a->copy_tags,
			.deletion_protection = a->deletion_protection,
			.apply_immediately = a->apply_immediately,
		};

		rc = sk_rds_modify_db(r->o->client, a->region, a->cluster, &m, NULL, NULL, &err);
		break;
	}
	case SK_ACTION_START_REPLICATION: {
		struct sk_rds_replication rep;
		rep.source_region = a->source_region;
		rep.source_instance_arn = a->source_arn;
		rep.backup_retention_period = a->replica_retention;
		rep.kms_key_id = a->kms_key_id;
		rc = sk_rds_start_automated_backups_replication(r->o->client, a->region, &rep, &err);
		if (rc < 0 && !strcmp(err.code, "InvalidDBInstanceState") && replication_is(r, a, true)) {
			rc = 0;
			oc = SK_OUTCOME_ALREADY;
		}
		break;
	}
	case SK_ACTION_STOP_REPLICATION:
		rc = sk_rds_stop_automated_backups_replication(r->o->client, a->region, a->source_arn, &err);
		if (rc < 0 && (!strcmp(err.code, "DBInstanceAutomatedBackupNotFound") ||
			       (!strcmp(err.code, "InvalidDBInstanceState") && replication_is(r, a, false)))) {
			rc = 0;
			oc = SK_OUTCOME_ALREADY;
		}
		break;
	case SK_ACTION_CREATE:
		rc = sk_rds_create_snapshot(r->o->client, a->region, a->cluster, a->target, a->instance, a->tags,
					    a->n_tags, NULL, NULL, &err);
		if (rc < 0 && already_exists(a, &err))
			rc = settle_exists(r, a, &oc, &unknown);
		break;
	case SK_ACTION_COPY: {
		const struct sk_rds_copy cp = {
			.source_region = a->source_region,
			.source_arn = a->source_arn,
			.target_id = a->target,
			.kms_key_id = a->kms_key_id,
			.copy_tags = false, /* our tags are explicit; aws: tags are never copied */
			.tags = a->tags,
			.n_tags = a->n_tags,
		};

		rc = sk_rds_copy_snapshot(r->o->client, a->region, a->cluster, &cp, NULL, NULL, &err);
		if (rc < 0 && already_exists(a, &err)) {
			rc = settle_exists(r, a, &oc, &unknown);
		} else if (rc < 0 && !strcmp(err.code, "SnapshotQuotaExceeded") && strstr(err.message, "copy")) {
			rc = 0;
			oc = SK_OUTCOME_DEFERRED;
			at_limit = true;
			detail = "AWS refused it: the destination region has as many copies in progress as it allows; "
				 "left for the next run";
		}
		break;
	}
	case SK_ACTION_DELETE:
		rc = sk_rds_delete_snapshot(r->o->client, a->region, a->cluster, a->target, &err);
		if (rc < 0 && not_found(a, &err)) {
			rc = 0;
			oc = SK_OUTCOME_ALREADY;
		}
		break;
	}
	if (rc < 0 && !unknown && sk_aws_error_maybe_made(&err))
		unknown = true;
	if (rc < 0 && (rc == SK_EINTERRUPTED || sk_error_last()->klass == SK_ERR_INTERRUPTED)) {
		oc = SK_OUTCOME_SKIPPED;
		detail = unknown ? "interrupted after the call was sent; whether it was made is checked by the next run"
				 : "interrupted";
	} else if (rc < 0) {
		oc = SK_OUTCOME_FAILED;
		detail = sk_error_message();
		if (unknown) {
			snprintf(why, sizeof(why), "%s; whether it was made is checked by the next run", detail);
			detail = why;
		}
	}
	if (!detail && err.request_id[0])
		detail = err.request_id;
	/* err carries the RequestId of a successful call too */
	recorded = rc < 0 && unknown ? "unknown" : sk_outcome_name(oc);
	sk_journal_glue_outcome(r->o->journal, intent, a, oc, recorded, &err, rc < 0 ? detail : NULL);
	if (at_limit && r->refused) {
		r->refused[i] = true; /* tried again once a copy in progress there becomes available (apply_copies.c) */
		return;
	}
	sk_apply_finish(r, i, oc, detail);
}

bool sk_apply_made(enum sk_outcome o)
{
	return o == SK_OUTCOME_DONE || o == SK_OUTCOME_ALREADY;
}

static const char *action_region(void *ud, size_t k)
{
	struct sk_apply_run *r = ud;
	return r->plan->actions[r->idx[k]].region;
}

int sk_apply_actions(struct sk_apply_run *r)
{
	return sk_parallel_by_region(r->n_idx, action_region, r->o->concurrency > 0 ? r->o->concurrency : 4, exec_action,
				     r);
}
