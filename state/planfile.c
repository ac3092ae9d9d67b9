/*
 * planfile.c - saved plans
 */
#include "state/planfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/fields.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "state/fileio.h"

#define FORMAT_PREFIX "snapkeep-saved-plan/v"

#define STR(m, key) { key, SK_FIELD_OFFSET(struct sk_planfile_origin, m, char *) }

/* the origin's own strings, each under its key in the file ("origin.<key>") */
static const struct {
	const char *key;
	size_t off;
} origin_strings[] = {
	STR(repository, "repository"),
	STR(path, "path"),
	STR(ref, "ref"),
	STR(commit, "commit"),
	STR(account, "account"),
	STR(endpoint, "endpoint"),
	STR(profile, "profile"),
	STR(gpg_keyring, "gpgKeyring"),
	STR(allowed_signers, "allowedSigners"),
};

#undef STR

static char **origin_string(struct sk_planfile_origin *o, size_t i)
{
	return (char **)((char *)o + origin_strings[i].off);
}

void sk_planfile_origin_free(struct sk_planfile_origin *o)
{
	size_t i;

	if (!o)
		return;
	sk_strv_free(o->regions, o->n_regions);
	sk_strv_free(o->accounts, o->n_accounts);
	for (i = 0; i < SK_FIELDS_N(origin_strings); i++)
		free(*origin_string(o, i));
	memset(o, 0, sizeof(*o));
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* the origin as the file records it; NULL when a value is not UTF-8 (or out of memory) */
static json_t *origin_json(const struct sk_planfile_origin *o)
{
	json_t *regions = sk_json_strings((const char *const *)o->regions, o->n_regions), *accounts = NULL, *out;

	if (!regions)
		return NULL;
	out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o}", "repository", opt_str(o->repository), "path",
			opt_str(o->path), "ref", opt_str(o->ref), "commit", opt_str(o->commit), "regions", regions,
			"allowMassDelete", o->allow_mass_delete, "account", opt_str(o->account), "endpoint",
			opt_str(o->endpoint), "profile", opt_str(o->profile));
	/* only for a verified commit: other origins are written as they were */
	if (out && o->require_signed &&
	    (json_object_set_new(out, "requireSignedCommits", json_true()) < 0 ||
	     json_object_set_new(out, "gpgKeyring", opt_str(o->gpg_keyring)) < 0 ||
	     json_object_set_new(out, "allowedSigners", opt_str(o->allowed_signers)) < 0)) {
		json_decref(out);
		return NULL;
	}
	/* only over several accounts: a single account's origin is written as it was */
	if (out && o->n_accounts &&
	    (!(accounts = sk_json_strings((const char *const *)o->accounts, o->n_accounts)) || json_object_set_new(out, "accounts", accounts) < 0)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int sk_planfile_write(const char *path, const json_t *plan, const struct sk_planfile_origin *origin)
{
	char now[SK_TIME_RFC3339_MAX];
	json_t *env = NULL, *orig = NULL;
	int rc = -1;

	if (!json_is_object(plan))
		return sk_error_set(SK_ERR_INVALID, "saved plan '%s': the plan is not a JSON object", path);
	if (origin && !(orig = origin_json(origin)))
		return sk_error_set(SK_ERR_INVALID, "saved plan '%s': cannot record how the plan was made (a value is "
						    "not UTF-8, or out of memory)", path);
	sk_time_format_rfc3339(now, sk_time_now());
	env = json_pack("{s:s, s:s, s:s}", "format", SK_SAVED_PLAN_FORMAT, "createdAt", now, "snapkeepVersion",
			SK_VERSION);
	if (!env) {
		sk_error_set_oom();
		goto done;
	}
	if (orig) {
		int e = json_object_set_new(env, "origin", orig);
		orig = NULL; /* taken, also when it failed */
		if (e < 0) {
			sk_error_set_oom();
			goto done;
		}
	}
	if (json_object_set(env, "plan", (json_t *)plan) < 0) {
		sk_error_set_oom();
		goto done;
	}
	if (sk_file_write_json_atomic(path, env, 0600) < 0) {
		sk_error_prefix("cannot save the plan");
		goto done;
	}
	rc = 0;
done:
	json_decref(orig);
	json_decref(env);
	return rc;
}

/* ---- the origin ---- */

static int origin_str(char **out, const json_t *o, const char *key, const char *name)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !json_string_length(v) || strlen(json_string_value(v)) != json_string_length(v))
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s': origin.%s must be a non-empty string or null", name,
				    key);
	if (!(*out = strdup(json_string_value(v))))
		return sk_error_set_oom();
	return 0;
}

static bool is_commit(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 40;
}

#define ORIGIN_MAX_NAMES 64

/* origin.<key>: null, or a list of at most ORIGIN_MAX_NAMES non-empty strings, each what ("a region name") */
static int parse_names(char ***out, size_t *n_out, const json_t *o, const char *key, const char *what,
		       const char *name)
{
	const json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > ORIGIN_MAX_NAMES)
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s': origin.%s must be a list of at most %d %s", name, key,
				    ORIGIN_MAX_NAMES, key);
	if (json_array_size(a) && !(*out = calloc(json_array_size(a), sizeof(**out))))
		return sk_error_set_oom();
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || !json_string_length(v) || strlen(json_string_value(v)) != json_string_length(v))
			return sk_error_set(SK_ERR_PLAN, "saved plan '%s': origin.%s[%zu] is not %s", name, key, i, what);
		if (!((*out)[*n_out] = strdup(json_string_value(v))))
			return sk_error_set_oom();
		(*n_out)++;
	}
	return 0;
}

static int parse_origin(struct sk_planfile_origin *out, const json_t *o, const char *name)
{
	const json_t *mass, *sig;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!o)
		return 0;
	if (!json_is_object(o))
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s': \"origin\" is not an object", name);
	out->present = true;
	for (i = 0; i < SK_FIELDS_N(origin_strings); i++)
		if (origin_str(origin_string(out, i), o, origin_strings[i].key, name) < 0)
			return -1;
	if (out->commit && !is_commit(out->commit))
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s': origin.commit '%.64s' is not a commit id", name,
				    out->commit);
	mass = json_object_get(o, "allowMassDelete");
	if (mass && !json_is_boolean(mass))
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s': origin.allowMassDelete must be true or false", name);
	out->allow_mass_delete = json_is_true(mass);
	sig = json_object_get(o, "requireSignedCommits");
	if (sig && !json_is_boolean(sig))
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s': origin.requireSignedCommits must be true or false", name);
	out->require_signed = json_is_true(sig);
	if (out->require_signed && !out->gpg_keyring && !out->allowed_signers)
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s': origin.requireSignedCommits names no keys "
						 "(gpgKeyring, allowedSigners)", name);
	if (parse_names(&out->regions, &out->n_regions, o, "regions", "a region name", name) < 0)
		return -1;
	return parse_names(&out->accounts, &out->n_accounts, o, "accounts", "an account id", name);
}

int sk_planfile_parse(json_t **out, struct sk_planfile_origin *origin, const char *text, size_t len,
		      const char *name)
{
	json_t *root = NULL, *plan;
	const json_t *fv;
	const char *f;
	char *end;
	long v;
	int rc = -1;

	*out = NULL;
	if (origin)
		memset(origin, 0, sizeof(*origin));
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
	if (origin && parse_origin(origin, json_object_get(root, "origin"), name) < 0) {
		sk_planfile_origin_free(origin);
		goto done;
	}
	*out = json_incref(plan);
	rc = 0;
done:
	json_decref(root);
	return rc;
}

/* "uid 65534 (nobody)" */
static void user_text(char *out, size_t len, uid_t uid)
{
	struct passwd pw, *found = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found && found->pw_name)
		snprintf(out, len, "uid %u (%s)", (unsigned)uid, found->pw_name);
	else
		snprintf(out, len, "uid %u", (unsigned)uid);
}

/*
 * As ssh checks its keys: a plan anyone else can change chooses what apply
 * does, so the file must be a regular file, owned by the user running
 * snapkeep or by root, and writable by neither its group nor others.
 */
static int check_file(int fd, const char *path)
{
	struct stat st;
	uid_t me = geteuid();
	char owner[160], user[160];

	if (fstat(fd, &st) < 0)
		return sk_error_set_errno(SK_ERR_PLAN, "saved plan '%s': cannot stat it", path);
	if (!S_ISREG(st.st_mode))
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s' is not a regular file (%s); save one with "
						 "`snapkeep plan -out FILE`",
				    path, S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a pipe"
							      : S_ISCHR(st.st_mode) ? "a device" : "not a plain file");
	if (st.st_uid != me && st.st_uid != 0) {
		user_text(owner, sizeof(owner), st.st_uid);
		user_text(user, sizeof(user), me);
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s' is owned by %s, not by you (%s) or root: whoever can "
						 "change it chooses what apply does; make a new plan, or take it over with "
						 "`chown %u %s && chmod 600 %s`",
				    path, owner, user, (unsigned)me, path, path);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s' is writable by %s (mode %04o): whoever can change it "
						 "chooses what apply does; fix it with `chmod 600 %s`",
				    path, (st.st_mode & S_IWGRP) && (st.st_mode & S_IWOTH) ? "group and others"
					  : st.st_mode & S_IWGRP ? "its group" : "others",
				    (unsigned)(st.st_mode & 07777), path);
	return 0;
}

int sk_planfile_read(json_t **out, struct sk_planfile_origin *origin, const char *path)
{
	struct sk_buf text = SK_BUF_INIT;
	int fd, rc;

	*out = NULL;
	if (origin)
		memset(origin, 0, sizeof(*origin));
	/* O_NONBLOCK: a FIFO is refused below, not waited on */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return sk_error_set(SK_ERR_PLAN, "saved plan '%s' does not exist", path);
		return sk_error_set_errno(SK_ERR_PLAN, "saved plan '%s': cannot open it", path);
	}
	rc = check_file(fd, path);
	if (rc == 0 && (rc = sk_file_read_fd(&text, fd, path, SK_SAVED_PLAN_MAX_BYTES)) < 0)
		sk_error_prefix("saved plan");
	close(fd);
	if (rc == 0)
		rc = sk_planfile_parse(out, origin, text.ptr, text.len, path);
	sk_buf_free(&text);
	return rc;
}
