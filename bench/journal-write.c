/*
 * journal-write.c - journal write throughput on a state backend (state/backend.h)
 *
 *   build/rel/bench/journal-write --dir D [--backend URL] [--calls N] [--threads T]
 *
 * Writes N calls as apply journals them, an intent then its outcome (2N
 * records), from T threads sharing one journal (apply's workers), to the
 * state directory D or the PostgreSQL database URL.  Each record is durable
 * when its write returns: fdatasync on the directory, a committed
 * transaction on PostgreSQL.  Prints "records N seconds S records/s R".
 * Figures, not pass/fail.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "state/backend.h"
#include "state/journal.h"

struct worker {
	struct sk_journal *j;
	long from, to;
	int failed;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (long i = w->from; i < w->to && !w->failed; i++) {
		struct sk_journal_call c = SK_JOURNAL_CALL_INIT;
		struct sk_journal_result r = SK_JOURNAL_RESULT_INIT;
		char id[SK_JOURNAL_ID_MAX], target[96], instance[32];

		snprintf(instance, sizeof(instance), "db%ld", i % 1000);
		snprintf(target, sizeof(target), "snapkeep-%s-20261203-0300-%ld", instance, i);
		c.run_id = "bench";
		c.action = "create";
		c.region = "us-east-1";
		c.target = target;
		c.instance = instance;
		c.policy = "bench";
		c.commit = "3f2a9c1d4e5b60718293a4b5c6d7e8f901234567";
		r.result = "done";
		r.request_id = "7f0c6d1e-0000-4000-8000-000000000001";
		if (sk_journal_intent(id, sizeof(id), w->j, &c) < 0 || sk_journal_outcome(w->j, id, &r) < 0)
			w->failed = 1;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sk_backend_opts o = SK_BACKEND_OPTS_INIT;
	struct sk_backend *b = NULL;
	struct sk_journal *j = NULL;
	struct worker w[64];
	pthread_t th[64];
	long calls = 2000;
	int threads = 4, failed = 0;
	double t0, t;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dir"))
			o.state_dir = argv[i + 1];
		else if (!strcmp(argv[i], "--backend"))
			o.spec = argv[i + 1];
		else if (!strcmp(argv[i], "--calls"))
			calls = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			threads = atoi(argv[i + 1]);
	}
	if (!o.state_dir || calls < 1 || threads < 1 || threads > 64) {
		fprintf(stderr, "usage: journal-write --dir D [--backend URL] [--calls N] [--threads T]\n");
		return 64;
	}
	if (sk_backend_open(&b, &o) < 0 || sk_backend_journal_open(&j, b) < 0) {
		fprintf(stderr, "journal-write: %s\n", sk_error_message());
		sk_backend_close(b);
		return 1;
	}
	t0 = now_s();
	for (int k = 0; k < threads; k++) {
		w[k].j = j;
		w[k].from = calls * k / threads;
		w[k].to = calls * (k + 1) / threads;
		w[k].failed = 0;
		pthread_create(&th[k], NULL, work, &w[k]);
	}
	for (int k = 0; k < threads; k++) {
		pthread_join(th[k], NULL);
		failed |= w[k].failed;
	}
	t = now_s() - t0;
	sk_journal_close(j);
	sk_backend_close(b);
	if (failed) {
		fprintf(stderr, "journal-write: a write failed\n");
		return 1;
	}
	printf("records %ld seconds %.3f records/s %.0f\n", 2 * calls, t, (double)(2 * calls) / t);
	return 0;
}
