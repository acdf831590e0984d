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
 *
 * Memory: a transaction is one block holding the struct and the bytes of
 * its matching keys (views into that block's tail), plus a copy of the
 * request until the final response and a copy of its last response. No
 * parsed struct sip_msg (~15 KB for SIP_HDR_CAP headers) is kept:
 * responses are built from a parse on the stack, and txn_srv_request()
 * parses on first use only. Transactions live for timer J or L (32 s)
 * after their final, where they only absorb retransmissions: the request
 * is freed then (RFC 3261 §17.2.1-2 and RFC 6026 re-send responses, never
 * the request), which leaves ~350 bytes per lingering transaction plus
 * its response when one is kept.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "txn_int.h"

#define LOG_MOD "txn"

/* The keys of struct txn_skeys kept as bytes in keys[]: the views are
 * made when matching (16 bytes each would cost 100 more per transaction). */
enum { SK_BRANCH, SK_HOST, SK_METHOD, SK_CALLID, SK_RURI, SK_FTAG, SK_TTAG, SK_VIA, SK_N };
enum { KEY_NONE = 0xffff, KEYS_MAX = 0xfff0 };

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
	/* txn_lock(s, st) guards state, resp, acktag, msg, req */
	struct tp_conn *conn;       /* owned reference; NULL for UDP */
	char *resp;                 /* owned: last response sent */
	char *req;                  /* owned: copy of the request, NULL after the
	                               final (unless msg holds a parse of it) */
	struct sip_msg *msg;        /* owned (mem), NULL until txn_srv_request() */
	struct sa dst;              /* where responses go (§18.2.2) */
	struct tmr tmr;             /* G until end_at, H; I, J, L (srv_tmr_h) */
	uint64_t end_at;            /* time_ms() when timer H fires (with G) */
	enum state state;
	enum state armed;           /* state whose timers are armed (owner loop) */
	enum tp_proto proto;
	uint32_t resplen;
	uint32_t reqlen;
	uint32_t g_ival;            /* current timer G interval */
	uint32_t cseq;              /* CSeq number */
	uint16_t scode;             /* of resp, 0 before any */
	uint16_t port;              /* top Via sent-by port, 0 when absent */
	uint16_t ack_off, ack_len;  /* To tag of the final in resp (RFC 2543 ACK
	                               matching), ack_len KEY_NONE if none */
	uint16_t koff[SK_N];        /* the matching keys (struct txn_skeys, */
	uint16_t klen[SK_N];        /*   srv_keys()): bytes in keys[], KEY_NONE absent */
	uint16_t keylen;            /* bytes of keys[] */
	bool invite;
	bool reliable;              /* timers I and J are zero */
	bool cookie;                /* branch has z9hG4bK: §17.2.3 matching */
	char keys[];                /* the bytes of the keys */
};

_Static_assert(offsetof(struct txn_srv, le) == 0, "the table link comes first");

/* What a match looks for. */
enum match_kind {
	MATCH_SAME,      /* a retransmission of the request */
	MATCH_ACK,       /* ACK: the INVITE it acknowledges */
	MATCH_CANCEL,    /* CANCEL: the INVITE it cancels (§9.2) */
};

struct srv_match {
	struct txn_skeys k;         /* of the arriving request */
	enum match_kind kind;
	bool cookie;
};

/* Heap bytes of a block of n bytes from malloc / mem_zalloc. */
static inline int64_t heap_bytes(size_t n, bool mem)
{
	return (int64_t)n + (mem ? TXN_MEM_OVERHEAD : TXN_ALLOC_OVERHEAD);
}

static void srv_destroy(void *arg)
{
	struct txn_srv *st = arg;
	int64_t bytes = heap_bytes(offsetof(struct txn_srv, keys) + st->keylen, true);

	/* Unlinked and idle by now: the table reference, the last one before
	 * the TU's, is dropped only after terminate cancelled the timers. */
	if (st->req)
		bytes += heap_bytes(st->reqlen, false);
	if (st->resp)
		bytes += heap_bytes(st->resplen, false);
	if (st->msg)
		bytes += heap_bytes(sizeof(*st->msg), true);
	atomic_fetch_sub(&st->s->srv_bytes, bytes);
	free(st->req);
	free(st->resp);
	mem_deref(st->msg);
	mem_deref(st->conn);
}

static struct pl srv_key_pl(const struct txn_srv *st, unsigned i)
{
	if (st->klen[i] == KEY_NONE)
		return (struct pl)PL_INIT;
	return pl_from(st->keys + st->koff[i], st->klen[i]);
}

/* The transaction's keys as views into its block. */
static void srv_keys(const struct txn_srv *st, struct txn_skeys *k)
{
	k->branch = srv_key_pl(st, SK_BRANCH);
	k->host = srv_key_pl(st, SK_HOST);
	k->method = srv_key_pl(st, SK_METHOD);
	k->callid = srv_key_pl(st, SK_CALLID);
	k->ruri = srv_key_pl(st, SK_RURI);
	k->ftag = srv_key_pl(st, SK_FTAG);
	k->ttag = srv_key_pl(st, SK_TTAG);
	k->via = srv_key_pl(st, SK_VIA);
	k->cseq = st->cseq;
	k->port = st->port;
}

static bool pl_same(const struct pl *a, const struct pl *b)
{
	if (!a->p || !b->p)
		return !a->p && !b->p;
	return a->l == b->l && !memcmp(a->p, b->p, a->l);
}

static bool srv_match(void *obj, const void *arg)
{
	const struct txn_srv *st = obj;
	const struct srv_match *ma = arg;
	const struct txn_skeys *b = &ma->k;
	struct txn_skeys ka;
	const struct txn_skeys *a = &ka;

	if (st->cookie != ma->cookie)
		return false;
	if (ma->kind != MATCH_SAME && !st->invite)
		return false;
	srv_keys(st, &ka);

	if (st->cookie) {
		/* §17.2.3: branch, sent-by, and the method (INVITE for an ACK;
		 * a CANCEL matches its target with method INVITE too, §9.2). */
		if (!pl_same(&a->branch, &b->branch))
			return false;
		if (pl_casecmp(&a->host, &b->host) || a->port != b->port)
			return false;
		if (ma->kind == MATCH_SAME)
			return pl_same(&a->method, &b->method);
		return true;
	}

	/* RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq number,
	 * top Via; To tag and CSeq method by kind. */
	if (!pl_same(&a->ruri, &b->ruri) || !pl_same(&a->ftag, &b->ftag) ||
	    !pl_same(&a->callid, &b->callid) || a->cseq != b->cseq ||
	    !pl_same(&a->via, &b->via))
		return false;

	switch (ma->kind) {

	case MATCH_SAME:
		return pl_same(&a->method, &b->method) && pl_same(&a->ttag, &b->ttag);

	case MATCH_CANCEL:
		return pl_same(&a->ttag, &b->ttag);

	case MATCH_ACK: {
		/* The ACK of a non-2xx carries the To tag of our response. Lock
		 * order is stripe lock, then transaction lock. */
		struct txn_srv *m = (struct txn_srv *)st;
		bool eq;

		pthread_mutex_lock(txn_lock(m->s, m));
		if (m->ack_len != KEY_NONE) {
			struct pl acktag = pl_from(m->resp + m->ack_off, m->ack_len);

			eq = pl_same(&b->ttag, &acktag);
		} else {
			eq = pl_same(&a->ttag, &b->ttag);
		}
		pthread_mutex_unlock(txn_lock(m->s, m));
		return eq;
	}
	}
	return false;
}

static uint64_t srv_key(const struct txn_skeys *k, bool cookie, const struct pl *method)
{
	if (cookie)
		return txn_key_cookie(&k->branch, &k->host, k->port, method);
	return txn_key_2543(k);
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

/*
 * The transaction's one timer: timer G (INVITE in Completed, unreliable
 * transport: retransmit the final, doubling up to T2, §17.2.1) until
 * end_at, then H; or I, J, L alone: the end of the transaction in their
 * state. One timer, not two: 48 bytes less per lingering transaction.
 */
static void srv_tmr_h(void *arg)
{
	struct txn_srv *st = arg;
	const struct txn_cfg *cfg = &st->s->cfg;

	pthread_mutex_lock(txn_lock(st->s, st));
	if (st->armed != st->state) {
		/* The state moved on another thread and its re-arm request is
		 * still queued: this timer belonged to the old state. */
		srv_arm(st);
		pthread_mutex_unlock(txn_lock(st->s, st));
		return;
	}
	if (st->state == COMPLETED && st->invite && !st->reliable) {
		uint64_t now = time_ms();

		if (now < st->end_at) {
			/* Timer G */
			if (st->resp) {
				int err = tp_send(st->s->tp, st->proto, &st->dst, st->conn,
						  st->resp, st->resplen);
				if (err)
					LDEBUG("msg=\"retransmit failed\" err=%d", err);
			}
			st->g_ival = st->g_ival * 2 < cfg->t2 ? st->g_ival * 2 : cfg->t2;
			tmr_start(&st->tmr, st->loop,
				  st->g_ival < st->end_at - now ? st->g_ival : st->end_at - now,
				  srv_tmr_h, st);
			pthread_mutex_unlock(txn_lock(st->s, st));
			return;
		}
	}
	if (st->invite && st->state == COMPLETED) {
		struct pl callid = srv_key_pl(st, SK_CALLID);

		LINFO("msg=\"no ACK\" timer=H scode=%u call_id=%.*s",
		      st->scode, PL_FMT(&callid));
	}
	st->state = TERMINATED;
	pthread_mutex_unlock(txn_lock(st->s, st));
	srv_terminate(st);
}

/* Arm the timer of the current state. Owner loop, txn_lock held. */
static void srv_arm(struct txn_srv *st)
{
	const struct txn_cfg *cfg = &st->s->cfg;

	if (st->armed == st->state)
		return;
	tmr_cancel(&st->tmr);
	st->armed = st->state;

	switch (st->state) {

	case COMPLETED:
		if (st->invite) {
			/* Timer G (unreliable only) and timer H = 64*T1. */
			if (!st->reliable) {
				st->g_ival = cfg->t1;
				st->end_at = time_ms() + txn_t64(st->s);
				tmr_start(&st->tmr, st->loop, st->g_ival, srv_tmr_h, st);
			} else {
				tmr_start(&st->tmr, st->loop, txn_t64(st->s), srv_tmr_h, st);
			}
		}
		else {
			/* Timer J: 64*T1 unreliable, zero reliable. */
			tmr_start(&st->tmr, st->loop, st->reliable ? 0 : txn_t64(st->s),
				  srv_tmr_h, st);
		}
		break;

	case CONFIRMED:
		/* Timer I: T4 unreliable, zero reliable. */
		tmr_start(&st->tmr, st->loop, st->reliable ? 0 : cfg->t4, srv_tmr_h, st);
		break;

	case ACCEPTED:
		/* Timer L (RFC 6026): 64*T1. */
		tmr_start(&st->tmr, st->loop, txn_t64(st->s), srv_tmr_h, st);
		break;

	default:
		break;
	}
}

static void sync_h(void *arg)
{
	struct txn_srv *st = arg;

	pthread_mutex_lock(txn_lock(st->s, st));
	if (st->state != TERMINATED)
		srv_arm(st);
	pthread_mutex_unlock(txn_lock(st->s, st));
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
	pthread_mutex_lock(txn_lock(st->s, st));
	/* In Accepted (RFC 6026) retransmitting the 2xx is the TU's job. */
	if (st->resp && (st->state == PROCEEDING || st->state == TRYING ||
			 st->state == COMPLETED)) {
		int err = tp_send(st->s->tp, st->proto, &st->dst, st->conn, st->resp,
				  st->resplen);
		if (err)
			LDEBUG("msg=\"resend failed\" err=%d", err);
	}
	pthread_mutex_unlock(txn_lock(st->s, st));
}

static int srv_ack(struct txn_stack *s, struct srv_match *ma)
{
	struct txn_srv *st;
	bool changed = false;
	int rx = TXN_RX_ABSORBED;

	ma->kind = MATCH_ACK;
	st = txn_tbl_find(&s->srv, srv_key(&ma->k, ma->cookie, &PL("INVITE")), srv_match, ma);
	if (!st)
		return TXN_RX_ACK;

	pthread_mutex_lock(txn_lock(st->s, st));
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
	pthread_mutex_unlock(txn_lock(st->s, st));

	if (rx == TXN_RX_ABSORBED)
		atomic_fetch_add(&s->srv_absorbed, 1);
	if (changed)
		srv_sync(st);
	mem_deref(st);
	return rx;
}

static bool in_msg(const struct pl *v, const struct sip_msg *req)
{
	return !v->p || (v->p >= req->buf && v->l <= req->len &&
			 (size_t)(v->p - req->buf) <= req->len - v->l);
}

static int srv_alloc(struct txn_srv **stp, struct txn_stack *s, const struct sip_msg *req,
		     const struct tp_pkt *pkt, const struct srv_match *ma, uint64_t key)
{
	const struct pl *kv[SK_N] = {
		[SK_BRANCH] = &ma->k.branch, [SK_HOST] = &ma->k.host, [SK_METHOD] = &ma->k.method,
		[SK_CALLID] = &ma->k.callid, [SK_RURI] = &ma->k.ruri, [SK_FTAG] = &ma->k.ftag,
		[SK_TTAG] = &ma->k.ttag, [SK_VIA] = &ma->k.via,
	};
	/* §17.2.3 matching needs branch, sent-by and method (the Call-ID
	 * is for logs); the RFC 2543 fallback needs all of them. */
	const size_t nkeys = ma->cookie ? SK_RURI : SK_N;
	struct tp_conn *conn = NULL;
	struct sa dst;
	struct txn_srv *st;
	size_t keylen = 0;
	char *p;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(kv); i++) {
		if (!in_msg(kv[i], req))
			return -EINVAL;
	}
	for (size_t i = 0; i < nkeys; i++)
		keylen += kv[i]->l;
	if (keylen > KEYS_MAX)
		return -EMSGSIZE;
	err = tp_resp_dst(&req->via, pkt, &dst, &conn);
	if (err)
		return err;

	/* One block for the struct and the keys' bytes, which outlive the
	 * copy of the request (the receive buffer is reused after this call). */
	p = malloc(req->len);
	st = p ? mem_zalloc(offsetof(struct txn_srv, keys) + keylen, srv_destroy) : NULL;
	if (!st) {
		free(p);
		return -ENOMEM;
	}
	tmr_init(&st->tmr);
	st->le.key = key;
	st->s = s;
	st->req = p;
	st->loop = loop_current();
	if (!st->loop)
		st->loop = tp_worker_loop(s->tp, pkt->worker);
	st->invite = req->meth == SIP_INVITE;
	st->state = st->invite ? PROCEEDING : TRYING;
	st->armed = st->state;
	st->cookie = ma->cookie;
	st->proto = pkt->proto;
	st->reliable = pkt->proto != TP_UDP;
	st->dst = dst;
	st->conn = mem_ref(conn);
	st->reqlen = (uint32_t)req->len;
	memcpy(st->req, req->buf, req->len);
	st->keylen = (uint16_t)keylen;
	st->ack_len = KEY_NONE;

	st->cseq = ma->k.cseq;
	st->port = ma->k.port;
	p = st->keys;
	for (size_t i = 0; i < SK_N; i++) {
		st->koff[i] = (uint16_t)(p - st->keys);
		st->klen[i] = KEY_NONE;
		if (i < nkeys && kv[i]->p) {
			if (kv[i]->l)
				memcpy(p, kv[i]->p, kv[i]->l);
			st->klen[i] = (uint16_t)kv[i]->l;
			p += kv[i]->l;
		}
	}

	atomic_fetch_add(&s->srv_bytes, heap_bytes(offsetof(struct txn_srv, keys) + keylen, true) +
			 heap_bytes(st->reqlen, false));
	*stp = st;
	return 0;
}

int txn_srv_recv(struct txn_stack *s, const struct sip_msg *req,
		 const struct tp_pkt *pkt, struct txn_srv **stp)
{
	struct srv_match ma = { .kind = MATCH_SAME };
	struct txn_srv *st, *other;
	uint64_t key;
	int err;

	if (!s || !req || !pkt || !req->req)
		return -EINVAL;

	txn_skeys_from(&ma.k, req);
	ma.cookie = txn_branch_cookie(&ma.k.branch);
	if (req->meth == SIP_ACK)
		return srv_ack(s, &ma);

	key = srv_key(&ma.k, ma.cookie, &ma.k.method);
	st = txn_tbl_find(&s->srv, key, srv_match, &ma);
	if (st) {
		srv_absorb(st);
		mem_deref(st);
		return TXN_RX_ABSORBED;
	}

	err = srv_alloc(&st, s, req, pkt, &ma, key);
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

/*
 * The To tag of txn_srv_reply_simple's responses: the same for every
 * reply of a transaction (a re-sent reply has the same bytes), random to
 * anyone without the process's hash key, and not stored (18 bytes less
 * in each lingering transaction): a keyed hash of its keys and address.
 */
static void srv_totag(const struct txn_srv *st, char tag[SIP_TAG_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	struct {
		const void *st;
		uint32_t cseq;
		uint16_t port;
		char keys[64];
	} in;
	uint64_t h;
	size_t n = st->keylen < sizeof(in.keys) ? st->keylen : sizeof(in.keys);

	_Static_assert(SIP_TAG_LEN == 16, "16 hex digits of a 64-bit hash");
	memset(&in, 0, sizeof(in));
	in.st = st;
	in.cseq = st->cseq;
	in.port = st->port;
	memcpy(in.keys, st->keys, n);
	h = hash_keyed(&in, sizeof(in));
	for (unsigned i = 0; i < SIP_TAG_LEN; i++)
		tag[i] = hex[(h >> (4 * i)) & 15];
	tag[SIP_TAG_LEN] = '\0';
}

/* The To tag of a response we send, for matching the ACK of an RFC 2543
 * peer: a view into buf. Only on that rare path does it cost a parse. */
static struct pl resp_totag(const char *buf, size_t len)
{
	struct sip_msg m;

	if (txn_parse(&m, buf, len) || !m.to.tag.p)
		return (struct pl)PL_INIT;
	return m.to.tag;
}

/* Send and keep buf (malloc'd, ownership taken: freed on failure too). */
static int srv_reply(struct txn_srv *st, uint16_t scode, char *buf, size_t len)
{
	enum state next;
	struct pl acktag = PL_INIT;
	int64_t bytes;
	bool changed;
	int err = 0;

	if (st->invite && !st->cookie && scode >= 300)
		acktag = resp_totag(buf, len);

	pthread_mutex_lock(txn_lock(st->s, st));
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

	/* The final (300-699 on INVITE) is the last response ever kept: the
	 * acktag view into it stays valid. */
	bytes = heap_bytes(len, false);
	if (st->resp)
		bytes -= heap_bytes(st->resplen, false);
	atomic_fetch_add(&st->s->srv_bytes, bytes);
	free(st->resp);
	st->resp = buf;
	st->resplen = (uint32_t)len;
	st->scode = scode;
	buf = NULL;
	if (acktag.p && acktag.p - st->resp < KEYS_MAX && acktag.l < KEYS_MAX) {
		st->ack_off = (uint16_t)(acktag.p - st->resp);
		st->ack_len = (uint16_t)acktag.l;
	}
	changed = next != st->state;
	st->state = next;
	err = tp_send(st->s->tp, st->proto, &st->dst, st->conn, st->resp, st->resplen);
	if (err)
		LWARN("msg=\"send failed\" scode=%u err=%d", scode, err);
	if (next != PROCEEDING && st->req && !st->msg) {
		/* After the final only responses are re-sent and only the keys
		 * match: the request's bytes are not needed for timer J / L. */
		atomic_fetch_sub(&st->s->srv_bytes, heap_bytes(st->reqlen, false));
		free(st->req);
		st->req = NULL;
		st->reqlen = 0;
	}
	if (next == ACCEPTED) {
		/* In Accepted (RFC 6026) nothing re-sends the 2xx but the TU,
		 * which keeps its own copy: do not hold ~1 KB for timer L. */
		atomic_fetch_sub(&st->s->srv_bytes, heap_bytes(st->resplen, false));
		free(st->resp);
		st->resp = NULL;
		st->resplen = 0;
	}
	pthread_mutex_unlock(txn_lock(st->s, st));

	if (changed)
		srv_sync(st);
	return err;

 unlock:
	pthread_mutex_unlock(txn_lock(st->s, st));
	free(buf);
	return err;
}

int txn_srv_reply(struct txn_srv *st, uint16_t scode, const char *buf, size_t len)
{
	char *copy;

	if (!st || !buf || !len || scode < 100 || scode > 699)
		return -EINVAL;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	return srv_reply(st, scode, copy, len);
}

uint16_t txn_srv_scode(struct txn_srv *st)
{
	uint16_t v;

	pthread_mutex_lock(txn_lock(st->s, st));
	v = st->scode;
	pthread_mutex_unlock(txn_lock(st->s, st));
	return v;
}

int txn_srv_reply_simple(struct txn_srv *st, uint16_t scode, const char *reason,
			 const char *extra_hdrs)
{
	struct sip_msg req;
	const struct sip_msg *msg;
	struct sip_mb mb;
	char *buf, totag[SIP_TAG_LEN + 1];
	int err;

	if (!st || scode < 100 || scode > 699)
		return -EINVAL;

	/* Under the lock: replies may come from any thread. */
	pthread_mutex_lock(txn_lock(st->s, st));
	if (!st->req) {
		/* The final was sent (the request is gone with it). */
		pthread_mutex_unlock(txn_lock(st->s, st));
		return -EPROTO;
	}
	srv_totag(st, totag);
	err = 0;
	msg = st->msg;
	/* The request parsed on the stack (about 1 µs), unless the TU asked
	 * for it already. It parsed before, so it parses again. Under the
	 * lock: a final sent by another thread frees the request. */
	if (!err && !msg) {
		err = txn_parse(&req, st->req, st->reqlen);
		msg = &req;
	}
	sip_mb_init(&mb);
	if (!err)
		err = sip_reply_build(&mb, msg, scode, reason, totag, extra_hdrs, NULL, NULL);
	pthread_mutex_unlock(txn_lock(st->s, st));
	if (!err)
		err = mb.err;
	if (err) {
		sip_mb_free(&mb);
		return err;
	}
	/* Keep the builder's buffer, trimmed to the message. */
	buf = mb.buf;
	if (mb.cap - mb.len > 64) {
		char *b = realloc(buf, mb.len);

		if (b)
			buf = b;
	}
	return srv_reply(st, scode, buf, mb.len);
}

const struct sip_msg *txn_srv_request(const struct txn_srv *cst)
{
	/* The transaction itself is never const: the parse is cached in it. */
	struct txn_srv *st = (struct txn_srv *)cst;
	struct sip_msg *m;

	if (!st)
		return NULL;
	pthread_mutex_lock(txn_lock(st->s, st));
	if (!st->msg && st->req) {
		m = mem_zalloc(sizeof(*m), NULL);
		if (m && !txn_parse(m, st->req, st->reqlen)) {
			st->msg = m;
			atomic_fetch_add(&st->s->srv_bytes, heap_bytes(sizeof(*m), true));
		}
		else {
			mem_deref(m);
		}
	}
	m = st->msg;
	pthread_mutex_unlock(txn_lock(st->s, st));
	return m;
}

int txn_srv_request_parse(const struct txn_srv *cst, struct sip_msg *msg)
{
	struct txn_srv *st = (struct txn_srv *)cst;
	int err;

	if (!st || !msg)
		return -EINVAL;
	/* The copy lives until the final response (which frees it). */
	pthread_mutex_lock(txn_lock(st->s, st));
	err = st->req ? txn_parse(msg, st->req, st->reqlen) : -EPROTO;
	pthread_mutex_unlock(txn_lock(st->s, st));
	return err;
}

struct txn_srv *txn_srv_cancel_target(struct txn_stack *s, const struct sip_msg *cancel)
{
	struct srv_match ma = { .kind = MATCH_CANCEL };

	if (!s || !cancel)
		return NULL;
	txn_skeys_from(&ma.k, cancel);
	ma.cookie = txn_branch_cookie(&ma.k.branch);
	return txn_tbl_find(&s->srv, srv_key(&ma.k, ma.cookie, &PL("INVITE")), srv_match, &ma);
}

/* Stack teardown, workers stopped: timers may be cancelled from here. */
void txn_srv_flush_h(void *obj)
{
	struct txn_srv *st = obj;

	pthread_mutex_lock(txn_lock(st->s, st));
	st->state = TERMINATED;
	tmr_cancel(&st->tmr);
	pthread_mutex_unlock(txn_lock(st->s, st));
	atomic_fetch_sub(&st->s->active_srv, 1);
	mem_deref(st);
}
