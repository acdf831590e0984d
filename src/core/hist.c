/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file hist.c  Fixed-bound histograms with atomic counters: what
 *               /metrics exports as Prometheus histograms (PDD, setup
 *               latency, MOS, jitter, store write latency).
 */
#include <stdatomic.h>
#include <string.h>
#include "core.h"

void hist_init(struct hist *h, const uint64_t *le, unsigned n)
{
	if (n > HIST_MAX)
		n = HIST_MAX;
	h->n = n;
	memcpy(h->le, le, n * sizeof(*le));
	for (unsigned i = 0; i <= HIST_MAX; i++)
		atomic_init(&h->cnt[i], 0);
	atomic_init(&h->sum, 0);
	atomic_init(&h->count, 0);
}

void hist_add(struct hist *h, uint64_t v)
{
	unsigned i = 0;

	/* At most HIST_MAX bounds: a linear scan beats a branchy search. */
	while (i < h->n && v > h->le[i])
		i++;
	atomic_fetch_add_explicit(&h->cnt[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

void hist_read(const struct hist *h, uint64_t cum[HIST_MAX + 1], uint64_t *sum,
	       uint64_t *count)
{
	uint64_t run = 0;

	/* Buckets first, count last: a scrape never shows +Inf below a bucket. */
	for (unsigned i = 0; i <= h->n; i++) {
		run += atomic_load_explicit(&h->cnt[i], memory_order_relaxed);
		cum[i] = run;
	}
	*sum = atomic_load_explicit(&h->sum, memory_order_relaxed);
	*count = run;
}
