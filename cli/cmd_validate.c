/*
 * cmd_validate.c - snapkeep validate: check the policies, calling no AWS
 * API; with --observe, also what each policy selects in the live regions
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "cli/cli.h"
#include "reconciler/engine/accounts.h"
#include "reconciler/engine/load.h"
#include "reconciler/engine/session.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/plan.h"
#include "specs/policy.h"
#include "specs/source.h"

static json_t *pos_json(const struct sk_pos *p)
{
	return json_pack("{s:s?, s:i, s:i}", "file", p->file, "line", p->line, "col", p->col);
}

/* warns as every command does, and keeps the list for the JSON */
static void on_source(void *ud, const struct sk_source *src)
{
	json_t *unc = ud;

	sk_cli_warn_uncommitted(NULL, src);
	for (size_t i = 0; i < src->n_uncommitted; i++)
		json_array_append_new(unc, json_pack("{s:s, s:s}", "path", src->uncommitted[i].path, "change",
						     sk_source_change_name(src->uncommitted[i].change)));
}

/*
 * What policy i of set selected, per account: over several accounts each
 * account's part of the plan that has it (account named), else the plan's
 * own entry (account NULL).  out has room for plan->n_parts + 1; how many.
 */
struct selection {
	const struct sk_plan_policy *pp;
	const char *account;
};

static size_t selections(struct selection *out, const struct sk_plan *plan, const struct sk_policyset *set, size_t i)
{
	size_t k, j, n = 0;

	if (!plan->n_parts) {
		if (i < plan->n_policies)
			out[n++] = (struct selection){ &plan->policies[i], NULL };
		return n;
	}
	for (k = 0; k < plan->n_parts; k++) {
		const struct sk_plan *part = plan->parts[k].plan;

		for (j = 0; j < part->n_policies; j++)
			if (!strcmp(part->policies[j].name, set->policies[i].name)) {
				out[n++] = (struct selection){ &part->policies[j], plan->parts[k].account };
				break;
			}
	}
	return n;
}

/* with --observe: the regions a policy looked in and the instances it selects (in each account) */
static void add_selection(json_t *o, const struct selection *sel, size_t n)
{
	json_t *regions, *insts;
	size_t k, s;

	if (!n)
		return;
	regions = json_array();
	insts = json_array();
	for (k = 0; k < sel[0].pp->n_regions; k++)
		json_array_append_new(regions, json_string(sel[0].pp->regions[k]));
	for (s = 0; s < n; s++)
		for (k = 0; k < sel[s].pp->n_instances; k++) {
			json_t *one = json_pack("{s:s, s:s}", "region", sel[s].pp->instances[k].region, "id",
						sel[s].pp->instances[k].instance);
			if (one && sel[s].account)
				json_object_set_new(one, "account", json_string(sel[s].account));
			json_array_append_new(insts, one);
		}
	json_object_set_new(o, "regions", regions);
	json_object_set_new(o, "instances", insts);
}

static json_t *validation_json(const struct sk_policyset *set, json_t *unc, bool valid, const struct sk_plan *plan,
			       json_t *warnings)
{
	json_t *root = json_object(), *pols = json_array(), *errs = json_array();
	struct selection *sel = plan ? calloc(plan->n_parts + 1, sizeof(*sel)) : NULL;
	size_t i;

	json_object_set_new(root, "valid", json_boolean(valid));
	json_object_set_new(root, "commit", set && set->commit[0] ? json_string(set->commit) : json_null());
	json_object_set_new(root, "subject", set && set->subject ? json_string(set->subject) : json_null());
	if (set && set->signer.format[0])
		json_object_set_new(root, "signer", json_pack("{s:s, s:s, s:s}", "format", set->signer.format, "name",
							      set->signer.name, "key", set->signer.key));
	/* policy files whose uncommitted changes the commit does not have */
	json_object_set(root, "uncommitted", unc);
	for (i = 0; set && valid && i < set->n_policies; i++) {
		const struct sk_policy *p = &set->policies[i];
		json_t *o = pos_json(&p->pos);
		json_object_set_new(o, "name", json_string(p->name));
		if (sel)
			add_selection(o, sel, selections(sel, plan, set, i));
		json_array_append_new(pols, o);
	}
	for (i = 0; set && i < set->n_diags; i++) {
		json_t *o = pos_json(&set->diags[i].pos);
		json_object_set_new(o, "message", json_string(set->diags[i].message));
		json_array_append_new(errs, o);
	}
	if (!valid && (!set || !set->n_diags)) {
		json_t *o = json_object();
		json_object_set_new(o, "message", json_string(sk_error_message()));
		json_array_append_new(errs, o);
	}
	json_object_set_new(root, "policies", pols);
	if (warnings)
		json_object_set(root, "warnings", warnings);
	json_object_set_new(root, "errors", errs);
	free(sel);
	return root;
}

/*
 * --observe: the plan's selection, made exactly as `plan` makes it (the
 * same regions, the same rules), and a warning per policy that selects
 * nothing (over several accounts: in any account).  Errors only the live
 * state reveals fail it, as does an account that cannot be observed.
 */
static int observe(struct sk_cli *cli, const struct sk_policyset *set, struct sk_plan **plan, json_t *warnings)
{
	struct sk_session s;
	struct sk_accounts accts;
	struct sk_inventory *inv = NULL;
	struct selection *sel = NULL;
	struct sk_buf w = SK_BUF_INIT;
	size_t i, k, n;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	memset(&accts, 0, sizeof(accts));
	if (set->settings.n_accounts) {
		if (cli->inventory) {
			sk_error_set(SK_ERR_INVALID, "--inventory: an inventory file is one account's; the policies list "
						     "several (Settings' accounts)");
			goto done;
		}
		if (sk_cli_plan_accounts(cli, &s, &accts, set, false, plan) < 0)
			goto done;
		if ((*plan)->n_unobserved) {
			sk_error_set(SK_ERR_INVALID, "%zu of %zu accounts not observed: %s (%s)", (*plan)->n_unobserved,
				     accts.n, (*plan)->unobserved[0].account, (*plan)->unobserved[0].error);
			goto done;
		}
	} else if ((!cli->inventory && sk_cli_open_session(cli, &s) < 0) || sk_cli_observe(cli, &s, set, &inv, NULL) < 0 ||
		   sk_cli_compute_plan(cli, set, inv, false, plan) < 0) {
		goto done;
	}
	if (!(sel = calloc((*plan)->n_parts + 1, sizeof(*sel)))) {
		sk_error_set_oom();
		goto done;
	}
	for (i = 0; i < set->n_policies; i++) {
		n = selections(sel, *plan, set, i);
		for (k = 0; k < n && sk_plan_policy_selects_nothing(sel[k].pp); k++)
			;
		if (!n || k < n)
			continue;
		sk_buf_reset(&w);
		if (sk_plan_describe_empty_policy(&w, sel[0].pp, &set->policies[i]) < 0 ||
		    ((*plan)->n_parts && sk_buf_printf(&w, " (in none of the %zu accounts it covers)", n) < 0))
			goto done;
		json_array_append_new(warnings, json_string(sk_buf_cstr(&w)));
	}
	rc = 0;
done:
	free(sel);
	sk_buf_free(&w);
	sk_inventory_free(inv);
	sk_accounts_close(&accts);
	sk_session_close(&s);
	return rc;
}

static void print_selection(const struct sk_plan *plan, const struct sk_policyset *set, const json_t *warnings)
{
	struct selection *sel = calloc(plan->n_parts + 1, sizeof(*sel));
	size_t i, k, s, n, total, shown;
	const json_t *w;

	if (!sel)
		return;
	printf("\nWhat each policy selects (live state, %zu polic%s%s", set->n_policies,
	       set->n_policies == 1 ? "y" : "ies", plan->n_parts ? "" : "):\n");
	if (plan->n_parts)
		printf(", %zu account%s):\n", plan->n_parts, plan->n_parts == 1 ? "" : "s");
	for (i = 0; i < set->n_policies; i++) {
		n = selections(sel, plan, set, i);
		if (!n)
			continue;
		if (!sel[0].pp->n_regions) {
			printf("  %s: not looked at (none of its regions is among --region)\n", set->policies[i].name);
			continue;
		}
		for (s = total = 0; s < n; s++)
			total += sel[s].pp->n_instances;
		printf("  %s: %zu instance%s", set->policies[i].name, total, total == 1 ? "" : "s");
		for (s = shown = 0; s < n; s++)
			for (k = 0; k < sel[s].pp->n_instances && shown < 20; k++, shown++)
				printf("%s%s (%s%s%s)", shown ? ", " : ": ", sel[s].pp->instances[k].instance,
				       sel[s].pp->instances[k].region, sel[s].account ? ", account " : "",
				       sel[s].account ? sel[s].account : "");
		printf("%s\n", total > 20 ? ", ..." : "");
	}
	json_array_foreach(warnings, i, w)
		printf("\nWarning: %s.\n", json_string_value(w));
	free(sel);
}

int cmd_validate(struct sk_cli *cli)
{
	struct sk_policyset *set = NULL;
	struct sk_plan *plan = NULL;
	struct sk_load_opts lo;
	json_t *unc = json_array(), *warnings = cli->observe ? json_array() : NULL;
	int rc = SK_EXIT_ERROR;
	bool valid;

	if (cli->argc)
		return sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
	sk_cli_load_opts(cli, &lo);
	lo.on_source = on_source;
	lo.ud = unc;
	valid = sk_cli_load_policies_from(&lo, &set, cli->json) == 0;
	if (valid && cli->observe && observe(cli, set, &plan, warnings) < 0) {
		/* the policies parse; what the live state says of them does not hold, or it cannot be observed */
		valid = false;
	}
	if (cli->json) {
		json_t *j = validation_json(set, unc, valid, plan, warnings);
		sk_cli_print_json(j, stdout);
		json_decref(j);
		rc = valid ? SK_EXIT_OK : SK_EXIT_ERROR;
		goto done;
	}
	if (!valid) {
		rc = sk_cli_fail();
		goto done;
	}
	printf("Success! %zu polic%s valid", set->n_policies, set->n_policies == 1 ? "y is" : "ies are");
	if (set->commit[0])
		printf(" at commit %.12s \"%s\"", set->commit, set->subject ? set->subject : "");
	if (set->signer.format[0]) {
		char who[512];
		sk_signer_describe(who, sizeof(who), &set->signer);
		printf(", signed by %s", who);
	}
	printf(".\n");
	if (plan)
		print_selection(plan, set, warnings);
	rc = SK_EXIT_OK;
done:
	sk_plan_free(plan);
	sk_policyset_free(set);
	json_decref(unc);
	json_decref(warnings);
	return rc;
}
