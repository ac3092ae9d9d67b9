/*
 * cmd_validate.c - snapkeep validate: check the policies, calling no AWS API
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "cli/cli.h"
#include "reconciler/engine/load.h"
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

static json_t *validation_json(const struct sk_policyset *set, json_t *unc, bool valid)
{
	json_t *root = json_object(), *pols = json_array(), *errs = json_array();
	size_t i;

	json_object_set_new(root, "valid", json_boolean(valid));
	json_object_set_new(root, "commit", set && set->commit[0] ? json_string(set->commit) : json_null());
	json_object_set_new(root, "subject", set && set->subject ? json_string(set->subject) : json_null());
	/* policy files whose uncommitted changes the commit does not have */
	json_object_set(root, "uncommitted", unc);
	for (i = 0; set && valid && i < set->n_policies; i++) {
		const struct sk_policy *p = &set->policies[i];
		json_t *o = pos_json(&p->pos);
		json_object_set_new(o, "name", json_string(p->name));
		json_array_append_new(pols, o);
	}
	for (i = 0; set && i < set->n_diags; i++) {
		json_t *o = pos_json(&set->diags[i].pos);
		json_object_set_new(o, "message", json_string(set->diags[i].message));
		json_array_append_new(errs, o);
	}
	if (!set && !valid) {
		json_t *o = json_object();
		json_object_set_new(o, "message", json_string(sk_error_message()));
		json_array_append_new(errs, o);
	}
	json_object_set_new(root, "policies", pols);
	json_object_set_new(root, "errors", errs);
	return root;
}

int cmd_validate(struct sk_cli *cli)
{
	struct sk_policyset *set = NULL;
	struct sk_load_opts lo;
	json_t *unc = json_array();
	int rc = SK_EXIT_ERROR;
	bool valid;

	if (cli->argc)
		return sk_cli_usage(cli, "unexpected argument '%s'", cli->argv[0]);
	sk_cli_load_opts(cli, &lo);
	lo.on_source = on_source;
	lo.ud = unc;
	valid = sk_cli_load_policies_from(&lo, &set, cli->json) == 0;
	if (cli->json) {
		json_t *j = validation_json(set, unc, valid);
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
	printf(".\n");
	rc = SK_EXIT_OK;
done:
	sk_policyset_free(set);
	json_decref(unc);
	return rc;
}
