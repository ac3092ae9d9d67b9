/*
 * report_json.c - a report as snapkeep-report/v1 JSON (report_json.h)
 */
#include "reconciler/planner/report_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "reconciler/planner/retention.h"

#define DAY ((int64_t)86400)

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *opt_time(int64_t t)
{
	return t ? sk_json_time(t) : json_null();
}

/* cents are what money is shown in: 1.005 is 1.0 or 1.01 by chance of binary, never 1.00499999 */
static json_t *money(double v)
{
	return json_real((double)(long long)(v * 100.0 + (v < 0 ? -0.5 : 0.5)) / 100.0);
}

static json_t *cost_json(const struct sk_report_cost *c)
{
	return json_pack("{s:I, s:o, s:o, s:I, s:o}", "gib", (json_int_t)c->gib, "storage", money(c->storage), "transfer",
			 money(c->transfer), "gibDelta", (json_int_t)c->gib_delta, "delta", money(c->delta));
}

static json_t *owners_json(const size_t by[SK_REPORT_OWNERS])
{
	json_t *o = json_object();
	size_t k;

	for (k = 0; o && k < SK_REPORT_OWNERS; k++)
		json_object_set_new(o, sk_report_owner_name((enum sk_report_owner)k), json_integer((json_int_t)by[k]));
	return o;
}

static json_t *counts_json(const size_t c[SK_REPORT_VERDICTS])
{
	return json_pack("{s:I, s:I, s:I}", "compliant", (json_int_t)c[SK_REPORT_COMPLIANT], "drift",
			 (json_int_t)c[SK_REPORT_DRIFT], "atRisk", (json_int_t)c[SK_REPORT_AT_RISK]);
}

static json_t *rules_json(unsigned keep)
{
	json_t *a = json_array();
	unsigned bit;

	for (bit = 1; a && bit; bit <<= 1)
		if (keep & bit)
			json_array_append_new(a, json_string(sk_keep_reason_name(bit)));
	return a;
}

static json_t *day_text(int64_t t)
{
	char buf[SK_TIME_RFC3339_MAX];

	sk_time_format_rfc3339(buf, t);
	buf[10] = '\0';
	return json_string(buf);
}

static json_t *history_json(const struct sk_report *r)
{
	json_t *h, *days = json_array(), *totals = json_object(), *events = json_array();
	size_t d, k;

	for (k = 0; totals && k < SK_REPORT_EVENT_KINDS; k++)
		json_object_set_new(totals, sk_report_event_kind_name((enum sk_report_event_kind)k),
				    json_integer((json_int_t)r->totals[k]));
	for (d = 0; days && d < r->n_days; d++) {
		json_t *o = json_object(), *gib = json_object(), *cost = json_object();
		for (k = 0; o && k < SK_REPORT_EVENT_KINDS; k++)
			json_object_set_new(o, sk_report_event_kind_name((enum sk_report_event_kind)k),
					    json_integer((json_int_t)r->days[d].counts[k]));
		for (k = 0; gib && cost && k < r->n_regions; k++) {
			json_object_set_new(gib, r->regions[k].region,
					    json_integer((json_int_t)r->storage_gib[d * r->n_regions + k]));
			json_object_set_new(cost, r->regions[k].region, money(r->storage_cost[d * r->n_regions + k]));
		}
		if (o) {
			json_object_set_new(o, "day", day_text(r->days[d].day));
			json_object_set_new(o, "storageGiB", gib);
			json_object_set_new(o, "storageCost", cost);
		} else {
			json_decref(gib);
			json_decref(cost);
		}
		json_array_append_new(days, o);
	}
	for (k = 0; events && k < r->n_events; k++) {
		const struct sk_report_event *e = &r->events[k];
		json_array_append_new(events,
				      json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "time", sk_json_time(e->time), "kind",
						sk_report_event_kind_name(e->kind), "action", opt_str(e->action), "region",
						opt_str(e->region), "instance", opt_str(e->instance), "target",
						opt_str(e->target), "detail", opt_str(e->detail)));
	}
	h = json_pack("{s:o, s:o, s:b, s:o, s:o, s:o, s:I}", "since", sk_json_time(r->since), "until",
		      sk_json_time(r->until), "journal", r->has_journal, "totals", totals ? totals : json_null(), "days",
		      days ? days : json_null(), "events", events ? events : json_null(), "damagedLines",
		      (json_int_t)r->journal_damaged);
	return h;
}

static json_t *regions_json(const struct sk_report *r)
{
	json_t *a = json_array();
	size_t k;

	for (k = 0; a && k < r->n_regions; k++) {
		const struct sk_report_region *g = &r->regions[k];
		json_array_append_new(a, json_pack("{s:s, s:f, s:I, s:I, s:i, s:b, s:o, s:o}", "region", g->region,
						   "pricePerGBMonth", g->price, "manual", (json_int_t)g->manual,
						   "manualAfterPlan", (json_int_t)g->manual_after, "quota", g->quota,
						   "overQuota", g->over_quota, "snapshotsByOwner", owners_json(g->by_owner),
						   "cost", cost_json(&g->cost)));
	}
	return a;
}

static json_t *policies_json(const struct sk_report *r)
{
	json_t *a = json_array();
	size_t k;

	for (k = 0; a && k < r->n_policies; k++) {
		const struct sk_report_policy *p = &r->policies[k];
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:o, s:b, s:o}", "name", p->name, "verdict",
						   sk_report_verdict_key(p->verdict), "instances", (json_int_t)p->n_instances,
						   "counts", counts_json(p->counts), "selectsNothing", p->selects_nothing,
						   "cost", cost_json(&p->cost)));
	}
	return a;
}

/* several accounts: {"observed": [ids], "notObserved": [{"account", "error"}]} */
static json_t *accounts_json(const struct sk_report *r)
{
	json_t *seen = json_array(), *not = json_array();
	size_t k;

	for (k = 0; seen && k < r->n_accounts; k++)
		json_array_append_new(seen, json_string(r->accounts[k]));
	for (k = 0; not && k < r->n_unobserved; k++)
		json_array_append_new(not, json_pack("{s:s, s:s}", "account", r->unobserved[k].account, "error",
						     r->unobserved[k].error ? r->unobserved[k].error : ""));
	return json_pack("{s:o, s:o}", "observed", seen ? seen : json_null(), "notObserved", not ? not : json_null());
}

static json_t *instance_json(const struct sk_report *r, const struct sk_report_instance *ri)
{
	json_t *o, *checks = json_array(), *snaps = json_array(), *regions = json_array(), *drill;
	size_t k;

	for (k = 0; regions && k < ri->n_regions; k++)
		json_array_append_new(regions, json_string(ri->regions[k]));
	for (k = ri->first_check; checks && k < ri->first_check + ri->n_checks; k++) {
		const struct sk_report_check *c = &r->checks[k];
		json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "name", c->name, "region",
							c->region, "desired", c->desired, "live", c->live, "verdict",
							sk_report_verdict_key(c->verdict), "reason", opt_str(c->reason)));
	}
	for (k = ri->first_snapshot; snaps && k < ri->first_snapshot + ri->n_snapshots; k++) {
		const struct sk_report_snapshot *s = &r->snapshots[k];
		json_array_append_new(snaps, json_pack("{s:s, s:s, s:s, s:o, s:I, s:b, s:b, s:s, s:o, s:o, s:b}", "id",
						       s->id, "region", s->region, "status", s->status, "created",
						       opt_time(s->created), "gib", (json_int_t)s->gib, "encrypted",
						       s->encrypted, "copy", s->copy, "owner", sk_report_owner_name(s->owner),
						       "rule", opt_str(s->rule), "rules", rules_json(s->keep), "deleted",
						       s->deleted));
	}
	drill = ri->drill_at ? json_pack("{s:o, s:b, s:I, s:o}", "at", sk_json_time(ri->drill_at), "passed",
					 ri->drill_passed, "rtoSeconds", (json_int_t)ri->drill_rto_seconds, "error",
					 opt_str(ri->drill_error))
			     : json_null();
	o = json_pack("{s:s, s:s, s:s, s:b, s:o, s:b, s:o, s:i, s:s, s:o, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o}",
		      "policy", ri->policy, "instance", ri->instance, "region", ri->region, "observed", ri->observed,
		      "engine", opt_str(ri->engine), "encrypted", ri->encrypted, "kmsKeyId", opt_str(ri->kms_key_id),
		      "allocatedGiB", ri->allocated_gib, "verdict", sk_report_verdict_key(ri->verdict), "reason",
		      opt_str(ri->reason), "newest", opt_time(ri->newest), "snapshotsByOwner", owners_json(ri->by_owner),
		      "deleting", (json_int_t)ri->deleting, "creating", (json_int_t)ri->creating, "cost",
		      cost_json(&ri->cost), "drill", drill ? drill : json_null(), "regions", regions ? regions : json_null(),
		      "checks", checks ? checks : json_null(), "snapshots", snaps ? snaps : json_null());
	if (o && ri->account && json_object_set_new(o, "account", json_string(ri->account)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int sk_report_render_json(FILE *f, const struct sk_report *r)
{
	json_t *root = NULL, *one;
	char *head = NULL;
	size_t i, len;
	int rc = -1;

	root = json_pack("{s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:{s:s, s:f, s:b}, s:o, s:o, s:o, s:o}", "format",
			 SK_REPORT_FORMAT, "generatedAt", sk_json_time(r->now), "observedAt",
			 opt_time(r->observed_at), "commit", r->commit[0] ? json_string(r->commit) : json_null(),
			 "verdict", sk_report_verdict_key(r->verdict), "counts", counts_json(r->counts), "cost",
			 cost_json(&r->total), "prices", "currency", "USD", "transferPerGB", r->transfer_price,
			 "upperBound", 1, "timelineFrom", sk_json_time(r->timeline_from), "policies", policies_json(r),
			 "regions", regions_json(r), "history", history_json(r));
	if (root && (r->n_accounts || r->n_unobserved) && json_object_set_new(root, "accounts", accounts_json(r)) < 0) {
		json_decref(root);
		root = NULL;
	}
	if (!root || !(head = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(12))))
		goto oom;
	/* the head without its closing brace, then the instances one by one */
	len = strlen(head);
	fwrite(head, 1, len - 1, f);
	fputs(",\"instances\":[", f);
	for (i = 0; i < r->n_instances; i++) {
		if (!(one = instance_json(r, &r->instances[i])))
			goto oom;
		if (i)
			fputc(',', f);
		rc = json_dumpf(one, f, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(12));
		json_decref(one);
		if (rc < 0)
			break;
	}
	fputs("]}\n", f);
	rc = 0;
	if (fflush(f) != 0 || ferror(f))
		rc = sk_error_set_errno(SK_ERR_OS, "cannot write the report");
	goto done;
oom:
	rc = sk_error_set_oom();
done:
	free(head);
	json_decref(root);
	return rc;
}
