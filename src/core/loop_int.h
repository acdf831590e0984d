/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file loop_int.h  Private to loop.c and timer.c: the timer wheel that
 *                   each struct loop embeds.
 */
#ifndef TL_LOOP_INT_H
#define TL_LOOP_INT_H

#include "core.h"

/*
 * Four levels: 256 slots of 1 ms, then three levels of 64 slots, each
 * slot 64 times wider than one of the level below (256 ms, 16.4 s,
 * 17.5 min). A timer further away than 2^26 ms (18.6 h) parks in the last
 * slot of level 3 and is placed again when that slot cascades.
 */
enum {
	TW_BITS0 = 8,
	TW_BITSN = 6,
	TW_SLOTS0 = 1 << TW_BITS0,
	TW_SLOTSN = 1 << TW_BITSN,
	TW_LEVELS = 4,
	TW_NSLOTS = TW_SLOTS0 + (TW_LEVELS - 1) * TW_SLOTSN,
};

struct tmr_wheel {
	uint64_t cur;                  /* next tick (ms) not yet processed */
	bool firing;                   /* inside tmr_wheel_run() */
	size_t count;                  /* armed timers */
	uint64_t map0[TW_SLOTS0 / 64]; /* level 0: slot may be non-empty */
	uint64_t mapn[TW_LEVELS - 1];  /* levels 1..3 */
	struct tmr slot[TW_NSLOTS];    /* list heads (sentinels) */
};

void tmr_wheel_init(struct tmr_wheel *w, uint64_t now);
/** Cancel every timer still armed (loop teardown). */
void tmr_wheel_close(struct tmr_wheel *w);
/** Fire every timer due at now. */
void tmr_wheel_run(struct tmr_wheel *w, uint64_t now);
/** Milliseconds until the wheel has work (a lower bound), -1 when empty. */
int tmr_wheel_timeout(struct tmr_wheel *w, uint64_t now);
/** The wheel of a loop (loop.c). */
struct tmr_wheel *loop_wheel(struct loop *loop);

#endif /* TL_LOOP_INT_H */
