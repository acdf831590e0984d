/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_lcr.c  Least-cost routing: ordering, longest prefix, dates,
 *  margin, capacity and health, refusals, DID lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "route/fixture.h"

static struct route_snap *snap;

static int setup(void **state)
{
	(void)state;
	return fixture_build(&snap);
}

static int teardown(void **state)
{
	(void)state;
	snap = route_snap_release(snap);
	return 0;
}

static struct route_decision dec;

static const struct route_decision *decide(const struct route_state *st, uint32_t cust,
					   const char *num, int64_t now)
{
	struct pl n = pl_cstr(num);

	memset(&dec, 0xa5, sizeof(dec));   /* decide must not rely on a zeroed struct */
	assert_int_equal(route_decide(snap, st, cust, &n, now, &dec), 0);
	return &dec;
}

static const struct route_skipped *skipped(const struct route_decision *d, uint32_t carrier)
{
	for (uint32_t i = 0; i < d->nskipped; i++) {
		if (d->skipped[i].carrier_id == carrier)
			return &d->skipped[i];
	}
	return NULL;
}

/* Cheapest first; equal cost -> lower priority number; every gateway of a
 * carrier in its order; longest prefix per carrier. */
static void test_order(void **state)
{
	const struct route_decision *d = decide(NULL, 1, "1234#02071234567", T0 + 10);

	(void)state;
	assert_int_equal(d->status, 0);
	assert_string_equal(d->e164, "+442071234567");
	assert_true(d->has_tariff);
	assert_int_equal(d->price, M(0.01));
	assert_int_equal(d->nattempts, 3);
	/* Bravo (442, 0.005, prio 5) before Alpha (4420, 0.005, prio 10) */
	assert_int_equal(d->attempt[0].carrier_id, 2);
	assert_int_equal(d->attempt[0].gw->id, 21);
	assert_int_equal(d->attempt[0].pick, ROUTE_PICK_CHEAPEST);
	assert_int_equal(d->attempt[0].plen, 3);
	assert_string_equal(d->attempt[0].number, "442071234567");
	assert_int_equal(d->attempt[1].carrier_id, 1);
	assert_int_equal(d->attempt[1].gw->id, 11);
	assert_int_equal(d->attempt[1].pick, ROUTE_PICK_PRIORITY);
	assert_int_equal(d->attempt[1].plen, 4);       /* 4420 beats 44 */
	assert_int_equal(d->attempt[1].rate, M(0.005));
	assert_string_equal(d->attempt[1].number, "+442071234567");
	assert_int_equal(d->attempt[2].gw->id, 12);
	assert_int_equal(d->attempt[2].pick, ROUTE_PICK_GATEWAY);
	assert_int_equal(d->attempt[0].margin, M(0.005));
	/* Charlie's longest prefix 4420 costs more than the price, even
	 * though its 44 would be cheap: the longest prefix wins */
	assert_non_null(skipped(d, 3));
	assert_int_equal(skipped(d, 3)->why, ROUTE_SKIP_MARGIN);
	assert_int_equal(skipped(d, 3)->plen, 4);
	assert_int_equal(skipped(d, 4)->why, ROUTE_SKIP_NO_GATEWAY);
}

/* Latest past rate used; a future rate is not; a prefix with only future
 * rows falls back to the carrier's shorter prefixes. */
static void test_dates(void **state)
{
	const struct route_decision *d;
	struct route_rate_hit hits[8];
	size_t n;

	(void)state;
	d = decide(NULL, 1, "01611234567", T0 + 10);
	assert_int_equal(d->status, 0);
	assert_int_equal(d->nattempts, 1);
	assert_int_equal(d->attempt[0].carrier_id, 3);
	assert_int_equal(d->attempt[0].rate, M(0.004));   /* not 0.009 (old) nor 0.001 */
	assert_string_equal(d->attempt[0].number, "9#01611234567");  /* national + prefix */
	assert_int_equal(skipped(d, 1)->why, ROUTE_SKIP_MARGIN);    /* Alpha 44: 0.02 */
	assert_int_equal(skipped(d, 2)->why, ROUTE_SKIP_NO_RATE);   /* 4416 not yet */

	d = decide(NULL, 1, "01611234567", T0 + DAY);
	assert_int_equal(d->attempt[0].carrier_id, 3);
	assert_int_equal(d->attempt[0].rate, M(0.001));
	assert_int_equal(d->attempt[1].carrier_id, 2);            /* 4416 from now on */
	assert_int_equal(d->attempt[1].rate, M(0.002));

	d = decide(NULL, 1, "01611234567", T0 - 10);
	assert_int_equal(d->attempt[0].carrier_id, 3);
	assert_int_equal(d->attempt[0].rate, M(0.009));

	/* before any of Charlie's dates: no rate at all for Charlie */
	n = route_rates_lookup(snap, &PL("+441611234567"), T0 - 2 * DAY, hits, 8);
	assert_int_equal(n, 0);
	n = route_rates_lookup(snap, &PL("441611234567"), T0 + 10, hits, 8);
	assert_int_equal(n, 3);  /* Alpha 44, Charlie 44, Delta 44 */
}

static void test_margin_and_cost(void **state)
{
	(void)state;
	/* increments count: 0.006/min billed 90/30 is 0.009 for a minute */
	assert_int_equal(route_cost_1min(M(0.006), 0, 90, 30), M(0.009));
	assert_int_equal(route_cost_1min(M(0.006), 0, 1, 1), M(0.006));
	assert_int_equal(route_cost_1min(M(0.006), 0, 30, 7), M(0.0065));  /* 30+35 s */
	assert_int_equal(route_cost_1min(M(0.006), M(0.01), 60, 60), M(0.016));
	/* rounding is up: a cost is never under-estimated */
	assert_int_equal(route_cost_1min(1, 0, 1, 1), 1);
}

static void test_capacity_health(void **state)
{
	struct route_live carriers[5], customers[5];
	struct route_state st = { .carrier = carriers, .ncarrier = 5, .customer = customers,
				  .ncustomer = 5 };
	const struct route_decision *d;

	(void)state;
	memset(carriers, 0, sizeof(carriers));
	memset(customers, 0, sizeof(customers));
	atomic_store(&carriers[2].down, 1);
	d = decide(&st, 1, "02071234567", T0 + 10);
	assert_int_equal(d->status, 0);
	assert_int_equal(d->attempt[0].carrier_id, 1);
	assert_int_equal(d->attempt[0].pick, ROUTE_PICK_CHEAPEST);
	assert_int_equal(skipped(d, 2)->why, ROUTE_SKIP_DOWN);

	atomic_store(&carriers[1].channels, 100);
	d = decide(&st, 1, "02071234567", T0 + 10);
	assert_int_equal(d->status, 503);
	assert_int_equal(d->retry_after, 5);
	assert_int_equal(d->nattempts, 0);
	assert_int_equal(skipped(d, 1)->why, ROUTE_SKIP_CAPACITY);
	assert_int_equal(skipped(d, 2)->why, ROUTE_SKIP_DOWN);

	memset(carriers, 0, sizeof(carriers));
	atomic_store(&customers[1].channels, 10);
	d = decide(&st, 1, "02071234567", T0 + 10);
	assert_int_equal(d->status, 503);
	assert_string_equal(d->reason, "customer at its channel limit");
	atomic_store(&customers[1].channels, 0);
	/* the CPS window is (second << 32 | count) */
	atomic_store(&customers[1].cps, (uint64_t)(T0 + 10) << 32 | 5);
	d = decide(&st, 1, "02071234567", T0 + 10);
	assert_int_equal(d->status, 503);
	assert_int_equal(d->retry_after, 1);
	d = decide(&st, 1, "02071234567", T0 + 11);        /* a new second */
	assert_int_equal(d->status, 0);
	atomic_store(&customers[1].cps, (uint64_t)(T0 + 10) << 32 | 4);
	d = decide(&st, 1, "02071234567", T0 + 10);
	assert_int_equal(d->status, 0);
}

static void test_refusals(void **state)
{
	const struct route_decision *d;

	(void)state;
	d = decide(NULL, 99, "02071234567", T0);
	assert_int_equal(d->status, 403);
	assert_string_equal(d->reason, "unknown customer");
	d = decide(NULL, 1, "1234#0207", T0);
	assert_int_equal(d->status, 484);
	d = decide(NULL, 1, "12#02071234567", T0);        /* not its tech prefix */
	assert_int_equal(d->status, 484);
	d = decide(NULL, 3, "02071234567", T0);
	assert_int_equal(d->status, 402);
	d = decide(NULL, 4, "02071234567", T0 + 10);      /* no tariff */
	assert_int_equal(d->status, 403);
	assert_int_equal(skipped(d, 1)->why, ROUTE_SKIP_NO_TARIFF);
	d = decide(NULL, 1, "+33123456789", T0 + 10);    /* nobody rates France */
	assert_int_equal(d->status, 404);
	assert_int_equal(d->nskipped, 4);
	assert_int_equal(skipped(d, 2)->why, ROUTE_SKIP_NO_RATE);
	/* NANP customer, 6/6 increments, Alpha only */
	d = decide(NULL, 2, "2125551234", T0 + 10);
	assert_int_equal(d->status, 0);
	assert_string_equal(d->e164, "+12125551234");
	assert_int_equal(d->attempt[0].carrier_id, 1);
	assert_int_equal(d->attempt[0].cost, M(0.003));
	/* every candidate above the price (447: 0.003) or unusable -> 480 */
	d = decide(NULL, 1, "07700900123", T0 + 10);
	assert_int_equal(d->status, 480);
	assert_int_equal(d->price, M(0.003));
	assert_int_equal(skipped(d, 1)->why, ROUTE_SKIP_MARGIN);
	assert_int_equal(skipped(d, 3)->why, ROUTE_SKIP_MARGIN);
	assert_int_equal(skipped(d, 4)->why, ROUTE_SKIP_NO_GATEWAY);
	assert_int_equal(route_decide(snap, NULL, 1, NULL, T0, &dec), -22);
}

static void test_did(void **state)
{
	const struct route_did *did;

	(void)state;
	did = route_did_lookup(snap, &PL("+442079460000"));
	assert_non_null(did);
	assert_int_equal(did->customer_id, 1);
	assert_string_equal(did->e164, "+442079460000");
	assert_string_equal(did->country, "GB");
	assert_string_equal(did->type, "geographic");
	assert_int_equal(did->ntargets, 2);
	assert_null(did->target[0].uri);                 /* priority 10: trunk 1 */
	assert_int_equal(did->target[0].trunk_id, 1);
	assert_string_equal(did->target[1].uri, "sip:pbx@192.0.2.10");
	assert_ptr_equal(route_did_lookup(snap, &PL("442079460000")), did);
	assert_null(route_did_lookup(snap, &PL("+442079460001")));
	assert_null(route_did_lookup(snap, &PL("+44207946000x")));
	assert_null(route_did_lookup(snap, &PL("")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_margin_and_cost),
		cmocka_unit_test(test_capacity_health),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_did),
	};
	return cmocka_run_group_tests_name("route_lcr", tests, setup, teardown);
}
