/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tp.c  Transport lifecycle: binding the listen addresses, the
 *             worker threads and their loops, sending, counters.
 *
 * UDP: one socket per listen address, read by every worker (each has
 * its own descriptor of it, and its loop watches it with LOOP_EXCLUSIVE:
 * a datagram wakes one idle worker). A trunk's traffic mostly comes from
 * one peer address and port; SO_REUSEPORT would hash all of it to one
 * worker, while a shared socket spreads its calls over every worker (a
 * call then stays on the worker that read its INVITE; messages read by
 * another worker hop there).
 * TCP: every worker gets its own listening socket, bound to the same
 * address and port with SO_REUSEPORT, so the kernel spreads new
 * connections across workers. tp_alloc() binds them all, so a port
 * conflict shows at start-up, and a port 0 is resolved once and reused
 * by the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tp_int.h"

#define LOG_MOD "tp"

static _Thread_local struct tp_worker *cur_wk;

const char *tp_proto_name(enum tp_proto p)
{
	switch (p) {
	case TP_UDP: return "UDP";
	case TP_TCP: return "TCP";
	case TP_TLS: return "TLS";
	default: return "?";
	}
}

int tp_proto_parse(const struct pl *name, enum tp_proto *p)
{
	if (pl_caseeq_str(name, "udp"))
		*p = TP_UDP;
	else if (pl_caseeq_str(name, "tcp"))
		*p = TP_TCP;
	else if (pl_caseeq_str(name, "tls"))
		*p = TP_TLS;
	else
		return -EINVAL;
	return 0;
}

struct tp_worker *tp_cur_worker(const struct tp *tp)
{
	return cur_wk && cur_wk->tp == tp ? cur_wk : NULL;
}

void tp_sa_ip(struct sa *ip, const struct sa *sa)
{
	*ip = *sa;
	sa_set_port(ip, 0);
}

uint64_t tp_sa_hash(const struct sa *sa, bool port)
{
	uint8_t key[18];
	size_t n;

	if (sa_af(sa) == AF_INET6) {
		memcpy(key, &sa->u.in6.sin6_addr, 16);
		n = 16;
	} else {
		memcpy(key, &sa->u.in.sin_addr, 4);
		n = 4;
	}
	if (port) {
		uint16_t p = sa_port(sa);
		memcpy(key + n, &p, 2);
		n += 2;
	}
	return hash_keyed(key, n);
}

static void set_bufsize(int fd, int opt_force, int opt)
{
	int v = TP_SOCKBUF;

	/* FORCE works past net.core.*mem_max but needs CAP_NET_ADMIN */
	if (setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof(v)) == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)) < 0)
		LDEBUG("msg=\"cannot raise socket buffer\" errno=%d", errno);
}

int tp_sock_opts(const struct tp *tp, int fd, int af, bool stream)
{
	int one = 1;

	if (stream && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return -errno;
	if (tp->prm.dscp >= 0) {
		int tos = tp->prm.dscp << 2;
		int r = af == AF_INET6
			? setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos))
			: setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		if (r < 0)
			LWARN("msg=\"cannot set DSCP\" dscp=%d errno=%d", tp->prm.dscp, errno);
	}
	return 0;
}

static bool is_wildcard(const struct sa *a)
{
	if (sa_af(a) == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
	return a->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
}

/* A socket bound to addr with SO_REUSEPORT; listening when TCP. */
static int bind_sock(struct tp *tp, enum tp_proto proto, const struct sa *addr, int *fdp)
{
	int af = sa_af(addr), one = 1, fd, err = 0;
	bool stream = proto != TP_UDP;

	fd = socket(af, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    (stream && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)) {
		err = -errno;
		goto out;
	}
	if (!stream && is_wildcard(addr)) {
		/* a wildcard socket learns each datagram's own destination */
		int r = af == AF_INET6
			? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))
			: setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		if (r < 0) {
			err = -errno;
			goto out;
		}
	}
	set_bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF);
	set_bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF);
	err = tp_sock_opts(tp, fd, af, stream);
	if (err)
		goto out;
	if (bind(fd, &addr->u.sa, addr->len) < 0 ||
	    (stream && listen(fd, TP_TCP_BACKLOG) < 0))
		err = -errno;
out:
	if (err)
		close(fd);
	else
		*fdp = fd;
	return err;
}

/* Bind listen address li on every worker; resolves port 0 first. */
static int bind_listen(struct tp *tp, unsigned li)
{
	struct tp_lsn *l = &tp->lsn[li];
	struct sa want = l->addr;
	int err;

	if (sa_port(&want) == 0) {
		/* UDP and TCP on one address and port 0: try to share a port */
		for (unsigned j = 0; j < li; j++) {
			struct sa a = tp->lsn[j].addr, b = want;
			sa_set_port(&b, sa_port(&a));
			if (tp->lsn[j].proto != l->proto && sa_cmp(&a, &b)) {
				err = bind_sock(tp, l->proto, &b, &tp->wk[0].sock[li].fd);
				if (!err) {
					want = b;
					goto bound;
				}
			}
		}
	}
	err = bind_sock(tp, l->proto, &want, &tp->wk[0].sock[li].fd);
	if (err)
		return err;
bound:
	want.len = sizeof(want.u);
	if (getsockname(tp->wk[0].sock[li].fd, &want.u.sa, &want.len) < 0)
		return -errno;
	l->addr = want;
	for (unsigned w = 1; w < tp->nwk; w++) {
		if (l->proto == TP_UDP) {
			/* the same socket: its own descriptor per worker, so each
			 * closes its own */
			int fd = fcntl(tp->wk[0].sock[li].fd, F_DUPFD_CLOEXEC, 0);

			if (fd < 0)
				return -errno;
			tp->wk[w].sock[li].fd = fd;
			continue;
		}
		err = bind_sock(tp, l->proto, &l->addr, &tp->wk[w].sock[li].fd);
		if (err)
			return err;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct tp_worker *wk = arg;
	int err;

	cur_wk = wk;
	err = loop_run(wk->loop);
	if (err)
		LERR("msg=\"worker loop failed\" worker=%u err=%d", wk->idx, err);
	cur_wk = NULL;
	return NULL;
}

int tp_alloc(struct tp **tpp, const struct tp_prm *prm)
{
	struct tp *tp;
	int err = 0;

	if (!tpp || !prm || !prm->recvh || !prm->listenc || prm->listenc > TP_LISTEN_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < prm->listenc; i++) {
		int af = sa_af(&prm->listen[i].addr);
		if ((af != AF_INET && af != AF_INET6) || prm->listen[i].proto == TP_TLS)
			return prm->listen[i].proto == TP_TLS ? -EPROTONOSUPPORT : -EINVAL;
	}
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	pthread_mutex_init(&tp->lock, NULL);
	tp->prm = *prm;
	if (!tp->prm.workers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		tp->prm.workers = n > 0 ? (unsigned)n : 1;
	}
	if (tp->prm.workers > TP_WORKERS_MAX)
		tp->prm.workers = TP_WORKERS_MAX;
	if (!tp->prm.limits.max_msg_size)
		tp->prm.limits = sip_limits_default;
	if (!tp->prm.tcp_idle_ms)
		tp->prm.tcp_idle_ms = 120000;
	if (!tp->prm.tcp_max_per_src)
		tp->prm.tcp_max_per_src = 64;
	if (!tp->prm.tcp_max_conns)
		tp->prm.tcp_max_conns = 10000;
	if (tp->prm.dscp > 63)
		tp->prm.dscp = 63;
	tp->nwk = tp->prm.workers;
	tp->lsnc = prm->listenc;
	for (unsigned i = 0; i < tp->lsnc; i++) {
		tp->lsn[i].proto = prm->listen[i].proto;
		tp->lsn[i].addr = prm->listen[i].addr;
		tp->lsn[i].wildcard = is_wildcard(&prm->listen[i].addr);
	}
	for (tp->tabsz = 256; tp->tabsz < tp->prm.tcp_max_conns && tp->tabsz < (1u << 20);)
		tp->tabsz *= 2;
	tp->ctab = calloc(tp->tabsz, sizeof(*tp->ctab));
	tp->stab = calloc(tp->tabsz, sizeof(*tp->stab));
	tp->wk = calloc(tp->nwk, sizeof(*tp->wk));
	if (!tp->ctab || !tp->stab || !tp->wk) {
		err = -ENOMEM;
		goto out;
	}
	for (unsigned w = 0; w < tp->nwk; w++) {
		struct tp_worker *wk = &tp->wk[w];
		wk->tp = tp;
		wk->idx = w;
		for (unsigned i = 0; i < TP_LISTEN_MAX; i++)
			wk->sock[i] = (struct tp_sock){ wk, i, -1 };
		err = loop_alloc(&wk->loop);
		if (err)
			goto out;
	}
	for (unsigned i = 0; i < tp->lsnc; i++) {
		err = bind_listen(tp, i);
		if (err) {
			char a[SA_FMT_MAX];
			LERR("msg=\"cannot bind\" proto=%s addr=%s err=%d",
			     tp_proto_name(tp->lsn[i].proto), sa_fmt(&tp->lsn[i].addr, a, sizeof(a)), err);
			goto out;
		}
	}
	for (unsigned w = 0; w < tp->nwk; w++) {
		struct tp_worker *wk = &tp->wk[w];
		err = udp_worker_init(wk);
		if (err)
			goto out;
		for (unsigned i = 0; i < tp->lsnc; i++) {
			if (tp->lsn[i].proto != TP_TCP)
				continue;
			err = loop_fd_add(wk->loop, wk->sock[i].fd, LOOP_READ, tcp_on_accept, &wk->sock[i]);
			if (err)
				goto out;
		}
	}
out:
	if (err)
		tp_free(tp);
	else
		*tpp = tp;
	return err;
}

int tp_start(struct tp *tp)
{
	int err = 0;

	if (!tp || tp->started || atomic_load(&tp->stopped))
		return -EINVAL;
	tp->started = true;
	for (unsigned w = 0; w < tp->nwk; w++) {
		err = -pthread_create(&tp->wk[w].thread, NULL, worker_main, &tp->wk[w]);
		if (err) {
			tp_stop(tp);
			return err;
		}
		tp->wk[w].thread_ok = true;
	}
	return 0;
}

void tp_stop(struct tp *tp)
{
	if (!tp || atomic_exchange(&tp->stopped, true) || !tp->wk)
		return;
	for (unsigned w = 0; w < tp->nwk; w++) {
		if (tp->wk[w].thread_ok)
			loop_stop(tp->wk[w].loop);
	}
	for (unsigned w = 0; w < tp->nwk; w++) {
		if (tp->wk[w].thread_ok) {
			pthread_join(tp->wk[w].thread, NULL);
			tp->wk[w].thread_ok = false;
		}
	}
	/* No worker runs now: this thread may touch their loops and sockets. */
	for (unsigned w = 0; w < tp->nwk; w++) {
		struct tp_worker *wk = &tp->wk[w];
		tcp_worker_close(wk);
		for (unsigned i = 0; i < TP_LISTEN_MAX; i++) {
			if (wk->sock[i].fd < 0)
				continue;
			if (wk->loop)
				loop_fd_del(wk->loop, wk->sock[i].fd);
			close(wk->sock[i].fd);
			wk->sock[i].fd = -1;
		}
	}
}

void tp_free(struct tp *tp)
{
	if (!tp)
		return;
	tp_stop(tp);
	for (unsigned w = 0; tp->wk && w < tp->nwk; w++) {
		/* queued calls (connections handed over) run and see "stopped" */
		loop_free(tp->wk[w].loop);
		tp->wk[w].loop = NULL;
		udp_worker_close(&tp->wk[w]);
	}
	for (size_t i = 0; tp->stab && i < tp->tabsz; i++) {
		while (tp->stab[i]) {
			struct tp_srccnt *s = tp->stab[i];
			tp->stab[i] = s->next;
			free(s);
		}
	}
	free(tp->stab);
	free(tp->ctab);
	free(tp->wk);
	pthread_mutex_destroy(&tp->lock);
	free(tp);
}

unsigned tp_workers(const struct tp *tp)
{
	return tp->nwk;
}

struct loop *tp_worker_loop(const struct tp *tp, unsigned i)
{
	return i < tp->nwk ? tp->wk[i].loop : NULL;
}

int tp_local(const struct tp *tp, enum tp_proto proto, int af, struct sa *local)
{
	for (unsigned i = 0; i < tp->lsnc; i++) {
		if (tp->lsn[i].proto == proto && sa_af(&tp->lsn[i].addr) == af) {
			*local = tp->lsn[i].addr;
			return 0;
		}
	}
	return -ENOENT;
}

int tp_send(struct tp *tp, enum tp_proto proto, const struct sa *dst, struct tp_conn *conn,
	    const char *buf, size_t len)
{
	if (!tp || !buf || !len)
		return -EINVAL;
	if (atomic_load(&tp->stopped))
		return -ESHUTDOWN;
	switch (proto) {
	case TP_UDP:
		if (!dst)
			return -EINVAL;
		return udp_send(tp, dst, buf, len);
	case TP_TCP:
		return tcp_send(tp, dst, conn, buf, len);
	default:
		return -EPROTONOSUPPORT;
	}
}

enum tp_proto tp_req_proto(enum tp_proto wanted, size_t len)
{
	return wanted == TP_UDP && len > 1300 ? TP_TCP : wanted;
}

void tp_stats_get(const struct tp *tp, struct tp_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned w = 0; w < tp->nwk; w++) {
		const struct tp_wstats *s = &tp->wk[w].st;
		st->rx_msgs += atomic_load_explicit(&s->rx_msgs, memory_order_relaxed);
		st->tx_msgs += atomic_load_explicit(&s->tx_msgs, memory_order_relaxed);
		st->rx_bytes += atomic_load_explicit(&s->rx_bytes, memory_order_relaxed);
		st->tx_bytes += atomic_load_explicit(&s->tx_bytes, memory_order_relaxed);
		st->tcp_accepted += atomic_load_explicit(&s->tcp_accepted, memory_order_relaxed);
		st->tcp_refused += atomic_load_explicit(&s->tcp_refused, memory_order_relaxed);
		st->tcp_closed_idle += atomic_load_explicit(&s->tcp_closed_idle, memory_order_relaxed);
		st->frame_errors += atomic_load_explicit(&s->frame_errors, memory_order_relaxed);
	}
}
