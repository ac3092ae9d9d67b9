/*
 * cmd_common.c - what several commands do the same way: read the policies
 * from git, open an AWS session, observe (or read an inventory file), plan,
 * print
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "reconciler/cli.h"
#include "reconciler/observe.h"
#include "reconciler/plan.h"
#include "reconciler/session.h"
#include "specs/policy.h"
#include "specs/source.h"
#include "state/statedir.h"

int64_t sk_cli_now(const struct sk_cli *cli)
{
	return cli->now ? cli->now : sk_time_now();
}

void sk_cli_print_diags(const struct sk_policyset *set, FILE *f)
{
	struct sk_buf line = SK_BUF_INIT;
	size_t i;

	for (i = 0; set && i < set->n_diags; i++) {
		sk_buf_reset(&line);
		sk_policy_diag_format(&line, &set->diags[i]);
		/* with JSON logs (run --log-format json) every line on stderr is a JSON object */
		if (f == stderr && sk_log_is_json())
			sk_log(SK_LOG_ERROR, "%s", sk_buf_cstr(&line));
		else
			fprintf(f, "%s\n", sk_buf_cstr(&line));
	}
	sk_buf_free(&line);
}

int sk_cli_source_opts(struct sk_cli *cli, struct sk_source_opts *o, char **cache_dir)
{
	struct sk_source_opts init = SK_SOURCE_OPTS_INIT;
	char *dir = NULL;

	*o = init;
	*cache_dir = NULL;
	o->repo = cli->repo ? cli->repo : ".";
	o->ref = cli->ref;
	o->path = cli->path;
	/* remote repositories are mirrored under the state directory */
	if (sk_statedir_resolve(&dir, cli->state_dir) == 0) {
		struct sk_buf b = SK_BUF_INIT;
		if (sk_buf_printf(&b, "%s/repos", dir) == 0)
			*cache_dir = sk_buf_detach(&b);
		sk_buf_free(&b);
		o->cache_dir = *cache_dir;
	}
	sk_error_clear();
	free(dir);
	return 0;
}

int sk_cli_load_policies(struct sk_cli *cli, struct sk_policyset **out, bool quiet)
{
	struct sk_source_opts so;
	struct sk_source *src = NULL;
	char *cache = NULL;
	int rc = -1;

	*out = NULL;
	sk_cli_source_opts(cli, &so, &cache);
	if (sk_source_read(&src, &so) < 0)
		goto done;
	rc = sk_policyset_load(out, src);
	if (rc < 0 && !quiet) {
		/* every problem, one per line, then the summary the caller prints; nobody needs the set after that */
		sk_cli_print_diags(*out, stderr);
		sk_policyset_free(*out);
		*out = NULL;
	}
done:
	sk_source_free(src);
	free(cache);
	return rc;
}

int sk_cli_open_session(struct sk_cli *cli, struct sk_session *s)
{
	struct sk_session_opts so = SK_SESSION_OPTS_INIT;

	so.profile = cli->profile;
	so.region = cli->n_regions ? cli->regions[0] : NULL;
	so.endpoint = cli->endpoint;
	so.connect_timeout_ms = cli->connect_timeout_ms;
	so.call_timeout_ms = cli->call_timeout_ms;
	so.cancel = &sk_cli_interrupted;
	so.on_attempt = cli->on_attempt;
	so.on_attempt_ud = cli->on_attempt_ud;
	return sk_session_open(s, &so);
}

int sk_cli_observe(struct sk_cli *cli, struct sk_session *s, const struct sk_policyset *set,
		   struct sk_inventory **out, struct sk_observe_stats *stats)
{
	struct sk_observe_opts oo = SK_OBSERVE_OPTS_INIT;
	const char **regions = NULL, **backups = NULL;
	size_t nr = 0, nb = 0;
	int rc;

	*out = NULL;
	if (cli->inventory) {
		rc = sk_inventory_read_json(out, cli->inventory);
		if (rc < 0)
			sk_error_prefix("--inventory");
		return rc;
	}
	if (sk_plan_regions(set, cli->regions, cli->n_regions, &regions, &nr, &backups, &nb) < 0)
		return -1;
	if (!nr) {
		free(regions);
		free(backups);
		return sk_error_set(SK_ERR_CONFIG, "no policy names a region to observe%s",
				    cli->n_regions ? " among the --region options" : "");
	}
	oo.regions = regions;
	oo.n_regions = nr;
	oo.backup_regions = backups;
	oo.n_backup_regions = nb;
	oo.now = sk_cli_now(cli);
	if (isatty(STDERR_FILENO) && !cli->json)
		fprintf(stderr, "Observing %zu region%s...\n", nr, nr == 1 ? "" : "s");
	rc = sk_observe(out, s->client, &oo, stats);
	free(regions);
	free(backups);
	return rc;
}

int sk_cli_load_and_observe(struct sk_cli *cli, struct sk_session *s, struct sk_policyset **set,
			    struct sk_inventory **inv)
{
	memset(s, 0, sizeof(*s));
	*inv = NULL;
	if (sk_cli_load_policies(cli, set, false) < 0)
		return -1;
	if (!cli->inventory && sk_cli_open_session(cli, s) < 0)
		return -1;
	return sk_cli_observe(cli, s, *set, inv, NULL);
}

int sk_cli_compute_plan(struct sk_cli *cli, const struct sk_policyset *set, const struct sk_inventory *inv,
			bool basis, struct sk_plan **out)
{
	struct sk_plan_opts po = SK_PLAN_OPTS_INIT;

	po.now = sk_cli_now(cli);
	po.regions = cli->regions;
	po.n_regions = cli->n_regions;
	po.allow_mass_delete = cli->allow_mass_delete;
	po.basis = basis;
	return sk_plan_compute(out, set, inv, &po);
}

int sk_cli_print_json(json_t *j, FILE *f)
{
	char *text;

	if (!j)
		return sk_error_set_oom();
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return sk_error_set_oom();
	fprintf(f, "%s\n", text);
	free(text);
	return 0;
}

int sk_cli_print_plan(struct sk_cli *cli, const struct sk_plan *p, FILE *f)
{
	struct sk_render_opts ro;

	if (cli->json)
		return sk_plan_write_json(p, f, true);
	memset(&ro, 0, sizeof(ro));
	ro.color = sk_cli_use_color(cli, f);
	ro.verbose = cli->verbose;
	sk_plan_render_text(p, f, &ro);
	return 0;
}
