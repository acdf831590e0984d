/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file cdr.c  The record of a call, assembled when it ends and handed to
 *              the store's writer: attempts, times, cause, and the rating
 *              (route_rate_call) of cost and price; and the record of a
 *              call refused before it was set up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "call_int.h"

#define LOG_MOD "cdr"

static char *dup_s(const char *s)
{
	return strdup(s ? s : "");
}

/* Store numbers are E.164 digits without the '+'. */
static char *digits(const char *e164)
{
	return dup_s(e164 && e164[0] == '+' ? e164 + 1 : e164);
}

static int fill(struct store_cdr *r, const struct call *c)
{
	const struct attempt *won = NULL;
	int64_t dur;

	r->call_id = dup_s(c->a.callid);
	r->customer_id = c->customer_id;
	r->trunk_id = c->trunk_id;
	r->dir = c->dir;
	r->caller = dup_s(c->caller);
	r->dialled = dup_s(c->dialled);
	r->normalised = digits(c->e164);
	r->setup_ms = c->setup_ms;
	r->ring_ms = c->ring_ms;
	r->answer_ms = c->answer_ms;
	r->end_ms = c->end_ms;
	r->disconnect_side = c->side;
	r->sip_code = c->answer_ms ? 200 : c->a_code;
	r->q850_cause = leg_q850(c->answer_ms ? 200 : c->a_code);
	r->reason = dup_s(c->cause);
	if (!r->call_id || !r->caller || !r->dialled || !r->normalised || !r->reason)
		return -ENOMEM;

	if (c->natt) {
		r->attempts = calloc(c->natt, sizeof(*r->attempts));
		if (!r->attempts)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < c->natt; i++) {
		const struct attempt *at = &c->att[i];
		struct store_cdr_attempt *o = &r->attempts[r->n_attempts];
		char gw[LEG_URI_MAX + 32];

		/* Attempts after the one that ended the call never started. */
		if (!at->start_ms)
			continue;
		snprintf(gw, sizeof(gw), "%s;transport=%s", at->host,
			 at->proto == TP_TCP ? "tcp" : "udp");
		o->carrier_id = at->carrier_id;
		o->gateway = strdup(gw);
		o->code = at->code;
		o->start_ms = at->start_ms;
		o->ring_ms = at->ring_ms;
		o->answer_ms = at->answer_ms;
		o->end_ms = at->end_ms ? at->end_ms : c->end_ms;
		r->n_attempts++;
		if (!o->gateway)
			return -ENOMEM;
		if (at->answer_ms)
			won = at;
		r->carrier_id = at->carrier_id;
	}
	if (c->dir == STORE_DIR_IN)
		r->carrier_id = c->carrier_in;

	/* Rating: the carrier's terms for cost, the tariff for price. */
	dur = c->answer_ms && c->end_ms > c->answer_ms ? c->end_ms - c->answer_ms : 0;
	if (won && c->dir == STORE_DIR_OUT) {
		r->cost = route_rate_call(won->rate, won->fee, won->inc_first, won->inc_next, dur,
					  &r->billed_sec);
		r->carrier_id = won->carrier_id;
	}
	if (c->answer_ms && c->has_price)
		r->price = route_rate_call(c->price_rate, c->price_fee, c->price_inc_first,
					   c->price_inc_next, dur, &r->billed_sec);
	else if (c->answer_ms && !r->billed_sec)
		r->billed_sec = (dur + 999) / 1000;
	media_cdr(c, r);
	return 0;
}

/* A call's record (err 0) or its failure: statistics, the writer, one log
 * line from the record, the counters. Frees r unless the writer took it. */
static void submit(struct uas *u, struct store_cdr *r, int err)
{
	if (!err)
		call_stats_cdr(u, r);
	if (!err)
		err = u->prm.cdrw ? store_cdr_submit(u->prm.cdrw, r) : -ENODEV;
	if (r)
		LINFO("cdr dir=%s customer=%lld trunk=%lld carrier=%lld caller=%s dialled=%s "
		      "e164=%s code=%d attempts=%zu setup=%lld answer=%lld end=%lld billed=%lld "
		      "cost=%lld price=%lld cause=\"%s\" submitted=%s",
		      r->dir == STORE_DIR_IN ? "in" : "out", (long long)r->customer_id,
		      (long long)r->trunk_id, (long long)r->carrier_id,
		      r->caller ? r->caller : "", r->dialled ? r->dialled : "",
		      r->normalised ? r->normalised : "", r->sip_code, r->n_attempts,
		      (long long)r->setup_ms, (long long)r->answer_ms, (long long)r->end_ms,
		      (long long)r->billed_sec, (long long)r->cost, (long long)r->price,
		      r->reason ? r->reason : "", err ? "no" : "yes");
	if (err) {
		if (err != -ENODEV) {
			atomic_fetch_add(&u->cdr_lost, 1);
			LERR("cdr not written err=%d", err);
		}
		store_cdr_free(r);
		return;
	}
	atomic_fetch_add(&u->cdr_submitted, 1);
}

void cdr_submit(struct call *c)
{
	struct store_cdr *r = store_cdr_new();

	submit(c->u, r, r ? fill(r, c) : -ENOMEM);
}

void cdr_refused(struct call *c, const struct pl *callid, const char *caller,
		 const char *dialled, const char *e164, uint16_t scode)
{
	struct store_cdr *r = store_cdr_new();
	int err = -ENOMEM;

	if (r) {
		r->call_id = malloc(callid->l + 1);
		if (r->call_id)
			pl_strcpy(callid, r->call_id, callid->l + 1);
		r->customer_id = c->customer_id;
		r->trunk_id = c->trunk_id;
		r->carrier_id = c->dir == STORE_DIR_IN ? c->carrier_in : 0;
		r->dir = c->dir;
		r->caller = dup_s(caller);
		r->dialled = dup_s(dialled);
		r->normalised = digits(e164);
		r->setup_ms = c->setup_ms;
		r->end_ms = wall_ms();
		r->disconnect_side = STORE_SIDE_SYSTEM;
		r->sip_code = scode;
		r->q850_cause = leg_q850(scode);
		r->reason = dup_s(c->cause ? c->cause : sip_reason_phrase(scode));
		err = r->call_id && r->caller && r->dialled && r->normalised && r->reason ? 0
			: -ENOMEM;
	}
	submit(c->u, r, err);
}
