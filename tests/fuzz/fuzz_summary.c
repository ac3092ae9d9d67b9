/*
 * fuzz_summary.c - the daily summary's file (summary.json) read back
 *
 * `run --summary-at` keeps its running totals in <state>/summary.json and
 * reads them at start (sk_file_parse_json, then
 * sk_alert_summary_from_json).  Whatever the file holds: a refusal says
 * why and leaves the totals empty; what is accepted writes back out (the
 * next cycle saves it), reads back the same, and makes a summary whose SNS
 * subject is printable ASCII of at most 100 characters.
 * Seeds: corpus/summary/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/error.h"
#include "reconciler/service/alerts.h"
#include "state/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(const struct sk_alert_summary *s)
{
	json_t *j = sk_alert_summary_to_json(s);
	char *text;

	if (!j)
		abort(); /* what was read must be writable: the next cycle saves it */
	text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	if (!text)
		abort();
	json_decref(j);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_alert_summary s, s2, empty;
	struct sk_buf subject = SK_BUF_INIT, body = SK_BUF_INIT;
	json_t *j = NULL, *j2;
	char *text, *text2;
	size_t i;

	sk_error_clear();
	if (sk_file_parse_json(&j, (const char *)data, size, SK_ERR_STATE, "daily summary", "fuzz") < 0) {
		if (j || !sk_error_message()[0])
			abort();
		return 0;
	}
	sk_alert_summary_reset(&empty);
	memset(&s, 0xa5, sizeof(s));
	if (sk_alert_summary_from_json(&s, j) < 0) {
		json_decref(j);
		if (!sk_error_message()[0] || memcmp(&s, &empty, sizeof(s)))
			abort(); /* says why, and leaves the totals empty */
		return 0;
	}
	json_decref(j);
	if (s.failed > s.cycles)
		abort();

	text = dump(&s);
	j2 = json_loads(text, 0, NULL);
	if (!j2 || sk_alert_summary_from_json(&s2, j2) < 0)
		abort();
	json_decref(j2);
	text2 = dump(&s2);
	if (strcmp(text, text2))
		abort(); /* written, read and written again: the same */
	free(text);
	free(text2);

	if (sk_alert_format_summary(&subject, &body, &s, 1767236400000LL) < 0)
		abort();
	if (subject.len > 100)
		abort();
	for (i = 0; i < subject.len; i++)
		if (subject.ptr[i] < 0x20 || subject.ptr[i] >= 0x7f)
			abort();
	sk_alert_summary_due(&s, 0, 1767236400);
	sk_buf_free(&subject);
	sk_buf_free(&body);
	return 0;
}
