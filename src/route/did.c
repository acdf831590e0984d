/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file did.c  Origination: which customer holds a number, where calls go. */
#include "route_int.h"

const struct route_did *route_did_lookup(const struct route_snap *snap, const struct pl *e164)
{
	const struct rmap_slot *s;
	struct pl x;
	uint64_t key;

	if (!snap || !e164 || !e164->p)
		return NULL;
	x = *e164;
	if (x.l && x.p[0] == '+') {
		x.p++;
		x.l--;
	}
	if (key_pack(x.p, x.l, &key))
		return NULL;
	s = rmap_get(&snap->did_map, key);
	return s ? &snap->did[s->a] : NULL;
}
