/*
 * yamltree.c - libyaml events to a tree with positions
 */
#include "specs/yamltree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/buf.h"
#include "common/error.h"

struct frame {
	struct sk_ynode *node;
	struct sk_buf kids; /* struct sk_ynode * each */
};

struct loader {
	struct sk_arena *arena;
	const char *data;
	size_t len;
	struct frame stack[SK_YAML_MAX_DEPTH + 1];
	int depth;
	size_t n_nodes;
	struct sk_ynode *root;
	struct sk_buf docs;   /* struct sk_ynode * */
	struct sk_buf errors; /* struct sk_yerror */
	size_t n_empty;
	bool fatal;
	bool oom;
};

const char *sk_ykind_name(enum sk_ykind k)
{
	switch (k) {
	case SK_YK_STRING:
		return "string";
	case SK_YK_NULL:
		return "null";
	case SK_YK_BOOL:
		return "boolean";
	case SK_YK_INT:
		return "integer";
	case SK_YK_FLOAT:
		return "number";
	case SK_YK_BADINT:
		return "non-decimal integer";
	case SK_YK_MAP:
		return "mapping";
	case SK_YK_SEQ:
		return "sequence";
	case SK_YK_INVALID:
		break;
	}
	return "alias";
}

static void add_error(struct loader *l, int line, int col, bool fatal, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_error(struct loader *l, int line, int col, bool fatal, const char *fmt, ...)
{
	struct sk_buf msg = SK_BUF_INIT;
	struct sk_yerror e;
	va_list ap;

	va_start(ap, fmt);
	if (sk_buf_vprintf(&msg, fmt, ap) < 0)
		l->oom = true;
	va_end(ap);
	e.line = line;
	e.col = col;
	e.fatal = fatal;
	e.message = (char *)sk_arena_strdup(l->arena, sk_buf_cstr(&msg));
	sk_buf_free(&msg);
	if (!e.message || sk_buf_add(&l->errors, &e, sizeof(e)) < 0)
		l->oom = true;
	if (fatal)
		l->fatal = true;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool is_float(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (n && (s[0] == '-' || s[0] == '+'))
		i++;
	if (n - i == 4 && (!strncmp(s + i, ".inf", 4) || !strncmp(s + i, ".Inf", 4) || !strncmp(s + i, ".INF", 4)))
		return true;
	if (i == 0 && n == 4 && (!strncmp(s, ".nan", 4) || !strncmp(s, ".NaN", 4) || !strncmp(s, ".NAN", 4)))
		return true;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t e0;

		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		e0 = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e0)
			return false;
	}
	return i == n;
}

/* YAML 1.2 core schema, decimal integers only */
static enum sk_ykind resolve_plain(const char *s, size_t n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE", NULL };
	size_t i;

	for (i = 0; nulls[i]; i++)
		if (n == strlen(nulls[i]) && !memcmp(s, nulls[i], n))
			return SK_YK_NULL;
	for (i = 0; bools[i]; i++)
		if (n == strlen(bools[i]) && !memcmp(s, bools[i], n))
			return SK_YK_BOOL;
	if (n > 1 && (s[0] == '-' || s[0] == '+') && all_digits(s + 1, n - 1))
		return SK_YK_INT;
	if (all_digits(s, n))
		return SK_YK_INT;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		for (i = 2; i < n; i++) {
			char c = s[i];

			if (!((c >= '0' && c <= '9') || (s[1] == 'x' && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))))
				break;
		}
		if (i == n)
			return SK_YK_BADINT;
	}
	if (is_float(s, n))
		return SK_YK_FLOAT;
	return SK_YK_STRING;
}

static struct sk_ynode *new_node(struct loader *l, enum sk_ynode_type type, const yaml_event_t *ev)
{
	struct sk_ynode *n;

	if (++l->n_nodes > SK_YAML_MAX_NODES) {
		add_error(l, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1, true,
			  "more than %d yaml nodes in one file", SK_YAML_MAX_NODES);
		return NULL;
	}
	n = sk_arena_calloc(l->arena, 1, sizeof(*n));
	if (!n) {
		l->oom = true;
		return NULL;
	}
	n->type = type;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	n->multiline = ev->end_mark.line != ev->start_mark.line;
	n->kind = type == SK_Y_MAP ? SK_YK_MAP : type == SK_Y_SEQ ? SK_YK_SEQ : SK_YK_INVALID;
	return n;
}

static void attach(struct loader *l, struct sk_ynode *n)
{
	if (l->depth == 0) {
		l->root = n;
		return;
	}
	if (sk_buf_add(&l->stack[l->depth - 1].kids, &n, sizeof(n)) < 0)
		l->oom = true;
}

static const char *const core_tags[] = {
	"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
	"tag:yaml.org,2002:float", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", NULL,
};

/* anchors and unknown tags; true when the tag forces a string */
static bool check_props(struct loader *l, const yaml_event_t *ev, const yaml_char_t *anchor, const yaml_char_t *tag)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;

	if (anchor)
		add_error(l, line, col, false, "yaml anchor '&%.40s' is not supported (write the value out)",
			  (const char *)anchor);
	if (!tag)
		return false;
	if (!strcmp((const char *)tag, "!") || !strcmp((const char *)tag, "tag:yaml.org,2002:str"))
		return true;
	for (size_t i = 0; core_tags[i]; i++)
		if (!strcmp((const char *)tag, core_tags[i]))
			return false;
	add_error(l, line, col, false, "yaml tag '%.60s' is not supported", (const char *)tag);
	return false;
}

static void on_scalar(struct loader *l, const yaml_event_t *ev)
{
	struct sk_ynode *n = new_node(l, SK_Y_SCALAR, ev);
	bool str = check_props(l, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
	char *t;

	if (!n)
		return;
	t = sk_arena_alloc(l->arena, ev->data.scalar.length + 1);
	if (!t) {
		l->oom = true;
		return;
	}
	memcpy(t, ev->data.scalar.value, ev->data.scalar.length);
	t[ev->data.scalar.length] = '\0';
	n->text = t;
	n->len = ev->data.scalar.length;
	n->quoted = str || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	n->kind = n->quoted ? SK_YK_STRING : resolve_plain(t, n->len);
	if (l->depth == 0 && !n->quoted && n->len == 0 && !ev->data.scalar.tag) {
		/* a document with nothing in it */
		l->root = NULL;
		l->n_empty++;
		return;
	}
	attach(l, n);
}

static void on_start(struct loader *l, const yaml_event_t *ev, enum sk_ynode_type type)
{
	struct sk_ynode *n;

	if (type == SK_Y_MAP)
		check_props(l, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
	else
		check_props(l, ev, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
	if (l->depth >= SK_YAML_MAX_DEPTH) {
		add_error(l, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1, true,
			  "yaml nested more than %d levels deep", SK_YAML_MAX_DEPTH);
		return;
	}
	n = new_node(l, type, ev);
	if (!n)
		return;
	attach(l, n);
	l->stack[l->depth].node = n;
	sk_buf_reset(&l->stack[l->depth].kids);
	l->depth++;
}

static void on_end(struct loader *l)
{
	struct frame *f;
	size_t n;

	if (l->depth == 0)
		return;
	f = &l->stack[--l->depth];
	n = f->kids.len / sizeof(struct sk_ynode *);
	f->node->n_kids = n;
	if (n && !(f->node->kids = sk_arena_memdup(l->arena, f->kids.ptr, f->kids.len))) {
		l->oom = true;
		return;
	}
	/* a mapping's last key may have no value only in broken input, which libyaml refuses */
	if (f->node->type == SK_Y_MAP && (n & 1))
		f->node->n_kids = n - 1;
}

/* line and column (1-based, in characters) of a byte offset */
static void line_col_of(const char *data, size_t len, size_t off, int *line, int *col)
{
	size_t i = 0;
	int ln = 1, cl = 1;

	if (off > len)
		off = len;
	while (i < off) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\n' || (c == '\r' && !(i + 1 < len && data[i + 1] == '\n'))) {
			ln++;
			cl = 1;
		} else if ((c & 0xc0) != 0x80) {
			cl++;
		}
		i++;
	}
	*line = ln;
	*col = cl;
}

/* the byte offset where a (1-based) line starts, or len */
static size_t line_start(const char *data, size_t len, int line)
{
	size_t i = 0;
	int ln = 1;

	while (ln < line && i < len) {
		if (data[i] == '\n' || (data[i] == '\r' && !(i + 1 < len && data[i + 1] == '\n')))
			ln++;
		i++;
	}
	return i;
}

/* a tab in the indentation of line (1-based): its column, or 0 */
static int indent_tab(const char *data, size_t len, int line)
{
	size_t i = line_start(data, len, line);
	int col = 1;

	while (i < len && (data[i] == ' ' || data[i] == '\t')) {
		if (data[i] == '\t')
			return col;
		i++;
		col++;
	}
	return 0;
}

static void syntax_error(struct loader *l, const yaml_parser_t *p)
{
	int line, col, tab;
	const char *problem = p->problem ? p->problem : "unknown problem";

	if (p->error == YAML_MEMORY_ERROR) {
		l->oom = true;
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		line_col_of(l->data, l->len, p->problem_offset, &line, &col);
		add_error(l, line, col, true, "yaml: %s", problem);
		return;
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	/* tabs: libyaml's "cannot start any token" says little */
	tab = indent_tab(l->data, l->len, line);
	if (tab) {
		add_error(l, line, tab, true, "tab character in indentation (indent with spaces)");
		return;
	}
	if (p->error == YAML_SCANNER_ERROR && !strcmp(problem, "found character that cannot start any token")) {
		size_t at = sk_yaml_offset(l->data, l->len, line, col);
		if (at < l->len && (l->data[at] == '@' || l->data[at] == '`')) {
			add_error(l, line, col, true, "yaml: %s (quote values that start with '%c')", problem,
				  l->data[at]);
			return;
		}
	}
	if (p->context && strstr(p->context, "alias")) {
		add_error(l, line, col, true, "yaml: %s %s (quote values that start with '*', e.g. \"* * * * *\")",
			  problem, p->context);
		return;
	}
	if (p->context)
		add_error(l, line, col, true, "yaml: %s %s at line %d column %d", problem, p->context,
			  (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	else
		add_error(l, line, col, true, "yaml: %s", problem);
}

static void finish_document(struct loader *l)
{
	if (l->root && sk_buf_add(&l->docs, &l->root, sizeof(l->root)) < 0)
		l->oom = true;
	l->root = NULL;
	l->depth = 0;
}

int sk_yaml_load(struct sk_yfile *out, const char *data, size_t len, struct sk_arena *arena)
{
	struct loader *l;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	l = calloc(1, sizeof(*l));
	if (!l)
		return sk_error_set_oom();
	l->arena = arena;
	l->data = data;
	l->len = len;
	sk_buf_init(&l->docs, 0);
	sk_buf_init(&l->errors, 0);
	for (int i = 0; i <= SK_YAML_MAX_DEPTH; i++)
		sk_buf_init(&l->stack[i].kids, (size_t)SK_YAML_MAX_NODES * sizeof(void *) + 1);

	if (len > SK_YAML_MAX_BYTES) {
		add_error(l, 1, 1, true, "file is larger than %zu MiB (%zu bytes)", SK_YAML_MAX_BYTES >> 20, len);
		goto collect;
	}
	if (!yaml_parser_initialize(&parser)) {
		l->oom = true;
		goto collect;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done && !l->fatal && !l->oom) {
		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_error(l, &parser);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			l->root = NULL;
			l->depth = 0;
			break;
		case YAML_DOCUMENT_END_EVENT:
			finish_document(l);
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(l, &ev);
			break;
		case YAML_ALIAS_EVENT: {
			struct sk_ynode *n = new_node(l, SK_Y_INVALID, &ev);

			add_error(l, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1, false,
				  "yaml alias '*%.40s' is not supported (write the value out, and quote values that start with '*')",
				  (const char *)ev.data.alias.anchor);
			if (n)
				attach(l, n);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
			on_start(l, &ev, SK_Y_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			on_start(l, &ev, SK_Y_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(l);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);

collect:
	if (l->oom) {
		rc = sk_error_set_oom();
		goto done;
	}
	out->n_docs = l->docs.len / sizeof(struct sk_ynode *);
	out->n_errors = l->errors.len / sizeof(struct sk_yerror);
	if ((out->n_docs && !(out->docs = sk_arena_memdup(arena, l->docs.ptr, l->docs.len))) ||
	    (out->n_errors && !(out->errors = sk_arena_memdup(arena, l->errors.ptr, l->errors.len)))) {
		rc = SK_ERROR;
		goto done;
	}
	out->n_empty_docs = l->n_empty;
	out->fatal = l->fatal;
done:
	for (int i = 0; i <= SK_YAML_MAX_DEPTH; i++)
		sk_buf_free(&l->stack[i].kids);
	sk_buf_free(&l->docs);
	sk_buf_free(&l->errors);
	free(l);
	return rc;
}

size_t sk_yaml_offset(const char *data, size_t len, int line, int col)
{
	size_t at = line_start(data, len, line);

	for (int c = 1; at < len && c < col; c++) {
		at++;
		while (at < len && ((unsigned char)data[at] & 0xc0) == 0x80)
			at++;
	}
	return at;
}

/* where key's key node stands in map->kids (its value follows it), or NULL */
static struct sk_ynode *const *find_key(const struct sk_ynode *map, const char *key)
{
	size_t n;

	if (!map || map->type != SK_Y_MAP)
		return NULL;
	n = strlen(key);
	for (size_t i = 0; i + 1 < map->n_kids; i += 2) {
		const struct sk_ynode *k = map->kids[i];

		if (k->type == SK_Y_SCALAR && k->len == n && !memcmp(k->text, key, n))
			return &map->kids[i];
	}
	return NULL;
}

const struct sk_ynode *sk_ymap_key(const struct sk_ynode *map, const char *key)
{
	struct sk_ynode *const *at = find_key(map, key);

	return at ? at[0] : NULL;
}

const struct sk_ynode *sk_ymap_get(const struct sk_ynode *map, const char *key)
{
	struct sk_ynode *const *at = find_key(map, key);

	return at ? at[1] : NULL;
}
