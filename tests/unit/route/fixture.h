/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file fixture.h  A small routing world shared by the route tests. */
#ifndef TL_TEST_ROUTE_FIXTURE_H
#define TL_TEST_ROUTE_FIXTURE_H

#include "route.h"

#define M(x) ((int64_t)((x) * 1000000.0 + 0.5))  /* test literals only */

enum { T0 = 1700000000, DAY = 86400 };

/* Customers: 1 Acme (GB, tech prefix 1234#, tariff 10), 2 Yank (US,
 * tariff 10), 3 Broke (no credit), 4 Loose (GB, no tariff).
 * Carriers: 1 Alpha prio 10, 2 Bravo prio 5, 3 Charlie prio 1 (national
 * format, GB), 4 Delta (no gateway). */
static inline int fixture_build(struct route_snap **sp)
{
	struct route_snap_builder *b = NULL;
	int err = route_snap_builder_alloc(&b);

	if (err)
		return err;
	err |= route_snap_add_customer(b, &(struct route_customer_prm){
		.id = 1, .name = "Acme", .balance = M(100), .max_channels = 10,
		.max_cps = 5, .country = "GB", .tariff_id = 10 });
	err |= route_snap_add_customer(b, &(struct route_customer_prm){
		.id = 2, .name = "Yank", .balance = M(5), .country = "US", .tariff_id = 10 });
	err |= route_snap_add_customer(b, &(struct route_customer_prm){
		.id = 3, .name = "Broke", .balance = -M(10), .credit_limit = M(5),
		.country = "GB", .tariff_id = 10 });
	err |= route_snap_add_customer(b, &(struct route_customer_prm){
		.id = 4, .name = "Loose", .balance = M(1), .country = "GB" });
	err |= route_snap_add_trunk(b, &(struct route_trunk_prm){
		.id = 1, .customer_id = 1, .name = "acme-pbx", .tech_prefix = "1234#" });

	err |= route_snap_add_carrier(b, &(struct route_carrier_prm){
		.id = 1, .name = "Alpha", .priority = 10, .max_channels = 100 });
	err |= route_snap_add_carrier(b, &(struct route_carrier_prm){
		.id = 2, .name = "Bravo", .priority = 5, .format = ROUTE_FMT_E164 });
	err |= route_snap_add_carrier(b, &(struct route_carrier_prm){
		.id = 3, .name = "Charlie", .priority = 1, .format = ROUTE_FMT_NATIONAL,
		.country = "GB", .prefix = "9#" });
	err |= route_snap_add_carrier(b, &(struct route_carrier_prm){
		.id = 4, .name = "Delta", .priority = 1 });
	err |= route_snap_add_gateway(b, &(struct route_gateway_prm){
		.id = 12, .carrier_id = 1, .host = "10.0.0.2", .port = 5060, .priority = 2 });
	err |= route_snap_add_gateway(b, &(struct route_gateway_prm){
		.id = 11, .carrier_id = 1, .host = "10.0.0.1", .port = 5060, .priority = 1 });
	err |= route_snap_add_gateway(b, &(struct route_gateway_prm){
		.id = 21, .carrier_id = 2, .host = "bravo.example", .port = 5061,
		.transport = ROUTE_TP_TLS });
	err |= route_snap_add_gateway(b, &(struct route_gateway_prm){
		.id = 31, .carrier_id = 3, .host = "10.0.3.1", .port = 5060 });

#define RATE(c, p, r, f, i1, i2, e) \
	err |= route_snap_add_rate(b, &(struct route_rate_prm){ c, p, r, f, i1, i2, e })
	RATE(1, "44",   M(0.02),  0, 60, 60, T0 - DAY);
	RATE(1, "4420", M(0.005), 0, 60, 60, T0 - DAY);
	RATE(1, "1212", M(0.003), 0, 6, 6, T0 - DAY);
	RATE(2, "442",  M(0.005), 0, 60, 60, T0 - DAY);
	RATE(2, "4416", M(0.002), 0, 60, 60, T0 + DAY);           /* future */
	RATE(3, "44",   M(0.009), 0, 1, 1, T0 - DAY);             /* old */
	RATE(3, "44",   M(0.004), 0, 1, 1, T0);                   /* current */
	RATE(3, "44",   M(0.001), 0, 1, 1, T0 + DAY);             /* future */
	RATE(3, "4420", M(0.03),  0, 1, 1, T0 - DAY);             /* above price */
	RATE(4, "44",   M(0.001), 0, 60, 60, T0 - DAY);
#undef RATE
	err |= route_snap_add_tariff(b, &(struct route_tariff_prm){
		10, "44", M(0.01), 0, 60, 60, T0 - DAY });
	err |= route_snap_add_tariff(b, &(struct route_tariff_prm){
		10, "1", M(0.01), 0, 60, 60, T0 - DAY });
	err |= route_snap_add_tariff(b, &(struct route_tariff_prm){
		10, "447", M(0.003), 0, 60, 60, T0 - DAY });

	err |= route_snap_add_number(b, &(struct route_number_prm){
		"+442079460000", 1, "GB", "geographic" });
	err |= route_snap_add_target(b, &(struct route_target_prm){
		"+442079460000", "sip:pbx@192.0.2.10", 0, 20 });
	err |= route_snap_add_target(b, &(struct route_target_prm){
		"442079460000", NULL, 1, 10 });
	if (!err)
		err = route_snap_build(b, sp);
	mem_deref(b);
	return err;
}

#endif
