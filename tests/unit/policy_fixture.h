/*
 * policy_fixture.h - parsing policies in unit tests: test_policy.c (one
 * document) and test_policy_set.c (sets of files and documents)
 *
 * HEAD(name) is a valid BackupPolicy up to its selector, for a test to
 * add keys of spec to; parse() and load_files() fail the test unless the
 * parser returns what was wanted, printing the diagnostics it made; expect()
 * compares every diagnostic, formatted, one per line.
 *
 * Header-only (static functions): each unit test is one .c file.  Include
 * it after <cmocka.h>.
 */
#ifndef SK_TEST_POLICY_FIXTURE_H
#define SK_TEST_POLICY_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "specs/policy.h"
#include "specs/source.h"

/* every helper is static; a test file uses some of them */
#define POLICY_FN static __attribute__((unused))

#define HEAD(name)                        \
	"apiVersion: snapkeep/v1\n"       \
	"kind: BackupPolicy\n"            \
	"metadata: {name: " name "}\n"    \
	"spec:\n"                         \
	"  regions: [us-east-1]\n"        \
	"  selector: {instances: [db1]}\n"

/* the set, or the test fails: rc must be want_rc */
POLICY_FN struct sk_policyset *parse(const char *file, const char *yaml, int want_rc)
{
	struct sk_policyset *set = NULL;
	int rc = sk_policyset_parse_buffer(&set, file, yaml, strlen(yaml));

	assert_non_null(set);
	if (rc != want_rc) {
		for (size_t i = 0; i < set->n_diags; i++)
			print_message("# %s:%d:%d: %s\n", set->diags[i].pos.file, set->diags[i].pos.line,
				      set->diags[i].pos.col, set->diags[i].message);
		fail_msg("rc %d, want %d", rc, want_rc);
	}
	return set;
}

/* n files, as if read from a source, loaded as a set; rc must be want */
POLICY_FN struct sk_policyset *load_files(const char *const *names, const char *const *texts, size_t n, int want)
{
	struct sk_source_file files[8];
	struct sk_source *src;
	struct sk_policyset *set = NULL;
	int rc;

	for (size_t i = 0; i < n; i++) {
		files[i].path = (char *)names[i];
		files[i].data = (char *)texts[i];
		files[i].len = strlen(texts[i]);
	}
	assert_int_equal(sk_source_from_files(&src, files, n), 0);
	rc = sk_policyset_load(&set, src);
	sk_source_free(src);
	assert_non_null(set);
	if (rc != want) {
		for (size_t i = 0; i < set->n_diags; i++)
			print_message("# %s\n", set->diags[i].message);
		fail_msg("rc %d, want %d", rc, want);
	}
	return set;
}

/* every diagnostic, formatted, one per line (free it) */
POLICY_FN char *diags(const struct sk_policyset *set)
{
	struct sk_buf b = SK_BUF_INIT;
	char *s;

	for (size_t i = 0; i < set->n_diags; i++) {
		sk_policy_diag_format(&b, &set->diags[i]);
		sk_buf_addc(&b, '\n');
	}
	s = sk_buf_detach(&b);
	return s ? s : strdup("");
}

/* yaml, as p.yaml, makes exactly the diagnostics want ("": none, and the set is valid) */
POLICY_FN void expect(const char *yaml, const char *want)
{
	struct sk_policyset *set = parse("p.yaml", yaml, want[0] ? SK_ERROR : 0);
	char *got = diags(set);

	assert_string_equal(got, want);
	free(got);
	sk_policyset_free(set);
}

#endif
