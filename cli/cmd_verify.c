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
#include "reconciler/engine/accounts.h"
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

/*
 * Over several accounts the summary counts them ("in 2 accounts, 1 not
 * observed"), a problem names its account after its policy, and each
 * account that could not be observed is an UNKNOWN line of its own.
 */
static void print_text(const struct sk_verify_report *r, bool accounts, FILE *f)
{
	int k;
	size_t i;

	fprintf(f, "SNAPKEEP VERIFY %s - %zu instance%s", sk_verify_status_name(r->worst), r->n_instances,
		r->n_instances == 1 ? "" : "s");
	if (accounts)
		fprintf(f, " in %zu account%s", r->n_accounts - r->n_unobserved,
			r->n_accounts - r->n_unobserved == 1 ? "" : "s");
	if (accounts && r->n_unobserved)
		fprintf(f, ", %zu not observed", r->n_unobserved);
	fprintf(f, ": %zu critical, %zu warning, %zu unknown, %zu ok\n", r->counts[SK_VERIFY_CRITICAL],
		r->counts[SK_VERIFY_WARNING], r->counts[SK_VERIFY_UNKNOWN], r->counts[SK_VERIFY_OK]);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < r->n; i++)
			if (rank(r->results[i].status) == k)
				fprintf(f, "%s %s: %s (policy '%s'%s%s)\n", sk_verify_status_name(r->results[i].status),
					sk_verify_check_name(r->results[i].check), r->results[i].message,
					r->results[i].policy, r->results[i].account ? ", account " : "",
					r->results[i].account ? r->results[i].account : "");
		for (i = 0; k == rank(SK_VERIFY_UNKNOWN) && i < r->n_accounts; i++)
			if (r->accounts[i].error)
				fprintf(f, "UNKNOWN account: account %s was not observed, nothing in it verified: %s\n",
					r->accounts[i].id, r->accounts[i].error);
	}
}

/* "accounts": {"observed": [...], "notObserved": [{"account", "error"}]}, as plan's JSON says them */
static json_t *accounts_json(const struct sk_verify_report *r)
{
	json_t *seen = json_array(), *unseen = json_array();
	size_t i;

	for (i = 0; seen && unseen && i < r->n_accounts; i++)
		json_array_append_new(r->accounts[i].error ? unseen : seen,
				      r->accounts[i].error ? json_pack("{s:s, s:s}", "account", r->accounts[i].id, "error",
								       r->accounts[i].error)
							   : json_string(r->accounts[i].id));
	return json_pack("{s:o, s:o}", "observed", seen, "notObserved", unseen);
}

/* "account" on each result and the accounts only over several accounts: one account's JSON is as it was */
static json_t *report_json(const struct sk_verify_report *r, int64_t observed_at, bool accounts)
{
	json_t *root, *results = json_array();
	char at[SK_TIME_RFC3339_MAX], observed[SK_TIME_RFC3339_MAX];
	size_t i;

	sk_time_format_rfc3339(at, r->now);
	sk_time_format_rfc3339(observed, observed_at);
	for (i = 0; results && i < r->n; i++) {
		const struct sk_verify_result *v = &r->results[i];
		json_t *one = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:s}", "policy", v->policy, "instance",
					v->instance, "region", v->region, "check", sk_verify_check_name(v->check),
					"status", sk_verify_status_name(v->status), "code", (int)v->status, "snapshot",
					v->snapshot ? json_string(v->snapshot) : json_null(), "valueSeconds",
					v->value >= 0 ? json_integer(v->value) : json_null(), "message", v->message);

		if (one && v->account)
			json_object_set_new(one, "account", json_string(v->account));
		json_array_append_new(results, one);
	}
	root = json_pack("{s:s, s:s, s:i, s:s, s:s, s:I, s:{s:I, s:I, s:I, s:I}, s:o}", "format",
			 "snapkeep-verify/v1", "status", sk_verify_status_name(r->worst), "exitCode", (int)r->worst,
			 "checkedAt", at, "observedAt", observed, "instances", (json_int_t)r->n_instances, "counts", "ok",
			 (json_int_t)r->counts[SK_VERIFY_OK], "warning", (json_int_t)r->counts[SK_VERIFY_WARNING],
			 "critical", (json_int_t)r->counts[SK_VERIFY_CRITICAL], "unknown",
			 (json_int_t)r->counts[SK_VERIFY_UNKNOWN], "results", results);
	if (root && accounts)
		json_object_set_new(root, "accounts", accounts_json(r));
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

/* the caller's own account: one inventory, the drills as the state has them */
static int verify_one(struct sk_cli *cli, struct sk_session *s, const struct sk_policyset *set,
		      struct sk_verify_opts *vo, struct sk_verify_report **out, int64_t *observed_at)
{
	struct sk_inventory *inv = NULL;
	int64_t t0 = sk_time_mono_ms(), t1;
	int rc = -1;

	if (cli->n_accounts) {
		sk_error_set(SK_ERR_INVALID, "--account '%s': Settings lists no accounts (verify looks at the caller's own "
					     "account)", cli->accounts[0]);
		return -1;
	}
	if ((!cli->inventory && sk_cli_open_session(cli, s) < 0) || sk_cli_observe(cli, s, set, &inv, NULL) < 0)
		goto done;
	t1 = sk_time_mono_ms();
	vo->now = cli->now ? cli->now : inv->observed_at ? inv->observed_at : sk_time_now();
	*observed_at = inv->observed_at;
	if (sk_verify_run(out, set, inv, vo) < 0)
		goto done;
	sk_debug("%s %zu instances and %zu snapshots in %.3f s; verified %zu instances in %.3f s (%zu results)",
		 cli->inventory ? "read" : "observed", inv->n_instances, inv->n_snapshots, (double)(t1 - t0) / 1000.0,
		 (*out)->n_instances, (double)(sk_time_mono_ms() - t1) / 1000.0, (*out)->n);
	rc = 0;
done:
	sk_inventory_free(inv);
	return rc;
}

/*
 * Several accounts (Settings' accounts): each observed with its role and
 * verified on its own, with its own policies and drills; one report of
 * them all.  An account that could not be observed is UNKNOWN, never OK;
 * --policy and --instance need only match in some account.
 */
static int verify_accounts(struct sk_cli *cli, struct sk_session *s, const struct sk_policyset *set,
			   struct sk_verify_opts *base, struct sk_verify_report **out, int64_t *observed_at)
{
	struct sk_accounts accts;
	bool matched = false;
	int rc = -1;

	memset(&accts, 0, sizeof(accts));
	if (cli->inventory) {
		sk_error_set(SK_ERR_INVALID, "--inventory: an inventory file is one account's; the policies list several "
					     "(Settings' accounts)");
		return -1;
	}
	base->now = cli->now;
	if (sk_cli_observe_accounts(cli, s, &accts, set) < 0 ||
	    sk_verify_accounts(out, &accts, base, &matched, observed_at) < 0)
		goto done;
	if (!*observed_at)
		*observed_at = (*out)->now;
	if (!matched && (base->policy || base->instance) && sk_accounts_unobserved(&accts) < accts.n) {
		if (base->instance)
			sk_error_set(SK_ERR_INVALID, "no policy%s%s%s selects instance '%s' in any account",
				     base->policy ? " ('" : "", base->policy ? base->policy : "", base->policy ? "')" : "",
				     base->instance);
		else
			sk_error_set(SK_ERR_INVALID, "no policy named '%s' covers any account", base->policy);
		sk_verify_report_free(*out);
		*out = NULL;
		goto done;
	}
	rc = 0;
done:
	sk_accounts_close(&accts);
	return rc;
}

int cmd_verify(struct sk_cli *cli)
{
	struct sk_policyset *set = NULL;
	struct sk_verify_report *report = NULL;
	struct sk_verify_opts vo = SK_VERIFY_OPTS_INIT;
	struct sk_verify_drills drills = SK_VERIFY_DRILLS_INIT;
	struct sk_session s;
	int64_t observed_at = 0;
	bool accounts;
	int rc = SK_VERIFY_UNKNOWN;

	memset(&s, 0, sizeof(s));
	if (cli->argc) {
		sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
		return SK_VERIFY_UNKNOWN;
	}
	if (sk_cli_load_policies(cli, &set, false) < 0) {
		rc = unknown(cli);
		goto done;
	}
	accounts = set->settings.n_accounts > 0;
	if (sk_verify_drills_load(&drills, cli->state_dir, cli->state_backend) < 0) {
		sk_warn("the drill check is UNKNOWN: %s", sk_error_message());
		sk_error_clear();
	}
	sk_verify_drills_opts(&drills, &vo);
	vo.policy = cli->policy;
	vo.instance = cli->instance;
	vo.regions = cli->regions;
	vo.n_regions = cli->n_regions;
	if ((accounts ? verify_accounts(cli, &s, set, &vo, &report, &observed_at)
		      : verify_one(cli, &s, set, &vo, &report, &observed_at)) < 0) {
		rc = unknown(cli);
		goto done;
	}
	if (cli->json) {
		json_t *j = report_json(report, observed_at, accounts);

		if (sk_cli_print_json(j, stdout) < 0) {
			json_decref(j);
			rc = unknown(cli);
			goto done;
		}
		json_decref(j);
	} else {
		print_text(report, accounts, stdout);
	}
	rc = (int)report->worst;
done:
	sk_verify_report_free(report);
	sk_verify_drills_free(&drills);
	sk_policyset_free(set);
	sk_session_close(&s);
	return rc;
}
