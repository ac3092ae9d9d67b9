/*
 * yamltree.h - YAML documents as small trees with positions (libyaml events)
 *
 * The policy parser's view of a file: every document as a tree of
 * scalars, mappings and sequences, each node knowing its line and column.
 * Built from libyaml's event API so that what the composer hides is still
 * seen: anchors and aliases are refused (each one is reported, the alias
 * becomes an SK_Y_INVALID node, parsing goes on), and mapping keys are kept
 * in order with duplicates (the caller reports those, with context).
 * Scalars are typed as YAML 1.2's core schema reads them, with decimal
 * integers only.  Bounded: at most SK_YAML_MAX_DEPTH levels and
 * SK_YAML_MAX_NODES nodes per file.
 */
#ifndef SK_YAMLTREE_H
#define SK_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"

#define SK_YAML_MAX_DEPTH 64
#define SK_YAML_MAX_NODES 100000
#define SK_YAML_MAX_BYTES ((size_t)1 << 20)

enum sk_ynode_type {
	SK_Y_SCALAR = 0,
	SK_Y_MAP,
	SK_Y_SEQ,
	SK_Y_INVALID, /* an alias (refused and already reported) */
};

/* what a scalar means (YAML 1.2 core schema; yes/no/on/off are strings) */
enum sk_ykind {
	SK_YK_STRING = 0,
	SK_YK_NULL,
	SK_YK_BOOL,
	SK_YK_INT,    /* [-+]?[0-9]+ */
	SK_YK_FLOAT,  /* 1.5, 1e3, .inf, .nan */
	SK_YK_BADINT, /* 0x1f, 0o17: YAML integers we do not accept */
	SK_YK_MAP,
	SK_YK_SEQ,
	SK_YK_INVALID,
};

struct sk_ynode {
	enum sk_ynode_type type;
	enum sk_ykind kind;
	int line, col; /* 1-based, of the node's first character */
	size_t offset; /* byte offset of the first character */
	/* scalars */
	const char *text; /* NUL-terminated; may hold NULs (len says) */
	size_t len;
	bool quoted;    /* any style but plain, or tagged !!str */
	bool multiline; /* the scalar spans more than one line of the file */
	/* mappings: keys at 2i, values at 2i + 1; sequences: items */
	struct sk_ynode **kids;
	size_t n_kids;
};

struct sk_yerror {
	int line, col;
	char *message; /* in the arena */
	bool fatal;    /* the rest of the file was not read */
};

struct sk_yfile {
	struct sk_ynode **docs; /* non-empty documents, in order */
	size_t n_docs;
	size_t n_empty_docs;    /* documents with nothing in them (a trailing "---") */
	struct sk_yerror *errors;
	size_t n_errors;
	bool fatal;
};

/*
 * Reads every document of data.  Returns 0 (errors, if any, in out->errors:
 * the file's problems, not the caller's) or SK_ERROR when out of memory.
 * Everything lives in the arena.
 */
int sk_yaml_load(struct sk_yfile *out, const char *data, size_t len, struct sk_arena *arena);

/* map lookups: the first value for key, or NULL */
const struct sk_ynode *sk_ymap_get(const struct sk_ynode *map, const char *key);
const struct sk_ynode *sk_ymap_key(const struct sk_ynode *map, const char *key);

const char *sk_ykind_name(enum sk_ykind k);

/* the byte offset of a (1-based) line and column as libyaml counts them, or len */
size_t sk_yaml_offset(const char *data, size_t len, int line, int col);

#endif
