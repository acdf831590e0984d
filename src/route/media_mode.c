/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file media_mode.c  Whether a carrier asks for its calls' media to go
 *                     through the relay (trunks say it in route_trunk).
 */
#include "route_int.h"

bool route_carrier_media_relay(const struct route_snap *snap, uint32_t id)
{
	const struct rcarr *c = snap ? snap_carr(snap, id) : NULL;

	return c && c->media_relay;
}
