/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file store.h  Trunkline store: provisioning (customers, trunks, carriers,
 *                rate decks, tariffs, numbers) and CDRs in a SQL database.
 *
 * SQLite by default (one file in WAL mode, created and migrated on first
 * open). The SQL sits behind a backend table (store_int.h), so another
 * backend (PostgreSQL) can follow without touching callers. The store
 * knows SQL, not SIP.
 *
 * Conventions:
 * - Errors are 0 or a negative errno. Constraint failures are distinct:
 *   -EEXIST a duplicate (unique key), -ENOENT a missing row or a reference
 *   to a missing row, -EBUSY a row that others still reference, -EINVAL a
 *   value a CHECK constraint refuses. store_errmsg() then names the field
 *   or the constraint ("customers.name", "rates: carrier_id 7 not found").
 * - A struct store is one connection: use it from one thread at a time.
 *   The CDR writer opens its own connection.
 * - Money is int64 micro-units (DEC_SCALE per 1.0, see dec_parse/dec_fmt),
 *   stored as INTEGER, never REAL. Times are int64 milliseconds since the
 *   Unix epoch (0 = never). Numbers and prefixes are E.164 digits without
 *   the '+' ("4420...", "44").
 * - Rows are plain structs. Their first member is always the int64 rowid
 *   `id` (0 = not stored yet). String members are NUL-terminated; NULL
 *   means "not set" and reads back as NULL.
 *   Ownership: after store_<kind>_get/find the strings are heap copies
 *   owned by the struct; free them with store_<kind>_reset(). A struct you
 *   fill yourself for add/update is only read (borrowed) by the store.
 *   Rows passed to store_foreach_<kind> callbacks borrow everything: they
 *   are valid during the callback only.
 */
#ifndef TL_STORE_H
#define TL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core.h"

struct store;

/** Default database when the config names none. */
#define STORE_DEFAULT_URL "sqlite:var/trunkline.db"

/**
 * Open (and on first use create and migrate) a database. url is
 * "sqlite:PATH" or a bare PATH (SQLite); other schemes select other
 * backends ("postgres://..." once it exists: -EPROTONOSUPPORT until then).
 * The file's directory is created when only its last level is missing.
 * Sets *sp only on success; on failure the log says why.
 */
int store_open(struct store **sp, const char *url);
/** Close the connection. NULL-safe. */
void store_close(struct store *st);
/** Message of the last failed call on this connection ("" if none); valid
 *  until the next call on st. */
const char *store_errmsg(const struct store *st);
/** Highest applied schema migration. */
int store_schema_version(struct store *st, int *version);
/**
 * Provisioning generation: a counter bumped (by database triggers) on
 * every insert, update or delete of provisioning data, by any connection
 * or process. The daemon rebuilds its routing snapshot when it changes.
 */
int store_generation(struct store *st, uint64_t *gen);

/* ------------------------------------------------------------------ */
/* Provisioning rows                                                    */
/* ------------------------------------------------------------------ */

/** An account that buys service. */
struct store_customer {
	int64_t id;
	char *name;               /* unique, required */
	char *country;            /* ISO 3166 alpha-2 ("GB") for national numbers */
	int64_t tariff_id;        /* its price list, 0 = none */
	int64_t credit_limit;     /* micro-units: how far balance may go below 0 */
	int64_t balance;          /* micro-units, prepaid balance */
	int64_t max_channels;     /* concurrent calls, 0 = unlimited */
	int64_t max_cps;          /* new calls per second, 0 = unlimited */
	bool enabled;
};

/** How a customer's equipment connects. */
struct store_trunk {
	int64_t id;
	int64_t customer_id;      /* required */
	char *name;               /* unique, required */
	char *cidrs;              /* source networks, comma-separated ("192.0.2.0/24,::1/128") */
	char *username;           /* digest user, NULL = IP authentication only */
	char *realm;              /* digest realm of ha1 */
	char *ha1;                /* hex MD5(username:realm:password); never the password */
	char *ha1_sha256;         /* hex SHA-256(username:realm:password) (RFC 8760), NULL = none */
	char *tech_prefix;        /* digits stripped from dialled numbers, NULL = none */
	char *media_mode;         /* "relay" (media through us) or "direct" */
	int64_t max_channels;     /* 0 = the customer's limit only */
	bool enabled;
};

/** Where origination calls for a trunk are delivered (ordered by priority,
 *  then shared by weight within one priority). */
struct store_trunk_uri {
	int64_t id;
	int64_t trunk_id;         /* required */
	char *uri;                /* "sip:pbx.example.com:5060;transport=tcp" */
	int64_t priority;         /* lower first */
	int64_t weight;           /* share within one priority */
};

/** An upstream provider. */
struct store_carrier {
	int64_t id;
	char *name;               /* unique, required */
	char *cidrs;              /* source networks of its inbound calls */
	int64_t priority;         /* tie-break between equal costs, lower first */
	int64_t max_channels;     /* concurrent calls both ways (ours to it and its to us), 0 = unlimited */
	int64_t max_cps;          /* new calls per second both ways, 0 = unlimited */
	char *number_format;      /* what it wants: "e164" (4420...), "+e164", "00" (00 4420...) */
	int64_t strip_digits;     /* leading digits removed before sending */
	char *add_prefix;         /* then prepended, NULL = none */
	bool enabled;
	char *media_mode;         /* "relay": its calls' media through us; "direct" (default) */
};

/** One signalling address of a carrier. */
struct store_gateway {
	int64_t id;
	int64_t carrier_id;       /* required */
	char *host;               /* name or address */
	int64_t port;             /* 1..65535 */
	char *transport;          /* "udp", "tcp" or "tls" */
	int64_t priority;         /* lower first */
	int64_t weight;           /* share within one priority */
	bool enabled;
};

/** A named customer price list; its prefixes are rates in STORE_DECK_TARIFF. */
struct store_tariff {
	int64_t id;
	char *name;               /* unique, required */
	char *currency;           /* ISO 4217, informational */
};

/** Which table a store_rate lives in. */
enum store_deck {
	STORE_DECK_CARRIER = 0,   /* a carrier's rate deck: owner_id is a carrier (cost) */
	STORE_DECK_TARIFF,        /* a tariff: owner_id is a tariff (what customers pay) */
};

/** One prefix of a rate deck or tariff. Unique per (owner, prefix,
 *  effective_from). Billing: the first inc_first seconds are charged as a
 *  block, then every started inc_next seconds (60/60, 1/1, 30/6 ...). */
struct store_rate {
	int64_t id;
	int64_t owner_id;         /* carrier id or tariff id (enum store_deck) */
	char *prefix;             /* digits, "" matches everything */
	int64_t rate;             /* micro-units per minute */
	int64_t connect_fee;      /* micro-units per answered call */
	int64_t inc_first;        /* seconds, >= 1 */
	int64_t inc_next;         /* seconds, >= 1 */
	int64_t effective_from;   /* Unix ms from which this price holds */
};

/** A DID: an E.164 number held by Trunkline. */
struct store_number {
	int64_t id;
	char *e164;               /* digits, unique, required */
	char *country;            /* ISO 3166 alpha-2 */
	char *type;               /* "geographic", "mobile", "tollfree", "national", "other" */
	int64_t customer_id;      /* owner, 0 = unassigned */
	int64_t trunk_id;         /* deliver to this trunk's URIs, 0 = none */
	char *delivery_uri;       /* or to this URI (overrides the trunk), NULL = none */
	bool enabled;
};

/* For each kind K in customer, trunk, trunk_uri, carrier, gateway, tariff,
 * number:
 *
 *   int  store_K_add(st, struct store_K *row)      insert; sets row->id
 *   int  store_K_update(st, const struct store_K *row)   every column by id
 *   int  store_K_del(st, int64_t id)               -EBUSY while referenced
 *   int  store_K_get(st, int64_t id, struct store_K *out)  out owns strings
 *   void store_K_reset(struct store_K *row)        free strings, zero row
 *   int  store_foreach_K(st, int64_t parent, h, arg)
 *        stream rows in id order; parent filters by the owning row
 *        (customer of a trunk, trunk of a URI, carrier of a gateway,
 *        customer of a number; ignored for customer, carrier, tariff),
 *        0 = all. h's non-zero return stops the walk and is returned.
 *
 * Cascades: deleting a trunk deletes its URIs, a carrier its gateways and
 * rates, a tariff its rates. Customers with trunks or numbers, and tariffs
 * that customers use, are refused with -EBUSY.
 */
#define STORE_KIND_DECL(K) \
	typedef int (store_##K##_h)(const struct store_##K *row, void *arg); \
	int store_##K##_add(struct store *st, struct store_##K *row); \
	int store_##K##_update(struct store *st, const struct store_##K *row); \
	int store_##K##_del(struct store *st, int64_t id); \
	int store_##K##_get(struct store *st, int64_t id, struct store_##K *out); \
	void store_##K##_reset(struct store_##K *row); \
	int store_foreach_##K(struct store *st, int64_t parent, store_##K##_h *h, void *arg)

STORE_KIND_DECL(customer);
STORE_KIND_DECL(trunk);
STORE_KIND_DECL(trunk_uri);
STORE_KIND_DECL(carrier);
STORE_KIND_DECL(gateway);
STORE_KIND_DECL(tariff);
STORE_KIND_DECL(number);

/**
 * Add delta (micro-units, negative to charge) to a customer's balance in
 * one atomic statement; *balance (may be NULL) gets the new value. Use this
 * rather than store_customer_update, which writes every column. Balance
 * changes alone do not bump the generation: they are live state.
 * Overflow beyond int64 is -EINVAL (SQLite refuses it as an integer).
 */
int store_customer_balance_add(struct store *st, int64_t id, int64_t delta, int64_t *balance);

/* Lookups by unique key; out owns its strings (store_K_reset). -ENOENT. */
int store_customer_find(struct store *st, const char *name, struct store_customer *out);
int store_trunk_find(struct store *st, const char *name, struct store_trunk *out);
int store_carrier_find(struct store *st, const char *name, struct store_carrier *out);
int store_tariff_find(struct store *st, const char *name, struct store_tariff *out);
int store_number_find(struct store *st, const char *e164, struct store_number *out);

/* Rates, in the deck's table. Same contracts as the kinds above. */
typedef int (store_rate_h)(const struct store_rate *row, void *arg);
int store_rate_add(struct store *st, enum store_deck deck, struct store_rate *row);
int store_rate_update(struct store *st, enum store_deck deck, const struct store_rate *row);
int store_rate_del(struct store *st, enum store_deck deck, int64_t id);
int store_rate_get(struct store *st, enum store_deck deck, int64_t id, struct store_rate *out);
void store_rate_reset(struct store_rate *row);
/** Stream one deck's rates (owner_id 0 = every owner), in (owner, prefix,
 *  effective_from) order. */
int store_foreach_rate(struct store *st, enum store_deck deck, int64_t owner_id,
		       store_rate_h *h, void *arg);
/** Every rate of a deck in storage order (a table scan): for bulk readers
 *  that sort themselves, such as the routing snapshot. */
int store_load_rates(struct store *st, enum store_deck deck, store_rate_h *h, void *arg);

/**
 * Bulk rate import: one prepared statement in one transaction.
 * begin, then add per row (rows are only read), then end(commit=true) to
 * commit, or end(commit=false) to roll back so nothing changes. After an
 * add fails, end always rolls back (store_errmsg names the fault; the
 * caller knows the row's line). end frees b whatever happens. The
 * connection may not be used for anything else between begin and end.
 */
struct store_bulk;
int store_rate_bulk_begin(struct store *st, enum store_deck deck, struct store_bulk **bp);
int store_rate_bulk_add(struct store_bulk *b, const struct store_rate *row);
int store_rate_bulk_end(struct store_bulk *b, bool commit);

/**
 * Demo provisioning for `make run` (README.md lists it): customer "demo"
 * (GB, from 127.0.0.1/32), two carriers on 127.0.0.1:5070 and :5072 with
 * +44 and +1 rates, tariff "demo-retail", DID 442071234567. Idempotent:
 * when customer "demo" exists nothing changes and 0 is returned.
 */
int store_seed_demo(struct store *st);

/* ------------------------------------------------------------------ */
/* CDRs                                                                 */
/* ------------------------------------------------------------------ */

enum store_dir { STORE_DIR_OUT = 0, STORE_DIR_IN };   /* termination / origination */
enum store_side { STORE_SIDE_NONE = 0, STORE_SIDE_CALLER, STORE_SIDE_CALLEE, STORE_SIDE_SYSTEM };

/** One try of a B leg towards one gateway. */
struct store_cdr_attempt {
	int64_t carrier_id;       /* 0 = none (origination to a trunk) */
	char *gateway;            /* owned: "127.0.0.1:5070;transport=udp" or a URI */
	int code;                 /* final SIP status, 0 = none (timeout, cancelled) */
	int64_t start_ms;         /* INVITE sent */
	int64_t ring_ms;          /* first 180/183, 0 = none */
	int64_t answer_ms;        /* 2xx, 0 = none */
	int64_t end_ms;           /* final response or give-up */
};

/**
 * The record of one call. Allocate with store_cdr_new(); set strings with
 * malloc'd copies (strdup) and attempts with malloc'd arrays. After a
 * successful store_cdr_submit() the writer owns and frees it.
 * Stored in the cdrs table; attempts as a JSON array in cdrs.attempts
 * (README.md gives the shape). pdd_ms is derived when stored: first of
 * ring/answer minus setup.
 */
struct store_cdr {
	int64_t id;               /* rowid once written (writer side only) */
	char *call_id;            /* A-leg Call-ID */
	int64_t customer_id;      /* 0 = unknown */
	int64_t trunk_id;
	int64_t carrier_id;       /* carrier of the answered (or last) attempt */
	enum store_dir dir;
	char *caller;             /* calling number/user as received */
	char *dialled;            /* called number as received */
	char *normalised;         /* E.164 digits after normalisation */
	int64_t setup_ms, ring_ms, answer_ms, end_ms;
	enum store_side disconnect_side;
	int sip_code;             /* final status towards the caller (200 when answered) */
	int q850_cause;           /* Reason: Q.850 cause, 0 = none */
	char *reason;             /* reason text */
	int64_t billed_sec;       /* duration rounded up by the increments */
	int64_t cost;             /* micro-units, what the carrier charges */
	int64_t price;            /* micro-units, what the customer pays */
	struct store_cdr_attempt *attempts;   /* owned array */
	size_t n_attempts;
	char *attempts_json;      /* read side only (store_foreach_cdr): as stored */
	/* Media relay figures (written only; cdrs.a_* / b_* columns). */
	bool media_relayed;       /* false: media_mode NULL, figures NULL */
	unsigned media_streams;
	struct store_cdr_media {  /* [0]: the caller's leg, [1]: the callee's */
		int64_t rx_packets, rx_bytes, rx_lost, rx_out_of_order;
		double rx_loss_pct, rx_jitter_ms, rx_mos;   /* mos 0: none */
		int64_t tx_packets, tx_bytes;
		double tx_loss_pct, tx_jitter_ms, tx_mos;   /* < 0: no RTCP report */
		double rtt_ms;                              /* < 0: unknown */
	} media[2];
	struct store_cdr *next;   /* private: writer queue link */
};

/** A zeroed CDR (calloc); NULL on ENOMEM. */
struct store_cdr *store_cdr_new(void);
/** Free a CDR and everything it owns. NULL-safe. */
void store_cdr_free(struct store_cdr *cdr);

struct store_cdr_writer;

struct store_cdr_writer_prm {
	unsigned queue_max;       /* CDRs waiting, default 100000 */
	unsigned batch_max;       /* rows per transaction, default 500 */
	unsigned flush_ms;        /* commit at least this often, default 50 */
	unsigned full_wait_ms;    /* submit waits this long for room, default 200 */
};

struct store_cdr_stats {
	uint64_t submitted;       /* accepted by submit */
	uint64_t written;         /* committed */
	uint64_t rejected_full;   /* refused: queue full after full_wait_ms */
	uint64_t rejected_stopped;/* refused: stop had begun */
	uint64_t failed;          /* accepted but could not be written (logged in full) */
	uint64_t batches;         /* transactions committed */
	uint64_t queued;          /* waiting now */
};

/**
 * Start the CDR writer thread on its own connection to st's database.
 * prm may be NULL (defaults). Sets *wp only on success.
 */
int store_cdr_writer_start(struct store_cdr_writer **wp, struct store *st,
			   const struct store_cdr_writer_prm *prm);
/**
 * Queue a CDR. Thread-safe, O(1), never does I/O. On 0 the writer owns
 * cdr. When the queue is full the caller waits up to full_wait_ms for room,
 * then gets -EAGAIN; after stop began, -ESHUTDOWN. On any error the caller
 * still owns cdr (and the refusal is counted and logged): nothing is
 * dropped silently.
 */
int store_cdr_submit(struct store_cdr_writer *w, struct store_cdr *cdr);
void store_cdr_writer_stats(struct store_cdr_writer *w, struct store_cdr_stats *s);
/** Time to write one batch (BEGIN to COMMIT, retries included), in µs:
 *  the store's write latency (live; hist_read it). */
const struct hist *store_cdr_writer_hist(const struct store_cdr_writer *w);
/**
 * Stop accepting, write everything accepted, join the thread, close and
 * free. Returns 0, or -EIO when some accepted CDRs could not be written
 * (each is then logged in full at error level). NULL-safe.
 */
int store_cdr_writer_stop(struct store_cdr_writer *w);

/** CDRs in the table (tests, status). */
int store_cdr_count(struct store *st, int64_t *n);
typedef int (store_cdr_h)(const struct store_cdr *cdr, void *arg);
/** Stream CDRs with id > after_id in id order. The row borrows everything
 *  (valid during h only); attempts come as attempts_json, n_attempts = 0. */
int store_foreach_cdr(struct store *st, int64_t after_id, store_cdr_h *h, void *arg);

/* ------------------------------------------------------------------ */
/* For the REST API (token.c): transactions, API tokens, CDR queries    */
/* ------------------------------------------------------------------ */

/** Start a write transaction (takes the write lock at once); every call
 *  on st until store_tx_end is part of it. */
int store_tx_begin(struct store *st);
/** Commit (commit = true) or roll back. A failed commit rolls back and
 *  returns the error; store_errmsg keeps the message of the failure. */
int store_tx_end(struct store *st, bool commit);

/** A REST API bearer token: only its SHA-256 is stored (migration 3). */
struct store_api_token {
	int64_t id;
	char *name;               /* unique, what the token is for */
	char *sha256;             /* 64 lower-case hex digits of SHA-256(token) */
	int64_t created_ms;       /* set by add when 0 */
};
typedef int (store_api_token_h)(const struct store_api_token *t, void *arg);
int store_api_token_add(struct store *st, struct store_api_token *t);
int store_api_token_del(struct store *st, int64_t id);
/* out owns its strings (store_api_token_reset); -ENOENT when missing. */
int store_api_token_find(struct store *st, const char *name, struct store_api_token *out);
int store_api_token_find_sha256(struct store *st, const char *sha256,
				struct store_api_token *out);
void store_api_token_reset(struct store_api_token *t);
int store_foreach_api_token(struct store *st, store_api_token_h *h, void *arg);

/** CDR selection; zero fields do not filter. */
struct store_cdr_filter {
	int64_t after_id;         /* id > after_id (paging cursor) */
	int64_t from_ms, to_ms;   /* end_ms in [from_ms, to_ms) */
	int64_t customer_id, carrier_id;
	const char *number;       /* equal to caller, dialled or normalised; NULL = any */
	int sip_code;
	int q850_cause;
	int dir;                  /* enum store_dir, or -1 = both */
	unsigned limit;           /* rows at most, 0 = all */
};
/** Stream the CDRs f selects in id order, like store_foreach_cdr. */
int store_cdr_query(struct store *st, const struct store_cdr_filter *f, store_cdr_h *h,
		    void *arg);

#endif /* TL_STORE_H */
