/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tcp.c  TCP connections (RFC 3261 §18, RFC 5626 §3.5.1 keep-alive).
 *
 * A connection belongs to the worker that accepted or opened it: only that
 * thread reads it, registers it with its loop, runs its idle timer and
 * closes it. Any thread may send on it: the write queue, the state and
 * the fd are guarded by the connection's mutex; a thread that leaves
 * bytes queued asks the owner (loop_call) to watch for writability.
 *
 * References: while open, a connection holds one reference for itself
 * (dropped by conn_close); a tp_pkt lends it to the receive handler,
 * which may keep it with mem_ref(). Open connections are also found by
 * peer address in tp->ctab, which is how later sends reuse them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tp_int.h"

#define LOG_MOD "tcp"

enum {
	TCP_ACCEPT_MAX = 64,       /* accepts per readiness event */
	TCP_READ_ROUNDS = 8,       /* reads per readiness event */
	TCP_RBUF_MIN = 4096,
};

static void conn_close(struct tp_conn *c);

/* ---- tables (under tp->lock) -------------------------------------- */

static struct tp_conn **ctab_bucket(struct tp *tp, const struct sa *peer)
{
	return &tp->ctab[tp_sa_hash(peer, true) & (tp->tabsz - 1)];
}

static void ctab_remove(struct tp *tp, struct tp_conn *c)
{
	for (struct tp_conn **pp = ctab_bucket(tp, &c->peer); *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			c->hnext = NULL;
			return;
		}
	}
}

static struct tp_srccnt **stab_find(struct tp *tp, const struct sa *ip)
{
	struct tp_srccnt **pp = &tp->stab[tp_sa_hash(ip, false) & (tp->tabsz - 1)];

	while (*pp && !sa_cmp(&(*pp)->ip, ip))
		pp = &(*pp)->next;
	return pp;
}

/* Admit an accepted connection against the caps and list it. */
static bool admit(struct tp *tp, struct tp_conn *c)
{
	struct tp_srccnt **sp, *s;
	struct sa ip;
	bool ok = false;

	tp_sa_ip(&ip, &c->peer);
	pthread_mutex_lock(&tp->lock);
	if (tp->nconns >= tp->prm.tcp_max_conns)
		goto out;
	sp = stab_find(tp, &ip);
	s = *sp;
	if (s && s->n >= tp->prm.tcp_max_per_src)
		goto out;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			goto out;
		s->ip = ip;
		*sp = s;
	}
	s->n++;
	c->counted_src = true;
	struct tp_conn **b = ctab_bucket(tp, &c->peer);
	c->hnext = *b;
	*b = c;
	c->in_table = true;
	tp->nconns++;
	ok = true;
out:
	pthread_mutex_unlock(&tp->lock);
	return ok;
}

/* ---- the connection object ------------------------------------------ */

static void conn_destroy(void *arg)
{
	struct tp_conn *c = arg;

	/* conn_close ran (it holds the life reference until then) */
	if (NEVER(c->fd >= 0))
		close(c->fd);
	free(c->wq);
	free(c->rbuf);
	pthread_mutex_destroy(&c->mtx);
}

static struct tp_conn *conn_new(struct tp_worker *wk, int fd, const struct sa *peer, bool out)
{
	struct tp_conn *c = mem_zalloc(sizeof(*c), conn_destroy);

	if (!c)
		return NULL;
	c->tp = wk->tp;
	c->wk = wk;
	c->fd = fd;
	c->peer = *peer;
	c->outgoing = out;
	c->state = out ? CONN_CONNECTING : CONN_OPEN;
	c->write_armed = out;
	pthread_mutex_init(&c->mtx, NULL);
	tmr_init(&c->idle);
	atomic_store(&c->last_active, time_ms());
	c->local.len = sizeof(c->local.u);
	if (getsockname(fd, &c->local.u.sa, &c->local.len) < 0)
		c->local.len = 0;
	return c;
}

static void on_idle(void *arg)
{
	struct tp_conn *c = arg;
	uint64_t now = time_ms(), idle = c->tp->prm.tcp_idle_ms;
	uint64_t quiet = now - atomic_load_explicit(&c->last_active, memory_order_relaxed);

	/* I/O only stamps last_active; the timer catches up here, which
	 * keeps the wheel out of the per-packet path */
	if (quiet < idle) {
		tmr_start(&c->idle, c->wk->loop, idle - quiet, on_idle, c);
		return;
	}
	atomic_fetch_add_explicit(&c->wk->st.tcp_closed_idle, 1, memory_order_relaxed);
	mem_ref(c);
	conn_close(c);
	mem_deref(c);
}

static void conn_on_io(int fd, int events, void *arg);

/* Owner thread: take the connection into the worker's list and loop. */
static int conn_attach(struct tp_conn *c)
{
	struct tp_worker *wk = c->wk;
	int err;

	c->wprev = NULL;
	c->wnext = wk->conns;
	if (wk->conns)
		wk->conns->wprev = c;
	wk->conns = c;
	c->linked = true;
	err = loop_fd_add(wk->loop, c->fd, LOOP_READ | (c->write_armed ? LOOP_WRITE : 0),
			  conn_on_io, c);
	if (err) {
		conn_close(c);
		return err;
	}
	c->registered = true;
	tmr_start(&c->idle, wk->loop, c->tp->prm.tcp_idle_ms, on_idle, c);
	return 0;
}

/* Close on the owner thread (or once the workers stopped). Idempotent. */
static void conn_close(struct tp_conn *c)
{
	struct tp *tp = c->tp;
	int fd;

	pthread_mutex_lock(&c->mtx);
	if (c->state == CONN_CLOSED) {
		pthread_mutex_unlock(&c->mtx);
		return;
	}
	c->state = CONN_CLOSED;
	fd = c->fd;
	c->fd = -1;
	free(c->wq);
	c->wq = NULL;
	c->wq_off = c->wq_len = c->wq_cap = 0;
	pthread_mutex_unlock(&c->mtx);

	if (c->registered) {
		loop_fd_del(c->wk->loop, fd);
		c->registered = false;
	}
	close(fd);
	tmr_cancel(&c->idle);
	pthread_mutex_lock(&tp->lock);
	if (c->in_table) {
		ctab_remove(tp, c);
		c->in_table = false;
		tp->nconns--;
	}
	if (c->counted_src) {
		struct sa ip;
		tp_sa_ip(&ip, &c->peer);
		struct tp_srccnt **sp = stab_find(tp, &ip), *s = *sp;
		if (ALWAYS(s) && --s->n == 0) {
			*sp = s->next;
			free(s);
		}
		c->counted_src = false;
	}
	pthread_mutex_unlock(&tp->lock);
	if (c->linked) {
		if (c->wprev)
			c->wprev->wnext = c->wnext;
		else
			c->wk->conns = c->wnext;
		if (c->wnext)
			c->wnext->wprev = c->wprev;
		c->wnext = c->wprev = NULL;
		c->linked = false;
		mem_deref(c);   /* the life reference; may free c */
	}
}

/* ---- cross-thread hand-offs (loop_call), each owning one reference ---- */

static void call_close(void *arg)
{
	conn_close(arg);
	mem_deref(arg);
}

static void call_arm_write(void *arg)
{
	struct tp_conn *c = arg;

	if (c->state == CONN_OPEN && c->registered)
		loop_fd_mod(c->wk->loop, c->fd, LOOP_READ | LOOP_WRITE);
	mem_deref(c);
}

/* The reference is the life reference of a new outgoing connection. */
static void call_attach(void *arg)
{
	struct tp_conn *c = arg;

	if (atomic_load(&c->tp->stopped)) {
		conn_close(c);
		mem_deref(c);
		return;
	}
	conn_attach(c);
}

static void close_soon(struct tp_conn *c)
{
	/* never close under a caller's feet, even on the owner thread: the
	 * receive path may be iterating this connection's buffer */
	if (loop_call(c->wk->loop, call_close, mem_ref(c)) != 0)
		mem_deref(c);
}

/* ---- sending ----------------------------------------------------------- */

/* Under c->mtx: write out the queue. 0 when empty, -EAGAIN, or -errno. */
static int flush_locked(struct tp_conn *c)
{
	while (c->wq_off < c->wq_len) {
		ssize_t n = send(c->fd, c->wq + c->wq_off, c->wq_len - c->wq_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			c->wq_off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	c->wq_off = c->wq_len = 0;
	return 0;
}

static int wq_append(struct tp_conn *c, const char *buf, size_t len)
{
	size_t used = c->wq_len - c->wq_off;

	if (used + len > TP_WQ_MAX)
		return -ENOBUFS;
	if (c->wq_off && c->wq_len + len > c->wq_cap) {
		memmove(c->wq, c->wq + c->wq_off, used);
		c->wq_off = 0;
		c->wq_len = used;
	}
	if (c->wq_len + len > c->wq_cap) {
		size_t cap = c->wq_cap ? c->wq_cap : 4096;
		char *n;
		while (cap < c->wq_len + len)
			cap *= 2;
		n = realloc(c->wq, cap);
		if (!n)
			return -ENOMEM;
		c->wq = n;
		c->wq_cap = cap;
	}
	memcpy(c->wq + c->wq_len, buf, len);
	c->wq_len += len;
	return 0;
}

/* Any thread. -ENOTCONN once the connection is closed. */
static int conn_send(struct tp_conn *c, const char *buf, size_t len)
{
	struct tp_worker *me = tp_cur_worker(c->tp), *st = me ? me : c->wk;
	size_t total = len;
	bool arm = false;
	int err = 0;

	pthread_mutex_lock(&c->mtx);
	if (c->state == CONN_CLOSED) {
		pthread_mutex_unlock(&c->mtx);
		return -ENOTCONN;
	}
	if (c->state == CONN_OPEN && c->wq_len == c->wq_off) {
		while (len) {
			ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n >= 0) {
				buf += n;
				len -= (size_t)n;
			} else if (errno != EINTR) {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					err = -errno;
				break;
			}
		}
	}
	if (!err && len) {
		err = wq_append(c, buf, len);
		if (!err && c->state == CONN_OPEN && !c->write_armed)
			c->write_armed = arm = true;
	}
	pthread_mutex_unlock(&c->mtx);
	if (err) {
		close_soon(c);
		return err;
	}
	atomic_store_explicit(&c->last_active, time_ms(), memory_order_relaxed);
	atomic_fetch_add_explicit(&st->st.tx_msgs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&st->st.tx_bytes, total, memory_order_relaxed);
	if (arm) {
		if (me == c->wk)
			loop_fd_mod(c->wk->loop, c->fd, LOOP_READ | LOOP_WRITE);
		else if (loop_call(c->wk->loop, call_arm_write, mem_ref(c)) != 0)
			mem_deref(c);
	}
	return 0;
}

static void conn_on_writable(struct tp_conn *c)
{
	int r, soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (c->state == CONN_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			char a[SA_FMT_MAX];
			LDEBUG("msg=\"connect failed\" dst=%s errno=%d",
			       sa_fmt(&c->peer, a, sizeof(a)), soerr);
			conn_close(c);
			return;
		}
		pthread_mutex_lock(&c->mtx);
		c->state = CONN_OPEN;
		pthread_mutex_unlock(&c->mtx);
		c->local.len = sizeof(c->local.u);
		getsockname(c->fd, &c->local.u.sa, &c->local.len);
	}
	pthread_mutex_lock(&c->mtx);
	r = flush_locked(c);
	if (!r)
		c->write_armed = false;
	pthread_mutex_unlock(&c->mtx);
	if (r && r != -EAGAIN) {
		conn_close(c);
		return;
	}
	loop_fd_mod(c->wk->loop, c->fd, r ? LOOP_READ | LOOP_WRITE : LOOP_READ);
}

/* ---- receiving ---------------------------------------------------------- */

/* Cut complete messages off the receive buffer. false when closed. */
static bool frame_all(struct tp_conn *c)
{
	struct tp *tp = c->tp;
	size_t off = 0;

	while (off < c->rlen && c->state != CONN_CLOSED) {
		const char *p = c->rbuf + off;
		size_t len = c->rlen - off, mlen;
		int r;

		if (*p == '\r' || *p == '\n') {
			/* RFC 5626 §3.5.1: CRLFCRLF is a ping, CRLF its pong;
			 * lone CRLFs before a message are skipped (§7.5) */
			if (len >= 4 && memcmp(p, "\r\n\r\n", 4) == 0) {
				conn_send(c, "\r\n", 2);
				off += 4;
			} else if (len >= 2 && p[0] == '\r' && p[1] == '\n') {
				/* may be the first half of a ping: wait */
				if (len == 2 || (len == 3 && p[2] == '\r'))
					break;
				off += 2;
			} else if (len == 1 && *p == '\r') {
				break;
			} else {
				off++;
			}
			continue;
		}
		r = sip_frame(p, len, &tp->prm.limits, &mlen);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			char a[SA_FMT_MAX];
			atomic_fetch_add_explicit(&c->wk->st.frame_errors, 1, memory_order_relaxed);
			LDEBUG("msg=\"framing error, closing\" src=%s err=%d",
			       sa_fmt(&c->peer, a, sizeof(a)), r);
			conn_close(c);
			return false;
		}
		struct tp_pkt pkt = {
			.buf = p, .len = mlen, .proto = TP_TCP, .src = c->peer,
			.local = c->local, .conn = c, .worker = c->wk->idx,
		};
		atomic_fetch_add_explicit(&c->wk->st.rx_msgs, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->wk->st.rx_bytes, mlen, memory_order_relaxed);
		tp->prm.recvh(&pkt, tp->prm.arg);
		off += mlen;
	}
	if (c->state == CONN_CLOSED)
		return false;
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return true;
}

static void conn_on_readable(struct tp_conn *c)
{
	size_t limit = c->tp->prm.limits.max_msg_size;

	if (limit < TCP_RBUF_MIN)
		limit = TCP_RBUF_MIN;
	for (unsigned round = 0; round < TCP_READ_ROUNDS; round++) {
		size_t space;
		ssize_t n;

		if (c->rcap - c->rlen < TCP_RBUF_MIN / 2 && c->rcap < limit) {
			size_t cap = c->rcap ? c->rcap * 2 : TCP_RBUF_MIN;
			char *nb;
			if (cap > limit)
				cap = limit;
			nb = realloc(c->rbuf, cap);
			if (!nb) {
				conn_close(c);
				return;
			}
			c->rbuf = nb;
			c->rcap = cap;
		}
		space = c->rcap - c->rlen;
		if (!space) {
			/* sip_frame() refuses a message this large: defensive */
			atomic_fetch_add_explicit(&c->wk->st.frame_errors, 1, memory_order_relaxed);
			conn_close(c);
			return;
		}
		n = recv(c->fd, c->rbuf + c->rlen, space, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c);
			return;
		}
		if (n == 0) {
			/* the peer closed; a partial message dies with it */
			conn_close(c);
			return;
		}
		c->rlen += (size_t)n;
		atomic_store_explicit(&c->last_active, time_ms(), memory_order_relaxed);
		if (!frame_all(c) || (size_t)n < space)
			return;
	}
}

static void conn_on_io(int fd, int events, void *arg)
{
	struct tp_conn *c = mem_ref(arg);

	(void)fd;
	if (events & LOOP_WRITE)
		conn_on_writable(c);
	if ((events & LOOP_READ) && c->state != CONN_CLOSED && c->state != CONN_CONNECTING)
		conn_on_readable(c);
	mem_deref(c);
}

/* ---- accepting, connecting ------------------------------------------ */

void tcp_on_accept(int lfd, int events, void *arg)
{
	struct tp_sock *s = arg;
	struct tp_worker *wk = s->wk;

	(void)events;
	for (unsigned i = 0; i < TCP_ACCEPT_MAX; i++) {
		struct tp_conn *c;
		struct sa peer;
		int fd;

		peer.len = sizeof(peer.u);
		fd = accept4(lfd, &peer.u.sa, &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				LWARN("msg=\"accept failed\" errno=%d", errno);
			return;
		}
		tp_sock_opts(wk->tp, fd, sa_af(&peer), true);
		c = conn_new(wk, fd, &peer, false);
		if (!c || !admit(wk->tp, c)) {
			char a[SA_FMT_MAX];
			LDEBUG("msg=\"connection refused\" src=%s", sa_fmt(&peer, a, sizeof(a)));
			atomic_fetch_add_explicit(&wk->st.tcp_refused, 1, memory_order_relaxed);
			if (c) {
				conn_close(c);
				mem_deref(c);
			} else {
				close(fd);
			}
			continue;
		}
		atomic_fetch_add_explicit(&wk->st.tcp_accepted, 1, memory_order_relaxed);
		conn_attach(c);
	}
}

/* Open a connection to dst carrying buf; see tcp_send. */
static int conn_connect(struct tp *tp, const struct sa *dst, const char *buf, size_t len)
{
	struct tp_worker *wk = tp_cur_worker(tp);
	struct tp_conn *c = NULL, *other = NULL;
	int af = sa_af(dst), fd, err;

	if (af != AF_INET && af != AF_INET6)
		return -EAFNOSUPPORT;
	if (!wk)
		wk = &tp->wk[tp_sa_hash(dst, true) % tp->nwk];
	fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	tp_sock_opts(tp, fd, af, true);
	/* leave from our listen address when it is a specific one */
	for (unsigned i = 0; i < tp->lsnc; i++) {
		if (tp->lsn[i].proto == TP_TCP && sa_af(&tp->lsn[i].addr) == af &&
		    !tp->lsn[i].wildcard) {
			struct sa ip;
			tp_sa_ip(&ip, &tp->lsn[i].addr);
			if (bind(fd, &ip.u.sa, ip.len) < 0)
				LDEBUG("msg=\"bind before connect failed\" errno=%d", errno);
			break;
		}
	}
	c = conn_new(wk, fd, dst, true);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	err = wq_append(c, buf, len);
	if (err)
		goto out;
	/* list it before connect(): a thread racing to the same destination
	 * then finds this one instead of opening a second connection */
	pthread_mutex_lock(&tp->lock);
	struct tp_conn **b = ctab_bucket(tp, dst);
	for (other = *b; other && !sa_cmp(&other->peer, dst); other = other->hnext)
		;
	if (other) {
		mem_ref(other);
	} else {
		c->hnext = *b;
		*b = c;
		c->in_table = true;
		tp->nconns++;
	}
	pthread_mutex_unlock(&tp->lock);
	if (other) {
		conn_close(c);
		mem_deref(c);
		c = NULL;
		err = conn_send(other, buf, len);
		mem_deref(other);
		return err;
	}
	if (connect(fd, &dst->u.sa, dst->len) < 0 && errno != EINPROGRESS) {
		err = -errno;
		goto out;
	}
	atomic_fetch_add_explicit(&wk->st.tx_msgs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&wk->st.tx_bytes, len, memory_order_relaxed);
	if (tp_cur_worker(tp) == wk)
		return conn_attach(c);
	err = loop_call(wk->loop, call_attach, c);
out:
	if (err) {
		conn_close(c);
		mem_deref(c);
	}
	return err;
}

int tcp_send(struct tp *tp, const struct sa *dst, struct tp_conn *conn, const char *buf,
	     size_t len)
{
	int err;

	if (conn) {
		err = conn_send(conn, buf, len);
		if (err != -ENOTCONN || !dst)
			return err;
	}
	if (!dst)
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		struct tp_conn *c;

		pthread_mutex_lock(&tp->lock);
		for (c = *ctab_bucket(tp, dst); c && !sa_cmp(&c->peer, dst); c = c->hnext)
			;
		mem_ref(c);
		pthread_mutex_unlock(&tp->lock);
		if (!c)
			break;
		err = conn_send(c, buf, len);
		mem_deref(c);
		if (err != -ENOTCONN)
			return err;
	}
	err = conn_connect(tp, dst, buf, len);
	return err && conn ? -ENOTCONN : err;
}

void tcp_worker_close(struct tp_worker *wk)
{
	while (wk->conns)
		conn_close(wk->conns);
}
