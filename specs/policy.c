/*
 * policy.c - backup policies: YAML documents to typed structs
 *
 * The set: every file is read into a tree (yamltree.c) and every document
 * checked against the format in specs/README.md, then the checks that need
 * the whole set run (policy_check.c), and the diagnostics are sorted by
 * file, line and column.  Here too are what a document is (apiVersion,
 * kind, metadata.name; its spec is policy_spec.c's or policy_settings.c's)
 * and the small public readers of policies: selection, quotas, durations,
 * backup windows.
 *
 * The parser's parts share one context (policy_parse.h); its tables are in
 * policy_keys.c.
 */
#include "specs/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "specs/policy_check.h"
#include "specs/policy_keys.h"
#include "specs/policy_parse.h"
#include "specs/policy_settings.h"
#include "specs/policy_spec.h"
#include "specs/source.h"
#include "specs/yamltree.h"

#define API_VERSION "snapkeep/v1"
#define DEFAULT_QUOTA 100
#define DEFAULT_CONCURRENCY 4

const struct sk_policy_keyset *sk_policy_keysets(void)
{
	return sk_policy_keys_sets;
}

const struct sk_policy_pattern *sk_policy_patterns(void)
{
	return sk_policy_keys_patterns;
}

/* ---- documents and files ---- */

static void parse_document(struct sk_pctx *p, const struct sk_ynode *root)
{
	const struct sk_ynode *v, *meta, *spec, *spec_key, *name_node = NULL;
	char d[SK_PCTX_DESCRIBE_MAX], w[SK_PCTX_SHOW_MAX];
	bool api_ok = false, settings;
	enum { KIND_NONE, KIND_POLICY, KIND_SETTINGS } kind = KIND_NONE;
	char *name = NULL;

	p->who[0] = '\0';
	if (sk_pctx_is_alias(root))
		return;
	if (root->type != SK_Y_MAP) {
		sk_pctx_diag(p, root, "a document must be a mapping (apiVersion, kind, metadata, spec), got %s",
			     sk_pctx_describe(d, root));
		return;
	}
	/* the name first, so that every message can say whose it is */
	v = sk_pctx_field(root, "kind", NULL);
	settings = v && v->type == SK_Y_SCALAR && v->kind == SK_YK_STRING && !strcmp(v->text, "Settings");
	if (!(meta = sk_pctx_field(root, "metadata", NULL))) {
		sk_pctx_diag(p, root, "missing 'metadata' (metadata: {name: ...})");
	} else if (sk_pctx_want_map(p, meta, "metadata")) {
		sk_pctx_check_keys(p, meta, "metadata", sk_policy_keys_metadata);
		if (!(name_node = sk_pctx_field(meta, "name", NULL))) {
			sk_pctx_diag(p, sk_ymap_key(root, "metadata"), "missing 'name' in 'metadata'");
		} else if (sk_pctx_want_pattern(p, name_node, "metadata.name", SK_POLICY_RX_NAME, SK_POLICY_MAX_NAME,
						"letters, digits, '-', '_' and '.', starting with a letter or digit",
						&name)) {
			snprintf(p->who, sizeof(p->who), "%s '%s': ", settings ? "settings" : "policy", name);
		}
	}
	sk_pctx_check_keys(p, root, NULL, sk_policy_keys_top);
	if (!(v = sk_pctx_field(root, "apiVersion", NULL))) {
		sk_pctx_diag(p, root, "missing 'apiVersion' (apiVersion: " API_VERSION ")");
	} else if (sk_pctx_want_string(p, v, "apiVersion")) {
		if (strcmp(v->text, API_VERSION) != 0)
			sk_pctx_diag(p, v, "unknown apiVersion '%s' (expected '" API_VERSION "')", SK_PCTX_SHOWN(w, v));
		else
			api_ok = true;
	}
	if (!(v = sk_pctx_field(root, "kind", NULL))) {
		sk_pctx_diag(p, root, "missing 'kind' (BackupPolicy or Settings)");
	} else if (sk_pctx_want_string(p, v, "kind")) {
		static const char *const kinds[] = { "BackupPolicy", "Settings", NULL };

		if (!strcmp(v->text, "BackupPolicy")) {
			kind = KIND_POLICY;
		} else if (!strcmp(v->text, "Settings")) {
			kind = KIND_SETTINGS;
		} else {
			const char *near = sk_policy_keys_nearest(v->text, kinds);

			if (near)
				sk_pctx_diag(p, v, "unknown kind '%s' (did you mean '%s'?)", SK_PCTX_SHOWN(w, v), near);
			else
				sk_pctx_diag(p, v, "unknown kind '%s' (expected BackupPolicy or Settings)",
					     SK_PCTX_SHOWN(w, v));
		}
	}
	if (!api_ok || kind == KIND_NONE)
		return; /* what the spec means is unknown */
	spec = sk_pctx_field(root, "spec", &spec_key);
	if (kind == KIND_SETTINGS)
		sk_policy_settings_parse(p, root, spec);
	else if (name)
		sk_policy_spec_parse(p, root, spec_key, spec, name, name_node);
	else if (spec && sk_pctx_want_map(p, spec, "spec")) {
		/* no usable name: still check the spec, then drop it */
		size_t before = p->policies.len;

		sk_policy_spec_parse(p, root, spec_key, spec, NULL, NULL);
		sk_buf_truncate(&p->policies, before);
	} else if (!spec) {
		sk_pctx_diag(p, root, "missing 'spec' (regions, selector and what to manage)");
	}
}

static void parse_file(struct sk_pctx *p, const char *file, const char *data, size_t len)
{
	struct sk_arena tree = SK_ARENA_INIT;
	struct sk_yfile yf;

	p->file = file;
	p->data = data;
	p->len = len;
	p->who[0] = '\0';
	if (sk_yaml_load(&yf, data, len, &tree) < 0) {
		p->oom = true;
		goto done;
	}
	for (size_t i = 0; i < yf.n_errors; i++)
		sk_pctx_add_diag(p, file, yf.errors[i].line, yf.errors[i].col, yf.errors[i].message);
	for (size_t i = 0; i < yf.n_docs; i++)
		parse_document(p, yf.docs[i]);
	if (yf.n_docs == 0 && yf.n_errors == 0)
		sk_pctx_add_diag(p, file, 1, 1, "empty file (expected a BackupPolicy or Settings document)");
done:
	sk_arena_free(&tree);
}

bool sk_policy_conflicts(const struct sk_policy *a, const struct sk_policy *b, struct sk_buf *why)
{
	if (!a || !b)
		return false;
	return sk_policy_check_conflicts(a, b, why, NULL);
}

/* ---- the set ---- */

static size_t file_index(const struct sk_policyset *set, const char *file)
{
	if (!file)
		return 0;
	for (size_t i = 0; i < set->n_files; i++)
		if (set->files[i] == file)
			return i + 1;
	return set->n_files + 1;
}

struct sortable {
	struct sk_policy_diag d;
	size_t file, seq;
};

static int cmp_diag(const void *x, const void *y)
{
	const struct sortable *a = x, *b = y;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->d.pos.line != b->d.pos.line)
		return a->d.pos.line < b->d.pos.line ? -1 : 1;
	if (a->d.pos.col != b->d.pos.col)
		return a->d.pos.col < b->d.pos.col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int finish(struct sk_pctx *p)
{
	struct sk_policyset *set = p->set;
	size_t n;
	struct sortable *s;

	set->n_policies = p->policies.len / sizeof(struct sk_policy);
	if (set->n_policies) {
		set->policies = sk_arena_alloc(&set->arena, p->policies.len);
		if (!set->policies)
			return sk_error_set_oom();
		memcpy(set->policies, p->policies.ptr, p->policies.len);
	}
	if (set->settings.present || p->quotas.len) {
		set->settings.n_region_quotas = p->quotas.len / sizeof(struct sk_settings_quota);
		if (set->settings.n_region_quotas) {
			set->settings.region_quotas = sk_arena_alloc(&set->arena, p->quotas.len);
			if (!set->settings.region_quotas)
				return sk_error_set_oom();
			memcpy(set->settings.region_quotas, p->quotas.ptr, p->quotas.len);
		}
	}
	sk_policy_check_set(p, set->policies, set->n_policies);
	sk_policy_settings_check_accounts(p, set->policies, set->n_policies);
	if (set->n_policies == 0 && p->diags.len == 0) {
		struct sk_pos none = { NULL, 0, 0 };

		if (set->n_files == 0)
			sk_pctx_diag_pos(p, &none, "no policy files (*.yaml, *.yml) found");
		else
			sk_pctx_diag_pos(p, &none, "no BackupPolicy document found in %zu file%s", set->n_files,
					 set->n_files == 1 ? "" : "s");
	}
	if (p->oom)
		return sk_error_set_oom();

	n = p->diags.len / sizeof(struct sk_policy_diag);
	if (n == 0)
		return 0;
	s = malloc(n * sizeof(*s));
	if (!s)
		return sk_error_set_oom();
	for (size_t i = 0; i < n; i++) {
		s[i].d = ((struct sk_policy_diag *)p->diags.ptr)[i];
		s[i].file = file_index(set, s[i].d.pos.file);
		s[i].seq = i;
	}
	qsort(s, n, sizeof(*s), cmp_diag);
	set->diags = sk_arena_alloc(&set->arena, n * sizeof(*set->diags));
	if (!set->diags) {
		free(s);
		return sk_error_set_oom();
	}
	for (size_t i = 0; i < n; i++)
		set->diags[i] = s[i].d;
	set->n_diags = n;
	free(s);
	{
		struct sk_buf first = SK_BUF_INIT;

		sk_policy_diag_format(&first, &set->diags[0]);
		sk_error_set(SK_ERR_POLICY, "%zu error%s in policies: %s", n, n == 1 ? "" : "s", sk_buf_cstr(&first));
		sk_buf_free(&first);
	}
	return SK_ERROR;
}

static struct sk_policyset *new_set(void)
{
	struct sk_policyset *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	set->arena = (struct sk_arena)SK_ARENA_INIT;
	set->settings.snapshot_quota = DEFAULT_QUOTA;
	set->settings.price_per_gb_month = SK_DEFAULT_PRICE_PER_GB_MONTH;
	set->settings.transfer_price_per_gb = SK_DEFAULT_TRANSFER_PRICE_PER_GB;
	set->settings.concurrency = DEFAULT_CONCURRENCY;
	set->settings.copies_in_flight = SK_COPIES_IN_FLIGHT_MAX;
	set->settings.parallel = SK_DEFAULT_PARALLEL;
	return set;
}

static int load_files(struct sk_policyset **out, const struct sk_source *src, const struct sk_source_file *files,
		      size_t n)
{
	struct sk_pctx p;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.set = new_set();
	if (!p.set)
		return sk_error_set_oom();
	sk_buf_init(&p.diags, 0);
	sk_buf_init(&p.policies, 0);
	sk_buf_init(&p.quotas, 0);
	if (src) {
		memcpy(p.set->commit, src->commit, sizeof(p.set->commit));
		p.set->commit[40] = '\0';
		p.set->subject = src->subject ? (char *)sk_arena_strdup(&p.set->arena, src->subject) : NULL;
		p.set->ref = src->ref ? (char *)sk_arena_strdup(&p.set->arena, src->ref) : NULL;
		p.set->signer = src->signer;
	}
	if (n) {
		p.set->files = sk_arena_calloc(&p.set->arena, n, sizeof(char *));
		if (!p.set->files)
			p.oom = true;
	}
	for (size_t i = 0; i < n && !p.oom; i++) {
		const char *path = files[i].path ? files[i].path : "";

		p.set->files[i] = sk_pctx_strdup(&p, path, strlen(path));
		if (!p.set->files[i])
			break;
		p.set->n_files = i + 1;
		parse_file(&p, p.set->files[i], files[i].data ? files[i].data : "", files[i].data ? files[i].len : 0);
	}
	rc = finish(&p);
	sk_buf_free(&p.diags);
	sk_buf_free(&p.policies);
	sk_buf_free(&p.quotas);
	if (rc < 0 && sk_error_last()->klass == SK_ERR_NOMEM) {
		sk_policyset_free(p.set);
		return rc;
	}
	*out = p.set;
	return rc;
}

int sk_policyset_load(struct sk_policyset **out, const struct sk_source *src)
{
	if (!src) {
		*out = NULL;
		return sk_error_set(SK_ERR_INVALID, "no policy source");
	}
	return load_files(out, src, src->files, src->n_files);
}

int sk_policyset_parse_buffer(struct sk_policyset **out, const char *file, const char *data, size_t len)
{
	struct sk_source_file f;

	f.path = (char *)(file ? file : "<input>");
	f.data = (char *)data;
	f.len = data ? len : 0;
	return load_files(out, NULL, &f, 1);
}

void sk_policyset_free(struct sk_policyset *set)
{
	if (!set)
		return;
	sk_arena_free(&set->arena);
	free(set);
}

void sk_policy_diag_format(struct sk_buf *out, const struct sk_policy_diag *d)
{
	if (d->pos.file && d->pos.line > 0)
		sk_buf_printf(out, "%s:%d:%d: %s", d->pos.file, d->pos.line, d->pos.col, d->message);
	else if (d->pos.file)
		sk_buf_printf(out, "%s: %s", d->pos.file, d->message);
	else
		sk_buf_adds(out, d->message);
}

int sk_settings_quota(const struct sk_settings *s, const char *region)
{
	if (!s)
		return DEFAULT_QUOTA;
	for (size_t i = 0; region && i < s->n_region_quotas; i++)
		if (s->region_quotas[i].region && !strcmp(s->region_quotas[i].region, region))
			return s->region_quotas[i].quota;
	return s->snapshot_quota > 0 ? s->snapshot_quota : DEFAULT_QUOTA;
}

bool sk_policy_in_account(const struct sk_policy *p, const char *account)
{
	if (!p->n_accounts)
		return true;
	for (size_t i = 0; account && i < p->n_accounts; i++)
		if (!strcmp(p->accounts[i].name, account))
			return true;
	return false;
}

const struct sk_settings_account *sk_settings_account(const struct sk_settings *s, const char *account)
{
	for (size_t i = 0; account && i < s->n_accounts; i++)
		if (!strcmp(s->accounts[i].id, account))
			return &s->accounts[i];
	return NULL;
}

const struct sk_policy *sk_policyset_policy(const struct sk_policyset *set, const char *name)
{
	for (size_t i = 0; set && name && i < set->n_policies; i++)
		if (!strcmp(set->policies[i].name, name))
			return &set->policies[i];
	return NULL;
}

double sk_settings_price(const struct sk_settings *s, const char *region)
{
	if (!s)
		return SK_DEFAULT_PRICE_PER_GB_MONTH;
	for (size_t i = 0; region && i < s->n_region_prices; i++)
		if (!strcmp(s->region_prices[i].region, region))
			return s->region_prices[i].price;
	return s->price_per_gb_month >= 0 ? s->price_per_gb_month : SK_DEFAULT_PRICE_PER_GB_MONTH;
}

bool sk_policy_has_region(const struct sk_policy *p, const char *region)
{
	if (!p || !region)
		return false;
	for (size_t i = 0; i < p->n_regions; i++)
		if (!strcmp(p->regions[i].name, region))
			return true;
	return false;
}

bool sk_policy_excludes(const struct sk_policy *p, const char *instance, const char *const *tag_keys,
			const char *const *tag_values, size_t n_tags)
{
	for (size_t i = 0; instance && i < p->n_exclude_instances; i++)
		if (!strcmp(p->exclude_instances[i].name, instance))
			return true;
	for (size_t i = 0; i < p->n_exclude_tags; i++)
		for (size_t j = 0; j < n_tags; j++)
			if (tag_keys[j] && tag_values[j] && !strcmp(tag_keys[j], p->exclude_tags[i].key) &&
			    !strcmp(tag_values[j], p->exclude_tags[i].value))
				return true;
	return false;
}

bool sk_policy_selects(const struct sk_policy *p, const char *region, const char *instance,
		       const char *const *tag_keys, const char *const *tag_values, size_t n_tags)
{
	if (!sk_policy_has_region(p, region) || !instance)
		return false;
	if (p->n_instances) {
		for (size_t i = 0; i < p->n_instances; i++)
			if (!strcmp(p->instances[i].name, instance))
				return true;
		return false;
	}
	if (!p->n_selector_tags || sk_policy_excludes(p, instance, tag_keys, tag_values, n_tags))
		return false;
	for (size_t i = 0; i < p->n_selector_tags; i++) {
		bool found = false;

		for (size_t j = 0; j < n_tags && !found; j++)
			found = tag_keys[j] && tag_values[j] && !strcmp(tag_keys[j], p->selector_tags[i].key) &&
				!strcmp(tag_values[j], p->selector_tags[i].value);
		if (!found)
			return false;
	}
	return true;
}

/* ---- durations and windows ---- */

int sk_duration_parse(struct sk_duration *out, const char *s)
{
	static const char units[] = "ymdh";
	int *slots[] = { &out->years, &out->months, &out->days, &out->hours };
	size_t next = 0;
	const char *p = s;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return sk_error_set(SK_ERR_POLICY, "duration is empty");
	while (*p) {
		long v = 0;
		int digits = 0;
		const char *u;

		while (*p >= '0' && *p <= '9') {
			if (++digits > 5)
				return sk_error_set(SK_ERR_POLICY, "duration '%s': a number has more than 5 digits", s);
			v = v * 10 + (*p++ - '0');
		}
		if (!digits)
			return sk_error_set(SK_ERR_POLICY, "duration '%s': expected a number", s);
		u = *p ? strchr(units + next, *p) : NULL;
		if (!u) {
			if (*p && strchr(units, *p))
				return sk_error_set(SK_ERR_POLICY, "duration '%s': units must be in the order y m d h, each once", s);
			return sk_error_set(SK_ERR_POLICY, "duration '%s': expected a unit y, m, d or h", s);
		}
		*slots[u - units] = (int)v;
		next = (size_t)(u - units) + 1;
		p++;
	}
	return 0;
}

void sk_duration_format(char out[48], const struct sk_duration *d)
{
	int n = 0;

	out[0] = '\0';
	if (d->years)
		n += snprintf(out + n, (size_t)(48 - n), "%dy", d->years);
	if (d->months)
		n += snprintf(out + n, (size_t)(48 - n), "%dm", d->months);
	if (d->days)
		n += snprintf(out + n, (size_t)(48 - n), "%dd", d->days);
	if (d->hours || n == 0)
		snprintf(out + n, (size_t)(48 - n), "%dh", d->hours);
}

int sk_window_parse(const char *s, int *start_min, int *end_min)
{
	int start, end, len;

	if (!s || !sk_policy_keys_match(SK_POLICY_RX_WINDOW, s))
		return sk_error_set(SK_ERR_POLICY, "window '%.40s' must be hh24:mi-hh24:mi in UTC, such as 03:00-04:00",
				    s ? s : "");
	start = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
	end = ((s[6] - '0') * 10 + (s[7] - '0')) * 60 + (s[9] - '0') * 10 + (s[10] - '0');
	len = (end - start + 1440) % 1440;
	if (len < 30)
		return sk_error_set(SK_ERR_POLICY, "window '%s' must be at least 30 minutes", s);
	if (start_min)
		*start_min = start;
	if (end_min)
		*end_min = end;
	return 0;
}
