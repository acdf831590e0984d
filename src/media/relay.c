/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file relay.c  The relay's public face: start and stop, sessions and
 *                streams (port pairs, sockets), far ends from SDP, payload
 *                clocks, figures. The packet path is in worker.c.
 */
#include <errno.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "media_int.h"

#define LOG_MOD "media"

enum {
	BIND_TRIES = 64,           /* ports taken by others before giving up */
	PACKETIZATION_MS = 20,     /* delay term of the E-model besides jitter/RTT */
};

void media_prm_init(struct media_prm *prm)
{
	*prm = (struct media_prm){
		.port_min = 20000,
		.port_max = 40000,
		.addr4 = "127.0.0.1",
		.workers = 1,
		.rtp_timeout_s = 60,
		.dscp = MEDIA_DSCP_EF,
	};
}

static void media_destroy(void *data)
{
	struct media *m = data;

	for (unsigned i = 0; i < m->wc; i++)
		if (m->w[i])
			mworker_stop(m->w[i]);
	/* freeing a loop runs its queued calls: sessions closing late give
	 * their ports back, so the pool goes last */
	for (unsigned i = 0; i < m->wc; i++)
		mworker_free(m->w[i]);
	free(m->w);
	mports_close(&m->ports);
}

static int addr_prm(struct sa *bind, struct sa *adv, bool *has, int af,
		    const char *addr, const char *advs)
{
	int err;

	if (!addr || !*addr)
		return 0;
	err = sa_set_str(bind, addr, 0);
	if (err || sa_af(bind) != af)
		return -EINVAL;
	err = sa_set_str(adv, advs && *advs ? advs : addr, 0);
	if (err || sa_af(adv) != af)
		return -EINVAL;
	*has = true;
	return 0;
}

int media_alloc(struct media **mp, const struct media_prm *prm)
{
	struct media *m;
	int err;

	if (!mp || !prm || !prm->workers || prm->dscp > 63)
		return -EINVAL;
	m = mem_zalloc(sizeof(*m), media_destroy);
	if (!m)
		return -ENOMEM;
	m->prm = *prm;
	/* the strings are borrowed for media_alloc only */
	m->prm.addr4 = m->prm.addr6 = m->prm.adv4 = m->prm.adv6 = NULL;
	err = addr_prm(&m->bind4, &m->adv4, &m->has4, AF_INET, prm->addr4, prm->adv4);
	if (!err)
		err = addr_prm(&m->bind6, &m->adv6, &m->has6, AF_INET6, prm->addr6, prm->adv6);
	if (!err && !m->has4 && !m->has6)
		err = -EINVAL;
	if (err)
		goto out;
	err = mports_init(&m->ports, prm->port_min, prm->port_max);
	if (err)
		goto out;
	m->w = calloc(prm->workers, sizeof(*m->w));
	if (!m->w) {
		err = -ENOMEM;
		goto out;
	}
	for (; m->wc < prm->workers; m->wc++) {
		err = mworker_start(&m->w[m->wc], m, m->wc);
		if (err)
			goto out;
	}
	LINFO("msg=\"relay started\" ports=%u-%u pairs=%u workers=%u dscp=%d",
	      prm->port_min, prm->port_max, m->ports.total, m->wc, prm->dscp);
out:
	if (err)
		mem_deref(m);
	else
		*mp = m;
	return err;
}

void media_totals_get(struct media *m, struct media_totals *t)
{
	*t = (struct media_totals){ 0 };
	if (!m)
		return;
	t->sessions = atomic_load(&m->sessions);
	t->streams = atomic_load(&m->streams);
	t->pairs_total = m->ports.total;
	t->pairs_used = mports_used(&m->ports);
	for (unsigned i = 0; i < m->wc; i++) {
		struct mworker *w = m->w[i];
		t->packets += atomic_load_explicit(&w->packets, memory_order_relaxed);
		t->bytes += atomic_load_explicit(&w->bytes, memory_order_relaxed);
		t->dropped += atomic_load_explicit(&w->dropped, memory_order_relaxed);
		t->timeouts += atomic_load_explicit(&w->timeouts, memory_order_relaxed);
	}
}

/* ---- sockets ------------------------------------------------------ */

static int open_sock(const struct media *m, const struct sa *bind_sa, uint16_t port, int *fdp)
{
	struct sa a = *bind_sa;
	int af = sa_af(&a), on = 1, fd, err = 0;

	fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (af == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (m->prm.dscp >= 0) {
		int tos = m->prm.dscp << 2;
		if (af == AF_INET6)
			err = setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
		else
			err = setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		if (err)
			LWARN("msg=\"DSCP not set\" errno=%d", errno);
	}
	/* kernel arrival times: jitter must not include our batching */
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	sa_set_port(&a, port);
	if (bind(fd, &a.u.sa, a.len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

static void side_close(struct media *m, struct mside *sd)
{
	if (sd->fd_rtp >= 0)
		close(sd->fd_rtp);
	if (sd->fd_rtcp >= 0)
		close(sd->fd_rtcp);
	if (sd->fd_rtp >= 0 || sd->fd_rtcp >= 0)
		mports_put(&m->ports, sd->port);
	sd->fd_rtp = sd->fd_rtcp = -1;
}

/* A free even port where both it and the next one bind. Ports some other
 * process holds go back to the end of the pool. */
static int side_open(struct media *m, struct mside *sd, int af)
{
	const struct sa *b = af == AF_INET6 ? &m->bind6 : &m->bind4;
	const struct sa *adv = af == AF_INET6 ? &m->adv6 : &m->adv4;
	int err = -EADDRINUSE;

	if ((af == AF_INET6 && !m->has6) || (af == AF_INET && !m->has4))
		return -EAFNOSUPPORT;
	if (af != AF_INET && af != AF_INET6)
		return -EAFNOSUPPORT;
	for (unsigned i = 0; i < BIND_TRIES; i++) {
		uint16_t port;

		err = mports_get(&m->ports, &port);
		if (err)
			return err;
		err = open_sock(m, b, port, &sd->fd_rtp);
		if (!err) {
			err = open_sock(m, b, port + 1, &sd->fd_rtcp);
			if (err) {
				close(sd->fd_rtp);
				sd->fd_rtp = -1;
			}
		}
		if (!err) {
			sd->port = port;
			sd->local_rtp = *adv;
			sa_set_port(&sd->local_rtp, port);
			sd->local_rtcp = *adv;
			sa_set_port(&sd->local_rtcp, port + 1);
			return 0;
		}
		mports_put(&m->ports, port);
		if (err != -EADDRINUSE)
			break;
	}
	return err;
}

/* ---- sessions ----------------------------------------------------- */

static void msess_destroy(void *data)
{
	struct msess *ms = data;

	for (unsigned i = 0; i < ms->stc; i++) {
		struct mstream *st = ms->st[i];
		/* normally closed on the worker already */
		side_close(ms->m, &st->side[0]);
		side_close(ms->m, &st->side[1]);
		mem_deref(st);
	}
	pthread_mutex_destroy(&ms->lock);
}

static void session_destroy(void *data)
{
	struct media_session *s = data;
	struct msess *ms = s->ms;

	if (!ms)
		return;
	/* no callback once the handle is gone: the worker calls it only
	 * under this lock */
	pthread_mutex_lock(&ms->lock);
	ms->th = NULL;
	ms->arg = NULL;
	pthread_mutex_unlock(&ms->lock);
	if (loop_call(ms->w->loop, mworker_close, ms))
		LERR("msg=\"session not closed: sockets leak\" errno=%d", ENOMEM);
}

int media_session_alloc(struct media_session **sp, struct media *m,
			media_timeout_h *th, void *arg)
{
	struct media_session *s;
	struct msess *ms;
	int err;

	if (!sp || !m)
		return -EINVAL;
	ms = mem_zalloc(sizeof(*ms), msess_destroy);
	if (!ms)
		return -ENOMEM;
	pthread_mutex_init(&ms->lock, NULL);
	ms->m = m;
	ms->w = m->w[atomic_fetch_add(&m->next_worker, 1) % m->wc];
	ms->th = th;
	ms->arg = arg;
	s = mem_zalloc(sizeof(*s), session_destroy);
	if (!s) {
		mem_deref(ms);
		return -ENOMEM;
	}
	/* the worker's list holds its own reference */
	err = loop_call(ms->w->loop, mworker_link, mem_ref(ms));
	if (err) {
		mem_deref(ms);
		mem_deref(ms);
		mem_deref(s);
		return err;
	}
	s->ms = ms;
	atomic_fetch_add(&m->sessions, 1);
	*sp = s;
	return 0;
}

static struct mstream *stream_get(const struct media_session *s, unsigned idx)
{
	if (!s || !s->ms || idx >= s->ms->stc)
		return NULL;
	return s->ms->st[idx];
}

int media_stream_add(struct media_session *s, int af_a, int af_b, unsigned *idx)
{
	struct msess *ms = s ? s->ms : NULL;
	struct mstream *st;
	int err;

	if (!ms || !idx)
		return -EINVAL;
	st = mem_zalloc(sizeof(*st), NULL);
	if (!st)
		return -ENOMEM;
	st->sess = ms;
	for (int i = 0; i < 2; i++) {
		st->side[i].st = st;
		st->side[i].side = i;
		st->side[i].fd_rtp = st->side[i].fd_rtcp = -1;
	}
	st->timeout_s = ms->m->prm.rtp_timeout_s;
	st->last_media_ms = time_ms();
	err = side_open(ms->m, &st->side[MEDIA_A], af_a);
	if (!err)
		err = side_open(ms->m, &st->side[MEDIA_B], af_b);
	if (err)
		goto out;
	pthread_mutex_lock(&ms->lock);
	if (ms->stc >= MEDIA_MAX_STREAMS) {
		err = -E2BIG;
	} else {
		st->idx = ms->stc;
		ms->st[ms->stc++] = st;
	}
	pthread_mutex_unlock(&ms->lock);
	if (err)
		goto out;
	atomic_fetch_add(&ms->m->streams, 1);
	*idx = st->idx;
	/* the sockets join the worker's loop there; packets wait in their
	 * buffers meanwhile. The session is referenced until it ran. */
	if (loop_call(ms->w->loop, mworker_register, mem_ref(ms))) {
		mem_deref(ms);
		LERR("msg=\"stream not registered\" idx=%u", st->idx);
	}
	return 0;
out:
	side_close(ms->m, &st->side[MEDIA_A]);
	side_close(ms->m, &st->side[MEDIA_B]);
	mem_deref(st);
	return err;
}

unsigned media_stream_count(const struct media_session *s)
{
	unsigned n;

	if (!s || !s->ms)
		return 0;
	pthread_mutex_lock(&s->ms->lock);
	n = s->ms->stc;
	pthread_mutex_unlock(&s->ms->lock);
	return n;
}

int media_stream_local(const struct media_session *s, unsigned idx,
		       enum media_side side, struct sa *rtp, struct sa *rtcp)
{
	const struct mstream *st;

	if (side != MEDIA_A && side != MEDIA_B)
		return -EINVAL;
	pthread_mutex_lock(&s->ms->lock);
	st = stream_get(s, idx);
	if (st) {
		if (rtp)
			*rtp = st->side[side].local_rtp;
		if (rtcp)
			*rtcp = st->side[side].local_rtcp;
	}
	pthread_mutex_unlock(&s->ms->lock);
	return st ? 0 : -ENOENT;
}

/* c=0.0.0.0 (RFC 2543 hold) or port 0: nowhere to send */
static bool sa_usable(const struct sa *a)
{
	static const uint8_t zero[16];

	if (!a->len || !sa_port(a))
		return false;
	if (sa_af(a) == AF_INET)
		return a->u.in.sin_addr.s_addr != 0;
	if (sa_af(a) == AF_INET6)
		return memcmp(&a->u.in6.sin6_addr, zero, 16) != 0;
	return false;
}

int media_stream_set_remote(struct media_session *s, unsigned idx,
			    enum media_side side, const struct media_remote *r)
{
	struct mstream *st;
	struct mside *sd;
	struct sa rtcp;
	bool set, moved;

	if (!s || !s->ms || !r || (side != MEDIA_A && side != MEDIA_B))
		return -EINVAL;
	pthread_mutex_lock(&s->ms->lock);
	st = stream_get(s, idx);
	if (!st) {
		pthread_mutex_unlock(&s->ms->lock);
		return -ENOENT;
	}
	sd = &st->side[side];
	set = sa_usable(&r->rtp);
	if (set) {
		rtcp = r->rtp;
		if (r->rtcp.len && sa_usable(&r->rtcp))
			rtcp = r->rtcp;
		else if (!r->rtcp_mux)
			sa_set_port(&rtcp, sa_port(&r->rtp) + 1);
	} else {
		rtcp = (struct sa){ .len = 0 };
	}
	/* a re-INVITE repeating the same address keeps what was learnt */
	moved = set != sd->sdp_set || (set && !sa_cmp(&r->rtp, &sd->sdp_rtp)) ||
		r->latch != sd->latch || r->rtcp_mux != sd->rtcp_mux;
	sd->sdp_set = set;
	sd->sdp_rtp = set ? r->rtp : (struct sa){ .len = 0 };
	sd->sdp_rtcp = rtcp;
	sd->latch = r->latch;
	sd->rtcp_mux = r->rtcp_mux;
	if (moved) {
		sd->rtp_latched = sd->rtcp_latched = false;
		sd->rtp_known = sd->rtcp_known = set;
		sd->rtp_dst = sd->sdp_rtp;
		sd->rtcp_dst = rtcp;
	}
	st->last_media_ms = time_ms();
	pthread_mutex_unlock(&s->ms->lock);
	return 0;
}

int media_stream_set_pt(struct media_session *s, unsigned idx, uint8_t pt,
			const char *encoding, uint32_t clock_hz)
{
	struct mstream *st;
	int err = 0;
	unsigned i;

	if (!s || !s->ms || pt > 127)
		return -EINVAL;
	pthread_mutex_lock(&s->ms->lock);
	st = stream_get(s, idx);
	if (!st) {
		err = -ENOENT;
		goto out;
	}
	for (i = 0; i < st->ptc && st->pt[i] != pt; i++)
		;
	if (i == MEDIA_MAX_PTS) {
		err = -E2BIG;
		goto out;
	}
	st->pt[i] = pt;
	st->pt_clock[i] = clock_hz;
	media_codec_ie(encoding, &st->pt_ie[i], &st->pt_bpl[i]);
	if (i == st->ptc)
		st->ptc++;
out:
	pthread_mutex_unlock(&s->ms->lock);
	return err;
}

int media_stream_set_timeout(struct media_session *s, unsigned idx, unsigned secs)
{
	struct mstream *st;

	if (!s || !s->ms)
		return -EINVAL;
	pthread_mutex_lock(&s->ms->lock);
	st = stream_get(s, idx);
	if (st) {
		st->timeout_s = secs;
		st->last_media_ms = time_ms();
		st->timed_out = false;
	}
	pthread_mutex_unlock(&s->ms->lock);
	return st ? 0 : -ENOENT;
}

/* ---- figures ------------------------------------------------------ */

double mstream_clock(const struct mstream *st, uint8_t pt)
{
	for (unsigned i = 0; i < st->ptc; i++)
		if (st->pt[i] == pt)
			return st->pt_clock[i];
	return media_static_clock(pt);
}

static void pt_codec(const struct mstream *st, uint8_t pt, double *ie, double *bpl)
{
	static const char *const names[] = { [0] = "PCMU", [3] = "GSM", [4] = "G723",
					     [8] = "PCMA", [18] = "G729" };

	for (unsigned i = 0; i < st->ptc; i++) {
		if (st->pt[i] == pt) {
			*ie = st->pt_ie[i];
			*bpl = st->pt_bpl[i];
			return;
		}
	}
	media_codec_ie(pt < ARRAY_SIZE(names) ? names[pt] : NULL, ie, bpl);
}

void mside_stats(const struct mstream *st, int side, uint64_t now_ms,
		 struct media_side_stats *o)
{
	const struct mside *sd = &st->side[side], *peer = &st->side[!side];
	double ie, bpl, owd;

	*o = (struct media_side_stats){ 0 };
	o->remote_rtp = sd->rtp_known ? sd->rtp_dst : sd->sdp_rtp;
	o->latched = sd->rtp_latched;
	o->rx_packets = mquality_received(&sd->q);
	o->rx_bytes = sd->rx_bytes;
	o->rx_expected = mquality_expected(&sd->q);
	o->rx_lost = mquality_lost(&sd->q);
	o->rx_out_of_order = sd->q.out_of_order;
	o->rx_loss_pct = o->rx_expected ? 100.0 * (double)o->rx_lost / (double)o->rx_expected : 0;
	o->rx_jitter_ms = sd->q.jitter_ms;
	o->rx_jitter_max_ms = sd->q.jitter_max_ms;
	o->rtcp_rx = sd->rtcp_rx;
	o->tx_packets = sd->tx_packets;
	o->tx_bytes = sd->tx_bytes;
	o->stray = sd->stray;
	o->unroutable = sd->unroutable;
	o->malformed = sd->malformed;
	o->has_rtt = sd->has_rtt;
	o->rtt_ms = sd->rtt_ms;
	o->has_rr = sd->has_rr;
	if (sd->has_rr) {
		double clock = mstream_clock(st, peer->last_pt);
		o->rr_loss_pct = sd->rr_fraction * 100.0 / 256.0;
		o->rr_cum_lost = sd->rr_cum_lost;
		o->rr_jitter_ms = clock > 0 ? sd->rr_jitter * 1000.0 / clock : 0;
	}
	o->idle_ms = sd->last_rx_ms && now_ms > sd->last_rx_ms ? now_ms - sd->last_rx_ms : 0;
	/* one-way delay: half the relay's round trip, packetization, and a
	 * jitter buffer of twice the jitter */
	owd = (sd->has_rtt ? sd->rtt_ms / 2 : 0) + PACKETIZATION_MS;
	if (o->rx_packets) {
		pt_codec(st, sd->last_pt, &ie, &bpl);
		o->mos_rx = media_emodel_mos(ie, bpl, o->rx_loss_pct, owd + 2 * o->rx_jitter_ms);
	}
	if (sd->has_rr) {
		pt_codec(st, peer->last_pt, &ie, &bpl);
		o->mos_tx = media_emodel_mos(ie, bpl, o->rr_loss_pct, owd + 2 * o->rr_jitter_ms);
	}
}

int media_stream_stats(const struct media_session *s, unsigned idx, struct media_stats *o)
{
	const struct mstream *st;
	uint64_t now = time_ms();

	if (!s || !s->ms || !o)
		return -EINVAL;
	pthread_mutex_lock(&s->ms->lock);
	st = stream_get(s, idx);
	if (st) {
		mside_stats(st, MEDIA_A, now, &o->side[MEDIA_A]);
		mside_stats(st, MEDIA_B, now, &o->side[MEDIA_B]);
		o->timed_out = st->timed_out;
	}
	pthread_mutex_unlock(&s->ms->lock);
	return st ? 0 : -ENOENT;
}
