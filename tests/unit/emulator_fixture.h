/*
 * emulator_fixture.h - the real emulator (tests/emulator) for unit tests
 * that need an AWS endpoint: test_apply*.c (through apply_fixture.h) and
 * test_reconcile.c, and the 'orders' world both plan against
 *
 * A test file starts one emulator, emu, in its group setup
 * (emu_group_start), puts it back to a known world before each test
 * (emu_reset_quick or emu_reset, then a seed and config), drives it
 * through its admin API (/_emulator/...) and stops it in the group
 * teardown (emu_group_teardown).  The child asks the kernel for
 * SIGTERM when this process dies (PR_SET_PDEATHSIG) and an atexit handler
 * stops it too, so no emulator outlives a test binary that crashed or
 * failed.  The interpreter is $PYTHON (python3), the emulator
 * $SNAPKEEP_TOP/tests/emulator/emulator.py, as tests/run sets them.
 *
 * Header-only (static functions): each unit test is one .c file.  Include
 * it after <cmocka.h>: the helpers that must succeed fail the test.
 */
#ifndef SK_TEST_EMULATOR_FIXTURE_H
#define SK_TEST_EMULATOR_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/error.h"
#include "reconciler/engine/session.h"

#define EMU_ACCOUNT "123456789012"
#define EMU_ACCESS_KEY "AKIDSNAPKEEPTEST"
#define EMU_SECRET_KEY "snapkeep-emulator-secret"

/* every helper is static; a test file uses some of them */
#define EMU_FN static __attribute__((unused))

struct emu {
	pid_t pid;
	int port;
	char url[64];
	char dir[256]; /* scratch: seed, ready file, log; also the test's own files */
};

EMU_FN pid_t emu_pid_at_exit;

EMU_FN void emu_kill_at_exit(void)
{
	if (emu_pid_at_exit > 0) {
		kill(emu_pid_at_exit, SIGKILL);
		waitpid(emu_pid_at_exit, NULL, 0);
		emu_pid_at_exit = 0;
	}
}

EMU_FN void emu_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* rm -rf dir (the scratch folders hold git repositories: nested, read-only objects) */
EMU_FN void emu_rm_tree(const char *dir)
{
	pid_t pid;

	if (!dir[0])
		return;
	pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* the emulator's log, for a failure message */
EMU_FN void emu_print_log(const struct emu *e)
{
	char path[320], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/emulator.log", e->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "# emulator: %s", line);
	fclose(f);
}

/*
 * Environment a client needs to reach the emulator: its key, nothing from
 * ~/.aws or the caller's environment, few retries (the tests inject faults).
 */
EMU_FN void emu_client_env(void)
{
	static const char *const unset[] = { "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
					     "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
					     "AWS_CONTAINER_CREDENTIALS_FULL_URI",
					     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
					     "AWS_CONTAINER_AUTHORIZATION_TOKEN",
					     "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
					     "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION" };
	size_t i;

	for (i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		unsetenv(unset[i]);
	setenv("AWS_ACCESS_KEY_ID", EMU_ACCESS_KEY, 1);
	setenv("AWS_SECRET_ACCESS_KEY", EMU_SECRET_KEY, 1);
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_MAX_ATTEMPTS", "2", 1);
}

/* starts the emulator on seed (not consumed); 0, or -1 with a line on stderr */
EMU_FN int emu_start(struct emu *e, const json_t *seed)
{
	const char *tmp = getenv("TMPDIR"), *top = getenv("SNAPKEEP_TOP"), *python = getenv("PYTHON");
	char script[512], seed_path[320], ready[320], log_path[320];
	pid_t parent = getpid();
	int i;

	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "%s/sk-emu-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(e->dir)) {
		fprintf(stderr, "# cannot make a scratch folder: %s\n", strerror(errno));
		e->dir[0] = '\0';
		return -1;
	}
	snprintf(script, sizeof(script), "%s/tests/emulator/emulator.py", top && *top ? top : ".");
	snprintf(seed_path, sizeof(seed_path), "%s/seed.json", e->dir);
	snprintf(ready, sizeof(ready), "%s/port", e->dir);
	snprintf(log_path, sizeof(log_path), "%s/emulator.log", e->dir);
	if (json_dump_file(seed, seed_path, 0) < 0) {
		fprintf(stderr, "# cannot write %s\n", seed_path);
		return -1;
	}
	if (!python || !*python)
		python = "python3";
	fflush(NULL);
	e->pid = fork();
	if (e->pid < 0) {
		fprintf(stderr, "# fork: %s\n", strerror(errno));
		return -1;
	}
	if (e->pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), null = open("/dev/null", O_RDONLY);
		/* never outlive the test: SIGTERM when the parent goes, however it goes */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (null >= 0)
			dup2(null, 0);
		execlp(python, python, script, "--port", "0", "--ready-file", ready, "--seed", seed_path, "--quiet",
		       (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", python, strerror(errno));
		_exit(127);
	}
	emu_pid_at_exit = e->pid;
	atexit(emu_kill_at_exit);
	for (i = 0; i < 1500; i++) { /* 30 s */
		FILE *f = fopen(ready, "r");
		int status;
		if (f) {
			int ok = fscanf(f, "%d", &e->port) == 1;
			fclose(f);
			if (ok && e->port > 0) {
				snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", e->port);
				return 0;
			}
		}
		if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
			e->pid = 0;
			emu_pid_at_exit = 0;
			fprintf(stderr, "# the emulator exited before it was ready\n");
			emu_print_log(e);
			return -1;
		}
		emu_sleep_ms(20);
	}
	fprintf(stderr, "# the emulator was not ready after 30 s\n");
	emu_print_log(e);
	return -1;
}

/* stops it (SIGTERM, then SIGKILL after 10 s) and removes its folder */
EMU_FN void emu_stop(struct emu *e)
{
	int i, status;

	if (e->pid > 0) {
		kill(e->pid, SIGTERM);
		for (i = 0; i < 500; i++) {
			if (waitpid(e->pid, &status, WNOHANG) == e->pid)
				break;
			emu_sleep_ms(20);
		}
		if (i == 500) {
			kill(e->pid, SIGKILL);
			waitpid(e->pid, &status, 0);
		}
		e->pid = 0;
		emu_pid_at_exit = 0;
	}
	emu_rm_tree(e->dir);
	e->dir[0] = '\0';
}

EMU_FN size_t emu_collect(char *p, size_t size, size_t n, void *ud)
{
	return sk_buf_add(ud, p, size * n) < 0 ? 0 : size * n;
}

/*
 * One admin call: method, path under /_emulator/ (with its query), body
 * (not consumed, may be NULL).  The answer's JSON, or NULL with a line on
 * stderr when the call failed or answered an error.
 */
EMU_FN json_t *emu_admin(const struct emu *e, const char *method, const char *path, const json_t *body)
{
	struct sk_buf out = SK_BUF_INIT;
	struct curl_slist *hdrs = NULL;
	char url[512], *text = NULL;
	CURL *c = curl_easy_init();
	json_t *j = NULL;
	long status = 0;
	CURLcode rc;

	if (!c)
		return NULL;
	snprintf(url, sizeof(url), "%s/_emulator/%s", e->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, emu_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text ? text : "{}");
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200)
		fprintf(stderr, "# %s /_emulator/%s: %s (HTTP %ld) %s\n", method, path, curl_easy_strerror(rc), status,
			sk_buf_cstr(&out));
	else
		j = json_loadb(out.ptr ? out.ptr : "", out.len, 0, NULL);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(text);
	sk_buf_free(&out);
	return j;
}

/* an admin call that must succeed; body is consumed */
EMU_FN void emu_post(const struct emu *e, const char *path, json_t *body)
{
	json_t *j = emu_admin(e, "POST", path, body);

	json_decref(body);
	if (!j)
		fail_msg("POST /_emulator/%s failed", path);
	json_decref(j);
}

/* back to the start seed, default settings, no faults */
EMU_FN void emu_reset(const struct emu *e)
{
	emu_post(e, "reset", json_object());
}

/* an admin call that may fail (in a setup): 0, or -1 with a line on stderr; body is consumed */
EMU_FN int emu_try_post(const struct emu *e, const char *path, json_t *body)
{
	json_t *j = body ? emu_admin(e, "POST", path, body) : NULL;

	json_decref(body);
	if (!j)
		return -1;
	json_decref(j);
	return 0;
}

/* the test file's emulator, when it uses one for all its tests (emu_group_start, emu_group_teardown) */
EMU_FN struct emu emu;

/*
 * A test file's group setup: the client's environment, and the emulator
 * started on an empty world of account EMU_ACCOUNT, its clock frozen at
 * clock (RFC 3339), no automated-backup history; 0, or -1 with a line on
 * stderr.
 */
EMU_FN int emu_group_start(const char *clock)
{
	json_t *seed = json_pack("{s:s, s:s, s:b}", "account", EMU_ACCOUNT, "clock", clock, "automatedHistory", 0);
	int rc;

	emu_client_env();
	rc = seed ? emu_start(&emu, seed) : -1;
	json_decref(seed);
	return rc;
}

/* a test file's group teardown (cmocka's): the emulator stopped */
EMU_FN int emu_group_teardown(void **state)
{
	(void)state;
	emu_stop(&emu);
	return 0;
}

/*
 * A session with the emulator, its default region us-east-1, the rest of
 * so as the test set it; 0, or -1 with a line on stderr.
 */
EMU_FN int emu_session_open(struct sk_session *s, struct sk_session_opts *so)
{
	so->endpoint = emu.url;
	so->region = "us-east-1";
	if (sk_session_open(s, so) < 0) {
		fprintf(stderr, "# %s\n", sk_error_message());
		return -1;
	}
	return 0;
}

/*
 * A test's start: back to the start seed, no faults, and new snapshots
 * and copies available on the next describe in their region, so that no
 * test waits on a timer; 0, or -1 with a line on stderr.
 */
EMU_FN int emu_reset_quick(const struct emu *e)
{
	if (emu_try_post(e, "reset", json_object()) < 0 ||
	    emu_try_post(e, "config", json_pack("{s:n, s:i, s:n, s:i}", "createSeconds", "createDescribes", 1,
						"copySeconds", "copyDescribes", 1)) < 0)
		return -1;
	return 0;
}

/*
 * The world test_apply*.c and test_reconcile.c plan against: policy
 * 'orders' selects db-a in us-east-1 and wants automated backups kept 14
 * days and replicated to us-west-2, a snapshot each day at 04:30 of which
 * 5 daily ones are kept, and copies in us-west-2 of which 3 daily ones are
 * kept.
 */
EMU_FN const char *const EMU_ORDERS = "apiVersion: snapkeep/v1\n"
				      "kind: BackupPolicy\n"
				      "metadata: {name: orders}\n"
				      "spec:\n"
				      "  regions: [us-east-1]\n"
				      "  selector: {instances: [db-a]}\n"
				      "  automated:\n"
				      "    retentionDays: 14\n"
				      "    window: \"03:00-04:00\"\n"
				      "    replicate: {region: us-west-2, retentionDays: 7}\n"
				      "  snapshots:\n"
				      "    schedule: \"30 4 * * *\"\n"
				      "    retain: {daily: 5}\n"
				      "    copies:\n"
				      "      - {region: us-west-2, retain: {daily: 3}}\n";

/*
 * A snapshot policy owns of instance inst, taken on day d of March 2026 at
 * 04:30 for that slot; copy_of: the source region of a copy, or NULL.
 */
EMU_FN json_t *emu_owned(const char *inst, const char *policy, int d, const char *copy_of)
{
	char id[128], slot[32], arn[256];
	json_t *s, *tags;

	snprintf(id, sizeof(id), "snapkeep-%s-202603%02d-0430", inst, d);
	snprintf(slot, sizeof(slot), "2026-03-%02dT04:30:00Z", d);
	tags = json_pack("{s:s, s:s, s:s}", "snapkeep:policy", policy, "snapkeep:instance", inst, "snapkeep:slot", slot);
	s = json_pack("{s:s, s:s, s:s, s:s, s:s}", "instance", inst, "type", "manual", "created", slot, "status",
		      "available", "id", id);
	if (copy_of) {
		snprintf(arn, sizeof(arn), "arn:aws:rds:%s:" EMU_ACCOUNT ":snapshot:%s", copy_of, id);
		json_object_set_new(tags, "snapkeep:source", json_string(arn));
		json_object_set_new(s, "sourceRegion", json_string(copy_of));
		json_object_set_new(s, "sourceSnapshot", json_string(arn));
		json_object_set_new(s, "originalCreated", json_string(slot));
		snprintf(id + strlen(id), sizeof(id) - strlen(id), "-%s", copy_of);
		json_object_set_new(s, "id", json_string(id));
	}
	json_object_set_new(s, "tags", tags);
	return s;
}

/* the call log's sequence number now: calls after it are the test's */
EMU_FN long emu_mark(const struct emu *e)
{
	json_t *j = emu_admin(e, "GET", "calls?since=0&action=none", NULL);
	long last;

	if (!j)
		fail_msg("GET /_emulator/calls failed");
	last = (long)json_integer_value(json_object_get(j, "last"));
	json_decref(j);
	return last;
}

/* every call since mark (an array; decref it) */
EMU_FN json_t *emu_calls(const struct emu *e, long since)
{
	char path[64];
	json_t *j, *calls;

	snprintf(path, sizeof(path), "calls?since=%ld", since);
	j = emu_admin(e, "GET", path, NULL);
	if (!j)
		fail_msg("GET /_emulator/calls failed");
	calls = json_incref(json_object_get(j, "calls"));
	json_decref(j);
	return calls;
}

/* the calls since mark that changed something (mutating), in order */
EMU_FN json_t *emu_mutating(const struct emu *e, long since)
{
	json_t *all = emu_calls(e, since), *out = json_array(), *c;
	size_t i;

	json_array_foreach(all, i, c)
		if (json_is_true(json_object_get(c, "mutating")))
			json_array_append(out, c);
	json_decref(all);
	return out;
}

/* the snapshot (or instance) a call is about, lowercase as RDS stores it */
EMU_FN const char *emu_call_target(const json_t *call)
{
	static const char *const keys[] = { "DBSnapshotIdentifier", "TargetDBSnapshotIdentifier", "DBInstanceIdentifier",
					    "SourceDBInstanceArn" };
	const json_t *p = json_object_get(call, "params");
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = json_string_value(json_object_get(p, keys[i]));
		if (v)
			return strrchr(v, ':') ? strrchr(v, ':') + 1 : v;
	}
	return "";
}

/* the region's state (instances, snapshots, automatedBackups); decref it */
EMU_FN json_t *emu_region(const struct emu *e, const char *region)
{
	char path[128];
	json_t *j, *r;

	snprintf(path, sizeof(path), "state?region=%s", region);
	j = emu_admin(e, "GET", path, NULL);
	if (!j)
		fail_msg("GET /_emulator/state failed");
	r = json_incref(json_object_get(json_object_get(j, "regions"), region));
	json_decref(j);
	if (!r)
		r = json_pack("{s:[], s:[], s:[]}", "instances", "snapshots", "automatedBackups");
	return r;
}

/* the snapshot with this id in a region, or NULL (a new reference) */
EMU_FN json_t *emu_snapshot(const struct emu *e, const char *region, const char *id)
{
	json_t *r = emu_region(e, region), *s, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(r, "snapshots"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "id")), id))
			found = json_incref(s);
	json_decref(r);
	return found;
}

#endif
