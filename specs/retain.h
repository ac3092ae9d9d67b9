/*
 * retain.h - retention rules as a policy states them (restic's `forget`)
 *
 * Plain data shared by the policy parser (specs/), which fills it, and the
 * retention engine (reconciler/retention.c), which applies it.
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

#define SK_RETAIN_INIT { 0, 0, 0, 0, 0, 0, false, { 0, 0, 0, 0 } }

#endif
