/*
 * sk-policy.c - loads policies and prints what the parser made of them
 *
 *   sk-policy [SOURCE] [--json] [FILE...]    diagnostics (exit 1), or the set as JSON (exit 0)
 *   sk-policy [SOURCE] --source              commit, subject and files of the source, as JSON
 *   sk-policy [SOURCE] --resolve             the commit id the ref resolves to
 *   sk-policy --yaml-json FILE...            each file's YAML documents as plain JSON, with the
 *                                            line each starts on and any YAML errors (schema tests)
 *   sk-policy --tables                       the parser's keys per place and its patterns
 *   sk-policy --cron EXPR [--at TIME] [--count N]   fire times around TIME (RFC 3339)
 *
 * SOURCE: --repo PATH|URL --ref REF --path DIR --cache DIR --no-fetch
 * --allow-insecure, and --ca FILE: trust the certificates in FILE instead
 * of the system's (https tests with a certificate of their own).
 * With FILE arguments the files are read from disk, named as given, and
 * no git is involved.  Problems with the source itself (not the policies)
 * print "sk-policy: <message>" on stderr and exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "specs/cron.h"
#include "specs/policy.h"
#include "specs/policy_json.h"
#include "specs/source.h"
#include "specs/yamltree.h"

static int usage(void)
{
	fprintf(stderr, "usage: sk-policy [--repo R] [--ref REF] [--path DIR] [--cache DIR] [--no-fetch]\n"
			"                 [--allow-insecure] [--ca FILE] [--json | --source | --resolve] [FILE...]\n"
			"       sk-policy --yaml-json FILE...\n"
			"       sk-policy --tables\n"
			"       sk-policy --cron EXPR [--at TIME] [--count N]\n");
	return 2;
}

static int fail(void)
{
	fprintf(stderr, "sk-policy: %s\n", sk_error_message());
	return 2;
}

static int print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	json_decref(j);
	if (!s)
		return 2;
	printf("%s\n", s);
	free(s);
	return 0;
}

static int read_file(const char *path, struct sk_source_file *f)
{
	FILE *fp = fopen(path, "rb");
	struct sk_buf b = SK_BUF_INIT;
	char chunk[65536];
	size_t n;

	if (!fp)
		return sk_error_set_errno(SK_ERR_OS, "cannot open '%s'", path);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (sk_buf_add(&b, chunk, n) < 0) {
			fclose(fp);
			sk_buf_free(&b);
			return SK_ERROR;
		}
	}
	fclose(fp);
	f->path = (char *)path;
	f->len = b.len;
	f->data = b.len ? sk_buf_detach(&b) : strdup("");
	return f->data ? 0 : sk_error_set_oom();
}

static int files_source(struct sk_source **out, char **paths, int n)
{
	struct sk_source_file *files = calloc((size_t)n + 1, sizeof(*files));
	int rc = 0;

	if (!files)
		return sk_error_set_oom();
	for (int i = 0; i < n && rc == 0; i++)
		rc = read_file(paths[i], &files[i]);
	if (rc == 0)
		rc = sk_source_from_files(out, files, (size_t)n);
	for (int i = 0; i < n; i++)
		free(files[i].data);
	free(files);
	return rc;
}

/* ---- --yaml-json: the tree as plain JSON, typed as the parser types scalars ---- */

static json_t *node_json(const struct sk_ynode *n)
{
	json_t *o;

	switch (n->type) {
	case SK_Y_MAP:
		o = json_object();
		for (size_t i = 0; i + 1 < n->n_kids; i += 2)
			if (n->kids[i]->type == SK_Y_SCALAR && !json_object_get(o, n->kids[i]->text))
				json_object_set_new(o, n->kids[i]->text, node_json(n->kids[i + 1]));
		return o;
	case SK_Y_SEQ:
		o = json_array();
		for (size_t i = 0; i < n->n_kids; i++)
			json_array_append_new(o, node_json(n->kids[i]));
		return o;
	case SK_Y_INVALID:
		return json_null();
	case SK_Y_SCALAR:
		break;
	}
	switch (n->kind) {
	case SK_YK_NULL:
		return json_null();
	case SK_YK_BOOL:
		return json_boolean(n->text[0] == 't' || n->text[0] == 'T');
	case SK_YK_INT: {
		char *end;
		long long v = strtoll(n->text, &end, 10);

		return json_integer(v);
	}
	case SK_YK_FLOAT:
		return json_real(strtod(n->text, NULL));
	default:
		return json_stringn_nocheck(n->text, n->len);
	}
}

static int yaml_json(char **paths, int n)
{
	json_t *root = json_object();
	int bad = 0;

	for (int i = 0; i < n; i++) {
		struct sk_source_file f;
		struct sk_arena a = SK_ARENA_INIT;
		struct sk_yfile yf;
		json_t *docs = json_array(), *errs = json_array(), *lines = json_array();

		if (read_file(paths[i], &f) < 0 || sk_yaml_load(&yf, f.data, f.len, &a) < 0) {
			json_decref(docs);
			json_decref(errs);
			json_decref(lines);
			json_decref(root);
			return fail();
		}
		for (size_t d = 0; d < yf.n_docs; d++) {
			json_array_append_new(docs, node_json(yf.docs[d]));
			json_array_append_new(lines, json_integer(yf.docs[d]->line));
		}
		for (size_t e = 0; e < yf.n_errors; e++)
			json_array_append_new(errs, json_pack("{s:i, s:i, s:s}", "line", yf.errors[e].line, "col",
							      yf.errors[e].col, "message", yf.errors[e].message));
		bad |= yf.n_errors > 0;
		json_object_set_new(root, paths[i], json_pack("{s:o, s:o, s:o}", "documents", docs, "lines", lines, "errors", errs));
		sk_arena_free(&a);
		free(f.data);
	}
	print_json(root);
	return bad;
}

static int tables(void)
{
	json_t *root = json_object(), *places = json_object(), *pats = json_object();
	const struct sk_policy_keyset *ks = sk_policy_keysets();
	const struct sk_policy_pattern *ps = sk_policy_patterns();

	for (; ks->place; ks++) {
		json_t *keys = json_array();

		for (size_t i = 0; ks->keys[i]; i++)
			json_array_append_new(keys, json_string(ks->keys[i]));
		json_object_set_new(places, ks->place, keys);
	}
	for (; ps->name; ps++)
		json_object_set_new(pats, ps->name, json_string(ps->regex));
	json_object_set_new(root, "places", places);
	json_object_set_new(root, "patterns", pats);
	return print_json(root);
}

static int cron(const char *expr, const char *at, int count)
{
	struct sk_cron c;
	size_t col = 0;
	int64_t t, x;
	char buf[SK_TIME_RFC3339_MAX];

	if (sk_cron_parse(&c, expr, &col) < 0) {
		printf("error at column %zu: %s\n", col + 1, sk_error_message());
		return 1;
	}
	if (at) {
		if (sk_time_parse_rfc3339(&t, at) < 0)
			return fail();
	} else {
		t = sk_time_now();
	}
	x = sk_cron_prev(&c, t);
	if (x >= 0) {
		sk_time_format_rfc3339(buf, x);
		printf("prev %s\n", buf);
	}
	for (int i = 0; i < count; i++) {
		x = sk_cron_next(&c, t);
		if (x < 0)
			break;
		sk_time_format_rfc3339(buf, x);
		printf("next %s\n", buf);
		t = x;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sk_source_opts o = SK_SOURCE_OPTS_INIT;
	struct sk_source *src = NULL;
	struct sk_policyset *set = NULL;
	const char *cron_expr = NULL, *at = NULL;
	bool json = false, show_source = false, resolve = false, yamljson = false;
	int count = 5, i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--repo") && i + 1 < argc)
			o.repo = argv[++i];
		else if (!strcmp(a, "--ref") && i + 1 < argc)
			o.ref = argv[++i];
		else if (!strcmp(a, "--path") && i + 1 < argc)
			o.path = argv[++i];
		else if (!strcmp(a, "--cache") && i + 1 < argc)
			o.cache_dir = argv[++i];
		else if (!strcmp(a, "--no-fetch"))
			o.no_fetch = true;
		else if (!strcmp(a, "--allow-insecure"))
			o.allow_insecure = true;
		else if (!strcmp(a, "--ca") && i + 1 < argc) {
			/* once initialised, libgit2 keeps the setting for the source's own init */
			if (git_libgit2_init() < 0 ||
			    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, argv[++i], NULL) < 0) {
				fprintf(stderr, "sk-policy: --ca: %s\n", git_error_last() ? git_error_last()->message : "?");
				return 2;
			}
		}
		else if (!strcmp(a, "--json"))
			json = true;
		else if (!strcmp(a, "--source"))
			show_source = true;
		else if (!strcmp(a, "--resolve"))
			resolve = true;
		else if (!strcmp(a, "--yaml-json"))
			yamljson = true;
		else if (!strcmp(a, "--tables"))
			return tables();
		else if (!strcmp(a, "--cron") && i + 1 < argc)
			cron_expr = argv[++i];
		else if (!strcmp(a, "--at") && i + 1 < argc)
			at = argv[++i];
		else if (!strcmp(a, "--count") && i + 1 < argc)
			count = atoi(argv[++i]);
		else if (!strcmp(a, "--") && ++i)
			break;
		else if (a[0] == '-' && a[1])
			return usage();
		else
			break;
	}
	if (cron_expr)
		return cron(cron_expr, at, count);
	if (yamljson)
		return i < argc ? yaml_json(argv + i, argc - i) : usage();
	if (resolve) {
		char id[41];

		if (sk_source_resolve(id, &o) < 0)
			return fail();
		printf("%s\n", id);
		return 0;
	}
	if (i < argc)
		rc = files_source(&src, argv + i, argc - i);
	else
		rc = sk_source_read(&src, &o);
	if (rc < 0)
		return fail();
	if (show_source) {
		json_t *files = json_array();

		for (size_t f = 0; f < src->n_files; f++)
			json_array_append_new(files, json_pack("{s:s, s:s%}", "path", src->files[f].path, "data",
							       src->files[f].data, src->files[f].len));
		print_json(json_pack("{s:s, s:s, s:s, s:s, s:o}", "commit", src->commit, "subject",
				     src->subject ? src->subject : "", "ref", src->ref ? src->ref : "", "repo",
				     src->repo ? src->repo : "", "files", files));
		sk_source_free(src);
		return 0;
	}
	rc = sk_policyset_load(&set, src);
	sk_source_free(src);
	if (!set)
		return fail();
	if (json || rc == 0) {
		struct sk_buf b = SK_BUF_INIT;

		if (sk_policyset_format_json(&b, set, SK_POLICY_JSON_PRETTY) < 0) {
			sk_policyset_free(set);
			return fail();
		}
		printf("%s\n", sk_buf_cstr(&b));
		sk_buf_free(&b);
	} else {
		for (size_t d = 0; d < set->n_diags; d++) {
			struct sk_buf b = SK_BUF_INIT;

			sk_policy_diag_format(&b, &set->diags[d]);
			printf("%s\n", sk_buf_cstr(&b));
			sk_buf_free(&b);
		}
	}
	sk_policyset_free(set);
	return rc == 0 ? 0 : 1;
}
