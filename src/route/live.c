/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file live.c  Live limit counters: channels and calls-per-second
 *               windows, taken and released in O(1) without a lock.
 *
 * A check-then-increment lets two workers racing for the last channel both
 * pass; increment-then-check with an undo cannot: of N racers that see
 * the count go over max, each undoes its own increment, and the ones that
 * stayed within max are exactly the calls let through. A racer may see a
 * momentary overshoot and refuse a call another racer's undo would have
 * let in: a refusal at the limit, never a call over it.
 */
#include <errno.h>
#include "route_int.h"

#define LOG_MOD "route"

bool route_live_channel_take(struct route_live *l, uint32_t max)
{
	uint32_t now;

	if (!l)
		return true;
	now = atomic_fetch_add_explicit(&l->channels, 1, memory_order_relaxed) + 1;
	if (max && now > max) {
		atomic_fetch_sub_explicit(&l->channels, 1, memory_order_relaxed);
		return false;
	}
	return true;
}

void route_live_channel_release(struct route_live *l)
{
	uint32_t v;

	if (!l)
		return;
	/* never wrap below zero: a release without a take is a bug upstream,
	 * but must not turn into four billion calls in progress */
	v = atomic_load_explicit(&l->channels, memory_order_relaxed);
	while (v && !atomic_compare_exchange_weak_explicit(&l->channels, &v, v - 1,
							   memory_order_relaxed,
							   memory_order_relaxed))
		;
}

bool route_live_cps_take(struct route_live *l, int64_t now, uint32_t max)
{
	uint64_t sec = (uint64_t)(uint32_t)now, old, nv;

	if (!l)
		return true;
	old = atomic_load_explicit(&l->cps, memory_order_relaxed);
	do {
		uint32_t n = (old >> 32) == sec ? (uint32_t)old : 0;

		if (max && n >= max)
			return false;
		/* a count that would wrap stays at its ceiling */
		nv = sec << 32 | (n == UINT32_MAX ? n : n + 1);
	} while (!atomic_compare_exchange_weak_explicit(&l->cps, &old, nv,
							 memory_order_relaxed,
							 memory_order_relaxed));
	return true;
}

uint32_t route_live_cps_count(const struct route_live *l, int64_t now)
{
	uint64_t v;

	if (!l)
		return 0;
	v = atomic_load_explicit(&((struct route_live *)(uintptr_t)l)->cps, memory_order_relaxed);
	return (v >> 32) == (uint64_t)(uint32_t)now ? (uint32_t)v : 0;
}

int route_customer_limits(const struct route_snap *snap, uint32_t id, struct route_limits *out)
{
	const struct rcust *c = snap ? snap_cust(snap, id) : NULL;

	*out = (struct route_limits){ 0 };
	if (!c)
		return -ENOENT;
	out->max_channels = c->max_channels;
	out->max_cps = c->max_cps;
	return 0;
}

int route_carrier_limits(const struct route_snap *snap, uint32_t id, struct route_limits *out)
{
	const struct rcarr *c = snap ? snap_carr(snap, id) : NULL;

	*out = (struct route_limits){ 0 };
	if (!c)
		return -ENOENT;
	out->max_channels = c->max_channels;
	out->max_cps = c->max_cps;
	return 0;
}
