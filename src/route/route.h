/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file route.h  Routing: number normalisation, least-cost routing and DID
 *                lookup as pure functions of an immutable snapshot.
 *
 * Nothing here does I/O. A decision is a function of (snapshot, live state,
 * customer, dialled number, time), so it can be computed, explained and
 * tested offline. Money is exact: int64 micro-units (DEC_SCALE per 1.0).
 *
 * Life of the data:
 *   builder (plain C values) --route_snap_build--> immutable snapshot
 *   route_snap_publish(snap)  one atomic swap; old one freed when unused
 *   route_snap_acquire()      a reference for one call; lock-free
 * Errors are 0 or a negative errno value.
 */
#ifndef TL_ROUTE_H
#define TL_ROUTE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core.h"

enum {
	ROUTE_DIGITS_MAX   = 15,  /* E.164: at most 15 digits, also prefixes */
	ROUTE_NUM_MAX      = 40,  /* buffer for a number as text (+, NUL, prefix rules) */
	ROUTE_DIALLED_MAX  = 64,  /* copy of the dialled string kept for explain */
	ROUTE_MAX_ATTEMPTS = 16,  /* attempts (carrier x gateway) in a decision */
	ROUTE_MAX_SKIPPED  = 16,  /* skipped candidates kept with their reason */
	ROUTE_MAX_CAND     = 64,  /* carriers considered per call */
};

/* ------------------------------------------------------------------ */
/* Countries and number normalisation (number.c)                        */
/* ------------------------------------------------------------------ */

enum route_country_flags {
	ROUTE_CF_NANP       = 1 << 0,  /* NXX-NXX-XXXX rules, national = 10 digits */
	ROUTE_CF_NO_LEAD0   = 1 << 1,  /* an NSN never starts with 0 (the trunk prefix) */
};

/** One row of the country table: how people dial in that country. */
struct route_country {
	const char *iso;     /* ISO 3166 alpha-2, "GB" */
	const char *cc;      /* E.164 country calling code, "44" */
	const char *trunk;   /* national trunk prefix: "0", "1" (NANP) or "" */
	const char *intl;    /* international access prefix: "00", "011" */
	uint8_t nsn_min;     /* national significant number length, digits */
	uint8_t nsn_max;
	uint8_t flags;       /* enum route_country_flags */
};

/** Country row by ISO code (case-insensitive), or NULL. */
const struct route_country *route_country_find(const char *iso);

/**
 * Turn a dialled string into E.164 ("+442071234567") as seen from a
 * customer in country home (NULL: only international forms are accepted).
 * Accepts "+CC…", intl access prefix + CC…, trunk prefix + NSN, a bare NSN
 * (NANP and countries without trunk prefix) and, where a trunk prefix "0"
 * is dialled (GB, DE, FR, IN…), bare digits as E.164 without '+'.
 * Returns 0, or -EINVAL with *reason set (the call gets 484) for
 * non-digits, unknown country codes and impossible lengths.
 * cclen (may be NULL) receives the length of the country code.
 */
int route_normalise(const struct route_country *home, const struct pl *in,
		    char *e164, size_t n, size_t *cclen, const char **reason);

/* ------------------------------------------------------------------ */
/* Snapshot builder (snapshot.c)                                        */
/* ------------------------------------------------------------------ */

/** How a carrier wants the called number. */
enum route_numfmt {
	ROUTE_FMT_E164_PLUS = 0,  /* +442071234567 */
	ROUTE_FMT_E164,           /* 442071234567 */
	ROUTE_FMT_NATIONAL,       /* 02071234567 at home, 00442071234567 abroad */
};

enum route_transport { ROUTE_TP_UDP = 0, ROUTE_TP_TCP, ROUTE_TP_TLS };

/* Inputs are plain values; strings are copied; ids are non-zero. */

struct route_customer_prm {
	uint32_t id;
	const char *name;
	int64_t credit_limit;    /* micro: how far below zero the balance may go */
	int64_t balance;         /* micro */
	uint32_t max_channels;   /* 0 = no limit */
	uint32_t max_cps;        /* 0 = no limit */
	const char *country;     /* ISO code for number normalisation, or NULL */
	uint32_t tariff_id;      /* what the customer pays; 0 = none */
};

struct route_trunk_prm {
	uint32_t id;
	uint32_t customer_id;    /* must be added before */
	const char *name;
	const char *tech_prefix; /* stripped from dialled numbers, e.g. "1234#"; NULL = none */
	const char *cidrs;       /* source networks, "192.0.2.0/24,::1/128"; NULL = none */
	const char *username;    /* digest user; NULL = IP authentication only */
	const char *realm;       /* digest realm of ha1 */
	const char *ha1;         /* hex MD5 HA1 (never the password) */
	const char *ha1_sha256;  /* hex SHA-256 HA1 (RFC 8760); NULL = none */
	uint32_t max_channels;   /* 0 = the customer's limit only */
	bool media_relay;        /* media_mode "relay": its calls' media go through us */
};

/** One delivery URI of a trunk (origination), by priority then weight. */
struct route_trunk_uri_prm {
	uint32_t trunk_id;       /* must be added before */
	const char *uri;         /* "sip:pbx@198.51.100.7:5060;transport=tcp" */
	uint16_t priority;       /* lower first */
	uint16_t weight;         /* higher first among equal priority */
};

struct route_carrier_prm {
	uint32_t id;
	const char *name;
	uint32_t priority;        /* lower is preferred when costs are equal */
	uint32_t max_channels;    /* 0 = no limit */
	uint32_t max_cps;         /* new calls per second, 0 = no limit */
	enum route_numfmt format;
	const char *country;      /* home of the carrier, for ROUTE_FMT_NATIONAL */
	uint8_t strip;            /* leading characters removed after formatting */
	const char *prefix;       /* then prepended (e.g. "0049#"); NULL = none */
	const char *cidrs;        /* source networks of its inbound calls; NULL = none */
	bool media_relay;         /* media_mode "relay": its calls' media go through us */
};

struct route_gateway_prm {
	uint32_t id;
	uint32_t carrier_id;      /* must be added before */
	const char *host;
	uint16_t port;            /* 0 = default for the transport */
	enum route_transport transport;
	uint16_t priority;        /* lower first */
	uint16_t weight;          /* higher first among equal priority */
};

/** One row of a carrier's rate deck. */
struct route_rate_prm {
	uint32_t carrier_id;      /* must be added before */
	const char *prefix;       /* digits, 1..15 */
	int64_t rate;             /* micro per minute */
	int64_t fee;              /* micro per connected call */
	uint16_t inc_first;       /* billing: first increment, seconds (60/60, 1/1) */
	uint16_t inc_next;        /* then each next increment */
	int64_t effective_from;   /* unix seconds; the latest one <= now is current */
};

/** One row of a tariff: what customers on tariff_id pay for a prefix. */
struct route_tariff_prm {
	uint32_t tariff_id;
	const char *prefix;
	int64_t price;            /* micro per minute */
	int64_t fee;              /* micro per connected call */
	uint16_t inc_first;
	uint16_t inc_next;
	int64_t effective_from;
};

struct route_number_prm {
	const char *e164;         /* "+442071234567" or without '+' */
	uint32_t customer_id;     /* must be added before */
	const char *country;      /* ISO code, informative */
	const char *type;         /* "geographic", "mobile", "tollfree"…, informative */
};

/** Where calls to a number go: a URI, or a trunk's delivery, by priority. */
struct route_target_prm {
	const char *e164;         /* the number, added before */
	const char *uri;          /* e.g. "sip:pbx@198.51.100.7:5060"; NULL for trunk */
	uint32_t trunk_id;        /* 0 = none */
	uint16_t priority;        /* lower first */
};

struct route_snap_builder;
struct route_snap;

int route_snap_builder_alloc(struct route_snap_builder **bp);
/* Order: customers, then their trunks and numbers, then targets; carriers,
 * then their gateways and rates. Tariff rows may come at any time.
 * -EINVAL bad value, -EEXIST duplicate id, -ENOENT unknown reference. */
int route_snap_add_customer(struct route_snap_builder *b, const struct route_customer_prm *p);
int route_snap_add_trunk(struct route_snap_builder *b, const struct route_trunk_prm *p);
int route_snap_add_carrier(struct route_snap_builder *b, const struct route_carrier_prm *p);
int route_snap_add_gateway(struct route_snap_builder *b, const struct route_gateway_prm *p);
int route_snap_add_rate(struct route_snap_builder *b, const struct route_rate_prm *p);
int route_snap_add_tariff(struct route_snap_builder *b, const struct route_tariff_prm *p);
int route_snap_add_number(struct route_snap_builder *b, const struct route_number_prm *p);
int route_snap_add_target(struct route_snap_builder *b, const struct route_target_prm *p);
/* After the trunk. -EINVAL for an empty URI. */
int route_snap_add_trunk_uri(struct route_snap_builder *b, const struct route_trunk_uri_prm *p);

/**
 * Build the immutable snapshot (refcount 1, owned by the caller). The
 * builder is left empty and may be freed with mem_deref(). Two rate rows
 * with the same carrier, prefix and effective_from: the last added wins.
 */
int route_snap_build(struct route_snap_builder *b, struct route_snap **snapp);

struct route_snap_stats {
	uint32_t customers, trunks, carriers, gateways, numbers;
	uint32_t rate_prefixes;   /* distinct prefixes over all carriers */
	uint32_t rates;           /* rate rows kept */
	uint32_t rate_plans;      /* distinct (carrier, rate, fee, increments, date) */
	uint32_t tariff_prefixes, tariffs;
	size_t bytes;             /* memory held by the snapshot */
	uint64_t generation;      /* set by route_snap_publish (0 = never published) */
};

void route_snap_stats(const struct route_snap *snap, struct route_snap_stats *st);

/* ------------------------------------------------------------------ */
/* Publishing (snapshot.c): RCU-style pointer swap                      */
/* ------------------------------------------------------------------ */

/**
 * Make snap the current snapshot (takes a new reference; NULL clears).
 * The previous one loses the publisher's reference once no reader can
 * still be between loading the pointer and taking its reference, so a
 * call that acquired it keeps it until it releases. Writers serialise on
 * a mutex; may wait a few microseconds for readers in flight.
 */
void route_snap_publish(struct route_snap *snap);
/** A reference to the current snapshot, or NULL. Lock-free; never blocks. */
struct route_snap *route_snap_acquire(void);
/** Drop a reference from route_snap_acquire/route_snap_build. Returns NULL. */
struct route_snap *route_snap_release(struct route_snap *snap);

/* ------------------------------------------------------------------ */
/* Live state: not in the snapshot, read-only for route                 */
/* ------------------------------------------------------------------ */

/**
 * Counters the call layer keeps with atomics (live.c: take before a call
 * is let through, release when it ends). route_decide reads them relaxed:
 * a decision is a best-effort view of a moment; the take is the check
 * that holds.
 */
struct route_live {
	_Atomic uint32_t channels;  /* calls in progress */
	_Atomic uint32_t down;      /* carrier: non-zero while health checks fail */
	_Atomic uint64_t cps;       /* CPS window: unix second << 32 | calls in it */
};

/**
 * Arrays indexed by id (ids are the store's row ids, stable across
 * snapshots, so no remapping on swap). An id at or beyond n has no live
 * data: up, no channels in use. Borrowed; may be NULL.
 */
struct route_state {
	const struct route_live *carrier;
	uint32_t ncarrier;
	const struct route_live *customer;
	uint32_t ncustomer;
	const struct route_live *trunk;     /* read by the call layer only */
	uint32_t ntrunk;
};

/**
 * Take one channel of l when fewer than max are in use (max 0: no limit,
 * always counted). O(1), lock-free: increment first, then check, and undo
 * when over, so two workers racing for the last channel cannot both get
 * it. true = taken (release it with route_live_channel_release), false =
 * at the limit (nothing held). l NULL: true, nothing counted.
 */
bool route_live_channel_take(struct route_live *l, uint32_t max);
void route_live_channel_release(struct route_live *l);
/**
 * Count one new call in l's one-second window of unix second now when
 * fewer than max were counted in it (max 0: no limit, always counted).
 * The second and the count share one 64-bit word changed by compare-
 * exchange: a new second restarts the count without losing a racing
 * increment. true = counted, false = the second is full.
 */
bool route_live_cps_take(struct route_live *l, int64_t now, uint32_t max);
/** Calls counted in l's window of second now (0 when the window is older). */
uint32_t route_live_cps_count(const struct route_live *l, int64_t now);

/** The limits a snapshot holds for one customer or carrier (0 = none). */
struct route_limits {
	uint32_t max_channels;
	uint32_t max_cps;
};
/** Limits of customer / carrier id in snap: 0, or -ENOENT (out zeroed). */
int route_customer_limits(const struct route_snap *snap, uint32_t id, struct route_limits *out);
int route_carrier_limits(const struct route_snap *snap, uint32_t id, struct route_limits *out);

/* ------------------------------------------------------------------ */
/* Decisions (decide.c, lcr.c)                                          */
/* ------------------------------------------------------------------ */

/** A gateway as kept in the snapshot (borrowed from it). */
struct route_gw {
	uint32_t id;
	uint32_t carrier_id;
	const char *host;
	uint16_t port;
	enum route_transport transport;
	uint16_t priority;
	uint16_t weight;
};

/** A current rate of one carrier for a number (route_rates_lookup). */
struct route_rate_hit {
	uint32_t carrier_id;
	uint8_t plen;             /* length of the matched prefix */
	int64_t rate;             /* micro per minute */
	int64_t fee;
	uint16_t inc_first, inc_next;
	int64_t effective_from;
};

enum route_skip {
	ROUTE_SKIP_NO_RATE = 1,   /* carrier has no current rate for the number */
	ROUTE_SKIP_NO_TARIFF,     /* customer's tariff has no price for it */
	ROUTE_SKIP_MARGIN,        /* cost above price */
	ROUTE_SKIP_CAPACITY,      /* carrier at max channels */
	ROUTE_SKIP_CPS,           /* carrier at max calls per second */
	ROUTE_SKIP_DOWN,          /* carrier health checks fail */
	ROUTE_SKIP_NO_GATEWAY,    /* carrier has no gateway */
	ROUTE_SKIP_FORMAT,        /* number does not fit the carrier's rules */
	ROUTE_SKIP_FULL,          /* no attempt slot left */
};

/** Why an attempt has its place. */
enum route_pick {
	ROUTE_PICK_CHEAPEST = 1,  /* lowest cost */
	ROUTE_PICK_COST,          /* next cost up */
	ROUTE_PICK_PRIORITY,      /* same cost as the one before, lower priority */
	ROUTE_PICK_GATEWAY,       /* another gateway of the carrier before */
};

struct route_attempt {
	uint32_t carrier_id;
	const struct route_gw *gw;      /* borrowed from the snapshot */
	enum route_pick pick;
	uint8_t plen;                   /* matched rate prefix length */
	int64_t rate;                   /* carrier rate, micro per minute */
	int64_t fee;                    /* carrier connection fee */
	uint16_t inc_first, inc_next;
	int64_t cost;                   /* ranking cost: one-minute call, micro */
	int64_t price;                  /* customer's one-minute price, micro */
	int64_t margin;                 /* price - cost */
	char number[ROUTE_NUM_MAX];     /* called number as this carrier wants it */
};

struct route_skipped {
	uint32_t carrier_id;
	enum route_skip why;
	uint8_t plen;                   /* 0 when no rate */
	int64_t cost;                   /* one-minute cost when a rate matched */
};

/** The outcome of route_decide: a value, printed as is by explain. */
struct route_decision {
	uint16_t status;                /* 0 = routed; else the SIP status to answer */
	const char *reason;             /* static text: why refused (or "routed") */
	uint32_t retry_after;           /* seconds, for 503; 0 = none */
	uint32_t customer_id;
	int64_t now;
	char dialled[ROUTE_DIALLED_MAX];/* as received (cut when longer) */
	char e164[ROUTE_NUM_MAX];       /* normalised "+…", "" when refused before */
	uint8_t cclen;                  /* country code length in e164 */
	bool has_tariff;
	uint8_t tariff_plen;            /* matched tariff prefix length */
	int64_t price_rate;             /* tariff, micro per minute */
	int64_t price_fee;
	uint16_t price_inc_first, price_inc_next;
	int64_t price;                  /* one-minute price used for the margin */
	uint32_t nattempts;
	struct route_attempt attempt[ROUTE_MAX_ATTEMPTS];
	uint32_t nskipped;
	uint32_t nskipped_lost;         /* skipped candidates not kept (no room) */
	struct route_skipped skipped[ROUTE_MAX_SKIPPED];
};

/**
 * Decide how to route a call of customer_id to the dialled string at unix
 * time now. Fills *d (no allocation). Returns 0 when a decision was made
 * (routed or refused: see d->status), a negative errno on misuse.
 * Pointers in *d borrow from snap: hold the snapshot while using them.
 */
int route_decide(const struct route_snap *snap, const struct route_state *st,
		 uint32_t customer_id, const struct pl *dialled, int64_t now,
		 struct route_decision *d);

/**
 * The current rates of every carrier for an E.164 number (digits, with or
 * without '+'): per carrier, the longest prefix that has a rate with
 * effective_from <= now. Returns how many hits were written (at most n).
 */
size_t route_rates_lookup(const struct route_snap *snap, const struct pl *e164,
			  int64_t now, struct route_rate_hit *hits, size_t n);

/** Cost of a one-minute call with these terms (ranking and margin). */
int64_t route_cost_1min(int64_t rate, int64_t fee, uint16_t inc_first, uint16_t inc_next);

/* ------------------------------------------------------------------ */
/* Origination (did.c)                                                  */
/* ------------------------------------------------------------------ */

struct route_did_target {
	const char *uri;          /* NULL when the trunk's delivery is meant */
	uint32_t trunk_id;
	uint16_t priority;
};

struct route_did {
	const char *e164;         /* "+442071234567" */
	uint32_t customer_id;
	const char *country;      /* "" when not given */
	const char *type;         /* "" when not given */
	const struct route_did_target *target;  /* by priority */
	uint32_t ntargets;
};

/** The number held for an E.164 (with or without '+'), or NULL (404). */
const struct route_did *route_did_lookup(const struct route_snap *snap, const struct pl *e164);

/* ------------------------------------------------------------------ */
/* Sources and trunks (source.c)                                        */
/* ------------------------------------------------------------------ */

/** Who sent a request, by its source address (trunk and carrier CIDRs). */
enum route_src_kind { ROUTE_SRC_NONE = 0, ROUTE_SRC_TRUNK, ROUTE_SRC_CARRIER };

struct route_src {
	enum route_src_kind kind;
	uint32_t id;              /* trunk id or carrier id */
	uint32_t customer_id;     /* the trunk's customer (kind TRUNK) */
	uint8_t plen;             /* length of the matching network prefix */
};

/**
 * The trunk or carrier whose source networks hold addr (port ignored):
 * the longest prefix wins, a trunk before a carrier at equal length.
 * Returns the kind (ROUTE_SRC_NONE when nobody matches: answer 403).
 */
enum route_src_kind route_source_lookup(const struct route_snap *snap, const struct sa *addr,
					struct route_src *out);

struct route_trunk_uri {
	const char *uri;
	uint16_t priority;
	uint16_t weight;
};

/** A trunk as kept in the snapshot; strings are "" when not set. */
struct route_trunk {
	uint32_t id;
	uint32_t customer_id;
	const char *name;
	const char *tech_prefix;
	const char *username, *realm, *ha1;
	const char *ha1_sha256;             /* "" when none */
	uint32_t max_channels;
	bool media_relay;                   /* media_mode "relay" */
	const struct route_trunk_uri *uri;  /* delivery URIs: priority, then weight */
	uint32_t nuris;
};

/** Trunk by id (borrowing from snap), 0 or -ENOENT. */
int route_trunk_get(const struct route_snap *snap, uint32_t id, struct route_trunk *out);
/** Trunk whose digest username is user (first by id), 0 or -ENOENT. */
int route_trunk_by_user(const struct route_snap *snap, const struct pl *user,
			struct route_trunk *out);

/** Trunks with digest credentials in snap: 0 means a source no trunk's
 *  networks hold cannot authenticate at all (answer 403, not 407). */
uint32_t route_snap_cred_trunks(const struct route_snap *snap);
/** Of those, trunks that also have a SHA-256 HA1 (offer SHA-256 only then). */
uint32_t route_snap_sha256_trunks(const struct route_snap *snap);

/** A carrier's media_mode is "relay" (false for an unknown id). */
bool route_carrier_media_relay(const struct route_snap *snap, uint32_t id);

/** Parse "a.b.c.d/len" or "v6/len" (no length: a host); 0 or -EINVAL.
 *  addr gets 16 bytes (IPv4 in the first 4), *af AF_INET or AF_INET6. */
int route_cidr_parse(const struct pl *s, int *af, uint8_t addr[16], uint8_t *plen);

/* ------------------------------------------------------------------ */
/* Rating (rate.c): what an answered call costs, exactly                */
/* ------------------------------------------------------------------ */

/**
 * Rate a call of dur_ms milliseconds under (rate per minute, connection
 * fee, increments): the duration is rounded up to whole seconds, then
 * billed as inc_first seconds and each started inc_next seconds after
 * that; amount = fee + rate * billed / 60, rounded up to a micro-unit.
 * A call of 0 ms bills 0 s and costs nothing (not connected). Returns
 * the amount; *billed_sec (may be NULL) gets the billed seconds.
 */
int64_t route_rate_call(int64_t rate, int64_t fee, uint16_t inc_first, uint16_t inc_next,
			int64_t dur_ms, int64_t *billed_sec);

/* ------------------------------------------------------------------ */
/* Explain (explain.c)                                                  */
/* ------------------------------------------------------------------ */

const char *route_skip_str(enum route_skip why);
const char *route_pick_str(enum route_pick pick);

/**
 * The human table `trunkline route explain` prints. Returns the length
 * written (like snprintf: may exceed n - 1 when cut), or a negative errno.
 */
int route_decision_format(const struct route_decision *d, const struct route_snap *snap,
			  char *buf, size_t n);

#endif /* TL_ROUTE_H */
