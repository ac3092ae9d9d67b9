/*
 * context.c - the state one plan is built in, shared by diff.c and lifecycle*.c
 */
#include "reconciler/planner/context.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "common/str.h"
#include "specs/policy.h"

const char *sk_diff_printf(struct sk_diff *d, const char *fmt, ...)
{
	struct sk_buf b = SK_BUF_INIT;
	const char *s = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sk_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		s = sk_arena_strdup(&d->plan->arena, sk_buf_cstr(&b));
	sk_buf_free(&b);
	if (!s)
		d->failed = true;
	return s;
}

const char *sk_diff_intern(struct sk_diff *d, const char *s)
{
	const char *r = sk_plan_strdup(d->plan, s);

	if (s && !r)
		d->failed = true;
	return r;
}

void sk_diff_note(struct sk_diff *d, enum sk_note_kind kind, const char *region, const char *instance, const char *fmt,
		  ...)
{
	struct sk_buf b = SK_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sk_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc < 0 || sk_plan_add_note(d->plan, kind, region, instance, "%s", sk_buf_cstr(&b)) < 0)
		d->failed = true;
	sk_buf_free(&b);
}

/* does the policy named so say spec.suspend: true? */
static bool policy_suspended(const struct sk_diff *d, const char *name)
{
	for (size_t i = 0; name && i < d->set->n_policies; i++)
		if (!strcmp(d->set->policies[i].name, name))
			return d->set->policies[i].suspend;
	return false;
}

struct sk_action *sk_diff_action(struct sk_diff *d, const struct sk_action *a)
{
	struct sk_action *r = sk_plan_add_action(d->plan, a);

	if (!r)
		d->failed = true;
	else if (policy_suspended(d, r->policy))
		r->suspended = true;
	return r;
}

void sk_diff_error(struct sk_diff *d, const struct sk_pos *pos, const char *fmt, ...)
{
	va_list ap;

	if (d->n_errors)
		sk_buf_adds(&d->errors, "\n");
	if (pos && pos->file)
		sk_buf_printf(&d->errors, "%s:%d:%d: ", pos->file, pos->line, pos->col);
	va_start(ap, fmt);
	sk_buf_vprintf(&d->errors, fmt, ap);
	va_end(ap);
	d->n_errors++;
}

void sk_diff_basis(struct sk_diff *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->opts->basis)
		return;
	va_start(ap, fmt);
	if (sk_buf_vprintf(&d->basis, fmt, ap) < 0 || sk_buf_addc(&d->basis, '\n') < 0)
		d->failed = true;
	va_end(ap);
}

struct sk_diff_region *sk_diff_region(struct sk_diff *d, const char *region)
{
	size_t i;
	struct sk_diff_region *r;

	for (i = 0; i < d->n_regions; i++)
		if (!strcmp(d->regions[i].region, region))
			return &d->regions[i];
	if (!(r = SK_ARRAY_PUSH(d->regions, d->n_regions, d->cap_regions))) {
		d->failed = true;
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->region = sk_diff_intern(d, region);
	r->quota = sk_settings_quota(&d->set->settings, region);
	return r;
}

bool sk_diff_quota_room(struct sk_diff_region *reg, const char *instance, bool copy)
{
	size_t i;

	if (reg->manual + reg->creates + reg->copies < (size_t)reg->quota)
		return true;
	if (copy)
		reg->refused_copies++;
	else
		reg->refused_creates++;
	for (i = 0; i < reg->n_refused_names && strcmp(reg->refused_names[i], instance); i++)
		;
	if (i == reg->n_refused_names && i < SK_DIFF_REFUSED_NAMES)
		reg->refused_names[reg->n_refused_names++] = instance;
	if (i == SK_DIFF_REFUSED_NAMES)
		reg->refused_more = true;
	return false;
}

bool sk_diff_region_wanted(const struct sk_diff *d, const char *region)
{
	return !d->opts->n_regions || sk_strv_has(d->opts->regions, d->opts->n_regions, region);
}

bool sk_diff_dest_wanted(const struct sk_diff *d, const char *dest)
{
	return d->opts->shard || sk_diff_region_wanted(d, dest);
}

int sk_diff_cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}
