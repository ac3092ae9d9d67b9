/*
 * fuzz_lock.c - the lock file's holder record and its description
 *
 * Whoever takes the lock writes {"host", "pid", "command", "runId",
 * "since"} into <state>/lock; a run that finds it busy, or a record left
 * behind, reads it back and names the holder in a one-line message
 * (sk_lock_holder_describe).  Whatever the file holds, the record read is
 * well formed (terminated strings, a pid that is a pid or 0) and its
 * description is one line, cut cleanly at any buffer size.
 * Seeds: corpus/lock/.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap), i;

	if (n >= cap)
		abort(); /* not terminated */
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort(); /* a message is one line of text */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 2, 17, 80, 512, 1024 };
	struct sk_lock_holder h;
	char out[1024];
	size_t k;

	memset(&h, 0xa5, sizeof(h));
	sk_lock_parse_holder(&h, (const char *)data, size);
	if (!h.known) {
		if (h.host[0] || h.command[0] || h.run_id[0] || h.pid || h.since)
			abort(); /* nothing read leaves nothing behind */
	} else {
		check_text(h.host, sizeof(h.host));
		check_text(h.command, sizeof(h.command));
		check_text(h.run_id, sizeof(h.run_id));
		if (h.pid < 0 || h.pid > INT_MAX)
			abort(); /* 0 (unknown) or something kill(2) can be asked about */
	}
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		memset(out, 'x', sizeof(out));
		sk_lock_holder_describe(out, sizes[k], &h);
		check_text(out, sizes[k]);
		if (k && !out[0])
			abort();
	}
	return 0;
}
