/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file limits.c  Channel and calls-per-second limits of a call: taken
 *                 atomically before the call goes on, released when it
 *                 ends or is refused.
 *
 * Every limit is one struct route_live (route/live.c) indexed by store id:
 * a trunk's channels (termination), a customer's channels (both ways) and
 * CPS (termination), a carrier's channels and CPS counted both ways (calls
 * we send it and calls it sends us share its interconnect). A take is
 * increment-then-check with an undo, so workers racing for the last
 * channel cannot overshoot; route_decide's own reading of the counters is
 * only a view of a moment that decides skip reasons and explain output.
 * A call remembers what it holds (counted_*) and limits_release() gives
 * back exactly that, once.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include "call_int.h"

#define LOG_MOD "call"

enum {
	RETRY_CHANNELS_S = 5,     /* a channel frees when a call ends: a few seconds */
	RETRY_CPS_S = 1,          /* a CPS window empties within the second */
};

static struct route_live *live_at(struct route_live *v, uint32_t n, uint32_t id)
{
	return v && id && id < n ? &v[id] : NULL;
}

struct route_live *limits_live(struct uas *u, enum limits_of of, uint32_t id)
{
	struct call_live *lv = u->prm.live;

	if (!lv)
		return NULL;
	switch (of) {
	case LIMITS_CUSTOMER: return live_at(lv->customer, lv->ncustomer, id);
	case LIMITS_TRUNK:    return live_at(lv->trunk, lv->ntrunk, id);
	case LIMITS_CARRIER:  return live_at(lv->carrier, lv->ncarrier, id);
	}
	return NULL;
}

/* 503 (or the given status) with a Reason naming the limit and, for 503,
 * Retry-After; the text is the call's cause (its CDR's reason). */
static void limits_refuse(struct call *c, struct txn_srv *st, uint16_t scode, const char *text,
			  uint32_t retry)
{
	char hdr[192];
	int n = snprintf(hdr, sizeof(hdr), "Reason: SIP;cause=%u;text=\"%s\"\r\n", scode, text);

	if (retry && n > 0 && (size_t)n < sizeof(hdr))
		snprintf(hdr + n, sizeof(hdr) - (size_t)n, "Retry-After: %u\r\n", retry);
	c->cause = text;
	LINFO("refused status=%u reason=\"%s\" retry_after=%u", scode, text, retry);
	if (txn_srv_reply_simple(st, scode, text, hdr))
		LWARN("reply failed status=%u", scode);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

int limits_take_term(struct call *c, struct txn_srv *st)
{
	struct uas *u = c->u;
	struct route_limits cust = { 0 };
	struct route_trunk tr;
	struct route_live *l;

	if (!route_trunk_get(c->snap, c->trunk_id, &tr) &&
	    (l = limits_live(u, LIMITS_TRUNK, c->trunk_id))) {
		if (!route_live_channel_take(l, tr.max_channels)) {
			limits_refuse(c, st, 503, "trunk channel limit", RETRY_CHANNELS_S);
			return -EBUSY;
		}
		c->counted_trunk = true;
	}
	route_customer_limits(c->snap, c->customer_id, &cust);
	if ((l = limits_live(u, LIMITS_CUSTOMER, c->customer_id))) {
		if (!route_live_channel_take(l, cust.max_channels)) {
			limits_refuse(c, st, 503, "customer channel limit", RETRY_CHANNELS_S);
			goto refused;
		}
		c->counted_customer = true;
		/* a refused call still used its second's slot: CPS caps
		 * attempts, not successes (a flood of bad numbers is a flood) */
		if (!route_live_cps_take(l, now_s(), cust.max_cps)) {
			limits_refuse(c, st, 503, "customer calls-per-second limit", RETRY_CPS_S);
			goto refused;
		}
	}
	return 0;
refused:
	limits_release(c);
	return -EBUSY;
}

int limits_take_orig(struct call *c, struct txn_srv *st)
{
	struct uas *u = c->u;
	struct route_limits cr = { 0 }, cust = { 0 };
	struct route_live *l;

	route_carrier_limits(c->snap, c->carrier_in, &cr);
	if ((l = limits_live(u, LIMITS_CARRIER, c->carrier_in))) {
		if (!route_live_channel_take(l, cr.max_channels)) {
			limits_refuse(c, st, 503, "carrier channel limit", RETRY_CHANNELS_S);
			return -EBUSY;
		}
		c->counted_carrier_in = c->carrier_in;
		if (!route_live_cps_take(l, now_s(), cr.max_cps)) {
			limits_refuse(c, st, 503, "carrier calls-per-second limit", RETRY_CPS_S);
			goto refused;
		}
	}
	route_customer_limits(c->snap, c->customer_id, &cust);
	if ((l = limits_live(u, LIMITS_CUSTOMER, c->customer_id))) {
		if (!route_live_channel_take(l, cust.max_channels)) {
			limits_refuse(c, st, 503, "customer channel limit", RETRY_CHANNELS_S);
			goto refused;
		}
		c->counted_customer = true;
	}
	return 0;
refused:
	limits_release(c);
	return -EBUSY;
}

bool limits_take_attempt(struct call *c, struct attempt *at)
{
	struct route_limits cr = { 0 };
	struct route_live *l;

	if (!at->carrier_id || !(l = limits_live(c->u, LIMITS_CARRIER, at->carrier_id)))
		return true;
	route_carrier_limits(c->snap, at->carrier_id, &cr);
	/* The previous attempt's channel is released before the next one
	 * starts (relay.c); hold at most one per call. */
	limits_release_carrier(c);
	if (!route_live_channel_take(l, cr.max_channels)) {
		LINFO("attempt skipped: carrier at its channel limit carrier=%u", at->carrier_id);
		return false;
	}
	if (!route_live_cps_take(l, now_s(), cr.max_cps)) {
		route_live_channel_release(l);
		LINFO("attempt skipped: carrier at its CPS limit carrier=%u", at->carrier_id);
		return false;
	}
	c->counted_carrier = at->carrier_id;
	return true;
}

void limits_release_carrier(struct call *c)
{
	route_live_channel_release(limits_live(c->u, LIMITS_CARRIER, c->counted_carrier));
	c->counted_carrier = 0;
}

void limits_release(struct call *c)
{
	struct uas *u = c->u;

	if (c->counted_trunk)
		route_live_channel_release(limits_live(u, LIMITS_TRUNK, c->trunk_id));
	c->counted_trunk = false;
	if (c->counted_customer)
		route_live_channel_release(limits_live(u, LIMITS_CUSTOMER, c->customer_id));
	c->counted_customer = false;
	route_live_channel_release(limits_live(u, LIMITS_CARRIER, c->counted_carrier_in));
	c->counted_carrier_in = 0;
	limits_release_carrier(c);
}
