/*
 * instance_wait.c - polling DescribeDBInstances until an instance is
 * available, or gone
 */
#include "reconciler/engine/instance_wait.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"

/* a describe failing this many polls in a row ends the wait */
#define MAX_FAILED_POLLS 3
/* waiting for availability, not-found this long after the start still means "not listed yet" */
#define NOT_LISTED_GRACE_MS 60000

struct poll_ud {
	const struct sk_instance_wait_opts *o;
	const char *region;
	const char *id;
	int64_t elapsed_ms;
	enum sk_instance_want want;
	char status[64];
	bool seen;
};

const char *sk_instance_want_name(enum sk_instance_want want)
{
	return want == SK_INSTANCE_WANT_DELETED ? "deleted" : "available";
}

/* a status an instance being created does not leave for "available" */
static bool is_dead_end(const char *status)
{
	return !strcmp(status, "failed") || !strncmp(status, "incompatible-", 13) ||
	       !strncmp(status, "inaccessible-encryption-credentials", 35) || !strcmp(status, "deleting");
}

static bool cancelled(const struct sk_instance_wait_opts *o)
{
	return o->cancel && *o->cancel;
}

static void report(struct poll_ud *u, const char *status, const struct sk_rds_instance *inst, bool done)
{
	struct sk_instance_poll p = { .region = u->region, .instance_id = u->id, .status = status, .inst = inst,
				      .elapsed_ms = u->elapsed_ms, .done = done };

	if (u->o->on_poll)
		u->o->on_poll(u->o->ud, &p);
}

static int on_instance(void *ud, const struct sk_rds_instance *inst)
{
	struct poll_ud *u = ud;

	if (strcmp(inst->id, u->id))
		return 0;
	u->seen = true;
	snprintf(u->status, sizeof(u->status), "%s", inst->status ? inst->status : "");
	report(u, u->status, inst, u->want == SK_INSTANCE_WANT_AVAILABLE && !strcmp(u->status, "available"));
	return 0;
}

/* sleeps ms on the monotonic clock, looking at the cancel flag every 100 ms */
static void nap_ms(long ms, const struct sk_instance_wait_opts *o)
{
	int64_t until = sk_time_mono_ms() + ms, left;
	struct timespec ts = { 0, 100 * 1000000L };

	while (!cancelled(o) && (left = until - sk_time_mono_ms()) > 0) {
		if (left < 100)
			ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

int sk_instance_wait(struct sk_instance_wait_result *out, struct sk_aws_client *c, const char *region,
		     const char *instance_id, enum sk_instance_want want, const struct sk_instance_wait_opts *o)
{
	struct sk_instance_wait_opts defaults = SK_INSTANCE_WAIT_OPTS_INIT;
	struct sk_instance_wait_result res = { .end = SK_INSTANCE_WAIT_ERROR };
	struct poll_ud u;
	const char *wanted = sk_instance_want_name(want);
	int64_t start = sk_time_mono_ms();
	long interval, ceiling;
	int timeout, failed_polls = 0, rc = SK_ERROR;

	if (!o)
		o = &defaults;
	interval = o->poll_ms > 0 ? o->poll_ms : 2000;
	ceiling = o->max_poll_ms > 0 ? o->max_poll_ms : 30000;
	timeout = o->timeout > 0 ? o->timeout : 7200;
	memset(&u, 0, sizeof(u));
	u.o = o;
	u.region = region;
	u.id = instance_id;
	u.want = want;
	for (;;) {
		struct sk_rds_describe_opts d = SK_RDS_DESCRIBE_OPTS_INIT;
		struct sk_aws_error err;

		if (cancelled(o)) {
			res.end = SK_INSTANCE_WAIT_CANCELLED;
			sk_error_set(SK_ERR_INTERRUPTED, "interrupted while waiting for db instance '%s' in %s to be %s",
				     instance_id, region, wanted);
			rc = SK_EINTERRUPTED;
			break;
		}
		memset(&err, 0, sizeof(err));
		u.seen = false;
		u.elapsed_ms = sk_time_mono_ms() - start;
		d.instance_id = instance_id;
		if (sk_rds_describe_dbs(c, region, false, &d, on_instance, &u, &err) < 0) {
			if (!strcmp(err.code, "DBInstanceNotFound")) {
				if (want == SK_INSTANCE_WANT_DELETED) {
					snprintf(u.status, sizeof(u.status), "deleted");
					report(&u, u.status, NULL, true);
					res.end = SK_INSTANCE_WAIT_REACHED;
					rc = 0;
					break;
				}
				if (u.elapsed_ms >= NOT_LISTED_GRACE_MS || u.status[0]) {
					res.end = SK_INSTANCE_WAIT_FAILED;
					rc = sk_error_set(SK_ERR_AWS, "db instance '%s' in %s is gone (last seen %s) while waiting "
							  "for it to be available", instance_id, region,
							  u.status[0] ? u.status : "never");
					break;
				}
				report(&u, NULL, NULL, false);
			} else {
				report(&u, NULL, NULL, false);
				if (++failed_polls >= MAX_FAILED_POLLS || (err.code[0] && !err.retryable)) {
					res.end = SK_INSTANCE_WAIT_ERROR;
					rc = sk_error_prefix("while waiting for db instance '%s' in %s to be %s", instance_id,
							     region, wanted);
					break;
				}
				sk_warn("while waiting for db instance '%s' in %s: %s", instance_id, region, sk_error_message());
			}
		} else {
			failed_polls = 0;
			if (want == SK_INSTANCE_WANT_AVAILABLE && u.seen && !strcmp(u.status, "available")) {
				res.end = SK_INSTANCE_WAIT_REACHED;
				rc = 0;
				break;
			}
			if (want == SK_INSTANCE_WANT_AVAILABLE && u.seen && is_dead_end(u.status)) {
				res.end = SK_INSTANCE_WAIT_FAILED;
				rc = sk_error_set(SK_ERR_AWS, "db instance '%s' in %s is %s: it will not become available",
						  instance_id, region, u.status);
				break;
			}
		}
		if (sk_time_mono_ms() - start >= (int64_t)timeout * 1000) {
			res.end = SK_INSTANCE_WAIT_TIMEOUT;
			rc = sk_error_set(SK_ERR_AWS, "gave up waiting for db instance '%s' in %s to be %s after %d s (it is %s)",
					  instance_id, region, wanted, timeout, u.status[0] ? u.status : "not listed");
			break;
		}
		/* never sleep past the deadline */
		{
			int64_t left = (int64_t)timeout * 1000 - (sk_time_mono_ms() - start);
			nap_ms(left < interval ? (long)left : interval, o);
		}
		if (interval < ceiling)
			interval = interval * 3 / 2 < ceiling ? interval * 3 / 2 : ceiling;
	}
	res.elapsed_ms = sk_time_mono_ms() - start;
	snprintf(res.status, sizeof(res.status), "%s", u.status);
	if (out)
		*out = res;
	return rc;
}
