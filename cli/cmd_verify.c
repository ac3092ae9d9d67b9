/*
 * cmd_verify.c - snapkeep verify: is every backup there, fresh and sound?
 *
 * A monitoring plugin as Nagios, Icinga and sanoid's --monitor-snapshots
 * are: one summary line, one line per problem, and the exit code of the
 * worst result (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).  As the plugin
 * guidelines ask, anything that keeps it from looking (bad usage, policies
 * that cannot be read, a failed observation) is UNKNOWN too: never OK.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "reconciler/engine/session.h"
#include "reconciler/engine/verify_state.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/verify.h"
#include "specs/policy.h"

/* problems first, the worst first: CRITICAL, UNKNOWN, WARNING */
static int rank(enum sk_verify_status s)
{
	return s == SK_VERIFY_CRITICAL ? 0 : s == SK_VERIFY_UNKNOWN ? 1 : s == SK_VERIFY_WARNING ? 2 : 3;
}

static void print_text(const struct sk_verify_report *r, FILE *f)
{
	int k;
	size_t i;

	fprintf(f, "SNAPKEEP VERIFY %s - %zu instance%s: %zu critical, %zu warning, %zu unknown, %zu ok\n",
		sk_verify_status_name(r->worst), r->n_instances, r->n_instances == 1 ? "" : "s",
		r->counts[SK_VERIFY_CRITICAL], r->counts[SK_VERIFY_WARNING], r->counts[SK_VERIFY_UNKNOWN],
		r->counts[SK_VERIFY_OK]);
	for (k = 0; k < 3; k++)
		for (i = 0; i < r->n; i++)
			if (rank(r->results[i].status) == k)
				fprintf(f, "%s %s: %s (policy '%s')\n", sk_verify_status_name(r->results[i].status),
					sk_verify_check_name(r->results[i].check), r->results[i].message,
					r->results[i].policy);
}

static json_t *report_json(const struct sk_verify_report *r, const struct sk_inventory *inv)
{
	json_t *root, *results = json_array();
	char at[SK_TIME_RFC3339_MAX], observed[SK_TIME_RFC3339_MAX];
	size_t i;

	sk_time_format_rfc3339(at, r->now);
	sk_time_format_rfc3339(observed, inv->observed_at);
	for (i = 0; results && i < r->n; i++) {
		const struct sk_verify_result *v = &r->results[i];

		json_array_append_new(results,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:s}", "policy", v->policy,
						"instance", v->instance, "region", v->region, "check",
						sk_verify_check_name(v->check), "status", sk_verify_status_name(v->status),
						"code", (int)v->status, "snapshot",
						v->snapshot ? json_string(v->snapshot) : json_null(), "valueSeconds",
						v->value >= 0 ? json_integer(v->value) : json_null(), "message", v->message));
	}
	root = json_pack("{s:s, s:s, s:i, s:s, s:s, s:I, s:{s:I, s:I, s:I, s:I}, s:o}", "format",
			 "snapkeep-verify/v1", "status", sk_verify_status_name(r->worst), "exitCode", (int)r->worst,
			 "checkedAt", at, "observedAt", observed, "instances", (json_int_t)r->n_instances, "counts", "ok",
			 (json_int_t)r->counts[SK_VERIFY_OK], "warning", (json_int_t)r->counts[SK_VERIFY_WARNING],
			 "critical", (json_int_t)r->counts[SK_VERIFY_CRITICAL], "unknown",
			 (json_int_t)r->counts[SK_VERIFY_UNKNOWN], "results", results);
	return root;
}

/* "SNAPKEEP VERIFY UNKNOWN - <why>" on stdout, as plugins say it, and the error on stderr */
static int unknown(const struct sk_cli *cli)
{
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:s, s:i, s:s}", "format", "snapkeep-verify/v1", "status", "UNKNOWN",
				      "exitCode", SK_VERIFY_UNKNOWN, "error", sk_error_message());
		sk_cli_print_json(j, stdout);
		json_decref(j);
	} else {
		printf("SNAPKEEP VERIFY UNKNOWN - %s\n", sk_error_message());
	}
	sk_cli_fail();
	return SK_VERIFY_UNKNOWN;
}

int cmd_verify(struct sk_cli *cli)
{
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_verify_report *report = NULL;
	struct sk_verify_opts vo = SK_VERIFY_OPTS_INIT;
	struct sk_verify_drills drills = SK_VERIFY_DRILLS_INIT;
	struct sk_session s;
	int64_t t0 = sk_time_mono_ms(), t1;
	int rc = SK_VERIFY_UNKNOWN;

	if (cli->argc) {
		sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
		return SK_VERIFY_UNKNOWN;
	}
	if (sk_cli_load_and_observe(cli, &s, &set, &inv) < 0) {
		rc = unknown(cli);
		goto done;
	}
	t1 = sk_time_mono_ms();
	if (sk_verify_drills_load(&drills, cli->state_dir, cli->state_backend) < 0) {
		sk_warn("the drill check is UNKNOWN: %s", sk_error_message());
		sk_error_clear();
	}
	sk_verify_drills_opts(&drills, &vo);
	vo.now = cli->now ? cli->now : inv->observed_at ? inv->observed_at : sk_time_now();
	vo.policy = cli->policy;
	vo.instance = cli->instance;
	vo.regions = cli->regions;
	vo.n_regions = cli->n_regions;
	if (sk_verify_run(&report, set, inv, &vo) < 0) {
		rc = unknown(cli);
		goto done;
	}
	sk_debug("%s %zu instances and %zu snapshots in %.3f s; verified %zu instances in %.3f s (%zu results)",
		 cli->inventory ? "read" : "observed", inv->n_instances, inv->n_snapshots, (double)(t1 - t0) / 1000.0,
		 report->n_instances, (double)(sk_time_mono_ms() - t1) / 1000.0, report->n);
	if (cli->json) {
		json_t *j = report_json(report, inv);

		if (sk_cli_print_json(j, stdout) < 0) {
			json_decref(j);
			rc = unknown(cli);
			goto done;
		}
		json_decref(j);
	} else {
		print_text(report, stdout);
	}
	rc = (int)report->worst;
done:
	sk_verify_report_free(report);
	sk_verify_drills_free(&drills);
	sk_inventory_free(inv);
	sk_policyset_free(set);
	sk_session_close(&s);
	return rc;
}
