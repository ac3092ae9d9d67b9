/*
 * alertset.c - alert states: fire, repeat, resolve; routing; persistence
 */
#include "reconciler/service/alertset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/error.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "reconciler/service/alerts.h"
#include "specs/policy.h"

#define ALERTS_FORMAT "snapkeep-alerts/v1"

static const char *const kind_names[SK_ALERT_KINDS] = { "cycle", "apply", "blocked", "selects-nothing",
								 "verify" };
static const char *const heard_names[] = { "nothing", "firing", "resolved" };

const char *sk_alert_kind_name(enum sk_alert_kind k)
{
	return (unsigned)k < SK_ALERT_KINDS ? kind_names[k] : "unknown";
}

/* strdup that keeps NULL; false on allocation failure */
static bool dup_or_null(char **out, const char *s)
{
	*out = s ? strdup(s) : NULL;
	return !s || *out;
}

/* ---- findings ---- */

static void cond_free(struct sk_alert_cond *c)
{
	free((char *)c->key);
	free((char *)c->summary);
	free((char *)c->detail);
	sk_strv_free((char **)c->policies, c->n_policies);
	memset(c, 0, sizeof(*c));
}

int sk_alert_conds_add(struct sk_alert_conds *c, const struct sk_alert_cond *cond)
{
	struct sk_alert_cond copy;
	char **pol = NULL;
	size_t i;
	bool ok;

	memset(&copy, 0, sizeof(copy));
	copy.kind = cond->kind;
	copy.found = cond->found;
	ok = dup_or_null((char **)&copy.key, cond->key) && dup_or_null((char **)&copy.summary, cond->summary) &&
	     dup_or_null((char **)&copy.detail, cond->detail);
	if (ok && cond->n_policies) {
		ok = (pol = calloc(cond->n_policies, sizeof(*pol))) != NULL;
		copy.policies = (const char *const *)pol;
		for (i = 0; ok && i < cond->n_policies; i++, copy.n_policies++)
			ok = dup_or_null(&pol[i], cond->policies[i]);
	}
	if (ok && cond->key) {
		struct sk_alert_cond *slot = SK_ARRAY_PUSH(c->v, c->n, c->cap);
		if (slot) {
			*slot = copy;
			return 0;
		}
	}
	cond_free(&copy);
	return cond->key ? sk_error_set_oom() : sk_error_set(SK_ERR_INVALID, "an alert needs a key");
}

void sk_alert_conds_reset(struct sk_alert_conds *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		cond_free(&c->v[i]);
	c->n = 0;
}

void sk_alert_conds_free(struct sk_alert_conds *c)
{
	if (c)
		SK_ARRAY_CLEAR(c->v, c->n, c->cap, cond_free);
}

/* ---- the set ---- */

static void alert_free(struct sk_alert *a)
{
	free(a->key);
	free(a->summary);
	free(a->detail);
	sk_strv_free(a->topics, a->n_topics);
	free(a->subject);
	memset(a, 0, sizeof(*a));
}

void sk_alertset_free(struct sk_alertset *s)
{
	if (s)
		SK_ARRAY_CLEAR(s->v, s->n, s->cap, alert_free);
}

struct sk_alert *sk_alertset_find(const struct sk_alertset *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}

size_t sk_alertset_firing(const struct sk_alertset *s, enum sk_alert_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		n += s->v[i].firing && (kind == SK_ALERT_KINDS || s->v[i].kind == kind);
	return n;
}

/* ---- routing ---- */

void sk_alert_routes_free(struct sk_alert_routes *r)
{
	if (!r)
		return;
	free(r->fleet);
	sk_strv_free(r->names, r->n);
	sk_strv_free(r->topics, r->n);
	memset(r, 0, sizeof(*r));
}

int sk_alert_routes_learn(struct sk_alert_routes *r, const struct sk_policyset *set)
{
	struct sk_alert_routes fresh = SK_ALERT_ROUTES_INIT;
	size_t i, n = set->n_policies;
	bool ok;

	ok = dup_or_null(&fresh.fleet, set->settings.sns_topic_arn);
	if (ok && n) {
		fresh.names = calloc(n, sizeof(*fresh.names));
		fresh.topics = calloc(n, sizeof(*fresh.topics));
		ok = fresh.names && fresh.topics;
	}
	for (i = 0; ok && i < n; i++, fresh.n++)
		ok = dup_or_null(&fresh.names[i], set->policies[i].name) &&
		     dup_or_null(&fresh.topics[i], set->policies[i].sns_topic_arn && *set->policies[i].sns_topic_arn
							    ? set->policies[i].sns_topic_arn
							    : NULL);
	if (!ok) {
		sk_alert_routes_free(&fresh);
		return sk_error_set_oom();
	}
	sk_strlcpy(fresh.commit, set->commit, sizeof(fresh.commit));
	sk_alert_routes_free(r);
	*r = fresh;
	return 0;
}

int sk_alert_route(const char ***out, size_t *n, const struct sk_alert_routes *r, const char *const *policies,
		   size_t n_policies)
{
	const char **v;
	size_t i, k, m = 0;

	*out = NULL;
	*n = 0;
	if (!(v = calloc(r->n + n_policies + 1, sizeof(*v))))
		return sk_error_set_oom();
	if (!n_policies) {
		/* fleet-wide: the Settings topic; without one, every policy's (as before Settings had one) */
		if (r->fleet)
			v[m++] = r->fleet;
		for (i = 0; !r->fleet && i < r->n; i++)
			if (r->topics[i])
				v[m++] = r->topics[i];
	}
	for (k = 0; k < n_policies; k++) {
		const char *topic = NULL;
		for (i = 0; i < r->n; i++)
			if (!strcmp(r->names[i], policies[k]))
				topic = r->topics[i];
		if (!topic)
			topic = r->fleet; /* a policy that names no topic: the Settings one, if any */
		if (topic)
			v[m++] = topic;
	}
	if (!m) {
		free(v);
		return 0;
	}
	qsort(v, m, sizeof(*v), sk_strp_cmp);
	for (i = 1, *n = 1; i < m; i++)
		if (strcmp(v[i], v[*n - 1]))
			v[(*n)++] = v[i];
	*out = v;
	return 0;
}

static int set_topics(struct sk_alert *a, const struct sk_alert_routes *r, const struct sk_alert_cond *c)
{
	const char **t = NULL;
	char **copy = NULL;
	size_t n = 0, i;

	if (sk_alert_route(&t, &n, r, c->policies, c->n_policies) < 0)
		return -1;
	if (n && !(copy = calloc(n, sizeof(*copy)))) {
		free(t);
		return sk_error_set_oom();
	}
	for (i = 0; i < n; i++)
		if (!(copy[i] = strdup(t[i]))) {
			sk_strv_free(copy, i);
			free(t);
			return sk_error_set_oom();
		}
	free(t);
	sk_strv_free(a->topics, a->n_topics);
	a->topics = copy;
	a->n_topics = n;
	return 0;
}

/* ---- the state machine ---- */

static int replace_text(char **dst, const char *src)
{
	char *s;

	if (!src)
		return 0; /* nothing new to say: keep what was said */
	if (!(s = strdup(src)))
		return sk_error_set_oom();
	free(*dst);
	*dst = s;
	return 0;
}

static int set_commit(struct sk_alert *a, const struct sk_alert_cycle *cy)
{
	sk_strlcpy(a->commit, cy->commit ? cy->commit : "", sizeof(a->commit));
	free(a->subject);
	a->subject = NULL;
	return dup_or_null(&a->subject, cy->commit && *cy->commit ? cy->subject : NULL) ? 0 : sk_error_set_oom();
}

static int fire(struct sk_alertset *s, const struct sk_alert_cond *c, const struct sk_alert_cycle *cy)
{
	struct sk_alert *a = sk_alertset_find(s, c->key);

	if (!a) {
		if (!(a = SK_ARRAY_PUSH(s->v, s->n, s->cap)))
			return -1;
		memset(a, 0, sizeof(*a));
		if (!(a->key = strdup(c->key))) {
			s->n--;
			return sk_error_set_oom();
		}
	}
	if (!a->firing && a->heard != SK_HEARD_FIRING) {
		/* a new episode; one whose resolution nobody heard yet simply goes on firing */
		a->since_ms = cy->now_ms;
		a->cycles = 0;
		a->last_sent_ms = 0;
	}
	a->kind = c->kind;
	a->firing = true;
	a->resolved_ms = 0;
	a->cycles++;
	/* receivers who heard it fire keep hearing of it where they did; until then it follows the routes */
	if (cy->routes && (a->heard != SK_HEARD_FIRING || !a->n_topics) && set_topics(a, cy->routes, c) < 0)
		return -1;
	if (replace_text(&a->summary, c->summary) < 0 || replace_text(&a->detail, c->detail) < 0)
		return -1;
	return set_commit(a, cy);
}

static int resolve(struct sk_alert *a, const struct sk_alert_cycle *cy)
{
	if (!a->firing)
		return 0;
	a->firing = false;
	a->resolved_ms = cy->now_ms;
	return set_commit(a, cy);
}

int sk_alertset_update(struct sk_alertset *s, const struct sk_alert_conds *conds, unsigned looked,
		       const struct sk_alert_cycle *cy)
{
	size_t i, k;

	for (i = 0; i < conds->n; i++) {
		const struct sk_alert_cond *c = &conds->v[i];
		struct sk_alert *a;
		if (c->found == SK_FOUND_FIRING) {
			if (fire(s, c, cy) < 0)
				return -1;
		} else if (c->found == SK_FOUND_OK && (a = sk_alertset_find(s, c->key)) && resolve(a, cy) < 0) {
			return -1;
		}
	}
	/* what a cycle looked at and found no more (a removed policy, a deleted instance) has resolved */
	for (i = 0; i < s->n; i++) {
		struct sk_alert *a = &s->v[i];
		bool named = false;
		if (!a->firing || !(looked & SK_ALERT_BIT(a->kind)))
			continue;
		for (k = 0; k < conds->n && !named; k++)
			named = !strcmp(conds->v[k].key, a->key);
		if (!named && resolve(a, cy) < 0)
			return -1;
	}
	return 0;
}

enum sk_alert_notice sk_alertset_due(const struct sk_alert *a, int64_t now_ms, int64_t repeat_ms)
{
	if (a->firing) {
		if (a->heard != SK_HEARD_FIRING)
			return SK_NOTICE_FIRING;
		if (a->kind == SK_ALERT_VERIFY)
			return SK_NOTICE_NONE; /* one message on becoming CRITICAL, one on recovery */
		return now_ms - a->last_sent_ms >= repeat_ms ? SK_NOTICE_REPEAT : SK_NOTICE_NONE;
	}
	return a->heard == SK_HEARD_FIRING ? SK_NOTICE_RESOLVED : SK_NOTICE_NONE;
}

void sk_alertset_sent(struct sk_alert *a, enum sk_alert_notice n, int64_t now_ms)
{
	switch (n) {
	case SK_NOTICE_FIRING:
	case SK_NOTICE_REPEAT:
		a->heard = SK_HEARD_FIRING;
		a->last_sent_ms = now_ms;
		break;
	case SK_NOTICE_RESOLVED:
		a->heard = SK_HEARD_RESOLVED;
		break;
	case SK_NOTICE_NONE:
		break;
	}
}

void sk_alertset_prune(struct sk_alertset *s)
{
	size_t i, j = 0;

	for (i = 0; i < s->n; i++) {
		if (!s->v[i].firing && s->v[i].heard != SK_HEARD_FIRING) {
			alert_free(&s->v[i]);
			continue;
		}
		s->v[j++] = s->v[i];
	}
	s->n = j;
}

/* ---- messages ---- */

int sk_alert_format(struct sk_buf *subject, struct sk_buf *body, const struct sk_alert *a, enum sk_alert_notice n,
		    int64_t now_ms, int64_t repeat_ms)
{
	char since[SK_TIME_RFC3339_MAX], when[SK_TIME_RFC3339_MAX], took[48], every[48];
	const char *summary = a->summary ? a->summary : a->key;
	int rc;

	rc = sk_alert_subjectf(subject, "snapkeep: %s%s",
			       n == SK_NOTICE_REPEAT ? "still firing: " : n == SK_NOTICE_RESOLVED ? "resolved: " : "",
			       summary);
	if (rc < 0)
		return rc;

	sk_alert_format_time(since, a->since_ms);
	sk_alert_format_elapsed(every, repeat_ms);
	if (n == SK_NOTICE_RESOLVED) {
		sk_alert_format_time(when, a->resolved_ms ? a->resolved_ms : now_ms);
		sk_alert_format_elapsed(took, (a->resolved_ms ? a->resolved_ms : now_ms) - a->since_ms);
		rc = sk_buf_printf(body, "RESOLVED at %s: %s\nIt fired from %s for %s (found in %zu cycle%s).\n\n"
					 "What it was:\n",
				   when, summary, since, took, a->cycles, a->cycles == 1 ? "" : "s");
	} else {
		sk_alert_format_elapsed(took, now_ms - a->since_ms);
		rc = sk_buf_printf(body, "%s since %s%s%s (found in %zu cycle%s): %s\n\n",
				   n == SK_NOTICE_REPEAT ? "STILL FIRING" : "FIRING", since,
				   n == SK_NOTICE_REPEAT ? ", for " : "", n == SK_NOTICE_REPEAT ? took : "", a->cycles,
				   a->cycles == 1 ? "" : "s", summary);
	}
	if (rc == 0 && a->detail && *a->detail)
		rc = sk_buf_printf(body, "%s%s", a->detail, a->detail[strlen(a->detail) - 1] == '\n' ? "" : "\n");
	if (rc == 0)
		rc = sk_buf_printf(body, "\nAlert: %s (%s)\n", a->key,
				   a->kind == SK_ALERT_CYCLE ? "fleet-wide" : sk_alert_kind_name(a->kind));
	if (rc == 0 && n == SK_NOTICE_RESOLVED)
		rc = sk_buf_adds(body, "Resolved at ");
	if (rc == 0)
		rc = sk_alert_add_commit_line(body, a->commit, a->subject, NULL);
	if (rc == 0 && n != SK_NOTICE_RESOLVED && a->kind == SK_ALERT_VERIFY)
		rc = sk_buf_adds(body, "snapkeep says so once more when it is resolved, and not again while it fires.\n");
	else if (rc == 0 && n != SK_NOTICE_RESOLVED)
		rc = sk_buf_printf(body, "snapkeep says so again every %s while it fires, and once when it is resolved.\n",
				   every);
	return rc;
}

/* ---- persistence ---- */

static json_t *alert_json(const struct sk_alert *a)
{
	json_t *o, *topics = json_array();
	size_t i;

	for (i = 0; topics && i < a->n_topics; i++)
		if (json_array_append_new(topics, json_string(a->topics[i])) < 0) {
			json_decref(topics);
			return NULL;
		}
	o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:o, s:s, s:I, s:s, s:s?}", "key", a->key, "kind",
		      sk_alert_kind_name(a->kind), "state", a->firing ? "firing" : "resolved", "summary", a->summary,
		      "detail", a->detail, "topics", topics, "heard", heard_names[a->heard], "cycles",
		      (json_int_t)a->cycles, "commit", a->commit, "subject", a->subject);
	if (o && (sk_json_set_time_ms(o, "since", a->since_ms) < 0 ||
		  sk_json_set_time_ms(o, "resolvedAt", a->resolved_ms) < 0 ||
		  sk_json_set_time_ms(o, "lastSent", a->last_sent_ms) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *sk_alertset_to_json(const struct sk_alertset *s)
{
	json_t *root = json_pack("{s:s, s:[]}", "format", ALERTS_FORMAT, "alerts"), *list;
	size_t i;

	list = json_object_get(root, "alerts");
	for (i = 0; root && i < s->n; i++) {
		json_t *a = alert_json(&s->v[i]);
		if (!a || json_array_append_new(list, a) < 0) {
			json_decref(root);
			root = NULL;
		}
	}
	if (!root)
		sk_error_set_oom();
	return root;
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

static int get_text(char **out, const json_t *o, const char *key, const char *alert)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return sk_error_set(SK_ERR_STATE, "alert states: alert '%s': '%s' must be a string", alert, key);
	return dup_or_null(out, json_string_value(v)) ? 0 : sk_error_set_oom();
}

static int get_time(int64_t *out, const json_t *o, const char *key, const char *alert)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || sk_time_parse_rfc3339_ms(out, json_string_value(v)) < 0)
		return sk_error_set(SK_ERR_STATE, "alert states: alert '%s': '%s' must be an RFC 3339 time", alert, key);
	return 0;
}

static int alert_from_json(struct sk_alert *a, const json_t *o)
{
	const char *key = json_string_value(json_object_get(o, "key"));
	const json_t *cycles = json_object_get(o, "cycles"), *topics = json_object_get(o, "topics"), *t;
	const char *state = json_string_value(json_object_get(o, "state"));
	const char *commit = json_string_value(json_object_get(o, "commit"));
	int kind = name_index(kind_names, SK_ALERT_KINDS, json_string_value(json_object_get(o, "kind")));
	int heard = name_index(heard_names, 3, json_string_value(json_object_get(o, "heard")));
	size_t i;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(o) || !key || !*key)
		return sk_error_set(SK_ERR_STATE, "alert states: an alert without a key");
	if (kind < 0 || heard < 0 || !state || (strcmp(state, "firing") && strcmp(state, "resolved")) ||
	    !json_is_integer(cycles) || json_integer_value(cycles) < 0 || (topics && !json_is_array(topics)))
		return sk_error_set(SK_ERR_STATE,
				    "alert states: alert '%s': 'kind', 'state', 'heard', 'cycles' or 'topics' is missing or "
				    "not one of the values snapkeep writes",
				    key);
	if (!(a->key = strdup(key)))
		return sk_error_set_oom();
	a->kind = (enum sk_alert_kind)kind;
	a->heard = (enum sk_alert_heard)heard;
	a->firing = !strcmp(state, "firing");
	a->cycles = (size_t)json_integer_value(cycles);
	sk_strlcpy(a->commit, commit ? commit : "", sizeof(a->commit));
	if (get_text(&a->summary, o, "summary", key) < 0 || get_text(&a->detail, o, "detail", key) < 0 ||
	    get_text(&a->subject, o, "subject", key) < 0 || get_time(&a->since_ms, o, "since", key) < 0 ||
	    get_time(&a->resolved_ms, o, "resolvedAt", key) < 0 || get_time(&a->last_sent_ms, o, "lastSent", key) < 0)
		return -1;
	if (json_array_size(topics) && !(a->topics = calloc(json_array_size(topics), sizeof(*a->topics))))
		return sk_error_set_oom();
	json_array_foreach(topics, i, t) {
		if (!json_is_string(t))
			return sk_error_set(SK_ERR_STATE, "alert states: alert '%s': 'topics' must list strings", key);
		if (!(a->topics[a->n_topics] = strdup(json_string_value(t))))
			return sk_error_set_oom();
		a->n_topics++;
	}
	return 0;
}

int sk_alertset_from_json(struct sk_alertset *s, const json_t *j)
{
	const json_t *f = json_object_get(j, "format"), *list = json_object_get(j, "alerts"), *o;
	size_t i;

	sk_alertset_free(s);
	if (!json_is_object(j) || !json_is_string(f) || strcmp(json_string_value(f), ALERTS_FORMAT))
		return sk_error_set(SK_ERR_STATE, "alert states: not a %s document", ALERTS_FORMAT);
	if (!json_is_array(list))
		return sk_error_set(SK_ERR_STATE, "alert states: 'alerts' must be a list");
	json_array_foreach(list, i, o) {
		struct sk_alert *a = SK_ARRAY_PUSH(s->v, s->n, s->cap);
		if (!a || alert_from_json(a, o) < 0)
			goto bad;
		if (sk_alertset_find(s, a->key) != a) {
			sk_error_set(SK_ERR_STATE, "alert states: alert '%s' is listed twice", a->key);
			goto bad;
		}
	}
	return 0;
bad:
	sk_alertset_free(s);
	return SK_ERROR;
}
