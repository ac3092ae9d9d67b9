/*
 * cmd_apply.c - snapkeep apply [PLANFILE]: make live backups match the policy
 */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "cli/cli.h"
#include "reconciler/engine/load.h"
#include "reconciler/engine/reconcile.h"
#include "reconciler/engine/saved.h"
#include "reconciler/engine/session.h"
#include "state/planfile.h"

/* trailing '/' aside, as endpoints are kept */
static bool same_url(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 0 && a[la - 1] == '/')
		la--;
	while (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && !strncmp(a, b, la);
}

/* --region or --account from the origin's list (what), unless the command line gives some */
static int take_list(const char **dst, size_t *n_dst, char *const *src, size_t n_src, const char *what,
		     const char *file)
{
	size_t i;

	if (*n_dst)
		return 0;
	if (n_src > SK_CLI_MAX_REGIONS)
		return sk_error_set(SK_ERR_INVALID, "saved plan '%s' names %zu %s, more than %d", file, n_src, what,
				    SK_CLI_MAX_REGIONS);
	for (i = 0; i < n_src; i++)
		dst[(*n_dst)++] = src[i];
	return 0;
}

/*
 * A saved plan says how it was made: what the command line leaves out is
 * taken from it.  --endpoint and --profile are compared here, before they
 * open a session; everything else by sk_saved_check() once all is known.
 */
static int take_origin(struct sk_cli *cli, const struct sk_planfile_origin *o, const char *file)
{
	if (!cli->repo)
		cli->repo = o->repository;
	if (!cli->path)
		cli->path = o->path;
	if (!cli->ref)
		cli->ref = o->ref;
	/* over several accounts: the accounts it covers, each reached again through its role */
	if (take_list(cli->regions, &cli->n_regions, o->regions, o->n_regions, "regions", file) < 0 ||
	    take_list(cli->accounts, &cli->n_accounts, o->accounts, o->n_accounts, "accounts", file) < 0)
		return -1;
	if (!cli->allow_mass_delete)
		cli->allow_mass_delete = o->allow_mass_delete;
	/* a plan made from a verified commit is verified again, with the same keys unless told others */
	if (o->require_signed) {
		cli->require_signed_commits = true;
		if (!cli->gpg_keyring && !cli->allowed_signers) {
			cli->gpg_keyring = o->gpg_keyring;
			cli->allowed_signers = o->allowed_signers;
		}
	}
	if (cli->endpoint && (!o->endpoint || !same_url(cli->endpoint, o->endpoint)))
		return sk_error_set(SK_ERR_INVALID, "--endpoint '%s' contradicts saved plan '%s', made with %s%s%s; drop "
						    "the option, or make a new plan",
				    cli->endpoint, file, o->endpoint ? "endpoint '" : "AWS's own endpoints",
				    o->endpoint ? o->endpoint : "", o->endpoint ? "'" : "");
	if (cli->profile && *cli->profile && (o->profile ? strcmp(cli->profile, o->profile) : strcmp(cli->profile, "default")))
		return sk_error_set(SK_ERR_INVALID, "--profile '%s' contradicts saved plan '%s', made with %s%s%s; drop "
						    "the option, or make a new plan",
				    cli->profile, file, o->profile ? "profile '" : "no profile named",
				    o->profile ? o->profile : "", o->profile ? "'" : "");
	if (!cli->endpoint)
		cli->endpoint = o->endpoint;
	if (!cli->profile)
		cli->profile = o->profile;
	return 0;
}

/* contradictions are usage errors (64); anything else failed (1) */
static int origin_failed(const struct sk_cli *cli)
{
	if (sk_error_last()->klass != SK_ERR_INVALID)
		return sk_cli_fail();
	return sk_cli_usage(cli, "%s", sk_error_message());
}

int cmd_apply(struct sk_cli *cli)
{
	struct sk_reconcile_opts o;
	struct sk_cli_printer pr;
	struct sk_session s;
	struct sk_planfile_origin origin;
	struct sk_saved_how how;
	struct sk_load_opts lo;
	const char *file = cli->argc ? cli->argv[0] : NULL;
	json_t *saved = NULL;
	int rc;

	memset(&origin, 0, sizeof(origin));
	memset(&s, 0, sizeof(s));
	if (cli->argc > 1)
		return sk_cli_usage(cli, "unexpected argument '%s': one PLANFILE at most", cli->argv[1]);
	/* the saved plan first: it says where its policies are and which AWS it was made against */
	if (file) {
		if (sk_planfile_read(&saved, &origin, file) < 0)
			return sk_cli_fail();
		if (origin.present && take_origin(cli, &origin, file) < 0) {
			rc = origin_failed(cli);
			goto done;
		}
		if (sk_cli_check_signing(cli) < 0) {
			rc = SK_EXIT_USAGE;
			goto done;
		}
	}
	if (sk_cli_open_session(cli, &s) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	if (origin.present) {
		sk_cli_saved_how(cli, &how, &lo, s.config);
		if (sk_saved_check(&origin, file, &how) < 0) {
			rc = origin_failed(cli);
			goto done;
		}
	}
	sk_cli_reconcile_opts(cli, &o, &pr, &s, true, stdout);
	o.plan_file = file;
	o.saved_plan = saved;
	o.saved_origin = &origin;
	rc = sk_cli_reconcile(&o, &pr);
done:
	sk_session_close(&s);
	json_decref(saved);
	sk_planfile_origin_free(&origin);
	return rc;
}
