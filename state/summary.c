/*
 * summary.c - the daily summary's file
 */
#include "state/summary.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "state/fileio.h"

int sk_summary_load(json_t **out, const char *dir)
{
	struct sk_buf text = SK_BUF_INIT;
	char *path = sk_file_join(dir, SK_SUMMARY_FILE);
	int rc = -1;

	*out = NULL;
	if (!path)
		goto done;
	rc = sk_file_read_all(&text, path, 1 << 20);
	if (rc < 0)
		goto done;
	rc = sk_file_parse_json(out, sk_buf_cstr(&text), text.len, SK_ERR_STATE, "daily summary", path);
done:
	free(path);
	sk_buf_free(&text);
	return rc;
}

int sk_summary_save(const char *dir, const json_t *j)
{
	char *path = sk_file_join(dir, SK_SUMMARY_FILE);
	char *text = NULL;
	int rc = -1;

	if (!path)
		goto done;
	text = json_dumps(j, JSON_INDENT(2));
	if (!text) {
		sk_error_set_oom();
		goto done;
	}
	rc = sk_file_write_atomic(path, text, strlen(text), 0600);
done:
	free(text);
	free(path);
	return rc;
}
