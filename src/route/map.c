/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file map.c  Open-addressing uint64 -> uint32 pair map and digit keys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "route_int.h"

enum { HUGE_PAGE = 2 << 20, BIG = 2 * HUGE_PAGE };

/*
 * Large tables (prefix maps, rate records) are touched at random by every
 * lookup: with 4 kB pages nearly each probe is also a TLB miss, which on
 * virtual machines costs as much as the cache miss itself. So blocks of a
 * few MB come from mmap, 2 MB aligned, with MADV_HUGEPAGE (the kernel may
 * decline; nothing depends on it).
 */
void *big_zalloc(size_t size)
{
	char *p, *a;
	size_t len;

	if (size < BIG)
		return calloc(1, size ? size : 1);
	len = (size + HUGE_PAGE - 1) & ~((size_t)HUGE_PAGE - 1);
	p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~((uintptr_t)HUGE_PAGE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + len + HUGE_PAGE)
		munmap(a + len, (size_t)(p + len + HUGE_PAGE - (a + len)));
	madvise(a, len, MADV_HUGEPAGE);
	return a;
}

void big_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size < BIG) {
		free(p);
		return;
	}
	munmap(p, (size + HUGE_PAGE - 1) & ~((size_t)HUGE_PAGE - 1));
}

int rmap_init(struct rmap *m, size_t expect, uint64_t seed)
{
	size_t cap = 16;

	/* load <= 2/3 after init: 1M keys fit 2M slots (32 MB) */
	while (cap < expect + expect / 2) {
		if (cap > SIZE_MAX / 4 / sizeof(struct rmap_slot))
			return -ENOMEM;
		cap *= 2;
	}
	m->slot = big_zalloc(cap * sizeof(*m->slot));
	if (!m->slot)
		return -ENOMEM;
	m->mask = cap - 1;
	m->count = 0;
	m->seed = seed;
	return 0;
}

void rmap_reset(struct rmap *m)
{
	big_free(m->slot, rmap_bytes(m));
	memset(m, 0, sizeof(*m));
}

const struct rmap_slot *rmap_get(const struct rmap *m, uint64_t key)
{
	if (!m->slot || !key)
		return NULL;
	for (uint64_t i = rmap_hash(key, m->seed) & m->mask;; i = (i + 1) & m->mask) {
		const struct rmap_slot *s = &m->slot[i];
		if (s->key == key)
			return s;
		if (!s->key)
			return NULL;
	}
}

static struct rmap_slot *probe(struct rmap *m, uint64_t key)
{
	for (uint64_t i = rmap_hash(key, m->seed) & m->mask;; i = (i + 1) & m->mask) {
		struct rmap_slot *s = &m->slot[i];
		if (s->key == key || !s->key)
			return s;
	}
}

static int grow(struct rmap *m)
{
	struct rmap n;
	int err = rmap_init(&n, (size_t)(m->mask + 1), m->seed);

	if (err)
		return err;
	for (uint64_t i = 0; i <= m->mask; i++) {
		if (m->slot[i].key)
			*probe(&n, m->slot[i].key) = m->slot[i];
	}
	n.count = m->count;
	big_free(m->slot, rmap_bytes(m));
	*m = n;
	return 0;
}

int rmap_put(struct rmap *m, uint64_t key, struct rmap_slot **sp)
{
	struct rmap_slot *s;
	int err;

	if (!key)
		return -EINVAL;
	if (!m->slot && (err = rmap_init(m, 8, m->seed)))
		return err;
	s = probe(m, key);
	if (s->key) {
		*sp = s;
		return 0;
	}
	/* keep the load at or under 1/2: misses (most probes of a longest
	 * prefix search) stay short under linear probing */
	if ((m->count + 1) * 2 > m->mask + 1) {
		if ((err = grow(m)))
			return err;
		s = probe(m, key);
	}
	s->key = key;
	s->a = s->b = 0;
	m->count++;
	*sp = s;
	return 1;
}

int key_pack(const char *s, size_t n, uint64_t *key)
{
	uint64_t k = 0;

	if (!n || n > ROUTE_DIGITS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		k |= (uint64_t)(s[i] - '0' + 1) << (4 * i);
	}
	*key = k;
	return 0;
}

unsigned key_unpack(uint64_t key, char *buf, size_t n)
{
	unsigned l = 0;

	for (; key && l + 1 < n; key >>= 4)
		buf[l++] = (char)('0' + (key & 15) - 1);
	if (n)
		buf[l] = '\0';
	return l;
}
