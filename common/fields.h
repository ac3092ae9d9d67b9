/*
 * fields.h - tables that name a struct's members
 *
 * Where a format's names map one to one onto a struct's members (an RDS
 * answer's elements, a journal record's keys, an inventory element's JSON
 * members), a table says so once, and one loop reads or writes them all:
 *
 *	static const struct sk_field snapshot_values[] = {
 *		SK_FIELD_TIME(struct sk_rds_snapshot, created, "SnapshotCreateTime"),
 *		SK_FIELD_INT(struct sk_rds_snapshot, allocated_gib, "AllocatedStorage"),
 *	};
 *
 * Each macro checks at compile time that the member has its type.  There
 * is no fields.c: the accessors are inline (the RDS reader runs its loop
 * for every snapshot of every page).
 */
#ifndef SK_FIELDS_H
#define SK_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sk_field_type {
	SK_FIELD_STR,  /* const char * */
	SK_FIELD_INT,  /* int */
	SK_FIELD_BOOL, /* bool */
	SK_FIELD_TIME, /* int64_t, seconds since the epoch (0: unknown) */
};

struct sk_field {
	const char *name; /* its name outside: an element, a key */
	enum sk_field_type type;
	size_t off; /* offsetof() the member */
};

/* offsetof(T, m), and a compile error unless T's member m is a ctype */
#define SK_FIELD_OFFSET(T, m, ctype) (offsetof(T, m) + _Generic(((T *)0)->m, ctype: 0))

#define SK_FIELD_STR(T, m, name) { (name), SK_FIELD_STR, SK_FIELD_OFFSET(T, m, const char *) }
#define SK_FIELD_INT(T, m, name) { (name), SK_FIELD_INT, SK_FIELD_OFFSET(T, m, int) }
#define SK_FIELD_BOOL(T, m, name) { (name), SK_FIELD_BOOL, SK_FIELD_OFFSET(T, m, bool) }
#define SK_FIELD_TIME(T, m, name) { (name), SK_FIELD_TIME, SK_FIELD_OFFSET(T, m, int64_t) }

#define SK_FIELDS_N(table) (sizeof(table) / sizeof((table)[0]))

/* the member f names in obj, which must be of the struct f's table is about */
static inline void *sk_field_ptr(void *obj, const struct sk_field *f)
{
	return (char *)obj + f->off;
}

static inline const void *sk_field_cptr(const void *obj, const struct sk_field *f)
{
	return (const char *)obj + f->off;
}

/* the const char * member f (an SK_FIELD_STR) names in obj, as an lvalue */
#define SK_FIELD_STR_AT(obj, f) (*(const char **)sk_field_ptr((obj), (f)))

#endif
