/*
 * cmd_restore.c - snapkeep restore: a point-in-time or snapshot restore into
 * a new instance, dry by default (reconciler/engine/restore.h)
 *
 * Prints the restore window and the call (action, region, parameters);
 * with --apply makes it, with --wait waits for the new instance, drawing
 * progress on stderr: one line rewritten on a terminal, else a line every
 * 30 s.
 *
 * With Settings' accounts (read from --repo/SNAPKEEP_REPO, or from the
 * current directory when --account is given) a restore needs --account ID,
 * the one target account it acts in, and is made with that account's role
 * assumed from the base credentials, as plan and apply do.
 */
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "aws/credentials.h"
#include "cli/cli.h"
#include "specs/policy.h"
#include "reconciler/engine/restore.h"
#include "reconciler/engine/session.h"
#include "reconciler/service/loop.h"

/* a line of progress every this many seconds when stderr is not a terminal */
#define PROGRESS_EVERY_S 30

struct printer {
	struct sk_cli *cli;
	const struct sk_restore_request *req;
	bool tty;             /* progress rewrites one line */
	bool drew;            /* a progress line is on the terminal, not ended */
	int64_t last_line_ms; /* -1: none printed yet */
	json_t *json;         /* --output json: what is printed at the end */
};

static const char *via_text(const struct sk_restore_plan *p)
{
	switch (p->via) {
	case SK_RESTORE_VIA_INSTANCE:
		return "the instance's automated backups";
	case SK_RESTORE_VIA_AUTOMATED_BACKUP:
		return "an automated backup";
	case SK_RESTORE_VIA_SNAPSHOT:
		return "a snapshot";
	}
	return "?";
}

static json_t *plan_json(const struct sk_restore_plan *p, bool dry)
{
	json_t *j = json_object(), *params = json_object(), *tags = json_object(), *src = json_object();
	char t[SK_TIME_RFC3339_MAX];
	size_t i;

	if (!j || !params || !tags || !src) {
		json_decref(j);
		json_decref(params);
		json_decref(tags);
		json_decref(src);
		return NULL;
	}
	json_object_set_new(j, "dryRun", json_boolean(dry));
	json_object_set_new(j, "action", json_string(p->action));
	json_object_set_new(j, "region", json_string(p->region));
	json_object_set_new(j, "instance", json_string(p->instance));
	json_object_set_new(j, "target", json_string(p->target));
	for (i = 0; i < p->n_params; i++)
		if (strcmp(p->params[i].name, "Tags"))
			json_object_set_new(params, p->params[i].name, json_string(p->params[i].value));
	for (i = 0; i < p->n_tags; i++)
		json_object_set_new(tags, p->tags[i].key, json_string(p->tags[i].value));
	json_object_set_new(params, "Tags", tags);
	json_object_set_new(j, "parameters", params);
	json_object_set_new(src, "via", json_string(p->via == SK_RESTORE_VIA_INSTANCE ? "instance"
						   : p->via == SK_RESTORE_VIA_AUTOMATED_BACKUP ? "automated-backup"
											    : "snapshot"));
	json_object_set_new(src, "arn", json_string(p->source_arn));
	json_object_set_new(src, "region", json_string(p->source_region));
	json_object_set_new(j, "source", src);
	if (p->source != SK_RESTORE_FROM_SNAPSHOT || p->latest) {
		json_t *w = json_object();
		if (w) {
			if (p->earliest) {
				sk_time_format_rfc3339(t, p->earliest);
				json_object_set_new(w, "earliest", json_string(t));
			}
			if (p->latest) {
				sk_time_format_rfc3339(t, p->latest);
				json_object_set_new(w, "latest", json_string(t));
			}
			json_object_set_new(w, "retentionDays", json_integer(p->retention_days));
			json_object_set_new(j, "window", w);
		}
	}
	if (p->source == SK_RESTORE_FROM_SNAPSHOT && p->snapshot_created) {
		sk_time_format_rfc3339(t, p->snapshot_created);
		json_object_set_new(src, "snapshotCreated", json_string(t));
	}
	return j;
}

static void print_plan(const struct sk_restore_plan *p, bool dry)
{
	char window[128], t[SK_TIME_RFC3339_MAX];
	size_t i;

	printf("Restore %s into new instance '%s' in %s%s\n\n", p->summary, p->target, p->region,
	       dry ? " (dry run)" : "");
	printf("  source:          %s: %s\n", via_text(p), p->source_arn);
	if (p->source != SK_RESTORE_FROM_SNAPSHOT || p->latest) {
		sk_restore_window_text(window, sizeof(window), p);
		printf("  restore window:  %s (automated backups kept %d day%s%s%s)\n", window, p->retention_days,
		       p->retention_days == 1 ? "" : "s", p->via == SK_RESTORE_VIA_AUTOMATED_BACKUP ? ", " : "",
		       p->via == SK_RESTORE_VIA_AUTOMATED_BACKUP ? p->backup_status : "");
	}
	if (p->source == SK_RESTORE_FROM_SNAPSHOT) {
		sk_time_format_rfc3339(t, p->snapshot_created);
		printf("  snapshot:        %s, %s, taken %s\n", p->snapshot_id, p->snapshot_status,
		       p->snapshot_created ? t : "at an unknown time");
	}
	printf("  %s %s in %s\n", dry ? "would call:     " : "calling:        ", p->action, p->region);
	for (i = 0; i < p->n_params; i++)
		printf("      %-36s %s\n", p->params[i].name, p->params[i].value);
	fflush(stdout);
}

static void on_plan(void *ud, const struct sk_restore_plan *p)
{
	struct printer *pr = ud;
	json_t *j;

	if (pr->json) {
		if ((j = plan_json(p, !pr->cli->apply)) != NULL)
			json_object_update(pr->json, j);
		json_decref(j);
	} else
		print_plan(p, !pr->cli->apply);
}

static void on_requested(void *ud, const struct sk_restore_plan *p, const char *request_id)
{
	struct printer *pr = ud;

	if (pr->json) {
		json_object_set_new(pr->json, "requested", json_true());
		json_object_set_new(pr->json, "requestId", json_string(request_id));
		return;
	}
	printf("\nRestore requested: %s in %s (RequestId %s); '%s' is being created.\n", p->action, p->region,
	       request_id && *request_id ? request_id : "-", p->target);
	fflush(stdout);
}

/* a line of progress on stderr: a record of its own with JSON logs */
static void progress_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sk_log_vprint(stderr, SK_LOG_INFO, "", fmt, ap);
	va_end(ap);
}

static void end_progress_line(struct printer *pr)
{
	if (pr->drew) {
		fputc('\n', stderr);
		pr->drew = false;
	}
}

static void on_poll(void *ud, const struct sk_instance_poll *p)
{
	struct printer *pr = ud;
	long long s = (long long)(p->elapsed_ms / 1000);
	const char *status = p->status ? p->status : "not listed yet";

	if (pr->tty) {
		fprintf(stderr, "\rwaiting for '%s' in %s: %-24s (%llds) ", p->instance_id, p->region, status, s);
		fflush(stderr);
		pr->drew = true;
		if (p->done)
			end_progress_line(pr);
	} else if (pr->last_line_ms < 0 || p->elapsed_ms - pr->last_line_ms >= PROGRESS_EVERY_S * 1000 || p->done) {
		progress_line("waiting for '%s' in %s: %s (%llds)", p->instance_id, p->region, status, s);
		pr->last_line_ms = p->elapsed_ms;
	}
}

/* "alice@host", for snapkeep:restored-by */
static void who(char *out, size_t len)
{
	const char *user = getenv("USER");
	struct passwd *pw;
	char host[256] = "";

	if (!user || !*user) {
		pw = getpwuid(geteuid());
		user = pw && pw->pw_name ? pw->pw_name : "unknown";
	}
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "unknown");
	snprintf(out, len, "%s@%s", user, host);
}

/* the request from the options: 0, or SK_EXIT_USAGE after saying why */
static int read_request(struct sk_cli *cli, struct sk_restore_request *r, int *timeout_s)
{
	int n = (cli->to_time != NULL) + cli->latest + (cli->from_snapshot != NULL);
	int64_t ms;

	if (cli->argc > 0)
		return sk_cli_usage(cli, "unexpected argument '%s'. See 'snapkeep restore --help'.", cli->argv[0]);
	if (!cli->instance || !*cli->instance)
		return sk_cli_usage(cli, "--instance is required: the instance whose backups are restored");
	if (n != 1)
		return sk_cli_usage(cli, "give one of --to-time T, --latest or --from-snapshot ID");
	if (!cli->target || !*cli->target)
		return sk_cli_usage(cli, "--target is required: the new instance to restore into");
	if (cli->n_regions > 1)
		return sk_cli_usage(cli, "--region names the one region to restore in; got %zu", cli->n_regions);
	if (cli->wait && !cli->apply)
		return sk_cli_usage(cli, "--wait needs --apply: a dry run makes nothing to wait for");
	if (cli->timeout && !cli->wait)
		return sk_cli_usage(cli, "--timeout is how long --wait waits; give --wait too");
	if (cli->timeout) {
		if (sk_loop_parse_duration(&ms, cli->timeout, false) < 0)
			return sk_cli_usage(cli, "--timeout: %s", sk_error_message());
		if (ms < 1000 || ms > 48LL * 3600 * 1000)
			return sk_cli_usage(cli, "--timeout must be 1s to 48h, got '%s'", cli->timeout);
		*timeout_s = (int)(ms / 1000);
	}
	r->instance = cli->instance;
	r->target = cli->target;
	r->instance_class = cli->instance_class;
	if (cli->to_time) {
		r->source = SK_RESTORE_TO_TIME;
		if (sk_time_parse_rfc3339(&r->restore_time, cli->to_time) < 0)
			return sk_cli_usage(cli, "--to-time: %s", sk_error_message());
	} else if (cli->latest) {
		r->source = SK_RESTORE_LATEST;
	} else {
		r->source = SK_RESTORE_FROM_SNAPSHOT;
		r->snapshot = cli->from_snapshot;
	}
	return 0;
}

/*
 * The client of the account to restore in: the session's own when Settings
 * (consulted with --repo, SNAPKEEP_REPO or --account) lists no accounts, else
 * that of --account's role (*client and *credentials are then the caller's
 * to free).  0, -1 after sk_error_set(), or SK_EXIT_USAGE after saying why.
 */
static int account_client(struct sk_cli *cli, struct sk_session *s, struct sk_aws_client **client,
			  struct sk_credentials_provider **credentials, const char **account)
{
	struct sk_policyset *set = NULL;
	const struct sk_settings_account *t;
	int rc = -1;

	*client = s->client;
	*credentials = NULL;
	*account = NULL;
	if (!cli->repo && !cli->n_accounts)
		return 0;
	if (sk_cli_load_policies(cli, &set, false) < 0)
		return -1;
	if (!set->settings.n_accounts) {
		rc = cli->n_accounts ? sk_cli_usage(cli, "--account picks one of Settings' accounts; Settings lists none")
				     : 0;
		goto done;
	}
	if (cli->n_accounts != 1) {
		rc = sk_cli_usage(cli, cli->n_accounts ? "--account names the one account to restore in; got %zu"
						       : "restore with Settings' accounts needs --account ID: the one "
							 "account to restore in (Settings lists %zu)",
				  cli->n_accounts ? cli->n_accounts : set->settings.n_accounts);
		goto done;
	}
	if (!(t = sk_settings_account(&set->settings, cli->accounts[0]))) {
		sk_error_set(SK_ERR_INVALID, "account '%s' is not one of Settings' accounts", cli->accounts[0]);
		goto done;
	}
	if (sk_session_account_client(client, credentials, s, t->role_arn, t->external_id) < 0) {
		sk_error_prefix("account %s", t->id);
		*client = s->client;
		goto done;
	}
	*account = cli->accounts[0];
	rc = 0;
done:
	sk_policyset_free(set);
	return rc;
}

int cmd_restore(struct sk_cli *cli)
{
	struct sk_restore_request r = SK_RESTORE_REQUEST_INIT;
	struct sk_restore_opts o = SK_RESTORE_OPTS_INIT;
	struct sk_restore_report rep;
	struct sk_credentials_provider *acct_creds = NULL;
	struct sk_aws_client *client = NULL;
	const char *account = NULL;
	struct sk_session s;
	struct printer pr;
	char by[320];
	int timeout_s = 0, rc, code;

	memset(&s, 0, sizeof(s));
	memset(&pr, 0, sizeof(pr));
	if ((code = read_request(cli, &r, &timeout_s)) != 0)
		return code;
	if (sk_cli_open_session(cli, &s) < 0) {
		code = sk_cli_fail();
		goto done;
	}
	if ((code = account_client(cli, &s, &client, &acct_creds, &account)) != 0) {
		if (code < 0)
			code = sk_cli_fail();
		goto done;
	}
	if (account)
		sk_log(SK_LOG_DEBUG, "restore: in account %s, with its role", account);
	r.region = cli->n_regions ? cli->regions[0] : s.config->region;
	if (!r.region) {
		code = sk_cli_usage(cli, "no region: give --region, or set AWS_REGION or the profile's region");
		goto done;
	}
	who(by, sizeof(by));
	r.requested_by = by;
	r.now = sk_cli_now(cli);
	pr.cli = cli;
	pr.req = &r;
	pr.tty = isatty(STDERR_FILENO) && !sk_log_is_json();
	pr.last_line_ms = -1;
	if (cli->json && !(pr.json = json_object())) {
		sk_error_set_oom();
		code = sk_cli_fail();
		goto done;
	}
	o.client = client;
	o.account = account;
	o.state_dir = cli->state_dir;
	o.state_backend = cli->state_backend;
	o.lock_timeout = cli->lock_timeout;
	o.apply = cli->apply;
	o.wait = cli->wait;
	o.wait_timeout = timeout_s;
	o.cancel = &sk_cli_interrupted;
	o.on_plan = on_plan;
	o.on_requested = on_requested;
	o.on_poll = on_poll;
	o.ud = &pr;
	rc = sk_restore(&rep, &r, &o);
	end_progress_line(&pr);
	if (pr.json) {
		json_object_set_new(pr.json, "refused", json_boolean(rep.refused));
		if (rep.waited)
			json_object_set_new(pr.json, "wait", json_pack("{s:s, s:s, s:I}", "end",
					    rep.wait.end == SK_INSTANCE_WAIT_REACHED ? "available"
					    : rep.wait.end == SK_INSTANCE_WAIT_TIMEOUT ? "timeout"
					    : rep.wait.end == SK_INSTANCE_WAIT_CANCELLED ? "interrupted" : "failed",
					    "status", rep.wait.status, "seconds", (json_int_t)(rep.wait.elapsed_ms / 1000)));
		if (rc < 0)
			json_object_set_new(pr.json, "error", json_string(sk_error_message()));
		if (rep.run_id[0])
			json_object_set_new(pr.json, "runId", json_string(rep.run_id));
		sk_cli_print_json(pr.json, stdout);
	}
	if (rc == SK_EINTERRUPTED || (rc < 0 && rep.signal)) {
		sk_cli_error("%s%s", sk_error_message(),
			     rep.requested ? " (the restore goes on in AWS; `snapkeep history` has its call)" : "");
		code = rep.signal == SIGTERM ? SK_EXIT_SIGTERM : SK_EXIT_SIGINT;
	} else if (rc < 0) {
		code = sk_cli_fail();
	} else {
		code = SK_EXIT_OK;
		if (!cli->json) {
			if (!cli->apply)
				printf("\nDry run: no call was made. Add --apply to restore.\n");
			else if (rep.waited)
				printf("'%s' is available in %s after %lld s.\n", r.target, r.region,
				       (long long)(rep.wait.elapsed_ms / 1000));
		}
	}
done:
	json_decref(pr.json);
	if (client != s.client)
		sk_aws_client_free(client);
	sk_session_close(&s);
	return code;
}
