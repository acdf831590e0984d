/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file ctrans.c  Client transactions: INVITE (§17.1.1, with the RFC 6026
 *                 "Accepted" state) and non-INVITE (§17.1.2), ACK for
 *                 non-2xx finals (§17.1.1.3), CANCEL (§9.1), matching of
 *                 responses (§17.1.3).
 *
 * Threads: a client transaction lives on the loop of the worker that sent
 * it; its state, timers and handler calls stay there. A response read by
 * another worker is copied and handed over with loop_call(). Only the
 * state and the remembered 2xx tags are read off the owner loop (to answer
 * -ENOENT for a 2xx retransmission at once), under txn_lock(s, ct).
 *
 * Memory: one block holds the struct and the bytes of its keys (branch,
 * CSeq method, Call-ID), the copy of the request is apart: it is freed at
 * the final response, after which the transaction only absorbs
 * retransmitted finals (Completed, Accepted: timers D, K, M; the ACK of a
 * non-2xx is kept). The ACK of a non-2xx and a CANCEL, both rare, parse
 * the request again on the stack instead of keeping a struct sip_msg
 * (~15 KB) per transaction.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "txn_int.h"

#define LOG_MOD "txn"

enum state {
	CALLING = 0,     /* INVITE: request sent, timers A and B */
	TRYING,          /* non-INVITE: request sent, timers E and F */
	PROCEEDING,      /* a 1xx arrived (non-INVITE: E at T2, F goes on) */
	COMPLETED,       /* final (INVITE: 300-699, ACK sent): timer D or K */
	ACCEPTED,        /* INVITE: 2xx arrived (RFC 6026), timer M */
	TERMINATED,
};

struct txn_cli {
	struct txn_le le;           /* client table link */
	struct txn_stack *s;        /* borrowed: outlives its transactions */
	struct loop *loop;          /* borrowed: owner worker's loop */
	/* txn_lock(s, ct) guards state and tags for readers off the loop */
	txn_resp_h *h;              /* NULL once abandoned, and for CANCELs */
	void *arg;                  /* borrowed, for h */
	char *req;                  /* owned: copy of the request, NULL after the final */
	char *ack;                  /* owned: ACK of the non-2xx final, re-sent on retransmissions */
	char *cancel_reason;        /* owned: Reason header line or NULL */
	struct sa dst;
	struct tmr tmr;             /* A, E until to_at, then B, F; D, K, M (cli_tmr_h) */
	uint64_t to_at;             /* time_ms() when timer B / F fires */
	uint64_t tags[TXN_FORK_TAGS];  /* hashes of the To tags of 2xx seen */
	enum state state;
	enum tp_proto proto;
	uint32_t reqlen;
	uint32_t acklen;
	uint32_t retx_ival;         /* current timer A / E interval */
	uint16_t branch_len;        /* keys[]: top Via branch, */
	uint16_t cmethod_len;       /*   CSeq method (§17.1.3), */
	uint16_t callid_len;        /*   Call-ID, back to back */
	uint8_t tagc;
	bool invite;
	bool reliable;              /* no A/E; D and K are zero */
	bool cancel_wanted;         /* CANCEL waits for a 1xx */
	bool cancel_sent;
	char keys[];                /* see branch_len */
};

_Static_assert(offsetof(struct txn_cli, le) == 0, "the table link comes first");

/* What a response is matched by (§17.1.3). */
struct cli_key {
	struct pl branch;           /* top Via branch */
	struct pl cmethod;          /* CSeq method */
};

/* Heap bytes of a block of n bytes from malloc / mem_zalloc. */
static inline int64_t heap_bytes(size_t n, bool mem)
{
	return (int64_t)n + (mem ? TXN_MEM_OVERHEAD : TXN_ALLOC_OVERHEAD);
}

static void cli_destroy(void *arg)
{
	struct txn_cli *ct = arg;
	int64_t bytes = heap_bytes(offsetof(struct txn_cli, keys) + ct->branch_len +
				   ct->cmethod_len + ct->callid_len, true);

	if (ct->req)
		bytes += heap_bytes(ct->reqlen, false);
	if (ct->ack)
		bytes += heap_bytes(ct->acklen, false);
	if (ct->cancel_reason)
		bytes += heap_bytes(strlen(ct->cancel_reason) + 1, false);
	atomic_fetch_sub(&ct->s->cli_bytes, bytes);
	free(ct->req);
	free(ct->ack);
	free(ct->cancel_reason);
}

/* The keys, back to back in keys[] (the branch is always there). */
static struct pl cli_branch(const struct txn_cli *ct)
{
	return pl_from(ct->keys, ct->branch_len);
}

static struct pl cli_cmethod(const struct txn_cli *ct)
{
	return pl_from(ct->keys + ct->branch_len, ct->cmethod_len);
}

static struct pl cli_callid(const struct txn_cli *ct)
{
	return pl_from(ct->keys + ct->branch_len + ct->cmethod_len, ct->callid_len);
}

static bool pl_same(const struct pl *a, const struct pl *b)
{
	if (!a->p || !b->p)
		return !a->p && !b->p;
	return a->l == b->l && !memcmp(a->p, b->p, a->l);
}

/* §17.1.3: branch of the top Via and the CSeq method. */
static bool cli_match(void *obj, const void *arg)
{
	const struct txn_cli *ct = obj;
	const struct cli_key *k = arg;

	struct pl branch = cli_branch(ct), cmethod = cli_cmethod(ct);

	return pl_same(&branch, &k->branch) && pl_same(&cmethod, &k->cmethod);
}

static void set_state(struct txn_cli *ct, enum state st)
{
	pthread_mutex_lock(txn_lock(ct->s, ct));
	ct->state = st;
	pthread_mutex_unlock(txn_lock(ct->s, ct));
}

/* A final arrived: the request is never sent again (no retransmission,
 * no CANCEL after a final), only the keys match from now on. Owner loop. */
static void drop_req(struct txn_cli *ct)
{
	if (!ct->req)
		return;
	atomic_fetch_sub(&ct->s->cli_bytes, heap_bytes(ct->reqlen, false));
	free(ct->req);
	ct->req = NULL;
	ct->reqlen = 0;
}

static void cli_terminate(struct txn_cli *ct)
{
	set_state(ct, TERMINATED);
	tmr_cancel(&ct->tmr);
	if (txn_tbl_unlink(&ct->s->cli, &ct->le)) {
		atomic_fetch_sub(&ct->s->active_cli, 1);
		mem_deref(ct);  /* the table's reference */
	}
}

/* Call the TU. It may drop its reference or abandon us meanwhile. */
static void cli_report(struct txn_cli *ct, int err, const struct sip_msg *resp)
{
	txn_resp_h *h = ct->h;

	if (!h)
		return;
	mem_ref(ct);
	h(err, resp, ct->arg);
	mem_deref(ct);
}

static int cli_tx(struct txn_cli *ct, const char *buf, size_t len)
{
	return tp_send(ct->s->tp, ct->proto, &ct->dst, NULL, buf, len);
}

/* ----------------------------- timers ----------------------------- */

/*
 * The transaction's one timer (48 bytes less than two per lingering
 * transaction): before a final, timers A (INVITE: doubles) and E
 * (non-INVITE: doubles up to T2; T2 in Proceeding) until to_at, when
 * timer B or F fires; after it, D, K or M ends the absorbing state.
 */
static void cli_tmr_h(void *arg)
{
	struct txn_cli *ct = arg;
	const struct txn_cfg *cfg = &ct->s->cfg;
	uint64_t now;
	int err;

	switch (ct->state) {

	case CALLING:
	case TRYING:
	case PROCEEDING:
		now = time_ms();
		if (now >= ct->to_at || ct->reliable)
			break;
		switch (ct->state) {
		case CALLING:
			ct->retx_ival *= 2;
			break;
		case TRYING:
			ct->retx_ival = ct->retx_ival * 2 < cfg->t2 ? ct->retx_ival * 2 : cfg->t2;
			break;
		default:
			if (ct->invite)
				return;   /* INVITE Proceeding: no timer */
			ct->retx_ival = cfg->t2;
			break;
		}
		err = cli_tx(ct, ct->req, ct->reqlen);
		if (err) {
			/* §17.1.4: a transport error ends the transaction. */
			LWARN("msg=\"retransmit failed\" err=%d", err);
			cli_report(ct, err, NULL);
			cli_terminate(ct);
			return;
		}
		tmr_start(&ct->tmr, ct->loop,
			  ct->retx_ival < ct->to_at - now ? ct->retx_ival : ct->to_at - now,
			  cli_tmr_h, ct);
		return;

	default:
		/* D, K, M: the end of the absorbing states. */
		cli_terminate(ct);
		return;
	}

	/* Timer B or F. */
	{
		struct pl callid = cli_callid(ct);

		atomic_fetch_add(&ct->s->cli_timeouts, 1);
		LINFO("msg=\"no final response\" timer=%s call_id=%.*s",
		      ct->invite ? "B" : "F", PL_FMT(&callid));
		set_state(ct, TERMINATED);
		cli_report(ct, -ETIMEDOUT, NULL);
	}
	cli_terminate(ct);
}

/* --------------------------- ACK, CANCEL -------------------------- */

static void put_line(struct sip_mb *mb, const struct pl *line)
{
	sip_mb_putpl(mb, line);
	sip_mb_puts(mb, "\r\n");
}

static void put_hdr_lines(struct sip_mb *mb, const struct sip_msg *msg, enum sip_hdrid id)
{
	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h; h = sip_msg_hdr_next(msg, h))
		put_line(mb, &h->line);
}

/*
 * ACK (§17.1.1.3) or CANCEL (§9.1) built from the request: same
 * Request-URI, top Via only, Route headers, From, Call-ID, CSeq number.
 * The ACK takes To from the response (with its tag), the CANCEL from the
 * request.
 */
static int build_ack_cancel(struct sip_mb *mb, const struct txn_cli *ct,
			    const struct sip_msg *resp, const char *extra_line)
{
	const char *meth = resp ? "ACK" : "CANCEL";
	const struct sip_hdr *to;
	struct sip_msg m;
	const struct sip_msg *req = &m;

	/* Rare (non-2xx final, CANCEL): parse the request again, on the stack. */
	if (!ct->req || txn_parse(&m, ct->req, ct->reqlen))
		return -EBADMSG;
	to = sip_msg_hdr(resp ? resp : req, SIP_HDR_TO);
	if (!to)
		return -EBADMSG;
	sip_mb_printf(mb, "%s %.*s SIP/2.0\r\n", meth, PL_FMT(&req->ruri));
	sip_mb_printf(mb, "Via: %.*s\r\n", PL_FMT(&req->via.val));
	put_hdr_lines(mb, req, SIP_HDR_ROUTE);
	put_hdr_lines(mb, req, SIP_HDR_FROM);
	put_line(mb, &to->line);
	put_hdr_lines(mb, req, SIP_HDR_CALL_ID);
	sip_mb_printf(mb, "CSeq: %u %s\r\n", req->cseq.num, meth);
	sip_mb_puts(mb, "Max-Forwards: 70\r\n");
	if (extra_line) {
		sip_mb_puts(mb, extra_line);
		sip_mb_puts(mb, "\r\n");
	}
	sip_mb_puts(mb, "Content-Length: 0\r\n\r\n");
	return mb->err;
}

static int cli_start(struct txn_cli **ctp, struct txn_stack *s, enum tp_proto proto,
		     const struct sa *dst, const char *req, size_t len,
		     txn_resp_h *h, void *arg);

static void cli_send_cancel(struct txn_cli *ct)
{
	struct sip_mb mb;
	int err;

	ct->cancel_wanted = false;
	if (ct->cancel_sent)
		return;
	ct->cancel_sent = true;
	sip_mb_init(&mb);
	err = build_ack_cancel(&mb, ct, NULL, ct->cancel_reason);
	if (!err)
		err = cli_start(NULL, ct->s, ct->proto, &ct->dst, mb.buf, mb.len, NULL, NULL);
	if (err)
		LWARN("msg=\"CANCEL failed\" err=%d", err);
	sip_mb_free(&mb);
}

/* --------------------------- responses ---------------------------- */

static bool tag_seen(struct txn_cli *ct, uint64_t th)
{
	for (unsigned i = 0; i < ct->tagc; i++) {
		if (ct->tags[i] == th)
			return true;
	}
	return false;
}

static uint64_t tag_hash(const struct sip_msg *resp)
{
	return resp->to.tag.p ? hash_keyed(resp->to.tag.p, resp->to.tag.l) : 0;
}

/* In Accepted: a 2xx with a To tag already seen is a retransmission that
 * the TU answers with its ACK (-ENOENT); ct->lock held. */
static bool is_2xx_retx(struct txn_cli *ct, const struct sip_msg *resp)
{
	return ct->state == ACCEPTED && resp->scode >= 200 && resp->scode < 300 &&
	       (ct->tagc == TXN_FORK_TAGS || tag_seen(ct, tag_hash(resp)));
}

static void cli_recv_invite(struct txn_cli *ct, const struct sip_msg *resp)
{
	const struct txn_cfg *cfg = &ct->s->cfg;
	uint16_t sc = resp->scode;

	switch (ct->state) {

	case CALLING:
	case PROCEEDING:
		if (sc < 200) {
			tmr_cancel(&ct->tmr);   /* A and B only run in Calling */
			set_state(ct, PROCEEDING);
			cli_report(ct, 0, resp);
			if (ct->cancel_wanted && ct->state == PROCEEDING)
				cli_send_cancel(ct);
			return;
		}
		if (sc < 300) {
			pthread_mutex_lock(txn_lock(ct->s, ct));
			ct->state = ACCEPTED;
			ct->tags[ct->tagc++] = tag_hash(resp);
			pthread_mutex_unlock(txn_lock(ct->s, ct));
			drop_req(ct);
			/* Timer M (RFC 6026): absorb other forks' 2xx for 64*T1. */
			tmr_start(&ct->tmr, ct->loop, txn_t64(ct->s), cli_tmr_h, ct);
			cli_report(ct, 0, resp);
			return;
		}
		else {
			struct sip_mb mb;
			int err;

			sip_mb_init(&mb);
			err = build_ack_cancel(&mb, ct, resp, NULL);
			if (!err)
				err = cli_tx(ct, mb.buf, mb.len);
			if (err) {
				LWARN("msg=\"ACK failed\" err=%d", err);
				sip_mb_free(&mb);
			}
			else {
				/* Keep the ACK: mb's buffer becomes ours. */
				ct->ack = mb.buf;
				ct->acklen = mb.len;
				atomic_fetch_add(&ct->s->cli_bytes, heap_bytes(mb.len, false));
			}
			set_state(ct, COMPLETED);
			drop_req(ct);
			/* Timer D: >= 32 s unreliable, zero reliable. */
			tmr_start(&ct->tmr, ct->loop, ct->reliable ? 0 : cfg->td, cli_tmr_h, ct);
			cli_report(ct, 0, resp);
		}
		return;

	case COMPLETED:
		/* A retransmitted final: ACK again, the TU never sees it. */
		if (sc >= 300 && ct->ack && !ct->reliable)
			(void)cli_tx(ct, ct->ack, ct->acklen);
		return;

	case ACCEPTED:
		if (sc >= 200 && sc < 300) {
			uint64_t th = tag_hash(resp);

			if (ct->tagc < TXN_FORK_TAGS && !tag_seen(ct, th)) {
				/* Another fork answered: the TU ACKs and BYEs it. */
				pthread_mutex_lock(txn_lock(ct->s, ct));
				ct->tags[ct->tagc++] = th;
				pthread_mutex_unlock(txn_lock(ct->s, ct));
				cli_report(ct, 0, resp);
			}
		}
		return;

	default:
		return;
	}
}

static void cli_recv_other(struct txn_cli *ct, const struct sip_msg *resp)
{
	const struct txn_cfg *cfg = &ct->s->cfg;

	switch (ct->state) {

	case TRYING:
	case PROCEEDING:
		if (resp->scode < 200) {
			set_state(ct, PROCEEDING);
			cli_report(ct, 0, resp);
			return;
		}
		set_state(ct, COMPLETED);
		drop_req(ct);
		/* Timer K: T4 unreliable, zero reliable (replaces E and F). */
		tmr_start(&ct->tmr, ct->loop, ct->reliable ? 0 : cfg->t4, cli_tmr_h, ct);
		cli_report(ct, 0, resp);
		return;

	default:
		/* Completed: retransmitted finals are absorbed. */
		return;
	}
}

static void cli_recv(struct txn_cli *ct, const struct sip_msg *resp)
{
	if (ct->invite)
		cli_recv_invite(ct, resp);
	else
		cli_recv_other(ct, resp);
}

/* A response read by another worker, handed to the owner loop. */
struct cli_rx {
	struct txn_cli *ct;         /* reference */
	size_t len;
	char buf[];                 /* copy of the response */
};

static void cli_rx_h(void *arg)
{
	struct cli_rx *rx = arg;
	struct sip_msg m;

	if (!txn_parse(&m, rx->buf, rx->len))
		cli_recv(rx->ct, &m);
	mem_deref(rx->ct);
	free(rx);
}

int txn_cli_recv(struct txn_stack *s, const struct sip_msg *resp, const struct tp_pkt *pkt)
{
	struct cli_key k;
	struct txn_cli *ct;
	struct cli_rx *rx;
	bool retx;
	int err = 0;

	(void)pkt;
	if (!s || !resp || resp->req)
		return -EINVAL;

	k.branch = resp->via.branch;
	k.cmethod = resp->cseq.method;
	ct = txn_tbl_find(&s->cli, txn_key_cli(&k.branch, &k.cmethod), cli_match, &k);
	if (!ct)
		return -ENOENT;

	pthread_mutex_lock(txn_lock(ct->s, ct));
	retx = is_2xx_retx(ct, resp);
	pthread_mutex_unlock(txn_lock(ct->s, ct));
	if (retx) {
		err = -ENOENT;
		goto out;
	}

	if (loop_current() == ct->loop) {
		cli_recv(ct, resp);
		goto out;
	}

	rx = malloc(sizeof(*rx) + resp->len);
	if (!rx) {
		err = -ENOMEM;
		goto out;
	}
	rx->ct = mem_ref(ct);
	rx->len = resp->len;
	memcpy(rx->buf, resp->buf, resp->len);
	err = loop_call(ct->loop, cli_rx_h, rx);
	if (err) {
		mem_deref(rx->ct);
		free(rx);
	}

 out:
	mem_deref(ct);
	return err;
}

/* ------------------------------ send ------------------------------ */

/* A view's bytes copied to p (advanced past them); their length. */
static uint16_t key_put(char **p, const struct pl *v)
{
	if (!v->p || !v->l)
		return 0;
	memcpy(*p, v->p, v->l);
	*p += v->l;
	return (uint16_t)v->l;
}

static int cli_start(struct txn_cli **ctp, struct txn_stack *s, enum tp_proto proto,
		     const struct sa *dst, const char *req, size_t len,
		     txn_resp_h *h, void *arg)
{
	const struct txn_cfg *cfg = &s->cfg;
	struct sip_msg m;
	struct cli_key k;
	struct txn_cli *ct, *other;
	size_t keylen;
	char *p;
	int err;

	/* Parsed on the stack: only the keys are kept, as views into the copy. */
	err = txn_parse(&m, req, len);
	if (err)
		return err;
	/* An ACK is no transaction; a request without branch cannot be
	 * matched (§17.1.3). */
	if (!m.req || m.meth == SIP_ACK || !m.via.branch.p)
		return -EINVAL;

	keylen = m.via.branch.l + m.cseq.method.l + m.callid.l;
	if (m.via.branch.l > UINT16_MAX || m.cseq.method.l > UINT16_MAX || m.callid.l > UINT16_MAX)
		return -EMSGSIZE;
	p = malloc(len);
	ct = p ? mem_zalloc(offsetof(struct txn_cli, keys) + keylen, cli_destroy) : NULL;
	if (!ct) {
		free(p);
		return -ENOMEM;
	}
	tmr_init(&ct->tmr);
	ct->req = p;
	ct->s = s;
	ct->loop = loop_current();
	ct->proto = proto;
	ct->reliable = proto != TP_UDP;
	ct->dst = *dst;
	ct->h = h;
	ct->arg = arg;
	ct->reqlen = (uint32_t)len;
	memcpy(ct->req, req, len);
	atomic_fetch_add(&s->cli_bytes, heap_bytes(offsetof(struct txn_cli, keys) + keylen, true) +
			 heap_bytes(len, false));
	p = ct->keys;
	ct->branch_len = key_put(&p, &m.via.branch);
	ct->cmethod_len = key_put(&p, &m.cseq.method);
	ct->callid_len = key_put(&p, &m.callid);
	ct->invite = m.meth == SIP_INVITE;
	ct->state = ct->invite ? CALLING : TRYING;

	k.branch = cli_branch(ct);
	k.cmethod = cli_cmethod(ct);
	ct->le.key = txn_key_cli(&k.branch, &m.method);
	other = txn_tbl_insert(&s->cli, &ct->le, cli_match, &k);
	if (other) {
		/* The branch is in use: the TU must make a fresh one. */
		mem_deref(other);
		err = -EALREADY;
		goto out;
	}

	err = cli_tx(ct, ct->req, ct->reqlen);
	if (err) {
		if (txn_tbl_unlink(&s->cli, &ct->le))
			mem_deref(ct);
		goto out;
	}
	atomic_fetch_add(&s->cli_created, 1);
	atomic_fetch_add(&s->active_cli, 1);

	/* Timer A or E: T1 on unreliable transports only. Timer B or F: 64*T1. */
	ct->to_at = time_ms() + txn_t64(s);
	if (!ct->reliable) {
		ct->retx_ival = cfg->t1;
		tmr_start(&ct->tmr, ct->loop, ct->retx_ival, cli_tmr_h, ct);
	} else {
		tmr_start(&ct->tmr, ct->loop, txn_t64(s), cli_tmr_h, ct);
	}

 out:
	if (err)
		mem_deref(ct);
	else if (ctp)
		*ctp = ct;
	else
		mem_deref(ct);
	return err;
}

int txn_cli_send(struct txn_stack *s, struct txn_cli **ctp, enum tp_proto proto,
		 const struct sa *dst, const char *req, size_t len,
		 txn_resp_h *h, void *arg)
{
	if (!s || !dst || !req || !len)
		return -EINVAL;
	if (!loop_current())
		return -EPERM;
	return cli_start(ctp, s, proto, dst, req, len, h, arg);
}

/* ----------------------------- cancel ----------------------------- */

static void cli_cancel_now(struct txn_cli *ct)
{
	switch (ct->state) {

	case CALLING:
		/* §9.1: not before a provisional response. */
		ct->cancel_wanted = true;
		break;

	case PROCEEDING:
		cli_send_cancel(ct);
		break;

	default:
		/* A final response arrived: nothing to cancel. */
		break;
	}
}

struct cli_cancel_call {
	struct txn_cli *ct;         /* reference */
	char *reason;               /* owned */
};

static void cancel_call_h(void *arg)
{
	struct cli_cancel_call *cc = arg;

	if (!cc->ct->cancel_reason && cc->reason) {
		cc->ct->cancel_reason = cc->reason;
		atomic_fetch_add(&cc->ct->s->cli_bytes, heap_bytes(strlen(cc->reason) + 1, false));
		cc->reason = NULL;
	}
	cli_cancel_now(cc->ct);
	mem_deref(cc->ct);
	free(cc->reason);
	free(cc);
}

int txn_cli_cancel(struct txn_cli *ct, const char *reason_hdr)
{
	struct cli_cancel_call *cc;
	int err;

	if (!ct)
		return -EINVAL;
	if (!ct->invite)
		return -EINVAL;

	cc = calloc(1, sizeof(*cc));
	if (!cc)
		return -ENOMEM;
	if (reason_hdr) {
		cc->reason = strdup(reason_hdr);
		if (!cc->reason) {
			free(cc);
			return -ENOMEM;
		}
	}
	cc->ct = mem_ref(ct);

	if (loop_current() == ct->loop) {
		cancel_call_h(cc);
		return 0;
	}
	err = loop_call(ct->loop, cancel_call_h, cc);
	if (err) {
		mem_deref(cc->ct);
		free(cc->reason);
		free(cc);
	}
	return err;
}

void txn_cli_abandon(struct txn_cli *ct)
{
	if (ct)
		ct->h = NULL;
}

/* Stack teardown, workers stopped: timers may be cancelled from here. */
void txn_cli_flush_h(void *obj)
{
	struct txn_cli *ct = obj;

	set_state(ct, TERMINATED);
	tmr_cancel(&ct->tmr);
	atomic_fetch_sub(&ct->s->active_cli, 1);
	mem_deref(ct);
}
