/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_snap.c  Snapshot builder validation, publication and swap. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "route/fixture.h"

static void test_builder_errors(void **state)
{
	struct route_snap_builder *b = NULL;
	struct route_snap *s = NULL;
	struct route_snap_stats st;

	(void)state;
	assert_int_equal(route_snap_builder_alloc(&b), 0);
	assert_int_equal(route_snap_add_customer(b, &(struct route_customer_prm){ .id = 0 }),
			 -EINVAL);
	assert_int_equal(route_snap_add_customer(b, &(struct route_customer_prm){
		.id = 1, .country = "XX" }), -EINVAL);
	assert_int_equal(route_snap_add_customer(b, &(struct route_customer_prm){ .id = 1 }), 0);
	assert_int_equal(route_snap_add_customer(b, &(struct route_customer_prm){ .id = 1 }),
			 -EEXIST);
	assert_int_equal(route_snap_add_trunk(b, &(struct route_trunk_prm){
		.id = 1, .customer_id = 2 }), -ENOENT);
	assert_int_equal(route_snap_add_rate(b, &(struct route_rate_prm){
		.carrier_id = 1, .prefix = "44", .inc_first = 60, .inc_next = 60 }), -ENOENT);
	assert_int_equal(route_snap_add_carrier(b, &(struct route_carrier_prm){ .id = 1 }), 0);
	assert_int_equal(route_snap_add_rate(b, &(struct route_rate_prm){
		.carrier_id = 1, .prefix = "4a", .inc_first = 60, .inc_next = 60 }), -EINVAL);
	assert_int_equal(route_snap_add_rate(b, &(struct route_rate_prm){
		.carrier_id = 1, .prefix = "1234567890123456", .inc_first = 60, .inc_next = 60 }),
			 -EINVAL);
	assert_int_equal(route_snap_add_rate(b, &(struct route_rate_prm){
		.carrier_id = 1, .prefix = "44", .inc_first = 0, .inc_next = 60 }), -EINVAL);
	assert_int_equal(route_snap_add_rate(b, &(struct route_rate_prm){
		.carrier_id = 1, .prefix = "44", .rate = -1, .inc_first = 1, .inc_next = 1 }),
			 -EINVAL);
	/* same carrier, prefix and date twice: the last added wins */
	assert_int_equal(route_snap_add_rate(b, &(struct route_rate_prm){
		1, "44", M(0.5), 0, 60, 60, T0 }), 0);
	assert_int_equal(route_snap_add_rate(b, &(struct route_rate_prm){
		1, "44", M(0.2), 0, 60, 60, T0 }), 0);
	assert_int_equal(route_snap_add_number(b, &(struct route_number_prm){
		"+4420", 1, NULL, NULL }), 0);
	assert_int_equal(route_snap_add_number(b, &(struct route_number_prm){
		"4420", 1, NULL, NULL }), -EEXIST);
	assert_int_equal(route_snap_add_target(b, &(struct route_target_prm){
		"+4421", "sip:x@y", 0, 1 }), -ENOENT);
	assert_int_equal(route_snap_add_target(b, &(struct route_target_prm){
		"+4420", NULL, 0, 1 }), -EINVAL);
	assert_int_equal(route_snap_build(b, &s), 0);
	mem_deref(b);

	route_snap_stats(s, &st);
	assert_int_equal(st.customers, 1);
	assert_int_equal(st.carriers, 1);
	assert_int_equal(st.rate_prefixes, 1);
	assert_int_equal(st.rates, 1);
	assert_int_equal(st.numbers, 1);
	assert_true(st.bytes > 0);
	struct route_rate_hit h;
	assert_int_equal(route_rates_lookup(s, &PL("+4420"), T0, &h, 1), 1);
	assert_int_equal(h.rate, M(0.2));
	route_snap_release(s);
}

static void test_empty(void **state)
{
	struct route_snap_builder *b = NULL;
	struct route_snap *s = NULL;
	struct route_decision d;

	(void)state;
	assert_int_equal(route_snap_builder_alloc(&b), 0);
	assert_int_equal(route_snap_build(b, &s), 0);
	mem_deref(b);
	assert_int_equal(route_decide(s, NULL, 1, &PL("+442071234567"), T0, &d), 0);
	assert_int_equal(d.status, 403);
	assert_null(route_did_lookup(s, &PL("+442071234567")));
	route_snap_release(s);
	assert_int_equal(route_decide(NULL, NULL, 1, &PL("+442071234567"), T0, &d), 0);
	assert_int_equal(d.status, 503);
}

/* A call that acquired a snapshot keeps it across a swap; the old one is
 * freed when its last holder lets go. */
static void test_swap_keeps_old(void **state)
{
	struct route_snap *s1 = NULL, *s2 = NULL, *held, *cur;
	struct route_snap_stats st;
	size_t blocks = mem_blocks();

	(void)state;
	assert_null(route_snap_acquire());
	assert_int_equal(fixture_build(&s1), 0);
	assert_int_equal(fixture_build(&s2), 0);
	route_snap_publish(s1);
	s1 = route_snap_release(s1);              /* only the publisher holds it now */
	held = route_snap_acquire();
	assert_non_null(held);
	route_snap_stats(held, &st);
	assert_true(st.generation > 0);
	uint64_t gen1 = st.generation;

	route_snap_publish(s2);
	cur = route_snap_acquire();
	assert_ptr_equal(cur, s2);
	assert_ptr_not_equal(held, cur);
	route_snap_stats(cur, &st);
	assert_true(st.generation > gen1);
	/* the old snapshot is intact for its holder */
	assert_int_equal(mem_nrefs(held), 1);
	assert_non_null(route_did_lookup(held, &PL("+442079460000")));
	struct route_decision d;
	assert_int_equal(route_decide(held, NULL, 1, &PL("02071234567"), T0 + 10, &d), 0);
	assert_int_equal(d.status, 0);
	held = route_snap_release(held);          /* freed here */
	cur = route_snap_release(cur);
	route_snap_publish(NULL);
	route_snap_release(s2);
	assert_null(route_snap_acquire());
	assert_int_equal(mem_blocks(), blocks);
}

/* Readers acquire and use snapshots while a writer keeps swapping; under
 * ASan a reader touching a freed snapshot fails the test. */
enum { READERS = 3, SWAPS = 200 };
static _Atomic int stop;
static _Atomic long reads;

static void *reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		struct route_snap *s = route_snap_acquire();
		if (s) {
			const struct route_did *did = route_did_lookup(s, &PL("+442079460000"));
			if (!did || did->customer_id != 1)
				abort();
			atomic_fetch_add(&reads, 1);
		}
		route_snap_release(s);
	}
	return NULL;
}

static void test_concurrent_swap(void **state)
{
	pthread_t th[READERS];
	size_t blocks = mem_blocks();

	(void)state;
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, NULL), 0);
	for (int i = 0; i < SWAPS; i++) {
		struct route_snap *s = NULL;
		assert_int_equal(fixture_build(&s), 0);
		route_snap_publish(s);
		route_snap_release(s);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	route_snap_publish(NULL);
	assert_true(atomic_load(&reads) > 0);
	assert_int_equal(mem_blocks(), blocks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_swap_keeps_old),
		cmocka_unit_test(test_concurrent_swap),
	};
	return cmocka_run_group_tests_name("route_snap", tests, NULL, NULL);
}
