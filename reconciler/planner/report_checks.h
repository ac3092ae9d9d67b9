/*
 * report_checks.h - the compliance checks of one instance of a report: the
 * settings its policy sets (desired from the policy, live from the
 * inventory, drift when the plan changes them), verify's results in words,
 * and its snapshot regions' quota (report.h lists the checks and the
 * verdicts).  Private to the report.
 */
#ifndef SK_REPORT_CHECKS_H
#define SK_REPORT_CHECKS_H

#include <stddef.h>

#include "reconciler/planner/report_context.h"

struct sk_policy;
struct sk_inv_instance;
struct sk_verify_result;
struct sk_verify_limits;

/*
 * Appends ri's checks to c->r->checks (ri->first_check, n_checks) and
 * sets its verdict and reason, the worst check's: from verify's results
 * v[0 .. n) for it, made with limits lim, and, when it was observed (in
 * not NULL), its settings and its regions' quota.  Its snapshots must be
 * listed first (the encryption and storage checks read them).  Out of
 * memory sets c->failed.
 */
void sk_report_checks(struct sk_report_ctx *c, struct sk_report_instance *ri, const struct sk_policy *p,
		      const struct sk_inv_instance *in, const struct sk_verify_result *v, size_t n,
		      const struct sk_verify_limits *lim);

#endif
