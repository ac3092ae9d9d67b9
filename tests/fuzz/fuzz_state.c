/*
 * fuzz_state.c - the parsers of files snapkeep reads back: the state file,
 * journal lines and saved plans
 *
 * The whole input goes to the state-file and saved-plan parsers, and each
 * of its lines to the journal-line parser.  Whatever they accept must be
 * well formed: a state re-serializes, a record has its type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "state/journal.h"
#include "state/planfile.h"
#include "state/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct sk_state *s = NULL;
	json_t *plan = NULL;
	size_t start = 0, i;

	if (sk_state_parse(&s, text, size, "fuzz") == 0) {
		json_t *again = sk_state_to_json(s);
		struct sk_state *s2 = NULL;
		char *dump = again ? json_dumps(again, JSON_COMPACT) : NULL;
		/* what was accepted writes out and reads back the same */
		if (!dump || sk_state_parse(&s2, dump, strlen(dump), "fuzz-again") < 0 || s2->serial != s->serial ||
		    strcmp(s2->lineage, s->lineage) || s2->n_instances != s->n_instances)
			abort();
		sk_state_free(s2);
		free(dump);
		json_decref(again);
		sk_state_free(s);
	} else if (!sk_error_message()[0]) {
		abort(); /* a refusal always says why */
	}

	if (sk_planfile_parse(&plan, NULL, text, size, "fuzz") == 0) {
		if (!json_is_object(plan))
			abort();
		json_decref(plan);
	}

	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		{
			struct sk_journal_record r;
			json_t *j = NULL;
			if (sk_journal_parse_line(&r, &j, text + start, i - start) == 0) {
				if (!r.type || r.json != j)
					abort();
				json_decref(j);
			}
		}
		start = i + 1;
	}
	return 0;
}
