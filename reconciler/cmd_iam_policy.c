/*
 * cmd_iam_policy.c - snapkeep iam-policy: the least-privilege IAM policy
 *
 * Prints the policy document (reconciler/iam.h) the configured policies
 * need, to attach to the role snapkeep runs as.  Calls no AWS API.
 */
#include <stdio.h>

#include "common/error.h"
#include "reconciler/cli.h"
#include "reconciler/iam.h"
#include "specs/policy.h"

int cmd_iam_policy(struct sk_cli *cli)
{
	struct sk_iam_opts o = SK_IAM_OPTS_INIT;
	struct sk_policyset *set = NULL;
	json_t *doc = NULL;
	int rc = SK_EXIT_ERROR;

	if (cli->argc) {
		fprintf(stderr, "snapkeep iam-policy: unexpected argument '%s'\n", cli->argv[0]);
		return SK_EXIT_USAGE;
	}
	if (sk_cli_load_policies(cli, &set, false) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	o.namespace_ = cli->metrics_namespace;
	o.account = cli->account;
	if (sk_iam_policy(&doc, set, &o) < 0 || sk_cli_print_json(doc, stdout) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	rc = SK_EXIT_OK;
done:
	json_decref(doc);
	sk_policyset_free(set);
	return rc;
}
