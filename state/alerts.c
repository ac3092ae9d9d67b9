/*
 * alerts.c - the alert states' file
 */
#include "state/alerts.h"

#include <stdlib.h>

#include "common/buf.h"
#include "common/error.h"
#include "state/fileio.h"

int sk_alerts_load(json_t **out, const char *dir)
{
	struct sk_buf text = SK_BUF_INIT;
	char *path = sk_file_join(dir, SK_ALERTS_FILE);
	int rc = -1;

	*out = NULL;
	if (!path)
		goto done;
	rc = sk_file_read_all(&text, path, 4 << 20);
	if (rc < 0)
		goto done;
	rc = sk_file_parse_json(out, sk_buf_cstr(&text), text.len, SK_ERR_STATE, "alert states", path);
done:
	free(path);
	sk_buf_free(&text);
	return rc;
}

int sk_alerts_save(const char *dir, const json_t *j)
{
	char *path = sk_file_join(dir, SK_ALERTS_FILE);
	int rc = -1;

	if (path)
		rc = sk_file_write_json_atomic(path, j, 0600);
	free(path);
	return rc;
}
