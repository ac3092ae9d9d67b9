/*
 * alertset.h - the alerts of `snapkeep run` as states, in the manner of
 * Prometheus's Alertmanager
 *
 * An alert is keyed by what failed:
 *
 *   cycle                            the cycle failed before a policy could be
 *                                    blamed (fetch, lock, observe, plan, record)
 *   policy:<name>:apply              actions of the policy failed
 *   policy:<name>:selects-nothing    the policy selects no instance
 *   instance:<region>/<id>:blocked   a failed or unknown snapshot holds every
 *                                    deletion of the instance's snapshots
 *   verify:<region>/<id>:<check>     a check of `snapkeep verify` is CRITICAL
 *                                    (service/verify_watch.h)
 *
 * Each cycle tells the set what it found (sk_alertset_update): an alert
 * starts firing, keeps firing or resolves.  Receivers hear of an alert
 * when it starts firing, again every repeat interval while it fires (not
 * a verify alert: its gauge says it still fires), and once when it
 * resolves (sk_alertset_due, sk_alertset_sent); one that
 * resolves before anybody heard of it is forgotten quietly.  A message not
 * taken by any topic is tried again after the next cycle.
 *
 * Routing (sk_alert_route): a policy's alerts go to its own
 * alerts.snsTopicArn (a policy without one: to the Settings topic, else
 * nowhere); fleet-wide ones go to Settings' alerts.snsTopicArn and, when
 * Settings names none, to every policy's topic.  An alert keeps the topics
 * it first went to, so that its resolution reaches the people who heard it
 * fire.
 *
 * The set outlives the process as JSON (sk_alertset_to_json, stored by
 * state/docs.h), so that `run --once` from cron neither repeats nor
 * forgets.  Nothing here calls AWS or prints.
 */
#ifndef SK_ALERTSET_H
#define SK_ALERTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"

struct sk_policyset;

enum sk_alert_kind {
	SK_ALERT_CYCLE = 0,
	SK_ALERT_APPLY,
	SK_ALERT_BLOCKED,
	SK_ALERT_SELECTS_NOTHING,
	SK_ALERT_VERIFY,
	SK_ALERT_KINDS,
};

#define SK_ALERT_BIT(k) (1u << (k))

/* "cycle", "apply", "blocked", "selects-nothing", "verify" */
const char *sk_alert_kind_name(enum sk_alert_kind k);

/* what a cycle found about one alert */
enum sk_alert_finding {
	SK_FOUND_OK = 0,  /* looked, and it does not fire: it resolves */
	SK_FOUND_FIRING,
	SK_FOUND_UNKNOWN, /* could not look this time: it stays as it is */
};

struct sk_alert_cond {
	const char *key;
	enum sk_alert_kind kind;
	enum sk_alert_finding found;
	const char *summary;         /* firing: one line, what the subject says after "snapkeep: " */
	const char *detail;          /* firing: what fires and how to fix it, lines for the body */
	const char *const *policies; /* whose topics hear of it; none: fleet-wide */
	size_t n_policies;
};

/* a cycle's findings, each copied in */
struct sk_alert_conds {
	struct sk_alert_cond *v;
	size_t n, cap;
};

#define SK_ALERT_CONDS_INIT { .v = NULL, .n = 0, .cap = 0 }

int sk_alert_conds_add(struct sk_alert_conds *c, const struct sk_alert_cond *cond);
/* forgets every finding, keeps the memory of the array */
void sk_alert_conds_reset(struct sk_alert_conds *c);
void sk_alert_conds_free(struct sk_alert_conds *c);

/* what the receivers of an alert last heard */
enum sk_alert_heard {
	SK_HEARD_NOTHING = 0,
	SK_HEARD_FIRING,
	SK_HEARD_RESOLVED,
};

struct sk_alert {
	char *key;
	enum sk_alert_kind kind;
	bool firing;
	char *summary;
	char *detail;
	char **topics; /* where its messages go */
	size_t n_topics;
	int64_t since_ms;     /* when it began firing */
	int64_t resolved_ms;  /* when it resolved; 0 while it fires */
	int64_t last_sent_ms; /* the last firing message (the first or a repeat) a topic took; 0: none */
	enum sk_alert_heard heard;
	size_t cycles;        /* cycles that found it firing since it began */
	char commit[41];      /* the policy commit of the cycle that last found it firing, or resolved it */
	char *subject;        /* that commit's subject, or NULL */
};

struct sk_alertset {
	struct sk_alert *v;
	size_t n, cap;
};

#define SK_ALERTSET_INIT { .v = NULL, .n = 0, .cap = 0 }

void sk_alertset_free(struct sk_alertset *s);
/* the alert with this key, or NULL */
struct sk_alert *sk_alertset_find(const struct sk_alertset *s, const char *key);
/* firing alerts of a kind (SK_ALERT_KINDS: of every kind) */
size_t sk_alertset_firing(const struct sk_alertset *s, enum sk_alert_kind kind);

/* where alerts go, as the policies of one commit say */
struct sk_alert_routes {
	char *fleet;    /* Settings' alerts.snsTopicArn, or NULL */
	char **names;   /* every policy ... */
	char **topics;  /* ... and its alerts.snsTopicArn (NULL: none) */
	size_t n;
	char commit[41]; /* the commit they were read from, "" when none was read */
};

#define SK_ALERT_ROUTES_INIT { .fleet = NULL, .names = NULL, .topics = NULL, .n = 0, .commit = "" }

/* replaces r with what set says (an invalid set too: a broken commit still names where its alerts go) */
int sk_alert_routes_learn(struct sk_alert_routes *r, const struct sk_policyset *set);
void sk_alert_routes_free(struct sk_alert_routes *r);
/*
 * The distinct topics, sorted, for an alert of these policies (none:
 * fleet-wide), as described above.  *out (free() it) points into r.
 */
int sk_alert_route(const char ***out, size_t *n, const struct sk_alert_routes *r, const char *const *policies,
		   size_t n_policies);

/* the cycle that found the conditions */
struct sk_alert_cycle {
	int64_t now_ms;
	const char *commit;  /* its policy commit, or NULL / "" when it read none */
	const char *subject;
	const struct sk_alert_routes *routes; /* NULL: topics are left as they are */
};

/*
 * Applies a cycle's findings: every cond that fires starts or keeps its
 * alert firing (a new one from now; its summary, detail and commit are the
 * latest); every cond found OK resolves its alert; and every alert of a
 * kind in `looked` (SK_ALERT_BIT()s) that no cond names resolves too (the
 * policy or instance is gone).  UNKNOWN conds change nothing.  An alert
 * whose resolution was not heard yet and that fires again simply goes on
 * firing from its old start.
 */
int sk_alertset_update(struct sk_alertset *s, const struct sk_alert_conds *conds, unsigned looked,
		       const struct sk_alert_cycle *cy);

enum sk_alert_notice {
	SK_NOTICE_NONE = 0,
	SK_NOTICE_FIRING,
	SK_NOTICE_REPEAT,
	SK_NOTICE_RESOLVED,
};

/* what a's receivers should be told now, if anything */
enum sk_alert_notice sk_alertset_due(const struct sk_alert *a, int64_t now_ms, int64_t repeat_ms);
/* a topic took the notice */
void sk_alertset_sent(struct sk_alert *a, enum sk_alert_notice n, int64_t now_ms);
/* forgets resolved alerts whose receivers know (or never heard of them) */
void sk_alertset_prune(struct sk_alertset *s);

/*
 * The SNS message of a notice: subject (printable ASCII, fewer than 100
 * characters, as SNS requires) "snapkeep: <summary>", "snapkeep: still
 * firing: <summary>" or "snapkeep: resolved: <summary>"; a body saying what
 * fires (or fired), since when, the alert's key and the policy commit.
 * Appended to both.
 */
int sk_alert_format(struct sk_buf *subject, struct sk_buf *body, const struct sk_alert *a, enum sk_alert_notice n,
		    int64_t now_ms, int64_t repeat_ms);

/*
 * {"format": "snapkeep-alerts/v1", "alerts": [{"key", "kind", "state":
 * "firing"|"resolved", "summary", "detail", "topics": [...], "since",
 * "resolvedAt", "lastSent" (RFC 3339 with milliseconds, when set), "heard":
 * "nothing"|"firing"|"resolved", "cycles", "commit", "subject"}]}.
 * from_json refuses another format or a malformed alert (SK_ERR_STATE,
 * naming the key) and leaves *s empty then.
 */
json_t *sk_alertset_to_json(const struct sk_alertset *s);
int sk_alertset_from_json(struct sk_alertset *s, const json_t *j);

#endif
