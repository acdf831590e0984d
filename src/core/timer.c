/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file timer.c  Hierarchical timer wheel with 1 ms ticks, one per loop.
 *
 * Timers live in their owners (struct tmr); a slot is a circular list with
 * a sentinel head, so start and cancel are O(1) and allocate nothing.
 * Level 0 has one slot per millisecond for the next 256 ms; each higher
 * level has 64 slots, each as wide as a whole turn of the level below.
 * When level 0 wraps, the due slot of level 1 is emptied and its timers
 * placed again by their exact expiry ("cascade"), and so on upwards.
 *
 * Bitmaps say which slots may hold timers. They are cleared lazily (when
 * a scan meets an empty slot), so cancel stays a plain unlink. The epoll
 * timeout comes from the first marked slot of each level, never from a
 * walk over timers.
 */
#include <limits.h>
#include <string.h>
#include "loop_int.h"

enum {
	TW_MASK0 = TW_SLOTS0 - 1,
	TW_MASKN = TW_SLOTSN - 1,
	/* furthest a timer is placed ahead; later ones are parked */
	TW_SPAN = 1u << (TW_BITS0 + (TW_LEVELS - 1) * TW_BITSN),
};

/* bit shift of a level's slot width (level 0: 1 ms) */
static inline unsigned lvl_shift(unsigned lvl)
{
	return lvl ? TW_BITS0 + (lvl - 1) * TW_BITSN : 0;
}

static inline struct tmr *lvl_slot(struct tmr_wheel *w, unsigned lvl, unsigned i)
{
	return lvl ? &w->slot[TW_SLOTS0 + (lvl - 1) * TW_SLOTSN + i] : &w->slot[i];
}

static inline bool slot_empty(const struct tmr *head)
{
	return head->next == head;
}

static void list_init(struct tmr *head)
{
	head->next = head->prev = head;
}

static void list_unlink(struct tmr *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

static void list_append(struct tmr *head, struct tmr *t)
{
	t->prev = head->prev;
	t->next = head;
	head->prev->next = t;
	head->prev = t;
}

/* Move all of src's timers to the (empty) list dst. */
static void list_move(struct tmr *src, struct tmr *dst)
{
	list_init(dst);
	if (slot_empty(src))
		return;
	dst->next = src->next;
	dst->prev = src->prev;
	dst->next->prev = dst;
	dst->prev->next = dst;
	list_init(src);
}

void tmr_wheel_init(struct tmr_wheel *w, uint64_t now)
{
	memset(w, 0, sizeof(*w));
	w->cur = now;
	for (unsigned i = 0; i < TW_NSLOTS; i++)
		list_init(&w->slot[i]);
}

void tmr_wheel_close(struct tmr_wheel *w)
{
	for (unsigned i = 0; i < TW_NSLOTS; i++) {
		while (!slot_empty(&w->slot[i])) {
			struct tmr *t = w->slot[i].next;
			list_unlink(t);
			t->expires = 0;
		}
	}
	w->count = 0;
}

/* Link t into the slot its expiry falls in, relative to w->cur. */
static void place(struct tmr_wheel *w, struct tmr *t)
{
	uint64_t c = w->cur, e = t->expires, d;
	unsigned lvl, i;

	/* Tick c is being fired: anything due now goes to the next tick, so
	 * a callback that re-arms itself with 0 ms cannot spin in place. */
	if (w->firing ? e <= c : e < c)
		e = w->firing ? c + 1 : c;
	d = e - c;
	if (d < TW_SLOTS0) {
		i = (unsigned)(e & TW_MASK0);
		w->map0[i / 64] |= 1ULL << (i % 64);
		list_append(&w->slot[i], t);
		return;
	}
	for (lvl = 1; lvl < TW_LEVELS - 1; lvl++)
		if (d < 1ULL << lvl_shift(lvl + 1))
			break;
	if (d >= TW_SPAN)
		e = c + TW_SPAN - 1;  /* parked; placed again when cascaded */
	i = (unsigned)((e >> lvl_shift(lvl)) & TW_MASKN);
	w->mapn[lvl - 1] |= 1ULL << i;
	list_append(lvl_slot(w, lvl, i), t);
}

void tmr_init(struct tmr *t)
{
	memset(t, 0, sizeof(*t));
}

void tmr_cancel(struct tmr *t)
{
	if (!t || !t->expires)
		return;
	/* unlinked but armed: cannot happen, the firing path clears expires */
	if (ALWAYS(t->next))
		list_unlink(t);
	t->expires = 0;
	if (ALWAYS(t->loop))
		loop_wheel(t->loop)->count--;
}

void tmr_start(struct tmr *t, struct loop *loop, uint64_t delay_ms, tmr_h *h, void *arg)
{
	struct tmr_wheel *w;

	tmr_cancel(t);
	if (NEVER(!loop || !h))
		return;
	w = loop_wheel(loop);
	if (delay_ms > (1ULL << 40))
		delay_ms = 1ULL << 40;
	t->expires = time_ms() + delay_ms;
	if (!t->expires)
		t->expires = 1;
	t->h = h;
	t->arg = arg;
	t->loop = loop;
	place(w, t);
	w->count++;
}

/* First marked level-0 slot in [from, to) that really holds a timer. */
static int scan0(struct tmr_wheel *w, unsigned from, unsigned to)
{
	while (from < to) {
		unsigned wi = from / 64;
		uint64_t v = w->map0[wi] & (~0ULL << (from % 64));
		if (!v) {
			from = (wi + 1) * 64;
			continue;
		}
		unsigned i = wi * 64 + (unsigned)__builtin_ctzll(v);
		if (i >= to)
			return -1;
		if (!slot_empty(&w->slot[i]))
			return (int)i;
		w->map0[wi] &= ~(1ULL << (i % 64));
		from = i + 1;
	}
	return -1;
}

/* Empty slot i of level lvl and place its timers again. */
static void cascade_slot(struct tmr_wheel *w, unsigned lvl, unsigned i)
{
	struct tmr list, *t;

	list_move(lvl_slot(w, lvl, i), &list);
	w->mapn[lvl - 1] &= ~(1ULL << i);
	while (!slot_empty(&list)) {
		t = list.next;
		list_unlink(t);
		place(w, t);
	}
}

static void fire_slot(struct tmr_wheel *w, unsigned i)
{
	struct tmr list, *t;

	list_move(&w->slot[i], &list);
	w->map0[i / 64] &= ~(1ULL << (i % 64));
	w->firing = true;
	/* A callback may cancel or re-arm any timer, including ones still in
	 * this list: each is unlinked before its callback runs. */
	while (!slot_empty(&list)) {
		t = list.next;
		list_unlink(t);
		t->expires = 0;
		w->count--;
		t->h(t->arg);
	}
	w->firing = false;
}

void tmr_wheel_run(struct tmr_wheel *w, uint64_t now)
{
	while (w->cur <= now) {
		uint64_t c = w->cur, next;
		unsigned i0 = (unsigned)(c & TW_MASK0);
		int n;

		if (i0 == 0) {
			/* highest level first: its timers may land in the
			 * lower slots cascaded right after */
			for (unsigned lvl = TW_LEVELS - 1; lvl >= 1; lvl--) {
				uint64_t mask = (1ULL << lvl_shift(lvl)) - 1;
				if (c & mask)
					continue;
				cascade_slot(w, lvl, (unsigned)((c >> lvl_shift(lvl)) & TW_MASKN));
			}
		}
		if (!slot_empty(&w->slot[i0]))
			fire_slot(w, i0);
		/* skip empty ticks up to the end of this turn of level 0 */
		n = i0 + 1 < TW_SLOTS0 ? scan0(w, i0 + 1, TW_SLOTS0) : -1;
		next = n >= 0 ? (c & ~(uint64_t)TW_MASK0) + (unsigned)n : (c | TW_MASK0) + 1;
		w->cur = next < now + 1 ? next : now + 1;
	}
}

int tmr_wheel_timeout(struct tmr_wheel *w, uint64_t now)
{
	uint64_t c = w->cur, best = UINT64_MAX, base0 = c & ~(uint64_t)TW_MASK0;
	unsigned i0 = (unsigned)(c & TW_MASK0);
	int n;

	if (!w->count)
		return -1;
	if (c <= now)
		return 0;
	n = scan0(w, i0, TW_SLOTS0);
	if (n >= 0) {
		best = base0 + (unsigned)n;
	} else {
		n = scan0(w, 0, i0);
		if (n >= 0)
			best = base0 + TW_SLOTS0 + (unsigned)n;
	}
	for (unsigned lvl = 1; lvl < TW_LEVELS; lvl++) {
		unsigned sh = lvl_shift(lvl);
		uint64_t pos = c >> sh;
		/* an aligned, unprocessed tick still has its own slot due */
		unsigned d0 = (c & ((1ULL << sh) - 1)) ? 1 : 0;
		for (unsigned d = d0; d <= TW_SLOTSN; d++) {
			unsigned i = (unsigned)((pos + d) & TW_MASKN);
			uint64_t when = (pos + d) << sh;
			if (when >= best)
				break;
			if (!(w->mapn[lvl - 1] & (1ULL << i)))
				continue;
			if (slot_empty(lvl_slot(w, lvl, i))) {
				w->mapn[lvl - 1] &= ~(1ULL << i);
				continue;
			}
			best = when;
			break;
		}
	}
	if (best == UINT64_MAX)
		return -1;
	return best - now > INT_MAX ? INT_MAX : (int)(best - now);
}
