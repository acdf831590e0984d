/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file rate.c  Rating an answered call: billed seconds and amount, exact. */
#include "route_int.h"

int64_t route_rate_call(int64_t rate, int64_t fee, uint16_t inc_first, uint16_t inc_next,
			int64_t dur_ms, int64_t *billed_sec)
{
	int64_t sec, billed, first = inc_first ? inc_first : 1, next = inc_next ? inc_next : 1;

	if (dur_ms <= 0 || rate < 0 || fee < 0) {
		if (billed_sec)
			*billed_sec = 0;
		return 0;
	}
	/* a started second counts: 61.2 s is 62 s */
	sec = (dur_ms + 999) / 1000;
	billed = first;
	if (sec > first)
		billed += (sec - first + next - 1) / next * next;
	if (billed_sec)
		*billed_sec = billed;
	/* rate / 60 * billed, then the remainder rounded up: no overflow for
	 * the rates the builder accepts and calls shorter than centuries,
	 * and never a micro-unit under the exact amount */
	return fee + rate / 60 * billed + ((rate % 60) * billed + 59) / 60;
}
