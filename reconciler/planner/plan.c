/*
 * plan.c - plan storage (actions, decisions, notes, per-instance summaries,
 * groups) and what is asked of a plan (counts, changes, policies that
 * select nothing); diff.c computes the plan itself
 */
#include "reconciler/planner/plan.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/buf.h"
#include "common/digest.h"
#include "common/error.h"
#include "specs/policy.h"

static const char *const kind_names[] = { "modify", "start-replication", "stop-replication", "create", "copy",
					   "delete" };

const char *sk_action_kind_name(enum sk_action_kind k)
{
	return (size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "unknown";
}

static const char *const warning_names[SK_WARN_COUNT] = {
	"retention-zero", "replication-off", "deletion-protection-off", "delete-many", "policy-removed", "instance-removed",
};

const char *sk_warning_kind_name(enum sk_warning_kind k)
{
	return (size_t)k < SK_WARN_COUNT ? warning_names[k] : "unknown";
}

int sk_warning_kind_from_name(enum sk_warning_kind *out, const char *name)
{
	size_t k;

	for (k = 0; name && k < SK_WARN_COUNT; k++)
		if (!strcmp(name, warning_names[k])) {
			*out = (enum sk_warning_kind)k;
			return 0;
		}
	return SK_ENOTFOUND;
}

int sk_action_kind_from_name(enum sk_action_kind *out, const char *name)
{
	size_t k;

	for (k = 0; name && k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (!strcmp(name, kind_names[k])) {
			*out = (enum sk_action_kind)k;
			return 0;
		}
	return SK_ENOTFOUND;
}

int sk_plan_new(struct sk_plan **out)
{
	struct sk_plan *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return sk_error_set_oom();
	p->price_per_gb_month = SK_DEFAULT_PRICE_PER_GB_MONTH;
	*out = p;
	return 0;
}

void sk_plan_free(struct sk_plan *p)
{
	if (!p)
		return;
	free(p->subject);
	free(p->ref);
	free(p->basis);
	free(p->actions);
	free(p->notes);
	free(p->decisions);
	free(p->instances);
	free(p->groups);
	free(p->regions);
	free(p->refused);
	free(p->warnings);
	for (size_t i = 0; i < p->n_parts; i++)
		sk_plan_free(p->parts[i].plan);
	free(p->parts);
	free(p->unobserved);
	sk_arena_free(&p->arena);
	free(p);
}

int sk_plan_set_account(struct sk_plan *part, const char *account)
{
	const char *a = sk_plan_strdup(part, account);
	size_t i;

	if (!a)
		return sk_error_set_oom();
	for (i = 0; i < part->n_actions; i++)
		part->actions[i].account = a;
	for (i = 0; i < part->n_refused; i++)
		part->refused[i].action.account = a;
	for (i = 0; i < part->n_notes; i++)
		part->notes[i].account = a;
	for (i = 0; i < part->n_instances; i++)
		part->instances[i].account = a;
	for (i = 0; i < part->n_policies; i++)
		part->policies[i].account = a;
	for (i = 0; i < part->n_regions; i++)
		part->regions[i].account = a;
	for (i = 0; i < part->n_warnings; i++)
		part->warnings[i].account = a;
	return 0;
}

/* appends n items of size sz at from to *items (n_items of them, cap_items room), growing it */
static int append(void **items, size_t *n_items, size_t *cap_items, const void *from, size_t n, size_t sz)
{
	if (!n)
		return 0;
	if (*n_items + n < *n_items)
		return sk_error_set_oom();
	if (sk_array_reserve(items, cap_items, *n_items + n, sz) < 0)
		return -1;
	memcpy((char *)*items + *n_items * sz, from, n * sz);
	*n_items += n;
	return 0;
}

#define APPEND(field, n_field, cap_field, from, n)                                                      \
	append((void **)&(field), &(n_field), &(cap_field), (from), (n), sizeof(*(field)))

int sk_plan_absorb(struct sk_plan *into, struct sk_plan *part, const char *account)
{
	size_t a0 = into->n_actions, g0 = into->n_groups, i0 = into->n_instances, i;
	size_t cap_regions = into->n_regions, n_policies = into->n_policies;
	struct sk_plan_part pp = { NULL, part, a0, into->n_decisions };
	struct sk_plan_policy *policies = NULL;

	if (sk_plan_set_account(part, account) < 0)
		return -1;
	pp.account = part->n_actions ? part->actions[0].account : sk_plan_strdup(part, account);

	if (!into->n_parts) {
		memcpy(into->commit, part->commit, sizeof(into->commit));
		into->signer = part->signer;
		if ((part->subject && !(into->subject = strdup(part->subject))) ||
		    (part->ref && !(into->ref = strdup(part->ref))))
			return sk_error_set_oom();
		into->copies_at_once = part->copies_at_once;
		into->price_per_gb_month = part->price_per_gb_month;
	}
	if (APPEND(into->actions, into->n_actions, into->cap_actions, part->actions, part->n_actions) < 0 ||
	    APPEND(into->notes, into->n_notes, into->cap_notes, part->notes, part->n_notes) < 0 ||
	    APPEND(into->decisions, into->n_decisions, into->cap_decisions, part->decisions, part->n_decisions) < 0 ||
	    APPEND(into->instances, into->n_instances, into->cap_instances, part->instances, part->n_instances) < 0 ||
	    APPEND(into->groups, into->n_groups, into->cap_groups, part->groups, part->n_groups) < 0 ||
	    APPEND(into->regions, into->n_regions, cap_regions, part->regions, part->n_regions) < 0 ||
	    APPEND(into->refused, into->n_refused, into->cap_refused, part->refused, part->n_refused) < 0 ||
	    APPEND(into->warnings, into->n_warnings, into->cap_warnings, part->warnings, part->n_warnings) < 0)
		return -1;
	/* the policies live in the plan's arena: a new array there, the parts' entries copied */
	if (part->n_policies) {
		if (!(policies = sk_arena_calloc(&into->arena, n_policies + part->n_policies, sizeof(*policies))))
			return sk_error_set_oom();
		if (n_policies)
			memcpy(policies, into->policies, n_policies * sizeof(*policies));
		memcpy(policies + n_policies, part->policies, part->n_policies * sizeof(*policies));
		into->policies = policies;
		into->n_policies = n_policies + part->n_policies;
	}
	for (i = a0; i < into->n_actions; i++) {
		if (into->actions[i].depends_on)
			into->actions[i].depends_on += a0;
		if (into->actions[i].group)
			into->actions[i].group += g0;
	}
	for (i = g0; i < into->n_groups; i++)
		into->groups[i].instance += i0;
	if (into->observed_at == 0 || (part->observed_at && part->observed_at < into->observed_at))
		into->observed_at = part->observed_at;
	return APPEND(into->parts, into->n_parts, into->cap_parts, &pp, 1);
}

int sk_plan_add_unobserved(struct sk_plan *p, const char *account, const char *error)
{
	struct sk_plan_unobserved u = { sk_plan_strdup(p, account), sk_plan_strdup(p, error ? error : "not observed") };

	if (!u.account || !u.error)
		return sk_error_set_oom();
	return APPEND(p->unobserved, p->n_unobserved, p->cap_unobserved, &u, 1);
}

/* an account of a plan over several accounts, for its fingerprint: its part's, or none when not observed */
struct account_basis {
	const char *account;
	const struct sk_plan *part; /* NULL: not observed */
};

static int cmp_account_basis(const void *a, const void *b)
{
	return strcmp(((const struct account_basis *)a)->account, ((const struct account_basis *)b)->account);
}

/* "account <id>: <line>" for each of the part's basis lines, or "account <id>: not observed" */
static int account_basis_lines(struct sk_buf *out, const struct account_basis *e)
{
	struct sk_view rest = sk_view_of(e->part && e->part->basis ? e->part->basis : ""), line;

	if (!e->part)
		return sk_buf_printf(out, "account %s: not observed\n", e->account);
	while (rest.len) {
		sk_view_split(&rest, '\n', &line);
		if (sk_buf_printf(out, "account %s: %.*s\n", e->account, (int)line.len, line.ptr) < 0)
			return -1;
	}
	return 0;
}

int sk_plan_fingerprint_parts(struct sk_plan *p)
{
	size_t n = p->n_parts + p->n_unobserved, i;
	struct account_basis *e = calloc(n + 1, sizeof(*e));
	struct sk_buf lines = SK_BUF_INIT, basis = SK_BUF_INIT;
	int rc = -1;

	if (!e)
		return sk_error_set_oom();
	for (i = 0; i < p->n_parts; i++) {
		if (!p->parts[i].plan || !p->parts[i].plan->fingerprint[0]) {
			sk_error_set(SK_ERR_PLAN, "account %s: its plan records no fingerprint of live state",
				     p->parts[i].account);
			goto done;
		}
		e[i] = (struct account_basis){ p->parts[i].account, p->parts[i].plan };
	}
	for (i = 0; i < p->n_unobserved; i++)
		e[p->n_parts + i] = (struct account_basis){ p->unobserved[i].account, NULL };
	qsort(e, n, sizeof(*e), cmp_account_basis);
	for (i = 0; i < n; i++)
		if (sk_buf_printf(&lines, "account %s %s\n", e[i].account,
				  e[i].part ? e[i].part->fingerprint : "not-observed") < 0 ||
		    account_basis_lines(&basis, &e[i]) < 0) {
			sk_error_set_oom();
			goto done;
		}
	if (sk_sha256_hex(p->fingerprint, lines.ptr, lines.len) < 0) {
		sk_error_set(SK_ERR_PLAN, "cannot compute the plan's fingerprint");
		goto done;
	}
	free(p->basis);
	if (!(p->basis = basis.len ? sk_buf_detach(&basis) : strdup(""))) {
		sk_error_set_oom();
		goto done;
	}
	rc = 0;
done:
	sk_buf_free(&lines);
	sk_buf_free(&basis);
	free(e);
	return rc;
}

const char *sk_plan_decision_account(const struct sk_plan *p, size_t i, size_t *cursor)
{
	size_t k = *cursor;

	if (!p->n_parts)
		return NULL;
	if (k >= p->n_parts || p->parts[k].first_decision > i)
		k = 0;
	while (k + 1 < p->n_parts && p->parts[k + 1].first_decision <= i)
		k++;
	*cursor = k;
	return p->parts[k].account;
}

const struct sk_plan_part *sk_plan_part_of(const struct sk_plan *p, size_t i)
{
	for (size_t k = 0; k < p->n_parts; k++)
		if (p->parts[k].plan && i >= p->parts[k].first_action && i < p->parts[k].first_action + p->parts[k].plan->n_actions)
			return &p->parts[k];
	return NULL;
}

const char *sk_plan_strdup(struct sk_plan *p, const char *s)
{
	return s ? sk_arena_intern(&p->arena, s) : NULL;
}

struct sk_action *sk_plan_add_action(struct sk_plan *p, const struct sk_action *a)
{
	struct sk_action *slot = SK_ARRAY_PUSH(p->actions, p->n_actions, p->cap_actions);

	if (slot)
		*slot = *a;
	return slot;
}

int sk_plan_add_decision(struct sk_plan *p, const struct sk_decision *d)
{
	struct sk_decision *slot = SK_ARRAY_PUSH(p->decisions, p->n_decisions, p->cap_decisions);

	if (!slot)
		return -1;
	*slot = *d;
	return 0;
}

size_t sk_plan_add_instance(struct sk_plan *p, const char *policy, const char *instance, size_t n_copies)
{
	struct sk_plan_instance *in;
	struct sk_plan_place *copies = NULL;

	if (n_copies && !(copies = sk_arena_calloc(&p->arena, n_copies, sizeof(*copies))))
		return SK_PLAN_NONE;
	in = SK_ARRAY_PUSH(p->instances, p->n_instances, p->cap_instances);
	if (!in)
		return SK_PLAN_NONE;
	memset(in, 0, sizeof(*in));
	in->policy = sk_plan_strdup(p, policy);
	in->instance = sk_plan_strdup(p, instance);
	in->copies = copies;
	in->n_copies = n_copies;
	return p->n_instances - 1;
}

size_t sk_plan_add_group(struct sk_plan *p, size_t instance, size_t place)
{
	struct sk_plan_group *g = SK_ARRAY_PUSH(p->groups, p->n_groups, p->cap_groups);

	if (!g)
		return 0;
	g->instance = instance;
	g->place = place;
	return p->n_groups;
}

struct sk_plan_place *sk_plan_group_place(const struct sk_plan *p, size_t g, const struct sk_plan_instance **in)
{
	const struct sk_plan_group *gr;
	struct sk_plan_instance *pi;

	if (g == 0 || g > p->n_groups)
		return NULL;
	gr = &p->groups[g - 1];
	if (gr->instance >= p->n_instances)
		return NULL;
	pi = &p->instances[gr->instance];
	if (in)
		*in = pi;
	if (gr->place == 0)
		return &pi->own;
	return gr->place <= pi->n_copies ? &pi->copies[gr->place - 1] : NULL;
}

int sk_plan_add_note(struct sk_plan *p, enum sk_note_kind kind, const char *region, const char *instance,
		     const char *fmt, ...)
{
	struct sk_note *n;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = sk_buf_vstrfmt(fmt, ap);
	va_end(ap);
	if (!msg)
		return -1;
	n = SK_ARRAY_PUSH(p->notes, p->n_notes, p->cap_notes);
	if (!n) {
		free(msg);
		return -1;
	}
	n->kind = kind;
	n->account = NULL;
	n->region = sk_plan_strdup(p, region);
	n->instance = sk_plan_strdup(p, instance);
	n->message = sk_arena_strdup(&p->arena, msg);
	free(msg);
	return n->message ? 0 : -1;
}

void sk_plan_count(const struct sk_plan *p, struct sk_plan_counts *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < p->n_actions; i++) {
		out->suspended += p->actions[i].suspended;
		switch (p->actions[i].kind) {
		case SK_ACTION_CREATE:
		case SK_ACTION_COPY:
			out->create++;
			break;
		case SK_ACTION_DELETE:
			out->remove++;
			break;
		default:
			out->change++;
			break;
		}
	}
}

bool sk_plan_has_changes(const struct sk_plan *p)
{
	return p->n_actions > 0;
}

bool sk_plan_policy_selects_nothing(const struct sk_plan_policy *pp)
{
	return pp->n_regions > 0 && pp->n_instances == 0;
}

size_t sk_plan_count_selecting_nothing(const struct sk_plan *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_policies; i++)
		n += sk_plan_policy_selects_nothing(&p->policies[i]);
	return n;
}

int sk_plan_describe_empty_policy(struct sk_buf *out, const struct sk_plan_policy *pp, const struct sk_policy *p)
{
	size_t j;
	int rc = sk_buf_printf(out, "policy '%s' selects no instance in ", pp->name);

	for (j = 0; rc == 0 && j < pp->n_regions; j++)
		rc = sk_buf_printf(out, "%s%s", j ? ", " : "", pp->regions[j]);
	if (rc == 0 && p->n_selector_tags) {
		rc = sk_buf_adds(out, ": no instance there carries the tags ");
		for (j = 0; rc == 0 && j < p->n_selector_tags; j++)
			rc = sk_buf_printf(out, "%s%s=%s", j ? ", " : "", p->selector_tags[j].key,
					   p->selector_tags[j].value);
	} else if (rc == 0) {
		rc = sk_buf_adds(out, ": none of the instances it names is there");
	}
	if (rc == 0)
		rc = sk_buf_adds(out, ", so the policy protects no database");
	return rc;
}
