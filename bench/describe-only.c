/*
 * describe-only.c - the baseline `snapkeep plan` is measured against: a
 * client that makes only the list calls observing needs
 * (DescribeDBInstances and DescribeDBSnapshots pages, regions in parallel;
 * DescribeDBSnapshots pages alone in a region given with -s, one policies
 * only copy to) and does nothing with the answers but count them.
 *
 *   describe-only [-s SNAPSHOT-REGION]... REGION...
 *
 * AWS configuration and credentials come from the environment, as for
 * snapkeep.  Prints "instances=N snapshots=M seconds=S".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/rds.h"
#include "aws/sts.h"
#include "common/error.h"
#include "common/timeutil.h"

struct job {
	struct sk_aws_client *client;
	const char *region;
	int snapshots_only;
	size_t instances, snapshots;
	int rc;
	char error[512];
};

static int count_instance(void *ud, const struct sk_rds_instance *d)
{
	(void)d;
	((struct job *)ud)->instances++;
	return 0;
}

static int count_snapshot(void *ud, const struct sk_rds_snapshot *s)
{
	(void)s;
	((struct job *)ud)->snapshots++;
	return 0;
}

static void *run(void *arg)
{
	struct job *j = arg;

	j->rc = j->snapshots_only ? 0 : sk_rds_describe_dbs(j->client, j->region, false, NULL, count_instance, j, NULL);
	if (j->rc == 0)
		j->rc = sk_rds_describe_snapshots(j->client, j->region, false, NULL, count_snapshot, j, NULL);
	if (j->rc)
		snprintf(j->error, sizeof(j->error), "%s", sk_error_message());
	return NULL;
}

int main(int argc, char **argv)
{
	struct sk_aws_config_opts co = SK_AWS_CONFIG_OPTS_INIT;
	struct sk_aws_client_opts ao = SK_AWS_CLIENT_OPTS_INIT, so = SK_AWS_CLIENT_OPTS_INIT;
	struct sk_credentials_chain_opts cc = SK_CREDENTIALS_CHAIN_OPTS_INIT;
	struct sk_aws_config *cfg = NULL;
	struct sk_credentials_provider *creds = NULL;
	struct sk_aws_client *client = NULL, *sts = NULL;
	struct job *jobs;
	pthread_t *th;
	size_t n = 0, i, ni = 0, ns = 0;
	int64_t t0;
	int rc = 0, a;

	jobs = calloc((size_t)argc + 1, sizeof(*jobs));
	th = calloc((size_t)argc + 1, sizeof(*th));
	for (a = 1; jobs && a < argc; a++) {
		if (!strcmp(argv[a], "-s") && a + 1 < argc) {
			jobs[n].snapshots_only = 1;
			jobs[n++].region = argv[++a];
		} else if (argv[a][0] == '-') {
			n = 0;
			break;
		} else {
			jobs[n++].region = argv[a];
		}
	}
	if (jobs && !n) {
		fprintf(stderr, "usage: describe-only [-s SNAPSHOT-REGION]... REGION...\n");
		free(jobs);
		free(th);
		return 64;
	}
	if (!jobs || !th || sk_aws_config_load(&cfg, &co) < 0) {
		fprintf(stderr, "describe-only: %s\n", sk_error_message());
		return 1;
	}
	/* as snapkeep's session: the chain is handed an STS client for web identity */
	so.config = cfg;
	so.call_timeout_ms = 10000;
	cc.config = cfg;
	cc.web_identity = sk_sts_web_identity;
	if (sk_aws_client_new(&sts, &so) < 0) {
		fprintf(stderr, "describe-only: %s\n", sk_error_message());
		return 1;
	}
	cc.web_identity_ud = sts;
	if (sk_credentials_provider_chain_new(&creds, &cc) < 0) {
		fprintf(stderr, "describe-only: %s\n", sk_error_message());
		return 1;
	}
	ao.config = cfg;
	ao.credentials = creds;
	if (sk_aws_client_new(&client, &ao) < 0) {
		fprintf(stderr, "describe-only: %s\n", sk_error_message());
		return 1;
	}
	t0 = sk_time_mono_ms();
	for (i = 0; i < n; i++) {
		jobs[i].client = client;
		pthread_create(&th[i], NULL, run, &jobs[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (jobs[i].rc) {
			fprintf(stderr, "describe-only: %s: %s\n", jobs[i].region, jobs[i].error);
			rc = 1;
		}
		ni += jobs[i].instances;
		ns += jobs[i].snapshots;
	}
	printf("instances=%zu snapshots=%zu seconds=%.3f\n", ni, ns, (double)(sk_time_mono_ms() - t0) / 1000.0);
	sk_aws_client_free(client);
	sk_credentials_provider_free(creds);
	sk_aws_client_free(sts);
	sk_aws_config_free(cfg);
	free(jobs);
	free(th);
	return rc;
}
