/*
 * previous.c - the policies at the last applied commit, and destructive plans
 */
#include "reconciler/engine/previous.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "reconciler/planner/plan.h"
#include "specs/policy.h"

void sk_previous_load(struct sk_policyset **out, const struct sk_load_opts *lo, const char *commit,
		      const struct sk_policyset *current)
{
	struct sk_load_opts o = *lo;

	*out = NULL;
	if (!commit || !commit[0] || (current && !strcmp(current->commit, commit)))
		return;
	o.ref = commit;
	o.no_fetch = true;
	o.on_source = NULL;
	o.on_insecure_fetch = NULL;
	if (sk_load_policies(out, &o) < 0) {
		sk_warn("cannot read the policies of the last applied commit %.12s (%s): policies and instances "
			"dropped since are not named",
			commit, sk_error_message());
		sk_policyset_free(*out);
		*out = NULL;
		sk_error_clear();
	}
}

unsigned sk_previous_unallowed(const struct sk_plan *p, unsigned allowed)
{
	unsigned kinds = 0;
	size_t i;

	for (i = 0; i < p->n_warnings; i++)
		kinds |= 1u << p->warnings[i].kind;
	return kinds & ~allowed;
}

int sk_previous_refuse(const struct sk_plan *p, unsigned unallowed)
{
	struct sk_buf what = SK_BUF_INIT, names = SK_BUF_INIT;
	unsigned k;
	size_t i;
	int rc;

	for (k = 0; k < SK_WARN_COUNT; k++) {
		if (!(unallowed & (1u << k)))
			continue;
		for (i = 0; i < p->n_warnings && p->warnings[i].kind != k; i++)
			;
		sk_buf_printf(&what, "%s%s: %s", what.len ? "; " : "", sk_warning_kind_name(k),
			      i < p->n_warnings ? p->warnings[i].message : "");
		sk_buf_printf(&names, "%s%s", names.len ? "," : "", sk_warning_kind_name(k));
	}
	rc = sk_error_set(SK_ERR_SAFETY,
			  "apply refused: the plan is destructive (%s); review it, then name each kind: "
			  "--allow-destructive=%s; nothing was applied",
			  sk_buf_cstr(&what), sk_buf_cstr(&names));
	sk_buf_free(&what);
	sk_buf_free(&names);
	return rc;
}

const char *sk_previous_user(char *buf, size_t len)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u && u[0])
		snprintf(buf, len, "%s", u);
	else if ((pw = getpwuid(geteuid())) && pw->pw_name)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)geteuid());
	return buf;
}
