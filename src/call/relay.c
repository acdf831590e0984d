/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file relay.c  The B leg's INVITE and its responses (relay to A,
 *                failover between attempts), in-dialog requests passed
 *                from one leg to the other, BYE, 2xx retransmission and
 *                the call's timers (no answer, maximum duration, RFC 4028
 *                session expiry).
 *
 * Failover (RFC 3261 §16.7 spirit, for a B2BUA): 5xx, 408 and timeouts
 * try the next attempt; any other final (486, 404, 480, 603 ...) is the
 * callee's answer and goes back to the caller. When every attempt failed
 * the caller hears the last final a callee sent, or 503 when none did.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "call_int.h"

#define LOG_MOD "call"

enum {
	INVITE_TIMEOUT_MS = 4000,   /* no provisional from a gateway: next one */
	NO_ANSWER_S = 180,
	SE_MARGIN_S = 32,           /* RFC 4028 §10: expire before the interval ends */
};

/* Headers that cross legs on responses and in-dialog requests. */
static const enum sip_hdrid pass_resp[] = {
	SIP_HDR_ALLOW, SIP_HDR_SESSION_EXPIRES, SIP_HDR_MIN_SE, SIP_HDR_REQUIRE,
	SIP_HDR_P_ASSERTED_IDENTITY,
};
static const enum sip_hdrid pass_req[] = {
	SIP_HDR_SESSION_EXPIRES, SIP_HDR_MIN_SE, SIP_HDR_SUPPORTED, SIP_HDR_REQUIRE,
	SIP_HDR_CONTENT_DISPOSITION, SIP_HDR_REASON, SIP_HDR_EVENT,
	SIP_HDR_SUBSCRIPTION_STATE, SIP_HDR_ALLOW,
};

/** A transaction's context: which call, which attempt or relayed request. */
struct tctx {
	struct tctx *next, *prev;   /* uas->tctxs (under uas->lock) */
	struct uas *u;              /* borrowed */
	struct call *c;             /* owned reference */
	struct txn_cli *ct;         /* owned reference */
	struct txn_srv *st;         /* owned: the request we relay a response to */
	struct leg *from, *to;      /* borrowed (in the call) */
	enum sip_method meth;
	unsigned idx;               /* attempt index (B INVITE) */
	uint32_t cseq;              /* CSeq of the relayed request (from's side) */
};

static void tctx_done(struct tctx *x);

static void tctx_destroy(void *data)
{
	struct tctx *x = data;
	struct uas *u = x->u;

	pthread_mutex_lock(&u->lock);
	if (x->prev)
		x->prev->next = x->next;
	else if (u->tctxs == x)
		u->tctxs = x->next;
	if (x->next)
		x->next->prev = x->prev;
	pthread_mutex_unlock(&u->lock);

	mem_deref(x->ct);
	mem_deref(x->st);
	mem_deref(x->c);
}

static struct tctx *tctx_alloc(struct call *c)
{
	struct tctx *x = mem_zalloc(sizeof(*x), tctx_destroy);

	if (!x)
		return NULL;
	x->c = mem_ref(c);
	x->u = c->u;
	/* Listed: transactions ended by the stack's teardown never call
	 * back, so whatever is left is freed with the UA core. */
	pthread_mutex_lock(&c->u->lock);
	x->next = c->u->tctxs;
	if (x->next)
		x->next->prev = x;
	c->u->tctxs = x;
	pthread_mutex_unlock(&c->u->lock);
	return x;
}

/* On one worker, while the stack still runs: stop waiting for the
 * transactions of this worker's calls. */
void relay_flush_worker(struct uas *u)
{
	struct loop *loop = loop_current();

	for (;;) {
		struct tctx *x;

		pthread_mutex_lock(&u->lock);
		for (x = u->tctxs; x && x->c->loop != loop; x = x->next)
			;
		pthread_mutex_unlock(&u->lock);
		if (!x)
			break;
		if (x->c->bx == x)
			x->c->bx = NULL;
		tctx_done(x);
	}
}

void relay_free_all(struct uas *u)
{
	for (;;) {
		struct tctx *x;

		pthread_mutex_lock(&u->lock);
		x = u->tctxs;
		pthread_mutex_unlock(&u->lock);
		if (!x)
			break;
		/* The stack is gone (its teardown ended the transaction
		 * without a report): the transaction's memory went with it
		 * or must not be touched; drop only what we own. */
		LWARN("transaction context left at teardown method=%s",
		      sip_method_name(x->meth));
		x->ct = NULL;
		mem_deref(x);
	}
}

/* Done with a transaction: no more handler calls, drop the context. */
static void tctx_done(struct tctx *x)
{
	txn_cli_abandon(x->ct);
	mem_deref(x);
}

static void ctx_log(const struct call *c)
{
	log_ctx_set("call_id=%s b_call_id=%s", c->a.callid, c->b.callid);
}

static void carrier_release(struct call *c)
{
	limits_release_carrier(c);
}

/* ------------------------------------------------------------------ */
/* Replies towards A                                                    */
/* ------------------------------------------------------------------ */

/* The request of a server transaction, parsed per reply into a
 * per-thread struct (~15 KB): a cached parse in each transaction would
 * stay for its timer L / J, 32 s after the final. */
static const struct sip_msg *request_of(const struct txn_srv *st)
{
	static _Thread_local struct sip_msg m;

	return txn_srv_request_parse(st, &m) ? NULL : &m;
}

int relay_reply_a(struct call *c, uint16_t scode, const char *reason, const char *extra,
		  const char *ctype, const struct pl *body)
{
	const struct sip_msg *req = request_of(c->ast);
	struct sip_reply_prm p;
	struct sip_mb mb, hdrs;
	int err;

	if (!req)
		return -ENOMEM;
	sip_mb_init(&mb);
	sip_mb_init(&hdrs);
	if (scode > 100 && scode < 300)
		sip_mb_printf(&hdrs, "Contact: %s\r\n", c->a.contact);
	if (scode >= 300 && scode != 487) {
		int q = leg_q850(scode);
		if (q)
			sip_mb_printf(&hdrs, "Reason: Q.850;cause=%d\r\n", q);
	}
	if (extra)
		sip_mb_puts(&hdrs, extra);
	sip_mb_put(&hdrs, "", 1);
	memset(&p, 0, sizeof(p));
	p.scode = scode;
	p.reason = reason;
	p.totag = c->a.ltag;
	p.extra_hdrs = hdrs.err ? NULL : hdrs.buf;
	p.ctype = ctype;
	p.body = body;
	p.record_route = scode > 100 && scode < 300;
	err = sip_reply_build_prm(&mb, req, &p);
	if (!err)
		err = txn_srv_reply(c->ast, scode, mb.buf, mb.len);
	if (!err && scode >= 200 && scode < 300)
		relay_rtx_start(c, &c->a, c->ast, req->cseq.num, mb.buf, mb.len);
	if (err)
		LWARN("reply to caller failed status=%u err=%d", scode, err);
	else
		LDEBUG("reply to caller status=%u", scode);
	sip_mb_free(&mb);
	sip_mb_free(&hdrs);
	if (scode >= 200)
		c->ast = mem_deref(c->ast);
	return err;
}

/* ------------------------------------------------------------------ */
/* 2xx retransmission until the ACK (§13.3.1.4)                          */
/* ------------------------------------------------------------------ */

static void rtx_fire(void *arg)
{
	struct call *c = arg;
	struct rtx *r = c->rtx;

	ctx_log(c);
	if (time_ms() >= r->deadline) {
		enum store_side side = r->leg && r->leg->is_a ? STORE_SIDE_CALLER
							      : STORE_SIDE_CALLEE;

		LWARN("no ACK for 2xx: ending the call");
		mem_ref(c);
		relay_rtx_stop(c);
		call_end(c, side, "no ACK", 0);
		mem_deref(c);
		log_ctx_clear();
		return;
	}
	txn_srv_reply(r->st, 200, r->buf, r->len);
	r->ival = r->ival * 2 > RTX_T2 ? RTX_T2 : r->ival * 2;
	tmr_start(&r->tmr, c->loop, r->ival, rtx_fire, c);
	log_ctx_clear();
}

void relay_rtx_start(struct call *c, struct leg *leg, struct txn_srv *st, uint32_t cseq,
		     const char *buf, size_t len)
{
	struct rtx *r = malloc(sizeof(*r) + len);

	if (!r)
		return;
	relay_rtx_stop(c);
	tmr_init(&r->tmr);
	memcpy(r->buf, buf, len);
	r->len = len;
	r->st = mem_ref(st);
	r->leg = leg;
	r->cseq = cseq;
	r->ival = RTX_T1;
	r->deadline = time_ms() + 64 * RTX_T1;
	c->rtx = r;
	tmr_start(&r->tmr, c->loop, r->ival, rtx_fire, c);
}

void relay_rtx_stop(struct call *c)
{
	struct rtx *r = c->rtx;

	if (!r)
		return;
	c->rtx = NULL;
	tmr_cancel(&r->tmr);
	mem_deref(r->st);
	free(r);
}

/* ------------------------------------------------------------------ */
/* Timers                                                               */
/* ------------------------------------------------------------------ */

static void t_max_fire(void *arg)
{
	struct call *c = arg;

	ctx_log(c);
	LINFO("maximum call duration reached");
	call_end(c, STORE_SIDE_SYSTEM, "max duration", 0);
	log_ctx_clear();
}

static void t_se_fire(void *arg)
{
	struct call *c = arg;

	ctx_log(c);
	LINFO("session timer expired: no refresh seen se=%u", c->se_s);
	call_end(c, STORE_SIDE_SYSTEM, "session timer expired", 0);
	log_ctx_clear();
}

/* RFC 4028: the endpoints refresh; we watch. A 2xx that carries
 * Session-Expires (re)starts the watch; no refresh by the end of the
 * interval means a side vanished. */
void relay_se_arm(struct call *c, const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_SESSION_EXPIRES);
	struct sip_sess_exp se;
	uint32_t min = c->u->prm.session_min_se_s ? c->u->prm.session_min_se_s : 90;
	uint32_t s;

	if (!h || sip_sess_exp_decode(&se, &h->val) || se.delta < min || c->state == CS_ENDED)
		return;
	c->se_s = se.delta;
	s = se.delta - (se.delta / 3 < SE_MARGIN_S ? se.delta / 3 : SE_MARGIN_S);
	tmr_start(&c->t_se, c->loop, (uint64_t)s * 1000, t_se_fire, c);
}

static void t_ring_fire(void *arg)
{
	struct call *c = arg;
	struct attempt *at = &c->att[c->cur];
	struct tctx *x;

	ctx_log(c);
	mem_ref(c);
	if (!at->ring_ms) {
		/* Not even a provisional: the gateway is gone. The INVITE
		 * transaction runs on to timer B; we stop listening to it. */
		LINFO("gateway silent attempt=%u host=%s", c->cur, at->host);
		at->end_ms = wall_ms();
		at->code = 408;    /* local: Request Timeout */
		carrier_release(c);
		x = c->bx;
		c->bx = NULL;
		if (x)
			tctx_done(x);
		c->bct = mem_deref(c->bct);
		c->cur++;
		if (relay_attempt_next(c))
			call_end(c, STORE_SIDE_SYSTEM, "all routes failed",
				 c->last_code ? c->last_code : 503);
	} else {
		LINFO("no answer attempt=%u", c->cur);
		call_end(c, STORE_SIDE_CALLEE, "no answer", 480);
	}
	mem_deref(c);
	log_ctx_clear();
}

/* ------------------------------------------------------------------ */
/* The B INVITE                                                         */
/* ------------------------------------------------------------------ */

static void b_invite_h(int err, const struct sip_msg *resp, void *arg);

/* Learn the peer's tag and target from a response that makes a dialog. */
static void leg_learn(struct leg *leg, const struct sip_msg *resp)
{
	const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_CONTACT);
	struct sip_contact ct;
	struct pl v[LEG_NSTR];

	memset(v, 0, sizeof(v));
	if (pl_isset(&resp->to.tag) && resp->to.tag.l < LEG_ID_MAX)
		v[LS_RTAG] = resp->to.tag;
	if (h && !sip_contact_decode(&ct, &h->val) && !ct.star && pl_isset(&ct.addr.auri) &&
	    ct.addr.auri.l < LEG_URI_MAX)
		v[LS_TARGET] = ct.addr.auri;
	if (v[LS_RTAG].p || v[LS_TARGET].p)
		leg_set(leg, v);
}

static int ack_send(struct call *c, struct leg *leg, uint32_t cseq, const char *branch)
{
	struct sip_mb mb;
	int err;

	sip_mb_init(&mb);
	err = leg_request_branch(&mb, leg, SIP_ACK, cseq, branch, NULL, NULL, NULL);
	if (!err)
		err = tp_send(c->u->tp, leg->proto, &leg->dst, NULL, mb.buf, mb.len);
	sip_mb_free(&mb);
	return err;
}

/*
 * The branch of our ACK of the 2xx with CSeq cseq on leg: a keyed hash
 * of the leg's Call-ID, tag and the CSeq, so that it is unique to that
 * ACK (§8.1.1.7), random to anyone without the process's hash key, and
 * the same when the ACK is built again: nothing is stored for it.
 */
static void ack_branch(const struct leg *leg, uint32_t cseq, char out[SIP_BRANCH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	char in[2 * LEG_ID_MAX + 16];
	int n = snprintf(in, sizeof(in), "%s;%s;%u", leg->callid, leg->ltag, cseq);
	uint64_t h = hash_keyed(in, n > 0 && (size_t)n < sizeof(in) ? (size_t)n : sizeof(in) - 1);
	char *p = out;

	_Static_assert(SIP_BRANCH_LEN >= 7 + 16, "z9hG4bK and 16 hex digits");
	memcpy(p, "z9hG4bK", 7);
	p += 7;
	for (unsigned i = 0; i < 16; i++)
		*p++ = hex[(h >> (4 * i)) & 15];
	*p = '\0';
}

/* The ACK of a 2xx (§13.2.2.4). Nothing of it is kept: a retransmitted
 * 2xx gets the same ACK, built again from the leg (~400 bytes less per
 * call for its whole life). */
static int send_ack(struct call *c, struct leg *leg, uint32_t cseq)
{
	char branch[SIP_BRANCH_LEN + 1];
	int err;

	ack_branch(leg, cseq, branch);
	err = ack_send(c, leg, cseq, branch);
	if (!err) {
		leg->acked = true;
		leg->ack_cseq = cseq;
	}
	return err;
}

void relay_resend_ack(struct call *c, struct leg *leg, uint32_t cseq)
{
	char branch[SIP_BRANCH_LEN + 1];

	if (!leg->acked || cseq != leg->ack_cseq)
		return;
	ack_branch(leg, cseq, branch);
	ack_send(c, leg, cseq, branch);
}

static int b_leg_setup(struct call *c, struct attempt *at)
{
	struct leg *b = &c->b;
	char host[SA_FMT_MAX], callid[SIP_CALLID_LEN + 1], ltag[SIP_TAG_LEN + 1];
	char contact[LEG_URI_MAX], luri[LEG_URI_MAX], ruri[LEG_URI_MAX], to[LEG_URI_MAX];
	struct pl v[LEG_NSTR];
	int err, w;

	/* sip:user@host[:port][;transport=tcp] and <sip:user@host>, as
	 * leg_uri_build made them when the attempt was checked. */
	w = snprintf(ruri, sizeof(ruri), "sip:%s%s%s%s", at->user, at->user[0] ? "@" : "",
		     at->host, at->proto == TP_TCP ? ";transport=tcp" : "");
	if (w < 0 || (size_t)w >= sizeof(ruri))
		return -ENOSPC;
	w = snprintf(to, sizeof(to), "<sip:%s@%.*s>", at->user, (int)at->hostlen, at->host);
	if (w < 0 || (size_t)w >= sizeof(to))
		return -ENOSPC;

	ctab_unlink(c->u->tab, b);
	b->acked = false;
	b->is_a = false;
	b->call = c;
	b->rcseq = 0;
	b->lcseq = 1;
	/* Max-Forwards goes down by one across us (loop protection). */
	b->maxfwd = c->maxfwd;
	b->proto = at->proto;
	/* host[:port] is numeric (at->resolved): 5060 when no port */
	if (sa_decode(&b->dst, at->host, strlen(at->host)))
		return -EADDRNOTAVAIL;
	if (!sa_port(&b->dst))
		sa_set_port(&b->dst, 5060);
	if ((err = sip_callid_new(callid)) || (err = sip_tag_new(ltag)))
		return err;
	err = tp_local(c->u->tp, b->proto, sa_af(&b->dst), &b->local);
	if (err)
		return err;
	sa_fmt(&b->local, host, sizeof(host));
	w = snprintf(contact, sizeof(contact), "<sip:tl@%s%s>", host,
		     b->proto == TP_TCP ? ";transport=tcp" : "");
	if (w < 0 || (size_t)w >= sizeof(contact))
		return -ENOSPC;
	sa_ntop(&b->local, host, sizeof(host));
	/* The caller's number with our host: the callee sees who calls,
	 * not where from. */
	if (c->a_from_dname[0] && !strchr(c->a_from_dname, '"') && !strchr(c->a_from_dname, '\\'))
		w = snprintf(luri, sizeof(luri), "\"%s\" <sip:%s@%s%s%s>", c->a_from_dname,
			     c->caller, sa_af(&b->local) == AF_INET6 ? "[" : "", host,
			     sa_af(&b->local) == AF_INET6 ? "]" : "");
	else
		w = snprintf(luri, sizeof(luri), "<sip:%s@%s%s%s>", c->caller,
			     sa_af(&b->local) == AF_INET6 ? "[" : "", host,
			     sa_af(&b->local) == AF_INET6 ? "]" : "");
	if (w < 0 || (size_t)w >= sizeof(luri))
		return -ENOSPC;
	v[LS_CALLID] = pl_cstr(callid);
	v[LS_LTAG] = pl_cstr(ltag);
	v[LS_RTAG] = PL("");
	v[LS_LURI] = pl_cstr(luri);
	v[LS_RURI] = pl_cstr(to);
	v[LS_TARGET] = pl_cstr(ruri);
	v[LS_CONTACT] = pl_cstr(contact);
	err = leg_set(b, v);
	if (err)
		return err;
	ctab_link(c->u->tab, b);
	return 0;
}

int relay_attempt_next(struct call *c)
{
	struct uas *u = c->u;

	for (; c->cur < c->natt; c->cur++) {
		struct attempt *at = &c->att[c->cur];
		struct sip_mb mb;
		struct tctx *x;
		struct pl body = pl_from(c->body, c->body_len);
		int err;

		at->start_ms = wall_ms();
		if (!at->resolved) {
			at->end_ms = at->start_ms;
			LWARN("attempt skipped: destination not reachable host=%s", at->host);
			continue;
		}
		/* the carrier's channel and CPS slot, taken atomically */
		if (!limits_take_attempt(c, at)) {
			at->end_ms = at->start_ms;
			continue;
		}
		err = b_leg_setup(c, at);
		if (err) {
			at->end_ms = at->start_ms;
			carrier_release(c);
			continue;
		}
		ctx_log(c);
		media_sdp(c, &c->a, &(struct pl){ c->ctype, strlen(c->ctype) }, &body, false);
		sip_mb_init(&mb);
		{
			struct sip_mb h;
			sip_mb_init(&h);
			sip_mb_puts(&h, c->hdrs ? c->hdrs : "");
			sip_mb_put(&h, "", 1);
			err = h.err;
			if (!err)
				err = leg_request(&mb, &c->b, SIP_INVITE, 1, h.buf,
						  c->ctype[0] ? c->ctype : NULL, &body);
			sip_mb_free(&h);
		}
		x = err ? NULL : tctx_alloc(c);
		if (!x) {
			sip_mb_free(&mb);
			at->end_ms = wall_ms();
			carrier_release(c);
			continue;
		}
		x->idx = c->cur;
		x->meth = SIP_INVITE;
		err = txn_cli_send(u->txn, &x->ct, c->b.proto, &c->b.dst, mb.buf, mb.len,
				   b_invite_h, x);
		sip_mb_free(&mb);
		if (err) {
			LWARN("B INVITE not sent host=%s err=%d", at->host, err);
			mem_deref(x);
			at->end_ms = wall_ms();
			carrier_release(c);
			continue;
		}
		mem_deref(c->bct);
		c->bct = mem_ref(x->ct);
		c->bx = x;
		tmr_start(&c->t_phase, c->loop, INVITE_TIMEOUT_MS, t_ring_fire, c);
		LINFO("attempt start idx=%u carrier=%u host=%s ruri=%s", c->cur, at->carrier_id,
		      at->host, c->b.target);
		return 0;
	}
	return -ENOENT;
}

/* A 2xx nobody wants (after CANCEL, from an older attempt or a second
 * fork): complete its dialog and end it (§13.2.2.4, §15). */
static void b_refuse_2xx(struct call *c, const struct sip_msg *resp)
{
	struct leg tmp = c->b;
	struct sip_mb mb;
	struct tctx *x;
	struct pl v[LEG_NSTR];

	/* tmp's strings still point into c->b's block: leg_set copies them
	 * into a block of its own. */
	tmp.acked = false;
	tmp.linked = false;
	tmp.sbuf = NULL;
	if (!pl_isset(&resp->callid) || resp->callid.l >= LEG_ID_MAX ||
	    resp->from.tag.l >= LEG_ID_MAX)
		return;
	memset(v, 0, sizeof(v));
	v[LS_CALLID] = resp->callid;
	v[LS_LTAG] = pl_isset(&resp->from.tag) ? resp->from.tag : PL("");
	if (leg_set(&tmp, v))
		return;
	leg_learn(&tmp, resp);
	send_ack(c, &tmp, resp->cseq.num);
	sip_mb_init(&mb);
	x = tctx_alloc(c);
	if (x && !leg_request(&mb, &tmp, SIP_BYE, resp->cseq.num + 1,
			      "Reason: SIP;cause=200;text=\"call already ended\"\r\n", NULL, NULL) &&
	    !txn_cli_send(c->u->txn, &x->ct, tmp.proto, &tmp.dst, mb.buf, mb.len, NULL, NULL)) {
		LINFO("late 2xx acknowledged and released");
	}
	mem_deref(x);
	sip_mb_free(&mb);
	free(tmp.sbuf);
}

static void b_answered(struct call *c, struct attempt *at, const struct sip_msg *resp)
{
	struct sip_mb hdrs;
	struct pl ctype = resp->ctype, sdp;
	char ct[64] = "";

	leg_learn(&c->b, resp);
	send_ack(c, &c->b, resp->cseq.num);
	tmr_cancel(&c->t_phase);
	at->answer_ms = wall_ms();
	at->end_ms = at->answer_ms;
	at->code = resp->scode;
	c->answer_ms = at->answer_ms;
	c->state = CS_ANSWERED;
	c->a_code = resp->scode;
	atomic_fetch_add(&c->u->calls_answered, 1);

	sip_mb_init(&hdrs);
	leg_copy_hdrs(&hdrs, resp, pass_resp, ARRAY_SIZE(pass_resp));
	sip_mb_put(&hdrs, "", 1);
	if (pl_isset(&ctype))
		pl_strcpy(&ctype, ct, sizeof(ct));
	sdp = resp->body;
	media_sdp(c, &c->b, &resp->ctype, &sdp, true);
	if (relay_reply_a(c, resp->scode, NULL, hdrs.err ? NULL : hdrs.buf, ct[0] ? ct : NULL,
			  &sdp))
		LWARN("200 not relayed to the caller");
	sip_mb_free(&hdrs);
	LINFO("answered attempt=%u carrier=%u", c->cur, at->carrier_id);
	if (c->u->prm.max_duration_s)
		tmr_start(&c->t_phase, c->loop, (uint64_t)c->u->prm.max_duration_s * 1000,
			  t_max_fire, c);
	relay_se_arm(c, resp);
}

static bool failover_code(uint16_t code)
{
	return code == 408 || (code >= 500 && code < 600);
}

static void b_invite_h(int err, const struct sip_msg *resp, void *arg)
{
	struct tctx *x = arg;
	struct call *c = x->c;
	struct attempt *at = &c->att[x->idx];
	bool current = x->idx == c->cur && c->bct == x->ct;

	ctx_log(c);
	mem_ref(c);
	if (!err && resp->scode < 200) {
		if (resp->scode > 100 && current && c->state == CS_SETUP) {
			struct sip_mb hdrs;
			char ct[64] = "";

			if (!at->ring_ms)
				at->ring_ms = wall_ms();
			if (!c->ring_ms)
				c->ring_ms = at->ring_ms;
			leg_learn(&c->b, resp);
			tmr_start(&c->t_phase, c->loop,
				  (uint64_t)(c->u->prm.no_answer_s ? c->u->prm.no_answer_s
					     : NO_ANSWER_S) * 1000, t_ring_fire, c);
			sip_mb_init(&hdrs);
			leg_copy_hdrs(&hdrs, resp, pass_resp, ARRAY_SIZE(pass_resp));
			sip_mb_put(&hdrs, "", 1);
			if (pl_isset(&resp->ctype))
				pl_strcpy(&resp->ctype, ct, sizeof(ct));
			{
				struct pl sdp = resp->body;

				media_sdp(c, &c->b, &resp->ctype, &sdp, true);
				relay_reply_a(c, resp->scode, NULL, hdrs.err ? NULL : hdrs.buf,
					      ct[0] ? ct : NULL, &sdp);
			}
			sip_mb_free(&hdrs);
		} else if (resp->scode == 100 && current && !at->ring_ms) {
			/* Alive: wait for the callee as long as it takes to ring. */
			tmr_start(&c->t_phase, c->loop,
				  (uint64_t)(c->u->prm.no_answer_s ? c->u->prm.no_answer_s
					     : NO_ANSWER_S) * 1000, t_ring_fire, c);
			at->ring_ms = 0;
		}
		goto done;
	}
	if (!err && resp->scode < 300) {
		if (current && c->state == CS_SETUP) {
			b_answered(c, at, resp);
			goto done;   /* c->bx stays until the call ends */
		}
		b_refuse_2xx(c, resp);
		if (c->bx == x)
			c->bx = NULL;
		tctx_done(x);
		goto done;
	}

	/* A final failure, or no final at all (timer B, transport). */
	at->code = err ? 408 : resp->scode;   /* timer B: a local 408 */
	at->end_ms = wall_ms();
	if (c->bx == x)
		c->bx = NULL;
	if (!current) {
		tctx_done(x);
		goto done;
	}
	tmr_cancel(&c->t_phase);
	carrier_release(c);
	c->bct = mem_deref(c->bct);
	LINFO("attempt failed idx=%u code=%u err=%d", x->idx, at->code, err);
	if (c->state != CS_SETUP) {
		tctx_done(x);
		goto done;
	}
	if (!err)
		c->last_code = resp->scode;
	if (err || failover_code(resp->scode)) {
		c->cur++;
		tctx_done(x);
		if (!relay_attempt_next(c))
			goto done;
		call_end(c, STORE_SIDE_SYSTEM, "all routes failed",
			 c->last_code ? c->last_code : 503);
		goto done;
	}
	tctx_done(x);
	/* 3xx would show the callee's other addresses: say "not found
	 * here" instead. */
	call_end(c, STORE_SIDE_CALLEE, "callee refused",
		 c->last_code < 400 ? 480 : c->last_code);
done:
	mem_deref(c);
	log_ctx_clear();
}

/* ------------------------------------------------------------------ */
/* BYE                                                                  */
/* ------------------------------------------------------------------ */

static void bye_h(int err, const struct sip_msg *resp, void *arg)
{
	struct tctx *x = arg;

	if (!err && resp->scode < 200)
		return;
	ctx_log(x->c);
	LDEBUG("BYE done code=%u err=%d", err ? 0 : resp->scode, err);
	if (x->c->bye_pending)
		x->c->bye_pending--;
	log_ctx_clear();
	tctx_done(x);
}

int relay_send_bye(struct call *c, struct leg *leg, const char *reason_hdr)
{
	struct sip_mb mb;
	struct tctx *x;
	char extra[160] = "";
	int err;

	if (reason_hdr)
		snprintf(extra, sizeof(extra), "%s\r\n", reason_hdr);
	x = tctx_alloc(c);
	if (!x)
		return -ENOMEM;
	sip_mb_init(&mb);
	err = leg_request(&mb, leg, SIP_BYE, ++leg->lcseq, extra[0] ? extra : NULL, NULL, NULL);
	if (!err)
		err = txn_cli_send(c->u->txn, &x->ct, leg->proto, &leg->dst, mb.buf, mb.len,
				   bye_h, x);
	sip_mb_free(&mb);
	if (err) {
		LWARN("BYE not sent leg=%s err=%d", leg->is_a ? "a" : "b", err);
		mem_deref(x);
		return err;
	}
	c->bye_pending++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* In-dialog requests                                                   */
/* ------------------------------------------------------------------ */

static void indlg_h(int err, const struct sip_msg *resp, void *arg)
{
	struct tctx *x = arg;
	struct call *c = x->c;
	const struct sip_msg *req;
	struct sip_reply_prm p;
	struct sip_mb mb, hdrs;
	bool refresh = x->meth == SIP_INVITE || x->meth == SIP_UPDATE;
	uint16_t code = err ? 408 : resp->scode;
	struct pl sdp = PL("");
	char ct[64] = "";

	if (!err && code < 200)
		return;   /* the server transaction keeps the sender waiting */
	ctx_log(c);
	mem_ref(c);
	req = request_of(x->st);
	sip_mb_init(&mb);
	sip_mb_init(&hdrs);
	if (!err && code < 300) {
		leg_learn(x->to, resp);
		if (x->meth == SIP_INVITE)
			send_ack(c, x->to, resp->cseq.num);
		if (refresh)
			sip_mb_printf(&hdrs, "Contact: %s\r\n", x->from->contact);
	}
	if (!err)
		leg_copy_hdrs(&hdrs, resp, pass_resp, ARRAY_SIZE(pass_resp));
	sip_mb_put(&hdrs, "", 1);
	if (!err && pl_isset(&resp->ctype))
		pl_strcpy(&resp->ctype, ct, sizeof(ct));
	memset(&p, 0, sizeof(p));
	p.scode = code;
	p.reason = err ? "Request Timeout" : NULL;
	p.extra_hdrs = hdrs.err ? NULL : hdrs.buf;
	p.ctype = ct[0] ? ct : NULL;
	if (!err) {
		sdp = resp->body;
		media_sdp(c, x->to, &resp->ctype, &sdp, true);
	}
	p.body = err ? NULL : &sdp;
	if (req && !sip_reply_build_prm(&mb, req, &p)) {
		txn_srv_reply(x->st, code, mb.buf, mb.len);
		if (code >= 200 && code < 300 && x->meth == SIP_INVITE)
			relay_rtx_start(c, x->from, x->st, x->cseq, mb.buf, mb.len);
	} else {
		txn_srv_reply_simple(x->st, 500, "Relay Failed", NULL);
	}
	sip_mb_free(&mb);
	sip_mb_free(&hdrs);
	LINFO("in-dialog %s relayed code=%u", sip_method_name(x->meth), code);

	if (refresh && code >= 200 && code < 300)
		relay_se_arm(c, resp);
	else if (refresh && (code == 408 || code == 481) && c->state == CS_ANSWERED)
		/* The far end of this refresh is gone (RFC 4028 §10). */
		call_end(c, x->to->is_a ? STORE_SIDE_CALLER : STORE_SIDE_CALLEE,
			 "session refresh failed", 0);
	tctx_done(x);
	mem_deref(c);
	log_ctx_clear();
}

void relay_in_dialog(struct call *c, struct leg *from, struct txn_srv *st,
		     const struct sip_msg *msg)
{
	struct leg *to = from->is_a ? &c->b : &c->a;
	struct sip_mb mb, hdrs;
	struct tctx *x;
	char ct[64] = "";
	int err;

	if (!to->rtag[0]) {
		txn_srv_reply_simple(st, 481, NULL, NULL);
		return;
	}
	if (msg->meth == SIP_INVITE)
		txn_srv_reply_simple(st, 100, NULL, NULL);
	/* §12.2.2: a target refresh moves where we send this side's requests. */
	if (msg->meth == SIP_INVITE || msg->meth == SIP_UPDATE) {
		const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
		struct sip_contact cv;
		if (h && !sip_contact_decode(&cv, &h->val) && !cv.star && pl_isset(&cv.addr.auri) &&
		    cv.addr.auri.l < LEG_URI_MAX)
			leg_set1(from, LS_TARGET, &cv.addr.auri);
	}
	x = tctx_alloc(c);
	if (!x) {
		txn_srv_reply_simple(st, 500, "Out Of Memory", NULL);
		return;
	}
	x->st = mem_ref(st);
	x->from = from;
	x->to = to;
	x->meth = msg->meth;
	x->cseq = msg->cseq.num;
	sip_mb_init(&mb);
	sip_mb_init(&hdrs);
	leg_copy_hdrs(&hdrs, msg, pass_req, ARRAY_SIZE(pass_req));
	sip_mb_put(&hdrs, "", 1);
	if (pl_isset(&msg->ctype))
		pl_strcpy(&msg->ctype, ct, sizeof(ct));
	err = hdrs.err;
	if (!err) {
		if (msg->meth == SIP_METHOD_OTHER) {
			err = -ENOTSUP;
		} else {
			struct pl sdp = msg->body;

			media_sdp(c, from, &msg->ctype, &sdp, false);
			err = leg_request(&mb, to, msg->meth, ++to->lcseq, hdrs.buf,
					  ct[0] ? ct : NULL, &sdp);
		}
	}
	if (!err)
		err = txn_cli_send(c->u->txn, &x->ct, to->proto, &to->dst, mb.buf, mb.len,
				   indlg_h, x);
	sip_mb_free(&mb);
	sip_mb_free(&hdrs);
	if (err) {
		LWARN("in-dialog %.*s not relayed err=%d", PL_FMT(&msg->method), err);
		txn_srv_reply_simple(st, err == -ENOTSUP ? 501 : 500, NULL, NULL);
		mem_deref(x);
	}
}

void relay_release_b(struct call *c)
{
	struct tctx *x = c->bx;

	c->bx = NULL;
	if (x)
		tctx_done(x);
}
