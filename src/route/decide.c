/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file decide.c  route_decide: a call's routing decision as a value.
 *
 * Order of checks, each refusal a SIP status with a reason:
 *   customer known (403) -> tech prefix strip -> E.164 (484) -> credit
 *   (402) -> customer channels / CPS (503) -> tariff -> LCR candidates
 *   (404 when no carrier has a rate) -> per candidate: tariff, margin,
 *   health, channels, calls per second, gateways, number format ->
 *   attempts.
 *
 * Limits are read from the live counters as they are at this moment; the
 * call layer then takes them atomically (route_live_*_take) and skips an
 * attempt whose carrier filled up in between. A call layer that took the
 * customer's channel and CPS slot before deciding passes a state without
 * customer counters, so its own call is not counted twice.
 *
 * Ranking cost is the cost of a one-minute call: connection fee plus the
 * rate over the seconds a 60 s call is billed under the carrier's
 * increments (60/60 -> 60 s, 1/1 -> 60 s, 90/30 -> 90 s). So the fee and
 * the increments count, as they do on the invoice. Equal costs go to the
 * carrier with the lower priority number, then the lower id.
 *
 * Margin filter: a candidate is kept only when its per-minute rate is not
 * above the tariff's per-minute price (long calls never lose money) and
 * its one-minute cost is not above the one-minute price (short calls with
 * fees and increments are counted too).
 */
#include <errno.h>
#include <string.h>
#include "route_int.h"

#define LOG_MOD "route"

int64_t route_cost_1min(int64_t rate, int64_t fee, uint16_t inc_first, uint16_t inc_next)
{
	int64_t billed = inc_first ? inc_first : 60;

	if (billed < 60) {
		int64_t next = inc_next ? inc_next : 1;
		billed += (60 - billed + next - 1) / next * next;
	}
	/* rate / 60 * billed cannot overflow for rates the builder accepts;
	 * the remainder part rounds up, so cost is never under-estimated */
	return fee + rate / 60 * billed + ((rate % 60) * billed + 59) / 60;
}

enum live_what { LIVE_CHANNELS, LIVE_CPS, LIVE_DOWN };

static uint32_t live_load(const struct route_live *v, uint32_t n, uint32_t id,
			  enum live_what what, int64_t now)
{
	if (!v || id >= n)
		return 0;
	switch (what) {
	case LIVE_CHANNELS: return atomic_load_explicit(&v[id].channels, memory_order_relaxed);
	case LIVE_CPS:      return route_live_cps_count(&v[id], now);
	case LIVE_DOWN:     break;
	}
	return atomic_load_explicit(&v[id].down, memory_order_relaxed);
}

static void refuse(struct route_decision *d, uint16_t status, const char *reason,
		   uint32_t retry_after)
{
	d->status = status;
	d->reason = reason;
	d->retry_after = retry_after;
	d->nattempts = 0;
}

static void skip(struct route_decision *d, uint32_t carrier_id, enum route_skip why,
		 uint8_t plen, int64_t cost)
{
	if (d->nskipped == ROUTE_MAX_SKIPPED) {
		d->nskipped_lost++;
		return;
	}
	d->skipped[d->nskipped++] = (struct route_skipped){ carrier_id, why, plen, cost };
}

/* Longest tech prefix of the customer's trunks that starts the number. */
static struct pl strip_tech(const struct route_snap *s, const struct rcust *c, struct pl n)
{
	size_t best = 0;

	for (uint32_t i = 0; i < c->ntrunks; i++) {
		const char *tp = s->trunk[c->trunk_first + i].tech_prefix;
		size_t l = strlen(tp);
		if (l > best && l <= n.l && !memcmp(n.p, tp, l))
			best = l;
	}
	return pl_from(n.p + best, n.l - best);
}

static bool sat_positive(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return a > 0;
	return r > 0;
}

struct cand {
	const struct rcarr *c;
	const struct rplan *p;
	uint8_t plen;
	int64_t cost;
};

static bool cand_before(const struct cand *a, const struct cand *b)
{
	if (a->cost != b->cost)
		return a->cost < b->cost;
	if (a->c->priority != b->c->priority)
		return a->c->priority < b->c->priority;
	return a->c->id < b->c->id;
}

static void no_rate_skips(const struct route_snap *s, struct route_decision *d,
			  const struct phit *hits, size_t nh)
{
	enum { BITMAP_MAX = 4096 };
	uint64_t seen[BITMAP_MAX / 64] = { 0 };

	/* listing carriers without a rate is for explain; past a few thousand
	 * carriers it is only counted, to keep the hot path bounded */
	if (s->ncarr > BITMAP_MAX) {
		d->nskipped_lost += s->ncarr - (uint32_t)nh;
		return;
	}
	for (size_t i = 0; i < nh; i++)
		seen[hits[i].owner / 64] |= 1ULL << (hits[i].owner % 64);
	for (uint32_t i = 0; i < s->ncarr; i++) {
		if (!(seen[i / 64] & (1ULL << (i % 64))))
			skip(d, s->carr[i].id, ROUTE_SKIP_NO_RATE, 0, 0);
	}
}

static int parse_e164(const struct pl *e164, uint64_t *key, unsigned *nd)
{
	struct pl x = *e164;

	if (x.l && x.p[0] == '+') {
		x.p++;
		x.l--;
	}
	*nd = (unsigned)x.l;
	return key_pack(x.p, x.l, key);
}

/* Retry-After of a refusal because every carrier was down or full: one
 * second when only CPS windows were full (the next second frees them),
 * else five. */
static uint32_t transient_retry(const struct route_state *st, const struct cand *cand,
				size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		const struct rcarr *cr = cand[i].c;

		if (live_load(st->carrier, st->ncarrier, cr->id, LIVE_DOWN, now) ||
		    (cr->max_channels && live_load(st->carrier, st->ncarrier, cr->id,
						   LIVE_CHANNELS, now) >= cr->max_channels))
			return 5;
	}
	return 1;
}

int route_decide(const struct route_snap *snap, const struct route_state *st,
		 uint32_t customer_id, const struct pl *dialled, int64_t now,
		 struct route_decision *d)
{
	struct phit hits[ROUTE_MAX_CAND];
	struct cand cand[ROUTE_MAX_CAND];
	static const struct route_state nostate;
	const struct rcust *c;
	const char *why;
	struct pl num;
	size_t nh, cclen = 0;
	uint64_t key;
	unsigned nd;
	bool transient = false, tariff_only = true;

	if (!d || !dialled)
		return -EINVAL;
	if (!st)
		st = &nostate;
	/* header only: attempts and skips are written before they are counted */
	memset(d, 0, offsetof(struct route_decision, attempt));
	d->nskipped = d->nskipped_lost = 0;
	d->customer_id = customer_id;
	d->now = now;
	pl_strcpy(dialled, d->dialled, sizeof(d->dialled));

	if (!snap) {
		refuse(d, 503, "no routing data loaded", 5);
		return 0;
	}
	c = snap_cust(snap, customer_id);
	if (!c) {
		refuse(d, 403, "unknown customer", 0);
		return 0;
	}
	num = strip_tech(snap, c, dialled->p ? *dialled : PL(""));
	if (route_normalise(c->country, &num, d->e164, sizeof(d->e164), &cclen, &why)) {
		refuse(d, 484, why, 0);
		return 0;
	}
	d->cclen = (uint8_t)cclen;
	if (!sat_positive(c->balance, c->credit_limit)) {
		refuse(d, 402, "credit exhausted", 0);
		return 0;
	}
	if (c->max_channels &&
	    live_load(st->customer, st->ncustomer, c->id, LIVE_CHANNELS, now) >= c->max_channels) {
		refuse(d, 503, "customer at its channel limit", 5);
		return 0;
	}
	if (c->max_cps &&
	    live_load(st->customer, st->ncustomer, c->id, LIVE_CPS, now) >= c->max_cps) {
		refuse(d, 503, "customer at its calls-per-second limit", 1);
		return 0;
	}
	num = pl_cstr(d->e164);
	if (parse_e164(&num, &key, &nd)) {
		refuse(d, 484, "bad number", 0);
		return 0;
	}

	if (c->tariff_id) {
		struct phit th;
		if (ptab_lookup_one(&snap->tariffs, key, nd, now, c->tariff_id, &th)) {
			const struct rplan *p = &snap->tariffs.plan[th.plan];
			d->has_tariff = true;
			d->tariff_plen = th.plen;
			d->price_rate = p->rate;
			d->price_fee = p->fee;
			d->price_inc_first = p->inc_first;
			d->price_inc_next = p->inc_next;
			d->price = route_cost_1min(p->rate, p->fee, p->inc_first, p->inc_next);
		}
	}

	nh = ptab_lookup_all(&snap->rates, key, nd, now, hits, ARRAY_SIZE(hits), snap->ncarr);
	if (!nh) {
		no_rate_skips(snap, d, hits, 0);
		refuse(d, 404, "no carrier has a rate for the destination", 0);
		return 0;
	}
	for (size_t i = 0; i < nh; i++) {
		struct cand x = { &snap->carr[hits[i].owner], &snap->rates.plan[hits[i].plan],
				  hits[i].plen, 0 };
		size_t j = i;

		x.cost = route_cost_1min(x.p->rate, x.p->fee, x.p->inc_first, x.p->inc_next);
		for (; j > 0 && cand_before(&x, &cand[j - 1]); j--)
			cand[j] = cand[j - 1];
		cand[j] = x;
	}

	for (size_t i = 0; i < nh; i++) {
		const struct cand *x = &cand[i];
		const struct rcarr *cr = x->c;
		char out[ROUTE_NUM_MAX];
		enum route_skip why_skip = 0;

		if (!d->has_tariff)
			why_skip = ROUTE_SKIP_NO_TARIFF;
		else if (x->p->rate > d->price_rate || x->cost > d->price)
			why_skip = ROUTE_SKIP_MARGIN;
		else if (live_load(st->carrier, st->ncarrier, cr->id, LIVE_DOWN, now))
			why_skip = ROUTE_SKIP_DOWN;
		else if (cr->max_channels &&
			 live_load(st->carrier, st->ncarrier, cr->id, LIVE_CHANNELS, now) >=
			 cr->max_channels)
			why_skip = ROUTE_SKIP_CAPACITY;
		else if (cr->max_cps &&
			 live_load(st->carrier, st->ncarrier, cr->id, LIVE_CPS, now) >= cr->max_cps)
			why_skip = ROUTE_SKIP_CPS;
		else if (!cr->ngw)
			why_skip = ROUTE_SKIP_NO_GATEWAY;
		else if (number_for_carrier(cr, d->e164, cclen, out, sizeof(out)))
			why_skip = ROUTE_SKIP_FORMAT;
		else if (d->nattempts == ROUTE_MAX_ATTEMPTS)
			why_skip = ROUTE_SKIP_FULL;
		if (why_skip) {
			transient |= why_skip == ROUTE_SKIP_DOWN || why_skip == ROUTE_SKIP_CAPACITY ||
				     why_skip == ROUTE_SKIP_CPS;
			tariff_only &= why_skip == ROUTE_SKIP_NO_TARIFF;
			skip(d, cr->id, why_skip, x->plen, x->cost);
			continue;
		}
		for (uint32_t g = 0; g < cr->ngw; g++) {
			struct route_attempt *a;

			if (d->nattempts == ROUTE_MAX_ATTEMPTS) {
				/* the carrier is in; its last gateways are not */
				skip(d, cr->id, ROUTE_SKIP_FULL, x->plen, x->cost);
				break;
			}
			a = &d->attempt[d->nattempts];
			a->carrier_id = cr->id;
			a->gw = &snap->gw[cr->gw_first + g];
			if (g > 0)
				a->pick = ROUTE_PICK_GATEWAY;
			else if (d->nattempts == 0)
				a->pick = ROUTE_PICK_CHEAPEST;
			else
				a->pick = x->cost == d->attempt[d->nattempts - 1].cost ?
					ROUTE_PICK_PRIORITY : ROUTE_PICK_COST;
			a->plen = x->plen;
			a->rate = x->p->rate;
			a->fee = x->p->fee;
			a->inc_first = x->p->inc_first;
			a->inc_next = x->p->inc_next;
			a->cost = x->cost;
			a->price = d->price;
			a->margin = d->price - x->cost;
			memcpy(a->number, out, sizeof(out));
			d->nattempts++;
		}
	}
	no_rate_skips(snap, d, hits, nh);

	if (d->nattempts) {
		d->reason = "routed";
		return 0;
	}
	if (transient)
		refuse(d, 503, "no carrier available now (down or at capacity)",
		       transient_retry(st, cand, nh, now));
	else if (tariff_only)
		refuse(d, 403, "destination not in the customer's tariff", 0);
	else
		refuse(d, 480, "no carrier within the price or usable", 0);
	return 0;
}

size_t route_rates_lookup(const struct route_snap *snap, const struct pl *e164,
			  int64_t now, struct route_rate_hit *out, size_t n)
{
	struct phit hits[ROUTE_MAX_CAND];
	uint64_t key;
	unsigned nd;
	size_t nh;

	if (!snap || !e164 || !e164->p || parse_e164(e164, &key, &nd))
		return 0;
	nh = ptab_lookup_all(&snap->rates, key, nd, now, hits,
			     n < ARRAY_SIZE(hits) ? n : ARRAY_SIZE(hits), snap->ncarr);
	for (size_t i = 0; i < nh; i++) {
		const struct rplan *p = &snap->rates.plan[hits[i].plan];
		out[i] = (struct route_rate_hit){
			.carrier_id = snap->carr[hits[i].owner].id,
			.plen = hits[i].plen,
			.rate = p->rate, .fee = p->fee,
			.inc_first = p->inc_first, .inc_next = p->inc_next,
			.effective_from = p->eff,
		};
	}
	return nh;
}
