/*
 * observe.c - read the live inventory from AWS
 */
#include "reconciler/engine/observe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aws/rds.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/engine/parallel.h"
#include "reconciler/planner/diff.h"

struct shared {
	struct sk_inventory *inv;
	struct sk_aws_client *client;
	pthread_mutex_t lock;
	const struct sk_observe_opts *opts;
};

struct job {
	struct shared *sh;
	const char *region;
	bool full;      /* instances and snapshots */
	bool snapshots; /* snapshots only */
	bool backups;   /* automated backups */
	bool clusters;  /* Aurora clusters and their snapshots */
	bool cluster_snapshots; /* Aurora cluster snapshots only */
	int rc;
	struct sk_error error;
	size_t calls;
	size_t n_instances, n_snapshots;
};

enum item { I_INSTANCE, I_SNAPSHOT, I_BACKUP };

/* adds in (an sk_inv_<item>) to the shared inventory, under its lock */
static int add(struct job *j, enum item item, const void *in)
{
	bool ok = false;

	pthread_mutex_lock(&j->sh->lock);
	switch (item) {
	case I_INSTANCE:
		ok = sk_inventory_add_instance(j->sh->inv, in) != NULL;
		j->n_instances++;
		break;
	case I_SNAPSHOT:
		ok = sk_inventory_add_snapshot(j->sh->inv, in) != NULL;
		j->n_snapshots++;
		break;
	case I_BACKUP:
		ok = sk_inventory_add_autobackup(j->sh->inv, in) != NULL;
		break;
	}
	pthread_mutex_unlock(&j->sh->lock);
	return ok ? 0 : -1;
}

static int on_instance(void *ud, const struct sk_rds_instance *d)
{
	struct job *j = ud;
	const struct sk_inv_instance in = {
		.id = d->id,
		.region = j->region,
		.arn = d->arn,
		.engine = d->engine,
		.status = d->status,
		.backup_window = d->preferred_backup_window,
		.maintenance_window = d->preferred_maintenance_window,
		.kms_key_id = d->kms_key_id,
		.aws_backup_arn = d->aws_backup_recovery_point_arn,
		.retention = d->backup_retention_period,
		.has_pending_retention = d->has_pending_retention,
		.pending_retention = d->pending_retention,
		.copy_tags = d->copy_tags_to_snapshot,
		.deletion_protection = d->deletion_protection,
		.encrypted = d->storage_encrypted,
		.allocated_gib = d->allocated_gib,
		.latest_restorable = d->latest_restorable_time,
		.replications = (const char **)d->replication_arns,
		.n_replications = d->n_replications,
		.tags = d->tags,
		.n_tags = d->n_tags,
		.cluster = d->cluster_id,
		.is_cluster = d->is_cluster,
	};

	return add(j, I_INSTANCE, &in);
}

static int on_snapshot(void *ud, const struct sk_rds_snapshot *s)
{
	struct job *j = ud;
	const struct sk_inv_snapshot in = {
		.id = s->id,
		.arn = s->arn,
		.instance = s->instance_id,
		.region = j->region,
		.status_text = s->status,
		.status = (uint8_t)sk_snap_status_from(s->status),
		.type = (uint8_t)sk_snap_type_from(s->type),
		.kms_key_id = s->kms_key_id,
		.source_region = s->source_region,
		.source_arn = s->source_snapshot,
		.created = s->created,
		.original_created = s->original_created,
		.allocated_gib = s->allocated_gib > 0 ? (uint32_t)s->allocated_gib : 0,
		.encrypted = s->encrypted,
		.tags = s->tags,
		.n_tags = (uint16_t)(s->n_tags < UINT16_MAX ? s->n_tags : UINT16_MAX),
		.cluster = s->is_cluster,
	};

	return add(j, I_SNAPSHOT, &in);
}

static int on_backup(void *ud, const struct sk_rds_automated_backup *b)
{
	struct job *j = ud;
	const struct sk_inv_autobackup in = {
		.arn = b->arn,
		.region = j->region,
		.source_region = b->region,
		.instance = b->instance_id,
		.instance_arn = b->instance_arn,
		.status = b->status,
		.kms_key_id = b->kms_key_id,
		.retention = b->backup_retention_period,
		.earliest = b->earliest,
		.latest = b->latest,
	};

	return add(j, I_BACKUP, &in);
}

static void observe_region(void *ud, size_t i)
{
	struct job *j = &((struct job *)ud)[i];
	struct sk_aws_error err;
	int64_t t0;

	sk_slots_take(j->sh->opts->slots);
	t0 = sk_time_mono_ms();
	j->rc = 0;
	if (j->full)
		j->rc = sk_rds_describe_dbs(j->sh->client, j->region, false, NULL, on_instance, j, &err);
	if (j->rc == 0 && (j->full || j->snapshots) && !j->sh->opts->skip_snapshots)
		j->rc = sk_rds_describe_snapshots(j->sh->client, j->region, false, NULL, on_snapshot, j, &err);
	if (j->rc == 0 && j->backups)
		j->rc = sk_rds_describe_db_instance_automated_backups(j->sh->client, j->region, NULL, on_backup, j,
								      &err);
	if (j->rc == 0 && j->clusters)
		j->rc = sk_rds_describe_dbs(j->sh->client, j->region, true, NULL, on_instance, j, &err);
	if (j->rc == 0 && (j->clusters || j->cluster_snapshots) && !j->sh->opts->skip_snapshots)
		j->rc = sk_rds_describe_snapshots(j->sh->client, j->region, true, NULL, on_snapshot, j, &err);
	if (j->rc != 0)
		j->error = *sk_error_last();
	sk_slots_give(j->sh->opts->slots);
	sk_debug("observed %s: %zu instances, %zu snapshots in %lld ms", j->region, j->n_instances, j->n_snapshots,
		 (long long)(sk_time_mono_ms() - t0));
}

int sk_observe(struct sk_inventory **out, struct sk_aws_client *c, const struct sk_observe_opts *o,
	       struct sk_observe_stats *stats)
{
	struct shared sh;
	struct job *jobs = NULL;
	const struct sk_plan_region_lists *rl = o->regions;
	/* every region once, in the order of these lists */
	const struct {
		const char *const *v;
		size_t n;
	} lists[] = { { rl->full, rl->n_full }, { rl->snapshots, rl->n_snapshots }, { rl->backups, rl->n_backups },
		      { rl->clusters, rl->n_clusters }, { rl->cluster_snapshots, rl->n_cluster_snapshots } };
	const char **regions = NULL;
	size_t n = 0, total = 0, i, k;
	int64_t t0 = sk_time_mono_ms();
	int rc = -1;

	*out = NULL;
	memset(&sh, 0, sizeof(sh));
	pthread_mutex_init(&sh.lock, NULL);
	sh.client = c;
	sh.opts = o;
	if (sk_inventory_new(&sh.inv) < 0)
		goto done;
	sh.inv->observed_at = o->now ? o->now : sk_time_now();
	for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
		total += lists[k].n;
	regions = calloc(total + 1, sizeof(*regions));
	if (!regions) {
		sk_error_set_oom();
		goto done;
	}
	for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
		for (i = 0; i < lists[k].n; i++)
			if (!sk_strv_has(regions, n, lists[k].v[i]))
				regions[n++] = lists[k].v[i];
	jobs = calloc(n + 1, sizeof(*jobs));
	if (!jobs) {
		sk_error_set_oom();
		goto done;
	}
	for (i = 0; i < n; i++) {
		jobs[i].sh = &sh;
		jobs[i].region = regions[i];
		jobs[i].full = sk_strv_has(rl->full, rl->n_full, regions[i]);
		jobs[i].snapshots = !jobs[i].full && sk_strv_has(rl->snapshots, rl->n_snapshots, regions[i]);
		jobs[i].backups = sk_strv_has(rl->backups, rl->n_backups, regions[i]);
		jobs[i].clusters = sk_strv_has(rl->clusters, rl->n_clusters, regions[i]);
		jobs[i].cluster_snapshots =
			!jobs[i].clusters && sk_strv_has(rl->cluster_snapshots, rl->n_cluster_snapshots, regions[i]);
		/* a region only listed for its automated backups is not an observed inventory region */
		if (jobs[i].full && sk_inventory_add_region(sh.inv, regions[i]) < 0)
			goto done;
		if (jobs[i].snapshots && sk_inventory_add_snapshot_region(sh.inv, regions[i]) < 0)
			goto done;
	}
	/* regions side by side, at most so many at a time: a slow one holds up only its own thread */
	if (sk_parallel_for(n, o->max_parallel > 0 ? o->max_parallel : SK_OBSERVE_PARALLEL, observe_region, jobs) < 0)
		goto done;
	rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		if (jobs[i].rc != 0) {
			sk_error_set(jobs[i].error.klass, "%s", jobs[i].error.message);
			rc = jobs[i].rc;
		}
	}
	if (rc == 0) {
		sk_inventory_sort(sh.inv);
		*out = sh.inv;
		sh.inv = NULL;
	}
done:
	if (stats)
		stats->seconds = (double)(sk_time_mono_ms() - t0) / 1000.0;
	sk_inventory_free(sh.inv);
	pthread_mutex_destroy(&sh.lock);
	free(regions);
	free(jobs);
	return rc;
}
