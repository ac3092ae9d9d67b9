/*
 * guardrails.c - the guardrails file: YAML to struct sk_guardrails
 */
#include "specs/guardrails.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "specs/yamltree.h"

static const char *const names[SK_GR_COUNT] = {
	"minRetentionDays", "requireReplication", "requireDeletionProtection", "minSnapshots",
	"minCopies",        "minRetention",       "deletionBudget",
};

const char *sk_guardrail_name(enum sk_guardrail_kind k)
{
	return (size_t)k < SK_GR_COUNT ? names[k] : "unknown";
}

struct gctx {
	struct sk_guardrails *g;
	struct sk_buf errors;
	size_t n_errors;
	bool oom;
};

static void diag(struct gctx *c, const struct sk_ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void diag(struct gctx *c, const struct sk_ynode *at, const char *fmt, ...)
{
	va_list ap;

	if (c->n_errors++)
		sk_buf_adds(&c->errors, "\n");
	sk_buf_printf(&c->errors, "%s:%d:%d: ", c->g->file, at ? at->line : 1, at ? at->col : 1);
	va_start(ap, fmt);
	sk_buf_vprintf(&c->errors, fmt, ap);
	va_end(ap);
}

static bool is_scalar(const struct sk_ynode *n, enum sk_ykind k)
{
	return n && n->type == SK_Y_SCALAR && n->kind == k;
}

static bool key_is(const struct sk_ynode *k, const char *s)
{
	return k->type == SK_Y_SCALAR && strlen(s) == k->len && !memcmp(k->text, s, k->len);
}

/* every key of map is one of allowed (NULL-terminated), none twice */
static void check_keys(struct gctx *c, const struct sk_ynode *map, const char *where, const char *const *allowed)
{
	size_t i, j, k;

	for (i = 0; i + 1 < map->n_kids; i += 2) {
		const struct sk_ynode *key = map->kids[i];
		bool ok = false;
		if (key->type != SK_Y_SCALAR) {
			diag(c, key, "%s: keys must be strings", where);
			continue;
		}
		for (k = 0; allowed[k] && !ok; k++)
			ok = key_is(key, allowed[k]);
		if (!ok)
			diag(c, key, "%s: unknown key '%.64s'", where, key->text);
		for (j = 0; j < i; j += 2)
			if (map->kids[j]->type == SK_Y_SCALAR && key->len == map->kids[j]->len &&
			    !memcmp(key->text, map->kids[j]->text, key->len))
				diag(c, key, "%s: key '%.64s' given twice (first at line %d)", where, key->text,
				     map->kids[j]->line);
	}
}

static bool want_int(struct gctx *c, const struct sk_ynode *n, const char *label, int min, int max, int *out)
{
	long long v;
	char *end;

	if (is_scalar(n, SK_YK_INT)) {
		errno = 0;
		v = strtoll(n->text, &end, 10);
		if (!errno && !*end && v >= min && v <= max) {
			*out = (int)v;
			return true;
		}
	}
	diag(c, n, "%s must be an integer %d..%d, got '%.64s'", label, min, max,
	     n->type == SK_Y_SCALAR ? n->text : n->type == SK_Y_MAP ? "a mapping" : "a sequence");
	return false;
}

/* "7d", "24h", "1d12h", "1y": restic's durations, a month 30 days and a year 365 */
static bool want_duration(struct gctx *c, const struct sk_ynode *n, const char *label, int64_t *out)
{
	struct sk_duration d;

	if (is_scalar(n, SK_YK_STRING) && sk_duration_parse(&d, n->text) == 0) {
		*out = (((int64_t)d.years * 365 + (int64_t)d.months * 30 + d.days) * 24 + d.hours) * 3600;
		if (*out > 0 && *out <= (int64_t)100 * 365 * 86400)
			return true;
	}
	diag(c, n, "%s must be a duration such as 7d, 24h or 1d12h (longer than zero), got '%.64s'", label,
	     n->type == SK_Y_SCALAR ? n->text : "a collection");
	return false;
}

static const char *gdup(struct gctx *c, const struct sk_ynode *n)
{
	const char *s = sk_arena_strndup(&c->g->arena, n->text, n->len);

	if (!s)
		c->oom = true;
	return s;
}

static void parse_selector(struct gctx *c, struct sk_guardrail_rule *r, const struct sk_ynode *sel)
{
	static const char *const keys[] = { "instances", "tags", NULL };
	const struct sk_ynode *v;
	size_t i;

	if (sel->type != SK_Y_MAP) {
		diag(c, sel, "selector must be a mapping with instances or tags");
		return;
	}
	check_keys(c, sel, "selector", keys);
	if (sk_ymap_get(sel, "instances") && sk_ymap_get(sel, "tags"))
		diag(c, sel, "selector: give instances or tags, not both");
	if ((v = sk_ymap_get(sel, "instances"))) {
		if (v->type != SK_Y_SEQ || !v->n_kids) {
			diag(c, v, "selector.instances must be a non-empty list of instance identifiers");
			return;
		}
		r->instances = sk_arena_calloc(&c->g->arena, v->n_kids, sizeof(*r->instances));
		if (!r->instances) {
			c->oom = true;
			return;
		}
		for (i = 0; i < v->n_kids; i++) {
			if (!is_scalar(v->kids[i], SK_YK_STRING) || !v->kids[i]->len) {
				diag(c, v->kids[i], "selector.instances: each item must be an instance identifier");
				continue;
			}
			r->instances[r->n_instances++] = gdup(c, v->kids[i]);
		}
	} else if ((v = sk_ymap_get(sel, "tags"))) {
		if (v->type != SK_Y_MAP || !v->n_kids) {
			diag(c, v, "selector.tags must be a non-empty mapping of tag keys to values");
			return;
		}
		r->tags = sk_arena_calloc(&c->g->arena, v->n_kids / 2, sizeof(*r->tags));
		if (!r->tags) {
			c->oom = true;
			return;
		}
		for (i = 0; i + 1 < v->n_kids; i += 2) {
			const struct sk_ynode *k = v->kids[i], *val = v->kids[i + 1];
			if (k->type != SK_Y_SCALAR || val->type != SK_Y_SCALAR || val->kind == SK_YK_NULL) {
				diag(c, val, "selector.tags: each tag must map a key to a string");
				continue;
			}
			r->tags[r->n_tags].key = (char *)gdup(c, k);
			r->tags[r->n_tags].value = (char *)gdup(c, val);
			r->tags[r->n_tags].pos = (struct sk_pos){ c->g->file, k->line, k->col };
			r->n_tags++;
		}
	} else {
		diag(c, sel, "selector must name instances or tags (leave it out to select every instance)");
	}
}

static void parse_budget(struct gctx *c, struct sk_guardrail_rule *r, const struct sk_ynode *v)
{
	static const char *const keys[] = { "percent", "count", "window", NULL };
	const struct sk_ynode *x;
	bool ok = true;

	if (v->type != SK_Y_MAP) {
		diag(c, v, "deletionBudget must be a mapping such as {percent: 10, window: 24h}");
		return;
	}
	check_keys(c, v, "deletionBudget", keys);
	if (!!sk_ymap_get(v, "percent") == !!sk_ymap_get(v, "count")) {
		diag(c, v, "deletionBudget needs percent or count (one of them)");
		ok = false;
	}
	if ((x = sk_ymap_get(v, "percent")) && !want_int(c, x, "deletionBudget.percent", 1, 100, &r->budget_percent))
		ok = false;
	if ((x = sk_ymap_get(v, "count")) && !want_int(c, x, "deletionBudget.count", 1, 10000, &r->budget_count))
		ok = false;
	if (!(x = sk_ymap_get(v, "window"))) {
		diag(c, v, "deletionBudget needs a window such as 24h");
		ok = false;
	} else if (!want_duration(c, x, "deletionBudget.window", &r->budget_window)) {
		ok = false;
	}
	r->has[SK_GR_DELETION_BUDGET] = ok;
	if (ok && r->budget_window > c->g->longest_window)
		c->g->longest_window = r->budget_window;
}

static void parse_rule(struct gctx *c, struct sk_guardrail_rule *r, const struct sk_ynode *n)
{
	static const char *const keys[] = { "selector",	    "minRetentionDays", "requireReplication",
					    "requireDeletionProtection", "minSnapshots",	"minCopies",
					    "minRetention", "deletionBudget", NULL };
	const struct sk_ynode *v;
	size_t i;
	int k;

	r->pos = (struct sk_pos){ c->g->file, n->line, n->col };
	if (n->type != SK_Y_MAP) {
		diag(c, n, "each rule must be a mapping");
		return;
	}
	check_keys(c, n, "rule", keys);
	for (i = 0; i + 1 < n->n_kids; i += 2)
		for (k = 0; k < SK_GR_COUNT; k++)
			if (key_is(n->kids[i], names[k]))
				r->at[k] = (struct sk_pos){ c->g->file, n->kids[i]->line, n->kids[i]->col };
	if ((v = sk_ymap_get(n, "selector")))
		parse_selector(c, r, v);
	if ((v = sk_ymap_get(n, "minRetentionDays")))
		r->has[SK_GR_MIN_RETENTION_DAYS] = want_int(c, v, "minRetentionDays", 1, 35, &r->min_retention_days);
	if ((v = sk_ymap_get(n, "minSnapshots")))
		r->has[SK_GR_MIN_SNAPSHOTS] = want_int(c, v, "minSnapshots", 1, 10000, &r->min_snapshots);
	if ((v = sk_ymap_get(n, "minCopies")))
		r->has[SK_GR_MIN_COPIES] = want_int(c, v, "minCopies", 1, 10000, &r->min_copies);
	if ((v = sk_ymap_get(n, "minRetention")))
		r->has[SK_GR_MIN_RETENTION] = want_duration(c, v, "minRetention", &r->min_age);
	for (k = SK_GR_REQUIRE_REPLICATION; k <= SK_GR_REQUIRE_DELETION_PROTECTION; k++) {
		if (!(v = sk_ymap_get(n, names[k])))
			continue;
		if (!is_scalar(v, SK_YK_BOOL))
			diag(c, v, "%s must be true or false, got '%.64s'", names[k],
			     v->type == SK_Y_SCALAR ? v->text : "a collection");
		else
			r->has[k] = !strcmp(v->text, "true");
	}
	if ((v = sk_ymap_get(n, "deletionBudget")))
		parse_budget(c, r, v);
}

static void parse_doc(struct gctx *c, const struct sk_ynode *doc)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", NULL };
	static const char *const spec_keys[] = { "rules", NULL };
	const struct sk_ynode *v, *spec, *rules;
	size_t i;

	if (doc->type != SK_Y_MAP) {
		diag(c, doc, "a guardrails file is a mapping with apiVersion, kind and spec");
		return;
	}
	check_keys(c, doc, "guardrails", top);
	v = sk_ymap_get(doc, "apiVersion");
	if (!v || !is_scalar(v, SK_YK_STRING) || strcmp(v->text, "snapkeep/v1"))
		diag(c, v ? v : doc, "apiVersion must be 'snapkeep/v1'");
	v = sk_ymap_get(doc, "kind");
	if (!v || !is_scalar(v, SK_YK_STRING) || strcmp(v->text, "Guardrails"))
		diag(c, v ? v : doc, "kind must be 'Guardrails' (policies' kinds do not belong in a guardrails file)");
	spec = sk_ymap_get(doc, "spec");
	if (!spec || spec->type != SK_Y_MAP) {
		diag(c, spec ? spec : doc, "spec must be a mapping with rules");
		return;
	}
	check_keys(c, spec, "spec", spec_keys);
	rules = sk_ymap_get(spec, "rules");
	if (!rules || rules->type != SK_Y_SEQ || !rules->n_kids) {
		diag(c, rules ? rules : spec, "spec.rules must be a non-empty list of rules");
		return;
	}
	c->g->rules = sk_arena_calloc(&c->g->arena, rules->n_kids, sizeof(*c->g->rules));
	if (!c->g->rules) {
		c->oom = true;
		return;
	}
	for (i = 0; i < rules->n_kids; i++)
		parse_rule(c, &c->g->rules[c->g->n_rules++], rules->kids[i]);
}

int sk_guardrails_parse(struct sk_guardrails **out, const char *file, const char *data, size_t len)
{
	struct gctx c;
	struct sk_yfile yf;
	size_t i;
	int rc = -1;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	sk_buf_init(&c.errors, 0);
	if (!(c.g = calloc(1, sizeof(*c.g))))
		return sk_error_set_oom();
	if (!(c.g->file = sk_arena_strdup(&c.g->arena, file ? file : "guardrails")))
		goto done;
	if (len > SK_YAML_MAX_BYTES) {
		sk_error_set(SK_ERR_POLICY, "%s: the guardrails file is larger than 1 MiB", c.g->file);
		goto done;
	}
	if (sk_yaml_load(&yf, data, len, &c.g->arena) < 0)
		goto done;
	for (i = 0; i < yf.n_errors; i++) {
		if (c.n_errors++)
			sk_buf_adds(&c.errors, "\n");
		sk_buf_printf(&c.errors, "%s:%d:%d: %s", c.g->file, yf.errors[i].line, yf.errors[i].col,
			      yf.errors[i].message);
	}
	if (!yf.fatal) {
		if (yf.n_docs != 1)
			diag(&c, yf.n_docs ? yf.docs[1] : NULL, "a guardrails file holds exactly one document, found %zu",
			     yf.n_docs);
		else
			parse_doc(&c, yf.docs[0]);
	}
	if (c.oom) {
		sk_error_set_oom();
		goto done;
	}
	if (c.n_errors) {
		sk_error_set(SK_ERR_POLICY, "%s", sk_buf_cstr(&c.errors));
		goto done;
	}
	*out = c.g;
	c.g = NULL;
	rc = 0;
done:
	sk_buf_free(&c.errors);
	sk_guardrails_free(c.g);
	return rc;
}

int sk_guardrails_load(struct sk_guardrails **out, const char *path)
{
	struct sk_buf b = SK_BUF_INIT;
	char chunk[8192];
	ssize_t n;
	int fd, rc = -1;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return sk_error_set(SK_ERR_CONFIG, "cannot read guardrails file '%s': %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sk_error_set(SK_ERR_CONFIG, "cannot read guardrails file '%s': %s", path, strerror(errno));
			goto done;
		}
		if (b.len + (size_t)n > SK_YAML_MAX_BYTES) {
			sk_error_set(SK_ERR_CONFIG, "guardrails file '%s' is larger than 1 MiB", path);
			goto done;
		}
		if (sk_buf_add(&b, chunk, (size_t)n) < 0)
			goto done;
	}
	rc = sk_guardrails_parse(out, path, b.ptr ? b.ptr : "", b.len);
done:
	close(fd);
	sk_buf_free(&b);
	return rc;
}

void sk_guardrails_free(struct sk_guardrails *g)
{
	if (!g)
		return;
	sk_arena_free(&g->arena);
	free(g);
}
