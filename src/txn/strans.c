/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file strans.c  Server transactions: INVITE (§17.2.1 with the RFC 6026
 *                 "Accepted" state) and non-INVITE (§17.2.2), matching
 *                 (§17.2.3, RFC 2543 fallback), ACK and CANCEL (§9.2).
 *
 * Threads: a server transaction belongs to the worker that created it;
 * its timers run on that worker's loop. Retransmissions may arrive on, and
 * txn_srv_reply() may be called from, any thread: the state lives under
 * st->lock, and a state change made off the owner loop asks the owner loop
 * (loop_call) to re-arm the timers. Timers follow the state: srv_arm()
 * arms the set of the current state once (st->armed remembers for which).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "txn_int.h"

#define LOG_MOD "txn"

enum state {
	TRYING = 0,      /* non-INVITE: no response yet */
	PROCEEDING,      /* INVITE from creation; non-INVITE after a 1xx */
	COMPLETED,       /* final sent (INVITE: 300-699): timers G/H or J */
	CONFIRMED,       /* INVITE: ACK arrived, timer I */
	ACCEPTED,        /* INVITE: 2xx sent (RFC 6026), timer L */
	TERMINATED,
};

struct txn_srv {
	struct txn_le le;           /* server table link */
	struct txn_stack *s;        /* borrowed: outlives its transactions */
	struct loop *loop;          /* borrowed: owner worker's loop */
	pthread_mutex_t lock;       /* guards state, resp, acktag */
	enum state state;
	enum state armed;           /* state whose timers are armed (owner loop) */
	bool invite;
	bool reliable;              /* timers I and J are zero */
	bool cookie;                /* branch has z9hG4bK: §17.2.3 matching */
	char *req;                  /* owned: copy of the request */
	size_t reqlen;
	struct sip_msg *msg;        /* owned (mem): req parsed; ~12 KB, see README */
	enum tp_proto proto;
	struct sa dst;              /* where responses go (§18.2.2) */
	struct tp_conn *conn;       /* owned reference; NULL for UDP */
	char *resp;                 /* owned: last response sent */
	size_t resplen;
	uint16_t scode;             /* of resp, 0 before any */
	char *acktag;               /* owned: To tag of the final (RFC 2543 ACK matching) */
	char totag[SIP_TAG_LEN + 1];  /* tag for txn_srv_reply_simple */
	uint64_t g_ival;            /* current timer G interval */
	struct tmr tmr_retx;        /* G */
	struct tmr tmr_end;         /* H, I, J, L */
};

/* What a match looks for. */
enum match_kind {
	MATCH_SAME,      /* a retransmission of the request */
	MATCH_ACK,       /* ACK: the INVITE it acknowledges */
	MATCH_CANCEL,    /* CANCEL: the INVITE it cancels (§9.2) */
};

struct srv_match {
	const struct sip_msg *req;
	enum match_kind kind;
	bool cookie;
};

static void srv_destroy(void *arg)
{
	struct txn_srv *st = arg;

	/* Unlinked and idle by now: the table reference, the last one before
	 * the TU's, is dropped only after terminate cancelled the timers. */
	free(st->req);
	free(st->resp);
	free(st->acktag);
	mem_deref(st->msg);
	mem_deref(st->conn);
	pthread_mutex_destroy(&st->lock);
}

static bool pl_same(const struct pl *a, const struct pl *b)
{
	if (!a->p || !b->p)
		return !a->p && !b->p;
	return a->l == b->l && !memcmp(a->p, b->p, a->l);
}

static bool tag_eq_str(const struct pl *tag, const char *s)
{
	if (!s)
		return !tag->p;
	return tag->p && pl_eq_str(tag, s);
}

static bool srv_match(void *obj, const void *arg)
{
	const struct txn_srv *st = obj;
	const struct srv_match *ma = arg;
	const struct sip_msg *a = st->msg, *b = ma->req;

	if (st->cookie != ma->cookie)
		return false;
	if (ma->kind != MATCH_SAME && !st->invite)
		return false;

	if (st->cookie) {
		/* §17.2.3: branch, sent-by, and the method (INVITE for an ACK;
		 * a CANCEL matches its target with method INVITE too, §9.2). */
		if (!pl_same(&a->via.branch, &b->via.branch))
			return false;
		if (pl_casecmp(&a->via.host, &b->via.host) || a->via.port != b->via.port)
			return false;
		if (ma->kind == MATCH_SAME)
			return pl_same(&a->method, &b->method);
		return true;
	}

	/* RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq number,
	 * top Via; To tag and CSeq method by kind. */
	if (!pl_same(&a->ruri, &b->ruri) || !pl_same(&a->from.tag, &b->from.tag) ||
	    !pl_same(&a->callid, &b->callid) || a->cseq.num != b->cseq.num ||
	    !pl_same(&a->via.val, &b->via.val))
		return false;

	switch (ma->kind) {

	case MATCH_SAME:
		return pl_same(&a->method, &b->method) && pl_same(&a->to.tag, &b->to.tag);

	case MATCH_CANCEL:
		return pl_same(&a->to.tag, &b->to.tag);

	case MATCH_ACK: {
		/* The ACK of a non-2xx carries the To tag of our response. Lock
		 * order is stripe lock, then transaction lock. */
		struct txn_srv *m = (struct txn_srv *)st;
		bool eq;

		pthread_mutex_lock(&m->lock);
		eq = m->acktag ? tag_eq_str(&b->to.tag, m->acktag)
			       : pl_same(&a->to.tag, &b->to.tag);
		pthread_mutex_unlock(&m->lock);
		return eq;
	}
	}
	return false;
}

static uint64_t srv_key(const struct sip_msg *req, bool cookie, const struct pl *method)
{
	if (cookie)
		return txn_key_cookie(&req->via.branch, &req->via.host, req->via.port, method);
	return txn_key_2543(req);
}

/* ----------------------------- timers ----------------------------- */

static void srv_terminate(struct txn_srv *st)
{
	if (txn_tbl_unlink(&st->s->srv, &st->le)) {
		atomic_fetch_sub(&st->s->active_srv, 1);
		mem_deref(st);  /* the table's reference */
	}
}

static void srv_arm(struct txn_srv *st);

/* Timer G: retransmit the final response, doubling up to T2 (§17.2.1). */
static void tmr_retx_h(void *arg)
{
	struct txn_srv *st = arg;
	const struct txn_cfg *cfg = &st->s->cfg;

	pthread_mutex_lock(&st->lock);
	if (st->state == COMPLETED && st->armed == COMPLETED && st->resp) {
		int err = tp_send(st->s->tp, st->proto, &st->dst, st->conn, st->resp,
				  st->resplen);
		if (err)
			LDEBUG("msg=\"retransmit failed\" err=%d", err);
		st->g_ival = st->g_ival * 2 < cfg->t2 ? st->g_ival * 2 : cfg->t2;
		tmr_start(&st->tmr_retx, st->loop, st->g_ival, tmr_retx_h, st);
	}
	pthread_mutex_unlock(&st->lock);
}

/* Timers H, I, J, L: the end of the transaction in their state. */
static void tmr_end_h(void *arg)
{
	struct txn_srv *st = arg;

	pthread_mutex_lock(&st->lock);
	if (st->armed != st->state) {
		/* The state moved on another thread and its re-arm request is
		 * still queued: this timer belonged to the old state. */
		srv_arm(st);
		pthread_mutex_unlock(&st->lock);
		return;
	}
	if (st->invite && st->state == COMPLETED)
		LINFO("msg=\"no ACK\" timer=H scode=%u call_id=%.*s",
		      st->scode, PL_FMT(&st->msg->callid));
	st->state = TERMINATED;
	tmr_cancel(&st->tmr_retx);
	pthread_mutex_unlock(&st->lock);
	srv_terminate(st);
}

/* Arm the timers of the current state. Owner loop, st->lock held. */
static void srv_arm(struct txn_srv *st)
{
	const struct txn_cfg *cfg = &st->s->cfg;

	if (st->armed == st->state)
		return;
	tmr_cancel(&st->tmr_retx);
	tmr_cancel(&st->tmr_end);
	st->armed = st->state;

	switch (st->state) {

	case COMPLETED:
		if (st->invite) {
			/* Timer G (unreliable only) and timer H = 64*T1. */
			if (!st->reliable) {
				st->g_ival = cfg->t1;
				tmr_start(&st->tmr_retx, st->loop, st->g_ival, tmr_retx_h, st);
			}
			tmr_start(&st->tmr_end, st->loop, txn_t64(st->s), tmr_end_h, st);
		}
		else {
			/* Timer J: 64*T1 unreliable, zero reliable. */
			tmr_start(&st->tmr_end, st->loop, st->reliable ? 0 : txn_t64(st->s),
				  tmr_end_h, st);
		}
		break;

	case CONFIRMED:
		/* Timer I: T4 unreliable, zero reliable. */
		tmr_start(&st->tmr_end, st->loop, st->reliable ? 0 : cfg->t4, tmr_end_h, st);
		break;

	case ACCEPTED:
		/* Timer L (RFC 6026): 64*T1. */
		tmr_start(&st->tmr_end, st->loop, txn_t64(st->s), tmr_end_h, st);
		break;

	default:
		break;
	}
}

static void sync_h(void *arg)
{
	struct txn_srv *st = arg;

	pthread_mutex_lock(&st->lock);
	if (st->state != TERMINATED)
		srv_arm(st);
	pthread_mutex_unlock(&st->lock);
	mem_deref(st);
}

/* After a state change: arm its timers on the owner loop. */
static void srv_sync(struct txn_srv *st)
{
	int err;

	if (loop_current() == st->loop) {
		sync_h(mem_ref(st));
		return;
	}
	err = loop_call(st->loop, sync_h, mem_ref(st));
	if (err) {
		LERR("msg=\"cannot reach owner loop\" err=%d", err);
		mem_deref(st);
	}
}

/* ------------------------------ receive --------------------------- */

/* A retransmitted request: resend the last response, if any. */
static void srv_absorb(struct txn_srv *st)
{
	atomic_fetch_add(&st->s->srv_absorbed, 1);
	pthread_mutex_lock(&st->lock);
	/* In Accepted (RFC 6026) retransmitting the 2xx is the TU's job. */
	if (st->resp && (st->state == PROCEEDING || st->state == TRYING ||
			 st->state == COMPLETED)) {
		int err = tp_send(st->s->tp, st->proto, &st->dst, st->conn, st->resp,
				  st->resplen);
		if (err)
			LDEBUG("msg=\"resend failed\" err=%d", err);
	}
	pthread_mutex_unlock(&st->lock);
}

static int srv_ack(struct txn_stack *s, const struct sip_msg *ack, bool cookie)
{
	struct srv_match ma = { .req = ack, .kind = MATCH_ACK, .cookie = cookie };
	struct txn_srv *st;
	bool changed = false;
	int rx = TXN_RX_ABSORBED;

	st = txn_tbl_find(&s->srv, srv_key(ack, cookie, &PL("INVITE")), srv_match, &ma);
	if (!st)
		return TXN_RX_ACK;

	pthread_mutex_lock(&st->lock);
	switch (st->state) {

	case COMPLETED:
		st->state = CONFIRMED;  /* timer I */
		changed = true;
		break;

	case ACCEPTED:
		/* An ACK of our 2xx (same branch: RFC 2543 peers, or a
		 * non-compliant one): for the TU. */
		rx = TXN_RX_ACK;
		break;

	default:
		/* Confirmed: retransmitted ACK. Proceeding: no final yet. */
		break;
	}
	pthread_mutex_unlock(&st->lock);

	if (rx == TXN_RX_ABSORBED)
		atomic_fetch_add(&s->srv_absorbed, 1);
	if (changed)
		srv_sync(st);
	mem_deref(st);
	return rx;
}

static int srv_alloc(struct txn_srv **stp, struct txn_stack *s, const struct sip_msg *req,
		     const struct tp_pkt *pkt, bool cookie, uint64_t key)
{
	struct sip_limits lim = sip_limits_default;
	struct sip_perr perr;
	struct tp_conn *conn = NULL;
	struct txn_srv *st;
	int err;

	st = mem_zalloc(sizeof(*st), srv_destroy);
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	tmr_init(&st->tmr_retx);
	tmr_init(&st->tmr_end);
	st->le.obj = st;
	st->le.key = key;
	st->s = s;
	st->loop = loop_current();
	if (!st->loop)
		st->loop = tp_worker_loop(s->tp, pkt->worker);
	st->invite = req->meth == SIP_INVITE;
	st->state = st->invite ? PROCEEDING : TRYING;
	st->armed = st->state;
	st->cookie = cookie;
	st->proto = pkt->proto;
	st->reliable = pkt->proto != TP_UDP;

	err = sip_tag_new(st->totag);
	if (err)
		goto out;

	/* Own a copy of the request and parse it again in place: the views
	 * of the caller's message point into the receive buffer. */
	st->reqlen = req->len;
	st->req = malloc(req->len ? req->len : 1);
	st->msg = mem_zalloc(sizeof(*st->msg), NULL);
	if (!st->req || !st->msg) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(st->req, req->buf, req->len);
	/* It parsed once under the transport's limits; do not refuse it here. */
	lim.max_msg_size = req->len;
	lim.max_headers = SIP_HDR_CAP;
	lim.max_hdr_len = req->len;
	err = sip_msg_parse(st->msg, st->req, st->reqlen, &lim, &perr);
	if (err)
		goto out;

	err = tp_resp_dst(&st->msg->via, pkt, &st->dst, &conn);
	if (err)
		goto out;
	st->conn = mem_ref(conn);

 out:
	if (err)
		mem_deref(st);
	else
		*stp = st;
	return err;
}

int txn_srv_recv(struct txn_stack *s, const struct sip_msg *req,
		 const struct tp_pkt *pkt, struct txn_srv **stp)
{
	struct srv_match ma = { .req = req, .kind = MATCH_SAME };
	struct txn_srv *st, *other;
	uint64_t key;
	int err;

	if (!s || !req || !pkt || !req->req)
		return -EINVAL;

	ma.cookie = txn_branch_cookie(&req->via.branch);
	if (req->meth == SIP_ACK)
		return srv_ack(s, req, ma.cookie);

	key = srv_key(req, ma.cookie, &req->method);
	st = txn_tbl_find(&s->srv, key, srv_match, &ma);
	if (st) {
		srv_absorb(st);
		mem_deref(st);
		return TXN_RX_ABSORBED;
	}

	err = srv_alloc(&st, s, req, pkt, ma.cookie, key);
	if (err)
		return err;

	/* Another worker may have created it meanwhile (same datagram read
	 * twice on two sockets): insert only when still absent. */
	other = txn_tbl_insert(&s->srv, &st->le, srv_match, &ma);
	if (other) {
		mem_deref(st);
		srv_absorb(other);
		mem_deref(other);
		return TXN_RX_ABSORBED;
	}
	atomic_fetch_add(&s->srv_created, 1);
	atomic_fetch_add(&s->active_srv, 1);

	if (stp)
		*stp = st;
	else
		mem_deref(st);
	return TXN_RX_NEW;
}

/* ------------------------------ reply ----------------------------- */

/* The To tag of a response we send, for matching the ACK of an RFC 2543
 * peer. Parsing needs a struct sip_msg: only on that rare path. */
static char *resp_totag(const char *buf, size_t len)
{
	struct sip_limits lim = sip_limits_default;
	struct sip_perr perr;
	struct sip_msg *m = malloc(sizeof(*m));
	char *tag = NULL;

	if (!m)
		return NULL;
	lim.max_msg_size = len;
	lim.max_headers = SIP_HDR_CAP;
	lim.max_hdr_len = len;
	if (!sip_msg_parse(m, buf, len, &lim, &perr) && m->to.tag.p)
		tag = pl_strdup(&m->to.tag);
	free(m);
	return tag;
}

int txn_srv_reply(struct txn_srv *st, uint16_t scode, const char *buf, size_t len)
{
	enum state next;
	char *copy, *acktag = NULL;
	bool changed;
	int err = 0;

	if (!st || !buf || !len || scode < 100 || scode > 699)
		return -EINVAL;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	if (st->invite && !st->cookie && scode >= 300)
		acktag = resp_totag(buf, len);

	pthread_mutex_lock(&st->lock);
	switch (st->state) {

	case TRYING:
	case PROCEEDING:
		if (scode < 200)
			next = PROCEEDING;
		else if (st->invite && scode < 300)
			next = ACCEPTED;   /* RFC 6026, timer L */
		else
			next = COMPLETED;  /* timers G+H, or J */
		break;

	case ACCEPTED:
		/* The TU retransmits its 2xx through the transaction. */
		if (scode >= 200 && scode < 300) {
			next = ACCEPTED;
			break;
		}
		err = -EPROTO;
		goto unlock;

	default:
		err = -EPROTO;
		goto unlock;
	}

	free(st->resp);
	st->resp = copy;
	st->resplen = len;
	st->scode = scode;
	copy = NULL;
	if (acktag) {
		free(st->acktag);
		st->acktag = acktag;
		acktag = NULL;
	}
	changed = next != st->state;
	st->state = next;
	err = tp_send(st->s->tp, st->proto, &st->dst, st->conn, st->resp, st->resplen);
	if (err)
		LWARN("msg=\"send failed\" scode=%u err=%d", scode, err);
	pthread_mutex_unlock(&st->lock);

	if (changed)
		srv_sync(st);
	return err;

 unlock:
	pthread_mutex_unlock(&st->lock);
	free(copy);
	free(acktag);
	return err;
}

int txn_srv_reply_simple(struct txn_srv *st, uint16_t scode, const char *reason,
			 const char *extra_hdrs)
{
	struct sip_mb mb;
	int err;

	if (!st)
		return -EINVAL;
	sip_mb_init(&mb);
	/* One tag per transaction: a re-sent reply has the same bytes. */
	err = sip_reply_build(&mb, st->msg, scode, reason, st->totag, extra_hdrs, NULL, NULL);
	if (!err)
		err = mb.err;
	if (!err)
		err = txn_srv_reply(st, scode, mb.buf, mb.len);
	sip_mb_free(&mb);
	return err;
}

const struct sip_msg *txn_srv_request(const struct txn_srv *st)
{
	return st ? st->msg : NULL;
}

struct txn_srv *txn_srv_cancel_target(struct txn_stack *s, const struct sip_msg *cancel)
{
	struct srv_match ma = { .req = cancel, .kind = MATCH_CANCEL };

	if (!s || !cancel)
		return NULL;
	ma.cookie = txn_branch_cookie(&cancel->via.branch);
	return txn_tbl_find(&s->srv, srv_key(cancel, ma.cookie, &PL("INVITE")), srv_match, &ma);
}

/* Stack teardown, workers stopped: timers may be cancelled from here. */
void txn_srv_flush_h(void *obj)
{
	struct txn_srv *st = obj;

	pthread_mutex_lock(&st->lock);
	st->state = TERMINATED;
	tmr_cancel(&st->tmr_retx);
	tmr_cancel(&st->tmr_end);
	pthread_mutex_unlock(&st->lock);
	atomic_fetch_sub(&st->s->active_srv, 1);
	mem_deref(st);
}
