/*
 * service.c - `snapkeep run`: the reconcile loop, with alerts and metrics
 */
#include "reconciler/service/service.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cloudwatch.h"
#include "aws/sns.h"
#include "common/error.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/service/alerts.h"
#include "reconciler/service/alertset.h"
#include "reconciler/service/loop.h"
#include "reconciler/engine/drill.h"
#include "reconciler/service/metrics.h"
#include "reconciler/service/metrics_http.h"
#include "reconciler/service/shard_cycle.h"
#include "reconciler/service/shards.h"
#include "reconciler/service/report_at.h"
#include "reconciler/service/verify_watch.h"
#include "reconciler/engine/report_state.h"
#include "reconciler/planner/report_render.h"
#include "specs/policy.h"
#include "specs/source.h"
#include "state/backend.h"
#include "state/docs.h"
#include "state/state.h"
#include "state/statedir.h"

struct sk_service {
	struct sk_service_opts o;
	struct sk_reconcile_callbacks user; /* the caller's callbacks, called after the service's own */
	struct sk_metrics_server *server;
	struct sk_session session;
	bool have_session;
	/* drills' own session: not cancelled by signals, so a drill instance is deleted after SIGTERM */
	struct sk_session drill_session;
	bool have_drill_session;
	bool any_drill; /* the last policies read have a drill: after an applying cycle, drills may be due */
	struct sk_metrics *metrics;
	const char *namespace_;
	/* what the last policies read said, kept across cycles: alert routes and metric region survive a failed fetch */
	struct sk_alert_routes routes;
	char metrics_region[64];
	/* the alert states (alerts.json), and what the running cycle found */
	struct sk_alertset alerts;
	struct sk_alert_conds found;
	unsigned looked; /* SK_ALERT_BIT()s of the kinds the cycle looked at */
	bool blamed;     /* only actions failed: each policy's failures are its own alert */
	/* the newest snapshot of each place, as the last cycle that planned left it: aged in later cycles */
	struct known_newest *known;
	size_t n_known;
	struct sk_instance_age *ages; /* one per known, as of the cycle's end */
	char *state_dir;    /* the alert states and the daily summary live here; NULL: nowhere (only memory) */
	size_t cycles;
	/* shards (PostgreSQL): the cycles go shard by shard */
	bool sharded;
	struct sk_shard_cycle shards;
	char replica[128];
	/* several accounts: verify's report of every account, made before planned() publishes it */
	struct sk_verify_report *verified;
	const struct sk_accounts *accounts; /* the cycle's accounts, while planned() runs; else NULL */
	/* shards: every shard's verify results of the cycle, for the gauges at its end (each would replace the last) */
	struct sk_verify_report *cycle_verified;
};

struct known_newest {
	char account[16];
	char region[32];
	char instance[64];
	int64_t time;
};

static void free_ages(struct sk_service *c)
{
	free(c->known);
	free(c->ages);
	c->known = NULL;
	c->ages = NULL;
	c->n_known = 0;
}

/*
 * What a cycle that made a plan leaves: the newest available snapshot the
 * policies own of each managed instance, in its region and in each copy
 * region, after apply.  A cycle that made no plan keeps the last ones.
 */
static void learn_newest(struct sk_service *c, const struct sk_reconcile_report *rep)
{
	struct sk_newest *nw = NULL;
	size_t n = 0, i;

	if (!rep->stage || (strcmp(rep->stage, "apply") && strcmp(rep->stage, "record") && strcmp(rep->stage, "done")))
		return;
	if (sk_cycle_newest(&nw, &n, rep) < 0) {
		sk_warn("cannot count the newest snapshots: %s", sk_error_message());
		return;
	}
	free_ages(c);
	c->known = calloc(n + 1, sizeof(*c->known));
	c->ages = calloc(n + 1, sizeof(*c->ages));
	if (!c->known || !c->ages) {
		free_ages(c);
		free(nw);
		return;
	}
	for (i = 0; i < n; i++) {
		sk_strlcpy(c->known[i].account, nw[i].account, sizeof(c->known[i].account));
		sk_strlcpy(c->known[i].region, nw[i].region, sizeof(c->known[i].region));
		sk_strlcpy(c->known[i].instance, nw[i].instance, sizeof(c->known[i].instance));
		c->known[i].time = nw[i].time;
	}
	c->n_known = n;
	free(nw);
}

/* what the policies of a commit say about alerts: where they go, and a region for CloudWatch */
static void learn_policies(struct sk_service *c, const struct sk_policyset *set)
{
	if (sk_alert_routes_learn(&c->routes, set) < 0)
		sk_warn("cannot learn where alerts go: %s", sk_error_message());
	if (set->n_policies && set->policies[0].n_regions)
		sk_strlcpy(c->metrics_region, set->policies[0].regions[0].name, sizeof(c->metrics_region));
}

/* how many instances each policy selects; policies --region leaves out have no series */
static void selection_metrics(struct sk_service *c, const struct sk_plan *plan)
{
	size_t i;

	if (sk_metrics_clear(c->metrics, SK_METRIC_POLICY_SELECTED) < 0)
		return;
	for (i = 0; i < plan->n_policies; i++)
		if (plan->policies[i].n_regions)
			sk_metrics_set(c->metrics, SK_METRIC_POLICY_SELECTED, &plan->policies[i].name,
				       (double)plan->policies[i].n_instances);
}

/*
 * `snapkeep verify`'s checks on the inventory the plan was made from (no
 * call more), as gauges and as alert conditions: a check of a policy with
 * spec.verify that becomes CRITICAL alerts its topic, and again when it
 * recovers.
 */
static void publish_verify(struct sk_service *c, const struct sk_policyset *set, const struct sk_verify_report *r)
{
	if (c->sharded) {
		if ((!c->cycle_verified && sk_verify_report_new(&c->cycle_verified, r->now) < 0) ||
		    sk_verify_report_join(c->cycle_verified, r) < 0)
			sk_warn("cannot keep verify's results for the metrics: %s", sk_error_message());
	} else if (sk_verify_watch_metrics(c->metrics, r) < 0) {
		sk_warn("cannot publish verify's metrics: %s", sk_error_message());
	}
	if (sk_verify_watch_conds(&c->found, r, set) < 0)
		sk_warn("cannot look for alerts in verify's results: %s", sk_error_message());
	else
		c->looked |= SK_ALERT_BIT(SK_ALERT_VERIFY);
	sk_log(r->worst == SK_VERIFY_OK ? SK_LOG_INFO : SK_LOG_WARN,
	       "verify %s: %zu instances, %zu critical, %zu warning, %zu unknown", sk_verify_status_name(r->worst),
	       r->n_instances, r->counts[SK_VERIFY_CRITICAL], r->counts[SK_VERIFY_WARNING],
	       r->counts[SK_VERIFY_UNKNOWN]);
}

/*
 * inv's checks, published; or (a: several accounts) each observed
 * account's, kept for planned() to publish with the whole set
 */
static void verify(struct sk_service *c, const struct sk_policyset *set, const struct sk_inventory *inv,
		   const struct sk_accounts *a)
{
	struct sk_verify_watch_opts o = { .state_dir = c->o.cycle.source.state_dir, .state_backend = c->o.state_backend,
					  .regions = c->o.cycle.regions, .n_regions = c->o.cycle.n_regions };
	struct sk_verify_report *r = NULL;

	if ((a ? sk_verify_watch_run_accounts(&r, a, &o) : sk_verify_watch_run(&r, set, inv, &o)) < 0)
		sk_warn("cannot verify the backups: %s", sk_error_message());
	else if (!a)
		publish_verify(c, set, r);
	if (a)
		c->verified = r;
	else
		sk_verify_report_free(r);
}

/* several accounts, before planned(): each observed account checked with its own policies, inventory and drills */
static void planned_accounts(void *ud, const struct sk_accounts *a)
{
	struct sk_service *c = ud;

	sk_verify_report_free(c->verified);
	c->verified = NULL;
	verify(c, NULL, NULL, a);
	c->accounts = a;
}

/*
 * While the plan is alive: where alerts go, a region for CloudWatch, what
 * each policy selects, and the alerts the plan shows (blocked deletions,
 * policies that select nothing).  A plan with nothing to apply, or one
 * that is not applied, cannot have failed actions: their alerts resolve.
 */
static void after_plan(struct sk_service *c, const struct sk_policyset *set, const struct sk_plan *plan,
		       const struct sk_plan *todo)
{
	learn_policies(c, set);
	selection_metrics(c, plan);
	if (sk_alert_find_plan(&c->found, set, plan) < 0) {
		sk_warn("cannot look for alerts in the plan: %s", sk_error_message());
		return;
	}
	c->looked |= SK_ALERT_BIT(SK_ALERT_BLOCKED) | SK_ALERT_BIT(SK_ALERT_SELECTS_NOTHING);
	if (!c->o.cycle.apply || !sk_plan_has_changes(todo))
		c->looked |= SK_ALERT_BIT(SK_ALERT_APPLY);
}

/*
 * A cycle that failed before planning still alerts, even in the first
 * cycle of a process (`run --once` has no other).  When the cycle read its
 * policies (observe failed), the topics are those of its commit, read from
 * the repository it fetched.  When it did not (invalid policies, a failed
 * fetch, the lock) and no topics are known yet, they are read at the
 * watched ref as the repository has it, without fetching again after a
 * failed fetch, and taken even from an invalid set: a broken commit still
 * names where its alerts go.  With --require-signed-commits the topics are
 * only ever read from a commit that verifies (an unsigned commit must not
 * say where the alert about it goes): when the watched one does not, from
 * the last commit applied, as the state file names it.
 */
static void learn_topics(struct sk_service *c, const struct sk_reconcile_report *rep)
{
	struct sk_source_opts so;
	struct sk_source *src = NULL;
	struct sk_policyset *set = NULL;
	struct sk_state *st = NULL;
	char *cache = NULL;
	int rc;

	if (rep->commit[0] ? strcmp(rep->commit, c->routes.commit) != 0 : !c->routes.commit[0]) {
		sk_load_source_opts(&so, &cache, &c->o.cycle.source);
		if (rep->commit[0])
			so.ref = rep->commit;
		so.no_fetch = rep->commit[0] || (rep->stage && !strcmp(rep->stage, "fetch"));
		rc = sk_source_read(&src, &so);
		if (rc < 0 && sk_error_last()->klass == SK_ERR_SIGNATURE && c->state_dir &&
		    sk_state_load(&st, c->state_dir) == 0 && st->last_applied.commit[0]) {
			so.ref = st->last_applied.commit;
			so.no_fetch = true;
			rc = sk_source_read(&src, &so);
		}
		if (rc == 0 && (sk_policyset_load(&set, src) == 0 || set))
			learn_policies(c, set);
		else
			sk_debug("reading the alert topics: %s", sk_error_message());
	}
	sk_state_free(st);
	sk_policyset_free(set);
	sk_source_free(src);
	free(cache);
}

/* to each topic; how many took it */
static size_t publish(struct sk_service *c, const char *const *topics, size_t n, const struct sk_buf *subject,
		      const struct sk_buf *body)
{
	size_t i, sent = 0;
	char id[128];

	for (i = 0; i < n; i++) {
		if (sk_sns_publish(c->session.client, topics[i], sk_buf_cstr(subject), sk_buf_cstr(body), id, sizeof(id),
				   NULL) < 0) {
			sk_warn("cannot publish '%s' to %s: %s", sk_buf_cstr(subject), topics[i], sk_error_message());
		} else {
			sk_info("published '%s' to %s (MessageId %s)", sk_buf_cstr(subject), topics[i], id);
			sent++;
		}
	}
	return sent;
}

/* ---- alerts: states in the state directory, messages on firing, repeat and resolve ---- */

/*
 * The states as the file has them, read afresh every cycle, so that two
 * processes sharing a state directory (a loop and a `run --once`) see each
 * other's alerts; the ones in memory when there is no readable file.
 */
static void load_alerts(struct sk_service *c)
{
	struct sk_alertset fresh = SK_ALERTSET_INIT;
	json_t *j = NULL;
	int rc;

	if (!c->state_dir)
		return;
	rc = sk_doc_load(&j, c->state_dir, SK_DOC_ALERTS);
	if (rc == SK_ENOTFOUND) {
		json_decref(j);
		return;
	}
	if (rc < 0 || sk_alertset_from_json(&fresh, j) < 0) {
		sk_warn("keeping the alert states this process knows: %s (%s/%s)", sk_error_message(), c->state_dir,
			SK_ALERTS_FILE);
	} else {
		sk_alertset_free(&c->alerts);
		c->alerts = fresh;
	}
	json_decref(j);
}

static void save_alerts(struct sk_service *c)
{
	json_t *j;

	if (!c->state_dir)
		return;
	j = sk_alertset_to_json(&c->alerts);
	if (!j || sk_doc_save(c->state_dir, SK_DOC_ALERTS, j) < 0)
		sk_warn("cannot save the alert states: %s (a restart may repeat or miss a message)", sk_error_message());
	json_decref(j);
}

/* what a's receivers should hear now, sent; a notice no topic took is tried again after the next cycle */
static void notify(struct sk_service *c, struct sk_alert *a, int64_t now)
{
	enum sk_alert_notice n = sk_alertset_due(a, now, c->o.alert_repeat_ms);
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;

	if (n == SK_NOTICE_NONE)
		return;
	if (n != SK_NOTICE_RESOLVED)
		sk_warn("alert %s%s: %s", a->key, n == SK_NOTICE_REPEAT ? " still firing" : " firing",
			a->summary ? a->summary : "");
	else
		sk_info("alert %s resolved: %s", a->key, a->summary ? a->summary : "");
	if (!a->n_topics) {
		if (n == SK_NOTICE_RESOLVED) {
			sk_alertset_sent(a, n, now); /* nobody to tell */
		} else {
			sk_warn("no SNS topic is known for alert %s (alerts.snsTopicArn of its policy or of the Settings; "
				"the policies could not be read?): it is only logged",
				a->key);
		}
		return;
	}
	if (sk_alert_format(&subject, &body, a, n, now, c->o.alert_repeat_ms) == 0 &&
	    publish(c, (const char *const *)a->topics, a->n_topics, &subject, &body) > 0)
		sk_alertset_sent(a, n, now);
	sk_buf_free(&subject);
	sk_buf_free(&body);
}

static void alert_gauges(struct sk_service *c)
{
	int k;

	for (k = 0; k < SK_ALERT_KINDS; k++) {
		const char *kind = sk_alert_kind_name((enum sk_alert_kind)k);
		sk_metrics_set(c->metrics, SK_METRIC_ALERTS_FIRING, &kind,
			       (double)sk_alertset_firing(&c->alerts, (enum sk_alert_kind)k));
	}
}

/* the cycle's findings into the alert states, the messages they call for, and the gauges */
static void evaluate_alerts(struct sk_service *c, struct sk_cycle_report *r)
{
	struct sk_alert_cycle cy;
	int64_t now = sk_time_now_ms();
	size_t i;

	memset(&cy, 0, sizeof(cy));
	cy.now_ms = r->finished_ms;
	cy.commit = r->commit;
	cy.subject = r->subject;
	cy.routes = &c->routes;
	load_alerts(c);
	c->looked |= SK_ALERT_BIT(SK_ALERT_CYCLE);
	if (sk_alert_find_cycle(&c->found, r, c->blamed) < 0 ||
	    sk_alertset_update(&c->alerts, &c->found, c->looked, &cy) < 0)
		sk_warn("cannot update the alerts: %s", sk_error_message());
	for (i = 0; i < c->alerts.n; i++)
		notify(c, &c->alerts.v[i], now);
	sk_alertset_prune(&c->alerts);
	save_alerts(c);
	alert_gauges(c);
	r->alerts_firing = sk_alertset_firing(&c->alerts, SK_ALERT_KINDS);
}

static void send_metrics(struct sk_service *c, const struct sk_cycle_report *r)
{
	struct sk_cycle_datums d;
	const char *region = c->metrics_region[0] ? c->metrics_region : c->session.config->region;

	if (!region)
		return;
	memset(&d, 0, sizeof(d));
	if (sk_alert_cycle_datums(&d, r) < 0) {
		sk_warn("cannot build the cycle's CloudWatch metrics: %s", sk_error_message());
		return;
	}
	if (sk_cloudwatch_put_metric_data(c->session.client, region, c->namespace_, d.data, d.n, NULL) < 0)
		sk_warn("cannot send metrics to CloudWatch: %s", sk_error_message());
	sk_cycle_datums_free(&d);
}

/* the summary of the cycles since the last one sent; a fresh one when there is none or it cannot be read */
static void load_summary(struct sk_service *c, struct sk_alert_summary *s)
{
	json_t *j = NULL;
	int rc;

	sk_alert_summary_reset(s);
	rc = sk_doc_load(&j, c->state_dir, SK_DOC_SUMMARY);
	if (rc != SK_ENOTFOUND && (rc < 0 || sk_alert_summary_from_json(s, j) < 0))
		sk_warn("starting the daily summary afresh: %s (%s/%s)", sk_error_message(), c->state_dir,
			SK_SUMMARY_FILE);
	json_decref(j);
}

static void save_summary(struct sk_service *c, const struct sk_alert_summary *s)
{
	json_t *j = sk_alert_summary_to_json(s);

	if (!j || sk_doc_save(c->state_dir, SK_DOC_SUMMARY, j) < 0)
		sk_warn("cannot save the daily summary: %s", j ? sk_error_message() : "out of memory");
	json_decref(j);
}

/* adds the cycle to the day's summary and, when its time has come, publishes it */
static void daily_summary(struct sk_service *c, const struct sk_cycle_report *r)
{
	struct sk_alert_summary s;
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;
	const char **topics = NULL;
	size_t n = 0;
	int64_t now = sk_time_now();

	load_summary(c, &s);
	sk_alert_summary_add(&s, r);
	if (sk_alert_summary_due(&s, c->o.summary_minute, now)) {
		/* a fleet-wide message: the Settings topic, else every policy's */
		if (sk_alert_route(&topics, &n, &c->routes, NULL, 0) < 0)
			goto save;
		if (sk_alert_summary_drills(&s, c->state_dir, c->o.state_backend, c->any_drill, sk_time_now_ms()) < 0)
			sk_warn("the daily summary counts no drills: %s", sk_error_message());
		if (!n) {
			sk_warn("--summary-at: neither the Settings nor any policy names alerts.snsTopicArn; the daily "
				"summary goes nowhere");
		} else if (sk_alert_format_summary(&subject, &body, &s, sk_time_now_ms()) < 0 ||
			   publish(c, topics, n, &subject, &body) == 0) {
			/* not one topic took it: keep adding up, and try again after the next cycle */
			goto save;
		}
		sk_alert_summary_reset(&s);
		s.period_start = now;
	}
save:
	save_summary(c, &s);
	free(topics);
	sk_buf_free(&subject);
	sk_buf_free(&body);
}

/*
 * --report-at: when the schedule fired since the last month was reported,
 * the month's report from this cycle's observation and plan: its summary
 * to the fleet's alerts topic, then the page, which marks the month done
 * (a summary no topic took is tried again next cycle)
 */
/* inv's, or over several accounts (a) each observed account's, joined */
static void monthly_report(struct sk_service *c, const struct sk_policyset *set, const struct sk_inventory *inv,
			   const struct sk_accounts *a, const struct sk_plan *plan)
{
	struct sk_report_state_opts ro = SK_REPORT_STATE_OPTS_INIT;
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;
	struct sk_report *r = NULL;
	const char **topics = NULL;
	size_t n = 0;
	char month[8];
	int due;

	ro.now = plan->now;
	ro.state_dir = c->state_dir;
	ro.state_backend = c->o.state_backend;
	ro.regions = c->o.cycle.regions;
	ro.n_regions = c->o.cycle.n_regions;
	if ((due = sk_report_at_due(month, &c->o.report_at, c->state_dir, ro.now)) <= 0) {
		if (due < 0)
			sk_warn("--report-at: %s", sk_error_message());
		return;
	}
	if (sk_report_month_range(&ro.since, &ro.until, month) < 0 ||
	    (a ? sk_report_from_state_accounts(&r, set, a, plan, &ro) : sk_report_from_state(&r, set, inv, plan, &ro)) < 0 ||
	    sk_alert_route(&topics, &n, &c->routes, NULL, 0) < 0 || sk_report_summary(&subject, &body, r, month) < 0) {
		sk_warn("--report-at: cannot make the report of %s: %s", month, sk_error_message());
		goto done;
	}
	if (!n)
		sk_warn("--report-at: neither the Settings nor any policy names alerts.snsTopicArn; the summary of %s "
			"goes nowhere", month);
	else if (publish(c, topics, n, &subject, &body) == 0)
		goto done; /* not one topic took it: the next cycle tries again */
	if (sk_report_at_write(c->state_dir, month, r) < 0)
		sk_warn("--report-at: cannot write the report of %s: %s", month, sk_error_message());
	else
		sk_info("the report of %s (%s) is in %s/%s/%s.html", month, sk_report_verdict_name(r->verdict),
			c->state_dir, SK_REPORT_AT_DIR, month);
done:
	sk_report_free(r);
	free(topics);
	sk_buf_free(&subject);
	sk_buf_free(&body);
}

/* the caller's callbacks, after the service's own */
static void diags(void *ud, const struct sk_policyset *set)
{
	struct sk_service *c = ud;

	if (c->user.diags)
		c->user.diags(c->user.ud, set);
}

static void applying(void *ud, const struct sk_plan *todo)
{
	struct sk_service *c = ud;

	if (c->user.applying)
		c->user.applying(c->user.ud, todo);
}

static void outcome(void *ud, const struct sk_action *a, enum sk_outcome oc, const char *detail)
{
	struct sk_service *c = ud;

	if (c->user.outcome)
		c->user.outcome(c->user.ud, a, oc, detail);
}

static void applied(void *ud, const struct sk_plan *todo, const struct sk_apply_result *res,
		    const struct sk_reconcile_report *rep)
{
	struct sk_service *c = ud;

	/* each policy's failed actions are its own alert; an interrupted apply found nothing either way */
	if (!res->interrupted) {
		if (sk_alert_find_apply(&c->found, todo, res) < 0)
			sk_warn("cannot look for alerts in the apply's outcomes: %s", sk_error_message());
		else
			c->looked |= SK_ALERT_BIT(SK_ALERT_APPLY);
		c->blamed = res->failed > 0;
	}
	if (c->user.applied)
		c->user.applied(c->user.ud, todo, res, rep);
}

static void planned(void *ud, const struct sk_policyset *set, const struct sk_inventory *inv, const struct sk_plan *plan,
		    const struct sk_plan *todo)
{
	struct sk_service *c = ud;

	c->any_drill = false;
	for (size_t i = 0; i < set->n_policies; i++)
		c->any_drill = c->any_drill || set->policies[i].has_drill;
	after_plan(c, set, plan, todo);
	if (inv) {
		verify(c, set, inv, NULL);
	} else if (c->verified) { /* several accounts: planned_accounts() checked each */
		publish_verify(c, set, c->verified);
		sk_verify_report_free(c->verified);
		c->verified = NULL;
	}
	if ((inv || c->accounts) && c->o.report && c->state_dir)
		monthly_report(c, set, inv, inv ? NULL : c->accounts, plan);
	c->accounts = NULL; /* they go when planned returns */
	if (c->user.planned)
		c->user.planned(c->user.ud, set, inv, plan, todo);
}

/*
 * The drills whose schedule fired since their last run (never drilled: now),
 * after an applying cycle: they restore and delete instances, so a
 * drift-only loop runs none.  Each result sets the drill gauges; a failed
 * drill sends its own SNS message (engine/drill.c).
 */
static void run_drills(void *ud, const struct sk_reconcile_opts *o)
{
	struct sk_service *c = ud;
	struct sk_drill_opts d = SK_DRILL_OPTS_INIT;
	struct sk_drill_report rep;

	if (!c->any_drill)
		return;
	if (!c->have_drill_session) {
		struct sk_session_opts so = c->o.session;

		so.cancel = NULL;
		if (sk_session_open(&c->drill_session, &so) < 0) {
			sk_log(SK_LOG_ERROR, "drills not run: %s", sk_error_message());
			return;
		}
		c->have_drill_session = true;
	}
	d.command = "run";
	d.source = o->source;
	d.session = &c->drill_session;
	d.regions = o->regions;
	d.n_regions = o->n_regions;
	d.lock_timeout = o->lock_timeout;
	d.only_due = true;
	d.cancel = c->o.cancel;
	sk_drill(&rep, &d);
	for (size_t i = 0; i < rep.n_results; i++) {
		const struct sk_drill_result *r = &rep.results[i];
		char instance[96];
		const char *labels[] = { r->policy, r->region, instance };

		/* over several accounts "<account>/<instance>", as verify's gauges say it */
		snprintf(instance, sizeof(instance), "%s%s%s", r->account, r->account[0] ? "/" : "", r->instance);
		sk_metrics_set(c->metrics, SK_METRIC_DRILL_SUCCESS, labels, r->passed ? 1 : 0);
		if (r->rto_ms >= 0)
			sk_metrics_set(c->metrics, SK_METRIC_DRILL_RTO, labels, (double)r->rto_ms / 1000.0);
		sk_log(r->passed ? SK_LOG_INFO : SK_LOG_ERROR, "drill of %s (%s) %s: %s", instance, r->region,
		       r->passed ? "passed" : "failed", r->passed ? "every check passed" : r->error);
	}
	if (rep.error[0] && !rep.failed && !rep.interrupted)
		sk_log(SK_LOG_ERROR, "drills not run: %s", rep.error);
	sk_drill_report_free(&rep);
}

static int cycle(void *ud)
{
	struct sk_service *c = ud;
	struct sk_reconcile_opts o = c->o.cycle;
	struct sk_reconcile_report rep;
	struct sk_cycle_report r;
	int64_t started = sk_time_now_ms(), now;
	volatile sig_atomic_t *cancel = c->o.cancel;
	size_t i;
	int rc;

	c->cycles++;
	sk_alert_conds_reset(&c->found);
	c->looked = 0;
	c->blamed = false;
	o.session = &c->session;
	o.command = "run";
	o.cancel = cancel;
	o.cb = (struct sk_reconcile_callbacks){
		.diags = diags,
		.planned = planned,
		.planned_accounts = planned_accounts,
		.confirm = NULL, /* nobody to ask */
		.applying = applying,
		.outcome = outcome,
		.applied = applied,
		.ud = c,
	};
	rc = c->sharded ? sk_shard_cycle_run(&rep, &c->shards, &o) : sk_reconcile(&rep, &o);
	if (c->cycle_verified) { /* every shard this replica reconciled in the cycle, as one set of series */
		if (sk_verify_watch_metrics(c->metrics, c->cycle_verified) < 0)
			sk_warn("cannot publish verify's metrics: %s", sk_error_message());
		sk_verify_report_free(c->cycle_verified);
		c->cycle_verified = NULL;
	}

	r = (struct sk_cycle_report){
		.commit = rep.commit,
		.subject = rep.subject,
		.ref = o.source.ref ? o.source.ref : "HEAD",
		.started_ms = started,
		.finished_ms = sk_time_now_ms(),
		.ok = rc == 0,
		.applied = o.apply,
		.stage = rep.stage,
		.error = rep.error,
		.to_create = rep.planned.create,
		.to_change = rep.planned.change,
		.to_delete = rep.planned.remove,
		.pending = rep.pending,
		.created = rep.created,
		.copied = rep.copied,
		.deleted = rep.deleted,
	};
	/* as of now: the ages this cycle left, or the last ones known grown by the time since */
	learn_newest(c, &rep);
	now = r.finished_ms / 1000;
	for (i = 0; i < c->n_known; i++) {
		c->ages[i].account = c->known[i].account;
		c->ages[i].region = c->known[i].region;
		c->ages[i].instance = c->known[i].instance;
		c->ages[i].seconds = now > c->known[i].time ? now - c->known[i].time : 0;
	}
	r.ages = c->ages;
	r.n_ages = c->n_known;
	if (!r.ok && (rep.interrupted || (cancel && *cancel))) {
		/* not a failure: told to stop; the call in flight was finished and journaled */
		sk_log(SK_LOG_INFO, "cycle %zu stopped by %s in %s", c->cycles,
		       cancel && *cancel == SIGINT ? "SIGINT" : "SIGTERM", rep.stage ? rep.stage : "?");
		sk_reconcile_report_free(&rep);
		return rc;
	}
	sk_metrics_record_cycle(c->metrics, &r);
	if (r.ok)
		sk_log(SK_LOG_INFO, "cycle %zu ok at commit %.12s: %zu to create, %zu to change, %zu to delete%s (%.1f s)",
		       c->cycles, rep.commit, r.to_create, r.to_change, r.to_delete,
		       o.apply ? "" : " (drift only: --auto-apply is off)",
		       (double)(r.finished_ms - r.started_ms) / 1000.0);
	else
		sk_log(SK_LOG_ERROR, "cycle %zu failed in %s: %s", c->cycles, rep.stage ? rep.stage : "?", rep.error);

	if (r.ok && o.apply && !(cancel && *cancel) && !c->sharded)
		run_drills(c, &o);
	if (!(cancel && *cancel)) {
		if (!r.ok)
			learn_topics(c, &rep);
		evaluate_alerts(c, &r);
		send_metrics(c, &r);
		if (c->o.summary && c->state_dir)
			daily_summary(c, &r);
	}
	sk_reconcile_report_free(&rep);
	return rc;
}

static int poll_ref(void *ud, char commit[41])
{
	struct sk_service *c = ud;
	struct sk_source_opts so;
	char *cache = NULL;
	int rc;

	sk_load_source_opts(&so, &cache, &c->o.cycle.source);
	rc = sk_source_resolve(commit, &so);
	if (rc < 0)
		sk_warn("cannot check the policy repository: %s", sk_error_message());
	free(cache);
	return rc;
}

/*
 * SIGHUP, between cycles: the policies are read afresh every cycle anyway;
 * what else there is to re-read is the AWS configuration: the config and
 * credentials files (rotated keys, a changed profile setting).  A session
 * that cannot be opened leaves the old one in use.
 */
static void reload(void *ud)
{
	struct sk_service *c = ud;
	struct sk_session fresh;

	if (sk_session_open(&fresh, &c->o.session) < 0) {
		sk_warn("SIGHUP: keeping the previous AWS configuration: %s", sk_error_message());
		return;
	}
	sk_session_close(&c->session);
	c->session = fresh;
	if (c->have_drill_session) {
		sk_session_close(&c->drill_session); /* opened again by the next drill */
		c->have_drill_session = false;
	}
	sk_info("SIGHUP: re-read the AWS configuration and credentials; the policies are read at every cycle");
}

int sk_service_new(struct sk_service **out, const struct sk_service_opts *o)
{
	struct sk_service *c;
	struct sk_session_opts so;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return sk_error_set_oom();
	c->o = *o;
	c->user = o->cycle.cb;
	c->namespace_ = o->metrics_namespace ? o->metrics_namespace : "Snapkeep";
	if (sk_statedir_resolve(&c->state_dir, o->cycle.source.state_dir) < 0) {
		if (o->summary)
			goto fail;
		sk_warn("%s: alert states are kept in memory only", sk_error_message());
	}
	if (c->o.alert_repeat_ms <= 0)
		c->o.alert_repeat_ms = SK_ALERT_REPEAT_DEFAULT_MS;
	c->o.state_backend = sk_backend_choose(o->state_backend, NULL);
	c->sharded = c->o.state_backend && sk_backend_is_pg(c->o.state_backend);
	if (sk_replica_id(c->replica, sizeof(c->replica), o->replica_id) < 0)
		goto fail;
	if (sk_metrics_new_snapkeep(&c->metrics, o->version ? o->version : "unknown") < 0 ||
	    sk_verify_watch_define(c->metrics) < 0 || (c->sharded && sk_shards_define_metrics(c->metrics) < 0))
		goto fail;
	load_alerts(c);
	alert_gauges(c);
	/* every AWS call attempt is counted */
	so = o->session;
	so.cancel = o->cancel;
	so.on_attempt = sk_metrics_on_attempt;
	so.on_attempt_ud = c->metrics;
	c->o.session = so;
	if (sk_session_open(&c->session, &c->o.session) < 0)
		goto fail;
	c->have_session = true;
	if (o->metrics_addr) {
		if (sk_metrics_server_start(&c->server, c->metrics, o->metrics_addr, o->healthz_failures) < 0)
			goto fail;
		sk_log(SK_LOG_INFO, "serving /metrics and /healthz on %s (port %d)", o->metrics_addr,
		       sk_metrics_server_port(c->server));
	}
	c->shards = (struct sk_shard_cycle){
		.state_backend = c->o.state_backend,
		.state_dir = o->cycle.source.state_dir,
		.replica = c->replica,
		.once = o->once,
		.interval_ms = o->interval_ms,
		.metrics = c->metrics,
		.server = c->server,
		.after = run_drills,
		.ud = c,
	};
	*out = c;
	return 0;
fail:
	sk_service_free(c);
	return -1;
}

int sk_service_run(struct sk_service *c)
{
	struct sk_loop_opts lo = SK_LOOP_OPTS_INIT;
	const struct sk_service_opts *o = &c->o;
	int rc;

	lo.cycle = cycle;
	lo.poll_ref = o->git_poll_ms ? poll_ref : NULL;
	lo.reload = reload;
	lo.ud = c;
	lo.interval_ms = o->interval_ms;
	lo.git_poll_ms = o->git_poll_ms;
	lo.once = o->once;
	lo.cancel = o->cancel;
	lo.reload_flag = o->reload_flag;
	if (!o->once) {
		char every[48];
		sk_loop_format_duration(every, o->interval_ms);
		sk_log(SK_LOG_INFO, "reconciling every %s%s%s", every, o->cycle.apply ? " and applying" : " (drift only)",
		       o->git_poll_ms ? ", starting early when the policy ref moves" : "");
	}
	if (c->sharded) {
		sk_log(SK_LOG_INFO, "replica %s: shard by shard, sharing them with the other replicas of the state backend",
		       c->replica);
	}
	rc = sk_loop_run(&lo);
	if (o->once && o->cancel && *o->cancel)
		rc = 0;
	if (o->cancel && *o->cancel)
		sk_log(SK_LOG_INFO, "stopped by %s", *o->cancel == SIGTERM ? "SIGTERM" : "SIGINT");
	return rc;
}

void sk_service_free(struct sk_service *c)
{
	if (!c)
		return;
	sk_metrics_server_stop(c->server);
	if (c->have_session)
		sk_session_close(&c->session);
	if (c->have_drill_session)
		sk_session_close(&c->drill_session);
	sk_shard_cycle_close(&c->shards);
	free_ages(c);
	sk_alert_routes_free(&c->routes);
	sk_alertset_free(&c->alerts);
	sk_alert_conds_free(&c->found);
	sk_verify_report_free(c->verified);
	sk_verify_report_free(c->cycle_verified);
	free(c->state_dir);
	sk_metrics_free(c->metrics);
	free(c);
}
