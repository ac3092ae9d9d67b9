/*
 * journal_glue.h - what apply records in the audit journal (state/journal.h)
 *
 * Intents before each mutating call, outcomes after; the intent must be
 * durable before the call is made, so a failure to record it stops the
 * action.  A NULL journal records nothing.
 */
#ifndef SK_JOURNAL_GLUE_H
#define SK_JOURNAL_GLUE_H

#include <stddef.h>

#include "aws/client.h"
#include "reconciler/plan.h"

struct sk_journal;

int sk_journal_glue_intent(struct sk_journal *j, const char *run_id, const struct sk_plan *p,
			   const struct sk_action *a, char *out_id, size_t out_len);
void sk_journal_glue_outcome(struct sk_journal *j, const char *intent_id, const struct sk_action *a, int outcome,
			     const char *outcome_name, const struct sk_aws_error *err, const char *detail);
/* the action's call as a journal/plan record: {"action", "region", "target", ...} */
json_t *sk_action_record(const struct sk_action *a);

#endif
