/* SPDX-License-Identifier: GPL-2.0-or-later */
/** @file route_int.h  Internals shared by the files of src/route. */
#ifndef TL_ROUTE_INT_H
#define TL_ROUTE_INT_H

#include "route.h"

/* ------------------------------------------------------------------ */
/* Open-addressing map: uint64 key (0 = empty) -> two uint32 (map.c)    */
/* ------------------------------------------------------------------ */

/* 16 bytes: four slots per cache line, key and value in the same line so
 * a probe that hits costs one miss. */
struct rmap_slot {
	uint64_t key;
	uint32_t a;
	uint32_t b;
};

struct rmap {
	struct rmap_slot *slot;   /* owned */
	uint64_t mask;            /* capacity - 1 (power of two) */
	size_t count;
	uint64_t seed;            /* mixed into every hash: lookups of wire data
				   * cannot aim at a known probe sequence */
};

static inline uint64_t rmap_hash(uint64_t k, uint64_t seed)
{
	/* murmur3 fmix64: full avalanche, a few cycles */
	k ^= seed;
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/** Zeroed memory; large blocks on huge pages. Free with the same size. */
void *big_zalloc(size_t size);
void big_free(void *p, size_t size);

/** Empty map sized for expect keys at load <= 2/3. */
int rmap_init(struct rmap *m, size_t expect, uint64_t seed);
void rmap_reset(struct rmap *m);
const struct rmap_slot *rmap_get(const struct rmap *m, uint64_t key);
/** Find or insert key (grows); 1 inserted (a = b = 0), 0 found, -ENOMEM. */
int rmap_put(struct rmap *m, uint64_t key, struct rmap_slot **sp);
static inline size_t rmap_bytes(const struct rmap *m)
{
	return m->slot ? (size_t)(m->mask + 1) * sizeof(struct rmap_slot) : 0;
}

/* ------------------------------------------------------------------ */
/* Digit keys                                                           */
/* ------------------------------------------------------------------ */

/* Digit i of a string sits in nibble i as (digit + 1): a prefix's key is
 * the full key masked to its length, lengths never collide ("1" != "10")
 * and no key is 0. 15 digits use 60 bits. */
static inline uint64_t key_prefix(uint64_t full, unsigned len)
{
	return len >= 16 ? full : full & ((1ULL << (4 * len)) - 1);
}

/** Pack 1..15 digits; -EINVAL on a non-digit or a bad length. */
int key_pack(const char *s, size_t n, uint64_t *key);
/** Digits of a key into buf (NUL-terminated); returns the length. */
unsigned key_unpack(uint64_t key, char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* Prefix tables: rate decks and tariffs (ptab.c)                       */
/* ------------------------------------------------------------------ */

/* The terms of a rate or tariff row. Rows with equal terms (a deck
 * uploaded at once has few distinct rates) share one plan. */
struct rplan {
	int64_t rate;
	int64_t fee;
	int64_t eff;              /* effective_from, unix seconds */
	uint32_t owner;           /* carrier slot, or tariff id */
	uint16_t inc_first;
	uint16_t inc_next;
};

struct praw {
	uint64_t key;
	uint32_t plan;
	uint32_t pad;
};

struct ptab_builder {
	struct praw *raw;         /* owned, in order of adding */
	size_t nraw, craw;
	struct rplan *plan;       /* owned */
	size_t nplan, cplan;
	struct rmap intern;       /* hash of terms -> plan index + 1 */
};

struct ptab {
	struct rmap map;          /* prefix key -> a: first record, b: records */
	uint32_t *rec;            /* owned: plan index; per key by owner, then
				   * effective_from descending */
	uint32_t nrec;
	size_t rec_bytes;         /* allocated for rec */
	struct rplan *plan;       /* owned */
	uint32_t nplan;
	uint32_t nkeys;
	uint16_t lenmask;         /* bit L: some prefix has L digits */
	uint64_t *bloom;          /* owned: one-word blocked Bloom filter of keys */
	uint64_t bloom_mask;      /* words - 1 */
};

struct phit {
	uint32_t owner;
	uint32_t plan;
	uint8_t plen;
};

int ptab_builder_add(struct ptab_builder *pb, const char *prefix, const struct rplan *terms);
void ptab_builder_reset(struct ptab_builder *pb);
/** Move pb's rows into t (pb is left empty). */
int ptab_build(struct ptab_builder *pb, struct ptab *t, uint64_t seed);
void ptab_reset(struct ptab *t);
size_t ptab_bytes(const struct ptab *t);
/** Longest current prefix per owner, up to max hits; stops early when
 *  nowners owners are found. */
size_t ptab_lookup_all(const struct ptab *t, uint64_t full, unsigned nd, int64_t now,
		       struct phit *hits, size_t max, uint32_t nowners);
/** Longest current prefix of one owner. */
bool ptab_lookup_one(const struct ptab *t, uint64_t full, unsigned nd, int64_t now,
		     uint32_t owner, struct phit *hit);

/* ------------------------------------------------------------------ */
/* The snapshot                                                         */
/* ------------------------------------------------------------------ */

struct rcust {
	uint32_t id;
	const char *name;                   /* borrowed from snap->str */
	int64_t credit_limit;
	int64_t balance;
	uint32_t max_channels;
	uint32_t max_cps;
	const struct route_country *country;/* static table, or NULL */
	uint32_t tariff_id;
	uint32_t trunk_first, ntrunks;
};

struct rtrunk {
	uint32_t id;
	uint32_t cust;                      /* customer slot */
	const char *name;
	const char *tech_prefix;            /* "" = none */
	const char *username, *realm, *ha1; /* "" = none */
	const char *ha1_sha256;             /* "" = none */
	uint32_t max_channels;
	bool media_relay;
	uint32_t uri_first, nuris;          /* in snap->turi */
};

/* A source network of a trunk or a carrier. */
struct rsrc {
	uint8_t addr[16];                   /* network, masked; IPv4 in the first 4 */
	uint8_t af;                         /* 4 or 6 */
	uint8_t plen;
	uint8_t kind;                       /* enum route_src_kind */
	uint32_t id;                        /* trunk or carrier id */
};

/* A trunk URI while building: trunk id kept for the sort. */
struct rturi {
	uint32_t trunk;                     /* trunk id */
	uint32_t seq;
	struct route_trunk_uri u;
};

struct rcarr {
	uint32_t id;
	const char *name;
	uint32_t priority;
	uint32_t max_channels;
	uint32_t max_cps;
	bool media_relay;
	enum route_numfmt format;
	const struct route_country *country;
	uint8_t strip;
	const char *prefix;
	uint32_t gw_first, ngw;
};

struct route_snap {
	struct rcust *cust;      uint32_t ncust;   struct rmap cust_map;  /* id -> slot */
	struct rtrunk *trunk;    uint32_t ntrunk;
	uint32_t ntrunk_cred;                      /* trunks with digest credentials */
	uint32_t ntrunk_sha256;                    /* of those, with a SHA-256 HA1 */
	struct rcarr *carr;      uint32_t ncarr;   struct rmap carr_map;
	struct route_gw *gw;     uint32_t ngw;
	struct rmap trunk_map;                     /* trunk id -> slot */
	struct route_trunk_uri *turi; uint32_t nturi;
	struct rsrc *src;        uint32_t nsrc;    /* longest prefix first */
	struct route_did *did;   uint32_t ndid;    struct rmap did_map;   /* key -> slot */
	struct route_did_target *tgt; uint32_t ntgt;
	struct ptab rates;                         /* owner = carrier slot */
	struct ptab tariffs;                       /* owner = tariff id */
	char *str;               size_t nstr;      /* all strings, owned */
	size_t bytes;
	_Atomic uint64_t generation;
};

const struct rcust *snap_cust(const struct route_snap *s, uint32_t id);
const struct rcarr *snap_carr(const struct route_snap *s, uint32_t id);

/* source.c: parse a CIDR list into rsrc rows appended to *v. */
int src_add_list(const char *list, uint8_t kind, uint32_t id,
		 struct rsrc **v, size_t *n, size_t *cap);
void src_sort(struct rsrc *v, size_t n);

/* number.c */
/** Format an E.164 ("+…") the way carrier c wants it; -ENOSPC / -EINVAL. */
int number_for_carrier(const struct rcarr *c, const char *e164, size_t cclen,
		       char *out, size_t n);

#endif /* TL_ROUTE_INT_H */
