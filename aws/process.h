/*
 * process.h - credential_process: run the profile's program, read its JSON
 *
 * As botocore's ProcessProvider: the command line is split as Python's
 * shlex.split() does (POSIX rules: whitespace separates words; '...' is
 * literal; "..." keeps everything but \" and \\, which lose their
 * backslash; a backslash outside quotes escapes the next character; no
 * comments) and run without a shell (posix_spawnp: PATH is searched).  Its
 * stdin and stderr are ours, so what it says to the user (a prompt, an
 * error) reaches them; its stdout must be JSON:
 *
 *   {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
 *    "SessionToken": "...", "Expiration": "2026-12-03T10:00:00Z"}
 *
 * SessionToken and Expiration are optional; without an Expiration the keys
 * are long-term and never fetched again, with one they are fetched again 5
 * minutes before it (credentials.h).  A non-zero exit, a signal, no answer
 * within the time limit (the program is then killed), more than 64 KiB, a
 * Version other than 1 or a missing key is an error naming the profile and
 * the program (argv[0] only: the arguments may hold secrets), never quoting
 * the output.
 */
#ifndef SK_PROCESS_H
#define SK_PROCESS_H

#include <stddef.h>

#include "aws/credentials.h"

#define SK_PROCESS_TIMEOUT_MS 60000L

/* the words of cmdline (free with sk_strv_free(*out, *n)); SK_ERROR for an unclosed quote or a final backslash */
int sk_process_split(char ***out, size_t *n, const char *cmdline);

/* the program's stdout into out (cleared first; source "credential-process"); profile names it in messages */
int sk_process_parse(struct sk_credentials *out, const char *json, size_t len, const char *profile);

/* runs cmdline (timeout_ms 0: SK_PROCESS_TIMEOUT_MS) and parses what it printed */
int sk_process_credentials(struct sk_credentials *out, const char *cmdline, const char *profile, long timeout_ms);

#endif
