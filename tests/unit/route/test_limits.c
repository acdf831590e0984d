/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_limits.c  Live limit counters (channels, CPS windows) and
 *  the skips and refusals route_decide makes with them. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "route/fixture.h"

static void test_channel_take(void **state)
{
	struct route_live l;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_true(route_live_channel_take(&l, 2));
	assert_true(route_live_channel_take(&l, 2));
	assert_false(route_live_channel_take(&l, 2));     /* undone */
	assert_int_equal(atomic_load(&l.channels), 2);
	route_live_channel_release(&l);
	assert_true(route_live_channel_take(&l, 2));
	route_live_channel_release(&l);
	route_live_channel_release(&l);
	route_live_channel_release(&l);                   /* extra: stays at 0 */
	assert_int_equal(atomic_load(&l.channels), 0);
	assert_true(route_live_channel_take(&l, 0));      /* no limit: counted */
	assert_int_equal(atomic_load(&l.channels), 1);
	assert_true(route_live_channel_take(NULL, 1));
	route_live_channel_release(NULL);
}

static void test_cps_window(void **state)
{
	struct route_live l;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(route_live_cps_count(&l, T0), 0);
	for (int i = 0; i < 3; i++)
		assert_true(route_live_cps_take(&l, T0, 3));
	assert_false(route_live_cps_take(&l, T0, 3));
	assert_int_equal(route_live_cps_count(&l, T0), 3);
	/* the next second starts from zero; the old one reads as empty */
	assert_int_equal(route_live_cps_count(&l, T0 + 1), 0);
	assert_true(route_live_cps_take(&l, T0 + 1, 3));
	assert_int_equal(route_live_cps_count(&l, T0 + 1), 1);
	assert_int_equal(route_live_cps_count(&l, T0), 0);
	assert_true(route_live_cps_take(&l, T0 + 1, 0));  /* no limit: counted */
	assert_int_equal(route_live_cps_count(&l, T0 + 1), 2);
}

/* Many threads race for the last channels: never more than max held. */
enum { RACERS = 8, ROUNDS = 20000, MAXCH = 3 };

struct race {
	struct route_live l;
	_Atomic uint32_t held, worst;
};

static void *racer(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < ROUNDS; i++) {
		if (!route_live_channel_take(&r->l, MAXCH))
			continue;
		uint32_t h = atomic_fetch_add(&r->held, 1) + 1, w = atomic_load(&r->worst);
		while (h > w && !atomic_compare_exchange_weak(&r->worst, &w, h))
			;
		atomic_fetch_sub(&r->held, 1);
		route_live_channel_release(&r->l);
	}
	return NULL;
}

static void test_channel_race(void **state)
{
	pthread_t t[RACERS];
	struct race r;

	(void)state;
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer, &r), 0);
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	assert_true(atomic_load(&r.worst) <= MAXCH);
	assert_int_equal(atomic_load(&r.l.channels), 0);
}

struct cps_race {
	struct route_live l;
	_Atomic uint32_t ok;
};

static void *cps_racer(void *arg)
{
	struct cps_race *r = arg;

	for (int i = 0; i < 1000; i++) {
		if (route_live_cps_take(&r->l, T0, 100))
			atomic_fetch_add(&r->ok, 1);
	}
	return NULL;
}

/* Exactly max calls are counted in one second, whoever races. */
static void test_cps_race(void **state)
{
	pthread_t t[RACERS];
	struct cps_race r;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* an old window: the first take of T0 restarts it */
	atomic_store(&r.l.cps, (uint64_t)(T0 - 1) << 32 | 100);
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, cps_racer, &r), 0);
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&r.ok), 100);
	assert_int_equal(route_live_cps_count(&r.l, T0), 100);
}

static const struct route_skipped *skipped(const struct route_decision *d, uint32_t carrier)
{
	for (uint32_t i = 0; i < d->nskipped; i++) {
		if (d->skipped[i].carrier_id == carrier)
			return &d->skipped[i];
	}
	return NULL;
}

/* Two carriers for +44: Cheap (max 1 channel, 2 CPS) and Dear (1 CPS). */
static struct route_snap *cps_world(void)
{
	struct route_snap_builder *b = NULL;
	struct route_snap *s = NULL;
	int err = route_snap_builder_alloc(&b);

	assert_int_equal(err, 0);
	err |= route_snap_add_customer(b, &(struct route_customer_prm){
		.id = 1, .name = "c", .balance = M(10), .max_cps = 2, .country = "GB",
		.tariff_id = 1 });
	err |= route_snap_add_trunk(b, &(struct route_trunk_prm){
		.id = 7, .customer_id = 1, .name = "t", .username = "u", .realm = "r",
		.ha1 = "0123456789abcdef0123456789abcdef",
		.ha1_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		.max_channels = 4 });
	err |= route_snap_add_trunk(b, &(struct route_trunk_prm){
		.id = 8, .customer_id = 1, .name = "t2", .username = "u2", .realm = "r",
		.ha1 = "0123456789abcdef0123456789abcdef" });
	err |= route_snap_add_carrier(b, &(struct route_carrier_prm){
		.id = 1, .name = "Cheap", .priority = 1, .max_channels = 1, .max_cps = 2 });
	err |= route_snap_add_carrier(b, &(struct route_carrier_prm){
		.id = 2, .name = "Dear", .priority = 1, .max_cps = 1 });
	err |= route_snap_add_gateway(b, &(struct route_gateway_prm){
		.id = 1, .carrier_id = 1, .host = "10.0.0.1", .port = 5060 });
	err |= route_snap_add_gateway(b, &(struct route_gateway_prm){
		.id = 2, .carrier_id = 2, .host = "10.0.0.2", .port = 5060 });
	err |= route_snap_add_rate(b, &(struct route_rate_prm){ 1, "44", M(0.001), 0, 60, 60, 0 });
	err |= route_snap_add_rate(b, &(struct route_rate_prm){ 2, "44", M(0.002), 0, 60, 60, 0 });
	err |= route_snap_add_tariff(b, &(struct route_tariff_prm){ 1, "44", M(0.01), 0, 60, 60, 0 });
	assert_int_equal(err, 0);
	assert_int_equal(route_snap_build(b, &s), 0);
	mem_deref(b);
	return s;
}

static void test_decide_carrier_limits(void **state)
{
	struct route_live carriers[3], customers[2];
	struct route_state st = { carriers, 3, customers, 2, NULL, 0 };
	struct route_snap *s = cps_world();
	struct route_decision d;
	struct pl n = PL("02071234567");
	struct route_trunk tr;

	(void)state;
	memset(carriers, 0, sizeof(carriers));
	memset(customers, 0, sizeof(customers));
	assert_int_equal(route_decide(s, &st, 1, &n, T0, &d), 0);
	assert_int_equal(d.status, 0);
	assert_int_equal(d.attempt[0].carrier_id, 1);
	assert_int_equal(d.nattempts, 2);

	/* Cheap's CPS window is full this second: skipped with that reason */
	assert_true(route_live_cps_take(&carriers[1], T0, 2));
	assert_true(route_live_cps_take(&carriers[1], T0, 2));
	assert_int_equal(route_decide(s, &st, 1, &n, T0, &d), 0);
	assert_int_equal(d.status, 0);
	assert_int_equal(d.nattempts, 1);
	assert_int_equal(d.attempt[0].carrier_id, 2);
	assert_int_equal(skipped(&d, 1)->why, ROUTE_SKIP_CPS);
	assert_string_equal(route_skip_str(ROUTE_SKIP_CPS), "carrier at calls-per-second limit");
	/* ... and usable again the next second */
	assert_int_equal(route_decide(s, &st, 1, &n, T0 + 1, &d), 0);
	assert_int_equal(d.attempt[0].carrier_id, 1);

	/* Cheap at its channel: skipped as at capacity */
	assert_true(route_live_channel_take(&carriers[1], 1));
	assert_int_equal(route_decide(s, &st, 1, &n, T0 + 1, &d), 0);
	assert_int_equal(d.attempt[0].carrier_id, 2);
	assert_int_equal(skipped(&d, 1)->why, ROUTE_SKIP_CAPACITY);

	/* Dear down too: 503; Retry-After 5 as a channel must end first */
	atomic_store(&carriers[2].down, 1);
	assert_int_equal(route_decide(s, &st, 1, &n, T0 + 1, &d), 0);
	assert_int_equal(d.status, 503);
	assert_int_equal(d.retry_after, 5);
	/* only CPS windows full: the next second helps, Retry-After 1 */
	atomic_store(&carriers[2].down, 0);
	route_live_channel_release(&carriers[1]);
	assert_true(route_live_cps_take(&carriers[1], T0 + 1, 2));
	assert_true(route_live_cps_take(&carriers[1], T0 + 1, 2));
	atomic_store(&carriers[2].cps, (uint64_t)(T0 + 1) << 32 | 1);
	assert_int_equal(route_decide(s, &st, 1, &n, T0 + 1, &d), 0);
	assert_int_equal(d.status, 503);
	assert_int_equal(d.retry_after, 1);
	assert_int_equal(skipped(&d, 2)->why, ROUTE_SKIP_CPS);

	/* customer CPS: 2 per second */
	assert_true(route_live_cps_take(&customers[1], T0 + 5, 2));
	assert_true(route_live_cps_take(&customers[1], T0 + 5, 2));
	assert_int_equal(route_decide(s, &st, 1, &n, T0 + 5, &d), 0);
	assert_int_equal(d.status, 503);
	assert_int_equal(d.retry_after, 1);
	assert_string_equal(d.reason, "customer at its calls-per-second limit");
	/* a state without customer counters: the caller took them itself */
	st.customer = NULL;
	assert_int_equal(route_decide(s, &st, 1, &n, T0 + 5, &d), 0);
	assert_int_equal(d.status, 0);

	/* trunks carry both HA1s and their channel limit */
	assert_int_equal(route_trunk_get(s, 7, &tr), 0);
	assert_int_equal(strlen(tr.ha1_sha256), 64);
	assert_int_equal(tr.max_channels, 4);
	assert_int_equal(route_trunk_get(s, 8, &tr), 0);
	assert_string_equal(tr.ha1_sha256, "");
	assert_int_equal(route_snap_cred_trunks(s), 2);
	assert_int_equal(route_snap_sha256_trunks(s), 1);
	route_snap_release(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_channel_take),
		cmocka_unit_test(test_cps_window),
		cmocka_unit_test(test_channel_race),
		cmocka_unit_test(test_cps_race),
		cmocka_unit_test(test_decide_carrier_limits),
	};
	return cmocka_run_group_tests_name("route_limits", tests, NULL, NULL);
}
