/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file txn.h  RFC 3261 §17 transactions: INVITE and non-INVITE, client and
 *              server, timers A-K, retransmission absorption, ACK for
 *              non-2xx, CANCEL matching, §17.2.3 matching with the RFC 2543
 *              fallback (§17.2.3 last paragraphs).
 *
 * Transactions live in hash tables with striped locks, keyed by SipHash of
 * wire data. Each transaction's timers run on the loop of the worker that
 * created it. Transactions are refcounted (mem_ref / mem_deref); the table
 * holds one reference until the transaction terminates.
 */
#ifndef TL_TXN_H
#define TL_TXN_H

#include "core.h"
#include "sip.h"
#include "transport.h"

struct txn_cfg {
	uint32_t t1;    /* ms, RTT estimate, default 500 */
	uint32_t t2;    /* ms, max non-INVITE retransmit interval, default 4000 */
	uint32_t t4;    /* ms, max message lifetime, default 5000 */
	uint32_t td;    /* ms, timer D over unreliable transports: "at least
			   32 s" (§17.1.1.2); 0 means 32000 */
};

extern const struct txn_cfg txn_cfg_default;

struct txn_stack;
struct txn_srv;
struct txn_cli;

/** A transaction stack sending through tp (borrowed, must outlive it).
 *  cfg NULL: txn_cfg_default. */
int txn_stack_alloc(struct txn_stack **sp, struct tp *tp, const struct txn_cfg *cfg);
/** Terminate every transaction (no handler is called) and free the stack.
 *  Call it after tp_stop() (no worker runs any more) and before tp_free();
 *  references the TU still holds stay valid but must not be used to send.
 *  NULL-safe. */
void txn_stack_free(struct txn_stack *s);

/* ---------------------------- server ----------------------------- */

enum txn_rx {
	TXN_RX_NEW = 0,      /* a new request: *stp is a new server transaction (caller's reference) */
	TXN_RX_ABSORBED,     /* a retransmission (or ACK of a non-2xx): handled here */
	TXN_RX_ACK,          /* an ACK matching no transaction: for the TU (ACK of a 2xx) */
};

/**
 * Match a request (§17.2.3; RFC 2543 fallback when the branch lacks the
 * magic cookie) and create a server transaction for a new one. Returns
 * enum txn_rx (>= 0) or a negative errno. A 100 Trying is NOT sent here:
 * the TU calls txn_srv_reply(…, 100) (INVITE) as it sees fit.
 */
int txn_srv_recv(struct txn_stack *s, const struct sip_msg *req,
		 const struct tp_pkt *pkt, struct txn_srv **stp);

/**
 * Send a response (already built, e.g. with sip_reply_build) on the server
 * transaction, drive its state machine (timers G, H, I, J, L) and keep a
 * copy for retransmissions. Safe from any thread. 0 or -errno (-EPROTO when
 * the transaction already sent its final response). An INVITE transaction
 * that sent a 2xx is "Accepted" (RFC 6026) for 64*T1: it accepts further
 * 2xx (the TU's retransmissions of its 2xx), passes ACKs to the TU and
 * absorbs retransmitted INVITEs.
 */
int txn_srv_reply(struct txn_srv *st, uint16_t scode, const char *buf, size_t len);

/** The status of the last response sent, 0 before any. Any thread. */
uint16_t txn_srv_scode(struct txn_srv *st);

/** Build (sip_reply_build) and send a response. totag NULL: a stable
 *  random tag generated once per transaction. -EPROTO once the final
 *  was sent (the request it is built from is gone). */
int txn_srv_reply_simple(struct txn_srv *st, uint16_t scode, const char *reason,
			 const char *extra_hdrs);

/**
 * The request that created the transaction, parsed (owned by st, valid
 * while the caller holds its reference). A transaction keeps only the
 * request's bytes and its matching keys: the parse is made on the first
 * call and kept (about 15 KB, and the request's bytes with it after the
 * final), so call it only when the message the transport handed over is
 * gone. NULL when st is NULL, out of memory, or when the final was sent
 * before the first call (the request's bytes are freed with the final).
 */
const struct sip_msg *txn_srv_request(const struct txn_srv *st);

/**
 * Parse the request that created the transaction into msg, which the
 * caller provides (a struct sip_msg is ~15 KB: keep one per thread).
 * Nothing is kept in the transaction, so a TU that replies several times
 * pays a parse (about 1 µs) each time instead of 15 KB per live
 * transaction. The views point into the transaction's copy of the
 * request, which the final response frees (a transaction lingering for
 * timer J or L keeps only its keys): valid while the caller holds its
 * reference and the final was not sent. 0, -EPROTO after the final, or
 * -errno.
 */
int txn_srv_request_parse(const struct txn_srv *st, struct sip_msg *msg);

/** For a CANCEL: the INVITE server transaction it cancels (a reference),
 *  or NULL (then answer 481). */
struct txn_srv *txn_srv_cancel_target(struct txn_stack *s, const struct sip_msg *cancel);

/* ---------------------------- client ----------------------------- */

/**
 * Called for each response to a client transaction (1xx..6xx, the first
 * of each final; retransmissions of finals are absorbed), or once with
 * err = -ETIMEDOUT (timer B or F) or a transport error and resp == NULL.
 * Runs on the transaction's worker thread. resp is valid during the call.
 * For INVITE, a 2xx with a new To tag (another fork) while "Accepted"
 * (RFC 6026, timer M) is passed too.
 */
typedef void (txn_resp_h)(int err, const struct sip_msg *resp, void *arg);

/**
 * Send a request in a new client transaction. req holds the complete
 * request (its top Via carrying a fresh branch); it is copied. For INVITE
 * the transaction sends the ACK for non-2xx finals itself (§17.1.1.3).
 * Must be called on a worker thread (loop_current() != NULL). ctp may be
 * NULL; else *ctp is a reference for the caller (mem_deref it). When the
 * first send fails, the error is returned and h never runs.
 */
int txn_cli_send(struct txn_stack *s, struct txn_cli **ctp, enum tp_proto proto,
		 const struct sa *dst, const char *req, size_t len,
		 txn_resp_h *h, void *arg);

/**
 * Send a CANCEL for an INVITE client transaction (§9.1): at once when a
 * provisional response arrived, else when one arrives; nothing once a
 * final response arrived. The CANCEL runs in its own non-INVITE client
 * transaction whose responses are absorbed. reason_hdr: a full header
 * line without CRLF ("Reason: SIP;cause=200") or NULL. Safe from any
 * thread (hops to the transaction's worker). 0 or -errno (-EINVAL for a
 * non-INVITE transaction).
 */
int txn_cli_cancel(struct txn_cli *ct, const char *reason_hdr);

/**
 * Stop calling the handler (the TU goes away); the transaction still runs
 * to its end, absorbing retransmissions. Call it on the transaction's
 * worker thread. NULL-safe.
 */
void txn_cli_abandon(struct txn_cli *ct);

/**
 * Offer a received response to the client transactions. 0 when it matched
 * (handled), -ENOENT when none matched (e.g. a retransmitted 2xx after
 * the INVITE transaction ended: for the TU).
 */
int txn_cli_recv(struct txn_stack *s, const struct sip_msg *resp, const struct tp_pkt *pkt);

/** Counters. srv_bytes and cli_bytes: heap bytes held by the live
 *  transactions (structs, request and response copies, allocator
 *  overhead estimated). */
struct txn_stats {
	uint64_t srv_created, srv_absorbed, cli_created, cli_timeouts;
	uint64_t active_srv, active_cli;
	uint64_t srv_bytes, cli_bytes;
};
void txn_stats_get(const struct txn_stack *s, struct txn_stats *st);

#endif /* TL_TXN_H */
