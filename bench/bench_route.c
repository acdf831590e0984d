/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file bench_route.c  Routing benchmark: build time, lookup time and memory
 *                      of the rate prefix table, 1,000,000 prefixes x 5
 *                      carriers. Prints figures, never fails.
 *
 * Two decks, both from a seeded PRNG (same figures run to run):
 *   shared:   1,000,000 distinct prefixes, every carrier rates every one
 *             (how real decks look: carriers sell the same destinations)
 *   disjoint: each carrier its own 1,000,000 random prefixes (worst case:
 *             close to 5,000,000 distinct keys)
 * Lookups: numbers made of a deck prefix plus random digits (12-15 in all),
 * timed in batches of 1000; the figure is the median batch mean. Times
 * are the thread's CPU time, so a busy machine inflates them less.
 *
 * usage: bench_route [prefixes]     (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "route.h"

enum { CARRIERS = 5, BATCH = 1000, BATCHES = 300, T0 = 1700000000 };

static uint64_t rng_state = 0x5eed1234abcdULL;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: on a busy machine, time spent descheduled
 * would otherwise count as work. Wall time is printed beside for builds. */
static double now_s(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static long rss_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, strlen(field)))
			v = strtol(line + strlen(field) + 1, NULL, 10);
	}
	fclose(f);
	return v;
}

/* A prefix length like a real deck's: mostly 4..8 digits. */
static unsigned rnd_len(void)
{
	static const unsigned w[] = { 0, 0, 1, 3, 8, 14, 20, 20, 16, 10, 8 };  /* len 0..10 */
	unsigned r = (unsigned)(rnd() % 100), acc = 0;

	for (unsigned l = 0; l < sizeof(w) / sizeof(w[0]); l++) {
		acc += w[l];
		if (r < acc)
			return l;
	}
	return 7;
}

struct pset {
	uint64_t *slot;
	size_t mask;
};

static int pset_add(struct pset *s, const char *p)
{
	uint64_t k = 1;

	for (; *p; p++)
		k = k * 11 + (uint64_t)(*p - '0' + 1);
	for (size_t i = (k * 0x9e3779b97f4a7c15ULL) >> 20 & s->mask;; i = (i + 1) & s->mask) {
		if (s->slot[i] == k)
			return 0;
		if (!s->slot[i]) {
			s->slot[i] = k;
			return 1;
		}
	}
}

/* n distinct random prefixes, 16 bytes each. */
static char (*gen_prefixes(size_t n))[16]
{
	char (*pf)[16] = malloc(n * 16);
	struct pset set = { calloc((size_t)1 << 23, 8), ((size_t)1 << 23) - 1 };
	size_t have = 0;

	if (!pf || !set.slot || n > (1u << 22)) {
		fprintf(stderr, "bench_route: out of memory\n");
		exit(0);
	}
	while (have < n) {
		unsigned l = rnd_len();
		pf[have][0] = (char)('1' + rnd() % 9);
		for (unsigned i = 1; i < l; i++)
			pf[have][i] = (char)('0' + rnd() % 10);
		pf[have][l] = '\0';
		have += pset_add(&set, pf[have]);
	}
	free(set.slot);
	return pf;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void fill_world(struct route_snap_builder *b)
{
	for (uint32_t c = 1; c <= CARRIERS; c++) {
		char name[16];
		snprintf(name, sizeof(name), "carrier%u", c);
		route_snap_add_carrier(b, &(struct route_carrier_prm){
			.id = c, .name = name, .priority = c });
		route_snap_add_gateway(b, &(struct route_gateway_prm){
			.id = c, .carrier_id = c, .host = "192.0.2.1", .port = 5060 });
	}
	route_snap_add_customer(b, &(struct route_customer_prm){
		.id = 1, .name = "bench", .balance = 1000000000, .country = "GB", .tariff_id = 1 });
	for (char d = '1'; d <= '9'; d++) {
		char p[2] = { d, 0 };
		route_snap_add_tariff(b, &(struct route_tariff_prm){
			1, p, 10 * DEC_SCALE, 0, 1, 1, T0 - 86400 });
	}
}

static void add_rate(struct route_snap_builder *b, uint32_t c, const char *p)
{
	/* rates quantised to 0.0001 like real decks: few distinct plans */
	int64_t rate = (int64_t)(1 + rnd() % 5000) * 100;
	uint16_t inc = rnd() & 1 ? 60 : 1;

	route_snap_add_rate(b, &(struct route_rate_prm){
		c, p, rate, 0, inc, inc, T0 - 86400 });
}

static void run(const char *label, size_t n, bool disjoint)
{
	struct route_snap_builder *b = NULL;
	struct route_snap *s = NULL;
	struct route_snap_stats st;
	char (*pf[CARRIERS])[16] = { 0 };
	double t0, t1, t2, w0, w2, lk[BATCHES], dc[BATCHES];
	long rss0 = rss_kb("VmRSS");
	size_t found = 0;
	char (*num)[20];

	for (int c = 0; c < CARRIERS; c++)
		pf[c] = c == 0 || disjoint ? gen_prefixes(n) : pf[0];

	w0 = clock_s(CLOCK_MONOTONIC);
	t0 = now_s();
	if (route_snap_builder_alloc(&b)) {
		printf("%s: builder alloc failed\n", label);
		return;
	}
	fill_world(b);
	for (size_t i = 0; i < n; i++) {
		for (uint32_t c = 0; c < CARRIERS; c++)
			add_rate(b, c + 1, pf[c][i]);
	}
	t1 = now_s();
	if (route_snap_build(b, &s)) {
		printf("%s: build failed\n", label);
		mem_deref(b);
		return;
	}
	t2 = now_s();
	w2 = clock_s(CLOCK_MONOTONIC);
	mem_deref(b);
	route_snap_stats(s, &st);

	/* numbers: a deck prefix + random digits, 12..15 digits */
	num = malloc((size_t)BATCH * BATCHES * sizeof(*num));
	for (size_t i = 0; i < (size_t)BATCH * BATCHES; i++) {
		const char *p = pf[rnd() % CARRIERS][rnd() % n];
		size_t l = strlen(p), want = 12 + rnd() % 4;
		memcpy(num[i], p, l);
		for (; l < want; l++)
			num[i][l] = (char)('0' + rnd() % 10);
		num[i][l] = '\0';
	}
	for (int k = 0; k < BATCHES; k++) {
		struct route_rate_hit hits[CARRIERS];
		double a = now_s();
		for (int i = 0; i < BATCH; i++) {
			struct pl x = pl_cstr(num[k * BATCH + i]);
			found += route_rates_lookup(s, &x, T0, hits, CARRIERS);
		}
		lk[k] = (now_s() - a) * 1e9 / BATCH;
	}
	/* the whole decision (normalise, tariff, LCR, margin, formatting) */
	static struct route_decision d;
	for (int k = 0; k < BATCHES; k++) {
		double a = now_s();
		for (int i = 0; i < BATCH; i++) {
			char e[24];
			snprintf(e, sizeof(e), "+%s", num[k * BATCH + i]);
			struct pl x = pl_cstr(e);
			route_decide(s, NULL, 1, &x, T0, &d);
		}
		dc[k] = (now_s() - a) * 1e9 / BATCH;
	}
	qsort(lk, BATCHES, sizeof(double), cmp_double);
	qsort(dc, BATCHES, sizeof(double), cmp_double);

	printf("%-9s prefixes/carrier=%zu carriers=%d distinct_prefixes=%u rates=%u plans=%u\n",
	       label, n, CARRIERS, st.rate_prefixes, st.rates, st.rate_plans);
	printf("%-9s cpu: add rows=%.2f s build=%.2f s total=%.2f s (wall %.2f s)\n", label,
	       t1 - t0, t2 - t1, t2 - t0, w2 - w0);
	printf("%-9s snapshot=%.1f MB (%.1f B per rate) rss_delta=%.1f MB\n", label,
	       (double)st.bytes / 1048576.0, (double)st.bytes / (st.rates ? st.rates : 1),
	       (double)(rss_kb("VmRSS") - rss0) / 1024.0);
	printf("%-9s lookup (all carriers, longest prefix each): median %.0f ns "
	       "(p10 %.0f, p90 %.0f), %.2f hits/lookup\n", label, lk[BATCHES / 2],
	       lk[BATCHES / 10], lk[BATCHES * 9 / 10], (double)found / (BATCH * BATCHES));
	printf("%-9s route_decide (whole decision): median %.0f ns (p10 %.0f, p90 %.0f)\n",
	       label, dc[BATCHES / 2], dc[BATCHES / 10], dc[BATCHES * 9 / 10]);
	fflush(stdout);

	free(num);
	route_snap_release(s);
	for (int c = 0; c < CARRIERS; c++) {
		if (c == 0 || disjoint)
			free(pf[c]);
	}
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;

	if (n < 1000 || n > 4000000)
		n = 1000000;
	log_set_level(LOG_WARN);
	run("shared", n, false);
	run("disjoint", n, true);
	printf("peak rss=%.1f MB\n", (double)rss_kb("VmHWM") / 1024.0);
	return 0;
}
