/*
 * cmd_run.c - snapkeep run: the reconcile loop, with alerts and metrics
 *
 * Each cycle is one reconciliation (reconcile.c) under the state
 * directory's lock: read the policies (a remote repository is fetched),
 * observe, plan, and with --auto-apply apply; then the cycle is counted in
 * /metrics, sent to CloudWatch, and a failed cycle is published to the
 * policies' SNS topics.  The schedule (interval, jitter, backoff, git
 * polling, signals) is loop.c's.
 *
 * The daily summary (--summary-at) is added up in <state dir>/summary.json
 * rather than in memory, so that `run --once` from cron or a timer, where
 * every process runs one cycle, still sends it, and a restarted loop
 * neither loses the day's cycles nor misses the time it was down over.
 *
 * Ages of the newest snapshots are kept as the snapshots' creation times:
 * a cycle that cannot observe reports them older by the time that passed,
 * so an alarm on NewestSnapshotAgeSeconds still fires while snapkeep cannot
 * see (or make) snapshots, instead of seeing the last value forever.
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
#include "state/fileio.h"
#include "state/statedir.h"

#define SUMMARY_FILE "summary.json"

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
	char topics_commit[41]; /* the commit they were read from */
	char metrics_region[64];
	struct sk_instance_age *ages;
	int64_t *newest;    /* per age: the snapshot's creation time, to age it in later cycles */
	size_t n_ages;
	char **age_strings; /* region and instance copies the ages point to */
	/* the daily summary */
	bool summary;
	int summary_minute;
	char *summary_file;
	size_t cycles;
};

static void free_ages(struct run_ctx *c)
{
	size_t i;

	for (i = 0; i < 2 * c->n_ages; i++)
		free(c->age_strings[i]);
	free(c->age_strings);
	free(c->ages);
	free(c->newest);
	c->ages = NULL;
	c->newest = NULL;
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

/* what the policies of a commit say about alerts: their SNS topics, and a region for CloudWatch */
static void learn_policies(struct run_ctx *c, const struct sk_policyset *set)
{
	const char **topics = NULL;
	size_t nt = 0, i;

	if (sk_alert_topics(&topics, &nt, set) < 0)
		return;
	free_topics(c);
	c->topics = calloc(nt + 1, sizeof(*c->topics));
	for (i = 0; c->topics && i < nt; i++)
		if ((c->topics[c->n_topics] = strdup(topics[i])))
			c->n_topics++;
	free(topics);
	snprintf(c->topics_commit, sizeof(c->topics_commit), "%s", set->commit);
	if (set->n_policies && set->policies[0].n_regions)
		snprintf(c->metrics_region, sizeof(c->metrics_region), "%s", set->policies[0].regions[0].name);
}

/* while the plan is alive: the ages of the newest snapshots, the alert topics, a region for CloudWatch */
static void after_plan(void *ud, const struct sk_policyset *set, const struct sk_inventory *inv,
		       const struct sk_plan *plan)
{
	struct run_ctx *c = ud;
	struct sk_instance_age *ages = NULL;
	size_t n = 0, i;

	free_ages(c);
	if (sk_alert_newest_ages(&ages, &n, inv, plan, plan->now) == 0 && n) {
		c->age_strings = calloc(2 * n, sizeof(*c->age_strings));
		c->newest = calloc(n, sizeof(*c->newest));
		if (c->age_strings && c->newest) {
			for (i = 0; i < n; i++) {
				c->age_strings[2 * i] = strdup(ages[i].region);
				c->age_strings[2 * i + 1] = strdup(ages[i].instance);
				ages[i].region = c->age_strings[2 * i] ? c->age_strings[2 * i] : "";
				ages[i].instance = c->age_strings[2 * i + 1] ? c->age_strings[2 * i + 1] : "";
				c->newest[i] = plan->now - ages[i].seconds;
			}
			c->ages = ages;
			c->n_ages = n;
			ages = NULL;
		} else {
			free(c->age_strings);
			free(c->newest);
			c->age_strings = NULL;
			c->newest = NULL;
		}
	}
	free(ages);
	learn_policies(c, set);
}

/*
 * A cycle that failed before planning still alerts, even in the first
 * cycle of a process (`run --once` has no other).  When the cycle read its
 * policies (observe failed), the topics are those of its commit, read from
 * the repository it fetched.  When it did not (invalid policies, a failed
 * fetch, the lock) and no topics are known yet, they are read at the
 * watched ref as the repository has it, without fetching again after a
 * failed fetch, and taken even from an invalid set: a broken commit still
 * names where its alerts go.
 */
static void learn_topics(struct run_ctx *c, const struct sk_reconcile_report *rep)
{
	struct sk_source_opts so;
	struct sk_source *src = NULL;
	struct sk_policyset *set = NULL;
	char *cache = NULL;

	if (rep->commit[0] ? strcmp(rep->commit, c->topics_commit) != 0 : !c->topics_commit[0]) {
		sk_cli_source_opts(c->cli, &so, &cache);
		if (rep->commit[0])
			so.ref = rep->commit;
		so.no_fetch = rep->commit[0] || (rep->stage && !strcmp(rep->stage, "fetch"));
		if (sk_source_read(&src, &so) == 0 && (sk_policyset_load(&set, src) == 0 || set))
			learn_policies(c, set);
		else
			sk_debug("reading the alert topics: %s", sk_error_message());
	}
	if (!c->topics_commit[0])
		sk_warn("no alert topic is known (the policies could not be read): the failure is only logged");
	sk_policyset_free(set);
	sk_source_free(src);
	free(cache);
}

/* to every topic; how many took it */
static size_t publish(struct run_ctx *c, const struct sk_buf *subject, const struct sk_buf *body)
{
	size_t i, sent = 0;
	char id[128];

	for (i = 0; i < c->n_topics; i++) {
		if (sk_sns_publish(c->session.client, c->topics[i], sk_buf_cstr(subject), sk_buf_cstr(body), id,
				   sizeof(id), NULL) < 0) {
			sk_warn("cannot publish '%s' to %s: %s", sk_buf_cstr(subject), c->topics[i], sk_error_message());
		} else {
			sk_info("published '%s' to %s (MessageId %s)", sk_buf_cstr(subject), c->topics[i], id);
			sent++;
		}
	}
	return sent;
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

/* the summary of the cycles since the last one sent; a fresh one when there is none or it cannot be read */
static void load_summary(struct run_ctx *c, struct sk_alert_summary *s)
{
	struct sk_buf text = SK_BUF_INIT;
	json_t *j = NULL;
	int rc;

	sk_alert_summary_reset(s);
	rc = sk_file_read_all(&text, c->summary_file, 1 << 20);
	if (rc == SK_ENOTFOUND)
		goto done;
	if (rc < 0 ||
	    sk_file_parse_json(&j, sk_buf_cstr(&text), text.len, SK_ERR_STATE, "daily summary", c->summary_file) < 0 ||
	    sk_alert_summary_from_json(s, j) < 0)
		sk_warn("starting the daily summary afresh: %s (%s)", sk_error_message(), c->summary_file);
done:
	json_decref(j);
	sk_buf_free(&text);
}

static void save_summary(struct run_ctx *c, const struct sk_alert_summary *s)
{
	json_t *j = sk_alert_summary_to_json(s);
	char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

	if (!text || sk_file_write_atomic(c->summary_file, text, strlen(text), 0600) < 0)
		sk_warn("cannot save the daily summary: %s", text ? sk_error_message() : "out of memory");
	free(text);
	json_decref(j);
}

/* adds the cycle to the day's summary and, when its time has come, publishes it */
static void daily_summary(struct run_ctx *c, const struct sk_cycle_report *r)
{
	struct sk_alert_summary s;
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;
	int64_t now = sk_time_now();

	load_summary(c, &s);
	sk_alert_summary_add(&s, r);
	if (sk_alert_summary_due(&s, c->summary_minute, now)) {
		if (!c->n_topics) {
			sk_warn("--summary-at: no policy names alerts.snsTopicArn; the daily summary goes nowhere");
		} else if (sk_alert_format_summary(&subject, &body, &s, sk_time_now_ms()) < 0 ||
			   publish(c, &subject, &body) == 0) {
			/* not one topic took it: keep adding up, and try again after the next cycle */
			goto save;
		}
		sk_alert_summary_reset(&s);
		s.period_start = now;
	}
save:
	save_summary(c, &s);
	sk_buf_free(&subject);
	sk_buf_free(&body);
}

static int cycle(void *ud)
{
	struct run_ctx *c = ud;
	struct sk_reconcile_opts o = SK_RECONCILE_OPTS_INIT;
	struct sk_reconcile_report rep;
	struct sk_cycle_report r;
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;
	int64_t started = sk_time_now_ms(), now;
	size_t i;
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
	/* as of now: the ages this cycle observed, or the last ones known grown by the time since */
	now = r.finished_ms / 1000;
	for (i = 0; i < c->n_ages; i++)
		c->ages[i].seconds = now > c->newest[i] ? now - c->newest[i] : 0;
	r.ages = c->ages;
	r.n_ages = c->n_ages;
	if (!r.ok && (rep.interrupted || sk_cli_interrupted)) {
		/* not a failure: told to stop; the call in flight was finished and journaled */
		sk_log(SK_LOG_INFO, "cycle %zu stopped by %s in %s", c->cycles,
		       sk_cli_interrupted == SIGINT ? "SIGINT" : "SIGTERM", rep.stage ? rep.stage : "?");
		fflush(stdout);
		sk_reconcile_report_free(&rep);
		return rc;
	}
	sk_metrics_record_cycle(c->metrics, &r);
	if (r.ok)
		sk_log(SK_LOG_INFO, "cycle %zu ok at commit %.12s: %zu to create, %zu to change, %zu to delete%s (%.1f s)",
		       c->cycles, rep.commit, r.to_create, r.to_change, r.to_delete,
		       c->cli->auto_apply ? "" : " (drift only: --auto-apply is off)",
		       (double)(r.finished_ms - r.started_ms) / 1000.0);
	else
		sk_log(SK_LOG_ERROR, "cycle %zu failed in %s: %s", c->cycles, rep.stage ? rep.stage : "?", rep.error);

	/* the plan went to stdout: out now, not when a pipe's buffer fills (journald, kubectl logs) */
	fflush(stdout);

	if (!sk_cli_interrupted) {
		if (!r.ok)
			learn_topics(c, &rep);
		send_metrics(c, &r);
		if (!r.ok && sk_alert_format_failure(&subject, &body, &r) == 0)
			publish(c, &subject, &body);
		if (c->summary)
			daily_summary(c, &r);
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

/*
 * SIGHUP, between cycles: the policies are read afresh every cycle anyway;
 * what else there is to re-read is the AWS configuration: the config and
 * credentials files (rotated keys, a changed profile setting).  A session
 * that cannot be opened leaves the old one in use.
 */
static void reload(void *ud)
{
	struct run_ctx *c = ud;
	struct sk_session fresh;

	if (sk_cli_open_session(c->cli, &fresh) < 0) {
		sk_warn("SIGHUP: keeping the previous AWS configuration: %s", sk_error_message());
		return;
	}
	sk_session_close(&c->session);
	c->session = fresh;
	sk_info("SIGHUP: re-read the AWS configuration and credentials; the policies are read at every cycle");
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
	/* a SIGHUP from now on re-reads the configuration instead of ending the process */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	if (c.summary) {
		char *dir = NULL;
		if (sk_statedir_resolve(&dir, cli->state_dir) == 0)
			c.summary_file = sk_file_join(dir, SUMMARY_FILE);
		free(dir);
		if (!c.summary_file) {
			rc = sk_cli_fail();
			goto done;
		}
	}
	if (sk_metrics_new_snapkeep(&c.metrics, SK_VERSION) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
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
		rc = rc == 0 || sk_cli_interrupted ? SK_EXIT_OK : SK_EXIT_ERROR;
	else if (rc < 0)
		rc = sk_cli_fail();
	else
		rc = SK_EXIT_OK;
	if (sk_cli_interrupted)
		sk_log(SK_LOG_INFO, "stopped by %s", sk_cli_interrupted == SIGTERM ? "SIGTERM" : "SIGINT");
done:
	sk_metrics_server_stop(srv);
	if (c.have_session)
		sk_session_close(&c.session);
	free_ages(&c);
	free_topics(&c);
	free(c.summary_file);
	sk_metrics_free(c.metrics);
	return rc;
}
