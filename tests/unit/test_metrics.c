/*
 * test_metrics.c - the metrics registry, its text format and its HTTP endpoint
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "aws/client.h"
#include "common/buf.h"
#include "common/error.h"
#include "reconciler/service/alerts.h"
#include "reconciler/service/metrics.h"
#include "reconciler/service/metrics_http.h"

static char *render(struct sk_metrics *m)
{
	struct sk_buf b = SK_BUF_INIT;

	assert_int_equal(sk_metrics_render(m, &b), 0);
	if (!b.ptr)
		return calloc(1, 1);
	return sk_buf_detach(&b);
}

static void test_text_format_byte_for_byte(void **state)
{
	static const char *const labels[] = { "service", "action" };
	static const double buckets[] = { 0.1, 1, 2.5 };
	struct sk_metrics *m;
	char *text;

	(void)state;
	assert_int_equal(sk_metrics_new(&m), 0);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_COUNTER, "demo_calls_total", "Calls made.", labels, 2, NULL, 0),
			 0);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_GAUGE, "demo_temperature", "Line one\nwith a \\ in it.", NULL,
					   0, NULL, 0),
			 0);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_HISTOGRAM, "demo_duration_seconds", "How long.", NULL, 0,
					   buckets, 3),
			 0);
	assert_int_equal(sk_metrics_add(m, "demo_calls_total", (const char *[]){ "sns", "Publish" }, 1), 0);
	assert_int_equal(sk_metrics_add(m, "demo_calls_total", (const char *[]){ "rds", "ModifyDBInstance" }, 2), 0);
	assert_int_equal(sk_metrics_add(m, "demo_calls_total", (const char *[]){ "rds", "CreateDBSnapshot" }, 1), 0);
	assert_int_equal(sk_metrics_add(m, "demo_calls_total", (const char *[]){ "rds", "CreateDBSnapshot" }, 0.5), 0);
	assert_int_equal(sk_metrics_set(m, "demo_temperature", NULL, -3.25), 0);
	assert_int_equal(sk_metrics_observe(m, "demo_duration_seconds", NULL, 0.05), 0);
	assert_int_equal(sk_metrics_observe(m, "demo_duration_seconds", NULL, 1), 0); /* le is inclusive */
	assert_int_equal(sk_metrics_observe(m, "demo_duration_seconds", NULL, 2), 0);
	assert_int_equal(sk_metrics_observe(m, "demo_duration_seconds", NULL, 100), 0);
	text = render(m);
	assert_string_equal(text, "# HELP demo_calls_total Calls made.\n"
				  "# TYPE demo_calls_total counter\n"
				  "demo_calls_total{service=\"rds\",action=\"CreateDBSnapshot\"} 1.5\n"
				  "demo_calls_total{service=\"rds\",action=\"ModifyDBInstance\"} 2\n"
				  "demo_calls_total{service=\"sns\",action=\"Publish\"} 1\n"
				  "# HELP demo_duration_seconds How long.\n"
				  "# TYPE demo_duration_seconds histogram\n"
				  "demo_duration_seconds_bucket{le=\"0.1\"} 1\n"
				  "demo_duration_seconds_bucket{le=\"1\"} 2\n"
				  "demo_duration_seconds_bucket{le=\"2.5\"} 3\n"
				  "demo_duration_seconds_bucket{le=\"+Inf\"} 4\n"
				  "demo_duration_seconds_sum 103.05\n"
				  "demo_duration_seconds_count 4\n"
				  "# HELP demo_temperature Line one\\nwith a \\\\ in it.\n"
				  "# TYPE demo_temperature gauge\n"
				  "demo_temperature -3.25\n");
	free(text);
	sk_metrics_free(m);
}

static void test_label_values_are_escaped(void **state)
{
	static const char *const labels[] = { "instance" };
	struct sk_metrics *m;
	char *text;

	(void)state;
	assert_int_equal(sk_metrics_new(&m), 0);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_GAUGE, "x", "h", labels, 1, NULL, 0), 0);
	assert_int_equal(sk_metrics_set(m, "x", (const char *[]){ "a\\b\"c\nd" }, 1), 0);
	text = render(m);
	assert_string_equal(text, "# HELP x h\n# TYPE x gauge\nx{instance=\"a\\\\b\\\"c\\nd\"} 1\n");
	free(text);
	sk_metrics_free(m);
}

static void test_histogram_with_labels_and_values(void **state)
{
	static const char *const labels[] = { "region" };
	static const double buckets[] = { 1 };
	struct sk_metrics *m;
	char *text;

	(void)state;
	assert_int_equal(sk_metrics_new(&m), 0);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_HISTOGRAM, "h_seconds", "h", labels, 1, buckets, 1), 0);
	assert_int_equal(sk_metrics_observe(m, "h_seconds", (const char *[]){ "us-east-1" }, 0.1), 0);
	assert_int_equal(sk_metrics_observe(m, "h_seconds", (const char *[]){ "eu-west-1" }, 1e20), 0);
	text = render(m);
	assert_string_equal(text, "# HELP h_seconds h\n# TYPE h_seconds histogram\n"
				  "h_seconds_bucket{region=\"eu-west-1\",le=\"1\"} 0\n"
				  "h_seconds_bucket{region=\"eu-west-1\",le=\"+Inf\"} 1\n"
				  "h_seconds_sum{region=\"eu-west-1\"} 1e+20\n"
				  "h_seconds_count{region=\"eu-west-1\"} 1\n"
				  "h_seconds_bucket{region=\"us-east-1\",le=\"1\"} 1\n"
				  "h_seconds_bucket{region=\"us-east-1\",le=\"+Inf\"} 1\n"
				  "h_seconds_sum{region=\"us-east-1\"} 0.1\n"
				  "h_seconds_count{region=\"us-east-1\"} 1\n");
	free(text);
	sk_metrics_free(m);
}

static void test_families_and_series_come_out_sorted(void **state)
{
	static const char *const labels[] = { "k" };
	static const char *const order[] = { "m", "c", "x", "a", "q", "b" };
	struct sk_metrics *m;
	char *text;
	size_t i;

	(void)state;
	assert_int_equal(sk_metrics_new(&m), 0);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_GAUGE, "zz", "last", NULL, 0, NULL, 0), 0);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_GAUGE, "aa", "first", labels, 1, NULL, 0), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(sk_metrics_set(m, "aa", &order[i], (double)i), 0);
	text = render(m);
	assert_string_equal(text, "# HELP aa first\n# TYPE aa gauge\n"
				  "aa{k=\"a\"} 3\naa{k=\"b\"} 5\naa{k=\"c\"} 1\naa{k=\"m\"} 0\naa{k=\"q\"} 4\naa{k=\"x\"} 2\n"
				  "# HELP zz last\n# TYPE zz gauge\nzz 0\n");
	free(text);
	/* clearing a labelled family hides it; a family with no series prints nothing */
	assert_int_equal(sk_metrics_clear(m, "aa"), 0);
	text = render(m);
	assert_string_equal(text, "# HELP zz last\n# TYPE zz gauge\nzz 0\n");
	free(text);
	sk_metrics_free(m);
}

static void test_definitions_and_updates_are_checked(void **state)
{
	static const char *const le[] = { "le" };
	static const char *const bad_label[] = { "a-b" };
	static const double down[] = { 2, 1 };
	struct sk_metrics *m;

	(void)state;
	assert_int_equal(sk_metrics_new(&m), 0);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_COUNTER, "1bad", "h", NULL, 0, NULL, 0), SK_ERROR);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_COUNTER, "bad-name", "h", NULL, 0, NULL, 0), SK_ERROR);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_COUNTER, "ok", "h", bad_label, 1, NULL, 0), SK_ERROR);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_HISTOGRAM, "h", "h", le, 1, down, 1), SK_ERROR);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_HISTOGRAM, "h", "h", NULL, 0, down, 2), SK_ERROR);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_HISTOGRAM, "h", "h", NULL, 0, NULL, 0), SK_ERROR);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_COUNTER, "c_total", "h", NULL, 0, NULL, 0), 0);
	assert_int_equal(sk_metrics_define(m, SK_METRIC_GAUGE, "c_total", "h", NULL, 0, NULL, 0), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "defined twice"));
	assert_int_equal(sk_metrics_add(m, "c_total", NULL, -1), SK_ERROR);
	assert_int_equal(sk_metrics_set(m, "c_total", NULL, 5), SK_ERROR);
	assert_int_equal(sk_metrics_observe(m, "c_total", NULL, 5), SK_ERROR);
	assert_int_equal(sk_metrics_add(m, "c_total", NULL, NAN), SK_ERROR);
	assert_int_equal(sk_metrics_add(m, "nope", NULL, 1), SK_ENOTFOUND);
	assert_int_equal(sk_metrics_add(m, "c_total", NULL, 2), 0);
	assert_true(sk_metrics_get(m, "c_total", NULL) == 2);
	assert_true(isnan(sk_metrics_get(m, "nope", NULL)));
	sk_metrics_free(m);
	sk_metrics_free(NULL);
}

static double calls(struct sk_metrics *m, const char *service, const char *action, const char *outcome)
{
	const char *v[3] = { service, action, outcome };
	double d = sk_metrics_get(m, "snapkeep_aws_calls_total", v);
	return isnan(d) ? 0 : d;
}

static void test_on_attempt_counts_calls_by_outcome(void **state)
{
	struct sk_metrics *m;
	struct sk_aws_call_info ok = { "rds", "us-east-1", "DescribeDBSnapshots", 200, NULL, "r1", 1, 0.1, false };
	struct sk_aws_call_info thr = { "rds", "us-east-1", "DescribeDBSnapshots", 400, "Throttling", "r2", 1, 0.1, true };
	struct sk_aws_call_info err = { "rds", "us-east-1", "DeleteDBSnapshot", 404, "DBSnapshotNotFound", "r3", 1, 0.1,
					false };
	struct sk_aws_call_info none = { "sns", "us-east-1", "Publish", 0, NULL, NULL, 3, 30, false };
	struct sk_aws_call_info server = { "sns", "us-east-1", "Publish", 503, NULL, NULL, 2, 1, false };

	(void)state;
	assert_int_equal(sk_metrics_new_snapkeep(&m, "1.2.3"), 0);
	sk_metrics_on_attempt(m, &ok);
	sk_metrics_on_attempt(m, &ok);
	sk_metrics_on_attempt(m, &thr);
	sk_metrics_on_attempt(m, &err);
	sk_metrics_on_attempt(m, &none);
	sk_metrics_on_attempt(m, &server);
	sk_metrics_on_attempt(m, NULL);
	assert_true(calls(m, "rds", "DescribeDBSnapshots", "success") == 2);
	assert_true(calls(m, "rds", "DescribeDBSnapshots", "throttled") == 1);
	assert_true(calls(m, "rds", "DeleteDBSnapshot", "error") == 1);
	assert_true(calls(m, "sns", "Publish", "no-answer") == 1);
	assert_true(calls(m, "sns", "Publish", "error") == 1);
	assert_true(sk_metrics_get(m, "snapkeep_aws_throttles_total", NULL) == 1);
	assert_true(sk_metrics_get(m, "snapkeep_build_info", (const char *[]){ "1.2.3" }) == 1);
	sk_metrics_free(m);
}

struct hammer {
	struct sk_metrics *m;
	int n;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	struct sk_aws_call_info info = { "rds", "eu-west-1", "DescribeDBInstances", 200, NULL, NULL, 1, 0, false };
	int i;

	for (i = 0; i < h->n; i++) {
		sk_metrics_on_attempt(h->m, &info);
		if (i % 100 == 0) {
			struct sk_buf b = SK_BUF_INIT;
			sk_metrics_render(h->m, &b);
			sk_buf_free(&b);
		}
	}
	return NULL;
}

static void test_concurrent_updates_are_all_counted(void **state)
{
	struct hammer h;
	pthread_t t[4];
	int i;

	(void)state;
	assert_int_equal(sk_metrics_new_snapkeep(&h.m, "x"), 0);
	h.n = 5000;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer_thread, &h), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_true(calls(h.m, "rds", "DescribeDBInstances", "success") == 20000);
	sk_metrics_free(h.m);
}

static void test_record_cycle_tracks_failures_and_ages(void **state)
{
	/* db-a in the caller's own account and in account 111111111111: two series */
	struct sk_instance_age ages[3] = { { "us-east-1", "db-b", 7200, NULL },
					   { "eu-west-1", "db-a", 60, NULL },
					   { "eu-west-1", "db-a", 30, "111111111111" } };
	struct sk_cycle_report r;
	struct sk_metrics *m;
	char *text;

	(void)state;
	assert_int_equal(sk_metrics_new_snapkeep(&m, "0.1.0"), 0);
	memset(&r, 0, sizeof(r));
	r.started_ms = 1767225600000;
	r.finished_ms = r.started_ms + 2500;
	r.ok = true;
	r.pending = 4;
	r.created = 2;
	r.copied = 1;
	r.ages = ages;
	r.n_ages = 2;
	assert_int_equal(sk_metrics_record_cycle(m, &r), 0);
	assert_int_equal(sk_metrics_consecutive_failures(m), 0);
	assert_true(sk_metrics_get(m, "snapkeep_last_success_timestamp_seconds", NULL) == 1767225602.5);
	assert_true(sk_metrics_get(m, "snapkeep_newest_snapshot_age_seconds",
				   (const char *[]){ "", "us-east-1", "db-b" }) == 7200);

	/* two failures without ages keep the last ages; the success time stays */
	r.ok = false;
	r.n_ages = 0;
	r.created = 0;
	r.copied = 0;
	r.finished_ms += 60000;
	assert_int_equal(sk_metrics_record_cycle(m, &r), 0);
	assert_int_equal(sk_metrics_record_cycle(m, &r), 0);
	assert_int_equal(sk_metrics_consecutive_failures(m), 2);
	assert_true(sk_metrics_get(m, "snapkeep_consecutive_failures", NULL) == 2);
	assert_true(sk_metrics_get(m, "snapkeep_last_success_timestamp_seconds", NULL) == 1767225602.5);
	assert_true(sk_metrics_get(m, "snapkeep_cycles_total", (const char *[]){ "failure" }) == 2);
	assert_true(sk_metrics_get(m, "snapkeep_newest_snapshot_age_seconds",
				   (const char *[]){ "", "eu-west-1", "db-a" }) == 60);

	/* a success resets the count and replaces the ages: db-b is gone */
	r.ok = true;
	r.ages = &ages[1];
	r.n_ages = 2;
	assert_int_equal(sk_metrics_record_cycle(m, &r), 0);
	assert_int_equal(sk_metrics_consecutive_failures(m), 0);
	assert_true(isnan(sk_metrics_get(m, "snapkeep_newest_snapshot_age_seconds",
					 (const char *[]){ "", "us-east-1", "db-b" })));
	assert_true(sk_metrics_get(m, "snapkeep_newest_snapshot_age_seconds",
				   (const char *[]){ "111111111111", "eu-west-1", "db-a" }) == 30);
	assert_true(sk_metrics_get(m, "snapkeep_snapshots_created_total", NULL) == 2);
	assert_true(sk_metrics_get(m, "snapkeep_cycle_duration_seconds", NULL) == 4);

	text = render(m);
	assert_non_null(strstr(text, "# TYPE snapkeep_cycles_total counter\n"
				     "snapkeep_cycles_total{outcome=\"failure\"} 2\n"
				     "snapkeep_cycles_total{outcome=\"success\"} 2\n"));
	assert_non_null(strstr(text, "snapkeep_build_info{version=\"0.1.0\"} 1\n"));
	assert_non_null(strstr(text, "snapkeep_cycle_duration_seconds_bucket{le=\"5\"} 1\n"));
	assert_non_null(strstr(text, "snapkeep_cycle_duration_seconds_bucket{le=\"60\"} 1\n"));
	assert_non_null(strstr(text, "snapkeep_cycle_duration_seconds_bucket{le=\"120\"} 4\n"));
	assert_non_null(strstr(text, "snapkeep_cycle_duration_seconds_count 4\n"));
	assert_non_null(strstr(text, "snapkeep_pending_actions 4\n"));
	assert_non_null(strstr(text, "snapkeep_newest_snapshot_age_seconds{region=\"eu-west-1\",instance=\"db-a\"} 60\n"));
	assert_non_null(strstr(text, "snapkeep_newest_snapshot_age_seconds{account=\"111111111111\",region=\"eu-west-1\","
				     "instance=\"db-a\"} 30\n"));
	assert_null(strstr(text, "db-b"));
	assert_non_null(strstr(text, "snapkeep_last_success_timestamp_seconds 1767225662.5\n"));
	free(text);
	sk_metrics_free(m);
}

/* the gauges the service sets: firing alerts by kind, and what each policy selects */
static void test_alert_and_selection_gauges(void **state)
{
	struct sk_metrics *m;
	char *text;

	(void)state;
	assert_int_equal(sk_metrics_new_snapkeep(&m, "0.1.0"), 0);
	assert_int_equal(sk_metrics_set(m, SK_METRIC_ALERTS_FIRING, (const char *[]){ "cycle" }, 1), 0);
	assert_int_equal(sk_metrics_set(m, SK_METRIC_ALERTS_FIRING, (const char *[]){ "blocked" }, 2), 0);
	assert_int_equal(sk_metrics_set(m, SK_METRIC_POLICY_SELECTED, (const char *[]){ "prod" }, 3), 0);
	assert_int_equal(sk_metrics_set(m, SK_METRIC_POLICY_SELECTED, (const char *[]){ "ghost" }, 0), 0);
	text = render(m);
	assert_non_null(strstr(text, "# TYPE snapkeep_alerts_firing gauge\n"
				     "snapkeep_alerts_firing{kind=\"blocked\"} 2\n"
				     "snapkeep_alerts_firing{kind=\"cycle\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE snapkeep_policy_selected_instances gauge\n"
				     "snapkeep_policy_selected_instances{policy=\"ghost\"} 0\n"
				     "snapkeep_policy_selected_instances{policy=\"prod\"} 3\n"));
	free(text);
	/* a policy removed from the set disappears with the next plan's values */
	assert_int_equal(sk_metrics_clear(m, SK_METRIC_POLICY_SELECTED), 0);
	assert_int_equal(sk_metrics_set(m, SK_METRIC_POLICY_SELECTED, (const char *[]){ "prod" }, 4), 0);
	assert_true(isnan(sk_metrics_get(m, SK_METRIC_POLICY_SELECTED, (const char *[]){ "ghost" })));
	assert_true(sk_metrics_get(m, SK_METRIC_POLICY_SELECTED, (const char *[]){ "prod" }) == 4);
	sk_metrics_free(m);
}

static void test_addresses_are_parsed(void **state)
{
	char *host;
	int port;

	(void)state;
	assert_int_equal(sk_metrics_parse_addr("127.0.0.1:9464", &host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9464);
	free(host);
	assert_int_equal(sk_metrics_parse_addr("[::1]:0", &host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 0);
	free(host);
	assert_int_equal(sk_metrics_parse_addr(":9464", &host, &port), 0);
	assert_string_equal(host, "");
	free(host);
	assert_int_equal(sk_metrics_parse_addr("localhost:80", &host, &port), 0);
	assert_string_equal(host, "localhost");
	free(host);
	assert_int_equal(sk_metrics_parse_addr("127.0.0.1", &host, &port), SK_ERROR);
	assert_null(host);
	assert_int_equal(sk_metrics_parse_addr("127.0.0.1:", &host, &port), SK_ERROR);
	assert_int_equal(sk_metrics_parse_addr("127.0.0.1:65536", &host, &port), SK_ERROR);
	assert_int_equal(sk_metrics_parse_addr("127.0.0.1:-1", &host, &port), SK_ERROR);
	assert_int_equal(sk_metrics_parse_addr("127.0.0.1:94x", &host, &port), SK_ERROR);
	assert_int_equal(sk_metrics_parse_addr("::1:9464", &host, &port), SK_ERROR);
	assert_non_null(strstr(sk_error_message(), "brackets"));
	assert_int_equal(sk_metrics_parse_addr("[::1]9464", &host, &port), SK_ERROR);
	assert_int_equal(sk_metrics_parse_addr("[]:9464", &host, &port), SK_ERROR);
	assert_int_equal(sk_metrics_parse_addr("", &host, &port), SK_ERROR);
}

struct http_answer {
	long status;
	char type[128];
	char allow[64];
	struct sk_buf body;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct sk_buf *b = ud;
	return sk_buf_add(b, p, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct http_answer *a = ud;
	size_t len = size * n;

	if (len > 14 && !strncasecmp(p, "Content-Type: ", 14))
		snprintf(a->type, sizeof(a->type), "%.*s", (int)(len - 14 - 2), p + 14);
	if (len > 7 && !strncasecmp(p, "Allow: ", 7))
		snprintf(a->allow, sizeof(a->allow), "%.*s", (int)(len - 7 - 2), p + 7);
	return len;
}

static void http(struct http_answer *a, const char *method, const char *url)
{
	CURL *c = curl_easy_init();

	assert_non_null(c);
	memset(a, 0, sizeof(*a));
	sk_buf_init(&a->body, 1 << 20);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_easy_cleanup(c);
}

static void test_server_serves_metrics_and_health(void **state)
{
	struct sk_metrics_server *s;
	struct sk_metrics *m;
	struct http_answer a;
	struct sk_cycle_report r;
	char url[128], *text;
	int port;

	(void)state;
	assert_int_equal(sk_metrics_new_snapkeep(&m, "9.9.9"), 0);
	assert_int_equal(sk_metrics_server_start(&s, m, "127.0.0.1:0", 2), 0);
	port = sk_metrics_server_port(s);
	assert_true(port > 0 && port < 65536);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	http(&a, "GET", url);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.type, "text/plain; version=0.0.4; charset=utf-8");
	text = render(m);
	assert_string_equal(sk_buf_cstr(&a.body), text);
	free(text);
	sk_buf_free(&a.body);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
	http(&a, "GET", url);
	assert_int_equal(a.status, 200);
	assert_string_equal(sk_buf_cstr(&a.body), "ok\n");
	sk_buf_free(&a.body);

	memset(&r, 0, sizeof(r));
	r.ok = false;
	assert_int_equal(sk_metrics_record_cycle(m, &r), 0);
	http(&a, "GET", url);
	assert_int_equal(a.status, 200); /* 1 < 2 */
	sk_buf_free(&a.body);
	assert_int_equal(sk_metrics_record_cycle(m, &r), 0);
	http(&a, "GET", url);
	assert_int_equal(a.status, 503);
	assert_string_equal(sk_buf_cstr(&a.body), "unhealthy: 2 consecutive failed cycles\n");
	sk_buf_free(&a.body);
	r.ok = true;
	assert_int_equal(sk_metrics_record_cycle(m, &r), 0);
	http(&a, "GET", url);
	assert_int_equal(a.status, 200);
	sk_buf_free(&a.body);

	/* the state backend down: still served, 503 with its error, whatever the cycles did; then cleared */
	sk_metrics_server_set_problem(s, "PostgreSQL 'postgres://snap:***@db/snapkeep' is unavailable: connection refused\nmore");
	http(&a, "GET", url);
	assert_int_equal(a.status, 503);
	assert_string_equal(sk_buf_cstr(&a.body),
			    "unhealthy: PostgreSQL 'postgres://snap:***@db/snapkeep' is unavailable: connection refused\n");
	sk_buf_free(&a.body);
	sk_metrics_server_set_problem(s, NULL);
	http(&a, "GET", url);
	assert_int_equal(a.status, 200);
	assert_string_equal(sk_buf_cstr(&a.body), "ok\n");
	sk_buf_free(&a.body);
	sk_metrics_server_set_problem(NULL, "no server: a no-op");

	http(&a, "POST", url);
	assert_int_equal(a.status, 405);
	assert_string_equal(a.allow, "GET, HEAD");
	sk_buf_free(&a.body);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	http(&a, "DELETE", url);
	assert_int_equal(a.status, 405);
	sk_buf_free(&a.body);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	http(&a, "GET", url);
	assert_int_equal(a.status, 404);
	sk_buf_free(&a.body);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics/x", port);
	http(&a, "GET", url);
	assert_int_equal(a.status, 404);
	sk_buf_free(&a.body);

	sk_metrics_server_stop(s);
	sk_metrics_server_stop(NULL);
	sk_metrics_free(m);
}

static void test_server_on_ipv6_and_busy_port(void **state)
{
	struct sk_metrics_server *s, *s2;
	struct sk_metrics *m;
	struct http_answer a;
	char addr[64], url[128];
	int port;

	(void)state;
	assert_int_equal(sk_metrics_new_snapkeep(&m, "x"), 0);
	assert_int_equal(sk_metrics_server_start(&s, m, "127.0.0.1:0", 3), 0);
	port = sk_metrics_server_port(s);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	assert_int_equal(sk_metrics_server_start(&s2, m, addr, 3), SK_ERROR);
	assert_null(s2);
	assert_non_null(strstr(sk_error_message(), "cannot listen"));
	assert_non_null(strstr(sk_error_message(), addr));
	sk_metrics_server_stop(s);
	assert_int_equal(sk_metrics_server_start(&s, m, "nonsense", 3), SK_ERROR);

	/* IPv6 loopback, when the machine has it */
	if (sk_metrics_server_start(&s, m, "[::1]:0", 3) == 0) {
		snprintf(url, sizeof(url), "http://[::1]:%d/healthz", sk_metrics_server_port(s));
		http(&a, "GET", url);
		assert_int_equal(a.status, 200);
		sk_buf_free(&a.body);
		sk_metrics_server_stop(s);
	} else {
		print_message("# no IPv6 loopback here: %s\n", sk_error_message());
	}
	sk_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_format_byte_for_byte),
		cmocka_unit_test(test_label_values_are_escaped),
		cmocka_unit_test(test_histogram_with_labels_and_values),
		cmocka_unit_test(test_families_and_series_come_out_sorted),
		cmocka_unit_test(test_definitions_and_updates_are_checked),
		cmocka_unit_test(test_on_attempt_counts_calls_by_outcome),
		cmocka_unit_test(test_concurrent_updates_are_all_counted),
		cmocka_unit_test(test_record_cycle_tracks_failures_and_ages),
		cmocka_unit_test(test_alert_and_selection_gauges),
		cmocka_unit_test(test_addresses_are_parsed),
		cmocka_unit_test(test_server_serves_metrics_and_health),
		cmocka_unit_test(test_server_on_ipv6_and_busy_port),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
