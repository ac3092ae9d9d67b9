/*
 * fuzz_credentials.c - the shared-file (INI) reader, the ECS/IMDS
 * credentials JSON reader, credential_process's output and command line,
 * and the cached IAM Identity Center token on any input
 *
 * Each input is read as an AWS config/credentials file (and every entry
 * looked up again), as the JSON a metadata service answers with, as what a
 * credential_process printed, as a credential_process command line (split
 * as shlex does) and as an `aws sso login` cache file.  An
 * error message must never quote the input: every seed and mutation carries
 * the marker below, and finding it in the message is a failure.  Seeds:
 * corpus/credentials/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "aws/ini.h"
#include "aws/process.h"
#include "aws/sso.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"

#define MARKER "SECRET+MARKER"

static volatile size_t sink;

static int holds_marker(const uint8_t *data, size_t size)
{
	size_t n = strlen(MARKER), i;

	for (i = 0; i + n <= size; i++)
		if (!memcmp(data + i, MARKER, n))
			return 1;
	return 0;
}

static void check_message(const uint8_t *data, size_t size)
{
	/* only meaningful when the input holds the marker */
	if (holds_marker(data, size) && strstr(sk_error_message(), MARKER))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_ini ini;
	struct sk_credentials c = SK_CREDENTIALS_INIT;
	size_t i;

	if (sk_ini_parse(&ini, (const char *)data, size, "fuzz") == 0) {
		for (i = 0; i < ini.n; i++) {
			const char *v = sk_ini_get(&ini, ini.items[i].section, ini.items[i].key);
			if (!v || !sk_ini_has_section(&ini, ini.items[i].section))
				abort();
			sink += strlen(v);
		}
		sk_ini_free(&ini);
	} else {
		check_message(data, size);
	}
	if (sk_credentials_parse_json(&c, (const char *)data, size, "fuzz") == 0) {
		if (!c.access_key_id || !c.secret_access_key)
			abort();
		sink += strlen(c.access_key_id) + strlen(c.secret_access_key) + (c.session_token ? strlen(c.session_token) : 0);
		sk_credentials_clear(&c);
	} else {
		check_message(data, size);
	}
	if (sk_process_parse(&c, (const char *)data, size, "fuzz") == 0) {
		if (!c.access_key_id || !c.secret_access_key)
			abort();
		sk_credentials_clear(&c);
	} else {
		check_message(data, size);
	}
	{
		struct sk_sso_profile sp = { .profile = "fuzz", .session = "fuzz" };
		struct sk_buf tok = SK_BUF_INIT;
		if (sk_sso_parse_token(&tok, (const char *)data, size, &sp, 1700000000) == 0) {
			if (!tok.len || strpbrk(tok.ptr, "\r\n"))
				abort();
		} else {
			check_message(data, size);
		}
		sk_buf_cleanse_free(&tok);
	}
	if (size < 4096 && !memchr(data, 0, size)) {
		char *line = strndup((const char *)data, size);
		char **v = NULL;
		size_t n = 0;
		if (line && sk_process_split(&v, &n, line) == 0) {
			if (!n)
				abort();
			sink += n;
			sk_strv_free(v, n);
		} else if (line) {
			check_message(data, size);
		}
		free(line);
	}
	return 0;
}
