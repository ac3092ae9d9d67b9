/*
 * cloudwatch.h - CloudWatch PutMetricData (API version 2010-08-01)
 */
#ifndef SK_CLOUDWATCH_H
#define SK_CLOUDWATCH_H

#include <stdint.h>

#include "aws/client.h"

struct sk_metric_dimension {
	const char *name;
	const char *value;
};

struct sk_metric_datum {
	const char *name;
	double value;
	const char *unit; /* "Count", "Seconds", ...; NULL: "None" */
	int64_t timestamp; /* 0: now */
	const struct sk_metric_dimension *dimensions;
	size_t n_dimensions; /* at most 30 */
};

/* sends n datums in batches within AWS's per-request limits */
int sk_cloudwatch_put_metric_data(struct sk_aws_client *c, const char *region, const char *namespace_,
				  const struct sk_metric_datum *data, size_t n, struct sk_aws_error *err);

#endif
