/*
 * fuzz_guardrails.c - the guardrails file's parser over arbitrary bytes
 *
 * Whatever the input, parsing ends with guardrails or one error message
 * (every line of it "file:line:col: ..."), and what it reads is in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "specs/guardrails.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_guardrails *g = NULL;
	size_t i;

	if (sk_guardrails_parse(&g, "fuzz.yaml", (const char *)data, size) < 0) {
		const char *m = sk_error_message();
		if (g || !m[0] || (sk_error_last()->klass != SK_ERR_NOMEM && strncmp(m, "fuzz.yaml:", 10)))
			abort();
		return 0;
	}
	if (!g || !g->n_rules)
		abort();
	for (i = 0; i < g->n_rules; i++) {
		const struct sk_guardrail_rule *r = &g->rules[i];
		if ((r->has[SK_GR_MIN_RETENTION_DAYS] && (r->min_retention_days < 1 || r->min_retention_days > 35)) ||
		    (r->has[SK_GR_MIN_RETENTION] && r->min_age <= 0) ||
		    (r->has[SK_GR_DELETION_BUDGET] && (r->budget_window <= 0 || r->budget_window > g->longest_window ||
						       !(r->budget_percent || r->budget_count))))
			abort();
	}
	sk_guardrails_free(g);
	return 0;
}
