/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file uas.c  The UA core: every received message enters here, on the
 *              worker thread that read it. Parses, feeds the transaction
 *              layer and answers requests that no call handles yet
 *              (RFC 3261 §8.2): OPTIONS, CANCEL, and precise refusals.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <stdlib.h>
#include "call_int.h"

#define LOG_MOD "uas"

/* What this node answers itself. INVITE is allowed as a method: it is
 * refused for want of a route, not for its method. */
#define UAS_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS"

/* Option-tags we support (RFC 3261 §8.2.2.3, §20.37): session timers
 * pass through the B2BUA (RFC 4028). NULL-terminated. */
static const char *const supported_tags[] = { "timer", NULL };

/* Refusal of an INVITE while no routing data is published: no trunk is
 * known, and an unknown source gets 403 (never an open relay). */
enum { REFUSE_SCODE = 403 };
static const char refuse_reason[] = "Unknown Source";

enum { RETRY_AFTER_DRAIN = 30 };  /* seconds, in 503 while stopping */


/** An INVITE server transaction whose refusal waits for reject_delay.
 *  Lives on the worker that created it: its timer and its release run
 *  there only. */
struct hold {
	struct tmr tmr;
	struct hold *next, *prev;     /* in uas->holds (under uas->lock) */
	struct uas *uas;              /* borrowed */
	struct txn_srv *st;           /* owned reference */
	struct loop *loop;            /* borrowed: the worker's loop */
	char callid[80];              /* for the log context when it fires */
};

static inline void count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* ------------------------- stateless replies ----------------------- */

/* RFC 3261 §8.2.6.2: a stateless UAS must give retransmissions of a
 * request the same To tag, so derive it from the request's keys. */
static void stateless_tag(const struct sip_msg *msg, char tag[SIP_TAG_LEN + 1])
{
	const struct pl *parts[] = { &msg->callid, &msg->via.branch, &msg->from.tag };
	uint64_t key[ARRAY_SIZE(parts) + 1];

	/* Hash each key apart, then the hashes: no field can shift into
	 * another, whatever their lengths. */
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		key[i] = parts[i]->p ? hash_keyed(parts[i]->p, parts[i]->l) : 0;
	key[ARRAY_SIZE(parts)] = msg->cseq.num;
	snprintf(tag, SIP_TAG_LEN + 1, "%016llx",
		 (unsigned long long)hash_keyed(key, sizeof(key)));
}

static void reply_stateless(struct uas *u, const struct tp_pkt *pkt,
			    const struct sip_msg *msg, uint16_t scode, const char *reason)
{
	struct sip_mb mb;
	struct sa dst;
	struct tp_conn *conn = NULL;
	char tag[SIP_TAG_LEN + 1];
	int err;

	stateless_tag(msg, tag);
	sip_mb_init(&mb);
	err = sip_reply_build(&mb, msg, scode, reason, tag, NULL, NULL, NULL);
	if (err)
		goto out;
	err = tp_resp_dst(&msg->via, pkt, &dst, &conn);
	if (err)
		goto out;
	err = tp_send(u->tp, pkt->proto, &dst, conn, mb.buf, mb.len);
	if (!err)
		count(&u->stateless);
out:
	if (err)
		LDEBUG("stateless reply failed status=%u err=%d", scode, err);
	sip_mb_free(&mb);
}

/* --------------------------- answers ------------------------------- */

static int reply(struct txn_srv *st, uint16_t scode, const char *reason, const char *extra)
{
	int err = txn_srv_reply_simple(st, scode, reason, extra);

	if (err && err != -EPROTO)
		LWARN("reply failed status=%u err=%d", scode, err);
	else if (!err)
		LDEBUG("reply status=%u reason=\"%s\"", scode,
		       reason ? reason : sip_reason_phrase(scode));
	return err;
}

static bool tag_supported(const struct pl *tag)
{
	for (size_t i = 0; supported_tags[i]; i++) {
		if (pl_caseeq_str(tag, supported_tags[i]))
			return true;
	}
	return false;
}

/* RFC 3261 §8.2.2.3: 420 listing every Require option-tag we lack.
 * Returns true when it answered. */
static bool check_require(struct txn_srv *st, const struct sip_msg *msg)
{
	struct sip_hdr_iter it;
	struct sip_mb mb;
	struct pl v;
	unsigned n = 0;

	if (!sip_msg_hdr(msg, SIP_HDR_REQUIRE))
		return false;

	sip_mb_init(&mb);
	sip_hdr_iter_init(&it, msg, SIP_HDR_REQUIRE);
	while (sip_hdr_iter_next(&it, &v)) {
		v = pl_trim(v);
		if (!v.l || tag_supported(&v))
			continue;
		/* A hostile list stays bounded: name the first tags only. */
		if (n == 16 || v.l > 64)
			continue;
		sip_mb_puts(&mb, n ? ", " : "Unsupported: ");
		sip_mb_putpl(&mb, &v);
		n++;
	}
	if (!n) {
		sip_mb_free(&mb);
		return false;
	}
	sip_mb_puts(&mb, "\r\n");
	sip_mb_put(&mb, "", 1);
	if (mb.err)
		reply(st, 500, "Out Of Memory", NULL);
	else
		reply(st, 420, NULL, mb.buf);
	sip_mb_free(&mb);
	return true;
}

static void answer_options(struct txn_srv *st)
{
	static const char hdrs[] =
		"Allow: " UAS_ALLOW "\r\n"
		"Accept: application/sdp\r\n"
		"Accept-Encoding: identity\r\n"
		"Accept-Language: en\r\n"
		"Supported:\r\n";

	reply(st, 200, NULL, hdrs);
}

/* RFC 3261 §9.2: 200 to the CANCEL and 487 to the INVITE it cancels,
 * unless that INVITE already has its final response. */
static void answer_cancel(struct uas *u, struct txn_srv *st, const struct sip_msg *msg)
{
	struct txn_srv *inv = txn_srv_cancel_target(u->txn, msg);

	if (!inv) {
		reply(st, 481, NULL, NULL);
		return;
	}
	reply(st, 200, NULL, NULL);
	if (reply(inv, 487, NULL, NULL) == -EPROTO)
		LDEBUG("cancel too late: INVITE already answered");
	mem_deref(inv);
}

static void hold_unlink_locked(struct uas *u, struct hold *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		u->holds = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->next = h->prev = NULL;
}

/* On the hold's worker, after it was unlinked: send the refusal (a
 * CANCEL may have sent 487 already) and release. */
static void hold_finish(struct hold *h)
{
	struct uas *u = h->uas;

	tmr_cancel(&h->tmr);
	log_ctx_set("call_id=%s", h->callid);
	reply(h->st, REFUSE_SCODE, refuse_reason, NULL);
	log_ctx_clear();
	mem_deref(h->st);
	mem_deref(h);

	/* Counted down only now, after the send: uas_drain must not let
	 * the transport stop under a reply on its way out. */
	pthread_mutex_lock(&u->lock);
	u->nholds--;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

static void hold_timeout(void *arg)
{
	struct hold *h = arg;
	struct uas *u = h->uas;

	pthread_mutex_lock(&u->lock);
	hold_unlink_locked(u, h);
	pthread_mutex_unlock(&u->lock);
	hold_finish(h);
}

/* Refuse an INVITE from an unknown source with 403, after reject_delay
 * when one is set (slows scanners down, and a CANCEL can still come).
 * 100 Trying was already sent. */
void uas_refuse_unknown(struct uas *u, struct txn_srv *st, const struct sip_msg *msg)
{
	struct loop *loop = loop_current();
	struct hold *h;

	if (!u->prm.reject_delay_ms || !loop) {
		reply(st, REFUSE_SCODE, refuse_reason, NULL);
		return;
	}

	h = mem_zalloc(sizeof(*h), NULL);
	if (!h) {
		reply(st, 500, "Out Of Memory", NULL);
		return;
	}
	tmr_init(&h->tmr);
	h->uas = u;
	h->loop = loop;
	h->st = mem_ref(st);
	pl_strcpy(&msg->callid, h->callid, sizeof(h->callid));

	pthread_mutex_lock(&u->lock);
	if (atomic_load(&u->draining)) {
		pthread_mutex_unlock(&u->lock);
		mem_deref(h->st);
		mem_deref(h);
		reply(st, REFUSE_SCODE, refuse_reason, NULL);
		return;
	}
	h->next = u->holds;
	if (u->holds)
		u->holds->prev = h;
	u->holds = h;
	u->nholds++;
	tmr_start(&h->tmr, loop, u->prm.reject_delay_ms, hold_timeout, h);
	pthread_mutex_unlock(&u->lock);
}

static void answer_invite(struct uas *u, struct txn_srv *st, const struct sip_msg *msg,
			  const struct tp_pkt *pkt)
{
	struct loop *loop = loop_current();
	struct route_snap *snap = route_snap_acquire();

	if (snap && loop) {
		route_snap_release(snap);
		call_new_invite(u, st, msg, pkt);
		return;
	}
	route_snap_release(snap);

	/* §17.2.1: 100 Trying at once, so the client stops retransmitting. */
	reply(st, 100, NULL, NULL);
	uas_refuse_unknown(u, st, msg);
}

static bool is_in_dialog(const struct sip_msg *msg)
{
	return pl_isset(&msg->to.tag);
}

/* --------------------------- calls --------------------------------- */

enum hop_kind { HOP_MSG = 0, HOP_CANCEL, HOP_RESP };

/** A message for a call owned by another worker, on its way there. */
struct hop {
	struct uas *u;                /* borrowed */
	struct call *c;               /* owned reference */
	struct leg *leg;              /* borrowed (in c) */
	struct txn_srv *st;           /* owned reference or NULL */
	enum hop_kind kind;
	size_t len;
	char buf[];                   /* the message as received */
};

static void hop_destroy(void *data)
{
	struct hop *h = data;

	mem_deref(h->st);
	mem_deref(h->c);
}

/* A 2xx retransmission from the callee: our ACK got lost (§13.2.2.4). */
static void resend_ack(struct uas *u, struct leg *leg, const struct sip_msg *msg)
{
	(void)u;
	if (msg->scode >= 200 && msg->scode < 300)
		relay_resend_ack(leg->call, leg, msg->cseq.num);
}

static void call_run(struct uas *u, struct call *c, struct leg *leg, struct txn_srv *st,
		     enum hop_kind kind, const struct sip_msg *msg)
{
	log_ctx_set("call_id=%s", c->a.callid);
	switch (kind) {
	case HOP_MSG:
		call_dispatch(c, leg, st, msg);
		break;
	case HOP_CANCEL:
		call_cancel(c);
		break;
	case HOP_RESP:
		resend_ack(u, leg, msg);
		break;
	}
	log_ctx_clear();
}

static void hop_run(void *arg)
{
	static _Thread_local struct sip_msg hmsg;
	struct hop *h = arg;
	struct sip_perr perr;

	memset(&hmsg, 0, offsetof(struct sip_msg, hdrv));
	memset(&perr, 0, sizeof(perr));
	if (h->kind == HOP_CANCEL ||
	    !sip_msg_parse(&hmsg, h->buf, h->len, &h->u->prm.limits, &perr))
		call_run(h->u, h->c, h->leg, h->st, h->kind, &hmsg);
	mem_deref(h);
}

/* Run on the call's worker: here and now, or after a hop. */
static void to_call(struct uas *u, struct call *c, struct leg *leg, struct txn_srv *st,
		    enum hop_kind kind, const struct sip_msg *msg, const struct tp_pkt *pkt)
{
	struct hop *h;

	if (c->loop == loop_current()) {
		call_run(u, c, leg, st, kind, msg);
		return;
	}
	h = mem_zalloc(sizeof(*h) + pkt->len, hop_destroy);
	if (!h) {
		if (st)
			reply(st, 500, "Out Of Memory", NULL);
		return;
	}
	h->u = u;
	h->c = mem_ref(c);
	h->leg = leg;
	h->st = mem_ref(st);
	h->kind = kind;
	h->len = pkt->len;
	memcpy(h->buf, pkt->buf, pkt->len);
	if (loop_call(c->loop, hop_run, h)) {
		if (st)
			reply(st, 500, "Worker Unavailable", NULL);
		mem_deref(h);
	}
}

/* An in-dialog request or ACK: the call whose leg has our tag. */
static bool to_dialog(struct uas *u, struct txn_srv *st, const struct sip_msg *msg,
		      const struct tp_pkt *pkt)
{
	struct leg *leg = NULL;
	struct call *c = ctab_find_local(u->tab, &msg->callid, &msg->to.tag, &leg);

	if (!c)
		return false;
	to_call(u, c, leg, st, HOP_MSG, msg, pkt);
	mem_deref(c);
	return true;
}

/* A new request in its server transaction st: the checks of RFC 3261
 * §8.2 in order (method, headers, then the method's own handling). */
static void handle_request(struct uas *u, struct txn_srv *st, const struct sip_msg *msg,
			   const struct tp_pkt *pkt)
{
	enum sip_method m = msg->meth;

	if (atomic_load(&u->draining) && m != SIP_CANCEL) {
		char hdr[40];

		snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", RETRY_AFTER_DRAIN);
		reply(st, 503, "Shutting Down", hdr);
		return;
	}

	/* §8.2.2.1: a Request-URI scheme we do not know. */
	if (msg->uri.sch == SIP_SCHEME_OTHER) {
		reply(st, 416, NULL, NULL);
		return;
	}

	/* Max-Forwards exhausted (§16.3 step 3): the request would have to
	 * go on. OPTIONS and CANCEL are answered by this hop itself (§11,
	 * §9.2), so they never need another hop. */
	if (msg->maxfwd == 0 && m != SIP_OPTIONS && m != SIP_CANCEL) {
		reply(st, 483, NULL, NULL);
		return;
	}

	/* In a dialog of a call: the call relays it, whatever the method
	 * (re-INVITE, UPDATE, INFO, BYE ...). */
	if (is_in_dialog(msg) && m != SIP_CANCEL && to_dialog(u, st, msg, pkt))
		return;

	/* §8.2.1: unknown methods get 501, known ones we do not serve 405. */
	switch (m) {
	case SIP_METHOD_OTHER:
		reply(st, 501, NULL, "Allow: " UAS_ALLOW "\r\n");
		return;
	case SIP_REGISTER: case SIP_PRACK: case SIP_SUBSCRIBE: case SIP_NOTIFY:
	case SIP_PUBLISH: case SIP_INFO: case SIP_REFER: case SIP_MESSAGE:
	case SIP_UPDATE:
		reply(st, 405, NULL, "Allow: " UAS_ALLOW "\r\n");
		return;
	default:
		break;
	}

	if (m == SIP_CANCEL) {
		struct call *c = ctab_find_a(u->tab, &msg->callid, &msg->from.tag);

		if (c) {
			/* §9.2: the CANCEL's own answer at once; the call
			 * answers its INVITE 487 on its worker. */
			reply(st, 200, NULL, NULL);
			to_call(u, c, NULL, NULL, HOP_CANCEL, msg, pkt);
			mem_deref(c);
			return;
		}
		answer_cancel(u, st, msg);  /* Require does not apply (§8.2.2.3) */
		return;
	}
	if (check_require(st, msg))
		return;

	/* No dialog exists yet, so an in-dialog request matches none
	 * (§12.2.2); a BYE is only ever in a dialog (§15.1.2). */
	if (is_in_dialog(msg) || m == SIP_BYE) {
		reply(st, 481, NULL, NULL);
		return;
	}

	switch (m) {
	case SIP_OPTIONS:
		answer_options(st);
		break;
	case SIP_INVITE:
		answer_invite(u, st, msg, pkt);
		break;
	default:
		reply(st, 405, NULL, "Allow: " UAS_ALLOW "\r\n");
		break;
	}
}

/* ----------------------------- entry ------------------------------- */

/* Enough to answer a malformed request: where to send (the top Via's
 * host) and the headers a response copies (RFC 3261 §8.2.6.2). Looser
 * than sip_msg_can_reply(): the reply copies the header lines as they
 * are, so a CSeq that does not parse can still be echoed in the 400 that
 * names it. */
static bool can_answer_bad(const struct sip_msg *msg)
{
	return msg->req && msg->via.host.p && sip_msg_hdr(msg, SIP_HDR_FROM) &&
	       sip_msg_hdr(msg, SIP_HDR_TO) && sip_msg_hdr(msg, SIP_HDR_CALL_ID) &&
	       sip_msg_hdr(msg, SIP_HDR_CSEQ);
}

static void recv_bad(struct uas *u, const struct tp_pkt *pkt, struct sip_msg *msg,
		     const struct sip_perr *perr, int rc)
{
	uint16_t scode = perr->status >= 400 ? perr->status : (rc == -EMSGSIZE ? 413 : 400);
	const char *reason = perr->reason ? perr->reason : sip_reason_phrase(scode);

	/* Over max_message_size the parser stops before the headers. The
	 * datagram is in memory already and bounded (64 KiB), so read the
	 * keys once more without the size limit, only to address the 413. */
	if (rc == -EMSGSIZE && !msg->hdrc && pkt->len <= SIP_MSG_SIZE_DEFAULT) {
		struct sip_limits lim = u->prm.limits;
		struct sip_perr again;

		lim.max_msg_size = SIP_MSG_SIZE_DEFAULT;
		memset(&again, 0, sizeof(again));
		sip_msg_parse(msg, pkt->buf, pkt->len, &lim, &again);
	}

	/* Bytes that start like a Status-Line are a response; any other
	 * garbage counts as a request (it cannot be answered anyway). */
	if (pkt->len >= 4 && !memcmp(pkt->buf, "SIP/", 4)) {
		count(&u->bad_resp);
		LDEBUG("malformed response dropped reason=\"%s\"", reason);
		return;
	}
	count(&u->bad_req);
	/* Never answer an ACK (§17.2.1), nor what cannot carry a reply. */
	if (msg->meth == SIP_ACK || !can_answer_bad(msg)) {
		LDEBUG("malformed request dropped status=%u reason=\"%s\"", scode, reason);
		return;
	}
	LDEBUG("malformed request status=%u reason=\"%s\"", scode, reason);
	reply_stateless(u, pkt, msg, scode, reason);
}

/* The log context of a received message, formatted only when a line is
 * written while it is handled (log_ctx_lazy): most messages log nothing. */
struct rx_ctx {
	const struct sip_msg *msg;
	const struct tp_pkt *pkt;
};

static void rx_ctx_fmt(char *buf, size_t size, const void *arg)
{
	const struct rx_ctx *x = arg;
	struct pl callid = pl_isset(&x->msg->callid) ? x->msg->callid : PL("-");
	char src[SA_FMT_MAX];

	snprintf(buf, size, "call_id=%.*s src=%s/%s", PL_FMT(&callid),
		 tp_proto_name(x->pkt->proto), sa_fmt(&x->pkt->src, src, sizeof(src)));
}

void uas_recv(const struct tp_pkt *pkt, void *arg)
{
	struct uas *u = arg;
	/* Per worker thread: a parsed message is big (SIP_HDR_CAP headers)
	 * and used only during this call. */
	static _Thread_local struct sip_msg msg;
	struct sip_perr perr;
	struct txn_srv *st = NULL;
	struct rx_ctx rx = { &msg, pkt };
	int rc;

	/* Nothing of the previous message may survive a parse that stops
	 * early: a stale view would point into a freed buffer. */
	memset(&msg, 0, offsetof(struct sip_msg, hdrv));
	/* Before any look at "draining" (both seq_cst): uas_drain either
	 * waits for this call or this call sees the drain. */
	atomic_fetch_add(&u->busy, 1);
	memset(&perr, 0, sizeof(perr));
	rc = sip_msg_parse(&msg, pkt->buf, pkt->len, &u->prm.limits, &perr);

	log_ctx_lazy(rx_ctx_fmt, &rx);

	if (rc) {
		recv_bad(u, pkt, &msg, &perr, rc);
		goto out;
	}

	if (!msg.req) {
		count(&u->rx_resp);
		if (!u->txn || txn_cli_recv(u->txn, &msg, pkt) == -ENOENT) {
			struct leg *leg = NULL;
			struct call *c = u->tab ? ctab_find_local(u->tab, &msg.callid,
								  &msg.from.tag, &leg) : NULL;

			if (c) {
				to_call(u, c, leg, NULL, HOP_RESP, &msg, pkt);
				mem_deref(c);
				goto out;
			}
			count(&u->resp_unmatched);
			LDEBUG("response matches no transaction status=%u", msg.scode);
		}
		goto out;
	}

	count(&u->rx_req);
	LDEBUG("request method=%.*s cseq=%u", PL_FMT(&msg.method), msg.cseq.num);
	if (!u->txn)
		goto out;

	rc = txn_srv_recv(u->txn, &msg, pkt, &st);
	if (rc < 0) {
		count(&u->txn_errors);
		LWARN("transaction layer refused request err=%d", rc);
		if (msg.meth != SIP_ACK)
			reply_stateless(u, pkt, &msg, 500, "Transaction Failed");
		goto out;
	}
	switch (rc) {
	case TXN_RX_NEW:
		if (st && msg.meth != SIP_ACK)
			handle_request(u, st, &msg, pkt);
		break;
	case TXN_RX_ABSORBED:
		LDEBUG("retransmission absorbed");
		break;
	case TXN_RX_ACK:
		/* The ACK of a 2xx belongs to the dialog (§13.2.2.4). */
		if (!to_dialog(u, NULL, &msg, pkt))
			LDEBUG("ACK matches no dialog: dropped");
		break;
	default:
		break;
	}
out:
	mem_deref(st);
	log_ctx_clear();
	atomic_fetch_sub(&u->busy, 1);
}

/* ----------------------------- life -------------------------------- */

static void uas_destroy(void *data)
{
	struct uas *u = data;

	relay_free_all(u);
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->cond);
	ctab_free(u->tab);
	call_stats_free(u->stats);
}

int uas_alloc(struct uas **up, const struct uas_prm *prm)
{
	struct uas *u;
	pthread_condattr_t ca;

	if (!up || !prm)
		return -EINVAL;
	u = mem_zalloc(sizeof(*u), uas_destroy);
	if (!u)
		return -ENOMEM;
	u->prm = *prm;
	pthread_mutex_init(&u->lock, NULL);
	/* Monotonic: uas_drain's deadline must not move with the wall clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cond, &ca);
	pthread_condattr_destroy(&ca);
	call_hist_init(u);
	if (ctab_alloc(&u->tab) || call_stats_alloc(&u->stats)) {
		mem_deref(u);
		return -ENOMEM;
	}
	*up = u;
	return 0;
}

void uas_attach(struct uas *u, struct tp *tp, struct txn_stack *txn)
{
	u->tp = tp;
	u->txn = txn;
}

/* On one worker: finish at once every hold that lives there. */
static void flush_worker(void *arg)
{
	struct uas *u = arg;
	struct loop *loop = loop_current();
	struct hold *mine = NULL, *h, *next;

	pthread_mutex_lock(&u->lock);
	for (h = u->holds; h; h = next) {
		next = h->next;
		if (h->loop != loop)
			continue;
		hold_unlink_locked(u, h);
		h->next = mine;
		mine = h;
	}
	pthread_mutex_unlock(&u->lock);

	for (h = mine; h; h = next) {
		next = h->next;
		hold_finish(h);
	}
	call_drain_worker(u);
}

static void flush_tctx(void *arg)
{
	relay_flush_worker(arg);
}

int uas_drain(struct uas *u, uint32_t timeout_ms)
{
	struct timespec ts;
	uint64_t deadline;
	int err = 0;

	if (!u)
		return 0;
	pthread_mutex_lock(&u->lock);
	atomic_store(&u->draining, true);
	pthread_mutex_unlock(&u->lock);
	if (!u->tp)
		return 0;

	for (unsigned i = 0; i < tp_workers(u->tp); i++) {
		struct loop *l = tp_worker_loop(u->tp, i);

		if (l)
			loop_call(l, flush_worker, u);
	}

	/* Wait for held INVITEs to be answered and for messages being
	 * handled right now (they may be about to hold one). Workers do not
	 * signal the end of each message: poll that in short slices. */
	deadline = time_ms() + timeout_ms;
	pthread_mutex_lock(&u->lock);
	while (u->nholds || atomic_load(&u->busy) || u->calls || u->tctxs) {
		uint64_t now = time_ms();

		if (now >= deadline) {
			err = -ETIMEDOUT;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 10 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&u->cond, &u->lock, &ts);
	}
	pthread_mutex_unlock(&u->lock);

	/* BYEs still unanswered: stop waiting for them on their workers
	 * while the transaction stack still runs (their CDRs are written). */
	if (u->tctxs) {
		for (unsigned i = 0; i < tp_workers(u->tp); i++) {
			struct loop *l = tp_worker_loop(u->tp, i);

			if (l)
				loop_call(l, flush_tctx, u);
		}
		deadline = time_ms() + 500;
		while (time_ms() < deadline) {
			bool left;

			pthread_mutex_lock(&u->lock);
			left = u->tctxs != NULL;
			pthread_mutex_unlock(&u->lock);
			if (!left)
				break;
			nanosleep(&(struct timespec){ 0, 5 * 1000000L }, NULL);
		}
	}
	return err;
}

void uas_stats_get(const struct uas *u, struct uas_stats *st)
{
	st->rx_req = atomic_load(&u->rx_req);
	st->rx_resp = atomic_load(&u->rx_resp);
	st->bad_req = atomic_load(&u->bad_req);
	st->bad_resp = atomic_load(&u->bad_resp);
	st->stateless_replies = atomic_load(&u->stateless);
	st->resp_unmatched = atomic_load(&u->resp_unmatched);
	st->txn_errors = atomic_load(&u->txn_errors);
	st->calls_active = atomic_load(&u->calls_active);
	st->calls_started = atomic_load(&u->calls_started);
	st->calls_answered = atomic_load(&u->calls_answered);
	st->calls_failed = atomic_load(&u->calls_failed);
	st->cdr_submitted = atomic_load(&u->cdr_submitted);
	st->cdr_lost = atomic_load(&u->cdr_lost);
}
