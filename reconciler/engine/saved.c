/*
 * saved.c - what a saved plan records of how it was made
 */
#include "reconciler/engine/saved.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/config.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"
#include "reconciler/engine/load.h"
#include "reconciler/planner/inventory.h"
#include "reconciler/planner/plan.h"
#include "specs/policy.h"
#include "specs/source.h"

#define SUFFIX "; drop the option, or make a new plan"

static int dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (!s || !*s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : sk_error_set_oom();
}

/* a keyring's absolute path, so `apply FILE` finds it from anywhere */
static int dup_path(char **out, const char *what, const char *s)
{
	char real[PATH_MAX];

	*out = NULL;
	if (!s || !*s)
		return 0;
	if (!realpath(s, real))
		return sk_error_set_errno(SK_ERR_SIGNATURE, "cannot find %s '%s'", what, s);
	return dup_opt(out, real);
}

/* the account an ARN names into out; false when it names none */
static bool arn_account(const char *arn, char *out, size_t len)
{
	struct sk_arn a;

	return arn && sk_arn_parse(&a, arn) == 0 && a.account.len && sk_arn_part_copy(out, len, a.account) == 0;
}

/* the account the inventory's ARNs name: its instances', else its manual snapshots'; NULL when none does */
static const char *account_of(const struct sk_inventory *inv, char *out, size_t len)
{
	size_t i;

	for (i = 0; inv && i < inv->n_instances; i++)
		if (arn_account(inv->instances[i].arn, out, len))
			return out;
	for (i = 0; inv && i < inv->n_snapshots; i++) {
		const struct sk_inv_snapshot *s = &inv->snapshots[i];
		if (s->type == SK_SNAP_MANUAL && arn_account(s->arn ? s->arn : s->arn_prefix, out, len))
			return out;
	}
	return NULL;
}

const char *sk_saved_endpoint(const struct sk_aws_config *cfg, char *buf, size_t len)
{
	struct sk_buf url = SK_BUF_INIT;
	const char *out = NULL;

	/* with no override, RDS is AWS's own endpoint for the region asked (any region: us-east-1 here) */
	if (cfg && sk_aws_config_endpoint(cfg, "rds", "us-east-1", &url) == 0 &&
	    strcmp(sk_buf_cstr(&url), "https://rds.us-east-1.amazonaws.com") && url.len < len) {
		memcpy(buf, url.ptr, url.len + 1);
		out = buf;
	}
	sk_buf_free(&url);
	return out;
}

const char *sk_saved_profile(const struct sk_aws_config *cfg)
{
	return cfg && cfg->profile && strcmp(cfg->profile, "default") ? cfg->profile : NULL;
}

/* dst[0..n) = copies of src[0..n); *n_dst counts the ones made */
static int dup_names(char ***dst, size_t *n_dst, const char *const *src, size_t n)
{
	size_t i;

	if (n && !(*dst = calloc(n, sizeof(**dst))))
		return sk_error_set_oom();
	for (i = 0; i < n; i++) {
		if (!((*dst)[i] = strdup(src[i])))
			return sk_error_set_oom();
		(*n_dst)++;
	}
	return 0;
}

/* the accounts of a plan's parts (several accounts), in order (an empty list for none); NULL: out of memory */
static const char **part_accounts(const struct sk_plan *p)
{
	const char **v = calloc(p->n_parts + 1, sizeof(*v));

	for (size_t i = 0; v && i < p->n_parts; i++)
		v[i] = p->parts[i].account;
	return v;
}

/* copies of the accounts a plan over several accounts covers, in order, into out */
static int plan_accounts(char ***out, size_t *n_out, const struct sk_plan *plan)
{
	const char **v;
	int rc;

	if (!plan || !plan->n_parts)
		return 0;
	if (!(v = part_accounts(plan)))
		return sk_error_set_oom();
	rc = dup_names(out, n_out, v, plan->n_parts);
	free(v);
	return rc;
}

int sk_saved_origin(struct sk_planfile_origin *out, const struct sk_saved_how *how, const struct sk_policyset *set,
		    const struct sk_inventory *inv, const struct sk_plan *plan)
{
	char account[64], endpoint[1024];

	memset(out, 0, sizeof(*out));
	out->present = true;
	out->allow_mass_delete = how->allow_mass_delete;
	if (sk_source_locate(&out->repository, how->source->repo) < 0 || dup_opt(&out->path, how->source->path) < 0 ||
	    dup_opt(&out->ref, how->source->ref) < 0 || dup_opt(&out->commit, set->commit) < 0 ||
	    dup_opt(&out->account, account_of(inv, account, sizeof(account))) < 0 ||
	    dup_opt(&out->endpoint, sk_saved_endpoint(how->aws, endpoint, sizeof(endpoint))) < 0 ||
	    dup_opt(&out->profile, sk_saved_profile(how->aws)) < 0)
		goto fail;
	if ((out->require_signed = how->source->signing.required) &&
	    (dup_path(&out->gpg_keyring, "--gpg-keyring", how->source->signing.gpg_keyring) < 0 ||
	     dup_path(&out->allowed_signers, "--allowed-signers", how->source->signing.allowed_signers) < 0))
		goto fail;
	if (dup_names(&out->regions, &out->n_regions, how->regions, how->n_regions) < 0 ||
	    plan_accounts(&out->accounts, &out->n_accounts, plan) < 0)
		goto fail;
	return 0;
fail:
	sk_error_prefix("cannot record how the plan was made");
	sk_planfile_origin_free(out);
	return -1;
}

/* ---- agreeing with the options ---- */

/* a folder as --path names it: no "./" in front, no '/' at the end; "" for the whole tree */
static void norm_path(char *out, size_t len, const char *s)
{
	size_t n;

	s = s ? s : "";
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	if (!strcmp(s, "."))
		s = "";
	sk_strlcpy(out, s, len);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
}

static bool has_name(const char *const *list, size_t n, const char *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], r))
			return true;
	return false;
}

/* the same set of names, whatever the order and repeats */
static bool same_names(const char *const *a, size_t n_a, const char *const *b, size_t n_b)
{
	size_t i;

	for (i = 0; i < n_a; i++)
		if (!has_name(b, n_b, a[i]))
			return false;
	for (i = 0; i < n_b; i++)
		if (!has_name(a, n_a, b[i]))
			return false;
	return true;
}

/* "--region us-east-1, us-west-2" (option "--region"), or none when the list is empty */
static void list_names(struct sk_buf *b, const char *option, const char *none, const char *const *list, size_t n)
{
	size_t i;

	if (!n)
		sk_buf_adds(b, none);
	for (i = 0; i < n; i++)
		sk_buf_printf(b, "%s%s%s", i ? "" : option, i ? ", " : " ", list[i]);
}

/* the list option names contradicts the origin's (none: what an empty one means there) */
static int contradicts(const char *option, const char *none, const char *const *given, size_t n_given,
		       char *const *saved, size_t n_saved, const char *file)
{
	struct sk_buf a = SK_BUF_INIT, b = SK_BUF_INIT;
	int rc;

	if (n_given)
		list_names(&a, option, "", given, n_given);
	else
		sk_buf_printf(&a, "no %s", option);
	list_names(&b, option, none, (const char *const *)saved, n_saved);
	rc = sk_error_set(SK_ERR_INVALID, "%s contradicts saved plan '%s', made for %s" SUFFIX, sk_buf_cstr(&a), file,
			  sk_buf_cstr(&b));
	sk_buf_free(&a);
	sk_buf_free(&b);
	return rc;
}

static int check_endpoint_and_profile(const struct sk_planfile_origin *o, const char *file,
				      const struct sk_saved_how *how)
{
	char buf[1024];
	const char *endpoint = sk_saved_endpoint(how->aws, buf, sizeof(buf)), *profile = sk_saved_profile(how->aws);

	if ((endpoint || o->endpoint) && (!endpoint || !o->endpoint || strcmp(endpoint, o->endpoint)))
		return sk_error_set(SK_ERR_INVALID,
				    "%s%s%s (--endpoint, AWS_ENDPOINT_URL_RDS, AWS_ENDPOINT_URL or the profile's "
				    "endpoint_url) contradicts saved plan '%s', made with %s%s%s" SUFFIX,
				    endpoint ? "endpoint '" : "AWS's own endpoint", endpoint ? endpoint : "",
				    endpoint ? "'" : "", file, o->endpoint ? "endpoint '" : "AWS's own endpoints",
				    o->endpoint ? o->endpoint : "", o->endpoint ? "'" : "");
	if ((profile || o->profile) && (!profile || !o->profile || strcmp(profile, o->profile)))
		return sk_error_set(SK_ERR_INVALID,
				    "%s%s%s (--profile or AWS_PROFILE) contradicts saved plan '%s', made with %s%s%s" SUFFIX,
				    profile ? "profile '" : "no profile", profile ? profile : "", profile ? "'" : "", file,
				    o->profile ? "profile '" : "no profile named", o->profile ? o->profile : "",
				    o->profile ? "'" : "");
	return 0;
}

int sk_saved_check(const struct sk_planfile_origin *o, const char *file, const struct sk_saved_how *how)
{
	const struct sk_load_opts *src = how->source;
	char a[4096], b[4096], *repo = NULL;
	const char *ref, *oref;
	int rc = 0;

	if (!o || !o->present)
		return 0;
	if (o->repository) {
		if (sk_source_locate(&repo, src->repo) < 0)
			return sk_error_prefix("saved plan '%s'", file);
		if (strcmp(repo, o->repository))
			rc = sk_error_set(SK_ERR_INVALID,
					  "repository '%s' (--repo, SNAPKEEP_REPO or the current directory) contradicts "
					  "saved plan '%s', made from repository '%s'" SUFFIX,
					  repo, file, o->repository);
		free(repo);
		if (rc < 0)
			return rc;
	}
	norm_path(a, sizeof(a), src->path);
	norm_path(b, sizeof(b), o->path);
	if (strcmp(a, b))
		return sk_error_set(SK_ERR_INVALID, "%s%s%s (or SNAPKEEP_PATH) contradicts saved plan '%s', made with %s%s%s" SUFFIX,
				    a[0] ? "--path '" : "no --path", a, a[0] ? "'" : "", file,
				    b[0] ? "--path '" : "no --path (the whole tree)", b, b[0] ? "'" : "");
	ref = src->ref && *src->ref ? src->ref : "HEAD";
	oref = o->ref ? o->ref : "HEAD";
	if (strcmp(ref, oref))
		return sk_error_set(SK_ERR_INVALID,
				    "--ref '%s' (or SNAPKEEP_REF) contradicts saved plan '%s', made at --ref '%s'" SUFFIX, ref,
				    file, oref);
	if (!same_names(how->regions, how->n_regions, (const char *const *)o->regions, o->n_regions))
		return contradicts("--region", "every region its policies name", how->regions, how->n_regions, o->regions,
				   o->n_regions, file);
	/* no --account is every account the plan covers: checked once they are planned again */
	if (how->n_accounts && o->n_accounts &&
	    !same_names(how->accounts, how->n_accounts, (const char *const *)o->accounts, o->n_accounts))
		return contradicts("--account", "", how->accounts, how->n_accounts, o->accounts, o->n_accounts, file);
	/* verifying a commit that was not verified when planned is fine; the reverse is not */
	if (o->require_signed && !src->signing.required)
		return sk_error_set(SK_ERR_INVALID, "no --require-signed-commits contradicts saved plan '%s', made from a "
						    "commit whose signature was verified" SUFFIX, file);
	if (how->allow_mass_delete != o->allow_mass_delete)
		return sk_error_set(SK_ERR_INVALID, "%s contradicts saved plan '%s', made %s --allow-mass-delete" SUFFIX,
				    how->allow_mass_delete ? "--allow-mass-delete" : "no --allow-mass-delete", file,
				    o->allow_mass_delete ? "with" : "without");
	if (how->aws)
		return check_endpoint_and_profile(o, file, how);
	return 0;
}

int sk_saved_check_account(const struct sk_planfile_origin *o, const char *file, const struct sk_inventory *inv)
{
	char account[64];
	const char *now;

	if (!o || !o->present || !o->account || !(now = account_of(inv, account, sizeof(account))) ||
	    !strcmp(now, o->account))
		return 0;
	return sk_error_set(SK_ERR_PLAN,
			    "saved plan '%s' was made for AWS account %s, but the credentials in use reach account %s; "
			    "apply it with that account's credentials, or make a new plan",
			    file, o->account, now);
}

/* the accounts a saved plan was made over (its own list, or its origin's) are the ones planned now */
static int same_accounts(const char *file, const char *const *was, size_t n_was, const char *const *now,
			 size_t n_now)
{
	struct sk_buf a = SK_BUF_INIT, b = SK_BUF_INIT;
	int rc;

	if (same_names(was, n_was, now, n_now))
		return 0;
	list_names(&a, "accounts", "no account", was, n_was);
	list_names(&b, "accounts", "no account", now, n_now);
	rc = sk_error_set(SK_ERR_PLAN, "saved plan '%s' was made over %s, but this run plans %s; make a new plan", file,
			  sk_buf_cstr(&a), sk_buf_cstr(&b));
	sk_buf_free(&a);
	sk_buf_free(&b);
	return rc;
}

int sk_saved_check_accounts(const struct sk_planfile_origin *o, const char *file, const struct sk_plan *saved,
			    const struct sk_plan *fresh)
{
	const char **was = NULL, **now = NULL;
	int rc = 0;

	if (!saved->n_parts && (!o || !o->n_accounts))
		return 0;
	if (fresh->n_unobserved)
		return sk_error_set(SK_ERR_PLAN, "saved plan '%s' covers account %s, which could not be observed now (%s); "
						 "nothing was applied: apply it once the account can be observed, or make "
						 "a new plan",
				    file, fresh->unobserved[0].account, fresh->unobserved[0].error);
	if (!(was = part_accounts(saved)) || !(now = part_accounts(fresh))) {
		rc = sk_error_set_oom();
		goto done;
	}
	if ((saved->n_parts && same_accounts(file, was, saved->n_parts, now, fresh->n_parts) < 0) ||
	    (o && o->n_accounts &&
	     same_accounts(file, (const char *const *)o->accounts, o->n_accounts, now, fresh->n_parts) < 0))
		rc = -1;
done:
	free(was);
	free(now);
	return rc;
}
