/*
 * loop.c - cycles, waits, backoff, jitter, early starts on a ref move
 *
 * Waiting is a series of short sleeps (at most SLICE_MS) so that a flag
 * set by a signal handler between the check and the sleep is still seen
 * soon; the real sleep is nanosleep(), which a signal also ends early.
 */
#include "reconciler/service/loop.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"

#define SLICE_MS 500
#define MAX_DURATION_MS ((int64_t)31 * 24 * 3600 * 1000)

static int64_t real_now(void *ud)
{
	(void)ud;
	return sk_time_mono_ms();
}

static void real_sleep(void *ud, int64_t ms)
{
	struct timespec ts;

	(void)ud;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL); /* EINTR: a signal, which the caller checks for */
}

/* splitmix64: small, seedable, good enough to spread cycles */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int64_t sk_loop_base_wait_ms(const struct sk_loop_opts *o, int failures)
{
	int64_t interval = o->interval_ms, base;
	int shift;

	if (failures <= 0)
		return interval;
	base = o->backoff_base_ms > 0 ? o->backoff_base_ms : interval / 16;
	if (base < 1000 && o->backoff_base_ms <= 0)
		base = 1000;
	if (base > interval)
		base = interval;
	shift = failures - 1;
	if (shift >= 62 || base > (interval >> shift))
		return interval;
	return base << shift;
}

static int64_t jittered(const struct sk_loop_opts *o, int64_t w, uint64_t *rng)
{
	double j = o->jitter, u;
	int64_t out;

	if (j <= 0 || w <= 0)
		return w;
	u = (double)(next_random(rng) >> 11) / 9007199254740992.0; /* [0, 1) */
	out = (int64_t)((double)w * (1.0 - j + 2.0 * j * u) + 0.5);
	return out < 0 ? 0 : out;
}

enum wake { WAKE_TIMEOUT, WAKE_CANCEL, WAKE_RELOAD, WAKE_REF };

static bool flag(volatile sig_atomic_t *f)
{
	return f && *f;
}

struct ref_watch {
	char last[41];
	bool known;
};

static enum wake wait_for(const struct sk_loop_opts *o, int64_t (*now)(void *), void (*sleep_fn)(void *, int64_t),
			  int64_t wait_ms, struct ref_watch *w)
{
	int64_t t = now(o->clock_ud), deadline = t + wait_ms;
	int64_t poll = o->poll_ref ? o->git_poll_ms : 0;
	int64_t next_poll = t + poll;

	for (;;) {
		int64_t until;

		if (flag(o->cancel))
			return WAKE_CANCEL;
		if (flag(o->reload_flag))
			return WAKE_RELOAD;
		t = now(o->clock_ud);
		if (t >= deadline)
			return WAKE_TIMEOUT;
		if (poll > 0 && t >= next_poll) {
			char cur[41] = "";

			if (o->poll_ref(o->ud, cur) == 0) {
				cur[40] = '\0';
				if (w->known && strcmp(cur, w->last)) {
					sk_info("the watched ref moved to %.12s; starting a cycle", cur);
					memcpy(w->last, cur, sizeof(cur));
					return WAKE_REF;
				}
				memcpy(w->last, cur, sizeof(cur));
				w->known = true;
			} else {
				sk_debug("checking the watched ref: %s", sk_error_message());
			}
			if (flag(o->cancel))
				return WAKE_CANCEL;
			t = now(o->clock_ud);
			next_poll = t + poll;
		}
		until = deadline;
		if (poll > 0 && next_poll < until)
			until = next_poll;
		if (until - t > SLICE_MS)
			until = t + SLICE_MS;
		sleep_fn(o->clock_ud, until - t);
	}
}

static void describe_wait(int64_t ms, int failures)
{
	char d[48];

	if (!sk_log_enabled(SK_LOG_INFO))
		return;
	sk_loop_format_duration(d, ms);
	if (failures)
		sk_info("next cycle in %s (%d failed cycle%s in a row)", d, failures, failures == 1 ? "" : "s");
	else
		sk_info("next cycle in %s", d);
}

int sk_loop_run(const struct sk_loop_opts *o)
{
	int64_t (*now)(void *) = o->now_ms ? o->now_ms : real_now;
	void (*sleep_fn)(void *, int64_t) = o->sleep_ms ? o->sleep_ms : real_sleep;
	struct ref_watch w;
	uint64_t rng;
	int failures = 0, rc;

	if (!o->cycle)
		return sk_error_set(SK_ERR_INVALID, "loop: no cycle function");
	if (o->once)
		return flag(o->cancel) ? 0 : o->cycle(o->ud);
	if (o->interval_ms <= 0 || o->git_poll_ms < 0 || !(o->jitter >= 0 && o->jitter <= 0.5))
		return sk_error_set(SK_ERR_INVALID, "loop: interval must be positive and jitter 0..0.5");
	rng = o->seed ? o->seed : ((uint64_t)sk_time_now_ms() << 16) ^ (uint64_t)getpid();
	memset(&w, 0, sizeof(w));

	for (;;) {
		enum wake why;

		if (flag(o->cancel))
			return 0;
		/* the commit this cycle is about to read, to notice the ref moving later */
		if (o->poll_ref && o->git_poll_ms > 0) {
			char cur[41] = "";
			w.known = o->poll_ref(o->ud, cur) == 0;
			cur[40] = '\0';
			memcpy(w.last, cur, sizeof(cur));
		}
		rc = o->cycle(o->ud);
		if (flag(o->cancel))
			return 0;
		failures = rc < 0 ? failures + 1 : 0;
		{
			int64_t wait = jittered(o, sk_loop_base_wait_ms(o, failures), &rng);
			describe_wait(wait, failures);
			why = wait_for(o, now, sleep_fn, wait, &w);
		}
		if (why == WAKE_CANCEL)
			return 0;
		if (why == WAKE_RELOAD) {
			*o->reload_flag = 0;
			sk_info("reloading configuration (SIGHUP)");
			if (o->reload)
				o->reload(o->ud);
			if (o->interval_ms <= 0 || o->git_poll_ms < 0 || !(o->jitter >= 0 && o->jitter <= 0.5))
				return sk_error_set(SK_ERR_INVALID, "loop: reload left an invalid interval or jitter");
		}
	}
}

int sk_loop_parse_duration(int64_t *out_ms, const char *s, bool allow_zero)
{
	static const struct {
		const char *name;
		int64_t ms;
	} units[] = { { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 } };
	const char *p = s;
	int64_t total = 0;
	int last = -1;

	*out_ms = 0;
	if (!s || !*s)
		goto bad;
	while (*p) {
		int64_t n = 0;
		int u = -1, i, digits = 0;

		while (*p >= '0' && *p <= '9') {
			if (++digits > 10)
				goto too_long;
			n = n * 10 + (*p++ - '0');
		}
		if (!digits)
			goto bad;
		for (i = 3; i >= 0; i--) {
			size_t len = strlen(units[i].name);
			if (!strncmp(p, units[i].name, len) && !(len == 1 && p[1] >= 'a' && p[1] <= 'z')) {
				u = i;
				p += len;
				break;
			}
		}
		if (u < 0 || u <= last)
			goto bad;
		last = u;
		if (n > MAX_DURATION_MS / units[u].ms)
			goto too_long;
		total += n * units[u].ms;
		if (total > MAX_DURATION_MS)
			goto too_long;
	}
	if (total == 0 && !allow_zero)
		return sk_error_set(SK_ERR_INVALID, "duration '%s' must be more than zero", s);
	*out_ms = total;
	return 0;
bad:
	return sk_error_set(SK_ERR_INVALID, "invalid duration '%s': want e.g. 15m, 1h30m, 30s or 500ms", s ? s : "");
too_long:
	return sk_error_set(SK_ERR_INVALID, "duration '%s' is longer than 31 days", s);
}

void sk_loop_format_duration(char out[48], int64_t ms)
{
	int64_t h, m, sec, rest;
	size_t n = 0;

	if (ms <= 0) {
		strcpy(out, "0s");
		return;
	}
	h = ms / 3600000;
	m = ms / 60000 % 60;
	sec = ms / 1000 % 60;
	rest = ms % 1000;
	out[0] = '\0';
	if (h)
		n += (size_t)snprintf(out + n, 48 - n, "%lldh", (long long)h);
	if (m)
		n += (size_t)snprintf(out + n, 48 - n, "%lldm", (long long)m);
	if (sec)
		n += (size_t)snprintf(out + n, 48 - n, "%llds", (long long)sec);
	if (rest)
		snprintf(out + n, 48 - n, "%lldms", (long long)rest);
}
