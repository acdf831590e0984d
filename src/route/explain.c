/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file explain.c  A decision as the table `trunkline route explain` prints. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "route_int.h"

const char *route_skip_str(enum route_skip why)
{
	switch (why) {
	case ROUTE_SKIP_NO_RATE:    return "no rate";
	case ROUTE_SKIP_NO_TARIFF:  return "no tariff";
	case ROUTE_SKIP_MARGIN:     return "cost above price";
	case ROUTE_SKIP_CAPACITY:   return "carrier at capacity";
	case ROUTE_SKIP_CPS:        return "carrier at calls-per-second limit";
	case ROUTE_SKIP_DOWN:       return "carrier down";
	case ROUTE_SKIP_NO_GATEWAY: return "no gateway";
	case ROUTE_SKIP_FORMAT:     return "number does not fit carrier rules";
	case ROUTE_SKIP_FULL:       return "no attempt slot left";
	}
	return "?";
}

const char *route_pick_str(enum route_pick pick)
{
	switch (pick) {
	case ROUTE_PICK_CHEAPEST: return "lowest cost";
	case ROUTE_PICK_COST:     return "next lowest cost";
	case ROUTE_PICK_PRIORITY: return "same cost, next priority";
	case ROUTE_PICK_GATEWAY:  return "next gateway of the carrier";
	}
	return "?";
}

static const char *tp_str(enum route_transport tp)
{
	switch (tp) {
	case ROUTE_TP_TCP: return "tcp";
	case ROUTE_TP_TLS: return "tls";
	default:           return "udp";
	}
}

struct out {
	char *buf;
	size_t n;
	size_t len;   /* as snprintf: what would have been written */
};

static void app(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void app(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(o->len < o->n ? o->buf + o->len : NULL,
		      o->len < o->n ? o->n - o->len : 0, fmt, ap);
	va_end(ap);
	if (r > 0)
		o->len += (size_t)r;
}

static const char *carr_name(const struct route_snap *s, uint32_t id, char *buf, size_t n)
{
	const struct rcarr *c = s ? snap_carr(s, id) : NULL;

	snprintf(buf, n, "%s (%u)", c && c->name[0] ? c->name : "?", id);
	return buf;
}

static const char *prefix_of(const struct route_decision *d, uint8_t plen, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)plen, d->e164[0] == '+' ? d->e164 + 1 : d->e164);
	return buf;
}

int route_decision_format(const struct route_decision *d, const struct route_snap *snap,
			  char *buf, size_t n)
{
	struct out o = { buf, n, 0 };
	const struct rcust *c;
	char m1[DEC_FMT_MAX], m2[DEC_FMT_MAX], m3[DEC_FMT_MAX], m4[DEC_FMT_MAX];
	char name[96], pfx[ROUTE_DIGITS_MAX + 1], gw[128], inc[16];

	if (!d || (!buf && n))
		return -EINVAL;
	if (n)
		buf[0] = '\0';
	c = snap ? snap_cust(snap, d->customer_id) : NULL;
	app(&o, "customer  %u", d->customer_id);
	if (c)
		app(&o, " \"%s\" (country %s)", c->name, c->country ? c->country->iso : "none");
	app(&o, "\ndialled   \"%s\"\n", d->dialled);
	if (d->e164[0])
		app(&o, "number    %s\n", d->e164);
	if (d->has_tariff) {
		snprintf(inc, sizeof(inc), "%u/%u", d->price_inc_first, d->price_inc_next);
		app(&o, "tariff    prefix %s: %s/min, fee %s, %s -> one-minute price %s\n",
		    prefix_of(d, d->tariff_plen, pfx, sizeof(pfx)),
		    dec_fmt(d->price_rate, m1, sizeof(m1)), dec_fmt(d->price_fee, m2, sizeof(m2)),
		    inc, dec_fmt(d->price, m3, sizeof(m3)));
	}
	else if (d->e164[0] && d->status != 484) {
		app(&o, "tariff    none for this destination\n");
	}
	if (d->status)
		app(&o, "result    refused %u %s", d->status, d->reason ? d->reason : "");
	else
		app(&o, "result    routed, %u attempt%s", d->nattempts, d->nattempts == 1 ? "" : "s");
	if (d->retry_after)
		app(&o, " (Retry-After %u)", d->retry_after);
	app(&o, "\n");

	if (d->nattempts) {
		app(&o, "\n %-2s  %-20s  %-30s  %-8s  %-10s  %-8s  %-6s  %-10s  %-10s  %-18s  %s\n",
		    "#", "carrier", "gateway", "prefix", "rate/min", "fee", "incr",
		    "1-min cost", "margin", "number sent", "why");
		for (uint32_t i = 0; i < d->nattempts; i++) {
			const struct route_attempt *a = &d->attempt[i];

			if (a->gw)
				snprintf(gw, sizeof(gw), "%u %s:%u/%s", a->gw->id, a->gw->host,
					 a->gw->port, tp_str(a->gw->transport));
			else
				snprintf(gw, sizeof(gw), "?");
			snprintf(inc, sizeof(inc), "%u/%u", a->inc_first, a->inc_next);
			app(&o, " %-2u  %-20s  %-30s  %-8s  %-10s  %-8s  %-6s  %-10s  %-10s  %-18s  %s\n",
			    i + 1, carr_name(snap, a->carrier_id, name, sizeof(name)), gw,
			    prefix_of(d, a->plen, pfx, sizeof(pfx)),
			    dec_fmt(a->rate, m1, sizeof(m1)), dec_fmt(a->fee, m2, sizeof(m2)), inc,
			    dec_fmt(a->cost, m3, sizeof(m3)), dec_fmt(a->margin, m4, sizeof(m4)),
			    a->number, route_pick_str(a->pick));
		}
	}
	if (d->nskipped) {
		app(&o, "\nskipped\n     %-20s  %-8s  %-10s  %s\n", "carrier", "prefix",
		    "1-min cost", "reason");
		for (uint32_t i = 0; i < d->nskipped; i++) {
			const struct route_skipped *k = &d->skipped[i];

			app(&o, "     %-20s  %-8s  %-10s  %s\n",
			    carr_name(snap, k->carrier_id, name, sizeof(name)),
			    k->plen ? prefix_of(d, k->plen, pfx, sizeof(pfx)) : "-",
			    k->plen ? dec_fmt(k->cost, m1, sizeof(m1)) : "-",
			    route_skip_str(k->why));
		}
	}
	if (d->nskipped_lost)
		app(&o, "     (%u more not shown)\n", d->nskipped_lost);
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}
