/*
 * planfile.h - saved plans (`snapkeep plan -out FILE`, `apply FILE`, `show FILE`)
 *
 * A saved plan is an envelope around the plan JSON (specs/plan-format.md,
 * "Saved plans"):
 *
 *   {"format": "snapkeep-saved-plan/v1", "createdAt": "...",
 *    "snapkeepVersion": "0.1.0-...", "plan": {"format": "snapkeep-plan/v1", ...}}
 *
 * The plan inside is carried as given (sk_plan_to_json() plus the
 * "fingerprint" of the observed state the caller adds); this module only
 * writes and checks the envelope.  Written atomically, mode 0600.
 */
#ifndef SK_PLANFILE_H
#define SK_PLANFILE_H

#include <stddef.h>

#include <jansson.h>

#define SK_SAVED_PLAN_FORMAT "snapkeep-saved-plan/v1"
#define SK_SAVED_PLAN_VERSION 1
#define SK_SAVED_PLAN_MAX_BYTES ((size_t)256 << 20)

/* writes plan (an object; not consumed) to path inside the envelope */
int sk_planfile_write(const char *path, const json_t *plan);

/*
 * Reads a saved plan and returns its "plan" object (a new reference).
 * Errors (class SK_ERR_PLAN) name the file and what is wrong: missing,
 * empty, truncated or not JSON, not a saved plan (with a hint when it is
 * `plan --output json` output), a newer format, no plan inside.
 */
int sk_planfile_read(json_t **out, const char *path);

/* the same from memory; name is used in messages (the fuzz target's entry point) */
int sk_planfile_parse(json_t **out, const char *text, size_t len, const char *name);

#endif
