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

struct uas_prm {
	struct sip_limits limits;  /* parser limits for every received message */
	uint32_t reject_delay_ms;  /* hold refused INVITEs this long (after 100 Trying); 0 = at once */
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
 * once. Waits up to timeout_ms for those responses to be sent. Returns 0,
 * or -ETIMEDOUT when some were still pending.
 */
int uas_drain(struct uas *u, uint32_t timeout_ms);

/** Counters (monotonic, all workers). */
struct uas_stats {
	uint64_t rx_req, rx_resp;          /* parsed requests and responses */
	uint64_t bad_req, bad_resp;        /* malformed: answered / dropped */
	uint64_t stateless_replies;        /* replies sent without a transaction */
	uint64_t resp_unmatched;           /* responses no client transaction wanted */
	uint64_t txn_errors;               /* requests the transaction layer refused */
};
void uas_stats_get(const struct uas *u, struct uas_stats *st);

#endif /* TL_CALL_H */
