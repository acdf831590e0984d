/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file seed.c  Demo provisioning for `make run` (README.md describes it). */
#include <errno.h>
#include <string.h>
#include "store_int.h"

#define LOG_MOD "store"

/* Decimal literal to micro-units; the literals below are all valid. */
static int64_t money(const char *s)
{
	int64_t v = 0;

	if (NEVER(dec_parse(&(struct pl){ s, strlen(s) }, &v)))
		return 0;
	return v;
}

struct demo_rate {
	int carrier;              /* index into carriers, -1 = the tariff */
	const char *prefix, *rate;
	int64_t inc_first, inc_next;
};

static const struct demo_rate demo_rates[] = {
	{ 0, "44", "0.0100", 60, 60 },
	{ 0, "447", "0.0300", 60, 60 },
	{ 0, "1", "0.0050", 60, 60 },
	{ 1, "44", "0.0120", 1, 1 },
	{ 1, "447", "0.0280", 1, 1 },
	{ 1, "1", "0.0040", 6, 6 },
	{ -1, "44", "0.0200", 60, 60 },
	{ -1, "447", "0.0600", 60, 60 },
	{ -1, "1", "0.0100", 60, 60 },
};

static int seed(struct store *st)
{
	struct store_tariff tariff = { .name = "demo-retail", .currency = "GBP" };
	struct store_customer cust = {
		.name = "demo", .country = "GB", .credit_limit = money("100"),
		.balance = money("50"), .max_channels = 10, .max_cps = 5, .enabled = true,
	};
	struct store_trunk trunk = {
		.name = "demo-pbx", .cidrs = "127.0.0.1/32", .media_mode = "relay",
		.enabled = true,
	};
	struct store_trunk_uri uri = { .uri = "sip:127.0.0.1:5080", .weight = 1 };
	struct store_carrier carriers[2] = {
		{ .name = "carrier-a", .cidrs = "127.0.0.2/32", .priority = 1,
		  .number_format = "e164", .enabled = true },
		{ .name = "carrier-b", .cidrs = "127.0.0.3/32", .priority = 2,
		  .number_format = "+e164", .enabled = true },
	};
	struct store_gateway gws[2] = {
		{ .host = "127.0.0.1", .port = 5070, .transport = "udp", .weight = 1, .enabled = true },
		{ .host = "127.0.0.1", .port = 5072, .transport = "udp", .weight = 1, .enabled = true },
	};
	struct store_number did = {
		.e164 = "442071234567", .country = "GB", .type = "geographic", .enabled = true,
	};
	int err;

	err = store_tariff_add(st, &tariff);
	cust.tariff_id = tariff.id;
	if (!err)
		err = store_customer_add(st, &cust);
	trunk.customer_id = cust.id;
	if (!err)
		err = store_trunk_add(st, &trunk);
	uri.trunk_id = trunk.id;
	if (!err)
		err = store_trunk_uri_add(st, &uri);
	for (size_t i = 0; i < ARRAY_SIZE(carriers) && !err; i++) {
		err = store_carrier_add(st, &carriers[i]);
		gws[i].carrier_id = carriers[i].id;
		if (!err)
			err = store_gateway_add(st, &gws[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(demo_rates) && !err; i++) {
		const struct demo_rate *d = &demo_rates[i];
		struct store_rate r = {
			.owner_id = d->carrier < 0 ? tariff.id : carriers[d->carrier].id,
			.prefix = (char *)(uintptr_t)d->prefix, .rate = money(d->rate),
			.inc_first = d->inc_first, .inc_next = d->inc_next,
		};

		err = store_rate_add(st, d->carrier < 0 ? STORE_DECK_TARIFF : STORE_DECK_CARRIER, &r);
	}
	did.customer_id = cust.id;
	did.trunk_id = trunk.id;
	if (!err)
		err = store_number_add(st, &did);
	return err;
}

int store_seed_demo(struct store *st)
{
	struct store_customer c = { 0 };
	char msg[STORE_ERRMSG_MAX];
	int err;

	if (!st)
		return -EINVAL;
	err = st->be->begin(st);
	if (err)
		return err;
	err = store_customer_find(st, "demo", &c);
	store_customer_reset(&c);
	if (!err) {
		st->be->exec(st, "COMMIT");
		return 0;         /* already provisioned */
	}
	err = err == -ENOENT ? seed(st) : err;
	if (err) {
		memcpy(msg, st->errmsg, sizeof(msg));
		st->be->exec(st, "ROLLBACK");
		LERR("seed=demo err=%d msg=\"%s\"", err, msg);
		return store_err(st, err, "demo seed: %s", msg);
	}
	err = st->be->exec(st, "COMMIT");
	if (!err)
		LINFO("seed=demo msg=\"customer demo, carriers carrier-a/carrier-b, DID 442071234567\"");
	return err;
}
