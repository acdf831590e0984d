/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file media.c  A call's media through the relay (src/media): SDP
 *                rewritten on every offer and answer of both legs, the
 *                relay's streams following them (new m= lines, address
 *                changes, hold), the RTP timeout, and the figures for the
 *                CDR.
 *
 * A call is relayed when its trunk or its carrier (the current attempt's,
 * or the origination source) has media_mode "relay" and the daemon has a
 * relay (uas_prm.media). Otherwise SDP crosses untouched.
 *
 * m= line i of every SDP of the call maps to one relay stream (RFC 3264
 * §8: m= lines are never removed, new ones are appended); a refused line
 * (port 0) gets none until it is accepted again. Side A of a stream faces
 * the caller, side B the callee: the SDP a leg sends sets that side's far
 * end and goes to the other leg with the other side's address and ports.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "call_int.h"
#include "media.h"

#define LOG_MOD "call"

enum { SDP_OUT_MAX = 16384 };

struct call_media {
	struct media_session *s;                  /* owned */
	int sidx[SDP_MAX_MEDIA];                  /* m= line -> stream, -1: none */
	unsigned nm;                              /* m= lines seen so far */
	struct media_remote rem[2][SDP_MAX_MEDIA];/* per side, per m= line */
	enum sdp_dir dir[2][SDP_MAX_MEDIA];       /* last direction each side sent */
	unsigned tmo[SDP_MAX_MEDIA];              /* timeout set on the stream */
};

static void call_media_destroy(void *data)
{
	struct call_media *cm = data;

	/* Waits for a timeout callback under way: none runs after this. */
	mem_deref(cm->s);
}

static void timeout_on_loop(void *arg)
{
	struct call *c = arg;

	log_ctx_set("call_id=%s b_call_id=%s", c->a.callid, c->b.callid);
	if (c->state == CS_ANSWERED) {
		LINFO("rtp timeout: no media for %u s", c->u->prm.rtp_timeout_s);
		call_end(c, STORE_SIDE_SYSTEM, "rtp timeout", 0);
	}
	log_ctx_clear();
	mem_deref(c);
}

/* On a media worker, the session locked: hop to the call's loop. The
 * call is alive: its session handle (freed at call_end or destroy, which
 * waits for this callback) still exists. */
static void on_timeout(unsigned stream, void *arg)
{
	struct call *c = arg;

	(void)stream;
	mem_ref(c);
	if (loop_call(c->loop, timeout_on_loop, c))
		/* The reference stays: dropping the last one here would free
		 * the session from inside its own callback. */
		LERR("rtp timeout not delivered call_id=%s", c->a.callid);
}

/* Relay this call? The trunk's or the carrier's media_mode. */
static bool wants_relay(const struct call *c)
{
	struct route_trunk tr;
	uint32_t carrier = c->dir == STORE_DIR_IN ? c->carrier_in
			   : c->cur < c->natt ? c->att[c->cur].carrier_id : 0;

	if (c->trunk_id && !route_trunk_get(c->snap, c->trunk_id, &tr) && tr.media_relay)
		return true;
	return carrier && route_carrier_media_relay(c->snap, carrier);
}

static int media_start(struct call *c)
{
	struct call_media *cm = mem_zalloc(sizeof(*cm), call_media_destroy);
	int err;

	if (!cm)
		return -ENOMEM;
	for (unsigned i = 0; i < SDP_MAX_MEDIA; i++)
		cm->sidx[i] = -1;
	err = media_session_alloc(&cm->s, c->u->prm.media, on_timeout, c);
	if (err) {
		mem_deref(cm);
		return err;
	}
	c->media = cm;
	LINFO("media relayed");
	return 0;
}

/* The far end an SDP's m= line names. -EINVAL: no usable address. */
static int remote_of(const struct sdp_session *sd, const struct sdp_media *m, bool latch,
		     struct media_remote *r, int *af)
{
	const struct sdp_conn *cn = m->conn.line >= 0 ? &m->conn : &sd->conn;

	memset(r, 0, sizeof(*r));
	if (cn->line < 0 || sa_set(&r->rtp, &cn->addr, m->port))
		return -EINVAL;
	*af = sa_af(&r->rtp);
	if (m->rtcp_port > 0) {
		if (!pl_isset(&m->rtcp_addr) || sa_set(&r->rtcp, &m->rtcp_addr,
						       (uint16_t)m->rtcp_port)) {
			r->rtcp = r->rtp;
			sa_set_port(&r->rtcp, (uint16_t)m->rtcp_port);
		}
	}
	r->rtcp_mux = m->rtcp_mux;
	r->latch = latch;
	return 0;
}

static void set_pts(struct media_session *s, unsigned idx, const struct sdp_session *sd,
		    const struct sdp_media *m)
{
	for (unsigned k = 0; k < m->fmtc; k++) {
		struct sdp_rtpmap rm;
		char enc[32];
		uint32_t pt, clock;

		if (sdp_rtpmap_get(sd, m, &m->fmts[k], &rm) || pl_u32(&rm.pt, &pt) || pt > 127 ||
		    pl_u32(&rm.clock, &clock) || pl_strcpy(&rm.encoding, enc, sizeof(enc)))
			continue;
		media_stream_set_pt(s, idx, (uint8_t)pt, enc, clock);
	}
}

static bool flowing(enum sdp_dir d)
{
	return d == SDP_DIR_NONE || d == SDP_SENDRECV;
}

/* RTP timeout per stream: only once answered, and off while on hold
 * (either side sendonly/recvonly/inactive) or refused. */
static void timeouts_update(struct call *c)
{
	struct call_media *cm = c->media;

	for (unsigned i = 0; i < cm->nm; i++) {
		unsigned want = 0;

		if (cm->sidx[i] < 0)
			continue;
		if (c->state == CS_ANSWERED && flowing(cm->dir[0][i]) && flowing(cm->dir[1][i]) &&
		    sa_port(&cm->rem[0][i].rtp) && sa_port(&cm->rem[1][i].rtp))
			want = c->u->prm.rtp_timeout_s;
		if (want != cm->tmo[i]) {
			media_stream_set_timeout(cm->s, (unsigned)cm->sidx[i], want);
			cm->tmo[i] = want;
		}
	}
}

void media_sdp(struct call *c, const struct leg *from, const struct pl *ctype, struct pl *body,
	       bool answer)
{
	static _Thread_local struct sdp_session sd;
	static _Thread_local char out[SDP_OUT_MAX];
	enum media_side me = from->is_a ? MEDIA_A : MEDIA_B, other = from->is_a ? MEDIA_B : MEDIA_A;
	const struct leg *to = from->is_a ? &c->b : &c->a;
	struct sdp_rewrite rw;
	struct call_media *cm;
	char host[SA_FMT_MAX] = "";
	int err, n;

	if (!c->u->prm.media)
		return;
	if (!body->l || !pl_isset(ctype) || !pl_caseeq_str(ctype, "application/sdp")) {
		if (c->media)
			timeouts_update(c);
		return;
	}
	/* The caller's first offer decides, per attempt (carriers differ). */
	if (!c->media && (!from->is_a || c->state != CS_SETUP || !wants_relay(c)))
		return;
	err = sdp_parse(&sd, body->p, body->l);
	if (err) {
		LWARN("sdp not relayed: unparsable err=%d line=%u what=\"%s\"", err, sd.errline,
		      sd.errmsg ? sd.errmsg : "-");
		return;
	}
	if (!c->media && (err = media_start(c))) {
		LWARN("media not relayed err=%d", err);
		return;
	}
	cm = c->media;
	memset(&rw, 0, sizeof(rw));
	for (unsigned i = 0; i < sd.mediac; i++) {
		const struct sdp_media *m = &sd.media[i];
		struct media_remote r;
		struct sa lrtp, lrtcp;
		unsigned idx;
		int af;

		if (remote_of(&sd, m, c->u->prm.media_latch, &r, &af)) {
			LWARN("sdp m-line %u has no numeric address: media not relayed", i);
			return;
		}
		if (i >= cm->nm)
			cm->nm = i + 1;
		if (cm->sidx[i] < 0) {
			if (!m->port)
				continue;      /* refused: stays port 0, no ports taken */
			err = media_stream_add(cm->s, me == MEDIA_A ? af : sa_af(&to->dst),
					       me == MEDIA_A ? sa_af(&to->dst) : af, &idx);
			if (err) {
				LWARN("media stream not added m=%u err=%d", i, err);
				return;
			}
			cm->sidx[i] = (int)idx;
			/* off until answered (timeouts_update) */
			media_stream_set_timeout(cm->s, idx, 0);
			cm->tmo[i] = 0;
		}
		idx = (unsigned)cm->sidx[i];
		cm->rem[me][i] = r;
		cm->dir[me][i] = m->dir != SDP_DIR_NONE ? m->dir : sd.dir;
		/* RFC 5761: muxed only when the answer keeps a=rtcp-mux. */
		if (answer && cm->rem[other][i].rtcp_mux && !r.rtcp_mux) {
			cm->rem[other][i].rtcp_mux = false;
			media_stream_set_remote(cm->s, idx, other, &cm->rem[other][i]);
		}
		media_stream_set_remote(cm->s, idx, me, &r);
		set_pts(cm->s, idx, &sd, m);
		if (media_stream_local(cm->s, idx, other, &lrtp, &lrtcp))
			return;
		if (!host[0])
			sa_ntop(&lrtp, host, sizeof(host));
		rw.ports[i] = m->port ? sa_port(&lrtp) : 0;
		if (m->rtcp_port > 0)
			rw.rtcp_ports[i] = sa_port(&lrtcp);
	}
	if (!host[0]) {
		/* Every m= line refused: still hide the sender's address. */
		struct sa l;
		if (tp_local(c->u->tp, TP_UDP, sa_af(&to->dst), &l))
			return;
		sa_ntop(&l, host, sizeof(host));
	}
	rw.addr = pl_cstr(host);
	rw.addrtype = pl_cstr(strchr(host, ':') ? "IP6" : "IP4");
	rw.origin_addr = rw.addr;
	n = sdp_write(&sd, &rw, out, sizeof(out));
	if (n < 0) {
		LWARN("sdp not rewritten err=%d", n);
		return;
	}
	*body = pl_from(out, (size_t)n);
	timeouts_update(c);
	LDEBUG("sdp relayed from=%s answer=%d streams=%u", from->is_a ? "a" : "b", answer,
	       media_stream_count(cm->s));
}

static void side_add(struct store_cdr_media *o, const struct media_side_stats *s, bool first)
{
	o->rx_packets += (int64_t)s->rx_packets;
	o->rx_bytes += (int64_t)s->rx_bytes;
	o->rx_lost += (int64_t)s->rx_lost;
	o->rx_out_of_order += (int64_t)s->rx_out_of_order;
	o->tx_packets += (int64_t)s->tx_packets;
	o->tx_bytes += (int64_t)s->tx_bytes;
	if (s->rx_jitter_ms > o->rx_jitter_ms)
		o->rx_jitter_ms = s->rx_jitter_ms;
	if (first || (o->rx_mos <= 0 && s->mos_rx > 0))
		o->rx_mos = s->mos_rx;
	if (s->has_rr && o->tx_loss_pct < 0) {
		o->tx_loss_pct = s->rr_loss_pct;
		o->tx_jitter_ms = s->rr_jitter_ms;
		o->tx_mos = s->mos_tx;
	}
	if (s->has_rtt && o->rtt_ms < 0)
		o->rtt_ms = s->rtt_ms;
}

void media_cdr(const struct call *c, struct store_cdr *r)
{
	const struct call_media *cm = c->media;
	uint64_t expected[2] = { 0, 0 };
	unsigned ns;

	if (!cm)
		return;
	ns = media_stream_count(cm->s);
	r->media_relayed = true;
	r->media_streams = ns;
	for (unsigned l = 0; l < 2; l++) {
		r->media[l].tx_loss_pct = -1;
		r->media[l].tx_jitter_ms = -1;
		r->media[l].rtt_ms = -1;
	}
	for (unsigned i = 0; i < ns; i++) {
		struct media_stats st;

		if (media_stream_stats(cm->s, i, &st))
			continue;
		for (unsigned l = 0; l < 2; l++) {
			side_add(&r->media[l], &st.side[l], i == 0);
			expected[l] += st.side[l].rx_expected;
		}
	}
	for (unsigned l = 0; l < 2; l++) {
		struct store_cdr_media *m = &r->media[l];

		m->rx_loss_pct = expected[l] ? 100.0 * (double)m->rx_lost / (double)expected[l] : 0;
		LINFO("cdr media leg=%s streams=%u rx_packets=%lld rx_bytes=%lld rx_lost=%lld "
		      "rx_ooo=%lld rx_jitter_ms=%.2f rx_mos=%.2f tx_packets=%lld tx_bytes=%lld "
		      "tx_loss_pct=%.2f rtt_ms=%.1f", l ? "b" : "a", ns, (long long)m->rx_packets,
		      (long long)m->rx_bytes, (long long)m->rx_lost, (long long)m->rx_out_of_order,
		      m->rx_jitter_ms, m->rx_mos, (long long)m->tx_packets, (long long)m->tx_bytes,
		      m->tx_loss_pct, m->rtt_ms);
	}
}

void media_call_free(struct call *c)
{
	c->media = mem_deref(c->media);
}
