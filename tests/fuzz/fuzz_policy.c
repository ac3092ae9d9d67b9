/*
 * fuzz_policy.c - the policy parser over arbitrary bytes
 *
 * Whatever the input, parsing must end with a set (or an out-of-memory
 * error), every diagnostic must have a message and a sane position, and
 * the JSON view of the set must be producible.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "specs/policy.h"
#include "specs/policy_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_policyset *set = NULL;
	struct sk_buf b = SK_BUF_INIT;
	int rc = sk_policyset_parse_buffer(&set, "fuzz.yaml", (const char *)data, size);

	if (!set) {
		if (sk_error_last()->klass != SK_ERR_NOMEM)
			abort();
		return 0;
	}
	if ((rc == 0) != (set->n_diags == 0))
		abort();
	for (size_t i = 0; i < set->n_diags; i++) {
		const struct sk_policy_diag *d = &set->diags[i];

		if (!d->message || !d->message[0] || d->pos.line < 0 || d->pos.col < 0)
			abort();
		sk_policy_diag_format(&b, d);
	}
	for (size_t i = 0; i < set->n_policies; i++) {
		const struct sk_policy *p = &set->policies[i];

		if (!p->name || (p->has_snapshots && rc == 0 && !p->schedule.valid))
			abort();
	}
	sk_buf_reset(&b);
	if (sk_policyset_format_json(&b, set, 0) < 0 && sk_error_last()->klass != SK_ERR_NOMEM)
		abort();
	sk_buf_free(&b);
	sk_policyset_free(set);
	return 0;
}
