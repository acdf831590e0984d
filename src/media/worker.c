/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file worker.c  Media workers: one thread and loop each, the packet path
 *                 (recvmmsg, source check and latching, quality, RTCP,
 *                 sendmmsg to the other side) and the RTP timeout scan.
 *
 * The packet path allocates nothing: a worker owns fixed batch buffers,
 * and a batch received on one side's socket leaves in place, by the other
 * side's socket(s). A batch takes its session's lock once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "media_int.h"

#define LOG_MOD "media"

enum { RTP_HDR = 12 };

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Kernel arrival time (SO_TIMESTAMPNS, realtime clock) or, lacking it,
 * the batch's time on the same clock. */
static uint64_t arrival_us(struct msghdr *mh, uint64_t fallback)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
		}
	}
	return fallback;
}

/* Is src this side's far end? Latches the first source when asked. */
static bool accept_src(struct mside *sd, const struct sa *src, bool rtcp_sock)
{
	if (!rtcp_sock) {
		if (sd->rtp_latched)
			return sa_cmp(src, &sd->rtp_dst);
		if (!sd->latch)
			return sd->sdp_set && sa_cmp(src, &sd->sdp_rtp);
		sd->rtp_dst = *src;
		sd->rtp_latched = sd->rtp_known = true;
		if (!sd->rtcp_latched) {
			/* until RTCP shows its own source: beside the RTP one */
			sd->rtcp_dst = *src;
			if (!sd->rtcp_mux)
				sa_set_port(&sd->rtcp_dst, sa_port(src) + 1);
			sd->rtcp_known = true;
		}
		LDEBUG("msg=latched side=%c port=%u", sd->side ? 'B' : 'A', sd->port);
		return true;
	}
	if (sd->rtcp_latched)
		return sa_cmp(src, &sd->rtcp_dst);
	if (!sd->latch)
		return sd->sdp_set && sa_cmp(src, &sd->sdp_rtcp);
	sd->rtcp_dst = *src;
	sd->rtcp_latched = sd->rtcp_known = true;
	return true;
}

/* SR and report blocks from side sd: its view of what it receives, and
 * the relay's round trip to it when a block names an SR the other side
 * sent through us. */
static void rtcp_account(struct mstream *st, struct mside *sd, const struct rtcp_info *ri,
			 uint64_t now_us)
{
	struct mside *peer = &st->side[!sd->side];
	uint32_t now32 = rtcp_now32(now_us);

	if (ri->has_sr) {
		sd->sr[sd->sr_next++ % MEDIA_SR_RING] = (struct msr){ ri->ntp_mid, now32 };
	}
	for (unsigned i = 0; i < ri->rbc; i++) {
		const struct rtcp_rb *rb = &ri->rb[i];

		/* blocks about other sources (a conference) are not ours */
		if (peer->q.init && rb->ssrc != peer->q.ssrc)
			continue;
		sd->has_rr = true;
		sd->rr_fraction = rb->fraction;
		sd->rr_cum_lost = rb->cum_lost;
		sd->rr_jitter = rb->jitter;
		if (!rb->lsr)
			continue;
		for (unsigned k = 0; k < MEDIA_SR_RING; k++) {
			if (peer->sr[k].seen && peer->sr[k].ntp_mid == rb->lsr) {
				int64_t rtt = rtcp_rtt_us(now32, peer->sr[k].seen, rb->dlsr);
				if (rtt >= 0) {
					sd->rtt_ms = (double)rtt / 1000.0;
					sd->has_rtt = true;
				}
				break;
			}
		}
	}
}

static unsigned send_all(int fd, struct mmsghdr *v, unsigned n)
{
	unsigned off = 0, sent = 0;

	while (off < n) {
		int r = sendmmsg(fd, v + off, n - off, MSG_DONTWAIT);
		if (r > 0) {
			off += (unsigned)r;
			sent += (unsigned)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else {
			off++;   /* full socket buffer or a refused destination: drop one */
		}
	}
	return sent;
}

static void relay_batch(struct mside *sd, int fd, bool rtcp_sock)
{
	struct mstream *st = sd->st;
	struct msess *ms = st->sess;
	struct mworker *w = ms->w;
	struct mside *peer = &st->side[!sd->side];

	for (unsigned round = 0; round < MW_ROUNDS; round++) {
		unsigned ntx[2] = { 0, 0 }, sent = 0, drop = 0;
		uint64_t now_ms, now_us, bytes = 0;
		bool known[2];
		int n, pfd[2];

		for (unsigned i = 0; i < MW_BATCH; i++) {
			struct msghdr *mh = &w->rx[i].msg_hdr;
			mh->msg_name = &w->src[i].u;
			mh->msg_namelen = sizeof(w->src[i].u);
			mh->msg_control = w->ctl[i];
			mh->msg_controllen = sizeof(w->ctl[i]);
			mh->msg_flags = 0;
			w->iov[i].iov_len = MW_BUFSZ;
		}
		n = recvmmsg(fd, w->rx, MW_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		now_ms = time_ms();
		now_us = realtime_us();

		pthread_mutex_lock(&ms->lock);
		known[0] = peer->rtp_known;
		w->dst[0] = peer->rtp_dst;
		known[1] = peer->rtcp_mux ? peer->rtp_known : peer->rtcp_known;
		w->dst[1] = peer->rtcp_mux ? peer->rtp_dst : peer->rtcp_dst;
		pfd[0] = peer->fd_rtp;
		pfd[1] = peer->rtcp_mux ? peer->fd_rtp : peer->fd_rtcp;
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &w->rx[i].msg_hdr;
			const uint8_t *p = w->buf[i];
			size_t len = w->rx[i].msg_len;
			bool is_rtcp;
			struct mmsghdr *out;
			int k;

			w->src[i].len = mh->msg_namelen;
			if (mh->msg_flags & MSG_TRUNC) {
				sd->malformed++;
				drop++;
				continue;
			}
			is_rtcp = rtcp_sock || rtcp_is_rtcp(p, len);
			if (!accept_src(sd, &w->src[i], rtcp_sock)) {
				sd->stray++;
				drop++;
				continue;
			}
			if (is_rtcp) {
				struct rtcp_info ri;
				if (rtcp_parse(p, len, &ri)) {
					sd->malformed++;
					drop++;
					continue;
				}
				sd->rtcp_rx++;
				rtcp_account(st, sd, &ri, arrival_us(mh, now_us));
				k = 1;
			} else {
				uint8_t pt;
				size_t hl = RTP_HDR + 4u * (p[0] & 0x0f);
				if (len < RTP_HDR || (p[0] >> 6) != 2 || len < hl) {
					sd->malformed++;
					drop++;
					continue;
				}
				pt = p[1] & 0x7f;
				mquality_update(&sd->q, rd32(p + 8), rd16(p + 2), rd32(p + 4),
						(uint32_t)mstream_clock(st, pt), arrival_us(mh, now_us));
				sd->rx_bytes += len;
				sd->last_rx_ms = now_ms;
				sd->last_pt = pt;
				st->last_media_ms = now_ms;
				st->timed_out = false;
				k = 0;
			}
			if (!known[k]) {
				sd->unroutable++;
				drop++;
				continue;
			}
			w->iov[i].iov_len = len;
			out = &w->tx[k][ntx[k]++];
			out->msg_hdr = (struct msghdr){
				.msg_name = &w->dst[k].u, .msg_namelen = w->dst[k].len,
				.msg_iov = &w->iov[i], .msg_iovlen = 1,
			};
			peer->tx_packets++;
			peer->tx_bytes += len;
			bytes += len;
		}
		pthread_mutex_unlock(&ms->lock);

		/* the sockets close only on this thread: safe without the lock */
		for (int k = 0; k < 2; k++)
			if (ntx[k])
				sent += send_all(pfd[k], w->tx[k], ntx[k]);
		drop += ntx[0] + ntx[1] - sent;
		atomic_fetch_add_explicit(&w->packets, sent, memory_order_relaxed);
		atomic_fetch_add_explicit(&w->bytes, bytes, memory_order_relaxed);
		if (drop)
			atomic_fetch_add_explicit(&w->dropped, drop, memory_order_relaxed);
		if (n < MW_BATCH)
			break;
	}
}

static void on_rtp(int fd, int events, void *arg)
{
	relay_batch(arg, fd, false);
}

static void on_rtcp(int fd, int events, void *arg)
{
	relay_batch(arg, fd, true);
}

/* ---- sessions on the worker -------------------------------------- */

void mworker_link(void *arg)
{
	struct msess *ms = arg;
	struct mworker *w = ms->w;

	/* keeps the reference it came with */
	ms->prev = NULL;
	ms->next = w->sessions;
	if (w->sessions)
		w->sessions->prev = ms;
	w->sessions = ms;
	ms->linked = true;
}

void mworker_register(void *arg)
{
	struct msess *ms = arg;
	struct loop *loop = ms->w->loop;

	for (unsigned i = 0; i < MEDIA_MAX_STREAMS; i++) {
		struct mstream *st;

		pthread_mutex_lock(&ms->lock);
		st = i < ms->stc ? ms->st[i] : NULL;
		pthread_mutex_unlock(&ms->lock);
		if (!st)
			break;
		if (st->registered)
			continue;
		for (int s = 0; s < 2; s++) {
			struct mside *sd = &st->side[s];
			if (loop_fd_add(loop, sd->fd_rtp, LOOP_READ, on_rtp, sd) ||
			    loop_fd_add(loop, sd->fd_rtcp, LOOP_READ, on_rtcp, sd))
				LERR("msg=\"media socket not watched\" port=%u", sd->port);
		}
		st->registered = true;
	}
	mem_deref(ms);
}

void mworker_close(void *arg)
{
	struct msess *ms = arg;
	struct mworker *w = ms->w;
	struct media *m = ms->m;

	for (unsigned i = 0; i < ms->stc; i++) {
		struct mstream *st = ms->st[i];
		for (int s = 0; s < 2; s++) {
			struct mside *sd = &st->side[s];
			loop_fd_del(w->loop, sd->fd_rtp);
			loop_fd_del(w->loop, sd->fd_rtcp);
			close(sd->fd_rtp);
			close(sd->fd_rtcp);
			sd->fd_rtp = sd->fd_rtcp = -1;
			mports_put(&m->ports, sd->port);
		}
		atomic_fetch_sub(&m->streams, 1);
	}
	atomic_fetch_sub(&m->sessions, 1);
	if (ms->linked) {
		if (ms->prev)
			ms->prev->next = ms->next;
		else
			w->sessions = ms->next;
		if (ms->next)
			ms->next->prev = ms->prev;
		ms->linked = false;
		mem_deref(ms);      /* the list's */
	}
	mem_deref(ms);              /* the handle's */
}

/* ---- RTP timeouts ------------------------------------------------ */

static void tick(void *arg)
{
	struct mworker *w = arg;
	uint64_t now = time_ms();

	for (struct msess *ms = w->sessions; ms; ms = ms->next) {
		pthread_mutex_lock(&ms->lock);
		for (unsigned i = 0; i < ms->stc; i++) {
			struct mstream *st = ms->st[i];
			if (!st->timeout_s || st->timed_out ||
			    now - st->last_media_ms < st->timeout_s * 1000ull)
				continue;
			st->timed_out = true;
			atomic_fetch_add_explicit(&w->timeouts, 1, memory_order_relaxed);
			LINFO("msg=\"rtp timeout\" stream=%u port_a=%u port_b=%u secs=%u", i,
			      st->side[0].port, st->side[1].port, st->timeout_s);
			/* under the lock, so a freed handle never sees a late call */
			if (ms->th)
				ms->th(i, ms->arg);
		}
		pthread_mutex_unlock(&ms->lock);
	}
	tmr_start(&w->tick, w->loop, MW_TICK_MS, tick, w);
}

/* ---- threads ------------------------------------------------------ */

static void *worker_main(void *arg)
{
	struct mworker *w = arg;
	char name[16];

	snprintf(name, sizeof(name), "tl-media-%u", w->id);
	pthread_setname_np(pthread_self(), name);
	tmr_start(&w->tick, w->loop, MW_TICK_MS, tick, w);
	loop_run(w->loop);
	tmr_cancel(&w->tick);
	return NULL;
}

int mworker_start(struct mworker **wp, struct media *m, unsigned id)
{
	struct mworker *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->m = m;
	w->id = id;
	tmr_init(&w->tick);
	for (unsigned i = 0; i < MW_BATCH; i++) {
		w->iov[i].iov_base = w->buf[i];
		w->rx[i].msg_hdr.msg_iov = &w->iov[i];
		w->rx[i].msg_hdr.msg_iovlen = 1;
	}
	err = loop_alloc(&w->loop);
	if (err)
		goto out;
	err = -pthread_create(&w->thread, NULL, worker_main, w);
	if (err)
		goto out;
	w->started = true;
out:
	if (err)
		mworker_free(w);
	else
		*wp = w;
	return err;
}

void mworker_stop(struct mworker *w)
{
	if (!w || !w->started)
		return;
	loop_stop(w->loop);
	pthread_join(w->thread, NULL);
	w->started = false;
}

void mworker_free(struct mworker *w)
{
	if (!w)
		return;
	mworker_stop(w);
	if (w->loop)
		loop_free(w->loop);
	free(w);
}
