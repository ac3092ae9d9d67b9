/*
 * driver.c - runs a fuzz target without libFuzzer
 *
 * Each tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput(), so it also
 * builds under clang -fsanitize=fuzzer.  This driver feeds it every file of
 * the corpus folder as is, then every truncation of it at a sample of
 * points, then --iterations mutated inputs (bit flips, byte insertions and
 * deletions, splices of two corpus files, random bytes) from a fixed seed,
 * so a failure is reproducible.  The sanitizers turn a bad access into a
 * crash; a clean run prints one TAP line.
 *
 *   fuzz_<name> [--tap] [--iterations N] [--seed N] CORPUS_DIR|FILE...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	uint8_t *data;
	size_t len;
};

static struct input *inputs;
static size_t n_inputs, cap_inputs;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void add_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct input in = { NULL, 0 };
	size_t cap = 0, n;
	uint8_t chunk[65536];

	if (!f) {
		perror(path);
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (in.len + n > cap) {
			cap = (in.len + n) * 2;
			in.data = realloc(in.data, cap);
			if (!in.data)
				abort();
		}
		memcpy(in.data + in.len, chunk, n);
		in.len += n;
	}
	fclose(f);
	if (n_inputs == cap_inputs) {
		cap_inputs = cap_inputs ? cap_inputs * 2 : 16;
		inputs = realloc(inputs, cap_inputs * sizeof(*inputs));
		if (!inputs)
			abort();
	}
	inputs[n_inputs++] = in;
}

static void add_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char buf[4096];

	if (stat(path, &st) < 0) {
		perror(path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	d = opendir(path);
	if (!d) {
		perror(path);
		exit(2);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "%s/%s", path, e->d_name);
		add_path(buf);
	}
	closedir(d);
}

/* runs on a private heap copy so reads past the end are caught */
static void one(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	if (len)
		memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

int main(int argc, char **argv)
{
	long iterations = 1000;
	int tap = 0, i;
	size_t k, runs = 0;
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	uint8_t *buf = NULL;
	size_t bufcap = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tap"))
			tap = 1;
		else if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			iterations = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 10) | 1;
		else
			add_path(argv[i]);
	}
	if (tap)
		printf("1..1\n");
	fflush(stdout);

	one((const uint8_t *)"", 0);
	for (k = 0; k < n_inputs; k++) {
		size_t len = inputs[k].len, step = len / 64 + 1, cut;
		one(inputs[k].data, len);
		for (cut = 0; cut < len; cut += step)
			one(inputs[k].data, cut);
		runs += 1 + len / step;
	}
	for (long it = 0; it < iterations; it++) {
		size_t len, pos, j, n_mut;
		struct input *src = n_inputs ? &inputs[next() % n_inputs] : NULL;

		len = src ? src->len : next() % 256;
		if (len + 64 > bufcap) {
			bufcap = (len + 64) * 2;
			buf = realloc(buf, bufcap);
			if (!buf)
				abort();
		}
		if (src) {
			if (len)
				memcpy(buf, src->data, len);
		} else {
			for (j = 0; j < len; j++)
				buf[j] = (uint8_t)next();
		}
		n_mut = 1 + next() % 4;
		for (j = 0; j < n_mut; j++) {
			switch (next() % 6) {
			case 0: /* flip a bit */
				if (len)
					buf[next() % len] ^= (uint8_t)(1u << (next() % 8));
				break;
			case 1: /* random byte */
				if (len)
					buf[next() % len] = (uint8_t)next();
				break;
			case 2: /* delete a run */
				if (len) {
					size_t n = 1 + next() % 16;
					pos = next() % len;
					if (n > len - pos)
						n = len - pos;
					memmove(buf + pos, buf + pos + n, len - pos - n);
					len -= n;
				}
				break;
			case 3: /* insert interesting bytes */
				if (len + 8 < bufcap) {
					static const char *const tokens[] = { "<", ">", "\"", "'", ":", "-", "[", "{",
						"\n", "&", "\\", "\0", "=", "#", "*", "!!" };
					const char *t = tokens[next() % (sizeof(tokens) / sizeof(tokens[0]))];
					size_t n = strlen(t) ? strlen(t) : 1;
					pos = len ? next() % len : 0;
					memmove(buf + pos + n, buf + pos, len - pos);
					memcpy(buf + pos, t, n);
					len += n;
				}
				break;
			case 4: /* truncate */
				if (len)
					len = next() % len;
				break;
			default: /* splice another input's tail */
				if (n_inputs > 1 && len) {
					struct input *o = &inputs[next() % n_inputs];
					if (o->len) {
						size_t from = next() % o->len, n = o->len - from;
						pos = next() % len;
						if (pos + n > bufcap)
							n = bufcap - pos;
						memcpy(buf + pos, o->data + from, n);
						len = pos + n;
					}
				}
				break;
			}
		}
		one(buf, len);
		runs++;
	}
	free(buf);
	for (k = 0; k < n_inputs; k++)
		free(inputs[k].data);
	free(inputs);
	if (tap)
		printf("ok 1 - %s: %zu inputs without a crash or sanitizer report\n", name, runs);
	else
		fprintf(stderr, "%s: %zu inputs, no crash\n", name, runs);
	return 0;
}
