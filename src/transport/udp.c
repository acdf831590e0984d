/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file udp.c  UDP: batched reads with recvmmsg() by every worker from the
 *              listen address's one socket (a datagram wakes one worker),
 *              and sends (RFC 3261 §18.1.1, §18.2.2).
 *
 * A worker reads up to TP_UDP_BATCH datagrams per system call into its
 * own buffers and hands each to the receive handler before the next
 * batch, so a datagram's bytes stay valid for exactly one callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tp_int.h"

#define LOG_MOD "udp"

enum {
	UDP_CTRL = 64,         /* room for one in(6)_pktinfo cmsg */
	UDP_ROUNDS = 16,       /* batches per readiness event, then yield */
};

struct udp_rx {
	struct mmsghdr msg[TP_UDP_BATCH];
	struct iovec iov[TP_UDP_BATCH];
	struct sockaddr_storage name[TP_UDP_BATCH];
	union {
		char buf[UDP_CTRL];
		struct cmsghdr align;
	} ctrl[TP_UDP_BATCH];
	char data[];           /* TP_UDP_BATCH * TP_UDP_BUFSZ */
};

int udp_worker_init(struct tp_worker *wk)
{
	struct tp *tp = wk->tp;
	int err;

	for (unsigned i = 0; i < tp->lsnc; i++) {
		if (tp->lsn[i].proto != TP_UDP)
			continue;
		if (!wk->rx) {
			wk->rx = malloc(sizeof(*wk->rx) + (size_t)TP_UDP_BATCH * TP_UDP_BUFSZ);
			if (!wk->rx)
				return -ENOMEM;
		}
		err = loop_fd_add(wk->loop, wk->sock[i].fd, LOOP_READ | LOOP_EXCLUSIVE, udp_on_read,
				  &wk->sock[i]);
		if (err)
			return err;
	}
	return 0;
}

void udp_worker_close(struct tp_worker *wk)
{
	free(wk->rx);
	wk->rx = NULL;
}

/* The datagram's destination address from IP_PKTINFO / IPV6_PKTINFO. */
static void pktinfo_local(struct msghdr *mh, struct sa *local)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    sa_af(local) == AF_INET) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->u.in.sin_addr = pi.ipi_addr;
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    sa_af(local) == AF_INET6) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->u.in6.sin6_addr = pi.ipi6_addr;
			return;
		}
	}
}

static bool is_lws(char c)
{
	return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

static void deliver(struct tp_worker *wk, unsigned li, unsigned k)
{
	struct tp *tp = wk->tp;
	struct udp_rx *rx = wk->rx;
	struct msghdr *mh = &rx->msg[k].msg_hdr;
	const char *p = rx->iov[k].iov_base;
	size_t len = rx->msg[k].msg_len;
	struct tp_pkt pkt;

	if (mh->msg_flags & MSG_TRUNC) {
		atomic_fetch_add_explicit(&wk->st.frame_errors, 1, memory_order_relaxed);
		return;
	}
	/* Leading CRLFs are allowed before a message (RFC 3261 §7.5); a
	 * datagram of nothing but white space is a keep-alive: RFC 5626 asks
	 * for STUN on UDP, so such pings get no answer. */
	while (len && is_lws(*p)) {
		p++;
		len--;
	}
	if (!len)
		return;
	memset(&pkt, 0, sizeof(pkt));
	pkt.buf = p;
	pkt.len = len;
	pkt.proto = TP_UDP;
	pkt.src.len = mh->msg_namelen < sizeof(pkt.src.u) ? mh->msg_namelen
							  : (socklen_t)sizeof(pkt.src.u);
	memcpy(&pkt.src.u, &rx->name[k], pkt.src.len);
	pkt.local = tp->lsn[li].addr;
	if (tp->lsn[li].wildcard)
		pktinfo_local(mh, &pkt.local);
	pkt.worker = wk->idx;
	atomic_fetch_add_explicit(&wk->st.rx_msgs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&wk->st.rx_bytes, rx->msg[k].msg_len, memory_order_relaxed);
	tp->prm.recvh(&pkt, tp->prm.arg);
}

void udp_on_read(int fd, int events, void *arg)
{
	struct tp_sock *s = arg;
	struct tp_worker *wk = s->wk;
	struct udp_rx *rx = wk->rx;

	(void)events;
	for (unsigned round = 0; round < UDP_ROUNDS; round++) {
		int n;

		for (unsigned k = 0; k < TP_UDP_BATCH; k++) {
			rx->iov[k].iov_base = rx->data + (size_t)k * TP_UDP_BUFSZ;
			rx->iov[k].iov_len = TP_UDP_BUFSZ;
			rx->msg[k].msg_hdr = (struct msghdr){
				.msg_name = &rx->name[k],
				.msg_namelen = sizeof(rx->name[k]),
				.msg_iov = &rx->iov[k],
				.msg_iovlen = 1,
				.msg_control = rx->ctrl[k].buf,
				.msg_controllen = UDP_CTRL,
			};
			rx->msg[k].msg_len = 0;
		}
		n = recvmmsg(fd, rx->msg, TP_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN: drained. ICMP errors (ECONNREFUSED) of earlier
			 * sends surface here too and mean nothing to a server. */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
				LWARN("msg=\"recvmmsg failed\" errno=%d", errno);
			return;
		}
		for (int k = 0; k < n; k++)
			deliver(wk, s->li, (unsigned)k);
		if (n < TP_UDP_BATCH)
			return;
	}
}

int udp_send(struct tp *tp, const struct sa *dst, const char *buf, size_t len)
{
	struct tp_worker *wk = tp_cur_worker(tp);
	int af = sa_af(dst);
	ssize_t n;

	if (!wk)
		wk = &tp->wk[0];
	for (unsigned i = 0; i < tp->lsnc; i++) {
		if (tp->lsn[i].proto != TP_UDP || sa_af(&tp->lsn[i].addr) != af)
			continue;
		/* any worker's socket will do: sendto() is thread-safe, and
		 * the current worker's avoids sharing a socket's send path */
		do
			n = sendto(wk->sock[i].fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
				   &dst->u.sa, dst->len);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		atomic_fetch_add_explicit(&wk->st.tx_msgs, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&wk->st.tx_bytes, (uint64_t)n, memory_order_relaxed);
		return 0;
	}
	return -EAFNOSUPPORT;
}
