/*
 * render.c - plans as text (Terraform's manner) and as JSON (snapkeep-plan/v1)
 */
#include "reconciler/planner/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/planner/ownership.h"
#include "reconciler/planner/retention.h"

#define PLAN_FORMAT "snapkeep-plan/v1"

static const char *const note_names[] = { "pending", "external", "unmanaged", "deferred", "safety", "warning" };

struct style {
	const char *add, *change, *del, *dim, *bold, *reset;
};

static void pick_style(struct style *s, bool color)
{
	if (color) {
		s->add = "\033[32m";
		s->change = "\033[33m";
		s->del = "\033[31m";
		s->dim = "\033[2m";
		s->bold = "\033[1m";
		s->reset = "\033[0m";
	} else {
		s->add = s->change = s->del = s->dim = s->bold = s->reset = "";
	}
}

static void fmt_time(char out[SK_TIME_RFC3339_MAX], int64_t t)
{
	if (t)
		sk_time_format_rfc3339(out, t);
	else
		strcpy(out, "-");
}

/* with --verbose: the tags a create or copy puts on, besides snapkeep's own */
static void render_tags(const struct sk_action *a, FILE *f)
{
	size_t i, n = 0;

	for (i = 0; i < a->n_tags; i++) {
		if (!strncmp(a->tags[i].key, SK_TAG_PREFIX, strlen(SK_TAG_PREFIX)))
			continue;
		fprintf(f, "%s%s=%s", n++ ? ", " : "      tags: ", a->tags[i].key, a->tags[i].value);
	}
	if (n)
		fputc('\n', f);
}

/* "  ~ db-instance <name> (<region>[, account <id>])", the line that heads an action, the sign in color */
static void render_head(FILE *f, const struct style *s, const char *color, char sign, const char *type,
			const char *name, const char *region, const char *account)
{
	fprintf(f, "  %s%c%s %s %s%s%s (%s%s%s)\n", color, sign, s->reset, type, s->bold, name, s->reset, region,
		account ? ", account " : "", account ? account : "");
}

static void render_action(const struct sk_action *a, FILE *f, const struct style *s, bool verbose)
{
	char t1[SK_TIME_RFC3339_MAX];
	const char *snapshot = a->cluster ? "db-cluster-snapshot" : "db-snapshot";
	size_t i;

	switch (a->kind) {
	case SK_ACTION_MODIFY:
		render_head(f, s, s->change, '~', a->cluster ? "db-cluster" : "db-instance", a->target, a->region, a->account);
		for (i = 0; i < a->n_changes; i++)
			fprintf(f, "      %s: %s → %s\n", a->changes[i].field, a->changes[i].before, a->changes[i].after);
		if (a->apply_immediately)
			fprintf(f, "      %sapply immediately%s\n", s->dim, s->reset);
		break;
	case SK_ACTION_START_REPLICATION:
		render_head(f, s, s->change, '~', "db-instance", a->instance,
			    a->source_region ? a->source_region : a->region, a->account);
		fprintf(f, "      automated_backup_replication: none → %s, %d days%s%s\n", a->region,
			a->replica_retention, a->kms_key_id ? ", kms " : "", a->kms_key_id ? a->kms_key_id : "");
		break;
	case SK_ACTION_STOP_REPLICATION:
		render_head(f, s, s->change, '~', "db-instance", a->instance,
			    a->source_region ? a->source_region : a->region, a->account);
		fprintf(f, "      automated_backup_replication: %s → none\n", a->region);
		break;
	case SK_ACTION_CREATE:
	case SK_ACTION_COPY:
		render_head(f, s, s->add, '+', snapshot, a->target, a->region, a->account);
		if (a->kind == SK_ACTION_CREATE) {
			fmt_time(t1, a->slot);
			fprintf(f, "      of %s, schedule slot %s\n", a->instance, t1);
		} else {
			fmt_time(t1, a->source_created);
			fprintf(f, "      copy of %s (%s, %s%s)%s%s\n", a->source_snapshot, a->source_region,
				a->source_created ? "created " : "taken in this run", a->source_created ? t1 : "",
				a->kms_key_id ? ", kms " : "", a->kms_key_id ? a->kms_key_id : "");
		}
		if (verbose)
			render_tags(a, f);
		break;
	case SK_ACTION_DELETE:
		fmt_time(t1, a->source_created);
		render_head(f, s, s->del, '-', snapshot, a->target, a->region, a->account);
		if (a->source_region)
			fprintf(f, "      of %s, copied from %s, source created %s\n", a->instance, a->source_region, t1);
		else
			fprintf(f, "      of %s, created %s\n", a->instance, t1);
		break;
	}
	if (a->policy || a->reason)
		fprintf(f, "      %s%s%s%s%s%s\n", s->dim, a->policy ? "policy " : "", a->policy ? a->policy : "",
			a->policy && a->reason ? ": " : "", a->reason ? a->reason : "", s->reset);
	if (a->suspended)
		fprintf(f, "      %sSuspended:%s the policy says spec.suspend: true; apply makes no call\n", s->bold,
			s->reset);
}

void sk_plan_render_text(const struct sk_plan *p, FILE *f, const struct sk_render_opts *o)
{
	struct sk_plan_counts c;
	struct style s;
	char t1[SK_TIME_RFC3339_MAX], t2[SK_TIME_RFC3339_MAX];
	size_t i;

	pick_style(&s, o && o->color);
	sk_plan_count(p, &c);
	fmt_time(t1, p->now);
	fmt_time(t2, p->observed_at);
	if (p->commit[0])
		fprintf(f, "Policy: commit %.12s \"%s\"%s%s%s\n", p->commit, p->subject ? p->subject : "",
			p->ref ? " (" : "", p->ref ? p->ref : "", p->ref ? ")" : "");
	if (p->signer.format[0]) {
		char who[512];
		sk_signer_describe(who, sizeof(who), &p->signer);
		fprintf(f, "Signed by %s, verified.\n", who);
	}
	fprintf(f, "Planned at %s from live state observed at %s.\n\n", t1, t2);

	if (p->n_actions) {
		fprintf(f, "snapkeep will perform the following actions:\n\n");
		for (i = 0; i < p->n_actions; i++) {
			render_action(&p->actions[i], f, &s, o && o->verbose);
			fputc('\n', f);
		}
	}
	if (p->n_refused) {
		fprintf(f, "%sRefused by guardrails%s (never applied):\n\n", s.bold, s.reset);
		for (i = 0; i < p->n_refused; i++) {
			render_action(&p->refused[i].action, f, &s, false);
			fprintf(f, "      %sREFUSED: %s%s\n\n", s.del, p->refused[i].message, s.reset);
		}
	}
	if (o && o->verbose) {
		bool header = false;
		size_t cursor = 0;
		const char *account;
		for (i = 0; i < p->n_decisions; i++) {
			const struct sk_decision *d = &p->decisions[i];
			struct sk_buf why = SK_BUF_INIT;
			if (!d->keep)
				continue;
			if (!header) {
				fprintf(f, "Kept snapshots:\n");
				header = true;
			}
			sk_keep_reasons_format(&why, d->keep);
			account = sk_plan_decision_account(p, i, &cursor);
			fprintf(f, "  = %s (%s%s%s): %s\n", d->snap->id, d->snap->region, account ? ", account " : "",
				account ? account : "", sk_buf_cstr(&why));
			sk_buf_free(&why);
		}
		if (header)
			fputc('\n', f);
	}
	if (p->n_notes) {
		fprintf(f, "Notes:\n");
		for (i = 0; i < p->n_notes; i++) {
			const struct sk_note *n = &p->notes[i];
			fprintf(f, "  %s%s%s%s%s%s%s%s\n", note_names[n->kind], n->instance ? " " : "",
				n->instance ? n->instance : "", n->region ? " (" : "", n->region ? n->region : "",
				n->region && n->account ? ", account " : "", n->region && n->account ? n->account : "",
				n->region ? ")" : "");
			fprintf(f, "      %s\n", n->message);
		}
		fputc('\n', f);
	}
	for (i = 0; i < p->n_regions; i++) {
		const struct sk_region_summary *r = &p->regions[i];
		fprintf(f, "Snapshots in %s%s%s%s: manual %zu → %zu (quota %d); kept, not managed: %zu manual, %zu automated; "
			   "storage %+lld GiB, %+.2f USD/month\n",
			r->region, r->account ? " (account " : "", r->account ? r->account : "", r->account ? ")" : "",
			r->manual_before, r->manual_after, r->quota, r->unmanaged, r->automated,
			(long long)r->gib_delta, r->cost_delta);
	}
	if (p->n_regions)
		fputc('\n', f);
	for (i = 0; i < p->n_unobserved; i++)
		fprintf(f, "%sAccount %s was not observed:%s %s\n  nothing is planned or applied there\n\n", s.del,
			p->unobserved[i].account, s.reset, p->unobserved[i].error);
	if (!c.create && !c.change && !c.remove) {
		size_t empty = sk_plan_count_selecting_nothing(p);
		bool held = p->n_refused > 0;
		for (i = 0; i < p->n_notes; i++)
			if (p->notes[i].kind == SK_NOTE_SAFETY || p->notes[i].kind == SK_NOTE_DEFERRED)
				held = true;
		/* never "backups match the policy" while a policy protects nothing */
		if (empty == 1) {
			for (i = 0; i < p->n_policies && !sk_plan_policy_selects_nothing(&p->policies[i]); i++)
				;
			fprintf(f, "%sNo changes,%s but policy '%s' selects no instance: it protects no database. See the "
				   "notes.\n",
				s.bold, s.reset, p->policies[i].name);
		} else if (empty)
			fprintf(f, "%sNo changes,%s but %zu policies select no instance: they protect no database. See the "
				   "notes.\n",
				s.bold, s.reset, empty);
		else if (held)
			fprintf(f, "%sNo changes.%s Nothing can be done now, but live backups do not match the policy: "
				   "see the notes.\n",
				s.bold, s.reset);
		else
			fprintf(f, "%sNo changes.%s Live backups match the policy.\n", s.bold, s.reset);
	} else if (c.suspended)
		fprintf(f, "%sPlan:%s %zu to create, %zu to change, %zu to delete; %zu of them suspended "
			   "(spec.suspend): apply makes none of those.\n",
			s.bold, s.reset, c.create, c.change, c.remove, c.suspended);
	else
		fprintf(f, "%sPlan:%s %zu to create, %zu to change, %zu to delete.\n", s.bold, s.reset, c.create, c.change,
			c.remove);
	if (p->n_refused)
		fprintf(f, "%sRefused:%s %zu action%s crossed a guardrail and will not be applied.\n", s.bold, s.reset,
			p->n_refused, p->n_refused == 1 ? "" : "s");
	for (i = 0; i < p->n_warnings; i++)
		fprintf(f, "\n%sWarning: %s%s\n\n  %s\n  apply makes none of this plan without --allow-destructive=%s\n",
			s.change, sk_warning_kind_name(p->warnings[i].kind), s.reset, p->warnings[i].message,
			sk_warning_kind_name(p->warnings[i].kind));
}

/* the names of the SK_KEEP_* bits set in keep, as a JSON array */
static json_t *rules_json(unsigned keep)
{
	json_t *rules = json_array();
	unsigned bit;

	for (bit = 1; rules && bit && bit <= keep; bit <<= 1)
		if (keep & bit)
			json_array_append_new(rules, json_string(sk_keep_reason_name(bit)));
	return rules;
}

static unsigned rules_from_json(const json_t *a)
{
	unsigned keep = 0, bit;
	size_t i;
	const json_t *v;

	json_array_foreach(a, i, v) {
		const char *name = json_string_value(v);
		for (bit = 1; name && bit && bit <= SK_KEEP_SAFETY_MASK; bit <<= 1)
			if (!strcmp(sk_keep_reason_name(bit), name))
				keep |= bit;
	}
	return keep;
}

/* money in JSON: to the cent, so that no binary fraction shows (-1.8999999999999999) */
static double cents(double v)
{
	return round(v * 100.0) / 100.0;
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *sk_action_to_json(const struct sk_action *a)
{
	json_t *o = json_object(), *changes, *tags;
	size_t i;

	json_object_set_new(o, "action", json_string(sk_action_kind_name(a->kind)));
	/* only in plans over several accounts: a single account's plans are as they were */
	if (a->account)
		json_object_set_new(o, "account", json_string(a->account));
	json_object_set_new(o, "region", opt_str(a->region));
	json_object_set_new(o, "instance", opt_str(a->instance));
	json_object_set_new(o, "target", opt_str(a->target));
	json_object_set_new(o, "policy", opt_str(a->policy));
	json_object_set_new(o, "reason", opt_str(a->reason));
	if (a->suspended)
		json_object_set_new(o, "suspended", json_true());
	if (a->cluster)
		json_object_set_new(o, "cluster", json_true());
	switch (a->kind) {
	case SK_ACTION_MODIFY:
		changes = json_array();
		for (i = 0; i < a->n_changes; i++)
			json_array_append_new(changes, json_pack("{s:s, s:s, s:s}", "field", a->changes[i].field, "before",
								 a->changes[i].before, "after", a->changes[i].after));
		json_object_set_new(o, "changes", changes);
		sk_json_set_int_if(o, "backupRetentionPeriod", a->retention);
		sk_json_set_str_if(o, "preferredBackupWindow", a->window);
		sk_json_set_bool_if(o, "copyTagsToSnapshot", a->copy_tags);
		sk_json_set_bool_if(o, "deletionProtection", a->deletion_protection);
		json_object_set_new(o, "applyImmediately", json_boolean(a->apply_immediately));
		break;
	case SK_ACTION_START_REPLICATION:
	case SK_ACTION_STOP_REPLICATION:
		json_object_set_new(o, "sourceRegion", opt_str(a->source_region));
		json_object_set_new(o, "sourceArn", opt_str(a->source_arn));
		if (a->kind == SK_ACTION_START_REPLICATION) {
			json_object_set_new(o, "kmsKeyId", opt_str(a->kms_key_id));
			json_object_set_new(o, "retentionDays", json_integer(a->replica_retention));
		}
		break;
	case SK_ACTION_CREATE:
	case SK_ACTION_COPY:
		json_object_set_new(o, "slot", sk_json_time(a->slot));
		tags = json_object();
		for (i = 0; i < a->n_tags; i++)
			json_object_set_new(tags, a->tags[i].key, json_string(a->tags[i].value));
		json_object_set_new(o, "tags", tags);
		if (a->kind == SK_ACTION_COPY) {
			json_object_set_new(o, "sourceRegion", opt_str(a->source_region));
			json_object_set_new(o, "sourceArn", opt_str(a->source_arn));
			json_object_set_new(o, "sourceSnapshot", opt_str(a->source_snapshot));
			json_object_set_new(o, "sourceCreated", sk_json_time(a->source_created));
			json_object_set_new(o, "kmsKeyId", opt_str(a->kms_key_id));
		}
		json_object_set_new(o, "allocatedGiB", json_integer(a->gib));
		json_object_set_new(o, "rules", rules_json(a->keep));
		break;
	case SK_ACTION_DELETE:
		json_object_set_new(o, "created", sk_json_time(a->source_created));
		if (a->source_region)
			json_object_set_new(o, "sourceRegion", json_string(a->source_region));
		json_object_set_new(o, "allocatedGiB", json_integer(a->gib));
		json_object_set_new(o, "rules", rules_json(a->keep));
		break;
	}
	return o;
}

/*
 * decision i of p, about one owned snapshot, with every rule behind it;
 * "account" only in plans over several accounts (*cursor: sk_plan_decision_account's)
 */
static json_t *decision_json(const struct sk_plan *p, size_t i, size_t *cursor)
{
	const struct sk_decision *d = &p->decisions[i];
	const char *account = sk_plan_decision_account(p, i, cursor);
	json_t *rules = rules_json(d->keep);
	bool deferred = !d->deleted && !(d->keep & SK_KEEP_RULE_MASK) &&
			(d->keep & (SK_KEEP_MAX_DELETIONS | SK_KEEP_MASS_DELETE | SK_KEEP_FAILED_SIBLING));
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:s, s:b}", "id", d->snap->id, "region",
			      d->snap->region, "instance", d->snap->instance, "policy", opt_str(d->policy), "decision",
			      d->deleted ? "delete" : "keep", "rules", rules, "created",
			      sk_json_time(d->snap->original_created), "status", d->snap->status_text, "deferred", deferred);

	if (o && account && json_object_set_new(o, "account", json_string(account)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int sk_plan_write_json(const struct sk_plan *p, FILE *f, bool with_decisions)
{
	json_t *root = sk_plan_to_json(p, false);
	char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) : NULL;
	size_t len, i, cursor = 0;

	json_decref(root);
	if (!text)
		return sk_error_set_oom();
	len = strlen(text);
	if (!with_decisions || len < 2 || text[len - 1] != '}') {
		fprintf(f, "%s\n", text);
		free(text);
		return ferror(f) ? sk_error_set_errno(SK_ERR_OS, "cannot write the plan") : 0;
	}
	/* the decisions are streamed, one at a time: a million of them never become one tree */
	while (len > 1 && (text[len - 2] == '\n' || text[len - 2] == ' '))
		len--;
	fprintf(f, "%.*s,\n  \"snapshots\": [", (int)(len - 1), text);
	free(text);
	for (i = 0; i < p->n_decisions; i++) {
		json_t *d = decision_json(p, i, &cursor);
		char *one = d ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(d);
		if (!one)
			return sk_error_set_oom();
		fprintf(f, "%s\n    %s", i ? "," : "", one);
		free(one);
	}
	fprintf(f, "%s]\n}\n", p->n_decisions ? "\n  " : "");
	return ferror(f) ? sk_error_set_errno(SK_ERR_OS, "cannot write the plan") : 0;
}

/* what each policy selects: [{"name", "regions": [...], "instances": [{"region", "id"}]}] */
static json_t *policies_json(const struct sk_plan *p)
{
	json_t *out = json_array();
	size_t i, k;

	for (i = 0; out && i < p->n_policies; i++) {
		const struct sk_plan_policy *pp = &p->policies[i];
		json_t *regions = json_array(), *insts = json_array();
		for (k = 0; k < pp->n_regions; k++)
			json_array_append_new(regions, json_string(pp->regions[k]));
		for (k = 0; k < pp->n_instances; k++)
			json_array_append_new(insts, json_pack("{s:s, s:s}", "region", pp->instances[k].region, "id",
							       pp->instances[k].instance));
		json_t *one = json_pack("{s:s, s:o, s:o}", "name", pp->name, "regions", regions, "instances", insts);
		if (one && pp->account)
			json_object_set_new(one, "account", json_string(pp->account));
		json_array_append_new(out, one);
	}
	return out;
}

json_t *sk_plan_to_json(const struct sk_plan *p, bool with_decisions)
{
	struct sk_plan_counts c;
	json_t *root, *actions, *notes, *regions, *snaps;
	size_t i, cursor;

	sk_plan_count(p, &c);
	root = json_object();
	if (!root)
		return NULL;
	json_object_set_new(root, "format", json_string(PLAN_FORMAT));
	json_object_set_new(root, "commit", p->commit[0] ? json_string(p->commit) : json_null());
	json_object_set_new(root, "subject", opt_str(p->subject));
	json_object_set_new(root, "ref", opt_str(p->ref));
	/* only when a signature was required: plans made without one are as they were */
	if (p->signer.format[0])
		json_object_set_new(root, "signer", json_pack("{s:s, s:s, s:s}", "format", p->signer.format, "name",
							      p->signer.name, "key", p->signer.key));
	json_object_set_new(root, "now", sk_json_time(p->now));
	json_object_set_new(root, "observedAt", sk_json_time(p->observed_at));
	if (p->fingerprint[0])
		json_object_set_new(root, "fingerprint", json_string(p->fingerprint));
	json_object_set_new(root, "pricePerGBMonth", json_real(p->price_per_gb_month));
	json_object_set_new(root, "summary", json_pack("{s:I, s:I, s:I}", "create", (json_int_t)c.create, "change",
						       (json_int_t)c.change, "delete", (json_int_t)c.remove));
	if (c.suspended)
		json_object_set_new(json_object_get(root, "summary"), "suspended", json_integer((json_int_t)c.suspended));
	json_object_set_new(root, "changes", json_boolean(sk_plan_has_changes(p)));
	actions = json_array();
	for (i = 0; i < p->n_actions; i++)
		json_array_append_new(actions, sk_action_to_json(&p->actions[i]));
	json_object_set_new(root, "actions", actions);
	if (p->n_refused) {
		json_t *refused = json_array();
		for (i = 0; i < p->n_refused; i++) {
			json_t *a = sk_action_to_json(&p->refused[i].action);
			json_object_set_new(a, "guardrail", json_string(p->refused[i].guardrail));
			json_object_set_new(a, "message", json_string(p->refused[i].message));
			json_array_append_new(refused, a);
		}
		json_object_set_new(root, "refused", refused);
	}
	notes = json_array();
	for (i = 0; i < p->n_notes; i++) {
		json_t *n = json_pack("{s:s, s:o, s:o, s:s}", "kind", note_names[p->notes[i].kind], "region",
				      opt_str(p->notes[i].region), "instance", opt_str(p->notes[i].instance), "message",
				      p->notes[i].message);
		if (n && p->notes[i].account)
			json_object_set_new(n, "account", json_string(p->notes[i].account));
		json_array_append_new(notes, n);
	}
	json_object_set_new(root, "notes", notes);
	regions = json_array();
	for (i = 0; i < p->n_regions; i++) {
		const struct sk_region_summary *r = &p->regions[i];
		json_t *rj = json_pack("{s:s, s:{s:I, s:I, s:i}, s:I, s:I, s:I, s:f}", "region", r->region,
				       "manualSnapshots", "before", (json_int_t)r->manual_before, "after",
				       (json_int_t)r->manual_after, "quota", r->quota, "automatedSnapshots",
				       (json_int_t)r->automated, "unmanagedSnapshots", (json_int_t)r->unmanaged,
				       "storageGiBDelta", (json_int_t)r->gib_delta, "monthlyCostDelta", cents(r->cost_delta));
		if (rj && r->account)
			json_object_set_new(rj, "account", json_string(r->account));
		json_array_append_new(regions, rj);
	}
	json_object_set_new(root, "regions", regions);
	/* several accounts: which were observed, and which not (nothing is planned or applied there) */
	if (p->n_parts || p->n_unobserved) {
		json_t *acc = json_object(), *seen = json_array(), *unseen = json_array();
		for (i = 0; i < p->n_parts; i++)
			json_array_append_new(seen, json_string(p->parts[i].account));
		for (i = 0; i < p->n_unobserved; i++)
			json_array_append_new(unseen, json_pack("{s:s, s:s}", "account", p->unobserved[i].account, "error",
								p->unobserved[i].error));
		json_object_set_new(acc, "observed", seen);
		json_object_set_new(acc, "notObserved", unseen);
		json_object_set_new(root, "accounts", acc);
	}
	if (p->n_warnings) {
		json_t *warnings = json_array();
		for (i = 0; i < p->n_warnings; i++) {
			const struct sk_warning *w = &p->warnings[i];
			json_array_append_new(warnings, json_pack("{s:s, s:o, s:o, s:o, s:s}", "kind",
								  sk_warning_kind_name(w->kind), "policy", opt_str(w->policy),
								  "instance", opt_str(w->instance), "region",
								  opt_str(w->region), "message", w->message));
		}
		json_object_set_new(root, "warnings", warnings);
	}
	json_object_set_new(root, "policies", policies_json(p));
	if (p->basis)
		json_object_set_new(root, "basis", json_string(p->basis));
	if (with_decisions) {
		snaps = json_array();
		for (i = 0, cursor = 0; i < p->n_decisions; i++)
			json_array_append_new(snaps, decision_json(p, i, &cursor));
		json_object_set_new(root, "snapshots", snaps);
	}
	return root;
}

/* ---- reading a saved plan's actions back ---- */

static const char *jstr(struct sk_plan *p, const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? sk_plan_strdup(p, s) : NULL;
}

static int64_t jtime(const json_t *o, const char *k)
{
	int64_t t = 0;
	const char *s = json_string_value(json_object_get(o, k));

	if (s && sk_time_parse_rfc3339(&t, s) < 0)
		t = 0;
	return t;
}

static int jint(const json_t *o, const char *k, int dflt)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static int jbool3(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

/* what each policy selects, so a saved plan shows as it was planned; malformed entries are skipped */
static int policies_from_json(struct sk_plan *p, const json_t *a)
{
	size_t n = json_array_size(a), i, k;
	const json_t *v, *e;

	if (!n)
		return 0;
	if (!(p->policies = sk_arena_calloc(&p->arena, n, sizeof(*p->policies))))
		return -1;
	json_array_foreach(a, i, v) {
		struct sk_plan_policy *pp = &p->policies[p->n_policies];
		const json_t *regions = json_object_get(v, "regions"), *insts = json_object_get(v, "instances");
		if (!json_is_string(json_object_get(v, "name")))
			continue;
		pp->name = jstr(p, v, "name");
		pp->account = jstr(p, v, "account");
		if (json_array_size(regions) &&
		    !(pp->regions = sk_arena_calloc(&p->arena, json_array_size(regions), sizeof(*pp->regions))))
			return -1;
		json_array_foreach(regions, k, e)
			if (json_is_string(e))
				pp->regions[pp->n_regions++] = sk_plan_strdup(p, json_string_value(e));
		if (json_array_size(insts) &&
		    !(pp->instances = sk_arena_calloc(&p->arena, json_array_size(insts), sizeof(*pp->instances))))
			return -1;
		json_array_foreach(insts, k, e) {
			if (!json_is_string(json_object_get(e, "region")) || !json_is_string(json_object_get(e, "id")))
				continue;
			pp->instances[pp->n_instances].region = jstr(p, e, "region");
			pp->instances[pp->n_instances].instance = jstr(p, e, "id");
			pp->n_instances++;
		}
		p->n_policies++;
	}
	return 0;
}

/* several accounts: which were observed (parts naming their account only) and which not */
static int accounts_from_json(struct sk_plan *p, const json_t *a)
{
	size_t i;
	const json_t *v;

	json_array_foreach(json_object_get(a, "observed"), i, v) {
		struct sk_plan_part *pp;
		if (!json_is_string(v))
			continue;
		if (!(pp = SK_ARRAY_PUSH(p->parts, p->n_parts, p->cap_parts)))
			return -1;
		memset(pp, 0, sizeof(*pp));
		if (!(pp->account = sk_plan_strdup(p, json_string_value(v))))
			return sk_error_set_oom();
	}
	json_array_foreach(json_object_get(a, "notObserved"), i, v)
		if (json_is_string(json_object_get(v, "account")) &&
		    sk_plan_add_unobserved(p, json_string_value(json_object_get(v, "account")),
					   json_string_value(json_object_get(v, "error"))) < 0)
			return -1;
	return 0;
}

int sk_plan_from_json(struct sk_plan **out, const json_t *j)
{
	struct sk_plan *p = NULL;
	const json_t *actions, *v;
	const char *s;
	size_t i;

	*out = NULL;
	s = json_string_value(json_object_get(j, "format"));
	if (!s || strcmp(s, PLAN_FORMAT))
		return sk_error_set(SK_ERR_PLAN, "not a %s plan", PLAN_FORMAT);
	if (sk_plan_new(&p) < 0)
		return -1;
	s = json_string_value(json_object_get(j, "commit"));
	if (s)
		sk_strlcpy(p->commit, s, sizeof(p->commit));
	s = json_string_value(json_object_get(j, "subject"));
	p->subject = s ? strdup(s) : NULL;
	s = json_string_value(json_object_get(j, "ref"));
	p->ref = s ? strdup(s) : NULL;
	if ((v = json_object_get(j, "signer")) &&
	    (!json_is_string(json_object_get(v, "format")) || !json_is_string(json_object_get(v, "name")) ||
	     !json_is_string(json_object_get(v, "key")) ||
	     sk_strlcpy(p->signer.format, json_string_value(json_object_get(v, "format")), sizeof(p->signer.format)) ||
	     sk_strlcpy(p->signer.name, json_string_value(json_object_get(v, "name")), sizeof(p->signer.name)) ||
	     sk_strlcpy(p->signer.key, json_string_value(json_object_get(v, "key")), sizeof(p->signer.key)) ||
	     !p->signer.format[0])) {
		sk_plan_free(p);
		return sk_error_set(SK_ERR_PLAN, "the plan's \"signer\" is not a format, a name and a key");
	}
	p->now = jtime(j, "now");
	p->observed_at = jtime(j, "observedAt");
	if (json_is_number(json_object_get(j, "pricePerGBMonth")))
		p->price_per_gb_month = json_number_value(json_object_get(j, "pricePerGBMonth"));
	/* the notes and region figures, so a saved plan shows as it was planned */
	json_array_foreach(json_object_get(j, "notes"), i, v) {
		const char *kind = json_string_value(json_object_get(v, "kind"));
		const char *msg = json_string_value(json_object_get(v, "message"));
		size_t k;
		for (k = 0; kind && k < sizeof(note_names) / sizeof(note_names[0]); k++)
			if (!strcmp(kind, note_names[k]))
				break;
		if (!kind || !msg || k == sizeof(note_names) / sizeof(note_names[0]))
			continue;
		if (sk_plan_add_note(p, (enum sk_note_kind)k, json_string_value(json_object_get(v, "region")),
				     json_string_value(json_object_get(v, "instance")), "%s", msg) < 0) {
			sk_plan_free(p);
			return -1;
		}
		p->notes[p->n_notes - 1].account = jstr(p, v, "account");
	}
	if (json_array_size(json_object_get(j, "regions"))) {
		const json_t *regs = json_object_get(j, "regions");
		p->regions = calloc(json_array_size(regs), sizeof(*p->regions));
		if (!p->regions) {
			sk_plan_free(p);
			return sk_error_set_oom();
		}
		json_array_foreach(regs, i, v) {
			struct sk_region_summary *r = &p->regions[p->n_regions];
			const json_t *m = json_object_get(v, "manualSnapshots");
			if (!json_is_string(json_object_get(v, "region")))
				continue;
			r->region = jstr(p, v, "region");
			r->account = jstr(p, v, "account");
			r->manual_before = (size_t)jint(m, "before", 0);
			r->manual_after = (size_t)jint(m, "after", 0);
			r->quota = jint(m, "quota", 0);
			r->automated = (size_t)jint(v, "automatedSnapshots", 0);
			r->unmanaged = (size_t)jint(v, "unmanagedSnapshots", 0);
			r->gib_delta = jint(v, "storageGiBDelta", 0);
			r->cost_delta = json_number_value(json_object_get(v, "monthlyCostDelta"));
			p->n_regions++;
		}
	}
	if (policies_from_json(p, json_object_get(j, "policies")) < 0 ||
	    accounts_from_json(p, json_object_get(j, "accounts")) < 0) {
		sk_plan_free(p);
		return -1;
	}
	s = json_string_value(json_object_get(j, "fingerprint"));
	if (s)
		sk_strlcpy(p->fingerprint, s, sizeof(p->fingerprint));
	s = json_string_value(json_object_get(j, "basis"));
	if (s && !(p->basis = strdup(s))) {
		sk_plan_free(p);
		return sk_error_set_oom();
	}
	actions = json_object_get(j, "actions");
	json_array_foreach(actions, i, v) {
		struct sk_action a;
		size_t k, n;
		const json_t *ch, *tags;
		const char *kind = json_string_value(json_object_get(v, "action"));

		memset(&a, 0, sizeof(a));
		a.retention = a.copy_tags = a.deletion_protection = -1;
		if (sk_action_kind_from_name(&a.kind, kind) < 0) {
			sk_plan_free(p);
			return sk_error_set(SK_ERR_PLAN, "action %zu: unknown kind '%s'", i + 1, kind ? kind : "");
		}
		a.account = jstr(p, v, "account");
		a.region = jstr(p, v, "region");
		a.instance = jstr(p, v, "instance");
		a.target = jstr(p, v, "target");
		a.policy = jstr(p, v, "policy");
		a.reason = jstr(p, v, "reason");
		if (!a.region || !a.target) {
			sk_plan_free(p);
			return sk_error_set(SK_ERR_PLAN, "action %zu: no region or target", i + 1);
		}
		a.retention = jint(v, "backupRetentionPeriod", -1);
		a.window = jstr(p, v, "preferredBackupWindow");
		a.copy_tags = jbool3(v, "copyTagsToSnapshot");
		a.deletion_protection = jbool3(v, "deletionProtection");
		a.apply_immediately = json_is_true(json_object_get(v, "applyImmediately"));
		a.suspended = json_is_true(json_object_get(v, "suspended"));
		a.cluster = json_is_true(json_object_get(v, "cluster"));
		ch = json_object_get(v, "changes");
		n = json_array_size(ch);
		if (n > SK_PLAN_MAX_CHANGES)
			n = SK_PLAN_MAX_CHANGES;
		if (n) {
			struct sk_change *cs = sk_arena_calloc(&p->arena, n, sizeof(*cs));
			if (!cs) {
				sk_plan_free(p);
				return -1;
			}
			for (k = 0; k < n; k++) {
				const json_t *c = json_array_get(ch, k);
				const char *before = json_string_value(json_object_get(c, "before"));
				const char *after = json_string_value(json_object_get(c, "after"));
				cs[k].field = jstr(p, c, "field");
				cs[k].before = sk_plan_strdup(p, before ? before : "");
				cs[k].after = sk_plan_strdup(p, after ? after : "");
			}
			a.changes = cs;
			a.n_changes = n;
		}
		a.source_region = jstr(p, v, "sourceRegion");
		a.source_arn = jstr(p, v, "sourceArn");
		a.source_snapshot = jstr(p, v, "sourceSnapshot");
		a.kms_key_id = jstr(p, v, "kmsKeyId");
		a.replica_retention = jint(v, "retentionDays", 0);
		a.slot = jtime(v, "slot");
		a.source_created = a.kind == SK_ACTION_DELETE ? jtime(v, "created") : jtime(v, "sourceCreated");
		a.gib = (uint32_t)jint(v, "allocatedGiB", 0);
		a.keep = rules_from_json(json_object_get(v, "rules"));
		tags = json_object_get(v, "tags");
		if (json_object_size(tags)) {
			struct sk_aws_tag *t = sk_arena_calloc(&p->arena, json_object_size(tags), sizeof(*t));
			const char *key;
			json_t *val;
			if (!t) {
				sk_plan_free(p);
				return -1;
			}
			json_object_foreach((json_t *)tags, key, val) {
				t[a.n_tags].key = sk_plan_strdup(p, key);
				t[a.n_tags].value = sk_plan_strdup(p, json_string_value(val) ? json_string_value(val) : "");
				a.n_tags++;
			}
			a.tags = t;
		}
		if (!sk_plan_add_action(p, &a)) {
			sk_plan_free(p);
			return -1;
		}
	}
	*out = p;
	return 0;
}
