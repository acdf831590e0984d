/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file snapshot.c  Snapshot builder, the immutable snapshot, and its
 *                   publication (RCU-style pointer swap).
 *
 * The builder collects rows as plain values: entity arrays are already
 * the snapshot's arrays, with string fields holding offsets into one
 * string arena until route_snap_build() turns them into pointers. Build
 * moves the arrays into the snapshot instead of copying them.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "route_int.h"

#define LOG_MOD "route"

struct rtgt {
	uint32_t did;                 /* number slot */
	uint32_t seq;                 /* order of adding, for a stable sort */
	struct route_did_target t;
};

struct route_snap_builder {
	struct rcust *cust;     size_t ncust, ccust;    struct rmap cust_map;
	struct rtrunk *trunk;   size_t ntrunk, ctrunk;  struct rmap trunk_map;
	struct rcarr *carr;     size_t ncarr, ccarr;    struct rmap carr_map;
	struct route_gw *gw;    size_t ngw, cgw;        struct rmap gw_map;
	struct route_did *did;  size_t ndid, cdid;      struct rmap did_map;
	struct rtgt *tgt;       size_t ntgt, ctgt;
	struct rturi *turi;     size_t nturi, cturi;
	struct rsrc *src;       size_t nsrc, csrc;
	struct ptab_builder rates, tariffs;
	char *str;              size_t nstr, cstr;
	uint64_t seed;
};

/* ------------------------------------------------------------------ */
/* Builder                                                              */
/* ------------------------------------------------------------------ */

static void builder_destroy(void *arg)
{
	struct route_snap_builder *b = arg;

	free(b->cust);
	free(b->trunk);
	free(b->carr);
	free(b->gw);
	free(b->did);
	free(b->tgt);
	free(b->turi);
	free(b->src);
	free(b->str);
	rmap_reset(&b->cust_map);
	rmap_reset(&b->trunk_map);
	rmap_reset(&b->carr_map);
	rmap_reset(&b->gw_map);
	rmap_reset(&b->did_map);
	ptab_builder_reset(&b->rates);
	ptab_builder_reset(&b->tariffs);
}

int route_snap_builder_alloc(struct route_snap_builder **bp)
{
	struct route_snap_builder *b;
	uint64_t seed;

	if (!bp)
		return -EINVAL;
	b = mem_zalloc(sizeof(*b), builder_destroy);
	if (!b)
		return -ENOMEM;
	seed = (uint64_t)rand_u32() << 32 | rand_u32();
	b->seed = seed;
	b->cust_map.seed = b->trunk_map.seed = b->carr_map.seed = seed;
	b->gw_map.seed = b->did_map.seed = b->rates.intern.seed = seed;
	b->tariffs.intern.seed = seed;
	*bp = b;
	return 0;
}

static int reserve(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap * 2 : 16;
	void *p;

	if (need <= *cap)
		return 0;
	if (need > UINT32_MAX)
		return -ENOMEM;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

/* Copy s into the arena; returns its offset as a pointer-sized token,
 * turned into a real pointer by fix() at build. Offset 0 is "". */
static int intern_str(struct route_snap_builder *b, const char *s, const char **tok)
{
	size_t l = s ? strlen(s) : 0;

	if (!b->nstr) {
		if (reserve((void **)&b->str, &b->cstr, 1, 1))
			return -ENOMEM;
		b->str[b->nstr++] = '\0';
	}
	if (!l) {
		*tok = (const char *)(uintptr_t)0;
		return 0;
	}
	if (reserve((void **)&b->str, &b->cstr, b->nstr + l + 1, 1))
		return -ENOMEM;
	memcpy(b->str + b->nstr, s, l + 1);
	*tok = (const char *)(uintptr_t)b->nstr;
	b->nstr += l + 1;
	return 0;
}

static void fix(const char **tok, const char *base)
{
	*tok = base + (uintptr_t)*tok;
}

/* Claim a fresh id in a map; the slot's a is set to the new index. */
static int claim_id(struct rmap *m, uint32_t id, size_t idx)
{
	struct rmap_slot *s;
	int r;

	if (!id)
		return -EINVAL;
	r = rmap_put(m, id, &s);
	if (r < 0)
		return r;
	if (r == 0)
		return -EEXIST;
	s->a = (uint32_t)idx;
	return 0;
}

static int slot_of(const struct rmap *m, uint32_t id, uint32_t *slot)
{
	const struct rmap_slot *s = id ? rmap_get(m, id) : NULL;

	if (!s)
		return -ENOENT;
	*slot = s->a;
	return 0;
}

int route_snap_add_customer(struct route_snap_builder *b, const struct route_customer_prm *p)
{
	struct rcust c = { 0 };
	int err;

	if (!b || !p)
		return -EINVAL;
	if (p->country && p->country[0] && !(c.country = route_country_find(p->country)))
		return -EINVAL;
	if (reserve((void **)&b->cust, &b->ccust, b->ncust + 1, sizeof(c)))
		return -ENOMEM;
	if ((err = intern_str(b, p->name, &c.name)))
		return err;
	if ((err = claim_id(&b->cust_map, p->id, b->ncust)))
		return err;
	c.id = p->id;
	c.credit_limit = p->credit_limit;
	c.balance = p->balance;
	c.max_channels = p->max_channels;
	c.max_cps = p->max_cps;
	c.tariff_id = p->tariff_id;
	b->cust[b->ncust++] = c;
	return 0;
}

int route_snap_add_trunk(struct route_snap_builder *b, const struct route_trunk_prm *p)
{
	struct rtrunk t = { 0 };
	int err;

	if (!b || !p)
		return -EINVAL;
	if ((err = slot_of(&b->cust_map, p->customer_id, &t.cust)))
		return err;
	if (reserve((void **)&b->trunk, &b->ctrunk, b->ntrunk + 1, sizeof(t)))
		return -ENOMEM;
	if ((err = intern_str(b, p->name, &t.name)) ||
	    (err = intern_str(b, p->tech_prefix, &t.tech_prefix)) ||
	    (err = intern_str(b, p->username, &t.username)) ||
	    (err = intern_str(b, p->realm, &t.realm)) ||
	    (err = intern_str(b, p->ha1, &t.ha1)) ||
	    (err = intern_str(b, p->ha1_sha256, &t.ha1_sha256)))
		return err;
	if (p->id && rmap_get(&b->trunk_map, p->id))
		return -EEXIST;
	if ((err = src_add_list(p->cidrs, ROUTE_SRC_TRUNK, p->id, &b->src, &b->nsrc, &b->csrc)))
		return err;
	if ((err = claim_id(&b->trunk_map, p->id, b->ntrunk)))
		return err;
	t.id = p->id;
	t.max_channels = p->max_channels;
	t.media_relay = p->media_relay;
	b->trunk[b->ntrunk++] = t;
	return 0;
}

int route_snap_add_carrier(struct route_snap_builder *b, const struct route_carrier_prm *p)
{
	struct rcarr c = { 0 };
	int err;

	if (!b || !p || p->format > ROUTE_FMT_NATIONAL)
		return -EINVAL;
	if (p->country && p->country[0] && !(c.country = route_country_find(p->country)))
		return -EINVAL;
	if (reserve((void **)&b->carr, &b->ccarr, b->ncarr + 1, sizeof(c)))
		return -ENOMEM;
	if ((err = intern_str(b, p->name, &c.name)) ||
	    (err = intern_str(b, p->prefix, &c.prefix)))
		return err;
	if (p->id && rmap_get(&b->carr_map, p->id))
		return -EEXIST;
	if ((err = src_add_list(p->cidrs, ROUTE_SRC_CARRIER, p->id, &b->src, &b->nsrc, &b->csrc)))
		return err;
	if ((err = claim_id(&b->carr_map, p->id, b->ncarr)))
		return err;
	c.id = p->id;
	c.priority = p->priority;
	c.max_channels = p->max_channels;
	c.max_cps = p->max_cps;
	c.media_relay = p->media_relay;
	c.format = p->format;
	c.strip = p->strip;
	b->carr[b->ncarr++] = c;
	return 0;
}

int route_snap_add_gateway(struct route_snap_builder *b, const struct route_gateway_prm *p)
{
	struct route_gw g = { 0 };
	uint32_t cs;
	int err;

	if (!b || !p || !p->host || !p->host[0] || p->transport > ROUTE_TP_TLS)
		return -EINVAL;
	if ((err = slot_of(&b->carr_map, p->carrier_id, &cs)))
		return err;
	if (reserve((void **)&b->gw, &b->cgw, b->ngw + 1, sizeof(g)))
		return -ENOMEM;
	if ((err = intern_str(b, p->host, &g.host)))
		return err;
	if ((err = claim_id(&b->gw_map, p->id, b->ngw)))
		return err;
	g.id = p->id;
	g.carrier_id = p->carrier_id;
	g.port = p->port;
	g.transport = p->transport;
	g.priority = p->priority;
	g.weight = p->weight;
	b->gw[b->ngw++] = g;
	return 0;
}

static int terms_ok(int64_t rate, int64_t fee, uint16_t inc_first, uint16_t inc_next)
{
	/* a minute at the highest rate must not overflow int64 later */
	if (rate < 0 || fee < 0 || rate > INT64_MAX / 4096 || fee > INT64_MAX / 4)
		return -EINVAL;
	if (!inc_first || !inc_next)
		return -EINVAL;
	return 0;
}

int route_snap_add_rate(struct route_snap_builder *b, const struct route_rate_prm *p)
{
	struct rplan t;
	uint32_t cs;
	int err;

	if (!b || !p || terms_ok(p->rate, p->fee, p->inc_first, p->inc_next))
		return -EINVAL;
	if ((err = slot_of(&b->carr_map, p->carrier_id, &cs)))
		return err;
	t = (struct rplan){ p->rate, p->fee, p->effective_from, cs, p->inc_first, p->inc_next };
	return ptab_builder_add(&b->rates, p->prefix, &t);
}

int route_snap_add_tariff(struct route_snap_builder *b, const struct route_tariff_prm *p)
{
	struct rplan t;

	if (!b || !p || !p->tariff_id || terms_ok(p->price, p->fee, p->inc_first, p->inc_next))
		return -EINVAL;
	t = (struct rplan){ p->price, p->fee, p->effective_from, p->tariff_id,
			    p->inc_first, p->inc_next };
	return ptab_builder_add(&b->tariffs, p->prefix, &t);
}

/* "+442071234567" or "442071234567" -> packed key */
static int e164_key(const char *s, size_t l, uint64_t *key)
{
	if (l && s[0] == '+') {
		s++;
		l--;
	}
	return key_pack(s, l, key);
}

int route_snap_add_number(struct route_snap_builder *b, const struct route_number_prm *p)
{
	struct route_did d = { 0 };
	char e[ROUTE_DIGITS_MAX + 2];
	struct rmap_slot *s;
	uint64_t key;
	uint32_t cs;
	int err, r;

	if (!b || !p || !p->e164 || e164_key(p->e164, strlen(p->e164), &key))
		return -EINVAL;
	if ((err = slot_of(&b->cust_map, p->customer_id, &cs)))
		return err;
	if (reserve((void **)&b->did, &b->cdid, b->ndid + 1, sizeof(d)))
		return -ENOMEM;
	e[0] = '+';
	key_unpack(key, e + 1, sizeof(e) - 1);
	if ((err = intern_str(b, e, &d.e164)) || (err = intern_str(b, p->country, &d.country)) ||
	    (err = intern_str(b, p->type, &d.type)))
		return err;
	r = rmap_put(&b->did_map, key, &s);
	if (r < 0)
		return r;
	if (r == 0)
		return -EEXIST;
	s->a = (uint32_t)b->ndid;
	d.customer_id = p->customer_id;
	b->did[b->ndid++] = d;
	return 0;
}

int route_snap_add_target(struct route_snap_builder *b, const struct route_target_prm *p)
{
	struct rtgt t = { 0 };
	const struct rmap_slot *s;
	uint64_t key;
	uint32_t ts;
	int err;

	if (!b || !p || !p->e164 || e164_key(p->e164, strlen(p->e164), &key))
		return -EINVAL;
	if (!(p->uri && p->uri[0]) && !p->trunk_id)
		return -EINVAL;
	if (!(s = rmap_get(&b->did_map, key)))
		return -ENOENT;
	if (p->trunk_id && (err = slot_of(&b->trunk_map, p->trunk_id, &ts)))
		return err;
	if (reserve((void **)&b->tgt, &b->ctgt, b->ntgt + 1, sizeof(t)))
		return -ENOMEM;
	if ((err = intern_str(b, p->uri, &t.t.uri)))
		return err;
	t.did = s->a;
	t.seq = (uint32_t)b->ntgt;
	t.t.trunk_id = p->trunk_id;
	t.t.priority = p->priority;
	b->tgt[b->ntgt++] = t;
	return 0;
}

int route_snap_add_trunk_uri(struct route_snap_builder *b, const struct route_trunk_uri_prm *p)
{
	struct rturi u = { 0 };
	uint32_t ts;
	int err;

	if (!b || !p || !p->uri || !p->uri[0])
		return -EINVAL;
	if ((err = slot_of(&b->trunk_map, p->trunk_id, &ts)))
		return err;
	if (reserve((void **)&b->turi, &b->cturi, b->nturi + 1, sizeof(u)))
		return -ENOMEM;
	if ((err = intern_str(b, p->uri, &u.u.uri)))
		return err;
	u.trunk = p->trunk_id;
	u.seq = (uint32_t)b->nturi;
	u.u.priority = p->priority;
	u.u.weight = p->weight;
	b->turi[b->nturi++] = u;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Build                                                                */
/* ------------------------------------------------------------------ */

static void snap_destroy(void *arg)
{
	struct route_snap *s = arg;

	free(s->cust);
	free(s->trunk);
	free(s->carr);
	free(s->gw);
	free(s->did);
	free(s->tgt);
	free(s->turi);
	free(s->src);
	free(s->str);
	rmap_reset(&s->cust_map);
	rmap_reset(&s->trunk_map);
	rmap_reset(&s->carr_map);
	rmap_reset(&s->did_map);
	ptab_reset(&s->rates);
	ptab_reset(&s->tariffs);
}

static int trunk_cmp(const void *x, const void *y)
{
	const struct rtrunk *a = x, *b = y;

	if (a->cust != b->cust)
		return a->cust < b->cust ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* gateways of a carrier together; then priority, heavier weight, id */
static int gw_cmp(const void *x, const void *y, void *carr_map)
{
	const struct route_gw *a = x, *b = y;
	uint32_t ca = rmap_get(carr_map, a->carrier_id)->a;
	uint32_t cb = rmap_get(carr_map, b->carrier_id)->a;

	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int turi_cmp(const void *x, const void *y)
{
	const struct rturi *a = x, *b = y;

	if (a->trunk != b->trunk)
		return a->trunk < b->trunk ? -1 : 1;
	if (a->u.priority != b->u.priority)
		return a->u.priority < b->u.priority ? -1 : 1;
	if (a->u.weight != b->u.weight)
		return a->u.weight > b->u.weight ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int tgt_cmp(const void *x, const void *y)
{
	const struct rtgt *a = x, *b = y;

	if (a->did != b->did)
		return a->did < b->did ? -1 : 1;
	if (a->t.priority != b->t.priority)
		return a->t.priority < b->t.priority ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int route_snap_build(struct route_snap_builder *b, struct route_snap **snapp)
{
	struct route_snap *s;
	const char *base;
	int err = 0;

	if (!b || !snapp)
		return -EINVAL;
	s = mem_zalloc(sizeof(*s), snap_destroy);
	if (!s)
		return -ENOMEM;
	if (!b->nstr && (err = intern_str(b, NULL, &base)))
		goto out;

	/* everything that can fail comes before the strings move below */
	if (b->ntgt && !(s->tgt = calloc(b->ntgt, sizeof(*s->tgt)))) {
		err = -ENOMEM;
		goto out;
	}
	if (b->nturi && !(s->turi = calloc(b->nturi, sizeof(*s->turi)))) {
		err = -ENOMEM;
		goto out;
	}
	if ((err = rmap_init(&s->trunk_map, b->ntrunk, b->seed)))
		goto out;
	if ((err = ptab_build(&b->rates, &s->rates, b->seed)) ||
	    (err = ptab_build(&b->tariffs, &s->tariffs, b->seed)))
		goto out;

	/* strings: arrays below hold offsets until here */
	s->str = b->str;
	s->nstr = b->nstr;
	b->str = NULL;
	b->nstr = b->cstr = 0;
	base = s->str;

	if (b->ntrunk)
		qsort(b->trunk, b->ntrunk, sizeof(*b->trunk), trunk_cmp);
	for (size_t i = 0; i < b->ntrunk; i++) {
		struct rmap_slot *ms;

		fix(&b->trunk[i].name, base);
		fix(&b->trunk[i].tech_prefix, base);
		fix(&b->trunk[i].username, base);
		fix(&b->trunk[i].realm, base);
		fix(&b->trunk[i].ha1, base);
		fix(&b->trunk[i].ha1_sha256, base);
		if (b->trunk[i].username[0])
			s->ntrunk_cred++;
		if (b->trunk[i].username[0] && b->trunk[i].ha1_sha256[0])
			s->ntrunk_sha256++;
		/* ids were checked unique when added; the map was sized for
		 * them, so this insert does not grow it */
		if ((err = rmap_put(&s->trunk_map, b->trunk[i].id, &ms)) < 0)
			goto out;
		err = 0;
		ms->a = (uint32_t)i;
	}
	if (b->nturi)
		qsort(b->turi, b->nturi, sizeof(*b->turi), turi_cmp);
	for (size_t i = 0; i < b->nturi; i++) {
		struct rtrunk *t = &b->trunk[rmap_get(&s->trunk_map, b->turi[i].trunk)->a];

		s->turi[i] = b->turi[i].u;
		fix(&s->turi[i].uri, base);
		if (!t->nuris++)
			t->uri_first = (uint32_t)i;
	}
	s->nturi = (uint32_t)b->nturi;
	src_sort(b->src, b->nsrc);
	for (size_t i = 0; i < b->ncust; i++)
		fix(&b->cust[i].name, base);
	for (size_t i = 0; i < b->ntrunk; i++) {
		struct rcust *c = &b->cust[b->trunk[i].cust];
		if (!c->ntrunks++)
			c->trunk_first = (uint32_t)i;
	}

	if (b->ngw)
		qsort_r(b->gw, b->ngw, sizeof(*b->gw), gw_cmp, &b->carr_map);
	for (size_t i = 0; i < b->ncarr; i++) {
		fix(&b->carr[i].name, base);
		fix(&b->carr[i].prefix, base);
	}
	for (size_t i = 0; i < b->ngw; i++) {
		struct rcarr *c = &b->carr[rmap_get(&b->carr_map, b->gw[i].carrier_id)->a];
		fix(&b->gw[i].host, base);
		if (!c->ngw++)
			c->gw_first = (uint32_t)i;
	}

	if (b->ntgt)
		qsort(b->tgt, b->ntgt, sizeof(*b->tgt), tgt_cmp);
	for (size_t i = 0; i < b->ndid; i++) {
		fix(&b->did[i].e164, base);
		fix(&b->did[i].country, base);
		fix(&b->did[i].type, base);
	}
	for (size_t i = 0; i < b->ntgt; i++) {
		struct route_did *d = &b->did[b->tgt[i].did];
		s->tgt[i] = b->tgt[i].t;
		/* a target without URI means "the trunk's delivery" */
		s->tgt[i].uri = (uintptr_t)s->tgt[i].uri ? base + (uintptr_t)s->tgt[i].uri : NULL;
		if (!d->ntargets++)
			d->target = &s->tgt[i];
	}
	s->ntgt = (uint32_t)b->ntgt;

	/* move the arrays */
	s->cust = b->cust;   s->ncust = (uint32_t)b->ncust;   s->cust_map = b->cust_map;
	s->trunk = b->trunk; s->ntrunk = (uint32_t)b->ntrunk;
	s->carr = b->carr;   s->ncarr = (uint32_t)b->ncarr;   s->carr_map = b->carr_map;
	s->gw = b->gw;       s->ngw = (uint32_t)b->ngw;
	s->did = b->did;     s->ndid = (uint32_t)b->ndid;     s->did_map = b->did_map;
	b->cust = NULL;  b->ncust = b->ccust = 0;  memset(&b->cust_map, 0, sizeof(b->cust_map));
	b->trunk = NULL; b->ntrunk = b->ctrunk = 0;
	b->carr = NULL;  b->ncarr = b->ccarr = 0;  memset(&b->carr_map, 0, sizeof(b->carr_map));
	b->gw = NULL;    b->ngw = b->cgw = 0;
	b->did = NULL;   b->ndid = b->cdid = 0;    memset(&b->did_map, 0, sizeof(b->did_map));
	free(b->tgt);
	b->tgt = NULL;
	b->ntgt = b->ctgt = 0;
	free(b->turi);
	b->turi = NULL;
	b->nturi = b->cturi = 0;
	s->src = b->src;     s->nsrc = (uint32_t)b->nsrc;
	b->src = NULL;   b->nsrc = b->csrc = 0;
	rmap_reset(&b->trunk_map);
	rmap_reset(&b->gw_map);

	s->bytes = sizeof(*s) + s->ncust * sizeof(*s->cust) + rmap_bytes(&s->cust_map) +
		   s->ntrunk * sizeof(*s->trunk) + s->ncarr * sizeof(*s->carr) +
		   rmap_bytes(&s->carr_map) + s->ngw * sizeof(*s->gw) +
		   s->ndid * sizeof(*s->did) + rmap_bytes(&s->did_map) +
		   s->ntgt * sizeof(*s->tgt) + s->nturi * sizeof(*s->turi) +
		   rmap_bytes(&s->trunk_map) + s->nsrc * sizeof(*s->src) + ptab_bytes(&s->rates) +
		   ptab_bytes(&s->tariffs) + s->nstr;
	LINFO("snapshot built customers=%u carriers=%u prefixes=%u rates=%u tariffs=%u "
	      "numbers=%u bytes=%zu", s->ncust, s->ncarr, s->rates.nkeys, s->rates.nrec,
	      s->tariffs.nrec, s->ndid, s->bytes);
 out:
	if (err) {
		LERR("snapshot build failed err=%d", err);
		mem_deref(s);
		return err;
	}
	*snapp = s;
	return 0;
}

void route_snap_stats(const struct route_snap *s, struct route_snap_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!s)
		return;
	st->customers = s->ncust;
	st->trunks = s->ntrunk;
	st->carriers = s->ncarr;
	st->gateways = s->ngw;
	st->numbers = s->ndid;
	st->rate_prefixes = s->rates.nkeys;
	st->rates = s->rates.nrec;
	st->rate_plans = s->rates.nplan;
	st->tariff_prefixes = s->tariffs.nkeys;
	st->tariffs = s->tariffs.nrec;
	st->bytes = s->bytes;
	st->generation = atomic_load(&s->generation);
}

const struct rcust *snap_cust(const struct route_snap *s, uint32_t id)
{
	const struct rmap_slot *m = id ? rmap_get(&s->cust_map, id) : NULL;
	return m ? &s->cust[m->a] : NULL;
}

const struct rcarr *snap_carr(const struct route_snap *s, uint32_t id)
{
	const struct rmap_slot *m = id ? rmap_get(&s->carr_map, id) : NULL;
	return m ? &s->carr[m->a] : NULL;
}

/* ------------------------------------------------------------------ */
/* Publication                                                          */
/* ------------------------------------------------------------------ */

/*
 * Readers must never take a reference on a snapshot that is being freed:
 * between loading `current` and mem_ref() a publisher could swap and drop
 * the last reference. Two reader counters, one per parity of an epoch
 * number, close that window (a two-slot quiescent-state scheme, as in
 * userspace RCU's "flip" or Linux SRCU):
 *
 *   reader:    e = epoch; active[e&1]++; if epoch != e: undo, retry
 *              p = current; mem_ref(p); active[e&1]--
 *   publisher: (mutex) old = exchange(current, new); epoch++;
 *              wait until active[old_epoch&1] == 0; mem_deref(old)
 *
 * Why it is safe (all operations seq_cst): a reader that loads `old` did
 * so before the exchange, so its re-check of epoch came before the
 * publisher's increment and its counter increment is in active[e&1], which
 * the publisher drains before dropping old. A reader registered under the
 * new epoch re-checked epoch after the increment, hence after the
 * exchange, so it loads the new pointer. A reader that saw the epoch move
 * between its load and its increment retries, so no reader counts against
 * a parity nobody waits for. Readers never wait (lock-free: a retry means
 * a publisher made progress); a publisher waits only for readers inside
 * the few instructions between increment and decrement, and new readers
 * go to the other counter, so it cannot starve.
 */
static struct {
	_Atomic(struct route_snap *) current;
	_Atomic uint64_t epoch;
	_Atomic uint64_t active[2];
	_Atomic uint64_t generation;
	pthread_mutex_t lock;
} rcu = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct route_snap *route_snap_acquire(void)
{
	struct route_snap *p;
	uint64_t e;

	for (;;) {
		e = atomic_load(&rcu.epoch);
		atomic_fetch_add(&rcu.active[e & 1], 1);
		if (atomic_load(&rcu.epoch) == e)
			break;
		atomic_fetch_sub(&rcu.active[e & 1], 1);
	}
	p = mem_ref(atomic_load(&rcu.current));
	atomic_fetch_sub(&rcu.active[e & 1], 1);
	return p;
}

void route_snap_publish(struct route_snap *snap)
{
	struct route_snap *old;
	uint64_t e;

	pthread_mutex_lock(&rcu.lock);
	if (snap) {
		uint64_t zero = 0;
		mem_ref(snap);
		atomic_compare_exchange_strong(&snap->generation, &zero,
					       atomic_fetch_add(&rcu.generation, 1) + 1);
	}
	old = atomic_exchange(&rcu.current, snap);
	e = atomic_fetch_add(&rcu.epoch, 1);
	while (atomic_load(&rcu.active[e & 1]))
		sched_yield();
	pthread_mutex_unlock(&rcu.lock);
	if (snap)
		LINFO("snapshot published generation=%llu",
		      (unsigned long long)atomic_load(&snap->generation));
	mem_deref(old);
}

struct route_snap *route_snap_release(struct route_snap *snap)
{
	return mem_deref(snap);
}
