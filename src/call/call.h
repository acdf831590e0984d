/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file call.h  The call layer: for now the UA core (uas.c) that receives
 *               every message from the transport, feeds the transaction
 *               layer and answers out-of-dialog requests itself. The
 *               B2BUA (legs, dialogs, failover, registrar) grows here.
 */
#ifndef TL_CALL_H
#define TL_CALL_H

#include "core.h"
#include "sip.h"
#include "transport.h"
#include "txn.h"

#ifndef TL_VERSION
#define TL_VERSION "0.0.0"
#endif

struct uas;
struct store_cdr_writer;
struct media;

/** Digest challenges a 407 offers, in this order (RFC 8760). */
enum uas_digest {
	UAS_DIGEST_MD5 = 0,       /* MD5 only: clients that abort on an unknown
				     algorithm (libre/baresip 1.x) or answer
				     only the first challenge (SIPp 3.6) */
	UAS_DIGEST_MD5_SHA256,    /* both, MD5 first */
	UAS_DIGEST_SHA256_MD5,    /* both, SHA-256 first (RFC 8760 §2.4) */
};
struct call_live;

struct uas_prm {
	struct sip_limits limits;  /* parser limits for every received message */
	uint32_t reject_delay_ms;  /* hold refused INVITEs this long (after 100 Trying); 0 = at once */

	/* The B2BUA (b2bua.c). Calls route with the snapshot published by
	 * route_snap_publish() at the time their INVITE arrived. */
	struct store_cdr_writer *cdrw;  /* borrowed: every ended call's CDR goes here;
					   NULL = CDRs are logged only */
	struct call_live *live;         /* borrowed: channel/CPS counters route_decide
					   reads; NULL = limits not counted */
	uint32_t max_duration_s;        /* clear answered calls after this long; 0 = never */
	uint32_t session_min_se_s;      /* RFC 4028 Min-SE we accept; 0 = 90 */
	uint32_t no_answer_s;           /* give up a B leg that rings this long; 0 = 180 */
	struct sip_nonce_ctx *nonces;   /* borrowed: digest nonces for trunks with
					   credentials; NULL = IP authentication only */
	const char *realm;              /* digest realm we challenge with; NULL = "trunkline" */
	enum uas_digest digest;         /* challenges offered; SHA-256 only when some
					   trunk has a SHA-256 HA1 */
	struct media *media;            /* borrowed: the RTP relay; NULL = SDP always
					   crosses untouched */
	uint32_t rtp_timeout_s;         /* end a relayed, answered call after this long
					   without RTP (not on hold); 0 = never */
	bool media_latch;               /* relay: learn phones' media addresses from
					   their first packets (NAT) */
};

/**
 * Allocate the UA core. It receives nothing until attached with
 * uas_attach() and installed as the transport's receive handler
 * (tp_prm.recvh = uas_recv, tp_prm.arg = the struct uas).
 * Free with mem_deref() after the transport stopped.
 */
int uas_alloc(struct uas **up, const struct uas_prm *prm);

/** Give the UA core the transport and transaction stack it answers
 *  through (both borrowed; they must outlive its use). Call before
 *  tp_start(). */
void uas_attach(struct uas *u, struct tp *tp, struct txn_stack *txn);

/**
 * The transport receive handler (tp_recv_h; arg is the struct uas).
 * Runs on a worker thread: parses the message with the configured limits,
 * answers malformed requests statelessly (400/413/416/505 with a reason
 * naming the fault), drops and counts malformed responses, offers
 * responses to the client transactions and requests to the server
 * transactions, then answers new requests (RFC 3261 §8.2).
 */
void uas_recv(const struct tp_pkt *pkt, void *arg);

/**
 * Graceful stop, from any thread but a worker's: from now on new requests
 * get 503, and INVITEs held by reject_delay get their final response at
 * once. Every call in progress ends: answered calls get a BYE on both
 * legs, calls being set up a CANCEL towards the callee and 503 towards
 * the caller; each call's CDR (cause "shutdown") is submitted to
 * prm.cdrw before this returns, so stop the CDR writer after it.
 * Waits up to timeout_ms for those messages to be sent. Returns 0, or
 * -ETIMEDOUT when some were still pending.
 */
int uas_drain(struct uas *u, uint32_t timeout_ms);

/** Counters (monotonic, all workers). */
struct uas_stats {
	uint64_t rx_req, rx_resp;          /* parsed requests and responses */
	uint64_t bad_req, bad_resp;        /* malformed: answered / dropped */
	uint64_t stateless_replies;        /* replies sent without a transaction */
	uint64_t resp_unmatched;           /* responses no client transaction wanted */
	uint64_t txn_errors;               /* requests the transaction layer refused */
	uint64_t calls_active;             /* calls whose CDR is not written yet */
	uint64_t calls_started, calls_answered, calls_failed;
	uint64_t cdr_submitted, cdr_lost;  /* CDRs handed to the writer / refused by it */
};
void uas_stats_get(const struct uas *u, struct uas_stats *st);

/* ------------------------------------------------------------------ */
/* Calls in progress, for operators (live.c)                            */
/* ------------------------------------------------------------------ */

enum { CALL_INFO_NUM = 64, CALL_INFO_ID = 128, CALL_INFO_HOST = 96 };

enum call_phase { CALL_PHASE_SETUP = 0, CALL_PHASE_RINGING, CALL_PHASE_ANSWERED };

/** A call in progress as an operator sees it: a copy, taken on the
 *  call's own worker. */
struct call_info {
	uint64_t id;                       /* unique in this run, never reused */
	bool outbound;                     /* termination (customer -> carrier) */
	enum call_phase phase;
	uint32_t customer_id, trunk_id;    /* trunk: termination only */
	uint32_t carrier_id;               /* current attempt's (out) or source (in), 0 = none */
	char caller[CALL_INFO_NUM], dialled[CALL_INFO_NUM], e164[CALL_INFO_NUM];
	char callid_a[CALL_INFO_ID];       /* the caller's Call-ID */
	char callid_b[CALL_INFO_ID];       /* ours towards the callee, "" before the first try */
	char gateway[CALL_INFO_HOST];      /* current attempt's host[:port], "" = none */
	unsigned attempt, attempts;        /* current (1-based), planned */
	int64_t setup_ms, ring_ms, answer_ms;  /* wall clock, 0 = not yet */
	bool relayed;                      /* media through the relay */
};

/** Which calls uas_calls copies. Zero = any for every field. */
struct call_filter {
	uint64_t id;                       /* this call only */
	uint32_t customer_id, carrier_id;
	int dir;                           /* 0 any, 1 outbound, 2 inbound */
	int phase;                         /* 0 any, else enum call_phase + 1 */
	const char *number;                /* part of caller, dialled or E.164 */
	uint64_t after_id;                 /* page: ids above this (cursor) */
	size_t limit;                      /* page size, 0 = all */
};

/** A page of calls: v[0..n) in id order (malloc'd, free() it; NULL when
 *  none), total = calls matching the filter (cursor aside), more = some
 *  beyond this page. */
struct call_page {
	struct call_info *v;
	size_t n, total;
	bool more;
};

/**
 * The calls in progress that f selects, a page at a time. Each worker
 * filters and copies its own calls on its own loop (so nothing is read
 * while it changes), and copies only the page's candidates: a page of
 * 100 out of 30,000 calls copies at most 100 per worker. Waits up to
 * timeout_ms for the workers. 0, -ENOMEM, or -ETIMEDOUT (a worker did
 * not answer; nothing is returned).
 */
int uas_calls(struct uas *u, const struct call_filter *f, struct call_page *pg,
	      uint32_t timeout_ms);
/**
 * Hang up call id now, as the operator: an answered call gets a BYE on
 * both legs, a call being set up a CANCEL towards the callee and 480
 * towards the caller; the CDR says "operator hangup". Returns once it
 * happened: 0, -ENOENT (no such call in progress), or -ETIMEDOUT.
 */
int uas_call_hangup(struct uas *u, uint64_t id, uint32_t timeout_ms);

/* ------------------------------------------------------------------ */
/* Traffic statistics (stats.c)                                         */
/* ------------------------------------------------------------------ */

enum call_stat_of { CALL_STAT_CARRIER = 0, CALL_STAT_CUSTOMER };
enum call_window { CALL_WIN_MINUTE = 0, CALL_WIN_HOUR, CALL_WIN_DAY };
enum { CALL_STAT_CODES = 16 };

/**
 * One carrier's or customer's traffic over a window, by the time calls
 * ended. For a carrier every B-leg attempt counts (failovers too) and
 * PDD runs from our INVITE to its first 180/183; for a customer every
 * call it placed (termination) or received (origination), refused ones
 * included, and PDD runs from its INVITE to the first ringing we relayed.
 * Code 0 counts attempts that got no final response (timeout, cancel).
 */
struct call_stat {
	uint32_t id;                       /* carrier or customer row id */
	uint64_t attempts;                 /* carrier: attempts; customer: calls */
	uint64_t answered;
	uint64_t talk_ms;                  /* summed durations of the answered ones */
	uint64_t pdd_ms, pdd_n;            /* summed PDDs, and how many rang */
	struct call_stat_code {
		uint16_t code;
		uint64_t n;
	} codes[CALL_STAT_CODES];           /* most frequent first */
	unsigned ncodes;
	uint64_t codes_other;              /* attempts whose code did not fit */
};

/**
 * The window ending now (Unix ms) for every carrier or customer with
 * traffic in it, by id: minute = last 60 s in 5 s steps, hour = last 60
 * min in 1 min steps, day = last 24 h in 1 h steps. *out: malloc'd
 * (free()), NULL when none. 0 or -ENOMEM.
 */
int uas_stats_window(struct uas *u, enum call_stat_of of, enum call_window w, int64_t now_ms,
		     struct call_stat **out, size_t *n);

/** Counters since start, for /metrics. */
typedef void (call_code_h)(bool outbound, uint32_t id, uint16_t code, uint64_t n, void *arg);
/** Calls by direction and final code towards the caller (id = 0). */
void uas_calls_by_code(struct uas *u, call_code_h *h, void *arg);
/** B-leg attempts by carrier and final code (outbound = true). */
void uas_attempts_by_carrier(struct uas *u, call_code_h *h, void *arg);

enum uas_hist {
	UAS_HIST_PDD = 0,          /* ms: caller's INVITE -> first ringing relayed */
	UAS_HIST_SETUP,            /* µs: caller's INVITE read -> first B INVITE sent */
	UAS_HIST_MOS,              /* MOS x 100 per relayed leg and direction */
	UAS_HIST_JITTER,           /* µs: interarrival jitter per relayed leg and direction */
	UAS_HIST_N
};
/** A histogram (live, for hist_read). */
const struct hist *uas_hist(const struct uas *u, enum uas_hist which);

/* ------------------------------------------------------------------ */
/* Routing snapshot from the store, live counters (snapload.c)          */
/* ------------------------------------------------------------------ */

#include "route.h"

struct store;

/**
 * Build a routing snapshot from the store's provisioning (disabled rows
 * and rows referencing them are left out; a number's delivery_uri is its
 * target, else its trunk). *snapp gets one reference; *genp (may
 * be NULL) the store generation read before the load. st is used by
 * this thread only.
 */
int snap_load(struct store *st, struct route_snap **snapp, uint64_t *genp);
/** snap_load, then route_snap_publish; logs "snapshot loaded ...". */
int snap_publish_from(struct store *st, uint64_t *genp);

/**
 * A thread with its own connection to url that polls the store's
 * generation every interval_ms and, when it differs from the published
 * one (gen), rebuilds and publishes the snapshot. Calls in progress keep
 * the snapshot they acquired. A failed rebuild keeps the current one.
 */
struct snap_reloader;
int snap_reloader_start(struct snap_reloader **rp, const char *url, uint64_t gen,
			uint32_t interval_ms);
/** Stop and join the thread, close its connection, free. NULL-safe. */
void snap_reloader_stop(struct snap_reloader *r);

/**
 * Live counters for route_decide, indexed by store row id (customer and
 * carrier), updated by the call layer with atomics. Address space for
 * ncustomer / ncarrier ids is reserved; pages are backed when touched.
 * state is the read-only view route_decide takes.
 */
struct call_live {
	struct route_live *customer;   /* owned mapping, ncustomer entries */
	uint32_t ncustomer;
	struct route_live *carrier;    /* owned mapping, ncarrier entries */
	uint32_t ncarrier;
	struct route_live *trunk;      /* owned mapping, ntrunk (= ncustomer) entries */
	uint32_t ntrunk;
	struct route_state state;      /* views of the arrays above */
};
/* Trunk ids share the customers' cap (ncustomer). */
int call_live_alloc(struct call_live *lv, uint32_t ncustomer, uint32_t ncarrier);
void call_live_free(struct call_live *lv);

#endif /* TL_CALL_H */
