/*
 * cmd_run.c - snapkeep run: the reconcile loop, with alerts and metrics
 *
 * Each cycle is one reconciliation (reconcile.c) under the state
 * directory's lock: read the policies (a remote repository is fetched),
 * observe, plan, and with --auto-apply apply; then the cycle is counted in
 * /metrics, sent to CloudWatch, and a failed cycle is published to the
 * policies' SNS topics.  The schedule (interval, jitter, backoff, git
 * polling, signals) is loop.c's.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/cloudwatch.h"
#include "aws/sns.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "reconciler/alerts.h"
#include "reconciler/cli.h"
#include "reconciler/loop.h"
#include "reconciler/metrics.h"
#include "reconciler/reconcile.h"
#include "reconciler/session.h"
#include "specs/policy.h"
#include "specs/source.h"

static volatile sig_atomic_t hup;

static void on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

struct run_ctx {
	struct sk_cli *cli;
	struct sk_session session;
	bool have_session;
	struct sk_metrics *metrics;
	const char *namespace_;
	/* what the last plan showed, kept across cycles: alert topics and metric region survive a failed fetch */
	char **topics;
	size_t n_topics;
	char metrics_region[64];
	struct sk_instance_age *ages;
	size_t n_ages;
	char **age_strings; /* region and instance copies the ages point to */
	/* the daily summary */
	bool summary;
	int summary_minute;
	int64_t next_summary;
	struct sk_alert_summary acc;
	size_t cycles;
};

static void free_ages(struct run_ctx *c)
{
	size_t i;

	for (i = 0; i < 2 * c->n_ages; i++)
		free(c->age_strings[i]);
	free(c->age_strings);
	free(c->ages);
	c->ages = NULL;
	c->age_strings = NULL;
	c->n_ages = 0;
}

static void free_topics(struct run_ctx *c)
{
	size_t i;

	for (i = 0; i < c->n_topics; i++)
		free(c->topics[i]);
	free(c->topics);
	c->topics = NULL;
	c->n_topics = 0;
}

/* while the plan is alive: the ages of the newest snapshots, the alert topics, a region for CloudWatch */
static void after_plan(void *ud, const struct sk_policyset *set, const struct sk_inventory *inv,
		       const struct sk_plan *plan)
{
	struct run_ctx *c = ud;
	struct sk_instance_age *ages = NULL;
	const char **topics = NULL;
	size_t n = 0, nt = 0, i;

	free_ages(c);
	if (sk_alert_newest_ages(&ages, &n, inv, plan, plan->now) == 0 && n) {
		c->age_strings = calloc(2 * n, sizeof(*c->age_strings));
		if (c->age_strings) {
			for (i = 0; i < n; i++) {
				c->age_strings[2 * i] = strdup(ages[i].region);
				c->age_strings[2 * i + 1] = strdup(ages[i].instance);
				ages[i].region = c->age_strings[2 * i] ? c->age_strings[2 * i] : "";
				ages[i].instance = c->age_strings[2 * i + 1] ? c->age_strings[2 * i + 1] : "";
			}
			c->ages = ages;
			c->n_ages = n;
			ages = NULL;
		}
	}
	free(ages);
	if (sk_alert_topics(&topics, &nt, set) == 0) {
		free_topics(c);
		c->topics = calloc(nt + 1, sizeof(*c->topics));
		for (i = 0; c->topics && i < nt; i++)
			if ((c->topics[c->n_topics] = strdup(topics[i])))
				c->n_topics++;
	}
	free(topics);
	if (set->n_policies && set->policies[0].n_regions)
		snprintf(c->metrics_region, sizeof(c->metrics_region), "%s", set->policies[0].regions[0].name);
}

static void publish(struct run_ctx *c, const struct sk_buf *subject, const struct sk_buf *body)
{
	size_t i;
	char id[128];

	for (i = 0; i < c->n_topics; i++) {
		if (sk_sns_publish(c->session.client, c->topics[i], sk_buf_cstr(subject), sk_buf_cstr(body), id,
				   sizeof(id), NULL) < 0)
			sk_warn("cannot publish the alert to %s: %s", c->topics[i], sk_error_message());
		else
			sk_info("alert published to %s (MessageId %s)", c->topics[i], id);
	}
}

static void send_metrics(struct run_ctx *c, const struct sk_cycle_report *r)
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

static int cycle(void *ud)
{
	struct run_ctx *c = ud;
	struct sk_reconcile_opts o = SK_RECONCILE_OPTS_INIT;
	struct sk_reconcile_report rep;
	struct sk_cycle_report r;
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;
	int64_t started = sk_time_now_ms();
	int rc;

	c->cycles++;
	o.cli = c->cli;
	o.session = &c->session;
	o.command = "run";
	o.apply = c->cli->auto_apply;
	o.confirm = false;
	o.out = sk_log_is_json() ? NULL : stdout;
	o.quiet_no_changes = true;
	o.after_plan = after_plan;
	o.after_plan_ud = c;
	rc = sk_reconcile(&rep, &o);

	memset(&r, 0, sizeof(r));
	r.commit = rep.commit;
	r.subject = rep.subject;
	r.ref = c->cli->ref ? c->cli->ref : "HEAD";
	r.started_ms = started;
	r.finished_ms = sk_time_now_ms();
	r.ok = rc == 0;
	r.applied = c->cli->auto_apply;
	r.stage = rep.stage;
	r.error = rep.error;
	r.to_create = rep.planned.create;
	r.to_change = rep.planned.change;
	r.to_delete = rep.planned.remove;
	r.pending = rep.pending;
	r.created = rep.created;
	r.copied = rep.copied;
	r.deleted = rep.deleted;
	r.ages = c->ages;
	r.n_ages = c->n_ages;
	sk_metrics_record_cycle(c->metrics, &r);
	if (r.ok)
		sk_log(SK_LOG_INFO, "cycle %zu ok at commit %.12s: %zu to create, %zu to change, %zu to delete%s (%.1f s)",
		       c->cycles, rep.commit, r.to_create, r.to_change, r.to_delete,
		       c->cli->auto_apply ? "" : " (drift only: --auto-apply is off)",
		       (double)(r.finished_ms - r.started_ms) / 1000.0);
	else
		sk_log(SK_LOG_ERROR, "cycle %zu failed in %s: %s", c->cycles, rep.stage ? rep.stage : "?", rep.error);

	if (!sk_cli_interrupted) {
		send_metrics(c, &r);
		if (!r.ok && sk_alert_format_failure(&subject, &body, &r) == 0)
			publish(c, &subject, &body);
		if (c->summary) {
			sk_alert_summary_add(&c->acc, &r);
			if (sk_time_now() >= c->next_summary) {
				sk_buf_reset(&subject);
				sk_buf_reset(&body);
				if (sk_alert_format_summary(&subject, &body, &c->acc, sk_time_now_ms()) == 0)
					publish(c, &subject, &body);
				sk_alert_summary_reset(&c->acc);
				c->next_summary = sk_alert_next_daily(sk_time_now(), c->summary_minute);
			}
		}
	}
	sk_buf_free(&subject);
	sk_buf_free(&body);
	sk_reconcile_report_free(&rep);
	return rc;
}

static int poll_ref(void *ud, char commit[41])
{
	struct run_ctx *c = ud;
	struct sk_source_opts so;
	char *cache = NULL;
	int rc;

	sk_cli_source_opts(c->cli, &so, &cache);
	rc = sk_source_resolve(commit, &so);
	if (rc < 0)
		sk_warn("cannot check the policy repository: %s", sk_error_message());
	free(cache);
	return rc;
}

static void reload(void *ud)
{
	(void)ud;
	/* policies and credentials are read afresh every cycle; say so, the loop starts a cycle now */
	sk_log(SK_LOG_INFO, "SIGHUP: re-reading the policy repository and configuration now");
}

int cmd_run(struct sk_cli *cli)
{
	struct run_ctx c;
	struct sk_loop_opts lo = SK_LOOP_OPTS_INIT;
	struct sk_metrics_server *srv = NULL;
	struct sigaction sa;
	int64_t interval = 15 * 60 * 1000, poll = 0;
	int rc = SK_EXIT_ERROR;

	memset(&c, 0, sizeof(c));
	if (cli->argc) {
		fprintf(stderr, "snapkeep run: unexpected argument '%s'\n", cli->argv[0]);
		return SK_EXIT_USAGE;
	}
	if (cli->inventory) {
		fprintf(stderr, "snapkeep run: --inventory plans offline; run needs AWS\n");
		return SK_EXIT_USAGE;
	}
	if ((cli->interval && sk_loop_parse_duration(&interval, cli->interval, false) < 0) ||
	    (cli->git_poll && sk_loop_parse_duration(&poll, cli->git_poll, true) < 0) ||
	    (cli->summary_at && sk_alert_parse_time_of_day(&c.summary_minute, cli->summary_at) < 0)) {
		fprintf(stderr, "snapkeep run: %s\n", sk_error_message());
		return SK_EXIT_USAGE;
	}
	if (sk_log_level() < SK_LOG_INFO)
		sk_log_set_level(SK_LOG_INFO);
	c.cli = cli;
	c.namespace_ = cli->metrics_namespace ? cli->metrics_namespace : "Snapkeep";
	c.summary = cli->summary_at != NULL;
	if (c.summary) {
		sk_alert_summary_reset(&c.acc);
		c.next_summary = sk_alert_next_daily(sk_time_now(), c.summary_minute);
	}
	if (sk_metrics_new_snapkeep(&c.metrics, SK_VERSION) < 0)
		return sk_cli_fail();
	cli->on_attempt = sk_metrics_on_attempt;
	cli->on_attempt_ud = c.metrics;
	if (sk_cli_open_session(cli, &c.session) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	c.have_session = true;
	if (cli->metrics_addr) {
		if (sk_metrics_server_start(&srv, c.metrics, cli->metrics_addr, cli->healthz_failures) < 0) {
			rc = sk_cli_fail();
			goto done;
		}
		sk_log(SK_LOG_INFO, "serving /metrics and /healthz on %s (port %d)", cli->metrics_addr,
		       sk_metrics_server_port(srv));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);

	lo.cycle = cycle;
	lo.poll_ref = poll ? poll_ref : NULL;
	lo.reload = reload;
	lo.ud = &c;
	lo.interval_ms = interval;
	lo.git_poll_ms = poll;
	lo.once = cli->once;
	lo.cancel = &sk_cli_interrupted;
	lo.reload_flag = &hup;
	if (!cli->once) {
		char every[48];
		sk_loop_format_duration(every, interval);
		sk_log(SK_LOG_INFO, "reconciling every %s%s%s", every, cli->auto_apply ? " and applying" : " (drift only)",
		       poll ? ", starting early when the policy ref moves" : "");
	}
	rc = sk_loop_run(&lo);
	if (cli->once)
		rc = rc == 0 ? SK_EXIT_OK : SK_EXIT_ERROR;
	else if (rc < 0)
		rc = sk_cli_fail();
	else
		rc = SK_EXIT_OK;
	if (sk_cli_interrupted && !cli->once)
		sk_log(SK_LOG_INFO, "stopped by %s", sk_cli_interrupted == SIGTERM ? "SIGTERM" : "SIGINT");
done:
	sk_metrics_server_stop(srv);
	if (c.have_session)
		sk_session_close(&c.session);
	free_ages(&c);
	free_topics(&c);
	sk_metrics_free(c.metrics);
	return rc;
}
