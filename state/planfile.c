/*
 * planfile.c - saved plans
 */
#include "state/planfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "state/fileio.h"

#define FORMAT_PREFIX "snapkeep-saved-plan/v"

int sk_planfile_write(const char *path, const json_t *plan)
{
	char now[SK_TIME_RFC3339_MAX];
	json_t *env = NULL;
	int rc = -1;

	if (!json_is_object(plan))
		return sk_error_set(SK_ERR_INVALID, "saved plan '%s': the plan is not a JSON object", path);
	sk_time_format_rfc3339(now, sk_time_now());
	env = json_pack("{s:s, s:s, s:s, s:O}", "format", SK_SAVED_PLAN_FORMAT, "createdAt", now, "snapkeepVersion",
			SK_VERSION, "plan", (json_t *)plan);
	if (!env) {
		sk_error_set_oom();
		goto done;
	}
	if (sk_file_write_json_atomic(path, env, 0600) < 0) {
		sk_error_prefix("cannot save the plan");
		goto done;
	}
	rc = 0;
done:
	json_decref(env);
	return rc;
}

int sk_planfile_parse(json_t **out, const char *text, size_t len, const char *name)
{
	json_t *root = NULL, *plan;
	const json_t *fv;
	const char *f;
	char *end;
	long v;
	int rc = -1;

	*out = NULL;
	if (sk_file_parse_json(&root, text, len, SK_ERR_PLAN, "saved plan", name) < 0)
		return -1;
	if (!json_is_object(root)) {
		sk_error_set(SK_ERR_PLAN, "'%s' is not a saved plan (not a JSON object)", name);
		goto done;
	}
	fv = json_object_get(root, "format");
	f = json_string_value(fv);
	if (f && !strncmp(f, "snapkeep-plan/", 14)) {
		sk_error_set(SK_ERR_PLAN, "'%s' is plan output (%.64s), not a saved plan; save one with "
					  "`snapkeep plan -out FILE`",
			     name, f);
		goto done;
	}
	if (!f || strncmp(f, FORMAT_PREFIX, strlen(FORMAT_PREFIX)) || strlen(f) != json_string_length(fv)) {
		sk_error_set(SK_ERR_PLAN, "'%s' is not a saved plan (no \"format\": \"%s\")", name, SK_SAVED_PLAN_FORMAT);
		goto done;
	}
	errno = 0;
	v = strtol(f + strlen(FORMAT_PREFIX), &end, 10);
	if (errno || *end || end == f + strlen(FORMAT_PREFIX) || v < 1 || f[strlen(FORMAT_PREFIX)] == '+' ||
	    f[strlen(FORMAT_PREFIX)] == '-') {
		sk_error_set(SK_ERR_PLAN, "'%s' has an unknown format '%.64s'", name, f);
		goto done;
	}
	if (v > SK_SAVED_PLAN_VERSION) {
		sk_error_set(SK_ERR_PLAN, "'%s' was saved by a newer snapkeep (format %.64s; this one reads %s)", name, f,
			     SK_SAVED_PLAN_FORMAT);
		goto done;
	}
	plan = json_object_get(root, "plan");
	if (!json_is_object(plan)) {
		sk_error_set(SK_ERR_PLAN, "saved plan '%s' holds no plan (\"plan\" is %s)", name,
			     plan ? "not an object" : "missing");
		goto done;
	}
	*out = json_incref(plan);
	rc = 0;
done:
	json_decref(root);
	return rc;
}

int sk_planfile_read(json_t **out, const char *path)
{
	struct sk_buf text = SK_BUF_INIT;
	int rc;

	*out = NULL;
	rc = sk_file_read_all(&text, path, SK_SAVED_PLAN_MAX_BYTES);
	if (rc == SK_ENOTFOUND)
		rc = sk_error_set(SK_ERR_PLAN, "saved plan '%s' does not exist", path);
	else if (rc < 0)
		sk_error_prefix("saved plan");
	else
		rc = sk_planfile_parse(out, text.ptr, text.len, path);
	sk_buf_free(&text);
	return rc;
}
