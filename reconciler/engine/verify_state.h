/*
 * verify_state.h - what verify needs of the state directory: the last
 * restore drill of each instance (state.json's lastDrill)
 *
 * The planner's checks (planner/verify.h) take the drills as plain data;
 * this reads them for `snapkeep verify` and the run loop, read-only and
 * without the lock (a state file is replaced whole, by rename).
 */
#ifndef SK_VERIFY_STATE_H
#define SK_VERIFY_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "reconciler/planner/verify.h"

struct sk_accounts;
struct sk_state;

struct sk_verify_drills {
	struct sk_verify_drill *v; /* strings point into st */
	size_t n;
	bool known;                /* a state file was read: an instance without a drill has had none */
	struct sk_state *st;
};

#define SK_VERIFY_DRILLS_INIT { .v = NULL, .n = 0, .known = false, .st = NULL }

/*
 * Reads <dir>/state.json (dir NULL: the environment's, state/statedir.h),
 * or the state in backend (a connection string, state/backend.h) unless
 * NULL.  No state file, or no directory: 0 with known false.  An
 * unreadable or corrupt file: SK_ERROR, naming it.
 */
int sk_verify_drills_load(struct sk_verify_drills *out, const char *dir, const char *backend);
/* hands the drills to the checks */
void sk_verify_drills_opts(const struct sk_verify_drills *d, struct sk_verify_opts *o);
void sk_verify_drills_free(struct sk_verify_drills *d);

/*
 * Several accounts (engine/accounts.h): each observed account's checks,
 * with its policies and inventory and base's options (account set; now 0:
 * the account's observation time), joined (sk_verify_report_absorb); an
 * account not observed is the report's UNKNOWN (sk_verify_report_unobserved).
 * An account where base's policy or instance names nothing is left out;
 * *matched (may be NULL) says whether some account had them.
 * *observed_at: the earliest observation (0: none).  0, or -1 (set).
 */
int sk_verify_accounts(struct sk_verify_report **out, const struct sk_accounts *a, const struct sk_verify_opts *base,
		       bool *matched, int64_t *observed_at);

#endif
