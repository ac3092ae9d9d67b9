/*
 * retain.h - retention rules as a policy states them (restic's `forget`)
 *
 * Plain data shared by the policy parser (specs/policy.c), which fills it,
 * and the retention engine (reconciler/planner/retention.c), which applies
 * it.  Types only: there is no retain.c.
 */
#ifndef SK_RETAIN_H
#define SK_RETAIN_H

#include <stdbool.h>

/* "1y2m3d4h": years, months, days, hours, as restic's --keep-within */
struct sk_duration {
	int years;
	int months;
	int days;
	int hours;
};

#define SK_RETAIN_UNLIMITED (-1)

/* 0: the rule is not used; SK_RETAIN_UNLIMITED: every bucket */
struct sk_retain {
	int last;
	int hourly;
	int daily;
	int weekly;
	int monthly;
	int yearly;
	bool has_within;
	struct sk_duration within;
};

#define SK_RETAIN_INIT                                                                                    \
	{ .last = 0, .hourly = 0, .daily = 0, .weekly = 0, .monthly = 0, .yearly = 0, .has_within = false,      \
	  .within = { .years = 0, .months = 0, .days = 0, .hours = 0 } }

#endif
