/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file ptab.c  Prefix tables for rate decks and tariffs.
 *
 * One hash map holds every prefix of every owner (carrier or tariff),
 * keyed by the digits packed into a uint64 (route_int.h). A lookup packs
 * the number once, masks it to each prefix length that exists in the
 * table, prefetches all those buckets together (the misses overlap
 * instead of queueing) and then probes from the longest length down.
 * A hit points at a run of records sorted by owner, then effective date
 * descending, so the current rate of an owner is the first one not in
 * the future.
 *
 * Most lengths probed do not exist for a given number. A small Bloom
 * filter (8 bits per prefix, two bits in one 64-bit word, about 1 MB per
 * million prefixes) answers those from cache, so a lookup touches the
 * big map only for the one or two lengths that probably exist: fewer
 * cache and TLB misses, which is what a lookup's time is made of.
 *
 * Building is linear apart from a radix sort: rows are sorted by key
 * (stable, so rows of one key keep the order they were added in), each
 * key's few rows are ordered by owner and date, and the map is sized
 * once for the exact number of distinct prefixes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "route_int.h"

#define LOG_MOD "route"

static uint64_t terms_hash(const struct rplan *p)
{
	uint64_t h = rmap_hash((uint64_t)p->rate, 0x9e3779b97f4a7c15ULL);

	h = rmap_hash(h ^ (uint64_t)p->fee, 0x632be59bd9b4e019ULL);
	h = rmap_hash(h ^ (uint64_t)p->eff, 0x85ebca6b27d4eb4fULL);
	h = rmap_hash(h ^ ((uint64_t)p->owner << 32 | (uint64_t)p->inc_first << 16 | p->inc_next),
		      0xc2b2ae3d27d4eb4fULL);
	return h | 1;
}

static bool terms_eq(const struct rplan *a, const struct rplan *b)
{
	return a->rate == b->rate && a->fee == b->fee && a->eff == b->eff &&
	       a->owner == b->owner && a->inc_first == b->inc_first &&
	       a->inc_next == b->inc_next;
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (n > UINT32_MAX)
		return -ENOMEM;
	p = realloc(*arr, n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static int plan_intern(struct ptab_builder *pb, const struct rplan *terms, uint32_t *idx)
{
	struct rmap_slot *s;
	int r = rmap_put(&pb->intern, terms_hash(terms), &s);

	if (r < 0)
		return r;
	if (r == 0 && terms_eq(&pb->plan[s->a - 1], terms)) {
		*idx = s->a - 1;
		return 0;
	}
	if (grow((void **)&pb->plan, &pb->cplan, pb->nplan + 1, sizeof(*pb->plan)))
		return -ENOMEM;
	pb->plan[pb->nplan] = *terms;
	*idx = (uint32_t)pb->nplan++;
	/* on a 64-bit hash collision with other terms the new plan is simply
	 * not interned: correct, one plan more */
	if (r == 1)
		s->a = *idx + 1;
	return 0;
}

int ptab_builder_add(struct ptab_builder *pb, const char *prefix, const struct rplan *terms)
{
	uint64_t key;
	uint32_t plan;
	int err;

	if (!prefix || key_pack(prefix, strlen(prefix), &key))
		return -EINVAL;
	if (grow((void **)&pb->raw, &pb->craw, pb->nraw + 1, sizeof(*pb->raw)))
		return -ENOMEM;
	if ((err = plan_intern(pb, terms, &plan)))
		return err;
	pb->raw[pb->nraw++] = (struct praw){ .key = key, .plan = plan };
	return 0;
}

void ptab_builder_reset(struct ptab_builder *pb)
{
	free(pb->raw);
	free(pb->plan);
	rmap_reset(&pb->intern);
	memset(pb, 0, sizeof(*pb));
}

/* LSD radix sort by key, 11 bits a pass (60-bit keys: 6 passes), stable.
 * Passes where every key has the same digit are skipped. */
static int radix_sort(struct praw *a, size_t n)
{
	enum { BITS = 11, BUCKETS = 1 << BITS };
	struct praw *tmp = malloc(n * sizeof(*tmp)), *src = a, *dst = tmp;
	size_t *cnt = malloc(BUCKETS * sizeof(*cnt));

	if (!tmp || !cnt) {
		free(tmp);
		free(cnt);
		return -ENOMEM;
	}
	for (unsigned shift = 0; shift < 64; shift += BITS) {
		size_t sum = 0;
		bool trivial = false;

		memset(cnt, 0, BUCKETS * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(src[i].key >> shift) & (BUCKETS - 1)]++;
		for (size_t b = 0; b < BUCKETS; b++) {
			size_t c = cnt[b];
			if (c == n)
				trivial = true;
			cnt[b] = sum;
			sum += c;
		}
		if (trivial)
			continue;
		for (size_t i = 0; i < n; i++)
			dst[cnt[(src[i].key >> shift) & (BUCKETS - 1)]++] = src[i];
		struct praw *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	free(tmp);
	free(cnt);
	return 0;
}

/* Order of the rows of one key: owner ascending, newest date first, then
 * the order of adding (kept in pad), so the last added of equals is last. */
static int row_cmp(const struct praw *x, const struct praw *y, const struct rplan *plan)
{
	const struct rplan *a = &plan[x->plan], *b = &plan[y->plan];

	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	if (a->eff != b->eff)
		return a->eff > b->eff ? -1 : 1;
	return x->pad < y->pad ? -1 : x->pad > y->pad;
}

static int row_qcmp(const void *x, const void *y, void *plan)
{
	return row_cmp(x, y, plan);
}

static void sort_group(struct praw *g, size_t n, const struct rplan *plan)
{
	for (size_t i = 0; i < n; i++)
		g[i].pad = (uint32_t)i;
	if (n > 24) {
		/* rare: a prefix with many dated versions */
		qsort_r(g, n, sizeof(*g), row_qcmp, (void *)(uintptr_t)plan);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct praw v = g[i];
		size_t j = i;
		for (; j > 0 && row_cmp(&g[j - 1], &v, plan) > 0; j--)
			g[j] = g[j - 1];
		g[j] = v;
	}
}

static inline uint64_t bloom_bits(uint64_t h)
{
	return 1ULL << ((h >> 52) & 63) | 1ULL << ((h >> 58) & 63);
}

static inline uint64_t bloom_word(const struct ptab *t, uint64_t h)
{
	return (h >> 32) & t->bloom_mask;
}

static unsigned key_len(uint64_t key)
{
	return (unsigned)(64 - __builtin_clzll(key) + 3) / 4;
}

int ptab_build(struct ptab_builder *pb, struct ptab *t, uint64_t seed)
{
	size_t n = pb->nraw, nkeys = 0, nrec = 0;
	struct praw *raw = pb->raw;
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->map.seed = seed;
	if (!n)
		goto out;
	if ((err = radix_sort(raw, n)))
		goto out;
	for (size_t i = 0; i < n; i++)
		nkeys += i == 0 || raw[i].key != raw[i - 1].key;
	t->rec_bytes = n * sizeof(*t->rec);
	t->rec = big_zalloc(t->rec_bytes);
	if (!t->rec || (err = rmap_init(&t->map, nkeys, seed))) {
		err = -ENOMEM;
		goto out;
	}
	t->bloom_mask = 1;
	while (t->bloom_mask + 1 < nkeys / 8)
		t->bloom_mask = t->bloom_mask * 2 + 1;
	t->bloom = big_zalloc((t->bloom_mask + 1) * sizeof(*t->bloom));
	if (!t->bloom) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0, j; i < n; i = j) {
		struct rmap_slot *s;

		for (j = i + 1; j < n && raw[j].key == raw[i].key; j++)
			;
		sort_group(&raw[i], j - i, pb->plan);
		if ((err = rmap_put(&t->map, raw[i].key, &s)) < 0)
			goto out;
		s->a = (uint32_t)nrec;
		uint64_t h = rmap_hash(raw[i].key, seed);
		t->bloom[bloom_word(t, h)] |= bloom_bits(h);
		for (size_t k = i; k < j; k++) {
			const struct rplan *p = &pb->plan[raw[k].plan];
			/* equal owner and date: the later row replaces */
			if (k + 1 < j) {
				const struct rplan *q = &pb->plan[raw[k + 1].plan];
				if (q->owner == p->owner && q->eff == p->eff)
					continue;
			}
			t->rec[nrec++] = raw[k].plan;
		}
		s->b = (uint32_t)nrec - s->a;
		t->lenmask |= (uint16_t)(1u << key_len(raw[i].key));
	}
	err = 0;
	t->nrec = (uint32_t)nrec;
	t->nkeys = (uint32_t)nkeys;
	t->plan = pb->nplan ? realloc(pb->plan, pb->nplan * sizeof(*pb->plan)) : pb->plan;
	if (!t->plan)
		t->plan = pb->plan;
	t->nplan = (uint32_t)pb->nplan;
	pb->plan = NULL;
 out:
	if (err) {
		LERR("ptab build failed rows=%zu err=%d", n, err);
		ptab_reset(t);
	}
	ptab_builder_reset(pb);
	return err;
}

void ptab_reset(struct ptab *t)
{
	rmap_reset(&t->map);
	big_free(t->rec, t->rec_bytes);
	if (t->bloom)
		big_free(t->bloom, (t->bloom_mask + 1) * sizeof(*t->bloom));
	free(t->plan);
	memset(t, 0, sizeof(*t));
}

size_t ptab_bytes(const struct ptab *t)
{
	return rmap_bytes(&t->map) + t->rec_bytes +
	       (t->bloom ? (size_t)(t->bloom_mask + 1) * sizeof(*t->bloom) : 0) +
	       (size_t)t->nplan * sizeof(*t->plan);
}

/* Buckets of the prefix lengths of the number that may exist (length in
 * the table and key in the Bloom filter), prefetched together. */
static unsigned start_probes(const struct ptab *t, uint64_t full, unsigned nd, uint64_t *b)
{
	unsigned top = nd > ROUTE_DIGITS_MAX ? ROUTE_DIGITS_MAX : nd;
	unsigned lens = t->lenmask & ((2u << top) - 2), maybe = 0;

	for (unsigned m = lens; m; m &= m - 1) {
		unsigned l = (unsigned)__builtin_ctz(m);
		uint64_t h = rmap_hash(key_prefix(full, l), t->map.seed), bits = bloom_bits(h);

		if ((t->bloom[bloom_word(t, h)] & bits) != bits)
			continue;
		maybe |= 1u << l;
		b[l] = h & t->map.mask;
		__builtin_prefetch(&t->map.slot[b[l]]);
	}
	return maybe;
}

static const struct rmap_slot *probe_at(const struct ptab *t, uint64_t key, uint64_t i)
{
	for (;; i = (i + 1) & t->map.mask) {
		const struct rmap_slot *s = &t->map.slot[i];
		if (s->key == key)
			return s;
		if (!s->key)
			return NULL;
	}
}

size_t ptab_lookup_all(const struct ptab *t, uint64_t full, unsigned nd, int64_t now,
		       struct phit *hits, size_t max, uint32_t nowners)
{
	uint64_t b[16];
	size_t nh = 0;
	unsigned lens;

	if (!t->nkeys || !max)
		return 0;
	lens = start_probes(t, full, nd, b);
	while (lens) {
		unsigned l = 31u - (unsigned)__builtin_clz(lens);
		const struct rmap_slot *s;

		lens &= ~(1u << l);
		s = probe_at(t, key_prefix(full, l), b[l]);
		if (!s)
			continue;
		for (uint32_t i = s->a, end = s->a + s->b, j; i < end; i = j) {
			uint32_t owner = t->plan[t->rec[i]].owner;
			bool seen = false;

			for (j = i + 1; j < end && t->plan[t->rec[j]].owner == owner; j++)
				;
			for (size_t h = 0; h < nh && !seen; h++)
				seen = hits[h].owner == owner;
			if (seen)
				continue;
			/* newest first: the first not in the future is current;
			 * an owner with only future rows here falls through to
			 * its shorter prefixes */
			for (uint32_t k = i; k < j; k++) {
				if (t->plan[t->rec[k]].eff <= now) {
					hits[nh++] = (struct phit){ owner, t->rec[k], (uint8_t)l };
					break;
				}
			}
			if (nh == max || nh == nowners)
				return nh;
		}
	}
	return nh;
}

bool ptab_lookup_one(const struct ptab *t, uint64_t full, unsigned nd, int64_t now,
		     uint32_t owner, struct phit *hit)
{
	uint64_t b[16];
	unsigned lens;

	if (!t->nkeys)
		return false;
	lens = start_probes(t, full, nd, b);
	while (lens) {
		unsigned l = 31u - (unsigned)__builtin_clz(lens);
		const struct rmap_slot *s;

		lens &= ~(1u << l);
		s = probe_at(t, key_prefix(full, l), b[l]);
		if (!s)
			continue;
		for (uint32_t k = s->a, end = s->a + s->b; k < end; k++) {
			const struct rplan *p = &t->plan[t->rec[k]];
			if (p->owner > owner)
				break;
			if (p->owner == owner && p->eff <= now) {
				*hit = (struct phit){ owner, t->rec[k], (uint8_t)l };
				return true;
			}
		}
	}
	return false;
}
