/*
 * cloudwatch.c - CloudWatch PutMetricData
 */
#include "aws/cloudwatch.h"

#include <math.h>
#include <stdio.h>

#include "common/error.h"
#include "common/timeutil.h"

#define BATCH 20

/*
 * Retry safety: a datum sent twice for the same timestamp adds a sample to
 * the statistic; metrics tolerate that, and retries only follow errors
 * where the first request most likely did not land.
 */
int sk_cloudwatch_put_metric_data(struct sk_aws_client *c, const char *region, const char *namespace_,
				  const struct sk_metric_datum *data, size_t n, struct sk_aws_error *err)
{
	struct sk_query q = SK_QUERY_INIT;
	struct sk_aws_response resp = SK_AWS_RESPONSE_INIT;
	char key[96], val[64], ts[SK_TIME_RFC3339_MAX];
	size_t start, i, d;
	int rc = 0;

	for (start = 0; start < n && rc == 0; start += BATCH) {
		sk_query_free(&q);
		if ((rc = sk_query_add(&q, "Namespace", namespace_)) < 0)
			break;
		for (i = start; i < n && i < start + BATCH && rc == 0; i++) {
			const struct sk_metric_datum *m = &data[i];
			size_t k = i - start + 1;

			if (!isfinite(m->value)) {
				rc = sk_error_set(SK_ERR_INVALID, "metric '%s' has no finite value", m->name);
				break;
			}
			snprintf(key, sizeof(key), "MetricData.member.%zu.MetricName", k);
			rc = sk_query_add(&q, key, m->name);
			snprintf(key, sizeof(key), "MetricData.member.%zu.Value", k);
			snprintf(val, sizeof(val), "%.17g", m->value);
			if (rc == 0)
				rc = sk_query_add(&q, key, val);
			snprintf(key, sizeof(key), "MetricData.member.%zu.Unit", k);
			if (rc == 0)
				rc = sk_query_add(&q, key, m->unit ? m->unit : "None");
			sk_time_format_rfc3339(ts, m->timestamp ? m->timestamp : sk_time_now());
			snprintf(key, sizeof(key), "MetricData.member.%zu.Timestamp", k);
			if (rc == 0)
				rc = sk_query_add(&q, key, ts);
			for (d = 0; d < m->n_dimensions && rc == 0; d++) {
				snprintf(key, sizeof(key), "MetricData.member.%zu.Dimensions.member.%zu.Name", k, d + 1);
				rc = sk_query_add(&q, key, m->dimensions[d].name);
				snprintf(key, sizeof(key), "MetricData.member.%zu.Dimensions.member.%zu.Value", k, d + 1);
				if (rc == 0)
					rc = sk_query_add(&q, key, m->dimensions[d].value);
			}
		}
		if (rc == 0)
			rc = sk_aws_call(c, "monitoring", region, "PutMetricData", &q, &resp, err);
		sk_aws_response_free(&resp);
	}
	sk_query_free(&q);
	return rc;
}
