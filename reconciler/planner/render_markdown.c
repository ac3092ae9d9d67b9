/*
 * render_markdown.c - a plan as markdown for a pull-request comment (render_markdown.h)
 */
#include "reconciler/planner/render_markdown.h"

#include <string.h>

#include "common/error.h"
#include "common/timeutil.h"

void sk_markdown_cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (strchr("|\\*_`<>[]#~", *s))
			fputc('\\', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
}

static const char *sign(enum sk_action_kind k)
{
	switch (k) {
	case SK_ACTION_CREATE:
	case SK_ACTION_COPY:
	case SK_ACTION_START_REPLICATION:
		return "+";
	case SK_ACTION_DELETE:
	case SK_ACTION_STOP_REPLICATION:
		return "-";
	default:
		return "~";
	}
}

/* what it does in a few words: the changes of a modify, else the reason */
static void what(FILE *f, const struct sk_action *a)
{
	size_t i;

	if (a->kind == SK_ACTION_MODIFY && a->n_changes) {
		for (i = 0; i < a->n_changes; i++) {
			fputs(i ? ", " : "", f);
			sk_markdown_cell(f, a->changes[i].field);
			fputs(" ", f);
			sk_markdown_cell(f, a->changes[i].before);
			fputs(" → ", f);
			sk_markdown_cell(f, a->changes[i].after);
		}
		return;
	}
	sk_markdown_cell(f, a->reason);
}

static void action_row(FILE *f, const struct sk_action *a, const char *extra)
{
	fprintf(f, "| %s | %s | ", sign(a->kind), sk_action_kind_name(a->kind));
	sk_markdown_cell(f, a->target);
	fputs(" | ", f);
	sk_markdown_cell(f, a->region);
	fputs(" | ", f);
	sk_markdown_cell(f, a->policy);
	fputs(" | ", f);
	what(f, a);
	if (a->suspended)
		fputs(" (suspended: not applied)", f);
	if (extra) {
		fputs(" — ", f);
		sk_markdown_cell(f, extra);
	}
	fputs(" |\n", f);
}

int sk_plan_render_markdown(const struct sk_plan *p, FILE *f)
{
	struct sk_plan_counts c;
	char at[SK_TIME_RFC3339_MAX];
	size_t i;

	sk_plan_count(p, &c);
	sk_time_format_rfc3339(at, p->now);
	if (!c.create && !c.change && !c.remove)
		fprintf(f, "### snapkeep plan: no changes\n\n");
	else
		fprintf(f, "### snapkeep plan: %zu to create, %zu to change, %zu to delete\n\n", c.create, c.change,
			c.remove);
	fprintf(f, "Policy commit `%.12s`, as of %s", p->commit[0] ? p->commit : "none", at);
	if (c.suspended)
		fprintf(f, "; %zu suspended (shown, not applied)", c.suspended);
	fputs(".\n\n", f);
	if (p->n_actions) {
		fputs("| | action | target | region | policy | what |\n|---|---|---|---|---|---|\n", f);
		for (i = 0; i < p->n_actions && i < SK_PLAN_MARKDOWN_ROWS; i++)
			action_row(f, &p->actions[i], NULL);
		if (p->n_actions > SK_PLAN_MARKDOWN_ROWS)
			fprintf(f, "\n... and %zu more actions (`snapkeep plan` lists every one).\n",
				p->n_actions - SK_PLAN_MARKDOWN_ROWS);
		fputc('\n', f);
	}
	if (p->n_refused) {
		fputs("**Refused by guardrails** (never applied):\n\n| | action | target | region | policy | what |\n"
		      "|---|---|---|---|---|---|\n",
		      f);
		for (i = 0; i < p->n_refused; i++)
			action_row(f, &p->refused[i].action, p->refused[i].message);
		fputc('\n', f);
	}
	for (i = 0; i < p->n_warnings; i++) {
		fputs(i ? "" : "**Warnings:**\n\n", f);
		fputs("- ", f);
		sk_markdown_cell(f, p->warnings[i].message);
		fputc('\n', f);
	}
	if (p->n_warnings)
		fputc('\n', f);
	for (i = 0; i < p->n_regions; i++) {
		const struct sk_region_summary *r = &p->regions[i];
		if (!i)
			fputs("| region | manual snapshots | quota | storage | USD/month |\n|---|---|---|---|---|\n", f);
		fprintf(f, "| ");
		sk_markdown_cell(f, r->region);
		fprintf(f, " | %zu → %zu | %d | %+lld GiB | %+.2f |\n", r->manual_before, r->manual_after, r->quota,
			(long long)r->gib_delta, r->cost_delta + 0.0);
	}
	if (fflush(f) != 0 || ferror(f))
		return sk_error_set_errno(SK_ERR_OS, "cannot write the plan");
	return 0;
}
