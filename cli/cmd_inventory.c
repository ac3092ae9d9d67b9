/*
 * cmd_inventory.c - snapkeep inventory: what is live, for offline plans
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "cli/cli.h"
#include "reconciler/planner/inventory_json.h"
#include "reconciler/planner/ownership.h"
#include "reconciler/planner/report.h"
#include "reconciler/planner/report_render.h"
#include "reconciler/engine/observe.h"
#include "reconciler/engine/session.h"
#include "specs/policy.h"

/* --output csv: one RFC 4180 row per snapshot, the columns an auditor's runbook asks for */
static int write_csv(const struct sk_inventory *inv, FILE *f)
{
	static const char *const head[] = { "id", "created", "encrypted", "size", "status", "region", "owner" };
	char created[SK_TIME_RFC3339_MAX], size[16];
	size_t i;

	sk_report_csv_row(f, head, sizeof(head) / sizeof(head[0]));
	for (i = 0; i < inv->n_snapshots; i++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[i];
		const char *row[7];

		if (s->created)
			sk_time_format_rfc3339(created, s->created);
		else
			created[0] = '\0';
		snprintf(size, sizeof(size), "%u", s->allocated_gib);
		row[0] = s->id;
		row[1] = created;
		row[2] = s->encrypted ? "true" : "false";
		row[3] = size;
		row[4] = s->status_text ? s->status_text : "";
		row[5] = s->region;
		row[6] = sk_report_owner_name(
			sk_report_snapshot_owner(s, sk_inventory_find_instance(inv, s->region, s->instance)));
		if (sk_report_csv_row(f, row, 7) < 0)
			break;
	}
	if (fflush(f) != 0 || ferror(f))
		return sk_error_set_errno(SK_ERR_OS, "cannot write to standard output");
	return 0;
}

int cmd_inventory(struct sk_cli *cli)
{
	struct sk_policyset *set = NULL;
	struct sk_inventory *inv = NULL;
	struct sk_session s;
	size_t i;
	int rc = SK_EXIT_ERROR;

	if (cli->argc)
		return sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
	if (sk_cli_load_and_observe(cli, &s, &set, &inv) < 0) {
		rc = sk_cli_fail();
		goto done;
	}
	if (cli->output && !strcmp(cli->output, "csv")) {
		if (write_csv(inv, stdout) < 0 && sk_cli_stdout_status() != SK_CLI_STDOUT_CLOSED) {
			rc = sk_cli_fail();
			goto done;
		}
	} else if (cli->json) {
		if (sk_inventory_write_json(inv, stdout) < 0 && sk_cli_stdout_status() != SK_CLI_STDOUT_CLOSED) {
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
			if (sk_inventory_has_instances(inv, inv->regions[i]))
				printf("%-16s %5zu instances  %6zu manual snapshots (%zu owned by snapkeep)  %6zu automated\n",
				       inv->regions[i], ni, manual, owned, automated);
			else
				printf("%-16s     - instances  %6zu manual snapshots (%zu owned by snapkeep)  %6zu automated"
				       "  (only copied to: its snapshots alone were observed)\n",
				       inv->regions[i], manual, owned, automated);
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
