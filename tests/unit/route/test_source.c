/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file test_source.c  Source lookup by CIDR, trunks, delivery URIs, rating. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "route.h"

static struct route_snap *build(void)
{
	struct route_snap_builder *b = NULL;
	struct route_snap *s = NULL;
	int err = route_snap_builder_alloc(&b);

	assert_int_equal(err, 0);
	err |= route_snap_add_customer(b, &(struct route_customer_prm){ .id = 7, .name = "c" });
	err |= route_snap_add_trunk(b, &(struct route_trunk_prm){
		.id = 3, .customer_id = 7, .name = "pbx", .cidrs = "10.1.0.0/16, 192.0.2.9",
		.username = "alice", .realm = "tl", .ha1 = "abc", .max_channels = 4 });
	err |= route_snap_add_trunk(b, &(struct route_trunk_prm){
		.id = 4, .customer_id = 7, .name = "v6", .cidrs = "2001:db8::/32" });
	err |= route_snap_add_carrier(b, &(struct route_carrier_prm){
		.id = 9, .name = "carr", .cidrs = "10.0.0.0/8" });
	err |= route_snap_add_trunk_uri(b, &(struct route_trunk_uri_prm){
		.trunk_id = 3, .uri = "sip:b@h2", .priority = 2 });
	err |= route_snap_add_trunk_uri(b, &(struct route_trunk_uri_prm){
		.trunk_id = 3, .uri = "sip:a@h1", .priority = 1 });
	assert_int_equal(err, 0);
	assert_int_equal(route_snap_add_trunk_uri(b, &(struct route_trunk_uri_prm){
		.trunk_id = 99, .uri = "sip:x" }), -ENOENT);
	assert_int_equal(route_snap_add_trunk(b, &(struct route_trunk_prm){
		.id = 5, .customer_id = 7, .name = "bad", .cidrs = "10.0.0.300/8" }), -EINVAL);
	assert_int_equal(route_snap_build(b, &s), 0);
	mem_deref(b);
	return s;
}

static void test_lookup(void **state)
{
	struct route_snap *s = build();
	struct route_src r;
	struct sa a;

	(void)state;
	sa_set_str(&a, "10.1.2.3", 5060);
	assert_int_equal(route_source_lookup(s, &a, &r), ROUTE_SRC_TRUNK);
	assert_int_equal(r.id, 3);
	assert_int_equal(r.customer_id, 7);
	assert_int_equal(r.plen, 16);
	sa_set_str(&a, "10.2.2.3", 5060);
	assert_int_equal(route_source_lookup(s, &a, &r), ROUTE_SRC_CARRIER);
	assert_int_equal(r.id, 9);
	sa_set_str(&a, "192.0.2.9", 1);
	assert_int_equal(route_source_lookup(s, &a, &r), ROUTE_SRC_TRUNK);
	sa_set_str(&a, "192.0.2.10", 1);
	assert_int_equal(route_source_lookup(s, &a, &r), ROUTE_SRC_NONE);
	sa_set_str(&a, "2001:db8::1", 1);
	assert_int_equal(route_source_lookup(s, &a, &r), ROUTE_SRC_TRUNK);
	assert_int_equal(r.id, 4);
	sa_set_str(&a, "::ffff:10.1.0.1", 1);
	assert_int_equal(route_source_lookup(s, &a, &r), ROUTE_SRC_TRUNK);
	route_snap_release(s);
}

static void test_trunk(void **state)
{
	struct route_snap *s = build();
	struct route_trunk t;

	(void)state;
	assert_int_equal(route_trunk_get(s, 3, &t), 0);
	assert_string_equal(t.username, "alice");
	assert_int_equal(t.max_channels, 4);
	assert_int_equal(t.nuris, 2);
	assert_string_equal(t.uri[0].uri, "sip:a@h1");
	assert_string_equal(t.uri[1].uri, "sip:b@h2");
	assert_int_equal(route_trunk_get(s, 4, &t), 0);
	assert_string_equal(t.username, "");
	assert_int_equal(t.nuris, 0);
	assert_int_equal(route_trunk_get(s, 5, &t), -ENOENT);
	assert_int_equal(route_trunk_by_user(s, &PL("alice"), &t), 0);
	assert_int_equal(t.id, 3);
	assert_int_equal(route_trunk_by_user(s, &PL("bob"), &t), -ENOENT);
	route_snap_release(s);
}

static void test_rate(void **state)
{
	int64_t b;

	(void)state;
	/* 0.012 per minute, 60/60: 61 s bills 120 s */
	assert_int_equal(route_rate_call(12000, 0, 60, 60, 61000, &b), 24000);
	assert_int_equal(b, 120);
	/* 1/1: 61.2 s bills 62 s; 0.01/min * 62 / 60 = 10333.33 -> 10334 */
	assert_int_equal(route_rate_call(10000, 0, 1, 1, 61200, &b), 10334);
	assert_int_equal(b, 62);
	/* 30/6 with a fee: 31 s -> 36 s */
	assert_int_equal(route_rate_call(60000, 500, 30, 6, 31000, &b), 500 + 36000);
	assert_int_equal(b, 36);
	/* a short call still pays the first increment */
	assert_int_equal(route_rate_call(60000, 0, 60, 60, 1, &b), 60000);
	assert_int_equal(b, 60);
	assert_int_equal(route_rate_call(60000, 100, 60, 60, 0, &b), 0);
	assert_int_equal(b, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_trunk),
		cmocka_unit_test(test_rate),
	};
	return cmocka_run_group_tests_name("route_source", tests, NULL, NULL);
}
