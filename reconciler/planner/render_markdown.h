/*
 * render_markdown.h - a plan as markdown, compact enough for a pull-request
 * comment (`snapkeep plan --output markdown`), and the one escaper of text
 * put into a markdown table cell (the report's tables use it too)
 */
#ifndef SK_RENDER_MARKDOWN_H
#define SK_RENDER_MARKDOWN_H

#include <stdio.h>

#include "reconciler/planner/plan.h"

/*
 * A heading with the counts, the commit and the time; one table row per
 * action (the first SK_PLAN_MARKDOWN_ROWS, then how many more), the
 * refused actions, the warnings, and the storage and cost change per
 * region.  0, or -1 when writing failed (error set).
 */
#define SK_PLAN_MARKDOWN_ROWS 200
int sk_plan_render_markdown(const struct sk_plan *p, FILE *f);

/* s in a table cell: markdown's specials and | escaped, line ends as spaces */
void sk_markdown_cell(FILE *f, const char *s);

#endif
