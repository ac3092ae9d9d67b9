/*
 * docs.c - the run loop's documents in the state directory
 */
#include "state/docs.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "state/fileio.h"

static const struct {
	const char *file;
	size_t max;       /* bytes read at the most */
	const char *what; /* names it in errors */
	bool newline;     /* written as sk_file_write_json_atomic() does; else without the final newline */
} docs[] = {
	[SK_DOC_ALERTS] = { SK_ALERTS_FILE, 4 << 20, "alert states", true },
	[SK_DOC_SUMMARY] = { SK_SUMMARY_FILE, 1 << 20, "daily summary", false },
};

int sk_doc_load(json_t **out, const char *dir, enum sk_doc doc)
{
	return sk_file_load_json(out, dir, docs[doc].file, docs[doc].max, SK_ERR_STATE, docs[doc].what);
}

int sk_doc_save(const char *dir, enum sk_doc doc, const json_t *j)
{
	char *path = sk_file_join(dir, docs[doc].file);
	char *text = NULL;
	int rc = -1;

	if (!path)
		return -1;
	if (docs[doc].newline)
		rc = sk_file_write_json_atomic(path, j, 0600);
	else if (!(text = json_dumps(j, JSON_INDENT(2))))
		sk_error_set_oom();
	else
		rc = sk_file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	free(path);
	return rc;
}
