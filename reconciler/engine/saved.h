/*
 * saved.h - what a saved plan records of how it was made, and holding
 * `apply FILE` to it
 *
 * `plan -out FILE` writes an origin (state/planfile.h) beside the plan:
 * the repository (specs/source.h sk_source_locate: an absolute path, or
 * the URL without credentials), --path, --ref as given and the commit it
 * resolved to, --region, --allow-mass-delete, the AWS account the observed
 * ARNs name (over several accounts, Settings' accounts: the accounts the
 * plan covers instead), the RDS endpoint override and the AWS profile
 * named.  The command line fills from it what `apply FILE` is not told, so
 * the file needs nothing else; sk_reconcile() refuses a saved plan whose
 * origin disagrees with the options it runs with, names another commit
 * than its plan, or another account than the one observed (over several
 * accounts: other accounts than the ones planned again, or one of them
 * not observed now).
 *
 * In an origin, NULL repository, commit and account mean "not recorded"
 * (not checked); NULL path, ref, endpoint, profile and no regions mean the
 * defaults (the whole tree, HEAD, AWS's own endpoints, no profile named,
 * every region the policies name), which an option contradicts; no
 * accounts, a plan of one account.
 */
#ifndef SK_SAVED_H
#define SK_SAVED_H

#include <stdbool.h>
#include <stddef.h>

#include "state/planfile.h"

struct sk_aws_config;
struct sk_inventory;
struct sk_load_opts;
struct sk_plan;
struct sk_policyset;

/* the options a plan is made with, as an origin records them */
struct sk_saved_how {
	const struct sk_load_opts *source; /* repo, path, ref */
	const char *const *regions;
	size_t n_regions;
	bool allow_mass_delete;
	const struct sk_aws_config *aws;   /* endpoint and profile; NULL: not known (not recorded, not checked) */
	const char *const *accounts;       /* --account: only these of Settings' accounts (none: every one) */
	size_t n_accounts;
};

/*
 * The origin of plan, made with how from set (its commit) and inv (its
 * account); over several accounts (plan->parts, inv NULL) it records the
 * accounts the plan covers.  Free it with sk_planfile_origin_free.
 */
int sk_saved_origin(struct sk_planfile_origin *out, const struct sk_saved_how *how, const struct sk_policyset *set,
		    const struct sk_inventory *inv, const struct sk_plan *plan);

/*
 * Does the origin agree with how?  0, or SK_ERROR: class SK_ERR_INVALID
 * when an option contradicts it, naming the option, its value and the
 * plan's ("--region us-west-2 contradicts saved plan 'p.plan', made for
 * --region us-east-1; ..."); another class when the repository cannot be
 * located.  An origin that is not present agrees with anything.
 */
int sk_saved_check(const struct sk_planfile_origin *o, const char *file, const struct sk_saved_how *how);

/* the account check after observing: 0, or SK_ERR_PLAN naming both accounts */
int sk_saved_check_account(const struct sk_planfile_origin *o, const char *file, const struct sk_inventory *inv);

/*
 * Over several accounts, once the plan is made again (fresh): every
 * account the saved plan observed, and every one its origin records, was
 * observed and planned again, and no other.  0 (also for a plan of one
 * account), or SK_ERR_PLAN naming the account not observed now and why, or
 * both lists of accounts.
 */
int sk_saved_check_accounts(const struct sk_planfile_origin *o, const char *file, const struct sk_plan *saved,
			    const struct sk_plan *fresh);

/* the RDS endpoint override cfg uses, and the profile it names, as an origin records them (NULL: none) */
const char *sk_saved_endpoint(const struct sk_aws_config *cfg, char *buf, size_t len);
const char *sk_saved_profile(const struct sk_aws_config *cfg);

#endif
