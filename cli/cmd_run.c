/*
 * cmd_run.c - snapkeep run: the reconcile loop (reconciler/service/service.h)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/log.h"
#include "reconciler/service/alerts.h"
#include "reconciler/service/loop.h"
#include "reconciler/service/metrics_http.h"
#include "reconciler/service/service.h"
#include "specs/cron.h"

static volatile sig_atomic_t hup;

static void on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

int cmd_run(struct sk_cli *cli)
{
	struct sk_service_opts so = SK_SERVICE_OPTS_INIT;
	struct sk_service *svc = NULL;
	struct sk_cli_printer pr;
	struct sigaction sa;
	int rc = SK_EXIT_ERROR;

	if (cli->argc)
		return sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
	if ((cli->interval && sk_loop_parse_duration(&so.interval_ms, cli->interval, false) < 0) ||
	    (cli->git_poll && sk_loop_parse_duration(&so.git_poll_ms, cli->git_poll, true) < 0) ||
	    (cli->summary_at && sk_alert_parse_time_of_day(&so.summary_minute, cli->summary_at) < 0) ||
	    (cli->alert_repeat && sk_loop_parse_duration(&so.alert_repeat_ms, cli->alert_repeat, false) < 0))
		return sk_cli_usage(cli, "%s", sk_error_message());
	if (cli->report_at && sk_cron_parse(&so.report_at, cli->report_at, NULL) < 0)
		return sk_cli_usage(cli, "--report-at: %s", sk_error_message());
	so.report = cli->report_at != NULL;
	/* a typo in the address is bad usage, found before anything starts; a busy port is found when binding */
	if (cli->metrics_addr) {
		char *host = NULL;
		int port, e = sk_metrics_parse_addr(cli->metrics_addr, &host, &port);
		free(host);
		if (e < 0)
			return sk_cli_usage(cli, "%s", sk_error_message());
	}
	if (sk_log_level() < SK_LOG_INFO)
		sk_log_set_level(SK_LOG_INFO);
	/* the plans go to stdout unless every line must be JSON; an empty plan says nothing */
	sk_cli_reconcile_opts(cli, &so.cycle, &pr, NULL, cli->auto_apply, sk_log_is_json() ? NULL : stdout);
	pr.quiet_no_changes = true;
	sk_cli_session_opts(cli, &so.session);
	so.version = SK_VERSION;
	so.metrics_addr = cli->metrics_addr;
	so.healthz_failures = cli->healthz_failures;
	so.metrics_namespace = cli->metrics_namespace;
	so.summary = cli->summary_at != NULL;
	so.once = cli->once;
	so.cancel = &sk_cli_interrupted;
	so.reload_flag = &hup;
	/* a SIGHUP from now on re-reads the configuration instead of ending the process */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	if (sk_service_new(&svc, &so) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	rc = sk_service_run(svc);
	if (cli->once)
		rc = rc == 0 ? SK_EXIT_OK : SK_EXIT_ERROR;
	else if (rc < 0)
		rc = sk_cli_fail();
	else
		rc = SK_EXIT_OK;
done:
	sk_service_free(svc);
	sk_cli_printer_free(&pr);
	return rc;
}
