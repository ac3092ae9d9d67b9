/*
 * cmd_iam_policy.c - snapkeep iam-policy: the least-privilege IAM policy
 *
 * Prints the policy document (reconciler/engine/iam.h) the configured policies
 * need, to attach to the role snapkeep runs as.  Calls no AWS API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "cli/cli.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/engine/iam.h"
#include "specs/policy.h"

#define MANAGED_POLICY_MAX 6144

int cmd_iam_policy(struct sk_cli *cli)
{
	struct sk_iam_opts o = SK_IAM_OPTS_INIT;
	struct sk_policyset *set = NULL;
	json_t *doc = NULL;
	char *compact = NULL;
	int rc = SK_EXIT_ERROR;

	if (cli->argc)
		return sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
	if (sk_cli_load_policies(cli, &set, false) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	o.namespace_ = cli->metrics_namespace;
	o.account = cli->account;
	if (set->settings.n_accounts) {
		char principal[64];
		const char *trust = cli->trust;
		if (!trust) {
			rc = sk_cli_usage(cli, "--trust is required with Settings' accounts: the ARN (or account id) of "
					       "the identity snapkeep runs as, which each account's role must trust");
			goto done;
		}
		if (strlen(trust) == 12 && strspn(trust, "0123456789") == 12) {
			snprintf(principal, sizeof(principal), "arn:aws:iam::%s:root", trust);
			trust = principal;
		} else if (strncmp(trust, "arn:aws", 7) != 0 || !strstr(trust, ":iam::")) {
			rc = sk_cli_usage(cli, "--trust '%s' must be an IAM ARN (arn:aws:iam::<account>:role/<name>) or "
					       "an account id", trust);
			goto done;
		}
		if (sk_accounts_iam(&doc, set, &o, trust, cli->accounts, cli->n_accounts) < 0 ||
		    sk_cli_print_json(doc, stdout) < 0) {
			rc = sk_cli_fail();
			goto done;
		}
		rc = SK_EXIT_OK;
		goto done;
	}
	if (cli->trust) {
		rc = sk_cli_usage(cli, "--trust: Settings lists no accounts (no role to assume)");
		goto done;
	}
	if (sk_iam_policy(&doc, set, &o) < 0 || sk_cli_print_json(doc, stdout) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	/* IAM counts a managed policy's size without whitespace; past the quota create-policy fails */
	compact = json_dumps(doc, JSON_COMPACT);
	if (compact && strlen(compact) > MANAGED_POLICY_MAX)
		sk_warn("the IAM policy has %zu characters without whitespace, more than the %d of an IAM managed "
			"policy; select instances by tag, or split the statements over several policies",
			strlen(compact), MANAGED_POLICY_MAX);
	free(compact);
	rc = SK_EXIT_OK;
done:
	json_decref(doc);
	sk_policyset_free(set);
	return rc;
}
