/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file mem.c  Refcounted allocations with destructors (after libre's mem).
 *
 * A header in front of each block holds an atomic reference count, the
 * destructor and, in debug builds, a magic number that catches frees of
 * foreign or already freed pointers.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include "core.h"

enum { MEM_MAGIC = 0x7e1c0de5 };

struct mem {
	_Atomic uint32_t nrefs;
	uint32_t magic;
	mem_destroy_h *dh;
	/* keep the payload 16-byte aligned */
	uint64_t pad;
};

static _Atomic size_t nblocks;

static inline struct mem *hdr(const void *data)
{
	return (struct mem *)((char *)(uintptr_t)data - sizeof(struct mem));
}

void *mem_zalloc(size_t size, mem_destroy_h *dh)
{
	struct mem *m;

	if (size > SIZE_MAX - sizeof(*m))
		return NULL;
	m = calloc(1, sizeof(*m) + size);
	if (!m)
		return NULL;
	atomic_init(&m->nrefs, 1);
	m->magic = MEM_MAGIC;
	m->dh = dh;
	atomic_fetch_add(&nblocks, 1);
	return m + 1;
}

void *mem_ref(void *data)
{
	if (!data)
		return NULL;
	struct mem *m = hdr(data);
	if (NEVER(m->magic != MEM_MAGIC))
		return data;
	atomic_fetch_add_explicit(&m->nrefs, 1, memory_order_relaxed);
	return data;
}

void *mem_deref(void *data)
{
	if (!data)
		return NULL;
	struct mem *m = hdr(data);
	if (NEVER(m->magic != MEM_MAGIC))
		return NULL;
	if (atomic_fetch_sub_explicit(&m->nrefs, 1, memory_order_acq_rel) != 1)
		return NULL;
	if (m->dh)
		m->dh(data);
	m->magic = 0;
	atomic_fetch_sub(&nblocks, 1);
	free(m);
	return NULL;
}

uint32_t mem_nrefs(const void *data)
{
	return data ? atomic_load(&hdr(data)->nrefs) : 0;
}

size_t mem_blocks(void)
{
	return atomic_load(&nblocks);
}
