/*
 * cmd_inventory.c - snapkeep inventory: what is live, for offline plans
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "cli/cli.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/ownership.h"
#include "reconciler/engine/observe.h"
#include "reconciler/engine/session.h"
#include "specs/policy.h"

int cmd_inventory(struct sk_cli *cli)
{
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_session s;
	size_t i;
	int rc = SK_EXIT_ERROR;

	if (cli->argc) {
		fprintf(stderr, "snapkeep inventory: unexpected argument '%s'\n", cli->argv[0]);
		return SK_EXIT_USAGE;
	}
	if (sk_cli_load_and_observe(cli, &s, &set, &inv) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	if (cli->json) {
		if (sk_inventory_write_json(inv, stdout) < 0 || fflush(stdout) != 0) {
			rc = sk_cli_fail();
			goto done;
		}
	} else {
		for (i = 0; i < inv->n_regions; i++) {
			size_t k, ni = 0, manual = 0, automated = 0, owned = 0;
			for (k = 0; k < inv->n_instances; k++)
				ni += !strcmp(inv->instances[k].region, inv->regions[i]);
			for (k = 0; k < inv->n_snapshots; k++) {
				const struct sk_inv_snapshot *sn = &inv->snapshots[k];
				if (strcmp(sn->region, inv->regions[i]))
					continue;
				manual += sn->type == SK_SNAP_MANUAL;
				automated += sn->type == SK_SNAP_AUTOMATED;
				owned += sk_snapshot_owner(sn) != NULL;
			}
			printf("%-16s %5zu instances  %6zu manual snapshots (%zu owned by snapkeep)  %6zu automated\n",
			       inv->regions[i], ni, manual, owned, automated);
		}
		printf("Use --output json for the full snapkeep-inventory/v1 document.\n");
	}
	rc = SK_EXIT_OK;
done:
	sk_inventory_free(inv);
	sk_policyset_free(set);
	sk_session_close(&s);
	return rc;
}
