/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file ports.c  Pool of RTP/RTCP port pairs: a FIFO ring of free even
 *                ports under a mutex, O(1) get and put.
 */
#include <errno.h>
#include <stdlib.h>
#include "media_int.h"

int mports_init(struct mports *p, uint16_t min, uint16_t max)
{
	uint32_t first = (min + 1u) & ~1u, n = 0;

	if (min == 0 || max < min || first + 1 > max)
		return -EINVAL;
	n = (max - first + 1) / 2;
	p->ring = calloc(n, sizeof(*p->ring));
	if (!p->ring)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		p->ring[i] = (uint16_t)(first + 2 * i);
	p->cap = p->count = p->total = n;
	p->head = 0;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void mports_close(struct mports *p)
{
	if (!p->ring)
		return;
	free(p->ring);
	p->ring = NULL;
	pthread_mutex_destroy(&p->lock);
}

int mports_get(struct mports *p, uint16_t *port)
{
	int err = 0;

	pthread_mutex_lock(&p->lock);
	if (!p->count) {
		err = -ENOSPC;
	} else {
		*port = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->count--;
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

void mports_put(struct mports *p, uint16_t port)
{
	pthread_mutex_lock(&p->lock);
	/* a pool never holds more than it was given: a double put is a bug */
	if (ALWAYS(p->count < p->cap)) {
		p->ring[(p->head + p->count) % p->cap] = port;
		p->count++;
	}
	pthread_mutex_unlock(&p->lock);
}

uint32_t mports_used(struct mports *p)
{
	uint32_t used;

	pthread_mutex_lock(&p->lock);
	used = p->total - p->count;
	pthread_mutex_unlock(&p->lock);
	return used;
}
