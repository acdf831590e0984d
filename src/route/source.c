/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file source.c  Who sent a request: trunk and carrier source networks
 *                 (CIDR), and trunks with their credentials and delivery.
 *
 * The networks are few (a handful per trunk or carrier), kept sorted by
 * prefix length, longest first, so the first match is the best one. A
 * linear scan of a few hundred 24-byte rows is a few cache lines per
 * INVITE; a per-length hash would follow if thousands of trunks appear.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "route_int.h"

int route_cidr_parse(const struct pl *in, int *af, uint8_t addr[16], uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct pl s;
	const char *slash;
	size_t alen;
	uint32_t len;
	int fam;

	if (!in || !in->p)
		return -EINVAL;
	s = pl_trim(*in);
	if (!s.l || s.l >= sizeof(buf))
		return -EINVAL;
	slash = pl_chr(&s, '/');
	alen = slash ? (size_t)(slash - s.p) : s.l;
	memcpy(buf, s.p, alen);
	buf[alen] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		fam = AF_INET6;
	else
		return -EINVAL;
	len = fam == AF_INET ? 32 : 128;
	if (slash) {
		struct pl l = pl_from(slash + 1, s.l - alen - 1);
		if (pl_u32(&l, &len) || len > (fam == AF_INET ? 32u : 128u))
			return -EINVAL;
	}
	/* keep the network only: "10.1.2.3/8" means 10.0.0.0/8 */
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		if (bits < 8)
			addr[i] &= (uint8_t)(0xff00u >> bits);
	}
	*af = fam;
	*plen = (uint8_t)len;
	return 0;
}

int src_add_list(const char *list, uint8_t kind, uint32_t id,
		 struct rsrc **v, size_t *n, size_t *cap)
{
	const char *p = list;

	while (p && *p) {
		size_t l;
		struct rsrc r = { 0 };
		int af;

		p += strspn(p, ", \t");
		l = strcspn(p, ", \t");
		if (!l)
			break;
		if (route_cidr_parse(&(struct pl){ p, l }, &af, r.addr, &r.plen))
			return -EINVAL;
		r.af = af == AF_INET ? 4 : 6;
		r.kind = kind;
		r.id = id;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			struct rsrc *nv = realloc(*v, nc * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			*v = nv;
			*cap = nc;
		}
		(*v)[(*n)++] = r;
		p += l;
	}
	return 0;
}

static int src_cmp(const void *x, const void *y)
{
	const struct rsrc *a = x, *b = y;

	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;   /* trunk before carrier */
	return a->id < b->id ? -1 : a->id > b->id;
}

void src_sort(struct rsrc *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), src_cmp);
}

static bool src_match(const struct rsrc *r, const uint8_t *a)
{
	unsigned full = r->plen / 8, rest = r->plen % 8;

	if (memcmp(r->addr, a, full))
		return false;
	return !rest || !((r->addr[full] ^ a[full]) & (uint8_t)(0xff00u >> rest));
}

static const struct rtrunk *trunk_slot(const struct route_snap *s, uint32_t id)
{
	const struct rmap_slot *m = id && s->trunk_map.slot ? rmap_get(&s->trunk_map, id) : NULL;
	return m ? &s->trunk[m->a] : NULL;
}

enum route_src_kind route_source_lookup(const struct route_snap *snap, const struct sa *sa,
					struct route_src *out)
{
	uint8_t a[16] = { 0 };
	uint8_t af;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!snap || !sa)
		return ROUTE_SRC_NONE;
	if (sa->u.sa.sa_family == AF_INET) {
		memcpy(a, &sa->u.in.sin_addr, 4);
		af = 4;
	} else if (sa->u.sa.sa_family == AF_INET6) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		memcpy(a, &sa->u.in6.sin6_addr, 16);
		af = 6;
		/* a v4-mapped source (dual-stack socket) is the IPv4 address */
		if (!memcmp(a, mapped, 12)) {
			memmove(a, a + 12, 4);
			memset(a + 4, 0, 12);
			af = 4;
		}
	} else {
		return ROUTE_SRC_NONE;
	}
	for (uint32_t i = 0; i < snap->nsrc; i++) {
		const struct rsrc *r = &snap->src[i];

		if (r->af != af || !src_match(r, a))
			continue;
		if (out) {
			const struct rtrunk *t = r->kind == ROUTE_SRC_TRUNK ? trunk_slot(snap, r->id) : NULL;

			out->kind = r->kind;
			out->id = r->id;
			out->plen = r->plen;
			out->customer_id = t ? snap->cust[t->cust].id : 0;
		}
		return (enum route_src_kind)r->kind;
	}
	return ROUTE_SRC_NONE;
}

static void trunk_fill(const struct route_snap *s, const struct rtrunk *t, struct route_trunk *o)
{
	o->id = t->id;
	o->customer_id = s->cust[t->cust].id;
	o->name = t->name;
	o->tech_prefix = t->tech_prefix;
	o->username = t->username;
	o->realm = t->realm;
	o->ha1 = t->ha1;
	o->ha1_sha256 = t->ha1_sha256;
	o->max_channels = t->max_channels;
	o->media_relay = t->media_relay;
	o->uri = t->nuris ? &s->turi[t->uri_first] : NULL;
	o->nuris = t->nuris;
}

int route_trunk_get(const struct route_snap *snap, uint32_t id, struct route_trunk *out)
{
	const struct rtrunk *t = snap ? trunk_slot(snap, id) : NULL;

	if (!t || !out)
		return -ENOENT;
	trunk_fill(snap, t, out);
	return 0;
}

uint32_t route_snap_cred_trunks(const struct route_snap *snap)
{
	return snap ? snap->ntrunk_cred : 0;
}

uint32_t route_snap_sha256_trunks(const struct route_snap *snap)
{
	return snap ? snap->ntrunk_sha256 : 0;
}

int route_trunk_by_user(const struct route_snap *snap, const struct pl *user,
			struct route_trunk *out)
{
	const struct rtrunk *best = NULL;

	if (!snap || !user || !user->p || !out)
		return -ENOENT;
	for (uint32_t i = 0; i < snap->ntrunk; i++) {
		const struct rtrunk *t = &snap->trunk[i];

		if (t->username[0] && pl_eq_str(user, t->username) && (!best || t->id < best->id))
			best = t;
	}
	if (!best)
		return -ENOENT;
	trunk_fill(snap, best, out);
	return 0;
}
