/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file snapload.c  The routing snapshot from the store: load (store rows
 *                   into the route builder), the reload thread that
 *                   rebuilds it when provisioning changes, and the live
 *                   counters that route_decide reads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "call.h"
#include "route.h"
#include "store.h"

#define LOG_MOD "snap"

/* ------------------------------------------------------------------ */
/* Load                                                                 */
/* ------------------------------------------------------------------ */

struct load {
	struct route_snap_builder *b;
	unsigned skipped;          /* rows that referenced a disabled or missing row */
	const char *what;          /* kind of the row that failed */
	int64_t bad_id;
};

/* Ids in the store are int64 row ids; route keys them as uint32. */
static int id32(int64_t id, uint32_t *out)
{
	if (id <= 0 || id > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)id;
	return 0;
}

static uint32_t u32_clamp(int64_t v)
{
	return v <= 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint16_t u16_clamp(int64_t v)
{
	return v <= 0 ? 0 : v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

/* A row whose parent was skipped (disabled) or deleted between two of our
 * reads is left out; the deletion bumped the generation, so the next poll
 * rebuilds. Anything else stops the load. */
static int row_done(struct load *l, int err, const char *what, int64_t id)
{
	if (err == -ENOENT || err == -ERANGE) {
		l->skipped++;
		LDEBUG("row skipped kind=%s id=%lld err=%d", what, (long long)id, err);
		return 0;
	}
	if (err) {
		l->what = what;
		l->bad_id = id;
	}
	return err;
}

static int on_customer(const struct store_customer *r, void *arg)
{
	struct load *l = arg;
	struct route_customer_prm p = {
		.name = r->name, .credit_limit = r->credit_limit, .balance = r->balance,
		.max_channels = u32_clamp(r->max_channels), .max_cps = u32_clamp(r->max_cps),
		.country = r->country,
	};
	int err;

	if (!r->enabled)
		return row_done(l, -ENOENT, "customer", r->id);
	err = id32(r->id, &p.id);
	if (!err && r->tariff_id)
		err = id32(r->tariff_id, &p.tariff_id);
	if (!err)
		err = route_snap_add_customer(l->b, &p);
	return row_done(l, err, "customer", r->id);
}

static int on_trunk(const struct store_trunk *r, void *arg)
{
	struct load *l = arg;
	struct route_trunk_prm p = {
		.name = r->name, .tech_prefix = r->tech_prefix, .cidrs = r->cidrs,
		.username = r->username, .realm = r->realm, .ha1 = r->ha1,
		.ha1_sha256 = r->ha1_sha256, .max_channels = u32_clamp(r->max_channels),
		.media_relay = !r->media_mode || !strcmp(r->media_mode, "relay"),
	};
	int err;

	if (!r->enabled)
		return row_done(l, -ENOENT, "trunk", r->id);
	err = id32(r->id, &p.id);
	if (!err)
		err = id32(r->customer_id, &p.customer_id);
	if (!err)
		err = route_snap_add_trunk(l->b, &p);
	return row_done(l, err, "trunk", r->id);
}

static int on_trunk_uri(const struct store_trunk_uri *r, void *arg)
{
	struct load *l = arg;
	struct route_trunk_uri_prm p = {
		.uri = r->uri, .priority = u16_clamp(r->priority), .weight = u16_clamp(r->weight),
	};
	int err = id32(r->trunk_id, &p.trunk_id);

	if (!err)
		err = route_snap_add_trunk_uri(l->b, &p);
	return row_done(l, err, "trunk_uri", r->id);
}

static int on_number(const struct store_number *r, void *arg)
{
	struct load *l = arg;
	struct route_number_prm p = { .e164 = r->e164, .country = r->country, .type = r->type };
	struct route_target_prm t = { .e164 = r->e164 };
	uint32_t tid = 0;
	int err;

	if (!r->enabled || !r->customer_id)
		return row_done(l, -ENOENT, "number", r->id);
	err = id32(r->customer_id, &p.customer_id);
	if (!err && r->trunk_id)
		err = id32(r->trunk_id, &tid);
	if (!err)
		err = route_snap_add_number(l->b, &p);
	if (err)
		return row_done(l, err, "number", r->id);

	/* The number's own URI overrides its trunk's delivery (store.h); a
	 * trunk target means the trunk's URIs, which the snapshot holds. */
	if (r->delivery_uri)
		t.uri = r->delivery_uri;
	else if (tid)
		t.trunk_id = tid;
	else
		return 0;     /* held but delivered nowhere: the call layer refuses it */
	return row_done(l, route_snap_add_target(l->b, &t), "number", r->id);
}

/* Store number formats onto route's: "00" is E.164 after the international
 * prefix 00, then strip and prefix as the carrier asks. route strips after
 * formatting, so the 00 is folded into strip/prefix. */
static int carrier_fmt(const struct store_carrier *r, struct route_carrier_prm *p,
		       char *pfx, size_t n)
{
	const char *add = r->add_prefix ? r->add_prefix : "";
	int64_t strip = r->strip_digits;
	int w;

	p->format = ROUTE_FMT_E164;
	p->prefix = r->add_prefix;
	if (!r->number_format || !strcmp(r->number_format, "e164"))
		goto out;
	if (!strcmp(r->number_format, "+e164")) {
		p->format = ROUTE_FMT_E164_PLUS;
		goto out;
	}
	if (strcmp(r->number_format, "00"))
		return -EINVAL;
	if (strip >= 2) {
		strip -= 2;
		goto out;
	}
	w = snprintf(pfx, n, "%s%s", add, strip ? "0" : "00");
	if (w < 0 || (size_t)w >= n)
		return -EINVAL;
	p->prefix = pfx;
	strip = 0;
out:
	if (strip > UINT8_MAX)
		return -EINVAL;
	p->strip = (uint8_t)strip;
	return 0;
}

static int on_carrier(const struct store_carrier *r, void *arg)
{
	struct load *l = arg;
	struct route_carrier_prm p = {
		.name = r->name, .cidrs = r->cidrs, .priority = u32_clamp(r->priority),
		.max_channels = u32_clamp(r->max_channels), .max_cps = u32_clamp(r->max_cps),
		.media_relay = r->media_mode && !strcmp(r->media_mode, "relay"),
	};
	char pfx[64];
	int err;

	if (!r->enabled)
		return row_done(l, -ENOENT, "carrier", r->id);
	err = id32(r->id, &p.id);
	if (!err && carrier_fmt(r, &p, pfx, sizeof(pfx))) {
		LWARN("carrier skipped id=%lld name=%s number_format=%s strip=%lld: not usable",
		      (long long)r->id, r->name, r->number_format ? r->number_format : "",
		      (long long)r->strip_digits);
		err = -ERANGE;
	}
	if (!err)
		err = route_snap_add_carrier(l->b, &p);
	return row_done(l, err, "carrier", r->id);
}

static int on_gateway(const struct store_gateway *r, void *arg)
{
	struct load *l = arg;
	struct route_gateway_prm p = {
		.host = r->host, .port = u16_clamp(r->port), .priority = u16_clamp(r->priority),
		.weight = u16_clamp(r->weight), .transport = ROUTE_TP_UDP,
	};
	int err;

	if (!r->enabled)
		return row_done(l, -ENOENT, "gateway", r->id);
	if (r->transport && !strcmp(r->transport, "tcp"))
		p.transport = ROUTE_TP_TCP;
	else if (r->transport && !strcmp(r->transport, "tls"))
		p.transport = ROUTE_TP_TLS;
	err = id32(r->id, &p.id);
	if (!err)
		err = id32(r->carrier_id, &p.carrier_id);
	if (!err)
		err = route_snap_add_gateway(l->b, &p);
	return row_done(l, err, "gateway", r->id);
}

/* Increments beyond 65535 s cannot be represented in the snapshot. */
static bool inc_ok(const struct store_rate *r)
{
	return r->inc_first >= 1 && r->inc_first <= UINT16_MAX &&
	       r->inc_next >= 1 && r->inc_next <= UINT16_MAX;
}

static int on_rate(const struct store_rate *r, void *arg)
{
	struct load *l = arg;
	struct route_rate_prm p = {
		.prefix = r->prefix, .rate = r->rate, .fee = r->connect_fee,
		.inc_first = (uint16_t)r->inc_first, .inc_next = (uint16_t)r->inc_next,
		.effective_from = r->effective_from / 1000,   /* store: ms, route: s */
	};
	int err = inc_ok(r) ? id32(r->owner_id, &p.carrier_id) : -ERANGE;

	if (!err)
		err = route_snap_add_rate(l->b, &p);
	return row_done(l, err, "rate", r->id);
}

static int on_tariff_rate(const struct store_rate *r, void *arg)
{
	struct load *l = arg;
	struct route_tariff_prm p = {
		.prefix = r->prefix, .price = r->rate, .fee = r->connect_fee,
		.inc_first = (uint16_t)r->inc_first, .inc_next = (uint16_t)r->inc_next,
		.effective_from = r->effective_from / 1000,
	};
	int err = inc_ok(r) ? id32(r->owner_id, &p.tariff_id) : -ERANGE;

	if (!err)
		err = route_snap_add_tariff(l->b, &p);
	return row_done(l, err, "tariff_rate", r->id);
}

int snap_load(struct store *st, struct route_snap **snapp, uint64_t *genp)
{
	struct load l = { 0 };
	struct route_snap *snap = NULL;
	uint64_t gen = 0;
	int err;

	if (!st || !snapp)
		return -EINVAL;
	/* The generation first: a change during the load bumps it past this
	 * value, so the next poll rebuilds what we may have half seen. */
	err = store_generation(st, &gen);
	if (err)
		goto out;
	err = route_snap_builder_alloc(&l.b);
	if (err)
		goto out;
	if ((err = store_foreach_customer(st, 0, on_customer, &l)) ||
	    (err = store_foreach_trunk(st, 0, on_trunk, &l)) ||
	    (err = store_foreach_trunk_uri(st, 0, on_trunk_uri, &l)) ||
	    (err = store_foreach_number(st, 0, on_number, &l)) ||
	    (err = store_foreach_carrier(st, 0, on_carrier, &l)) ||
	    (err = store_foreach_gateway(st, 0, on_gateway, &l)) ||
	    (err = store_load_rates(st, STORE_DECK_CARRIER, on_rate, &l)) ||
	    (err = store_load_rates(st, STORE_DECK_TARIFF, on_tariff_rate, &l)))
		goto out;
	err = route_snap_build(l.b, &snap);
out:
	if (err)
		LERR("snapshot load failed err=%d kind=%s id=%lld store=\"%s\"", err,
		     l.what ? l.what : "-", (long long)l.bad_id, store_errmsg(st));
	else if (l.skipped)
		LINFO("snapshot rows skipped (disabled or unreferenced) n=%u", l.skipped);
	mem_deref(l.b);
	if (!err) {
		*snapp = snap;
		if (genp)
			*genp = gen;
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Reload thread                                                        */
/* ------------------------------------------------------------------ */

struct snap_reloader {
	pthread_t thread;
	pthread_mutex_t mtx;
	pthread_cond_t cond;       /* signalled by stop */
	bool stop;                 /* under mtx */
	struct store *st;          /* owned: the thread's own connection */
	uint64_t gen;              /* store generation of the published snapshot */
	uint32_t interval_ms;
};

static void log_published(uint64_t gen, const struct route_snap *snap, int64_t ms)
{
	struct route_snap_stats s;

	route_snap_stats(snap, &s);
	LINFO("snapshot loaded store_generation=%llu customers=%u trunks=%u carriers=%u "
	      "gateways=%u numbers=%u rates=%u tariff_prefixes=%u bytes=%zu ms=%lld",
	      (unsigned long long)gen, s.customers, s.trunks, s.carriers, s.gateways,
	      s.numbers, s.rates, s.tariff_prefixes, s.bytes, (long long)ms);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int snap_publish_from(struct store *st, uint64_t *genp)
{
	struct route_snap *snap = NULL;
	int64_t t0 = mono_ms();
	uint64_t gen = 0;
	int err = snap_load(st, &snap, &gen);

	if (err)
		return err;
	log_published(gen, snap, mono_ms() - t0);
	route_snap_publish(snap);    /* takes its own reference */
	route_snap_release(snap);
	if (genp)
		*genp = gen;
	return 0;
}

static void *reload_main(void *arg)
{
	struct snap_reloader *r = arg;
	uint64_t failed_gen = 0;

	pthread_mutex_lock(&r->mtx);
	while (!r->stop) {
		struct timespec ts;
		uint64_t gen;
		int err;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += r->interval_ms / 1000;
		ts.tv_nsec += (long)(r->interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cond, &r->mtx, &ts);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->mtx);

		/* Off the hot path: workers keep routing on the old snapshot
		 * while this one is built. */
		err = store_generation(r->st, &gen);
		if (err) {
			LWARN("generation poll failed err=%d store=\"%s\"", err, store_errmsg(r->st));
		}
		else if (gen != r->gen) {
			uint64_t got = 0;

			err = snap_publish_from(r->st, &got);
			if (!err)
				r->gen = got;
			else if (gen != failed_gen)   /* say it once per generation */
				LWARN("snapshot kept: reload failed generation=%llu err=%d",
				      (unsigned long long)gen, err);
			failed_gen = err ? gen : 0;
		}
		pthread_mutex_lock(&r->mtx);
	}
	pthread_mutex_unlock(&r->mtx);
	return NULL;
}

int snap_reloader_start(struct snap_reloader **rp, const char *url, uint64_t gen,
			uint32_t interval_ms)
{
	struct snap_reloader *r;
	pthread_condattr_t ca;
	int err;

	if (!rp || !url || !interval_ms)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->gen = gen;
	r->interval_ms = interval_ms;
	pthread_mutex_init(&r->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	err = store_open(&r->st, url);
	if (err)
		goto out;
	err = -pthread_create(&r->thread, NULL, reload_main, r);
out:
	if (err) {
		store_close(r->st);
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->mtx);
		free(r);
	}
	else {
		*rp = r;
	}
	return err;
}

void snap_reloader_stop(struct snap_reloader *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mtx);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
	pthread_join(r->thread, NULL);
	store_close(r->st);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mtx);
	free(r);
}

/* ------------------------------------------------------------------ */
/* Live counters                                                        */
/* ------------------------------------------------------------------ */

/* Indexed by store row id, which only grows: reserve address space for
 * every id up to the cap and let the kernel back only the pages touched
 * (zero pages read as "up, idle"), so nothing is resized or remapped
 * while workers count. */
static struct route_live *live_map(uint32_t n)
{
	void *p = mmap(NULL, (size_t)n * sizeof(struct route_live), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int call_live_alloc(struct call_live *lv, uint32_t ncustomer, uint32_t ncarrier)
{
	if (!lv || !ncustomer || !ncarrier)
		return -EINVAL;
	memset(lv, 0, sizeof(*lv));
	lv->ncustomer = ncustomer;
	lv->ncarrier = ncarrier;
	lv->customer = live_map(ncustomer);
	lv->carrier = live_map(ncarrier);
	lv->ntrunk = ncustomer;
	lv->trunk = live_map(ncustomer);
	if (!lv->customer || !lv->carrier || !lv->trunk) {
		call_live_free(lv);
		return -ENOMEM;
	}
	lv->state.customer = lv->customer;
	lv->state.ncustomer = ncustomer;
	lv->state.carrier = lv->carrier;
	lv->state.ncarrier = ncarrier;
	lv->state.trunk = lv->trunk;
	lv->state.ntrunk = lv->ntrunk;
	return 0;
}

void call_live_free(struct call_live *lv)
{
	if (!lv)
		return;
	if (lv->customer)
		munmap(lv->customer, (size_t)lv->ncustomer * sizeof(struct route_live));
	if (lv->carrier)
		munmap(lv->carrier, (size_t)lv->ncarrier * sizeof(struct route_live));
	if (lv->trunk)
		munmap(lv->trunk, (size_t)lv->ntrunk * sizeof(struct route_live));
	memset(lv, 0, sizeof(*lv));
}
