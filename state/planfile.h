/*
 * planfile.h - saved plans (`snapkeep plan -out FILE`, `apply FILE`, `show FILE`)
 *
 * A saved plan is an envelope around the plan JSON (specs/plan-format.md,
 * "Saved plans"):
 *
 *   {"format": "snapkeep-saved-plan/v1", "createdAt": "...",
 *    "snapkeepVersion": "0.1.0-...", "origin": {...how it was made...},
 *    "plan": {"format": "snapkeep-plan/v1", ...}}
 *
 * The plan inside is carried as given (sk_plan_to_json() plus the
 * "fingerprint" of the observed state the caller adds); the origin records
 * what making it again needs (struct sk_planfile_origin).  This module
 * writes and checks the envelope.  Written atomically, mode 0600; read only
 * when the file is as ssh wants its keys: a regular file, owned by the user
 * running snapkeep (or root), writable by nobody else.
 */
#ifndef SK_PLANFILE_H
#define SK_PLANFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define SK_SAVED_PLAN_FORMAT "snapkeep-saved-plan/v1"
#define SK_SAVED_PLAN_VERSION 1
#define SK_SAVED_PLAN_MAX_BYTES ((size_t)256 << 20)

/*
 * How a saved plan was made: what `apply FILE` needs to make it again.
 * NULL strings and no regions mean "none" (HEAD, the whole tree, every
 * region the policies name, AWS's own endpoint, no profile named, account
 * unknown); no accounts, a plan of one account.  Never a credential.
 */
struct sk_planfile_origin {
	bool present;           /* read: the file records one (snapkeep before origins wrote none) */
	char *repository;       /* an absolute path (local), or a URL without password (nor user name for http[s]) */
	char *path;             /* --path */
	char *ref;              /* --ref as given */
	char *commit;           /* what the ref resolved to (40 hex digits) */
	char **regions;         /* --region, in the order given */
	size_t n_regions;
	bool allow_mass_delete; /* --allow-mass-delete */
	char *account;          /* the AWS account the observed ARNs named */
	char **accounts;        /* over several accounts (Settings' accounts): the ones planned, in Settings' order */
	size_t n_accounts;
	char *endpoint;         /* the RDS endpoint override (--endpoint, AWS_ENDPOINT_URL...) */
	char *profile;          /* the AWS profile named (--profile, AWS_PROFILE) */
	bool require_signed;    /* --require-signed-commits: the commit's signature was verified */
	char *gpg_keyring;      /* with it: --gpg-keyring as an absolute path, or NULL */
	char *allowed_signers;  /* with it: --allowed-signers as an absolute path, or NULL */
};

void sk_planfile_origin_free(struct sk_planfile_origin *o);

/* writes plan (an object; not consumed) to path inside the envelope, with origin unless NULL */
int sk_planfile_write(const char *path, const json_t *plan, const struct sk_planfile_origin *origin);

/*
 * Reads a saved plan and returns its "plan" object (a new reference), and
 * its origin into *origin unless NULL (origin->present false for an older
 * file; free it with sk_planfile_origin_free).  Errors (class SK_ERR_PLAN)
 * name the file and what is wrong: missing, not a regular file, owned by
 * someone else than the user or root, writable by group or others (with
 * the fix), empty, truncated or not JSON, not a saved plan (with a hint
 * when it is `plan --output json` output), a newer format, no plan inside,
 * a malformed origin.
 */
int sk_planfile_read(json_t **out, struct sk_planfile_origin *origin, const char *path);

/* the same from memory, without the file checks; name is used in messages (the fuzz target's entry point) */
int sk_planfile_parse(json_t **out, struct sk_planfile_origin *origin, const char *text, size_t len,
		      const char *name);

#endif
